/* SPDX-License-Identifier: MIT */
/*
 * preload.c - libustack-preload: the libc names, for unmodified programs
 *
 * Theory of operation: loaded with LD_PRELOAD (ustack-run does that), this
 * library defines the socket calls under libc's own names, and every other
 * name through which a program reaches them (accept4, recvmmsg, sendmmsg,
 * the _chk variants that _FORTIFY_SOURCE compiles calls into, the dup
 * family, close, close_range, fcntl, ioctl, sendfile, poll, select,
 * pselect), and the
 * calls that set SIGPIPE's disposition (signal, sigaction: whether it is
 * ignored decides how a stream write is made, client.c). socket() with
 * AF_INET or AF_INET6 asks ustack; everything
 * else, and every call on a descriptor that is not a ustack socket, goes
 * to libc untouched. The work is in client.c (the ustack_* calls, which already
 * pass foreign descriptors to libc); here are only the names.
 *
 * Calls that libc makes to itself (its resolver calls __socket directly)
 * are caught by the seccomp trap of trap.c. getaddrinfo() is here too:
 * AI_ADDRCONFIG is decided from ustack's addresses (names.c).
 */
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ustack.h"

#define PUBLIC __attribute__((visibility("default")))

sighandler_t bsd_signal(int sig, sighandler_t h);

/*
 * getaddrinfo() with AI_ADDRCONFIG: the families ustack has addresses of
 * decide (names.c); libc does the lookup and its RFC 6724 sort, whose
 * probe sockets are ustack's.
 */
PUBLIC int getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
			   const struct addrinfo *, struct addrinfo **);
	struct addrinfo h;
	int rc;

	if (!real)
		real = (__typeof__(real))dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		return EAI_SYSTEM;
	if (!hints || !(hints->ai_flags & AI_ADDRCONFIG))
		return real(node, service, hints, res);
	h = *hints;
	rc = ust_addrconfig(hints->ai_family, &h.ai_family);
	if (rc > 0)
		return real(node, service, hints, res);
	if (rc < 0)
		return EAI_NONAME;
	h.ai_flags &= ~AI_ADDRCONFIG;
	return real(node, service, &h, res);
}
sighandler_t sigset(int sig, sighandler_t h);

static int (*real_sigaction)(int, const struct sigaction *,
			     struct sigaction *);
static sighandler_t (*real_signal)(int, sighandler_t);
static sighandler_t (*real_bsd_signal)(int, sighandler_t);
static sighandler_t (*real_sysv_signal)(int, sighandler_t);
static sighandler_t (*real_sigset)(int, sighandler_t);

/* libc's signal calls; also before our constructor (another library's) */
static void sig_init(void)
{
	if (real_sigaction)
		return;
	real_signal = (__typeof__(real_signal))dlsym(RTLD_NEXT, "signal");
	real_bsd_signal = (__typeof__(real_bsd_signal))dlsym(RTLD_NEXT,
							     "bsd_signal");
	real_sysv_signal = (__typeof__(real_sysv_signal))dlsym(RTLD_NEXT,
							       "sysv_signal");
	real_sigset = (__typeof__(real_sigset))dlsym(RTLD_NEXT, "sigset");
	real_sigaction = (__typeof__(real_sigaction))dlsym(RTLD_NEXT,
							   "sigaction");
}

/*
 * Loaded: libustack's own socket calls take the marked system calls, and
 * unless USTACK_TRAP=0 libc's internal ones are trapped (trap.c).
 */
__attribute__((constructor)) static void preload_init(void)
{
	const char *t = getenv("USTACK_TRAP");

	ust_init();
	sig_init();
	ust_sigpipe_track();
	/* marked even without the trap: under ustack-run's supervisor an
	 * unmarked call of ours would be served a second time */
	ust_use_raw();
	if (t && !strcmp(t, "0"))
		return;
	ust_trap_install();
}

/*
 * The calls that set a signal's disposition: SIGPIPE's decides how a
 * stream write is made (client.c, stream_xmit()).
 */
PUBLIC int sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old)
{
	int rc;

	sig_init();
	if (!real_sigaction) {
		errno = ENOSYS;
		return -1;
	}
	rc = real_sigaction(sig, act, old);
	if (rc == 0 && act)
		ust_sigpipe_note(sig);
	return rc;
}

#define SIG_SETTER(name) \
	PUBLIC sighandler_t name(int sig, sighandler_t h) \
	{ \
		sighandler_t r; \
		sig_init(); \
		if (!real_##name) { \
			errno = ENOSYS; \
			return SIG_ERR; \
		} \
		r = real_##name(sig, h); \
		if (r != SIG_ERR) \
			ust_sigpipe_note(sig); \
		return r; \
	}
SIG_SETTER(signal)
SIG_SETTER(bsd_signal)
SIG_SETTER(sysv_signal)
SIG_SETTER(sigset)

PUBLIC int socket(int domain, int type, int protocol)
{
	return ustack_socket(domain, type, protocol);
}

PUBLIC int socketpair(int domain, int type, int protocol, int sv[2])
{
	return ust_socketpair(domain, type, protocol, sv);
}

PUBLIC int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	return ustack_bind(fd, addr.__sockaddr__, len);
}

PUBLIC int listen(int fd, int backlog)
{
	return ustack_listen(fd, backlog);
}

PUBLIC int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	return ustack_accept4(fd, addr.__sockaddr__, len, 0);
}

PUBLIC int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
	return ustack_accept4(fd, addr.__sockaddr__, len, flags);
}

PUBLIC int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	return ustack_connect(fd, addr.__sockaddr__, len);
}

PUBLIC int shutdown(int fd, int how)
{
	return ustack_shutdown(fd, how);
}

PUBLIC int getsockname(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	return ustack_getsockname(fd, addr.__sockaddr__, len);
}

PUBLIC int getpeername(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	return ustack_getpeername(fd, addr.__sockaddr__, len);
}

PUBLIC int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return ustack_getsockopt(fd, level, name, val, len);
}

PUBLIC int setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	return ustack_setsockopt(fd, level, name, val, len);
}

PUBLIC ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return ustack_send(fd, buf, len, flags);
}

PUBLIC ssize_t sendto(int fd, const void *buf, size_t len, int flags,
		      __CONST_SOCKADDR_ARG addr, socklen_t alen)
{
	return ustack_sendto(fd, buf, len, flags, addr.__sockaddr__, alen);
}

PUBLIC ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return ustack_sendmsg(fd, msg, flags);
}

PUBLIC ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return ustack_recvmsg(fd, msg, flags);
}

PUBLIC ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return ustack_recv(fd, buf, len, flags);
}

PUBLIC ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			__SOCKADDR_ARG addr, socklen_t *alen)
{
	return ustack_recvfrom(fd, buf, len, flags, addr.__sockaddr__, alen);
}

PUBLIC ssize_t read(int fd, void *buf, size_t len)
{
	return ustack_read(fd, buf, len);
}

PUBLIC ssize_t write(int fd, const void *buf, size_t len)
{
	return ustack_write(fd, buf, len);
}

PUBLIC ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	return ustack_readv(fd, iov, iovcnt);
}

PUBLIC ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	return ustack_writev(fd, iov, iovcnt);
}

/* _FORTIFY_SOURCE turns these calls into the _chk names. */
void __chk_fail(void) __attribute__((noreturn));
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
		       int flags, struct sockaddr *addr, socklen_t *alen);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);

PUBLIC ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
			  int flags)
{
	if (len > buflen)
		__chk_fail();
	return ustack_recv(fd, buf, len, flags);
}

PUBLIC ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
			      int flags, struct sockaddr *addr,
			      socklen_t *alen)
{
	if (len > buflen)
		__chk_fail();
	return ustack_recvfrom(fd, buf, len, flags, addr, alen);
}

PUBLIC ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return ustack_read(fd, buf, len);
}

/* CLOCK_MONOTONIC now plus @t; Return: -1 if @t is not a valid time */
static int deadline_of(const struct timespec *t, struct timespec *end)
{
	if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, end);
	end->tv_sec += t->tv_sec;
	end->tv_nsec += t->tv_nsec;
	if (end->tv_nsec >= 1000000000L) {
		end->tv_sec++;
		end->tv_nsec -= 1000000000L;
	}
	return 0;
}

/* Set *@t to the time left until @end, at least 0. Return: 1 if none is */
static int time_left(const struct timespec *end, struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t->tv_sec = end->tv_sec - now.tv_sec;
	t->tv_nsec = end->tv_nsec - now.tv_nsec;
	if (t->tv_nsec < 0) {
		t->tv_sec--;
		t->tv_nsec += 1000000000L;
	}
	if (t->tv_sec < 0)
		t->tv_sec = t->tv_nsec = 0;
	return t->tv_sec == 0 && t->tv_nsec == 0;
}

/*
 * recvmmsg as Linux's do_recvmmsg: one receive per message; after the
 * first, MSG_WAITFORONE turns on MSG_DONTWAIT; the timeout is looked at
 * after each datagram (a receive that blocks is not cut short by it), and
 * what is left of it is written back when messages were received. An
 * error after the first message ends the call with what was received.
 */
PUBLIC int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
		    struct timespec *timeout)
{
	struct timespec end;
	unsigned i;
	int rc;

	if (!ust_kind_checked(fd)) {
		rc = ust_r.recvmmsg(fd, vec, vlen, flags, timeout);
		for (int j = 0; j < rc; j++)
			ust_forget_received(&vec[j].msg_hdr);
		return rc;
	}
	if (timeout && deadline_of(timeout, &end)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < vlen; i++) {
		ssize_t n = ustack_recvmsg(fd, &vec[i].msg_hdr,
					   flags & ~MSG_WAITFORONE);

		if (n < 0)
			break;
		vec[i].msg_len = (unsigned)n;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (timeout && time_left(&end, timeout)) {
			i++;
			break;
		}
	}
	return i ? (int)i : -1;
}

PUBLIC int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
	unsigned i;

	if (!ust_kind_checked(fd))
		return ust_r.sendmmsg(fd, vec, vlen, flags);
	for (i = 0; i < vlen; i++) {
		ssize_t n = ustack_sendmsg(fd, &vec[i].msg_hdr, flags);

		if (n < 0) {
			if (i == 0)
				return -1;
			break;
		}
		vec[i].msg_len = (unsigned)n;
	}
	return (int)i;
}

/* poll: a datagram socket with an error to report shows POLLERR (dgram.c) */
PUBLIC int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return ustack_poll(fds, nfds, timeout);
}

int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
PUBLIC int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout,
		      size_t fdslen)
{
	if (fdslen / sizeof(*fds) < nfds)
		__chk_fail();
	return ustack_poll(fds, nfds, timeout);
}

PUBLIC int ppoll(struct pollfd *fds, nfds_t nfds,
		 const struct timespec *timeout, const sigset_t *sigmask)
{
	return ust_ppoll(fds, nfds, timeout, sigmask);
}

int __ppoll_chk(struct pollfd *fds, nfds_t nfds,
		const struct timespec *timeout, const sigset_t *sigmask,
		size_t fdslen);
PUBLIC int __ppoll_chk(struct pollfd *fds, nfds_t nfds,
		       const struct timespec *timeout, const sigset_t *sigmask,
		       size_t fdslen)
{
	if (fdslen / sizeof(*fds) < nfds)
		__chk_fail();
	return ust_ppoll(fds, nfds, timeout, sigmask);
}

/* select, pselect: the kernel's, with errq.c's reports as POLLERR */
PUBLIC int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
		  struct timeval *timeout)
{
	return ustack_select(nfds, r, w, e, timeout);
}

PUBLIC int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
		   const struct timespec *timeout, const sigset_t *sigmask)
{
	return ust_pselect(nfds, r, w, e, timeout, sigmask);
}

/* epoll: the kernel's, with errq.c's reports as EPOLLERR (epoll.c) */
PUBLIC int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return ustack_epoll_ctl(epfd, op, fd, ev);
}

PUBLIC int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	return ustack_epoll_wait(epfd, ev, max, timeout);
}

PUBLIC int epoll_pwait(int epfd, struct epoll_event *ev, int max,
		       int timeout, const sigset_t *sigmask)
{
	return ustack_epoll_pwait(epfd, ev, max, timeout, sigmask);
}

PUBLIC int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			const struct timespec *timeout,
			const sigset_t *sigmask)
{
	return ustack_epoll_pwait2(epfd, ev, max, timeout, sigmask);
}

PUBLIC int close(int fd)
{
	return ustack_close(fd);
}

PUBLIC int close_range(unsigned lo, unsigned hi, int flags)
{
	int rc;

	ust_init();
	rc = ust_r.close_range(lo, hi, flags);
	if (rc == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		ust_forget_range(lo, hi);
	return rc;
}

PUBLIC int dup(int fd)
{
	int nfd;

	ust_init();
	nfd = ust_r.dup(fd);
	if (nfd >= 0)
		ust_copy(fd, nfd);
	return nfd;
}

PUBLIC int dup2(int fd, int nfd)
{
	int rc;

	ust_init();
	rc = ust_r.dup2(fd, nfd);
	if (rc >= 0 && fd != nfd)
		ust_copy(fd, nfd);
	return rc;
}

PUBLIC int dup3(int fd, int nfd, int flags)
{
	int rc;

	ust_init();
	rc = ust_r.dup3(fd, nfd, flags);
	if (rc >= 0)
		ust_copy(fd, nfd);
	return rc;
}

PUBLIC int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return ustack_fcntl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...);
PUBLIC int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return ustack_fcntl(fd, cmd, arg);
}

PUBLIC int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ustack_ioctl(fd, req, arg);
}

/*
 * sendfile into a stream socket is the kernel's (the channel is an
 * AF_UNIX stream); into a datagram socket, one datagram per call.
 */
PUBLIC ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	static __thread char buf[8192];
	unsigned k = ust_kind(out);
	ssize_t n;

	if (ust_is_dgram(k))
		k = ust_check(out, k);
	if (!ust_is_dgram(k))
		return ust_r.sendfile(out, in, off, count);
	if (count > sizeof(buf))
		count = sizeof(buf);
	n = off ? pread(in, buf, count, *off) : ust_r.read(in, buf, count);
	if (n <= 0)
		return n;
	n = ustack_send(out, buf, (size_t)n, 0);
	if (n > 0 && off)
		*off += n;
	return n;
}

ssize_t sendfile64(int out, int in, off_t *off, size_t count);
PUBLIC ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	return sendfile(out, in, off, count);
}
