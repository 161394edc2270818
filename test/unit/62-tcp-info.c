/* SPDX-License-Identifier: MIT */
/*
 * 62-tcp-info.c - TCP_INFO as Linux 6.1 fills struct tcp_info
 * (net/ipv4/tcp.c tcp_get_info()): the engine's counters and
 * tcp_info_to_linux()'s units and quirks, on scripted connections whose
 * every number is known: a socket not connected, a listener, a passive
 * connection with data both ways and a 50 ms round trip, an active one
 * closed both ways, a retransmission timeout, out-of-order data, a zero
 * window.
 */
#include <criterion/criterion.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_info, .init = th_setup, .fini = th_teardown);

static uint8_t buf[8192];

static struct tcp_linux_info info(struct tcp_sock *sk)
{
	struct tcp_info_rec r;
	struct tcp_linux_info ti;

	tcp_get_info(sk, &r, T.now);
	tcp_info_to_linux(&r, &ti);
	return ti;
}

static void finish(struct tcp_sock *l, struct tcp_sock *c)
{
	tcp_abort(c, T.now);
	if (l)
		tcp_close(l, T.now);
	while (th_pending())
		T.head++;
}

/* The layout is Linux's, field by field: 6.1's (the headers here) ends
 * at tcpi_snd_wnd, 232 bytes; 6.18's goes on to 280 */
TH_TEST(tcp_info, layout_is_linux_6_1)
{
#define SAME(a, b) cr_assert_eq(offsetof(struct tcp_linux_info, a), \
				offsetof(struct tcp_info, b), #a)
	SAME(ca_state, tcpi_ca_state);
	SAME(options, tcpi_options);
	SAME(rto, tcpi_rto);
	SAME(rcv_mss, tcpi_rcv_mss);
	SAME(fackets, tcpi_fackets);
	SAME(last_ack_recv, tcpi_last_ack_recv);
	SAME(total_retrans, tcpi_total_retrans);
	SAME(pacing_rate, tcpi_pacing_rate);
	SAME(bytes_received, tcpi_bytes_received);
	SAME(min_rtt, tcpi_min_rtt);
	SAME(data_segs_out, tcpi_data_segs_out);
	SAME(delivery_rate, tcpi_delivery_rate);
	SAME(sndbuf_limited, tcpi_sndbuf_limited);
	SAME(delivered_ce, tcpi_delivered_ce);
	SAME(bytes_retrans, tcpi_bytes_retrans);
	SAME(rcv_ooopack, tcpi_rcv_ooopack);
	SAME(snd_wnd, tcpi_snd_wnd);
#undef SAME
	cr_assert_eq(offsetof(struct tcp_linux_info, snd_wnd) + 4, 232);
	cr_assert_eq(offsetof(struct tcp_linux_info, rcv_wnd), 232);
	cr_assert_eq(offsetof(struct tcp_linux_info, rehash), 236);
	cr_assert_eq(offsetof(struct tcp_linux_info, total_rto), 240);
	cr_assert_eq(offsetof(struct tcp_linux_info, total_rto_recoveries), 242);
	cr_assert_eq(offsetof(struct tcp_linux_info, total_rto_time), 244);
	cr_assert_eq(offsetof(struct tcp_linux_info, received_ce), 248);
	cr_assert_eq(offsetof(struct tcp_linux_info, received_ce_bytes), 272);
	cr_assert_eq(offsetof(struct tcp_linux_info, accecn_fail_mode), 276);
	cr_assert_eq(sizeof(struct tcp_linux_info), TCP_LINUX_INFO_LEN);
	cr_assert_eq(TCP_LINUX_INFO_LEN, 280);
	{
		struct tcp_info k = { .tcpi_snd_wscale = 7, .tcpi_rcv_wscale = 9,
				      .tcpi_delivery_rate_app_limited = 1 };
		struct tcp_linux_info u;

		memset(&u, 0, sizeof(u));
		memcpy(&u, &k, sizeof(k));
		cr_assert_eq(u.wscale, 7 | 9 << 4, "the bit-fields");
		cr_assert_eq(u.app_limited, 1);
	}
}

/* What Linux reports of a socket not yet connected */
TH_TEST(tcp_info, unconnected)
{
	struct tcp_sock *sk;
	struct tcp_linux_info ti;

	cr_assert_eq(th_open(&sk), 0);
	ti = info(sk);
	cr_assert_eq(ti.state, 7);              /* TCP_CLOSE */
	cr_assert_eq(ti.options, 0);
	cr_assert_eq(ti.snd_mss, 536);
	cr_assert_eq(ti.rcv_mss, 0);
	cr_assert_eq(ti.advmss, 0);
	cr_assert_eq(ti.pmtu, 0);
	cr_assert_eq(ti.rto, 1000000);
	cr_assert_eq(ti.ato, 0);
	cr_assert_eq(ti.snd_ssthresh, 0x7fffffff);
	cr_assert_eq(ti.snd_cwnd, 10);
	cr_assert_eq(ti.reordering, 3);
	cr_assert_eq(ti.rtt, 0);
	cr_assert_eq(ti.min_rtt, 0xffffffff);
	cr_assert_eq(ti.pacing_rate, UINT64_MAX);
	cr_assert_eq(ti.max_pacing_rate, UINT64_MAX);
	cr_assert_eq(ti.segs_out + ti.segs_in + ti.bytes_sent, 0);
	tcp_close(sk, T.now);
}

/* A listener: its accept queue and backlog, in unacked and sacked */
TH_TEST(tcp_info, listener)
{
	struct tcp_sock *l, *c;
	struct tcp_linux_info ti;

	th_passive_open(&l, &c, 1000, true);
	tcp_abort(c, T.now);
	ti = info(l);
	cr_assert_eq(ti.state, 10);             /* TCP_LISTEN */
	cr_assert_eq(ti.unacked, 0);
	cr_assert_eq(ti.sacked, 16);
	cr_assert_eq(ti.snd_cwnd, 10);
	cr_assert_eq(ti.rto, 0, "no more for a listener");
	cr_assert_eq(ti.pacing_rate, UINT64_MAX);
	tcp_close(l, T.now);
}

/*
 * A passive connection with timestamps (the handshake's own RTT is 0
 * here, so no tail loss probe: it would fire within 50 ms): the peer sends 3 * 1448 bytes, we send 3000 that it acknowledges
 * 50 ms later; everything TCP_INFO says follows from that.
 */
static void no_tlp(struct stack_config *cfg)
{
	cfg->tcp_tlp = false;
}

TH_TEST(tcp_info, passive_data_both_ways)
{
	struct tcp_sock *l, *c;
	uint32_t iss, tsval;
	struct tcp_linux_info ti;
	struct th_seg d, a;
	struct tcp_seg g;

	th_setup_cfg(no_tlp);   /* no loss probe within the 50 ms */
	iss = th_passive_open(&l, &c, 1000, true);

	for (unsigned k = 0; k < 3; k++) {
		d = th_tmpl(TCP_ACK, 1001 + k * 1448, iss + 1);
		d.wnd = 502;
		d.ts = true;
		d.tsval = 2000 + k;
		d.tsecr = TH_ANY;
		d.data = buf;
		d.len = 1448;
		th_inject(&d);
		a = th_tmpl(TCP_ACK, iss + 1, 1001 + (k + 1) * 1448);
		a.wnd = TH_ANY;
		a.ts = true;
		th_expect(&a);
	}
	cr_assert_eq(tcp_send(c, buf, 2896, T.now), 2896);
	d = th_tmpl(TCP_ACK, iss + 1, 1001 + 3 * 1448);
	d.wnd = TH_ANY;
	d.ts = true;
	d.len = 1448;
	g = th_expect(&d);
	tsval = g.tsval;
	d.seq += 1448;
	d.flags |= TCP_PSH;             /* the write's end */
	th_expect(&d);
	th_expect_none();
	ti = info(c);
	cr_assert_eq(ti.unacked, 2);
	cr_assert_eq(ti.notsent_bytes, 0);
	th_advance(50 * TH_MS);
	a = th_tmpl(TCP_ACK, 1001 + 3 * 1448, iss + 1 + 2896);
	a.wnd = 502;
	a.ts = true;
	a.tsval = 2010;
	a.tsecr = tsval;
	th_inject(&a);
	/* the last 104, written once the ACK came */
	cr_assert_eq(tcp_send(c, buf, 104, T.now), 104);
	d.seq += 1448;
	d.len = 104;
	d.flags |= TCP_PSH;
	th_expect(&d);
	th_advance(50 * TH_MS);
	a.ack = iss + 1 + 3000;
	a.tsecr = tsval + 50;
	th_inject(&a);
	th_advance(10 * TH_MS);
	ti = info(c);
	cr_assert_eq(ti.state, 1);              /* TCP_ESTABLISHED */
	cr_assert_eq(ti.ca_state, 0);
	cr_assert_eq(ti.options, 1 | 2 | 4);    /* TS, SACK, WSCALE */
	cr_assert_eq(ti.wscale, 7 | 7 << 4);
	cr_assert_eq(ti.snd_mss, 1448);
	cr_assert_eq(ti.rcv_mss, 1448, "the largest segment seen");
	cr_assert_eq(ti.advmss, 1448);
	cr_assert_eq(ti.pmtu, th_mtu());
	cr_assert_eq(ti.unacked, 0);
	cr_assert_eq(ti.notsent_bytes, 0);
	/* Linux's tcp_rtt_estimator() (us; srtt kept << 3, mdev << 2) over
	 * the samples 1 us (the handshake's own timing, 0 read as 1 us, as
	 * tcp_synack_rtt_meas()), 50 ms, 50 ms (TSecr):
	 *   1 us:  srtt8 = 8, mdev4 = 2, rttvar = max(2, 200000) = 200000
	 *   50 ms: err = 50000 - 1 = 49999, srtt8 = 50007,
	 *          mdev4 = 2 + (49999 - 0) = 50001
	 *   50 ms: err = 50000 - 6250 = 43750, srtt8 = 93757,
	 *          mdev4 = 50001 + (43750 - 12500) = 81251
	 * tcpi_rtt = 93757 >> 3 = 11719, tcpi_rttvar = 81251 >> 2 = 20312;
	 * rttvar stays 200000 (mdev never passed rto_min), so RTO =
	 * usecs_to_jiffies(11719 + 200000) = 212 ms; the minimum is the
	 * first sample */
	cr_assert_eq(ti.rtt, 11719, "srtt %u", ti.rtt);
	cr_assert_eq(ti.rttvar, 20312);
	cr_assert_eq(ti.min_rtt, 1);
	cr_assert_eq(ti.rto, 212000);
	cr_assert_eq(ti.ato, 40000);
	cr_assert_eq(ti.bytes_acked, 3000, "a passive open's SYN is not counted");
	cr_assert_eq(ti.bytes_received, 3 * 1448);
	cr_assert_eq(ti.bytes_sent, 3000);
	cr_assert_eq(ti.bytes_retrans, 0);
	cr_assert_eq(ti.data_segs_in, 3);
	cr_assert_eq(ti.data_segs_out, 3);
	cr_assert_eq(ti.segs_in, 2 + 3 + 2, "SYN, ACK, data, ACKs");
	cr_assert_eq(ti.segs_out, 3 + 3, "ACKs, data: Linux's request sock "
		     "sends the SYN-ACK, not the child");
	cr_assert_eq(ti.delivered, 1 + 3, "the SYN-ACK, the segments");
	cr_assert_eq(ti.last_data_sent, 60);
	cr_assert_eq(ti.last_data_recv, 110);
	cr_assert_eq(ti.last_ack_recv, 10);
	cr_assert_eq(ti.busy_time, 100000, "from the first data to its ACK");
	cr_assert_eq(ti.rwnd_limited + ti.sndbuf_limited, 0);
	cr_assert_eq(ti.snd_wnd, 502 << 7);
	/* RFC 7661, Linux's tcp_is_cwnd_limited(): at most 3 segments were
	 * out, 10 < 2 * 3 fails: the window was not used, it does not grow */
	cr_assert_eq(ti.snd_cwnd, 10, "not cwnd-limited: no growth");
	cr_assert_eq(ti.snd_ssthresh, 0x7fffffff);
	/* the last sample: 104 bytes in 50 ms, sent with nothing more */
	cr_assert_eq(ti.delivery_rate, 104 * 20);
	cr_assert_eq(ti.app_limited, 1);
	/* Linux's pacing: 200% of cwnd * mss / srtt in slow start:
	 * 2 * (10 * 1448 * 1e9 / 11719000 = 1235600) */
	cr_assert_eq(ti.pacing_rate, 2471200);
	cr_assert_eq(ti.rcv_space, 10 * 1448, "nothing read yet");
	cr_assert_eq(ti.total_retrans + ti.retrans + ti.lost + ti.sacked, 0);
	finish(l, c);
}

/* An active open counts its SYN in bytes_acked, a FIN each way counts */
TH_TEST(tcp_info, active_open_and_close_count_syn_and_fins)
{
	struct tcp_sock *c;
	uint32_t iss = th_active_open(&c, 5000, false);
	struct tcp_linux_info ti;
	struct th_seg d, a;

	ti = info(c);
	cr_assert_eq(ti.bytes_acked, 1, "our SYN");
	cr_assert_eq(ti.delivered, 1);
	cr_assert_eq(ti.rcv_mss, 536, "no data yet: Linux's first guess");
	cr_assert_eq(ti.options, 2 | 4, "no timestamps: SACK, WSCALE");
	cr_assert_eq(ti.advmss, 1460);
	cr_assert_eq(tcp_send(c, "hello", 5, T.now), 5);
	d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 5001);
	d.wnd = TH_ANY;
	d.len = 5;
	th_expect(&d);
	cr_assert_eq(tcp_shutdown(c, TCP_SHUT_WR, T.now), 0);
	d = th_tmpl(TCP_ACK | TCP_FIN, iss + 6, 5001);
	d.wnd = TH_ANY;
	th_expect(&d);
	/* the peer's data and FIN acknowledge ours */
	a = th_tmpl(TCP_ACK | TCP_FIN, 5001, iss + 7);
	a.wnd = 1024;
	a.data = "bye";
	a.len = 3;
	th_inject(&a);
	d = th_tmpl(TCP_ACK, iss + 7, 5005);
	d.wnd = TH_ANY;
	th_expect(&d);
	ti = info(c);
	cr_assert_eq(ti.state, 6);              /* TCP_TIME_WAIT */
	cr_assert_eq(ti.bytes_acked, 1 + 5 + 1, "SYN, data, FIN");
	cr_assert_eq(ti.bytes_received, 3 + 1, "data and the peer's FIN");
	cr_assert_eq(ti.rcv_mss, 536, "3 bytes do not move the guess");
	tcp_close(c, T.now);
}

/* A retransmission timeout: Loss, retransmits and backoff, resent bytes */
TH_TEST(tcp_info, retransmission_timeout)
{
	struct tcp_sock *l, *c;
	uint32_t iss;
	struct tcp_linux_info ti;
	struct th_seg d, a;

	th_setup_cfg(no_tlp);
	iss = th_passive_open(&l, &c, 1000, false);
	cr_assert_eq(tcp_send(c, "hello", 5, T.now), 5);
	d = th_tmpl(TCP_ACK | TCP_PSH, iss + 1, 1001);
	d.wnd = TH_ANY;
	d.len = 5;
	th_expect(&d);
	/* Linux's RTO after the 1 us handshake: 1 + max(2, 200000) us,
	 * rounded up to the jiffy: 201 ms; then doubled */
	th_advance(201 * TH_MS);
	th_expect(&d);
	ti = info(c);
	cr_assert_eq(ti.ca_state, 4);           /* TCP_CA_Loss */
	cr_assert_eq(ti.retransmits, 1);
	cr_assert_eq(ti.backoff, 1);
	cr_assert_eq(ti.rto, 402000);
	cr_assert_eq(ti.total_retrans, 1);
	cr_assert_eq(ti.retrans, 1, "the retransmission is in flight");
	cr_assert_eq(ti.bytes_sent, 10);
	cr_assert_eq(ti.bytes_retrans, 5);
	cr_assert_eq(ti.snd_cwnd, 1);
	/* 6.7's RTO counts: one timeout, one recovery under way (its time
	 * so far), a new flow hash at the timeout */
	cr_assert_eq(ti.total_rto, 1);
	cr_assert_eq(ti.total_rto_recoveries, 1);
	cr_assert_eq(ti.total_rto_time, 0);
	cr_assert_eq(ti.rehash, 1);
	/* a second timeout of the same recovery */
	th_advance(402 * TH_MS);
	th_expect(&d);
	th_advance(30 * TH_MS);
	ti = info(c);
	cr_assert_eq(ti.total_rto, 2);
	cr_assert_eq(ti.total_rto_recoveries, 1);
	cr_assert_eq(ti.total_rto_time, 432, "%u ms", ti.total_rto_time);
	a = th_tmpl(TCP_ACK, 1001, iss + 6);
	a.wnd = 502;
	th_inject(&a);
	ti = info(c);
	cr_assert_eq(ti.ca_state, 0);
	cr_assert_eq(ti.retransmits + ti.backoff + ti.retrans + ti.unacked, 0);
	cr_assert_eq(ti.total_retrans, 2);
	/* the recovery ended: its time stays, no more is added */
	th_advance(500 * TH_MS);
	ti = info(c);
	cr_assert_eq(ti.total_rto_time, 432);
	cr_assert_eq(ti.total_rto_recoveries, 1);
	finish(l, c);
}

/* Out-of-order data: counted, and the peer's MSS still learnt */
TH_TEST(tcp_info, out_of_order_packets)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct th_seg d;

	d = th_tmpl(TCP_ACK, 1001 + 1460, iss + 1);
	d.wnd = 502;
	d.data = buf;
	d.len = 1460;
	th_inject(&d);
	d.seq += 1460;
	th_inject(&d);
	cr_assert_eq(info(c).rcv_ooopack, 2);
	cr_assert_eq(info(c).rcv_mss, 536, "not from out-of-order data");
	d.seq = 1001;
	th_inject(&d);
	cr_assert_eq(info(c).rcv_mss, 1460);
	cr_assert_eq(info(c).bytes_received, 3 * 1460);
	finish(l, c);
}

/* The peer's zero window: time held back by it is rwnd_limited, and
 * the program filling the send buffer is sndbuf_limited */
TH_TEST(tcp_info, limited_by_window_and_buffer)
{
	struct tcp_sock *l, *c;
	uint32_t iss = th_passive_open(&l, &c, 1000, false);
	struct tcp_linux_info ti;
	struct th_seg z = th_tmpl(TCP_ACK, 1001, iss + 1);
	static uint8_t big[131072];

	z.wnd = 0;
	th_inject(&z);
	cr_assert_eq(tcp_send(c, "abc", 3, T.now), 3);
	th_advance(100 * TH_MS);
	ti = info(c);
	cr_assert_eq(ti.rwnd_limited, 100000);
	cr_assert_eq(ti.busy_time, 100000);
	cr_assert_eq(tcp_send(c, big, sizeof(big), T.now),
		     (ssize_t)(131072 - 3), "the buffer is full");
	th_advance(50 * TH_MS);
	ti = info(c);
	cr_assert_eq(ti.sndbuf_limited, 50000);
	cr_assert_eq(ti.rwnd_limited, 100000);
	cr_assert_eq(ti.busy_time, 150000);
	cr_assert_eq(ti.notsent_bytes, 131072);
	finish(l, c);
}
