/* SPDX-License-Identifier: MIT */
/*
 * 79-dns.c - the DNS stub (dns_stub.c) and the mDNS responder (mdns.c):
 * a program's query to a steered nameserver relayed to the configured
 * server with an id of ours and answered from the address asked; answers
 * that do not match refused; SERVFAIL after the tries, at once when no
 * server can be reached or too many are in flight; FORMERR and drops for
 * malformed queries; our own NAME.local answered without the network,
 * another one asked by one-shot mDNS, NXDOMAIN when nobody answers. The
 * responder probes, announces, answers one-shot and port-5353 queries,
 * says NSEC for a type it has not, renames itself on a conflict, and
 * leaves port 5353 to programs; malformed messages are counted.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dns_stub.h"
#include "harness.h"
#include "mdns.h"
#include "udp.h"

#define NOWHERE IPV4(198, 51, 100, 53)     /* resolv.conf's nameserver */
#define OTHER IPV4(192, 0, 2, 9)           /* another host on the link */
#define MDNS_GRP IPV4(224, 0, 0, 251)
static const uint8_t mdns_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

static uint8_t fbuf[4096], pl[4096];

/* A query for @name (dotted) of @type, id @id; Return: its length */
static size_t query(uint8_t *b, uint16_t id, const char *name, uint16_t type)
{
	size_t o = 12;
	const char *p = name;

	memset(b, 0, 12);
	put16(b, id);
	put16(b + 2, 0x0100);              /* RD */
	put16(b + 4, 1);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		b[o++] = (uint8_t)l;
		memcpy(b + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	b[o++] = 0;
	put16(b + o, type);
	put16(b + o + 2, 1);
	return o + 4;
}

static void inject_udp(struct th *t, const uint8_t *mac, uint32_t src,
		       uint16_t sport, uint32_t dst, uint16_t dport,
		       const void *data, size_t len)
{
	struct th_ip ip;
	uint16_t sum;

	put16(pl, sport);
	put16(pl + 2, dport);
	put16(pl + 4, (uint16_t)(8 + len));
	put16(pl + 6, 0);
	memcpy(pl + 8, data, len);
	sum = inet_fold(inet_sum(pl, 8 + len, inet_pseudo_sum(src, dst,
				 IP_PROTO_UDP, (uint16_t)(8 + len))));
	put16(pl + 6, sum ? sum : 0xffff);
	th_ip_default(&ip, IP_PROTO_UDP);
	ip.src = src;
	ip.dst = dst;
	ip.ttl = 255;
	th_input(t, fbuf, th_ipv4(fbuf, mac, &ip, pl, 8 + len));
	th_deadline(t);         /* the host runs what is due after input */
}

/* The next frame, a UDP datagram to @mac: its header, IP header in @h */
static const uint8_t *pop_udp(struct th *t, const uint8_t *mac,
			      struct ipv4_hdr *h, size_t *plen)
{
	const uint8_t *u = th_check_ipv4(th_pop(t), mac, h, plen);

	cr_assert_eq(h->proto, IP_PROTO_UDP);
	return u;
}

static void setup(struct th *t, bool server)
{
	struct stack_config cfg;

	th_config(&cfg);
	if (server) {
		cfg.dns[0] = ip4(TH_PEER);
		cfg.ndns = 1;
	}
	snprintf(cfg.hostname, sizeof(cfg.hostname), "uhost");
	th_init_cfg(t, &cfg);
	th_learn(t, TH_PEER, TH_PEER_MAC);
	stack_dns_steer(t->s, TH_A4(NOWHERE), 1);
}

/* The program's socket's next datagram: from @src:53, into @b */
static size_t recv_from(struct udp_sock *us, uint32_t src, uint8_t *b)
{
	struct udp_meta m;
	const uint8_t *d = udp_recv_peek(us, &m);

	cr_assert_not_null(d, "an answer queued");
	cr_expect_eq(m.src.v4, src);
	cr_expect_eq(m.sport, 53);
	memcpy(b, d, m.len);
	udp_recv_next(us);
	return m.len;
}

Test(dns, steered_query_relayed_and_answered)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	uint8_t q[512], a[512];
	size_t ql = query(q, 0x1234, "www.example.test", 1), plen, al;
	const uint8_t *u;
	uint16_t up_id, port;
	struct stack_dns d;

	setup(&t, true);
	/* ustackctl dns: the configured server, v4-mapped, for good */
	cr_assert_eq(stack_dns_list(t.s, t.now, &d, 1), 1);
	cr_expect_eq(get32(d.addr + 12), TH_PEER);
	cr_expect_eq(d.addr[10], 0xff);
	cr_expect_eq(d.left, UINT64_MAX);
	cr_expect_not(d.search);
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_connect(us, TH_A4(NOWHERE), 53), 0);
	cr_assert_eq(udp_sendto(us, q, ql, NULL, 0, t.now), 0);
	u = pop_udp(&t, TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.dst, TH_PEER, "asked of the configured server");
	cr_expect_eq(h.src, TH_IP);
	cr_expect_eq(get16(u + 2), 53);
	cr_assert_eq(plen, 8 + ql);
	up_id = get16(u + 8);
	cr_expect_arr_eq(u + 8 + 2, q + 2, ql - 2, "the query as sent, but its id");
	port = get16(u);
	/* the answer: the question, one A record */
	memcpy(a, u + 8, ql);
	put16(a + 2, 0x8180);
	put16(a + 6, 1);
	al = ql;
	put16(a + al, 0xc00c);
	put16(a + al + 2, 1);
	put16(a + al + 4, 1);
	put32(a + al + 6, 300);
	put16(a + al + 10, 4);
	put32(a + al + 12, IPV4(192, 0, 2, 77));
	al += 16;
	inject_udp(&t, TH_MAC, TH_PEER, 53, TH_IP, port, a, al);
	cr_assert_eq(recv_from(us, NOWHERE, q), al);
	cr_expect_eq(get16(q), 0x1234, "the program's id back");
	cr_expect_eq(get32(q + al - 4), IPV4(192, 0, 2, 77));
	cr_expect_eq(th_cnt(&t)->dns_queries, 1);
	cr_expect_eq(th_cnt(&t)->dns_answered, 1);
	(void)up_id;
	th_expect_silence(&t);
	udp_close(us);
	th_fini(&t);
}

Test(dns, answers_that_do_not_match_are_dropped)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	uint8_t q[512], a[512];
	size_t ql = query(q, 7, "a.test", 1), plen;
	const uint8_t *u;
	uint16_t port;

	setup(&t, true);
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	u = pop_udp(&t, TH_PEER_MAC, &h, &plen);
	port = get16(u);
	memcpy(a, u + 8, ql);
	put16(a + 2, 0x8180);
	put16(a, (uint16_t)(get16(a) + 1));          /* another id */
	inject_udp(&t, TH_MAC, TH_PEER, 53, TH_IP, port, a, ql);
	put16(a, get16(u + 8));
	inject_udp(&t, TH_MAC, OTHER, 53, TH_IP, port, a, ql);   /* another server */
	a[13] = 'b';                                  /* another question */
	inject_udp(&t, TH_MAC, TH_PEER, 53, TH_IP, port, a, ql);
	inject_udp(&t, TH_MAC, TH_PEER, 53, TH_IP, port, a, 5);  /* no header */
	cr_expect_eq(th_cnt(&t)->dns_rx_unmatched, 3);
	cr_expect_eq(th_cnt(&t)->dns_malformed, 1);
	cr_expect_eq(udp_recv_queued(us), 0);
	udp_close(us);
	th_fini(&t);
}

Test(dns, servfail_after_the_tries)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	uint8_t q[512];
	size_t ql = query(q, 99, "slow.test", 28), plen;

	setup(&t, true);
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	pop_udp(&t, TH_PEER_MAC, &h, &plen);
	th_tick(&t, NSEC_PER_SEC);
	pop_udp(&t, TH_PEER_MAC, &h, &plen);
	th_tick(&t, NSEC_PER_SEC);
	pop_udp(&t, TH_PEER_MAC, &h, &plen);
	cr_expect_eq(udp_recv_queued(us), 0, "nothing before the last try's time");
	th_tick(&t, NSEC_PER_SEC);
	th_expect_silence(&t);
	cr_assert_eq(recv_from(us, NOWHERE, q), ql);
	cr_expect_eq(get16(q), 99);
	cr_expect_eq(get16(q + 2) & 0x800f, 0x8002, "SERVFAIL");
	cr_expect_eq(get16(q + 4), 1, "the question repeated");
	cr_expect_eq(th_cnt(&t)->dns_retrans, 2);
	cr_expect_eq(th_cnt(&t)->dns_servfail, 1);
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE, "nothing left in flight");
	udp_close(us);
	th_fini(&t);
}

/* A server the link cannot reach: SERVFAIL at once. With no server at
 * all, a query goes where the program sends it (here: no route), and only
 * a .local one is the stub's. */
Test(dns, unreachable_server_and_no_server)
{
	struct th t;
	struct stack_config cfg;
	struct udp_sock *us;
	struct ipv4_hdr h;
	uint8_t q[512];
	size_t ql = query(q, 5, "x.test", 1), plen;

	th_config(&cfg);
	cfg.gateway = 0;                              /* no route off the link */
	cfg.dns[0] = ip4(IPV4(198, 51, 100, 1));      /* ... to this server */
	cfg.ndns = 1;
	th_init_cfg(&t, &cfg);
	stack_dns_steer(t.s, TH_A4(NOWHERE), 1);
	udp_open(t.s, IP_V4, &us);
	cr_expect_eq(udp_connect(us, TH_A4(NOWHERE), 53), 0,
		     "a steered nameserver needs no route");
	cr_expect_eq(udp_connect(us, TH_A4(IPV4(198, 51, 100, 54)), 53),
		     -ENETUNREACH, "another address still does");
	cr_assert_eq(udp_connect(us, TH_A4(NOWHERE), 53), 0);
	cr_assert_eq(udp_sendto(us, q, ql, NULL, 0, t.now), 0);
	th_expect_silence(&t);
	cr_assert_eq(recv_from(us, NOWHERE, q), ql);
	cr_expect_eq(get16(q + 2) & 0xf, 2, "SERVFAIL");
	cr_expect_eq(th_cnt(&t)->dns_tx_err, 1);
	udp_close(us);
	th_fini(&t);

	cfg.ndns = 0;                                 /* no server known */
	th_init_cfg(&t, &cfg);
	stack_dns_steer(t.s, TH_A4(NOWHERE), 1);
	udp_open(t.s, IP_V4, &us);
	ql = query(q, 6, "x.test", 1);
	cr_expect_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now),
		     -ENETUNREACH, "as without the stub");
	cr_expect_eq(th_cnt(&t)->dns_queries, 0);
	ql = query(q, 7, "printer.local", 1);
	cr_expect_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	pop_udp(&t, mdns_mac, &h, &plen);
	cr_expect_eq(th_cnt(&t)->dns_queries, 1, ".local: the stub's");
	udp_close(us);
	th_fini(&t);
}

Test(dns, malformed_queries)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	uint8_t q[512];
	size_t ql = query(q, 0x4242, "a.test", 1), plen;
	const uint8_t *u;

	setup(&t, true);
	udp_open(t.s, IP_V4, &us);
	cr_expect_eq(udp_sendto(us, q, 5, TH_A4(NOWHERE), 53, t.now), 0);
	cr_expect_eq(th_cnt(&t)->dns_malformed, 1, "no header: dropped");
	cr_expect_eq(udp_recv_queued(us), 0);
	put16(q + 4, 2);                               /* two questions */
	cr_expect_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	cr_assert_eq(recv_from(us, NOWHERE, q), 12);
	cr_expect_eq(get16(q), 0x4242);
	cr_expect_eq(get16(q + 2) & 0x800f, 0x8001, "FORMERR");
	ql = query(q, 1, "a.test", 1);
	q[12] = 40;                                    /* a label past the end */
	cr_expect_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	recv_from(us, NOWHERE, q);
	cr_expect_eq(th_cnt(&t)->dns_formerr, 2);
	th_expect_silence(&t);
	/* a server not steered: the query goes out as it is */
	ql = query(q, 0x5151, "a.test", 1);
	cr_expect_eq(udp_sendto(us, q, ql, TH_A4(TH_PEER), 53, t.now), 0);
	u = pop_udp(&t, TH_PEER_MAC, &h, &plen);
	cr_expect_eq(get16(u + 8), 0x5151, "its own id");
	cr_expect_eq(th_cnt(&t)->dns_queries, 3);
	udp_close(us);
	th_fini(&t);
}

Test(dns, too_many_in_flight)
{
	struct th t;
	struct udp_sock *us;
	uint8_t q[512];
	size_t ql;

	setup(&t, true);
	udp_open(t.s, IP_V4, &us);
	for (unsigned i = 0; i <= DNS_STUB_PENDING; i++) {
		ql = query(q, (uint16_t)i, "many.test", 1);
		cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	}
	cr_expect_eq(th_queued(&t), DNS_STUB_PENDING);
	cr_expect_eq(th_cnt(&t)->dns_full, 1);
	cr_assert_eq(recv_from(us, NOWHERE, q), ql);
	cr_expect_eq(get16(q), DNS_STUB_PENDING);
	cr_expect_eq(get16(q + 2) & 0xf, 2, "SERVFAIL");
	udp_close(us);
	th_fini(&t);
}

Test(dns, local_names)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	uint8_t q[512], a[512];
	size_t ql = query(q, 11, "UHost.Local", 1), plen, al;
	const uint8_t *u;
	uint16_t port;

	setup(&t, false);
	udp_open(t.s, IP_V4, &us);
	/* ours: answered at once, no frame */
	cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	th_expect_silence(&t);
	al = recv_from(us, NOWHERE, a);
	cr_expect_eq(al, ql + 16);
	cr_expect_eq(get16(a + 2) & 0x800f, 0x8000);
	cr_expect_eq(get16(a + 6), 1);
	cr_expect_eq(get32(a + ql + 6), 10, "TTL");
	cr_expect_eq(get32(a + ql + 12), TH_IP);
	cr_expect_eq(th_cnt(&t)->dns_local, 1);
	/* another: a one-shot mDNS query; no answer: NXDOMAIN */
	ql = query(q, 12, "printer.local", 1);
	cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	u = pop_udp(&t, mdns_mac, &h, &plen);
	cr_expect_eq(h.dst, MDNS_GRP);
	cr_expect_eq(h.ttl, 255);
	cr_expect_eq(get16(u + 2), 5353);
	cr_expect_neq(get16(u), 5353, "from an ephemeral port (one-shot)");
	th_tick(&t, 200 * NSEC_PER_MSEC);
	pop_udp(&t, mdns_mac, &h, &plen);
	th_tick(&t, 200 * NSEC_PER_MSEC);
	cr_assert_eq(recv_from(us, NOWHERE, a), ql);
	cr_expect_eq(get16(a + 2) & 0xf, 3, "NXDOMAIN");
	cr_expect_eq(th_cnt(&t)->dns_nxdomain, 1);
	/* answered by a responder: its cache-flush bit cleared */
	ql = query(q, 13, "printer.local", 1);
	cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	u = pop_udp(&t, mdns_mac, &h, &plen);
	port = get16(u);
	memcpy(a, u + 8, ql);
	put16(a + 2, 0x8400);
	put16(a + 6, 1);
	put16(a + ql, 0xc00c);
	put16(a + ql + 2, 1);
	put16(a + ql + 4, 0x8001);
	put32(a + ql + 6, 120);
	put16(a + ql + 10, 4);
	put32(a + ql + 12, OTHER);
	inject_udp(&t, TH_MAC, OTHER, 5353, TH_IP, port, a, ql + 16);
	cr_assert_eq(recv_from(us, NOWHERE, a), ql + 16);
	cr_expect_eq(get16(a), 13);
	cr_expect_eq(get16(a + ql + 4), 1, "class IN, no flag");
	cr_expect_eq(get32(a + ql + 12), OTHER);
	cr_expect_eq(th_cnt(&t)->dns_mdns_answered, 1);
	udp_close(us);
	th_fini(&t);
}

/* ---- the responder -------------------------------------------------- */

/* The next frame that is mDNS (IGMP reports, ARP and DHCP go by) */
static const uint8_t *pop_mdns(struct th *t, struct ipv4_hdr *h, size_t *plen)
{
	while (th_queued(t)) {
		struct th_frame *f = th_pop(t);
		const uint8_t *u;

		if (f->len < 14 + 20 + 8 || get16(f->data + 12) != 0x0800 ||
		    f->data[14 + 9] != IP_PROTO_UDP)
			continue;
		u = th_check_ipv4(f, f->data, h, plen);
		if (get16(u) == 5353 || get16(u + 2) == 5353)
			return u;
	}
	cr_assert_fail("no mDNS frame");
	return NULL;
}

static void start_responder(struct th *t)
{
	struct ipv4_hdr h;
	size_t plen;
	const uint8_t *u;

	setup(t, false);
	stack_start(t->s, t->now);
	for (int i = 0; i < 3; i++) {
		th_tick(t, 250 * NSEC_PER_MSEC);
		u = pop_mdns(t, &h, &plen);
		cr_expect_eq(h.dst, MDNS_GRP);
		cr_expect_eq(get16(u), 5353);
		cr_expect_eq(get16(u + 8 + 2), 0, "probe: a query");
		cr_expect_eq(get16(u + 8 + 4), 1);
		cr_expect_eq(get16(u + 8 + 8), 1, "our A record proposed");
	}
	for (int i = 0; i < 2; i++) {
		th_tick(t, NSEC_PER_SEC);
		u = pop_mdns(t, &h, &plen);
		cr_expect_eq(get16(u + 8 + 2), 0x8400, "announcement: a response");
		cr_expect_eq(get16(u + 8 + 6), 1);
	}
	th_tick(t, 5 * NSEC_PER_SEC);
	while (th_queued(t))
		th_pop(t);
	cr_expect_eq(th_cnt(t)->mdns_tx_probe, 3);
	cr_expect_eq(th_cnt(t)->mdns_tx_announce, 2);
	cr_expect_str_eq(mdns_name(t->s), "uhost");
}

Test(mdns, answers_queries)
{
	struct th t;
	struct ipv4_hdr h;
	uint8_t q[512];
	size_t ql, plen;
	const uint8_t *u;

	start_responder(&t);
	/* one-shot: unicast back to its port, id and question, TTL 10 */
	ql = query(q, 0x7777, "uhost.local", 1);
	inject_udp(&t, mdns_mac, TH_PEER, 40000, MDNS_GRP, 5353, q, ql);
	u = pop_udp(&t, TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.dst, TH_PEER);
	cr_expect_eq(get16(u + 2), 40000);
	cr_expect_eq(get16(u + 8), 0x7777);
	cr_expect_eq(get16(u + 8 + 4), 1, "the question repeated");
	cr_expect_eq(get16(u + 8 + 6), 1);
	cr_expect_eq(get16(u + 8 + ql + 4), 1, "no cache-flush bit");
	cr_expect_eq(get32(u + 8 + ql + 6), 10);
	cr_expect_eq(get32(u + 8 + ql + 12), TH_IP);
	/* from 5353: a multicast response, no question, cache-flush */
	ql = query(q, 0, "UHOST.local", 255);
	inject_udp(&t, mdns_mac, TH_PEER, 5353, MDNS_GRP, 5353, q, ql);
	u = pop_udp(&t, mdns_mac, &h, &plen);
	cr_expect_eq(h.dst, MDNS_GRP);
	cr_expect_eq(get16(u + 8 + 4), 0);
	cr_expect_eq(get16(u + 8 + 6), 1);
	cr_expect_eq(get16(u + 8 + 12 + 13 + 2), 0x8001, "IN, cache-flush");
	/* with the QU bit: unicast to it */
	put16(q + ql - 2, 0x8001);
	inject_udp(&t, mdns_mac, TH_PEER, 5353, MDNS_GRP, 5353, q, ql);
	pop_udp(&t, TH_PEER_MAC, &h, &plen);
	/* a type we have not: NSEC in the additional section */
	ql = query(q, 0x7778, "uhost.local", 28);
	inject_udp(&t, mdns_mac, TH_PEER, 40001, MDNS_GRP, 5353, q, ql);
	u = pop_udp(&t, TH_PEER_MAC, &h, &plen);
	cr_expect_eq(get16(u + 8 + 6), 0);
	cr_expect_eq(get16(u + 8 + 10), 1);
	cr_expect_eq(get16(u + 8 + ql + 2), 47, "NSEC");
	cr_expect_eq(u[8 + ql + 12 + 4], 0x40, "A only");
	/* another name, a malformed query: silence */
	ql = query(q, 1, "other.local", 1);
	inject_udp(&t, mdns_mac, TH_PEER, 40002, MDNS_GRP, 5353, q, ql);
	q[12] = 60;
	inject_udp(&t, mdns_mac, TH_PEER, 40003, MDNS_GRP, 5353, q, ql);
	inject_udp(&t, mdns_mac, TH_PEER, 40003, MDNS_GRP, 5353, q, 7);
	th_expect_silence(&t);
	cr_expect_eq(th_cnt(&t)->mdns_rx_malformed, 2);
	cr_expect_eq(th_cnt(&t)->mdns_tx_answer, 4);
	cr_expect_eq(th_cnt(&t)->udp_rx_no_port, 0, "no port unreachable");
	th_fini(&t);
}

Test(mdns, conflict_renames)
{
	struct th t;
	struct ipv4_hdr h;
	uint8_t a[512];
	size_t al, plen;
	const uint8_t *u;

	setup(&t, false);
	stack_start(t.s, t.now);
	th_tick(&t, 250 * NSEC_PER_MSEC);
	pop_mdns(&t, &h, &plen);
	/* another host answers for uhost.local while we probe: a response
	 * whose one record is the "question" query() wrote, made an answer */
	al = query(a, 0, "uhost.local", 1);
	put16(a + 2, 0x8400);
	put16(a + 4, 0);
	put16(a + 6, 1);
	put16(a + al - 2, 0x8001);
	put32(a + al, 120);
	put16(a + al + 4, 4);
	put32(a + al + 6, OTHER);
	al += 10;
	inject_udp(&t, mdns_mac, OTHER, 5353, MDNS_GRP, 5353, a, al);
	cr_expect_eq(th_cnt(&t)->mdns_conflicts, 1);
	cr_expect_str_eq(mdns_name(t.s), "uhost-2");
	th_tick(&t, 250 * NSEC_PER_MSEC);
	u = pop_mdns(&t, &h, &plen);
	cr_expect_eq(u[8 + 12], 7);
	cr_expect_arr_eq(u + 8 + 13, "uhost-2", 7, "probing for the new name");
	th_fini(&t);
}

Test(mdns, port_5353_stays_free_for_programs)
{
	struct th t;
	struct udp_sock *us;
	struct ipv4_hdr h;
	uint8_t q[512];
	size_t ql = query(q, 3, "uhost.local", 1), plen;
	struct udp_meta m;

	start_responder(&t);
	cr_assert_eq(udp_open(t.s, IP_V4, &us), 0);
	cr_expect_eq(udp_bind(us, NULL, 5353), 0, "bound without SO_REUSEADDR");
	inject_udp(&t, TH_MAC, TH_PEER, 40000, TH_IP, 5353, q, ql);
	pop_udp(&t, TH_PEER_MAC, &h, &plen);
	cr_expect_eq(th_cnt(&t)->udp_rx_delivered, 1);
	cr_expect_not_null(udp_recv_peek(us, &m), "the program's socket has it too");
	cr_expect_eq(m.sport, 40000);
	udp_close(us);
	th_fini(&t);
}

Test(dns, wire_helpers)
{
	uint8_t m[64];
	char name[64];
	size_t l = query(m, 1, "a.bc.local", 1);

	cr_expect_eq(dns_question_end(m, l), (int)l);
	cr_expect_eq(dns_question_end(m, l - 1), -1);
	cr_expect(dns_name_is_local(m, l, name, sizeof(name)));
	cr_expect_str_eq(name, "a.bc");
	cr_expect_eq(dns_read_name(m, l, 12, name, sizeof(name)), (int)l - 4);
	cr_expect_str_eq(name, "a.bc.local");
	l = query(m, 1, "local", 1);
	cr_expect_not(dns_name_is_local(m, l, name, sizeof(name)), "nothing before .local");
	/* a pointer loop */
	put16(m + 12, 0xc00c);
	cr_expect_eq(dns_read_name(m, l, 12, name, sizeof(name)), -1);
}

Test(dns, tcp_connect_goes_to_the_link_server)
{
	struct th t;
	struct tcp_sock *sk, *sk2;
	struct ipv4_hdr h;
	size_t plen;
	const uint8_t *seg;

	setup(&t, true);
	cr_assert_eq(tcp_open(t.s, IP_V4, &sk, t.now), 0);
	cr_assert_eq(tcp_connect(sk, TH_A4(NOWHERE), 53, t.now), -EINPROGRESS);
	seg = th_check_ipv4(th_pop(&t), TH_PEER_MAC, &h, &plen);
	cr_expect_eq(h.proto, IP_PROTO_TCP);
	cr_expect_eq(h.dst, TH_PEER, "the SYN goes to the configured server");
	cr_expect_eq(get16(seg + 2), 53);
	cr_expect_eq(th_cnt(&t)->dns_tcp_redirected, 1);
	/* another port of that address is not DNS: as addressed */
	th_learn(&t, TH_GW, TH_GW_MAC);
	cr_assert_eq(tcp_open(t.s, IP_V4, &sk2, t.now), 0);
	cr_assert_eq(tcp_connect(sk2, TH_A4(NOWHERE), 80, t.now), -EINPROGRESS);
	th_check_ipv4(th_pop(&t), TH_GW_MAC, &h, &plen);
	cr_expect_eq(h.dst, NOWHERE);
	tcp_abort(sk, t.now);
	tcp_abort(sk2, t.now);
	th_fini(&t);
}

/* Once the name is ours: a response giving it an address we do not have
 * sends us probing again (RFC 6762 9), one giving ours is no conflict; a
 * new address is announced (8.4); a DHCP-like first address starts it */
Test(mdns, conflict_after_probe_and_address_changes)
{
	struct th t;
	struct ipv4_hdr h;
	uint8_t a[512];
	size_t al, plen;
	const uint8_t *u;

	start_responder(&t);
	al = query(a, 0, "uhost.local", 1);
	put16(a + 2, 0x8400);
	put16(a + 4, 0);
	put16(a + 6, 1);
	put16(a + al - 2, 0x8001);
	put32(a + al, 120);
	put16(a + al + 4, 4);
	put32(a + al + 6, TH_IP);      /* our own address: agreed */
	inject_udp(&t, mdns_mac, OTHER, 5353, MDNS_GRP, 5353, a, al + 10);
	cr_expect_eq(th_cnt(&t)->mdns_conflicts, 0);
	put32(a + al + 6, OTHER);      /* another's: probe again */
	inject_udp(&t, mdns_mac, OTHER, 5353, MDNS_GRP, 5353, a, al + 10);
	cr_expect_eq(th_cnt(&t)->mdns_conflicts, 1);
	cr_expect_str_eq(mdns_name(t.s), "uhost", "the same name, probed");
	th_tick(&t, 250 * NSEC_PER_MSEC);
	u = pop_mdns(&t, &h, &plen);
	cr_expect_eq(get16(u + 8 + 2), 0, "a probe");
	/* quiet: ours again after 3 probes and 2 announcements */
	for (int i = 0; i < 8; i++)
		th_tick(&t, 500 * NSEC_PER_MSEC);
	while (th_queued(&t))
		th_pop(&t);
	cr_expect_eq(th_cnt(&t)->mdns_tx_probe, 6);
	cr_expect_eq(th_cnt(&t)->mdns_tx_announce, 4);
	/* a new address: announced at once, with both records */
	cr_assert_eq(stack_addr_add(t.s, IPV4(198, 51, 100, 1), 24, t.now), 0);
	th_deadline(&t);
	u = pop_mdns(&t, &h, &plen);
	cr_expect_eq(get16(u + 8 + 2), 0x8400);
	cr_expect_eq(get16(u + 8 + 6), 2, "both addresses");
	th_fini(&t);
}

Test(mdns, waits_for_an_address)
{
	struct th t;
	struct stack_config cfg;
	struct ipv4_hdr h;
	size_t plen;

	th_config(&cfg);
	cfg.naddr = 0;
	cfg.gateway = 0;
	cfg.dhcp = true;                /* an address to come */
	snprintf(cfg.hostname, sizeof(cfg.hostname), "uhost");
	th_init_cfg(&t, &cfg);
	stack_start(t.s, t.now);
	th_tick(&t, 3 * NSEC_PER_SEC);
	while (th_queued(&t))
		th_pop(&t);
	cr_expect_eq(th_cnt(&t)->mdns_tx_probe, 0, "no address: no probe");
	cr_assert_eq(stack_addr_add(t.s, TH_IP, 24, t.now), 0);
	th_tick(&t, 250 * NSEC_PER_MSEC);
	pop_mdns(&t, &h, &plen);
	cr_expect_eq(th_cnt(&t)->mdns_tx_probe, 1);
	th_fini(&t);
}

/* A router's RDNSS is often its link-local address: the stub asks it on
 * the link (an IPv6 socket bound to the interface) */
Test(dns, link_local_server)
{
	struct th t;
	struct stack_config cfg;
	struct udp_sock *us;
	struct ipv6_hdr h6;
	struct ip_addr ll = th_a6(TH_LL);
	uint8_t q[512], fr[1600], u[600];
	size_t ql = query(q, 0x6161, "v6.test", 28), plen;
	const uint8_t *p;
	uint16_t ck;

	th_init6(&t);
	th_learn6(&t, &ll, TH_PEER_MAC);
	cfg = t.cfg;
	cfg.dns[0] = ll;
	cfg.ndns = 1;
	cr_assert_eq(stack_reconfigure(t.s, &cfg), 0);
	stack_dns_steer(t.s, TH_A4(NOWHERE), 1);
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	p = th_check_ipv6(th_pop(&t), &h6, &plen);
	cr_assert_eq(h6.nh, IP_PROTO_UDP);
	cr_expect_arr_eq(h6.dst, ll.v6, 16, "asked of fe80::2");
	cr_expect_eq(get16(p + 2), 53);
	/* its answer, back to the program from 198.51.100.53 */
	memcpy(u, p, plen);
	put16(u, 53);
	put16(u + 2, get16(p));
	u[8 + 2] |= 0x80;
	put16(u + 6, 0);
	{
		struct ip_addr src = ll, dst = ip6(h6.src);
		struct th_ip6 ip = { .src = src, .dst = dst, .nh = IP_PROTO_UDP,
				     .hlim = 64 };

		ck = inet_fold(inet_sum(u, plen, ip_pseudo_sum(&src, &dst,
				IP_PROTO_UDP, (uint32_t)plen)));
		put16(u + 6, ck ? ck : 0xffff);
		th_input(&t, fr, th_ipv6(fr, TH_PEER_MAC, TH_MAC, &ip, u, plen));
	}
	th_deadline(&t);
	cr_assert_eq(recv_from(us, NOWHERE, q), ql);
	cr_expect_eq(get16(q), 0x6161);
	cr_expect_eq(th_cnt(&t)->dns_answered, 1);
	udp_close(us);
	th_fini(&t);
}

/* A server that answers with port unreachable: the stub does not wait a
 * second per try, it tries again at once (each try to the next server;
 * one server here), then SERVFAIL, within the same instant */
Test(dns, port_unreachable_moves_on_at_once)
{
	struct th t;
	struct udp_sock *us;
	uint8_t q[512], icmp[600], fr[700];
	size_t ql = query(q, 0x0707, "gone.test", 1);
	struct th_ip ip;

	setup(&t, true);
	udp_open(t.s, IP_V4, &us);
	cr_assert_eq(udp_sendto(us, q, ql, TH_A4(NOWHERE), 53, t.now), 0);
	for (int i = 0; i < 3; i++) {
		struct th_frame *f = th_pop(&t);
		size_t il = f->len - 14;

		/* the peer quotes the whole datagram, as Linux does */
		th_ip_default(&ip, IP_PROTO_ICMP);
		ip.src = TH_PEER;
		ip.dst = TH_IP;
		th_input(&t, fr, th_ipv4(fr, TH_MAC, &ip, icmp,
					 th_icmp(icmp, ICMP_UNREACH,
						 ICMP_UNREACH_PORT, 0,
						 f->data + 14, il)));
		th_deadline(&t);
	}
	th_expect_silence(&t);
	cr_assert_eq(recv_from(us, NOWHERE, q), ql);
	cr_expect_eq(get16(q + 2) & 0xf, 2, "SERVFAIL, with no time passed");
	cr_expect_eq(th_cnt(&t)->dns_unreachable, 3);
	udp_close(us);
	th_fini(&t);
}

/* Over IPv6 (ff02::fb): a one-shot query from a link-local address gets
 * its unicast answer there, our AAAA records with the link-local one
 * (mDNS stays on the link, RFC 6762 6.2) */
Test(mdns, answers_over_ipv6)
{
	struct th t;
	struct stack_config cfg;
	struct ip_addr us6 = th_a6(TH_IP6), ll = th_a6(TH_LL);
	struct ip_addr grp = ip6((const uint8_t[16]){ 0xff, 0x02, [15] = 0xfb });
	static const uint8_t mac6[6] = { 0x33, 0x33, 0, 0, 0, 0xfb };
	struct th_ip6 ip = { .src = ll, .dst = grp, .nh = IP_PROTO_UDP,
			     .hlim = 255 };
	struct ipv6_hdr h6;
	uint8_t q[512], u[600], fr[800];
	size_t ql = query(q, 0x6666, "uhost.local", 28), plen;
	const uint8_t *p;
	uint16_t ck;

	th_config(&cfg);
	cfg.ipv6 = true;
	cfg.naddr6 = 1;
	memcpy(cfg.addr6[0].addr, us6.v6, 16);
	cfg.addr6[0].prefix = 64;
	cfg.dad_transmits = 0;
	cfg.rtr_solicits = 0;
	snprintf(cfg.hostname, sizeof(cfg.hostname), "uhost");
	th_init_cfg(&t, &cfg);
	stack_start(t.s, t.now);
	for (int i = 0; i < 12; i++) {
		th_tick(&t, 500 * NSEC_PER_MSEC);
		while (th_queued(&t))
			th_pop(&t);
	}
	cr_assert_geq(th_cnt(&t)->mdns_tx_announce, 2);
	th_learn6(&t, &ll, TH_PEER_MAC);
	put16(u, 40000);
	put16(u + 2, 5353);
	put16(u + 4, (uint16_t)(8 + ql));
	put16(u + 6, 0);
	memcpy(u + 8, q, ql);
	ck = inet_fold(inet_sum(u, 8 + ql, ip_pseudo_sum(&ll, &grp, IP_PROTO_UDP,
							  (uint32_t)(8 + ql))));
	put16(u + 6, ck ? ck : 0xffff);
	th_input(&t, fr, th_ipv6(fr, TH_PEER_MAC, mac6, &ip, u, 8 + ql));
	p = th_check_ipv6(th_pop(&t), &h6, &plen);
	cr_assert_eq(h6.nh, IP_PROTO_UDP);
	cr_expect_arr_eq(h6.dst, ll.v6, 16, "unicast to the asker");
	cr_expect_eq(get16(p), 5353);
	cr_expect_eq(get16(p + 2), 40000);
	cr_expect_eq(get16(p + 8), 0x6666);
	cr_expect_eq(get16(p + 8 + 6), 2, "2001:db8::1 and fe80::...");
	cr_expect_eq(get16(p + 8 + ql + 2), 28);
	th_fini(&t);
}
