/* SPDX-License-Identifier: MIT */
/* eth.h - Ethernet II framing */
#ifndef USTACK_ETH_H
#define USTACK_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"
#include "pbuf.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_IPV6 0x86dd

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;
};

extern const uint8_t eth_broadcast[ETH_ALEN];

static inline bool eth_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

int eth_parse(const uint8_t *buf, size_t len, struct eth_hdr *h);
void eth_build(uint8_t *buf, const struct eth_hdr *h);

struct stack;
struct netif;
void eth_input(struct stack *s, struct netif *nif, struct pbuf *p);
int eth_uso_flush(struct stack *s, struct netif *nif);
int eth_output(struct stack *s, struct netif *nif, const uint8_t *dst,
	       uint16_t type, struct pbuf *p);

#endif
