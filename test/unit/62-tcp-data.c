/* SPDX-License-Identifier: MIT */
/*
 * 62-tcp-data.c - data transfer: delayed and quick ACKs (RFC 1122 4.2.3.2,
 * RFC 5681 4.2), out-of-order data and SACK generation (RFC 2018),
 * retransmission timeout (RFC 6298), fast retransmit and NewReno
 * (RFC 5681, RFC 6582), SACK recovery (RFC 6675), zero window and persist
 * (RFC 9293 3.8.6.1), Nagle and TCP_CORK (RFC 896), PAWS (RFC 7323 5)
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_data, .init = th_setup, .fini = th_teardown);

static uint8_t buf[65536];

static struct th_seg data_seg(uint32_t seq, uint32_t ack, uint32_t len)
{
	struct th_seg s = th_tmpl(TCP_ACK, seq, ack);

	s.wnd = 502;
	s.data = buf;
	s.len = len;
	return s;
}

static struct th_seg ack_seg(uint32_t seq, uint32_t ack)
{
	struct th_seg s = th_tmpl(TCP_ACK, seq, ack);

	s.wnd = 502;
	return s;
}

static void finish(struct tcp_sock *l, struct tcp_sock *c)
{
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

TH_TEST(tcp_data, quick_acks_then_delayed_ack_at_40ms)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	uint32_t seq = 1001;
	struct th_seg a = ack_seg(iss + 1, 0);

	for (unsigned i = 0; i < TCP_QUICKACKS; i++) {
		struct th_seg d = data_seg(seq, iss + 1, 100);

		th_inject(&d);
		seq += 100;
		a.ack = seq;
		a.wnd = TH_ANY;
		th_expect(&a);
	}
	struct th_seg d = data_seg(seq, iss + 1, 100);

	th_inject(&d);
	seq += 100;
	th_advance(39 * TH_MS);
	th_expect_none();
	th_advance(1 * TH_MS);
	a.ack = seq;
	th_expect(&a);
	cr_assert_eq(th_counter("tcp_delayed_acks"), 1);
	/* two full-sized segments: ACK at once (RFC 5681 4.2) */
	d = data_seg(seq, iss + 1, 1460);
	th_inject(&d);
	th_expect_none();
	d = data_seg(seq + 1460, iss + 1, 1460);
	th_inject(&d);
	a.ack = seq + 2920;
	th_expect(&a);
	cr_assert_eq(tcp_recv_avail(c), 17 * 100 + 2920);
	finish(l, c);
}

TH_TEST(tcp_data, out_of_order_sack_blocks)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d, a;
	uint8_t got[400];

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	d = data_seg(1101, iss + 1, 100);
	d.data = buf + 100;
	th_inject(&d);
	/* RFC 5681 4.2: immediate duplicate ACK; RFC 2018: SACK block */
	a = ack_seg(iss + 1, 1001);
	a.wnd = TH_ANY;
	a.nsack = 1;
	a.sack[0][0] = 1101;
	a.sack[0][1] = 1201;
	th_expect(&a);
	d = data_seg(1301, iss + 1, 100);
	d.data = buf + 300;
	th_inject(&d);
	/* the newest block first */
	a.nsack = 2;
	a.sack[0][0] = 1301;
	a.sack[0][1] = 1401;
	a.sack[1][0] = 1101;
	a.sack[1][1] = 1201;
	th_expect(&a);
	cr_assert_eq(tcp_recv_avail(c), 0);
	d = data_seg(1001, iss + 1, 100);
	th_inject(&d);
	a.ack = 1201;
	a.nsack = 1;
	a.sack[0][0] = 1301;
	a.sack[0][1] = 1401;
	th_expect(&a);
	d = data_seg(1201, iss + 1, 100);
	d.data = buf + 200;
	th_inject(&d);
	a.ack = 1401;
	a.nsack = 0;
	th_expect(&a);
	cr_assert_eq(tcp_recv(c, got, sizeof(got), 0, T.now), 400);
	cr_assert(!memcmp(got, buf, 400));
	finish(l, c);
}

static void no_tlp(struct stack_config *cfg)
{
	cfg->tcp_tlp = false;
}

static void no_tlp_rack(struct stack_config *cfg)
{
	cfg->tcp_tlp = false;
	cfg->tcp_rack = false;
}

/* RTO as Linux's (201 ms after a 1 us handshake), doubled per timeout,
 * stopped by the ACK */
TH_TEST(tcp_data, retransmission_timeout_and_backoff)
{
	struct tcp_sock *l, *c;
	uint32_t iss;

	th_setup_cfg(no_tlp);
	iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001);
	struct tcp_info_rec i;

	d.wnd = TH_ANY;
	d.data = "hello";
	d.len = 5;
	cr_assert_eq(tcp_send(c, "hello", 5, T.now), 5);
	th_expect(&d);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_RETRANSMIT);
	/* Linux's __tcp_set_rto(): srtt (the handshake's 1 us) + rttvar
	 * (max(2 us, rto_min) = 200 ms), rounded up to the jiffy: 201 ms */
	cr_assert_eq(i.rto, 201 * TH_MS);
	cr_assert_eq(i.timer_left, 201 * TH_MS);
	th_advance(201 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&d);
	th_advance(402 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&d);
	cr_assert_eq(th_counter("tcp_rto_timeouts"), 2);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.retransmits, 2);
	cr_assert_eq(i.cwnd, 1460, "RFC 5681 3.1: loss window is one segment");
	struct th_seg a = ack_seg(1001, iss + 6);

	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_NONE);
	cr_assert_eq(i.snd_una, iss + 6);
	finish(l, c);
}

static void send_segments(struct tcp_sock *c, uint32_t iss, unsigned n,
			  uint32_t mss)
{
	for (unsigned i = 0; i < n * mss; i++)
		buf[i] = (uint8_t)(i * 7);
	cr_assert_eq(tcp_send(c, buf, n * mss, T.now), n * mss);
	for (unsigned k = 0; k < n; k++) {
		struct th_seg d = th_tmpl(TCP_ACK | (k == n - 1 ? TCP_PSH : 0),
					  iss + 1 + k * mss, 1001);

		d.wnd = TH_ANY;
		d.data = buf + k * mss;
		d.len = mss;
		th_expect(&d);
	}
}

/* RFC 5681 3.2 and RFC 6582 (NewReno): three duplicate ACKs retransmit
 * the first segment; a partial ACK the next; the full ACK ends it. */
TH_TEST(tcp_data, fast_retransmit_newreno)
{
	struct tcp_sock *l, *c;
	struct stack_config dummy;
	uint32_t iss;
	struct th_seg a, r;
	struct tcp_info_rec i;

	(void)dummy;
	cr_assert_eq(th_open(&l), 0);
	tcp_close(l, T.now);
	iss = th_passive_open(&l, &c, 1000, false);
	tcp_setsockopt(c, TCP_OPT_CONGESTION, TCP_CC_NEWRENO, T.now);
	send_segments(c, iss, 6, 1460);
	a = ack_seg(1001, iss + 1);
	th_inject(&a);
	th_inject(&a);
	th_expect_none();
	th_inject(&a);
	r = th_tmpl(TCP_ACK, iss + 1, 1001);
	r.wnd = TH_ANY;
	r.data = buf;
	r.len = 1460;
	th_expect(&r);
	tcp_get_info(c, &i, T.now);
	/* ssthresh = cwnd / 2 as Linux (10 segments; RFC 5681 says
	 * FlightSize / 2, 6 here); cwnd = ssthresh + 3 * SMSS */
	cr_assert_eq(i.ssthresh, 5 * 1460);
	cr_assert_eq(i.cwnd, 5 * 1460 + 3 * 1460);
	cr_assert_eq(th_counter("tcp_fast_retrans"), 1);
	/* partial ACK: segment 3 is lost too */
	a.ack = iss + 1 + 2 * 1460;
	th_inject(&a);
	r.seq = iss + 1 + 2 * 1460;
	r.data = buf + 2 * 1460;
	th_expect(&r);
	/* full ACK */
	a.ack = iss + 1 + 6 * 1460;
	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 1460 * 2, "RFC 6582: min(ssthresh, FlightSize + SMSS)");
	cr_assert_eq(i.timer, TCP_TIMER_NONE);
	finish(l, c);
}

static void no_rack(struct stack_config *cfg)
{
	cfg->tcp_rack = false;
}

/* RFC 6675 (DupThresh, RACK off): SACKed data three segments past
 * snd_una starts recovery at once; the hole is retransmitted, not the
 * SACKed segments; once the hole is acknowledged (HighACK passes
 * RescueRxt), the rescue retransmission of the last segment (NextSeg
 * rule 4), the only segment that no SACK can show lost. */
TH_TEST(tcp_data, sack_recovery)
{
	struct tcp_sock *l, *c;
	uint32_t iss, b, m = 1460;
	struct th_seg a, r;

	th_setup_cfg(no_rack);
	iss = th_passive_open(&l, &c, 1000, false);
	b = iss + 1;
	send_segments(c, iss, 6, m);
	a = ack_seg(1001, b);
	a.nsack = 1;
	a.sack[0][0] = b + m;
	a.sack[0][1] = b + 2 * m;
	th_inject(&a);
	th_expect_none();
	/* IsLost(SND.UNA): more than (DupThresh - 1) * SMSS SACKed above */
	a.sack[0][1] = b + 4 * m;
	th_inject(&a);
	r = th_tmpl(TCP_ACK, b, 1001);
	r.wnd = TH_ANY;
	r.data = buf;
	r.len = m;
	th_expect(&r);
	th_expect_none();
	a.sack[0][1] = b + 5 * m;
	th_inject(&a);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_sack_recoveries"), 1);
	cr_assert_eq(th_counter("tcp_rescue_rtx"), 0);
	/* the ACK for the hole: segment 6 is in flight, not lost (RFC
	 * 6675: no SACK above it): the rescue */
	a.ack = b + 5 * m;
	a.nsack = 0;
	th_inject(&a);
	r.flags = TCP_ACK | TCP_PSH;
	r.seq = b + 5 * m;
	r.data = buf + 5 * m;
	th_expect(&r);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rescue_rtx"), 1);
	a.ack = b + 6 * m;
	th_inject(&a);
	th_expect_none();
	finish(l, c);
}

/* RFC 9293 3.8.6.1: a zero window is probed on the persist timer with
 * the RTO's backoff; the probe is Linux's (SEQ=SND.UNA-1, no data). */
TH_TEST(tcp_data, zero_window_persist)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg z = ack_seg(1001, iss + 1), probe, d;
	struct tcp_info_rec i;

	z.wnd = 0;
	th_inject(&z);
	cr_assert_eq(tcp_send(c, "abc", 3, T.now), 3);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_PERSIST);
	probe = th_tmpl(TCP_ACK, iss, 1001);
	probe.wnd = TH_ANY;
	/* the RTO, Linux's 201 ms (1 us handshake + max(2 us, 200 ms),
	 * rounded up to the jiffy), then doubled */
	th_advance(201 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&probe);
	th_advance(402 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&probe);
	cr_assert_eq(th_counter("tcp_persist_probes"), 2);
	/* the window opens */
	z.wnd = 502;
	th_inject(&z);
	d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001);
	d.wnd = TH_ANY;
	d.data = "abc";
	d.len = 3;
	th_expect(&d);
	finish(l, c);
}

/* We advertise a zero window when the buffer is full, and a window
 * update once the application has read enough. */
TH_TEST(tcp_data, receiver_zero_window_and_update)
{
	struct tcp_sock *l, *c;
	uint32_t iss, seq = 1001, got = 0;
	struct th_seg d, a;
	struct tcp_seg g;
	static uint8_t sink[70000];

	iss = th_passive_open(&l, &c, 1000, false);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_RCVBUF, 1, T.now), 0,
		     "too late: ignored");
	uint32_t edge = seq + 64240;  /* the SYN-ACK's window */

	(void)got;
	while (seq != edge) {
		uint32_t n = edge - seq < 1460 ? edge - seq : 1460;

		d = data_seg(seq, iss + 1, n);
		th_inject(&d);
		seq += n;
		while (th_pending()) {
			a = ack_seg(iss + 1, TH_ANY);
			a.wnd = TH_ANY;
			g = th_expect(&a);

			/* RFC 9293 3.8.6: the edge never moves back */
			cr_assert(SEQ_GEQ(g.ack + ((uint32_t)g.wnd << 7), edge),
				  "ack %u wnd %u: edge back from %u", g.ack, g.wnd,
				  edge);
			edge = g.ack + ((uint32_t)g.wnd << 7);
		}
	}
	th_advance(40 * TH_MS);
	while (th_pending())
		T.head++;
	a = ack_seg(iss + 1, seq);
	a.wnd = 0;
	/* more data is out of window: dropped, ACKed */
	d = data_seg(seq, iss + 1, 100);
	th_inject(&d);
	th_expect(&a);
	cr_assert_geq(th_counter("tcp_zero_wnd_sent"), 1);
	cr_assert_eq(tcp_recv(c, sink, 100, 0, T.now), 100);
	th_expect_none();  /* SWS avoidance: 100 bytes is not worth it */
	while (tcp_recv_avail(c))
		cr_assert_gt(tcp_recv(c, sink, sizeof(sink), 0, T.now), 0);
	a.wnd = TH_ANY;
	/* updates as the window opens: all read, it is the whole buffer */
	cr_assert_gt(th_pending(), 0);
	while (th_pending())
		g = th_expect(&a);
	cr_assert_eq(g.wnd, 65536 >> 7);       /* the buffer's window */
	cr_assert_eq(th_counter("tcp_rcv_ring_full"), 0);
	finish(l, c);
}

/* RFC 896 / RFC 1122 4.2.3.4: one small segment in flight at a time */
TH_TEST(tcp_data, nagle_nodelay_cork)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001), a;

	d.wnd = TH_ANY;
	cr_assert_eq(tcp_send(c, "a", 1, T.now), 1);
	d.data = "a";
	d.len = 1;
	th_expect(&d);
	cr_assert_eq(tcp_send(c, "b", 1, T.now), 1);
	cr_assert_eq(tcp_send(c, "c", 1, T.now), 1);
	th_expect_none();
	a = ack_seg(1001, iss + 2);
	th_inject(&a);
	d.seq = iss + 2;
	d.data = "bc";
	d.len = 2;
	th_expect(&d);
	/* TCP_NODELAY: no waiting for the ACK */
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now), 0);
	cr_assert_eq(tcp_send(c, "d", 1, T.now), 1);
	d.seq = iss + 4;
	d.data = "d";
	d.len = 1;
	th_expect(&d);
	/* TCP_CORK holds short segments until uncorked */
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_CORK, 1, T.now), 0);
	a.ack = iss + 5;
	th_inject(&a);
	cr_assert_eq(tcp_send(c, "e", 1, T.now), 1);
	th_expect_none();
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_CORK, 0, T.now), 0);
	d.seq = iss + 5;
	d.data = "e";
	th_expect(&d);
	finish(l, c);
}

/*
 * A link that cuts frames of segments (the _gso run: a TAP with offloads)
 * gets a flight in one frame; the segments on the wire are the same as
 * anywhere: ten of a full MSS (the initial window, RFC 6928), the short
 * rest held by Nagle until the ACK, then sent with PSH; with TCP_NODELAY
 * the short one goes in the same frame as the full ones before it.
 */
TH_TEST(tcp_data, flight_in_one_frame_of_segments)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false), mss = 1460;
	uint32_t len = 10 * mss + 100;
	struct th_seg a = ack_seg(1001, 0);

	for (unsigned i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 13);
	cr_assert_eq(tcp_send(c, buf, len, T.now), len);
	for (unsigned k = 0; k < 10; k++) {
		struct th_seg d = th_tmpl(TCP_ACK, iss + 1 + k * mss, 1001);

		d.wnd = TH_ANY;
		d.data = buf + k * mss;
		d.len = mss;
		th_expect(&d);
	}
	th_expect_none();
	cr_assert_eq(T.gso_frames, T.gso ? 1u : 0u);
	cr_assert_eq(th_counter("eth_tx_gso"), T.gso ? 1u : 0u);
	cr_assert_eq(th_counter("tcp_tx"), 10 + 1);      /* and the SYN-ACK */
	a.ack = iss + 1 + 10 * mss;
	th_inject(&a);
	{
		struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH,
					  iss + 1 + 10 * mss, 1001);

		d.wnd = TH_ANY;
		d.data = buf + 10 * mss;
		d.len = 100;
		th_expect(&d);
	}
	cr_assert_eq(T.gso_frames, T.gso ? 1u : 0u);
	/* TCP_NODELAY: three full and the short rest, in one frame */
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now), 0);
	a.ack = iss + 1 + len;
	th_inject(&a);
	cr_assert_eq(tcp_send(c, buf, 3 * mss + 7, T.now), 3 * mss + 7);
	for (unsigned k = 0; k < 4; k++) {
		struct th_seg d = th_tmpl(TCP_ACK | (k == 3 ? TCP_PSH : 0),
					  iss + 1 + len + k * mss, 1001);

		d.wnd = TH_ANY;
		d.data = buf + k * mss;
		d.len = k == 3 ? 7 : mss;
		th_expect(&d);
	}
	cr_assert_eq(T.gso_frames, T.gso ? 2u : 0u);
	finish(l, c);
}

/* Linux's do_tcp_setsockopt(TCP_NODELAY): setting it pushes what TCP_CORK
 * holds (TCP_NAGLE_PUSH), once: the cork stays and holds what follows */
TH_TEST(tcp_data, nodelay_pushes_corked)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001), a;

	d.wnd = TH_ANY;
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_CORK, 1, T.now), 0);
	cr_assert_eq(tcp_send(c, "ab", 2, T.now), 2);
	th_expect_none();
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now), 0);
	d.data = "ab";
	d.len = 2;
	th_expect(&d);
	a = ack_seg(1001, iss + 3);
	th_inject(&a);
	/* still corked: a short write waits */
	cr_assert_eq(tcp_send(c, "c", 1, T.now), 1);
	th_expect_none();
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_CORK, 0, T.now), 0);
	d.seq = iss + 3;
	d.data = "c";
	d.len = 1;
	th_expect(&d);
	finish(l, c);
}

/* RFC 7323 5.3: a segment with an older timestamp is dropped (and
 * acknowledged); ts_recent follows in-order segments. */
TH_TEST(tcp_data, paws_drops_old_timestamp)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, true);
	struct th_seg d = data_seg(1001, iss + 1, 10), a;

	d.ts = true;
	d.tsval = 2000;
	d.tsecr = 0;
	th_inject(&d);
	a = ack_seg(iss + 1, 1011);
	a.wnd = TH_ANY;
	a.ts = true;
	a.tsecr = 2000;
	th_expect(&a);
	d.seq = 1011;
	d.tsval = 1999;  /* older than ts_recent: a wrapped old duplicate */
	th_inject(&d);
	th_expect(&a);
	cr_assert_eq(th_counter("tcp_drop_paws"), 1);
	cr_assert_eq(tcp_recv_avail(c), 10);
	finish(l, c);
}

/* Linux-like autotuning: the receive buffer grows when the application
 * reads a window's worth per RTT; the send buffer follows cwnd. */
TH_TEST(tcp_data, buffer_autotuning)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	uint32_t seq = 1001;
	struct tcp_info_rec i;
	static uint8_t sink[200000];

	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 60; k++) {
			struct th_seg d = data_seg(seq, iss + 1, 1460);

			th_inject(&d);
			seq += 1460;
		}
		th_advance(2 * TH_MS);
		while (tcp_recv_avail(c))
			tcp_recv(c, sink, sizeof(sink), 0, T.now);
		while (th_pending())
			T.head++;
	}
	tcp_get_info(c, &i, T.now);
	cr_assert_gt(i.rcvbuf, 131072, "rcvbuf %u", i.rcvbuf);
	cr_assert_gt(th_counter("tcp_buf_grown"), 0);
	/* the send side: cwnd grows past half the buffer */
	for (uint32_t k = 0; k < 100; k++) {
		uint32_t una = i.snd_una;
		ssize_t n = tcp_send(c, buf, sizeof(buf), T.now);
		struct th_seg a;

		cr_assert_geq(n, 0);
		tcp_get_info(c, &i, T.now);
		a = ack_seg(seq, i.snd_nxt);
		a.wnd = 65535;
		th_inject(&a);
		while (th_pending())
			T.head++;
		(void)una;
	}
	tcp_get_info(c, &i, T.now);
	cr_assert_gt(i.sndbuf, 131072, "sndbuf %u cwnd %u", i.sndbuf, i.cwnd);
	finish(l, c);
}

/* RFC 8985 7: the tail loss probe fires at PTO = 2 * SRTT (+ 2 ms with
 * more than one segment out) and resends the last segment; the RTO
 * follows; the ACK ending the episode counts as a repaired loss. */
TH_TEST(tcp_data, tail_loss_probe)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct tcp_info_rec i;
	struct th_seg r, a;
	uint64_t pto;

	send_segments(c, iss, 3, 1460);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_LOSS_PROBE);
	/* Linux: 2 * SRTT in whole jiffies (rounded up), + 2 ms */
	pto = (2 * i.srtt + TH_MS - 1) / TH_MS * TH_MS + 2 * TH_MS;
	cr_assert_eq(i.timer_left, pto);
	th_advance(pto - 1);
	th_expect_none();
	th_advance(1);
	r = th_tmpl(TCP_ACK | TCP_PSH, iss + 1 + 2 * 1460, 1001);
	r.wnd = TH_ANY;
	r.data = buf + 2 * 1460;
	r.len = 1460;
	th_expect(&r);
	cr_assert_eq(th_counter("tcp_tlp_probes"), 1);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_RETRANSMIT);
	cr_assert_eq(i.timer_left, 201 * TH_MS);  /* Linux's RTO, as above */
	a = ack_seg(1001, iss + 1 + 3 * 1460);
	th_inject(&a);
	cr_assert_eq(th_counter("tcp_tlp_recoveries"), 1);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_NONE);
	cr_assert_eq(i.cwnd, i.ssthresh);
	finish(l, c);
}

/* RFC 1122 4.2.3.4 sender SWS avoidance: a usable window smaller than
 * an MSS and than half the largest window is not used at once; the
 * override timer (the persist timer, as Linux) sends into it later. */
TH_TEST(tcp_data, sender_sws_avoidance_and_override)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg a = ack_seg(1001, iss + 1), d;

	a.wnd = 1;  /* << 7: 128 bytes; the handshake offered 64256 */
	th_inject(&a);
	cr_assert_eq(tcp_send(c, buf, 1000, T.now), 1000);
	th_expect_none();
	th_advance(201 * TH_MS - 1);  /* the RTO: 1 us + 200 ms, in jiffies */
	th_expect_none();
	th_advance(1);
	d = th_tmpl(TCP_ACK, iss + 1, 1001);
	d.wnd = TH_ANY;
	d.data = buf;
	d.len = 128;
	th_expect(&d);
	finish(l, c);
}

/* Data beyond the window we offered is cut off (counted) and ACKed */
TH_TEST(tcp_data, data_beyond_window_is_trimmed)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d, a;
	uint32_t edge = 1001 + 64240;  /* the SYN-ACK offered 64240 */

	d = data_seg(edge - 100, iss + 1, 300);
	th_inject(&d);
	a = ack_seg(iss + 1, 1001);
	a.wnd = TH_ANY;
	a.nsack = 1;
	a.sack[0][0] = edge - 100;
	a.sack[0][1] = edge;
	th_expect(&a);
	cr_assert_eq(th_counter("tcp_rcv_beyond_wnd"), 200);
	finish(l, c);
}

/* RFC 2883: a duplicate segment is reported in the first SACK block */
TH_TEST(tcp_data, dsack_for_duplicates)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = data_seg(1001, iss + 1, 100), a;

	th_inject(&d);
	a = ack_seg(iss + 1, 1101);
	a.wnd = TH_ANY;
	th_expect(&a);
	th_inject(&d);
	a.nsack = 1;
	a.sack[0][0] = 1001;
	a.sack[0][1] = 1101;
	th_expect(&a);
	/* a duplicate of out-of-order data: D-SACK first, then its range */
	d = data_seg(1301, iss + 1, 100);
	th_inject(&d);
	a.sack[0][0] = 1301;
	a.sack[0][1] = 1401;
	th_expect(&a);
	th_inject(&d);
	a.nsack = 2;
	a.sack[1][0] = 1301;
	a.sack[1][1] = 1401;
	th_expect(&a);
	finish(l, c);
}

/* RFC 8985 7.4.1: a D-SACK for the probe says the original arrived: the
 * tail loss probe repaired nothing and cwnd stays */
TH_TEST(tcp_data, tail_loss_probe_dsack_keeps_cwnd)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct tcp_info_rec i;
	struct th_seg a;
	uint32_t cwnd;

	send_segments(c, iss, 3, 1460);
	tcp_get_info(c, &i, T.now);
	cwnd = i.cwnd;
	th_advance(i.timer_left);
	cr_assert_eq(th_counter("tcp_tlp_probes"), 1);
	while (th_pending())
		T.head++;
	a = ack_seg(1001, iss + 1 + 3 * 1460);
	a.nsack = 1;
	a.sack[0][0] = iss + 1 + 2 * 1460;
	a.sack[0][1] = iss + 1 + 3 * 1460;
	th_inject(&a);
	cr_assert_eq(th_counter("tcp_tlp_recoveries"), 0);
	tcp_get_info(c, &i, T.now);
	cr_assert_geq(i.cwnd, cwnd);
	finish(l, c);
}

/* The zero-copy calls: fill the send ring in place and commit; read the
 * receive ring in place and consume (also across the ring's wrap) */
TH_TEST(tcp_data, zero_copy_spans)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct tcp_span sp[2];
	struct th_seg d, a;
	uint32_t seq = 1001;
	size_t n;

	n = tcp_send_spans(c, sp);
	cr_assert_eq(n, 131072);
	cr_assert_eq(sp[0].len, 131072);
	memcpy(sp[0].base, "span", 4);
	cr_assert_eq(tcp_send_commit(c, 4, T.now), 4);
	cr_assert_eq(tcp_send_commit(c, 200000, T.now), -EINVAL);
	d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001);
	d.wnd = TH_ANY;
	d.data = "span";
	d.len = 4;
	th_expect(&d);
	/* receive, consume in part, until the data wraps the ring */
	for (int k = 0; k < 100; k++) {
		d = data_seg(seq, iss + 5, 1460);
		for (unsigned i = 0; i < 1460; i++)
			buf[i] = (uint8_t)(seq + i);
		th_inject(&d);
		seq += 1460;
		n = tcp_recv_spans(c, sp);
		cr_assert_eq(n, tcp_recv_avail(c));
		cr_assert_eq(sp[0].len + sp[1].len, n);
		if (sp[1].len) {
			cr_assert_eq(sp[1].base[0],
				     (uint8_t)(seq - n + sp[0].len));
			break;
		}
		cr_assert_eq(tcp_recv_consume(c, n > 1000 ? n - 1000 : 0, T.now), 0);
	}
	cr_assert_gt(sp[1].len, 0, "the ring wrapped");
	cr_assert_eq(tcp_recv_consume(c, n + 1, T.now), -EINVAL);
	cr_assert_eq(tcp_recv_consume(c, n, T.now), 0);
	cr_assert_eq(tcp_recv_avail(c), 0);
	a = ack_seg(seq, iss + 5);
	(void)a;
	finish(l, c);
}

/* After a timeout the hole is resent, not what the peer SACKed; a second
 * timeout forgets the SACKs (the receiver may have reneged) */
TH_TEST(tcp_data, rto_skips_sacked_data)
{
	struct tcp_sock *l, *c;
	uint32_t iss;
	uint32_t b, m = 1460;
	struct th_seg a, r;

	th_setup_cfg(no_tlp_rack);
	iss = th_passive_open(&l, &c, 1000, false);
	b = iss + 1;
	send_segments(c, iss, 4, m);
	a = ack_seg(1001, b);
	a.nsack = 1;
	a.sack[0][0] = b + m;
	a.sack[0][1] = b + 3 * m;
	th_inject(&a);  /* one duplicate ACK: no fast retransmit yet */
	th_expect_none();
	th_advance(201 * TH_MS - 1);  /* Linux's RTO: 1 us + 200 ms, rounded up */
	th_expect_none();
	th_advance(1);
	r = th_tmpl(TCP_ACK, b, 1001);
	r.wnd = TH_ANY;
	r.data = buf;
	r.len = m;
	th_expect(&r);
	th_expect_none();
	/* its ACK: the window (cwnd 2) now covers the last segment only */
	a = ack_seg(1001, b + m);
	a.nsack = 1;
	a.sack[0][0] = b + m;
	a.sack[0][1] = b + 3 * m;
	th_inject(&a);
	r.flags = TCP_ACK | TCP_PSH;
	r.seq = b + 3 * m;
	r.data = buf + 3 * m;
	th_expect(&r);
	finish(l, c);
}

/* RFC 3042 limited transmit with a peer that has no SACK, as Linux (its
 * duplicate ACKs count as segments that left, tcp_add_reno_sack()): the
 * first two each let one new segment go beyond cwnd, the third starts
 * fast retransmit */
TH_TEST(tcp_data, limited_transmit_without_sack)
{
	struct tcp_sock *l, *c;
	uint32_t iss;
	struct th_seg a, r;

	T.no_sack = true;
	iss = th_passive_open(&l, &c, 1000, false);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now), 0);
	for (unsigned i = 0; i < 12 * 1460; i++)
		buf[i] = (uint8_t)(i * 7);
	/* an initial window of 10 segments: 10 go, 2 wait */
	cr_assert_eq(tcp_send(c, buf, 12 * 1460, T.now), 12 * 1460);
	for (unsigned k = 0; k < 10; k++) {
		r = th_tmpl(TCP_ACK, iss + 1 + k * 1460, 1001);
		r.wnd = TH_ANY;
		r.data = buf + k * 1460;
		r.len = 1460;
		th_expect(&r);
	}
	th_expect_none();
	a = ack_seg(1001, iss + 1);
	for (unsigned k = 10; k < 12; k++) {
		th_inject(&a);
		r = th_tmpl(TCP_ACK | (k == 11 ? TCP_PSH : 0), iss + 1 + k * 1460, 1001);
		r.wnd = TH_ANY;
		r.data = buf + k * 1460;
		r.len = 1460;
		th_expect(&r);
	}
	th_inject(&a);
	r = th_tmpl(TCP_ACK, iss + 1, 1001);
	r.wnd = TH_ANY;
	r.data = buf;
	r.len = 1460;
	th_expect(&r);
	cr_assert_eq(th_counter("tcp_fast_retrans"), 1);
	finish(l, c);
}

/* Our segment [@seq, @seq + @len) of buf, with PSH or not */
static void expect_out(uint32_t seq, uint32_t len, bool psh)
{
	struct th_seg d = th_tmpl(TCP_ACK | (psh ? TCP_PSH : 0), seq, 1001);

	d.wnd = TH_ANY;
	d.len = len;
	th_expect(&d);
}

/*
 * Issue 13 item 1: PSH where Linux puts it, on the segment that carries
 * the last byte of each write (tcp_push() at the end of every sendmsg()),
 * not only when the send queue empties. Write A (2000 bytes): 1460 and
 * its last 540 with PSH go at once (Minshall's Nagle, as Linux's: no
 * short segment flies yet); write B (2000): its full 1460 go, without
 * PSH (B does not end there); its last 540 wait while A's short segment
 * is unacknowledged, and go with PSH, the end of B, once it is.
 */
TH_TEST(tcp_data, psh_on_the_segment_ending_each_write)
{
	struct tcp_sock *l, *c;
	uint32_t b = th_passive_open(&l, &c, 1000, false) + 1;
	struct th_seg a = ack_seg(1001, b + 2000);

	cr_assert_eq(tcp_send(c, buf, 2000, T.now), 2000);
	expect_out(b, 1460, false);
	expect_out(b + 1460, 540, true);
	th_expect_none();
	cr_assert_eq(tcp_send(c, buf + 2000, 2000, T.now), 2000);
	expect_out(b + 2000, 1460, false);
	th_expect_none();
	th_inject(&a);
	expect_out(b + 3460, 540, true);
	th_expect_none();
	finish(l, c);
}

/*
 * Inside one long write Linux pushes once half the peer's largest window
 * has gone since the last push (forced_push()): a write of 30 segments to
 * a peer whose largest window is 64256 bytes has PSH on the segment that
 * holds byte 32128 past its start, and on its last.
 */
TH_TEST(tcp_data, forced_push_inside_a_long_write)
{
	struct tcp_sock *l, *c;
	uint32_t b = th_passive_open(&l, &c, 1000, false) + 1;
	unsigned k, sent = 0;

	cr_assert_eq(c->max_sndwnd, 502u << 7);
	cr_assert_eq(tcp_send(c, buf, 30 * 1460, T.now), 30 * 1460);
	while (sent < 30) {
		struct th_seg a;

		for (k = sent; th_pending(); k++)
			expect_out(b + k * 1460, 1460, k == 22 || k == 29);
		cr_assert_gt(k, sent, "nothing went after %u", sent);
		sent = k;
		a = ack_seg(1001, b + sent * 1460);
		th_inject(&a);
	}
	finish(l, c);
}

/*
 * MSG_EOR (tcp_send_eor()): no segment carries bytes of both sides of a
 * record's end, as Linux never collapses an skb past an EOR. 500 bytes go
 * at once; a 300-byte record then waits for their ACK (Nagle), and 2000
 * bytes follow: once the ACK comes the record goes alone (300 bytes, PSH:
 * its write ended there), then a full segment, and Nagle holds the last
 * 540 until that is acked. Without the record's end the 300 bytes would
 * have gone with the next 1160 in one segment.
 */
TH_TEST(tcp_data, eor_ends_a_segment)
{
	struct tcp_sock *l, *c;
	uint32_t b = th_passive_open(&l, &c, 1000, false) + 1;
	struct th_seg a = ack_seg(1001, b + 500);

	cr_assert_eq(tcp_send(c, buf, 500, T.now), 500);
	expect_out(b, 500, true);
	cr_assert_eq(tcp_send(c, buf + 500, 300, T.now), 300);
	tcp_send_eor(c);
	cr_assert_eq(tcp_send(c, buf + 800, 2000, T.now), 2000);
	th_expect_none();
	th_inject(&a);
	expect_out(b + 500, 300, true);
	expect_out(b + 800, 1460, false);
	th_expect_none();
	a.ack = b + 2260;
	th_inject(&a);
	expect_out(b + 2260, 540, true);
	th_expect_none();
	finish(l, c);
}

/*
 * SO_SNDBUF made smaller on a connection (issue 13 item 7), as Linux's
 * sk_sndbuf: what is queued stays and goes, no more is taken until the
 * queue is below the new size, which getsockopt reads back (doubled, as
 * Linux doubles it); the ring comes back at that size once it drains.
 */
TH_TEST(tcp_data, sndbuf_shrinks_on_a_connection)
{
	struct tcp_sock *l, *c;
	uint32_t b = th_passive_open(&l, &c, 1000, false) + 1;
	int v = 0;
	struct th_seg a;

	cr_assert_eq(tcp_send(c, buf, 20000, T.now), 20000);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_SNDBUF, 4096, T.now), 0);
	cr_assert_eq(tcp_getsockopt(c, TCP_SO_SNDBUF, &v), 0);
	cr_assert_eq(v, 8192);
	cr_assert_eq(tcp_send_space(c), 0, "%zu taken over a full buffer",
		     tcp_send_space(c));
	cr_assert_eq(tcp_send(c, buf, 100, T.now), -EAGAIN);
	/* the peer takes everything: the 20000 bytes went */
	while (th_pending())
		T.head++;
	for (int i = 0; i < 10 && tcp_send_unsent(c) + (c->snd_nxt -
							c->snd_una); i++) {
		a = ack_seg(1001, c->snd_nxt);
		th_inject(&a);
		while (th_pending())
			T.head++;
	}
	cr_assert_eq(c->snd_una, b + 20000);
	cr_assert_eq(tcp_send_space(c), 8192);
	cr_assert_eq(tcp_send(c, buf, 10000, T.now), 8192);
	finish(l, c);
}
