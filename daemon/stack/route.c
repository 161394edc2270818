/* SPDX-License-Identifier: MIT */
/*
 * route.c - the IPv4 routing table
 *
 * A bounded table (STACK_MAX_ROUTES) searched for the longest matching
 * prefix, ties broken by the lower metric. Each address brings its
 * connected route; the configured gateway is the default route, and it
 * must be on a connected subnet, as Linux requires. Before the table
 * comes the loopback's fixed route, 127.0.0.0/8 (Linux's local table):
 * routes into that block cannot be added or removed.
 */
#include <string.h>

#include "stack_impl.h"

/**
 * route_lookup() - the route for @dst
 * @s: the stack
 * @dst: destination address
 *
 * Return: the best route, or NULL if none matches
 */
const struct route *route_lookup(const struct stack *s, uint32_t dst)
{
	const struct route *best = NULL;

	if (ipv4_is_loopback(dst))
		return &s->lo_route;
	for (unsigned i = 0; i < s->nroutes; i++) {
		const struct route *r = &s->routes[i];

		if ((dst & ipv4_mask(r->prefix)) != r->dst)
			continue;
		if (!best || r->prefix > best->prefix ||
		    (r->prefix == best->prefix && r->metric < best->metric))
			best = r;
	}
	return best;
}

/**
 * route_source() - the source address for a datagram sent along @r
 * @s: the stack
 * @r: the route
 * @dst: destination address
 *
 * Return: for 127/8, 127.0.0.1; for another of our addresses, itself (as
 * Linux's local routes say); else the interface address on the subnet of
 * the next hop, or its first address
 */
uint32_t route_source(const struct stack *s, const struct route *r,
		      uint32_t dst)
{
	const struct netif *nif = &s->nif;
	uint32_t hop = r->gateway ? r->gateway : dst;

	if (r->ifindex == STACK_IF_LOOPBACK)
		return s->lo.addr[0].addr;
	if (netif_has_addr(nif, dst))
		return dst;

	for (unsigned i = 0; i < nif->naddr; i++) {
		uint32_t mask = ipv4_mask(nif->addr[i].prefix);

		if ((nif->addr[i].addr & mask) == (hop & mask))
			return nif->addr[i].addr;
	}
	return nif->naddr ? nif->addr[0].addr : 0;
}

/* A gateway must be a neighbour on the link (not 127/8, not via another) */
static bool route_on_link(const struct stack *s, uint32_t addr)
{
	const struct route *r = route_lookup(s, addr);

	return r && !r->gateway && r->ifindex == STACK_IF_LINK;
}

/**
 * stack_route_add() - add a route
 * @s: the stack
 * @dst: destination network (host bits must be zero)
 * @prefix: prefix length, 0..32
 * @gateway: next hop, 0 for a directly connected destination
 * @metric: preference among equal prefixes, lower wins
 *
 * Return: 0, -EINVAL (bad prefix or host bits, or inside 127/8, the
 * loopback's), -ENETUNREACH (gateway not on a connected subnet), -EEXIST,
 * -ENOSPC (table full)
 */
int stack_route_add(struct stack *s, uint32_t dst, unsigned prefix,
		    uint32_t gateway, uint32_t metric)
{
	struct route *r;

	if (prefix > 32 || (dst & ~ipv4_mask(prefix)) ||
	    (prefix >= 8 && ipv4_is_loopback(dst)))
		return -EINVAL;
	if (gateway && !route_on_link(s, gateway))
		return -ENETUNREACH;
	for (unsigned i = 0; i < s->nroutes; i++)
		if (s->routes[i].dst == dst && s->routes[i].prefix == prefix &&
		    s->routes[i].metric == metric)
			return -EEXIST;
	if (s->nroutes == STACK_MAX_ROUTES)
		return -ENOSPC;
	r = &s->routes[s->nroutes++];
	r->dst = dst;
	r->prefix = (uint8_t)prefix;
	r->gateway = gateway;
	r->metric = metric;
	r->ifindex = 1;
	return 0;
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
int stack_route_del(struct stack *s, uint32_t dst, unsigned prefix)
{
	int found = 0;

	if (prefix >= 8 && prefix <= 32 && ipv4_is_loopback(dst))
		return -EINVAL;

	for (unsigned i = 0; i < s->nroutes;) {
		if (s->routes[i].dst == dst && s->routes[i].prefix == prefix) {
			s->routes[i] = s->routes[--s->nroutes];
			found = 1;
		} else {
			i++;
		}
	}
	return found ? 0 : -ESRCH;
}

/**
 * stack_route_list() - the routes, for inspection: the loopback's first,
 * then the routing table
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
	for (unsigned i = start; i < s->nroutes + 1 && i - start < max; i++) {
		const struct route *r = i ? &s->routes[i - 1] : &s->lo_route;

		out[i - start].dst = r->dst;
		out[i - start].prefix = r->prefix;
		out[i - start].gateway = r->gateway;
		out[i - start].metric = r->metric;
		out[i - start].ifindex = r->ifindex;
	}
	return s->nroutes + 1;
}

/* Drop routes whose gateway is no longer on a connected subnet (as Linux). */
static void route_prune_gateways(struct stack *s)
{
	for (unsigned i = 0; i < s->nroutes;) {
		if (s->routes[i].gateway && !route_on_link(s, s->routes[i].gateway))
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
	rc = stack_route_add(s, addr & mask, prefix, 0, 0);
	if (rc && rc != -EEXIST)
		return rc;
	nif->addr[nif->naddr].addr = addr;
	nif->addr[nif->naddr++].prefix = (uint8_t)prefix;
	s->cfg.naddr = nif->naddr;
	memcpy(s->cfg.addr, nif->addr, sizeof(nif->addr));
	arp_announce_one(s, nif, addr);
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
		for (i = 0; i < s->nroutes; i++)
			if (s->routes[i].dst == (addr & mask) &&
			    s->routes[i].prefix == prefix && !s->routes[i].gateway) {
				s->routes[i] = s->routes[--s->nroutes];
				break;
			}
		route_prune_gateways(s);
	}
	s->cfg.naddr = nif->naddr;
	memcpy(s->cfg.addr, nif->addr, sizeof(nif->addr));
	return 0;
}

/**
 * stack_addr_list() - our addresses, with their interface: the loopback's,
 * then the link's
 * @s: the stack
 * @out: filled with up to @max addresses
 * @max: room in @out
 *
 * Return: the number of addresses
 */
unsigned stack_addr_list(const struct stack *s, struct stack_ifaddr *out,
			 unsigned max)
{
	const struct netif *ifs[2] = { &s->lo, &s->nif };
	unsigned n = 0;

	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < ifs[k]->naddr; i++, n++)
			if (n < max)
				out[n] = (struct stack_ifaddr){
					.addr = ifs[k]->addr[i].addr,
					.prefix = ifs[k]->addr[i].prefix,
					.ifindex = ifs[k]->index };
	return n;
}
