/* SPDX-License-Identifier: MIT */
/*
 * arp.c - ARP (RFC 826): IPv4's half of the neighbour cache
 *
 * Theory of operation: the cache, its states and its timers are neigh.c's,
 * shared with IPv6's Neighbor Discovery; ARP contributes the packets. It
 * solicits with a broadcast request (a unicast one to probe a stale entry),
 * answers requests whose target is one of our addresses, and learns as
 * Linux's arp_process does: a request for us creates or refreshes the
 * sender's entry (STALE: heard from, not confirmed); a reply to us confirms
 * an entry we made (REACHABLE); anything else only updates an address we
 * already hold, as RFC 826's merge rule says. When resolution fails, each
 * datagram that waited comes back to its sender (here, to ourselves) as an
 * ICMP host unreachable, as Linux's arp_error_report() does, which is how
 * ping says "Destination Host Unreachable"; TCP hears of it directly.
 */
#include "arp.h"

#include <stdlib.h>
#include <string.h>

#include "eth.h"
#include "icmp.h"
#include "stack_impl.h"
#include "neigh.h"

/**
 * arp_parse() - read an ARP packet for IPv4 over Ethernet
 * @buf: packet (after the Ethernet header)
 * @len: its length (padding allowed)
 * @a: filled in, host order
 *
 * Return: 0, or -1 if truncated, not Ethernet/IPv4, or an unknown opcode
 */
int arp_parse(const uint8_t *buf, size_t len, struct arp_pkt *a)
{
	if (len < ARP_LEN)
		return -1;
	a->htype = get16(buf);
	a->ptype = get16(buf + 2);
	a->hlen = buf[4];
	a->plen = buf[5];
	a->op = get16(buf + 6);
	memcpy(a->sha, buf + 8, ETH_ALEN);
	a->spa = get32(buf + 14);
	memcpy(a->tha, buf + 18, ETH_ALEN);
	a->tpa = get32(buf + 24);
	if (a->htype != 1 || a->ptype != ETH_P_IP || a->hlen != ETH_ALEN ||
	    a->plen != 4)
		return -1;
	if (a->op != ARP_OP_REQUEST && a->op != ARP_OP_REPLY)
		return -1;
	return 0;
}

/**
 * arp_build() - write an ARP packet
 * @buf: ARP_LEN bytes
 * @a: the packet; htype/ptype/hlen/plen are written as Ethernet/IPv4
 */
void arp_build(uint8_t *buf, const struct arp_pkt *a)
{
	put16(buf, 1);
	put16(buf + 2, ETH_P_IP);
	buf[4] = ETH_ALEN;
	buf[5] = 4;
	put16(buf + 6, a->op);
	memcpy(buf + 8, a->sha, ETH_ALEN);
	put32(buf + 14, a->spa);
	memcpy(buf + 18, a->tha, ETH_ALEN);
	put32(buf + 24, a->tpa);
}

/* ipv4_link_failure(): host unreachable for what waited, but TCP (neigh_ops) */
static void arp_failed(struct stack *s, const struct neigh_entry *e)
{
	for (const struct pbuf *p = e->q_head; p; p = p->next)
		if (p->len >= IPV4_HLEN && p->data[9] != IP_PROTO_TCP)
			icmp_send_error(s, ICMP_UNREACH, ICMP_UNREACH_HOST, 0,
					p->data, p->len);
}

static int arp_send(struct stack *s, struct netif *nif, uint16_t op,
		    const uint8_t *eth_dst, const uint8_t *tha, uint32_t spa,
		    uint32_t tpa)
{
	struct pbuf *p = pbuf_alloc(&s->pool, PBUF_HEADROOM, ARP_LEN);
	struct arp_pkt a = { .op = op, .spa = spa, .tpa = tpa };

	if (!p) {
		CNT(s, arp_nomem);
		return -ENOBUFS;
	}
	memcpy(a.sha, nif->mac, ETH_ALEN);
	memcpy(a.tha, tha, ETH_ALEN);
	arp_build(p->data, &a);
	return eth_output(s, nif, eth_dst, ETH_P_ARP, p);
}

static const uint8_t zero_mac[ETH_ALEN];

/* Ask who has e->ip: broadcast, or unicast to @mac to probe (neigh_ops). */
static void arp_solicit(struct stack *s, struct neigh_entry *e,
			const uint8_t *mac)
{
	struct netif *nif = stack_netif(s, e->ifindex);
	uint32_t ip = e->ip.v4;
	const struct route *r = route_find(s, &e->ip);
	struct ip_addr src = ip4(nif->addr[0].addr);
	uint32_t spa;

	if (r && route_src(s, r, &e->ip, &src))
		src = ip4(nif->addr[0].addr);
	spa = src.v4;

	CNT(s, arp_tx_requests);
	arp_send(s, nif, ARP_OP_REQUEST, mac ? mac : eth_broadcast, zero_mac,
		 spa, ip);
}

static const struct neigh_ops arp_neigh_ops = {
	.ethertype = ETH_P_IP,
	.solicit = arp_solicit,
	.failed = arp_failed,
};

/**
 * arp_init() - register ARP with the neighbour cache
 * @s: the stack
 */
void arp_init(struct stack *s)
{
	s->neigh_ops[0] = &arp_neigh_ops;
}

/**
 * arp_output() - send an IPv4 datagram to @nexthop, resolving it first
 * @s: the stack
 * @nif: outgoing interface
 * @nexthop: the neighbour (the destination itself, or a gateway)
 * @p: the datagram, data at the IPv4 header; consumed
 *
 * Return: 0 (sent or queued for resolution), or a negative errno
 */
int arp_output(struct stack *s, struct netif *nif, uint32_t nexthop,
	       struct pbuf *p)
{
	struct ip_addr nh = ip4(nexthop);
	uint8_t mac[ETH_ALEN];

	if (stack_is_broadcast(s, nexthop))
		return eth_output(s, nif, eth_broadcast, ETH_P_IP, p);
	if (ipv4_is_multicast(nexthop)) {
		/* RFC 1112 6.4: 01:00:5e and the low 23 bits of the group */
		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = (uint8_t)(nexthop >> 16 & 0x7f);
		mac[4] = (uint8_t)(nexthop >> 8);
		mac[5] = (uint8_t)nexthop;
		return eth_output(s, nif, mac, ETH_P_IP, p);
	}
	return neigh_output(s, nif, &nh, p);
}

/**
 * arp_input() - handle one ARP packet; consumes @p
 * @s: the stack
 * @nif: interface it came in on
 * @p: the packet, data after the Ethernet header
 */
void arp_input(struct stack *s, struct netif *nif, struct pbuf *p)
{
	struct arp_pkt a;
	struct ip_addr sender;
	bool for_us;

	CNT(s, arp_rx);
	if (arp_parse(p->data, p->len, &a)) {
		CNT(s, arp_rx_malformed);
		goto out;
	}
	if (eth_is_multicast(a.sha) || stack_is_broadcast(s, a.spa) ||
	    ipv4_is_multicast(a.spa) || ipv4_is_loopback(a.spa)) {
		CNT(s, arp_rx_bad_sender);
		goto out;
	}
	/* a DHCP client probing an offered address hears everything */
	dhcp_arp_input(s, a.op, a.sha, a.spa, a.tpa);
	if (a.spa && netif_has_addr(nif, a.spa)) {
		/* Someone else claims our address: keep it, and say so. */
		if (memcmp(a.sha, nif->mac, ETH_ALEN)) {
			char ip[16], mac[18];

			CNT(s, arp_conflict);
			stack_log(s, STACK_LOG_WARN,
				  "arp: %s claims our address %s",
				  mac_ntop(a.sha, mac), ipv4_ntop(a.spa, ip));
		}
		goto out;
	}
	/*
	 * A neighbour with our MAC or the zero MAC is a forgery or a loop:
	 * learning it would send its traffic to ourselves or to nobody.
	 */
	if (!memcmp(a.sha, nif->mac, ETH_ALEN) ||
	    !memcmp(a.sha, zero_mac, ETH_ALEN)) {
		CNT(s, arp_rx_bad_sender);
		goto out;
	}
	for_us = netif_has_addr(nif, a.tpa);  /* not 127/8: the loopback's */
	sender = ip4(a.spa);
	if (!for_us) {
		/* RFC 826 merge: only an address we already hold changes */
		if (a.spa)
			neigh_update(s, nif, &sender, a.sha, NEIGH_F_OVERRIDE);
		CNT(s, arp_rx_other_target);
		goto out;
	}
	/* a request makes (STALE) the entry our reply will need; a reply
	 * to us confirms the one we asked for (not a probe: spa 0) */
	if (a.spa)
		neigh_update(s, nif, &sender, a.sha,
			     a.op == ARP_OP_REQUEST ?
			     NEIGH_F_OVERRIDE | NEIGH_F_CREATE :
			     NEIGH_F_OVERRIDE | NEIGH_F_SOLICITED);
	if (a.op == ARP_OP_REQUEST) {
		CNT(s, arp_rx_requests);
		CNT(s, arp_tx_replies);
		arp_send(s, nif, ARP_OP_REPLY, a.sha, a.sha, a.tpa, a.spa);
	} else {
		CNT(s, arp_rx_replies);
	}
out:
	pbuf_free(p);
}

/**
 * arp_announce() - gratuitous ARP for each of our addresses (RFC 5227 3)
 * @s: the stack
 * @nif: interface to announce on
 */
void arp_announce(struct stack *s, struct netif *nif)
{
	for (unsigned i = 0; i < nif->naddr; i++)
		arp_announce_one(s, nif, nif->addr[i].addr);
}

/**
 * arp_announce_one() - gratuitous ARP for one address
 * @s: the stack
 * @nif: interface to announce on
 * @addr: the address
 */
void arp_announce_one(struct stack *s, struct netif *nif, uint32_t addr)
{
	CNT(s, arp_tx_announce);
	arp_send(s, nif, ARP_OP_REQUEST, eth_broadcast, zero_mac, addr, addr);
}

/**
 * arp_probe() - an ARP probe for @addr (RFC 5227 2.1.1): a request from
 * the sender address 0.0.0.0, broadcast
 * @s: the stack
 * @nif: interface to probe on
 * @addr: the address we would take
 */
void arp_probe(struct stack *s, struct netif *nif, uint32_t addr)
{
	CNT(s, arp_tx_requests);
	arp_send(s, nif, ARP_OP_REQUEST, eth_broadcast, zero_mac, 0, addr);
}
