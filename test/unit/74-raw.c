/* SPDX-License-Identifier: MIT */
/*
 * 74-raw.c - raw ICMP sockets: a copy of every ICMP message with its IP
 * header, ICMP_FILTER, bound and connected sockets, send with the
 * stack's IP header and the program's ICMP bytes, errors
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "raw.h"

static uint8_t msg[1600], fr[1700];

static void setup(struct th *t)
{
	th_init(t);
	th_learn(t, TH_PEER, TH_PEER_MAC);
}

static void inject_icmp(struct th *t, uint32_t src, uint8_t type,
			uint8_t code, uint32_t rest, size_t dlen)
{
	struct th_ip ip;
	size_t n;

	th_pattern(fr, dlen, type);
	n = th_icmp(msg, type, code, rest, fr, dlen);
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.src = src;
	ip.ttl = 33;
	th_input(t, fr, th_ipv4(fr, TH_MAC, &ip, msg, n));
}

Test(raw, copies_every_icmp_message_with_its_header)
{
	struct th t;
	struct raw_sock *rs;
	struct dgram *dg;
	struct dgram_info in;
	const uint8_t *d;
	size_t len;
	uint32_t mask;

	setup(&t);
	cr_expect_eq(raw_open(t.s, IP_V4, IP_PROTO_UDP, &rs), -EPROTONOSUPPORT);
	cr_assert_eq(raw_open(t.s, IP_V4, IP_PROTO_ICMP, &rs), 0);
	dg = raw_dgram(rs);
	inject_icmp(&t, TH_PEER, ICMP_ECHO, 0, 0x00010001, 12);
	th_pop(&t);                           /* the stack answers it too */
	d = dgram_recv_peek(dg, &in, &len);
	cr_assert_not_null(d);
	cr_expect_eq(len, IPV4_HLEN + ICMP_HLEN + 12);
	cr_expect_eq(d[0], 0x45, "the IP header comes first");
	cr_expect_eq(d[8], 33);
	cr_expect_eq(get32(d + 12), TH_PEER);
	cr_expect_eq(d[IPV4_HLEN], ICMP_ECHO);
	cr_expect_eq(in.src.v4, TH_PEER);
	cr_expect_eq(in.ttl, 33);
	dgram_recv_next(dg);
	/* ICMP_FILTER: a set bit keeps that type away */
	cr_expect_eq(raw_set_icmp_filter(rs, 1u << ICMP_ECHO_REPLY), 0);
	raw_get_icmp_filter(rs, &mask);
	cr_expect_eq(mask, 1u << ICMP_ECHO_REPLY);
	inject_icmp(&t, TH_PEER, ICMP_ECHO_REPLY, 0, 0x00010001, 4);
	cr_expect_null(dgram_recv_peek(dg, &in, &len));
	cr_expect_eq(th_cnt(&t)->raw_rx_filtered, 1);
	inject_icmp(&t, TH_PEER, 40, 0, 0, 4);   /* unknown types pass */
	cr_expect_not_null(dgram_recv_peek(dg, &in, &len));
	dgram_recv_next(dg);
	/* a bad checksum is the raw socket's business (Linux delivers it) */
	{
		struct th_ip ip;

		memset(msg, 0, 8);
		msg[0] = ICMP_ECHO_REPLY;
		th_ip_default(&ip, IP_PROTO_ICMP);
		th_input(&t, fr, th_ipv4(fr, TH_MAC, &ip, msg, 8));
	}
	cr_expect_null(dgram_recv_peek(dg, &in, &len), "filtered still");
	raw_set_icmp_filter(rs, 0);
	th_input(&t, fr, th_ipv4(fr, TH_MAC, &(struct th_ip){ .ttl = 64,
		 .proto = IP_PROTO_ICMP, .src = TH_PEER, .dst = TH_IP }, msg, 8));
	cr_expect_not_null(dgram_recv_peek(dg, &in, &len));
	cr_expect_eq(th_cnt(&t)->icmp_rx_bad_cksum, 2);
	raw_close(rs);
	th_fini(&t);
}

Test(raw, bound_and_connected_sockets_filter_addresses)
{
	struct th t;
	struct raw_sock *rs;
	struct dgram_info in;
	size_t len;
	struct ip_addr a;
	uint16_t p;

	setup(&t);
	raw_open(t.s, IP_V4, IP_PROTO_ICMP, &rs);
	cr_expect_eq(raw_bind(rs, TH_A4(TH_FAR)), -EADDRNOTAVAIL);
	cr_expect_eq(raw_bind(rs, TH_A4(TH_IP)), 0);
	raw_getsockname(rs, &a, &p);
	cr_expect_eq(p, IP_PROTO_ICMP, "the protocol, as Linux shows it");
	cr_expect_eq(raw_connect(rs, TH_A4(TH_GW), 0), 0);
	cr_expect_eq(raw_getpeername(rs, &a, &p), -ENOTCONN);
	inject_icmp(&t, TH_PEER, ICMP_ECHO_REPLY, 0, 1, 4);
	cr_expect_null(dgram_recv_peek(raw_dgram(rs), &in, &len),
		       "connected to another host");
	inject_icmp(&t, TH_GW, ICMP_ECHO_REPLY, 0, 1, 4);
	cr_expect_not_null(dgram_recv_peek(raw_dgram(rs), &in, &len));
	raw_disconnect(rs);
	inject_icmp(&t, TH_PEER, ICMP_ECHO_REPLY, 0, 1, 4);
	cr_expect_eq(th_cnt(&t)->raw_rx_delivered, 2);
	raw_close(rs);
	th_fini(&t);
}

Test(raw, send_takes_what_follows_the_header)
{
	struct th t;
	struct raw_sock *rs;
	struct dgram_tx tx = { .ttl = 1, .tos = -1, .src = { 0 } };
	struct ipv4_hdr h;
	uint32_t peer = TH_PEER, bcast = TH_BCAST;
	static uint8_t big[65516];
	const uint8_t *p;
	size_t plen, n;

	setup(&t);
	raw_open(t.s, IP_V4, IP_PROTO_ICMP, &rs);
	n = th_echo(msg, 0x4242, 1, "raw", 3);
	msg[3] ^= 1;                              /* a wrong checksum */
	cr_assert_eq(raw_sendmsg(rs, msg, n, TH_A4(peer), &tx, t.now), 0);
	p = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.proto, IP_PROTO_ICMP);
	cr_expect_eq(h.ttl, 1);
	cr_expect_eq(plen, n);
	cr_expect_arr_eq(p, msg, n, "the program's bytes, checksum and all");
	cr_expect_eq(raw_sendmsg(rs, msg, n, NULL, NULL, t.now), -EDESTADDRREQ);
	cr_expect_eq(raw_sendmsg(rs, msg, n, TH_A4(bcast), NULL, t.now), -EACCES);
	cr_expect_eq(raw_sendmsg(rs, big, sizeof(big), TH_A4(peer), NULL, t.now),
		     -EMSGSIZE, "65516 bytes and the header: over 64 KiB");
	cr_expect_eq(th_cnt(&t)->raw_tx, 1);
	raw_close(rs);
	th_fini(&t);
}

Test(raw, errors_about_icmp_we_sent)
{
	struct th t;
	struct raw_sock *rs, *other;
	struct dgram_info in;
	struct dgram_ee ee;
	uint32_t far = TH_FAR;
	const uint8_t *d;
	size_t n, len;

	setup(&t);
	th_learn(&t, TH_GW, TH_GW_MAC);
	raw_open(t.s, IP_V4, IP_PROTO_ICMP, &rs);
	raw_open(t.s, IP_V4, IP_PROTO_ICMP, &other);
	dgram_setopt(raw_dgram(rs), DGRAM_IP_RECVERR, 1);
	raw_connect(other, TH_A4(TH_PEER), 0);
	n = th_echo(msg, 0x4242, 2, "err", 3);
	cr_assert_eq(raw_sendmsg(rs, msg, n, TH_A4(far), NULL, t.now), 0);
	th_icmp_error(&t, th_pop(&t), ICMP_TIME_EXCEEDED, 0, 0, TH_GW, 576);
	d = dgram_errq_peek(raw_dgram(rs), &in, &ee, &len);
	cr_assert_not_null(d);
	cr_expect_eq(ee.err, EHOSTUNREACH);
	cr_expect_eq(ee.offender.v4, TH_GW);
	cr_expect_eq(len, n, "what follows the quoted IP header");
	cr_expect_arr_eq(d, msg, n);
	/* a pending error does not stop a raw send (Linux: no sk_err check) */
	cr_expect_eq(raw_sendmsg(rs, msg, n, TH_A4(far), NULL, t.now), 0);
	th_pop(&t);
	cr_expect_eq(dgram_take_error(raw_dgram(rs)), -EHOSTUNREACH);
	/* connected elsewhere: not about this socket */
	cr_expect_eq(dgram_errq_len(raw_dgram(other)), 0);
	cr_expect_eq(dgram_take_error(raw_dgram(other)), 0);
	raw_close(rs);
	raw_close(other);
	th_fini(&t);
}
