/* SPDX-License-Identifier: MIT */
/* inet.c - the Internet checksum (RFC 1071) and address text forms */
#include "inet.h"

#include <stdio.h>
#include <string.h>

/**
 * inet_sum() - add @data to a one's complement running sum
 * @data: bytes, in network order
 * @len: their count; an odd last byte is padded with zero
 * @sum: the sum so far
 *
 * Return: the unfolded sum
 */
uint32_t inet_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	while (len >= 8) {
		acc += (uint64_t)get32(p) + get32(p + 4);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		acc += get16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/**
 * inet_fold() - fold a running sum into the 16-bit checksum field value
 * @sum: unfolded sum
 *
 * Return: the one's complement of the folded sum, host order
 */
uint16_t inet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * inet_cksum() - the Internet checksum of @data
 * @data: bytes
 * @len: their count
 *
 * Return: checksum, host order; 0 when verifying a block that includes it
 */
uint16_t inet_cksum(const void *data, size_t len)
{
	return inet_fold(inet_sum(data, len, 0));
}

/**
 * inet_pseudo_sum() - running sum of the IPv4 pseudo-header (RFC 793 3.1)
 * @src: source address
 * @dst: destination address
 * @proto: IP protocol number
 * @len: transport header plus payload length
 *
 * Return: unfolded sum to pass on to inet_sum()
 */
uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
			 uint16_t len)
{
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) +
		       (dst & 0xffff) + proto + len;

	return sum;
}

char *ipv4_ntop(uint32_t addr, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}

/**
 * ipv4_pton() - parse dotted-quad "a.b.c.d", four decimal numbers 0..255
 * @s: the text
 * @addr: set to the address, host order, only on success
 *
 * A number with a leading zero ("010") is refused, as inet_pton(3) does:
 * inet_aton(3) reads it as octal, so accepting it as decimal would make
 * one string name two addresses depending on who parses it.
 *
 * Return: 0, or -1 if malformed
 */
int ipv4_pton(const char *s, uint32_t *addr)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		while (*s >= '0' && *s <= '9') {
			if (digits && v == 0)
				return -1;
			v = v * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return -1;
		}
		if (!digits)
			return -1;
		a = a << 8 | v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	if (*s)
		return -1;
	*addr = a;
	return 0;
}

char *mac_ntop(const uint8_t *mac, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/* Return: the value of the hexadecimal digit @c, -1 if it is none */
int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * mac_pton() - parse "xx:xx:xx:xx:xx:xx", hex digits in either case
 * @s: the text
 * @mac: ETH_ALEN bytes, written as parsed (undefined on failure)
 *
 * The second digit of a pair is read only after the first proved to be a
 * digit, so that a string ending early is never read past its NUL.
 *
 * Return: 0, or -1 if malformed
 */
int mac_pton(const char *s, uint8_t *mac)
{
	for (int i = 0; i < ETH_ALEN; i++) {
		int hi = hex_digit(s[0]), lo;

		if (hi < 0)
			return -1;
		lo = hex_digit(s[1]);
		if (lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < ETH_ALEN - 1 && *s++ != ':')
			return -1;
	}
	return *s ? -1 : 0;
}

/* -- SipHash-2-4: TCP's ISNs and ports (RFC 6528, 6056), RFC 7217 IIDs -- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                          \
	do {                                                              \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/**
 * inet_siphash() - SipHash-2-4 of @data under @key
 * @key: 128-bit key
 * @data: bytes to hash
 * @len: their number
 *
 * Return: the 64-bit hash
 */
uint64_t inet_siphash(const uint64_t key[2], const void *data, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
	uint64_t v3 = 0x7465646279746573ull ^ key[1];
	const uint8_t *p = data;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
