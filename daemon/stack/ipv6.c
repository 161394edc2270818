/* SPDX-License-Identifier: MIT */
/*
 * ipv6.c - IPv6 (RFC 8200): the header, the extension header chain
 *
 * Theory of operation. ipv6_parse() checks the fixed header against the
 * frame; ipv6_walk() follows the Next Header chain to the upper layer the
 * way RFC 8200 4 orders it: Hop-by-Hop only right after the fixed header,
 * options handled per the two high bits of their type (4.2), a Routing
 * header ignored when no segments are left and refused otherwise (we do
 * not forward; RFC 5095 refuses type 0 in any case), a Fragment header
 * recorded (the walk can stop there, so that reassembly sees the
 * unfragmentable part only), No Next Header ending the walk. Whatever the
 * walk refuses says which Parameter Problem (RFC 4443 3.4) is owed.
 */
#include "ipv6.h"

#include <string.h>

int ipv6_parse(const uint8_t *buf, size_t len, struct ipv6_hdr *h)
{
	if (len < IPV6_HLEN)
		return IPV6_ERR_SHORT;
	if (buf[0] >> 4 != 6)
		return IPV6_ERR_VERSION;
	h->tclass = (uint8_t)(buf[0] << 4 | buf[1] >> 4);
	h->flow = (uint32_t)(buf[1] & 0xf) << 16 | get16(buf + 2);
	h->plen = get16(buf + 4);
	h->nh = buf[6];
	h->hlim = buf[7];
	memcpy(h->src, buf + 8, 16);
	memcpy(h->dst, buf + 24, 16);
	if ((size_t)h->plen + IPV6_HLEN > len)
		return IPV6_ERR_LEN;
	return IPV6_OK;
}

void ipv6_build(uint8_t *buf, const struct ipv6_hdr *h)
{
	buf[0] = (uint8_t)(0x60 | h->tclass >> 4);
	buf[1] = (uint8_t)((h->tclass & 0xf) << 4 | (h->flow >> 16 & 0xf));
	put16(buf + 2, (uint16_t)h->flow);
	put16(buf + 4, h->plen);
	buf[6] = h->nh;
	buf[7] = h->hlim;
	memcpy(buf + 8, h->src, 16);
	memcpy(buf + 24, h->dst, 16);
}

static int ipv6_param(struct ipv6_chain *c, uint8_t code, uint32_t ptr,
		      bool mcast_ok)
{
	c->param_code = code;
	c->param_ptr = ptr;
	c->param_mcast_ok = mcast_ok;
	return IPV6_ERR_PARAM;
}

/* RFC 8200 4.2: the options of a Hop-by-Hop or Destination Options header */
static int ipv6_options(const uint8_t *pkt, size_t off, size_t end, bool hbh,
			struct ipv6_chain *c)
{
	size_t i = off + 2;

	while (i < end) {
		uint8_t type = pkt[i];

		if (type == IP6_OPT_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > end || i + 2 + pkt[i + 1] > end)
			return IPV6_ERR_EXT;
		if (type == IP6_OPT_ROUTER_ALERT && hbh) {
			if (pkt[i + 1] != 2)
				return ipv6_param(c, ICMP6_PARAM_HEADER,
						  (uint32_t)i + 1, false);
			c->router_alert = true;
		} else if (type != IP6_OPT_PADN) {
			switch (type >> 6) {
			case 0:         /* skip over it */
				break;
			case 1:         /* discard, say nothing */
				return IPV6_ERR_DISCARD;
			case 2:         /* discard, tell even a group's sender */
				return ipv6_param(c, ICMP6_PARAM_OPTION,
						  (uint32_t)i, true);
			default:        /* discard, tell unless to a group */
				return ipv6_param(c, ICMP6_PARAM_OPTION,
						  (uint32_t)i, false);
			}
		}
		i += 2u + pkt[i + 1];
	}
	return IPV6_OK;
}

/**
 * ipv6_walk() - follow the extension headers to the upper layer
 * @pkt: the datagram from its IPv6 header, trimmed to its length
 * @len: bytes at @pkt
 * @stop_at_frag: stop at a Fragment header that is not atomic (RFC 6946)
 * @c: filled in
 *
 * Return: IPV6_OK (@c says where the upper layer, or the fragment, is),
 * IPV6_ERR_EXT, IPV6_ERR_DISCARD, IPV6_ERR_NONE, or IPV6_ERR_PARAM with
 * the Parameter Problem to send in @c
 */
int ipv6_walk(const uint8_t *pkt, size_t len, bool stop_at_frag,
	      struct ipv6_chain *c)
{
	uint8_t nh = pkt[6];
	size_t off = IPV6_HLEN, nh_off = 6, hlen;
	int rc;

	memset(c, 0, sizeof(*c));
	for (;;) {
		switch (nh) {
		case IP6_NH_NONE:
			return IPV6_ERR_NONE;
		case IP6_NH_HOPOPTS:
		case IP6_NH_DSTOPTS:
		case IP6_NH_ROUTING:
			if (nh == IP6_NH_HOPOPTS && off != IPV6_HLEN)
				return ipv6_param(c, ICMP6_PARAM_NEXTHDR,
						  (uint32_t)nh_off, false);
			if (off + 8 > len)
				return IPV6_ERR_EXT;
			hlen = (pkt[off + 1] + 1u) * 8;
			if (off + hlen > len)
				return IPV6_ERR_EXT;
			if (nh == IP6_NH_ROUTING) {
				/* RFC 8200 4.4: ignore it when no segment is
				 * left; else we would have to forward */
				if (pkt[off + 3] != 0)
					return ipv6_param(c, ICMP6_PARAM_HEADER,
							  (uint32_t)off + 2,
							  false);
			} else {
				rc = ipv6_options(pkt, off, off + hlen,
						  nh == IP6_NH_HOPOPTS, c);
				if (rc)
					return rc;
			}
			break;
		case IP6_NH_FRAGMENT:
			hlen = IPV6_FRAG_HLEN;
			if (off + hlen > len)
				return IPV6_ERR_EXT;
			c->frag = true;
			c->frag_hdr_off = (uint16_t)off;
			c->frag_off = get16(pkt + off + 2) & 0xfff8;
			c->frag_more = pkt[off + 3] & 1;
			c->frag_id = get32(pkt + off + 4);
			if (stop_at_frag && !ipv6_is_atomic_frag(c)) {
				c->proto = pkt[off];
				c->nh_off = (uint16_t)off;
				c->l4_off = (uint16_t)(off + hlen);
				return IPV6_OK;
			}
			break;
		default:
			c->proto = nh;
			c->nh_off = (uint16_t)nh_off;
			c->l4_off = (uint16_t)off;
			return IPV6_OK;
		}
		nh = pkt[off];
		nh_off = off;
		off += hlen;
	}
}
