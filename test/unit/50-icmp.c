/* SPDX-License-Identifier: MIT */
/*
 * 50-icmp.c - ICMP (RFC 792, RFC 1122 3.2.2): echo, what is ignored and
 * counted, the errors we may not send, the error rate limit
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static uint8_t fbuf[70000], msg[70000], got[70000];

static void setup(struct th *t)
{
	th_init(t);
	th_learn(t, TH_PEER, TH_PEER_MAC);
}

static void inject(struct th *t, const uint8_t *eth_dst, const struct th_ip *ip,
		   const void *pl, size_t n)
{
	th_input(t, fbuf, th_ipv4(fbuf, eth_dst, ip, pl, n));
}

/* An echo request to us: exactly the reply RFC 792 describes. */
Test(icmp, echo_reply_exact)
{
	struct th t;
	struct th_ip ip;
	uint8_t data[56], want[64];
	struct ipv4_hdr h;
	const uint8_t *d;
	size_t n, plen;

	setup(&t);
	th_pattern(data, sizeof(data), 1);
	n = th_echo(msg, 0x1234, 0x0001, data, sizeof(data));
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.tos = 0x10;
	t.now += 5 * NSEC_PER_MSEC;
	inject(&t, TH_MAC, &ip, msg, n);
	d = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	th_expect_silence(&t);
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(h.dst, TH_PEER);
	cr_expect_eq(h.proto, IP_PROTO_ICMP);
	cr_expect_eq(h.ttl, 64);
	cr_expect_eq(h.tos, 0x10, "the request's TOS is kept");
	cr_expect_eq(h.frag, 0);
	th_icmp(want, ICMP_ECHO_REPLY, 0, 0x12340001, data, sizeof(data));
	cr_assert_eq(plen, sizeof(want));
	cr_expect_arr_eq(d, want, sizeof(want), "echo reply bytes");
	cr_expect_eq(th_cnt(&t)->icmp_rx, 1);
	cr_expect_eq(th_cnt(&t)->icmp_rx_echo_req, 1);
	cr_expect_eq(th_cnt(&t)->icmp_tx_echo_reply, 1);
	cr_expect_eq(th_cnt(&t)->ip_rx_delivered, 1);
	th_fini(&t);
}

/* Odd length data and no data at all. */
Test(icmp, echo_odd_and_empty)
{
	static const size_t lens[] = { 0, 1, 7, 1471, 1472 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct th t;
		struct th_ip ip;
		uint8_t data[1472], want[1480];
		struct ipv4_hdr h;
		const uint8_t *d;
		size_t n, plen;

		setup(&t);
		th_pattern(data, lens[i], 3);
		n = th_echo(msg, 7, (uint16_t)i, data, lens[i]);
		th_ip_default(&ip, IP_PROTO_ICMP);
		inject(&t, TH_MAC, &ip, msg, n);
		d = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
		th_icmp(want, ICMP_ECHO_REPLY, 0, 7u << 16 | (uint16_t)i, data,
			lens[i]);
		cr_assert_eq(plen, n, "length %zu", lens[i]);
		cr_expect_arr_eq(d, want, n, "length %zu", lens[i]);
		th_fini(&t);
	}
}

/* From a peer we do not know yet: ask, then answer. */
Test(icmp, echo_from_unknown_peer_resolves)
{
	struct th t;
	struct th_ip ip;
	struct ipv4_hdr h;
	size_t n, plen;
	const uint8_t *d;
	uint8_t f[64];

	th_init(&t);
	n = th_echo(msg, 1, 2, "ping", 4);
	th_ip_default(&ip, IP_PROTO_ICMP);
	inject(&t, TH_MAC, &ip, msg, n);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	th_expect_silence(&t);
	t.now += NSEC_PER_MSEC;
	th_input(&t, f, th_arp(f, TH_MAC, ARP_OP_REPLY, TH_PEER_MAC, TH_PEER,
			       TH_MAC, TH_IP));
	d = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(d[0], ICMP_ECHO_REPLY);
	cr_expect_arr_eq(d + ICMP_HLEN, "ping", 4);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_fini(&t);
}

Test(icmp, echo_to_second_address)
{
	struct stack_config cfg;
	struct th t;
	struct th_ip ip;
	struct ipv4_hdr h;
	size_t n, plen;

	th_config(&cfg);
	cfg.naddr = 2;
	cfg.addr[1].addr = IPV4(192, 0, 2, 9);
	cfg.addr[1].prefix = 24;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	n = th_echo(msg, 1, 2, "x", 1);
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.dst = IPV4(192, 0, 2, 9);
	inject(&t, TH_MAC, &ip, msg, n);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.src, IPV4(192, 0, 2, 9), "answered from the address asked");
	th_fini(&t);
}

/* 20000 bytes of echo data arrive in fragments and leave in fragments. */
Test(icmp, big_echo_fragmented_both_ways)
{
	static uint8_t data[20000];
	struct th t;
	struct th_ip ip;
	struct ipv4_hdr h;
	struct icmp_hdr ih;
	unsigned nfrag;
	size_t n, len;

	setup(&t);
	th_pattern(data, sizeof(data), 5);
	n = th_echo(msg, 0xbeef, 9, data, sizeof(data));
	th_ip_default(&ip, IP_PROTO_ICMP);
	for (size_t off = 0; off < n; off += 1480)
		th_inject_frag(&t, &ip, msg, off,
			       off + 1480 < n ? 1480 : n - off, off + 1480 < n);
	cr_expect_eq(th_cnt(&t)->frag_rx, 14);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 1);
	len = th_collect(&t, TH_PEER_MAC, got, sizeof(got), &h, &nfrag);
	th_expect_silence(&t);
	cr_expect_eq(nfrag, 14, "20008 bytes: 13 x 1480 + 768");
	cr_assert_eq(len, n);
	cr_assert_eq(icmp_parse(got, len, &ih), 0, "reply checksum");
	cr_expect_eq(ih.type, ICMP_ECHO_REPLY);
	cr_expect_eq(ih.rest, 0xbeef0009);
	cr_expect_arr_eq(got + ICMP_HLEN, data, sizeof(data));
	cr_expect_eq(th_cnt(&t)->ip_tx_fragmented, 1);
	cr_expect_eq(th_cnt(&t)->ip_tx_fragments, 14);
	th_fini(&t);
}

/* Echo requests to a broadcast (IP or Ethernet) are ignored, counted. */
Test(icmp, broadcast_echo_ignored)
{
	static const uint32_t dst[] = { IPV4_BROADCAST, TH_BCAST, TH_IP };
	struct th t;
	struct th_ip ip;
	size_t n;

	setup(&t);
	n = th_echo(msg, 1, 1, "smurf", 5);
	for (size_t i = 0; i < 3; i++) {
		th_ip_default(&ip, IP_PROTO_ICMP);
		ip.dst = dst[i];
		inject(&t, eth_broadcast, &ip, msg, n);
	}
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.dst = TH_BCAST;
	inject(&t, TH_MAC, &ip, msg, n);        /* unicast frame, IP broadcast */
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->icmp_rx_echo_req, 4);
	cr_expect_eq(th_cnt(&t)->icmp_rx_echo_bcast, 4);
	cr_expect_eq(th_cnt(&t)->icmp_tx_echo_reply, 0);
	th_fini(&t);
}

Test(icmp, bad_checksum_and_short)
{
	struct th t;
	struct th_ip ip;
	size_t n;

	setup(&t);
	n = th_echo(msg, 1, 1, "abcd", 4);
	msg[9] ^= 1;
	th_ip_default(&ip, IP_PROTO_ICMP);
	inject(&t, TH_MAC, &ip, msg, n);
	cr_expect_eq(th_cnt(&t)->icmp_rx_bad_cksum, 1);
	inject(&t, TH_MAC, &ip, msg, 7);
	cr_expect_eq(th_cnt(&t)->icmp_rx_short, 1);
	inject(&t, TH_MAC, &ip, msg, 0);
	cr_expect_eq(th_cnt(&t)->icmp_rx_short, 2);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->icmp_rx, 3);
	cr_expect_eq(th_cnt(&t)->icmp_rx_echo_req, 0);
	th_fini(&t);
}

/* Messages we only count; none is answered. */
Test(icmp, other_types_counted)
{
	struct th t;
	struct th_ip ip;
	uint8_t quote[28] = { 0x45 };

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	inject(&t, TH_MAC, &ip, msg, th_icmp(msg, ICMP_ECHO_REPLY, 0, 5, "a", 1));
	inject(&t, TH_MAC, &ip, msg,
	       th_icmp(msg, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, quote, 28));
	inject(&t, TH_MAC, &ip, msg,
	       th_icmp(msg, ICMP_TIME_EXCEEDED, 0, 0, quote, 28));
	inject(&t, TH_MAC, &ip, msg, th_icmp(msg, 13, 0, 0, quote, 12));
	inject(&t, TH_MAC, &ip, msg, th_icmp(msg, 5, 1, TH_GW, quote, 28));
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->icmp_rx_echo_reply, 1);
	cr_expect_eq(th_cnt(&t)->icmp_rx_unreach, 1);
	cr_expect_eq(th_cnt(&t)->icmp_rx_time_exceeded, 1);
	cr_expect_eq(th_cnt(&t)->icmp_rx_other, 2);
	cr_expect_eq(th_cnt(&t)->icmp_rx, 5);
	th_fini(&t);
}

/* Send one datagram of unknown protocol; return 1 if it was answered. */
static int poke(struct th *t)
{
	struct th_ip ip;
	unsigned before = th_queued(t);

	th_ip_default(&ip, 253);
	inject(t, TH_MAC, &ip, "data", 4);
	if (th_queued(t) == before)
		return 0;
	cr_assert_eq(th_queued(t), before + 1);
	cr_assert_eq(th_pop(t)->data[ETH_HLEN + IPV4_HLEN], ICMP_UNREACH);
	return 1;
}

static void echo_answered(struct th *t)
{
	struct th_ip ip;
	size_t n = th_echo(msg, 1, 1, NULL, 0);

	th_ip_default(&ip, IP_PROTO_ICMP);
	inject(t, TH_MAC, &ip, msg, n);
	cr_assert_eq(th_queued(t), 1, "echo reply");
	cr_assert_eq(th_pop(t)->data[ETH_HLEN + IPV4_HLEN], ICMP_ECHO_REPLY);
}

/* RFC 1812 4.3.2.8: a burst of icmp_burst, then icmp_rate per second,
 * over virtual time. */
Test(icmp, error_rate_limit)
{
	struct stack_config cfg;
	struct th t;
	int sent = 0;

	th_config(&cfg);
	cfg.icmp_rate = 10;
	cfg.icmp_burst = 3;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	for (int i = 0; i < 5; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 3, "the burst");
	cr_expect_eq(th_cnt(&t)->icmp_tx_ratelimited, 2);
	echo_answered(&t);      /* echo replies are not limited */

	/* 10 per second: 99 ms are 0.99 token, 100 ms one */
	t.now += 99 * NSEC_PER_MSEC;
	cr_expect_eq(poke(&t), 0);
	t.now += 1 * NSEC_PER_MSEC;
	cr_expect_eq(poke(&t), 1, "0.99 + 0.01 token");
	cr_expect_eq(poke(&t), 0);
	/* a long silence refills up to the burst, not beyond */
	t.now += 3600 * NSEC_PER_SEC;
	th_learn(&t, TH_PEER, TH_PEER_MAC);     /* the old answer aged out */
	sent = 0;
	for (int i = 0; i < 10; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 3);
	cr_expect_eq(th_cnt(&t)->icmp_tx_unreach, 7);
	cr_expect_eq(th_cnt(&t)->icmp_tx_ratelimited, 2 + 1 + 1 + 7);
	/* steady state: one every 100 ms */
	sent = 0;
	for (int i = 0; i < 20; i++) {
		t.now += 50 * NSEC_PER_MSEC;
		sent += poke(&t);
	}
	cr_expect_eq(sent, 10);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE,
		     "the bucket needs no timer");
	th_fini(&t);
}

/* A large icmp_rate: the refill must saturate, not wrap around. After
 * 9223372037 ns at 4e9 tokens per second the product passes 2^65 and
 * would wrap to 0.58 token. */
Test(icmp, rate_limit_large_rate_no_overflow)
{
	struct stack_config cfg;
	struct th t;
	int sent = 0;

	th_config(&cfg);
	cfg.icmp_rate = 4000000000u;
	cfg.icmp_burst = 10;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	for (int i = 0; i < 12; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 10);
	t.now += 9223372037ull;
	sent = 0;
	for (int i = 0; i < 12; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 10, "the bucket refilled to its burst");
	t.now += 1;                     /* 1 ns: 4 tokens */
	sent = 0;
	for (int i = 0; i < 6; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 4);
	th_fini(&t);
}

/* A burst lowered while running (what stack_reconfigure() does) takes
 * effect at once: a fuller bucket is cut down to the new burst. */
Test(icmp, rate_limit_burst_lowered)
{
	struct stack_config cfg;
	struct th t;
	int sent = 0;

	th_config(&cfg);
	cfg.icmp_rate = 10;
	cfg.icmp_burst = 10;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	t.s->cfg.icmp_burst = 2;
	for (int i = 0; i < 5; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 2);
	t.now += 10 * NSEC_PER_SEC;
	sent = 0;
	for (int i = 0; i < 5; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 2, "refills to the new burst only");
	th_fini(&t);
}

/* icmp_rate 0: the burst, and never more. */
Test(icmp, rate_limit_zero_rate)
{
	struct stack_config cfg;
	struct th t;
	int sent = 0;

	th_config(&cfg);
	cfg.icmp_rate = 0;
	cfg.icmp_burst = 2;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	for (int i = 0; i < 4; i++)
		sent += poke(&t);
	t.now += 3600 * NSEC_PER_SEC;
	for (int i = 0; i < 4; i++)
		sent += poke(&t);
	cr_expect_eq(sent, 2);
	th_fini(&t);
}

/* Build a datagram from the peer (or as @ip says) with an ICMP message or
 * a payload in fbuf; return its length from the IPv4 header on. */
static size_t orig_datagram(const struct th_ip *ip, const void *pl, size_t n)
{
	return th_ipv4(fbuf, TH_MAC, ip, pl, n) - ETH_HLEN;
}

/* RFC 1122 3.2.2: never an error about an ICMP error, a broadcast or
 * multicast, a non-initial fragment, or a source that is no host; and a
 * suppressed error spends no token. */
Test(icmp, errors_never_sent)
{
	struct stack_config cfg;
	struct th t;
	struct th_ip ip;
	uint8_t quote[28] = { 0x45 };
	const uint8_t *o = fbuf + ETH_HLEN;
	size_t n;

	th_config(&cfg);
	cfg.icmp_burst = 1;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	t.s->now = t.now;

	static const uint8_t errs[] = { ICMP_UNREACH, ICMP_TIME_EXCEEDED,
					ICMP_PARAM_PROBLEM, 4, 5 };
	for (size_t i = 0; i < sizeof(errs); i++) {
		th_ip_default(&ip, IP_PROTO_ICMP);
		n = orig_datagram(&ip, msg, th_icmp(msg, errs[i], 0, 0, quote, 28));
		cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, ICMP_UNREACH_PROTO,
					     0, o, n), 1, "about type %u", errs[i]);
	}
	th_ip_default(&ip, 253);
	ip.dst = TH_BCAST;
	n = orig_datagram(&ip, "x", 1);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 1);
	ip.dst = IPV4_BROADCAST;
	n = orig_datagram(&ip, "x", 1);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 1);
	ip.dst = IPV4(224, 0, 0, 9);
	n = orig_datagram(&ip, "x", 1);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 1);
	th_ip_default(&ip, 253);
	ip.src = 0;
	n = orig_datagram(&ip, "x", 1);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 1);
	ip.src = TH_BCAST;
	n = orig_datagram(&ip, "x", 1);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 1);
	th_ip_default(&ip, 253);
	ip.frag = 185;                                  /* offset 1480 */
	n = orig_datagram(&ip, "x", 1);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 1);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, 19), 1,
		     "too short to be a datagram");
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->icmp_tx_ratelimited, 0);

	/* the one token is still there: an error about an echo request, or
	 * about the first fragment, may be sent */
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.frag = IP_FLAG_MF;
	n = orig_datagram(&ip, msg, th_echo(msg, 1, 1, "x", 1));
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 0);
	cr_expect_eq(th_queued(&t), 1);
	th_pop(&t);
	cr_expect_eq(icmp_send_error(t.s, ICMP_UNREACH, 2, 0, o, n), 1,
		     "and that spent the burst");
	cr_expect_eq(th_cnt(&t)->icmp_tx_ratelimited, 1);
	th_expect_silence(&t);
	th_fini(&t);
}

/* The same inputs at the same times give the same bytes: the random
 * source is seeded, and nothing reads a clock. */
Test(icmp, deterministic)
{
	static uint8_t first[4][2048];
	static size_t first_len[4];

	for (int run = 0; run < 2; run++) {
		struct th t;
		struct th_ip ip;
		size_t n = th_echo(msg, 3, 4, "same", 4);

		setup(&t);
		th_ip_default(&ip, IP_PROTO_ICMP);
		inject(&t, TH_MAC, &ip, msg, n);
		th_ip_default(&ip, 253);
		inject(&t, TH_MAC, &ip, msg, n);
		th_output(&t, TH_FAR, 10, 1, false);
		cr_assert_eq(th_queued(&t), 3);
		for (int i = 0; i < 3; i++) {
			struct th_frame *f = th_pop(&t);

			if (run == 0) {
				memcpy(first[i], f->data, f->len);
				first_len[i] = f->len;
			} else {
				cr_expect_eq(f->len, first_len[i]);
				cr_expect_arr_eq(f->data, first[i], f->len,
						 "frame %d differs", i);
			}
		}
		th_fini(&t);
	}
}
