/* SPDX-License-Identifier: MIT */
/*
 * 68-tcp-arp: a connection whose next hop never answers ARP fails with
 * EHOSTUNREACH once ARP gives up, as in Linux, instead of waiting for the
 * SYN retries to run out (ETIMEDOUT).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "tcp.h"

Test(tcp_arp, connect_to_a_silent_neighbour_is_host_unreachable)
{
	struct th t;
	struct tcp_sock *sk;
	uint32_t silent = IPV4(192, 0, 2, 77);
	unsigned requests = 0;

	th_init(&t);
	cr_assert_eq(tcp_open(t.s, IP_V4, &sk, t.now), 0);
	cr_assert_eq(tcp_connect(sk, TH_A4(silent), 80, t.now), -EINPROGRESS);
	cr_assert_eq(tcp_sock_state(sk), TCP_SYN_SENT);
	/* at t=0 and every neigh_retrans: who has 192.0.2.77? */
	for (unsigned i = 0; i < t.cfg.neigh_mcast_solicit; i++) {
		th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
			     TH_IP, silent);
		requests++;
		th_tick(&t, t.cfg.neigh_retrans);
	}
	cr_assert_eq(requests, t.cfg.neigh_mcast_solicit);
	cr_assert_eq(tcp_sock_state(sk), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(sk), -EHOSTUNREACH);
	/* the SYN and its retransmissions at 1 s and 3 s (RTO backoff) waited */
	cr_assert_eq(th_cnt(&t)->neigh_resolve_fail, 3, "queued SYNs: %lu",
		     (unsigned long)th_cnt(&t)->neigh_resolve_fail);
	cr_assert_eq(th_cnt(&t)->tcp_neigh_failures, 1);
	tcp_close(sk, t.now);
	th_fini(&t);
}

/* The same over IPv6: Neighbour Discovery gives up (RFC 4861 7.3.3), the
 * connection fails with EHOSTUNREACH */
Test(tcp_arp, connect_to_a_silent_ipv6_neighbour_is_host_unreachable)
{
	struct th t;
	struct tcp_sock *sk;
	struct ip_addr silent = th_a6("2001:db8::77"), sn = { .family = IP_V6 };
	unsigned solicits = 0;

	th_init6(&t);
	ip6_solicited_node(silent.v6, sn.v6);
	cr_assert_eq(tcp_open(t.s, IP_V6, &sk, t.now), 0);
	cr_assert_eq(tcp_connect(sk, &silent, 80, t.now), -EINPROGRESS);
	for (unsigned i = 0; i < t.cfg.neigh_mcast_solicit; i++) {
		struct ipv6_hdr h;
		size_t len;
		const uint8_t *m = th_check_ipv6(th_pop(&t), &h, &len);

		cr_expect(m[0] == ND_NEIGHBOR_SOLICIT && !memcmp(m + 8, silent.v6, 16),
			  "who has 2001:db8::77?");
		cr_expect_arr_eq(h.dst, sn.v6, 16, "to its solicited-node group");
		solicits++;
		th_tick(&t, t.cfg.neigh_retrans);
	}
	cr_assert_eq(solicits, t.cfg.neigh_mcast_solicit);
	cr_assert_eq(tcp_sock_state(sk), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(sk), -EHOSTUNREACH);
	cr_assert_eq(th_cnt(&t)->tcp_neigh_failures, 1);
	tcp_close(sk, t.now);
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}
