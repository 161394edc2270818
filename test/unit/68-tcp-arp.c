/* SPDX-License-Identifier: MIT */
/*
 * 68-tcp-arp: a connection whose next hop never answers ARP fails with
 * EHOSTUNREACH once ARP gives up, as in Linux, instead of waiting for the
 * SYN retries to run out (ETIMEDOUT).
 */
#include <criterion/criterion.h>

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
