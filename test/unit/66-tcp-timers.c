/* SPDX-License-Identifier: MIT */
/*
 * 66-tcp-timers.c - keepalive (RFC 1122 4.2.3.6 with Linux's idle,
 * interval and count), TCP_USER_TIMEOUT (retransmission, keepalive, zero
 * window, as Linux), no deadline when idle, the per-connection record,
 * ICMP errors (RFC 5927, RFC 1191), congestion window growth (RFC 6928,
 * RFC 5681, RFC 9438)
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"
#include "icmp.h"
#include "icmp6.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack_impl.h"

TH_SUITE(tcp_timers, .init = th_setup, .fini = th_teardown);

static void drain(void)
{
	while (th_pending())
		T.head++;
}

TH_TEST(tcp_timers, keepalive_probes_then_reset)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg probe = th_tmpl(TCP_ACK, iss, 1001), a;
	uint64_t t0 = T.now;

	tcp_close(l, T.now);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPIDLE, 10, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPINTVL, 2, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPCNT, 3, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPCNT, 0, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_KEEPALIVE, 1, T.now), 0);
	th_advance_to(t0 + 10 * TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&probe);
	/* answered: the connection is alive, the idle time starts over */
	a = th_tmpl(TCP_ACK, 1001, iss + 1);
	a.wnd = 502;
	th_inject(&a);
	t0 = T.now;
	th_advance_to(t0 + 10 * TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&probe);
	th_advance(2 * TH_SEC);
	th_expect(&probe);
	th_advance(2 * TH_SEC);
	th_expect(&probe);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	th_advance(2 * TH_SEC);
	/* count probes unanswered: reset, ETIMEDOUT */
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = iss + 1,
				    .ack = 1001, .wnd = TH_ANY, .mss = -1, .ws = -1 });
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	cr_assert_eq(th_counter("tcp_keepalive_probes"), 4);
	tcp_close(c, T.now);
}

/* SO_KEEPALIVE first, then TCP_KEEPIDLE (the order programs use): the
 * timer armed for the default 7200 s is armed again for the new idle
 * time, counted from when the peer was last heard, as Linux's
 * do_tcp_setsockopt() does; the probes follow at the interval */
TH_TEST(tcp_timers, keepidle_after_keepalive_rearms)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg probe = th_tmpl(TCP_ACK, iss, 1001);
	uint64_t t0 = T.now;

	tcp_close(l, T.now);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_KEEPALIVE, 1, T.now), 0);
	th_advance(300 * TH_MS);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPIDLE, 1, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPINTVL, 1, T.now), 0);
	th_advance_to(t0 + TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&probe);
	th_advance(TH_SEC);
	th_expect(&probe);
	tcp_abort(c, T.now);
	drain();
}

/* SO_KEEPALIVE set after an idle hour (no engine call in between: no
 * deadline) arms the timer from the time of the call, not from the
 * engine's last call */
TH_TEST(tcp_timers, keepalive_after_idle_counts_from_the_call)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg probe = th_tmpl(TCP_ACK, iss, 1001);
	uint64_t t0;

	tcp_close(l, T.now);
	cr_assert_eq(stack_timeout(T.s, T.now), STACK_NO_DEADLINE);
	T.now += 3600 * TH_SEC;
	t0 = T.now;
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPIDLE, 10, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_KEEPALIVE, 1, T.now), 0);
	th_advance_to(t0 + 10 * TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&probe);
	tcp_abort(c, T.now);
	drain();
}

/*
 * Run the engine's timers one deadline at a time until @sk is closed or
 * @limit passes, throwing away what it sends. Return: when it closed, or 0
 */
static uint64_t run_until_closed(struct tcp_sock *sk, uint64_t limit)
{
	while (tcp_sock_state(sk) != TCP_CLOSED) {
		uint64_t next = stack_timeout(T.s, T.now);

		if (next == STACK_NO_DEADLINE || next > limit)
			return 0;
		th_advance_to(next);
		drain();
	}
	return T.now;
}

/* TCP_USER_TIMEOUT: the value in ms (an unsigned int), negative refused,
 * 0 = the default */
TH_TEST(tcp_timers, user_timeout_option)
{
	struct tcp_sock *l;
	struct tcp_info_rec i;
	int v = -1;

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_getsockopt(l, TCP_OPT_USER_TIMEOUT, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(tcp_setsockopt(l, TCP_OPT_USER_TIMEOUT, -1, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(l, TCP_OPT_USER_TIMEOUT, 0x7fffffff, T.now), 0);
	cr_assert_eq(tcp_getsockopt(l, TCP_OPT_USER_TIMEOUT, &v), 0);
	cr_assert_eq(v, 0x7fffffff);
	/* the record ustackctl netstat -e shows */
	tcp_get_info(l, &i, T.now);
	cr_assert_eq(i.user_timeout_ms, 0x7fffffff);
	cr_assert_eq(tcp_setsockopt(l, TCP_OPT_USER_TIMEOUT, 0, T.now), 0);
	cr_assert_eq(tcp_getsockopt(l, TCP_OPT_USER_TIMEOUT, &v), 0);
	cr_assert_eq(v, 0);
	tcp_close(l, T.now);
}

/* Retransmissions so far: timeouts and loss probes (with nothing new to
 * send, a probe resends the last segment) */
static uint64_t resends(void)
{
	return th_counter("tcp_rto_timeouts") + th_counter("tcp_tlp_probes");
}

/* Advance until the next retransmission of either kind: its time */
static uint64_t until_resent(uint64_t limit)
{
	uint64_t before = resends();

	while (resends() == before && T.now < limit) {
		th_advance(TH_MS);
		drain();
	}
	cr_assert_gt(resends(), before);
	return T.now;
}

/* Data nobody acknowledges: with TCP_USER_TIMEOUT 1000 ms the connection
 * ends with ETIMEDOUT exactly 1000 ms after the first retransmission
 * (Linux's retrans_stamp: the last retransmission timer cut short to that
 * moment), not after the 15 timeouts of tcp_retries2 */
TH_TEST(tcp_timers, user_timeout_aborts_unacked_data_on_time)
{
	struct tcp_sock *l, *c;
	uint64_t t0, t1, end;

	th_passive_open(&l, &c, 1000, false);
	tcp_close(l, T.now);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_USER_TIMEOUT, 1000, T.now), 0);
	th_advance(TH_MS);
	t0 = T.now;
	cr_assert_eq(tcp_send(c, "abcdef", 6, T.now), 6);
	drain();
	t1 = until_resent(t0 + 10 * TH_SEC);
	cr_assert_gt(t1, t0 + 10 * TH_MS);
	end = run_until_closed(c, t0 + 60 * TH_SEC);
	cr_assert_eq(end, t1 + 1000 * TH_MS, "closed at +%llu ns",
		     (unsigned long long)(end - t1));
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	cr_assert_geq(th_counter("tcp_rto_timeouts"), 2);
	cr_assert_eq(th_counter("tcp_timeouts"), 1);
	tcp_close(c, T.now);
}

/* An ACK of new data stops the clock: the next episode counts from its
 * own first retransmission (counted from "abc"'s, it would end sooner) */
TH_TEST(tcp_timers, user_timeout_restarts_after_progress)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg a = th_tmpl(TCP_ACK, 1001, iss + 4);
	uint64_t t1, end;

	tcp_close(l, T.now);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_USER_TIMEOUT, 1500, T.now), 0);
	cr_assert_eq(tcp_send(c, "abc", 3, T.now), 3);
	drain();
	th_advance(800 * TH_MS);  /* retransmitted by now */
	drain();
	cr_assert_geq(th_counter("tcp_rto_timeouts"), 1);
	a.wnd = 502;
	th_inject(&a);            /* "abc" acknowledged */
	t1 = T.now;
	cr_assert_eq(tcp_send(c, "def", 3, T.now), 3);
	drain();
	t1 = until_resent(t1 + 10 * TH_SEC);
	end = run_until_closed(c, t1 + 60 * TH_SEC);
	cr_assert_eq(end, t1 + 1500 * TH_MS, "closed at +%llu ns",
		     (unsigned long long)(end - t1));
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	tcp_close(c, T.now);
}

/* Keepalive with TCP_USER_TIMEOUT: it, not TCP_KEEPCNT, decides: the
 * first probe time at which the connection has been idle that long with
 * a probe unanswered resets it (Linux's tcp_keepalive_timer()) */
TH_TEST(tcp_timers, keepalive_ends_at_user_timeout)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg probe = th_tmpl(TCP_ACK, iss, 1001);
	uint64_t t0 = T.now;

	tcp_close(l, T.now);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPIDLE, 10, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPINTVL, 2, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_KEEPCNT, 1, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_USER_TIMEOUT, 13000, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_KEEPALIVE, 1, T.now), 0);
	th_advance_to(t0 + 10 * TH_SEC);
	th_expect(&probe);
	/* TCP_KEEPCNT 1 would end it here; the user timeout has not run out */
	th_advance_to(t0 + 12 * TH_SEC);
	th_expect(&probe);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	/* idle 14 s >= 13 s with probes out: reset, ETIMEDOUT */
	th_advance_to(t0 + 14 * TH_SEC);
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = iss + 1,
				    .ack = 1001, .wnd = TH_ANY, .mss = -1, .ws = -1 });
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	cr_assert_eq(th_counter("tcp_keepalive_probes"), 2);
	tcp_close(c, T.now);
}

/* A zero window the peer keeps answering: without a user timeout the
 * probes go on; with TCP_USER_TIMEOUT 3000 ms the connection ends 3000 ms
 * after the first probe, the probe timer cut short to it (Linux's
 * tcp_probe_timer() and tcp_clamp_probe0_to_user_timeout()) */
TH_TEST(tcp_timers, zero_window_ends_at_user_timeout)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg zw = th_tmpl(TCP_ACK, 1001, iss + 1);
	uint64_t first = 0, end = 0, limit;

	tcp_close(l, T.now);
	zw.wnd = 0;
	th_inject(&zw);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_USER_TIMEOUT, 3000, T.now), 0);
	cr_assert_eq(tcp_send(c, "abc", 3, T.now), 3);
	th_expect_none();
	limit = T.now + 60 * TH_SEC;
	while (tcp_sock_state(c) != TCP_CLOSED) {
		uint64_t next = stack_timeout(T.s, T.now);

		cr_assert(next != STACK_NO_DEADLINE && next <= limit);
		th_advance_to(next);
		if (th_pending()) {
			th_expect(&(struct th_seg){ .flags = TCP_ACK, .seq = iss,
						    .ack = 1001, .wnd = TH_ANY,
						    .mss = -1, .ws = -1 });
			if (!first)
				first = T.now;
			th_inject(&zw);   /* answered: still closed */
		}
		end = T.now;
	}
	cr_assert_eq(end, first + 3000 * TH_MS, "closed %llu ns after the first probe",
		     (unsigned long long)(end - first));
	cr_assert_eq(tcp_sock_error(c), -ETIMEDOUT);
	tcp_close(c, T.now);
}

/* Timers on demand: an idle connection leaves the engine no deadline */
TH_TEST(tcp_timers, idle_connection_has_no_deadline)
{
	struct tcp_sock *l, *c;

	th_passive_open(&l, &c, 1000, false);
	cr_assert_eq(stack_timeout(T.s, T.now), STACK_NO_DEADLINE);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

static void record_fn(void *arg, const struct tcp_sock *sk)
{
	(*(unsigned *)arg)++;
}

/* The record ustackctl and TCP_INFO read */
TH_TEST(tcp_timers, info_record)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, true);
	struct tcp_info_rec i;
	unsigned n = 0;

	th_advance(5 * TH_MS);
	cr_assert_eq(tcp_send(c, "abcdef", 6, T.now), 6);
	drain();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.state, TCP_ESTABLISHED);
	cr_assert_eq(i.time_in_state, 5 * TH_MS);
	cr_assert_eq(i.timer, TCP_TIMER_LOSS_PROBE, "RFC 8985 with SACK");
	cr_assert(ip_addr_eq(&i.laddr, TH_US_A));
	cr_assert_eq(i.lport, 80);
	cr_assert(ip_addr_eq(&i.raddr, TH_PEER_A));
	cr_assert_eq(i.rport, TH_PEER_PORT);
	cr_assert_eq(i.iss, iss);
	cr_assert_eq(i.irs, 1000);
	cr_assert_eq(i.snd_una, iss + 1);
	cr_assert_eq(i.snd_nxt, iss + 7);
	cr_assert_eq(i.rcv_nxt, 1001);
	cr_assert_eq(i.snd_wnd, 502 << 7);
	cr_assert_eq(i.rcv_wnd, 512 << 7);
	cr_assert_eq(i.snd_wscale, 7);
	cr_assert_eq(i.rcv_wscale, 7);
	cr_assert(i.ts && i.sack);
	cr_assert_eq(i.snd_mss, 1448);
	cr_assert_eq(i.rcv_mss, 1460);
	cr_assert_eq(i.cwnd, 10 * 1448, "RFC 6928 initial window");
	/* Linux's __tcp_set_rto() after the handshake read as 1 us: 1 us +
	 * max(2 us, rto_min 200 ms), rounded up to the jiffy */
	cr_assert_eq(i.rto, 201 * TH_MS);
	cr_assert_eq(i.snd_queued, 6);
	cr_assert_eq(i.rcv_queued, 0);
	cr_assert_eq(i.sndbuf, 131072);
	cr_assert_eq(i.cc, TCP_CC_CUBIC);
	tcp_foreach(T.s, record_fn, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(tcp_state_name(TCP_CLOSE_WAIT), "CLOSE_WAIT");
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/* Build an ICMP (IPv4) or ICMPv6 error from the peer, quoting a segment
 * we sent: the header, 20 bytes of TCP */
static void inject_icmp(uint8_t type, uint8_t code, uint32_t rest,
			uint16_t sport, uint16_t dport, uint32_t seq)
{
	uint8_t m[8 + IPV6_HLEN + 20] = { 0 };
	uint8_t *q = m + 8;
	struct ip_addr us = th_us(), peer = th_peer();
	size_t qlen, hl;

	if (T.family == IP_V6) {
		struct ipv6_hdr qh = { .nh = IP_PROTO_TCP, .hlim = 64,
				       .plen = 20 };

		memcpy(qh.src, us.v6, 16);
		memcpy(qh.dst, peer.v6, 16);
		ipv6_build(q, &qh);
		hl = IPV6_HLEN;
	} else {
		struct ipv4_hdr qh = { .ttl = 64, .proto = IP_PROTO_TCP,
				       .src = us.v4, .dst = peer.v4,
				       .total_len = 40 };

		ipv4_build(q, &qh);
		hl = IPV4_HLEN;
	}
	put16(q + hl, sport);
	put16(q + hl + 2, dport);
	put32(q + hl + 4, seq);
	qlen = 8 + hl + 20;
	if (T.family == IP_V6)
		icmp6_build(m, qlen, &peer, &us, &(struct icmp6_hdr){
				.type = type, .code = code, .rest = rest });
	else
		icmp_build(m, qlen, &(struct icmp_hdr){
				.type = type, .code = code, .rest = rest });
	th_inject_ip(T.family == IP_V6 ? IP6_NH_ICMPV6 : IP_PROTO_ICMP, m,
		     qlen);
}

/* Port unreachable, Fragmentation needed / Packet Too Big, of the run's
 * family */
#define UNREACH_PORT (T.family == IP_V6 ? ICMP6_DST_UNREACH : \
			   ICMP_UNREACH), (T.family == IP_V6 ? \
			   ICMP6_DST_UNREACH_NOPORT : ICMP_UNREACH_PORT)
#define TOO_BIG (T.family == IP_V6 ? ICMP6_PACKET_TOO_BIG : ICMP_UNREACH), \
		(T.family == IP_V6 ? 0 : ICMP_UNREACH_NEEDFRAG)

/* RFC 1122 4.2.3.9 / Linux: port unreachable refuses a connecting socket */
TH_TEST(tcp_timers, icmp_port_unreachable_refuses)
{
	struct tcp_sock *c;
	struct ip_addr a;
	uint16_t port;
	struct tcp_seg g;
	struct th_seg syn = th_our_syn();

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	g = th_expect(&syn);
	tcp_getsockname(c, &a, &port);
	/* RFC 5927: a quoted sequence number not in flight is ignored */
	inject_icmp(UNREACH_PORT, 0, port, 80, g.seq + 99);
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_SENT);
	inject_icmp(UNREACH_PORT, 0, port, 80, g.seq);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ECONNREFUSED);
	tcp_close(c, T.now);
}

/* RFC 1191, RFC 8201: fragmentation needed (Packet Too Big) lowers the
 * MSS to the path MTU less the headers of the family, and resends smaller
 * (IPv6: to 1280, the least an IPv6 link has) */
TH_TEST(tcp_timers, icmp_frag_needed_lowers_mss)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	static uint8_t big[3000];
	struct tcp_info_rec i;
	struct th_seg d = th_tmpl(TCP_ACK, iss + 1, 1001);
	uint32_t mtu = T.family == IP_V6 ? 1280 : 1000;
	uint32_t mss = mtu - (T.family == IP_V6 ? 60 : 40);

	cr_assert_eq(tcp_send(c, big, 1460, T.now), 1460);
	drain();
	inject_icmp(TOO_BIG, mtu, 80, TH_PEER_PORT, iss + 1);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.snd_mss, mss);
	cr_assert_eq(th_counter("tcp_pmtu_updates"), 1);
	d.wnd = TH_ANY;
	d.len = mss;
	th_expect(&d);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/* Slow start: cwnd grows by the bytes acked (RFC 5681 3.1), for both
 * algorithms; a loss sets ssthresh per algorithm, from the window in
 * whole segments as Linux (cwnd / 2; cwnd * 717 / 1024). */
static void no_tlp(struct stack_config *cfg)
{
	cfg->tcp_tlp = false;
}

/* ... and no timestamps either (our SYN goes without them) */
static void no_ts(struct stack_config *cfg)
{
	cfg->tcp_tlp = false;
	cfg->tcp_timestamps = false;
}

static void cwnd_growth(enum tcp_cc_algo algo, uint32_t want_ssthresh)
{
	struct tcp_sock *l, *c;
	uint32_t iss;

	th_setup_cfg(no_tlp);
	iss = th_passive_open(&l, &c, 1000, false);
	static uint8_t big[20 * 1460];
	struct tcp_info_rec i;
	struct th_seg a = th_tmpl(TCP_ACK, 1001, iss + 1 + 2 * 1460);

	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_CONGESTION, algo, T.now), 0);
	cr_assert_eq(tcp_send(c, big, sizeof(big), T.now), sizeof(big));
	cr_assert_eq(th_pending(), 10, "initial window: 10 segments");
	drain();
	a.wnd = 502;
	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 12 * 1460);
	cr_assert_eq(th_pending(), 4, "2 acked + 2 growth");
	drain();
	th_advance(201 * TH_MS);  /* the RTO: 1 us + 200 ms, in jiffies */
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.ssthresh, want_ssthresh);
	cr_assert_eq(i.cwnd, 1460);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_timers, newreno_slow_start_and_loss)
{
	cwnd_growth(TCP_CC_NEWRENO, 12 * 1460 / 2);
}

TH_TEST(tcp_timers, cubic_slow_start_and_loss)
{
	cwnd_growth(TCP_CC_CUBIC, 12 * 717 / 1024 * 1460);
}

/* ARP gives up on the next hop: a connection still opening fails with
 * EHOSTUNREACH, as in Linux (the neighbour cache calls
 * stack_unreachable(), which reaches TCP's hook in the protocol table) */
TH_TEST(tcp_timers, neighbour_unreachable)
{
	struct tcp_sock *c, *l, *e;
	struct ip_addr other = th_other(), peer = th_peer();

	th_passive_open(&l, &e, 1000, false);
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 443, T.now), -EINPROGRESS);
	drain();
	stack_unreachable(T.s, &other);
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_SENT);
	stack_unreachable(T.s, &peer);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -EHOSTUNREACH);
	cr_assert_eq(tcp_sock_state(e), TCP_ESTABLISHED, "only opening ones");
	tcp_close(c, T.now);
	tcp_close(l, T.now);
	tcp_abort(e, T.now);
	drain();
}

/* RFC 9438: after a loss at W_max = 100 segments, cwnd = 0.7 * W_max,
 * then W_cubic(t) = C * (t - K)^3 + W_max with K = cbrt(W_max * 0.3 / C):
 * concave up to W_max around t = K (4.2 s), convex beyond. Driven
 * directly, one RTT (100 ms) of ACKs at a time. */
TH_TEST(tcp_timers, cubic_window_follows_rfc9438)
{
	struct tcp_sock *l, *c;
	uint32_t una, seg = 1000;
	double k = 4.2172;  /* cbrt(100 * 0.3 / 0.4) */
	uint64_t t0;
	unsigned rtts = 0;
	double at_k = 0, past_k = 0, last = 0, first_step = 0, late_step = 0;

	th_passive_open(&l, &c, 1000, false);
	una = c->snd_una;
	c->mss = (uint16_t)seg;
	c->srtt_us8 = 100000 << 3;     /* SRTT 100 ms */
	c->cwnd = 100 * seg;
	c->snd_max = una + 100 * seg;   /* a full window in flight */
	c->ssthresh = c->cc->ssthresh(c, T.now);
	cr_assert_eq(c->ssthresh, 70 * seg, "beta_cubic = 0.7");
	c->cwnd = c->ssthresh;
	c->snd_max = una;
	t0 = T.now;
	while (rtts++ < 80) {
		uint32_t n = c->cwnd / seg;
		double e = (double)(T.now - t0) / 1e9, w;

		for (uint32_t i = 0; i < n; i++)
			c->cc->on_ack(c, seg, T.now);
		w = (double)c->cwnd / seg;
		if (rtts == 2)
			first_step = w - last;
		if (e > k - 0.5 && e < k - 0.35)
			late_step = w - last;
		if (e >= k - 0.05 && e < k + 0.05)
			at_k = w;
		if (e >= k + 3 && past_k == 0)
			past_k = w;
		last = w;
		T.now += 100 * TH_MS;
	}
	cr_assert(first_step > late_step, "concave: %.2f then %.2f", first_step,
		  late_step);
	cr_assert(at_k > 97 && at_k < 103, "cwnd %.1f at K, want ~100", at_k);
	cr_assert(past_k > 108, "convex beyond K: %.1f", past_k);
	c->cwnd = 10 * seg;
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/*
 * The handshake's RTT seeds SRTT, as Linux's tcp_synack_rtt_meas() /
 * tcp_ack_update_rtt() do: a 10 ms handshake reads SRTT 10 ms, mdev 5 ms,
 * RTO 10 ms + max(4 * 5 ms, 200 ms) = 210 ms; without timestamps and
 * with them.
 */
TH_TEST(tcp_timers, handshake_rtt_seeds_srtt)
{
	for (int ts = 0; ts < 2; ts++) {
		struct tcp_sock *l, *c;
		struct tcp_info_rec i;

		th_setup_cfg(no_tlp);
		th_passive_open_rtt(&l, &c, 1000, ts, 10 * TH_MS);
		tcp_get_info(c, &i, T.now);
		cr_assert_eq(i.srtt, 10 * TH_MS, "ts %d: srtt %llu", ts,
			     (unsigned long long)i.srtt);
		cr_assert_eq(i.rttvar, 5 * TH_MS, "ts %d", ts);
		cr_assert_eq(i.rto, 210 * TH_MS, "ts %d", ts);
		tcp_close(l, T.now);
		tcp_abort(c, T.now);
		drain();
	}
}

/* Our SYN answered 10 ms later: the same seed on the active side */
TH_TEST(tcp_timers, active_handshake_rtt_seeds_srtt)
{
	struct tcp_sock *c;
	struct th_seg syn = th_our_syn(), sa;
	struct tcp_seg g;
	struct tcp_info_rec i;

	th_setup_cfg(no_tlp);
	syn.tsecr = 0;
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	g = th_expect(&syn);
	{
		struct ip_addr a;

		tcp_getsockname(c, &a, &T.lport);
	}
	th_advance(10 * TH_MS);
	sa = th_tmpl(TCP_SYN | TCP_ACK, 5000, g.seq + 1);
	sa.mss = 1460;
	sa.sackok = sa.ts = true;
	sa.tsval = 7;
	sa.tsecr = g.tsval;
	sa.ws = 7;
	sa.wnd = 65160;
	T.pport = 80;
	th_inject(&sa);
	drain();
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	cr_assert_eq(i.srtt, 10 * TH_MS);
	cr_assert_eq(i.rto, 210 * TH_MS);
	tcp_abort(c, T.now);
	drain();
}

/*
 * Karn on the passive side, as Linux's tcp_synack_rtt_meas() (no timing
 * once req->num_retrans is not 0) and tcp_ack_update_rtt() (then the
 * TSecr, if any): the peer's SYN comes again 9 ms after our SYN-ACK and
 * we resend the SYN-ACK; the ACK 1 ms later answers the first copy. It
 * is not timed from the resend (that read 1 ms, a tenth of the round
 * trip); with timestamps the echo of the first copy's TSval says 10 ms,
 * without them there is no sample and the RTO starts at Linux's 3 s
 * (tcp_init_metrics(), RFC 6298 5.7).
 *   t=0   SYN in, SYN-ACK out (TSval v)
 *   t=9   the SYN again: the SYN-ACK again (TSval v + 9)
 *   t=10  ACK (TSecr v): SRTT 10 ms with timestamps, none without
 */
TH_TEST(tcp_timers, synack_resent_for_a_resent_syn_is_not_timed)
{
	for (int ts = 0; ts < 2; ts++) {
		struct th_seg syn = th_tmpl(TCP_SYN, 1000, 0), sa, ack;
		struct tcp_sock *l, *c;
		struct tcp_info_rec i;
		struct tcp_seg g;

		th_setup_cfg(no_tlp);
		cr_assert_eq(th_open(&l), 0);
		cr_assert_eq(tcp_bind(l, NULL, 80), 0);
		cr_assert_eq(tcp_listen(l, 16, T.now), 0);
		T.lport = 80;
		syn.mss = 1460;
		syn.sackok = syn.ts = ts;
		syn.tsval = 1000;
		syn.ws = 7;
		syn.wnd = 64240;
		th_inject(&syn);
		sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, 1001);
		sa.mss = 1460;
		sa.sackok = sa.ts = ts;
		sa.tsecr = ts ? 1000 : TH_ANY;
		sa.ws = 7;
		sa.wnd = TH_ANY;
		g = th_expect(&sa);
		th_advance(9 * TH_MS);
		th_inject(&syn);
		sa.seq = g.seq;
		th_expect(&sa);
		th_advance(TH_MS);
		ack = th_tmpl(TCP_ACK, 1001, g.seq + 1);
		ack.ts = ts;
		ack.tsval = 1010;
		ack.tsecr = g.tsval;        /* the first copy's */
		ack.wnd = 502;
		th_inject(&ack);
		th_expect_none();
		cr_assert_eq(tcp_accept(l, &c), 0);
		tcp_get_info(c, &i, T.now);
		cr_assert_eq(i.srtt, ts ? 10 * TH_MS : 0, "ts %d: srtt %llu", ts,
			     (unsigned long long)i.srtt);
		/* without a sample, Linux's tcp_init_metrics() fallback:
		 * RTO 3 s, mdev 3 s (tcpi_rttvar 750 ms) */
		cr_assert_eq(i.rto, ts ? 210 * TH_MS : 3 * TH_SEC, "ts %d", ts);
		cr_assert_eq(i.rttvar, ts ? 5 * TH_MS : 750 * TH_MS, "ts %d", ts);
		tcp_close(l, T.now);
		tcp_abort(c, T.now);
		drain();
	}
}

/*
 * Karn on the active side, as Linux's tcp_ack_update_rtt(): our SYN is
 * resent at 1 s and the SYN-ACK comes 10 ms later. The resent SYN is not
 * timed, but with timestamps its echo (TSecr: the resent SYN's TSval)
 * gives the sample: SRTT 10 ms, RTO 210 ms (ustack took none: SRTT 0
 * until the first data). Without timestamps nothing is known: the RTO
 * starts at 3 s (tcp_init_metrics(); ustack kept the handshake's RTO).
 */
TH_TEST(tcp_timers, resent_syn_timed_by_its_echo)
{
	for (int ts = 0; ts < 2; ts++) {
		struct tcp_sock *c;
		struct th_seg syn = th_our_syn(), sa;
		struct tcp_seg g;
		struct tcp_info_rec i;
		uint64_t t0;

		th_setup_cfg(ts ? no_tlp : no_ts);
		syn.ts = ts;
		syn.tsecr = ts ? 0 : TH_ANY;
		cr_assert_eq(th_open(&c), 0);
		t0 = T.now;
		cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
		th_expect(&syn);
		th_advance_to(t0 + TH_SEC);
		g = th_expect(&syn);
		{
			struct ip_addr a;

			tcp_getsockname(c, &a, &T.lport);
		}
		th_advance(10 * TH_MS);
		sa = th_tmpl(TCP_SYN | TCP_ACK, 5000, g.seq + 1);
		sa.mss = 1460;
		sa.sackok = true;
		sa.ts = ts;
		sa.tsval = 7;
		sa.tsecr = g.tsval;          /* the resent SYN's */
		sa.ws = 7;
		sa.wnd = 65160;
		T.pport = 80;
		th_inject(&sa);
		drain();
		tcp_get_info(c, &i, T.now);
		cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
		cr_assert_eq(i.srtt, ts ? 10 * TH_MS : 0, "ts %d: srtt %llu", ts,
			     (unsigned long long)i.srtt);
		/* without a sample, Linux's tcp_init_metrics() fallback:
		 * RTO 3 s, mdev 3 s (tcpi_rttvar 750 ms) */
		cr_assert_eq(i.rto, ts ? 210 * TH_MS : 3 * TH_SEC, "ts %d", ts);
		cr_assert_eq(i.rttvar, ts ? 5 * TH_MS : 750 * TH_MS, "ts %d", ts);
		tcp_abort(c, T.now);
		drain();
	}
}

/*
 * With timestamps, data is timed by when it was sent, as Linux's
 * tcp_clean_rtx_queue() / tcp_ack_update_rtt() do (the TSecr, in whole
 * milliseconds, only when no segment sent once is acknowledged): after a
 * 10 ms handshake a byte acked 300 us later is a 300 us sample, SRTT
 * 10 - 9.7 / 8 = 8.787 ms (ustack took the echo: 0 ms, then 1 us).
 */
TH_TEST(tcp_timers, data_timed_by_send_time_with_timestamps)
{
	struct tcp_sock *l, *c;
	uint32_t iss;
	struct tcp_info_rec i;
	struct th_seg d, a;
	struct tcp_seg g;

	th_setup_cfg(no_tlp);
	iss = th_passive_open_rtt(&l, &c, 1000, true, 10 * TH_MS);
	cr_assert_eq(tcp_send(c, "x", 1, T.now), 1);
	d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001);
	d.wnd = TH_ANY;
	d.ts = true;
	d.tsecr = TH_ANY;
	d.len = 1;
	g = th_expect(&d);
	th_advance(300 * 1000);
	a = th_tmpl(TCP_ACK, 1001, iss + 2);
	a.ts = true;
	a.tsval = 1002;
	a.tsecr = g.tsval;
	a.wnd = 502;
	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.srtt, 8787 * 1000, "srtt %llu",
		     (unsigned long long)i.srtt);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/*
 * A resent segment is not timed (Karn); its ACK's TSecr is, and an echo
 * of this very millisecond reads 1 ms, as Linux's tcp_rtt_tsopt_us(tp, 1)
 * (ustack read 1 us): after a 10 ms handshake (RTO 210 ms) a byte is
 * lost, resent at 210 ms, and acked at once echoing the resend's TSval:
 * SRTT moves by (1 - 10) / 8 ms, to 8.875 ms (8.75 ms before).
 */
TH_TEST(tcp_timers, tsecr_of_this_millisecond_reads_1ms)
{
	struct tcp_sock *l, *c;
	uint32_t iss;
	struct tcp_info_rec i;
	struct th_seg d, a;
	struct tcp_seg g;

	th_setup_cfg(no_tlp);
	iss = th_passive_open_rtt(&l, &c, 1000, true, 10 * TH_MS);
	cr_assert_eq(tcp_send(c, "x", 1, T.now), 1);
	d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001);
	d.wnd = TH_ANY;
	d.ts = true;
	d.tsecr = TH_ANY;
	d.len = 1;
	th_expect(&d);
	th_advance(210 * TH_MS);
	g = th_expect(&d);                      /* the RTO's resend */
	a = th_tmpl(TCP_ACK, 1001, iss + 2);
	a.ts = true;
	a.tsval = 1002;
	a.tsecr = g.tsval;
	a.wnd = 502;
	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.srtt, 8875 * 1000, "srtt %llu",
		     (unsigned long long)i.srtt);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/*
 * RTO = SRTT + max(4 * mdev, rto_min) (Linux's tcp_rtt_estimator(),
 * __tcp_set_rto()), not max(rto_min, SRTT + 4 * RTTVAR): at a steady
 * 100 ms RTT the RTO stays 300 ms, where RFC 6298's formula had come down
 * to 212.5 ms after three samples and fired early.
 *   handshake 100 ms: srtt 100, mdev 50, rttvar max(200, 200) -> 300 ms
 *   data 100 ms:      error 0, mdev 50 - 50/4 = 37.5, rttvar stays
 *                     200 (rto_min is its floor each round) -> 300 ms
 *   data 100 ms:      mdev 28.125 -> 300 ms
 */
TH_TEST(tcp_timers, rto_is_srtt_plus_max_4mdev_rto_min)
{
	struct tcp_sock *l, *c;
	uint32_t iss, seq;
	struct tcp_info_rec i;
	struct th_seg d, a;

	th_setup_cfg(no_tlp);
	iss = th_passive_open_rtt(&l, &c, 1000, false, 100 * TH_MS);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rto, 300 * TH_MS);
	seq = iss + 1;
	for (int k = 0; k < 2; k++) {
		cr_assert_eq(tcp_send(c, "x", 1, T.now), 1);
		d = th_tmpl(TCP_ACK | TCP_PSH, seq, 1001);
		d.wnd = TH_ANY;
		d.len = 1;
		th_expect(&d);
		th_advance(100 * TH_MS);
		a = th_tmpl(TCP_ACK, 1001, ++seq);
		a.wnd = 502;
		th_inject(&a);
		tcp_get_info(c, &i, T.now);
		cr_assert_eq(i.srtt, 100 * TH_MS);
		cr_assert_eq(i.rto, 300 * TH_MS, "sample %d: rto %llu", k,
			     (unsigned long long)i.rto);
	}
	cr_assert_eq(i.rttvar, 28125 * 1000, "mdev 28.125 ms");
	/* a segment lost: resent at 300 ms, not before */
	cr_assert_eq(tcp_send(c, "y", 1, T.now), 1);
	d = th_tmpl(TCP_ACK | TCP_PSH, seq, 1001);
	d.wnd = TH_ANY;
	d.len = 1;
	th_expect(&d);
	th_advance(300 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	th_expect(&d);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/*
 * RFC 7661 / Linux's tcp_is_cwnd_limited(): a sender that writes less
 * than its window each round trip (two segments: 10 < 2 * 2 fails) keeps
 * cwnd at the initial 10 segments, however many ACKs come; once it fills
 * the window (20 segments written, 10 out) cwnd grows again.
 */
TH_TEST(tcp_timers, cwnd_grows_only_when_cwnd_limited)
{
	struct tcp_sock *l, *c;
	uint32_t iss, seq;
	static uint8_t big[20 * 1460];
	struct tcp_info_rec i;
	struct tcp_linux_info ti;
	struct th_seg d, a;

	th_setup_cfg(no_tlp);
	iss = th_passive_open(&l, &c, 1000, false);
	seq = iss + 1;
	for (int r = 0; r < 8; r++) {
		cr_assert_eq(tcp_send(c, big, 2 * 1460, T.now), 2 * 1460);
		for (int k = 0; k < 2; k++) {
			d = th_tmpl(TCP_ACK | (k ? TCP_PSH : 0), seq + k * 1460,
				    1001);
			d.wnd = TH_ANY;
			d.len = 1460;
			th_expect(&d);
		}
		th_expect_none();
		th_advance(20 * TH_MS);
		seq += 2 * 1460;
		a = th_tmpl(TCP_ACK, 1001, seq);
		a.wnd = 502;
		th_inject(&a);
		tcp_get_info(c, &i, T.now);
		tcp_info_to_linux(&i, &ti);
		cr_assert_eq(ti.snd_cwnd, 10, "round %d: cwnd %u", r,
			     ti.snd_cwnd);
		cr_assert_eq(i.cwnd, 10 * 1460);
	}
	/* now the window is full: 10 of 20 segments go, cwnd-limited */
	cr_assert_eq(tcp_send(c, big, sizeof(big), T.now), sizeof(big));
	cr_assert_eq(th_pending(), 10);
	drain();
	th_advance(20 * TH_MS);
	a = th_tmpl(TCP_ACK, 1001, seq + 2 * 1460);
	a.wnd = 502;
	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	tcp_info_to_linux(&i, &ti);
	cr_assert_eq(ti.snd_cwnd, 12, "slow start: + 2 segments acked");
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/*
 * Congestion control counts segments, not bytes, as Linux counts packets:
 * after a timeout (cwnd 1) the ACK of the resent 100-byte segment grows
 * cwnd to 2 in slow start, as a full one would
 */
TH_TEST(tcp_timers, cwnd_counts_segments_not_bytes)
{
	struct tcp_sock *l, *c;
	uint32_t iss;
	struct tcp_info_rec i;
	struct tcp_linux_info ti;
	struct th_seg a;

	th_setup_cfg(no_tlp);
	iss = th_passive_open(&l, &c, 1000, false);
	tcp_close(l, T.now);
	cr_assert_eq(tcp_send(c, "0123456789", 10, T.now), 10);
	drain();
	until_resent(T.now + 10 * TH_SEC);
	tcp_get_info(c, &i, T.now);
	tcp_info_to_linux(&i, &ti);
	cr_assert_eq(ti.snd_cwnd, 1, "after the timeout");
	th_advance(10 * TH_MS);
	a = th_tmpl(TCP_ACK, 1001, iss + 1 + 10);
	a.wnd = 502;
	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	tcp_info_to_linux(&i, &ti);
	cr_assert_eq(ti.snd_cwnd, 2, "one segment acked: cwnd %u",
		     ti.snd_cwnd);
	tcp_abort(c, T.now);
	drain();
}

/*
 * The peer's FIN after its data waits for the delayed-ACK timer (Linux's
 * tcp_fin(): CLOSE_WAIT in pingpong mode, ato 40 ms), so that a prompt
 * close carries the ACK on its FIN; a FIN before any data is acknowledged
 * at once (ato still 0)
 */
TH_TEST(tcp_timers, fin_after_data_acked_by_the_delack_timer)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, 1001, iss + 1), f, a;
	uint64_t t0;

	tcp_close(l, T.now);
	d.wnd = 502;
	d.data = (const uint8_t *)"0123456789";
	d.len = 10;
	th_inject(&d);
	a = th_tmpl(TCP_ACK, iss + 1, 1011);
	a.wnd = TH_ANY;
	th_expect(&a);                  /* quick ACK of the data */
	th_advance(100 * TH_MS);
	f = th_tmpl(TCP_ACK | TCP_FIN, 1011, iss + 1);
	f.wnd = 502;
	th_inject(&f);
	t0 = T.now;
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSE_WAIT);
	th_expect_none();
	th_advance(40 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	a.ack = 1012;
	th_expect(&a);
	cr_assert_eq(T.now - t0, 40 * TH_MS);
	tcp_abort(c, T.now);
	drain();

	/* no data before: at once */
	iss = th_passive_open(&l, &c, 1000, false);
	tcp_close(l, T.now);
	f = th_tmpl(TCP_ACK | TCP_FIN, 1001, iss + 1);
	f.wnd = 502;
	th_inject(&f);
	a = th_tmpl(TCP_ACK, iss + 1, 1002);
	a.wnd = TH_ANY;
	th_expect(&a);
	tcp_abort(c, T.now);
	drain();
}

/* Grow cwnd to 40 segments: 30 written, two rounds of ACKs 10 ms apart
 * (10 acked: cwnd 20, the other 20 go; 20 acked while cwnd-limited: 40) */
static uint32_t grow_to_40(struct tcp_sock *c, uint32_t iss)
{
	static uint8_t big[30 * 1460];
	struct th_seg a;
	struct tcp_info_rec i;

	cr_assert_eq(tcp_send(c, big, sizeof(big), T.now), sizeof(big));
	cr_assert_eq(th_pending(), 10);
	drain();
	th_advance(10 * TH_MS);
	a = th_tmpl(TCP_ACK, 1001, iss + 1 + 10 * 1460);
	a.wnd = 502;
	th_inject(&a);
	cr_assert_eq(th_pending(), 20);
	drain();
	th_advance(10 * TH_MS);
	a.ack = iss + 1 + 30 * 1460;
	th_inject(&a);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 40 * 1460);
	return iss + 1 + 30 * 1460;
}

/* one segment written, sent, ACKed at once */
static uint32_t one_round(struct tcp_sock *c, uint32_t seq)
{
	static uint8_t b[1460];
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, seq, 1001), a;

	cr_assert_eq(tcp_send(c, b, sizeof(b), T.now), sizeof(b));
	d.wnd = TH_ANY;
	d.len = 1460;
	th_expect(&d);
	a = th_tmpl(TCP_ACK, 1001, seq + 1460);
	a.wnd = 502;
	th_inject(&a);
	return seq + 1460;
}

/*
 * RFC 5681 4.1 restart after idle, as Linux's
 * tcp_slow_start_after_idle_check() / tcp_cwnd_restart(): idle longer
 * than the RTO with nothing in flight, the next write halves cwnd once
 * per RTO that passed after the first, down to the restart window
 * (min(init_cwnd, cwnd) = 10). RTO here: samples 1 us (handshake),
 * 10 ms, 10 ms: srtt8 8 -> 10007 -> 18757, rttvar 200000 us, RTO =
 * usecs_to_jiffies(2344 + 200000) = 203 ms.
 */
TH_TEST(tcp_timers, restart_after_idle_halves_per_rto)
{
	struct tcp_sock *l, *c;
	uint32_t iss, seq;
	struct tcp_info_rec i;
	uint64_t rto;

	th_setup_cfg(no_tlp);
	iss = th_passive_open(&l, &c, 1000, false);
	seq = grow_to_40(c, iss);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.rto, 203 * TH_MS);
	rto = i.rto;
	/* idle exactly one RTO since data was last sent (10 ms before the
	 * last ACK; Linux's lsndtime): not longer, nothing changes */
	th_advance(rto - 10 * TH_MS);
	seq = one_round(c, seq);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 40 * 1460, "idle = RTO: cwnd %u", i.cwnd);
	/* idle 1.5 RTO: delta - RTO > 0 once: 40 -> 20 */
	tcp_get_info(c, &i, T.now);
	rto = i.rto;
	th_advance(rto + rto / 2);
	seq = one_round(c, seq);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 20 * 1460, "idle 1.5 RTO: cwnd %u", i.cwnd);
	/* idle 5 RTOs: 20 -> 10, and never below the restart window */
	tcp_get_info(c, &i, T.now);
	th_advance(5 * i.rto);
	seq = one_round(c, seq);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 10 * 1460, "idle 5 RTO: cwnd %u", i.cwnd);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

static void no_tlp_no_ssai(struct stack_config *cfg)
{
	cfg->tcp_tlp = false;
	cfg->tcp_slow_start_after_idle = false;
}

/* tcp-slow-start-after-idle = no (net.ipv4.tcp_slow_start_after_idle=0):
 * cwnd survives any idle time */
TH_TEST(tcp_timers, restart_after_idle_off_keeps_cwnd)
{
	struct tcp_sock *l, *c;
	uint32_t iss, seq;
	struct tcp_info_rec i;

	th_setup_cfg(no_tlp_no_ssai);
	iss = th_passive_open(&l, &c, 1000, false);
	seq = grow_to_40(c, iss);
	th_advance(60 * TH_SEC);
	seq = one_round(c, seq);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.cwnd, 40 * 1460);
	(void)seq;
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}
