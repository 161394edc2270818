/* SPDX-License-Identifier: MIT */
/*
 * udp.c - UDP (RFC 768, RFC 1122 4.1.3)
 *
 * Theory of operation. A socket is bound to a local (address, port), where
 * address 0 means any of ours, and may be connected to one peer. Input:
 * check the header and the checksum (zero means none over IPv4, RFC 768),
 * then find the socket as Linux does: for a unicast datagram the one that
 * matches most specifically (connected to this source beats bound to this
 * address beats bound to any); a broadcast datagram goes to every socket
 * bound to the port (on any address or on that broadcast address). No
 * socket: ICMP port unreachable (RFC 1122 4.1.3.1), never for broadcasts.
 *
 * A datagram is queued on its socket (dgram.c: with its TTL, TOS,
 * addresses and time of arrival) while the queues hold at most SO_RCVBUF
 * bytes of buffers (Linux's rule: admit while what is charged does not
 * exceed the limit); beyond, it is dropped and counted. The host is told
 * with DGRAM_EV_READABLE and takes datagrams out through udp_dgram().
 *
 * An ICMP error quoting one of our datagrams goes to the socket that
 * would receive a reply from where that datagram went (Linux's
 * __udp4_lib_err looks it up like input). What it means (dgram.c):
 * without IP_RECVERR only a hard error on a connected socket, e.g. port
 * unreachable as ECONNREFUSED; with IP_RECVERR every error, queued for
 * MSG_ERRQUEUE with what the ICMP message quoted of our payload. The
 * pending error is reported once by the next call: SO_ERROR, a receive,
 * or a send, which then sends nothing (as sock_alloc_send_skb does).
 *
 * Output never queues: a datagram goes to IPv4 at once, fragmented if it
 * exceeds the MTU, and a full link transmit queue is reported to the
 * caller as -ENOBUFS (the lwIP guide's warning, and never silent loss).
 * Binding follows Linux: ports below 1024 are the host's to police (it
 * knows the caller's uid), SO_REUSEADDR or SO_REUSEPORT on both sockets
 * lets them share a port, an unbound socket gets an ephemeral port from
 * 32768..60999 on its first send or connect.
 */
#include "udp.h"

#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "icmp.h"
#include "ipv4.h"
#include "stack_impl.h"

struct udp_sock {
	struct udp_sock *next;
	struct dgram dg;             /* queues, pending error, IP options */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	bool connected;
	bool bound_addr, bound_port; /* bind fixed them: disconnect keeps them */
	bool reuseaddr, reuseport;
};

/**
 * udp_open() - a new, unbound UDP socket
 * @s: the engine
 * @out: set to the socket
 *
 * Return: 0, or -ENOMEM
 */
int udp_open(struct stack *s, struct udp_sock **out)
{
	struct udp_sock *us = calloc(1, sizeof(*us));

	if (!us)
		return -ENOMEM;
	dgram_init(&us->dg, s, DGRAM_UDP);
	us->next = s->udp.head;
	s->udp.head = us;
	s->udp.count++;
	*out = us;
	return 0;
}

/**
 * udp_close() - free a socket and what it has queued
 * @us: the socket
 */
void udp_close(struct udp_sock *us)
{
	struct stack *s = us->dg.s;
	struct udp_sock **pp = &s->udp.head;

	while (*pp != us)
		pp = &(*pp)->next;
	*pp = us->next;
	s->udp.count--;
	dgram_fini(&us->dg);
	free(us);
}

/* The common part: queues, errors, IP options (dgram.h). */
struct dgram *udp_dgram(struct udp_sock *us)
{
	return &us->dg;
}

void udp_set_user(struct udp_sock *us, void *user)
{
	dgram_set_user(&us->dg, user);
}

void *udp_user(const struct udp_sock *us)
{
	return dgram_user(&us->dg);
}

static bool udp_addrs_overlap(uint32_t a, uint32_t b)
{
	return a == 0 || b == 0 || a == b;
}

/* May @us take (@addr, @port)? Linux's rules for UDP, without uids. */
static bool udp_port_free(const struct stack *s, const struct udp_sock *us,
			  uint32_t addr, uint16_t port)
{
	for (const struct udp_sock *o = s->udp.head; o; o = o->next) {
		if (o == us || o->lport != port ||
		    !udp_addrs_overlap(o->laddr, addr))
			continue;
		if (us->reuseaddr && o->reuseaddr)
			continue;
		if (us->reuseport && o->reuseport)
			continue;
		return false;
	}
	return true;
}

static int udp_autobind(struct udp_sock *us)
{
	struct stack *s = us->dg.s;
	unsigned range = UDP_PORT_HI - UDP_PORT_LO + 1;
	unsigned start = stack_random32(s) % range;

	if (us->lport)
		return 0;
	for (unsigned i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(UDP_PORT_LO + (start + i) % range);

		if (udp_port_free(s, us, us->laddr, port)) {
			us->lport = port;
			return 0;
		}
	}
	CNT(s, udp_no_ports);
	return -EAGAIN;
}

/**
 * udp_bind() - give the socket its local address and port
 * @us: the socket
 * @addr: one of our addresses, a broadcast or multicast address, or 0
 * @port: the port, or 0 for an ephemeral one
 *
 * Return: 0, -EINVAL (already bound), -EADDRNOTAVAIL (not our address),
 * -EADDRINUSE, -EAGAIN (no ephemeral port left)
 */
int udp_bind(struct udp_sock *us, uint32_t addr, uint16_t port)
{
	struct stack *s = us->dg.s;

	if (us->lport)
		return -EINVAL;
	if (addr && !stack_is_local_addr(s, addr) &&
	    !stack_is_broadcast(s, addr) && !ipv4_is_multicast(addr))
		return -EADDRNOTAVAIL;
	if (port && !udp_port_free(s, us, addr, port))
		return -EADDRINUSE;
	us->laddr = addr;
	us->bound_addr = addr != 0;
	if (port) {
		us->lport = port;
		us->bound_port = true;
		return 0;
	}
	return udp_autobind(us);
}

/*
 * The source address for datagrams to @dst, or 0 if there is no route.
 * As in Linux, the limited broadcast needs a route (the default one) or a
 * socket bound to one of our addresses.
 */
static uint32_t udp_source(struct stack *s, uint32_t laddr, uint32_t dst)
{
	const struct route *r = route_lookup(s, dst);

	if (dst == IPV4_BROADCAST && laddr && stack_is_local_addr(s, laddr))
		return laddr;
	return r ? route_source(s, r, dst) : 0;
}

/* Linux's ip_route_output(): a destination of 0.0.0.0 is the bound
 * address, or 127.0.0.1. */
static uint32_t udp_any_dst(const struct udp_sock *us)
{
	if (us->laddr && stack_is_local_addr(us->dg.s, us->laddr))
		return us->laddr;
	return IPV4(127, 0, 0, 1);
}

/**
 * udp_connect() - set the only peer to and from which datagrams go
 * @us: the socket
 * @addr: peer address (0 means our bound address or 127.0.0.1, as Linux)
 * @port: peer port, not 0
 *
 * Binds an unbound socket to an ephemeral port and fixes its source
 * address from the route, as Linux does.
 *
 * Return: 0, -EINVAL (port 0; bound to 127/8, to a peer not ours),
 * -ENETUNREACH, -EACCES (broadcast without SO_BROADCAST), -EAGAIN (no
 * ephemeral port)
 */
int udp_connect(struct udp_sock *us, uint32_t addr, uint16_t port)
{
	struct stack *s = us->dg.s;
	uint32_t src;
	int rc;

	if (!addr)
		addr = udp_any_dst(us);
	if (ipv4_is_loopback(us->laddr) && !stack_is_local_addr(s, addr))
		return -EINVAL;
	src = udp_source(s, us->laddr, addr);
	if (!src)
		return -ENETUNREACH;
	if (stack_is_broadcast(s, addr) && !us->dg.broadcast)
		return -EACCES;
	rc = udp_autobind(us);
	if (rc)
		return rc;
	if (!us->laddr && !stack_is_broadcast(s, addr) &&
	    !ipv4_is_multicast(addr))
		us->laddr = src;
	us->raddr = addr;
	us->rport = port;
	us->connected = true;
	return 0;
}

/**
 * udp_disconnect() - connect to AF_UNSPEC: forget the peer
 * @us: the socket
 *
 * As Linux's __udp_disconnect(): what bind did not fix goes too, the
 * source address connect chose and the ephemeral port (the next send or
 * connect takes a new one).
 *
 * Return: 0
 */
int udp_disconnect(struct udp_sock *us)
{
	us->connected = false;
	us->raddr = 0;
	us->rport = 0;
	if (!us->bound_addr)
		us->laddr = 0;
	if (!us->bound_port)
		us->lport = 0;
	return 0;
}

static int udp_output(struct udp_sock *us, const void *buf, size_t len,
		      uint32_t dst, uint16_t dport, const struct dgram_tx *tx)
{
	struct stack *s = us->dg.s;
	uint32_t src = tx && tx->src ? tx->src : us->laddr;
	struct pbuf *p;
	uint8_t *h;
	uint16_t ck;
	int rc;

	if (!src || stack_is_broadcast(s, src) || ipv4_is_multicast(src))
		src = udp_source(s, us->laddr, dst);
	if (!src) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, UDP_HLEN + len);
	if (!p) {
		CNT(s, udp_tx_nomem);
		return -ENOBUFS;
	}
	h = p->data;
	put16(h, us->lport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(UDP_HLEN + len));
	put16(h + 6, 0);
	if (len)
		memcpy(h + UDP_HLEN, buf, len);
	ck = inet_fold(inet_sum(h, UDP_HLEN + len,
				inet_pseudo_sum(src, dst, IP_PROTO_UDP,
						(uint16_t)(UDP_HLEN + len))));
	put16(h + 6, ck ? ck : 0xffff);
	rc = dgram_output(&us->dg, p, src, dst, IP_PROTO_UDP,
			  us->connected ? us->rport : 0, tx);
	if (rc < 0) {
		if (rc == -ENOBUFS)
			CNT(s, udp_tx_nobufs);
		else
			CNT(s, udp_tx_err);
		return rc;
	}
	CNT(s, udp_tx);
	return 0;
}

/**
 * udp_sendto() - send one datagram
 * @us: the socket
 * @buf: payload
 * @len: its length, at most 65507
 * @dst: destination address, or NULL for the connected peer
 * @dport: destination port (ignored with @dst NULL)
 * @now: current time
 *
 * Return: as udp_sendmsg()
 */
int udp_sendto(struct udp_sock *us, const void *buf, size_t len,
	       const uint32_t *dst, uint16_t dport, uint64_t now)
{
	return udp_sendmsg(us, buf, len, dst, dport, NULL, now);
}

/* An IP_PKTINFO source must be one of our addresses (Linux: no route). */
static int udp_check_tx(struct stack *s, const struct dgram_tx *tx)
{
	if (tx && tx->src && !stack_is_local_addr(s, tx->src)) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	return 0;
}

/**
 * udp_sendmsg() - send one datagram, with per-datagram IP options
 * @us: the socket
 * @buf: payload
 * @len: its length, at most 65507
 * @dst: destination address, or NULL for the connected peer
 * @dport: destination port (ignored with @dst NULL)
 * @tx: TTL, TOS and source from the sendmsg's control messages, or NULL
 * @now: current time
 *
 * A pending error (an ICMP error since the last call) is returned
 * instead of sending, and cleared, as Linux reports it.
 *
 * Return: 0 (the datagram went to the link, or waits for ARP), or
 * -EDESTADDRREQ, -EINVAL (port 0), -EMSGSIZE, -EACCES (broadcast without
 * SO_BROADCAST), -ENETUNREACH (no route; checked first, as Linux does),
 * -ENOBUFS (no memory, or the link's transmit queue is full: not sent,
 * the caller may retry), -EAGAIN (no port), or the pending error
 */
int udp_sendmsg(struct udp_sock *us, const void *buf, size_t len,
		const uint32_t *dst, uint16_t dport,
		const struct dgram_tx *tx, uint64_t now)
{
	struct stack *s = us->dg.s;
	uint32_t daddr;
	int rc;

	s->now = now;
	if (!dst) {
		if (!us->connected)
			return -EDESTADDRREQ;
		daddr = us->raddr;
		dport = us->rport;
	} else {
		daddr = *dst ? *dst : udp_any_dst(us);
		if (!dport)
			return -EINVAL;
	}
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (!udp_source(s, us->laddr, daddr)) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	rc = udp_check_tx(s, tx);
	if (rc)
		return rc;
	if (stack_is_broadcast(s, daddr) && !us->dg.broadcast)
		return -EACCES;
	rc = udp_autobind(us);
	if (rc)
		return rc;
	rc = udp_output(us, buf, len, daddr, dport, tx);
	ipv4_loop_drain(s);      /* a datagram to ourselves arrives now */
	return rc;
}

/**
 * udp_recv_peek() - the datagram at the head of the queue
 * @us: the socket
 * @m: set to its addresses and length
 *
 * Return: its payload (valid until udp_recv_next()), or NULL if none
 */
const uint8_t *udp_recv_peek(struct udp_sock *us, struct udp_meta *m)
{
	struct dgram_info in;
	const uint8_t *d;
	size_t len;

	d = dgram_recv_peek(&us->dg, &in, &len);
	if (!d)
		return NULL;
	m->src = in.src;
	m->dst = in.dst;
	m->sport = in.sport;
	m->dport = in.dport;
	m->len = (uint32_t)len;
	return d;
}

/**
 * udp_recv_next() - drop the datagram at the head of the queue
 * @us: the socket
 */
void udp_recv_next(struct udp_sock *us)
{
	dgram_recv_next(&us->dg);
}

size_t udp_recv_queued(const struct udp_sock *us)
{
	return dgram_recv_queued(&us->dg);
}

/**
 * udp_sock_error() - take the pending error
 * @us: the socket
 *
 * Return: 0, or the negative errno pending, which is then cleared
 */
int udp_sock_error(struct udp_sock *us)
{
	return dgram_take_error(&us->dg);
}

/**
 * udp_setsockopt() - set an option
 * @us: the socket
 * @opt: which
 * @val: its value
 *
 * Return: 0, or -ENOPROTOOPT
 */
int udp_setsockopt(struct udp_sock *us, enum udp_sockopt opt, int val)
{
	switch (opt) {
	case UDP_SO_RCVBUF:
		return dgram_setopt(&us->dg, DGRAM_SO_RCVBUF, val);
	case UDP_SO_RCVBUFFORCE:
		return dgram_setopt(&us->dg, DGRAM_SO_RCVBUFFORCE, val);
	case UDP_SO_SNDBUF:
		return dgram_setopt(&us->dg, DGRAM_SO_SNDBUF, val);
	case UDP_SO_SNDBUFFORCE:
		return dgram_setopt(&us->dg, DGRAM_SO_SNDBUFFORCE, val);
	case UDP_SO_BROADCAST:
		return dgram_setopt(&us->dg, DGRAM_SO_BROADCAST, val);
	case UDP_SO_REUSEADDR:
		us->reuseaddr = val != 0;
		return 0;
	case UDP_SO_REUSEPORT:
		us->reuseport = val != 0;
		return 0;
	}
	return -ENOPROTOOPT;
}

int udp_getsockopt(const struct udp_sock *us, enum udp_sockopt opt, int *val)
{
	switch (opt) {
	case UDP_SO_RCVBUF:
		return dgram_getopt(&us->dg, DGRAM_SO_RCVBUF, val);
	case UDP_SO_SNDBUF:
		return dgram_getopt(&us->dg, DGRAM_SO_SNDBUF, val);
	case UDP_SO_BROADCAST:
		return dgram_getopt(&us->dg, DGRAM_SO_BROADCAST, val);
	case UDP_SO_REUSEADDR:
		*val = us->reuseaddr;
		return 0;
	case UDP_SO_REUSEPORT:
		*val = us->reuseport;
		return 0;
	case UDP_SO_RCVBUFFORCE:
	case UDP_SO_SNDBUFFORCE:
		break;               /* Linux: set only */
	}
	return -ENOPROTOOPT;
}

void udp_getsockname(const struct udp_sock *us, uint32_t *addr,
		     uint16_t *port)
{
	*addr = us->laddr;
	*port = us->lport;
}

int udp_getpeername(const struct udp_sock *us, uint32_t *addr,
		    uint16_t *port)
{
	if (!us->connected)
		return -ENOTCONN;
	*addr = us->raddr;
	*port = us->rport;
	return 0;
}

unsigned udp_sock_count(const struct stack *s)
{
	return s->udp.count;
}

/* Queue a datagram (payload in @p) on @us; consumes @p. */
static void udp_queue(struct udp_sock *us, struct pbuf *p,
		      const struct udp_meta *m, const struct ipv4_rx *rx)
{
	struct stack *s = us->dg.s;
	struct dgram_info in;
	int rc;

	dgram_info_rx(s, rx, &in);
	in.sport = m->sport;
	in.dport = m->dport;
	rc = dgram_queue(&us->dg, p, &in);
	if (rc == -ENOBUFS)
		CNT(s, udp_rx_rcvbuf);
	else if (rc)
		CNT(s, udp_rx_nomem);
	else
		CNT(s, udp_rx_delivered);
}

/* 0: no match; otherwise higher is more specific (Linux's scoring). */
static int udp_match(const struct udp_sock *us, const struct udp_meta *m,
		     bool bcast)
{
	int score = 1;

	if (us->lport != m->dport)
		return 0;
	if (us->laddr) {
		if (us->laddr != m->dst)
			return 0;
		score += 2;
	}
	if (us->connected) {
		if (us->raddr != m->src || us->rport != m->sport)
			return 0;
		score += 4;
	}
	(void)bcast;
	return score;
}

static int udp_parse(struct stack *s, struct pbuf *p,
		     const struct ipv4_rx *rx, struct udp_meta *m)
{
	uint16_t ulen, ck;

	if (p->len < UDP_HLEN) {
		CNT(s, udp_rx_short);
		return -1;
	}
	ulen = get16(p->data + 4);
	if (ulen < UDP_HLEN || ulen > p->len) {
		CNT(s, udp_rx_bad_len);
		return -1;
	}
	pbuf_trim(p, ulen);
	ck = get16(p->data + 6);
	if (ck && inet_fold(inet_sum(p->data, ulen,
				     inet_pseudo_sum(rx->h.src, rx->h.dst,
						     IP_PROTO_UDP, ulen))) != 0) {
		CNT(s, udp_rx_bad_cksum);
		return -1;
	}
	m->src = rx->h.src;
	m->dst = rx->h.dst;
	m->sport = get16(p->data);
	m->dport = get16(p->data + 2);
	m->len = ulen - UDP_HLEN;
	return 0;
}

/* A broadcast goes to every socket on the port; each gets a copy. */
static void udp_deliver_bcast(struct stack *s, struct pbuf *p,
			      const struct udp_meta *m,
			      const struct ipv4_rx *rx)
{
	struct udp_sock *last = NULL;

	for (struct udp_sock *us = s->udp.head; us; us = us->next) {
		struct pbuf *c;

		if (!udp_match(us, m, true))
			continue;
		if (last) {
			c = pbuf_copy(&s->pool, sizeof(struct dgram_info),
				      p->data, p->len);
			if (c)
				udp_queue(last, c, m, rx);
			else
				CNT(s, udp_rx_nomem);
		}
		last = us;
	}
	if (last) {
		udp_queue(last, p, m, rx);
		return;
	}
	CNT(s, udp_rx_no_port_bcast);
	pbuf_free(p);
}

/* The socket a unicast datagram @m is for, the most specific one. */
static struct udp_sock *udp_lookup(struct stack *s, const struct udp_meta *m)
{
	struct udp_sock *best = NULL;
	int best_score = 0;

	for (struct udp_sock *us = s->udp.head; us; us = us->next) {
		int sc = udp_match(us, m, false);

		if (sc > best_score) {
			best = us;
			best_score = sc;
		}
	}
	return best;
}

/**
 * udp_input() - a UDP datagram arrived; consumes @p
 * @s: the engine
 * @p: the datagram, data at the UDP header
 * @rx: what IPv4 learned about it
 */
void udp_input(struct stack *s, struct pbuf *p, const struct ipv4_rx *rx)
{
	struct udp_sock *us;
	struct udp_meta m;

	CNT(s, udp_rx);
	if (udp_parse(s, p, rx, &m)) {
		pbuf_free(p);
		return;
	}
	pbuf_pull(p, UDP_HLEN);
	if (rx->to_bcast || rx->l2_bcast || ipv4_is_multicast(m.dst)) {
		udp_deliver_bcast(s, p, &m, rx);
		return;
	}
	us = udp_lookup(s, &m);
	if (us) {
		udp_queue(us, p, &m, rx);
		return;
	}
	/* RFC 1122 4.1.3.1: port unreachable, quoting the datagram */
	CNT(s, udp_rx_no_port);
	pbuf_push(p, UDP_HLEN);
	icmp_send_error(s, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, rx->hdr,
			rx->h.hlen + p->len);
	pbuf_free(p);
}

/**
 * udp_icmp_error() - an ICMP error quoted one of our datagrams
 * @s: the engine
 * @e: the error (icmp.c checked its quoted header and 8 bytes)
 *
 * RFC 1122 4.1.3.3: UDP passes ICMP errors to the application. The
 * socket is the one a reply from the quoted destination would reach.
 */
void udp_icmp_error(struct stack *s, const struct icmp_err *e)
{
	const uint8_t *u = e->orig + e->hlen;
	struct udp_meta m = {
		.src = get32(e->orig + 16), .dst = get32(e->orig + 12),
		.sport = get16(u + 2), .dport = get16(u),
	};
	struct dgram_ee ee = {
		.origin = DGRAM_EE_ICMP, .type = e->type, .code = e->code,
		.info = e->info, .offender = e->rx->h.src, .addr = m.src,
		.port = m.sport,
	};
	struct dgram_info in;
	struct udp_sock *us;
	bool hard;

	CNT(s, udp_icmp_rx);
	us = udp_lookup(s, &m);
	if (!us)
		return;
	ee.err = (uint32_t)dgram_icmp_errno(&us->dg, e->type, e->code, &hard);
	if (!ee.err)
		return;
	dgram_info_rx(s, e->rx, &in);
	in.spec_dst = 0;         /* Linux leaves it unset for errors */
	if (dgram_report(&us->dg, &ee, hard, us->connected, &in,
			 u + UDP_HLEN, e->len - e->hlen - UDP_HLEN))
		CNT(s, udp_icmp_err);
}

/* Free every socket: the host is gone (stack_free). */
void udp_fini(struct stack *s)
{
	while (s->udp.head)
		udp_close(s->udp.head);
}
