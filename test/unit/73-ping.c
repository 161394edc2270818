/* SPDX-License-Identifier: MIT */
/*
 * 73-ping.c - ICMP echo ("ping") sockets: the identifier as the port
 * (autobind from a rover, bind, sharing), what send checks and builds,
 * replies to their socket only, errors quoting our echo, connect and
 * disconnect
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "ping.h"

static uint8_t req[1600], msg[1600], fr[1700];

static void setup(struct th *t)
{
	th_init(t);
	th_learn(t, TH_PEER, TH_PEER_MAC);
}

/* An echo request as a program writes it: identifier and checksum junk. */
static size_t request(uint8_t type, uint16_t seq, size_t dlen)
{
	memset(req, 0, ICMP_HLEN);
	req[0] = type;
	req[2] = 0xde;
	req[3] = 0xad;
	req[4] = 0xbe;
	req[5] = 0xef;
	put16(req + 6, seq);
	th_pattern(req + ICMP_HLEN, dlen, seq);
	return ICMP_HLEN + dlen;
}

/* Pop the echo request the engine sent; return its identifier. */
static uint16_t sent_echo(struct th *t, uint16_t seq, size_t len)
{
	struct ipv4_hdr h;
	struct icmp_hdr ih;
	size_t plen;
	const uint8_t *p = th_check_ipv4(th_pop(t), TH_PEER_MAC, &h, &plen);

	cr_assert_eq(h.proto, IP_PROTO_ICMP);
	cr_assert_eq(plen, len);
	cr_assert_eq(icmp_parse(p, plen, &ih), 0, "the stack's checksum");
	cr_expect_eq(ih.type, ICMP_ECHO);
	cr_expect_eq(ih.rest & 0xffff, seq, "the program's sequence number");
	cr_expect_arr_eq(p + ICMP_HLEN, req + ICMP_HLEN, len - ICMP_HLEN);
	return (uint16_t)(ih.rest >> 16);
}

static void inject_reply(struct th *t, uint32_t src, uint16_t id,
			 uint16_t seq, size_t dlen)
{
	struct th_ip ip;
	size_t n;

	th_pattern(req, dlen, seq);
	n = th_icmp(msg, ICMP_ECHO_REPLY, 0, (uint32_t)id << 16 | seq, req, dlen);
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.src = src;
	th_input(t, fr, th_ipv4(fr, TH_MAC, &ip, msg, n));
}

static uint16_t ident_of(const struct ping_sock *ps)
{
	struct ip_addr a;
	uint16_t id;

	ping_getsockname(ps, &a, &id);
	return id;
}

Test(ping, the_identifier_is_the_port)
{
	struct th t;
	struct ping_sock *a, *b, *c;
	uint32_t peer = TH_PEER;

	setup(&t);
	cr_assert_eq(ping_open(t.s, IP_V4, &a), 0);
	cr_assert_eq(ping_open(t.s, IP_V4, &b), 0);
	cr_expect_eq(ident_of(a), 0, "none before the first send");
	cr_assert_eq(ping_sendmsg(a, req, request(ICMP_ECHO, 7, 56), TH_A4(peer),
				  NULL, t.now), 0);
	cr_expect_eq(sent_echo(&t, 7, 64), 1, "the rover's first");
	cr_expect_eq(ident_of(a), 1);
	cr_assert_eq(ping_sendmsg(b, req, request(ICMP_ECHO, 8, 0), TH_A4(peer),
				  NULL, t.now), 0);
	cr_expect_eq(sent_echo(&t, 8, 8), 2);
	ping_close(a);
	cr_assert_eq(ping_open(t.s, IP_V4, &c), 0);
	cr_expect_eq(ping_connect(c, TH_A4(TH_PEER), 0), 0);
	cr_expect_eq(ident_of(c), 3, "the rover goes on");
	/* bind: any identifier, shared unless SO_REUSEADDR is off */
	ping_close(c);
	ping_open(t.s, IP_V4, &a);
	ping_open(t.s, IP_V4, &c);
	cr_expect_eq(ping_bind(a, NULL, 80), 0);
	cr_expect_eq(ident_of(a), 80);
	cr_expect_eq(ping_bind(a, NULL, 81), -EINVAL, "bound already");
	cr_expect_eq(ping_bind(c, TH_A4(TH_FAR), 0), -EADDRNOTAVAIL);
	ping_set_reuseaddr(c, false);
	cr_expect_eq(ping_bind(c, NULL, 80), -EADDRINUSE);
	ping_set_reuseaddr(c, true);
	cr_expect_eq(ping_bind(c, TH_A4(TH_IP), 80), 0);
	cr_expect_eq(ping_sock_count(t.s), 3);
	ping_close(a);
	ping_close(b);
	ping_close(c);
	th_fini(&t);
}

Test(ping, send_checks_in_linux_order)
{
	struct th t;
	struct ping_sock *ps;
	uint32_t peer = TH_PEER, bcast = TH_BCAST, far = IPV4(203, 0, 113, 1);
	static uint8_t big[65536];

	setup(&t);
	ping_open(t.s, IP_V4, &ps);
	cr_expect_eq(ping_sendmsg(ps, req, 4, TH_A4(peer), NULL, t.now), -EINVAL);
	cr_expect_eq(ping_sendmsg(ps, req, request(ICMP_ECHO_REPLY, 1, 8), TH_A4(peer),
				  NULL, t.now), -EINVAL, "not an echo request");
	request(ICMP_ECHO, 1, 8);
	req[1] = 1;
	cr_expect_eq(ping_sendmsg(ps, req, 16, TH_A4(peer), NULL, t.now), -EINVAL,
		     "code 1");
	cr_expect_eq(ping_sendmsg(ps, req, request(ICMP_ECHO, 1, 8), NULL, NULL,
				  t.now), -EDESTADDRREQ);
	cr_expect_eq(ping_sendmsg(ps, req, 16, TH_A4(bcast), NULL, t.now), -EACCES);
	big[0] = ICMP_ECHO;
	cr_expect_eq(ping_sendmsg(ps, big, 65516, TH_A4(peer), NULL, t.now),
		     -EMSGSIZE, "over 64 KiB with the IP header");
	cr_expect_eq(ping_sendmsg(ps, big, 65536, TH_A4(peer), NULL, t.now),
		     -EMSGSIZE);
	th_expect_silence(&t);
	cr_expect_eq(ping_sendmsg(ps, req, 16, TH_A4(far), NULL, t.now), 0,
		     "through the gateway");
	ping_close(ps);
	th_fini(&t);
}

Test(ping, replies_reach_their_socket_whole)
{
	struct th t;
	struct ping_sock *a, *b;
	struct dgram_info in;
	const uint8_t *d;
	size_t len;

	setup(&t);
	ping_open(t.s, IP_V4, &a);
	ping_open(t.s, IP_V4, &b);
	ping_bind(a, NULL, 0x1111);
	ping_bind(b, TH_A4(TH_IP), 0x2222);
	inject_reply(&t, TH_PEER, 0x1111, 4, 20);
	d = dgram_recv_peek(ping_dgram(a), &in, &len);
	cr_assert_not_null(d);
	cr_expect_eq(len, ICMP_HLEN + 20, "the ICMP header and the data");
	cr_expect_eq(d[0], ICMP_ECHO_REPLY);
	cr_expect_eq(get16(d + 4), 0x1111);
	cr_expect_eq(in.src.v4, TH_PEER);
	cr_expect_eq(in.sport, 0, "no port");
	cr_expect_eq(in.ttl, 64);
	cr_expect_null(dgram_recv_peek(ping_dgram(b), &in, &len));
	/* from any host, connected or not (Linux's ping_lookup) */
	ping_connect(b, TH_A4(TH_GW), 0);
	inject_reply(&t, TH_PEER, 0x2222, 5, 0);
	cr_expect_not_null(dgram_recv_peek(ping_dgram(b), &in, &len));
	inject_reply(&t, TH_PEER, 0x3333, 6, 0);
	cr_expect_eq(th_cnt(&t)->ping_rx_delivered, 2);
	cr_expect_eq(th_cnt(&t)->icmp_rx_echo_reply, 3);
	ping_close(a);
	ping_close(b);
	th_fini(&t);
}

Test(ping, errors_quoting_our_echo)
{
	struct th t;
	struct ping_sock *ps;
	struct dgram *dg;
	struct dgram_info in;
	struct dgram_ee ee;
	uint32_t far = TH_FAR;
	const uint8_t *d;
	size_t len;
	uint16_t id;

	setup(&t);
	th_learn(&t, TH_GW, TH_GW_MAC);
	ping_open(t.s, IP_V4, &ps);
	dg = ping_dgram(ps);
	/* unconnected, without IP_RECVERR: nothing */
	ping_sendmsg(ps, req, request(ICMP_ECHO, 1, 8), TH_A4(far), NULL, t.now);
	th_icmp_error(&t, th_pop(&t), ICMP_UNREACH, ICMP_UNREACH_HOST, 0,
		      TH_GW, 576);
	cr_expect_eq(dgram_take_error(dg), 0);
	dgram_setopt(dg, DGRAM_IP_RECVERR, 1);
	ping_sendmsg(ps, req, request(ICMP_ECHO, 2, 8), TH_A4(far), NULL, t.now);
	th_icmp_error(&t, th_pop(&t), ICMP_TIME_EXCEEDED, 0, 0, TH_GW, 576);
	d = dgram_errq_peek(dg, &in, &ee, &len);
	cr_assert_not_null(d);
	cr_expect_eq(ee.err, EHOSTUNREACH);
	cr_expect_eq(ee.offender.v4, TH_GW);
	cr_expect_eq(ee.addr.v4, TH_FAR);
	cr_expect_eq(ee.port, 0);
	cr_expect_eq(len, 16, "the quoted echo request");
	id = ident_of(ps);
	cr_expect_eq(d[0], ICMP_ECHO);
	cr_expect_eq(get16(d + 4), id);
	cr_expect_eq(get16(d + 6), 2);
	dgram_errq_next(dg);
	/* source quench is seen (EREMOTEIO), as ping wants */
	ping_sendmsg(ps, req, request(ICMP_ECHO, 3, 8), TH_A4(far), NULL, t.now);
	th_icmp_error(&t, th_pop(&t), ICMP_SOURCE_QUENCH, 0, 0, TH_GW, 576);
	cr_assert_not_null(dgram_errq_peek(dg, &in, &ee, &len));
	cr_expect_eq(ee.err, EREMOTEIO);
	/* the pending error: the next send reports it */
	cr_expect_eq(ping_sendmsg(ps, req, request(ICMP_ECHO, 4, 8), TH_A4(far), NULL,
				  t.now), -EREMOTEIO);
	th_expect_silence(&t);
	/* an error about someone else's identifier reaches no one */
	dgram_errq_next(dg);
	ping_sendmsg(ps, req, request(ICMP_ECHO, 5, 8), TH_A4(far), NULL, t.now);
	{
		struct th_frame *f = th_pop(&t);

		put16(f->data + ETH_HLEN + IPV4_HLEN + 4, (uint16_t)(id + 1));
		th_icmp_error(&t, f, ICMP_TIME_EXCEEDED, 0, 0, TH_GW, 576);
	}
	cr_expect_eq(dgram_errq_len(dg), 0);
	cr_expect_eq(th_cnt(&t)->ping_icmp_err, 2);
	ping_close(ps);
	th_fini(&t);
}

Test(ping, connect_and_disconnect)
{
	struct th t;
	struct ping_sock *ps;
	struct ip_addr a;
	uint16_t p;

	setup(&t);
	ping_open(t.s, IP_V4, &ps);
	cr_expect_eq(ping_connect(ps, TH_A4(TH_PEER), 0), 0);
	cr_expect_neq(ident_of(ps), 0, "connect chooses an identifier");
	ping_getsockname(ps, &a, &p);
	cr_expect_eq(a.v4, TH_IP, "and the source");
	cr_expect_eq(ping_getpeername(ps, &a, &p), -ENOTCONN,
		     "connected with port 0: no peer to show, as Linux");
	cr_assert_eq(ping_sendmsg(ps, req, request(ICMP_ECHO, 9, 8), NULL, NULL,
				  t.now), 0);
	th_pop(&t);
	cr_expect_eq(ping_connect(ps, TH_A4(TH_PEER), 7), 0);
	cr_expect_eq(ping_getpeername(ps, &a, &p), 0);
	cr_expect_eq(p, 7);
	cr_expect_eq(ping_disconnect(ps), 0);
	cr_expect_eq(ident_of(ps), 0, "not bound: the identifier is let go");
	cr_expect_eq(ping_bind(ps, NULL, 500), 0);
	ping_disconnect(ps);
	cr_expect_eq(ident_of(ps), 500, "bound: kept");
	cr_expect_eq(ping_sendmsg(ps, req, 16, NULL, NULL, t.now), -EDESTADDRREQ);
	ping_close(ps);
	th_fini(&t);
}
