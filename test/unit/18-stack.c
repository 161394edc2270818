/* SPDX-License-Identifier: MIT */
/*
 * 18-stack.c - the host interface: configuration, the counter table, the
 * zero-copy input path, an idle engine, socket buffer sizes
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "harness.h"

Test(stack, defaults_need_only_mac_and_address)
{
	struct stack_config cfg;
	const char *why = NULL;

	stack_config_defaults(&cfg);
	cr_expect_eq(stack_config_check(&cfg, &why), -EINVAL);
	cr_expect_not_null(why);
	th_config(&cfg);
	cr_expect_eq(stack_config_check(&cfg, &why), 0);
	cr_expect_eq(cfg.mtu, 1500);
	cr_expect_eq(cfg.ttl, 64);
	cr_expect_eq(cfg.neigh_mcast_solicit, 3);
	cr_expect_eq(cfg.reass_timeout, 30 * NSEC_PER_SEC);
}

/* One description per counter, in struct order, names unique: what
 * ustackctl stats prints. */
Test(stack, counter_table)
{
	cr_expect_eq(stack_counter_count * sizeof(uint64_t),
		     sizeof(struct stack_counters));
	for (unsigned i = 0; i < stack_counter_count; i++) {
		const struct counter_desc *d = &stack_counter_desc[i];

		cr_expect_eq(d->offset, i * sizeof(uint64_t), "%s", d->name);
		cr_expect_gt(strlen(d->group), 0);
		cr_expect_gt(strlen(d->desc), 0);
		for (unsigned j = 0; j < i; j++)
			cr_expect(strcmp(d->group, stack_counter_desc[j].group) ||
				  strcmp(d->name, stack_counter_desc[j].name),
				  "%s_%s twice", d->group, d->name);
	}
	cr_expect_eq(stack_counter_desc[0].offset,
		     offsetof(struct stack_counters, eth_rx_frames));
}

/* The host receives into an engine buffer and hands it over. */
Test(stack, zero_copy_input)
{
	struct th t;
	struct pbuf *p;
	uint8_t f[64];
	size_t n;

	th_init(&t);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
		   TH_ZERO_MAC, TH_IP);
	p = stack_rx_buf(t.s, 1518);
	cr_assert_not_null(p);
	cr_expect_eq(p->len, 1518);
	memcpy(p->data, f, n);
	p->len = (uint32_t)n;
	stack_input(t.s, 1, p, t.now);
	th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REPLY, TH_PEER_MAC,
		     TH_IP, TH_PEER);
	/* a spent budget: no buffer, counted */
	t.s->pool.budget = t.s->pool.in_use;
	cr_expect_null(stack_rx_buf(t.s, 1518));
	cr_expect_eq(th_cnt(&t)->eth_rx_nomem, 1);
	th_fini(&t);
}

Test(stack, idle_engine_sleeps)
{
	struct th t;

	th_init(&t);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	stack_start(t.s, t.now);
	th_pop(&t);
	cr_expect_eq(th_tick(&t, 86400 * NSEC_PER_SEC), STACK_NO_DEADLINE);
	th_expect_silence(&t);
	stack_free(NULL);
	th_fini(&t);
}

/* SO_RCVBUF/SO_SNDBUF as Linux's sk_setsockopt(): capped at
 * rmem_max/wmem_max (a negative value is huge), doubled, raised to the
 * minimum; FORCE goes beyond the cap (a negative value is 0) */
Test(stack, socket_buffer_sizes)
{
	struct th t;

	th_init(&t);
	cr_expect_eq(t.s->cfg.rmem_max, 212992, "Linux's default");
	cr_expect_eq(t.s->cfg.wmem_max, 212992, "Linux's default");
	cr_expect_eq(stack_sockbuf_size(t.s, 4096, false, false), 8192);
	cr_expect_eq(stack_sockbuf_size(t.s, 4 << 20, false, false), 425984,
		     "iperf3 -w 4M: capped, then doubled");
	cr_expect_eq(stack_sockbuf_size(t.s, -1, false, false), 425984);
	cr_expect_eq(stack_sockbuf_size(t.s, 0, false, false), SOCK_MIN_RCVBUF);
	cr_expect_eq(stack_sockbuf_size(t.s, 0, true, false), SOCK_MIN_SNDBUF);
	cr_expect_eq(stack_sockbuf_size(t.s, 4 << 20, true, true), 8 << 20);
	cr_expect_eq(stack_sockbuf_size(t.s, -1, false, true), SOCK_MIN_RCVBUF);
	cr_expect_eq(stack_sockbuf_size(t.s, INT_MAX, true, true),
		     (uint32_t)(INT_MAX / 2) * 2);
	t.s->cfg.rmem_max = 4 << 20;
	cr_expect_eq(stack_sockbuf_size(t.s, 4 << 20, false, false), 8 << 20);
	cr_expect_eq(stack_sockbuf_size(t.s, 4 << 20, true, false), 425984,
		     "wmem_max is separate");
	th_fini(&t);
}
