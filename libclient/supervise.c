/* SPDX-License-Identifier: MIT */
/*
 * supervise.c - the socket calls no shim sees, for ustack-run
 *
 * Theory of operation. The shim (preload.c) reaches the calls a program
 * makes through libc's names, and trap.c the ones libc makes to itself.
 * A program that makes its system calls itself (Go's runtime), one with
 * no dynamic loader (a static binary) and a child exec'd without the
 * shim (env -i, sshd's session) reach neither. For them ustack-run
 * installs, just before it execs the program, a second seccomp filter
 * whose action is SECCOMP_RET_USER_NOTIF (ust_notify_filter()): every
 * socket() of AF_INET or AF_INET6 and every other socket call that does
 * not carry libustack's mark (rawsys.c) stops its thread and is handed,
 * as a notification on the filter's listener descriptor, to this
 * supervisor: a process ustack-run forks off first, outside the filter,
 * that lives until the last process of the tree is gone (the listener
 * then reports POLLHUP). Children inherit the filter, so every process
 * the program starts is served by the same supervisor.
 *
 * The supervisor performs the call with libustack on its own copy of the
 * descriptor (pidfd_getfd(): the same open file as the program's), with
 * every pointer argument copied once out of the program's memory
 * (process_vm_readv()) before anything is done with it, and writes the
 * results back (process_vm_writev()). A descriptor the call creates
 * (socket, accept) is installed in the program with
 * SECCOMP_IOCTL_NOTIF_ADDFD, which also answers the call with its
 * number; a stream whose failed connect renewed its channel gets the new
 * one at the same number. A call on a descriptor that is not ustack's
 * (a Unix socket, netlink, a pipe) is let through unchanged
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE) and behaves as without ustack, as
 * do data calls on a connected stream, which only move bytes through
 * the channel. read() and write() are never stopped: on a ustack stream
 * they move bytes through the channel.
 *
 * Where the shim is loaded it stays the fast path: its own system calls
 * carry the mark and pass both filters, and libc's internal ones are
 * trapped by trap.c's filter first (SECCOMP_RET_TRAP takes precedence
 * over SECCOMP_RET_USER_NOTIF). What reaches the supervisor is what the
 * shim cannot see.
 *
 * Blocking. Each notification is served by one of a pool of threads; a
 * thread that takes one while no other waits starts another (up to
 * SUP_THREADS), so a call that blocks (accept, a blocking connect or
 * receive) holds only its own thread. The filter is installed with
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV where the kernel has it (5.19):
 * once the supervisor has taken a call, only a fatal signal interrupts
 * the program's thread, so nothing the supervisor has done (a connection
 * accepted, a datagram received) is lost to a signal. A call that would
 * block waits here in slices of SUP_SLICE_MS; between them the
 * supervisor looks whether the thread has a signal pending that it does
 * not block, and if so answers ERESTARTSYS, which the kernel turns into
 * a restart (SA_RESTART) or EINTR when it delivers the signal, as Linux
 * does for a socket wait; a notification no longer valid (the thread was
 * killed) ends the wait. A blocking connect waits in the daemon's reply
 * (libustack's stream_connect_wait()), so a handled signal is delivered
 * when the handshake has ended, not before (a fatal one at once).
 *
 * What a process may do to another: reading its memory and taking its
 * descriptors need ptrace access (same user and dumpable, or
 * CAP_SYS_PTRACE). A call the supervisor cannot serve for that reason
 * fails with EPERM and is told to the daemon, which counts it
 * (ctl.sup_refused) and logs it; it never goes to the kernel's stack. A
 * 32-bit socket() of AF_INET or AF_INET6 (int 0x80) is refused the same
 * way, with EAFNOSUPPORT: ustack serves the 64-bit calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "trapbpf.h"
#include "ustack.h"
#include "ustack_proto.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef ERESTARTSYS
#define ERESTARTSYS 512
#endif

#define SUP_THREADS 256
#define SUP_SLICE_MS 50
/* the most one call copies in or out of the program (a datagram, an
 * option, a message's iovecs): larger stream sends are cut, as a short
 * send is allowed to be */
#define SUP_MAX_DATA (256u << 10)
#define SUP_MAX_IOV 1024
#define SUP_MAX_MMSG 64

static int sup_listener = -1;
static _Atomic int sup_idle, sup_threads;

/* ---- the kinds libustack learnt, by socket identity ---- */

/*
 * What libustack keeps per descriptor (connect tried, the filler, a
 * listener, ...) is kept here between calls, keyed by the socket's
 * identity (its inode number, unique among live sockets), since every
 * call works on a fresh copy of the program's descriptor.
 */
#define KC_SIZE 4096
static _Atomic uint64_t kind_cache[KC_SIZE];

static unsigned kind_cached(uint32_t id)
{
	uint64_t e = atomic_load(&kind_cache[id % KC_SIZE]);

	return (uint32_t)(e >> 32) == id ? (unsigned)e : 0;
}

static void kind_keep(uint32_t id, unsigned k)
{
	atomic_store(&kind_cache[id % KC_SIZE],
		     k & UST_OURS ? (uint64_t)id << 32 | k : 0);
}

/* ---- one call ---- */

struct call {
	struct seccomp_notif n;
	pid_t tgid;             /* the calling thread's process */
	int pidfd;
	int fd;                 /* our copy of args[0], or -1 */
	uint32_t id;            /* its identity */
	unsigned k;             /* its kind (ust_kind), 0: not ours */
};

static bool call_valid(const struct call *c)
{
	uint64_t id = c->n.id;

	return ioctl(sup_listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The call's result: @r, or an error if negative (-errno) */
static void answer(const struct call *c, long r)
{
	struct seccomp_notif_resp resp;

	memset(&resp, 0, sizeof(resp));
	resp.id = c->n.id;
	if (r < 0)
		resp.error = (int32_t)r;
	else
		resp.val = r;
	ioctl(sup_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* The call goes on to the kernel unchanged. */
static void pass(const struct call *c)
{
	struct seccomp_notif_resp r;

	memset(&r, 0, sizeof(r));
	r.id = c->n.id;
	r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(sup_listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

/* dispatch()'s result when it has answered the call itself */
#define ANSWERED LONG_MIN

/*
 * Install our descriptor @fd in the program (at @at, or the lowest free
 * number if -1) and close ours. @send: that answers the call with the
 * number. Return: 0, or -errno (EMFILE: the program's table is full)
 */
static int answer_fd(const struct call *c, int fd, bool cloexec, int at,
		     bool send)
{
	struct seccomp_notif_addfd a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.id = c->n.id;
	a.srcfd = (uint32_t)fd;
	a.newfd_flags = cloexec ? O_CLOEXEC : 0;
	a.flags = send ? SECCOMP_ADDFD_FLAG_SEND : 0;
	if (at >= 0) {
		a.flags |= SECCOMP_ADDFD_FLAG_SETFD;
		a.newfd = (uint32_t)at;
	}
	rc = ioctl(sup_listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 ? -errno : 0;
	ust_fdtab_clear(fd);
	syscall(SYS_close, fd);
	return rc;
}

/* ---- the program's memory ---- */

/* Copy @len bytes between @buf and the program's @addr. Return: 0, or
 * -EFAULT (an address the program cannot read or write) */
static int mem(const struct call *c, uint64_t addr, void *buf, size_t len,
	       bool write)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!len)
		return 0;
	if (!addr)
		return -EFAULT;
	n = write ? process_vm_writev((pid_t)c->n.pid, &l, 1, &r, 1, 0)
		  : process_vm_readv((pid_t)c->n.pid, &l, 1, &r, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int peek(const struct call *c, uint64_t addr, void *buf, size_t len)
{
	return mem(c, addr, buf, len, false);
}

static int poke(const struct call *c, uint64_t addr, const void *buf,
		size_t len)
{
	return mem(c, addr, (void *)buf, len, true);
}

/* ---- the program's descriptor ---- */

/* What /proc/TID/status says of the calling thread */
struct thread_status {
	int tgid;                               /* its process */
	unsigned long long pnd, shd, blk;       /* SigPnd, ShdPnd, SigBlk */
};

/* Return: 0, or -1 if the thread is gone */
static int thread_status(const struct call *c, struct thread_status *ts)
{
	char path[64], line[256];
	FILE *f;

	memset(ts, 0, sizeof(*ts));
	snprintf(path, sizeof(path), "/proc/%u/status", c->n.pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &ts->tgid) != 1 &&
		    sscanf(line, "SigPnd: %llx", &ts->pnd) != 1 &&
		    sscanf(line, "ShdPnd: %llx", &ts->shd) != 1)
			sscanf(line, "SigBlk: %llx", &ts->blk);
	fclose(f);
	return 0;
}

/* The process (thread group) of the calling thread; 0 if it is gone */
static pid_t call_tgid(const struct call *c)
{
	/* the last thread this worker served: a program's calls come from
	 * few threads (a thread number reused by another process while
	 * cached would only name the wrong owner in netstat) */
	static __thread pid_t last_tid, last_tgid;
	struct thread_status ts;

	if (last_tid && last_tid == (pid_t)c->n.pid)
		return last_tgid;
	if (thread_status(c, &ts))
		return 0;
	last_tid = (pid_t)c->n.pid;
	last_tgid = (pid_t)ts.tgid;
	return last_tgid;
}

/* A pidfd for the calling thread's process. Return: 0, or -errno */
static int call_pidfd(struct call *c)
{
	c->pidfd = (int)syscall(SYS_pidfd_open, c->n.pid, PIDFD_THREAD);
	if (c->pidfd < 0 && c->tgid > 0)
		c->pidfd = (int)syscall(SYS_pidfd_open, c->tgid, 0);
	return c->pidfd >= 0 ? 0 : errno == EPERM ? -EPERM : -ESRCH;
}

/*
 * Our copy of the program's args[0], and what it is. Return: 0, or
 * -errno (EBADF: no such descriptor)
 */
static int call_fd(struct call *c)
{
	int rc = call_pidfd(c);
	unsigned k;

	if (rc)
		return rc;
	c->fd = (int)syscall(SYS_pidfd_getfd, c->pidfd, (int)c->n.data.args[0],
			     0);
	if (c->fd < 0)
		return -errno;
	/* the number was checked against a process that is still the one
	 * that called (a pid is not reused while its call waits) */
	if (!call_valid(c))
		return -ESRCH;
	ust_fdtab_clear(c->fd);
	c->id = ust_identity(c->fd);
	k = c->id ? kind_cached(c->id) : 0;
	if (k)
		ust_set(c->fd, k);
	c->k = ust_kind_checked(c->fd);
	if (!k && ust_is_dgram(c->k)) {     /* learnt afresh: plain? */
		int v = 0;
		socklen_t l = sizeof(v);

		if (ustack_getsockopt(c->fd, SOL_SOCKET, USTACK_SO_PLAIN, &v,
				      &l) == 0 && v) {
			ust_set_flags(c->fd, UST_PLAIN, 0);
			c->k |= UST_PLAIN;
		}
	}
	return 0;
}

static void call_end(struct call *c)
{
	if (c->fd >= 0) {
		if (c->k)
			kind_keep(c->id, ust_kind_known(c->fd));
		ust_fdtab_clear(c->fd);
		syscall(SYS_close, c->fd);
		c->fd = -1;
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}

/* Whether the program's args[0] is close-on-exec (its fdinfo's flags) */
static int pidfd_fd_cloexec(const struct call *c, int *cloexec)
{
	char path[64], line[128];
	unsigned flags = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/fdinfo/%d", c->n.pid,
		 (int)c->n.data.args[0]);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %o", &flags) == 1) {
			found = true;
			break;
		}
	fclose(f);
	*cloexec = found && (flags & O_CLOEXEC);
	return found ? 0 : -ENOENT;
}

/* ---- waiting ---- */

/* Does the calling thread have a signal pending that it does not block? */
static bool signal_pending(const struct call *c)
{
	struct thread_status ts;

	return !thread_status(c, &ts) && ((ts.pnd | ts.shd) & ~ts.blk) != 0;
}

/*
 * Before a receive or an accept, which may block for ever: wait until
 * @events on our copy, in slices (a send waits at most until the daemon
 * drains the channel, and is made at once). Return: 0 (go on: ready, or
 * a non-blocking call), -EAGAIN (SO_RCVTIMEO ran out), -ERESTARTSYS (a
 * signal to deliver; -EINTR with a timeout, as sock_intr_errno()), or
 * -ESRCH (the call is gone)
 */
static int wait_ready(const struct call *c, short events, int flags,
		      int rcvtimeo_name)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	struct timeval tv = { 0, 0 };
	socklen_t tl = sizeof(tv);
	int64_t left = -1;
	int fl = fcntl(c->fd, F_GETFL);

	if (fl < 0 || (fl & O_NONBLOCK) || (flags & MSG_DONTWAIT))
		return 0;
	if (rcvtimeo_name &&
	    getsockopt(c->fd, SOL_SOCKET, rcvtimeo_name, &tv, &tl) == 0 &&
	    (tv.tv_sec || tv.tv_usec))
		left = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	for (;;) {
		int slice = left >= 0 && left < SUP_SLICE_MS ? (int)left
							     : SUP_SLICE_MS;
		int n = poll(&p, 1, slice);

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return 0;       /* let the call itself say */
		if (!call_valid(c))
			return -ESRCH;
		if (signal_pending(c))
			return left >= 0 ? -EINTR : -ERESTARTSYS;
		if (left >= 0 && (left -= slice) <= 0)
			return -EAGAIN;
	}
}

/* ---- the calls ---- */

static long rc_of(long r)
{
	return r < 0 ? -errno : r;
}

/* Copy a socket address in: @len bytes at @addr (at most a storage's) */
static int addr_in(const struct call *c, uint64_t addr, uint64_t len,
		   struct sockaddr_storage *ss)
{
	if (len > sizeof(*ss))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	return addr && len ? peek(c, addr, ss, (size_t)len) : 0;
}

/* Write an address and its length back as the kernel's move_addr_to_user */
static int addr_out(const struct call *c, uint64_t addr, uint64_t lenp,
		    const struct sockaddr_storage *ss, socklen_t in,
		    socklen_t out)
{
	int rc;

	if (!lenp)
		return 0;
	/* a null address with room is EFAULT, with none fine (poke) */
	rc = poke(c, addr, ss, out < in ? out : in);
	return rc ? rc : poke(c, lenp, &out, sizeof(out));
}

static socklen_t len_in(const struct call *c, uint64_t lenp, int *err)
{
	int v = 0;

	*err = lenp ? peek(c, lenp, &v, sizeof(v)) : 0;
	if (!*err && v < 0)
		*err = -EINVAL;
	return v < 0 ? 0 : (socklen_t)v;
}

static long do_accept(struct call *c, const uint64_t *a, int flags)
{
	struct sockaddr_storage ss;
	socklen_t in = 0, out = sizeof(ss);
	int err = 0, nfd, rc;

	if (a[1])
		in = len_in(c, a[2], &err);
	if (err)
		return err;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	rc = wait_ready(c, POLLIN, 0, 0);
	if (rc)
		return rc;
	memset(&ss, 0, sizeof(ss));
	nfd = ustack_accept4(c->fd, (struct sockaddr *)&ss, &out, flags);
	if (nfd < 0)
		return -errno;
	rc = a[1] ? addr_out(c, a[1], a[2], &ss, in, out) : 0;
	if (rc) {
		ustack_close(nfd);
		return rc;
	}
	kind_keep(ust_identity(nfd), ust_kind_known(nfd));
	rc = answer_fd(c, nfd, flags & SOCK_CLOEXEC, -1, true);
	return rc && rc != -ENOENT ? rc : ANSWERED;
}

static long do_getname(struct call *c, const uint64_t *a, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t in, out = sizeof(ss);
	int err;
	int r;

	if (!a[2])
		return -EFAULT;         /* as move_addr_to_user() */
	in = len_in(c, a[2], &err);
	if (err)
		return err;
	memset(&ss, 0, sizeof(ss));
	r = peer ? ustack_getpeername(c->fd, (struct sockaddr *)&ss, &out)
		 : ustack_getsockname(c->fd, (struct sockaddr *)&ss, &out);
	if (r < 0)
		return -errno;
	err = addr_out(c, a[1], a[2], &ss, in, out);
	return err ? err : 0;
}

static long do_setsockopt(struct call *c, const uint64_t *a)
{
	uint8_t small[256], *buf = small;
	size_t len = (size_t)(uint32_t)a[4];
	long r;
	int err;

	if ((int)a[4] < 0)
		return -EINVAL;
	if (len > SUP_MAX_DATA)
		return -ENOMEM;
	if (len > sizeof(small) && !(buf = malloc(len)))
		return -ENOMEM;
	err = a[3] ? peek(c, a[3], buf, len) : 0;
	r = err ? err
		: rc_of(ustack_setsockopt(c->fd, (int)a[1], (int)a[2],
					  a[3] ? buf : NULL, (socklen_t)len));
	if (buf != small)
		free(buf);
	return r;
}

static long do_getsockopt(struct call *c, const uint64_t *a)
{
	uint8_t small[512], *buf = small;
	socklen_t len;
	long r;
	int err;

	if (!a[4])
		return -EFAULT;
	len = len_in(c, a[4], &err);
	if (err)
		return err;
	if (len > SUP_MAX_DATA)
		len = SUP_MAX_DATA;
	if (len > sizeof(small) && !(buf = malloc(len)))
		return -ENOMEM;
	memset(buf, 0, len);
	/* what the program passed in (TCP_CONGESTION reads none, some
	 * options take an input such as SO_PEERSEC's) */
	if (a[3] && len)
		peek(c, a[3], buf, len);
	r = rc_of(ustack_getsockopt(c->fd, (int)a[1], (int)a[2],
				    a[3] ? buf : NULL, &len));
	if (r == 0 && (err = poke(c, a[3], buf, len)) == 0)
		err = poke(c, a[4], &len, sizeof(len));
	if (r == 0 && err && len)
		r = err;
	if (buf != small)
		free(buf);
	return r;
}

/* ---- messages ---- */

/* A message copied in from the program: the header, the name, the
 * control data, and the iovecs (their addresses in the program) */
struct msg {
	struct msghdr h;                  /* ours: name, control, one buffer */
	struct sockaddr_storage name;
	uint8_t *data;                    /* one buffer for all the iovecs */
	size_t len;
	struct iovec one;
	struct iovec *piov;               /* the program's iovecs */
	size_t niov;
	uint8_t *ctl;
	struct msghdr prog;               /* the program's header as read */
};

static void msg_free(struct msg *m)
{
	free(m->data);
	free(m->piov);
	free(m->ctl);
	memset(m, 0, sizeof(*m));
}

/* Read the program's msghdr at @addr. @out: the data goes the other way
 * (recvmsg), so buffers are made, not filled. Return: 0, or -errno */
static int msg_in(const struct call *c, uint64_t addr, struct msg *m,
		  bool out)
{
	size_t total = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = peek(c, addr, &m->prog, sizeof(m->prog))))
		return rc;
	if (m->prog.msg_iovlen > SUP_MAX_IOV)
		return -EMSGSIZE;
	m->niov = m->prog.msg_iovlen;
	if (m->niov) {
		m->piov = calloc(m->niov, sizeof(*m->piov));
		if (!m->piov)
			return -ENOMEM;
		if ((rc = peek(c, (uintptr_t)m->prog.msg_iov, m->piov,
			       m->niov * sizeof(*m->piov))))
			return rc;
	}
	for (size_t i = 0; i < m->niov; i++) {
		if (m->piov[i].iov_len > SUP_MAX_DATA - total)
			m->piov[i].iov_len = SUP_MAX_DATA - total;
		total += m->piov[i].iov_len;
	}
	m->data = malloc(total ? total : 1);
	if (!m->data)
		return -ENOMEM;
	m->len = total;
	if (!out) {
		size_t at = 0;

		for (size_t i = 0; i < m->niov; i++) {
			rc = peek(c, (uintptr_t)m->piov[i].iov_base,
				  m->data + at, m->piov[i].iov_len);
			if (rc)
				return rc;
			at += m->piov[i].iov_len;
		}
	}
	m->one = (struct iovec){ m->data, total };
	m->h.msg_iov = &m->one;
	m->h.msg_iovlen = 1;
	if (m->prog.msg_name) {
		if (m->prog.msg_namelen > sizeof(m->name) && !out)
			return -EINVAL;
		m->h.msg_name = &m->name;
		m->h.msg_namelen = out ? sizeof(m->name) : m->prog.msg_namelen;
		if (!out && (rc = peek(c, (uintptr_t)m->prog.msg_name,
				       &m->name, m->prog.msg_namelen)))
			return rc;
	}
	if (m->prog.msg_control && m->prog.msg_controllen) {
		if (m->prog.msg_controllen > 64 * 1024)
			return -ENOBUFS;
		m->ctl = calloc(1, m->prog.msg_controllen);
		if (!m->ctl)
			return -ENOMEM;
		m->h.msg_control = m->ctl;
		m->h.msg_controllen = m->prog.msg_controllen;
		if (!out && (rc = peek(c, (uintptr_t)m->prog.msg_control,
				       m->ctl, m->prog.msg_controllen)))
			return rc;
	}
	return 0;
}

/* After a receive of @n bytes: the data into the program's iovecs, and
 * the header's name length, control length and flags at @addr */
static int msg_out(const struct call *c, uint64_t addr, struct msg *m,
		   size_t n)
{
	size_t at = 0;
	int rc;

	for (size_t i = 0; i < m->niov && at < n; i++) {
		size_t k = m->piov[i].iov_len < n - at ? m->piov[i].iov_len
						      : n - at;

		if ((rc = poke(c, (uintptr_t)m->piov[i].iov_base,
			       m->data + at, k)))
			return rc;
		at += k;
	}
	if (m->prog.msg_name) {
		socklen_t w = m->h.msg_namelen < m->prog.msg_namelen
				      ? m->h.msg_namelen : m->prog.msg_namelen;

		if ((rc = poke(c, (uintptr_t)m->prog.msg_name, &m->name, w)))
			return rc;
	}
	m->prog.msg_namelen = m->prog.msg_name ? m->h.msg_namelen : 0;
	if (m->ctl && m->h.msg_controllen &&
	    (rc = poke(c, (uintptr_t)m->prog.msg_control, m->ctl,
		       m->h.msg_controllen)))
		return rc;
	m->prog.msg_controllen = m->ctl ? m->h.msg_controllen : 0;
	m->prog.msg_flags = m->h.msg_flags;
	/* the three fields the kernel writes, and nothing else */
	if ((rc = poke(c, addr + offsetof(struct msghdr, msg_namelen),
		       &m->prog.msg_namelen, sizeof(m->prog.msg_namelen))) ||
	    (rc = poke(c, addr + offsetof(struct msghdr, msg_controllen),
		       &m->prog.msg_controllen,
		       sizeof(m->prog.msg_controllen))))
		return rc;
	return poke(c, addr + offsetof(struct msghdr, msg_flags),
		    &m->prog.msg_flags, sizeof(m->prog.msg_flags));
}

static long do_sendmsg(struct call *c, uint64_t addr, int flags)
{
	struct msg m;
	long r;
	int rc = msg_in(c, addr, &m, false);

	r = rc ? rc : rc_of(ustack_sendmsg(c->fd, &m.h, flags));
	msg_free(&m);
	return r;
}

static long do_recvmsg(struct call *c, uint64_t addr, int flags)
{
	struct msg m;
	long r;
	int rc = msg_in(c, addr, &m, true);

	/* the error queue is read without waiting, as on Linux */
	if (!rc && !(flags & MSG_ERRQUEUE))
		rc = wait_ready(c, POLLIN, flags, SO_RCVTIMEO);
	if (rc) {
		msg_free(&m);
		return rc;
	}
	r = rc_of(ustack_recvmsg(c->fd, &m.h, flags));
	if (r >= 0) {
		/* MSG_TRUNC may say more than was there to copy */
		rc = msg_out(c, addr, &m, (size_t)r < m.len ? (size_t)r : m.len);
		if (rc)
			r = rc;
	}
	msg_free(&m);
	return r;
}

static long do_sendto(struct call *c, const uint64_t *a)
{
	struct sockaddr_storage ss;
	size_t len = (size_t)a[2] > SUP_MAX_DATA ? SUP_MAX_DATA : (size_t)a[2];
	uint8_t *buf = malloc(len ? len : 1);
	long r;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = peek(c, a[1], buf, len);
	if (!rc && a[4])
		rc = addr_in(c, a[4], a[5], &ss);
	r = rc ? rc
	       : rc_of(ustack_sendto(c->fd, buf, len, (int)a[3],
				     a[4] ? (struct sockaddr *)&ss : NULL,
				     (socklen_t)a[5]));
	free(buf);
	return r;
}

static long do_recvfrom(struct call *c, const uint64_t *a)
{
	struct sockaddr_storage ss;
	size_t len = (size_t)a[2] > SUP_MAX_DATA ? SUP_MAX_DATA : (size_t)a[2];
	socklen_t in = 0, out = sizeof(ss);
	uint8_t *buf;
	long r;
	int rc = 0;

	if (a[4])
		in = len_in(c, a[5], &rc);
	if (rc)
		return rc;
	if ((rc = wait_ready(c, POLLIN, (int)a[3], SO_RCVTIMEO)))
		return rc;
	if (!(buf = malloc(len ? len : 1)))
		return -ENOMEM;
	memset(&ss, 0, sizeof(ss));
	r = rc_of(ustack_recvfrom(c->fd, buf, len, (int)a[3],
				  a[4] ? (struct sockaddr *)&ss : NULL,
				  a[4] ? &out : NULL));
	if (r >= 0) {
		rc = poke(c, a[1], buf, (size_t)r < len ? (size_t)r : len);
		if (!rc && a[4])
			rc = addr_out(c, a[4], a[5], &ss, in, out);
		if (rc)
			r = rc;
	}
	free(buf);
	return r;
}

static bool plain_rx(const struct call *c, int flags);
static long plain_recvmsg(struct call *c, uint64_t addr, int flags,
			  bool may_pass);

/* sendmmsg and recvmmsg: one message at a time, as the kernel's loop */
static long do_mmsg(struct call *c, const uint64_t *a, bool recv)
{
	unsigned vlen = (unsigned)a[2] > SUP_MAX_MMSG ? SUP_MAX_MMSG
						      : (unsigned)a[2];
	int flags = (int)a[3];
	long done = 0;

	for (unsigned i = 0; i < vlen; i++) {
		uint64_t at = a[1] + (uint64_t)i * sizeof(struct mmsghdr);
		unsigned len;
		long r;

		if (!recv)
			r = do_sendmsg(c, at, flags);
		else if (plain_rx(c, flags))
			r = plain_recvmsg(c, at, flags & ~MSG_WAITFORONE, false);
		else
			r = do_recvmsg(c, at, flags & ~MSG_WAITFORONE);
		if (r < 0)
			return done ? done : r;
		len = (unsigned)r;
		if (poke(c, at + offsetof(struct mmsghdr, msg_len), &len,
			 sizeof(len)))
			return done ? done : -EFAULT;
		done++;
		if (recv && (flags & MSG_WAITFORONE))
			flags |= MSG_DONTWAIT;
	}
	return done;
}

/*
 * Plain datagram channels. A program outside the shim read()s and
 * write()s its connected datagram sockets (Go's resolver does), and those
 * calls are never stopped: at its connect the supervisor makes the
 * channel plain (USTACK_SO_PLAIN: payloads alone, to and from the
 * connected peer). Its stopped calls then go as follows: a send without
 * an address or control data, and a receive that asks for neither, are
 * the channel's own; a receive that asks for the address takes the
 * payload from the channel and names the connected peer; a send to an
 * address or with control data goes as a SENDTO request. What a plain
 * channel loses: the control messages of received datagrams, and the
 * error notification (an ICMP error is returned by the next call that
 * reaches the daemon, SO_ERROR, not by read()).
 */
static void plain_set(struct call *c, int on)
{
	if (ustack_setsockopt(c->fd, SOL_SOCKET, USTACK_SO_PLAIN, &on,
			      sizeof(on)) == 0)
		ust_set_flags(c->fd, on ? UST_PLAIN : 0, on ? 0 : UST_PLAIN);
}

#define PLAIN_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_PEEK | MSG_TRUNC | \
		     MSG_WAITALL)

/* recvfrom/recvmsg asking for the address on a plain channel */
static long plain_recv(struct call *c, uint64_t buf, size_t len, int flags,
		       uint64_t name, uint64_t namelenp, struct msg *m)
{
	struct sockaddr_storage ss;
	socklen_t in = 0, out = sizeof(ss);
	uint8_t *data;
	ssize_t n;
	int rc = 0;

	if (name && namelenp)
		in = len_in(c, namelenp, &rc);
	if (rc)
		return rc;
	if ((rc = wait_ready(c, POLLIN, flags, SO_RCVTIMEO)))
		return rc;
	if (len > SUP_MAX_DATA)
		len = SUP_MAX_DATA;
	data = m ? m->data : malloc(len ? len : 1);
	if (!data)
		return -ENOMEM;
	n = recv(c->fd, data, len, (flags & PLAIN_FLAGS) | MSG_DONTWAIT);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	memset(&ss, 0, sizeof(ss));
	if (ustack_getpeername(c->fd, (struct sockaddr *)&ss, &out))
		out = 0;
	if (m) {
		memcpy(&m->name, &ss, sizeof(ss));
		m->h.msg_namelen = out;
		m->h.msg_controllen = 0;
		m->h.msg_flags = (size_t)n > len ? MSG_TRUNC : 0;
		rc = msg_out(c, buf, m, (size_t)n < len ? (size_t)n : len);
	} else {
		rc = poke(c, buf, data, (size_t)n < len ? (size_t)n : len);
		if (!rc && name)
			rc = addr_out(c, name, namelenp, &ss, in, out);
	}
out:
	if (!m)
		free(data);
	return rc ? rc : n;
}

/* A datagram call on a plain channel that the channel can serve */
static bool plain(const struct call *c, int flags)
{
	return (c->k & UST_PLAIN) && !(flags & ~PLAIN_FLAGS);
}

/* A receive on a plain channel (not of the error queue, which is the
 * daemon's): the payload comes from the channel whatever the flags */
static bool plain_rx(const struct call *c, int flags)
{
	return (c->k & UST_PLAIN) && !(flags & MSG_ERRQUEUE);
}

/* One message received from a plain channel into the msghdr at @addr;
 * @may_pass: the call may go on to the kernel if the channel serves it */
static long plain_recvmsg(struct call *c, uint64_t addr, int flags,
			  bool may_pass)
{
	struct msg m;
	long r;
	int rc = msg_in(c, addr, &m, true);

	if (rc) {
		msg_free(&m);
		return rc;
	}
	if (may_pass && !m.prog.msg_name && !m.prog.msg_controllen &&
	    plain(c, flags)) {
		msg_free(&m);
		pass(c);
		return ANSWERED;
	}
	r = plain_recv(c, addr, m.len, flags, 0, 0, &m);
	msg_free(&m);
	return r;
}

/* A data call on a stream that carries data: the channel's own */
static bool stream_data(const struct call *c)
{
	return ust_is_stream(c->k) &&
	       !(c->k & (UST_FRESH | UST_LISTENING | UST_INQ | UST_SMALLBUF));
}

/*
 * A 32-bit call (int 0x80) of a socket of ustack's families: ustack serves
 * the 64-bit system calls only, so it is refused as by a kernel without
 * the family (EAFNOSUPPORT), told to the daemon, never the kernel's.
 * socketcall(SYS_SOCKET) has its family in memory: another family goes on.
 */
static long i386_call(struct call *c)
{
	uint32_t args[3];

	if (c->n.data.nr == UST_I386_SOCKETCALL &&
	    (peek(c, c->n.data.args[1], args, sizeof(args)) ||
	     (args[0] != AF_INET && args[0] != AF_INET6))) {
		pass(c);
		return ANSWERED;
	}
	ust_sup_refused(EAFNOSUPPORT);
	return -EAFNOSUPPORT;
}

/*
 * A call on a descriptor that is not ustack's goes on to the kernel,
 * except on a NETLINK_ROUTE socket: an address dump request is sent from
 * here, and its answer received here, so that the program reads ustack's
 * addresses (ifaddr.c, as the shim does in the process: Go's
 * net.InterfaceAddrs(), a static program's getifaddrs()).
 */
static long foreign(struct call *c)
{
	const uint64_t *a = (const uint64_t *)c->n.data.args;
	int nr = c->n.data.nr;
	uint8_t head[NLMSG_HDRLEN];
	struct msghdr h;
	struct iovec iov;

	if ((nr != SYS_sendto && nr != SYS_sendmsg && nr != SYS_recvfrom &&
	     nr != SYS_recvmsg) || !ust_is_rtnl(c->fd))
		goto pass;
	switch (nr) {
	case SYS_sendto:
		if (a[2] < NLMSG_HDRLEN || peek(c, a[1], head, NLMSG_HDRLEN) ||
		    !ust_rtnl_request(head, NLMSG_HDRLEN))
			goto pass;
		return do_sendto(c, a);
	case SYS_sendmsg:
		if (peek(c, a[1], &h, sizeof(h)) || h.msg_iovlen < 1 ||
		    peek(c, (uintptr_t)h.msg_iov, &iov, sizeof(iov)) ||
		    iov.iov_len < NLMSG_HDRLEN ||
		    peek(c, (uintptr_t)iov.iov_base, head, NLMSG_HDRLEN) ||
		    !ust_rtnl_request(head, NLMSG_HDRLEN))
			goto pass;
		return do_sendmsg(c, a[1], (int)a[2]);
	case SYS_recvfrom:
		if (!ust_rtnl_open(c->fd))
			goto pass;
		return do_recvfrom(c, a);
	case SYS_recvmsg:
		if (!ust_rtnl_open(c->fd))
			goto pass;
		return do_recvmsg(c, a[1], (int)a[2]);
	}
pass:
	pass(c);
	return ANSWERED;
}

/* Serve notification @c. Return: ANSWERED, or the call's result */
static long dispatch(struct call *c)
{
	const uint64_t *a = (const uint64_t *)c->n.data.args;
	int nr = c->n.data.nr, rc;
	uint32_t id0;

	/* what the daemon does now is for the program (netstat, quotas) */
	c->tgid = call_tgid(c);
	if (c->tgid > 0)
		ust_act_for(c->tgid);
	if (c->n.data.arch == AUDIT_ARCH_I386)
		return i386_call(c);
	if (nr == SYS_socket) {
		int fd = ustack_socket((int)a[0], (int)a[1], (int)a[2]);

		if (fd < 0)
			return -errno;
		if (!call_valid(c)) {
			ustack_close(fd);
			return ANSWERED;
		}
		kind_keep(ust_identity(fd), ust_kind_known(fd));
		rc = answer_fd(c, fd, (int)a[1] & SOCK_CLOEXEC, -1, true);
		return rc && rc != -ENOENT ? rc : ANSWERED;
	}
	rc = call_fd(c);
	if (rc == -EPERM || rc == -EACCES) {
		ust_sup_refused(EPERM);  /* counted and logged by the daemon */
		return -EPERM;
	}
	if (rc)
		return rc == -ESRCH ? ANSWERED : rc;
	if (!c->k)
		return foreign(c);
	id0 = c->id;
	/* a send through libustack to a plain channel goes as a SENDTO
	 * request: never down the channel, which takes no header */
	if (c->k & UST_PLAIN)
		ust_dgram_fast_forget();
	switch (nr) {
	case SYS_connect: {
		struct sockaddr_storage ss;
		long r;

		if ((rc = addr_in(c, a[1], a[2], &ss)))
			return rc;
		r = rc_of(ustack_connect(c->fd, (struct sockaddr *)&ss,
					 (socklen_t)a[2]));
		if (r == 0 && ust_is_dgram(c->k))
			plain_set(c, ss.ss_family != AF_UNSPEC);
		/* a failed attempt's channel renewed: the program's fd
		 * names the old one, give it the new */
		if (ust_identity(c->fd) != id0) {
			int nfd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
			int cloexec = 0;

			c->id = ust_identity(c->fd);
			if (nfd >= 0 && pidfd_fd_cloexec(c, &cloexec) == 0)
				answer_fd(c, nfd, cloexec, (int)a[0], false);
			else if (nfd >= 0)
				syscall(SYS_close, nfd);
		}
		return r;
	}
	case SYS_bind: {
		struct sockaddr_storage ss;

		if ((rc = addr_in(c, a[1], a[2], &ss)))
			return rc;
		return rc_of(ustack_bind(c->fd, (struct sockaddr *)&ss,
					 (socklen_t)a[2]));
	}
	case SYS_listen:
		return rc_of(ustack_listen(c->fd, (int)a[1]));
	case SYS_accept:
		return do_accept(c, a, 0);
	case SYS_accept4:
		return do_accept(c, a, (int)a[3]);
	case SYS_getsockname:
		return do_getname(c, a, false);
	case SYS_getpeername:
		return do_getname(c, a, true);
	case SYS_setsockopt:
		return do_setsockopt(c, a);
	case SYS_getsockopt:
		return do_getsockopt(c, a);
	case SYS_shutdown:
		return rc_of(ustack_shutdown(c->fd, (int)a[1]));
	case SYS_sendto:
		if ((stream_data(c) || plain(c, (int)a[3])) && !a[4])
			break;
		return do_sendto(c, a);
	case SYS_recvfrom:
		if ((stream_data(c) || plain(c, (int)a[3])) && !a[4])
			break;
		if (plain_rx(c, (int)a[3]))
			return plain_recv(c, a[1], (size_t)a[2], (int)a[3],
					  a[4], a[5], NULL);
		return do_recvfrom(c, a);
	case SYS_sendmsg:
		if (stream_data(c))
			break;
		if (plain(c, (int)a[2])) {
			struct msghdr h;

			if ((rc = peek(c, a[1], &h, sizeof(h))))
				return rc;
			if (!h.msg_name && !h.msg_controllen)
				break;
		}
		return do_sendmsg(c, a[1], (int)a[2]);
	case SYS_recvmsg:
		if (stream_data(c))
			break;
		if (plain_rx(c, (int)a[2]))
			return plain_recvmsg(c, a[1], (int)a[2], true);
		return do_recvmsg(c, a[1], (int)a[2]);
	case SYS_sendmmsg:
		if (stream_data(c))
			break;
		return do_mmsg(c, a, false);
	case SYS_recvmmsg:
		if (stream_data(c))
			break;
		return do_mmsg(c, a, true);
	default:
		break;
	}
	pass(c);
	return ANSWERED;
}

static void serve(struct seccomp_notif *n)
{
	struct call c = { .pidfd = -1, .fd = -1 };
	long r;

	c.n = *n;
	r = dispatch(&c);
	if (r != ANSWERED && (r != -ESRCH || call_valid(&c)))
		answer(&c, r);
	call_end(&c);
}

/* ---- the pool ---- */

static void *worker(void *arg);

static void worker_start(void)
{
	pthread_attr_t at;
	pthread_t t;

	if (atomic_fetch_add(&sup_threads, 1) >= SUP_THREADS) {
		atomic_fetch_sub(&sup_threads, 1);
		return;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 << 10);
	atomic_fetch_add(&sup_idle, 1);
	if (pthread_create(&t, &at, worker, NULL)) {
		atomic_fetch_sub(&sup_threads, 1);
		atomic_fetch_sub(&sup_idle, 1);
	}
	pthread_attr_destroy(&at);
}

/* A worker waits in SECCOMP_IOCTL_NOTIF_RECV itself: the kernel hands
 * each notification to one of them */
static void *worker(void *arg)
{
	struct seccomp_notif n;

	(void)arg;
	for (;;) {
		memset(&n, 0, sizeof(n));
		if (ioctl(sup_listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;       /* gone before we took it */
			break;
		}
		if (atomic_fetch_sub(&sup_idle, 1) == 1)
			worker_start();
		serve(&n);
		atomic_fetch_add(&sup_idle, 1);
	}
	return NULL;
}

/**
 * ust_supervise() - serve the socket calls of the programs under @listener
 * @listener: the user notification descriptor of ust_notify_filter()
 *
 * Does not return: exits when no process uses the filter any more.
 */
void ust_supervise(int listener)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);    /* a send on a closed channel */
	ust_init();
	ust_rtnl_by_identity();
	sup_listener = listener;
	atomic_store(&sup_idle, 0);
	worker_start();
	/* the listener reports POLLHUP when no process uses the filter */
	for (;;) {
		struct pollfd p = { .fd = listener, .events = 0 };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
	}
	exit(0);
}
