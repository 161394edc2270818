/* SPDX-License-Identifier: MIT */
/*
 * 63-tcp-close.c - closing (RFC 9293 3.6): active, passive, simultaneous,
 * TIME_WAIT (2 * MSL, restart on FIN, bound, reuse per RFC 6191),
 * FIN_WAIT_2 timeout, reset on close with unread data (RFC 2525), abort
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_close, .init = th_setup, .fini = th_teardown);

static struct th_seg seg(uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct th_seg s = th_tmpl(flags, seq, ack);

	s.wnd = 502;
	return s;
}

/* One more connection on listener @l from peer port @sport. */
static struct tcp_sock *conn_on(struct tcp_sock *l, uint16_t sport,
				uint32_t isn, uint32_t *iss)
{
	struct th_seg syn = seg(TCP_SYN, isn, 0), a;
	struct tcp_seg g;
	struct tcp_sock *c;

	syn.sport = sport;
	syn.mss = 1460;
	th_inject(&syn);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = isn + 1, .wnd = TH_ANY, .mss = 1460,
					.ws = -1 });
	a = seg(TCP_ACK, isn + 1, g.seq + 1);
	a.sport = sport;
	th_inject(&a);
	cr_assert_eq(tcp_accept(l, &c), 0);
	*iss = g.seq;
	return c;
}

TH_TEST(tcp_close, active_close_through_time_wait)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg a;
	struct tcp_info_rec i;
	uint64_t t0;

	cr_assert_eq(tcp_shutdown(c, TCP_SHUT_WR, T.now), 0);
	/* RFC 9293 CLOSE in ESTABLISHED: FIN, FIN-WAIT-1 */
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	cr_assert_eq(tcp_sock_state(c), TCP_FIN_WAIT_1);
	cr_assert_eq(tcp_send(c, "x", 1, T.now), -EPIPE);
	a = seg(TCP_ACK, 1001, iss + 2);
	th_inject(&a);
	cr_assert_eq(tcp_sock_state(c), TCP_FIN_WAIT_2);
	th_expect_none();
	/* data still flows to us in FIN_WAIT_2 */
	a.data = "late";
	a.len = 4;
	th_inject(&a);
	EXPECT(TCP_ACK, iss + 2, 1005);
	a = seg(TCP_FIN | TCP_ACK, 1005, iss + 2);
	th_inject(&a);
	EXPECT(TCP_ACK, iss + 2, 1006);
	cr_assert_eq(tcp_sock_state(c), TCP_TIME_WAIT);
	t0 = T.now;
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_TIME_WAIT);
	cr_assert_eq(i.timer_left, 60 * TH_SEC, "2 * MSL, MSL 30 s");
	/* a retransmitted FIN is acknowledged and restarts the timer */
	th_advance(10 * TH_SEC);
	th_inject(&a);
	EXPECT(TCP_ACK, iss + 2, 1006);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer_left, 60 * TH_SEC);
	th_advance_to(t0 + 70 * TH_SEC - 1);
	cr_assert_eq(tcp_sock_state(c), TCP_TIME_WAIT);
	th_advance(1);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), 0);
	char b[8];

	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 4);
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 0);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
}

TH_TEST(tcp_close, passive_close_through_last_ack)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg f = seg(TCP_FIN | TCP_ACK, 1001, iss + 1);
	char b[4];

	th_inject(&f);
	/* "Enter the CLOSE-WAIT state"; the FIN is acknowledged at once */
	EXPECT(TCP_ACK, iss + 1, 1002);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSE_WAIT);
	cr_assert(T.events & TCP_EV_EOF);
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 0);
	/* we may still send in CLOSE_WAIT */
	cr_assert_eq(tcp_send(c, "ab", 2, T.now), 2);
	th_expect(&(struct th_seg){ .flags = TCP_ACK | TCP_PSH, .seq = iss + 1,
				    .ack = 1002, .wnd = TH_ANY, .mss = -1, .ws = -1,
				    .data = "ab", .len = 2 });
	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 3, 1002);
	cr_assert_eq(tcp_sock_count(T.s), 2);
	INJECT(TCP_ACK, 1002, iss + 4);
	cr_assert_eq(tcp_sock_count(T.s), 1, "LAST_ACK -> CLOSED frees it");
	tcp_close(l, T.now);
}

/* RFC 9293 figure 13: both FINs cross: CLOSING, then TIME_WAIT */
TH_TEST(tcp_close, simultaneous_close)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);

	cr_assert_eq(tcp_shutdown(c, TCP_SHUT_WR, T.now), 0);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	INJECT(TCP_FIN | TCP_ACK, 1001, iss + 1);
	EXPECT(TCP_ACK, iss + 2, 1002);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSING);
	INJECT(TCP_ACK, 1002, iss + 2);
	cr_assert_eq(tcp_sock_state(c), TCP_TIME_WAIT);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
}

/* Our FIN retransmitted on the RTO in FIN_WAIT_1 and in LAST_ACK */
TH_TEST(tcp_close, fin_retransmission)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);

	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	/* Linux's RTO after a handshake read as 1 us: srtt 1 us + rttvar
	 * max(2 us, rto_min 200 ms) = 200.001 ms, rounded up to the jiffy */
	th_advance(201 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	INJECT(TCP_FIN | TCP_ACK, 1001, iss + 2);
	EXPECT(TCP_ACK, iss + 2, 1002);
	tcp_close(l, T.now);
}

/* An orphan in FIN_WAIT_2 is dropped after tcp_fin_timeout (60 s) */
TH_TEST(tcp_close, fin_wait_2_timeout)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);

	tcp_close(l, T.now);
	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	INJECT(TCP_ACK, 1001, iss + 2);
	cr_assert_eq(tcp_sock_count(T.s), 1);
	th_advance(60 * TH_SEC - 1);
	cr_assert_eq(tcp_sock_count(T.s), 1);
	th_advance(1);
	cr_assert_eq(tcp_sock_count(T.s), 0);
	cr_assert_eq(th_counter("tcp_fin_wait2_timeouts"), 1);
	th_expect_none();
}

/* RFC 2525 2.17 (as Linux): close with unread data sends RST, not FIN */
TH_TEST(tcp_close, close_with_unread_data_resets)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = seg(TCP_ACK | TCP_PSH, 1001, iss + 1);

	d.data = "unread";
	d.len = 6;
	th_inject(&d);
	EXPECT(TCP_ACK, iss + 1, 1007);
	tcp_close(c, T.now);
	EXPECT(TCP_RST | TCP_ACK, iss + 1, 1007);
	cr_assert_eq(th_counter("tcp_close_unread_rst"), 1);
	cr_assert_eq(tcp_sock_count(T.s), 1);
	tcp_close(l, T.now);
}

/* SO_LINGER {1, 0}: close aborts with RST */
TH_TEST(tcp_close, linger_zero_aborts)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);

	cr_assert_eq(tcp_setsockopt(c, TCP_SO_LINGER, 0, T.now), 0);
	tcp_close(c, T.now);
	EXPECT(TCP_RST | TCP_ACK, iss + 1, 1001);
	tcp_close(l, T.now);
}

/* Data arriving for an orphan in FIN_WAIT_1/2 resets it (Linux) */
TH_TEST(tcp_close, data_after_close_resets)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = seg(TCP_ACK, 1001, iss + 2);

	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	d.data = "zz";
	d.len = 2;
	th_inject(&d);
	EXPECT(TCP_RST, iss + 2, 0);    /* tcp_v4_send_reset(): no ACK */
	cr_assert_eq(th_counter("tcp_abort_on_data"), 1);
	tcp_close(l, T.now);
}

static void tw_bound_one(struct stack_config *cfg)
{
	cfg->tcp_max_time_wait = 1;
}

static void to_time_wait(struct tcp_sock *c, uint16_t sport, uint32_t isn,
			 uint32_t iss)
{
	struct th_seg a = seg(TCP_ACK, isn + 1, iss + 2);

	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, isn + 1);
	a.sport = sport;
	th_inject(&a);
	a.flags |= TCP_FIN;
	th_inject(&a);
	EXPECT(TCP_ACK, iss + 2, isn + 2);
}

/* The TIME_WAIT bound recycles the oldest entry (counted) */
TH_TEST(tcp_close, time_wait_bound_recycles_oldest,
     .init = NULL)
{
	struct tcp_sock *l, *c1, *c2;
	uint32_t i1, i2;

	th_setup_cfg(tw_bound_one);
	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	c1 = conn_on(l, 5001, 100, &i1);
	c2 = conn_on(l, 5002, 200, &i2);
	to_time_wait(c1, 5001, 100, i1);
	cr_assert_eq(tcp_sock_count(T.s), 3);
	to_time_wait(c2, 5002, 200, i2);
	cr_assert_eq(th_counter("tcp_tw_recycled"), 1);
	cr_assert_eq(tcp_sock_count(T.s), 2, "listener and the newest TIME_WAIT");
	tcp_close(l, T.now);
}

/* RFC 6191: a SYN for a pair in TIME_WAIT with a higher sequence number
 * (no timestamps) opens a new incarnation, its ISN above the old one. */
TH_TEST(tcp_close, time_wait_reuse_rfc6191)
{
	struct tcp_sock *l, *c, *c2;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg syn;
	struct tcp_seg g;

	to_time_wait(c, TH_PEER_PORT, 1000, iss);
	/* an old SYN (below rcv_nxt) does not: it is answered with an ACK */
	syn = seg(TCP_SYN, 900, 0);
	th_inject(&syn);
	EXPECT(TCP_ACK, iss + 2, 1002);
	syn = seg(TCP_SYN, 50000, 0);
	syn.mss = 1460;
	th_inject(&syn);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 50001, .wnd = TH_ANY, .mss = 1460,
					.ws = -1 });
	cr_assert(SEQ_GT(g.seq, iss + 2), "new ISN beyond the old snd_nxt");
	cr_assert_eq(th_counter("tcp_tw_reused"), 1);
	INJECT(TCP_ACK, 50001, g.seq + 1);
	cr_assert_eq(tcp_accept(l, &c2), 0);
	tcp_abort(c2, T.now);
	EXPECT(TCP_RST | TCP_ACK, g.seq + 1, 50001);
	tcp_close(l, T.now);
}

/* RFC 6191 with timestamps: the SYN's TSval must be newer */
TH_TEST(tcp_close, time_wait_reuse_needs_newer_timestamp)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, true);
	struct th_seg a = seg(TCP_ACK, 1001, iss + 2), syn;
	struct tcp_seg g;

	tcp_close(c, T.now);
	g = th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = iss + 1,
					.ack = 1001, .wnd = TH_ANY, .mss = -1,
					.ws = -1, .ts = true, .tsecr = 1001 });
	a.ts = true;
	a.tsval = 1002;
	a.tsecr = g.tsval;
	a.flags |= TCP_FIN;
	th_inject(&a);
	th_expect(&(struct th_seg){ .flags = TCP_ACK, .seq = iss + 2, .ack = 1002,
				    .wnd = TH_ANY, .mss = -1, .ws = -1, .ts = true,
				    .tsecr = 1002 });
	/* higher sequence number but an older timestamp: no reuse */
	syn = seg(TCP_SYN, 90000, 0);
	syn.ts = true;
	syn.tsval = 1001;
	syn.tsecr = 0;
	th_inject(&syn);
	cr_assert_eq(th_counter("tcp_tw_reused"), 0);
	while (th_pending())
		T.head++;
	syn.tsval = 5000;
	syn.mss = 1460;
	th_inject(&syn);
	cr_assert_eq(th_counter("tcp_tw_reused"), 1);
	th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
				    .ack = 90001, .wnd = TH_ANY, .mss = 1460,
				    .ws = -1, .ts = true, .tsecr = 5000 });
	tcp_close(l, T.now);
}

/*
 * Linux's documented quirk: shutdown(SHUT_RD) on TCP discards nothing.
 * Data that comes afterwards is queued and ACKed as before
 * (tcp_rcv_state_process() -> tcp_data_queue() in ESTABLISHED) and read
 * afterwards; with nothing queued, a read returns 0 (end of stream).
 */
TH_TEST(tcp_close, data_after_shut_rd_is_queued_and_acked)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = seg(TCP_ACK | TCP_PSH, 1001, iss + 1);
	char buf[64];

	cr_assert_eq(tcp_shutdown(c, TCP_SHUT_RD, T.now), 0);
	th_expect_none();                        /* no FIN: only reading */
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	cr_assert_eq(tcp_recv(c, buf, sizeof(buf), 0, T.now), 0);
	d.data = "after shut_rd";
	d.len = 13;
	th_inject(&d);
	EXPECT(TCP_ACK, iss + 1, 1014);          /* ACKed, quick-ack mode */
	cr_assert_eq(tcp_recv_avail(c), 13);
	cr_assert_eq(tcp_recv(c, buf, sizeof(buf), 0, T.now), 13);
	cr_assert(!memcmp(buf, "after shut_rd", 13));
	cr_assert_eq(tcp_recv(c, buf, sizeof(buf), 0, T.now), 0);
	cr_assert_eq(th_counter("tcp_abort_on_data"), 0);
	/* we may still send */
	cr_assert_eq(tcp_send(c, "ok", 2, T.now), 2);
	{
		struct th_seg w = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1014);

		w.data = "ok";
		w.len = 2;
		th_expect(&w);
	}
	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 3, 1014);
	tcp_close(l, T.now);
}

/*
 * ... but once our FIN went too (shutdown(SHUT_RDWR): FIN_WAIT_1), new
 * data resets, as Linux's tcp_rcv_state_process() does in FIN_WAIT_1/2
 * with RCV_SHUTDOWN set; the holder reads ECONNRESET. A retransmission
 * of data already received does not.
 */
TH_TEST(tcp_close, data_after_shut_rdwr_resets)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = seg(TCP_ACK | TCP_PSH, 1001, iss + 1);

	d.data = "ab";
	d.len = 2;
	th_inject(&d);
	EXPECT(TCP_ACK, iss + 1, 1003);
	cr_assert_eq(tcp_shutdown(c, TCP_SHUT_RDWR, T.now), 0);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1003);
	cr_assert_eq(tcp_sock_state(c), TCP_FIN_WAIT_1);
	th_inject(&d);                           /* old data: a D-SACK */
	{
		struct th_seg w = th_tmpl(TCP_ACK, iss + 2, 1003);

		w.nsack = 1;
		w.sack[0][0] = 1001;
		w.sack[0][1] = 1003;
		th_expect(&w);
	}
	cr_assert_eq(tcp_sock_state(c), TCP_FIN_WAIT_1);
	d = seg(TCP_ACK | TCP_PSH, 1003, iss + 2);
	d.data = "zz";
	d.len = 2;
	th_inject(&d);
	EXPECT(TCP_RST, iss + 2, 0);    /* tcp_v4_send_reset(): no ACK */
	cr_assert_eq(th_counter("tcp_abort_on_data"), 1);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ECONNRESET);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
}
