/* SPDX-License-Identifier: MIT */
/*
 * nd.c - IPv6 Neighbor Discovery (RFC 4861) for a host: IPv6's half of the
 * neighbour cache, router discovery, redirects, and the messages of
 * duplicate address detection (RFC 4862 5.4)
 *
 * Theory of operation. Neighbours: the cache and its states are neigh.c's;
 * ND solicits with a Neighbor Solicitation to the solicited-node group (a
 * unicast one to probe a stale entry) and learns from what arrives, as
 * RFC 4861 7.2 says: a solicitation with a source link-layer address
 * creates or refreshes its sender (STALE), a solicited advertisement
 * confirms (REACHABLE), the Override flag decides whether a different
 * address replaces ours (7.2.5). We answer solicitations for our
 * addresses; one from :: is another node's DAD probe, answered to all
 * nodes (7.2.4), or, for an address of ours still tentative, the proof
 * that it is taken (RFC 4862 5.4.3), as is any advertisement for it.
 *
 * Routers: once the link-local address is usable we solicit routers
 * (three times, four seconds apart, until one advertises: RFC 4861 6.3.7).
 * An advertisement updates the default router list (a default route per
 * router, for its lifetime), the on-link prefixes (a connected route each,
 * for its valid lifetime), the hop limit, MTU, ReachableTime and
 * RetransTimer, the RDNSS and DNSSL lists (RFC 8106), and hands prefixes
 * with the A flag to SLAAC (addrconf.c). Lifetimes are timers in the one
 * heap; infinite ones have none. A redirect is taken only from the router
 * we would use for that destination (8.1), as a host route.
 */
#include <stdio.h>
#include <string.h>

#include "eth.h"
#include "ipv6.h"
#include "stack_impl.h"

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };

/* Send an ND message built in @msg (checksummed for @src -> @dst) */
static void nd_send(struct stack *s, const uint8_t *msg, size_t len,
		    const struct ip_addr *src, const struct ip_addr *dst,
		    bool unspec_src)
{
	struct ip_tx tx = { .src = *src, .dst = *dst, .proto = IP6_NH_ICMPV6,
			    .ttl = ND_HOPLIMIT,
			    .flags = unspec_src ? IP_TX_UNSPEC_SRC : 0 };
	struct pbuf *p = pbuf_copy(&s->pool, PBUF_HEADROOM, msg, len);

	if (!p) {
		CNT(s, nd_tx_nomem);
		return;
	}
	ipv6_output(s, p, &tx);
}

/* Ask who has e->ip (neigh_ops): to its solicited-node group, or unicast
 * to @mac to probe a stale entry */
static void nd_solicit(struct stack *s, struct neigh_entry *e,
		       const uint8_t *mac)
{
	struct netif *nif = stack_netif(s, e->ifindex);
	struct ip_addr dst, src;
	uint8_t msg[96];
	size_t n;

	if (mac) {
		dst = e->ip;
	} else {
		dst.family = IP_V6;
		ip6_solicited_node(e->ip.v6, dst.v6);
	}
	if (addrconf_select_source(s, &e->ip, &src)) {
		CNT(s, nd_tx_no_src);
		return;
	}
	n = nd_build_ns(msg, &src, &dst, e->ip.v6, nif->mac);
	CNT(s, nd_tx_ns);
	nd_send(s, msg, n, &src, &dst, false);
}

/* RFC 4861 7.2.2: address unreachable for each packet that waited (but
 * TCP's, which hears of it directly) (neigh_ops) */
static void nd_failed(struct stack *s, const struct neigh_entry *e)
{
	for (const struct pbuf *p = e->q_head; p; p = p->next)
		if (p->len >= IPV6_HLEN && p->data[6] != IP_PROTO_TCP)
			icmp6_send_error(s, ICMP6_DST_UNREACH,
					 ICMP6_DST_UNREACH_ADDR, 0, p->data,
					 p->len);
}

static const struct neigh_ops nd_neigh_ops = {
	.ethertype = ETH_P_IPV6,
	.solicit = nd_solicit,
	.failed = nd_failed,
};

/**
 * nd_send_dad() - one DAD probe for a tentative address (RFC 4862 5.4.2):
 * a solicitation from :: to its solicited-node group, no link-layer option
 * @s: the stack
 * @a: the address
 */
void nd_send_dad(struct stack *s, struct ifaddr6 *a)
{
	struct ip_addr src = ip_any(IP_V6), dst = { .family = IP_V6 };
	uint8_t msg[96];
	size_t n;

	ip6_solicited_node(a->addr, dst.v6);
	n = nd_build_ns(msg, &src, &dst, a->addr, NULL);
	CNT(s, nd_tx_dad);
	nd_send(s, msg, n, &src, &dst, true);
}

static void nd_send_rs(struct stack *s)
{
	struct netif *nif = &s->nif;
	struct ip_addr src, dst = ip6(all_routers);
	uint8_t msg[96];
	size_t n;
	bool have = addrconf_linklocal(s, &src);

	/* RFC 4861 6.3.7: from :: (then without SLLA) when nothing else */
	if (!have)
		src = ip_any(IP_V6);
	n = nd_build_rs(msg, &src, &dst, have ? nif->mac : NULL);
	CNT(s, nd_tx_rs);
	nd_send(s, msg, n, &src, &dst, !have);
}

static void nd_rs_fire(struct timer *t, uint64_t now)
{
	struct stack *s = container_of(t, struct stack, nif.in6.rs_timer);

	if (s->nif.in6.ra_seen || s->nif.in6.rs_sent >= s->cfg.rtr_solicits)
		return;
	s->nif.in6.rs_sent++;
	nd_send_rs(s);
	if (s->nif.in6.rs_sent < s->cfg.rtr_solicits)
		stack_arm(s, t, now + s->cfg.rtr_solicit_interval);
}

/**
 * nd_start() - begin router discovery (the link-local address is usable)
 * @s: the stack
 */
void nd_start(struct stack *s)
{
	struct inet6_if *in6 = &s->nif.in6;

	if (!in6->enabled || in6->ra_seen || in6->rs_sent ||
	    !s->cfg.rtr_solicits)
		return;
	nd_rs_fire(&in6->rs_timer, s->now);
}

static void nd_entry_expire(struct timer *t, uint64_t now);

/**
 * nd_init() - register ND with the neighbour cache
 * @s: the stack
 */
void nd_init(struct stack *s)
{
	struct inet6_if *in6 = &s->nif.in6;

	s->neigh_ops[1] = &nd_neigh_ops;
	timer_init(&in6->rs_timer, nd_rs_fire);
	for (unsigned i = 0; i < ND_MAX_ROUTERS; i++) {
		in6->routers[i].s = s;
		timer_init(&in6->routers[i].timer, nd_entry_expire);
	}
	for (unsigned i = 0; i < ND_MAX_ONLINK; i++) {
		in6->onlink[i].s = s;
		timer_init(&in6->onlink[i].timer, nd_entry_expire);
	}
}

void nd_fini(struct stack *s)
{
	struct inet6_if *in6 = &s->nif.in6;

	stack_disarm(s, &in6->rs_timer);
	for (unsigned i = 0; i < ND_MAX_ROUTERS; i++)
		stack_disarm(s, &in6->routers[i].timer);
	for (unsigned i = 0; i < ND_MAX_ONLINK; i++)
		stack_disarm(s, &in6->onlink[i].timer);
}

/* The route an entry stands for: a default route, or an on-link prefix */
static void nd_entry_route(const struct nd_entry *e, bool router,
			   struct route *r)
{
	memset(r, 0, sizeof(*r));
	r->origin = ROUTE_RA;
	r->ifindex = 1;
	if (router) {
		r->dst = ip_any(IP_V6);
		r->gateway = ip6(e->addr);
		r->metric = 1024;       /* Linux's metric for RA routes */
	} else {
		r->dst = ip6(e->addr);
		r->prefix = e->len;
		r->metric = 256;
	}
}

static void nd_entry_drop(struct stack *s, struct nd_entry *e, bool router)
{
	struct route r;

	nd_entry_route(e, router, &r);
	for (unsigned i = 0; i < s->nroutes; i++) {
		struct route *x = &s->routes[i];

		if (x->origin == ROUTE_RA && ip_addr_eq(&x->dst, &r.dst) &&
		    x->prefix == r.prefix &&
		    ip_addr_eq(&x->gateway, &r.gateway)) {
			*x = s->routes[--s->nroutes];
			break;
		}
	}
	stack_disarm(s, &e->timer);
	e->used = false;
}

static void nd_entry_expire(struct timer *t, uint64_t now)
{
	struct nd_entry *e = container_of(t, struct nd_entry, timer);
	struct stack *s = e->s;
	bool router = e >= s->nif.in6.routers &&
		      e < s->nif.in6.routers + ND_MAX_ROUTERS;

	(void)now;
	CNT(s, nd_lifetime_expired);
	nd_entry_drop(s, e, router);
}

/*
 * Add or refresh a router (@len 128) or an on-link prefix for @lifetime
 * seconds (0xffffffff: forever); 0 removes it (RFC 4861 6.3.4).
 */
static void nd_entry_set(struct stack *s, struct nd_entry *tab, unsigned n,
			 const uint8_t addr[16], uint8_t len,
			 uint32_t lifetime)
{
	bool router = tab == s->nif.in6.routers;
	struct nd_entry *e = NULL, *free_e = NULL;
	struct route r;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		if (tab[i].used && tab[i].len == len &&
		    !memcmp(tab[i].addr, addr, 16))
			e = &tab[i];
		else if (!tab[i].used && !free_e)
			free_e = &tab[i];
	}
	if (!lifetime) {
		if (e)
			nd_entry_drop(s, e, router);
		return;
	}
	if (!e) {
		if (!free_e) {
			CNT(s, nd_list_full);
			return;
		}
		e = free_e;
		memcpy(e->addr, addr, 16);
		e->len = len;
		nd_entry_route(e, router, &r);
		rc = route_insert(s, &r);
		if (rc && rc != -EEXIST) {
			CNT(s, nd_list_full);
			return;
		}
		e->used = true;
	}
	if (lifetime == 0xffffffffu) {
		e->until = UINT64_MAX;
		stack_disarm(s, &e->timer);
	} else {
		e->until = s->now + (uint64_t)lifetime * NSEC_PER_SEC;
		stack_arm(s, &e->timer, e->until);
	}
}

/* RFC 8106 5.1, 5.2: a server or domain for its lifetime; 0 withdraws */
static void nd_dns_set(struct stack *s, struct nd_dns *tab, unsigned n,
		       const uint8_t *addr, const char *name, uint32_t lifetime)
{
	struct nd_dns *e = NULL, *victim = NULL;

	for (unsigned i = 0; i < n; i++) {
		bool same = tab[i].used &&
			    (addr ? !memcmp(tab[i].addr, addr, 16) :
				    !strcmp(tab[i].name, name));

		if (same)
			e = &tab[i];
		else if (!victim || (victim->used && (!tab[i].used ||
						    tab[i].until < victim->until)))
			victim = &tab[i];   /* the first free, or the oldest */
	}
	if (!lifetime) {
		if (e)
			e->used = false;
		return;
	}
	if (!e) {
		e = victim;
		memset(e, 0, sizeof(*e));
		if (addr)
			memcpy(e->addr, addr, 16);
		else
			snprintf(e->name, sizeof(e->name), "%s", name);
		e->used = true;
	}
	e->until = lifetime == 0xffffffffu ? UINT64_MAX :
		   s->now + (uint64_t)lifetime * NSEC_PER_SEC;
}

/* RFC 4861 6.3.4: what an advertisement teaches a host */
static void nd_router_advert(struct stack *s, const struct nd_msg *m,
			     const struct ip_rx *rx)
{
	struct netif *nif = &s->nif;
	struct inet6_if *in6 = &nif->in6;

	CNT(s, nd_rx_ra);
	in6->ra_seen = true;
	stack_disarm(s, &in6->rs_timer);
	if (m->cur_hop_limit)
		in6->hop_limit = m->cur_hop_limit;
	if (m->reachable_time &&
	    (uint64_t)m->reachable_time * NSEC_PER_MSEC !=
	    s->neigh_params[1].base_reachable)
		neigh_set_reachable(s, IP_V6,
				    (uint64_t)m->reachable_time * NSEC_PER_MSEC);
	if (m->retrans_timer)
		s->neigh_params[1].retrans =
			(uint64_t)m->retrans_timer * NSEC_PER_MSEC;
	if (m->has_mtu) {
		if (m->mtu >= IPV6_MIN_MTU && m->mtu <= nif->mtu)
			in6->mtu = m->mtu;
		else
			CNT(s, nd_ra_bad_mtu);
	}
	nd_entry_set(s, in6->routers, ND_MAX_ROUTERS, rx->src.v6, 128,
		     m->router_lifetime);
	if (m->has_slla)
		neigh_update(s, nif, &rx->src, m->slla,
			     NEIGH_F_CREATE | NEIGH_F_ROUTER |
			     NEIGH_F_IS_ROUTER);
	for (unsigned i = 0; i < m->nprefix; i++) {
		const struct nd_prefix *pi = &m->prefix[i];
		struct ip_addr pfx = ip6(pi->prefix);

		/* RFC 4861 6.3.4: never the link-local prefix */
		if (ip_addr_is_linklocal(&pfx) || pi->len > 128) {
			CNT(s, nd_ra_prefix_ignored);
			continue;
		}
		if (pi->flags & ND_PREFIX_ONLINK) {
			struct ip_addr net = pfx;

			for (unsigned b = pi->len; b < 128; b++)
				net.v6[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
			nd_entry_set(s, in6->onlink, ND_MAX_ONLINK, net.v6,
				     pi->len, pi->valid);
		}
		if ((pi->flags & ND_PREFIX_AUTO) && s->cfg.slaac)
			addrconf_prefix(s, pi);
	}
	for (unsigned i = 0; i < m->nrdnss; i++)
		nd_dns_set(s, in6->rdnss, ND_MAX_RDNSS, m->rdnss[i].addr, NULL,
			   m->rdnss[i].lifetime);
	for (unsigned i = 0; i < m->ndnssl; i++)
		nd_dns_set(s, in6->dnssl, ND_MAX_DNSSL, NULL, m->dnssl[i].name,
			   m->dnssl[i].lifetime);
}

static void nd_send_na(struct stack *s, const uint8_t target[16],
		       const struct ip_addr *dst, uint8_t flags)
{
	struct ip_addr src = ip6(target);
	uint8_t msg[96];
	size_t n = nd_build_na(msg, &src, dst, target, flags, s->nif.mac);

	CNT(s, nd_tx_na);
	nd_send(s, msg, n, &src, dst, false);
}

static void nd_neighbor_solicit(struct stack *s, const struct nd_msg *m,
				const struct ip_rx *rx)
{
	struct ifaddr6 *a = addrconf_find(s, m->target);
	bool dad = ip_addr_is_any(&rx->src);
	struct ip_addr dst = rx->src;

	CNT(s, nd_rx_ns);
	if (!a || a->state == IFA6_DUPLICATE) {
		CNT(s, nd_rx_ns_not_ours);
		return;
	}
	if (a->state == IFA6_TENTATIVE) {
		/* RFC 4862 5.4.3: another node probes it too: taken */
		if (dad)
			addrconf_dad_failed(s, a);
		return;
	}
	if (dad) {
		/* RFC 4861 7.2.4: answer a probe for our address to all */
		dst = ip6(all_nodes);
		nd_send_na(s, m->target, &dst, ND_NA_OVERRIDE);
		return;
	}
	if (m->has_slla)
		neigh_update(s, &s->nif, &rx->src, m->slla,
			     NEIGH_F_CREATE | NEIGH_F_OVERRIDE);
	nd_send_na(s, m->target, &dst, ND_NA_SOLICITED | ND_NA_OVERRIDE);
}

static void nd_neighbor_advert(struct stack *s, const struct nd_msg *m,
			       const struct ip_rx *rx)
{
	struct ifaddr6 *a = addrconf_find(s, m->target);
	struct ip_addr target = ip6(m->target);
	unsigned flags = NEIGH_F_ROUTER;
	const struct neigh_entry *e;

	CNT(s, nd_rx_na);
	if (a) {
		char buf[IP_STRLEN];

		if (a->state == IFA6_TENTATIVE) {
			addrconf_dad_failed(s, a);
			return;
		}
		CNT(s, nd_conflict);
		stack_log(s, STACK_LOG_WARN, "nd: another node advertises our "
			  "address %s", ip_ntop(&target, buf));
		return;
	}
	if (m->flags & ND_NA_SOLICITED)
		flags |= NEIGH_F_SOLICITED;
	if (m->flags & ND_NA_OVERRIDE)
		flags |= NEIGH_F_OVERRIDE;
	if (m->flags & ND_NA_ROUTER)
		flags |= NEIGH_F_IS_ROUTER;
	e = neigh_update(s, &s->nif, &target, m->has_tlla ? m->tlla : NULL,
			 flags);
	/* RFC 4861 7.2.5: no longer a router: off the default router list */
	if (e && !(m->flags & ND_NA_ROUTER))
		nd_entry_set(s, s->nif.in6.routers, ND_MAX_ROUTERS, m->target,
			     128, 0);
}

/* RFC 4861 8.3: only from the router we use for that destination */
static void nd_redirect(struct stack *s, const struct nd_msg *m,
			const struct ip_rx *rx)
{
	struct ip_addr dst = ip6(m->redirect_dst), target = ip6(m->target);
	const struct route *r = route_find(s, &dst);
	struct route host = { .dst = dst, .prefix = 128, .origin = ROUTE_RA,
			      .ifindex = 1 };

	CNT(s, nd_rx_redirect);
	if (!r || !route_has_gateway(r) || !ip_addr_eq(&r->gateway, &rx->src)) {
		CNT(s, nd_redirect_refused);
		return;
	}
	if (!ip_addr_eq(&target, &dst))
		host.gateway = target;  /* a better router; else on link */
	route_remove(s, &dst, 128, ROUTE_RA);
	if (route_insert(s, &host)) {
		CNT(s, nd_redirect_refused);
		return;
	}
	neigh_update(s, &s->nif, &target, m->has_tlla ? m->tlla : NULL,
		     NEIGH_F_CREATE |
		     (ip_addr_eq(&target, &dst) ? 0 : NEIGH_F_ROUTER |
						      NEIGH_F_IS_ROUTER));
}

static bool nd_bad_lladdr(const struct stack *s, const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !memcmp(mac, s->nif.mac, 6) || !memcmp(mac, zero, 6);
}

static void nd_count_err(struct stack *s, int err)
{
	switch (err) {
	case ND_ERR_HOPLIMIT:
		CNT(s, nd_rx_bad_hoplimit);
		break;
	case ND_ERR_CODE:
		CNT(s, nd_rx_bad_code);
		break;
	case ND_ERR_SHORT:
		CNT(s, nd_rx_short);
		break;
	case ND_ERR_OPTION:
		CNT(s, nd_rx_bad_option);
		break;
	default:
		CNT(s, nd_rx_invalid);
		break;
	}
}

/**
 * nd_input() - handle one Neighbor Discovery message
 * @s: the stack
 * @msg: the ICMPv6 message (checksum verified)
 * @len: its length
 * @rx: what IPv6 learned about the datagram
 */
void nd_input(struct stack *s, const uint8_t *msg, size_t len,
	      const struct ip_rx *rx)
{
	struct nd_msg m;
	int rc = nd_parse(msg, len, &rx->src, &rx->dst, rx->ttl, &m);

	if (rc) {
		nd_count_err(s, rc);
		return;
	}
	/*
	 * A link-layer address option with our MAC or the zero MAC is a
	 * forgery or a loop, as ARP's sender (arp.c): learning it would send
	 * the neighbour's traffic to ourselves or to nobody.
	 */
	if ((m.has_slla && nd_bad_lladdr(s, m.slla)) ||
	    (m.has_tlla && nd_bad_lladdr(s, m.tlla))) {
		CNT(s, nd_rx_bad_lladdr);
		return;
	}
	switch (m.type) {
	case ND_ROUTER_SOLICIT:
		CNT(s, nd_rx_rs);       /* for routers; a host ignores it */
		break;
	case ND_ROUTER_ADVERT:
		nd_router_advert(s, &m, rx);
		break;
	case ND_NEIGHBOR_SOLICIT:
		nd_neighbor_solicit(s, &m, rx);
		break;
	case ND_NEIGHBOR_ADVERT:
		nd_neighbor_advert(s, &m, rx);
		break;
	case ND_REDIRECT:
		nd_redirect(s, &m, rx);
		break;
	}
}
