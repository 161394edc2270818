/* SPDX-License-Identifier: MIT */
/*
 * tcp_ack.c - what an ACK does to the sender, and where received data goes
 *
 * Theory of operation, sender: an ACK is first checked against RFC 5961
 * 5.2 (not beyond what we sent, not older than the largest window); then
 * the send window is updated (RFC 9293 SND.WL1/SND.WL2 rule), SACK blocks
 * enter the scoreboard (RFC 2018), and new data acked frees the send ring,
 * takes an RTT sample (RFC 7323 timestamps, else Karn's timed segment,
 * RFC 6298) and grows cwnd through the congestion control table.
 *
 * Loss recovery without SACK is NewReno (RFC 6582): three duplicate ACKs
 * start it, cwnd is inflated by each duplicate ACK, a partial ACK
 * retransmits the next hole, the ACK covering "recover" ends it. With
 * SACK it is RFC 6675's conservative scheme: the loss detector of
 * tcp_loss.c (RACK, RFC 8985, by default; else IsLost and DupThresh)
 * marks segments lost, recovery starts with the first mark, cwnd =
 * ssthresh, and while cwnd - pipe (SetPipe) leaves a segment's room,
 * NextSeg's rules choose what goes: a lost hole, new data, a hole not yet
 * deemed lost, a rescue retransmission. A tail loss (no ACK can come) is
 * found by RFC 8985's tail loss probe (tcp_out.c), whose ACK lets RACK
 * find the losses before it; RACK's reorder timer finds the ones whose
 * time is not up when the ACK comes.
 *
 * Receiver: the receive ring holds in-order data not yet read, followed by
 * room for out-of-order data, which is written straight to its place; up
 * to TCP_MAX_OOO ranges are remembered and reported as SACK blocks. The
 * window offered is the ring's free space, but its right edge never moves
 * back (tcp_rcv_window()): the ring grows to hold it when rounding to the
 * window scale moved it on.
 */
#include <string.h>

#include "stack_impl.h"
#include "tcp_impl.h"

/* -- SACK scoreboard (sender) ---------------------------------------- */

/* Insert [start, end) into the sorted, disjoint range list @r of @n. */
static unsigned tcp_range_add(struct tcp_range *r, unsigned n,
			      unsigned max, uint32_t start, uint32_t end)
{
	unsigned i = 0, j;

	while (i < n && SEQ_LT(r[i].end, start))
		i++;
	/* merge every range overlapping or touching [start, end) */
	j = i;
	while (j < n && SEQ_LEQ(r[j].start, end)) {
		if (SEQ_LT(r[j].start, start))
			start = r[j].start;
		if (SEQ_GT(r[j].end, end))
			end = r[j].end;
		j++;
	}
	if (j == i && n == max)
		return n;  /* full, and nothing to merge with: forget it */
	memmove(&r[i + 1], &r[j], (n - j) * sizeof(*r));
	r[i].start = start;
	r[i].end = end;
	return n - (j - i) + 1;
}

static bool tcp_range_covers(const struct tcp_range *r, unsigned n,
			     uint32_t seq)
{
	for (unsigned i = 0; i < n; i++)
		if (SEQ_LEQ(r[i].start, seq) && SEQ_GT(r[i].end, seq))
			return true;
	return false;
}

/* Drop what lies below @una. */
static unsigned tcp_range_trim(struct tcp_range *r, unsigned n, uint32_t una)
{
	unsigned i = 0;

	while (i < n && SEQ_LEQ(r[i].end, una))
		i++;
	memmove(r, r + i, (n - i) * sizeof(*r));
	n -= i;
	if (n && SEQ_LT(r[0].start, una))
		r[0].start = una;
	return n;
}

/* SACKed bytes in the scoreboard. */
static uint32_t tcp_sacked_bytes(const struct tcp_sock *sk)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < sk->nsacked; i++)
		n += sk->sb->sacked[i].end - sk->sb->sacked[i].start;
	return n;
}

/* RFC 2018 / RFC 6675: take valid SACK blocks into the scoreboard.
 * Return: true if they SACKed data not SACKed before. */
static bool tcp_sack_update(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	uint32_t before = tcp_sacked_bytes(sk);

	for (unsigned b = 0; b < seg->nsack; b++) {
		uint32_t start = seg->sack[b].start, end = seg->sack[b].end;

		if (!SEQ_LT(start, end) || SEQ_LEQ(end, sk->snd_una) ||
		    SEQ_GT(end, sk->snd_max))
			continue;  /* D-SACK or bogus */
		if (SEQ_LT(start, sk->snd_una))
			start = sk->snd_una;
		if (!tcp_sb_get(sk))
			break;
		sk->nsacked = (uint8_t)tcp_range_add(sk->sb->sacked,
						     sk->nsacked, TCP_MAX_SACK,
						     start, end);
		sk->sack_seen = true;
	}
	return tcp_sacked_bytes(sk) != before;
}

/* RFC 2883 4: a first block below the cumulative ACK, or inside the
 * second block, reports a duplicate (D-SACK). */
static bool tcp_is_dsack(const struct tcp_seg *seg)
{
	uint32_t start = seg->sack[0].start, end = seg->sack[0].end;

	return SEQ_LEQ(end, seg->ack) ||
	       (seg->nsack > 1 && SEQ_GEQ(start, seg->sack[1].start) &&
		SEQ_LEQ(end, seg->sack[1].end));
}

/*
 * RFC 8985 7.4.1: a D-SACK for the probe's segment means the original
 * arrived: the probe repaired nothing and congestion control need not
 * react. Any D-SACK also widens RACK's reordering window (6.2 step 4).
 */
static void tcp_dsack_rcvd(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	if (!tcp_is_dsack(seg))
		return;
	tcp_rack_dsack(sk);
	if (sk->tlp_out && sk->tlp_retrans &&
	    SEQ_GEQ(seg->sack[0].end, sk->tlp_end_seq - tcp_cur_mss(sk)))
		sk->tlp_retrans = false;
}

/**
 * tcp_retransmit_at() - resend @len bytes at @seq (with FIN at its place)
 * @sk: the socket
 * @seq: first sequence number
 * @len: bytes, cut to the MSS and to the data queued
 */
void tcp_retransmit_at(struct tcp_sock *sk, uint32_t seq, uint32_t len)
{
	uint32_t data_end = sk->sndq_seq + sk->sndq.len;
	/* only what was sent: data beyond snd_max is tcp_output's */
	uint32_t limit = SEQ_LT(sk->snd_max, data_end) ? sk->snd_max : data_end;
	uint8_t flags = TCP_ACK;

	if (len > tcp_cur_mss(sk))
		len = tcp_cur_mss(sk);
	if (SEQ_GT(seq + len, limit))
		len = SEQ_GT(limit, seq) ? limit - seq : 0;
	if (sk->fin_sent && seq + len == data_end)
		flags |= TCP_FIN;
	if (len && seq + len == data_end)
		flags |= TCP_PSH;  /* as the original segment had it */
	if (!len && !(flags & TCP_FIN))
		return;
	tcp_xmit(sk, seq, flags, seq - sk->sndq_seq, len);
}

/* Resend [start, end) of NextSeg (one segment; the records split). */
static void tcp_resend_range(struct tcp_sock *sk, uint32_t start,
			     uint32_t end)
{
	tcp_retransmit_at(sk, start, end - start);
	if (SEQ_GT(start + tcp_cur_mss(sk), sk->rtx_next))
		sk->rtx_next = start + tcp_cur_mss(sk);
}

/**
 * tcp_sack_recovery_send() - RFC 6675 5 (C): "If cwnd - pipe >= 1 SMSS
 * the sender SHOULD transmit one or more segments", each chosen by
 * NextSeg(): (1) a lost hole, (2) new data, (3) without RACK, a hole
 * below a SACK not yet deemed lost, (4) once per recovery, a rescue
 * retransmission of the highest unSACKed segment
 * @sk: the socket, in SACK recovery
 */
void tcp_sack_recovery_send(struct tcp_sock *sk)
{
	uint32_t start, end;

	for (unsigned guard = 0; guard < 4 * TCP_MAX_TXREC; guard++) {
		uint32_t pipe = tcp_pipe(sk);

		if (pipe >= sk->cwnd || sk->cwnd - pipe < sk->mss)
			return;
		if (tcp_next_seg(sk, 1, &start, &end)) {
			tcp_resend_range(sk, start, end);
		} else if (tcp_output_new(sk)) {
			continue;
		} else if (!tcp_rack_on(sk) &&
			   tcp_next_seg(sk, 3, &start, &end)) {
			/* rule 3 "SHOULD": with RACK, a hole not marked lost
			 * is within its reordering window, so resending it
			 * is what RACK is there to avoid */
			tcp_resend_range(sk, start, end);
		} else if (tcp_next_seg(sk, 4, &start, &end)) {
			CNT(sk->s, tcp_rescue_rtx);
			tcp_retransmit_at(sk, start, end - start);
			tcp_txrec_rescued(sk, start);
		} else {
			return;
		}
	}
}

/**
 * tcp_enter_cwr() - RFC 3168 6.1.2: the peer echoed a congestion mark
 * @sk: the socket, its ECN agreed
 *
 * Once per window of data, and not while recovering from a loss (which
 * reduced the window already): ssthresh as for a loss, cwnd down to it at
 * once (Linux reaches it over the next round trip, by PRR), CWR on the next
 * new data, no growth until snd_una is past what was sent by then (Linux's
 * tcp_enter_cwr(), TCP_CA_CWR).
 */
void tcp_enter_cwr(struct tcp_sock *sk)
{
	struct stack *s = sk->s;

	CNT(s, tcp_ecn_ece_rcvd);
	if (sk->in_cwr || sk->in_recovery || sk->in_loss)
		return;
	CNT(s, tcp_ecn_cwr);
	sk->ssthresh = sk->cc->ssthresh(sk, s->now);
	if (sk->cwnd > sk->ssthresh)
		sk->cwnd = sk->ssthresh;
	sk->cwr_high = sk->snd_max;
	sk->in_cwr = true;
	sk->ecn_queue_cwr = true;
}

/*
 * RFC 6937 Proportional Rate Reduction, as Linux's tcp_cwnd_reduction(),
 * in whole segments as Linux counts (bytes are rounded: pipe and what was
 * delivered up, ssthresh and the cwnd before recovery down): in SACK
 * recovery each ACK that reports @delivered bytes newly arrived
 * (cumulatively or by SACK) sets cwnd to pipe plus what may go now. While
 * pipe is above ssthresh, sending follows delivery in the ratio ssthresh /
 * the cwnd before recovery; at or below it, it catches up to ssthresh by
 * at most what was delivered (and one segment more when snd_una moved and
 * nothing was newly found lost: PRR-SSRB as Linux has it). The first call
 * of a recovery lets the fast retransmission go whatever the numbers say.
 * Recovery ends with cwnd = ssthresh (tcp_recovery_ack()).
 */
static void tcp_prr(struct tcp_sock *sk, uint32_t delivered, bool una_moved,
		    bool newly_lost)
{
	uint32_t mss = sk->mss, pipe = (tcp_pipe(sk) + mss - 1) / mss;
	uint32_t ssth = sk->ssthresh / mss, prior = sk->prior_cwnd / mss;
	int64_t sndcnt;

	if (!delivered || !prior)
		return;
	sk->prr_delivered += (delivered + mss - 1) / mss;
	if (pipe > ssth) {
		uint64_t d = (uint64_t)ssth * sk->prr_delivered + prior - 1;

		sndcnt = (int64_t)(d / prior) - sk->prr_out;
	} else {
		int64_t limit = (int64_t)sk->prr_delivered - sk->prr_out;

		if (limit < (delivered + mss - 1) / mss)
			limit = (delivered + mss - 1) / mss;
		if (una_moved && !newly_lost)
			limit++;
		sndcnt = ssth - pipe < limit ? ssth - pipe : limit;
	}
	if (!sk->prr_out && sndcnt < 1)
		sndcnt = 1;         /* the fast retransmission goes */
	if (sndcnt < 0)
		sndcnt = 0;
	sk->cwnd = (pipe + (uint32_t)sndcnt) * mss;
}

/* RFC 5681 3.2 step 2-4 / RFC 6675 5 step 4: start fast recovery. */
static void tcp_enter_recovery(struct tcp_sock *sk, uint32_t delivered,
			       bool una_moved)
{
	struct stack *s = sk->s;
	uint32_t start, end;

	CNT(s, tcp_fast_retrans);
	CNT(s, tcp_recoveries);
	sk->recover = sk->snd_max;
	sk->ssthresh = sk->cc->ssthresh(sk, s->now);
	sk->in_recovery = true;
	/* a reduction the peer hears of, as for an echo (RFC 3168 6.1.2) */
	sk->ecn_queue_cwr = sk->ecn_ok;
	sk->in_cwr = false;
	sk->rtt_time = 0;
	sk->rtx_next = sk->snd_una;
	sk->rescue_set = false;
	/* a peer that sends no SACK blocks gets NewReno (RFC 6582) */
	sk->rec_sack = sk->sack_ok && sk->nsacked;
	if (sk->rec_sack) {
		CNT(s, tcp_sack_recoveries);
		/* PRR from here (RFC 6937: RecoverFS, Linux's prior_cwnd);
		 * a loss found by the timer counts one segment delivered,
		 * as Linux's tcp_rack_reo_timeout() says */
		sk->prior_cwnd = sk->cwnd;
		sk->prr_delivered = sk->prr_out = 0;
		/* RFC 6675 5 (4.3): "Retransmit the first data segment
		 * presumed dropped" (with RACK, the first it marked),
		 * whatever pipe says (PRR's first call lets it go); then
		 * (4.5), NextSeg */
		if (!tcp_rack_on(sk))
			tcp_mark_head_lost(sk);
		tcp_prr(sk, delivered ? delivered : sk->mss, una_moved, false);
		if (tcp_next_seg(sk, 1, &start, &end)) {
			uint32_t len = end - start < tcp_cur_mss(sk) ?
				       end - start : tcp_cur_mss(sk);

			tcp_resend_range(sk, start, end);
			/* "To prevent repeated retransmission of the same
			 * data or a premature rescue retransmission, set
			 * both HighRxt and RescueRxt to the highest sequence
			 * number in the retransmitted segment." */
			sk->rescue_set = true;
			sk->rescue_rxt = start + len - 1;
		}
		tcp_sack_recovery_send(sk);
	} else {
		/* "cwnd = ssthresh + 3*SMSS" */
		sk->cwnd = sk->ssthresh + TCP_DUPTHRESH * sk->mss;
		tcp_retransmit_at(sk, sk->snd_una, sk->mss);
	}
	tcp_rearm_rtx(sk);
}

static bool tcp_is_dupack(const struct tcp_sock *sk, const struct tcp_seg *seg,
			  uint32_t old_wnd, bool new_sack)
{
	/* RFC 6675 2: "we define a 'duplicate acknowledgment' as a
	 * segment that arrives carrying a SACK block that identifies
	 * previously unacknowledged and un-SACKed octets between HighACK
	 * and HighData" -- once the peer has sent SACK blocks at all */
	if (sk->sack_seen)
		return new_sack && sk->snd_una != sk->snd_max;
	/* RFC 5681 2 DUPLICATE ACKNOWLEDGMENT (a)-(e) */
	return seg->ack == sk->snd_una && sk->snd_una != sk->snd_max &&
	       seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
	       (sk->snd_wnd == old_wnd || seg->nsack);
}

/*
 * Loss detection after an ACK: mark lost records (RACK, or RFC 6675
 * IsLost), then start recovery -- RFC 6675 5: "upon the receipt of the
 * DupThresh duplicate ACK or IsLost (HighACK + 1)", RFC 8985: a loss
 * RACK marked; RFC 5681 3.2 without SACK -- or go on with it.
 */
static void tcp_loss_step(struct tcp_sock *sk, bool dup, uint32_t delivered,
			  bool una_moved)
{
	bool lost = false, newly_lost = false;

	if (sk->sack_ok) {
		uint32_t before = tcp_txrec_lost_out(sk);

		tcp_mark_lost(sk);
		lost = tcp_txrec_lost_out(sk) > 0;
		newly_lost = tcp_txrec_lost_out(sk) > before;
	}
	if (!sk->in_recovery) {
		/* RFC 6582 3.2 step 1: not for data sent before a timeout
		 * (it is being resent from snd_una anyway) */
		if (sk->in_loss)
			return;
		/* with RACK, DupThresh only counts for a peer that sends
		 * no SACK blocks (RFC 8985 6.2 subsumes it otherwise) */
		if (lost || (dup && sk->dupacks >= TCP_DUPTHRESH &&
			     (!tcp_rack_on(sk) || !sk->nsacked)))
			tcp_enter_recovery(sk, delivered, una_moved);
		return;
	}
	if (sk->rec_sack) {
		tcp_prr(sk, delivered, una_moved, newly_lost);
		tcp_sack_recovery_send(sk);
	} else if (dup)
		sk->cwnd += sk->mss;  /* RFC 5681 3.2 step 4: inflate */
}

/**
 * tcp_loss_detected() - RACK's reorder timer marked losses: start
 * recovery, or send in it
 * @sk: the socket
 */
void tcp_loss_detected(struct tcp_sock *sk)
{
	tcp_loss_step(sk, false, 0, false);
}

/**
 * tcp_reorder_timeout() - RFC 8985 6.3: RACK's reorder timer fired: "call
 * RACK_detect_loss_and_arm_timer()", then recover what it marked
 * @sk: the socket
 */
void tcp_reorder_timeout(struct tcp_sock *sk)
{
	CNT(sk->s, tcp_rack_timeouts);
	sk->rtx_kind = TCP_TIMER_NONE;
	sk->rack_reo_at = 0;
	if (tcp_rack_detect(sk))
		tcp_loss_detected(sk);
	if (sk->snd_una != sk->snd_max)
		tcp_arm_xmit_timer(sk);
}

/* RFC 8985 6.3: a reorder timeout due before the timer now set. */
static void tcp_rack_arm(struct tcp_sock *sk)
{
	if (!sk->rack_reo_at || sk->snd_una == sk->snd_max)
		return;
	if (timer_armed(&sk->rtx) && sk->rtx_kind != TCP_TIMER_LOSS_PROBE &&
	    sk->rtx.when <= sk->rack_reo_at)
		return;
	tcp_arm_xmit_timer(sk);
}

/* New data acknowledged while in recovery. */
static void tcp_recovery_ack(struct tcp_sock *sk, uint32_t acked)
{
	if (SEQ_GEQ(sk->snd_una, sk->recover)) {
		tcp_rack_recovery_done(sk);
		/* RFC 6582 3.2 step 3 full ACK: "Set cwnd to either (1)
		 * min (ssthresh, max(FlightSize, SMSS) + SMSS) or (2)
		 * ssthresh" -- (1), which avoids a burst; after PRR, (2)
		 * (RFC 6937 3.1, Linux's tcp_end_cwnd_reduction()) */
		uint32_t flight = sk->snd_max - sk->snd_una;
		uint32_t alt = (flight > sk->mss ? flight : sk->mss) + sk->mss;

		sk->cwnd = sk->rec_sack || sk->ssthresh < alt ? sk->ssthresh : alt;
		sk->in_recovery = false;
		sk->dupacks = 0;
		return;
	}
	if (sk->rec_sack)
		return;  /* tcp_loss_step() sends */
	/* RFC 6582 3.2 step 3 partial ACK: "retransmit the first unacknowledged
	 * segment ... deflate the congestion window by the amount of new data
	 * acknowledged ..., then add back SMSS bytes" */
	tcp_retransmit_at(sk, sk->snd_una, sk->mss);
	sk->cwnd = sk->cwnd > acked ? sk->cwnd - acked : 0;
	sk->cwnd += sk->mss;
	if (SEQ_LT(sk->rtx_next, sk->snd_una + sk->mss))
		sk->rtx_next = sk->snd_una + sk->mss;
}

/*
 * RFC 4861 7.3.1: new data acknowledged is an upper layer's proof that the
 * next hop forwards, so a busy connection never needs the neighbour cache
 * to probe it. At most once a second per connection: the route lookup is
 * not for every ACK.
 */
static void tcp_confirm_nexthop(struct tcp_sock *sk)
{
	struct stack *s = sk->s;
	const struct route *r;
	struct ip_addr hop;

	uint32_t ms = (uint32_t)(s->now / 1000000);

	if (sk->confirmed_ms && ms - sk->confirmed_ms < 1000)
		return;
	sk->confirmed_ms = ms ? ms : 1;
	r = route_find(s, &sk->raddr);
	if (!r || r->ifindex != STACK_IF_LINK)
		return;
	hop = route_nexthop(r, &sk->raddr);
	neigh_confirm(s, &hop);
}

/* Free acknowledged bytes from the send ring (their number in @freed);
 * true if our FIN is acked. */
static bool tcp_clean_sndq(struct tcp_sock *sk, uint32_t ack, uint32_t *freed)
{
	uint32_t data_end = sk->sndq_seq + sk->sndq.len;
	uint32_t n = 0;

	if (SEQ_GT(ack, sk->sndq_seq) && sk->sndq.len) {
		n = SEQ_GT(ack, data_end) ? sk->sndq.len : ack - sk->sndq_seq;
		sk->sndq.head = (sk->sndq.head + n) % sk->sndq.cap;
		sk->sndq.len -= n;
		sk->sndq_seq += n;
		sk->bytes_acked += n;
		tcp_ring_release(sk, &sk->sndq);   /* if all went */
	}
	*freed = n;
	return sk->fin_sent && SEQ_GT(ack, data_end);
}

/*
 * Linux's tcp_ack_update_rtt() on an ACK of new data, with the send times
 * tcp_clean_rtx_queue() and tcp_sacktag_one() found: the oldest segment
 * it acknowledges that was sent once only and not SACKed (Karn per
 * segment; the transmit records keep the time and the mark), or the
 * SYN-ACK (tcp_synack_rtt_meas()), or a segment timed when the records
 * could not be had; else the oldest segment newly SACKed, sent once
 * (@sack_ts, 0: none); else, RFC 7323 4.1, the TSecr (tcp_rtt_tsecr(): a
 * resent SYN-ACK's too, the echo says which copy was answered). Every
 * ACK that has one gives a sample, as Linux's; the TSecr, in
 * milliseconds, serves only when no send time does.
 */
static void tcp_take_rtt(struct tcp_sock *sk, const struct tcp_seg *seg,
			 uint64_t sack_ts)
{
	struct stack *s = sk->s;
	uint64_t ts = tcp_txrec_first_acked(sk, seg->ack);

	if (sk->rtt_time && SEQ_GT(seg->ack, sk->rtt_seq)) {
		if (!ts)
			ts = sk->rtt_time;
		sk->rtt_time = 0;
	}
	if (!ts)
		ts = sack_ts;
	if (ts)
		tcp_rtt_sample(sk, s->now - ts);
	else if (sk->ts_ok && seg->has_ts && seg->tsecr)
		tcp_rtt_tsecr(sk, seg->tsecr);
}

/* RFC 9293 3.10.7.4 fifth check, SND.WL1/SND.WL2 window update. */
static void tcp_update_window(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	uint32_t old = sk->snd_wnd;

	if (!(SEQ_LT(sk->snd_wl1, seg->seq) ||
	      (sk->snd_wl1 == seg->seq && SEQ_LEQ(sk->snd_wl2, seg->ack))))
		return;
	sk->snd_wnd = (uint32_t)seg->wnd << sk->snd_wscale;
	sk->snd_wl1 = seg->seq;
	sk->snd_wl2 = seg->ack;
	if (sk->snd_wnd > sk->max_sndwnd)
		sk->max_sndwnd = sk->snd_wnd;
	if (old == 0 && sk->snd_wnd && sk->rtx_kind == TCP_TIMER_PERSIST) {
		stack_disarm(sk->s, &sk->rtx);
		sk->rtx_kind = TCP_TIMER_NONE;
		sk->backoff = 0;
		sk->probe_stamp = 0;  /* the zero-window episode is over */
	}
}

/* ACK-driven state changes for our FIN (RFC 9293 3.10.7.4 fifth). */
static int tcp_fin_acked(struct tcp_sock *sk)
{
	switch (sk->state) {
	case TCP_FIN_WAIT_1:
		/* "if the FIN segment is now acknowledged, then enter
		 * FIN-WAIT-2 and continue processing" */
		tcp_set_state(sk, TCP_FIN_WAIT_2);
		if (!sk->held && sk->linger2 < 0) {
			/* tcp_rcv_state_process(): an orphan with
			 * TCP_LINGER2 < 0 ends here, without a reset */
			tcp_done(sk, 0);
			return -1;
		}
		if (!sk->held)
			tcp_arm_misc(sk, TCP_TIMER_FIN_WAIT_2,
				     tcp_fin_wait2_time(sk));
		return 0;
	case TCP_CLOSING:
		/* "if the ACK acknowledges our FIN, then enter TIME-WAIT" */
		tcp_enter_time_wait(sk);
		return 0;
	case TCP_LAST_ACK:
		/* "If our FIN is now acknowledged, delete the TCB, enter the
		 * CLOSED state, and return" */
		tcp_done(sk, 0);
		return -1;
	default:
		return 0;
	}
}

/* An ACK that acknowledges no new data: a duplicate, SACK news, or
 * neither; RACK may have a reorder timer to arm. */
static void tcp_ack_nothing_new(struct tcp_sock *sk, const struct tcp_seg *seg,
				bool dup, uint32_t delivered)
{
	sk->dupacks += dup;
	if (dup || seg->nsack)
		tcp_loss_step(sk, dup, delivered, false);
	tcp_rack_arm(sk);
}

/**
 * tcp_ack() - process the ACK field in a synchronized state
 * @sk: the socket
 * @seg: the segment (acceptable, ACK set)
 *
 * Return: 0 to go on with data and FIN, -1 if the segment is done with
 */
int tcp_ack(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	uint32_t old_wnd = sk->snd_wnd, acked, data;
	unsigned segs;
	uint32_t sacked0 = sk->nsacked ? tcp_sacked_bytes(sk) : 0;
	bool fin_acked, new_sack = false;
	uint64_t sack_ts = 0;

	/* RFC 5961 5.2: acceptable iff SND.UNA - MAX.SND.WND =< SEG.ACK =<
	 * SND.NXT; "All incoming segments whose ACK value doesn't satisfy
	 * the above condition MUST be discarded and an ACK sent back." */
	if (SEQ_GT(seg->ack, sk->snd_max)) {
		CNT(s, tcp_ack_challenged);
		tcp_send_challenge_ack(sk);
		return -1;
	}
	if (SEQ_LT(seg->ack, sk->snd_una - sk->max_sndwnd)) {
		CNT(s, tcp_ack_too_old);
		tcp_send_challenge_ack(sk);
		return -1;
	}
	tcp_update_window(sk, seg);
	sk->last_ack_recv = tcp_stamp_ms(s->now);
	sk->rack_tsecr = sk->ts_ok && seg->has_ts ? seg->tsecr : 0;
	if (sk->sack_ok && seg->nsack) {
		tcp_dsack_rcvd(sk, seg);
		new_sack = tcp_sack_update(sk, seg);
		sack_ts = tcp_txrec_sacked(sk);
	}
	if (!SEQ_GT(seg->ack, sk->snd_una)) {
		uint32_t sacked = sk->nsacked ? tcp_sacked_bytes(sk) : 0;

		/* Linux samples a duplicate ACK's newly SACKed segments too
		 * (sack_rtt_us) */
		if (sack_ts)
			tcp_rtt_sample(sk, s->now - sack_ts);

		tcp_ack_nothing_new(sk, seg, tcp_is_dupack(sk, seg, old_wnd,
							   new_sack),
				    sacked > sacked0 ? sacked - sacked0 : 0);
		return 0;
	}
	acked = seg->ack - sk->snd_una;
	fin_acked = tcp_clean_sndq(sk, seg->ack, &data);
	sk->snd_una = seg->ack;
	/* after snd_una moved, as Linux's tcp_ack() updates it before
	 * tcp_clean_rtx_queue() takes the sample: the estimator's round
	 * ends when snd_una passes its mark */
	tcp_take_rtt(sk, seg, sack_ts);
	tcp_confirm_nexthop(sk);
	/* room again: no longer limited by the send buffer; nothing left:
	 * no longer busy */
	tcp_chrono_stop(sk, data ? TCP_CHRONO_SNDBUF : TCP_CHRONO_NONE);
	if (SEQ_LT(sk->snd_nxt, sk->snd_una))
		sk->snd_nxt = sk->snd_una;
	if (sk->nsacked) {
		sk->nsacked = (uint8_t)tcp_range_trim(sk->sb->sacked,
						      sk->nsacked, sk->snd_una);
		tcp_sb_settle(sk);
	}
	segs = tcp_txrec_ack(sk);
	if (sk->in_loss && SEQ_GEQ(sk->snd_una, sk->recover)) {
		sk->in_loss = false;
		tcp_rack_recovery_done(sk);
	}
	/* past what was out when it began (Linux: "something *above*
	 * high_seq", so that the CWR reached the receiver): grow again */
	if (sk->in_cwr && SEQ_GT(sk->snd_una, sk->cwr_high))
		sk->in_cwr = false;
	sk->backoff = 0;
	tcp_rto_recovered(sk);
	sk->rtx_stamp = 0;  /* progress: TCP_USER_TIMEOUT's clock stops */
	if (sk->in_recovery) {
		tcp_recovery_ack(sk, acked);
	} else {
		/* SYN and FIN take no congestion window; cwnd grows only
		 * while it is used (RFC 7661; Linux's tcp_cong_avoid()
		 * algorithms return at once unless tcp_is_cwnd_limited()),
		 * by whole segments acknowledged, as Linux counts packets
		 * (a partly acknowledged one counts when it is whole) */
		if (data && tcp_is_cwnd_limited(sk) && !sk->in_cwr)
			sk->cc->on_ack(sk, segs * sk->mss, s->now);
		sk->dupacks = 0;
		tcp_sndbuf_autotune(sk);
	}
	{
		/* delivered: newly acked and newly SACKed (what the trim
		 * took off the scoreboard was counted when SACKed), as
		 * Linux's newly_acked_sacked */
		uint32_t sacked = sk->nsacked ? tcp_sacked_bytes(sk) : 0;
		int64_t dlv = (int64_t)acked + sacked - sacked0;

		tcp_loss_step(sk, false, dlv > 0 ? (uint32_t)dlv : 0, true);
	}
	tcp_tlp_acked(sk);
	tcp_rearm_rtx(sk);
	if (sk->sndq.cap && sk->held)
		tcp_event(sk, TCP_EV_WRITABLE);
	if (fin_acked)
		return tcp_fin_acked(sk);
	return 0;
}

/* -- receiver ----------------------------------------------------------- */

/**
 * tcp_dsack() - RFC 2883: remember a duplicate to report in the first
 * SACK block of the next ACK
 * @sk: the socket
 * @start: first duplicate sequence number
 * @end: one past the last
 */
void tcp_dsack(struct tcp_sock *sk, uint32_t start, uint32_t end)
{
	if (!sk->sack_ok || !tcp_sb_get(sk))
		return;
	sk->sb->dsack.start = start;
	sk->sb->dsack.end = end;
	sk->dsack_pending = true;
}

/* Pull out-of-order ranges that now continue the in-order data. */
static void tcp_ooo_collapse(struct tcp_sock *sk)
{
	while (sk->nooo && SEQ_LEQ(sk->sb->ooo[0].start, sk->rcv_nxt)) {
		if (SEQ_GT(sk->sb->ooo[0].end, sk->rcv_nxt)) {
			uint32_t extra = sk->sb->ooo[0].end - sk->rcv_nxt;

			sk->rcvq.len += extra;
			sk->rcv_nxt += extra;
			sk->bytes_received += extra;
		}
		memmove(sk->sb->ooo, sk->sb->ooo + 1,
			(sk->nooo - 1) * sizeof(sk->sb->ooo[0]));
		sk->nooo--;
		sk->ack_now = true;  /* RFC 5681 4.2: a hole was filled */
	}
	tcp_sb_settle(sk);
}

/* Out-of-order data is already in place in the ring: remember its range. */
static void tcp_data_ooo(struct tcp_sock *sk, uint32_t seq, uint32_t len)
{
	struct stack *s = sk->s;
	unsigned before = sk->nooo;
	bool dup = sk->nooo &&
		   tcp_range_covers(sk->sb->ooo, sk->nooo, seq) &&
		   tcp_range_covers(sk->sb->ooo, sk->nooo, seq + len - 1);

	if (dup)
		tcp_dsack(sk, seq, seq + len);  /* RFC 2883 4.1.2 */
	if (!tcp_sb_get(sk)) {
		CNT(s, tcp_ooo_dropped);        /* as with no range left */
		sk->ack_now = true;
		return;
	}
	sk->nooo = (uint8_t)tcp_range_add(sk->sb->ooo, sk->nooo, TCP_MAX_OOO,
					  seq, seq + len);
	if (sk->nooo == before && before == TCP_MAX_OOO &&
	    !tcp_range_covers(sk->sb->ooo, sk->nooo, seq))
		CNT(s, tcp_ooo_dropped);
	else
		CNT(s, tcp_ooo_segs);
	for (unsigned i = 0; i < sk->nooo; i++)
		if (SEQ_LEQ(sk->sb->ooo[i].start, seq) && SEQ_GT(sk->sb->ooo[i].end, seq))
			sk->sb->ooo_recent = sk->sb->ooo[i].start;
	/* RFC 5681 4.2: "A TCP receiver SHOULD send an immediate duplicate
	 * ACK when an out-of-order segment arrives." */
	sk->ack_now = true;
}

/**
 * tcp_data() - place a segment's payload in the receive ring
 * @sk: the socket
 * @seg: the segment (acceptable)
 *
 * Return: false if the end of the segment was cut off by the window (a
 * FIN it carries must then be ignored)
 */
bool tcp_data(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	uint32_t seq = seg->seq, len = seg->len, room, limit;
	const uint8_t *data = seg->data;
	bool whole = true;

	if (SEQ_LT(seq, sk->rcv_nxt)) {
		uint32_t d = sk->rcv_nxt - seq;

		if (d >= len) {
			CNT(s, tcp_dup_data);
			tcp_dsack(sk, seq, seq + len);
			sk->ack_now = true;
			return true;
		}
		data += d;
		len -= d;
		seq = sk->rcv_nxt;
	}
	room = tcp_ring_free(&sk->rcvq);
	limit = SEQ_LT(sk->rcv_adv, sk->rcv_nxt + room) ? sk->rcv_adv :
							  sk->rcv_nxt + room;
	if (SEQ_GT(seq + len, limit)) {
		uint32_t cut = SEQ_GT(seq, limit) ? len : seq + len - limit;
		uint32_t beyond = SEQ_GT(seq + len, sk->rcv_adv) ?
				  seq + len - sk->rcv_adv : 0;

		/* beyond the edge we offered, or (only if the ring could not
		 * grow to the edge, see tcp_rcv_window()) inside it */
		beyond = beyond < cut ? beyond : cut;
		s->cnt.tcp_rcv_beyond_wnd += beyond;
		s->cnt.tcp_rcv_ring_full += cut - beyond;
		len -= cut;
		whole = false;
		sk->ack_now = true;
	}
	if (len == 0)
		return whole;
	if (tcp_ring_ensure(sk, &sk->rcvq))
		return false;   /* memory short: dropped (counted), sent again */
	tcp_ring_copy_in(&sk->rcvq, sk->rcvq.len + (seq - sk->rcv_nxt), data,
			 len);
	if (seq == sk->rcv_nxt) {
		tcp_info_data_rcvd(sk, seg, len);
		sk->rcvq.len += len;
		sk->rcv_nxt += len;
		sk->bytes_received += len;
		tcp_ooo_collapse(sk);
		tcp_ack_decide(sk, len);
		tcp_event(sk, TCP_EV_READABLE);
		return whole;
	}
	sk->rcv_ooopack++;
	tcp_data_ooo(sk, seq, len);
	return false;
}
