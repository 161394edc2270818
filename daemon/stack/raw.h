/* SPDX-License-Identifier: MIT */
/*
 * raw.h - raw IPv4 sockets for one protocol (SOCK_RAW, IPPROTO_ICMP):
 * see raw.c
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

struct stack;
struct raw_sock;
struct pbuf;

struct raw_table {
	struct raw_sock *head;
	unsigned count;
};

int raw_open(struct stack *s, uint8_t proto, struct raw_sock **out);
void raw_close(struct raw_sock *rs);
struct dgram *raw_dgram(struct raw_sock *rs);
int raw_bind(struct raw_sock *rs, uint32_t addr);
int raw_connect(struct raw_sock *rs, uint32_t addr, uint16_t port);
int raw_disconnect(struct raw_sock *rs);
int raw_sendmsg(struct raw_sock *rs, const void *buf, size_t len,
		const uint32_t *dst, const struct dgram_tx *tx, uint64_t now);
void raw_getsockname(const struct raw_sock *rs, uint32_t *addr,
		     uint16_t *proto);
int raw_getpeername(const struct raw_sock *rs, uint32_t *addr,
		    uint16_t *port);
int raw_set_icmp_filter(struct raw_sock *rs, uint32_t mask);
int raw_get_icmp_filter(const struct raw_sock *rs, uint32_t *mask);
unsigned raw_sock_count(const struct stack *s);

/* For the engine's own modules */
int raw_init(struct stack *s);
void raw_fini(struct stack *s);

#endif
