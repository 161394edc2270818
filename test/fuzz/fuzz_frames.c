/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frames.c - libFuzzer target: nothing that arrives on the link
 * crashes the engine or makes it use unbounded memory
 *
 * Theory of operation: each input is a script (fuzz_frames.h) run on a
 * fresh engine with two addresses and small bounds, so that the ARP cache,
 * its queues, reassembly, TCP's sockets and buffers and the memory budget
 * fill up within a few hundred frames. Frames are mended before injection
 * as the script asks (checksums, lengths, addresses from a table of
 * interesting ones, TCP acknowledgments and SACK blocks of what the engine
 * sent, ICMP errors quoting it), so that mutations reach past the header
 * checks and into the state machines instead of dying on them. The host's
 * TCP socket calls (accept, send, recv, shutdown, close, abort, connect,
 * options) are records too; its sockets are AF_INET or AF_INET6 (dual
 * stack on ::, or IPV6_V6ONLY) as the configuration says.
 *
 * After every record the engine's state is checked against what the
 * design promises:
 *   - every live packet buffer is owned by a neighbour queue or a datagram in
 *     reassembly, and the pool's byte count is exactly theirs;
 *   - the pool never passes its budget, reassembly never passes its
 *     bounds, the neighbour table its size and each queue its length (a bound
 *     lowered by stack_reconfigure() is only owed from then on: what was
 *     held may stay, nothing may be added);
 *   - TCP holds at most tcp_max_socks sockets, tcp_mem_budget of buffers
 *     (accounted socket by socket), listeners' queues within their bounds;
 *   - every armed timer belongs to a neighbour being resolved or probed, a
 *     datagram in reassembly, a TCP socket, or IPv6's addresses (DAD,
 *     lifetimes), router solicitation, routers and prefixes, MLD reports;
 *     the deadline is in the future;
 *   - under ASan, the heap holds exactly the bytes these owners explain:
 *     the engine's struct, tables, timer heap, datagrams in reassembly,
 *     TCP sockets and their rings, packet buffers live or on the free list.
 * Every frame the engine sends is parsed: Ethernet from us, no longer than
 * MTU + 14, ARP well formed, IPv4 with a valid header checksum and a total
 * length equal to the frame, from one of our addresses and never to a
 * broadcast, group, loopback or zero address, ICMP and TCP with valid
 * checksums, ICMP errors that quote a datagram from the one they are sent
 * to and never an error or a later fragment, at the rate the token bucket
 * allows; IPv6 with a length equal to the frame, from one of our addresses
 * (or :: for DAD, MLD and router solicitation), ND at hop limit 255, MLD at
 * 1 behind a Router Alert, ICMPv6, TCP and UDP checksummed (UDP never
 * with 0), errors within 1280 bytes.
 * At the end stack_free() must return every byte (LSan and the ASan count).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "dns_stub.h"
#include "eth.h"
#include "fuzz_frames.h"
#include "fuzz_util.h"
#include "icmp.h"
#include "igmp.h"
#include "ipv4.h"
#include "mcast.h"
#include "mdns.h"
#include "ipv6.h"
#include "ping.h"
#include "raw.h"
#include "icmp6.h"
#include "stack.h"
#include "stack_impl.h"
#include "tcp.h"
#include "tcp_impl.h"
#include "udp.h"

#define FF_FRAME_MAX 65600      /* a 64 KiB datagram and its Ethernet header */
#define FF_MAX_FRAGS 1024       /* fragments one FF_FRAGS record sends */
#define FF_MAX_INJECT 8192      /* frames one input injects at most */

#define FRAG_OFF(p) ((uint32_t)((p)->stamp >> 32))
#define FRAG_LEN(p) ((uint32_t)(p)->stamp)

/*
 * The sanitizers' malloc and free hooks (ASan, under clang and gcc): the
 * heap this thread holds, counted while an input runs, so that libFuzzer's
 * own threads (its RSS watcher) never blur the figure.
 */
int __sanitizer_install_malloc_and_free_hooks(
	void (*malloc_hook)(const volatile void *, size_t),
	void (*free_hook)(const volatile void *)) __attribute__((weak));
size_t __sanitizer_get_allocated_size(const volatile void *p)
	__attribute__((weak));

static __thread bool heap_counting;
static __thread size_t heap_bytes;
static bool heap_known;         /* the hooks are in */

static void ff_malloc_hook(const volatile void *p, size_t n)
{
	if (heap_counting && p)
		heap_bytes += n;
}

static void ff_free_hook(const volatile void *p)
{
	if (heap_counting && p)
		heap_bytes -= __sanitizer_get_allocated_size(p);
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t mac_ours[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_peer[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_peer2[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x03 };
static const uint8_t mac_gw[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t mac_other[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t mac_mcast[ETH_ALEN] = { 0x01, 0, 0x5e, 0, 0, 0x01 };
static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[ETH_ALEN];
static const uint8_t mac_all_nodes[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t ff_v6_static[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ff_v6_router[16] = { 0xfe, 0x80, [15] = 0xfe };

struct ff {
	struct stack *s;
	struct stack_config cfg;        /* as last applied */
	struct stack_ops ops;
	uint64_t start, now;
	uint64_t rng;
	uint32_t addr[16];              /* enum ff_addr_idx */

	uint8_t ttls[32];               /* TTLs configured: queued datagrams
					 * keep the one they were built with */
	/* the ICMP error bucket's largest size and rate so far */
	unsigned icmp_burst_max, icmp_rate_max;
	/* state before the record being run */
	size_t prev_in_use, prev_reass_bytes;
	unsigned prev_reass_count;
	size_t prev_qbytes;

	unsigned link_fail_every;
	uint64_t tx_total;
	unsigned tx_step;               /* frames sent by the current record */
	uint64_t icmp_errors;           /* errors sent in this input */
	unsigned injected;

	/* TCP: the sockets the host holds (sk[0] the listener if any) */
	struct tcp_sock *sk[8];
	unsigned nsk;
	/* UDP: the sockets the host holds (us[0] on port 53 if any) */
	struct udp_sock *us[4];
	size_t us_queued[4];            /* after the previous record */
	unsigned nus;
	size_t udp_sock_size;           /* heap of one, seen at udp_open() */
	/* ICMP sockets: one ping socket, one raw (FF_SOCK bit 7) */
	struct ping_sock *ps;
	struct raw_sock *rs;
	size_t ps_queued, rs_queued;
	size_t ping_sock_size, raw_sock_size;
	bool icmp_socks;                /* the host opened one */
	bool tcp_hint;                  /* the engine sent a segment: */
	uint32_t tcp_next_seq;          /* the last one's ack */
	uint32_t tcp_ports;             /* its source and destination ports */
	struct { uint32_t seq, end; } tcp_sent[8];  /* the last 8, ring */
	unsigned tcp_nsent;
	uint8_t last_out[IPV6_HLEN + 40];  /* the last datagram sent: for */
	size_t last_out_len;               /* ICMP errors to quote it */
	uint8_t sock_family;            /* the host's sockets: IP_V4, IP_V6 */
	bool sock_v6only;               /* ... with IPV6_V6ONLY */

	size_t last_len;
	uint8_t last_fix;
	uint8_t last[FF_FRAME_MAX];     /* the last FF_FRAME, as injected */
};

static struct ff ff;
static void ff_udp_open(struct ff *f);
static uint8_t frame_buf[FF_FRAME_MAX];
static uint8_t pl_buf[2 * 65536];

static void __attribute__((noreturn, format(printf, 4, 5)))
ff_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n%s:%d: invariant broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

#define FF_ASSERT(cond, ...)                                      \
	do {                                                      \
		if (!(cond))                                      \
			ff_fail(__FILE__, __LINE__, #cond,        \
				__VA_ARGS__);                     \
	} while (0)

static size_t zmax(size_t a, size_t b)
{
	return a > b ? a : b;
}

static bool ff_is_ours(const struct ff *f, uint32_t a)
{
	for (unsigned i = 0; i < f->cfg.naddr; i++)
		if (f->cfg.addr[i].addr == a)
			return true;
	return false;
}

/* The broadcast addresses of stack.c, derived here from the config. */
static bool ff_is_bcast(const struct ff *f, uint32_t a)
{
	if (a == IPV4_BROADCAST)
		return true;
	for (unsigned i = 0; i < f->cfg.naddr; i++) {
		uint32_t m = ipv4_mask(f->cfg.addr[i].prefix);

		if (f->cfg.addr[i].prefix < 31 &&
		    (a & m) == (f->cfg.addr[i].addr & m) && (a | m) == ~0u)
			return true;
	}
	return false;
}

static bool icmp_type_is_error(uint8_t t)
{
	return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

/* An ARP packet we sent: always 28 bytes, Ethernet/IPv4, from us. */
static void ff_check_arp_out(const struct ff *f, const uint8_t *fr, size_t len)
{
	const uint8_t *a = fr + ETH_HLEN;
	uint16_t op;
	uint32_t spa, tpa;

	FF_ASSERT(len == ETH_HLEN + ARP_LEN, "ARP frame of %zu bytes", len);
	FF_ASSERT(get16(a) == 1 && get16(a + 2) == ETH_P_IP && a[4] == 6 &&
		  a[5] == 4, "ARP hardware/protocol fields");
	op = get16(a + 6);
	spa = get32(a + 14);
	tpa = get32(a + 24);
	FF_ASSERT(!memcmp(a + 8, mac_ours, ETH_ALEN), "ARP sender MAC not ours");
	FF_ASSERT(ff_is_ours(f, spa), "ARP sender address %#x not ours", spa);
	if (op == ARP_OP_REQUEST) {
		FF_ASSERT(!memcmp(a + 18, mac_zero, ETH_ALEN), "request tha");
		FF_ASSERT(tpa == spa || !ff_is_ours(f, tpa),
			  "request for our own address %#x", tpa);
		FF_ASSERT(!ff_is_bcast(f, tpa) && tpa && !ipv4_is_multicast(tpa),
			  "request for %#x", tpa);
	} else {
		FF_ASSERT(op == ARP_OP_REPLY, "ARP op %u", op);
		FF_ASSERT(!memcmp(fr, a + 18, ETH_ALEN), "reply not to tha");
		FF_ASSERT(!eth_is_multicast(fr), "reply to a group MAC");
		/* tpa 0 answers a probe (RFC 5227 2.1.1), as Linux does */
		FF_ASSERT(!ff_is_ours(f, tpa) && !ff_is_bcast(f, tpa),
			  "reply to %#x", tpa);
	}
}

/* An ICMP error we sent (@ip is its datagram, @n bytes, unfragmented). */
static void ff_check_icmp_error(struct ff *f, const uint8_t *ip, size_t n)
{
	const uint8_t *q = ip + IPV4_HLEN + ICMP_HLEN;
	size_t qn = n - IPV4_HLEN - ICMP_HLEN;
	uint64_t secs = (f->now - f->start) / NSEC_PER_SEC + 1;
	unsigned qhl;

	FF_ASSERT(n <= ICMP_ERR_MAX_LEN, "ICMP error of %zu bytes", n);
	FF_ASSERT(qn >= IPV4_HLEN, "error quotes %zu bytes", qn);
	qhl = (q[0] & 0xf) * 4u;
	FF_ASSERT(qhl >= IPV4_HLEN && qhl <= qn, "quoted header length");
	FF_ASSERT(get32(q + 12) == get32(ip + 16),
		  "error not sent to the quoted datagram's source");
	FF_ASSERT((get16(q + 6) & IP_OFFMASK) == 0,
		  "error about a non-initial fragment");
	FF_ASSERT(!ff_is_bcast(f, get32(q + 16)) &&
		  !ipv4_is_multicast(get32(q + 16)),
		  "error about a datagram to a broadcast or group");
	if (q[9] == IP_PROTO_ICMP)
		FF_ASSERT(qn > qhl && !icmp_type_is_error(q[qhl]),
			  "error about an ICMP error");
	f->icmp_errors++;
	FF_ASSERT(f->icmp_errors <= f->icmp_burst_max + f->icmp_rate_max * secs,
		  "%llu ICMP errors in %llu s",
		  (unsigned long long)f->icmp_errors, (unsigned long long)secs);
}

/* One's complement sum of @p (not inverted), for adding up pieces. */
static uint32_t ff_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The TCP or UDP checksum field value for @seg (its field zero or not). */
static uint16_t ff_tcp_cksum(const uint8_t *ip, const uint8_t *seg, size_t n)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	put16(ph + 10, (uint16_t)n);
	return (uint16_t)~ff_sum(seg, n, ff_sum(ph, sizeof(ph), 0));
}

/* A TCP segment @t of @tn bytes we sent (its checksum checked by the
 * caller): the header; remember what to answer. */
static void ff_check_tcp_out(struct ff *f, const uint8_t *t, size_t tn)
{
	size_t doff;
	uint8_t flags;
	uint32_t seglen;

	FF_ASSERT(tn >= 20, "TCP segment of %zu bytes", tn);
	doff = (t[12] >> 4) * 4u;
	FF_ASSERT(doff >= 20 && doff <= tn, "TCP data offset %zu", doff);
	flags = t[13];
	FF_ASSERT(!((flags & 0x02) && (flags & 0x01)), "SYN and FIN");
	FF_ASSERT(!((flags & 0x04) && (flags & 0x02)), "SYN and RST");
	seglen = (uint32_t)(tn - doff) + !!(flags & 0x02) + !!(flags & 0x01);
	f->tcp_hint = true;
	f->tcp_ports = get32(t);
	f->tcp_sent[f->tcp_nsent % 8].seq = get32(t + 4);
	f->tcp_sent[f->tcp_nsent % 8].end = get32(t + 4) + seglen;
	f->tcp_nsent++;
	if (flags & 0x10)
		f->tcp_next_seq = get32(t + 8);
}

/* An IGMP report or leave (igmp.c): a Router Alert, TTL 1, from our
 * address, to 224.0.0.22 (v3), the group (v1/v2 reports) or 224.0.0.2 */
static void ff_check_igmp_out(struct ff *f, const uint8_t *ip, size_t n)
{
	const uint8_t *m = ip + 24;
	uint32_t dst = get32(ip + 16);

	FF_ASSERT(n >= 24 + 8 && get16(ip + 2) == n, "IGMP length %zu", n);
	FF_ASSERT(ff_cksum(ip, 24) == 0, "header checksum");
	FF_ASSERT(ip[9] == IP_PROTO_IGMP && ip[8] == 1, "IGMP, TTL 1");
	FF_ASSERT(get32(ip + 20) == 0x94040000u, "Router Alert");
	FF_ASSERT(ff_is_ours(f, get32(ip + 12)) || !get32(ip + 12),
		  "IGMP source");
	FF_ASSERT(ff_cksum(m, n - 24) == 0, "IGMP checksum");
	if (m[0] == IGMP_V3_REPORT) {
		FF_ASSERT(dst == IGMP_V3_ROUTERS && n - 24 ==
			  16 + 4u * get16(m + 10) && get16(m + 6) == 1,
			  "IGMPv3 report");
		FF_ASSERT(m[8] >= IGMP_MODE_IS_INCLUDE &&
			  m[8] <= IGMP_CHANGE_TO_EXCLUDE, "record %u", m[8]);
		return;
	}
	FF_ASSERT(n - 24 == 8 && ipv4_is_multicast(get32(m + 4)), "IGMPv1/2");
	FF_ASSERT((m[0] == IGMP_V2_LEAVE && dst == IGMP_ALL_ROUTERS) ||
		  ((m[0] == IGMP_V1_REPORT || m[0] == IGMP_V2_REPORT) &&
		   dst == get32(m + 4)), "IGMP type %#x to %#x", m[0], dst);
}

/* An IPv4 datagram we sent. */
static void ff_check_ip_out(struct ff *f, const uint8_t *ip, size_t n)
{
	uint16_t frag;
	uint32_t off, src, dst;

	FF_ASSERT(n >= IPV4_HLEN, "IPv4 datagram of %zu bytes", n);
	if (ip[0] == 0x46) {
		ff_check_igmp_out(f, ip, n);
		return;
	}
	FF_ASSERT(ip[0] == 0x45, "version/header length %#x", ip[0]);
	FF_ASSERT(get16(ip + 2) == n, "total length %u in a frame of %zu",
		  get16(ip + 2), n);
	FF_ASSERT(ff_cksum(ip, IPV4_HLEN) == 0, "header checksum");
	/* a group's datagrams go with IP_MULTICAST_TTL, 1 unless set */
	FF_ASSERT((f->ttls[ip[8] / 8] & 1 << ip[8] % 8) ||
		  (ipv4_is_multicast(get32(ip + 16)) && ip[8] == 1),
		  "TTL %u", ip[8]);
	frag = get16(ip + 6);
	off = (frag & IP_OFFMASK) * 8u;
	FF_ASSERT(!(frag & 0x8000), "reserved flag");
	FF_ASSERT(!(frag & IP_FLAG_MF) || (n - IPV4_HLEN) % 8 == 0,
		  "fragment of %zu bytes", n - IPV4_HLEN);
	FF_ASSERT(!(frag & (IP_FLAG_MF | IP_OFFMASK)) || n > IPV4_HLEN,
		  "empty fragment");
	FF_ASSERT(off + n <= IPV4_MAX_LEN, "fragment ends past 64 KiB");
	src = get32(ip + 12);
	dst = get32(ip + 16);
	FF_ASSERT(ff_is_ours(f, src), "source %#x not ours", src);
	/* SO_BROADCAST, groups: the host's UDP, ping, raw sockets asked */
	if (ip[9] == IP_PROTO_UDP ||
	    (ip[9] == IP_PROTO_ICMP && f->icmp_socks && n > IPV4_HLEN &&
	     ip[IPV4_HLEN] == ICMP_ECHO))
		FF_ASSERT(dst && !ff_is_ours(f, dst) && !ipv4_is_loopback(dst),
			  "UDP or echo request to %#x", dst);
	else
		FF_ASSERT(dst && !ff_is_ours(f, dst) && !ff_is_bcast(f, dst) &&
			  !ipv4_is_multicast(dst) && !ipv4_is_loopback(dst) &&
			  dst >> 28 != 0xf, "sent to %#x", dst);
	f->last_out_len = n < sizeof(f->last_out) ? n : sizeof(f->last_out);
	memcpy(f->last_out, ip, f->last_out_len);
	if (frag & (IP_FLAG_MF | IP_OFFMASK))
		return;
	if (ip[9] == IP_PROTO_TCP) {
		FF_ASSERT(n >= IPV4_HLEN + 20 && ff_tcp_cksum(ip, ip + IPV4_HLEN,
						n - IPV4_HLEN) == 0, "TCP checksum");
		ff_check_tcp_out(f, ip + IPV4_HLEN, n - IPV4_HLEN);
		return;
	}
	if (ip[9] == IP_PROTO_UDP) {
		FF_ASSERT(n >= IPV4_HLEN + 8 && get16(ip + 24) == n - IPV4_HLEN,
			  "UDP length");
		FF_ASSERT(!get16(ip + 26) ||
			  ff_tcp_cksum(ip, ip + IPV4_HLEN, n - IPV4_HLEN) == 0,
			  "UDP checksum");
		return;
	}
	FF_ASSERT(ip[9] == IP_PROTO_ICMP, "protocol %u", ip[9]);
	FF_ASSERT(n >= IPV4_HLEN + ICMP_HLEN, "ICMP of %zu bytes", n);
	FF_ASSERT(ff_cksum(ip + IPV4_HLEN, n - IPV4_HLEN) == 0, "ICMP checksum");
	if (ip[IPV4_HLEN] == ICMP_ECHO_REPLY)
		return;
	/* the host's ping and raw sockets send echo requests (perhaps
	 * after they closed, once ARP has resolved) */
	if (ip[IPV4_HLEN] == ICMP_ECHO && f->icmp_socks)
		return;
	FF_ASSERT(ip[IPV4_HLEN] == ICMP_UNREACH ||
		  ip[IPV4_HLEN] == ICMP_TIME_EXCEEDED,
		  "ICMP type %u", ip[IPV4_HLEN]);
	ff_check_icmp_error(f, ip, n);
}

/* Is @a one of the engine's IPv6 addresses (any state but free)? */
static bool ff_is_ours6(const struct ff *f, const uint8_t *a)
{
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
		const struct ifaddr6 *x = &f->s->nif.in6.addr[i];

		if (x->state != IFA6_FREE && !memcmp(x->addr, a, 16))
			return true;
	}
	return false;
}

static uint32_t ff_pseudo6(const uint8_t *ip, uint8_t nh, size_t len)
{
	uint8_t tail[8] = { 0 };

	put32(tail, (uint32_t)len);
	tail[7] = nh;
	return ff_sum(tail, 8, ff_sum(ip + 8, 32, 0));
}

/*
 * An IPv6 datagram we sent: version, length, a source of ours (or :: for
 * DAD, MLD and router solicitations only), never to ::, ::1 or a mapped
 * address, Hop-by-Hop only for MLD, hop limit 255 on ND and 1 on MLD,
 * ICMPv6 checksummed, errors never about an error.
 */
static void ff_check_ip6_out(struct ff *f, const uint8_t *ip, size_t n)
{
	static const uint8_t zero[16], one[16] = { [15] = 1 };
	size_t off = IPV6_HLEN;
	uint8_t nh, type;
	bool unspec;

	FF_ASSERT(n >= IPV6_HLEN, "IPv6 datagram of %zu bytes", n);
	FF_ASSERT(ip[0] >> 4 == 6, "version %u", ip[0] >> 4);
	FF_ASSERT(get16(ip + 4) + (size_t)IPV6_HLEN == n, "payload length %u in %zu",
		  get16(ip + 4), n);
	unspec = !memcmp(ip + 8, zero, 16);
	FF_ASSERT(unspec || ff_is_ours6(f, ip + 8), "IPv6 source not ours");
	FF_ASSERT(memcmp(ip + 24, zero, 16) && memcmp(ip + 24, one, 16) &&
		  !(get32(ip + 24) == 0 && get32(ip + 28) == 0 &&
		    get32(ip + 32) == 0xffff), "sent to ::, ::1 or mapped");
	nh = ip[6];
	if (nh == IP6_NH_HOPOPTS) {
		FF_ASSERT(n >= off + 8 && ip[off] == IP6_NH_ICMPV6,
			  "Hop-by-Hop other than MLD's");
		nh = ip[off];
		off += (ip[off + 1] + 1u) * 8;
	}
	f->last_out_len = n < sizeof(f->last_out) ? n : sizeof(f->last_out);
	memcpy(f->last_out, ip, f->last_out_len);
	if (nh == IP6_NH_FRAGMENT) {
		FF_ASSERT(n > off + 8 && !unspec, "IPv6 fragment");
		FF_ASSERT(!(ip[off + 3] & 1) || (n - off - 8) % 8 == 0,
			  "fragment of %zu bytes", n - off - 8);
		return;
	}
	if (nh == IP_PROTO_TCP || nh == IP_PROTO_UDP) {
		uint16_t sum;

		FF_ASSERT(off == IPV6_HLEN && !unspec, "TCP or UDP from ::");
		FF_ASSERT(n >= off + (nh == IP_PROTO_TCP ? 20u : 8u),
			  "%u of %zu bytes", nh, n - off);
		sum = (uint16_t)~ff_sum(ip + off, n - off,
					ff_pseudo6(ip, nh, n - off));
		FF_ASSERT(sum == 0, "TCP or UDP checksum over IPv6");
		if (nh == IP_PROTO_TCP) {
			ff_check_tcp_out(f, ip + off, n - off);
			return;
		}
		FF_ASSERT(get16(ip + off + 4) == n - off, "UDP length");
		FF_ASSERT(get16(ip + off + 6), "UDP over IPv6 without a checksum");
		return;
	}
	FF_ASSERT(nh == IP6_NH_ICMPV6, "IPv6 next header %u", nh);
	FF_ASSERT(n >= off + ICMP6_HLEN, "ICMPv6 of %zu bytes", n - off);
	FF_ASSERT((uint16_t)~ff_sum(ip + off, n - off,
				    ff_pseudo6(ip, IP6_NH_ICMPV6, n - off)) == 0,
		  "ICMPv6 checksum");
	type = ip[off];
	if (type >= ND_ROUTER_SOLICIT && type <= ND_REDIRECT)
		FF_ASSERT(ip[7] == 255, "ND with hop limit %u", ip[7]);
	if (type == ICMP6_MLD2_REPORT || type == ICMP6_MLD1_REPORT ||
	    type == ICMP6_MLD1_DONE)
		FF_ASSERT(ip[7] == 1 && off > IPV6_HLEN, "MLD hop limit, alert");
	if (unspec)
		FF_ASSERT(type == ND_NEIGHBOR_SOLICIT ||
			  type == ND_ROUTER_SOLICIT ||
			  type == ICMP6_MLD2_REPORT || type == ICMP6_MLD1_REPORT ||
			  type == ICMP6_MLD1_DONE, "ICMPv6 %u from ::", type);
	if (icmp6_is_error(type)) {
		size_t q = off + ICMP6_HLEN;

		FF_ASSERT(n >= q + IPV6_HLEN, "ICMPv6 error quotes %zu bytes",
			  n - q);
		FF_ASSERT(n <= 1280, "ICMPv6 error of %zu bytes", n);
		FF_ASSERT(!memcmp(ip + q + 8, ip + 24, 16),
			  "error not to the quoted datagram's source");
		f->icmp_errors++;
	}
}

/**
 * ff_link_output() - the link: check every frame the engine sends
 * @ctx: the struct ff
 * @ifindex: interface
 * @fr: the frame
 * @len: its length
 *
 * Return: 0, or -ENOBUFS for every link_fail_every-th frame
 */
static int ff_link_output(void *ctx, unsigned ifindex, const uint8_t *fr,
			  size_t len, const struct gso_tx *gso)
{
	struct ff *f = ctx;
	uint16_t type;

	FF_ASSERT(!gso, "a frame of segments to a link that cuts none");
	f->tx_total++;
	f->tx_step++;
	FF_ASSERT(ifindex == 1, "interface %u", ifindex);
	FF_ASSERT(len >= ETH_HLEN && len <= f->cfg.mtu + ETH_HLEN,
		  "frame of %zu bytes, MTU %u", len, f->cfg.mtu);
	FF_ASSERT(!memcmp(fr + 6, mac_ours, ETH_ALEN), "source MAC not ours");
	FF_ASSERT(memcmp(fr, mac_zero, ETH_ALEN), "to the zero MAC");
	FF_ASSERT(memcmp(fr, mac_ours, ETH_ALEN), "to ourselves");
	type = get16(fr + 12);
	if (type == ETH_P_ARP)
		ff_check_arp_out(f, fr, len);
	else if (type == ETH_P_IP)
		ff_check_ip_out(f, fr + ETH_HLEN, len - ETH_HLEN);
	else if (type == ETH_P_IPV6)
		ff_check_ip6_out(f, fr + ETH_HLEN, len - ETH_HLEN);
	else
		ff_fail(__FILE__, __LINE__, "type", "EtherType %#x", type);
	if (f->link_fail_every && f->tx_total % f->link_fail_every == 0)
		return -ENOBUFS;
	return 0;
}

/* xorshift64*: the engine's random bytes, the same for every run */
static void ff_random(void *ctx, void *buf, size_t len)
{
	fuzz_random_bytes(&((struct ff *)ctx)->rng, buf, len);
}

static void ff_sock_event(void *ctx, struct tcp_sock *sk, unsigned events)
{
	/* events 0: tcp_ack() pokes the host when the peer's window opens */
	FF_ASSERT(sk && !(events & ~0x7fu), "events %#x", events);
}

static void ff_dgram_event(void *ctx, struct dgram *dg, unsigned events)
{
	FF_ASSERT(dg && events &&
		  !(events & ~(DGRAM_EV_READABLE | DGRAM_EV_ERROR)),
		  "datagram socket events %#x", events);
}

static void ff_log(void *ctx, int level, const char *msg)
{
	FF_ASSERT(level >= STACK_LOG_ERR && level <= STACK_LOG_DEBUG,
		  "log level %d", level);
	FF_ASSERT(strlen(msg) < 256, "log line");
}

/* What ASan's allocated-bytes count charges for malloc(@n): @n itself. */
static size_t heap_cost(size_t n)
{
	return n;
}

/*
 * The heap the engine may hold: its own struct, the ARP table, the timer
 * heap, the datagrams in reassembly and the packet buffers (the live ones
 * are all in ARP queues and reassembly: checked before this).
 */
static size_t ff_heap_expected(const struct stack *s, size_t pbuf_bytes)
{
	const struct pbuf_pool *pool = &s->pool;
	size_t n = heap_cost(sizeof(*s));

	/* the transports' tables (transport.c) */
	n += heap_cost(sizeof(*s->tcp)) + heap_cost(sizeof(*s->udp)) +
	     heap_cost(sizeof(*s->ping)) + heap_cost(sizeof(*s->raw));
	n += heap_cost(s->tcp->conn_size * sizeof(*s->tcp->conn));
	/* the DNS stub and the mDNS responder: no query steered, no name */
	n += heap_cost(dns_stub_size()) + heap_cost(mdns_size());
	if (s->neigh.e) {
		n += heap_cost(s->neigh.cap * sizeof(*s->neigh.e));
		n += heap_cost(s->neigh.nbuckets * sizeof(*s->neigh.bucket));
	}
	if (s->timers.v)
		n += heap_cost(s->timers.cap * sizeof(*s->timers.v));
	n += s->reass.count * heap_cost(sizeof(struct reass));
	n += pbuf_bytes;
	n += pool->nfree * heap_cost(sizeof(struct pbuf) + PBUF_SMALL_CAP);
	return n;
}

static size_t ff_pbuf_heap(const struct pbuf *p)
{
	return heap_cost(sizeof(*p) + p->cap);
}

/* The neighbour cache: see the theory of operation. Return: entries with a
 * timer armed (INCOMPLETE, DELAY, PROBE) */
static unsigned ff_check_neigh(struct ff *f, uint64_t *owned, size_t *bytes,
			       size_t *heap, size_t *qmax)
{
	struct stack *s = f->s;
	const struct neigh_table *t = &s->neigh;
	unsigned used = 0, timed = 0;

	for (unsigned i = 0; i < t->cap; i++) {
		const struct neigh_entry *e = &t->e[i];
		const struct pbuf *p, *tail = NULL;
		unsigned n = 0;
		size_t qb = 0;

		if (e->state == NEIGH_FREE) {
			FF_ASSERT(!e->q_head && !e->qlen && !timer_armed(&e->timer),
				  "free neighbour slot %u holds something", i);
			continue;
		}
		used++;
		for (p = e->q_head; p; p = p->next) {
			FF_ASSERT(++n <= 65536, "neighbour queue loops");
			*bytes += p->cap;
			*heap += ff_pbuf_heap(p);
			FF_ASSERT(p->refcnt == 1, "queued pbuf refcnt %u", p->refcnt);
			qb += p->len;
			tail = p;
		}
		FF_ASSERT(n == e->qlen && tail == e->q_tail,
			  "neighbour queue of %u counted %u", n, e->qlen);
		FF_ASSERT(n == e->qlen && qb == e->qbytes, "queue bytes %zu counted %zu",
			  qb, e->qbytes);
		FF_ASSERT(n <= 1 || qb <= zmax(f->cfg.neigh_queue_bytes, f->prev_qbytes),
			  "neighbour queue of %zu bytes, bound %zu", qb,
			  f->cfg.neigh_queue_bytes);
		*owned += n;
		if (qb > *qmax)
			*qmax = qb;
		switch (e->state) {
		case NEIGH_INCOMPLETE:
		case NEIGH_DELAY:
		case NEIGH_PROBE:
			timed++;
			FF_ASSERT(timer_armed(&e->timer), "%s entry without a timer",
				  neigh_state_name(e->state));
			FF_ASSERT(e->state == NEIGH_INCOMPLETE || !n,
				  "resolved entry with a queue");
			break;
		default:
			FF_ASSERT(e->state == NEIGH_REACHABLE ||
				  e->state == NEIGH_STALE, "neighbour state %d",
				  e->state);
			FF_ASSERT(!n && !timer_armed(&e->timer),
				  "%s entry with a queue or timer",
				  neigh_state_name(e->state));
		}
		FF_ASSERT(neigh_find(s, &e->ip) == e, "entry %#x not found", e->ip.v4);
		if (e->ip.family == IP_V6)
			FF_ASSERT(!ip_addr_is_any(&e->ip) &&
				  !ip_addr_is_multicast(&e->ip) &&
				  !ip_addr_is_loopback(&e->ip) &&
				  !ip_addr_is_v4mapped(&e->ip) &&
				  !ff_is_ours6(f, e->ip.v6), "IPv6 neighbour entry");
		else
			FF_ASSERT(e->ip.family == IP_V4 && e->ip.v4 &&
				  !ff_is_ours(f, e->ip.v4) &&
				  !ff_is_bcast(f, e->ip.v4) &&
				  !ipv4_is_multicast(e->ip.v4),
				  "neighbour entry for %#x", e->ip.v4);
	}
	FF_ASSERT(used == t->used && used <= t->cap && t->cap ==
		  f->cfg.neigh_max_entries, "neighbour table: %u used, %u counted, cap %u",
		  used, t->used, t->cap);
	return timed;
}

/* IPv6's per-interface state. Return: the timers it has armed */
static unsigned ff_check_ipv6(struct ff *f)
{
	const struct inet6_if *in6 = &f->s->nif.in6;
	unsigned timers = 0;

	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
		const struct ifaddr6 *a = &in6->addr[i];

		if (a->state == IFA6_FREE || a->state == IFA6_DUPLICATE) {
			FF_ASSERT(!timer_armed(&a->timer), "%s address with a timer",
				  a->state ? "duplicate" : "free");
			continue;
		}
		FF_ASSERT(a->state != IFA6_TENTATIVE || timer_armed(&a->timer),
			  "tentative address without its DAD timer");
		FF_ASSERT(a->valid_until > f->now || a->state == IFA6_TENTATIVE,
			  "address past its valid lifetime");
		timers += timer_armed(&a->timer);
	}
	timers += timer_armed(&in6->rs_timer);
	for (unsigned i = 0; i < ND_MAX_ROUTERS; i++) {
		FF_ASSERT(in6->routers[i].used || !timer_armed(&in6->routers[i].timer),
			  "unused router with a timer");
		timers += timer_armed(&in6->routers[i].timer);
	}
	for (unsigned i = 0; i < ND_MAX_ONLINK; i++) {
		FF_ASSERT(in6->onlink[i].used || !timer_armed(&in6->onlink[i].timer),
			  "unused prefix with a timer");
		timers += timer_armed(&in6->onlink[i].timer);
	}
	for (unsigned i = 0; i < MLD_MAX_GROUPS; i++) {
		const struct mld_group *g = &in6->groups[i];

		FF_ASSERT(g->used || !timer_armed(&g->timer),
			  "unused group with a timer");
		FF_ASSERT(!g->used || g->leaving || g->users,
			  "a group nobody uses");
		timers += g->used && timer_armed(&g->timer);
	}
	return timers;
}

/* IGMP's groups. Return: the timers they have armed */
static unsigned ff_check_igmp(struct ff *f)
{
	const struct igmp_if *in = &f->s->nif.igmp;
	unsigned timers = 0;

	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++) {
		const struct igmp_group *g = &in->groups[i];

		FF_ASSERT(g->used || !timer_armed(&g->timer),
			  "unused IPv4 group with a timer");
		FF_ASSERT(!g->used || g->leaving || g->any_users || g->nsrc,
			  "an IPv4 group nobody uses");
		FF_ASSERT(g->nsrc <= IGMP_MAX_SOURCES, "%u sources", g->nsrc);
		for (unsigned k = 0; g->used && k < g->nsrc; k++)
			FF_ASSERT(g->src_users[k], "a source nobody wants");
		timers += g->used && timer_armed(&g->timer);
	}
	return timers;
}

/* Reassembly: see the theory of operation. Return: datagrams held */
static unsigned ff_check_reass(struct ff *f, uint64_t *owned, size_t *bytes,
			       size_t *heap)
{
	struct stack *s = f->s;
	unsigned count = 0;
	size_t total_bytes = 0;

	for (const struct reass *r = s->reass.head; r; r = r->next) {
		uint32_t end = 0, received = 0;
		size_t rb = 0;

		FF_ASSERT(++count <= 65536, "reassembly list loops");
		FF_ASSERT(timer_armed(&r->timer), "datagram without a timer");
		FF_ASSERT(r->frags, "datagram without fragments");
		for (const struct pbuf *p = r->frags; p; p = p->next) {
			FF_ASSERT(FRAG_OFF(p) >= end, "fragments overlap");
			FF_ASSERT(FRAG_LEN(p) == p->len && p->len,
				  "fragment length %u, pbuf %u", FRAG_LEN(p), p->len);
			end = FRAG_OFF(p) + FRAG_LEN(p);
			received += FRAG_LEN(p);
			rb += p->cap;
			*heap += ff_pbuf_heap(p);
			(*owned)++;
		}
		FF_ASSERT(rb == r->bytes && received == r->received,
			  "datagram accounts %zu/%u, holds %zu/%u", r->bytes,
			  r->received, rb, received);
		FF_ASSERT(end <= IPV4_MAX_LEN, "fragment ends at %u", end);
		if (r->total)
			FF_ASSERT(end <= r->total &&
				  !(r->hlen && received == r->total),
				  "complete datagram left in reassembly");
		total_bytes += rb;
	}
	FF_ASSERT(count == s->reass.count && total_bytes == s->reass.bytes,
		  "reassembly counts %u/%zu, holds %u/%zu", s->reass.count,
		  s->reass.bytes, count, total_bytes);
	FF_ASSERT(count <= zmax(f->cfg.reass_max, f->prev_reass_count),
		  "%u datagrams in reassembly", count);
	FF_ASSERT(total_bytes <= zmax(f->cfg.reass_max_bytes, f->prev_reass_bytes),
		  "%zu bytes in reassembly, bound %zu", total_bytes,
		  f->cfg.reass_max_bytes);
	*bytes += total_bytes;
	return count;
}

/*
 * TCP: sockets within tcp_max_socks, buffers within tcp_mem_budget and
 * accounted socket by socket, listeners' queues within their bounds, no
 * socket left to reap. Return: armed TCP timers
 */
static unsigned ff_check_tcp(struct ff *f, size_t *heap)
{
	struct stack *s = f->s;
	const struct tcp_table *t = s->tcp;
	unsigned n = 0, timers = 0, tw = 0;
	size_t mem = 0;

	for (const struct tcp_sock *sk = t->all; sk; sk = sk->all_next) {
		FF_ASSERT(++n <= 65536, "socket list loops");
		FF_ASSERT(sk->state <= TCP_TIME_WAIT && !sk->dead,
			  "socket state %d, dead %d", sk->state, sk->dead);
		timers += timer_armed(&sk->rtx) + timer_armed(&sk->dack) +
			  timer_armed(&sk->misc);
		mem += sk->mem;
		*heap += heap_cost(sizeof(*sk));
		if (sk->sndq.buf)
			*heap += heap_cost(sk->sndq.cap);
		if (sk->rcvq.buf)
			*heap += heap_cost(sk->rcvq.cap);
		if (sk->txq)
			*heap += heap_cost(sk->txcap * sizeof(*sk->txq));
		if (sk->sb)
			*heap += heap_cost(sizeof(*sk->sb));
		if (sk->lq)
			*heap += heap_cost(sizeof(*sk->lq));
		/* transmit records: in order, contiguous, within the flight */
		for (unsigned i = 0; i < sk->ntx; i++)
			FF_ASSERT(SEQ_LT(sk->txq[i].start, sk->txq[i].end) &&
				  (i ? sk->txq[i].start == sk->txq[i - 1].end :
				       SEQ_GEQ(sk->txq[i].start, sk->snd_una)) &&
				  SEQ_LEQ(sk->txq[i].end, sk->snd_max),
				  "transmit record %u of %u: [%u, %u) prev end %u una %u max %u", i, sk->ntx, sk->txq[i].start, sk->txq[i].end, i ? sk->txq[i - 1].end : 0, sk->snd_una, sk->snd_max);
		FF_ASSERT(sk->sndq.len <= sk->sndq.cap &&
			  sk->rcvq.len <= sk->rcvq.cap, "ring overfull");
		/* memory by use: what holds nothing has no bytes */
		FF_ASSERT((!sk->sndq.buf || sk->sndq.len) &&
			  (!sk->rcvq.buf || sk->rcvq.len || sk->nooo) &&
			  (!sk->txq || sk->ntx) &&
			  (!sk->sb || sk->nooo || sk->nsacked ||
			   sk->dsack_pending),
			  "empty buffers kept: send %u, receive %u (%u OOO), %u records, scoreboard %p",
			  sk->sndq.len, sk->rcvq.len, sk->nooo, sk->ntx,
			  (void *)sk->sb);
		FF_ASSERT((!sk->nooo && !sk->nsacked && !sk->dsack_pending) ||
			  sk->sb, "ranges without a scoreboard");
		tw += sk->state == TCP_TIME_WAIT;
		/* Linux's sk_acceptq_is_full(): backlog + 1 may wait */
		if (sk->state == TCP_LISTEN)
			FF_ASSERT(sk->lq &&
				  sk->lq->syn_qlen <= f->cfg.tcp_max_syn_backlog &&
				  sk->lq->accept_qlen <= sk->lq->backlog + 1,
				  "listener queues %u/%u",
				  sk->lq ? sk->lq->syn_qlen : 0,
				  sk->lq ? sk->lq->accept_qlen : 0);
	}
	FF_ASSERT(n == t->nsocks && n <= f->cfg.tcp_max_socks,
		  "%u sockets, %u counted", n, t->nsocks);
	/* over the budget only by what pressure still gives each socket: a
	 * small send ring, its first transmit records, a scoreboard */
	FF_ASSERT(mem == t->mem && mem <= f->cfg.tcp_mem_budget +
		  n * (TCP_RING_MIN + TCP_TXREC_INIT * sizeof(struct tcp_txrec) +
		       sizeof(struct tcp_sb)),
		  "TCP buffers %zu, counted %zu", mem, t->mem);
	FF_ASSERT(tw <= f->cfg.tcp_max_time_wait, "%u in TIME_WAIT", tw);
	FF_ASSERT(!t->reap && !t->busy, "TCP left sockets to reap");
	return timers;
}

/* One datagram socket's queues: within SO_RCVBUF plus one datagram. */
static size_t ff_check_dq(struct dgram *dg, size_t *prev)
{
	size_t q = dgram_recv_queued(dg);
	int rcvbuf = 0;

	FF_ASSERT(dgram_getopt(dg, DGRAM_SO_RCVBUF, &rcvbuf) == 0, "SO_RCVBUF");
	/* a SO_RCVBUF lowered since only stops the queue growing */
	FF_ASSERT(q <= zmax((size_t)rcvbuf + 65536 + PBUF_HEADROOM +
			    sizeof(struct pbuf) + 64, *prev),
		  "datagram queues of %zu, rcvbuf %d", q, rcvbuf);
	*prev = q;
	return q;
}

/*
 * Datagram sockets (UDP, ping, raw): their structs are the engine's own,
 * so their receive and error queues are seen through what they charge:
 * a buffer's cap plus sizeof(struct pbuf) + 64. What the pool holds
 * beyond ARP and reassembly must be exactly those buffers: n of them,
 *   sum(dgram_recv_queued) == extra bytes + n * (sizeof(struct pbuf) + 64).
 */
static void ff_check_udp(struct ff *f, uint64_t *owned, size_t *bytes,
			 size_t *heap)
{
	const struct pbuf_pool *pool = stack_pool(f->s);
	size_t charged = 0, n, extra;

	FF_ASSERT(udp_sock_count(f->s) == f->nus, "%u UDP sockets, %u held",
		  udp_sock_count(f->s), f->nus);
	FF_ASSERT(ping_sock_count(f->s) == !!f->ps &&
		  raw_sock_count(f->s) == !!f->rs, "ICMP sockets");
	for (unsigned i = 0; i < f->nus; i++) {
		unsigned groups = 0;

		charged += ff_check_dq(udp_dgram(f->us[i]), &f->us_queued[i]);
		*heap += f->udp_sock_size;
		/* its multicast memberships (mcast.c), one allocation each */
		for (const struct mc_member *m = mcast_members(udp_dgram(f->us[i]));
		     m; m = m->next, groups++)
			*heap += heap_cost(sizeof(*m));
		FF_ASSERT(groups <= MC_MAX_MEMBERSHIPS, "%u memberships", groups);
	}
	if (f->ps) {
		charged += ff_check_dq(ping_dgram(f->ps), &f->ps_queued);
		*heap += f->ping_sock_size;
	}
	if (f->rs) {
		charged += ff_check_dq(raw_dgram(f->rs), &f->rs_queued);
		*heap += f->raw_sock_size;
	}
	FF_ASSERT(pool->live >= *owned && pool->in_use >= *bytes,
		  "pool below its owners");
	n = (size_t)(pool->live - *owned);
	extra = pool->in_use - *bytes;
	FF_ASSERT(charged == extra + n * (sizeof(struct pbuf) + 64),
		  "UDP charges %zu for %zu buffers of %zu bytes", charged, n,
		  extra);
	*owned += n;
	*bytes += extra;
	*heap += extra + n * sizeof(struct pbuf);
}

/**
 * ff_check_state() - every invariant of the engine at rest
 * @f: the fuzzer's host
 * @deadline: what stack_timeout() last returned
 */
static void ff_check_state(struct ff *f, uint64_t deadline)
{
	struct stack *s = f->s;
	const struct pbuf_pool *pool = stack_pool(s);
	uint64_t owned = 0;
	size_t bytes = 0, heap = 0;
	unsigned incomplete, count, tcp_timers, v6_timers;
	size_t qmax = 0;

	FF_ASSERT(pool->in_use <= zmax(pool->budget, f->prev_in_use),
		  "pool holds %zu, budget %zu", pool->in_use, pool->budget);
	FF_ASSERT(pool->budget == f->cfg.mem_budget, "budget");
	incomplete = ff_check_neigh(f, &owned, &bytes, &heap, &qmax);
	count = ff_check_reass(f, &owned, &bytes, &heap);
	tcp_timers = ff_check_tcp(f, &heap);
	v6_timers = ff_check_ipv6(f) + ff_check_igmp(f);
	ff_check_udp(f, &owned, &bytes, &heap);
	FF_ASSERT(pool->live == owned && pool->in_use == bytes,
		  "%llu pbufs (%zu bytes) live, %llu (%zu) owned",
		  (unsigned long long)pool->live, pool->in_use,
		  (unsigned long long)owned, bytes);
	FF_ASSERT(pool->nfree <= PBUF_FREELIST_MAX, "free list");
	FF_ASSERT(s->timers.n == incomplete + count + tcp_timers + v6_timers,
		  "%zu timers armed, %u owners", s->timers.n,
		  incomplete + count + tcp_timers + v6_timers);
	FF_ASSERT(deadline > f->now, "deadline %llu not after now %llu",
		  (unsigned long long)deadline, (unsigned long long)f->now);
	FF_ASSERT((deadline == STACK_NO_DEADLINE) == (s->timers.n == 0),
		  "idle engine with a deadline, or timers without one");
	if (heap_known) {
		size_t want = ff_heap_expected(s, heap);

		FF_ASSERT(heap_bytes == want,
			  "heap holds %zu bytes, the engine explains %zu",
			  heap_bytes, want);
	}
	f->prev_in_use = pool->in_use;
	f->prev_reass_bytes = s->reass.bytes;
	f->prev_reass_count = s->reass.count;
	f->prev_qbytes = qmax;
}

static void ff_address_table(struct ff *f)
{
	uint32_t m0 = ipv4_mask(f->cfg.addr[0].prefix);
	uint32_t m1 = ipv4_mask(f->cfg.addr[1].prefix);
	uint32_t a0 = IPV4(192, 0, 2, 1), a1 = IPV4(198, 51, 100, 1);

	f->addr[FA_OURS0] = a0;
	f->addr[FA_OURS1] = a1;
	f->addr[FA_PEER] = IPV4(192, 0, 2, 2);
	f->addr[FA_PEER1] = IPV4(198, 51, 100, 2);
	f->addr[FA_GW] = IPV4(192, 0, 2, 254);
	f->addr[FA_FAR] = IPV4(203, 0, 113, 7);
	f->addr[FA_BCAST0] = a0 | ~m0;
	f->addr[FA_LIMITED_BCAST] = IPV4_BROADCAST;
	f->addr[FA_ZERO] = 0;
	f->addr[FA_MCAST] = IPV4(224, 0, 0, 1);
	f->addr[FA_LOOPBACK] = IPV4(127, 0, 0, 1);
	f->addr[FA_CLASS_E] = IPV4(240, 0, 0, 1);
	f->addr[FA_BCAST1] = a1 | ~m1;
	f->addr[FA_PEER2] = IPV4(192, 0, 2, 3);
	f->addr[FA_NET0] = a0 & m0;
	f->addr[FA_KEEP] = 0;
}

/**
 * ff_setup() - a fresh engine from the configuration bytes
 * @f: the fuzzer's host
 * @c: FF_CFG_LEN bytes
 *
 * Return: 0, or -1 if the engine refused the configuration
 */
static int ff_setup(struct ff *f, const uint8_t *c)
{
	static const uint16_t mtus[8] = { 576, 1500, 1280, 9000, 65535, 600,
					  1006, 4352 };
	static const uint8_t prefixes[8] = { 24, 31, 32, 30, 16, 8, 29, 0 };
	static const unsigned rates[4] = { 0, 1, 10, 1000 };
	struct stack_config *cfg = &f->cfg;
	int rc;

	memset(f, 0, offsetof(struct ff, last));
	stack_config_defaults(cfg);
	memcpy(cfg->mac, mac_ours, ETH_ALEN);
	cfg->mtu = mtus[c[FF_CFG_MTU] & 7] + (c[FF_CFG_MTU] >> 3);
	if (cfg->mtu > 65535)
		cfg->mtu = 65535;
	cfg->neigh_max_entries = 1 + (c[FF_CFG_ARP] & 15);
	cfg->neigh_queue_bytes = (1 + (c[FF_CFG_ARP] >> 4 & 3)) * 1500;
	cfg->neigh_mcast_solicit = 1 + (c[FF_CFG_ARP] >> 6);
	cfg->neigh_ucast_solicit = 1 + (c[FF_CFG_ARP] >> 6);
	cfg->reass_max = 1 + (c[FF_CFG_REASS] & 7);
	cfg->reass_max_bytes = c[FF_CFG_REASS] & 0x80 ? 4u << 20 :
			       (1 + (c[FF_CFG_REASS] >> 3 & 15)) * 4096u;
	cfg->mem_budget = c[FF_CFG_BUDGET] & 0x80 ? 64u << 20 :
			  (1u << 20) + (c[FF_CFG_BUDGET] & 0x7f) * 16384u;
	cfg->naddr = c[FF_CFG_ADDR] & 0x40 ? 1 : 2;
	cfg->addr[0].addr = IPV4(192, 0, 2, 1);
	cfg->addr[0].prefix = prefixes[c[FF_CFG_ADDR] & 7];
	cfg->addr[1].addr = IPV4(198, 51, 100, 1);
	cfg->addr[1].prefix = prefixes[c[FF_CFG_ADDR] >> 3 & 7];
	cfg->gateway = c[FF_CFG_ADDR] & 0x80 ? 0 : IPV4(192, 0, 2, 254);
	/* IPv6 starts with FF_START: a link-local address, 2001:db8::1/64 */
	cfg->ipv6 = true;
	cfg->naddr6 = 1;
	memcpy(cfg->addr6[0].addr, ff_v6_static, 16);
	cfg->addr6[0].prefix = 64;
	if (cfg->gateway)
		memcpy(cfg->gateway6, ff_v6_router, 16);
	cfg->dad_transmits = c[FF_CFG_ICMP] & FI_NO_DAD ? 0 : 1;
	cfg->slaac = !(c[FF_CFG_ICMP] & FI_NO_SLAAC);
	cfg->neigh_retrans = (1 + (c[FF_CFG_TIMERS] & 3)) * 250 * NSEC_PER_MSEC;
	cfg->neigh_reachable = (1 + (c[FF_CFG_TIMERS] >> 2 & 3)) * 10 * NSEC_PER_SEC;
	cfg->neigh_delay_probe = (1 + (c[FF_CFG_TIMERS] >> 2 & 1)) * NSEC_PER_SEC;
	cfg->reass_timeout = (1 + (c[FF_CFG_TIMERS] >> 4 & 3)) * 5 * NSEC_PER_SEC;
	cfg->icmp_rate = rates[c[FF_CFG_TIMERS] >> 6];
	cfg->ttl = c[FF_CFG_TTL] ? c[FF_CFG_TTL] : 64;
	cfg->icmp_burst = 1 + (c[FF_CFG_ICMP] & 15);
	if (!(c[FF_CFG_TCP] & FT_BIG)) {
		cfg->tcp_sndbuf = cfg->tcp_rcvbuf = 8192;
		cfg->tcp_mem_budget = 64 * 1024;
		cfg->tcp_max_socks = 12;
		cfg->tcp_max_time_wait = 3;
		cfg->tcp_max_syn_backlog = 3;
	}
	cfg->tcp_timestamps = !(c[FF_CFG_TCP] & FT_NO_TS);
	cfg->tcp_window_scaling = !(c[FF_CFG_TCP] & FT_NO_WS);
	cfg->tcp_sack = !(c[FF_CFG_TCP] & FT_NO_SACK);
	cfg->tcp_syncookies = !(c[FF_CFG_TCP] & FT_NO_COOKIES);
	cfg->tcp_cc = c[FF_CFG_TCP] & FT_NEWRENO ? TCP_CC_NEWRENO : TCP_CC_CUBIC;
	/* Fast Open both ways; with NewReno the listener needs no cookie,
	 * so that any SYN with data makes a Fast Open child */
	cfg->tcp_fastopen = TCP_TFO_CLIENT | TCP_TFO_SERVER |
			    (c[FF_CFG_TCP] & FT_NEWRENO ?
			     TCP_TFO_SERVER_NO_COOKIE : 0);
	f->ops.link_output = ff_link_output;
	f->ops.sock_event = ff_sock_event;
	f->ops.dgram_event = ff_dgram_event;
	f->ops.random = ff_random;
	f->ops.log = ff_log;
	f->rng = 0x9e3779b97f4a7c15ull;
	f->start = f->now = 1000 * NSEC_PER_SEC;
	rc = stack_new(&f->s, cfg, &f->ops, f, f->now);
	if (rc && cfg->gateway) {
		/* the gateway is off every subnet the prefixes make */
		cfg->gateway = 0;
		rc = stack_new(&f->s, cfg, &f->ops, f, f->now);
	}
	if (rc)
		return -1;
	ff_address_table(f);
	f->ttls[cfg->ttl / 8] |= (uint8_t)(1 << cfg->ttl % 8);
	f->sock_family = c[FF_CFG_ICMP] & FI_SOCK6 ? IP_V6 : IP_V4;
	f->sock_v6only = f->sock_family == IP_V6 && (c[FF_CFG_ICMP] & FI_V6ONLY);
	if (c[FF_CFG_TCP] & FT_LISTEN) {
		FF_ASSERT(tcp_open(f->s, f->sock_family, &f->sk[0], f->now) == 0,
			  "tcp_open");
		f->nsk = 1;
		if (f->sock_v6only)
			FF_ASSERT(tcp_setsockopt(f->sk[0], TCP_IP6_V6ONLY, 1,
						 f->now) == 0, "V6ONLY");
		FF_ASSERT(tcp_bind(f->sk[0], NULL, 80) == 0, "tcp_bind");
		FF_ASSERT(tcp_setsockopt(f->sk[0], TCP_OPT_FASTOPEN, 2,
					 f->now) == 0, "TCP_FASTOPEN");
		FF_ASSERT(tcp_listen(f->sk[0], 2, f->now) == 0, "tcp_listen");
	}
	if (c[FF_CFG_TCP] & FT_UDP) {
		ff_udp_open(f);
		if (f->nus)
			FF_ASSERT(udp_bind(f->us[0], 0, 53) == 0, "udp_bind");
	}
	f->icmp_burst_max = cfg->icmp_burst;
	f->icmp_rate_max = cfg->icmp_rate;
	return 0;
}

static void ff_inject(struct ff *f, const uint8_t *fr, size_t len)
{
	f->injected++;
	stack_input_copy(f->s, 1, fr, len, f->now);
}

static const uint8_t *ff_sel_mac(unsigned sel, bool src)
{
	static const uint8_t *const dst_macs[4] = { mac_ours, mac_bcast,
						    mac_other, mac_mcast };
	static const uint8_t *const src_macs[4] = { mac_peer, mac_peer2,
						    mac_gw, mac_ours };

	return src ? src_macs[sel >> 2 & 3] : dst_macs[sel & 3];
}

static void ff_put_addr(const struct ff *f, uint8_t *p, unsigned idx)
{
	if (idx != FA_KEEP)
		put32(p, f->addr[idx]);
}

/*
 * Write at @out the end of a segment the engine sent: the low 3 bits of the
 * value at @in say how many segments ago (0: the last), so that mutating
 * them picks an older one: a duplicate ACK, a partial one.
 */
static void ff_tcp_ack_hint(const struct ff *f, const uint8_t *in,
			    uint8_t *out)
{
	unsigned back = get32(in) & 7;

	if (back >= f->tcp_nsent)
		back = f->tcp_nsent - 1;
	put32(out, f->tcp_sent[(f->tcp_nsent - 1 - back) % 8].end);
}

/* SACK blocks (RFC 2018) of a segment: each edge the same way. */
static void ff_tcp_sack_hint(const struct ff *f, uint8_t *t, size_t n)
{
	size_t doff = (t[12] >> 4) * 4u, i = 20;

	if (doff > n)
		return;
	while (i + 1 < doff && t[i] != 0) {
		size_t olen = t[i] == 1 ? 1 : t[i + 1];

		if (olen < 1 || i + olen > doff)
			return;
		if (t[i] == 5 && olen >= 10) {
			for (size_t b = i + 2; b + 8 <= i + olen; b += 8) {
				unsigned k = (get32(t + b) & 7) % 8;

				if (k >= f->tcp_nsent)
					k = f->tcp_nsent - 1;
				k = (f->tcp_nsent - 1 - k) % 8;
				put32(t + b, f->tcp_sent[k].seq);
				put32(t + b + 4, f->tcp_sent[k].end);
			}
		}
		i += olen;
	}
}

/* IPv4 fixes of an FF_FRAME (the frame is at least 34 bytes). */
static void ff_fix_ipv4(struct ff *f, uint8_t *fr, size_t len, uint8_t fix,
			uint8_t sel, uint8_t addrs)
{
	uint8_t *ip = fr + ETH_HLEN;
	size_t room = len - ETH_HLEN;
	size_t hlen, tl;

	if (fix & FIX_VER) {
		hlen = (ip[0] & 0xf) * 4u;
		if (hlen < IPV4_HLEN || hlen > room)
			hlen = IPV4_HLEN;
		ip[0] = (uint8_t)(0x40 | hlen / 4);
	}
	if (fix & FIX_ADDR) {
		ff_put_addr(f, ip + 12, addrs & 15);
		ff_put_addr(f, ip + 16, addrs >> 4);
	}
	if (fix & FIX_LEN)
		put16(ip + 2, (uint16_t)(room > 65535 ? 65535 : room));
	hlen = (ip[0] & 0xf) * 4u;
	if (hlen > room)
		hlen = room;
	tl = get16(ip + 2);
	if (tl > room)
		tl = room;
	if (ip[9] == IP_PROTO_ICMP && (sel & SEL_TCP_ACK) && tl >= hlen + 8 &&
	    f->last_out_len && icmp_type_is_error(ip[hlen])) {
		/* an error about what the engine sent last */
		size_t q = tl - hlen - 8 < f->last_out_len ? tl - hlen - 8 :
							     f->last_out_len;

		memcpy(ip + hlen + 8, f->last_out, q);
	}
	if ((fix & FIX_L4) && (ip[9] == IP_PROTO_ICMP ||
				ip[9] == IP_PROTO_IGMP) && tl >= hlen + 4) {
		put16(ip + hlen + 2, 0);
		put16(ip + hlen + 2, ff_cksum(ip + hlen, tl - hlen));
	}
	if (ip[9] == IP_PROTO_TCP && tl >= hlen + 20 && f->tcp_hint) {
		if (sel & SEL_TCP_ACK) {
			ff_tcp_ack_hint(f, ip + hlen + 8, ip + hlen + 8);
			ff_tcp_sack_hint(f, ip + hlen, tl - hlen);
		}
		/* port 0 as destination: the ports of that segment, reversed */
		if ((sel & SEL_TCP_ACK) && !get16(ip + hlen + 2)) {
			put16(ip + hlen, (uint16_t)f->tcp_ports);
			put16(ip + hlen + 2, (uint16_t)(f->tcp_ports >> 16));
		}
		if (sel & SEL_TCP_SEQ)
			put32(ip + hlen + 4, f->tcp_next_seq);
	}
	if ((fix & FIX_L4) && ip[9] == IP_PROTO_TCP && tl >= hlen + 20) {
		put16(ip + hlen + 16, 0);
		put16(ip + hlen + 16, ff_tcp_cksum(ip, ip + hlen, tl - hlen));
	}
	if ((fix & FIX_L4) && ip[9] == IP_PROTO_UDP && tl >= hlen + 8) {
		put16(ip + hlen + 4, (uint16_t)(tl - hlen));
		put16(ip + hlen + 6, 0);
		put16(ip + hlen + 6, ff_tcp_cksum(ip, ip + hlen, tl - hlen) ?: 0xffff);
	}
	if (fix & FIX_CSUM) {
		put16(ip + 10, 0);
		put16(ip + 10, ff_cksum(ip, hlen));
	}
}

/*
 * IPv6 addresses for FIX_ADDR, by the same index bytes as IPv4's: the
 * engine's own (its link-local address read from it, as it depends on the
 * MAC and the secret), neighbours, groups, and the ones it must refuse.
 */
static void ff_put_addr6(const struct ff *f, uint8_t *p, unsigned idx)
{
	static const uint8_t table[16][16] = {
		[FA_OURS1] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		[FA_PEER] = { 0xfe, 0x80, [15] = 2 },
		[FA_PEER1] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
		[FA_GW] = { 0xfe, 0x80, [15] = 0xfe },
		[FA_FAR] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 7 },
		[FA_BCAST0] = { 0xff, 0x02, [15] = 1 },
		[FA_LIMITED_BCAST] = { 0xff, 0x02, [15] = 2 },
		[FA_ZERO] = { 0 },
		[FA_MCAST] = { 0xff, 0x02, [15] = 0xfb },
		[FA_LOOPBACK] = { [15] = 1 },
		[FA_CLASS_E] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 2 },
		[FA_BCAST1] = { 0xff, 0x02, [11] = 1, 0xff },
		[FA_PEER2] = { 0xfe, 0x80, [15] = 3 },
		[FA_NET0] = { 0xff, 0x02, [15] = 0x16 },
	};
	const struct ifaddr6 *ll = &f->s->nif.in6.addr[0];

	if (idx == FA_KEEP)
		return;
	if (idx == FA_OURS0) {
		memcpy(p, ll->addr, 16);
		return;
	}
	memcpy(p, table[idx], 16);
	if (idx == FA_BCAST1)           /* our link-local's solicited-node */
		memcpy(p + 13, ll->addr + 13, 3);
}

/* The address of index @idx for the host's socket calls, in the family
 * of its sockets (IPv6: ff_put_addr6's, :: for FA_KEEP) */
static struct ip_addr ff_sock_addr(const struct ff *f, unsigned idx)
{
	uint8_t a[16] = { 0 };

	if (f->sock_family == IP_V4)
		return ip4(f->addr[idx]);
	ff_put_addr6(f, a, idx);
	return ip6(a);
}

/* IPv6 fixes of an FF_FRAME (the frame holds at least the header). The
 * SEL_OP bits pick the hop limit: kept, 255 (for ND), 1 (MLD), 64; for
 * TCP they are SEL_TCP_ACK and SEL_TCP_SEQ as well. */
static void ff_fix_ipv6(struct ff *f, uint8_t *fr, size_t len, uint8_t fix,
			uint8_t sel, uint8_t addrs)
{
	static const uint8_t hlims[4] = { 0, 255, 1, 64 };
	uint8_t *ip = fr + ETH_HLEN;
	size_t room = len - ETH_HLEN, off = IPV6_HLEN, pl;
	uint8_t nh;

	if (fix & FIX_VER)
		ip[0] = (uint8_t)(0x60 | (ip[0] & 0x0f));
	if (hlims[sel >> 6])
		ip[7] = hlims[sel >> 6];
	if (fix & FIX_ADDR) {
		ff_put_addr6(f, ip + 8, addrs & 15);
		ff_put_addr6(f, ip + 24, addrs >> 4);
	}
	if (fix & FIX_LEN)
		put16(ip + 4, (uint16_t)(room - IPV6_HLEN > 65535 ? 65535 :
					 room - IPV6_HLEN));
	pl = get16(ip + 4) + (size_t)IPV6_HLEN;
	if (pl > room)
		pl = room;
	/* walk the options headers to the upper layer (not past a fragment) */
	nh = ip[6];
	while ((nh == IP6_NH_HOPOPTS || nh == IP6_NH_DSTOPTS ||
		nh == IP6_NH_ROUTING) && off + 8 <= pl) {
		nh = ip[off];
		off += (ip[off + 1] + 1u) * 8;
	}
	if (!(fix & FIX_L4) || off > pl)
		return;
	if (nh == IP6_NH_ICMPV6 && pl >= off + 24 &&
	    (ip[off] == ND_NEIGHBOR_SOLICIT || ip[off] == ND_NEIGHBOR_ADVERT) &&
	    !get32(ip + off + 8) && !get32(ip + off + 12))
		/* a target of :: stands for our link-local address */
		memcpy(ip + off + 8, f->s->nif.in6.addr[0].addr, 16);
	if (nh == IP_PROTO_TCP && pl >= off + 20 && f->tcp_hint) {
		if (sel & SEL_TCP_ACK) {
			ff_tcp_ack_hint(f, ip + off + 8, ip + off + 8);
			ff_tcp_sack_hint(f, ip + off, pl - off);
		}
		if ((sel & SEL_TCP_ACK) && !get16(ip + off + 2)) {
			put16(ip + off, (uint16_t)f->tcp_ports);
			put16(ip + off + 2, (uint16_t)(f->tcp_ports >> 16));
		}
		if (sel & SEL_TCP_SEQ)
			put32(ip + off + 4, f->tcp_next_seq);
	}
	if (nh == IP6_NH_ICMPV6 && pl >= off + 4) {
		if ((sel & SEL_TCP_ACK) && f->last_out_len && pl >= off + 8 &&
		    icmp6_is_error(ip[off])) {
			size_t q = pl - off - 8 < f->last_out_len ?
				   pl - off - 8 : f->last_out_len;

			memcpy(ip + off + 8, f->last_out, q);
		}
		put16(ip + off + 2, 0);
		put16(ip + off + 2, (uint16_t)~ff_sum(ip + off, pl - off,
				ff_pseudo6(ip, nh, pl - off)));
	} else if ((nh == IP_PROTO_TCP && pl >= off + 20) ||
		   (nh == IP_PROTO_UDP && pl >= off + 8)) {
		size_t at = nh == IP_PROTO_TCP ? 16 : 6;
		uint16_t c;

		if (nh == IP_PROTO_UDP)
			put16(ip + off + 4, (uint16_t)(pl - off));
		put16(ip + off + at, 0);
		c = (uint16_t)~ff_sum(ip + off, pl - off,
				      ff_pseudo6(ip, nh, pl - off));
		put16(ip + off + at, nh == IP_PROTO_UDP && !c ? 0xffff : c);
	}
}

/* ARP fixes of an FF_FRAME (the frame is at least 42 bytes). */
static void ff_fix_arp(struct ff *f, uint8_t *fr, uint8_t fix, uint8_t sel,
		       uint8_t addrs)
{
	uint8_t *a = fr + ETH_HLEN;

	if (fix & FIX_ARP) {
		put16(a, 1);
		put16(a + 2, ETH_P_IP);
		a[4] = 6;
		a[5] = 4;
		if ((sel >> 6) != 2)
			put16(a + 6, (uint16_t)((sel >> 6) + 1));
		memcpy(a + 8, fr + 6, ETH_ALEN);
	}
	if (fix & FIX_ADDR) {
		ff_put_addr(f, a + 14, addrs & 15);
		ff_put_addr(f, a + 24, addrs >> 4);
	}
}

/**
 * ff_fix() - mend a frame as its FIX_* bits ask
 * @f: the fuzzer's host
 * @fr: the frame, with room for FF_FRAME_MAX bytes
 * @len: its length
 * @fix: FIX_* bits
 * @sel: SEL_* fields
 * @addrs: source and destination ff_addr indices
 *
 * Return: the new length (fixes lengthen a frame too short for them)
 */
static size_t ff_fix(struct ff *f, uint8_t *fr, size_t len, uint8_t fix,
		     uint8_t sel, uint8_t addrs)
{
	static const uint16_t types[4] = { ETH_P_IP, ETH_P_ARP, ETH_P_8021Q,
					   ETH_P_IPV6 };
	size_t need = fix ? ETH_HLEN : 0;
	uint16_t type;

	if (len < need) {
		memset(fr + len, 0, need - len);
		len = need;
	}
	if (fix & FIX_ETH) {
		memcpy(fr, ff_sel_mac(sel, false), ETH_ALEN);
		memcpy(fr + 6, ff_sel_mac(sel, true), ETH_ALEN);
		put16(fr + 12, types[sel >> 4 & 3]);
		if (types[sel >> 4 & 3] == ETH_P_IPV6 && (sel & 3) == 3)
			memcpy(fr, mac_all_nodes, ETH_ALEN);
	}
	type = len >= ETH_HLEN ? get16(fr + 12) : 0;
	if (type == ETH_P_ARP && (fix & (FIX_ARP | FIX_ADDR))) {
		need = ETH_HLEN + ARP_LEN;
		if (len < need) {
			memset(fr + len, 0, need - len);
			len = need;
		}
		ff_fix_arp(f, fr, fix, sel, addrs);
	} else if (type == ETH_P_IP &&
		   (fix & (FIX_ADDR | FIX_VER | FIX_LEN | FIX_L4 | FIX_CSUM))) {
		need = ETH_HLEN + IPV4_HLEN;
		if (len < need) {
			memset(fr + len, 0, need - len);
			len = need;
		}
		ff_fix_ipv4(f, fr, len, fix, sel, addrs);
	} else if (type == ETH_P_IPV6 &&
		   (fix & (FIX_ADDR | FIX_VER | FIX_LEN | FIX_L4))) {
		need = ETH_HLEN + IPV6_HLEN;
		if (len < need) {
			memset(fr + len, 0, need - len);
			len = need;
		}
		ff_fix_ipv6(f, fr, len, fix, sel, addrs);
	}
	if ((fix & FIX_PAD) && len < 60) {
		memset(fr + len, 0, 60 - len);
		len = 60;
	}
	return len;
}

static void ff_rec_frame(struct ff *f, const uint8_t *rec, const uint8_t *body,
			 size_t len)
{
	if (len > FF_FRAME_MAX - 64)
		len = FF_FRAME_MAX - 64;
	memcpy(f->last, body, len);
	f->last_len = ff_fix(f, f->last, len, rec[0], rec[1], rec[2]);
	f->last_fix = rec[0];
	ff_inject(f, f->last, f->last_len);
}

/* A header for fragment @off..@off+@n of a datagram (one frame). */
static size_t ff_frag_frame(struct ff *f, uint8_t *fr, uint8_t flags,
			    uint8_t addrs, uint16_t id, size_t hlen,
			    const uint8_t *pl, size_t off, size_t n, bool more)
{
	uint8_t *ip = fr + ETH_HLEN;

	memcpy(fr, flags & FR_BCAST ? mac_bcast : mac_ours, ETH_ALEN);
	memcpy(fr + 6, mac_peer, ETH_ALEN);
	put16(fr + 12, ETH_P_IP);
	memset(ip, 0, hlen);
	ip[0] = (uint8_t)(0x40 | hlen / 4);
	put16(ip + 2, (uint16_t)(hlen + n));
	put16(ip + 4, id);
	put16(ip + 6, (uint16_t)(off / 8 | (more ? IP_FLAG_MF : 0)));
	ip[8] = 64;
	ip[9] = flags & FR_PROTO ? 253 : IP_PROTO_ICMP;
	put32(ip + 12, f->addr[(addrs & 15) == FA_KEEP ? FA_PEER : addrs & 15]);
	put32(ip + 16, f->addr[(addrs >> 4) == FA_KEEP ? FA_OURS0 : addrs >> 4]);
	if (hlen > IPV4_HLEN)
		memset(ip + IPV4_HLEN, 1, hlen - IPV4_HLEN - 1);  /* NOPs, EOL */
	put16(ip + 10, ff_cksum(ip, hlen));
	memcpy(ip + hlen, pl + off, n);
	return ETH_HLEN + hlen + n;
}

/**
 * ff_rec_frags() - an ICMP echo (or protocol 253) in fragments
 * @f: the fuzzer's host
 * @rec: flags, addrs, size lo, size hi, chunk, id
 */
static void ff_rec_frags(struct ff *f, const uint8_t *rec)
{
	uint8_t flags = rec[0], addrs = rec[1];
	size_t size = rec[2] | rec[3] << 8;
	size_t chunk = 8 * ((size_t)rec[4] + 1);
	uint16_t id = (uint16_t)(0x4000 | rec[5]);
	size_t hlen = flags & FR_OPTS ? IPV4_HLEN + 4 : IPV4_HLEN;
	size_t nfrag, order[FF_MAX_FRAGS + 1], n = 0;

	if (flags & FR_OVER)   /* the last fragment ends past 64 KiB */
		size = IPV4_MAX_LEN - IPV4_HLEN + 1 + (size & 0x3ff);
	else if (size > IPV4_MAX_LEN - hlen)
		size = IPV4_MAX_LEN - hlen;
	if (size < ICMP_HLEN)
		size = ICMP_HLEN;
	for (size_t i = 0; i < size; i++)
		pl_buf[i] = (uint8_t)(i * 7 + (i >> 8) * 13 + rec[5]);
	pl_buf[0] = ICMP_ECHO;
	pl_buf[1] = 0;
	put16(pl_buf + 2, 0);
	put16(pl_buf + 2, ff_cksum(pl_buf, size));
	nfrag = (size + chunk - 1) / chunk;
	if (nfrag > FF_MAX_FRAGS)
		nfrag = FF_MAX_FRAGS;
	for (size_t i = 0; i < nfrag; i++) {
		size_t k = flags & FR_REVERSE ? nfrag - 1 - i : i;

		if ((flags & FR_DROP) && k == nfrag - 1 && nfrag > 1)
			continue;
		order[n++] = k;
		if ((flags & FR_DUP) && k == 0)
			order[n++] = 0;
	}
	for (size_t i = 0; i < n && f->injected < FF_MAX_INJECT; i++) {
		size_t off = order[i] * chunk, len = chunk;
		size_t h = order[i] == 0 ? hlen : IPV4_HLEN;

		if ((flags & FR_OVERLAP) && order[i] == 1)
			off -= 8;
		if (off + len > size)
			len = size - off;
		if (off / 8 > IP_OFFMASK)
			continue;
		ff_inject(f, frame_buf,
			  ff_frag_frame(f, frame_buf, flags, addrs, id, h, pl_buf,
					off, len, off + len < size));
	}
}

/* Change one copy of the last frame as FF_REPEAT's @how says. */
static void ff_vary(struct ff *f, uint8_t how, unsigned i)
{
	uint8_t *fr = f->last;
	uint16_t type = f->last_len >= ETH_HLEN ? get16(fr + 12) : 0;
	bool ip = type == ETH_P_IP && f->last_len >= ETH_HLEN + IPV4_HLEN;
	bool arp = type == ETH_P_ARP && f->last_len >= ETH_HLEN + ARP_LEN;
	uint8_t *h = fr + ETH_HLEN;
	unsigned step = 1 + (how >> 3 & 7);

	switch (how & 7) {
	case FV_ID:
	case FV_ID_SRC:
	case FV_ID_OFFSET:
		if (ip)
			put16(h + 4, (uint16_t)(get16(h + 4) + 1));
		if ((how & 7) == FV_ID_SRC && ip)
			put32(h + 12, get32(h + 12) + step);
		if ((how & 7) == FV_ID_OFFSET && ip)
			put16(h + 6, (uint16_t)((get16(h + 6) & ~IP_OFFMASK) |
						((get16(h + 6) + step) & IP_OFFMASK)));
		break;
	case FV_OFFSET:
		if (ip)
			put16(h + 6, (uint16_t)((get16(h + 6) & ~IP_OFFMASK) |
						((get16(h + 6) + step) & IP_OFFMASK)));
		break;
	case FV_SRC:
		if (ip)
			put32(h + 12, get32(h + 12) + step);
		if (arp)
			put32(h + 14, get32(h + 14) + step);
		break;
	case FV_DST:
		if (ip)
			put32(h + 16, get32(h + 16) + step);
		if (arp)
			put32(h + 24, get32(h + 24) + step);
		break;
	case FV_BYTE:
		if (f->last_len)
			fr[(i * 131 + how) % f->last_len] ^= (uint8_t)(1u << (i & 7));
		break;
	default:
		break;
	}
	if (ip)
		ff_fix_ipv4(f, fr, f->last_len,
			    f->last_fix & (FIX_L4 | FIX_CSUM), 0, 0);
}

static void ff_rec_repeat(struct ff *f, const uint8_t *rec)
{
	unsigned count = rec[0] + 1u;

	if (rec[1] & 0x80)
		count *= 8;
	if (!f->last_len)
		return;
	for (unsigned i = 0; i < count && f->injected < FF_MAX_INJECT; i++) {
		ff_vary(f, rec[1], i);
		ff_inject(f, f->last, f->last_len);
	}
}

/* New bounds at run time, as a SIGHUP of the daemon would bring them. */
static void ff_rec_reconf(struct ff *f, const uint8_t *rec)
{
	struct stack_config cfg = f->cfg;
	int rc;

	cfg.mem_budget = rec[0] & 0x80 ? 64u << 20 :
			 (1u << 20) + (rec[0] & 0x7f) * 16384u;
	cfg.neigh_queue_bytes = (1 + (rec[1] & 7)) * 1500;
	cfg.reass_max = 1 + (rec[1] >> 3 & 7);
	cfg.neigh_mcast_solicit = 1 + (rec[1] >> 6);
	cfg.reass_max_bytes = rec[2] & 0x20 ? 4u << 20 :
			      (1 + (rec[2] & 0x1f)) * 4096u;
	cfg.neigh_reachable = rec[2] & 0x40 ? NSEC_PER_SEC : 30 * NSEC_PER_SEC;
	cfg.icmp_burst = rec[2] & 0x80 ? 1 : 50;
	cfg.ttl = (uint8_t)(rec[0] | 1);
	rc = stack_reconfigure(f->s, &cfg);
	FF_ASSERT(rc == 0, "stack_reconfigure: %d", rc);
	f->cfg = cfg;
	f->ttls[cfg.ttl / 8] |= (uint8_t)(1 << cfg.ttl % 8);
	if (cfg.icmp_burst > f->icmp_burst_max)
		f->icmp_burst_max = cfg.icmp_burst;
}

/* Take up to @n entries off an error queue, as MSG_ERRQUEUE would. */
static void ff_drain_errq(struct dgram *dg, unsigned n)
{
	struct dgram_info in;
	struct dgram_ee ee;
	size_t len;

	for (unsigned k = 0; k < n && dgram_errq_peek(dg, &in, &ee, &len); k++) {
		FF_ASSERT(ee.err > 0 && ee.err < 4096, "error queue errno %u",
			  ee.err);
		/* the offender and the address of the family of the error */
		FF_ASSERT(ee.origin == DGRAM_EE_LOCAL ||
			  (ee.origin == DGRAM_EE_ICMP &&
			   ee.offender.family == IP_V4 && ee.addr.family == IP_V4) ||
			  (ee.origin == DGRAM_EE_ICMP6 &&
			   ee.offender.family == IP_V6 && ee.addr.family == IP_V6),
			  "error queue entry of origin %u, offender family %u",
			  ee.origin, ee.offender.family);
		dgram_errq_next(dg);
	}
	if (n & 8)
		dgram_take_error(dg);
}

/* A TTL a socket may send with from now on (the frame checks know it). */
static void ff_ttl_seen(struct ff *f, int ttl)
{
	if (ttl > 0 && ttl < 256)
		f->ttls[ttl / 8] |= (uint8_t)(1 << ttl % 8);
}

/* An IP option every datagram socket has, from a fuzzed byte. */
static void ff_dgram_opt(struct ff *f, struct dgram *dg, uint8_t b)
{
	static const enum dgram_opt opts[4] = {
		DGRAM_IP_RECVERR, DGRAM_IP_MTU_DISCOVER, DGRAM_IP_TTL,
		DGRAM_IP_TOS,
	};
	int v = (b >> 4 & 3) * (b & 7);
	int rc;

	if (opts[b >> 6] == DGRAM_IP_TTL)
		ff_ttl_seen(f, v);
	rc = dgram_setopt(dg, opts[b >> 6], v);
	FF_ASSERT(rc == 0 || rc == -EINVAL, "dgram_setopt: %d", rc);
}

/*
 * A multicast membership change (arg low nibble 15): bits 4-5 pick one of
 * four groups (224.0.0.1, 239.0.0.1-3), bit 6 joins (else leaves), bit 7
 * does it for one source (FA_PEER).
 */
static void ff_membership(struct ff *f, struct dgram *dg, uint8_t b)
{
	static const uint32_t groups[4] = {
		IPV4(224, 0, 0, 1), IPV4(239, 0, 0, 1), IPV4(239, 0, 0, 2),
		IPV4(239, 0, 0, 3),
	};
	struct ip_addr g = ip4(groups[b >> 4 & 3]), src = ip4(f->addr[FA_PEER]);
	bool join = b & 0x40;
	int rc;

	if (b & 0x80)
		rc = mcast_source(dg, &g, STACK_IF_LINK, &src, join, f->now);
	else if (join)
		rc = mcast_join(dg, &g, STACK_IF_LINK, f->now);
	else
		rc = mcast_leave(dg, &g, STACK_IF_LINK, f->now);
	FF_ASSERT(rc == 0 || rc == -EINVAL || rc == -EADDRINUSE ||
		  rc == -EADDRNOTAVAIL || rc == -ENOBUFS, "membership: %d", rc);
}

/* A UDP socket for the host; the first teaches what one costs. */
static void ff_udp_open(struct ff *f)
{
	size_t before = 0;

	if (f->nus == 4)
		return;
	before = heap_bytes;
	if (udp_open(f->s, f->sock_family, &f->us[f->nus]))
		return;
	if (f->sock_v6only)
		FF_ASSERT(udp_setsockopt(f->us[f->nus], UDP_IP6_V6ONLY, 1) == 0,
			  "V6ONLY");
	f->us_queued[f->nus] = 0;
	if (!f->udp_sock_size)
		f->udp_sock_size = heap_bytes -
				   before;
	f->nus++;
}

/**
 * ff_rec_udp() - a UDP socket call of the host
 * @f: the fuzzer's host
 * @rec: op (enum ff_sock_op, socket index in bits 3-4), arg
 */
static void ff_rec_udp(struct ff *f, const uint8_t *rec)
{
	static uint8_t buf[4096];
	unsigned op = rec[0] & 7, i = f->nus ? (rec[0] >> 3 & 3) % f->nus : 0;
	struct udp_sock *us = f->nus ? f->us[i] : NULL;
	struct ip_addr dst = ff_sock_addr(f, rec[1] & 15);
	struct udp_meta m;
	int rc;

	if (op == FS_CONNECT || op == FS_ACCEPT) {
		ff_udp_open(f);
		if (op == FS_CONNECT && f->nus && f->us[f->nus - 1] != us) {
			rc = udp_connect(f->us[f->nus - 1], &dst, 53);
			FF_ASSERT(rc <= 0 && rc > -4096, "udp_connect: %d", rc);
		}
		return;
	}
	if (!us)
		return;
	switch (op) {
	case FS_SEND:
		memset(buf, rec[1], sizeof(buf));
		rc = udp_sendto(us, buf, (rec[1] & 15) * 256u,
				rec[1] & 0x80 ? NULL : &dst, 53, f->now);
		FF_ASSERT(rc <= 4096 && rc > -4096, "udp_sendto: %d", rc);
		break;
	case FS_RECV:
		for (unsigned k = 0; k <= (rec[1] & 7u) &&
				     udp_recv_peek(us, &m); k++)
			udp_recv_next(us);
		ff_drain_errq(udp_dgram(us), rec[1] >> 4);
		break;
	case FS_SHUTDOWN:
		rc = udp_disconnect(us);
		FF_ASSERT(rc <= 0 && rc > -4096, "udp_disconnect: %d", rc);
		break;
	case FS_CLOSE:
	case FS_ABORT:
		udp_close(us);
		f->us[i] = f->us[--f->nus];
		f->us_queued[i] = f->us_queued[f->nus];
		break;
	case FS_SETSOCKOPT:
		if ((rec[1] & 0x0f) == 0x0f) {
			ff_membership(f, udp_dgram(us), rec[1]);
			break;
		}
		if (rec[1] & 8) {
			ff_dgram_opt(f, udp_dgram(us), rec[1]);
			break;
		}
		rc = udp_setsockopt(us, (enum udp_sockopt)(rec[1] % 5),
				    (rec[1] >> 4) * (rec[1] % 5 < 2 ? 1024 : 1));
		FF_ASSERT(rc <= 0 && rc > -4096, "udp_setsockopt: %d", rc);
		break;
	}
}

/* A ping or raw socket for the host; the first of each teaches its cost. */
static void ff_icmp_open(struct ff *f, bool raw)
{
	size_t before = heap_bytes;

	f->icmp_socks = true;
	if (raw && !f->rs &&
	    raw_open(f->s, f->sock_family, f->sock_family == IP_V6 ?
		     IP6_NH_ICMPV6 : IP_PROTO_ICMP, &f->rs) == 0) {
		f->rs_queued = 0;
		if (!f->raw_sock_size)
			f->raw_sock_size = heap_bytes - before;
	} else if (!raw && !f->ps &&
		   ping_open(f->s, f->sock_family, &f->ps) == 0) {
		f->ps_queued = 0;
		if (!f->ping_sock_size)
			f->ping_sock_size = heap_bytes - before;
	}
}

/* An echo request of @len bytes (ICMP checksum set for raw sockets). */
static int ff_icmp_send(struct ff *f, bool raw, const struct ip_addr *dst,
			size_t len, bool connected)
{
	static uint8_t buf[1024];
	struct icmp_hdr h = { .type = f->sock_family == IP_V6 ?
				      ICMP6_ECHO_REQUEST : ICMP_ECHO,
			      .rest = 0x12340001 };
	struct dgram_tx tx = { .ttl = (int)(len & 3) + 1, .tos = -1 };

	memset(buf, (int)len, len);
	icmp_build(buf, len, &h);       /* IPv6: the stack's checksum */
	if (len & 4)
		ff_ttl_seen(f, tx.ttl);
	if (raw)
		return raw_sendmsg(f->rs, buf, len, connected ? NULL : dst,
				   len & 4 ? &tx : NULL, f->now);
	return ping_sendmsg(f->ps, buf, len, connected ? NULL : dst,
			    len & 4 ? &tx : NULL, f->now);
}

/**
 * ff_rec_icmp() - a call on the host's ping socket (bit 3 clear) or raw
 * ICMP socket (bit 3 set)
 * @f: the fuzzer's host
 * @rec: op (enum ff_sock_op), arg
 */
static void ff_rec_icmp(struct ff *f, const uint8_t *rec)
{
	unsigned op = rec[0] & 7;
	bool raw = rec[0] & 8;
	struct dgram *dg = raw ? (f->rs ? raw_dgram(f->rs) : NULL)
			       : (f->ps ? ping_dgram(f->ps) : NULL);
	struct ip_addr dst = ff_sock_addr(f, rec[1] & 15);
	struct dgram_info in;
	size_t len;
	int rc = 0;

	if (op == FS_ACCEPT) {
		ff_icmp_open(f, raw);
		return;
	}
	if (!dg)
		return;
	switch (op) {
	case FS_CONNECT:
		rc = raw ? raw_connect(f->rs, &dst, 0) :
			   ping_connect(f->ps, &dst, 0);
		break;
	case FS_SEND:
		rc = ff_icmp_send(f, raw, &dst, 8 + (rec[1] >> 4) * 60u,
				  rec[1] & 0x80);
		break;
	case FS_RECV:
		for (unsigned k = 0; k <= (rec[1] & 7u) &&
				     dgram_recv_peek(dg, &in, &len); k++)
			dgram_recv_next(dg);
		ff_drain_errq(dg, rec[1] >> 4);
		break;
	case FS_SHUTDOWN:
		rc = raw ? raw_disconnect(f->rs) : ping_disconnect(f->ps);
		break;
	case FS_CLOSE:
	case FS_ABORT:
		if (raw) {
			raw_close(f->rs);
			f->rs = NULL;
		} else {
			ping_close(f->ps);
			f->ps = NULL;
		}
		break;
	case FS_SETSOCKOPT:
		if (raw && (rec[1] & 8))
			rc = raw_set_icmp_filter(f->rs, rec[1] * 0x01010101u);
		else
			ff_dgram_opt(f, dg, rec[1]);
		break;
	}
	FF_ASSERT(rc <= 0 && rc > -4096, "ICMP socket op %u: %d", op, rc);
}

static void ff_sock_drop(struct ff *f, unsigned i)
{
	f->sk[i] = f->sk[--f->nsk];
}

/**
 * ff_rec_sock() - a socket call of the host
 * @f: the fuzzer's host
 * @rec: op (enum ff_sock_op, socket index in bits 3-5), arg
 *
 * The calls' results are the host's business; they only have to be sane.
 */
static void ff_rec_sock(struct ff *f, const uint8_t *rec)
{
	static uint8_t buf[256 * 64];
	unsigned op = rec[0] & 7, i = f->nsk ? (rec[0] >> 3 & 7) % f->nsk : 0;
	size_t n = (rec[1] + 1u) * 64;
	struct tcp_sock *sk = f->nsk ? f->sk[i] : NULL, *child;
	ssize_t rc;

	switch (op) {
	case FS_ACCEPT:
		while (sk && f->nsk < 8 && tcp_accept(sk, &child) == 0)
			f->sk[f->nsk++] = child;
		return;
	case FS_CONNECT:
		if (f->nsk == 8 || tcp_open(f->s, f->sock_family, &child, f->now))
			return;
		if (f->sock_v6only)
			FF_ASSERT(tcp_setsockopt(child, TCP_IP6_V6ONLY, 1,
						 f->now) == 0, "V6ONLY");
		if (rec[1] & 0x10) {
			/* an odd port: MSG_FASTOPEN with 100 bytes, all of
			 * them or only what the SYN takes */
			size_t taken = 0;

			memset(buf, 'f', 100);
			rc = tcp_connect_data(child, &(struct ip_addr[]){
						      ff_sock_addr(f, rec[1] & 15) }[0],
					      80 + (rec[1] >> 4), buf, 100,
					      rec[1] & 0x20, &taken, f->now);
			FF_ASSERT(taken <= 100, "tcp_connect_data took %zu",
				  taken);
		} else {
			rc = tcp_connect(child, &(struct ip_addr[]){
						 ff_sock_addr(f, rec[1] & 15) }[0],
					 80 + (rec[1] >> 4), f->now);
		}
		FF_ASSERT(rc <= 0 && rc > -4096, "tcp_connect: %zd", rc);
		f->sk[f->nsk++] = child;
		return;
	default:
		break;
	}
	if (!sk)
		return;
	switch (op) {
	case FS_SEND:
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)(k * 7 + rec[1]);
		rc = tcp_send(sk, buf, n, f->now);
		FF_ASSERT(rc <= (ssize_t)n && rc > -4096, "tcp_send: %zd", rc);
		break;
	case FS_RECV:
		rc = tcp_recv(sk, buf, n, rec[1] & 1 ? TCP_RECV_PEEK : 0, f->now);
		FF_ASSERT(rc <= (ssize_t)n && rc > -4096, "tcp_recv: %zd", rc);
		break;
	case FS_SHUTDOWN:
		rc = tcp_shutdown(sk, rec[1] % 3, f->now);
		FF_ASSERT(rc <= 0 && rc > -4096, "tcp_shutdown: %zd", rc);
		break;
	case FS_CLOSE:
		tcp_close(sk, f->now);
		ff_sock_drop(f, i);
		break;
	case FS_ABORT:
		tcp_abort(sk, f->now);
		ff_sock_drop(f, i);
		break;
	case FS_SETSOCKOPT:
		rc = tcp_setsockopt(sk, (enum tcp_sockopt)(rec[1] % 13),
				    (rec[1] >> 4) * (rec[1] % 13 < 2 ? 4096 : 1),
				    f->now);
		FF_ASSERT(rc <= 0 && rc > -4096, "tcp_setsockopt: %zd", rc);
		break;
	}
}

/* Move the clock on; it stops short of where 64 bits would wrap. */
static void ff_time(struct ff *f, uint64_t ns)
{
	if (ns < (1ull << 62) - f->now)
		f->now += ns;
}

/* FF_COUNTERS=1 in the environment: what an input did, to write seeds. */
static void ff_print_counters(const struct ff *f)
{
	const struct stack_counters *c = stack_counters(f->s);

	if (heap_known)
		fprintf(stderr, "heap %zu bytes\n", heap_bytes);
	for (unsigned i = 0; i < stack_counter_count; i++) {
		uint64_t v;

		memcpy(&v, (const char *)c + stack_counter_desc[i].offset,
		       sizeof(v));
		if (v)
			fprintf(stderr, "%s_%s %llu\n", stack_counter_desc[i].group,
				stack_counter_desc[i].name, (unsigned long long)v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ff *f = &ff;
	static const uint64_t units[4] = { 1000, NSEC_PER_MSEC,
					   100 * NSEC_PER_MSEC,
					   10 * NSEC_PER_SEC };
	uint8_t cfg[FF_CFG_LEN] = { 0 };
	uint64_t deadline = STACK_NO_DEADLINE;
	size_t pos = size < FF_CFG_LEN ? size : FF_CFG_LEN;

	if (!heap_known && __sanitizer_install_malloc_and_free_hooks &&
	    __sanitizer_get_allocated_size)
		heap_known = __sanitizer_install_malloc_and_free_hooks(
			ff_malloc_hook, ff_free_hook) != 0;
	heap_bytes = 0;
	heap_counting = true;
	memcpy(cfg, data, pos);
	if (ff_setup(f, cfg)) {
		heap_counting = false;
		return 0;
	}
	ff_check_state(f, deadline);
	while (pos < size && f->injected < FF_MAX_INJECT) {
		uint8_t k = data[pos];
		unsigned kind = (k & 15) % FF_KINDS;
		const uint8_t *rec = data + pos + 1;
		size_t len = 0;

		if (size - pos - 1 < ff_rec_len[kind])
			break;
		pos += 1 + ff_rec_len[kind];
		f->tx_step = 0;
		switch (kind) {
		case FF_FRAME:
			len = rec[3] | (size_t)rec[4] << 8;
			if (len > size - pos)
				len = size - pos;
			ff_rec_frame(f, rec, data + pos, len);
			pos += len;
			break;
		case FF_TIME:
			ff_time(f, (rec[0] | (uint64_t)rec[1] << 8) *
				   units[k >> 4 & 3]);
			break;
		case FF_FRAGS:
			ff_rec_frags(f, rec);
			break;
		case FF_REPEAT:
			ff_rec_repeat(f, rec);
			break;
		case FF_RECONF:
			ff_rec_reconf(f, rec);
			break;
		case FF_START:
			stack_start(f->s, f->now);
			break;
		case FF_LINK:
			f->link_fail_every = rec[0] & 7;
			break;
		case FF_SOCK:
			if (rec[0] & 0x80)
				ff_rec_icmp(f, rec);
			else if (rec[0] & 0x40)
				ff_rec_udp(f, rec);
			else
				ff_rec_sock(f, rec);
			break;
		case FF_DEADLINE:
			ff_time(f, deadline == STACK_NO_DEADLINE ? NSEC_PER_SEC :
				   deadline - f->now);
			break;
		}
		deadline = stack_timeout(f->s, f->now);
		ff_check_state(f, deadline);
	}
	if (getenv("FF_COUNTERS"))
		ff_print_counters(f);
	stack_free(f->s);
	f->s = NULL;
	FF_ASSERT(!heap_bytes, "stack_free() left %zu bytes", heap_bytes);
	heap_counting = false;
	return 0;
}
