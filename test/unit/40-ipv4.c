/* SPDX-License-Identifier: MIT */
/*
 * 40-ipv4.c - IPv4 input checks (RFC 1122 3.2.1), each refusal counted,
 * delivery, protocol unreachable, output routing and fragmentation
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static uint8_t fbuf[70000];

static void inject(struct th *t, const uint8_t *eth_dst, const struct th_ip *ip,
		   const void *pl, size_t n)
{
	th_input(t, fbuf, th_ipv4(fbuf, eth_dst, ip, pl, n));
}

Test(ipv4, parse_build_round_trip)
{
	/* Wikipedia's example header: 192.168.0.1 -> .199, UDP, checksum b861 */
	static const uint8_t wire[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t buf[0x73] = { 0 }, out[IPV4_HLEN];
	struct ipv4_hdr h;

	memcpy(buf, wire, sizeof(wire));
	cr_assert_eq(ipv4_parse(buf, sizeof(buf), &h), IPV4_OK);
	cr_expect_eq(h.hlen, 20);
	cr_expect_eq(h.tos, 0);
	cr_expect_eq(h.total_len, 0x73);
	cr_expect_eq(h.id, 0);
	cr_expect_eq(h.frag, IP_FLAG_DF);
	cr_expect_not(ipv4_is_fragment(&h));
	cr_expect_eq(h.ttl, 64);
	cr_expect_eq(h.proto, IP_PROTO_UDP);
	cr_expect_eq(h.cksum, 0xb861);
	cr_expect_eq(h.src, IPV4(192, 168, 0, 1));
	cr_expect_eq(h.dst, IPV4(192, 168, 0, 199));
	ipv4_build(out, &h);
	cr_expect_arr_eq(out, wire, sizeof(wire), "build gives the same bytes");

	h.frag = IP_FLAG_MF | 185;
	cr_expect(ipv4_is_fragment(&h));
	cr_expect_eq(ipv4_frag_off(&h), 1480);
	ipv4_build(out, &h);
	cr_expect_eq(get16(out + 6), 0x20b9);
	cr_expect_eq(inet_cksum(out, IPV4_HLEN), 0, "checksum recomputed");
}

/* One malformed datagram, dropped, one counter up, nothing sent. */
static void expect_refused(uint8_t *f, size_t n, size_t off_cnt)
{
	struct th t;

	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_input(&t, f, n);
	th_expect_silence(&t);
	cr_expect_eq(*(const uint64_t *)((const char *)th_cnt(&t) + off_cnt),
		     1, "refusal not counted");
	cr_expect_eq(th_cnt(&t)->ip_rx, 1);
	cr_expect_eq(th_cnt(&t)->ip_rx_delivered, 0);
	cr_expect_eq(th_cnt(&t)->ip_rx_unknown_proto, 0);
	th_fini(&t);
}

#define OFF(name) offsetof(struct stack_counters, name)

Test(ipv4, malformed_headers)
{
	static uint8_t f[128];
	static const uint8_t payload[8] = { 8, 0, 0xf7, 0xff };  /* echo */
	struct th_ip ip;
	size_t n;

	th_ip_default(&ip, IP_PROTO_ICMP);
	n = th_ipv4(f, TH_MAC, &ip, payload, 8);
	expect_refused(f, ETH_HLEN + 19, OFF(ip_rx_short));
	expect_refused(f, ETH_HLEN, OFF(ip_rx_short));
	f[ETH_HLEN] = 0x65;                             /* version 6 */
	expect_refused(f, n, OFF(ip_rx_bad_version));
	f[ETH_HLEN] = 0x44;                             /* 16-byte header */
	expect_refused(f, n, OFF(ip_rx_bad_hlen));
	f[ETH_HLEN] = 0x4f;                             /* 60 > 28 bytes */
	expect_refused(f, n, OFF(ip_rx_bad_hlen));
	f[ETH_HLEN] = 0x45;
	put16(f + ETH_HLEN + 2, 19);                    /* total < header */
	expect_refused(f, n, OFF(ip_rx_bad_len));
	put16(f + ETH_HLEN + 2, 29);                    /* total > frame */
	expect_refused(f, n, OFF(ip_rx_bad_len));
	put16(f + ETH_HLEN + 2, 28);
	f[ETH_HLEN + 10] ^= 0x40;                       /* checksum */
	expect_refused(f, n, OFF(ip_rx_bad_cksum));
	f[ETH_HLEN + 10] ^= 0x40;
	f[ETH_HLEN + 8] = 63;                           /* TTL, not checksum */
	expect_refused(f, n, OFF(ip_rx_bad_cksum));
}

Test(ipv4, bad_options)
{
	static const uint8_t bad[][8] = {
		{ 0x07, 0x01, 0, 0 },                   /* length 1 < 2 */
		{ 0x07, 0x00, 0, 0 },                   /* length 0 */
		{ 0x07, 0x05, 0, 0 },                   /* past the header */
		{ 0x01, 0x01, 0x01, 0x07 },             /* type, no length */
		{ 0x44, 0x0c, 0x05, 0, 0, 0, 0, 0 },    /* timestamp, 12 > 8 */
	};
	static uint8_t f[128];
	static const uint8_t payload[8] = { 8, 0, 0xf7, 0xff };
	struct th_ip ip;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		th_ip_default(&ip, IP_PROTO_ICMP);
		ip.opt = bad[i];
		ip.optlen = i == 4 ? 8 : 4;
		expect_refused(f, th_ipv4(f, TH_MAC, &ip, payload, 8),
			       OFF(ip_rx_bad_options));
	}
}

/* Well-formed options are walked over and the datagram delivered. */
Test(ipv4, good_options_accepted)
{
	static const uint8_t opts[][8] = {
		{ 0x01, 0x01, 0x01, 0x00 },                     /* NOP NOP NOP EOL */
		{ 0x00, 0xff, 0xff, 0xff },                     /* EOL, then junk */
		{ 0x07, 0x07, 0x04, 0, 0, 0, 0, 0x00 },         /* record route */
		{ 0x94, 0x04, 0x00, 0x00 },                     /* router alert */
	};
	struct th_ip ip;
	uint8_t echo[16];
	size_t n = th_echo(echo, 1, 1, "hi", 2);

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct th t;

		th_init(&t);
		th_learn(&t, TH_PEER, TH_PEER_MAC);
		th_ip_default(&ip, IP_PROTO_ICMP);
		ip.opt = opts[i];
		ip.optlen = i == 2 ? 8 : 4;
		inject(&t, TH_MAC, &ip, echo, n);
		cr_expect_eq(th_cnt(&t)->ip_rx_delivered, 1, "options %zu", i);
		cr_expect_eq(th_cnt(&t)->ip_rx_bad_options, 0);
		cr_expect_eq(th_queued(&t), 1, "the echo is answered");
		th_fini(&t);
	}
}

Test(ipv4, martian_sources)
{
	static const uint32_t bad[] = {
		0, IPV4(127, 0, 0, 1), IPV4(224, 0, 0, 1), IPV4_BROADCAST,
		TH_BCAST, TH_IP, IPV4(240, 0, 0, 1),
	};
	static uint8_t f[128];
	uint8_t echo[16];
	size_t n = th_echo(echo, 1, 1, NULL, 0);
	struct th_ip ip;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		th_ip_default(&ip, IP_PROTO_ICMP);
		ip.src = bad[i];
		expect_refused(f, th_ipv4(f, TH_MAC, &ip, echo, n),
			       OFF(ip_rx_bad_src));
	}
}

Test(ipv4, not_for_us)
{
	static const uint32_t other[] = {
		IPV4(192, 0, 2, 77), IPV4(198, 51, 100, 1), IPV4(239, 1, 2, 3),
		IPV4(192, 0, 3, 255),
	};
	static uint8_t f[128];
	uint8_t echo[16];
	size_t n = th_echo(echo, 1, 1, NULL, 0);
	struct th_ip ip;

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		th_ip_default(&ip, IP_PROTO_ICMP);
		ip.dst = other[i];
		expect_refused(f, th_ipv4(f, TH_MAC, &ip, echo, n),
			       OFF(ip_rx_not_for_us));
	}
}

/* A minimum-size frame: the Ethernet padding must not reach ICMP (its
 * checksum would fail) nor the reply. */
Test(ipv4, padding_trimmed)
{
	struct th t;
	struct th_ip ip;
	uint8_t echo[16], f[60];
	size_t n = th_echo(echo, 0x42, 7, "ab", 2), plen;
	struct ipv4_hdr h;
	const uint8_t *d;

	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_ip_default(&ip, IP_PROTO_ICMP);
	memset(f, 0xa5, sizeof(f));
	cr_assert_eq(th_ipv4(f, TH_MAC, &ip, echo, n), 44);
	th_input(&t, f, sizeof(f));                     /* 16 bytes of junk */
	cr_expect_eq(th_cnt(&t)->icmp_rx_bad_cksum, 0);
	d = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(plen, 10);
	cr_expect_eq(d[0], ICMP_ECHO_REPLY);
	cr_expect_arr_eq(d + 8, "ab", 2);
	th_fini(&t);
}

/* Broadcasts are received (to 255.255.255.255 and to our subnet's), and
 * never answered with an ICMP error. */
Test(ipv4, broadcast_received_no_error)
{
	static const uint32_t dst[] = { IPV4_BROADCAST, TH_BCAST, TH_IP };
	static const uint8_t *const mac[] = { eth_broadcast, eth_broadcast,
					      eth_broadcast };
	uint8_t data[12] = "hello there";

	for (size_t i = 0; i < 3; i++) {
		struct th t;
		struct th_ip ip;

		th_init(&t);
		th_learn(&t, TH_PEER, TH_PEER_MAC);
		th_ip_default(&ip, 253);
		ip.dst = dst[i];
		inject(&t, mac[i], &ip, data, sizeof(data));
		th_expect_silence(&t);
		cr_expect_eq(th_cnt(&t)->ip_rx_not_for_us, 0);
		cr_expect_eq(th_cnt(&t)->ip_rx_unknown_proto, 1);
		cr_expect_eq(th_cnt(&t)->icmp_tx_unreach, 0);
		th_fini(&t);
	}
}

/* RFC 1122 3.2.2.1: an unknown protocol is answered with protocol
 * unreachable quoting the whole datagram (options included), from the
 * address it was sent to. */
Test(ipv4, protocol_unreachable_quote)
{
	static const uint8_t opt[4] = { 0x01, 0x01, 0x01, 0x00 };
	struct th t;
	struct th_ip ip;
	uint8_t data[30], orig[60];
	struct ipv4_hdr h;
	struct icmp_hdr ih;
	const uint8_t *d;
	size_t plen, olen;

	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_pattern(data, sizeof(data), 3);
	th_ip_default(&ip, 253);
	ip.opt = opt;
	ip.optlen = 4;
	ip.tos = 0x10;
	olen = th_ipv4(fbuf, TH_MAC, &ip, data, sizeof(data)) - ETH_HLEN;
	cr_assert_eq(olen, 54);
	memcpy(orig, fbuf + ETH_HLEN, olen);
	th_input(&t, fbuf, olen + ETH_HLEN);
	d = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	th_expect_silence(&t);
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(h.dst, TH_PEER);
	cr_expect_eq(h.proto, IP_PROTO_ICMP);
	cr_expect_eq(h.ttl, 64);
	cr_expect_eq(h.tos, 0xc0, "errors are sent as internetwork control");
	cr_expect_eq(plen, ICMP_HLEN + olen);
	cr_assert_eq(icmp_parse(d, plen, &ih), 0, "bad ICMP checksum");
	cr_expect_eq(ih.type, ICMP_UNREACH);
	cr_expect_eq(ih.code, ICMP_UNREACH_PROTO);
	cr_expect_eq(ih.rest, 0);
	cr_expect_arr_eq(d + ICMP_HLEN, orig, olen, "the quote");
	cr_expect_eq(th_cnt(&t)->ip_rx_unknown_proto, 1);
	cr_expect_eq(th_cnt(&t)->icmp_tx_unreach, 1);
	th_fini(&t);
}

/* A long datagram is quoted up to 576 bytes of error in all. */
Test(ipv4, protocol_unreachable_quote_bounded)
{
	struct th t;
	struct th_ip ip;
	static uint8_t data[1400];
	struct ipv4_hdr h;
	const uint8_t *d;
	size_t plen;

	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_pattern(data, sizeof(data), 9);
	th_ip_default(&ip, 253);
	inject(&t, TH_MAC, &ip, data, sizeof(data));
	d = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.total_len, ICMP_ERR_MAX_LEN);
	cr_expect_eq(plen, ICMP_ERR_MAX_LEN - IPV4_HLEN);
	cr_expect_arr_eq(d + ICMP_HLEN, fbuf + ETH_HLEN, plen - ICMP_HLEN);
	th_fini(&t);
}

Test(ipv4, output_header)
{
	struct th t;
	struct ipv4_hdr h, h2;
	size_t plen;

	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_assert_eq(th_output(&t, TH_PEER, 100, 0x77, true), 0);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(h.ttl, 64);
	cr_expect_eq(h.frag, IP_FLAG_DF);
	cr_expect_eq(h.total_len, 120);
	th_output(&t, TH_PEER, 1, 0x77, false);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h2, &plen);
	cr_expect_eq(h2.frag, 0);
	cr_expect_eq(h2.id, (uint16_t)(h.id + 1), "ids count up");
	cr_expect_eq(th_cnt(&t)->ip_tx, 2);
	th_fini(&t);
}

/* RFC 791 3.2: all fragments but the last carry a multiple of 8 bytes, MF
 * set, the same id; the offsets put the data back together. */
static void check_fragmentation(uint32_t mtu, size_t len)
{
	struct stack_config cfg;
	struct th t;
	uint8_t *got = calloc(1, len), *want = malloc(len);
	size_t off = 0, chunk = (mtu - IPV4_HLEN) & ~7u, nfrag = 0;
	uint16_t id = 0;

	th_config(&cfg);
	cfg.mtu = mtu;
	th_init_cfg(&t, &cfg);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	memset(want, 0x5a, len);
	cr_assert_eq(th_output(&t, TH_PEER, len, 0x5a, false), 0);
	while (th_queued(&t)) {
		struct th_frame *f = th_pop(&t);
		struct ipv4_hdr h;
		size_t plen;
		const uint8_t *d = th_check_ipv4(f, TH_PEER_MAC, &h, &plen);
		bool last = off + chunk >= len;

		cr_assert_leq(h.total_len, mtu, "fragment over the MTU");
		if (nfrag == 0)
			id = h.id;
		cr_expect_eq(h.id, id, "every fragment has the same id");
		cr_expect_eq(ipv4_frag_off(&h), off);
		cr_expect_eq(!!(h.frag & IP_FLAG_MF), !last);
		cr_expect_eq(h.frag & IP_FLAG_DF, 0);
		cr_expect_eq(plen, last ? len - off : chunk);
		if (!last)
			cr_expect_eq(plen % 8, 0);
		memcpy(got + ipv4_frag_off(&h), d, plen);
		off += plen;
		nfrag++;
	}
	cr_expect_eq(off, len);
	cr_expect_arr_eq(got, want, len, "reassembles to the original");
	cr_expect_eq(nfrag, (len + chunk - 1) / chunk);
	cr_expect_eq(th_cnt(&t)->ip_tx_fragmented, 1);
	cr_expect_eq(th_cnt(&t)->ip_tx_fragments, nfrag);
	free(got);
	free(want);
	th_fini(&t);
}

Test(ipv4, fragmentation_1500)
{
	check_fragmentation(1500, 4000);        /* 1480 + 1480 + 1040 */
}

Test(ipv4, fragmentation_576)
{
	check_fragmentation(576, 1105);         /* 552 + 552 + 1 */
}

Test(ipv4, fragmentation_odd_mtu)
{
	check_fragmentation(1006, 2961);        /* 984 per fragment */
}

Test(ipv4, fragmentation_max_len)
{
	check_fragmentation(1500, IPV4_MAX_LEN - IPV4_HLEN);
}

Test(ipv4, fits_exactly_not_fragmented)
{
	struct th t;
	struct ipv4_hdr h;
	size_t plen;

	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_assert_eq(th_output(&t, TH_PEER, 1480, 1, true), 0);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.total_len, 1500);
	cr_expect_eq(th_cnt(&t)->ip_tx_fragmented, 0);
	th_fini(&t);
}

Test(ipv4, df_too_big_emsgsize)
{
	struct th t;

	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	cr_expect_eq(th_output(&t, TH_PEER, 1481, 1, true), -EMSGSIZE);
	cr_expect_eq(th_output(&t, TH_PEER, 65516, 1, false), -EMSGSIZE,
		     "over 64 KiB cannot be fragmented either");
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->ip_tx_frag_needed, 2);
	th_fini(&t);
}

Test(ipv4, no_route_enetunreach)
{
	struct stack_config cfg;
	struct th t;

	th_config(&cfg);
	cfg.gateway = 0;
	th_init_cfg(&t, &cfg);
	cr_expect_eq(th_output(&t, TH_FAR, 10, 1, false), -ENETUNREACH);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->ip_tx_no_route, 1);
	cr_expect_eq(th_output(&t, TH_PEER, 10, 1, false), 0, "on link: fine");
	th_check_arp(th_pop(&t), eth_broadcast, ARP_OP_REQUEST, TH_ZERO_MAC,
		     TH_IP, TH_PEER);
	th_fini(&t);
}

/* Off-link via the default gateway; a more specific route wins. */
Test(ipv4, gateway_routes)
{
	struct th t;
	static const uint8_t gw2_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0xfd };

	th_init(&t);
	th_learn(&t, TH_GW, TH_GW_MAC);
	th_learn(&t, IPV4(192, 0, 2, 253), gw2_mac);
	th_output(&t, TH_FAR, 10, 1, false);
	th_expect_output(&t, TH_GW_MAC, TH_FAR, 10, 1);
	cr_assert_eq(th_route_add(&t, IPV4(198, 51, 100, 0), 24,
				     IPV4(192, 0, 2, 253), 0), 0);
	th_output(&t, TH_FAR, 10, 2, false);
	th_expect_output(&t, gw2_mac, TH_FAR, 10, 2);
	th_output(&t, IPV4(203, 0, 113, 1), 10, 3, false);
	th_expect_output(&t, TH_GW_MAC, IPV4(203, 0, 113, 1), 10, 3);
	cr_expect_eq(th_route_add(&t, IPV4(10, 0, 0, 0), 8,
				     IPV4(10, 0, 0, 1), 0), -ENETUNREACH,
		     "a gateway must be on link");
	cr_assert_eq(th_route_del(&t, IPV4(198, 51, 100, 0), 24), 0);
	th_output(&t, TH_FAR, 10, 4, false);
	th_expect_output(&t, TH_GW_MAC, TH_FAR, 10, 4);
	th_fini(&t);
}

/* Broadcast and multicast destinations map to their MAC, never through
 * ARP nor the gateway (RFC 1112 6.4). */
Test(ipv4, output_broadcast_multicast)
{
	static const uint8_t mdns[ETH_ALEN] = { 0x01, 0, 0x5e, 0, 0, 0xfb };
	struct th t;

	th_init(&t);
	th_output(&t, IPV4_BROADCAST, 10, 1, false);
	th_expect_output(&t, eth_broadcast, IPV4_BROADCAST, 10, 1);
	th_output(&t, TH_BCAST, 10, 2, false);
	th_expect_output(&t, eth_broadcast, TH_BCAST, 10, 2);
	th_output(&t, IPV4(224, 0, 0, 251), 10, 3, false);
	th_expect_output(&t, mdns, IPV4(224, 0, 0, 251), 10, 3);
	th_output(&t, IPV4(239, 128, 0, 251), 10, 4, false);
	th_expect_output(&t, mdns, IPV4(239, 128, 0, 251), 10, 4);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->arp_tx_requests, 0);
	cr_expect_eq(t.s->neigh.used, 0);
	th_fini(&t);
}

/* Our own fragments, fed to a second engine, come back together there:
 * output and reassembly agree. The second engine answers the echo, and
 * its fragmented reply reassembles in the first. */
Test(ipv4, fragments_reassemble_in_a_peer_engine)
{
	static uint8_t data[5000];
	struct stack_config cfg;
	struct th a, b;
	struct pbuf *p;
	uint8_t f[64];
	size_t n;

	th_init(&a);
	th_config(&cfg);
	memcpy(cfg.mac, TH_PEER_MAC, ETH_ALEN);
	cfg.addr[0].addr = TH_PEER;
	th_init_cfg(&b, &cfg);
	/* each learns the other */
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
		   TH_ZERO_MAC, TH_IP);
	th_input(&a, f, n);
	th_pop(&a);
	n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_MAC, TH_IP,
		   TH_ZERO_MAC, TH_PEER);
	th_input(&b, f, n);
	th_pop(&b);

	th_pattern(data, sizeof(data), 17);
	n = th_echo(fbuf, 0xabcd, 1, data, sizeof(data));
	p = pbuf_copy(&a.s->pool, PBUF_HEADROOM, fbuf, n);
	a.s->now = a.now;
	cr_assert_eq(ipv4_output(a.s, p, &(struct ip_tx){
				 .dst = ip4(TH_PEER), .proto = IP_PROTO_ICMP }),
		     0);
	cr_assert_eq(th_queued(&a), 4, "5008 bytes: 3 x 1480 + 568");
	while (th_queued(&a)) {
		struct th_frame *fr = th_pop(&a);

		th_input(&b, fr->data, fr->len);
	}
	cr_expect_eq(th_cnt(&b)->frag_reassembled, 1);
	cr_expect_eq(th_cnt(&b)->icmp_tx_echo_reply, 1);
	cr_assert_eq(th_queued(&b), 4);
	while (th_queued(&b)) {
		struct th_frame *fr = th_pop(&b);

		th_input(&a, fr->data, fr->len);
	}
	cr_expect_eq(th_cnt(&a)->frag_reassembled, 1);
	cr_expect_eq(th_cnt(&a)->icmp_rx_echo_reply, 1);
	cr_expect_eq(th_cnt(&a)->icmp_rx_bad_cksum, 0);
	th_fini(&b);
	th_fini(&a);
}

static void zero_random(void *ctx, void *buf, size_t len)
{
	memset(buf, 0, len);
}

/* A configuration the engine refuses leaves nothing behind. */
Test(ipv4, stack_new_refuses_bad_config)
{
	static const struct stack_ops ops = { .random = zero_random };
	struct stack_config cfg;
	struct stack *s = NULL;

	th_config(&cfg);
	cfg.gateway = IPV4(10, 0, 0, 1);
	cr_expect_eq(stack_new(&s, &cfg, &ops, NULL, 0), -ENETUNREACH,
		     "the gateway must be on a connected subnet");
	th_config(&cfg);
	cfg.addr[0].addr = IPV4(127, 0, 0, 1);
	cr_expect_eq(stack_new(&s, &cfg, &ops, NULL, 0), -EINVAL);
	th_config(&cfg);
	cfg.addr[0].prefix = 33;
	cr_expect_eq(stack_new(&s, &cfg, &ops, NULL, 0), -EINVAL);
	th_config(&cfg);
	cfg.mac[0] = 0x03;
	cr_expect_eq(stack_new(&s, &cfg, &ops, NULL, 0), -EINVAL);
	th_config(&cfg);
	cfg.mtu = 575;
	cr_expect_eq(stack_new(&s, &cfg, &ops, NULL, 0), -EINVAL);
	cr_expect_null(s);
}
