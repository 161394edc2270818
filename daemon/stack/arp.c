/* SPDX-License-Identifier: MIT */
/*
 * arp.c - ARP (RFC 826), the IPv4 neighbour cache
 *
 * Theory of operation: a fixed table of arp_max_entries slots, hashed by
 * IPv4 address. An entry is INCOMPLETE while we are asking (packets for it
 * wait in a queue of at most arp_queue_len, the oldest dropped first, as
 * Linux does) and REACHABLE once answered.
 *
 * Aging is lazy so that an idle stack never wakes up: an answer is trusted
 * for arp_max_age; a lookup that finds it older treats it as gone and asks
 * again. An entry used in the last quarter of its life is refreshed with a
 * unicast request first, so a busy flow does not stall on expiry. The only
 * timer is the retransmission of requests for INCOMPLETE entries, which
 * gives up after arp_retries and drops what waited (counted). As Linux's
 * arp_error_report(), each datagram dropped so comes back to its sender
 * (here, to ourselves) as an ICMP host unreachable, which is how ping
 * says "Destination Host Unreachable"; TCP hears of it directly.
 *
 * When the table is full, the least recently confirmed REACHABLE entry is
 * recycled, or failing that the oldest INCOMPLETE one (counted as evicted;
 * the packets that waited on it count as queue drops).
 *
 * Answers: only requests whose target is one of our addresses. Learning
 * follows RFC 826's merge rule: the sender of any valid packet updates an
 * existing entry; a new entry is made only when the packet was addressed to
 * us.
 */
#include "arp.h"

#include <stdlib.h>
#include <string.h>

#include "eth.h"
#include "icmp.h"
#include "stack_impl.h"
#include "tcp_impl.h"

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

static unsigned arp_hash(const struct arp_table *t, uint32_t ip)
{
	return (ip * 2654435761u) >> 7 & (t->nbuckets - 1);
}

/* ipv4_link_failure(): host unreachable for what waited, but TCP. */
static void arp_report_failure(struct stack *s, const struct arp_entry *e)
{
	for (const struct pbuf *p = e->q_head; p; p = p->next)
		if (p->len >= IPV4_HLEN && p->data[9] != IP_PROTO_TCP)
			icmp_send_error(s, ICMP_UNREACH, ICMP_UNREACH_HOST, 0,
					p->data, p->len);
}

static void arp_retry_fire(struct timer *t, uint64_t now);

int arp_init(struct stack *s)
{
	struct arp_table *t = &s->arp;

	t->cap = s->cfg.arp_max_entries;
	t->used = 0;
	for (t->nbuckets = 16; t->nbuckets < t->cap; t->nbuckets *= 2)
		;
	t->e = calloc(t->cap, sizeof(*t->e));
	t->bucket = malloc(t->nbuckets * sizeof(*t->bucket));
	if (!t->e || !t->bucket) {
		free(t->e);
		free(t->bucket);
		t->e = NULL;
		t->bucket = NULL;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < t->nbuckets; i++)
		t->bucket[i] = -1;
	for (unsigned i = 0; i < t->cap; i++) {
		t->e[i].s = s;
		t->e[i].chain = -1;
		timer_init(&t->e[i].retry, arp_retry_fire);
	}
	return 0;
}

static struct arp_entry *arp_lookup(struct stack *s, uint32_t ip)
{
	struct arp_table *t = &s->arp;

	for (int i = t->bucket[arp_hash(t, ip)]; i >= 0; i = t->e[i].chain)
		if (t->e[i].ip == ip)
			return &t->e[i];
	return NULL;
}

/**
 * arp_find() - the cache entry for @ip, for inspection
 * @s: the stack
 * @ip: neighbour address
 *
 * Return: the entry or NULL
 */
const struct arp_entry *arp_find(struct stack *s, uint32_t ip)
{
	return arp_lookup(s, ip);
}

static void arp_release(struct stack *s, struct arp_entry *e)
{
	struct arp_table *t = &s->arp;
	int idx = (int)(e - t->e);
	int *pp = &t->bucket[arp_hash(t, e->ip)];

	while (*pp != idx)
		pp = &t->e[*pp].chain;
	*pp = e->chain;
	e->chain = -1;
	stack_disarm(s, &e->retry);
	pbuf_free_chain(e->q_head);
	e->q_head = e->q_tail = NULL;
	e->qlen = 0;
	e->state = ARP_FREE;
	t->used--;
}

void arp_fini(struct stack *s)
{
	struct arp_table *t = &s->arp;

	for (unsigned i = 0; t->e && i < t->cap; i++)
		if (t->e[i].state != ARP_FREE)
			arp_release(s, &t->e[i]);
	free(t->e);
	free(t->bucket);
	t->e = NULL;
	t->bucket = NULL;
}

/* The slot to recycle when the table is full: see the theory above. */
static struct arp_entry *arp_victim(struct stack *s)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *best = NULL;

	for (unsigned i = 0; i < t->cap; i++) {
		struct arp_entry *e = &t->e[i];

		if (e->state == ARP_REACHABLE &&
		    (!best || best->state != ARP_REACHABLE ||
		     e->confirmed < best->confirmed))
			best = e;
		else if (e->state == ARP_INCOMPLETE &&
			 (!best || (best->state == ARP_INCOMPLETE &&
				    e->created < best->created)))
			best = e;
	}
	return best;
}

static struct arp_entry *arp_create(struct stack *s, unsigned ifindex,
				    uint32_t ip)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *e = NULL;
	unsigned h;

	if (t->used == t->cap) {
		e = arp_victim(s);
		if (e) {
			/* an INCOMPLETE victim's waiting packets die with it */
			CNT(s, arp_evicted);
			s->cnt.arp_queue_drop += e->qlen;
			arp_release(s, e);
		}
	} else {
		for (unsigned i = 0; i < t->cap && !e; i++)
			if (t->e[i].state == ARP_FREE)
				e = &t->e[i];
	}
	if (!e) {
		CNT(s, arp_nomem);
		return NULL;
	}
	memset(e->mac, 0, ETH_ALEN);
	e->ip = ip;
	e->ifindex = ifindex;
	e->state = ARP_INCOMPLETE;
	e->refreshing = false;
	e->tries = 0;
	e->confirmed = 0;
	e->created = s->now;
	h = arp_hash(t, ip);
	e->chain = t->bucket[h];
	t->bucket[h] = (int)(e - t->e);
	t->used++;
	return e;
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

/* Ask who has e->ip: broadcast, or unicast to the known MAC to refresh. */
static void arp_request(struct stack *s, struct arp_entry *e, bool unicast)
{
	struct netif *nif = stack_netif(s, e->ifindex);
	const struct route *r = route_lookup(s, e->ip);
	uint32_t spa = r ? route_source(s, r, e->ip) : nif->addr[0].addr;

	CNT(s, arp_tx_requests);
	arp_send(s, nif, ARP_OP_REQUEST, unicast ? e->mac : eth_broadcast,
		 zero_mac, spa, e->ip);
}

static void arp_flush_queue(struct stack *s, struct arp_entry *e)
{
	struct netif *nif = stack_netif(s, e->ifindex);
	struct pbuf *p = e->q_head;

	e->q_head = e->q_tail = NULL;
	e->qlen = 0;
	while (p) {
		struct pbuf *next = p->next;

		p->next = NULL;
		eth_output(s, nif, e->mac, ETH_P_IP, p);
		p = next;
	}
}

static void arp_retry_fire(struct timer *t, uint64_t now)
{
	struct arp_entry *e = container_of(t, struct arp_entry, retry);
	struct stack *s = e->s;

	if (e->tries >= s->cfg.arp_retries) {
		s->cnt.arp_resolve_fail += e->qlen;
		arp_report_failure(s, e);
		/* connections still opening through it fail: EHOSTUNREACH */
		tcp_neigh_unreachable(s, e->ip);
		stack_log(s, STACK_LOG_DEBUG, "arp: no answer from %u.%u.%u.%u",
			  e->ip >> 24, e->ip >> 16 & 0xff, e->ip >> 8 & 0xff,
			  e->ip & 0xff);
		arp_release(s, e);
		return;
	}
	e->tries++;
	arp_request(s, e, false);
	stack_arm(s, &e->retry, now + s->cfg.arp_retry);
}

static void arp_resolve_start(struct stack *s, struct arp_entry *e)
{
	e->state = ARP_INCOMPLETE;
	e->tries = 1;
	arp_request(s, e, false);
	stack_arm(s, &e->retry, s->now + s->cfg.arp_retry);
}

/*
 * Append @p, dropping the oldest first while the queue is full: "while",
 * because arp_queue_len may have been lowered since the queue filled.
 */
static void arp_enqueue(struct stack *s, struct arp_entry *e, struct pbuf *p)
{
	while (e->qlen && e->qlen >= s->cfg.arp_queue_len) {
		struct pbuf *old = e->q_head;

		e->q_head = old->next;
		if (!e->q_head)
			e->q_tail = NULL;
		e->qlen--;
		pbuf_free(old);
		CNT(s, arp_queue_drop);
	}
	p->next = NULL;
	if (e->q_tail)
		e->q_tail->next = p;
	else
		e->q_head = p;
	e->q_tail = p;
	e->qlen++;
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
	struct arp_entry *e;
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
	e = arp_lookup(s, nexthop);
	if (e && e->state == ARP_REACHABLE) {
		uint64_t age = s->now - e->confirmed;

		if (age < s->cfg.arp_max_age) {
			if (!e->refreshing &&
			    age >= s->cfg.arp_max_age / 4 * 3) {
				e->refreshing = true;
				arp_request(s, e, true);
			}
			return eth_output(s, nif, e->mac, ETH_P_IP, p);
		}
		CNT(s, arp_expired);
		arp_resolve_start(s, e);
	} else if (!e) {
		e = arp_create(s, nif->index, nexthop);
		if (!e) {
			pbuf_free(p);
			return -ENOBUFS;
		}
		arp_resolve_start(s, e);
	}
	arp_enqueue(s, e, p);
	return 0;
}

static void arp_learn(struct stack *s, struct arp_entry *e, const uint8_t *mac)
{
	memcpy(e->mac, mac, ETH_ALEN);
	e->confirmed = s->now;
	e->refreshing = false;
	if (e->state != ARP_REACHABLE) {
		e->state = ARP_REACHABLE;
		stack_disarm(s, &e->retry);
	}
	arp_flush_queue(s, e);
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
	struct arp_entry *e;
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
	/* RFC 826 merge: update the sender if we know it... */
	e = a.spa ? arp_lookup(s, a.spa) : NULL;
	if (e)
		arp_learn(s, e, a.sha);
	if (!for_us) {
		CNT(s, arp_rx_other_target);
		goto out;
	}
	/* ...and add it when the packet was for us (not for a probe: spa 0). */
	if (!e && a.spa) {
		e = arp_create(s, nif->index, a.spa);
		if (e)
			arp_learn(s, e, a.sha);
	}
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
 * stack_neigh_list() - the neighbour cache, for inspection
 * @s: the stack
 * @now: current time
 * @start: index of the first entry wanted
 * @out: filled with up to @max entries
 * @max: room in @out
 *
 * Return: the number of entries in the cache
 */
unsigned stack_neigh_list(struct stack *s, uint64_t now, unsigned start,
			  struct stack_neigh *out, unsigned max)
{
	struct arp_table *t = &s->arp;
	unsigned n = 0;

	s->now = now;
	for (unsigned i = 0; i < t->cap; i++) {
		const struct arp_entry *e = &t->e[i];
		struct stack_neigh *o;

		if (e->state == ARP_FREE)
			continue;
		if (n >= start && n - start < max) {
			o = &out[n - start];
			o->ip = e->ip;
			memcpy(o->mac, e->mac, ETH_ALEN);
			o->state = (uint8_t)e->state;
			o->age = s->now - (e->state == ARP_REACHABLE ?
					   e->confirmed : e->created);
			o->expired = e->state == ARP_REACHABLE &&
				     o->age >= s->cfg.arp_max_age;
			o->queued = e->qlen;
		}
		n++;
	}
	return n;
}
