/* SPDX-License-Identifier: MIT */
/*
 * dgram.c - the parts every datagram socket shares (UDP, ping, raw)
 *
 * Theory of operation. A received datagram is queued with a struct
 * dgram_info written into its buffer's first bytes (the headroom once
 * held the headers in front of the payload; without room, the datagram
 * is copied into a buffer that has it). The info is what recvmsg's
 * ancillary data may report: source and destination, TTL and TOS of the
 * IP header (IP_RECVTTL, IP_RECVTOS), interface and ipi_spec_dst
 * (IP_PKTINFO), the time of arrival on the engine's clock (SO_TIMESTAMP:
 * the host turns it into wall-clock time, the engine reads no clock).
 *
 * Addresses are of either family (struct ip_addr), as the datagram came.
 * ICMP and ICMPv6 errors follow Linux (net/ipv4/udp.c __udp4_lib_err,
 * net/ipv6/udp.c __udp6_lib_err, ping.c ping_err, ip_sockglue.c): without IP_RECVERR only a hard error on a
 * connected socket is kept, as the pending error that the next call
 * reports once (SO_ERROR, recv, send); with IP_RECVERR every error is
 * queued on the socket's error queue (struct dgram_ee: the extended
 * error, the offender, where the offending datagram went, the bytes it
 * quoted) and becomes the pending error too. Taking an entry off the
 * error queue makes the next entry's errno the pending error, or clears
 * it after the last one (sock_dequeue_err_skb). Both queues together are
 * bounded by SO_RCVBUF, charged as Linux charges sk_rmem_alloc.
 *
 * Output (dgram_output) picks TTL (IP_MULTICAST_TTL for a group), TOS and
 * DF from the socket's options and the sendmsg's control messages; an
 * IPv4 group's datagram is looped back to our own members with
 * IP_MULTICAST_LOOP (ipv4.c) and leaves by IP_MULTICAST_IF's interface.
 * The socket's multicast memberships are mcast.c's, left in dgram_fini().
 * IP_MTU_DISCOVER as Linux: DO, PROBE and INTERFACE refuse a datagram
 * larger than the path MTU with EMSGSIZE and, with IP_RECVERR, queue a
 * local error carrying the MTU (ip_local_error); WANT, the default, sets
 * DF on what fits and fragments the rest; DONT and OMIT never set DF.
 * IPv6 has no DF: what exceeds the path MTU is fragmented at the source
 * (RFC 8200 4.5) unless the socket refuses it as above.
 */
#include "dgram.h"

#include <string.h>

#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ipv4.h"
#include "ipv6.h"
#include "mcast.h"
#include "stack_impl.h"
#include "udp.h"

/* What each queued datagram or error carries in front of its bytes. */
struct dgram_rec {
	struct dgram_info in;
	struct dgram_ee ee;          /* error queue only */
};

#define DGRAM_RX_HEADROOM sizeof(struct dgram_info)
#define DGRAM_ERR_HEADROOM sizeof(struct dgram_rec)

/* What a queued buffer is charged: its size and bookkeeping (truesize). */
static size_t dgram_truesize(const struct pbuf *p)
{
	return p->cap + sizeof(*p) + 64;
}

static void dgram_event(struct dgram *dg, unsigned events)
{
	struct stack *s = dg->s;

	if (dg->own)
		dg->own(dg, events);
	else if (s->ops->dgram_event)
		s->ops->dgram_event(s->ctx, dg, events);
}

/**
 * dgram_init() - a socket's common part, with Linux's defaults
 * @dg: the common part of a new socket
 * @s: the engine
 * @kind: UDP, ping or raw
 */
void dgram_init(struct dgram *dg, struct stack *s, enum dgram_kind kind)
{
	memset(dg, 0, sizeof(*dg));
	dg->s = s;
	dg->kind = (uint8_t)kind;
	dg->pmtudisc = DGRAM_PMTU_WANT;
	dg->mc_ttl = 1;
	dg->hops6 = -1;
	dg->mc_hops6 = 1;
	dg->mc_loop6 = true;
	dg->mc_loop = true;
	dg->mc_all = true;
	dg->rcvbuf = UDP_RCVBUF_DEFAULT;
	dg->sndbuf = UDP_SNDBUF_DEFAULT;
	dg->rxtail = &dg->rxq;
	dg->errtail = &dg->errq;
}

static void dgram_purge_errq(struct dgram *dg)
{
	while (dg->errq) {
		struct pbuf *p = dg->errq;

		dg->errq = p->next;
		dg->rmem -= dgram_truesize(p);
		p->next = NULL;
		pbuf_free(p);
	}
	dg->errtail = &dg->errq;
	dg->nerr = 0;
}

/**
 * dgram_fini() - free what the socket has queued, leave its groups
 * @dg: the common part of a socket being closed
 */
void dgram_fini(struct dgram *dg)
{
	mcast_drop_all(dg);
	while (dg->rxq)
		dgram_recv_next(dg);
	dgram_purge_errq(dg);
}

void dgram_set_user(struct dgram *dg, void *user)
{
	dg->user = user;
}

void *dgram_user(const struct dgram *dg)
{
	return dg->user;
}

/*
 * The address a reply to this datagram would come from, as Linux's
 * fib_compute_spec_dst() (and, for IPv6, the datagram's destination when
 * it is ours): the destination itself when it is ours, else (a broadcast
 * or a group) the source the route back to the sender would pick.
 */
static struct ip_addr dgram_spec_dst(struct stack *s, const struct ip_rx *rx)
{
	struct ip_addr src;

	if (!rx->to_bcast && !ip_addr_is_multicast(&rx->dst) &&
	    stack_addr_is_local(s, &rx->dst))
		return rx->dst;
	if (!ip_addr_is_any(&rx->src) && stack_source_for(s, &rx->src, &src) == 0)
		return src;
	if (rx->dst.family == IP_V4)
		return ip4(s->nif.naddr ? s->nif.addr[0].addr : 0);
	return ip_any(rx->dst.family);
}

/*
 * The interface IP_PKTINFO names. What we send ourselves shows, as in
 * Linux, the interface of our address, but for the ICMP errors the stack
 * makes about its own datagrams (host unreachable when ARP gets no
 * answer), which Linux shows arriving on lo. Every ICMP message handed
 * here has at least its header, so its type byte is there to read.
 */
static uint16_t dgram_ifindex(struct stack *s, const struct ip_rx *rx)
{
	uint8_t type;

	if ((rx->proto != IP_PROTO_ICMP && rx->proto != IP6_NH_ICMPV6) ||
	    !stack_addr_is_local(s, &rx->src))
		return (uint16_t)rx->ifindex;
	type = rx->hdr[rx->hdr_len];
	if (rx->proto == IP6_NH_ICMPV6)
		return icmp6_is_error(type) ? DGRAM_IF_LOOPBACK :
		       (uint16_t)rx->ifindex;
	return type == ICMP_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAM_PROBLEM ? DGRAM_IF_LOOPBACK :
	       (uint16_t)rx->ifindex;
}

/**
 * dgram_info_rx() - what recvmsg may tell about a datagram delivered
 * @s: the engine
 * @rx: what the network layer learned about it
 * @in: filled in (ports left 0)
 */
void dgram_info_rx(struct stack *s, const struct ip_rx *rx,
		   struct dgram_info *in)
{
	memset(in, 0, sizeof(*in));
	in->src = rx->src;
	in->dst = rx->dst;
	in->spec_dst = dgram_spec_dst(s, rx);
	in->ttl = rx->ttl;
	in->tos = rx->tos;
	in->ifindex = dgram_ifindex(s, rx);
	in->time = s->now;
}

/*
 * @p with at least @room bytes of headroom: itself, or a copy (then @p is
 * freed). NULL when no memory.
 */
static struct pbuf *dgram_room(struct stack *s, struct pbuf *p, size_t room)
{
	struct pbuf *c;

	if (pbuf_headroom(p) >= room)
		return p;
	c = pbuf_copy(&s->pool, room, p->data, p->len);
	pbuf_free(p);
	return c;
}

/* Linux's admission rule: while what is charged does not pass the limit */
static bool dgram_room_for(const struct dgram *dg)
{
	return dg->rmem <= dg->rcvbuf;
}

/**
 * dgram_queue() - queue a received datagram; consumes @p
 * @dg: the socket
 * @p: the datagram (what recv returns), data at its first byte
 * @in: what came with it
 *
 * Return: 0, -ENOBUFS (receive buffer full: dropped), -ENOMEM (no buffer)
 */
int dgram_queue(struct dgram *dg, struct pbuf *p, const struct dgram_info *in)
{
	struct dgram_info *kept;

	if (!dgram_room_for(dg)) {
		pbuf_free(p);
		dg->drops++;
		return -ENOBUFS;
	}
	p = dgram_room(dg->s, p, DGRAM_RX_HEADROOM);
	if (!p) {
		dg->drops++;
		return -ENOMEM;
	}
	kept = (struct dgram_info *)p->buf;
	memcpy(kept, in, sizeof(*in));
	kept->drops = dg->drops;
	p->next = NULL;
	*dg->rxtail = p;
	dg->rxtail = &p->next;
	dg->rmem += dgram_truesize(p);
	dgram_event(dg, DGRAM_EV_READABLE);
	return 0;
}

/**
 * dgram_recv_peek() - the datagram at the head of the receive queue
 * @dg: the socket
 * @in: set to what came with it
 * @len: set to its length
 *
 * Return: its bytes (valid until dgram_recv_next()), or NULL if none
 */
const uint8_t *dgram_recv_peek(struct dgram *dg, struct dgram_info *in,
			       size_t *len)
{
	struct pbuf *p = dg->rxq;

	if (!p)
		return NULL;
	memcpy(in, p->buf, sizeof(*in));
	*len = p->len;
	return p->data;
}

/**
 * dgram_recv_peek_after() - look along the receive queue without taking
 * @dg: the socket
 * @pos: NULL for the head, else what the last call left: moved on
 * @in: set to the datagram's addresses and ancillary data
 * @len: set to its payload's length
 *
 * For a host that hands several datagrams on in one system call, then
 * drops those that went with dgram_recv_next().
 *
 * Return: the payload, NULL past the last
 */
const uint8_t *dgram_recv_peek_after(struct dgram *dg, const void **pos,
				     struct dgram_info *in, size_t *len)
{
	const struct pbuf *p = *pos ? ((const struct pbuf *)*pos)->next
				    : dg->rxq;

	if (!p)
		return NULL;
	*pos = p;
	memcpy(in, p->buf, sizeof(*in));
	*len = p->len;
	return p->data;
}

/**
 * dgram_recv_next() - drop the datagram at the head of the receive queue
 * @dg: the socket
 */
void dgram_recv_next(struct dgram *dg)
{
	struct pbuf *p = dg->rxq;

	if (!p)
		return;
	dg->rxq = p->next;
	if (!dg->rxq)
		dg->rxtail = &dg->rxq;
	dg->rmem -= dgram_truesize(p);
	p->next = NULL;
	pbuf_free(p);
}

/* Bytes charged for both queues (netstat's Recv-Q). */
size_t dgram_recv_queued(const struct dgram *dg)
{
	return dg->rmem;
}

/* Queue one error-queue entry, if it fits (sock_queue_err_skb). */
static void dgram_queue_error(struct dgram *dg, const struct dgram_ee *ee,
			      const struct dgram_info *in, const void *payload,
			      size_t len)
{
	struct stack *s = dg->s;
	struct dgram_rec rec = { .in = *in, .ee = *ee };
	struct pbuf *p;

	if (!dgram_room_for(dg)) {
		CNT(s, dgram_errq_full);
		return;
	}
	p = pbuf_copy(&s->pool, DGRAM_ERR_HEADROOM, payload, len);
	if (!p) {
		CNT(s, dgram_errq_full);
		return;
	}
	memcpy(p->buf, &rec, sizeof(rec));
	p->next = NULL;
	*dg->errtail = p;
	dg->errtail = &p->next;
	dg->rmem += dgram_truesize(p);
	dg->nerr++;
	CNT(s, dgram_errq_queued);
}

/**
 * dgram_report() - an error for the socket, reported as Linux does
 * @dg: the socket
 * @ee: the extended error (@ee->err is the errno)
 * @harderr: the error is hard (icmp_err_convert's "fatal")
 * @connected: the socket is connected
 * @in: the ICMP message's info (ancillary data of the error-queue entry)
 * @payload: the bytes the entry returns (what the ICMP message quoted)
 * @len: their count
 *
 * RFC 1122 4.1.3.3 passes ICMP errors to the application; Linux keeps a
 * soft error, or one for an unconnected socket, only with IP_RECVERR.
 *
 * Return: true if the socket has the error now
 */
bool dgram_report(struct dgram *dg, const struct dgram_ee *ee, bool harderr,
		  bool connected, const struct dgram_info *in,
		  const void *payload, size_t len)
{
	/* IPv4's errors follow IP_RECVERR alone, as Linux's inet_sock;
	 * IPv6's IPV6_RECVERR, or IP_RECVERR too (the engine's own callers
	 * set only that; Linux would ask IPV6_RECVERR) */
	bool on = ee->origin == DGRAM_EE_ICMP6 ? dg->recverr6 || dg->recverr :
		  dg->recverr;

	if (!on) {
		if (!harderr || !connected)
			return false;
	} else {
		dgram_queue_error(dg, ee, in, payload, len);
	}
	dg->err = (int)ee->err;
	dgram_event(dg, DGRAM_EV_ERROR);
	return true;
}

/* ip_local_error(): a send refused here, on the error queue too. */
static void dgram_local_error(struct dgram *dg, int err,
			      const struct ip_addr *addr, uint16_t port,
			      uint32_t info)
{
	struct dgram_ee ee = { .err = (uint32_t)err, .origin = DGRAM_EE_LOCAL,
			       .info = info, .addr = *addr, .port = port };
	struct dgram_info in = { .time = dg->s->now };

	if (!(addr->family == IP_V6 ? dg->recverr6 || dg->recverr :
	      dg->recverr))
		return;
	dgram_queue_error(dg, &ee, &in, NULL, 0);
	dgram_event(dg, DGRAM_EV_ERROR);
}

/**
 * dgram_errq_peek() - the entry at the head of the error queue
 * @dg: the socket
 * @in: set to the ICMP message's info (zero but the time for local ones)
 * @ee: set to the extended error
 * @len: set to the length of what it quoted
 *
 * Return: the quoted bytes (valid until dgram_errq_next()), or NULL
 */
const uint8_t *dgram_errq_peek(struct dgram *dg, struct dgram_info *in,
			       struct dgram_ee *ee, size_t *len)
{
	struct dgram_rec rec;
	struct pbuf *p = dg->errq;

	if (!p)
		return NULL;
	memcpy(&rec, p->buf, sizeof(rec));
	*in = rec.in;
	*ee = rec.ee;
	*len = p->len;
	return p->data;
}

/**
 * dgram_errq_next() - drop the head entry of the error queue
 * @dg: the socket
 *
 * As sock_dequeue_err_skb(): the next ICMP (or ICMPv6) entry's errno
 * becomes the pending error; after the last one, none is pending.
 */
void dgram_errq_next(struct dgram *dg)
{
	struct pbuf *p = dg->errq;
	struct dgram_rec rec;
	bool icmp;

	if (!p)
		return;
	memcpy(&rec, p->buf, sizeof(rec));
	icmp = rec.ee.origin != DGRAM_EE_LOCAL;
	dg->errq = p->next;
	if (!dg->errq)
		dg->errtail = &dg->errq;
	dg->nerr--;
	dg->rmem -= dgram_truesize(p);
	p->next = NULL;
	pbuf_free(p);
	if (dg->errq) {
		memcpy(&rec, dg->errq->buf, sizeof(rec));
		if (rec.ee.origin != DGRAM_EE_LOCAL) {
			dg->err = (int)rec.ee.err;
			return;
		}
	}
	if (icmp)
		dg->err = 0;
}

unsigned dgram_errq_len(const struct dgram *dg)
{
	return dg->nerr;
}

/**
 * dgram_take_error() - take the pending error (SO_ERROR, or the next call)
 * @dg: the socket
 *
 * Return: 0, or the negative errno pending, which is then cleared
 */
int dgram_take_error(struct dgram *dg)
{
	int e = dg->err;

	dg->err = 0;
	return -e;
}

/* do_ipv6_setsockopt()'s checks: -1 restores the default, 0 is a hop
 * limit like another */
static int dgram_setopt6(struct dgram *dg, enum dgram_opt opt, int val)
{
	switch (opt) {
	case DGRAM_IP6_UNICAST_HOPS:
		if (val < -1 || val > 255)
			return -EINVAL;
		dg->hops6 = (int16_t)val;
		return 0;
	case DGRAM_IP6_TCLASS:
		if (val < -1 || val > 255)
			return -EINVAL;
		dg->tclass6 = val < 0 ? 0 : (uint8_t)val;
		return 0;
	case DGRAM_IP6_MULTICAST_HOPS:
		if (val < -1 || val > 255)
			return -EINVAL;
		dg->mc_hops6 = val < 0 ? 1 : (uint8_t)val;
		return 0;
	case DGRAM_IP6_MULTICAST_LOOP:
		if (val < 0 || val > 1)
			return -EINVAL;
		dg->mc_loop6 = val != 0;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/**
 * dgram_setopt() - set a socket option every datagram socket has
 * @dg: the socket
 * @opt: which
 * @val: its value
 *
 * Return: 0, -EINVAL (out of range, as Linux), or -ENOPROTOOPT
 */
int dgram_setopt(struct dgram *dg, enum dgram_opt opt, int val)
{
	switch (opt) {
	case DGRAM_SO_RCVBUF:
	case DGRAM_SO_RCVBUFFORCE:
		dg->rcvbuf = stack_sockbuf_size(dg->s, val, false,
						opt == DGRAM_SO_RCVBUFFORCE);
		return 0;
	case DGRAM_SO_SNDBUF:
	case DGRAM_SO_SNDBUFFORCE:
		dg->sndbuf = stack_sockbuf_size(dg->s, val, true,
						opt == DGRAM_SO_SNDBUFFORCE);
		return 0;
	case DGRAM_SO_BROADCAST:
		dg->broadcast = val != 0;
		return 0;
	case DGRAM_IP_TTL:
		if (val == -1)
			val = 0;
		else if (val < 1 || val > 255)
			return -EINVAL;
		dg->ttl = (uint8_t)val;
		return 0;
	case DGRAM_IP_TOS:
		dg->tos = (uint8_t)val;
		return 0;
	case DGRAM_IP_RECVERR:
		dg->recverr = val != 0;
		if (!dg->recverr)
			dgram_purge_errq(dg);
		return 0;
	case DGRAM_IP6_RECVERR:
		dg->recverr6 = val != 0;
		if (!dg->recverr6)
			dgram_purge_errq(dg);
		return 0;
	case DGRAM_IP_MTU_DISCOVER:
		if (val < DGRAM_PMTU_DONT || val > DGRAM_PMTU_OMIT)
			return -EINVAL;
		dg->pmtudisc = (uint8_t)val;
		return 0;
	case DGRAM_IP_MULTICAST_TTL:
		if (val == -1)
			val = 1;
		if (val < 0 || val > 255)
			return -EINVAL;
		dg->mc_ttl = (uint8_t)val;
		return 0;
	case DGRAM_IP_MULTICAST_LOOP:
		dg->mc_loop = val != 0;
		return 0;
	case DGRAM_IP_MULTICAST_ALL:
		if (val != 0 && val != 1)
			return -EINVAL;
		dg->mc_all = val;
		return 0;
	case DGRAM_IP_NONLOCAL:
		dg->nonlocal = val != 0;
		return 0;
	case DGRAM_IP_BIND_NO_PORT:
		dg->bind_no_port = val != 0;
		return 0;
	case DGRAM_IP_PORT_RANGE:
		dg->port_range = (uint32_t)val;
		return 0;
	default:
		return dgram_setopt6(dg, opt, val);
	}
}

/**
 * dgram_getopt() - read an option every datagram socket has
 * @dg: the socket
 * @opt: which
 * @val: set to its value (IP_TTL: the TTL that will be used)
 *
 * Return: 0, or -ENOPROTOOPT
 */
int dgram_getopt(const struct dgram *dg, enum dgram_opt opt, int *val)
{
	switch (opt) {
	case DGRAM_SO_RCVBUF:
		*val = (int)dg->rcvbuf;
		return 0;
	case DGRAM_SO_SNDBUF:
		*val = (int)dg->sndbuf;
		return 0;
	case DGRAM_SO_BROADCAST:
		*val = dg->broadcast;
		return 0;
	case DGRAM_IP_TTL:
		*val = dg->ttl ? dg->ttl : dg->s->cfg.ttl;
		return 0;
	case DGRAM_IP_TOS:
		*val = dg->tos;
		return 0;
	case DGRAM_IP_RECVERR:
		*val = dg->recverr;
		return 0;
	case DGRAM_IP6_RECVERR:
		*val = dg->recverr6;
		return 0;
	case DGRAM_IP_MTU_DISCOVER:
		*val = dg->pmtudisc;
		return 0;
	case DGRAM_IP_MULTICAST_TTL:
		*val = dg->mc_ttl;
		return 0;
	case DGRAM_IP_MULTICAST_LOOP:
		*val = dg->mc_loop;
		return 0;
	case DGRAM_IP_MULTICAST_ALL:
		*val = dg->mc_all;
		return 0;
	case DGRAM_IP_NONLOCAL:
		*val = dg->nonlocal;
		return 0;
	case DGRAM_IP_BIND_NO_PORT:
		*val = dg->bind_no_port;
		return 0;
	case DGRAM_IP_PORT_RANGE:
		*val = (int)dg->port_range;
		return 0;
	case DGRAM_IP6_UNICAST_HOPS:
		*val = dg->hops6 >= 0 ? dg->hops6 : dg->s->nif.in6.hop_limit;
		return 0;
	case DGRAM_IP6_TCLASS:
		*val = dg->tclass6;
		return 0;
	case DGRAM_IP6_MULTICAST_HOPS:
		*val = dg->mc_hops6;
		return 0;
	case DGRAM_IP6_MULTICAST_LOOP:
		*val = dg->mc_loop6;
		return 0;
	case DGRAM_SO_RCVBUFFORCE:
	case DGRAM_SO_SNDBUFFORCE:
		break;                  /* Linux: set only */
	}
	return -ENOPROTOOPT;
}

/**
 * dgram_path_mtu() - the largest datagram that leaves for @dst unfragmented
 * @s: the engine
 * @dst: destination
 *
 * Return: the MTU of the interface its route uses (IPv6: the path MTU
 * Packet Too Big taught, RFC 8201); our own addresses: the loopback's
 */
uint32_t dgram_path_mtu(struct stack *s, const struct ip_addr *dst)
{
	const struct route *r;
	struct netif *nif;

	if (dst->family == IP_V6)
		return stack_addr_is_local(s, dst) ? s->lo.mtu :
		       ipv6_pmtu(s, dst);
	if (stack_addr_is_local(s, dst))
		return IPV4_MAX_LEN;
	r = route_find(s, dst);
	nif = stack_netif(s, r ? r->ifindex : 1);
	return nif ? nif->mtu : s->cfg.mtu;
}

/* The TTL (Hop Limit) and TOS (Traffic Class) of one datagram: the
 * socket's for its family (IPv6: IPV6_UNICAST_HOPS, IPV6_TCLASS, where a
 * hop limit of 0 goes out as 0), the group's for multicast, the sendmsg's
 * over both. */
static void dgram_tx_ip(const struct dgram *dg, const struct ip_addr *dst,
			const struct dgram_tx *tx, struct ip_tx *itx)
{
	bool v6 = dst->family == IP_V6;

	itx->ttl = v6 ? (dg->hops6 > 0 ? (uint8_t)dg->hops6 : 0) : dg->ttl;
	itx->tos = v6 ? dg->tclass6 : dg->tos;
	if (ip_addr_is_multicast(dst))
		itx->ttl = v6 ? dg->mc_hops6 : dg->mc_ttl;
	if (tx && tx->ttl > 0)
		itx->ttl = (uint8_t)tx->ttl;
	if (tx && tx->tos >= 0)
		itx->tos = (uint8_t)tx->tos;
}

/**
 * dgram_output() - send one datagram with the socket's IP options
 * @dg: the socket
 * @p: the transport header and payload; consumed
 * @src: source address, or NULL (or the unspecified one) for the route's
 * @dst: destination
 * @proto: IP protocol
 * @dport: destination port, for a local error's msg_name (or 0)
 * @tx: this datagram's own TTL, TOS (sendmsg control messages), or NULL
 *
 * UDP and ping sockets report a pending error here instead of sending,
 * after the size checks, where Linux's sock_alloc_send_skb() does. IPv6
 * fragments at the source when the path MTU asks (RFC 8200 4.5), unless
 * IP_MTU_DISCOVER forbids it; IPv4 sets DF as IP_MTU_DISCOVER says.
 *
 * Return: 0, or -EMSGSIZE (over 64 KiB, or larger than the path MTU when
 * IP_MTU_DISCOVER forbids fragments: a local error is queued with
 * IP_RECVERR), the pending error, or what ip_output() returns
 */
int dgram_output(struct dgram *dg, struct pbuf *p, const struct ip_addr *src,
		 const struct ip_addr *dst, uint8_t proto, uint16_t dport,
		 const struct dgram_tx *tx)
{
	struct stack *s = dg->s;
	uint32_t mtu = dgram_path_mtu(s, dst);
	bool v6 = dst->family == IP_V6;
	size_t total = (v6 ? IPV6_HLEN : IPV4_HLEN) + p->len;
	struct ip_tx itx = { .dst = *dst, .proto = proto };
	uint8_t pm = dg->pmtudisc;
	bool nofrag = pm == DGRAM_PMTU_DO || pm == DGRAM_PMTU_PROBE ||
		      pm == DGRAM_PMTU_INTERFACE;

	if (src)
		itx.src = *src;
	dgram_tx_ip(dg, dst, tx, &itx);
	if (p->len > (v6 ? IPV6_MAX_PAYLOAD : IPV4_MAX_LEN - IPV4_HLEN) ||
	    (total > mtu && nofrag)) {
		pbuf_free(p);
		CNT(s, ip_tx_frag_needed);
		dgram_local_error(dg, EMSGSIZE, dst, dport, mtu);
		return -EMSGSIZE;
	}
	if (dg->kind != DGRAM_RAW) {
		/* sock_alloc_send_skb(): the pending error, and no datagram */
		int e = dgram_take_error(dg);

		if (e) {
			pbuf_free(p);
			CNT(s, dgram_tx_pending_err);
			return e;
		}
	}
	if (nofrag || (!v6 && pm == DGRAM_PMTU_WANT && total <= mtu))
		itx.flags |= IP_TX_DONTFRAG;
	if (!v6 && ip_addr_is_multicast(dst)) {
		/* IP_MULTICAST_TTL 0: for this host's members only */
		if (!itx.ttl)
			itx.flags |= IP_TX_TTL0;
		if (dg->mc_loop)
			itx.flags |= IP_TX_MC_LOOP;
		if (dg->mc_index || dg->mc_addr)
			itx.flags |= IP_TX_MC_IF;
	} else if (ip_addr_is_multicast(dst) && !itx.ttl) {
		/* IPV6_MULTICAST_HOPS 0: for this host's members only,
		 * which IPv6 does not loop back to */
		pbuf_free(p);
		return 0;
	}
	return ip_output(s, p, &itx);
}

/**
 * dgram_icmp_errno() - the errno an ICMP error means for a socket
 * @dg: the socket (its IP_MTU_DISCOVER)
 * @e: the error, with the errno and fatality its ICMP module worked out
 * @harderr: set when the error is hard (icmp_err_convert's "fatal")
 *
 * As __udp4_lib_err(), __udp6_lib_err() and ping_err(): the ICMP module's
 * conversion (RFC 1122 4.1.3.3), but fragmentation needed is EMSGSIZE,
 * hard, unless IP_PMTUDISC_DONT, where it means nothing; Packet Too Big
 * is EMSGSIZE, hard unless IP_PMTUDISC_DONT.
 *
 * Return: a positive errno, or 0 when the error means nothing here
 * (source quench, redirect, fragmentation needed with DONT)
 */
int dgram_icmp_errno(const struct dgram *dg, const struct ip_err *e,
		     bool *harderr)
{
	*harderr = e->hard;
	if (e->origin == IP_V4 && e->type == ICMP_UNREACH &&
	    e->code == ICMP_UNREACH_NEEDFRAG) {
		if (dg->pmtudisc == DGRAM_PMTU_DONT)
			return 0;
		*harderr = true;
	}
	if (e->origin == IP_V6 && e->type == ICMP6_PACKET_TOO_BIG)
		*harderr = dg->pmtudisc != DGRAM_PMTU_DONT;
	return e->err;
}
