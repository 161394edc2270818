/* SPDX-License-Identifier: MIT */
/*
 * route.c - the routing table, both families in one
 *
 * A bounded table (STACK_MAX_ROUTES) searched for the longest prefix of
 * the destination's family, ties broken by the lower metric. Each address
 * brings its connected route (IPv6: the on-link prefixes router
 * advertisements announce, too); the configured gateways and the default
 * routers advertised are default routes. An IPv4 gateway, or a global IPv6
 * one, must be on a connected subnet of the link, as Linux requires; an
 * IPv6 link-local gateway is on the link by definition. Before the table
 * come the loopback's fixed routes, 127.0.0.0/8 and ::1/128 (Linux's local
 * table): routes into them cannot be added or removed.
 */
#include <string.h>

#include "mdns.h"
#include "stack_impl.h"

/**
 * route_find() - the route for @dst
 * @s: the stack
 * @dst: destination address
 *
 * Return: the best route, or NULL if none matches
 */
const struct route *route_find(const struct stack *s,
			       const struct ip_addr *dst)
{
	const struct route *best = NULL;

	if (ip_addr_is_loopback(dst))
		return ip_is_v4(dst) ? &s->lo_route : &s->lo_route6;

	for (unsigned i = 0; i < s->nroutes; i++) {
		const struct route *r = &s->routes[i];

		if (!ip_prefix_match(dst, &r->dst, r->prefix))
			continue;
		if (!best || r->prefix > best->prefix ||
		    (r->prefix == best->prefix && r->metric < best->metric))
			best = r;
	}
	return best;
}

/**
 * route_nexthop() - the neighbour a datagram to @dst goes to along @r
 * @r: the route
 * @dst: destination address
 *
 * Return: the gateway, or @dst itself on a connected network
 */
struct ip_addr route_nexthop(const struct route *r, const struct ip_addr *dst)
{
	return route_has_gateway(r) ? r->gateway : *dst;
}

/* IPv4: the interface address on the subnet of the next hop, or the first */
static uint32_t route_source4(const struct stack *s, const struct route *r,
			      uint32_t dst)
{
	const struct netif *nif = &s->nif;
	uint32_t hop = route_has_gateway(r) ? r->gateway.v4 : dst;

	if (r->ifindex == STACK_IF_LOOPBACK)
		return s->lo.addr[0].addr;
	if (netif_has_addr(nif, dst))
		return dst;             /* as Linux's local routes say */
	for (unsigned i = 0; i < nif->naddr; i++) {
		uint32_t mask = ipv4_mask(nif->addr[i].prefix);

		if ((nif->addr[i].addr & mask) == (hop & mask))
			return nif->addr[i].addr;
	}
	return nif->naddr ? nif->addr[0].addr : 0;
}

/**
 * route_src() - the source address for a datagram to @dst along @r
 * @s: the stack
 * @r: the route
 * @dst: destination address
 * @src: set to the source
 *
 * IPv4: the address on the next hop's subnet; IPv6: RFC 6724 section 5's
 * choice among our usable addresses (addrconf.c).
 *
 * Return: 0, or -EADDRNOTAVAIL when we have no address to send from
 */
int route_src(const struct stack *s, const struct route *r,
	      const struct ip_addr *dst, struct ip_addr *src)
{
	if (ip_is_v6(dst)) {
		if (r->ifindex == STACK_IF_LOOPBACK) {
			*src = *dst;    /* ::1 */
			return 0;
		}
		return addrconf_select_source(s, dst, src);
	}
	*src = ip4(route_source4(s, r, dst->v4));
	return src->v4 ? 0 : -EADDRNOTAVAIL;
}

/* A gateway must be a neighbour on the link (not the loopback's, not via
 * another router) */
static bool route_on_link(const struct stack *s, const struct ip_addr *addr)
{
	const struct route *r;

	if (ip_is_v6(addr) && ip_addr_is_linklocal(addr))
		return true;
	r = route_find(s, addr);
	return r && !route_has_gateway(r) && r->ifindex == STACK_IF_LINK;
}

/* Inside the loopback's block (127/8 with a prefix of 8 or more, ::1)? */
static bool route_is_loopback(const struct ip_addr *dst, unsigned prefix)
{
	if (ip_is_v4(dst))
		return prefix >= 8 && prefix <= 32 && ipv4_is_loopback(dst->v4);
	return prefix == 128 && ip_addr_is_loopback(dst);
}

/* Host bits set beyond @prefix? */
static bool route_host_bits(const struct ip_addr *dst, unsigned prefix)
{
	struct ip_addr net = *dst;

	if (dst->family == IP_V4)
		return prefix > 32 || (dst->v4 & ~ipv4_mask(prefix));
	if (prefix > 128)
		return true;
	for (unsigned i = prefix; i < 128; i++)
		if (net.v6[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

/**
 * route_insert() - add a route of any origin
 * @s: the stack
 * @tmpl: the route (dst, prefix, gateway, metric, origin, ifindex)
 *
 * Return: 0, -EINVAL (bad prefix, host bits, families that differ, inside
 * the loopback's block), -ENETUNREACH (gateway not on a connected network
 * of the link), -EEXIST, -ENOSPC
 */
int route_insert(struct stack *s, const struct route *tmpl)
{
	if ((tmpl->dst.family != IP_V4 && tmpl->dst.family != IP_V6) ||
	    route_host_bits(&tmpl->dst, tmpl->prefix) ||
	    route_is_loopback(&tmpl->dst, tmpl->prefix))
		return -EINVAL;
	if (route_has_gateway(tmpl)) {
		if (tmpl->gateway.family != tmpl->dst.family ||
		    ip_addr_is_any(&tmpl->gateway) ||
		    ip_addr_is_multicast(&tmpl->gateway))
			return -EINVAL;
		if (!route_on_link(s, &tmpl->gateway))
			return -ENETUNREACH;
	}
	for (unsigned i = 0; i < s->nroutes; i++)
		if (ip_addr_eq(&s->routes[i].dst, &tmpl->dst) &&
		    s->routes[i].prefix == tmpl->prefix &&
		    s->routes[i].metric == tmpl->metric)
			return -EEXIST;
	if (s->nroutes == STACK_MAX_ROUTES)
		return -ENOSPC;
	s->routes[s->nroutes] = *tmpl;
	if (!s->routes[s->nroutes].ifindex)
		s->routes[s->nroutes].ifindex = STACK_IF_LINK;
	s->nroutes++;
	return 0;
}

/**
 * route_remove() - remove the routes to @dst/@prefix
 * @s: the stack
 * @dst: destination network
 * @prefix: prefix length
 * @origin: only routes of this enum route_origin, or -1 for any
 *
 * Return: 0, or -ESRCH if there is none (as Linux answers)
 */
int route_remove(struct stack *s, const struct ip_addr *dst, unsigned prefix,
		 int origin)
{
	int found = 0;

	for (unsigned i = 0; i < s->nroutes;) {
		const struct route *r = &s->routes[i];

		if (ip_addr_eq(&r->dst, dst) && r->prefix == prefix &&
		    (origin < 0 || r->origin == origin)) {
			s->routes[i] = s->routes[--s->nroutes];
			found = 1;
		} else {
			i++;
		}
	}
	return found ? 0 : -ESRCH;
}

/**
 * stack_route_add() - add a static route
 * @s: the stack
 * @dst: destination network (host bits must be zero)
 * @prefix: prefix length
 * @gateway: next hop, or NULL (or family IP_NONE) for on link
 * @metric: preference among equal prefixes, lower wins
 *
 * Return: as route_insert()
 */
int stack_route_add(struct stack *s, const struct ip_addr *dst,
		    unsigned prefix, const struct ip_addr *gateway,
		    uint32_t metric)
{
	struct route r = { .dst = *dst, .prefix = (uint8_t)prefix,
			   .metric = metric, .origin = ROUTE_STATIC };

	if (gateway)
		r.gateway = *gateway;
	return route_insert(s, &r);
}

/**
 * stack_route_del() - remove the routes to @dst/@prefix
 * @s: the stack
 * @dst: destination network
 * @prefix: prefix length
 *
 * Return: 0, -EINVAL for the loopback's routes, or -ESRCH if there is none
 * (as Linux answers)
 */
int stack_route_del(struct stack *s, const struct ip_addr *dst,
		    unsigned prefix)
{
	if (route_is_loopback(dst, prefix))
		return -EINVAL;
	return route_remove(s, dst, prefix, -1);
}

/**
 * stack_route_list() - the routes, for inspection: the loopback's first
 * (::1 only with IPv6 on), then the routing table
 * @s: the stack
 * @start: index of the first route wanted
 * @out: filled with up to @max routes
 * @max: room in @out
 *
 * Return: the number of routes
 */
unsigned stack_route_list(const struct stack *s, unsigned start,
			  struct stack_route *out, unsigned max)
{
	const struct route *fixed[2] = { &s->lo_route, &s->lo_route6 };
	unsigned nfixed = s->nif.in6.enabled ? 2 : 1;

	for (unsigned i = start; i < s->nroutes + nfixed && i - start < max;
	     i++) {
		const struct route *r = i < nfixed ? fixed[i] :
				       &s->routes[i - nfixed];

		out[i - start].dst = r->dst;
		out[i - start].prefix = r->prefix;
		out[i - start].origin = r->origin;
		out[i - start].gateway = r->gateway;
		out[i - start].metric = r->metric;
		out[i - start].ifindex = r->ifindex;
	}
	return s->nroutes + nfixed;
}

/* Drop routes whose gateway is no longer on a connected network (as Linux). */
static void route_prune_gateways(struct stack *s)
{
	for (unsigned i = 0; i < s->nroutes;) {
		const struct route *r = &s->routes[i];

		if (route_has_gateway(r) && !route_on_link(s, &r->gateway))
			s->routes[i] = s->routes[--s->nroutes];
		else
			i++;
	}
}

/**
 * stack_addr_add() - give the interface another address
 * @s: the stack
 * @addr: the address
 * @prefix: its prefix length
 * @now: current time
 *
 * Adds the connected route and announces the address (gratuitous ARP).
 *
 * Return: 0, -EINVAL, -EEXIST (already ours), -ENOSPC (8 already)
 */
int stack_addr_add(struct stack *s, uint32_t addr, unsigned prefix,
		   uint64_t now)
{
	struct netif *nif = &s->nif;
	uint32_t mask = ipv4_mask(prefix);
	int rc;

	s->now = now;
	if (prefix > 32 || addr == 0 || ipv4_is_multicast(addr) ||
	    ipv4_is_loopback(addr) || addr >> 28 == 0xf)
		return -EINVAL;
	if (stack_is_local_addr(s, addr))
		return -EEXIST;
	if (nif->naddr == STACK_MAX_ADDRS)
		return -ENOSPC;
	rc = route_insert(s, &(struct route){ .dst = ip4(addr & mask),
					      .prefix = (uint8_t)prefix,
					      .origin = ROUTE_CONNECTED });
	if (rc && rc != -EEXIST)
		return rc;
	nif->addr[nif->naddr].addr = addr;
	nif->addr[nif->naddr++].prefix = (uint8_t)prefix;
	s->cfg.naddr = nif->naddr;
	memcpy(s->cfg.addr, nif->addr, sizeof(nif->addr));
	arp_announce_one(s, nif, addr);
	mdns_addrs_changed(s);
	return 0;
}

/**
 * stack_addr_del() - take an address away
 * @s: the stack
 * @addr: the address
 * @prefix: its prefix length, as it was added
 *
 * Its connected route goes unless another address shares the subnet, and
 * with it the routes whose gateway is no longer reachable.
 *
 * Return: 0, or -EADDRNOTAVAIL if @addr/@prefix is not ours
 */
int stack_addr_del(struct stack *s, uint32_t addr, unsigned prefix)
{
	struct netif *nif = &s->nif;
	uint32_t mask = ipv4_mask(prefix);
	bool shared = false;
	unsigned i;

	for (i = 0; i < nif->naddr; i++)
		if (nif->addr[i].addr == addr && nif->addr[i].prefix == prefix)
			break;
	if (i == nif->naddr)
		return -EADDRNOTAVAIL;
	nif->addr[i] = nif->addr[--nif->naddr];
	for (i = 0; i < nif->naddr; i++)
		shared |= nif->addr[i].prefix == prefix &&
			  (nif->addr[i].addr & mask) == (addr & mask);
	if (!shared) {
		for (i = 0; i < s->nroutes; i++) {
			const struct route *r = &s->routes[i];

			if (ip_is_v4(&r->dst) && r->dst.v4 == (addr & mask) &&
			    r->prefix == prefix && !route_has_gateway(r)) {
				s->routes[i] = s->routes[--s->nroutes];
				break;
			}
		}
		route_prune_gateways(s);
	}
	s->cfg.naddr = nif->naddr;
	memcpy(s->cfg.addr, nif->addr, sizeof(nif->addr));
	mdns_addrs_changed(s);
	return 0;
}

/**
 * stack_addr_list() - our addresses, with their interface: the loopback's
 * (127.0.0.1, and ::1 with IPv6 on), then the link's, IPv4 then IPv6 with
 * their state, origin and lifetimes
 * @s: the stack
 * @now: current time
 * @out: filled with up to @max addresses
 * @max: room in @out
 *
 * Return: the number of addresses
 */
unsigned stack_addr_list(const struct stack *s, uint64_t now,
			 struct stack_ifaddr *out, unsigned max)
{
	static const uint8_t one[16] = { [15] = 1 };
	const struct netif *ifs[2] = { &s->lo, &s->nif };
	unsigned n = 0;

	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < ifs[k]->naddr; i++, n++) {
			bool leased = k == 1 && s->dhcp.bound &&
				      s->dhcp.lease.addr == ifs[k]->addr[i].addr;
			uint64_t left = !leased ||
					s->dhcp.lease.expiry == UINT64_MAX ?
					UINT64_MAX : s->dhcp.lease.expiry > now ?
					s->dhcp.lease.expiry - now : 0;

			if (n < max)
				out[n] = (struct stack_ifaddr){
					.addr = ip4(ifs[k]->addr[i].addr),
					.prefix = ifs[k]->addr[i].prefix,
					.ifindex = ifs[k]->index,
					.state = IFA6_PREFERRED,
					.origin = leased ? IFA6_DHCP : IFA6_STATIC,
					.preferred_left = left,
					.valid_left = left };
		}
		if (!s->nif.in6.enabled)
			continue;
		if (k == 0) {
			if (n < max)
				out[n] = (struct stack_ifaddr){
					.addr = ip6(one), .prefix = 128,
					.ifindex = STACK_IF_LOOPBACK,
					.state = IFA6_PREFERRED,
					.origin = IFA6_STATIC,
					.preferred_left = UINT64_MAX,
					.valid_left = UINT64_MAX };
			n++;
			continue;
		}
		for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
			const struct ifaddr6 *a = &s->nif.in6.addr[i];

			if (a->state == IFA6_FREE)
				continue;
			if (n < max)
				out[n] = (struct stack_ifaddr){
					.addr = ip6(a->addr), .prefix = a->prefix,
					.ifindex = STACK_IF_LINK,
					.state = a->state, .origin = a->origin,
					.preferred_left = a->preferred_until ==
						UINT64_MAX ? UINT64_MAX :
						a->preferred_until > now ?
						a->preferred_until - now : 0,
					.valid_left = a->valid_until ==
						UINT64_MAX ? UINT64_MAX :
						a->valid_until > now ?
						a->valid_until - now : 0 };
			n++;
		}
	}
	return n;
}

/**
 * stack_addr6_add() - a static IPv6 address (and its prefix on link)
 * @s: the stack
 * @addr: the address
 * @prefix: its prefix length
 * @now: current time
 *
 * Return: as addrconf_add(): 0, -EINVAL, -EEXIST, -ENOSPC, -ENETDOWN
 */
int stack_addr6_add(struct stack *s, const uint8_t addr[16], unsigned prefix,
		    uint64_t now)
{
	s->now = now;
	return addrconf_add(s, addr, prefix, IFA6_STATIC, UINT32_MAX,
			    UINT32_MAX);
}

/**
 * stack_addr6_del() - take an IPv6 address away
 * @s: the stack
 * @addr: the address
 * @prefix: its prefix length, as it was added
 * @now: current time
 *
 * Return: 0, or -EADDRNOTAVAIL
 */
int stack_addr6_del(struct stack *s, const uint8_t addr[16], unsigned prefix,
		    uint64_t now)
{
	s->now = now;
	return addrconf_del(s, addr, prefix);
}
