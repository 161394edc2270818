/* SPDX-License-Identifier: MIT */
/*
 * 41-ipv6.c - the IPv6 header (RFC 8200 3) and its extension header chain
 * (RFC 8200 4): every refusal and the Parameter Problem it owes
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ipv6.h"

static uint8_t pkt[2048];

/* A fixed header with @nh, payload @plen, addresses 2001:db8::1 -> ::2 */
static void hdr(uint8_t nh, uint16_t plen)
{
	struct ipv6_hdr h = { .tclass = 0xb8, .flow = 0x12345, .plen = plen,
			      .nh = nh, .hlim = 64 };

	memset(pkt, 0, sizeof(pkt));
	h.src[0] = 0x20; h.src[1] = 0x01; h.src[2] = 0x0d; h.src[3] = 0xb8;
	memcpy(h.dst, h.src, 16);
	h.src[15] = 1;
	h.dst[15] = 2;
	ipv6_build(pkt, &h);
}

/* An options header at @off: next header @nh, options @opt of @n bytes,
 * padded with PadN to a multiple of 8. Return: its length */
static size_t opts(size_t off, uint8_t nh, const uint8_t *opt, size_t n)
{
	size_t len = (2 + n + 7) / 8 * 8;

	pkt[off] = nh;
	pkt[off + 1] = (uint8_t)(len / 8 - 1);
	if (n)
		memcpy(pkt + off + 2, opt, n);
	if (len - 2 - n == 1)
		pkt[off + 2 + n] = IP6_OPT_PAD1;
	else if (len - 2 - n >= 2) {
		pkt[off + 2 + n] = IP6_OPT_PADN;
		pkt[off + 3 + n] = (uint8_t)(len - 4 - n);
	}
	return len;
}

Test(ipv6, parse_build_round_trip)
{
	struct ipv6_hdr h;
	uint8_t out[IPV6_HLEN];

	hdr(IP6_NH_ICMPV6, 8);
	cr_assert_eq(ipv6_parse(pkt, 48, &h), IPV6_OK);
	cr_expect_eq(h.tclass, 0xb8);
	cr_expect_eq(h.flow, 0x12345);
	cr_expect_eq(h.plen, 8);
	cr_expect_eq(h.nh, 58);
	cr_expect_eq(h.hlim, 64);
	cr_expect_eq(h.src[15], 1);
	cr_expect_eq(h.dst[15], 2);
	cr_expect_eq(pkt[0], 0x6b);
	cr_expect_eq(pkt[1], 0x81);
	ipv6_build(out, &h);
	cr_expect_arr_eq(out, pkt, IPV6_HLEN);
}

Test(ipv6, header_refusals)
{
	struct ipv6_hdr h;

	hdr(IP6_NH_ICMPV6, 8);
	cr_expect_eq(ipv6_parse(pkt, 39, &h), IPV6_ERR_SHORT);
	cr_expect_eq(ipv6_parse(pkt, 47, &h), IPV6_ERR_LEN,
		     "payload length beyond the frame");
	cr_expect_eq(ipv6_parse(pkt, 100, &h), IPV6_OK, "link padding is fine");
	pkt[0] = 0x45;
	cr_expect_eq(ipv6_parse(pkt, 48, &h), IPV6_ERR_VERSION);
}

Test(ipv6, no_extension_headers)
{
	struct ipv6_chain c;

	hdr(17, 8);
	cr_assert_eq(ipv6_walk(pkt, 48, true, &c), IPV6_OK);
	cr_expect_eq(c.proto, 17);
	cr_expect_eq(c.l4_off, 40);
	cr_expect_eq(c.nh_off, 6);
	cr_expect_not(c.frag);
}

Test(ipv6, hop_by_hop_then_dstopts_then_upper)
{
	static const uint8_t ra[] = { IP6_OPT_ROUTER_ALERT, 2, 0, 0 };
	static const uint8_t skip[] = { 0x1e, 3, 1, 2, 3 };  /* action 00 */
	struct ipv6_chain c;
	size_t off = IPV6_HLEN;

	hdr(IP6_NH_HOPOPTS, 0);
	off += opts(off, IP6_NH_DSTOPTS, ra, sizeof(ra));
	off += opts(off, 6, skip, sizeof(skip));
	put16(pkt + 4, (uint16_t)(off - IPV6_HLEN + 20));
	cr_assert_eq(ipv6_walk(pkt, off + 20, true, &c), IPV6_OK);
	cr_expect_eq(c.proto, 6);
	cr_expect_eq(c.l4_off, off);
	cr_expect_eq(c.nh_off, 48, "the Dest Options header named TCP");
	cr_expect(c.router_alert);
}

/* RFC 8200 4.1: Hop-by-Hop anywhere but first is an unrecognized Next
 * Header, pointing at the field that named it */
Test(ipv6, hop_by_hop_not_first)
{
	struct ipv6_chain c;
	size_t off = IPV6_HLEN;

	hdr(IP6_NH_DSTOPTS, 16);
	off += opts(off, IP6_NH_HOPOPTS, NULL, 0);
	opts(off, 17, NULL, 0);
	cr_assert_eq(ipv6_walk(pkt, 56, true, &c), IPV6_ERR_PARAM);
	cr_expect_eq(c.param_code, ICMP6_PARAM_NEXTHDR);
	cr_expect_eq(c.param_ptr, 40);
}

/* RFC 8200 4.2: the two high bits of an unknown option's type */
Test(ipv6, unknown_option_actions)
{
	static const struct { uint8_t type; int rc; bool mcast_ok; } v[] = {
		{ 0x07, IPV6_OK, false },
		{ 0x47, IPV6_ERR_DISCARD, false },
		{ 0x87, IPV6_ERR_PARAM, true },
		{ 0xc7, IPV6_ERR_PARAM, false },
	};
	struct ipv6_chain c;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t opt[] = { IP6_OPT_PADN, 0, v[i].type, 2, 0, 0 };

		hdr(IP6_NH_DSTOPTS, 8 + 8);
		opts(IPV6_HLEN, 17, opt, sizeof(opt));
		cr_expect_eq(ipv6_walk(pkt, 56, true, &c), v[i].rc,
			     "type %#x", v[i].type);
		if (v[i].rc == IPV6_ERR_PARAM) {
			cr_expect_eq(c.param_code, ICMP6_PARAM_OPTION);
			cr_expect_eq(c.param_ptr, 44, "points at the option type");
			cr_expect_eq(c.param_mcast_ok, v[i].mcast_ok);
		}
	}
}

Test(ipv6, truncated_extension_headers)
{
	static const uint8_t bad_len[] = { 0x07, 9, 0 };
	struct ipv6_chain c;

	hdr(IP6_NH_DSTOPTS, 4);
	cr_expect_eq(ipv6_walk(pkt, 44, true, &c), IPV6_ERR_EXT,
		     "header shorter than 8 bytes");
	hdr(IP6_NH_DSTOPTS, 8);
	pkt[41] = 1;            /* claims 16 bytes */
	cr_expect_eq(ipv6_walk(pkt, 48, true, &c), IPV6_ERR_EXT);
	hdr(IP6_NH_DSTOPTS, 8);
	opts(IPV6_HLEN, 17, bad_len, sizeof(bad_len));
	cr_expect_eq(ipv6_walk(pkt, 48, true, &c), IPV6_ERR_EXT,
		     "an option runs past its header");
	hdr(IP6_NH_FRAGMENT, 4);
	cr_expect_eq(ipv6_walk(pkt, 44, true, &c), IPV6_ERR_EXT);
}

/* RFC 8200 4.4: a routing header with no segment left is skipped; one
 * that asks us to forward (type 0 included, RFC 5095) is refused */
Test(ipv6, routing_header)
{
	struct ipv6_chain c;

	for (uint8_t type = 0; type < 5; type += 4) {
		hdr(IP6_NH_ROUTING, 24 + 8);
		pkt[40] = 17;
		pkt[41] = 2;
		pkt[42] = type;
		pkt[43] = 0;
		cr_expect_eq(ipv6_walk(pkt, 72, true, &c), IPV6_OK);
		cr_expect_eq(c.proto, 17);
		cr_expect_eq(c.l4_off, 64);
		pkt[43] = 1;
		cr_expect_eq(ipv6_walk(pkt, 72, true, &c), IPV6_ERR_PARAM);
		cr_expect_eq(c.param_code, ICMP6_PARAM_HEADER);
		cr_expect_eq(c.param_ptr, 42, "points at the routing type");
	}
}

Test(ipv6, fragment_header)
{
	struct ipv6_chain c;

	hdr(IP6_NH_FRAGMENT, 8 + 16);
	pkt[40] = 17;
	put16(pkt + 42, 1448 | 1);      /* offset 1448, more fragments */
	put32(pkt + 44, 0xdeadbeef);
	cr_assert_eq(ipv6_walk(pkt, 64, true, &c), IPV6_OK);
	cr_expect(c.frag);
	cr_expect_eq(c.frag_hdr_off, 40);
	cr_expect_eq(c.frag_off, 1448);
	cr_expect(c.frag_more);
	cr_expect_eq(c.frag_id, 0xdeadbeef);
	cr_expect_eq(c.l4_off, 48);
	cr_expect_not(ipv6_is_atomic_frag(&c));
}

/* RFC 6946: an atomic fragment (offset 0, M clear) is processed in
 * isolation: the walk goes on past its Fragment header */
Test(ipv6, atomic_fragment)
{
	struct ipv6_chain c;

	hdr(IP6_NH_FRAGMENT, 8 + 8);
	pkt[40] = 17;
	put32(pkt + 44, 7);
	cr_assert_eq(ipv6_walk(pkt, 56, true, &c), IPV6_OK);
	cr_expect(ipv6_is_atomic_frag(&c));
	cr_expect_eq(c.proto, 17);
	cr_expect_eq(c.l4_off, 48);
	cr_expect_eq(c.nh_off, 40);
}

Test(ipv6, no_next_header)
{
	struct ipv6_chain c;

	hdr(IP6_NH_NONE, 0);
	cr_expect_eq(ipv6_walk(pkt, 40, true, &c), IPV6_ERR_NONE);
}
