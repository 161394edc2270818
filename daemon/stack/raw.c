/* SPDX-License-Identifier: MIT */
/*
 * raw.c - raw sockets (Linux's net/ipv4/raw.c, net/ipv6/raw.c), for one
 * protocol each: ICMP (IPv4) or ICMPv6, which is what ping and
 * traceroute open them for
 *
 * Theory of operation. Every message of the socket's protocol that is
 * delivered to this host is copied to every raw socket of that protocol
 * and family whose bound address is its destination and whose connected
 * peer (if any) is its source, before the protocol itself handles it
 * (raw_local_deliver): an IPv4 socket gets the IP header too, an IPv6 one
 * the message from its ICMPv6 header, as Linux gives them. ICMP_FILTER
 * (IPv4) drops the types whose bit is set (types 32 and above always
 * pass); ICMP6_FILTER (IPv6, RFC 3542 3.2) drops those whose bit is set
 * among all 256; a message too short for a header never passes.
 *
 * Send takes what follows the IP header: the stack builds the header
 * (source from the bound address or the route, TTL, TOS, DF from the
 * socket's options) and leaves the rest as the program wrote it, ICMP
 * checksum included; an ICMPv6 socket's checksum is the stack's (RFC 3542
 * 3.1: the kernel computes it, over the pseudo-header). IP_HDRINCL is not
 * supported (setsockopt refuses it).
 *
 * An ICMP (ICMPv6) error quoting a datagram of the socket's protocol
 * reaches every raw socket that would have sent it (raw_icmp_error):
 * queued with IP_RECVERR, or kept as the pending error when hard on a
 * connected socket (raw_err). A pending error does not stop send, as in
 * Linux.
 */
#include "raw.h"

#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack_impl.h"

struct raw_sock {
	struct raw_sock *next;
	struct dgram dg;
	uint8_t proto;
	uint8_t family;              /* IP_V4 or IP_V6 */
	struct ip_addr laddr, raddr;
	uint32_t icmp_filter[8];     /* types not delivered, bit = type
				      * (IPv4: the first word only) */
	uint16_t rport;              /* as connect gave it (getpeername) */
	bool connected;
};

/**
 * raw_open() - a new raw socket for IP protocol @proto
 * @s: the engine
 * @family: IP_V4 or IP_V6
 * @proto: the protocol: IP_PROTO_ICMP (IPv4), IP6_NH_ICMPV6 (IPv6)
 * @out: set to the socket
 *
 * Return: 0, -EAFNOSUPPORT, -EPROTONOSUPPORT (another protocol), -ENOMEM
 */
int raw_open(struct stack *s, uint8_t family, uint8_t proto,
	     struct raw_sock **out)
{
	struct raw_sock *rs;

	if (family != IP_V4 && family != IP_V6)
		return -EAFNOSUPPORT;
	if (proto != (family == IP_V6 ? IP6_NH_ICMPV6 : IP_PROTO_ICMP))
		return -EPROTONOSUPPORT;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	dgram_init(&rs->dg, s, DGRAM_RAW);
	rs->proto = proto;
	rs->family = family;
	rs->laddr = rs->raddr = ip_any(family);
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
 * @addr: one of our addresses, a broadcast or group address of the
 *        socket's family, or NULL or the unspecified one
 *
 * Return: 0, -EAFNOSUPPORT, or -EADDRNOTAVAIL
 */
int raw_bind(struct raw_sock *rs, const struct ip_addr *addr)
{
	struct stack *s = rs->dg.s;
	struct ip_addr a = addr ? *addr : ip_any(rs->family);

	if (a.family != rs->family)
		return -EAFNOSUPPORT;
	if (!ip_addr_is_any(&a) && !stack_addr_is_local(s, &a) &&
	    !stack_addr_is_bcast(s, &a))
		return -EADDRNOTAVAIL;
	rs->laddr = a;
	return 0;
}

/* The unspecified peer: our own first address (IPv4), or ::1 */
static struct ip_addr raw_any_dst(const struct raw_sock *rs)
{
	if (rs->family == IP_V6)
		return ip6((const uint8_t[16]){ [15] = 1 });
	return ip4(rs->dg.s->nif.addr[0].addr);
}

/**
 * raw_connect() - receive only from @addr, and send there by default
 * @rs: the socket
 * @addr: the peer (the unspecified one: our own first address)
 * @port: kept for getpeername, as Linux keeps it
 *
 * Return: 0, -ENETUNREACH, -EAFNOSUPPORT, -EACCES (broadcast without
 * SO_BROADCAST)
 */
int raw_connect(struct raw_sock *rs, const struct ip_addr *addr,
		uint16_t port)
{
	struct stack *s = rs->dg.s;
	struct ip_addr dst = *addr, src;

	if (dst.family != rs->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_any(&dst))
		dst = raw_any_dst(rs);
	if (!stack_addr_is_local(s, &dst) && stack_source_for(s, &dst, &src))
		return -ENETUNREACH;
	if (dst.family == IP_V4 && stack_is_broadcast(s, dst.v4) &&
	    !rs->dg.broadcast)
		return -EACCES;
	rs->raddr = dst;
	rs->rport = port;
	rs->connected = true;
	return 0;
}

int raw_disconnect(struct raw_sock *rs)
{
	rs->connected = false;
	rs->raddr = ip_any(rs->family);
	rs->rport = 0;
	return 0;
}

uint8_t raw_family(const struct raw_sock *rs)
{
	return rs->family;
}

/* getsockname shows the protocol as the port, as Linux's inet_sport */
void raw_getsockname(const struct raw_sock *rs, struct ip_addr *addr,
		     uint16_t *proto)
{
	*addr = rs->laddr;
	*proto = rs->proto;
}

/* As inet_getname(): a peer connected with port 0 is no peer to show. */
int raw_getpeername(const struct raw_sock *rs, struct ip_addr *addr,
		    uint16_t *port)
{
	if (!rs->connected || !rs->rport)
		return -ENOTCONN;
	*addr = rs->raddr;
	*port = rs->rport;
	return 0;
}

/* ICMP_FILTER: an IPv4 ICMP socket's 32 bits */
int raw_set_icmp_filter(struct raw_sock *rs, uint32_t mask)
{
	if (rs->proto != IP_PROTO_ICMP)
		return -EOPNOTSUPP;
	rs->icmp_filter[0] = mask;
	return 0;
}

int raw_get_icmp_filter(const struct raw_sock *rs, uint32_t *mask)
{
	if (rs->proto != IP_PROTO_ICMP)
		return -EOPNOTSUPP;
	*mask = rs->icmp_filter[0];
	return 0;
}

/* ICMP6_FILTER (RFC 3542 3.2): an ICMPv6 socket's 256 bits, bit set:
 * the type is blocked (ICMP6_FILTER_SETBLOCK) */
int raw_set_icmp6_filter(struct raw_sock *rs, const uint32_t f[8])
{
	if (rs->proto != IP6_NH_ICMPV6)
		return -EOPNOTSUPP;
	memcpy(rs->icmp_filter, f, sizeof(rs->icmp_filter));
	return 0;
}

int raw_get_icmp6_filter(const struct raw_sock *rs, uint32_t f[8])
{
	if (rs->proto != IP6_NH_ICMPV6)
		return -EOPNOTSUPP;
	memcpy(f, rs->icmp_filter, sizeof(rs->icmp_filter));
	return 0;
}

/* The destination of a send, its source, and raw_sendmsg()'s checks */
static int raw_addrs(const struct raw_sock *rs, const struct ip_addr *dst,
		     const struct dgram_tx *tx, struct ip_addr *daddr,
		     struct ip_addr *src)
{
	struct stack *s = rs->dg.s;

	if (!dst && !rs->connected)
		return -EDESTADDRREQ;
	*daddr = dst ? *dst : rs->raddr;
	if (daddr->family != rs->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_any(daddr))
		*daddr = raw_any_dst(rs);
	if (dgram_tx_src(tx) && !stack_addr_is_local(s, &tx->src))
		return -ENETUNREACH;     /* IP_PKTINFO: not our address */
	*src = dgram_tx_src(tx) ? tx->src : rs->laddr;
	if (!ip_addr_is_any(src) && !stack_addr_is_local(s, src))
		*src = ip_any(rs->family);  /* bound to a broadcast address */
	if (stack_addr_is_local(s, daddr)) {
		if (ip_addr_is_any(src))
			*src = *daddr;
	} else {
		struct ip_addr rsrc;

		if (stack_source_for(s, daddr, &rsrc)) {
			CNT(s, ip_tx_no_route);
			return -ENETUNREACH;
		}
		if (ip_addr_is_any(src))
			*src = rsrc;
	}
	if (daddr->family == IP_V4 && stack_is_broadcast(s, daddr->v4) &&
	    !rs->dg.broadcast)
		return -EACCES;
	return 0;
}

/* RFC 3542 3.1: an ICMPv6 raw socket's checksum is the stack's */
static void raw_icmp6_cksum(struct pbuf *p, const struct ip_addr *src,
			    const struct ip_addr *dst)
{
	uint16_t ck;

	put16(p->data + 2, 0);
	ck = inet_fold(inet_sum(p->data, p->len,
				ip_pseudo_sum(src, dst, IP6_NH_ICMPV6, p->len)));
	put16(p->data + 2, ck);
}

/**
 * raw_sendmsg() - send one datagram: the stack's IP header, then @buf
 * @rs: the socket
 * @buf: what follows the IP header (ICMPv6: its checksum is ours)
 * @len: its length, at most 65535 bytes with the header
 * @dst: destination of the socket's family, or NULL for the connected
 *       peer
 * @tx: TTL, TOS and source from the sendmsg's control messages, or NULL
 * @now: current time
 *
 * Return: 0, or -EMSGSIZE, -EDESTADDRREQ, -ENETUNREACH, -EACCES
 * (broadcast without SO_BROADCAST), -EAFNOSUPPORT, -EINVAL (ICMPv6
 * shorter than its checksum), -ENOBUFS
 */
int raw_sendmsg(struct raw_sock *rs, const void *buf, size_t len,
		const struct ip_addr *dst, const struct dgram_tx *tx,
		uint64_t now)
{
	struct stack *s = rs->dg.s;
	struct ip_addr daddr, src;
	struct pbuf *p;
	int rc;

	s->now = now;
	if (len > 0xffff)
		return -EMSGSIZE;
	rc = raw_addrs(rs, dst, tx, &daddr, &src);
	if (rc)
		return rc;
	if (rs->family == IP_V6 && len < 4)
		return -EINVAL;          /* no room for the checksum */
	p = pbuf_copy(&s->pool, PBUF_HEADROOM, buf, len);
	if (!p) {
		CNT(s, raw_tx_err);
		return -ENOBUFS;
	}
	if (rs->family == IP_V6)
		raw_icmp6_cksum(p, &src, &daddr);
	rc = dgram_output(&rs->dg, p, &src, &daddr, rs->proto, 0, tx);
	if (rc < 0)
		CNT(s, raw_tx_err);
	else
		CNT(s, raw_tx);
	ip_loop_drain(s);
	return rc;
}

/* icmp_filter(), icmpv6_filter(): a message the socket does not want? */
static bool raw_filtered(const struct raw_sock *rs, const struct pbuf *p)
{
	uint8_t type;

	if (p->len < ICMP_HLEN)
		return true;
	type = p->data[0];
	if (rs->family == IP_V4 && type >= 32)
		return false;
	return rs->icmp_filter[type >> 5] >> (type & 31) & 1;
}

/* Is a message to @dst from @src for @rs (its family, bound address,
 * connected peer)? */
static bool raw_match(const struct raw_sock *rs, uint8_t proto,
		      const struct ip_addr *dst, const struct ip_addr *src)
{
	return rs->proto == proto && rs->family == dst->family &&
	       (ip_addr_is_any(&rs->laddr) || ip_addr_eq(&rs->laddr, dst)) &&
	       (!rs->connected || ip_addr_eq(&rs->raddr, src));
}

/**
 * raw_input() - give every raw socket of its protocol a copy of a message
 * @s: the engine
 * @p: the message from its ICMP header (not consumed); the IP header is
 *     @rx->hdr, right before
 * @rx: what the network layer learned about it
 */
static void raw_input(struct stack *s, const struct pbuf *p,
		      const struct ip_rx *rx)
{
	struct dgram_info in;
	bool info = false;

	for (struct raw_sock *rs = s->raw->head; rs; rs = rs->next) {
		struct pbuf *c;
		int rc;

		if (!raw_match(rs, rx->proto, &rx->dst, &rx->src))
			continue;
		if (raw_filtered(rs, p)) {
			CNT(s, raw_rx_filtered);
			continue;
		}
		if (!info) {
			dgram_info_rx(s, rx, &in);
			info = true;
		}
		/* IPv4 raw sockets read the IP header too, IPv6 ones not */
		if (rs->family == IP_V4)
			c = pbuf_copy(&s->pool, sizeof(in), rx->hdr,
				      rx->hdr_len + p->len);
		else
			c = pbuf_copy(&s->pool, sizeof(in), p->data, p->len);
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
 * raw_icmp_error() - an ICMP or ICMPv6 error quoted a datagram of some
 * protocol
 * @s: the engine
 * @e: the error
 *
 * Every raw socket of that protocol that could have sent the datagram
 * (bound to its source, connected to its destination) hears of it.
 */
static void raw_icmp_error(struct stack *s, const struct ip_err *e)
{
	struct dgram_ee ee = {
		.origin = e->origin == IP_V6 ? DGRAM_EE_ICMP6 : DGRAM_EE_ICMP,
		.type = e->type, .code = e->code, .info = e->info,
		.offender = e->offender, .addr = e->dst,
	};
	struct dgram_info in;
	bool info = false;

	for (struct raw_sock *rs = s->raw->head; rs; rs = rs->next) {
		bool hard;

		if (!raw_match(rs, e->proto, &e->src, &e->dst))
			continue;
		ee.err = (uint32_t)raw_errno(rs, e, &hard);
		if (!ee.err)
			continue;
		if (!info) {
			dgram_info_rx(s, e->rx, &in);
			in.spec_dst = ip_any(IP_NONE);
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
