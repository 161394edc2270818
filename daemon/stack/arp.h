/* SPDX-License-Identifier: MIT */
/* arp.h - ARP (RFC 826) for IPv4 over Ethernet: see arp.c */
#ifndef USTACK_ARP_H
#define USTACK_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"
#include "pbuf.h"

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

struct stack;
struct netif;

int arp_parse(const uint8_t *buf, size_t len, struct arp_pkt *a);
void arp_build(uint8_t *buf, const struct arp_pkt *a);

void arp_init(struct stack *s);
void arp_input(struct stack *s, struct netif *nif, struct pbuf *p);
int arp_output(struct stack *s, struct netif *nif, uint32_t nexthop,
	       struct pbuf *p);
void arp_announce(struct stack *s, struct netif *nif);
void arp_probe(struct stack *s, struct netif *nif, uint32_t addr);
void arp_announce_one(struct stack *s, struct netif *nif, uint32_t addr);

#endif
