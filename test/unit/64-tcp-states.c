/* SPDX-License-Identifier: MIT */
/*
 * 64-tcp-states.c - {state, segment, expected reply, next state}: the
 * acceptability test and RST/SYN/ACK processing of RFC 9293 3.10.7.4 with
 * RFC 5961's challenge ACKs, in every synchronized state
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"

enum seg_kind {
	RST_EXACT,      /* RST at RCV.NXT */
	RST_IN_WINDOW,  /* RST inside the window, not at RCV.NXT */
	RST_OUTSIDE,    /* RST beyond the window */
	SYN_IN_WINDOW,  /* SYN in a synchronized state */
	ACK_UNSENT,     /* ACK of data never sent */
	OLD_DUPLICATE,  /* data entirely before RCV.NXT: ACK with D-SACK */
	NO_ACK_BIT,     /* data without ACK */
};

enum reply { NOTHING, ACK_SNDNXT_RCVNXT };

struct row {
	enum tcp_state state;
	enum seg_kind kind;
	enum reply reply;
	enum tcp_state next;
	int err;
};

#define ROWS(st, rst_err)                                                   \
	{ st, RST_EXACT, NOTHING, TCP_CLOSED, rst_err },                    \
	{ st, RST_IN_WINDOW, ACK_SNDNXT_RCVNXT, st, 0 },                    \
	{ st, RST_OUTSIDE, NOTHING, st, 0 },                                \
	{ st, SYN_IN_WINDOW, ACK_SNDNXT_RCVNXT, st, 0 },                    \
	{ st, ACK_UNSENT, ACK_SNDNXT_RCVNXT, st, 0 },                       \
	{ st, OLD_DUPLICATE, ACK_SNDNXT_RCVNXT, st, 0 },                    \
	{ st, NO_ACK_BIT, NOTHING, st, 0 }

static struct row rows[] = {
	ROWS(TCP_ESTABLISHED, -ECONNRESET),
	ROWS(TCP_FIN_WAIT_1, -ECONNRESET),
	ROWS(TCP_FIN_WAIT_2, -ECONNRESET),
	ROWS(TCP_CLOSE_WAIT, -EPIPE),
	ROWS(TCP_CLOSING, 0),
	ROWS(TCP_LAST_ACK, 0),
	ROWS(TCP_TIME_WAIT, 0),
};

/* The table runs over both families (see TH_TEST) */
ParameterizedTestParameters(tcp_states, table)
{
	return cr_make_param_array(struct row, rows, sizeof(rows) / sizeof(rows[0]));
}

ParameterizedTestParameters(tcp_states_v6, table)
{
	return cr_make_param_array(struct row, rows, sizeof(rows) / sizeof(rows[0]));
}

static void inject(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	static const uint8_t data[32];
	struct th_seg s = th_tmpl(flags, seq, ack);

	s.wnd = 502;
	s.data = data;
	s.len = len;
	th_inject(&s);
}

/* Drive a fresh connection into @st. Return: SND.NXT and RCV.NXT. */
static struct tcp_sock *drive(enum tcp_state st, uint32_t *snd, uint32_t *rcv)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);

	tcp_close(l, T.now);
	*snd = iss + 1;
	*rcv = 1001;
	if (st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2 || st == TCP_CLOSING ||
	    st == TCP_TIME_WAIT) {
		tcp_shutdown(c, TCP_SHUT_WR, T.now);
		*snd = iss + 2;
		if (st == TCP_FIN_WAIT_2 || st == TCP_TIME_WAIT)
			inject(TCP_ACK, 1001, iss + 2, 0);
		if (st == TCP_CLOSING)
			inject(TCP_FIN | TCP_ACK, 1001, iss + 1, 0);
		if (st == TCP_TIME_WAIT)
			inject(TCP_FIN | TCP_ACK, 1001, iss + 2, 0);
		if (st != TCP_FIN_WAIT_1 && st != TCP_FIN_WAIT_2)
			*rcv = 1002;
	}
	if (st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK) {
		inject(TCP_FIN | TCP_ACK, 1001, iss + 1, 0);
		*rcv = 1002;
		if (st == TCP_LAST_ACK) {
			tcp_shutdown(c, TCP_SHUT_WR, T.now);
			*snd = iss + 2;
		}
	}
	cr_assert_eq(tcp_sock_state(c), st, "driven to %s, want %s",
		     tcp_state_name(tcp_sock_state(c)), tcp_state_name(st));
	while (th_pending())
		T.head++;
	return c;
}

static void table_row(const struct row *r);

ParameterizedTest(struct row *r, tcp_states, table, .init = th_setup,
		  .fini = th_teardown)
{
	table_row(r);
}

ParameterizedTest(struct row *r, tcp_states_v6, table, .init = th_setup,
		  .fini = th_teardown)
{
	table_row(r);
}

static void table_row(const struct row *r)
{
	uint32_t snd, rcv;
	struct tcp_sock *c = drive(r->state, &snd, &rcv);
	uint32_t una = snd - (r->state == TCP_FIN_WAIT_1 || r->state == TCP_CLOSING ||
			      r->state == TCP_LAST_ACK);

	switch (r->kind) {
	case RST_EXACT:
		inject(TCP_RST, rcv, 0, 0);
		break;
	case RST_IN_WINDOW:
		inject(TCP_RST, rcv + 100, 0, 0);
		break;
	case RST_OUTSIDE:
		inject(TCP_RST, rcv + 10000000, 0, 0);
		break;
	case SYN_IN_WINDOW:
		inject(TCP_SYN, rcv + 5, 0, 0);
		break;
	case ACK_UNSENT:
		inject(TCP_ACK, rcv, snd + 1000, 0);
		break;
	case OLD_DUPLICATE:
		inject(TCP_ACK, rcv - 2000, una, 10);
		break;
	case NO_ACK_BIT:
		inject(TCP_PSH, rcv, 0, 10);
		break;
	}
	if (r->reply == ACK_SNDNXT_RCVNXT) {
		struct th_seg w = th_tmpl(TCP_ACK, snd, rcv);

		if (r->kind == OLD_DUPLICATE) {
			/* RFC 2883: the duplicate is reported (D-SACK) */
			w.nsack = 1;
			w.sack[0][0] = rcv - 2000;
			w.sack[0][1] = rcv - 1990;
		}
		th_expect(&w);
	}
	th_expect_none();
	cr_assert_eq(tcp_sock_state(c), r->next, "in %s: now %s, want %s",
		     tcp_state_name(r->state), tcp_state_name(tcp_sock_state(c)),
		     tcp_state_name(r->next));
	cr_assert_eq(tcp_sock_error(c), r->err);
	tcp_abort(c, T.now);
	while (th_pending())
		T.head++;
}

/* A SYN outside the window of an established connection is answered as
 * one inside: a challenge ACK (Linux's "goto syn_challenge"), and a second
 * one 100 ms later gets nothing (one per connection per 500 ms) */
TH_TEST(tcp_states, syn_outside_window_challenged_once, .init = th_setup,
	.fini = th_teardown)
{
	uint32_t snd, rcv;
	struct tcp_sock *c = drive(TCP_ESTABLISHED, &snd, &rcv);

	inject(TCP_SYN, rcv - 5000, 0, 0);
	cr_assert_eq(th_pending(), 1);
	cr_assert_eq(th_counter("tcp_syn_challenged"), 1);
	T.head++;
	th_advance(100 * TH_MS);
	inject(TCP_SYN, rcv - 5000, 0, 0);
	cr_assert_eq(th_pending(), 0);
	cr_assert_eq(th_counter("tcp_challenge_skipped"), 1);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	tcp_abort(c, T.now);
	while (th_pending())
		T.head++;
}

static void chack_limit_one(struct stack_config *cfg)
{
	cfg->tcp_challenge_ack_limit = 1;
}

/* RFC 5961 7: challenge ACKs are rate limited, as Linux's
 * tcp_send_challenge_ack(): first one per connection per 500 ms
 * (tcp_invalid_ratelimit), then the stack's budget per second */
TH_TEST(tcp_states, challenge_ack_rate_limit)
{
	uint32_t snd, rcv;
	struct tcp_sock *c;

	th_setup_cfg(chack_limit_one);
	c = drive(TCP_ESTABLISHED, &snd, &rcv);
	for (int i = 0; i < 3; i++)
		inject(TCP_RST, rcv + 100 + i, 0, 0);
	cr_assert_eq(th_pending(), 1, "one per connection per 500 ms");
	cr_assert_eq(th_counter("tcp_challenge_skipped"), 2);
	T.head += 1;
	th_advance(600 * TH_MS);
	inject(TCP_RST, rcv + 100, 0, 0);
	cr_assert_eq(th_pending(), 0, "the stack's budget of 1 per second");
	cr_assert_eq(th_counter("tcp_challenge_limited"), 1);
	th_advance(500 * TH_MS);
	inject(TCP_RST, rcv + 100, 0, 0);
	cr_assert_eq(th_pending(), 1, "a new second, a new budget");
	tcp_abort(c, T.now);
	while (th_pending())
		T.head++;
	th_teardown();
}
