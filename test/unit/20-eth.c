/* SPDX-License-Identifier: MIT */
/*
 * 20-eth.c - Ethernet II: parse/build round trip, and every frame the
 * engine refuses, dropped and counted
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

Test(eth, parse_build_round_trip)
{
	static const uint8_t wire[ETH_HLEN] = {
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06,
	};
	struct eth_hdr h;
	uint8_t out[ETH_HLEN];

	cr_assert_eq(eth_parse(wire, sizeof(wire), &h), 0);
	cr_expect_arr_eq(h.dst, TH_MAC, ETH_ALEN);
	cr_expect_arr_eq(h.src, TH_PEER_MAC, ETH_ALEN);
	cr_expect_eq(h.type, ETH_P_ARP);
	eth_build(out, &h);
	cr_expect_arr_eq(out, wire, ETH_HLEN);
	cr_expect_eq(eth_parse(wire, ETH_HLEN - 1, &h), -1);
	cr_expect_eq(eth_parse(wire, 0, &h), -1);
}

/* A frame for us of a type nobody handles: one counter each, no reply. */
static void expect_dropped(const uint8_t *f, size_t n, size_t off_cnt)
{
	struct th t;
	const uint64_t *c;

	th_init(&t);
	th_input(&t, f, n);
	th_expect_silence(&t);
	c = (const uint64_t *)((const char *)th_cnt(&t) + off_cnt);
	cr_expect_eq(*c, 1, "the drop is counted");
	cr_expect_eq(th_cnt(&t)->eth_rx_frames, 1);
	cr_expect_eq(th_cnt(&t)->eth_rx_bytes, n);
	cr_expect_eq(th_cnt(&t)->arp_rx + th_cnt(&t)->ip_rx, 0,
		     "nothing reached a protocol");
	th_fini(&t);
}

Test(eth, short_frame)
{
	uint8_t f[ETH_HLEN];

	th_eth(f, TH_MAC, TH_PEER_MAC, ETH_P_IP);
	expect_dropped(f, 13, offsetof(struct stack_counters, eth_rx_short));
	expect_dropped(f, 0, offsetof(struct stack_counters, eth_rx_short));
}

Test(eth, not_for_us)
{
	static const uint8_t other[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x77 };
	/* a group not joined (all-hosts, 01:00:5e:00:00:01, always is) */
	static const uint8_t mcast[ETH_ALEN] = { 0x01, 0, 0x5e, 1, 2, 3 };
	uint8_t f[64] = { 0 };

	th_eth(f, other, TH_PEER_MAC, ETH_P_IP);
	expect_dropped(f, 60, offsetof(struct stack_counters, eth_rx_not_for_us));
	th_eth(f, mcast, TH_PEER_MAC, ETH_P_IP);
	expect_dropped(f, 60, offsetof(struct stack_counters, eth_rx_not_for_us));
}

Test(eth, vlan)
{
	uint8_t f[64] = { 0 };

	th_eth(f, TH_MAC, TH_PEER_MAC, ETH_P_8021Q);
	expect_dropped(f, 60, offsetof(struct stack_counters, eth_rx_vlan));
	th_eth(f, eth_broadcast, TH_PEER_MAC, ETH_P_8021AD);
	expect_dropped(f, 60, offsetof(struct stack_counters, eth_rx_vlan));
}

Test(eth, unknown_type)
{
	uint8_t f[64] = { 0 };

	th_eth(f, TH_MAC, TH_PEER_MAC, 0x88b5);   /* IEEE local experimental */
	expect_dropped(f, 60, offsetof(struct stack_counters,
				       eth_rx_unknown_type));
	th_eth(f, TH_MAC, TH_PEER_MAC, 0x0060);   /* an 802.3 length */
	expect_dropped(f, 60, offsetof(struct stack_counters,
				       eth_rx_unknown_type));
}

/* A frame on an interface the engine does not have: freed. */
Test(eth, unknown_interface)
{
	struct th t;
	uint8_t f[64] = { 0 };

	th_init(&t);
	th_eth(f, TH_MAC, TH_PEER_MAC, ETH_P_ARP);
	stack_input_copy(t.s, 2, f, 60, t.now);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->eth_rx_frames, 0);
	th_fini(&t);
}

/* Output: header in front, counted; a full link queue is counted. */
Test(eth, output_and_link_error)
{
	struct th t;
	struct pbuf *p;
	struct th_frame *f;

	th_init(&t);
	p = pbuf_copy(&t.s->pool, PBUF_HEADROOM, "payload", 7);
	cr_expect_eq(eth_output(t.s, &t.s->nif, TH_PEER_MAC, 0x88b5, p), 0);
	f = th_pop(&t);
	th_check_eth(f, TH_PEER_MAC, 0x88b5);
	cr_expect_eq(f->len, ETH_HLEN + 7);
	cr_expect_arr_eq(f->data + ETH_HLEN, "payload", 7);
	cr_expect_eq(th_cnt(&t)->eth_tx_frames, 1);
	cr_expect_eq(th_cnt(&t)->eth_tx_bytes, ETH_HLEN + 7);

	t.link_rc = -ENOBUFS;
	p = pbuf_copy(&t.s->pool, PBUF_HEADROOM, "x", 1);
	cr_expect_eq(eth_output(t.s, &t.s->nif, TH_PEER_MAC, 0x88b5, p),
		     -ENOBUFS);
	cr_expect_eq(th_cnt(&t)->eth_tx_link_err, 1);
	cr_expect_eq(th_cnt(&t)->eth_tx_frames, 1);

	t.link_rc = 0;
	p = pbuf_copy(&t.s->pool, 4, "x", 1);
	cr_expect_eq(eth_output(t.s, &t.s->nif, TH_PEER_MAC, 0x88b5, p),
		     -ENOBUFS, "no headroom for the header");
	cr_expect_eq(th_cnt(&t)->eth_tx_nomem, 1);
	th_expect_silence(&t);
	th_fini(&t);
}

/* The memory budget spent: a received frame is refused and counted. */
Test(eth, rx_no_buffer)
{
	struct th t;
	uint8_t f[64] = { 0 };

	th_init(&t);
	t.s->pool.budget = 0;
	th_eth(f, TH_MAC, TH_PEER_MAC, ETH_P_ARP);
	th_input(&t, f, 60);
	cr_expect_eq(th_cnt(&t)->eth_rx_nomem, 1);
	cr_expect_eq(th_cnt(&t)->eth_rx_frames, 0);
	cr_expect_eq(t.s->pool.alloc_fail, 1);
	th_fini(&t);
}
