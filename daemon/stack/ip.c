/* SPDX-License-Identifier: MIT */
/*
 * ip.c - the address type both families share: comparison, classes,
 * text forms (RFC 5952), the pseudo-header sums (RFC 9293 3.1, RFC 8200 8.1)
 */
#include "ip.h"

#include <stdio.h>

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					     0xff, 0xff };

bool ip_addr_is_multicast(const struct ip_addr *a)
{
	if (a->family == IP_V4)
		return ipv4_is_multicast(a->v4);
	return a->family == IP_V6 && a->v6[0] == 0xff;
}

bool ip_addr_is_loopback(const struct ip_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	if (a->family == IP_V4)
		return ipv4_is_loopback(a->v4);
	return a->family == IP_V6 && !memcmp(a->v6, one, 16);
}

bool ip_addr_is_linklocal(const struct ip_addr *a)
{
	if (a->family == IP_V4)
		return a->v4 >> 16 == 0xa9fe;
	return a->family == IP_V6 && a->v6[0] == 0xfe &&
	       (a->v6[1] & 0xc0) == 0x80;
}

bool ip_addr_is_v4mapped(const struct ip_addr *a)
{
	return a->family == IP_V6 && !memcmp(a->v6, v4mapped_prefix, 12);
}

bool ip_prefix_match(const struct ip_addr *a, const struct ip_addr *prefix,
		     unsigned plen)
{
	unsigned bytes, bits;

	if (a->family != prefix->family)
		return false;
	if (a->family == IP_V4) {
		if (plen > 32)
			return false;
		return ((a->v4 ^ prefix->v4) & ipv4_mask(plen)) == 0;
	}
	if (plen > 128)
		return false;
	bytes = plen / 8;
	bits = plen % 8;
	if (memcmp(a->v6, prefix->v6, bytes))
		return false;
	if (bits && ((a->v6[bytes] ^ prefix->v6[bytes]) &
		     (uint8_t)(0xff00 >> bits)))
		return false;
	return true;
}

struct ip_addr ip_unmap(const struct ip_addr *a)
{
	if (!ip_addr_is_v4mapped(a))
		return *a;
	return ip4(get32(a->v6 + 12));
}

struct ip_addr ip_map(const struct ip_addr *a)
{
	struct ip_addr r = { .family = IP_V6 };

	if (a->family != IP_V4)
		return *a;
	memcpy(r.v6, v4mapped_prefix, 12);
	put32(r.v6 + 12, a->v4);
	return r;
}

/**
 * ip_addr_hash() - a hash of @a for table buckets (not for secrets)
 * @a: the address
 * @seed: mixed in, so that tables can differ
 *
 * Return: 32 bits, spread by a multiplicative mix (FNV-1a's steps)
 */
uint32_t ip_addr_hash(const struct ip_addr *a, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed ^ a->family;
	const uint8_t *p = a->v6;
	size_t n = 16, i;
	uint8_t v4[4];

	if (a->family == IP_V4) {
		put32(v4, a->v4);
		p = v4;
		n = 4;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h ^ h >> 15;
}

/**
 * ip_sock_addr_conflict() - may two sockets not share a port?
 * @a: one socket's local address (see ip.h)
 * @a_v6only: its IPV6_V6ONLY
 * @b: the other's
 * @b_v6only: its IPV6_V6ONLY
 *
 * Linux's inet_rcv_saddr_equal() with wildcards matching, as bind
 * conflicts use it: two IPv4 addresses overlap when equal or either is
 * 0.0.0.0; two :: always do, V6ONLY or not; :: overlaps every IPv4
 * address unless it is V6ONLY; two IPv6 addresses when equal. The
 * SO_REUSEADDR and SO_REUSEPORT exceptions are the caller's.
 *
 * Return: true if their addresses overlap
 */
bool ip_sock_addr_conflict(const struct ip_addr *a, bool a_v6only,
			   const struct ip_addr *b, bool b_v6only)
{
	bool a_any6 = a->family == IP_V6 && ip_addr_is_any(a);
	bool b_any6 = b->family == IP_V6 && ip_addr_is_any(b);

	if (a->family == IP_V4 && b->family == IP_V4)
		return !a->v4 || !b->v4 || a->v4 == b->v4;
	if (a_any6 && b_any6)
		return true;
	if (b_any6 && !(b_v6only && a->family == IP_V4))
		return true;
	if (a_any6 && !(a_v6only && b->family == IP_V4))
		return true;
	return ip_addr_eq(a, b);
}

/**
 * ip_sock_match() - how well a socket's local address takes a datagram
 * @laddr: the socket's local address (see ip.h)
 * @domain: its family, IP_V4 (AF_INET) or IP_V6 (AF_INET6)
 * @v6only: its IPV6_V6ONLY
 * @dst: the datagram's destination
 *
 * Linux's compute_score(), the address part: an exact address beats a
 * wildcard; for an IPv4 datagram an AF_INET socket beats an AF_INET6 one
 * at the same rank, and an AF_INET6 socket takes it only bound to :: and
 * without V6ONLY, or bound to its ::ffff: form.
 *
 * Return: 0 if the socket does not take it, else higher is better (1..6)
 */
unsigned ip_sock_match(const struct ip_addr *laddr, uint8_t domain,
		       bool v6only, const struct ip_addr *dst)
{
	unsigned fam = domain == IP_V4 ? 2 : 1;

	if (dst->family == IP_V4) {
		if (laddr->family == IP_V6)
			return ip_addr_is_any(laddr) && !v6only ? 1 : 0;
		if (!laddr->v4)
			return fam;
		return laddr->v4 == dst->v4 ? fam + 4 : 0;
	}
	if (laddr->family != IP_V6)
		return 0;
	if (ip_addr_is_any(laddr))
		return 1;
	return ip_addr_eq(laddr, dst) ? 5 : 0;
}

/* RFC 5952 4.2: the longest run of two or more zero groups, first if tied */
static void ip6_zero_run(const uint16_t g[8], int *start, int *len)
{
	int i, run = 0;

	*start = -1;
	*len = 0;
	for (i = 0; i <= 8; i++) {
		if (i < 8 && g[i] == 0) {
			run++;
			continue;
		}
		if (run >= 2 && run > *len) {
			*start = i - run;
			*len = run;
		}
		run = 0;
	}
}

char *ip_ntop(const struct ip_addr *a, char *buf)
{
	uint16_t g[8];
	int zs, zl, i;
	char *p = buf;

	if (a->family == IP_V4)
		return ipv4_ntop(a->v4, buf);
	if (a->family != IP_V6) {
		strcpy(buf, "?");
		return buf;
	}
	if (ip_addr_is_v4mapped(a)) {
		char q[16];

		snprintf(buf, IP_STRLEN, "::ffff:%s",
			 ipv4_ntop(get32(a->v6 + 12), q));
		return buf;
	}
	for (i = 0; i < 8; i++)
		g[i] = get16(a->v6 + 2 * i);
	ip6_zero_run(g, &zs, &zl);
	for (i = 0; i < 8; i++) {
		if (i == zs) {
			p += sprintf(p, "::");
			i += zl - 1;
			continue;
		}
		p += sprintf(p, "%s%x", i && i != zs + zl ? ":" : "", g[i]);
	}
	*p = 0;
	return buf;
}

/* RFC 4291 2.2 text forms: groups, one "::", a dotted quad at the end */
static int ip6_pton(const char *s, uint8_t out[16])
{
	uint8_t b[16] = { 0 };
	int n = 0, gap = -1;

	if (s[0] == ':' && s[1] == ':') {
		gap = 0;
		s += 2;
	}
	while (*s) {
		unsigned v = 0;
		int digits = 0;
		const char *start = s;

		while (hex_digit(*s) >= 0 && digits < 5) {
			v = v << 4 | (unsigned)hex_digit(*s++);
			digits++;
		}
		if (*s == '.' && n <= 12) {
			uint32_t q;

			if (ipv4_pton(start, &q))
				return -1;
			put32(b + n, q);
			n += 4;
			break;
		}
		if (!digits || digits > 4 || n > 14)
			return -1;
		b[n++] = (uint8_t)(v >> 8);
		b[n++] = (uint8_t)v;
		if (!*s)
			break;
		if (*s++ != ':')
			return -1;
		if (*s == ':') {
			if (gap >= 0)
				return -1;
			gap = n;
			s++;
		} else if (!*s) {
			return -1;      /* a trailing single colon */
		}
	}
	if (gap < 0) {
		if (n != 16)
			return -1;
	} else {
		if (n > 14)
			return -1;
		memmove(b + 16 - (n - gap), b + gap, (size_t)(n - gap));
		memset(b + gap, 0, (size_t)(16 - n));
	}
	memcpy(out, b, 16);
	return 0;
}

int ip_pton(const char *s, struct ip_addr *a)
{
	uint32_t v4;
	uint8_t v6[16];

	if (strchr(s, ':')) {
		if (ip6_pton(s, v6))
			return -1;
		*a = ip6(v6);
		return 0;
	}
	if (ipv4_pton(s, &v4))
		return -1;
	*a = ip4(v4);
	return 0;
}

/**
 * ip_pseudo_sum() - running sum of the pseudo-header
 * @src: source address
 * @dst: destination address (the same family)
 * @proto: upper-layer protocol (Next Header)
 * @len: upper-layer packet length
 *
 * Return: the unfolded sum to continue with the upper-layer bytes
 */
uint32_t ip_pseudo_sum(const struct ip_addr *src, const struct ip_addr *dst,
		       uint8_t proto, uint32_t len)
{
	uint8_t tail[8];

	if (src->family == IP_V4)
		return inet_pseudo_sum(src->v4, dst->v4, proto, (uint16_t)len);
	put32(tail, len);
	put32(tail + 4, proto);
	return inet_sum(tail, 8, inet_sum(dst->v6, 16, inet_sum(src->v6, 16, 0)));
}
