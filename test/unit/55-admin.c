/* SPDX-License-Identifier: MIT */
/*
 * 55-admin: what ustackctl asks of the engine: the neighbour, route and
 * address tables, adding and removing addresses, pings from the stack.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static struct th t;

static void setup(void)
{
	th_init(&t);
}

static void teardown(void)
{
	th_fini(&t);
}

TestSuite(admin, .init = setup, .fini = teardown);

Test(admin, neighbour_list_shows_state_age_and_queue)
{
	struct stack_neigh n[4];
	unsigned total;

	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_tick(&t, 5 * NSEC_PER_SEC);
	th_output(&t, IPV4(192, 0, 2, 9), 100, 0xaa, false);	/* asks, queues */
	th_pop(&t);
	th_tick(&t, NSEC_PER_SEC / 2);
	total = stack_neigh_list(t.s, t.now, 0, n, 4);
	cr_assert_eq(total, 2);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(n[i].ip.family, IP_V4);
		if (n[i].ip.v4 == TH_PEER) {
			cr_assert_eq(n[i].state, NEIGH_REACHABLE);
			cr_assert_eq(memcmp(n[i].mac, TH_PEER_MAC, ETH_ALEN), 0);
			cr_assert_eq(n[i].age, 5 * NSEC_PER_SEC + NSEC_PER_SEC / 2);
			cr_assert_eq(n[i].queued, 0);
		} else {
			cr_assert_eq(n[i].ip.v4, IPV4(192, 0, 2, 9));
			cr_assert_eq(n[i].state, NEIGH_INCOMPLETE);
			cr_assert_eq(n[i].queued, 1);
			cr_assert_eq(n[i].probes, 1);
			cr_assert_eq(n[i].age, NSEC_PER_SEC / 2);
		}
	}
	/* paging: from the second entry on, one at a time */
	cr_assert_eq(stack_neigh_list(t.s, t.now, 1, n, 1), 2);
	th_tick(&t, t.s->neigh_params[0].reachable);
	stack_neigh_list(t.s, t.now, 0, n, 4);
	for (unsigned i = 0; i < 2; i++)
		if (n[i].ip.v4 == TH_PEER)
			cr_assert_eq(n[i].state, NEIGH_STALE,
				     "not confirmed for ReachableTime");
	while (th_queued(&t))
		th_pop(&t);
}

Test(admin, route_list_add_del)
{
	struct stack_route r[8];
	unsigned n = stack_route_list(t.s, 0, r, 8);

	cr_assert_eq(n, 3, "loopback, connected and default");
	cr_assert_eq(r[0].dst.v4, IPV4(127, 0, 0, 0));
	cr_assert_eq(r[0].prefix, 8);
	cr_assert_eq(r[0].ifindex, STACK_IF_LOOPBACK);
	cr_assert_eq(r[1].ifindex, STACK_IF_LINK);
	cr_assert_eq(th_route_add(&t, IPV4(203, 0, 113, 0), 24, TH_PEER, 5), 0);
	cr_assert_eq(th_route_add(&t, IPV4(203, 0, 113, 0), 24, TH_PEER, 5), -EEXIST);
	cr_assert_eq(th_route_add(&t, IPV4(203, 0, 113, 1), 24, TH_PEER, 5), -EINVAL,
		     "host bits set");
	cr_assert_eq(th_route_add(&t, IPV4(203, 0, 113, 0), 24, TH_FAR, 5), -ENETUNREACH,
		     "gateway not on link");
	n = stack_route_list(t.s, 3, r, 8);
	cr_assert_eq(n, 4);
	cr_assert_eq(r[0].dst.v4, IPV4(203, 0, 113, 0));
	cr_assert_eq(r[0].prefix, 24);
	cr_assert_eq(r[0].gateway.v4, TH_PEER);
	cr_assert_eq(r[0].origin, ROUTE_STATIC);
	cr_assert_eq(r[0].metric, 5);
	/* traffic to 203.0.113.x now goes to TH_PEER's MAC */
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_assert_eq(th_output(&t, IPV4(203, 0, 113, 50), 64, 0x11, false), 0);
	th_expect_output(&t, TH_PEER_MAC, IPV4(203, 0, 113, 50), 64, 0x11);
	cr_assert_eq(th_route_del(&t, IPV4(203, 0, 113, 0), 24), 0);
	cr_assert_eq(th_route_del(&t, IPV4(203, 0, 113, 0), 24), -ESRCH);
	cr_assert_eq(stack_route_list(t.s, 0, r, 8), 3);
	/* 127/8 is the loopback's: its route stays, none goes inside it,
	 * and no gateway is there */
	cr_assert_eq(th_route_del(&t, IPV4(127, 0, 0, 0), 8), -EINVAL);
	cr_assert_eq(th_route_add(&t, IPV4(127, 1, 0, 0), 16, 0, 0), -EINVAL);
	cr_assert_eq(th_route_add(&t, IPV4(203, 0, 113, 0), 24,
				  IPV4(127, 0, 0, 1), 0), -ENETUNREACH);
	cr_assert_eq(stack_route_list(t.s, 0, r, 8), 3);
}

Test(admin, address_add_announces_and_routes)
{
	struct stack_ifaddr a[STACK_MAX_IFADDRS];
	struct stack_route r[8];
	uint32_t extra = IPV4(198, 51, 100, 1);

	cr_assert_eq(stack_addr_add(t.s, extra, 25, t.now), 0);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC, extra, extra);
	cr_assert_eq(stack_addr_list(t.s, t.now, a, STACK_MAX_IFADDRS), 3);
	cr_assert_eq(a[0].addr.v4, IPV4(127, 0, 0, 1), "the loopback's first");
	cr_assert_eq(a[0].prefix, 8);
	cr_assert_eq(a[0].ifindex, STACK_IF_LOOPBACK);
	cr_assert_eq(a[2].addr.v4, extra);
	cr_assert_eq(a[2].prefix, 25);
	cr_assert_eq(a[2].ifindex, STACK_IF_LINK);
	cr_assert_eq(stack_route_list(t.s, 0, r, 8), 4, "its connected route");
	cr_assert_eq(stack_addr_add(t.s, extra, 25, t.now), -EEXIST);
	cr_assert_eq(stack_addr_add(t.s, IPV4(127, 0, 0, 2), 8, t.now), -EINVAL);
	cr_assert_eq(stack_addr_add(t.s, IPV4(224, 0, 0, 5), 8, t.now), -EINVAL);
	/* the new address answers ARP */
	{
		uint8_t f[64];
		size_t len = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC,
				    IPV4(198, 51, 100, 2), TH_ZERO_MAC, extra);

		th_input(&t, f, len);
		th_check_arp(th_pop(&t), TH_PEER_MAC, ARP_OP_REPLY, TH_PEER_MAC,
			     extra, IPV4(198, 51, 100, 2));
	}
	cr_assert_eq(stack_addr_del(t.s, extra, 24), -EADDRNOTAVAIL, "wrong prefix");
	cr_assert_eq(stack_addr_del(t.s, extra, 25), 0);
	cr_assert_eq(stack_addr_list(t.s, t.now, a, STACK_MAX_IFADDRS), 2);
	cr_assert_eq(stack_route_list(t.s, 0, r, 8), 3);
	cr_assert_eq(stack_addr_del(t.s, IPV4(127, 0, 0, 1), 8), -EADDRNOTAVAIL,
		     "the loopback's address stays");
}

Test(admin, deleting_the_gateways_subnet_drops_its_routes)
{
	struct stack_route r[8];

	cr_assert_eq(stack_addr_del(t.s, TH_IP, 24), 0);
	cr_assert_eq(stack_route_list(t.s, 0, r, 8), 1,
		     "connected route and the default via 192.0.2.254 are gone; "
		     "the loopback's stays");
	cr_assert_eq(th_output(&t, TH_FAR, 10, 1, false), -ENETUNREACH);
	cr_assert_eq(stack_addr_add(t.s, TH_IP, 24, t.now), 0);
	th_pop(&t);
}

static struct {
	unsigned calls;
	uint32_t src;
	uint16_t id, seq;
	size_t len;
	uint8_t ttl;
} echo;

static void on_echo(void *ctx, uint32_t src, uint16_t id, uint16_t seq,
		    size_t len, uint8_t ttl)
{
	(void)ctx;
	echo.calls++;
	echo.src = src;
	echo.id = id;
	echo.seq = seq;
	echo.len = len;
	echo.ttl = ttl;
}

Test(admin, ping_from_the_stack)
{
	uint8_t buf[256], reply[256];
	struct th_frame *f;
	struct ipv4_hdr h;
	struct th_ip ip;
	size_t plen, len;
	const uint8_t *icmp;

	t.ops.echo_reply = on_echo;
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_assert_eq(stack_ping(t.s, TH_PEER, 0x1234, 7, 56, t.now), 0);
	f = th_pop(&t);
	icmp = th_check_ipv4(f, TH_PEER_MAC, &h, &plen);
	cr_assert_eq(h.proto, IP_PROTO_ICMP);
	cr_assert_eq(h.src, TH_IP);
	cr_assert_eq(plen, ICMP_HLEN + 56);
	cr_assert_eq(icmp[0], ICMP_ECHO);
	cr_assert_eq(get16(icmp + 4), 0x1234);
	cr_assert_eq(get16(icmp + 6), 7);
	cr_assert_eq(inet_cksum(icmp, plen), 0);
	/* the peer answers with the same data */
	memcpy(buf, icmp, plen);
	len = th_icmp(reply, ICMP_ECHO_REPLY, 0, get32(buf + 4), buf + ICMP_HLEN, 56);
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.src = TH_PEER;
	ip.ttl = 61;
	len = th_ipv4(buf, TH_MAC, &ip, reply, len);
	th_input(&t, buf, len);
	cr_assert_eq(echo.calls, 1);
	cr_assert_eq(echo.src, TH_PEER);
	cr_assert_eq(echo.id, 0x1234);
	cr_assert_eq(echo.seq, 7);
	cr_assert_eq(echo.len, 56);
	cr_assert_eq(echo.ttl, 61);
	cr_assert_eq(th_cnt(&t)->icmp_tx_echo_req, 1);
	cr_assert_eq(stack_ping(t.s, TH_BCAST, 1, 1, 8, t.now), -EINVAL);
	cr_assert_eq(stack_ping(t.s, TH_PEER, 1, 1, 70000, t.now), -EINVAL);
	t.ops.echo_reply = NULL;
}

Test(admin, reconfigure_takes_the_live_settings_and_keeps_the_link)
{
	struct stack_config c = t.cfg;
	struct stack_ifaddr a[STACK_MAX_IFADDRS];

	cr_assert_eq(stack_addr_add(t.s, IPV4(198, 51, 100, 1), 25, t.now), 0);
	th_pop(&t);
	c.ttl = 17;
	c.tcp_msl = 5 * NSEC_PER_SEC;
	c.tcp_rack = false;
	c.mem_budget = 8u << 20;
	c.mtu = 9000;				/* fixed: ignored */
	c.mac[5] ^= 1;
	c.neigh_max_entries = 7;
	cr_assert_eq(stack_reconfigure(t.s, &c), 0);
	cr_assert_eq(t.s->cfg.ttl, 17);
	cr_assert_eq(t.s->cfg.tcp_msl, 5 * NSEC_PER_SEC);
	cr_assert_not(t.s->cfg.tcp_rack);
	cr_assert_eq(t.s->pool.budget, 8u << 20);
	cr_assert_eq(t.s->cfg.mtu, t.cfg.mtu);
	cr_assert_eq(t.s->cfg.mac[5], t.cfg.mac[5]);
	cr_assert_eq(t.s->cfg.neigh_max_entries, t.cfg.neigh_max_entries);
	cr_assert_eq(stack_addr_list(t.s, t.now, a, STACK_MAX_IFADDRS), 3,
		     "an address added at run time survives a reload");
	c.ttl = 0;
	cr_assert_eq(stack_reconfigure(t.s, &c), -EINVAL);
	cr_assert_eq(t.s->cfg.ttl, 17, "an invalid configuration changes nothing");
}
