/* SPDX-License-Identifier: MIT */
/*
 * 60-tcp-harness.h - scripted TCP segment tests: one engine, a fake peer
 *
 * A test reads like a packet trace: at time t inject this segment (built
 * from a template: ports, seq, ack, flags, window, options, payload),
 * expect exactly that segment back, or nothing. The engine under test is
 * 10.0.0.1 (2001:db8::1 in the IPv6 run) with our MAC; the peer is
 * 10.0.0.2 (2001:db8::2), already in the neighbour cache.
 * Randomness is a fixed counter, so ISNs and ports are stable per run,
 * but tests read them from the segments rather than hard-coding them.
 */
#ifndef USTACK_TCP_HARNESS_H
#define USTACK_TCP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack.h"
#include "tcp.h"
#include "tcp_impl.h"

#define TH_US IPV4(10, 0, 0, 1)
#define TH_PEER IPV4(10, 0, 0, 2)
#define TH_PEER_PORT 40000
#define TH_MAXOUT 256
#define TH_MS 1000000ull
#define TH_SEC 1000000000ull

/* A segment to inject or to expect. Fields a test does not care about
 * when expecting are left at TH_ANY (or its flag says so). */
#define TH_ANY 0xdeadbeefu

struct th_seg {
	uint16_t sport, dport;      /* 0: the defaults (peer port / ours) */
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t wnd;               /* TH_ANY: don't check */
	int mss, ws;                /* -1: absent */
	bool sackok, ts;
	uint32_t tsval, tsecr;      /* tsecr TH_ANY: don't check */
	unsigned nsack;
	uint32_t sack[4][2];
	bool tfo;                   /* a Fast Open option (RFC 7413) ... */
	uint8_t tfo_len;            /* ... of this cookie length (0: a
				     * request) */
	const uint8_t *tfo_cookie;  /* the cookie; expecting: NULL, any */
	const void *data;
	uint32_t len;
};

struct th_frame {
	uint8_t data[1600];
	size_t len;
};

struct th {
	struct stack *s;
	uint8_t family;             /* the engine and peer speak IP_V4/IP_V6 */
	bool gso;                   /* the link cuts frames of segments */
	unsigned gso_frames;        /* ... and had that many to cut */
	uint64_t now;
	uint32_t rnd;
	uint16_t lport;             /* our port in the connection under test */
	uint16_t pport;             /* the peer's port */
	uint8_t ttl;                /* of what the peer sends, 0: 64 */
	uint8_t tos;                /* ... its TOS or traffic class */
	uint8_t last_tos;           /* of the segment th_expect() took */
	uint8_t syn_flags;          /* added to the handshakes' SYN ... */
	uint8_t synack_flags;       /* ... and SYN-ACK (ECN setup) */
	bool no_sack;               /* the peer offers no SACK-permitted */
	struct th_frame out[TH_MAXOUT];
	unsigned head, tail;
	unsigned events;            /* TCP_EV_* accumulated */
	bool unread_known;          /* stack_ops.sock_unread answers ... */
	uint32_t unread;            /* ... this */
	unsigned unread_asked;      /* times the engine asked */
	struct tcp_sock *ev_sk;
};

extern struct th T;

/*
 * Every scripted test runs over both families, and once more over a link
 * that segments (gso.h): TH_TEST(suite, name, ...) is Criterion's Test()
 * three times, in suite over IPv4, in suite_v6 over IPv6 and in
 * suite_gso over IPv4 where the engine may send frames of several
 * segments, which the harness cuts with gso_segment() as the daemon
 * does: the trace must read the same, segment by segment. One body; TH_SUITE() declares both suites. The harness takes
 * the family from the suite's name (th_setup_cfg()), so a test reads the
 * same trace either way: the addresses are th_us(), th_peer(), th_other();
 * the IPv6 link's MTU is TH_MTU6, which gives the MSS IPv4 has at 1500
 * (path MTU - 60 against MTU - 40), so the segment sizes are the same.
 */
#define TH_TEST(suite, name, ...)					\
	static void th_body_##suite##_##name(void);			\
	Test(suite, name, ##__VA_ARGS__) { th_body_##suite##_##name(); } \
	Test(suite##_v6, name, ##__VA_ARGS__)				\
	{ th_body_##suite##_##name(); }					\
	Test(suite##_gso, name, ##__VA_ARGS__)				\
	{ th_body_##suite##_##name(); }					\
	static void th_body_##suite##_##name(void)
#define TH_SUITE(suite, ...)						\
	TestSuite(suite, ##__VA_ARGS__);				\
	TestSuite(suite##_v6, ##__VA_ARGS__);				\
	TestSuite(suite##_gso, ##__VA_ARGS__)
#define TH_MTU6 1520
/* The link MTU of the run: 1500, or TH_MTU6 */
uint32_t th_mtu(void);

/* Our address, the peer's, and one on the link that is neither, in the
 * family of the run */
struct ip_addr th_us(void);
struct ip_addr th_peer(void);
struct ip_addr th_other(void);
#define TH_US_A ((const struct ip_addr *)(struct ip_addr[]){ th_us() })
#define TH_PEER_A ((const struct ip_addr *)(struct ip_addr[]){ th_peer() })
#define TH_OTHER_A ((const struct ip_addr *)(struct ip_addr[]){ th_other() })
/* tcp_open() of a socket of the run's family */
int th_open(struct tcp_sock **sk);

void th_setup_cfg(void (*tweak)(struct stack_config *cfg));
void th_setup(void);
void th_teardown(void);
void th_inject(const struct th_seg *sg);
/* Pop the next TCP segment the engine sent; NULL-safe assertions inside.
 * Return: the parsed segment (payload pointer valid until the next pop) */
struct tcp_seg th_expect(const struct th_seg *want);
void th_expect_none(void);
unsigned th_pending(void);
void th_advance(uint64_t ns);
void th_advance_to(uint64_t t);
struct th_seg th_tmpl(uint8_t flags, uint32_t seq, uint32_t ack);
struct th_seg th_our_syn(void);

/* Expect a segment of @f, @s, @a (any window, no options checked); inject
 * one with window 502 */
#define EXPECT(f, s, a)                                         \
	do {                                                    \
		struct th_seg w_ = th_tmpl(f, s, a);            \
		th_expect(&w_);                                 \
	} while (0)
#define INJECT(f, s, a)                                         \
	do {                                                    \
		struct th_seg i_ = th_tmpl(f, s, a);            \
		i_.wnd = 502;                                   \
		th_inject(&i_);                                 \
	} while (0)
uint64_t th_counter(const char *name);
const uint8_t *th_peek_tcp(size_t *len);
/* The peer receives a datagram of the run's family: checks, L4 bytes */
const uint8_t *th_frame_l4(const struct th_frame *f, uint8_t proto,
			   size_t *len);
/* The peer sends one to us */
void th_inject_ip(uint8_t proto, const void *l4, size_t len);

/* Common handshakes. Return: the engine's ISN */
uint32_t th_passive_open(struct tcp_sock **listener, struct tcp_sock **conn,
			 uint32_t peer_isn, bool ts);
uint32_t th_passive_open_rtt(struct tcp_sock **l, struct tcp_sock **c,
			     uint32_t peer_isn, bool ts, uint64_t rtt);
uint32_t th_active_open(struct tcp_sock **conn, uint32_t peer_isn, bool ts);

#endif
