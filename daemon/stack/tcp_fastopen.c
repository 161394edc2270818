/* SPDX-License-Identifier: MIT */
/*
 * tcp_fastopen.c - TCP Fast Open (RFC 7413), as Linux's tcp_fastopen.c
 *
 * Theory of operation. tcp-fastopen holds net.ipv4.tcp_fastopen's bits
 * (TCP_TFO_* in tcp.h; default 1, the client side only).
 *
 * Server: a listener takes Fast Open when the server bit is on and its
 * TCP_FASTOPEN queue length is above zero (or, with bit 0x400, every
 * listener, its backlog as the length). A SYN with an empty Fast Open
 * option asks for a cookie: the SYN-ACK carries one, 8 bytes of SipHash
 * of the client's and our address (the ports left out, so one cookie
 * serves every connection from that host) under the listener's
 * TCP_FASTOPEN_KEY or the stack's key, drawn at start. A SYN with a
 * valid cookie (or any SYN with data when the server needs no cookie,
 * 0x200 or TCP_FASTOPEN_NO_COOKIE) makes a child whose SYN data is
 * queued for the program at once: the SYN-ACK acknowledges it, and the
 * child goes to the accept queue in SYN_RECEIVED, acceptable, readable
 * and writable before the handshake ends (tcp_listen_input(),
 * tcp_passive_fastopen()): an answer goes right after the SYN-ACK. A cookie that fails
 * gets its data ignored and a fresh cookie in the SYN-ACK; one valid only
 * under the listener's backup key is taken, and the SYN-ACK gives the
 * current one. While the listener has as many Fast Open children still in
 * SYN_RECEIVED as its queue length, SYNs take the ordinary handshake.
 *
 * Client: a cookie cache of TCP_TFO_CACHE peers by address (the least
 * recently used gives way). MSG_FASTOPEN (tcp_connect_data()) and
 * TCP_FASTOPEN_CONNECT make a Fast Open connect: with a cookie cached
 * the SYN carries it and as much data as fits (the route's MSS, or the
 * server's last if smaller, less 40 bytes of options, Linux's space); without, the SYN asks for a cookie
 * (tcpi_fastopen_client_fail 1) and the data waits for the handshake.
 * TCP_FASTOPEN_CONNECT's connect() with a cookie succeeds at once and the
 * SYN waits for the first data (tcp_tfo_defer()).
 * With 0x4 or TCP_FASTOPEN_NO_COOKIE the data goes without a cookie or
 * option. A resent SYN carries neither option nor data. The SYN-ACK's
 * cookie is cached; if it acknowledges only part of the SYN's data the
 * rest is sent after the handshake (fail 2, or 3 after a resent SYN).
 *
 * Not done: the experimental option (kind 254, magic 0xF989), Linux's
 * blackhole detection (off by default in 6.x:
 * tcp_fastopen_blackhole_timeout_sec 0), data in our SYN-ACK, and a reset child holding its place in the queue until it
 * would have timed out (Linux's rskq_rst_head).
 */
#include <stdlib.h>
#include <string.h>

#include "stack_impl.h"
#include "tcp_impl.h"

#define TCP_TFO_CACHE 64        /* peers whose cookies the client keeps */
#define TCP_TFO_OPT_SPACE 40    /* Linux's MAX_TCP_OPTION_SPACE */

/* tcpi_fastopen_client_fail, Linux's TFO_* values */
#define TFO_COOKIE_UNAVAILABLE 1
#define TFO_DATA_NOT_ACKED 2
#define TFO_SYN_RETRANSMITTED 3

struct tcp_tfo_entry {
	struct ip_addr addr;
	uint64_t used;          /* last use, ns; 0: free */
	uint16_t mss;           /* the server's, from its SYN-ACK; 0: none */
	uint8_t len;
	uint8_t cookie[TCP_TFO_COOKIE_MAX];
};

struct tcp_tfo_cache {
	struct tcp_tfo_entry e[TCP_TFO_CACHE];
};

/**
 * tcp_tfo_init() - the stack's cookie key (as Linux's key drawn at first
 * use)
 * @s: the stack
 *
 * Return: 0
 */
int tcp_tfo_init(struct stack *s)
{
	s->ops->random(s->ctx, s->tcp->tfo_key, sizeof(s->tcp->tfo_key));
	return 0;
}

/**
 * tcp_tfo_fini() - free the client's cookie cache
 * @s: the stack
 */
void tcp_tfo_fini(struct stack *s)
{
	free(s->tcp->tfo_cache);
	s->tcp->tfo_cache = NULL;
}

/**
 * tcp_tfo_state_change() - @sk leaves or enters a state: a Fast Open
 * child leaving SYN_RECEIVED no longer counts against its listener's
 * TCP_FASTOPEN queue
 * @sk: the socket
 * @st: its new state
 */
void tcp_tfo_state_change(struct tcp_sock *sk, enum tcp_state st)
{
	struct tcp_sock *l = sk->tfo_lsn;

	if (!sk->tfo_child || st == TCP_SYN_RECEIVED)
		return;
	sk->tfo_child = false;
	sk->tfo_lsn = NULL;
	if (l && l->lq && l->lq->tfo_qlen)
		l->lq->tfo_qlen--;
}

/**
 * tcp_tfo_sock_free() - @sk is freed: its keys, and no child points at it
 * @sk: the socket
 */
void tcp_tfo_sock_free(struct tcp_sock *sk)
{
	tcp_tfo_state_change(sk, TCP_CLOSED);
	if (!sk->lq)
		return;
	free(sk->lq->tfo_key);
	sk->lq->tfo_key = NULL;
	if (!sk->lq->tfo_qlen)
		return;
	for (struct tcp_sock *c = sk->s->tcp->all; c; c = c->all_next)
		if (c->tfo_child && c->tfo_lsn == sk)
			c->tfo_lsn = NULL;
}

/**
 * tcp_tfo_parse() - the Fast Open option's body, as Linux's
 * tcp_parse_fastopen_option(): an even length, 0 (a request) or 4 to 16
 * bytes of cookie; anything else is not an option
 * @o: the cookie bytes (after kind and length)
 * @len: their number
 * @seg: has_tfo, tfo_len, tfo_cookie set
 */
void tcp_tfo_parse(const uint8_t *o, uint8_t len, struct tcp_seg *seg)
{
	if (len & 1 || (len && (len < 4 || len > TCP_TFO_COOKIE_MAX)))
		return;
	seg->has_tfo = true;
	seg->tfo_len = len;
	memcpy(seg->tfo_cookie, o, len);
}

/**
 * tcp_tfo_syn_option() - the Fast Open option of the SYN or SYN-ACK being
 * built (what tcp_tfo_connect() or tcp_tfo_listen() left for it), padded
 * with NOPs to a multiple of 4 as Linux pads it
 * @sk: the socket
 * @o: where the option goes
 *
 * Return: its bytes, 0 for none
 */
uint8_t tcp_tfo_syn_option(const struct tcp_sock *sk, uint8_t *o)
{
	const struct tcp_table *t = sk->s->tcp;
	uint8_t n = (uint8_t)(2 + t->tfo_out_len);

	if (!t->tfo_out_on)
		return 0;
	o[0] = TCPOPT_FASTOPEN;
	o[1] = n;
	memcpy(o + 2, t->tfo_out, t->tfo_out_len);
	while (n % 4)
		o[n++] = TCPOPT_NOP;
	return n;
}

/* The cookie of the peer @src to our @dst under @key: SipHash-2-4 of
 * both addresses, 8 bytes, little-endian (Linux's
 * __tcp_fastopen_cookie_gen_cipher()) */
static void tfo_cookie_gen(const uint64_t key[2], const struct ip_addr *src,
			   const struct ip_addr *dst, uint8_t *out)
{
	uint8_t b[32];
	size_t n;
	uint64_t h;

	if (src->family == IP_V6) {
		memcpy(b, src->v6, 16);
		memcpy(b + 16, dst->v6, 16);
		n = 32;
	} else {
		memcpy(b, &src->v4, 4);
		memcpy(b + 4, &dst->v4, 4);
		n = 8;
	}
	h = inet_siphash(key, b, n);
	for (int i = 0; i < TCP_TFO_COOKIE_LEN; i++)
		out[i] = (uint8_t)(h >> (8 * i));
}

/* The keys that make and check @l's cookies: its own, or the stack's.
 * Return: how many (1 or 2) */
static unsigned tfo_keys(const struct tcp_sock *l, const uint64_t *k[2])
{
	const struct tcp_tfo_key *own = l->lq->tfo_key;

	if (!own) {
		k[0] = l->s->tcp->tfo_key;
		return 1;
	}
	k[0] = own->key[0];
	k[1] = own->key[1];
	return own->backup ? 2 : 1;
}

/* The SYN-ACK carries @l's current cookie for the SYN's sender */
static void tfo_give_cookie(struct tcp_sock *l, const struct tcp_seg *seg)
{
	struct tcp_table *t = l->s->tcp;
	const uint64_t *k[2];

	tfo_keys(l, k);
	tfo_cookie_gen(k[0], &seg->src, &seg->dst, t->tfo_out);
	t->tfo_out_len = TCP_TFO_COOKIE_LEN;
	t->tfo_out_on = true;
}

/* Linux's tcp_fastopen_cookie_gen_check(): 0 not valid, 1 under the
 * first key, 2 under the backup key */
static int tfo_cookie_check(const struct tcp_sock *l,
			    const struct tcp_seg *seg)
{
	const uint64_t *k[2];
	unsigned n = tfo_keys(l, k);
	uint8_t c[TCP_TFO_COOKIE_LEN];

	if (seg->tfo_len != TCP_TFO_COOKIE_LEN)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		tfo_cookie_gen(k[i], &seg->src, &seg->dst, c);
		if (!memcmp(c, seg->tfo_cookie, sizeof(c)))
			return (int)i + 1;
	}
	return 0;
}

/* Linux's tcp_fastopen_queue_check(): room among @l's Fast Open
 * children still in SYN_RECEIVED */
static bool tfo_queue_check(struct tcp_sock *l)
{
	if (!l->lq->tfo_max_qlen)
		return false;
	if (l->lq->tfo_qlen >= l->lq->tfo_max_qlen) {
		CNT(l->s, tcp_fastopen_listen_overflow);
		return false;
	}
	return true;
}

/* The child takes the SYN's data, as Linux's tcp_fastopen_add_skb(). */
static void tfo_take_syn_data(struct tcp_sock *c, const struct tcp_seg *seg)
{
	uint32_t n = seg->len;

	if (!n || tcp_bufs_alloc(c) || tcp_ring_ensure(c, &c->rcvq))
		return;
	if (n > tcp_ring_free(&c->rcvq))
		n = tcp_ring_free(&c->rcvq);
	tcp_ring_copy_in(&c->rcvq, c->rcvq.len, seg->data, n);
	tcp_info_data_rcvd(c, seg, n);
	c->rcvq.len += n;
	c->rcv_nxt += n;
	c->bytes_received += n;
	c->data_segs_in = 1;
	c->syn_data_acked = true;
}

/**
 * tcp_tfo_listen() - Fast Open for a SYN to @l, as Linux's
 * tcp_try_fastopen()
 * @l: the listener
 * @seg: the SYN
 * @c: the child made for it, not yet queued
 *
 * Leaves the SYN-ACK's cookie, if it gets one, for tcp_tfo_syn_option().
 *
 * Return: @c if it is a Fast Open connection (the SYN's data taken, to be
 * accepted at once), NULL for the ordinary handshake
 */
struct tcp_sock *tcp_tfo_listen(struct tcp_sock *l, const struct tcp_seg *seg,
				struct tcp_sock *c)
{
	struct stack *s = l->s;
	unsigned cfg = s->cfg.tcp_fastopen;
	int ok = 0;

	s->tcp->tfo_out_on = false;
	if (seg->has_tfo && seg->tfo_len == 0)
		CNT(s, tcp_fastopen_cookie_reqd);
	if (!(cfg & TCP_TFO_SERVER) || !(seg->len || seg->has_tfo) ||
	    !tfo_queue_check(l))
		return NULL;
	if ((cfg & TCP_TFO_SERVER_NO_COOKIE) || l->tfo_no_cookie) {
		ok = 1;
	} else if (seg->has_tfo && seg->tfo_len == 0) {
		tfo_give_cookie(l, seg);
	} else if (seg->has_tfo) {
		ok = tfo_cookie_check(l, seg);
		if (!ok)
			CNT(s, tcp_fastopen_passive_fail);
		/* a fresh cookie for a failed one, and for one made under
		 * the key going away */
		if (ok != 1)
			tfo_give_cookie(l, seg);
		if (ok == 2)
			CNT(s, tcp_fastopen_passive_altkey);
	}
	if (!ok)
		return NULL;
	CNT(s, tcp_fastopen_passive);
	tfo_take_syn_data(c, seg);
	/* it may send before the handshake ends: Linux's
	 * tcp_init_transfer() for the child */
	c->cwnd = s->cfg.tcp_init_cwnd * (uint32_t)c->mss;
	tcp_bufs_alloc(c);
	c->tfo_child = true;
	c->tfo_lsn = l;
	l->lq->tfo_qlen++;
	return c;
}

static struct tcp_tfo_entry *tfo_cache_find(struct stack *s,
					    const struct ip_addr *a)
{
	struct tcp_tfo_cache *c = s->tcp->tfo_cache;

	if (!c)
		return NULL;
	for (unsigned i = 0; i < TCP_TFO_CACHE; i++)
		if (c->e[i].used && ip_addr_eq(&c->e[i].addr, a))
			return &c->e[i];
	return NULL;
}

/* Keep @seg's cookie for @a, in the least recently used place if new */
static void tfo_cache_set(struct stack *s, const struct ip_addr *a,
			  const struct tcp_seg *seg)
{
	struct tcp_tfo_entry *e = tfo_cache_find(s, a);
	struct tcp_tfo_cache *c = s->tcp->tfo_cache;

	if (!c) {
		c = s->tcp->tfo_cache = calloc(1, sizeof(*c));
		if (!c)
			return;
	}
	if (!e) {
		e = &c->e[0];
		for (unsigned i = 1; i < TCP_TFO_CACHE && e->used; i++)
			if (!c->e[i].used || c->e[i].used < e->used)
				e = &c->e[i];
	}
	e->addr = *a;
	e->used = s->now ? s->now : 1;
	e->len = seg->tfo_len;
	memcpy(e->cookie, seg->tfo_cookie, seg->tfo_len);
	CNT(s, tcp_fastopen_cookies_cached);
}

/* Data a SYN may carry, as Linux's tcp_send_syn_data(): the path's MSS,
 * no more than the server's last (cached) or TCP_MAXSEG, less the most
 * options can take; the MSS at least 48 (TCP_MIN_SND_MSS) */
static uint32_t tfo_syn_space(struct tcp_sock *sk)
{
	const struct tcp_tfo_entry *e = tfo_cache_find(sk->s, &sk->raddr);
	uint32_t mss = tcp_mss_for_route(sk->s, &sk->raddr);

	if (e && e->mss && e->mss < mss)
		mss = e->mss;
	if (sk->user_mss && sk->user_mss < mss)
		mss = sk->user_mss;
	if (mss < 48)
		mss = 48;
	return mss - TCP_TFO_OPT_SPACE;
}

/**
 * tcp_tfo_defer() - TCP_FASTOPEN_CONNECT's connect, as Linux's
 * tcp_fastopen_defer_connect(): when the SYN could carry data (a cookie
 * cached, or none needed) it waits for the program's first data
 * (tcp_tfo_send_deferred()), connect() succeeding at once; without, the
 * SYN asking for a cookie goes now
 * @sk: the socket in SYN_SENT, after tcp_tfo_connect() without data
 *
 * Return: true if the SYN waits
 */
bool tcp_tfo_defer(struct tcp_sock *sk)
{
	struct tcp_table *t = sk->s->tcp;

	if (t->tfo_out_on && !t->tfo_out_len)
		return false;
	t->tfo_out_on = false;
	sk->syn_fastopen = false;
	sk->tfo_defer = true;
	return true;
}

/**
 * tcp_tfo_send_deferred() - the first data of a deferred connect came:
 * the SYN goes with the cookie (looked up again) and what fits of it, as
 * Linux's tcp_sendmsg_fastopen() from tcp_sendmsg() with DEFER_CONNECT
 * @sk: the socket, its data in the send ring
 */
void tcp_tfo_send_deferred(struct tcp_sock *sk)
{
	struct tcp_table *t = sk->s->tcp;
	uint32_t space;

	sk->tfo_defer = false;
	tcp_tfo_connect(sk, NULL, 0, true);
	if (!t->tfo_out_on || t->tfo_out_len) {
		space = tfo_syn_space(sk);
		t->tfo_out_data = sk->sndq.len < space ? sk->sndq.len : space;
		sk->syn_data = t->tfo_out_data != 0;
	}
	tcp_send_syn(sk);
}

/**
 * tcp_tfo_connect() - our SYN's Fast Open option and data, as Linux's
 * tcp_send_syn_data() with tcp_fastopen_cookie_check()
 * @sk: the socket, its SYN about to go, its rings allocated
 * @data: the program's bytes (MSG_FASTOPEN), or NULL
 * @len: their number
 * @syn_only: queue only what goes in the SYN (a non-blocking send: what
 *            is not taken, the program sends again); else all of @len
 *
 * Return: bytes queued
 */
uint32_t tcp_tfo_connect(struct tcp_sock *sk, const void *data, size_t len,
			 bool syn_only)
{
	struct stack *s = sk->s;
	struct tcp_table *t = s->tcp;
	struct tcp_tfo_entry *e = tfo_cache_find(s, &sk->raddr);
	bool with_data = true;
	uint32_t space, n;

	t->tfo_out_on = false;
	t->tfo_out_data = 0;
	sk->syn_fastopen = sk->syn_data = sk->syn_data_acked = false;
	if ((s->cfg.tcp_fastopen & TCP_TFO_CLIENT_NO_COOKIE) ||
	    sk->tfo_no_cookie) {
		/* data without a cookie, and without the option */
	} else if (e && e->len) {
		e->used = s->now ? s->now : 1;
		t->tfo_out_on = true;
		t->tfo_out_len = e->len;
		memcpy(t->tfo_out, e->cookie, e->len);
	} else {
		t->tfo_out_on = true;           /* a cookie request */
		t->tfo_out_len = 0;
		sk->tfo_client_fail = TFO_COOKIE_UNAVAILABLE;
		with_data = false;
	}
	sk->syn_fastopen = t->tfo_out_on;
	if (!len || !data || (!with_data && syn_only) || tcp_ring_ensure(sk,
								      &sk->sndq))
		return 0;
	space = tcp_ring_free(&sk->sndq);
	n = len < space ? (uint32_t)len : space;
	if (with_data) {
		space = tfo_syn_space(sk);
		if (n > space && syn_only)
			n = space;
		t->tfo_out_data = n < space ? n : space;
		sk->syn_data = t->tfo_out_data != 0;
	}
	tcp_ring_copy_in(&sk->sndq, sk->sndq.len, data, n);
	sk->sndq.len += n;
	return n;
}

/**
 * tcp_tfo_synack() - the SYN-ACK of a Fast Open connect, before the
 * handshake completes, as Linux's tcp_rcv_fastopen_synack()
 * @sk: the socket, in SYN_SENT
 * @seg: the SYN-ACK, its ACK acceptable
 *
 * Its cookie is cached (an unasked one ignored); the SYN's data it
 * acknowledges leaves the send ring, and what it does not is sent again
 * after the handshake as new data.
 */
void tcp_tfo_synack(struct tcp_sock *sk, const struct tcp_seg *seg)
{
	struct stack *s = sk->s;
	struct tcp_tfo_entry *e;
	uint32_t acked, sent;

	if (!sk->tfo_req)
		return;
	if (sk->syn_fastopen && seg->has_tfo && seg->tfo_len)
		tfo_cache_set(s, &sk->raddr, seg);
	/* the server's MSS bounds the next SYN's data */
	e = tfo_cache_find(s, &sk->raddr);
	if (e && seg->has_mss)
		e->mss = seg->mss;
	if (!sk->syn_data)
		return;
	sent = sk->snd_max - sk->iss - 1;
	acked = seg->ack - sk->iss - 1;
	if (acked) {
		sk->sndq.head = (sk->sndq.head + acked) % sk->sndq.cap;
		sk->sndq.len -= acked;
		sk->sndq_seq += acked;
		sk->bytes_acked += acked;
	}
	if (acked == sent) {
		sk->snd_nxt = sk->snd_max;      /* the SYN may have gone again */
		sk->syn_data_acked = true;
		CNT(s, tcp_fastopen_active);
		return;
	}
	/* the rest goes again once established, counted as resent */
	sk->tfo_client_fail = sk->backoff ? TFO_SYN_RETRANSMITTED :
					    TFO_DATA_NOT_ACKED;
	CNT(s, tcp_fastopen_active_fail);
	sk->total_retrans++;
	sk->bytes_retrans += sent - acked;
	s->cnt.tcp_retrans_segs++;
	sk->snd_nxt = sk->snd_max = seg->ack;
}
