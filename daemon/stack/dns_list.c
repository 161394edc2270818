/* SPDX-License-Identifier: MIT */
/*
 * dns_list.c - the DNS configuration router advertisements gave (RFC 8106),
 * for ustackctl dns
 *
 * Theory of operation: the configured servers come first (dns = ADDR);
 * nd.c records each RA's RDNSS servers and DNSSL
 * domains per interface with their lifetimes (lifetimes are checked when
 * read: an entry past its time is not shown, and the next RA replaces it).
 * This only reads them out, recursive servers first.
 */
#include <stdio.h>
#include <string.h>

#include "addrconf.h"
#include "stack.h"
#include "stack_impl.h"

/* What the DHCP lease gave (option 6 servers, option 15 domain), for its
 * time: after the router advertisements' */
static unsigned dns_list_dhcp(const struct stack *s, uint64_t now,
			      struct stack_dns *out, unsigned max, unsigned n)
{
	const struct dhcp_lease *l = &s->dhcp.lease;
	uint64_t left;

	if (!s->dhcp.bound)
		return n;
	left = l->expiry == UINT64_MAX ? UINT64_MAX :
	       l->expiry > now ? l->expiry - now : 0;
	for (unsigned i = 0; i <= l->ndns; i++) {
		struct stack_dns *d;

		if (i == l->ndns && !l->domain[0])
			break;
		if (n++ >= max)
			continue;
		d = &out[n - 1];
		memset(d, 0, sizeof(*d));
		d->ifindex = s->nif.index;
		d->left = left;
		if (i < l->ndns) {
			d->addr[10] = d->addr[11] = 0xff;  /* v4-mapped */
			put32(d->addr + 12, l->dns[i]);
		} else {
			d->search = true;
			snprintf(d->name, sizeof(d->name), "%s", l->domain);
		}
	}
	return n;
}

/* The configured servers (dns = ADDR), first and for good */
static unsigned dns_list_static(const struct stack *s, struct stack_dns *out,
				unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->cfg.ndns; i++, n++) {
		struct ip_addr m = ip_map(&s->cfg.dns[i]);

		if (n >= max)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].ifindex = s->nif.index;
		out[n].left = UINT64_MAX;
		memcpy(out[n].addr, m.v6, 16);
	}
	return n;
}

/**
 * stack_dns_list() - the configured servers, the link's RDNSS servers,
 * then its DNSSL domains
 * @s: the stack
 * @now: current time
 * @out: filled with up to @max entries
 * @max: room in @out
 *
 * Return: the number of live entries
 */
unsigned stack_dns_list(const struct stack *s, uint64_t now,
			struct stack_dns *out, unsigned max)
{
	const struct inet6_if *in6 = &s->nif.in6;
	unsigned n = dns_list_static(s, out, max);

	for (unsigned k = 0; k < 2; k++) {
		const struct nd_dns *tab = k ? in6->dnssl : in6->rdnss;
		unsigned cnt = k ? ND_MAX_DNSSL : ND_MAX_RDNSS;

		for (unsigned i = 0; i < cnt; i++) {
			struct stack_dns *d = &out[n];

			if (!tab[i].used || tab[i].until <= now)
				continue;
			if (n++ >= max)
				continue;
			memset(d, 0, sizeof(*d));
			d->ifindex = s->nif.index;
			d->search = k == 1;
			memcpy(d->addr, tab[i].addr, 16);
			memcpy(d->name, tab[i].name, sizeof(d->name) - 1);
			d->left = tab[i].until == UINT64_MAX ? UINT64_MAX :
				  tab[i].until - now;
		}
	}
	n = dns_list_dhcp(s, now, out, max, n);
	return n;
}
