/* SPDX-License-Identifier: MIT */
/*
 * udp.c - UDP (RFC 768, RFC 1122 4.1.3), over IPv4 and IPv6 (RFC 8200 8)
 *
 * Theory of operation. A socket has a family (AF_INET or AF_INET6); an
 * AF_INET6 socket without IPV6_V6ONLY takes and sends IPv4 too, as
 * Linux's do (then its addresses are IPv4 in the engine). It is bound to
 * a local (address, port), where the unspecified address means any of
 * ours, in the one port space both families share (ip.h), and may be
 * connected to one peer. Input: check the header and the checksum (zero
 * means none over IPv4, RFC 768; over IPv6 a zero checksum is dropped,
 * RFC 8200 8.1), then find the socket as Linux does: for a unicast
 * datagram the one that matches most specifically (connected to this
 * source beats bound to this address beats bound to any, an AF_INET
 * wildcard beats a dual-stack one: ip_sock_match()); a broadcast or
 * multicast datagram goes to every socket bound to the port (on any
 * address or on that group or broadcast address), a group's only to
 * those its memberships let have it (mcast_allow()). No socket: ICMP port
 * unreachable (RFC 1122 4.1.3.1) or ICMPv6's (RFC 4443 3.1), never for
 * broadcasts or groups.
 *
 * A datagram is queued on its socket (dgram.c: with its TTL, TOS,
 * addresses and time of arrival) while the queues hold at most SO_RCVBUF
 * bytes of buffers (Linux's rule: admit while what is charged does not
 * exceed the limit); beyond, it is dropped and counted. The host is told
 * with DGRAM_EV_READABLE and takes datagrams out through udp_dgram().
 *
 * An ICMP or ICMPv6 error quoting one of our datagrams goes to the socket
 * that would receive a reply from where that datagram went (Linux's
 * __udp4_lib_err and __udp6_lib_err look it up like input). What it
 * means (dgram.c): without IP_RECVERR only a hard error on a connected
 * socket, e.g. port unreachable as ECONNREFUSED; with IP_RECVERR every
 * error, queued for MSG_ERRQUEUE with what the ICMP message quoted of our
 * payload (SO_EE_ORIGIN_ICMP6 and the IPv6 offender for ICMPv6). The
 * pending error is reported once by the next call: SO_ERROR, a receive,
 * or a send, which then sends nothing (as sock_alloc_send_skb does).
 *
 * Output never queues: a datagram goes to the network layer at once,
 * fragmented if it exceeds the MTU, and a full link transmit queue is
 * reported to the caller as -ENOBUFS (the lwIP guide's warning, and
 * never silent loss). Binding follows Linux: ports below 1024 are the
 * host's to police (it knows the caller's uid), SO_REUSEADDR or
 * SO_REUSEPORT on both sockets lets them share a port, an unbound socket
 * gets an ephemeral port from the stack's range (tcp-port-lo..hi, 32768..60999
 * by default; IP_LOCAL_PORT_RANGE narrows it) on its first send or connect.
 */
#include "udp.h"

#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "dns_stub.h"
#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ipv4.h"
#include "ipv6.h"
#include "mcast.h"
#include "mdns.h"
#include "stack_impl.h"

struct udp_sock {
	struct udp_sock *next;
	struct dgram dg;             /* queues, pending error, IP options */
	struct ip_addr laddr, raddr; /* see ip.h: IPv4 for IPv4 traffic */
	uint16_t lport, rport;
	uint8_t family;              /* IP_V4 (AF_INET) or IP_V6 (AF_INET6) */
	uint8_t bound_if;            /* SO_BINDTOIFINDEX, 0: none */
	bool v6only;                 /* IPV6_V6ONLY */
	bool connected;
	bool bound_addr, bound_port; /* bind fixed them: disconnect keeps them */
	bool reuseaddr, reuseport;
};

/**
 * udp_open() - a new, unbound UDP socket
 * @s: the engine
 * @family: IP_V4 (AF_INET) or IP_V6 (AF_INET6)
 * @out: set to the socket
 *
 * Return: 0, -EAFNOSUPPORT, or -ENOMEM
 */
int udp_open(struct stack *s, uint8_t family, struct udp_sock **out)
{
	struct udp_sock *us;

	if (family != IP_V4 && family != IP_V6)
		return -EAFNOSUPPORT;
	us = calloc(1, sizeof(*us));
	if (!us)
		return -ENOMEM;
	dgram_init(&us->dg, s, DGRAM_UDP);
	us->family = family;
	us->laddr = us->raddr = ip_any(family);
	us->next = s->udp->head;
	s->udp->head = us;
	s->udp->count++;
	*out = us;
	return 0;
}

/**
 * udp_close() - free a socket and what it has queued
 * @us: the socket
 */
void udp_close(struct udp_sock *us)
{
	struct stack *s = us->dg.s;
	struct udp_sock **pp = &s->udp->head;

	while (*pp != us)
		pp = &(*pp)->next;
	*pp = us->next;
	s->udp->count--;
	dgram_fini(&us->dg);
	free(us);
}

/* The common part: queues, errors, IP options (dgram.h). */
struct dgram *udp_dgram(struct udp_sock *us)
{
	return &us->dg;
}

void udp_set_user(struct udp_sock *us, void *user)
{
	dgram_set_user(&us->dg, user);
}

void *udp_user(const struct udp_sock *us)
{
	return dgram_user(&us->dg);
}

/* May @us take (@addr, @port)? Linux's rules for UDP, without uids, over
 * the port space both families share (ip_sock_addr_conflict()). */
static bool udp_port_free(const struct stack *s, const struct udp_sock *us,
			  const struct ip_addr *addr, bool v6only,
			  uint16_t port)
{
	for (const struct udp_sock *o = s->udp->head; o; o = o->next) {
		if (o == us || o->lport != port ||
		    !ip_sock_addr_conflict(addr, v6only, &o->laddr, o->v6only))
			continue;
		if (us->reuseaddr && o->reuseaddr)
			continue;
		if (us->reuseport && o->reuseport)
			continue;
		return false;
	}
	return true;
}

static int udp_autobind(struct udp_sock *us)
{
	struct stack *s = us->dg.s;
	unsigned lo, hi, range, start;

	if (us->lport)
		return 0;
	stack_port_range(s, us->dg.port_range, &lo, &hi);
	range = hi - lo + 1;
	/* drawn only when a port is chosen: the host's random source may be
	 * a system call, and every datagram sent comes through here */
	start = stack_random32(s) % range;
	for (unsigned i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(lo + (start + i) % range);

		if (udp_port_free(s, us, &us->laddr, us->v6only, port)) {
			us->lport = port;
			return 0;
		}
	}
	CNT(s, udp_no_ports);
	return -EAGAIN;
}

/*
 * The address @us would be bound to, as the engine keeps it (ip.h), and
 * its IPV6_V6ONLY then (inet_bind(), inet6_bind()). Return: 0,
 * -EAFNOSUPPORT, -EINVAL, -EADDRNOTAVAIL
 */
static int udp_bind_addr(const struct udp_sock *us, const struct ip_addr *in,
			 struct ip_addr *a, bool *v6only)
{
	struct stack *s = us->dg.s;

	*a = in ? *in : ip_any(us->family);
	*v6only = us->v6only;
	if (a->family != us->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_v4mapped(a)) {
		if (us->v6only)
			return -EINVAL;
		*a = ip_unmap(a);
	} else if (a->family == IP_V6 && !ip_addr_is_any(a)) {
		/* a link-local address needs its interface (scope id) */
		if (ip_addr_is_linklocal(a) && !us->bound_if)
			return -EINVAL;
		*v6only = true;
	}
	if (!ip_addr_is_any(a) && !stack_addr_is_local(s, a) &&
	    !stack_addr_is_bcast(s, a) && !us->dg.nonlocal)
		return -EADDRNOTAVAIL;
	return 0;
}

/**
 * udp_bind() - give the socket its local address and port
 * @us: the socket
 * @addr: one of our addresses, a broadcast or group address of the
 *        socket's family (an AF_INET6 socket's may be ::ffff:a.b.c.d), or
 *        NULL or the unspecified address
 * @port: the port, or 0 for an ephemeral one
 *
 * Return: 0, -EINVAL (already bound; link-local without an interface;
 * mapped with IPV6_V6ONLY), -EAFNOSUPPORT, -EADDRNOTAVAIL (not our
 * address), -EADDRINUSE, -EAGAIN (no ephemeral port left)
 */
int udp_bind(struct udp_sock *us, const struct ip_addr *addr, uint16_t port)
{
	struct stack *s = us->dg.s;
	struct ip_addr a;
	bool v6only;
	int rc;

	if (us->lport)
		return -EINVAL;
	rc = udp_bind_addr(us, addr, &a, &v6only);
	if (rc)
		return rc;
	if (port && !udp_port_free(s, us, &a, v6only, port))
		return -EADDRINUSE;
	us->laddr = a;
	us->v6only = v6only;
	us->bound_addr = !ip_addr_is_any(&a);
	if (port) {
		us->lport = port;
		us->bound_port = true;
		return 0;
	}
	/* IP_BIND_ADDRESS_NO_PORT: the port comes with connect() or the
	 * first send, as any unbound socket's */
	return us->dg.bind_no_port ? 0 : udp_autobind(us);
}

/*
 * The source address for datagrams to @dst. As in Linux, the limited
 * broadcast needs a route (the default one) or a socket bound to one of
 * our addresses. Return: 0, or -ENETUNREACH (no route)
 */
static int udp_source(const struct udp_sock *us, const struct ip_addr *dst,
		      struct ip_addr *src)
{
	struct stack *s = us->dg.s;

	/* IP_MULTICAST_IF: its address, or the link's (Linux's
	 * udp_sendmsg() routes by its interface) */
	if (dst->family == IP_V4 && ipv4_is_multicast(dst->v4) &&
	    (us->dg.mc_addr || us->dg.mc_index)) {
		*src = ip4(us->dg.mc_addr ? us->dg.mc_addr :
			   s->nif.naddr ? s->nif.addr[0].addr : 0);
		return 0;
	}
	if (dst->family == IP_V4 && dst->v4 == IPV4_BROADCAST &&
	    us->laddr.family == IP_V4 && stack_addr_is_local(s, &us->laddr)) {
		*src = us->laddr;
		return 0;
	}
	return stack_source_for(s, dst, src) ? -ENETUNREACH : 0;
}

/*
 * The address a datagram steered to the DNS stub (dns_stub.c) is taken to
 * come from, where its answer goes: the bound or connected one, else the
 * route's, else (a nameserver no route reaches, which the stub answers
 * all the same) the link's first address or the loopback.
 */
static void udp_stub_source(const struct udp_sock *us,
			    const struct ip_addr *dst, struct ip_addr *src)
{
	struct stack *s = us->dg.s;

	if (!ip_addr_is_any(&us->laddr) && !stack_addr_is_bcast(s, &us->laddr))
		*src = us->laddr;
	else if (udp_source(us, dst, src) == 0)
		return;
	else if (dst->family == IP_V4)
		*src = ip4(s->nif.naddr ? s->nif.addr[0].addr : IPV4(127, 0, 0, 1));
	else
		*src = ip6((const uint8_t[16]){ [15] = 1 });
}

/*
 * The peer a program names, as the engine keeps it: an AF_INET6
 * socket's ::ffff:a.b.c.d is IPv4 (unless IPV6_V6ONLY: ENETUNREACH, as
 * Linux's udpv6_sendmsg()); the unspecified address is the bound address
 * or the loopback (Linux's ip_route_output(), ip6_datagram_connect()).
 * Return: 0, -EAFNOSUPPORT, -ENETUNREACH
 */
static int udp_peer(const struct udp_sock *us, const struct ip_addr *in,
		    struct ip_addr *dst)
{
	*dst = *in;
	if (dst->family != us->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_v4mapped(dst)) {
		if (us->v6only)
			return -ENETUNREACH;
		*dst = ip_unmap(dst);
	}
	if (!ip_addr_is_any(dst))
		return 0;
	if (dst->family == IP_V6)
		*dst = us->laddr.family == IP_V4 ? ip4(IPV4(127, 0, 0, 1)) :
		       ip6((const uint8_t[16]){ [15] = 1 });
	else if (us->laddr.family == IP_V4 &&
		 stack_addr_is_local(us->dg.s, &us->laddr))
		*dst = us->laddr;
	else
		*dst = ip4(IPV4(127, 0, 0, 1));
	return 0;
}

/* What sending to @dst asks of @us beyond a route: the address families
 * agree, SO_BROADCAST, an interface for an IPv6 link-local peer. */
static int udp_dst_check(const struct udp_sock *us, const struct ip_addr *dst)
{
	struct stack *s = us->dg.s;

	if (!ip_addr_is_any(&us->laddr) && !stack_addr_is_bcast(s, &us->laddr) &&
	    us->laddr.family != dst->family)
		return -ENETUNREACH;
	if (dst->family == IP_V4 && stack_is_broadcast(s, dst->v4) &&
	    !us->dg.broadcast)
		return -EACCES;
	if (dst->family == IP_V6 && ip_addr_is_linklocal(dst) && !us->bound_if)
		return -EINVAL;
	return 0;
}

/**
 * udp_connect() - set the only peer to and from which datagrams go
 * @us: the socket
 * @addr: peer address, of the socket's family (the unspecified one means
 *        our bound address or the loopback, as Linux)
 * @port: peer port, not 0
 *
 * Binds an unbound socket to an ephemeral port and fixes its source
 * address from the route, as Linux does.
 *
 * Return: 0, -EINVAL (bound to the loopback, to a peer not ours; an IPv6
 * link-local peer without an interface), -ENETUNREACH, -EAFNOSUPPORT,
 * -EACCES (broadcast without SO_BROADCAST), -EAGAIN (no ephemeral port)
 */
int udp_connect(struct udp_sock *us, const struct ip_addr *addr,
		uint16_t port)
{
	struct stack *s = us->dg.s;
	struct ip_addr dst, src;
	int rc;

	rc = udp_peer(us, addr, &dst);
	if (rc)
		return rc;
	if (ip_addr_is_loopback(&us->laddr) && !stack_addr_is_local(s, &dst))
		return -EINVAL;
	if (udp_source(us, &dst, &src)) {
		/* a nameserver the stub answers for needs no route */
		if (!dns_stub_steers(s, us, &dst, port, NULL, 0))
			return -ENETUNREACH;
		udp_stub_source(us, &dst, &src);
	}
	rc = udp_dst_check(us, &dst);
	if (rc)
		return rc;
	rc = udp_autobind(us);
	if (rc)
		return rc;
	if (ip_addr_is_any(&us->laddr) && !stack_addr_is_bcast(s, &dst))
		us->laddr = src;
	us->raddr = dst;
	us->rport = port;
	us->connected = true;
	return 0;
}

/**
 * udp_disconnect() - connect to AF_UNSPEC: forget the peer
 * @us: the socket
 *
 * As Linux's __udp_disconnect(): what bind did not fix goes too, the
 * source address connect chose and the ephemeral port (the next send or
 * connect takes a new one).
 *
 * Return: 0
 */
int udp_disconnect(struct udp_sock *us)
{
	us->connected = false;
	us->raddr = ip_any(us->family);
	us->rport = 0;
	if (!us->bound_addr)
		us->laddr = ip_any(us->family);
	if (!us->bound_port)
		us->lport = 0;
	return 0;
}

static int udp_output(struct udp_sock *us, const void *buf, size_t len,
		      const struct ip_addr *dst, uint16_t dport,
		      const struct dgram_tx *tx)
{
	struct stack *s = us->dg.s;
	struct ip_addr src = dgram_tx_src(tx) ? tx->src : us->laddr;
	struct pbuf *p;
	uint8_t *h;
	uint16_t ck;
	int rc;

	if (ip_addr_is_any(&src) || stack_addr_is_bcast(s, &src) ||
	    src.family != dst->family) {
		if (udp_source(us, dst, &src)) {
			CNT(s, ip_tx_no_route);
			return -ENETUNREACH;
		}
	}
	p = pbuf_alloc(&s->pool, PBUF_HEADROOM, UDP_HLEN + len);
	if (!p) {
		CNT(s, udp_tx_nomem);
		return -ENOBUFS;
	}
	h = p->data;
	put16(h, us->lport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(UDP_HLEN + len));
	put16(h + 6, 0);
	if (len)
		memcpy(h + UDP_HLEN, buf, len);
	/* RFC 768: a sum of zero is sent as all ones (zero means none) */
	ck = inet_fold(inet_sum(h, UDP_HLEN + len,
				ip_pseudo_sum(&src, dst, IP_PROTO_UDP,
					      (uint32_t)(UDP_HLEN + len))));
	put16(h + 6, ck ? ck : 0xffff);
	rc = dgram_output(&us->dg, p, &src, dst, IP_PROTO_UDP,
			  us->connected ? us->rport : 0, tx);
	if (rc < 0) {
		if (rc == -ENOBUFS)
			CNT(s, udp_tx_nobufs);
		else
			CNT(s, udp_tx_err);
		return rc;
	}
	CNT(s, udp_tx);
	return 0;
}

/**
 * udp_sendto_port() - send one datagram from @sport, which @us does not
 * hold (the engine's mDNS responder speaks from 5353, which stays free
 * for programs)
 * @us: the socket, its options (TTL, multicast interface)
 * @sport: the source port
 * @buf: payload
 * @len: its length
 * @dst: destination address
 * @dport: destination port
 *
 * Return: as udp_sendmsg()
 */
int udp_sendto_port(struct udp_sock *us, uint16_t sport, const void *buf,
		    size_t len, const struct ip_addr *dst, uint16_t dport)
{
	uint16_t lport = us->lport;
	int rc;

	us->lport = sport;
	rc = udp_output(us, buf, len, dst, dport, NULL);
	us->lport = lport;
	ip_loop_drain(us->dg.s);
	return rc;
}

/**
 * udp_sendto() - send one datagram
 * @us: the socket
 * @buf: payload
 * @len: its length, at most 65507 (IPv4) or 65527 (IPv6)
 * @dst: destination address, or NULL for the connected peer
 * @dport: destination port (ignored with @dst NULL)
 * @now: current time
 *
 * Return: as udp_sendmsg()
 */
int udp_sendto(struct udp_sock *us, const void *buf, size_t len,
	       const struct ip_addr *dst, uint16_t dport, uint64_t now)
{
	return udp_sendmsg(us, buf, len, dst, dport, NULL, now);
}

/* An IP_PKTINFO source must be one of our addresses (Linux: no route). */
static int udp_check_tx(struct stack *s, const struct dgram_tx *tx)
{
	if (dgram_tx_src(tx) && !stack_addr_is_local(s, &tx->src)) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	return 0;
}

/* The destination of a send: the connected peer, or the one named. */
static int udp_send_dst(const struct udp_sock *us, const struct ip_addr *dst,
			uint16_t *dport, struct ip_addr *daddr)
{
	if (!dst) {
		if (!us->connected)
			return -EDESTADDRREQ;
		*daddr = us->raddr;
		*dport = us->rport;
		return 0;
	}
	if (!*dport)
		return -EINVAL;
	return udp_peer(us, dst, daddr);
}

/**
 * udp_sendmsg() - send one datagram, with per-datagram IP options
 * @us: the socket
 * @buf: payload
 * @len: its length, at most 65507 (IPv4) or 65527 (IPv6)
 * @dst: destination address of the socket's family, or NULL for the
 *       connected peer
 * @dport: destination port (ignored with @dst NULL)
 * @tx: TTL, TOS and source from the sendmsg's control messages, or NULL
 * @now: current time
 *
 * A pending error (an ICMP error since the last call) is returned
 * instead of sending, and cleared, as Linux reports it.
 *
 * Return: 0 (the datagram went to the link, or waits for the neighbour),
 * or -EDESTADDRREQ, -EINVAL (port 0; an IPv6 link-local peer without an
 * interface), -EMSGSIZE, -EACCES (broadcast without SO_BROADCAST),
 * -ENETUNREACH (no route; checked first, as Linux does), -EAFNOSUPPORT,
 * -ENOBUFS (no memory, or the link's transmit queue is full: not sent,
 * the caller may retry), -EAGAIN (no port), or the pending error
 */
int udp_sendmsg(struct udp_sock *us, const void *buf, size_t len,
		const struct ip_addr *dst, uint16_t dport,
		const struct dgram_tx *tx, uint64_t now)
{
	struct stack *s = us->dg.s;
	struct ip_addr daddr, src;
	int rc;

	s->now = now;
	rc = udp_send_dst(us, dst, &dport, &daddr);
	if (rc)
		return rc;
	if (len > (daddr.family == IP_V6 ? UDP6_MAX_PAYLOAD : UDP_MAX_PAYLOAD))
		return -EMSGSIZE;
	if (dns_stub_steers(s, us, &daddr, dport, buf, len)) {
		/* for the DNS stub: it answers as the server named */
		rc = udp_autobind(us);
		if (rc)
			return rc;
		udp_stub_source(us, &daddr, &src);
		return dns_stub_query(s, buf, len, &src, us->lport, &daddr);
	}
	if (udp_source(us, &daddr, &src)) {
		CNT(s, ip_tx_no_route);
		return -ENETUNREACH;
	}
	rc = udp_check_tx(s, tx);
	if (rc)
		return rc;
	rc = udp_dst_check(us, &daddr);
	if (rc)
		return rc;
	rc = udp_autobind(us);
	if (rc)
		return rc;
	rc = udp_output(us, buf, len, &daddr, dport, tx);
	ip_loop_drain(s);      /* a datagram to ourselves arrives now */
	return rc;
}

/**
 * udp_recv_peek() - the datagram at the head of the queue
 * @us: the socket
 * @m: set to its addresses and length
 *
 * Return: its payload (valid until udp_recv_next()), or NULL if none
 */
const uint8_t *udp_recv_peek(struct udp_sock *us, struct udp_meta *m)
{
	struct dgram_info in;
	const uint8_t *d;
	size_t len;

	d = dgram_recv_peek(&us->dg, &in, &len);
	if (!d)
		return NULL;
	m->src = in.src;
	m->dst = in.dst;
	m->sport = in.sport;
	m->dport = in.dport;
	m->len = (uint32_t)len;
	return d;
}

/**
 * udp_recv_next() - drop the datagram at the head of the queue
 * @us: the socket
 */
void udp_recv_next(struct udp_sock *us)
{
	dgram_recv_next(&us->dg);
}

size_t udp_recv_queued(const struct udp_sock *us)
{
	return dgram_recv_queued(&us->dg);
}

/**
 * udp_sock_error() - take the pending error
 * @us: the socket
 *
 * Return: 0, or the negative errno pending, which is then cleared
 */
int udp_sock_error(struct udp_sock *us)
{
	return dgram_take_error(&us->dg);
}

/**
 * udp_setsockopt() - set an option
 * @us: the socket
 * @opt: which
 * @val: its value
 *
 * Return: 0, -EINVAL (IPV6_V6ONLY once bound), -ENODEV (no such
 * interface), or -ENOPROTOOPT
 */
int udp_setsockopt(struct udp_sock *us, enum udp_sockopt opt, int val)
{
	switch (opt) {
	case UDP_SO_RCVBUF:
		return dgram_setopt(&us->dg, DGRAM_SO_RCVBUF, val);
	case UDP_SO_RCVBUFFORCE:
		return dgram_setopt(&us->dg, DGRAM_SO_RCVBUFFORCE, val);
	case UDP_SO_SNDBUF:
		return dgram_setopt(&us->dg, DGRAM_SO_SNDBUF, val);
	case UDP_SO_SNDBUFFORCE:
		return dgram_setopt(&us->dg, DGRAM_SO_SNDBUFFORCE, val);
	case UDP_SO_BROADCAST:
		return dgram_setopt(&us->dg, DGRAM_SO_BROADCAST, val);
	case UDP_SO_REUSEADDR:
		us->reuseaddr = val != 0;
		return 0;
	case UDP_SO_REUSEPORT:
		us->reuseport = val != 0;
		return 0;
	case UDP_SO_BINDTOIFINDEX:
		if (val && !stack_netif(us->dg.s, (unsigned)val))
			return -ENODEV;
		us->bound_if = (uint8_t)val;
		return 0;
	case UDP_IP6_V6ONLY:
		/* do_ipv6_setsockopt(): not once a port is bound */
		if (us->family != IP_V6)
			return -ENOPROTOOPT;
		if (us->lport)
			return -EINVAL;
		us->v6only = val != 0;
		return 0;
	}
	return -ENOPROTOOPT;
}

int udp_getsockopt(const struct udp_sock *us, enum udp_sockopt opt, int *val)
{
	switch (opt) {
	case UDP_SO_RCVBUF:
		return dgram_getopt(&us->dg, DGRAM_SO_RCVBUF, val);
	case UDP_SO_SNDBUF:
		return dgram_getopt(&us->dg, DGRAM_SO_SNDBUF, val);
	case UDP_SO_BROADCAST:
		return dgram_getopt(&us->dg, DGRAM_SO_BROADCAST, val);
	case UDP_SO_REUSEADDR:
		*val = us->reuseaddr;
		return 0;
	case UDP_SO_REUSEPORT:
		*val = us->reuseport;
		return 0;
	case UDP_SO_BINDTOIFINDEX:
		*val = us->bound_if;
		return 0;
	case UDP_IP6_V6ONLY:
		if (us->family != IP_V6)
			return -ENOPROTOOPT;
		*val = us->v6only;
		return 0;
	case UDP_SO_RCVBUFFORCE:
	case UDP_SO_SNDBUFFORCE:
		break;               /* Linux: set only */
	}
	return -ENOPROTOOPT;
}

uint8_t udp_family(const struct udp_sock *us)
{
	return us->family;
}

/* The local address and port; for an AF_INET6 socket's IPv4 traffic an
 * IPv4 address, which the host shows as ::ffff:a.b.c.d. */
void udp_getsockname(const struct udp_sock *us, struct ip_addr *addr,
		     uint16_t *port)
{
	*addr = us->laddr;
	*port = us->lport;
}

int udp_getpeername(const struct udp_sock *us, struct ip_addr *addr,
		    uint16_t *port)
{
	if (!us->connected)
		return -ENOTCONN;
	*addr = us->raddr;
	*port = us->rport;
	return 0;
}

unsigned udp_sock_count(const struct stack *s)
{
	return s->udp->count;
}

/* Queue a datagram (payload in @p) on @us; consumes @p. */
static void udp_queue(struct udp_sock *us, struct pbuf *p,
		      const struct udp_meta *m, const struct ip_rx *rx)
{
	struct stack *s = us->dg.s;
	struct dgram_info in;
	int rc;

	dgram_info_rx(s, rx, &in);
	in.sport = m->sport;
	in.dport = m->dport;
	rc = dgram_queue(&us->dg, p, &in);
	if (rc == -ENOBUFS)
		CNT(s, udp_rx_rcvbuf);
	else if (rc)
		CNT(s, udp_rx_nomem);
	else
		CNT(s, udp_rx_delivered);
}

/* 0: no match; otherwise higher is more specific (Linux's scoring: the
 * address part is ip_sock_match()'s, a connected peer outranks it). */
static unsigned udp_match(const struct udp_sock *us, const struct udp_meta *m)
{
	unsigned score;

	/* a socket without a port yet is in no table of Linux's: nothing
	 * reaches it, a datagram to port 0 neither (found by fuzz_dns) */
	if (us->lport != m->dport || !us->lport)
		return 0;
	score = ip_sock_match(&us->laddr, us->family, us->v6only, &m->dst);
	if (!score)
		return 0;
	if (us->connected) {
		if (us->rport != m->sport || !ip_addr_eq(&us->raddr, &m->src))
			return 0;
		score += 8;
	}
	return score;
}

/* The header and the checksum; RFC 8200 8.1: IPv6 makes it mandatory */
static int udp_parse(struct stack *s, struct pbuf *p,
		     const struct ip_rx *rx, struct udp_meta *m)
{
	uint16_t ulen, ck;

	if (p->len < UDP_HLEN) {
		CNT(s, udp_rx_short);
		return -1;
	}
	ulen = get16(p->data + 4);
	if (ulen < UDP_HLEN || ulen > p->len) {
		CNT(s, udp_rx_bad_len);
		return -1;
	}
	pbuf_trim(p, ulen);
	ck = get16(p->data + 6);
	if (!ck && rx->src.family == IP_V6) {
		CNT(s, udp_rx_no_cksum6);
		return -1;
	}
	if (ck && !(p->rx_flags & PBUF_RX_CSUM_OK) &&
	    inet_fold(inet_sum(p->data, ulen,
				     ip_pseudo_sum(&rx->src, &rx->dst,
						   IP_PROTO_UDP, ulen))) != 0) {
		CNT(s, udp_rx_bad_cksum);
		return -1;
	}
	m->src = rx->src;
	m->dst = rx->dst;
	m->sport = get16(p->data);
	m->dport = get16(p->data + 2);
	m->len = ulen - UDP_HLEN;
	return 0;
}

/* A broadcast or multicast datagram goes to every socket on the port;
 * each gets a copy. */
static void udp_deliver_bcast(struct stack *s, struct pbuf *p,
			      const struct udp_meta *m,
			      const struct ip_rx *rx)
{
	struct udp_sock *last = NULL;

	for (struct udp_sock *us = s->udp->head; us; us = us->next) {
		struct pbuf *c;

		if (!udp_match(us, m) || !mcast_allow(&us->dg, rx))
			continue;
		if (last) {
			c = pbuf_copy(&s->pool, sizeof(struct dgram_info),
				      p->data, p->len);
			if (c)
				udp_queue(last, c, m, rx);
			else
				CNT(s, udp_rx_nomem);
		}
		last = us;
	}
	if (last) {
		udp_queue(last, p, m, rx);
		return;
	}
	CNT(s, udp_rx_no_port_bcast);
	pbuf_free(p);
}

/* The socket a unicast datagram @m is for, the most specific one. */
static struct udp_sock *udp_lookup(struct stack *s, const struct udp_meta *m)
{
	struct udp_sock *best = NULL;
	unsigned best_score = 0;

	for (struct udp_sock *us = s->udp->head; us; us = us->next) {
		unsigned sc = udp_match(us, m);

		if (sc > best_score) {
			best = us;
			best_score = sc;
		}
	}
	return best;
}

/**
 * udp_deliver() - a datagram made by the engine, to the socket a datagram
 * from @src:@sport to @dst:@dport would reach (the DNS stub's answers)
 * @s: the engine
 * @buf: the payload
 * @len: its length
 * @src: where it is to come from
 * @sport: ... from which port
 * @dst: where it goes
 * @dport: ... to which port
 *
 * Return: 0 (queued, or dropped as a full queue drops), -ENOENT (no
 * socket), -ENOBUFS (no buffer)
 */
int udp_deliver(struct stack *s, const void *buf, size_t len,
		const struct ip_addr *src, uint16_t sport,
		const struct ip_addr *dst, uint16_t dport)
{
	struct udp_meta m = { .src = *src, .dst = *dst, .sport = sport,
			      .dport = dport, .len = (uint32_t)len };
	struct ip_rx rx = { .src = *src, .dst = *dst, .proto = IP_PROTO_UDP,
			    .ttl = 64, .ifindex = STACK_IF_LINK };
	struct udp_sock *us = udp_lookup(s, &m);
	struct pbuf *p;

	if (!us)
		return -ENOENT;
	p = pbuf_alloc(&s->pool, sizeof(struct dgram_info), len);
	if (!p) {
		CNT(s, udp_rx_nomem);
		return -ENOBUFS;
	}
	memcpy(p->data, buf, len);
	udp_queue(us, p, &m, &rx);
	return 0;
}

/* RFC 1122 4.1.3.1, RFC 4443 3.1: no socket, port unreachable, quoting
 * the datagram from its IP header */
static void udp_unreachable(struct stack *s, struct pbuf *p,
			    const struct ip_rx *rx)
{
	CNT(s, udp_rx_no_port);
	pbuf_push(p, UDP_HLEN);
	if (rx->src.family == IP_V6)
		icmp6_send_error(s, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT,
				 0, rx->hdr, rx->hdr_len + p->len);
	else
		icmp_send_error(s, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, rx->hdr,
				rx->hdr_len + p->len);
	pbuf_free(p);
}

/**
 * udp_input() - a UDP datagram arrived; consumes @p
 * @s: the engine
 * @p: the datagram, data at the UDP header
 * @rx: what the network layer learned about it
 */
static void udp_input(struct stack *s, struct pbuf *p,
		      const struct ip_rx *rx)
{
	struct udp_sock *us;
	struct udp_meta m;
	bool mdns;

	CNT(s, udp_rx);
	if (udp_parse(s, p, rx, &m)) {
		pbuf_free(p);
		return;
	}
	pbuf_pull(p, UDP_HLEN);
	/* the engine's own DHCP client, socket or none (dhcp.c) */
	if (m.sport == DHCP_SERVER_PORT && m.dport == DHCP_CLIENT_PORT &&
	    dhcp_input(s, p->data, p->len, rx)) {
		pbuf_free(p);
		return;
	}
	/* the engine's mDNS responder reads, sockets on the port get it too */
	mdns = m.dport == MDNS_PORT && mdns_input(s, p->data, p->len, &m, rx);
	if (rx->to_bcast || rx->l2_bcast || ip_addr_is_multicast(&m.dst)) {
		if (mdns && !udp_lookup(s, &m)) {
			pbuf_free(p);
			return;
		}
		udp_deliver_bcast(s, p, &m, rx);
		return;
	}
	us = udp_lookup(s, &m);
	if (us) {
		udp_queue(us, p, &m, rx);
		return;
	}
	if (mdns) {
		pbuf_free(p);
		return;
	}
	udp_unreachable(s, p, rx);
}

/**
 * udp_icmp_error() - an ICMP or ICMPv6 error quoted one of our datagrams
 * @s: the engine
 * @e: the error (the ICMP module checked its quoted header and 8 bytes)
 *
 * RFC 1122 4.1.3.3: UDP passes ICMP errors to the application. The
 * socket is the one a reply from the quoted destination would reach.
 */
static void udp_icmp_error(struct stack *s, const struct ip_err *e)
{
	struct udp_meta m = {
		.src = e->dst, .dst = e->src,
		.sport = get16(e->l4 + 2), .dport = get16(e->l4),
	};
	struct dgram_ee ee = {
		.origin = e->origin == IP_V6 ? DGRAM_EE_ICMP6 : DGRAM_EE_ICMP,
		.type = e->type, .code = e->code, .info = e->info,
		.offender = e->offender, .addr = m.src, .port = m.sport,
	};
	struct dgram_info in;
	struct udp_sock *us;
	bool hard;

	CNT(s, udp_icmp_rx);
	us = udp_lookup(s, &m);
	if (!us)
		return;
	ee.err = (uint32_t)dgram_icmp_errno(&us->dg, e, &hard);
	if (!ee.err)
		return;
	dgram_info_rx(s, e->rx, &in);
	in.spec_dst = ip_any(IP_NONE);   /* Linux leaves it unset for errors */
	if (dgram_report(&us->dg, &ee, hard, us->connected, &in,
			 e->l4 + UDP_HLEN, e->l4_len - UDP_HLEN))
		CNT(s, udp_icmp_err);
}

static const struct ip_proto udp_proto = {
	.name = "udp",
	.input = udp_input,
	.error = udp_icmp_error,
};

/**
 * udp_init() - register UDP with both network layers' protocol tables
 * @s: the engine
 *
 * Return: 0, or -ENOMEM
 */
int udp_init(struct stack *s)
{
	s->udp = calloc(1, sizeof(*s->udp));
	if (!s->udp)
		return -ENOMEM;
	s->protos.v4[IP_PROTO_UDP] = &udp_proto;
	s->protos.v6[IP_PROTO_UDP] = &udp_proto;
	return 0;
}

/* Free every socket: the host is gone (stack_free). */
void udp_fini(struct stack *s)
{
	if (!s->udp)
		return;
	while (s->udp->head)
		udp_close(s->udp->head);
	free(s->udp);
	s->udp = NULL;
}
