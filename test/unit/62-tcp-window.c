/* SPDX-License-Identifier: MIT */
/*
 * 62-tcp-window.c - the receive window under a full ring, with bulk data
 * both ways (issue 8 item 6): the right edge we offer never moves back
 * (RFC 9293 3.8.6 SHLD-14; with window scaling, RFC 7323 2.4 and its
 * appendix F: round the window left up, as Linux's tcp_select_window()),
 * and the ACK and window of a segment that fails only the sequence test
 * are still taken (RFC 9293 3.10.7.4, "special allowance should be made
 * to accept valid ACKs"; RFC 5961 5.2 bounds the ACK).
 *
 * The engine has an 8192-byte receive window (a 16384-byte buffer, as
 * Linux counts it: tcp_win_from_space()) and window scale 7 (units
 * of 128 bytes); the peer sends 1448-byte segments, as the kernel with
 * timestamps does, so that every ACK leaves a window that is not a
 * multiple of the unit.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "60-tcp-harness.h"

static void small_rcvbuf(struct stack_config *cfg)
{
	cfg->tcp_rcvbuf = 16384;        /* as Linux's: a window of 8192 */
}

static void setup(void)
{
	th_setup_cfg(small_rcvbuf);
}

TH_SUITE(tcp_window, .init = setup, .fini = th_teardown);

#define SEG 1448u

static uint8_t buf[16384];
static uint32_t edge;           /* the right edge we offered last */

/* The handshake of th_passive_open(), without timestamps, with the
 * window an 8192-byte buffer gives: min(8192, 65535) cut to MSS units. */
static uint32_t open_conn(struct tcp_sock **l, struct tcp_sock **c)
{
	struct th_seg syn = th_tmpl(TCP_SYN, 1000, 0), sa, ack;
	struct tcp_seg g;

	cr_assert_eq(th_open(l), 0);
	cr_assert_eq(tcp_bind(*l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(*l, 16, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	syn.sackok = true;
	syn.ws = 7;
	syn.wnd = 64240;
	th_inject(&syn);
	sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 1001);
	sa.mss = 1460;
	sa.sackok = true;
	sa.ws = 7;
	sa.wnd = 7300;
	g = th_expect(&sa);
	edge = 1001 + 7300;
	ack = th_tmpl(TCP_ACK, 1001, g.seq + 1);
	ack.wnd = 502;
	th_inject(&ack);
	th_expect_none();
	cr_assert_eq(tcp_accept(*l, c), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	return g.seq;
}

/* The peer's segment [@seq, @seq + @len), acknowledging @ack. */
static void peer_data(uint32_t seq, uint32_t ack, uint32_t len)
{
	struct th_seg d = th_tmpl(TCP_ACK, seq, ack);

	d.wnd = 502;
	d.data = buf;
	d.len = len;
	th_inject(&d);
}

/* Our ACK of @ack offering @wnd (in units of 128): its right edge is
 * never left of the one before. */
static void expect_ack(uint32_t seq, uint32_t ack, uint32_t wnd)
{
	struct th_seg a = th_tmpl(TCP_ACK, seq, ack);
	struct tcp_seg g;

	a.wnd = TH_ANY;
	g = th_expect(&a);
	cr_assert(SEQ_GEQ(g.ack + ((uint32_t)g.wnd << 7), edge),
		  "right edge moved back from %u to %u (ack %u wnd %u)", edge,
		  g.ack + ((uint32_t)g.wnd << 7), g.ack, g.wnd);
	cr_assert_eq(g.wnd, wnd, "ack %u: window %u units, want %u", g.ack,
		     g.wnd, wnd);
	edge = g.ack + ((uint32_t)g.wnd << 7);
}

static void finish(struct tcp_sock *l, struct tcp_sock *c)
{
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

/* Our segment of @len bytes of the ring from @off at @seq. */
static void expect_data(uint32_t seq, uint32_t ack, uint32_t wnd,
			const uint8_t *data, uint32_t len, bool psh)
{
	struct th_seg d = th_tmpl(TCP_ACK | (psh ? TCP_PSH : 0), seq, ack);

	d.wnd = wnd;
	d.data = data;
	d.len = len;
	th_expect(&d);
}

/*
 * The trace of issue 8 item 6 (an asyncio echo of 20 MB, both directions
 * at once, stalled every time). Both sides send; our application reads
 * nothing for a while, so the ring fills. Every quick ACK leaves a window
 * that is not a multiple of 128: the edge creeps on by 40 bytes (9233,
 * 9273, 9313: 8 bytes short of the ring's end, 9321). The fourth ACK
 * used to round the window down (19 units: the edge back at 9225); the
 * peer, which had already seen 9313, filled to it, the last 48 bytes were
 * cut, and its pure ACKs then carried SEQ = RCV.NXT + 48 into a zero
 * window: unacceptable, dropped, our data retransmitted until the RTO
 * backed off for good. Now the edge only moves on (the ring grows by a
 * step to hold it), the peer's data up to the edge it saw is all taken,
 * its ACK of our data arrives in window, and nothing is retransmitted.
 */
TH_TEST(tcp_window, both_ways_bulk_edge_never_moves_back)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c);
	struct th_seg a;
	struct tcp_info_rec i;

	/* we send 1460 bytes (the other 540 of the trace's write are
	 * written below, once they are acknowledged: the trace's Nagle held
	 * them); the window grows from the SYN-ACK's 7300 to the buffer,
	 * 8192: the edge is 9193, a unit below the ring's end (1001 + 8192 +
	 * 128) */
	cr_assert_eq(tcp_send(c, buf, 1460, T.now), 1460);
	expect_data(iss + 1, 1001, 64, buf, 1460, true);
	edge = 1001 + 64 * 128;
	th_expect_none();
	/* the peer's data, back to back, each segment ACKed at once */
	peer_data(1001, iss + 1, SEG);
	expect_ack(iss + 1461, 2449, 53);        /* edge 9233 */
	peer_data(2449, iss + 1, SEG);
	expect_ack(iss + 1461, 3897, 42);        /* edge 9273 */
	peer_data(3897, iss + 1, SEG);
	expect_ack(iss + 1461, 5345, 31);        /* edge 9313 */
	peer_data(5345, iss + 1, SEG);
	expect_ack(iss + 1461, 6793, 20);        /* 9353, was 19: 9225 */
	peer_data(6793, iss + 1, SEG);
	expect_ack(iss + 1461, 8241, 9);         /* edge 9393 */
	/* the peer fills to the edge it knew when it sent: 9313 */
	peer_data(8241, iss + 1, 9313 - 8241);
	expect_ack(iss + 1461, 9313, 1);         /* edge 9441 */
	cr_assert_eq(tcp_recv_avail(c), 9313 - 1001);
	/* its pure ACK of our 1460 bytes sits at RCV.NXT: taken; the last
	 * 540 go */
	a = th_tmpl(TCP_ACK, 9313, iss + 1461);
	a.wnd = 502;
	th_inject(&a);
	th_expect_none();
	cr_assert_eq(tcp_send(c, buf + 1460, 540, T.now), 540);
	expect_data(iss + 1461, 9313, 1, buf + 1460, 540, true);
	a.ack = iss + 2001;
	th_inject(&a);
	th_advance(5 * TH_SEC);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.snd_una, iss + 2001);
	cr_assert_eq(th_counter("tcp_retrans_segs"), 0);
	cr_assert_eq(th_counter("tcp_rcv_beyond_wnd"), 0);
	cr_assert_eq(th_counter("tcp_rcv_ring_full"), 0);
	cr_assert_eq(th_counter("tcp_rcv_wnd_overcommit"), 0);
	finish(l, c);
}

/* Peer data filling the window we offer, until it is zero; the peer's
 * own window is closed (@peer_wnd 0). Return: RCV.NXT */
static uint32_t fill_window(uint32_t iss, uint16_t peer_wnd)
{
	uint32_t seq = 1001;
	struct tcp_seg g;

	for (unsigned k = 0; k < 32; k++) {
		struct th_seg d = th_tmpl(TCP_ACK, seq, iss + 1), a;
		uint32_t n = edge - seq < SEG ? edge - seq : SEG;

		d.wnd = peer_wnd;
		d.data = buf;
		d.len = n;
		th_inject(&d);
		seq += n;
		a = th_tmpl(TCP_ACK, iss + 1, seq);
		a.wnd = TH_ANY;
		g = th_expect(&a);
		cr_assert(SEQ_GEQ(g.ack + ((uint32_t)g.wnd << 7), edge),
			  "right edge moved back");
		edge = g.ack + ((uint32_t)g.wnd << 7);
		if (g.wnd == 0)
			return seq;
	}
	cr_assert_fail("the window never closed");
	return seq;
}

/*
 * The other half of the trace: at zero window a pure ACK whose SEQ lies
 * beyond RCV.NXT (the kernel's, with SEQ = RCV.NXT + 60 in the capture)
 * is not acceptable (RFC 9293 3.10.7.4: only SEQ = RCV.NXT is), but its
 * ACK and window are taken: it acknowledges our data and opens the
 * peer's window, and our waiting data goes at once, carrying the ACK the
 * RFC asks for. Linux would only send the duplicate ACK.
 */
TH_TEST(tcp_window, ack_beyond_zero_window_is_taken)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c), nxt;
	struct th_seg a;
	struct tcp_info_rec i;

	nxt = fill_window(iss, 0);
	/* the peer's window is closed too: what we write waits */
	cr_assert_eq(tcp_send(c, buf, 3000, T.now), 3000);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_PERSIST);
	/* the peer reads, and its window update lies 60 bytes beyond ours */
	a = th_tmpl(TCP_ACK, nxt + 60, iss + 1);
	a.wnd = 502;
	th_inject(&a);
	expect_data(iss + 1, nxt, 0, buf, 1460, false);
	expect_data(iss + 1461, nxt, 0, buf + 1460, 1460, false);
	/* Minshall's Nagle, as Linux's: no short segment flies */
	expect_data(iss + 2921, nxt, 0, buf + 2920, 80, true);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_oow_acks_taken"), 1);
	/* its next ACKs, still beyond: taken and answered, nothing resent */
	a.ack = iss + 2921;
	th_inject(&a);
	expect_ack(iss + 3001, nxt, 0);
	a.ack = iss + 3001;
	th_inject(&a);
	expect_ack(iss + 3001, nxt, 0);
	th_advance(5 * TH_SEC);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.snd_una, iss + 3001);
	cr_assert_eq(i.snd_wnd, 502u << 7);
	cr_assert_eq(th_counter("tcp_retrans_segs"), 0);
	finish(l, c);
}

/* An ACK beyond what we sent, on a segment beyond the window, is still
 * refused as RFC 5961 5.2 says: a challenge ACK, nothing taken. */
TH_TEST(tcp_window, ack_beyond_window_checked_as_rfc5961)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c), nxt;
	struct th_seg a;
	struct tcp_info_rec i;

	nxt = fill_window(iss, 502);
	a = th_tmpl(TCP_ACK, nxt + 60, iss + 1 + 100000);
	a.wnd = 502;
	th_inject(&a);
	expect_ack(iss + 1, nxt, 0);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.snd_una, iss + 1);
	cr_assert_eq(th_counter("tcp_ack_challenged"), 1);
	finish(l, c);
}

/* A retransmission of data we have, carrying a newer ACK: D-SACKed
 * (RFC 2883), and its ACK taken. */
TH_TEST(tcp_window, old_duplicate_ack_is_taken)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c);
	struct th_seg a;
	struct tcp_info_rec i;

	cr_assert_eq(tcp_send(c, buf, 1000, T.now), 1000);
	expect_data(iss + 1, 1001, 64, buf, 1000, true);
	peer_data(1001, iss + 1, SEG);
	expect_ack(iss + 1001, 2449, 53);
	peer_data(1001, iss + 1001, SEG);
	a = th_tmpl(TCP_ACK, iss + 1001, 2449);
	a.wnd = 53;
	a.nsack = 1;
	a.sack[0][0] = 1001;
	a.sack[0][1] = 2449;
	th_expect(&a);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.snd_una, iss + 1001);
	th_advance(5 * TH_SEC);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_retrans_segs"), 0);
	finish(l, c);
}

/* The peer's @n segments from 1001, each ACKed at once (the quick ACKs
 * of a connection's start); the host passes each on unread if @pass.
 * Return: the last window offered, in units */
static uint32_t peer_segments(uint32_t iss, struct tcp_sock *c, unsigned n,
			      bool pass, uint32_t *wnd)
{
	uint32_t w = 0;

	for (unsigned i = 0; i < n; i++) {
		struct th_seg a = th_tmpl(TCP_ACK, iss + 1, 1001 + (i + 1) * SEG);
		struct tcp_seg g;

		peer_data(1001 + i * SEG, iss + 1, SEG);
		a.wnd = TH_ANY;
		g = th_expect(&a);
		wnd[i] = w = g.wnd;
		th_expect_none();
		if (pass) {
			cr_assert_eq(tcp_recv_pass(c, SEG, T.now), 0);
			/* nothing read yet, nothing to announce */
			th_expect_none();
		}
	}
	return w;
}

/*
 * Issue 13 item 2: the window counts what the program has not read yet.
 * The host passes received bytes on to its program (the daemon writes
 * them into the program's channel: tcp_recv_pass()), which reads them
 * later; until it does they fill the receive buffer, as unread bytes fill
 * a kernel socket's. Passing them on announces nothing (ustack used to
 * send the window they freed at once, an ACK with the old ACK number the
 * kernel never sends), and the windows offered are those of a buffer
 * nobody read: the same trace twice, once with the bytes left in the
 * ring, once passed on unread. Then the program's reads open the window
 * by Linux's rule (tcp_cleanup_rbuf(): announced when the window left is
 * at most half the buffer and the new one at least twice it).
 */
TH_TEST(tcp_window, window_follows_program_reads)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c), kept[5], passed[5], w;

	w = peer_segments(iss, c, 5, false, kept);
	finish(l, c);
	iss = open_conn(&l, &c);
	cr_assert_eq(peer_segments(iss, c, 5, true, passed), w);
	for (unsigned i = 0; i < 5; i++)
		cr_assert_eq(passed[i], kept[i], "ACK %u: window %u, unread "
			     "in the ring %u", i + 1, passed[i], kept[i]);
	cr_assert_eq(tcp_recv_avail(c), 0);
	/* the SYN-ACK's edge (8301) holds the first windows up: 46 units
	 * at 2449, then 11 fewer per segment: 2 left at 8241 (edge 8497) */
	cr_assert_eq(w, 2, "%u units left", w);
	/* 7240 unread, 2 units left of 64: a read is worth telling */
	cr_assert(tcp_recv_watch(c));
	T.unread_known = true;
	/* a segment read: 2400 free, 18 units, at least twice 2: announced */
	T.unread = 4 * SEG;
	cr_assert(tcp_recv_unread(c, T.unread, T.now));
	expect_ack(iss + 1, 1001 + 5 * SEG, 18);
	th_expect_none();
	/* another: 3848 free, 30 units, not twice 18: not announced */
	T.unread = 3 * SEG;
	cr_assert(tcp_recv_unread(c, T.unread, T.now));
	th_expect_none();
	/* another: 5296 free, 41 units, twice 18 at least: announced; now
	 * more than half the buffer is offered, and reads need not be told */
	T.unread = 2 * SEG;
	cr_assert_not(tcp_recv_unread(c, T.unread, T.now));
	expect_ack(iss + 1, 1001 + 5 * SEG, 41);
	th_expect_none();
	/* the rest: not announced (41 units left is over half of 64) */
	T.unread = 0;
	cr_assert_not(tcp_recv_unread(c, 0, T.now));
	th_expect_none();
	/* the next ACK offers the whole buffer */
	peer_data(1001 + 5 * SEG, iss + 1, SEG);
	expect_ack(iss + 1, 1001 + 6 * SEG, 52);
	finish(l, c);
}

/*
 * Linux's rule, the other half: a read that leaves more than half the
 * buffer offered is not announced (the next ACK carries the window).
 */
TH_TEST(tcp_window, read_with_half_the_window_left_is_not_announced)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c), wnd[2];

	/* two segments unread: the window left is over half of 64 units */
	cr_assert_gt(peer_segments(iss, c, 2, true, wnd) * 2, 64);
	cr_assert_not(tcp_recv_watch(c));
	T.unread_known = true;
	T.unread = 0;
	cr_assert_not(tcp_recv_unread(c, 0, T.now));
	th_expect_none();
	finish(l, c);
}

/*
 * A program that reads nothing closes the window, as on Linux: the
 * zero window is offered while the bytes sit unread in its channel (the
 * host asked, stack_ops.sock_unread, and they are all there), and its
 * first read opens the window at once. Autotuning follows the program's
 * reads, not the host's passing on (which grew the buffer of a program
 * that read nothing).
 */
TH_TEST(tcp_window, unread_channel_closes_the_window)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c);
	uint32_t seq = 1001, last = 1;

	T.unread_known = true;
	for (unsigned i = 0; i < 12 && last; i++) {
		struct th_seg a = th_tmpl(TCP_ACK, iss + 1, TH_ANY);

		/* time passes: autotuning would grow a buffer the program
		 * reads this fast, but the program reads nothing */
		th_advance(20 * TH_MS);
		peer_data(seq, iss + 1, SEG);
		seq = 1001 + (uint32_t)tcp_recv_avail(c) + T.unread;
		/* every byte goes into the channel at once, unread */
		T.unread += (uint32_t)tcp_recv_avail(c);
		cr_assert_eq(tcp_recv_pass(c, tcp_recv_avail(c), T.now), 0);
		a.wnd = TH_ANY;
		while (th_pending())
			last = th_expect(&a).wnd;
	}
	cr_assert_eq(last, 0, "window %u units with the buffer unread", last);
	/* the program reads everything: the window opens, announced */
	T.unread = 0;
	cr_assert_not(tcp_recv_unread(c, 0, T.now));
	expect_ack(iss + 1, seq, 64);
	finish(l, c);
}

/*
 * A request and its reply. The host passed the request on; the program
 * read it (the host would say 0 unread). The host is asked only where
 * its answer changes the window (stack_ops.sock_unread is a system call
 * in the daemon):
 * - the first request was acknowledged at once (quick ACK), so the
 *   reply's window, the whole buffer once read, differs: asked;
 * - in pingpong (delayed ACKs), the reply carries the ACK and the same
 *   window either way (the space the request takes is under the SWS
 *   step, and the edge stays): not asked;
 * - more than an MSS passed on: asked (autotuning counts the reads).
 */
TH_TEST(tcp_window, small_unread_not_asked_when_window_same)
{
	struct tcp_sock *l, *c;
	uint32_t iss = open_conn(&l, &c);

	T.unread_known = true;
	T.unread = 0;
	peer_data(1001, iss + 1, 100);
	expect_ack(iss + 1, 1101, 57);
	cr_assert_eq(tcp_recv_pass(c, 100, T.now), 0);
	T.unread_asked = 0;
	cr_assert_eq(tcp_send(c, buf, 200, T.now), 200);
	expect_data(iss + 1, 1101, 64, buf, 200, true);
	cr_assert_gt(T.unread_asked, 0);
	/* pingpong: the next request waits for the reply's ACK */
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_QUICKACK, 0, T.now), 0);
	peer_data(1101, iss + 201, 100);
	th_expect_none();
	cr_assert_eq(tcp_recv_pass(c, 100, T.now), 0);
	T.unread_asked = 0;
	cr_assert_eq(tcp_send(c, buf, 200, T.now), 200);
	expect_data(iss + 201, 1201, 64, buf, 200, true);
	cr_assert_eq(T.unread_asked, 0);
	/* more than an MSS passed on: asked */
	peer_data(1201, iss + 401, SEG);
	peer_data(1201 + SEG, iss + 401, SEG);
	while (th_pending())
		T.head++;
	cr_assert_eq(tcp_recv_pass(c, 2 * SEG, T.now), 0);
	T.unread_asked = 0;
	cr_assert_eq(tcp_send(c, buf, 200, T.now), 200);
	cr_assert_gt(T.unread_asked, 0);
	finish(l, c);
}
