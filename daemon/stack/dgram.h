/* SPDX-License-Identifier: MIT */
/*
 * dgram.h - what UDP, ping and raw sockets share: see dgram.c
 *
 * A datagram socket of any kind embeds a struct dgram: its receive queue
 * (each datagram with what the program may ask about it: addresses, TTL,
 * TOS, interface, time of arrival), its error queue (IP_RECVERR), its
 * pending error (SO_ERROR) and the IP options that shape what it sends.
 * The host reaches every kind through these calls and learns of changes
 * through stack_ops.dgram_event with a mask of DGRAM_EV_* bits.
 */
#ifndef USTACK_DGRAM_H
#define USTACK_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"

#define DGRAM_EV_READABLE 0x01u      /* a datagram was queued */
#define DGRAM_EV_ERROR 0x20u         /* an error is pending or queued */

enum dgram_kind { DGRAM_UDP = 1, DGRAM_PING, DGRAM_RAW };

/* IP_MTU_DISCOVER, numbered as Linux numbers IP_PMTUDISC_* */
enum dgram_pmtu {
	DGRAM_PMTU_DONT, DGRAM_PMTU_WANT, DGRAM_PMTU_DO, DGRAM_PMTU_PROBE,
	DGRAM_PMTU_INTERFACE, DGRAM_PMTU_OMIT,
};

/* dgram_info.ifindex of the ICMP errors the stack sends itself (Linux: lo) */
#define DGRAM_IF_LOOPBACK 0

/* sock_extended_err's ee_origin values the engine produces */
#define DGRAM_EE_LOCAL 1
#define DGRAM_EE_ICMP 2
#define DGRAM_EE_ICMP6 3

/*
 * What a received datagram (or ICMP error) came with. Its addresses are
 * of the family it came in (an AF_INET6 socket's IPv4 datagrams: IPv4).
 */
struct dgram_info {
	struct ip_addr src, dst;     /* its IP header's addresses */
	struct ip_addr spec_dst;     /* IP_PKTINFO ipi_spec_dst; family
				      * IP_NONE for errors */
	uint16_t sport, dport;       /* UDP ports, else 0 */
	uint8_t ttl, tos;            /* TTL or Hop Limit, TOS or Class */
	uint16_t ifindex;            /* the engine's interface, or
				      * DGRAM_IF_LOOPBACK (dgram.c) */
	uint32_t drops;              /* the socket's drops when it was queued
				      * (dgram_queue() sets it) */
	uint64_t time;               /* arrival, on the engine's clock */
};

/* One error-queue entry: struct sock_extended_err and msg_name. */
struct dgram_ee {
	uint32_t err;                /* positive errno */
	uint8_t origin, type, code;  /* origin: DGRAM_EE_* */
	uint32_t info;               /* next-hop MTU, pointer, local MTU */
	struct ip_addr offender;     /* ICMP: who sent it; LOCAL: IP_NONE */
	struct ip_addr addr;         /* where the offending datagram went */
	uint16_t port;               /* its destination port, or 0 */
};

/* Per-datagram overrides from a sendmsg's control messages. */
struct dgram_tx {
	int ttl;                     /* IP_TTL 1..255, or -1 */
	int tos;                     /* IP_TOS 0..255, or -1 */
	struct ip_addr src;          /* IP_PKTINFO ipi_spec_dst; IP_NONE:
				      * none */
};

/* Has the sendmsg a source of its own (IP_PKTINFO)? */
static inline bool dgram_tx_src(const struct dgram_tx *tx)
{
	return tx && tx->src.family != IP_NONE && !ip_addr_is_any(&tx->src);
}

enum dgram_opt {
	DGRAM_SO_RCVBUF,             /* bytes; set: stack_sockbuf_size() */
	DGRAM_SO_SNDBUF,
	DGRAM_SO_RCVBUFFORCE,        /* as SO_RCVBUF, beyond rmem_max; set only */
	DGRAM_SO_SNDBUFFORCE,
	DGRAM_SO_BROADCAST,          /* bool */
	DGRAM_IP_TTL,                /* 1..255; -1 restores the default */
	DGRAM_IP_TOS,                /* 0..255 */
	DGRAM_IP_RECVERR,            /* bool; off purges the error queue */
	DGRAM_IP_MTU_DISCOVER,       /* enum dgram_pmtu */
	DGRAM_IP_MULTICAST_TTL,      /* 0..255 (1); -1 restores the default */
	DGRAM_IP_MULTICAST_LOOP,     /* bool (1): our own members get a copy */
	DGRAM_IP_MULTICAST_ALL,      /* 0 or 1 (1): groups not joined too */
	/* IPv6 has its own, as Linux's ipv6_pinfo (an AF_INET6 socket's
	 * IPv4 datagrams take the IP_* ones) */
	DGRAM_IP6_UNICAST_HOPS,      /* -1..255; -1: the interface's */
	DGRAM_IP6_TCLASS,            /* -1..255; -1: 0 */
	DGRAM_IP6_MULTICAST_HOPS,    /* -1..255; -1: 1 */
	DGRAM_IP6_MULTICAST_LOOP,    /* bool (1) */
	DGRAM_IP6_RECVERR,           /* bool; IPv6's errors (IP_RECVERR:
				      * both families'); off purges the
				      * error queue */
	DGRAM_IP_NONLOCAL,           /* bool: bind() takes an address not
				      * ours (IP_FREEBIND, IP_TRANSPARENT) */
	DGRAM_IP_BIND_NO_PORT,       /* bool: bind(addr, 0) leaves the port
				      * to connect() or the first send */
	DGRAM_IP_PORT_RANGE,         /* IP_LOCAL_PORT_RANGE: lo | hi << 16
				      * (checked by the socket layer) */
};

struct stack;
struct pbuf;
struct mc_member;

struct dgram {
	struct stack *s;
	void *user;
	uint8_t kind;                /* enum dgram_kind */
	uint8_t ttl;                 /* 0: the stack's default */
	uint8_t tos;
	uint8_t pmtudisc;            /* enum dgram_pmtu */
	uint8_t mc_ttl;              /* TTL of what goes to a group */
	bool mc_loop;
	bool mc_all;                 /* IP_MULTICAST_ALL */
	uint8_t mc_index;            /* IP_MULTICAST_IF: interface, or 0 */
	uint32_t mc_addr;            /* ... and source address, or 0 */
	struct mc_member *mc;        /* memberships (mcast.c) */
	int16_t hops6;               /* IPV6_UNICAST_HOPS, -1: default */
	uint8_t tclass6;             /* IPV6_TCLASS */
	uint8_t mc_hops6;            /* IPV6_MULTICAST_HOPS */
	bool mc_loop6;
	bool recverr, broadcast;
	bool recverr6;               /* IPV6_RECVERR */
	bool nonlocal, bind_no_port; /* DGRAM_IP_NONLOCAL, _BIND_NO_PORT */
	uint32_t port_range;         /* IP_LOCAL_PORT_RANGE, 0: none */
	uint32_t drops;              /* received, not queued (Linux's
				      * sk_drops: SO_RXQ_OVFL) */
	int err;                     /* pending error, positive errno */
	uint32_t rcvbuf, sndbuf;     /* as getsockopt shows them */
	size_t rmem;                 /* charged for both queues */
	struct pbuf *rxq, **rxtail;
	struct pbuf *errq, **errtail;
	unsigned nerr;
	/* an engine module's own socket: its events go here, not to the host */
	void (*own)(struct dgram *dg, unsigned events);
};

/* For the host */
void dgram_set_user(struct dgram *dg, void *user);
void *dgram_user(const struct dgram *dg);
const uint8_t *dgram_recv_peek(struct dgram *dg, struct dgram_info *in,
			       size_t *len);
void dgram_recv_next(struct dgram *dg);
const uint8_t *dgram_recv_peek_after(struct dgram *dg, const void **pos,
				     struct dgram_info *in, size_t *len);
size_t dgram_recv_queued(const struct dgram *dg);
const uint8_t *dgram_errq_peek(struct dgram *dg, struct dgram_info *in,
			       struct dgram_ee *ee, size_t *len);
void dgram_errq_next(struct dgram *dg);
unsigned dgram_errq_len(const struct dgram *dg);
int dgram_take_error(struct dgram *dg);
int dgram_setopt(struct dgram *dg, enum dgram_opt opt, int val);
int dgram_getopt(const struct dgram *dg, enum dgram_opt opt, int *val);

/* For the engine's socket modules */
void dgram_init(struct dgram *dg, struct stack *s, enum dgram_kind kind);
void dgram_fini(struct dgram *dg);
void dgram_info_rx(struct stack *s, const struct ip_rx *rx,
		   struct dgram_info *in);
int dgram_queue(struct dgram *dg, struct pbuf *p, const struct dgram_info *in);
bool dgram_report(struct dgram *dg, const struct dgram_ee *ee, bool harderr,
		  bool connected, const struct dgram_info *in,
		  const void *payload, size_t len);
int dgram_output(struct dgram *dg, struct pbuf *p, const struct ip_addr *src,
		 const struct ip_addr *dst, uint8_t proto, uint16_t dport,
		 const struct dgram_tx *tx);
uint32_t dgram_path_mtu(struct stack *s, const struct ip_addr *dst);
int dgram_icmp_errno(const struct dgram *dg, const struct ip_err *e,
		     bool *harderr);

#endif
