/* SPDX-License-Identifier: MIT */
/*
 * tcp_in.c - segment arrival: RFC 9293 3.10.7 as a switch on the state
 *
 * Theory of operation: tcp_input() validates the segment (checksum, data
 * offset, flags), finds its connection (4-tuple first, then a listener)
 * and hands it to the code for that state:
 *
 *   no socket         RST per RFC 9293 3.10.7.1
 *   TCP_LISTEN        tcp_listen_input(): a SYN makes a child in
 *                     SYN_RECEIVED, or a SYN cookie (RFC 4987) when the
 *                     half-open queue is full; an ACK may carry a cookie
 *   TCP_SYN_SENT      tcp_synsent_input(): RFC 9293 3.10.7.3
 *   other states      tcp_rcv(): the checks in RFC order: PAWS (RFC 7323
 *                     5.3), sequence acceptability, RST (RFC 5961 3),
 *                     SYN (RFC 5961 4), ACK (tcp_ack.c, RFC 5961 5),
 *                     data (tcp_ack.c), FIN.
 *
 * Each refusal bumps a counter. ICMP errors quoting one of our segments
 * reach tcp_err() through the protocol table (RFC 5927 checks, RFC 1122
 * 4.2.3.9 actions).
 */
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "icmp6.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack_impl.h"
#include "tcp_impl.h"

static void tcp_parse_options(const uint8_t *o, size_t n, struct tcp_seg *seg)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], len;

		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			return; /* malformed: ignore the rest, as Linux */
		len = o[i + 1];
		if (kind == TCPOPT_MSS && len == 4) {
			seg->has_mss = true;
			seg->mss = get16(o + i + 2);
		} else if (kind == TCPOPT_WS && len == 3) {
			seg->has_ws = true;
			seg->ws = o[i + 2];
		} else if (kind == TCPOPT_SACK_PERM && len == 2) {
			seg->sack_perm = true;
		} else if (kind == TCPOPT_TS && len == 10) {
			seg->has_ts = true;
			seg->tsval = get32(o + i + 2);
			seg->tsecr = get32(o + i + 6);
		} else if (kind == TCPOPT_SACK && len >= 10 && (len - 2) % 8 == 0) {
			for (unsigned b = 0; b < (len - 2u) / 8 && b < 4; b++) {
				seg->sack[b].start = get32(o + i + 2 + 8 * b);
				seg->sack[b].end = get32(o + i + 6 + 8 * b);
				seg->nsack = (uint8_t)(b + 1);
			}
		} else if (kind == TCPOPT_FASTOPEN && (seg->flags & TCP_SYN)) {
			tcp_tfo_parse(o + i + 2, (uint8_t)(len - 2), seg);
		}
		i += len;
	}
}

/**
 * tcp_parse() - read a TCP header and its options
 * @buf: the segment
 * @len: its length
 * @seg: filled in, host order; data/len point at the payload
 *
 * Return: 0, or -1 if truncated or the data offset is invalid
 */
int tcp_parse(const uint8_t *buf, size_t len, struct tcp_seg *seg)
{
	memset(seg, 0, sizeof(*seg));
	if (len < TCP_HLEN)
		return -1;
	seg->sport = get16(buf);
	seg->dport = get16(buf + 2);
	seg->seq = get32(buf + 4);
	seg->ack = get32(buf + 8);
	seg->hlen = (uint8_t)((buf[12] >> 4) * 4);
	seg->flags = buf[13];  /* before the options: Fast Open's needs SYN */
	seg->wnd = get16(buf + 14);
	seg->cksum = get16(buf + 16);
	seg->urp = get16(buf + 18);
	if (seg->hlen < TCP_HLEN || seg->hlen > len)
		return -1;
	tcp_parse_options(buf + TCP_HLEN, seg->hlen - TCP_HLEN, seg);
	seg->data = buf + seg->hlen;
	seg->len = (uint32_t)(len - seg->hlen);
	return 0;
}

/**
 * tcp_snd_buf_seq() - sequence number of the send ring's first byte
 * @sk: the socket
 *
 * Return: it
 */
uint32_t tcp_snd_buf_seq(const struct tcp_sock *sk)
{
	return sk->sndq_seq;
}

/* -- option negotiation ---------------------------------------------- */

static uint8_t tcp_wscale_for(const struct stack *s)
{
	uint8_t ws = 0;

	/* the smallest shift that lets the largest buffer be announced */
	while (ws < TCP_MAX_WSCALE && (s->cfg.tcp_rcvbuf_max >> ws) > 65535)
		ws++;
	return ws;
}

/* The MSS we announce: the route's, or TCP_MAXSEG if smaller. */
static void tcp_set_rcv_mss(struct tcp_sock *sk)
{
	sk->rcv_mss = tcp_mss_for_route(sk->s, &sk->raddr);
	if (sk->user_mss && sk->user_mss < sk->rcv_mss)
		sk->rcv_mss = sk->user_mss;
}

/* RFC 9293 3.7.1 and RFC 7323: the send MSS once the peer's SYN is in. */
static void tcp_set_snd_mss(struct tcp_sock *sk)
{
	uint32_t mss = sk->peer_mss ? sk->peer_mss : TCP_DEFAULT_MSS;
	uint32_t route = tcp_mss_for_route(sk->s, &sk->raddr);

	if (mss > route)
		mss = route;
	if (sk->user_mss && mss > sk->user_mss)
		mss = sk->user_mss;
	if (sk->ts_ok)
		mss -= 12;  /* the timestamp option rides on every segment */
	if (mss < TCP_MIN_MSS - 12)
		mss = TCP_MIN_MSS - 12;
	sk->mss = (uint16_t)mss;
}

/* Take the peer's SYN options; ours were offered as the flags say. */
static void tcp_negotiate(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	sk->ts_ok = sk->ts_ok && seg->has_ts;
	sk->sack_ok = sk->sack_ok && seg->sack_perm;
	/* RFC 7323 2.2: scaling only if both sent the option */
	sk->ws_ok = sk->ws_ok && seg->has_ws;
	if (sk->ws_ok) {
		/* RFC 7323 2.3: "If a Window Scale option is received with
		 * a shift.cnt value larger than 14, the TCP SHOULD log the
		 * error but MUST use 14 instead" */
		sk->snd_wscale = seg->ws > TCP_MAX_WSCALE ? TCP_MAX_WSCALE :
							     seg->ws;
	} else {
		sk->snd_wscale = 0;
		sk->rcv_wscale = 0;
	}
	if (sk->ts_ok) {
		sk->ts_recent = seg->tsval;
		sk->ts_recent_s = (uint32_t)(sk->s->now / NSEC_PER_SEC);
	}
	sk->peer_mss = seg->has_mss ? seg->mss : 0;
	tcp_set_snd_mss(sk);
	sk->irs = seg->seq;
	sk->rcv_nxt = seg->seq + 1;
	sk->rcv_adv = sk->rcv_nxt;
	/* RFC 7323 2.2: the window field of a SYN is never scaled */
	sk->snd_wnd = seg->wnd;
	sk->max_sndwnd = seg->wnd;
	sk->snd_wl1 = seg->seq;
	sk->snd_wl2 = seg->ack;
}

/* Offer what the configuration enables (called before our SYN). */
static void tcp_offer_options(struct tcp_sock *sk)
{
	struct stack *s = sk->s;

	sk->ts_ok = s->cfg.tcp_timestamps;
	sk->sack_ok = s->cfg.tcp_sack;
	sk->ws_ok = s->cfg.tcp_window_scaling;
	sk->rcv_wscale = sk->ws_ok ? tcp_wscale_for(s) : 0;
	tcp_set_rcv_mss(sk);
	sk->quickacks = TCP_QUICKACKS;
}

/**
 * tcp_prepare_active() - option offer for tcp_connect()
 * @sk: the socket
 */
void tcp_prepare_active(struct tcp_sock *sk)
{
	tcp_offer_options(sk);
	sk->sndq_seq = sk->iss + 1;
}

/* Linux's TCP_TIMEOUT_FALLBACK */
#define TCP_RTO_FALLBACK (3 * NSEC_PER_SEC)

/* Both ends of the handshake arrive here on entering ESTABLISHED. */
static void tcp_established(struct tcp_sock *sk)
{
	tcp_set_state(sk, TCP_ESTABLISHED);
	/* no RTT sample from the handshake yet (the SYN or SYN-ACK was
	 * resent and no TSecr told which copy was answered, or a cookie):
	 * Linux's tcp_init_metrics() (RFC 6298 5.7) starts the RTO at 3 s,
	 * the deviation with it, not at the 1 s (or the backed-off RTO) the
	 * handshake used. A passive open's sample comes right after this
	 * (tcp_ack()) and, the first, replaces all of it. */
	if (!sk->srtt_us8) {
		uint64_t rto = TCP_RTO_FALLBACK;

		sk->mdev_us4 = sk->mdev_max_us = sk->rttvar_us =
			(uint32_t)(TCP_RTO_FALLBACK / 1000);
		if (rto > sk->s->cfg.tcp_rto_max)
			rto = sk->s->cfg.tcp_rto_max;
		sk->rto = rto;
	}
	sk->backoff = 0;
	tcp_rto_recovered(sk);
	sk->rtx_stamp = 0;
	sk->cwnd = sk->s->cfg.tcp_init_cwnd * (uint32_t)sk->mss;
	sk->rack_fack = sk->snd_una;  /* RFC 8985 RACK.fack starts here */
	sk->last_rcv = sk->s->now;
	sk->rcv_space_time = sk->s->now;
	tcp_info_established(sk);
	if (sk->keepalive)
		tcp_arm_misc(sk, TCP_TIMER_KEEPALIVE,
			     (uint64_t)sk->keepidle_s * NSEC_PER_SEC);
}

/* -- SYN cookies, RFC 4987 3.6 --------------------------------------- */

static const uint16_t tcp_cookie_mss[4] = { 536, 1300, 1440, 1460 };

static uint32_t tcp_cookie_hash(struct stack *s, const struct tcp_seg *seg,
				uint32_t t)
{
	uint8_t b[TCP_TUPLE_MAX + 8];
	uint32_t tail[2] = { 0, t };
	size_t n = tcp_tuple_bytes(b, &seg->dst, seg->dport, &seg->src,
				   seg->sport);

	memcpy(b + n, tail, sizeof(tail));
	return (uint32_t)inet_siphash(s->tcp->secret, b, n + sizeof(tail));
}

/* The cookie: 24 bits of keyed hash, 5 bits of time (64 s units), 3 of
 * MSS index. @irs is the peer's ISN, included in the hash. */
static uint32_t tcp_cookie_make(struct stack *s, const struct tcp_seg *seg,
				uint32_t irs, unsigned mss_idx, uint32_t t)
{
	uint32_t h = tcp_cookie_hash(s, seg, t) + irs;

	return (h & 0xffffff00u) | (t & 0x1f) << 3 | mss_idx;
}

static int tcp_cookie_check(struct stack *s, const struct tcp_seg *seg,
			    unsigned *mss_idx)
{
	uint32_t cookie = seg->ack - 1, irs = seg->seq - 1;
	uint32_t now_t = (uint32_t)(s->now / (64 * NSEC_PER_SEC));

	for (uint32_t age = 0; age < 2; age++) {
		uint32_t t = now_t - age;

		if ((t & 0x1f) != (cookie >> 3 & 0x1f))
			continue;
		if ((cookie & 7) > 3)
			return -1;
		if (tcp_cookie_make(s, seg, irs, cookie & 7, t) == cookie) {
			*mss_idx = cookie & 7;
			return 0;
		}
	}
	return -1;
}

/* The per-tuple TS offset of cookie connections, so that a child made
 * from a cookie continues the TSvals its SYN-ACK carried. */
static uint32_t tcp_cookie_tsoff(struct stack *s, const struct tcp_seg *seg)
{
	return tcp_cookie_hash(s, seg, 0xffffffffu);
}

/* -- listener ---------------------------------------------------------- */

/*
 * TCP_SAVE_SYN, as Linux's tcp_reqsk_record_syn(): the SYN's network and
 * TCP headers are kept for the child until TCP_SAVED_SYN reads them
 * (once). Value 2 asks for the MAC header too, which ustack does not
 * keep: the same bytes as 1. Without memory the SYN is not kept.
 */
static void tcp_save_syn(struct tcp_sock *c, const struct tcp_seg *seg)
{
	struct tcp_saved_syn *ss;
	size_t len;

	if (!seg->nethdr || !seg->data)
		return;
	len = (size_t)seg->nethdr_len + seg->hlen;
	ss = malloc(sizeof(*ss) + len);
	if (!ss)
		return;
	ss->sk = c;
	ss->len = (uint16_t)len;
	memcpy(ss->data, seg->nethdr, seg->nethdr_len);
	memcpy(ss->data + seg->nethdr_len, seg->data - seg->hlen, seg->hlen);
	ss->next = c->s->tcp->saved_syns;
	c->s->tcp->saved_syns = ss;
	c->syn_saved = true;
}

static struct tcp_sock *tcp_child_new(struct tcp_sock *l,
				      const struct tcp_seg *seg)
{
	struct stack *s = l->s;
	struct tcp_sock *c = tcp_sock_new(s);

	if (!c)
		return NULL;
	c->laddr = seg->dst;
	c->lport = seg->dport;
	c->raddr = seg->src;
	c->rport = seg->sport;
	c->family = l->family;
	c->v6only = l->v6only;
	c->bound_if = l->bound_if;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->keepidle_s = l->keepidle_s;
	c->keepintvl_s = l->keepintvl_s;
	c->keepcnt = l->keepcnt;
	c->user_timeout_ms = l->user_timeout_ms;
	c->syncnt = l->syncnt;
	c->min_ttl = l->min_ttl;
	c->linger2 = l->linger2;
	c->save_syn = l->save_syn;
	c->tfo_no_cookie = l->tfo_no_cookie;
	c->window_clamp = l->window_clamp;
	c->thin_lto = l->thin_lto;
	c->pingpong = l->pingpong;
	c->ip_tos = l->ip_tos;
	c->ip_ttl = l->ip_ttl;
	c->ip6_tclass = l->ip6_tclass;
	c->ip6_hops = l->ip6_hops;
	c->sndq.size = l->sndq.size;
	c->rcvq.size = l->rcvq.size;
	c->sndbuf_locked = l->sndbuf_locked;
	c->rcvbuf_locked = l->rcvbuf_locked;
	c->user_mss = l->user_mss;
	c->cc_algo = l->cc_algo;
	c->linger_on = l->linger_on;
	c->linger = l->linger;
	c->reuseaddr = l->reuseaddr;
	c->reuseport = l->reuseport;
	c->segs_in = 1;  /* the SYN, as Linux's tcp_create_openreq_child() */
	/* RFC 3168 6.1.1, Linux's tcp_ecn_create_request(): an ECN-setup
	 * SYN (ECE and CWR, itself not ECT) is agreed to unless tcp-ecn =
	 * no; a cookie's connection goes without */
	c->ecn_ok = (seg->flags & TCP_SYN) && s->cfg.tcp_ecn != TCP_ECN_OFF &&
		    (seg->flags & (TCP_ECE | TCP_CWR)) == (TCP_ECE | TCP_CWR) &&
		    seg->ecn == IP_ECN_NOT_ECT;
	if (c->ecn_ok)
		CNT(s, tcp_ecn_accepted);
	tcp_offer_options(c);
	tcp_negotiate(c, seg);
	c->ts_offset = tcp_ts_offset(s, &c->laddr, &c->raddr);
	c->iss = tcp_isn(s, &c->laddr, c->lport, &c->raddr, c->rport);
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = c->iss;
	c->sndq_seq = c->iss + 1;
	tcp_cc_set(c, c->cc_algo);
	tcp_hash_conn(c);
	tcp_hash_bound(c);
	c->parent = l;
	return c;
}

static void tcp_send_cookie(struct tcp_sock *l, const struct tcp_seg *seg)
{
	struct stack *s = l->s;
	struct tcp_sock tmp;
	unsigned idx = 0;
	uint32_t t = (uint32_t)(s->now / (64 * NSEC_PER_SEC));

	memset(&tmp, 0, sizeof(tmp));
	tmp.s = s;
	tmp.raddr = seg->src;
	tmp.laddr = seg->dst;
	tmp.family = l->family;
	tmp.lport = seg->dport;
	tmp.rport = seg->sport;
	tmp.rcvq.size = l->rcvq.size;
	tmp.user_mss = l->user_mss;
	tmp.state = TCP_SYN_RECEIVED;
	tcp_timers_init(&tmp);
	tcp_offer_options(&tmp);
	tcp_negotiate(&tmp, seg);
	for (unsigned i = 0; i < 4; i++)
		if (seg->has_mss && tcp_cookie_mss[i] <= seg->mss)
			idx = i;
	tmp.iss = tcp_cookie_make(s, seg, seg->seq, idx, t);
	if (tmp.ts_ok) {
		/* the options that no state remembers ride in TSval's low
		 * 6 bits: window scale (4), SACK (1), scaling on (1) */
		uint32_t bits = (tmp.ws_ok ? 0x20u | tmp.snd_wscale : 0) |
				(tmp.sack_ok ? 0x10u : 0);
		uint32_t off = tcp_cookie_tsoff(s, seg);
		uint32_t x = (uint32_t)(s->now / NSEC_PER_MSEC) + off;
		uint32_t v = (x & ~0x3fu) | bits;

		if (v > x)
			v -= 64;
		tmp.ts_offset = v - (uint32_t)(s->now / NSEC_PER_MSEC);
	}
	CNT(s, tcp_syncookies_sent);
	s->tcp->last_cookie = s->now ? s->now : 1;
	tcp_xmit(&tmp, tmp.iss, TCP_SYN | TCP_ACK, 0, 0);
}

static void tcp_cookie_ack(struct tcp_sock *l, const struct tcp_seg *seg)
{
	struct stack *s = l->s;
	struct tcp_seg syn = *seg;
	struct tcp_sock *c;
	unsigned idx;

	if (tcp_cookie_check(s, seg, &idx)) {
		CNT(s, tcp_syncookies_failed);
		tcp_send_rst_for(s, seg);
		return;
	}
	if (l->lq->accept_qlen > l->lq->backlog) {
		CNT(s, tcp_listen_overflow);
		return;
	}
	syn.seq = seg->seq - 1;
	syn.has_mss = true;
	syn.mss = tcp_cookie_mss[idx];
	syn.has_ws = seg->has_ts && (seg->tsecr & 0x20);
	syn.ws = (uint8_t)(seg->tsecr & 0xf);
	syn.sack_perm = seg->has_ts && (seg->tsecr & 0x10);
	c = tcp_child_new(l, &syn);
	if (!c)
		return;
	c->iss = seg->ack - 1;
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = c->iss + 1;
	c->sndq_seq = c->iss + 1;
	if (!c->ws_ok)
		c->rcv_wscale = 0;
	if (c->ts_ok)
		c->ts_offset = tcp_cookie_tsoff(s, seg);
	c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->rcv_adv = c->rcv_nxt + (c->rcvq.size < 65535 ? c->rcvq.size : 65535);
	if (tcp_bufs_alloc(c)) {
		tcp_send_active_rst(c);
		tcp_done(c, 0);
		return;
	}
	CNT(s, tcp_syncookies_ok);
	CNT(s, tcp_passive_opens);
	tcp_established(c);
	tcp_child_ready(c);
}

static void tcp_listen_input(struct tcp_sock *l, const struct tcp_seg *seg,
			     const uint32_t *iss)
{
	struct stack *s = l->s;
	struct tcp_sock *c;

	/* RFC 9293 3.10.7.2: "first, check for a RST ... should be ignored" */
	if (seg->flags & TCP_RST) {
		CNT(s, tcp_listen_drop);
		return;
	}
	/* "second, check for an ACK ... form a reset" (or a SYN cookie) */
	if (seg->flags & TCP_ACK) {
		/* as Linux: cookies are looked for only while they may be
		 * out (sent in the last two 64 s periods) */
		if (s->cfg.tcp_syncookies && !(seg->flags & TCP_SYN) &&
		    s->tcp->last_cookie &&
		    s->now - s->tcp->last_cookie < 128 * NSEC_PER_SEC) {
			tcp_cookie_ack(l, seg);
			return;
		}
		CNT(s, tcp_listen_drop);
		tcp_send_rst_for(s, seg);
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		CNT(s, tcp_listen_drop);
		return;
	}
	/* Linux's sk_acceptq_is_full(): more than backlog waiting */
	if (l->lq->accept_qlen > l->lq->backlog) {
		CNT(s, tcp_listen_overflow);
		return;
	}
	if (l->lq->syn_qlen >= s->cfg.tcp_max_syn_backlog) {
		CNT(s, tcp_syn_q_full);
		if (s->cfg.tcp_syncookies)
			tcp_send_cookie(l, seg);
		return;
	}
	/* "third, check for a SYN ... Set RCV.NXT to SEG.SEQ+1, IRS is set
	 * to SEG.SEQ ... ISS should be selected and a SYN segment sent" */
	c = tcp_child_new(l, seg);
	if (!c)
		return;
	if (l->save_syn)
		tcp_save_syn(c, seg);
	if (iss) {
		c->iss = *iss;
		c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = *iss;
		c->sndq_seq = *iss + 1;
	}
	if (tcp_tfo_listen(l, seg, c)) {
		/* RFC 7413 4.2.2: the SYN's data is the program's now; the
		 * SYN-ACK acknowledges it and accept() takes the connection
		 * before the handshake ends (Linux's tcp_fastopen_create_child()
		 * and inet_csk_reqsk_queue_add()) */
		tcp_set_state(c, TCP_SYN_RECEIVED);
		CNT(s, tcp_passive_opens);
		tcp_send_syn(c);
		tcp_child_ready(c);
		return;
	}
	c->qnext = l->lq->syn_q;
	l->lq->syn_q = c;
	l->lq->syn_qlen++;
	tcp_set_state(c, TCP_SYN_RECEIVED);
	CNT(s, tcp_passive_opens);
	tcp_send_syn(c);
}

/* -- SYN_SENT, RFC 9293 3.10.7.3 -------------------------------------- */

static void tcp_synsent_input(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	bool ack_ok = false;

	if (seg->flags & TCP_ACK) {
		/* "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
		 * (unless the RST bit is set, if so drop the segment)" */
		if (SEQ_LEQ(seg->ack, sk->iss) || SEQ_GT(seg->ack, sk->snd_max)) {
			CNT(s, tcp_bad_synack);
			tcp_send_rst_for(s, seg);
			return;
		}
		ack_ok = true;
	}
	if (seg->flags & TCP_RST) {
		/* "If the ACK was acceptable, then signal to the user
		 * 'error: connection reset', drop the segment, enter CLOSED" */
		if (ack_ok) {
			CNT(s, tcp_rst_rcvd);
			CNT(s, tcp_attempt_fails);
			tcp_done(sk, -ECONNREFUSED);
		} else {
			CNT(s, tcp_rst_ignored);
		}
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		CNT(s, tcp_drop_no_ack);
		return;
	}
	tcp_negotiate(sk, seg);
	/* RFC 3168 6.1.1: our ECN-setup SYN is agreed to by a SYN-ACK with
	 * ECE alone (Linux's tcp_ecn_rcv_synack()); a simultaneous open by
	 * a SYN with both (tcp_ecn_rcv_syn()) */
	if (sk->ecn_ok &&
	    (ack_ok ? !(seg->flags & TCP_ECE) || (seg->flags & TCP_CWR) :
	     (seg->flags & (TCP_ECE | TCP_CWR)) != (TCP_ECE | TCP_CWR)))
		sk->ecn_ok = false;
	if (!ack_ok) {
		/* simultaneous open: "Otherwise, enter SYN-RECEIVED, form a
		 * SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>" */
		tcp_set_state(sk, TCP_SYN_RECEIVED);
		sk->backoff = 0;
		tcp_send_syn(sk);
		return;
	}
	/* "If SND.UNA > ISS (our SYN has been ACKed), change the connection
	 * state to ESTABLISHED, form an ACK segment <SEQ=SND.NXT>
	 * <ACK=RCV.NXT><CTL=ACK> and send it." (SND.MAX: a Fast Open SYN's
	 * data counts, its SYN resent or not) */
	tcp_tfo_synack(sk, seg);
	sk->snd_una = seg->ack;
	/* Linux's tcp_ack_update_rtt(): the SYN's own timing first (us),
	 * the timestamp echo only when that is missing -- a resent SYN is
	 * not timed (Karn), but its echo says which SYN was answered */
	if (sk->rtt_time && !sk->backoff)
		tcp_rtt_sample(sk, s->now - sk->rtt_time);
	else if (sk->ts_ok && seg->tsecr)
		tcp_rtt_tsecr(sk, seg->tsecr);
	sk->rtt_time = 0;
	stack_disarm(s, &sk->rtx);
	sk->rtx_kind = TCP_TIMER_NONE;
	tcp_established(sk);
	tcp_send_ack(sk);
	tcp_event(sk, TCP_EV_CONNECTED | TCP_EV_WRITABLE);
	tcp_output(sk);
}

/* -- synchronized states ---------------------------------------------- */

/*
 * RFC 3168 6.1.3, as Linux's tcp_ecn_accept_cwr() and tcp_ecn_check_ce():
 * a CWR ends our echo (and is ACKed at once: the sender's window may be
 * small); a CE mark starts it, ECE on every segment until that CWR, and
 * is ACKed at once the first time; ECT or CE is remembered
 * (TCPI_OPT_ECN_SEEN), after which a segment without it is most likely
 * a retransmission, also ACKed at once.
 */
static void tcp_ecn_rcv(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	if (!sk->ecn_ok)
		return;
	if (seg->flags & TCP_CWR) {
		sk->ecn_demand_cwr = false;
		sk->ack_now = true;
	}
	switch (seg->ecn) {
	case IP_ECN_NOT_ECT:
		if (sk->ecn_seen)
			sk->ack_now = true;
		break;
	case IP_ECN_CE:
		CNT(sk->s, tcp_ecn_ce_rcvd);
		sk->received_ce++;
		if (!sk->ecn_demand_cwr) {
			sk->ack_now = true;
			sk->ecn_demand_cwr = true;
		}
		sk->ecn_seen = true;
		break;
	default:
		sk->ecn_seen = true;
		break;
	}
}

/* RFC 9293 3.10.7.4 first check, with Linux's tcp_sequence() leniency
 * for a zero window (an in-order segment is looked at for its ACK). */
static bool tcp_acceptable(const struct tcp_sock *sk,
			   const struct tcp_seg *seg, uint32_t seglen)
{
	uint32_t wnd = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ?
		       sk->rcv_adv - sk->rcv_nxt : 0;

	if (seglen == 0)
		return wnd == 0 ? seg->seq == sk->rcv_nxt :
		       SEQ_GEQ(seg->seq, sk->rcv_nxt) &&
		       SEQ_LEQ(seg->seq, sk->rcv_nxt + wnd);
	return SEQ_GT(seg->seq + seglen, sk->rcv_nxt) &&
	       SEQ_LEQ(seg->seq, sk->rcv_nxt + wnd);
}

/*
 * As Linux's tcp_disordered_ack(): a pure ACK overtaken by a later
 * segment of the peer carries an older TSval but no news that could be
 * stale -- it sits at rcv_nxt, acknowledges nothing new, and its TSval is
 * within an RTO of ts_recent. Rejecting it would answer it with an ACK,
 * and a few of those look like duplicate ACKs to the peer (a spurious
 * fast retransmit under reordering).
 */
static bool tcp_disordered_ack(const struct tcp_sock *sk,
			       const struct tcp_seg *seg)
{
	uint64_t rto_ms = sk->rto / NSEC_PER_MSEC;

	return seg->len == 0 && (seg->flags & (TCP_SYN | TCP_FIN | TCP_ACK)) ==
				TCP_ACK &&
	       seg->seq == sk->rcv_nxt && seg->ack == sk->snd_una &&
	       (uint32_t)(sk->ts_recent - seg->tsval) <= rto_ms;
}

/* RFC 7323 5.3 R1 (PAWS): true if the segment must be dropped. */
static bool tcp_paws_reject(const struct tcp_sock *sk,
			    const struct tcp_seg *seg)
{
	if (!sk->ts_ok || !seg->has_ts || (seg->flags & TCP_RST))
		return false;
	if (!SEQ_LT(seg->tsval, sk->ts_recent) || tcp_disordered_ack(sk, seg))
		return false;
	/* 5.5: a ts_recent idle for 24 days is invalid */
	return (uint32_t)(sk->s->now / NSEC_PER_SEC) - sk->ts_recent_s <
	       TCP_PAWS_IDLE_S;
}

/* RFC 5961 3.2 and RFC 9293 3.10.7.4 second check: true if consumed. */
static bool tcp_rst_input(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	bool exact = seg->seq == sk->rcv_nxt ||
		     (sk->fin_rcvd && seg->seq == sk->rcv_nxt - 1);

	if (!exact) {
		/* "If the RST bit is set and the sequence number does not
		 * exactly match the next expected sequence value, yet is
		 * within the current receive window, TCP MUST send an
		 * acknowledgment (challenge ACK)" */
		CNT(s, tcp_rst_challenged);
		tcp_send_challenge_ack(sk);
		return true;
	}
	CNT(s, tcp_rst_rcvd);
	switch (sk->state) {
	case TCP_SYN_RECEIVED:
		/* passive: "return this connection to LISTEN state";
		 * active (simultaneous open): "connection refused" */
		tcp_done(sk, sk->parent ? 0 : -ECONNREFUSED);
		break;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
		CNT(s, tcp_estab_resets);
		tcp_done(sk, -ECONNRESET);
		break;
	case TCP_CLOSE_WAIT:
		CNT(s, tcp_estab_resets);
		tcp_done(sk, -EPIPE);  /* as Linux's tcp_reset() */
		break;
	default:
		/* CLOSING, LAST_ACK, TIME_WAIT: "enter the CLOSED state,
		 * delete the TCB, and return" */
		tcp_done(sk, 0);
		break;
	}
	return true;
}

/* RFC 6191 3: a SYN may reopen a TIME_WAIT pair if it is newer. */
static bool tcp_tw_reuse_ok(const struct tcp_sock *sk,
			    const struct tcp_seg *seg)
{
	if (sk->ts_ok && seg->has_ts)
		return SEQ_GT(seg->tsval, sk->ts_recent);
	return SEQ_GT(seg->seq, sk->rcv_nxt);
}

static bool tcp_tw_syn(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	struct tcp_sock *l;
	uint32_t iss;

	if ((seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN ||
	    !tcp_tw_reuse_ok(sk, seg))
		return false;
	l = tcp_lookup_listener(s, &seg->dst, seg->dport, &seg->src,
				seg->sport);
	if (!l)
		return false;
	CNT(s, tcp_tw_reused);
	/* the new ISN lies beyond anything the old incarnation used */
	iss = sk->snd_nxt + 65535 + 2;
	tcp_done(sk, 0);
	tcp_listen_input(l, seg, &iss);
	return true;
}

/* RFC 9293 3.10.7.4 eighth check: the FIN bit. */
static void tcp_fin_input(struct tcp_sock *sk)
{
	sk->rcv_nxt++;
	sk->fin_rcvd = true;
	sk->ack_now = true;
	tcp_event(sk, TCP_EV_READABLE | TCP_EV_EOF);
	switch (sk->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		/* "Enter the CLOSE-WAIT state" */
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		/* Linux's tcp_fin() enters pingpong mode here: no quick ACK,
		 * the delayed-ACK timer (its ato, 40 ms) acknowledges the FIN,
		 * so that the program's close has the time to send its FIN
		 * with the ACK in one segment; at once if no data ever came
		 * (ato still 0), if more than a segment is unacknowledged or
		 * out-of-order data waits (__tcp_ack_snd_check()) */
		if (sk->bytes_received && sk->unacked_bytes <= sk->rcv_mss &&
		    !sk->nooo) {
			sk->ack_now = false;
			if (!timer_armed(&sk->dack))
				stack_arm(sk->s, &sk->dack,
					  sk->s->now + sk->s->cfg.tcp_delack_max);
		}
		break;
	case TCP_FIN_WAIT_1:
		/* "If our FIN has been ACKed (perhaps in this segment), then
		 * enter TIME-WAIT ...; otherwise, enter the CLOSING state" */
		tcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT_2:
		/* "Enter the TIME-WAIT state. Start the time-wait timer" */
		tcp_send_ack(sk);
		tcp_enter_time_wait(sk);
		break;
	case TCP_TIME_WAIT:
		/* "Restart the 2 MSL time-wait timeout" */
		tcp_enter_time_wait(sk);
		break;
	default:
		/* CLOSE_WAIT, CLOSING, LAST_ACK: "Remain in the state" */
		break;
	}
}

/* The part of RFC 9293 3.10.7.4 after the ACK check: data and FIN. */
static void tcp_rcv_data(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	bool fin_ok = true, orphan;

	switch (sk->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
		/*
		 * Linux's tcp_rcv_state_process(): data for a closed socket
		 * (no holder) resets it; shutdown(SHUT_RD) alone discards
		 * nothing: in ESTABLISHED the data is queued and ACKed as
		 * ever (tcp_data_queue()), and read afterwards. Only in
		 * FIN_WAIT_1/2 with the receive side shut ("RFC 1122 says
		 * we MUST send a reset") does new data beyond rcv_nxt reset
		 * the connection (LINUX_MIB_TCPABORTONDATA), the holder
		 * seeing ECONNRESET (tcp_reset()). The reset answers the
		 * segment as tcp_v4_send_reset() does: <SEQ=SEG.ACK><CTL=RST>,
		 * without ACK.
		 */
		orphan = !sk->held && !sk->parent;
		if (seg->len &&
		    (orphan || (sk->shut_rd && sk->state != TCP_ESTABLISHED &&
				SEQ_GT(seg->seq + seg->len, sk->rcv_nxt)))) {
			CNT(s, tcp_abort_on_data);
			tcp_send_rst_for(s, seg);
			tcp_done(sk, orphan ? 0 : -ECONNRESET);
			return;
		}
		if (seg->len) {
			tcp_ecn_rcv(sk, seg);
			fin_ok = tcp_data(sk, seg);
		}
		break;
	default:
		/* "This should not occur since a FIN has been received from
		 * the remote side. Ignore the segment text." */
		if (seg->len) {
			CNT(s, tcp_drop_after_close);
			sk->ack_now = true;
		}
		break;
	}
	/* a FIN counts only in order, after all the data before it */
	if ((seg->flags & TCP_FIN) && fin_ok && !sk->fin_rcvd &&
	    seg->seq + seg->len == sk->rcv_nxt)
		tcp_fin_input(sk);
}

/* SYN_RECEIVED: RFC 9293 "If SND.UNA < SEG.ACK =< SND.NXT, then enter
 * ESTABLISHED state and continue processing". True to continue. */
static bool tcp_synrecv_ack(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	struct tcp_sock *l = sk->parent;

	if (SEQ_LEQ(seg->ack, sk->snd_una) || SEQ_GT(seg->ack, sk->snd_max)) {
		/* "If the segment acknowledgment is not acceptable, form a
		 * reset segment <SEQ=SEG.ACK><CTL=RST> and send it." */
		CNT(s, tcp_bad_handshake_ack);
		tcp_send_rst_for(s, seg);
		return false;
	}
	if (!seg->len && !(seg->flags & TCP_FIN) && tcp_deferring(sk)) {
		/* TCP_DEFER_ACCEPT, as tcp_check_req(): the handshake's ACK
		 * without data is dropped; the connection waits in
		 * SYN_RECEIVED for data (tcp_rtx_timeout() for the rest) */
		sk->defer_acked = true;
		CNT(s, tcp_defer_accept_drops);
		return false;
	}
	if (l && !sk->on_accept_q && l->lq->accept_qlen > l->lq->backlog) {
		CNT(s, tcp_listen_overflow);  /* Linux drops the ACK */
		return false;
	}
	if (tcp_bufs_alloc(sk)) {
		tcp_send_active_rst(sk);
		tcp_done(sk, 0);
		return false;
	}
	sk->snd_wnd = (uint32_t)seg->wnd << sk->snd_wscale;
	sk->max_sndwnd = sk->snd_wnd;
	sk->snd_wl1 = seg->seq;
	sk->snd_wl2 = seg->ack;
	tcp_established(sk);
	if (l)
		tcp_child_ready(sk);
	else
		tcp_event(sk, TCP_EV_CONNECTED | TCP_EV_WRITABLE);
	return true;
}

/*
 * The ACK of a segment that failed only the sequence test. RFC 9293
 * 3.10.7.4: "If the RCV.WND is zero, no segments will be acceptable, but
 * special allowance should be made to accept valid ACKs, URG, and RST
 * bits." We take the ACK field and the window of any such segment (not
 * its data, SYN or FIN): the ACK passes RFC 5961 5.2's range check in
 * tcp_ack() like any other, and SND.WL1/WL2 keep an old segment from
 * moving the window back. Linux 6.1 does not (tcp_validate_incoming()
 * only sends a duplicate ACK when tcp_sequence() fails): it never shrinks
 * its own window, so its peers' ACKs stay inside it. A peer whose view of
 * our edge is ahead of ours (a window we shrank, as ustack did before
 * issue 8; or its own bug) sends pure ACKs with SEQ beyond RCV.NXT once
 * our window is zero: dropping them froze our sending side for good.
 * Return: true if the ACK was taken (and the reply sent).
 */
static bool tcp_unacceptable_ack(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;

	if ((seg->flags & (TCP_ACK | TCP_SYN | TCP_RST)) != TCP_ACK)
		return false;
	switch (sk->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	default:
		return false;
	}
	CNT(s, tcp_oow_acks_taken);
	sk->last_rcv = s->now;
	sk->probes = 0;
	if (tcp_ack(sk, seg) < 0 || sk->dead || sk->state == TCP_CLOSED)
		return true;  /* challenged, or the connection is done */
	/* "an acknowledgment should be sent in reply": on data if the ACK
	 * let some go, else alone */
	sk->ack_now = true;
	tcp_output(sk);
	tcp_ack_flush(sk);
	return true;
}

/* RFC 9293 3.10.7.4 first check failed: answer as the RFC and Linux do. */
static void tcp_unacceptable(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;

	/* "If an incoming segment is not acceptable, an acknowledgment
	 * should be sent in reply (unless the RST bit is set, if so drop
	 * the segment and return)" */
	if (seg->flags & TCP_RST) {
		CNT(s, tcp_rst_ignored);
		return;
	}
	if (sk->state == TCP_SYN_RECEIVED && (seg->flags & TCP_SYN) &&
	    seg->seq == sk->irs) {
		tcp_send_syn(sk);  /* retransmitted SYN */
		return;
	}
	CNT(s, tcp_drop_unacceptable);
	/* a SYN outside the window of a synchronized connection: Linux's
	 * tcp_validate_incoming() answers it as one inside ("goto
	 * syn_challenge"), with a challenge ACK and its rate limits */
	if ((seg->flags & TCP_SYN) && sk->state != TCP_SYN_RECEIVED &&
	    sk->state != TCP_TIME_WAIT) {
		CNT(s, tcp_syn_challenged);
		tcp_send_challenge_ack(sk);
		return;
	}
	/* an old duplicate (a retransmission we had): D-SACK it */
	if (seg->len && SEQ_LEQ(seg->seq + seg->len, sk->rcv_nxt) &&
	    SEQ_GT(seg->seq + seg->len, sk->rcv_nxt - sk->rcvq.size))
		tcp_dsack(sk, seg->seq, seg->seq + seg->len);
	if (tcp_unacceptable_ack(sk, seg))
		return;
	tcp_send_ack(sk);
	/* TIME_WAIT: "Acknowledge it, and restart the 2 MSL timeout" */
	if (sk->state == TCP_TIME_WAIT && (seg->flags & TCP_FIN))
		tcp_enter_time_wait(sk);
}

/*
 * What comes before the sequence test: a SYN reopening TIME_WAIT (RFC
 * 6191), the SYN-ACK of a simultaneous open, PAWS (RFC 7323 5.3), then
 * the test itself. Return: true if the segment was dealt with here.
 */
static bool tcp_rcv_early(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	uint32_t seglen = seg->len + !!(seg->flags & TCP_SYN) +
			  !!(seg->flags & TCP_FIN);

	if (sk->state == TCP_TIME_WAIT && (seg->flags & TCP_SYN) &&
	    tcp_tw_syn(sk, seg))
		return true;
	if (sk->state == TCP_SYN_RECEIVED && !sk->parent &&
	    (seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK) &&
	    seg->seq + 1 == sk->rcv_nxt && seg->ack == sk->snd_nxt) {
		/* simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK
		 * acknowledges our SYN; as Linux, it completes the handshake */
		if (tcp_synrecv_ack(sk, seg)) {
			sk->snd_una = seg->ack;
			stack_disarm(sk->s, &sk->rtx);
			sk->rtx_kind = TCP_TIMER_NONE;
		}
		return true;
	}
	if (tcp_paws_reject(sk, seg)) {
		CNT(sk->s, tcp_drop_paws);
		tcp_send_ack(sk);
		return true;
	}
	if (!tcp_acceptable(sk, seg, seglen)) {
		tcp_unacceptable(sk, seg);
		return true;
	}
	return false;
}

static void tcp_rcv(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	uint32_t delivered;

	if (tcp_rcv_early(sk, seg))
		return;
	sk->last_rcv = s->now;
	sk->probes = 0;  /* the peer is alive (keepalive, persist) */
	if ((seg->flags & TCP_RST) && tcp_rst_input(sk, seg))
		return;
	if (seg->flags & TCP_SYN) {
		/* RFC 5961 4.2: "send an ACK ... and drop the segment" */
		CNT(s, tcp_syn_challenged);
		tcp_send_challenge_ack(sk);
		return;
	}
	if (!(seg->flags & TCP_ACK)) {
		CNT(s, tcp_drop_no_ack);
		return;
	}
	/* RFC 7323 4.3: remember the timestamp to echo */
	if (sk->ts_ok && seg->has_ts && SEQ_LEQ(seg->seq, sk->last_ack_sent) &&
	    SEQ_GEQ(seg->tsval, sk->ts_recent)) {
		sk->ts_recent = seg->tsval;
		sk->ts_recent_s = (uint32_t)(s->now / NSEC_PER_SEC);
	}
	if (sk->state == TCP_SYN_RECEIVED && !tcp_synrecv_ack(sk, seg))
		return;
	delivered = sk->delivered;
	if (tcp_ack(sk, seg) < 0 || sk->dead || sk->state == TCP_CLOSED)
		return;
	if (sk->ecn_ok && (seg->flags & TCP_ECE)) {
		/* Linux's tcp_count_delivered(..., ece_ack) */
		sk->delivered_ce += sk->delivered - delivered;
		tcp_enter_cwr(sk);
	}
	tcp_rcv_data(sk, seg);
	if (sk->dead || sk->state == TCP_CLOSED)
		return;
	tcp_output(sk);
	tcp_ack_flush(sk);
}

/**
 * tcp_input() - handle one TCP segment; consumes @p
 * @s: the stack
 * @p: the segment, data at the TCP header
 * @rx: what IPv4 learned about the datagram
 */
void tcp_input(struct stack *s, struct pbuf *p, const struct ip_rx *rx)
{
	struct tcp_seg seg;
	struct tcp_sock *sk;
	uint32_t sum, segs;

	CNT(s, tcp_rx);
	tcp_enter(s);
	if (rx->to_bcast || rx->l2_bcast) {
		CNT(s, tcp_rx_bcast);
		goto out;
	}
	sum = ip_pseudo_sum(&rx->src, &rx->dst, IP_PROTO_TCP, (uint32_t)p->len);
	if (!(p->rx_flags & PBUF_RX_CSUM_OK) &&
	    inet_fold(inet_sum(p->data, p->len, sum)) != 0) {
		CNT(s, tcp_rx_bad_cksum);
		goto out;
	}
	if (tcp_parse(p->data, p->len, &seg)) {
		CNT(s, tcp_rx_short);
		goto out;
	}
	seg.src = rx->src;
	seg.dst = rx->dst;
	seg.ecn = rx->tos & IP_ECN_MASK;
	seg.nethdr = rx->hdr;
	seg.nethdr_len = rx->hdr_len;
	if ((seg.flags & TCP_SYN) && (seg.flags & (TCP_RST | TCP_FIN))) {
		CNT(s, tcp_rx_bad_flags);
		goto out;
	}
	sk = tcp_lookup_conn(s, &seg.dst, seg.dport, &seg.src, seg.sport);
	if (!sk)
		sk = tcp_lookup_listener(s, &seg.dst, seg.dport, &seg.src,
					 seg.sport);
	if (!sk) {
		CNT(s, tcp_rx_no_sock);
		tcp_send_rst_for(s, &seg);
		goto out;
	}
	/* IP_MINTTL, as tcp_v4_rcv(): dropped without an answer */
	if (rx->src.family == IP_V4 && rx->ttl < sk->min_ttl) {
		CNT(s, tcp_rx_minttl);
		goto out;
	}
	/* merged segments count one by one, as Linux's tcp_segs_in() */
	segs = p->gso_size && seg.len > p->gso_size ?
	       (seg.len + p->gso_size - 1u) / p->gso_size : 1;
	sk->segs_in += segs;
	sk->data_segs_in += seg.len != 0 ? segs : 0;
	switch (sk->state) {
	case TCP_LISTEN:
		tcp_listen_input(sk, &seg, NULL);
		break;
	case TCP_SYN_SENT:
		tcp_synsent_input(sk, &seg);
		break;
	case TCP_CLOSED:
		CNT(s, tcp_rx_no_sock);
		tcp_send_rst_for(s, &seg);
		break;
	default:
		tcp_rcv(sk, &seg);
		break;
	}
out:
	pbuf_free(p);
	tcp_leave(s);
}

/* Is this an error about the path MTU: fragmentation needed (RFC 1191)
 * or Packet Too Big (RFC 8201)? */
static bool tcp_err_is_mtu(const struct ip_err *e)
{
	if (e->origin == IP_V4)
		return e->type == ICMP_UNREACH &&
		       e->code == ICMP_UNREACH_NEEDFRAG;
	return e->type == ICMP6_PACKET_TOO_BIG;
}

/* A smaller path MTU: a smaller MSS, and what was in flight again. An
 * MTU below 68 (IPv4) or 1280 (IPv6) is not taken, as Linux's. */
static void tcp_pmtu_reduce(struct tcp_sock *sk, uint32_t mtu)
{
	bool v6 = sk->raddr.family == IP_V6;
	uint32_t hdr = (v6 ? IPV6_HLEN : IPV4_HLEN) + TCP_HLEN +
		       (sk->ts_ok ? 12u : 0u);
	uint32_t mss;

	if (mtu < (v6 ? IPV6_MIN_MTU : 68u) || mtu - hdr >= sk->mss)
		return;
	mss = mtu - hdr;
	sk->mss = (uint16_t)(mss < TCP_MIN_MSS ? TCP_MIN_MSS : mss);
	CNT(sk->s, tcp_pmtu_updates);
	sk->snd_nxt = sk->snd_una;
	tcp_output(sk);
}

/*
 * The error a connection still opening fails with: for IPv4 ECONNREFUSED
 * for port and protocol unreachable, ENETUNREACH for a network, else
 * EHOSTUNREACH; for IPv6 icmpv6_err_convert()'s (tcp_v6_err()).
 * Return: the negative errno, or 0 if the error does not abort
 */
static int tcp_err_abort(const struct ip_err *e)
{
	if (e->origin == IP_V6)
		return e->type < 128 ? -e->err : 0;
	if (e->type != ICMP_UNREACH)
		return 0;
	return e->code == ICMP_UNREACH_PORT || e->code == ICMP_UNREACH_PROTO ?
	       -ECONNREFUSED : e->code == ICMP_UNREACH_NET ? -ENETUNREACH :
	       -EHOSTUNREACH;
}

/**
 * tcp_err() - an ICMP or ICMPv6 error quoting one of our segments
 * @s: the stack
 * @e: the error (the ICMP module checked 8 bytes of the quoted TCP
 *     header: ports and sequence number)
 *
 * RFC 5927 4.1: only if the quoted sequence number is in flight.
 * Fragmentation needed (RFC 1191) or Packet Too Big (RFC 8201) lowers
 * the MSS; an IPv4 destination unreachable, or any IPv6 error, aborts a
 * connection still opening (as Linux); other errors are soft (RFC 1122
 * 4.2.3.9) and change nothing.
 */
void tcp_err(struct stack *s, const struct ip_err *e)
{
	struct tcp_sock *sk;
	uint32_t seq;
	int err;

	if (e->origin == IP_V4 ? e->type != ICMP_UNREACH : e->type >= 128)
		return;  /* not an error TCP acts on */
	CNT(s, tcp_icmp_rx);
	sk = tcp_lookup_conn(s, &e->src, get16(e->l4), &e->dst,
			     get16(e->l4 + 2));
	seq = get32(e->l4 + 4);
	if (!sk || SEQ_LT(seq, sk->snd_una) || SEQ_GT(seq, sk->snd_max)) {
		CNT(s, tcp_icmp_ignored);
		return;
	}
	tcp_enter(s);
	if (tcp_err_is_mtu(e)) {
		tcp_pmtu_reduce(sk, e->info);
	} else if ((sk->state == TCP_SYN_SENT || sk->state == TCP_SYN_RECEIVED) &&
		   (err = tcp_err_abort(e)) != 0) {
		CNT(s, tcp_icmp_abort);
		CNT(s, tcp_attempt_fails);
		tcp_done(sk, err);
	}
	tcp_leave(s);
}

/**
 * tcp_neigh_unreachable() - the neighbour @nexthop never answered
 * @s: the stack
 * @nexthop: the address the neighbour cache gave up on
 *
 * The unreachable hook of the protocol table, called when the neighbour
 * cache (ARP or ND) drops what waited for @nexthop. As in Linux (where
 * the neighbour failure comes back as a host unreachable error),
 * connections still opening through @nexthop fail with -EHOSTUNREACH;
 * established ones keep retransmitting.
 */
void tcp_neigh_unreachable(struct stack *s, const struct ip_addr *nexthop)
{
	tcp_enter(s);
	for (struct tcp_sock *sk = s->tcp->all; sk; sk = sk->all_next) {
		const struct route *r;
		struct ip_addr hop;

		if (sk->dead || sk->raddr.family != nexthop->family ||
		    (sk->state != TCP_SYN_SENT && sk->state != TCP_SYN_RECEIVED))
			continue;
		r = route_find(s, &sk->raddr);
		hop = r ? route_nexthop(r, &sk->raddr) : sk->raddr;
		if (!ip_addr_eq(&hop, nexthop))
			continue;
		CNT(s, tcp_attempt_fails);
		CNT(s, tcp_neigh_failures);
		tcp_done(sk, -EHOSTUNREACH);
	}
	tcp_leave(s);
}
