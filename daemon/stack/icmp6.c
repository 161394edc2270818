/* SPDX-License-Identifier: MIT */
/*
 * icmp6.c - ICMPv6 (RFC 4443): echo, errors sent and received, and the
 * dispatch of Neighbor Discovery and MLD messages
 *
 * Theory of operation: an echo request to one of our addresses, or to a
 * group we are in (ff02::1), is answered from the address it was sent to
 * (a unicast one of ours for a group), with the same identifier, sequence
 * and data; a reply larger than the path MTU leaves in fragments. Errors
 * we originate follow RFC 4443 2.4 (e): never about an ICMPv6 error or a
 * redirect, nor about a datagram from ::, from a group, or to a group (but
 * Packet Too Big, and Parameter Problem for an option whose type asks it
 * even then); they quote as much of the datagram as fits in 1280 bytes and
 * pass the same token bucket as ICMP's (RFC 4443 2.4 (f)).
 *
 * Every message whose checksum is right goes first to the raw ICMPv6
 * sockets (their hook, s->protos.raw), echo replies then to the ping
 * sockets (s->protos.ping).
 * Errors received are turned into a struct ip_err (RFC 4443 3, with
 * Linux's errno for each, icmpv6_err_convert) and handed, when they quote
 * an upper-layer header and the 8 bytes after it (as Linux's
 * icmpv6_notify() asks), to the raw sockets and then through the
 * protocol table to the transport whose datagram they quote: TCP, UDP,
 * or ICMPv6 itself, whose handler passes errors about echo requests to
 * the ping sockets. A Packet Too Big lowers the path MTU to that
 * destination first (RFC 8201). Messages to an address still tentative
 * are discarded unless they are Neighbor Solicitations or Advertisements
 * (RFC 4862 5.4). This module names no transport.
 */
#include "icmp6.h"

#include <string.h>

#include "icmp.h"
#include "ipv6.h"
#include "stack_impl.h"

static bool icmp6_may_answer(const struct stack *s, const uint8_t *orig,
			     size_t len, uint8_t type, bool mcast_ok)
{
	struct ip_addr src, dst;
	struct ipv6_chain c;

	if (len < IPV6_HLEN)
		return false;
	src = ip6(orig + 8);
	dst = ip6(orig + 24);
	if (ip_addr_is_any(&src) || ip_addr_is_multicast(&src))
		return false;
	if (ip_addr_is_multicast(&dst) && type != ICMP6_PACKET_TOO_BIG &&
	    !mcast_ok)
		return false;
	/* never about an ICMPv6 error or a redirect: find what it carried */
	if (ipv6_walk(orig, len, true, &c) == IPV6_OK &&
	    c.proto == IP6_NH_ICMPV6 && !c.frag && c.l4_off < len &&
	    (icmp6_is_error(orig[c.l4_off]) || orig[c.l4_off] == ND_REDIRECT))
		return false;
	return true;
}

static int icmp6_error(struct stack *s, uint8_t type, uint8_t code,
		       uint32_t info, const uint8_t *orig, size_t len,
		       bool mcast_ok)
{
	struct icmp6_hdr h = { .type = type, .code = code, .rest = info };
	struct ip_tx tx = { .proto = IP6_NH_ICMPV6 };
	struct ip_addr odst;
	struct pbuf *p;
	size_t quote;
	int rc;

	if (!icmp6_may_answer(s, orig, len, type, mcast_ok))
		return 1;
	if (!icmp_ratelimit_allow(s))
		return 1;
	tx.dst = ip6(orig + 8);
	odst = ip6(orig + 24);
	/* from the address it was sent to, when that is a unicast of ours */
	if (!ip_addr_is_multicast(&odst) && addrconf_is_local(s, odst.v6))
		tx.src = odst;
	if (tx.src.family == IP_NONE && addrconf_select_source(s, &tx.dst, &tx.src))
		return 1;
	quote = len;
	if (quote > ICMP6_ERR_MAX_LEN - IPV6_HLEN - ICMP6_HLEN)
		quote = ICMP6_ERR_MAX_LEN - IPV6_HLEN - ICMP6_HLEN;
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, ICMP6_HLEN + quote);
	if (!p) {
		CNT(s, icmp6_tx_err);
		return -ENOBUFS;
	}
	memcpy(p->data + ICMP6_HLEN, orig, quote);
	icmp6_build(p->data, p->len, &tx.src, &tx.dst, &h);
	switch (type) {
	case ICMP6_DST_UNREACH:
		CNT(s, icmp6_tx_unreach);
		break;
	case ICMP6_TIME_EXCEEDED:
		CNT(s, icmp6_tx_time_exceeded);
		break;
	case ICMP6_PARAM_PROB:
		CNT(s, icmp6_tx_param_prob);
		break;
	default:
		break;
	}
	rc = ipv6_output(s, p, &tx);
	if (rc < 0)
		CNT(s, icmp6_tx_err);
	return rc;
}

/**
 * icmp6_send_error() - report a problem with a received datagram
 * @s: the stack
 * @type: ICMPv6 error type
 * @code: its code
 * @info: the 32-bit field (MTU, pointer)
 * @orig: the offending datagram from its IPv6 header on
 * @len: bytes available at @orig
 *
 * Return: 0 sent, 1 suppressed by RFC 4443 2.4 (e) or the rate limit, or a
 * negative errno from output
 */
int icmp6_send_error(struct stack *s, uint8_t type, uint8_t code,
		     uint32_t info, const uint8_t *orig, size_t len)
{
	return icmp6_error(s, type, code, info, orig, len, false);
}

/**
 * icmp6_param_problem() - the Parameter Problem that ipv6_walk() owes
 * @s: the stack
 * @c: the chain, with param_code, param_ptr and param_mcast_ok set
 * @orig: the datagram from its IPv6 header on
 * @len: bytes at @orig
 *
 * Return: as icmp6_send_error()
 */
int icmp6_param_problem(struct stack *s, const struct ipv6_chain *c,
			const uint8_t *orig, size_t len)
{
	return icmp6_error(s, ICMP6_PARAM_PROB, c->param_code, c->param_ptr,
			   orig, len, c->param_mcast_ok);
}

static void icmp6_echo_reply(struct stack *s, struct pbuf *req,
			     const struct ip_rx *rx, const struct icmp6_hdr *h)
{
	struct icmp6_hdr rh = { .type = ICMP6_ECHO_REPLY, .rest = h->rest };
	struct ip_tx tx = { .dst = rx->src, .proto = IP6_NH_ICMPV6,
			    .tos = rx->tos };
	struct pbuf *p;

	if (ip_addr_is_multicast(&rx->dst)) {
		if (addrconf_select_source(s, &rx->src, &tx.src)) {
			CNT(s, icmp6_tx_err);
			return;
		}
	} else {
		tx.src = rx->dst;
	}
	p = pbuf_copy(&s->pool, PBUF_HEADROOM, req->data, req->len);
	if (!p) {
		CNT(s, icmp6_tx_err);
		return;
	}
	icmp6_build(p->data, p->len, &tx.src, &tx.dst, &rh);
	CNT(s, icmp6_tx_echo_reply);
	if (ipv6_output(s, p, &tx) < 0)
		CNT(s, icmp6_tx_err);
}

/* RFC 4443 3 with Linux's errno and fatality (icmpv6_err_convert) */
static void icmp6_err_convert(uint8_t type, uint8_t code, struct ip_err *e)
{
	static const struct { int err; bool hard; } unreach[] = {
		{ ENETUNREACH, false }, { EACCES, true }, { EHOSTUNREACH, false },
		{ EHOSTUNREACH, false }, { ECONNREFUSED, true },
		{ EACCES, true }, { EACCES, true },
	};

	e->err = EPROTO;
	e->hard = true;
	switch (type) {
	case ICMP6_DST_UNREACH:
		if (code < sizeof(unreach) / sizeof(unreach[0])) {
			e->err = unreach[code].err;
			e->hard = unreach[code].hard;
		} else {
			e->err = EHOSTUNREACH;
			e->hard = false;
		}
		break;
	case ICMP6_PACKET_TOO_BIG:
		e->err = EMSGSIZE;
		e->hard = false;
		break;
	case ICMP6_TIME_EXCEEDED:
		e->err = EHOSTUNREACH;
		e->hard = false;
		break;
	default:
		break;
	}
}

/* Hand an error to the transport whose datagram it quotes. */
static void icmp6_error_deliver(struct stack *s, const struct icmp6_hdr *h,
				const struct pbuf *p, const struct ip_rx *rx)
{
	const uint8_t *orig = p->data + ICMP6_HLEN;
	size_t len = p->len - ICMP6_HLEN;
	struct ip_err e = { .origin = IP_V6, .type = h->type, .code = h->code,
			    .info = h->rest, .offender = rx->src, .rx = rx };
	const struct ip_proto *pr;
	struct ipv6_chain c;

	if (len < IPV6_HLEN || orig[0] >> 4 != 6) {
		CNT(s, icmp6_rx_err_short);
		return;
	}
	e.src = ip6(orig + 8);
	e.dst = ip6(orig + 24);
	if (!addrconf_is_local(s, e.src.v6)) {
		CNT(s, icmp6_rx_err_not_ours);
		return;
	}
	if (h->type == ICMP6_PACKET_TOO_BIG)
		ipv6_pmtu_update(s, &e.dst, h->rest);
	/* the quote may be cut anywhere: a walk that runs out is fine as
	 * long as it found the upper layer and 8 bytes of its header */
	if (ipv6_walk(orig, len, true, &c) != IPV6_OK || c.frag ||
	    len < c.l4_off + 8u) {
		CNT(s, icmp6_rx_err_short);
		return;
	}
	icmp6_err_convert(h->type, h->code, &e);
	e.proto = c.proto;
	e.l4 = orig + c.l4_off;
	e.l4_len = len - c.l4_off;
	if (s->protos.raw)
		s->protos.raw->error(s, &e);
	pr = s->protos.v6[c.proto];
	if (pr && pr->error)
		pr->error(s, &e);
}

/* RFC 4862 5.4: a tentative address takes Neighbor Discovery only */
static bool icmp6_to_tentative(struct stack *s, const struct ip_rx *rx,
			       uint8_t type)
{
	const struct ifaddr6 *a;

	if (type == ND_NEIGHBOR_SOLICIT || type == ND_NEIGHBOR_ADVERT ||
	    ip_addr_is_multicast(&rx->dst))
		return false;
	a = addrconf_find(s, rx->dst.v6);
	return a && a->state == IFA6_TENTATIVE;
}

/**
 * icmp6_input() - handle one ICMPv6 message; consumes @p
 * @s: the stack
 * @p: the message, data at the ICMPv6 header
 * @rx: what IPv6 learned about the datagram
 */
static void icmp6_input(struct stack *s, struct pbuf *p, const struct ip_rx *rx)
{
	struct icmp6_hdr h;
	int rc;

	CNT(s, icmp6_rx);
	rc = icmp6_parse(p->data, p->len, &rx->src, &rx->dst, &h);
	if (rc == -1) {
		CNT(s, icmp6_rx_short);
		goto out;
	}
	if (rc == -2) {
		CNT(s, icmp6_rx_bad_cksum);
		goto out;
	}
	if (icmp6_to_tentative(s, rx, h.type)) {
		CNT(s, icmp6_rx_to_tentative);
		goto out;
	}
	/* raw sockets see what passed the checksum (Linux's rawv6_rcv()) */
	if (s->protos.raw)
		s->protos.raw->input(s, p, rx);
	switch (h.type) {
	case ICMP6_ECHO_REQUEST:
		CNT(s, icmp6_rx_echo_req);
		icmp6_echo_reply(s, p, rx, &h);
		break;
	case ICMP6_ECHO_REPLY:
		CNT(s, icmp6_rx_echo_reply);
		if (s->protos.ping)
			s->protos.ping->input(s, p, rx);
		break;
	case ICMP6_DST_UNREACH:
		CNT(s, icmp6_rx_unreach);
		icmp6_error_deliver(s, &h, p, rx);
		break;
	case ICMP6_PACKET_TOO_BIG:
		CNT(s, icmp6_rx_pkt_too_big);
		icmp6_error_deliver(s, &h, p, rx);
		break;
	case ICMP6_TIME_EXCEEDED:
		CNT(s, icmp6_rx_time_exceeded);
		icmp6_error_deliver(s, &h, p, rx);
		break;
	case ICMP6_PARAM_PROB:
		CNT(s, icmp6_rx_param_prob);
		icmp6_error_deliver(s, &h, p, rx);
		break;
	case ND_ROUTER_SOLICIT:
	case ND_ROUTER_ADVERT:
	case ND_NEIGHBOR_SOLICIT:
	case ND_NEIGHBOR_ADVERT:
	case ND_REDIRECT:
		nd_input(s, p->data, p->len, rx);
		break;
	case ICMP6_MLD_QUERY:
	case ICMP6_MLD1_REPORT:
	case ICMP6_MLD1_DONE:
	case ICMP6_MLD2_REPORT:
		mld_input(s, p->data, p->len, rx);
		break;
	default:
		/* RFC 4443 2.4 (b): unknown informational messages are
		 * dropped; unknown errors go up (none is known to us) */
		CNT(s, icmp6_rx_other);
		break;
	}
out:
	pbuf_free(p);
}

/* An error quoting one of our ICMPv6 messages: an echo request of a ping
 * socket (Linux's ICMPv6 error handler hands those to its ping sockets) */
static void icmp6_quoted_error(struct stack *s, const struct ip_err *e)
{
	if (s->protos.ping)
		s->protos.ping->error(s, e);
}

static const struct ip_proto icmp6_proto = {
	.name = "icmp6",
	.input = icmp6_input,
	.error = icmp6_quoted_error,
};

/**
 * icmp6_init() - register ICMPv6 with IPv6's protocol table
 * @s: the stack
 */
void icmp6_init(struct stack *s)
{
	s->protos.v6[IP6_NH_ICMPV6] = &icmp6_proto;
}
