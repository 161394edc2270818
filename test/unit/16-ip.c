/* SPDX-License-Identifier: MIT */
/*
 * 16-ip.c - the address type both families share: equality, classes,
 * prefixes, mapping, RFC 5952 text both ways, the two pseudo-headers
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ip.h"

static struct ip_addr a6(const char *s)
{
	struct ip_addr a;

	cr_assert_eq(ip_pton(s, &a), 0, "pton %s", s);
	cr_assert_eq(a.family, IP_V6);
	return a;
}

Test(ip, equality_is_family_aware)
{
	struct ip_addr v4 = ip4(IPV4(192, 0, 2, 1));
	struct ip_addr v4b = ip4(IPV4(192, 0, 2, 1));
	struct ip_addr mapped = ip_map(&v4);
	struct ip_addr any4 = ip_any(IP_V4), any6 = ip_any(IP_V6);

	cr_expect(ip_addr_eq(&v4, &v4b));
	cr_expect_not(ip_addr_eq(&v4, &mapped), "v4 and its mapped form differ");
	cr_expect(ip_addr_is_v4mapped(&mapped));
	struct ip_addr back = ip_unmap(&mapped);

	cr_expect(ip_addr_eq(&v4, &back));
	cr_expect(ip_addr_is_any(&any4));
	cr_expect(ip_addr_is_any(&any6));
	cr_expect_not(ip_addr_eq(&any4, &any6));
	cr_expect_eq(ip_addr_hash(&v4, 1), ip_addr_hash(&v4b, 1));
	cr_expect_neq(ip_addr_hash(&v4, 1), ip_addr_hash(&mapped, 1));
	/* the bytes an IPv4 address leaves unused are zero */
	for (int i = 4; i < 16; i++)
		cr_expect_eq(v4.v6[i], 0);
}

Test(ip, classes)
{
	struct ip_addr lo4 = ip4(IPV4(127, 9, 9, 9)), mc4 = ip4(IPV4(224, 0, 0, 251));
	struct ip_addr ll4 = ip4(IPV4(169, 254, 1, 1));
	struct ip_addr lo6 = a6("::1"), mc6 = a6("ff02::1"), ll6 = a6("fe80::1");
	struct ip_addr ll6b = a6("febf::1"), gl6 = a6("2001:db8::1");

	cr_expect(ip_addr_is_loopback(&lo4));
	cr_expect(ip_addr_is_loopback(&lo6));
	cr_expect_not(ip_addr_is_loopback(&gl6));
	cr_expect(ip_addr_is_multicast(&mc4));
	cr_expect(ip_addr_is_multicast(&mc6));
	cr_expect_not(ip_addr_is_multicast(&ll6));
	cr_expect(ip_addr_is_linklocal(&ll4));
	cr_expect(ip_addr_is_linklocal(&ll6));
	cr_expect(ip_addr_is_linklocal(&ll6b));
	cr_expect_not(ip_addr_is_linklocal(&gl6));
	cr_expect_not(ip_addr_is_linklocal(&mc6));
}

Test(ip, prefixes)
{
	struct ip_addr p = a6("2001:db8:1::"), in = a6("2001:db8:1:0:abcd::7");
	struct ip_addr out = a6("2001:db8:2::1");
	struct ip_addr v4 = ip4(IPV4(192, 0, 2, 77)), net = ip4(IPV4(192, 0, 2, 0));

	cr_expect(ip_prefix_match(&in, &p, 64));
	cr_expect(ip_prefix_match(&in, &p, 48));
	cr_expect_not(ip_prefix_match(&out, &p, 48));
	cr_expect(ip_prefix_match(&out, &p, 46), "2001:db8:0::/46 holds :1: and :2:");
	cr_expect_not(ip_prefix_match(&out, &p, 47));
	cr_expect(ip_prefix_match(&out, &p, 0));
	cr_expect_not(ip_prefix_match(&out, &p, 129));
	cr_expect(ip_prefix_match(&v4, &net, 24));
	cr_expect_not(ip_prefix_match(&v4, &net, 26));
	cr_expect_not(ip_prefix_match(&v4, &p, 0), "families never match");
}

/* RFC 5952 4: lower case, no leading zeros, the longest zero run (first
 * if tied, never a single group) as "::", mapped addresses dotted */
Test(ip, rfc5952_text)
{
	static const struct { const char *in, *out; } v[] = {
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "2001:DB8::AB", "2001:db8::ab" },
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "::1", "::1" },
		{ "1::", "1::" },
		{ "fe80::200:ff:fe00:1", "fe80::200:ff:fe00:1" },
		{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
		{ "::ffff:c000:0201", "::ffff:192.0.2.1" },
		{ "64:ff9b::192.0.2.33", "64:ff9b::c000:221" },
		{ "192.0.2.1", "192.0.2.1" },
	};
	char buf[IP_STRLEN];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ip_addr a;

		cr_assert_eq(ip_pton(v[i].in, &a), 0, "%s", v[i].in);
		cr_expect_str_eq(ip_ntop(&a, buf), v[i].out, "%s", v[i].in);
	}
}

Test(ip, malformed_text)
{
	static const char *bad[] = {
		"", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::",
		"1:2:3:4:5:6:7", "1:", ":1", "g::1", "::1.2.3", "1.2.3.4.5",
		"::ffff:1.2.3.256", "1:2:3:4:5:6:7::8:9",
	};
	struct ip_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(ip_pton(bad[i], &a), -1, "\"%s\" accepted", bad[i]);
}

/* The ICMPv6 echo that scapy builds for 2001:db8::1 -> ::2 sums to zero
 * with its pseudo-header; the IPv4 sum is the one inet.c already had. */
Test(ip, pseudo_headers)
{
	static const uint8_t echo[] = { 0x80, 0x00, 0x4d, 0x48, 0x12, 0x34,
					0x00, 0x01, 'a', 'b', 'c', 'd' };
	struct ip_addr s6 = a6("2001:db8::1"), d6 = a6("2001:db8::2");
	struct ip_addr s4 = ip4(IPV4(192, 0, 2, 1)), d4 = ip4(IPV4(192, 0, 2, 2));

	cr_expect_eq(inet_fold(inet_sum(echo, sizeof(echo),
					ip_pseudo_sum(&s6, &d6, 58, sizeof(echo)))),
		     0);
	cr_expect_eq(ip_pseudo_sum(&s4, &d4, 17, 30),
		     inet_pseudo_sum(s4.v4, d4.v4, 17, 30));
}
