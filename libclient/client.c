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
 * Data: a UDP socket's channel is SOCK_SEQPACKET; each message is a
 * struct ustack_dgram_hdr and the payload. Receiving is one recvmsg on
 * the channel with the header as the first iovec; sending is a SENDTO
 * request, so that errors come back synchronously as from the kernel.
 * Blocking, O_NONBLOCK, SO_RCVTIMEO/SO_SNDTIMEO, poll/select/epoll are
 * the kernel's own on the program's end; the options that concern the
 * descriptor itself are set on it directly.
 *
 * The descriptor table: one 32-bit word per fd number, 0 while unknown,
 * UST_NOT_OURS, or UST_OURS with the domain and type. A socket we create
 * or accept is entered at once; an fd we have not seen (inherited across
 * exec, received from another process) is asked about once: an AF_UNIX
 * socket whose peer is the daemon's process is looked up with a QUERY.
 * close and the dup family keep the table right.
 */
#include "client.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_proto.h"

#define PUBLIC __attribute__((visibility("default")))

struct ust_real ust_r;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctl_key;
static __thread int ctl_fd = -1;
static __thread uint32_t ctl_seq;
static _Atomic pid_t daemon_pid;

static _Atomic uint32_t *fdtab;
static unsigned fdtab_size;

static void ctl_drop(void)
{
	if (ctl_fd >= 0)
		ust_r.close(ctl_fd);
	ctl_fd = -1;
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
}

#define REAL(name) ust_r.name = (__typeof__(ust_r.name))dlsym(RTLD_NEXT, #name)

static void init_real(void)
{
	struct rlimit rl;
	size_t bytes;
	void *p;

	REAL(socket); REAL(bind); REAL(listen); REAL(accept4); REAL(connect);
	REAL(shutdown); REAL(close); REAL(getsockname); REAL(getpeername);
	REAL(getsockopt); REAL(setsockopt); REAL(sendmsg); REAL(recvmsg);
	REAL(send); REAL(recv); REAL(sendto); REAL(recvfrom);
	REAL(read); REAL(write); REAL(readv); REAL(writev); REAL(fcntl);
	REAL(ioctl); REAL(dup); REAL(dup2); REAL(dup3); REAL(poll);
	REAL(ppoll);
	REAL(select); REAL(sendfile); REAL(recvmmsg); REAL(sendmmsg);
	REAL(close_range); REAL(socketpair);
	fdtab_size = 1u << 16;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max > fdtab_size)
		fdtab_size = rl.rlim_max > (1u << 22) ? 1u << 22
						      : (unsigned)rl.rlim_max;
	bytes = (size_t)fdtab_size * sizeof(*fdtab);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		fdtab_size = 0;
	else
		fdtab = p;
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

static const char *ctl_path(void)
{
	const char *p;

	if (*ctl_path_buf)
		return ctl_path_buf;
	p = getenv("USTACK_SOCKET");
	return p && *p ? p : USTACK_DEFAULT_SOCKET;
}

static int ctl_get(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = ctl_path();
	int fd;

	if (ctl_fd >= 0)
		return ctl_fd;
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
	ctl_fd = fd;
	pthread_setspecific(ctl_key, (void *)1);
	return fd;
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
	struct ustack_msg_hdr h = { .magic = USTACK_PROTO_MAGIC,
				    .version = USTACK_PROTO_VERSION,
				    .type = type };
	struct iovec iov[3 + 64];
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 0 };
	/* the largest reply: a DGERR with its bytes */
	uint8_t rbuf[sizeof(h) + sizeof(struct ustack_dgerr_reply) +
		     USTACK_DGERR_PAYLOAD_MAX];
	size_t total = sizeof(h) + blen;
	int c = ctl_get(), attempt;
	ssize_t n;

	if (rfd)
		*rfd = -1;
	if (c < 0)
		return -ENETDOWN;
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
	h.seq = ++ctl_seq;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		cm.c.cmsg_level = SOL_SOCKET;
		cm.c.cmsg_type = SCM_RIGHTS;
		cm.c.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.c), &fd, sizeof(int));
	}
	for (attempt = 0;; attempt++) {
		n = ust_r.sendmsg(c, &msg, MSG_NOSIGNAL);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0) {
		int e = errno;

		ctl_drop();
		return e == EBADF ? -EBADF : -ENETDOWN;
	}
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
		struct cmsghdr *cp;
		int got = -1;

		n = ust_r.recvmsg(c, &rmsg, rflags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctl_drop();
			return -ENETDOWN;
		}
		for (cp = CMSG_FIRSTHDR(&rmsg); cp; cp = CMSG_NXTHDR(&rmsg, cp)) {
			if (cp->cmsg_level != SOL_SOCKET ||
			    cp->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < (cp->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int f;

				memcpy(&f, CMSG_DATA(cp) + i * sizeof(int), sizeof(f));
				if (got < 0)
					got = f;
				else
					ust_r.close(f);
			}
		}
		if (ustack_msg_check(rbuf, (size_t)n, 1, &rh) ||
		    (rh.type & ~USTACK_MSG_REPLY) != type || rh.seq != h.seq) {
			/* not our reply: a stale one after EINTR; skip it */
			if (got >= 0)
				ust_r.close(got);
			if (ustack_msg_check(rbuf, (size_t)n, 1, &rh) == 0 &&
			    rh.seq != h.seq)
				continue;
			ctl_drop();
			return -EPROTO;
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

static int ctl_call(uint16_t type, const void *body, size_t blen, int fd,
		    void *reply, size_t rcap, size_t *rlen)
{
	return ctl_call_iov(type, body, blen, NULL, 0, fd, reply, rcap, rlen,
			    NULL, 0);
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
	       (info->protocol == IPPROTO_ICMP ? UST_ICMP : 0) |
	       ((unsigned)info->type & UST_TYPE_MASK);
}

/* An fd we have not seen: is it one of ours (inherited across exec)? */
static unsigned resolve(int fd)
{
	struct ustack_sock_info info;
	struct ucred cr;
	struct stat st;
	socklen_t len = sizeof(int);
	int dom = 0;
	size_t n = 0;
	pid_t dp;
	int saved = errno;
	unsigned k = UST_NOT_OURS;

	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
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

unsigned ust_kind(int fd)
{
	uint32_t v;

	ust_init();
	if (fd < 0 || (unsigned)fd >= fdtab_size)
		return 0;
	v = atomic_load_explicit(&fdtab[fd], memory_order_acquire);
	if (v == 0) {
		v = resolve(fd);
		atomic_store_explicit(&fdtab[fd], v, memory_order_release);
	}
	return v & UST_OURS ? v : 0;
}

static void set_kind(int fd, unsigned k)
{
	if (fd >= 0 && (unsigned)fd < fdtab_size)
		atomic_store_explicit(&fdtab[fd], k, memory_order_release);
}

void ust_forget(int fd)
{
	set_kind(fd, 0);
}

void ust_forget_range(unsigned lo, unsigned hi)
{
	for (unsigned i = lo; i <= hi && i < fdtab_size; i++)
		set_kind((int)i, 0);
}

static void set_flags(int fd, unsigned set, unsigned clear)
{
	if (fd >= 0 && (unsigned)fd < fdtab_size) {
		uint32_t v = atomic_load(&fdtab[fd]);

		if (v & UST_OURS)
			atomic_store(&fdtab[fd], (v | set) & ~clear);
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

	if (!(k & UST_SMALLBUF) || ust_r.poll(&p, 1, 0) != 1 ||
	    !(p.revents & POLLOUT))
		return;
	ust_r.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	set_flags(fd, 0, UST_SMALLBUF);
}

static int ctl_call(uint16_t type, const void *body, size_t blen, int fd,
		    void *reply, size_t rcap, size_t *rlen);

/* The daemon's SO_ERROR for a stream whose channel ended (a reset). */
static int stream_error(int fd)
{
	struct ustack_sockopt o, out;
	size_t n = 0;
	int e = 0;

	memset(&o, 0, sizeof(o));
	o.level = SOL_SOCKET;
	o.name = SO_ERROR;
	o.len = sizeof(int);
	if (ctl_call(USTACK_MSG_GETSOCKOPT, &o, sizeof(o), fd, &out,
		     sizeof(out), &n) == 0 && n == sizeof(out) &&
	    out.len == sizeof(int))
		memcpy(&e, out.val, sizeof(int));
	return e;
}

/*
 * A stream send that cannot go (the daemon shut the channel after a reset
 * or timeout, the program shut it down, or it is not connected), as
 * Linux's tcp_sendmsg() -> sk_stream_error() answers: the pending error
 * first, without SIGPIPE (ECONNRESET after a reset, the error of a failed
 * connect), then EPIPE, with SIGPIPE unless MSG_NOSIGNAL; SIGPIPE also
 * when the pending error is EPIPE itself (a reset in CLOSE_WAIT).
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
 * A stream socket that is not connected (never, or no more after a failed
 * connect or connect(AF_UNSPEC)): its channel would take the bytes, so
 * answer here: sends as above, receives the pending error or ENOTCONN.
 */
static ssize_t stream_unconnected_send(int fd, int flags)
{
	return stream_send_error(fd, flags);
}

static ssize_t stream_unconnected_recv(int fd)
{
	int e = stream_error(fd);

	return fail(e ? -e : -ENOTCONN);
}

/* Send on a connected stream's channel, with the kernel's SIGPIPE kept
 * out of it: the daemon's error decides. */
static ssize_t stream_sendmsg(int fd, const struct msghdr *m, int flags)
{
	ssize_t n = ust_r.sendmsg(fd, m, flags | MSG_NOSIGNAL);

	if (n < 0 && errno == EPIPE)
		return stream_send_error(fd, flags);
	return n;
}

static ssize_t stream_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n = ust_r.send(fd, buf, len, flags | MSG_NOSIGNAL);

	if (n < 0 && errno == EPIPE)
		return stream_send_error(fd, flags);
	return n;
}

/* A stream read gave 0: end of stream, or the reset that ended it? */
static ssize_t stream_eof(int fd, size_t len)
{
	int e;

	if (len == 0)
		return 0;
	e = stream_error(fd);
	if (e) {
		/* as after a reset in the kernel, later writes fail with
		 * EPIPE (and SIGPIPE unless MSG_NOSIGNAL) */
		ust_r.shutdown(fd, SHUT_WR);
		errno = e;
		return -1;
	}
	return 0;
}

void ust_copy(int from, int to)
{
	if (from < 0 || (unsigned)from >= fdtab_size)
		return;
	set_kind(to, atomic_load(&fdtab[from]));
}

PUBLIC int ustack_is_socket(int fd)
{
	return ust_kind(fd) != 0;
}

/* ---- socket calls ---- */

PUBLIC int ustack_socket(int domain, int type, int protocol)
{
	struct ustack_socket_req req = { domain, type & ~(SOCK_NONBLOCK |
							 SOCK_CLOEXEC),
					 protocol };
	struct ustack_sock_info info;
	size_t n = 0;
	int fd, rc;

	ust_init();
	if (domain != AF_INET && domain != AF_INET6)
		return ust_r.socket(domain, type, protocol);
	if (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf))
		return fail(-EINVAL);
	rc = ctl_call_iov(USTACK_MSG_SOCKET, &req, sizeof(req), NULL, 0, -1,
			  &info, sizeof(info), &n, &fd,
			  type & SOCK_CLOEXEC ? MSG_CMSG_CLOEXEC : 0);
	if (rc)
		return fail(rc);
	if (fd < 0 || n != sizeof(info))
		return fail(-EPROTO);
	if (type & SOCK_NONBLOCK)
		ust_r.fcntl(fd, F_SETFL, O_NONBLOCK | ust_r.fcntl(fd, F_GETFL));
	set_kind(fd, kind_of(&info) | (info.type == SOCK_STREAM ? UST_FRESH : 0));
	return fd;
}

/*
 * socketpair(): AF_INET and AF_INET6 have none (EOPNOTSUPP) where the
 * family exists. Whether AF_INET6 exists is ustack's to say, not the host
 * kernel's (until IPv6 it does not: EAFNOSUPPORT, as on a kernel booted
 * with ipv6.disable=1), so a socket of that kind is asked of the daemon.
 */
int ust_socketpair(int domain, int type, int protocol, int sv[2])
{
	int fd;

	ust_init();
	if (domain != AF_INET6)
		return ust_r.socketpair(domain, type, protocol, sv);
	fd = ustack_socket(domain, type, protocol);
	if (fd < 0)
		return -1;
	ustack_close(fd);
	return fail(-EOPNOTSUPP);
}

/* Not a ustack socket: the call is libc's. */
#define PASS_UNLESS_OURS(k, fd, call) \
	do { \
		(k) = ust_kind(fd); \
		if (!(k)) \
			return ust_r.call; \
	} while (0)

static int to_ua(struct ustack_sockaddr *ua, const struct sockaddr *sa,
		 socklen_t len)
{
	if (!sa && len)
		return -EFAULT;
	return ustack_addr_from_sockaddr(ua, sa, len);
}

PUBLIC int ustack_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct ustack_sockaddr ua;
	unsigned k;
	int rc;

	PASS_UNLESS_OURS(k, fd, bind(fd, addr, len));
	if ((rc = to_ua(&ua, addr, len)))
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
		set_flags(fd, UST_LISTENING, UST_FRESH);
	return rc ? fail(rc) : 0;
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
 * new filler for the next non-blocking attempt.
 */
static void stream_connected(int fd, int rc, bool unspec)
{
	if (unspec && rc == 0) {
		stream_flush(fd);
		set_flags(fd, UST_FRESH, UST_CONNECT_TRIED | UST_LISTENING);
	} else if (rc && rc != -EINPROGRESS && rc != -EALREADY &&
		   rc != -EISCONN && rc != -EINTR) {
		set_flags(fd, UST_FRESH, UST_CONNECT_TRIED);
	}
}

PUBLIC int ustack_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct ustack_connect_req r;
	unsigned k;
	int rc, fl;

	PASS_UNLESS_OURS(k, fd, connect(fd, addr, len));
	if ((rc = to_ua(&r.addr, addr, len)))
		return fail(rc);
	fl = ust_r.fcntl(fd, F_GETFL);
	r.nonblock = fl >= 0 && (fl & O_NONBLOCK);
	r.filler = 0;
	if (ust_is_stream(k) && r.nonblock && !(k & UST_CONNECT_TRIED) &&
	    r.addr.family != AF_UNSPEC) {
		/*
		 * Keep the fd unwritable until the handshake ends, as the
		 * kernel does: fill its small send buffer; the daemon
		 * discards exactly these bytes when the outcome is known.
		 */
		static const char fill[512];
		int v = 1;

		ust_r.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		for (int i = 0; i < 64; i++) {
			ssize_t n = ust_r.send(fd, fill, sizeof(fill),
					       MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n <= 0)
				break;
			r.filler += (uint32_t)n;
		}
		set_flags(fd, UST_SMALLBUF, 0);
	}
	set_flags(fd, UST_CONNECT_TRIED, UST_FRESH);
	rc = ctl_call(USTACK_MSG_CONNECT, &r, sizeof(r), fd, NULL, 0, NULL);
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
	uint32_t v = 0;

	ust_init();
	if (fd >= 0 && (unsigned)fd < fdtab_size)
		v = atomic_load(&fdtab[fd]);
	ust_forget(fd);
	if ((v & UST_OURS) && (v & UST_LINGER))
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

	k = ust_kind(fd);
	if (!k)
		return type == USTACK_MSG_GETSOCKNAME ?
		       ust_r.getsockname(fd, addr, len) :
		       ust_r.getpeername(fd, addr, len);
	if (!len || (int)*len < 0)
		return fail(-EINVAL);
	rc = ctl_call(type, NULL, 0, fd, &ua, sizeof(ua), &n);
	if (rc)
		return fail(rc);
	full = ustack_addr_to_sockaddr(&ua, addr, *len,
				       k & UST_V6 ? AF_INET6 : AF_INET);
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

/* Options that belong to the descriptor itself: the kernel's own. */
static bool opt_is_local(int level, int name)
{
	return level == SOL_SOCKET &&
	       (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD ||
		name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW ||
		name == SO_PASSCRED || name == SO_PEERCRED);
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
	if (ust_is_stream(k) && level == SOL_SOCKET && name == SO_ERROR)
		stream_settle(fd, k);
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
	memset(&o, 0, sizeof(o));
	o.level = level;
	o.name = name;
	o.len = len > USTACK_OPT_MAX ? USTACK_OPT_MAX : len;
	if (o.len)
		memcpy(o.val, val, o.len);
	rc = ctl_call(USTACK_MSG_SETSOCKOPT, &o, sizeof(o), fd, NULL, 0, NULL);
	if (rc == 0 && ust_is_stream(k) && level == SOL_SOCKET &&
	    name == SO_LINGER && len >= sizeof(struct linger)) {
		const struct linger *lg = val;

		/* close() will wait (linger_close()) */
		if (lg->l_onoff && lg->l_linger > 0)
			set_flags(fd, UST_LINGER, 0);
		else
			set_flags(fd, 0, UST_LINGER);
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

static ssize_t dgram_recvmsg(int fd, struct msghdr *m, int flags)
{
	return ust_dgram_recvmsg(fd, ust_kind(fd), m, flags);
}

PUBLIC ssize_t ustack_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	unsigned k;

	PASS_UNLESS_OURS(k, fd, sendmsg(fd, msg, flags));
	if (ust_is_dgram(k))
		return dgram_sendmsg(fd, k, msg, flags);
	if (k & UST_FRESH)
		return stream_unconnected_send(fd, flags);
	if (msg->msg_name && msg->msg_namelen)
		return fail(-EISCONN);
	stream_settle(fd, k);
	return stream_sendmsg(fd, msg, flags);
}

PUBLIC ssize_t ustack_sendto(int fd, const void *buf, size_t len, int flags,
			     const struct sockaddr *addr, socklen_t alen)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_name = (void *)addr, .msg_namelen = alen,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned k;

	PASS_UNLESS_OURS(k, fd, sendto(fd, buf, len, flags, addr, alen));
	if (ust_is_dgram(k))
		return dgram_sendmsg(fd, k, &m, flags);
	if (k & UST_FRESH)
		return stream_unconnected_send(fd, flags);
	if (addr && alen)
		return fail(-EISCONN);
	stream_settle(fd, k);
	return stream_send(fd, buf, len, flags);
}

PUBLIC ssize_t ustack_send(int fd, const void *buf, size_t len, int flags)
{
	return ustack_sendto(fd, buf, len, flags, NULL, 0);
}

PUBLIC ssize_t ustack_recvmsg(int fd, struct msghdr *msg, int flags)
{
	unsigned k;

	PASS_UNLESS_OURS(k, fd, recvmsg(fd, msg, flags));
	if (ust_is_dgram(k))
		return dgram_recvmsg(fd, msg, flags);
	if (k & UST_FRESH)
		return stream_unconnected_recv(fd);
	msg->msg_namelen = 0;
	{
		ssize_t n = ust_r.recvmsg(fd, msg, flags);
		size_t len = 0;

		for (size_t i = 0; n == 0 && i < msg->msg_iovlen; i++)
			len += msg->msg_iov[i].iov_len;
		return n == 0 ? stream_eof(fd, len) : n;
	}
}

PUBLIC ssize_t ustack_recvfrom(int fd, void *buf, size_t len, int flags,
			       struct sockaddr *addr, socklen_t *alen)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_name = addr, .msg_namelen = alen ? *alen : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned k;
	ssize_t n;

	PASS_UNLESS_OURS(k, fd, recvfrom(fd, buf, len, flags, addr, alen));
	if (!ust_is_dgram(k)) {
		if (k & UST_FRESH)
			return stream_unconnected_recv(fd);
		if (alen)
			*alen = 0;
		n = ust_r.recv(fd, buf, len, flags);
		return n == 0 ? stream_eof(fd, len) : n;
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

	ssize_t n;

	if (ust_is_dgram(k))
		return ustack_recvfrom(fd, buf, len, 0, NULL, NULL);
	if (k & UST_FRESH)
		return stream_unconnected_recv(fd);
	n = ust_r.read(fd, buf, len);
	return n == 0 && k ? stream_eof(fd, len) : n;
}

PUBLIC ssize_t ustack_write(int fd, const void *buf, size_t len)
{
	unsigned k = ust_kind(fd);

	if (ust_is_dgram(k))
		return ustack_sendto(fd, buf, len, 0, NULL, 0);
	if (k & UST_FRESH)
		return stream_unconnected_send(fd, 0);
	if (k & UST_SMALLBUF)
		stream_settle(fd, k);
	return k ? stream_send(fd, buf, len, 0) : ust_r.write(fd, buf, len);
}

PUBLIC ssize_t ustack_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov,
			    .msg_iovlen = iovcnt < 0 ? 0 : (size_t)iovcnt };
	unsigned k = ust_kind(fd);

	ssize_t n;

	if (ust_is_dgram(k))
		return iovcnt < 0 ? fail(-EINVAL) : dgram_recvmsg(fd, &m, 0);
	if (k & UST_FRESH)
		return stream_unconnected_recv(fd);
	n = ust_r.readv(fd, iov, iovcnt);
	if (n == 0 && k) {
		size_t len = 0;

		for (int i = 0; i < iovcnt; i++)
			len += iov[i].iov_len;
		return stream_eof(fd, len);
	}
	return n;
}

PUBLIC ssize_t ustack_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov,
			    .msg_iovlen = iovcnt < 0 ? 0 : (size_t)iovcnt };
	unsigned k = ust_kind(fd);

	if (ust_is_dgram(k))
		return iovcnt < 0 ? fail(-EINVAL) : dgram_sendmsg(fd, k, &m, 0);
	if (k & UST_FRESH)
		return stream_unconnected_send(fd, 0);
	if (k & UST_SMALLBUF)
		stream_settle(fd, k);
	if (k && iovcnt >= 0 && iovcnt <= IOV_MAX)
		return stream_sendmsg(fd, &m, 0);
	return ust_r.writev(fd, iov, iovcnt);
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
	if (!(k & UST_LISTENING)) {
		int v = 0;
		socklen_t vl = sizeof(v);

		if (ustack_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl))
			return -1;
		if (!v)
			return fail(-EINVAL);
		set_flags(fd, UST_LISTENING, 0);
	}
	n = ust_r.recvmsg(fd, &m, flags & SOCK_CLOEXEC ? MSG_CMSG_CLOEXEC : 0);
	if (n < 0)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&nfd, CMSG_DATA(c), sizeof(int));
	if (n == 0 && nfd < 0)
		return fail(-EINVAL);    /* not listening (shut down) */
	if (n != (ssize_t)sizeof(am) || nfd < 0) {
		if (nfd >= 0)
			ust_r.close(nfd);
		return fail(-ECONNABORTED);
	}
	if (flags & SOCK_NONBLOCK)
		ust_r.fcntl(nfd, F_SETFL, O_NONBLOCK);
	set_kind(nfd, kind_of(&am.info) | (k & UST_LINGER));
	if (addr && len)
		*len = (socklen_t)ustack_addr_to_sockaddr(&am.peer, addr, *len,
			k & UST_V6 ? AF_INET6 : AF_INET);
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
	return ust_r.ioctl(fd, req, arg);
}

/* poll is the kernel's; a datagram socket with an error gets POLLERR */
PUBLIC int ustack_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	int n;

	ust_init();
	n = ust_r.poll(fds, nfds, timeout);
	return n > 0 ? ust_poll_fix(fds, nfds, n) : n;
}

int ust_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
	      const sigset_t *sigmask)
{
	int n;

	ust_init();
	n = ust_r.ppoll(fds, nfds, timeout, sigmask);
	return n > 0 ? ust_poll_fix(fds, nfds, n) : n;
}

PUBLIC int ustack_select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			 struct timeval *timeout)
{
	ust_init();
	return ust_r.select(nfds, r, w, e, timeout);
}
