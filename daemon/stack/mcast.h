/* SPDX-License-Identifier: MIT */
/*
 * mcast.h - a datagram socket's multicast memberships (mcast.c), over
 * the interface's groups (IGMP: igmp.c; MLD: mld.c)
 */
#ifndef USTACK_MCAST_H
#define USTACK_MCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "ip.h"

#define MC_MAX_MEMBERSHIPS 20   /* a socket's (igmp_max_memberships) */
#define MC_MAX_SOURCES 10       /* a membership's (igmp_max_msf) */

/* One group a socket joined on one interface (Linux's ip_mc_socklist) */
struct mc_member {
	struct mc_member *next;
	struct ip_addr group;
	unsigned ifindex;               /* STACK_IF_LINK */
	bool include;                   /* source-specific: INCLUDE (src),
					 * else any source (EXCLUDE {}) */
	uint8_t nsrc;
	struct ip_addr src[MC_MAX_SOURCES];
};

struct dgram;

int mcast_join(struct dgram *dg, const struct ip_addr *group,
	       unsigned ifindex, uint64_t now);
int mcast_leave(struct dgram *dg, const struct ip_addr *group,
		unsigned ifindex, uint64_t now);
int mcast_source(struct dgram *dg, const struct ip_addr *group,
		 unsigned ifindex, const struct ip_addr *src, bool add,
		 uint64_t now);
bool mcast_allow(const struct dgram *dg, const struct ip_rx *rx);
void mcast_drop_all(struct dgram *dg);
const struct mc_member *mcast_members(const struct dgram *dg);
struct stack;
int mcast_find_dev(const struct stack *s, unsigned ifindex, uint32_t addr);
void mcast_set_if(struct dgram *dg, unsigned ifindex, uint32_t addr);
uint32_t mcast_if_addr(const struct dgram *dg);

#endif
