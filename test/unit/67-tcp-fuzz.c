/* SPDX-License-Identifier: MIT */
/*
 * 67-tcp-fuzz.c - random segments against live connections in every
 * state: nothing a packet does may crash the engine, leak, or break its
 * invariants (run under ASan+UBSan by check-asan)
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_fuzz, .init = th_setup, .fini = th_teardown);

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* A segment near the connection's numbers, or anywhere. */
static void random_segment(uint32_t rcv, uint32_t snd)
{
	static uint8_t data[1600];
	struct th_seg s = th_tmpl((uint8_t)rnd(), 0, 0);
	uint32_t r = rnd();

	s.seq = (r & 3) ? rcv + (rnd() % 200000) - 100000 : rnd();
	s.ack = (r & 12) ? snd + (rnd() % 200000) - 100000 : rnd();
	s.wnd = rnd() % 65536;
	s.mss = (rnd() & 1) ? (int)(rnd() % 65536) : -1;
	s.ws = (rnd() & 1) ? (int)(rnd() % 20) : -1;
	s.sackok = rnd() & 1;
	s.ts = rnd() & 1;
	s.tsval = (rnd() & 1) ? rnd() : 1000 + rnd() % 100;
	s.tsecr = rnd();
	s.nsack = rnd() % 4;
	for (unsigned i = 0; i < s.nsack; i++) {
		s.sack[i][0] = snd + (rnd() % 100000) - 50000;
		s.sack[i][1] = s.sack[i][0] + rnd() % 20000;
	}
	if (s.nsack && s.ts && s.mss >= 0 && s.ws >= 0)
		s.nsack = 1;  /* keep the options within 40 bytes */
	s.len = (rnd() & 1) ? rnd() % 1400 : 0;
	for (uint32_t i = 0; i < s.len; i++)
		data[i] = (uint8_t)rnd();
	s.data = data;
	if (rnd() % 4 == 0)
		s.dport = (uint16_t)rnd();
	th_inject(&s);
}

/* FUZZ_ROUNDS and FUZZ_SEED in the environment run it longer */
TH_TEST(tcp_fuzz, random_segments_into_every_state)
{
	const char *r = getenv("FUZZ_ROUNDS"), *sd = getenv("FUZZ_SEED");
	int rounds = r ? atoi(r) : 40;

	if (sd)
		rng = strtoull(sd, NULL, 10) | 1;
	for (int round = 0; round < rounds; round++) {
		struct tcp_sock *l, *c;
		uint32_t iss = th_passive_open(&l, &c, 1000 + round, round & 1);
		static uint8_t sink[65536];

		if (round % 3 == 1)
			tcp_shutdown(c, TCP_SHUT_WR, T.now);
		tcp_send(c, sink, rnd() % 60000, T.now);
		for (int i = 0; i < 400; i++) {
			random_segment(1001 + round, iss + 1);
			if (i % 50 == 0)
				th_advance(rnd() % (300 * TH_MS));
			if (i % 7 == 0)
				tcp_recv(c, sink, sizeof(sink), 0, T.now);
			T.head = T.tail;
		}
		tcp_close(l, T.now);
		if (round & 2)
			tcp_abort(c, T.now);
		else
			tcp_close(c, T.now);
		th_advance(3600 * TH_SEC);
		T.head = T.tail;
		cr_assert_eq(tcp_sock_count(T.s), 0, "round %d", round);
		cr_assert_eq(tcp_mem_in_use(T.s), 0);
	}
}
