/* SPDX-License-Identifier: MIT */
/*
 * callcost - socket calls per second, for make bench's supervisor rows
 *
 *   callcost connect ADDR PORT N   N x (socket, connect, close)
 *   callcost sendto ADDR PORT N    N sendto() of 64 bytes on one socket
 *   callcost accept ADDR PORT N    listen; N x (accept, 1 byte echoed,
 *                                  close), timed from the second accept
 *                                  (the first is the bench's probe)
 *
 * Prints the calls (connections) per second. Built twice by the bench,
 * dynamically (the shim serves it under ustack-run) and statically (the
 * supervisor does), so the two rows compare the paths on the same code.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[64] = { 0 };
	long n, i;
	double t0 = 0;
	int s, c, one = 1;

	if (argc != 5 || inet_pton(AF_INET, argv[2], &a.sin_addr) != 1)
		return 2;
	a.sin_port = htons((unsigned short)atoi(argv[3]));
	n = atol(argv[4]);
	if (!strcmp(argv[1], "connect")) {
		t0 = now();
		for (i = 0; i < n; i++) {
			s = socket(AF_INET, SOCK_STREAM, 0);
			if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a))) {
				perror("connect");
				return 1;
			}
			close(s);
		}
	} else if (!strcmp(argv[1], "sendto")) {
		s = socket(AF_INET, SOCK_DGRAM, 0);
		t0 = now();
		for (i = 0; i < n; i++)
			if (sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&a,
				   sizeof(a)) != sizeof(buf)) {
				perror("sendto");
				return 1;
			}
	} else if (!strcmp(argv[1], "accept")) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
		    listen(s, 1024)) {
			perror("listen");
			return 1;
		}
		for (i = 0; i < n; i++) {
			c = accept(s, NULL, NULL);
			if (c < 0) {
				perror("accept");
				return 1;
			}
			if (i == 1)
				t0 = now();
			if (read(c, buf, 1) == 1 && write(c, buf, 1) != 1)
				perror("write");
			close(c);
		}
		n -= 2;    /* timed from the second accept */
	} else {
		return 2;
	}
	printf("%.0f\n", (double)n / (now() - t0));
	return 0;
}
