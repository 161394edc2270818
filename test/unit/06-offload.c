/* SPDX-License-Identifier: MIT */
/*
 * 06-offload: a checksum the kernel left partial, filled in as a NIC
 * would; a frame of TCP segments cut as the kernel cuts it (gso.c)
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "inet.h"
#include "gso.h"
#include "link/link.h"

/* Ethernet + IPv4 + a transport header with @plen payload bytes; returns
 * the frame length, @at the checksum field's offset */
static size_t frame(uint8_t *f, uint8_t proto, size_t plen, size_t *at)
{
	size_t th = proto == 6 ? 20 : 8, l4 = th + plen;

	memset(f, 0, 14 + 20 + l4);
	f[12] = 0x08;
	f[14] = 0x45;
	put16(f + 16, (uint16_t)(20 + l4));
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	for (size_t i = 0; i < l4; i++)
		f[34 + i] = (uint8_t)(i * 7 + 3);
	if (proto == 17)
		put16(f + 34 + 4, (uint16_t)l4);
	else
		f[34 + 12] = 5 << 4;
	*at = 34 + (proto == 6 ? 16 : 6);
	put16(f + *at, 0);
	return 14 + 20 + l4;
}

static void check_completion(uint8_t proto, size_t plen)
{
	uint8_t f[2000];
	size_t at, len = frame(f, proto, plen, &at), l4 = len - 34;
	uint32_t pseudo = inet_pseudo_sum(0xc0000201, 0xc0000202, proto,
					  (uint16_t)l4);
	uint16_t whole = inet_fold(inet_sum(f + 34, l4, pseudo));
	struct link_rx rx = { .csum_ok = true, .csum_partial = true,
			      .csum_start = 34,
			      .csum_offset = (uint16_t)(at - 34) };

	if (whole == 0 && proto == 17)
		whole = 0xffff;
	/* the kernel's partial value: the pseudo-header's folded sum */
	put16(f + at, (uint16_t)~inet_fold(pseudo));
	link_csum_complete(f, len, &rx);
	cr_assert_eq(get16(f + at), whole, "proto %u, %zu bytes: %04x, want %04x",
		     proto, plen, get16(f + at), whole);
	/* and the result verifies as any received segment does */
	cr_assert_eq(inet_fold(inet_sum(f + 34, l4, pseudo)), 0);
}

Test(offload, tcp_partial_checksum_completed)
{
	check_completion(6, 1000);
	check_completion(6, 1);         /* an odd length */
	check_completion(6, 0);
}

Test(offload, udp_partial_checksum_completed)
{
	check_completion(17, 1472);
	check_completion(17, 33);
}

Test(offload, whole_checksums_left_alone)
{
	uint8_t f[200], copy[200];
	size_t at, len = frame(f, 6, 50, &at);
	struct link_rx rx = { .csum_ok = true, .csum_start = 34,
			      .csum_offset = 16 };          /* DATA_VALID */
	struct link_rx out = { .csum_partial = true, .csum_start = 190,
			       .csum_offset = 16 };         /* beyond it */

	put16(f + at, 0x1234);
	memcpy(copy, f, len);
	link_csum_complete(f, len, &rx);
	link_csum_complete(f, len, &out);
	cr_assert_arr_eq(f, copy, len);
}

/* -- gso_segment() ------------------------------------------------------ */

#define G_OPT 12                /* a timestamp option, padded */

struct cut {
	uint8_t seg[8][1600];
	size_t len[8];
	unsigned n;
};

static int keep(void *arg, const uint8_t *seg, size_t len)
{
	struct cut *c = arg;

	cr_assert_lt(c->n, 8u);
	memcpy(c->seg[c->n], seg, len);
	c->len[c->n++] = len;
	return 0;
}

/* A frame of @pay payload bytes as the engine hands it over: headers,
 * then all the data, the TCP checksum partial. Return: its length. */
static size_t gso_frame(uint8_t *f, bool v6, size_t pay, uint8_t flags,
			struct gso_tx *g)
{
	size_t ip = v6 ? 40 : 20, th = 14 + ip, hdr = th + 20 + G_OPT;
	size_t l4 = 20 + G_OPT + pay;
	uint32_t sum;

	memset(f, 0, hdr + pay);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f[14] = 0x60;
		put16(f + 18, (uint16_t)l4);
		f[20] = 6;
		f[21] = 64;
		f[22] = 0x20, f[23] = 0x01, f[37] = 1;   /* 2001::1 */
		f[38] = 0x20, f[39] = 0x01, f[53] = 2;   /* 2001::2 */
		sum = inet_sum(f + 22, 32, 0) + (uint32_t)l4 + 6;
	} else {
		f[14] = 0x45;
		put16(f + 16, (uint16_t)(20 + l4));
		put16(f + 18, 0x1234);
		f[20] = 0x40;                            /* DF */
		f[22] = 64;
		f[23] = 6;
		memcpy(f + 26, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
		put16(f + 24, inet_cksum(f + 14, 20));
		sum = inet_pseudo_sum(0xc0000201, 0xc0000202, 6, (uint16_t)l4);
	}
	put16(f + th, 40000);
	put16(f + th + 2, 80);
	put32(f + th + 4, 0xfffffc00u);          /* wraps inside the frame */
	put32(f + th + 8, 77);
	f[th + 12] = (20 + G_OPT) / 4 << 4;
	f[th + 13] = flags;
	put16(f + th + 14, 500);
	f[th + 20] = 1, f[th + 21] = 1, f[th + 22] = 8, f[th + 23] = 10;
	put32(f + th + 24, 111);
	put32(f + th + 28, 222);
	for (size_t i = 0; i < pay; i++)
		f[hdr + i] = (uint8_t)(i * 31 + 5);
	put16(f + th + 16, (uint16_t)~inet_fold(sum));
	*g = (struct gso_tx){ .gso_size = 1000, .hdr_len = (uint16_t)hdr,
			      .csum_start = (uint16_t)th, .csum_offset = 16,
			      .v6 = v6 };
	return hdr + pay;
}

static void check_cut(bool v6)
{
	static uint8_t f[4000], scratch[1600];
	static struct cut c;
	struct gso_tx g;
	size_t len = gso_frame(f, v6, 2500, 0x80 | 0x10 | 0x08 | 0x01, &g);
	size_t th = g.csum_start;

	memset(&c, 0, sizeof(c));
	cr_assert_eq(gso_segs(len, &g), 3u);
	cr_assert_eq(gso_segment(f, len, &g, scratch, sizeof(scratch), keep,
				 &c), 0);
	cr_assert_eq(c.n, 3u);
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *s = c.seg[i];
		size_t pay = i < 2 ? 1000 : 500, l4 = 20 + G_OPT + pay;
		uint32_t sum;

		cr_assert_eq(c.len[i], g.hdr_len + pay);
		cr_assert_arr_eq(s + g.hdr_len, f + g.hdr_len + i * 1000, pay);
		cr_assert_eq(get32(s + th + 4), 0xfffffc00u + i * 1000);
		/* CWR on the first only, FIN and PSH on the last only */
		cr_assert_eq(s[th + 13], i == 0 ? 0x90 : i == 1 ? 0x10 : 0x19,
			     "segment %u flags %02x", i, s[th + 13]);
		/* the options and the rest of the headers as they were */
		cr_assert_arr_eq(s + th + 20, f + th + 20, G_OPT);
		if (v6) {
			cr_assert_eq(get16(s + 18), l4);
			sum = inet_sum(s + 22, 32, 0) + (uint32_t)l4 + 6;
		} else {
			cr_assert_eq(get16(s + 16), 20 + l4);
			cr_assert_eq(get16(s + 18), 0x1234 + i);  /* the IP ID */
			cr_assert_eq(s[20], 0x40);
			cr_assert_eq(inet_cksum(s + 14, 20), 0,
				     "IPv4 header checksum of segment %u", i);
			sum = inet_pseudo_sum(0xc0000201, 0xc0000202, 6,
					      (uint16_t)l4);
		}
		cr_assert_eq(inet_fold(inet_sum(s + th, l4, sum)), 0,
			     "TCP checksum of segment %u", i);
	}
}

Test(offload, frame_of_segments_cut_ipv4)
{
	check_cut(false);
}

Test(offload, frame_of_segments_cut_ipv6)
{
	check_cut(true);
}

/* A description that does not fit the frame cuts nothing */
Test(offload, frame_of_segments_refused_when_not_described)
{
	static uint8_t f[4000], scratch[1600];
	static struct cut c;
	struct gso_tx g, bad;
	size_t len = gso_frame(f, false, 2500, 0x10, &g);

	memset(&c, 0, sizeof(c));
	bad = g;
	bad.v6 = true;                  /* an IPv4 frame */
	cr_assert_eq(gso_segment(f, len, &bad, scratch, sizeof(scratch), keep,
				 &c), -EINVAL);
	bad = g;
	bad.hdr_len = (uint16_t)(len + 1);
	cr_assert_eq(gso_segment(f, len, &bad, scratch, sizeof(scratch), keep,
				 &c), -EINVAL);
	bad = g;
	bad.gso_size = 0;
	cr_assert_eq(gso_segment(f, len, &bad, scratch, sizeof(scratch), keep,
				 &c), -EINVAL);
	cr_assert_eq(gso_segment(f, len, &g, scratch, 100, keep, &c), -EINVAL);
	cr_assert_eq(c.n, 0u);
	/* headers alone (a FIN after the data): one segment */
	len = gso_frame(f, false, 0, 0x11, &g);
	cr_assert_eq(gso_segment(f, len, &g, scratch, sizeof(scratch), keep,
				 &c), 0);
	cr_assert_eq(c.n, 1u);
	cr_assert_eq(c.seg[0][g.csum_start + 13], 0x11);
}
