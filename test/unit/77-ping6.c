/* SPDX-License-Identifier: MIT */
/*
 * 77-ping6.c - ICMPv6 echo ("ping") sockets, socket(AF_INET6, SOCK_DGRAM,
 * IPPROTO_ICMPV6) as Linux's net/ipv6/ping.c: echo request 128 and reply
 * 129, the stack's identifier and pseudo-header checksum, what send
 * refuses, replies to their socket, errors of ICMPv6 origin, one
 * identifier space with the IPv4 ping sockets
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "ping.h"

static uint8_t req[1600], fr[1700];

#define A(text) ((const struct ip_addr *)(struct ip_addr[]){ th_a6(text) })

/* An echo request as a program writes it: identifier and checksum junk */
static size_t request(uint8_t type, uint16_t seq, size_t dlen)
{
	memset(req, 0, ICMP6_HLEN);
	req[0] = type;
	req[2] = 0xde;
	req[3] = 0xad;
	req[4] = 0xbe;
	req[5] = 0xef;
	put16(req + 6, seq);
	th_pattern(req + ICMP6_HLEN, dlen, seq);
	return ICMP6_HLEN + dlen;
}

/* Pop the echo request the engine sent to @dst; return its identifier */
static uint16_t sent_echo6(struct th *t, const char *dst, uint16_t seq,
			   size_t len)
{
	struct ipv6_hdr h;
	struct icmp6_hdr ih;
	size_t plen;
	const uint8_t *p = th_check_ipv6(th_pop(t), &h, &plen);
	struct ip_addr s = ip6(h.src), d = ip6(h.dst);

	cr_assert_eq(h.nh, IP6_NH_ICMPV6);
	cr_expect(ip_addr_eq(&s, A(TH_IP6)));
	cr_expect(ip_addr_eq(&d, A(dst)));
	cr_assert_eq(plen, len);
	cr_assert_eq(icmp6_parse(p, plen, &s, &d, &ih), 0,
		     "the stack's checksum, with the pseudo-header");
	cr_expect_eq(ih.type, ICMP6_ECHO_REQUEST);
	cr_expect_eq(ih.code, 0);
	cr_expect_eq(ih.rest & 0xffff, seq, "the program's sequence number");
	cr_expect_arr_eq(p + ICMP6_HLEN, req + ICMP6_HLEN, len - ICMP6_HLEN);
	return (uint16_t)(ih.rest >> 16);
}

static void inject_reply6(struct th *t, const char *src, uint16_t id,
			  uint16_t seq, size_t dlen)
{
	struct ip_addr s = th_a6(src), us = th_a6(TH_IP6);
	uint8_t data[1500];

	th_pattern(data, dlen, seq);
	th_input(t, fr, th_icmp6(fr, TH_PEER_MAC, TH_MAC, &s, &us, 61,
				 ICMP6_ECHO_REPLY, 0, (uint32_t)id << 16 | seq,
				 data, dlen));
}

static uint16_t ident_of(const struct ping_sock *ps)
{
	struct ip_addr a;
	uint16_t id;

	ping_getsockname(ps, &a, &id);
	return id;
}

Test(ping6, echo_request_and_reply)
{
	struct th t;
	struct ping_sock *ps;
	struct dgram_info in;
	const uint8_t *d;
	size_t len;
	uint16_t id;

	th_init6(&t);
	cr_assert_eq(ping_open(t.s, IP_V6, &ps), 0);
	cr_expect_eq(ping_family(ps), IP_V6);
	cr_assert_eq(ping_sendmsg(ps, req, request(ICMP6_ECHO_REQUEST, 7, 56),
				  A(TH_PEER6), NULL, t.now), 0);
	id = sent_echo6(&t, TH_PEER6, 7, 64);
	cr_expect_eq(id, ident_of(ps), "the socket's identifier, not the program's");
	cr_expect_neq(id, 0xbeef);
	inject_reply6(&t, TH_PEER6, id, 7, 56);
	d = dgram_recv_peek(ping_dgram(ps), &in, &len);
	cr_assert_not_null(d);
	cr_expect_eq(len, ICMP6_HLEN + 56, "the ICMPv6 header and the data");
	cr_expect_eq(d[0], ICMP6_ECHO_REPLY);
	cr_expect_eq(get16(d + 4), id);
	cr_expect_eq(get16(d + 6), 7);
	cr_expect(ip_addr_eq(&in.src, A(TH_PEER6)));
	cr_expect(ip_addr_eq(&in.dst, A(TH_IP6)));
	cr_expect_eq(in.ttl, 61, "the hop limit it came with");
	dgram_recv_next(ping_dgram(ps));
	/* another identifier's reply is not this socket's */
	inject_reply6(&t, TH_PEER6, (uint16_t)(id + 1), 8, 0);
	cr_expect_null(dgram_recv_peek(ping_dgram(ps), &in, &len));
	cr_expect_eq(th_cnt(&t)->ping_rx_delivered, 1);
	cr_expect_eq(th_cnt(&t)->icmp6_rx_echo_reply, 2);
	cr_expect_eq(th_cnt(&t)->ping_tx, 1);
	th_expect_silence(&t);
	ping_close(ps);
	th_fini(&t);
}

/* What ping_v6_sendmsg() refuses, before anything is sent */
Test(ping6, send_checks)
{
	struct th t;
	struct ping_sock *ps;

	th_init6(&t);
	ping_open(t.s, IP_V6, &ps);
	cr_expect_eq(ping_sendmsg(ps, req, 4, A(TH_PEER6), NULL, t.now), -EINVAL,
		     "shorter than an ICMPv6 header");
	cr_expect_eq(ping_sendmsg(ps, req, request(ICMP_ECHO, 1, 8), A(TH_PEER6),
				  NULL, t.now), -EINVAL, "an IPv4 echo request");
	cr_expect_eq(ping_sendmsg(ps, req, request(ICMP6_ECHO_REPLY, 1, 8),
				  A(TH_PEER6), NULL, t.now), -EINVAL);
	request(ICMP6_ECHO_REQUEST, 1, 8);
	req[1] = 1;
	cr_expect_eq(ping_sendmsg(ps, req, 16, A(TH_PEER6), NULL, t.now), -EINVAL,
		     "code 1");
	cr_expect_eq(ping_sendmsg(ps, req, request(ICMP6_ECHO_REQUEST, 1, 8), NULL,
				  NULL, t.now), -EDESTADDRREQ);
	cr_expect_eq(ping_sendmsg(ps, req, 16, A("::ffff:192.0.2.2"), NULL, t.now),
		     -EINVAL, "no IPv4 through an ICMPv6 socket");
	cr_expect_eq(ping_sendmsg(ps, req, 16, A("fe80::2"), NULL, t.now), -EINVAL,
		     "link-local without the interface");
	th_expect_silence(&t);
	ping_close(ps);
	th_fini(&t);
}

/* IPV6_RECVERR: an ICMPv6 error quoting our echo, from a router */
Test(ping6, errors_quoting_our_echo)
{
	struct th t;
	struct ping_sock *ps;
	struct dgram *dg;
	struct dgram_info in;
	struct dgram_ee ee;
	struct ip_addr rtr = th_a6("2001:db8::fe"), us = th_a6(TH_IP6);
	struct th_frame *f;
	const uint8_t *d;
	size_t len;
	uint16_t id;

	th_init6(&t);
	ping_open(t.s, IP_V6, &ps);
	dg = ping_dgram(ps);
	dgram_setopt(dg, DGRAM_IP_RECVERR, 1);
	ping_sendmsg(ps, req, request(ICMP6_ECHO_REQUEST, 2, 8), A(TH_PEER6),
		     NULL, t.now);
	f = th_pop(&t);
	th_input(&t, fr, th_icmp6(fr, TH_PEER_MAC, TH_MAC, &rtr, &us, 64,
				  ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR, 0,
				  f->data + ETH_HLEN, f->len - ETH_HLEN));
	d = dgram_errq_peek(dg, &in, &ee, &len);
	cr_assert_not_null(d);
	cr_expect_eq(ee.origin, DGRAM_EE_ICMP6);
	cr_expect_eq(ee.type, ICMP6_DST_UNREACH);
	cr_expect_eq(ee.code, ICMP6_DST_UNREACH_ADDR);
	cr_expect_eq(ee.err, EHOSTUNREACH, "icmpv6_err_convert");
	cr_expect(ip_addr_eq(&ee.offender, &rtr));
	cr_expect(ip_addr_eq(&ee.addr, A(TH_PEER6)));
	cr_expect_eq(len, 16, "the quoted echo request");
	id = ident_of(ps);
	cr_expect_eq(d[0], ICMP6_ECHO_REQUEST);
	cr_expect_eq(get16(d + 4), id);
	cr_expect_eq(get16(d + 6), 2);
	cr_expect_eq(th_cnt(&t)->ping_icmp_err, 1);
	ping_close(ps);
	th_fini(&t);
}

/* Linux's ping_get_port(): one identifier space for both families */
Test(ping6, one_identifier_space_with_ipv4)
{
	struct th t;
	struct ping_sock *a, *b;

	th_init6(&t);
	ping_open(t.s, IP_V4, &a);
	ping_open(t.s, IP_V6, &b);
	ping_set_reuseaddr(a, false);
	ping_set_reuseaddr(b, false);
	cr_assert_eq(ping_bind(a, NULL, 80), 0);
	cr_expect_eq(ping_bind(b, NULL, 80), -EADDRINUSE);
	cr_expect_eq(ping_bind(b, NULL, 81), 0);
	ping_close(a);
	ping_close(b);
	th_fini(&t);
}
