/* SPDX-License-Identifier: MIT */
/*
 * 69-tcp-recovery.c - SACK loss recovery (RFC 6675: IsLost, SetPipe,
 * NextSeg rules 1-4) and RACK-TLP (RFC 8985: time-based loss marks, the
 * reordering window and its D-SACK widening, the reorder timer, a tail
 * loss probe whose SACK lets RACK find the loss before it)
 *
 * The engine sends; the fake peer answers with SACK blocks. The RFC 6675
 * cases run with RACK off (DupThresh is their loss detector) and NewReno
 * (ssthresh = cwnd / 2, as Linux) so that the numbers are round; the RACK
 * cases open the connection with a 50 ms round trip so that min_RTT, and
 * with it the reordering window (min_RTT / 4 = 12.5 ms), are known.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_recovery, .init = th_setup, .fini = th_teardown);

#define M 1460u
#define RTT (50 * TH_MS)

static uint8_t buf[64 * 1460];

static void rack_off(struct stack_config *cfg)
{
	cfg->tcp_rack = false;
	cfg->tcp_tlp = false;
}

static void no_tlp(struct stack_config *cfg)
{
	cfg->tcp_tlp = false;
}

/* Queue @n segments of data; @sent of them go at once (cwnd). */
static void queue_data(struct tcp_sock *c, uint32_t b, unsigned n,
		       unsigned sent)
{
	for (unsigned i = 0; i < n * M; i++)
		buf[i] = (uint8_t)(i * 13);
	cr_assert_eq(tcp_send(c, buf, n * M, T.now), n * M);
	for (unsigned k = 0; k < sent; k++) {
		struct th_seg d = th_tmpl(TCP_ACK | (k == n - 1 ? TCP_PSH : 0),
					  b + k * M, 1001);

		d.wnd = TH_ANY;
		d.data = buf + k * M;
		d.len = M;
		th_expect(&d);
	}
	th_expect_none();
}

/* The peer's ACK of @ack with SACK blocks [b + s0 * M, b + e0 * M) ... */
static void sack(uint32_t b, uint32_t ack, unsigned n, const unsigned *se)
{
	struct th_seg a = th_tmpl(TCP_ACK, 1001, ack);

	a.wnd = 502;
	a.nsack = n;
	for (unsigned i = 0; i < n; i++) {
		a.sack[i][0] = b + se[2 * i] * M;
		a.sack[i][1] = b + se[2 * i + 1] * M;
	}
	th_inject(&a);
}

/* Expect the retransmission (or new transmission) of segment @k. */
static void expect_seg(uint32_t b, unsigned k, bool psh)
{
	struct th_seg r = th_tmpl(TCP_ACK | (psh ? TCP_PSH : 0), b + k * M, 1001);

	r.wnd = TH_ANY;
	r.data = buf + k * M;
	r.len = M;
	th_expect(&r);
}

static void finish(struct tcp_sock *l, struct tcp_sock *c)
{
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

static uint32_t open_newreno(struct tcp_sock **l, struct tcp_sock **c)
{
	uint32_t iss;

	th_setup_cfg(rack_off);
	iss = th_passive_open(l, c, 1000, false);
	cr_assert_eq(tcp_setsockopt(*c, TCP_OPT_CONGESTION, TCP_CC_NEWRENO,
				    T.now), 0);
	return iss + 1;
}

/* RFC 6675 5: a hole and three SACKs -- the third duplicate ACK (and
 * IsLost(HighACK + 1): more than 2 * SMSS SACKed above) retransmits it */
TH_TEST(tcp_recovery, hole_and_three_sacks_retransmit_the_hole)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_newreno(&l, &c);
	static const unsigned s1[] = { 1, 2 }, s2[] = { 1, 3 }, s3[] = { 1, 4 };

	queue_data(c, b, 5, 5);
	sack(b, b, 1, s1);
	th_expect_none();
	sack(b, b, 1, s2);
	th_expect_none();
	sack(b, b, 1, s3);
	expect_seg(b, 0, false);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_sack_recoveries"), 1);
	finish(l, c);
}

/* RFC 6675 4 IsLost: "DupThresh discontiguous SACKed sequences" above it
 * are enough, however few bytes they hold: one ACK with three blocks */
TH_TEST(tcp_recovery, is_lost_by_three_discontiguous_ranges)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_newreno(&l, &c);
	struct th_seg a = th_tmpl(TCP_ACK, 1001, b);
	struct th_seg r;

	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now), 0);
	for (unsigned k = 0; k < 7; k++) {
		struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, b + 100 * k, 1001);

		cr_assert_eq(tcp_send(c, buf + 100 * k, 100, T.now), 100);
		d.wnd = TH_ANY;
		d.len = 100;
		th_expect(&d);
	}
	/* 300 bytes SACKed, far less than 2 * SMSS, but three ranges */
	a.wnd = 502;
	a.nsack = 3;
	for (unsigned i = 0; i < 3; i++) {
		a.sack[i][0] = b + 100 * (2 * i + 1);
		a.sack[i][1] = b + 100 * (2 * i + 2);
	}
	th_inject(&a);
	r = th_tmpl(TCP_ACK, b, 1001);
	r.wnd = TH_ANY;
	r.len = 100;
	th_expect(&r);
	cr_assert_eq(th_counter("tcp_fast_retrans"), 1);
	finish(l, c);
}

/*
 * RFC 6675 4 SetPipe, written out. Ten segments out (0..9), NewReno:
 * ssthresh = cwnd = 10 * M / 2 = 5 M. The peer SACKs 2-4 and 7:
 *
 *   seg  SACKed  IsLost (SACKed above it)       pipe (a)  retransmitted (b)
 *   0    -       yes: 2 ranges, 4 M > 2 M        -         yes, at entry
 *   1    -       yes: 2 ranges, 4 M > 2 M        -         no
 *   5,6  -       no: 1 range, 1 M                2 M       no
 *   8,9  -       no: nothing                     2 M       no
 *
 * pipe = 4 M before the entry's retransmission of segment 0, 5 M after:
 * cwnd - pipe = 0, so segment 1 waits. A SACK for 8 then makes 5 and 6
 * no more lost (one range of 2 M above them is not more than 2 M) and
 * takes 8 out: pipe = 1 M (0) + 2 M (5, 6) + 1 M (9) = 4 M, and segment
 * 1, the next lost hole (rule 1), goes.
 */
TH_TEST(tcp_recovery, pipe_as_rfc6675_defines_it)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_newreno(&l, &c);
	static const unsigned s1[] = { 2, 5, 7, 8 }, s2[] = { 2, 5, 7, 9 };
	struct tcp_info_rec i;

	queue_data(c, b, 10, 10);
	sack(b, b, 2, s1);
	expect_seg(b, 0, false);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 5 * M);
	cr_assert_eq(tcp_pipe(c), 5 * M, "pipe %u", tcp_pipe(c));
	sack(b, b, 2, s2);
	cr_assert_eq(tcp_pipe(c), 5 * M, "pipe %u after rule 1", tcp_pipe(c));
	expect_seg(b, 1, false);
	th_expect_none();
	finish(l, c);
}

/* RFC 6675 4 NextSeg rule 2: when no hole is lost and cwnd - pipe leaves
 * room, previously unsent data goes. How much, PRR says (RFC 6937): the
 * SACK of 1-3 starts recovery with pipe 6 > ssthresh 5 (NewReno: 10 / 2),
 * prr_delivered 3: ceil(5 * 3 / 10) = 2 segments, the hole 0 (NextSeg
 * rule 1) and new data, 10 (rule 2). The SACK of 4-6 leaves pipe = 1 (0)
 * + 4 (7-10) = 5 = ssthresh: nothing more. */
TH_TEST(tcp_recovery, rule2_new_data_when_no_hole_is_lost)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_newreno(&l, &c);
	static const unsigned s1[] = { 1, 4 }, s2[] = { 1, 7 };

	queue_data(c, b, 20, 10);
	sack(b, b, 1, s1);
	expect_seg(b, 0, false);
	expect_seg(b, 10, false);
	th_expect_none();
	sack(b, b, 1, s2);
	th_expect_none();
	cr_assert_eq(tcp_pipe(c), 5 * M, "pipe %u", tcp_pipe(c));
	finish(l, c);
}

/* RFC 6675 4 NextSeg rule 3: no lost hole, no new data: a hole below the
 * highest SACK that is not (yet) deemed lost goes. 8 out, cwnd 10,
 * ssthresh 5 (NewReno as Linux). The SACK of 1-3 and 6 starts recovery:
 * pipe = 4 + 5 + 7 = 3 M, 4 delivered: PRR lets min(5 - 3, 4) = 2 go,
 * the lost 0 (rule 1) and the hole 4 (rule 3: one SACK above it only).
 * The SACK of 7: pipe = 1 (0) + 2 (4: not lost, resent) + 1 (5) = 4 M,
 * one more may go: 5, the next hole not yet resent (rule 3 again) */
TH_TEST(tcp_recovery, rule3_hole_not_yet_lost)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_newreno(&l, &c);
	static const unsigned s1[] = { 1, 4, 6, 7 }, s2[] = { 1, 4, 6, 8 };

	queue_data(c, b, 8, 8);
	sack(b, b, 2, s1);
	expect_seg(b, 0, false);
	expect_seg(b, 4, false);
	th_expect_none();
	/* 7 SACKed: 4 and 5 have one range (2 M) above: not lost */
	sack(b, b, 2, s2);
	expect_seg(b, 5, false);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rescue_rtx"), 0);
	finish(l, c);
}

/* RFC 6675 4 NextSeg rule 4: nothing lost, nothing new, no hole below a
 * SACK: one rescue retransmission of the highest unSACKed segment per
 * recovery, once HighACK passes RescueRxt (set at entry to the end of
 * the first retransmission, 5 (4.3)); CUBIC: cwnd = 0.7 * 5 M leaves
 * room for it */
TH_TEST(tcp_recovery, rule4_rescue_once_per_recovery)
{
	struct tcp_sock *l, *c;
	uint32_t b;
	static const unsigned s1[] = { 1, 4 };

	th_setup_cfg(rack_off);
	b = th_passive_open(&l, &c, 1000, false) + 1;
	queue_data(c, b, 5, 5);
	sack(b, b, 1, s1);
	expect_seg(b, 0, false);
	th_expect_none();           /* "a premature rescue retransmission" */
	cr_assert_eq(th_counter("tcp_rescue_rtx"), 0);
	/* the hole's ACK (partial: RecoveryPoint is beyond): the rescue */
	sack(b, b + M, 1, s1);
	expect_seg(b, 4, true);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rescue_rtx"), 1);
	/* RescueRxt = RecoveryPoint now: no second one */
	sack(b, b + M, 1, s1);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rescue_rtx"), 1);
	finish(l, c);
}

/* Without SACK blocks from the peer, recovery stays NewReno (RFC 6582):
 * three duplicate ACKs, cwnd = ssthresh + 3 * SMSS */
TH_TEST(tcp_recovery, no_sack_blocks_is_newreno)
{
	struct tcp_sock *l, *c;
	uint32_t b;
	struct tcp_info_rec i;

	th_setup_cfg(no_tlp);
	b = th_passive_open(&l, &c, 1000, false) + 1;
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_CONGESTION, TCP_CC_NEWRENO,
				    T.now), 0);
	queue_data(c, b, 6, 6);
	for (int k = 0; k < 3; k++)
		sack(b, b, 0, NULL);
	expect_seg(b, 0, false);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 5 * M + 3 * M, "ssthresh (10 / 2) + 3 * SMSS");
	cr_assert_eq(th_counter("tcp_sack_recoveries"), 0);
	finish(l, c);
}

/* -- RACK ------------------------------------------------------------- */

/* Passive open with a 50 ms round trip: SYN-ACK out, the ACK 50 ms later
 * (Karn's timed SYN-ACK gives SRTT = min_RTT = 50 ms). */
static uint32_t open_rtt(struct tcp_sock **l, struct tcp_sock **c,
			 void (*tweak)(struct stack_config *))
{
	struct th_seg syn = th_tmpl(TCP_SYN, 1000, 0), sa, ack;
	struct tcp_seg g;
	struct tcp_info_rec i;

	th_setup_cfg(tweak);
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
	sa.wnd = TH_ANY;
	g = th_expect(&sa);
	th_advance(RTT);
	ack = th_tmpl(TCP_ACK, 1001, g.seq + 1);
	ack.wnd = 502;
	th_inject(&ack);
	cr_assert_eq(tcp_accept(*l, c), 0);
	tcp_get_info(*c, &i, T.now);
	cr_assert_eq(i.srtt, RTT);
	cr_assert_eq(i.rack_min_rtt, RTT);
	return g.seq + 1;
}

/* RFC 8985 6.2: segment 1 SACKed one RTT after both were sent: segment 0
 * is lost once RACK.rtt + reo_wnd (min_RTT / 4) have passed since it was
 * sent; the reorder timer (6.3) fires then and it is retransmitted */
TH_TEST(tcp_recovery, rack_marks_lost_after_reo_wnd_by_timer)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_rtt(&l, &c, no_tlp);
	static const unsigned s1[] = { 1, 2 };
	struct tcp_info_rec i;

	queue_data(c, b, 2, 2);
	th_advance(RTT);
	sack(b, b, 1, s1);
	th_expect_none();           /* not yet: within the reordering window */
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rack_reo_wnd, RTT / 4);
	cr_assert_eq(i.timer, TCP_TIMER_REORDER);
	cr_assert_eq(i.timer_left, RTT / 4);
	th_advance(RTT / 4 - 1);
	th_expect_none();
	th_advance(1);
	expect_seg(b, 0, false);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rack_timeouts"), 1);
	cr_assert_eq(th_counter("tcp_rack_lost"), 1);
	cr_assert_eq(th_counter("tcp_sack_recoveries"), 1);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rack_lost, 1);
	cr_assert_eq(i.timer, TCP_TIMER_RETRANSMIT);
	finish(l, c);
}

/* RFC 8985 6.2: sent more than reo_wnd before the delivered segment, a
 * segment is lost at once when the SACK comes; one sent within reo_wnd
 * of it waits for the timer */
TH_TEST(tcp_recovery, rack_marks_lost_by_send_time)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_rtt(&l, &c, no_tlp);
	static const unsigned s1[] = { 2, 3 };

	for (unsigned i = 0; i < 3 * M; i++)
		buf[i] = (uint8_t)(i * 13);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now), 0);
	for (unsigned k = 0; k < 3; k++) {
		cr_assert_eq(tcp_send(c, buf + k * M, M, T.now), M);
		expect_seg(b, k, true);
		th_advance(k == 0 ? 20 * TH_MS : 5 * TH_MS);
	}
	/* sent at 0, 20 and 25 ms; segment 2 SACKed at 75 ms (RACK.rtt 50):
	 * 0 is due at 62.5 ms, 1 at 82.5 ms */
	th_advance(RTT - 5 * TH_MS);
	sack(b, b, 1, s1);
	expect_seg(b, 0, false);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rack_lost"), 1);
	th_advance(7500 * 1000ull - 1);
	th_expect_none();
	th_advance(1);
	expect_seg(b, 1, false);
	cr_assert_eq(th_counter("tcp_rack_lost"), 2);
	finish(l, c);
}

/* RFC 8985 6.2 step 4: with reordering seen, a D-SACK widens reo_wnd to
 * 2 * min_RTT / 4 ("RACK.reo_wnd_mult += 1"), and the reorder timer of
 * the next loss waits that long */
TH_TEST(tcp_recovery, rack_dsack_widens_reo_wnd)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_rtt(&l, &c, no_tlp);
	static const unsigned s1[] = { 1, 2 };
	struct th_seg a;
	struct tcp_info_rec i;

	queue_data(c, b, 4, 4);
	th_advance(RTT);
	sack(b, b, 1, s1);
	th_advance(RTT / 8);        /* segment 0 arrives late: reordering */
	sack(b, b + 2 * M, 0, NULL);
	cr_assert_eq(th_counter("tcp_rack_reorder"), 1);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rack_reo_wnd, RTT / 4);
	/* segment 3 SACKed, with a D-SACK: segment 0 arrived twice */
	th_advance(RTT / 8);
	a = th_tmpl(TCP_ACK, 1001, b + 2 * M);
	a.wnd = 502;
	a.nsack = 2;
	a.sack[0][0] = b;
	a.sack[0][1] = b + M;
	a.sack[1][0] = b + 3 * M;
	a.sack[1][1] = b + 4 * M;
	th_inject(&a);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_dsack_rcvd"), 1);
	cr_assert_eq(th_counter("tcp_rack_reo_widened"), 1);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rack_reo_wnd, 2 * (RTT / 4));
	cr_assert_eq(i.timer, TCP_TIMER_REORDER);
	cr_assert_eq(i.timer_left, 2 * (RTT / 4));
	th_advance(2 * (RTT / 4) - 1);
	th_expect_none();
	th_advance(1);
	expect_seg(b, 2, false);
	cr_assert_eq(th_counter("tcp_rack_lost"), 1);
	finish(l, c);
}

/* RFC 8985 6.2 step 3: a segment cumulatively acknowledged after a later
 * one was SACKed, never retransmitted: reordering, counted, and reo_wnd
 * no longer drops to zero in recovery */
TH_TEST(tcp_recovery, rack_detects_reordering)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_rtt(&l, &c, no_tlp);
	static const unsigned s1[] = { 1, 2 };
	struct tcp_info_rec i;

	queue_data(c, b, 2, 2);
	th_advance(RTT);
	sack(b, b, 1, s1);
	th_advance(RTT / 8);        /* within reo_wnd: segment 0 comes late */
	sack(b, b + 2 * M, 0, NULL);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rack_reorder"), 1);
	cr_assert_eq(th_counter("tcp_rack_lost"), 0);
	cr_assert_eq(th_counter("tcp_retrans_segs"), 0);
	tcp_get_info(c, &i, T.now);
	cr_assert(i.rack_reord);
	cr_assert_eq(i.timer, TCP_TIMER_NONE);
	finish(l, c);
}

/* RFC 8985 7 with 6.2: RACK-TLP. The tail of a flight is lost: no ACK
 * comes for it. The probe (the last segment) is SACKed; RACK then finds
 * the segment before it lost by time and recovery resends it. */
TH_TEST(tcp_recovery, rack_tlp_tail_loss)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_rtt(&l, &c, NULL);
	static const unsigned s1[] = { 2, 3 };
	struct tcp_info_rec i;

	queue_data(c, b, 3, 3);
	th_advance(RTT);
	sack(b, b + M, 0, NULL);    /* segment 0 acked; 1 and 2 lost */
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_LOSS_PROBE);
	th_advance(i.timer_left);
	expect_seg(b, 2, true);     /* the probe: the last segment */
	cr_assert_eq(th_counter("tcp_tlp_probes"), 1);
	th_advance(RTT);
	sack(b, b + M, 1, s1);
	expect_seg(b, 1, false);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rack_lost"), 1);
	cr_assert_eq(th_counter("tcp_rto_timeouts"), 0);
	sack(b, b + 3 * M, 0, NULL);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.timer, TCP_TIMER_NONE);
	finish(l, c);
}

/* The peer's ACK of @ack with one SACK block of bytes [@start, @end) */
static void sack_bytes(uint32_t ack, uint32_t start, uint32_t end)
{
	struct th_seg a = th_tmpl(TCP_ACK, 1001, ack);

	a.wnd = 502;
	a.nsack = 1;
	a.sack[0][0] = start;
	a.sack[0][1] = end;
	th_inject(&a);
}

/*
 * A segment whose last byte alone is SACKed is not delivered (Linux's
 * tcp_match_skb_to_sack(): a one-segment skb is SACKed only whole), so
 * RACK learns nothing from that ACK; the loss probe does not wait for
 * the RTO: at PTO (2 * SRTT + 2 ms, three segments out) the last segment
 * goes again (tcp_send_loss_probe()), its SACK (merged with the lone
 * byte) makes it RACK's most recent delivery, and the two segments sent
 * a PTO before it are lost at once (RACK.rtt + reo_wnd long past): the
 * first goes on that ACK (PRR: one delivered, snd_una still: one), the
 * second when the first is acked (one delivered, +1 as snd_una moved).
 *   t=0     segments 0 1 2 out
 *   t=50    SACK of the last byte of segment 1: nothing, probe armed
 *   t=152   the probe: segment 2
 *   t=202   SACK [last byte of 1, end of 2]: segment 0 resent
 *   t=252   ACK of segment 0: segment 1 resent; no RTO ever fires
 */
TH_TEST(tcp_recovery, last_byte_sacked_alone_probe_then_rack)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_rtt(&l, &c, NULL);
	struct tcp_info_rec i;

	queue_data(c, b, 3, 3);
	th_advance(RTT);
	sack_bytes(b, b + 2 * M - 1, b + 2 * M);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rack_lost, 0);
	cr_assert_eq(i.sacked_out, 0, "a byte of a segment SACKs no segment");
	cr_assert_eq(i.timer, TCP_TIMER_LOSS_PROBE);
	cr_assert_eq(i.timer_left, 2 * RTT + 2 * TH_MS - RTT);
	th_advance(i.timer_left - 1);
	th_expect_none();
	th_advance(1);
	expect_seg(b, 2, true);                 /* the probe */
	cr_assert_eq(th_counter("tcp_tlp_probes"), 1);
	th_advance(RTT);
	sack_bytes(b, b + 2 * M - 1, b + 3 * M);
	expect_seg(b, 0, false);
	th_expect_none();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rack_lost, 2);
	cr_assert_eq(i.ca_state, TCP_CA_STATE_RECOVERY);
	th_advance(RTT);
	sack_bytes(b + M, b + 2 * M - 1, b + 3 * M);
	expect_seg(b, 1, false);
	th_expect_none();
	sack(b, b + 3 * M, 0, NULL);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.ca_state, TCP_CA_STATE_OPEN);
	cr_assert_eq(i.timer, TCP_TIMER_NONE);
	cr_assert_eq(th_counter("tcp_rto_timeouts"), 0);
	finish(l, c);
}

/* The transmit records follow what is in flight, and their memory is
 * charged to the socket and returned */
TH_TEST(tcp_recovery, records_follow_the_flight)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_newreno(&l, &c);
	static const unsigned s1[] = { 2, 4 };

	queue_data(c, b, 6, 6);
	cr_assert_eq(c->ntx, 6);
	sack(b, b + M, 1, s1);
	cr_assert_eq(c->ntx, 5);
	cr_assert_eq(tcp_sacked_segs(c), 2);
	sack(b, b + 6 * M, 0, NULL);
	cr_assert_eq(c->ntx, 0);
	cr_assert_eq(tcp_pipe(c), 0);
	finish(l, c);
}

/* RFC 6675 2: once the peer sends SACK blocks, a duplicate ACK is one
 * that SACKs something new; ACKs repeating old SACK information, or
 * carrying only a D-SACK (RFC 2883), do not start a recovery */
TH_TEST(tcp_recovery, repeated_sack_is_not_a_duplicate_ack)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_newreno(&l, &c);
	static const unsigned s1[] = { 2, 3 };
	struct th_seg a = th_tmpl(TCP_ACK, 1001, b);

	queue_data(c, b, 6, 6);
	sack(b, b, 1, s1);
	for (int k = 0; k < 3; k++)
		sack(b, b, 1, s1);
	a.wnd = 502;
	a.nsack = 1;
	a.sack[0][0] = b - 100;  /* a D-SACK: below the cumulative ACK */
	a.sack[0][1] = b;
	for (int k = 0; k < 3; k++)
		th_inject(&a);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_fast_retrans"), 0);
	cr_assert_eq(c->dupacks, 1);
	finish(l, c);
}

/* As Linux's tcp_disordered_ack(): a pure ACK overtaken by a later
 * segment (older TSval, at rcv_nxt, acknowledging nothing new) is not a
 * PAWS drop, and is not answered (the answer would be a duplicate ACK) */
TH_TEST(tcp_recovery, paws_spares_a_disordered_pure_ack)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, true);
	struct th_seg d = th_tmpl(TCP_ACK, 1001, iss + 1), a;

	d.wnd = 502;
	d.ts = true;
	d.tsval = 2000;
	d.tsecr = 0;
	d.data = buf;
	d.len = 10;
	th_inject(&d);
	a = th_tmpl(TCP_ACK, iss + 1, 1011);
	a.wnd = TH_ANY;
	a.ts = true;
	a.tsecr = 2000;
	th_expect(&a);
	d.seq = 1011;
	d.tsval = 1999;
	d.len = 0;
	th_inject(&d);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_drop_paws"), 0);
	/* with data it is still PAWS's (RFC 7323 5.3 R1) */
	d.len = 10;
	th_inject(&d);
	th_expect(&a);
	cr_assert_eq(th_counter("tcp_drop_paws"), 1);
	finish(l, c);
}

/* A window update after a read goes as Linux's tcp_cleanup_rbuf() sends
 * it: only when the window left is at most half the buffer and the one
 * the ACK would carry (never the ring's slack) is at least twice it */
TH_TEST(tcp_recovery, window_update_only_when_the_window_grows)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	uint32_t seq = 1001, left = 0, r, max = 65535u << c->rcv_wscale;
	static uint8_t sink[140000];

	if (c->rcvq.size < max)
		max = c->rcvq.size;     /* the largest window we offer */
	c->rcvbuf_locked = true;        /* as SO_RCVBUF: no autotuning */

	/* the peer fills the window until at most half of it is left */
	for (int k = 0; k < 200; k++) {
		struct th_seg d = th_tmpl(TCP_ACK, seq, iss + 1);

		left = c->rcv_adv - c->rcv_nxt;
		if (k && left * 2 <= max)
			break;
		d.wnd = 502;
		d.data = buf;
		d.len = 1460 < left ? 1460 : left;
		th_inject(&d);
		seq += d.len;
	}
	th_advance(40 * TH_MS);
	while (th_pending())
		T.head++;
	left = c->rcv_adv - c->rcv_nxt;
	cr_assert(left * 2 <= max && left > 1460, "left %u", left);
	/* a read of half the window left: it would not double, no update */
	r = left / 2;
	cr_assert_eq(tcp_recv(c, sink, r, 0, T.now), (ssize_t)r);
	th_expect_none();
	/* read everything: it more than doubles, an update */
	r = (uint32_t)tcp_recv_avail(c);
	cr_assert(r < sizeof(sink));
	cr_assert_eq(tcp_recv(c, sink, r, 0, T.now), (ssize_t)r);
	cr_assert_eq(th_pending(), 1, "the window grew: an update");
	T.head++;
	finish(l, c);
}

/* RFC 8985 6.2 step 4: "RACK.reo_wnd_mult += 1" once per round trip of
 * D-SACKs (until SND.UNA passes RACK.dsack_round), and back to 1 after
 * RACK.reo_wnd_persist = 16 recoveries without another */
TH_TEST(tcp_recovery, rack_reo_wnd_mult_per_round_and_decay)
{
	struct tcp_sock *l, *c;
	uint32_t b = open_rtt(&l, &c, no_tlp);

	queue_data(c, b, 2, 2);
	tcp_rack_dsack(c);
	tcp_rack_dsack(c);          /* the same round: no second step */
	cr_assert_eq(c->rack_reo_mult, 2);
	th_advance(RTT);
	sack(b, b + 2 * M, 0, NULL);  /* SND.UNA passes the round */
	tcp_rack_dsack(c);
	cr_assert_eq(c->rack_reo_mult, 3);
	cr_assert_eq(tcp_rack_reo_wnd(c), 3 * (RTT / 4));
	for (int k = 0; k < 15; k++)
		tcp_rack_recovery_done(c);
	cr_assert_eq(c->rack_reo_mult, 3);
	tcp_rack_recovery_done(c);
	cr_assert_eq(c->rack_reo_mult, 1);
	cr_assert_eq(th_counter("tcp_rack_reo_widened"), 2);
	cr_assert_eq(th_counter("tcp_dsack_rcvd"), 3);
	finish(l, c);
}

static void tight_budget(struct stack_config *cfg)
{
	/* one send ring and the first transmit records, no more (nothing is
	 * received: no receive ring) */
	cfg->tcp_mem_budget = 131072 + 128 +
			      TCP_TXREC_INIT * sizeof(struct tcp_txrec);
}

/* When the records cannot grow (the memory budget), new data joins the
 * last one (counted): coarser, but every byte in flight stays covered */
TH_TEST(tcp_recovery, records_merge_when_they_cannot_grow)
{
	struct tcp_sock *l, *c;
	uint32_t b;
	struct th_seg a;

	th_setup_cfg(tight_budget);
	b = th_passive_open(&l, &c, 1000, false) + 1;
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_NODELAY, 1, T.now), 0);
	for (unsigned k = 0; k < TCP_TXREC_INIT + 6; k++)
		cr_assert_eq(tcp_send(c, buf + k, 1, T.now), 1);
	cr_assert_eq(c->snd_max - b, TCP_TXREC_INIT + 6);
	cr_assert_eq(c->ntx, TCP_TXREC_INIT);
	cr_assert_eq(c->txq[0].start, b);
	cr_assert_eq(c->txq[c->ntx - 1].end, c->snd_max);
	cr_assert_eq(th_counter("tcp_txrec_full"), 6);
	a = th_tmpl(TCP_ACK, 1001, c->snd_max);
	a.wnd = 502;
	th_inject(&a);
	cr_assert_eq(c->ntx, 0);
	finish(l, c);
}

static void rack_off_cwnd20(struct stack_config *cfg)
{
	rack_off(cfg);
	cfg->tcp_init_cwnd = 20;
}

/*
 * RFC 6937 PRR, as Linux: 20 segments out (cwnd 20), segment 0 lost, 1,
 * 2, 3... SACKed one per ACK. The first two SACKs each let a new segment
 * go (what the peer SACKed left the network: 20, 21). The third starts
 * recovery with 22 out (CUBIC as Linux: ssthresh 20 * 717 / 1024 = 14):
 * pipe = 22 - 3 SACKed - 1 lost = 18 > 14, so sending follows delivery
 * by 14/20: prr_delivered 1 -> ceil(14/20) = 1 (the retransmission of 0);
 * 2 -> ceil(28/20) - 1 = 1 new segment; 3 -> 3 - 2 = 1; 4 -> ceil(56/20)
 * - 3 = 0; 5 -> 4 - 3 = 1. (Without PRR, cwnd =
 * ssthresh at once: nothing new until pipe fell below it.) The ACK of all
 * that was out when recovery began ends it with cwnd at ssthresh.
 */
TH_TEST(tcp_recovery, prr_sends_in_proportion_to_delivery)
{
	struct tcp_sock *l, *c;
	uint32_t b;
	unsigned next = 20;
	struct tcp_info_rec i;

	th_setup_cfg(rack_off_cwnd20);
	b = th_passive_open(&l, &c, 1000, false) + 1;
	queue_data(c, b, 30, 20);
	for (unsigned k = 1; k <= 7; k++) {
		const unsigned se[] = { 1, k + 1 };

		sack(b, b, 1, se);
		if (k == 3)
			expect_seg(b, 0, false);        /* the fast retransmit */
		/* segment 22 holds byte 32128, half the peer's largest
		 * window past the write's start: Linux's forced push */
		if (k != 3 && k != 6) {
			expect_seg(b, next, next == 22);
			next++;
		}
		th_expect_none();
	}
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.ssthresh, 14 * M, "ssthresh %u", i.ssthresh);
	cr_assert_eq(i.ca_state, TCP_CA_STATE_RECOVERY);
	/* everything up to what was out when recovery began: it ends */
	{
		struct th_seg a = th_tmpl(TCP_ACK, 1001, b + 22 * M);

		a.wnd = 502;
		th_inject(&a);
	}
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.ca_state, TCP_CA_STATE_OPEN);
	cr_assert_eq(i.cwnd, 14 * M, "cwnd %u: ssthresh at the end", i.cwnd);
	finish(l, c);
}
