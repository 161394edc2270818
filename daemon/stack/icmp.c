/* SPDX-License-Identifier: MIT */
/*
 * icmp.c - ICMP for IPv4 (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3.2)
 *
 * Theory of operation: echo requests to one of our addresses are answered
 * with the same identifier, sequence and data (RFC 1122 3.2.2.6); requests
 * to a broadcast address are ignored, as Linux does by default. Errors we
 * originate (protocol and port unreachable, reassembly time exceeded)
 * follow RFC 1122 3.2.2: never about an ICMP error, a broadcast or
 * multicast datagram, a non-initial fragment, or a source that is not a
 * unicast host; they quote the offending header and as much data as fits
 * in 576 bytes (RFC 1812 4.3.2.3) and pass a token bucket (RFC 1812
 * 4.3.2.8: icmp_rate per second, bursts of icmp_burst). Echo replies are
 * not rate limited, as in Linux.
 *
 * Every ICMP message goes first to the raw ICMP sockets, as Linux's
 * Linux's raw delivery does; echo replies then go to the ping sockets and
 * to the stack's own pings (ustackctl ping). An error (destination
 * unreachable, time exceeded, parameter problem, source quench,
 * redirect) that quotes a whole IP header and the 8 bytes after it (RFC
 * 792; Linux checks the same) becomes a struct ip_err, with the errno
 * and fatality of Linux's icmp_err_convert, and goes to the raw sockets,
 * then through the protocol table to the quoted protocol (UDP, TCP, or
 * ICMP itself, whose own handler passes errors about echo requests to
 * the ping sockets). Raw and ping sockets are reached through the hooks
 * they registered (s->protos.raw, s->protos.ping): this module names no
 * transport.
 */
#include "icmp.h"

#include <string.h>

#include "ip.h"
#include "ipv4.h"
#include "stack_impl.h"

/**
 * icmp_parse() - read and verify an ICMP header
 * @buf: the ICMP message
 * @len: its length
 * @h: filled in, host order
 *
 * Return: 0, -1 if shorter than a header, -2 if the checksum is wrong
 */
int icmp_parse(const uint8_t *buf, size_t len, struct icmp_hdr *h)
{
	if (len < ICMP_HLEN)
		return -1;
	h->type = buf[0];
	h->code = buf[1];
	h->cksum = get16(buf + 2);
	h->rest = get32(buf + 4);
	if (inet_cksum(buf, len))
		return -2;
	return 0;
}

/**
 * icmp_build() - write an ICMP header and checksum the whole message
 * @buf: the message, @len bytes, body already in place after the header
 * @len: message length
 * @h: the header; @h->cksum is computed
 */
void icmp_build(uint8_t *buf, size_t len, const struct icmp_hdr *h)
{
	buf[0] = h->type;
	buf[1] = h->code;
	put16(buf + 2, 0);
	put32(buf + 4, h->rest);
	put16(buf + 2, inet_cksum(buf, len));
}

/**
 * icmp_ratelimit_allow() - take a token from the error bucket
 * @s: the stack
 *
 * The refill, elapsed ns times icmp_rate, is only computed when it cannot
 * pass the room left in the bucket: for a large icmp_rate the product
 * would overflow 64 bits and wrap to an almost empty bucket.
 *
 * Return: 1 if an error may be sent now, 0 if it must be suppressed
 */
int icmp_ratelimit_allow(struct stack *s)
{
	uint64_t cap = (uint64_t)s->cfg.icmp_burst * NSEC_PER_SEC;
	uint64_t elapsed = s->now - s->icmp_refill;
	uint64_t rate = s->cfg.icmp_rate;

	s->icmp_refill = s->now;
	/* the bucket may hold more than a burst that was lowered since */
	if (s->icmp_tokens >= cap ||
	    (rate && elapsed > (cap - s->icmp_tokens) / rate))
		s->icmp_tokens = cap;
	else
		s->icmp_tokens += elapsed * rate;
	if (s->icmp_tokens < NSEC_PER_SEC) {
		CNT(s, icmp_tx_ratelimited);
		return 0;
	}
	s->icmp_tokens -= NSEC_PER_SEC;
	return 1;
}

static bool icmp_is_error_type(uint8_t type)
{
	return type == ICMP_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAM_PROBLEM || type == 4 /* source quench */ ||
	       type == 5 /* redirect */;
}

/**
 * icmp_send_error() - report a problem with a received datagram
 * @s: the stack
 * @type: ICMP type
 * @code: ICMP code
 * @rest: the 32-bit field after the checksum (next-hop MTU, pointer)
 * @orig: the offending datagram from its IPv4 header on
 * @orig_len: bytes available at @orig
 *
 * Return: 0 sent, 1 suppressed by RFC 1122 3.2.2 or the rate limit,
 * or a negative errno from output
 */
int icmp_send_error(struct stack *s, uint8_t type, uint8_t code,
		    uint32_t rest, const uint8_t *orig, size_t orig_len)
{
	struct ipv4_hdr oh;
	struct icmp_hdr h = { .type = type, .code = code, .rest = rest };
	struct ip_tx tx = { .proto = IP_PROTO_ICMP, .tos = 0xc0 };
	struct pbuf *p;
	size_t quote;
	int rc;

	if (orig_len < IPV4_HLEN)
		return 1;
	oh.hlen = (uint8_t)((orig[0] & 0xf) * 4);
	oh.frag = get16(orig + 6);
	oh.proto = orig[9];
	oh.src = get32(orig + 12);
	oh.dst = get32(orig + 16);
	if (oh.hlen < IPV4_HLEN || oh.hlen > orig_len)
		return 1;
	if (oh.frag & IP_OFFMASK)
		return 1;
	if (oh.src == 0 || stack_is_broadcast(s, oh.src) ||
	    ipv4_is_multicast(oh.src) || ipv4_is_multicast(oh.dst) ||
	    stack_is_broadcast(s, oh.dst))
		return 1;
	if (oh.proto == IP_PROTO_ICMP &&
	    (orig_len <= oh.hlen || icmp_is_error_type(orig[oh.hlen])))
		return 1;
	if (!icmp_ratelimit_allow(s))
		return 1;
	quote = orig_len;
	if (quote > ICMP_ERR_MAX_LEN - IPV4_HLEN - ICMP_HLEN)
		quote = ICMP_ERR_MAX_LEN - IPV4_HLEN - ICMP_HLEN;
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, ICMP_HLEN + quote);
	if (!p) {
		CNT(s, icmp_tx_err);
		return -ENOBUFS;
	}
	memcpy(p->data + ICMP_HLEN, orig, quote);
	icmp_build(p->data, p->len, &h);
	if (type == ICMP_UNREACH)
		CNT(s, icmp_tx_unreach);
	else if (type == ICMP_TIME_EXCEEDED)
		CNT(s, icmp_tx_time_exceeded);
	/* from the address the datagram was sent to, if it is ours */
	if (stack_is_local_addr(s, oh.dst))
		tx.src = ip4(oh.dst);
	tx.dst = ip4(oh.src);
	rc = ipv4_output(s, p, &tx);
	if (rc < 0)
		CNT(s, icmp_tx_err);
	return rc;
}

static void icmp_echo_reply(struct stack *s, struct pbuf *req,
			    const struct ip_rx *rx, const struct icmp_hdr *h)
{
	struct icmp_hdr rh = { .type = ICMP_ECHO_REPLY, .rest = h->rest };
	struct ip_tx tx = { .src = rx->dst, .dst = rx->src,
			    .proto = IP_PROTO_ICMP, .tos = rx->tos };
	struct pbuf *p;

	if (rx->to_bcast || rx->l2_bcast) {
		CNT(s, icmp_rx_echo_bcast);
		return;
	}
	p = pbuf_copy(&s->pool, PBUF_HEADROOM, req->data, req->len);
	if (!p) {
		CNT(s, icmp_tx_err);
		return;
	}
	icmp_build(p->data, p->len, &rh);
	CNT(s, icmp_tx_echo_reply);
	if (ipv4_output(s, p, &tx) < 0)
		CNT(s, icmp_tx_err);
}

/* What an error says besides type and code (RFC 792, RFC 1191). */
static uint32_t icmp_err_info(const struct icmp_hdr *h)
{
	if (h->type == ICMP_UNREACH && h->code == ICMP_UNREACH_NEEDFRAG)
		return h->rest & 0xffff;         /* next-hop MTU */
	if (h->type == ICMP_PARAM_PROBLEM)
		return h->rest >> 24;            /* the pointer */
	return 0;
}

/*
 * The errno an error means and whether it is fatal: Linux's
 * icmp_err_convert table for destination unreachable (RFC 1122 4.2.3.9:
 * protocol and port unreachable, and the administrative ones, are hard),
 * EPROTO (hard) for a parameter problem, EHOSTUNREACH (soft) for the
 * rest; source quench (RFC 6633) and redirect mean nothing to a socket.
 */
static void icmp_err_convert(uint8_t type, uint8_t code, struct ip_err *e)
{
	static const struct { uint8_t err, fatal; } unreach[] = {
		{ ENETUNREACH, 0 }, { EHOSTUNREACH, 0 }, { ENOPROTOOPT, 1 },
		{ ECONNREFUSED, 1 }, { EMSGSIZE, 0 }, { EOPNOTSUPP, 0 },
		{ ENETUNREACH, 1 }, { EHOSTDOWN, 1 }, { ENONET, 1 },
		{ ENETUNREACH, 1 }, { EHOSTUNREACH, 1 }, { ENETUNREACH, 0 },
		{ EHOSTUNREACH, 0 }, { EHOSTUNREACH, 1 }, { EHOSTUNREACH, 1 },
		{ EHOSTUNREACH, 1 },
	};

	e->err = EHOSTUNREACH;
	e->hard = false;
	switch (type) {
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
		e->err = 0;
		break;
	case ICMP_PARAM_PROBLEM:
		e->err = EPROTO;
		e->hard = true;
		break;
	case ICMP_UNREACH:
		if (code < sizeof(unreach) / sizeof(unreach[0])) {
			e->err = unreach[code].err;
			e->hard = unreach[code].fatal;
		}
		break;
	default:
		break;
	}
}

/* Hand an error to the sockets whose datagram it quotes. */
static void icmp_error_deliver(struct stack *s, const struct icmp_hdr *h,
			       const struct pbuf *p, const struct ip_rx *rx)
{
	const uint8_t *orig = p->data + ICMP_HLEN;
	size_t len = p->len - ICMP_HLEN, hlen;
	struct ip_err e = { .origin = IP_V4, .type = h->type, .code = h->code,
			    .info = icmp_err_info(h), .offender = rx->src,
			    .rx = rx };
	const struct ip_proto *pr;

	if (len < IPV4_HLEN || orig[0] >> 4 != 4 ||
	    (hlen = (orig[0] & 0xfu) * 4) < IPV4_HLEN || len < hlen + 8) {
		CNT(s, icmp_rx_err_short);
		return;
	}
	icmp_err_convert(h->type, h->code, &e);
	e.src = ip4(get32(orig + 12));
	e.dst = ip4(get32(orig + 16));
	e.proto = orig[9];
	e.l4 = orig + hlen;
	e.l4_len = len - hlen;
	if (s->protos.raw)
		s->protos.raw->error(s, &e);
	pr = s->protos.v4[e.proto];
	if (pr && pr->error)
		pr->error(s, &e);
}

/* An echo reply: to its ping socket, and to the stack's own pings. */
static void icmp_echo_reply_in(struct stack *s, const struct pbuf *p,
			       const struct ip_rx *rx,
			       const struct icmp_hdr *h)
{
	CNT(s, icmp_rx_echo_reply);
	if (s->protos.ping)
		s->protos.ping->input(s, p, rx);
	if (h->type == ICMP_ECHO_REPLY && s->ops->echo_reply)
		s->ops->echo_reply(s->ctx, rx->src.v4, (uint16_t)(h->rest >> 16),
				   (uint16_t)h->rest, p->len - ICMP_HLEN,
				   rx->ttl);
}

/**
 * stack_ping() - send an ICMP echo request from the stack itself
 * @s: the stack
 * @dst: destination
 * @id: identifier (the reply carries it back to ops->echo_reply)
 * @seq: sequence number
 * @len: data bytes, 0..65507 (a pattern, with no timestamp)
 * @now: current time
 *
 * Return: 0 (sent or waiting for ARP), -EINVAL, -ENETUNREACH, -ENOBUFS
 */
int stack_ping(struct stack *s, uint32_t dst, uint16_t id, uint16_t seq,
	       size_t len, uint64_t now)
{
	struct icmp_hdr h = { .type = ICMP_ECHO, .rest = (uint32_t)id << 16 | seq };
	struct pbuf *p;

	s->now = now;
	if (len > IPV4_MAX_LEN - IPV4_HLEN - ICMP_HLEN || dst == 0 ||
	    ipv4_is_multicast(dst) || stack_is_broadcast(s, dst))
		return -EINVAL;
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, ICMP_HLEN + len);
	if (!p) {
		CNT(s, icmp_tx_err);
		return -ENOBUFS;
	}
	for (size_t i = 0; i < len; i++)
		p->data[ICMP_HLEN + i] = (uint8_t)(0x10 + i % 0x30);
	icmp_build(p->data, p->len, &h);
	CNT(s, icmp_tx_echo_req);
	return ipv4_output(s, p, &(struct ip_tx){ .dst = ip4(dst),
						  .proto = IP_PROTO_ICMP });
}

/**
 * icmp_input() - handle one ICMP message; consumes @p
 * @s: the stack
 * @p: the message, data at the ICMP header
 * @rx: what IPv4 learned about the datagram
 */
static void icmp_input(struct stack *s, struct pbuf *p, const struct ip_rx *rx)
{
	struct icmp_hdr h;
	int rc;

	CNT(s, icmp_rx);
	if (p->len >= ICMP_HLEN && s->protos.raw)
		s->protos.raw->input(s, p, rx);
	rc = icmp_parse(p->data, p->len, &h);
	if (rc == -1) {
		CNT(s, icmp_rx_short);
		goto out;
	}
	if (rc == -2) {
		CNT(s, icmp_rx_bad_cksum);
		goto out;
	}
	switch (h.type) {
	case ICMP_ECHO:
		CNT(s, icmp_rx_echo_req);
		icmp_echo_reply(s, p, rx, &h);
		break;
	case ICMP_ECHO_REPLY:
	case ICMP_EXT_ECHO_REPLY:
		icmp_echo_reply_in(s, p, rx, &h);
		break;
	case ICMP_UNREACH:
		CNT(s, icmp_rx_unreach);
		icmp_error_deliver(s, &h, p, rx);
		break;
	case ICMP_TIME_EXCEEDED:
		CNT(s, icmp_rx_time_exceeded);
		icmp_error_deliver(s, &h, p, rx);
		break;
	case ICMP_PARAM_PROBLEM:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
		CNT(s, icmp_rx_other);
		icmp_error_deliver(s, &h, p, rx);
		break;
	default:
		CNT(s, icmp_rx_other);
		break;
	}
out:
	pbuf_free(p);
}

/* An error quoting one of our ICMP messages: an echo request of a ping
 * socket (Linux's ICMP error handler hands those to its ping sockets). */
static void icmp_quoted_error(struct stack *s, const struct ip_err *e)
{
	if (s->protos.ping)
		s->protos.ping->error(s, e);
}

static const struct ip_proto icmp_proto = {
	.name = "icmp",
	.input = icmp_input,
	.error = icmp_quoted_error,
};

/**
 * icmp_init() - register ICMP with IPv4's protocol table
 * @s: the stack
 */
void icmp_init(struct stack *s)
{
	s->protos.v4[IP_PROTO_ICMP] = &icmp_proto;
}
