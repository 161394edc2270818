/* SPDX-License-Identifier: MIT */
/*
 * tcp_loss.c - what was sent, what is lost: the transmit records, RFC
 * 6675's scoreboard (IsLost, SetPipe, NextSeg) and RFC 8985's RACK
 *
 * Theory of operation: every segment that carries sequence space (data
 * or FIN) leaves a transmit record: its range, when it was last sent, and
 * three marks: SACKed, lost, retransmitted (a retransmission of it is in
 * flight). The records cover [snd_una, snd_max) in order; tcp_xmit()
 * appends (new data) or restamps and splits them (retransmissions), the
 * cumulative ACK drops them, the SACK scoreboard (byte ranges, tcp_ack.c)
 * marks the ones it covers whole. They are bounded (TCP_MAX_TXREC, memory
 * charged to the socket); when they cannot grow, new data joins the last
 * record, which costs precision, never correctness. Their send times are
 * also the RTT samples (tcp_txrec_first_acked(), tcp_txrec_sacked()), as
 * Linux times every ACK from its skbs' send times (Karn per segment: a
 * record ever resent gives none).
 *
 * A record is marked lost by one of two detectors:
 *   - RFC 6675 IsLost (tcp_rack off): DupThresh discontiguous SACKed
 *     ranges above it, or more than (DupThresh - 1) * SMSS bytes SACKed
 *     above it;
 *   - RFC 8985 RACK (the default, as Linux; only with SACK): a segment
 *     sent before the most recently sent segment that was delivered
 *     (RACK.xmit_ts, RACK.end_seq) is lost once RACK.rtt + RACK.reo_wnd
 *     have passed since it was sent; if that time is not yet up, the
 *     reorder timer (TCP_TIMER_REORDER, on the rtx timer) looks again
 *     when it is. RACK.reo_wnd is min_RTT / 4 times a multiplier that a
 *     D-SACK raises (RFC 8985 6.2 step 4), zero before any reordering was
 *     seen once in recovery or with DupThresh segments SACKed.
 * Either way the lost marks stand for IsLost() in RFC 6675's SetPipe and
 * NextSeg (RACK-TLP "is intended to be an alternative to the DupAck
 * threshold approach"), which drive recovery in tcp_ack.c: pipe counts
 * each unSACKed record not lost, plus each retransmission in flight
 * (once: a lost mark stays on a retransmitted record, as in Linux).
 */
#include <stdlib.h>
#include <string.h>

#include "stack_impl.h"
#include "tcp_impl.h"

#define TXR_SACKED 0x1    /* covered whole by the SACK scoreboard */
#define TXR_LOST 0x2      /* deemed lost, not retransmitted since */
#define TXR_RETRANS 0x4   /* a retransmission of it is in flight */
#define TXR_EVER_RTX 0x8  /* retransmitted at least once (RACK 6.2) */
#define TXR_RESCUE 0x10   /* that retransmission was RFC 6675's rescue */
/* 0x20: TCP_TXR_APP_LIMITED (tcp_impl.h), for the delivery rate */

/* -- the records ------------------------------------------------------ */

/**
 * tcp_txrec_init() - give a connection its first transmit records
 * @sk: the socket
 *
 * Return: bytes allocated (to charge), or 0 when malloc failed
 */
size_t tcp_txrec_init(struct tcp_sock *sk)
{
	sk->txq = calloc(TCP_TXREC_INIT, sizeof(*sk->txq));
	if (!sk->txq)
		return 0;
	sk->txcap = TCP_TXREC_INIT;
	sk->ntx = 0;
	return TCP_TXREC_INIT * sizeof(*sk->txq);
}

/**
 * tcp_txrec_free() - free the records (the caller uncharges them)
 * @sk: the socket
 */
void tcp_txrec_free(struct tcp_sock *sk)
{
	free(sk->txq);
	sk->txq = NULL;
	sk->ntx = sk->txcap = 0;
}

/**
 * tcp_txrec_bytes() - memory the records take
 * @sk: the socket
 *
 * Return: bytes
 */
size_t tcp_txrec_bytes(const struct tcp_sock *sk)
{
	return (size_t)sk->txcap * sizeof(*sk->txq);
}

/* Room for one more record: grow (charged) or say no. */
static bool tcp_txrec_room(struct tcp_sock *sk)
{
	struct stack *s = sk->s;
	size_t add = tcp_txrec_bytes(sk);
	struct tcp_txrec *n;

	if (sk->ntx < sk->txcap)
		return true;
	if (!sk->txq || sk->txcap >= TCP_MAX_TXREC || !tcp_mem_room(s, add))
		return false;
	n = realloc(sk->txq, 2 * add);
	if (!n)
		return false;
	sk->txq = n;
	sk->txcap *= 2;
	tcp_mem_charge(sk, (ssize_t)add);
	return true;
}

/* Split record @i at @seq (inside it); false if no room (counted). */
static bool tcp_txrec_split(struct tcp_sock *sk, unsigned i, uint32_t seq)
{
	if (!tcp_txrec_room(sk)) {
		CNT(sk->s, tcp_txrec_full);
		return false;
	}
	memmove(&sk->txq[i + 1], &sk->txq[i], (sk->ntx - i) * sizeof(*sk->txq));
	sk->ntx++;
	sk->txq[i].end = seq;
	sk->txq[i + 1].start = seq;
	return true;
}

/* Linux's tcp_rate_check_app_limited(): less than a segment left to
 * send and the window not full -- a delivery rate measured now says how
 * fast the program writes, not how fast the path goes */
static uint8_t tcp_txrec_app_limited(const struct tcp_sock *sk, uint32_t end)
{
	uint32_t data_end = sk->sndq_seq + sk->sndq.len;

	return SEQ_LT(data_end, end + sk->mss) &&
	       end - sk->snd_una < sk->cwnd ? TCP_TXR_APP_LIMITED : 0;
}

static void tcp_txrec_append(struct tcp_sock *sk, uint32_t seq, uint32_t end)
{
	struct tcp_txrec *last = sk->ntx ? &sk->txq[sk->ntx - 1] : NULL;

	if (!tcp_txrec_room(sk)) {
		CNT(sk->s, tcp_txrec_full);
		if (last) {  /* coarser, but every byte stays covered */
			last->end = end;
			last->ts = sk->s->now;
			/* not SACKed, lost or resent as a whole any more */
			last->flags &= TXR_EVER_RTX;
		}
		return;
	}
	sk->txq[sk->ntx].start = seq;
	sk->txq[sk->ntx].end = end;
	sk->txq[sk->ntx].ts = sk->s->now;
	sk->txq[sk->ntx].delivered = (uint32_t)sk->delivered_bytes;
	sk->txq[sk->ntx].flags = tcp_txrec_app_limited(sk, end);
	sk->ntx++;
}

/* A retransmission of [seq, end): restamp what it covers. */
static void tcp_txrec_resent(struct tcp_sock *sk, uint32_t seq, uint32_t end)
{
	for (unsigned i = 0; i < sk->ntx; i++) {
		struct tcp_txrec *r = &sk->txq[i];

		if (SEQ_LEQ(r->end, seq))
			continue;
		if (SEQ_GEQ(r->start, end))
			break;
		if (SEQ_LT(r->start, seq)) {
			if (tcp_txrec_split(sk, i, seq))
				continue;  /* the upper half is next */
		}
		if (SEQ_GT(sk->txq[i].end, end))
			tcp_txrec_split(sk, i, end);
		r = &sk->txq[i];
		r->ts = sk->s->now;
		r->delivered = (uint32_t)sk->delivered_bytes;
		/* a lost mark stays: pipe counts the retransmission once,
		 * as RFC 6675 SetPipe's (b) without (a) */
		r->flags = (uint8_t)((r->flags & ~TXR_RESCUE) | TXR_RETRANS |
				     TXR_EVER_RTX);
	}
}

/**
 * tcp_txrec_sent() - note a segment that carries sequence space
 * @sk: the socket
 * @seq: its first sequence number
 * @len: sequence space (data bytes, plus one for a FIN)
 */
void tcp_txrec_sent(struct tcp_sock *sk, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len;

	if (!len || !sk->sndq.cap)
		return;         /* no data path: a SYN-ACK's retransmission
				 * needs no record */
	if (!sk->txq) {
		/* the first since the last was acked (tcp_txrec_ack()) */
		size_t b = tcp_txrec_init(sk);

		if (!b)
			return;
		tcp_mem_charge(sk, (ssize_t)b);
	}
	if (SEQ_LT(seq, sk->snd_max))
		tcp_txrec_resent(sk, seq, SEQ_LT(end, sk->snd_max) ? end :
					  sk->snd_max);
	if (SEQ_GT(end, sk->snd_max)) {
		uint32_t from = SEQ_GT(seq, sk->snd_max) ? seq : sk->snd_max;
		struct tcp_txrec *last = sk->ntx ? &sk->txq[sk->ntx - 1] : NULL;

		if (last && SEQ_GT(last->end, from))
			from = last->end;  /* already recorded */
		if (SEQ_LT(from, end))
			tcp_txrec_append(sk, from, end);
	}
}

/* -- RACK, RFC 8985 6.2 ------------------------------------------------ */

/* "RACK_sent_after(t1, seq1, t2, seq2)" */
static bool tcp_rack_sent_after(uint64_t t1, uint32_t seq1, uint64_t t2,
				uint32_t seq2)
{
	return t1 > t2 || (t1 == t2 && SEQ_GT(seq1, seq2));
}

/**
 * tcp_rack_on() - is RACK the loss detector of this connection
 * @sk: the socket
 *
 * Return: true with SACK and tcp_rack configured
 */
bool tcp_rack_on(const struct tcp_sock *sk)
{
	return sk->s->cfg.tcp_rack && sk->sack_ok;
}

/*
 * Steps 2 and 3 for one segment newly delivered (cumulatively or
 * selectively): the most recently sent delivered segment, and reordering.
 */
static void tcp_rack_delivered(struct tcp_sock *sk, const struct tcp_txrec *r,
			       bool sacked)
{
	struct stack *s = sk->s;
	uint64_t rtt = s->now - r->ts;

	/* step 3: "If Segment.end_seq < RACK.fack and Segment.retransmitted
	 * is FALSE: RACK.reordering_seen = TRUE" */
	if (SEQ_GT(r->end, sk->rack_fack)) {
		sk->rack_fack = r->end;
	} else if (!(r->flags & TXR_EVER_RTX)) {
		if (!sk->rack_reord)
			CNT(s, tcp_rack_reorder);
		sk->rack_reord = true;
		sk->reord_seen++;
	}
	/* step 2: "If Segment.retransmitted is TRUE and
	 * (ACK.ts_option.echo_reply < Segment.xmit_ts or Now() -
	 * Segment.xmit_ts < RACK.min_RTT): continue" -- the ACK is for an
	 * earlier copy (our TSval clock counts milliseconds). Not for a
	 * SACK: an out-of-order segment does not move TS.Recent (RFC 7323
	 * 4.3), so the echo is older than any retransmission it SACKs */
	if ((r->flags & TXR_EVER_RTX) &&
	    (rtt < sk->rack_min_rtt ||
	     (!sacked && sk->rack_tsecr && SEQ_LT(sk->rack_tsecr,
				       (uint32_t)(r->ts / NSEC_PER_MSEC) +
				       sk->ts_offset))))
		return;
	if (tcp_rack_sent_after(r->ts, r->end, sk->rack_xmit_ts,
				sk->rack_end_seq)) {
		sk->rack_rtt = rtt;
		sk->rack_xmit_ts = r->ts;
		sk->rack_end_seq = r->end;
	}
}

/**
 * tcp_rack_min_rtt() - fold an RTT sample into RACK.min_RTT
 * @sk: the socket
 * @rtt: ns
 */
void tcp_rack_min_rtt(struct tcp_sock *sk, uint64_t rtt)
{
	if (!sk->rack_min_rtt || rtt < sk->rack_min_rtt)
		sk->rack_min_rtt = rtt;
}

/**
 * tcp_rack_dsack() - RFC 8985 6.2 step 4 on a D-SACK: widen the
 * reordering window, once per round trip, for 16 recoveries
 * @sk: the socket
 */
void tcp_rack_dsack(struct tcp_sock *sk)
{
	CNT(sk->s, tcp_dsack_rcvd);
	sk->dsack_dups++;
	/* a retransmission was spurious: its original came late, which is
	 * reordering that step 3 cannot see (the segment was resent), as
	 * Linux counts it when it undoes a recovery */
	if (!sk->rack_reord)
		CNT(sk->s, tcp_rack_reorder);
	sk->rack_reord = true;
	/* "If RACK.dsack_round is None and any DSACK: RACK.dsack_round =
	 * SND.NXT; RACK.reo_wnd_mult += 1; RACK.reo_wnd_persist = 16" */
	if (sk->rack_dsack_round_set)
		return;
	sk->rack_dsack_round_set = true;
	sk->rack_dsack_round = sk->snd_max;
	if (sk->rack_reo_mult < TCP_RACK_MAX_MULT)
		sk->rack_reo_mult++;
	sk->rack_reo_persist = 16;
	CNT(sk->s, tcp_rack_reo_widened);
}

/**
 * tcp_rack_recovery_done() - step 4, "exiting Fast or RTO recovery":
 * the widened window decays back after 16 recoveries
 * @sk: the socket
 */
void tcp_rack_recovery_done(struct tcp_sock *sk)
{
	if (sk->rack_reo_persist && --sk->rack_reo_persist == 0)
		sk->rack_reo_mult = 1;
}

/**
 * tcp_rack_reo_wnd() - "RACK_update_reo_wnd()" of RFC 8985 6.2 step 4
 * @sk: the socket
 *
 * Return: the reordering window, ns
 */
uint64_t tcp_rack_reo_wnd(const struct tcp_sock *sk)
{
	uint64_t w, srtt;

	/* "If RACK.reordering_seen is FALSE: If in Fast or RTO recovery:
	 * return 0; Else if RACK.segs_sacked >= DupThresh: return 0" */
	if (!sk->rack_reord) {
		if (sk->in_recovery || sk->in_loss)
			return 0;
		if (tcp_sacked_segs(sk) >= TCP_DUPTHRESH)
			return 0;
	}
	/* "return min(RACK.reo_wnd_mult * RACK.min_RTT / 4, SRTT)" */
	w = (uint64_t)(sk->rack_reo_mult ? sk->rack_reo_mult : 1) *
	    (sk->rack_min_rtt / 4);
	srtt = tcp_srtt(sk);
	return srtt && w > srtt ? srtt : w;
}

/*
 * Step 5, "RACK_detect_loss()": mark what was sent before RACK.segment
 * and has waited RACK.rtt + RACK.reo_wnd. Return: ns until the next one
 * would be due (0: none waits).
 */
static uint64_t tcp_rack_detect_loss(struct tcp_sock *sk, unsigned *newly)
{
	struct stack *s = sk->s;
	uint64_t reo_wnd = tcp_rack_reo_wnd(sk), timeout = 0;

	for (unsigned i = 0; i < sk->ntx; i++) {
		struct tcp_txrec *r = &sk->txq[i];
		uint64_t due;

		/* "If Segment.lost is TRUE and Segment.retransmitted is
		 * FALSE: continue" */
		if ((r->flags & TXR_SACKED) ||
		    (r->flags & (TXR_LOST | TXR_RETRANS)) == TXR_LOST)
			continue;
		if (!tcp_rack_sent_after(sk->rack_xmit_ts, sk->rack_end_seq,
					 r->ts, r->end))
			continue;
		due = r->ts + sk->rack_rtt + reo_wnd;
		if (due <= s->now) {
			r->flags = (uint8_t)((r->flags & ~(TXR_RETRANS |
							     TXR_RESCUE)) | TXR_LOST);
			CNT(s, tcp_rack_lost);
			sk->rack_lost++;
			(*newly)++;
		} else if (due - s->now > timeout) {
			timeout = due - s->now;
		}
	}
	return timeout;
}

/**
 * tcp_rack_detect() - RFC 8985 6.2 step 5 and 6.3: mark losses by time
 * and arm the reorder timer for the segments not yet due
 * @sk: the socket
 *
 * Return: how many records were newly marked lost
 */
unsigned tcp_rack_detect(struct tcp_sock *sk)
{
	unsigned newly = 0;
	uint64_t timeout;

	if (!tcp_rack_on(sk) || !sk->rack_xmit_ts)
		return 0;
	timeout = tcp_rack_detect_loss(sk, &newly);
	/* "If (timeout != 0) Arm the RACK timer to call
	 * RACK_detect_loss_and_arm_timer() after timeout" */
	sk->rack_reo_at = timeout ? sk->s->now + timeout : 0;
	return newly;
}

/* -- what an ACK does to the records ----------------------------------- */

/**
 * tcp_txrec_ack() - the cumulative ACK moved to snd_una: drop the
 * records it covers, each a delivery for RACK
 * @sk: the socket
 *
 * Return: the segments it acknowledged whole that were not SACKed before
 * (Linux's packets acked in tcp_clean_rtx_queue(), which congestion
 * control counts: a segment of 100 bytes is one, as one of 1448)
 */
unsigned tcp_txrec_ack(struct tcp_sock *sk)
{
	unsigned n = 0, segs = 0;

	if (sk->rack_dsack_round_set && SEQ_GEQ(sk->snd_una, sk->rack_dsack_round))
		sk->rack_dsack_round_set = false;
	if (!sk->txq)
		return 0;       /* none: nothing was in flight */
	while (n < sk->ntx && SEQ_LEQ(sk->txq[n].end, sk->snd_una)) {
		if (!(sk->txq[n].flags & TXR_SACKED)) {
			tcp_rack_delivered(sk, &sk->txq[n], false);
			tcp_info_delivered(sk, &sk->txq[n],
					   sk->txq[n].end - sk->txq[n].start);
			segs++;
		}
		n++;
	}
	if (n < sk->ntx && SEQ_LT(sk->txq[n].start, sk->snd_una))
		sk->txq[n].start = sk->snd_una;  /* a partly acked segment */
	memmove(sk->txq, sk->txq + n, (sk->ntx - n) * sizeof(*sk->txq));
	sk->ntx -= n;
	if (!sk->ntx && sk->txq) {
		/* nothing in flight: an idle connection keeps no records */
		tcp_mem_charge(sk, -(ssize_t)tcp_txrec_bytes(sk));
		tcp_txrec_free(sk);
	}
	return segs;
}

/**
 * tcp_txrec_first_acked() - when the oldest record the cumulative ACK
 * @ack covers was sent, if it was sent once and not SACKed (Linux's
 * first_ackt in tcp_clean_rtx_queue(): Karn's rule per segment)
 * @sk: the socket
 * @ack: the ACK, not yet applied to the records
 *
 * Return: its send time, or 0 if no record gives one
 */
uint64_t tcp_txrec_first_acked(const struct tcp_sock *sk, uint32_t ack)
{
	for (unsigned i = 0; i < sk->ntx && SEQ_LEQ(sk->txq[i].end, ack); i++)
		if (!(sk->txq[i].flags & (TXR_SACKED | TXR_EVER_RTX)))
			return sk->txq[i].ts;
	return 0;
}

/**
 * tcp_txrec_sacked() - mark the records the SACK scoreboard now covers
 * whole, each a delivery for RACK
 * @sk: the socket
 *
 * Return: when the first of them sent once only was sent (Linux's
 * first_sackt, tcp_sacktag_one()), 0 if none
 */
uint64_t tcp_txrec_sacked(struct tcp_sock *sk)
{
	uint64_t first = 0;
	unsigned j = 0;

	for (unsigned i = 0; i < sk->ntx && j < sk->nsacked; i++) {
		struct tcp_txrec *r = &sk->txq[i];

		while (j < sk->nsacked && SEQ_LEQ(sk->sb->sacked[j].end, r->start))
			j++;
		if (j == sk->nsacked || (r->flags & TXR_SACKED))
			continue;
		if (SEQ_LEQ(sk->sb->sacked[j].start, r->start) &&
		    SEQ_GEQ(sk->sb->sacked[j].end, r->end)) {
			tcp_rack_delivered(sk, r, true);
			tcp_info_delivered(sk, r, r->end - r->start);
			if (!first && !(r->flags & TXR_EVER_RTX))
				first = r->ts;
			r->flags = (uint8_t)((r->flags & ~(TXR_LOST | TXR_RETRANS)) |
					     TXR_SACKED);
		}
	}
	return first;
}

/**
 * tcp_txrec_forget_sacks() - the SACK scoreboard was cleared (reneging,
 * RFC 2018 8): no record is SACKed any more
 * @sk: the socket
 */
void tcp_txrec_forget_sacks(struct tcp_sock *sk)
{
	for (unsigned i = 0; i < sk->ntx; i++)
		sk->txq[i].flags &= (uint8_t)~TXR_SACKED;
}

/**
 * tcp_txrec_mark_all_lost() - after a retransmission timeout, everything
 * not SACKed is lost (RFC 8985 6.3, RFC 5681 3.1: resent from snd_una)
 * @sk: the socket
 */
void tcp_txrec_mark_all_lost(struct tcp_sock *sk)
{
	for (unsigned i = 0; i < sk->ntx; i++)
		if (!(sk->txq[i].flags & TXR_SACKED))
			sk->txq[i].flags = (uint8_t)((sk->txq[i].flags &
						      ~TXR_RETRANS) | TXR_LOST);
	sk->rack_reo_at = 0;
}

/* -- RFC 6675 ----------------------------------------------------------- */

/**
 * tcp_sacked_segs() - SACKed data in segments (RACK.segs_sacked)
 * @sk: the socket
 *
 * Return: records marked SACKed
 */
unsigned tcp_sacked_segs(const struct tcp_sock *sk)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sk->ntx; i++)
		n += !!(sk->txq[i].flags & TXR_SACKED);
	return n;
}

/*
 * RFC 6675 4 IsLost(SeqNum): "returns true when either DupThresh
 * discontiguous SACKed sequences have arrived above 'SeqNum' or more than
 * (DupThresh - 1) * SMSS bytes with sequence numbers greater than 'SeqNum'
 * have been SACKed."
 */
static bool tcp_is_lost(const struct tcp_sock *sk, uint32_t seq)
{
	uint32_t bytes = 0;
	unsigned ranges = 0;

	for (unsigned i = 0; i < sk->nsacked; i++) {
		const struct tcp_range *r = &sk->sb->sacked[i];

		if (SEQ_LEQ(r->end, seq))
			continue;
		ranges++;
		bytes += r->end - (SEQ_GT(r->start, seq) ? r->start : seq + 1);
	}
	return ranges >= TCP_DUPTHRESH ||
	       bytes > (TCP_DUPTHRESH - 1) * (uint32_t)sk->mss;
}

/**
 * tcp_mark_lost() - run the connection's loss detector over the records
 * @sk: the socket
 *
 * Return: how many records were newly marked lost
 */
unsigned tcp_mark_lost(struct tcp_sock *sk)
{
	unsigned newly = 0;

	if (tcp_rack_on(sk))
		return tcp_rack_detect(sk);
	for (unsigned i = 0; i < sk->ntx; i++) {
		struct tcp_txrec *r = &sk->txq[i];

		if (r->flags & (TXR_SACKED | TXR_LOST))
			continue;
		if (!tcp_is_lost(sk, r->start))
			break;  /* nor is anything above it */
		r->flags |= TXR_LOST;
		newly++;
	}
	return newly;
}

/**
 * tcp_mark_head_lost() - RFC 6675 5 step 4.3 / RFC 6582: recovery starts
 * by retransmitting "the first data segment presumed dropped -- the
 * segment starting with sequence number HighACK + 1"
 * @sk: the socket
 */
void tcp_mark_head_lost(struct tcp_sock *sk)
{
	if (sk->ntx && !(sk->txq[0].flags & (TXR_SACKED | TXR_RETRANS)))
		sk->txq[0].flags |= TXR_LOST;
}

/**
 * tcp_txrec_rescued() - the record at @start just went as RFC 6675's
 * rescue retransmission (NextSeg rule 4)
 * @sk: the socket
 * @start: its first sequence number
 */
void tcp_txrec_rescued(struct tcp_sock *sk, uint32_t start)
{
	for (unsigned i = 0; i < sk->ntx; i++)
		if (sk->txq[i].start == start &&
		    (sk->txq[i].flags & TXR_RETRANS))
			sk->txq[i].flags |= TXR_RESCUE;
}

/**
 * tcp_pipe() - RFC 6675 4 SetPipe: data outstanding in the network
 * @sk: the socket
 *
 * "(a) If IsLost (S1) returns false: pipe is incremented by 1 octet.
 *  (b) If S1 <= HighRxt: pipe is incremented by 1 octet." over every
 * octet not SACKed, with the records' lost marks standing for IsLost()
 * (RACK's, or DupThresh's) and their retransmitted marks for S1 <=
 * HighRxt.
 *
 * Return: bytes
 */
uint32_t tcp_pipe(const struct tcp_sock *sk)
{
	uint32_t pipe = 0;

	for (unsigned i = 0; i < sk->ntx; i++) {
		const struct tcp_txrec *r = &sk->txq[i];
		uint32_t len = r->end - r->start;

		if (r->flags & TXR_SACKED)
			continue;
		if (!(r->flags & TXR_LOST))
			pipe += len;
		/* the rescue leaves HighRxt alone, so (b) skips it */
		if ((r->flags & (TXR_RETRANS | TXR_RESCUE)) == TXR_RETRANS)
			pipe += len;
	}
	return pipe;
}

/* The highest octet any SACK covers, plus one (snd_una if none). */
static uint32_t tcp_high_sacked(const struct tcp_sock *sk)
{
	return sk->nsacked ? sk->sb->sacked[sk->nsacked - 1].end : sk->snd_una;
}

/*
 * NextSeg rule 4: "If HighACK is greater than RescueRxt (or RescueRxt is
 * undefined), then one segment of upto SMSS octets that MUST include the
 * highest outstanding unSACKed sequence number SHOULD be returned, and
 * RescueRxt set to RecoveryPoint. HighRxt MUST NOT be updated."
 */
static bool tcp_next_seg_rescue(struct tcp_sock *sk, uint32_t *start,
				uint32_t *end)
{
	if (sk->rescue_set && !SEQ_GT(sk->snd_una, sk->rescue_rxt))
		return false;
	for (unsigned i = sk->ntx; i-- > 0;) {
		const struct tcp_txrec *r = &sk->txq[i];

		if (r->flags & (TXR_SACKED | TXR_RETRANS))
			continue;
		*start = r->start;
		*end = r->end;
		if (sk->fin_sent && *end == sk->snd_max)
			(*end)--;  /* the FIN rides along */
		sk->rescue_set = true;
		sk->rescue_rxt = sk->recover;
		return true;
	}
	return false;
}

/**
 * tcp_next_seg() - RFC 6675 4 NextSeg(), the retransmission rules
 * @sk: the socket
 * @rule: the rule to try: 1 (lost), 3 (not lost, below a SACK) or 4
 *        (rescue); rule 2, new data, is tcp_output's
 * @start: the range to resend, one segment at most
 * @end: its end
 *
 * Return: true if the rule gives a range
 */
bool tcp_next_seg(struct tcp_sock *sk, int rule, uint32_t *start,
		  uint32_t *end)
{
	uint32_t high = tcp_high_sacked(sk);

	if (rule == 4)
		return tcp_next_seg_rescue(sk, start, end);
	for (unsigned i = 0; i < sk->ntx; i++) {
		const struct tcp_txrec *r = &sk->txq[i];

		/* (1.a) "S2 is greater than HighRxt" */
		if (r->flags & (TXR_SACKED | TXR_RETRANS))
			continue;
		/* (1.b) "S2 is less than the highest octet covered by any
		 * received SACK" -- with RACK, a lost mark needs none */
		if (!SEQ_LT(r->start, high) && !(rule == 1 && tcp_rack_on(sk)))
			return false;
		/* (1.c) "IsLost (S2) returns true" (rule 3: excluded) */
		if (rule == 1 && !(r->flags & TXR_LOST))
			continue;
		*start = r->start;
		*end = r->end;
		if (sk->fin_sent && *end == sk->snd_max)
			(*end)--;
		return true;
	}
	return false;
}

/**
 * tcp_txrec_lost_out() - records marked lost and not yet resent
 * @sk: the socket
 *
 * Return: their number
 */
unsigned tcp_txrec_lost_out(const struct tcp_sock *sk)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sk->ntx; i++)
		n += (sk->txq[i].flags & (TXR_LOST | TXR_SACKED)) == TXR_LOST;
	return n;
}

/**
 * tcp_txrec_retrans_out() - retransmissions in flight (Linux's
 * retrans_out)
 * @sk: the socket
 *
 * Return: their number
 */
unsigned tcp_txrec_retrans_out(const struct tcp_sock *sk)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sk->ntx; i++)
		n += (sk->txq[i].flags & (TXR_RETRANS | TXR_SACKED)) == TXR_RETRANS;
	return n;
}
