/* SPDX-License-Identifier: MIT */
/*
 * 65-tcp-listen.c - listeners: SYN cookies (RFC 4987), the half-open and
 * accept bounds, address reuse as Linux (EADDRINUSE, SO_REUSEADDR with
 * TIME_WAIT, SO_REUSEPORT), ephemeral ports (RFC 6056), ISNs (RFC 6528),
 * the socket bound and memory by use
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"
#include "stack_impl.h"

TH_SUITE(tcp_listen, .init = th_setup, .fini = th_teardown);

static struct tcp_sock *listener(uint16_t port, int backlog)
{
	struct tcp_sock *l;

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, port), 0);
	cr_assert_eq(tcp_listen(l, backlog, T.now), 0);
	T.lport = port;
	return l;
}

static struct th_seg syn_from(uint16_t sport, uint32_t isn, bool opts)
{
	struct th_seg s = th_tmpl(TCP_SYN, isn, 0);

	s.sport = sport;
	s.wnd = 64240;
	s.mss = 1460;
	if (opts) {
		s.sackok = true;
		s.ts = true;
		s.tsval = 777;
		s.tsecr = 0;
		s.ws = 7;
	}
	return s;
}

/* A peer at @sport opens a connection with ISN @isn, no options (the
 * listener is T.lport's): SYN, our SYN-ACK, its ACK. Return: our ISN */
static uint32_t handshake(uint16_t sport, uint32_t isn)
{
	struct th_seg s = syn_from(sport, isn, false), a;
	struct tcp_seg g;

	th_inject(&s);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = isn + 1, .wnd = TH_ANY, .mss = 1460,
					.ws = -1 });
	a = th_tmpl(TCP_ACK, isn + 1, g.seq + 1);
	a.sport = sport;
	a.wnd = 1000;
	th_inject(&a);
	return g.seq;
}

static void drain(void)
{
	while (th_pending())
		T.head++;
}

static void backlog_one(struct stack_config *cfg)
{
	cfg->tcp_max_syn_backlog = 1;
}

/* RFC 4987 3.6: with the SYN queue full, answer with a cookie and keep
 * no state; the ACK that returns it makes the connection, with MSS,
 * window scale and SACK recovered (the last two from the timestamp). */
TH_TEST(tcp_listen, syn_cookies, .init = NULL)
{
	struct tcp_sock *l, *c;
	struct th_seg s, a;
	struct tcp_seg g;
	struct tcp_info_rec i;

	th_setup_cfg(backlog_one);
	l = listener(80, 8);
	s = syn_from(5001, 100, true);
	th_inject(&s);
	drain();
	cr_assert_eq(th_counter("tcp_syncookies_sent"), 0);
	s = syn_from(5002, 200, true);
	th_inject(&s);
	cr_assert_eq(th_counter("tcp_syncookies_sent"), 1);
	cr_assert_eq(tcp_sock_count(T.s), 2, "no state for the cookie");
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 201, .wnd = 65160, .mss = 1460,
					.sackok = true, .ts = true, .tsecr = 777,
					.ws = 7 });
	a = th_tmpl(TCP_ACK, 201, g.seq + 1);
	a.sport = 5002;
	a.wnd = 502;
	a.ts = true;
	a.tsval = 778;
	a.tsecr = g.tsval;
	th_inject(&a);
	cr_assert_eq(th_counter("tcp_syncookies_ok"), 1);
	cr_assert_eq(tcp_accept(l, &c), 0);
	tcp_get_info(c, &i, T.now);
	cr_assert_eq(i.state, TCP_ESTABLISHED);
	cr_assert_eq(i.snd_wscale, 7);
	cr_assert(i.sack);
	cr_assert(i.ts);
	cr_assert_eq(i.snd_mss, 1448);
	cr_assert_eq(i.snd_wnd, 502 << 7);
	/* a forged cookie is refused with RST */
	a.sport = 5003;
	a.ack = g.seq + 12345;
	th_inject(&a);
	cr_assert_eq(th_counter("tcp_syncookies_failed"), 1);
	th_expect(&(struct th_seg){ .flags = TCP_RST, .seq = g.seq + 12345,
				    .wnd = 0, .mss = -1, .ws = -1 });
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
	th_teardown();
}

/* listen(backlog): SYNs beyond a full accept queue are dropped; full
 * means more than backlog waiting, as Linux (backlog 0 still takes one) */
TH_TEST(tcp_listen, accept_queue_bound)
{
	struct tcp_sock *l = listener(80, 0), *c;
	struct th_seg s;

	handshake(5001, 100);
	cr_assert(T.events & TCP_EV_ACCEPT);
	s = syn_from(5002, 300, false);
	th_inject(&s);
	th_expect_none();
	cr_assert_eq(th_counter("tcp_listen_overflow"), 1);
	{
		struct tcp_info_rec i;

		tcp_get_info(l, &i, T.now);
		cr_assert_eq(i.state, TCP_LISTEN);
		cr_assert_eq(i.accept_qlen, 1);
		cr_assert_eq(i.syn_qlen, 0);
		cr_assert_eq(i.backlog, 0);
	}
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_accept(l, &c), -EAGAIN);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/* An accepted connection takes the listener's TCP_USER_TIMEOUT, as
 * Linux's clone of the listening socket does */
TH_TEST(tcp_listen, accepted_inherits_user_timeout)
{
	struct tcp_sock *l = listener(80, 4), *c;
	int v = 0;

	cr_assert_eq(tcp_setsockopt(l, TCP_OPT_USER_TIMEOUT, 4321, T.now), 0);
	handshake(5001, 100);
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_getsockopt(c, TCP_OPT_USER_TIMEOUT, &v), 0);
	cr_assert_eq(v, 4321);
	tcp_close(l, T.now);
	tcp_abort(c, T.now);
	drain();
}

/* Closing a listener resets the connections nobody accepted */
TH_TEST(tcp_listen, close_listener_resets_children)
{
	struct tcp_sock *l = listener(80, 4);
	struct th_seg s = syn_from(5001, 100, false);
	struct tcp_seg g;

	th_inject(&s);
	g = th_expect(&(struct th_seg){ .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY,
					.ack = 101, .wnd = TH_ANY, .mss = 1460,
					.ws = -1 });
	tcp_close(l, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_RST | TCP_ACK, .seq = g.seq + 1,
				    .ack = 101, .wnd = TH_ANY, .mss = -1, .ws = -1 });
	cr_assert_eq(tcp_sock_count(T.s), 0);
}

/* SYN-ACK retransmission, then the half-open child gives up */
TH_TEST(tcp_listen, synack_retries)
{
	struct tcp_sock *l = listener(80, 4);
	struct th_seg s = syn_from(5001, 100, false);
	struct th_seg sa = { .flags = TCP_SYN | TCP_ACK, .seq = TH_ANY, .ack = 101,
			     .wnd = TH_ANY, .mss = 1460, .ws = -1 };
	uint64_t t0 = T.now;

	th_inject(&s);
	th_expect(&sa);
	for (unsigned i = 1; i <= 5; i++) {
		th_advance_to(t0 + ((1ull << i) - 1) * TH_SEC);
		th_expect(&sa);
	}
	cr_assert_eq(tcp_sock_count(T.s), 2);
	th_advance_to(t0 + 63 * TH_SEC);
	cr_assert_eq(tcp_sock_count(T.s), 1);
	cr_assert_eq(th_counter("tcp_syn_retrans"), 5);
	th_expect_none();
	tcp_close(l, T.now);
}

TH_TEST(tcp_listen, bind_conflicts)
{
	struct tcp_sock *a, *b;

	cr_assert_eq(th_open(&a), 0);
	cr_assert_eq(th_open(&b), 0);
	cr_assert_eq(tcp_bind(a, NULL, 80), 0);
	cr_assert_eq(tcp_bind(a, NULL, 81), -EINVAL, "already bound");
	cr_assert_eq(tcp_bind(b, NULL, 80), -EADDRINUSE);
	cr_assert_eq(tcp_bind(b, TH_US_A, 80), -EADDRINUSE, "wildcard owns it");
	cr_assert_eq(tcp_bind(b, TH_OTHER_A, 80), -EADDRNOTAVAIL);
	cr_assert_eq(tcp_setsockopt(a, TCP_SO_REUSEADDR, 1, T.now), 0);
	cr_assert_eq(tcp_setsockopt(b, TCP_SO_REUSEADDR, 1, T.now), 0);
	cr_assert_eq(tcp_listen(a, 4, T.now), 0);
	cr_assert_eq(tcp_bind(b, NULL, 80), -EADDRINUSE,
		     "SO_REUSEADDR does not share with a listener");
	cr_assert_eq(tcp_bind(b, NULL, 0), 0, "ephemeral");
	tcp_close(a, T.now);
	tcp_close(b, T.now);
}

/* SO_REUSEADDR on both lets a bind through while only TIME_WAIT holds
 * the port; without it, EADDRINUSE, as Linux. */
/* A listener on port 80 with SO_REUSEADDR and one accepted connection. */
static uint32_t reuse_listener_with_child(struct tcp_sock **l,
					  struct tcp_sock **c)
{
	uint32_t iss;

	cr_assert_eq(th_open(l), 0);
	cr_assert_eq(tcp_setsockopt(*l, TCP_SO_REUSEADDR, 1, T.now), 0);
	cr_assert_eq(tcp_bind(*l, NULL, 80), 0);
	cr_assert_eq(tcp_listen(*l, 4, T.now), 0);
	T.lport = 80;
	iss = handshake(TH_PEER_PORT, 1000);
	cr_assert_eq(tcp_accept(*l, c), 0);
	return iss;
}

TH_TEST(tcp_listen, reuseaddr_with_time_wait)
{
	struct tcp_sock *l, *c, *n;
	uint32_t iss;
	struct th_seg a;

	iss = reuse_listener_with_child(&l, &c);
	tcp_close(l, T.now);
	cr_assert_eq(th_open(&n), 0);
	cr_assert_eq(tcp_bind(n, NULL, 80), -EADDRINUSE, "a connection owns it");
	tcp_close(c, T.now);
	drain();
	a = th_tmpl(TCP_FIN | TCP_ACK, 1001, iss + 2);
	a.wnd = 1000;
	th_inject(&a);
	drain();
	cr_assert_eq(tcp_bind(n, NULL, 80), -EADDRINUSE, "no SO_REUSEADDR");
	cr_assert_eq(tcp_setsockopt(n, TCP_SO_REUSEADDR, 1, T.now), 0);
	cr_assert_eq(tcp_bind(n, NULL, 80), 0, "only TIME_WAIT is left");
	tcp_close(n, T.now);
}

/*
 * A server restarts while its old connection still closes: with
 * SO_REUSEADDR on both, Linux lets the new socket bind and listen (only a
 * listener conflicts); iperf3 -s does this between tests.
 */
TH_TEST(tcp_listen, reuseaddr_while_old_connections_close)
{
	struct tcp_sock *l, *c, *n, *n2;
	uint32_t iss;
	struct th_seg a;

	iss = reuse_listener_with_child(&l, &c);
	cr_assert_eq(th_open(&n), 0);
	cr_assert_eq(tcp_setsockopt(n, TCP_SO_REUSEADDR, 1, T.now), 0);
	cr_assert_eq(tcp_bind(n, NULL, 80), -EADDRINUSE, "the listener is there");
	tcp_close(l, T.now);
	cr_assert_eq(tcp_bind(n, NULL, 80), 0,
		     "an ESTABLISHED child with SO_REUSEADDR does not conflict");
	cr_assert_eq(tcp_listen(n, 4, T.now), 0);
	/* the old connection closes on its own (FIN_WAIT_1 now) */
	tcp_close(c, T.now);
	drain();
	cr_assert_eq(th_open(&n2), 0);
	cr_assert_eq(tcp_setsockopt(n2, TCP_SO_REUSEADDR, 1, T.now), 0);
	cr_assert_eq(tcp_bind(n2, NULL, 80), -EADDRINUSE, "but the new listener does");
	tcp_close(n2, T.now);
	a = th_tmpl(TCP_FIN | TCP_ACK, 1001, iss + 2);
	a.wnd = 1000;
	th_inject(&a);
	drain();
	tcp_close(n, T.now);
}

/* SO_REUSEPORT: listeners share a port; SYNs are spread by 4-tuple */
TH_TEST(tcp_listen, reuseport_spreads)
{
	struct tcp_sock *l[2], *c;
	unsigned got[2] = { 0, 0 };

	for (int i = 0; i < 2; i++) {
		cr_assert_eq(th_open(&l[i]), 0);
		cr_assert_eq(tcp_setsockopt(l[i], TCP_SO_REUSEPORT, 1, T.now),
			     0);
		cr_assert_eq(tcp_bind(l[i], NULL, 80), 0);
		cr_assert_eq(tcp_listen(l[i], 64, T.now), 0);
	}
	T.lport = 80;
	for (uint16_t p = 0; p < 16; p++) {
		struct th_seg s = syn_from((uint16_t)(6000 + p), 100, false);

		th_inject(&s);
	}
	drain();
	for (int i = 0; i < 2; i++)
		got[i] = l[i]->lq->syn_qlen;
	cr_assert_eq(got[0] + got[1], 16);
	cr_assert(got[0] > 0 && got[1] > 0, "spread %u/%u", got[0], got[1]);
	for (int i = 0; i < 2; i++)
		tcp_close(l[i], T.now);
	drain();
	(void)c;
}

/* RFC 6056: ephemeral ports in Linux's range, distinct per connection */
TH_TEST(tcp_listen, ephemeral_ports)
{
	struct tcp_sock *c[3];
	struct ip_addr a;
	uint16_t p[3];

	for (int i = 0; i < 3; i++) {
		cr_assert_eq(th_open(&c[i]), 0);
		cr_assert_eq(tcp_connect(c[i], TH_PEER_A, 80, T.now), -EINPROGRESS);
		tcp_getsockname(c[i], &a, &p[i]);
		cr_assert(ip_addr_eq(&a, TH_US_A));
		cr_assert(p[i] >= 32768 && p[i] <= 60999);
	}
	cr_assert(p[0] != p[1] && p[1] != p[2] && p[0] != p[2]);
	cr_assert_eq(tcp_connect(c[0], TH_PEER_A, 80, T.now), -EALREADY);
	for (int i = 0; i < 3; i++)
		tcp_close(c[i], T.now);
	drain();
}

/* RFC 6528: ISN = M + F(4-tuple, key), M ticking every 4 us */
TH_TEST(tcp_listen, isn_clock_and_tuple)
{
	uint32_t a, b, d;

	stack_timeout(T.s, T.now);
	a = tcp_isn(T.s, TH_US_A, 1, TH_PEER_A, 2);
	d = tcp_isn(T.s, TH_US_A, 1, TH_PEER_A, 3);
	T.now += TH_SEC;
	stack_timeout(T.s, T.now);
	b = tcp_isn(T.s, TH_US_A, 1, TH_PEER_A, 2);
	cr_assert_eq(b - a, 250000);
	cr_assert_neq(a, d);
}

static void small_budget(struct stack_config *cfg)
{
	cfg->tcp_mem_budget = 300000;
	cfg->tcp_max_socks = 3;
}

/* Memory by use: a connection costs no buffer until data comes, so a
 * budget smaller than two connections' buffer sizes still opens both;
 * the number of sockets is what is bounded. */
TH_TEST(tcp_listen, memory_by_use_and_socket_limit, .init = NULL)
{
	struct tcp_sock *a, *b, *c, *d;

	th_setup_cfg(small_budget);
	cr_assert_eq(th_open(&a), 0);
	cr_assert_eq(th_open(&b), 0);
	cr_assert_eq(tcp_connect(a, TH_PEER_A, 80, T.now), -EINPROGRESS);
	cr_assert_eq(tcp_connect(b, TH_PEER_A, 80, T.now), -EINPROGRESS);
	cr_assert_eq(th_counter("tcp_mem_pressure"), 0);
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(th_open(&d), -ENOBUFS);
	cr_assert_eq(th_counter("tcp_nomem_socks"), 1);
	tcp_close(a, T.now);
	tcp_close(b, T.now);
	tcp_close(c, T.now);
	drain();
	th_teardown();
}

/* Buffers exist while they hold bytes: data received and read, data sent
 * and acknowledged, and the connection is back to no buffer memory */
TH_TEST(tcp_listen, idle_connection_holds_no_buffers)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, true);
	struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, 1001, iss + 1), a;
	char b[16];

	cr_assert_eq(tcp_mem_in_use(T.s), 0, "established, nothing queued");
	d.data = "hello";
	d.len = 5;
	th_inject(&d);
	cr_assert_gt(tcp_mem_in_use(T.s), 0, "the receive ring holds them");
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 5);
	cr_assert_eq(tcp_mem_in_use(T.s), 0, "read: the ring is gone");
	cr_assert_eq(tcp_send(c, "world", 5, T.now), 5);
	cr_assert_gt(tcp_mem_in_use(T.s), 0, "sent, not yet acknowledged");
	while (th_pending())
		T.head++;
	a = th_tmpl(TCP_ACK, 1006, iss + 6);
	th_inject(&a);
	cr_assert_eq(tcp_mem_in_use(T.s), 0, "acknowledged: ring and records gone");
	/* and again: a ring comes back when needed */
	d.seq = 1006;
	d.ack = iss + 6;
	th_inject(&d);
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 5);
	cr_assert(!memcmp(b, "hello", 5));
	cr_assert_eq(tcp_mem_in_use(T.s), 0);
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
}

static void tiny_budget(struct stack_config *cfg)
{
	cfg->tcp_mem_budget = 1000;
}

/* With the budget spent, a SYN is still answered (no silent refusal);
 * data that no receive ring can hold is dropped and counted, the peer
 * sends it again; a send ring is given at TCP_RING_MIN bytes, so the
 * connection still makes progress; and the shortage is counted. */
TH_TEST(tcp_listen, budget_short_pressure, .init = NULL)
{
	struct tcp_sock *l, *c;
	struct th_seg d;
	uint32_t iss;
	static char big[8192];

	th_setup_cfg(tiny_budget);
	iss = th_passive_open(&l, &c, 1000, true);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	d = th_tmpl(TCP_ACK | TCP_PSH, 1001, iss + 1);
	d.data = "hello";
	d.len = 5;
	th_inject(&d);
	cr_assert_eq(th_counter("tcp_rcv_nomem"), 1);
	cr_assert_geq(th_counter("tcp_mem_pressure"), 1);
	cr_assert_eq(tcp_recv_avail(c), 0, "dropped, not queued");
	cr_assert_eq(tcp_send_space(c), TCP_RING_MIN);
	cr_assert_eq(tcp_send(c, big, sizeof(big), T.now), TCP_RING_MIN);
	cr_assert_eq(tcp_mem_in_use(T.s), TCP_RING_MIN + TCP_TXREC_INIT *
		     sizeof(struct tcp_txrec));
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
	th_teardown();
}

/* A connection to one of our own addresses never touches the link */
TH_TEST(tcp_listen, loopback_connection)
{
	struct tcp_sock *l = listener(8080, 4), *c, *a;
	char b[16];
	uint64_t t0 = T.now;

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_US_A, 8080, T.now), -EINPROGRESS);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED, "handshake done locally");
	cr_assert_eq(tcp_accept(l, &a), 0);
	cr_assert_eq(tcp_send(c, "ping", 4, T.now), 4);
	cr_assert_eq(tcp_recv(a, b, sizeof(b), 0, T.now), 4);
	cr_assert(!memcmp(b, "ping", 4));
	cr_assert_eq(tcp_send(a, "pong!", 5, T.now), 5);
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 5);
	tcp_close(c, T.now);
	cr_assert_eq(tcp_recv(a, b, sizeof(b), 0, T.now), 0, "end of stream");
	tcp_close(a, T.now);
	tcp_close(l, T.now);
	th_expect_none();
	cr_assert_geq(th_counter(T.family == IP_V6 ? "ip6_tx_local" :
						   "ip_tx_local"), 8);
	th_advance_to(t0 + 61 * TH_SEC);
	cr_assert_eq(tcp_sock_count(T.s), 0);
}

/* Options as programs see them: SO_RCVBUF capped and doubled like Linux,
 * TCP_MAXSEG lowering the MSS we announce, defaults for keepalive */
TH_TEST(tcp_listen, socket_options)
{
	struct tcp_sock *c;
	int v;
	struct th_seg syn = th_tmpl(TCP_SYN, TH_ANY, 0);

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_RCVBUF, 10000, T.now), 0);
	cr_assert_eq(tcp_getsockopt(c, TCP_SO_RCVBUF, &v), 0);
	cr_assert_eq(v, 20000);
	/* capped at rmem_max (212992) before doubling, as Linux */
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_SNDBUF, 4 << 20, T.now), 0);
	cr_assert_eq(tcp_getsockopt(c, TCP_SO_SNDBUF, &v), 0);
	cr_assert_eq(v, 425984);
	cr_assert_eq(tcp_getsockopt(c, TCP_SO_SNDBUFFORCE, &v), -ENOPROTOOPT);
	cr_assert_eq(tcp_setsockopt(c, TCP_SO_SNDBUF, 65536, T.now), 0);
	cr_assert_eq(tcp_getsockopt(c, TCP_OPT_KEEPIDLE, &v), 0);
	cr_assert_eq(v, 7200);
	cr_assert_eq(tcp_getsockopt(c, TCP_OPT_KEEPCNT, &v), 0);
	cr_assert_eq(v, 9);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_MAXSEG, 20, T.now), -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_MAXSEG, 1000, T.now), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_CONGESTION, 7, T.now), -ENOENT);
	cr_assert_eq(tcp_getsockopt(c, TCP_OPT_CONGESTION, &v), 0);
	cr_assert_eq(v, TCP_CC_CUBIC);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	syn.mss = 1000;
	syn.sackok = syn.ts = true;
	syn.ws = 7;
	/* the buffer's window, 10000 (tcp_win_from_space(): half of
	 * 20000), rounddown(10000, 1000): already a multiple */
	syn.wnd = 10000;
	th_expect(&syn);
	cr_assert_eq(tcp_send(c, "x", 1, T.now), -EAGAIN, "not yet connected");
	tcp_close(c, T.now);
}

/* shutdown() as Linux's inet_shutdown(): ENOTCONN when closed, a listener
 * stops on SHUT_RD, a connect in progress is abandoned */
TH_TEST(tcp_listen, shutdown_semantics)
{
	struct tcp_sock *l = listener(80, 4), *c;

	cr_assert_eq(tcp_shutdown(l, TCP_SHUT_WR, T.now), 0);
	cr_assert_eq(tcp_sock_state(l), TCP_LISTEN);
	cr_assert_eq(tcp_shutdown(l, TCP_SHUT_RD, T.now), 0);
	cr_assert_eq(tcp_sock_state(l), TCP_CLOSED);
	cr_assert_eq(tcp_shutdown(l, TCP_SHUT_RD, T.now), -ENOTCONN);
	cr_assert_eq(tcp_shutdown(l, 7, T.now), -EINVAL);
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	drain();
	cr_assert_eq(tcp_shutdown(c, TCP_SHUT_RDWR, T.now), 0);
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	th_expect_none();
	tcp_close(c, T.now);
	tcp_close(l, T.now);
}

/* The time a socket call happens is an argument: after an idle period in
 * which the engine was not called, a new listener's age (netstat's Age,
 * TCP_INFO time in state) starts at its listen(), not at the engine's
 * last call, and SO_KEEPALIVE set on an idle connection arms its timer
 * from the time of the call. */
TH_TEST(tcp_listen, calls_take_their_time)
{
	struct tcp_sock *l;
	struct tcp_info_rec i;

	T.now += 3700 * TH_MS;          /* idle: no engine call */
	cr_assert_eq(th_open(&l), 0);
	T.now += 100 * TH_MS;
	cr_assert_eq(tcp_listen(l, 4, T.now), 0);
	T.now += 200 * TH_MS;
	tcp_get_info(l, &i, T.now);
	cr_assert_eq(i.time_in_state, 200 * TH_MS, "LISTEN for %llu ns",
		     (unsigned long long)i.time_in_state);
	tcp_close(l, T.now);
}

/* Tens of thousands of connections: the connection table doubles with
 * them (a lookup stays a short walk), every one is found by its 4-tuple,
 * and a listener is found in its own table whatever number of connections
 * share its port */
TH_TEST(tcp_listen, connection_table_grows)
{
	enum { N = 5000 };
	static struct tcp_sock *c[N];
	struct tcp_sock *l = listener(80, 4);
	struct ip_addr any = ip_any(T.family);
	unsigned longest = 0;

	for (unsigned i = 0; i < N; i++) {
		cr_assert_eq(th_open(&c[i]), 0);
		cr_assert_eq(tcp_connect(c[i], TH_PEER_A, (uint16_t)(1000 + i),
					 T.now), -EINPROGRESS);
		while (th_pending())
			T.head++;
	}
	cr_assert_geq(T.s->tcp->conn_size, N / 2, "grew from %u", TCP_HASH);
	cr_assert_eq(T.s->tcp->nconn, N);
	for (unsigned i = 0; i < T.s->tcp->conn_size; i++) {
		unsigned n = 0;

		for (struct tcp_sock *k = T.s->tcp->conn[i]; k; k = k->hnext)
			n++;
		longest = n > longest ? n : longest;
	}
	cr_assert_leq(longest, 16, "chains stay short (longest %u)", longest);
	for (unsigned i = 0; i < N; i++) {
		struct ip_addr la;
		uint16_t lp;

		tcp_getsockname(c[i], &la, &lp);
		cr_assert_eq(tcp_lookup_conn(T.s, &la, lp, TH_PEER_A,
					     (uint16_t)(1000 + i)), c[i]);
	}
	cr_assert_eq(tcp_lookup_listener(T.s, TH_US_A, 80, TH_PEER_A, 9), l);
	cr_assert_null(tcp_lookup_listener(T.s, &any, 81, TH_PEER_A, 9));
	for (unsigned i = 0; i < N; i++)
		tcp_abort(c[i], T.now);
	while (th_pending())
		T.head++;
	cr_assert_eq(T.s->tcp->nconn, 0);
	tcp_close(l, T.now);
	cr_assert_null(tcp_lookup_listener(T.s, TH_US_A, 80, TH_PEER_A, 9));
}

static void one_port(struct stack_config *cfg)
{
	cfg->tcp_port_lo = cfg->tcp_port_hi = 40000;
}

/* connect() shares an ephemeral port among connections to different
 * destinations, as Linux's __inet_hash_connect(): the 4-tuple tells them
 * apart; not with a socket bound by bind(), and not for the same
 * destination */
TH_TEST(tcp_listen, connect_shares_ephemeral_ports, .init = NULL)
{
	struct tcp_sock *a, *b, *c, *d;
	struct ip_addr la;
	uint16_t pa, pb;

	th_setup_cfg(one_port);
	cr_assert_eq(th_open(&a), 0);
	cr_assert_eq(th_open(&b), 0);
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(th_open(&d), 0);
	cr_assert_eq(tcp_connect(a, TH_PEER_A, 80, T.now), -EINPROGRESS);
	cr_assert_eq(tcp_connect(b, TH_PEER_A, 81, T.now), -EINPROGRESS);
	tcp_getsockname(a, &la, &pa);
	tcp_getsockname(b, &la, &pb);
	cr_assert_eq(pa, 40000);
	cr_assert_eq(pb, 40000, "the same port, another destination");
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EADDRNOTAVAIL,
		     "the same destination: no port left");
	cr_assert_eq(tcp_bind(d, NULL, 40000), -EADDRINUSE);
	tcp_abort(a, T.now);
	tcp_abort(b, T.now);
	tcp_close(c, T.now);
	tcp_close(d, T.now);
	drain();
	th_teardown();
}
