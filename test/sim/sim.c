/* SPDX-License-Identifier: MIT */
/* sim.c - the simulated link and virtual clock: see sim.h */
#include "sim.h"

#include "arp.h"
#include "eth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: small, fast, and good enough for fault injection */
uint64_t sim_rand(struct sim *sim)
{
	uint64_t z = (sim->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(struct sim *sim, unsigned ppm)
{
	return ppm && sim_rand(sim) % 1000000 < ppm;
}

uint32_t sim_addr(unsigned i)
{
	return IPV4(10, 0, 0, 1 + i);
}

struct sim_host {
	struct sim *sim;
	unsigned idx;
};

static struct sim_host hosts[2];

static void sim_random(void *ctx, void *buf, size_t len)
{
	struct sim *sim = ((struct sim_host *)ctx)->sim;
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)sim_rand(sim);
}

static void sim_enqueue(struct sim *sim, unsigned to, const uint8_t *frame,
			size_t len, uint64_t at)
{
	struct sim_frame *f;

	if (sim->nq == sim->capq) {
		size_t cap = sim->capq ? sim->capq * 2 : 64;
		struct sim_frame **q = realloc(sim->q, cap * sizeof(*q));

		if (!q)
			abort();
		sim->q = q;
		sim->capq = cap;
	}
	f = malloc(sizeof(*f));
	if (!f)
		abort();
	f->at = at;
	f->order = sim->order++;
	f->to = to;
	f->len = len;
	memcpy(f->data, frame, len);
	sim->q[sim->nq++] = f;
	sim->inflight[to]++;
}

/* One line per TCP segment when replaying a seed with -v. */
static void sim_trace(struct sim *sim, unsigned from, const uint8_t *f,
		      size_t len, const char *what)
{
	size_t ihl;
	const uint8_t *t;
	static const char fl[] = "FSRPAUEC";
	char flags[9];
	unsigned n = 0;

	if (!sim->verbose || len < 14 + 20 || f[12] != 8 || f[13] != 0 ||
	    f[14 + 9] != 6)
		return;
	ihl = (size_t)(f[14] & 0xf) * 4;
	if (len < 14 + ihl + 20)
		return;
	t = f + 14 + ihl;
	for (int i = 0; i < 8; i++)
		if (t[13] & (1 << i))
			flags[n++] = fl[i];
	flags[n] = 0;
	printf("%10.6f %s %c>%c %-4s seq %u ack %u win %u len %zu\n",
	       sim->now / 1e9, what, 'A' + from, 'A' + !from, flags,
	       get32(t + 4), get32(t + 8), get16(t + 14),
	       (size_t)(get16(f + 16) - ihl - (size_t)(t[12] >> 4) * 4));
}

static struct sim_flow *sim_flow_find(struct sim *sim, uint32_t sa,
				       uint16_t sp, uint32_t da, uint16_t dp)
{
	for (unsigned i = 0; i < sim->nflows; i++) {
		struct sim_flow *fl = &sim->flows[i];

		if (fl->saddr == sa && fl->sport == sp && fl->daddr == da &&
		    fl->dport == dp)
			return fl;
	}
	return NULL;
}

static int sim_syn_wscale(const uint8_t *t, size_t hl)
{
	for (size_t i = 20; i < hl;) {
		if (t[i] == 0)
			break;
		if (t[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl || t[i + 1] < 2)
			break;
		if (t[i] == 3 && t[i + 1] == 3 && i + 2 < hl)
			return t[i + 2];
		i += t[i + 1];
	}
	return -1;
}

/* Every TCP segment a host sends: a SYN notes its window scale; any
 * other ACK must not move the right edge left of the last one. */
static void sim_watch_window(struct sim *sim, unsigned from, const uint8_t *f,
			     size_t len)
{
	size_t ihl, hl;
	const uint8_t *t;
	uint32_t sa, da, edge;
	uint16_t sp, dp;
	struct sim_flow *fl, *rev;
	unsigned shift;

	if (len < 14 + 20 || f[12] != 8 || f[13] != 0 || f[14 + 9] != 6)
		return;
	ihl = (size_t)(f[14] & 0xf) * 4;
	if (len < 14 + ihl + 20)
		return;
	t = f + 14 + ihl;
	hl = (size_t)(t[12] >> 4) * 4;
	if (hl < 20 || len < 14 + ihl + hl)
		return;
	sa = get32(f + 14 + 12);
	da = get32(f + 14 + 16);
	sp = get16(t);
	dp = get16(t + 2);
	fl = sim_flow_find(sim, sa, sp, da, dp);
	if (t[13] & 0x02) {  /* SYN: a new incarnation of the pair */
		if (!fl && sim->nflows < SIM_MAX_FLOWS)
			fl = &sim->flows[sim->nflows++];
		if (!fl)
			return;
		*fl = (struct sim_flow){ .saddr = sa, .daddr = da, .sport = sp,
					 .dport = dp,
					 .ws = sim_syn_wscale(t, hl) };
		return;
	}
	rev = sim_flow_find(sim, da, dp, sa, sp);
	if (!fl || !rev || (t[13] & 0x04) || !(t[13] & 0x10))
		return;
	/* RFC 7323 2.2: scaled only if both SYNs carried the option */
	shift = fl->ws >= 0 && rev->ws >= 0 ? (unsigned)fl->ws : 0;
	edge = get32(t + 8) + ((uint32_t)get16(t + 14) << shift);
	if (fl->has_edge && (int32_t)(edge - fl->edge) < 0) {
		if (!sim->shrinks++)
			snprintf(sim->shrink_why, sizeof(sim->shrink_why),
				 "host %c moved its right edge back from %u to %u at %.6f s",
				 'A' + from, fl->edge, edge, sim->now / 1e9);
		return;
	}
	fl->edge = edge;
	fl->has_edge = true;
}

static int sim_link_output(void *ctx, unsigned ifindex, const uint8_t *frame,
			   size_t len)
{
	struct sim_host *h = ctx;
	struct sim *sim = h->sim;
	const struct sim_profile *p = sim->prof;
	unsigned to = !h->idx;
	uint64_t at, ser;
	uint8_t buf[1600];

	if (sim->warmup)
		return 0;
	sim->frames++;
	if (len > sizeof(buf))
		return -EMSGSIZE;
	sim_watch_window(sim, h->idx, frame, len);
	if (sim->now >= sim->dead_from && sim->now < sim->dead_until)
		goto drop;
	if (chance(sim, p->loss_ppm))
		goto drop;
	if (p->queue_limit && sim->inflight[to] >= p->queue_limit)
		goto drop;
	sim_trace(sim, h->idx, frame, len, "send");
	memcpy(buf, frame, len);
	/* corruption past the Ethernet header of IPv4 frames only: a real
	 * link's FCS drops the rest, and ARP has no checksum of its own */
	if (len > 14 && buf[12] == 8 && buf[13] == 0 &&
	    chance(sim, p->corrupt_ppm))
		buf[14 + sim_rand(sim) % (len - 14)] ^=
			(uint8_t)(1 + sim_rand(sim) % 255);
	ser = len * 1000000000ull / p->bandwidth;
	if (sim->tx_free[h->idx] < sim->now)
		sim->tx_free[h->idx] = sim->now;
	sim->tx_free[h->idx] += ser;
	at = sim->tx_free[h->idx] + sim->delay;
	if (chance(sim, p->reorder_ppm))
		at += sim_rand(sim) % ((p->reorder_pct ? sim->delay *
					p->reorder_pct / 100 : 2 * sim->delay) + 1);
	sim_enqueue(sim, to, buf, len, at);
	if (chance(sim, p->dup_ppm))
		sim_enqueue(sim, to, buf, len, at + sim_rand(sim) % (sim->delay + 1));
	return 0;
drop:
	sim_trace(sim, h->idx, frame, len, "LOST");
	sim->dropped++;
	return 0;
}

static void sim_sock_event(void *ctx, struct tcp_sock *sk, unsigned events)
{
	struct sim_host *h = ctx;

	h->sim->events[h->idx]++;
}

static const struct stack_ops sim_ops = {
	.link_output = sim_link_output,
	.random = sim_random,
	.sock_event = sim_sock_event,
};

/*
 * The simulator tests TCP, not ARP: each engine hears the other's ARP
 * request before the faults start, so a lossy link cannot fail a handshake
 * through ARP (which, as in Linux, ends it with EHOSTUNREACH). The replies
 * go nowhere and draw no randomness, so the seeds' fates are unchanged.
 */
static void sim_learn_neighbours(struct sim *sim)
{
	for (unsigned i = 0; i < 2; i++) {
		unsigned from = !i;
		uint8_t f[ETH_HLEN + ARP_LEN];
		struct eth_hdr eh = { .type = ETH_P_ARP };
		struct arp_pkt a = { .op = ARP_OP_REQUEST, .spa = sim_addr(from),
				     .tpa = sim_addr(i) };

		memset(eh.dst, 0xff, ETH_ALEN);
		eh.src[0] = a.sha[0] = 0x02;
		eh.src[5] = a.sha[5] = (uint8_t)(from + 1);
		eth_build(f, &eh);
		arp_build(f + ETH_HLEN, &a);
		sim->warmup = true;
		stack_input_copy(sim->st[i], 1, f, sizeof(f), 0);
		sim->warmup = false;
	}
}

/**
 * sim_init() - two engines on one simulated link
 * @sim: zeroed by the caller or not; set up here
 * @prof: the fault profile
 * @seed: the seed everything derives from
 * @tmpl: engine configuration to start from (NULL: defaults)
 *
 * Return: 0 or a negative errno
 */
int sim_init(struct sim *sim, const struct sim_profile *prof, uint64_t seed,
	     const struct stack_config *tmpl)
{
	struct stack_config cfg;
	int rc;

	memset(sim, 0, sizeof(*sim));
	sim->rng = seed * 0x2545f4914f6cdd1dull + 1;
	sim->prof = prof;
	sim->delay = prof->delay_min +
		     sim_rand(sim) % (prof->delay_max - prof->delay_min + 1);
	sim->dead_from = sim->dead_until = 0;
	if (prof->dead_max) {
		sim->dead_from = sim_rand(sim) % (2 * NSEC_PER_SEC);
		sim->dead_until = sim->dead_from + NSEC_PER_SEC +
				  sim_rand(sim) % prof->dead_max;
	}
	for (unsigned i = 0; i < 2; i++) {
		if (tmpl)
			cfg = *tmpl;
		else
			stack_config_defaults(&cfg);
		cfg.mac[0] = 0x02;
		cfg.mac[5] = (uint8_t)(i + 1);
		cfg.naddr = 1;
		cfg.addr[0].addr = sim_addr(i);
		cfg.addr[0].prefix = 24;
		hosts[i].sim = sim;
		hosts[i].idx = i;
		rc = stack_new(&sim->st[i], &cfg, &sim_ops, &hosts[i], 0);
		if (rc)
			return rc;
	}
	sim_learn_neighbours(sim);
	return 0;
}

void sim_fini(struct sim *sim)
{
	for (size_t i = 0; i < sim->nq; i++)
		free(sim->q[i]);
	free(sim->q);
	sim->q = NULL;
	sim->nq = sim->capq = 0;
	for (unsigned i = 0; i < 2; i++) {
		stack_free(sim->st[i]);
		sim->st[i] = NULL;
	}
}

static size_t sim_next_frame(const struct sim *sim)
{
	size_t best = 0;

	for (size_t i = 1; i < sim->nq; i++)
		if (sim->q[i]->at < sim->q[best]->at ||
		    (sim->q[i]->at == sim->q[best]->at &&
		     sim->q[i]->order < sim->q[best]->order))
			best = i;
	return best;
}

/**
 * sim_step() - run the earliest pending event
 * @sim: the simulation
 * @limit: do nothing later than this
 *
 * Return: true if something ran
 */
bool sim_step(struct sim *sim, uint64_t limit)
{
	uint64_t t0 = stack_timeout(sim->st[0], sim->now);
	uint64_t t1 = stack_timeout(sim->st[1], sim->now);
	uint64_t tf = UINT64_MAX, t;
	size_t fi = 0;

	if (sim->nq) {
		fi = sim_next_frame(sim);
		tf = sim->q[fi]->at;
	}
	t = tf < t0 ? tf : t0;
	t = t < t1 ? t : t1;
	if (t == UINT64_MAX || t > limit)
		return false;
	if (t > sim->now)
		sim->now = t;
	if (t == tf) {
		struct sim_frame *f = sim->q[fi];

		sim->q[fi] = sim->q[--sim->nq];
		sim->inflight[f->to]--;
		stack_input_copy(sim->st[f->to], 1, f->data, f->len, sim->now);
		free(f);
	} else {
		stack_timeout(sim->st[t == t0 ? 0 : 1], sim->now);
	}
	return true;
}
