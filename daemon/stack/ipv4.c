/* SPDX-License-Identifier: MIT */
/*
 * ipv4.c - IPv4 input and output (RFC 791, RFC 1122 3.2.1)
 *
 * Theory of operation. Input: validate the header the way RFC 1122 3.2.1
 * asks (version, header length, total length against the frame, checksum),
 * walk the options only to check that they are well formed (none is acted
 * on: a host may ignore them, and source routes are refused by ignoring
 * them), drop martian sources, keep what is addressed to us (our
 * addresses, the limited broadcast and our subnets' broadcasts, a group
 * the link is in from a source one of its members wants: igmp.c), trim
 * link-layer padding, reassemble fragments (reass.c), then hand the
 * payload to its protocol through the protocol table (s->protos.v4,
 * where ICMP, UDP and TCP registered themselves): no transport is named
 * here. Every refusal bumps its own counter.
 *
 * Output: route, pick a source address, and fragment when the datagram
 * exceeds the interface MTU (unless DF is set: -EMSGSIZE). A datagram to
 * one of our own addresses (the link's, or any of 127/8) never reaches
 * the link: it goes out on the loopback interface, which queues it
 * (ip_loop_queue()), and ip_loop_drain() delivers it, as arrived on the
 * loopback, once the current entry point has finished (never
 * recursively). A datagram to a group the link is in goes to the link and,
 * with IP_TX_MC_LOOP, through the loopback to our own members too (TTL 0:
 * to them only); IGMP's carry a Router Alert option (RFC 2113), the only
 * option we send. A loopback source never goes to the link either (Linux:
 * EINVAL), and a loopback destination never comes from it (a martian).
 * IGMP messages are never fragmented, so no option copying is needed. The
 * TTL of a received datagram is not checked: a host is the final
 * destination (RFC 1122 3.2.1.7) and we do not forward.
 */
#include "ipv4.h"

#include <string.h>

#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "igmp.h"
#include "ip.h"
#include "stack_impl.h"

/**
 * ipv4_parse() - read and validate an IPv4 header
 * @buf: datagram
 * @len: bytes available (may include link padding)
 * @h: filled in, host order
 *
 * Return: IPV4_OK, or the enum ipv4_err reason for refusing it
 */
int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_hdr *h)
{
	unsigned i;

	if (len < IPV4_HLEN)
		return IPV4_ERR_SHORT;
	if (buf[0] >> 4 != 4)
		return IPV4_ERR_VERSION;
	h->hlen = (uint8_t)((buf[0] & 0xf) * 4);
	if (h->hlen < IPV4_HLEN || h->hlen > len)
		return IPV4_ERR_HLEN;
	h->tos = buf[1];
	h->total_len = get16(buf + 2);
	if (h->total_len < h->hlen || h->total_len > len)
		return IPV4_ERR_LEN;
	h->id = get16(buf + 4);
	h->frag = get16(buf + 6);
	h->ttl = buf[8];
	h->proto = buf[9];
	h->cksum = get16(buf + 10);
	h->src = get32(buf + 12);
	h->dst = get32(buf + 16);
	if (inet_cksum(buf, h->hlen))
		return IPV4_ERR_CKSUM;
	/* RFC 791 3.1: EOL ends the list, NOP is one byte, others are TLV */
	for (i = IPV4_HLEN; i < h->hlen;) {
		uint8_t type = buf[i];

		if (type == 0)
			break;
		if (type == 1) {
			i++;
			continue;
		}
		if (i + 1 >= h->hlen || buf[i + 1] < 2 ||
		    buf[i + 1] > h->hlen - i)
			return IPV4_ERR_OPTIONS;
		i += buf[i + 1];
	}
	return IPV4_OK;
}

/**
 * ipv4_build() - write a 20-byte IPv4 header with its checksum
 * @buf: IPV4_HLEN bytes
 * @h: the header; @h->hlen and @h->cksum are ignored
 */
void ipv4_build(uint8_t *buf, const struct ipv4_hdr *h)
{
	buf[0] = 0x45;
	buf[1] = h->tos;
	put16(buf + 2, h->total_len);
	put16(buf + 4, h->id);
	put16(buf + 6, h->frag);
	buf[8] = h->ttl;
	buf[9] = h->proto;
	put16(buf + 10, 0);
	put32(buf + 12, h->src);
	put32(buf + 16, h->dst);
	put16(buf + 10, inet_cksum(buf, IPV4_HLEN));
}

static void ipv4_count_err(struct stack *s, int err)
{
	switch (err) {
	case IPV4_ERR_SHORT:
		CNT(s, ip_rx_short);
		break;
	case IPV4_ERR_VERSION:
		CNT(s, ip_rx_bad_version);
		break;
	case IPV4_ERR_HLEN:
		CNT(s, ip_rx_bad_hlen);
		break;
	case IPV4_ERR_LEN:
		CNT(s, ip_rx_bad_len);
		break;
	case IPV4_ERR_CKSUM:
		CNT(s, ip_rx_bad_cksum);
		break;
	default:
		CNT(s, ip_rx_bad_options);
		break;
	}
}

/* RFC 1122 3.2.1.3: sources a host must not accept. */
static bool ipv4_martian_src(const struct stack *s, uint32_t src)
{
	return src == 0 || ipv4_is_multicast(src) || ipv4_is_loopback(src) ||
	       stack_is_broadcast(s, src) || stack_is_local_addr(s, src) ||
	       (src >> 28) == 0xf;
}

/* RFC 1122 3.2.1: hand the payload to its protocol, through the table */
static void ipv4_deliver(struct stack *s, struct pbuf *p,
			 const struct ip_rx *rx)
{
	const struct ip_proto *pr = s->protos.v4[rx->proto];

	if (pr) {
		CNT(s, ip_rx_delivered);
		pr->input(s, p, rx);
		return;
	}
	/* RFC 1122 3.2.2.1: protocol unreachable, unless broadcast */
	CNT(s, ip_rx_unknown_proto);
	if (!rx->to_bcast && !rx->l2_bcast)
		icmp_send_error(s, ICMP_UNREACH, ICMP_UNREACH_PROTO, 0,
				rx->hdr, rx->hdr_len + p->len);
	pbuf_free(p);
}

/* What the protocols learn of a datagram (struct ip_rx) */
static void ipv4_rx_fill(struct ip_rx *rx, const struct ipv4_hdr *h,
			 const uint8_t *hdr)
{
	rx->src = ip4(h->src);
	rx->dst = ip4(h->dst);
	rx->hdr = hdr;
	rx->hdr_len = h->hlen;
	rx->proto = h->proto;
	rx->ttl = h->ttl;
	rx->tos = h->tos;
}

/**
 * ipv4_input() - handle one received IPv4 datagram; consumes @p
 * @s: the stack
 * @nif: interface it came in on
 * @p: the datagram, data at the IPv4 header
 * @l2_bcast: it was sent to the Ethernet broadcast address
 * @l2_src: the frame's source MAC, or NULL (the loopback)
 */
void ipv4_input(struct stack *s, struct netif *nif, struct pbuf *p,
		bool l2_bcast, const uint8_t *l2_src)
{
	struct ip_rx rx = { .l2_bcast = l2_bcast, .ifindex = nif->index };
	struct ipv4_hdr h;
	int err;

	CNT(s, ip_rx);
	err = ipv4_parse(p->data, p->len, &h);
	if (err) {
		ipv4_count_err(s, err);
		goto drop;
	}
	if (!nif->loopback && ipv4_martian_src(s, h.src)) {
		CNT(s, ip_rx_bad_src);
		goto drop;
	}
	/* RFC 1122 3.2.1.3: 127/8 "MUST NOT appear outside a host" (Linux's
	 * martian destination); only our loopback delivers it */
	if (!nif->loopback && ipv4_is_loopback(h.dst)) {
		CNT(s, ip_rx_bad_dst);
		goto drop;
	}
	rx.to_bcast = stack_is_broadcast(s, h.dst);
	if (ipv4_is_multicast(h.dst)) {
		/* a group the link is in, from a source a member wants
		 * (IGMP itself from any); our own looped-back copy arrives
		 * as on the link it was sent to, as Linux's does */
		if (!igmp_accepts(s, h.dst, h.src) &&
		    !(h.proto == IP_PROTO_IGMP && igmp_is_member(s, h.dst))) {
			CNT(s, ip_rx_not_for_us);
			goto drop;
		}
		rx.to_bcast = true;
		rx.ifindex = STACK_IF_LINK;
	} else if (!rx.to_bcast && !stack_is_local_addr(s, h.dst)) {
		CNT(s, ip_rx_not_for_us);
		goto drop;
	}
	pbuf_trim(p, h.total_len);
	if (ipv4_is_fragment(&h)) {
		struct reass_frag f = {
			.src = ip4(h.src), .dst = ip4(h.dst),
			.id = h.id, .proto = h.proto,
			.off = ipv4_frag_off(&h),
			.len = h.total_len - h.hlen,
			.more = h.frag & IP_FLAG_MF, .hlen = h.hlen,
		};

		p = reass_input(s, p, &f);
		if (!p)
			return;
		l2_src = NULL;
		/* the reassembled datagram was validated piece by piece */
		ipv4_parse(p->data, p->len, &h);
	}
	ipv4_rx_fill(&rx, &h, p->data);
	if (l2_src)
		memcpy(rx.l2_src, l2_src, ETH_ALEN);
	pbuf_pull(p, h.hlen);
	ipv4_deliver(s, p, &rx);
	return;
drop:
	pbuf_free(p);
}

/* RFC 2113: a Router Alert option after the header (24 bytes in all) */
static void ipv4_add_router_alert(uint8_t *hdr)
{
	memmove(hdr, hdr + 4, IPV4_HLEN);
	hdr[0] = 0x46;
	put16(hdr + 2, (uint16_t)(get16(hdr + 2) + 4));
	hdr[IPV4_HLEN] = 0x94;
	hdr[IPV4_HLEN + 1] = 4;
	put16(hdr + IPV4_HLEN + 2, 0);
	put16(hdr + 10, 0);
	put16(hdr + 10, inet_cksum(hdr, IPV4_HLEN + 4));
}

static int ipv4_send_one(struct stack *s, struct netif *nif,
			 uint32_t nexthop, struct pbuf *p,
			 const struct ipv4_hdr *h, bool ra)
{
	uint8_t *hdr = pbuf_push(p, IPV4_HLEN + (ra ? 4 : 0));

	if (!hdr) {
		CNT(s, ip_tx_nomem);
		pbuf_free(p);
		return -ENOBUFS;
	}
	ipv4_build(hdr + (ra ? 4 : 0), h);
	if (ra)
		ipv4_add_router_alert(hdr);
	return arp_output(s, nif, nexthop, p);
}

/*
 * RFC 791 3.2 fragmentation: every fragment but the last carries a
 * multiple of 8 payload bytes; all share the id; MF on all but the last.
 */
static int ipv4_fragment(struct stack *s, struct netif *nif, uint32_t nexthop,
			 struct pbuf *p, struct ipv4_hdr *h)
{
	size_t chunk = (nif->mtu - IPV4_HLEN) & ~7u;
	size_t off;
	int rc = 0;

	CNT(s, ip_tx_fragmented);
	for (off = 0; off < p->len && rc == 0; off += chunk) {
		size_t n = p->len - off < chunk ? p->len - off : chunk;
		struct pbuf *f = pbuf_copy(&s->pool, PBUF_HEADROOM,
					   p->data + off, n);

		if (!f) {
			CNT(s, ip_tx_nomem);
			rc = -ENOBUFS;
			break;
		}
		h->frag = (uint16_t)(off / 8) |
			  (off + n < p->len ? IP_FLAG_MF : 0);
		h->total_len = (uint16_t)(IPV4_HLEN + n);
		CNT(s, ip_tx_fragments);
		rc = ipv4_send_one(s, nif, nexthop, f, h, false);
	}
	pbuf_free(p);
	return rc;
}

/* The loopback interface's output: queue the datagram for delivery to
 * ourselves (see the top comment). */
static int ipv4_output_local(struct stack *s, struct pbuf *p,
			     struct ipv4_hdr *h)
{
	uint8_t *hdr = pbuf_push(p, IPV4_HLEN);

	if (!hdr || p->len > IPV4_MAX_LEN) {
		CNT(s, ip_tx_nomem);
		pbuf_free(p);
		return -ENOBUFS;
	}
	h->total_len = (uint16_t)p->len;
	h->frag = IP_FLAG_DF;
	ipv4_build(hdr, h);
	CNT(s, ip_tx_local);
	ip_loop_queue(s, p);
	return 0;
}

/*
 * RFC 1112 6.1, IP_MULTICAST_LOOP: a datagram to a group the link is in
 * is delivered to our own members too, through the loopback (as Linux's
 * ip_mc_output()); TTL 0 goes to them only. Return: @p to send on the
 * link, or NULL (consumed: TTL 0)
 */
static struct pbuf *ipv4_mc_loop(struct stack *s, struct pbuf *p,
				 struct ipv4_hdr *h, unsigned flags)
{
	if (flags & IP_TX_TTL0)
		h->ttl = 0;
	if ((flags & IP_TX_MC_LOOP) && igmp_accepts(s, h->dst, h->src)) {
		struct pbuf *c = pbuf_copy(&s->pool, PBUF_HEADROOM, p->data,
					   p->len);
		struct ipv4_hdr lh = *h;

		if (c)
			ipv4_output_local(s, c, &lh);
		else
			CNT(s, ip_tx_nomem);
	}
	if (flags & IP_TX_TTL0) {
		pbuf_free(p);
		return NULL;
	}
	return p;
}

/*
 * The route for @dst and the neighbour to hand the datagram to. Return:
 * 0 (@r NULL for the limited broadcast, and for a group without a route
 * sent with IP_TX_MC_IF: the link), or -ENETUNREACH
 */
static int ipv4_route(struct stack *s, uint32_t dst, unsigned flags,
		      const struct route **r, uint32_t *nexthop)
{
	struct ip_addr d = ip4(dst);

	*r = NULL;
	*nexthop = dst;
	if (dst == IPV4_BROADCAST)
		return 0;
	*r = route_find(s, &d);
	if (!*r)
		return ipv4_is_multicast(dst) && (flags & IP_TX_MC_IF) ?
		       0 : -ENETUNREACH;
	/* a group is reached on the link itself (RFC 1112 6.4), even when
	 * the route that matched it has a gateway */
	if (route_has_gateway(*r) && !ipv4_is_multicast(dst))
		*nexthop = (*r)->gateway.v4;
	return 0;
}

/**
 * ipv4_output() - send a datagram
 * @s: the stack
 * @p: transport header and payload, with headroom; consumed
 * @tx: addresses (@tx->src of family IP_NONE or 0.0.0.0: the route's),
 *      protocol, TOS, TTL (0: the configured default), IP_TX_DONTFRAG
 *      (Don't Fragment: then -EMSGSIZE instead of fragments)
 *
 * Return: 0 (sent, or queued until the next hop resolves), or
 * -ENETUNREACH (no route), -EINVAL (a loopback source to the link),
 * -EMSGSIZE, -ENOBUFS (no memory, link full)
 */
int ipv4_output(struct stack *s, struct pbuf *p, const struct ip_tx *tx)
{
	struct ipv4_hdr h = { .tos = tx->tos, .proto = tx->proto,
			      .ttl = tx->ttl ? tx->ttl : s->cfg.ttl };
	const struct route *r;
	struct netif *nif;
	uint32_t src = tx->src.family == IP_V4 ? tx->src.v4 : 0;
	uint32_t dst = tx->dst.v4, nexthop;
	bool df = tx->flags & IP_TX_DONTFRAG;

	/* RFC 1122 3.2.1.3: "this network" (0/8) and the reserved class E
	 * never leave a host, whatever route matches them (127/8 goes to
	 * our loopback, below) */
	if (dst >> 24 == 0 || (dst >> 28 == 0xf && dst != IPV4_BROADCAST)) {
		CNT(s, ip_tx_no_route);
		pbuf_free(p);
		return -ENETUNREACH;
	}
	/* nor does a loopback source: Linux's ip_route_output_key_hash()
	 * refuses it (EINVAL) unless the route is to a local address */
	if (ipv4_is_loopback(src) && !stack_is_local_addr(s, dst)) {
		CNT(s, ip_tx_bad_src);
		pbuf_free(p);
		return -EINVAL;
	}
	if (ipv4_route(s, dst, tx->flags, &r, &nexthop)) {
		CNT(s, ip_tx_no_route);
		pbuf_free(p);
		return -ENETUNREACH;
	}
	nif = stack_netif(s, r ? r->ifindex : STACK_IF_LINK);
	if (!src) {
		struct ip_addr chosen = ip4(nif->addr[0].addr);

		if (r)
			route_src(s, r, &tx->dst, &chosen);
		src = chosen.v4 ? chosen.v4 : nif->addr[0].addr;
	}
	h.src = src;
	h.dst = dst;
	h.id = s->ip_id++;
	CNT(s, ip_tx);
	/* to ourselves: through the loopback, whatever the route says */
	if (stack_is_local_addr(s, dst))
		return ipv4_output_local(s, p, &h);
	if (ipv4_is_multicast(dst)) {
		p = ipv4_mc_loop(s, p, &h, tx->flags);
		if (!p)
			return 0;
	}
	/* TCP segments for the link to cut (gso.h) go as one frame */
	if (p->len + IPV4_HLEN <= nif->mtu ||
	    (p->gso_size && nif->gso_max &&
	     p->len + IPV4_HLEN <= IPV4_MAX_LEN)) {
		h.total_len = (uint16_t)(p->len + IPV4_HLEN);
		h.frag = df ? IP_FLAG_DF : 0;
		return ipv4_send_one(s, nif, nexthop, p, &h,
				     tx->flags & IP_TX_ROUTER_ALERT);
	}
	if (df || p->len + IPV4_HLEN > IPV4_MAX_LEN) {
		CNT(s, ip_tx_frag_needed);
		pbuf_free(p);
		return -EMSGSIZE;
	}
	return ipv4_fragment(s, nif, nexthop, p, &h);
}
