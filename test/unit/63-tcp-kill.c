/* SPDX-License-Identifier: MIT */
/*
 * 63-tcp-kill.c - aborting a connection from outside (ustackctl kill):
 * tcp_find() by id and by 4-tuple, tcp_terminate() in the states where a
 * reset goes out and in those where it does not, held and orphan sockets.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"
#include "stack_impl.h"

TH_SUITE(tcp_kill, .init = th_setup, .fini = th_teardown);

static struct th_seg seg(uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct th_seg s = th_tmpl(flags, seq, ack);

	s.wnd = 502;
	return s;
}

TH_TEST(tcp_kill, find_by_id_and_tuple)
{
	struct tcp_sock *l, *c;
	struct tcp_info_rec i;
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg rst = th_tmpl(TCP_RST | TCP_ACK, iss + 1, 1001);
	tcp_get_info(c, &i, T.now);
	cr_assert_neq(i.id, 0);
	tcp_getsockname(c, &laddr, &lport);
	tcp_getpeername(c, &raddr, &rport);
	cr_assert_eq(tcp_find(T.s, i.id, NULL, 0, NULL, 0), c);
	cr_assert_eq(tcp_find(T.s, 0, &laddr, lport, &raddr, rport), c);
	cr_assert_null(tcp_find(T.s, 0, &laddr, lport, &raddr, rport + 1));
	cr_assert_null(tcp_find(T.s, i.id + 1000, NULL, 0, NULL, 0));
	tcp_get_info(l, &i, T.now);
	cr_assert_eq(tcp_find(T.s, i.id, NULL, 0, NULL, 0), l, "a listener by id");
	cr_assert_eq(tcp_terminate(l, T.now), -EINVAL, "but never killed");
	cr_assert_eq(tcp_terminate(c, T.now), 0);
	rst.wnd = TH_ANY;
	th_expect(&rst);
	cr_assert_eq(tcp_terminate(c, T.now), -EINVAL, "already closed");
	tcp_close(c, T.now);
	tcp_close(l, T.now);
	th_expect_none();
}

/* The FreeRTOS case: the peer left, the program never closes */
TH_TEST(tcp_kill, close_wait_held_by_a_program)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg f = seg(TCP_FIN | TCP_ACK, 1001, iss + 1);
	struct th_seg rst = th_tmpl(TCP_RST | TCP_ACK, iss + 1, 1002);
	char b[4];

	th_inject(&f);
	th_expect(&(struct th_seg){ .flags = TCP_ACK, .seq = iss + 1, .ack = 1002,
				    .wnd = TH_ANY, .mss = -1, .ws = -1 });
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSE_WAIT);
	T.events = 0;
	cr_assert_eq(tcp_terminate(c, T.now), 0);
	/* RFC 9293 3.10.7 ABORT: "<SEQ=SND.NXT><CTL=RST>" */
	rst.wnd = TH_ANY;
	th_expect(&rst);
	th_expect_none();
	cr_assert_eq(tcp_sock_state(c), TCP_CLOSED);
	cr_assert(T.events & TCP_EV_ERROR, "the holder is told");
	cr_assert(T.events & TCP_EV_CLOSED);
	cr_assert_eq(tcp_sock_error(c), -ECONNABORTED);
	cr_assert_eq(tcp_recv(c, b, sizeof(b), 0, T.now), 0,
		     "after the error: end of stream");
	cr_assert_null(tcp_find(T.s, 0, TH_US_A, T.lport, TH_PEER_A, T.pport),
		       "no connection any more");
	cr_assert_eq(th_counter("tcp_terminated"), 1);
	/* the pair is free at once: no TIME_WAIT */
	tcp_close(c, T.now);
	cr_assert_eq(tcp_sock_count(T.s), 1, "only the listener");
	tcp_close(l, T.now);
}

TH_TEST(tcp_kill, established_orphan_and_time_wait)
{
	struct tcp_sock *c, *sk;
	uint32_t iss = th_active_open(&c, 5000, false);
	struct th_seg rst = th_tmpl(TCP_RST | TCP_ACK, iss + 2, 5001);
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;

	tcp_getsockname(c, &laddr, &lport);
	tcp_getpeername(c, &raddr, &rport);
	/* close: FIN out; the program lets go, the engine keeps an orphan */
	tcp_close(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = iss + 1,
				    .ack = 5001, .wnd = TH_ANY, .mss = -1, .ws = -1 });
	sk = tcp_find(T.s, 0, &laddr, lport, &raddr, rport);
	cr_assert_not_null(sk, "FIN_WAIT_1 orphan");
	cr_assert_eq(tcp_sock_state(sk), TCP_FIN_WAIT_1);
	cr_assert_eq(tcp_terminate(sk, T.now), 0);
	rst.seq = iss + 2;
	rst.wnd = TH_ANY;
	th_expect(&rst);
	cr_assert_eq(tcp_sock_count(T.s), 0, "the orphan is freed");

	/* TIME_WAIT: freed, and no reset (RFC 9293 3.10.7 sends none there) */
	iss = th_active_open(&c, 9000, false);
	tcp_getsockname(c, &laddr, &lport);
	tcp_close(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = iss + 1,
				    .ack = 9001, .wnd = TH_ANY, .mss = -1, .ws = -1 });
	{
		struct th_seg fa = seg(TCP_FIN | TCP_ACK, 9001, iss + 2);

		fa.dport = lport;
		th_inject(&fa);
	}
	th_expect(&(struct th_seg){ .flags = TCP_ACK, .seq = iss + 2, .ack = 9002,
				    .wnd = TH_ANY, .mss = -1, .ws = -1 });
	sk = tcp_find(T.s, 0, &laddr, lport, &raddr, rport);
	cr_assert_not_null(sk);
	cr_assert_eq(tcp_sock_state(sk), TCP_TIME_WAIT);
	cr_assert_eq(tcp_terminate(sk, T.now), 0);
	th_expect_none();
	cr_assert_eq(tcp_sock_count(T.s), 0);
}

/* An active open and close to TIME_WAIT; Return: the engine's socket */
static struct tcp_sock *to_time_wait(uint32_t peer_isn)
{
	struct tcp_sock *c, *sk;
	uint32_t iss = th_active_open(&c, peer_isn, false);
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;
	struct th_seg fa;

	tcp_getsockname(c, &laddr, &lport);
	tcp_getpeername(c, &raddr, &rport);
	tcp_close(c, T.now);
	th_expect(&(struct th_seg){ .flags = TCP_FIN | TCP_ACK, .seq = iss + 1,
				    .ack = peer_isn + 1, .wnd = TH_ANY,
				    .mss = -1, .ws = -1 });
	fa = seg(TCP_FIN | TCP_ACK, peer_isn + 1, iss + 2);
	fa.dport = lport;
	th_inject(&fa);
	th_expect(&(struct th_seg){ .flags = TCP_ACK, .seq = iss + 2,
				    .ack = peer_isn + 2, .wnd = TH_ANY,
				    .mss = -1, .ws = -1 });
	sk = tcp_find(T.s, 0, &laddr, lport, &raddr, rport);
	cr_assert_not_null(sk);
	cr_assert_eq(tcp_sock_state(sk), TCP_TIME_WAIT);
	return sk;
}

/* The TIME_WAIT age list stays whole when one leaves from its middle,
 * its head or its tail (a kill here; a port taken again, elsewhere) */
TH_TEST(tcp_kill, time_wait_list_unlinks_anywhere)
{
	struct tcp_table *t = T.s->tcp;
	struct tcp_sock *a = to_time_wait(1000), *b = to_time_wait(2000);
	struct tcp_sock *c = to_time_wait(3000), *d = to_time_wait(4000);

	cr_assert_eq(t->ntw, 4u);
	cr_assert(t->tw_head == a && t->tw_tail == d);
	cr_assert_eq(tcp_terminate(b, T.now), 0);          /* the middle */
	cr_assert_eq(t->ntw, 3u);
	cr_assert(a->tw_next == c && c->tw_prev == a);
	cr_assert_eq(tcp_terminate(a, T.now), 0);          /* the head */
	cr_assert(t->tw_head == c && c->tw_prev == NULL);
	cr_assert_eq(tcp_terminate(d, T.now), 0);          /* the tail */
	cr_assert(t->tw_head == c && t->tw_tail == c && !c->tw_next);
	cr_assert_eq(t->ntw, 1u);
	th_expect_none();
	th_advance(3600 * TH_SEC);                         /* 2 MSL: freed */
	cr_assert_eq(t->ntw, 0u);
	cr_assert(!t->tw_head && !t->tw_tail);
	cr_assert_eq(tcp_sock_count(T.s), 0);
}
