/* SPDX-License-Identifier: MIT */
/*
 * stack_impl.h - the engine's internal state, shared by its modules
 *
 * Nothing outside daemon/stack includes this; hosts use stack.h. It names
 * no transport's header: the network layers below never see the
 * transports' state, only the protocol table they registered in
 * (s->protos); each transport keeps its own table behind a pointer.
 */
#ifndef USTACK_STACK_IMPL_H
#define USTACK_STACK_IMPL_H

#include <errno.h>

#include "addrconf.h"
#include "arp.h"
#include "dhcp.h"
#include "igmp.h"
#include "ip.h"
#include "neigh.h"
#include "ipv4.h"
#include "stack.h"
#include "timer.h"

#define CNT(s, name) ((s)->cnt.name++)

struct netif {
	unsigned index;
	bool loopback;               /* our own: no link, no ARP */
	uint8_t mac[ETH_ALEN];
	uint32_t mtu;
	unsigned naddr;
	struct stack_addr addr[STACK_MAX_ADDRS];
	struct igmp_if igmp;         /* IPv4 groups (igmp.c) */
	struct inet6_if in6;
	uint32_t gso_max;            /* the link segments TCP frames of up to
				      * this much IP payload (gso.h); 0: no */
	struct uso_batch uso;        /* UDP datagrams held for the link to
				      * cut (gso.h); uso.buf NULL: it does
				      * not (eth.c) */
};

/* Path MTU learned from Packet Too Big (RFC 8201), per destination */
#define PMTU_CACHE 64
#define PMTU_EXPIRES (600ull * NSEC_PER_SEC)    /* RFC 8201 4: 10 min */
struct pmtu_entry {
	uint8_t dst[16];
	uint32_t mtu;
	uint64_t learned;       /* 0: slot free */
};

/* Where a route came from (RTPROT_* in Linux's terms) */
enum route_origin {
	ROUTE_STATIC,           /* configured: --gateway, ustackctl route add */
	ROUTE_CONNECTED,        /* the subnet of one of our addresses */
	ROUTE_RA,               /* a router advertisement (prefix or default) */
	ROUTE_DHCP,             /* a DHCP lease's router (option 3) */
};

/* One routing table for both families (route.c) */
struct route {
	struct ip_addr dst;          /* the network: host bits zero */
	uint8_t prefix;
	uint8_t origin;              /* enum route_origin */
	struct ip_addr gateway;      /* family IP_NONE: on link */
	uint32_t metric;
	unsigned ifindex;
};

static inline bool route_has_gateway(const struct route *r)
{
	return r->gateway.family != IP_NONE;
}

struct stack {
	struct stack_config cfg;
	const struct stack_ops *ops;
	void *ctx;
	uint64_t now;                /* time of the call being handled */

	struct pbuf_pool pool;
	struct timer_heap timers;
	struct stack_counters cnt;

	struct netif nif;            /* the link: STACK_IF_LINK */
	struct netif lo;             /* our loopback: STACK_IF_LOOPBACK */
	struct dhcp_client dhcp;     /* the link's DHCPv4 client (dhcp.c) */
	struct route lo_route;       /* 127/8: fixed, before the table */
	struct route lo_route6;      /* ::1/128, likewise */
	struct route routes[STACK_MAX_ROUTES];
	unsigned nroutes;

	struct neigh_table neigh;
	const struct neigh_ops *neigh_ops[2];      /* [0] ARP, [1] ND */
	struct neigh_params neigh_params[2];
	struct reass_table reass;
	uint8_t *uso_scratch;         /* one datagram cut from a frame of
				       * UDP datagrams (stack_input_uso()) */
	uint16_t ip_id;

	/* the transports' own tables (transport.c makes them) */
	struct udp_table *udp;
	struct ping_table *ping;
	struct raw_table *raw;
	struct tcp_table *tcp;
	struct ip_proto_table protos;
	struct pmtu_entry pmtu[PMTU_CACHE];
	struct dns_stub *stub;       /* programs' DNS queries (dns_stub.c) */
	struct mdns *mdns;           /* NAME.local's responder (mdns.c) */

	/* ICMP error rate limit: a token bucket (RFC 1812 4.3.2.8) */
	uint64_t icmp_tokens;        /* in units of 1/NSEC_PER_SEC token */
	uint64_t icmp_refill;        /* time of the last refill */

	/* datagrams to our own addresses, delivered by ip_loop_drain() */
	struct pbuf *loop_q, *loop_tail;
	bool loop_draining;
};

void stack_unreachable(struct stack *s, const struct ip_addr *nexthop);
/* transport.c: every transport registers itself, and goes */
int transport_init(struct stack *s);
void transport_fini(struct stack *s);
void stack_log(struct stack *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint32_t stack_random32(struct stack *s);
void stack_port_range(const struct stack *s, uint32_t sk_range,
		      unsigned *lo, unsigned *hi);
struct netif *stack_netif(struct stack *s, unsigned ifindex);
bool stack_is_local_addr(const struct stack *s, uint32_t addr);
bool netif_has_addr(const struct netif *nif, uint32_t addr);
bool stack_is_broadcast(const struct stack *s, uint32_t addr);
bool stack_addr_is_local(const struct stack *s, const struct ip_addr *a);
bool stack_addr_is_bcast(const struct stack *s, const struct ip_addr *a);
int stack_source_for(const struct stack *s, const struct ip_addr *dst,
		     struct ip_addr *src);
void stack_addr_gone(struct stack *s, uint32_t addr);
int stack_arm(struct stack *s, struct timer *t, uint64_t when);
void stack_disarm(struct stack *s, struct timer *t);

const struct route *route_find(const struct stack *s,
			       const struct ip_addr *dst);
struct ip_addr route_nexthop(const struct route *r, const struct ip_addr *dst);
int route_src(const struct stack *s, const struct route *r,
	      const struct ip_addr *dst, struct ip_addr *src);
int route_insert(struct stack *s, const struct route *tmpl);
int route_remove(struct stack *s, const struct ip_addr *dst, unsigned prefix,
		 int origin);

#endif
