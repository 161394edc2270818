/* SPDX-License-Identifier: MIT */
/* reass.h - reassembly of IPv4 and IPv6 fragments: see reass.c */
#ifndef USTACK_REASS_H
#define USTACK_REASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"
#include "pbuf.h"
#include "timer.h"

#define REASS_MAX_HDR 256       /* IPv6 unfragmentable part we keep at most */

/* One fragment as its network layer read it. */
struct reass_frag {
	struct ip_addr src, dst;        /* the family says whose rules apply */
	uint32_t id;                    /* IPv4: 16 bits; IPv6: 32 */
	uint8_t proto;                  /* IPv4: part of the key */
	uint32_t off, len;              /* payload offset and length, bytes */
	bool more;                      /* MF / M */
	uint16_t hlen;                  /* bytes before the payload */
	/* IPv6: the unfragmentable part is @unfrag bytes; the Next Header
	 * field at @nh_off must name @next once the Fragment header goes */
	uint16_t unfrag, nh_off;
	uint8_t next;
};

struct reass {
	struct reass *next;
	struct stack *s;
	struct ip_addr src, dst;
	uint32_t id;
	uint8_t proto;
	uint16_t hlen;          /* of the first fragment's header; 0 if unseen */
	uint16_t nh_off;        /* IPv6: see struct reass_frag */
	uint8_t nh;
	uint8_t hdr[REASS_MAX_HDR];
	uint32_t total;         /* payload bytes; 0 until the last fragment */
	uint32_t received;      /* payload bytes held */
	size_t bytes;           /* memory charged */
	struct pbuf *frags;     /* sorted by offset; stamp = off << 32 | len */
	struct timer timer;
};

struct reass_table {
	struct reass *head;
	unsigned count;
	size_t bytes;
};

struct stack;
struct pbuf *reass_input(struct stack *s, struct pbuf *p,
			 const struct reass_frag *f);
void reass_fini(struct stack *s);

#endif
