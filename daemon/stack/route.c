/* SPDX-License-Identifier: MIT */
/*
 * route.c - the IPv4 routing table
 *
 * A bounded table (STACK_MAX_ROUTES) searched for the longest matching
 * prefix, ties broken by the lower metric. Each address brings its
 * connected route; the configured gateway is the default route, and it
 * must be on a connected subnet, as Linux requires.
 */
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
 * Return: the interface address on the subnet of the next hop, or its
 * first address
 */
uint32_t route_source(const struct stack *s, const struct route *r,
		      uint32_t dst)
{
	const struct netif *nif = &s->nif;
	uint32_t hop = r->gateway ? r->gateway : dst;

	for (unsigned i = 0; i < nif->naddr; i++) {
		uint32_t mask = ipv4_mask(nif->addr[i].prefix);

		if ((nif->addr[i].addr & mask) == (hop & mask))
			return nif->addr[i].addr;
	}
	return nif->naddr ? nif->addr[0].addr : 0;
}

static bool route_on_link(const struct stack *s, uint32_t addr)
{
	const struct route *r = route_lookup(s, addr);

	return r && !r->gateway;
}

/**
 * stack_route_add() - add a route
 * @s: the stack
 * @dst: destination network (host bits must be zero)
 * @prefix: prefix length, 0..32
 * @gateway: next hop, 0 for a directly connected destination
 * @metric: preference among equal prefixes, lower wins
 *
 * Return: 0, -EINVAL (bad prefix or host bits), -ENETUNREACH (gateway not
 * on a connected subnet), -EEXIST, -ENOSPC (table full)
 */
int stack_route_add(struct stack *s, uint32_t dst, unsigned prefix,
		    uint32_t gateway, uint32_t metric)
{
	struct route *r;

	if (prefix > 32 || (dst & ~ipv4_mask(prefix)))
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
 * Return: 0, or -ESRCH if there is none (as Linux answers)
 */
int stack_route_del(struct stack *s, uint32_t dst, unsigned prefix)
{
	int found = 0;

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
