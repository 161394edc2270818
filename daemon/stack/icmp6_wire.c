/* SPDX-License-Identifier: MIT */
/*
 * icmp6_wire.c - ICMPv6 messages on the wire: the header and checksum
 * (RFC 4443 2.1, 2.3), Neighbor Discovery messages and options (RFC 4861
 * 4, with the validity checks of 6.1, 7.1 and 8.1; RDNSS and DNSSL of
 * RFC 8106 5), MLD queries and reports (RFC 2710, RFC 3810 5).
 *
 * Parsing fills host-order structs and refuses what the RFCs say a node
 * must silently discard; acting on a message is the protocol modules'
 * business (icmp6.c, nd.c, mld.c).
 */
#include "icmp6.h"

#include <string.h>

#include "ipv6.h"

/**
 * icmp6_parse() - read an ICMPv6 header and verify the message checksum
 * @buf: the message
 * @len: its length
 * @src: IPv6 source (for the pseudo-header)
 * @dst: IPv6 destination
 * @h: filled in, host order
 *
 * Return: 0, -1 if shorter than a header, -2 if the checksum is wrong
 */
int icmp6_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
		const struct ip_addr *dst, struct icmp6_hdr *h)
{
	uint32_t sum;

	if (len < ICMP6_HLEN)
		return -1;
	h->type = buf[0];
	h->code = buf[1];
	h->cksum = get16(buf + 2);
	h->rest = get32(buf + 4);
	sum = ip_pseudo_sum(src, dst, IP6_NH_ICMPV6, (uint32_t)len);
	if (inet_fold(inet_sum(buf, len, sum)))
		return -2;
	return 0;
}

/**
 * icmp6_build() - write an ICMPv6 header and checksum the whole message
 * @buf: the message, body already in place after the header
 * @len: message length
 * @src: IPv6 source it will be sent from
 * @dst: IPv6 destination
 * @h: type, code and the 32-bit field; @h->cksum is computed
 */
void icmp6_build(uint8_t *buf, size_t len, const struct ip_addr *src,
		 const struct ip_addr *dst, const struct icmp6_hdr *h)
{
	uint32_t sum = ip_pseudo_sum(src, dst, IP6_NH_ICMPV6, (uint32_t)len);

	buf[0] = h->type;
	buf[1] = h->code;
	put16(buf + 2, 0);
	put32(buf + 4, h->rest);
	put16(buf + 2, inet_fold(inet_sum(buf, len, sum)));
}

void ip6_solicited_node(const uint8_t addr[16], uint8_t out[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 1, 0xff };

	memcpy(out, pfx, 13);
	memcpy(out + 13, addr + 13, 3);
}

void ip6_mcast_mac(const uint8_t group[16], uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

/* RFC 8106 5.2: domain names in DNS wire form, zero padding after them */
static void nd_dnssl(const uint8_t *p, size_t len, uint32_t lifetime,
		     struct nd_msg *m)
{
	size_t i = 0;

	while (i < len && p[i] && m->ndnssl < ND_MAX_DNSSL) {
		char *name = m->dnssl[m->ndnssl].name;
		size_t n = 0;

		while (i < len && p[i]) {
			uint8_t l = p[i++];

			if (l > 63 || i + l > len || n + l + 1 > ND_DNSSL_NAME)
				return;         /* malformed: keep what was whole */
			if (n)
				name[n++] = '.';
			memcpy(name + n, p + i, l);
			n += l;
			i += l;
		}
		if (i >= len)
			return;                 /* a name must end with 0 */
		i++;
		name[n] = 0;
		m->dnssl[m->ndnssl++].lifetime = lifetime;
	}
}

static int nd_option(const uint8_t *o, size_t olen, struct nd_msg *m)
{
	size_t i;

	switch (o[0]) {
	case ND_OPT_SLLA:
	case ND_OPT_TLLA:
		if (o[0] == ND_OPT_SLLA) {
			m->has_slla = true;
			memcpy(m->slla, o + 2, 6);
		} else {
			m->has_tlla = true;
			memcpy(m->tlla, o + 2, 6);
		}
		break;
	case ND_OPT_PREFIX:
		if (olen != 32)
			return ND_ERR_OPTION;
		if (m->nprefix < ND_MAX_PREFIXES) {
			struct nd_prefix *pi = &m->prefix[m->nprefix++];

			pi->len = o[2];
			pi->flags = o[3];
			pi->valid = get32(o + 4);
			pi->preferred = get32(o + 8);
			memcpy(pi->prefix, o + 16, 16);
		}
		break;
	case ND_OPT_MTU:
		if (olen != 8)
			return ND_ERR_OPTION;
		m->has_mtu = true;
		m->mtu = get32(o + 4);
		break;
	case ND_OPT_RDNSS:
		/* RFC 8106 5.1: length 3 or more, odd */
		if (olen < 24 || (olen - 8) % 16)
			return ND_ERR_OPTION;
		for (i = 8; i < olen && m->nrdnss < ND_MAX_RDNSS; i += 16) {
			memcpy(m->rdnss[m->nrdnss].addr, o + i, 16);
			m->rdnss[m->nrdnss++].lifetime = get32(o + 4);
		}
		break;
	case ND_OPT_DNSSL:
		if (olen < 16)
			return ND_ERR_OPTION;
		nd_dnssl(o + 8, olen - 8, get32(o + 4), m);
		break;
	default:
		break;          /* RFC 4861 4.6: unknown options are ignored */
	}
	return ND_OK;
}

static bool nd_is_solicited_node(const struct ip_addr *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 1, 0xff };

	return ip_is_v6(a) && !memcmp(a->v6, pfx, 13);
}

/* The fixed part of each message, before its options */
static size_t nd_fixed_len(uint8_t type)
{
	switch (type) {
	case ND_ROUTER_SOLICIT:
		return 8;
	case ND_ROUTER_ADVERT:
		return 16;
	case ND_NEIGHBOR_SOLICIT:
	case ND_NEIGHBOR_ADVERT:
		return 24;
	case ND_REDIRECT:
		return 40;
	default:
		return 0;
	}
}

/* RFC 4861 6.1, 7.1, 8.1: what each message must not carry */
static int nd_validate(const struct nd_msg *m, const struct ip_addr *src,
		       const struct ip_addr *dst)
{
	struct ip_addr t = ip6(m->target);

	switch (m->type) {
	case ND_ROUTER_SOLICIT:
		if (ip_addr_is_any(src) && m->has_slla)
			return ND_ERR_INVALID;
		break;
	case ND_ROUTER_ADVERT:
		if (!ip_addr_is_linklocal(src))
			return ND_ERR_INVALID;
		break;
	case ND_NEIGHBOR_SOLICIT:
		if (ip_addr_is_multicast(&t))
			return ND_ERR_INVALID;
		if (ip_addr_is_any(src) &&
		    (!nd_is_solicited_node(dst) || m->has_slla))
			return ND_ERR_INVALID;
		break;
	case ND_NEIGHBOR_ADVERT:
		if (ip_addr_is_multicast(&t))
			return ND_ERR_INVALID;
		if (ip_addr_is_multicast(dst) && (m->flags & ND_NA_SOLICITED))
			return ND_ERR_INVALID;
		break;
	case ND_REDIRECT: {
		struct ip_addr rd = ip6(m->redirect_dst);

		if (!ip_addr_is_linklocal(src) || ip_addr_is_multicast(&rd))
			return ND_ERR_INVALID;
		if (!ip_addr_is_linklocal(&t) && !ip_addr_eq(&t, &rd))
			return ND_ERR_INVALID;
		break;
	}
	}
	return ND_OK;
}

/**
 * nd_parse() - read and validate a Neighbor Discovery message
 * @msg: the ICMPv6 message (checksum already verified)
 * @len: its length
 * @src: IPv6 source
 * @dst: IPv6 destination
 * @hlim: the IPv6 hop limit it arrived with
 * @m: filled in
 *
 * Return: ND_OK, or the enum nd_err reason to discard it silently
 */
int nd_parse(const uint8_t *msg, size_t len, const struct ip_addr *src,
	     const struct ip_addr *dst, uint8_t hlim, struct nd_msg *m)
{
	size_t off = nd_fixed_len(msg[0]);
	int rc;

	memset(m, 0, sizeof(*m));
	m->type = msg[0];
	if (hlim != ND_HOPLIMIT)
		return ND_ERR_HOPLIMIT;
	if (msg[1] != 0)
		return ND_ERR_CODE;
	if (!off || len < off)
		return ND_ERR_SHORT;
	switch (m->type) {
	case ND_ROUTER_ADVERT:
		m->cur_hop_limit = msg[4];
		m->flags = msg[5];
		m->router_lifetime = get16(msg + 6);
		m->reachable_time = get32(msg + 8);
		m->retrans_timer = get32(msg + 12);
		break;
	case ND_NEIGHBOR_ADVERT:
		m->flags = msg[4];
		/* fall through */
	case ND_NEIGHBOR_SOLICIT:
		memcpy(m->target, msg + 8, 16);
		break;
	case ND_REDIRECT:
		memcpy(m->target, msg + 8, 16);
		memcpy(m->redirect_dst, msg + 24, 16);
		break;
	}
	while (off < len) {
		size_t olen;

		if (off + 2 > len)
			return ND_ERR_OPTION;
		olen = msg[off + 1] * 8u;
		if (olen == 0 || off + olen > len)
			return ND_ERR_OPTION;
		rc = nd_option(msg + off, olen, m);
		if (rc)
			return rc;
		off += olen;
	}
	return nd_validate(m, src, dst);
}

static size_t nd_lladdr_opt(uint8_t *o, uint8_t type, const uint8_t *mac)
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, mac, 6);
	return 8;
}

size_t nd_build_ns(uint8_t *buf, const struct ip_addr *src,
		   const struct ip_addr *dst, const uint8_t target[16],
		   const uint8_t *slla)
{
	struct icmp6_hdr h = { .type = ND_NEIGHBOR_SOLICIT };
	size_t n = 24;

	memcpy(buf + 8, target, 16);
	if (slla)
		n += nd_lladdr_opt(buf + n, ND_OPT_SLLA, slla);
	icmp6_build(buf, n, src, dst, &h);
	return n;
}

size_t nd_build_na(uint8_t *buf, const struct ip_addr *src,
		   const struct ip_addr *dst, const uint8_t target[16],
		   uint8_t flags, const uint8_t *tlla)
{
	struct icmp6_hdr h = { .type = ND_NEIGHBOR_ADVERT,
			       .rest = (uint32_t)flags << 24 };
	size_t n = 24;

	memcpy(buf + 8, target, 16);
	if (tlla)
		n += nd_lladdr_opt(buf + n, ND_OPT_TLLA, tlla);
	icmp6_build(buf, n, src, dst, &h);
	return n;
}

size_t nd_build_rs(uint8_t *buf, const struct ip_addr *src,
		   const struct ip_addr *dst, const uint8_t *slla)
{
	struct icmp6_hdr h = { .type = ND_ROUTER_SOLICIT };
	size_t n = 8;

	if (slla)
		n += nd_lladdr_opt(buf + n, ND_OPT_SLLA, slla);
	icmp6_build(buf, n, src, dst, &h);
	return n;
}

/* RFC 3810 5.1.3: Maximum Response Code to milliseconds */
static uint32_t mld_decode_mrc(uint16_t mrc)
{
	if (mrc < 32768)
		return mrc;
	return (uint32_t)((mrc & 0x0fff) | 0x1000) << (((mrc >> 12) & 7) + 3);
}

/* RFC 3810 5.1.9: QQIC to seconds */
static uint32_t mld_decode_qqic(uint8_t c)
{
	if (c < 128)
		return c;
	return (uint32_t)((c & 0x0f) | 0x10) << (((c >> 4) & 7) + 3);
}

/**
 * mld_parse_query() - read a Multicast Listener Query
 * @msg: the ICMPv6 message (type 130, checksum verified)
 * @len: its length: 24 for MLDv1, 28 or more for MLDv2 (RFC 3810 8.1)
 * @q: filled in
 *
 * Return: 0, or -1 if its length is neither (to be ignored)
 */
int mld_parse_query(const uint8_t *msg, size_t len, struct mld_query *q)
{
	memset(q, 0, sizeof(*q));
	if (len == 24) {
		q->max_resp_ms = get16(msg + 4);
		memcpy(q->group, msg + 8, 16);
		return 0;
	}
	if (len < 28)
		return -1;
	q->v2 = true;
	q->max_resp_ms = mld_decode_mrc(get16(msg + 4));
	memcpy(q->group, msg + 8, 16);
	q->qrv = msg[24] & 7;
	q->qqi_s = mld_decode_qqic(msg[25]);
	q->nsrc = get16(msg + 26);
	if (len < 28 + 16u * q->nsrc)
		return -1;
	return 0;
}

/**
 * mld_build_report() - an MLDv2 report (RFC 3810 5.2) for @n groups
 * @buf: where to write the ICMPv6 message
 * @cap: room at @buf
 * @src: source address (link-local, or :: during DAD)
 * @groups: the multicast addresses, one record each, no sources
 * @n: how many
 * @record_type: MLD2_MODE_IS_EXCLUDE (we listen to all sources),
 *               MLD2_CHANGE_TO_EXCLUDE (join) or MLD2_CHANGE_TO_INCLUDE (leave)
 *
 * Return: the message length, or 0 if it does not fit in @cap
 */
size_t mld_build_report(uint8_t *buf, size_t cap, const struct ip_addr *src,
			const uint8_t (*groups)[16], unsigned n,
			uint8_t record_type)
{
	static const uint8_t all_mld2_routers[16] = { 0xff, 0x02, [15] = 0x16 };
	struct ip_addr dst = ip6(all_mld2_routers);
	struct icmp6_hdr h = { .type = ICMP6_MLD2_REPORT, .rest = n };
	size_t len = 8 + 20u * n, i;

	if (len > cap || n > 0xffff)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t *r = buf + 8 + 20 * i;

		r[0] = record_type;
		r[1] = 0;               /* aux data length */
		put16(r + 2, 0);        /* number of sources */
		memcpy(r + 4, groups[i], 16);
	}
	icmp6_build(buf, len, src, &dst, &h);
	return len;
}

size_t mld_build_v1(uint8_t *buf, uint8_t type, const struct ip_addr *src,
		    const struct ip_addr *dst, const uint8_t group[16])
{
	struct icmp6_hdr h = { .type = type };

	memcpy(buf + 8, group, 16);
	icmp6_build(buf, 24, src, dst, &h);
	return 24;
}
