/* SPDX-License-Identifier: MIT */
/*
 * udp_peer - the kernel-side partner of the UDP test programs: echoes every
 * datagram on port 7007 back to its sender, for at most SECONDS seconds.
 *   udp_peer ADDR SECONDS
 */
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static char buf[65536];

int main(int argc, char **argv)
{
	struct sockaddr_in sa = sin_of(argc > 1 ? argv[1] : "0.0.0.0", 7007);
	time_t end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 30);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("udp_peer");
		return 1;
	}
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, 200) != 1)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &fl);
		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
	return 0;
}
