/* SPDX-License-Identifier: MIT */
/*
 * tcp_sock.c - the socket calls of tcp.h
 *
 * Theory of operation: each call checks the state the way Linux's
 * inet/tcp code does and returns the errno a program would see, then
 * hands over to the protocol (tcp_output, the state changes). Nothing
 * blocks: a call that would wait returns -EAGAIN (send, recv, accept) or
 * -EINPROGRESS (connect), and sock_event says when to try again.
 *
 * A socket has a family (AF_INET or AF_INET6, IP_V4 or IP_V6 here). An
 * AF_INET6 socket speaks IPv4 too, as Linux's do: bound to :: without
 * IPV6_V6ONLY it accepts IPv4 connections, and connecting to
 * ::ffff:a.b.c.d opens one; such a connection holds IPv4 addresses in
 * the engine (the host shows them mapped). Binding to ::ffff:a.b.c.d
 * binds to the IPv4 address; binding to another specific IPv6 address
 * sets IPV6_V6ONLY, as Linux's inet6_bind() does.
 *
 * Address reuse follows Linux's bind conflict rules over the one port
 * space of both families (ip_sock_addr_conflict()): a bind to a port that
 * another socket owns (listener, connection, or plain bound socket, on
 * the same or a wildcard address) fails with -EADDRINUSE, unless both
 * sockets set SO_REUSEPORT, or both set SO_REUSEADDR and the other is not
 * listening. Ephemeral ports follow RFC 6056 algorithm 3.
 */
#include <stdlib.h>
#include <string.h>

#include "dns_stub.h"
#include "stack_impl.h"
#include "tcp_impl.h"

/**
 * tcp_open() - a new, unbound socket
 * @s: the stack
 * @family: IP_V4 (AF_INET) or IP_V6 (AF_INET6)
 * @out: set to the socket, which the host holds until tcp_close()
 * @now: current time (the socket's state starts then)
 *
 * Return: 0, -EAFNOSUPPORT for another family, -ENOBUFS at the socket
 * limit
 */
int tcp_open(struct stack *s, uint8_t family, struct tcp_sock **out,
	     uint64_t now)
{
	struct tcp_sock *sk;

	if (family != IP_V4 && family != IP_V6)
		return -EAFNOSUPPORT;
	s->now = now;           /* the socket's age starts now */
	sk = tcp_sock_new(s);
	if (!sk)
		return -ENOBUFS;
	sk->family = family;
	sk->laddr = sk->raddr = ip_any(family);
	sk->held = true;
	*out = sk;
	return 0;
}

/**
 * tcp_set_user() - attach the host's own pointer (its channel, say)
 * @sk: the socket
 * @user: anything; returned by tcp_user()
 */
void tcp_set_user(struct tcp_sock *sk, void *user)
{
	sk->user = user;
}

/**
 * tcp_user() - the pointer given to tcp_set_user()
 * @sk: the socket
 *
 * Return: it, or NULL
 */
void *tcp_user(const struct tcp_sock *sk)
{
	return sk->user;
}

/**
 * tcp_family() - the socket's family
 * @sk: the socket
 *
 * Return: IP_V4 or IP_V6
 */
uint8_t tcp_family(const struct tcp_sock *sk)
{
	return sk->family;
}

/* Linux's inet_csk_bind_conflict(), for one other socket @o. */
static bool tcp_bind_conflict(const struct tcp_sock *sk,
			      const struct tcp_sock *o,
			      const struct ip_addr *addr, bool v6only)
{
	if (o == sk || o->dead)
		return false;
	if (!ip_sock_addr_conflict(addr, v6only, &o->laddr, o->v6only))
		return false;
	if (sk->reuseport && o->reuseport)
		return false;
	/*
	 * Linux (inet_csk_bind_conflict, relaxed as bind() asks): with
	 * SO_REUSEADDR on both, only a listener conflicts; connections in any
	 * other state (TIME_WAIT, FIN_WAIT, even ESTABLISHED) have their own
	 * 4-tuple and let a new socket bind, so a restarted server gets its
	 * port back while its old connections still close.
	 */
	if (sk->reuseaddr && o->reuseaddr && o->state != TCP_LISTEN)
		return false;
	return true;
}

static bool tcp_port_conflict(struct tcp_sock *sk, const struct ip_addr *addr,
			      bool v6only, uint16_t port)
{
	struct tcp_sock *o;

	for (o = sk->s->tcp->bound[port % TCP_HASH]; o; o = o->bnext) {
		if (o->lport != port)
			continue;
		/* connect() shares a port that only connect() took, as
		 * Linux's __inet_hash_connect(): the 4-tuple tells them apart
		 * (the caller checked it), so a client reaches 64,512
		 * connections per destination, not in all */
		if (sk->rport && !sk->lport && o->autobound)
			continue;
		if (tcp_bind_conflict(sk, o, addr, v6only))
			return true;
	}
	return false;
}

/*
 * The address @sk would be bound to, as the engine keeps it (ip.h), and
 * its IPV6_V6ONLY then: inet_bind()'s and inet6_bind()'s checks.
 * Return: 0, -EAFNOSUPPORT, -EINVAL, -EADDRNOTAVAIL
 */
static int tcp_bind_addr(const struct tcp_sock *sk, const struct ip_addr *in,
			 struct ip_addr *a, bool *v6only)
{
	struct stack *s = sk->s;

	*a = in ? *in : ip_any(sk->family);
	*v6only = sk->v6only;
	if (a->family != sk->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_v4mapped(a)) {
		if (sk->v6only)
			return -EINVAL;
		*a = ip_unmap(a);
	} else if (a->family == IP_V6 && !ip_addr_is_any(a)) {
		/* a link-local address needs its interface (scope id) */
		if (ip_addr_is_linklocal(a) && !sk->bound_if)
			return -EINVAL;
		*v6only = true;
		if (ip_addr_is_multicast(a))
			return 0;
	}
	if (!ip_addr_is_any(a) && !stack_addr_is_local(s, a) && !sk->nonlocal)
		return -EADDRNOTAVAIL;
	return 0;
}

/* An ephemeral port for bind(), that no overlapping socket holds. */
static uint16_t tcp_bind_ephemeral(struct tcp_sock *sk,
				   const struct ip_addr *a, bool v6only)
{
	struct stack *s = sk->s;
	unsigned lo, hi, n;
	uint32_t off = stack_random32(s);

	stack_port_range(s, sk->port_range, &lo, &hi);
	n = hi - lo + 1;
	for (unsigned i = 0; i < n; i++) {
		uint16_t p = (uint16_t)(lo + (off + i) % n);

		if (!tcp_port_conflict(sk, a, v6only, p))
			return p;
	}
	return 0;
}

static int tcp_bind_port(struct tcp_sock *sk, const struct ip_addr *ap,
			 bool v6only, uint16_t port);

/**
 * tcp_bind() - give @sk a local address and port
 * @sk: the socket
 * @addr: one of our addresses of the socket's family (an AF_INET6
 *        socket's may be ::ffff:a.b.c.d), or NULL or the wildcard
 * @port: the port, or 0 for an ephemeral one
 *
 * Return: 0, -EINVAL if already bound (or link-local without an
 * interface, mapped with IPV6_V6ONLY), -EAFNOSUPPORT for an address of
 * the other family, -EADDRNOTAVAIL for an address not ours, -EADDRINUSE
 */
int tcp_bind(struct tcp_sock *sk, const struct ip_addr *addr, uint16_t port)
{
	struct ip_addr a;
	bool v6only;
	int rc;

	if (sk->bound || sk->state != TCP_CLOSED || sk->lport)
		return -EINVAL;
	rc = tcp_bind_addr(sk, addr, &a, &v6only);
	if (rc)
		return rc;
	if (port == 0 && sk->bind_no_port) {
		/* inet_bind(): the address only; connect() or listen()
		 * picks the port, and bind() may be called again */
		sk->laddr = a;
		sk->v6only = v6only;
		return 0;
	}
	return tcp_bind_port(sk, &a, v6only, port);
}

/* bind()'s second half: the port for address @a, checked (inet_bind()'s
 * get_port) */
static int tcp_bind_port(struct tcp_sock *sk, const struct ip_addr *ap,
			 bool v6only, uint16_t port)
{
	struct ip_addr a = *ap;

	if (port == 0) {
		port = tcp_bind_ephemeral(sk, &a, v6only);
		if (port == 0)
			return -EADDRINUSE;
	} else if (tcp_port_conflict(sk, &a, v6only, port)) {
		return -EADDRINUSE;
	}
	sk->laddr = a;
	sk->v6only = v6only;
	sk->lport = port;
	tcp_hash_bound(sk);
	return 0;
}

/* listen()'s backlog, negative as 0, capped at tcp_somaxconn as Linux's */
static void tcp_set_backlog(struct tcp_sock *sk, int backlog)
{
	unsigned b = backlog < 0 ? 0 : (unsigned)backlog;

	sk->lq->backlog = b < sk->s->cfg.tcp_somaxconn ? b :
			  sk->s->cfg.tcp_somaxconn;
}

/**
 * tcp_listen() - accept connections on @sk's address
 * @sk: the socket (bound; an unbound one gets an ephemeral port)
 * @backlog: established-not-accepted bound, capped by tcp_somaxconn
 * @now: current time (LISTEN starts then)
 *
 * Return: 0, -EINVAL if connected, -EADDRINUSE if another listener has
 * the port without SO_REUSEPORT on both, -ENOMEM for no room for its queues
 */
int tcp_listen(struct tcp_sock *sk, int backlog, uint64_t now)
{
	struct stack *s = sk->s;
	int rc;

	s->now = now;

	if (sk->state == TCP_LISTEN) {
		tcp_set_backlog(sk, backlog);
		return 0;
	}
	if (sk->state != TCP_CLOSED || sk->in_conn_hash)
		return -EINVAL;
	if (!tcp_lq(sk))
		return -ENOMEM;
	if (!sk->bound) {
		/* a port for the address bind() gave (IP_BIND_ADDRESS_NO_PORT)
		 * or the wildcard */
		rc = tcp_bind_port(sk, &sk->laddr, sk->v6only, 0);
		if (rc)
			return rc;
	}
	/* a listener may not share the port with another non-reuseport one */
	for (struct tcp_sock *o = s->tcp->listen[sk->lport % TCP_HASH]; o;
	     o = o->hnext)
		if (o != sk && o->lport == sk->lport &&
		    o->state == TCP_LISTEN &&
		    tcp_bind_conflict(sk, o, &sk->laddr, sk->v6only))
			return -EADDRINUSE;
	tcp_set_backlog(sk, backlog);
	/* inet_listen(): with both server bits, a listener without
	 * TCP_FASTOPEN takes its backlog as the queue length */
	if ((s->cfg.tcp_fastopen & (TCP_TFO_SERVER | TCP_TFO_SERVER_WO_SOCKOPT)) ==
	    (TCP_TFO_SERVER | TCP_TFO_SERVER_WO_SOCKOPT) &&
	    !sk->lq->tfo_max_qlen)
		tcp_setsockopt(sk, TCP_OPT_FASTOPEN, backlog < 0 ? 0 : backlog,
			       now);
	sk->listening = true;
	tcp_set_state(sk, TCP_LISTEN);
	return 0;
}

/**
 * tcp_lq() - @sk's listener queues, made if it has none (listen(), or
 * Fast Open's options before it)
 * @sk: the socket
 *
 * Return: them, or NULL without memory
 */
struct tcp_listenq *tcp_lq(struct tcp_sock *sk)
{
	if (!sk->lq)
		sk->lq = calloc(1, sizeof(*sk->lq));
	return sk->lq;
}

/* RFC 6056 3.3.3 (algorithm 3): port = min + (next + F(addrs, key)) % n */
static int tcp_pick_ephemeral(struct tcp_sock *sk)
{
	struct stack *s = sk->s;
	struct ip_addr any = ip_any(sk->laddr.family);
	uint32_t off = (uint32_t)tcp_tuple_hash(s, &sk->laddr, 0, &sk->raddr,
						sk->rport);
	unsigned lo, hi, n;

	stack_port_range(s, sk->port_range, &lo, &hi);
	n = hi - lo + 1;
	for (unsigned i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(lo + (off + s->tcp->next_ephemeral + i) % n);

		if (tcp_lookup_conn(s, &sk->laddr, port, &sk->raddr, sk->rport))
			continue;
		if (tcp_port_conflict(sk, &any, false, port) && !sk->reuseaddr)
			continue;
		s->tcp->next_ephemeral += i + 1;
		sk->lport = port;
		sk->autobound = true;
		return 0;
	}
	return -EADDRNOTAVAIL;
}

static int tcp_connect_check(struct tcp_sock *sk)
{
	switch (sk->state) {
	case TCP_CLOSED:
		return sk->in_conn_hash || sk->rport ? -EISCONN : 0;
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		return -EALREADY;
	case TCP_LISTEN:
		return -EINVAL;
	default:
		return -EISCONN;
	}
}

/* connect() to the unspecified address: the loopback, or the bound IPv4
 * address (Linux's ip_route_connect(); tcp_v6_connect()'s "BSD'ism") */
static struct ip_addr tcp_any_peer(const struct tcp_sock *sk, uint8_t family)
{
	if (family == IP_V6)
		return sk->laddr.family == IP_V4 ? ip4(IPV4(127, 0, 0, 1)) :
		       ip6((const uint8_t[16]){ [15] = 1 });
	if (sk->laddr.family == IP_V4 && sk->laddr.v4)
		return sk->laddr;
	return ip4(IPV4(127, 0, 0, 1));
}

/*
 * The peer and the source of a connection from @sk to @in, with Linux's
 * checks (tcp_v4_connect(), tcp_v6_connect()). An AF_INET6 socket
 * reaches ::ffff:a.b.c.d over IPv4, unless IPV6_V6ONLY. Return: 0, or
 * -EAFNOSUPPORT, -ENETUNREACH, -EINVAL, -EADDRNOTAVAIL
 */
static int tcp_connect_addrs(const struct tcp_sock *sk,
			     const struct ip_addr *in, uint16_t port,
			     struct ip_addr *dst, struct ip_addr *src)
{
	struct stack *s = sk->s;
	int rc;

	*dst = *in;
	if (dst->family != sk->family)
		return -EAFNOSUPPORT;
	if (ip_addr_is_v4mapped(dst)) {
		if (sk->v6only)
			return -ENETUNREACH;
		*dst = ip_unmap(dst);
	}
	if (ip_addr_is_any(dst))
		*dst = tcp_any_peer(sk, dst->family);
	if (port == 0 || stack_addr_is_bcast(s, dst))
		return -ENETUNREACH;
	/* "this network" and class E (RFC 1122 3.2.1.3) */
	if (dst->family == IP_V4 && (dst->v4 >> 24 == 0 || dst->v4 >> 28 == 0xf))
		return -ENETUNREACH;
	/* a socket bound to an address of the other family */
	if (!ip_addr_is_any(&sk->laddr) && sk->laddr.family != dst->family)
		return -ENETUNREACH;
	if (dst->family == IP_V6 && ip_addr_is_linklocal(dst) && !sk->bound_if)
		return -EINVAL;
	if (ip_addr_is_loopback(&sk->laddr) && !stack_addr_is_local(s, dst))
		return -EINVAL;
	rc = stack_source_for(s, dst, src);
	if (rc)
		return rc;
	if (!ip_addr_is_any(&sk->laddr))
		*src = sk->laddr;
	return 0;
}

/**
 * tcp_connect() - start an active open (RFC 9293 3.10.1, OPEN call)
 * @sk: the socket
 * @addr: remote address, of the socket's family (an AF_INET6 socket's
 *        may be ::ffff:a.b.c.d: then the connection is IPv4)
 * @port: remote port
 * @now: current time
 *
 * The unspecified address is our bound address, or the loopback (Linux's
 * ip_route_output: "if (!fl4->daddr) ... daddr = saddr = INADDR_LOOPBACK",
 * and tcp_v6_connect()).
 *
 * Return: -EINPROGRESS (the SYN is out; TCP_EV_CONNECTED or TCP_EV_ERROR
 * follows), 0 (TCP_FASTOPEN_CONNECT with a cookie: the SYN waits for the
 * first tcp_send()), -EALREADY, -EISCONN, -ENETUNREACH, -EADDRNOTAVAIL, -ENOBUFS,
 * -EAFNOSUPPORT, -EINVAL (bound to 127/8, to a peer not ours; IPv6
 * link-local without an interface)
 */
int tcp_connect(struct tcp_sock *sk, const struct ip_addr *addr,
		uint16_t port, uint64_t now)
{
	size_t taken;

	return tcp_connect_data(sk, addr, port, NULL, 0, true, &taken, now);
}

/**
 * tcp_connect_data() - tcp_connect(), with MSG_FASTOPEN's data (RFC 7413)
 * @sk: the socket
 * @addr: remote address, as tcp_connect()'s
 * @port: remote port
 * @data: bytes for the peer (a Fast Open connect), or NULL: a Fast Open
 *        connect only with TCP_FASTOPEN_CONNECT
 * @len: their number
 * @syn_only: take only what the SYN carries (a non-blocking send, which
 *            Linux fails with EINPROGRESS when no cookie lets data go);
 *            else all of it (at most the send buffer), the rest to go
 *            after the handshake
 * @taken: set to the bytes taken
 * @now: current time
 *
 * Return: as tcp_connect(); -EOPNOTSUPP for data without tcp-fastopen's
 * client bit
 */
int tcp_connect_data(struct tcp_sock *sk, const struct ip_addr *addr,
		     uint16_t port, const void *data, size_t len,
		     bool syn_only, size_t *taken, uint64_t now)
{
	struct stack *s = sk->s;
	struct ip_addr dst, src, to;
	int rc = tcp_connect_check(sk);

	s->now = now;
	*taken = 0;
	if (!rc && data && !(s->cfg.tcp_fastopen & TCP_TFO_CLIENT))
		rc = -EOPNOTSUPP;
	if (rc)
		return rc;
	if (dns_stub_tcp_target(s, addr, port, &to))
		addr = &to;
	rc = tcp_connect_addrs(sk, addr, port, &dst, &src);
	if (rc)
		return rc;
	tcp_enter(s);
	sk->active = true;
	sk->raddr = dst;
	sk->rport = port;
	sk->laddr = src;
	if (!sk->lport) {
		rc = tcp_pick_ephemeral(sk);
		if (rc)
			goto fail;
		tcp_hash_bound(sk);
	} else if (tcp_lookup_conn(s, &sk->laddr, sk->lport, &dst, port)) {
		rc = -EADDRNOTAVAIL;
		goto fail;
	}
	sk->iss = tcp_isn(s, &sk->laddr, sk->lport, &dst, port);
	sk->snd_una = sk->snd_nxt = sk->snd_max = sk->snd_sml = sk->iss;
	sk->mss = tcp_mss_for_route(s, &dst);
	tcp_prepare_active(sk);
	rc = tcp_bufs_alloc(sk);
	if (rc)
		goto fail;
	sk->err = 0;
	sk->ts_offset = tcp_ts_offset(s, &sk->laddr, &sk->raddr);
	tcp_cc_set(sk, sk->cc_algo);
	tcp_hash_conn(sk);
	tcp_set_state(sk, TCP_SYN_SENT);
	CNT(s, tcp_active_opens);
	sk->tfo_req = data || (sk->tfo_connect &&
			       (s->cfg.tcp_fastopen & TCP_TFO_CLIENT));
	if (sk->tfo_req)
		*taken = tcp_tfo_connect(sk, data, len, syn_only);
	if (sk->tfo_req && !data && tcp_tfo_defer(sk)) {
		/* TCP_FASTOPEN_CONNECT with a cookie: "connected", the SYN
		 * waits for data (Linux's DEFER_CONNECT) */
		tcp_leave(s);
		return 0;
	}
	tcp_send_syn(sk);
	tcp_leave(s);
	return -EINPROGRESS;
fail:
	sk->raddr = ip_any(sk->laddr.family);
	sk->rport = 0;
	tcp_leave(s);
	return rc;
}

/**
 * tcp_accept() - take an established connection from a listener
 * @sk: the listener
 * @child: set to the connection, which the host now holds
 *
 * Return: 0, -EAGAIN if none is ready, -EINVAL if @sk is not listening
 */
int tcp_accept(struct tcp_sock *sk, struct tcp_sock **child)
{
	struct tcp_sock *c;

	if (sk->state != TCP_LISTEN)
		return -EINVAL;
	c = sk->lq->accept_q;
	if (!c)
		return -EAGAIN;
	sk->lq->accept_q = c->qnext;
	if (sk->lq->accept_tail == c)
		sk->lq->accept_tail = NULL;
	sk->lq->accept_qlen--;
	c->qnext = NULL;
	c->parent = NULL;
	c->on_accept_q = false;
	c->held = true;
	*child = c;
	return 0;
}

/* The states a program may send in: a Fast Open child's SYN_RECEIVED too,
 * and a deferred Fast Open connect's SYN_SENT */
static bool tcp_can_send(const struct tcp_sock *sk)
{
	return sk->state == TCP_ESTABLISHED || sk->state == TCP_CLOSE_WAIT ||
	       tcp_passive_fastopen(sk) || sk->tfo_defer;
}

/**
 * tcp_send_space() - bytes tcp_send() would take now
 * @sk: the socket
 *
 * An empty ring without its bytes takes what tcp_ring_ensure() would give
 * it: its capacity, or TCP_RING_MIN when memory is short.
 *
 * Return: free send buffer space, 0 when the state does not allow sending
 */
size_t tcp_send_space(const struct tcp_sock *sk)
{
	const struct tcp_ring *r = &sk->sndq;

	if (!tcp_can_send(sk) || sk->shut_wr || !r->cap)
		return 0;
	if (!r->buf && r->cap > TCP_RING_MIN && !tcp_mem_room(sk->s, r->cap))
		return TCP_RING_MIN;
	/* a buffer shrunk (SO_SNDBUF) keeps its ring until it drains, but
	 * takes no more than its new size */
	if (r->size < r->cap)
		return r->len < r->size ? r->size - r->len : 0;
	return tcp_ring_free(r);
}

/**
 * tcp_send_unsent() - bytes queued and never sent (Linux's notsent:
 * write_seq - snd_nxt)
 * @sk: the socket
 *
 * Return: bytes
 */
uint32_t tcp_send_unsent(const struct tcp_sock *sk)
{
	uint32_t end = sk->sndq_seq + sk->sndq.len;

	return SEQ_GT(end, sk->snd_nxt) ? end - sk->snd_nxt : 0;
}

/**
 * tcp_send_end() - the sequence number after the last byte queued to send
 * (Linux's write_seq): where a byte the host hands over next will go
 * @sk: the socket
 *
 * Return: the sequence number
 */
uint32_t tcp_send_end(const struct tcp_sock *sk)
{
	return sk->sndq_seq + sk->sndq.len;
}

/**
 * tcp_send_una() - SND.UNA: the first byte the peer has not acknowledged
 * @sk: the socket
 *
 * Return: the sequence number
 */
uint32_t tcp_send_una(const struct tcp_sock *sk)
{
	return sk->snd_una;
}

/* The errors tcp_send() reports before looking at space; 0 if none. */
static int tcp_send_check(struct tcp_sock *sk)
{
	int err;

	if (sk->err) {
		err = sk->err;
		sk->err = 0;
		return err;
	}
	if (sk->shut_wr)
		return -EPIPE;
	if ((sk->state == TCP_SYN_SENT && !sk->tfo_defer) ||
	    (sk->state == TCP_SYN_RECEIVED && !tcp_passive_fastopen(sk)))
		return -EAGAIN;
	if (!tcp_can_send(sk))
		return sk->state == TCP_CLOSED || sk->state == TCP_LISTEN ?
		       (sk->in_conn_hash || sk->bytes_acked ? -EPIPE : -ENOTCONN) :
		       -EPIPE;
	return 0;
}

/**
 * tcp_send_spans() - the free send space, for the host to fill in place
 * @sk: the socket
 * @sp: set to up to two spans (the ring may wrap); unused ones empty
 *
 * A host that reads its channel straight into these spans then calls
 * tcp_send_commit() with what it put there: no copy in between.
 *
 * Return: total bytes in @sp (tcp_send_space())
 */
size_t tcp_send_spans(struct tcp_sock *sk, struct tcp_span sp[2])
{
	struct tcp_ring *r = &sk->sndq;
	size_t room = tcp_send_space(sk), pos, first;

	sp[0].base = sp[1].base = NULL;
	sp[0].len = sp[1].len = 0;
	if (!room || tcp_ring_ensure(sk, r))
		return 0;
	pos = (r->head + r->len) % r->cap;
	first = r->cap - pos < room ? r->cap - pos : room;
	sp[0].base = r->buf + pos;
	sp[0].len = first;
	sp[1].base = r->buf;
	sp[1].len = room - first;
	return room;
}

/**
 * tcp_send_commit() - queue @n bytes the host wrote into tcp_send_spans()
 * @sk: the socket
 * @n: bytes written there
 * @now: current time
 *
 * A host that found nothing to put there commits 0: a ring that holds
 * nothing goes back (memory by use), nothing is sent. What one commit
 * queues is one write of the program's: the segment that carries its
 * last byte has PSH (tcp_push_mark()).
 *
 * Return: @n, or an error as tcp_send(), or -EINVAL if @n exceeds the space
 */
ssize_t tcp_send_commit(struct tcp_sock *sk, size_t n, uint64_t now)
{
	struct stack *s = sk->s;
	int err;

	if (!n) {
		tcp_ring_release(sk, &sk->sndq);
		return 0;
	}
	s->now = now;
	err = tcp_send_check(sk);
	if (err)
		return err;
	if (n > tcp_ring_free(&sk->sndq))
		return -EINVAL;
	tcp_enter(s);
	tcp_slow_start_after_idle_check(sk);
	tcp_push_mark(sk, sk->sndq_seq + sk->sndq.len,
		      sk->sndq_seq + sk->sndq.len + (uint32_t)n);
	sk->sndq.len += (uint32_t)n;
	if (sk->tfo_defer)
		tcp_tfo_send_deferred(sk);      /* the SYN, with this data */
	else
		tcp_output(sk);
	/* the program filled the buffer: limited by it (Linux starts this
	 * chrono when tcp_sendmsg() waits for memory) */
	if (!tcp_ring_free(&sk->sndq))
		tcp_chrono_start(sk, TCP_CHRONO_SNDBUF);
	tcp_leave(s);
	return (ssize_t)n;
}

/**
 * tcp_slow_start_after_idle_check() - RFC 5681 4.1 restart window
 * @sk: the socket, about to queue new data
 *
 * Linux's tcp_slow_start_after_idle_check() (called as new data is
 * queued, tcp_skb_entail()): with net.ipv4.tcp_slow_start_after_idle, no
 * packets out, and more than an RTO since data was last sent (lsndtime,
 * which starts when the connection does), tcp_cwnd_restart(): ssthresh
 * becomes tcp_current_ssthresh() (max(ssthresh, 3/4 cwnd) outside
 * recovery), and cwnd halves once for each whole RTO of the idle time
 * beyond the first ("while ((delta -= rto) > 0 && cwnd > restart_cwnd)
 * cwnd >>= 1"), never below the restart window min(init_cwnd, cwnd).
 * In segments, as Linux counts cwnd.
 */
void tcp_slow_start_after_idle_check(struct tcp_sock *sk)
{
	struct stack *s = sk->s;
	uint64_t idle = sk->last_data_sent ?
			tcp_stamp_age(sk->last_data_sent, s->now) :
			s->now - sk->state_since;
	uint32_t mss = sk->mss ? sk->mss : 1, cwnd, restart, cur;
	int64_t delta;

	if (!s->cfg.tcp_slow_start_after_idle || sk->snd_una != sk->snd_max ||
	    !sk->rto || idle <= sk->rto)
		return;
	/* jiffies, as Linux's tcp_jiffies32 - lsndtime against icsk_rto */
	delta = (int64_t)(idle / NSEC_PER_MSEC);
	cwnd = sk->cwnd / mss;
	restart = s->cfg.tcp_init_cwnd < cwnd ? s->cfg.tcp_init_cwnd : cwnd;
	if (!sk->in_recovery && !sk->in_loss) {
		cur = ((cwnd >> 1) + (cwnd >> 2)) * mss;
		if (cur > sk->ssthresh)
			sk->ssthresh = cur;
	}
	while ((delta -= (int64_t)(sk->rto / NSEC_PER_MSEC)) > 0 &&
	       cwnd > restart)
		cwnd >>= 1;
	if (cwnd < restart)
		cwnd = restart;
	if (cwnd * mss < sk->cwnd)
		sk->cwnd = cwnd * mss;
}

/**
 * tcp_send() - queue bytes for sending (copied)
 * @sk: the socket
 * @buf: the bytes
 * @len: their number
 * @now: current time
 *
 * Return: bytes accepted (at most tcp_send_space()), -EAGAIN if none fit,
 * a pending error (-ECONNRESET...), -EPIPE after shutdown or FIN,
 * -ENOTCONN before a connection
 */
ssize_t tcp_send(struct tcp_sock *sk, const void *buf, size_t len,
		 uint64_t now)
{
	int err;
	uint32_t n;

	sk->s->now = now;
	err = tcp_send_check(sk);
	if (err)
		return err;
	n = (uint32_t)tcp_send_space(sk);
	if (n == 0 || tcp_ring_ensure(sk, &sk->sndq))
		return -EAGAIN;
	if (len < n)
		n = (uint32_t)len;
	tcp_ring_copy_in(&sk->sndq, sk->sndq.len, buf, n);
	return tcp_send_commit(sk, n, now);
}

/**
 * tcp_recv_avail() - bytes tcp_recv() would return now
 * @sk: the socket
 *
 * Return: bytes in order in the receive buffer
 */
size_t tcp_recv_avail(const struct tcp_sock *sk)
{
	return sk->rcvq.len;
}

/**
 * tcp_recv_eof() - the peer's FIN arrived and everything before it was read
 * @sk: the socket
 *
 * Return: true at end of stream
 */
bool tcp_recv_eof(const struct tcp_sock *sk)
{
	return sk->fin_rcvd && sk->rcvq.len == 0;
}

/* The largest window we offer: Linux's window_clamp. */
static uint32_t tcp_wnd_max(const struct tcp_sock *sk)
{
	uint32_t max = 65535u << sk->rcv_wscale;

	if (sk->rcvq.size < max)
		max = sk->rcvq.size;
	if (sk->window_clamp && sk->window_clamp < max)
		max = sk->window_clamp;
	return max;
}

/*
 * After the program read: announce a window that opened enough, by
 * Linux's rule (tcp_cleanup_rbuf()): only when what is left of the window
 * offered is at most half the largest, and the window now is at least
 * twice that. Not once the peer's FIN came or reading was shut down.
 */
static void tcp_window_update(struct tcp_sock *sk)
{
	uint32_t cur = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ?
		       sk->rcv_adv - sk->rcv_nxt : 0;
	uint32_t now_wnd;

	if (sk->state != TCP_ESTABLISHED && sk->state != TCP_FIN_WAIT_1 &&
	    sk->state != TCP_FIN_WAIT_2)
		return;
	if (sk->shut_rd || (uint64_t)cur * 2 > tcp_wnd_max(sk))
		return;
	/* the window the ACK would carry, not the ring's free space (its
	 * slack is never offered) */
	now_wnd = tcp_rcv_window(sk);
	if (now_wnd && now_wnd >= (uint64_t)cur * 2)
		tcp_send_ack(sk);
}

/**
 * tcp_recv_watch() - whether a read of the program's would be worth an
 * update now: bytes are unread and the window left is small enough
 * @sk: the socket
 *
 * Return: true if the host should tell of the next read at once
 */
bool tcp_recv_watch(const struct tcp_sock *sk)
{
	uint32_t cur = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ?
		       sk->rcv_adv - sk->rcv_nxt : 0;

	return sk->rcv_unread && !sk->shut_rd && !sk->fin_rcvd &&
	       (uint64_t)cur * 2 <= tcp_wnd_max(sk);
}

/* The program read all but @unread of what was passed: autotuning sees
 * it (Linux's tcp_rcv_space_adjust() runs as the program reads) */
static void tcp_rcv_read(struct tcp_sock *sk, uint32_t unread)
{
	if (unread >= sk->rcv_unread)
		return;
	sk->rcv_copied += sk->rcv_unread - unread;
	sk->rcv_unread = unread;
}

/**
 * tcp_rcv_unread_now() - the passed bytes the program has not read, as
 * the host says now
 * @sk: the socket
 *
 * Return: bytes
 */
uint32_t tcp_rcv_unread_now(struct tcp_sock *sk)
{
	struct stack *s = sk->s;

	if (sk->rcv_unread && s->ops->sock_unread)
		tcp_rcv_read(sk, s->ops->sock_unread(s->ctx, sk));
	return sk->rcv_unread;
}

/* With nothing to read: end of stream (0), an error, or -EAGAIN. */
static int tcp_recv_empty(struct tcp_sock *sk)
{
	int err;

	if (sk->err) {
		err = sk->err;
		sk->err = 0;
		return err;
	}
	if (sk->fin_rcvd || sk->shut_rd)
		return 0;
	if (sk->state == TCP_LISTEN ||
	    (sk->state == TCP_CLOSED && !sk->in_conn_hash))
		return sk->state == TCP_CLOSED && sk->bytes_received ? 0 :
								       -ENOTCONN;
	return -EAGAIN;
}

/**
 * tcp_recv_spans() - the received in-order bytes, in place
 * @sk: the socket
 * @sp: set to up to two spans (the ring may wrap); unused ones empty
 *
 * A host that writes these straight to its channel then calls
 * tcp_recv_consume() with what the channel took: no copy in between.
 *
 * Return: total bytes in @sp (tcp_recv_avail())
 */
size_t tcp_recv_spans(const struct tcp_sock *sk, struct tcp_span sp[2])
{
	const struct tcp_ring *r = &sk->rcvq;
	size_t first;

	sp[0].base = sp[1].base = NULL;
	sp[0].len = sp[1].len = 0;
	if (!r->len)
		return 0;
	first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
	sp[0].base = r->buf + r->head;
	sp[0].len = first;
	sp[1].base = r->buf;
	sp[1].len = r->len - first;
	return r->len;
}

/* @n bytes leave the ring, of which the program read @read now */
static int tcp_recv_take(struct tcp_sock *sk, size_t n, uint32_t read,
			 uint64_t now)
{
	struct stack *s = sk->s;

	s->now = now;
	if (n > sk->rcvq.len)
		return -EINVAL;
	if (!n)
		return 0;
	tcp_enter(s);
	sk->rcvq.head = (uint32_t)((sk->rcvq.head + n) % sk->rcvq.cap);
	sk->rcvq.len -= (uint32_t)n;
	tcp_ring_release(sk, &sk->rcvq);   /* if all was read */
	tcp_rcvbuf_autotune(sk, read);
	tcp_window_update(sk);
	tcp_leave(s);
	return 0;
}

/**
 * tcp_recv_consume() - drop @n bytes the host has taken from the front
 * @sk: the socket
 * @n: bytes, at most tcp_recv_avail()
 * @now: current time
 *
 * The window opens (and is announced once it is worth it, RFC 1122
 * 4.2.3.3); autotuning sees the application's pace.
 *
 * Return: 0, or -EINVAL if @n exceeds what is queued
 */
int tcp_recv_consume(struct tcp_sock *sk, size_t n, uint64_t now)
{
	return tcp_recv_take(sk, n, (uint32_t)n, now);
}

/**
 * tcp_recv() - copy received bytes out
 * @sk: the socket
 * @buf: destination
 * @len: its size
 * @flags: TCP_RECV_PEEK to leave the bytes queued
 * @now: current time
 *
 * Return: bytes copied, 0 at end of stream (peer's FIN, all read),
 * -EAGAIN if nothing yet, a pending error, -ENOTCONN
 */
ssize_t tcp_recv(struct tcp_sock *sk, void *buf, size_t len, int flags,
		 uint64_t now)
{
	uint32_t n = sk->rcvq.len;

	sk->s->now = now;
	if (n == 0)
		return tcp_recv_empty(sk);
	if (len < n)
		n = (uint32_t)len;
	tcp_ring_copy_out(&sk->rcvq, 0, buf, n);
	if (!(flags & TCP_RECV_PEEK))
		tcp_recv_consume(sk, n, now);
	return n;
}

/**
 * tcp_recv_pass() - the host passed @n bytes from the front on to its
 * program, which has not read them yet
 * @sk: the socket
 * @n: bytes, at most tcp_recv_avail()
 * @now: current time
 *
 * They leave the ring but still fill the receive buffer: the window does
 * not open for them until the program reads them (tcp_recv_unread(), or
 * stack_ops.sock_unread when a window is worked out).
 *
 * Return: 0, or -EINVAL if @n exceeds what is queued
 */
int tcp_recv_pass(struct tcp_sock *sk, size_t n, uint64_t now)
{
	if (n > sk->rcvq.len)
		return -EINVAL;
	sk->rcv_unread += (uint32_t)n;
	/* autotuning follows the program's reads (tcp_rcv_read()) */
	return tcp_recv_take(sk, n, 0, now);
}

/**
 * tcp_recv_unread() - the program read some of the passed bytes
 * @sk: the socket
 * @unread: how many it has still not read
 * @now: current time
 *
 * The window opens, and is announced as Linux announces it after a read.
 *
 * Return: whether the host should tell of the program's next read at once
 * (the window left is small: that read may be worth an update)
 */
bool tcp_recv_unread(struct tcp_sock *sk, uint32_t unread, uint64_t now)
{
	struct stack *s = sk->s;

	s->now = now;
	if (unread < sk->rcv_unread) {
		tcp_rcv_read(sk, unread);
		tcp_enter(s);
		tcp_window_update(sk);
		tcp_leave(s);
	}
	return tcp_recv_watch(sk);
}

static void tcp_stop_listening(struct tcp_sock *sk);

/* RFC 9293 3.10.4 CLOSE call, the part that sends our FIN. */
static void tcp_queue_fin(struct tcp_sock *sk)
{
	switch (sk->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		/* "Queue this until all preceding SENDs have been
		 * segmentized, then form a FIN segment and send it. In any
		 * case, enter FIN-WAIT-1 state." */
		tcp_set_state(sk, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		/* "Queue this request until all preceding SENDs have been
		 * segmentized; then send a FIN segment, enter LAST-ACK." */
		tcp_set_state(sk, TCP_LAST_ACK);
		break;
	default:
		return;
	}
	sk->shut_wr = true;
	tcp_output(sk);
}

/**
 * tcp_shutdown() - shut one or both directions
 * @sk: the socket
 * @how: TCP_SHUT_RD, TCP_SHUT_WR or TCP_SHUT_RDWR
 * @now: current time
 *
 * Return: 0, -EINVAL for a bad @how, -ENOTCONN when not connected
 */
int tcp_shutdown(struct tcp_sock *sk, int how, uint64_t now)
{
	struct stack *s = sk->s;

	s->now = now;
	if (how < TCP_SHUT_RD || how > TCP_SHUT_RDWR)
		return -EINVAL;
	if (sk->state == TCP_CLOSED)
		return -ENOTCONN;
	tcp_enter(s);
	/* as Linux's inet_shutdown(): a connect in progress is abandoned,
	 * a listener stops listening when its receive side is shut */
	if (sk->state == TCP_SYN_SENT ||
	    (sk->state == TCP_LISTEN && how != TCP_SHUT_WR)) {
		if (sk->state == TCP_LISTEN)
			tcp_stop_listening(sk);
		else
			tcp_done(sk, 0);
		tcp_leave(s);
		return 0;
	}
	if (sk->state == TCP_LISTEN) {
		tcp_leave(s);
		return 0;
	}
	if (how != TCP_SHUT_WR) {
		sk->shut_rd = true;
		tcp_event(sk, TCP_EV_READABLE);
	}
	if (how != TCP_SHUT_RD)
		tcp_queue_fin(sk);
	tcp_leave(s);
	return 0;
}

/*
 * Reset the connection (RFC 9293 ABORT call) and finish it with @err for a
 * holder to read (0: none, as for the host's own abort or close).
 */
static void tcp_reset_conn(struct tcp_sock *sk, int err)
{
	switch (sk->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		/* "Send a reset segment: <SEQ=SND.NXT><CTL=RST>" */
		tcp_send_active_rst(sk);
		break;
	default:
		break;
	}
	tcp_done(sk, err);
}

/* Reset every child nobody accepted and leave TCP_LISTEN. */
static void tcp_stop_listening(struct tcp_sock *sk)
{
	while (sk->lq->syn_q)
		tcp_reset_conn(sk->lq->syn_q, 0);
	while (sk->lq->accept_q)
		tcp_reset_conn(sk->lq->accept_q, 0);
	sk->listening = false;
	tcp_done(sk, 0);
}

static void tcp_close_listener(struct tcp_sock *sk)
{
	tcp_stop_listening(sk);
}

/**
 * tcp_close() - the host lets go of @sk; the connection closes gracefully
 * @sk: the socket; the host must not use it afterwards
 * @now: current time
 *
 * Sends FIN after queued data (RFC 9293 CLOSE). With unread received data
 * it resets instead (RFC 2525 2.17, as Linux); with SO_LINGER {1, 0} it
 * aborts.
 */
void tcp_close(struct tcp_sock *sk, uint64_t now)
{
	struct stack *s = sk->s;

	s->now = now;
	tcp_enter(s);
	sk->held = false;
	if (sk->state == TCP_LISTEN) {
		tcp_close_listener(sk);
	} else if (sk->state == TCP_CLOSED || sk->state == TCP_SYN_SENT) {
		tcp_done(sk, 0);
	} else if (sk->rcvq.len && sk->state != TCP_TIME_WAIT) {
		CNT(s, tcp_close_unread_rst);
		tcp_reset_conn(sk, 0);
	} else if (sk->linger_on && sk->linger == 0) {
		tcp_reset_conn(sk, 0);
	} else {
		sk->shut_rd = true;
		tcp_queue_fin(sk);
		if (sk->state == TCP_FIN_WAIT_2 && sk->linger2 < 0) {
			/* tcp_close(): TCP_LINGER2 < 0 resets an orphan in
			 * FIN_WAIT_2 at once */
			tcp_reset_conn(sk, 0);
		} else if (sk->state == TCP_FIN_WAIT_2) {
			tcp_arm_misc(sk, TCP_TIMER_FIN_WAIT_2,
				     tcp_fin_wait2_time(sk));
		}
		if (sk->state == TCP_TIME_WAIT)
			tcp_bufs_release(sk);
	}
	tcp_leave(s);
}

/**
 * tcp_abort() - reset the connection and let go of @sk (SO_LINGER {1, 0})
 * @sk: the socket; the host must not use it afterwards
 * @now: current time
 */
void tcp_abort(struct tcp_sock *sk, uint64_t now)
{
	struct stack *s = sk->s;

	s->now = now;
	tcp_enter(s);
	sk->held = false;
	if (sk->state == TCP_LISTEN)
		tcp_close_listener(sk);
	else
		tcp_reset_conn(sk, 0);
	tcp_leave(s);
}

/* SO_SNDBUF/SO_RCVBUF (stack_sockbuf_size(): Linux's rule) fix the size:
 * no more autotuning. Before the buffers exist any size goes; afterwards
 * the send buffer grows or shrinks (what is queued stays), the receive
 * buffer only grows (the window offered never moves back). */
static int tcp_set_bufsize(struct tcp_sock *sk, bool snd, int val, bool force)
{
	uint32_t v = stack_sockbuf_size(sk->s, val, snd, force);

	if (snd)
		sk->sndbuf_locked = true;
	else
		sk->rcvbuf_locked = true;
	if (!snd)
		v = tcp_win_from_space(v);      /* the ring holds the window */
	if (!sk->sndq.cap) {   /* no connection yet: tcp_bufs_alloc() */
		if (snd)
			sk->sndq.size = v;
		else
			sk->rcvq.size = v;
		return 0;
	}
	if (snd && v > sk->sndq.size && !tcp_ring_grow(sk, &sk->sndq, v))
		sk->sndq.size = v;
	/* smaller: as Linux's sk_sndbuf, what is queued stays and no more
	 * is taken until it is below; the ring, once empty, comes back at
	 * the new size (tcp_ring_release()) */
	if (snd && v < sk->sndq.size) {
		sk->sndq.size = v;
		if (!sk->sndq.buf)
			sk->sndq.cap = v;
	}
	if (!snd && v > sk->rcvq.size &&
	    !tcp_ring_grow(sk, &sk->rcvq, v + (sk->rcvq.cap - sk->rcvq.size)))
		sk->rcvq.size = v;
	return 0;
}

/*
 * TCP_KEEPIDLE on a connection whose keepalive runs: the timer is armed
 * again for the new idle time less what has passed since the peer was
 * last heard, as Linux's do_tcp_setsockopt() (keepalive_time_elapsed()).
 */
static void tcp_keepalive_rearm(struct tcp_sock *sk)
{
	uint64_t idle = (uint64_t)sk->keepidle_s * NSEC_PER_SEC;
	uint64_t elapsed = sk->s->now - sk->last_rcv;

	if (!sk->keepalive || (sk->state != TCP_ESTABLISHED &&
			       sk->state != TCP_CLOSE_WAIT))
		return;
	if (sk->misc_kind != TCP_TIMER_KEEPALIVE &&
	    sk->misc_kind != TCP_TIMER_NONE)
		return;         /* another use of the timer runs */
	tcp_arm_misc(sk, TCP_TIMER_KEEPALIVE, idle > elapsed ? idle - elapsed
							      : 0);
}

/* SO_BINDTOIFINDEX: one of the engine's interfaces, or 0 for none */
static int tcp_set_bound_if(struct tcp_sock *sk, int val)
{
	if (val && !stack_netif(sk->s, (unsigned)val))
		return -ENODEV;
	sk->bound_if = (uint8_t)val;
	return 0;
}

/*
 * TCP_DEFER_ACCEPT's seconds as SYN-ACK timeouts and back, as Linux's
 * secs_to_retrans() and retrans_to_secs() with its initial RTO (1 s) and
 * RTO_MAX (120 s): 5 s is 3 timeouts, read back as 1 + 2 + 4 = 7 s.
 */
static uint8_t defer_secs_to_retrans(int secs)
{
	int period = 1, timeout = 1;
	uint8_t res = 0;

	if (secs > 0) {
		res = 1;
		while (secs > period && res < 255) {
			res++;
			timeout = timeout * 2 > 120 ? 120 : timeout * 2;
			period += timeout;
		}
	}
	return res;
}

static int defer_retrans_to_secs(uint8_t retrans)
{
	int period = 0, timeout = 1;

	if (retrans > 0) {
		period = timeout;
		while (--retrans) {
			timeout = timeout * 2 > 120 ? 120 : timeout * 2;
			period += timeout;
		}
	}
	return period;
}

/*
 * TCP_WINDOW_CLAMP, as Linux's tcp_set_window_clamp(): 0 only before the
 * connection (EINVAL after), otherwise at least half of SOCK_MIN_RCVBUF;
 * the window advertised from then on is at most the clamp (tcp_rcv_window()
 * never moves the right edge back, so it shrinks as data comes).
 */
static int tcp_set_window_clamp(struct tcp_sock *sk, int val)
{
	if (!val) {
		if (sk->state != TCP_CLOSED)
			return -EINVAL;
		sk->window_clamp = 0;
		return 0;
	}
	/* SOCK_MIN_RCVBUF / 2: (2048 + 2 * sizeof(struct sk_buff)) / 2 */
	sk->window_clamp = val < 1200 ? 1200u : (uint32_t)val;
	return 0;
}

/**
 * tcp_setsockopt() - set one option
 * @sk: the socket
 * @opt: which
 * @val: the value (see enum tcp_sockopt)
 * @now: current time (SO_KEEPALIVE arms a timer, TCP_NODELAY may send)
 *
 * Return: 0, -EINVAL for a value Linux refuses, -ENOPROTOOPT
 */
int tcp_setsockopt(struct tcp_sock *sk, enum tcp_sockopt opt, int val,
		   uint64_t now)
{
	sk->s->now = now;
	switch (opt) {
	case TCP_SO_SNDBUF:
	case TCP_SO_RCVBUF:
		return tcp_set_bufsize(sk, opt == TCP_SO_SNDBUF, val, false);
	case TCP_SO_SNDBUFFORCE:
	case TCP_SO_RCVBUFFORCE:
		return tcp_set_bufsize(sk, opt == TCP_SO_SNDBUFFORCE, val,
				       true);
	case TCP_SO_REUSEADDR:
		sk->reuseaddr = val != 0;
		return 0;
	case TCP_SO_REUSEPORT:
		sk->reuseport = val != 0;
		return 0;
	case TCP_SO_KEEPALIVE:
		sk->keepalive = val != 0;
		if (sk->state == TCP_ESTABLISHED || sk->state == TCP_CLOSE_WAIT)
			tcp_arm_misc(sk, val ? TCP_TIMER_KEEPALIVE : TCP_TIMER_NONE,
				     (uint64_t)sk->keepidle_s * NSEC_PER_SEC);
		return 0;
	case TCP_SO_LINGER:
		sk->linger_on = val >= 0;
		sk->linger = val;
		return 0;
	case TCP_OPT_NODELAY:
		/* as Linux's do_tcp_setsockopt(): setting it pushes what
		 * is queued, TCP_CORK or not (tcp_push_pending_frames()
		 * with TCP_NAGLE_PUSH); the cork holds what comes after */
		sk->nodelay = val != 0;
		if (sk->nodelay) {
			sk->push = true;
			tcp_output(sk);
			sk->push = false;
		}
		return 0;
	case TCP_OPT_CORK:
		sk->cork = val != 0;
		if (!sk->cork)
			tcp_output(sk);
		return 0;
	case TCP_OPT_KEEPIDLE:
	case TCP_OPT_KEEPINTVL:
		if (val < 1 || val > 32767)
			return -EINVAL;
		if (opt == TCP_OPT_KEEPIDLE) {
			sk->keepidle_s = (unsigned)val;
			tcp_keepalive_rearm(sk);
		} else {
			sk->keepintvl_s = (unsigned)val;
		}
		return 0;
	case TCP_OPT_KEEPCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		sk->keepcnt = (unsigned)val;
		return 0;
	case TCP_OPT_USER_TIMEOUT:
		/* Linux's do_tcp_setsockopt(): an unsigned int, negative
		 * refused; it takes effect at the next timer */
		if (val < 0)
			return -EINVAL;
		sk->user_timeout_ms = (unsigned)val;
		return 0;
	case TCP_IP_TOS:
		/* do_ip_setsockopt(): a stream keeps its ECN bits */
		sk->ip_tos = (uint8_t)(val & ~3);
		return 0;
	case TCP_IP_TTL:
		if (val < 1 || val > 255)
			return -EINVAL;
		sk->ip_ttl = (uint8_t)val;
		return 0;
	case TCP_IP6_TCLASS:
	case TCP_IP6_HOPS:
		if (sk->family != IP_V6)
			return -ENOPROTOOPT;
		if (val < -1 || val > 255)
			return -EINVAL;
		if (opt == TCP_IP6_TCLASS)
			sk->ip6_tclass = val < 0 ? 0 : (uint8_t)(val & ~3);
		else
			sk->ip6_hops = val < 0 ? 0 : (uint8_t)val;
		return 0;
	case TCP_OPT_MAXSEG:
		if (val && (val < TCP_MIN_MSS || val > 65535 - 40))
			return -EINVAL;
		sk->user_mss = (uint16_t)val;
		return 0;
	case TCP_OPT_CONGESTION:
		if (val != TCP_CC_NEWRENO && val != TCP_CC_CUBIC)
			return -ENOENT;
		sk->cc_algo = (enum tcp_cc_algo)val;
		if (sk->cc)
			tcp_cc_set(sk, sk->cc_algo);
		return 0;
	case TCP_SO_BINDTOIFINDEX:
		return tcp_set_bound_if(sk, val);
	case TCP_IP6_V6ONLY:
		/* do_ipv6_setsockopt(): not once a port is bound */
		if (sk->family != IP_V6)
			return -ENOPROTOOPT;
		if (sk->lport)
			return -EINVAL;
		sk->v6only = val != 0;
		return 0;
	case TCP_SO_BUF_LOCK:
		/* sk_setsockopt(): SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK; a
		 * locked buffer is not autotuned */
		if (val & ~3)
			return -EINVAL;
		sk->sndbuf_locked = val & 1;
		sk->rcvbuf_locked = (val & 2) != 0;
		return 0;
	case TCP_OPT_SYNCNT:
		if (val < 1 || val > 127)      /* MAX_TCP_SYNCNT */
			return -EINVAL;
		sk->syncnt = (uint8_t)val;
		return 0;
	case TCP_OPT_LINGER2:
		/* do_tcp_setsockopt(): negative is "none", more than
		 * TCP_FIN_TIMEOUT_MAX (120 s) is that */
		sk->linger2 = (int16_t)(val < 0 ? -1 : val > 120 ? 120 : val);
		return 0;
	case TCP_OPT_WINDOW_CLAMP:
		return tcp_set_window_clamp(sk, val);
	case TCP_OPT_QUICKACK:
		/* __tcp_sock_set_quickack(): 0 delays ACKs (pingpong);
		 * otherwise an ACK due goes now, and bit 0 leaves pingpong */
		if (!val) {
			sk->pingpong = true;
			return 0;
		}
		sk->pingpong = false;
		if ((sk->state == TCP_ESTABLISHED ||
		     sk->state == TCP_CLOSE_WAIT) && sk->unacked_bytes) {
			sk->ack_now = true;
			tcp_ack_flush(sk);
		}
		if (!(val & 1))
			sk->pingpong = true;
		return 0;
	case TCP_OPT_THIN_LTO:
	case TCP_OPT_THIN_DUPACK:
		if (val < 0 || val > 1)
			return -EINVAL;
		if (opt == TCP_OPT_THIN_LTO)
			sk->thin_lto = val;
		return 0;
	case TCP_OPT_TIMESTAMP:
		return -EPERM;          /* Linux: only in repair mode */
	case TCP_OPT_SAVE_SYN:
		if (val < 0 || val > 2)
			return -EINVAL;
		sk->save_syn = (uint8_t)val;
		return 0;
	case TCP_IP_NONLOCAL:
		sk->nonlocal = val != 0;
		return 0;
	case TCP_IP_BIND_NO_PORT:
		sk->bind_no_port = val != 0;
		return 0;
	case TCP_IP_MINTTL:
		if (val < 0 || val > 255)
			return -EINVAL;
		sk->min_ttl = (uint8_t)val;
		return 0;
	case TCP_IP_PORT_RANGE:
		sk->port_range = (uint32_t)val;
		return 0;
	case TCP_OPT_DEFER_ACCEPT:
		sk->defer_accept = defer_secs_to_retrans(val);
		return 0;
	case TCP_OPT_FASTOPEN:
		/* do_tcp_setsockopt(): closed or listening; the length no
		 * more than somaxconn (fastopen_queue_tune()) */
		if (val < 0 || (sk->state != TCP_CLOSED &&
				sk->state != TCP_LISTEN))
			return -EINVAL;
		if (!val && !sk->lq)
			return 0;
		if (!tcp_lq(sk))
			return -ENOMEM;
		sk->lq->tfo_max_qlen = (uint32_t)val < sk->s->cfg.tcp_somaxconn ?
				       (uint32_t)val : sk->s->cfg.tcp_somaxconn;
		return 0;
	case TCP_OPT_FASTOPEN_CONNECT:
		if (val < 0 || val > 1)
			return -EINVAL;
		if (!(sk->s->cfg.tcp_fastopen & TCP_TFO_CLIENT))
			return -EOPNOTSUPP;
		if (sk->state != TCP_CLOSED)
			return -EINVAL;
		sk->tfo_connect = val;
		return 0;
	case TCP_OPT_FASTOPEN_NO_COOKIE:
		if (val < 0 || val > 1 || (sk->state != TCP_CLOSED &&
					   sk->state != TCP_LISTEN))
			return -EINVAL;
		sk->tfo_no_cookie = val;
		return 0;
	}
	return -ENOPROTOOPT;
}

/**
 * tcp_fastopen_key() - TCP_FASTOPEN_KEY, as Linux's: set, 16 bytes (a key)
 * or 32 (and a backup key, whose cookies are still taken), the socket's
 * own from then on; read, the socket's keys or else the stack's
 * @sk: the socket
 * @set: set from @key, or read into it
 * @key: the bytes
 * @len: their number; on a read, the room, set to what was written
 *
 * Return: 0, -EINVAL for a length not 16 or 32, -ENOMEM
 */
int tcp_fastopen_key(struct tcp_sock *sk, bool set, uint8_t *key,
		     size_t *len)
{
	struct tcp_tfo_key *k = sk->lq ? sk->lq->tfo_key : NULL;
	size_t n;

	if (!set) {
		uint8_t b[2 * TCP_TFO_KEY_LEN];

		n = k ? (k->backup ? 2u : 1u) * TCP_TFO_KEY_LEN :
			TCP_TFO_KEY_LEN;
		if (k)
			memcpy(b, k->raw, sizeof(b));
		else
			for (unsigned i = 0; i < TCP_TFO_KEY_LEN; i++)
				b[i] = (uint8_t)(sk->s->tcp->tfo_key[i / 8] >>
						 (8 * (i % 8)));
		if (*len > n)
			*len = n;
		memcpy(key, b, *len);
		return 0;
	}
	if (*len != TCP_TFO_KEY_LEN && *len != 2 * TCP_TFO_KEY_LEN)
		return -EINVAL;
	if (!tcp_lq(sk) || (!k && !(k = calloc(1, sizeof(*k)))))
		return -ENOMEM;
	memset(k, 0, sizeof(*k));
	memcpy(k->raw, key, *len);
	k->backup = *len == 2 * TCP_TFO_KEY_LEN;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t v = 0;

		for (int b = 7; b >= 0; b--)
			v = v << 8 | k->raw[i / 2][(i % 2) * 8 + (unsigned)b];
		k->key[i / 2][i % 2] = v;
	}
	sk->lq->tfo_key = k;
	return 0;
}

/**
 * tcp_getsockopt() - read one option
 * @sk: the socket
 * @opt: which
 * @val: set to the value
 *
 * Return: 0, or -ENOPROTOOPT
 */
int tcp_getsockopt(const struct tcp_sock *sk, enum tcp_sockopt opt,
		   int *val)
{
	switch (opt) {
	case TCP_SO_SNDBUF: *val = (int)sk->sndq.size; return 0;
	case TCP_SO_RCVBUF:
		*val = (int)tcp_space_from_win(sk->rcvq.size);
		return 0;
	case TCP_SO_REUSEADDR: *val = sk->reuseaddr; return 0;
	case TCP_SO_REUSEPORT: *val = sk->reuseport; return 0;
	case TCP_SO_KEEPALIVE: *val = sk->keepalive; return 0;
	case TCP_SO_LINGER: *val = sk->linger_on ? sk->linger : -1; return 0;
	case TCP_OPT_NODELAY: *val = sk->nodelay; return 0;
	case TCP_OPT_CORK: *val = sk->cork; return 0;
	case TCP_OPT_KEEPIDLE: *val = (int)sk->keepidle_s; return 0;
	case TCP_OPT_KEEPINTVL: *val = (int)sk->keepintvl_s; return 0;
	case TCP_OPT_KEEPCNT: *val = (int)sk->keepcnt; return 0;
	case TCP_OPT_USER_TIMEOUT: *val = (int)sk->user_timeout_ms; return 0;
	case TCP_OPT_MAXSEG:
		*val = sk->mss ? sk->mss : (sk->user_mss ? sk->user_mss :
						     TCP_DEFAULT_MSS);
		return 0;
	case TCP_OPT_CONGESTION: *val = sk->cc_algo; return 0;
	case TCP_SO_BINDTOIFINDEX: *val = sk->bound_if; return 0;
	case TCP_IP6_V6ONLY:
		if (sk->family != IP_V6)
			return -ENOPROTOOPT;
		*val = sk->v6only;
		return 0;
	case TCP_SO_BUF_LOCK:
		*val = sk->sndbuf_locked | sk->rcvbuf_locked << 1;
		return 0;
	case TCP_OPT_SYNCNT:
		*val = sk->syncnt ? sk->syncnt : (int)sk->s->cfg.tcp_syn_retries;
		return 0;
	case TCP_OPT_LINGER2:
		*val = sk->linger2 ? sk->linger2 :
		       (int)(sk->s->cfg.tcp_fin_timeout / NSEC_PER_SEC);
		return 0;
	case TCP_OPT_WINDOW_CLAMP:
		*val = (int)sk->window_clamp;
		return 0;
	case TCP_OPT_QUICKACK:
		*val = !sk->pingpong;
		return 0;
	case TCP_OPT_THIN_LTO:
		*val = sk->thin_lto;
		return 0;
	case TCP_OPT_THIN_DUPACK:
		*val = 0;
		return 0;
	case TCP_OPT_TIMESTAMP:
		*val = (int)tcp_tsval(sk);
		return 0;
	case TCP_OPT_SAVE_SYN:
		*val = sk->save_syn;
		return 0;
	case TCP_IP_NONLOCAL:
		*val = sk->nonlocal;
		return 0;
	case TCP_IP_BIND_NO_PORT:
		*val = sk->bind_no_port;
		return 0;
	case TCP_IP_MINTTL:
		*val = sk->min_ttl;
		return 0;
	case TCP_IP_PORT_RANGE:
		*val = (int)sk->port_range;
		return 0;
	case TCP_OPT_DEFER_ACCEPT:
		*val = defer_retrans_to_secs(sk->defer_accept);
		return 0;
	case TCP_OPT_FASTOPEN:
		*val = sk->lq ? (int)sk->lq->tfo_max_qlen : 0;
		return 0;
	case TCP_OPT_FASTOPEN_CONNECT:
		*val = sk->tfo_connect;
		return 0;
	case TCP_OPT_FASTOPEN_NO_COOKIE:
		*val = sk->tfo_no_cookie;
		return 0;
	case TCP_SO_SNDBUFFORCE:
	case TCP_SO_RCVBUFFORCE:
		break;               /* Linux: set only */
	case TCP_IP_TOS:
	case TCP_IP_TTL:
	case TCP_IP6_TCLASS:
	case TCP_IP6_HOPS:
		break;               /* the socket layer answers, as it keeps
				      * Linux's defaults and range checks */
	}
	return -ENOPROTOOPT;
}

/**
 * tcp_sock_error() - SO_ERROR: the pending error, cleared by reading
 * @sk: the socket
 *
 * Return: 0 or a negative errno
 */
int tcp_sock_error(struct tcp_sock *sk)
{
	int err = sk->err;

	sk->err = 0;
	return err;
}

/**
 * tcp_sock_state() - the RFC 9293 state
 * @sk: the socket
 *
 * Return: the state
 */
enum tcp_state tcp_sock_state(const struct tcp_sock *sk)
{
	return sk->state;
}

/**
 * tcp_getsockname() - local address and port (0 while unbound)
 * @sk: the socket (an AF_INET6 socket's IPv4 connection gives IPv4
 *      addresses, which the host shows as ::ffff:a.b.c.d)
 * @addr: set to the address
 * @port: set to the port
 */
void tcp_getsockname(const struct tcp_sock *sk, struct ip_addr *addr,
		     uint16_t *port)
{
	*addr = sk->laddr;
	*port = sk->lport;
}

/**
 * tcp_getpeername() - remote address and port (0 before connect)
 * @sk: the socket
 * @addr: set to the address
 * @port: set to the port
 */
void tcp_getpeername(const struct tcp_sock *sk, struct ip_addr *addr,
		     uint16_t *port)
{
	*addr = sk->raddr;
	*port = sk->rport;
}

static void tcp_info_timer(const struct tcp_sock *sk, struct tcp_info_rec *i,
			   uint64_t now)
{
	const struct timer *t = NULL;

	if (timer_armed(&sk->rtx)) {
		t = &sk->rtx;
		i->timer = sk->rtx_kind;
	}
	if (timer_armed(&sk->misc) && (!t || sk->misc.when < t->when)) {
		t = &sk->misc;
		i->timer = sk->misc_kind;
	}
	if (timer_armed(&sk->dack) && (!t || sk->dack.when < t->when)) {
		t = &sk->dack;
		i->timer = TCP_TIMER_DELACK;
	}
	if (!t)
		i->timer = TCP_TIMER_NONE;
	else
		i->timer_left = t->when > now ? t->when - now : 0;
}

/**
 * tcp_get_info() - the per-connection record (ustackctl, TCP_INFO)
 * @sk: the socket
 * @i: filled in
 * @now: current time
 */
void tcp_get_info(const struct tcp_sock *sk, struct tcp_info_rec *i,
		  uint64_t now)
{
	memset(i, 0, sizeof(*i));
	i->id = sk->id;
	i->state = sk->state;
	i->time_in_state = now - sk->state_since;
	tcp_info_timer(sk, i, now);
	i->laddr = sk->laddr;
	i->raddr = sk->raddr;
	i->family = sk->family;
	i->lport = sk->lport;
	i->rport = sk->rport;
	i->iss = sk->iss;
	i->irs = sk->irs;
	i->snd_una = sk->snd_una;
	i->snd_nxt = sk->snd_nxt;
	i->rcv_nxt = sk->rcv_nxt;
	i->snd_wnd = sk->snd_wnd;
	i->rcv_wnd = sk->rcv_adv - sk->rcv_nxt;
	i->snd_wscale = sk->snd_wscale;
	i->rcv_wscale = sk->rcv_wscale;
	i->ts = sk->ts_ok;
	i->sack = sk->sack_ok;
	i->snd_mss = sk->mss;
	i->rcv_mss = sk->rcv_mss;
	i->cwnd = sk->cwnd;
	i->ssthresh = sk->ssthresh;
	i->srtt = tcp_srtt(sk);
	i->rttvar = tcp_rttvar(sk);
	i->rto = sk->rto;
	i->retransmits = sk->backoff;
	i->total_retrans = sk->total_retrans;
	i->user_timeout_ms = sk->user_timeout_ms;
	i->snd_queued = sk->sndq.len;
	i->rcv_queued = sk->rcvq.len;
	i->sndbuf = sk->sndq.size;
	i->rcvbuf = tcp_space_from_win(sk->rcvq.size);
	i->bytes_acked = sk->bytes_acked;
	i->bytes_received = sk->bytes_received;
	i->cc = sk->cc_algo;
	i->mem = sizeof(*sk) + sk->mem;
	if (sk->lq) {
		i->syn_qlen = sk->lq->syn_qlen;
		i->accept_qlen = sk->lq->accept_qlen;
		i->backlog = sk->lq->backlog;
		i->mem += sizeof(*sk->lq);
	}
	i->rack_reo_wnd = tcp_rack_on(sk) ? tcp_rack_reo_wnd(sk) : 0;
	i->rack_min_rtt = sk->rack_min_rtt;
	i->rack_reord = sk->rack_reord;
	i->rack_lost = sk->rack_lost;
	tcp_info_fill(sk, i, now);
}

/**
 * tcp_find() - a connection by its id, or by its 4-tuple
 * @s: the stack
 * @id: the id from the info record, or 0 to match the 4-tuple instead
 * @laddr: local address
 * @lport: local port
 * @raddr: remote address
 * @rport: remote port
 *
 * Return: the live socket, or NULL (a linear walk: for ustackctl, not
 * for the data path). A closed socket its program has not closed yet is
 * no connection any more, and is not found.
 */
struct tcp_sock *tcp_find(struct stack *s, uint64_t id,
			  const struct ip_addr *laddr, uint16_t lport,
			  const struct ip_addr *raddr, uint16_t rport)
{
	for (struct tcp_sock *sk = s->tcp->all; sk; sk = sk->all_next) {
		if (sk->dead || sk->state == TCP_CLOSED)
			continue;
		if (id ? sk->id == id :
			 ip_addr_eq(&sk->laddr, laddr) && sk->lport == lport &&
			 ip_addr_eq(&sk->raddr, raddr) && sk->rport == rport &&
			 sk->state != TCP_LISTEN)
			return sk;
	}
	return NULL;
}

/**
 * tcp_terminate() - abort a connection from outside (ustackctl kill)
 * @sk: the connection, held by the host or not
 * @now: current time
 *
 * What Linux's SOCK_DESTROY (ss -K) does: a reset to the peer in the
 * states where RFC 9293 3.10.7 would send one on ABORT, then the socket
 * closes with -ECONNABORTED. A socket the host holds stays in TCP_CLOSED
 * with that error, and the host hears TCP_EV_ERROR | TCP_EV_CLOSED, so the
 * program's next call fails with ECONNABORTED; an orphan is freed. Either
 * way the address pair is free at once, without TIME_WAIT.
 *
 * Return: 0, or -EINVAL for a listener or a closed socket
 */
int tcp_terminate(struct tcp_sock *sk, uint64_t now)
{
	struct stack *s = sk->s;

	if (sk->state == TCP_LISTEN || sk->state == TCP_CLOSED)
		return -EINVAL;
	s->now = now;
	tcp_enter(s);
	CNT(s, tcp_terminated);
	tcp_reset_conn(sk, -ECONNABORTED);
	tcp_leave(s);
	return 0;
}

/**
 * tcp_addr_gone() - @addr leaves the interface (a DHCP lease lost): every
 * connection on it is reset, as lwIP's tcp_netif_ip_addr_changed() does;
 * listeners stay
 * @s: the stack
 * @addr: the local address going
 */
void tcp_addr_gone(struct stack *s, const struct ip_addr *addr)
{
	tcp_enter(s);
	for (struct tcp_sock *sk = s->tcp->all; sk; sk = sk->all_next) {
		if (sk->dead || sk->state == TCP_LISTEN ||
		    sk->state == TCP_CLOSED || !ip_addr_eq(&sk->laddr, addr))
			continue;
		CNT(s, tcp_addr_gone_resets);
		tcp_reset_conn(sk, -ECONNABORTED);
	}
	tcp_leave(s);
}

/**
 * tcp_foreach() - call @fn for every socket (a netstat)
 * @s: the stack
 * @fn: called with @arg and each live socket; must not close any
 * @arg: passed through
 */
void tcp_foreach(struct stack *s,
		 void (*fn)(void *arg, const struct tcp_sock *sk), void *arg)
{
	for (struct tcp_sock *sk = s->tcp->all; sk; sk = sk->all_next)
		if (!sk->dead)
			fn(arg, sk);
}

/**
 * tcp_sock_count() - live sockets of every kind (tests: back to zero)
 * @s: the stack
 *
 * Return: the count
 */
unsigned tcp_sock_count(const struct stack *s)
{
	return s->tcp->nsocks;
}

/**
 * tcp_mem_in_use() - socket buffer bytes charged to tcp_mem_budget
 * @s: the stack
 *
 * Return: bytes
 */
size_t tcp_mem_in_use(const struct stack *s)
{
	return s->tcp->mem;
}

/**
 * tcp_sock_size() - what a connection costs the engine while idle
 *
 * Return: bytes (its struct: an idle connection has no buffers)
 */
size_t tcp_sock_size(void)
{
	return sizeof(struct tcp_sock);
}

/**
 * tcp_state_name() - "ESTABLISHED", "TIME_WAIT", ... for netstat output
 * @st: the state
 *
 * Return: a static string
 */
const char *tcp_state_name(enum tcp_state st)
{
	static const char *const names[] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
		"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
		"TIME_WAIT",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] :
								 "?";
}
