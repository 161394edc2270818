/* SPDX-License-Identifier: MIT */
/*
 * 30-arp.c - ARP (RFC 826) and the neighbour cache, as traces: at t inject
 * this ARP packet, expect exactly this one back
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

#define PEER3 IPV4(192, 0, 2, 3)
#define PEER4 IPV4(192, 0, 2, 4)
static const uint8_t MAC3[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x03 };
static const uint8_t MAC4[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x04 };

/* The peer answers our request for @ip with @mac. */
static void reply_from(struct th *t, uint32_t ip, const uint8_t *mac)
{
	uint8_t f[64];
	size_t n = th_arp(f, TH_MAC, ARP_OP_REPLY, mac, ip, TH_MAC, TH_IP);

	th_input(t, f, n);
}

Test(arp, parse_build_round_trip)
{
	struct arp_pkt a = { .op = ARP_OP_REPLY, .spa = TH_IP, .tpa = TH_PEER };
	struct arp_pkt b;
	uint8_t buf[ARP_LEN], want[ETH_HLEN + ARP_LEN];

	memcpy(a.sha, TH_MAC, ETH_ALEN);
	memcpy(a.tha, TH_PEER_MAC, ETH_ALEN);
	arp_build(buf, &a);
	th_arp(want, TH_PEER_MAC, ARP_OP_REPLY, TH_MAC, TH_IP, TH_PEER_MAC,
	       TH_PEER);
	cr_expect_arr_eq(buf, want + ETH_HLEN, ARP_LEN);
	cr_assert_eq(arp_parse(buf, ARP_LEN, &b), 0);
	cr_expect_eq(b.htype, 1);
	cr_expect_eq(b.ptype, ETH_P_IP);
	cr_expect_eq(b.op, ARP_OP_REPLY);
	cr_expect_arr_eq(b.sha, TH_MAC, ETH_ALEN);
	cr_expect_arr_eq(b.tha, TH_PEER_MAC, ETH_ALEN);
	cr_expect_eq(b.spa, TH_IP);
	cr_expect_eq(b.tpa, TH_PEER);
	cr_expect_eq(arp_parse(buf, ARP_LEN - 1, &b), -1);
}

Test(arp, idle_stack_has_no_deadline)
{
	struct th t;

	th_init(&t);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE,
		     "a known neighbour needs no timer");
	cr_expect_eq(th_tick(&t, 3600 * NSEC_PER_SEC), STACK_NO_DEADLINE);
	th_expect_silence(&t);
	th_fini(&t);
}

/* A broadcast request for our address, padded to 60 bytes: the reply is
 * unicast to the asker, and the asker is learned. */
Test(arp, request_for_us_answered)
{
	struct th t;
	uint8_t f[60] = { 0 };
	const struct neigh_entry *e;

	th_init(&t);
	th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
	       TH_ZERO_MAC, TH_IP);
	th_input(&t, f, sizeof(f));
	th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REPLY, TH_PEER_MAC,
		     TH_IP, TH_PEER);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->arp_rx, 1);
	cr_expect_eq(th_cnt(&t)->arp_rx_requests, 1);
	cr_expect_eq(th_cnt(&t)->arp_tx_replies, 1);
	cr_expect_eq(th_cnt(&t)->eth_tx_frames, 1);
	/* learned as Linux does: heard from, not confirmed (STALE) */
	e = th_neigh(&t, TH_PEER);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_STALE);
	cr_expect_arr_eq(e->mac, TH_PEER_MAC, ETH_ALEN);
	cr_expect_eq(e->updated, t.now);
	/* and a datagram to the peer goes out at once */
	cr_expect_eq(th_output(&t, TH_PEER, 8, 0xa1, false), 0);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 8, 0xa1);
	cr_expect_eq(th_cnt(&t)->arp_tx_requests, 0);
	th_fini(&t);
}

/* A second address: the reply speaks for the address that was asked. */
Test(arp, request_for_second_address)
{
	struct stack_config cfg;
	struct th t;
	uint8_t f[64];
	size_t n;

	th_config(&cfg);
	cfg.naddr = 2;
	cfg.addr[1].addr = IPV4(192, 0, 2, 9);
	cfg.addr[1].prefix = 24;
	th_init_cfg(&t, &cfg);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
		   TH_ZERO_MAC, IPV4(192, 0, 2, 9));
	th_input(&t, f, n);
	th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REPLY, TH_PEER_MAC,
		     IPV4(192, 0, 2, 9), TH_PEER);
	th_fini(&t);
}

/* RFC 5227 probe (sender 0.0.0.0): answered, nothing learned. */
Test(arp, probe_answered_not_learned)
{
	struct th t;
	uint8_t f[64];
	size_t n;

	th_init(&t);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, 0,
		   TH_ZERO_MAC, TH_IP);
	th_input(&t, f, n);
	th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REPLY, TH_PEER_MAC,
		     TH_IP, 0);
	cr_expect_eq(t.s->neigh.used, 0);
	cr_expect_eq(th_cnt(&t)->arp_conflict, 0);
	th_fini(&t);
}

/* RFC 826 merge: a request for someone else is not answered, and its
 * sender is learned only if we already had an entry for it. */
Test(arp, request_for_others_merge_only)
{
	struct th t;
	uint8_t f[64];
	size_t n;
	const struct neigh_entry *e;

	th_init(&t);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
		   TH_ZERO_MAC, PEER3);
	th_input(&t, f, n);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->arp_rx_other_target, 1);
	cr_expect_null(th_neigh(&t, TH_PEER), "not learned: not for us");

	/* we start resolving the peer... */
	th_output(&t, TH_PEER, 8, 0xa1, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	/* ...and its request for .3 tells us where it is: merged */
	th_input(&t, f, n);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 8, 0xa1);
	th_expect_silence(&t);
	e = th_neigh(&t, TH_PEER);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_STALE, "heard from, not an answer to us");
	cr_expect_eq(th_cnt(&t)->arp_rx_other_target, 2);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);

	/* a gratuitous ARP (spa == tpa) of a known neighbour moving */
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, MAC3, TH_PEER,
		   TH_ZERO_MAC, TH_PEER);
	th_input(&t, f, n);
	th_expect_silence(&t);
	cr_expect_arr_eq(th_neigh(&t, TH_PEER)->mac, MAC3, ETH_ALEN);
	th_fini(&t);
}

Test(arp, announce_at_start)
{
	struct stack_config cfg;
	struct th t;

	th_config(&cfg);
	cfg.naddr = 2;
	cfg.addr[1].addr = IPV4(203, 0, 113, 5);
	cfg.addr[1].prefix = 24;
	th_init_cfg(&t, &cfg);
	th_expect_silence(&t);
	stack_start(t.s, t.now);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_IP);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     IPV4(203, 0, 113, 5), IPV4(203, 0, 113, 5));
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->arp_tx_announce, 2);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_fini(&t);
}

/* Our own announcement looped back by the link is not a conflict. */
Test(arp, own_announce_ignored)
{
	struct th t;
	struct th_frame *f;

	th_init(&t);
	stack_start(t.s, t.now);
	f = th_pop(&t);
	th_input(&t, f->data, f->len);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->arp_conflict, 0);
	cr_expect_eq(th_cnt(&t)->arp_rx, 1);
	th_fini(&t);
}

/* First datagram: a broadcast request, datagrams wait; the reply sends
 * them in order; then there is no timer left. */
Test(arp, resolution_flushes_queue_in_order)
{
	struct th t;
	const struct neigh_entry *e;

	th_init(&t);
	cr_expect_eq(th_output(&t, TH_PEER, 10, 1, false), 0);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	th_expect_silence(&t);
	e = th_neigh(&t, TH_PEER);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_INCOMPLETE);
	cr_expect_eq(th_deadline(&t), t.now + NSEC_PER_SEC);
	t.now += 200 * NSEC_PER_MSEC;
	cr_expect_eq(th_output(&t, TH_PEER, 20, 2, false), 0);
	cr_expect_eq(th_output(&t, TH_PEER, 30, 3, false), 0);
	th_expect_silence(&t);
	cr_expect_eq(e->qlen, 3);
	cr_expect_eq(th_cnt(&t)->arp_tx_requests, 1, "one request is enough");

	t.now += 100 * NSEC_PER_MSEC;
	reply_from(&t, TH_PEER, TH_PEER_MAC);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 1);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 20, 2);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 30, 3);
	th_expect_silence(&t);
	cr_expect_eq(e->state, NEIGH_REACHABLE);
	cr_expect_eq(e->qlen, 0);
	cr_expect_eq(th_cnt(&t)->arp_rx_replies, 1);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	cr_expect_eq(th_output(&t, TH_PEER, 5, 4, false), 0);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 5, 4);
	th_fini(&t);
}

/* Requests at 0, 1 s, 2 s; at 3 s give up and drop what waited. */
Test(arp, retries_then_gives_up)
{
	struct th t;
	uint64_t t0;

	th_init(&t);
	t0 = t.now;
	th_output(&t, TH_PEER, 10, 1, false);
	th_output(&t, TH_PEER, 10, 2, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	cr_expect_eq(th_tick(&t, NSEC_PER_SEC - 1), t0 + NSEC_PER_SEC);
	th_expect_silence(&t);
	cr_expect_eq(th_tick(&t, 1), t0 + 2 * NSEC_PER_SEC);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	cr_expect_eq(th_tick(&t, NSEC_PER_SEC), t0 + 3 * NSEC_PER_SEC);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	cr_expect_eq(th_cnt(&t)->neigh_resolve_fail, 0);
	cr_expect_eq(th_tick(&t, NSEC_PER_SEC), STACK_NO_DEADLINE);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->arp_tx_requests, 3);
	cr_expect_eq(th_cnt(&t)->neigh_resolve_fail, 2);
	cr_expect_null(th_neigh(&t, TH_PEER));
	cr_expect_eq(t.s->neigh.used, 0);
	cr_expect_eq(t.s->pool.live, 0, "the queue was freed");
	/* a later datagram starts over */
	th_output(&t, TH_PEER, 10, 3, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	th_fini(&t);
}

/* A full queue drops its oldest datagram, counted. */
Test(arp, queue_bound_drops_oldest)
{
	struct stack_config cfg;
	struct th t;

	th_config(&cfg);
	cfg.neigh_queue_bytes = 3 * 30;      /* three 30-byte datagrams */
	th_init_cfg(&t, &cfg);
	for (uint8_t i = 1; i <= 5; i++)
		cr_expect_eq(th_output(&t, TH_PEER, 10, i, false), 0);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	cr_expect_eq(th_cnt(&t)->neigh_queue_drop, 2);
	reply_from(&t, TH_PEER, TH_PEER_MAC);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 3);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 4);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 5);
	th_expect_silence(&t);
	th_fini(&t);
}

/* A queue length lowered while packets wait (what stack_reconfigure()
 * does): the next packet brings the queue down to the new bound. */
Test(arp, queue_bound_lowered)
{
	struct th t;

	th_init(&t);
	for (uint8_t i = 1; i <= 5; i++)
		th_output(&t, TH_PEER, 10, i, false);
	th_pop(&t);
	t.s->cfg.neigh_queue_bytes = 2 * 30;
	th_output(&t, TH_PEER, 10, 6, false);
	cr_expect_eq(th_neigh(&t, TH_PEER)->qlen, 2);
	cr_expect_eq(th_cnt(&t)->neigh_queue_drop, 4);
	reply_from(&t, TH_PEER, TH_PEER_MAC);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 5);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 6);
	th_expect_silence(&t);
	th_fini(&t);
}

/* A full cache recycles the least recently confirmed entry, counted. */
Test(arp, cache_bound_evicts_oldest)
{
	struct stack_config cfg;
	struct th t;

	th_config(&cfg);
	cfg.neigh_max_entries = 2;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	t.now += NSEC_PER_SEC;
	th_learn(&t, PEER3, MAC3);
	t.now += NSEC_PER_SEC;
	th_learn(&t, TH_PEER, TH_PEER_MAC);     /* .2 confirmed again */
	t.now += NSEC_PER_SEC;
	cr_expect_eq(th_cnt(&t)->neigh_evicted, 0);
	th_learn(&t, PEER4, MAC4);
	cr_expect_eq(th_cnt(&t)->neigh_evicted, 1);
	cr_expect_null(th_neigh(&t, PEER3), ".3 was confirmed longest ago");
	cr_expect_not_null(th_neigh(&t, TH_PEER));
	cr_expect_not_null(th_neigh(&t, PEER4));
	cr_expect_eq(t.s->neigh.used, 2);
	th_fini(&t);
}

/* Evicting an entry still resolving drops its queue: counted too. */
Test(arp, evicting_incomplete_counts_its_queue)
{
	struct stack_config cfg;
	struct th t;

	th_config(&cfg);
	cfg.neigh_max_entries = 1;
	th_init_cfg(&t, &cfg);
	th_output(&t, TH_PEER, 10, 1, false);
	th_output(&t, TH_PEER, 10, 2, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	th_output(&t, PEER3, 10, 3, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, PEER3);
	cr_expect_eq(th_cnt(&t)->neigh_evicted, 1);
	cr_expect_eq(th_cnt(&t)->neigh_queue_drop, 2,
		     "the two datagrams for .2 were dropped");
	cr_expect_null(th_neigh(&t, TH_PEER));
	reply_from(&t, PEER3, MAC3);
	th_expect_output(&t, MAC3, PEER3, 10, 3);
	th_expect_silence(&t);
	th_fini(&t);
}

/* A test host whose neighbours age as they would by default (30 s) */
static void init_aging(struct th *t)
{
	struct stack_config cfg;

	th_config(&cfg);
	cfg.neigh_reachable = 30 * NSEC_PER_SEC;
	th_init_cfg(t, &cfg);
}

static uint64_t reachable_time(struct th *t)
{
	return t->s->neigh_params[0].reachable;
}

/* RFC 4861 6.3.2: ReachableTime is drawn from [0.5, 1.5) x the base */
Test(arp, reachable_time_randomized)
{
	struct th t;

	init_aging(&t);
	cr_expect_geq(reachable_time(&t), 15 * NSEC_PER_SEC);
	cr_expect_lt(reachable_time(&t), 45 * NSEC_PER_SEC);
	th_fini(&t);
}

/* Lazy aging (RFC 4861 7.3.3): REACHABLE turns STALE without a timer;
 * the first datagram after it goes out at once and starts DELAY; with no
 * confirmation in 5 s, three unicast probes a second apart; unanswered,
 * the entry goes and the next datagram asks by broadcast again. */
Test(arp, stale_entry_delays_probes_then_fails)
{
	struct th t;

	init_aging(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	t.now += reachable_time(&t);
	cr_expect_eq(th_output(&t, TH_PEER, 10, 1, false), 0);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 1);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->neigh_stale, 1);
	cr_expect_eq(th_neigh(&t, TH_PEER)->state, NEIGH_DELAY);
	cr_expect_eq(th_deadline(&t), t.now + 5 * NSEC_PER_SEC);
	th_output(&t, TH_PEER, 10, 2, false);   /* used again: still delayed */
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 2);
	cr_expect_eq(th_deadline(&t), t.now + 5 * NSEC_PER_SEC);
	for (int i = 0; i < 3; i++) {
		th_tick(&t, i ? NSEC_PER_SEC : 5 * NSEC_PER_SEC);
		th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REQUEST, TH_ZERO_MAC,
			     TH_IP, TH_PEER);
		th_expect_silence(&t);
		cr_expect_eq(th_neigh(&t, TH_PEER)->state, NEIGH_PROBE);
	}
	th_tick(&t, NSEC_PER_SEC);
	th_expect_silence(&t);
	cr_expect_null(th_neigh(&t, TH_PEER), "unanswered probes: forgotten");
	cr_expect_eq(th_cnt(&t)->neigh_probe_fail, 1);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_output(&t, TH_PEER, 10, 3, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	reply_from(&t, TH_PEER, MAC3);          /* it moved meanwhile */
	th_expect_output(&t, MAC3, TH_PEER, 10, 3);
	th_fini(&t);
}

/* A probe answered makes the entry REACHABLE again, with no timer left. */
Test(arp, probe_answered)
{
	struct th t;

	init_aging(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	t.now += reachable_time(&t);
	th_output(&t, TH_PEER, 10, 1, false);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 1);
	th_tick(&t, 5 * NSEC_PER_SEC);
	th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	reply_from(&t, TH_PEER, TH_PEER_MAC);
	cr_expect_eq(th_neigh(&t, TH_PEER)->state, NEIGH_REACHABLE);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_tick(&t, 10 * NSEC_PER_SEC);
	th_expect_silence(&t);
	th_fini(&t);
}

/* RFC 4861 7.3.1: a hint from an upper layer (TCP saw new data acked)
 * while DELAY makes the entry REACHABLE without a probe. */
Test(arp, upper_layer_hint_spares_the_probe)
{
	struct th t;
	struct ip_addr peer = ip4(TH_PEER);

	init_aging(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	t.now += reachable_time(&t);
	th_output(&t, TH_PEER, 10, 1, false);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 1);
	t.now += NSEC_PER_SEC;
	neigh_confirm(t.s, &peer);
	th_tick(&t, 5 * NSEC_PER_SEC);
	th_expect_silence(&t);
	cr_expect_eq(th_neigh(&t, TH_PEER)->state, NEIGH_REACHABLE);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_fini(&t);
}

/* A known neighbour that announces a new MAC (a request for us from it)
 * is updated and STALE: used, then checked by a unicast probe. */
Test(arp, new_mac_makes_entry_stale)
{
	struct th t;
	uint8_t f[64];
	size_t n;

	init_aging(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, MAC3, TH_PEER,
		   TH_ZERO_MAC, TH_IP);
	th_input(&t, f, n);
	th_check_arp(th_pop(&t), MAC3, ARP_OP_REPLY, MAC3, TH_IP, TH_PEER);
	cr_expect_eq(th_neigh(&t, TH_PEER)->state, NEIGH_STALE);
	cr_expect_arr_eq(th_neigh(&t, TH_PEER)->mac, MAC3, ETH_ALEN);
	th_output(&t, TH_PEER, 10, 1, false);
	th_expect_output(&t, MAC3, TH_PEER, 10, 1);
	cr_expect_eq(th_neigh(&t, TH_PEER)->state, NEIGH_DELAY);
	th_tick(&t, 5 * NSEC_PER_SEC);
	th_check_arp(th_pop(&t), MAC3, ARP_OP_REQUEST, TH_ZERO_MAC, TH_IP,
		     TH_PEER);
	reply_from(&t, TH_PEER, MAC3);
	cr_expect_eq(th_neigh(&t, TH_PEER)->state, NEIGH_REACHABLE);
	th_fini(&t);
}

/* Someone else claims our address: counted, not learned, not answered. */
Test(arp, conflict_counted)
{
	struct th t;
	uint8_t f[64];
	size_t n;

	th_init(&t);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_IP,
		   TH_ZERO_MAC, TH_IP);
	th_input(&t, f, n);
	n = th_arp(f, TH_MAC, ARP_OP_REPLY, TH_PEER_MAC, TH_IP, TH_MAC, TH_IP);
	th_input(&t, f, n);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->arp_conflict, 2);
	cr_expect_eq(t.s->neigh.used, 0);
	cr_expect_eq(th_cnt(&t)->arp_tx_replies, 0);
	th_fini(&t);
}

static void expect_malformed(uint8_t *f, size_t n, size_t off_cnt)
{
	struct th t;

	th_init(&t);
	th_input(&t, f, n);
	th_expect_silence(&t);
	cr_expect_eq(*(const uint64_t *)((const char *)th_cnt(&t) + off_cnt),
		     1);
	cr_expect_eq(th_cnt(&t)->arp_rx, 1);
	cr_expect_eq(th_cnt(&t)->arp_tx_replies, 0);
	cr_expect_eq(t.s->neigh.used, 0);
	th_fini(&t);
}

Test(arp, malformed_counted)
{
	static const struct { size_t at; uint8_t v; } bad[] = {
		{ 1, 6 },       /* htype 6 (IEEE 802) */
		{ 2, 0x86 },    /* ptype 0x86dd */
		{ 4, 8 },       /* hlen 8 */
		{ 5, 16 },      /* plen 16 */
		{ 7, 3 },       /* op 3 (RARP request) */
		{ 7, 0 },       /* op 0 */
	};
	size_t off = offsetof(struct stack_counters, arp_rx_malformed);
	uint8_t f[64];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC,
			   TH_PEER, TH_ZERO_MAC, TH_IP);
		f[ETH_HLEN + bad[i].at] = bad[i].v;
		expect_malformed(f, n, off);
	}
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
		   TH_ZERO_MAC, TH_IP);
	expect_malformed(f, n - 1, off);        /* truncated */
	expect_malformed(f, ETH_HLEN, off);     /* empty */
}

Test(arp, bad_sender_counted)
{
	static const uint8_t mcast[ETH_ALEN] = { 0x01, 0, 0x5e, 0, 0, 1 };
	size_t off = offsetof(struct stack_counters, arp_rx_bad_sender);
	uint8_t f[64];
	size_t n;

	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, mcast, TH_PEER,
		   TH_ZERO_MAC, TH_IP);
	expect_malformed(f, n, off);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, eth_broadcast, TH_PEER,
		   TH_ZERO_MAC, TH_IP);
	expect_malformed(f, n, off);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC,
		   IPV4_BROADCAST, TH_ZERO_MAC, TH_IP);
	expect_malformed(f, n, off);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_BCAST,
		   TH_ZERO_MAC, TH_IP);
	expect_malformed(f, n, off);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC,
		   IPV4(224, 0, 0, 251), TH_ZERO_MAC, TH_IP);
	expect_malformed(f, n, off);
}

/* Off-link destinations resolve the gateway, never the destination. */
Test(arp, gateway_resolved_for_off_link)
{
	struct th t;

	th_init(&t);
	th_output(&t, TH_FAR, 10, 1, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_GW);
	reply_from(&t, TH_GW, TH_GW_MAC);
	th_expect_output(&t, TH_GW_MAC, TH_FAR, 10, 1);
	cr_expect_null(th_neigh(&t, TH_FAR));
	th_fini(&t);
}

/* Many neighbours through a small cache: hash chains stay consistent as
 * entries are recycled from their middle, and the newest are all found. */
Test(arp, cache_churn)
{
	struct stack_config cfg;
	struct th t;

	th_config(&cfg);
	cfg.addr[0].prefix = 16;
	cfg.gateway = 0;
	cfg.neigh_max_entries = 64;
	th_init_cfg(&t, &cfg);
	for (unsigned i = 0; i < 300; i++) {
		uint32_t ip = IPV4(192, 0, 0, 0) | ((i * 97 + 5) & 0xffff);
		/* 02:00:00:01:..: never our own MAC, which is refused */
		uint8_t mac[ETH_ALEN] = { 0x02, 0, 0, 1, (uint8_t)(i >> 8),
					  (uint8_t)i };
		uint8_t f[64];
		size_t n;

		if (ip == TH_IP)
			continue;
		t.now += NSEC_PER_MSEC;
		n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, mac, ip,
			   TH_ZERO_MAC, TH_IP);
		th_input(&t, f, n);
		th_check_arp(th_pop(&t), mac, ARP_OP_REPLY, mac, TH_IP, ip);
	}
	cr_expect_eq(t.s->neigh.used, 64);
	cr_expect_eq(th_cnt(&t)->neigh_evicted, 300 - 64);
	for (unsigned i = 0; i < 300; i++) {
		uint32_t ip = IPV4(192, 0, 0, 0) | ((i * 97 + 5) & 0xffff);
		const struct neigh_entry *e = th_neigh(&t, ip);

		if (i < 300 - 64) {
			cr_expect_null(e, "entry %u should be gone", i);
		} else {
			cr_assert_not_null(e, "entry %u lost", i);
			cr_expect_eq(e->mac[5], (uint8_t)i);
			cr_expect_eq(e->ip.v4, ip);
		}
	}
	th_fini(&t);
}

/* A neighbour we are resolving asks for us: what waited goes first, then
 * our answer. */
Test(arp, request_from_incomplete_neighbour)
{
	struct th t;
	uint8_t f[64];
	size_t n;

	th_init(&t);
	th_output(&t, TH_PEER, 10, 1, false);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
		   TH_ZERO_MAC, TH_IP);
	th_input(&t, f, n);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 1);
	th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REPLY, TH_PEER_MAC,
		     TH_IP, TH_PEER);
	th_expect_silence(&t);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_fini(&t);
}

/* Several neighbours resolving at once, each on its own schedule. */
Test(arp, independent_retry_timers)
{
	struct th t;
	uint64_t t0;

	th_init(&t);
	t0 = t.now;
	th_output(&t, TH_PEER, 10, 1, false);
	t.now += 300 * NSEC_PER_MSEC;
	th_output(&t, PEER3, 10, 2, false);
	th_pop(&t);
	th_pop(&t);
	cr_expect_eq(th_deadline(&t), t0 + NSEC_PER_SEC);
	cr_expect_eq(th_tick(&t, t0 + NSEC_PER_SEC - t.now),
		     t0 + 1300 * NSEC_PER_MSEC);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	reply_from(&t, TH_PEER, TH_PEER_MAC);
	th_expect_output(&t, TH_PEER_MAC, TH_PEER, 10, 1);
	cr_expect_eq(th_tick(&t, 300 * NSEC_PER_MSEC),
		     t0 + 2300 * NSEC_PER_MSEC);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, PEER3);
	th_expect_silence(&t);
	th_fini(&t);
}
