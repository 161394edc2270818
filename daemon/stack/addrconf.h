/* SPDX-License-Identifier: MIT */
/*
 * addrconf.h - IPv6 on an interface: its addresses (RFC 4862, RFC 7217),
 * what router advertisements taught it (RFC 4861 6.3.4), its multicast
 * groups (RFC 3810): see addrconf.c, nd.c and mld.c
 */
#ifndef USTACK_ADDRCONF_H
#define USTACK_ADDRCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "icmp6.h"
#include "ip.h"
#include "stack.h"
#include "timer.h"

#define STACK_MAX_ADDRS6 16
#define ND_MAX_ROUTERS 8
#define ND_MAX_ONLINK 8
#define MLD_MAX_GROUPS 64
#define IDGEN_RETRIES 3                 /* RFC 7217 6 */

struct stack;

struct ifaddr6 {
	struct stack *s;
	uint8_t addr[16];
	uint8_t prefix;
	uint8_t state, origin;
	uint8_t dad_sent;               /* solicitations sent in this DAD */
	uint8_t dad_counter;            /* RFC 7217 DAD_Counter */
	uint64_t created;
	uint64_t preferred_until;       /* ns; UINT64_MAX: forever */
	uint64_t valid_until;
	struct timer timer;             /* DAD, then the next lifetime event */
};

/* A default router (RFC 4861 6.3.4) or an on-link prefix, with its lifetime */
struct nd_entry {
	bool used;
	uint8_t addr[16];
	uint8_t len;                    /* prefix length; 128 for a router */
	uint64_t until;                 /* ns; UINT64_MAX: forever */
	struct timer timer;
	struct stack *s;
};

/* A DNS server or search domain learned from an RA (RFC 8106) */
struct nd_dns {
	bool used;
	uint8_t addr[16];
	char name[ND_DNSSL_NAME + 1];
	uint64_t until;                 /* lifetimes are checked when read */
};

struct mld_group {
	bool used;
	uint8_t group[16];
	unsigned users;                 /* addresses and sockets that joined */
	uint8_t reports_left;           /* unsolicited reports still to send */
	uint8_t record;                 /* MLD2_CHANGE_TO_{EXCLUDE,INCLUDE} */
	bool leaving;                   /* reporting a leave, then freed */
	struct timer timer;
	struct stack *s;
};

struct inet6_if {
	bool enabled;
	struct ifaddr6 addr[STACK_MAX_ADDRS6];
	/* router discovery */
	unsigned rs_sent;
	bool ra_seen;
	struct timer rs_timer;
	uint8_t hop_limit;              /* from RAs (CurHopLimit), else ttl */
	uint32_t mtu;                   /* link MTU, lowered by an RA's MTU */
	struct nd_entry routers[ND_MAX_ROUTERS];
	struct nd_entry onlink[ND_MAX_ONLINK];
	struct nd_dns rdnss[ND_MAX_RDNSS];
	struct nd_dns dnssl[ND_MAX_DNSSL];
	/* MLD */
	struct mld_group groups[MLD_MAX_GROUPS];
	uint64_t mld_v1_until;          /* an MLDv1 querier was heard */
};

/* addrconf.c */
void addrconf_init(struct stack *s);
void addrconf_start(struct stack *s);
void addrconf_fini(struct stack *s);
struct ifaddr6 *addrconf_find(struct stack *s, const uint8_t addr[16]);
bool addrconf_is_local(const struct stack *s, const uint8_t addr[16]);
int addrconf_select_source(const struct stack *s, const struct ip_addr *dst,
			   struct ip_addr *src);
int addrconf_add(struct stack *s, const uint8_t addr[16], unsigned prefix,
		 int origin, uint32_t valid, uint32_t preferred);
int addrconf_del(struct stack *s, const uint8_t addr[16], unsigned prefix);
void addrconf_dad_failed(struct stack *s, struct ifaddr6 *a);
void addrconf_prefix(struct stack *s, const struct nd_prefix *pi);
bool addrconf_linklocal(const struct stack *s, struct ip_addr *out);
void addrconf_stable_iid(const struct stack *s, const uint8_t prefix[8],
			 uint8_t dad_counter, uint8_t iid[8]);

/* nd.c */
void nd_init(struct stack *s);
void nd_start(struct stack *s);
void nd_fini(struct stack *s);
void nd_input(struct stack *s, const uint8_t *msg, size_t len,
	      const struct ip_rx *rx);
void nd_send_dad(struct stack *s, struct ifaddr6 *a);

/* mld.c */
int mld_join(struct stack *s, const uint8_t group[16]);
void mld_leave(struct stack *s, const uint8_t group[16]);
bool mld_is_member(const struct stack *s, const uint8_t group[16]);
void mld_input(struct stack *s, const uint8_t *msg, size_t len,
	       const struct ip_rx *rx);
void mld_fini(struct stack *s);

#endif
