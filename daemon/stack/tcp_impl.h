/* SPDX-License-Identifier: MIT */
/*
 * tcp_impl.h - TCP's internal state, shared by tcp*.c (and white-box tests)
 *
 * Per-state rules (RFC 9293 3.3.2), as this engine keeps them:
 *   TCP_CLOSED        no connection; a held socket waits here for close
 *   TCP_LISTEN        in the listener table; children in syn_q / accept_q
 *   TCP_SYN_SENT      SYN out, retransmitted syn_retries times
 *   TCP_SYN_RECEIVED  SYN-ACK out; a passive child sits on parent's syn_q
 *   TCP_ESTABLISHED   data both ways
 *   TCP_FIN_WAIT_1    our FIN sent, not acknowledged
 *   TCP_FIN_WAIT_2    our FIN acknowledged; an orphan times out after
 *                     tcp_fin_timeout (Linux's tcp_fin_timeout)
 *   TCP_CLOSE_WAIT    peer's FIN received, we may still send
 *   TCP_CLOSING       both FINs crossed, ours not acknowledged
 *   TCP_LAST_ACK      we sent FIN after the peer's, waiting for its ACK
 *   TCP_TIME_WAIT     2 * MSL; buffers released, bounded in number
 */
#ifndef USTACK_TCP_IMPL_H
#define USTACK_TCP_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ip.h"
#include "pbuf.h"
#include "tcp.h"
#include "timer.h"

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

#define TCP_HLEN 20
#define TCP_PUSH_MARKS 2        /* write ends remembered ahead of SND.NXT */
#define TCP_MAX_HLEN 60
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WS 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCPOPT_FASTOPEN 34       /* RFC 7413 */

#define TCP_TFO_COOKIE_LEN 8     /* the cookies we give (Linux's) */
#define TCP_TFO_COOKIE_MAX 16    /* RFC 7413 4.1.1: 4 to 16, even */

#define TCP_DEFAULT_MSS 536      /* RFC 9293 3.7.1, when none is sent */
#define TCP_MIN_MSS 88           /* Linux's floor for a clamped MSS */
#define TCP_MAX_WSCALE 14        /* RFC 7323 2.3 */
#define TCP_MAX_OOO 8            /* out-of-order ranges held */
#define TCP_MAX_SACK 8           /* SACKed ranges remembered (scoreboard) */
#define TCP_DUPTHRESH 3          /* RFC 5681 */
#define TCP_INFINITE_SSTHRESH 0x7fffffffu /* before the first loss (Linux's) */
#define TCP_QUICKACKS 16         /* segments acked at once at start */
#define TCP_PAWS_IDLE_S (24u * 86400) /* RFC 7323 5.5, seconds */
#define TCP_CC_PRIV 32            /* cubic_priv (tcp_cc.c) fits */
#define TCP_TXREC_INIT 16        /* transmit records at first */
#define TCP_RING_MIN 4096        /* a send ring when memory is short */
#define TCP_MAX_TXREC 8192       /* ... and at most (then they merge) */
#define TCP_RACK_MAX_MULT 16     /* RFC 8985 6.2: reo_wnd_mult bound */

/* A parsed TCP header with its options, host order. */
struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hlen, flags;
	uint8_t ecn;           /* the IP header's ECN field (RFC 3168 5) */
	uint16_t wnd, cksum, urp;
	/* options */
	bool has_mss, has_ws, sack_perm, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct { uint32_t start, end; } sack[4];
	/* RFC 7413 Fast Open option (SYN and SYN-ACK only): tfo_len 0 is a
	 * cookie request, else the cookie's bytes */
	bool has_tfo;
	uint8_t tfo_len;
	uint8_t tfo_cookie[TCP_TFO_COOKIE_MAX];
	/* payload */
	const uint8_t *data;
	uint32_t len;          /* payload bytes */
	struct ip_addr src, dst;
	/* the network header as received (TCP_SAVE_SYN), or NULL */
	const uint8_t *nethdr;
	uint16_t nethdr_len;
};

/* A SYN's network and TCP headers, kept for TCP_SAVED_SYN */
struct tcp_saved_syn {
	struct tcp_saved_syn *next;
	const struct tcp_sock *sk;
	uint16_t len;
	uint8_t data[];
};

/* A byte ring: the send queue, or the receive queue plus its OOO space. */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap, head, len;
	uint32_t size;          /* SO_SNDBUF/SO_RCVBUF: what it may hold */
};

struct tcp_range {
	uint32_t start, end;   /* sequence numbers, [start, end) */
};

/* One segment sent (tcp_loss.c): its range, last send time, marks. */
struct tcp_txrec {
	uint32_t start, end;
	uint64_t ts;
	uint32_t delivered;    /* bytes delivered when sent (delivery rate) */
	uint8_t flags;         /* TXR_* of tcp_loss.c, TCP_TXR_APP_LIMITED */
};

#define TCP_TXR_APP_LIMITED 0x20  /* sent with nothing more to send */

/*
 * The scoreboard: out-of-order ranges held (nooo), the ranges the peer
 * SACKed (nsacked), a duplicate to report (dsack_pending). A connection
 * holds it only while one of them is in use: allocated by tcp_sb_get()
 * when the first range comes, freed by tcp_sb_settle() when the last goes
 * (an idle connection has none: issue 11).
 */
struct tcp_sb {
	struct tcp_range ooo[TCP_MAX_OOO];      /* out-of-order held */
	struct tcp_range sacked[TCP_MAX_SACK];  /* peer's SACK scoreboard */
	struct tcp_range dsack;                 /* RFC 2883: to report */
	uint32_t ooo_recent;                    /* newest OOO range start */
};

struct tcp_sock;

/* A listener's queues, allocated by listen(): connections don't carry them */
struct tcp_listenq {
	struct tcp_sock *syn_q, *accept_q, *accept_tail;
	unsigned syn_qlen, accept_qlen, backlog;
	/* RFC 7413 Fast Open (tcp_fastopen.c): children still in
	 * SYN_RECEIVED, TCP_FASTOPEN's bound on them, TCP_FASTOPEN_KEY's
	 * keys (a socket that sets either before listen() has its queues
	 * from then on) */
	unsigned tfo_qlen;
	uint32_t tfo_max_qlen;
	struct tcp_tfo_key *tfo_key;
};

/* A listener's own Fast Open keys (TCP_FASTOPEN_KEY): the first makes
 * cookies, both are taken (tcp_fastopen.c) */
struct tcp_tfo_key {
	uint8_t raw[2][16];     /* as the program gave them */
	uint64_t key[2][2];     /* ... as SipHash keys */
	bool backup;            /* a second key was given */
};

/* Congestion control, RFC 5681's hooks behind a table */
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcp_sock *sk);
	/* new data acked outside recovery: grow cwnd */
	void (*on_ack)(struct tcp_sock *sk, uint32_t acked, uint64_t now);
	/* a loss was detected (fast retransmit or RTO): new ssthresh */
	uint32_t (*ssthresh)(struct tcp_sock *sk, uint64_t now);
};

extern const struct tcp_cc_ops tcp_newreno_ops;
extern const struct tcp_cc_ops tcp_cubic_ops;

struct tcp_sock {
	struct stack *s;
	struct tcp_sock *all_next, *all_prev;   /* every socket */
	struct tcp_sock *hnext;                 /* conn or listen hash chain */
	struct tcp_sock *bnext;                 /* bound-port hash chain */
	struct tcp_sock **bpprev;               /* what points to us there:
						 * every connection of a
						 * server shares its port */
	struct tcp_sock *reap_next;             /* waiting to be freed */
	struct tcp_sock *parent;                /* listener of a child */
	union {
		struct tcp_sock *qnext;         /* on parent's syn_q/accept_q */
		struct tcp_sock *tw_prev;       /* TIME_WAIT, never on those */
	};
	union {
		struct tcp_sock *tw_next;       /* TIME_WAIT age list */
		struct tcp_sock *tfo_lsn;       /* a Fast Open child's
						 * listener (tfo_child) */
	};
	void *user;
	uint64_t id;                            /* for netstat and kill */

	enum tcp_state state : 8;
	uint8_t family;                         /* domain: IP_V4 or IP_V6 */
	uint8_t bound_if;                       /* SO_BINDTOIFINDEX, 0: none */
	/* flags, one bit each (an idle connection is small: issue 11) */
	bool v6only : 1;                        /* IPV6_V6ONLY */
	bool bound : 1, in_conn_hash : 1, in_listen_hash : 1, held : 1;
	bool listening : 1;
	bool autobound : 1;                     /* its port came with connect() */
	bool reuseaddr : 1, reuseport : 1, keepalive : 1, nodelay : 1;
	bool cork : 1, linger_on : 1;
	bool shut_rd : 1, shut_wr : 1, fin_rcvd : 1, fin_sent : 1, ack_now : 1;
	bool ts_ok : 1, sack_ok : 1, ws_ok : 1, in_recovery : 1, rec_sack : 1;
	bool on_accept_q : 1, dead : 1, sndbuf_locked : 1, rcvbuf_locked : 1;
	bool force : 1;                         /* persist: override SWS */
	uint8_t npush : 2;                      /* push_mark[] in use */
	uint8_t push_eor : TCP_PUSH_MARKS;      /* bit i: push_mark[i] ends
						 * a record (MSG_EOR) */
	bool in_loss : 1;                       /* after an RTO, until recover */
	bool sack_seen : 1;                     /* the peer sent SACK blocks */
	bool tlp_out : 1, tlp_retrans : 1;      /* RFC 8985 7: a probe is out */
	bool dsack_pending : 1;                 /* RFC 2883: sb->dsack to send */
	bool rescue_set : 1;                    /* rescue_rxt is set */
	bool rack_reord : 1, rack_dsack_round_set : 1;
	bool active : 1;                        /* we sent the first SYN */
	bool rate_app_limited : 1;              /* rate_* sample was */
	bool is_cwnd_limited : 1;               /* Linux's, tcp_cwnd_validate() */
	bool push : 1;                          /* TCP_NODELAY set: what cork
						 * holds goes, once (Linux's
						 * TCP_NAGLE_PUSH) */
	bool pingpong : 1;                      /* TCP_QUICKACK 0: ACKs wait
						 * (Linux's pingpong mode) */
	bool thin_lto : 1;                      /* TCP_THIN_LINEAR_TIMEOUTS */
	/* RFC 3168 (tcp_ecn_* in tcp_in.c and tcp_out.c), Linux's ecn_flags */
	bool ecn_ok : 1;                        /* both ends agreed */
	bool ecn_seen : 1;                      /* ECT or CE came */
	bool ecn_demand_cwr : 1;                /* CE came: ECE until CWR */
	bool ecn_queue_cwr : 1;                 /* CWR on the next new data */
	bool in_cwr : 1;                        /* reduced for an ECE, until
						 * snd_una reaches cwr_high */
	bool nonlocal : 1;                      /* IP_FREEBIND/IP_TRANSPARENT:
						 * bind to any address */
	bool bind_no_port : 1;                  /* IP_BIND_ADDRESS_NO_PORT */
	uint8_t save_syn : 2;                   /* TCP_SAVE_SYN (0-2) */
	bool syn_saved : 1;                     /* a saved SYN is kept for
						 * it (tcp_saved_syn()) */
	bool defer_acked : 1;                   /* child: the handshake's ACK
						 * came without data, dropped
						 * (TCP_DEFER_ACCEPT) */
	/* RFC 7413 Fast Open (tcp_fastopen.c), Linux's names */
	bool tfo_connect : 1;                   /* TCP_FASTOPEN_CONNECT */
	bool tfo_no_cookie : 1;                 /* TCP_FASTOPEN_NO_COOKIE */
	bool tfo_req : 1;                       /* this connect is Fast Open */
	bool tfo_defer : 1;                     /* SYN_SENT, its SYN waiting
						 * for the first data */
	bool syn_fastopen : 1;                  /* our SYN had the option */
	bool syn_data : 1;                      /* ... and data */
	bool syn_data_acked : 1;                /* SYN data acknowledged
						 * (client) or taken (server) */
	bool tfo_child : 1;                     /* counted in tfo_lsn's
						 * tfo_qlen */
	uint8_t tfo_client_fail : 2;            /* tcpi_fastopen_client_fail */
	uint32_t snd_sml;       /* end of the last short segment sent (Linux's
				 * snd_sml, Minshall's Nagle) */
	uint64_t state_since;
	/* a connection's addresses are of the family its segments have:
	 * an AF_INET6 socket's IPv4 connection holds IPv4 ones (ip.h) */
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;
	uint32_t tlp_end_seq;
	uint32_t cwr_high;                      /* snd_max when CWR began */
	uint32_t port_range;                    /* IP_LOCAL_PORT_RANGE */
	/* RFC 6937 PRR in SACK recovery (tcp_prr() in tcp_ack.c): the cwnd
	 * before it (bytes), segments delivered and sent since */
	uint32_t prior_cwnd, prr_delivered, prr_out;
	int linger;
	int err;                                /* pending SO_ERROR */
	uint8_t cc_algo;                        /* enum tcp_cc_algo */
	uint16_t total_rto_rec;                 /* RTO recoveries (TCP_INFO) */
	uint32_t mem;                           /* buffer bytes charged */

	/* send sequence space, RFC 9293 3.3.1 */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_sndwnd;
	uint32_t sndq_seq;                      /* seq of sndq's first byte */
	/* where writes ended, not sent yet: the segment that carries one
	 * gets PSH (tcp_push_mark()) */
	uint32_t push_mark[TCP_PUSH_MARKS];
	uint32_t unacked_bytes;                 /* received, not yet acked */
	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv;         /* rcv_adv: right edge sent */
	uint16_t mss;                           /* send MSS (payload bytes) */
	uint16_t rcv_mss;                       /* what we announced */
	uint16_t user_mss;                      /* TCP_MAXSEG, 0: none */
	uint16_t peer_mss;

	/* RFC 7323 timestamps */
	uint32_t ts_recent, ts_offset;
	uint32_t rcv_rtt_tsecr;                 /* of rcv_rtt (tcp_info.c) */
	uint32_t ts_recent_s;                   /* when ts_recent came, s */
	uint32_t confirmed_ms;                  /* next hop last confirmed */
	uint32_t last_ack_sent;
	uint32_t rtt_seq;                       /* the segment timed (rtt_time) */
	uint32_t rcv_unread;                    /* passed to the host's
						 * program, not read yet
						 * (tcp_recv_pass()) */

	/* buffers */
	struct tcp_ring sndq;                   /* from snd_buf_seq() on */
	struct tcp_ring rcvq;                   /* in order, then OOO space */
	struct tcp_sb *sb;                      /* while nooo, nsacked or
						 * dsack_pending */
	uint8_t nooo, nsacked;                  /* ranges in sb */
	uint8_t snd_wscale, rcv_wscale;
	/* small counters and kinds, together (an idle connection is small) */
	uint8_t quickacks;                      /* <= TCP_QUICKACKS */
	uint8_t rack_reo_mult, rack_reo_persist; /* <= 16 each */
	uint8_t rtx_kind, misc_kind;            /* enum tcp_timer_kind */
	uint8_t keepcnt;                        /* TCP_KEEPCNT, <= 127 */
	uint16_t keepidle_s, keepintvl_s;       /* <= 32767, as Linux */
	uint8_t syncnt;                         /* TCP_SYNCNT, 0: the stack's */
	uint8_t min_ttl;                        /* IP_MINTTL (IPv4 segments) */

	/* loss recovery, RFC 5681/6582/6675 */
	uint32_t cwnd, ssthresh, recover, rtx_next;
	/* RFC 7661 as Linux's tcp_cwnd_validate(): the most segments out in
	 * this cwnd usage window, and the sequence that ends it */
	uint32_t max_packets_out, cwnd_usage_seq;
	uint32_t rescue_rxt;                    /* RFC 6675 RescueRxt */
	unsigned dupacks;
	uint32_t rcv_copied;                    /* autotuning: read by the app
						 * since rcv_space_time */
	unsigned unacked_segs;                  /* full segments not acked */
	struct tcp_txrec *txq;                  /* [snd_una, snd_max) */
	unsigned ntx, txcap;

	/* RFC 8985 RACK (tcp_loss.c) */
	uint64_t rack_xmit_ts, rack_rtt, rack_min_rtt;
	uint64_t rack_reo_at;                   /* reorder timer due, 0: none */
	uint32_t rack_end_seq, rack_fack, rack_dsack_round;
	uint32_t rack_tsecr;                    /* the ACK's TSecr, 0: none */
	uint32_t rack_lost;                     /* segments RACK found lost */
	uint32_t rate_bytes;                    /* last delivery sample */
	const struct tcp_cc_ops *cc;
	uint64_t cc_priv[TCP_CC_PRIV / 8];

	/* RTO (ns), and Linux's tcp_rtt_estimator() state, in its units
	 * (us): srtt << 3, mdev << 2, the round's largest mdev, the rttvar
	 * the RTO adds, and the sequence that ends the round (Linux's
	 * tp->rtt_seq); tcp_srtt() and tcp_rttvar() read them in ns */
	uint64_t rto;
	uint32_t srtt_us8, mdev_us4, mdev_max_us, rttvar_us, rtt_round_seq;
	uint32_t window_clamp;                  /* TCP_WINDOW_CLAMP, 0: none */
	uint64_t rtt_time;                      /* 0: nothing timed */
	uint16_t backoff;                       /* consecutive timeouts */
	uint16_t probes;                        /* persist/keepalive */
	uint32_t total_rto_time;                /* ms in ended RTO recoveries */
	uint64_t last_rcv;                      /* for keepalive */

	/* timers: rtx (retransmit or persist), dack, misc */
	struct timer rtx, dack, misc;
	/* TCP_USER_TIMEOUT (ms, 0: off) and when its clocks started (0: not
	 * running): the oldest unacknowledged data's send at the first
	 * retransmission timeout (Linux's retrans_stamp), the first probe of a
	 * zero window (icsk_probes_tstamp) */
	unsigned user_timeout_ms;
	/* what the network layer puts in the header of our segments, per
	 * family (a dual-stack socket's IPv4 traffic takes IP_TOS/IP_TTL, as
	 * Linux's): TOS/traffic class without the ECN bits, TTL/hop limit (0:
	 * the stack's default) */
	uint8_t ip_tos, ip_ttl, ip6_tclass, ip6_hops;
	uint8_t chrono;                         /* enum tcp_chrono running */
	uint16_t total_rto;                     /* RTOs, the SYN's too */
	uint32_t rto_stamp;                     /* ms + 1 when this RTO
						 * recovery began, 0: none */
	uint8_t defer_accept;                   /* TCP_DEFER_ACCEPT: SYN-ACK
						 * timeouts a listener waits
						 * for data, 0: none */
	int16_t linger2;                        /* TCP_LINGER2: seconds an
						 * orphan stays in FIN_WAIT_2,
						 * 0: the stack's, -1: none */
	uint32_t total_retrans;                 /* u32, as Linux's */
	uint32_t delivered_ce;                  /* delivered by ACKs with ECE */
	uint32_t last_oow_ack;  /* tcp_stamp_ms() of the last challenge ACK
				 * (Linux's last_oow_ack_time); 0: none */
	uint64_t rtx_stamp, probe_stamp;

	struct tcp_listenq *lq;                 /* a listener's (since listen) */

	uint64_t bytes_acked, bytes_received;
	uint64_t rcv_space_time;                /* autotuning: epoch start */

	/* what TCP_INFO reports, counted as Linux 6.1 does (tcp_info.c);
	 * segments in u32, as Linux's */
	uint32_t segs_in, segs_out, data_segs_in, data_segs_out;
	uint64_t bytes_sent, bytes_retrans;     /* data, resent included */
	uint64_t delivered_bytes;               /* acked or SACKed */
	uint32_t delivered;                     /* segments, the SYN too */
	uint32_t dsack_dups, reord_seen, rcv_ooopack;
	/* in tcp_stamp_ms(), as Linux keeps them in jiffies; 0: never */
	uint32_t last_data_sent, last_data_recv, last_ack_recv;
	uint32_t rcv_mss_seen;                  /* Linux's icsk_ack.rcv_mss */
	uint32_t rcv_space;                     /* most read in one RTT */
	uint32_t received_ce;                   /* segments with CE */
	uint32_t rcv_rtt;                       /* us, from TSecr; 0: none */
	uint32_t rate_interval;                 /* ... over this long, us */
	uint64_t chrono_start, chrono_stat[3];  /* ns per enum tcp_chrono */
};

/*
 * A receive buffer's size as Linux counts it (sk_rcvbuf: SO_RCVBUF's
 * doubled value, tcp_rmem) and the window it offers: Linux leaves part of
 * the buffer for its skbs' overhead, tcp_win_from_space() at the scaling
 * ratio every socket starts with (TCP_DEFAULT_SCALING_RATIO, half). The
 * engine's ring holds payload only, so it holds the window's worth: the
 * ring's size (rcvq.size) is the window space, half the buffer the
 * program sets and reads back.
 */
static inline uint32_t tcp_win_from_space(uint32_t space)
{
	return space / 2;
}

static inline uint32_t tcp_space_from_win(uint32_t win)
{
	return win > UINT32_MAX / 2 ? UINT32_MAX : win * 2;
}

/* The engine's clock in ms, + 1 so that 0 can mean "never" (wraps after
 * 49 days, as Linux's jiffies stamps do): the last_* times of TCP_INFO */
static inline uint32_t tcp_stamp_ms(uint64_t now)
{
	return (uint32_t)(now / 1000000u) + 1;
}

/* ns since a tcp_stamp_ms() stamp, or since the clock's start for 0 */
static inline uint64_t tcp_stamp_age(uint32_t stamp, uint64_t now)
{
	return (uint64_t)(uint32_t)(tcp_stamp_ms(now) - stamp) * 1000000u;
}

/* Linux's chrono types: why the sender was stuck, timed for TCP_INFO */
enum tcp_chrono {
	TCP_CHRONO_NONE,        /* nothing to send or in flight */
	TCP_CHRONO_BUSY,        /* sending, or waiting for ACKs */
	TCP_CHRONO_RWND,        /* held back by the peer's window */
	TCP_CHRONO_SNDBUF,      /* the program filled the send buffer */
};

#define TCP_HASH 1024            /* port tables; the first conn table */

struct tcp_table {
	struct tcp_sock *all;                   /* every socket */
	struct tcp_sock **conn;                 /* by 4-tuple, connected */
	unsigned conn_size, nconn;              /* buckets (a power of 2) */
	struct tcp_sock *bound[TCP_HASH];       /* by local port, all */
	struct tcp_sock *listen[TCP_HASH];      /* by port, listeners only */
	struct tcp_sock *tw_head, *tw_tail;     /* TIME_WAIT, oldest first */
	unsigned nsocks, ntw;
	size_t mem;                             /* buffer bytes allocated */
	bool pressure;                          /* mem ran short, logged */
	uint64_t secret[2];                     /* RFC 6528 / 6056 key */
	uint32_t next_ephemeral;                /* RFC 6056 alg. 3 */
	uint64_t chack_window;                  /* RFC 5961 7 rate limit */
	unsigned chack_count;
	struct tcp_sock *reap;                  /* dead, freed on leave */
	uint64_t last_cookie;                   /* when a SYN cookie went out */
	struct tcp_saved_syn *saved_syns;       /* TCP_SAVE_SYN's, few */
	unsigned busy;                          /* nesting of entry points */
	uint64_t tfo_key[2];                    /* Fast Open cookie key */
	struct tcp_tfo_cache *tfo_cache;        /* client: cookies by peer */
	/* the cookie the next SYN-ACK carries (tcp_syn_options()) */
	bool tfo_out_on;
	uint8_t tfo_out_len;
	uint8_t tfo_out[TCP_TFO_COOKIE_MAX];
	uint32_t tfo_out_data;                  /* ... and our SYN's data */
	uint64_t next_id;                       /* last socket id given */
};

struct stack;

/* tcp.c: sockets, tables, the calls of tcp.h */
int tcp_init(struct stack *s);
void tcp_fini(struct stack *s);
void tcp_set_state(struct tcp_sock *sk, enum tcp_state st);
void tcp_event(struct tcp_sock *sk, unsigned ev);
void tcp_done(struct tcp_sock *sk, int err);
uint64_t tcp_fin_wait2_time(const struct tcp_sock *sk);

/* Linux's tcp_passive_fastopen(): a Fast Open child before the end of
 * its handshake, which may send (RFC 7413 4.2.2) */
static inline bool tcp_passive_fastopen(const struct tcp_sock *sk)
{
	return sk->state == TCP_SYN_RECEIVED && sk->tfo_child;
}

/* A listener's connection still inside its TCP_DEFER_ACCEPT: fewer
 * SYN-ACK timeouts than the listener defers for (syn_ack_recalc()) */
static inline bool tcp_deferring(const struct tcp_sock *sk)
{
	return sk->parent && sk->backoff < sk->parent->defer_accept;
}
void tcp_enter(struct stack *s);
void tcp_addr_gone(struct stack *s, const struct ip_addr *addr);
void tcp_leave(struct stack *s);
struct tcp_sock *tcp_sock_new(struct stack *s);
int tcp_bufs_alloc(struct tcp_sock *sk);
void tcp_bufs_release(struct tcp_sock *sk);
struct tcp_sb *tcp_sb_get(struct tcp_sock *sk);
void tcp_sb_settle(struct tcp_sock *sk);
int tcp_ring_grow(struct tcp_sock *sk, struct tcp_ring *r, uint32_t newcap);
int tcp_ring_ensure(struct tcp_sock *sk, struct tcp_ring *r);
void tcp_ring_release(struct tcp_sock *sk, struct tcp_ring *r);
bool tcp_mem_room(const struct stack *s, size_t bytes);
void tcp_mem_charge(struct tcp_sock *sk, ssize_t delta);
void tcp_sndbuf_autotune(struct tcp_sock *sk);
void tcp_rcvbuf_autotune(struct tcp_sock *sk, uint32_t copied);
void tcp_hash_conn(struct tcp_sock *sk);
void tcp_hash_bound(struct tcp_sock *sk);
struct tcp_sock *tcp_lookup_conn(struct stack *s, const struct ip_addr *laddr,
				 uint16_t lport, const struct ip_addr *raddr,
				 uint16_t rport);
struct tcp_sock *tcp_lookup_listener(struct stack *s,
				     const struct ip_addr *laddr,
				     uint16_t lport,
				     const struct ip_addr *raddr,
				     uint16_t rport);
#define TCP_TUPLE_MAX 36
size_t tcp_tuple_bytes(uint8_t *b, const struct ip_addr *laddr,
		       uint16_t lport, const struct ip_addr *raddr,
		       uint16_t rport);
uint64_t tcp_tuple_hash(const struct stack *s, const struct ip_addr *laddr,
			uint16_t lport, const struct ip_addr *raddr,
			uint16_t rport);
uint32_t tcp_ts_offset(const struct stack *s, const struct ip_addr *laddr,
		       const struct ip_addr *raddr);
uint32_t tcp_isn(struct stack *s, const struct ip_addr *laddr, uint16_t lport,
		 const struct ip_addr *raddr, uint16_t rport);
void tcp_enter_time_wait(struct tcp_sock *sk);
void tcp_child_ready(struct tcp_sock *sk);
uint32_t tcp_ring_free(const struct tcp_ring *r);
void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst,
		       uint32_t n);
void tcp_ring_copy_in(struct tcp_ring *r, uint32_t off, const void *src,
		      uint32_t n);

/* tcp_in.c */
void tcp_input(struct stack *s, struct pbuf *p, const struct ip_rx *rx);
void tcp_err(struct stack *s, const struct ip_err *e);
void tcp_neigh_unreachable(struct stack *s, const struct ip_addr *nexthop);
int tcp_parse(const uint8_t *buf, size_t len, struct tcp_seg *seg);
uint32_t tcp_snd_buf_seq(const struct tcp_sock *sk);
void tcp_prepare_active(struct tcp_sock *sk);

/* tcp_out.c */
void tcp_output(struct tcp_sock *sk);
void tcp_send_ack(struct tcp_sock *sk);
void tcp_send_syn(struct tcp_sock *sk);
void tcp_send_rst_for(struct stack *s, const struct tcp_seg *seg);
void tcp_send_active_rst(struct tcp_sock *sk);
void tcp_send_challenge_ack(struct tcp_sock *sk);
int tcp_xmit(struct tcp_sock *sk, uint32_t seq, uint8_t flags,
	     uint32_t off, uint32_t len);
int tcp_xmit_segs(struct tcp_sock *sk, uint32_t seq, uint8_t flags,
		  uint32_t off, uint32_t len, uint32_t gso);
void tcp_timers_init(struct tcp_sock *sk);
void tcp_timers_stop(struct tcp_sock *sk);
void tcp_rearm_rtx(struct tcp_sock *sk);
void tcp_arm_xmit_timer(struct tcp_sock *sk);
void tcp_tlp_acked(struct tcp_sock *sk);
void tcp_retransmit_at(struct tcp_sock *sk, uint32_t seq, uint32_t len);
void tcp_arm_misc(struct tcp_sock *sk, enum tcp_timer_kind kind,
		  uint64_t delay);
void tcp_rtt_sample(struct tcp_sock *sk, uint64_t rtt);
void tcp_rtt_tsecr(struct tcp_sock *sk, uint32_t tsecr);
uint32_t tcp_rcv_window(struct tcp_sock *sk);
void tcp_push_mark(struct tcp_sock *sk, uint32_t start, uint32_t end);
void tcp_rto_recovered(struct tcp_sock *sk);
uint32_t tcp_rcv_unread_now(struct tcp_sock *sk);
uint32_t tcp_tsval(const struct tcp_sock *sk);
uint16_t tcp_mss_for_route(struct stack *s, const struct ip_addr *dst);
void tcp_enter_loss(struct tcp_sock *sk);
uint32_t tcp_cur_mss(const struct tcp_sock *sk);
bool tcp_output_new(struct tcp_sock *sk);
void tcp_reorder_timeout(struct tcp_sock *sk);

/* tcp_ack.c: ACKs, SACK scoreboard, loss recovery, received data */
int tcp_ack(struct tcp_sock *sk, const struct tcp_seg *seg);
bool tcp_data(struct tcp_sock *sk, const struct tcp_seg *seg);
void tcp_dsack(struct tcp_sock *sk, uint32_t start, uint32_t end);
uint32_t tcp_pipe(const struct tcp_sock *sk);
bool tcp_is_cwnd_limited(const struct tcp_sock *sk);

/* Smoothed RTT and its mean deviation (what TCP_INFO's tcpi_rtt and
 * tcpi_rttvar say), ns, from the estimator's state; 0 before a sample */
static inline uint64_t tcp_srtt(const struct tcp_sock *sk)
{
	return (uint64_t)(sk->srtt_us8 >> 3) * 1000;
}

static inline uint64_t tcp_rttvar(const struct tcp_sock *sk)
{
	return (uint64_t)(sk->mdev_us4 >> 2) * 1000;
}
void tcp_slow_start_after_idle_check(struct tcp_sock *sk);
void tcp_ack_decide(struct tcp_sock *sk, uint32_t bytes);
void tcp_ack_flush(struct tcp_sock *sk);
void tcp_sack_recovery_send(struct tcp_sock *sk);
void tcp_loss_detected(struct tcp_sock *sk);

/* tcp_loss.c: transmit records, RFC 6675 scoreboard, RFC 8985 RACK */
size_t tcp_txrec_init(struct tcp_sock *sk);
void tcp_txrec_free(struct tcp_sock *sk);
size_t tcp_txrec_bytes(const struct tcp_sock *sk);
void tcp_txrec_sent(struct tcp_sock *sk, uint32_t seq, uint32_t len);
unsigned tcp_txrec_ack(struct tcp_sock *sk);
uint64_t tcp_txrec_first_acked(const struct tcp_sock *sk, uint32_t ack);
uint64_t tcp_txrec_sacked(struct tcp_sock *sk);
void tcp_txrec_forget_sacks(struct tcp_sock *sk);
void tcp_txrec_mark_all_lost(struct tcp_sock *sk);
unsigned tcp_txrec_lost_out(const struct tcp_sock *sk);
unsigned tcp_txrec_retrans_out(const struct tcp_sock *sk);
unsigned tcp_sacked_segs(const struct tcp_sock *sk);
bool tcp_rack_on(const struct tcp_sock *sk);
void tcp_rack_min_rtt(struct tcp_sock *sk, uint64_t rtt);
void tcp_rack_dsack(struct tcp_sock *sk);
void tcp_rack_recovery_done(struct tcp_sock *sk);
uint64_t tcp_rack_reo_wnd(const struct tcp_sock *sk);
unsigned tcp_rack_detect(struct tcp_sock *sk);
unsigned tcp_mark_lost(struct tcp_sock *sk);
void tcp_mark_head_lost(struct tcp_sock *sk);
void tcp_txrec_rescued(struct tcp_sock *sk, uint32_t start);
bool tcp_next_seg(struct tcp_sock *sk, int rule, uint32_t *start,
		  uint32_t *end);

/* tcp_fastopen.c: RFC 7413 as Linux's tcp_fastopen.c */
int tcp_tfo_init(struct stack *s);
void tcp_tfo_fini(struct stack *s);
void tcp_tfo_sock_free(struct tcp_sock *sk);
struct tcp_listenq *tcp_lq(struct tcp_sock *sk);
void tcp_tfo_state_change(struct tcp_sock *sk, enum tcp_state st);
void tcp_tfo_parse(const uint8_t *o, uint8_t len, struct tcp_seg *seg);
uint8_t tcp_tfo_syn_option(const struct tcp_sock *sk, uint8_t *o);
struct tcp_sock *tcp_tfo_listen(struct tcp_sock *l, const struct tcp_seg *seg,
				struct tcp_sock *c);
uint32_t tcp_tfo_connect(struct tcp_sock *sk, const void *data, size_t len,
			 bool syn_only);
void tcp_tfo_synack(struct tcp_sock *sk, const struct tcp_seg *seg);
bool tcp_tfo_defer(struct tcp_sock *sk);
void tcp_tfo_send_deferred(struct tcp_sock *sk);
void tcp_tfo_syn_timeout(struct tcp_sock *sk);

/* tcp_cc.c */
void tcp_cc_set(struct tcp_sock *sk, enum tcp_cc_algo algo);

/* tcp_info.c: TCP_INFO's accounting */
void tcp_chrono_start(struct tcp_sock *sk, enum tcp_chrono type);
void tcp_chrono_stop(struct tcp_sock *sk, enum tcp_chrono type);
void tcp_chrono_after_output(struct tcp_sock *sk);
void tcp_info_data_rcvd(struct tcp_sock *sk, const struct tcp_seg *seg,
			uint32_t len);
void tcp_info_delivered(struct tcp_sock *sk, const struct tcp_txrec *r,
			uint32_t bytes);
void tcp_info_established(struct tcp_sock *sk);
void tcp_enter_cwr(struct tcp_sock *sk);
void tcp_info_fill(const struct tcp_sock *sk, struct tcp_info_rec *i,
		   uint64_t now);

#endif
