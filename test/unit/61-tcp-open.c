/* SPDX-License-Identifier: MIT */
/*
 * 61-tcp-open.c - connection establishment (RFC 9293 3.5), options
 * (RFC 7323, RFC 2018, MSS), RST for closed ports, SYN retries
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_open, .init = th_setup, .fini = th_teardown);

TH_TEST(tcp_open, passive_open_three_way_handshake)
{
	struct tcp_sock *l, *c;

	th_passive_open(&l, &c, 1000, true);
	cr_assert_eq(th_counter("tcp_passive_opens"), 1);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
}

/* Linux's SYN-ACK: MSS, SACK-permitted, timestamps, NOP, window scale */
TH_TEST(tcp_open, synack_options_in_linux_order)
{
	struct tcp_sock *l;
	struct th_seg syn = th_tmpl(TCP_SYN, 77, 0);
	const uint8_t *t;
	size_t len;
	static const uint8_t head[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 };
	static const uint8_t tail[] = { 1, 3, 3, 7 };

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	syn.sackok = true;
	syn.ts = true;
	syn.tsval = 42;
	syn.ws = 2;
	th_inject(&syn);
	t = th_peek_tcp(&len);
	cr_assert_eq(len, 40);
	cr_assert_eq(t[12] >> 4, 10);
	cr_assert(!memcmp(t + 20, head, sizeof(head)));
	cr_assert_eq(get32(t + 32), 42, "TSecr echoes the SYN's TSval");
	cr_assert(!memcmp(t + 36, tail, sizeof(tail)));
	T.head++;
	tcp_close(l, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = TH_ANY,
				    .ack = 78, .wnd = TH_ANY, .mss = -1, .ws = -1,
				    .ts = true, .tsecr = TH_ANY });
}

/* Without timestamps: MSS, NOP, NOP, SACK-permitted, NOP, window scale */
TH_TEST(tcp_open, synack_without_timestamps)
{
	struct tcp_sock *l;
	struct th_seg syn = th_tmpl(TCP_SYN, 77, 0);
	const uint8_t *t;
	size_t len;
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	syn.sackok = true;
	syn.ws = 0;
	th_inject(&syn);
	t = th_peek_tcp(&len);
	cr_assert_eq(len, 32);
	cr_assert(!memcmp(t + 20, opts, sizeof(opts)));
	T.head++;
	tcp_close(l, T.now);
	th_advance(1);
	while (th_pending())
		T.head++;
}

TH_TEST(tcp_open, active_open)
{
	struct tcp_sock *c;

	th_active_open(&c, 5555, true);
	cr_assert_eq(th_counter("tcp_active_opens"), 1);
	tcp_abort(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = TH_ANY,
				    .ack = 5556, .wnd = TH_ANY, .mss = -1, .ws = -1,
				    .ts = true, .tsecr = TH_ANY });
}

/* RFC 7323 2.3: a shift above 14 is used as 14; MSS is clamped to the
 * route; without WS from the peer neither side scales. */
TH_TEST(tcp_open, window_scale_edges)
{
	struct tcp_sock *l, *c;
	struct th_seg syn = th_tmpl(TCP_SYN, 100, 0), ack;
	struct tcp_seg g;
	struct tcp_info_rec i;

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	syn.mss = 9000;
	syn.ws = 15;
	th_inject(&syn);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 101, .wnd = 64240, .mss = 1460,
					.ws = 7, .tsecr = TH_ANY });
	ack = th_tmpl(TCP_ACK, 101, g.seq + 1);
	ack.wnd = 4;  /* << 14 = 65536 */
	th_inject(&ack);
	cr_assert_eq(tcp_accept(l, &c), 0);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.snd_wscale, 14);
	cr_assert_eq(i.snd_wnd, 65536);
	cr_assert_eq(i.snd_mss, 1460, "no timestamps: full MSS, clamped");
	tcp_close(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = g.seq + 1,
				    .ack = 101, .wnd = 512, .mss = -1, .ws = -1,
				    .tsecr = TH_ANY });
	tcp_close(l, T.now);
	th_inject(&(struct th_seg){ .flags = TCP_RST, .seq = 101, .wnd = 0,
				    .mss = -1, .ws = -1 });
}

TH_TEST(tcp_open, no_window_scale_from_peer)
{
	struct tcp_sock *l, *c;
	struct th_seg syn = th_tmpl(TCP_SYN, 100, 0), ack;
	struct tcp_seg g;
	struct tcp_info_rec i;

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	syn.mss = 1000;
	th_inject(&syn);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 101, .wnd = 64240, .mss = 1460,
					.tsecr = TH_ANY, .ws = -1 });
	ack = th_tmpl(TCP_ACK, 101, g.seq + 1);
	ack.wnd = 8000;
	th_inject(&ack);
	cr_assert_eq(tcp_accept(l, &c), 0);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.snd_wscale, 0);
	cr_assert_eq(i.rcv_wscale, 0);
	cr_assert_eq(i.snd_mss, 1000);
	cr_assert_eq(i.snd_wnd, 8000);
	cr_assert_eq(tcp_send(c, "x", 1, T.now), 1);
	th_expect(&(struct th_seg){ .flags = TCP_ACK | TCP_PSH, .seq = g.seq + 1,
				    .ack = 101, .wnd = 65535, .mss = -1, .ws = -1,
				    .data = "x", .len = 1 });
	tcp_abort(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = g.seq + 2,
				    .ack = 101, .wnd = TH_ANY, .mss = -1, .ws = -1 });
	tcp_close(l, T.now);
}

/* RFC 9293 3.10.7.1: SYN to a closed port: <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>; an ACK segment: <SEQ=SEG.ACK><CTL=RST>; a RST: nothing */
TH_TEST(tcp_open, rst_for_closed_port)
{
	T.lport = 81;
	th_inject(&(struct th_seg){ .flags = TCP_SYN, .seq = 1000, .wnd = 100,
				    .mss = -1, .ws = -1 });
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = 0,
				    .ack = 1001, .wnd = 0, .mss = -1, .ws = -1 });
	th_inject(&(struct th_seg){ .flags = TCP_ACK, .seq = 1000, .ack = 777,
				    .wnd = 100, .mss = -1, .ws = -1 });
	th_expect(&(struct th_seg){ .flags = TCP_RST, .seq = 777, .wnd = 0,
				    .mss = -1, .ws = -1 });
	th_inject(&(struct th_seg){ .flags = TCP_RST, .seq = 1000, .wnd = 100,
				    .mss = -1, .ws = -1 });
	th_expect_none();
	cr_assert_eq(th_counter("tcp_rx_no_sock"), 3);
}

/* SYN retransmitted at 1, 3, 7, 15, 31, 63 s (RTO doubling from 1 s,
 * RFC 6298 5.5), ETIMEDOUT at 127 s after 6 retries, as Linux. */
TH_TEST(tcp_open, syn_retries_then_etimedout)
{
	struct tcp_sock *c;
	uint64_t t0 = T.now;
	static const unsigned at[] = { 1, 3, 7, 15, 31, 63 };
	struct th_seg syn = th_our_syn();

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EALREADY);
	th_expect(&syn);
	for (unsigned i = 0; i < 6; i++) {
		th_advance_to(t0 + at[i] * TH_SEC - 1);
		th_expect_none();
		th_advance(1);
		th_expect(&syn);
	}
	th_advance_to(t0 + 127 * TH_SEC - 1);
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_SENT);
	th_advance(1);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert(T.events & TCP_EV_ERROR);
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	th_expect_none();
	tcp_close(c, T.now);
}

/* TCP_USER_TIMEOUT 2500 ms ends an unanswered connect 2.5 s after the
 * SYN, before its retries: the SYN resent at 1 s, the next timeout cut
 * short from 3 s to 2.5 s (Linux's tcp_write_timeout() and
 * tcp_clamp_rto_to_user_timeout()) */
TH_TEST(tcp_open, syn_ends_at_user_timeout)
{
	struct tcp_sock *c;
	uint64_t t0 = T.now;
	struct th_seg syn = th_our_syn();

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_USER_TIMEOUT, 2500, T.now), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	th_expect(&syn);
	th_advance_to(t0 + TH_SEC);
	th_expect(&syn);
	th_advance_to(t0 + 2500 * TH_MS - 1);
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_SENT);
	th_advance(1);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	th_expect_none();
	tcp_close(c, T.now);
}

/* RFC 9293 3.10.7.3: RST with an acceptable ACK in SYN_SENT refuses */
TH_TEST(tcp_open, connection_refused)
{
	struct tcp_sock *c;
	struct th_seg syn = th_our_syn();
	struct tcp_seg g;

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	g = th_expect(&syn);
	tcp_getsockname(c, &(struct ip_addr){ 0 }, &T.lport);
	T.pport = 80;
	/* unacceptable ACK: RST back, connection unaffected */
	th_inject(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = 9,
				    .ack = g.seq + 5, .wnd = 100, .mss = -1, .ws = -1 });
	th_expect(&(struct th_seg){ .flags = TCP_RST, .seq = g.seq + 5, .wnd = 0,
				    .mss = -1, .ws = -1 });
	th_inject(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = 0,
				    .ack = g.seq + 1, .wnd = 0, .mss = -1, .ws = -1 });
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ECONNREFUSED);
	tcp_close(c, T.now);
}

/* RFC 9293 3.5 figure 8: simultaneous open */
TH_TEST(tcp_open, simultaneous_open)
{
	struct tcp_sock *c;
	struct th_seg syn = th_our_syn();
	struct tcp_seg g;

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	g = th_expect(&syn);
	tcp_getsockname(c, &(struct ip_addr){ 0 }, &T.lport);
	T.pport = 80;
	/* the peer's own SYN crosses ours */
	th_inject(&(struct th_seg){ .flags = TCP_SYN, .seq = 300, .wnd = 1000,
				    .mss = 1200, .ws = -1 });
	th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = g.seq,
				    .ack = 301, .wnd = TH_ANY, .mss = 1460, .ws = -1,
				    .tsecr = TH_ANY });
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_RECEIVED);
	/* and its SYN-ACK arrives */
	th_inject(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = 300,
				    .ack = g.seq + 1, .wnd = 1000, .mss = 1200,
				    .ws = -1 });
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	cr_assert(T.events & TCP_EV_CONNECTED);
	tcp_abort(c, T.now);
	while (th_pending())
		T.head++;
}

/* RFC 9293 3.10.7.4: a RST in SYN_RECEIVED (passive) "return this
 * connection to LISTEN state": the child goes, the listener stays */
TH_TEST(tcp_open, rst_in_syn_received)
{
	struct tcp_sock *l, *c;
	struct th_seg syn = th_tmpl(TCP_SYN, 500, 0), r;
	struct tcp_seg g;

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	th_inject(&syn);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 501, .wnd = TH_ANY, .mss = 1460,
					.ws = -1 });
	cr_assert_eq(tcp_sock_count(T.s), 2);
	r = th_tmpl(TCP_RST, 501, 0);
	r.wnd = 0;
	th_inject(&r);
	cr_assert_eq(tcp_sock_count(T.s), 1);
	cr_assert_eq(tcp_accept(l, &c), -EAGAIN);
	/* a new SYN from the same port is a new connection */
	syn.seq = 900;
	th_inject(&syn);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 901, .wnd = TH_ANY, .mss = 1460,
					.ws = -1 });
	/* a retransmitted SYN gets the SYN-ACK again */
	th_inject(&syn);
	th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = g.seq,
				    .ack = 901, .wnd = TH_ANY, .mss = 1460,
				    .ws = -1 });
	/* an ACK that does not acknowledge our SYN: RST <SEQ=SEG.ACK> */
	r = th_tmpl(TCP_ACK, 901, g.seq + 7);
	r.wnd = 100;
	th_inject(&r);
	th_expect(&(struct th_seg){ .flags = TCP_RST, .seq = g.seq + 7,
				    .wnd = 0, .mss = -1, .ws = -1 });
	tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

/* Closing in SYN_SENT just forgets the attempt */
TH_TEST(tcp_open, close_in_syn_sent)
{
	struct tcp_sock *c;

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	T.head++;
	tcp_close(c, T.now);
	th_expect_none();
	cr_assert_eq(tcp_sock_count(T.s), 0);
}

/* The handshake's ACK lost, the peer's first data completes it; data
 * with FIN goes straight on to CLOSE_WAIT, its ACK delayed (Linux's
 * tcp_fin(): pingpong mode), so that it rides on the FIN of the close */
TH_TEST(tcp_open, data_and_fin_complete_handshake)
{
	struct tcp_sock *l, *c;
	struct th_seg syn = th_tmpl(TCP_SYN, 500, 0), d;
	struct tcp_seg g;
	char b[8];

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	th_inject(&syn);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 501, .wnd = TH_ANY, .mss = 1460,
					.ws = -1 });
	d = th_tmpl(TCP_ACK | TCP_PSH | TCP_FIN, 501, g.seq + 1);
	d.wnd = 1000;
	d.data = "hi";
	d.len = 2;
	th_inject(&d);
	th_expect_none();
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSE_WAIT);
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 2);
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 0);
	tcp_close(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = g.seq + 1,
				    .ack = 504, .wnd = TH_ANY, .mss = -1, .ws = -1 });
	tcp_close(l, T.now);
	th_advance(3600 * TH_SEC);
	while (th_pending())
		T.head++;
}

/*
 * The window of a SYN and a SYN-ACK as Linux's tcp_select_initial_window()
 * picks it: the buffer's window (tcp_full_space(): half the buffer at
 * the scaling ratio a socket starts with) quantized to the MSS first, the
 * 16-bit field's cap after. The default 131072-byte buffer: 65536, so
 * 65160 = 45 x 1448 in a SYN-ACK with timestamps, 64240 = 44 x 1460 in
 * our SYN, wscale 7, as the kernel sends them (test/wire).
 */
TH_TEST(tcp_open, syn_windows_default_buffer)
{
	struct tcp_sock *l, *c, *a;

	th_passive_open(&l, &c, 1000, true);  /* expects SYN-ACK wnd 65160 */
	tcp_close(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = TH_ANY,
				    .ack = 1001, .wnd = TH_ANY, .mss = -1,
				    .ws = -1, .ts = true, .tsecr = TH_ANY });
	tcp_close(l, T.now);
	th_active_open(&a, 9000, true);       /* expects SYN wnd 64240 */
	tcp_close(a, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = TH_ANY,
				    .ack = 9001, .wnd = TH_ANY, .mss = -1,
				    .ws = -1, .ts = true, .tsecr = TH_ANY });
}

static void rcvbuf_10000(struct stack_config *cfg)
{
	cfg->tcp_rcvbuf = 20000;        /* a window of 10000 */
}

static void setup_rcvbuf_10000(void)
{
	th_setup_cfg(rcvbuf_10000);
}

/*
 * With a window below 64K (10000 bytes: a 20000-byte buffer, as Linux
 * counts it) the quantum shows: the SYN-ACK's MSS is the
 * advertised one less the timestamp option when timestamps are agreed
 * (tcp_openreq_init_rwin(): mss - TCPOLEN_TSTAMP_ALIGNED), so 10000 bytes
 * offer 6 * 1448 = 8688 with timestamps and 6 * 1460 = 8760 without; our
 * SYN, sent before any timestamp came (tcp_connect_init()), offers 8760.
 */
TH_TEST(tcp_open, syn_window_quantum_small_buffer,
	.init = setup_rcvbuf_10000)
{
	struct tcp_sock *l;
	struct th_seg syn = th_tmpl(TCP_SYN, 100, 0);
	struct th_seg sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 101);

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.lport = 80;
	/* with timestamps */
	syn.mss = 1460;
	syn.sackok = syn.ts = true;
	syn.tsval = 10;
	syn.tsecr = 0;
	syn.ws = 7;
	syn.wnd = 64240;
	th_inject(&syn);
	sa.mss = 1460;
	sa.sackok = sa.ts = true;
	sa.tsecr = 10;
	sa.ws = 7;
	sa.wnd = 8688;                 /* rounddown(10000, 1448) */
	th_expect(&sa);
	/* without, from another port */
	syn = th_tmpl(TCP_SYN, 500, 0);
	syn.sport = TH_PEER_PORT + 1;
	syn.mss = 1460;
	syn.sackok = true;
	syn.ws = 7;
	syn.wnd = 64240;
	th_inject(&syn);
	sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 501);
	sa.dport = TH_PEER_PORT + 1;
	sa.mss = 1460;
	sa.sackok = true;
	sa.ws = 7;
	sa.wnd = 8760;                 /* rounddown(10000, 1460) */
	th_expect(&sa);
	/* closing the listener resets both, the newest first */
	tcp_close(l, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = TH_ANY,
				    .ack = 501, .wnd = TH_ANY, .mss = -1,
				    .ws = -1, .tsecr = TH_ANY });
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = TH_ANY,
				    .ack = 101, .wnd = TH_ANY, .mss = -1,
				    .ws = -1, .ts = true, .tsecr = TH_ANY });
}

/* Our SYN with the small buffer: timestamps offered, the whole MSS */
TH_TEST(tcp_open, active_syn_window_small_buffer,
	.init = setup_rcvbuf_10000)
{
	struct tcp_sock *c;
	struct th_seg syn = th_tmpl(TCP_SYN, TH_ANY, 0);

	syn.mss = 1460;
	syn.sackok = syn.ts = true;
	syn.tsecr = 0;
	syn.ws = 7;
	syn.wnd = 8760;                /* rounddown(10000, 1460) */
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	th_expect(&syn);
	tcp_close(c, T.now);
}
