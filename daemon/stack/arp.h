/* SPDX-License-Identifier: MIT */
/* arp.h - ARP (RFC 826) for IPv4 over Ethernet: see arp.c */
#ifndef USTACK_ARP_H
#define USTACK_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"
#include "pbuf.h"
#include "timer.h"

#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[ETH_ALEN];
	uint32_t spa;
	uint8_t tha[ETH_ALEN];
	uint32_t tpa;
};

enum arp_state {
	ARP_FREE,        /* slot unused */
	ARP_INCOMPLETE,  /* request sent, packets may be waiting */
	ARP_REACHABLE,   /* answer known; trusted until it is arp_max_age old */
};

struct stack;

struct arp_entry {
	enum arp_state state;
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	bool refreshing;         /* a unicast re-request is out */
	unsigned ifindex;
	unsigned tries;          /* requests sent while INCOMPLETE */
	uint64_t confirmed;      /* when the mapping was last heard */
	uint64_t created;
	struct pbuf *q_head, *q_tail;
	unsigned qlen;
	int chain;               /* next slot in the hash bucket, -1 ends */
	struct timer retry;
	struct stack *s;
};

struct arp_table {
	struct arp_entry *e;
	unsigned cap, used;
	int *bucket;
	unsigned nbuckets;       /* power of two */
};

struct netif;

int arp_parse(const uint8_t *buf, size_t len, struct arp_pkt *a);
void arp_build(uint8_t *buf, const struct arp_pkt *a);

int arp_init(struct stack *s);
void arp_fini(struct stack *s);
void arp_input(struct stack *s, struct netif *nif, struct pbuf *p);
int arp_output(struct stack *s, struct netif *nif, uint32_t nexthop,
	       struct pbuf *p);
void arp_announce(struct stack *s, struct netif *nif);
void arp_announce_one(struct stack *s, struct netif *nif, uint32_t addr);
const struct arp_entry *arp_find(struct stack *s, uint32_t ip);

#endif
