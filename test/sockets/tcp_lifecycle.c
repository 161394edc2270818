/* SPDX-License-Identifier: MIT */
/*
 * tcp_lifecycle - the edges of a TCP socket's life as Linux has them: a
 * write after the peer's reset (ECONNRESET once, without SIGPIPE, then
 * EPIPE with it); a read after the peer's FIN and then a reset (end of
 * file, the error kept for SO_ERROR); connect() again after a failed one (it retries, blocking
 * or not; after the error was taken by SO_ERROR, ECONNABORTED first);
 * connect(AF_UNSPEC) on UDP and on TCP in every state (Linux's
 * tcp_disconnect(): a reset if connected, the socket reusable); SO_LINGER
 * with a timeout: close() waits until the FIN is acknowledged or the time
 * is up, blocking or not, and only for the last descriptor. With SIGPIPE
 * ignored (sshd), a write after a reset is the same, and a connected
 * socket's read() and write() stay read(2) and write(2): sshd's
 * privilege-separated child allows itself nothing else (seccomp).
 *   tcp_lifecycle PEER SELF   (peer: echo 7007, reset 7010, connect-back
 *   7012, a reader that stalls 7014)
 */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *peer, *self;
static volatile sig_atomic_t sigpipes;
static char buf[65536];

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int tcp(int flags)
{
	int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
	struct timeval tv = { 5, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int conn(int port)
{
	struct sockaddr_in to = sin_of(peer, port);
	int fd = tcp(0);

	if (connect(fd, (void *)&to, sizeof(to)))
		line("connect %d: %s", port, errname(errno));
	return fd;
}

static int so_error(int fd)
{
	int e = -1;
	socklen_t l = sizeof(e);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	return e;
}

static void echo_check(const char *what, int fd)
{
	ssize_t n = send(fd, "ping", 4, MSG_NOSIGNAL);

	if (n == 4)
		n = recv(fd, buf, 4, MSG_WAITALL);
	line("%s: echo %s", what, n == 4 && !memcmp(buf, "ping", 4) ? "ok" :
	     errname(errno));
}

/* wait until the peer's reset has arrived (the socket reads) */
static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	line("reset arrived: %d", poll(&p, 1, 5000) == 1);
}

/* Linux: tcp_sendmsg() -> sk_stream_error(): the pending error first,
 * and no SIGPIPE for it; then EPIPE, with SIGPIPE unless MSG_NOSIGNAL */
static void write_after_reset(void)
{
	int fd = conn(7010);
	struct iovec iov = { "x", 1 };

	signal(SIGPIPE, on_sigpipe);
	sigpipes = 0;
	send(fd, "x", 1, 0);
	wait_readable(fd);
	report("send after the reset", send(fd, "x", 1, 0));
	line("SIGPIPE: %d", (int)sigpipes);
	report("send again", send(fd, "x", 1, 0));
	line("SIGPIPE: %d", (int)sigpipes);
	report("send again, MSG_NOSIGNAL", send(fd, "x", 1, MSG_NOSIGNAL));
	line("SIGPIPE: %d", (int)sigpipes);
	line("recv: %zd", recv(fd, buf, 10, 0));
	line("SO_ERROR: %s", errname(so_error(fd)));
	close(fd);

	/* write() and writev(), which have no flags */
	fd = conn(7010);
	sigpipes = 0;
	send(fd, "x", 1, 0);
	wait_readable(fd);
	report("write after the reset", write(fd, "x", 1));
	report("writev", writev(fd, &iov, 1));
	line("SIGPIPE: %d", (int)sigpipes);
	close(fd);

	/* the error taken by SO_ERROR first: the write is EPIPE */
	fd = conn(7010);
	sigpipes = 0;
	send(fd, "x", 1, 0);
	wait_readable(fd);
	line("SO_ERROR: %s", errname(so_error(fd)));
	report("send after SO_ERROR took the reset",
	       send(fd, "x", 1, MSG_NOSIGNAL));
	line("SIGPIPE: %d", (int)sigpipes);
	close(fd);
	signal(SIGPIPE, SIG_DFL);
}

#if defined(__x86_64__)
#define TEST_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TEST_ARCH
/*
 * sshd's preauth sandbox, reduced: read, write and exit; fstat fails with
 * EACCES; any other call kills the process.
 */
static int sandbox_rw(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
#ifdef __NR_fstat
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fstat, 4, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_newfstatat, 4, 0),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_read, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* In a child so confined: an echo over a connected socket */
static void sandboxed_echo(void)
{
	int fd = conn(7007), st = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		bool ok = sandbox_rw() == 0 && write(fd, "ping", 4) == 4 &&
			  read(fd, buf, 4) == 4 && !memcmp(buf, "ping", 4);

		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		line("read and write only: killed by signal %d",
		     WTERMSIG(st));
	else
		line("read and write only: echo %s",
		     WEXITSTATUS(st) ? "failed" : "ok");
	close(fd);
}
#else
static void sandboxed_echo(void)
{
	line("read and write only: not tried on this architecture");
}
#endif

/* SIGPIPE ignored: the same errors, and no other system call */
static void write_sigpipe_ignored(void)
{
	int fd = conn(7010);

	signal(SIGPIPE, SIG_IGN);
	send(fd, "x", 1, 0);
	wait_readable(fd);
	report("SIGPIPE ignored: write after the reset", write(fd, "x", 1));
	report("SIGPIPE ignored: write again", write(fd, "x", 1));
	close(fd);
	sandboxed_echo();
	signal(SIGPIPE, SIG_DFL);
}

/* The peer's FIN, then its reset (it closed; our write draws the RST):
 * Linux's tcp_reset() leaves EPIPE in CLOSE_WAIT, and with it SIGPIPE */
static void reset_in_close_wait(void)
{
	struct sockaddr_in sa = sin_of("0.0.0.0", 7305);
	int l = tcp(0), c, a, one = 1;
	char req[64];
	ssize_t n;

	signal(SIGPIPE, on_sigpipe);
	sigpipes = 0;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (void *)&sa, sizeof(sa)) || listen(l, 4)) {
		line("listen 7305: %s", errname(errno));
		return;
	}
	c = conn(7012);
	snprintf(req, sizeof(req), "%s 7305\n", self);
	send(c, req, strlen(req), 0);
	a = accept(l, NULL, NULL);
	n = recv(a, buf, 2, MSG_WAITALL);
	line("close-wait: read %zd, then %zd", n, recv(a, buf, 10, 0));
	send(a, "x", 1, 0);             /* the peer has closed: RST */
	usleep(300000);
	report("close-wait: send after the reset", send(a, "x", 1, 0));
	line("SIGPIPE: %d", (int)sigpipes);
	report("close-wait: send again", send(a, "x", 1, 0));
	line("SIGPIPE: %d", (int)sigpipes);
	line("close-wait: recv %zd", recv(a, buf, 10, 0));
	close(a);
	close(c);
	close(l);
	signal(SIGPIPE, SIG_DFL);
}

/* Linux's tcp_recvmsg(): after the peer's FIN a read gives end of file,
 * even once a reset came since (SOCK_DONE is looked at before sk_err); the
 * reset's EPIPE stays for SO_ERROR (lighttpd logged "read failed: Broken
 * pipe" for every such connection) */
static void read_after_fin_and_reset(void)
{
	struct sockaddr_in sa = sin_of("0.0.0.0", 7306);
	int l = tcp(0), c, a, one = 1, e = -1;
	socklen_t len = sizeof(e);
	char req[64];
	ssize_t n;

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (void *)&sa, sizeof(sa)) || listen(l, 4)) {
		line("listen 7306: %s", errname(errno));
		return;
	}
	c = conn(7012);
	snprintf(req, sizeof(req), "%s 7306\n", self);
	send(c, req, strlen(req), 0);
	a = accept(l, NULL, NULL);
	n = recv(a, buf, 2, MSG_WAITALL);
	line("fin, reset: read %zd, then %zd", n, recv(a, buf, 10, 0));
	send(a, "x", 1, MSG_NOSIGNAL);  /* the peer has closed: RST */
	usleep(300000);
	n = recv(a, buf, 10, 0);
	line("fin, reset: recv %zd (%s)", n, n < 0 ? errname(errno) : "-");
	n = recv(a, buf, 10, 0);
	line("fin, reset: recv again %zd (%s)", n, n < 0 ? errname(errno) : "-");
	getsockopt(a, SOL_SOCKET, SO_ERROR, &e, &len);
	line("fin, reset: SO_ERROR %s", e ? errname(e) : "0");
	getsockopt(a, SOL_SOCKET, SO_ERROR, &e, &len);
	line("fin, reset: SO_ERROR again %s", e ? errname(e) : "0");
	close(a);
	close(c);
	close(l);
}

static void port_set(const char *what, int fd)
{
	struct sockaddr_in me;
	socklen_t l = sizeof(me);

	getsockname(fd, (void *)&me, &l);
	line("%s: local port set %d", what, me.sin_port != 0);
}

/* Linux's __inet_stream_connect(): a failed connect leaves the socket
 * unconnected (disconnect), so the next connect() tries again */
/* what epoll says of a failed non-blocking connect (EPOLLOUT asked, as
 * haproxy's checks do) */
static void epoll_failure(int fd)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLRDHUP }, got;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	got.events = 0;
	line("epoll: %d, error or hangup shown: %s", epoll_wait(ep, &got, 1, 5000),
	     got.events & (EPOLLERR | EPOLLHUP) ? "yes" : "no");
	close(ep);
}

static void connect_again(void)
{
	struct sockaddr_in closed = sin_of(peer, 7999), echo = sin_of(peer, 7007);
	struct pollfd p;
	int fd = tcp(0);

	report("connect to a closed port", connect(fd, (void *)&closed, sizeof(closed)));
	port_set("after the failure", fd);
	report("recv after the failure", recv(fd, buf, 1, MSG_DONTWAIT));
	report("send after the failure", send(fd, "x", 1, MSG_NOSIGNAL));
	report("connect again", connect(fd, (void *)&closed, sizeof(closed)));
	report("connect to the echo port", connect(fd, (void *)&echo, sizeof(echo)));
	echo_check("retried socket", fd);
	close(fd);

	fd = tcp(SOCK_NONBLOCK);
	report("non-blocking connect to a closed port",
	       connect(fd, (void *)&closed, sizeof(closed)));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	line("poll: %d", poll(&p, 1, 5000));
	/* the kernel shows the failure as POLLERR and POLLHUP besides
	 * POLLOUT: haproxy takes POLLOUT alone for connected */
	line("...error or hangup shown: %s",
	     p.revents & (POLLERR | POLLHUP) ? "yes" : "no");
	epoll_failure(fd);
	report("connect again (reports the outcome)",
	       connect(fd, (void *)&closed, sizeof(closed)));
	report("connect a third time (tries again)",
	       connect(fd, (void *)&closed, sizeof(closed)));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	line("poll: %d", poll(&p, 1, 5000));
	line("...error or hangup shown: %s",
	     p.revents & (POLLERR | POLLHUP) ? "yes" : "no");
	line("SO_ERROR: %s", errname(so_error(fd)));
	report("connect after SO_ERROR took it",
	       connect(fd, (void *)&closed, sizeof(closed)));
	report("connect to the echo port",
	       connect(fd, (void *)&echo, sizeof(echo)));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	line("poll: %d", poll(&p, 1, 5000));
	line("SO_ERROR: %s", errname(so_error(fd)));
	fcntl(fd, F_SETFL, 0);
	echo_check("retried non-blocking socket", fd);
	close(fd);
}

static void udp_disconnect(void)
{
	struct sockaddr_in to = sin_of(peer, 7007), me;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t l = sizeof(me);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	report("udp: connect", connect(fd, (void *)&to, sizeof(to)));
	report("udp: connect(AF_UNSPEC)", connect(fd, &unspec, sizeof(unspec)));
	report("udp: getpeername", getpeername(fd, (void *)&me, &l));
	report("udp: send without an address", send(fd, "x", 1, 0));
	report("udp: connect(AF_UNSPEC) again", connect(fd, &unspec, sizeof(unspec)));
	close(fd);
}

/* Linux's tcp_disconnect(): CLOSE, a reset to a connected peer, the
 * error ECONNRESET; the socket can connect or listen again */
static void tcp_disconnect(void)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sockaddr_in echo = sin_of(peer, 7007), me;
	struct sockaddr_in nobody = sin_of("192.0.2.99", 7007);
	struct sockaddr_in sa = sin_of("0.0.0.0", 7303);
	socklen_t l = sizeof(me);
	int fd = tcp(0), one = 1;
	char req[64];

	report("tcp unconnected: connect(AF_UNSPEC)",
	       connect(fd, &unspec, sizeof(unspec)));
	report("tcp: connect(AF_UNSPEC) with a 1-byte address",
	       connect(fd, &unspec, 1));
	close(fd);

	fd = conn(7007);
	echo_check("tcp connected", fd);
	report("tcp connected: connect(AF_UNSPEC)",
	       connect(fd, &unspec, sizeof(unspec)));
	line("SO_ERROR: %s", errname(so_error(fd)));
	report("getpeername", getpeername(fd, (void *)&me, &l));
	port_set("after the disconnect", fd);
	report("recv", recv(fd, buf, 10, MSG_DONTWAIT));
	report("send", send(fd, "x", 1, MSG_NOSIGNAL));
	report("connect again", connect(fd, (void *)&echo, sizeof(echo)));
	echo_check("reconnected", fd);
	close(fd);

	fd = tcp(SOCK_NONBLOCK);
	report("tcp connecting", connect(fd, (void *)&nobody, sizeof(nobody)));
	report("tcp connecting: connect(AF_UNSPEC)",
	       connect(fd, &unspec, sizeof(unspec)));
	line("SO_ERROR: %s", errname(so_error(fd)));
	close(fd);

	fd = tcp(0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	report("bind 7303", bind(fd, (void *)&sa, sizeof(sa)));
	report("listen", listen(fd, 4));
	report("tcp listening: connect(AF_UNSPEC)",
	       connect(fd, &unspec, sizeof(unspec)));
	l = sizeof(one);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &one, &l);
	line("SO_ACCEPTCONN: %d", one);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	report("accept", accept(fd, NULL, NULL));
	port_set("after the disconnect", fd);
	report("listen again", listen(fd, 4));
	{
		int c = conn(7012), a;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		snprintf(req, sizeof(req), "%s 7303\n", self);
		send(c, req, strlen(req), 0);
		poll(&p, 1, 5000);
		a = accept(fd, NULL, NULL);
		report("accept after listening again", a);
		if (a >= 0) {
			ssize_t n;

			fcntl(a, F_SETFL, 0);
			n = recv(a, buf, 2, MSG_WAITALL);
			line("accepted: read %zd", n);
			close(a);
		}
		close(c);
	}
	close(fd);
}

static double timed_close(int fd)
{
	double t0 = now_s();
	int rc = close(fd);

	if (rc)
		line("close: %s", errname(errno));
	return now_s() - t0;
}

/* fill the peer's window and our buffers: the FIN cannot go out */
static int stalled(int lsecs, bool nonblock)
{
	struct linger lg = { 1, lsecs };
	int fd = conn(7014), fl = fcntl(fd, F_GETFL);
	long total = 0;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (int i = 0; i < 100000; i++) {
		ssize_t n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);

		if (n < 0) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (errno != EAGAIN || poll(&p, 1, 500) == 0)
				break;
			continue;
		}
		total += n;
	}
	if (!nonblock)
		fcntl(fd, F_SETFL, fl);
	line("stalled: sent more than 64 KiB: %d", total > 65536);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return fd;
}

/* Linux's inet_release() -> tcp_close(sk, lingertime) ->
 * sk_stream_wait_close(): until FIN_WAIT_1, CLOSING and LAST_ACK are
 * over, or the time is up; O_NONBLOCK does not matter; close() returns 0 */
static void linger_waits(void)
{
	struct linger lg = { 1, 10 }, got;
	socklen_t l = sizeof(got);
	int fd = conn(7007), fd2;
	double dt;

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &l);
	line("SO_LINGER: %d %d", got.l_onoff, got.l_linger);
	echo_check("lingering socket", fd);
	dt = timed_close(fd);
	line("linger 10 s, the FIN acknowledged at once: close took less than 5 s: %d",
	     dt < 5);

	fd = stalled(1, false);
	dt = timed_close(fd);
	line("linger 1 s, the FIN stuck: close waited 0.9 to 10 s: %d",
	     dt > 0.9 && dt < 10);

	fd = stalled(1, true);
	dt = timed_close(fd);
	line("the same, O_NONBLOCK: close waited 0.9 to 10 s: %d",
	     dt > 0.9 && dt < 10);

	fd = stalled(3, false);
	fd2 = dup(fd);
	dt = timed_close(fd);
	line("linger 3 s, another descriptor left: close took less than 2.5 s: %d",
	     dt < 2.5);
	dt = timed_close(fd2);
	line("the last one: close waited 2.9 to 12 s: %d", dt > 2.9 && dt < 12);
}

/* SO_LINGER and IP_TTL pass from a listener to what it accepts (the
 * daemon keeps them apart from the socket, once set: sock_opts) */
static void linger_inherited(void)
{
	struct sockaddr_in sa = sin_of("0.0.0.0", 7304);
	struct linger lg = { 1, 7 }, got = { -1, -1 };
	socklen_t l = sizeof(got), tl = sizeof(int);
	int fd = tcp(0), one = 1, ttl = 33, c, a;
	char req[64];

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	if (bind(fd, (void *)&sa, sizeof(sa)) || listen(fd, 4)) {
		line("listen 7304: %s", errname(errno));
		return;
	}
	c = conn(7012);
	snprintf(req, sizeof(req), "%s 7304\n", self);
	send(c, req, strlen(req), 0);
	a = accept(fd, NULL, NULL);
	getsockopt(a, SOL_SOCKET, SO_LINGER, &got, &l);
	line("accepted: SO_LINGER %d %d", got.l_onoff, got.l_linger);
	ttl = -1;
	getsockopt(a, IPPROTO_IP, IP_TTL, &ttl, &tl);
	line("accepted: IP_TTL %d", ttl);
	close(a);
	close(c);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tcp_lifecycle PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	write_after_reset();
	write_sigpipe_ignored();
	reset_in_close_wait();
	read_after_fin_and_reset();
	connect_again();
	udp_disconnect();
	tcp_disconnect();
	linger_waits();
	linger_inherited();
	return 0;
}
