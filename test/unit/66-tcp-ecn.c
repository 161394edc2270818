/* SPDX-License-Identifier: MIT */
/*
 * 66-tcp-ecn.c - ECN (RFC 3168) as Linux with net.ipv4.tcp_ecn 0, 1, 2:
 * the ECN-setup SYN and SYN-ACK both ways, what each setting agrees to,
 * a resent SYN without ECN; ECT(0) on new data only; a CE mark echoed
 * with ECE on every segment until the sender's CWR; an echo halving the
 * window once per window of data, CWR on the next new data, tcpi_ca_state
 * CWR until it is acknowledged; TCP_INFO's ECN options.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_ecn, .init = th_setup, .fini = th_teardown);

#define ECN_SETUP (TCP_ECE | TCP_CWR)
#define TCPI_OPT_ECN 8
#define TCPI_OPT_ECN_SEEN 16

static uint8_t buf[8192];

static void ecn_on(struct stack_config *cfg)
{
	cfg->tcp_ecn = TCP_ECN_ON;
}

static void ecn_off(struct stack_config *cfg)
{
	cfg->tcp_ecn = TCP_ECN_OFF;
}

static void finish(struct tcp_sock *l, struct tcp_sock *c)
{
	tcp_abort(c, T.now);
	if (l)
		tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

static uint8_t info_options(struct tcp_sock *c)
{
	struct tcp_info_rec r;
	struct tcp_linux_info ti;

	tcp_get_info(c, &r, T.now);
	tcp_info_to_linux(&r, &ti);
	return ti.options;
}

/* We send @len bytes at @seq: expect them, ECT(0) or not */
static void send_expect(struct tcp_sock *c, uint32_t seq, uint32_t ack,
			uint32_t len, uint8_t flags, uint8_t ecn)
{
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH | flags, seq, ack);

	memset(buf, 'x', len);
	cr_assert_eq(tcp_send(c, buf, len, T.now), (ssize_t)len);
	d.wnd = TH_ANY;
	d.len = len;
	th_expect(&d);
	cr_assert_eq(T.last_tos & 3, ecn, "ECN field %u, want %u",
		     T.last_tos & 3, ecn);
}

/* The peer sends @len bytes, its IP ECN field @ecn, its flags @flags */
static void peer_data(uint32_t seq, uint32_t ack, uint32_t len, uint8_t ecn,
		      uint8_t flags)
{
	struct th_seg d = th_tmpl(TCP_ACK | flags, seq, ack);

	memset(buf, 'p', len);
	d.wnd = 502;
	d.data = buf;
	d.len = len;
	T.tos = ecn;
	th_inject(&d);
	T.tos = 0;
}

TH_TEST(tcp_ecn, server_agrees_to_an_ecn_setup_syn)
{
	struct tcp_sock *l, *c;
	uint32_t iss;

	T.syn_flags = ECN_SETUP;
	T.synack_flags = TCP_ECE;
	iss = th_passive_open(&l, &c, 1000, false);
	cr_assert_eq(T.last_tos & 3, 0, "the SYN-ACK is not ECT");
	cr_assert_eq(th_counter("tcp_ecn_accepted"), 1);
	cr_assert_eq(info_options(c) & (TCPI_OPT_ECN | TCPI_OPT_ECN_SEEN),
		     TCPI_OPT_ECN);
	/* new data ECT(0); the retransmission and our ACKs are not */
	send_expect(c, iss + 1, 1001, 100, 0, 2);
	th_advance(300 * TH_MS);        /* the RTO: 201 ms */
	{
		struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001);

		d.wnd = TH_ANY;
		d.len = 100;
		th_expect(&d);
		cr_assert_eq(T.last_tos & 3, 0, "a retransmission is not ECT");
	}
	peer_data(1001, iss + 101, 10, 2, 0);
	EXPECT(TCP_ACK, iss + 101, 1011);
	cr_assert_eq(T.last_tos & 3, 0, "an ACK is not ECT");
	cr_assert_eq(info_options(c) & TCPI_OPT_ECN_SEEN, TCPI_OPT_ECN_SEEN);
	finish(l, c);
}

TH_TEST(tcp_ecn, server_needs_both_flags_and_ecn_on)
{
	struct tcp_sock *l, *c;
	uint32_t iss;

	T.syn_flags = TCP_ECE;          /* not an ECN-setup SYN */
	iss = th_passive_open(&l, &c, 1000, false);
	send_expect(c, iss + 1, 1001, 10, 0, 0);
	cr_assert_eq(info_options(c) & TCPI_OPT_ECN, 0);
	finish(l, c);
	th_setup_cfg(ecn_off);
	T.syn_flags = ECN_SETUP;        /* tcp-ecn = no: the SYN-ACK says no */
	iss = th_passive_open(&l, &c, 1000, false);
	send_expect(c, iss + 1, 1001, 10, 0, 0);
	cr_assert_eq(th_counter("tcp_ecn_accepted"), 0);
	finish(l, c);
}

TH_TEST(tcp_ecn, client_asks_with_tcp_ecn_yes)
{
	struct tcp_sock *c;
	uint32_t iss;

	th_setup_cfg(ecn_on);
	T.syn_flags = ECN_SETUP;
	T.synack_flags = TCP_ECE;
	iss = th_active_open(&c, 5000, false);
	cr_assert_eq(info_options(c) & TCPI_OPT_ECN, TCPI_OPT_ECN);
	send_expect(c, iss + 1, 5001, 10, 0, 2);
	finish(NULL, c);
	/* a SYN-ACK without ECE: no ECN */
	th_setup_cfg(ecn_on);
	T.syn_flags = ECN_SETUP;
	iss = th_active_open(&c, 5000, false);
	send_expect(c, iss + 1, 5001, 10, 0, 0);
	cr_assert_eq(info_options(c) & TCPI_OPT_ECN, 0);
	finish(NULL, c);
	/* by default (server) a connect does not ask */
	th_setup_cfg(NULL);
	iss = th_active_open(&c, 5000, false);
	send_expect(c, iss + 1, 5001, 10, 0, 0);
	finish(NULL, c);
}

TH_TEST(tcp_ecn, a_resent_syn_goes_without_ecn)
{
	struct tcp_sock *c;
	struct th_seg syn = th_our_syn();

	th_setup_cfg(ecn_on);
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	syn.flags |= ECN_SETUP;
	syn.tsecr = 0;
	th_expect(&syn);
	th_advance(TH_SEC);
	syn.flags = TCP_SYN;
	syn.tsecr = TH_ANY;
	th_expect(&syn);
	finish(NULL, c);
}

TH_TEST(tcp_ecn, ce_is_echoed_until_cwr)
{
	struct tcp_sock *l, *c;
	uint32_t iss;

	T.syn_flags = ECN_SETUP;
	T.synack_flags = TCP_ECE;
	iss = th_passive_open(&l, &c, 1000, false);
	/* 10 bytes marked CE: the ACK goes at once, with ECE */
	peer_data(1001, iss + 1, 10, 3, 0);
	EXPECT(TCP_ACK | TCP_ECE, iss + 1, 1011);
	cr_assert_eq(th_counter("tcp_ecn_ce_rcvd"), 1);
	/* ECT(0) data: still echoed, on every segment we send */
	peer_data(1011, iss + 1, 10, 2, 0);
	EXPECT(TCP_ACK | TCP_ECE, iss + 1, 1021);
	send_expect(c, iss + 1, 1021, 10, TCP_ECE, 2);
	/* the sender's CWR ends it */
	peer_data(1021, iss + 11, 10, 2, TCP_CWR);
	EXPECT(TCP_ACK, iss + 11, 1031);
	{
		struct tcp_info_rec r;

		/* TCP_INFO's received_ce: the one CE segment */
		tcp_get_info(c, &r, T.now);
		cr_assert_eq(r.received_ce, 1);
	}
	finish(l, c);
}

TH_TEST(tcp_ecn, ece_halves_the_window_once_per_window)
{
	struct tcp_sock *l, *c;
	struct tcp_info_rec r;
	uint32_t iss, cwnd;

	T.syn_flags = ECN_SETUP;
	T.synack_flags = TCP_ECE;
	iss = th_passive_open(&l, &c, 1000, false);
	tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now);
	send_expect(c, iss + 1, 1001, 100, 0, 2);
	send_expect(c, iss + 101, 1001, 100, 0, 2);
	tcp_get_info(c, &r, T.now);
	cwnd = r.cwnd;
	/* the first is echoed: ssthresh and cwnd down, state CWR */
	{
		struct th_seg a = th_tmpl(TCP_ACK | TCP_ECE, 1001, iss + 101);

		a.wnd = 502;
		th_inject(&a);
	}
	tcp_get_info(c, &r, T.now);
	cr_assert_lt(r.cwnd, cwnd);
	cr_assert_eq(r.cwnd, r.ssthresh);
	cr_assert_eq(r.ca_state, TCP_CA_STATE_CWR);
	cwnd = r.cwnd;
	/* the next new data says CWR, once */
	send_expect(c, iss + 201, 1001, 100, TCP_CWR, 2);
	send_expect(c, iss + 301, 1001, 100, 0, 2);
	/* another echo within the window: no second reduction */
	{
		struct th_seg a = th_tmpl(TCP_ACK | TCP_ECE, 1001, iss + 201);

		a.wnd = 502;
		th_inject(&a);
	}
	tcp_get_info(c, &r, T.now);
	cr_assert_eq(r.cwnd, cwnd);
	/* TCP_INFO's delivered_ce: the two segments those echoes acked */
	cr_assert_eq(r.delivered_ce, 2, "%u", r.delivered_ce);
	cr_assert_eq(th_counter("tcp_ecn_cwr"), 1);
	cr_assert_eq(th_counter("tcp_ecn_ece_rcvd"), 2);
	/* all that was out when it began is acknowledged: open again */
	{
		struct th_seg a = th_tmpl(TCP_ACK, 1001, iss + 401);

		a.wnd = 502;
		th_inject(&a);
	}
	tcp_get_info(c, &r, T.now);
	cr_assert_eq(r.ca_state, TCP_CA_STATE_OPEN);
	finish(l, c);
}
