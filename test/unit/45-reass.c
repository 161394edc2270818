/* SPDX-License-Identifier: MIT */
/*
 * 45-reass.c - IPv4 reassembly (RFC 791 3.2, RFC 1122 3.3.2): orders,
 * duplicates, overlaps, conflicting ends, time out, bounds, 64 KiB.
 *
 * The datagram reassembled is an ICMP echo request: the echo reply shows
 * what the engine put together, byte for byte.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static uint8_t msg[IPV4_MAX_LEN + 64], got[IPV4_MAX_LEN];

/* An echo request of @n bytes in all (header included) in msg. */
static size_t make_echo(size_t n, unsigned seed)
{
	static uint8_t data[IPV4_MAX_LEN];

	th_pattern(data, n - ICMP_HLEN, seed);
	return th_echo(msg, 0x4242, (uint16_t)seed, data, n - ICMP_HLEN);
}

static void setup(struct th *t)
{
	th_init(t);
	th_learn(t, TH_PEER, TH_PEER_MAC);
}

/* The echo reply to msg (@n bytes) comes back, in however many frames. */
static void expect_reply(struct th *t, size_t n)
{
	struct ipv4_hdr h;
	unsigned nfrag;
	size_t len = th_collect(t, TH_PEER_MAC, got, sizeof(got), &h, &nfrag);
	struct icmp_hdr ih;

	cr_assert_eq(len, n);
	cr_assert_eq(icmp_parse(got, len, &ih), 0);
	cr_expect_eq(ih.type, ICMP_ECHO_REPLY);
	cr_expect_eq(ih.rest, get32(msg + 4));
	cr_expect_arr_eq(got + ICMP_HLEN, msg + ICMP_HLEN, n - ICMP_HLEN,
			 "reassembled data differs");
}

/* Inject msg cut at 8-byte boundaries of @piece bytes, in @order. */
static void inject_pieces(struct th *t, const struct th_ip *ip, size_t n,
			  size_t piece, const unsigned *order, unsigned k)
{
	for (unsigned i = 0; i < k; i++) {
		size_t off = order[i] * piece;
		size_t len = off + piece < n ? piece : n - off;

		th_inject_frag(t, ip, msg, off, len, off + len < n);
	}
}

Test(reass, in_order)
{
	static const unsigned order[] = { 0, 1, 2 };
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1200, 1);

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	inject_pieces(&t, &ip, n, 400, order, 2);
	th_expect_silence(&t);
	cr_expect_eq(t.s->reass.count, 1);
	cr_expect_eq(th_deadline(&t), t.now + t.cfg.reass_timeout);
	inject_pieces(&t, &ip, n, 400, order + 2, 1);
	expect_reply(&t, n);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->frag_rx, 3);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 1);
	cr_expect_eq(th_cnt(&t)->icmp_rx_echo_req, 1);
	cr_expect_eq(t.s->reass.count, 0);
	cr_expect_eq(t.s->reass.bytes, 0);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE, "timer cancelled");
	th_fini(&t);
}

Test(reass, reverse_order)
{
	static const unsigned order[] = { 3, 2, 1, 0 };
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1001, 2);          /* last piece: 1 byte */

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	inject_pieces(&t, &ip, n, 0x140, order, 4);
	expect_reply(&t, n);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 1);
	th_fini(&t);
}

/* Several seeds of shuffled 8-byte-multiple pieces, each reassembled. */
Test(reass, random_order)
{
	enum { K = 23 };
	uint64_t r = 77;

	for (unsigned seed = 0; seed < 8; seed++) {
		struct th t;
		struct th_ip ip;
		unsigned order[K];
		size_t n = make_echo(K * 64 - 13, seed);

		for (unsigned i = 0; i < K; i++)
			order[i] = i;
		for (unsigned i = K - 1; i > 0; i--) {
			unsigned j, tmp;

			r = r * 6364136223846793005ull + 1;
			j = (unsigned)(r >> 33) % (i + 1);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		setup(&t);
		th_ip_default(&ip, IP_PROTO_ICMP);
		ip.id = (uint16_t)(0x100 + seed);
		inject_pieces(&t, &ip, n, 64, order, K);
		expect_reply(&t, n);
		cr_expect_eq(th_cnt(&t)->frag_rx, K);
		th_fini(&t);
	}
}

/* Fragments of two datagrams (same peers, different ids) interleaved. */
Test(reass, two_datagrams_interleaved)
{
	struct th t;
	struct th_ip a, b;
	static uint8_t m2[600];
	size_t n = make_echo(600, 5);

	memcpy(m2, msg, n);
	setup(&t);
	th_ip_default(&a, IP_PROTO_ICMP);
	b = a;
	b.id = 0x9999;
	th_inject_frag(&t, &a, m2, 0, 304, true);
	th_inject_frag(&t, &b, m2, 304, 296, false);
	cr_expect_eq(t.s->reass.count, 2);
	th_inject_frag(&t, &b, m2, 0, 304, true);
	expect_reply(&t, n);
	th_inject_frag(&t, &a, m2, 304, 296, false);
	expect_reply(&t, n);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 2);
	th_fini(&t);
}

Test(reass, duplicate_ignored)
{
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1208, 3);

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	th_inject_frag(&t, &ip, msg, 0, 400, true);
	th_inject_frag(&t, &ip, msg, 0, 400, true);
	th_inject_frag(&t, &ip, msg, 800, 408, false);
	th_inject_frag(&t, &ip, msg, 800, 408, false);
	cr_expect_eq(th_cnt(&t)->frag_dup, 2);
	th_expect_silence(&t);
	th_inject_frag(&t, &ip, msg, 400, 400, true);
	expect_reply(&t, n);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 1);
	th_fini(&t);
}

/* Any other overlap drops the whole datagram. */
Test(reass, overlap_drops_datagram)
{
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1208, 4);

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	th_inject_frag(&t, &ip, msg, 0, 400, true);
	th_inject_frag(&t, &ip, msg, 392, 400, true);   /* overlaps 8 bytes */
	cr_expect_eq(th_cnt(&t)->frag_overlap, 1);
	cr_expect_eq(t.s->reass.count, 0, "the datagram is gone");
	cr_expect_eq(t.s->reass.bytes, 0);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	/* the rest starts a new one that cannot complete without offset 0 */
	th_inject_frag(&t, &ip, msg, 400, 400, true);
	th_inject_frag(&t, &ip, msg, 800, n - 800, false);
	th_expect_silence(&t);
	/* an overlap from the other side, a piece inside another */
	th_inject_frag(&t, &ip, msg, 480, 16, true);
	cr_expect_eq(th_cnt(&t)->frag_overlap, 2);
	cr_expect_eq(t.s->reass.count, 0);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 0);
	th_expect_silence(&t);
	th_fini(&t);
}

Test(reass, conflicting_ends)
{
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1208, 6);

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	/* two last fragments ending at different places */
	th_inject_frag(&t, &ip, msg, 800, 408, false);
	th_inject_frag(&t, &ip, msg, 800, 400, false);
	cr_expect_eq(th_cnt(&t)->frag_conflict, 1);
	cr_expect_eq(t.s->reass.count, 0);
	/* a middle fragment past the end the last one fixed */
	th_inject_frag(&t, &ip, msg, 800, 8, false);
	th_inject_frag(&t, &ip, msg, 808, 400, true);
	cr_expect_eq(th_cnt(&t)->frag_conflict, 2);
	cr_expect_eq(t.s->reass.count, 0);
	/* a last fragment ending before data already held */
	th_inject_frag(&t, &ip, msg, 400, 400, true);
	th_inject_frag(&t, &ip, msg, 8, 8, false);
	cr_expect_eq(th_cnt(&t)->frag_conflict, 3);
	cr_expect_eq(t.s->reass.count, 0);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 0);
	th_expect_silence(&t);
	(void)n;
	th_fini(&t);
}

/* The first fragment came, another piece never did: after reass_timeout,
 * ICMP time exceeded, code 1, quoting the header and 8 bytes. */
Test(reass, timeout_with_first_fragment)
{
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1208, 7), plen;
	uint8_t orig[IPV4_HLEN + 8];
	struct ipv4_hdr h;
	struct icmp_hdr ih;
	const uint8_t *d;
	static uint8_t f[2048];
	uint64_t t0;

	setup(&t);
	t0 = t.now;
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.frag = 0;
	th_inject_frag(&t, &ip, msg, 0, 400, true);
	/* the quote: the first fragment's header as it arrived, 8 bytes */
	ip.frag = IP_FLAG_MF;
	th_ipv4(f, TH_MAC, &ip, msg, 400);
	memcpy(orig, f + ETH_HLEN, sizeof(orig));
	t.now += NSEC_PER_SEC;
	th_inject_frag(&t, &ip, msg, 800, n - 800, false);
	cr_expect_eq(th_deadline(&t), t0 + t.cfg.reass_timeout,
		     "the clock starts at the first fragment");
	cr_expect_eq(th_tick(&t, t0 + t.cfg.reass_timeout - 1 - t.now),
		     t0 + t.cfg.reass_timeout);
	th_expect_silence(&t);
	cr_expect_eq(th_tick(&t, 1), STACK_NO_DEADLINE);
	d = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	th_expect_silence(&t);
	cr_expect_eq(h.proto, IP_PROTO_ICMP);
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(h.dst, TH_PEER);
	cr_assert_eq(plen, ICMP_HLEN + sizeof(orig));
	cr_assert_eq(icmp_parse(d, plen, &ih), 0);
	cr_expect_eq(ih.type, ICMP_TIME_EXCEEDED);
	cr_expect_eq(ih.code, ICMP_TIMXCEED_REASS);
	cr_expect_eq(ih.rest, 0);
	cr_expect_arr_eq(d + ICMP_HLEN, orig, sizeof(orig));
	cr_expect_eq(th_cnt(&t)->frag_timeout, 1);
	cr_expect_eq(th_cnt(&t)->icmp_tx_time_exceeded, 1);
	cr_expect_eq(t.s->reass.count, 0);
	th_fini(&t);
}

Test(reass, timeout_without_first_fragment_silent)
{
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1208, 8);

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	th_inject_frag(&t, &ip, msg, 400, 400, true);
	th_inject_frag(&t, &ip, msg, 800, n - 800, false);
	cr_expect_eq(th_tick(&t, t.cfg.reass_timeout), STACK_NO_DEADLINE);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->frag_timeout, 1);
	cr_expect_eq(th_cnt(&t)->icmp_tx_time_exceeded, 0);
	th_fini(&t);
}

/* No error about an ICMP error, even a fragmented one that timed out. */
Test(reass, timeout_of_icmp_error_silent)
{
	struct th t;
	struct th_ip ip;
	static uint8_t data[1000];

	setup(&t);
	th_icmp(msg, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, data, sizeof(data));
	th_ip_default(&ip, IP_PROTO_ICMP);
	th_inject_frag(&t, &ip, msg, 0, 400, true);
	th_tick(&t, t.cfg.reass_timeout);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->frag_timeout, 1);
	cr_expect_eq(th_cnt(&t)->icmp_tx_time_exceeded, 0);
	th_fini(&t);
}

Test(reass, count_bound)
{
	struct stack_config cfg;
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(808, 9);

	th_config(&cfg);
	cfg.reass_max = 2;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_ip_default(&ip, IP_PROTO_ICMP);
	for (uint16_t id = 1; id <= 3; id++) {
		ip.id = id;
		th_inject_frag(&t, &ip, msg, 0, 400, true);
	}
	cr_expect_eq(th_cnt(&t)->frag_too_many, 1);
	cr_expect_eq(t.s->reass.count, 2);
	ip.id = 3;      /* refused: its end finds nothing */
	th_inject_frag(&t, &ip, msg, 400, n - 400, false);
	cr_expect_eq(th_cnt(&t)->frag_too_many, 2);
	ip.id = 1;
	th_inject_frag(&t, &ip, msg, 400, n - 400, false);
	expect_reply(&t, n);
	th_expect_silence(&t);
	th_fini(&t);
}

Test(reass, memory_bound)
{
	struct stack_config cfg;
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1608, 10);

	th_config(&cfg);
	cfg.reass_max_bytes = 3 * PBUF_SMALL_CAP;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_ip_default(&ip, IP_PROTO_ICMP);
	th_inject_frag(&t, &ip, msg, 0, 400, true);
	th_inject_frag(&t, &ip, msg, 400, 400, true);
	th_inject_frag(&t, &ip, msg, 800, 400, true);
	cr_expect_eq(t.s->reass.bytes, 3 * PBUF_SMALL_CAP);
	th_inject_frag(&t, &ip, msg, 1200, n - 1200, false);
	cr_expect_eq(th_cnt(&t)->frag_nomem, 1);
	cr_expect_eq(t.s->reass.bytes, 3 * PBUF_SMALL_CAP);
	th_expect_silence(&t);
	th_tick(&t, t.cfg.reass_timeout);
	cr_expect_eq(t.s->reass.bytes, 0);
	cr_expect_eq(th_cnt(&t)->icmp_tx_time_exceeded, 1);
	th_pop(&t);
	th_fini(&t);
}

/* RFC 791: a datagram is at most 65535 bytes. A fragment reaching past
 * that (the ping of death) is refused; one ending exactly there is not. */
Test(reass, ping_of_death_refused)
{
	struct th t;
	struct th_ip ip;

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	memset(msg, 0, sizeof(msg));
	th_inject_frag(&t, &ip, msg, 65528, 16, false);         /* 8191 * 8 */
	th_inject_frag(&t, &ip, msg, 65512, 8, false);          /* 1 over */
	th_inject_frag(&t, &ip, msg, 65512, 8, true);
	cr_expect_eq(th_cnt(&t)->frag_bad_len, 3);
	cr_expect_eq(t.s->reass.count, 0);
	th_inject_frag(&t, &ip, msg, 65512, 3, false);          /* ends at 65535 */
	cr_expect_eq(th_cnt(&t)->frag_bad_len, 3);
	cr_expect_eq(t.s->reass.count, 1);
	th_fini(&t);
}

Test(reass, bad_fragment_lengths)
{
	struct th t;
	struct th_ip ip;

	setup(&t);
	make_echo(1208, 11);
	th_ip_default(&ip, IP_PROTO_ICMP);
	th_inject_frag(&t, &ip, msg, 0, 401, true);     /* not a multiple of 8 */
	th_inject_frag(&t, &ip, msg, 8, 0, true);       /* empty */
	th_inject_frag(&t, &ip, msg, 8, 0, false);
	cr_expect_eq(th_cnt(&t)->frag_bad_len, 3);
	cr_expect_eq(t.s->reass.count, 0);
	th_expect_silence(&t);
	th_fini(&t);
}

/* The largest datagram there is, 65535 bytes, comes back together (and
 * its echo reply leaves in 45 fragments). */
Test(reass, largest_datagram)
{
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(IPV4_MAX_LEN - IPV4_HLEN, 12);
	unsigned order[64], k = 0;

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	for (size_t off = 0; off < n; off += 1480)
		order[k] = k, k++;
	inject_pieces(&t, &ip, n, 1480, order, k);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 1);
	expect_reply(&t, n);
	th_fini(&t);
}

/* Options in the first fragment push the whole past 65535: refused. */
Test(reass, options_push_past_64k)
{
	static const uint8_t opt[4] = { 1, 1, 1, 0 };
	struct th t;
	struct th_ip ip;
	size_t n = IPV4_MAX_LEN - IPV4_HLEN;

	setup(&t);
	memset(msg, 0, sizeof(msg));
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.opt = opt;
	ip.optlen = 4;
	for (size_t off = 0; off < n; off += 1480)
		th_inject_frag(&t, &ip, msg, off, off + 1480 < n ? 1480 : n - off,
			       off + 1480 < n);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->frag_bad_len, 1);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 0);
	cr_expect_eq(t.s->reass.count, 0);
	th_fini(&t);
}

/* reass_max datagrams in flight at once, interleaved, all complete. */
Test(reass, many_at_once)
{
	struct th t;
	struct th_ip ip;
	size_t n = make_echo(1200, 13);

	setup(&t);
	th_ip_default(&ip, IP_PROTO_ICMP);
	for (size_t off = 0; off < n; off += 400)
		for (unsigned id = 0; id < 64; id++) {
			ip.id = (uint16_t)(id * 1000);
			th_inject_frag(&t, &ip, msg, off, 400, off + 400 < n);
			if (off == 0)
				cr_assert_eq(t.s->reass.count, id + 1);
		}
	cr_expect_eq(th_cnt(&t)->frag_too_many, 0);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 64);
	for (unsigned id = 0; id < 64; id++)
		expect_reply(&t, n);
	cr_expect_eq(t.s->reass.count, 0);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_fini(&t);
}

/* The key is (source, destination, protocol, id): the same id from
 * another protocol is another datagram. */
Test(reass, key_includes_protocol)
{
	struct th t;
	struct th_ip a, b;
	size_t n = make_echo(800, 14);

	setup(&t);
	th_ip_default(&a, IP_PROTO_ICMP);
	th_ip_default(&b, 253);
	th_inject_frag(&t, &a, msg, 0, 400, true);
	th_inject_frag(&t, &b, msg, 400, 400, false);
	th_expect_silence(&t);
	cr_expect_eq(t.s->reass.count, 2);
	th_inject_frag(&t, &a, msg, 400, 400, false);
	expect_reply(&t, n);
	th_fini(&t);
}
