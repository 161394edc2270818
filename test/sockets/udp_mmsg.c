/* SPDX-License-Identifier: MIT */
/*
 * udp_mmsg - recvmmsg and sendmmsg as Linux has them: the timeout is
 * looked at after each datagram (a zero one returns after the first),
 * what is left of it is written back, an invalid one is EINVAL;
 * MSG_WAITFORONE; MSG_DONTWAIT on an empty socket.
 *   udp_mmsg PEER SELF   (peer echoes UDP on PEER:7007)
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define N 4

static char bufs[N][64];
static struct iovec iovs[N];
static struct mmsghdr vec[N];

static void reset(void)
{
	memset(vec, 0, sizeof(vec));
	for (int i = 0; i < N; i++) {
		iovs[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		vec[i].msg_hdr.msg_iov = &iovs[i];
		vec[i].msg_hdr.msg_iovlen = 1;
	}
}

static void show(const char *what, int n)
{
	if (n < 0) {
		report(what, -1);
		return;
	}
	printf("%s: %d:", what, n);
	for (int i = 0; i < n; i++)
		printf(" %.*s", (int)vec[i].msg_len, bufs[i]);
	putchar('\n');
	fflush(stdout);
}

/* send the echo peer @count datagrams "d1", "d2", ... with sendmmsg */
static void send_some(int fd, int count)
{
	static char out[N][8];
	struct iovec oiov[N];
	struct mmsghdr ovec[N];

	memset(ovec, 0, sizeof(ovec));
	for (int i = 0; i < count; i++) {
		int len = snprintf(out[i], sizeof(out[i]), "d%d", i + 1);

		oiov[i] = (struct iovec){ out[i], (size_t)len };
		ovec[i].msg_hdr.msg_iov = &oiov[i];
		ovec[i].msg_hdr.msg_iovlen = 1;
	}
	printf("sendmmsg %d: %d\n", count, sendmmsg(fd, ovec, (unsigned)count, 0));
}

int main(int argc, char **argv)
{
	struct sockaddr_in to;
	struct timespec ts;
	struct timeval tv = { 5, 0 };
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: udp_mmsg PEER SELF\n");
		return 2;
	}
	to = sin_of(argv[1], 7007);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	connect(fd, (void *)&to, sizeof(to));

	reset();
	show("recvmmsg MSG_DONTWAIT, nothing queued",
	     recvmmsg(fd, vec, N, MSG_DONTWAIT, NULL));
	ts = (struct timespec){ 0, 1000000000 };
	reset();
	show("recvmmsg, tv_nsec 1000000000", recvmmsg(fd, vec, N, 0, &ts));
	ts = (struct timespec){ -1, 0 };
	reset();
	show("recvmmsg, negative timeout", recvmmsg(fd, vec, N, 0, &ts));

	/* a zero timeout has passed once the first datagram is in */
	send_some(fd, 3);
	ts = (struct timespec){ 0, 0 };
	reset();
	show("recvmmsg, zero timeout", recvmmsg(fd, vec, N, 0, &ts));
	line("timeout after: %ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);
	ts = (struct timespec){ 5, 0 };
	reset();
	show("recvmmsg, 5 s timeout, the two others", recvmmsg(fd, vec, 2, 0, &ts));
	line("time left written back, below 5 s: %d", ts.tv_sec < 5);

	send_some(fd, 2);
	reset();
	show("recvmmsg MSG_WAITFORONE, the first", recvmmsg(fd, vec, 1, 0, NULL));
	reset();
	show("recvmmsg MSG_WAITFORONE", recvmmsg(fd, vec, N, MSG_WAITFORONE, NULL));
	reset();
	show("recvmmsg MSG_DONTWAIT after", recvmmsg(fd, vec, N, MSG_DONTWAIT, NULL));
	close(fd);
	return 0;
}
