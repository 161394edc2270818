/* SPDX-License-Identifier: MIT */
/*
 * igmp.h - IGMPv3 (RFC 3376) for a host, with IGMPv1 (RFC 1112) and
 * IGMPv2 (RFC 2236) compatibility: wire formats and the interface's
 * groups. The protocol is in igmp.c; a socket's memberships in mcast.c.
 */
#ifndef USTACK_IGMP_H
#define USTACK_IGMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timer.h"

#define IP_PROTO_IGMP 2

#define IGMP_QUERY 0x11
#define IGMP_V1_REPORT 0x12
#define IGMP_V2_REPORT 0x16
#define IGMP_V2_LEAVE 0x17
#define IGMP_V3_REPORT 0x22

/* RFC 3376 4.2.12: group record types */
#define IGMP_MODE_IS_INCLUDE 1
#define IGMP_MODE_IS_EXCLUDE 2
#define IGMP_CHANGE_TO_INCLUDE 3
#define IGMP_CHANGE_TO_EXCLUDE 4
#define IGMP_ALLOW_NEW_SOURCES 5
#define IGMP_BLOCK_OLD_SOURCES 6

#define IGMP_ALL_HOSTS 0xe0000001u      /* 224.0.0.1 */
#define IGMP_ALL_ROUTERS 0xe0000002u    /* 224.0.0.2: v2 leaves */
#define IGMP_V3_ROUTERS 0xe0000016u     /* 224.0.0.22: v3 reports */

#define IGMP_MAX_GROUPS 64              /* the interface's groups */
#define IGMP_MAX_SOURCES 16             /* an INCLUDE group's sources */
#define IGMP_MIN_LEN 8

/* A query, as igmp_parse_query() read it (host order) */
struct igmp_query {
	uint8_t version;                /* 1, 2 or 3 (RFC 3376 7.1) */
	uint32_t group;                 /* 0: a general query */
	uint32_t max_resp_ms;           /* Maximum Response Time */
	uint8_t qrv;                    /* v3: the querier's robustness */
	unsigned nsrc;                  /* v3: sources asked about */
	const uint8_t *src;             /* ... nsrc * 4 bytes, network order */
};

int igmp_parse_query(const uint8_t *msg, size_t len, struct igmp_query *q);
size_t igmp_build_v12(uint8_t *buf, uint8_t type, uint32_t group);
size_t igmp_build_v3(uint8_t *buf, size_t cap, uint8_t record,
		     uint32_t group, const uint32_t *src, unsigned nsrc);
uint32_t igmp_decode_time(uint8_t code);

/* What the timer of a group sends when it fires */
enum igmp_pending {
	IGMP_PEND_CHANGE,               /* state change (RFC 3376 5.1) */
	IGMP_PEND_CURRENT,              /* answer to a general/group query */
	IGMP_PEND_SOURCES,              /* answer to a group-and-source query */
};

/*
 * A group the interface listens to: the union of its sockets'
 * memberships (RFC 3376 3.2), limited to what sockets can ask here: any
 * source (EXCLUDE {}) as soon as one asks it, else INCLUDE the sources
 * the source-specific members want.
 */
struct igmp_group {
	bool used;
	bool leaving;                   /* reporting a leave, then freed */
	uint32_t group;
	unsigned any_users;             /* any-source members */
	unsigned nsrc;
	uint32_t src[IGMP_MAX_SOURCES];
	uint16_t src_users[IGMP_MAX_SOURCES];
	uint8_t reports_left;           /* state-change reports still due */
	uint8_t pending;                /* enum igmp_pending */
	uint16_t qmask;                 /* IGMP_PEND_SOURCES: src[] asked */
	struct timer timer;
	struct stack *s;
};

struct igmp_if {
	struct igmp_group groups[IGMP_MAX_GROUPS];
	uint64_t v1_until, v2_until;    /* older querier present (8.12) */
};

struct stack;
struct ip_rx;

void igmp_init(struct stack *s);
void igmp_fini(struct stack *s);
int igmp_join(struct stack *s, uint32_t group, const uint32_t *src);
void igmp_leave(struct stack *s, uint32_t group, const uint32_t *src);
bool igmp_is_member(const struct stack *s, uint32_t group);
bool igmp_accepts(const struct stack *s, uint32_t group, uint32_t src);
bool igmp_mac_member(const struct stack *s, const uint8_t mac[6]);
unsigned igmp_version(const struct stack *s);

#endif
