/* SPDX-License-Identifier: MIT */
/*
 * eth.c - Ethernet II: parse, build, demultiplex by EtherType
 *
 * Accepted: frames to our MAC, to the broadcast address, and to the
 * link-layer address of a group we are in (IPv6: 33:33, RFC 2464 7; IPv4:
 * 01:00:5e, RFC 1112 6.4); other multicast frames are counted and dropped. 802.1Q tagged frames are counted and dropped:
 * ustack has no VLAN interfaces.
 */
#include "eth.h"

#include <string.h>

#include "ipv6.h"
#include "stack_impl.h"

const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/**
 * eth_parse() - read an Ethernet II header
 * @buf: frame
 * @len: frame length
 * @h: filled in, host order
 *
 * Return: 0, or -1 if the frame is shorter than the header
 */
int eth_parse(const uint8_t *buf, size_t len, struct eth_hdr *h)
{
	if (len < ETH_HLEN)
		return -1;
	memcpy(h->dst, buf, ETH_ALEN);
	memcpy(h->src, buf + 6, ETH_ALEN);
	h->type = get16(buf + 12);
	return 0;
}

/**
 * eth_build() - write an Ethernet II header
 * @buf: ETH_HLEN bytes
 * @h: the header, host order
 */
void eth_build(uint8_t *buf, const struct eth_hdr *h)
{
	memcpy(buf, h->dst, ETH_ALEN);
	memcpy(buf + 6, h->src, ETH_ALEN);
	put16(buf + 12, h->type);
}

/* 33:33 and the low 32 bits of an IPv6 group we are in (RFC 2464 7) */
static bool eth_group_member(const struct stack *s, const uint8_t *mac)
{
	const struct inet6_if *in6 = &s->nif.in6;

	if (mac[0] != 0x33 || mac[1] != 0x33 || !in6->enabled)
		return false;
	if (!memcmp(mac + 2, "\0\0\0\1", 4))
		return true;            /* all nodes */
	for (unsigned i = 0; i < MLD_MAX_GROUPS; i++)
		if (in6->groups[i].used && !memcmp(mac + 2,
						   in6->groups[i].group + 12, 4))
			return true;
	return false;
}

/**
 * eth_input() - handle one received frame; consumes @p
 * @s: the stack
 * @nif: interface it came in on
 * @p: the frame, data at the Ethernet header
 */
void eth_input(struct stack *s, struct netif *nif, struct pbuf *p)
{
	struct eth_hdr h;
	bool bcast;

	CNT(s, eth_rx_frames);
	s->cnt.eth_rx_bytes += p->len;
	if (eth_parse(p->data, p->len, &h)) {
		CNT(s, eth_rx_short);
		goto drop;
	}
	bcast = !memcmp(h.dst, eth_broadcast, ETH_ALEN);
	if (!bcast && memcmp(h.dst, nif->mac, ETH_ALEN) &&
	    !eth_group_member(s, h.dst) && !igmp_mac_member(s, h.dst)) {
		CNT(s, eth_rx_not_for_us);
		goto drop;
	}
	bcast |= eth_is_multicast(h.dst);
	pbuf_pull(p, ETH_HLEN);
	switch (h.type) {
	case ETH_P_ARP:
		arp_input(s, nif, p);
		return;
	case ETH_P_IP:
		ipv4_input(s, nif, p, bcast, h.src);
		return;
	case ETH_P_IPV6:
		ipv6_input(s, nif, p, bcast);
		return;
	case ETH_P_8021Q:
	case ETH_P_8021AD:
		CNT(s, eth_rx_vlan);
		goto drop;
	default:
		CNT(s, eth_rx_unknown_type);
		goto drop;
	}
drop:
	pbuf_free(p);
}

/*
 * A frame of TCP segments (p->gso_size, set by tcp_xmit() only for an
 * interface that segments): say where its headers and checksum lie. TCP
 * over IPv6 carries no extension header of ours.
 */
static void eth_gso_describe(const struct pbuf *p, uint16_t type,
			     struct gso_tx *g)
{
	const uint8_t *ip = p->data + ETH_HLEN;

	g->v6 = type == ETH_P_IPV6;
	g->udp = false;
	g->gso_size = p->gso_size;
	g->csum_start = (uint16_t)(ETH_HLEN +
				   (g->v6 ? IPV6_HLEN : (ip[0] & 0xf) * 4));
	g->csum_offset = 16;
	g->hdr_len = (uint16_t)(g->csum_start +
				(p->data[g->csum_start + 12] >> 4) * 4);
}

/**
 * eth_uso_flush() - send the UDP datagrams held for the link to cut
 * @s: the stack
 * @nif: the interface
 *
 * One datagram goes as the engine built it; several as one frame with
 * its struct gso_tx (gso.h). The link's answer reaches no sender: the
 * datagrams were reported sent when they were held (a TAP takes a frame
 * or fails it for a reason that holds for every frame, and drops beyond
 * its queue without saying so). Counted as eth_output() counts.
 *
 * Return: 0, or the link's negative errno
 */
int eth_uso_flush(struct stack *s, struct netif *nif)
{
	struct uso_batch *b = &nif->uso;
	unsigned count = b->count;
	struct gso_tx g;
	size_t len;
	int rc;

	if (!b->buf || !b->len)
		return 0;
	len = uso_finish(b, &g);
	rc = s->ops->link_output(s->ctx, nif->index, b->buf, len,
				 g.gso_size ? &g : NULL);
	if (rc < 0) {
		CNT(s, eth_tx_link_err);
		return rc;
	}
	if (g.gso_size) {
		CNT(s, eth_tx_uso);
		s->cnt.eth_tx_uso_segs += count;
	}
	CNT(s, eth_tx_frames);
	s->cnt.eth_tx_bytes += len;
	return 0;
}

/**
 * eth_output() - prepend an Ethernet header and hand the frame to the host
 * @s: the stack
 * @nif: interface to send on
 * @dst: destination MAC
 * @type: EtherType
 * @p: payload; consumed
 *
 * On an interface whose link cuts UDP (stack_set_link_uso()) a datagram
 * is held (struct uso_batch) with those of its flow sent right after it,
 * to go as one frame when another frame comes or at stack_flush(); any
 * other frame sends what is held first, so the wire's order is the
 * engine's.
 *
 * Return: 0, or a negative errno from the link (-ENOBUFS: queue full)
 */
int eth_output(struct stack *s, struct netif *nif, const uint8_t *dst,
	       uint16_t type, struct pbuf *p)
{
	struct eth_hdr h;
	uint8_t *hdr = pbuf_push(p, ETH_HLEN);
	int rc;

	if (!hdr) {
		CNT(s, eth_tx_nomem);
		pbuf_free(p);
		return -ENOBUFS;
	}
	memcpy(h.dst, dst, ETH_ALEN);
	memcpy(h.src, nif->mac, ETH_ALEN);
	h.type = type;
	eth_build(hdr, &h);
	if (nif->uso.buf && !p->gso_size) {
		enum uso_verdict v = uso_add(&nif->uso, p->data, p->len);

		if (v == USO_FLUSH) {
			eth_uso_flush(s, nif);
			v = uso_add(&nif->uso, p->data, p->len);
		}
		if (v == USO_HELD) {
			if (uso_full(&nif->uso))
				eth_uso_flush(s, nif);
			pbuf_free(p);
			return 0;
		}
	} else if (nif->uso.len) {
		eth_uso_flush(s, nif);
	}
	if (p->gso_size) {
		struct gso_tx g;

		eth_gso_describe(p, type, &g);
		rc = s->ops->link_output(s->ctx, nif->index, p->data, p->len,
					 &g);
		if (rc >= 0)
			CNT(s, eth_tx_gso);
	} else {
		rc = s->ops->link_output(s->ctx, nif->index, p->data, p->len,
					 NULL);
	}
	if (rc < 0) {
		CNT(s, eth_tx_link_err);
	} else {
		CNT(s, eth_tx_frames);
		s->cnt.eth_tx_bytes += p->len;
	}
	pbuf_free(p);
	return rc < 0 ? rc : 0;
}
