/* SPDX-License-Identifier: MIT */
/*
 * peer - the kernel-side partner of the socket test programs, for at most
 * SECONDS seconds:
 *   UDP 7007  echoes every datagram to its sender
 *   TCP 7007  echoes every connection until its end of stream
 *   TCP 7010  reads what comes for 300 ms, then resets (SO_LINGER {1, 0})
 *   TCP 7012  reads "A.B.C.D PORT\n", connects there, writes "hi", closes
 *   TCP 7014  reads nothing for 10 s (its window closes), then closes
 *   TCP 7016  backlog 0, accepts each connection only 1.5 s after it is
 *             ready (meanwhile further SYNs are dropped), then echoes
 *   peer ADDR SECONDS [ADDR6]
 * With ADDR6, UDP and TCP 7007 echo there too (IPV6_V6ONLY sockets).
 */
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static char buf[65536];

static int listener(const char *addr, int type, int port)
{
	struct sockaddr_in sa = sin_of(addr, port);
	int fd = socket(AF_INET, type, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 64))) {
		perror("peer");
		exit(1);
	}
	return fd;
}

static int listener6(const char *addr, int type, int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port) };
	int fd = socket(AF_INET6, type, 0), one = 1;

	inet_pton(AF_INET6, addr, &sa.sin6_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 64))) {
		perror("peer: IPv6");
		exit(1);
	}
	return fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void tcp_echo(int c)
{
	ssize_t n;

	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, (size_t)n) != n)
			break;
}

static void tcp_reset(int c)
{
	struct linger lg = { 1, 0 };
	struct pollfd p = { .fd = c, .events = POLLIN };

	if (poll(&p, 1, 300) == 1 && read(c, buf, sizeof(buf)) < 0)
		perror("peer: read");
	usleep(300000);
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void tcp_stall(int c)
{
	(void)c;
	sleep(10);
}

static void tcp_connect_back(int c)
{
	char ip[64];
	int port, fd;
	ssize_t n = read(c, buf, sizeof(buf) - 1);
	struct sockaddr_in sa;

	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%63s %d", ip, &port) != 2)
		return;
	sa = sin_of(ip, port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, "hi", 2) != 2)
		perror("peer: write");
	close(fd);
}

int main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "0.0.0.0";
	time_t end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 30);
	struct pollfd p[8];
	int np = 6;
	double ready = 0;       /* when 7016 had a connection ready, or 0 */

	signal(SIGCHLD, SIG_IGN);
	p[0] = (struct pollfd){ .fd = listener(addr, SOCK_DGRAM, 7007), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = listener(addr, SOCK_STREAM, 7007), .events = POLLIN };
	p[2] = (struct pollfd){ .fd = listener(addr, SOCK_STREAM, 7010), .events = POLLIN };
	p[3] = (struct pollfd){ .fd = listener(addr, SOCK_STREAM, 7012), .events = POLLIN };
	p[4] = (struct pollfd){ .fd = listener(addr, SOCK_STREAM, 7014), .events = POLLIN };
	p[5] = (struct pollfd){ .fd = listener(addr, SOCK_STREAM, 7016), .events = POLLIN };
	listen(p[5].fd, 0);
	if (argc > 3) {
		p[6] = (struct pollfd){ .fd = listener6(argv[3], SOCK_DGRAM, 7007), .events = POLLIN };
		p[7] = (struct pollfd){ .fd = listener6(argv[3], SOCK_STREAM, 7007), .events = POLLIN };
		np = 8;
	}
	while (time(NULL) < end) {
		/* 7016: a ready connection waits 1.5 s before accept */
		p[5].events = ready ? 0 : POLLIN;
		if (poll(p, (nfds_t)np, ready ? 50 : 200) < 0)
			continue;
		if (p[5].revents)
			ready = now_s();
		p[5].revents = 0;
		if (ready && now_s() - ready >= 1.5) {
			p[5].revents = POLLIN;
			ready = 0;
		}
		for (int i = 0; i < np; i += 6) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = recvfrom(p[i].fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
			if (n >= 0)
				sendto(p[i].fd, buf, (size_t)n, 0,
				       (struct sockaddr *)&from, fl);
		}
		for (int i = 1; i < np; i++) {
			int c;

			if (i == 6 || !p[i].revents)
				continue;
			c = accept(p[i].fd, NULL, NULL);
			if (c < 0)
				continue;
			if (fork() == 0) {
				alarm(30);
				if (i == 1 || i == 5 || i == 7)
					tcp_echo(c);
				else if (i == 2)
					tcp_reset(c);
				else if (i == 3)
					tcp_connect_back(c);
				else
					tcp_stall(c);
				close(c);
				_exit(0);
			}
			close(c);
		}
	}
	return 0;
}
