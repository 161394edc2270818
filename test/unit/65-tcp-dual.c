/* SPDX-License-Identifier: MIT */
/*
 * 65-tcp-dual.c - TCP over IPv6 where it differs from IPv4, and dual
 * stack: the MSS (path MTU - 60), IPv4 on an AF_INET6 listener of ::
 * unless IPV6_V6ONLY, which listener a SYN goes to (Linux's
 * compute_score()), Packet Too Big below the IPv6 minimum
 *
 * The suite's name ends in _v6: the harness runs it over IPv6, and a test
 * that speaks IPv4 too switches T.family (the engine has both addresses).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"
#include "eth.h"
#include "icmp6.h"
#include "ipv4.h"
#include "ipv6.h"

static void mtu_1500(struct stack_config *cfg)
{
	cfg->mtu = 1500;
}

/* From now on the peer speaks @family (its neighbour entry primed);
 * what was sent before is not looked at */
static void speak(uint8_t family)
{
	while (th_pending())
		T.head++;
	T.family = family;
	th_advance(1);
}

static struct tcp_sock *listener(uint16_t port, bool v6only, bool reuseport)
{
	struct tcp_sock *l;

	cr_assert_eq(th_open(&l), 0);
	if (v6only)
		cr_assert_eq(tcp_setsockopt(l, TCP_IP6_V6ONLY, 1, T.now), 0);
	if (reuseport)
		cr_assert_eq(tcp_setsockopt(l, TCP_SO_REUSEPORT, 1, T.now), 0);
	cr_assert_eq(tcp_bind(l, NULL, port), 0);
	cr_assert_eq(tcp_listen(l, 16, T.now), 0);
	return l;
}

/* The peer's SYN from @pport (MSS 1460, no other option) to @port; the
 * engine's answer: a SYN-ACK with MSS @mss, or (@mss 0) a RST */
static struct tcp_seg syn_to(uint16_t pport, uint16_t port, int mss)
{
	struct th_seg syn = th_tmpl(TCP_SYN, 1000, 0), w;

	syn.sport = pport;
	syn.dport = port;
	syn.mss = 1460;
	syn.wnd = 65535;
	th_inject(&syn);
	if (!mss) {
		w = th_tmpl(TCP_RST | TCP_ACK, 0, 1001);
		return th_expect(&w);
	}
	w = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 1001);
	w.mss = mss;
	return th_expect(&w);
}

/* ... and its ACK: the connection is established */
static void ack_of(uint16_t pport, uint16_t port, const struct tcp_seg *sa)
{
	struct th_seg a = th_tmpl(TCP_ACK, 1001, sa->seq + 1);

	a.sport = pport;
	a.dport = port;
	a.wnd = 1000;
	th_inject(&a);
}

/* RFC 8200 5, RFC 9293 3.7.1: the MSS is the path MTU less 60 bytes over
 * IPv6 (40 over IPv4), announced and used: 1440 and 1460 at 1500 */
Test(tcp_dual_v6, mss_follows_the_family, .fini = th_teardown)
{
	struct tcp_sock *l, *c, *a;
	struct tcp_info_rec i;
	struct th_seg syn = th_tmpl(TCP_SYN, TH_ANY, 0);
	struct tcp_seg sa;

	th_setup_cfg(mtu_1500);
	l = listener(80, false, false);
	sa = syn_to(40000, 80, 1440);
	ack_of(40000, 80, &sa);
	cr_assert_eq(tcp_accept(l, &a), 0);
	tcp_get_info(a, &i, T.now);
	cr_expect_eq(i.snd_mss, 1440, "the peer's 1460 capped by the path");
	/* an active open announces the same */
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	syn.mss = 1440;
	syn.sackok = syn.ts = true;
	syn.ws = 7;
	syn.wnd = TH_ANY;
	th_expect(&syn);
	/* IPv4 to the same dual-stack listener: 1460 */
	speak(IP_V4);
	sa = syn_to(40001, 80, 1460);
	tcp_abort(c, T.now);
	tcp_abort(a, T.now);
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

/* An AF_INET6 listener on :: takes IPv4 (Linux: IPV6_V6ONLY is 0); the
 * connection's addresses are IPv4 in the engine (the socket layer shows
 * ::ffff:a.b.c.d), and the socket stays AF_INET6 */
Test(tcp_dual_v6, ipv4_to_a_dual_stack_listener, .init = th_setup,
     .fini = th_teardown)
{
	struct tcp_sock *l = listener(80, false, false), *a;
	struct ip_addr addr;
	uint16_t port;
	struct tcp_seg sa;

	speak(IP_V4);
	sa = syn_to(40000, 80, 1480);
	ack_of(40000, 80, &sa);
	cr_assert_eq(tcp_accept(l, &a), 0);
	cr_expect_eq(tcp_family(a), IP_V6);
	tcp_getpeername(a, &addr, &port);
	cr_expect(addr.family == IP_V4 && addr.v4 == TH_PEER && port == 40000);
	tcp_getsockname(a, &addr, &port);
	cr_expect(addr.family == IP_V4 && addr.v4 == TH_US && port == 80);
	tcp_abort(a, T.now);
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

/* With IPV6_V6ONLY, IPv4 finds no listener: a reset */
Test(tcp_dual_v6, v6only_listener_refuses_ipv4, .init = th_setup,
     .fini = th_teardown)
{
	struct tcp_sock *l = listener(80, true, false);
	int v;

	cr_expect_eq(tcp_setsockopt(l, TCP_IP6_V6ONLY, 0, T.now), -EINVAL,
		     "not once bound");
	cr_assert_eq(tcp_getsockopt(l, TCP_IP6_V6ONLY, &v), 0);
	cr_expect_eq(v, 1);
	speak(IP_V4);
	syn_to(40000, 80, 0);
	cr_expect_eq(th_counter("tcp_rx_no_sock"), 1);
	speak(IP_V6);
	syn_to(40001, 80, 1460);
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

/* 0.0.0.0:p and [::]:p V6ONLY coexist, each gets its family; with
 * SO_REUSEPORT an AF_INET and a dual-stack listener share the port and
 * IPv4 goes to the AF_INET one every time (compute_score), IPv6 to the
 * other. The two families share one port space: without V6ONLY or
 * SO_REUSEPORT the second bind fails. */
Test(tcp_dual_v6, each_family_to_its_listener, .init = th_setup,
     .fini = th_teardown)
{
	struct tcp_sock *l6, *l4, *x, *a;
	struct ip_addr addr;
	uint16_t port;

	l6 = listener(80, true, false);
	T.family = IP_V4;
	l4 = listener(80, false, false);
	cr_assert_eq(th_open(&x), 0);
	cr_expect_eq(tcp_bind(x, NULL, 81), 0);
	T.family = IP_V6;
	cr_assert_eq(th_open(&a), 0);
	cr_expect_eq(tcp_bind(a, NULL, 81), -EADDRINUSE,
		     "0.0.0.0:81 holds [::]:81 without V6ONLY");
	tcp_close(a, T.now);
	tcp_close(x, T.now);
	speak(IP_V4);
	ack_of(40000, 80, &(struct tcp_seg){ .seq = syn_to(40000, 80, 1480).seq });
	cr_expect_eq(tcp_accept(l6, &a), -EAGAIN);
	cr_assert_eq(tcp_accept(l4, &a), 0);
	tcp_abort(a, T.now);
	speak(IP_V6);
	ack_of(40001, 80, &(struct tcp_seg){ .seq = syn_to(40001, 80, 1460).seq });
	cr_expect_eq(tcp_accept(l4, &a), -EAGAIN);
	cr_assert_eq(tcp_accept(l6, &a), 0);
	tcp_getpeername(a, &addr, &port);
	cr_expect(ip_addr_eq(&addr, TH_PEER_A));
	tcp_abort(a, T.now);
	tcp_close(l4, T.now);
	tcp_close(l6, T.now);

	/* SO_REUSEPORT: the AF_INET listener first or second, it wins */
	for (int order = 0; order < 2; order++) {
		T.family = order ? IP_V6 : IP_V4;
		l4 = listener(90, false, true);
		T.family = order ? IP_V4 : IP_V6;
		l6 = listener(90, false, true);
		if (order) {
			x = l4;
			l4 = l6;
			l6 = x;
		}
		cr_assert_eq(tcp_family(l4), IP_V4);
		speak(IP_V4);
		for (uint16_t p = 0; p < 8; p++)
			ack_of(41000 + p, 90, &(struct tcp_seg){
				.seq = syn_to(41000 + p, 90, 1480).seq });
		cr_expect_eq(tcp_accept(l6, &a), -EAGAIN, "order %d", order);
		for (int k = 0; k < 8; k++) {
			cr_assert_eq(tcp_accept(l4, &a), 0);
			tcp_abort(a, T.now);
		}
		speak(IP_V6);
		ack_of(42000, 90, &(struct tcp_seg){
			.seq = syn_to(42000, 90, 1460).seq });
		cr_assert_eq(tcp_accept(l6, &a), 0);
		tcp_abort(a, T.now);
		tcp_close(l4, T.now);
		tcp_close(l6, T.now);
		while (th_pending())
			T.head++;
	}
}

/* Linux's tcp_v6_err(): a Packet Too Big below 1280 (RFC 8200 5) is not
 * taken; the MSS stays */
Test(tcp_dual_v6, packet_too_big_below_the_minimum_ignored, .init = th_setup,
     .fini = th_teardown)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	static uint8_t big[1460];
	uint8_t m[8 + IPV6_HLEN + 20] = { 0 };
	struct ip_addr us = th_us(), peer = th_peer();
	struct ipv6_hdr qh = { .nh = IP_PROTO_TCP, .hlim = 64, .plen = 20 };
	struct tcp_info_rec i;

	cr_assert_eq(tcp_send(c, big, sizeof(big), T.now), (ssize_t)sizeof(big));
	while (th_pending())
		T.head++;
	memcpy(qh.src, us.v6, 16);
	memcpy(qh.dst, peer.v6, 16);
	ipv6_build(m + 8, &qh);
	put16(m + 8 + IPV6_HLEN, 80);
	put16(m + 8 + IPV6_HLEN + 2, TH_PEER_PORT);
	put32(m + 8 + IPV6_HLEN + 4, iss + 1);
	icmp6_build(m, sizeof(m), &peer, &us, &(struct icmp6_hdr){
			.type = ICMP6_PACKET_TOO_BIG, .rest = 1000 });
	th_inject_ip(IP6_NH_ICMPV6, m, sizeof(m));
	tcp_get_info(c, &i, T.now);
	cr_expect_eq(i.snd_mss, 1460);
	cr_expect_eq(th_counter("tcp_pmtu_updates"), 0);
	th_expect_none();
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	while (th_pending())
		T.head++;
}

/* The frame the engine sent last, from its IP header on */
static const uint8_t *last_ip(void)
{
	cr_assert(T.tail > 0);
	return T.out[(T.tail - 1) % TH_MAXOUT].data + ETH_HLEN;
}

/* IP_TOS and IP_TTL shape a dual-stack socket's IPv4 segments,
 * IPV6_TCLASS and IPV6_UNICAST_HOPS its IPv6 ones (Linux's inet and ipv6
 * options), without the ECN bits; accepted connections take the
 * listener's */
Test(tcp_dual_v6, tos_ttl_tclass_hops_on_the_wire, .init = th_setup,
     .fini = th_teardown)
{
	struct tcp_sock *l = listener(80, false, false), *a4, *a6;
	struct tcp_seg sa;
	const uint8_t *ip;

	cr_assert_eq(tcp_setsockopt(l, TCP_IP_TOS, 0x13, T.now), 0);
	cr_assert_eq(tcp_setsockopt(l, TCP_IP_TTL, 7, T.now), 0);
	cr_assert_eq(tcp_setsockopt(l, TCP_IP6_TCLASS, 0x2b, T.now), 0);
	cr_assert_eq(tcp_setsockopt(l, TCP_IP6_HOPS, 9, T.now), 0);
	cr_expect_eq(tcp_setsockopt(l, TCP_IP_TTL, 0, T.now), -EINVAL);
	cr_expect_eq(tcp_setsockopt(l, TCP_IP6_HOPS, 256, T.now), -EINVAL);
	/* IPv6: traffic class 0x28 across the first two bytes, hop limit 9 */
	sa = syn_to(40000, 80, 1460);
	ip = last_ip();
	cr_expect_eq((ip[0] & 0x0f) << 4 | ip[1] >> 4, 0x28);
	cr_expect_eq(ip[7], 9);
	ack_of(40000, 80, &sa);
	cr_assert_eq(tcp_accept(l, &a6), 0);
	cr_assert_eq(tcp_send(a6, "x", 1, T.now), 1);
	th_advance(1);
	ip = last_ip();
	cr_expect_eq((ip[0] & 0x0f) << 4 | ip[1] >> 4, 0x28, "inherited");
	cr_expect_eq(ip[7], 9, "inherited");
	/* IPv4 to the same listener: TOS 0x10, TTL 7 */
	speak(IP_V4);
	sa = syn_to(40001, 80, 1480);
	ip = last_ip();
	cr_expect_eq(ip[1], 0x10);
	cr_expect_eq(ip[8], 7);
	ack_of(40001, 80, &sa);
	cr_assert_eq(tcp_accept(l, &a4), 0);
	/* -1: back to the defaults */
	cr_assert_eq(tcp_setsockopt(a6, TCP_IP6_HOPS, -1, T.now), 0);
	cr_assert_eq(tcp_setsockopt(a6, TCP_IP6_TCLASS, -1, T.now), 0);
	tcp_abort(a6, T.now);
	ip = last_ip();
	cr_expect_eq(ip[1] >> 4 | (ip[0] & 0x0f) << 4, 0, "tclass 0 again");
	cr_expect_eq(ip[7], 64, "the default hop limit again");
	tcp_abort(a4, T.now);
	ip = last_ip();
	cr_expect_eq(ip[1], 0x10, "the RST of an IPv4 connection too");
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}
