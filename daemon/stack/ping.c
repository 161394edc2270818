/* SPDX-License-Identifier: MIT */
/*
 * ping.c - ICMP echo datagram sockets ("ping sockets", Linux's
 * net/ipv4/ping.c), so that ping and traceroute -I work without root
 *
 * Theory of operation. A socket has a family: AF_INET sends ICMP echo
 * requests (RFC 792), AF_INET6 ICMPv6 ones (RFC 4443 4.1, type 128, the
 * checksum over the pseudo-header done here); the identifiers are one
 * space for both, as Linux's ping table, and a reply reaches the sockets
 * of its own family only. The socket owns an echo identifier, its "port"
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
#include "icmp6.h"
#include "ip.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack_impl.h"

struct ping_sock {
	struct ping_sock *next;
	struct dgram dg;
	struct ip_addr laddr, raddr;
	uint8_t family;              /* IP_V4 (ICMP) or IP_V6 (ICMPv6) */
	uint8_t bound_if;            /* SO_BINDTOIFINDEX, 0: none */
	uint16_t ident;              /* 0 until bound */
	uint16_t rport;              /* as connect gave it (getpeername) */
	bool connected;
	bool bound_addr, bound_ident;    /* set by bind, kept by disconnect */
	bool reuseaddr;
};

/**
 * ping_open() - a new ping socket, without an identifier yet
 * @s: the engine
 * @family: IP_V4 (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)) or IP_V6
 *          (AF_INET6, IPPROTO_ICMPV6)
 * @out: set to the socket
 *
 * Return: 0, -EAFNOSUPPORT, or -ENOMEM
 */
int ping_open(struct stack *s, uint8_t family, struct ping_sock **out)
{
	struct ping_sock *ps;

	if (family != IP_V4 && family != IP_V6)
		return -EAFNOSUPPORT;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	dgram_init(&ps->dg, s, DGRAM_PING);
	ps->family = family;
	ps->laddr = ps->raddr = ip_any(family);
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

/* ping_check_bind_addr(): one of our unicast addresses of the family */
static int ping_bind_check(const struct ping_sock *ps, const struct ip_addr *a)
{
	if (a->family != ps->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_any(a))
		return 0;
	if (a->family == IP_V6 && (ip_addr_is_multicast(a) ||
				   (ip_addr_is_linklocal(a) && !ps->bound_if)))
		return -EINVAL;
	return stack_addr_is_local(ps->dg.s, a) ? 0 : -EADDRNOTAVAIL;
}

/**
 * ping_bind() - give the socket its address and identifier
 * @ps: the socket
 * @addr: one of our addresses of the socket's family, or NULL or the
 *        unspecified one
 * @ident: the identifier, or 0 for the next free one
 *
 * Any identifier, even below 1024, for any uid, as in Linux.
 *
 * Return: 0, -EADDRNOTAVAIL (not our unicast address), -EINVAL (already
 * bound; an IPv6 group, or link-local without an interface),
 * -EAFNOSUPPORT, -EADDRINUSE, -EAGAIN (no identifier left)
 */
int ping_bind(struct ping_sock *ps, const struct ip_addr *addr,
	      uint16_t ident)
{
	struct ip_addr a = addr ? *addr : ip_any(ps->family);
	int rc = ping_bind_check(ps, &a);

	if (rc)
		return rc;
	if (ps->ident)
		return -EINVAL;
	rc = ping_get_ident(ps, ident);
	if (rc)
		return rc == -EAGAIN ? -EADDRINUSE : rc;
	ps->laddr = a;
	ps->bound_addr = !ip_addr_is_any(&a);
	ps->bound_ident = ident != 0;
	ps->connected = false;
	ps->raddr = ip_any(ps->family);
	ps->rport = 0;
	return 0;
}

/* The source for @dst: @dst itself when it is ours. Return: 0, or
 * -ENETUNREACH (no route) */
static int ping_source(struct stack *s, const struct ip_addr *dst,
		       struct ip_addr *src)
{
	if (stack_addr_is_local(s, dst)) {
		*src = *dst;
		return 0;
	}
	return stack_source_for(s, dst, src) ? -ENETUNREACH : 0;
}

/* The unspecified destination: our own first address (IPv4), as Linux,
 * or ::1 (IPv6) */
static struct ip_addr ping_any_dst(const struct ping_sock *ps)
{
	struct stack *s = ps->dg.s;

	if (ps->family == IP_V6)
		return ip6((const uint8_t[16]){ [15] = 1 });
	return ip4(s->nif.addr[0].addr);
}

/**
 * ping_connect() - the default destination of send
 * @ps: the socket
 * @addr: the peer (the unspecified one: our own first address, as Linux)
 * @port: kept for getpeername, as Linux keeps it
 *
 * Return: 0, -ENETUNREACH, -EACCES (broadcast without SO_BROADCAST),
 * -EAFNOSUPPORT, -EAGAIN (no identifier left)
 */
int ping_connect(struct ping_sock *ps, const struct ip_addr *addr,
		 uint16_t port)
{
	struct stack *s = ps->dg.s;
	struct ip_addr dst = *addr, src;
	int rc;

	if (dst.family != ps->family)
		return -EAFNOSUPPORT;
	rc = ping_autobind(ps);
	if (rc)
		return rc;
	if (ip_addr_is_any(&dst))
		dst = ping_any_dst(ps);
	if (ping_source(s, &dst, &src))
		return -ENETUNREACH;
	if (dst.family == IP_V4 && stack_is_broadcast(s, dst.v4) &&
	    !ps->dg.broadcast)
		return -EACCES;
	if (ip_addr_is_any(&ps->laddr) && !stack_addr_is_bcast(s, &dst))
		ps->laddr = src;
	ps->raddr = dst;
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
	ps->raddr = ip_any(ps->family);
	ps->rport = 0;
	if (!ps->bound_addr)
		ps->laddr = ip_any(ps->family);
	if (!ps->bound_ident)
		ps->ident = 0;
	return 0;
}

void ping_getsockname(const struct ping_sock *ps, struct ip_addr *addr,
		      uint16_t *ident)
{
	*addr = ps->laddr;
	*ident = ps->ident;
}

/* As inet_getname(): a peer connected with port 0 is no peer to show. */
int ping_getpeername(const struct ping_sock *ps, struct ip_addr *addr,
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

/**
 * ping_set_bound_if() - SO_BINDTOIFINDEX
 * @ps: the socket
 * @ifindex: one of the engine's interfaces, or 0 for none
 *
 * Return: 0, or -ENODEV
 */
int ping_set_bound_if(struct ping_sock *ps, unsigned ifindex)
{
	if (ifindex && !stack_netif(ps->dg.s, ifindex))
		return -ENODEV;
	ps->bound_if = (uint8_t)ifindex;
	return 0;
}

uint8_t ping_family(const struct ping_sock *ps)
{
	return ps->family;
}

/* ping_supported(): an echo request (RFC 792), extended (RFC 8335), or
 * an ICMPv6 echo request (RFC 4443 4.1), of the socket's family. */
static bool ping_type_ok(uint8_t family, uint8_t type, uint8_t code)
{
	if (family == IP_V6)
		return type == ICMP6_ECHO_REQUEST && code == 0;
	return (type == ICMP_ECHO || type == ICMP_EXT_ECHO) && code == 0;
}

/* Build the request: the program's header, our identifier, a checksum
 * (ICMPv6's over the pseudo-header, RFC 4443 2.3). */
static int ping_output(struct ping_sock *ps, const uint8_t *buf, size_t len,
		       const struct ip_addr *dst, const struct dgram_tx *tx)
{
	struct stack *s = ps->dg.s;
	uint32_t rest = (uint32_t)ps->ident << 16 | get16(buf + 6);
	struct ip_addr src = dgram_tx_src(tx) ? tx->src : ps->laddr;
	uint8_t proto = IP_PROTO_ICMP;
	struct pbuf *p;
	int rc;

	if (ip_addr_is_any(&src) || stack_addr_is_bcast(s, &src))
		ping_source(s, dst, &src);
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, len);
	if (!p) {
		CNT(s, icmp_tx_err);
		return -ENOBUFS;
	}
	memcpy(p->data + ICMP_HLEN, buf + ICMP_HLEN, len - ICMP_HLEN);
	if (ps->family == IP_V6) {
		struct icmp6_hdr h = { .type = buf[0], .code = buf[1],
				       .rest = rest };

		icmp6_build(p->data, p->len, &src, dst, &h);
		proto = IP6_NH_ICMPV6;
	} else {
		struct icmp_hdr h = { .type = buf[0], .code = buf[1],
				      .rest = rest };

		icmp_build(p->data, p->len, &h);
	}
	rc = dgram_output(&ps->dg, p, &src, dst, proto, 0, tx);
	if (rc < 0) {
		CNT(s, icmp_tx_err);
		return rc;
	}
	CNT(s, ping_tx);
	return 0;
}

/* The destination ping_v4_sendmsg() and ping_v6_sendmsg() take: the
 * named or the connected one, the unspecified one made ours; an IPv6
 * socket takes no ::ffff:a.b.c.d and needs an interface for link-local */
static int ping_dst(const struct ping_sock *ps, const struct ip_addr *dst,
		    struct ip_addr *daddr)
{
	if (!dst && !ps->connected)
		return -EDESTADDRREQ;
	*daddr = dst ? *dst : ps->raddr;
	if (daddr->family != ps->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_any(daddr))
		*daddr = ping_any_dst(ps);
	if (daddr->family == IP_V6 &&
	    (ip_addr_is_v4mapped(daddr) ||
	     (ip_addr_is_linklocal(daddr) && !ps->bound_if)))
		return -EINVAL;
	return 0;
}

/* ping_v4_sendmsg()'s checks, in its order, before anything is built. */
static int ping_check(struct ping_sock *ps, const uint8_t *buf, size_t len,
		      const struct ip_addr *dst, const struct dgram_tx *tx,
		      struct ip_addr *daddr)
{
	struct stack *s = ps->dg.s;
	struct ip_addr src;
	int rc;

	if (len > 0xffff)
		return -EMSGSIZE;
	if (len < ICMP_HLEN)
		return -EINVAL;
	if (!ping_type_ok(ps->family, buf[0], buf[1]))
		return -EINVAL;
	rc = ping_dst(ps, dst, daddr);
	if (rc)
		return rc;
	if (dgram_tx_src(tx) && !stack_addr_is_local(s, &tx->src))
		return -ENETUNREACH;
	if (ping_source(s, daddr, &src)) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	if (daddr->family == IP_V4 && stack_is_broadcast(s, daddr->v4) &&
	    !ps->dg.broadcast)
		return -EACCES;
	return 0;
}

/**
 * ping_sendmsg() - send one echo request
 * @ps: the socket
 * @buf: the ICMP or ICMPv6 message: echo header (identifier and checksum
 *       ignored) and data
 * @len: its length, 8..65535
 * @dst: destination of the socket's family, or NULL for the connected peer
 * @tx: TTL, TOS and source from the sendmsg's control messages, or NULL
 * @now: current time
 *
 * Return: 0, or -EAGAIN (no identifier left), -EMSGSIZE, -EINVAL (short,
 * not an echo request; IPv6: mapped, or link-local without interface),
 * -EDESTADDRREQ, -ENETUNREACH, -EACCES (broadcast without SO_BROADCAST),
 * -EAFNOSUPPORT, -ENOBUFS, or the pending error (sent nothing)
 */
int ping_sendmsg(struct ping_sock *ps, const void *buf, size_t len,
		 const struct ip_addr *dst, const struct dgram_tx *tx,
		 uint64_t now)
{
	struct stack *s = ps->dg.s;
	struct ip_addr daddr;
	int rc;

	s->now = now;
	rc = ping_autobind(ps);
	if (rc)
		return rc;
	rc = ping_check(ps, buf, len, dst, tx, &daddr);
	if (rc)
		return rc;
	rc = ping_output(ps, buf, len, &daddr, tx);
	ip_loop_drain(s);
	return rc;
}

/* The socket of @dst's family for identifier @ident reached at our
 * address @dst. */
static struct ping_sock *ping_lookup(struct stack *s, uint16_t ident,
				     const struct ip_addr *dst)
{
	for (struct ping_sock *ps = s->ping->head; ps; ps = ps->next)
		if (ps->ident == ident && ps->family == dst->family &&
		    (ip_addr_is_any(&ps->laddr) ||
		     ip_addr_eq(&ps->laddr, dst)))
			return ps;
	return NULL;
}

/**
 * ping_input() - an echo reply arrived: queue a copy for its socket
 * @s: the engine
 * @p: the ICMP or ICMPv6 message (not consumed)
 * @rx: what the network layer learned about it
 */
static void ping_input(struct stack *s, const struct pbuf *p,
		       const struct ip_rx *rx)
{
	struct ping_sock *ps = ping_lookup(s, get16(p->data + 4), &rx->dst);
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
 * ping_icmp_error() - an ICMP or ICMPv6 error quoted one of our echo
 * requests
 * @s: the engine
 * @e: the error, quoting an ICMP message (its module checked 8 bytes)
 */
static void ping_icmp_error(struct stack *s, const struct ip_err *e)
{
	const uint8_t *q = e->l4;
	struct dgram_ee ee = {
		.origin = e->origin == IP_V6 ? DGRAM_EE_ICMP6 : DGRAM_EE_ICMP,
		.type = e->type, .code = e->code, .info = e->info,
		.offender = e->offender, .addr = e->dst,
	};
	struct dgram_info in;
	struct ping_sock *ps;
	bool hard;

	if (!ping_type_ok(e->origin, q[0], q[1]))
		return;
	ps = ping_lookup(s, get16(q + 4), &e->rx->dst);
	if (!ps)
		return;
	ee.err = (uint32_t)ping_errno(ps, e, &hard);
	if (!ee.err)
		return;
	dgram_info_rx(s, e->rx, &in);
	in.spec_dst = ip_any(IP_NONE);
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
