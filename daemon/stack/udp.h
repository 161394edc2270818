/* SPDX-License-Identifier: MIT */
/*
 * udp.h - the engine's UDP sockets (RFC 768, RFC 1122 4.1), for the host's
 * socket layer: see udp.c
 *
 * Calls are shaped like the BSD socket calls and never block. What happens
 * later (a datagram queued, an ICMP error) is told through
 * stack_ops.dgram_event with a mask of DGRAM_EV_* bits; the receive and
 * error queues are read through udp_dgram() and dgram.h. The host owns
 * a socket from udp_open() until udp_close(). Errors are negative errno
 * values, as Linux gives them to programs.
 */
#ifndef USTACK_UDP_H
#define USTACK_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dgram.h"
#include "ip.h"

#define UDP_HLEN 8
#define UDP_MAX_PAYLOAD 65507        /* 65535 - IPv4 header - UDP header */
#define UDP6_MAX_PAYLOAD 65527       /* 65535 - UDP header (no jumbograms) */
#define UDP_RCVBUF_DEFAULT 212992    /* Linux: net.core.rmem_default */
#define UDP_SNDBUF_DEFAULT 212992
#define UDP_RCVBUF_MIN 2304          /* Linux: SOCK_MIN_RCVBUF */
#define UDP_SNDBUF_MIN 4608          /* Linux: SOCK_MIN_SNDBUF */

#define UDP_EV_READABLE DGRAM_EV_READABLE   /* a datagram was queued */
#define UDP_EV_ERROR DGRAM_EV_ERROR         /* an error is pending */

enum udp_sockopt {
	UDP_SO_RCVBUF,       /* bytes; set: stack_sockbuf_size() */
	UDP_SO_SNDBUF,
	UDP_SO_BROADCAST,    /* bool */
	UDP_SO_REUSEADDR,    /* bool */
	UDP_SO_REUSEPORT,    /* bool */
	UDP_SO_RCVBUFFORCE,  /* as SO_RCVBUF, beyond rmem_max; set only */
	UDP_SO_SNDBUFFORCE,
	UDP_SO_BINDTOIFINDEX,/* interface (STACK_IF_*), 0: none; an IPv6
			      * link-local bind or peer needs one */
	UDP_IP6_V6ONLY,      /* bool, AF_INET6 only, not once bound */
};

/* Where a received datagram came from and went to. */
struct udp_meta {
	struct ip_addr src, dst;
	uint16_t sport, dport;
	uint32_t len;                /* payload bytes */
};

struct stack;
struct udp_sock;
struct pbuf;

struct udp_table {
	struct udp_sock *head;
	unsigned count;
};

int udp_open(struct stack *s, uint8_t family, struct udp_sock **out);
void udp_close(struct udp_sock *us);
struct dgram *udp_dgram(struct udp_sock *us);
void udp_set_user(struct udp_sock *us, void *user);
void *udp_user(const struct udp_sock *us);
int udp_bind(struct udp_sock *us, const struct ip_addr *addr, uint16_t port);
int udp_connect(struct udp_sock *us, const struct ip_addr *addr,
		uint16_t port);
int udp_disconnect(struct udp_sock *us);
int udp_sendto(struct udp_sock *us, const void *buf, size_t len,
	       const struct ip_addr *dst, uint16_t dport, uint64_t now);
int udp_sendmsg(struct udp_sock *us, const void *buf, size_t len,
		const struct ip_addr *dst, uint16_t dport,
		const struct dgram_tx *tx, uint64_t now);
const uint8_t *udp_recv_peek(struct udp_sock *us, struct udp_meta *m);
void udp_recv_next(struct udp_sock *us);
size_t udp_recv_queued(const struct udp_sock *us);
int udp_sock_error(struct udp_sock *us);
int udp_setsockopt(struct udp_sock *us, enum udp_sockopt opt, int val);
int udp_getsockopt(const struct udp_sock *us, enum udp_sockopt opt, int *val);
uint8_t udp_family(const struct udp_sock *us);
void udp_getsockname(const struct udp_sock *us, struct ip_addr *addr,
		     uint16_t *port);
int udp_getpeername(const struct udp_sock *us, struct ip_addr *addr,
		    uint16_t *port);
unsigned udp_sock_count(const struct stack *s);

/* For the engine's own modules */
int udp_sendto_port(struct udp_sock *us, uint16_t sport, const void *buf,
		    size_t len, const struct ip_addr *dst, uint16_t dport);
int udp_deliver(struct stack *s, const void *buf, size_t len,
		const struct ip_addr *src, uint16_t sport,
		const struct ip_addr *dst, uint16_t dport);
int udp_init(struct stack *s);
void udp_fini(struct stack *s);

#endif
