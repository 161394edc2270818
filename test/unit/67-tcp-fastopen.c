/* SPDX-License-Identifier: MIT */
/*
 * 67-tcp-fastopen.c - TCP Fast Open (RFC 7413) as Linux's tcp_fastopen.c
 * with net.ipv4.tcp_fastopen = 3 (and 0x4, 0x200 where said): a cookie
 * request answered with a cookie, a valid cookie's data delivered,
 * acknowledged by the SYN-ACK and accept()able before the handshake ends,
 * a cookie not valid (data ignored, a fresh cookie), the TCP_FASTOPEN
 * queue full (an ordinary handshake), TCP_FASTOPEN_KEY and its backup
 * key; the client's cookie cache, data in the SYN, a SYN-ACK that
 * acknowledges none of it (sent again), a resent SYN without option or
 * data; TCP_INFO's TCPI_OPT_SYN_DATA and tcpi_fastopen_client_fail.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "60-tcp-harness.h"

TH_SUITE(tcp_tfo, .init = th_setup, .fini = th_teardown);

#define TCPI_OPT_SYN_DATA 32

static uint8_t buf[4096];
static const uint8_t peer_cookie[8] = "ABCDEFGH";

static void tfo_server(struct stack_config *cfg)
{
	cfg->tcp_fastopen = TCP_TFO_CLIENT | TCP_TFO_SERVER;
}

static void tfo_no_cookie(struct stack_config *cfg)
{
	cfg->tcp_fastopen = TCP_TFO_CLIENT | TCP_TFO_CLIENT_NO_COOKIE;
}

static void tfo_off(struct stack_config *cfg)
{
	cfg->tcp_fastopen = 0;
}

static void drain(void)
{
	while (th_pending())
		T.head++;
}

static struct tcp_linux_info info(struct tcp_sock *c)
{
	struct tcp_info_rec r;
	struct tcp_linux_info ti;

	tcp_get_info(c, &r, T.now);
	tcp_info_to_linux(&r, &ti);
	return ti;
}

/* A listener on port 80 with TCP_FASTOPEN @qlen */
static struct tcp_sock *listener(int qlen)
{
	struct tcp_sock *l;

	cr_assert_eq(th_open(&l), 0);
	cr_assert_eq(tcp_bind(l, NULL, 80), 0);
	cr_assert_eq(tcp_setsockopt(l, TCP_OPT_FASTOPEN, qlen, T.now), 0);
	cr_assert_eq(tcp_listen(l, 16, T.now), 0);
	T.lport = 80;
	return l;
}

/* The peer's SYN from port @port: ISN @isn, a Fast Open option with
 * @clen bytes of @cookie (clen < 0: none), @len bytes of data */
static void peer_syn(uint16_t port, uint32_t isn, int clen,
		     const uint8_t *cookie, uint32_t len)
{
	struct th_seg syn = th_tmpl(TCP_SYN, isn, 0);

	T.pport = port;
	syn.mss = 1460;
	syn.sackok = true;
	syn.ws = 7;
	syn.wnd = 64240;
	syn.tfo = clen >= 0;
	syn.tfo_len = (uint8_t)(clen < 0 ? 0 : clen);
	syn.tfo_cookie = cookie;
	memset(buf, 'd', len);
	syn.data = buf;
	syn.len = len;
	th_inject(&syn);
}

/* Our SYN-ACK acknowledging @ack, with a cookie of @clen bytes (-1:
 * none; @cookie NULL: any, else that one). Return: it */
static struct tcp_seg our_synack(uint32_t ack, int clen, const uint8_t *cookie)
{
	struct th_seg sa = th_tmpl(TCP_SYN | TCP_ACK, TH_ANY, ack);

	sa.mss = 1460;
	sa.sackok = true;
	sa.ws = 7;
	sa.tfo = clen >= 0;
	sa.tfo_len = (uint8_t)(clen < 0 ? 0 : clen);
	sa.tfo_cookie = cookie;
	return th_expect(&sa);
}

/* A cookie request from port @port: the SYN-ACK's cookie into @cookie;
 * the peer then resets the half-open connection */
static void get_cookie(uint16_t port, uint8_t cookie[8])
{
	struct tcp_seg g;

	peer_syn(port, 1000, 0, NULL, 0);
	g = our_synack(1001, 8, NULL);
	memcpy(cookie, g.tfo_cookie, 8);
	INJECT(TCP_RST, 1001, 0);
	th_expect_none();
}

TH_TEST(tcp_tfo, cookie_request_gets_a_cookie)
{
	struct tcp_sock *l, *c;
	uint8_t k1[8], k2[8];
	struct tcp_seg g;

	th_setup_cfg(tfo_server);
	l = listener(16);
	peer_syn(40000, 1000, 0, NULL, 0);
	g = our_synack(1001, 8, NULL);
	memcpy(k1, g.tfo_cookie, 8);
	cr_assert_eq(th_counter("tcp_fastopen_cookie_reqd"), 1);
	/* the handshake is an ordinary one: accept() after the ACK */
	cr_assert_eq(tcp_accept(l, &c), -EAGAIN);
	INJECT(TCP_ACK, 1001, g.seq + 1);
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	/* the same cookie for the host, whatever its port */
	get_cookie(40001, k2);
	cr_assert(!memcmp(k1, k2, 8), "one cookie per client address");
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
}

TH_TEST(tcp_tfo, no_cookie_without_the_server_bit_or_qlen)
{
	struct tcp_sock *l;
	struct tcp_seg g;

	/* the default, tcp-fastopen = 1: the request is not answered */
	l = listener(16);
	peer_syn(40000, 1000, 0, NULL, 0);
	g = our_synack(1001, -1, NULL);
	INJECT(TCP_RST, 1001, 0);
	tcp_close(l, T.now);
	th_expect_none();
	/* the server bit, but a listener without TCP_FASTOPEN */
	th_setup_cfg(tfo_server);
	l = listener(0);
	peer_syn(40000, 1000, 0, NULL, 0);
	g = our_synack(1001, -1, NULL);
	(void)g;
	INJECT(TCP_RST, 1001, 0);
	tcp_close(l, T.now);
	drain();
}

TH_TEST(tcp_tfo, valid_cookie_data_is_acked_and_accepted_at_once)
{
	struct tcp_sock *l, *c;
	uint8_t cookie[8];
	struct tcp_seg g;
	char got[200];

	th_setup_cfg(tfo_server);
	l = listener(16);
	get_cookie(40000, cookie);
	peer_syn(40001, 5000, 8, cookie, 100);
	/* RFC 7413 4.2.2: the SYN-ACK acknowledges the data, no cookie */
	g = our_synack(5101, -1, NULL);
	cr_assert_eq(th_counter("tcp_fastopen_passive"), 1);
	/* accept()able and readable before the handshake ends */
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_RECEIVED);
	cr_assert_eq(tcp_recv_avail(c), 100);
	cr_assert_eq(tcp_recv(c, got, sizeof(got), 0, T.now), 100);
	cr_assert_eq(got[0], 'd');
	cr_assert(info(c).options & TCPI_OPT_SYN_DATA);
	cr_assert_eq(info(c).state, 3, "tcpi_state SYN_RECV");
	/* the handshake's ACK, with more data */
	{
		struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, 5101, g.seq + 1);

		memset(buf, 'e', 10);
		d.wnd = 502;
		d.data = buf;
		d.len = 10;
		th_inject(&d);
	}
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	cr_assert_eq(tcp_recv(c, got, sizeof(got), 0, T.now), 10);
	cr_assert_eq(got[0], 'e');
	EXPECT(TCP_ACK, g.seq + 1, 5111);
	/* the child no longer counts against the queue */
	cr_assert_eq(l->lq->tfo_qlen, 0);
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
}

TH_TEST(tcp_tfo, child_answers_before_the_handshake_ends)
{
	struct tcp_sock *l, *c;
	uint8_t cookie[8];
	struct tcp_seg g;
	struct th_seg d;

	th_setup_cfg(tfo_server);
	l = listener(16);
	get_cookie(40000, cookie);
	peer_syn(40001, 5000, 8, cookie, 100);
	g = our_synack(5101, -1, NULL);
	cr_assert_eq(tcp_accept(l, &c), 0);
	/* RFC 7413 4.2.2: the server may send in SYN_RECEIVED */
	cr_assert_gt(tcp_send_space(c), 0);
	memset(buf, 'r', 300);
	cr_assert_eq(tcp_send(c, buf, 300, T.now), 300);
	d = th_tmpl(TCP_ACK | TCP_PSH, g.seq + 1, 5101);
	d.len = 300;
	th_expect(&d);
	/* the SYN-ACK is resent at its timeout, the data not yet */
	th_advance(1100 * TH_MS);
	our_synack(5101, -1, NULL);
	th_expect_none();
	/* the handshake's ACK takes both */
	INJECT(TCP_ACK, 5101, g.seq + 301);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	th_expect_none();
	cr_assert_eq(info(c).unacked, 0);
	cr_assert_eq(tcp_send(c, buf, 10, T.now), 10);
	d = th_tmpl(TCP_ACK | TCP_PSH, g.seq + 301, 5101);
	d.len = 10;
	th_expect(&d);
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
}

TH_TEST(tcp_tfo, ordinary_child_cannot_send_early)
{
	struct tcp_sock *l;

	th_setup_cfg(tfo_server);
	l = listener(16);
	peer_syn(40000, 1000, 0, NULL, 0);
	our_synack(1001, 8, NULL);
	cr_assert_eq(l->lq->accept_qlen, 0);
	cr_assert_eq(l->lq->syn_q->state, TCP_SYN_RECEIVED);
	cr_assert_eq(tcp_send_space(l->lq->syn_q), 0);
	cr_assert_eq(tcp_send(l->lq->syn_q, buf, 1, T.now), -EAGAIN);
	tcp_close(l, T.now);
	drain();
}

TH_TEST(tcp_tfo, invalid_cookie_data_ignored_fresh_cookie)
{
	struct tcp_sock *l, *c;
	uint8_t cookie[8], bad[8];
	struct tcp_seg g;

	th_setup_cfg(tfo_server);
	l = listener(16);
	get_cookie(40000, cookie);
	memcpy(bad, cookie, 8);
	bad[0] ^= 1;
	peer_syn(40001, 5000, 8, bad, 100);
	/* only the SYN acknowledged, and the cookie that is valid */
	g = our_synack(5001, 8, cookie);
	cr_assert_eq(th_counter("tcp_fastopen_passive_fail"), 1);
	cr_assert_eq(tcp_accept(l, &c), -EAGAIN);
	/* the peer sends its data again after the handshake */
	{
		struct th_seg d = th_tmpl(TCP_ACK | TCP_PSH, 5001, g.seq + 1);

		d.wnd = 502;
		d.data = buf;
		d.len = 100;
		th_inject(&d);
	}
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_recv_avail(c), 100);
	cr_assert_eq(info(c).options & TCPI_OPT_SYN_DATA, 0);
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
}

TH_TEST(tcp_tfo, queue_full_falls_back_to_the_handshake)
{
	struct tcp_sock *l, *c1, *c2;
	uint8_t cookie[8];
	struct tcp_seg g;

	th_setup_cfg(tfo_server);
	l = listener(1);
	get_cookie(40000, cookie);
	peer_syn(40001, 5000, 8, cookie, 100);
	our_synack(5101, -1, NULL);
	cr_assert_eq(l->lq->tfo_qlen, 1);
	/* a second while the first is in SYN_RECEIVED: no Fast Open */
	peer_syn(40002, 7000, 8, cookie, 100);
	g = our_synack(7001, -1, NULL);
	cr_assert_eq(th_counter("tcp_fastopen_listen_overflow"), 1);
	cr_assert_eq(tcp_accept(l, &c1), 0);
	cr_assert_eq(tcp_recv_avail(c1), 100);
	cr_assert_eq(tcp_accept(l, &c2), -EAGAIN);
	INJECT(TCP_ACK, 7001, g.seq + 1);
	cr_assert_eq(tcp_accept(l, &c2), 0);
	cr_assert_eq(tcp_recv_avail(c2), 0);
	/* the first one reset: its place is free again */
	tcp_abort(c1, T.now);
	cr_assert_eq(l->lq->tfo_qlen, 0);
	drain();
	peer_syn(40003, 9000, 8, cookie, 50);
	our_synack(9051, -1, NULL);
	cr_assert_eq(tcp_accept(l, &c1), 0);
	tcp_abort(c1, T.now);
	tcp_abort(c2, T.now);
	tcp_close(l, T.now);
	drain();
}

TH_TEST(tcp_tfo, fastopen_key_and_its_backup)
{
	struct tcp_sock *l, *c;
	uint8_t k1[16], k2[32], got[32], old[8], now[8];
	size_t n = sizeof(got);

	th_setup_cfg(tfo_server);
	l = listener(16);
	/* the stack's key until the socket has one: 16 bytes */
	cr_assert_eq(tcp_fastopen_key(l, false, got, &n), 0);
	cr_assert_eq(n, 16);
	n = 15;
	cr_assert_eq(tcp_fastopen_key(l, true, k1, &n), -EINVAL);
	memset(k1, 1, sizeof(k1));
	n = 16;
	cr_assert_eq(tcp_fastopen_key(l, true, k1, &n), 0);
	n = sizeof(got);
	cr_assert_eq(tcp_fastopen_key(l, false, got, &n), 0);
	cr_assert_eq(n, 16);
	cr_assert(!memcmp(got, k1, 16));
	get_cookie(40000, old);
	/* a new key, the old one as backup: the old cookie is taken, and
	 * the SYN-ACK gives the new one */
	memset(k2, 2, 16);
	memcpy(k2 + 16, k1, 16);
	n = 32;
	cr_assert_eq(tcp_fastopen_key(l, true, k2, &n), 0);
	n = sizeof(got);
	cr_assert_eq(tcp_fastopen_key(l, false, got, &n), 0);
	cr_assert_eq(n, 32);
	cr_assert(!memcmp(got, k2, 32));
	peer_syn(40001, 5000, 8, old, 20);
	{
		struct tcp_seg g = our_synack(5021, 8, NULL);

		memcpy(now, g.tfo_cookie, 8);
	}
	cr_assert(memcmp(now, old, 8), "a cookie of the new key");
	cr_assert_eq(th_counter("tcp_fastopen_passive_altkey"), 1);
	cr_assert_eq(tcp_accept(l, &c), 0);
	cr_assert_eq(tcp_recv_avail(c), 20);
	tcp_abort(c, T.now);
	tcp_close(l, T.now);
	drain();
}

/* connect() with @len bytes of MSG_FASTOPEN data; Return: bytes taken */
static size_t fo_connect(struct tcp_sock **c, size_t len, bool syn_only)
{
	size_t taken = 0;

	cr_assert_eq(th_open(c), 0);
	memset(buf, 'q', len);
	cr_assert_eq(tcp_connect_data(*c, TH_PEER_A, 80, buf, len, syn_only,
				      &taken, T.now), -EINPROGRESS);
	{
		struct ip_addr a;

		tcp_getsockname(*c, &a, &T.lport);
	}
	T.pport = 80;
	return taken;
}

static int peer_mss = 1460;    /* of the peer's SYN-ACKs */

/* The peer's SYN-ACK to our ISN @iss acknowledging @ack, with a cookie
 * of @clen bytes (-1: none) */
static void peer_synack(uint32_t ack, int clen)
{
	struct th_seg sa = th_tmpl(TCP_SYN | TCP_ACK, 3000, ack);

	sa.mss = peer_mss;
	sa.sackok = true;
	sa.ws = 7;
	sa.wnd = 65160;
	sa.tfo = clen >= 0;
	sa.tfo_len = (uint8_t)(clen < 0 ? 0 : clen);
	sa.tfo_cookie = peer_cookie;
	th_inject(&sa);
}

/* The first connect to the peer asks for a cookie and gets one: its
 * data goes after the handshake */
static void client_learns_cookie(void)
{
	struct th_seg syn = th_our_syn(), d;
	struct tcp_sock *c;
	struct tcp_seg g;

	cr_assert_eq(fo_connect(&c, 5, false), 5);
	syn.tfo = true;                 /* a cookie request, no data */
	syn.tfo_len = 0;
	g = th_expect(&syn);
	cr_assert_eq(info(c).app_limited >> 1, 1,
		     "tcpi_fastopen_client_fail TFO_COOKIE_UNAVAILABLE");
	peer_synack(g.seq + 1, 8);
	EXPECT(TCP_ACK, g.seq + 1, 3001);
	d = th_tmpl(TCP_ACK | TCP_PSH, g.seq + 1, 3001);
	d.len = 5;
	th_expect(&d);
	cr_assert_eq(th_counter("tcp_fastopen_cookies_cached"), 1);
	cr_assert_eq(info(c).options & TCPI_OPT_SYN_DATA, 0);
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_tfo, client_cookie_then_data_in_the_syn)
{
	struct th_seg syn = th_our_syn();
	struct tcp_sock *c;
	struct tcp_seg g;

	client_learns_cookie();
	/* now the SYN carries the cookie and what fits: 1460 - 40 */
	cr_assert_eq(fo_connect(&c, 3000, true), 1420);
	syn.tfo = true;
	syn.tfo_len = 8;
	syn.tfo_cookie = peer_cookie;
	syn.len = 1420;
	g = th_expect(&syn);
	cr_assert_eq(g.data[0], 'q');
	peer_synack(g.seq + 1421, -1);
	EXPECT(TCP_ACK, g.seq + 1421, 3001);
	th_expect_none();
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	cr_assert(info(c).options & TCPI_OPT_SYN_DATA);
	cr_assert_eq(info(c).app_limited >> 1, 0);
	cr_assert_eq(th_counter("tcp_fastopen_active"), 1);
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_tfo, syn_data_bounded_by_the_servers_mss)
{
	struct th_seg syn = th_our_syn();
	struct tcp_sock *c;

	/* the server said MSS 1000 with its cookie: the next SYN carries
	 * 1000 - 40 bytes, as Linux's cached MSS bounds it */
	peer_mss = 1000;
	client_learns_cookie();
	peer_mss = 1460;
	cr_assert_eq(fo_connect(&c, 3000, true), 960);
	syn.tfo = true;
	syn.tfo_len = 8;
	syn.len = 960;
	th_expect(&syn);
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_tfo, client_data_not_acked_is_sent_again)
{
	struct th_seg syn = th_our_syn(), d;
	struct tcp_sock *c;
	struct tcp_seg g;

	client_learns_cookie();
	cr_assert_eq(fo_connect(&c, 100, false), 100);
	syn.tfo = true;
	syn.tfo_len = 8;
	syn.tfo_cookie = peer_cookie;
	syn.len = 100;
	g = th_expect(&syn);
	/* the server took the SYN alone (its cookie check failed) */
	peer_synack(g.seq + 1, -1);
	EXPECT(TCP_ACK, g.seq + 1, 3001);
	d = th_tmpl(TCP_ACK | TCP_PSH, g.seq + 1, 3001);
	d.len = 100;
	th_expect(&d);
	cr_assert_eq(info(c).app_limited >> 1, 2, "TFO_DATA_NOT_ACKED");
	cr_assert_eq(info(c).options & TCPI_OPT_SYN_DATA, 0);
	cr_assert_eq(info(c).total_retrans, 1);
	cr_assert_eq(th_counter("tcp_fastopen_active_fail"), 1);
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_tfo, resent_syn_has_no_option_or_data)
{
	struct th_seg syn = th_our_syn(), d;
	struct tcp_sock *c;
	struct tcp_seg g;

	client_learns_cookie();
	cr_assert_eq(fo_connect(&c, 100, false), 100);
	syn.tfo = true;
	syn.tfo_len = 8;
	syn.len = 100;
	g = th_expect(&syn);
	th_advance(1100 * TH_MS);       /* the initial RTO: 1 s */
	syn = th_our_syn();
	syn.seq = g.seq;
	th_expect(&syn);
	peer_synack(g.seq + 1, -1);
	EXPECT(TCP_ACK, g.seq + 1, 3001);
	d = th_tmpl(TCP_ACK | TCP_PSH, g.seq + 1, 3001);
	d.len = 100;
	th_expect(&d);
	cr_assert_eq(info(c).app_limited >> 1, 3, "TFO_SYN_RETRANSMITTED");
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_tfo, client_no_cookie_mode_and_nonblocking)
{
	struct th_seg syn = th_our_syn();
	struct tcp_sock *c;
	struct tcp_seg g;

	/* no cookie cached, non-blocking: nothing taken, a cookie request */
	cr_assert_eq(fo_connect(&c, 100, true), 0);
	syn.tfo = true;
	th_expect(&syn);
	tcp_abort(c, T.now);
	drain();
	/* tcp-fastopen 0x4: data without a cookie or option */
	th_setup_cfg(tfo_no_cookie);
	cr_assert_eq(fo_connect(&c, 100, true), 100);
	syn = th_our_syn();
	syn.len = 100;
	g = th_expect(&syn);
	peer_synack(g.seq + 101, -1);
	EXPECT(TCP_ACK, g.seq + 101, 3001);
	cr_assert(info(c).options & TCPI_OPT_SYN_DATA);
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_tfo, fastopen_connect_waits_for_data_with_a_cookie)
{
	struct th_seg syn = th_our_syn();
	struct tcp_sock *c;
	struct tcp_seg g;

	client_learns_cookie();
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_FASTOPEN_CONNECT, 1, T.now), 0);
	/* Linux's DEFER_CONNECT: connect() succeeds, no SYN yet */
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), 0);
	th_expect_none();
	cr_assert_eq(tcp_sock_state(c), TCP_SYN_SENT);
	cr_assert_gt(tcp_send_space(c), 0);
	{
		struct ip_addr a;

		tcp_getsockname(c, &a, &T.lport);
	}
	/* the first data goes in the SYN, with the cookie */
	memset(buf, 'w', 50);
	cr_assert_eq(tcp_send(c, buf, 50, T.now), 50);
	syn.tfo = true;
	syn.tfo_len = 8;
	syn.tfo_cookie = peer_cookie;
	syn.len = 50;
	g = th_expect(&syn);
	/* then nothing more until the handshake */
	cr_assert_eq(tcp_send_space(c), 0);
	cr_assert_eq(tcp_send(c, buf, 5, T.now), -EAGAIN);
	peer_synack(g.seq + 51, -1);
	EXPECT(TCP_ACK, g.seq + 51, 3001);
	cr_assert_eq(tcp_sock_state(c), TCP_ESTABLISHED);
	cr_assert(info(c).options & TCPI_OPT_SYN_DATA);
	tcp_abort(c, T.now);
	drain();
}

TH_TEST(tcp_tfo, fastopen_connect_option)
{
	struct th_seg syn = th_our_syn();
	struct tcp_sock *c;
	int v = 0;

	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_FASTOPEN_CONNECT, 2, T.now),
		     -EINVAL);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_FASTOPEN_CONNECT, 1, T.now), 0);
	cr_assert_eq(tcp_getsockopt(c, TCP_OPT_FASTOPEN_CONNECT, &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(tcp_connect(c, TH_PEER_A, 80, T.now), -EINPROGRESS);
	syn.tfo = true;                 /* asks for a cookie */
	th_expect(&syn);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_FASTOPEN_CONNECT, 0, T.now),
		     -EINVAL);
	tcp_abort(c, T.now);
	drain();
	/* without the client bit: EOPNOTSUPP, and MSG_FASTOPEN too */
	th_setup_cfg(tfo_off);
	cr_assert_eq(th_open(&c), 0);
	cr_assert_eq(tcp_setsockopt(c, TCP_OPT_FASTOPEN_CONNECT, 1, T.now),
		     -EOPNOTSUPP);
	{
		size_t taken;

		cr_assert_eq(tcp_connect_data(c, TH_PEER_A, 80, buf, 1, true,
					      &taken, T.now), -EOPNOTSUPP);
	}
	tcp_close(c, T.now);
}
