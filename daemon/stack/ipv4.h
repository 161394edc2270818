/* SPDX-License-Identifier: MIT */
/* ipv4.h - IPv4 (RFC 791, RFC 1122): see ipv4.c and reass.c */
#ifndef USTACK_IPV4_H
#define USTACK_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pbuf.h"
#include "timer.h"

#define IPV4_HLEN 20
#define IPV4_MAX_HLEN 60
#define IPV4_MAX_LEN 65535
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_FLAG_DF 0x4000
#define IP_FLAG_MF 0x2000
#define IP_OFFMASK 0x1fff

struct ipv4_hdr {
	uint8_t hlen;           /* header length in bytes */
	uint8_t tos;
	uint16_t total_len;
	uint16_t id;
	uint16_t frag;          /* flags and offset (in 8-byte units) */
	uint8_t ttl;
	uint8_t proto;
	uint16_t cksum;
	uint32_t src, dst;
};

/* Why ipv4_parse() refused a header: each maps to one counter. */
enum ipv4_err {
	IPV4_OK = 0,
	IPV4_ERR_SHORT = 1,
	IPV4_ERR_VERSION,
	IPV4_ERR_HLEN,
	IPV4_ERR_LEN,
	IPV4_ERR_CKSUM,
	IPV4_ERR_OPTIONS,
};

static inline unsigned ipv4_frag_off(const struct ipv4_hdr *h)
{
	return (h->frag & IP_OFFMASK) * 8u;
}

static inline bool ipv4_is_fragment(const struct ipv4_hdr *h)
{
	return (h->frag & (IP_FLAG_MF | IP_OFFMASK)) != 0;
}

int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_hdr *h);
void ipv4_build(uint8_t *buf, const struct ipv4_hdr *h);

struct stack;
struct netif;
struct ip_tx;
void ipv4_input(struct stack *s, struct netif *nif, struct pbuf *p,
		bool l2_bcast, const uint8_t *l2_src);
int ipv4_output(struct stack *s, struct pbuf *p, const struct ip_tx *tx);

#include "reass.h"

#endif
