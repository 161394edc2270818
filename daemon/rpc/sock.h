/* SPDX-License-Identifier: MIT */
/*
 * sock.h - the daemon's sockets: channels, control requests, quotas
 *
 * Theory of operation: every socket a program holds is one end of an
 * AF_UNIX socketpair whose other end (the channel) the daemon watches
 * (DESIGN.md). The table here owns the sockets: it creates them for
 * USTACK_MSG_SOCKET, finds them for every other request by the SO_COOKIE
 * of the descriptor the request carries (the proof that the caller holds
 * it: cookies are never reused), applies per-uid quotas, and closes a
 * socket when its channel reports end-of-file, which the kernel does only
 * once the last holder of the program's end closed it (fork, dup, exit).
 *
 * Protocol specifics sit behind struct sock_proto: sock_dgram.c moves
 * datagrams between SOCK_SEQPACKET channels and the engine's datagram
 * sockets (UDP in sock_udp.c, ping and raw ICMP in sock_icmp.c); TCP
 * plugs in the same way with SOCK_STREAM channels (sock.c's comment says
 * what a TCP implementation must do).
 */
#ifndef USTACK_SOCK_H
#define USTACK_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ip.h"
#include "ustack_proto.h"

struct event_base;
struct event;
struct stack;
struct socktab;
struct sock;
struct udp_sock;

/* What the table needs from its host (main.c). */
struct sock_host {
	void *ctx;
	uint64_t (*now)(void *ctx);     /* update and return the clock */
	void (*settle)(void *ctx);      /* after engine calls: timers, impair */
	/* the engine's time @mono as CLOCK_REALTIME ns (SO_TIMESTAMP) */
	uint64_t (*realtime)(void *ctx, uint64_t mono);
};

struct sock_limits {
	unsigned max_socks_per_uid;     /* EMFILE beyond */
	size_t max_mem_per_uid;         /* ENOBUFS beyond */
	unsigned max_socks;             /* all uids together: ENFILE beyond */
};

/* Counters for ustackctl stats; one per refusal and failure path. */
#define SOCK_COUNTERS(X)                                                      \
	X(created, "sockets created")                                         \
	X(closed, "sockets closed")                                           \
	X(quota_socks, "refused: per-uid socket quota (EMFILE)")              \
	X(quota_mem, "refused: per-uid memory quota (ENOBUFS)")               \
	X(limit_socks, "refused: daemon socket limit (ENFILE)")               \
	X(no_proof, "refused: request without a socket fd (EBADF)")           \
	X(not_ours, "refused: fd is not a ustack socket (ENOTSOCK)")          \
	X(eacces_port, "refused: port below 1024 for a non-root uid")         \
	X(bad_request, "refused: malformed request body")                     \
	X(chan_bad_msg, "dropped: malformed message from a program's channel") \
	X(chan_full, "datagrams held: the program's channel was full")        \
	X(chan_err, "channel errors (socket closed)")                         \
	X(dgram_out, "datagrams moved from programs to the engine")           \
	X(dgram_chan, "... of them written into the channel (no round trip)") \
	X(dgram_in, "datagrams moved from the engine to programs")            \
	X(stream_out, "stream bytes moved from programs to the engine")       \
	X(stream_in, "stream bytes moved from the engine to programs")        \
	X(dead_freed, "dead connections freed once their program let go")    \
	X(diag_fail, "program-end lookups (sock_diag) without an answer")   \
	X(lingered, "closes that waited as SO_LINGER asks")                  \
	X(linger_timeouts, "SO_LINGER waits that ran out of time")           \
	X(renewed, "streams made new: failed connect, connect(AF_UNSPEC)")   \
	X(chan_renewed, "channels made new after a failed non-blocking connect")

struct sock_stats {
#define X(name, desc) uint64_t name;
	SOCK_COUNTERS(X)
#undef X
};

struct socktab *socktab_new(struct event_base *base, struct stack *stack,
			    const struct sock_host *host,
			    const struct sock_limits *lim);
void socktab_free(struct socktab *t);
struct ctl;
int socktab_attach(struct socktab *t, struct ctl *c);
const struct sock_stats *socktab_stats(const struct socktab *t);
size_t sock_struct_size(void);
unsigned socktab_count(const struct socktab *t);

/* Who holds a socket, for ustackctl netstat. */
struct sock_owner {
	uint32_t id;
	pid_t pid;
	uid_t uid;
	char comm[16];
};
bool sock_owner_of(const void *user, struct sock_owner *o);

/* A UDP socket as netstat shows it. */
struct sock_udp_view {
	struct sock_owner owner;
	int domain;                     /* AF_INET, AF_INET6 */
	struct ip_addr laddr, raddr;    /* the engine's (IPv4 or IPv6) */
	uint16_t lport, rport;
	bool connected;
	size_t recv_q;
};
void socktab_foreach_udp(struct socktab *t,
			 void (*fn)(void *arg, const struct sock_udp_view *v),
			 void *arg);

/* One multicast membership of a socket, as ustackctl maddr shows it */
#define SOCK_VIEW_SOURCES 10
struct sock_group_view {
	struct sock_owner owner;
	struct ip_addr group;
	unsigned ifindex;
	bool include;                   /* INCLUDE (src), else any source */
	unsigned nsrc;
	struct ip_addr src[SOCK_VIEW_SOURCES];
};
void socktab_foreach_group(struct socktab *t,
			   void (*fn)(void *arg,
				      const struct sock_group_view *v),
			   void *arg);

/*
 * Handle one control request other than HELLO. @fd: the descriptor the
 * request carried, or -1 (the caller closes it). On success the reply body
 * is in @reply (*@reply_len bytes, at most USTACK_SOCK_REPLY_MAX) and,
 * for SOCKET, *@reply_fd is a descriptor to attach and then close.
 * Return: 0 or a negative errno for the reply's status.
 */
#define USTACK_SOCK_REPLY_MAX 2048   /* a DGERR reply and its bytes */
int sock_request(struct socktab *t, uid_t uid, pid_t pid, uint64_t client,
		 const struct ustack_msg_hdr *h, const void *body, int fd,
		 void *reply, size_t *reply_len, int *reply_fd);

/* stack_ops.dgram_event: the engine has news for a datagram socket. */
struct dgram;
void sock_dgram_event(struct socktab *t, struct dgram *dg, unsigned events);
/* stack_ops.sock_event: the engine has news for a TCP socket. */
struct tcp_sock;
void sock_tcp_event(struct socktab *t, struct tcp_sock *ts, unsigned events);
uint32_t sock_tcp_unread(struct socktab *t, struct tcp_sock *ts);

#endif
