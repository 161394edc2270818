/* SPDX-License-Identifier: MIT */
/* sim.c - the simulated link and virtual clock: see sim.h */
#include "sim.h"

#include "arp.h"
#include "eth.h"
#include "icmp6.h"
#include "ipv4.h"
#include "ipv6.h"

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

static uint32_t sim_addr4(unsigned i)
{
	return IPV4(10, 0, 0, 1 + i);
}

static struct ip_addr sim_addr6(unsigned i)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)(1 + i) };

	return ip6(a);
}

struct ip_addr sim_addr(const struct sim *sim, unsigned i)
{
	return sim->family == IP_V6 ? sim_addr6(i) : ip4(sim_addr4(i));
}

/*
 * The TCP segment in a frame, of either family: its addresses (IPv4 in
 * the first 4 bytes of 16) and where it starts. Return: the TCP bytes
 * (@tlen set), or NULL if the frame carries no whole TCP header
 */
static const uint8_t *sim_tcp_of(const uint8_t *f, size_t len,
				  uint8_t sa[16], uint8_t da[16],
				  size_t *tlen)
{
	size_t ihl;

	memset(sa, 0, 16);
	memset(da, 0, 16);
	if (len < 14 + 20)
		return NULL;
	if (get16(f + 12) == ETH_P_IP && f[14 + 9] == IP_PROTO_TCP) {
		ihl = (size_t)(f[14] & 0xf) * 4;
		if (ihl < 20 || get16(f + 16) < ihl + 20 ||
		    len < 14 + (size_t)get16(f + 16))
			return NULL;
		memcpy(sa, f + 14 + 12, 4);
		memcpy(da, f + 14 + 16, 4);
		*tlen = get16(f + 16) - ihl;
		return f + 14 + ihl;
	}
	if (get16(f + 12) == ETH_P_IPV6 && len >= 14 + IPV6_HLEN + 20 &&
	    f[14 + 6] == IP_PROTO_TCP && get16(f + 14 + 4) >= 20 &&
	    len >= 14 + IPV6_HLEN + (size_t)get16(f + 14 + 4)) {
		memcpy(sa, f + 14 + 8, 16);
		memcpy(da, f + 14 + 24, 16);
		*tlen = get16(f + 14 + 4);
		return f + 14 + IPV6_HLEN;
	}
	return NULL;
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
	const uint8_t *t;
	static const char fl[] = "FSRPAUEC";
	char flags[9];
	uint8_t sa[16], da[16];
	unsigned n = 0;
	size_t tlen;

	if (!sim->verbose || !(t = sim_tcp_of(f, len, sa, da, &tlen)))
		return;
	for (int i = 0; i < 8; i++)
		if (t[13] & (1 << i))
			flags[n++] = fl[i];
	flags[n] = 0;
	printf("%10.6f %s %c>%c %-4s seq %u ack %u win %u len %zu\n",
	       sim->now / 1e9, what, 'A' + from, 'A' + !from, flags,
	       get32(t + 4), get32(t + 8), get16(t + 14),
	       tlen - (size_t)(t[12] >> 4) * 4);
}

static struct sim_flow *sim_flow_find(struct sim *sim, const uint8_t *sa,
				       uint16_t sp, const uint8_t *da,
				       uint16_t dp)
{
	for (unsigned i = 0; i < sim->nflows; i++) {
		struct sim_flow *fl = &sim->flows[i];

		if (!memcmp(fl->saddr, sa, 16) && fl->sport == sp &&
		    !memcmp(fl->daddr, da, 16) && fl->dport == dp)
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
	size_t hl, tlen;
	const uint8_t *t;
	uint8_t sa[16], da[16];
	uint32_t edge;
	uint16_t sp, dp;
	struct sim_flow *fl, *rev;
	unsigned shift;

	if (!(t = sim_tcp_of(f, len, sa, da, &tlen)))
		return;
	hl = (size_t)(t[12] >> 4) * 4;
	if (hl < 20 || tlen < hl)
		return;
	sp = get16(t);
	dp = get16(t + 2);
	fl = sim_flow_find(sim, sa, sp, da, dp);
	if (t[13] & 0x02) {  /* SYN: a new incarnation of the pair */
		if (!fl && sim->nflows < SIM_MAX_FLOWS)
			fl = &sim->flows[sim->nflows++];
		if (!fl)
			return;
		*fl = (struct sim_flow){ .sport = sp, .dport = dp,
					 .ws = sim_syn_wscale(t, hl) };
		memcpy(fl->saddr, sa, 16);
		memcpy(fl->daddr, da, 16);
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
			   size_t len, const struct gso_tx *gso)
{
	struct sim_host *h = ctx;
	struct sim *sim = h->sim;
	const struct sim_profile *p = sim->prof;
	unsigned to = !h->idx;
	uint64_t at, ser;
	uint8_t buf[1600];

	if (sim->warmup)
		return 0;
	if (gso)        /* the simulated link declares no segmentation */
		return -EINVAL;
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
	/* corruption past the Ethernet header of IP frames only: a real
	 * link's FCS drops the rest, and ARP has no checksum of its own (an
	 * IPv6 header has none either: the upper layer's pseudo-header sum
	 * covers its addresses, length and next header) */
	if (len > 14 && (get16(buf + 12) == ETH_P_IP ||
			 get16(buf + 12) == ETH_P_IPV6) &&
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

/* Host @from's Neighbour Solicitation for host @to's address, with its
 * own link-layer address (RFC 4861 4.3): @to learns @from from it */
static size_t sim_ns(const struct sim *sim, unsigned from, unsigned to,
		     uint8_t *f)
{
	struct ip_addr src = sim_addr6(from), dst = sim_addr6(to);
	struct eth_hdr eh = { .type = ETH_P_IPV6 };
	struct ipv6_hdr ih = { .nh = IP6_NH_ICMPV6, .hlim = 255,
			       .plen = ICMP6_HLEN + 24 };
	uint8_t *m = f + ETH_HLEN + IPV6_HLEN;

	eh.dst[0] = 0x02;
	eh.dst[5] = (uint8_t)(to + 1);
	eh.src[0] = 0x02;
	eh.src[5] = (uint8_t)(from + 1);
	eth_build(f, &eh);
	memcpy(ih.src, src.v6, 16);
	memcpy(ih.dst, dst.v6, 16);
	ipv6_build(f + ETH_HLEN, &ih);
	memset(m, 0, ICMP6_HLEN + 24);
	memcpy(m + ICMP6_HLEN, dst.v6, 16);
	m[ICMP6_HLEN + 16] = ND_OPT_SLLA;
	m[ICMP6_HLEN + 17] = 1;
	memcpy(m + ICMP6_HLEN + 18, eh.src, ETH_ALEN);
	icmp6_build(m, ICMP6_HLEN + 24, &src, &dst,
		    &(struct icmp6_hdr){ .type = ND_NEIGHBOR_SOLICIT });
	return ETH_HLEN + IPV6_HLEN + ICMP6_HLEN + 24;
}

/*
 * The simulator tests TCP, not ARP or ND: each engine hears the other's
 * ARP request (IPv6: Neighbour Solicitation) before the faults start, so
 * a lossy link cannot fail a handshake through address resolution (which,
 * as in Linux, ends it with EHOSTUNREACH). The replies go nowhere and draw
 * no randomness, so the seeds' fates are unchanged.
 */
static void sim_learn_neighbours(struct sim *sim)
{
	for (unsigned i = 0; i < 2; i++) {
		unsigned from = !i;
		uint8_t f[ETH_HLEN + IPV6_HLEN + ICMP6_HLEN + 24];
		struct eth_hdr eh = { .type = ETH_P_ARP };
		struct arp_pkt a = { .op = ARP_OP_REQUEST,
				     .spa = sim_addr4(from),
				     .tpa = sim_addr4(i) };
		size_t n = ETH_HLEN + ARP_LEN;

		if (sim->family == IP_V6) {
			n = sim_ns(sim, from, i, f);
		} else {
			memset(eh.dst, 0xff, ETH_ALEN);
			eh.src[0] = a.sha[0] = 0x02;
			eh.src[5] = a.sha[5] = (uint8_t)(from + 1);
			eth_build(f, &eh);
			arp_build(f + ETH_HLEN, &a);
		}
		sim->warmup = true;
		stack_input_copy(sim->st[i], 1, f, n, 0);
		sim->warmup = false;
	}
}

/**
 * sim_init() - two engines on one simulated link
 * @sim: zeroed by the caller or not; set up here
 * @prof: the fault profile
 * @seed: the seed everything derives from
 * @tmpl: engine configuration to start from (NULL: defaults)
 * @family: IP_V4 or IP_V6, the run's
 *
 * Both engines have both families' addresses (IPv6 ones usable at once:
 * no DAD, no router solicitation; what they say as they start goes
 * nowhere).
 *
 * Return: 0 or a negative errno
 */
int sim_init(struct sim *sim, const struct sim_profile *prof, uint64_t seed,
	     const struct stack_config *tmpl, uint8_t family)
{
	struct stack_config cfg;
	int rc;

	memset(sim, 0, sizeof(*sim));
	sim->rng = seed * 0x2545f4914f6cdd1dull + 1;
	sim->prof = prof;
	sim->family = family;
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
		cfg.addr[0].addr = sim_addr4(i);
		cfg.addr[0].prefix = 24;
		cfg.naddr6 = 1;
		memcpy(cfg.addr6[0].addr, sim_addr6(i).v6, 16);
		cfg.addr6[0].prefix = 64;
		cfg.dad_transmits = 0;
		cfg.rtr_solicits = 0;
		hosts[i].sim = sim;
		hosts[i].idx = i;
		rc = stack_new(&sim->st[i], &cfg, &sim_ops, &hosts[i], 0);
		if (rc)
			return rc;
		if (family == IP_V6) {
			sim->warmup = true;
			stack_start(sim->st[i], 0);
			sim->warmup = false;
		}
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
