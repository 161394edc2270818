/* SPDX-License-Identifier: MIT */
/*
 * 72-udp.c - UDP: input checks and delivery, port unreachable, bind rules,
 * connected sockets and ICMP errors, broadcast, big datagrams in
 * fragments, ENOBUFS from a full link, receive buffer bound
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
	cr_assert_eq(udp_open(t.s, &us), 0);
	cr_assert_eq(udp_bind(us, 0, 5353), 0);
	inject(&t, TH_PEER, 4000, TH_IP, 5353, "hello");
	cr_expect_eq(events, UDP_EV_READABLE);
	cr_expect_eq(ev_sock, udp_dgram(us));
	d = udp_recv_peek(us, &m);
	cr_assert_not_null(d);
	cr_expect_eq(m.len, 5);
	cr_expect_eq(m.src, TH_PEER);
	cr_expect_eq(m.sport, 4000);
	cr_expect_eq(m.dst, TH_IP);
	cr_expect_eq(m.dport, 5353);
	cr_expect_arr_eq(d, "hello", 5);
	udp_recv_next(us);
	cr_expect_null(udp_recv_peek(us, &m));
	cr_expect_eq(udp_recv_queued(us), 0);

	cr_assert_eq(udp_sendto(us, "world", 5, &peer, 4000, t.now), 0);
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
	cr_assert_eq(udp_open(t.s, &us), 0);
	cr_assert_eq(udp_bind(us, 0, 7), 0);
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
	uint32_t addr;
	uint16_t port;

	setup(&t);
	udp_open(t.s, &a);
	udp_open(t.s, &b);
	udp_open(t.s, &c);
	cr_expect_eq(udp_bind(a, TH_PEER, 1000), -EADDRNOTAVAIL);
	cr_expect_eq(udp_bind(a, TH_IP, 1000), 0);
	cr_expect_eq(udp_bind(a, 0, 1001), -EINVAL, "already bound");
	cr_expect_eq(udp_bind(b, 0, 1000), -EADDRINUSE);
	cr_expect_eq(udp_bind(b, 0, 0), 0);
	udp_getsockname(b, &addr, &port);
	cr_expect_eq(addr, 0);
	cr_expect(port >= UDP_PORT_LO && port <= UDP_PORT_HI);
	cr_expect_eq(udp_getpeername(b, &addr, &port), -ENOTCONN);
	udp_close(a);
	/* SO_REUSEADDR on both: a shared port */
	udp_open(t.s, &a);
	udp_setsockopt(a, UDP_SO_REUSEADDR, 1);
	udp_setsockopt(c, UDP_SO_REUSEADDR, 1);
	cr_expect_eq(udp_bind(a, 0, 2000), 0);
	cr_expect_eq(udp_bind(c, 0, 2000), 0);
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
	uint32_t addr;
	uint16_t port;

	setup(&t);
	udp_open(t.s, &us);
	cr_assert_eq(udp_connect(us, TH_PEER, 53), 0);
	udp_getsockname(us, &addr, &port);
	cr_expect_eq(addr, TH_IP, "source fixed by connect");
	cr_expect_neq(port, 0, "autobound");
	cr_expect_eq(udp_getpeername(us, &addr, &port), 0);
	cr_expect_eq(addr, TH_PEER);
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
	udp_open(t.s, &a);
	udp_open(t.s, &b);
	cr_expect_eq(udp_sendto(a, "x", 1, &bc, 67, t.now), -EACCES);
	cr_expect_eq(udp_sendto(a, "x", 1, &all, 67, t.now), -EACCES);
	udp_setsockopt(a, UDP_SO_BROADCAST, 1);
	cr_expect_eq(udp_sendto(a, "x", 1, &all, 67, t.now), 0);
	th_check_eth(th_pop(&t), (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff }, ETH_P_IP);
	/* a received broadcast reaches every socket on the port */
	udp_setsockopt(a, UDP_SO_REUSEADDR, 1);
	udp_setsockopt(b, UDP_SO_REUSEADDR, 1);
	udp_close(a);
	udp_open(t.s, &a);
	udp_setsockopt(a, UDP_SO_REUSEADDR, 1);
	cr_assert_eq(udp_bind(a, 0, 520), 0);
	cr_assert_eq(udp_bind(b, 0, 520), 0);
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
	udp_open(t.s, &us);
	th_pattern(big, sizeof(big), 3);
	cr_expect_eq(udp_sendto(us, big, UDP_MAX_PAYLOAD + 1, &peer, 9, t.now),
		     -EMSGSIZE);
	cr_assert_eq(udp_sendto(us, big, UDP_MAX_PAYLOAD, &peer, 9, t.now), 0);
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
	udp_open(t.s, &us);
	t.link_rc = -ENOBUFS;
	cr_expect_eq(udp_sendto(us, "x", 1, &peer, 9, t.now), -ENOBUFS);
	cr_expect_eq(th_cnt(&t)->udp_tx_nobufs, 1);
	cr_expect_eq(th_cnt(&t)->udp_tx, 0);
	t.link_rc = 0;
	cr_expect_eq(udp_sendto(us, "x", 1, &peer, 9, t.now), 0);
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
	udp_open(t.s, &us);
	udp_bind(us, 0, 9);
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
	udp_open(t.s, &a);
	udp_open(t.s, &b);
	cr_assert_eq(udp_bind(a, 0, 9500), 0);
	cr_assert_eq(udp_sendto(b, "me", 2, &self, 9500, t.now), 0);
	th_expect_silence(&t);
	d = udp_recv_peek(a, &m);
	cr_assert_not_null(d, "delivered through the loopback queue");
	cr_expect_arr_eq(d, "me", 2);
	cr_expect_eq(m.src, TH_IP);
	udp_close(a);
	udp_close(b);
	th_fini(&t);
}
