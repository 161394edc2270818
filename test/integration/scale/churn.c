/* SPDX-License-Identifier: MIT */
/*
 * churn.c - connect/send/close cycles against a TCP echo server, as fast
 * as one thread can drive them: the churn phase of 70-scale.sh (the
 * Python client takes a millisecond of CPU per cycle, which on a 2-core
 * machine, shared with the server, made 100,000 cycles take minutes).
 *
 *   churn ADDR PORT N [INFLIGHT]
 *
 * Each cycle: a non-blocking connect, one byte sent, its echo read, then
 * close() (the client closes first, as a short-lived client does). At
 * most INFLIGHT (64) at once. Bounded: 900 s in all (a hang, not the speed:
 * 100,000 cycles took 200 s on a 2-core machine, the Python server the
 * slowest part). Prints "churned N
 * in S s (R per s)" and exits 0 only if every cycle did its part.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_S 900

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long n, started = 0, done = 0, failed = 0, inflight = 0;
	unsigned long window;
	struct epoll_event ev[64];
	double t0;
	int ep;

	if (argc < 4 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: churn ADDR PORT N [INFLIGHT]\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	n = strtoul(argv[3], NULL, 10);
	window = argc > 4 ? strtoul(argv[4], NULL, 10) : 64;
	ep = epoll_create1(0);
	if (ep < 0)
		return 2;
	t0 = now_s();
	while (done + failed < n) {
		int k;

		if (now_s() - t0 > LIMIT_S) {
			fprintf(stderr, "churn: timeout after %lu done, %lu failed\n",
				done, failed);
			return 1;
		}
		while (started < n && inflight < window) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			struct epoll_event e = { .events = EPOLLOUT };

			if (fd < 0) {
				perror("churn: socket");
				return 1;
			}
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
			    errno != EINPROGRESS) {
				perror("churn: connect");
				close(fd);
				failed++;
				started++;
				continue;
			}
			e.data.u64 = (uint64_t)fd;      /* low bits: fd; bit 32: echo */
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
			started++;
			inflight++;
		}
		k = epoll_wait(ep, ev, 64, 1000);
		for (int i = 0; i < k; i++) {
			int fd = (int)(ev[i].data.u64 & 0xffffffff);
			int err = 0;
			socklen_t len = sizeof(err);
			char b;

			if (!(ev[i].data.u64 >> 32)) {  /* connected, or failed */
				struct epoll_event e = { .events = EPOLLIN };

				getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err || send(fd, "x", 1, MSG_NOSIGNAL) != 1) {
					fprintf(stderr, "churn: connect: %s\n",
						err ? strerror(err) : "send");
					close(fd);
					failed++;
					inflight--;
					continue;
				}
				e.data.u64 = (uint64_t)fd | 1ull << 32;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
				continue;
			}
			if (recv(fd, &b, 1, 0) == 1 && b == 'x')
				done++;
			else
				failed++;
			close(fd);
			inflight--;
		}
	}
	printf("churned %lu in %.1f s (%.0f per s)\n", done, now_s() - t0,
	       done / (now_s() - t0));
	return failed ? 1 : 0;
}
