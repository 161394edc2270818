/* SPDX-License-Identifier: MIT */
/*
 * raw.h - raw sockets for one protocol (SOCK_RAW, IPPROTO_ICMP over IPv4,
 * IPPROTO_ICMPV6 over IPv6): see raw.c
 *
 * The host drives them like UDP sockets (udp.h); their receive and error
 * queues are read through raw_dgram() and dgram.h. Who may open one (uid
 * 0, as CAP_NET_RAW in Linux) is the host's to decide.
 */
#ifndef USTACK_RAW_H
#define USTACK_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dgram.h"
#include "ip.h"

struct stack;
struct raw_sock;
struct pbuf;

struct raw_table {
	struct raw_sock *head;
	unsigned count;
};

int raw_open(struct stack *s, uint8_t family, uint8_t proto,
	     struct raw_sock **out);
void raw_close(struct raw_sock *rs);
struct dgram *raw_dgram(struct raw_sock *rs);
int raw_bind(struct raw_sock *rs, const struct ip_addr *addr);
int raw_connect(struct raw_sock *rs, const struct ip_addr *addr,
		uint16_t port);
int raw_disconnect(struct raw_sock *rs);
int raw_sendmsg(struct raw_sock *rs, const void *buf, size_t len,
		const struct ip_addr *dst, const struct dgram_tx *tx,
		uint64_t now);
uint8_t raw_family(const struct raw_sock *rs);
void raw_getsockname(const struct raw_sock *rs, struct ip_addr *addr,
		     uint16_t *proto);
int raw_getpeername(const struct raw_sock *rs, struct ip_addr *addr,
		    uint16_t *port);
int raw_set_icmp_filter(struct raw_sock *rs, uint32_t mask);
int raw_get_icmp_filter(const struct raw_sock *rs, uint32_t *mask);
int raw_set_icmp6_filter(struct raw_sock *rs, const uint32_t f[8]);
int raw_get_icmp6_filter(const struct raw_sock *rs, uint32_t f[8]);
unsigned raw_sock_count(const struct stack *s);

/* For the engine's own modules */
int raw_init(struct stack *s);
void raw_fini(struct stack *s);

#endif
