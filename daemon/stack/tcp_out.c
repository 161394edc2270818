/* SPDX-License-Identifier: MIT */
/*
 * tcp_out.c - building and sending segments, and TCP's timers
 *
 * Theory of operation: tcp_output() is the one place that decides what new
 * or retransmitted data goes out. It sends from snd_nxt while the usable
 * window (min of the peer's window and cwnd, RFC 5681) allows, a full MSS
 * at a time; a short segment goes only when Nagle (RFC 896, RFC 1122
 * 4.2.3.4) and the sender side of silly-window avoidance allow it, never
 * while TCP_CORK holds it. The FIN rides on the last data segment. When the
 * peer's window is zero with data waiting and nothing in flight, the
 * persist timer takes over (RFC 9293 3.8.6.1).
 *
 * Segments are built straight from the send ring (the bytes stay there
 * until acknowledged, so retransmission re-reads them). Options go in the
 * order Linux sends them: SYN: MSS, SACK-permitted, timestamps, NOP,
 * window scale; other segments: NOP, NOP, timestamps, then NOP, NOP, SACK
 * blocks.
 *
 * Each connection has three timers in the engine's heap: rtx
 * (retransmission, RFC 8985 tail loss probe or RACK reorder timer, or
 * persist), dack (delayed ACK, at most tcp_delack_max,
 * RFC 1122 4.2.3.2 / RFC 5681 4.2) and misc (keepalive, FIN_WAIT_2,
 * TIME_WAIT; never two at once).
 *
 * TCP_USER_TIMEOUT (RFC 5482's "user timeout", Linux's semantics): how
 * long data may stay unacknowledged before the connection is aborted with
 * ETIMEDOUT, in place of the tcp_retries2 count. Its clock starts at the
 * first retransmission (of any kind), from that retransmission (Linux's
 * retrans_stamp, the time the first retransmission went), and stops when an ACK
 * acknowledges new data (Linux keeps it until no retransmitted data is
 * outstanding: with partial progress ustack waits longer); it is looked at
 * only after a retransmission timeout, and from then on the retransmission
 * timer never runs past the end of the user timeout
 * (tcp_clamp_rto_to_user_timeout()), so the abort comes on time. A zero window probed longer than the user timeout since its
 * first probe aborts too, answered or not (tcp_probe_timer()); keepalive
 * aborts once probes went out and the connection was idle that long, in
 * place of the tcp_keepcnt count (tcp_keepalive_timer()). SYN-SENT and
 * SYN-RECEIVED keep their retry counts and also end at the user timeout.
 */
#include <string.h>

#include "ip.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack_impl.h"
#include "tcp_impl.h"

static void tcp_rtx_fire(struct timer *t, uint64_t now);
static void tcp_dack_fire(struct timer *t, uint64_t now);
static void tcp_misc_fire(struct timer *t, uint64_t now);

/**
 * tcp_tsval() - our timestamp clock: milliseconds plus a per-connection
 * random offset (RFC 7323 5.4, as Linux)
 * @sk: the socket
 *
 * Return: TSval
 */
uint32_t tcp_tsval(const struct tcp_sock *sk)
{
	return (uint32_t)(sk->s->now / NSEC_PER_MSEC) + sk->ts_offset;
}

/* Linux's TCP_TIMEOUT_MIN: 2 jiffies (HZ=1000) */
#define TCP_TIMEOUT_MIN (2 * NSEC_PER_MSEC)

/**
 * tcp_user_deadline() - a timer's due time, no later than the end of
 * TCP_USER_TIMEOUT (Linux's tcp_clamp_rto_to_user_timeout() and
 * tcp_clamp_probe0_to_user_timeout())
 * @sk: the socket
 * @stamp: when the user timeout's clock started, 0: not running
 * @due: when the timer would fire
 * @min: the least delay from now (Linux: none for the retransmission
 *       timer, TCP_TIMEOUT_MIN for the persist timer)
 *
 * Return: the time to arm the timer for
 */
static uint64_t tcp_user_deadline(const struct tcp_sock *sk, uint64_t stamp,
				  uint64_t due, uint64_t min)
{
	uint64_t end, now = sk->s->now;

	if (!sk->user_timeout_ms || !stamp)
		return due;
	end = stamp + (uint64_t)sk->user_timeout_ms * NSEC_PER_MSEC;
	if (end < now + min)
		end = now + min;
	return end < due ? end : due;
}

/* Has TCP_USER_TIMEOUT's clock started at @stamp run out? */
static bool tcp_user_timed_out(const struct tcp_sock *sk, uint64_t stamp)
{
	return sk->user_timeout_ms && stamp &&
	       sk->s->now - stamp >= (uint64_t)sk->user_timeout_ms *
				     NSEC_PER_MSEC;
}

/**
 * tcp_mss_for_route() - the MSS the path to @dst allows
 * @s: the stack
 * @dst: the destination
 *
 * IPv4: the MTU of the route's interface less 40 bytes of headers; IPv6:
 * the path MTU (ipv6_pmtu(), lowered by Packet Too Big, RFC 8201) less
 * 60. Our own addresses are reached through the loopback, and have its
 * MTU.
 *
 * Return: the MSS
 */
uint16_t tcp_mss_for_route(struct stack *s, const struct ip_addr *dst)
{
	const struct route *r;
	struct netif *nif;
	uint32_t mtu;

	if (dst->family == IP_V6) {
		mtu = stack_addr_is_local(s, dst) ? s->lo.mtu :
		      ipv6_pmtu(s, dst);
		return (uint16_t)(mtu - IPV6_HLEN - TCP_HLEN);
	}
	r = route_find(s, dst);
	nif = stack_addr_is_local(s, dst) ? &s->lo :
	      stack_netif(s, r ? r->ifindex : STACK_IF_LINK);
	mtu = nif ? nif->mtu : 576;
	return (uint16_t)(mtu - IPV4_HLEN - TCP_HLEN);
}

static uint8_t tcp_syn_options(const struct tcp_sock *sk, uint8_t *o)
{
	uint8_t n = 0;

	o[n++] = TCPOPT_MSS;
	o[n++] = 4;
	put16(o + n, sk->rcv_mss);
	n += 2;
	if (sk->sack_ok && sk->ts_ok) {
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = 2;
	} else if (sk->sack_ok) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = 2;
	} else if (sk->ts_ok) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
	}
	if (sk->ts_ok) {
		o[n++] = TCPOPT_TS;
		o[n++] = 10;
		put32(o + n, tcp_tsval(sk));
		put32(o + n + 4, sk->state == TCP_SYN_SENT ? 0 : sk->ts_recent);
		n += 8;
	}
	if (sk->ws_ok) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_WS;
		o[n++] = 3;
		o[n++] = sk->rcv_wscale;
	}
	return (uint8_t)(n + tcp_tfo_syn_option(sk, o + n));
}

/* RFC 2018 4: "the first SACK block ... MUST specify the contiguous block
 * of data containing the segment which triggered this ACK", then others. */
static uint8_t tcp_sack_blocks(const struct tcp_sock *sk, uint8_t *o,
			       unsigned max)
{
	unsigned nb = 0, i;
	uint8_t n = 2;

	if (!sk->sack_ok || (sk->nooo == 0 && !sk->dsack_pending))
		return 0;
	o[0] = TCPOPT_NOP;
	o[1] = TCPOPT_NOP;
	/* RFC 2883 4: a duplicate is reported in the first block, once */
	if (sk->dsack_pending) {
		put32(o + n + 2, sk->sb->dsack.start);
		put32(o + n + 6, sk->sb->dsack.end);
		nb++;
	}
	for (i = 0; i < sk->nooo && nb < max; i++)
		if (sk->sb->ooo[i].start == sk->sb->ooo_recent) {
			put32(o + n + 2 + 8 * nb, sk->sb->ooo[i].start);
			put32(o + n + 6 + 8 * nb, sk->sb->ooo[i].end);
			nb++;
		}
	for (i = 0; i < sk->nooo && nb < max; i++) {
		if (sk->sb->ooo[i].start == sk->sb->ooo_recent)
			continue;
		put32(o + n + 2 + 8 * nb, sk->sb->ooo[i].start);
		put32(o + n + 6 + 8 * nb, sk->sb->ooo[i].end);
		nb++;
	}
	if (nb == 0)
		return 0;
	o[n] = TCPOPT_SACK;
	o[n + 1] = (uint8_t)(2 + 8 * nb);
	return (uint8_t)(n + 2 + 8 * nb);
}

static uint8_t tcp_data_options(const struct tcp_sock *sk, uint8_t *o)
{
	uint8_t n = 0;

	if (sk->ts_ok) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_TS;
		o[n++] = 10;
		put32(o + n, tcp_tsval(sk));
		put32(o + n + 4, sk->ts_recent);
		n += 8;
	}
	return (uint8_t)(n + tcp_sack_blocks(sk, o + n, sk->ts_ok ? 3 : 4));
}

/*
 * The ring must hold every byte up to the edge we offer. Rounding the
 * window up to the scale (below) moves the edge on by less than one unit
 * at a time, into the ring's slack; when a run of such ACKs has used the
 * slack up, the ring grows by a step (at most to rcvbuf + rcvbuf / 4 +
 * a unit: a peer sending tiny segments cannot make it grow without end).
 * If it cannot grow, the edge is offered anyway, and data beyond the ring
 * is dropped (counted) as Linux drops what its memory cannot take.
 */
static void tcp_rcv_reserve(struct tcp_sock *sk, uint32_t need)
{
	uint32_t unit = 1u << sk->rcv_wscale;
	uint32_t step = (sk->rcvq.size / 16 + unit - 1) & ~(unit - 1);
	uint32_t limit = sk->rcvq.size + sk->rcvq.size / 4 + unit;

	if (!sk->rcvq.cap)
		return;
	if (step < need)
		step = need;
	if (sk->rcvq.cap + step > limit)
		step = limit > sk->rcvq.cap ? limit - sk->rcvq.cap : 0;
	if (step < need || tcp_ring_grow(sk, &sk->rcvq, sk->rcvq.cap + step))
		CNT(sk->s, tcp_rcv_wnd_overcommit);
}

/**
 * tcp_rcv_window() - the window to advertise now, in bytes
 * @sk: the socket
 *
 * Free receive space, but (RFC 1122 4.2.3.3, receiver-side SWS avoidance)
 * the right edge only moves on by at least min(buffer/2, MSS), and it
 * never moves back: RFC 9293 3.8.6 "A TCP receiver SHOULD NOT shrink the
 * window, i.e., move the right window edge to the left (SHLD-14)". With
 * window scaling the field cannot say every edge (RFC 7323 2.4 and its
 * appendix F): after data that is not a multiple of the unit, the window
 * left is rounded up, never down, as Linux's tcp_select_window() does
 * (new_win = ALIGN(cur_win, 1 << rcv_wscale)). Rounding down would move
 * the edge back by up to a unit, below data the peer may already have
 * sent: cut off here, and beyond the window its pure ACKs then seem to
 * lie (issue 8 item 6: a bulk transfer both ways stalled on it).
 * TCP_WINDOW_CLAMP caps it, the edge still never moving back. Bytes
 * passed on to the program and not read yet (tcp_recv_pass()) still
 * fill the buffer: they are left out, as Linux leaves out what its
 * program has not read.
 *
 * Return: bytes, a multiple of 1 << rcv_wscale
 */
static uint32_t rcv_window_with(const struct tcp_sock *sk, uint32_t unread,
			       uint32_t *beyond)
{
	uint32_t slack = sk->rcvq.cap ? sk->rcvq.cap - sk->rcvq.size : 0;
	uint32_t room = sk->rcvq.cap ? tcp_ring_free(&sk->rcvq) : sk->rcvq.size;
	uint32_t free_sp = room > slack + unread ? room - slack - unread : 0;
	uint32_t cur = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ?
		       sk->rcv_adv - sk->rcv_nxt : 0;
	uint32_t step = sk->rcvq.size / 2 < sk->rcv_mss ? sk->rcvq.size / 2 :
							sk->rcv_mss;
	uint32_t unit = 1u << sk->rcv_wscale;
	uint32_t max = 65535u << sk->rcv_wscale;
	uint32_t w;

	if (free_sp < cur + step && free_sp < sk->rcvq.size)
		free_sp = cur;
	if (free_sp > max)
		free_sp = max;
	if (sk->window_clamp && free_sp > sk->window_clamp)
		free_sp = sk->window_clamp;     /* TCP_WINDOW_CLAMP */
	w = free_sp & ~(unit - 1);
	*beyond = 0;
	if (w < cur) {
		/* cur <= max, a multiple of the unit: so is the result; the
		 * edge kept may lie beyond the ring */
		w = (cur + unit - 1) & ~(unit - 1);
		if (w > room)
			*beyond = w - room;
	}
	return w;
}

/*
 * The bytes passed and not read come from the host (stack_ops.sock_unread,
 * a system call in the daemon), asked only where the answer can matter:
 * the window does not grow as the unread bytes shrink (it is the same
 * with none unread as with all of them, and it is monotone between), and
 * they are under an MSS (so autotuning, which counts the program's reads,
 * misses little until the next time). A request/response exchange keeps
 * a few bytes unread at each reply: this spares it a system call each.
 */
uint32_t tcp_rcv_window(struct tcp_sock *sk)
{
	uint32_t beyond, w;

	if (sk->rcv_unread && (sk->rcv_unread > sk->rcv_mss ||
			       rcv_window_with(sk, 0, &beyond) !=
			       rcv_window_with(sk, sk->rcv_unread, &beyond)))
		tcp_rcv_unread_now(sk);
	w = rcv_window_with(sk, sk->rcv_unread, &beyond);
	if (beyond)
		tcp_rcv_reserve(sk, beyond);
	return w;
}

static void tcp_fill_hdr(uint8_t *h, uint16_t sport, uint16_t dport,
			 uint32_t seq, uint32_t ack, uint8_t hlen,
			 uint8_t flags, uint16_t wnd)
{
	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, seq);
	put32(h + 8, ack);
	h[12] = (uint8_t)(hlen / 4 << 4);
	h[13] = flags;
	put16(h + 14, wnd);
	put16(h + 16, 0);
	put16(h + 18, 0);
}

/* Send one segment; @sk (NULL: a reset that answers no socket) gives the
 * TOS or traffic class and TTL or hop limit of its family */
static int tcp_send_pbuf(struct stack *s, struct pbuf *p,
			 const struct tcp_sock *sk, const struct ip_addr *src,
			 const struct ip_addr *dst, uint8_t flags,
			 unsigned segs, uint8_t ect)
{
	struct ip_tx tx = { .src = *src, .dst = *dst,
			    .proto = IP_PROTO_TCP, .flags = IP_TX_DONTFRAG };
	uint32_t sum = ip_pseudo_sum(&tx.src, &tx.dst, IP_PROTO_TCP,
				     (uint32_t)p->len);
	int rc;

	/* the ECN field is TCP's own: what IP_TOS or IPV6_TCLASS set there
	 * is not sent (Linux keeps it from a stream socket's tos) */
	if (sk && dst->family == IP_V4) {
		tx.tos = (uint8_t)((sk->ip_tos & ~IP_ECN_MASK) | ect);
		tx.ttl = sk->ip_ttl;
	} else if (sk) {
		tx.tos = (uint8_t)((sk->ip6_tclass & ~IP_ECN_MASK) | ect);
		tx.ttl = sk->ip6_hops;
	}
	/* a frame of segments: the link finishes each one's checksum from
	 * the pseudo-header's sum (gso.h) */
	if (p->gso_size)
		put16(p->data + 16, (uint16_t)~inet_fold(sum));
	else
		put16(p->data + 16, inet_fold(inet_sum(p->data, p->len, sum)));
	s->cnt.tcp_tx += segs;
	if (flags & TCP_RST)
		CNT(s, tcp_tx_rst);
	rc = ip_output(s, p, &tx);
	if (rc < 0)
		CNT(s, tcp_tx_err);
	return rc;
}

/**
 * tcp_xmit() - build and send one segment of @sk
 * @sk: the socket
 * @seq: its sequence number
 * @flags: TCP_SYN, TCP_ACK, ...
 * @off: offset of the payload in the send ring
 * @len: payload bytes
 *
 * Every segment but a bare SYN carries ACK = rcv_nxt and the current
 * window; sending one cancels a pending delayed ACK.
 *
 * Return: 0 or a negative errno (counted)
 */
int tcp_xmit(struct tcp_sock *sk, uint32_t seq, uint8_t flags, uint32_t off,
	     uint32_t len)
{
	return tcp_xmit_segs(sk, seq, flags, off, len, 0);
}

/**
 * tcp_xmit_segs() - tcp_xmit(), as one frame of several segments
 * @sk: the socket
 * @seq: the first one's sequence number
 * @flags: TCP_ACK, TCP_PSH, TCP_FIN (on the last, when the link cuts)
 * @off: offset of the payload in the send ring
 * @len: payload bytes of all
 * @gso: payload per segment, for a link that segments (gso.h); 0 or
 *       @len or more: one segment
 *
 * Counted and recorded as the segments it stands for, as Linux counts a
 * TSO frame by tcp_skb_pcount(): what RACK, SACK and TCP_INFO see does
 * not depend on whether the link cuts it or we do.
 *
 * Return: 0 or a negative errno (counted)
 */
int tcp_xmit_segs(struct tcp_sock *sk, uint32_t seq, uint8_t flags,
		  uint32_t off, uint32_t len, uint32_t gso)
{
	struct stack *s = sk->s;
	unsigned segs = gso && len > gso ? (len + gso - 1) / gso : 1;
	uint8_t opt[TCP_MAX_HLEN - TCP_HLEN];
	uint8_t olen = (flags & TCP_SYN) ? tcp_syn_options(sk, opt) :
					   tcp_data_options(sk, opt);
	uint8_t hlen = (uint8_t)(TCP_HLEN + olen);
	uint32_t wnd = tcp_rcv_window(sk);
	struct pbuf *p = pbuf_alloc(&s->pool, PBUF_HEADROOM, hlen + len);
	uint8_t ect = 0;
	int rc;

	if (!p) {
		CNT(s, tcp_tx_nomem);
		return -ENOBUFS;
	}
	if (flags & TCP_SYN) {
		/*
		 * As Linux's tcp_select_initial_window(): the space is first
		 * quantized to a multiple of the MSS ("if (space > mss) space
		 * = rounddown(space, mss)"), the MSS less the timestamp
		 * option when the SYN-ACK agrees to timestamps
		 * (tcp_openreq_init_rwin(): mss - TCPOLEN_TSTAMP_ALIGNED; a
		 * SYN's tcp_connect_init() has no ts_recent yet and takes
		 * the whole advmss); only then does the SYN's field, never
		 * scaled (RFC 7323 2.2), cap it: tcp_make_synack() and
		 * tcp_transmit_skb() send min(rcv_wnd, 65535U), whether or
		 * not the peer scales. The space is tcp_full_space(), the
		 * buffer's window (rcvq.size, tcp_win_from_space()): with
		 * the default 131072-byte buffer 65536, so 64240 in a SYN
		 * (44 x 1460) and 65160 in a SYN-ACK with timestamps
		 * (45 x 1448), as the kernel sends them.
		 */
		uint32_t w = sk->rcvq.size;
		uint32_t q = sk->rcv_mss;

		if (sk->window_clamp && w > sk->window_clamp)
			w = sk->window_clamp;   /* TCP_WINDOW_CLAMP */

		if (q && (flags & TCP_ACK) && sk->ts_ok && q > 12)
			q -= 12;
		if (q && w > q)
			w -= w % q;
		if (w > 65535)
			w = 65535;
		wnd = w;
		tcp_fill_hdr(p->data, sk->lport, sk->rport, seq,
			     flags & TCP_ACK ? sk->rcv_nxt : 0, hlen, flags,
			     (uint16_t)w);
	} else {
		tcp_fill_hdr(p->data, sk->lport, sk->rport, seq, sk->rcv_nxt,
			     hlen, flags, (uint16_t)(wnd >> sk->rcv_wscale));
	}
	/* RFC 3168 6.1 as Linux's tcp_ecn_send(): new data is ECT(0) and
	 * carries a CWR that is due; ACKs and retransmissions are not ECT;
	 * every segment echoes ECE while a CE mark waits for its CWR */
	if (sk->ecn_ok && !(flags & (TCP_SYN | TCP_RST))) {
		if (len && SEQ_GEQ(seq, sk->snd_max)) {
			ect = IP_ECN_ECT0;
			if (sk->ecn_queue_cwr) {
				sk->ecn_queue_cwr = false;
				p->data[13] |= TCP_CWR;
			}
		}
		if (sk->ecn_demand_cwr)
			p->data[13] |= TCP_ECE;
	}
	memcpy(p->data + TCP_HLEN, opt, olen);
	if (segs > 1)
		p->gso_size = (uint16_t)gso;
	if (len)
		tcp_ring_copy_out(&sk->sndq, off, p->data + hlen, len);
	if (flags & TCP_ACK) {
		if (sk->dsack_pending) {
			sk->dsack_pending = false;
			tcp_sb_settle(sk);
		}
		sk->rcv_adv = sk->rcv_nxt + wnd;
		sk->last_ack_sent = sk->rcv_nxt;
		sk->unacked_bytes = 0;
		sk->ack_now = false;
		stack_disarm(s, &sk->dack);
		if (wnd == 0)
			CNT(s, tcp_zero_wnd_sent);
	}
	if ((len || (flags & (TCP_SYN | TCP_FIN))) && SEQ_LT(seq, sk->snd_max)) {
		sk->total_retrans += segs;
		sk->bytes_retrans += len;
		s->cnt.tcp_retrans_segs += segs;
	}
	/* Linux sends a SYN-ACK from the request, not from the child */
	if ((flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
		sk->segs_out += segs;
	if (len) {
		sk->data_segs_out += segs;
		sk->bytes_sent += len;
		sk->last_data_sent = tcp_stamp_ms(s->now);
		if (sk->in_recovery && sk->rec_sack)
			sk->prr_out += segs;    /* RFC 6937: prr_out */
	}
	rc = tcp_send_pbuf(s, p, sk, &sk->laddr, &sk->raddr, flags, segs, ect);
	/* a retransmission (loss probe, fast or timeout): TCP_USER_TIMEOUT
	 * counts from the first one, as Linux's retrans_stamp: "stamp of
	 * the first (attempted) retransmit" (tcp_retransmit_skb(), which
	 * reads the skb's time after __tcp_transmit_skb() set it to now) */
	if ((len || (flags & TCP_FIN)) && SEQ_LT(seq, sk->snd_max) &&
	    !sk->rtx_stamp && !(flags & (TCP_SYN | TCP_RST)))
		sk->rtx_stamp = s->now;
	/* -ENOBUFS: tcp_output_one() takes it as not sent, and so do the
	 * transmit records */
	if (!(flags & (TCP_SYN | TCP_RST)) && rc != -ENOBUFS) {
		uint32_t at = 0;

		/* one record per segment, the FIN in the last */
		for (; segs > 1 && len - at > gso; at += gso)
			tcp_txrec_sent(sk, seq + at, gso);
		tcp_txrec_sent(sk, seq + at, len - at + !!(flags & TCP_FIN));
	}
	return rc;
}

/**
 * tcp_send_ack() - send a bare ACK now
 * @sk: the socket
 */
void tcp_send_ack(struct tcp_sock *sk)
{
	/* snd_max, not snd_nxt: after a timeout snd_nxt goes back, but a
	 * bare ACK must stay acceptable to the peer (Linux's
	 * tcp_acceptable_seq()) */
	tcp_xmit(sk, sk->snd_max, TCP_ACK, 0, 0);
}

/* Linux's tcp_invalid_ratelimit: HZ/2 */
#define TCP_OOW_RATELIMIT_MS 500

/**
 * tcp_send_challenge_ack() - RFC 5961 7: an ACK, at most one per
 * connection every 500 ms (Linux's __tcp_oow_rate_limited() on
 * last_oow_ack_time, tcp_invalid_ratelimit), and at most
 * tcp_challenge_ack_limit per second for the whole stack
 * @sk: the socket
 */
void tcp_send_challenge_ack(struct tcp_sock *sk)
{
	struct stack *s = sk->s;
	struct tcp_table *t = s->tcp;
	uint32_t now_ms = tcp_stamp_ms(s->now);

	if (sk->last_oow_ack &&
	    now_ms - sk->last_oow_ack < TCP_OOW_RATELIMIT_MS) {
		CNT(s, tcp_challenge_skipped);
		return;
	}
	sk->last_oow_ack = now_ms;

	if (s->now - t->chack_window >= NSEC_PER_SEC || !t->chack_window) {
		t->chack_window = s->now ? s->now : 1;
		t->chack_count = 0;
	}
	if (t->chack_count >= s->cfg.tcp_challenge_ack_limit) {
		CNT(s, tcp_challenge_limited);
		return;
	}
	t->chack_count++;
	CNT(s, tcp_challenge_acks);
	tcp_send_ack(sk);
}

/**
 * tcp_send_syn() - send (or resend) our SYN or SYN-ACK and time it
 * @sk: the socket, in TCP_SYN_SENT or TCP_SYN_RECEIVED
 */
void tcp_send_syn(struct tcp_sock *sk)
{
	uint8_t flags = sk->state == TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
	/* the first copy, as Linux's snt_synack with num_retrans 0: a SYN-ACK
	 * resent for a retransmitted SYN, or a SYN-ACK after our SYN
	 * (simultaneous open), is another copy */
	bool first = !sk->backoff && sk->snd_max == sk->iss;
	uint32_t data;

	/* RFC 3168 6.1.1: an ECN-setup SYN (ECE and CWR) with tcp-ecn =
	 * yes, the first only (Linux's tcp_ecn_clear_syn(): a resent SYN
	 * goes without, in case ECN is what is dropped); an ECN-setup
	 * SYN-ACK (ECE) to a peer that asked */
	if (flags == TCP_SYN) {
		if (!sk->backoff) {
			sk->ecn_ok = sk->s->cfg.tcp_ecn == TCP_ECN_ON;
			if (sk->ecn_ok)
				flags |= TCP_ECE | TCP_CWR;
		}
	} else if (sk->ecn_ok) {
		flags |= TCP_ECE;
	}
	/* RFC 7413: the first SYN may carry the Fast Open option and data
	 * (tcp_tfo_connect()), the SYN-ACK a cookie (tcp_tfo_listen());
	 * nothing resent does, as Linux's */
	if (sk->backoff)
		sk->s->tcp->tfo_out_on = false;
	data = flags & TCP_ACK || sk->backoff ? 0 : sk->s->tcp->tfo_out_data;
	tcp_xmit(sk, sk->iss, flags, 0, data);
	sk->s->tcp->tfo_out_on = false;
	sk->s->tcp->tfo_out_data = 0;
	/* never back: a Fast Open child may have sent data after it */
	if (SEQ_LT(sk->snd_nxt, sk->iss + 1 + data))
		sk->snd_nxt = sk->iss + 1 + data;
	if (SEQ_GT(sk->snd_nxt, sk->snd_max))
		sk->snd_max = sk->snd_nxt;
	if (first) {
		sk->rtt_seq = sk->iss;
		sk->rtt_time = sk->s->now;
	} else {
		/* Karn: which copy an ACK answers is unknown (the TSecr of
		 * it tells, tcp_rtt_tsecr()) */
		sk->rtt_time = 0;
	}
	sk->rtx_kind = TCP_TIMER_RETRANSMIT;
	stack_arm(sk->s, &sk->rtx,
		  tcp_user_deadline(sk, sk->rtx_stamp, sk->s->now + sk->rto,
				    0));
}

/**
 * tcp_send_active_rst() - RFC 9293 ABORT: <SEQ=SND.NXT><CTL=RST>, with
 * ACK as Linux sends it
 * @sk: the socket
 */
void tcp_send_active_rst(struct tcp_sock *sk)
{
	tcp_xmit(sk, sk->snd_max, TCP_RST | TCP_ACK, 0, 0);
}

/**
 * tcp_send_rst_for() - answer a segment that has no connection
 * @s: the stack
 * @seg: the segment (not itself a RST)
 *
 * RFC 9293 3.10.7.1: "If the incoming segment has the ACK bit set, the
 * reset takes its sequence number from the ACK field of the segment;
 * otherwise, the reset has sequence number zero and the ACK field is set
 * to the sum of the sequence number and segment length of the incoming
 * segment."
 */
void tcp_send_rst_for(struct stack *s, const struct tcp_seg *seg)
{
	struct pbuf *p;
	uint32_t seglen = seg->len + !!(seg->flags & TCP_SYN) +
			  !!(seg->flags & TCP_FIN);

	if (seg->flags & TCP_RST)
		return;
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, TCP_HLEN);
	if (!p) {
		CNT(s, tcp_tx_nomem);
		return;
	}
	if (seg->flags & TCP_ACK)
		tcp_fill_hdr(p->data, seg->dport, seg->sport, seg->ack, 0,
			     TCP_HLEN, TCP_RST, 0);
	else
		tcp_fill_hdr(p->data, seg->dport, seg->sport, 0,
			     seg->seq + seglen, TCP_HLEN, TCP_RST | TCP_ACK, 0);
	tcp_send_pbuf(s, p, NULL, &seg->dst, &seg->src, TCP_RST, 1, 0);
}

/* -- the sender ------------------------------------------------------- */

static bool tcp_output_state(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT ||
	       st == TCP_FIN_WAIT_1 || st == TCP_CLOSING || st == TCP_LAST_ACK;
}

/**
 * tcp_cur_mss() - payload bytes that fit in a segment sent now
 * @sk: the socket
 *
 * sk->mss already leaves room for timestamps; SACK blocks, when we have
 * out-of-order data to report, take more (as Linux's tcp_current_mss()).
 *
 * Return: bytes
 */
uint32_t tcp_cur_mss(const struct tcp_sock *sk)
{
	unsigned nb;

	nb = sk->nooo + sk->dsack_pending;
	if (!sk->sack_ok || !nb)
		return sk->mss;
	nb = nb < (sk->ts_ok ? 3u : 4u) ? nb : (sk->ts_ok ? 3u : 4u);
	return sk->mss - (2 + 2 + 8 * nb);
}

/*
 * Flight minus what the peer has SACKed (it has left the network). A peer
 * without SACK says it with duplicate ACKs alone: each stands for a
 * segment that left, as Linux's tcp_add_reno_sack() counts them (at most
 * all but one segment out), which makes limited transmit (RFC 3042) of
 * Linux's: a new segment on each of the first two, before recovery
 * (which inflates the window itself, RFC 6582).
 */
static uint32_t tcp_flight_unsacked(const struct tcp_sock *sk)
{
	uint32_t flight = sk->snd_nxt - sk->snd_una;

	if (!sk->sack_ok && sk->dupacks && !sk->in_recovery && !sk->in_loss &&
	    flight > sk->mss) {
		uint32_t left = (uint32_t)sk->dupacks * sk->mss;

		return left < flight - sk->mss ? flight - left : sk->mss;
	}

	for (unsigned i = 0; i < sk->nsacked; i++) {
		const struct tcp_range *r = &sk->sb->sacked[i];
		uint32_t end = SEQ_LT(r->end, sk->snd_nxt) ? r->end : sk->snd_nxt;

		if (SEQ_LT(r->start, end) && end - r->start <= flight)
			flight -= end - r->start;
	}
	return flight;
}

/*
 * Bytes the window and cwnd still allow beyond snd_nxt. SACKed data does
 * not count against cwnd; in SACK recovery what may go is cwnd - pipe
 * (RFC 6675 5 (C), SetPipe).
 */
/* What counts against cwnd: the pipe in SACK recovery, else the flight
 * less what the peer has SACKed */
static uint32_t tcp_in_flight(const struct tcp_sock *sk)
{
	return sk->in_recovery && sk->rec_sack ? tcp_pipe(sk) :
	       tcp_flight_unsacked(sk);
}

static uint32_t tcp_usable(const struct tcp_sock *sk)
{
	uint32_t edge = sk->snd_una + sk->snd_wnd;
	uint32_t room = SEQ_GT(edge, sk->snd_nxt) ? edge - sk->snd_nxt : 0;
	uint32_t flight = tcp_in_flight(sk);
	uint32_t cw = sk->cwnd > flight ? sk->cwnd - flight : 0;

	return room < cw ? room : cw;
}

/* Is a short segment we sent unacknowledged (Linux's tcp_minshall_check())? */
static bool tcp_small_in_flight(const struct tcp_sock *sk)
{
	return SEQ_GT(sk->snd_sml, sk->snd_una) &&
	       SEQ_LEQ(sk->snd_sml, sk->snd_nxt);
}

/*
 * RFC 1122 4.2.3.4 (Nagle, RFC 896, and sender SWS avoidance): send if a
 * maximum-sized segment can go, or if all queued data fits and no short
 * segment is unacknowledged (or TCP_NODELAY), or if it is at least half
 * the largest window the peer has offered. The short segment is Minshall's
 * variant of Nagle's rule, as Linux's tcp_nagle_check(): full segments in
 * flight do not hold the tail of a write back. TCP_CORK holds everything
 * short, but for the push that setting TCP_NODELAY makes.
 */
static bool tcp_nagle_ok(const struct tcp_sock *sk, uint32_t len,
			 uint32_t avail, bool fin, uint32_t mss)
{
	/* a Fast Open child's SYN-ACK is not data in flight (Linux sends
	 * it from the request, outside the child's queue) */
	bool idle = sk->snd_nxt == sk->snd_una ||
		    (tcp_passive_fastopen(sk) && sk->snd_nxt == sk->iss + 1);

	if (len >= mss || fin || sk->force)
		return true;
	if (sk->cork && !sk->push)
		return false;
	if (len == avail &&
	    (sk->nodelay || idle || !tcp_small_in_flight(sk)))
		return true;
	return sk->max_sndwnd && len >= sk->max_sndwnd / 2 && idle;
}

static void tcp_arm_persist(struct tcp_sock *sk)
{
	uint64_t t = sk->rto << (sk->backoff < 10 ? sk->backoff : 10);

	if (t > sk->s->cfg.tcp_rto_max)
		t = sk->s->cfg.tcp_rto_max;
	sk->rtx_kind = TCP_TIMER_PERSIST;
	stack_arm(sk->s, &sk->rtx,
		  tcp_user_deadline(sk, sk->probe_stamp, sk->s->now + t,
				    TCP_TIMEOUT_MIN));
}

/*
 * Resending after a timeout: step over what the peer has SACKed, and
 * return how much may go before the next SACKed range (or UINT32_MAX).
 */
static uint32_t tcp_skip_sacked(struct tcp_sock *sk)
{
	if (!SEQ_LT(sk->snd_nxt, sk->snd_max))
		return UINT32_MAX;
	for (unsigned i = 0; i < sk->nsacked; i++) {
		const struct tcp_range *r = &sk->sb->sacked[i];

		if (SEQ_LEQ(r->start, sk->snd_nxt) && SEQ_GT(r->end, sk->snd_nxt))
			sk->snd_nxt = r->end;
		else if (SEQ_GT(r->start, sk->snd_nxt))
			return r->start - sk->snd_nxt;
	}
	return UINT32_MAX;
}

/*
 * The most payload one frame may carry when the link segments for us
 * (stack_set_link_gso()), or 0: to our own addresses the loopback's MTU
 * already makes segments that large, and an IPv4 route through another
 * interface than the link gets MTU-sized ones.
 */
static uint32_t tcp_gso_room(const struct tcp_sock *sk, uint32_t mss)
{
	struct stack *s = sk->s;
	uint32_t hdr = (sk->raddr.family == IP_V6 ? IPV6_HLEN : IPV4_HLEN) +
		       TCP_MAX_HLEN;
	const struct route *r;

	if (!s->nif.gso_max || s->nif.gso_max < hdr + 2 * mss)
		return 0;
	if (sk->raddr.family == IP_V4) {
		r = route_find(s, &sk->raddr);
		if (r && r->ifindex != STACK_IF_LINK)
			return 0;
	}
	return (s->nif.gso_max - hdr) / mss * mss;
}

/**
 * tcp_push_mark() - a write queued [@start, @end): its end is a push
 * @sk: the socket
 * @start: sequence number of its first byte
 * @end: of the byte after its last
 *
 * Linux pushes at the end of every sendmsg() (tcp_push(): PSH on the
 * last segment of each write) and, inside a long one, once the data since
 * the last push passes half the largest window the peer offered
 * (forced_push()). The host's writes are what it commits at a time (the
 * daemon: what one read of the program's channel returned, which ends
 * where the program's last write ended, or where the send buffer was full,
 * where Linux pushes too before it waits for room). The marks ahead of
 * SND.NXT are kept, a few: when they run out the last one moves on, and a
 * push between them is lost.
 */
void tcp_push_mark(struct tcp_sock *sk, uint32_t start, uint32_t end)
{
	uint32_t half = sk->max_sndwnd / 2, m;

	/* the last push was at the end of the write before: @start */
	do {
		m = half && end - start > half ? start + half : end;
		if (sk->npush && sk->push_mark[sk->npush - 1] == m)
			;
		else if (sk->npush == TCP_PUSH_MARKS) {
			/* a record's end stays where it is */
			if (!(sk->push_eor & 1u << (TCP_PUSH_MARKS - 1)))
				sk->push_mark[TCP_PUSH_MARKS - 1] = m;
		} else
			sk->push_mark[sk->npush++] = m;
		start = m;
	} while (m != end);
}

/**
 * tcp_send_eor() - what is queued ends a record (MSG_EOR): no segment
 * carries bytes of both sides of it, as Linux sends no skb across an
 * EOR (tcp_skb_can_collapse_to())
 * @sk: the socket
 */
void tcp_send_eor(struct tcp_sock *sk)
{
	uint32_t end = sk->sndq_seq + sk->sndq.len;
	unsigned i = sk->npush;

	if (!SEQ_GT(end, sk->snd_nxt))
		return;         /* all sent: the next byte starts a segment */
	if (!i || sk->push_mark[i - 1] != end) {
		if (i == TCP_PUSH_MARKS)
			i--;
		else
			sk->npush++;
		sk->push_mark[i] = end;
	} else {
		i--;
	}
	sk->push_eor |= 1u << i;
}

/*
 * The first push mark in (@seq, @seq + @len] (only those ending a record
 * if @eor), or 0 bytes if none
 * Return: the bytes from @seq up to and including it
 */
static uint32_t tcp_push_in(const struct tcp_sock *sk, uint32_t seq,
			    uint32_t len, bool eor)
{
	for (unsigned i = 0; i < sk->npush; i++) {
		uint32_t m = sk->push_mark[i];

		if (eor && !(sk->push_eor & 1u << i))
			continue;
		if (SEQ_GT(m, seq) && SEQ_LEQ(m, seq + len))
			return m - seq;
	}
	return 0;
}

/* Marks at or before @seq are behind SND.NXT: gone. */
static void tcp_push_sent(struct tcp_sock *sk, uint32_t seq)
{
	unsigned i = 0, k;

	while (i < sk->npush && SEQ_LEQ(sk->push_mark[i], seq))
		i++;
	sk->push_eor = (uint8_t)((sk->push_eor >> i) & 3);
	for (k = 0; i < sk->npush; i++, k++)
		sk->push_mark[k] = sk->push_mark[i];
	sk->npush = k & 3;
}

/* Send one segment (or one frame of segments, for a link that cuts
 * them) from snd_nxt; false when nothing more may go. */
static bool tcp_output_one(struct tcp_sock *sk, uint32_t limit)
{
	uint32_t nxt = sk->snd_nxt, gap = tcp_skip_sacked(sk);
	uint32_t data_end = sk->sndq_seq + sk->sndq.len;
	uint32_t off = sk->snd_nxt - sk->sndq_seq;
	uint32_t avail = SEQ_GT(data_end, sk->snd_nxt) ?
			 data_end - sk->snd_nxt : 0;
	uint32_t len = avail, mss = tcp_cur_mss(sk), room = mss, eor;
	bool fin;
	uint8_t flags = TCP_ACK;

	if (sk->snd_nxt != nxt && limit > tcp_usable(sk))
		limit = tcp_usable(sk);  /* snd_nxt moved on */
	if (len > mss && limit > mss && gap > mss) {
		uint32_t g = tcp_gso_room(sk, mss);

		room = g ? g : mss;
	}
	if (len > room)
		len = room;
	if (len > gap)
		len = gap;
	if (len > limit)
		len = limit;
	/* several segments: a short last one goes with them only if Nagle
	 * and cork would let it go after them one by one (data in flight
	 * then): the end of the queue with TCP_NODELAY, a FIN, a forced
	 * push; else it waits for its turn */
	if (len > mss && len % mss &&
	    !(len == avail && (sk->shut_wr || sk->force ||
			       (sk->nodelay && !(sk->cork && !sk->push)))))
		len -= len % mss;
	/* a frame of several segments ends with the first write end in it,
	 * whose segment has PSH: the segments read as without the frame */
	if (len > mss) {
		uint32_t p = tcp_push_in(sk, sk->snd_nxt, len, false);

		if (p && p < len)
			len = (p + mss - 1) / mss * mss < len ?
			      (p + mss - 1) / mss * mss : len;
	}
	/* and no segment crosses the end of a record: the one ending there
	 * is whole, as the last of the queue is (Nagle below) */
	eor = tcp_push_in(sk, sk->snd_nxt, len, true);
	if (eor && eor < len)
		len = eor;
	/* a FIN alone goes even into a closed window, as in BSD */
	fin = sk->shut_wr && sk->snd_nxt + len == data_end;
	if (len == 0 && !fin)
		return false;
	if (!tcp_nagle_ok(sk, len, eor == len ? len : avail, fin, mss))
		return false;
	if (fin)
		flags |= TCP_FIN;
	if (len && (len == avail || tcp_push_in(sk, sk->snd_nxt, len, false)))
		flags |= TCP_PSH;
	if (!sk->rtt_time && !sk->ts_ok && SEQ_GEQ(sk->snd_nxt, sk->snd_max)) {
		sk->rtt_seq = sk->snd_nxt;  /* Karn: time new data only */
		sk->rtt_time = sk->s->now;
	}
	if (tcp_xmit_segs(sk, sk->snd_nxt, flags, off, len, mss) == -ENOBUFS)
		return false;
	/* tcp_minshall_update(): new data ending in a short segment */
	if (len % mss && SEQ_GEQ(sk->snd_nxt, sk->snd_max))
		sk->snd_sml = sk->snd_nxt + len;
	sk->snd_nxt += len + fin;
	tcp_push_sent(sk, sk->snd_nxt);
	if (fin)
		sk->fin_sent = true;
	if (SEQ_GT(sk->snd_nxt, sk->snd_max))
		sk->snd_max = sk->snd_nxt;
	/* RFC 6298 5.1: start the timer if it is not running; a pending
	 * loss probe is pushed out by new data, as Linux does */
	if (!timer_armed(&sk->rtx) || sk->rtx_kind == TCP_TIMER_PERSIST ||
	    sk->rtx_kind == TCP_TIMER_LOSS_PROBE)
		tcp_arm_xmit_timer(sk);
	return !fin;
}

/**
 * tcp_output_new() - RFC 6675 NextSeg rule 2: one segment of new data,
 * if the windows, Nagle and cork allow
 * @sk: the socket
 *
 * Return: true if a segment went
 */
bool tcp_output_new(struct tcp_sock *sk)
{
	uint32_t before = sk->snd_nxt;

	if ((!tcp_output_state(sk->state) && !tcp_passive_fastopen(sk)) ||
	    !sk->sndq.cap || sk->snd_nxt != sk->snd_max)
		return false;
	tcp_output_one(sk, tcp_usable(sk));
	return sk->snd_nxt != before;
}

/**
 * tcp_is_cwnd_limited() - may cwnd grow on this ACK (RFC 7661)?
 * @sk: the socket
 *
 * Linux's tcp_is_cwnd_limited(): yes if the sender was cwnd-limited in
 * the current usage window; in slow start also while cwnd is below twice
 * the most segments that were out ("ensure cwnd grows to twice what was
 * ACKed"). A sender that writes less than the window keeps its cwnd.
 *
 * Return: true if the congestion control may raise cwnd
 */
bool tcp_is_cwnd_limited(const struct tcp_sock *sk)
{
	if (sk->is_cwnd_limited)
		return true;
	if (sk->cwnd < sk->ssthresh)   /* tcp_in_slow_start() */
		return sk->cwnd / (sk->mss ? sk->mss : 1) <
		       2 * sk->max_packets_out;
	return false;
}

/*
 * Linux's tcp_cwnd_validate() after tcp_write_xmit(): the strongest
 * signal of the window's use is kept per usage window (until snd_una
 * passes cwnd_usage_seq): cwnd-limited once, or the most segments out.
 * Segments out: the transmit records (Linux's packets_out).
 */
static void tcp_cwnd_validate(struct tcp_sock *sk, bool is_cwnd_limited)
{
	if (SEQ_GEQ(sk->snd_una, sk->cwnd_usage_seq) || is_cwnd_limited ||
	    (!sk->is_cwnd_limited && sk->ntx > sk->max_packets_out)) {
		sk->is_cwnd_limited = is_cwnd_limited;
		sk->max_packets_out = sk->ntx;
		sk->cwnd_usage_seq = sk->snd_nxt;
	}
}

/**
 * tcp_output() - send what the windows, Nagle and cork allow
 * @sk: the socket
 */
void tcp_output(struct tcp_sock *sk)
{
	uint32_t data_end, before = sk->snd_nxt;
	bool cwnd_limited;

	if ((!tcp_output_state(sk->state) && !tcp_passive_fastopen(sk)) ||
	    !sk->sndq.cap)
		return;
	while (tcp_output_one(sk, tcp_usable(sk)))
		;
	/* tcp_write_xmit(): "is_cwnd_limited |= (tcp_packets_in_flight(tp)
	 * >= tcp_snd_cwnd(tp))", in segments: less than one left */
	cwnd_limited = tcp_in_flight(sk) + sk->mss > sk->cwnd;
	if (sk->snd_nxt != before || cwnd_limited)
		tcp_cwnd_validate(sk, cwnd_limited);
	data_end = sk->sndq_seq + sk->sndq.len;
	/* RFC 9293 3.8.6.1: probe a zero window while data waits; and, as
	 * Linux, a window too small to use (RFC 1122 4.2.3.4's override
	 * timeout), so that a lost window update cannot stall us */
	if (SEQ_LT(sk->snd_nxt, data_end) && sk->snd_nxt == sk->snd_una &&
	    !timer_armed(&sk->rtx) && !sk->cork)
		tcp_arm_persist(sk);
	tcp_chrono_after_output(sk);
}

/**
 * tcp_ack_decide() - note received bytes and whether to ACK at once
 * @sk: the socket
 * @bytes: sequence space just received (data, FIN)
 *
 * RFC 5681 4.2 / RFC 1122 4.2.3.2: "an ACK SHOULD be generated for at
 * least every second full-sized segment", and a delayed ACK waits at most
 * tcp_delack_max (Linux: 40 ms). The first TCP_QUICKACKS segments are
 * acknowledged at once (Linux's quick-ack mode, which TCP_QUICKACK 0
 * turns off: pingpong), and so is anything that fills or creates a hole
 * (the caller sets ack_now).
 */
void tcp_ack_decide(struct tcp_sock *sk, uint32_t bytes)
{
	sk->unacked_bytes += bytes;
	if (sk->quickacks && !sk->pingpong) {
		sk->quickacks--;
		sk->ack_now = true;
	}
	if (sk->unacked_bytes >= 2u * sk->rcv_mss)
		sk->ack_now = true;
}

/**
 * tcp_ack_flush() - after output had its chance to piggyback: send the
 * ACK that is due, or arm the delayed-ACK timer
 * @sk: the socket
 */
void tcp_ack_flush(struct tcp_sock *sk)
{
	if (sk->ack_now)
		tcp_send_ack(sk);
	else if (sk->unacked_bytes && !timer_armed(&sk->dack))
		stack_arm(sk->s, &sk->dack, sk->s->now + sk->s->cfg.tcp_delack_max);
}

/* -- timers ----------------------------------------------------------- */

/**
 * tcp_timers_init() - set up a socket's three timers (not armed)
 * @sk: the socket
 */
void tcp_timers_init(struct tcp_sock *sk)
{
	timer_init(&sk->rtx, tcp_rtx_fire);
	timer_init(&sk->dack, tcp_dack_fire);
	timer_init(&sk->misc, tcp_misc_fire);
}

/**
 * tcp_timers_stop() - disarm every timer of @sk
 * @sk: the socket
 */
void tcp_timers_stop(struct tcp_sock *sk)
{
	stack_disarm(sk->s, &sk->rtx);
	stack_disarm(sk->s, &sk->dack);
	stack_disarm(sk->s, &sk->misc);
	sk->rtx_kind = TCP_TIMER_NONE;
	sk->misc_kind = TCP_TIMER_NONE;
}

/**
 * tcp_arm_misc() - arm the keepalive, FIN_WAIT_2 or TIME_WAIT timer
 * @sk: the socket
 * @kind: which; TCP_TIMER_NONE stops it
 * @delay: ns from now
 */
void tcp_arm_misc(struct tcp_sock *sk, enum tcp_timer_kind kind,
		  uint64_t delay)
{
	sk->misc_kind = kind;
	if (kind == TCP_TIMER_NONE)
		stack_disarm(sk->s, &sk->misc);
	else
		stack_arm(sk->s, &sk->misc, sk->s->now + delay);
}

/**
 * tcp_rearm_rtx() - RFC 6298 5.2/5.3 after an ACK: stop the timer when
 * everything is acknowledged, else restart it
 * @sk: the socket
 */
void tcp_rearm_rtx(struct tcp_sock *sk)
{
	if (sk->snd_una == sk->snd_max) {
		sk->rack_reo_at = 0;
		if (sk->rtx_kind == TCP_TIMER_RETRANSMIT ||
		    sk->rtx_kind == TCP_TIMER_LOSS_PROBE ||
		    sk->rtx_kind == TCP_TIMER_REORDER) {
			stack_disarm(sk->s, &sk->rtx);
			sk->rtx_kind = TCP_TIMER_NONE;
		}
		return;
	}
	tcp_arm_xmit_timer(sk);
}

/* RFC 8985 7.2: a probe may be scheduled with SACK, outside recovery and
 * loss, with no probe out, once there is an RTT estimate. */
static bool tcp_tlp_ok(const struct tcp_sock *sk)
{
	return sk->s->cfg.tcp_tlp && sk->sack_ok && sk->srtt_us8 &&
	       !sk->in_recovery && !sk->in_loss && !sk->tlp_out && sk->snd_una != sk->snd_max &&
	       (sk->state == TCP_ESTABLISHED || sk->state == TCP_CLOSE_WAIT ||
		sk->state == TCP_FIN_WAIT_1 || sk->state == TCP_CLOSING ||
		sk->state == TCP_LAST_ACK);
}

/*
 * RFC 8985 7.2: "PTO = 2 * SRTT", plus the worst-case delayed ACK when a
 * single segment is in flight (Linux: the minimum RTO), never later than
 * the RTO would fire.
 */
static uint64_t tcp_pto(const struct tcp_sock *sk)
{
	/* Linux's tcp_schedule_loss_probe(): usecs_to_jiffies(srtt_us >>
	 * 2), 2 * SRTT rounded up to the jiffy (1 ms) */
	uint64_t pto = (2 * tcp_srtt(sk) + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC *
		       NSEC_PER_MSEC;

	if (sk->snd_max - sk->snd_una <= sk->mss)
		pto += sk->s->cfg.tcp_rto_min;
	else
		pto += 2 * NSEC_PER_MSEC;
	return pto < sk->rto ? pto : sk->rto;
}

/**
 * tcp_arm_xmit_timer() - arm RACK's reorder timer if it is due (RFC 8985
 * 6.3), else the loss probe if RFC 8985 7.2 allows, else the
 * retransmission timer (RFC 6298 5.3)
 * @sk: the socket, with data outstanding
 */
void tcp_arm_xmit_timer(struct tcp_sock *sk)
{
	sk->probe_stamp = 0;  /* data in flight: no zero-window episode */
	if (sk->rack_reo_at && sk->rack_reo_at < sk->s->now + sk->rto) {
		sk->rtx_kind = TCP_TIMER_REORDER;
		stack_arm(sk->s, &sk->rtx, sk->rack_reo_at > sk->s->now ?
					   sk->rack_reo_at : sk->s->now);
		return;
	}
	if (tcp_tlp_ok(sk)) {
		sk->rtx_kind = TCP_TIMER_LOSS_PROBE;
		stack_arm(sk->s, &sk->rtx, sk->s->now + tcp_pto(sk));
		return;
	}
	sk->rtx_kind = TCP_TIMER_RETRANSMIT;
	stack_arm(sk->s, &sk->rtx,
		  tcp_user_deadline(sk, sk->rtx_stamp, sk->s->now + sk->rto,
				    0));
}

/*
 * RFC 8985 7.3: when the probe timer fires, send one new segment if the
 * windows allow, else retransmit the last segment sent; then the RTO.
 */
static void tcp_tlp_timeout(struct tcp_sock *sk)
{
	uint32_t data_end = sk->sndq_seq + sk->sndq.len, before = sk->snd_max;
	uint32_t sent_end = sk->fin_sent ? data_end : sk->snd_max, len;

	CNT(sk->s, tcp_tlp_probes);
	if (SEQ_LT(sk->snd_nxt, data_end) && tcp_usable(sk))
		tcp_output_one(sk, tcp_usable(sk) < sk->mss ? tcp_usable(sk) :
							      sk->mss);
	sk->tlp_retrans = sk->snd_max == before;
	if (sk->tlp_retrans) {
		len = sent_end - sk->snd_una < tcp_cur_mss(sk) ?
		      sent_end - sk->snd_una : tcp_cur_mss(sk);
		if (SEQ_LT(sent_end, sk->sndq_seq))
			len = 0;
		tcp_retransmit_at(sk, sent_end - len, len);
	}
	sk->tlp_out = true;
	sk->tlp_end_seq = sk->snd_max;
	sk->rtx_kind = TCP_TIMER_RETRANSMIT;
	stack_arm(sk->s, &sk->rtx, sk->s->now + sk->rto);
}

/**
 * tcp_tlp_acked() - RFC 8985 7.4: the episode ends when its end is acked;
 * a retransmitted probe is taken as a repaired loss (no D-SACK says
 * otherwise) and congestion control reacts once
 * @sk: the socket (snd_una just advanced)
 */
void tcp_tlp_acked(struct tcp_sock *sk)
{
	if (!sk->tlp_out || SEQ_LT(sk->snd_una, sk->tlp_end_seq))
		return;
	sk->tlp_out = false;
	if (!sk->tlp_retrans || sk->in_recovery)
		return;
	CNT(sk->s, tcp_tlp_recoveries);
	sk->ssthresh = sk->cc->ssthresh(sk, sk->s->now);
	sk->cwnd = sk->ssthresh;
}

/**
 * tcp_rtt_sample() - fold one RTT measurement in, as Linux does
 * @sk: the socket
 * @rtt: the measurement, ns
 *
 * Linux's tcp_rtt_estimator(), in its units (us, srtt kept << 3, mdev
 * << 2), then tcp_set_rto():
 *   first sample m: srtt = m, mdev = m / 2 ("make sure rto = 3*rtt"),
 *     rttvar = max(mdev * 4, rto_min), mdev_max = rttvar;
 *   later: err = m - srtt; srtt += err / 8; mdev += (|err| - mdev) / 4,
 *     except that a sample below srtt moves mdev by 1/32 only (|err| -
 *     mdev is shifted by 3 more when positive); rttvar rises with mdev
 *     at once (mdev_max), and once per round trip (snd_una past rtt_seq)
 *     falls a quarter of the way to the round's largest mdev, which then
 *     restarts at rto_min;
 *   __tcp_set_rto(): RTO = srtt + rttvar, i.e. SRTT + max(4 * mdev,
 *     rto_min), in whole jiffies (rounded up; ms here, HZ=1000),
 *     bounded by rto_max (tcp_bound_rto()).
 * RFC 6298's max(rto_min, SRTT + 4 * RTTVAR) fires earlier: with a
 * 100 ms RTT Linux waits 300 ms.
 */
/* __tcp_set_rto(): "usecs_to_jiffies((tp->srtt_us >> 3) + tp->rttvar_us)",
 * rounded up to the jiffy (HZ=1000: 1 ms): a connection whose RTT reads
 * 1 us has an RTO of 201 ms, as on Linux */
static uint64_t tcp_rto_est(const struct tcp_sock *sk)
{
	uint64_t rto = ((uint64_t)(sk->srtt_us8 >> 3) + sk->rttvar_us + 999) /
		       1000 * NSEC_PER_MSEC;

	return rto > sk->s->cfg.tcp_rto_max ? sk->s->cfg.tcp_rto_max : rto;
}

void tcp_rtt_sample(struct tcp_sock *sk, uint64_t rtt)
{
	struct stack *s = sk->s;
	uint32_t rto_min_us = (uint32_t)(s->cfg.tcp_rto_min / 1000);
	int64_t m, srtt = sk->srtt_us8;

	/* a segment timed when sent and answered within the microsecond
	 * (a fast link, or frames read together) reads 1 us, the least
	 * Linux keeps (srtt_us is at least 1) */
	if (rtt < 1000)
		rtt = 1000;
	m = (int64_t)(rtt / 1000);
	if (m > INT32_MAX / 8)
		m = INT32_MAX / 8;
	if (srtt) {
		m -= srtt >> 3;             /* the error */
		srtt += m;                  /* srtt = 7/8 srtt + 1/8 new */
		if (m < 0) {
			m = -m;
			m -= sk->mdev_us4 >> 2;
			if (m > 0)
				m >>= 3;    /* a falling RTT: gain 1/32 */
		} else {
			m -= sk->mdev_us4 >> 2;
		}
		sk->mdev_us4 = (uint32_t)((int64_t)sk->mdev_us4 + m);
		if (sk->mdev_us4 > sk->mdev_max_us) {
			sk->mdev_max_us = sk->mdev_us4;
			if (sk->mdev_max_us > sk->rttvar_us)
				sk->rttvar_us = sk->mdev_max_us;
		}
		if (SEQ_GT(sk->snd_una, sk->rtt_round_seq)) {
			if (sk->mdev_max_us < sk->rttvar_us)
				sk->rttvar_us -= (sk->rttvar_us -
						  sk->mdev_max_us) >> 2;
			sk->rtt_round_seq = sk->snd_nxt;
			sk->mdev_max_us = rto_min_us;
		}
	} else {
		srtt = m << 3;
		sk->mdev_us4 = (uint32_t)(m << 1);
		sk->rttvar_us = sk->mdev_us4 > rto_min_us ? sk->mdev_us4 :
							    rto_min_us;
		sk->mdev_max_us = sk->rttvar_us;
		sk->rtt_round_seq = sk->snd_nxt;
	}
	sk->srtt_us8 = srtt > 1 ? (uint32_t)srtt : 1;
	tcp_rack_min_rtt(sk, rtt);
	sk->rto = tcp_rto_est(sk);
}

/**
 * tcp_rtt_tsecr() - an RTT measurement from a timestamp echo (RFC 7323
 * 4.1), as Linux's tcp_rtt_tsopt_us(tp, 1)
 * @sk: the socket, timestamps in use
 * @tsecr: the echo, on our TSval clock (milliseconds)
 *
 * An echo of this millisecond reads one millisecond (min_delta 1 tick,
 * 1000 us at TCP_TS_HZ 1000), not less: a round trip shorter than the
 * clock's tick is not known to be shorter. An echo more than INT_MAX us
 * old gives nothing.
 */
void tcp_rtt_tsecr(struct tcp_sock *sk, uint32_t tsecr)
{
	uint32_t ms = tcp_tsval(sk) - tsecr;

	if (ms >= INT32_MAX / 1000)
		return;
	tcp_rtt_sample(sk, (uint64_t)(ms ? ms : 1) * NSEC_PER_MSEC);
}

/**
 * tcp_rto_recovered() - the peer acknowledged new data: an RTO recovery
 * under way ends (its time goes to TCP_INFO's total_rto_time, as Linux's
 * tcp_update_rto_time())
 * @sk: the socket
 */
void tcp_rto_recovered(struct tcp_sock *sk)
{
	if (!sk->rto_stamp)
		return;
	sk->total_rto_time += tcp_stamp_ms(sk->s->now) - sk->rto_stamp;
	sk->rto_stamp = 0;
}

static void tcp_backoff(struct tcp_sock *sk)
{
	/* TCP_INFO, as Linux's tcp_update_rto_stats(): the first timeout
	 * of a run begins a recovery */
	if (!sk->backoff) {
		sk->total_rto_rec++;
		sk->rto_stamp = tcp_stamp_ms(sk->s->now);
	}
	sk->total_rto++;
	/* TCP_THIN_LINEAR_TIMEOUTS, as Linux's tcp_retransmit_timer(): a
	 * thin stream (fewer than 4 segments out, past the first slow
	 * start) keeps its RTO for the first 6 timeouts */
	if (sk->thin_lto && sk->state == TCP_ESTABLISHED && sk->ntx < 4 &&
	    sk->ssthresh != TCP_INFINITE_SSTHRESH && sk->backoff < 6) {
		sk->rto = tcp_rto_est(sk);
		sk->backoff++;
		return;
	}
	/* RFC 6298 5.5: "The host MUST set RTO <- RTO * 2 ("back off") */
	sk->rto *= 2;
	if (sk->rto > sk->s->cfg.tcp_rto_max)
		sk->rto = sk->s->cfg.tcp_rto_max;
	sk->backoff++;
}

/**
 * tcp_enter_loss() - RFC 5681 3.1 after a retransmission timeout:
 * ssthresh from the flight, cwnd to one segment, resend from snd_una
 * @sk: the socket
 */
void tcp_enter_loss(struct tcp_sock *sk)
{
	/* RFC 5681 3.1: only the first timeout of a segment lowers ssthresh */
	if (sk->backoff <= 1)
		sk->ssthresh = sk->cc->ssthresh(sk, sk->s->now);
	sk->cwnd = sk->mss;
	sk->snd_nxt = SEQ_LT(sk->snd_una, sk->sndq_seq) ? sk->sndq_seq :
							  sk->snd_una;
	sk->in_recovery = false;
	sk->in_cwr = false;
	sk->ecn_queue_cwr = sk->ecn_ok;
	sk->dupacks = 0;
	/* what the peer SACKed is not resent after a first timeout (as
	 * Linux); a second one forgets it, in case the receiver reneged
	 * (RFC 2018 8) */
	if (sk->backoff > 1) {
		sk->nsacked = 0;
		tcp_sb_settle(sk);
		tcp_txrec_forget_sacks(sk);
	}
	sk->rtt_time = 0;  /* Karn */
	sk->recover = sk->snd_max;
	sk->in_loss = true;
	sk->tlp_out = false;
	sk->rescue_set = false;
	tcp_txrec_mark_all_lost(sk);
}

/*
 * Linux's tcp_write_timeout(): a handshake ends after its retries, or at
 * the user timeout; a connection after tcp_retries2 timeouts, or, with
 * TCP_USER_TIMEOUT, when its clock (started by an earlier timeout) has run
 * out, however many timeouts that took.
 */
static bool tcp_write_timed_out(const struct tcp_sock *sk)
{
	const struct stack *s = sk->s;
	bool syn = sk->state == TCP_SYN_SENT || sk->state == TCP_SYN_RECEIVED;
	/* TCP_SYNCNT bounds both: a child has its listener's, as Linux's
	 * request sockets take the listener's icsk_syn_retries */
	unsigned limit = sk->state == TCP_SYN_SENT ?
			 (sk->syncnt ? sk->syncnt : s->cfg.tcp_syn_retries) :
			 sk->state == TCP_SYN_RECEIVED ?
			 (sk->syncnt ? sk->syncnt : s->cfg.tcp_synack_retries) :
			 s->cfg.tcp_retries2;

	/* TCP_DEFER_ACCEPT, as Linux's syn_ack_recalc(): a connection whose
	 * ACK came without data waits the listener's deferral out */
	if (sk->state == TCP_SYN_RECEIVED && sk->defer_acked &&
	    tcp_deferring(sk))
		return false;
	if (syn && sk->backoff >= limit)
		return true;
	if (sk->user_timeout_ms)  /* Linux: only after a timeout */
		return sk->backoff && tcp_user_timed_out(sk, sk->rtx_stamp);
	return sk->backoff >= limit;
}

static void tcp_rtx_timeout(struct tcp_sock *sk)
{
	struct stack *s = sk->s;

	if (tcp_write_timed_out(sk)) {
		CNT(s, tcp_timeouts);
		if (sk->state == TCP_SYN_SENT || sk->state == TCP_SYN_RECEIVED)
			CNT(s, tcp_attempt_fails);
		tcp_done(sk, -ETIMEDOUT);
		return;
	}
	CNT(s, tcp_rto_timeouts);
	/* the user timeout counts from the first retransmission, this one;
	 * a SYN's from the SYN itself (Linux's tcp_connect() sets
	 * retrans_stamp as it sends it): the timer was armed when it went */
	if (!sk->rtx_stamp)
		sk->rtx_stamp = sk->state == TCP_SYN_SENT ||
				sk->state == TCP_SYN_RECEIVED ? s->now - sk->rto
							      : s->now;
	tcp_backoff(sk);
	if (sk->state == TCP_SYN_RECEIVED && sk->defer_acked &&
	    tcp_deferring(sk)) {
		/* syn_ack_recalc(): no SYN-ACK while deferring, but at the
		 * last timeout: a last chance for the data (or the ACK) */
		sk->rtx_kind = TCP_TIMER_RETRANSMIT;
		stack_arm(s, &sk->rtx, s->now + sk->rto);
		return;
	}
	if (sk->state == TCP_SYN_SENT || sk->state == TCP_SYN_RECEIVED) {
		CNT(s, tcp_syn_retrans);
		tcp_send_syn(sk);
		return;
	}
	tcp_enter_loss(sk);
	tcp_output(sk);
	if (!timer_armed(&sk->rtx) && sk->snd_una != sk->snd_max)
		tcp_arm_xmit_timer(sk);
}

/* RFC 9293 3.8.6.1 persist: probe, as Linux, with an already-acked
 * sequence number so that the peer answers with its window. */
static void tcp_persist_timeout(struct tcp_sock *sk)
{
	/* TCP_USER_TIMEOUT: a window closed that long since the first probe
	 * ends the connection, even if the peer answers the probes */
	if (!sk->probe_stamp) {
		sk->probe_stamp = sk->s->now;
	} else if (tcp_user_timed_out(sk, sk->probe_stamp)) {
		CNT(sk->s, tcp_timeouts);
		tcp_done(sk, -ETIMEDOUT);
		return;
	}
	CNT(sk->s, tcp_persist_probes);
	if (sk->snd_wnd) {
		/* the override: send what the window takes, however small */
		sk->force = true;
		tcp_output(sk);
		sk->force = false;
		return;
	}
	/* as Linux: give up after tcp_retries2 probes nobody answered */
	if (sk->probes >= sk->s->cfg.tcp_retries2) {
		CNT(sk->s, tcp_timeouts);
		tcp_done(sk, -ETIMEDOUT);
		return;
	}
	tcp_xmit(sk, sk->snd_una - 1, TCP_ACK, 0, 0);
	sk->probes++;
	sk->backoff++;
	tcp_arm_persist(sk);
}

static void tcp_rtx_fire(struct timer *t, uint64_t now)
{
	struct tcp_sock *sk = container_of(t, struct tcp_sock, rtx);
	struct stack *s = sk->s;

	s->now = now;
	tcp_enter(s);
	if (sk->rtx_kind == TCP_TIMER_PERSIST)
		tcp_persist_timeout(sk);
	else if (sk->rtx_kind == TCP_TIMER_LOSS_PROBE)
		tcp_tlp_timeout(sk);
	else if (sk->rtx_kind == TCP_TIMER_REORDER)
		tcp_reorder_timeout(sk);
	else
		tcp_rtx_timeout(sk);
	tcp_leave(s);
}

static void tcp_dack_fire(struct timer *t, uint64_t now)
{
	struct tcp_sock *sk = container_of(t, struct tcp_sock, dack);

	sk->s->now = now;
	CNT(sk->s, tcp_delayed_acks);
	tcp_send_ack(sk);
}

/* RFC 1122 4.2.3.6 keep-alives, with Linux's idle/interval/count. */
static void tcp_keepalive_timeout(struct tcp_sock *sk)
{
	struct stack *s = sk->s;
	uint64_t idle = s->now - sk->last_rcv;
	uint64_t kidle = (uint64_t)sk->keepidle_s * NSEC_PER_SEC;
	uint64_t kintvl = (uint64_t)sk->keepintvl_s * NSEC_PER_SEC;

	if (!sk->keepalive)
		return;
	if (sk->snd_una != sk->snd_max || sk->sndq.len) {
		tcp_arm_misc(sk, TCP_TIMER_KEEPALIVE, kidle);
		return;
	}
	if (idle < kidle + (uint64_t)sk->probes * kintvl &&
	    idle < kidle) {
		tcp_arm_misc(sk, TCP_TIMER_KEEPALIVE, kidle - idle);
		return;
	}
	/* TCP_USER_TIMEOUT, if set, in place of the count: idle that long
	 * with a probe unanswered */
	if (sk->user_timeout_ms ? sk->probes &&
				  idle >= (uint64_t)sk->user_timeout_ms *
					  NSEC_PER_MSEC :
				  sk->probes >= sk->keepcnt) {
		CNT(s, tcp_timeouts);
		tcp_send_active_rst(sk);
		tcp_done(sk, -ETIMEDOUT);
		return;
	}
	CNT(s, tcp_keepalive_probes);
	tcp_xmit(sk, sk->snd_una - 1, TCP_ACK, 0, 0);
	sk->probes++;
	tcp_arm_misc(sk, TCP_TIMER_KEEPALIVE, kintvl);
}

static void tcp_misc_fire(struct timer *t, uint64_t now)
{
	struct tcp_sock *sk = container_of(t, struct tcp_sock, misc);
	struct stack *s = sk->s;
	enum tcp_timer_kind kind = sk->misc_kind;

	s->now = now;
	tcp_enter(s);
	sk->misc_kind = TCP_TIMER_NONE;
	switch (kind) {
	case TCP_TIMER_KEEPALIVE:
		tcp_keepalive_timeout(sk);
		break;
	case TCP_TIMER_FIN_WAIT_2:
		CNT(s, tcp_fin_wait2_timeouts);
		tcp_done(sk, 0);
		break;
	case TCP_TIMER_TIME_WAIT:
		/* RFC 9293: "If the time-wait timeout expires on a
		 * connection, delete the TCB, enter the CLOSED state" */
		tcp_done(sk, 0);
		break;
	default:
		break;
	}
	tcp_leave(s);
}
