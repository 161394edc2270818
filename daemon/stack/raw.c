/* SPDX-License-Identifier: MIT */
/*
 * raw.c - raw IPv4 sockets (Linux's net/ipv4/raw.c), for one protocol:
 * ICMP, which is what ping and traceroute open them for
 *
 * Theory of operation. Every datagram of the socket's protocol that is
 * delivered to this host is copied, IP header and all, to every raw
 * socket of that protocol whose bound address is its destination and
 * whose connected peer (if any) is its source, before the protocol
 * itself handles it (raw_local_deliver). An ICMP socket's ICMP_FILTER
 * drops the types whose bit is set (types 32 and above always pass;
 * a message too short for an ICMP header never does).
 *
 * Send takes what follows the IP header: the stack builds the header
 * (source from the bound address or the route, TTL, TOS, DF from the
 * socket's options) and leaves the rest as the program wrote it, ICMP
 * checksum included. IP_HDRINCL is not supported (setsockopt refuses it).
 *
 * An ICMP error quoting a datagram of the socket's protocol reaches every
 * raw socket that would have sent it (raw_icmp_error): queued with
 * IP_RECVERR, or kept as the pending error when hard on a connected
 * socket (raw_err). A pending error does not stop send, as in Linux.
 */
#include "raw.h"

#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "icmp.h"
#include "ip.h"
#include "ipv4.h"
#include "stack_impl.h"

struct raw_sock {
	struct raw_sock *next;
	struct dgram dg;
	uint8_t proto;
	uint32_t laddr, raddr;
	uint32_t icmp_filter;        /* ICMP types not delivered, bit = type */
	uint16_t rport;              /* as connect gave it (getpeername) */
	bool connected;
};

/**
 * raw_open() - a new raw socket for IP protocol @proto
 * @s: the engine
 * @proto: the protocol (IP_PROTO_ICMP)
 * @out: set to the socket
 *
 * Return: 0, -EPROTONOSUPPORT (another protocol), -ENOMEM
 */
int raw_open(struct stack *s, uint8_t proto, struct raw_sock **out)
{
	struct raw_sock *rs;

	if (proto != IP_PROTO_ICMP)
		return -EPROTONOSUPPORT;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	dgram_init(&rs->dg, s, DGRAM_RAW);
	rs->proto = proto;
	rs->next = s->raw->head;
	s->raw->head = rs;
	s->raw->count++;
	*out = rs;
	return 0;
}

/**
 * raw_close() - free a socket and what it has queued
 * @rs: the socket
 */
void raw_close(struct raw_sock *rs)
{
	struct stack *s = rs->dg.s;
	struct raw_sock **pp = &s->raw->head;

	while (*pp != rs)
		pp = &(*pp)->next;
	*pp = rs->next;
	s->raw->count--;
	dgram_fini(&rs->dg);
	free(rs);
}

struct dgram *raw_dgram(struct raw_sock *rs)
{
	return &rs->dg;
}

unsigned raw_sock_count(const struct stack *s)
{
	return s->raw->count;
}

/**
 * raw_bind() - receive only what is sent to @addr, and send from it
 * @rs: the socket
 * @addr: one of our addresses, a broadcast or multicast address, or 0
 *
 * Return: 0, or -EADDRNOTAVAIL
 */
int raw_bind(struct raw_sock *rs, uint32_t addr)
{
	struct stack *s = rs->dg.s;

	if (addr && !stack_is_local_addr(s, addr) &&
	    !stack_is_broadcast(s, addr) && !ipv4_is_multicast(addr))
		return -EADDRNOTAVAIL;
	rs->laddr = addr;
	return 0;
}

/**
 * raw_connect() - receive only from @addr, and send there by default
 * @rs: the socket
 * @addr: the peer (0: our own first address)
 * @port: kept for getpeername, as Linux keeps it
 *
 * Return: 0, -ENETUNREACH, -EACCES (broadcast without SO_BROADCAST)
 */
int raw_connect(struct raw_sock *rs, uint32_t addr, uint16_t port)
{
	struct stack *s = rs->dg.s;

	if (!addr)
		addr = s->nif.addr[0].addr;
	if (!stack_is_local_addr(s, addr) && !route_lookup(s, addr))
		return -ENETUNREACH;
	if (stack_is_broadcast(s, addr) && !rs->dg.broadcast)
		return -EACCES;
	rs->raddr = addr;
	rs->rport = port;
	rs->connected = true;
	return 0;
}

int raw_disconnect(struct raw_sock *rs)
{
	rs->connected = false;
	rs->raddr = 0;
	rs->rport = 0;
	return 0;
}

/* getsockname shows the protocol as the port, as Linux's inet_sport */
void raw_getsockname(const struct raw_sock *rs, uint32_t *addr,
		     uint16_t *proto)
{
	*addr = rs->laddr;
	*proto = rs->proto;
}

/* As inet_getname(): a peer connected with port 0 is no peer to show. */
int raw_getpeername(const struct raw_sock *rs, uint32_t *addr,
		    uint16_t *port)
{
	if (!rs->connected || !rs->rport)
		return -ENOTCONN;
	*addr = rs->raddr;
	*port = rs->rport;
	return 0;
}

int raw_set_icmp_filter(struct raw_sock *rs, uint32_t mask)
{
	if (rs->proto != IP_PROTO_ICMP)
		return -EOPNOTSUPP;
	rs->icmp_filter = mask;
	return 0;
}

int raw_get_icmp_filter(const struct raw_sock *rs, uint32_t *mask)
{
	if (rs->proto != IP_PROTO_ICMP)
		return -EOPNOTSUPP;
	*mask = rs->icmp_filter;
	return 0;
}

/**
 * raw_sendmsg() - send one datagram: the stack's IP header, then @buf
 * @rs: the socket
 * @buf: what follows the IP header
 * @len: its length, at most 65535 bytes with the header
 * @dst: destination, or NULL for the connected peer
 * @tx: TTL, TOS and source from the sendmsg's control messages, or NULL
 * @now: current time
 *
 * Return: 0, or -EMSGSIZE, -EDESTADDRREQ, -ENETUNREACH, -EACCES
 * (broadcast without SO_BROADCAST), -ENOBUFS
 */
int raw_sendmsg(struct raw_sock *rs, const void *buf, size_t len,
		const uint32_t *dst, const struct dgram_tx *tx, uint64_t now)
{
	struct stack *s = rs->dg.s;
	uint32_t daddr, src;
	const struct route *r;
	struct pbuf *p;
	int rc;

	s->now = now;
	if (len > 0xffff)
		return -EMSGSIZE;
	if (!dst && !rs->connected)
		return -EDESTADDRREQ;
	daddr = dst ? *dst : rs->raddr;
	if (!daddr)
		daddr = s->nif.addr[0].addr;
	if (tx && tx->src && !stack_is_local_addr(s, tx->src))
		return -ENETUNREACH;     /* IP_PKTINFO: not our address */
	src = tx && tx->src ? tx->src : rs->laddr;
	if (src && !stack_is_local_addr(s, src))
		src = 0;                 /* bound to a broadcast address */
	r = stack_is_local_addr(s, daddr) ? NULL : route_lookup(s, daddr);
	if (!r && !stack_is_local_addr(s, daddr)) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	if (stack_is_broadcast(s, daddr) && !rs->dg.broadcast)
		return -EACCES;
	if (!src)
		src = r ? route_source(s, r, daddr) : daddr;
	p = pbuf_copy(&s->pool, PBUF_HEADROOM, buf, len);
	if (!p) {
		CNT(s, raw_tx_err);
		return -ENOBUFS;
	}
	rc = dgram_output(&rs->dg, p, src, daddr, rs->proto, 0, tx);
	if (rc < 0)
		CNT(s, raw_tx_err);
	else
		CNT(s, raw_tx);
	ip_loop_drain(s);
	return rc;
}

/* icmp_filter(): is this ICMP message one the socket does not want? */
static bool raw_filtered(const struct raw_sock *rs, const struct pbuf *p)
{
	if (rs->proto != IP_PROTO_ICMP)
		return false;
	if (p->len < ICMP_HLEN)
		return true;
	return p->data[0] < 32 && (rs->icmp_filter >> p->data[0] & 1);
}

/**
 * raw_input() - give every raw socket of its protocol a copy of a datagram
 * @s: the engine
 * @p: its payload (not consumed); the header is @rx->hdr, right before
 * @rx: what IPv4 learned about it
 */
static void raw_input(struct stack *s, const struct pbuf *p,
		      const struct ip_rx *rx)
{
	struct dgram_info in;
	bool info = false;

	for (struct raw_sock *rs = s->raw->head; rs; rs = rs->next) {
		struct pbuf *c;
		int rc;

		if (rs->proto != rx->proto ||
		    (rs->laddr && rs->laddr != rx->dst.v4) ||
		    (rs->connected && rs->raddr != rx->src.v4))
			continue;
		if (raw_filtered(rs, p)) {
			CNT(s, raw_rx_filtered);
			continue;
		}
		if (!info) {
			dgram_info_rx(s, rx, &in);
			info = true;
		}
		c = pbuf_copy(&s->pool, sizeof(in), rx->hdr,
			      rx->hdr_len + p->len);
		if (!c) {
			CNT(s, raw_rx_nomem);
			continue;
		}
		rc = dgram_queue(&rs->dg, c, &in);
		if (rc == -ENOBUFS)
			CNT(s, raw_rx_rcvbuf);
		else if (rc)
			CNT(s, raw_rx_nomem);
		else
			CNT(s, raw_rx_delivered);
	}
}

/* raw_err()'s errno: as UDP's, but fragmentation needed is EMSGSIZE. */
static int raw_errno(const struct raw_sock *rs, const struct ip_err *e,
		     bool *hard)
{
	if (e->origin == IP_V4 && e->type == ICMP_UNREACH &&
	    e->code == ICMP_UNREACH_NEEDFRAG) {
		*hard = rs->dg.pmtudisc != DGRAM_PMTU_DONT;
		return EMSGSIZE;
	}
	return dgram_icmp_errno(&rs->dg, e, hard);
}

/**
 * raw_icmp_error() - an ICMP error quoted a datagram of some protocol
 * @s: the engine
 * @e: the error
 *
 * Every raw socket of that protocol that could have sent the datagram
 * (bound to its source, connected to its destination) hears of it.
 */
static void raw_icmp_error(struct stack *s, const struct ip_err *e)
{
	struct dgram_ee ee = {
		.origin = DGRAM_EE_ICMP, .type = e->type, .code = e->code,
		.info = e->info, .offender = e->offender.v4, .addr = e->dst.v4,
	};
	struct dgram_info in;
	bool info = false;

	for (struct raw_sock *rs = s->raw->head; rs; rs = rs->next) {
		bool hard;

		if (rs->proto != e->proto ||
		    (rs->laddr && rs->laddr != e->src.v4) ||
		    (rs->connected && rs->raddr != e->dst.v4))
			continue;
		ee.err = (uint32_t)raw_errno(rs, e, &hard);
		if (!ee.err)
			continue;
		if (!info) {
			dgram_info_rx(s, e->rx, &in);
			in.spec_dst = 0;
			info = true;
		}
		dgram_report(&rs->dg, &ee, hard, rs->connected, &in, e->l4,
			     e->l4_len);
	}
}

static const struct ip_icmp_socks raw_hooks = {
	.input = raw_input,
	.error = raw_icmp_error,
};

/**
 * raw_init() - let the ICMP modules hand every message, and every error,
 * to the raw sockets first
 * @s: the engine
 *
 * Return: 0, or -ENOMEM
 */
int raw_init(struct stack *s)
{
	s->raw = calloc(1, sizeof(*s->raw));
	if (!s->raw)
		return -ENOMEM;
	s->protos.raw = &raw_hooks;
	return 0;
}

/* Free every socket: the host is gone (stack_free). */
void raw_fini(struct stack *s)
{
	if (!s->raw)
		return;
	while (s->raw->head)
		raw_close(s->raw->head);
	free(s->raw);
	s->raw = NULL;
}
