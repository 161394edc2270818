/* SPDX-License-Identifier: MIT */
/*
 * fuzz_util.h - what the engine's fuzzers share: the engine's random
 * bytes (xorshift64*, the same for every run of an input) and a UDP
 * datagram to the engine as a frame (Ethernet, IPv4 with its checksum,
 * UDP without one)
 */
#ifndef USTACK_FUZZ_UTIL_H
#define USTACK_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "eth.h"
#include "ipv4.h"
#include "stack.h"
#include "udp.h"

/* @len bytes from the xorshift64* state @rng */
static inline void fuzz_random_bytes(uint64_t *rng, void *buf, size_t len)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		*rng ^= *rng >> 12;
		*rng ^= *rng << 25;
		*rng ^= *rng >> 27;
		b[i] = (uint8_t)((*rng * 0x2545f4914f6cdd1dull) >> 56);
	}
}

/* Give the engine a UDP datagram of @len bytes (at most 1472: no more) */
static inline void fuzz_udp4_input(struct stack *s, uint64_t now,
				   const uint8_t *dmac, const uint8_t *smac,
				   uint32_t src, uint16_t sport, uint32_t dst,
				   uint16_t dport, uint8_t ttl,
				   const uint8_t *msg, size_t len)
{
	static uint8_t fr[ETH_HLEN + 1500];
	struct ipv4_hdr h = { .ttl = ttl, .proto = IP_PROTO_UDP,
			      .src = src, .dst = dst };
	uint8_t *ip = fr + ETH_HLEN, *u = ip + IPV4_HLEN;
	size_t n = IPV4_HLEN + UDP_HLEN + len;

	if (n > 1500)
		return;
	memcpy(fr, dmac, ETH_ALEN);
	memcpy(fr + 6, smac, ETH_ALEN);
	put16(fr + 12, ETH_P_IP);
	h.total_len = (uint16_t)n;
	ipv4_build(ip, &h);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(UDP_HLEN + len));
	put16(u + 6, 0);
	memcpy(u + UDP_HLEN, msg, len);
	stack_input_copy(s, STACK_IF_LINK, fr, ETH_HLEN + n, now);
}

#endif
