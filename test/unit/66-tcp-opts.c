/* SPDX-License-Identifier: MIT */
/*
 * 66-tcp-opts.c - the TCP options that change what the engine does, as
 * Linux's do_tcp_setsockopt() and the code that reads them: TCP_SYNCNT
 * (SYN retries), TCP_LINGER2 (an orphan's FIN_WAIT_2), TCP_QUICKACK
 * (pingpong), TCP_WINDOW_CLAMP (the window advertised),
 * TCP_THIN_LINEAR_TIMEOUTS (no backoff for a thin stream), SO_BUF_LOCK.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"
#include "stack_impl.h"

TH_SUITE(tcp_opts, .init = th_setup, .fini = th_teardown);

static void drain(void)
{
	while (th_pending())
		T.head++;
}

static int get(struct tcp_sock *sk, enum tcp_sockopt o)
{
	int v = -12345;

	cr_assert_eq(tcp_getsockopt(sk, o, &v), 0);
	return v;
}

/* TCP_SYNCNT 2: the SYN goes at 0, 1 and 3 s, ETIMEDOUT at 7 s (Linux
 * counts retransmissions; the stack's 6 give 127 s) */
TH_TEST(tcp_opts, syncnt_bounds_the_syn_retries)
{
	struct tcp_sock *c;
	uint64_t t0 = T.now;
	struct th_seg syn = th_our_syn();

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(get(c, TCP_OPT_SYNCNT), 6);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_SYNCNT, 0, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_SYNCNT, 128, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_SYNCNT, 2, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_SYNCNT), 2);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	th_expect(&syn);
	th_advance_to(t0 + 1 * TH_SEC);
	th_expect(&syn);
	th_advance_to(t0 + 3 * TH_SEC);
	th_expect(&syn);
	th_advance_to(t0 + 7 * TH_SEC - 1);
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_SENT);
	th_advance(1);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	th_expect_none();
	tcp_close(c, T.now);
}

/* TCP_LINGER2 5: an orphan leaves FIN_WAIT_2 after 5 s, not 60 s; the
 * value reads back in seconds, capped at 120, the stack's when unset */
TH_TEST(tcp_opts, linger2_sets_the_fin_wait_2_time)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);

	tcp_close(l, T.now);
	cr_assert_eq(get(c, TCP_OPT_LINGER2), 60);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_LINGER2, 500, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_LINGER2), 120);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_LINGER2, 5, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_LINGER2), 5);
	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	INJECT(TCP_ACK, 1001, iss + 2);
	th_advance(5 * TH_SEC - 1);
	cr_assert_eq(tcp_sock_count(T.s), 1);
	th_advance(1);
	cr_assert_eq(tcp_sock_count(T.s), 0);
	cr_assert_eq(th_counter("tcp_fin_wait2_timeouts"), 1);
	th_expect_none();
}

/* TCP_LINGER2 -1: an orphan whose FIN is acknowledged is gone at once,
 * without a reset (tcp_rcv_state_process()); one already in FIN_WAIT_2
 * when the program closes is reset (tcp_close()) */
TH_TEST(tcp_opts, linger2_negative_ends_fin_wait_2)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);

	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_LINGER2, -7, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_LINGER2), -1);
	tcp_close(c, T.now);
	EXPECT(TCP_FIN | TCP_ACK, iss + 1, 1001);
	INJECT(TCP_ACK, 1001, iss + 2);
	th_expect_none();
	cr_assert_eq(tcp_sock_count(T.s), 1);   /* the listener */

	/* the second: shut for writing first, closed in FIN_WAIT_2 */
	{
		struct tcp_sock *c2;
		struct th_seg syn = th_tmpl(TCP_SYN, 5000, 0);
		struct th_seg sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 5001);
		struct tcp_seg g;

		T.pport = 41000;
		syn.mss = 1460;
		th_inject(&syn);
		sa.mss = 1460;
		sa.wnd = TH_ANY;
		g = th_expect(&sa);
		INJECT(TCP_ACK, 5001, g.seq + 1);
		cr_assert_eq(tcp_accept(l, &c2), 0);
		cr_assert_eq(tcp_setsockopt(c2, TCP_OPT_LINGER2, -1, T.now), 0);
		cr_assert_eq(tcp_shutdown(c2, TCP_SHUT_WR, T.now), 0);
		EXPECT(TCP_FIN | TCP_ACK, g.seq + 1, 5001);
		INJECT(TCP_ACK, 5001, g.seq + 2);
		cr_assert_eq(tcp_sock_state(c2), TCP_FIN_WAIT_2);
		tcp_close(c2, T.now);
		EXPECT(TCP_RST | TCP_ACK, g.seq + 2, 5001);
	}
	tcp_close(l, T.now);
}

/* TCP_QUICKACK 0 (pingpong): even the first segments wait for the
 * delayed ACK; TCP_QUICKACK 1 sends the ACK that waits, at once */
TH_TEST(tcp_opts, quickack_zero_delays_and_one_flushes)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, 1001, iss + 1);

	cr_assert_eq(get(c, TCP_OPT_QUICKACK), 1);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_QUICKACK, 0, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_QUICKACK), 0);
	d.data = "0123456789";
	d.len = 10;
	th_inject(&d);
	th_advance(10 * TH_MS);
	th_expect_none();               /* a quick ACK would have gone */
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_QUICKACK, 1, T.now), 0);
	EXPECT(TCP_ACK, iss + 1, 1011);
	cr_assert_eq(get(c, TCP_OPT_QUICKACK), 1);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
	drain();
}

/* TCP_WINDOW_CLAMP before connect: the SYN offers at most the clamp (in
 * whole segments, as the SYN's window always is); 0 once connecting is
 * EINVAL; below half of SOCK_MIN_RCVBUF it is raised to that */
TH_TEST(tcp_opts, window_clamp_caps_the_window)
{
	struct tcp_sock *c;
	struct th_seg syn = th_our_syn();

	syn.wnd = 4380;                 /* 5000 less 5000 % 1460 */
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(get(c, TCP_OPT_WINDOW_CLAMP), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_WINDOW_CLAMP, 10, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_WINDOW_CLAMP), 1200);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_WINDOW_CLAMP, 5000, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_WINDOW_CLAMP), 5000);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	th_expect(&syn);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_WINDOW_CLAMP, 0, T.now), -EINVAL);
	tcp_abort(c, T.now);
	drain();
}

/*
 * TCP_THIN_LINEAR_TIMEOUTS: a thin stream (one segment out) past its
 * first slow start keeps its RTO instead of doubling it. Without the
 * option the resends go at 201, 402, 804, 1608, 3216 ms; the timeouts of
 * the initial slow start double as ever, and once the first one has set
 * ssthresh, the next come 201 ms apart.
 */
TH_TEST(tcp_opts, thin_linear_timeouts)
{
	struct tcp_sock *l, *c;
	uint64_t t0, seen[5];
	unsigned n = 0;

	th_passive_open(&l, &c, 1000, false);
	tcp_close(l, T.now);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_THIN_LTO, 2, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_THIN_LTO, 1, T.now), 0);
	cr_assert_eq(get(c, TCP_OPT_THIN_LTO), 1);
	t0 = T.now;
	cr_assert_eq(tcp_send(c, "thin", 4, T.now), 4);
	drain();
	while (n < 5 && T.now < t0 + 10 * TH_SEC) {
		th_advance(TH_MS);
		if (th_pending()) {
			seen[n++] = (T.now - t0) / TH_MS;
			drain();
		}
	}
	cr_assert_eq(n, 5);
	cr_assert_eq(seen[0], 201);
	cr_assert_eq(seen[1], 402);
	cr_assert_eq(seen[2], 804);
	cr_assert_eq(seen[3], 804 + 201);       /* 1608 without the option */
	cr_assert_eq(seen[4], 804 + 201 + 201); /* 3216 without it */
	tcp_abort(c, T.now);
	drain();
}

/* SO_BUF_LOCK: the two locks, read back; a value beyond them EINVAL */
TH_TEST(tcp_opts, buf_lock)
{
	struct tcp_sock *c;

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(get(c, TCP_SO_BUF_LOCK), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_BUF_LOCK, 4, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_BUF_LOCK, 2, T.now), 0);
	cr_assert_eq(get(c, TCP_SO_BUF_LOCK), 2);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_SNDBUF, 65536, T.now), 0);
	cr_assert_eq(get(c, TCP_SO_BUF_LOCK), 3);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_TIMESTAMP, 1, T.now), -EPERM);
	tcp_close(c, T.now);
}

/* IP_MINTTL 100 (RFC 5082): an IPv4 segment with TTL 64 is dropped
 * unanswered, one with 200 taken; IPv6 segments are not its (Linux has
 * IPV6_MINHOPCOUNT for them) */
TH_TEST(tcp_opts, minttl_drops_lower_ttl)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, 1001, iss + 1);

	cr_assert_eq(tcp_setsockopt(c, TCP_IP_MINTTL, 256, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_IP_MINTTL, 100, T.now), 0);
	cr_assert_eq(get(c, TCP_IP_MINTTL), 100);
	d.data = "low";
	d.len = 3;
	th_inject(&d);
	if (T.family == IP_V4) {
		th_expect_none();
		cr_assert_eq(th_counter("tcp_rx_minttl"), 1);
		T.ttl = 200;
		th_inject(&d);
	}
	EXPECT(TCP_ACK, iss + 1, 1004);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
	drain();
}

/* A listener deferring 5 s (3 SYN-ACK timeouts, read back as 7 s), the
 * peer's SYN answered; returns our ISS */
static uint32_t deferred_syn(struct tcp_sock **l)
{
	struct th_seg syn = th_tmpl(TCP_SYN, 1000, 0);
	struct th_seg sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 1001);

	cr_assert_eq(th_open(l), 0);
	cr_assert_eq(tcp_setsockopt(*l, TCP_OPT_DEFER_ACCEPT, 5, T.now), 0);
	cr_assert_eq(get(*l, TCP_OPT_DEFER_ACCEPT), 7);
	cr_assert_eq(tcp_bind(*l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(*l, 16, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	th_inject(&syn);
	sa.mss = 1460;
	sa.wnd = TH_ANY;
	return th_expect(&sa).seq;
}

/* TCP_DEFER_ACCEPT: the handshake's bare ACK is dropped and accept()
 * sees nothing; the data that follows makes the connection, its data
 * there to read */
TH_TEST(tcp_opts, defer_accept_waits_for_data)
{
	struct tcp_sock *l, *c;
	uint32_t iss = deferred_syn(&l);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, 1001, iss + 1);
	char buf[8];

	INJECT(TCP_ACK, 1001, iss + 1);
	th_expect_none();
	cr_assert_eq(tcp_accept(l, &c), -EAGAIN);
	cr_assert_eq(th_counter("tcp_defer_accept_drops"), 1);
	th_advance(500 * TH_MS);
	d.data = "GET /";
	d.len = 5;
	d.wnd = 502;
	th_inject(&d);
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	cr_assert_eq(tcp_recv(c, buf, sizeof(buf), 0, T.now), 5);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
	drain();
}

/* Without data, as Linux's syn_ack_recalc(): no SYN-ACK at the first two
 * timeouts (1, 3 s), one at each from the third (7, 15, 31 s), and the
 * connection dropped without a reset at the fifth (tcp_synack_retries,
 * 63 s); accept() never saw it */
TH_TEST(tcp_opts, defer_accept_without_data)
{
	struct tcp_sock *l, *c;
	uint64_t t0 = T.now;
	uint32_t iss = deferred_syn(&l);
	static const unsigned resend[] = { 7, 15, 31 };

	INJECT(TCP_ACK, 1001, iss + 1);
	th_advance_to(t0 + 7 * TH_SEC - 1);
	th_expect_none();
	for (unsigned i = 0; i < 3; i++) {
		th_advance_to(t0 + resend[i] * TH_SEC);
		EXPECT(TCP_SYN | TCP_ACK, iss, 1001);
		th_expect_none();
	}
	cr_assert_eq(tcp_sock_count(T.s), 2);
	th_advance_to(t0 + 63 * TH_SEC);
	th_expect_none();
	cr_assert_eq(tcp_sock_count(T.s), 1);
	cr_assert_eq(tcp_accept(l, &c), -EAGAIN);
	tcp_close(l, T.now);
}

/*
 * TCP_SAVE_SYN, as Linux: an accepted connection of a listener that set it
 * gives the SYN's network and TCP headers once through TCP_SAVED_SYN (too
 * little room: EINVAL and the length needed, the headers still kept; then
 * 0 bytes); the option is inherited; values above 2 are EINVAL.
 */
TH_TEST(tcp_opts, save_syn)
{
	struct th_seg syn = th_tmpl(TCP_SYN, 1000, 0);
	struct th_seg sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 1001);
	struct tcp_sock *l, *c;
	uint8_t buf[256];
	size_t len = 0, ip = T.family == IP_V4 ? 20 : 40;
	uint32_t iss;

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_setsockopt(l, TCP_OPT_SAVE_SYN, 3, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(l, TCP_OPT_SAVE_SYN, 1, T.now), 0);
	cr_assert_eq(get(l, TCP_OPT_SAVE_SYN), 1);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(l, 16, T.now), 0);
	T.lport = 80;
	syn.mss = 1460;
	th_inject(&syn);
	sa.mss = 1460;
	sa.wnd = TH_ANY;
	iss = th_expect(&sa).seq;
	INJECT(TCP_ACK, 1001, iss + 1);
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(get(c, TCP_OPT_SAVE_SYN), 1);
	cr_assert_eq(tcp_saved_syn(c, buf, 10, &len), -EINVAL);
	cr_assert_eq(len, ip + 24);     /* the header and the MSS option */
	cr_assert_eq(tcp_saved_syn(c, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, ip + 24);
	cr_assert_eq(buf[0] >> 4, T.family == IP_V4 ? 4 : 6);
	cr_assert_eq(buf[ip] << 8 | buf[ip + 1], T.pport);     /* source */
	cr_assert_eq(buf[ip + 2] << 8 | buf[ip + 3], 80);
	cr_assert_eq(buf[ip + 12] >> 4, 6);                    /* 24 bytes */
	cr_assert_eq(buf[ip + 13], TCP_SYN);
	cr_assert_eq(tcp_saved_syn(c, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, 0);           /* given once */
	tcp_close(c, T.now);
	tcp_close(l, T.now);
	drain();
}

/* Without TCP_SAVE_SYN nothing is kept */
TH_TEST(tcp_opts, save_syn_off)
{
	struct tcp_sock *l, *c;
	uint8_t buf[256];
	size_t len = 1;

	th_passive_open(&l, &c, 1000, false);
	cr_assert_eq(get(c, TCP_OPT_SAVE_SYN), 0);
	cr_assert_eq(tcp_saved_syn(c, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, 0);
	tcp_close(c, T.now);
	tcp_close(l, T.now);
	drain();
}
