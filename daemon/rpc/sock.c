/* SPDX-License-Identifier: MIT */
/*
 * sock.c - the socket table and the control requests that act on sockets
 *
 * Theory of operation: see sock.h. A request that names a socket carries
 * its descriptor; SO_COOKIE of that descriptor is looked up in a hash of
 * the cookies of the program ends this daemon handed out. Anything else
 * (a file, another process's socket, a forged number) is ENOTSOCK; a
 * request without a descriptor is EBADF. The reply status is what Linux
 * would return from the call, so libclient maps it to errno once.
 *
 * Quotas are per uid (the SO_PEERCRED uid of the control connection that
 * created the socket): a number of sockets (EMFILE beyond, as a process
 * out of descriptors) and bytes charged for socket buffers (ENOBUFS).
 *
 * For TCP: a struct sock_proto with chan_type SOCK_STREAM. Its chan_read
 * reads the channel only while the engine's send buffer has room (and
 * turns end-of-file into shutdown(SHUT_WR) or close, unless the program's
 * end is still open elsewhere: end-of-file on a stream channel comes only
 * when every holder has closed or shut down writing); engine data goes
 * into the channel only as far as it takes it (chan_write resumes); a FIN
 * from the peer becomes shutdown(chan, SHUT_WR); a reset stores the error
 * (SO_ERROR, ECONNRESET) and shuts the channel both ways; a listener's
 * channel carries struct ustack_accept_msg with the new channel attached.
 */
#include "sock.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "dgram.h"
#include "log.h"
#include "mcast.h"
#include "slab.h"
#include "sock_dgram.h"
#include "sock_impl.h"
#include "stack.h"
#include "udp.h"

/* every socket of the table, packed in slabs of their own (slab.h) */
static struct slab_cache sock_cache = SLAB_CACHE_INIT("sock", struct sock);

#define SOCK_OVERHEAD 4096          /* charged per socket: structs, events */
#define SOCK_TYPE_MAX 11            /* Linux's SOCK_MAX: SOCK_PACKET + 1 */

uint64_t sock_now(struct sock *sk)
{
	return sk->t->host.now(sk->t->host.ctx);
}

/* The engine's time @mono on the wall clock (SO_TIMESTAMP). */
uint64_t sock_realtime(struct sock *sk, uint64_t mono)
{
	return sk->t->host.realtime(sk->t->host.ctx, mono);
}

void sock_settle(struct sock *sk)
{
	sk->t->host.settle(sk->t->host.ctx);
}

static unsigned hash_of(const struct socktab *t, uint64_t cookie)
{
	return (unsigned)((cookie * 0x9e3779b97f4a7c15ull) >> 40) &
	       (t->hash_size - 1);
}

static struct uid_quota *quota_get(struct socktab *t, uid_t uid)
{
	struct uid_quota *q;

	for (q = t->quotas; q; q = q->next)
		if (q->uid == uid)
			return q;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->uid = uid;
	q->next = t->quotas;
	t->quotas = q;
	return q;
}

/**
 * sock_charge() - change what a socket charges to its uid's memory quota
 * @sk: the socket
 * @bytes: the new charge for its buffers (the overhead is added)
 *
 * Return: 0, or -ENOBUFS (the quota would be exceeded; nothing changed)
 */
int sock_charge(struct sock *sk, size_t bytes)
{
	struct uid_quota *q = sk->q;
	size_t want = bytes + SOCK_OVERHEAD;

	if (want > sk->charged &&
	    q->mem - sk->charged + want > sk->t->lim.max_mem_per_uid) {
		sk->t->st.quota_mem++;
		return -ENOBUFS;
	}
	q->mem = q->mem - sk->charged + want;
	sk->charged = want;
	return 0;
}

/*
 * Channels. Every socket's channel is in one epoll set of the daemon's,
 * which libevent watches as one descriptor: a socket holds no libevent
 * event of its own (an event is 128 bytes, and libevent keeps a record
 * per descriptor besides; issue 11, memory per idle connection). A
 * stream channel is watched for input edge-triggered (it is read only
 * while the engine has room: chan_read() resumes by itself), a datagram
 * channel level-triggered, and a channel is watched for room only while
 * the engine has something the channel did not take (sock_want_write(),
 * one-shot: the first report of room disarms it), or, a stream's, while
 * its window waits for the program to read (sock_watch_unread()).
 */
#define SOCK_EV_BATCH 64

static int chan_watch(struct sock *sk, int op)
{
	struct epoll_event ev = { .data.ptr = sk };

	ev.events = EPOLLIN | (sk->proto->chan_type == SOCK_STREAM ?
			       EPOLLET | EPOLLRDHUP : 0) |
		    (sk->wev_armed || sk->watch_unread ? EPOLLOUT : 0);
	return epoll_ctl(sk->t->epfd, op, sk->chan, &ev);
}

/* the epoll set is readable: dispatch what is ready, a batch at a time
 * (libevent calls again while more is) */
static void on_chan_events(evutil_socket_t fd, short what, void *arg)
{
	struct socktab *t = arg;
	struct epoll_event evs[SOCK_EV_BATCH];

	(void)what;
	t->ev_n = epoll_wait(fd, evs, SOCK_EV_BATCH, 0);
	t->evs = evs;
	for (t->ev_i = 0; t->ev_i < t->ev_n; t->ev_i++) {
		struct sock *sk = evs[t->ev_i].data.ptr;
		uint32_t e = evs[t->ev_i].events;

		/* room (or an error or hang-up, which the write reports) */
		if (sk && sk->wev_armed &&
		    (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
			sock_want_write(sk, false);
			sk->proto->chan_write(sk);
			sk = evs[t->ev_i].data.ptr;     /* NULL: freed */
		} else if (sk && sk->watch_unread && (e & EPOLLOUT)) {
			/* the program read (a stream's window, sock_tcp.c) */
			sk->proto->chan_write(sk);
			sk = evs[t->ev_i].data.ptr;
		}
		if (sk && (e & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			sk->proto->chan_read(sk);
	}
	t->evs = NULL;
	t->ev_n = t->ev_i = 0;
}

void sock_want_write(struct sock *sk, bool on)
{
	if (on == sk->wev_armed || !sk->polled)
		return;
	sk->wev_armed = on;
	if (chan_watch(sk, EPOLL_CTL_MOD)) {
		/* only ENOMEM could: the kernel's; the channel reports
		 * room again when the engine next writes to it */
		sk->t->st.chan_err++;
		sk->wev_armed = false;
	}
}

/*
 * A stream channel is watched for the program's reads while the window
 * waits on them (sock_tcp.c): edge-triggered EPOLLOUT, which the kernel
 * reports each time the program takes a message of the daemon's off the
 * channel (while the channel has room), and which is left armed, unlike
 * sock_want_write()'s one-shot.
 */
void sock_watch_unread(struct sock *sk, bool on)
{
	if (on == sk->watch_unread || !sk->polled)
		return;
	if (on)
		sock_chan_grow(sk);     /* the edges come below a quarter */
	sk->watch_unread = on;
	if (chan_watch(sk, EPOLL_CTL_MOD)) {
		sk->t->st.chan_err++;
		sk->watch_unread = false;
	}
}

/**
 * sock_ev_bits() - what epoll reported for @sk, if its report is the one
 * being dispatched now
 * @sk: the socket
 * @bits: set to the report's events
 *
 * They tell the channel's state as of the epoll_wait(): data, the
 * program's shutdown (EPOLLRDHUP, a stream's) or close (EPOLLHUP). What
 * changes after it is reported again (a new edge, or the level), so a
 * caller may take them instead of asking the kernel once more.
 *
 * Return: true if @bits was set
 */
bool sock_ev_bits(const struct sock *sk, uint32_t *bits)
{
	const struct socktab *t = sk->t;

	if (!t->evs || t->ev_i >= t->ev_n || t->evs[t->ev_i].data.ptr != sk)
		return false;
	*bits = t->evs[t->ev_i].events;
	return true;
}

/**
 * sock_chan_grow() - our end of a stream channel's send buffer as large
 * as the kernel allows, the first time it is wanted
 * @sk: a stream socket
 *
 * The program's reads wake our end only while what it has not read is
 * under a quarter of that buffer (unix_writable()), and the window waits
 * on those reads (sock_tcp.c); a window's worth also goes in with fewer
 * wake-ups. Wanted when the channel is first full or the window first
 * waits on the program: a connection that never fills it (a request and
 * a reply) is spared the system call.
 *
 * Return: true if it grew now (a write that found the channel full may
 * try again)
 */
bool sock_chan_grow(struct sock *sk)
{
	static bool no_force;   /* no CAP_NET_ADMIN: not tried again */
	int v = 4 << 20;

	if (sk->chan_big || sk->chan < 0)
		return false;
	sk->chan_big = true;
	if (!no_force && !setsockopt(sk->chan, SOL_SOCKET, SO_SNDBUFFORCE,
				     &v, sizeof(v)))
		return true;
	no_force = true;
	/* capped at net.core.wmem_max */
	return !setsockopt(sk->chan, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* deferred work: each socket once, in the order they asked, after the
 * events being dispatched (a loop of libevent's later) */
static void on_kicks(evutil_socket_t fd, short what, void *arg)
{
	struct socktab *t = arg;
	unsigned n = t->nkick;          /* what asked before this round */

	(void)fd;
	(void)what;
	while (n-- && t->kick_head) {
		struct sock *sk = t->kick_head;

		t->kick_head = sk->kick_next;
		if (!t->kick_head)
			t->kick_tail = NULL;
		sk->kick_next = NULL;
		sk->kicked = false;
		t->nkick--;
		sk->proto->kick(sk);    /* may free sk, or others */
	}
	if (t->kick_head)
		event_active(t->kick_ev, 0, 0);
}

/**
 * sock_kick() - run @sk's protocol kick() once the events being handled
 * are done (engine events come in the middle of other work)
 * @sk: the socket; nothing if its protocol has no kick()
 */
void sock_kick(struct sock *sk)
{
	struct socktab *t = sk->t;

	if (sk->kicked || !sk->proto || !sk->proto->kick)
		return;
	sk->kicked = true;
	sk->kick_next = NULL;
	if (t->kick_tail)
		t->kick_tail->kick_next = sk;
	else
		t->kick_head = sk;
	t->kick_tail = sk;
	if (t->nkick++ == 0)
		event_active(t->kick_ev, 0, 0);
}

/* @sk goes: out of the kick list */
static void sock_unkick(struct sock *sk)
{
	struct socktab *t = sk->t;
	struct sock **pp = &t->kick_head, *prev = NULL;

	if (!sk->kicked)
		return;
	while (*pp && *pp != sk) {
		prev = *pp;
		pp = &(*pp)->kick_next;
	}
	if (!*pp)
		return;
	*pp = sk->kick_next;
	if (t->kick_tail == sk)
		t->kick_tail = prev;
	sk->kicked = false;
	t->nkick--;
}

/* The defaults of the kept options, as Linux gives a new socket */
static int kept_default(int k)
{
	switch (k) {
	case KEPT_RCVLOWAT:
	case KEPT_IP_MULTICAST_LOOP:
	case KEPT_IP_MULTICAST_ALL:
		return 1;
	case KEPT_IP_TTL:
		return 64;
	case KEPT_INCOMING_CPU:
		return -1;
	}
	return 0;
}

/**
 * sock_ts_flags_set() - SO_TIMESTAMP(NS), old and new, as Linux's
 * sock_set_timestamp() sets its flags
 * @f: the socket's USTACK_CM_TIMESTAMP/TIMESTAMPNS/TS_NEW bits
 * @name: which of the four
 * @val: on or off
 */
void sock_ts_flags_set(uint32_t *f, int name, int val)
{
	if (!val) {
		*f &= ~(USTACK_CM_TIMESTAMP | USTACK_CM_TIMESTAMPNS);
		return;
	}
	if (name == SO_TIMESTAMP_NEW || name == SO_TIMESTAMPNS_NEW)
		*f |= USTACK_CM_TS_NEW;
	else
		*f &= ~USTACK_CM_TS_NEW;
	if (name == SO_TIMESTAMP_OLD || name == SO_TIMESTAMP_NEW)
		*f &= ~USTACK_CM_TIMESTAMPNS;
	else
		*f |= USTACK_CM_TIMESTAMPNS;
	*f |= USTACK_CM_TIMESTAMP;
}

/**
 * sock_ts_flags_get() - what getsockopt() of @name says of flags @f
 * @f: as sock_ts_flags_set() left them
 * @name: SO_TIMESTAMP(NS)_OLD or _NEW
 *
 * Return: 0 or 1
 */
int sock_ts_flags_get(uint32_t f, int name)
{
	bool on = f & USTACK_CM_TIMESTAMP, ns = f & USTACK_CM_TIMESTAMPNS;
	bool nw = f & USTACK_CM_TS_NEW;

	switch (name) {
	case SO_TIMESTAMP_OLD:
		return on && !nw && !ns;
	case SO_TIMESTAMP_NEW:
		return on && nw && !ns;
	case SO_TIMESTAMPNS_OLD:
		return ns && !nw;
	default:
		return ns && nw;
	}
}

static int kept6_default(const struct sock *sk, int k)
{
	if (sk->domain != AF_INET6)
		return 0;
	switch (k) {
	case KEPT6_UNICAST_HOPS:
		return -1;
	case KEPT6_MULTICAST_HOPS:
	case KEPT6_MULTICAST_LOOP:
	case KEPT6_MTU_DISCOVER:        /* IPV6_PMTUDISC_WANT, as net.ipv6 */
		return 1;
	}
	return 0;
}

/**
 * sock_opts() - @sk's options, allocated with every default if it has none
 * @sk: the socket
 *
 * Return: them, or NULL (no memory: the caller fails with -ENOMEM)
 */
struct sock_opts *sock_opts(struct sock *sk)
{
	struct sock_opts *o;

	if (sk->o)
		return sk->o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	for (int k = 0; k < KEPT_MAX; k++)
		o->kept[k] = kept_default(k);
	for (int k = 0; k < KEPT6_MAX; k++)
		o->ip6_kept[k] = kept6_default(sk, k);
	sk->o = o;
	return o;
}

/**
 * sock_opts_inherit() - an accepted connection takes its listener's
 * options (not its groups, nor its address: the connection has its own)
 * @c: the connection
 * @l: the listener
 *
 * Return: 0, or -ENOMEM (the connection keeps the defaults)
 */
int sock_opts_inherit(struct sock *c, const struct sock *l)
{
	struct sock_opts *o;

	if (!l->o || !l->o->set)        /* only bound: nothing to take */
		return 0;
	o = sock_opts(c);
	if (!o)
		return -ENOMEM;
	memcpy(o->kept, l->o->kept, sizeof(o->kept));
	memcpy(o->ip6_kept, l->o->ip6_kept, sizeof(o->ip6_kept));
	o->user_mss = l->o->user_mss;
	o->user_sndbuf = l->o->user_sndbuf;
	o->user_rcvbuf = l->o->user_rcvbuf;
	o->tcp_inq = l->o->tcp_inq;
	o->notsent_lowat = l->o->notsent_lowat;
	o->rxtime = l->o->rxtime;
	o->set = true;
	return 0;
}

int sock_kept(const struct sock *sk, int k)
{
	return sk->o ? sk->o->kept[k] : kept_default(k);
}

/* Keep option @k of the SOL_SOCKET/IP table, or of the IPv6 one (@v6).
 * Return: 0, or -ENOMEM */
static int kept_set(struct sock *sk, bool v6, int k, int val)
{
	int def = v6 ? kept6_default(sk, k) : kept_default(k);

	if (!sk->o && val == def)
		return 0;
	if (!sock_opts(sk))
		return -ENOMEM;
	(v6 ? sk->o->ip6_kept : sk->o->kept)[k] = val;
	sk->o->set = true;
	return 0;
}

int sock_kept_set(struct sock *sk, int k, int val)
{
	return kept_set(sk, false, k, val);
}

int sock_kept6(const struct sock *sk, int k)
{
	return sk->o ? sk->o->ip6_kept[k] : kept6_default(sk, k);
}

int sock_kept6_set(struct sock *sk, int k, int val)
{
	return kept_set(sk, true, k, val);
}

/**
 * sock_detach() - drop @sk's channel and take it out of the cookie table:
 * no request reaches it any more (a lingering close, or on the way out)
 * @sk: the socket
 */
void sock_detach(struct sock *sk)
{
	struct socktab *t = sk->t;
	struct sock **pp = &t->hash[hash_of(t, sk->cookie)];

	while (*pp && *pp != sk)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = sk->hnext;
	sk->hnext = NULL;
	if (sk->polled) {
		/* the close below takes the channel out of the epoll set:
		 * only this daemon ever holds its end (never duplicated or
		 * passed), so it is the last reference; a report still to
		 * dispatch in this batch is stale (the one being dispatched
		 * included) */
		for (int i = t->ev_i; i < t->ev_n; i++)
			if (t->evs[i].data.ptr == sk)
				t->evs[i].data.ptr = NULL;
	}
	sk->polled = false;
	sk->wev_armed = false;
	if (sk->chan >= 0)
		close(sk->chan);
	sk->chan = -1;
}

static uint64_t prog_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);   /* vDSO: no syscall */
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void prog_read_comm(struct sock_prog *p)
{
	char path[32];
	FILE *f;

	snprintf(p->comm, sizeof(p->comm), "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)p->pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(p->comm, sizeof(p->comm), f))
			p->comm[strcspn(p->comm, "\n")] = '\0';
		fclose(f);
	}
}

/* The record of process @pid as @uid, made (its command read from /proc)
 * if it has none, revived if idle; NULL without memory. */
static struct sock_prog *prog_get(struct socktab *t, uid_t uid, pid_t pid)
{
	struct sock_prog **b = &t->progs[(unsigned)pid % SOCK_PROG_HASH], *p;

	for (p = *b; p; p = p->next)
		if (p->pid == pid && p->uid == uid) {
			if (!p->refs) {
				t->progs_idle--;
				if (prog_clock_ms() - p->idle_ms >
				    SOCK_PROG_FRESH_MS)
					prog_read_comm(p);
			}
			p->refs++;
			return p;
		}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->uid = uid;
	p->refs = 1;
	prog_read_comm(p);
	p->next = *b;
	*b = p;
	return p;
}

/* Free the idle records idle since before @before (0: all idle ones). */
static void prog_reap(struct socktab *t, uint64_t before)
{
	for (unsigned i = 0; i < SOCK_PROG_HASH; i++) {
		struct sock_prog **pp = &t->progs[i], *p;

		while ((p = *pp)) {
			if (p->refs || (before && p->idle_ms >= before)) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			free(p);
			t->progs_idle--;
		}
	}
}

static void prog_put(struct socktab *t, struct sock_prog *p)
{
	uint64_t now;

	if (!p || p == &t->noprog || --p->refs)
		return;
	now = prog_clock_ms();
	p->idle_ms = now;
	if (++t->progs_idle <= SOCK_PROG_IDLE)
		return;
	prog_reap(t, now > SOCK_PROG_FRESH_MS ? now - SOCK_PROG_FRESH_MS : 1);
	if (t->progs_idle > 4 * SOCK_PROG_IDLE)
		prog_reap(t, 0);
}

/**
 * sock_aux() - what only a listener or a lingering close uses, allocated
 * by the first use
 * @sk: the socket
 *
 * Return: it, or NULL without memory
 */
struct sock_aux *sock_aux(struct sock *sk)
{
	if (!sk->aux) {
		sk->aux = calloc(1, sizeof(*sk->aux));
		if (sk->aux)
			sk->aux->pend_child_fd = -1;
	}
	return sk->aux;
}

/**
 * sock_close() - the last holder closed the program's end: free it all,
 * unless the protocol keeps it for SO_LINGER (sock_end.c)
 * @sk: the socket
 */
void sock_close(struct sock *sk)
{
	struct socktab *t = sk->t;

	if (!sk->lingering && sk->linger_close && sk->proto &&
	    sk->proto->linger && sk->proto->linger(sk)) {
		sock_detach(sk);
		return;
	}
	sock_detach(sk);
	if (sk->prev)
		sk->prev->next = sk->next;
	else
		t->all = sk->next;
	if (sk->next)
		sk->next->prev = sk->prev;
	t->count--;
	if (sk->proto)
		sk->proto->close(sk);
	free(sk->o);
	sock_linger_reply(sk);
	if (sk->aux && sk->aux->linger_timer)
		event_free(sk->aux->linger_timer);
	free(sk->aux);
	sock_unkick(sk);
	sk->q->socks--;
	sk->q->mem -= sk->charged;
	prog_put(t, sk->owner);
	t->st.closed++;
	slab_free(&sock_cache, sk);
}

static const struct sock_proto *proto_for(int domain, int type, int *protocol)
{
	int icmp = domain == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;

	if (type == SOCK_DGRAM && (*protocol == 0 || *protocol == IPPROTO_UDP)) {
		*protocol = IPPROTO_UDP;
		return &sock_udp_proto;
	}
	if (type == SOCK_STREAM && (*protocol == 0 || *protocol == IPPROTO_TCP)) {
		*protocol = IPPROTO_TCP;
		return &sock_tcp_proto;
	}
	/* ICMP sockets (sock_icmp.c): ICMP for AF_INET, ICMPv6 for AF_INET6 */
	if (*protocol == icmp)
		return type == SOCK_DGRAM ? &sock_ping_proto :
		       type == SOCK_RAW ? &sock_raw_proto : NULL;
	return NULL;
}

/*
 * A channel: the daemon's end (fds[0]) non-blocking, the program's end's
 * cookie and inode (how sock_end.c finds it). @prog_nb: the program's end
 * non-blocking too (both made so at once: no fcntl()). A stream's send
 * buffer grows when it is first wanted (sock_chan_grow()).
 * Return: 0, or a negative errno with nothing left open.
 */
static int chan_pair(int type, bool prog_nb, int fds[2], uint64_t *cookie,
		     ino_t *ino)
{
	socklen_t len = sizeof(*cookie);
	struct stat st;
	int rc;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC |
		       (prog_nb ? SOCK_NONBLOCK : 0), 0, fds))
		return -errno;
	if (getsockopt(fds[1], SOL_SOCKET, SO_COOKIE, cookie, &len) ||
	    fstat(fds[1], &st) ||
	    (!prog_nb && fcntl(fds[0], F_SETFL, O_NONBLOCK))) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	*ino = st.st_ino;
	return 0;
}

/**
 * sock_chan_renew() - give a socket whose channel was shut both ways (a
 * failed non-blocking connect: the program saw POLLHUP, as the kernel's
 * socket shows) a new one, for the next attempt
 * @sk: the socket
 * @client_fd: set to the program's new end, for the caller to pass and
 * close (libustack puts it at the old one's descriptor)
 *
 * Return: 0, or a negative errno (the socket keeps its old channel)
 */
int sock_chan_renew(struct sock *sk, int *client_fd)
{
	struct socktab *t = sk->t;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = sk };
	uint64_t cookie;
	ino_t ino;
	int fds[2], rc;

	rc = chan_pair(sk->proto->chan_type, false, fds, &cookie, &ino);
	if (rc)
		return rc;
	if (sk->proto->chan_type == SOCK_STREAM)
		ev.events |= EPOLLET;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fds[0], &ev)) {
		rc = errno == ENOSPC ? -ENFILE : -ENOMEM;
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	sock_detach(sk);                /* the old one: hash, epoll, closed */
	sk->chan = fds[0];
	sk->cookie = cookie;
	sk->prog_ino = ino;
	sk->polled = true;
	sk->dead = sk->chan_wr_shut = sk->prog_eof = sk->chan_big = false;
	sk->chan_empty = false;
	sk->hnext = t->hash[hash_of(t, sk->cookie)];
	t->hash[hash_of(t, sk->cookie)] = sk;
	t->st.chan_renewed++;
	*client_fd = fds[1];
	return 0;
}

/**
 * sock_alloc() - a socket with its channel, charged to @q
 * @t: the table
 * @q: the uid that pays for it
 * @domain: AF_INET or AF_INET6
 * @type: SOCK_DGRAM or SOCK_STREAM, with SOCK_NONBLOCK for a program's
 * end made non-blocking
 * @protocol: IPPROTO_UDP or IPPROTO_TCP
 * @proto: the protocol glue
 * @engine: an engine socket to adopt (an accepted connection), or NULL
 * @client_fd: set to the program's end, for the caller to pass and close
 * @err: set to a negative errno on failure
 *
 * Return: the socket, or NULL
 */
struct sock *sock_alloc(struct socktab *t, struct uid_quota *q, int domain,
			int type, int protocol, const struct sock_proto *proto,
			void *engine, int *client_fd, int *err)
{
	bool prog_nb = type & SOCK_NONBLOCK;
	struct sock *sk;
	int fds[2], rc;

	type &= ~SOCK_NONBLOCK;
	if (t->count >= t->lim.max_socks) {
		t->st.limit_socks++;
		*err = -ENFILE;
		return NULL;
	}
	if (q->socks >= t->lim.max_socks_per_uid) {
		t->st.quota_socks++;
		*err = -EMFILE;
		return NULL;
	}
	sk = slab_alloc(&sock_cache);
	if (!sk) {
		*err = -ENOMEM;
		return NULL;
	}
	sk->t = t;
	sk->q = q;
	sk->owner = &t->noprog;         /* the caller names the holder */
	sk->domain = domain;
	sk->type = type;
	sk->protocol = protocol;
	if (sock_charge(sk, 0)) {
		slab_free(&sock_cache, sk);
		*err = -ENOBUFS;
		return NULL;
	}
	q->socks++;
	rc = chan_pair(proto->chan_type, prog_nb, fds, &sk->cookie,
		       &sk->prog_ino);
	if (rc)
		goto fail_pair;
	sk->chan = fds[0];
	sk->proto = proto;
	if (chan_watch(sk, EPOLL_CTL_ADD)) {
		rc = errno == ENOSPC ? -ENFILE : -ENOMEM;  /* max_user_watches */
		sk->proto = NULL;
		goto fail_fds;
	}
	sk->polled = true;
	rc = proto->open(sk, engine);
	if (rc) {
		proto->close(sk);
		sk->proto = NULL;
		goto fail_fds;
	}
	sk->id = ++t->next_id;
	sk->next = t->all;
	if (t->all)
		t->all->prev = sk;
	t->all = sk;
	t->count++;
	sk->hnext = t->hash[hash_of(t, sk->cookie)];
	t->hash[hash_of(t, sk->cookie)] = sk;
	t->st.created++;
	*client_fd = fds[1];
	return sk;
fail_fds:
	sock_unkick(sk);                /* the close leaves the epoll set */
	close(fds[0]);
	close(fds[1]);
fail_pair:
	q->socks--;
	q->mem -= sk->charged;
	free(sk->o);
	slab_free(&sock_cache, sk);
	*err = rc;
	return NULL;
}

/*
 * Record who holds @sk: the process that created it or made the latest
 * request on it (after a fork, the one that still uses it). Without memory
 * for a new record it keeps the one it has (a new socket's: t->noprog).
 */
static void sock_set_owner(struct sock *sk, uid_t uid, pid_t pid)
{
	struct sock_prog *p = sk->owner;

	if (p && p->pid == pid && p->uid == uid)
		return;
	p = prog_get(sk->t, uid, pid);
	if (!p)
		return;
	prog_put(sk->t, sk->owner);
	sk->owner = p;
}

/* An accepted connection is its listener's holder's (sk_clone_lock()). */
void sock_owner_share(struct sock *c, const struct sock *l)
{
	c->owner = l->owner;
	if (c->owner != &c->t->noprog)
		c->owner->refs++;
}

/**
 * sock_owner_of() - the owner of the socket an engine socket belongs to
 * @user: what tcp_user()/udp_user() returns (a struct sock), or NULL
 * @o: filled in
 *
 * Return: true, or false for an engine socket no program holds (an orphan)
 */
bool sock_owner_of(const void *user, struct sock_owner *o)
{
	const struct sock *sk = user;

	if (!sk || sk->lingering)
		return false;   /* an orphan; a lingering one: closed */
	o->id = sk->id;
	o->pid = sk->owner->pid;
	o->uid = sk->owner->uid;
	memcpy(o->comm, sk->owner->comm, sizeof(o->comm));
	return true;
}

/**
 * socktab_foreach_udp() - call @fn for every UDP socket programs hold
 * @t: the table
 * @fn: called with @arg and a view of each socket
 * @arg: passed through
 */
void socktab_foreach_udp(struct socktab *t,
			 void (*fn)(void *arg, const struct sock_udp_view *v),
			 void *arg)
{
	for (struct sock *sk = t->all; sk; sk = sk->next) {
		struct sock_udp_view v = { .recv_q = 0 };

		if (sk->protocol != IPPROTO_UDP || !sk->proto)
			continue;
		v.domain = sk->domain;
		sock_owner_of(sk, &v.owner);
		sk->proto->getname(sk, false, &v.laddr, &v.lport);
		v.connected = sk->proto->getname(sk, true, &v.raddr, &v.rport) == 0;
		if (!v.connected) {
			v.raddr = ip_any(v.laddr.family);
			v.rport = 0;
		}
		v.recv_q = udp_recv_queued(sk->e.udp);
		fn(arg, &v);
	}
}

/**
 * socktab_foreach_group() - call @fn for every multicast membership
 * @t: the table
 * @fn: called with @arg and a view of each (the engine socket's, both
 *      families)
 * @arg: passed through
 */
void socktab_foreach_group(struct socktab *t,
			   void (*fn)(void *arg,
				      const struct sock_group_view *v),
			   void *arg)
{
	_Static_assert(MC_MAX_SOURCES <= SOCK_VIEW_SOURCES, "sources shown");
	for (struct sock *sk = t->all; sk; sk = sk->next) {
		struct sock_group_view v;

		if (!sk->proto)
			continue;
		for (const struct mc_member *m = sk->dg ? mcast_members(sk->dg) :
		     NULL; m; m = m->next) {
			memset(&v, 0, sizeof(v));
			sock_owner_of(sk, &v.owner);
			v.group = m->group;
			v.ifindex = m->ifindex;
			v.include = m->include;
			v.nsrc = m->nsrc;
			memcpy(v.src, m->src, m->nsrc * sizeof(m->src[0]));
			fn(arg, &v);
		}
	}
}

static int sock_create(struct socktab *t, uid_t uid, pid_t pid,
		       const struct ustack_socket_req *req,
		       struct ustack_sock_info *info, int *client_fd)
{
	const struct sock_proto *proto;
	struct uid_quota *q;
	struct sock *sk;
	int protocol = req->protocol, rc;
	int type = req->type & ~SOCK_NONBLOCK;

	if (req->domain != AF_INET && req->domain != AF_INET6)
		return -EAFNOSUPPORT;
	/* inet_create(): a raw socket needs a protocol, then CAP_NET_RAW */
	if (type == SOCK_RAW && protocol > 0 && protocol < 256 && uid != 0)
		return -EPERM;
	proto = proto_for(req->domain, type, &protocol);
	if (!proto)
		return type == SOCK_STREAM || type == SOCK_DGRAM ||
		       type == SOCK_RAW ? -EPROTONOSUPPORT : -EINVAL;
	q = quota_get(t, uid);
	if (!q)
		return -ENOMEM;
	sk = sock_alloc(t, q, req->domain, req->type, protocol, proto, NULL,
			client_fd, &rc);
	if (!sk)
		return rc;
	sock_set_owner(sk, uid, pid);
	sock_info(sk, req->type & SOCK_NONBLOCK ? USTACK_INFO_NONBLOCK : 0,
		  info);
	return 0;
}

/**
 * sock_info() - what a program learns of a socket it receives (SOCKET,
 * QUERY, an accept)
 * @sk: the socket
 * @flags: USTACK_INFO_*, as its end was made
 * @info: filled in
 */
void sock_info(const struct sock *sk, uint32_t flags,
	       struct ustack_sock_info *info)
{
	*info = (struct ustack_sock_info){
		.domain = sk->domain, .type = sk->type,
		.protocol = sk->protocol, .id = sk->id,
		.ino = (uint64_t)sk->prog_ino, .flags = flags,
	};
}

/* The socket whose program end @fd is, or NULL (counted). */
static struct sock *sock_lookup(struct socktab *t, int fd)
{
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	struct sock *sk;

	if (fd < 0) {
		t->st.no_proof++;
		return NULL;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0)
		for (sk = t->hash[hash_of(t, cookie)]; sk; sk = sk->hnext)
			if (sk->cookie == cookie)
				return sk;
	t->st.not_ours++;
	return NULL;
}

/**
 * sock_addr_in() - a program's address as the engine takes it
 * @sk: the socket (its domain)
 * @ua: the address the program gave
 * @addr: set to it
 * @port: set to its port
 *
 * The one place a sockaddr becomes a struct ip_addr. An AF_INET socket
 * takes AF_INET addresses only (EAFNOSUPPORT for another, as Linux's
 * inet_bind(), tcp_v4_connect(), udp_sendmsg()). An AF_INET6 socket takes
 * AF_INET6 addresses (::ffff:a.b.c.d included, which the engine turns
 * into IPv4), and the AF_INET ones that libustack lets through where
 * Linux takes them (a UDP socket's connect and sendto, as
 * __ip6_datagram_connect() and udpv6_sendmsg()): they become
 * ::ffff:a.b.c.d here. The scope id is sock_scope()'s.
 *
 * Return: 0, or -EAFNOSUPPORT, -EINVAL (a malformed address)
 */
int sock_addr_in(const struct sock *sk, const struct ustack_sockaddr *ua,
		 struct ip_addr *addr, uint16_t *port)
{
	int rc = ustack_addr_check(ua);
	uint32_t a;

	if (rc)
		return rc;
	if (ua->family != sk->domain &&
	    !(sk->domain == AF_INET6 && ua->family == AF_INET))
		return -EAFNOSUPPORT;
	*port = ua->port;
	if (ua->family == AF_INET6) {
		*addr = ip6(ua->addr);
		return 0;
	}
	memcpy(&a, ua->addr, 4);
	*addr = ip4(ntohl(a));
	if (sk->domain == AF_INET6)
		*addr = ip_map(addr);
	return 0;
}

/* Does @a need an interface (Linux's __ipv6_addr_needs_scope_id():
 * link-local unicast, interface- and link-local multicast)? */
static bool sock_needs_scope(const struct ip_addr *a)
{
	return a->family == IP_V6 &&
	       (ip_addr_is_linklocal(a) ||
		(a->v6[0] == 0xff && (a->v6[1] & 0x0f) <= 2));
}

/* The interface a socket is bound to (SO_BINDTOIFINDEX), 0: none */
static unsigned sock_bound_if(struct sock *sk)
{
	int v = 0;

	if (sk->proto->getopt(sk, SOL_SOCKET, SO_BINDTOIFINDEX, &v))
		return 0;
	return (unsigned)v;
}

/**
 * sock_scope() - a bind or connect's sin6_scope_id
 * @sk: the socket
 * @ua: the address the program gave
 * @addr: it, as sock_addr_in() made it
 *
 * As inet6_bind() and tcp_v6_connect()/__ip6_datagram_connect(): an
 * address that needs a scope and comes with one binds the socket to that
 * interface (EINVAL if it is bound to another; ENODEV if the stack has no
 * such interface); without one, the engine answers EINVAL unless the
 * socket is bound to an interface already. Other addresses ignore it.
 *
 * Return: 0, -EINVAL, -ENODEV
 */
static int sock_scope(struct sock *sk, const struct ustack_sockaddr *ua,
		      const struct ip_addr *addr)
{
	unsigned bound;

	if (ua->family != AF_INET6 || !ua->scope_id || !sock_needs_scope(addr))
		return 0;
	bound = sock_bound_if(sk);
	if (bound && bound != ua->scope_id)
		return -EINVAL;
	if (ua->scope_id > 255)
		return -ENODEV;
	return sk->proto->setopt(sk, SOL_SOCKET, SO_BINDTOIFINDEX,
				 (int)ua->scope_id);
}

/**
 * sock_sendto_addr() - send one datagram to an address a program named
 * @sk: the socket
 * @data: the payload
 * @len: its length
 * @ua: the address as the program gave it (its scope id)
 * @addr: it, as sock_addr_in() made it
 * @port: its port
 * @meta: the datagram's control messages, or NULL
 *
 * udpv6_sendmsg() takes a link-local destination's sin6_scope_id as the
 * interface of this datagram alone (without one, the interface its route
 * gives: the stack's link): an unbound socket is bound to it for the
 * send, and unbound again.
 *
 * Return: what the protocol's sendto returns
 */
int sock_sendto_addr(struct sock *sk, const void *data, size_t len,
		     const struct ustack_sockaddr *ua,
		     const struct ip_addr *addr, uint16_t port,
		     const struct ustack_dgram_meta *meta)
{
	bool scoped = ua->family == AF_INET6 && sock_needs_scope(addr) &&
		      !sock_bound_if(sk);
	unsigned scope = ua->scope_id;
	int rc;

	/* UDP without a scope id: the route to fe80::/64, the link's */
	if (scoped && !scope && sk->protocol == IPPROTO_UDP)
		scope = STACK_IF_LINK;
	scoped = scoped && scope;
	if (scoped) {
		if (scope > 255)
			return -ENODEV;
		rc = sk->proto->setopt(sk, SOL_SOCKET, SO_BINDTOIFINDEX,
				       (int)scope);
		if (rc)
			return rc;
	}
	rc = sk->proto->sendto(sk, data, len, addr, port, meta);
	if (scoped)
		sk->proto->setopt(sk, SOL_SOCKET, SO_BINDTOIFINDEX, 0);
	return rc;
}

/**
 * sock_addr_out() - an engine address as the program sees it
 * @sk: the socket (its domain)
 * @addr: the engine's address (IPv4 for an AF_INET6 socket's IPv4
 *        traffic; family IP_NONE: unspecified)
 * @port: its port
 * @ua: set to the sockaddr: AF_INET, or AF_INET6 with IPv4 addresses
 *      shown as ::ffff:a.b.c.d, as Linux shows them, and the interface
 *      the socket is bound to as the scope of an address that needs one
 *      (inet6_getname()'s ipv6_iface_scope_id())
 */
void sock_addr_out(struct sock *sk, const struct ip_addr *addr,
		   uint16_t port, struct ustack_sockaddr *ua)
{
	memset(ua, 0, sizeof(*ua));
	ua->port = port;
	if (sk->domain == AF_INET6) {
		struct ip_addr m = addr->family == IP_V4 ? ip_map(addr) :
				   addr->family == IP_V6 ? *addr :
				   ip_any(IP_V6);

		ua->family = AF_INET6;
		memcpy(ua->addr, m.v6, 16);
		if (sock_needs_scope(&m))
			ua->scope_id = sock_bound_if(sk);
		return;
	}
	ua->family = AF_INET;
	if (addr->family == IP_V4) {
		uint32_t n = htonl(addr->v4);

		memcpy(ua->addr, &n, 4);
	}
}

/*
 * A program closes a socket and binds its port again at once (iperf3 -s,
 * restarting servers): the kernel has freed the port by then, but the
 * end-of-file on our channel may still wait in the event loop. Before
 * answering EADDRINUSE, close every socket whose program end is gone and
 * that holds a port without a connection in flight (datagram sockets,
 * listeners, never-connected streams); a connected stream keeps its
 * channel until every byte in it is sent.
 */
static unsigned sock_reap(struct socktab *t)
{
	unsigned n = 0;
	bool again = true;

	/* closing one may free others (a listener's pending child): start
	 * over after each */
	while (again) {
		again = false;
		for (struct sock *sk = t->all; sk; sk = sk->next) {
			struct pollfd p = { .fd = sk->chan, .events = POLLIN };

			if (sk->chan < 0 || (sk->type == SOCK_STREAM &&
			    !sk->listening && (sk->conn_done || sk->connecting)))
				continue;
			if (poll(&p, 1, 0) == 1 &&
			    (p.revents & (POLLHUP | POLLERR))) {
				sock_close(sk);
				n++;
				again = true;
				break;
			}
		}
	}
	return n;
}

static bool sock_v6only(struct sock *sk)
{
	int v = 0;

	return sk->proto->getopt(sk, IPPROTO_IPV6, IPV6_V6ONLY, &v) == 0 && v;
}

static int req_bind(struct sock *sk, uid_t uid, const struct ustack_sockaddr *ua)
{
	struct ip_addr addr;
	uint16_t port;
	int rc;

	/* AF_UNSPEC with INADDR_ANY: Linux's inet_bind() compatibility */
	if (ua->family == AF_UNSPEC)
		rc = 0, addr = ip_any(sk->domain == AF_INET6 ? IP_V6 : IP_V4),
		port = ua->port;
	else
		rc = sock_addr_in(sk, ua, &addr, &port);
	if (rc == 0)
		rc = sock_scope(sk, ua, &addr);
	if (rc)
		return rc;
	/* a ping socket's identifier and a raw socket's port are no ports */
	if (port && port < 1024 && uid != 0 && sk->protocol != IPPROTO_ICMP &&
	    sk->protocol != IPPROTO_ICMPV6) {
		sk->t->st.eacces_port++;
		return -EACCES;
	}
	rc = sk->proto->bind(sk, &addr, port);
	if (rc == -EADDRINUSE && sock_reap(sk->t))
		rc = sk->proto->bind(sk, &addr, port);
	return rc;
}

/*
 * __ip6_datagram_connect()'s refusals the engine does not make first: an
 * IPv4 peer for a V6ONLY socket; an IPv6 peer for a socket whose address
 * is IPv4 already (bound or connected v4-mapped), after the check of a
 * link-local peer's scope.
 */
static int sock_dgram_connect6(struct sock *sk, const struct ustack_sockaddr *ua,
			       const struct ip_addr *addr)
{
	struct ip_addr la;
	uint16_t lp;

	if (ua->family == AF_INET || ip_addr_is_v4mapped(addr))
		return sock_v6only(sk) && ua->family == AF_INET ?
		       -EAFNOSUPPORT : 0;
	if (sock_needs_scope(addr) && !ua->scope_id && !sock_bound_if(sk))
		return -EINVAL;
	sk->proto->getname(sk, false, &la, &lp);
	return la.family == IP_V4 && !ip_addr_is_any(&la) ? -EAFNOSUPPORT : 0;
}

static int req_connect(struct sock *sk, const struct ustack_connect_req *r,
		       const uint8_t *data, size_t dlen, uint64_t client,
		       uint32_t seq)
{
	struct ip_addr addr;
	uint16_t port;
	int rc;

	if (r->filler > (1u << 20))
		return -EINVAL;
	if (sk->type == SOCK_STREAM)
		sk->filler += r->filler;
	if (r->addr.family == AF_UNSPEC)
		return sk->proto->disconnect(sk);
	rc = sock_addr_in(sk, &r->addr, &addr, &port);
	if (rc == 0 && sk->domain == AF_INET6 && sk->type != SOCK_STREAM)
		rc = sock_dgram_connect6(sk, &r->addr, &addr);
	if (rc == 0)
		rc = sock_scope(sk, &r->addr, &addr);
	if (rc) {
		/* the attempt failed at once: its filler goes now */
		if (sk->type == SOCK_STREAM && r->filler)
			sk->proto->chan_read(sk);
		return rc;
	}
	if (sk->pend_connect)
		return -EALREADY;
	if ((r->fastopen || dlen) && sk->type != SOCK_STREAM)
		return -EINVAL;
	if (r->fastopen)        /* MSG_FASTOPEN: data for the SYN */
		rc = sock_tcp_fastopen(sk, &addr, port, r->nonblock != 0,
				       data, dlen);
	else if (dlen)
		return -EINVAL;
	else
		rc = sk->proto->connect(sk, &addr, port, r->nonblock != 0);
	if (rc == SOCK_PENDING) {
		sk->pend_connect = true;
		sk->pend_client = client;
		sk->pend_seq = seq;
	}
	sock_settle(sk);
	return rc;
}

/* Options every protocol shares, kept here; others go to the protocol. */
static int kept_index(int level, int name)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_KEEPALIVE: return KEPT_KEEPALIVE;
		case SO_DONTROUTE: return KEPT_DONTROUTE;
		case SO_OOBINLINE: return KEPT_OOBINLINE;
		case SO_PRIORITY: return KEPT_PRIORITY;
		case SO_RCVLOWAT: return KEPT_RCVLOWAT;
		case SO_NO_CHECK: return KEPT_NO_CHECK;
		case SO_BROADCAST: return KEPT_BROADCAST;
		case SO_MARK: return KEPT_MARK;
		case SO_RXQ_OVFL: return KEPT_RXQ_OVFL;
		case SO_BUSY_POLL: return KEPT_BUSY_POLL;
		case SO_INCOMING_CPU: return KEPT_INCOMING_CPU;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TOS: return KEPT_IP_TOS;
		case IP_TTL: return KEPT_IP_TTL;
		case IP_RECVERR: return KEPT_IP_RECVERR;
		case IP_MTU_DISCOVER: return KEPT_IP_MTU_DISCOVER;
		case IP_PKTINFO: return KEPT_IP_PKTINFO;
		case IP_RECVTOS: return KEPT_IP_RECVTOS;
		case IP_RECVTTL: return KEPT_IP_RECVTTL;
		case IP_RECVORIGDSTADDR: return KEPT_IP_RECVORIGDSTADDR;
		case IP_MULTICAST_LOOP: return KEPT_IP_MULTICAST_LOOP;
		case IP_MINTTL: return KEPT_IP_MINTTL;
		case IP_LOCAL_PORT_RANGE: return KEPT_IP_PORT_RANGE;
		}
	}
	return -1;
}

/*
 * Options of Linux's socket layer that a stream keeps and that act on
 * nothing ustack has, as on Linux for TCP (SO_BROADCAST, SO_RXQ_OVFL, the
 * IP_RECV* flags outside IP_PKTOPTIONS, IP_MULTICAST_LOOP), or on what a
 * user-space stack has no part of (SO_MARK: no mark-based routing or
 * filter; SO_BUSY_POLL: no device queue to poll; SO_INCOMING_CPU: one
 * thread). Datagram sockets answer the first group themselves
 * (sock_dgram.c: they act on them), so it is kept here for streams only.
 */
static bool kept_only_stream(int k)
{
	return k == KEPT_BROADCAST || k == KEPT_RXQ_OVFL ||
	       k == KEPT_IP_RECVTOS || k == KEPT_IP_RECVTTL ||
	       k == KEPT_IP_RECVORIGDSTADDR || k == KEPT_IP_MULTICAST_LOOP;
}

/* SO_BUF_LOCK: a stream's locks are its engine's (sock_tcp.c); a
 * datagram socket keeps them (its buffers are never autotuned) */
static int set_buf_lock(struct sock *sk, int val)
{
	if (sk->type == SOCK_STREAM)
		return sk->proto->setopt(sk, SOL_SOCKET, SO_BUF_LOCK, val);
	if (val & ~3)
		return -EINVAL;
	return sock_kept_set(sk, KEPT_BUF_LOCK, val);
}

static int get_buf_lock(struct sock *sk)
{
	int v = 0;

	if (sk->type == SOCK_STREAM &&
	    sk->proto->getopt(sk, SOL_SOCKET, SO_BUF_LOCK, &v) == 0)
		return v;
	return sock_kept(sk, KEPT_BUF_LOCK);
}

/*
 * IP_FREEBIND, IP_TRANSPARENT (their IPv6 names the same flags, as
 * Linux's inet_sock) and IP_BIND_ADDRESS_NO_PORT: kept here, and the
 * engine told what bind() is to do: take an address that is not ours
 * (either flag; a transparent socket receives what a TPROXY rule would
 * give it, and ustack has no such rule) and leave the port to connect().
 * Return: the KEPT_* index, or -1 for another option
 */
static int nonlocal_index(const struct sock *sk, int level, int name)
{
	if (level == IPPROTO_IP)
		return name == IP_FREEBIND ? KEPT_IP_FREEBIND :
		       name == IP_TRANSPARENT ? KEPT_IP_TRANSPARENT :
		       name == IP_BIND_ADDRESS_NO_PORT ? KEPT_IP_BIND_NO_PORT : -1;
	if (level == IPPROTO_IPV6 && sk->domain == AF_INET6)
		return name == IPV6_FREEBIND ? KEPT_IP_FREEBIND :
		       name == IPV6_TRANSPARENT ? KEPT_IP_TRANSPARENT : -1;
	return -1;
}

static int set_nonlocal(struct sock *sk, int k, int val)
{
	int rc;

	/* CAP_NET_RAW or CAP_NET_ADMIN: root here */
	if (k == KEPT_IP_TRANSPARENT && val && sk->owner->uid)
		return -EPERM;
	rc = sock_kept_set(sk, k, val != 0);
	if (rc)
		return rc;
	if (k == KEPT_IP_BIND_NO_PORT)
		rc = sk->proto->setopt(sk, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
				       val != 0);
	else
		rc = sk->proto->setopt(sk, IPPROTO_IP, IP_FREEBIND,
				       sock_kept(sk, KEPT_IP_FREEBIND) ||
				       sock_kept(sk, KEPT_IP_TRANSPARENT));
	return rc == -ENOPROTOOPT ? 0 : rc;     /* ping, raw: kept only */
}

static bool is_ts_opt(int level, int name)
{
	return level == SOL_SOCKET &&
	       (name == SO_TIMESTAMP_OLD || name == SO_TIMESTAMP_NEW ||
		name == SO_TIMESTAMPNS_OLD || name == SO_TIMESTAMPNS_NEW);
}

/* The checks Linux's sk_setsockopt() and do_ip_setsockopt() make of the
 * kept options: 0 or -errno */
static int kept_check(const struct sock *sk, int k, int val)
{
	switch (k) {
	case KEPT_MARK:         /* CAP_NET_RAW or CAP_NET_ADMIN: root here */
		return sk->owner->uid ? -EPERM : 0;
	case KEPT_IP_MINTTL:
		return val < 0 || val > 255 ? -EINVAL : 0;
	case KEPT_IP_PORT_RANGE: {
		/* lo | hi << 16; either 0 for none, not lo above hi */
		unsigned lo = (uint32_t)val & 0xffff, hi = (uint32_t)val >> 16;

		return lo && hi && lo > hi ? -EINVAL : 0;
	}
	case KEPT_BUSY_POLL:
		if (val < 0)
			return -EINVAL;
		return val > sock_kept(sk, k) && sk->owner->uid ? -EPERM : 0;
	}
	return 0;
}

#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

/*
 * SO_BINDTODEVICE and SO_BINDTOIFINDEX, as Linux's sock_setbindtodevice()
 * and sock_bindtoindex_locked(). The names a program may bind to are the
 * stack's interfaces as the program sees them: the link (the TAP or pcap
 * interface, by its kernel name) and "lo" (the stack's own loopback); any
 * other name is ENODEV. The engine's socket keeps the interface as the
 * daemon numbers them (STACK_IF_LINK, STACK_IF_LOOPBACK: libclient maps
 * the program's SO_BINDTOIFINDEX indexes both ways, as scope ids); an
 * index of no interface of the stack is ENODEV. As Linux since 5.7, any
 * user may bind an unbound socket; changing or removing a binding takes
 * CAP_NET_RAW (here: root, from the credentials of the program's
 * connection). The stack has one link besides its loopback: the binding
 * gives link-local addresses their interface and changes no route
 * (ustack(7)).
 */
static int bind_dev_index(struct sock *sk, const struct ustack_sockopt *o)
{
	char name[IFNAMSIZ] = "";

	/* Linux: the name is cut to IFNAMSIZ - 1 bytes, "" or none unbinds */
	memcpy(name, o->val, o->len < IFNAMSIZ - 1 ? o->len : IFNAMSIZ - 1);
	if (!name[0])
		return 0;
	if (!strcmp(name, "lo"))
		return STACK_IF_LOOPBACK;
	if (!strcmp(name, ctl_link(sk->t->ctl)))
		return STACK_IF_LINK;
	return -ENODEV;
}

static int req_bindtodevice(struct sock *sk, const struct ustack_sockopt *o)
{
	int idx;

	if (o->name == SO_BINDTODEVICE) {
		idx = bind_dev_index(sk, o);
		if (idx < 0)
			return idx;
	} else {
		if (o->len < sizeof(int))
			return -EINVAL;
		memcpy(&idx, o->val, sizeof(int));
	}
	if (sock_bound_if(sk) && sk->owner->uid != 0)
		return -EPERM;          /* CAP_NET_RAW */
	if (idx < 0)
		return -EINVAL;
	return sk->proto->setopt(sk, SOL_SOCKET, SO_BINDTOIFINDEX, idx);
}

/* getsockopt(SO_BINDTODEVICE): the name, none (length 0) when unbound;
 * a buffer shorter than IFNAMSIZ is EINVAL, as Linux */
static int get_bindtodevice(struct sock *sk, const struct ustack_sockopt *o,
			    struct ustack_sockopt *out)
{
	unsigned idx = sock_bound_if(sk);
	const char *name;

	out->len = 0;
	if (!idx)
		return 0;
	if (o->len < IFNAMSIZ)
		return -EINVAL;
	name = idx == STACK_IF_LOOPBACK ? "lo" : ctl_link(sk->t->ctl);
	out->len = (uint32_t)strlen(name) + 1;
	memcpy(out->val, name, out->len);
	return 0;
}

static int req_setsockopt(struct sock *sk, const struct ustack_sockopt *o)
{
	int val = 0, k;

	if (o->len > USTACK_OPT_MAX)
		return -EINVAL;
	if (o->level == SOL_SOCKET &&
	    (o->name == SO_BINDTODEVICE || o->name == SO_BINDTOIFINDEX))
		return req_bindtodevice(sk, o);
	if (o->level == SOL_SOCKET && o->name == SO_LINGER) {
		struct linger l;

		if (o->len < sizeof(l))
			return -EINVAL;
		memcpy(&l, o->val, sizeof(l));
		if (sock_kept_set(sk, KEPT_LINGER_ON, l.l_onoff != 0) ||
		    sock_kept_set(sk, KEPT_LINGER_SECS, l.l_linger))
			return -ENOMEM;
		/* TCP acts on it; for others it is only kept */
		sk->proto->setopt(sk, SOL_SOCKET, SO_LINGER,
				  l.l_onoff ? l.l_linger : -1);
		return 0;
	}
	if (o->level == IPPROTO_ICMPV6 && sk->domain == AF_INET6)
		return sock_icmp6_filter(sk, o, NULL);
	if (o->level == IPPROTO_IP && sock_mcast_opt(o->name))
		return sock_mcast_setopt(sk, o);
	/* do_ip_setsockopt(): exactly a __u32 */
	if (o->level == IPPROTO_IP && o->name == IP_LOCAL_PORT_RANGE &&
	    o->len != sizeof(uint32_t))
		return -EINVAL;
	if (o->level == IPPROTO_TCP && o->name == TCP_FASTOPEN_KEY &&
	    sk->type == SOCK_STREAM) {
		size_t n = o->len;

		return sock_tcp_fastopen_key(sk, true, (uint8_t *)o->val, &n);
	}
	if (o->len < sizeof(int)) {
		if (o->len == 0)
			return -EINVAL;
		val = o->val[0];        /* Linux takes a byte for some */
	} else {
		memcpy(&val, o->val, sizeof(int));
	}
	k = nonlocal_index(sk, o->level, o->name);
	if (k >= 0)
		return set_nonlocal(sk, k, val);
	if (o->level == IPPROTO_IPV6)   /* an AF_INET socket: ip_setsockopt() */
		return sk->domain == AF_INET6 ? sock_inet6_setopt(sk, o) :
		       -ENOPROTOOPT;
	/* Linux: CAP_NET_ADMIN, which here is root's */
	if (o->level == SOL_SOCKET && sk->owner->uid != 0 &&
	    (o->name == SO_RCVBUFFORCE || o->name == SO_SNDBUFFORCE))
		return -EPERM;
	if (o->level == SOL_SOCKET && o->name == SO_PASSCRED)
		return -EOPNOTSUPP;     /* Linux 6.x: AF_UNIX and netlink's */
	if (o->level == IPPROTO_TCP && o->name == TCP_CONGESTION &&
	    sk->type == SOCK_STREAM) {
		size_t n = o->len;

		return sock_tcp_congestion(sk, true, (char *)o->val, &n);
	}
	if (is_ts_opt(o->level, o->name) && sk->type == SOCK_STREAM) {
		uint32_t f = (uint32_t)sock_kept(sk, KEPT_TSFLAGS);

		sock_ts_flags_set(&f, o->name, val);
		if (sock_kept_set(sk, KEPT_TSFLAGS, (int)f))
			return -ENOMEM;
		sock_tcp_rx_sync(sk);   /* its receive times: logged or not */
		return 0;
	}
	if (o->level == SOL_SOCKET && o->name == SO_BUF_LOCK)
		return set_buf_lock(sk, val);
	if (o->level == IPPROTO_IP && sk->type == SOCK_STREAM &&
	    (o->name == IP_MULTICAST_TTL || o->name == IP_MULTICAST_ALL))
		/* do_ip_setsockopt(): not for a stream; the flag any socket */
		return o->name == IP_MULTICAST_TTL ? -EINVAL :
		       sock_kept_set(sk, KEPT_IP_MULTICAST_ALL, val != 0);
	k = kept_index(o->level, o->name);
	if (k >= 0 && kept_only_stream(k) && sk->type != SOCK_STREAM)
		k = -1;
	if (k == KEPT_IP_TTL && (val < -1 || val == 0 || val > 255))
		return -EINVAL;
	if (k == KEPT_IP_TTL && val == -1)
		val = 64;
	if (k >= 0) {
		int rc = kept_check(sk, k, val);

		if (rc)
			return rc;
		rc = sk->proto->setopt(sk, o->level, o->name, val);
		if (rc && rc != -ENOPROTOOPT)
			return rc;
		if (k == KEPT_KEEPALIVE || k == KEPT_DONTROUTE ||
		    k == KEPT_OOBINLINE || k == KEPT_NO_CHECK ||
		    k == KEPT_IP_RECVERR || k == KEPT_IP_PKTINFO ||
		    k == KEPT_BROADCAST || k == KEPT_RXQ_OVFL ||
		    k == KEPT_IP_RECVTOS || k == KEPT_IP_RECVTTL ||
		    k == KEPT_IP_RECVORIGDSTADDR || k == KEPT_IP_MULTICAST_LOOP)
			val = val != 0;
		if (k == KEPT_RCVLOWAT && val < 1)
			val = 1;
		return sock_kept_set(sk, k, val);
	}
	return sk->proto->setopt(sk, o->level, o->name, val);
}

/*
 * getsockopt(IP_PKTOPTIONS) on a TCP socket, as Linux's do_ip_getsockopt():
 * the control messages the connection's options ask for, here IP_PKTINFO
 * (ipi_ifindex: the interface an accepted connection came in on, Linux's
 * mc_index, 0 for one we opened; both addresses the local one). dnsmasq
 * asks it of every TCP query's connection and drops the connection when
 * it fails. The length is what was written; IP_RECVTTL's cmsg (the SYN's
 * TTL) is not given: the engine does not keep it.
 */
static int get_pktoptions(struct sock *sk, const struct ustack_sockopt *o,
			  struct ustack_sockopt *out)
{
	struct in_pktinfo pi;
	struct cmsghdr ch;
	struct ip_addr a;
	uint16_t port;

	if (sk->type != SOCK_STREAM)
		return -ENOPROTOOPT;
	out->len = 0;
	if (!sock_kept(sk, KEPT_IP_PKTINFO) ||
	    o->len < CMSG_SPACE(sizeof(pi)))
		return 0;
	if (sk->proto->getname(sk, false, &a, &port))
		return 0;
	memset(&pi, 0, sizeof(pi));
	pi.ipi_addr.s_addr = pi.ipi_spec_dst.s_addr =
		a.family == IP_V4 ? htonl(a.v4) : 0;
	if (a.family == IP_V4 && ipv4_is_loopback(a.v4))
		pi.ipi_ifindex = STACK_IF_LOOPBACK;
	else if (sk->accepted)
		pi.ipi_ifindex = STACK_IF_LINK;
	memset(&ch, 0, sizeof(ch));
	ch.cmsg_len = CMSG_LEN(sizeof(pi));
	ch.cmsg_level = IPPROTO_IP;
	ch.cmsg_type = IP_PKTINFO;
	memset(out->val, 0, CMSG_SPACE(sizeof(pi)));
	memcpy(out->val, &ch, sizeof(ch));
	memcpy(out->val + CMSG_LEN(0), &pi, sizeof(pi));
	out->len = CMSG_SPACE(sizeof(pi));
	return 0;
}

static int req_getsockopt(struct sock *sk, const struct ustack_sockopt *o,
			  struct ustack_sockopt *out)
{
	int val, k, rc;

	*out = *o;
	if (o->level == SOL_SOCKET) {
		switch (o->name) {
		case SO_TYPE:
			val = sk->type;
			goto give;
		case SO_DOMAIN:
			val = sk->domain;
			goto give;
		case SO_PROTOCOL:
			val = sk->protocol;
			goto give;
		case SO_BINDTODEVICE:
			return get_bindtodevice(sk, o, out);
		case SO_LINGER: {
			struct linger l = { sock_kept(sk, KEPT_LINGER_ON),
					    sock_kept(sk, KEPT_LINGER_SECS) };

			out->len = o->len < sizeof(l) ? o->len : sizeof(l);
			memcpy(out->val, &l, out->len);
			return 0;
		}
		case SO_SNDLOWAT:
			val = 1;        /* Linux's, fixed */
			goto give;
		case SO_PASSCRED:
			return -EOPNOTSUPP;
		case SO_BUF_LOCK:
			val = get_buf_lock(sk);
			goto give;
		case SO_COOKIE:
			/* sk_getsockopt(): a u64, EINVAL for less room; the
			 * cookie of the program's end names the socket */
			if (o->len < sizeof(uint64_t))
				return -EINVAL;
			out->len = sizeof(uint64_t);
			memcpy(out->val, &sk->cookie, sizeof(uint64_t));
			return 0;
		}
		if (o->name == USTACK_SO_RXTIME && sk->type == SOCK_STREAM)
			return sock_tcp_rxtime(sk, o, out);
		if (is_ts_opt(o->level, o->name) && sk->type == SOCK_STREAM) {
			val = sock_ts_flags_get((uint32_t)sock_kept(sk, KEPT_TSFLAGS),
						o->name);
			goto give;
		}
	}
	if (o->level == IPPROTO_IP && sk->type == SOCK_STREAM) {
		switch (o->name) {
		case IP_MULTICAST_TTL:
			val = 1;        /* never set on a stream */
			goto give;
		case IP_MULTICAST_ALL:
			val = sock_kept(sk, KEPT_IP_MULTICAST_ALL);
			goto give;
		}
	}
	if (o->level == IPPROTO_IP && o->name == IP_NODEFRAG &&
	    sk->type != SOCK_RAW) {
		val = 0;                /* only a raw socket sets it */
		goto give;
	}
	if (o->level == IPPROTO_ICMPV6 && sk->domain == AF_INET6)
		return sock_icmp6_filter(sk, o, out);
	if (o->level == IPPROTO_IP && o->name == IP_MULTICAST_IF)
		return sock_mcast_getopt(sk, o, out);
	if (o->level == IPPROTO_IP && o->name == IP_PKTOPTIONS &&
	    sk->domain == AF_INET)
		return get_pktoptions(sk, o, out);
	k = nonlocal_index(sk, o->level, o->name);
	if (k >= 0) {
		val = sock_kept(sk, k);
		goto give;
	}
	if ((o->level == IPPROTO_IP && o->name == IP_MTU &&
	     sk->domain == AF_INET) ||
	    (o->level == IPPROTO_IPV6 && o->name == IPV6_MTU &&
	     sk->domain == AF_INET6)) {
		/* the route's MTU to the peer (the path's, for IPv6);
		 * ENOTCONN without a peer, as Linux without a cached route */
		struct ip_addr a;
		uint16_t port;

		if (sk->proto->getname(sk, true, &a, &port))
			return -ENOTCONN;
		val = (int)dgram_path_mtu(sk->t->stack, &a);
		goto give;
	}
	if (o->level == IPPROTO_IPV6 && sk->domain == AF_INET6) {
		rc = sock_inet6_getopt(sk, o->name, &val);
		if (rc)
			return rc;
		goto give;
	}
	if (o->level == IPPROTO_IPV6)
		return -EOPNOTSUPP;     /* an AF_INET socket: ip_getsockopt() */
	if (o->level == IPPROTO_TCP && o->name == TCP_INFO &&
	    sk->type == SOCK_STREAM) {
		out->len = (uint32_t)sock_tcp_info(sk, out->val, o->len);
		return 0;
	}
	if (o->level == IPPROTO_TCP && sk->type == SOCK_STREAM &&
	    o->name == TCP_CONGESTION) {
		size_t n = o->len;

		rc = sock_tcp_congestion(sk, false, (char *)out->val, &n);
		out->len = (uint32_t)n;
		return rc;
	}
	if (o->level == IPPROTO_TCP && sk->type == SOCK_STREAM &&
	    o->name == TCP_FASTOPEN_KEY) {
		size_t n = o->len < sizeof(out->val) ? o->len : sizeof(out->val);

		rc = sock_tcp_fastopen_key(sk, false, out->val, &n);
		out->len = rc ? 0 : (uint32_t)n;
		return rc;
	}
	if (o->level == IPPROTO_TCP && sk->type == SOCK_STREAM &&
	    o->name == USTACK_TCP_ACKMARK)
		return sock_tcp_ackmarks(sk, o, out);
	if (o->level == IPPROTO_TCP && sk->type == SOCK_STREAM &&
	    o->name == USTACK_TCP_RECV_SHUT) {
		out->len = (uint32_t)sock_tcp_recv_shut(sk, out->val, o->len,
							o->val[0] & 1);
		return 0;
	}
	if (o->level == IPPROTO_TCP && sk->type == SOCK_STREAM &&
	    o->name == TCP_SAVED_SYN) {
		size_t n = 0;

		rc = sock_tcp_saved_syn(sk, out->val,
					o->len < sizeof(out->val) ? o->len
								  : sizeof(out->val),
					&n);
		out->len = rc ? 0 : (uint32_t)n;
		return rc;
	}
	if (o->level == IPPROTO_TCP && sk->type == SOCK_STREAM &&
	    o->name == TCP_CC_INFO) {
		/* reno and cubic have no get_info(): Linux writes nothing */
		out->len = 0;
		return 0;
	}
	if (o->level == SOL_SOCKET && o->name == SO_MEMINFO) {
		uint32_t m[9] = { 0 };

		if (sk->type == SOCK_STREAM) {
			sock_tcp_meminfo(sk, m);
		} else if (sk->dg) {
			m[0] = (uint32_t)sk->dg->rmem;  /* both queues */
			m[1] = sk->dg->rcvbuf;
			m[3] = sk->dg->sndbuf;
		}
		out->len = o->len < sizeof(m) ? o->len : sizeof(m);
		memcpy(out->val, m, out->len);
		return 0;
	}
	rc = sk->proto->getopt(sk, o->level, o->name, &val);
	if (rc == -ENOPROTOOPT && (k = kept_index(o->level, o->name)) >= 0 &&
	    (!kept_only_stream(k) || sk->type == SOCK_STREAM)) {
		val = sock_kept(sk, k);
		rc = 0;
	}
	/* a level neither the socket's nor IP's ends in ip_getsockopt(),
	 * which says EOPNOTSUPP (an AF_INET6 socket's ipv6_getsockopt()
	 * says ENOPROTOOPT) */
	if (rc == -ENOPROTOOPT && sk->domain == AF_INET &&
	    o->level != SOL_SOCKET && o->level != IPPROTO_IP &&
	    o->level != sk->protocol)
		rc = -EOPNOTSUPP;
	if (rc)
		return rc;
give:
	out->len = o->len < sizeof(int) ? o->len : sizeof(int);
	memcpy(out->val, &val, out->len);
	return 0;
}

static int req_sendto(struct sock *sk, const void *body, size_t len)
{
	struct ustack_dgram_hdr h;
	int rc = ustack_dgram_check(body, len, &h);

	if (rc == -EINVAL || (rc == 0 && h.kind != USTACK_DG_DATA))
		return -EINVAL;
	if (rc)
		return rc;
	/* what the program wrote into the channel before goes first */
	if (sk->proto->chan_type == SOCK_SEQPACKET)
		sock_dgram_flush(sk);
	rc = sock_dgram_send(sk, &h, (const uint8_t *)body + sizeof(h));
	if (rc >= 0)
		sk->t->st.dgram_out++;
	sock_settle(sk);
	return rc;
}

/**
 * sock_request() - see sock.h
 */
int sock_request(struct socktab *t, uid_t uid, pid_t pid, uint64_t client,
		 const struct ustack_msg_hdr *h, const void *body, int fd,
		 void *reply, size_t *reply_len, int *reply_fd)
{
	size_t blen = h->len - sizeof(*h);
	struct ustack_int iv;
	struct sock *sk;
	int rc;

	*reply_len = 0;
	*reply_fd = -1;
	if (h->type == USTACK_MSG_SOCKET) {
		struct ustack_socket_req req;

		memcpy(&req, body, sizeof(req));
		rc = sock_create(t, uid, pid, &req, reply, reply_fd);
		if (rc == 0)
			*reply_len = sizeof(struct ustack_sock_info);
		return rc;
	}
	if (h->type == USTACK_MSG_LINGER) {
		struct ustack_linger_req lr;

		memcpy(&lr, body, sizeof(lr));
		if (lr.phase > 1)
			return -EINVAL;
		iv.value = 0;
		memcpy(reply, &iv, sizeof(iv));
		*reply_len = sizeof(iv);
		if (lr.phase == 1)      /* after the close: no fd any more */
			return sock_linger_wait(t, uid, client, h->seq, lr.id);
	}
	sk = sock_lookup(t, fd);
	if (!sk)
		return fd < 0 ? -EBADF : -ENOTSOCK;
	sock_set_owner(sk, uid, pid);
	sock_now(sk);
	switch (h->type) {
	case USTACK_MSG_LINGER:
		/* phase 0: the program is about to close it; wait only for a
		 * stream that lingers with a timeout */
		if (sk->type == SOCK_STREAM && sk->proto->linger &&
		    sock_kept(sk, KEPT_LINGER_ON) &&
		    sock_kept(sk, KEPT_LINGER_SECS) > 0 && !sk->dead) {
			sk->linger_close = true;
			iv.value = (int32_t)sk->id;
			memcpy(reply, &iv, sizeof(iv));
		}
		return 0;
	case USTACK_MSG_QUERY: {
		struct ustack_sock_info info;

		sock_info(sk, 0, &info);
		memcpy(reply, &info, sizeof(info));
		*reply_len = sizeof(info);
		return 0;
	}
	case USTACK_MSG_BIND: {
		struct ustack_sockaddr ua;

		memcpy(&ua, body, sizeof(ua));
		return req_bind(sk, uid, &ua);
	}
	case USTACK_MSG_CONNECT: {
		struct ustack_connect_req r;

		memcpy(&r, body, sizeof(r));
		return req_connect(sk, &r, (const uint8_t *)body + sizeof(r),
				   blen - sizeof(r), client, h->seq);
	}
	case USTACK_MSG_LISTEN:
		memcpy(&iv, body, sizeof(iv));
		rc = sk->proto->listen(sk, iv.value);
		if (rc == -EADDRINUSE && sock_reap(t))
			rc = sk->proto->listen(sk, iv.value);
		return rc;
	case USTACK_MSG_GETSOCKNAME:
	case USTACK_MSG_GETPEERNAME: {
		struct ustack_sockaddr ua;
		struct ip_addr addr;
		uint16_t port;

		rc = sk->proto->getname(sk, h->type == USTACK_MSG_GETPEERNAME,
					&addr, &port);
		if (rc)
			return rc;
		sock_addr_out(sk, &addr, port, &ua);
		memcpy(reply, &ua, sizeof(ua));
		*reply_len = sizeof(ua);
		return 0;
	}
	case USTACK_MSG_SETSOCKOPT: {
		struct ustack_sockopt o;

		memcpy(&o, body, sizeof(o));
		rc = req_setsockopt(sk, &o);
		/* an option may arm a timer (SO_KEEPALIVE, TCP_KEEPIDLE) or
		 * send (TCP_NODELAY): the daemon's deadline follows */
		sock_settle(sk);
		return rc;
	}
	case USTACK_MSG_GETSOCKOPT: {
		struct ustack_sockopt o, out;
		_Static_assert(sizeof(out) <= USTACK_SOCK_REPLY_MAX, "reply room");

		memcpy(&o, body, sizeof(o));
		if (o.len > USTACK_OPT_MAX)
			return -EINVAL;
		rc = req_getsockopt(sk, &o, &out);
		if (rc == 0) {
			memcpy(reply, &out, sizeof(out));
			*reply_len = sizeof(out);
		}
		return rc;
	}
	case USTACK_MSG_SHUTDOWN:
		memcpy(&iv, body, sizeof(iv));
		if (iv.value < SHUT_RD || iv.value > SHUT_RDWR)
			return -EINVAL;
		rc = sk->proto->shutdown(sk, iv.value);
		sock_settle(sk);
		return rc;
	case USTACK_MSG_IOCTL: {
		int val = 0;

		memcpy(&iv, body, sizeof(iv));
		rc = sk->proto->ioctl(sk, (unsigned long)(unsigned)iv.value,
				      &val);
		if (rc == 0) {
			iv.value = val;
			memcpy(reply, &iv, sizeof(iv));
			*reply_len = sizeof(iv);
		}
		return rc;
	}
	case USTACK_MSG_RENEW:
		return sk->proto->renew ? sk->proto->renew(sk, reply_fd) :
		       -EOPNOTSUPP;
	case USTACK_MSG_DGERR: {
		struct ustack_dgerr_req r;

		memcpy(&r, body, sizeof(r));
		return sock_dgram_dgerr(sk, &r, reply, reply_len);
	}
	case USTACK_MSG_SENDTO:
		rc = req_sendto(sk, body, blen);
		if (rc >= 0) {
			iv.value = rc;
			memcpy(reply, &iv, sizeof(iv));
			*reply_len = sizeof(iv);
			rc = 0;
		}
		return rc;
	}
	t->st.bad_request++;
	return -EINVAL;
}

/**
 * sock_reply_pending() - answer the CONNECT that waits for its outcome
 * @sk: the socket
 * @status: 0 or -errno
 */
void sock_reply_pending(struct sock *sk, int status)
{
	if (!sk->pend_connect)
		return;
	sk->pend_connect = false;
	ctl_reply(sk->t->ctl, sk->pend_client, USTACK_MSG_CONNECT,
		  sk->pend_seq, status, NULL, 0);
}

/* ctl_handler_fn for the socket requests: answered at once, but for a
 * blocking connect, answered when it completes. */
static int sock_ctl_handler(void *arg, struct ctl_req *req)
{
	struct socktab *t = arg;
	uint8_t reply[USTACK_SOCK_REPLY_MAX];
	size_t reply_len;
	int reply_fd, status;

	status = sock_request(t, req->uid, req->pid, req->client, req->hdr,
			      req->body, req->fd, reply, &reply_len, &reply_fd);
	if (status == SOCK_PENDING)
		return CTL_PENDING;
	ctl_reply_fd(t->ctl, req->client, req->hdr->type, req->hdr->seq,
		     status, reply, status ? 0 : reply_len,
		     status ? -1 : reply_fd);
	if (reply_fd >= 0)
		close(reply_fd);
	return CTL_REPLIED;
}

/**
 * socktab_attach() - serve the socket requests of @c's clients
 * @t: the socket table
 * @c: the control server
 *
 * Return: 0, or -ENOSPC (no handler slot left)
 */
int socktab_attach(struct socktab *t, struct ctl *c)
{
	t->ctl = c;
	return ctl_set_handler(c, USTACK_MSG_SOCKET, USTACK_MSG_TYPE_MAX - 1,
			       sock_ctl_handler, t);
}

/**
 * socktab_new() - an empty socket table
 * @base: the event loop that watches channels
 * @stack: the engine
 * @host: clock and settle callbacks
 * @lim: quotas
 *
 * Return: the table, or NULL
 */
struct socktab *socktab_new(struct event_base *base, struct stack *stack,
			    const struct sock_host *host,
			    const struct sock_limits *lim)
{
	struct socktab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->base = base;
	t->stack = stack;
	t->host = *host;
	t->lim = *lim;
	t->hash_size = 16384;
	t->diag_fd = -1;
	t->noprog.pid = -1;
	t->noprog.uid = (uid_t)-1;
	snprintf(t->noprog.comm, sizeof(t->noprog.comm), "?");
	t->hash = calloc(t->hash_size, sizeof(*t->hash));
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd >= 0)
		t->ep_ev = event_new(base, t->epfd, EV_READ | EV_PERSIST,
				     on_chan_events, t);
	t->kick_ev = event_new(base, -1, 0, on_kicks, t);
	if (!t->hash || t->epfd < 0 || !t->ep_ev || !t->kick_ev ||
	    event_add(t->ep_ev, NULL)) {
		socktab_free(t);
		return NULL;
	}
	return t;
}

void socktab_free(struct socktab *t)
{
	struct uid_quota *q;

	if (!t)
		return;
	while (t->all) {
		t->all->linger_close = false;   /* no lingering at exit */
		sock_close(t->all);
	}
	while ((q = t->quotas)) {
		t->quotas = q->next;
		free(q);
	}
	prog_reap(t, 0);
	free(t->hash);
	if (t->ep_ev)
		event_free(t->ep_ev);
	if (t->kick_ev)
		event_free(t->kick_ev);
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->diag_fd >= 0)
		close(t->diag_fd);
	free(t);
}

/**
 * sock_struct_size() - what a TCP socket costs the daemon besides the
 * engine
 *
 * Return: bytes: its struct (its channel is in the table's epoll set, its
 * deferred work on the table's list: no event of its own); the
 * descriptor, its epoll entry and its kernel buffers are not the
 * daemon's memory
 */
size_t sock_struct_size(void)
{
	return sizeof(struct sock);
}

const struct sock_stats *socktab_stats(const struct socktab *t)
{
	return &t->st;
}

unsigned socktab_count(const struct socktab *t)
{
	return t->count;
}
