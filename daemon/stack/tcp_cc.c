/* SPDX-License-Identifier: MIT */
/*
 * tcp_cc.c - congestion control behind struct tcp_cc_ops
 *
 * Theory of operation: the loss recovery code (tcp_in.c) owns the
 * mechanics of RFC 5681 (when to retransmit, when recovery starts and
 * ends, cwnd during recovery); an algorithm here decides only how cwnd
 * grows on new ACKs outside recovery and what ssthresh becomes after a
 * loss. Both start from the initial window of RFC 6928 (10 segments).
 *
 *   NewReno: RFC 5681 3.1 slow start and congestion avoidance, with
 *            appropriate byte counting (RFC 3465) in congestion avoidance.
 *   CUBIC:   RFC 9438, the default (as in Linux): W_cubic(t) =
 *            C * (t - K)^3 + W_max, C = 0.4, beta_cubic = 0.7, with the
 *            Reno-friendly region (4.3) and fast convergence (4.7).
 */
#include <errno.h>
#include <string.h>

#include "stack_impl.h"
#include "tcp_impl.h"

struct reno_priv {
	uint32_t acc;            /* bytes acked toward the next cwnd step */
};

/* floats: a window in segments (exact to 16M) and K in seconds need no
 * more, and the connection is 16 bytes smaller (issue 11) */
struct cubic_priv {
	uint64_t epoch;          /* start of this congestion epoch, 0: none */
	uint32_t acc;            /* bytes toward the next cwnd step */
	float w_max;             /* segments */
	float k;                 /* seconds */
	float origin;            /* segments */
	float w_est;             /* segments, Reno-friendly estimate */
};

_Static_assert(sizeof(struct cubic_priv) <= TCP_CC_PRIV, "cc private area");

/* RFC 5681 3.1: slow start; returns the acked bytes it did not use. */
static uint32_t tcp_slow_start(struct tcp_sock *sk, uint32_t acked)
{
	uint32_t room;

	if (sk->cwnd >= sk->ssthresh)
		return acked;
	room = sk->ssthresh - sk->cwnd;
	if (acked <= room) {
		sk->cwnd += acked;
		return 0;
	}
	sk->cwnd = sk->ssthresh;
	return acked - room;
}

static void reno_init(struct tcp_sock *sk)
{
	memset(sk->cc_priv, 0, sizeof(sk->cc_priv));
}

static void reno_on_ack(struct tcp_sock *sk, uint32_t acked, uint64_t now)
{
	struct reno_priv *r = (struct reno_priv *)sk->cc_priv;

	acked = tcp_slow_start(sk, acked);
	if (!acked)
		return;
	/* RFC 5681 3.1 eq. 3 by byte counting: one MSS per cwnd acked */
	r->acc += acked;
	if (r->acc >= sk->cwnd) {
		r->acc -= sk->cwnd;
		sk->cwnd += sk->mss;
	}
}

/*
 * Linux's tcp_reno_ssthresh(): half the congestion window in whole
 * segments, at least 2 ("max(tcp_snd_cwnd(tp) >> 1U, 2U)"), where RFC
 * 5681 eq. 4 says FlightSize / 2: the same while the window is full, more
 * when the sender was not using all of it.
 */
static uint32_t reno_ssthresh(struct tcp_sock *sk, uint64_t now)
{
	uint32_t half = sk->cwnd / sk->mss / 2;

	return (half > 2u ? half : 2u) * sk->mss;
}

const struct tcp_cc_ops tcp_newreno_ops = {
	.name = "reno",
	.init = reno_init,
	.on_ack = reno_on_ack,
	.ssthresh = reno_ssthresh,
};

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

static double cubic_cbrt(double x)
{
	double y = x > 1 ? x / 3 : 1;

	if (x <= 0)
		return 0;
	for (int i = 0; i < 60; i++) {
		double ny = (2 * y + x / (y * y)) / 3;

		if (ny == y)
			break;
		y = ny;
	}
	return y;
}

static void cubic_init(struct tcp_sock *sk)
{
	memset(sk->cc_priv, 0, sizeof(sk->cc_priv));
}

/* RFC 9438 4.2: a new epoch starts at the first ACK after a loss. */
static void cubic_epoch(struct tcp_sock *sk, struct cubic_priv *c,
			double cwnd, uint64_t now)
{
	c->epoch = now ? now : 1;
	if (cwnd < c->w_max) {
		/* eq. 2: K = cubic_root((W_max - cwnd_epoch) / C) */
		c->k = cubic_cbrt((c->w_max - cwnd) / CUBIC_C);
		c->origin = c->w_max;
	} else {
		c->k = 0;
		c->origin = cwnd;
	}
	c->w_est = cwnd;
}

static void cubic_on_ack(struct tcp_sock *sk, uint32_t acked, uint64_t now)
{
	struct cubic_priv *c = (struct cubic_priv *)sk->cc_priv;
	double mss = sk->mss, cwnd, t, target, segs;

	acked = tcp_slow_start(sk, acked);
	if (!acked)
		return;
	cwnd = sk->cwnd / mss;
	if (!c->epoch)
		cubic_epoch(sk, c, cwnd, now);
	/* eq. 1, evaluated one RTT ahead (4.4) */
	t = (double)(now - c->epoch + tcp_srtt(sk)) / 1e9;
	target = c->origin + CUBIC_C * (t - c->k) * (t - c->k) * (t - c->k);
	if (target < cwnd)
		target = cwnd;
	if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	/* 4.3: W_est += alpha_cubic * segments_acked / cwnd */
	segs = acked / mss;
	c->w_est += 3 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) * segs / cwnd;
	if (c->w_est > target)
		target = c->w_est;
	/* 4.4: cwnd grows by (target - cwnd) / cwnd per acked segment */
	c->acc += (uint32_t)((target - cwnd) / cwnd * acked);
	if (c->acc >= sk->mss) {
		uint32_t inc = c->acc / sk->mss * sk->mss;

		c->acc -= inc;
		sk->cwnd += (uint32_t)inc;
	}
}

static uint32_t cubic_ssthresh(struct tcp_sock *sk, uint64_t now)
{
	struct cubic_priv *c = (struct cubic_priv *)sk->cc_priv;
	double cwnd = (double)sk->cwnd / sk->mss;
	uint32_t th;

	c->epoch = 0;
	/* 4.7 fast convergence */
	if (cwnd < c->w_max)
		c->w_max = cwnd * (1 + CUBIC_BETA) / 2;
	else
		c->w_max = cwnd;
	/* 4.6: ssthresh = cwnd * beta_cubic, as Linux's
	 * bictcp_recalc_ssthresh() in whole segments: cwnd * 717 / 1024,
	 * at least 2 (RFC 9438 would take the flight size) */
	th = sk->cwnd / sk->mss * 717u / 1024u;
	return (th > 2u ? th : 2u) * sk->mss;
}

const struct tcp_cc_ops tcp_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.ssthresh = cubic_ssthresh,
};

static const struct tcp_cc_ops *tcp_cc_ops_of(enum tcp_cc_algo algo)
{
	return algo == TCP_CC_NEWRENO ? &tcp_newreno_ops : &tcp_cubic_ops;
}

/**
 * tcp_cc_name() - see tcp.h
 */
const char *tcp_cc_name(enum tcp_cc_algo algo)
{
	return tcp_cc_ops_of(algo)->name;
}

/**
 * tcp_cc_lookup() - see tcp.h
 */
int tcp_cc_lookup(const char *name)
{
	for (int a = TCP_CC_NEWRENO; a <= TCP_CC_CUBIC; a++)
		if (!strcmp(name, tcp_cc_ops_of((enum tcp_cc_algo)a)->name))
			return a;
	return -ENOENT;
}

/**
 * tcp_cc_set() - choose the algorithm; the first call sets the initial
 * window (RFC 6928: min(10 * MSS, max(2 * MSS, 14600)) generalised to
 * tcp_init_cwnd segments)
 * @sk: the socket
 * @algo: which
 */
void tcp_cc_set(struct tcp_sock *sk, enum tcp_cc_algo algo)
{
	bool first = !sk->cc;

	sk->cc = tcp_cc_ops_of(algo);
	sk->cc->init(sk);
	if (first) {
		sk->cwnd = sk->s->cfg.tcp_init_cwnd * (uint32_t)sk->mss;
		sk->ssthresh = TCP_INFINITE_SSTHRESH;
	}
}
