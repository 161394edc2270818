/* SPDX-License-Identifier: MIT */
/*
 * tcp_basic - TCP as Linux has it: connect (refused, blocking,
 * non-blocking with EINPROGRESS then SO_ERROR, EHOSTUNREACH from a
 * neighbour that never answers ARP), EISCONN/EALREADY-free
 * retries, data both ways with MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT,
 * FIONREAD, names, options, half-close, reads after shutdown(SHUT_RD), ECONNRESET then EPIPE with and
 * without SIGPIPE, listening and accept4, EADDRINUSE, a socket shared by
 * fork, timeouts, readiness over ustack and kernel fds mixed.
 *   tcp_basic PEER SELF   (peer: echo 7007, reset 7010, connect-back 7012)
 */
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static char buf[200000], big[100000];
static const char *peer, *self;
static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static int tcp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { 5, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int conn(int port)
{
	struct sockaddr_in to = sin_of(peer, port);
	int fd = tcp();

	if (connect(fd, (void *)&to, sizeof(to)))
		line("connect %d: %s", port, errname(errno));
	return fd;
}

static void unconnected(void)
{
	struct sockaddr_in far = sin_of("198.51.100.9", 7400), me;
	socklen_t l = sizeof(me);
	int fd = tcp();

	report("send, never connected", send(fd, "x", 1, MSG_NOSIGNAL));
	report("recv, never connected", recv(fd, buf, 1, MSG_DONTWAIT));
	report("getpeername, never connected", getpeername(fd, (void *)&me, &l));
	report("shutdown, never connected", shutdown(fd, SHUT_RDWR));
	report("bind to an address not ours", bind(fd, (void *)&far, sizeof(far)));
	l = sizeof(me);
	getsockname(fd, (void *)&me, &l);
	line("getsockname unbound: %s:%d", inet_ntoa(me.sin_addr), ntohs(me.sin_port));
	close(fd);
}

static long blocked_n;
static int blocked_errno;

static void *blocked_reader(void *arg)
{
	blocked_n = recv(*(int *)arg, buf, sizeof(buf), 0);
	blocked_errno = errno;
	return NULL;
}

/* shutdown(@how) wakes a thread blocked in recv, which returns 0 */
static void shutdown_wakes(int how, const char *name)
{
	int fd = conn(7007);
	char what[80];
	pthread_t th;
	long rc;

	pthread_create(&th, NULL, blocked_reader, &fd);
	usleep(200000);
	rc = shutdown(fd, how);
	pthread_join(th, NULL);
	snprintf(what, sizeof(what), "shutdown %s with a thread blocked in recv",
		 name);
	report(what, rc);
	line("the blocked recv returned %ld (%s)", blocked_n,
	     blocked_n < 0 ? errname(blocked_errno) : "ok");
	snprintf(what, sizeof(what), "send after %s", name);
	report(what, send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

/*
 * Linux's quirk after shutdown(SHUT_RD): what arrives is still queued and
 * read (tcp_recvmsg() looks at the queue before RCV_SHUTDOWN), and a read
 * with nothing queued returns 0 at once; poll says POLLIN|POLLRDHUP
 */
static void shutdown_rd_reads(void)
{
	int fd = conn(7007), n;
	struct pollfd p = { .fd = -1 };
	long rc;

	rc = shutdown(fd, SHUT_RD);
	report("shutdown SHUT_RD", rc);
	report("recv after SHUT_RD, nothing queued", recv(fd, buf, 10, 0));
	for (n = 0; n < 1000; n++)
		big[n] = (char)('a' + n % 26);
	report("send 1000 bytes after SHUT_RD", send(fd, big, 1000, 0));
	usleep(300000);         /* the echo is back */
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLRDHUP };
	poll(&p, 1, 1000);
	line("poll after SHUT_RD: POLLIN %d POLLRDHUP %d", !!(p.revents & POLLIN),
	     !!(p.revents & POLLRDHUP));
	report("recv MSG_PEEK 10 of the echo", recv(fd, buf, 10, MSG_PEEK));
	line("peeked the echo's start: %d", memcmp(buf, big, 10) == 0);
	rc = recv(fd, buf, 600, 0);
	report("recv 600 of the echo", rc);
	rc = recv(fd, buf + 600, 1000, 0);
	report("recv the rest of the echo", rc);
	line("the echo came back whole: %d", memcmp(buf, big, 1000) == 0);
	report("recv after that", recv(fd, buf, 10, 0));
	close(fd);
}

static void refused(void)
{
	struct sockaddr_in to = sin_of(peer, 7999);
	int fd = tcp(), e = -1;
	struct pollfd p;
	socklen_t l = sizeof(e);

	report("connect to a closed port", connect(fd, (void *)&to, sizeof(to)));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	report("non-blocking connect to a closed port", connect(fd, (void *)&to, sizeof(to)));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	e = poll(&p, 1, 5000);
	/* the kernel's tcp_reset() wakes the poller with sk_err set, and
	 * POLLOUT comes with tcp_done()'s shutdown: a poll that runs between
	 * the two sees POLLERR alone (seen once in a run here), so what is compared is
	 * that the outcome shows */
	line("poll: %d POLLOUT or error=%d", e,
	     !!(p.revents & (POLLOUT | POLLERR | POLLHUP)));
	e = -1;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	line("SO_ERROR: %s", errname(e));
	close(fd);
}

/*
 * A neighbour on our subnet that never answers ARP: after the ARP
 * requests run out (3 s here and in Linux) the connection fails with
 * EHOSTUNREACH, reported through POLLOUT and SO_ERROR.
 */
static void host_unreachable(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), e = -1;
	socklen_t l = sizeof(e);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int rc;

	((uint8_t *)&to.sin_addr.s_addr)[3] = 77;	/* nobody holds .77 */
	report("non-blocking connect to a silent neighbour",
	       connect(fd, (void *)&to, sizeof(to)));
	rc = poll(&p, 1, 10000);
	/* the outcome shows (POLLOUT may come a moment after the error or
	 * hangup, on the kernel as on ustack: see refused()) */
	line("poll: %d POLLOUT or error=%d", rc,
	     !!(p.revents & (POLLOUT | POLLERR | POLLHUP)));
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	line("SO_ERROR: %s", errname(e));
	close(fd);
}

static void nonblocking_connect(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), e = -1;
	socklen_t l = sizeof(e);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t n;
	int fd2;

	int rc;

	report("non-blocking connect", connect(fd, (void *)&to, sizeof(to)));
	rc = poll(&p, 1, 5000);
	line("poll: %d POLLOUT=%d", rc, !!(p.revents & POLLOUT));
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	line("SO_ERROR: %s", errname(e));
	report("connect again (completes it)", connect(fd, (void *)&to, sizeof(to)));
	report("connect a third time", connect(fd, (void *)&to, sizeof(to)));
	report("recv MSG_DONTWAIT, nothing there", recv(fd, buf, 10, MSG_DONTWAIT));
	report("send", send(fd, "ping", 4, 0));
	p.events = POLLIN;
	poll(&p, 1, 5000);
	n = recv(fd, buf, sizeof(buf), 0);
	line("echo: %zd '%.*s'", n, (int)(n > 0 ? n : 0), buf);
	/* nobody answers at .99: the handshake cannot end soon */
	to = sin_of("192.0.2.99", 7007);
	fd2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	report("non-blocking connect to nobody", connect(fd2, (void *)&to, sizeof(to)));
	report("connect while connecting", connect(fd2, (void *)&to, sizeof(to)));
	close(fd2);
	close(fd);
}

static void data(void)
{
	struct sockaddr_in me;
	struct sockaddr_storage them;
	socklen_t l = sizeof(me);
	int fd = conn(7007), n = -1, v;
	char a[64];
	ssize_t got;

	getsockname(fd, (void *)&me, &l);
	line("getsockname: %s, port set %d", inet_ntoa(me.sin_addr), me.sin_port != 0);
	l = sizeof(them);
	getpeername(fd, (void *)&them, &l);
	line("getpeername: %s", ntop((void *)&them, a, sizeof(a)));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 13 + 1);
	report("send 100000", send(fd, big, sizeof(big), 0) == (ssize_t)sizeof(big) ? 0 : -1);
	got = recv(fd, buf, 5, MSG_PEEK | MSG_WAITALL);
	line("peek 5: %zd", got);
	got = recv(fd, buf, sizeof(big), MSG_WAITALL);
	line("MSG_WAITALL 100000: %zd equal %d", got, got == (ssize_t)sizeof(big) &&
	     !memcmp(buf, big, sizeof(big)));
	send(fd, "0123456789", 10, 0);
	usleep(200000);
	ioctl(fd, FIONREAD, &n);
	line("FIONREAD: %d", n);
	recv(fd, buf, 10, MSG_WAITALL);
	l = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l);
	line("SO_TYPE: %d", v);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l);
	line("SO_ACCEPTCONN: %d", v);
	v = 1;
	report("TCP_NODELAY", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	l = sizeof(v);
	getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l);
	line("TCP_NODELAY: %d", v);
	v = 1;
	report("TCP_CORK", setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)));
	v = 0;
	setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v));
	v = 1;
	report("SO_KEEPALIVE", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
	v = 30;
	report("TCP_KEEPIDLE 30", setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	v = 5;
	report("TCP_KEEPINTVL 5", setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof(v)));
	v = 4;
	report("TCP_KEEPCNT 4", setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v)));
	l = sizeof(v);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l);
	line("TCP_KEEPIDLE: %d", v);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &l);
	line("TCP_KEEPINTVL: %d", v);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &l);
	line("TCP_KEEPCNT: %d", v);
	v = 0;
	report("TCP_KEEPIDLE 0", setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	/* TCP_USER_TIMEOUT: ms, unsigned, negative refused, 0 = default
	 * (dig +tcp sets it) */
	l = sizeof(v);
	v = -7;
	getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &l);
	line("TCP_USER_TIMEOUT default: %d", v);
	v = 2500;
	report("TCP_USER_TIMEOUT 2500",
	       setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)));
	getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &l);
	line("TCP_USER_TIMEOUT: %d", v);
	v = -1;
	report("TCP_USER_TIMEOUT -1",
	       setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)));
	getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &l);
	line("TCP_USER_TIMEOUT after -1: %d", v);
	v = 0x7fffffff;
	report("TCP_USER_TIMEOUT INT_MAX",
	       setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)));
	v = 0;
	report("TCP_USER_TIMEOUT 0",
	       setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)));
	getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &l);
	line("TCP_USER_TIMEOUT after 0: %d", v);
	{
		struct tcp_info ti;

		l = sizeof(ti);
		report("TCP_INFO", getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l));
		line("TCP_INFO state established: %d", ti.tcpi_state == 1);
	}
	/* half-close: the echo server sees our FIN, answers it with its own */
	send(fd, "last", 4, 0);
	report("shutdown SHUT_WR", shutdown(fd, SHUT_WR));
	got = recv(fd, buf, 4, MSG_WAITALL);
	line("after SHUT_WR, the echo still comes: %zd", got);
	got = recv(fd, buf, 10, 0);
	line("then end of stream: %zd", got);
	report("send after SHUT_WR", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

static void reset(void)
{
	int fd = conn(7010);
	long n;

	signal(SIGPIPE, on_sigpipe);
	send(fd, "x", 1, 0);
	n = recv(fd, buf, sizeof(buf), 0);
	report("recv after the peer's reset", n);
	n = recv(fd, buf, sizeof(buf), 0);
	line("recv again: %ld", n);
	report("send after reset, MSG_NOSIGNAL", send(fd, "x", 1, MSG_NOSIGNAL));
	line("SIGPIPE so far: %d", (int)sigpipes);
	report("send after reset", send(fd, "x", 1, 0));
	line("SIGPIPE: %d", (int)sigpipes);
	close(fd);
	signal(SIGPIPE, SIG_DFL);
}

/*
 * getsockopt(IP_PKTOPTIONS) (dnsmasq asks it of each TCP connection):
 * nothing before IP_PKTINFO, then an IP_PKTINFO message with the local
 * address and, for an accepted connection, the interface it came in on
 * (Linux's mc_index; 0 for a connection we opened)
 */
static void pktoptions(const char *what, int fd)
{
	union {
		struct cmsghdr h;
		char b[256];
	} cm;
	socklen_t len = sizeof(cm.b);
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	struct in_pktinfo pi;
	int one = 1;

	getsockname(fd, (void *)&me, &ml);
	report("IP_PKTOPTIONS", getsockopt(fd, IPPROTO_IP, IP_PKTOPTIONS,
					   cm.b, &len));
	line("%s: IP_PKTOPTIONS before IP_PKTINFO: length %u", what, len);
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	len = sizeof(cm.b);
	report("IP_PKTOPTIONS", getsockopt(fd, IPPROTO_IP, IP_PKTOPTIONS,
					   cm.b, &len));
	if (len < CMSG_LEN(sizeof(pi))) {
		line("%s: IP_PKTOPTIONS length %u", what, len);
		return;
	}
	memcpy(&pi, CMSG_DATA(&cm.h), sizeof(pi));
	line("%s: IP_PKTOPTIONS length %u, level %d type %d, ifindex %s, "
	     "addr is ours %d, spec_dst is ours %d", what, len,
	     cm.h.cmsg_level, cm.h.cmsg_type,
	     pi.ipi_ifindex == 0 ? "0" :
	     pi.ipi_ifindex == (int)if_nametoindex(getenv("INET6_IF") ?
						   getenv("INET6_IF") : "") ?
	     "the link's" : "other",
	     pi.ipi_addr.s_addr == me.sin_addr.s_addr,
	     pi.ipi_spec_dst.s_addr == me.sin_addr.s_addr);
}

static void listening(void)
{
	struct sockaddr_in sa = sin_of("0.0.0.0", 7300), from;
	socklen_t fl = sizeof(from);
	int l = tcp(), l2 = tcp(), c, v = -1, one = 1;
	socklen_t vl = sizeof(v);
	char req[64];
	ssize_t n;
	struct pollfd p;

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	report("bind 7300", bind(l, (void *)&sa, sizeof(sa)));
	report("accept before listen", accept(l, NULL, NULL));
	report("listen", listen(l, 16));
	getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
	line("SO_ACCEPTCONN: %d", v);
	report("bind 7300 again", bind(l2, (void *)&sa, sizeof(sa)));
	close(l2);
	fcntl(l, F_SETFL, O_NONBLOCK);
	report("accept, nothing pending", accept(l, NULL, NULL));
	c = conn(7012);
	snprintf(req, sizeof(req), "%s 7300\n", self);
	send(c, req, strlen(req), 0);
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	line("poll listener: %d", poll(&p, 1, 5000));
	n = accept4(l, (void *)&from, &fl, SOCK_CLOEXEC);
	report("accept4", n);
	line("peer address: %s, addrlen %u, cloexec %d, nonblock %d",
	     inet_ntoa(from.sin_addr), fl,
	     n >= 0 && (fcntl((int)n, F_GETFD) & FD_CLOEXEC),
	     n >= 0 && (fcntl((int)n, F_GETFL) & O_NONBLOCK));
	if (n >= 0) {
		int a = (int)n;
		struct timeval tv = { 5, 0 };

		setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		pktoptions("accepted", a);
		n = recv(a, buf, 10, MSG_WAITALL);
		line("accepted: read %zd '%.*s'", n, (int)(n > 0 ? n : 0), buf);
		n = recv(a, buf, 10, 0);
		line("accepted: then %zd", n);
		close(a);
	}
	pktoptions("connected", c);
	close(c);
	/* accept4(SOCK_NONBLOCK): non-blocking, and a read says EAGAIN
	 * until the data is there */
	c = conn(7012);
	send(c, req, strlen(req), 0);
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	line("poll listener again: %d", poll(&p, 1, 5000));
	n = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	report("accept4 SOCK_NONBLOCK", n);
	if (n >= 0) {
		int a = (int)n;

		line("nonblock %d, cloexec %d",
		     !!(fcntl(a, F_GETFL) & O_NONBLOCK),
		     !!(fcntl(a, F_GETFD) & FD_CLOEXEC));
		p = (struct pollfd){ .fd = a, .events = POLLIN };
		line("poll accepted: %d", poll(&p, 1, 5000));
		n = recv(a, buf, 10, 0);
		line("accepted: read %zd '%.*s'", n, (int)(n > 0 ? n : 0), buf);
		close(a);
	}
	close(c);
	close(l);
	/* socket() as asked */
	c = socket(AF_INET, SOCK_STREAM, 0);
	n = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	line("socket nonblock %d, SOCK_NONBLOCK nonblock %d",
	     !!(fcntl(c, F_GETFL) & O_NONBLOCK),
	     n >= 0 && (fcntl((int)n, F_GETFL) & O_NONBLOCK));
	close(c);
	if (n >= 0)
		close((int)n);
}

static void shared(void)
{
	int fd = conn(7007), st;
	pid_t pid;
	long n;

	pid = fork();
	if (pid == 0) {
		usleep(200000);    /* the parent has closed its copy */
		n = send(fd, "child", 5, 0);
		n = recv(fd, buf, 5, MSG_WAITALL);
		_exit(n == 5 ? 0 : 1);
	}
	close(fd);
	waitpid(pid, &st, 0);
	line("socket shared by fork works after the parent's close: %d",
	     WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void readiness(void)
{
	int fd = conn(7007), pfd[2], ep, n;
	struct epoll_event ev, out[4];
	struct pollfd p[2];

	if (pipe(pfd))
		return;
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = pfd[0] };
	epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev);
	line("epoll idle: %d", epoll_wait(ep, out, 4, 100));
	send(fd, "abc", 3, 0);
	n = epoll_wait(ep, out, 4, 5000);
	line("epoll after echo: %d", n);
	line("epoll edge, again: %d", epoll_wait(ep, out, 4, 100));
	if (write(pfd[1], "x", 1) != 1)
		return;
	p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	n = poll(p, 2, 100);
	line("poll: %d tcp=%d pipe=%d", n, !!p[0].revents, !!p[1].revents);
	recv(fd, buf, 3, MSG_WAITALL);
	close(ep);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

static void timeouts(void)
{
	int fd = conn(7007);
	struct timeval tv = { 0, 300000 };
	struct timespec t0, t1;
	double dt;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	report("recv with SO_RCVTIMEO 300 ms", recv(fd, buf, 10, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	line("timed out after 0.25-1.5 s: %d", dt > 0.25 && dt < 1.5);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tcp_basic PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	unconnected();
	refused();
	host_unreachable();
	nonblocking_connect();
	data();
	reset();
	listening();
	shared();
	readiness();
	timeouts();
	shutdown_wakes(SHUT_RDWR, "SHUT_RDWR");
	shutdown_rd_reads();
	/* a thread blocked in recv wakes with 0 at SHUT_RD alone too */
	shutdown_wakes(SHUT_RD, "SHUT_RD");
	return 0;
}
