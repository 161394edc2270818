/* SPDX-License-Identifier: MIT */
/*
 * 15-inet.c - the Internet checksum against known vectors, the pseudo
 * header, and the text forms of addresses
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"

/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
Test(inet, rfc1071_vector)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	cr_expect_eq(inet_fold(inet_sum(b, sizeof(b), 0)), (uint16_t)~0xddf2);
	cr_expect_eq(inet_cksum(b, sizeof(b)), 0x220d);
}

/* A real IPv4 header (Wikipedia's example): checksum b861. */
Test(inet, ipv4_header_vector)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			0xc0, 0xa8, 0x00, 0xc7 };

	cr_expect_eq(inet_cksum(h, sizeof(h)), 0xb861);
	put16(h + 10, 0xb861);
	cr_expect_eq(inet_cksum(h, sizeof(h)), 0, "verifying gives zero");
	h[15] ^= 1;
	cr_expect_neq(inet_cksum(h, sizeof(h)), 0);
}

Test(inet, odd_length_pads_with_zero)
{
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
	static const uint8_t even[] = { 0x12, 0x34, 0x56, 0x00 };

	cr_expect_eq(inet_sum(odd, 3, 0), 0x1234 + 0x5600);
	cr_expect_eq(inet_cksum(odd, 3), inet_cksum(even, 4));
	cr_expect_eq(inet_cksum(odd, 1), (uint16_t)~0x1200);
	cr_expect_eq(inet_cksum(odd, 0), 0xffff);
}

/* The 8-byte fast path and the carries agree with a plain 16-bit sum. */
Test(inet, long_buffers_match_reference)
{
	static uint8_t b[1501];

	for (size_t len = 0; len <= sizeof(b); len += 37) {
		uint32_t ref = 0;

		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(0xff - (i * 3 & 0x0f));
		for (size_t i = 0; i < len; i += 2)
			ref += (uint32_t)(b[i] << 8 | (i + 1 < len ? b[i + 1] : 0));
		while (ref >> 16)
			ref = (ref & 0xffff) + (ref >> 16);
		cr_expect_eq(inet_cksum(b, len), (uint16_t)~ref, "len %zu", len);
	}
}

Test(inet, all_ones_data)
{
	static uint8_t b[65536];

	memset(b, 0xff, sizeof(b));
	cr_expect_eq(inet_cksum(b, sizeof(b)), 0, "ffff + ffff... = ffff");
	cr_expect_eq(inet_cksum(b, 65535), 0x00ff, "ffff... + ff00 = ff00");
}

Test(inet, running_sum_in_pieces)
{
	static const uint8_t b[] = "the quick brown fox jumps over it";
	uint32_t sum = inet_sum(b, 10, 0);

	sum = inet_sum(b + 10, sizeof(b) - 10, sum);
	cr_expect_eq(inet_fold(sum), inet_cksum(b, sizeof(b)));
}

/* UDP datagram 192.0.2.1:1234 -> 192.0.2.2:53, payload "ab": by hand the
 * pseudo header c000 0201 c000 0202 0011 000a sums to 841f, the segment
 * 04d2 0035 000a 0000 6162 brings it to ea92: checksum 156d. */
Test(inet, pseudo_header)
{
	static const uint8_t udp[] = { 0x04, 0xd2, 0x00, 0x35, 0x00, 0x0a,
				       0x00, 0x00, 'a', 'b' };
	uint32_t sum = inet_pseudo_sum(IPV4(192, 0, 2, 1), IPV4(192, 0, 2, 2),
				       17, sizeof(udp));
	uint16_t ck = inet_fold(inet_sum(udp, sizeof(udp), sum));
	uint8_t with[sizeof(udp)];

	cr_expect_eq(inet_fold(sum), (uint16_t)~0x841f);
	cr_expect_eq(ck, 0x156d);
	memcpy(with, udp, sizeof(udp));
	put16(with + 6, ck);
	cr_expect_eq(inet_fold(inet_sum(with, sizeof(with), sum)), 0);
}

Test(inet, byte_order_helpers)
{
	uint8_t b[4];

	put32(b, 0x01020304);
	cr_expect_arr_eq(b, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
	cr_expect_eq(get32(b), 0x01020304);
	put16(b, 0xabcd);
	cr_expect_eq(b[0], 0xab);
	cr_expect_eq(get16(b), 0xabcd);
	cr_expect_eq(ipv4_mask(0), 0);
	cr_expect_eq(ipv4_mask(24), 0xffffff00);
	cr_expect_eq(ipv4_mask(32), 0xffffffff);
	cr_expect(ipv4_is_multicast(IPV4(224, 0, 0, 1)));
	cr_expect_not(ipv4_is_multicast(IPV4(240, 0, 0, 1)));
	cr_expect(ipv4_is_loopback(IPV4(127, 9, 9, 9)));
}

Test(inet, ipv4_pton_good)
{
	static const struct { const char *s; uint32_t a; } v[] = {
		{ "0.0.0.0", 0 },
		{ "255.255.255.255", 0xffffffff },
		{ "192.0.2.1", IPV4(192, 0, 2, 1) },
		{ "10.200.3.0", IPV4(10, 200, 3, 0) },
		{ "1.2.3.4", 0x01020304 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t a = 0xdeadbeef;

		cr_expect_eq(ipv4_pton(v[i].s, &a), 0, "%s", v[i].s);
		cr_expect_eq(a, v[i].a, "%s", v[i].s);
	}
}

/* Refused, and the output is left alone. Leading zeros are refused as
 * inet_pton(3) does: "010" is 8 to inet_aton and 10 to others. */
Test(inet, ipv4_pton_bad)
{
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1",
		"1.2.3.256", "1..2.3", ".1.2.3", "1.2.3.4 ", " 1.2.3.4",
		"1.2.3.-4", "1.2.3.a", "1234.1.1.1", "0x1.2.3.4", "+1.2.3.4",
		"01.2.3.4", "1.2.3.004", "1.2.3.00",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t a = 0xdeadbeef;

		cr_expect_eq(ipv4_pton(bad[i], &a), -1, "\"%s\" accepted", bad[i]);
		cr_expect_eq(a, 0xdeadbeef);
	}
}

Test(inet, ipv4_ntop)
{
	char buf[16];

	cr_expect_str_eq(ipv4_ntop(IPV4(192, 0, 2, 1), buf), "192.0.2.1");
	cr_expect_str_eq(ipv4_ntop(0, buf), "0.0.0.0");
	cr_expect_str_eq(ipv4_ntop(0xffffffff, buf), "255.255.255.255");
	cr_expect_eq(strlen(buf), 15, "the longest form fits in 16 bytes");
}

Test(inet, mac_round_trip)
{
	static const uint8_t m[6] = { 0x02, 0xab, 0xCD, 0x00, 0x10, 0xff };
	uint8_t out[6];
	char buf[18];

	cr_expect_str_eq(mac_ntop(m, buf), "02:ab:cd:00:10:ff");
	cr_expect_eq(mac_pton(buf, out), 0);
	cr_expect_arr_eq(out, m, 6);
	cr_expect_eq(mac_pton("02:AB:cD:00:10:FF", out), 0, "either case");
	cr_expect_arr_eq(out, m, 6);
}

/* Every bad string in a buffer of exactly its size, so that a read past
 * the terminating NUL shows under ASan. */
Test(inet, mac_pton_bad)
{
	static const char *const bad[] = {
		"", "0", "02", "02:", "02:00:00:00:00", "02:00:00:00:00:",
		"02:00:00:00:00:0", "02:00:00:00:00:001", "02:00:00:00:00:00:",
		"02-00-00-00-00-00", "2:00:00:00:00:00", "0g:00:00:00:00:00",
		"02:00:00:00:00:00 ", "02:00:00:00:00:0g",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]) + 1;
		char *s = malloc(n);
		uint8_t mac[6] = { 9, 9, 9, 9, 9, 9 };

		memcpy(s, bad[i], n);
		cr_expect_eq(mac_pton(s, mac), -1, "\"%s\" accepted", bad[i]);
		free(s);
	}
}
