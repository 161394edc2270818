/* SPDX-License-Identifier: MIT */
/*
 * 78-dhcp.c - the DHCPv4 client (RFC 2131, RFC 2132, RFC 5227 probing):
 * its messages parsed and built, every malformed one counted, and the
 * state machine as traces: at t the server says this, expect that
 * message back, and the timers (backoff, T1, T2, expiry) when RFC 2131
 * puts them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dhcp.h"
#include "harness.h"
#include "tcp.h"
#include "udp.h"

#define SERVER TH_PEER                  /* 192.0.2.2, at TH_PEER_MAC */
#define OFFERED IPV4(192, 0, 2, 50)
#define ROUTER TH_GW
#define DNS1 IPV4(192, 0, 2, 53)
#define DNS2 IPV4(192, 0, 2, 54)
#define SEC NSEC_PER_SEC
static const uint8_t OTHER_MAC[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x77 };

static void dhcp_config(struct stack_config *cfg)
{
	th_config(cfg);
	cfg->naddr = 0;
	cfg->gateway = 0;
	cfg->dhcp = true;
	snprintf(cfg->dhcp_hostname, sizeof(cfg->dhcp_hostname), "unit");
}

/* A client, started: its first DISCOVER is out */
static void dhcp_begin(struct th *t)
{
	struct stack_config cfg;

	dhcp_config(&cfg);
	th_init_cfg(t, &cfg);
	stack_start(t->s, t->now);
}

/* Pop one DHCP message the client sent to @mac: its IP header and fields */
static void pop_dhcp(struct th *t, const uint8_t *mac, struct ipv4_hdr *h,
		     struct dhcp_msg *m)
{
	struct th_frame *f = th_pop(t);
	const uint8_t *u;
	size_t plen;

	u = th_check_ipv4(f, mac, h, &plen);
	cr_assert_eq(h->proto, IP_PROTO_UDP);
	cr_assert_geq(plen, UDP_HLEN + DHCP_BOOTP_MIN);
	cr_assert_eq(get16(u), DHCP_CLIENT_PORT);
	cr_assert_eq(get16(u + 2), DHCP_SERVER_PORT);
	cr_assert_eq(get16(u + 4), plen);
	{
		struct ip_addr s = ip4(h->src), d = ip4(h->dst);

		cr_assert_eq(inet_fold(inet_sum(u, plen, ip_pseudo_sum(
			&s, &d, IP_PROTO_UDP, plen))), 0, "UDP checksum");
	}
	cr_assert_eq(dhcp_parse(u + UDP_HLEN, plen - UDP_HLEN, m), DHCP_OK);
	cr_assert_eq(m->op, BOOTREQUEST);
	cr_assert_arr_eq(m->chaddr, TH_MAC, ETH_ALEN);
}

/* What a server says: the fixed part, then options (a TLV list) */
struct reply {
	uint8_t type;
	uint32_t xid, yiaddr, server, lease, t1, t2, mask, router;
	uint16_t mtu;
	bool no_lease;
};

static size_t build_reply(uint8_t *b, const struct reply *r)
{
	uint8_t *p = b + DHCP_MIN_LEN;

	memset(b, 0, 548);
	b[0] = BOOTREPLY;
	b[1] = 1;
	b[2] = ETH_ALEN;
	put32(b + 4, r->xid);
	put32(b + 16, r->yiaddr);
	memcpy(b + 28, TH_MAC, ETH_ALEN);
	put32(b + DHCP_FIXED_LEN, DHCP_MAGIC);
	*p++ = DHO_MSG_TYPE; *p++ = 1; *p++ = r->type;
	if (r->server) {
		*p++ = DHO_SERVER_ID; *p++ = 4; put32(p, r->server); p += 4;
	}
	if (r->type != DHCPNAK) {
		if (!r->no_lease) {
			*p++ = DHO_LEASE; *p++ = 4; put32(p, r->lease); p += 4;
		}
		if (r->t1) {
			*p++ = DHO_T1; *p++ = 4; put32(p, r->t1); p += 4;
		}
		if (r->t2) {
			*p++ = DHO_T2; *p++ = 4; put32(p, r->t2); p += 4;
		}
		*p++ = DHO_SUBNET_MASK; *p++ = 4; put32(p, r->mask); p += 4;
		*p++ = DHO_ROUTER; *p++ = 4; put32(p, r->router); p += 4;
		*p++ = DHO_DNS; *p++ = 8; put32(p, DNS1); put32(p + 4, DNS2);
		p += 8;
		*p++ = DHO_DOMAIN; *p++ = 4; memcpy(p, "test", 4); p += 4;
		if (r->mtu) {
			*p++ = DHO_MTU; *p++ = 2; put16(p, r->mtu); p += 2;
		}
	}
	*p++ = DHO_END;
	return (size_t)(p - b);
}

/* Inject a DHCP payload from the server (port 67) to @dst, broadcast or
 * unicast (UDP checksum 0: none, as IPv4 allows) */
static void inject_payload(struct th *t, uint32_t dst, const uint8_t *msg,
			   size_t len)
{
	uint8_t u[600], f[700];
	struct th_ip ip;
	size_t n;

	cr_assert_leq(len + UDP_HLEN, sizeof(u));
	put16(u, DHCP_SERVER_PORT);
	put16(u + 2, DHCP_CLIENT_PORT);
	put16(u + 4, (uint16_t)(len + UDP_HLEN));
	put16(u + 6, 0);
	memcpy(u + UDP_HLEN, msg, len);
	th_ip_default(&ip, IP_PROTO_UDP);
	ip.src = SERVER;
	ip.dst = dst;
	n = th_ipv4(f, dst == IPV4_BROADCAST ? eth_broadcast : TH_MAC, &ip, u,
		    len + UDP_HLEN);
	th_input(t, f, n);
}

static void inject_reply(struct th *t, struct reply r_)
{
	const struct reply *r = &r_;
	uint8_t b[600];
	size_t n = build_reply(b, r);

	inject_payload(t, IPV4_BROADCAST, b, n);
}

static struct reply ack_for(uint32_t xid, uint32_t lease)
{
	return (struct reply){ .type = DHCPACK, .xid = xid, .yiaddr = OFFERED,
			       .server = SERVER, .lease = lease,
			       .mask = 0xffffff00u, .router = ROUTER };
}

/* Move the clock to the next deadline; return how far that was */
static uint64_t to_deadline(struct th *t)
{
	uint64_t d = th_deadline(t), was = t->now;

	cr_assert_neq(d, STACK_NO_DEADLINE, "no timer armed");
	cr_assert_geq(d, t->now);
	th_tick(t, d - t->now);
	return t->now - was;
}

/* The three probes and the wait after them (RFC 5227 2.1.1) */
static void expect_probes(struct th *t, uint32_t addr)
{
	uint64_t w = to_deadline(t);

	cr_expect_leq(w, 1 * SEC, "PROBE_WAIT is at most 1 s");
	for (int i = 0; i < 3; i++) {
		th_check_arp(th_pop(t), eth_broadcast, ARP_OP_REQUEST,
			     TH_ZERO_MAC, 0, addr);
		th_expect_silence(t);
		w = to_deadline(t);
		if (i < 2)
			cr_expect(w >= 1 * SEC && w <= 2 * SEC,
				  "probes 1-2 s apart: %llu",
				  (unsigned long long)w);
		else
			cr_expect_eq(w, 2 * SEC, "ANNOUNCE_WAIT");
	}
}

/* DISCOVER, OFFER, REQUEST, ACK, probes: bound to OFFERED at t->now */
static uint32_t run_to_bound(struct th *t, uint32_t lease)
{
	struct ipv4_hdr h;
	struct dhcp_msg m;
	uint32_t xid;

	pop_dhcp(t, eth_broadcast, &h, &m);
	cr_assert_eq(m.type, DHCPDISCOVER);
	xid = m.xid;
	inject_reply(t, (struct reply){ .type = DHCPOFFER, .xid = xid,
		     .yiaddr = OFFERED, .server = SERVER, .lease = lease,
		     .mask = 0xffffff00u, .router = ROUTER });
	pop_dhcp(t, eth_broadcast, &h, &m);
	cr_assert_eq(m.type, DHCPREQUEST);
	cr_assert_eq(m.xid, xid, "REQUEST keeps the DISCOVER's xid");
	cr_assert_eq(m.requested, OFFERED);
	cr_assert_eq(m.server_id, SERVER);
	cr_assert_eq(m.ciaddr, 0);
	inject_reply(t, (struct reply){ .type = DHCPACK, .xid = xid,
		     .yiaddr = OFFERED, .server = SERVER, .lease = lease,
		     .mask = 0xffffff00u, .router = ROUTER, .mtu = 1400 });
	th_expect_silence(t);
	expect_probes(t, OFFERED);
	/* bound: the address is announced (gratuitous ARP) */
	th_check_arp(th_pop(t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     OFFERED, OFFERED);
	th_expect_silence(t);
	return xid;
}

/* ---- wire format ---- */

Test(dhcp, build_parse_round_trip)
{
	struct dhcp_msg m = { .op = BOOTREQUEST, .htype = 1, .hlen = 6,
			      .xid = 0x12345678, .secs = 3,
			      .flags = DHCP_FLAG_BROADCAST,
			      .type = DHCPREQUEST, .requested = OFFERED,
			      .server_id = SERVER, .params = true,
			      .max_size = 1500, .has_client_id = true };
	struct dhcp_msg b;
	uint8_t buf[576];
	size_t n;

	memcpy(m.chaddr, TH_MAC, ETH_ALEN);
	m.client_id[0] = 1;
	memcpy(m.client_id + 1, TH_MAC, ETH_ALEN);
	strcpy(m.hostname, "host");
	n = dhcp_build(buf, sizeof(buf), &m);
	cr_assert_eq(n, DHCP_BOOTP_MIN, "padded to 300 bytes");
	cr_expect_eq(get32(buf + DHCP_FIXED_LEN), DHCP_MAGIC);
	cr_assert_eq(dhcp_parse(buf, n, &b), DHCP_OK);
	cr_expect_eq(b.xid, 0x12345678);
	cr_expect_eq(b.secs, 3);
	cr_expect_eq(b.flags, DHCP_FLAG_BROADCAST);
	cr_expect_eq(b.type, DHCPREQUEST);
	cr_expect_eq(b.requested, OFFERED);
	cr_expect_eq(b.server_id, SERVER);
	cr_expect_eq(b.max_size, 1500);
	cr_expect_arr_eq(b.chaddr, TH_MAC, ETH_ALEN);
	/* the host name (12) and client id (61: type 1, the MAC) are there */
	cr_expect_not_null(memmem(buf, n, "\x0c\x04host", 6));
	cr_expect_not_null(memmem(buf, n, "\x3d\x07\x01\x02\x00\x00\x00\x00\x01", 9));
	cr_expect_eq(dhcp_build(buf, 299, &m), 0, "room too small");
}

Test(dhcp, parse_reply_options)
{
	struct reply r = ack_for(7, 3600);
	struct dhcp_msg m;
	uint8_t b[600];
	size_t n;

	r.t1 = 100;
	r.t2 = 200;
	r.mtu = 1400;
	n = build_reply(b, &r);
	cr_assert_eq(dhcp_parse(b, n, &m), DHCP_OK);
	cr_expect_eq(m.type, DHCPACK);
	cr_expect_eq(m.yiaddr, OFFERED);
	cr_expect_eq(m.lease, 3600);
	cr_expect(m.has_t1 && m.t1 == 100 && m.has_t2 && m.t2 == 200);
	cr_expect(m.has_mask && m.mask == 0xffffff00u);
	cr_expect_eq(m.router, ROUTER);
	cr_expect_eq(m.ndns, 2);
	cr_expect_eq(m.dns[0], DNS1);
	cr_expect_eq(m.dns[1], DNS2);
	cr_expect_str_eq(m.domain, "test");
	cr_expect_eq(m.mtu, 1400);
}

Test(dhcp, parse_malformed)
{
	struct reply r = ack_for(7, 3600);
	struct dhcp_msg m;
	uint8_t b[600], c[600];
	size_t n = build_reply(b, &r);

	/* every truncation parses or is refused, never read past the end */
	for (size_t k = 0; k < n; k++) {
		int rc;

		memcpy(c, b, k);
		rc = dhcp_parse(c, k, &m);
		if (k < DHCP_MIN_LEN)
			cr_expect_eq(rc, DHCP_ERR_SHORT, "k=%zu", k);
		else
			cr_expect(rc == DHCP_OK || rc == DHCP_ERR_OPTION ||
				  rc == DHCP_ERR_NO_TYPE, "k=%zu rc=%d", k, rc);
	}
	/* the magic cookie */
	memcpy(c, b, n);
	c[DHCP_FIXED_LEN + 3] ^= 1;
	cr_expect_eq(dhcp_parse(c, n, &m), DHCP_ERR_COOKIE);
	/* an option whose length runs past the end */
	memcpy(c, b, n);
	c[DHCP_MIN_LEN + 3] = DHO_DOMAIN;
	c[DHCP_MIN_LEN + 4] = 250;
	cr_expect_eq(dhcp_parse(c, n, &m), DHCP_ERR_OPTION);
	/* a code with a length it forbids: a 3-byte subnet mask */
	memcpy(c, b, n);
	{
		static const uint8_t bad[] = { DHO_MSG_TYPE, 1, DHCPACK,
					       DHO_SUBNET_MASK, 3, 255, 255,
					       255, DHO_END };

		memcpy(c + DHCP_MIN_LEN, bad, sizeof(bad));
		cr_expect_eq(dhcp_parse(c, DHCP_MIN_LEN + sizeof(bad), &m),
			     DHCP_ERR_OPTION);
	}
	/* no message type */
	memcpy(c, b, DHCP_MIN_LEN);
	c[DHCP_MIN_LEN] = DHO_END;
	cr_expect_eq(dhcp_parse(c, DHCP_MIN_LEN + 1, &m), DHCP_ERR_NO_TYPE);
	/* a length byte as the last byte */
	c[DHCP_MIN_LEN] = DHO_ROUTER;
	cr_expect_eq(dhcp_parse(c, DHCP_MIN_LEN + 1, &m), DHCP_ERR_OPTION);
}

/* RFC 2132 9.3: option overload puts options into the file field */
Test(dhcp, parse_overload)
{
	uint8_t b[600];
	struct dhcp_msg m;
	static const uint8_t opts[] = { DHO_OVERLOAD, 1, 1, DHO_END };
	static const uint8_t file[] = { DHO_MSG_TYPE, 1, DHCPOFFER,
					DHO_SERVER_ID, 4, 192, 0, 2, 2,
					DHO_END };

	memset(b, 0, sizeof(b));
	b[0] = BOOTREPLY;
	put32(b + DHCP_FIXED_LEN, DHCP_MAGIC);
	memcpy(b + DHCP_MIN_LEN, opts, sizeof(opts));
	memcpy(b + 108, file, sizeof(file));
	cr_assert_eq(dhcp_parse(b, DHCP_MIN_LEN + sizeof(opts), &m), DHCP_OK);
	cr_expect_eq(m.type, DHCPOFFER);
	cr_expect_eq(m.server_id, SERVER);
}

/* Malformed messages to a running client: each counted, none acted on */
Test(dhcp, malformed_counted)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	struct reply r;
	uint8_t b[600];
	size_t n;

	dhcp_begin(&t);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	r = (struct reply){ .type = DHCPOFFER, .xid = m.xid, .yiaddr = OFFERED,
			    .server = SERVER, .lease = 60, .mask = 0xffffff00u };
	n = build_reply(b, &r);
	inject_payload(&t, IPV4_BROADCAST, b, 100);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_short, 1);
	b[DHCP_FIXED_LEN] = 0;
	inject_payload(&t, IPV4_BROADCAST, b, n);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_bad_cookie, 1);
	n = build_reply(b, &r);
	b[DHCP_MIN_LEN + 4] = 200;      /* server id's length, past the end */
	inject_payload(&t, IPV4_BROADCAST, b, n);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_bad_option, 1);
	r.xid ^= 1;
	n = build_reply(b, &r);
	inject_payload(&t, IPV4_BROADCAST, b, n);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_bad_xid, 1);
	r.xid ^= 1;
	n = build_reply(b, &r);
	b[29] ^= 1;                     /* chaddr */
	inject_payload(&t, IPV4_BROADCAST, b, n);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_bad_chaddr, 1);
	n = build_reply(b, &r);
	b[0] = BOOTREQUEST;
	inject_payload(&t, IPV4_BROADCAST, b, n);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_not_reply, 1);
	r.type = DHCPACK;               /* an ACK while selecting */
	inject_reply(&t, r);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_unexpected, 1);
	r.type = DHCPOFFER;
	r.server = 0;
	inject_reply(&t, r);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_no_server_id, 1);
	r.server = SERVER;
	r.yiaddr = IPV4(224, 0, 0, 1);
	inject_reply(&t, r);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_bad_yiaddr, 1);
	cr_expect_eq(th_cnt(&t)->dhcp_rx, 9);
	cr_expect_eq(th_cnt(&t)->dhcp_rx_offer, 0);
	th_expect_silence(&t);
	cr_expect_eq(t.s->dhcp.state, DHCP_SELECTING);
	/* and the good one still works */
	r.yiaddr = OFFERED;
	inject_reply(&t, r);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPREQUEST);
	th_fini(&t);
}

/* ---- the state machine ---- */

/* RFC 2131 4.1: at once, then 4, 8, 16, 32, 64, 64 s, each +-1 s */
Test(dhcp, discover_backoff)
{
	static const unsigned base[] = { 4, 8, 16, 32, 64, 64, 64 };
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	uint32_t xid;

	dhcp_begin(&t);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(h.src, 0, "from 0.0.0.0");
	cr_expect_eq(h.dst, IPV4_BROADCAST);
	cr_expect_eq(m.type, DHCPDISCOVER);
	cr_expect_eq(m.flags, DHCP_FLAG_BROADCAST);
	cr_expect_eq(m.secs, 0);
	xid = m.xid;
	th_expect_silence(&t);
	for (unsigned i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		uint64_t w = to_deadline(&t);

		cr_expect(w >= (base[i] - 1) * SEC && w <= (base[i] + 1) * SEC,
			  "retransmission %u after %llu ms", i + 1,
			  (unsigned long long)(w / NSEC_PER_MSEC));
		pop_dhcp(&t, eth_broadcast, &h, &m);
		cr_expect_eq(m.type, DHCPDISCOVER);
		cr_expect_eq(m.xid, xid);
		th_expect_silence(&t);
	}
	cr_expect_eq(th_cnt(&t)->dhcp_tx_discover, 8);
	cr_expect_eq(th_cnt(&t)->dhcp_retrans, 7);
	th_fini(&t);
}

/* The whole lease: bound, renewed at T1, rebinding at T2, lost at expiry */
Test(dhcp, lease_t1_t2_expiry)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	struct stack_dhcp_info info;
	struct stack_route rt[8];
	uint64_t bound_at, w;
	unsigned nr;

	dhcp_begin(&t);
	run_to_bound(&t, 1000);
	bound_at = t.now;
	cr_assert(netif_has_addr(&t.s->nif, OFFERED));
	cr_expect_eq(t.s->nif.mtu, 1400, "option 26 lowers the MTU");
	cr_assert_eq(stack_dhcp_info(t.s, t.now, &info), 0);
	cr_expect(info.bound);
	cr_expect_str_eq(info.state_name, "bound");
	cr_expect_eq(info.addr, OFFERED);
	cr_expect_eq(info.prefix, 24);
	cr_expect_eq(info.server, SERVER);
	cr_expect_eq(info.router, ROUTER);
	cr_expect_eq(info.ndns, 2);
	cr_expect_str_eq(info.domain, "test");
	nr = stack_route_list(t.s, 0, rt, 8);
	{
		bool dflt = false;

		for (unsigned i = 0; i < nr && i < 8; i++)
			dflt |= rt[i].prefix == 0 && rt[i].gateway.v4 == ROUTER &&
				rt[i].origin == ROUTE_DHCP;
		cr_expect(dflt, "a default route through the router");
	}
	{
		struct stack_dns d[8];
		unsigned nd = stack_dns_list(t.s, t.now, d, 8);

		cr_expect_eq(nd, 3, "two servers and the domain");
		cr_expect_eq(get32(d[0].addr + 12), DNS1);
		cr_expect(d[2].search);
		cr_expect_str_eq(d[2].name, "test");
	}
	/* T1 = 500 s from the REQUEST (sent before the probes, ~5-8 s ago) */
	w = to_deadline(&t);
	cr_expect_eq(t.now, info.t1_left + bound_at);
	cr_expect(w > 490 * SEC && w < 500 * SEC);
	pop_dhcp(&t, TH_PEER_MAC, &h, &m);
	cr_expect_eq(m.type, DHCPREQUEST);
	cr_expect_eq(h.src, OFFERED);
	cr_expect_eq(h.dst, SERVER, "renewing: unicast to the server");
	cr_expect_eq(m.ciaddr, OFFERED);
	cr_expect_eq(m.requested, 0, "no requested address when renewing");
	cr_expect_eq(m.server_id, 0);
	cr_expect_eq(t.s->dhcp.state, DHCP_RENEWING);
	/* the server answers, unicast: the lease starts again from here */
	{
		struct reply r = ack_for(m.xid, 1000);
		uint8_t b[600];
		size_t n = build_reply(b, &r);

		inject_payload(&t, OFFERED, b, n);
	}
	th_expect_silence(&t);
	cr_expect_eq(t.s->dhcp.state, DHCP_BOUND);
	cr_expect_eq(th_cnt(&t)->dhcp_renewals, 1);
	cr_expect_eq(th_cnt(&t)->icmp_tx_unreach, 0, "no port unreachable");
	stack_dhcp_info(t.s, t.now, &info);
	cr_expect_eq(info.t1_left, 500 * SEC);
	cr_expect_eq(info.t2_left, 875 * SEC);
	cr_expect_eq(info.expiry_left, 1000 * SEC);
	/* T1 again; now nobody answers: retransmissions at half the time
	 * left to T2 (at least 60 s), then REBINDING at T2, broadcast */
	to_deadline(&t);
	pop_dhcp(&t, TH_PEER_MAC, &h, &m);
	w = to_deadline(&t);
	cr_expect_eq(w, 187500 * NSEC_PER_MSEC, "half of the 375 s to T2");
	pop_dhcp(&t, TH_PEER_MAC, &h, &m);
	cr_expect_eq(to_deadline(&t), 93750 * NSEC_PER_MSEC);
	pop_dhcp(&t, TH_PEER_MAC, &h, &m);
	cr_expect_eq(to_deadline(&t), 60 * SEC, "never less than 60 s");
	pop_dhcp(&t, TH_PEER_MAC, &h, &m);
	cr_expect_eq(to_deadline(&t), 33750 * NSEC_PER_MSEC, "but not past T2");
	cr_expect_eq(t.s->dhcp.state, DHCP_REBINDING);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPREQUEST);
	cr_expect_eq(h.dst, IPV4_BROADCAST);
	cr_expect_eq(m.ciaddr, OFFERED);
	cr_expect_eq(th_cnt(&t)->dhcp_rebinds, 1);
	/* 125 s to expiry: 62.5 s, then 60, then the 2.5 s left */
	cr_expect_eq(to_deadline(&t), 62500 * NSEC_PER_MSEC);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(to_deadline(&t), 60 * SEC);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(to_deadline(&t), 2500 * NSEC_PER_MSEC);
	cr_expect_eq(th_cnt(&t)->dhcp_expired, 1);
	cr_expect(!netif_has_addr(&t.s->nif, OFFERED), "the address is gone");
	cr_expect_eq(t.s->nif.mtu, 1500, "the link MTU is back");
	nr = stack_route_list(t.s, 0, rt, 8);
	for (unsigned i = 0; i < nr && i < 8; i++)
		cr_expect_neq(rt[i].origin, ROUTE_DHCP, "the route is gone");
	{
		struct stack_dns d[4];

		cr_expect_eq(stack_dns_list(t.s, t.now, d, 4), 0);
	}
	/* and it starts over at once */
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDISCOVER);
	cr_expect_eq(h.src, 0);
	th_fini(&t);
}

/* Server-given T1 and T2 (options 58, 59) are taken */
Test(dhcp, t1_t2_options)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	struct stack_dhcp_info info;
	struct reply r;

	dhcp_begin(&t);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	r = ack_for(m.xid, 120);
	r.type = DHCPOFFER;
	inject_reply(&t, r);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	r = ack_for(m.xid, 120);
	r.t1 = 10;
	r.t2 = 20;
	inject_reply(&t, r);
	expect_probes(&t, OFFERED);
	th_pop(&t);                     /* the announcement */
	stack_dhcp_info(t.s, t.now, &info);
	cr_expect_eq(info.lease_s, 120);
	cr_expect_leq(info.t1_left, 10 * SEC);
	cr_expect_leq(info.t2_left, 20 * SEC);
	cr_expect_gt(info.t2_left, info.t1_left);
	th_fini(&t);
}

/* A NAK while requesting: back to DISCOVER, a new xid */
Test(dhcp, nak_requesting)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	struct reply r;
	uint32_t xid;

	dhcp_begin(&t);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	xid = m.xid;
	r = ack_for(xid, 600);
	r.type = DHCPOFFER;
	inject_reply(&t, r);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	inject_reply(&t, (struct reply){ .type = DHCPNAK, .xid = xid,
		     .server = SERVER });
	cr_expect_eq(th_cnt(&t)->dhcp_rx_nak, 1);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDISCOVER);
	cr_expect_neq(m.xid, xid);
	cr_expect(!netif_has_addr(&t.s->nif, OFFERED));
	th_fini(&t);
}

/* A NAK to a renewal: the address goes at once, DISCOVER */
Test(dhcp, nak_renewing)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;

	dhcp_begin(&t);
	run_to_bound(&t, 100);
	to_deadline(&t);
	pop_dhcp(&t, TH_PEER_MAC, &h, &m);
	cr_assert_eq(t.s->dhcp.state, DHCP_RENEWING);
	inject_reply(&t, (struct reply){ .type = DHCPNAK, .xid = m.xid,
		     .server = SERVER });
	cr_expect(!netif_has_addr(&t.s->nif, OFFERED));
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDISCOVER);
	cr_expect_eq(h.src, 0);
	th_fini(&t);
}

/* Silence to REQUESTs: four tries, then DISCOVER again */
Test(dhcp, request_timeout)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	struct reply r;

	dhcp_begin(&t);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	r = ack_for(m.xid, 600);
	r.type = DHCPOFFER;
	inject_reply(&t, r);
	for (int i = 0; i < 4; i++) {
		pop_dhcp(&t, eth_broadcast, &h, &m);
		cr_expect_eq(m.type, DHCPREQUEST);
		to_deadline(&t);
	}
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDISCOVER);
	cr_expect_eq(th_cnt(&t)->dhcp_request_timeouts, 1);
	th_fini(&t);
}

/* RFC 5227: another host answers for the offered address while we probe:
 * DECLINE, and a new DISCOVER ten seconds later */
Test(dhcp, decline_on_arp_conflict)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	struct reply r;
	uint8_t f[64];
	size_t n;

	dhcp_begin(&t);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	r = ack_for(m.xid, 600);
	r.type = DHCPOFFER;
	inject_reply(&t, r);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	inject_reply(&t, ack_for(m.xid, 600));
	to_deadline(&t);
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC, 0,
		     OFFERED);
	/* the owner answers the probe */
	n = th_arp(f, TH_MAC, ARP_OP_REPLY, OTHER_MAC, OFFERED, TH_MAC, 0);
	th_input(&t, f, n);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDECLINE);
	cr_expect_eq(m.requested, OFFERED);
	cr_expect_eq(m.server_id, SERVER);
	cr_expect_eq(h.src, 0);
	cr_expect_eq(th_cnt(&t)->dhcp_conflicts, 1);
	cr_expect(!netif_has_addr(&t.s->nif, OFFERED));
	th_expect_silence(&t);
	cr_expect_eq(to_deadline(&t), 10 * SEC);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDISCOVER);
	th_fini(&t);
}

/* Another host probing for the same address is a conflict too; our own
 * probes, heard back, are not */
Test(dhcp, decline_on_other_probe)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;
	struct reply r;
	uint8_t f[64];
	size_t n;

	dhcp_begin(&t);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	r = ack_for(m.xid, 600);
	r.type = DHCPOFFER;
	inject_reply(&t, r);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	inject_reply(&t, ack_for(m.xid, 600));
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_MAC, 0, TH_ZERO_MAC,
		   OFFERED);
	th_input(&t, f, n);
	th_expect_silence(&t);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, OTHER_MAC, 0, TH_ZERO_MAC,
		   OFFERED);
	th_input(&t, f, n);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDECLINE);
	th_fini(&t);
}

/* INIT-REBOOT: the last lease's address asked for at start (RFC 2131 3.2) */
Test(dhcp, init_reboot)
{
	struct stack_config cfg;
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;

	dhcp_config(&cfg);
	cfg.dhcp_arp_probes = 0;
	th_init_cfg(&t, &cfg);
	stack_dhcp_reboot(t.s, OFFERED);
	stack_start(t.s, t.now);
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPREQUEST);
	cr_expect_eq(m.requested, OFFERED);
	cr_expect_eq(m.server_id, 0, "INIT-REBOOT names no server");
	cr_expect_eq(m.ciaddr, 0);
	inject_reply(&t, ack_for(m.xid, 600));
	cr_expect(netif_has_addr(&t.s->nif, OFFERED), "no probes: bound");
	cr_expect_eq(t.s->dhcp.state, DHCP_BOUND);
	th_fini(&t);
}

Test(dhcp, init_reboot_silence)
{
	struct stack_config cfg;
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;

	dhcp_config(&cfg);
	th_init_cfg(&t, &cfg);
	stack_dhcp_reboot(t.s, OFFERED);
	stack_start(t.s, t.now);
	for (int i = 0; i < 3; i++) {
		pop_dhcp(&t, eth_broadcast, &h, &m);
		cr_expect_eq(m.type, DHCPREQUEST);
		to_deadline(&t);
	}
	pop_dhcp(&t, eth_broadcast, &h, &m);
	cr_expect_eq(m.type, DHCPDISCOVER);
	th_fini(&t);
}

/* RELEASE: unicast to the server's MAC from our address, then nothing */
Test(dhcp, release)
{
	struct th t;
	struct ipv4_hdr h;
	struct dhcp_msg m;

	dhcp_begin(&t);
	run_to_bound(&t, 600);
	cr_expect_eq(stack_dhcp_release(t.s, t.now), 0);
	pop_dhcp(&t, TH_PEER_MAC, &h, &m);
	cr_expect_eq(m.type, DHCPRELEASE);
	cr_expect_eq(m.ciaddr, OFFERED);
	cr_expect_eq(m.server_id, SERVER);
	cr_expect_eq(h.src, OFFERED);
	cr_expect_eq(h.dst, SERVER);
	cr_expect(!netif_has_addr(&t.s->nif, OFFERED));
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE, "nothing armed");
	cr_expect_eq(stack_dhcp_release(t.s, t.now), -ENOENT);
	th_expect_silence(&t);
	th_fini(&t);
}

/* A connection on the leased address is reset when the lease goes */
static void ev_none(void *ctx, struct tcp_sock *sk, unsigned ev)
{
	(void)ctx;
	(void)sk;
	(void)ev;
}

Test(dhcp, expiry_resets_connections)
{
	struct th t;
	struct tcp_sock *sk;
	struct ipv4_hdr h;
	struct dhcp_msg m;

	struct stack_config cfg;

	dhcp_config(&cfg);
	cfg.tcp_syn_retries = 100;      /* the SYN outlives the lease */
	th_init_cfg(&t, &cfg);
	stack_start(t.s, t.now);
	t.ops.sock_event = ev_none;
	run_to_bound(&t, 100);
	{
		/* the peer asks for us: learned, so the SYN goes at once */
		uint8_t f[64];
		size_t n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC,
				  TH_PEER, TH_ZERO_MAC, OFFERED);

		th_input(&t, f, n);
		th_pop(&t);             /* our reply */
		n = th_arp(f, TH_MAC, ARP_OP_REPLY, TH_PEER_MAC, TH_PEER,
			   TH_MAC, OFFERED);
		th_input(&t, f, n);     /* confirmed: REACHABLE for days */
	}
	cr_assert_eq(tcp_open(t.s, IP_V4, &sk, t.now), 0);
	cr_assert_eq(tcp_connect(sk, TH_A4(TH_PEER), 80, t.now), -EINPROGRESS);
	while (th_queued(&t))
		th_pop(&t);
	cr_expect_eq(tcp_sock_state(sk), TCP_SYN_SENT);
	/* no server from now on: T1, T2, expiry */
	while (t.s->dhcp.state != DHCP_SELECTING) {
		to_deadline(&t);
		while (th_queued(&t))
			th_pop(&t);
	}
	cr_expect_eq(tcp_sock_state(sk), TCP_CLOSED);
	cr_expect_eq(th_cnt(&t)->tcp_addr_gone_resets, 1);
	tcp_close(sk, t.now);
	(void)h;
	(void)m;
	th_fini(&t);
}

/* Not configured: port 68 is an ordinary UDP port */
Test(dhcp, off_leaves_port_68_alone)
{
	struct th t;
	struct reply r = ack_for(1, 600);
	uint8_t b[600];
	size_t n = build_reply(b, &r);

	th_init(&t);
	inject_payload(&t, IPV4_BROADCAST, b, n);
	cr_expect_eq(th_cnt(&t)->dhcp_rx, 0);
	cr_expect_eq(th_cnt(&t)->udp_rx_no_port_bcast, 1);
	th_fini(&t);
}

/* RFC 2131 3.3: an infinite lease (0xffffffff) is never renewed */
Test(dhcp, infinite_lease)
{
	struct th t;
	struct stack_dhcp_info info;

	dhcp_begin(&t);
	run_to_bound(&t, 0xffffffffu);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE, "nothing armed");
	stack_dhcp_info(t.s, t.now, &info);
	cr_expect_eq(info.expiry_left, UINT64_MAX);
	cr_expect_eq(info.t1_left, UINT64_MAX);
	cr_expect(netif_has_addr(&t.s->nif, OFFERED));
	th_fini(&t);
}
