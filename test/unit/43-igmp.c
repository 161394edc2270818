/* SPDX-License-Identifier: MIT */
/*
 * 43-igmp.c - IGMPv3 (RFC 3376) with v1/v2 compatibility, as traces: the
 * messages' wire formats; reports on join (twice, RFC 3376 5.1), on
 * leave and on close; answers to general, group and group-and-source
 * queries; the older-version modes; malformed messages counted; which
 * sockets get a datagram to a group (memberships, sources,
 * IP_MULTICAST_ALL); sending to a group (TTL, loop, TTL 0).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dgram.h"
#include "harness.h"
#include "igmp.h"
#include "mcast.h"
#include "udp.h"

#define GROUP IPV4(239, 1, 2, 3)
#define GROUP2 IPV4(239, 9, 9, 9)
#define SRC1 IPV4(198, 51, 100, 1)
#define SRC2 IPV4(198, 51, 100, 2)
#define SEC NSEC_PER_SEC

static uint8_t fbuf[2048], msg[1024];

static void setup(struct th *t)
{
	th_init(t);
	th_learn(t, TH_PEER, TH_PEER_MAC);
}

static void group_mac(uint32_t g, uint8_t mac[6])
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)(g >> 16 & 0x7f);
	mac[4] = (uint8_t)(g >> 8);
	mac[5] = (uint8_t)g;
}

/* Pop an IGMP message we sent: to @dst (and its MAC), TTL 1, TOS 0xc0,
 * a Router Alert, from our address; return it, its length in @len */
static const uint8_t *pop_igmp(struct th *t, uint32_t dst, size_t *len)
{
	struct th_frame *f = th_pop(t);
	struct ipv4_hdr h;
	uint8_t mac[6];
	const uint8_t *ip;

	group_mac(dst, mac);
	th_check_eth(f, mac, ETH_P_IP);
	ip = f->data + ETH_HLEN;
	cr_assert_eq(ipv4_parse(ip, f->len - ETH_HLEN, &h), IPV4_OK);
	cr_expect_eq(h.hlen, 24, "a Router Alert option");
	cr_expect_eq(ip[20], 0x94);
	cr_expect_eq(ip[21], 4);
	cr_expect_eq(get16(ip + 22), 0);
	cr_expect_eq(h.ttl, 1);
	cr_expect_eq(h.tos, 0xc0);
	cr_expect_eq(h.proto, IP_PROTO_IGMP);
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(h.dst, dst);
	*len = h.total_len - h.hlen;
	cr_expect_eq(inet_cksum(ip + h.hlen, *len), 0, "IGMP checksum");
	return ip + h.hlen;
}

/* Pop an IGMPv3 report with one record: its type, group and sources */
static void expect_v3(struct th *t, uint8_t rec, uint32_t group,
		      const uint32_t *src, unsigned nsrc)
{
	size_t len;
	const uint8_t *m = pop_igmp(t, IGMP_V3_ROUTERS, &len);

	cr_assert_eq(len, 16 + nsrc * 4);
	cr_expect_eq(m[0], IGMP_V3_REPORT);
	cr_expect_eq(get16(m + 6), 1, "one record");
	cr_expect_eq(m[8], rec, "record type %u, want %u", m[8], rec);
	cr_expect_eq(m[9], 0, "no aux data");
	cr_expect_eq(get16(m + 10), nsrc);
	cr_expect_eq(get32(m + 12), group);
	for (unsigned i = 0; i < nsrc; i++)
		cr_expect_eq(get32(m + 16 + 4 * i), src[i]);
}

static void expect_v12(struct th *t, uint8_t type, uint32_t dst,
		       uint32_t group)
{
	size_t len;
	const uint8_t *m = pop_igmp(t, dst, &len);

	cr_assert_eq(len, 8);
	cr_expect_eq(m[0], type);
	cr_expect_eq(get32(m + 4), group);
}

/* A query from the router (TH_GW) to @dst: v1/v2 when @len is 8 */
static void inject_query(struct th *t, uint32_t dst, size_t len,
			 uint8_t code, uint32_t group, const uint32_t *src,
			 unsigned nsrc)
{
	static const uint8_t ra[4] = { 0x94, 4, 0, 0 };
	struct th_ip ip;
	uint8_t mac[6];

	memset(msg, 0, sizeof(msg));
	msg[0] = IGMP_QUERY;
	msg[1] = code;
	put32(msg + 4, group);
	if (len > 8) {
		msg[8] = 2;             /* QRV */
		msg[9] = 125;           /* QQIC */
		put16(msg + 10, (uint16_t)nsrc);
		for (unsigned i = 0; i < nsrc; i++)
			put32(msg + 12 + 4 * i, src[i]);
	}
	put16(msg + 2, inet_cksum(msg, len));
	th_ip_default(&ip, IP_PROTO_IGMP);
	ip.src = TH_GW;
	ip.dst = dst;
	ip.ttl = 1;
	ip.opt = ra;
	ip.optlen = 4;
	group_mac(dst, mac);
	th_input(t, fbuf, th_ipv4(fbuf, mac, &ip, msg, len));
}

/* A UDP datagram from @src to a group, port 5000 -> @dport */
static void inject_udp(struct th *t, uint32_t src, uint32_t group,
		       uint16_t dport, const char *text)
{
	size_t n = strlen(text);
	struct th_ip ip;
	uint8_t mac[6];

	put16(msg, 5000);
	put16(msg + 2, dport);
	put16(msg + 4, (uint16_t)(UDP_HLEN + n));
	put16(msg + 6, 0);              /* no checksum */
	memcpy(msg + UDP_HLEN, text, n);
	th_ip_default(&ip, IP_PROTO_UDP);
	ip.src = src;
	ip.dst = group;
	group_mac(group, mac);
	th_input(t, fbuf, th_ipv4(fbuf, mac, &ip, msg, UDP_HLEN + n));
}

static unsigned queued(struct udp_sock *us)
{
	unsigned n = 0;
	struct udp_meta m;

	while (udp_recv_peek(us, &m)) {
		udp_recv_next(us);
		n++;
	}
	return n;
}

/* ---- wire ---- */

Test(igmp, parse_queries_by_length)
{
	uint8_t q[24] = { IGMP_QUERY, 0, 0, 0, 239, 1, 2, 3 };
	struct igmp_query iq;

	cr_assert_eq(igmp_parse_query(q, 8, &iq), 0);
	cr_expect_eq(iq.version, 1, "8 bytes, code 0: IGMPv1");
	cr_expect_eq(iq.max_resp_ms, 10000);
	q[1] = 25;
	cr_assert_eq(igmp_parse_query(q, 8, &iq), 0);
	cr_expect_eq(iq.version, 2);
	cr_expect_eq(iq.max_resp_ms, 2500);
	cr_expect_eq(iq.group, GROUP);
	cr_expect_eq(igmp_parse_query(q, 9, &iq), -1, "9 bytes: no version");
	cr_expect_eq(igmp_parse_query(q, 11, &iq), -1);
	cr_assert_eq(igmp_parse_query(q, 12, &iq), 0);
	cr_expect_eq(iq.version, 3);
	cr_expect_eq(iq.nsrc, 0);
	put16(q + 10, 3);
	cr_expect_eq(igmp_parse_query(q, 23, &iq), -1, "sources beyond");
	cr_assert_eq(igmp_parse_query(q, 24, &iq), 0);
	cr_expect_eq(iq.nsrc, 3);
	q[0] = IGMP_V2_REPORT;
	cr_expect_eq(igmp_parse_query(q, 8, &iq), -1, "not a query");
	cr_expect_eq(igmp_parse_query(q, 7, &iq), -1);
}

Test(igmp, max_resp_code_floating_point)
{
	/* RFC 3376 4.1.1: (mant | 0x10) << (exp + 3) tenths */
	cr_expect_eq(igmp_decode_time(100), 10000);
	cr_expect_eq(igmp_decode_time(127), 12700);
	cr_expect_eq(igmp_decode_time(0x80), 16 * 8 * 100);
	cr_expect_eq(igmp_decode_time(0xff), 31u * 1024 * 100);
}

Test(igmp, build_reports)
{
	uint8_t b[64];
	uint32_t src[2] = { SRC1, SRC2 };

	cr_assert_eq(igmp_build_v3(b, sizeof(b), IGMP_CHANGE_TO_INCLUDE,
				   GROUP, src, 2), 24);
	cr_expect_eq(b[0], 0x22);
	cr_expect_eq(inet_cksum(b, 24), 0);
	cr_expect_eq(get16(b + 6), 1);
	cr_expect_eq(b[8], 3);
	cr_expect_eq(get16(b + 10), 2);
	cr_expect_eq(get32(b + 12), GROUP);
	cr_expect_eq(get32(b + 20), SRC2);
	cr_expect_eq(igmp_build_v3(b, 20, 1, GROUP, src, 2), 0, "too small");
	cr_assert_eq(igmp_build_v12(b, IGMP_V2_LEAVE, GROUP), 8);
	cr_expect_eq(b[0], 0x17);
	cr_expect_eq(b[1], 0);
	cr_expect_eq(inet_cksum(b, 8), 0);
	cr_expect_eq(get32(b + 4), GROUP);
}

/* ---- reports ---- */

Test(igmp, join_reported_twice_then_leave_and_close)
{
	struct th t;
	struct udp_sock *us;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(mcast_join(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK, t.now), 0);
	expect_v3(&t, IGMP_CHANGE_TO_EXCLUDE, GROUP, NULL, 0);
	th_expect_silence(&t);
	cr_expect_leq(th_deadline(&t) - t.now, SEC, "again within 1 s");
	th_tick(&t, SEC);
	expect_v3(&t, IGMP_CHANGE_TO_EXCLUDE, GROUP, NULL, 0);
	th_tick(&t, 10 * SEC);
	th_expect_silence(&t);
	cr_expect(igmp_is_member(t.s, GROUP));
	cr_expect_eq(mcast_join(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK, t.now),
		     -EADDRINUSE);
	cr_expect_eq(mcast_join(udp_dgram(us), TH_A4(TH_PEER), STACK_IF_LINK, t.now),
		     -EINVAL);

	cr_assert_eq(mcast_leave(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK, t.now), 0);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP, NULL, 0);
	cr_expect_not(igmp_is_member(t.s, GROUP), "left at once");
	th_tick(&t, SEC);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP, NULL, 0);
	th_tick(&t, 10 * SEC);
	th_expect_silence(&t);
	cr_expect_eq(mcast_leave(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK, t.now),
		     -EADDRNOTAVAIL);

	/* a closing socket leaves its groups */
	cr_assert_eq(mcast_join(udp_dgram(us), TH_A4(GROUP2), STACK_IF_LINK, t.now), 0);
	expect_v3(&t, IGMP_CHANGE_TO_EXCLUDE, GROUP2, NULL, 0);
	udp_close(us);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP2, NULL, 0);
	th_tick(&t, SEC);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP2, NULL, 0);
	cr_expect_eq(th_cnt(&t)->igmp_tx_report, 7);
	th_fini(&t);
}

Test(igmp, second_member_reports_nothing_last_one_leaves)
{
	struct th t;
	struct udp_sock *a, *b;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &a), 0);
	cr_assert_eq(udp_open(t.s, IP_V4, &b), 0);
	cr_assert_eq(mcast_join(udp_dgram(a), TH_A4(GROUP), STACK_IF_LINK, t.now), 0);
	th_tick(&t, 2 * SEC);
	while (th_queued(&t))
		th_pop(&t);
	cr_assert_eq(mcast_join(udp_dgram(b), TH_A4(GROUP), STACK_IF_LINK, t.now), 0);
	th_expect_silence(&t);
	udp_close(a);
	th_expect_silence(&t);
	cr_expect(igmp_is_member(t.s, GROUP));
	udp_close(b);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP, NULL, 0);
	th_tick(&t, 2 * SEC);
	th_pop(&t);
	th_fini(&t);
}

Test(igmp, all_hosts_never_reported)
{
	struct th t;
	struct udp_sock *us;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(mcast_join(udp_dgram(us), TH_A4(IGMP_ALL_HOSTS),
				STACK_IF_LINK, t.now), 0);
	th_expect_silence(&t);
	udp_close(us);
	th_expect_silence(&t);
	th_fini(&t);
}

/* ---- queries ---- */

static struct udp_sock *joined(struct th *t, uint32_t group)
{
	struct udp_sock *us;

	cr_assert_eq(udp_open(t->s, IP_V4, &us), 0);
	cr_assert_eq(mcast_join(udp_dgram(us), TH_A4(group), STACK_IF_LINK,
				t->now), 0);
	th_tick(t, 2 * SEC);
	while (th_queued(t))
		th_pop(t);
	return us;
}

Test(igmp, v3_general_and_group_queries_answered)
{
	struct th t;
	struct udp_sock *us;

	setup(&t);
	us = joined(&t, GROUP);
	/* general query, Max Resp Time 1 s */
	inject_query(&t, IGMP_ALL_HOSTS, 12, 10, 0, NULL, 0);
	cr_expect_eq(th_cnt(&t)->igmp_rx_query, 1);
	cr_expect_leq(th_deadline(&t) - t.now, SEC);
	th_tick(&t, SEC);
	expect_v3(&t, IGMP_MODE_IS_EXCLUDE, GROUP, NULL, 0);
	th_tick(&t, 5 * SEC);
	th_expect_silence(&t);
	/* a query for another group: nothing; for ours: an answer */
	inject_query(&t, GROUP2, 12, 10, GROUP2, NULL, 0);
	th_tick(&t, 2 * SEC);
	th_expect_silence(&t);
	inject_query(&t, GROUP, 12, 10, GROUP, NULL, 0);
	th_tick(&t, SEC);
	expect_v3(&t, IGMP_MODE_IS_EXCLUDE, GROUP, NULL, 0);
	th_expect_silence(&t);
	udp_close(us);
	th_tick(&t, 2 * SEC);
	th_fini(&t);
}

Test(igmp, v2_querier_switches_to_v2_reports_and_leave)
{
	struct th t;
	struct udp_sock *us;

	setup(&t);
	us = joined(&t, GROUP);
	inject_query(&t, IGMP_ALL_HOSTS, 8, 10, 0, NULL, 0);
	cr_expect_eq(igmp_version(t.s), 2);
	th_tick(&t, SEC);
	expect_v12(&t, IGMP_V2_REPORT, GROUP, GROUP);
	cr_assert_eq(mcast_join(udp_dgram(us), TH_A4(GROUP2), STACK_IF_LINK, t.now), 0);
	expect_v12(&t, IGMP_V2_REPORT, GROUP2, GROUP2);
	th_tick(&t, 10 * SEC);
	expect_v12(&t, IGMP_V2_REPORT, GROUP2, GROUP2);
	cr_assert_eq(mcast_leave(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK, t.now), 0);
	expect_v12(&t, IGMP_V2_LEAVE, IGMP_ALL_ROUTERS, GROUP);
	th_tick(&t, 10 * SEC);
	expect_v12(&t, IGMP_V2_LEAVE, IGMP_ALL_ROUTERS, GROUP);
	/* another member's v2 report stands for ours */
	inject_query(&t, IGMP_ALL_HOSTS, 8, 100, 0, NULL, 0);
	msg[0] = IGMP_V2_REPORT;
	{
		struct th_ip ip;
		uint8_t mac[6];

		memset(msg, 0, 8);
		msg[0] = IGMP_V2_REPORT;
		put32(msg + 4, GROUP2);
		put16(msg + 2, inet_cksum(msg, 8));
		th_ip_default(&ip, IP_PROTO_IGMP);
		ip.src = TH_PEER;
		ip.dst = GROUP2;
		ip.ttl = 1;
		group_mac(GROUP2, mac);
		th_input(&t, fbuf, th_ipv4(fbuf, mac, &ip, msg, 8));
	}
	cr_expect_eq(th_cnt(&t)->igmp_suppressed, 1);
	th_tick(&t, 11 * SEC);
	th_expect_silence(&t);
	/* 260 s without a v2 query: back to IGMPv3 */
	th_tick(&t, 260 * SEC);
	cr_expect_eq(igmp_version(t.s), 3);
	udp_close(us);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP2, NULL, 0);
	th_tick(&t, 2 * SEC);
	th_pop(&t);
	th_fini(&t);
}

Test(igmp, v1_querier_v1_reports_no_leave)
{
	struct th t;
	struct udp_sock *us;

	setup(&t);
	us = joined(&t, GROUP);
	inject_query(&t, IGMP_ALL_HOSTS, 8, 0, 0, NULL, 0);
	cr_expect_eq(igmp_version(t.s), 1);
	cr_expect_leq(th_deadline(&t) - t.now, 10 * SEC);
	th_tick(&t, 10 * SEC);
	expect_v12(&t, IGMP_V1_REPORT, GROUP, GROUP);
	udp_close(us);
	th_tick(&t, 20 * SEC);
	th_expect_silence(&t);
	cr_expect_not(igmp_is_member(t.s, GROUP));
	th_fini(&t);
}

Test(igmp, malformed_counted_and_dropped)
{
	struct th t;
	struct udp_sock *us;
	size_t n;

	setup(&t);
	us = joined(&t, GROUP);
	inject_query(&t, IGMP_ALL_HOSTS, 10, 10, 0, NULL, 0);
	cr_expect_eq(th_cnt(&t)->igmp_rx_bad, 1, "10 bytes: no version");
	inject_query(&t, IGMP_ALL_HOSTS, 7, 10, 0, NULL, 0);
	cr_expect_eq(th_cnt(&t)->igmp_rx_short, 1);
	/* a bad checksum */
	inject_query(&t, IGMP_ALL_HOSTS, 12, 10, 0, NULL, 0);
	th_tick(&t, 2 * SEC);
	th_pop(&t);
	n = th_ipv4(fbuf, (const uint8_t[]){ 1, 0, 0x5e, 0, 0, 1 },
		    &(struct th_ip){ .ttl = 1, .proto = IP_PROTO_IGMP,
				     .src = TH_GW, .dst = IGMP_ALL_HOSTS },
		    msg, 12);
	fbuf[n - 1] ^= 0x55;
	th_input(&t, fbuf, n);
	cr_expect_eq(th_cnt(&t)->igmp_rx_bad_cksum, 1);
	/* a v3 query claiming more sources than it holds */
	memset(msg, 0, 16);
	msg[0] = IGMP_QUERY;
	msg[1] = 10;
	put32(msg + 4, GROUP);
	put16(msg + 10, 200);
	put16(msg + 2, inet_cksum(msg, 16));
	n = th_ipv4(fbuf, (const uint8_t[]){ 1, 0, 0x5e, 1, 2, 3 },
		    &(struct th_ip){ .ttl = 1, .proto = IP_PROTO_IGMP,
				     .src = TH_GW, .dst = GROUP },
		    msg, 16);
	th_input(&t, fbuf, n);
	cr_expect_eq(th_cnt(&t)->igmp_rx_bad, 2);
	/* an unknown type */
	memset(msg, 0, 8);
	msg[0] = 0x30;
	put16(msg + 2, inet_cksum(msg, 8));
	n = th_ipv4(fbuf, (const uint8_t[]){ 1, 0, 0x5e, 0, 0, 1 },
		    &(struct th_ip){ .ttl = 1, .proto = IP_PROTO_IGMP,
				     .src = TH_GW, .dst = IGMP_ALL_HOSTS },
		    msg, 8);
	th_input(&t, fbuf, n);
	cr_expect_eq(th_cnt(&t)->igmp_rx_unknown, 1);
	th_tick(&t, 20 * SEC);
	th_expect_silence(&t);
	udp_close(us);
	th_tick(&t, 2 * SEC);
	th_fini(&t);
}

/* ---- sources ---- */

Test(igmp, source_specific_join_query_and_filter)
{
	struct th t;
	struct udp_sock *us;
	uint32_t s1 = SRC1, both[2] = { SRC2, SRC1 };

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(udp_bind(us, NULL, 6000), 0);
	cr_assert_eq(mcast_source(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK,
				  TH_A4(SRC1), true, t.now), 0);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP, &s1, 1);
	cr_expect_eq(mcast_source(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK,
				  TH_A4(SRC1), true, t.now), -EADDRNOTAVAIL);
	th_tick(&t, 2 * SEC);
	th_pop(&t);
	/* only SRC1's datagrams come in */
	inject_udp(&t, SRC1, GROUP, 6000, "one");
	inject_udp(&t, SRC2, GROUP, 6000, "two");
	cr_expect_eq(queued(us), 1);
	cr_expect_eq(th_cnt(&t)->ip_rx_not_for_us, 1);
	/* group-and-source query: the sources asked that we want */
	inject_query(&t, GROUP, 20, 10, GROUP, both, 2);
	th_tick(&t, SEC);
	expect_v3(&t, IGMP_MODE_IS_INCLUDE, GROUP, &s1, 1);
	inject_query(&t, GROUP, 16, 10, GROUP, both, 1);
	th_tick(&t, SEC);
	th_expect_silence(&t);
	/* a general query: IS_IN (sources) */
	inject_query(&t, IGMP_ALL_HOSTS, 12, 10, 0, NULL, 0);
	th_tick(&t, SEC);
	expect_v3(&t, IGMP_MODE_IS_INCLUDE, GROUP, &s1, 1);
	/* an any-source join on top: EXCLUDE {} */
	cr_assert_eq(mcast_join(udp_dgram(us), TH_A4(GROUP2), STACK_IF_LINK, t.now), 0);
	expect_v3(&t, IGMP_CHANGE_TO_EXCLUDE, GROUP2, NULL, 0);
	th_tick(&t, 2 * SEC);
	th_pop(&t);
	/* the last source dropped leaves the group */
	cr_expect_eq(mcast_source(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK,
				  TH_A4(SRC2), false, t.now), -EADDRNOTAVAIL);
	cr_expect_eq(mcast_source(udp_dgram(us), TH_A4(GROUP2 + 1),
				  STACK_IF_LINK, TH_A4(SRC2), false, t.now), -EINVAL);
	cr_assert_eq(mcast_source(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK,
				  TH_A4(SRC1), false, t.now), 0);
	expect_v3(&t, IGMP_CHANGE_TO_INCLUDE, GROUP, NULL, 0);
	cr_expect_eq(mcast_leave(udp_dgram(us), TH_A4(GROUP), STACK_IF_LINK, t.now),
		     -EADDRNOTAVAIL);
	udp_close(us);
	th_tick(&t, 3 * SEC);
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}

/* ---- delivery ---- */

Test(igmp, delivery_per_socket_and_multicast_all)
{
	struct th t;
	struct udp_sock *a, *b;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &a), 0);
	cr_assert_eq(udp_open(t.s, IP_V4, &b), 0);
	cr_assert_eq(udp_setsockopt(a, UDP_SO_REUSEADDR, 1), 0);
	cr_assert_eq(udp_setsockopt(b, UDP_SO_REUSEADDR, 1), 0);
	cr_assert_eq(udp_bind(a, NULL, 6000), 0);
	cr_assert_eq(udp_bind(b, NULL, 6000), 0);
	/* nobody joined: the link does not take it */
	inject_udp(&t, TH_PEER, GROUP, 6000, "x");
	cr_expect_eq(queued(a) + queued(b), 0);
	cr_expect_eq(th_cnt(&t)->eth_rx_not_for_us, 1, "01:00:5e:01:02:03");
	cr_assert_eq(mcast_join(udp_dgram(a), TH_A4(GROUP), STACK_IF_LINK, t.now), 0);
	/* IP_MULTICAST_ALL on (Linux's default): both get a copy */
	inject_udp(&t, TH_PEER, GROUP, 6000, "y");
	cr_expect_eq(queued(a), 1);
	cr_expect_eq(queued(b), 1);
	cr_assert_eq(dgram_setopt(udp_dgram(b), DGRAM_IP_MULTICAST_ALL, 0), 0);
	cr_expect_eq(dgram_setopt(udp_dgram(b), DGRAM_IP_MULTICAST_ALL, 2),
		     -EINVAL);
	inject_udp(&t, TH_PEER, GROUP, 6000, "z");
	cr_expect_eq(queued(a), 1);
	cr_expect_eq(queued(b), 0, "did not join, IP_MULTICAST_ALL off");
	cr_assert_eq(mcast_join(udp_dgram(b), TH_A4(GROUP), STACK_IF_LINK, t.now), 0);
	inject_udp(&t, TH_PEER, GROUP, 6000, "w");
	cr_expect_eq(queued(a), 1);
	cr_expect_eq(queued(b), 1);
	/* another port: nobody, and no port unreachable */
	inject_udp(&t, TH_PEER, GROUP, 6001, "v");
	cr_expect_eq(th_cnt(&t)->udp_rx_no_port_bcast, 1);
	udp_close(a);
	udp_close(b);
	th_tick(&t, 3 * SEC);
	while (th_queued(&t))
		th_pop(&t);
	th_expect_silence(&t);
	th_fini(&t);
}

Test(igmp, send_to_group_ttl_loop)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	size_t plen;
	uint8_t mac[6];
	uint32_t g = GROUP;

	setup(&t);
	us = joined(&t, GROUP);
	cr_assert_eq(udp_bind(us, NULL, 6000), 0);
	group_mac(GROUP, mac);
	/* TTL 1 by default, to 01:00:5e:01:02:03; a copy to ourselves */
	cr_assert_eq(udp_sendto(us, "hi", 2, TH_A4(g), 6000, t.now), 0);
	th_check_ipv4(th_pop(&t), mac, &h, &plen);
	cr_expect_eq(h.ttl, 1);
	cr_expect_eq(h.dst, GROUP);
	cr_expect_eq(queued(us), 1, "looped back");
	/* IP_MULTICAST_LOOP off: no copy */
	cr_assert_eq(dgram_setopt(udp_dgram(us), DGRAM_IP_MULTICAST_LOOP, 0), 0);
	cr_assert_eq(dgram_setopt(udp_dgram(us), DGRAM_IP_MULTICAST_TTL, 7), 0);
	cr_assert_eq(udp_sendto(us, "hi", 2, TH_A4(g), 6000, t.now), 0);
	th_check_ipv4(th_pop(&t), mac, &h, &plen);
	cr_expect_eq(h.ttl, 7);
	cr_expect_eq(queued(us), 0);
	/* TTL 0: our members only */
	cr_assert_eq(dgram_setopt(udp_dgram(us), DGRAM_IP_MULTICAST_LOOP, 1), 0);
	cr_assert_eq(dgram_setopt(udp_dgram(us), DGRAM_IP_MULTICAST_TTL, 0), 0);
	cr_assert_eq(udp_sendto(us, "hi", 2, TH_A4(g), 6000, t.now), 0);
	th_expect_silence(&t);
	cr_expect_eq(queued(us), 1);
	/* a group nobody here joined: on the wire, no copy */
	cr_assert_eq(dgram_setopt(udp_dgram(us), DGRAM_IP_MULTICAST_TTL, 1), 0);
	g = GROUP2;
	cr_assert_eq(udp_sendto(us, "hi", 2, TH_A4(g), 6000, t.now), 0);
	group_mac(GROUP2, mac);
	th_check_ipv4(th_pop(&t), mac, &h, &plen);
	cr_expect_eq(queued(us), 0);
	udp_close(us);
	th_tick(&t, 3 * SEC);
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}

Test(igmp, group_table_full)
{
	struct th t;
	struct udp_sock *us[4];
	unsigned ok = 0;
	int rc = 0;

	setup(&t);
	for (unsigned k = 0; k < 4; k++) {
		cr_assert_eq(udp_open(t.s, IP_V4, &us[k]), 0);
		for (unsigned i = 0; i < MC_MAX_MEMBERSHIPS && !rc; i++) {
			rc = mcast_join(udp_dgram(us[k]),
					TH_A4(GROUP + k * 100 + i),
					STACK_IF_LINK, t.now);
			ok += rc == 0;
		}
		if (k < 3)
			cr_expect_eq(mcast_join(udp_dgram(us[k]),
						TH_A4(GROUP2), STACK_IF_LINK,
						t.now) ==
				     -ENOBUFS || rc, 1, "20 per socket");
	}
	cr_expect_eq(ok, IGMP_MAX_GROUPS, "the link's table");
	cr_expect_eq(rc, -ENOBUFS);
	cr_expect_eq(th_cnt(&t)->igmp_groups_full, 1);
	for (unsigned k = 0; k < 4; k++)
		udp_close(us[k]);
	th_tick(&t, 3 * SEC);
	while (th_queued(&t))
		th_pop(&t);
	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++)
		cr_expect_not(t.s->nif.igmp.groups[i].used);
	th_fini(&t);
}

/* IPv6 memberships go through the same per-socket mechanism, over MLD */
Test(igmp, ipv6_membership_same_mechanism)
{
	struct th t;
	struct udp_sock *us;
	struct ip_addr g = th_a6("ff0e::1234");
	uint64_t sent;

	th_init6(&t);
	cr_assert_eq(udp_open(t.s, IP_V6, &us), 0);
	sent = th_cnt(&t)->mld_tx_report;
	cr_assert_eq(mcast_join(udp_dgram(us), &g, STACK_IF_LINK, t.now), 0);
	cr_expect_eq(th_cnt(&t)->mld_tx_report, sent + 1, "MLDv2 report");
	cr_expect_eq(mcast_join(udp_dgram(us), &g, STACK_IF_LINK, t.now),
		     -EADDRINUSE);
	cr_expect(mld_is_member(t.s, g.v6));
	cr_expect_eq(mcast_source(udp_dgram(us), &g, STACK_IF_LINK,
				  TH_A4(SRC1), true, t.now), -EINVAL,
		     "a source of another family");
	cr_expect_not_null(mcast_members(udp_dgram(us)));
	udp_close(us);
	cr_expect_not(mld_is_member(t.s, g.v6), "left on close");
	cr_expect_eq(th_cnt(&t)->mld_tx_report, sent + 2, "the leave");
	th_tick(&t, 3 * SEC);
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}

/* IP_MULTICAST_IF: without a route to the group, ENETUNREACH (as Linux);
 * with it set, the link and its address (or the one it names) */
Test(igmp, multicast_if_without_route)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	size_t plen;
	uint8_t mac[6];
	uint32_t g = GROUP;

	setup(&t);
	cr_assert_eq(th_route_del(&t, 0, 0), 0);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_expect_eq(udp_sendto(us, "a", 1, TH_A4(g), 6000, t.now),
		     -ENETUNREACH);
	cr_expect_eq(mcast_find_dev(t.s, 0, TH_IP), STACK_IF_LINK);
	cr_expect_eq(mcast_find_dev(t.s, 0, TH_PEER), -ENODEV);
	cr_expect_eq(mcast_find_dev(t.s, STACK_IF_LOOPBACK, 0), -ENODEV);
	mcast_set_if(udp_dgram(us), STACK_IF_LINK, 0);
	cr_assert_eq(udp_sendto(us, "a", 1, TH_A4(g), 6000, t.now), 0);
	group_mac(GROUP, mac);
	th_check_ipv4(th_pop(&t), mac, &h, &plen);
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(h.ttl, 1);
	mcast_set_if(udp_dgram(us), STACK_IF_LINK, TH_IP);
	cr_expect_eq(mcast_if_addr(udp_dgram(us)), TH_IP);
	cr_assert_eq(udp_sendto(us, "b", 1, TH_A4(g), 6000, t.now), 0);
	th_check_ipv4(th_pop(&t), mac, &h, &plen);
	cr_expect_eq(h.src, TH_IP);
	th_expect_silence(&t);
	udp_close(us);
	th_fini(&t);
}
