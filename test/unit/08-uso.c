/* SPDX-License-Identifier: MIT */
/*
 * 08-uso: UDP segmentation offload (gso.h). Which datagrams a batch
 * merges (one flow, one payload size, the last shorter; the segment and
 * byte limits; IPv6), that the frame it makes cuts back into the very
 * datagrams (gso_segment()), that a frame of the kernel's UDP_SEGMENT
 * datagrams splits into datagrams a socket takes one by one, and the
 * engine's holding and flushing on a link that cuts UDP.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gso.h"
#include "harness.h"
#include "inet.h"
#include "udp.h"

static const uint8_t SRC6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t DST6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/*
 * A datagram as the engine sends it: Ethernet, IPv4 (identifier @id) or
 * IPv6, UDP from port @sport to 9, @plen payload bytes (each byte its
 * offset plus @seed), a whole checksum. Return: the frame's length.
 */
static size_t dgram(uint8_t *f, bool v6, uint16_t sport, uint16_t id,
		    size_t plen, uint8_t seed)
{
	size_t iph = v6 ? 40 : 20, l4 = 8 + plen, len = 14 + iph + l4;
	uint8_t *ip = f + 14, *uh = ip + iph;
	uint32_t sum;
	uint16_t v;

	memset(f, 0, 14 + iph + 8);
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	if (v6) {
		put16(f + 12, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, SRC6, 16);
		memcpy(ip + 24, DST6, 16);
		sum = inet_sum(ip + 8, 32, 0) + (uint32_t)l4 + 17;
	} else {
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(iph + l4));
		put16(ip + 4, id);
		put16(ip + 6, 0x4000);          /* DF */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
		put16(ip + 10, inet_cksum(ip, 20));
		sum = inet_pseudo_sum(0xc0000201, 0xc0000202, 17, (uint16_t)l4);
	}
	put16(uh, sport);
	put16(uh + 2, 9);
	put16(uh + 4, (uint16_t)l4);
	for (size_t i = 0; i < plen; i++)
		uh[8 + i] = (uint8_t)(i + seed);
	v = inet_fold(inet_sum(uh, l4, sum));
	put16(uh + 6, v ? v : 0xffff);
	return len;
}

static struct uso_batch B;
static uint8_t f[USO_BUF_LEN], scratch[USO_BUF_LEN];

static void batch_new(void)
{
	if (!B.buf)
		B.buf = malloc(USO_BUF_LEN);
	cr_assert_not_null(B.buf);
	B.len = 0;
}

/* The datagrams a cut frame gives back, compared with those put in */
static uint8_t *want[USO_MAX_SEGS];
static size_t want_len[USO_MAX_SEGS];
static unsigned got;

static int expect_one(void *arg, const uint8_t *seg, size_t len)
{
	(void)arg;
	cr_assert_lt(got, USO_MAX_SEGS);
	cr_expect_eq(len, want_len[got], "datagram %u: %zu bytes, want %zu",
		     got, len, want_len[got]);
	cr_expect_arr_eq(seg, want[got], len, "datagram %u differs", got);
	got++;
	return 0;
}

/* @n datagrams of @plen (the last of @last) merge into one frame that cuts
 * back into the same bytes */
static void round_trip(bool v6, unsigned n, size_t plen, size_t last)
{
	struct gso_tx g;
	size_t len;

	batch_new();
	for (unsigned i = 0; i < n; i++) {
		size_t l = i + 1 == n ? last : plen;

		free(want[i]);
		want[i] = malloc(14 + 40 + 8 + l);
		want_len[i] = dgram(want[i], v6, 4000, (uint16_t)(0xfffe + i),
				    l, (uint8_t)i);
		cr_assert_eq(uso_add(&B, want[i], want_len[i]), USO_HELD,
			     "datagram %u", i);
	}
	cr_expect_eq(B.count, n);
	len = uso_finish(&B, &g);
	cr_expect_eq(B.len, 0, "emptied");
	cr_assert_eq(g.gso_size, plen);
	cr_expect(g.udp);
	cr_expect_eq(g.v6, v6);
	cr_expect_eq(g.csum_offset, 6);
	cr_expect_eq(g.hdr_len, 14 + (v6 ? 40 : 20) + 8);
	cr_expect_eq(gso_segs(len, &g), n);
	/* the UDP length is the frame's, the checksum the pseudo-header's */
	cr_expect_eq(get16(B.buf + g.csum_start + 4), len - g.csum_start);
	got = 0;
	cr_assert_eq(gso_segment(B.buf, len, &g, scratch, sizeof(scratch),
				 expect_one, NULL), 0);
	cr_expect_eq(got, n);
}

Test(uso, same_flow_and_size_merge_and_cut_back_ipv4)
{
	round_trip(false, 3, 1000, 1000);
	round_trip(false, 5, 1472, 17);     /* a shorter last one */
	round_trip(false, 2, 1, 1);
}

Test(uso, same_flow_and_size_merge_and_cut_back_ipv6)
{
	round_trip(true, 4, 1452, 1452);
	round_trip(true, 3, 700, 3);
}

Test(uso, one_datagram_stays_as_it_was)
{
	struct gso_tx g;
	size_t len = dgram(f, false, 4000, 7, 100, 0);

	batch_new();
	cr_assert_eq(uso_add(&B, f, len), USO_HELD);
	cr_expect_eq(uso_finish(&B, &g), len);
	cr_expect_eq(g.gso_size, 0, "a plain frame");
	cr_expect_arr_eq(B.buf, f, len);
}

Test(uso, another_flow_or_a_larger_datagram_ends_the_batch)
{
	size_t len;

	batch_new();
	len = dgram(f, false, 4000, 1, 500, 0);
	cr_assert_eq(uso_add(&B, f, len), USO_HELD);
	len = dgram(f, false, 4001, 2, 500, 0);          /* another port */
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);
	len = dgram(f, false, 4000, 2, 501, 0);          /* larger */
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);
	len = dgram(f, false, 4000, 3, 500, 0);          /* not the next id */
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);
	len = dgram(f, true, 4000, 2, 500, 0);           /* IPv6 */
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);
	len = dgram(f, false, 4000, 2, 500, 0);
	f[14 + 8] = 1;                                   /* another TTL */
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);
	len = dgram(f, false, 4000, 2, 500, 0);          /* the next one */
	cr_expect_eq(uso_add(&B, f, len), USO_HELD);
	cr_expect_eq(B.count, 2);
	cr_expect_not(uso_full(&B));
}

Test(uso, a_shorter_datagram_is_the_last)
{
	size_t len;

	batch_new();
	len = dgram(f, true, 4000, 0, 800, 0);
	cr_assert_eq(uso_add(&B, f, len), USO_HELD);
	len = dgram(f, true, 4000, 0, 300, 0);
	cr_assert_eq(uso_add(&B, f, len), USO_HELD);
	cr_expect(uso_full(&B));
	len = dgram(f, true, 4000, 0, 300, 0);
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);
}

Test(uso, segment_and_byte_limits)
{
	size_t len;
	unsigned i;

	batch_new();
	for (i = 0; i < USO_MAX_SEGS; i++) {
		len = dgram(f, false, 4000, (uint16_t)i, 10, 0);
		cr_assert_eq(uso_add(&B, f, len), USO_HELD, "datagram %u", i);
	}
	cr_expect(uso_full(&B));
	len = dgram(f, false, 4000, (uint16_t)i, 10, 0);
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);

	/* 1472 bytes each: 44 fit in an IPv4 length of 65535, not 45 */
	batch_new();
	for (i = 0; !uso_full(&B); i++) {
		len = dgram(f, false, 4000, (uint16_t)i, 1472, 0);
		cr_assert_eq(uso_add(&B, f, len), USO_HELD, "datagram %u", i);
	}
	cr_expect_eq(i, 44);
	cr_expect_leq(B.len - 14, 65535);
	len = dgram(f, false, 4000, (uint16_t)i, 1472, 0);
	cr_expect_eq(uso_add(&B, f, len), USO_FLUSH);
}

Test(uso, what_a_batch_does_not_take)
{
	size_t len;

	batch_new();
	len = dgram(f, false, 4000, 1, 0, 0);            /* empty */
	cr_expect_eq(uso_add(&B, f, len), USO_NO);
	len = dgram(f, false, 4000, 1, 100, 0);
	put16(f + 14 + 20 + 6, 0);                       /* no checksum */
	cr_expect_eq(uso_add(&B, f, len), USO_NO);
	len = dgram(f, false, 4000, 1, 100, 0);
	put16(f + 14 + 6, 0x2000);                       /* a fragment */
	cr_expect_eq(uso_add(&B, f, len), USO_NO);
	len = dgram(f, false, 4000, 1, 100, 0);
	f[14 + 9] = 6;                                   /* TCP */
	cr_expect_eq(uso_add(&B, f, len), USO_NO);
	len = dgram(f, false, 4000, 1, 100, 0);
	put16(f + 12, 0x0806);                           /* ARP */
	cr_expect_eq(uso_add(&B, f, len), USO_NO);
	cr_expect_eq(B.len, 0);
}

/* ---- receive: the kernel's UDP_SEGMENT datagrams, merged ---- */

Test(uso, kernel_frame_described_and_split)
{
	struct gso_tx g;
	size_t len;

	/* what the kernel hands over is what a batch makes */
	round_trip(false, 3, 1200, 100);
	batch_new();
	for (unsigned i = 0; i < 3; i++)
		uso_add(&B, want[i], want_len[i]);
	len = uso_finish(&B, &g);
	cr_assert_eq(gso_describe_udp(B.buf, len, 1200, &g), 0);
	cr_expect(g.udp);
	cr_expect_eq(g.hdr_len, 42);
	got = 0;
	cr_assert_eq(gso_segment(B.buf, len, &g, scratch, sizeof(scratch),
				 expect_one, NULL), 0);
	cr_expect_eq(got, 3);
	/* a length that disagrees, TCP, no size: not such a frame */
	cr_expect_eq(gso_describe_udp(B.buf, len - 1, 1200, &g), -EINVAL);
	cr_expect_eq(gso_describe_udp(B.buf, len, 0, &g), -EINVAL);
	B.buf[14 + 9] = 6;
	cr_expect_eq(gso_describe_udp(B.buf, len, 1200, &g), -EINVAL);
}

/* ---- the engine on a link that cuts UDP ---- */

static struct gso_tx last_gso;
static unsigned uso_frames;

static int uso_link(void *ctx, unsigned ifindex, const uint8_t *frame,
		    size_t len, const struct gso_tx *gso)
{
	struct th *t = ctx;
	struct th_frame *q = &t->q[t->nq++ % TH_MAX_FRAMES];

	(void)ifindex;
	q->data = realloc(q->data, len);
	memcpy(q->data, frame, len);
	q->len = len;
	memset(&last_gso, 0, sizeof(last_gso));
	if (gso) {
		last_gso = *gso;
		uso_frames++;
	}
	return t->link_rc;
}

static void on_dgram(void *ctx, struct dgram *dg, unsigned ev)
{
	(void)ctx;
	(void)dg;
	(void)ev;
}

Test(uso, engine_holds_a_flow_until_flushed)
{
	struct th t;
	struct udp_sock *us;
	uint32_t peer = TH_PEER;
	uint8_t data[1000];
	unsigned n0;
	uint64_t tx0;

	th_init(&t);
	t.ops.link_output = uso_link;
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_assert_eq(stack_set_link_uso(t.s, true), 0);
	udp_open(t.s, IP_V4, &us);
	memset(data, 'u', sizeof(data));
	uso_frames = 0;
	n0 = t.nq;              /* what the engine sent when it started */
	tx0 = th_cnt(&t)->eth_tx_frames;
	for (int i = 0; i < 4; i++)
		cr_assert_eq(udp_sendto(us, data, 1000, TH_A4(peer), 9,
					t.now), 0);
	cr_expect_eq(t.nq, n0, "held");
	/* a shorter one is the last: the batch goes at once */
	cr_assert_eq(udp_sendto(us, data, 10, TH_A4(peer), 9, t.now), 0);
	cr_assert_eq(t.nq, n0 + 1);
	stack_flush(t.s);
	cr_assert_eq(t.nq, n0 + 1, "nothing more held");
	cr_expect_eq(uso_frames, 1);
	cr_expect(last_gso.udp);
	cr_expect_eq(last_gso.gso_size, 1000);
	cr_expect_eq(t.q[n0].len, 14 + 20 + 8 + 4 * 1000 + 10);
	cr_expect_eq(th_cnt(&t)->eth_tx_uso, 1);
	cr_expect_eq(th_cnt(&t)->eth_tx_uso_segs, 5);
	cr_expect_eq(th_cnt(&t)->eth_tx_frames, tx0 + 1);
	cr_expect_eq(th_cnt(&t)->udp_tx, 5);

	/* one alone goes as it is, at the flush: here turning it off */
	cr_assert_eq(udp_sendto(us, data, 100, TH_A4(peer), 9, t.now), 0);
	cr_expect_eq(t.nq, n0 + 1);
	stack_set_link_uso(t.s, false);
	cr_assert_eq(t.nq, n0 + 2, "turning it off sends what is held");
	cr_expect_eq(t.q[n0 + 1].len, 14 + 20 + 8 + 100);
	cr_expect_eq(last_gso.gso_size, 0);
	cr_assert_eq(udp_sendto(us, data, 100, TH_A4(peer), 9, t.now), 0);
	cr_expect_eq(t.nq, n0 + 3, "off: at once");
	cr_expect_eq(th_cnt(&t)->eth_tx_uso, 1);
	udp_close(us);
	th_fini(&t);
}

Test(uso, engine_takes_the_kernels_datagrams_one_by_one)
{
	struct th t;
	struct udp_sock *us;
	struct udp_meta m;
	struct stack_rx_meta rm = { .csum_ok = true, .gso_size = 600,
				    .gso_udp = true };
	struct gso_tx g;
	const uint8_t *d;
	size_t len;

	th_init(&t);
	t.ops.dgram_event = on_dgram;
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_bind(us, NULL, 9), 0);
	batch_new();
	for (unsigned i = 0; i < 3; i++) {
		len = dgram(f, false, 4000, (uint16_t)(100 + i),
			    i < 2 ? 600 : 50, (uint8_t)i);
		/* to us: our MAC and address, from the peer */
		memcpy(f, TH_MAC, 6);
		memcpy(f + 14 + 12, "\xc0\x00\x02\x02\xc0\x00\x02\x01", 8);
		put16(f + 14 + 10, 0);
		put16(f + 14 + 10, inet_cksum(f + 14, 20));
		cr_assert_eq(uso_add(&B, f, len), USO_HELD);
	}
	len = uso_finish(&B, &g);
	stack_input_meta(t.s, 1, B.buf, len, &rm, t.now);
	cr_expect_eq(th_cnt(&t)->eth_rx_uso, 1);
	cr_expect_eq(th_cnt(&t)->eth_rx_uso_segs, 3);
	cr_expect_eq(th_cnt(&t)->udp_rx_delivered, 3);
	for (unsigned i = 0; i < 3; i++) {
		d = udp_recv_peek(us, &m);
		cr_assert_not_null(d, "datagram %u", i);
		cr_expect_eq(m.len, i < 2 ? 600 : 50);
		cr_expect_eq(m.sport, 4000);
		cr_expect_eq(d[0], (uint8_t)i);
		cr_expect_eq(d[m.len - 1], (uint8_t)(m.len - 1 + i));
		udp_recv_next(us);
	}
	cr_expect_null(udp_recv_peek(us, &m));
	/* a frame that is not what the link said: dropped, counted */
	rm.gso_size = 600;
	stack_input_meta(t.s, 1, B.buf, len - 1, &rm, t.now);
	cr_expect_eq(th_cnt(&t)->eth_rx_uso_bad, 1);
	cr_expect_eq(th_cnt(&t)->udp_rx_delivered, 3);
	udp_close(us);
	th_fini(&t);
}
