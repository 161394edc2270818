/* SPDX-License-Identifier: MIT */
/*
 * rawsys.c - the socket system calls libustack makes itself
 *
 * Theory of operation: with the libc trap on (trap.c), every socket system
 * call a process makes is stopped by a seccomp filter and handed to
 * libustack, unless its sixth argument carries UST_MAGIC. These wrappers
 * are the calls that carry it: the kernel ignores arguments a system call
 * does not have, and every call used here has at most five (send, recv,
 * sendto and recvfrom, which have six, are made with sendmsg and recvmsg).
 * They return as libc does: -1 and errno.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client.h"

#define SC(nr, a, b, c, d, e) \
	syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), \
		(long)UST_MAGIC)

static int raw_socket(int d, int t, int p)
{
	return (int)SC(SYS_socket, d, t, p, 0, 0);
}

static int raw_bind(int fd, const struct sockaddr *a, socklen_t l)
{
	return (int)SC(SYS_bind, fd, a, l, 0, 0);
}

static int raw_listen(int fd, int b)
{
	return (int)SC(SYS_listen, fd, b, 0, 0, 0);
}

static int raw_accept4(int fd, struct sockaddr *a, socklen_t *l, int f)
{
	return (int)SC(SYS_accept4, fd, a, l, f, 0);
}

static int raw_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	return (int)SC(SYS_connect, fd, a, l, 0, 0);
}

static int raw_shutdown(int fd, int how)
{
	return (int)SC(SYS_shutdown, fd, how, 0, 0, 0);
}

static int raw_getsockname(int fd, struct sockaddr *a, socklen_t *l)
{
	return (int)SC(SYS_getsockname, fd, a, l, 0, 0);
}

static int raw_getpeername(int fd, struct sockaddr *a, socklen_t *l)
{
	return (int)SC(SYS_getpeername, fd, a, l, 0, 0);
}

static int raw_getsockopt(int fd, int lv, int n, void *v, socklen_t *l)
{
	return (int)SC(SYS_getsockopt, fd, lv, n, v, l);
}

static int raw_setsockopt(int fd, int lv, int n, const void *v, socklen_t l)
{
	return (int)SC(SYS_setsockopt, fd, lv, n, v, l);
}

static ssize_t raw_sendmsg(int fd, const struct msghdr *m, int f)
{
	return SC(SYS_sendmsg, fd, m, f, 0, 0);
}

static ssize_t raw_recvmsg(int fd, struct msghdr *m, int f)
{
	return SC(SYS_recvmsg, fd, m, f, 0, 0);
}

static ssize_t raw_sendto(int fd, const void *b, size_t n, int f,
			  const struct sockaddr *a, socklen_t l)
{
	struct iovec iov = { (void *)b, n };
	struct msghdr m = { .msg_name = (void *)a, .msg_namelen = a ? l : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };

	return raw_sendmsg(fd, &m, f);
}

static ssize_t raw_recvfrom(int fd, void *b, size_t n, int f,
			    struct sockaddr *a, socklen_t *l)
{
	struct iovec iov = { b, n };
	struct msghdr m = { .msg_name = a, .msg_namelen = a && l ? *l : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r = raw_recvmsg(fd, &m, f);

	if (r >= 0 && a && l)
		*l = m.msg_namelen;
	return r;
}

static ssize_t raw_send(int fd, const void *b, size_t n, int f)
{
	return raw_sendto(fd, b, n, f, NULL, 0);
}

static ssize_t raw_recv(int fd, void *b, size_t n, int f)
{
	return raw_recvfrom(fd, b, n, f, NULL, NULL);
}

static int raw_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int f,
			struct timespec *t)
{
	return (int)SC(SYS_recvmmsg, fd, v, n, f, t);
}

static int raw_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int f)
{
	return (int)SC(SYS_sendmmsg, fd, v, n, f, 0);
}

/* Route libustack's own socket calls through the marked system calls. */
void ust_use_raw(void)
{
	ust_r.socket = raw_socket;
	ust_r.bind = raw_bind;
	ust_r.listen = raw_listen;
	ust_r.accept4 = raw_accept4;
	ust_r.connect = raw_connect;
	ust_r.shutdown = raw_shutdown;
	ust_r.getsockname = raw_getsockname;
	ust_r.getpeername = raw_getpeername;
	ust_r.getsockopt = raw_getsockopt;
	ust_r.setsockopt = raw_setsockopt;
	ust_r.sendmsg = raw_sendmsg;
	ust_r.recvmsg = raw_recvmsg;
	ust_r.send = raw_send;
	ust_r.recv = raw_recv;
	ust_r.sendto = raw_sendto;
	ust_r.recvfrom = raw_recvfrom;
	ust_r.recvmmsg = raw_recvmmsg;
	ust_r.sendmmsg = raw_sendmmsg;
}
