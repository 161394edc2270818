/* SPDX-License-Identifier: MIT */
/*
 * udp_io - blocking and non-blocking UDP, timeouts, readiness with
 * select/poll/epoll over ustack and kernel fds mixed, ioctls, options,
 * shutdown waking a blocked thread, dup and fork sharing a socket.
 *   udp_io PEER SELF   (peer echoes on PEER:7007)
 */
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static char buf[70000];
static const char *peer;

static int conn(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	connect(fd, (void *)&to, sizeof(to));
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nonblocking(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1, fl;
	struct sockaddr_in to = sin_of(peer, 7007);

	report("recv SOCK_NONBLOCK empty", recv(fd, buf, 10, 0));
	fl = fcntl(fd, F_GETFL);
	line("F_GETFL: O_NONBLOCK=%d O_RDWR=%d", !!(fl & O_NONBLOCK),
	     (fl & O_ACCMODE) == O_RDWR);
	report("clear O_NONBLOCK", fcntl(fd, F_SETFL, fl & ~O_NONBLOCK));
	report("recv MSG_DONTWAIT empty", recv(fd, buf, 10, MSG_DONTWAIT));
	report("FIONBIO on", ioctl(fd, FIONBIO, &one));
	report("recvfrom after FIONBIO", recvfrom(fd, buf, 10, 0, NULL, NULL));
	connect(fd, (void *)&to, sizeof(to));
	close(fd);
}

static void timeouts(void)
{
	struct timeval tv = { 0, 300000 }, got;
	socklen_t l = sizeof(got);
	int fd = conn();
	double t0;
	long rc;

	report("SO_RCVTIMEO 300 ms", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &l);
	line("SO_RCVTIMEO reads back: %ld.%06ld", (long)got.tv_sec, (long)got.tv_usec);
	t0 = now();
	rc = recv(fd, buf, 10, 0);
	report("recv with nothing to read", rc);
	line("timed out after 0.25-1.5 s: %d", now() - t0 > 0.25 && now() - t0 < 1.5);
	report("SO_SNDTIMEO", setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	close(fd);
}

static void ioctls(void)
{
	int fd = conn(), n = -1;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	report("FIONREAD empty", ioctl(fd, FIONREAD, &n));
	line("FIONREAD empty: %d", n);
	send(fd, "0123456789", 10, 0);
	send(fd, "abc", 3, 0);
	poll(&p, 1, 3000);
	usleep(100000);
	ioctl(fd, FIONREAD, &n);
	line("FIONREAD: %d (the next datagram)", n);
	ioctl(fd, SIOCINQ, &n);
	line("SIOCINQ: %d", n);
	report("SIOCOUTQ", ioctl(fd, SIOCOUTQ, &n));
	line("SIOCOUTQ: %d", n);
	recv(fd, buf, sizeof(buf), 0);
	recv(fd, buf, sizeof(buf), 0);
	close(fd);
}

static void options(void)
{
	int fd = conn(), v = -1, one = 1;
	socklen_t l = sizeof(v);
	struct linger lg = { 1, 5 }, lg2;

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l);
	line("SO_TYPE: %d (SOCK_DGRAM %d)", v, SOCK_DGRAM);
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l);
	line("SO_DOMAIN: %d", v);
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l);
	line("SO_PROTOCOL: %d", v);
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
	line("SO_ERROR: %d", v);
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l);
	line("SO_ACCEPTCONN: %d", v);
	v = 4096;
	report("SO_RCVBUF 4096", setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l);
	line("SO_RCVBUF: %d", v);
	v = 1;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &l);
	line("SO_SNDBUF minimum: %d", v);
	report("SO_KEEPALIVE", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &l);
	line("SO_KEEPALIVE: %d", v);
	report("SO_LINGER", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	l = sizeof(lg2);
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg2, &l);
	line("SO_LINGER: %d %d len %u", lg2.l_onoff, lg2.l_linger, l);
	report("TCP_NODELAY on UDP", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	v = 32;
	report("IP_TTL", setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	l = sizeof(v);
	getsockopt(fd, IPPROTO_IP, IP_TTL, &v, &l);
	line("IP_TTL: %d", v);
	report("unknown SOL_SOCKET option", setsockopt(fd, SOL_SOCKET, 9999, &one, sizeof(one)));
	report("getsockopt on a pipe", getsockopt(0, SOL_SOCKET, SO_TYPE, &v, &l));
	close(fd);
}

static void readiness(void)
{
	int fd = conn(), pfd[2], ep, n;
	struct pollfd p[2];
	struct epoll_event ev, out[4];
	fd_set r;
	struct timeval tv = { 0, 100000 };

	if (pipe(pfd))
		return;
	p[0] = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	p[1] = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	n = poll(p, 2, 100);
	line("poll idle: %d udp in=%d out=%d pipe=%d", n, !!(p[0].revents & POLLIN),
	     !!(p[0].revents & POLLOUT), !!p[1].revents);
	send(fd, "ping", 4, 0);
	if (write(pfd[1], "x", 1) != 1)
		return;
	p[0].events = POLLIN;
	poll(p, 1, 3000);        /* the echo, first alone */
	poll(p, 2, 100);
	line("poll: udp in=%d pipe in=%d", !!(p[0].revents & POLLIN),
	     !!(p[1].revents & POLLIN));
	FD_ZERO(&r);
	FD_SET(fd, &r);
	FD_SET(pfd[0], &r);
	n = select((fd > pfd[0] ? fd : pfd[0]) + 1, &r, NULL, NULL, &tv);
	line("select: %d udp=%d pipe=%d", n, FD_ISSET(fd, &r), FD_ISSET(pfd[0], &r));
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = pfd[0] };
	epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev);
	n = epoll_wait(ep, out, 4, 100);
	line("epoll: %d events", n);
	n = epoll_wait(ep, out, 4, 100);
	line("epoll again (udp level, pipe edge): %d event(s), udp %d", n,
	     n == 1 && out[0].data.fd == fd);
	recv(fd, buf, sizeof(buf), 0);
	n = epoll_wait(ep, out, 4, 100);
	line("epoll after reading: %d", n);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	send(fd, "ping", 4, 0);
	n = epoll_wait(ep, out, 4, 3000);
	line("epoll edge on udp: %d", n);
	n = epoll_wait(ep, out, 4, 100);
	line("epoll edge on udp, again: %d", n);
	recv(fd, buf, sizeof(buf), 0);
	close(ep);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

static long blocked_n;
static int blocked_errno;

static void *blocked_reader(void *arg)
{
	int fd = *(int *)arg;

	blocked_n = recv(fd, buf, sizeof(buf), 0);
	blocked_errno = errno;
	return NULL;
}

static void shutdown_wakes(void)
{
	pthread_t th;
	int fd = conn();
	long rc;

	pthread_create(&th, NULL, blocked_reader, &fd);
	usleep(200000);
	rc = shutdown(fd, SHUT_RDWR);
	pthread_join(th, NULL);
	report("shutdown SHUT_RDWR", rc);
	line("blocked recv returned %ld (%s)", blocked_n,
	     blocked_n < 0 ? errname(blocked_errno) : "ok");
	report("send after SHUT_WR", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	report("shutdown unconnected", shutdown(fd, SHUT_RD));
	report("shutdown bad how", shutdown(fd, 7));
	close(fd);
}

static void sharing(void)
{
	int fd = conn(), d, st;
	pid_t pid;
	long n;
	struct timeval tv = { 3, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	d = dup(fd);
	close(fd);
	report("send on dup after closing the original", send(d, "dup", 3, 0));
	n = recv(d, buf, sizeof(buf), 0);
	line("recv on dup: %ld", n);
	fd = fcntl(d, F_DUPFD_CLOEXEC, 100);
	line("F_DUPFD_CLOEXEC >= 100: %d", fd >= 100);
	report("getpeername on F_DUPFD copy", getpeername(fd, (void *)buf, &(socklen_t){ 64 }));
	close(fd);
	pid = fork();
	if (pid == 0) {
		report("child: send on inherited socket", send(d, "child", 5, 0));
		_exit(0);
	}
	waitpid(pid, &st, 0);
	n = recv(d, buf, sizeof(buf), 0);
	line("parent: echo of child's datagram: %ld", n);
	report("dup2 to 50", dup2(d, 50));
	close(d);
	report("send on 50", send(50, "x", 1, 0));
	recv(50, buf, sizeof(buf), 0);
	close(50);
	report("send on closed fd", send(50, "x", 1, 0));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: udp_io PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	nonblocking();
	timeouts();
	ioctls();
	options();
	readiness();
	shutdown_wakes();
	sharing();
	return 0;
}
