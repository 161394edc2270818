/* SPDX-License-Identifier: MIT */
/*
 * dns_stub.c - the DNS stub: programs' name look-ups through the DNS
 * servers ustack learned, and .local names through multicast DNS
 *
 * Theory of operation. A program under ustack-run resolves names with
 * its own resolver (glibc's, Go's, c-ares...), which reads the
 * nameservers from /etc/resolv.conf: the host's, which may name nothing
 * reachable from ustack's link (127.0.0.53, a server of another
 * network). ustack learns its link's servers from DHCP (option 6), router
 * advertisements (RDNSS) and the configuration (dns = ADDR). The stub
 * joins the two without touching any file: the host tells the engine
 * which addresses resolv.conf names (stack_dns_steer()), and a UDP
 * datagram a program's socket sends to port 53 of one of them is not sent
 * at all: udp.c hands it here (dns_stub_steers(), dns_stub_query()). The
 * stub asks, with an id of its own, the link's servers in turn (the server
 * the program named if they are gone meanwhile); the answer comes
 * back to the program's socket from the address and port it asked
 * (udp_deliver()), so connected sockets and resolvers that check the
 * source (all of them) take it. With no server known (none configured or
 * learned), only .local questions are the stub's: the rest go where the
 * program sends them, as without a stub. A TCP connect to port 53 of a steered
 * address goes to the first server of the link instead (DNS over TCP has
 * nothing to rewrite), or where it was sent when there is none.
 *
 * A name under .local is not for unicast DNS (RFC 6762 3): our own
 * host name is answered here from our addresses; any other goes as a
 * one-shot multicast DNS query (RFC 6762 5.1, from an ephemeral port) to
 * 224.0.0.251 (ff02::fb without IPv4), whose responders answer it with a
 * conventional unicast reply (6.7). No answer in MDNS_WAIT: NXDOMAIN, so
 * that a type nobody has (getent asks AAAA first) fails well under a
 * second.
 *
 * State is bounded: DNS_STUB_PENDING queries in flight (one more is
 * answered SERVFAIL at once, counted); each is retried upstream every
 * DNS_TRY (a second) DNS_TRIES times in all, over the servers in turn,
 * then answered SERVFAIL; an ICMP unreachable quoting a try (the upstream
 * sockets have IP_RECVERR) makes the next try go at once. An answer is taken only from the server the try
 * went to (for mDNS: from port 5353), with our id and the same question.
 * The upstream sockets are the engine's own UDP sockets, read from the
 * stub's timer (armed at once when one becomes readable), never from
 * inside the receive path.
 */
#include "dns_stub.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dgram.h"
#include "mdns.h"
#include "stack_impl.h"
#include "udp.h"

#define DNS_HLEN 12
#define DNS_TRY (1000 * NSEC_PER_MSEC)
#define DNS_TRIES 3
#define MDNS_WAIT (200 * NSEC_PER_MSEC)
#define MDNS_TRIES 2
#define DNS_LOCAL_TTL 10            /* RFC 6762 6.7: at most 10 s */

#define DNS_QR 0x8000u
#define DNS_RA 0x0080u
#define DNS_QUERY_KEEP 0x7900u       /* opcode and RD, echoed */
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_ANY 255
#define DNS_CLASS_IN 1

struct stub_q {
	uint8_t *msg;                /* the program's query; NULL: slot free */
	uint16_t len, qend;          /* its length, the end of its question */
	uint16_t id;                 /* the program's id */
	uint16_t id_up;              /* the id the try carries */
	bool mdns;
	uint8_t tries;
	uint8_t next;                /* the server the next try goes to */
	struct ip_addr client;       /* where the answer goes ... */
	uint16_t cport;
	struct ip_addr asked;        /* ... and where it comes from */
	struct ip_addr upstream;     /* where the last try went */
	uint64_t deadline;
};

struct dns_stub {
	struct ip_addr steer[DNS_STUB_STEER_MAX];
	unsigned nsteer;
	struct udp_sock *up[2];      /* [0] IPv4, [1] IPv6: opened when needed */
	struct timer timer;
	bool readable;
	struct stub_q q[DNS_STUB_PENDING];
	struct stack *s;
};

/* ---- wire format ---------------------------------------------------- */

/* Walk the name at @o; Return: the offset past it, or -1 */
static int dns_skip_name(const uint8_t *m, size_t len, size_t o)
{
	while (o < len) {
		uint8_t l = m[o];

		if ((l & 0xc0) == 0xc0)
			return o + 2 <= len ? (int)(o + 2) : -1;
		if (l & 0xc0)
			return -1;
		o += 1u + l;
		if (!l)
			return (int)o;
	}
	return -1;
}

/**
 * dns_read_name() - a name, compression pointers followed
 * @m: the message
 * @len: its length
 * @o: where the name starts
 * @out: set to it dotted, without the final dot ("" for the root)
 * @outlen: room in @out
 *
 * Return: the offset past the name where it starts (before any pointer it
 * took), or -1 (runs past the end, a loop of pointers, too long)
 */
int dns_read_name(const uint8_t *m, size_t len, size_t o, char *out,
		  size_t outlen)
{
	size_t n = 0;
	int end = -1;

	for (unsigned jumps = 0; o < len; ) {
		uint8_t l = m[o];

		if ((l & 0xc0) == 0xc0) {
			if (o + 2 > len || ++jumps > 16)
				return -1;
			if (end < 0)
				end = (int)(o + 2);
			o = ((size_t)(l & 0x3f) << 8) | m[o + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (!l) {
			out[n ? n - 1 : 0] = '\0';
			return end >= 0 ? end : (int)(o + 1);
		}
		if (o + 1 + l > len || n + l + 1 >= outlen)
			return -1;
		memcpy(out + n, m + o + 1, l);
		n += l;
		out[n++] = '.';
		o += 1u + l;
	}
	return -1;
}

/**
 * dns_put_name() - HOST.local, in full
 * @m: the message
 * @o: where it goes
 * @room: the message's room
 * @host: the name without .local (dotted labels)
 *
 * Return: the offset past it, or 0 when it does not fit or a label is
 * longer than 63 bytes
 */
size_t dns_put_name(uint8_t *m, size_t o, size_t room, const char *host)
{
	char buf[80];
	char *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s.local", host);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		size_t l = strlen(tok);

		if (l > 63 || o + 1 + l + 1 > room)
			return 0;
		m[o] = (uint8_t)l;
		memcpy(m + o + 1, tok, l);
		o += 1 + l;
	}
	m[o++] = 0;
	return o;
}

/**
 * dns_put_own() - our link addresses as A and AAAA records
 * @s: the engine
 * @m: the message
 * @o: where the records go
 * @room: the message's room
 * @type: A, AAAA or ANY (both)
 * @name_off: the offset of the name the records point to; 0: the first
 *            record carries mdns_name(s).local in full, the others point
 *            to it
 * @ttl: their TTL
 * @flags: DNS_OWN_FLUSH: mDNS's cache-flush bit in their class (RFC 6762
 *         10.2); DNS_OWN_LINKLOCAL: IPv6 link-local addresses too (mDNS,
 *         which stays on the link; not to a program: an answer carries no
 *         zone, and fe80:: is no use without one)
 * @count: increased by the records written
 *
 * Addresses still tentative are not given. Records that do not fit are
 * left out.
 *
 * Return: the offset past the records
 */
size_t dns_put_own(struct stack *s, uint8_t *m, size_t o, size_t room,
		   uint16_t type, uint16_t name_off, uint32_t ttl, unsigned flags,
		   unsigned *count)
{
	struct stack_ifaddr a[STACK_MAX_ADDRS + STACK_MAX_ADDRS6 + 2];
	unsigned k = stack_addr_list(s, s->now, a, sizeof(a) / sizeof(a[0]));

	for (unsigned i = 0; i < k && i < sizeof(a) / sizeof(a[0]); i++) {
		bool v4 = a[i].addr.family == IP_V4;
		size_t rdlen = v4 ? 4 : 16, e = o;

		if (a[i].ifindex != STACK_IF_LINK ||
		    (a[i].state != IFA6_PREFERRED &&
		     a[i].state != IFA6_DEPRECATED) ||
		    (!v4 && ip_addr_is_linklocal(&a[i].addr) &&
		     !(flags & DNS_OWN_LINKLOCAL)))
			continue;
		if (type != DNS_TYPE_ANY && type != (v4 ? DNS_TYPE_A : DNS_TYPE_AAAA))
			continue;
		if (name_off) {
			if (e + 2 > room)
				break;
			put16(m + e, (uint16_t)(0xc000 | name_off));
			e += 2;
		} else {
			e = dns_put_name(m, e, room, mdns_name(s));
			if (!e)
				break;
		}
		if (e + 10 + rdlen > room)
			break;
		if (!name_off)
			name_off = (uint16_t)o;
		put16(m + e, v4 ? DNS_TYPE_A : DNS_TYPE_AAAA);
		put16(m + e + 2, (uint16_t)(DNS_CLASS_IN |
					    (flags & DNS_OWN_FLUSH ? 0x8000 : 0)));
		put32(m + e + 4, ttl);
		put16(m + e + 8, (uint16_t)rdlen);
		if (v4)
			put32(m + e + 10, a[i].addr.v4);
		else
			memcpy(m + e + 10, a[i].addr.v6, 16);
		o = e + 10 + rdlen;
		(*count)++;
	}
	return o;
}

/**
 * dns_question_end() - where the only question of a message ends
 * @m: the message
 * @len: its length
 *
 * Return: the offset past the question's type and class, or -1 (shorter
 * than a header, not exactly one question, the name runs past the end)
 */
int dns_question_end(const uint8_t *m, size_t len)
{
	int o;

	if (len < DNS_HLEN || get16(m + 4) != 1)
		return -1;
	o = dns_skip_name(m, len, DNS_HLEN);
	if (o < 0 || (size_t)o + 4 > len)
		return -1;
	return o + 4;
}

/**
 * dns_name_is_local() - is the question's name under .local
 * @m: the message (dns_question_end() accepted it)
 * @len: its length
 * @host: set to the name without ".local", dotted, lower case
 * @hostlen: room in @host
 *
 * Return: true if its last label is "local" (any case) and one comes
 * before it
 */
bool dns_name_is_local(const uint8_t *m, size_t len, char *host,
		       size_t hostlen)
{
	size_t n;

	if (dns_read_name(m, len, DNS_HLEN, host, hostlen) < 0)
		return false;
	n = strlen(host);
	for (size_t i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	if (n < 7 || strcmp(host + n - 6, ".local"))
		return false;
	host[n - 6] = '\0';
	return true;
}

/* The question of @a equals @q's, names compared without case */
static bool dns_same_question(const uint8_t *a, size_t alen,
			      const uint8_t *q, size_t qend)
{
	if (alen < qend || get16(a + 4) != 1)
		return false;
	for (size_t i = DNS_HLEN; i < qend; i++)
		if (tolower(a[i]) != tolower(q[i]))
			return false;
	return true;
}

/* RFC 6762 10.2: the class's top bit of an answer from mDNS is the
 * cache-flush flag, which unicast DNS has no meaning for: cleared in every
 * record. Return: false if a record runs past the end */
static bool dns_clear_cache_flush(uint8_t *m, size_t len, size_t o)
{
	unsigned n = get16(m + 6) + get16(m + 8) + get16(m + 10);

	for (unsigned i = 0; i < n; i++) {
		int e = dns_skip_name(m, len, o);

		if (e < 0 || (size_t)e + 10 > len)
			return false;
		o = (size_t)e;
		if (get16(m + o) != 41)     /* OPT's class is a size */
			m[o + 2] &= 0x7f;
		o += 10u + get16(m + o + 8);
		if (o > len)
			return false;
	}
	return true;
}

/* ---- the stub ------------------------------------------------------- */

static void stub_free_q(struct stub_q *q)
{
	free(q->msg);
	q->msg = NULL;
}

/* The servers to ask: configured, then learned (RA, DHCP); none: 0 */
static unsigned stub_servers(const struct stack *s, struct ip_addr *out,
			     unsigned max)
{
	struct stack_dns d[16];
	unsigned n = 0, k = stack_dns_list(s, s->now, d, 16);

	for (unsigned i = 0; i < k && i < 16 && n < max; i++) {
		struct ip_addr a = ip6(d[i].addr);

		if (d[i].search)
			continue;
		out[n++] = ip_addr_is_v4mapped(&a) ? ip_unmap(&a) : a;
	}
	return n;
}

static void stub_event(struct dgram *dg, unsigned events)
{
	struct dns_stub *st = dg->s->stub;

	if (events & (DGRAM_EV_READABLE | DGRAM_EV_ERROR)) {
		st->readable = true;
		stack_arm(dg->s, &st->timer, dg->s->now);
	}
}

static struct udp_sock *stub_socket(struct stack *s, uint8_t family)
{
	struct dns_stub *st = s->stub;
	unsigned k = family == IP_V6;
	struct udp_sock *us;

	if (st->up[k])
		return st->up[k];
	/* the one-shot mDNS queries go to the link's group as the
	 * responder's do; bound to the link, an IPv6 socket can also ask a
	 * router advertisement's RDNSS, often its link-local address */
	if (mdns_socket(s, family, &us))
		return NULL;
	udp_dgram(us)->own = stub_event;
	/* a server that is not there says so (port or host unreachable):
	 * the next one is asked at once, as a resolver whose connected
	 * socket gets ECONNREFUSED does */
	dgram_setopt(udp_dgram(us), DGRAM_IP_RECVERR, 1);
	if (family == IP_V6)
		dgram_setopt(udp_dgram(us), DGRAM_IP6_RECVERR, 1);
	st->up[k] = us;
	return us;
}

/* Send @q's next try. Return: 0, or -1 when no try could be sent */
static int stub_try(struct stack *s, struct stub_q *q)
{
	struct ip_addr srv[12];
	unsigned n;

	if (q->mdns) {
		struct ip_addr g = mdns_group(s->nif.naddr ? IP_V4 : IP_V6);
		struct udp_sock *us = stub_socket(s, g.family);

		if (!us)
			return -1;
		put16(q->msg, q->id_up);
		if (udp_sendto(us, q->msg, q->len, &g, MDNS_PORT, s->now)) {
			CNT(s, dns_tx_err);
			return -1;
		}
		q->tries++;
		q->upstream = g;
		q->deadline = s->now + MDNS_WAIT;
		return 0;
	}
	n = stub_servers(s, srv, sizeof(srv) / sizeof(srv[0]));
	if (!n) {
		srv[0] = q->asked;
		n = 1;
	}
	/* the next server; one whose send fails is passed over */
	for (unsigned k = 0; k < n; k++) {
		struct ip_addr dst = srv[q->next++ % n];
		struct udp_sock *us = stub_socket(s, dst.family);

		if (!us)
			continue;
		put16(q->msg, q->id_up);
		dgram_take_error(udp_dgram(us));   /* another try's, read later */
		if (udp_sendto(us, q->msg, q->len, &dst, DNS_PORT, s->now)) {
			CNT(s, dns_tx_err);
			continue;
		}
		q->tries++;
		q->upstream = dst;
		q->deadline = s->now + DNS_TRY;
		return 0;
	}
	return -1;
}

static void stub_deliver(struct stack *s, const struct stub_q *q,
			 uint8_t *m, size_t len)
{
	put16(m, q->id);
	if (udp_deliver(s, m, len, &q->asked, DNS_PORT, &q->client, q->cport))
		CNT(s, dns_no_socket);
}

/* An answer of our own: @rcode, and the addresses of @host for the
 * question's type when @own */
static void stub_answer(struct stack *s, const struct stub_q *q,
			unsigned rcode, bool own)
{
	uint8_t m[DNS_STUB_MSG_MAX + 64 * 28];
	size_t o = q->qend;
	unsigned n = 0;

	memcpy(m, q->msg, q->qend);
	put16(m + 2, (uint16_t)(DNS_QR | (get16(q->msg + 2) & DNS_QUERY_KEEP) |
				DNS_RA | rcode));
	put16(m + 8, 0);
	put16(m + 10, 0);
	if (own)
		o = dns_put_own(s, m, o, sizeof(m), get16(q->msg + q->qend - 4),
				DNS_HLEN, DNS_LOCAL_TTL, 0, &n);
	put16(m + 6, (uint16_t)n);
	stub_deliver(s, q, m, o);
}

/* No answer will come: NXDOMAIN for a .local name (nobody answered),
 * SERVFAIL otherwise; the slot is free after */
static void stub_give_up(struct stack *s, struct stub_q *q)
{
	if (q->mdns) {
		CNT(s, dns_nxdomain);
		stub_answer(s, q, DNS_RCODE_NXDOMAIN, false);
	} else {
		CNT(s, dns_servfail);
		stub_answer(s, q, DNS_RCODE_SERVFAIL, false);
	}
	stub_free_q(q);
}

static void stub_rearm(struct stack *s)
{
	struct dns_stub *st = s->stub;
	uint64_t next = TIMER_NEVER;

	for (unsigned i = 0; i < DNS_STUB_PENDING; i++)
		if (st->q[i].msg && st->q[i].deadline < next)
			next = st->q[i].deadline;
	if (st->readable)
		next = s->now;
	if (next == TIMER_NEVER)
		stack_disarm(s, &st->timer);
	else
		stack_arm(s, &st->timer, next);
}

/* A datagram on an upstream socket: the answer to a try in flight? */
static void stub_reply(struct stack *s, uint8_t *m, size_t len,
		       const struct udp_meta *um)
{
	struct dns_stub *st = s->stub;

	if (len < DNS_HLEN || !(get16(m + 2) & DNS_QR)) {
		CNT(s, dns_malformed);
		return;
	}
	for (unsigned i = 0; i < DNS_STUB_PENDING; i++) {
		struct stub_q *q = &st->q[i];

		if (!q->msg || q->id_up != get16(m))
			continue;
		if (q->mdns ? um->sport != MDNS_PORT :
		    um->sport != DNS_PORT || !ip_addr_eq(&um->src, &q->upstream))
			continue;
		if (!dns_same_question(m, len, q->msg, q->qend))
			continue;
		if (q->mdns && !dns_clear_cache_flush(m, len, q->qend)) {
			CNT(s, dns_malformed);
			return;
		}
		if (q->mdns)
			CNT(s, dns_mdns_answered);
		else
			CNT(s, dns_answered);
		stub_deliver(s, q, m, len);
		stub_free_q(q);
		return;
	}
	CNT(s, dns_rx_unmatched);
}

/* An ICMP error quoting a try (its id first in what it quotes): that
 * server is not answering; the next try goes now */
static void stub_unreachable(struct stack *s, const uint8_t *quote,
			     size_t len, const struct dgram_ee *ee)
{
	struct dns_stub *st = s->stub;

	if (len < 2 || (ee->origin != DGRAM_EE_ICMP && ee->origin != DGRAM_EE_ICMP6))
		return;
	for (unsigned i = 0; i < DNS_STUB_PENDING; i++) {
		struct stub_q *q = &st->q[i];

		if (!q->msg || q->mdns || q->id_up != get16(quote) ||
		    !ip_addr_eq(&q->upstream, &ee->addr))
			continue;
		CNT(s, dns_unreachable);
		q->deadline = s->now;       /* stub_timer() moves on */
		return;
	}
}

static void stub_timer(struct timer *t, uint64_t now)
{
	struct dns_stub *st = container_of(t, struct dns_stub, timer);
	struct stack *s = st->s;

	s->now = now;
	if (st->readable) {
		st->readable = false;
		for (unsigned k = 0; k < 2; k++) {
			struct udp_meta um;
			const uint8_t *p;
			struct dgram_info in;
			struct dgram_ee ee;
			size_t qlen;

			while (st->up[k] && (p = udp_recv_peek(st->up[k], &um))) {
				stub_reply(s, (uint8_t *)p, um.len, &um);
				udp_recv_next(st->up[k]);
			}
			while (st->up[k] &&
			       (p = dgram_errq_peek(udp_dgram(st->up[k]), &in,
						    &ee, &qlen))) {
				stub_unreachable(s, p, qlen, &ee);
				dgram_errq_next(udp_dgram(st->up[k]));
			}
			if (st->up[k])
				dgram_take_error(udp_dgram(st->up[k]));
		}
	}
	for (unsigned i = 0; i < DNS_STUB_PENDING; i++) {
		struct stub_q *q = &st->q[i];

		if (!q->msg || q->deadline > now)
			continue;
		if (q->tries < (q->mdns ? MDNS_TRIES : DNS_TRIES)) {
			if (q->mdns)
				q->id_up = (uint16_t)stack_random32(s);
			CNT(s, dns_retrans);
			if (stub_try(s, q) == 0)
				continue;
		}
		stub_give_up(s, q);
	}
	stub_rearm(s);
}

/**
 * dns_stub_steers() - is a datagram for the stub rather than the network
 * @s: the engine
 * @us: the socket that sends it
 * @dst: its destination, as the engine keeps it
 * @dport: its destination port
 * @buf: the datagram, or NULL for a connect() (which it may then be)
 * @len: its length
 *
 * Return: true for port 53 of an address stack_dns_steer() named, sent
 * by a program's socket, when the link has a DNS server to ask or the
 * question is about a .local name. With no server known, any other query
 * goes where the program sends it, as without the stub (a server that
 * does not answer then fails as fast as it would).
 */
bool dns_stub_steers(const struct stack *s, const struct udp_sock *us,
		     const struct ip_addr *dst, uint16_t dport,
		     const void *buf, size_t len)
{
	const struct dns_stub *st = s->stub;
	struct ip_addr srv;
	bool named = false;
	char host[256];
	int qend;

	if (dport != DNS_PORT || !st || !st->nsteer || !s->cfg.dns_stub ||
	    (us && (us == st->up[0] || us == st->up[1])))
		return false;
	for (unsigned i = 0; i < st->nsteer && !named; i++)
		named = ip_addr_eq(&st->steer[i], dst);
	/* a server (configured or learned) to ask? */
	if (!named || !buf || stub_servers(s, &srv, 1))
		return named;
	qend = dns_question_end(buf, len);
	return qend > 0 && dns_name_is_local(buf, (size_t)qend, host,
					     sizeof(host));
}

/**
 * dns_stub_tcp_target() - where a program's TCP connect to a steered
 * nameserver goes
 * @s: the engine
 * @addr: the address it connects to (an AF_INET6 socket's may be
 *        v4-mapped)
 * @port: the port
 * @to: set to the first DNS server of the link of the same family, in
 *      the form of @addr
 *
 * DNS over TCP (a truncated answer's retry, dig +tcp) carries its own ids
 * and needs no stub: the connection is simply made to the server the stub
 * would ask, and getpeername() shows that server.
 *
 * Return: true if @to is to be used instead of @addr
 */
bool dns_stub_tcp_target(struct stack *s, const struct ip_addr *addr,
			 uint16_t port, struct ip_addr *to)
{
	struct ip_addr a = ip_addr_is_v4mapped(addr) ? ip_unmap(addr) : *addr;
	struct ip_addr srv[12];
	unsigned n;

	if (!dns_stub_steers(s, NULL, &a, port, NULL, 0))
		return false;
	n = stub_servers(s, srv, sizeof(srv) / sizeof(srv[0]));
	for (unsigned i = 0; i < n; i++) {
		if (srv[i].family != a.family)
			continue;
		*to = ip_addr_is_v4mapped(addr) ? ip_map(&srv[i]) : srv[i];
		CNT(s, dns_tcp_redirected);
		return true;
	}
	return false;
}

/**
 * dns_stub_query() - a program's query, steered to the stub
 * @s: the engine
 * @buf: the datagram's payload
 * @len: its length
 * @client: the address the program's socket sends from
 * @cport: its port
 * @server: the nameserver it was sent to (port 53)
 *
 * The answer comes later, to @client:@cport from @server:53. Malformed
 * queries get FORMERR when they have an id to answer, else nothing.
 *
 * Return: 0 (the datagram is taken, as a send that went out)
 */
int dns_stub_query(struct stack *s, const void *buf, size_t len,
		   const struct ip_addr *client, uint16_t cport,
		   const struct ip_addr *server)
{
	struct dns_stub *st = s->stub;
	struct stub_q *q = NULL, tmp;
	char host[256];
	int qend;

	CNT(s, dns_queries);
	if (len < DNS_HLEN || (get16((const uint8_t *)buf + 2) & DNS_QR)) {
		CNT(s, dns_malformed);
		return 0;
	}
	for (unsigned i = 0; i < DNS_STUB_PENDING; i++)
		if (!st->q[i].msg) {
			q = &st->q[i];
			break;
		}
	qend = dns_question_end(buf, len);
	memset(&tmp, 0, sizeof(tmp));
	if (!q || qend < 0 || len > DNS_STUB_MSG_MAX)
		q = &tmp;
	q->msg = malloc(len);
	if (!q->msg) {
		CNT(s, dns_malformed);
		return 0;
	}
	memcpy(q->msg, buf, len);
	q->len = (uint16_t)len;
	q->qend = qend < 0 ? DNS_HLEN : (uint16_t)qend;
	q->id = get16(buf);
	q->client = *client;
	q->cport = cport;
	q->asked = *server;
	q->tries = 0;
	q->next = 0;
	q->mdns = false;
	if (q == &tmp) {
		if (qend < 0 || len > DNS_STUB_MSG_MAX) {
			CNT(s, dns_formerr);
			put16(q->msg + 4, 0);
			q->qend = DNS_HLEN;
			stub_answer(s, q, DNS_RCODE_FORMERR, false);
		} else {
			CNT(s, dns_full);
			stub_answer(s, q, DNS_RCODE_SERVFAIL, false);
		}
		stub_free_q(q);
		return 0;
	}
	if (dns_name_is_local(q->msg, q->qend, host, sizeof(host))) {
		if (*mdns_name(s) && !strcasecmp(host, mdns_name(s))) {
			CNT(s, dns_local);
			stub_answer(s, q, 0, true);
			stub_free_q(q);
			return 0;
		}
		q->mdns = true;
	}
	q->id_up = (uint16_t)stack_random32(s);
	if (stub_try(s, q)) {
		stub_give_up(s, q);
	}
	stub_rearm(s);
	return 0;
}

/**
 * stack_dns_steered() - the nameservers the stub answers for
 * @s: the engine
 * @out: filled with up to @max of them
 * @max: room in @out
 *
 * Return: how many (none while dns-stub is off)
 */
unsigned stack_dns_steered(const struct stack *s, struct ip_addr *out,
			   unsigned max)
{
	const struct dns_stub *st = s->stub;
	unsigned n = 0;

	if (!st || !s->cfg.dns_stub)
		return 0;
	for (unsigned i = 0; i < st->nsteer && n < max; i++)
		out[n++] = st->steer[i];
	return n;
}

/**
 * stack_dns_steer() - the nameservers programs are configured with
 * @s: the engine
 * @addrs: their addresses (IPv4-mapped IPv6 ones are taken as IPv4)
 * @n: how many; the first DNS_STUB_STEER_MAX are kept
 *
 * Replaces the set given before; an empty one steers nothing.
 */
void stack_dns_steer(struct stack *s, const struct ip_addr *addrs, unsigned n)
{
	struct dns_stub *st = s->stub;

	st->nsteer = 0;
	for (unsigned i = 0; i < n && st->nsteer < DNS_STUB_STEER_MAX; i++)
		st->steer[st->nsteer++] = ip_addr_is_v4mapped(&addrs[i]) ?
					  ip_unmap(&addrs[i]) : addrs[i];
}

/* What the stub holds at rest, for the fuzzer's heap accounting */
size_t dns_stub_size(void)
{
	return sizeof(struct dns_stub);
}

int dns_stub_init(struct stack *s)
{
	struct dns_stub *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->s = s;
	timer_init(&st->timer, stub_timer);
	s->stub = st;
	return 0;
}

void dns_stub_fini(struct stack *s)
{
	struct dns_stub *st = s->stub;

	if (!st)
		return;
	stack_disarm(s, &st->timer);
	for (unsigned i = 0; i < DNS_STUB_PENDING; i++)
		stub_free_q(&st->q[i]);
	for (unsigned k = 0; k < 2; k++)
		if (st->up[k])
			udp_close(st->up[k]);
	free(st);
	s->stub = NULL;
}
