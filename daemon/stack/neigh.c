/* SPDX-License-Identifier: MIT */
/*
 * neigh.c - the neighbour cache of both families: which link-layer address
 * an IP next hop has, and whether it still answers
 *
 * Theory of operation: one bounded table of neigh_max_entries slots, hashed
 * by (family, address), holds ARP's entries and Neighbor Discovery's alike;
 * each family contributes only how to ask (an ARP request, a Neighbor
 * Solicitation: struct neigh_ops, registered by arp.c and nd.c) and how to
 * learn (neigh_update() from ARP packets, NS, NA, RS, RA and redirects).
 * Entries go through RFC 4861 7.3.2's states, which Linux's neighbour
 * layer applies to ARP too:
 *
 *   INCOMPLETE  soliciting by broadcast/multicast every RetransTimer;
 *               packets wait in a queue of neigh_queue_bytes (oldest
 *               dropped first; Linux's unres_qlen_bytes); after neigh_mcast_solicit tries the entry fails:
 *               what waited is dropped (counted) and the transports are
 *               told the next hop is unreachable (EHOSTUNREACH to a
 *               connect in progress).
 *   REACHABLE   confirmed within ReachableTime (a solicited answer, or an
 *               upper-layer hint: neigh_confirm()).
 *   STALE       older than that, or learned unsolicited; still used.
 *   DELAY       used while STALE: wait DELAY_FIRST_PROBE_TIME for a hint,
 *   PROBE       then unicast solicitations every RetransTimer; after
 *               neigh_ucast_solicit unanswered the entry goes away.
 *
 * REACHABLE turns STALE lazily, when next looked at: timers run only in
 * INCOMPLETE, DELAY and PROBE, that is only while traffic flows, so an
 * idle stack never wakes up. ReachableTime is the base time times a random
 * factor in [0.5, 1.5) (RFC 4861 6.3.2), drawn per family when the base
 * is set.
 *
 * When the table is full the entry heard from longest ago that is not
 * INCOMPLETE is recycled, or failing that the oldest INCOMPLETE one
 * (counted as evicted; its waiting packets count as queue drops).
 */
#include "neigh.h"

#include <stdlib.h>
#include <string.h>

#include "eth.h"
#include "stack_impl.h"

static const char *const state_names[] = {
	[NEIGH_FREE] = "free",
	[NEIGH_INCOMPLETE] = "incomplete",
	[NEIGH_REACHABLE] = "reachable",
	[NEIGH_STALE] = "stale",
	[NEIGH_DELAY] = "delay",
	[NEIGH_PROBE] = "probe",
};

const char *neigh_state_name(enum neigh_state st)
{
	return st <= NEIGH_PROBE ? state_names[st] : "?";
}

static const struct neigh_ops *neigh_ops(struct stack *s,
					 const struct neigh_entry *e)
{
	return s->neigh_ops[e->ip.family == IP_V6];
}

static const struct neigh_params *neigh_params_of(struct stack *s,
						 uint8_t family)
{
	return &s->neigh_params[family == IP_V6];
}

static unsigned neigh_hash(const struct neigh_table *t, const struct ip_addr *ip)
{
	return ip_addr_hash(ip, t->seed) & (t->nbuckets - 1);
}

static void neigh_timer_fire(struct timer *t, uint64_t now);

int neigh_init(struct stack *s)
{
	struct neigh_table *t = &s->neigh;

	t->cap = s->cfg.neigh_max_entries;
	t->used = 0;
	t->seed = stack_random32(s);
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
		timer_init(&t->e[i].timer, neigh_timer_fire);
	}
	return 0;
}

static struct neigh_entry *neigh_lookup(struct stack *s,
					const struct ip_addr *ip)
{
	struct neigh_table *t = &s->neigh;

	for (int i = t->bucket[neigh_hash(t, ip)]; i >= 0; i = t->e[i].chain)
		if (ip_addr_eq(&t->e[i].ip, ip))
			return &t->e[i];
	return NULL;
}

/**
 * neigh_find() - the cache entry for @ip, for inspection
 * @s: the stack
 * @ip: neighbour address
 *
 * Return: the entry or NULL
 */
const struct neigh_entry *neigh_find(struct stack *s, const struct ip_addr *ip)
{
	return neigh_lookup(s, ip);
}

static void neigh_release(struct stack *s, struct neigh_entry *e)
{
	struct neigh_table *t = &s->neigh;
	int idx = (int)(e - t->e);
	int *pp = &t->bucket[neigh_hash(t, &e->ip)];

	while (*pp != idx)
		pp = &t->e[*pp].chain;
	*pp = e->chain;
	e->chain = -1;
	stack_disarm(s, &e->timer);
	pbuf_free_chain(e->q_head);
	e->q_head = e->q_tail = NULL;
	e->qlen = 0;
	e->qbytes = 0;
	e->state = NEIGH_FREE;
	t->used--;
}

void neigh_fini(struct stack *s)
{
	struct neigh_table *t = &s->neigh;

	for (unsigned i = 0; t->e && i < t->cap; i++)
		if (t->e[i].state != NEIGH_FREE)
			neigh_release(s, &t->e[i]);
	free(t->e);
	free(t->bucket);
	t->e = NULL;
	t->bucket = NULL;
}

/**
 * neigh_flush() - forget @ip (an address of ours now, or a removed route)
 * @s: the stack
 * @ip: the neighbour
 */
void neigh_flush(struct stack *s, const struct ip_addr *ip)
{
	struct neigh_entry *e = neigh_lookup(s, ip);

	if (e) {
		s->cnt.neigh_queue_drop += e->qlen;
		neigh_release(s, e);
	}
}

/* When the entry was last heard from, or learned */
static uint64_t neigh_last(const struct neigh_entry *e)
{
	return e->confirmed > e->updated ? e->confirmed : e->updated;
}

/* The slot to recycle when the table is full: see the theory above. */
static struct neigh_entry *neigh_victim(struct stack *s)
{
	struct neigh_table *t = &s->neigh;
	struct neigh_entry *best = NULL;

	for (unsigned i = 0; i < t->cap; i++) {
		struct neigh_entry *e = &t->e[i];
		bool inc = e->state == NEIGH_INCOMPLETE;

		if (e->state == NEIGH_FREE)
			continue;
		if (!best ||
		    (!inc && best->state == NEIGH_INCOMPLETE) ||
		    (inc == (best->state == NEIGH_INCOMPLETE) &&
		     neigh_last(e) < neigh_last(best)))
			best = e;
	}
	return best;
}

static struct neigh_entry *neigh_create(struct stack *s, unsigned ifindex,
					const struct ip_addr *ip)
{
	struct neigh_table *t = &s->neigh;
	struct neigh_entry *e = NULL;
	unsigned h;

	if (t->used == t->cap) {
		e = neigh_victim(s);
		if (e) {
			CNT(s, neigh_evicted);
			s->cnt.neigh_queue_drop += e->qlen;
			neigh_release(s, e);
		}
	} else {
		for (unsigned i = 0; i < t->cap && !e; i++)
			if (t->e[i].state == NEIGH_FREE)
				e = &t->e[i];
	}
	if (!e) {
		CNT(s, neigh_nomem);
		return NULL;
	}
	memset(e->mac, 0, ETH_ALEN);
	e->ip = *ip;
	e->ifindex = ifindex;
	e->state = NEIGH_INCOMPLETE;
	e->is_router = false;
	e->probes = 0;
	e->confirmed = 0;
	e->updated = s->now;
	h = neigh_hash(t, ip);
	e->chain = t->bucket[h];
	t->bucket[h] = (int)(e - t->e);
	t->used++;
	return e;
}

static void neigh_set_state(struct stack *s, struct neigh_entry *e,
			    enum neigh_state st, uint64_t timeout)
{
	e->state = st;
	e->updated = s->now;
	e->probes = 0;
	if (timeout)
		stack_arm(s, &e->timer, s->now + timeout);
	else
		stack_disarm(s, &e->timer);
}

static void neigh_solicit(struct stack *s, struct neigh_entry *e, bool unicast)
{
	const struct neigh_ops *ops = neigh_ops(s, e);

	e->probes++;
	ops->solicit(s, e, unicast ? e->mac : NULL);
}

/* Send what waited for the address (it is known now). */
static void neigh_flush_queue(struct stack *s, struct neigh_entry *e)
{
	struct netif *nif = stack_netif(s, e->ifindex);
	struct pbuf *p = e->q_head;
	uint16_t type = neigh_ops(s, e)->ethertype;

	e->q_head = e->q_tail = NULL;
	e->qlen = 0;
	e->qbytes = 0;
	while (p) {
		struct pbuf *next = p->next;

		p->next = NULL;
		eth_output(s, nif, e->mac, type, p);
		p = next;
	}
}

/* Resolution failed: drop what waited, tell the transports. */
static void neigh_fail(struct stack *s, struct neigh_entry *e)
{
	char buf[IP_STRLEN];
	struct ip_addr ip = e->ip;

	s->cnt.neigh_resolve_fail += e->qlen;
	stack_log(s, STACK_LOG_DEBUG, "neigh: no answer from %s",
		  ip_ntop(&ip, buf));
	if (neigh_ops(s, e)->failed)
		neigh_ops(s, e)->failed(s, e);
	neigh_release(s, e);
	stack_unreachable(s, &ip);
}

static void neigh_timer_fire(struct timer *t, uint64_t now)
{
	struct neigh_entry *e = container_of(t, struct neigh_entry, timer);
	struct stack *s = e->s;
	const struct neigh_params *np = neigh_params_of(s, e->ip.family);

	switch (e->state) {
	case NEIGH_INCOMPLETE:
		if (e->probes >= s->cfg.neigh_mcast_solicit) {
			neigh_fail(s, e);
			return;
		}
		neigh_solicit(s, e, false);
		stack_arm(s, &e->timer, now + np->retrans);
		break;
	case NEIGH_DELAY:
		/* no confirmation came (it would have made the entry
		 * REACHABLE and stopped this timer): probe */
		neigh_set_state(s, e, NEIGH_PROBE, np->retrans);
		neigh_solicit(s, e, true);
		break;
	case NEIGH_PROBE:
		if (e->probes >= s->cfg.neigh_ucast_solicit) {
			CNT(s, neigh_probe_fail);
			neigh_release(s, e);
			return;
		}
		neigh_solicit(s, e, true);
		stack_arm(s, &e->timer, now + np->retrans);
		break;
	default:
		break;
	}
}

/*
 * Append @p, dropping the oldest first while the bytes would pass the
 * bound (as Linux's __neigh_event_send: a packet larger than the bound is
 * still queued, alone): "while", because neigh_queue_bytes may have been
 * lowered since the queue filled.
 */
static void neigh_enqueue(struct stack *s, struct neigh_entry *e,
			  struct pbuf *p)
{
	while (e->qlen && e->qbytes + p->len > s->cfg.neigh_queue_bytes) {
		struct pbuf *old = e->q_head;

		e->q_head = old->next;
		if (!e->q_head)
			e->q_tail = NULL;
		e->qlen--;
		e->qbytes -= old->len;
		pbuf_free(old);
		CNT(s, neigh_queue_drop);
	}
	e->qbytes += p->len;
	p->next = NULL;
	if (e->q_tail)
		e->q_tail->next = p;
	else
		e->q_head = p;
	e->q_tail = p;
	e->qlen++;
}

/* REACHABLE ages into STALE when next looked at (see the theory). */
static void neigh_age(struct stack *s, struct neigh_entry *e)
{
	const struct neigh_params *np = neigh_params_of(s, e->ip.family);

	if (e->state == NEIGH_REACHABLE &&
	    s->now - e->confirmed >= np->reachable) {
		CNT(s, neigh_stale);
		e->state = NEIGH_STALE;
		e->updated = e->confirmed + np->reachable;
	}
}

/**
 * neigh_output() - send a datagram to @nexthop, resolving it first
 * @s: the stack
 * @nif: outgoing interface
 * @nexthop: the neighbour (the destination itself, or a router); a
 *           unicast address (groups and broadcasts are the caller's)
 * @p: the datagram, data at the IP header; consumed
 *
 * Return: 0 (sent or queued for resolution), or a negative errno
 */
int neigh_output(struct stack *s, struct netif *nif,
		 const struct ip_addr *nexthop, struct pbuf *p)
{
	struct neigh_entry *e = neigh_lookup(s, nexthop);
	const struct neigh_params *np = neigh_params_of(s, nexthop->family);

	if (!e) {
		e = neigh_create(s, nif->index, nexthop);
		if (!e) {
			pbuf_free(p);
			return -ENOBUFS;
		}
		neigh_set_state(s, e, NEIGH_INCOMPLETE, np->retrans);
		neigh_solicit(s, e, false);
	}
	neigh_age(s, e);
	switch (e->state) {
	case NEIGH_INCOMPLETE:
		neigh_enqueue(s, e, p);
		return 0;
	case NEIGH_STALE:
		/* RFC 4861 7.3.3: first use of a stale entry */
		neigh_set_state(s, e, NEIGH_DELAY, np->delay_probe);
		break;
	default:
		break;
	}
	return eth_output(s, nif, e->mac, neigh_ops(s, e)->ethertype, p);
}

/**
 * neigh_update() - what a received ARP or ND packet says about a neighbour
 * @s: the stack
 * @nif: interface it came in on
 * @ip: the neighbour's address
 * @mac: its link-layer address, or NULL when the packet carried none
 * @flags: NEIGH_F_*
 *
 * RFC 4861 7.2.5 for answers (NEIGH_F_SOLICITED: reachability confirmed),
 * 7.2.3 and 6.3.4 for what arrives unsolicited: a new or changed address
 * makes the entry STALE, the same address changes nothing.
 *
 * Return: the entry, or NULL when none exists and none was created
 */
struct neigh_entry *neigh_update(struct stack *s, struct netif *nif,
				 const struct ip_addr *ip, const uint8_t *mac,
				 unsigned flags)
{
	struct neigh_entry *e = neigh_lookup(s, ip);
	bool changed;

	if (!e) {
		if (!(flags & NEIGH_F_CREATE) || !mac)
			return NULL;
		e = neigh_create(s, nif->index, ip);
		if (!e)
			return NULL;
	}
	if (flags & NEIGH_F_ROUTER)
		e->is_router = flags & NEIGH_F_IS_ROUTER;
	neigh_age(s, e);
	if (e->state == NEIGH_INCOMPLETE) {
		if (!mac)
			return e;       /* 7.2.5: no address, nothing learned */
		memcpy(e->mac, mac, ETH_ALEN);
		if (flags & NEIGH_F_SOLICITED) {
			e->confirmed = s->now;
			neigh_set_state(s, e, NEIGH_REACHABLE, 0);
		} else {
			neigh_set_state(s, e, NEIGH_STALE, 0);
		}
		neigh_flush_queue(s, e);
		return e;
	}
	changed = mac && memcmp(mac, e->mac, ETH_ALEN);
	if (changed && !(flags & NEIGH_F_OVERRIDE) &&
	    (flags & NEIGH_F_SOLICITED)) {
		/* 7.2.5: a solicited answer that may not override a
		 * different address only makes a reachable entry stale */
		if (e->state == NEIGH_REACHABLE)
			neigh_set_state(s, e, NEIGH_STALE, 0);
		return e;
	}
	if (changed)
		memcpy(e->mac, mac, ETH_ALEN);
	if (flags & NEIGH_F_SOLICITED) {
		e->confirmed = s->now;
		neigh_set_state(s, e, NEIGH_REACHABLE, 0);
	} else if (changed) {
		neigh_set_state(s, e, NEIGH_STALE, 0);
	}
	return e;
}

/**
 * neigh_set_reachable() - set a family's BaseReachableTime, and draw its
 * ReachableTime from it (RFC 4861 6.3.2: uniformly in [0.5, 1.5) times it)
 * @s: the stack
 * @family: IP_V4 or IP_V6
 * @base: ns
 */
void neigh_set_reachable(struct stack *s, uint8_t family, uint64_t base)
{
	struct neigh_params *np = &s->neigh_params[family == IP_V6];
	uint64_t r = stack_random32(s);

	np->base_reachable = base;
	np->reachable = base / 2 + (base >> 16) * (r >> 16);
}

/**
 * neigh_confirm() - an upper layer saw the neighbour answer (RFC 4861
 * 7.3.1: new data acknowledged by TCP)
 * @s: the stack
 * @ip: the next hop
 */
void neigh_confirm(struct stack *s, const struct ip_addr *ip)
{
	struct neigh_entry *e = neigh_lookup(s, ip);

	if (!e || e->state == NEIGH_INCOMPLETE)
		return;
	e->confirmed = s->now;
	if (e->state != NEIGH_REACHABLE)
		neigh_set_state(s, e, NEIGH_REACHABLE, 0);
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
	struct neigh_table *t = &s->neigh;
	unsigned n = 0;

	s->now = now;
	for (unsigned i = 0; i < t->cap; i++) {
		struct neigh_entry *e = &t->e[i];
		struct stack_neigh *o;

		if (e->state == NEIGH_FREE)
			continue;
		neigh_age(s, e);
		if (n >= start && n - start < max) {
			o = &out[n - start];
			o->ip = e->ip;
			memcpy(o->mac, e->mac, ETH_ALEN);
			o->state = (uint8_t)e->state;
			o->is_router = e->is_router;
			o->age = s->now - (e->confirmed ? e->confirmed :
					   e->updated);
			o->queued = e->qlen;
			o->probes = e->probes;
		}
		n++;
	}
	return n;
}
