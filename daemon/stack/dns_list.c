/* SPDX-License-Identifier: MIT */
/*
 * dns_list.c - the DNS configuration router advertisements gave (RFC 8106),
 * for ustackctl dns
 *
 * Theory of operation: nd.c records each RA's RDNSS servers and DNSSL
 * domains per interface with their lifetimes (lifetimes are checked when
 * read: an entry past its time is not shown, and the next RA replaces it).
 * This only reads them out, recursive servers first.
 */
#include <string.h>

#include "addrconf.h"
#include "stack.h"
#include "stack_impl.h"

/**
 * stack_dns_list() - the link's RDNSS servers, then its DNSSL domains
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
	unsigned n = 0;

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
	return n;
}
