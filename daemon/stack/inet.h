/* SPDX-License-Identifier: MIT */
/*
 * inet.h - byte order at the edges, the Internet checksum, address helpers
 *
 * Wire formats are read and written only through the get/put helpers here,
 * so that every struct inside the engine holds host byte order values.
 */
#ifndef USTACK_INET_H
#define USTACK_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t inet_sum(const void *data, size_t len, uint32_t sum);
uint16_t inet_fold(uint32_t sum);
uint16_t inet_cksum(const void *data, size_t len);
uint64_t inet_siphash(const uint64_t key[2], const void *data, size_t len);
uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
			 uint16_t len);

/* IPv4 addresses are host-order uint32_t inside the engine. */
#define IPV4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define IPV4_BROADCAST 0xffffffffu

static inline uint32_t ipv4_mask(unsigned prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

static inline bool ipv4_is_multicast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

static inline bool ipv4_is_loopback(uint32_t a)
{
	return (a >> 24) == 127;
}

/* "a.b.c.d" into @buf (at least 16 bytes). Return: @buf */
char *ipv4_ntop(uint32_t addr, char *buf);
/* Parse "a.b.c.d". Return: 0, or -1 if malformed */
int ipv4_pton(const char *s, uint32_t *addr);

#define ETH_ALEN 6
/* "xx:xx:xx:xx:xx:xx" into @buf (at least 18 bytes). Return: @buf */
char *mac_ntop(const uint8_t *mac, char *buf);
/* Parse "xx:xx:xx:xx:xx:xx". Return: 0, or -1 if malformed */
int mac_pton(const char *s, uint8_t *mac);
int hex_digit(char c);

#endif
