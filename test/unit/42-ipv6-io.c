/* SPDX-License-Identifier: MIT */
/*
 * 42-ipv6-io.c - IPv6 on the link, as traces: the start (MLD, DAD, router
 * solicitation), echo, neighbour discovery both ways, DAD conflicts, SLAAC
 * and lifetimes, path MTU, fragments both ways, the errors owed
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static uint8_t fb[70000];

#define SEC NSEC_PER_SEC

/* What a frame we sent is, for traces that do not care about order */
enum kind { K_ARP, K_NS_DAD, K_NS, K_NA, K_RS, K_MLD2, K_MLD1, K_ECHO_REPLY,
	    K_PARAM, K_TIMEX, K_OTHER };

static enum kind classify(const struct th_frame *f, struct ipv6_hdr *h,
			  const uint8_t **msg, size_t *mlen)
{
	const uint8_t *p;
	size_t plen, off = 0;

	if (get16(f->data + 12) == ETH_P_ARP)
		return K_ARP;
	p = th_check_ipv6(f, h, &plen);
	if (h->nh == IP6_NH_HOPOPTS) {
		off = (p[1] + 1u) * 8;
		if (p[0] != IP6_NH_ICMPV6)
			return K_OTHER;
	} else if (h->nh != IP6_NH_ICMPV6) {
		return K_OTHER;
	}
	*msg = p + off;
	*mlen = plen - off;
	switch (p[off]) {
	case ND_NEIGHBOR_SOLICIT: {
		struct ip_addr src = ip6(h->src);

		return ip_addr_is_any(&src) ? K_NS_DAD : K_NS;
	}
	case ND_NEIGHBOR_ADVERT:
		return K_NA;
	case ND_ROUTER_SOLICIT:
		return K_RS;
	case ICMP6_MLD2_REPORT:
		return K_MLD2;
	case ICMP6_MLD1_REPORT:
	case ICMP6_MLD1_DONE:
		return K_MLD1;
	case ICMP6_ECHO_REPLY:
		return K_ECHO_REPLY;
	case ICMP6_PARAM_PROB:
		return K_PARAM;
	case ICMP6_TIME_EXCEEDED:
		return K_TIMEX;
	default:
		return K_OTHER;
	}
}

/* Pop every frame sent so far, counting each kind */
static void drain(struct th *t, unsigned count[K_OTHER + 1])
{
	while (th_queued(t)) {
		struct ipv6_hdr h;
		const uint8_t *m;
		size_t ml;

		count[classify(th_pop(t), &h, &m, &ml)]++;
	}
}

static void v6_config(struct stack_config *cfg)
{
	th_config(cfg);
	cfg->ipv6 = true;
	cfg->neigh_reachable = 30 * SEC;
}

/* Start with IPv6 on and run until the link-local address is usable and
 * router solicitation is over. Return: the link-local address */
static struct ip_addr v6_up_cfg(struct th *t, const struct stack_config *cfg,
				unsigned count[K_OTHER + 1])
{
	struct ip_addr ll;

	th_init_cfg(t, cfg);
	stack_start(t->s, t->now);
	for (int i = 0; i < 20; i++) {
		drain(t, count);
		th_tick(t, SEC);
	}
	drain(t, count);
	cr_assert(addrconf_linklocal(t->s, &ll), "no usable link-local address");
	return ll;
}

static struct ip_addr v6_up(struct th *t)
{
	struct stack_config cfg;
	unsigned count[K_OTHER + 1] = { 0 };

	v6_config(&cfg);
	return v6_up_cfg(t, &cfg, count);
}

/* The stack's MAC, as a neighbour writes to it */
#define US TH_MAC

/* RFC 4861, 4862, 3810: what a starting host says, and then silence */
Test(ipv6_io, start_mld_dad_rs_then_idle)
{
	struct stack_config cfg;
	struct th t;
	unsigned count[K_OTHER + 1] = { 0 };
	struct ip_addr ll;
	const struct ifaddr6 *a;

	v6_config(&cfg);
	ll = v6_up_cfg(&t, &cfg, count);
	cr_expect_eq(count[K_ARP], 1, "gratuitous ARP");
	cr_expect_eq(count[K_NS_DAD], 1, "one DAD probe");
	cr_expect_eq(count[K_MLD2], 2, "solicited-node group reported twice");
	cr_expect_eq(count[K_RS], 3, "three router solicitations");
	cr_expect_eq(count[K_OTHER], 0);
	cr_expect(ip_addr_is_linklocal(&ll));
	a = addrconf_find(t.s, ll.v6);
	cr_assert_not_null(a);
	cr_expect_eq(a->state, IFA6_PREFERRED);
	/* RFC 7217: the MAC does not show in the identifier */
	cr_expect(memcmp(ll.v6 + 8, (const uint8_t[]){ 0x00, 0x00, 0x00, 0xff,
						       0xfe, 0x00, 0x00, 0x01 },
			 8));
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE,
		     "nothing left to do: no timer");
	th_fini(&t);
}

/* RFC 7217: stable for a prefix, different across prefixes and counters */
Test(ipv6_io, stable_identifiers)
{
	static const uint8_t p1[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	static const uint8_t p2[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2 };
	uint8_t a[8], b[8], c[8], d[8];
	struct stack_config cfg;
	struct th t;

	v6_config(&cfg);
	th_init_cfg(&t, &cfg);
	addrconf_stable_iid(t.s, p1, 0, a);
	addrconf_stable_iid(t.s, p1, 0, b);
	addrconf_stable_iid(t.s, p2, 0, c);
	addrconf_stable_iid(t.s, p1, 1, d);
	cr_expect_arr_eq(a, b, 8);
	cr_expect(memcmp(a, c, 8), "another prefix, another identifier");
	cr_expect(memcmp(a, d, 8), "another DAD_Counter, another identifier");
	cfg.ipv6_secret[0] = 1;
	th_fini(&t);
	th_init_cfg(&t, &cfg);
	addrconf_stable_iid(t.s, p1, 0, b);
	cr_expect(memcmp(a, b, 8), "another secret, another identifier");
	th_fini(&t);
}

/* Resolve a neighbour the way the stack must: it solicits, we answer */
static void answer_ns(struct th *t, const struct ip_addr *peer,
		      const uint8_t *mac)
{
	struct ipv6_hdr h;
	const uint8_t *m;
	size_t ml, n;
	uint8_t na[32] = { 0 };
	struct ip_addr us;

	cr_assert_eq(classify(th_pop(t), &h, &m, &ml), K_NS);
	cr_expect_arr_eq(m + 8, peer->v6, 16, "NS for the peer");
	us = ip6(h.src);
	memcpy(na, peer->v6, 16);
	na[16] = ND_OPT_TLLA;
	na[17] = 1;
	memcpy(na + 18, mac, 6);
	n = th_icmp6(fb, mac, US, peer, &us, 255, ND_NEIGHBOR_ADVERT, 0,
		     (uint32_t)(ND_NA_SOLICITED | ND_NA_OVERRIDE) << 24, na, 24);
	th_input(t, fb, n);
}

/* An echo request from the peer's link-local address is answered to it
 * once the stack has resolved it (ND both ways) */
Test(ipv6_io, echo_and_neighbour_discovery)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), peer = th_a6(TH_LL);
	uint8_t data[100];
	struct ipv6_hdr h;
	const uint8_t *m;
	size_t ml, n;
	const struct neigh_entry *e;
	struct th_frame *f;

	th_pattern(data, sizeof(data), 7);
	n = th_icmp6(fb, TH_PEER_MAC, US, &peer, &ll, 64, ICMP6_ECHO_REQUEST, 0,
		     0x12340001, data, sizeof(data));
	th_input(&t, fb, n);
	answer_ns(&t, &peer, TH_PEER_MAC);
	f = th_pop(&t);
	cr_assert_eq(classify(f, &h, &m, &ml), K_ECHO_REPLY);
	cr_expect_arr_eq(f->data, TH_PEER_MAC, 6);
	cr_expect_arr_eq(h.src, ll.v6, 16);
	cr_expect_arr_eq(h.dst, peer.v6, 16);
	cr_expect_eq(h.hlim, 64);
	cr_expect_eq(ml, 8 + sizeof(data));
	cr_expect_eq(get32(m + 4), 0x12340001);
	cr_expect_arr_eq(m + 8, data, sizeof(data));
	e = neigh_find(t.s, &peer);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, NEIGH_REACHABLE);
	/* the peer solicits us: a solicited advertisement, and it is known */
	{
		uint8_t ns[32] = { 0 };
		struct ip_addr sn = { .family = IP_V6 };

		ip6_solicited_node(ll.v6, sn.v6);
		memcpy(ns, ll.v6, 16);
		ns[16] = ND_OPT_SLLA;
		ns[17] = 1;
		memcpy(ns + 18, TH_PEER_MAC, 6);
		n = th_icmp6(fb, TH_PEER_MAC, US, &peer, &sn, 255,
			     ND_NEIGHBOR_SOLICIT, 0, 0, ns, 24);
		th_input(&t, fb, n);
		cr_assert_eq(classify(th_pop(&t), &h, &m, &ml), K_NA);
		cr_expect_eq(m[4], ND_NA_SOLICITED | ND_NA_OVERRIDE);
		cr_expect_arr_eq(m + 8, ll.v6, 16);
		cr_expect_eq(m[24], ND_OPT_TLLA);
		cr_expect_arr_eq(m + 26, TH_MAC, 6);
		cr_expect_eq(h.hlim, 255);
	}
	th_expect_silence(&t);
	th_fini(&t);
}

/* An echo to all nodes (ff02::1) is answered from our link-local address */
Test(ipv6_io, echo_to_all_nodes)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), peer = th_a6(TH_LL);
	struct ip_addr all = th_a6("ff02::1");
	static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct ipv6_hdr h;
	const uint8_t *m;
	size_t ml, n;

	n = th_icmp6(fb, TH_PEER_MAC, mc, &peer, &all, 1, ICMP6_ECHO_REQUEST, 0,
		     0x00010002, "hi", 2);
	th_input(&t, fb, n);
	answer_ns(&t, &peer, TH_PEER_MAC);
	cr_assert_eq(classify(th_pop(&t), &h, &m, &ml), K_ECHO_REPLY);
	cr_expect_arr_eq(h.src, ll.v6, 16);
	th_fini(&t);
}

/* RFC 4862 5.4.3: another node probing our tentative address makes it a
 * duplicate; RFC 7217 6: a new identifier is tried */
Test(ipv6_io, dad_conflict_regenerates)
{
	struct stack_config cfg;
	struct th t;
	struct ip_addr any = th_a6("::"), sn = { .family = IP_V6 }, ll;
	uint8_t tentative[16], ns[24] = { 0 };
	const struct ifaddr6 *a;
	size_t n;

	v6_config(&cfg);
	th_init_cfg(&t, &cfg);
	stack_start(t.s, t.now);
	a = &t.s->nif.in6.addr[0];
	cr_assert_eq(a->state, IFA6_TENTATIVE);
	memcpy(tentative, a->addr, 16);
	ip6_solicited_node(tentative, sn.v6);
	memcpy(ns, tentative, 16);
	n = th_icmp6(fb, TH_PEER_MAC, (const uint8_t[]){ 0x33, 0x33, 0xff,
		     tentative[13], tentative[14], tentative[15] },
		     &any, &sn, 255, ND_NEIGHBOR_SOLICIT, 0, 0, ns, 16 + 0);
	th_input(&t, fb, n);
	cr_expect_eq(th_cnt(&t)->addr6_dad_duplicate, 1);
	cr_expect_null(addrconf_find(t.s, tentative), "the duplicate is gone");
	for (int i = 0; i < 10; i++)
		th_tick(&t, SEC);
	cr_assert(addrconf_linklocal(t.s, &ll));
	cr_expect(memcmp(ll.v6, tentative, 16), "a new identifier");
	cr_expect_eq(addrconf_find(t.s, ll.v6)->dad_counter, 1);
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}

/* A router advertisement: default route, on-link prefix, SLAAC address,
 * RDNSS; lifetimes deprecate and then remove the address */
static size_t make_ra(uint8_t *buf, uint16_t router_life, uint32_t valid,
		      uint32_t pref)
{
	uint8_t body[8 + 32 + 8 + 24] = { 0 };
	struct ip_addr rtr = th_a6(TH_RTR_LL), all = th_a6("ff02::1");
	struct ip_addr pfx = th_a6("2001:db8:1::"), dns = th_a6("2001:db8::53");
	static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t *o = body + 8;

	put32(body, 30000);             /* reachable time */
	put32(body + 4, 1000);          /* retrans timer */
	o[0] = ND_OPT_PREFIX;
	o[1] = 4;
	o[2] = 64;
	o[3] = ND_PREFIX_ONLINK | ND_PREFIX_AUTO;
	put32(o + 4, valid);
	put32(o + 8, pref);
	memcpy(o + 16, pfx.v6, 16);
	o += 32;
	o[0] = ND_OPT_SLLA;
	o[1] = 1;
	memcpy(o + 2, TH_RTR_MAC, 6);
	o += 8;
	o[0] = ND_OPT_RDNSS;
	o[1] = 3;
	put32(o + 4, 600);
	memcpy(o + 8, dns.v6, 16);
	return th_icmp6(buf, TH_RTR_MAC, mc, &rtr, &all, 255, ND_ROUTER_ADVERT,
			0, (uint32_t)64 << 24 | router_life, body, sizeof(body));
}

Test(ipv6_io, slaac_and_lifetimes)
{
	struct th t;
	struct ip_addr rtr = th_a6(TH_RTR_LL), dst = th_a6("2001:db8:99::1");
	struct ip_addr got;
	const struct ifaddr6 *a = NULL;
	const struct route *r;
	size_t n;

	v6_up(&t);
	n = make_ra(fb, 1800, 3600, 1800);
	th_input(&t, fb, n);
	cr_expect_eq(th_cnt(&t)->nd_rx_ra, 1);
	cr_expect_eq(th_cnt(&t)->addr6_slaac, 1);
	for (int i = 0; i < 5; i++)
		th_tick(&t, SEC);
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++)
		if (t.s->nif.in6.addr[i].origin == IFA6_SLAAC &&
		    t.s->nif.in6.addr[i].state != IFA6_FREE)
			a = &t.s->nif.in6.addr[i];
	cr_assert_not_null(a, "no SLAAC address");
	cr_expect_eq(a->state, IFA6_PREFERRED);
	cr_expect_eq(a->addr[0], 0x20);
	cr_expect_eq(a->addr[5], 0x01);
	/* the source for a global destination is the SLAAC address */
	cr_assert_eq(addrconf_select_source(t.s, &dst, &got), 0);
	cr_expect_arr_eq(got.v6, a->addr, 16);
	/* the default route goes through the router */
	r = route_find(t.s, &dst);
	cr_assert_not_null(r);
	cr_expect(ip_addr_eq(&r->gateway, &rtr));
	cr_expect_eq(r->origin, ROUTE_RA);
	cr_expect_eq(neigh_find(t.s, &rtr)->state, NEIGH_STALE);
	cr_expect(neigh_find(t.s, &rtr)->is_router);
	cr_expect(t.s->nif.in6.rdnss[0].used);
	/* preferred lifetime over: deprecated, still valid */
	th_tick(&t, 1800 * SEC);
	cr_expect_eq(a->state, IFA6_DEPRECATED);
	cr_expect_eq(th_cnt(&t)->addr6_deprecated, 1);
	/* the router's lifetime ran out too: no default route */
	cr_expect_null(route_find(t.s, &dst));
	th_tick(&t, 1800 * SEC);
	cr_expect_eq(a->state, IFA6_FREE);
	cr_expect_eq(th_cnt(&t)->addr6_expired, 1);
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}

/* RFC 4862 5.5.3 (e): a short valid lifetime cannot cut a long one below
 * two hours */
Test(ipv6_io, two_hour_rule)
{
	struct th t;
	const struct ifaddr6 *a = NULL;

	v6_up(&t);
	th_input(&t, fb, make_ra(fb, 0, 86400, 3600));
	for (int i = 0; i < 5; i++)
		th_tick(&t, SEC);
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++)
		if (t.s->nif.in6.addr[i].origin == IFA6_SLAAC)
			a = &t.s->nif.in6.addr[i];
	cr_assert_not_null(a);
	th_input(&t, fb, make_ra(fb, 0, 60, 60));
	cr_expect_eq(a->valid_until, t.now + 7200 * SEC);
	cr_expect_eq(a->preferred_until, t.now + 60 * SEC);
	th_input(&t, fb, make_ra(fb, 0, 60, 60));
	cr_expect_eq(a->valid_until, t.now + 7200 * SEC - 0,
		     "within two hours left: ignored");
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}

/* RFC 8200 4: an unknown Next Header earns a Parameter Problem (code 1)
 * pointing at the field that named it */
Test(ipv6_io, unknown_next_header)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), peer = th_a6(TH_LL);
	struct th_ip6 ip = { .src = peer, .dst = ll, .nh = 253 };
	struct ipv6_hdr h;
	const uint8_t *m;
	size_t ml, n;

	n = th_ipv6(fb, TH_PEER_MAC, US, &ip, "abcdefgh", 8);
	th_input(&t, fb, n);
	cr_expect_eq(th_cnt(&t)->ip6_rx_unknown_proto, 1);
	answer_ns(&t, &peer, TH_PEER_MAC);
	cr_assert_eq(classify(th_pop(&t), &h, &m, &ml), K_PARAM);
	cr_expect_eq(m[1], ICMP6_PARAM_NEXTHDR);
	cr_expect_eq(get32(m + 4), 6);
	cr_expect_eq(ml, 8 + 40 + 8, "the whole datagram quoted");
	th_fini(&t);
}

/* Pop the fragments of one datagram we sent and join their payload (the
 * Fragment header checked: ids equal, offsets in order, M on all but the
 * last). Return: the payload length; *nfrag and *maxlen the frames */
static size_t collect6(struct th *t, uint8_t *out, unsigned *nfrag,
		       size_t *maxlen)
{
	size_t total = 0;
	uint32_t id = 0;
	bool more = true;

	*nfrag = 0;
	*maxlen = 0;
	while (more) {
		struct th_frame *f = th_pop(t);
		struct ipv6_hdr h;
		size_t plen;
		const uint8_t *p = th_check_ipv6(f, &h, &plen);

		cr_assert_eq(h.nh, IP6_NH_FRAGMENT);
		if (!*nfrag)
			id = get32(p + 4);
		cr_expect_eq(get32(p + 4), id, "one identification");
		cr_expect_eq(get16(p + 2) & 0xfff8, total, "in order");
		more = p[3] & 1;
		if (more)
			cr_expect_eq((plen - 8) % 8, 0);
		memcpy(out + total, p + 8, plen - 8);
		total += plen - 8;
		if (f->len - ETH_HLEN > *maxlen)
			*maxlen = f->len - ETH_HLEN;
		(*nfrag)++;
	}
	return total;
}

/* Send a 2000-byte echo request in two fragments from the peer */
static void frag_echo(struct th *t, const struct ip_addr *peer,
		      const struct ip_addr *ll, uint32_t idseq)
{
	static uint8_t msg[2000], ext[8];
	struct icmp6_hdr eh = { .type = ICMP6_ECHO_REQUEST, .rest = idseq };
	struct th_ip6 ip = { .src = *peer, .dst = *ll, .nh = IP6_NH_FRAGMENT,
			     .ext = ext, .extlen = 8 };

	th_pattern(msg + 8, sizeof(msg) - 8, 3);
	icmp6_build(msg, sizeof(msg), peer, ll, &eh);
	ext[0] = IP6_NH_ICMPV6;
	put16(ext + 2, 0 | 1);
	put32(ext + 4, idseq);
	th_input(t, fb, th_ipv6(fb, TH_PEER_MAC, US, &ip, msg, 1448));
	put16(ext + 2, 1448);
	th_input(t, fb, th_ipv6(fb, TH_PEER_MAC, US, &ip, msg + 1448, 552));
}

/* Fragments of an echo request come together (RFC 8200 4.5); the reply,
 * larger than the link MTU, leaves in fragments; after a Packet Too Big
 * (RFC 8201) the next one leaves in fragments of at most 1280 bytes */
Test(ipv6_io, fragments_both_ways_and_pmtu)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), peer = th_a6(TH_LL);
	struct ip_addr rtr = th_a6(TH_RTR_LL);
	static uint8_t out[4000];
	uint8_t quote[1232];
	unsigned nfrag;
	size_t len, maxlen;

	frag_echo(&t, &peer, &ll, 0x55550001);
	cr_expect_eq(th_cnt(&t)->frag_reassembled, 1);
	answer_ns(&t, &peer, TH_PEER_MAC);
	len = collect6(&t, out, &nfrag, &maxlen);
	cr_expect_eq(len, 2000);
	cr_expect_eq(nfrag, 2);
	cr_expect_leq(maxlen, 1500);
	cr_expect_eq(out[0], ICMP6_ECHO_REPLY);
	cr_expect_eq(get32(out + 4), 0x55550001);
	/* a router says 1280 towards the peer, quoting our reply */
	memset(quote, 0, sizeof(quote));
	quote[0] = 0x60;
	put16(quote + 4, 1400);
	quote[6] = IP6_NH_ICMPV6;
	quote[7] = 64;
	memcpy(quote + 8, ll.v6, 16);
	memcpy(quote + 24, peer.v6, 16);
	th_input(&t, fb, th_icmp6(fb, TH_RTR_MAC, US, &rtr, &ll, 64,
				  ICMP6_PACKET_TOO_BIG, 0, 1280, quote,
				  sizeof(quote)));
	cr_expect_eq(th_cnt(&t)->ip6_pmtu_updates, 1);
	cr_expect_eq(ipv6_pmtu(t.s, &peer), 1280);
	frag_echo(&t, &peer, &ll, 0x55550002);
	len = collect6(&t, out, &nfrag, &maxlen);
	cr_expect_eq(len, 2000);
	cr_expect_eq(nfrag, 2);
	cr_expect_leq(maxlen, 1280);
	/* RFC 8201 4: ten minutes on, the link MTU is tried again */
	th_tick(&t, 601 * SEC);
	cr_expect_eq(ipv6_pmtu(t.s, &peer), 1500);
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}

/* RFC 5722: overlapping fragments drop the whole datagram, silently */
Test(ipv6_io, overlapping_fragments)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), peer = th_a6(TH_LL);
	uint8_t ext[8] = { IP6_NH_ICMPV6 }, data[1024] = { 0 };
	struct th_ip6 ip = { .src = peer, .dst = ll, .nh = IP6_NH_FRAGMENT,
			     .ext = ext, .extlen = 8 };

	put16(ext + 2, 0 | 1);
	put32(ext + 4, 77);
	th_input(&t, fb, th_ipv6(fb, TH_PEER_MAC, US, &ip, data, 1024));
	put16(ext + 2, 1016);           /* overlaps the first by 8 bytes */
	th_input(&t, fb, th_ipv6(fb, TH_PEER_MAC, US, &ip, data, 100));
	cr_expect_eq(th_cnt(&t)->frag_overlap, 1);
	cr_expect_eq(t.s->reass.count, 0);
	th_expect_silence(&t);
	th_fini(&t);
}

/* RFC 8200 4.5: a fragment that is not the last must carry a multiple of
 * 8 bytes: Parameter Problem pointing at the Payload Length */
Test(ipv6_io, fragment_length_not_multiple_of_8)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), peer = th_a6(TH_LL);
	uint8_t ext[8] = { IP6_NH_ICMPV6, 0, 0, 1 }, data[100] = { 0 };
	struct th_ip6 ip = { .src = peer, .dst = ll, .nh = IP6_NH_FRAGMENT,
			     .ext = ext, .extlen = 8 };
	struct ipv6_hdr h;
	const uint8_t *m;
	size_t ml;

	th_input(&t, fb, th_ipv6(fb, TH_PEER_MAC, US, &ip, data, 100));
	answer_ns(&t, &peer, TH_PEER_MAC);
	cr_assert_eq(classify(th_pop(&t), &h, &m, &ml), K_PARAM);
	cr_expect_eq(m[1], ICMP6_PARAM_HEADER);
	cr_expect_eq(get32(m + 4), 4);
	th_fini(&t);
}

/* RFC 4861 7.1.1: a solicitation with a hop limit below 255 came through a
 * router: discarded, counted, unanswered */
Test(ipv6_io, nd_hop_limit_enforced)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), peer = th_a6(TH_LL);
	uint8_t ns[16];

	memcpy(ns, ll.v6, 16);
	th_input(&t, fb, th_icmp6(fb, TH_PEER_MAC, US, &peer, &ll, 254,
				  ND_NEIGHBOR_SOLICIT, 0, 0, ns, 16));
	cr_expect_eq(th_cnt(&t)->nd_rx_bad_hoplimit, 1);
	th_expect_silence(&t);
	th_fini(&t);
}

/* RFC 3810 6.2: a general query is answered within its delay */
Test(ipv6_io, mld_query_answered)
{
	struct th t;
	struct ip_addr rtr = th_a6(TH_RTR_LL), all = th_a6("ff02::1");
	static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t q[20] = { 0 };
	unsigned count[K_OTHER + 1] = { 0 };

	v6_up(&t);
	q[16] = 2;                      /* QRV */
	q[17] = 125;                    /* QQIC */
	th_input(&t, fb, th_icmp6(fb, TH_RTR_MAC, mc, &rtr, &all, 1,
				  ICMP6_MLD_QUERY, 0, 1000u << 16, q, 20));
	cr_expect_eq(th_cnt(&t)->mld_rx_query, 1);
	th_expect_silence(&t);
	th_tick(&t, SEC);
	drain(&t, count);
	cr_expect_eq(count[K_MLD2], 1, "one report within a second");
	cr_expect_eq(th_deadline(&t), STACK_NO_DEADLINE);
	th_fini(&t);
}

/* RFC 4861 8.1: a redirect is taken only from the router in use */
Test(ipv6_io, redirect_only_from_our_router)
{
	struct th t;
	struct ip_addr ll = v6_up(&t), rtr = th_a6(TH_RTR_LL);
	struct ip_addr other = th_a6("fe80::7"), dst = th_a6("2001:db8:99::1");
	struct ip_addr better = th_a6("fe80::9");
	uint8_t body[32];
	const struct route *r;

	th_input(&t, fb, make_ra(fb, 1800, 3600, 1800));
	memcpy(body, better.v6, 16);
	memcpy(body + 16, dst.v6, 16);
	th_input(&t, fb, th_icmp6(fb, TH_PEER_MAC, US, &other, &ll, 255,
				  ND_REDIRECT, 0, 0, body, 32));
	cr_expect_eq(th_cnt(&t)->nd_redirect_refused, 1);
	th_input(&t, fb, th_icmp6(fb, TH_RTR_MAC, US, &rtr, &ll, 255,
				  ND_REDIRECT, 0, 0, body, 32));
	r = route_find(t.s, &dst);
	cr_assert_not_null(r);
	cr_expect_eq(r->prefix, 128);
	cr_expect(ip_addr_eq(&r->gateway, &better));
	while (th_queued(&t))
		th_pop(&t);
	th_fini(&t);
}
