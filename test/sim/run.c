/* SPDX-License-Identifier: MIT */
/*
 * run.c - whole transfers over the simulated link, many seeds per profile
 *
 * Each seed: host 1 listens, host 0 connects (once, or several times at
 * once in the multi profile); both send a seeded amount
 * of seeded bytes at once, shut down their sending side when done, and
 * read until end of stream. In the echo profiles the server sends back
 * what it reads, reading only what its send buffer takes (an asyncio
 * echo that awaits drain()), while the client sends and reads at once:
 * bulk both ways with both receive rings full (issue 8 item 6). A seed passes when every byte arrived exactly
 * once and in order on both sides, both connections went through
 * ESTABLISHED and ended in CLOSED without an error, at least one side
 * passed through TIME_WAIT and a side that did not went through LAST_ACK
 * (RFC 9293 3.6), and nothing is left: no socket, no buffer memory, no
 * packet buffer; and no host ever moved the right edge of the window it
 * offers back (RFC 9293 3.8.6 SHLD-14; sim.c watches every segment). Each profile's line sums the loss-recovery counters of
 * its seeds (retransmissions, fast retransmits, RTOs, D-SACKs, RACK
 * marks, rescues); a profile that names another in .compare (RACK
 * against DupThresh, on reordering without loss) fails unless it
 * retransmitted less in all (in each family).
 *
 * Every profile runs over IPv4 and over IPv6, every seed both ways: the
 * family is a property of the run (sim_init), TCP is the same.
 *
 *   sim-tests                          every profile, SIM_SEEDS seeds
 *                                      (1000) per family, then the scale
 *                                      run (SIM_SCALE connections, 100000)
 *
 * The scale run (issue 11): host 0 opens SIM_SCALE connections to two
 * listeners of host 1 (a port has 64,512 ephemeral ports to come from),
 * in batches, and holds them idle, each after one byte each way. It
 * prints the engines' memory growth per connection (mallinfo2() and the
 * slabs the connections live in: both sockets of a connection, divided
 * by two) and the time of a lookup by
 * 4-tuple, and fails if a connection failed or if the memory per idle
 * socket exceeds SIM_CONN_BYTES, the figure ustack(7) documents.
 *   sim-tests PROFILE SEED [-6] [-v]   replay one seed (-6: over IPv6)
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "slab.h"
#include "tcp.h"
#include "tcp_impl.h"

#define MSEC NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

#define LINK .delay_min = 1 * MSEC, .delay_max = 20 * MSEC, .bandwidth = 1250000

static const struct sim_profile profiles[] = {
	{ .name = "clean", LINK },
	{ .name = "loss1", LINK, .loss_ppm = 10000, .queue_limit = 64 },
	{ .name = "loss10-reorder-dup", LINK, .loss_ppm = 100000,
	  .dup_ppm = 20000, .reorder_ppm = 50000, .queue_limit = 64 },
	{ .name = "corrupt", LINK, .corrupt_ppm = 30000 },
	{ .name = "dead-link", LINK, .dead_max = 8 * SEC },
	/* a few long transfers: big windows, autotuning, CUBIC, many SACKs */
	{ .name = "bulk-loss1", .delay_min = 5 * MSEC, .delay_max = 30 * MSEC,
	  .bandwidth = 12500000, .loss_ppm = 10000, .reorder_ppm = 10000,
	  .queue_limit = 200, .max_bytes = 4000000, .seeds = 40 },
	/* four connections at once sharing a lossy, reordering link */
	{ .name = "multi-loss3", LINK, .loss_ppm = 30000, .reorder_ppm = 20000,
	  .dup_ppm = 10000, .queue_limit = 64, .conns = 4, .max_bytes = 40000 },
	/* reordering and no loss: every retransmission is spurious; RACK
	 * (RFC 8985) must make fewer of them than DupThresh does. Mild: on
	 * a fast link, one frame in 20 late by up to a quarter of the
	 * one-way delay (within RACK's reo_wnd, min_RTT / 4, but many
	 * segments deep); heavy: one in 5 late by up to an RTT */
	{ .name = "reorder-mild-dupthresh", .delay_min = 5 * MSEC,
	  .delay_max = 30 * MSEC, .bandwidth = 12500000, .reorder_ppm = 50000,
	  .reorder_pct = 25, .queue_limit = 400, .max_bytes = 2000000,
	  .seeds = 40, .no_rack = true },
	{ .name = "reorder-mild-rack", .delay_min = 5 * MSEC,
	  .delay_max = 30 * MSEC, .bandwidth = 12500000, .reorder_ppm = 50000,
	  .reorder_pct = 25, .queue_limit = 400, .max_bytes = 2000000,
	  .seeds = 40, .compare = "reorder-mild-dupthresh" },
	{ .name = "reorder-dupthresh", LINK, .reorder_ppm = 200000,
	  .queue_limit = 200, .max_bytes = 300000, .seeds = 200,
	  .no_rack = true },
	{ .name = "reorder-rack", LINK, .reorder_ppm = 200000,
	  .queue_limit = 200, .max_bytes = 300000, .seeds = 200,
	  .compare = "reorder-dupthresh" },
	/* heavy reordering with some loss, both ways, for the figures (a
	 * retransmission can be needed here, so nothing is compared) */
	{ .name = "reorder-loss-dupthresh", LINK, .reorder_ppm = 200000,
	  .loss_ppm = 10000, .queue_limit = 200, .max_bytes = 300000,
	  .seeds = 200, .no_rack = true },
	{ .name = "reorder-loss-rack", LINK, .reorder_ppm = 200000,
	  .loss_ppm = 10000, .queue_limit = 200, .max_bytes = 300000,
	  .seeds = 200 },
	/* an echo of up to 200 KB, sent and read at once: both rings fill,
	 * the windows close and open both ways (issue 8 item 6); clean,
	 * and with some loss and reordering */
	{ .name = "echo-bulk", .delay_min = 1 * MSEC, .delay_max = 10 * MSEC,
	  .bandwidth = 12500000, .queue_limit = 200, .max_bytes = 200000,
	  .echo = true },
	{ .name = "echo-bulk-loss1", .delay_min = 1 * MSEC,
	  .delay_max = 10 * MSEC, .bandwidth = 12500000, .loss_ppm = 10000,
	  .reorder_ppm = 10000, .queue_limit = 200, .max_bytes = 200000,
	  .echo = true },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

/* Per profile, summed over its seeds and both hosts. */
struct totals {
	uint64_t retrans, dsacks, rack_lost, fast_retrans, rto, rescues;
};

static struct totals totals[2][NPROFILES];   /* IPv4, IPv6 */

struct app {
	struct tcp_sock *sk;
	uint64_t seed;
	size_t to_send, sent, to_recv, recvd;
	bool shut, eof, failed, echo;
	unsigned visited;                /* bit per enum tcp_state */
	char why[128];
};

/* The bytes of a stream: a keyed function of their offset, made 8 at a
 * time (host byte order: both ends run on the same host). */
static void pattern(uint64_t seed, size_t off, uint8_t *buf, size_t n)
{
	size_t w = off / 8, skip = off % 8, i = 0;

	while (i < n) {
		uint64_t z = seed * 0x9e3779b97f4a7c15ull + w++;
		size_t k = 8 - skip < n - i ? 8 - skip : n - i;

		z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
		memcpy(buf + i, (uint8_t *)&z + skip, k);
		i += k;
		skip = 0;
	}
}

static void app_fail(struct app *a, const char *why, long v)
{
	if (!a->failed)
		snprintf(a->why, sizeof(a->why), "%s (%ld)", why, v);
	a->failed = true;
}

/* Check @n bytes read at the stream offset a->recvd against the peer's
 * pattern. Return: false (and the app failed) if one differs. */
static bool app_check(struct app *a, const struct app *peer,
		      const uint8_t *buf, size_t n)
{
	uint8_t expect[8192];

	pattern(peer->seed, a->recvd, expect, n);
	for (size_t i = 0; memcmp(buf, expect, n) && i < n; i++)
		if (buf[i] != expect[i]) {
			app_fail(a, "wrong byte at", (long)(a->recvd + i));
			return false;
		}
	a->recvd += n;
	if (a->recvd > a->to_recv)
		app_fail(a, "too many bytes", (long)a->recvd);
	return !a->failed;
}

/* The echo server: read what the send buffer can take, send it back. */
static void app_echo(struct app *a, struct app *peer, uint64_t now)
{
	uint8_t buf[8192];
	ssize_t n;

	while (!a->eof) {
		size_t room = tcp_send_space(a->sk);

		if (room > sizeof(buf))
			room = sizeof(buf);
		if (room == 0 && tcp_recv_avail(a->sk))
			break;  /* drain() waits: nothing read meanwhile */
		n = tcp_recv(a->sk, buf, room ? room : 1, 0, now);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			app_fail(a, "recv failed", n);
			return;
		}
		if (n == 0) {
			a->eof = true;
			if (a->recvd != a->to_recv)
				app_fail(a, "early end of stream at", (long)a->recvd);
			break;
		}
		if (!app_check(a, peer, buf, (size_t)n))
			return;
		if (tcp_send(a->sk, buf, (size_t)n, now) != n) {
			app_fail(a, "echo send short", n);
			return;
		}
		a->sent += (size_t)n;
	}
	if (a->eof && !a->shut) {
		if (tcp_shutdown(a->sk, TCP_SHUT_WR, now))
			app_fail(a, "shutdown failed", 0);
		a->shut = true;
	}
	a->visited |= 1u << tcp_sock_state(a->sk);
}

static void app_pump(struct app *a, struct app *peer, uint64_t now)
{
	uint8_t buf[8192];
	ssize_t n;

	if (!a->sk || a->failed)
		return;
	a->visited |= 1u << tcp_sock_state(a->sk);
	if (a->echo) {
		app_echo(a, peer, now);
		return;
	}
	while (a->sent < a->to_send) {
		size_t want = a->to_send - a->sent, room = tcp_send_space(a->sk);

		if (want > sizeof(buf))
			want = sizeof(buf);
		if (want > room)
			want = room;
		if (want == 0)
			break;
		pattern(a->seed, a->sent, buf, want);
		n = tcp_send(a->sk, buf, want, now);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			app_fail(a, "send failed", n);
			return;
		}
		a->sent += (size_t)n;
	}
	if (a->sent == a->to_send && !a->shut &&
	    tcp_sock_state(a->sk) >= TCP_ESTABLISHED) {
		if (tcp_shutdown(a->sk, TCP_SHUT_WR, now))
			app_fail(a, "shutdown failed", 0);
		a->shut = true;
	}
	while (!a->eof) {
		n = tcp_recv(a->sk, buf, sizeof(buf), 0, now);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			app_fail(a, "recv failed", n);
			return;
		}
		if (n == 0) {
			a->eof = true;
			if (a->recvd != a->to_recv)
				app_fail(a, "early end of stream at", (long)a->recvd);
			break;
		}
		if (!app_check(a, peer, buf, (size_t)n))
			return;
	}
	a->visited |= 1u << tcp_sock_state(a->sk);
}

static int check_end(struct sim *sim, struct app *a, int side, char *why,
		     size_t whylen)
{
	const char *name = side ? "server" : "client";

	if (a->failed) {
		snprintf(why, whylen, "%s: %s", name, a->why);
		return -1;
	}
	if (!a->sk) {
		snprintf(why, whylen, "%s: never connected", name);
		return -1;
	}
	if (!a->eof || a->recvd != a->to_recv || a->sent != a->to_send) {
		snprintf(why, whylen, "%s: incomplete: sent %zu/%zu recvd %zu/%zu eof %d state %s",
			 name, a->sent, a->to_send, a->recvd, a->to_recv, a->eof,
			 tcp_state_name(tcp_sock_state(a->sk)));
		return -1;
	}
	if (tcp_sock_state(a->sk) != TCP_CLOSED || tcp_sock_error(a->sk)) {
		snprintf(why, whylen, "%s: ended in %s", name,
			 tcp_state_name(tcp_sock_state(a->sk)));
		return -1;
	}
	/* a handshake's last ACK lost, then data with FIN: ESTABLISHED and
	 * CLOSE_WAIT can pass within one segment, before the app looks */
	if (!(a->visited & (1u << TCP_ESTABLISHED | 1u << TCP_CLOSE_WAIT))) {
		snprintf(why, whylen, "%s: never ESTABLISHED", name);
		return -1;
	}
	return 0;
}

#define MAXCONN 4

static void dump_counters(struct sim *sim)
{
	for (int i = 0; i < 2; i++) {
		const struct stack_counters *c = stack_counters(sim->st[i]);

		printf("host %c:", 'A' + i);
		for (unsigned k = 0; k < stack_counter_count; k++) {
			uint64_t v = *(const uint64_t *)(const void *)
				((const char *)c + stack_counter_desc[k].offset);

			if (v)
				printf(" %s_%s=%llu", stack_counter_desc[k].group,
				       stack_counter_desc[k].name,
				       (unsigned long long)v);
		}
		printf("\n");
	}
}

/* RFC 9293 3.6: the side that closed first went through TIME_WAIT; a
 * side that did not, through LAST_ACK (both through TIME_WAIT when the
 * FINs crossed). */
static int check_pair(struct sim *sim, struct app *a, char *why,
		      size_t whylen)
{
	if (check_end(sim, &a[0], 0, why, whylen) ||
	    check_end(sim, &a[1], 1, why, whylen))
		return -1;
	if (!((a[0].visited | a[1].visited) & (1u << TCP_TIME_WAIT))) {
		snprintf(why, whylen, "no side went through TIME_WAIT");
		return -1;
	}
	for (int i = 0; i < 2; i++)
		if (!(a[i].visited & (1u << TCP_TIME_WAIT)) &&
		    !(a[i].visited & (1u << TCP_LAST_ACK))) {
			snprintf(why, whylen, "%s closed without TIME_WAIT or LAST_ACK",
				 i ? "server" : "client");
			return -1;
		}
	return 0;
}

/* Hand an accepted child to the server app of its client (by port). */
static void accept_all(struct tcp_sock *l, struct app (*p)[2], unsigned n)
{
	struct tcp_sock *c;

	while (l && tcp_accept(l, &c) == 0) {
		struct ip_addr addr;
		uint16_t port, cport;

		tcp_getpeername(c, &addr, &port);
		for (unsigned k = 0; k < n; k++) {
			tcp_getsockname(p[k][0].sk, &addr, &cport);
			if (cport == port && !p[k][1].sk) {
				p[k][1].sk = c;
				c = NULL;
				break;
			}
		}
		if (c)
			tcp_abort(c, 0);
	}
}

static uint64_t counter(struct sim *sim, int host, const char *name)
{
	const struct stack_counters *c = stack_counters(sim->st[host]);

	for (unsigned k = 0; k < stack_counter_count; k++) {
		char full[96];

		snprintf(full, sizeof(full), "%s_%s", stack_counter_desc[k].group,
			 stack_counter_desc[k].name);
		if (!strcmp(full, name))
			return *(const uint64_t *)(const void *)
				((const char *)c + stack_counter_desc[k].offset);
	}
	return 0;
}

static void add_totals(struct sim *sim, struct totals *t)
{
	for (int i = 0; i < 2; i++) {
		t->retrans += counter(sim, i, "tcp_retrans_segs");
		t->dsacks += counter(sim, i, "tcp_dsack_rcvd");
		t->rack_lost += counter(sim, i, "tcp_rack_lost");
		t->fast_retrans += counter(sim, i, "tcp_fast_retrans");
		t->rto += counter(sim, i, "tcp_rto_timeouts");
		t->rescues += counter(sim, i, "tcp_rescue_rtx");
	}
}

static int run_seed(const struct sim_profile *prof, uint64_t seed,
		    uint8_t family, bool verbose, char *why, size_t whylen,
		    struct totals *tot)
{
	struct sim sim;
	struct tcp_sock *l = NULL;
	struct app p[MAXCONN][2];
	unsigned n = prof->conns ? prof->conns : 1, accepted = 0;
	uint64_t limit = 1800 * SEC;
	struct stack_config cfg;
	int rc = -1;

	/* small initial buffers: autotuning has to grow them, and the
	 * windows close now and then */
	stack_config_defaults(&cfg);
	cfg.tcp_sndbuf = cfg.tcp_rcvbuf = 16384;
	cfg.tcp_rack = !prof->no_rack;
	if (sim_init(&sim, prof, seed, &cfg, family)) {
		snprintf(why, whylen, "sim_init failed");
		sim_fini(&sim);
		return -1;
	}
	sim.verbose = verbose;
	memset(p, 0, sizeof(p));
	if (tcp_open(sim.st[1], family, &l, sim.now) ||
	    tcp_bind(l, NULL, 80) ||
	    tcp_listen(l, MAXCONN, sim.now)) {
		snprintf(why, whylen, "setup failed");
		goto out;
	}
	for (unsigned k = 0; k < n; k++) {
		uint32_t max = prof->max_bytes ? prof->max_bytes : 100000;
		struct ip_addr dst = sim_addr(&sim, 1);

		p[k][0].seed = seed * 8 + 2 * k + 1;
		p[k][1].seed = seed * 8 + 2 * k + 2;
		p[k][0].to_send = p[k][1].to_recv = sim_rand(&sim) % max;
		p[k][1].to_send = p[k][0].to_recv = sim_rand(&sim) % max;
		if (prof->echo) {
			/* the server sends back the client's own bytes */
			p[k][1].to_send = p[k][0].to_recv = p[k][0].to_send;
			p[k][1].seed = p[k][0].seed;
			p[k][1].echo = true;
		}
		if (tcp_open(sim.st[0], family, &p[k][0].sk, sim.now) ||
		    tcp_connect(p[k][0].sk, &dst, 80, 0) != -EINPROGRESS) {
			snprintf(why, whylen, "connect failed");
			goto out;
		}
	}
	while (sim_step(&sim, limit)) {
		if (l && accepted < n) {
			accept_all(l, p, n);
			accepted = 0;
			for (unsigned k = 0; k < n; k++)
				accepted += p[k][1].sk != NULL;
		}
		if (l && accepted == n) {
			tcp_close(l, sim.now);
			l = NULL;
		}
		for (unsigned k = 0; k < n; k++) {
			app_pump(&p[k][0], &p[k][1], sim.now);
			app_pump(&p[k][1], &p[k][0], sim.now);
		}
	}
	if (verbose) {
		printf("end at %.3f s, frames %llu dropped %llu, delay %llu us\n",
		       sim.now / 1e9, (unsigned long long)sim.frames,
		       (unsigned long long)sim.dropped,
		       (unsigned long long)(sim.delay / 1000));
		dump_counters(&sim);
	}
	if (tot)
		add_totals(&sim, tot);
	for (unsigned k = 0; k < n; k++)
		if (check_pair(&sim, p[k], why, whylen))
			goto out;
	if (sim.shrinks) {
		snprintf(why, whylen, "%u windows shrunk: %s", sim.shrinks,
			 sim.shrink_why);
		goto out;
	}
	rc = 0;
out:
	for (unsigned k = 0; k < n; k++)
		for (int i = 0; i < 2; i++)
			if (p[k][i].sk)
				tcp_close(p[k][i].sk, sim.now);
	if (l)
		tcp_close(l, sim.now);
	for (int i = 0; i < 2 && rc == 0; i++) {
		const struct pbuf_pool *pool = stack_pool(sim.st[i]);

		stack_timeout(sim.st[i], sim.now);
		if (tcp_sock_count(sim.st[i]) || tcp_mem_in_use(sim.st[i]) ||
		    pool->live) {
			snprintf(why, whylen, "host %d left %u sockets, %zu buffer bytes, %llu pbufs",
				 i, tcp_sock_count(sim.st[i]), tcp_mem_in_use(sim.st[i]),
				 (unsigned long long)pool->live);
			rc = -1;
		}
	}
	sim_fini(&sim);
	return rc;
}

static const char *family_name(unsigned f)
{
	return f ? "v6" : "v4";
}

/* A profile that names another must retransmit less than it did, over
 * the same family. */
static unsigned compare(size_t p, unsigned f)
{
	const struct totals *t = totals[f];

	for (size_t q = 0; q < p && profiles[p].compare; q++) {
		if (strcmp(profiles[q].name, profiles[p].compare))
			continue;
		if (t[p].retrans < t[q].retrans)
			return 0;
		printf("FAIL %s/%s: %llu retransmissions, not fewer than %s's %llu\n",
		       profiles[p].name, family_name(f),
		       (unsigned long long)t[p].retrans, profiles[q].name,
		       (unsigned long long)t[q].retrans);
		return 1;
	}
	return 0;
}

/* One profile over one family: every seed. Return: seeds failed */
static unsigned run_profile(size_t p, unsigned f, unsigned seeds,
			    unsigned *passed)
{
	unsigned pf = 0, n = profiles[p].seeds ? profiles[p].seeds : seeds;
	uint8_t family = f ? IP_V6 : IP_V4;
	struct timespec tp, t1;
	struct totals *t = &totals[f][p];
	char why[256];

	clock_gettime(CLOCK_MONOTONIC, &tp);
	for (uint64_t seed = 1; seed <= n; seed++) {
		if (run_seed(&profiles[p], seed, family, false, why,
			     sizeof(why), t)) {
			if (pf++ < 5)
				printf("FAIL %s/%s seed %llu: %s (replay: sim-tests %s %llu%s -v)\n",
				       profiles[p].name, family_name(f),
				       (unsigned long long)seed, why,
				       profiles[p].name, (unsigned long long)seed,
				       f ? " -6" : "");
		} else {
			(*passed)++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("profile %-22s %s %4u seeds, %u failed (%.1f s): %llu retransmitted, %llu fast retransmits, %llu RTOs, %llu D-SACKs, %llu RACK-lost, %llu rescues\n",
	       profiles[p].name, family_name(f), n, pf,
	       (double)(t1.tv_sec - tp.tv_sec) + (t1.tv_nsec - tp.tv_nsec) / 1e9,
	       (unsigned long long)t->retrans,
	       (unsigned long long)t->fast_retrans,
	       (unsigned long long)t->rto, (unsigned long long)t->dsacks,
	       (unsigned long long)t->rack_lost,
	       (unsigned long long)t->rescues);
	return pf + compare(p, f);
}

/* Replay one seed: PROFILE SEED [-6] [-v]. Return: the exit status */
static int replay(int argc, char **argv)
{
	bool verbose = false;
	uint8_t family = IP_V4;
	char why[256];

	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "-6"))
			family = IP_V6;
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
	}
	for (size_t p = 0; p < NPROFILES; p++) {
		if (strcmp(profiles[p].name, argv[1]))
			continue;
		if (run_seed(&profiles[p], strtoull(argv[2], NULL, 10), family,
			     verbose, why, sizeof(why), NULL)) {
			printf("FAIL %s seed %s: %s\n", argv[1], argv[2], why);
			printf("0 passed, 1 failed\n");
			return 1;
		}
		printf("1 passed, 0 failed\n");
		return 0;
	}
	fprintf(stderr, "unknown profile %s\n", argv[1]);
	return 2;
}

#define SIM_CONN_BYTES 850       /* ustack(7) MEMORY AND SCALE */

static const struct sim_profile scale_prof = {
	.name = "scale", .delay_min = 100000, .delay_max = 100000,
	.bandwidth = 125000000,
};

/* Step until nothing is due within 1 s of simulated time. */
static void settle(struct sim *sim)
{
	uint64_t until = sim->now + SEC;

	while (sim_step(sim, until))
		;
}

static unsigned scale_run(unsigned n, unsigned *passed)
{
	struct sim sim;
	struct stack_config cfg;
	struct tcp_sock *l[2] = { NULL, NULL }, **cl, **sv;
	unsigned nsv = 0, bad = 0;
	size_t before, after;
	struct timespec t0, t1;
	char b;
	uint64_t found = 0;

	stack_config_defaults(&cfg);
	cfg.tcp_max_socks = 2 * n + 16;
	cfg.tcp_port_lo = 1024;
	cfg.tcp_port_hi = 65535;
	cfg.tcp_somaxconn = 4096;
	cfg.tcp_max_syn_backlog = 4096;
	cl = calloc(n, sizeof(*cl));
	sv = calloc(n, sizeof(*sv));
	if (!cl || !sv || sim_init(&sim, &scale_prof, 1, &cfg, IP_V4)) {
		printf("FAIL scale: setup\n");
		return 1;
	}
	for (int k = 0; k < 2; k++)
		if (tcp_open(sim.st[1], IP_V4, &l[k], sim.now) ||
		    tcp_bind(l[k], NULL, (uint16_t)(80 + k)) ||
		    tcp_listen(l[k], 4096, sim.now))
			bad++;
	before = mallinfo2().uordblks + slab_mapped_bytes();
	for (unsigned i = 0; i < n && !bad; i += 1000) {
		unsigned end = i + 1000 < n ? i + 1000 : n;
		struct ip_addr dst = sim_addr(&sim, 1);

		for (unsigned k = i; k < end; k++)
			if (tcp_open(sim.st[0], IP_V4, &cl[k], sim.now) ||
			    tcp_connect(cl[k], &dst, (uint16_t)(80 + k % 2),
					sim.now) != -EINPROGRESS)
				bad++;
		settle(&sim);
		for (int k = 0; k < 2; k++)
			while (nsv < n && tcp_accept(l[k], &sv[nsv]) == 0)
				nsv++;
		/* one byte each way, read: the connection has been used */
		for (unsigned k = i; k < end; k++)
			if (tcp_send(cl[k], "x", 1, sim.now) != 1)
				bad++;
		settle(&sim);
		for (unsigned k = i; k < nsv; k++)
			if (tcp_recv(sv[k], &b, 1, 0, sim.now) != 1 ||
			    tcp_send(sv[k], "y", 1, sim.now) != 1)
				bad++;
		settle(&sim);
		for (unsigned k = i; k < end; k++)
			if (tcp_recv(cl[k], &b, 1, 0, sim.now) != 1)
				bad++;
	}
	settle(&sim);           /* delayed ACKs out */
	after = mallinfo2().uordblks + slab_mapped_bytes();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned k = 0; k < nsv; k++) {
		struct ip_addr la, ra;
		uint16_t lp, rp;

		tcp_getsockname(sv[k], &la, &lp);
		tcp_getpeername(sv[k], &ra, &rp);
		found += tcp_lookup_conn(sim.st[1], &la, lp, &ra, rp) == sv[k];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		double per = (double)(after - before) / (2.0 * n);
		double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
			     (double)(t1.tv_nsec - t0.tv_nsec)) / (nsv ? nsv : 1);
		bool sized = after > before;    /* 0 under ASan's malloc */

		printf("scale: %u connections held (%u accepted, %u errors), %.0f bytes per idle socket (at most %d), TCP buffers in use %zu + %zu, lookup %.0f ns\n",
		       n, nsv, bad, sized ? per : 0.0, SIM_CONN_BYTES,
		       tcp_mem_in_use(sim.st[0]), tcp_mem_in_use(sim.st[1]), ns);
		if (bad || nsv != n || found != nsv ||
		    tcp_mem_in_use(sim.st[0]) || tcp_mem_in_use(sim.st[1]) ||
		    (sized && per > SIM_CONN_BYTES)) {
			printf("FAIL scale\n");
			bad++;
		} else {
			(*passed)++;
		}
	}
	for (unsigned k = 0; k < n; k++)
		if (cl[k])
			tcp_abort(cl[k], sim.now);
	for (unsigned k = 0; k < nsv; k++)
		tcp_abort(sv[k], sim.now);
	for (int k = 0; k < 2; k++)
		if (l[k])
			tcp_close(l[k], sim.now);
	sim_fini(&sim);
	free(cl);
	free(sv);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned seeds = 1000, passed = 0, failed = 0;
	const char *env = getenv("SIM_SEEDS");
	struct timespec t0, t1;

	if (env)
		seeds = (unsigned)strtoul(env, NULL, 10);
	if (argc >= 3)
		return replay(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t p = 0; p < NPROFILES; p++)
		for (unsigned f = 0; f < 2; f++)
			failed += run_profile(p, f, seeds, &passed);
	env = getenv("SIM_SCALE");
	failed += scale_run(env ? (unsigned)strtoul(env, NULL, 10) : 100000,
			    &passed);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("sim: %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) +
				(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
