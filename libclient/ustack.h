/* SPDX-License-Identifier: MIT */
/*
 * ustack.h - libustack: the socket calls of ustack, by name
 *
 * Each ustack_X() behaves as the libc call X() on a socket of ustack
 * (AF_INET or AF_INET6) and returns the same values with the same errno.
 * A ustack socket is a real file descriptor (one end of an AF_UNIX
 * socketpair whose other end the daemon holds), so poll, select, epoll,
 * fork, dup and exec work on it as on any descriptor; calls on
 * descriptors that are not ustack sockets go to libc. The daemon's control
 * socket is USTACK_SOCKET, or /run/ustack/ustackd.sock. See libustack(3).
 */
#ifndef USTACK_H
#define USTACK_H

#include <poll.h>
#include <stddef.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TCP_KEEPALIVE (lwIP's name): idle time before keepalive probes, in ms */
#ifndef TCP_KEEPALIVE
#define TCP_KEEPALIVE 0x7501
#endif

int ustack_socket(int domain, int type, int protocol);
int ustack_bind(int fd, const struct sockaddr *addr, socklen_t len);
int ustack_listen(int fd, int backlog);
int ustack_accept(int fd, struct sockaddr *addr, socklen_t *len);
int ustack_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int ustack_connect(int fd, const struct sockaddr *addr, socklen_t len);
int ustack_shutdown(int fd, int how);
int ustack_close(int fd);
int ustack_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int ustack_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int ustack_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int ustack_setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len);
ssize_t ustack_send(int fd, const void *buf, size_t len, int flags);
ssize_t ustack_sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *addr, socklen_t alen);
ssize_t ustack_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t ustack_recv(int fd, void *buf, size_t len, int flags);
ssize_t ustack_recvfrom(int fd, void *buf, size_t len, int flags,
			struct sockaddr *addr, socklen_t *alen);
ssize_t ustack_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t ustack_read(int fd, void *buf, size_t len);
ssize_t ustack_write(int fd, const void *buf, size_t len);
ssize_t ustack_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t ustack_writev(int fd, const struct iovec *iov, int iovcnt);
int ustack_fcntl(int fd, int cmd, ...);
int ustack_ioctl(int fd, unsigned long req, ...);
int ustack_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int ustack_select(int nfds, fd_set *r, fd_set *w, fd_set *e,
		  struct timeval *timeout);
struct epoll_event;
int ustack_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int ustack_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout);
int ustack_epoll_pwait(int epfd, struct epoll_event *ev, int max,
		       int timeout, const sigset_t *sigmask);
int ustack_epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			const struct timespec *timeout,
			const sigset_t *sigmask);

/* Is @fd a ustack socket? 1 yes, 0 no. */
int ustack_is_socket(int fd);

#ifdef __cplusplus
}
#endif

#endif
