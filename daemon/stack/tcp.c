/* SPDX-License-Identifier: MIT */
/*
 * tcp.c - TCP sockets: tables, ports, sequence numbers, buffers, lifetime
 *
 * Theory of operation: every socket is on one list (for tcp_foreach and
 * teardown). A socket with a local port is in the bound table, hashed by
 * port, which is what bind conflicts and listener lookups walk; a socket
 * with a peer is also in the connection table, hashed by its 4-tuple. A
 * listener keeps its half-open children on syn_q and its established,
 * not yet accepted ones on accept_q; both are bounded.
 *
 * Freeing is deferred: a connection that ends while a segment or timer is
 * being handled is marked dead and freed when the outermost entry point
 * returns (tcp_enter/tcp_leave), so no caller is left holding a freed
 * socket. The host's pointer stays valid until it calls tcp_close() or
 * tcp_abort().
 *
 * Initial sequence numbers follow RFC 6528 and ephemeral ports RFC 6056
 * (algorithm 3), both keyed by a secret drawn from ops->random at start.
 * Socket buffers are byte rings charged against tcp_mem_budget by use
 * (their bytes exist only while they hold data, see "Memory by use"). Rings only
 * grow: by autotuning (the receive buffer follows what the application
 * reads per RTT, the send buffer follows cwnd, as Linux does, up to
 * tcp_rcvbuf_max/tcp_sndbuf_max) or by SO_SNDBUF/SO_RCVBUF, which also
 * stop autotuning. The receive ring holds up to a quarter more than the
 * buffer, for the window's right edge, which never moves back (see
 * tcp_rcv_window()). Per connection: sizeof(struct tcp_sock) plus the
 * rings and transmit records (tcp_loss.c) it uses now, tcp_get_info()'s
 * mem; an idle connection and a TIME_WAIT orphan keep none of them.
 */
#include <stdlib.h>
#include <string.h>

#include "slab.h"
#include "stack_impl.h"
#include "tcp_impl.h"

/* every engine's connections, packed in slabs of their own (slab.h) */
static struct slab_cache tcp_sock_cache =
	SLAB_CACHE_INIT("tcp_sock", struct tcp_sock);

/**
 * tcp_tuple_bytes() - a 4-tuple as the bytes a keyed hash takes
 * @b: at least TCP_TUPLE_MAX bytes
 * @laddr: local address
 * @lport: local port
 * @raddr: remote address (the same family)
 * @rport: remote port
 *
 * An IPv4 pair is three words (their layout before IPv6 came, so IPv4
 * ISNs, ports and cookies did not move), an IPv6 pair its 32 address
 * bytes and the ports.
 *
 * Return: the length written to @b
 */
size_t tcp_tuple_bytes(uint8_t *b, const struct ip_addr *laddr,
			      uint16_t lport, const struct ip_addr *raddr,
			      uint16_t rport)
{
	uint32_t ports = (uint32_t)lport << 16 | rport;

	if (laddr->family != IP_V6) {
		uint32_t t[3] = { laddr->v4, raddr->v4, ports };

		memcpy(b, t, sizeof(t));
		return sizeof(t);
	}
	memcpy(b, laddr->v6, 16);
	memcpy(b + 16, raddr->v6, 16);
	memcpy(b + 32, &ports, 4);
	return 36;
}

/**
 * tcp_tuple_hash() - SipHash of a 4-tuple under the stack's TCP secret
 * @s: the stack
 * @laddr: local address
 * @lport: local port
 * @raddr: remote address (the same family)
 * @rport: remote port
 *
 * Return: 64 bits no peer can predict
 */
uint64_t tcp_tuple_hash(const struct stack *s, const struct ip_addr *laddr,
			uint16_t lport, const struct ip_addr *raddr,
			uint16_t rport)
{
	uint8_t b[TCP_TUPLE_MAX];
	size_t n = tcp_tuple_bytes(b, laddr, lport, raddr, rport);

	return inet_siphash(s->tcp->secret, b, n);
}

/**
 * tcp_isn() - an initial sequence number, RFC 6528
 * @s: the stack
 * @laddr: local address
 * @lport: local port
 * @raddr: remote address
 * @rport: remote port
 *
 * RFC 6528 3: "ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey)" where M is a timer ticking every 4 microseconds; F is
 * SipHash over the whole addresses, 4 or 16 bytes each.
 *
 * Return: the ISN
 */
uint32_t tcp_isn(struct stack *s, const struct ip_addr *laddr, uint16_t lport,
		 const struct ip_addr *raddr, uint16_t rport)
{
	uint32_t m = (uint32_t)(s->now / 4000);

	return m + (uint32_t)tcp_tuple_hash(s, laddr, lport, raddr, rport);
}

/**
 * tcp_ts_offset() - the offset of a connection's TSval clock
 * @s: the stack
 * @laddr: local address
 * @raddr: remote address
 *
 * As Linux's secure_tcp_ts_off(): a keyed hash of the two addresses, so
 * that the peer cannot learn the host's uptime and the connections
 * between two hosts share one clock (RFC 7323 5.4). Drawn from the TCP
 * secret, with a tag that keeps it apart from the ISN's hash, and without
 * a system call per connection.
 *
 * Return: the offset
 */
uint32_t tcp_ts_offset(const struct stack *s, const struct ip_addr *laddr,
		       const struct ip_addr *raddr)
{
	uint8_t b[TCP_TUPLE_MAX + 4];
	size_t n = tcp_tuple_bytes(b, laddr, 0, raddr, 0);

	memcpy(b + n, "tsof", 4);
	return (uint32_t)inet_siphash(s->tcp->secret, b, n + 4);
}

/* -- entry points and deferred freeing -------------------------------- */

static void tcp_sock_free(struct tcp_sock *sk);

/**
 * tcp_enter() - an entry point begins (a segment, a timer, a call)
 * @s: the stack
 */
void tcp_enter(struct stack *s)
{
	s->tcp->busy++;
}

/**
 * tcp_leave() - an entry point ends; the outermost one delivers local
 * datagrams and frees the sockets that died meanwhile
 * @s: the stack
 */
void tcp_leave(struct stack *s)
{
	if (--s->tcp->busy)
		return;
	ip_loop_drain(s);
	while (s->tcp->reap) {
		struct tcp_sock *sk = s->tcp->reap;

		s->tcp->reap = sk->reap_next;
		tcp_sock_free(sk);
	}
}

static const struct ip_proto tcp_proto = {
	.name = "tcp",
	.input = tcp_input,
	.error = tcp_err,
	.unreachable = tcp_neigh_unreachable,
	.addr_gone = tcp_addr_gone,
};

/**
 * tcp_init() - set up the TCP tables of a new engine, and register TCP
 * with the network layers' protocol table
 * @s: the stack
 *
 * Return: 0, or -ENOMEM
 */
int tcp_init(struct stack *s)
{
	s->tcp = calloc(1, sizeof(*s->tcp));
	if (!s->tcp)
		return -ENOMEM;
	s->tcp->conn = calloc(TCP_HASH, sizeof(*s->tcp->conn));
	if (!s->tcp->conn) {
		free(s->tcp);
		s->tcp = NULL;
		return -ENOMEM;
	}
	s->tcp->conn_size = TCP_HASH;
	s->ops->random(s->ctx, s->tcp->secret, sizeof(s->tcp->secret));
	s->tcp->next_ephemeral = stack_random32(s);
	tcp_tfo_init(s);
	s->protos.v4[IP_PROTO_TCP] = &tcp_proto;
	s->protos.v6[IP_PROTO_TCP] = &tcp_proto;
	return 0;
}

/**
 * tcp_fini() - free every socket (the host's handles die with the engine)
 * @s: the stack
 */
void tcp_fini(struct stack *s)
{
	if (!s->tcp)
		return;
	while (s->tcp->all) {
		struct tcp_sock *sk = s->tcp->all;

		sk->dead = true;
		tcp_sock_free(sk);
	}
	tcp_tfo_fini(s);
	free(s->tcp->conn);
	free(s->tcp);
	s->tcp = NULL;
}

/* -- rings ------------------------------------------------------------ */

/**
 * tcp_ring_free() - bytes a ring can still take
 * @r: the ring
 *
 * Return: cap - len
 */
uint32_t tcp_ring_free(const struct tcp_ring *r)
{
	return r->cap - r->len;
}

/**
 * tcp_ring_copy_out() - copy @n bytes from @off bytes after the head
 * @r: the ring
 * @off: offset from the head
 * @dst: destination
 * @n: bytes, at most the capacity
 */
void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst,
		       uint32_t n)
{
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;

	memcpy(dst, r->buf + pos, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

/**
 * tcp_ring_copy_in() - copy @n bytes in at @off bytes after the head
 * @r: the ring
 * @off: offset from the head
 * @src: the bytes
 * @n: their number, at most the capacity
 */
void tcp_ring_copy_in(struct tcp_ring *r, uint32_t off, const void *src,
		      uint32_t n)
{
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;

	memcpy(r->buf + pos, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

/*
 * Memory by use. A connection's rings have a capacity from the start (what
 * windows and send space are computed from) but their bytes exist only
 * while they hold data: a ring is allocated when the first byte comes and
 * freed when its last byte goes (sent and acknowledged, or read), as are
 * the transmit records (tcp_loss.c). An idle connection holds none, and
 * tcp_mem_budget counts what is allocated. When the budget is short
 * ("pressure", counted and logged once), receive rings are not allocated
 * (the segment is dropped, as Linux drops what its memory cannot take; the
 * peer sends it again), no ring grows and autotuning stops, and a send
 * ring is allocated at TCP_RING_MIN bytes at most, so a connection always
 * makes progress, as Linux's tcp_wmem[0] guarantee. New connections are
 * never refused for buffers.
 */

/* Note a shortage: counted each time, logged once per episode. */
static void tcp_mem_short(struct stack *s)
{
	CNT(s, tcp_mem_pressure);
	if (!s->tcp->pressure) {
		s->tcp->pressure = true;
		stack_log(s, STACK_LOG_WARN,
			  "tcp: socket buffer memory short (%zu of %zu bytes in use, tcp-mem-budget): windows stop growing",
			  s->tcp->mem, s->cfg.tcp_mem_budget);
	}
}

/**
 * tcp_mem_charge() - a socket allocated (@delta > 0) or freed buffer bytes
 * @sk: the socket
 * @delta: bytes
 */
void tcp_mem_charge(struct tcp_sock *sk, ssize_t delta)
{
	struct stack *s = sk->s;

	sk->mem += (size_t)delta;
	s->tcp->mem += (size_t)delta;
	if (delta < 0 && s->tcp->pressure &&
	    s->tcp->mem < s->cfg.tcp_mem_budget / 4 * 3)
		s->tcp->pressure = false;   /* the episode is over */
}

/**
 * tcp_mem_room() - whether @bytes more fit the budget
 * @s: the stack
 * @bytes: what would be allocated
 *
 * Return: true if they fit
 */
bool tcp_mem_room(const struct stack *s, size_t bytes)
{
	return s->tcp->mem + bytes <= s->cfg.tcp_mem_budget;
}

/**
 * tcp_ring_ensure() - give a ring its bytes before data goes in
 * @sk: the socket
 * @r: its send or receive ring (with a capacity: tcp_bufs_alloc())
 *
 * A send ring short of budget is allocated smaller (TCP_RING_MIN), so that
 * the connection goes on; a receive ring is not.
 *
 * Return: 0, or -ENOBUFS (counted)
 */
int tcp_ring_ensure(struct tcp_sock *sk, struct tcp_ring *r)
{
	struct stack *s = sk->s;
	uint32_t cap = r->cap;

	if (r->buf)
		return 0;
	if (!cap)
		return -ENOBUFS;
	if (!tcp_mem_room(s, cap)) {
		tcp_mem_short(s);
		if (r != &sk->sndq) {
			CNT(s, tcp_rcv_nomem);
			return -ENOBUFS;
		}
		if (cap > TCP_RING_MIN)
			cap = TCP_RING_MIN;
	}
	r->buf = malloc(cap);
	if (!r->buf) {
		CNT(s, tcp_rcv_nomem);
		return -ENOBUFS;
	}
	r->cap = cap;
	r->head = 0;
	tcp_mem_charge(sk, cap);
	return 0;
}

/**
 * tcp_ring_release() - free a ring that holds nothing
 * @sk: the socket
 * @r: its send or receive ring
 *
 * A receive ring that holds out-of-order data is not empty. A send ring
 * gets its full capacity (the socket's buffer size) back for next time.
 */
void tcp_ring_release(struct tcp_sock *sk, struct tcp_ring *r)
{
	if (!r->buf || r->len || (r == &sk->rcvq && sk->nooo))
		return;
	tcp_mem_charge(sk, -(ssize_t)r->cap);
	free(r->buf);
	r->buf = NULL;
	r->head = 0;
	if (r == &sk->sndq)
		r->cap = sk->sndq.size;
}

/**
 * tcp_sb_get() - the connection's scoreboard, allocated if it has none
 * @sk: the socket
 *
 * Charged to tcp-mem-budget as buffers are; it is small, so it is given
 * under pressure too (the fuzzer's bound counts one per socket).
 *
 * Return: the scoreboard, or NULL when malloc failed (the caller does
 * without: an out-of-order segment is dropped, a SACK block or a D-SACK
 * ignored, as a peer that does not SACK)
 */
struct tcp_sb *tcp_sb_get(struct tcp_sock *sk)
{
	if (sk->sb)
		return sk->sb;
	sk->sb = malloc(sizeof(*sk->sb));
	if (!sk->sb) {
		CNT(sk->s, tcp_sb_nomem);
		return NULL;
	}
	tcp_mem_charge(sk, (ssize_t)sizeof(*sk->sb));
	return sk->sb;
}

/**
 * tcp_sb_settle() - free the scoreboard once nothing is in it
 * @sk: the socket
 */
void tcp_sb_settle(struct tcp_sock *sk)
{
	if (!sk->sb || sk->nooo || sk->nsacked || sk->dsack_pending)
		return;
	free(sk->sb);
	sk->sb = NULL;
	tcp_mem_charge(sk, -(ssize_t)sizeof(*sk->sb));
}

/**
 * tcp_bufs_release() - the connection has no data path any more
 * @sk: the socket
 */
void tcp_bufs_release(struct tcp_sock *sk)
{
	free(sk->sndq.buf);
	free(sk->rcvq.buf);
	tcp_txrec_free(sk);
	free(sk->sb);
	sk->sb = NULL;
	sk->nooo = sk->nsacked = 0;
	sk->dsack_pending = false;
	/* empty, their sizes (SO_SNDBUF/SO_RCVBUF) kept */
	sk->sndq = (struct tcp_ring){ .size = sk->sndq.size };
	sk->rcvq = (struct tcp_ring){ .size = sk->rcvq.size };
	tcp_mem_charge(sk, -(ssize_t)sk->mem);
}

/**
 * tcp_bufs_alloc() - give a connection its send and receive rings
 * @sk: the socket
 *
 * Only their capacities: the bytes come with the data (tcp_ring_ensure()).
 *
 * Return: 0
 */
int tcp_bufs_alloc(struct tcp_sock *sk)
{
	if (sk->sndq.cap)
		return 0;
	/* the receive ring has 1 << rcv_wscale bytes of slack, so that a
	 * window rounded up to the scale (never shrinking it) fits; a run of
	 * such roundings grows it (tcp_rcv_window()) */
	sk->sndq.cap = sk->sndq.size;
	sk->rcvq.cap = sk->rcvq.size + (1u << sk->rcv_wscale);
	return 0;
}

/**
 * tcp_ring_grow() - enlarge a ring in place of its contents
 * @sk: the socket owning it (charged for the growth)
 * @r: its send or receive ring
 * @newcap: the new capacity; nothing happens if not larger
 *
 * The whole old ring is copied from its head, so offsets from the head
 * (in-order data and out-of-order data beyond it) keep their meaning. A
 * ring without its bytes only changes its capacity, unless the budget
 * could not take that much.
 *
 * Return: 0, or -ENOBUFS when the budget or malloc refuses (counted)
 */
int tcp_ring_grow(struct tcp_sock *sk, struct tcp_ring *r, uint32_t newcap)
{
	struct stack *s = sk->s;
	uint32_t delta;
	uint8_t *nb;

	if (newcap <= r->cap || !r->cap)
		return 0;
	delta = newcap - r->cap;
	if (!r->buf) {
		if (!tcp_mem_room(s, newcap)) {
			tcp_mem_short(s);
			CNT(s, tcp_buf_grow_denied);
			return -ENOBUFS;
		}
		r->cap = newcap;
		CNT(s, tcp_buf_grown);
		return 0;
	}
	nb = tcp_mem_room(s, delta) ? malloc(newcap) : NULL;
	if (!nb) {
		tcp_mem_short(s);
		CNT(s, tcp_buf_grow_denied);
		return -ENOBUFS;
	}
	tcp_ring_copy_out(r, 0, nb, r->cap);
	free(r->buf);
	r->buf = nb;
	r->head = 0;
	r->cap = newcap;
	tcp_mem_charge(sk, delta);
	CNT(s, tcp_buf_grown);
	return 0;
}

/**
 * tcp_sndbuf_autotune() - grow the send buffer with cwnd, as Linux's
 * tcp_sndbuf_expand(): room for two windows, up to tcp_sndbuf_max, unless
 * the application set SO_SNDBUF
 * @sk: the socket
 *
 * cwnd grows by a segment or so per ACK; the ring, which is copied when it
 * grows, grows by half at least, so that it is copied a few times in all,
 * not at every ACK of a slow start.
 */
void tcp_sndbuf_autotune(struct tcp_sock *sk)
{
	uint64_t want = 2ull * sk->cwnd;
	uint32_t max = sk->s->cfg.tcp_sndbuf_max;

	if (sk->sndbuf_locked || want <= sk->sndq.size || sk->sndq.size >= max)
		return;
	if (want < sk->sndq.size + sk->sndq.size / 2ull)
		want = sk->sndq.size + sk->sndq.size / 2ull;
	if (want > max)
		want = max;
	if (tcp_ring_grow(sk, &sk->sndq, (uint32_t)want) == 0 && sk->sndq.cap)
		sk->sndq.size = (uint32_t)want;
}

/**
 * tcp_rcvbuf_autotune() - dynamic right-sizing of the receive buffer
 * @sk: the socket
 * @copied: bytes the application just read
 *
 * Once per RTT, as Linux's tcp_rcv_space_adjust(): if the application
 * read more in that time than in any RTT before (rcv_space, Linux's
 * rcvq_space), the buffer (and with it the window) becomes twice what was
 * read plus 16 segments, up to tcp_rcvbuf_max, unless the application
 * set SO_RCVBUF. (Linux adds more in proportion as the pace grew; with
 * it the simulator's bottleneck queues overflow, and RACK's gain under
 * mild reordering is lost in the drops: left out.)
 */
void tcp_rcvbuf_autotune(struct tcp_sock *sk, uint32_t copied)
{
	struct stack *s = sk->s;
	uint64_t srtt = tcp_srtt(sk);
	uint64_t rtt = srtt > NSEC_PER_MSEC ? srtt : NSEC_PER_MSEC;
	uint64_t want;
	uint32_t slack;

	uint32_t got, space = sk->rcv_space;

	sk->rcv_copied += copied;
	if (s->now - sk->rcv_space_time < rtt)
		return;
	got = sk->rcv_copied;
	sk->rcv_copied = 0;
	sk->rcv_space_time = s->now;
	/* only a program that read more than ever before in an RTT grows
	 * it (one that reads nothing keeps its buffer) */
	if (got <= space)
		return;
	sk->rcv_space = got;                    /* Linux's rcvq_space */
	want = 2ull * got + 16ull * sk->rcv_mss;
	if (sk->rcvbuf_locked || want <= sk->rcvq.size || !sk->rcvq.cap)
		return;
	if (want > tcp_win_from_space(s->cfg.tcp_rcvbuf_max))
		want = tcp_win_from_space(s->cfg.tcp_rcvbuf_max);
	if (want <= sk->rcvq.size)
		return;
	slack = sk->rcvq.cap - sk->rcvq.size;
	if (tcp_ring_grow(sk, &sk->rcvq, (uint32_t)want + slack) == 0)
		sk->rcvq.size = (uint32_t)want;
}

/* -- tables ----------------------------------------------------------- */

/* Cheap: a multiplicative mix of the folded addresses and the ports
 * (IPv4: the mix this table always had); the table takes its low bits */
static uint32_t conn_mix(const struct ip_addr *laddr, uint16_t lport,
			 const struct ip_addr *raddr, uint16_t rport)
{
	uint32_t h = ip_addr_fold(laddr) * 2654435761u ^
		     ip_addr_fold(raddr) * 40503u ^
		     ((uint32_t)lport << 16 | rport) * 2246822519u;

	return h ^ h >> 16;
}

static struct tcp_sock **conn_chain(const struct tcp_table *t,
				    const struct tcp_sock *sk)
{
	return &t->conn[conn_mix(&sk->laddr, sk->lport, &sk->raddr,
				 sk->rport) & (t->conn_size - 1)];
}

/*
 * The connection table doubles when it holds twice as many connections
 * as buckets, so that a lookup stays a short walk whatever the number of
 * connections (tens of thousands held, issue 11); if memory refuses, the
 * chains only get longer.
 */
static void conn_table_grow(struct tcp_table *t)
{
	unsigned size = t->conn_size * 2;
	struct tcp_sock **nt = calloc(size, sizeof(*nt));

	if (!nt)
		return;
	for (unsigned i = 0; i < t->conn_size; i++) {
		struct tcp_sock *sk = t->conn[i], *next;

		for (; sk; sk = next) {
			struct tcp_sock **b = &nt[conn_mix(&sk->laddr, sk->lport,
							   &sk->raddr, sk->rport) &
						  (size - 1)];

			next = sk->hnext;
			sk->hnext = *b;
			*b = sk;
		}
	}
	free(t->conn);
	t->conn = nt;
	t->conn_size = size;
}

/**
 * tcp_hash_conn() - enter @sk in the connection table by its 4-tuple
 * @sk: the socket
 */
void tcp_hash_conn(struct tcp_sock *sk)
{
	struct tcp_table *t = sk->s->tcp;
	struct tcp_sock **b;

	if (sk->in_conn_hash)
		return;
	if (t->nconn >= 2 * t->conn_size && t->conn_size < (1u << 24))
		conn_table_grow(t);
	b = conn_chain(t, sk);
	sk->hnext = *b;
	*b = sk;
	sk->in_conn_hash = true;
	t->nconn++;
}

static void tcp_unhash_conn(struct tcp_sock *sk)
{
	struct tcp_sock **pp;

	if (!sk->in_conn_hash)
		return;
	pp = conn_chain(sk->s->tcp, sk);
	while (*pp != sk)
		pp = &(*pp)->hnext;
	*pp = sk->hnext;
	sk->in_conn_hash = false;
	sk->s->tcp->nconn--;
}

/* A listener is also in the listen table (its hnext: it has no peer), so
 * that a SYN finds it without walking the port's connections (Linux's
 * listening hash) */
static void tcp_hash_listen(struct tcp_sock *sk)
{
	struct tcp_sock **b = &sk->s->tcp->listen[sk->lport % TCP_HASH];

	if (sk->in_listen_hash || sk->in_conn_hash)
		return;
	sk->hnext = *b;
	*b = sk;
	sk->in_listen_hash = true;
}

static void tcp_unhash_listen(struct tcp_sock *sk)
{
	struct tcp_sock **pp;

	if (!sk->in_listen_hash)
		return;
	pp = &sk->s->tcp->listen[sk->lport % TCP_HASH];
	while (*pp != sk)
		pp = &(*pp)->hnext;
	*pp = sk->hnext;
	sk->hnext = NULL;
	sk->in_listen_hash = false;
}

/**
 * tcp_hash_bound() - enter @sk in the bound-port table
 * @sk: the socket (lport set)
 */
void tcp_hash_bound(struct tcp_sock *sk)
{
	struct tcp_sock **b = &sk->s->tcp->bound[sk->lport % TCP_HASH];

	sk->bnext = *b;
	if (*b)
		(*b)->bpprev = &sk->bnext;
	*b = sk;
	sk->bpprev = b;
	sk->bound = true;
	if (sk->state == TCP_LISTEN)
		tcp_hash_listen(sk);
}

static void tcp_unhash_bound(struct tcp_sock *sk)
{
	struct tcp_sock **pp;

	tcp_unhash_listen(sk);
	if (!sk->bound)
		return;
	pp = sk->bpprev;
	*pp = sk->bnext;
	if (sk->bnext)
		sk->bnext->bpprev = pp;
	sk->bound = false;
}

/**
 * tcp_lookup_conn() - the connection with this 4-tuple
 * @s: the stack
 * @laddr: local address
 * @lport: local port
 * @raddr: remote address
 * @rport: remote port
 *
 * An IPv4 connection of an AF_INET6 socket has IPv4 addresses here, as
 * every IPv4 one: a segment finds it whatever the socket's domain.
 *
 * Return: the socket, or NULL
 */
struct tcp_sock *tcp_lookup_conn(struct stack *s, const struct ip_addr *laddr,
				 uint16_t lport, const struct ip_addr *raddr,
				 uint16_t rport)
{
	struct tcp_sock *sk = s->tcp->conn[conn_mix(laddr, lport, raddr, rport) &
					   (s->tcp->conn_size - 1)];

	for (; sk; sk = sk->hnext)
		if (sk->lport == lport && sk->rport == rport &&
		    ip_addr_eq(&sk->raddr, raddr) &&
		    ip_addr_eq(&sk->laddr, laddr) && !sk->dead)
			return sk;
	return NULL;
}

/**
 * tcp_lookup_listener() - the listener for a SYN to @laddr:@lport
 * @s: the stack
 * @laddr: local address of the segment
 * @lport: local port
 * @raddr: remote address (SO_REUSEPORT spreads by the 4-tuple)
 * @rport: remote port
 *
 * As Linux's compute_score(): an exact address beats a wildcard, and for
 * an IPv4 segment an AF_INET wildcard beats a dual-stack AF_INET6 one
 * (ip_sock_match()); among SO_REUSEPORT listeners of the same rank one is
 * chosen by a hash of the 4-tuple, as Linux does.
 *
 * Return: the listener, or NULL
 */
struct tcp_sock *tcp_lookup_listener(struct stack *s,
				     const struct ip_addr *laddr,
				     uint16_t lport,
				     const struct ip_addr *raddr,
				     uint16_t rport)
{
	struct tcp_sock *sk, *cand[16];
	unsigned n = 0, best = 0;

	for (sk = s->tcp->listen[lport % TCP_HASH]; sk; sk = sk->hnext) {
		unsigned rank;

		if (sk->state != TCP_LISTEN || sk->lport != lport || sk->dead)
			continue;
		rank = ip_sock_match(&sk->laddr, sk->family, sk->v6only, laddr);
		if (!rank)
			continue;
		if (rank > best) {
			best = rank;
			n = 0;
		}
		if (rank == best && n < 16)
			cand[n++] = sk;
	}
	if (n == 0)
		return NULL;
	if (n == 1)
		return cand[0];
	return cand[tcp_tuple_hash(s, laddr, lport, raddr, rport) % n];
}

/* -- socket life ------------------------------------------------------ */

/**
 * tcp_sock_new() - allocate a socket with the stack's defaults
 * @s: the stack
 *
 * Return: the socket in TCP_CLOSED, or NULL at the socket limit (counted)
 */
struct tcp_sock *tcp_sock_new(struct stack *s)
{
	struct tcp_sock *sk;

	if (s->tcp->nsocks >= s->cfg.tcp_max_socks) {
		CNT(s, tcp_nomem_socks);
		return NULL;
	}
	sk = slab_alloc(&tcp_sock_cache);
	if (!sk) {
		CNT(s, tcp_nomem_socks);
		return NULL;
	}
	sk->s = s;
	sk->id = ++s->tcp->next_id;
	sk->state = TCP_CLOSED;
	sk->state_since = s->now;
	sk->sndq.size = s->cfg.tcp_sndbuf;
	sk->rcvq.size = tcp_win_from_space(s->cfg.tcp_rcvbuf);
	sk->linger = -1;
	sk->keepidle_s = (unsigned)(s->cfg.tcp_keepidle / NSEC_PER_SEC);
	sk->keepintvl_s = (unsigned)(s->cfg.tcp_keepintvl / NSEC_PER_SEC);
	sk->keepcnt = s->cfg.tcp_keepcnt;
	sk->rto = s->cfg.tcp_rto_initial;
	sk->rack_reo_mult = 1;
	sk->cc_algo = s->cfg.tcp_cc;
	tcp_timers_init(sk);
	sk->all_next = s->tcp->all;
	if (s->tcp->all)
		s->tcp->all->all_prev = sk;
	s->tcp->all = sk;
	s->tcp->nsocks++;
	return sk;
}

/* Out of the TIME_WAIT age list, in O(1): a connect loop leaves
 * thousands there, and a port taken again from one unlinks it mid-list */
static void tcp_tw_unlink(struct tcp_sock *sk)
{
	struct tcp_table *t = sk->s->tcp;

	if (sk->tw_prev)
		sk->tw_prev->tw_next = sk->tw_next;
	else if (t->tw_head == sk)
		t->tw_head = sk->tw_next;
	else
		return;                 /* not on it */
	if (sk->tw_next)
		sk->tw_next->tw_prev = sk->tw_prev;
	else
		t->tw_tail = sk->tw_prev;
	sk->tw_prev = sk->tw_next = NULL;
	t->ntw--;
}

/* The SYN kept for @sk (TCP_SAVE_SYN), unlinked if @take; NULL if none */
static struct tcp_saved_syn *tcp_saved_find(struct tcp_sock *sk, bool take)
{
	struct tcp_saved_syn **pp, *ss;

	if (!sk->syn_saved)
		return NULL;
	for (pp = &sk->s->tcp->saved_syns; (ss = *pp); pp = &ss->next)
		if (ss->sk == sk) {
			if (take) {
				*pp = ss->next;
				sk->syn_saved = false;
			}
			return ss;
		}
	sk->syn_saved = false;
	return NULL;
}

/**
 * tcp_saved_syn() - TCP_SAVED_SYN, as Linux's do_tcp_getsockopt(): the
 * headers of the SYN that made @sk, given once
 * @sk: an accepted socket whose listener had TCP_SAVE_SYN
 * @buf: where they go
 * @cap: its room
 * @len: set to the bytes given (0: none kept), or needed on -EINVAL
 *
 * Return: 0, or -EINVAL (@cap too small; they stay kept)
 */
int tcp_saved_syn(struct tcp_sock *sk, void *buf, size_t cap, size_t *len)
{
	struct tcp_saved_syn *ss = tcp_saved_find(sk, false);

	*len = ss ? ss->len : 0;
	if (!ss)
		return 0;
	if (cap < ss->len)
		return -EINVAL;
	memcpy(buf, ss->data, ss->len);
	free(tcp_saved_find(sk, true));
	return 0;
}

static void tcp_sock_free(struct tcp_sock *sk)
{
	struct stack *s = sk->s;

	free(tcp_saved_find(sk, true));
	tcp_tfo_sock_free(sk);
	tcp_timers_stop(sk);
	tcp_unhash_conn(sk);
	tcp_unhash_bound(sk);
	if (sk->state == TCP_TIME_WAIT)
		tcp_tw_unlink(sk);
	tcp_bufs_release(sk);
	if (sk->all_prev)
		sk->all_prev->all_next = sk->all_next;
	else
		s->tcp->all = sk->all_next;
	if (sk->all_next)
		sk->all_next->all_prev = sk->all_prev;
	s->tcp->nsocks--;
	free(sk->lq);
	slab_free(&tcp_sock_cache, sk);
}

/* Queue @sk for freeing when the outermost entry point returns. */
static void tcp_kill(struct tcp_sock *sk)
{
	struct stack *s = sk->s;

	if (sk->dead)
		return;
	sk->dead = true;
	tcp_timers_stop(sk);
	tcp_unhash_conn(sk);
	tcp_unhash_bound(sk);
	if (sk->state == TCP_TIME_WAIT)
		tcp_tw_unlink(sk);
	sk->reap_next = s->tcp->reap;
	s->tcp->reap = sk;
}

static void tcp_unlink_child(struct tcp_sock *sk)
{
	struct tcp_sock *l = sk->parent, **pp, *prev = NULL;

	if (!l)
		return;
	pp = sk->on_accept_q ? &l->lq->accept_q : &l->lq->syn_q;
	while (*pp && *pp != sk) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp) {
		*pp = sk->qnext;
		if (sk->on_accept_q) {
			l->lq->accept_qlen--;
			if (l->lq->accept_tail == sk)
				l->lq->accept_tail = prev;
		} else {
			l->lq->syn_qlen--;
		}
	}
	sk->parent = NULL;
	sk->qnext = NULL;
	sk->on_accept_q = false;
}

/**
 * tcp_event() - tell the host that @sk's readiness changed
 * @sk: the socket
 * @ev: TCP_EV_* mask
 */
void tcp_event(struct tcp_sock *sk, unsigned ev)
{
	struct stack *s = sk->s;

	if (sk->held && !sk->dead && s->ops->sock_event)
		s->ops->sock_event(s->ctx, sk, ev);
}

/**
 * tcp_set_state() - move to @st, remembering when
 * @sk: the socket
 * @st: the new state
 */
void tcp_set_state(struct tcp_sock *sk, enum tcp_state st)
{
	if (sk->state == TCP_TIME_WAIT && st != TCP_TIME_WAIT)
		tcp_tw_unlink(sk);
	if (st == TCP_LISTEN && sk->bound)
		tcp_hash_listen(sk);
	else if (st != TCP_LISTEN)
		tcp_unhash_listen(sk);
	tcp_tfo_state_change(sk, st);
	sk->state = st;
	sk->state_since = sk->s->now;
}

/**
 * tcp_fin_wait2_time() - how long an orphan stays in FIN_WAIT_2
 * @sk: the socket
 *
 * Linux's tcp_fin_time(): TCP_LINGER2 if set, else tcp_fin_timeout, and
 * never less than three and a half retransmission timeouts.
 *
 * Return: ns
 */
uint64_t tcp_fin_wait2_time(const struct tcp_sock *sk)
{
	uint64_t t = sk->linger2 > 0 ? (uint64_t)sk->linger2 * NSEC_PER_SEC :
				       sk->s->cfg.tcp_fin_timeout;
	uint64_t floor = (sk->rto << 2) - (sk->rto >> 1);

	return t < floor ? floor : t;
}

/**
 * tcp_done() - the connection is over: TCP_CLOSED, report, maybe free
 * @sk: the socket
 * @err: negative errno to report (ECONNRESET, ETIMEDOUT...), or 0
 *
 * A socket the host holds stays, in TCP_CLOSED, until tcp_close(); an
 * orphan, or a child nobody accepted, is freed.
 */
void tcp_done(struct tcp_sock *sk, int err)
{
	struct tcp_sock *parent = sk->parent;

	if (err)
		sk->err = err;
	tcp_set_state(sk, TCP_CLOSED);
	tcp_timers_stop(sk);
	tcp_unhash_conn(sk);
	tcp_unlink_child(sk);
	if (parent)
		sk->held = false;
	if (!sk->held) {
		tcp_kill(sk);
		return;
	}
	tcp_unhash_bound(sk);
	tcp_event(sk, TCP_EV_CLOSED | TCP_EV_READABLE | TCP_EV_WRITABLE |
			      (err ? TCP_EV_ERROR : 0));
}

/**
 * tcp_enter_time_wait() - RFC 9293: "Enter the TIME-WAIT state. Start the
 * time-wait timer, turn off the other timers."
 * @sk: the socket
 *
 * TIME_WAIT entries are bounded by tcp_max_time_wait: the oldest is
 * recycled (counted) to make room, as Linux's tw_buckets limit does. An
 * orphan gives its buffers back at once.
 */
void tcp_enter_time_wait(struct tcp_sock *sk)
{
	struct tcp_table *t = sk->s->tcp;

	if (sk->state == TCP_TIME_WAIT) {
		tcp_arm_misc(sk, TCP_TIMER_TIME_WAIT, 2 * sk->s->cfg.tcp_msl);
		return;
	}
	while (t->ntw >= sk->s->cfg.tcp_max_time_wait && t->tw_head) {
		CNT(sk->s, tcp_tw_recycled);
		tcp_done(t->tw_head, 0);
	}
	/* only a closed connection gets here, never one on a listener's
	 * queue: tw_prev shares qnext's place */
	tcp_unlink_child(sk);
	tcp_set_state(sk, TCP_TIME_WAIT);
	tcp_timers_stop(sk);
	sk->tw_next = NULL;
	sk->tw_prev = t->tw_tail;
	if (t->tw_tail)
		t->tw_tail->tw_next = sk;
	else
		t->tw_head = sk;
	t->tw_tail = sk;
	t->ntw++;
	if (!sk->held)
		tcp_bufs_release(sk);
	tcp_arm_misc(sk, TCP_TIMER_TIME_WAIT, 2 * sk->s->cfg.tcp_msl);
}

/**
 * tcp_child_ready() - a passive child reached ESTABLISHED: accept queue
 * @sk: the child
 */
void tcp_child_ready(struct tcp_sock *sk)
{
	struct tcp_sock *l = sk->parent;

	if (!l || sk->on_accept_q)
		return;
	tcp_unlink_child(sk);
	sk->parent = l;
	sk->on_accept_q = true;
	if (l->lq->accept_tail)
		l->lq->accept_tail->qnext = sk;
	else
		l->lq->accept_q = sk;
	l->lq->accept_tail = sk;
	l->lq->accept_qlen++;
	tcp_event(l, TCP_EV_ACCEPT | TCP_EV_READABLE);
}
