/* SPDX-License-Identifier: MIT */
/*
 * mdns.c - the multicast DNS responder for our host name (RFC 6762)
 *
 * Theory of operation. ustack answers NAME.local (cfg.hostname, as the
 * host's name by default) with its link addresses: A and AAAA records,
 * each unique to us. It holds no port: UDP shows it every datagram to
 * port 5353 before delivering it to whatever socket is bound there
 * (udp.c), so a program of ours may run its own mDNS service on the port
 * as on Linux, where the kernel answers nothing. Its one engine socket
 * never receives (no port); it holds the membership of 224.0.0.251 on the
 * link (an IGMP report, as Linux sends for that group) and sends our
 * messages from port 5353, TTL 255 (RFC 6762 11).
 *
 *   probing     once the link has an address (IPv4, IPv6 past DAD): three queries for
 *               NAME.local (type ANY, unicast-response bit) 250 ms apart,
 *               the first after 0..250 ms, our records in the authority
 *               section (8.1). A response from elsewhere with a record of
 *               the name is a conflict: the name becomes NAME-2, NAME-3...
 *               (9), probing starts again, at most MDNS_RENAMES times;
 *   announcing  two unsolicited responses, a second apart (8.3), records
 *               with the cache-flush bit and TTL 120;
 *   ready       queries answered at once (our records are unique, 6):
 *               from a port other than 5353, a one-shot query (6.7): a
 *               unicast reply to its port with its id and question, TTL
 *               10, no cache-flush bit; from 5353, a multicast response,
 *               or a unicast one to a query sent unicast or with the QU
 *               bit (5.4, 5.5).
 *
 * Later, a response from elsewhere giving our name an address we do not
 * have is a conflict too: the name is probed for again (9), and renamed
 * if the other host answers; an address added or removed is announced
 * again (8.4); the first address (a DHCP lease, DAD done) starts the probe.
 *
 * With IPv6 on, a second portless socket holds ff02::fb and speaks IPv6
 * (bound to the link, hop limit 255): probes and announcements go to both
 * groups, queries are answered in the family they came in, and the AAAA
 * records include the link-local address (RFC 6762 6.2: it is valid on
 * the link the answer stays on).
 *
 * Not done: simultaneous-probe tie-breaking (8.2), goodbye packets (10.1),
 * known-answer suppression (7.1). Every message refused is counted.
 */
#include "mdns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dgram.h"
#include "dns_stub.h"
#include "mcast.h"
#include "stack_impl.h"
#include "udp.h"

#define MDNS_GROUP IPV4(224, 0, 0, 251)
#define MDNS_PROBE_GAP (250 * NSEC_PER_MSEC)
#define MDNS_PROBES 3
#define MDNS_ANNOUNCES 2
#define MDNS_ANNOUNCE_GAP NSEC_PER_SEC
#define MDNS_RENAMES 9
#define MDNS_TTL 120
#define MDNS_LEGACY_TTL 10
#define MDNS_MSG 1500

#define DNS_HLEN 12
#define DNS_QR 0x8000u
#define DNS_AA 0x0400u
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_ANY 255
#define DNS_CLASS_IN 1
#define DNS_QU 0x8000u               /* question: unicast response wanted */

enum mdns_state { MDNS_OFF, MDNS_WAITING, MDNS_PROBING, MDNS_ANNOUNCING,
		  MDNS_READY };

struct mdns {
	struct udp_sock *us;         /* IPv4: 224.0.0.251 */
	struct udp_sock *us6;        /* IPv6: ff02::fb, when IPv6 is on */
	char name[64];               /* the name we hold, without .local */
	uint8_t state;               /* enum mdns_state */
	uint8_t step;                /* probes or announcements sent */
	uint8_t renames;
	struct timer timer;
	struct stack *s;
};

/**
 * mdns_name() - the name NAME.local answers to
 * @s: the engine
 *
 * Return: the responder's name (renamed after a conflict), else the
 * configured host name; "" for none
 */
const char *mdns_name(const struct stack *s)
{
	return s->mdns && s->mdns->state != MDNS_OFF ? s->mdns->name :
	       s->cfg.hostname;
}

/* ---- messages ------------------------------------------------------- */

/* The mDNS group of a family: 224.0.0.251, ff02::fb */
struct ip_addr mdns_group(uint8_t family)
{
	return family == IP_V6 ?
	       ip6((const uint8_t[16]){ 0xff, 0x02, [15] = 0xfb }) :
	       ip4(MDNS_GROUP);
}

/**
 * mdns_socket() - an engine UDP socket that speaks mDNS on the link
 * @s: the engine
 * @family: IP_V4 or IP_V6
 * @out: set to it
 *
 * What goes to a group leaves on the link (IP_MULTICAST_IF; an IPv6 one
 * is bound to the link, which a link-local peer needs too) with TTL or
 * hop limit 255 (RFC 6762 11), and no copy comes back to ourselves. The
 * responder's and the stub's sockets (dns_stub.c) are made here.
 *
 * Return: 0, or udp_open()'s error
 */
int mdns_socket(struct stack *s, uint8_t family, struct udp_sock **out)
{
	struct udp_sock *us;
	int rc = udp_open(s, family, &us);

	if (rc)
		return rc;
	if (family == IP_V4)
		mcast_set_if(udp_dgram(us), STACK_IF_LINK, 0);
	else
		udp_setsockopt(us, UDP_SO_BINDTOIFINDEX, STACK_IF_LINK);
	udp_dgram(us)->mc_ttl = 255;
	udp_dgram(us)->mc_loop = false;
	udp_dgram(us)->mc_hops6 = 255;
	udp_dgram(us)->mc_loop6 = false;
	*out = us;
	return 0;
}

/* An address of ours the responder can speak from and give: IPv4, or an
 * IPv6 one past DAD (link-local will do: mDNS stays on the link) */
static bool mdns_have_addr(struct stack *s)
{
	struct stack_ifaddr a[STACK_MAX_ADDRS + STACK_MAX_ADDRS6 + 2];
	unsigned k = stack_addr_list(s, s->now, a, sizeof(a) / sizeof(a[0]));

	for (unsigned i = 0; i < k && i < sizeof(a) / sizeof(a[0]); i++)
		if (a[i].ifindex == STACK_IF_LINK &&
		    (a[i].state == IFA6_PREFERRED || a[i].state == IFA6_DEPRECATED))
			return true;
	return false;
}

static int mdns_send(struct stack *s, const uint8_t *m, size_t len,
		     const struct ip_addr *dst, uint16_t dport)
{
	struct udp_sock *us = dst->family == IP_V6 ? s->mdns->us6 : s->mdns->us;
	int rc = us ? udp_sendto_port(us, MDNS_PORT, m, len, dst, dport) : -EAFNOSUPPORT;

	if (rc)
		CNT(s, mdns_tx_err);
	return rc;
}

/* A probe (a query with our records as proposals) or an announcement
 * (a response with all our records), multicast */
static void mdns_send_own(struct stack *s, bool probe)
{
	struct ip_addr g = ip4(MDNS_GROUP);
	uint8_t m[MDNS_MSG];
	unsigned n = 0;
	size_t o;

	memset(m, 0, DNS_HLEN);
	if (probe) {
		o = dns_put_name(m, DNS_HLEN, sizeof(m), s->mdns->name);
		if (!o)
			return;
		put16(m + 4, 1);
		put16(m + o, DNS_TYPE_ANY);
		put16(m + o + 2, DNS_CLASS_IN | DNS_QU);
		o += 4;
		o = dns_put_own(s, m, o, sizeof(m), DNS_TYPE_ANY, DNS_HLEN,
				MDNS_TTL, DNS_OWN_LINKLOCAL, &n);
		put16(m + 8, (uint16_t)n);
		CNT(s, mdns_tx_probe);
	} else {
		put16(m + 2, DNS_QR | DNS_AA);
		o = dns_put_own(s, m, DNS_HLEN, sizeof(m), DNS_TYPE_ANY, 0,
				MDNS_TTL, DNS_OWN_FLUSH | DNS_OWN_LINKLOCAL, &n);
		put16(m + 6, (uint16_t)n);
		CNT(s, mdns_tx_announce);
	}
	if (!n)
		return;
	if (s->nif.naddr)
		mdns_send(s, m, o, &g, MDNS_PORT);
	if (s->mdns->us6) {
		struct ip_addr g6 = mdns_group(IP_V6);

		mdns_send(s, m, o, &g6, MDNS_PORT);
	}
}

static void mdns_arm(struct stack *s, uint64_t delay)
{
	stack_arm(s, &s->mdns->timer, s->now + delay);
}

static void mdns_probe_start(struct stack *s)
{
	struct mdns *md = s->mdns;

	md->state = MDNS_PROBING;
	md->step = 0;
	mdns_arm(s, stack_random32(s) % MDNS_PROBE_GAP);
}

static void mdns_timer(struct timer *t, uint64_t now)
{
	struct mdns *md = container_of(t, struct mdns, timer);
	struct stack *s = md->s;

	s->now = now;
	switch (md->state) {
	case MDNS_WAITING:              /* mdns_addrs_changed() wakes it */
		return;
	case MDNS_PROBING:
		if (md->step < MDNS_PROBES) {
			mdns_send_own(s, true);
			md->step++;
			mdns_arm(s, MDNS_PROBE_GAP);
			return;
		}
		md->state = MDNS_ANNOUNCING;
		md->step = 0;
		/* fall through */
	case MDNS_ANNOUNCING:
		mdns_send_own(s, false);
		if (++md->step < MDNS_ANNOUNCES) {
			mdns_arm(s, MDNS_ANNOUNCE_GAP);
			return;
		}
		md->state = MDNS_READY;
		stack_log(s, STACK_LOG_INFO, "mdns: %s.local is ours", md->name);
		return;
	default:
		return;
	}
}

/* A response: does it claim our name (a conflict while we probe)? */
static void mdns_response(struct stack *s, const uint8_t *m, size_t len,
			  const struct ip_rx *rx)
{
	struct mdns *md = s->mdns;
	unsigned n = get16(m + 6) + get16(m + 8) + get16(m + 10);
	char want[80], name[256];
	int o = DNS_HLEN;

	for (unsigned i = get16(m + 4); i && o >= 0; i--) {
		o = dns_read_name(m, len, (size_t)o, name, sizeof(name));
		o = o < 0 || (size_t)o + 4 > len ? -1 : o + 4;
	}
	snprintf(want, sizeof(want), "%s.local", md->name);
	for (unsigned i = 0; i < n && o >= 0; i++) {
		uint16_t type, rdlen;
		const uint8_t *rd;

		o = dns_read_name(m, len, (size_t)o, name, sizeof(name));
		if (o < 0 || (size_t)o + 10 > len ||
		    (size_t)o + 10 + get16(m + o + 8) > len) {
			o = -1;
			break;
		}
		type = get16(m + o);
		rdlen = get16(m + o + 8);
		rd = m + o + 10;
		o += 10 + rdlen;
		if (strcasecmp(name, want) ||
		    (type != DNS_TYPE_A && type != DNS_TYPE_AAAA))
			continue;
		if (stack_addr_is_local(s, &rx->src))
			continue;           /* our own, looped back */
		/* once the name is ours, only a record that is not (an
		 * address we do not have) conflicts (RFC 6762 9): probe
		 * again under the same name, which renames if it goes on */
		if (md->state != MDNS_PROBING) {
			struct ip_addr a = rdlen == 4 && type == DNS_TYPE_A ?
				ip4(get32(rd)) : rdlen == 16 && type == DNS_TYPE_AAAA ?
				ip6(rd) : ip_any(IP_V4);

			if (ip_addr_is_any(&a) || stack_addr_is_local(s, &a))
				continue;
			CNT(s, mdns_conflicts);
			stack_log(s, STACK_LOG_WARN, "mdns: %s claims %s.local: probing again",
				  ip_ntop(&rx->src, name), md->name);
			mdns_probe_start(s);
			return;
		}
		CNT(s, mdns_conflicts);
		if (++md->renames > MDNS_RENAMES) {
			stack_log(s, STACK_LOG_ERR, "mdns: %s.local is taken; giving up after %u names",
				  md->name, MDNS_RENAMES);
			md->state = MDNS_OFF;
			stack_disarm(s, &md->timer);
			return;
		}
		snprintf(md->name, sizeof(md->name), "%.56s-%u",
			 s->cfg.hostname, md->renames + 1);
		stack_log(s, STACK_LOG_WARN, "mdns: %s answered for our name: probing for %s.local",
			  ip_ntop(&rx->src, name), md->name);
		mdns_probe_start(s);
		return;
	}
	if (o < 0)
		CNT(s, mdns_rx_malformed);
}

/*
 * RFC 6762 6.1: a question about our name for a type we have no record of
 * is answered with an NSEC record naming the types we have (RFC 4034
 * 4.1, one window), in the additional section, so that the asker stops
 * waiting; it points to the name at @name_off, or carries it in full.
 * Return: the offset past it (@o when it does not fit)
 */
static size_t mdns_put_nsec(struct stack *s, uint8_t *r, size_t o,
			    size_t room, uint16_t name_off, uint32_t ttl,
			    bool flush)
{
	uint8_t scratch[MDNS_MSG], bitmap[4] = { 0 };
	unsigned n4 = 0, n6 = 0;
	size_t e = o, blen;

	dns_put_own(s, scratch, 0, sizeof(scratch), DNS_TYPE_A, 1, 0,
		    DNS_OWN_LINKLOCAL, &n4);
	dns_put_own(s, scratch, 0, sizeof(scratch), DNS_TYPE_AAAA, 1, 0,
		    DNS_OWN_LINKLOCAL, &n6);
	if (n4)
		bitmap[0] |= 0x40;          /* type 1 */
	if (n6)
		bitmap[3] |= 0x08;          /* type 28 */
	blen = n6 ? 4 : 1;
	if (name_off) {
		if (e + 2 > room)
			return o;
		put16(r + e, (uint16_t)(0xc000 | name_off));
		e += 2;
	} else {
		e = dns_put_name(r, e, room, s->mdns->name);
		if (!e)
			return o;
		name_off = (uint16_t)o;
	}
	if (e + 10 + 2 + 2 + blen > room)
		return o;
	put16(r + e, 47);                   /* NSEC */
	put16(r + e + 2, (uint16_t)(DNS_CLASS_IN | (flush ? 0x8000 : 0)));
	put32(r + e + 4, ttl);
	put16(r + e + 8, (uint16_t)(2 + 2 + blen));
	put16(r + e + 10, (uint16_t)(0xc000 | name_off));  /* next: itself */
	r[e + 12] = 0;                      /* window 0 */
	r[e + 13] = (uint8_t)blen;
	memcpy(r + e + 14, bitmap, blen);
	put16(r + 10, (uint16_t)(get16(r + 10) + 1));
	return e + 14 + blen;
}

/* A query: the types of ours it asks for; an answer when it asks any */
static void mdns_query(struct stack *s, const uint8_t *m, size_t len,
		       const struct udp_meta *um, const struct ip_rx *rx)
{
	struct mdns *md = s->mdns;
	bool legacy = um->sport != MDNS_PORT, unicast = !rx->to_bcast;
	bool want_a = false, want_aaaa = false;
	char want[80], name[256];
	uint8_t r[MDNS_MSG];
	unsigned n = 0, nq = get16(m + 4);
	size_t o = DNS_HLEN, match = 0;
	uint16_t type;

	snprintf(want, sizeof(want), "%s.local", md->name);
	for (unsigned i = 0; i < nq; i++) {
		int e = dns_read_name(m, len, o, name, sizeof(name));
		uint16_t qtype, cls;

		if (e < 0 || (size_t)e + 4 > len) {
			CNT(s, mdns_rx_malformed);
			return;
		}
		qtype = get16(m + e);
		cls = get16(m + e + 2);
		if (!strcasecmp(name, want) && (cls & 0x7fff) == DNS_CLASS_IN) {
			if (!match)
				match = o;
			if (cls & DNS_QU)
				unicast = true;
			want_a |= qtype == DNS_TYPE_A || qtype == DNS_TYPE_ANY;
			want_aaaa |= qtype == DNS_TYPE_AAAA || qtype == DNS_TYPE_ANY;
		}
		o = (size_t)e + 4;
	}
	/* the name is ours once probed: announcing it again (an address
	 * changed) is no reason to keep quiet */
	if ((!want_a && !want_aaaa) ||
	    (md->state != MDNS_READY && md->state != MDNS_ANNOUNCING))
		return;
	CNT(s, mdns_rx_ours);
	type = want_a && want_aaaa ? DNS_TYPE_ANY :
	       want_a ? DNS_TYPE_A : DNS_TYPE_AAAA;
	if (legacy) {
		/* 6.7: id and questions repeated, a short TTL, no flag; the
		 * records name the question that asked */
		if (o > sizeof(r) / 2)
			return;
		memcpy(r, m, o);
		put16(r + 2, DNS_QR | DNS_AA);
		put16(r + 8, 0);
		put16(r + 10, 0);
		o = dns_put_own(s, r, o, sizeof(r), type, (uint16_t)match,
				MDNS_LEGACY_TTL, DNS_OWN_LINKLOCAL, &n);
	} else {
		memset(r, 0, DNS_HLEN);
		put16(r + 2, DNS_QR | DNS_AA);
		if (unicast)
			put16(r, get16(m));     /* 18.1: echoed to a unicast query */
		o = dns_put_own(s, r, DNS_HLEN, sizeof(r), type, 0, MDNS_TTL,
				DNS_OWN_FLUSH | DNS_OWN_LINKLOCAL, &n);
	}
	put16(r + 6, (uint16_t)n);
	if (!n)             /* no address of the type asked: say so */
		o = mdns_put_nsec(s, r, o, sizeof(r), legacy ? (uint16_t)match : 0,
				  legacy ? MDNS_LEGACY_TTL : MDNS_TTL, !legacy);
	CNT(s, mdns_tx_answer);
	if (legacy || unicast) {
		mdns_send(s, r, o, &um->src, um->sport);
	} else {
		struct ip_addr g = mdns_group(um->src.family);

		mdns_send(s, r, o, &g, MDNS_PORT);
	}
}

/**
 * mdns_input() - a datagram to port 5353, shown to the responder first
 * @s: the engine
 * @m: its payload (not consumed: UDP delivers it after)
 * @len: its length
 * @um: its addresses and ports
 * @rx: what the network layer learned
 *
 * Return: true if it was an mDNS message for us to read (then, with no
 * socket on the port, no port unreachable goes back)
 */
bool mdns_input(struct stack *s, const uint8_t *m, size_t len,
		const struct udp_meta *um, const struct ip_rx *rx)
{
	struct mdns *md = s->mdns;

	if (!md || md->state == MDNS_OFF || md->state == MDNS_WAITING ||
	    (um->src.family == IP_V6 && !md->us6))
		return false;
	if (stack_addr_is_local(s, &um->src) && um->sport == MDNS_PORT)
		return true;                /* our own, looped back */
	CNT(s, mdns_rx);
	if (len < DNS_HLEN) {
		CNT(s, mdns_rx_malformed);
		return true;
	}
	/* 18.3, 18.11: standard queries and responses only, rcode 0 */
	if ((get16(m + 2) & 0x780f) != 0) {
		CNT(s, mdns_rx_ignored);
		return true;
	}
	if (get16(m + 2) & DNS_QR)
		mdns_response(s, m, len, rx);
	else
		mdns_query(s, m, len, um, rx);
	return true;
}

/**
 * mdns_addrs_changed() - the link's addresses changed
 * @s: the engine
 *
 * The first address (a DHCP lease, an IPv6 one past DAD) starts the probe;
 * a change once the name is ours is announced (RFC 6762 8.4); with no
 * address left the responder waits, silent, for the next one.
 */
void mdns_addrs_changed(struct stack *s)
{
	struct mdns *md = s->mdns;

	if (!md || md->state == MDNS_OFF)
		return;
	if (!mdns_have_addr(s)) {
		md->state = MDNS_WAITING;
		stack_disarm(s, &md->timer);
	} else if (md->state == MDNS_WAITING) {
		mdns_probe_start(s);
	} else if (md->state == MDNS_READY) {
		md->state = MDNS_ANNOUNCING;
		md->step = 0;
		mdns_arm(s, 0);
	}
}

/**
 * mdns_start() - join 224.0.0.251 and probe for our name
 * @s: the engine
 *
 * Nothing without a host name or with cfg.mdns off; with no address yet
 * (DHCP, DAD), probing waits for one (mdns_addrs_changed()).
 */
void mdns_start(struct stack *s)
{
	struct mdns *md = s->mdns;
	struct ip_addr g = mdns_group(IP_V4);

	if (!md || !s->cfg.mdns || !s->cfg.hostname[0] || md->us)
		return;
	if (mdns_socket(s, IP_V4, &md->us))
		return;
	udp_dgram(md->us)->ttl = 255;       /* unicast answers too (11) */
	if (mcast_join(udp_dgram(md->us), &g, STACK_IF_LINK, s->now)) {
		stack_log(s, STACK_LOG_WARN, "mdns: cannot join 224.0.0.251; no responder");
		return;
	}
	snprintf(md->name, sizeof(md->name), "%s", s->cfg.hostname);
	if (s->nif.in6.enabled && mdns_socket(s, IP_V6, &md->us6) == 0) {
		struct ip_addr g6 = mdns_group(IP_V6);

		udp_dgram(md->us6)->hops6 = 255;
		if (mcast_join(udp_dgram(md->us6), &g6, STACK_IF_LINK, s->now)) {
			udp_close(md->us6);
			md->us6 = NULL;
		}
	}
	if (mdns_have_addr(s)) {
		mdns_probe_start(s);
		return;
	}
	md->state = MDNS_WAITING;
}

/* What the responder holds off (no name), for the fuzzer's accounting */
size_t mdns_size(void)
{
	return sizeof(struct mdns);
}

int mdns_init(struct stack *s)
{
	struct mdns *md = calloc(1, sizeof(*md));

	if (!md)
		return -ENOMEM;
	md->s = s;
	timer_init(&md->timer, mdns_timer);
	s->mdns = md;
	return 0;
}

void mdns_fini(struct stack *s)
{
	struct mdns *md = s->mdns;

	if (!md)
		return;
	stack_disarm(s, &md->timer);
	if (md->us)
		udp_close(md->us);
	if (md->us6)
		udp_close(md->us6);
	free(md);
	s->mdns = NULL;
}
