/* SPDX-License-Identifier: MIT */
/* sock_impl.h - what sock.c shares with the per-protocol glue (sock_*.c) */
#ifndef USTACK_SOCK_IMPL_H
#define USTACK_SOCK_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include "ip.h"
#include "sock.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51          /* Linux 6.3; older headers lack it */
#endif

struct rx_log;
struct ack_marks;

struct uid_quota {
	struct uid_quota *next;
	uid_t uid;
	unsigned socks;
	size_t mem;
};

/* SOL_SOCKET and IP options the daemon keeps without acting on them */
enum sock_kept_opt {
	KEPT_KEEPALIVE, KEPT_DONTROUTE, KEPT_OOBINLINE, KEPT_PRIORITY,
	KEPT_RCVLOWAT, KEPT_NO_CHECK, KEPT_IP_TOS, KEPT_IP_TTL,
	KEPT_IP_RECVERR, KEPT_IP_MTU_DISCOVER, KEPT_IP_PKTINFO,
	KEPT_LINGER_ON, KEPT_LINGER_SECS,
	KEPT_TSFLAGS,           /* a stream's SO_TIMESTAMP(NS): USTACK_CM_* */
	KEPT_BROADCAST, KEPT_MARK, KEPT_RXQ_OVFL, KEPT_BUSY_POLL,
	KEPT_INCOMING_CPU, KEPT_BUF_LOCK,
	KEPT_IP_RECVTOS, KEPT_IP_RECVTTL, KEPT_IP_RECVORIGDSTADDR,
	KEPT_IP_MULTICAST_LOOP, KEPT_IP_MULTICAST_ALL,
	KEPT_IP_FREEBIND, KEPT_IP_TRANSPARENT, KEPT_IP_BIND_NO_PORT,
	KEPT_IP_MINTTL,         /* a datagram socket's: no effect, as Linux */
	KEPT_IP_PORT_RANGE,     /* IP_LOCAL_PORT_RANGE (the engine's too) */
	KEPT_MAX
};

/* IPPROTO_IPV6 options an AF_INET6 socket keeps (sock_inet6.c) */
enum sock_kept6_opt {
	KEPT6_UNICAST_HOPS, KEPT6_TCLASS, KEPT6_MULTICAST_HOPS,
	KEPT6_MULTICAST_LOOP, KEPT6_MULTICAST_IF, KEPT6_RECVERR,
	KEPT6_RECVPKTINFO, KEPT6_RECVHOPLIMIT, KEPT6_RECVTCLASS,
	KEPT6_MTU_DISCOVER, KEPT6_V6ONLY,
	KEPT6_MAX
};

/*
 * What a program sets on a socket, apart from the socket: allocated when
 * it first sets an option to other than its default, binds or
 * disconnects (sock_opts()); a socket without one has every
 * default (sock_kept(), sock_kept6()). An accepted connection takes its
 * listener's, as Linux's sk_clone_lock() copies them; one whose listener
 * set nothing holds none (issue 11: an idle connection is small).
 */
struct sock_opts {
	bool set;                       /* an option set: children inherit */
	int kept[KEPT_MAX];
	int ip6_kept[KEPT6_MAX];        /* AF_INET6 (sock_inet6.c) */
	int user_mss;                   /* TCP_MAXSEG set, 0: none */
	int user_sndbuf, user_rcvbuf;   /* sizes set, 0: none (autotuned) */
	bool tcp_inq;                   /* TCP_INQ (libclient acts on it) */
	uint32_t notsent_lowat;         /* TCP_NOTSENT_LOWAT, 0: none */
	bool rxtime;                    /* a stream's USTACK_SO_RXTIME */
	/* a stream's receive times while SO_TIMESTAMP(NS) or rxtime asks
	 * for them (sock_tcp.c st_rx_sync()); never inherited */
	struct rx_log *rxlog;
	/* a stream's SO_TIMESTAMPING TX_ACK marks, made by the first send
	 * that asks (sock_tcp.c); never inherited */
	struct ack_marks *ackmarks;
	/* what a new engine socket takes over (sock_tcp.c st_renew()) */
	struct ip_addr bound_addr;      /* bind()'s address and port */
	uint16_t bound_port;
	uint16_t old_lport;             /* getsockname after a disconnect */
};

/*
 * Who holds sockets: one record per process (pid and uid), which all the
 * sockets it holds share (a server's 15,000 connections hold one, not
 * 15,000 copies of its command: issue 11). Counted; freed with the last.
 */
struct sock_prog {
	struct sock_prog *next;         /* socktab's chain */
	pid_t pid;
	uid_t uid;
	unsigned refs;                  /* 0: idle, kept a while */
	char comm[16];                  /* its command, from /proc */
	uint64_t idle_ms;               /* when its last socket went */
};

#define SOCK_PROG_HASH 64
/* records of processes with no socket left, kept so that a program that
 * opens and closes sockets in turn does not read /proc for each one; past
 * this many, those idle for over SOCK_PROG_FRESH_MS go (all of them past
 * four times as many); one idle longer than that is read again if its
 * process makes a socket (its pid may be another program's by then) */
#define SOCK_PROG_IDLE 32
#define SOCK_PROG_FRESH_MS 1000

/* A socket's parts that only a listener or a lingering close uses,
 * allocated by the first use (sock_aux()) */
struct sock_aux {
	struct sock *pend_child;        /* accepted, not yet handed over */
	int pend_child_fd;
	uint32_t linger_seq;            /* the close() that waits */
	uint64_t linger_client;
	struct event *linger_timer;
};

struct sock {
	struct sock *next, *prev;       /* all sockets */
	struct sock *hnext;             /* cookie hash chain */
	struct socktab *t;
	const struct sock_proto *proto;
	uint32_t id;
	uint8_t domain, type;           /* AF_*, SOCK_* */
	uint16_t protocol;              /* IPPROTO_* */
	struct sock_prog *owner;        /* creator, or last caller */
	struct uid_quota *q;
	uint32_t charged;               /* bytes charged to q */
	int chan;                       /* the daemon's end */
	uint64_t cookie;                /* SO_COOKIE of the program's end */
	ino_t prog_ino;                 /* and its inode (sock_end.c) */
	/* deferred work after engine events (sock_kick()) */
	struct sock *kick_next;
	/* flags, one bit each (an idle socket is small: issue 11) */
	bool polled : 1;                /* the channel is in t->epfd */
	bool wev_armed : 1;             /* ... watched for room too */
	bool watch_unread : 1;          /* ... and for the program's reads
					 * (sock_tcp.c: the window) */
	bool shut_rd : 1, shut_wr : 1;
	bool abort : 1;                 /* close with RST (sock_tcp.c) */
	bool kicked : 1;                /* on the kick list */
	/* stream sockets (sock_tcp.c) */
	bool listening : 1;
	bool connecting : 1;            /* the handshake is under way */
	bool nb_connect : 1;            /* non-blocking connect not yet
					 * confirmed by a second connect() */
	bool conn_done : 1;             /* connect finished (or failed) */
	bool prog_eof : 1;              /* the program shut down writing */
	bool chan_wr_shut : 1;          /* we shut the channel for writing */
	bool pend_connect : 1;          /* a blocking CONNECT awaits its reply */
	bool accepted : 1;              /* came from a listener (accept) */
	/* the connection died (reset, timeout): the channel is shut both
	 * ways, so only sock_end.c can tell when the program lets go */
	bool dead : 1;
	/* SO_LINGER close (sock_end.c): the program said it closes; the
	 * connection waits for its FIN's ACK without a channel; a program
	 * waits for that */
	bool linger_close : 1, lingering : 1, linger_waiter : 1;
	bool chan_big : 1;              /* sock_chan_grow() was done */
	/* a stream's channel was found empty (or at its end) by the last
	 * read, and whatever the program does next is a new epoll edge:
	 * deferred work need not read it (sock_tcp.c: st_pull()) */
	bool chan_empty : 1;
	uint8_t bound_if;               /* ping: SO_BINDTOIFINDEX */
	int pending_err;                /* to post on the channel, positive */
	/* what a listener or a lingering close needs (sock_aux()) */
	struct sock_aux *aux;
	/* what the program set, once it sets something (sock_opts()) */
	struct sock_opts *o;
	union {                         /* by kind (type) */
		struct {                /* stream (sock_tcp.c) */
			/* channel bytes to discard (connect) */
			uint32_t filler;
			/* a blocking CONNECT's request, while pend_connect,
			 * and the MSG_FASTOPEN bytes it took */
			uint32_t pend_seq, syn_taken;
			uint64_t pend_client;
		};
		struct {                /* datagram (sock_dgram.c) */
			uint32_t dg_cmsg;       /* USTACK_CM_* asked for */
			unsigned dg_flags;      /* DG_* (sock_dgram.h) */
		};
	};
	struct dgram *dg;               /* datagram: the engine socket's
					 * common part */
	union {
		struct udp_sock *udp;
		struct ping_sock *ping;
		struct raw_sock *raw;
		void *tcp;
	} e;
};


/*
 * A protocol's half of a socket. Each returns 0 or a negative errno,
 * as Linux reports to the program. Addresses are the engine's (struct
 * ip_addr): sock_addr_in() and sock_addr_out() convert them.
 */
struct sock_proto {
	int chan_type;                  /* SOCK_SEQPACKET or SOCK_STREAM */
	int (*open)(struct sock *sk, void *engine); /* engine: adopt it */
	void (*close)(struct sock *sk);
	int (*bind)(struct sock *sk, const struct ip_addr *addr, uint16_t port);
	/* may return SOCK_PENDING: the reply follows (sock_reply_pending) */
	int (*connect)(struct sock *sk, const struct ip_addr *addr,
		       uint16_t port, bool nonblock);
	int (*disconnect)(struct sock *sk);
	int (*listen)(struct sock *sk, int backlog);
	int (*getname)(struct sock *sk, bool peer, struct ip_addr *addr,
		       uint16_t *port);
	int (*setopt)(struct sock *sk, int level, int name, int val);
	int (*getopt)(struct sock *sk, int level, int name, int *val);
	int (*shutdown)(struct sock *sk, int how);
	int (*ioctl)(struct sock *sk, unsigned long req, int *val);
	/* @meta: the datagram's IP_TTL, IP_TOS, IP_PKTINFO, or NULL */
	int (*sendto)(struct sock *sk, const void *buf, size_t len,
		      const struct ip_addr *dst, uint16_t dport,
		      const struct ustack_dgram_meta *meta);
	/* may be NULL: the program closed a socket it had asked to linger
	 * on; true if the protocol keeps @sk until the close is done */
	bool (*linger)(struct sock *sk);
	/* the channel is readable (data or end of file) / writable again */
	void (*chan_read)(struct sock *sk);
	void (*chan_write)(struct sock *sk);
	/* may be NULL: the work sock_kick() deferred (may free @sk) */
	void (*kick)(struct sock *sk);
	/* may be NULL: USTACK_MSG_RENEW, a new channel for a socket whose
	 * one was shut; 0 with *@client_fd -1: nothing to renew */
	int (*renew)(struct sock *sk, int *client_fd);
};

#define SOCK_PENDING 1

extern const struct sock_proto sock_udp_proto;
extern const struct sock_proto sock_ping_proto;
extern const struct sock_proto sock_raw_proto;
extern const struct sock_proto sock_tcp_proto;

struct socktab {
	struct event_base *base;
	struct stack *stack;
	struct sock_host host;
	struct sock_limits lim;
	struct sock_stats st;
	struct ctl *ctl;
	struct sock *all;
	unsigned count;
	uint32_t next_id;
	struct uid_quota *quotas;
	struct sock_prog *progs[SOCK_PROG_HASH];  /* by pid */
	unsigned progs_idle;            /* of them, with no socket */
	/* the owner of a socket whose own record found no memory: no
	 * command, and no root privilege */
	struct sock_prog noprog;
	struct sock **hash;             /* by cookie */
	unsigned hash_size;
	/* every channel's readiness: the daemon's own epoll set, one
	 * libevent event for it (an idle socket holds no libevent event) */
	int epfd;
	struct event *ep_ev;
	struct epoll_event *evs;        /* the batch being dispatched */
	int ev_n, ev_i;
	/* sockets with deferred work, in the order they asked */
	struct sock *kick_head, *kick_tail;
	unsigned nkick;
	struct event *kick_ev;
	int diag_fd;                    /* NETLINK_SOCK_DIAG, or -1 */
	int diag_state;                 /* 0 unknown, 1 usable, -1 not */
	uint32_t diag_seq;
};

uint64_t sock_now(struct sock *sk);
uint64_t sock_realtime(struct sock *sk, uint64_t mono);
void sock_settle(struct sock *sk);
void sock_owner_share(struct sock *c, const struct sock *l);
struct sock_aux *sock_aux(struct sock *sk);
int sock_chan_renew(struct sock *sk, int *client_fd);
void sock_close(struct sock *sk);
void sock_detach(struct sock *sk);
bool sock_chan_gone(struct sock *sk);
int sock_prog_alive(struct sock *sk);
int64_t sock_prog_inq(struct sock *sk);
bool sock_diag_usable(struct sock *sk);
int sock_linger_wait(struct socktab *t, uid_t uid, uint64_t client,
		     uint32_t seq, uint32_t id);
void sock_linger_reply(struct sock *sk);
int sock_linger_arm(struct sock *sk);
void sock_want_write(struct sock *sk, bool on);
bool sock_ev_bits(const struct sock *sk, uint32_t *bits);
bool sock_chan_grow(struct sock *sk);
void sock_info(const struct sock *sk, uint32_t flags,
	       struct ustack_sock_info *info);
void sock_watch_unread(struct sock *sk, bool on);
void sock_kick(struct sock *sk);
struct sock_opts *sock_opts(struct sock *sk);
int sock_opts_inherit(struct sock *c, const struct sock *l);
int sock_kept(const struct sock *sk, int k);
int sock_kept_set(struct sock *sk, int k, int val);
/* SO_TIMESTAMP(NS) old and new: USTACK_CM_* flags as Linux keeps them */
void sock_ts_flags_set(uint32_t *f, int name, int val);
int sock_ts_flags_get(uint32_t f, int name);
int sock_kept6(const struct sock *sk, int k);
int sock_kept6_set(struct sock *sk, int k, int val);
int sock_charge(struct sock *sk, size_t bytes);
struct sock *sock_alloc(struct socktab *t, struct uid_quota *q, int domain,
			int type, int protocol, const struct sock_proto *proto,
			void *engine, int *client_fd, int *err);
void sock_reply_pending(struct sock *sk, int status);
int sock_tcp_info(struct sock *sk, void *out, size_t len);
size_t sock_tcp_recv_shut(struct sock *sk, void *out, size_t len, bool peek);
int sock_tcp_saved_syn(struct sock *sk, void *out, size_t cap, size_t *len);
int sock_tcp_fastopen_key(struct sock *sk, bool set, uint8_t *key, size_t *len);
int sock_tcp_fastopen(struct sock *sk, const struct ip_addr *addr,
		      uint16_t port, bool nonblock, const void *data,
		      size_t len);
int sock_tcp_congestion(struct sock *sk, bool set, char *name, size_t *len);
void sock_tcp_meminfo(struct sock *sk, uint32_t m[9]);
void sock_tcp_rx_sync(struct sock *sk);
int sock_tcp_rxtime(struct sock *sk, const struct ustack_sockopt *o,
		    struct ustack_sockopt *out);
int sock_tcp_ackmarks(struct sock *sk, const struct ustack_sockopt *o,
		      struct ustack_sockopt *out);
int sock_addr_in(const struct sock *sk, const struct ustack_sockaddr *ua,
		 struct ip_addr *addr, uint16_t *port);
void sock_addr_out(struct sock *sk, const struct ip_addr *addr,
		   uint16_t port, struct ustack_sockaddr *ua);
int sock_sendto_addr(struct sock *sk, const void *data, size_t len,
		     const struct ustack_sockaddr *ua,
		     const struct ip_addr *addr, uint16_t port,
		     const struct ustack_dgram_meta *meta);
int sock_inet6_setopt(struct sock *sk, const struct ustack_sockopt *o);
int sock_inet6_getopt(struct sock *sk, int name, int *val);
int sock_icmp6_filter(struct sock *sk, const struct ustack_sockopt *o,
		      struct ustack_sockopt *out);
bool sock_mcast_opt(int name);
int sock_mcast_setopt(struct sock *sk, const struct ustack_sockopt *o);
int sock_mcast_getopt(struct sock *sk, const struct ustack_sockopt *o,
		      struct ustack_sockopt *out);
int sock_dgram_dgerr(struct sock *sk, const struct ustack_dgerr_req *req,
		     void *reply, size_t *reply_len);

#endif
