/* SPDX-License-Identifier: MIT */
/* icmp.h - ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): see icmp.c */
#ifndef USTACK_ICMP_H
#define USTACK_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "pbuf.h"

#define ICMP_HLEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ICMP_EXT_ECHO 42          /* RFC 8335 */
#define ICMP_EXT_ECHO_REPLY 43

#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTO 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMP_TIMXCEED_TTL 0
#define ICMP_TIMXCEED_REASS 1

/* RFC 1812 4.3.2.3: an error quotes as much as fits in 576 bytes */
#define ICMP_ERR_MAX_LEN 576

struct icmp_hdr {
	uint8_t type, code;
	uint16_t cksum;
	uint32_t rest;          /* id/seq, unused, next-hop MTU... */
};

int icmp_parse(const uint8_t *buf, size_t len, struct icmp_hdr *h);
void icmp_build(uint8_t *buf, size_t len, const struct icmp_hdr *h);

struct stack;

void icmp_init(struct stack *s);
int icmp_send_error(struct stack *s, uint8_t type, uint8_t code,
		    uint32_t rest, const uint8_t *orig, size_t orig_len);
int icmp_ratelimit_allow(struct stack *s);

#endif
