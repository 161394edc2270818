/* SPDX-License-Identifier: MIT */
/*
 * stack.h - the protocol engine's interface to its host
 *
 * Theory of operation: the engine (everything under daemon/stack) does no
 * I/O and reads no clock. Its host (the daemon, or the simulator in
 * test/sim) drives it:
 *
 *   - a frame arrived on interface i:   stack_input()
 *   - time moved on:                    stack_timeout(now), which returns
 *                                       the next deadline, or STACK_NO_DEADLINE
 *                                       when nothing is armed
 *
 * and the engine answers through the callbacks in struct stack_ops: send a
 * frame, random bytes, a log line. Time is always an argument (monotonic
 * nanoseconds). An idle engine has no deadline, so an idle host sleeps.
 */
#ifndef USTACK_STACK_H
#define USTACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "inet.h"
#include "pbuf.h"

struct udp_sock;

#define STACK_NO_DEADLINE UINT64_MAX
#define STACK_MAX_ADDRS 8
#define STACK_MAX_ROUTES 256

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull

enum stack_log_level { STACK_LOG_ERR, STACK_LOG_WARN, STACK_LOG_INFO, STACK_LOG_DEBUG };

struct stack_ops {
	/*
	 * Send one complete Ethernet frame on interface @ifindex. The engine
	 * keeps ownership of @frame; the host copies or writes it before
	 * returning. Return 0, or a negative errno (-ENOBUFS: the link's
	 * transmit queue is full), which the engine counts.
	 */
	int (*link_output)(void *ctx, unsigned ifindex, const uint8_t *frame,
			   size_t len);
	/* Fill @buf with @len random bytes (the host's CSPRNG, or a seed). */
	void (*random)(void *ctx, void *buf, size_t len);
	/* One log line, without newline. May be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	/*
	 * A UDP socket's state changed: @events is a mask of UDP_EV_*
	 * (udp.h). The host may call the socket's functions from here but
	 * must not close it. May be NULL.
	 */
	void (*udp_event)(void *ctx, struct udp_sock *us, unsigned events);
};

struct stack_addr {
	uint32_t addr;
	uint8_t prefix;
};

/* Every tunable of the engine, with its default in stack_config_defaults(). */
struct stack_config {
	uint8_t mac[ETH_ALEN];
	uint32_t mtu;                 /* IP MTU of the link, 576..65535 */
	unsigned naddr;
	struct stack_addr addr[STACK_MAX_ADDRS];
	uint32_t gateway;             /* 0: no default route */
	uint8_t ttl;                  /* TTL of datagrams we originate */
	size_t mem_budget;            /* bytes of packet buffers, all uses */
	unsigned arp_max_entries;     /* neighbour cache bound */
	uint64_t arp_max_age;         /* ns an answer is trusted */
	uint64_t arp_retry;           /* ns between requests while resolving */
	unsigned arp_retries;         /* requests before giving up */
	unsigned arp_queue_len;       /* packets held per unresolved neighbour */
	unsigned reass_max;           /* datagrams in reassembly at once */
	size_t reass_max_bytes;       /* bytes held by reassembly at most */
	uint64_t reass_timeout;       /* ns a datagram may take to complete */
	unsigned icmp_rate;           /* ICMP errors per second, sustained */
	unsigned icmp_burst;          /* ICMP errors in a burst */
};

struct stack;

void stack_config_defaults(struct stack_config *cfg);
int stack_config_check(const struct stack_config *cfg, const char **why);

int stack_new(struct stack **out, const struct stack_config *cfg,
	      const struct stack_ops *ops, void *ctx, uint64_t now);
void stack_free(struct stack *s);
void stack_start(struct stack *s, uint64_t now);

struct pbuf *stack_rx_buf(struct stack *s, size_t maxlen);
void stack_input(struct stack *s, unsigned ifindex, struct pbuf *p,
		 uint64_t now);
void stack_input_copy(struct stack *s, unsigned ifindex, const void *frame,
		      size_t len, uint64_t now);
uint64_t stack_timeout(struct stack *s, uint64_t now);

const struct stack_counters *stack_counters(const struct stack *s);
const struct pbuf_pool *stack_pool(const struct stack *s);

/* Routing table. Return 0 or a negative errno. */
int stack_route_add(struct stack *s, uint32_t dst, unsigned prefix,
		    uint32_t gateway, uint32_t metric);
int stack_route_del(struct stack *s, uint32_t dst, unsigned prefix);

#endif
