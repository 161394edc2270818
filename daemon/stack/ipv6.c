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

#include "eth.h"
#include "icmp6.h"
#include "stack_impl.h"

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
			c->frag_nh_off = (uint16_t)nh_off;
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

/* ---- input ---------------------------------------------------------- */

static void ipv6_count_err(struct stack *s, int err)
{
	switch (err) {
	case IPV6_ERR_SHORT:
		CNT(s, ip6_rx_short);
		break;
	case IPV6_ERR_VERSION:
		CNT(s, ip6_rx_bad_version);
		break;
	case IPV6_ERR_LEN:
		CNT(s, ip6_rx_bad_len);
		break;
	case IPV6_ERR_EXT:
		CNT(s, ip6_rx_bad_ext);
		break;
	case IPV6_ERR_PARAM:
		CNT(s, ip6_rx_param_prob);
		break;
	case IPV6_ERR_DISCARD:
		CNT(s, ip6_rx_discard_opt);
		break;
	default:
		CNT(s, ip6_rx_no_next);
		break;
	}
}

/* Is @dst ours: one of our addresses (tentative ones too: ND needs them)
 * or a group we are in? */
static bool ipv6_for_us(struct stack *s, const struct ip_addr *dst)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

	if (ip_addr_is_multicast(dst))
		return !memcmp(dst->v6, all_nodes, 16) ||
		       mld_is_member(s, dst->v6);
	/* ::1 comes only through the loopback (the wire's is refused) */
	return ip_addr_is_loopback(dst) || addrconf_find(s, dst->v6) != NULL;
}

/* Bytes of an upper-layer header a first fragment must hold (RFC 7112,
 * as Linux checks: the transports it knows) */
static size_t ipv6_l4_min(uint8_t proto)
{
	switch (proto) {
	case IP_PROTO_TCP:
		return 20;
	case IP_PROTO_UDP:
	case IP6_NH_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

/* RFC 7112: does the first fragment carry the whole header chain? */
static bool ipv6_first_frag_complete(const uint8_t *pkt, size_t len,
				     const struct ipv6_chain *c)
{
	size_t off = c->l4_off;
	uint8_t nh = c->proto;

	while (nh == IP6_NH_DSTOPTS || nh == IP6_NH_ROUTING ||
	       nh == IP6_NH_HOPOPTS) {
		if (off + 8 > len || off + (pkt[off + 1] + 1u) * 8 > len)
			return false;
		nh = pkt[off];
		off += (pkt[off + 1] + 1u) * 8;
	}
	return off + ipv6_l4_min(nh) <= len;
}

/*
 * A fragment: RFC 8200 4.5's checks, then reassembly. Return: the whole
 * datagram walked again (in *c), or NULL (consumed)
 */
static struct pbuf *ipv6_defrag(struct stack *s, struct pbuf *p,
				struct ipv6_chain *c)
{
	uint32_t len = (uint32_t)(p->len - c->l4_off);
	struct ipv6_chain pc = *c;
	struct reass_frag f;
	int rc;

	pc.param_code = ICMP6_PARAM_HEADER;
	pc.param_mcast_ok = false;
	if (c->frag_more && len % 8) {
		pc.param_ptr = 4;               /* the Payload Length */
		goto param;
	}
	if (c->frag_off + len > IPV6_MAX_PAYLOAD) {
		pc.param_ptr = c->frag_hdr_off + 2u;    /* the offset */
		goto param;
	}
	if (c->frag_off == 0 && !ipv6_first_frag_complete(p->data, p->len, c)) {
		pc.param_code = ICMP6_PARAM_CHAIN;
		pc.param_ptr = 0;
		goto param;
	}
	f = (struct reass_frag){
		.src = ip6(p->data + 8), .dst = ip6(p->data + 24),
		.id = c->frag_id, .off = c->frag_off, .len = len,
		.more = c->frag_more, .hlen = c->l4_off,
		.unfrag = c->frag_hdr_off, .nh_off = c->frag_nh_off,
		.next = c->proto,
	};
	p = reass_input(s, p, &f);
	if (!p)
		return NULL;
	rc = ipv6_walk(p->data, p->len, true, c);
	if (rc == IPV6_ERR_PARAM)
		icmp6_param_problem(s, c, p->data, p->len);
	if (rc) {
		ipv6_count_err(s, rc);
		pbuf_free(p);
		return NULL;
	}
	return p;
param:
	CNT(s, ip6_rx_param_prob);
	icmp6_param_problem(s, &pc, p->data, p->len);
	pbuf_free(p);
	return NULL;
}

/**
 * ipv6_input() - handle one received IPv6 datagram; consumes @p
 * @s: the stack
 * @nif: interface it came in on
 * @p: the datagram, data at the IPv6 header
 * @l2_mcast: it came to a link-layer group address
 */
void ipv6_input(struct stack *s, struct netif *nif, struct pbuf *p,
		bool l2_mcast)
{
	struct ip_rx rx = { .l2_bcast = l2_mcast, .ifindex = nif->index };
	const struct ip_proto *pr;
	struct ipv6_hdr h;
	struct ipv6_chain c;
	int rc;

	CNT(s, ip6_rx);
	if (!s->nif.in6.enabled) {       /* (the loopback shares the link's) */
		CNT(s, ip6_rx_disabled);
		goto drop;
	}
	rc = ipv6_parse(p->data, p->len, &h);
	if (rc) {
		ipv6_count_err(s, rc);
		goto drop;
	}
	rx.src = ip6(h.src);
	rx.dst = ip6(h.dst);
	rx.ttl = h.hlim;
	rx.tos = h.tclass;
	/* RFC 4291 2.5.3, 2.7: never from a group, nor ::1 off the wire */
	if (ip_addr_is_multicast(&rx.src) ||
	    (!p->stamp && (ip_addr_is_loopback(&rx.src) ||
			   ip_addr_is_loopback(&rx.dst)))) {
		CNT(s, ip6_rx_bad_src);
		goto drop;
	}
	if (!ipv6_for_us(s, &rx.dst)) {
		CNT(s, ip6_rx_not_for_us);
		goto drop;
	}
	rx.to_bcast = ip_addr_is_multicast(&rx.dst);
	pbuf_trim(p, IPV6_HLEN + h.plen);
	rc = ipv6_walk(p->data, p->len, true, &c);
	if (rc == IPV6_ERR_PARAM)
		icmp6_param_problem(s, &c, p->data, p->len);
	if (rc) {
		ipv6_count_err(s, rc);
		goto drop;
	}
	if (c.frag && !ipv6_is_atomic_frag(&c)) {
		p = ipv6_defrag(s, p, &c);
		if (!p)
			return;
	}
	pr = s->protos.v6[c.proto];
	if (!pr) {
		/* RFC 8200 4: an unknown Next Header, pointed at */
		CNT(s, ip6_rx_unknown_proto);
		c.param_code = ICMP6_PARAM_NEXTHDR;
		c.param_ptr = c.nh_off;
		c.param_mcast_ok = false;
		icmp6_param_problem(s, &c, p->data, p->len);
		goto drop;
	}
	rx.proto = c.proto;
	rx.hdr = p->data;
	rx.hdr_len = c.l4_off;
	CNT(s, ip6_rx_delivered);
	pbuf_pull(p, c.l4_off);
	pr->input(s, p, &rx);
	return;
drop:
	pbuf_free(p);
}

/* ---- output --------------------------------------------------------- */

/**
 * ipv6_pmtu() - the path MTU towards @dst
 * @s: the stack
 * @dst: the destination
 *
 * Return: the link MTU, or less if a Packet Too Big said so in the last
 * ten minutes (RFC 8201 4: then it is tried again)
 */
uint32_t ipv6_pmtu(struct stack *s, const struct ip_addr *dst)
{
	uint32_t mtu = s->nif.in6.mtu;

	for (unsigned i = 0; i < PMTU_CACHE; i++) {
		const struct pmtu_entry *e = &s->pmtu[i];

		if (e->learned && !memcmp(e->dst, dst->v6, 16) &&
		    s->now - e->learned < PMTU_EXPIRES && e->mtu < mtu)
			return e->mtu;
	}
	return mtu;
}

/**
 * ipv6_pmtu_update() - a Packet Too Big said @mtu towards @dst
 * @s: the stack
 * @dst: the destination of the datagram that was too big
 * @mtu: the MTU it reported; below 1280 counts as 1280 (RFC 8201 4,
 *       RFC 8021: no atomic fragments)
 */
void ipv6_pmtu_update(struct stack *s, const struct ip_addr *dst, uint32_t mtu)
{
	struct pmtu_entry *slot = NULL;

	if (mtu < IPV6_MIN_MTU)
		mtu = IPV6_MIN_MTU;
	if (mtu >= ipv6_pmtu(s, dst))
		return;                 /* RFC 8201 4: never raised by one */
	for (unsigned i = 0; i < PMTU_CACHE; i++) {
		struct pmtu_entry *e = &s->pmtu[i];

		if (e->learned && !memcmp(e->dst, dst->v6, 16)) {
			slot = e;
			break;
		}
		if (!slot || e->learned < slot->learned)
			slot = e;       /* the oldest, or a free one */
	}
	memcpy(slot->dst, dst->v6, 16);
	slot->mtu = mtu;
	slot->learned = s->now ? s->now : 1;
	CNT(s, ip6_pmtu_updates);
}

/* Push the IPv6 header (and a Hop-by-Hop Router Alert when asked) */
static int ipv6_push_header(struct stack *s, struct pbuf *p,
			    const struct ipv6_hdr *h, bool router_alert)
{
	struct ipv6_hdr hh = *h;
	uint8_t *b;

	if (router_alert) {
		static const uint8_t ra[6] = { IP6_OPT_ROUTER_ALERT, 2, 0, 0,
					       IP6_OPT_PADN, 0 };

		b = pbuf_push(p, 8);
		if (!b)
			return -ENOBUFS;
		b[0] = hh.nh;
		b[1] = 0;
		memcpy(b + 2, ra, sizeof(ra));
		hh.nh = IP6_NH_HOPOPTS;
	}
	b = pbuf_push(p, IPV6_HLEN);
	if (!b)
		return -ENOBUFS;
	hh.plen = (uint16_t)(p->len - IPV6_HLEN);
	ipv6_build(b, &hh);
	return 0;
}

static int ipv6_send_one(struct stack *s, struct netif *nif,
			 const struct ip_addr *nexthop, struct pbuf *p)
{
	uint8_t mac[ETH_ALEN];

	if (ip_addr_is_multicast(nexthop)) {
		ip6_mcast_mac(nexthop->v6, mac);
		return eth_output(s, nif, mac, ETH_P_IPV6, p);
	}
	return neigh_output(s, nif, nexthop, p);
}

/*
 * RFC 8200 4.5: the unfragmentable part (the header, and Hop-by-Hop) in
 * every fragment, then a Fragment header and a multiple of 8 bytes of the
 * rest, the last fragment taking what is left. The identification is
 * random (RFC 7739).
 */
static int ipv6_fragment(struct stack *s, struct netif *nif,
			 const struct ip_addr *nexthop, struct pbuf *p,
			 const struct ipv6_hdr *h, bool router_alert,
			 uint32_t mtu)
{
	size_t unfrag = IPV6_HLEN + (router_alert ? 8 : 0);
	size_t chunk = (mtu - unfrag - IPV6_FRAG_HLEN) & ~7u;
	uint32_t id = stack_random32(s);
	struct ipv6_hdr fh = *h;
	size_t off;
	int rc = 0;

	CNT(s, ip6_tx_fragmented);
	fh.nh = IP6_NH_FRAGMENT;
	for (off = 0; off < p->len && rc == 0; off += chunk) {
		size_t n = p->len - off < chunk ? p->len - off : chunk;
		struct pbuf *f = pbuf_copy(&s->pool, PBUF_HEADROOM,
					   p->data + off, n);
		uint8_t *fr;

		if (!f || !(fr = pbuf_push(f, IPV6_FRAG_HLEN))) {
			pbuf_free(f);
			CNT(s, ip6_tx_nomem);
			rc = -ENOBUFS;
			break;
		}
		fr[0] = h->nh;
		fr[1] = 0;
		put16(fr + 2, (uint16_t)(off | (off + n < p->len ? 1 : 0)));
		put32(fr + 4, id);
		if (ipv6_push_header(s, f, &fh, router_alert)) {
			pbuf_free(f);
			CNT(s, ip6_tx_nomem);
			rc = -ENOBUFS;
			break;
		}
		CNT(s, ip6_tx_fragments);
		rc = ipv6_send_one(s, nif, nexthop, f);
	}
	pbuf_free(p);
	return rc;
}

/* Queue a datagram for one of our own addresses (ip_out.c). */
static int ipv6_output_local(struct stack *s, struct pbuf *p,
			     const struct ipv6_hdr *h, bool router_alert)
{
	if (p->len + IPV6_HLEN > IPV6_HLEN + IPV6_MAX_PAYLOAD ||
	    ipv6_push_header(s, p, h, router_alert)) {
		CNT(s, ip6_tx_nomem);
		pbuf_free(p);
		return -ENOBUFS;
	}
	CNT(s, ip6_tx_local);
	p->stamp = 1;
	ip_loop_queue(s, p);
	return 0;
}

/**
 * ipv6_output() - send a datagram
 * @s: the stack
 * @p: upper-layer header and payload, with headroom; consumed
 * @tx: addresses (src IP_NONE: chosen by RFC 6724), protocol, traffic
 *      class, hop limit (0: the interface's, 1 to a group), flags
 *
 * Return: 0 (sent, or queued until the next hop resolves), or
 * -ENETUNREACH (no route, IPv6 off), -EADDRNOTAVAIL (no source address),
 * -EMSGSIZE (larger than the path MTU with IP_TX_DONTFRAG), -ENOBUFS
 */
int ipv6_output(struct stack *s, struct pbuf *p, const struct ip_tx *tx)
{
	struct netif *nif = &s->nif;
	struct ipv6_hdr h = { .tclass = tx->tos, .nh = tx->proto };
	bool ra = tx->flags & IP_TX_ROUTER_ALERT;
	struct ip_addr src = tx->src, nexthop = tx->dst;
	const struct route *r = NULL;
	size_t total;
	uint32_t mtu;
	bool local;

	if (!nif->in6.enabled) {
		CNT(s, ip6_tx_no_route);
		goto fail_unreach;
	}
	local = ip_addr_is_loopback(&tx->dst) || addrconf_is_local(s, tx->dst.v6);
	if (!ip_addr_is_multicast(&tx->dst) && !local) {
		r = route_find(s, &tx->dst);
		if (r)
			nexthop = route_nexthop(r, &tx->dst);
		else if (!ip_addr_is_linklocal(&tx->dst)) {
			CNT(s, ip6_tx_no_route);
			goto fail_unreach;
		}
	}
	if (tx->flags & IP_TX_UNSPEC_SRC)
		src = ip_any(IP_V6);
	else if (src.family == IP_NONE && ip_addr_is_loopback(&tx->dst))
		src = tx->dst;
	else if (src.family == IP_NONE &&
		 addrconf_select_source(s, &tx->dst, &src)) {
		CNT(s, ip6_tx_no_src);
		pbuf_free(p);
		return -EADDRNOTAVAIL;
	}
	memcpy(h.src, src.v6, 16);
	memcpy(h.dst, tx->dst.v6, 16);
	h.hlim = tx->ttl ? tx->ttl :
		 ip_addr_is_multicast(&tx->dst) ? 1 : nif->in6.hop_limit;
	CNT(s, ip6_tx);
	if (local)
		return ipv6_output_local(s, p, &h, ra);
	total = IPV6_HLEN + (ra ? 8 : 0) + p->len;
	mtu = ipv6_pmtu(s, &tx->dst);
	if (total <= mtu || (p->gso_size && nif->gso_max &&
			     total - IPV6_HLEN <= IPV6_MAX_PAYLOAD)) {
		if (ipv6_push_header(s, p, &h, ra)) {
			CNT(s, ip6_tx_nomem);
			pbuf_free(p);
			return -ENOBUFS;
		}
		return ipv6_send_one(s, nif, &nexthop, p);
	}
	if ((tx->flags & IP_TX_DONTFRAG) ||
	    total - IPV6_HLEN > IPV6_MAX_PAYLOAD) {
		CNT(s, ip6_tx_too_big);
		pbuf_free(p);
		return -EMSGSIZE;
	}
	return ipv6_fragment(s, nif, &nexthop, p, &h, ra, mtu);
fail_unreach:
	pbuf_free(p);
	return -ENETUNREACH;
}
