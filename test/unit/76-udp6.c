/* SPDX-License-Identifier: MIT */
/*
 * 76-udp6.c - UDP over IPv6 and dual stack, as Linux has it: bind,
 * connect, sendto and receive on ::; IPv4 on an AF_INET6 socket
 * (::ffff:a.b.c.d) unless IPV6_V6ONLY; one port space for both families
 * (0.0.0.0:p against [::]:p); which socket a datagram goes to (Linux's
 * compute_score); the mandatory checksum (RFC 8200 8.1); ICMPv6 port
 * unreachable; errors of ICMPv6 origin on the error queue; link-local
 * scope
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "udp.h"

static uint8_t fbuf[70000], pl[70000];
static unsigned events;

static void on_udp(void *ctx, struct dgram *dg, unsigned ev)
{
	(void)ctx;
	(void)dg;
	events |= ev;
}

static void setup(struct th *t)
{
	th_init6(t);
	t->ops.dgram_event = on_udp;
	events = 0;
}

#define A(text) ((const struct ip_addr *)(struct ip_addr[]){ th_a6(text) })

/* A UDP datagram over IPv6 from @src:@sport to @dst:@dport, with its
 * checksum (or 0). Return: the frame length (in fbuf) */
static size_t udp6_frame(const char *src, uint16_t sport, const char *dst,
			 uint16_t dport, const char *msg, bool ck)
{
	struct th_ip6 ip = { .src = th_a6(src), .dst = th_a6(dst),
			     .nh = IP_PROTO_UDP };
	size_t len = strlen(msg);
	uint16_t sum;

	put16(pl, sport);
	put16(pl + 2, dport);
	put16(pl + 4, (uint16_t)(UDP_HLEN + len));
	put16(pl + 6, 0);
	memcpy(pl + UDP_HLEN, msg, len);
	if (ck) {
		sum = inet_fold(inet_sum(pl, UDP_HLEN + len, ip_pseudo_sum(
				&ip.src, &ip.dst, IP_PROTO_UDP,
				(uint32_t)(UDP_HLEN + len))));
		put16(pl + 6, sum ? sum : 0xffff);
	}
	return th_ipv6(fbuf, TH_PEER_MAC, TH_MAC, &ip, pl, UDP_HLEN + len);
}

static void inject6(struct th *t, const char *src, uint16_t sport,
		    const char *dst, uint16_t dport, const char *msg)
{
	th_input(t, fbuf, udp6_frame(src, sport, dst, dport, msg, true));
}

/* The same over IPv4 */
static void inject4(struct th *t, uint32_t src, uint16_t sport, uint32_t dst,
		    uint16_t dport, const char *msg)
{
	struct th_ip ip;
	size_t len = strlen(msg);
	struct ip_addr s = ip4(src), d = ip4(dst);
	uint16_t sum;

	put16(pl, sport);
	put16(pl + 2, dport);
	put16(pl + 4, (uint16_t)(UDP_HLEN + len));
	put16(pl + 6, 0);
	memcpy(pl + UDP_HLEN, msg, len);
	sum = inet_fold(inet_sum(pl, UDP_HLEN + len, ip_pseudo_sum(
			&s, &d, IP_PROTO_UDP, (uint32_t)(UDP_HLEN + len))));
	put16(pl + 6, sum ? sum : 0xffff);
	th_ip_default(&ip, IP_PROTO_UDP);
	ip.src = src;
	ip.dst = dst;
	th_input(t, fbuf, th_ipv4(fbuf, TH_MAC, &ip, pl, UDP_HLEN + len));
}

/* Pop a UDP datagram we sent over IPv6; check its header and checksum.
 * Return: the UDP bytes (@h filled, @len set) */
static const uint8_t *pop_udp6(struct th *t, struct ipv6_hdr *h, size_t *len)
{
	struct th_frame *f = th_pop(t);
	const uint8_t *u = th_check_ipv6(f, h, len);
	struct ip_addr s = ip6(h->src), d = ip6(h->dst);

	cr_assert_eq(h->nh, IP_PROTO_UDP, "next header %u type %u", h->nh, u[0]);
	cr_assert_eq(get16(u + 4), *len, "UDP length");
	cr_assert_neq(get16(u + 6), 0, "a checksum, always (RFC 8200 8.1)");
	cr_assert_eq(inet_fold(inet_sum(u, *len, ip_pseudo_sum(&s, &d,
			IP_PROTO_UDP, (uint32_t)*len))), 0, "checksum");
	return u;
}

/* Is the queued datagram @msg from @src? Then take it. */
static void expect_rx(struct udp_sock *us, const struct ip_addr *src,
		      uint16_t sport, const char *msg)
{
	struct udp_meta m;
	const uint8_t *d = udp_recv_peek(us, &m);

	cr_assert_not_null(d, "nothing queued");
	cr_expect(ip_addr_eq(&m.src, src), "from someone else");
	cr_expect_eq(m.sport, sport);
	cr_expect_eq(m.len, strlen(msg));
	cr_expect_arr_eq(d, msg, strlen(msg));
	udp_recv_next(us);
}

Test(udp6, bind_receive_and_reply_on_any)
{
	struct th t;
	struct udp_sock *us;
	struct udp_meta m;
	struct ipv6_hdr h;
	struct ip_addr a;
	uint16_t port;
	const uint8_t *u;
	size_t len;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V6, &us), 0);
	cr_assert_eq(udp_bind(us, NULL, 5353), 0);
	udp_getsockname(us, &a, &port);
	cr_expect(a.family == IP_V6 && ip_addr_is_any(&a) && port == 5353);
	inject6(&t, TH_PEER6, 4000, TH_IP6, 5353, "hello");
	cr_expect(events & UDP_EV_READABLE);
	cr_assert_not_null(udp_recv_peek(us, &m));
	cr_expect(ip_addr_eq(&m.dst, A(TH_IP6)));
	cr_expect_eq(m.dport, 5353);
	expect_rx(us, A(TH_PEER6), 4000, "hello");
	cr_assert_eq(udp_sendto(us, "world", 5, A(TH_PEER6), 4000, t.now), 0);
	u = pop_udp6(&t, &h, &len);
	cr_expect_arr_eq(h.src, th_a6(TH_IP6).v6, 16, "the source RFC 6724 chose");
	cr_expect_arr_eq(h.dst, th_a6(TH_PEER6).v6, 16);
	cr_expect_eq(h.hlim, 64);
	cr_expect_eq(len, UDP_HLEN + 5);
	cr_expect_eq(get16(u), 5353);
	cr_expect_eq(get16(u + 2), 4000);
	cr_expect_arr_eq(u + 8, "world", 5);
	/* connected: the source fixed, datagrams from others kept out */
	cr_assert_eq(udp_connect(us, A(TH_PEER6), 4000), 0);
	udp_getsockname(us, &a, &port);
	cr_expect(ip_addr_eq(&a, A(TH_IP6)), "connect fixed the source");
	inject6(&t, TH_PEER6, 4001, TH_IP6, 5353, "intruder");
	cr_expect_eq(udp_recv_queued(us), 0);
	{
		const uint8_t *icmp = th_check_ipv6(th_pop(&t), &h, &len);

		cr_expect(h.nh == IP6_NH_ICMPV6 && icmp[0] == ICMP6_DST_UNREACH,
			  "no socket for it: port unreachable");
	}
	inject6(&t, TH_PEER6, 4000, TH_IP6, 5353, "again");
	expect_rx(us, A(TH_PEER6), 4000, "again");
	cr_assert_eq(udp_sendto(us, "x", 1, NULL, 0, t.now), 0);
	pop_udp6(&t, &h, &len);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->udp_tx, 2);
	udp_close(us);
	th_fini(&t);
}

/* RFC 8200 8.1: a zero checksum is not "none" over IPv6: dropped, counted */
Test(udp6, zero_checksum_dropped_and_counted)
{
	struct th t;
	struct udp_sock *us;
	size_t n;

	setup(&t);
	udp_open(t.s, IP_V6, &us);
	cr_assert_eq(udp_bind(us, NULL, 7), 0);
	th_input(&t, fbuf, udp6_frame(TH_PEER6, 1, TH_IP6, 7, "abcd", false));
	cr_expect_eq(th_cnt(&t)->udp_rx_no_cksum6, 1);
	cr_expect_eq(udp_recv_queued(us), 0);
	n = udp6_frame(TH_PEER6, 1, TH_IP6, 7, "abcd", true);
	fbuf[n - 1] ^= 0x40;
	th_input(&t, fbuf, n);
	cr_expect_eq(th_cnt(&t)->udp_rx_bad_cksum, 1);
	inject6(&t, TH_PEER6, 1, TH_IP6, 7, "abcd");
	cr_expect_eq(th_cnt(&t)->udp_rx_delivered, 1);
	th_expect_silence(&t);
	udp_close(us);
	th_fini(&t);
}

/* RFC 4443 3.1: a closed port answers destination unreachable, code 4 */
Test(udp6, closed_port_gets_icmp6_port_unreachable)
{
	struct th t;
	struct ipv6_hdr h;
	size_t len;
	const uint8_t *m;

	setup(&t);
	inject6(&t, TH_PEER6, 4000, TH_IP6, 9999, "anyone?");
	m = th_check_ipv6(th_pop(&t), &h, &len);
	cr_expect_eq(h.nh, IP6_NH_ICMPV6);
	cr_expect_arr_eq(h.dst, th_a6(TH_PEER6).v6, 16);
	cr_expect_eq(m[0], ICMP6_DST_UNREACH);
	cr_expect_eq(m[1], ICMP6_DST_UNREACH_NOPORT);
	cr_expect_eq(len, 8 + IPV6_HLEN + UDP_HLEN + 7, "the whole datagram quoted");
	cr_expect_eq(get16(m + 8 + IPV6_HLEN + 2), 9999, "quotes the UDP header");
	cr_expect_eq(th_cnt(&t)->udp_rx_no_port, 1);
	cr_expect_eq(th_cnt(&t)->icmp6_tx_unreach, 1);
	th_fini(&t);
}

/* An AF_INET6 socket on :: takes IPv4 too and sends to ::ffff:a.b.c.d
 * over IPv4; with IPV6_V6ONLY neither, and the option is fixed by bind */
Test(udp6, dual_stack_and_v6only)
{
	struct th t;
	struct udp_sock *d, *o;
	struct ipv4_hdr h4;
	const uint8_t *u;
	size_t len;
	int v;

	setup(&t);
	udp_open(t.s, IP_V6, &d);
	cr_assert_eq(udp_getsockopt(d, UDP_IP6_V6ONLY, &v), 0);
	cr_expect_eq(v, 0, "IPV6_V6ONLY is 0 by default");
	cr_assert_eq(udp_bind(d, NULL, 7000), 0);
	cr_expect_eq(udp_setsockopt(d, UDP_IP6_V6ONLY, 1), -EINVAL,
		     "not once bound");
	inject4(&t, TH_PEER, 4000, TH_IP, 7000, "v4 in");
	expect_rx(d, TH_A4(TH_PEER), 4000, "v4 in");
	inject6(&t, TH_PEER6, 4000, TH_IP6, 7000, "v6 in");
	expect_rx(d, A(TH_PEER6), 4000, "v6 in");
	cr_assert_eq(udp_sendto(d, "v4 out", 6, A("::ffff:192.0.2.2"), 4000,
				t.now), 0);
	u = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h4, &len);
	cr_expect_eq(h4.proto, IP_PROTO_UDP);
	cr_expect_eq(h4.src, TH_IP);
	cr_expect_eq(h4.dst, TH_PEER);
	cr_expect_eq(get16(u), 7000);
	cr_expect_arr_eq(u + 8, "v4 out", 6);

	udp_open(t.s, IP_V6, &o);
	cr_assert_eq(udp_setsockopt(o, UDP_IP6_V6ONLY, 1), 0);
	cr_assert_eq(udp_bind(o, NULL, 7001), 0);
	cr_expect_eq(udp_sendto(o, "x", 1, A("::ffff:192.0.2.2"), 4000, t.now),
		     -ENETUNREACH, "V6ONLY: no IPv4 (Linux's udpv6_sendmsg)");
	cr_expect_eq(udp_connect(o, A("::ffff:192.0.2.2"), 4000), -ENETUNREACH);
	/* an IPv4 datagram to its port finds no socket */
	inject4(&t, TH_PEER, 4000, TH_IP, 7001, "v4 in");
	cr_expect_eq(udp_recv_queued(o), 0);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h4, &len);
	cr_expect_eq(h4.proto, IP_PROTO_ICMP, "port unreachable");
	th_expect_silence(&t);
	udp_close(d);
	udp_close(o);
	th_fini(&t);
}

/* One port space (Linux's inet_rcv_saddr_equal): 0.0.0.0:p and [::]:p
 * clash unless the IPv6 one is V6ONLY */
Test(udp6, one_port_space_for_both_families)
{
	struct th t;
	struct udp_sock *s4, *s6, *x;

	setup(&t);
	udp_open(t.s, IP_V4, &s4);
	udp_open(t.s, IP_V6, &s6);
	udp_open(t.s, IP_V6, &x);
	cr_assert_eq(udp_bind(s4, NULL, 8000), 0);
	cr_expect_eq(udp_bind(s6, NULL, 8000), -EADDRINUSE);
	cr_assert_eq(udp_setsockopt(s6, UDP_IP6_V6ONLY, 1), 0);
	cr_expect_eq(udp_bind(s6, NULL, 8000), 0, "V6ONLY: they coexist");
	/* the other order: a dual-stack :: holds every IPv4 address too */
	udp_close(s4);
	udp_open(t.s, IP_V4, &s4);
	cr_assert_eq(udp_bind(x, NULL, 8001), 0);
	cr_expect_eq(udp_bind(s4, NULL, 8001), -EADDRINUSE);
	cr_expect_eq(udp_bind(s4, TH_A4(TH_IP), 8001), -EADDRINUSE);
	cr_expect_eq(udp_bind(s4, A("::ffff:192.0.2.1"), 8001), -EAFNOSUPPORT,
		     "an AF_INET socket takes no IPv6 address");
	udp_close(x);
	udp_open(t.s, IP_V6, &x);
	cr_expect_eq(udp_bind(x, A(TH_IP6), 8000), -EADDRINUSE,
		     "[::]:8000 (V6ONLY) holds our IPv6 address");
	cr_expect_eq(udp_bind(x, A("::ffff:192.0.2.1"), 8000), 0,
		     "but not the IPv4 ones");
	udp_close(s4);
	udp_close(s6);
	udp_close(x);
	cr_expect_eq(udp_sock_count(t.s), 0);
	th_fini(&t);
}

/* Linux's compute_score: with SO_REUSEADDR, 0.0.0.0:p and a dual-stack
 * [::]:p both bind; IPv4 goes to the AF_INET socket whichever came
 * first, IPv6 to the IPv6 one; an exact address beats ::. */
Test(udp6, delivery_prefers_the_family_and_the_exact_address)
{
	struct th t;
	struct udp_sock *s4, *s6, *ex;

	for (int order = 0; order < 2; order++) {
		setup(&t);
		udp_open(t.s, IP_V4, &s4);
		udp_open(t.s, IP_V6, &s6);
		udp_setsockopt(s4, UDP_SO_REUSEADDR, 1);
		udp_setsockopt(s6, UDP_SO_REUSEADDR, 1);
		cr_assert_eq(udp_bind(order ? s6 : s4, NULL, 9000), 0);
		cr_assert_eq(udp_bind(order ? s4 : s6, NULL, 9000), 0);
		inject4(&t, TH_PEER, 1, TH_IP, 9000, "four");
		cr_expect_eq(udp_recv_queued(s6), 0, "order %d", order);
		expect_rx(s4, TH_A4(TH_PEER), 1, "four");
		inject6(&t, TH_PEER6, 1, TH_IP6, 9000, "six");
		cr_expect_eq(udp_recv_queued(s4), 0);
		expect_rx(s6, A(TH_PEER6), 1, "six");
		udp_open(t.s, IP_V6, &ex);
		udp_setsockopt(ex, UDP_SO_REUSEADDR, 1);
		cr_assert_eq(udp_bind(ex, A(TH_IP6), 9000), 0);
		inject6(&t, TH_PEER6, 1, TH_IP6, 9000, "exact");
		cr_expect_eq(udp_recv_queued(s6), 0);
		expect_rx(ex, A(TH_PEER6), 1, "exact");
		th_expect_silence(&t);
		udp_close(s4);
		udp_close(s6);
		udp_close(ex);
		th_fini(&t);
	}
}

/* An ICMPv6 error from @src quoting the IPv6 datagram frame @f carries */
static void icmp6_error(struct th *t, const struct th_frame *f, uint8_t type,
			uint8_t code, uint32_t rest, const char *src)
{
	static uint8_t fr[1600];
	struct ip_addr s = th_a6(src), us = th_a6(TH_IP6);

	th_input(t, fr, th_icmp6(fr, TH_PEER_MAC, TH_MAC, &s, &us, 64, type,
				 code, rest, f->data + ETH_HLEN,
				 f->len - ETH_HLEN));
}

/* IPV6_RECVERR: errors queued with SO_EE_ORIGIN_ICMP6, the IPv6 offender
 * and icmpv6_err_convert()'s errno; a connected socket's pending error */
Test(udp6, error_queue_of_icmp6_origin)
{
	struct th t;
	struct udp_sock *us;
	struct dgram *dg;
	struct dgram_info in;
	struct dgram_ee ee;
	const uint8_t *d;
	size_t len;

	setup(&t);
	udp_open(t.s, IP_V6, &us);
	dg = udp_dgram(us);
	cr_assert_eq(dgram_setopt(dg, DGRAM_IP_RECVERR, 1), 0);
	cr_assert_eq(udp_connect(us, A(TH_PEER6), 33434), 0);
	cr_assert_eq(udp_sendto(us, "probe", 5, NULL, 0, t.now), 0);
	icmp6_error(&t, th_pop(&t), ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT,
		    0, TH_PEER6);
	cr_expect(events & UDP_EV_ERROR);
	cr_assert_eq(dgram_errq_len(dg), 1);
	d = dgram_errq_peek(dg, &in, &ee, &len);
	cr_assert_not_null(d);
	cr_expect_eq(ee.err, ECONNREFUSED);
	cr_expect_eq(ee.origin, DGRAM_EE_ICMP6);
	cr_expect_eq(ee.type, ICMP6_DST_UNREACH);
	cr_expect_eq(ee.code, ICMP6_DST_UNREACH_NOPORT);
	cr_expect(ip_addr_eq(&ee.offender, A(TH_PEER6)));
	cr_expect(ip_addr_eq(&ee.addr, A(TH_PEER6)));
	cr_expect_eq(ee.port, 33434);
	cr_expect_eq(len, 5, "the quoted payload");
	cr_expect_arr_eq(d, "probe", 5);
	cr_expect_eq(udp_sock_error(us), -ECONNREFUSED);
	dgram_errq_next(dg);
	/* a router's time exceeded: EHOSTUNREACH, from the router */
	cr_assert_eq(udp_sendto(us, "probe", 5, NULL, 0, t.now), 0);
	icmp6_error(&t, th_pop(&t), ICMP6_TIME_EXCEEDED, 0, 0, "2001:db8::fe");
	cr_assert_not_null(dgram_errq_peek(dg, &in, &ee, &len));
	cr_expect_eq(ee.err, EHOSTUNREACH);
	cr_expect_eq(ee.origin, DGRAM_EE_ICMP6);
	cr_expect(ip_addr_eq(&ee.offender, A("2001:db8::fe")));
	dgram_errq_next(dg);
	udp_sock_error(us);
	/* Packet Too Big: EMSGSIZE with the MTU */
	cr_assert_eq(udp_sendto(us, "probe", 5, NULL, 0, t.now), 0);
	icmp6_error(&t, th_pop(&t), ICMP6_PACKET_TOO_BIG, 0, 1400, "2001:db8::fe");
	cr_assert_not_null(dgram_errq_peek(dg, &in, &ee, &len));
	cr_expect_eq(ee.err, EMSGSIZE);
	cr_expect_eq(ee.info, 1400);
	dgram_errq_next(dg);
	th_expect_silence(&t);
	udp_close(us);
	th_fini(&t);
}

/* A link-local peer or address needs its interface (Linux: EINVAL) */
Test(udp6, link_local_needs_the_interface)
{
	struct th t;
	struct udp_sock *us;
	struct ip_addr ll;

	setup(&t);
	cr_assert(addrconf_linklocal(t.s, &ll));
	udp_open(t.s, IP_V6, &us);
	cr_expect_eq(udp_connect(us, A("fe80::2"), 53), -EINVAL);
	cr_expect_eq(udp_sendto(us, "x", 1, A("fe80::2"), 53, t.now), -EINVAL);
	cr_expect_eq(udp_bind(us, &ll, 53), -EINVAL);
	cr_assert_eq(udp_setsockopt(us, UDP_SO_BINDTOIFINDEX, STACK_IF_LINK), 0);
	cr_expect_eq(udp_bind(us, &ll, 53), 0);
	udp_close(us);
	th_fini(&t);
}
