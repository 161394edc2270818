/* SPDX-License-Identifier: MIT */
/*
 * ping.c - ICMP echo datagram sockets ("ping sockets", Linux's
 * net/ipv4/ping.c), so that ping and traceroute -I work without root
 *
 * Theory of operation. The socket owns an echo identifier, its "port"
 * (getsockname shows it in sin_port): the one bind gives, or else the
 * next free one after the last handed out (Linux's ping_port_rover) at
 * the first connect or send. The program sends an ICMP echo request,
 * header and data (RFC 792); the stack keeps its type, code and sequence
 * number, writes the socket's identifier and computes the checksum.
 * An echo reply whose identifier is the socket's (and whose destination
 * is its bound address, if any) is queued whole, ICMP header and data,
 * from whichever host it comes: Linux does not filter on the connected
 * peer. A connected socket only gives send its default destination.
 *
 * An ICMP error quoting one of our echo requests reaches the socket with
 * the quoted identifier. Its errno is UDP's (dgram.c), but source quench
 * and redirect, which ping wants to see, are EREMOTEIO (ping_err).
 * Without IP_RECVERR only a hard error on a connected socket is kept.
 * Every uid may open a ping socket: ustack acts as a kernel whose
 * net.ipv4.ping_group_range admits every group (ustack(7)).
 */
#include "ping.h"

#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "icmp.h"
#include "ip.h"
#include "ipv4.h"
#include "stack_impl.h"

struct ping_sock {
	struct ping_sock *next;
	struct dgram dg;
	uint32_t laddr, raddr;
	uint16_t ident;              /* 0 until bound */
	uint16_t rport;              /* as connect gave it (getpeername) */
	bool connected;
	bool bound_addr, bound_ident;    /* set by bind, kept by disconnect */
	bool reuseaddr;
};

/**
 * ping_open() - a new ping socket, without an identifier yet
 * @s: the engine
 * @out: set to the socket
 *
 * Return: 0, or -ENOMEM
 */
int ping_open(struct stack *s, struct ping_sock **out)
{
	struct ping_sock *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return -ENOMEM;
	dgram_init(&ps->dg, s, DGRAM_PING);
	ps->reuseaddr = true;        /* INET_PROTOSW_REUSE: sk_reuse by default */
	ps->next = s->ping->head;
	s->ping->head = ps;
	s->ping->count++;
	*out = ps;
	return 0;
}

/**
 * ping_close() - free a socket and what it has queued
 * @ps: the socket
 */
void ping_close(struct ping_sock *ps)
{
	struct stack *s = ps->dg.s;
	struct ping_sock **pp = &s->ping->head;

	while (*pp != ps)
		pp = &(*pp)->next;
	*pp = ps->next;
	s->ping->count--;
	dgram_fini(&ps->dg);
	free(ps);
}

struct dgram *ping_dgram(struct ping_sock *ps)
{
	return &ps->dg;
}

unsigned ping_sock_count(const struct stack *s)
{
	return s->ping->count;
}

/* Another socket holds @ident (and they do not both allow reuse). */
static bool ping_ident_taken(const struct stack *s,
			     const struct ping_sock *ps, uint16_t ident,
			     bool reuse_ok)
{
	for (const struct ping_sock *o = s->ping->head; o; o = o->next)
		if (o != ps && o->ident == ident &&
		    !(reuse_ok && o->reuseaddr && ps->reuseaddr))
			return true;
	return false;
}

/* ping_get_port(): @ident, or the next free one after the rover. */
static int ping_get_ident(struct ping_sock *ps, uint16_t ident)
{
	struct stack *s = ps->dg.s;
	uint16_t id = (uint16_t)(s->ping->rover + 1);

	if (ident) {
		if (ping_ident_taken(s, ps, ident, true))
			return -EADDRINUSE;
		ps->ident = ident;
		return 0;
	}
	for (unsigned i = 0; i < 65536; i++, id++) {
		if (!id)
			id++;
		if (ping_ident_taken(s, ps, id, false))
			continue;
		s->ping->rover = id;
		ps->ident = id;
		return 0;
	}
	CNT(s, ping_no_idents);
	return -EAGAIN;
}

static int ping_autobind(struct ping_sock *ps)
{
	return ps->ident ? 0 : ping_get_ident(ps, 0);
}

/**
 * ping_bind() - give the socket its address and identifier
 * @ps: the socket
 * @addr: one of our addresses, or 0
 * @ident: the identifier, or 0 for the next free one
 *
 * Any identifier, even below 1024, for any uid, as in Linux.
 *
 * Return: 0, -EADDRNOTAVAIL (not our unicast address), -EINVAL (already
 * bound), -EADDRINUSE, -EAGAIN (no identifier left)
 */
int ping_bind(struct ping_sock *ps, uint32_t addr, uint16_t ident)
{
	struct stack *s = ps->dg.s;
	int rc;

	if (addr && !stack_is_local_addr(s, addr))
		return -EADDRNOTAVAIL;
	if (ps->ident)
		return -EINVAL;
	rc = ping_get_ident(ps, ident);
	if (rc)
		return rc == -EAGAIN ? -EADDRINUSE : rc;
	ps->laddr = addr;
	ps->bound_addr = addr != 0;
	ps->bound_ident = ident != 0;
	ps->connected = false;
	ps->raddr = 0;
	ps->rport = 0;
	return 0;
}

/* The source for @dst, or 0 without a route. */
static uint32_t ping_source(struct stack *s, uint32_t dst)
{
	const struct route *r = route_lookup(s, dst);

	return r ? route_source(s, r, dst) : 0;
}

/**
 * ping_connect() - the default destination of send
 * @ps: the socket
 * @addr: the peer (0: our own first address, as in Linux)
 * @port: kept for getpeername, as Linux keeps it
 *
 * Return: 0, -ENETUNREACH, -EACCES (broadcast without SO_BROADCAST),
 * -EAGAIN (no identifier left)
 */
int ping_connect(struct ping_sock *ps, uint32_t addr, uint16_t port)
{
	struct stack *s = ps->dg.s;
	uint32_t src;
	int rc;

	rc = ping_autobind(ps);
	if (rc)
		return rc;
	if (!addr)
		addr = s->nif.addr[0].addr;
	src = stack_is_local_addr(s, addr) ? addr : ping_source(s, addr);
	if (!src)
		return -ENETUNREACH;
	if (stack_is_broadcast(s, addr) && !ps->dg.broadcast)
		return -EACCES;
	if (!ps->laddr && !stack_is_broadcast(s, addr) &&
	    !ipv4_is_multicast(addr))
		ps->laddr = src;
	ps->raddr = addr;
	ps->rport = port;
	ps->connected = true;
	return 0;
}

/**
 * ping_disconnect() - connect to AF_UNSPEC (__udp_disconnect)
 * @ps: the socket
 *
 * What bind did not fix is forgotten: the address, and the identifier,
 * which the next send chooses anew.
 *
 * Return: 0
 */
int ping_disconnect(struct ping_sock *ps)
{
	ps->connected = false;
	ps->raddr = 0;
	ps->rport = 0;
	if (!ps->bound_addr)
		ps->laddr = 0;
	if (!ps->bound_ident)
		ps->ident = 0;
	return 0;
}

void ping_getsockname(const struct ping_sock *ps, uint32_t *addr,
		      uint16_t *ident)
{
	*addr = ps->laddr;
	*ident = ps->ident;
}

/* As inet_getname(): a peer connected with port 0 is no peer to show. */
int ping_getpeername(const struct ping_sock *ps, uint32_t *addr,
		     uint16_t *port)
{
	if (!ps->connected || !ps->rport)
		return -ENOTCONN;
	*addr = ps->raddr;
	*port = ps->rport;
	return 0;
}

int ping_set_reuseaddr(struct ping_sock *ps, bool on)
{
	ps->reuseaddr = on;
	return 0;
}

/* ping_supported(): an echo request (RFC 792) or extended (RFC 8335). */
static bool ping_type_ok(uint8_t type, uint8_t code)
{
	return (type == ICMP_ECHO || type == ICMP_EXT_ECHO) && code == 0;
}

/* Build the request: the program's header, our identifier, a checksum. */
static int ping_output(struct ping_sock *ps, const uint8_t *buf, size_t len,
		       uint32_t dst, const struct dgram_tx *tx)
{
	struct stack *s = ps->dg.s;
	struct icmp_hdr h = { .type = buf[0], .code = buf[1],
			      .rest = (uint32_t)ps->ident << 16 | get16(buf + 6) };
	uint32_t src = tx && tx->src ? tx->src : ps->laddr;
	struct pbuf *p;
	int rc;

	if (!src || stack_is_broadcast(s, src) || ipv4_is_multicast(src))
		src = stack_is_local_addr(s, dst) ? dst : ping_source(s, dst);
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, len);
	if (!p) {
		CNT(s, icmp_tx_err);
		return -ENOBUFS;
	}
	memcpy(p->data + ICMP_HLEN, buf + ICMP_HLEN, len - ICMP_HLEN);
	icmp_build(p->data, p->len, &h);
	rc = dgram_output(&ps->dg, p, src, dst, IP_PROTO_ICMP, 0, tx);
	if (rc < 0) {
		CNT(s, icmp_tx_err);
		return rc;
	}
	CNT(s, ping_tx);
	return 0;
}

/* ping_v4_sendmsg()'s checks, in its order, before anything is built. */
static int ping_check(struct ping_sock *ps, const uint8_t *buf, size_t len,
		      const uint32_t *dst, const struct dgram_tx *tx,
		      uint32_t *daddr)
{
	struct stack *s = ps->dg.s;

	if (len > 0xffff)
		return -EMSGSIZE;
	if (len < ICMP_HLEN)
		return -EINVAL;
	if (!ping_type_ok(buf[0], buf[1]))
		return -EINVAL;
	if (!dst && !ps->connected)
		return -EDESTADDRREQ;
	*daddr = dst ? *dst : ps->raddr;
	if (!*daddr)
		*daddr = s->nif.addr[0].addr;
	if (tx && tx->src && !stack_is_local_addr(s, tx->src))
		return -ENETUNREACH;
	if (!stack_is_local_addr(s, *daddr) && !ping_source(s, *daddr)) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	if (stack_is_broadcast(s, *daddr) && !ps->dg.broadcast)
		return -EACCES;
	return 0;
}

/**
 * ping_sendmsg() - send one echo request
 * @ps: the socket
 * @buf: the ICMP message: echo header (identifier and checksum ignored)
 *       and data
 * @len: its length, 8..65515
 * @dst: destination, or NULL for the connected peer
 * @tx: TTL, TOS and source from the sendmsg's control messages, or NULL
 * @now: current time
 *
 * Return: 0, or -EAGAIN (no identifier left), -EMSGSIZE, -EINVAL (short,
 * not an echo request), -EDESTADDRREQ, -ENETUNREACH, -EACCES (broadcast
 * without SO_BROADCAST), -ENOBUFS, or the pending error (sent nothing)
 */
int ping_sendmsg(struct ping_sock *ps, const void *buf, size_t len,
		 const uint32_t *dst, const struct dgram_tx *tx,
		 uint64_t now)
{
	struct stack *s = ps->dg.s;
	uint32_t daddr;
	int rc;

	s->now = now;
	rc = ping_autobind(ps);
	if (rc)
		return rc;
	rc = ping_check(ps, buf, len, dst, tx, &daddr);
	if (rc)
		return rc;
	rc = ping_output(ps, buf, len, daddr, tx);
	ip_loop_drain(s);
	return rc;
}

/* The socket for identifier @ident reached at our address @dst. */
static struct ping_sock *ping_lookup(struct stack *s, uint16_t ident,
				     uint32_t dst)
{
	for (struct ping_sock *ps = s->ping->head; ps; ps = ps->next)
		if (ps->ident == ident && (!ps->laddr || ps->laddr == dst))
			return ps;
	return NULL;
}

/**
 * ping_input() - an echo reply arrived: queue a copy for its socket
 * @s: the engine
 * @p: the ICMP message (not consumed)
 * @rx: what IPv4 learned about it
 */
static void ping_input(struct stack *s, const struct pbuf *p,
		       const struct ip_rx *rx)
{
	struct ping_sock *ps = ping_lookup(s, get16(p->data + 4), rx->dst.v4);
	struct dgram_info in;
	struct pbuf *c;
	int rc;

	if (!ps)
		return;
	c = pbuf_copy(&s->pool, sizeof(in), p->data, p->len);
	if (!c) {
		CNT(s, ping_rx_nomem);
		return;
	}
	dgram_info_rx(s, rx, &in);
	rc = dgram_queue(&ps->dg, c, &in);
	if (rc == -ENOBUFS)
		CNT(s, ping_rx_rcvbuf);
	else if (rc)
		CNT(s, ping_rx_nomem);
	else
		CNT(s, ping_rx_delivered);
}

/* ping_err()'s errno: UDP's, but quench and redirect are seen. */
static int ping_errno(const struct ping_sock *ps, const struct ip_err *e,
		      bool *hard)
{
	if (e->origin == IP_V4 && (e->type == ICMP_SOURCE_QUENCH ||
				   e->type == ICMP_REDIRECT)) {
		*hard = false;
		return EREMOTEIO;
	}
	return dgram_icmp_errno(&ps->dg, e, hard);
}

/**
 * ping_icmp_error() - an ICMP error quoted one of our echo requests
 * @s: the engine
 * @e: the error, quoting an ICMP message (icmp.c checked 8 bytes of it)
 */
static void ping_icmp_error(struct stack *s, const struct ip_err *e)
{
	const uint8_t *q = e->l4;
	struct dgram_ee ee = {
		.origin = DGRAM_EE_ICMP, .type = e->type, .code = e->code,
		.info = e->info, .offender = e->offender.v4,
		.addr = e->dst.v4,
	};
	struct dgram_info in;
	struct ping_sock *ps;
	bool hard;

	if (!ping_type_ok(q[0], q[1]))
		return;
	ps = ping_lookup(s, get16(q + 4), e->rx->dst.v4);
	if (!ps)
		return;
	ee.err = (uint32_t)ping_errno(ps, e, &hard);
	if (!ee.err)
		return;
	dgram_info_rx(s, e->rx, &in);
	in.spec_dst = 0;
	if (dgram_report(&ps->dg, &ee, hard, ps->connected, &in, q,
			 e->l4_len))
		CNT(s, ping_icmp_err);
}

static const struct ip_icmp_socks ping_hooks = {
	.input = ping_input,
	.error = ping_icmp_error,
};

/**
 * ping_init() - let the ICMP modules hand echo replies and errors to the
 * ping sockets
 * @s: the engine
 *
 * Return: 0, or -ENOMEM
 */
int ping_init(struct stack *s)
{
	s->ping = calloc(1, sizeof(*s->ping));
	if (!s->ping)
		return -ENOMEM;
	s->protos.ping = &ping_hooks;
	return 0;
}

/* Free every socket: the host is gone (stack_free). */
void ping_fini(struct stack *s)
{
	if (!s->ping)
		return;
	while (s->ping->head)
		ping_close(s->ping->head);
	free(s->ping);
	s->ping = NULL;
}
