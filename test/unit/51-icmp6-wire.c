/* SPDX-License-Identifier: MIT */
/*
 * 51-icmp6-wire.c - ICMPv6, Neighbor Discovery and MLD messages on the
 * wire, against bytes scapy built: checksums, every option this stack
 * reads, the RFC 4861 validity checks, MLD's encoded delays
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "icmp6.h"

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (*s && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static struct ip_addr A(const char *s)
{
	struct ip_addr a;

	cr_assert_eq(ip_pton(s, &a), 0);
	return a;
}

/* scapy: IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255) /
 * ICMPv6ND_NS(tgt="fe80::2") / ICMPv6NDOptSrcLLAddr("02:00:00:00:00:01") */
static const char *NS = "87007a9700000000fe800000000000000000000000000002"
			"0101020000000001";
/* ... / ICMPv6ND_NA(tgt="fe80::2", S=1, O=1) / TLLA 02:..:02 from fe80::2 */
static const char *NA = "8800181a60000000fe800000000000000000000000000002"
			"0201020000000002";
/* an RA from fe80::1 to ff02::1: hop limit 64, O, lifetime 1800,
 * reachable 30000, retrans 1000, prefix 2001:db8:1::/64 LA 86400/14400,
 * MTU 1500, RDNSS 2001:db8::53 600 s, DNSSL example.com lab.test, SLLA */
static const char *RA =
	"8600c4cc4048070800007530000003e8030440c000015180000038400000000020"
	"010db800010000000000000000000005010000000005dc19030000000002582001"
	"0db80000000000000000000000531f04000000000258076578616d706c6503636f"
	"6d00036c6162047465737400000101020000000001";

Test(icmp6, checksum_both_ways)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t ref[64], out[96], tgt[16];
	struct ip_addr src = A("fe80::1"), dst = A("ff02::1:ff00:2");
	struct icmp6_hdr h;
	size_t n = unhex(NS, ref);

	cr_assert_eq(icmp6_parse(ref, n, &src, &dst, &h), 0);
	cr_expect_eq(h.type, ND_NEIGHBOR_SOLICIT);
	cr_expect_eq(h.cksum, 0x7a97);
	memcpy(tgt, A("fe80::2").v6, 16);
	cr_assert_eq(nd_build_ns(out, &src, &dst, tgt, mac), n);
	cr_expect_arr_eq(out, ref, n, "our NS is byte for byte scapy's");
	ref[10] ^= 1;
	cr_expect_eq(icmp6_parse(ref, n, &src, &dst, &h), -2);
	cr_expect_eq(icmp6_parse(ref, 7, &src, &dst, &h), -1);
	dst = A("ff02::1:ff00:3");
	ref[10] ^= 1;
	cr_expect_eq(icmp6_parse(ref, n, &src, &dst, &h), -2,
		     "the pseudo-header covers the destination");
}

Test(icmp6, neighbor_advert)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 2 };
	uint8_t ref[64], out[96];
	struct ip_addr src = A("fe80::2"), dst = A("fe80::1");
	struct nd_msg m;
	size_t n = unhex(NA, ref);

	cr_assert_eq(nd_parse(ref, n, &src, &dst, 255, &m), ND_OK);
	cr_expect_eq(m.flags, ND_NA_SOLICITED | ND_NA_OVERRIDE);
	cr_expect(m.has_tlla);
	cr_expect_arr_eq(m.tlla, mac, 6);
	cr_expect_eq(m.target[15], 2);
	cr_assert_eq(nd_build_na(out, &src, &dst, m.target, m.flags, mac), n);
	cr_expect_arr_eq(out, ref, n);
}

Test(icmp6, router_advert_options)
{
	uint8_t ref[256];
	struct ip_addr src = A("fe80::1"), dst = A("ff02::1");
	struct ip_addr pfx = A("2001:db8:1::"), dns = A("2001:db8::53");
	struct nd_msg m;
	size_t n = unhex(RA, ref);

	cr_assert_eq(nd_parse(ref, n, &src, &dst, 255, &m), ND_OK);
	cr_expect_eq(m.cur_hop_limit, 64);
	cr_expect_eq(m.flags & (ND_RA_MANAGED | ND_RA_OTHER), ND_RA_OTHER);
	cr_expect_eq(m.router_lifetime, 1800);
	cr_expect_eq(m.reachable_time, 30000);
	cr_expect_eq(m.retrans_timer, 1000);
	cr_assert_eq(m.nprefix, 1);
	cr_expect_eq(m.prefix[0].len, 64);
	cr_expect_eq(m.prefix[0].flags, ND_PREFIX_ONLINK | ND_PREFIX_AUTO);
	cr_expect_eq(m.prefix[0].valid, 86400);
	cr_expect_eq(m.prefix[0].preferred, 14400);
	cr_expect_arr_eq(m.prefix[0].prefix, pfx.v6, 16);
	cr_expect(m.has_mtu);
	cr_expect_eq(m.mtu, 1500);
	cr_assert_eq(m.nrdnss, 1);
	cr_expect_arr_eq(m.rdnss[0].addr, dns.v6, 16);
	cr_expect_eq(m.rdnss[0].lifetime, 600);
	cr_assert_eq(m.ndnssl, 2);
	cr_expect_str_eq(m.dnssl[0].name, "example.com");
	cr_expect_str_eq(m.dnssl[1].name, "lab.test");
	cr_expect(m.has_slla);
	cr_expect_not(m.has_tlla);
}

/* RFC 4861 6.1.2 / 7.1: silently discarded, each for its own reason */
Test(icmp6, nd_refusals)
{
	uint8_t b[256];
	struct ip_addr ll = A("fe80::1"), any = A("::"), all = A("ff02::1");
	struct ip_addr glob = A("2001:db8::1"), sn = A("ff02::1:ff00:2");
	struct ip_addr me = A("fe80::2");
	struct nd_msg m;
	size_t n;

	n = unhex(RA, b);
	cr_expect_eq(nd_parse(b, n, &ll, &all, 64, &m), ND_ERR_HOPLIMIT);
	cr_expect_eq(nd_parse(b, n, &glob, &all, 255, &m), ND_ERR_INVALID,
		     "an RA from a global address");
	cr_expect_eq(nd_parse(b, 15, &ll, &all, 255, &m), ND_ERR_SHORT);
	b[1] = 1;
	cr_expect_eq(nd_parse(b, n, &ll, &all, 255, &m), ND_ERR_CODE);
	b[1] = 0;
	b[17] = 0;              /* the prefix option's length */
	cr_expect_eq(nd_parse(b, n, &ll, &all, 255, &m), ND_ERR_OPTION,
		     "an option of length zero");
	b[17] = 200;
	cr_expect_eq(nd_parse(b, n, &ll, &all, 255, &m), ND_ERR_OPTION,
		     "an option past the end");

	n = unhex(NS, b);
	cr_expect_eq(nd_parse(b, n, &ll, &sn, 255, &m), ND_OK);
	cr_expect_eq(nd_parse(b, n, &any, &sn, 255, &m), ND_ERR_INVALID,
		     "DAD probe with a source link-layer option");
	cr_expect_eq(nd_parse(b, 24, &any, &sn, 255, &m), ND_OK,
		     "DAD probe without it");
	cr_expect_eq(nd_parse(b, 24, &any, &me, 255, &m), ND_ERR_INVALID,
		     "DAD probe not to a solicited-node group");
	b[8] = 0xff;
	cr_expect_eq(nd_parse(b, n, &ll, &sn, 255, &m), ND_ERR_INVALID,
		     "multicast target");

	n = unhex(NA, b);
	cr_expect_eq(nd_parse(b, n, &me, &all, 255, &m), ND_ERR_INVALID,
		     "solicited advert to a group");
	b[4] = ND_NA_OVERRIDE;
	cr_expect_eq(nd_parse(b, n, &me, &all, 255, &m), ND_OK,
		     "unsolicited advert to all nodes");
}

/* RFC 8106 5.2: a DNSSL whose names do not end cleanly keeps the whole
 * ones and drops the rest */
Test(icmp6, dnssl_malformed)
{
	uint8_t b[64] = { ND_ROUTER_SOLICIT, 0, 0, 0, 0, 0, 0, 0,
			  ND_OPT_DNSSL, 3, 0, 0, 0, 0, 0, 60,
			  3, 'a', 'b', 'c', 0, 40, 'x', 'y', 'z', 0, 0, 0,
			  0, 0, 0, 0 };
	struct ip_addr ll = A("fe80::1"), all = A("ff02::2");
	struct nd_msg m;

	cr_assert_eq(nd_parse(b, 32, &ll, &all, 255, &m), ND_OK);
	cr_expect_eq(m.ndnssl, 1);
	cr_expect_str_eq(m.dnssl[0].name, "abc");
}

Test(icmp6, solicited_node_and_mac)
{
	struct ip_addr a = A("2001:db8::abcd:1234:5678"), sn = A("ff02::1:ff34:5678");
	uint8_t g[16], mac[6];
	static const uint8_t want[6] = { 0x33, 0x33, 0xff, 0x34, 0x56, 0x78 };

	ip6_solicited_node(a.v6, g);
	cr_expect_arr_eq(g, sn.v6, 16);
	ip6_mcast_mac(g, mac);
	cr_expect_arr_eq(mac, want, 6);
}

/* RFC 3810 5.1.3 and 5.1.9: the exponential forms of the delays */
Test(icmp6, mld_queries)
{
	uint8_t q[28] = { ICMP6_MLD_QUERY, 0, 0, 0, 0x27, 0x10 };
	struct mld_query mq;

	cr_assert_eq(mld_parse_query(q, 24, &mq), 0);
	cr_expect_not(mq.v2);
	cr_expect_eq(mq.max_resp_ms, 10000);
	q[24] = 2;
	q[25] = 125;
	cr_assert_eq(mld_parse_query(q, 28, &mq), 0);
	cr_expect(mq.v2);
	cr_expect_eq(mq.max_resp_ms, 10000);
	cr_expect_eq(mq.qrv, 2);
	cr_expect_eq(mq.qqi_s, 125);
	put16(q + 4, 0x8000 | 0x1234);         /* exp 1, mant 0x234 */
	q[25] = 0x80 | 0x12;                   /* exp 1, mant 2 */
	cr_assert_eq(mld_parse_query(q, 28, &mq), 0);
	cr_expect_eq(mq.max_resp_ms, (0x234 | 0x1000) << 4);
	cr_expect_eq(mq.qqi_s, (2 | 0x10) << 4);
	cr_expect_eq(mld_parse_query(q, 26, &mq), -1);
	put16(q + 26, 1);
	cr_expect_eq(mld_parse_query(q, 28, &mq), -1,
		     "claims a source it does not carry");
}

Test(icmp6, mld_report)
{
	uint8_t groups[2][16], b[128];
	struct ip_addr src = A("fe80::1"), dst = A("ff02::16");
	struct icmp6_hdr h;
	size_t n;

	ip6_solicited_node(A("fe80::1").v6, groups[0]);
	memcpy(groups[1], A("ff02::fb").v6, 16);
	n = mld_build_report(b, sizeof(b), &src, (const uint8_t (*)[16])groups,
			     2, MLD2_MODE_IS_EXCLUDE);
	cr_assert_eq(n, 48);
	cr_assert_eq(icmp6_parse(b, n, &src, &dst, &h), 0);
	cr_expect_eq(h.type, ICMP6_MLD2_REPORT);
	cr_expect_eq(h.rest, 2, "number of records");
	cr_expect_eq(b[8], MLD2_MODE_IS_EXCLUDE);
	cr_expect_arr_eq(b + 12, groups[0], 16);
	cr_expect_arr_eq(b + 32, groups[1], 16);
	cr_expect_eq(mld_build_report(b, 40, &src, (const uint8_t (*)[16])groups,
				      2, MLD2_MODE_IS_EXCLUDE), 0);
}
