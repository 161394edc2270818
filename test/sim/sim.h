/* SPDX-License-Identifier: MIT */
/*
 * sim.h - a deterministic network for two engines
 *
 * Theory of operation: one virtual clock, two engines (stack_new with
 * different MACs and addresses on 10.0.0.0/24 and 2001:db8::/64) and one
 * simulated link between them; a run is over IPv4 or over IPv6 (its
 * family: the addresses the transfers use). Every frame an engine sends goes through the link's
 * faults (loss, duplication, corruption, reordering, a dead period, a
 * queue limit) and is delivered after its serialisation time at the
 * link's bandwidth plus the propagation delay. Every random choice, the
 * engines' own randomness included, comes from one PRNG seeded by the
 * test, so a seed replays exactly.
 */
#ifndef USTACK_SIM_H
#define USTACK_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack.h"

struct sim_profile {
	const char *name;
	uint64_t delay_min, delay_max;    /* one-way, ns, chosen per seed */
	uint64_t bandwidth;               /* bytes per second */
	unsigned loss_ppm;                /* per million frames */
	unsigned dup_ppm;
	unsigned corrupt_ppm;
	unsigned reorder_ppm;             /* delayed by up to 2 * delay */
	unsigned reorder_pct;             /* ... or by up to this % of delay */
	unsigned queue_limit;             /* frames in flight per direction */
	uint64_t dead_max;                /* 0: never; else dead up to this */
	uint32_t max_bytes;               /* per direction; 0: the default */
	unsigned seeds;                   /* 0: SIM_SEEDS (1000) */
	unsigned conns;                   /* connections at once; 0: 1 */
	bool no_rack;                     /* RFC 8985 RACK off (DupThresh) */
	bool echo;                        /* the server echoes what it reads,
					   * reading only what it can send */
	const char *compare;              /* a profile to beat: fewer
					   * retransmissions in all */
};

/* What a host has offered on one connection: its SYN's window scale
 * and the right edge of its last window (the watch on RFC 9293 3.8.6
 * SHLD-14: a receiver does not move its right edge back). */
struct sim_flow {
	uint8_t saddr[16], daddr[16];     /* IPv4: the first 4 bytes */
	uint16_t sport, dport;
	int ws;                           /* -1: no option in its SYN */
	bool has_edge;
	uint32_t edge;
};

#define SIM_MAX_FLOWS 16

struct sim_frame {
	uint64_t at;
	uint64_t order;                   /* ties keep sending order */
	unsigned to;
	size_t len;
	uint8_t data[1600];
};

struct sim {
	uint64_t now;
	uint64_t rng;
	const struct sim_profile *prof;
	uint8_t family;                   /* IP_V4 or IP_V6 */
	uint64_t delay;
	uint64_t dead_from, dead_until;
	struct stack *st[2];
	uint64_t tx_free[2];              /* when each direction's wire frees */
	unsigned inflight[2];
	struct sim_frame **q;
	size_t nq, capq;
	uint64_t order;
	unsigned events[2];
	uint64_t frames, dropped;
	bool verbose;
	bool warmup;                      /* sim_init: frames sent go nowhere */
	struct sim_flow flows[SIM_MAX_FLOWS];
	unsigned nflows;
	unsigned shrinks;                 /* right edges moved back */
	char shrink_why[128];             /* the first of them */
};

uint64_t sim_rand(struct sim *sim);
/* Host @i's address in the run's family */
struct ip_addr sim_addr(const struct sim *sim, unsigned i);
int sim_init(struct sim *sim, const struct sim_profile *prof, uint64_t seed,
	     const struct stack_config *tmpl, uint8_t family);
void sim_fini(struct sim *sim);
/* Advance to the next event (frame or timer) not after @limit.
 * Return: false if nothing is pending before @limit. */
bool sim_step(struct sim *sim, uint64_t limit);

#endif
