/* SPDX-License-Identifier: MIT */
/*
 * harness.h - a test host for the engine
 *
 * Theory of operation: a test owns one struct th. It holds an engine built
 * from a test configuration, a virtual clock (th->now, monotonic ns), a
 * seeded deterministic random source, and a capturing link_output that
 * copies every frame the engine sends into a FIFO. A test reads like a
 * trace: at th->now inject this frame (th_input), expect exactly this
 * frame back (th_pop and byte comparisons), move time (th_tick).
 *
 * th_fini() ends every test: it releases what the engine's modules still
 * hold (ARP queues, fragments in reassembly), asserts that no packet
 * buffer is left alive, then frees the engine and the captured frames.
 *
 * Test addresses come from RFC 5737 (192.0.2.0/24, TEST-NET-1) and the
 * locally administered MAC range.
 */
#ifndef USTACK_TEST_HARNESS_H
#define USTACK_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "ipv4.h"
#include "ipv6.h"
#include "icmp6.h"
#include "stack.h"
#include "stack_impl.h"

#define TH_MAX_FRAMES 1024
#define TH_FRAME_MAX 65600

extern const uint8_t TH_MAC[ETH_ALEN];      /* ours: 02:00:00:00:00:01 */
extern const uint8_t TH_PEER_MAC[ETH_ALEN]; /* 02:00:00:00:00:02 */
extern const uint8_t TH_GW_MAC[ETH_ALEN];   /* 02:00:00:00:00:fe */
extern const uint8_t TH_ZERO_MAC[ETH_ALEN];

#define TH_IP IPV4(192, 0, 2, 1)        /* ours, /24 */
#define TH_PEER IPV4(192, 0, 2, 2)      /* a neighbour */
#define TH_GW IPV4(192, 0, 2, 254)      /* the default gateway */
#define TH_FAR IPV4(198, 51, 100, 7)    /* off-link, via the gateway */
#define TH_BCAST IPV4(192, 0, 2, 255)   /* our subnet's broadcast */

/* An engine address argument from an IPv4 one, for the socket calls */
#define TH_A4(x) ((const struct ip_addr *)(struct ip_addr[]){ ip4(x) })

struct th_frame {
	uint8_t *data;
	size_t len;
	unsigned ifindex;
	uint64_t at;                    /* th->now when it was sent */
};

struct th {
	struct stack *s;
	struct stack_config cfg;
	struct stack_ops ops;
	uint64_t now;
	uint64_t rng;                   /* xorshift64* state */
	int link_rc;                    /* what link_output returns */
	struct th_frame q[TH_MAX_FRAMES];
	unsigned nq, head;              /* captured, and read so far */
};

void th_config(struct stack_config *cfg);
void th_init_cfg(struct th *t, const struct stack_config *cfg);
void th_init(struct th *t);
void th_fini(struct th *t);

const struct stack_counters *th_cnt(const struct th *t);
void th_input(struct th *t, const void *frame, size_t len);
uint64_t th_tick(struct th *t, uint64_t ns);
uint64_t th_deadline(struct th *t);

struct th_frame *th_pop(struct th *t);
unsigned th_queued(const struct th *t);
void th_expect_silence(struct th *t);

/* Frame builders: each writes into @buf and returns the frame length. */
size_t th_eth(uint8_t *buf, const uint8_t *dst, const uint8_t *src,
	      uint16_t type);
size_t th_arp(uint8_t *buf, const uint8_t *eth_dst, uint16_t op,
	      const uint8_t *sha, uint32_t spa, const uint8_t *tha,
	      uint32_t tpa);

struct th_ip {
	uint8_t tos, ttl, proto;
	uint16_t id, frag;              /* frag: flags | offset / 8 */
	uint32_t src, dst;
	const uint8_t *opt;             /* options, a multiple of 4 bytes */
	size_t optlen;
};
void th_ip_default(struct th_ip *ip, uint8_t proto);
size_t th_ipv4(uint8_t *buf, const uint8_t *eth_dst, const struct th_ip *ip,
	       const void *payload, size_t plen);
size_t th_icmp(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest,
	       const void *data, size_t dlen);
size_t th_echo(uint8_t *buf, uint16_t id, uint16_t seq, const void *data,
	       size_t dlen);
void th_pattern(uint8_t *buf, size_t len, unsigned seed);

/* IPv6 (2001:db8::/32 and fe80::/64 addresses; MACs as above) */
#define TH_LL "fe80::2"                /* the peer's link-local address */
#define TH_RTR_LL "fe80::1"            /* a router's */
#define TH_RTR_MAC TH_GW_MAC
struct th_ip6 {
	struct ip_addr src, dst;
	uint8_t nh, hlim, tclass;
	const uint8_t *ext;             /* extension headers, before payload */
	size_t extlen;
};
struct ip_addr th_a6(const char *text);
#define TH_IP6 "2001:db8::1"            /* ours, /64, in th_init6() */
#define TH_PEER6 "2001:db8::2"          /* a neighbour (TH_PEER_MAC) */
/*
 * Start a dual-stack test: th_config() with IPv6 on and TH_IP6/64 usable
 * at once (no DAD, no router solicitation), what the start said popped,
 * TH_PEER and TH_PEER6 known at TH_PEER_MAC
 */
void th_init6(struct th *t);
/* The peer tells us it is at @mac: a Neighbour Solicitation from @peer to
 * us (learned STALE), then a solicited Advertisement (REACHABLE) */
void th_learn6(struct th *t, const struct ip_addr *peer, const uint8_t *mac);
size_t th_ipv6(uint8_t *buf, const uint8_t *eth_src, const uint8_t *eth_dst,
	       const struct th_ip6 *ip, const void *payload, size_t plen);
/* An ICMPv6 message from @src to @dst (checksum done) in a whole frame */
size_t th_icmp6(uint8_t *buf, const uint8_t *eth_src, const uint8_t *eth_dst,
		const struct ip_addr *src, const struct ip_addr *dst,
		uint8_t hlim, uint8_t type, uint8_t code, uint32_t rest,
		const void *body, size_t blen);
/* Assert @f is an IPv6 frame; its IPv6 header, ICMPv6 message (if nh 58) */
const uint8_t *th_check_ipv6(const struct th_frame *f, struct ipv6_hdr *h,
			     size_t *plen);

/* Frame readers: assert the frame is what they say, fill the out values. */
void th_check_eth(const struct th_frame *f, const uint8_t *dst,
		  uint16_t type);
void th_check_arp(const struct th_frame *f, const uint8_t *eth_dst,
		  uint16_t op, const uint8_t *tha, uint32_t spa, uint32_t tpa);
const uint8_t *th_check_ipv4(const struct th_frame *f, const uint8_t *eth_dst,
			     struct ipv4_hdr *h, size_t *plen);

/*
 * Send a datagram of @len bytes, each @tag, with protocol 253 (RFC 3692
 * experimentation) through ipv4_output() at th->now. Return: its result
 */
int th_output(struct th *t, uint32_t dst, size_t len, uint8_t tag, bool df);
/* Pop a frame: the datagram th_output(@dst, @len, @tag) sent to @mac. */
void th_expect_output(struct th *t, const uint8_t *mac, uint32_t dst,
		      size_t len, uint8_t tag);

/*
 * Pop the frames of one datagram sent to @mac, whole or in fragments (in
 * order, each checked against RFC 791 3.2), and put its payload together
 * in @out (@cap bytes). @h gets the first frame's header, @nfrag the
 * number of frames. Return: the payload length
 */
size_t th_collect(struct th *t, const uint8_t *mac, uint8_t *out, size_t cap,
		  struct ipv4_hdr *h, unsigned *nfrag);
/* Fragment an IPv4 payload and inject bytes [off, off + len) of it. */
void th_inject_frag(struct th *t, const struct th_ip *ip, const uint8_t *pl,
		    size_t off, size_t len, bool more);

/*
 * Inject an ICMP error from @src (type, code, rest) quoting the first
 * @quote bytes (or all, if fewer) of the IPv4 datagram frame @f carries.
 */
void th_icmp_error(struct th *t, const struct th_frame *f, uint8_t type,
		   uint8_t code, uint32_t rest, uint32_t src, size_t quote);

/* Teach the stack that TH_PEER (or @ip) is at @mac, by a request to us. */
int th_route_add(struct th *t, uint32_t dst, unsigned prefix, uint32_t gw,
		 uint32_t metric);
int th_route_del(struct th *t, uint32_t dst, unsigned prefix);
const struct neigh_entry *th_neigh(struct th *t, uint32_t ip);
void th_learn(struct th *t, uint32_t ip, const uint8_t *mac);

#endif
