/* SPDX-License-Identifier: MIT */
/*
 * 41-loopback: the stack's own loopback interface, as Linux's lo: every
 * address of 127/8 is ours, TCP and UDP through it never touch the link,
 * the names are 127.0.0.1, 0.0.0.0 as a destination means the loopback,
 * a loopback source cannot leave on the link (EINVAL) and a loopback
 * destination cannot come from it (RFC 1122 3.2.1.3, a martian).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "tcp.h"
#include "udp.h"

#define LO IPV4(127, 0, 0, 1)

static struct th t;
static uint8_t fbuf[2048], pl[2048];

static void setup(void)
{
	th_init(&t);
	th_learn(&t, TH_PEER, TH_PEER_MAC);
}

static void teardown(void)
{
	th_tick(&t, 3600 * NSEC_PER_SEC);   /* TIME_WAIT runs out */
	cr_expect_eq(tcp_sock_count(t.s), 0, "sockets left");
	th_fini(&t);
}

TestSuite(loopback, .init = setup, .fini = teardown);

static struct tcp_sock *listener(uint32_t addr, uint16_t port)
{
	struct tcp_sock *l;

	cr_assert_eq(tcp_open(t.s, IP_V4, &l, t.now), 0);
	cr_assert_eq(tcp_bind(l, TH_A4(addr), port), 0);
	cr_assert_eq(tcp_listen(l, 8, t.now), 0);
	return l;
}

/* connect to @dst:80, accept on @l; checks both ends' names */
static void pair(struct tcp_sock *l, uint32_t dst, uint32_t want_src,
		 uint32_t want_dst, struct tcp_sock **c, struct tcp_sock **a)
{
	struct ip_addr addr;
	uint16_t port, cport;

	cr_assert_eq(tcp_open(t.s, IP_V4, c, t.now), 0);
	cr_assert_eq(tcp_connect(*c, TH_A4(dst), 80, t.now), -EINPROGRESS);
	cr_assert_eq(tcp_sock_state(*c), TCP_ESTABLISHED,
		     "the handshake is done within the call");
	cr_assert_eq(tcp_accept(l, a), 0);
	tcp_getsockname(*c, &addr, &cport);
	cr_assert_eq(addr.v4, want_src, "source %#x", addr.v4);
	tcp_getpeername(*c, &addr, &port);
	cr_assert_eq(addr.v4, want_dst, "peer %#x", addr.v4);
	cr_assert_eq(port, 80);
	tcp_getsockname(*a, &addr, &port);
	cr_assert_eq(addr.v4, want_dst);
	tcp_getpeername(*a, &addr, &port);
	cr_assert_eq(addr.v4, want_src);
	cr_assert_eq(port, cport);
}

/* TCP to 127.0.0.1: done within the calls, with the loopback's MSS (Linux:
 * 65495, less 12 for timestamps), bulk both ways, nothing on the link */
Test(loopback, tcp_stays_inside)
{
	static uint8_t out[300000], in[300000];
	struct tcp_sock *l = listener(0, 80), *c, *a;
	struct tcp_info_rec i;
	size_t sent = 0, got = 0;
	uint64_t frames = th_cnt(&t)->eth_tx_frames;

	pair(l, LO, LO, LO, &c, &a);
	tcp_get_info(c, &i, t.now);
	cr_assert_eq(i.snd_mss, 65483);
	cr_assert_eq(i.rcv_mss, 65495);
	th_pattern(out, sizeof(out), 3);
	while (got < sizeof(out)) {
		ssize_t n = 0;

		if (sent < sizeof(out)) {
			n = tcp_send(c, out + sent, sizeof(out) - sent, t.now);
			cr_assert(n > 0 || n == -EAGAIN);
			sent += n > 0 ? (size_t)n : 0;
		}
		n = tcp_recv(a, in + got, sizeof(in) - got, 0, t.now);
		cr_assert(n > 0 || n == -EAGAIN, "recv %zd at %zu", n, got);
		got += n > 0 ? (size_t)n : 0;
		th_tick(&t, NSEC_PER_MSEC);
	}
	cr_assert_eq(memcmp(in, out, sizeof(out)), 0);
	tcp_close(c, t.now);
	cr_assert_eq(tcp_recv(a, in, 10, 0, t.now), 0, "end of stream");
	tcp_close(a, t.now);
	tcp_close(l, t.now);
	th_expect_silence(&t);
	cr_assert_eq(th_cnt(&t)->tcp_retrans_segs, 0);
	cr_assert_eq(th_cnt(&t)->eth_tx_frames, frames);
}

/* Every address of the block is ours; the source is 127.0.0.1 */
Test(loopback, any_127_address)
{
	struct tcp_sock *l = listener(0, 80), *l5, *c, *a, *b;
	struct udp_sock *us;

	pair(l, IPV4(127, 45, 6, 7), LO, IPV4(127, 45, 6, 7), &c, &a);
	tcp_abort(c, t.now);
	tcp_abort(a, t.now);
	tcp_close(l, t.now);
	l5 = listener(IPV4(127, 0, 0, 5), 80);
	pair(l5, IPV4(127, 0, 0, 5), LO, IPV4(127, 0, 0, 5), &c, &a);
	tcp_abort(c, t.now);
	tcp_abort(a, t.now);
	tcp_close(l5, t.now);
	cr_assert_eq(tcp_open(t.s, IP_V4, &b, t.now), 0);
	cr_assert_eq(tcp_bind(b, TH_A4(IPV4(127, 200, 0, 1)), 0), 0);
	tcp_close(b, t.now);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(udp_bind(us, TH_A4(IPV4(127, 1, 2, 3)), 0), 0);
	udp_close(us);
	th_expect_silence(&t);
}

/* Linux's ip_route_output(): 0.0.0.0 as a destination is the bound
 * address, or 127.0.0.1 */
Test(loopback, zero_destination_is_the_loopback)
{
	struct tcp_sock *l = listener(0, 80), *c, *a;
	struct udp_sock *r, *s;
	struct udp_meta m;
	struct ip_addr name;
	uint32_t zero = 0;
	uint16_t port;

	pair(l, 0, LO, LO, &c, &a);
	tcp_abort(c, t.now);
	tcp_abort(a, t.now);
	cr_assert_eq(tcp_open(t.s, IP_V4, &c, t.now), 0);
	cr_assert_eq(tcp_bind(c, TH_A4(TH_IP), 0), 0);
	cr_assert_eq(tcp_connect(c, TH_A4(0), 80, t.now), -EINPROGRESS);
	cr_assert_eq(tcp_accept(l, &a), 0);
	tcp_getpeername(c, &name, &port);
	cr_assert_eq(name.v4, TH_IP, "bound: to its own address");
	tcp_abort(c, t.now);
	tcp_abort(a, t.now);
	tcp_close(l, t.now);
	cr_assert_eq(udp_open(t.s, IP_V4, &r), 0);
	cr_assert_eq(udp_open(t.s, IP_V4, &s), 0);
	cr_assert_eq(udp_bind(r, NULL, 9000), 0);
	zero = 0;
	cr_assert_eq(udp_sendto(s, "hi", 2, TH_A4(zero), 9000, t.now), 0);
	cr_assert_not_null(udp_recv_peek(r, &m));
	cr_assert_eq(m.src.v4, LO);
	udp_close(r);
	udp_close(s);
	th_expect_silence(&t);
}

/* Nobody on the port: TCP is refused (RST), a connected UDP socket gets
 * the port unreachable as ECONNREFUSED, as on the link */
Test(loopback, closed_ports_refuse)
{
	struct tcp_sock *c;
	struct udp_sock *us;

	cr_assert_eq(tcp_open(t.s, IP_V4, &c, t.now), 0);
	cr_assert_eq(tcp_connect(c, TH_A4(LO), 81, t.now), -EINPROGRESS);
	cr_assert_eq(tcp_sock_error(c), -ECONNREFUSED);
	tcp_close(c, t.now);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(udp_connect(us, TH_A4(LO), 81), 0);
	cr_assert_eq(udp_sendto(us, "x", 1, NULL, 0, t.now), 0);
	cr_assert_eq(udp_sock_error(us), -ECONNREFUSED);
	udp_close(us);
	th_expect_silence(&t);
}

/* A listener on the link's address does not take 127.0.0.1 */
Test(loopback, link_listener_is_not_the_loopbacks)
{
	struct tcp_sock *l = listener(TH_IP, 80), *c, *a;

	cr_assert_eq(tcp_open(t.s, IP_V4, &c, t.now), 0);
	cr_assert_eq(tcp_connect(c, TH_A4(LO), 80, t.now), -EINPROGRESS);
	cr_assert_eq(tcp_sock_error(c), -ECONNREFUSED);
	tcp_close(c, t.now);
	/* but our own link address, through the loopback too */
	pair(l, TH_IP, TH_IP, TH_IP, &c, &a);
	tcp_abort(c, t.now);
	tcp_abort(a, t.now);
	tcp_close(l, t.now);
	th_expect_silence(&t);
}

/* Linux: EINVAL for a loopback source towards the link; nothing sent */
Test(loopback, loopback_source_never_reaches_the_link)
{
	struct tcp_sock *c;
	struct udp_sock *us;
	uint32_t peer = TH_PEER;

	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(udp_bind(us, TH_A4(LO), 0), 0);
	cr_assert_eq(udp_sendto(us, "x", 1, TH_A4(peer), 7, t.now), -EINVAL);
	cr_assert_eq(udp_connect(us, TH_A4(TH_PEER), 7), -EINVAL);
	udp_close(us);
	cr_assert_eq(tcp_open(t.s, IP_V4, &c, t.now), 0);
	cr_assert_eq(tcp_bind(c, TH_A4(LO), 0), 0);
	cr_assert_eq(tcp_connect(c, TH_A4(TH_PEER), 80, t.now), -EINVAL);
	tcp_close(c, t.now);
	th_expect_silence(&t);
	cr_assert_eq(th_cnt(&t)->ip_tx_bad_src, 1);
}

static size_t udp_frame(uint32_t src, uint32_t dst, uint16_t dport)
{
	struct th_ip ip;

	put16(pl, 5000);
	put16(pl + 2, dport);
	put16(pl + 4, UDP_HLEN + 2);
	put16(pl + 6, 0);        /* no checksum */
	memcpy(pl + UDP_HLEN, "hi", 2);
	th_ip_default(&ip, IP_PROTO_UDP);
	ip.src = src;
	ip.dst = dst;
	return th_ipv4(fbuf, TH_MAC, &ip, pl, UDP_HLEN + 2);
}

/* From the link, 127/8 is a martian as destination and as source, ARP
 * does not answer for it, and the host cannot hand the loopback a frame */
Test(loopback, link_cannot_reach_the_loopback)
{
	struct udp_sock *us;
	struct udp_meta m;
	uint8_t f[64];
	size_t len;

	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_assert_eq(udp_bind(us, NULL, 9000), 0);
	th_input(&t, fbuf, udp_frame(TH_PEER, LO, 9000));
	cr_assert_eq(th_cnt(&t)->ip_rx_bad_dst, 1);
	th_input(&t, fbuf, udp_frame(LO, TH_IP, 9000));
	cr_assert_eq(th_cnt(&t)->ip_rx_bad_src, 1);
	stack_input_copy(t.s, STACK_IF_LOOPBACK, fbuf, udp_frame(LO, LO, 9000),
			 t.now);
	cr_assert_null(udp_recv_peek(us, &m), "nothing came through");
	len = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, TH_PEER,
		     TH_ZERO_MAC, LO);
	th_input(&t, f, len);
	cr_assert_eq(th_cnt(&t)->arp_rx_other_target, 1);
	len = th_arp(f, eth_broadcast, ARP_OP_REQUEST, TH_PEER_MAC, LO,
		     TH_ZERO_MAC, TH_IP);
	th_input(&t, f, len);
	cr_assert_eq(th_cnt(&t)->arp_rx_bad_sender, 1);
	cr_assert_eq(th_cnt(&t)->arp_conflict, 0);
	udp_close(us);
	th_expect_silence(&t);
}

static unsigned echo_calls;
static uint32_t echo_src;

static void on_echo(void *ctx, uint32_t src, uint16_t id, uint16_t seq,
		    size_t len, uint8_t ttl)
{
	(void)ctx;
	echo_calls++;
	echo_src = src;
}

/* ustackctl ping 127.0.0.1: the stack answers itself */
Test(loopback, ping_ourselves)
{
	t.ops.echo_reply = on_echo;
	echo_calls = 0;
	cr_assert_eq(stack_ping(t.s, IPV4(127, 1, 1, 1), 9, 1, 56, t.now), 0);
	th_tick(&t, 0);         /* the host's next call delivers it */
	cr_assert_eq(echo_calls, 1);
	cr_assert_eq(echo_src, IPV4(127, 1, 1, 1));
	th_expect_silence(&t);
}
