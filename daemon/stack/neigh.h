/* SPDX-License-Identifier: MIT */
/*
 * neigh.h - the neighbour cache both families share (ARP for IPv4, Neighbor
 * Discovery for IPv6): see neigh.c
 */
#ifndef USTACK_NEIGH_H
#define USTACK_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"
#include "ip.h"
#include "pbuf.h"
#include "timer.h"

/* RFC 4861 7.3.2, the states Linux's neighbour layer also gives ARP */
enum neigh_state {
	NEIGH_FREE,             /* slot unused */
	NEIGH_INCOMPLETE,       /* soliciting; packets may be waiting */
	NEIGH_REACHABLE,        /* confirmed within ReachableTime */
	NEIGH_STALE,            /* not confirmed lately; used as is */
	NEIGH_DELAY,            /* used while stale: wait for a hint */
	NEIGH_PROBE,            /* unicast solicitations out */
};

struct stack;
struct netif;

struct neigh_entry {
	enum neigh_state state;
	struct ip_addr ip;
	uint8_t mac[ETH_ALEN];
	bool is_router;          /* ND: the neighbour says it is a router */
	unsigned ifindex;
	unsigned probes;         /* solicitations sent in this state */
	uint64_t confirmed;      /* reachability last confirmed */
	uint64_t updated;        /* state last changed */
	struct pbuf *q_head, *q_tail;
	unsigned qlen;
	size_t qbytes;           /* IP bytes waiting (the bound is in bytes) */
	int chain;               /* next slot in the hash bucket, -1 ends */
	struct timer timer;
	struct stack *s;
};

struct neigh_table {
	struct neigh_entry *e;
	unsigned cap, used;
	int *bucket;
	unsigned nbuckets;       /* power of two */
	uint32_t seed;
};

/* What differs between the families: how to ask (arp.c, nd.c) */
struct neigh_ops {
	uint16_t ethertype;
	/* solicit @e's address: unicast to @mac (a probe), or NULL for
	 * broadcast (ARP) or the solicited-node group (ND) */
	void (*solicit)(struct stack *s, struct neigh_entry *e,
			const uint8_t *mac);
	/* resolution failed: tell the senders of what waited (may be NULL) */
	void (*failed)(struct stack *s, const struct neigh_entry *e);
};

/* Timing of one family (RFC 4861 6.3.2, 10); ns */
struct neigh_params {
	uint64_t base_reachable;        /* BaseReachableTime */
	uint64_t reachable;             /* ReachableTime: base, randomized */
	uint64_t retrans;               /* RetransTimer */
	uint64_t delay_probe;           /* DELAY_FIRST_PROBE_TIME */
};

/* What neigh_update() learned, RFC 4861 7.2.5 */
#define NEIGH_F_SOLICITED 0x1u   /* an answer to us: reachability confirmed */
#define NEIGH_F_OVERRIDE 0x2u    /* the link-layer address replaces ours */
#define NEIGH_F_CREATE 0x4u      /* create the entry if there is none */
#define NEIGH_F_ROUTER 0x8u      /* ND: IsRouter is known ... */
#define NEIGH_F_IS_ROUTER 0x10u  /* ... and set */

int neigh_init(struct stack *s);
void neigh_fini(struct stack *s);
int neigh_output(struct stack *s, struct netif *nif,
		 const struct ip_addr *nexthop, struct pbuf *p);
struct neigh_entry *neigh_update(struct stack *s, struct netif *nif,
				 const struct ip_addr *ip, const uint8_t *mac,
				 unsigned flags);
void neigh_set_reachable(struct stack *s, uint8_t family, uint64_t base);
void neigh_confirm(struct stack *s, const struct ip_addr *ip);
const struct neigh_entry *neigh_find(struct stack *s,
				     const struct ip_addr *ip);
void neigh_flush(struct stack *s, const struct ip_addr *ip);
const char *neigh_state_name(enum neigh_state st);

#endif
