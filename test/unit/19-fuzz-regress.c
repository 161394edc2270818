/* SPDX-License-Identifier: MIT */
/*
 * 19-fuzz-regress.c - one test for each bug that test/fuzz found, as the
 * trace that shows it, so that it stays fixed without the fuzzer
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

/*
 * fuzz_frames: an ARP request for our address whose sender MAC was our
 * own taught us that the peer lives at our MAC, and the reply and every
 * later datagram went out to ourselves. The zero MAC did the same.
 */
Test(fuzz_regress, arp_sender_with_our_mac_or_none)
{
	const uint8_t *bad[] = { TH_MAC, TH_ZERO_MAC };
	struct th t;
	uint8_t f[64];

	th_init(&t);
	for (unsigned i = 0; i < 2; i++) {
		size_t n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, bad[i],
				  TH_PEER, TH_ZERO_MAC, TH_IP);

		th_input(&t, f, n);
		th_expect_silence(&t);
		cr_expect_null(th_neigh(&t, TH_PEER));
		cr_expect_eq(th_cnt(&t)->arp_rx_bad_sender, i + 1);
	}
	/* a real neighbour is still learned and answered */
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_fini(&t);
}

/*
 * fuzz_frames: a connect() to 127.0.0.1 went out to the gateway. RFC 1122
 * 3.2.1.3: 0/8, 127/8 and class E never leave a host, whoever sends; 0/8
 * and class E are unreachable, 127/8 is our own loopback's (41-loopback).
 */
Test(fuzz_regress, martian_destinations_never_sent)
{
	const uint32_t bad[] = { IPV4(0, 1, 2, 3), IPV4(240, 0, 0, 1) };
	struct tcp_sock *sk;
	struct th t;

	th_init(&t);
	for (unsigned i = 0; i < 2; i++) {
		cr_expect_eq(th_output(&t, bad[i], 100, 0xaa, false),
			     -ENETUNREACH);
		cr_expect_eq(stack_ping(t.s, bad[i], 1, 1, 56, t.now),
			     -ENETUNREACH);
		cr_assert_eq(tcp_open(t.s, IP_V4, &sk, t.now), 0);
		cr_expect_eq(tcp_connect(sk, TH_A4(bad[i]), 80, t.now), -ENETUNREACH);
		tcp_close(sk, t.now);
		th_expect_silence(&t);
	}
	cr_expect_eq(th_cnt(&t)->ip_tx_no_route, 4);
	/* to 127.0.0.1: delivered to ourselves, nothing on the link */
	cr_expect_eq(th_output(&t, IPV4(127, 0, 0, 1), 100, 0xaa, false), 0);
	cr_expect_eq(stack_ping(t.s, IPV4(127, 0, 0, 1), 1, 1, 56, t.now), 0);
	cr_assert_eq(tcp_open(t.s, IP_V4, &sk, t.now), 0);
	cr_expect_eq(tcp_connect(sk, TH_A4(IPV4(127, 0, 0, 1)), 80, t.now),
		     -EINPROGRESS);
	cr_expect_eq(tcp_sock_error(sk), -ECONNREFUSED, "nobody listens");
	tcp_close(sk, t.now);
	th_tick(&t, 10 * NSEC_PER_SEC);
	th_expect_silence(&t);
	th_fini(&t);
}

/*
 * fuzz_frames: the IPv6 twin of arp_sender_with_our_mac_or_none. A
 * Neighbor Solicitation (or Advertisement) whose link-layer address
 * option was our own MAC taught us that the neighbour lives there, and
 * the answer and what was queued for it went out to ourselves; the zero
 * MAC to nobody. Both are dropped and counted, as ARP's sender is.
 */
Test(fuzz_regress, nd_lladdr_ours_or_zero)
{
	const uint8_t *bad[] = { TH_MAC, TH_ZERO_MAC };
	struct ip_addr src = th_a6("2001:db8::9"), us = th_a6(TH_IP6);
	struct th t;
	uint8_t f[200], ns[24 + 8];

	th_init6(&t);
	for (unsigned i = 0; i < 2; i++) {
		size_t n;

		memcpy(ns, us.v6, 16);          /* the target: our address */
		ns[16] = 1;                     /* source link-layer address */
		ns[17] = 1;
		memcpy(ns + 18, bad[i], ETH_ALEN);
		n = th_icmp6(f, TH_PEER_MAC, TH_MAC, &src, &us, 255, 135, 0, 0,
			     ns, 24);
		th_input(&t, f, n);
		th_expect_silence(&t);
		cr_expect_eq(th_cnt(&t)->nd_rx_bad_lladdr, i + 1);
	}
	/* a real neighbour is still learned and answered */
	th_learn6(&t, &src, TH_PEER_MAC);
	th_fini(&t);
}
