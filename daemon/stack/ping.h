/* SPDX-License-Identifier: MIT */
/*
 * ping.h - ICMP echo ("ping") datagram sockets, as Linux's
 * socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) and socket(AF_INET6,
 * SOCK_DGRAM, IPPROTO_ICMPV6): see ping.c
 *
 * The host drives them like UDP sockets (udp.h); their receive and error
 * queues are read through ping_dgram() and dgram.h. The echo identifier
 * is the socket's "port": chosen by bind, or by the first connect or
 * send.
 */
#ifndef USTACK_PING_H
#define USTACK_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dgram.h"
#include "ip.h"

#define PING_MAX_LEN (65535 - 20) /* an ICMP message in one IPv4 datagram */

struct stack;
struct ping_sock;
struct pbuf;

struct ping_table {
	struct ping_sock *head;
	unsigned count;
	uint16_t rover;              /* the last identifier handed out */
};

int ping_open(struct stack *s, uint8_t family, struct ping_sock **out);
void ping_close(struct ping_sock *ps);
struct dgram *ping_dgram(struct ping_sock *ps);
int ping_bind(struct ping_sock *ps, const struct ip_addr *addr,
	      uint16_t ident);
int ping_connect(struct ping_sock *ps, const struct ip_addr *addr,
		 uint16_t port);
int ping_disconnect(struct ping_sock *ps);
int ping_sendmsg(struct ping_sock *ps, const void *buf, size_t len,
		 const struct ip_addr *dst, const struct dgram_tx *tx,
		 uint64_t now);
uint8_t ping_family(const struct ping_sock *ps);
void ping_getsockname(const struct ping_sock *ps, struct ip_addr *addr,
		      uint16_t *ident);
int ping_getpeername(const struct ping_sock *ps, struct ip_addr *addr,
		     uint16_t *port);
int ping_set_reuseaddr(struct ping_sock *ps, bool on);
int ping_set_bound_if(struct ping_sock *ps, unsigned ifindex);
unsigned ping_sock_count(const struct stack *s);

/* For the engine's own modules */
int ping_init(struct stack *s);
void ping_fini(struct stack *s);

#endif
