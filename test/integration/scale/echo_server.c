/* SPDX-License-Identifier: MIT */
/*
 * echo_server.c - a TCP echo server in C, one thread on epoll: the server
 * of 70-scale.sh's churn phase, run under ustack-run. Each connection's
 * bytes are written back; a connection ends when its peer closes. The
 * Python asyncio server of the hold phase took a whole core at about 400
 * accepted connections a second, which made 100,000 cycles take minutes
 * of CI's time; this one leaves the daemon the slowest part.
 *
 *   echo_server ADDR PORT
 *
 * Prints "listening" once it listens; runs until killed (the test bounds
 * it with timeout(1)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev, evs[64];
	int one = 1, l, ep;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: echo_server ADDR PORT\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (l < 0 || ep < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4096)) {
		perror("echo_server: listen");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = l;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			perror("echo_server: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char buf[4096];
			ssize_t r;

			if (fd == l) {
				int c;

				while ((c = accept4(l, NULL, NULL,
						    SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
						close(c);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r > 0 && write(fd, buf, (size_t)r) == r)
				continue;
			if (r < 0 && errno == EAGAIN)
				continue;
			close(fd);      /* the peer closed, or an error */
		}
	}
}
