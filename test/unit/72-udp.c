/* SPDX-License-Identifier: MIT */
/*
 * 72-udp.c - UDP: input checks and delivery, port unreachable, bind rules,
 * connected sockets and ICMP errors, broadcast, big datagrams in
 * fragments, ENOBUFS from a full link, receive buffer bound; what
 * recvmsg's control messages report, the error queue (IP_RECVERR), the
 * pending error on the next send, IP_MTU_DISCOVER, per-datagram options
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "udp.h"

static uint8_t fbuf[70000], pl[70000];
static unsigned events, ev_count;
static struct dgram *ev_sock;

static void on_udp(void *ctx, struct dgram *dg, unsigned ev)
{
	(void)ctx;
	events |= ev;
	ev_count++;
	ev_sock = dg;
}

static void setup(struct th *t)
{
	th_init(t);
	t->ops.dgram_event = on_udp;
	events = ev_count = 0;
	ev_sock = NULL;
	th_learn(t, TH_PEER, TH_PEER_MAC);
}

/* A UDP datagram from @src:@sport to @dst:@dport, checksummed (or not). */
static size_t udp_frame(uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, const void *data, size_t len, bool ck)
{
	struct th_ip ip;
	uint16_t sum;

	put16(pl, sport);
	put16(pl + 2, dport);
	put16(pl + 4, (uint16_t)(UDP_HLEN + len));
	put16(pl + 6, 0);
	memcpy(pl + UDP_HLEN, data, len);
	if (ck) {
		sum = inet_fold(inet_sum(pl, UDP_HLEN + len,
					 inet_pseudo_sum(src, dst, IP_PROTO_UDP,
							 (uint16_t)(UDP_HLEN + len))));
		put16(pl + 6, sum ? sum : 0xffff);
	}
	th_ip_default(&ip, IP_PROTO_UDP);
	ip.src = src;
	ip.dst = dst;
	return th_ipv4(fbuf, dst == TH_BCAST ? (const uint8_t[]){ 0xff, 0xff,
		       0xff, 0xff, 0xff, 0xff } : TH_MAC, &ip, pl,
		       UDP_HLEN + len);
}

static void inject(struct th *t, uint32_t src, uint16_t sport, uint32_t dst,
		   uint16_t dport, const char *msg)
{
	th_input(t, fbuf, udp_frame(src, sport, dst, dport, msg, strlen(msg),
				    true));
}

Test(udp, bind_receive_and_reply)
{
	struct th t;
	struct udp_sock *us;
	struct udp_meta m;
	const uint8_t *d;
	struct ipv4_hdr h;
	size_t plen;
	const uint8_t *u;
	uint32_t peer = TH_PEER;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(udp_bind(us, NULL, 5353), 0);
	inject(&t, TH_PEER, 4000, TH_IP, 5353, "hello");
	cr_expect_eq(events, UDP_EV_READABLE);
	cr_expect_eq(ev_sock, udp_dgram(us));
	d = udp_recv_peek(us, &m);
	cr_assert_not_null(d);
	cr_expect_eq(m.len, 5);
	cr_expect_eq(m.src.v4, TH_PEER);
	cr_expect_eq(m.sport, 4000);
	cr_expect_eq(m.dst.v4, TH_IP);
	cr_expect_eq(m.dport, 5353);
	cr_expect_arr_eq(d, "hello", 5);
	udp_recv_next(us);
	cr_expect_null(udp_recv_peek(us, &m));
	cr_expect_eq(udp_recv_queued(us), 0);

	cr_assert_eq(udp_sendto(us, "world", 5, TH_A4(peer), 4000, t.now), 0);
	u = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.proto, IP_PROTO_UDP);
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(plen, UDP_HLEN + 5);
	cr_expect_eq(get16(u), 5353);
	cr_expect_eq(get16(u + 2), 4000);
	cr_expect_eq(get16(u + 4), 13);
	cr_expect_eq(inet_fold(inet_sum(u, plen, inet_pseudo_sum(h.src, h.dst,
			IP_PROTO_UDP, (uint16_t)plen))), 0, "checksum");
	cr_expect_arr_eq(u + 8, "world", 5);
	cr_expect_eq(th_cnt(&t)->udp_tx, 1);
	cr_expect_eq(th_cnt(&t)->udp_rx_delivered, 1);
	udp_close(us);
	th_fini(&t);
}

Test(udp, malformed_counted_and_dropped)
{
	struct th t;
	struct udp_sock *us;
	size_t n;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(udp_bind(us, NULL, 7), 0);
	n = udp_frame(TH_PEER, 1, TH_IP, 7, "abcd", 4, true);
	fbuf[n - 1] ^= 0xff;               /* payload corrupted */
	th_input(&t, fbuf, n);
	cr_expect_eq(th_cnt(&t)->udp_rx_bad_cksum, 1);
	n = udp_frame(TH_PEER, 1, TH_IP, 7, "abcd", 4, false);
	th_input(&t, fbuf, n);             /* no checksum: accepted */
	cr_expect_eq(th_cnt(&t)->udp_rx_delivered, 1);
	n = udp_frame(TH_PEER, 1, TH_IP, 7, "abcd", 4, true);
	put16(fbuf + 14 + 20 + 4, 40);     /* length beyond the datagram */
	th_input(&t, fbuf, n);
	cr_expect_eq(th_cnt(&t)->udp_rx_bad_len, 1);
	th_expect_silence(&t);
	udp_close(us);
	th_fini(&t);
}

Test(udp, closed_port_gets_port_unreachable)
{
	struct th t;
	struct ipv4_hdr h;
	size_t plen;
	const uint8_t *icmp;

	setup(&t);
	inject(&t, TH_PEER, 4000, TH_IP, 9999, "anyone?");
	icmp = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.proto, IP_PROTO_ICMP);
	cr_expect_eq(icmp[0], ICMP_UNREACH);
	cr_expect_eq(icmp[1], ICMP_UNREACH_PORT);
	cr_expect_eq(get16(icmp + 8 + 20 + 2), 9999, "quotes the UDP header");
	cr_expect_eq(th_cnt(&t)->udp_rx_no_port, 1);
	/* never for a broadcast */
	inject(&t, TH_PEER, 4000, TH_BCAST, 9999, "anyone?");
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->udp_rx_no_port_bcast, 1);
	th_fini(&t);
}

Test(udp, bind_rules)
{
	struct th t;
	struct udp_sock *a, *b, *c;
	struct ip_addr addr;
	uint16_t port;

	setup(&t);
	udp_open(t.s, IP_V4, &a);
	udp_open(t.s, IP_V4, &b);
	udp_open(t.s, IP_V4, &c);
	cr_expect_eq(udp_bind(a, TH_A4(TH_PEER), 1000), -EADDRNOTAVAIL);
	cr_expect_eq(udp_bind(a, TH_A4(TH_IP), 1000), 0);
	cr_expect_eq(udp_bind(a, NULL, 1001), -EINVAL, "already bound");
	cr_expect_eq(udp_bind(b, NULL, 1000), -EADDRINUSE);
	cr_expect_eq(udp_bind(b, NULL, 0), 0);
	udp_getsockname(b, &addr, &port);
	cr_expect(addr.family == IP_V4 && addr.v4 == 0);
	cr_expect(port >= t.cfg.tcp_port_lo && port <= t.cfg.tcp_port_hi,
		  "the stack's ephemeral range");
	cr_expect_eq(udp_getpeername(b, &addr, &port), -ENOTCONN);
	udp_close(a);
	/* SO_REUSEADDR on both: a shared port */
	udp_open(t.s, IP_V4, &a);
	udp_setsockopt(a, UDP_SO_REUSEADDR, 1);
	udp_setsockopt(c, UDP_SO_REUSEADDR, 1);
	cr_expect_eq(udp_bind(a, NULL, 2000), 0);
	cr_expect_eq(udp_bind(c, NULL, 2000), 0);
	udp_close(a);
	udp_close(b);
	udp_close(c);
	cr_expect_eq(udp_sock_count(t.s), 0);
	th_fini(&t);
}

Test(udp, connected_socket_gets_econnrefused)
{
	struct th t;
	struct udp_sock *us;
	struct th_frame *f;
	uint8_t icmp[8 + 60];
	struct th_ip ip;
	struct ip_addr addr;
	uint16_t port;

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_connect(us, TH_A4(TH_PEER), 53), 0);
	udp_getsockname(us, &addr, &port);
	cr_expect_eq(addr.v4, TH_IP, "source fixed by connect");
	cr_expect_neq(port, 0, "autobound");
	cr_expect_eq(udp_getpeername(us, &addr, &port), 0);
	cr_expect_eq(addr.v4, TH_PEER);
	cr_expect_eq(port, 53);
	cr_assert_eq(udp_sendto(us, "q", 1, NULL, 0, t.now), 0);
	f = th_pop(&t);
	/* the peer answers port unreachable quoting our datagram */
	memset(icmp, 0, 8);
	icmp[0] = ICMP_UNREACH;
	icmp[1] = ICMP_UNREACH_PORT;
	memcpy(icmp + 8, f->data + ETH_HLEN, 28);
	put16(icmp + 2, inet_cksum(icmp, 36));
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.src = TH_PEER;
	ip.dst = TH_IP;
	th_input(&t, fbuf, th_ipv4(fbuf, TH_MAC, &ip, icmp, 36));
	cr_expect(events & UDP_EV_ERROR);
	cr_expect_eq(udp_sock_error(us), -ECONNREFUSED);
	cr_expect_eq(udp_sock_error(us), 0, "reported once");
	/* datagrams from others do not reach a connected socket */
	inject(&t, TH_GW, 53, TH_IP, port, "x");
	cr_expect_eq(udp_recv_queued(us), 0);
	cr_expect_eq(udp_sendto(us, "q", 1, NULL, 0, t.now), 0);
	th_pop(&t);
	udp_disconnect(us);
	cr_expect_eq(udp_sendto(us, "q", 1, NULL, 0, t.now), -EDESTADDRREQ);
	udp_getsockname(us, &addr, &port);
	cr_expect(ip_addr_is_any(&addr) && port == 0,
		  "connect's address and port let go");
	cr_assert_eq(udp_bind(us, NULL, 5300), 0);
	udp_connect(us, TH_A4(TH_PEER), 53);
	udp_disconnect(us);
	udp_getsockname(us, &addr, &port);
	cr_expect(ip_addr_is_any(&addr) && port == 5300, "the bound port kept");
	udp_close(us);
	th_fini(&t);
}

Test(udp, broadcast_needs_so_broadcast)
{
	struct th t;
	struct udp_sock *a, *b;
	uint32_t bc = TH_BCAST, all = IPV4_BROADCAST;
	struct udp_meta m;

	setup(&t);
	udp_open(t.s, IP_V4, &a);
	udp_open(t.s, IP_V4, &b);
	cr_expect_eq(udp_sendto(a, "x", 1, TH_A4(bc), 67, t.now), -EACCES);
	cr_expect_eq(udp_sendto(a, "x", 1, TH_A4(all), 67, t.now), -EACCES);
	udp_setsockopt(a, UDP_SO_BROADCAST, 1);
	cr_expect_eq(udp_sendto(a, "x", 1, TH_A4(all), 67, t.now), 0);
	th_check_eth(th_pop(&t), (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff }, ETH_P_IP);
	/* a received broadcast reaches every socket on the port */
	udp_setsockopt(a, UDP_SO_REUSEADDR, 1);
	udp_setsockopt(b, UDP_SO_REUSEADDR, 1);
	udp_close(a);
	udp_open(t.s, IP_V4, &a);
	udp_setsockopt(a, UDP_SO_REUSEADDR, 1);
	cr_assert_eq(udp_bind(a, NULL, 520), 0);
	cr_assert_eq(udp_bind(b, NULL, 520), 0);
	inject(&t, TH_PEER, 520, TH_BCAST, 520, "rip");
	cr_expect_not_null(udp_recv_peek(a, &m));
	cr_expect_not_null(udp_recv_peek(b, &m));
	udp_close(a);
	udp_close(b);
	th_fini(&t);
}

Test(udp, largest_datagram_goes_in_fragments)
{
	struct th t;
	struct udp_sock *us;
	uint32_t peer = TH_PEER;
	static uint8_t big[UDP_MAX_PAYLOAD + 1], out[70000];
	struct ipv4_hdr h;
	unsigned nfrag;
	size_t n;

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	th_pattern(big, sizeof(big), 3);
	cr_expect_eq(udp_sendto(us, big, UDP_MAX_PAYLOAD + 1, TH_A4(peer), 9, t.now),
		     -EMSGSIZE);
	cr_assert_eq(udp_sendto(us, big, UDP_MAX_PAYLOAD, TH_A4(peer), 9, t.now), 0);
	n = th_collect(&t, TH_PEER_MAC, out, sizeof(out), &h, &nfrag);
	cr_expect_eq(n, UDP_HLEN + UDP_MAX_PAYLOAD);
	cr_expect_eq(nfrag, 45);
	cr_expect_arr_eq(out + UDP_HLEN, big, UDP_MAX_PAYLOAD);
	udp_close(us);
	th_fini(&t);
}

Test(udp, full_link_is_enobufs_not_silent)
{
	struct th t;
	struct udp_sock *us;
	uint32_t peer = TH_PEER;

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	t.link_rc = -ENOBUFS;
	cr_expect_eq(udp_sendto(us, "x", 1, TH_A4(peer), 9, t.now), -ENOBUFS);
	cr_expect_eq(th_cnt(&t)->udp_tx_nobufs, 1);
	cr_expect_eq(th_cnt(&t)->udp_tx, 0);
	t.link_rc = 0;
	cr_expect_eq(udp_sendto(us, "x", 1, TH_A4(peer), 9, t.now), 0);
	th_pop(&t);
	udp_close(us);
	th_fini(&t);
}

Test(udp, receive_buffer_bound)
{
	struct th t;
	struct udp_sock *us;
	int v;
	unsigned queued = 0;
	char msg[1000];

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	udp_bind(us, NULL, 9);
	cr_expect_eq(udp_setsockopt(us, UDP_SO_RCVBUF, 1), 0);
	udp_getsockopt(us, UDP_SO_RCVBUF, &v);
	cr_expect_eq(v, UDP_RCVBUF_MIN, "Linux's minimum");
	udp_setsockopt(us, UDP_SO_RCVBUF, 4096);
	udp_getsockopt(us, UDP_SO_RCVBUF, &v);
	cr_expect_eq(v, 8192, "doubled like Linux");
	memset(msg, 'a', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	for (int i = 0; i < 20; i++)
		inject(&t, TH_PEER, 1, TH_IP, 9, msg);
	queued = (unsigned)th_cnt(&t)->udp_rx_delivered;
	cr_expect(queued >= 2 && queued < 20, "queued %u", queued);
	cr_expect_eq(th_cnt(&t)->udp_rx_rcvbuf, 20 - queued);
	udp_close(us);   /* frees what is queued */
	th_fini(&t);
}

Test(udp, datagram_to_ourselves_is_delivered_locally)
{
	struct th t;
	struct udp_sock *a, *b;
	struct udp_meta m;
	uint32_t self = TH_IP;
	const uint8_t *d;

	setup(&t);
	udp_open(t.s, IP_V4, &a);
	udp_open(t.s, IP_V4, &b);
	cr_assert_eq(udp_bind(a, NULL, 9500), 0);
	cr_assert_eq(udp_sendto(b, "me", 2, TH_A4(self), 9500, t.now), 0);
	th_expect_silence(&t);
	d = udp_recv_peek(a, &m);
	cr_assert_not_null(d, "delivered through the loopback queue");
	cr_expect_arr_eq(d, "me", 2);
	cr_expect_eq(m.src.v4, TH_IP);
	udp_close(a);
	udp_close(b);
	th_fini(&t);
}

/* What a received datagram comes with: recvmsg's control messages. */
Test(udp, datagram_info_for_control_messages)
{
	struct th t;
	struct udp_sock *us;
	struct dgram_info in;
	struct th_ip ip;
	size_t len;

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	udp_bind(us, NULL, 5000);
	th_ip_default(&ip, IP_PROTO_UDP);
	ip.ttl = 17;
	ip.tos = 0x28;
	t.now += 12345;
	/* the UDP datagram udp_frame() leaves in pl, with this TTL and TOS */
	udp_frame(TH_PEER, 40, TH_IP, 5000, "ab", 2, true);
	th_input(&t, fbuf, th_ipv4(fbuf, TH_MAC, &ip, pl, UDP_HLEN + 2));
	cr_assert_not_null(dgram_recv_peek(udp_dgram(us), &in, &len));
	cr_expect_eq(len, 2);
	cr_expect_eq(in.ttl, 17);
	cr_expect_eq(in.tos, 0x28);
	cr_expect_eq(in.src.v4, TH_PEER);
	cr_expect_eq(in.dst.v4, TH_IP);
	cr_expect_eq(in.spec_dst.v4, TH_IP, "ours: the destination itself");
	cr_expect_eq(in.sport, 40);
	cr_expect_eq(in.dport, 5000);
	cr_expect_eq(in.ifindex, 1);
	cr_expect_eq(in.time, t.now, "the time of arrival, the host's clock");
	udp_recv_next(us);
	/* a broadcast: the address a reply would come from */
	inject(&t, TH_PEER, 41, TH_BCAST, 5000, "bc");
	cr_assert_not_null(dgram_recv_peek(udp_dgram(us), &in, &len));
	cr_expect_eq(in.dst.v4, TH_BCAST);
	cr_expect_eq(in.spec_dst.v4, TH_IP);
	udp_close(us);
	th_fini(&t);
}

/* IP_RECVERR: every error is queued with what it quoted, and pending. */
Test(udp, recverr_queues_errors_and_the_next_send_reports_one)
{
	struct th t;
	struct udp_sock *us;
	struct dgram *dg;
	struct dgram_info in;
	struct dgram_ee ee;
	uint32_t far = TH_FAR;
	const uint8_t *d;
	size_t len;

	setup(&t);
	th_learn(&t, TH_GW, TH_GW_MAC);
	udp_open(t.s, IP_V4, &us);
	dg = udp_dgram(us);
	cr_assert_eq(dgram_setopt(dg, DGRAM_IP_RECVERR, 1), 0);
	cr_assert_eq(udp_sendto(us, "probe", 5, TH_A4(far), 33434, t.now), 0);
	events = 0;
	th_icmp_error(&t, th_pop(&t), ICMP_TIME_EXCEEDED, 0, 0, TH_GW, 576);
	cr_expect(events & DGRAM_EV_ERROR);
	cr_expect_eq(dgram_errq_len(dg), 1);
	d = dgram_errq_peek(dg, &in, &ee, &len);
	cr_assert_not_null(d);
	cr_expect_eq(ee.err, EHOSTUNREACH);
	cr_expect_eq(ee.origin, DGRAM_EE_ICMP);
	cr_expect_eq(ee.type, ICMP_TIME_EXCEEDED);
	cr_expect_eq(ee.offender.v4, TH_GW);
	cr_expect_eq(ee.addr.v4, TH_FAR);
	cr_expect_eq(ee.port, 33434);
	cr_expect_eq(len, 5, "the quoted payload");
	cr_expect_arr_eq(d, "probe", 5);
	cr_expect_eq(in.ttl, 60, "the ICMP message's own TTL");
	cr_expect_eq(in.tos, 0xc0);
	cr_expect_eq(in.spec_dst.v4, 0);
	/* the error is pending too: the next send reports it, sends nothing */
	cr_expect_eq(udp_sendto(us, "x", 1, TH_A4(far), 33434, t.now), -EHOSTUNREACH);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->dgram_tx_pending_err, 1);
	cr_expect_eq(udp_sendto(us, "x", 1, TH_A4(far), 33434, t.now), 0);
	th_icmp_error(&t, th_pop(&t), ICMP_UNREACH, ICMP_UNREACH_PORT, 0,
		      TH_FAR, 28);
	/* taking an entry off the queue makes the next one's errno pending */
	cr_expect_eq(dgram_errq_len(dg), 2);
	dgram_take_error(dg);
	dgram_errq_next(dg);
	cr_expect_eq(dgram_take_error(dg), -ECONNREFUSED);
	dgram_errq_next(dg);
	cr_expect_eq(dgram_take_error(dg), 0);
	cr_expect_eq(dgram_errq_len(dg), 0);
	cr_expect_eq(th_cnt(&t)->dgram_errq_queued, 2);
	/* IP_RECVERR off empties the queue */
	udp_sendto(us, "y", 1, TH_A4(far), 33434, t.now);
	th_icmp_error(&t, th_pop(&t), ICMP_TIME_EXCEEDED, 0, 0, TH_GW, 28);
	cr_expect_eq(dgram_errq_len(dg), 1);
	dgram_setopt(dg, DGRAM_IP_RECVERR, 0);
	cr_expect_eq(dgram_errq_len(dg), 0);
	udp_close(us);
	th_fini(&t);
}

/* Without IP_RECVERR, only a hard error on a connected socket (Linux). */
Test(udp, soft_errors_and_unconnected_sockets_hear_nothing)
{
	static const struct { uint8_t type, code; int err; } t_[] = {
		{ ICMP_UNREACH, ICMP_UNREACH_NET, 0 },
		{ ICMP_UNREACH, ICMP_UNREACH_HOST, 0 },
		{ ICMP_UNREACH, ICMP_UNREACH_PROTO, -ENOPROTOOPT },
		{ ICMP_UNREACH, ICMP_UNREACH_PORT, -ECONNREFUSED },
		{ ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, -EMSGSIZE },
		{ ICMP_UNREACH, 10, -EHOSTUNREACH },     /* host prohibited */
		{ ICMP_TIME_EXCEEDED, 0, 0 },
		{ ICMP_PARAM_PROBLEM, 0, -EPROTO },
		{ ICMP_SOURCE_QUENCH, 0, 0 },
	};
	struct th t;
	struct udp_sock *c, *u;
	uint32_t peer = TH_PEER;

	setup(&t);
	udp_open(t.s, IP_V4, &c);
	udp_open(t.s, IP_V4, &u);
	udp_connect(c, TH_A4(TH_PEER), 53);
	for (size_t i = 0; i < sizeof(t_) / sizeof(t_[0]); i++) {
		cr_assert_eq(udp_sendto(c, "q", 1, NULL, 0, t.now), 0);
		th_icmp_error(&t, th_pop(&t), t_[i].type, t_[i].code, 1400,
			      TH_PEER, 28);
		cr_expect_eq(udp_sock_error(c), t_[i].err, "type %u code %u",
			     t_[i].type, t_[i].code);
		cr_assert_eq(udp_sendto(u, "q", 1, TH_A4(peer), 53, t.now), 0);
		th_icmp_error(&t, th_pop(&t), t_[i].type, t_[i].code, 1400,
			      TH_PEER, 28);
		cr_expect_eq(udp_sock_error(u), 0, "unconnected");
	}
	/* IP_PMTUDISC_DONT: fragmentation needed means nothing */
	dgram_setopt(udp_dgram(c), DGRAM_IP_MTU_DISCOVER, DGRAM_PMTU_DONT);
	udp_sendto(c, "q", 1, NULL, 0, t.now);
	th_icmp_error(&t, th_pop(&t), ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 1400,
		      TH_PEER, 28);
	cr_expect_eq(udp_sock_error(c), 0);
	udp_close(c);
	udp_close(u);
	th_fini(&t);
}

/* IP_MTU_DISCOVER: DF on what fits (WANT), EMSGSIZE and a local error. */
Test(udp, mtu_discovery_and_the_local_error)
{
	struct th t;
	struct udp_sock *us;
	struct dgram *dg;
	struct dgram_info in;
	struct dgram_ee ee;
	struct ipv4_hdr h;
	static uint8_t big[2000];
	uint32_t peer = TH_PEER;
	unsigned nfrag;
	size_t len;

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	dg = udp_dgram(us);
	udp_sendto(us, "a", 1, TH_A4(peer), 9, t.now);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &len);
	cr_expect(h.frag & IP_FLAG_DF, "WANT, the default: DF when it fits");
	udp_sendto(us, big, sizeof(big), TH_A4(peer), 9, t.now);
	th_collect(&t, TH_PEER_MAC, pl, sizeof(pl), &h, &nfrag);
	cr_expect_eq(nfrag, 2, "too big: fragments without DF");
	dgram_setopt(dg, DGRAM_IP_MTU_DISCOVER, DGRAM_PMTU_DONT);
	udp_sendto(us, "a", 1, TH_A4(peer), 9, t.now);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &len);
	cr_expect(!(h.frag & IP_FLAG_DF));
	dgram_setopt(dg, DGRAM_IP_MTU_DISCOVER, DGRAM_PMTU_DO);
	dgram_setopt(dg, DGRAM_IP_RECVERR, 1);
	cr_expect_eq(udp_sendto(us, big, sizeof(big), TH_A4(peer), 9, t.now),
		     -EMSGSIZE);
	th_expect_silence(&t);
	cr_assert_not_null(dgram_errq_peek(dg, &in, &ee, &len));
	cr_expect_eq(ee.origin, DGRAM_EE_LOCAL);
	cr_expect_eq(ee.err, EMSGSIZE);
	cr_expect_eq(ee.info, 1500, "the MTU");
	cr_expect_eq(ee.addr.v4, TH_PEER);
	cr_expect_eq(ee.port, 0, "unconnected: no port, as Linux's inet_dport");
	cr_expect_eq(len, 0);
	cr_expect_eq(dgram_take_error(dg), 0, "a local error is not pending");
	cr_expect_eq(dgram_setopt(dg, DGRAM_IP_MTU_DISCOVER, 6), -EINVAL);
	udp_close(us);
	th_fini(&t);
}

/* sendmsg's IP_TTL, IP_TOS and IP_PKTINFO source; the socket's IP_TTL */
Test(udp, per_datagram_options)
{
	struct th t;
	struct udp_sock *us;
	struct dgram_tx tx = { .ttl = 3, .tos = 0x10, .src = { 0 } };
	struct ipv4_hdr h;
	uint32_t peer = TH_PEER;
	size_t len;

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_sendmsg(us, "a", 1, TH_A4(peer), 9, &tx, t.now), 0);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &len);
	cr_expect_eq(h.ttl, 3);
	cr_expect_eq(h.tos, 0x10);
	cr_expect_eq(dgram_setopt(udp_dgram(us), DGRAM_IP_TTL, 0), -EINVAL);
	cr_expect_eq(dgram_setopt(udp_dgram(us), DGRAM_IP_TTL, 9), 0);
	cr_assert_eq(udp_sendto(us, "a", 1, TH_A4(peer), 9, t.now), 0);
	th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &len);
	cr_expect_eq(h.ttl, 9);
	tx.src = ip4(TH_FAR);
	cr_expect_eq(udp_sendmsg(us, "a", 1, TH_A4(peer), 9, &tx, t.now),
		     -ENETUNREACH, "a source that is not ours");
	udp_close(us);
	th_fini(&t);
}

/* ARP gets no answer: ICMP host unreachable, from ourselves (Linux). */
Test(udp, neighbour_that_never_answers_is_host_unreachable)
{
	struct th t;
	struct udp_sock *us;
	struct dgram_info in;
	struct dgram_ee ee;
	uint32_t nobody = IPV4(192, 0, 2, 99);
	size_t len;

	setup(&t);
	udp_open(t.s, IP_V4, &us);
	dgram_setopt(udp_dgram(us), DGRAM_IP_RECVERR, 1);
	cr_assert_eq(udp_sendto(us, "a", 1, TH_A4(nobody), 9, t.now), 0);
	for (unsigned i = 0; i < t.cfg.neigh_mcast_solicit; i++) {
		th_pop(&t);                  /* the ARP request */
		th_tick(&t, t.cfg.neigh_retrans);
	}
	th_expect_silence(&t);
	cr_assert_not_null(dgram_errq_peek(udp_dgram(us), &in, &ee, &len));
	cr_expect_eq(ee.err, EHOSTUNREACH);
	cr_expect_eq(ee.type, ICMP_UNREACH);
	cr_expect_eq(ee.code, ICMP_UNREACH_HOST);
	cr_expect_eq(ee.offender.v4, TH_IP, "from ourselves");
	cr_expect_eq(ee.addr.v4, nobody);
	cr_expect_eq(th_cnt(&t)->neigh_resolve_fail, 1);
	udp_close(us);
	th_fini(&t);
}

/* A socket without a port receives nothing, not even what is sent to
 * port 0 (as Linux: it is in no table); port 0 is unreachable */
Test(udp, unbound_socket_takes_nothing_for_port_zero)
{
	struct th t;
	struct udp_sock *us;
	struct udp_meta m;

	setup(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	inject(&t, TH_PEER, 4000, TH_IP, 0, "port zero");
	cr_expect_null(udp_recv_peek(us, &m));
	cr_expect_eq(th_cnt(&t)->udp_rx_no_port, 1);
	th_pop(&t);             /* the port unreachable */
	udp_close(us);
	th_fini(&t);
}
