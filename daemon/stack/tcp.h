/* SPDX-License-Identifier: MIT */
/*
 * tcp.h - the engine's TCP socket calls, for the host's socket layer
 *
 * Theory of operation: a host opens a struct tcp_sock with tcp_open() and
 * drives it with calls shaped like the BSD socket calls (bind, listen,
 * connect, accept, send, recv, shutdown, close, abort, options). None of
 * them blocks: each does what it can now and returns. What happens later
 * (data arrived, send space freed, the handshake completed, an error, the
 * connection is gone) is reported through stack_ops.sock_event with a mask
 * of TCP_EV_* bits; the host then calls tcp_recv(), tcp_send(), ...
 *
 * Ownership: the host holds a socket from tcp_open() (or tcp_accept()) until
 * tcp_close() or tcp_abort(); after that the engine owns it and frees it
 * when the connection is done (after FIN exchange, TIME_WAIT, or a reset),
 * and the host must not touch the pointer again. A socket the host still
 * holds is never freed behind its back: it stays in TCP_CLOSED with its
 * error until closed.
 *
 * Data: tcp_send() copies in at most tcp_send_space() bytes and
 * tcp_recv() copies out (or peeks); tcp_send_spans()/tcp_send_commit() and
 * tcp_recv_spans()/tcp_recv_consume() do the same in place, so a host can
 * read its channel straight into the send ring and write the receive ring
 * straight to its channel. The window offered follows what is consumed.
 * A host whose program reads later (a channel between them) passes bytes
 * on with tcp_recv_pass() instead: they count as unread, and the window
 * leaves them out, until stack_ops.sock_unread or tcp_recv_unread() says
 * the program read them; then the window opens as Linux's does when a
 * program reads (tcp_recv_unread() returns whether the host should tell
 * it of the next read at once).
 *
 * Events: TCP_EV_READABLE (data or end of stream), TCP_EV_WRITABLE (send
 * space), TCP_EV_CONNECTED, TCP_EV_ACCEPT (on a listener), TCP_EV_EOF,
 * TCP_EV_ERROR (tcp_sock_error() then says which), TCP_EV_CLOSED. Only
 * sockets the host holds get events: a child gets none until accepted, so
 * the host looks at a fresh child's state (tcp_recv_avail(),
 * tcp_recv_eof(), tcp_sock_state()) once after tcp_accept().
 *
 * Not done in the engine: blocking (SO_LINGER with a timeout is a host
 * matter: shut down writing, wait for TCP_EV_CLOSED or TIME_WAIT, then
 * close), a second connect() on a socket whose first attempt failed (the
 * host opens a new tcp_sock), urgent data (URG is ignored; the byte stays
 * inline).
 *
 * Addresses are struct ip_addr (ip.h). A socket has a family, IP_V4
 * (AF_INET) or IP_V6 (AF_INET6); an IP_V6 socket speaks IPv4 too, as
 * Linux's do (see tcp_sock.c): its IPv4 connections hold IPv4 addresses,
 * which the host shows as ::ffff:a.b.c.d.
 *
 * Errors are negative errno values, as Linux reports them to programs.
 */
#ifndef USTACK_TCP_H
#define USTACK_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ip.h"

struct stack;
struct tcp_sock;

/* RFC 9293 3.3.2, spelled as the RFC does */
enum tcp_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

/* Events reported to stack_ops.sock_event (a mask) */
#define TCP_EV_READABLE   0x01u  /* data to read, or end of stream */
#define TCP_EV_WRITABLE   0x02u  /* send space opened */
#define TCP_EV_CONNECTED  0x04u  /* handshake completed (connect) */
#define TCP_EV_ACCEPT     0x08u  /* listener: a connection is ready */
#define TCP_EV_EOF        0x10u  /* peer sent FIN: recv returns 0 at end */
#define TCP_EV_ERROR      0x20u  /* tcp_sock_error() has an error */
#define TCP_EV_CLOSED     0x40u  /* reached TCP_CLOSED */

/* tcp_recv() flags */
#define TCP_RECV_PEEK 0x1

/* tcp_shutdown() how, as SHUT_RD/SHUT_WR/SHUT_RDWR */
#define TCP_SHUT_RD 0
#define TCP_SHUT_WR 1
#define TCP_SHUT_RDWR 2

/* Socket options: the SOL_SOCKET and IPPROTO_TCP ones the engine keeps */
enum tcp_sockopt {
	TCP_SO_SNDBUF,       /* bytes; set: stack_sockbuf_size() */
	TCP_SO_RCVBUF,
	TCP_SO_REUSEADDR,    /* bool */
	TCP_SO_REUSEPORT,    /* bool */
	TCP_SO_KEEPALIVE,    /* bool */
	TCP_SO_LINGER,       /* -1 off, else seconds; 0 = abort on close */
	TCP_OPT_NODELAY,     /* bool */
	TCP_OPT_CORK,        /* bool */
	TCP_OPT_KEEPIDLE,    /* seconds */
	TCP_OPT_KEEPINTVL,   /* seconds */
	TCP_OPT_KEEPCNT,     /* probes */
	TCP_OPT_MAXSEG,      /* bytes */
	TCP_OPT_CONGESTION,  /* enum tcp_cc_algo */
	TCP_SO_SNDBUFFORCE,  /* as SO_SNDBUF, beyond wmem_max; set only */
	TCP_SO_RCVBUFFORCE,
	TCP_SO_BINDTOIFINDEX,/* interface (STACK_IF_*), 0: none; a link-local
			      * IPv6 bind or connect needs one */
	TCP_IP6_V6ONLY,      /* bool, AF_INET6 only, not once bound */
	TCP_OPT_USER_TIMEOUT, /* ms, 0: the system's bounds; see tcp_out.c */
	TCP_IP_TOS,          /* IP_TOS of IPv4 segments (ECN bits the stack's) */
	TCP_IP_TTL,          /* IP_TTL of IPv4 segments, 1..255 */
	TCP_IP6_TCLASS,      /* IPV6_TCLASS of IPv6 segments, -1: 0 */
	TCP_IP6_HOPS,        /* IPV6_UNICAST_HOPS, -1 (or 0): the default */
	TCP_SO_BUF_LOCK,     /* SO_BUF_LOCK: 1 send, 2 receive buffer fixed */
	TCP_OPT_SYNCNT,      /* SYN (SYN-ACK) retransmissions, 1..127 */
	TCP_OPT_LINGER2,     /* seconds in FIN_WAIT_2 (orphan), -1: none */
	TCP_OPT_WINDOW_CLAMP, /* bytes, the most window advertised */
	TCP_OPT_QUICKACK,    /* 1: ACK at once (leave pingpong), 0: delay */
	TCP_OPT_THIN_LTO,    /* TCP_THIN_LINEAR_TIMEOUTS, bool */
	TCP_OPT_THIN_DUPACK, /* accepted, no effect (Linux 6.x) */
	TCP_OPT_TIMESTAMP,   /* get: the TSval clock now; set: EPERM */
	TCP_OPT_SAVE_SYN,    /* 0, 1 or 2: keep a listener's SYNs' headers */
	TCP_IP_NONLOCAL,     /* bool: bind() takes an address not ours
			      * (IP_FREEBIND, IP_TRANSPARENT) */
	TCP_IP_BIND_NO_PORT, /* bool: bind(addr, 0) leaves the port to
			      * connect() (IP_BIND_ADDRESS_NO_PORT) */
	TCP_IP_PORT_RANGE,   /* IP_LOCAL_PORT_RANGE: lo | hi << 16 (the
			      * socket layer checked it), 0: none */
	TCP_IP_MINTTL,       /* 0..255: IPv4 segments with a lower TTL are
			      * dropped (RFC 5082, GTSM) */
	TCP_OPT_DEFER_ACCEPT, /* seconds a listener's connection may wait
			      * for data before accept() sees it */
	TCP_OPT_FASTOPEN,    /* TCP_FASTOPEN: a listener's queue of Fast
			      * Open connections not yet established */
	TCP_OPT_FASTOPEN_CONNECT, /* bool, while closed; -EOPNOTSUPP
			      * without the client bit */
	TCP_OPT_FASTOPEN_NO_COOKIE, /* bool, closed or listening */
};

/* net.ipv4.tcp_fastopen's bits, the value of tcp-fastopen (RFC 7413) */
#define TCP_TFO_CLIENT 0x1          /* MSG_FASTOPEN, TCP_FASTOPEN_CONNECT */
#define TCP_TFO_SERVER 0x2          /* listeners with TCP_FASTOPEN */
#define TCP_TFO_CLIENT_NO_COOKIE 0x4 /* data in the SYN without a cookie */
#define TCP_TFO_SERVER_NO_COOKIE 0x200 /* data taken without a cookie */
#define TCP_TFO_SERVER_WO_SOCKOPT 0x400 /* every listener: qlen = backlog */
#define TCP_TFO_KEY_LEN 16          /* a TCP_FASTOPEN_KEY key */

enum tcp_cc_algo { TCP_CC_NEWRENO, TCP_CC_CUBIC };
/* RFC 3168, with the values of Linux's net.ipv4.tcp_ecn */
enum tcp_ecn { TCP_ECN_OFF, TCP_ECN_ON, TCP_ECN_SERVER };
/* An algorithm's name as Linux spells it ("reno", "cubic"), and back:
 * the enum, or -ENOENT */
const char *tcp_cc_name(enum tcp_cc_algo algo);
int tcp_cc_lookup(const char *name);

/* Which timer of a connection runs, for the info record */
enum tcp_timer_kind {
	TCP_TIMER_NONE,
	TCP_TIMER_RETRANSMIT,   /* data, SYN or FIN retransmission */
	TCP_TIMER_PERSIST,      /* zero-window probe */
	TCP_TIMER_KEEPALIVE,
	TCP_TIMER_FIN_WAIT_2,
	TCP_TIMER_TIME_WAIT,
	TCP_TIMER_DELACK,
	TCP_TIMER_LOSS_PROBE,   /* RFC 8985 tail loss probe */
	TCP_TIMER_REORDER,      /* RFC 8985 6.3 RACK reorder timer */
};

/* Per-connection record, for ustackctl and TCP_INFO. Times in ns. */
struct tcp_info_rec {
	uint64_t id;                        /* unique for the engine's life */
	enum tcp_state state;
	uint64_t time_in_state;
	enum tcp_timer_kind timer;
	uint64_t timer_left;
	struct ip_addr laddr, raddr;        /* IPv4 for an IPv4 connection,
					     * whatever the socket's family */
	uint16_t lport, rport;
	uint8_t family;                     /* the socket's: IP_V4, IP_V6 */
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, rcv_nxt;
	uint32_t snd_wnd, rcv_wnd;          /* bytes, unscaled */
	uint8_t snd_wscale, rcv_wscale;
	bool ts, sack;
	uint32_t snd_mss, rcv_mss;
	uint32_t cwnd, ssthresh;            /* bytes */
	uint64_t srtt, rttvar, rto;
	uint32_t retransmits;               /* consecutive timeouts now */
	uint64_t total_retrans;             /* segments retransmitted */
	uint32_t user_timeout_ms;           /* TCP_USER_TIMEOUT, 0: none */
	uint32_t snd_queued, rcv_queued;    /* bytes in the buffers */
	uint32_t sndbuf, rcvbuf;
	uint64_t bytes_acked, bytes_received;
	enum tcp_cc_algo cc;
	size_t mem;                         /* bytes: socket + its buffers */
	unsigned syn_qlen, accept_qlen;     /* listener: half-open, ready */
	unsigned backlog;                   /* listener: accept queue bound */
	uint64_t rack_reo_wnd;              /* RFC 8985 reordering window now */
	uint64_t rack_min_rtt;
	bool rack_reord;                    /* reordering seen */
	uint64_t rack_lost;                 /* segments RACK marked lost */

	/* the rest of TCP_INFO, as Linux 6.1 counts it (see
	 * tcp_info_to_linux()); times ns, *_ago since then */
	bool active;                        /* we sent the first SYN */
	bool ws;                            /* window scaling in use */
	bool ecn, ecn_seen;                 /* RFC 3168 agreed; ECT/CE seen */
	bool fin_acked, fin_rcvd;
	uint8_t ca_state;                   /* TCP_CA_* as Linux's */
	uint32_t probes, backoff;           /* persist/keepalive; RTO shift */
	uint64_t ato;                       /* delayed ACK timeout */
	uint32_t rcv_mss_seen;              /* largest segment seen (Linux) */
	uint32_t advmss;                    /* MSS we announced, less TS */
	uint32_t packets_out, sacked_out, lost_out, retrans_out; /* segments */
	uint64_t last_data_sent_ago, last_data_recv_ago, last_ack_recv_ago;
	uint32_t pmtu, rcv_ssthresh, reordering, rcv_space;
	uint64_t rcv_rtt;
	uint32_t notsent;                   /* bytes queued, never sent */
	uint64_t busy_time, rwnd_limited, sndbuf_limited;
	uint64_t segs_in, segs_out, data_segs_in, data_segs_out;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t delivered, dsack_dups, reord_seen, rcv_ooopack;
	uint64_t delivery_rate;             /* bytes/s of the last sample */
	bool app_limited;                   /* ... taken while app-limited */
	uint64_t pacing_rate;               /* bytes/s, UINT64_MAX: none */
	uint32_t init_cwnd;                 /* segments */
	/* RTO timeouts (the SYN's too), recoveries from them, and the ms
	 * spent in those, the unfinished one's so far */
	uint32_t total_rto, total_rto_recoveries, total_rto_time;
	uint32_t received_ce, delivered_ce; /* ECN, segments */
	bool syn_data_acked;                /* TCPI_OPT_SYN_DATA */
	uint8_t fastopen_client_fail;       /* TFO_* of Linux's tcp_info */
};

/* TCP_CA_* of Linux's tcpi_ca_state */
#define TCP_CA_STATE_OPEN 0
#define TCP_CA_STATE_DISORDER 1
#define TCP_CA_STATE_CWR 2
#define TCP_CA_STATE_RECOVERY 3
#define TCP_CA_STATE_LOSS 4

/*
 * struct tcp_info as Linux 6.18 lays it out (include/uapi/linux/tcp.h; the
 * ABI only grows at the end: 6.1's ends at snd_wnd, 232 bytes), and
 * getsockopt(TCP_INFO) gives at most TCP_LINUX_INFO_LEN bytes of it, as
 * 6.18 does.
 */
struct tcp_linux_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options;
	uint8_t wscale;                     /* snd low 4 bits, rcv high 4 */
	uint8_t app_limited;                /* bit 0; fastopen_client_fail 1-2 */
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
	uint32_t advmss, reordering, rcv_rtt, rcv_space, total_retrans;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
	uint32_t data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd;
	uint32_t rcv_wnd, rehash;                       /* 6.2 */
	uint16_t total_rto, total_rto_recoveries;       /* 6.7 */
	uint32_t total_rto_time;
	uint32_t received_ce;                           /* 6.18, AccECN */
	uint32_t delivered_e1_bytes, delivered_e0_bytes, delivered_ce_bytes;
	uint32_t received_e1_bytes, received_e0_bytes, received_ce_bytes;
	uint16_t accecn_fail_mode, accecn_opt_seen;
};

#define TCP_LINUX_INFO_LEN 280u
#define TCP_LINUX_INFO_LEN_61 232u      /* 6.1's, up to snd_wnd */

/* A piece of a socket's buffer, for the zero-copy calls */
struct tcp_span {
	uint8_t *base;
	size_t len;
};

int tcp_open(struct stack *s, uint8_t family, struct tcp_sock **out,
	     uint64_t now);
void tcp_set_user(struct tcp_sock *sk, void *user);
void *tcp_user(const struct tcp_sock *sk);
int tcp_bind(struct tcp_sock *sk, const struct ip_addr *addr, uint16_t port);
int tcp_listen(struct tcp_sock *sk, int backlog, uint64_t now);
int tcp_connect(struct tcp_sock *sk, const struct ip_addr *addr,
		uint16_t port, uint64_t now);
int tcp_connect_data(struct tcp_sock *sk, const struct ip_addr *addr,
		     uint16_t port, const void *data, size_t len,
		     bool syn_only, size_t *taken, uint64_t now);
int tcp_fastopen_key(struct tcp_sock *sk, bool set, uint8_t *key,
		     size_t *len);
int tcp_accept(struct tcp_sock *sk, struct tcp_sock **child);
ssize_t tcp_send(struct tcp_sock *sk, const void *buf, size_t len,
		 uint64_t now);
ssize_t tcp_recv(struct tcp_sock *sk, void *buf, size_t len, int flags,
		 uint64_t now);
/* zero-copy: fill/drain the rings in place, then commit/consume */
size_t tcp_send_spans(struct tcp_sock *sk, struct tcp_span sp[2]);
ssize_t tcp_send_commit(struct tcp_sock *sk, size_t n, uint64_t now);
void tcp_send_eor(struct tcp_sock *sk);
size_t tcp_recv_spans(const struct tcp_sock *sk, struct tcp_span sp[2]);
int tcp_recv_consume(struct tcp_sock *sk, size_t n, uint64_t now);
int tcp_recv_pass(struct tcp_sock *sk, size_t n, uint64_t now);
bool tcp_recv_unread(struct tcp_sock *sk, uint32_t unread, uint64_t now);
bool tcp_recv_watch(const struct tcp_sock *sk);
int tcp_shutdown(struct tcp_sock *sk, int how, uint64_t now);
void tcp_close(struct tcp_sock *sk, uint64_t now);
void tcp_abort(struct tcp_sock *sk, uint64_t now);
int tcp_setsockopt(struct tcp_sock *sk, enum tcp_sockopt opt, int val,
		   uint64_t now);
int tcp_saved_syn(struct tcp_sock *sk, void *buf, size_t cap, size_t *len);
int tcp_getsockopt(const struct tcp_sock *sk, enum tcp_sockopt opt,
		   int *val);
int tcp_sock_error(struct tcp_sock *sk);
enum tcp_state tcp_sock_state(const struct tcp_sock *sk);
size_t tcp_send_space(const struct tcp_sock *sk);
uint32_t tcp_send_unsent(const struct tcp_sock *sk);
uint32_t tcp_send_end(const struct tcp_sock *sk);
uint32_t tcp_send_una(const struct tcp_sock *sk);
size_t tcp_recv_avail(const struct tcp_sock *sk);
bool tcp_recv_eof(const struct tcp_sock *sk);
uint8_t tcp_family(const struct tcp_sock *sk);
void tcp_getsockname(const struct tcp_sock *sk, struct ip_addr *addr,
		     uint16_t *port);
void tcp_getpeername(const struct tcp_sock *sk, struct ip_addr *addr,
		     uint16_t *port);
void tcp_get_info(const struct tcp_sock *sk, struct tcp_info_rec *info,
		  uint64_t now);
void tcp_info_to_linux(const struct tcp_info_rec *r,
		       struct tcp_linux_info *ti);
void tcp_foreach(struct stack *s,
		 void (*fn)(void *arg, const struct tcp_sock *sk), void *arg);
unsigned tcp_sock_count(const struct stack *s);
struct tcp_sock *tcp_find(struct stack *s, uint64_t id,
			  const struct ip_addr *laddr, uint16_t lport,
			  const struct ip_addr *raddr, uint16_t rport);
int tcp_terminate(struct tcp_sock *sk, uint64_t now);
size_t tcp_mem_in_use(const struct stack *s);
size_t tcp_sock_size(void);
const char *tcp_state_name(enum tcp_state st);

#endif
