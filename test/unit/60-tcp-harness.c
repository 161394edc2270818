/* SPDX-License-Identifier: MIT */
/* 60-tcp-harness.c - the fake peer of the scripted TCP tests */
#include "60-tcp-harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "eth.h"
#include "icmp6.h"
#include "ipv4.h"
#include "ipv6.h"

struct th T;

static const uint8_t us_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/*
 * What the peer keeps of the engine's frames: IPv4 and IPv6 datagrams, but
 * not ARP, Neighbour Discovery or MLD (the peer is known, the groups are
 * the engine's business): a trace shows only what the transports send.
 */
static bool th_frame_kept(const uint8_t *frame, size_t len)
{
	uint16_t type;

	if (len < 14)
		return false;
	type = get16(frame + 12);
	if (type == ETH_P_IP)
		return true;
	if (type != ETH_P_IPV6 || len < 14 + IPV6_HLEN + 1)
		return false;
	if (frame[14 + 6] == 0)
		return false;           /* hop-by-hop: MLD */
	if (frame[14 + 6] != IP6_NH_ICMPV6)
		return true;
	return !(frame[14 + IPV6_HLEN] >= ICMP6_MLD_QUERY &&
		 frame[14 + IPV6_HLEN] <= ICMP6_MLD2_REPORT);
}

static int th_link_output(void *ctx, unsigned ifindex, const uint8_t *frame,
			  size_t len, const struct gso_tx *gso);

static int th_link_segment(void *arg, const uint8_t *seg, size_t len)
{
	return th_link_output(arg, 1, seg, len, NULL);
}

static int th_link_output(void *ctx, unsigned ifindex, const uint8_t *frame,
			  size_t len, const struct gso_tx *gso)
{
	struct th_frame *f;

	if (gso) {
		static uint8_t seg[1600];

		cr_assert(T.gso, "a frame of segments to a link that cuts none");
		cr_assert_gt(len, gso->hdr_len + gso->gso_size);
		T.gso_frames++;
		cr_assert_eq(gso_segment(frame, len, gso, seg, sizeof(seg),
					 th_link_segment, ctx), 0);
		return 0;
	}
	if (!th_frame_kept(frame, len))
		return 0;
	cr_assert_lt(T.tail - T.head, TH_MAXOUT, "too many frames queued");
	f = &T.out[T.tail++ % TH_MAXOUT];
	cr_assert_leq(len, sizeof(f->data));
	memcpy(f->data, frame, len);
	f->len = len;
	return 0;
}

static void th_random(void *ctx, void *buf, size_t len)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		T.rnd = T.rnd * 1103515245u + 12345u;
		b[i] = (uint8_t)(T.rnd >> 16);
	}
}

static void th_sock_event(void *ctx, struct tcp_sock *sk, unsigned events)
{
	T.events |= events;
	T.ev_sk = sk;
}

/* what the host's program has not read of what was passed to it, when a
 * test says (T.unread_known): else "no fewer than passed" */
static uint32_t th_sock_unread(void *ctx, struct tcp_sock *sk)
{
	(void)ctx;
	(void)sk;
	T.unread_asked++;
	return T.unread_known ? T.unread : UINT32_MAX;
}

static const struct stack_ops th_ops = {
	.link_output = th_link_output,
	.random = th_random,
	.sock_event = th_sock_event,
	.sock_unread = th_sock_unread,
};

static void th_inject_frame(const uint8_t *ip, size_t len)
{
	uint8_t f[1600];

	memcpy(f, us_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, (ip[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP);
	memcpy(f + 14, ip, len);
	stack_input_copy(T.s, 1, f, len + 14, T.now);
}

/**
 * th_inject_ip() - the peer sends a datagram of the run's family to us
 * @proto: the upper-layer protocol
 * @l4: its bytes (the checksum done by the caller)
 * @len: their count
 */
void th_inject_ip(uint8_t proto, const void *l4, size_t len)
{
	uint8_t ip[1600];
	size_t hlen = T.family == IP_V6 ? IPV6_HLEN : IPV4_HLEN;

	cr_assert_leq(hlen + len, sizeof(ip));
	if (T.family == IP_V6) {
		struct ipv6_hdr h = { .nh = proto, .hlim = T.ttl ? T.ttl : 64,
				      .plen = (uint16_t)len, .tclass = T.tos };

		memcpy(h.src, th_peer().v6, 16);
		memcpy(h.dst, th_us().v6, 16);
		ipv6_build(ip, &h);
	} else {
		struct ipv4_hdr h = { .ttl = T.ttl ? T.ttl : 64, .proto = proto,
				      .tos = T.tos,
				      .src = TH_PEER, .dst = TH_US,
				      .total_len = (uint16_t)(IPV4_HLEN + len) };

		ipv4_build(ip, &h);
	}
	memcpy(ip + hlen, l4, len);
	th_inject_frame(ip, hlen + len);
}

/* The peer's Neighbour Solicitation or Advertisement (RFC 4861 4.3, 4.4)
 * about itself, to our unicast address */
static void th_nd_from_peer(uint8_t type)
{
	uint8_t m[ICMP6_HLEN + 24] = { 0 };
	struct ip_addr us = th_us(), peer = th_peer();
	struct icmp6_hdr h = { .type = type };

	memcpy(m + ICMP6_HLEN, type == ND_NEIGHBOR_SOLICIT ? us.v6 : peer.v6,
	       16);
	m[ICMP6_HLEN + 16] = type == ND_NEIGHBOR_SOLICIT ? ND_OPT_SLLA :
							    ND_OPT_TLLA;
	m[ICMP6_HLEN + 17] = 1;
	memcpy(m + ICMP6_HLEN + 18, peer_mac, 6);
	if (type == ND_NEIGHBOR_ADVERT)
		h.rest = (uint32_t)(ND_NA_SOLICITED | ND_NA_OVERRIDE) << 24;
	icmp6_build(m, sizeof(m), &peer, &us, &h);
	{
		uint8_t ip[IPV6_HLEN + sizeof(m)];
		struct ipv6_hdr ih = { .nh = IP6_NH_ICMPV6, .hlim = 255,
				       .plen = sizeof(m) };

		memcpy(ih.src, peer.v6, 16);
		memcpy(ih.dst, us.v6, 16);
		ipv6_build(ip, &ih);
		memcpy(ip + IPV6_HLEN, m, sizeof(m));
		th_inject_frame(ip, sizeof(ip));
	}
}

/* An ARP packet from the peer about itself to us: @op 1 or 2 */
static void th_arp_from_peer(uint16_t op)
{
	uint8_t f[42];

	memcpy(f, op == 1 ? eth_broadcast : us_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 8;
	f[13] = 6;
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, peer_mac, 6);
	put32(f + 28, TH_PEER);
	memcpy(f + 32, op == 1 ? (const uint8_t[6]){ 0 } : us_mac, 6);
	put32(f + 38, TH_US);
	stack_input_copy(T.s, 1, f, sizeof(f), T.now);
}

/*
 * Teach the engine the peer's MAC the way a peer would: an ARP request
 * (learned STALE), then a reply (REACHABLE). Neighbours stay confirmed
 * for the length of any test (see th_setup_cfg), so no ARP probe ever
 * shows among the segments.
 */
static void th_arp_prime(void)
{
	if (T.family == IP_V6) {
		th_nd_from_peer(ND_NEIGHBOR_SOLICIT);
		th_nd_from_peer(ND_NEIGHBOR_ADVERT);
		return;
	}
	th_arp_from_peer(1);
	th_arp_from_peer(2);
}

/* The IPv6 run's addresses (2001:db8::/32, RFC 3849) */
static const uint8_t us6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t peer6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t other6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };

struct ip_addr th_us(void)
{
	return T.family == IP_V6 ? ip6(us6) : ip4(TH_US);
}

struct ip_addr th_peer(void)
{
	return T.family == IP_V6 ? ip6(peer6) : ip4(TH_PEER);
}

struct ip_addr th_other(void)
{
	return T.family == IP_V6 ? ip6(other6) : ip4(IPV4(10, 0, 0, 9));
}

/*
 * What the running test's suite name says: "_v6" (TH_SUITE, TH_TEST) runs
 * over IPv6, "_gso" over IPv4 on a link that cuts frames of segments;
 * any other over IPv4.
 */
static bool th_run_is(const char *suffix)
{
	const char *c = criterion_current_test ?
			criterion_current_test->category : NULL;
	size_t n = c ? strlen(c) : 0, k = strlen(suffix);

	return n > k && !strcmp(c + n - k, suffix);
}

uint32_t th_mtu(void)
{
	return T.family == IP_V6 ? TH_MTU6 : 1500;
}

int th_open(struct tcp_sock **sk)
{
	return tcp_open(T.s, T.family, sk, T.now);
}

void th_setup_cfg(void (*tweak)(struct stack_config *cfg))
{
	struct stack_config cfg;

	if (T.s)  /* a test that wants its own configuration */
		stack_free(T.s);
	memset(&T, 0, sizeof(T));
	T.family = th_run_is("_v6") ? IP_V6 : IP_V4;
	T.gso = th_run_is("_gso");
	T.now = 1000 * TH_SEC;
	T.pport = TH_PEER_PORT;
	stack_config_defaults(&cfg);
	memcpy(cfg.mac, us_mac, 6);
	cfg.naddr = 1;
	cfg.addr[0].addr = TH_US;
	cfg.addr[0].prefix = 24;
	cfg.neigh_reachable = 30ull * 86400 * TH_SEC;
	if (T.family == IP_V6) {
		/* the same MSS as IPv4's at 1500: the traces stay the same */
		cfg.mtu = TH_MTU6;
		cfg.naddr6 = 1;
		memcpy(cfg.addr6[0].addr, us6, 16);
		cfg.addr6[0].prefix = 64;
		cfg.dad_transmits = 0;  /* usable at once */
		cfg.rtr_solicits = 0;
	}
	if (tweak)
		tweak(&cfg);
	if (T.family == IP_V6) {
		/* the start's MLD reports are over before a test begins: an
		 * idle engine has no deadline */
		T.now -= 60 * TH_SEC;
		cr_assert_eq(stack_new(&T.s, &cfg, &th_ops, NULL, T.now), 0);
		stack_start(T.s, T.now);
		th_advance_to(T.now + 60 * TH_SEC);
	} else {
		cr_assert_eq(stack_new(&T.s, &cfg, &th_ops, NULL, T.now), 0);
	}
	if (T.gso)
		stack_set_link_gso(T.s, STACK_GSO_MAX);
	th_arp_prime();
	T.head = T.tail = 0;
}

void th_setup(void)
{
	th_setup_cfg(NULL);
}

/* Every test ends with nothing left behind: run the clock out first. */
void th_teardown(void)
{
	if (!T.s)
		return;
	th_advance(3600 * TH_SEC);
	cr_expect_eq(tcp_sock_count(T.s), 0, "sockets left: %u",
		     tcp_sock_count(T.s));
	cr_expect_eq(tcp_mem_in_use(T.s), 0, "buffer bytes left");
	cr_expect_eq(stack_pool(T.s)->live, 0, "pbufs left: %llu",
		     (unsigned long long)stack_pool(T.s)->live);
	stack_free(T.s);
	T.s = NULL;
}

static size_t th_opts(const struct th_seg *sg, uint8_t *o)
{
	size_t n = 0;

	if (sg->mss >= 0) {
		o[n++] = TCPOPT_MSS;
		o[n++] = 4;
		put16(o + n, (uint16_t)sg->mss);
		n += 2;
	}
	if (sg->sackok) {
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = 2;
	}
	if (sg->ts) {
		o[n++] = TCPOPT_TS;
		o[n++] = 10;
		put32(o + n, sg->tsval);
		put32(o + n + 4, sg->tsecr == TH_ANY ? 0 : sg->tsecr);
		n += 8;
	}
	if (sg->ws >= 0) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_WS;
		o[n++] = 3;
		o[n++] = (uint8_t)sg->ws;
	}
	if (sg->tfo) {
		o[n++] = TCPOPT_FASTOPEN;
		o[n++] = (uint8_t)(2 + sg->tfo_len);
		if (sg->tfo_len)
			memcpy(o + n, sg->tfo_cookie, sg->tfo_len);
		n += sg->tfo_len;
	}
	if (sg->nsack) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * sg->nsack);
		for (unsigned i = 0; i < sg->nsack; i++) {
			put32(o + n, sg->sack[i][0]);
			put32(o + n + 4, sg->sack[i][1]);
			n += 8;
		}
	}
	while (n % 4)
		o[n++] = TCPOPT_EOL;
	return n;
}

void th_inject(const struct th_seg *sg)
{
	uint8_t t[1600];
	size_t olen = th_opts(sg, t + TCP_HLEN);
	size_t tl = TCP_HLEN + olen + sg->len;
	struct ip_addr us = th_us(), peer = th_peer();
	uint32_t sum;

	put16(t, sg->sport ? sg->sport : T.pport);
	put16(t + 2, sg->dport ? sg->dport : T.lport);
	put32(t + 4, sg->seq);
	put32(t + 8, sg->ack);
	t[12] = (uint8_t)((TCP_HLEN + olen) / 4 << 4);
	t[13] = sg->flags;
	put16(t + 14, (uint16_t)(sg->wnd == TH_ANY ? 65535 : sg->wnd));
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (sg->len)
		memcpy(t + TCP_HLEN + olen, sg->data, sg->len);
	sum = ip_pseudo_sum(&peer, &us, IP_PROTO_TCP, (uint32_t)tl);
	put16(t + 16, inet_fold(inet_sum(t, tl, sum)));
	th_inject_ip(IP_PROTO_TCP, t, tl);
}

/*
 * The transport bytes of a frame the engine sent to the peer, after the
 * checks of its network header: of the run's family, to the peer, of
 * protocol @proto, whole (IPv4 with DF set, IPv6 without a fragment
 * header: TCP segments are sized to the path), the checksum right.
 * Return: the upper-layer bytes (@len set to their count)
 */
const uint8_t *th_frame_l4(const struct th_frame *f, uint8_t proto,
			   size_t *len)
{
	const uint8_t *ip = f->data + 14;
	struct ip_addr src, dst, peer = th_peer();
	const uint8_t *l4;

	if (T.family == IP_V6) {
		struct ipv6_hdr h;

		cr_assert_eq(get16(f->data + 12), ETH_P_IPV6, "not IPv6");
		cr_assert_eq(ipv6_parse(ip, f->len - 14, &h), IPV6_OK);
		cr_assert_eq(h.nh, proto, "next header %u, want %u", h.nh, proto);
		cr_assert_eq(f->len, 14 + IPV6_HLEN + h.plen);
		src = ip6(h.src);
		dst = ip6(h.dst);
		l4 = ip + IPV6_HLEN;
		*len = h.plen;
	} else {
		struct ipv4_hdr h;

		cr_assert_eq(get16(f->data + 12), ETH_P_IP, "not IPv4");
		cr_assert_eq(ipv4_parse(ip, f->len - 14, &h), 0);
		cr_assert_eq(h.proto, proto, "protocol %u, want %u", h.proto,
			     proto);
		if (proto == IP_PROTO_TCP)
			cr_assert(h.frag & IP_FLAG_DF, "TCP is sent with DF");
		src = ip4(h.src);
		dst = ip4(h.dst);
		l4 = ip + h.hlen;
		*len = h.total_len - h.hlen;
	}
	cr_assert(ip_addr_eq(&dst, &peer), "not to the peer");
	if (proto != IP_PROTO_ICMP)
		cr_assert_eq(inet_fold(inet_sum(l4, *len, ip_pseudo_sum(
				&src, &dst, proto, (uint32_t)*len))), 0,
			     "checksum");
	return l4;
}

unsigned th_pending(void)
{
	return T.tail - T.head;
}

struct tcp_seg th_expect(const struct th_seg *w)
{
	struct tcp_seg g;
	const uint8_t *l4;
	size_t len;

	cr_assert_gt(th_pending(), 0, "expected a segment (flags 0x%x seq %u), got nothing",
		     w->flags, w->seq);
	{
		const uint8_t *ip = T.out[T.head % TH_MAXOUT].data + 14;

		T.last_tos = T.family == IP_V6 ?
			     (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4) : ip[1];
	}
	l4 = th_frame_l4(&T.out[T.head++ % TH_MAXOUT], IP_PROTO_TCP, &len);
	cr_assert_eq(tcp_parse(l4, len, &g), 0);
	cr_assert_eq(g.flags, w->flags, "flags 0x%x, want 0x%x (seq %u ack %u len %u)",
		     g.flags, w->flags, g.seq, g.ack, g.len);
	if (w->seq != TH_ANY)
		cr_assert_eq(g.seq, w->seq, "seq %u, want %u", g.seq, w->seq);
	if (w->ack != TH_ANY && (w->flags & TCP_ACK))
		cr_assert_eq(g.ack, w->ack, "ack %u, want %u", g.ack, w->ack);
	if (w->wnd != TH_ANY)
		cr_assert_eq(g.wnd, w->wnd, "window %u, want %u", g.wnd, w->wnd);
	cr_assert_eq(g.len, w->len, "payload %u, want %u", g.len, w->len);
	if (w->data && w->len)
		cr_assert(!memcmp(g.data, w->data, w->len), "payload differs");
	if (w->mss >= 0)
		cr_assert(g.has_mss && g.mss == w->mss, "mss %d, want %d",
			  g.has_mss ? g.mss : -1, w->mss);
	if (w->ws >= 0)
		cr_assert(g.has_ws && g.ws == w->ws, "wscale");
	else
		cr_assert(!g.has_ws, "unexpected window scale");
	cr_assert_eq(g.sack_perm, w->sackok, "SACK-permitted");
	cr_assert_eq(g.has_ts, w->ts, "timestamps %d, want %d", g.has_ts, w->ts);
	if (w->ts && w->tsecr != TH_ANY)
		cr_assert_eq(g.tsecr, w->tsecr, "tsecr %u, want %u", g.tsecr, w->tsecr);
	cr_assert_eq(g.has_tfo, w->tfo, "Fast Open option %d, want %d",
		     g.has_tfo, w->tfo);
	if (w->tfo) {
		cr_assert_eq(g.tfo_len, w->tfo_len, "cookie of %u bytes, want %u",
			     g.tfo_len, w->tfo_len);
		if (w->tfo_cookie)
			cr_assert(!memcmp(g.tfo_cookie, w->tfo_cookie,
					  w->tfo_len), "cookie differs");
	}
	cr_assert_eq(g.nsack, w->nsack, "%u SACK blocks, want %u", g.nsack, w->nsack);
	for (unsigned i = 0; i < w->nsack; i++) {
		cr_assert_eq(g.sack[i].start, w->sack[i][0], "SACK %u start", i);
		cr_assert_eq(g.sack[i].end, w->sack[i][1], "SACK %u end", i);
	}
	return g;
}

/* The next segment's raw TCP bytes, without consuming it. */
const uint8_t *th_peek_tcp(size_t *len)
{
	cr_assert_gt(th_pending(), 0);
	return th_frame_l4(&T.out[T.head % TH_MAXOUT], IP_PROTO_TCP, len);
}

void th_expect_none(void)
{
	if (th_pending()) {
		struct tcp_seg g = { 0 };
		const struct th_frame *f = &T.out[T.head % TH_MAXOUT];
		uint8_t nh = T.family == IP_V6 ? f->data[14 + 6] : f->data[14 + 9];
		size_t hl = T.family == IP_V6 ? IPV6_HLEN : IPV4_HLEN;

		if (nh == IP_PROTO_TCP)
			tcp_parse(f->data + 14 + hl, f->len - 14 - hl, &g);
		cr_assert_fail("expected nothing, got protocol %u: flags 0x%x "
			       "seq %u ack %u len %u", nh, g.flags, g.seq,
			       g.ack, g.len);
	}
}

void th_advance_to(uint64_t t)
{
	for (;;) {
		uint64_t next = stack_timeout(T.s, T.now);

		if (next == STACK_NO_DEADLINE || next > t)
			break;
		T.now = next;
	}
	T.now = t;
	stack_timeout(T.s, T.now);
	th_arp_prime();  /* the peer keeps its ARP entry fresh */
}

void th_advance(uint64_t ns)
{
	th_advance_to(T.now + ns);
}

struct th_seg th_tmpl(uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct th_seg s = { .flags = flags, .seq = seq, .ack = ack,
			    .wnd = TH_ANY, .mss = -1, .ws = -1,
			    .tsecr = TH_ANY };

	return s;
}

uint64_t th_counter(const char *name)
{
	const struct stack_counters *c = stack_counters(T.s);

	for (unsigned i = 0; i < stack_counter_count; i++) {
		char full[96];

		snprintf(full, sizeof(full), "%s_%s", stack_counter_desc[i].group,
			 stack_counter_desc[i].name);
		if (!strcmp(full, name))
			return *(const uint64_t *)(const void *)
				((const char *)c + stack_counter_desc[i].offset);
	}
	cr_assert_fail("no counter %s", name);
	return 0;
}

/*
 * Peer SYN (MSS 1460, SACK-permitted, TS if @ts, WS 7) to port 80, our
 * SYN-ACK, peer ACK; the connection is accepted.
 */
uint32_t th_passive_open(struct tcp_sock **l, struct tcp_sock **c,
			 uint32_t peer_isn, bool ts)
{
	return th_passive_open_rtt(l, c, peer_isn, ts, 0);
}

/* th_passive_open() with @rtt between our SYN-ACK and the peer's ACK */
uint32_t th_passive_open_rtt(struct tcp_sock **l, struct tcp_sock **c,
			     uint32_t peer_isn, bool ts, uint64_t rtt)
{
	struct th_seg syn = th_tmpl(TCP_SYN, peer_isn, 0), sa, ack;
	struct tcp_seg g;

	cr_assert_eq(th_open(l), 0);
	cr_assert_eq(tcp_bind(*l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(*l, 16, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	syn.sackok = !T.no_sack;
	syn.ts = ts;
	syn.tsval = 1000;
	syn.tsecr = 0;
	syn.ws = 7;
	syn.wnd = 64240;
	syn.flags |= T.syn_flags;
	th_inject(&syn);
	sa = th_tmpl(TCP_SYN | TCP_ACK | T.synack_flags, TH_ANY, peer_isn + 1);
	sa.mss = 1460;
	sa.sackok = !T.no_sack;
	sa.ts = ts;
	sa.tsecr = ts ? 1000 : TH_ANY;
	sa.ws = 7;
	/* tcp_select_initial_window(): tcp_full_space() (the 131072-byte
	 * buffer's window, half: 65536) rounded down to the MSS less the
	 * timestamps: 45 x 1448, or 44 x 1460 */
	sa.wnd = ts ? 65160 : 64240;
	g = th_expect(&sa);
	if (rtt)
		th_advance(rtt);
	ack = th_tmpl(TCP_ACK, peer_isn + 1, g.seq + 1);
	ack.ts = ts;
	ack.tsval = 1001;
	ack.tsecr = g.tsval;
	ack.wnd = 502;  /* scaled by 7: 64256 */
	th_inject(&ack);
	th_expect_none();
	cr_assert_eq(tcp_accept(*l, c), 0);
	cr_assert_eq(tcp_sock_state(*c), TCP_ESTABLISHED);
	return g.seq;
}

/* The SYN a connect() of ours sends with the defaults: MSS 1460, SACK,
 * timestamps, window scale 7, the window 64240 (as Linux: the 131072-byte
 * buffer's window, 65536, rounded down to 44 x 1460) */
struct th_seg th_our_syn(void)
{
	struct th_seg syn = th_tmpl(TCP_SYN, TH_ANY, 0);

	syn.mss = 1460;
	syn.sackok = syn.ts = true;
	syn.ws = 7;
	syn.wnd = 64240;
	return syn;
}

/* connect() to the peer's port 80; the peer answers SYN-ACK. */
uint32_t th_active_open(struct tcp_sock **c, uint32_t peer_isn, bool ts)
{
	struct th_seg syn = th_our_syn(), sa, ack;
	struct tcp_seg g;

	cr_assert_eq(th_open(c), 0);
	cr_assert_eq(tcp_connect(*c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	syn.tsecr = 0;
	syn.flags |= T.syn_flags;
	g = th_expect(&syn);
	{
		struct ip_addr a;

		tcp_getsockname(*c, &a, &T.lport);
	}
	sa = th_tmpl(TCP_SYN | TCP_ACK | T.synack_flags, peer_isn, g.seq + 1);
	T.pport = 80;
	sa.mss = 1460;
	sa.sackok = true;
	sa.ts = ts;
	sa.tsval = 5000;
	sa.tsecr = g.tsval;
	sa.ws = 7;
	sa.wnd = 65160;
	th_inject(&sa);
	ack = th_tmpl(TCP_ACK, g.seq + 1, peer_isn + 1);
	ack.ts = ts;
	ack.tsecr = ts ? 5000 : TH_ANY;
	ack.wnd = 512;          /* 65536 >> 7 */
	th_expect(&ack);
	cr_assert_eq(tcp_sock_state(*c), TCP_ESTABLISHED);
	cr_assert(T.events & TCP_EV_CONNECTED);
	return g.seq;
}
