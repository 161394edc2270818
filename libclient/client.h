/* SPDX-License-Identifier: MIT */
/* client.h - libustack's insides, shared by the explicit API and the shim */
#ifndef USTACK_CLIENT_H
#define USTACK_CLIENT_H

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/errqueue.h>
#include <netinet/in.h>

/* libc's own functions, found with dlsym(RTLD_NEXT) */
struct ust_real {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			    socklen_t *);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
		       const struct timespec *, const sigset_t *);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned, int, struct timespec *);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned, int);
	int (*close_range)(unsigned, unsigned, int);
	int (*socketpair)(int, int, int, int *);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_pwait)(int, struct epoll_event *, int, int,
			   const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int,
			    const struct timespec *, const sigset_t *);
};

extern struct ust_real ust_r;
void ust_init(void);

#include "trapbpf.h"     /* UST_MAGIC */
void ust_use_raw(void);
int ust_trap_install(void);
void ust_supervise(int listener) __attribute__((noreturn));
void ust_ctl_path_set(const char *path);
int ust_act_for(pid_t pid);
void ust_sup_refused(int err);

/* What the descriptor table knows about an fd (fdtab.c) */
#define UST_NOT_OURS 1u
#define UST_OURS 0x100u
#define UST_V6 0x10u
#define UST_CONNECT_TRIED 0x20u      /* stream: connect() was called */
#define UST_SMALLBUF 0x40u           /* stream: SO_SNDBUF lowered (filler) */
#define UST_LISTENING 0x80u          /* stream: listen() succeeded */
#define UST_FRESH 0x200u             /* stream: not connected (never, or
					* no more: failed, disconnected) */
#define UST_LINGER 0x400u            /* stream: SO_LINGER with a timeout */
#define UST_ICMP 0x800u              /* datagram: protocol ICMP (ping, raw) */
#define UST_CONNECT_PEND 0x1000u     /* stream: a blocking connect was
				      * interrupted; its outcome is awaited */
#define UST_ORPHAN 0x2000u           /* stream: a listener whose daemon
				      * is gone (listener_orphan()) */
#define UST_INQ 0x4000u              /* stream: TCP_INQ set, recvmsg adds
				      * TCP_CM_INQ */
#define UST_PLAIN 0x8000u            /* datagram: a plain channel
				      * (USTACK_SO_PLAIN; the supervisor's) */
#define UST_LOWAT 0x10000u           /* stream: TCP_NOTSENT_LOWAT set: the
				      * channel's SO_SNDBUF follows it */
#define UST_RD_SHUT 0x20000u         /* stream: shutdown(SHUT_RD) here: at
				      * end of file, ask the daemon for what
				      * came since (USTACK_TCP_RECV_SHUT) */
#define UST_NEW 0x40000u             /* stream: made by socket() here and
					* never connected nor listening: its
					* channel is as the daemon made it */
#define UST_TYPE_MASK 0xfu

int ust_socketpair(int domain, int type, int protocol, int sv[2]);
/* SIGPIPE's disposition, which stream writes follow (client.c) */
void ust_sigpipe_track(void);
void ust_sigpipe_note(int sig);
/* One control request and its reply (client.c): 0 or -errno */
struct iovec;
int ust_call(uint16_t type, const void *body, size_t blen,
	     const struct iovec *iov2, int niov2, int fd, void *reply,
	     size_t rcap, size_t *rlen);
const char *ust_link_name(void);     /* the daemon's interface (HELLO) */

/* Interface numbers between the program's namespace and the daemon */
uint32_t ust_ifindex_in(uint32_t idx);
int ust_if_index(const char *name);
uint32_t ust_ifindex_out(uint32_t idx);

/* Addresses a call takes (client.c): Linux's rules per family and call */
enum ust_addr_call { UST_ADDR_BIND, UST_ADDR_CONNECT, UST_ADDR_SEND };
struct ustack_sockaddr;
int ust_addr_in(unsigned k, enum ust_addr_call call,
		struct ustack_sockaddr *ua, const struct sockaddr *sa,
		socklen_t len);
socklen_t ust_addr_out(unsigned k, const struct ustack_sockaddr *ua,
		       struct sockaddr *sa, socklen_t len);

/* The addresses a program sees (ifaddr.c): ustack's */
#define UST_ADDR_MAX 64
struct ustack_addr;
int ust_addr_list(struct ustack_addr *out, unsigned cap, unsigned *n);
void ust_rtnl_sent(int fd, const struct msghdr *msg);
bool ust_rtnl_recv(int fd, struct msghdr *msg, int flags, ssize_t *n);
void ust_rtnl_forget(int fd);
void ust_rtnl_by_identity(void);
bool ust_rtnl_open(int fd);
bool ust_rtnl_request(const void *h, size_t len);
bool ust_is_rtnl(int fd);
bool ust_ifaddr_ioctl(unsigned long req, void *arg, int *rc);

/* Name lookups (names.c) */
int ust_addr_families(bool *v4, bool *v6);
int ust_addrconfig(int family, int *out);

/* Datagram sockets (dgram.c) */
size_t ust_iov_copy_out(struct msghdr *m, const uint8_t *d, size_t len);
void ust_cmsg_only(struct msghdr *m, int level, int type, const void *data,
		   size_t len);
ssize_t ust_dgram_sendmsg(int fd, unsigned k, const struct msghdr *m,
			  int flags);
ssize_t ust_dgram_recvmsg(int fd, unsigned k, struct msghdr *m, int flags);
int ust_dgram_so_error(int fd, int *err);
void ust_dgram_fast_forget(void);
int ust_poll_fix(struct pollfd *fds, nfds_t nfds, int n);
int ust_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
		const struct timespec *timeout, const sigset_t *sigmask);
int ust_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
	      const sigset_t *sigmask);

/* errq.c: SO_ZEROCOPY and SO_TIMESTAMPING for TCP and UDP */
bool ust_xs_setsockopt(int fd, unsigned k, int level, int name,
		       const void *val, socklen_t len, int *rc);
bool ust_xs_getsockopt(int fd, int level, int name, void *val,
		       socklen_t *len, int *rc);
void ust_xs_sent(int fd, unsigned k, const struct msghdr *m, int flags,
		 ssize_t n);
bool ust_xs_rx_stamp(int fd, bool *is_new);
int ust_xs_rx_opt(int fd, int val);
bool ust_xs_rx_read(int fd, size_t n, bool peek, uint64_t *last,
		    uint64_t *consumed);
void ust_cmsg_rxtime(struct msghdr *m, size_t *used, int fd, uint32_t cmsg,
		     int64_t sec, uint32_t nsec);
bool ust_xs_opt_id(int fd);
void ust_xs_rx_cmsg(struct msghdr *m, size_t *used, int64_t sec,
		    uint32_t nsec, bool is_new);
bool ust_xs_recverr(int fd, unsigned k, struct msghdr *m, ssize_t *n);
bool ust_xs_poll_due(const struct pollfd *fds, nfds_t nfds);
int ust_xs_poll(struct pollfd *fds, nfds_t nfds, int n);
bool ust_xs_select_due(int nfds, const fd_set *r, const fd_set *w);
int ust_xs_select(int nfds, const fd_set *ask_r, const fd_set *ask_w,
		  fd_set *r, fd_set *w, int n);
void ust_xs_inherit(int listener, int fd);
void ust_xs_drop(uint32_t id);
void ust_xs_atfork(void);
bool ust_xs_pending(int fd, uint32_t *gen);
bool ust_xs_waiting(void);
bool ust_xs_has_state(int fd);
/* a wait on a socket with TX_ACK marks out is cut into slices this long,
 * the daemon asked for acked marks between them (errq.c) */
#define UST_XS_SLICE_NS 2000000L
bool ust_xs_fetch(int fd);
bool ust_xs_marks(void);
bool ust_xs_poll_marked(const struct pollfd *fds, nfds_t nfds);
bool ust_xs_select_marked(int nfds, const fd_set *r, const fd_set *w);
/* epoll's EPOLLERR for errq.c's reports (epoll.c) */
void ust_ep_forget(int fd);
void ust_ep_forget_range(unsigned lo, unsigned hi);
void ust_ep_atfork(void);
int ust_cmsg_check_socket(const struct msghdr *msg);
/* dgram.c: put_cmsg() at @*used in @m's control buffer */
/* IP_RECVERR's and IPV6_RECVERR's message: the extended error, then the
 * offender's address (ip_recv_error(), ipv6_recv_error()); sent as long
 * as the family's sockaddr */
struct ust_exterr {
	struct sock_extended_err ee;
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} off;
};

void ust_cmsg_put(struct msghdr *m, size_t *used, int level, int type,
		  const void *data, size_t len);

void ust_fdtab_init(void);
unsigned ust_kind(int fd);           /* 0 if not ours, else UST_OURS|... */
unsigned ust_check(int fd, unsigned k);
unsigned ust_kind_checked(int fd);
unsigned ust_kind_known(int fd);
void ust_set(int fd, unsigned k);
void ust_set_ino(int fd, unsigned k, uint64_t ino);
void ust_set_flags(int fd, unsigned set, unsigned clear);
uint32_t ust_identity(int fd);
uint32_t ust_entry_id(int fd);
bool ust_id_in_use(uint32_t id);
void ust_forget(int fd);
void ust_fdtab_clear(int fd);
void ust_copy(int from, int to);
void ust_forget_range(unsigned lo, unsigned hi);
/* client.c: what an fd not seen before is; sets *id to its identity */
unsigned ust_resolve(int fd, uint32_t *id);
void ust_forget_received(const struct msghdr *msg);

/* Datagram channels: UDP, ping and raw sockets */
static inline int ust_is_dgram(unsigned k)
{
	return k && ((k & UST_TYPE_MASK) == SOCK_DGRAM ||
		     (k & UST_TYPE_MASK) == SOCK_RAW);
}

static inline int ust_is_stream(unsigned k)
{
	return k && (k & UST_TYPE_MASK) == SOCK_STREAM;
}

#endif
