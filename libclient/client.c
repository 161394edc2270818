/* SPDX-License-Identifier: MIT */
/*
 * client.c - libustack: the socket calls on ustack's sockets
 *
 * Theory of operation. A ustack socket in a program is one end of an
 * AF_UNIX socketpair; the daemon holds the other end (its channel). What
 * is not data goes to the daemon as a request on this thread's control
 * connection (SOCK_SEQPACKET, opened on first use, closed in a forked
 * child and when the thread exits), carrying the socket's fd with
 * SCM_RIGHTS as proof that we hold it. Replies carry the status Linux
 * would give, mapped to errno here and only here.
 *
 * Data: a datagram socket's channel is SOCK_SEQPACKET (dgram.c). A
 * stream's channel carries the bytes; a send on it is made with
 * MSG_NOSIGNAL, so that when the daemon has shut the channel (a reset)
 * the daemon's error decides, as Linux's tcp_sendmsg() (ECONNRESET once,
 * then EPIPE and SIGPIPE); write() and writev() stay write(2) and
 * writev(2) when SIGPIPE is ignored (stream_xmit()). A stream that is not
 * connected or listens is answered here (stream_unusable()).
 * SO_ZEROCOPY and SO_TIMESTAMPING are kept here (errq.c): each send tells
 * it what went (xs_sent()), recvmsg(MSG_ERRQUEUE) on a stream takes its
 * reports, poll, ppoll, select and pselect add their POLLERR.
 * Blocking, O_NONBLOCK, SO_RCVTIMEO/SO_SNDTIMEO, poll/select/epoll are
 * the kernel's own on the program's end; the options that concern the
 * descriptor itself are set on it directly.
 *
 * The descriptor table (fdtab.c) says which fds are ours. A socket we
 * create or accept is entered at once; an fd we have not seen (inherited
 * across exec, received from another process) is asked about once: an
 * AF_UNIX socket whose peer is the daemon's process is looked up with a
 * QUERY. close and the dup family keep the table right, and an entry is
 * confirmed (the socket's identity) before anything but a plain stream
 * read or write relies on it, because libc closes sockets we never see
 * closed. The control connection is confirmed the same way before each
 * use: a program may close it with closefrom().
 *
 * A call made while the thread waits on its connection (from a signal
 * handler) uses a connection of its own. A blocking connect is the one
 * request whose reply may take long: a signal or SO_SNDTIMEO ends the
 * wait as in Linux, and its reply is then awaited by the next connect()
 * or noted when it passes by (struct pend_connect).
 */
#include "client.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_proto.h"

#define PUBLIC __attribute__((visibility("default")))

struct ust_real ust_r;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctl_key;
static __thread int ctl_fd = -1;
static __thread uint32_t ctl_id;        /* ctl_fd's identity */
static __thread uint32_t ctl_seq;
static _Atomic pid_t daemon_pid;

/*
 * Set while this thread waits for a reply on its connection. A call made
 * meanwhile (from a signal handler, also the SIGSYS one of trap.c) takes
 * a connection of its own, so that it neither reads the reply the outer
 * call waits for nor leaves its own behind.
 */
static __thread bool ctl_busy;
/* Set when a connection failed (not a reply's status): it is dropped */
static __thread bool ctl_broken;

/*
 * Blocking connects of this thread that a signal or SO_SNDTIMEO cut short:
 * their replies will come on this thread's control connection.
 */
struct pend_connect {
	int fd;
	uint32_t id;                    /* the socket's identity */
	uint32_t seq;                   /* the CONNECT request's */
	int status;                     /* its outcome, once done */
	bool live, done;
};
#define NPEND 4
static __thread struct pend_connect pendc[NPEND];

/* Forget the connection, closing it only if the number is still ours. */
static void ctl_drop(void)
{
	if (ctl_fd >= 0 && ust_identity(ctl_fd) == ctl_id)
		ust_r.close(ctl_fd);
	ctl_fd = -1;
	memset(pendc, 0, sizeof(pendc));
}

static void ctl_key_free(void *p)
{
	(void)p;
	ctl_drop();
}

/* A forked child shares the parent's control connection: open its own. */
static void atfork_child(void)
{
	ctl_drop();
	ctl_busy = false;       /* forked from a signal handler: no wait here */
	ust_xs_atfork();
	ust_ep_atfork();
}

/* epoll_pwait2(2) itself, where libc has no wrapper for it */
static int raw_epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			    const struct timespec *t, const sigset_t *mask)
{
#ifdef SYS_epoll_pwait2
	return (int)syscall(SYS_epoll_pwait2, epfd, ev, max, t, mask,
			    _NSIG / 8);
#else
	(void)epfd; (void)ev; (void)max; (void)t; (void)mask;
	errno = ENOSYS;
	return -1;
#endif
}

#define REAL(name) ust_r.name = (__typeof__(ust_r.name))dlsym(RTLD_NEXT, #name)

static void init_real(void)
{
	REAL(socket); REAL(bind); REAL(listen); REAL(accept4); REAL(connect);
	REAL(shutdown); REAL(close); REAL(getsockname); REAL(getpeername);
	REAL(getsockopt); REAL(setsockopt); REAL(sendmsg); REAL(recvmsg);
	REAL(send); REAL(recv); REAL(sendto); REAL(recvfrom);
	REAL(read); REAL(write); REAL(readv); REAL(writev); REAL(fcntl);
	REAL(ioctl); REAL(dup); REAL(dup2); REAL(dup3); REAL(poll);
	REAL(ppoll);
	REAL(select); REAL(pselect); REAL(sendfile); REAL(recvmmsg);
	REAL(sendmmsg);
	REAL(close_range); REAL(socketpair);
	REAL(epoll_ctl); REAL(epoll_pwait); REAL(epoll_pwait2);
	if (!ust_r.epoll_pwait2)        /* a libc older than 2.35 */
		ust_r.epoll_pwait2 = raw_epoll_pwait2;
	ust_fdtab_init();
	pthread_key_create(&ctl_key, ctl_key_free);
	pthread_atfork(NULL, NULL, atfork_child);
}

void ust_init(void)
{
	pthread_once(&init_once, init_real);
}

/* ---- the control connection ---- */

/*
 * The control socket's path, read once when the library loads: programs
 * such as nginx rebuild their environment before forking workers, and the
 * workers still need the daemon.
 */
static char ctl_path_buf[sizeof(((struct sockaddr_un *)0)->sun_path)];

__attribute__((constructor)) static void ctl_path_init(void)
{
	const char *p = getenv("USTACK_SOCKET");

	if (p && *p && strlen(p) < sizeof(ctl_path_buf))
		strcpy(ctl_path_buf, p);
}

/* The control socket's path, given (the supervisor, ustack-run's --socket) */
void ust_ctl_path_set(const char *path)
{
	if (strlen(path) < sizeof(ctl_path_buf))
		strcpy(ctl_path_buf, path);
}

static const char *ctl_path(void)
{
	const char *p;

	if (*ctl_path_buf)
		return ctl_path_buf;
	p = getenv("USTACK_SOCKET");
	return p && *p ? p : USTACK_DEFAULT_SOCKET;
}

/* Is this thread's control descriptor still the connection it opened? */
static bool ctl_alive(void)
{
	if (ctl_fd < 0)
		return false;
	if (ust_identity(ctl_fd) == ctl_id)
		return true;
	/* closed behind our back (closefrom, a raw close): the number may
	 * be another object now; leave it alone */
	ctl_fd = -1;
	memset(pendc, 0, sizeof(pendc));
	return false;
}

static int ctl_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = ctl_path();
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = ust_r.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ust_r.connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		ust_r.close(fd);
		return -e;
	}
	return fd;
}

static int ctl_get(void)
{
	int fd;

	if (ctl_alive())
		return ctl_fd;
	fd = ctl_open();
	if (fd < 0)
		return fd;
	ctl_fd = fd;
	ctl_id = ust_identity(fd);
	pthread_setspecific(ctl_key, (void *)1);
	return fd;
}


/* A reply for a request nobody waits for: an interrupted connect's? */
static void pend_note(const struct ustack_msg_hdr *rh)
{
	if ((rh->type & ~USTACK_MSG_REPLY) != USTACK_MSG_CONNECT)
		return;
	for (int i = 0; i < NPEND; i++) {
		if (pendc[i].live && !pendc[i].done && pendc[i].seq == rh->seq) {
			pendc[i].done = true;
			pendc[i].status = rh->status;
		}
	}
}

/* Send a request on connection @c. Return: 0, or -errno */
static int ctl_send(int c, uint16_t type, const void *body, size_t blen,
		    const struct iovec *iov2, int niov2, int fd, uint32_t seq)
{
	struct ustack_msg_hdr h = { .magic = USTACK_PROTO_MAGIC,
				    .version = USTACK_PROTO_VERSION,
				    .type = type, .seq = seq };
	struct iovec iov[3 + 64];
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 0 };
	size_t total = sizeof(h) + blen;
	ssize_t n;

	if (niov2 > 64)
		return -EMSGSIZE;
	iov[msg.msg_iovlen++] = (struct iovec){ &h, sizeof(h) };
	if (blen)
		iov[msg.msg_iovlen++] = (struct iovec){ (void *)body, blen };
	for (int i = 0; i < niov2; i++) {
		iov[msg.msg_iovlen++] = iov2[i];
		total += iov2[i].iov_len;
	}
	if (total > USTACK_MSG_MAX)
		return -EMSGSIZE;
	h.len = (uint32_t)total;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		cm.c.cmsg_level = SOL_SOCKET;
		cm.c.cmsg_type = SCM_RIGHTS;
		cm.c.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.c), &fd, sizeof(int));
	}
	do
		n = ust_r.sendmsg(c, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EBADF && fd >= 0)
		return -EBADF;          /* @fd is not open */
	if (n < 0) {
		ctl_broken = true;
		return -ENETDOWN;
	}
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until connection @c can be read. @deadline: CLOCK_MONOTONIC ms, or
 * -1 for none. @intr: a signal ends the wait. Return: 0, -EINTR, -EAGAIN
 * (the deadline passed)
 */
static int ctl_readable(int c, int64_t deadline, bool intr)
{
	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		int n;

		if (left < 0)
			left = 0;
		n = ust_r.poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == 0 && left < INT32_MAX)
			return -EAGAIN;
		if (n < 0 && errno == EINTR && intr)
			return -EINTR;
	}
}

/* Take the fds that came with a reply: the first in *got, close the rest */
static void ctl_take_fds(struct msghdr *m, int *got)
{
	for (struct cmsghdr *cp = CMSG_FIRSTHDR(m); cp; cp = CMSG_NXTHDR(m, cp)) {
		if (cp->cmsg_level != SOL_SOCKET || cp->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cp->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(cp) + i * sizeof(int), sizeof(f));
			if (*got < 0)
				*got = f;
			else
				ust_r.close(f);
		}
	}
}

/* How ctl_wait() waits */
struct ctl_how {
	int64_t deadline;       /* CLOCK_MONOTONIC ms, or -1: none */
	bool intr;              /* a signal ends the wait (-EINTR) */
	bool main;              /* @c is the thread's own connection */
};

/*
 * Wait on connection @c for the reply to request @seq of @type. Other
 * replies on the way are stale (an interrupted connect's: noted). Return:
 * its status, or -EINTR/-EAGAIN as @how allows, -ENETDOWN, -EPROTO
 */
static int ctl_wait(int c, uint16_t type, uint32_t seq, void *reply,
		    size_t rcap, size_t *rlen, int *rfd, int rflags,
		    const struct ctl_how *how)
{
	/* the largest reply: a DGERR with its bytes */
	uint8_t rbuf[sizeof(struct ustack_msg_hdr) +
		     sizeof(struct ustack_dgerr_reply) +
		     USTACK_DGERR_PAYLOAD_MAX];

	for (;;) {
		struct iovec riov = { rbuf, sizeof(rbuf) };
		union {
			struct cmsghdr c;
			char b[CMSG_SPACE(sizeof(int) * 4)];
		} rcm;
		struct msghdr rmsg = { .msg_iov = &riov, .msg_iovlen = 1,
				       .msg_control = rcm.b,
				       .msg_controllen = sizeof(rcm.b) };
		struct ustack_msg_hdr rh;
		int got = -1, rc;
		ssize_t n;

		if (how->deadline >= 0) {
			rc = ctl_readable(c, how->deadline, how->intr);
			if (rc)
				return rc;
		}
		n = ust_r.recvmsg(c, &rmsg, rflags |
				  (how->deadline >= 0 ? MSG_DONTWAIT : 0));
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			if (errno == EINTR && how->intr)
				return -EINTR;
			continue;
		}
		if (n <= 0) {
			ctl_broken = true;
			return -ENETDOWN;
		}
		ctl_take_fds(&rmsg, &got);
		if (ustack_msg_check(rbuf, (size_t)n, 1, &rh) ||
		    ((rh.type & ~USTACK_MSG_REPLY) != type && rh.seq == seq)) {
			if (got >= 0)
				ust_r.close(got);
			ctl_broken = true;
			return -EPROTO;
		}
		if (rh.seq != seq) {
			if (got >= 0)
				ust_r.close(got);
			if (how->main)
				pend_note(&rh);
			continue;
		}
		if (rh.status == 0 && rlen) {
			*rlen = (size_t)n - sizeof(rh);
			if (*rlen > rcap)
				*rlen = rcap;
			memcpy(reply, rbuf + sizeof(rh), *rlen);
		}
		if (rfd)
			*rfd = got;
		else if (got >= 0)
			ust_r.close(got);
		return rh.status;
	}
}

/* A call made while this thread already waits: on a connection of its own */
static int ctl_call_nested(uint16_t type, const void *body, size_t blen,
			   const struct iovec *iov2, int niov2, int fd,
			   void *reply, size_t rcap, size_t *rlen, int *rfd,
			   int rflags)
{
	const struct ctl_how how = { .deadline = -1 };
	bool broken = ctl_broken;       /* the outer call's */
	int c = ctl_open(), rc;

	if (c < 0)
		return -ENETDOWN;
	rc = ctl_send(c, type, body, blen, iov2, niov2, fd, 1);
	if (rc == 0)
		rc = ctl_wait(c, type, 1, reply, rcap, rlen, rfd, rflags, &how);
	ust_r.close(c);
	ctl_broken = broken;
	return rc;
}

/*
 * One request and its reply. @fd: sent with SCM_RIGHTS, or -1. @iov2: an
 * extra body part (a datagram's payload), or NULL. @rfd: set to an fd
 * that came with the reply (or -1). Return: the reply's status (0 or
 * -errno), or -ENETDOWN if the daemon is not there.
 */
static int ctl_call_iov(uint16_t type, const void *body, size_t blen,
			const struct iovec *iov2, int niov2, int fd,
			void *reply, size_t rcap, size_t *rlen, int *rfd,
			int rflags)
{
	const struct ctl_how how = { .deadline = -1, .main = true };
	uint32_t seq;
	int c, rc;

	if (rfd)
		*rfd = -1;
	/* a call that may change what a datagram send meets (dgram.c) */
	if (type == USTACK_MSG_BIND || type == USTACK_MSG_CONNECT ||
	    type == USTACK_MSG_SETSOCKOPT || type == USTACK_MSG_SHUTDOWN ||
	    type == USTACK_MSG_IOCTL || type == USTACK_MSG_RENEW)
		ust_dgram_fast_forget();
	if (ctl_busy)
		return ctl_call_nested(type, body, blen, iov2, niov2, fd,
				       reply, rcap, rlen, rfd, rflags);
	c = ctl_get();
	if (c < 0)
		return -ENETDOWN;
	ctl_busy = true;
	seq = ++ctl_seq;
	rc = ctl_send(c, type, body, blen, iov2, niov2, fd, seq);
	if (rc == 0)
		rc = ctl_wait(c, type, seq, reply, rcap, rlen, rfd, rflags, &how);
	ctl_busy = false;
	if (ctl_broken)
		ctl_drop();
	ctl_broken = false;
	return rc;
}

static int ctl_call(uint16_t type, const void *body, size_t blen, int fd,
		    void *reply, size_t rcap, size_t *rlen)
{
	return ctl_call_iov(type, body, blen, NULL, 0, fd, reply, rcap, rlen,
			    NULL, 0);
}

/*
 * ust_act_for() - this thread's requests act for process @pid from now on
 * (USTACK_MSG_ACT_FOR; said again only when @pid or the connection
 * changes). For the supervisor. Return: 0, or a negative errno
 */
static __thread pid_t act_pid;
static __thread uint32_t act_conn;      /* ctl_id it was said on */

int ust_act_for(pid_t pid)
{
	struct ustack_int v = { (int32_t)pid };
	int rc;

	if (act_pid == pid && act_conn && act_conn == ctl_id && ctl_fd >= 0)
		return 0;
	rc = ctl_call(USTACK_MSG_ACT_FOR, &v, sizeof(v), -1, NULL, 0, NULL);
	if (rc == 0) {
		act_pid = pid;
		act_conn = ctl_id;
	}
	return rc;
}

/* ust_sup_refused() - tell the daemon the supervisor could not serve a
 * call of the process this thread acts for, which failed with @err
 * (USTACK_MSG_SUP_REFUSED) */
void ust_sup_refused(int err)
{
	struct ustack_int v = { err };

	ctl_call(USTACK_MSG_SUP_REFUSED, &v, sizeof(v), -1, NULL, 0, NULL);
}

/* ctl_call_iov() for dgram.c */
int ust_call(uint16_t type, const void *body, size_t blen,
	     const struct iovec *iov2, int niov2, int fd, void *reply,
	     size_t rcap, size_t *rlen)
{
	return ctl_call_iov(type, body, blen, iov2, niov2, fd, reply, rcap,
			    rlen, NULL, 0);
}

static int fail(int negerr)
{
	errno = -negerr;
	return -1;
}

/* ---- the descriptor table ---- */

static char daemon_link[sizeof(((struct ustack_hello_reply *)0)->link)];

static pid_t get_daemon_pid(void)
{
	struct ustack_hello_reply r;
	size_t n = 0;
	pid_t p = atomic_load(&daemon_pid);

	if (p)
		return p;
	if (ctl_call(USTACK_MSG_HELLO, NULL, 0, -1, &r, sizeof(r), &n) ||
	    n != sizeof(r))
		return -1;
	r.link[sizeof(r.link) - 1] = '\0';
	memcpy(daemon_link, r.link, sizeof(daemon_link));
	atomic_store(&daemon_pid, (pid_t)r.pid);
	return (pid_t)r.pid;
}

/* The daemon's interface name (for IP_PKTINFO), or NULL if unreachable */
const char *ust_link_name(void)
{
	return get_daemon_pid() > 0 ? daemon_link : NULL;
}

static unsigned kind_of(const struct ustack_sock_info *info)
{
	return UST_OURS | (info->domain == AF_INET6 ? UST_V6 : 0) |
	       (info->protocol == IPPROTO_ICMP ||
		info->protocol == IPPROTO_ICMPV6 ? UST_ICMP : 0) |
	       ((unsigned)info->type & UST_TYPE_MASK);
}

/**
 * ust_resolve() - an fd not seen before: is it one of ours?
 * @fd: the descriptor (inherited across exec, received from elsewhere, or
 *      whose object changed since we learnt it)
 * @id: set to its identity (ust_identity()), or 0
 *
 * Return: UST_NOT_OURS, or UST_OURS|domain|type
 */
unsigned ust_resolve(int fd, uint32_t *id)
{
	struct ustack_sock_info info;
	struct ucred cr;
	socklen_t len = sizeof(int);
	int dom = 0;
	size_t n = 0;
	pid_t dp;
	int saved = errno;
	unsigned k = UST_NOT_OURS;

	*id = ust_identity(fd);
	if (!*id)
		goto out;
	if (ust_r.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) ||
	    dom != AF_UNIX)
		goto out;
	len = sizeof(cr);
	if (ust_r.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		goto out;
	dp = get_daemon_pid();
	if (dp <= 0 || cr.pid != dp)
		goto out;
	if (ctl_call(USTACK_MSG_QUERY, NULL, 0, fd, &info, sizeof(info), &n) ||
	    n != sizeof(info))
		goto out;
	k = kind_of(&info);
out:
	errno = saved;
	return k;
}

/**
 * ust_forget_received() - descriptors that came with a message are new
 * @msg: a message just received, with its control data
 */
void ust_forget_received(const struct msghdr *msg)
{
	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(f));
			ust_forget(f);
		}
	}
}

/*
 * A non-blocking connect lowered the fd's SO_SNDBUF and filled it so that
 * it stays unwritable until the handshake ends (see ustack_connect). Once
 * the daemon has drained the filler, the fd is writable: restore it.
 */
static void stream_settle(int fd, unsigned k)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int v = 212992 / 2;
	uint32_t lowat = 0;
	socklen_t len = sizeof(lowat);

	if (!(k & UST_SMALLBUF) || ust_r.poll(&p, 1, 0) != 1 ||
	    !(p.revents & POLLOUT))
		return;
	if ((k & UST_LOWAT) &&
	    ustack_getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
			      &len) == 0)
		v = ustack_lowat_chan_sndbuf(lowat);
	ust_r.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	ust_set_flags(fd, 0, UST_SMALLBUF);
}

/*
 * TCP_NOTSENT_LOWAT set: the fd is writable, as Linux's socket, only
 * while little waits unsent. The daemon takes no more from the channel
 * while the mark waits unsent in its send queue, and the channel is made
 * small (ustack_lowat_chan_sndbuf()), so that it fills soon after; while
 * a non-blocking connect's filler holds it small, stream_settle() does it.
 */
static void stream_lowat(int fd, unsigned k, uint32_t lowat)
{
	int v = ustack_lowat_chan_sndbuf(lowat);

	ust_set_flags(fd, lowat ? UST_LOWAT : 0, lowat ? 0 : UST_LOWAT);
	if (!(k & UST_SMALLBUF))
		ust_r.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static int ctl_call(uint16_t type, const void *body, size_t blen, int fd,
		    void *reply, size_t rcap, size_t *rlen);

/* The daemon's answer to SOL_SOCKET query @name (SO_ERROR, or
 * USTACK_SO_READ_ERROR) for a stream whose channel ended. */
static int stream_error_as(int fd, int name)
{
	struct ustack_sockopt o, out;
	size_t n = 0;
	int e = 0;

	memset(&o, 0, sizeof(o));
	o.level = SOL_SOCKET;
	o.name = name;
	o.len = sizeof(int);
	if (ctl_call(USTACK_MSG_GETSOCKOPT, &o, sizeof(o), fd, &out,
		     sizeof(out), &n) == 0 && n == sizeof(out) &&
	    out.len == sizeof(int))
		memcpy(&e, out.val, sizeof(int));
	return e;
}

/* The pending error (SO_ERROR), taken. */
static int stream_error(int fd)
{
	return stream_error_as(fd, SO_ERROR);
}

/*
 * A stream send that cannot go (the daemon shut the channel after a reset
 * or timeout, the program shut it down, it is not connected or it
 * listens), as Linux's tcp_sendmsg() -> sk_stream_error() answers: the
 * pending error first, without SIGPIPE (ECONNRESET after a reset, the
 * error of a failed connect), then EPIPE, with SIGPIPE unless
 * MSG_NOSIGNAL; SIGPIPE also when the pending error is EPIPE itself (a
 * reset in CLOSE_WAIT).
 */
static ssize_t stream_send_error(int fd, int flags)
{
	int e = stream_error(fd);

	if (e && e != EPIPE)    /* EPIPE: a reset in CLOSE_WAIT */
		return fail(-e);
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return fail(-EPIPE);
}

/*
 * A stream that cannot carry data: not connected (never, or no more after
 * a failed connect or connect(AF_UNSPEC)), or listening. Its channel
 * would take the bytes or wait, so answer here as Linux's tcp_sendmsg()
 * and tcp_recvmsg() do: sends as stream_send_error(), receives the
 * pending error or ENOTCONN (a listener: ENOTCONN). @k must be confirmed.
 * Return: -1, or 0 if the stream is usable
 */
static int stream_unusable(int fd, unsigned k, bool send, int flags)
{
	int e = 0;

	if (!(k & (UST_FRESH | UST_LISTENING)))
		return 0;
	if (send)
		return (int)stream_send_error(fd, flags);
	if (k & UST_FRESH)
		e = stream_error(fd);
	return fail(e ? -e : -ENOTCONN);
}

/* A send on an fd whose entry said "ours": it turned out not to be */
#define NOT_OURS_NOW (-2)

/*
 * SIGPIPE ignored (SIG_IGN), as far as the shim knows: it reads the
 * disposition when it loads and whenever the program sets SIGPIPE's
 * (preload.c); libustack used alone never sets this. See stream_xmit().
 */
static atomic_bool sigpipe_ign;
static bool sigpipe_tracked;

/**
 * ust_sigpipe_note() - the program set the disposition of signal @sig
 * @sig: the signal
 */
void ust_sigpipe_note(int sig)
{
	struct sigaction sa;

	if (sig != SIGPIPE || !sigpipe_tracked ||
	    sigaction(SIGPIPE, NULL, &sa))
		return;
	atomic_store(&sigpipe_ign, !(sa.sa_flags & SA_SIGINFO) &&
				   sa.sa_handler == SIG_IGN);
}

/* ust_sigpipe_track() - from now on, every change is noted (preload.c) */
void ust_sigpipe_track(void)
{
	sigpipe_tracked = true;
	ust_sigpipe_note(SIGPIPE);
}

/*
 * A send with MSG_EOR that wrote all its bytes: the daemon ends a record
 * after them (USTACK_TCP_EOR), one round trip; a partial one does not end
 * a record, as Linux marks the EOR only with the send's last byte.
 */
static void stream_eor(int fd, const struct msghdr *m, size_t n)
{
	struct ustack_sockopt o;
	size_t total = 0;

	for (size_t i = 0; i < m->msg_iovlen; i++)
		total += m->msg_iov[i].iov_len;
	if (n != total)
		return;
	memset(&o, 0, sizeof(o));
	o.level = IPPROTO_TCP;
	o.name = USTACK_TCP_EOR;
	o.len = sizeof(int);
	o.val[0] = 1;
	ctl_call(USTACK_MSG_SETSOCKOPT, &o, sizeof(o), fd, NULL, 0, NULL);
}

/*
 * Send on a connected stream's channel, with the kernel's SIGPIPE kept
 * out of it: when the daemon shut the channel, its error decides
 * (stream_send_error()). write() and writev() (@plain) are sent with
 * MSG_NOSIGNAL too, unless SIGPIPE is ignored: then they stay write(2)
 * and writev(2), which no signal can come of, and which a program that
 * confines itself to read and write with seccomp (sshd's privilege
 * separated child) may still make.
 *
 * The entry was not confirmed (fdtab.c): a failure that another object on
 * the fd could give (EPIPE, ENOTSOCK) confirms it first. Return: as
 * sendmsg, or NOT_OURS_NOW (the caller makes its libc call, which fails
 * the same way, with the kernel's signal)
 */
static ssize_t stream_xmit(int fd, unsigned k, const struct msghdr *m,
			   int flags, bool plain)
{
	ssize_t n;
	int e;

	if (plain && atomic_load_explicit(&sigpipe_ign, memory_order_relaxed))
		n = m->msg_iovlen == 1 ?
		    ust_r.write(fd, m->msg_iov[0].iov_base,
				m->msg_iov[0].iov_len) :
		    ust_r.writev(fd, m->msg_iov, (int)m->msg_iovlen);
	else
		n = ust_r.sendmsg(fd, m, (flags & ~MSG_EOR) | MSG_NOSIGNAL);
	e = errno;
	if (n > 0 && (flags & MSG_EOR))
		stream_eor(fd, m, (size_t)n);
	if (n >= 0 || (e != EPIPE && e != ENOTSOCK))
		return (errno = e, n);
	if (!ust_check(fd, k))
		return NOT_OURS_NOW;
	if (e != EPIPE)
		return (errno = e, -1);
	return stream_send_error(fd, flags);
}

/* A stream read gave 0: end of stream, or the reset that ended it? */
static ssize_t stream_eof(int fd, size_t len)
{
	int e;

	/* an fd that names another object now: its own end of file */
	if (len == 0 || !ust_kind_checked(fd))
		return 0;
	/* after the peer's FIN, 0 even if a reset came since (the error
	 * stays pending), as Linux's tcp_recvmsg() */
	e = stream_error_as(fd, USTACK_SO_READ_ERROR);
	if (e) {
		/* as after a reset in the kernel, later writes fail with
		 * EPIPE (and SIGPIPE unless MSG_NOSIGNAL) */
		ust_r.shutdown(fd, SHUT_WR);
		errno = e;
		return -1;
	}
	return 0;
}

PUBLIC int ustack_is_socket(int fd)
{
	return ust_kind_checked(fd) != 0;
}

/* ---- socket calls ---- */

PUBLIC int ustack_socket(int domain, int type, int protocol)
{
	/* the daemon makes the end non-blocking if asked (no fcntl) */
	struct ustack_socket_req req = { domain, type & ~SOCK_CLOEXEC,
					 protocol };
	struct ustack_sock_info info;
	size_t n = 0;
	int fd, rc;

	ust_init();
	if (domain != AF_INET && domain != AF_INET6) {
		fd = ust_r.socket(domain, type, protocol);
		ust_set(fd, UST_NOT_OURS);
		return fd;
	}
	if (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf))
		return fail(-EINVAL);
	rc = ctl_call_iov(USTACK_MSG_SOCKET, &req, sizeof(req), NULL, 0, -1,
			  &info, sizeof(info), &n, &fd,
			  type & SOCK_CLOEXEC ? MSG_CMSG_CLOEXEC : 0);
	if (rc)
		return fail(rc);
	if (fd < 0 || n != sizeof(info))
		return fail(-EPROTO);
	if (type & SOCK_NONBLOCK && !(info.flags & USTACK_INFO_NONBLOCK))
		ust_r.fcntl(fd, F_SETFL, O_NONBLOCK | ust_r.fcntl(fd, F_GETFL));
	ust_set_ino(fd, kind_of(&info) |
			(info.type == SOCK_STREAM ? UST_FRESH | UST_NEW : 0),
		    info.ino);
	return fd;
}

/*
 * socketpair(): AF_INET and AF_INET6 have none (EOPNOTSUPP) where the
 * family exists. Whether AF_INET6 exists is ustack's to say, not the host
 * kernel's (until IPv6 it does not: EAFNOSUPPORT, as on a kernel booted
 * with ipv6.disable=1), so a socket of that kind is asked of the daemon.
 * The numbers of a kernel pair are entered as not ours (an entry left by
 * a socket libc closed would otherwise be checked first).
 */
int ust_socketpair(int domain, int type, int protocol, int sv[2])
{
	int fd, rc;

	ust_init();
	if (domain != AF_INET6) {
		rc = ust_r.socketpair(domain, type, protocol, sv);
		if (rc == 0) {
			ust_set(sv[0], UST_NOT_OURS);
			ust_set(sv[1], UST_NOT_OURS);
		}
		return rc;
	}
	fd = ustack_socket(domain, type, protocol);
	if (fd < 0)
		return -1;
	ustack_close(fd);
	return fail(-EOPNOTSUPP);
}

/* Not a ustack socket (confirmed): the call is libc's. */
#define PASS_UNLESS_OURS(k, fd, call) \
	do { \
		(k) = ust_kind_checked(fd); \
		if (!(k)) \
			return ust_r.call; \
	} while (0)

/*
 * The same, where the entry needs confirming only if @need(k): elsewhere
 * the call is the kernel's on the channel, as on any other descriptor.
 */
#define PASS_UNLESS_OURS_IF(k, fd, need, call) \
	do { \
		(k) = ust_kind(fd); \
		if ((k) && (need)) \
			(k) = ust_check(fd, (k)); \
		if (!(k)) \
			return ust_r.call; \
	} while (0)

/* What only a confirmed entry may decide: a datagram channel, answers
 * without the kernel (never connected, listening), the filler */
#define UST_DECIDES_STREAM (UST_FRESH | UST_LISTENING | UST_SMALLBUF)
#define UST_DECIDES(k) (ust_is_dgram(k) || ((k) & UST_DECIDES_STREAM))

/*
 * What an AF_INET6 socket's call takes, checked in Linux's order:
 * inet6_bind() (at least SIN6_LEN_RFC2133 bytes, then AF_INET6),
 * tcp_v6_connect() and ping/raw's ip6_datagram_connect_v6_only() (the
 * same, after AF_UNSPEC), UDP's __ip6_datagram_connect() (AF_INET: an
 * IPv4 connect) and udpv6_sendmsg() (AF_INET: IPv4; another family
 * EINVAL). Return: 0 (go on), or -errno
 */
static int v6_family_check(unsigned k, enum ust_addr_call call,
			   const struct sockaddr *sa, socklen_t len)
{
	bool udp = (k & UST_TYPE_MASK) == SOCK_DGRAM && !(k & UST_ICMP);
	sa_family_t fam;

	if (len < sizeof(fam))
		return -EINVAL;
	memcpy(&fam, sa, sizeof(fam));
	if (call == UST_ADDR_SEND) {
		if (fam == AF_INET && udp)
			return 0;
		if (fam == AF_UNSPEC)
			return 0;
		if (fam != AF_INET6)
			return (k & UST_ICMP) ? -EAFNOSUPPORT : -EINVAL;
		return len < 24 ? -EINVAL : 0;
	}
	if (call == UST_ADDR_CONNECT &&
	    (fam == AF_UNSPEC || (fam == AF_INET && udp)))
		return 0;
	if (len < 24)
		return -EINVAL;
	return fam == AF_INET6 ? 0 : -EAFNOSUPPORT;
}

/**
 * ust_addr_in() - a program's address for a call, in the wire form
 * @k: the socket's kind
 * @call: bind, connect or send
 * @ua: filled in (the scope id as the daemon numbers interfaces)
 * @sa: the address
 * @len: its length
 *
 * Return: 0, or -errno as the kernel's call would fail
 */
int ust_addr_in(unsigned k, enum ust_addr_call call,
		struct ustack_sockaddr *ua, const struct sockaddr *sa,
		socklen_t len)
{
	int rc;

	if (!sa && len)
		return -EFAULT;
	if ((k & UST_V6) && sa && (rc = v6_family_check(k, call, sa, len)))
		return rc;
	rc = ustack_addr_from_sockaddr(ua, sa, len);
	if (rc == 0 && ua->family == AF_INET6)
		ua->scope_id = ust_ifindex_in(ua->scope_id);
	return rc;
}

/**
 * ust_addr_out() - the daemon's address as the program's sockaddr
 * @k: the socket's kind (its family)
 * @ua: the address (the scope id as the daemon numbers interfaces)
 * @sa: where to write it, @len bytes (truncated as the kernel does)
 * @len: room at @sa
 *
 * Return: the address's full length
 */
socklen_t ust_addr_out(unsigned k, const struct ustack_sockaddr *ua,
		       struct sockaddr *sa, socklen_t len)
{
	struct ustack_sockaddr u = *ua;

	if (u.family == AF_INET6)
		u.scope_id = ust_ifindex_out(u.scope_id);
	return (socklen_t)ustack_addr_to_sockaddr(&u, sa, len,
						  k & UST_V6 ? AF_INET6 :
						  AF_INET);
}

PUBLIC int ustack_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct ustack_sockaddr ua;
	unsigned k;
	int rc;

	PASS_UNLESS_OURS(k, fd, bind(fd, addr, len));
	if ((rc = ust_addr_in(k, UST_ADDR_BIND, &ua, addr, len)))
		return fail(rc);
	rc = ctl_call(USTACK_MSG_BIND, &ua, sizeof(ua), fd, NULL, 0, NULL);
	return rc ? fail(rc) : 0;
}

PUBLIC int ustack_listen(int fd, int backlog)
{
	struct ustack_int v = { backlog };
	unsigned k;
	int rc;

	PASS_UNLESS_OURS(k, fd, listen(fd, backlog));
	rc = ctl_call(USTACK_MSG_LISTEN, &v, sizeof(v), fd, NULL, 0, NULL);
	if (rc == 0)
		ust_set_flags(fd, UST_LISTENING, UST_FRESH | UST_NEW);
	return rc ? fail(rc) : 0;
}

/*
 * Keep a stream's fd unwritable until its handshake ends, as the kernel
 * does: lower its send buffer and fill it; the daemon discards exactly
 * these bytes (the count goes with the CONNECT) when the outcome is known.
 * Return: the number of bytes written
 */
static uint32_t stream_fill(int fd)
{
	/* one send fills it: a stream send that cannot take all goes on
	 * until the buffer is full and returns what it took (about 4 KB at
	 * the smallest SO_SNDBUF); taken whole, the buffer had room left */
	static const char fill[16384];
	uint32_t filler = 0;
	int v = 1;

	ust_r.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	for (int i = 0; i < 64; i++) {
		ssize_t n = ust_r.send(fd, fill, sizeof(fill),
				       MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break;
		filler += (uint32_t)n;
		if ((size_t)n < sizeof(fill))
			break;
	}
	ust_set_flags(fd, UST_SMALLBUF, 0);
	return filler;
}

/*
 * A stream whose failed non-blocking connect shut its channel both ways
 * (POLLHUP, as the kernel's socket shows the failure): before the next
 * attempt, the daemon makes a new channel (USTACK_MSG_RENEW) and it takes
 * the old one's place at @fd, with its file flags, close-on-exec and the
 * options kept on the channel itself (SO_RCVTIMEO, SO_SNDTIMEO).
 * Return: 0, or a negative errno
 */
static int stream_renew(int fd, unsigned k)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	struct timeval rcv, snd;
	socklen_t l1 = sizeof(rcv), l2 = sizeof(snd);
	int nfd = -1, fl, rc;

	if (k & UST_NEW)
		return 0;               /* never tried: nothing to renew */
	if (ust_r.poll(&p, 1, 0) != 1 || !(p.revents & POLLHUP))
		return 0;               /* a channel that still works */
	rc = ctl_call_iov(USTACK_MSG_RENEW, NULL, 0, NULL, 0, fd, NULL, 0,
			  NULL, &nfd, MSG_CMSG_CLOEXEC);
	if (rc || nfd < 0)
		return rc;
	fl = ust_r.fcntl(fd, F_GETFL);
	if (ust_r.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, &l1) == 0)
		ust_r.setsockopt(nfd, SOL_SOCKET, SO_RCVTIMEO, &rcv, l1);
	if (ust_r.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, &l2) == 0)
		ust_r.setsockopt(nfd, SOL_SOCKET, SO_SNDTIMEO, &snd, l2);
	if ((fl >= 0 && ust_r.fcntl(nfd, F_SETFL, fl & O_NONBLOCK)) ||
	    ust_r.dup3(nfd, fd, ust_r.fcntl(fd, F_GETFD) & FD_CLOEXEC ?
			   O_CLOEXEC : 0) < 0) {
		rc = -errno;
		ust_r.close(nfd);
		return rc;
	}
	ust_r.close(nfd);
	ust_set_flags(fd, 0, UST_SMALLBUF);
	return 0;
}

/* SO_SNDTIMEO of @fd (kept on the channel) as a deadline, or -1: none */
static int64_t sndtimeo_deadline(int fd)
{
	struct timeval tv = { 0, 0 };
	socklen_t l = sizeof(tv);

	if (ust_r.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &l) ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0))
		return -1;
	return mono_ms() + (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
}

static struct pend_connect *pend_find(int fd)
{
	uint32_t id = ust_entry_id(fd);

	for (int i = 0; i < NPEND; i++)
		if (pendc[i].live && pendc[i].fd == fd && pendc[i].id == id)
			return &pendc[i];
	return NULL;
}

/* Remember connect request @seq, cut short, whose reply is still to come */
static void pend_add(int fd, uint32_t seq)
{
	struct pend_connect *p = &pendc[0];

	for (int i = 0; i < NPEND; i++) {
		if (!pendc[i].live) {
			p = &pendc[i];
			break;
		}
		if (pendc[i].seq < p->seq)
			p = &pendc[i];  /* else the oldest gives way */
	}
	*p = (struct pend_connect){ .fd = fd, .id = ust_entry_id(fd),
				    .seq = seq, .live = true };
	ust_set_flags(fd, UST_CONNECT_PEND, 0);
}

/*
 * A blocking stream connect: the daemon answers when the handshake ends.
 * Linux's rules for the wait (inet_stream_connect): a signal whose handler
 * has SA_RESTART restarts it (the kernel restarts our recvmsg), one
 * without ends it with EINTR; SO_SNDTIMEO bounds it (EINPROGRESS), and
 * with a bound any signal ends it (EINTR). Cut short, the handshake goes
 * on: its reply is awaited by the next connect() (connect_resume()).
 */
static int stream_connect_wait(int fd, const struct ustack_connect_req *r,
			       const struct iovec *data, int ndata)
{
	struct ctl_how how = { .deadline = sndtimeo_deadline(fd),
			       .intr = true, .main = true };
	uint32_t seq;
	int c, rc;

	if (ctl_busy)   /* in a signal handler: wait on a connection of its own */
		return ctl_call_iov(USTACK_MSG_CONNECT, r, sizeof(*r), data,
				    ndata, fd, NULL, 0, NULL, NULL, 0);
	c = ctl_get();
	if (c < 0)
		return -ENETDOWN;
	ctl_busy = true;
	seq = ++ctl_seq;
	rc = ctl_send(c, USTACK_MSG_CONNECT, r, sizeof(*r), data, ndata, fd,
		      seq);
	if (rc == 0)
		rc = ctl_wait(c, USTACK_MSG_CONNECT, seq, NULL, 0, NULL, NULL,
			      0, &how);
	ctl_busy = false;
	if (ctl_broken) {
		ctl_drop();
		ctl_broken = false;
	}
	if (rc == -EINTR || rc == -EAGAIN) {
		pend_add(fd, seq);
		return rc == -EINTR ? -EINTR : -EINPROGRESS;
	}
	return rc;
}

/*
 * Wait, as @how says, for the reply to @p's CONNECT on this thread's
 * control connection (the caller checked it is alive and not busy).
 * Return: the connect's outcome (0 or -errno; -EAGAIN or -EINTR: not yet),
 * or 1 if the control connection broke meanwhile (then dropped)
 */
static int pend_wait(struct pend_connect *p, struct ctl_how *how)
{
	int rc;

	ctl_busy = true;
	rc = ctl_wait(ctl_fd, USTACK_MSG_CONNECT, p->seq, NULL, 0, NULL, NULL,
		      0, how);
	ctl_busy = false;
	if (ctl_broken) {
		ctl_drop();
		ctl_broken = false;
		return 1;
	}
	return rc;
}

/*
 * connect() on a socket whose blocking connect was cut short: as Linux in
 * SS_CONNECTING, wait for the outcome (blocking), or EALREADY (not
 * blocking, or SO_SNDTIMEO passed); once it has ended, report it (0 or the
 * error) once. Return: 0 or -errno, or 1 if this thread does not hold the
 * outcome (another thread's connect, or lost): then the daemon answers.
 */
static int connect_resume(int fd, bool nonblock)
{
	struct ctl_how how = { .deadline = nonblock ? 0 : sndtimeo_deadline(fd),
			       .intr = true, .main = true };
	struct pend_connect *p = pend_find(fd);
	int rc;

	if (!p) {
		ust_set_flags(fd, 0, UST_CONNECT_PEND);
		return 1;
	}
	if (!p->done) {
		if (ctl_busy || !ctl_alive())
			return ctl_busy ? -EALREADY : 1;
		rc = pend_wait(p, &how);
		if (rc == 1)
			return 1;
		if (rc == -EINTR)
			return rc;
		if (rc == -EAGAIN)
			return -EALREADY;
		p->status = rc;
	}
	rc = p->status;
	p->live = false;
	ust_set_flags(fd, 0, UST_CONNECT_PEND);
	return rc;
}

/*
 * SO_ERROR of a stream whose blocking connect was cut short: a failure
 * comes as the reply to that connect, which the daemon does not keep for
 * SO_ERROR. Linux reports it once, here or to the next connect (which
 * then says ECONNABORTED). Return: the error, or 0 (the daemon answers)
 */
static int connect_pending_error(int fd)
{
	struct ctl_how how = { .deadline = 0, .intr = true, .main = true };
	struct pend_connect *p = pend_find(fd);
	int rc;

	if (!p)
		return 0;
	if (!p->done && !ctl_busy && ctl_alive()) {
		rc = pend_wait(p, &how);
		if (rc == 1)
			return 0;
		if (rc != -EAGAIN && rc != -EINTR) {
			p->done = true;
			p->status = rc;
		}
	}
	if (!p->done || p->status == 0 || p->status == -ECONNABORTED)
		return 0;
	rc = -p->status;
	p->status = -ECONNABORTED;
	return rc;
}

/*
 * connect(AF_UNSPEC) on a stream disconnected it (Linux's
 * tcp_disconnect()): what was received and not read goes, and so do a
 * listener's connections not yet accepted (their channels arrive here).
 * Bounded: at most 4 MiB are dropped.
 */
static void stream_flush(int fd)
{
	static char sink[4096];
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cm;

	for (int i = 0; i < 1024; i++) {
		struct iovec iov = { sink, sizeof(sink) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cm.b,
				    .msg_controllen = sizeof(cm.b) };
		struct cmsghdr *c;

		if (ust_r.recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			break;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t j = 0; j < (c->cmsg_len - CMSG_LEN(0)) /
					       sizeof(int); j++) {
				int f;

				memcpy(&f, CMSG_DATA(c) + j * sizeof(int),
				       sizeof(f));
				ust_r.close(f);
			}
		}
	}
}

/*
 * After a stream's connect(): a failed one (Linux leaves the socket
 * unconnected, to try again; EINPROGRESS, EALREADY, EISCONN and EINTR
 * leave a connection going) and a disconnect make it unconnected, with a
 * new filler for the next attempt; a disconnect also ends the wait for a
 * blocking connect cut short (Linux: SS_UNCONNECTED).
 */
static void stream_connected(int fd, int rc, bool unspec)
{
	if (unspec && rc == 0) {
		struct pend_connect *p = pend_find(fd);

		if (p)          /* its reply, when it comes, is nobody's */
			p->live = false;
		stream_flush(fd);
		ust_set_flags(fd, UST_FRESH, UST_CONNECT_TRIED |
			      UST_LISTENING | UST_CONNECT_PEND);
	} else if (rc && rc != -EINPROGRESS && rc != -EALREADY &&
		   rc != -EISCONN && rc != -EINTR) {
		ust_set_flags(fd, UST_FRESH, UST_CONNECT_TRIED);
	}
}

PUBLIC int ustack_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct ustack_connect_req r;
	unsigned k;
	int rc, fl;
	bool stream;

	PASS_UNLESS_OURS(k, fd, connect(fd, addr, len));
	if ((rc = ust_addr_in(k, UST_ADDR_CONNECT, &r.addr, addr, len)))
		return fail(rc);
	fl = ust_r.fcntl(fd, F_GETFL);
	r.nonblock = fl >= 0 && (fl & O_NONBLOCK);
	r.filler = 0;
	r.fastopen = 0;
	stream = ust_is_stream(k) && r.addr.family != AF_UNSPEC;
	if (stream && (k & UST_CONNECT_PEND)) {
		rc = connect_resume(fd, r.nonblock);
		if (rc <= 0) {
			stream_connected(fd, rc, false);
			return rc ? fail(rc) : 0;
		}
	}
	if (stream && !(k & UST_CONNECT_TRIED)) {
		rc = stream_renew(fd, k);
		if (rc)
			return fail(rc);
		r.filler = stream_fill(fd);
	}
	ust_set_flags(fd, UST_CONNECT_TRIED, UST_FRESH | UST_NEW);
	if (stream && !r.nonblock)
		rc = stream_connect_wait(fd, &r, NULL, 0);
	else
		rc = ctl_call(USTACK_MSG_CONNECT, &r, sizeof(r), fd, NULL, 0,
			      NULL);
	if (ust_is_stream(k))
		stream_connected(fd, rc, r.addr.family == AF_UNSPEC);
	return rc ? fail(rc) : 0;
}

PUBLIC int ustack_shutdown(int fd, int how)
{
	struct ustack_int v = { how };
	unsigned k;
	int rc;

	PASS_UNLESS_OURS(k, fd, shutdown(fd, how));
	rc = ctl_call(USTACK_MSG_SHUTDOWN, &v, sizeof(v), fd, NULL, 0, NULL);
	/* a stream's FIN follows the bytes already written: it travels
	 * in the channel, as end of file */
	if (rc == 0 && ust_is_stream(k) && how != SHUT_RD)
		ust_r.shutdown(fd, SHUT_WR);
	if (rc == 0 && ust_is_stream(k) && how != SHUT_WR)
		ust_set_flags(fd, UST_RD_SHUT, 0);
	return rc ? fail(rc) : 0;
}

/*
 * close() of a stream that lingers (SO_LINGER on, with a timeout): Linux
 * waits, in the close of the last descriptor, until the FIN is
 * acknowledged or the time is up (sk_stream_wait_close()), blocking or
 * not. Phase 0 tells the daemon, with the fd, which is then closed; phase
 * 1 waits for the daemon's answer (daemon/rpc/sock_end.c). close()'s
 * result is the kernel's, as in Linux, where the wait changes nothing.
 */
static int linger_close(int fd)
{
	struct ustack_linger_req r = { 0, 0 };
	struct ustack_int id = { 0 };
	size_t n = 0;
	int rc = ctl_call(USTACK_MSG_LINGER, &r, sizeof(r), fd, &id,
			  sizeof(id), &n);
	int cr = ust_r.close(fd), e = errno;

	if (cr == 0 && rc == 0 && n == sizeof(id) && id.value > 0) {
		r.phase = 1;
		r.id = (uint32_t)id.value;
		ctl_call(USTACK_MSG_LINGER, &r, sizeof(r), -1, &id,
			 sizeof(id), &n);
	}
	errno = e;
	return cr;
}

PUBLIC int ustack_close(int fd)
{
	unsigned k;
	uint32_t id;

	ust_init();
	k = ust_kind_known(fd);
	if (k & UST_LINGER)
		k = ust_check(fd, k);
	id = k ? ust_entry_id(fd) : 0;
	ust_forget(fd);
	ust_xs_drop(id);            /* errq.c's state, if no dup is left */
	if (ust_is_stream(k) && (k & UST_LINGER))
		return linger_close(fd);
	return ust_r.close(fd);
}

static int getname(uint16_t type, int fd, struct sockaddr *addr,
		   socklen_t *len)
{
	struct ustack_sockaddr ua;
	unsigned k;
	size_t n = 0, full;
	int rc;

	k = ust_kind_checked(fd);
	if (!k)
		return type == USTACK_MSG_GETSOCKNAME ?
		       ust_r.getsockname(fd, addr, len) :
		       ust_r.getpeername(fd, addr, len);
	if (!len || (int)*len < 0)
		return fail(-EINVAL);
	rc = ctl_call(type, NULL, 0, fd, &ua, sizeof(ua), &n);
	if (rc)
		return fail(rc);
	full = ust_addr_out(k, &ua, addr, *len);
	*len = (socklen_t)full;
	return 0;
}

PUBLIC int ustack_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname(USTACK_MSG_GETSOCKNAME, fd, addr, len);
}

PUBLIC int ustack_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname(USTACK_MSG_GETPEERNAME, fd, addr, len);
}

/* Options that belong to the descriptor itself: the kernel's own. The
 * channel is ustackd's socket, made in ustackd's network namespace: its
 * SO_NETNS_COOKIE is that of the namespace ustack's sockets live in. */
static bool opt_is_local(int level, int name)
{
	return level == SOL_SOCKET &&
	       (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD ||
		name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW ||
		name == SO_PEERCRED || name == SO_NETNS_COOKIE);
}

/*
 * Options that name an interface (SO_BINDTOIFINDEX, IPV6_MULTICAST_IF,
 * an ipv6_mreq's interface; an ip_mreqn's, a group_req's or a
 * group_source_req's): the program's index in its namespace going
 * to the daemon, the daemon's number coming back (ust_ifindex_in/out).
 */
static void opt_ifindex(struct ustack_sockopt *o, bool in)
{
	size_t at = 0;
	uint32_t v;

	if ((o->level == SOL_SOCKET && o->name == SO_BINDTOIFINDEX) ||
	    (o->level == IPPROTO_IPV6 && o->name == IPV6_MULTICAST_IF))
		at = 0;
	else if (o->level == IPPROTO_IPV6 && in &&
		 (o->name == IPV6_JOIN_GROUP || o->name == IPV6_LEAVE_GROUP) &&
		 o->len >= sizeof(struct ipv6_mreq))
		at = offsetof(struct ipv6_mreq, ipv6mr_interface);
	else if (o->level == IPPROTO_IP && in &&
		 (o->name == IP_ADD_MEMBERSHIP ||
		  o->name == IP_DROP_MEMBERSHIP ||
		  o->name == IP_MULTICAST_IF) &&
		 o->len >= sizeof(struct ip_mreqn))
		at = offsetof(struct ip_mreqn, imr_ifindex);
	else if (o->level == IPPROTO_IP && !in && o->name == IP_PKTOPTIONS &&
		 o->len >= CMSG_LEN(sizeof(struct in_pktinfo)))
		at = CMSG_LEN(0) + offsetof(struct in_pktinfo, ipi_ifindex);
	else if (o->level == IPPROTO_IP && in &&
		 (o->name == MCAST_JOIN_GROUP || o->name == MCAST_LEAVE_GROUP ||
		  o->name == MCAST_JOIN_SOURCE_GROUP ||
		  o->name == MCAST_LEAVE_SOURCE_GROUP))
		at = 0;                 /* gr_interface, gsr_interface */
	else
		return;
	if (o->len < at + sizeof(v))
		return;
	memcpy(&v, o->val + at, sizeof(v));
	/* a negative SO_BINDTOIFINDEX is the daemon's EINVAL, as Linux's */
	if (o->level == SOL_SOCKET && (int32_t)v < 0)
		return;
	v = in ? ust_ifindex_in(v) : ust_ifindex_out(v);
	memcpy(o->val + at, &v, sizeof(v));
}

PUBLIC int ustack_getsockopt(int fd, int level, int name, void *val,
			     socklen_t *len)
{
	struct ustack_sockopt o, out;
	unsigned k;
	size_t n = 0;
	int rc;

	PASS_UNLESS_OURS(k, fd, getsockopt(fd, level, name, val, len));
	if (opt_is_local(level, name))
		return ust_r.getsockopt(fd, level, name, val, len);
	if (!len || (int)*len < 0)
		return fail(-EINVAL);
	if (ust_xs_getsockopt(fd, level, name, val, len, &rc))
		return rc ? fail(rc) : 0;
	if (ust_is_stream(k) && level == SOL_SOCKET && name == SO_ERROR) {
		int e = k & UST_CONNECT_PEND ? connect_pending_error(fd) : 0;

		stream_settle(fd, k);
		if (e && *len >= sizeof(int)) {
			memcpy(val, &e, sizeof(int));
			*len = sizeof(int);
			return 0;
		}
	}
	if (ust_is_dgram(k) && level == SOL_SOCKET && name == SO_ERROR &&
	    *len >= sizeof(int)) {
		int e = 0;

		rc = ust_dgram_so_error(fd, &e);
		if (rc)
			return fail(rc);
		memcpy(val, &e, sizeof(int));
		*len = sizeof(int);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.level = level;
	o.name = name;
	o.len = *len > USTACK_OPT_MAX ? USTACK_OPT_MAX : *len;
	rc = ctl_call(USTACK_MSG_GETSOCKOPT, &o, sizeof(o), fd, &out,
		      sizeof(out), &n);
	if (rc)
		return fail(rc);
	if (n != sizeof(out) || out.len > o.len)
		return fail(-EPROTO);
	opt_ifindex(&out, false);
	memcpy(val, out.val, out.len);
	*len = out.len;
	return 0;
}

PUBLIC int ustack_setsockopt(int fd, int level, int name, const void *val,
			     socklen_t len)
{
	struct ustack_sockopt o;
	unsigned k;
	int rc;

	PASS_UNLESS_OURS(k, fd, setsockopt(fd, level, name, val, len));
	if (opt_is_local(level, name))
		return ust_r.setsockopt(fd, level, name, val, len);
	if ((int)len < 0)
		return fail(-EINVAL);
	if (len && !val)
		return fail(-EFAULT);
	if (ust_xs_setsockopt(fd, k, level, name, val, len, &rc))
		return rc ? fail(rc) : 0;
	/* a group_source_req is longer than what a request carries: its
	 * length is checked here, its tail (padding) not sent */
	if (level == IPPROTO_IP && (name == MCAST_JOIN_SOURCE_GROUP ||
				    name == MCAST_LEAVE_SOURCE_GROUP) &&
	    len < sizeof(struct group_source_req))
		return fail(-EINVAL);
	memset(&o, 0, sizeof(o));
	o.level = level;
	o.name = name;
	o.len = len > USTACK_OPT_MAX ? USTACK_OPT_MAX : len;
	if (o.len)
		memcpy(o.val, val, o.len);
	opt_ifindex(&o, true);
	rc = ctl_call(USTACK_MSG_SETSOCKOPT, &o, sizeof(o), fd, NULL, 0, NULL);
	if (rc == 0 && ust_is_stream(k) && level == SOL_SOCKET &&
	    name == SO_LINGER && len >= sizeof(struct linger)) {
		const struct linger *lg = val;

		/* close() will wait (linger_close()) */
		if (lg->l_onoff && lg->l_linger > 0)
			ust_set_flags(fd, UST_LINGER, 0);
		else
			ust_set_flags(fd, 0, UST_LINGER);
	}
	if (rc == 0 && ust_is_stream(k) && level == IPPROTO_TCP &&
	    name == TCP_NOTSENT_LOWAT && len >= sizeof(int)) {
		uint32_t v;

		memcpy(&v, val, sizeof(v));
		stream_lowat(fd, ust_kind(fd), v);
	}
	if (rc == 0 && ust_is_stream(k) && level == SOL_SOCKET &&
	    (name == SO_TIMESTAMP_OLD || name == SO_TIMESTAMP_NEW ||
	     name == SO_TIMESTAMPNS_OLD || name == SO_TIMESTAMPNS_NEW)) {
		int v = 0;

		/* the daemon logs its arrivals now: its reads are counted
		 * (errq.c); the value as the daemon read it */
		if (len >= sizeof(int))
			memcpy(&v, val, sizeof(v));
		else
			v = *(const uint8_t *)val;
		rc = ust_xs_rx_opt(fd, v);
	}
	if (rc == 0 && ust_is_stream(k) && level == IPPROTO_TCP &&
	    name == TCP_INQ && len >= sizeof(int)) {
		int v;

		memcpy(&v, val, sizeof(v));
		ust_set_flags(fd, v ? UST_INQ : 0, v ? 0 : UST_INQ);
	}
	return rc ? fail(rc) : 0;
}

/* ---- data ---- */

/* Datagram sockets: dgram.c */
static ssize_t dgram_sendmsg(int fd, unsigned k, const struct msghdr *m,
			     int flags)
{
	return ust_dgram_sendmsg(fd, k, m, flags);
}

/*
 * A datagram send on an fd whose entry says "ours", not checked first:
 * the request carries the fd and the daemon finds its socket by SO_COOKIE,
 * so a send that succeeds was a ustack socket's. Only a failure needs the
 * check: the fd may name something else now (NOT_OURS_NOW: the caller
 * makes its libc call).
 */
static ssize_t dgram_send(int fd, unsigned k, const struct msghdr *m,
			  int flags)
{
	ssize_t n = dgram_sendmsg(fd, k, m, flags);
	int e = errno;

	if (n >= 0 || ust_check(fd, k))
		return (errno = e, n);
	return NOT_OURS_NOW;
}

static ssize_t dgram_recvmsg(int fd, struct msghdr *m, int flags)
{
	return ust_dgram_recvmsg(fd, ust_kind(fd), m, flags);
}

/*
 * An address given to a send on a stream. Linux checks it as it copies it
 * in (EINVAL for a length over sizeof(struct sockaddr_storage) with
 * sendto, EFAULT for an unreadable one) and TCP then ignores it (but
 * MSG_FASTOPEN on a connected socket: EISCONN). The channel's kernel
 * makes the same checks and then refuses any address with EISCONN, so an
 * empty send with the address checks it exactly. Return: 0, or -errno
 */
static int stream_check_addr(int fd, const struct msghdr *m)
{
	struct msghdr probe = { .msg_name = m->msg_name,
				.msg_namelen = m->msg_namelen };

	if (ust_r.sendmsg(fd, &probe, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EISCONN)
		return -errno;
	return 0;
}

/*
 * The connect of MSG_FASTOPEN on a fresh stream (Linux's
 * tcp_sendmsg_fastopen()): one CONNECT carrying the first
 * USTACK_FASTOPEN_MAX bytes of @m for the SYN (daemon/rpc/sock_tcp.c
 * sock_tcp_fastopen()). Blocking (neither O_NONBLOCK nor MSG_DONTWAIT), it
 * waits for the handshake and the daemon takes them all; non-blocking,
 * only those the SYN carries (a cookie was cached), EINPROGRESS for none.
 * Return: the bytes taken, or -errno
 */
static ssize_t stream_fastopen(int fd, unsigned k, const struct msghdr *m,
			       int flags)
{
	struct ustack_connect_req r;
	uint8_t data[USTACK_FASTOPEN_MAX];
	struct iovec iov = { data, 0 };
	int rc, fl;

	if ((rc = ust_addr_in(k, UST_ADDR_CONNECT, &r.addr, m->msg_name,
			      m->msg_namelen)))
		return rc;
	for (size_t i = 0; i < m->msg_iovlen && iov.iov_len < sizeof(data);
	     i++) {
		size_t n = m->msg_iov[i].iov_len;

		if (n > sizeof(data) - iov.iov_len)
			n = sizeof(data) - iov.iov_len;
		memcpy(data + iov.iov_len, m->msg_iov[i].iov_base, n);
		iov.iov_len += n;
	}
	fl = ust_r.fcntl(fd, F_GETFL);
	r.nonblock = (fl >= 0 && (fl & O_NONBLOCK)) || (flags & MSG_DONTWAIT);
	r.fastopen = 1;
	rc = stream_renew(fd, k);
	if (rc)
		return rc;
	r.filler = stream_fill(fd);
	ust_set_flags(fd, UST_CONNECT_TRIED, UST_FRESH | UST_NEW);
	if (r.nonblock)
		rc = ctl_call_iov(USTACK_MSG_CONNECT, &r, sizeof(r), &iov, 1, fd,
				  NULL, 0, NULL, NULL, 0);
	else
		rc = stream_connect_wait(fd, &r, &iov, 1);
	stream_connected(fd, rc < 0 ? rc : 0, false);
	return rc;
}

/* A blocking MSG_FASTOPEN send whose first @done bytes the daemon took:
 * the rest as any send. Return: what the program is told */
static ssize_t stream_send_rest(int fd, const struct msghdr *msg, int flags,
				size_t done)
{
	size_t i = 0, skip = done;
	struct iovec first;
	struct msghdr m = { 0 };
	ssize_t n;

	while (i < msg->msg_iovlen && skip >= msg->msg_iov[i].iov_len)
		skip -= msg->msg_iov[i++].iov_len;
	if (i == msg->msg_iovlen)
		return (ssize_t)done;
	first = (struct iovec){ (char *)msg->msg_iov[i].iov_base + skip,
				msg->msg_iov[i].iov_len - skip };
	for (int part = 0; part < 2; part++) {
		unsigned k = ust_kind(fd);

		m.msg_iov = part ? msg->msg_iov + i + 1 : &first;
		m.msg_iovlen = part ? msg->msg_iovlen - i - 1 : 1;
		if (!m.msg_iovlen)
			break;
		if (stream_unusable(fd, k, true, flags))
			return done ? (ssize_t)done : -1;
		stream_settle(fd, k);
		n = stream_xmit(fd, k, &m, flags, false);
		if (n < 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)n;
		if (!part && (size_t)n < first.iov_len)
			break;
	}
	return (ssize_t)done;
}

/*
 * sendmsg on a stream: the kernel's, on the channel, once an address is
 * checked and dropped and the stream known to be connected
 */
static ssize_t stream_sendmsg(int fd, unsigned k, const struct msghdr *msg,
			      int flags)
{
	struct msghdr m = *msg;
	int rc;

	/* tcp_sendmsg_fastopen(), the client side on (tcp-fastopen's bit
	 * 1, the daemon says EOPNOTSUPP without it): a fresh stream
	 * connects with the data for the SYN (stream_fastopen()); else a
	 * connect to the address, then the data as any send. An address
	 * of AF_UNSPEC is EOPNOTSUPP, none EINVAL, a connecting socket
	 * EALREADY and a connected one EISCONN (connect's) */
	if (flags & MSG_FASTOPEN) {
		const struct sockaddr *sa = m.msg_name;
		ssize_t n;

		if (sa && m.msg_namelen >= sizeof(sa->sa_family) &&
		    sa->sa_family == AF_UNSPEC)
			return fail(-EOPNOTSUPP);
		if (!sa || m.msg_namelen < sizeof(sa->sa_family))
			return fail(-EINVAL);
		flags &= ~MSG_FASTOPEN;
		if (!(k & (UST_CONNECT_TRIED | UST_CONNECT_PEND))) {
			n = stream_fastopen(fd, k, &m, flags);
			if (n < 0)
				return fail((int)n);
			m.msg_name = NULL;
			m.msg_namelen = 0;
			if (flags & MSG_DONTWAIT) /* O_NONBLOCK: the same */
				return n;
			{
				int fl = ust_r.fcntl(fd, F_GETFL);

				if (fl >= 0 && (fl & O_NONBLOCK))
					return n;
			}
			return stream_send_rest(fd, &m, flags, (size_t)n);
		}
		if (ustack_connect(fd, sa, m.msg_namelen) < 0)
			return -1;
		k = ust_kind(fd);
		m.msg_name = NULL;
		m.msg_namelen = 0;
	}
	if (m.msg_name && m.msg_namelen) {
		if ((rc = stream_check_addr(fd, &m)))
			return fail(rc);
		m.msg_name = NULL;
		m.msg_namelen = 0;
	}
	if (stream_unusable(fd, k, true, flags))
		return -1;
	/* control messages are tcp_sendmsg()'s, checked as it checks them
	 * once connected (a send's SO_TIMESTAMPING is errq.c's), none for
	 * the channel's kernel */
	if (m.msg_control && m.msg_controllen) {
		if ((rc = ust_cmsg_check_socket(&m)))
			return fail(rc);
		m.msg_control = NULL;
		m.msg_controllen = 0;
	}
	stream_settle(fd, k);
	return stream_xmit(fd, k, &m, flags, false);
}

/*
 * A stream read after shutdown(SHUT_RD) here met the channel's end: what
 * the daemon queued since (USTACK_TCP_RECV_SHUT), into @iov, a round
 * trip per USTACK_OPT_MAX bytes; a peek takes one look. Return: bytes
 */
static size_t stream_shut_read(int fd, const struct iovec *iov, size_t cnt,
			       int flags)
{
	size_t total = 0, i = 0, at = 0;

	while (i < cnt) {
		struct ustack_sockopt o, out;
		size_t want = 0, got, n = 0;

		for (size_t j = i; j < cnt && want < USTACK_OPT_MAX; j++)
			want += iov[j].iov_len - (j == i ? at : 0);
		if (want == 0)
			break;
		memset(&o, 0, sizeof(o));
		o.level = IPPROTO_TCP;
		o.name = USTACK_TCP_RECV_SHUT;
		o.len = want > USTACK_OPT_MAX ? USTACK_OPT_MAX : (uint32_t)want;
		o.val[0] = !!(flags & MSG_PEEK);
		if (ctl_call(USTACK_MSG_GETSOCKOPT, &o, sizeof(o), fd, &out,
			     sizeof(out), &n) || n != sizeof(out) ||
		    out.len > o.len)
			break;
		got = out.len;
		for (size_t off = 0; off < got;) {
			size_t c = iov[i].iov_len - at;

			if (c > got - off)
				c = got - off;
			memcpy((char *)iov[i].iov_base + at, out.val + off, c);
			off += c;
			at += c;
			if (at == iov[i].iov_len) {
				i++;
				at = 0;
			}
		}
		total += got;
		if (got < o.len || (flags & MSG_PEEK))
			break;
	}
	return total;
}

/* What a stream read into @iov that gave @n means */
static ssize_t stream_read_result(int fd, unsigned k, ssize_t n,
				  const struct iovec *iov, size_t cnt,
				  int flags)
{
	size_t len = 0, got;

	if (n != 0)
		return n;
	for (size_t i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	if (len && (k & UST_RD_SHUT) &&
	    (got = stream_shut_read(fd, iov, cnt, flags)))
		return (ssize_t)got;
	return stream_eof(fd, len);
}

/*
 * The kind of @fd for a send: a datagram socket's is checked by the daemon
 * (dgram_send), a stream's here where only a confirmed entry may decide
 */
static unsigned send_kind(int fd, bool addr)
{
	unsigned k = ust_kind(fd);

	if (k && !ust_is_dgram(k) && ((k & UST_DECIDES_STREAM) || addr))
		k = ust_check(fd, k);
	return k;
}

/* A send on a descriptor that is not ustack's went out (@n its result):
 * an address dump request is answered with ustack's (ifaddr.c) */
static ssize_t foreign_sent(int fd, const struct msghdr *m, ssize_t n)
{
	if (n > 0)
		ust_rtnl_sent(fd, m);
	return n;
}

/* A send on ustack socket @fd returned @n: MSG_ZEROCOPY's and
 * SO_TIMESTAMPING's reports (errq.c), errno kept */
static ssize_t xs_sent(int fd, unsigned k, const struct msghdr *m,
		       int flags, ssize_t n)
{
	int e = errno;

	if (n != NOT_OURS_NOW)
		ust_xs_sent(fd, k, m, flags, n);
	errno = e;
	return n;
}

PUBLIC ssize_t ustack_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	unsigned k = send_kind(fd, msg->msg_name != NULL);
	/* the data is copied whatever MSG_ZEROCOPY asks (errq.c) */
	int f = flags & ~MSG_ZEROCOPY;
	ssize_t n;

	if (ust_is_dgram(k)) {
		n = xs_sent(fd, k, msg, flags, dgram_send(fd, k, msg, f));
		if (n != NOT_OURS_NOW)
			return n;
		k = 0;
	}
	if (k)
		n = xs_sent(fd, k, msg, flags, stream_sendmsg(fd, k, msg, f));
	if (!k || n == NOT_OURS_NOW)
		return foreign_sent(fd, msg, ust_r.sendmsg(fd, msg, flags));
	return n;
}

PUBLIC ssize_t ustack_sendto(int fd, const void *buf, size_t len, int flags,
			     const struct sockaddr *addr, socklen_t alen)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_name = (void *)addr, .msg_namelen = alen,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned k = send_kind(fd, addr != NULL);
	int f = flags & ~MSG_ZEROCOPY;  /* copied all the same (errq.c) */
	ssize_t n;

	if (ust_is_dgram(k)) {
		n = xs_sent(fd, k, &m, flags, dgram_send(fd, k, &m, f));
		if (n != NOT_OURS_NOW)
			return n;
		k = 0;
	}
	if (!k)
		return foreign_sent(fd, &m, ust_r.sendto(fd, buf, len, flags,
							 addr, alen));
	/* sendto, unlike sendmsg, refuses an address longer than any */
	if (addr && alen > sizeof(struct sockaddr_storage))
		return fail(-EINVAL);
	if (!addr)
		m.msg_namelen = 0;
	n = xs_sent(fd, k, &m, flags, stream_sendmsg(fd, k, &m, f));
	if (n == NOT_OURS_NOW)
		return foreign_sent(fd, &m, ust_r.sendto(fd, buf, len, flags,
							 addr, alen));
	return n;
}

PUBLIC ssize_t ustack_send(int fd, const void *buf, size_t len, int flags)
{
	return ustack_sendto(fd, buf, len, flags, NULL, 0);
}

/*
 * When the last byte of a stream read arrived (*@r: its offsets in, the
 * time and the socket's SO_TIMESTAMP(NS) flags out), the daemon's to say
 * (sock_tcp.c): one round trip. Return: false if it could not be asked
 * (then the read has no time, as an unstamped skb's)
 */
static bool stream_rxtime(int fd, struct ustack_stream_rxtime *r)
{
	struct ustack_sockopt o, out;
	size_t n = 0;
	int e = errno;

	memset(&o, 0, sizeof(o));
	o.level = SOL_SOCKET;
	o.name = USTACK_SO_RXTIME;
	o.len = sizeof(*r);
	memcpy(o.val, r, sizeof(*r));
	if (ctl_call(USTACK_MSG_GETSOCKOPT, &o, sizeof(o), fd, &out,
		     sizeof(out), &n) || n != sizeof(out) ||
	    out.len != sizeof(*r)) {
		errno = e;
		return false;
	}
	memcpy(r, out.val, sizeof(*r));
	errno = e;
	return true;
}

/* A stream read without control room (recv, read, readv) read @n: the
 * count of a socket that asks for receive times goes on (errq.c) */
static ssize_t stream_count(int fd, ssize_t n, int flags)
{
	if (n > 0)
		ust_xs_rx_read(fd, (size_t)n, flags & MSG_PEEK, NULL, NULL);
	return n;
}

/*
 * A stream recvmsg's control messages, as tcp_recvmsg() writes them after
 * the copy, in the @cap bytes of control room the program gave: its
 * receive times when it read bytes and asks for them (SO_TIMESTAMP(NS),
 * SO_TIMESTAMPING: tcp_recv_timestamp(), for the last byte read, as Linux
 * gives the last skb's), then TCP_INQ's TCP_CM_INQ with the bytes left to
 * read, here those waiting in the channel (what FIONREAD says). No room:
 * MSG_CTRUNC, as put_cmsg() says it.
 */
static void stream_recv_cmsg(int fd, unsigned k, struct msghdr *msg,
			     size_t cap, ssize_t n, int flags)
{
	struct ustack_stream_rxtime r;
	size_t used = 0;
	bool ts;
	int inq = 0;

	memset(&r, 0, sizeof(r));
	ts = n > 0 && ust_xs_rx_read(fd, (size_t)n, flags & MSG_PEEK,
				     &r.last, &r.consumed);
	if (!ts && !(k & UST_INQ))
		return;
	msg->msg_controllen = cap;
	if (ts && stream_rxtime(fd, &r))
		ust_cmsg_rxtime(msg, &used, fd, r.cmsg, r.sec, r.nsec);
	if (k & UST_INQ) {
		ust_r.ioctl(fd, FIONREAD, &inq);
		ust_cmsg_put(msg, &used, SOL_TCP, TCP_CM_INQ, &inq,
			     sizeof(inq));
	}
	msg->msg_controllen = used;
}

/*
 * tcp_recvmsg(MSG_ERRQUEUE): inet_recv_error(), whatever the state; the
 * reports are errq.c's, EAGAIN when there is none
 */
static ssize_t stream_recverr(int fd, unsigned k, struct msghdr *msg)
{
	ssize_t n;

	if (ust_xs_recverr(fd, k, msg, &n))
		return n;
	return fail(-EAGAIN);
}

PUBLIC ssize_t ustack_recvmsg(int fd, struct msghdr *msg, int flags)
{
	unsigned k;
	ssize_t n, got;
	size_t ctl;

	k = ust_kind(fd);
	if (k && UST_DECIDES(k))
		k = ust_check(fd, k);
	if (!k) {
		if (ust_rtnl_recv(fd, msg, flags, &n))
			return n;
		/* descriptors may come with it: the numbers are new */
		n = ust_r.recvmsg(fd, msg, flags);
		if (n >= 0)
			ust_forget_received(msg);
		return n;
	}
	if (ust_is_dgram(k))
		return dgram_recvmsg(fd, msg, flags);
	if (flags & MSG_ERRQUEUE)
		return stream_recverr(fd, k, msg);
	if (stream_unusable(fd, k, false, flags))
		return -1;
	/* the channel's kernel sets msg_namelen to 0, as TCP's does */
	ctl = msg->msg_control ? msg->msg_controllen : 0;
	n = ust_r.recvmsg(fd, msg, flags);
	got = n;
	n = stream_read_result(fd, k, n, msg->msg_iov, msg->msg_iovlen, flags);
	/* bytes taken after SHUT_RD (stream_shut_read()) never were in the
	 * channel: the receive times count the channel's alone */
	if (n >= 0)
		stream_recv_cmsg(fd, k, msg, ctl, got > 0 ? got : 0, flags);
	return n;
}

PUBLIC ssize_t ustack_recvfrom(int fd, void *buf, size_t len, int flags,
			       struct sockaddr *addr, socklen_t *alen)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_name = addr, .msg_namelen = alen ? *alen : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned k;
	ssize_t n;

	k = ust_kind(fd);
	if (k && UST_DECIDES(k))
		k = ust_check(fd, k);
	if (!k) {
		if (!ust_rtnl_recv(fd, &m, flags, &n))
			return ust_r.recvfrom(fd, buf, len, flags, addr, alen);
		if (n >= 0 && addr && alen)
			*alen = m.msg_namelen;
		return n;
	}
	if (!ust_is_dgram(k) && (flags & MSG_ERRQUEUE)) {
		m.msg_namelen = 0;
		n = stream_recverr(fd, k, &m);
		if (n >= 0 && alen)
			*alen = 0;
		return n;
	}
	if (!ust_is_dgram(k)) {
		if (stream_unusable(fd, k, false, flags))
			return -1;
		/* the channel's kernel gives *alen 0, as TCP's does */
		n = ust_r.recvfrom(fd, buf, len, flags, addr, alen);
		return stream_read_result(fd, k, stream_count(fd, n, flags),
					  &iov, 1, flags);
	}
	if (!addr)
		m.msg_namelen = 0;
	n = dgram_recvmsg(fd, &m, flags);
	if (n >= 0 && addr && alen)
		*alen = m.msg_namelen;
	return n;
}

PUBLIC ssize_t ustack_recv(int fd, void *buf, size_t len, int flags)
{
	return ustack_recvfrom(fd, buf, len, flags, NULL, NULL);
}

PUBLIC ssize_t ustack_read(int fd, void *buf, size_t len)
{
	unsigned k = ust_kind(fd);
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (k && UST_DECIDES(k))
		k = ust_check(fd, k);
	if (!k) {
		ssize_t n;

		return ust_rtnl_recv(fd, &m, 0, &n) ? n
						    : ust_r.read(fd, buf, len);
	}
	if (ust_is_dgram(k))
		return dgram_recvmsg(fd, &m, 0);
	if (stream_unusable(fd, k, false, 0))
		return -1;
	return stream_read_result(fd, k, stream_count(fd, ust_r.read(fd, buf,
								     len), 0),
				  &iov, 1, 0);
}

PUBLIC ssize_t ustack_write(int fd, const void *buf, size_t len)
{
	unsigned k = send_kind(fd, false);
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (ust_is_dgram(k)) {
		n = dgram_send(fd, k, &m, 0);
		if (n != NOT_OURS_NOW)
			return n;
		k = 0;
	}
	if (!k)
		return ust_r.write(fd, buf, len);
	if (stream_unusable(fd, k, true, 0))
		return -1;
	stream_settle(fd, k);
	n = xs_sent(fd, k, &m, 0, stream_xmit(fd, k, &m, 0, true));
	return n == NOT_OURS_NOW ? ust_r.write(fd, buf, len) : n;
}

PUBLIC ssize_t ustack_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov,
			    .msg_iovlen = iovcnt < 0 ? 0 : (size_t)iovcnt };
	unsigned k = ust_kind(fd);
	ssize_t n;

	if (k && UST_DECIDES(k))
		k = ust_check(fd, k);
	if (!k)
		return ust_r.readv(fd, iov, iovcnt);
	if (ust_is_dgram(k))
		return iovcnt < 0 ? fail(-EINVAL) : dgram_recvmsg(fd, &m, 0);
	if (stream_unusable(fd, k, false, 0))
		return -1;
	n = ust_r.readv(fd, iov, iovcnt);
	return stream_read_result(fd, k, stream_count(fd, n, 0), iov,
				  m.msg_iovlen, 0);
}

PUBLIC ssize_t ustack_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov,
			    .msg_iovlen = iovcnt < 0 ? 0 : (size_t)iovcnt };
	unsigned k = send_kind(fd, false);
	ssize_t n;

	if (ust_is_dgram(k) && iovcnt >= 0) {
		n = dgram_send(fd, k, &m, 0);
		if (n != NOT_OURS_NOW)
			return n;
		k = 0;
	}
	/* an invalid count: the kernel's EINVAL (sendmsg would differ) */
	if (!k || iovcnt < 0 || iovcnt > IOV_MAX)
		return ust_r.writev(fd, iov, iovcnt);
	if (stream_unusable(fd, k, true, 0))
		return -1;
	stream_settle(fd, k);
	n = xs_sent(fd, k, &m, 0, stream_xmit(fd, k, &m, 0, true));
	return n == NOT_OURS_NOW ? ust_r.writev(fd, iov, iovcnt) : n;
}

/*
 * Is the daemon that made @fd gone? Asked when a listening channel reads
 * end-of-file: the daemon shuts it when the listener stops listening
 * (shutdown(), a reset), and the end of the daemon ends it too. Gone: no
 * daemon answers (ENETDOWN), or a new one that does not know @fd
 * (ENOTSOCK).
 */
static bool daemon_gone(int fd)
{
	struct ustack_sockopt o, out;
	size_t n = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.level = SOL_SOCKET;
	o.name = SO_ACCEPTCONN;
	o.len = sizeof(int);
	rc = ctl_call(USTACK_MSG_GETSOCKOPT, &o, sizeof(o), fd, &out,
		      sizeof(out), &n);
	return rc == -ENETDOWN || rc == -ENOTSOCK;
}

/* accept() on an orphaned listener: nothing comes; whatever connects to
 * the quiet socket by its abstract name is turned away */
static int orphan_accept(int fd, int flags)
{
	for (;;) {
		int c = ust_r.accept4(fd, NULL, NULL, flags | SOCK_CLOEXEC);

		if (c < 0)
			return -1;
		ust_r.close(c);
	}
}

/*
 * A listener outlived its daemon (stopped, crashed, restarted). Its
 * channel reads end-of-file for ever, which poll() reports as readable,
 * so an event loop would call accept() in a tight loop (asyncio logs an
 * EINVAL traceback each time, at full CPU, until the program is killed).
 * A kernel listener whose network went away is quiet instead: nothing
 * arrives. So put a quiet descriptor in the channel's place, with the
 * same number and O_NONBLOCK: an AF_UNIX listening socket (autobound, in
 * the abstract namespace) that nothing connects to. poll() and epoll no
 * longer wake for it (dup2() drops the old channel's epoll registration),
 * accept() blocks or says EAGAIN, and close() works as before. Say so
 * once on stderr: the program's other sockets read end-of-file or fail
 * with ENETDOWN, and only a restart of the program brings it back to a
 * daemon. Return: as accept4(), for this call.
 */
static int listener_orphan(int fd, unsigned k, int flags)
{
	static atomic_bool said;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int q, fl = ust_r.fcntl(fd, F_GETFL);

	if (!atomic_exchange(&said, true)) {
		char msg[PATH_MAX + 160];
		int len = snprintf(msg, sizeof(msg), "ustack: ustackd is gone "
				   "(%s): listening socket %d gets no more "
				   "connections; restart the program when "
				   "ustackd runs again\n", ctl_path(), fd);

		if (len > 0 && ust_r.write(STDERR_FILENO, msg,
					   (size_t)len) < 0)
			(void)0;    /* nowhere to say it */
	}
	q = ust_r.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q < 0)
		return fail(-ENETDOWN);
	if (ust_r.bind(q, (struct sockaddr *)&sa, sizeof(sa_family_t)) ||
	    ust_r.listen(q, 0) ||
	    (fl >= 0 && ust_r.fcntl(q, F_SETFL, fl & O_NONBLOCK)) ||
	    ust_r.dup3(q, fd, ust_r.fcntl(fd, F_GETFD) & FD_CLOEXEC
			   ? O_CLOEXEC : 0) < 0) {
		ust_r.close(q);
		return fail(-ENETDOWN);
	}
	ust_r.close(q);
	ust_set(fd, k | UST_ORPHAN);
	return fl >= 0 && (fl & O_NONBLOCK) ? fail(-EAGAIN)
					    : orphan_accept(fd, flags);
}

/*
 * accept: a listening channel carries one message per connection, a
 * struct ustack_accept_msg with the connection's channel attached.
 */
PUBLIC int ustack_accept4(int fd, struct sockaddr *addr, socklen_t *len,
			  int flags)
{
	struct ustack_accept_msg am;
	struct iovec iov = { &am, sizeof(am) };
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b) };
	struct cmsghdr *c;
	unsigned k;
	int nfd = -1;
	ssize_t n;

	PASS_UNLESS_OURS(k, fd, accept4(fd, addr, len, flags));
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail(-EINVAL);
	if ((k & UST_TYPE_MASK) != SOCK_STREAM)
		return fail(-EOPNOTSUPP);
	if (k & UST_ORPHAN)
		return orphan_accept(fd, flags);
	if (!(k & UST_LISTENING)) {
		int v = 0;
		socklen_t vl = sizeof(v);

		if (ustack_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl))
			return -1;
		if (!v)
			return fail(-EINVAL);
		ust_set_flags(fd, UST_LISTENING, 0);
	}
	n = ust_r.recvmsg(fd, &m, flags & SOCK_CLOEXEC ? MSG_CMSG_CLOEXEC : 0);
	if (n < 0)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&nfd, CMSG_DATA(c), sizeof(int));
	if (n == 0 && nfd < 0)          /* not listening (shut down) */
		return daemon_gone(fd) ? listener_orphan(fd, k, flags)
				       : fail(-EINVAL);
	if (n != (ssize_t)sizeof(am) || nfd < 0) {
		if (nfd >= 0)
			ust_r.close(nfd);
		return fail(-ECONNABORTED);
	}
	/* the end comes non-blocking (as servers accept4() it): made
	 * blocking for an accept that did not ask */
	if (!(flags & SOCK_NONBLOCK) != !(am.info.flags & USTACK_INFO_NONBLOCK))
		ust_r.fcntl(nfd, F_SETFL, flags & SOCK_NONBLOCK ? O_NONBLOCK : 0);
	ust_set_ino(nfd, kind_of(&am.info) | (k & (UST_LINGER | UST_INQ |
						      UST_LOWAT)), am.info.ino);
	ust_xs_inherit(fd, nfd);
	if (addr && len)
		*len = ust_addr_out(k, &am.peer, addr, *len);
	return nfd;
}

PUBLIC int ustack_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return ustack_accept4(fd, addr, len, 0);
}

static int fcntl_dup(int fd, int cmd, int arg)
{
	int nfd = ust_r.fcntl(fd, cmd, arg);

	if (nfd >= 0)
		ust_copy(fd, nfd);
	return nfd;
}

PUBLIC int ustack_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	ust_init();
	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return fcntl_dup(fd, cmd, (int)arg);
	return ust_r.fcntl(fd, cmd, arg);
}

static int dgram_ioctl(int fd, unsigned long req, int *val)
{
	struct ustack_dgram_hdr h;
	struct ustack_int v = { (int32_t)req }, out;
	size_t n = 0;
	ssize_t r;
	int rc;

	if (req == FIONREAD) {
		r = ust_r.recv(fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
		*val = r == (ssize_t)sizeof(h) && h.kind == USTACK_DG_DATA ?
		       (int)h.len : 0;
		return 0;
	}
	rc = ctl_call(USTACK_MSG_IOCTL, &v, sizeof(v), fd, &out, sizeof(out),
		      &n);
	if (rc)
		return rc;
	*val = out.value;
	return 0;
}

PUBLIC int ustack_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	unsigned k;
	int rc, val;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	k = ust_kind(fd);
	if (k && (req == FIONREAD || req == SIOCOUTQ))
		k = ust_check(fd, k);
	if (k && (req == FIONREAD || req == SIOCOUTQ)) {
		if (ust_is_dgram(k))
			rc = dgram_ioctl(fd, req, &val);
		else if (req == FIONREAD)
			return ust_r.ioctl(fd, req, arg);
		else
			rc = dgram_ioctl(fd, req, &val);
		if (rc)
			return fail(rc);
		memcpy(arg, &val, sizeof(int));
		return 0;
	}
	if (k && ust_ifaddr_ioctl(req, arg, &rc))
		return rc ? fail(rc) : 0;
	return ust_r.ioctl(fd, req, arg);
}

/* CLOCK_MONOTONIC now, in ns */
static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A timeout as an end on CLOCK_MONOTONIC (-1: none) */
static int64_t wait_end(const struct timespec *timeout)
{
	if (!timeout)
		return -1;
	return mono_ns() + (int64_t)timeout->tv_sec * 1000000000 +
	       timeout->tv_nsec;
}

/* The next slice of a wait that ends at @end (-1: never): at most
 * UST_XS_SLICE_NS; false when the wait is over */
static bool wait_slice(int64_t end, struct timespec *slice)
{
	int64_t left = UST_XS_SLICE_NS;

	if (end >= 0) {
		left = end - mono_ns();
		if (left <= 0)
			return false;
		if (left > UST_XS_SLICE_NS)
			left = UST_XS_SLICE_NS;
	}
	slice->tv_sec = 0;
	slice->tv_nsec = left;
	return true;
}

/* What is left of a wait that ends at @end (NULL for none, into @t) */
static const struct timespec *wait_left(int64_t end, struct timespec *t)
{
	int64_t left;

	if (end < 0)
		return NULL;
	left = end - mono_ns();
	if (left < 0)
		left = 0;
	t->tv_sec = left / 1000000000;
	t->tv_nsec = left % 1000000000;
	return t;
}

/*
 * A poll of @fds, one of which has TX_ACK marks the daemon has not seen
 * acknowledged (errq.c): the daemon cannot wake us when one is, so the
 * wait is made of slices of UST_XS_SLICE_NS, the daemon asked between
 * them, until an event, a report, or the end of @timeout; once no mark is
 * out, the rest is one wait. The signal mask is the program's during each
 * slice, not between them.
 */
static int poll_sliced(struct pollfd *fds, nfds_t nfds,
		       const struct timespec *timeout, const sigset_t *sigmask)
{
	int64_t end = wait_end(timeout);
	struct timespec t;
	int n;

	for (;;) {
		if (!ust_xs_poll_marked(fds, nfds)) {
			n = ust_r.ppoll(fds, nfds, wait_left(end, &t),
					sigmask);
			break;
		}
		if (!wait_slice(end, &t)) {
			n = 0;
			break;
		}
		n = ust_r.ppoll(fds, nfds, &t, sigmask);
		if (n != 0)
			break;
		if (ust_xs_poll_due(fds, nfds))         /* asks the daemon */
			break;
	}
	if (n > 0)
		n = ust_poll_fix(fds, nfds, n);
	return n >= 0 ? ust_xs_poll(fds, nfds, n) : n;
}

/* poll is the kernel's; a datagram socket with an error gets POLLERR */
PUBLIC int ustack_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timespec t = { timeout / 1000, (timeout % 1000) * 1000000L };
	int n;

	ust_init();
	/* reports already waiting (errq.c): the poll does not block */
	if (ust_xs_poll_due(fds, nfds))
		timeout = 0;
	else if (timeout != 0 && ust_xs_poll_marked(fds, nfds))
		return poll_sliced(fds, nfds, timeout < 0 ? NULL : &t, NULL);
	n = ust_r.poll(fds, nfds, timeout);
	if (n > 0)
		n = ust_poll_fix(fds, nfds, n);
	return n >= 0 ? ust_xs_poll(fds, nfds, n) : n;
}

int ust_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
	      const sigset_t *sigmask)
{
	int n;

	static const struct timespec zero;

	ust_init();
	if (ust_xs_poll_due(fds, nfds))
		timeout = &zero;
	else if ((!timeout || timeout->tv_sec || timeout->tv_nsec) &&
		 ust_xs_poll_marked(fds, nfds))
		return poll_sliced(fds, nfds, timeout, sigmask);
	n = ust_r.ppoll(fds, nfds, timeout, sigmask);
	if (n > 0)
		n = ust_poll_fix(fds, nfds, n);
	return n >= 0 ? ust_xs_poll(fds, nfds, n) : n;
}

/*
 * A select whose sets name a descriptor with TX_ACK marks out (errq.c):
 * slices, as poll_sliced(), the sets given again to each. Return: as
 * select; *@timeout, if given (select's), is left with the time not
 * waited, as Linux's select leaves it
 */
static int select_sliced(int nfds, fd_set *r, fd_set *w, fd_set *e,
			 const struct timespec *timeout,
			 const sigset_t *sigmask, struct timeval *left)
{
	int64_t end = wait_end(timeout);
	fd_set ask_r, ask_w, ask_e;
	struct timespec t;
	int n;

	if (r)
		ask_r = *r;
	if (w)
		ask_w = *w;
	if (e)
		ask_e = *e;
	for (;;) {
		if (r)
			*r = ask_r;
		if (w)
			*w = ask_w;
		if (e)
			*e = ask_e;
		if (!ust_xs_select_marked(nfds, r, w)) {
			n = ust_r.pselect(nfds, r, w, e, wait_left(end, &t),
					  sigmask);
			break;
		}
		if (!wait_slice(end, &t)) {
			n = 0;
			if (r)
				FD_ZERO(r);
			if (w)
				FD_ZERO(w);
			if (e)
				FD_ZERO(e);
			break;
		}
		n = ust_r.pselect(nfds, r, w, e, &t, sigmask);
		if (n != 0)
			break;
		if (ust_xs_select_due(nfds, &ask_r, &ask_w))
			break;          /* asked the daemon: reports came */
	}
	if (left && end >= 0) {
		wait_left(end, &t);
		left->tv_sec = t.tv_sec;
		left->tv_usec = t.tv_nsec / 1000;
	}
	return n < 0 ? n : ust_xs_select(nfds, r ? &ask_r : NULL,
					 w ? &ask_w : NULL, r, w, n);
}

/*
 * select and pselect are the kernel's; with reports waiting (errq.c) on a
 * descriptor asked about for reading or writing, they do not block, and
 * that descriptor is readable and writable, as Linux's POLLERR makes it;
 * with TX_ACK marks out on one, they wait in slices (select_sliced())
 */
PUBLIC int ustack_select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			 struct timeval *timeout)
{
	struct timeval zero = { 0, 0 };
	struct timespec t;
	fd_set ask_r, ask_w;
	bool due;
	int n;

	ust_init();
	due = ust_xs_select_due(nfds, r, w);
	if (!due && (!timeout || timeout->tv_sec || timeout->tv_usec) &&
	    ust_xs_select_marked(nfds, r, w)) {
		if (timeout) {
			t.tv_sec = timeout->tv_sec;
			t.tv_nsec = timeout->tv_usec * 1000L;
		}
		return select_sliced(nfds, r, w, e, timeout ? &t : NULL,
				     NULL, timeout);
	}
	if (!due)
		return ust_r.select(nfds, r, w, e, timeout);
	if (r)
		ask_r = *r;
	if (w)
		ask_w = *w;
	n = ust_r.select(nfds, r, w, e, &zero);
	return n < 0 ? n : ust_xs_select(nfds, r ? &ask_r : NULL,
					 w ? &ask_w : NULL, r, w, n);
}

int ust_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
		const struct timespec *timeout, const sigset_t *sigmask)
{
	static const struct timespec zero;
	fd_set ask_r, ask_w;
	bool due;
	int n;

	ust_init();
	due = ust_xs_select_due(nfds, r, w);
	if (!due && (!timeout || timeout->tv_sec || timeout->tv_nsec) &&
	    ust_xs_select_marked(nfds, r, w))
		return select_sliced(nfds, r, w, e, timeout, sigmask, NULL);
	if (!due)
		return ust_r.pselect(nfds, r, w, e, timeout, sigmask);
	if (r)
		ask_r = *r;
	if (w)
		ask_w = *w;
	n = ust_r.pselect(nfds, r, w, e, &zero, sigmask);
	return n < 0 ? n : ust_xs_select(nfds, r ? &ask_r : NULL,
					 w ? &ask_w : NULL, r, w, n);
}
