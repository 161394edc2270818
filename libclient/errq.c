/* SPDX-License-Identifier: MIT */
/*
 * errq.c - SO_ZEROCOPY (MSG_ZEROCOPY) and SO_TIMESTAMPING for TCP and UDP
 * sockets, kept in libustack: the options, the counters and an error
 * queue of their reports
 *
 * Theory of operation. A stream's channel carries the TCP payload and
 * nothing else, so nothing can come back in band; and what these reports
 * say is known here, in the program, when a send hands its data to the
 * channel (or, for a datagram, when the daemon has taken it). So the
 * options live here, per socket (by the identity fdtab.c records, so that
 * dup()ed descriptors share them as they share a socket), and only for
 * sockets that set one: a small list, looked at only while it is not
 * empty (xs_count), each entry with its own bounded queue of reports.
 *
 * MSG_ZEROCOPY. The data is always copied (into the channel, or into the
 * SENDTO request), so a send that queued data is complete when it
 * returns: its notification (SO_EE_ORIGIN_ZEROCOPY, ee_info..ee_data the
 * range of zerocopy send numbers, ee_code SO_EE_CODE_ZEROCOPY_COPIED, as
 * Linux says when the data was copied after all) is queued at once,
 * extending the range at the queue's tail when it follows it, as
 * __msg_zerocopy_callback() coalesces. The numbers count what Linux's
 * sk_zckey counts: sends with MSG_ZEROCOPY on a socket with SO_ZEROCOPY
 * that succeeded, on TCP only those of at least one byte (a UDP send of
 * none still carries its header). A failed send takes no number.
 *
 * SO_TIMESTAMPING. The flags are checked as sock_set_timestamping()
 * checks them and kept. Transmit: a send with SOF_TIMESTAMPING_TX_SCHED
 * or TX_SOFTWARE (the socket's, or the send's SO_TIMESTAMPING control
 * message) queues, when it returns, an SCM_TSTAMP_SCHED and an
 * SCM_TSTAMP_SND report (SO_EE_ORIGIN_TIMESTAMPING, ee_errno ENOMSG) with
 * that moment: the data is in the stack's hands then; Linux takes them
 * when the packet meets the qdisc and the driver, microseconds later.
 * With SOF_TIMESTAMPING_OPT_ID, ee_data is the key: for UDP a counter of
 * timestamped sends from 0 (or the send's own SCM_TS_OPT_ID), for TCP
 * the offset of the send's last byte from where the stream stood when
 * OPT_ID was set (Linux counts from snd_una, or write_seq with
 * OPT_ID_TCP; here the bytes written since, which is the same when all
 * that was sent before had been acknowledged). Receive: a datagram's
 * SCM_TIMESTAMPING (ts[0] its arrival time, which the daemon sends while
 * USTACK_SO_RXTIME, set here with RX_SOFTWARE, asks for it) when
 * SOFTWARE is set and RX_SOFTWARE, or not OPT_RX_FILTER (dgram.c writes
 * it). A TCP socket's receive times: while SO_TIMESTAMP(NS) or
 * RX_SOFTWARE is set (the daemon is told of the latter by
 * USTACK_SO_RXTIME as well) the daemon logs when the stream's bytes
 * arrive and the reads of the channel are counted here (ust_xs_rx_read(),
 * MSG_PEEK not counted); after a recvmsg that read bytes client.c asks
 * for the arrival of the last one, one round trip, and writes
 * SCM_TIMESTAMP(NS) and SCM_TIMESTAMPING as tcp_recv_timestamp() does
 * (dgram.c's writers).
 *
 * TX_ACK (TCP). Linux marks a send's last byte (tcp_tx_timestamp()) and
 * queues an SCM_TSTAMP_ACK report, with the same key as the send's SND
 * report, when the peer's cumulative ACK covers it (tcp_ack_tstamp()).
 * Only the daemon sees the ACKs, and it cannot wake the program for them:
 * so a send that asks for TX_ACK (the socket's flags or its control
 * message) tells the daemon its key (USTACK_TCP_ACKMARK set, one round
 * trip, none for other sends), which marks the end of what the program
 * has written (daemon/rpc/ackmark.c) and times the moment SND.UNA passes
 * it; and while a socket has marks outstanding (xs_marks counts them,
 * all sockets, looked at first: nothing is asked otherwise) libustack
 * asks the daemon for the acked ones (USTACK_TCP_ACKMARK get) whenever
 * the program looks at the socket's error queue or readiness:
 * recvmsg(MSG_ERRQUEUE), poll and ppoll, select and pselect, epoll; each
 * becomes an SCM_TSTAMP_ACK report with the ACK's time, in order. A wait
 * on such a socket (poll, select, epoll: every one of them asks for
 * errors) is cut into slices of UST_XS_SLICE_NS (2 ms), the daemon asked
 * between them, until a report or another event comes or the program's
 * timeout is up (client.c, epoll.c): the report comes up to a slice late.
 * A reset drops the marks not acked, which Linux never reports either.
 * Where Linux's skbs make a difference (ackmark.c): its report comes when
 * the whole skb holding the byte is acknowledged, and two stamped sends
 * coalesced into one unsent skb give one report, the later key; here
 * each send's report comes when its own last byte is acknowledged.
 *
 * What is not done: the sent packet that
 * Linux returns with a report made without OPT_TSONLY (the read returns
 * no bytes here), OPT_CMSG's IP_PKTINFO, OPT_STATS's statistics, the
 * SO_TIMESTAMP(NS) message Linux adds to a report when that is set too,
 * reports for sendfile().
 *
 * recvmsg(MSG_ERRQUEUE) takes the head of this queue first (for a UDP
 * socket, then the daemon's queue of ICMP errors), with the control
 * messages ip_recv_error() and ipv6_recv_error() write: SCM_TIMESTAMPING
 * when SOF_TIMESTAMPING_SOFTWARE is set and the report has a time, then
 * IP_RECVERR (SOL_IP) or IPV6_RECVERR (SOL_IPV6) with the
 * sock_extended_err and an empty offender address. poll() and ppoll()
 * report POLLERR while reports wait (ust_xs_poll()), select() and
 * pselect() readable and writable (ust_xs_select()), epoll EPOLLERR
 * (epoll.c, for sockets that had the option when they were added). A
 * forked child has a copy of the queue.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "client.h"
#include "ustack.h"
#include "ustack_proto.h"

/* Linux 6.x's flags, whatever the installed header knows */
#define TS_TX_SOFTWARE (1u << 1)
#define TS_RX_SOFTWARE (1u << 3)
#define TS_SOFTWARE (1u << 4)
#define TS_OPT_ID (1u << 7)
#define TS_TX_SCHED (1u << 8)
#define TS_TX_ACK (1u << 9)
#define TS_OPT_TSONLY (1u << 11)
#define TS_OPT_STATS (1u << 12)
#define TS_BIND_PHC (1u << 15)
#define TS_OPT_ID_TCP (1u << 16)
#define TS_OPT_RX_FILTER (1u << 17)
#define TS_MASK ((1u << 19) - 1)        /* up to TX_COMPLETION (6.15) */
#define TS_TX_RECORD_MASK ((1u << 0) | TS_TX_SOFTWARE | TS_TX_SCHED | \
			   TS_TX_ACK | (1u << 18))

#define XQ_MAX 256              /* reports a socket keeps; later ones drop,
				 * as sock_queue_err_skb() drops past
				 * SO_RCVBUF (about 300 OPT_TSONLY reports
				 * in Linux's default 208 KiB) */

struct xrep {
	struct sock_extended_err ee;
	struct timespec ts;     /* 0: none */
};

struct xsock {
	struct xsock *next;
	uint32_t id;            /* fdtab.c's identity of the socket */
	bool zc;                /* SO_ZEROCOPY */
	bool ts_new;            /* set with SO_TIMESTAMPING_NEW */
	uint32_t zckey;         /* next zerocopy send's number */
	uint32_t tsflags;       /* SO_TIMESTAMPING */
	uint32_t tskey;         /* UDP: next key; TCP: bytes since OPT_ID */
	uint8_t rx;             /* TCP: XS_RX_*, receive times asked for */
	uint64_t rx_read;       /* TCP: bytes read since rx became non-0 */
	unsigned head, n;
	uint32_t gen;           /* reports queued or extended, ever */
	uint32_t marks;         /* TCP: TX_ACK marks the daemon holds for it
				 * (acked or not), as it last said */
	uint32_t mark_gen;      /* marks set, ever */
	uint32_t setting;       /* marks being set now (other threads) */
	struct xrep *q;         /* XQ_MAX of them, from the first report */
};

/* what asks the daemon for a stream's receive times (its log runs while
 * either is set, and counts from when the first was) */
#define XS_RX_STAMP 0x1u        /* SO_TIMESTAMP(NS), old or new */
#define XS_RX_SOFTWARE 0x2u     /* SO_TIMESTAMPING's RX_SOFTWARE */

static struct xsock *xs_list;
static _Atomic unsigned xs_count;       /* sockets in the list */
static _Atomic unsigned xs_waiting;     /* reports queued, all sockets */
static _Atomic unsigned xs_marks;       /* TX_ACK marks out, all sockets */
static atomic_flag xs_lock = ATOMIC_FLAG_INIT;

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&xs_lock,
						 memory_order_acquire))
		;
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&xs_lock, memory_order_release);
}

/* @fd's state (under the lock), made if @make; NULL if it has none */
static struct xsock *xs_find(int fd, bool make)
{
	uint32_t id = ust_entry_id(fd);
	struct xsock *x;

	if (!id)
		return NULL;
	for (x = xs_list; x; x = x->next)
		if (x->id == id)
			return x;
	if (!make || !(x = calloc(1, sizeof(*x))))
		return NULL;
	x->id = id;
	x->next = xs_list;
	xs_list = x;
	atomic_fetch_add(&xs_count, 1);
	return x;
}

/* @x holds @v marks now (lock held): the total follows */
static void xs_marks_set(struct xsock *x, uint32_t v)
{
	if (v > x->marks)
		atomic_fetch_add(&xs_marks, v - x->marks);
	else
		atomic_fetch_sub(&xs_marks, x->marks - v);
	x->marks = v;
}

static bool is_udp(unsigned k)
{
	return ust_is_dgram(k) && !(k & UST_ICMP) &&
	       (k & UST_TYPE_MASK) == SOCK_DGRAM;
}

/* Stream @x's receive-time bit @bit now @on; the count of bytes read
 * starts again with the daemon's log (sock_tcp.c sock_tcp_rx_sync()) */
static void xs_rx_set(struct xsock *x, unsigned bit, bool on)
{
	uint8_t rx = on ? x->rx | bit : x->rx & ~bit;

	if (rx && !x->rx)
		x->rx_read = 0;
	x->rx = rx;
}

/* A report at the tail of @x's queue; false when the queue is full */
static struct xrep *xs_push(struct xsock *x)
{
	struct xrep *r;

	if (x->n == XQ_MAX || (!x->q && !(x->q = calloc(XQ_MAX, sizeof(*r)))))
		return NULL;
	r = &x->q[(x->head + x->n++) % XQ_MAX];
	memset(r, 0, sizeof(*r));
	x->gen++;
	atomic_fetch_add(&xs_waiting, 1);
	return r;
}

/* msg_zerocopy_callback(): send number @key done, coalesced at the tail */
static void xs_zc_done(struct xsock *x, uint32_t key)
{
	struct xrep *r;

	if (x->n) {
		r = &x->q[(x->head + x->n - 1) % XQ_MAX];
		if (r->ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY &&
		    r->ee.ee_data + 1 == key && key != r->ee.ee_info - 1) {
			r->ee.ee_data = key;
			x->gen++;       /* Linux wakes for it all the same */
			return;
		}
	}
	r = xs_push(x);
	if (!r)
		return;
	r->ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
	r->ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED;
	r->ee.ee_info = key;
	r->ee.ee_data = key;
}

/* __skb_tstamp_tx(): one transmit report of type @type, key @key */
static void xs_tstamp(struct xsock *x, uint32_t type, uint32_t key,
		      const struct timespec *now)
{
	struct xrep *r = xs_push(x);

	if (!r)
		return;
	r->ee.ee_errno = ENOMSG;
	r->ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
	r->ee.ee_info = type;
	r->ee.ee_data = x->tsflags & TS_OPT_ID ? key : 0;
	r->ts = *now;
}

/* The TCP state of stream @fd, from TCP_INFO; -1 if it cannot be asked */
static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (ustack_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
	    len < 1)
		return -1;
	return ti.tcpi_state;
}

/* sock_set_timestamping(). Return: 0 or -errno */
static int set_timestamping(int fd, unsigned k, int name, uint32_t v)
{
	struct xsock *x;
	bool had_id;
	int rx, had_rx;

	if (v & ~TS_MASK)
		return -EINVAL;
	if ((v & TS_OPT_ID_TCP) && !(v & TS_OPT_ID))
		return -EINVAL;
	lock();
	x = xs_find(fd, false);
	had_id = x && (x->tsflags & TS_OPT_ID);
	had_rx = x && (x->rx & XS_RX_SOFTWARE);
	unlock();
	if ((v & TS_OPT_ID) && !had_id && ust_is_stream(k)) {
		int st = tcp_state(fd);

		if (st < 0 || st == TCP_CLOSE || st == TCP_LISTEN)
			return -EINVAL;
	}
	if ((v & TS_OPT_STATS) && !(v & TS_OPT_TSONLY))
		return -EINVAL;
	if (v & TS_BIND_PHC) {
		/* sock_timestamping_bind_phc(): a socket bound to a device
		 * (SO_BINDTODEVICE) that has no PHC virtual clock, whatever
		 * so_timestamping.bind_phc names */
		char dev[16];
		socklen_t dl = sizeof(dev);

		if (ustack_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
				      &dl) || dl == 0 || !dev[0])
			return -EOPNOTSUPP;
		return -EINVAL;
	}
	/* a datagram socket's datagrams then carry their arrival time; a
	 * stream's daemon logs when its bytes arrive (asked once it changes) */
	rx = !!(v & TS_RX_SOFTWARE);
	if (ust_is_dgram(k) || (ust_is_stream(k) && rx != had_rx)) {
		if (ustack_setsockopt(fd, SOL_SOCKET, USTACK_SO_RXTIME, &rx,
				      sizeof(rx)))
			return -errno;
	}
	lock();
	x = xs_find(fd, v != 0);
	if (x && ust_is_stream(k))
		xs_rx_set(x, XS_RX_SOFTWARE, rx);
	if (x) {
		if ((v & TS_OPT_ID) && !(x->tsflags & TS_OPT_ID))
			x->tskey = 0;
		x->tsflags = v;
		x->ts_new = name == SO_TIMESTAMPING_NEW;
	}
	unlock();
	return x || !v ? 0 : -ENOMEM;
}

/**
 * ust_xs_setsockopt() - SO_ZEROCOPY and SO_TIMESTAMPING, answered here
 * @fd: a ustack socket
 * @k: its kind
 * @level: the option's level
 * @name: its name
 * @val: its value
 * @len: the value's length
 * @rc: set to 0 or -errno when the option is one of these
 *
 * Return: true if the option was one of these (and @rc says how it went)
 */
bool ust_xs_setsockopt(int fd, unsigned k, int level, int name,
		       const void *val, socklen_t len, int *rc)
{
	int v;

	if (level != SOL_SOCKET ||
	    (name != SO_ZEROCOPY && name != SO_TIMESTAMPING_OLD &&
	     name != SO_TIMESTAMPING_NEW))
		return false;
	/* sk_setsockopt() reads an int first */
	if (len < sizeof(int)) {
		*rc = -EINVAL;
		return true;
	}
	memcpy(&v, val, sizeof(v));
	if (name == SO_ZEROCOPY) {
		struct xsock *x;

		if (!ust_is_stream(k) && !is_udp(k))
			*rc = -EOPNOTSUPP;
		else if (v < 0 || v > 1)
			*rc = -EINVAL;
		else {
			lock();
			x = xs_find(fd, v != 0);
			if (x)
				x->zc = v;
			unlock();
			*rc = x || !v ? 0 : -ENOMEM;
		}
		return true;
	}
	/* an int, or a struct so_timestamping: its flags come first (its
	 * bind_phc matters only where BIND_PHC fails anyway) */
	*rc = set_timestamping(fd, k, name, (uint32_t)v);
	return true;
}

/**
 * ust_xs_getsockopt() - getsockopt SO_ZEROCOPY and SO_TIMESTAMPING
 * @fd: a ustack socket
 * @level: the option's level
 * @name: its name
 * @val: where the value goes
 * @len: its room; set to the value's length
 * @rc: set to 0 or -errno when the option is one of these
 *
 * Return: true if the option was one of these
 */
bool ust_xs_getsockopt(int fd, int level, int name, void *val,
		       socklen_t *len, int *rc)
{
	struct so_timestamping st = { 0, 0 };
	struct xsock *x;
	size_t n;
	int v = 0;

	if (level != SOL_SOCKET ||
	    (name != SO_ZEROCOPY && name != SO_TIMESTAMPING_OLD &&
	     name != SO_TIMESTAMPING_NEW))
		return false;
	lock();
	x = atomic_load(&xs_count) ? xs_find(fd, false) : NULL;
	/* SO_TIMESTAMPING_NEW says the flags only if they were set by it */
	if (x) {
		v = x->zc;
		if (name == SO_TIMESTAMPING_OLD || x->ts_new)
			st.flags = (int)x->tsflags;
	}
	unlock();
	/* sk_getsockopt(): an int's worth at most, or the whole
	 * so_timestamping; a negative length is EINVAL (the caller's) */
	if (name == SO_ZEROCOPY) {
		n = *len < sizeof(int) ? *len : sizeof(int);
		memcpy(val, &v, n);
	} else {
		n = *len < sizeof(st) ? *len : sizeof(st);
		memcpy(val, &st, n);
	}
	*len = (socklen_t)n;
	*rc = 0;
	return true;
}

#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81        /* Linux 6.13 */
#endif

/*
 * A send's control messages (__sock_cmsg_send(), checked by dgram.c):
 * SO_TIMESTAMPING's record flags replace the socket's in *@flags;
 * SCM_TS_OPT_ID gives the send's key (*@key, and true)
 */
static bool cmsg_ts(const struct msghdr *m, uint32_t *flags, uint32_t *key)
{
	struct msghdr mm = *m;
	bool has_key = false;
	uint32_t v;

	if (!m->msg_control || !m->msg_controllen)
		return false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mm); c;
	     c = CMSG_NXTHDR(&mm, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_len != CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		if (c->cmsg_type == SO_TIMESTAMPING_OLD ||
		    c->cmsg_type == SO_TIMESTAMPING_NEW)
			*flags = (*flags & ~TS_TX_RECORD_MASK) |
				 (v & TS_TX_RECORD_MASK);
		else if (c->cmsg_type == SCM_TS_OPT_ID) {
			*key = v;
			has_key = true;
		}
	}
	return has_key;
}

/**
 * ust_xs_opt_id() - has @fd SOF_TIMESTAMPING_OPT_ID set (which a send's
 * SCM_TS_OPT_ID needs)?
 * @fd: a ustack socket
 *
 * Return: true if so
 */
bool ust_xs_opt_id(int fd)
{
	struct xsock *x;
	bool yes;

	if (!atomic_load_explicit(&xs_count, memory_order_relaxed))
		return false;
	lock();
	x = xs_find(fd, false);
	yes = x && (x->tsflags & TS_OPT_ID);
	unlock();
	return yes;
}

/*
 * A TX_ACK send on stream @fd wrote its bytes into the channel: the
 * daemon marks their end with @key (USTACK_TCP_ACKMARK), one round trip.
 * The caller counted the call in x->setting. A mark that could not be set
 * (the connection is gone) makes no report, as Linux's send would have
 * failed.
 */
static void xs_mark(int fd, uint32_t key)
{
	struct xsock *x;
	int v = (int)key, e = errno, rc;

	rc = ustack_setsockopt(fd, IPPROTO_TCP, USTACK_TCP_ACKMARK, &v,
			       sizeof(v));
	errno = e;
	lock();
	x = xs_find(fd, false);
	if (x) {
		x->setting--;
		if (rc == 0) {
			xs_marks_set(x, x->marks + 1);
			x->mark_gen++;
		}
	}
	unlock();
}

/*
 * Stream @fd's acked marks, asked of the daemon while it holds some: each
 * becomes an SCM_TSTAMP_ACK report, in order. The daemon says how many it
 * still holds; when a mark was set meanwhile (another thread), only those
 * taken are counted off, and the next look corrects the count.
 */
static void xs_fetch(int fd)
{
	union {
		uint8_t b[USTACK_OPT_MAX];
		struct ustack_ackmark_hdr h;
	} r;
	struct ustack_ackmark_hdr h;
	struct ustack_ackmark am;
	struct timespec t;
	struct xsock *x;
	uint32_t gen;
	socklen_t len;
	bool quiet;
	int e = errno, rc;

	for (int round = 0; round < 64; round++) {
		lock();
		x = xs_find(fd, false);
		if (!x || !x->marks) {
			unlock();
			break;
		}
		gen = x->mark_gen;
		quiet = !x->setting;
		unlock();
		len = sizeof(r.b);
		rc = ustack_getsockopt(fd, IPPROTO_TCP, USTACK_TCP_ACKMARK,
				       r.b, &len);
		memcpy(&h, r.b, sizeof(h));
		if (rc || len < sizeof(h) || h.n > USTACK_ACKMARK_MAX ||
		    len < sizeof(h) + h.n * sizeof(am)) {
			/* no daemon to ask: no reports will come */
			lock();
			x = xs_find(fd, false);
			if (x && x->mark_gen == gen)
				xs_marks_set(x, 0);
			unlock();
			break;
		}
		lock();
		x = xs_find(fd, false);
		if (!x) {
			unlock();
			break;
		}
		for (uint32_t i = 0; i < h.n; i++) {
			memcpy(&am, r.b + sizeof(h) + i * sizeof(am),
			       sizeof(am));
			t.tv_sec = (time_t)am.sec;
			t.tv_nsec = (long)am.nsec;
			xs_tstamp(x, SCM_TSTAMP_ACK, am.key, &t);
		}
		if (quiet && !x->setting && x->mark_gen == gen)
			xs_marks_set(x, h.acked + h.waiting);
		else
			xs_marks_set(x, x->marks > h.n ? x->marks - h.n : 0);
		unlock();
		if (!h.acked)
			break;
	}
	errno = e;
}

/* Has @fd reports waiting, or (@marks) TX_ACK marks out? */
static bool xs_has_any(int fd, bool marks)
{
	struct xsock *x;
	bool yes;

	lock();
	x = xs_find(fd, false);
	yes = x && (marks ? x->marks != 0 : x->n != 0);
	unlock();
	return yes;
}

static bool xs_marked(int fd)
{
	return xs_has_any(fd, true);
}

/**
 * ust_xs_fetch() - @fd's acked TX_ACK marks become reports (a round trip
 * to the daemon only while it has marks out)
 * @fd: a descriptor
 *
 * Return: true if @fd still has marks not acked (a wait on it is sliced)
 */
bool ust_xs_fetch(int fd)
{
	if (!atomic_load_explicit(&xs_marks, memory_order_relaxed) ||
	    !xs_marked(fd))
		return false;
	xs_fetch(fd);
	return xs_marked(fd);
}

/* Are TX_ACK marks out on any socket? */
bool ust_xs_marks(void)
{
	return atomic_load_explicit(&xs_marks, memory_order_relaxed) > 0;
}

/**
 * ust_xs_sent() - a send on a ustack socket returned @n: its reports
 * @fd: the socket
 * @k: its kind
 * @m: what was sent (its control messages are looked at)
 * @flags: the send's flags
 * @n: what the send returned (a failed one makes none)
 */
void ust_xs_sent(int fd, unsigned k, const struct msghdr *m, int flags,
		 ssize_t n)
{
	struct timespec now;
	struct xsock *x;
	uint32_t tsf, key = 0, ack_key = 0;
	bool udp = is_udp(k), has_key, mark = false;

	if (n < 0 || !atomic_load_explicit(&xs_count, memory_order_relaxed) ||
	    (!udp && !ust_is_stream(k)))
		return;
	lock();
	x = xs_find(fd, false);
	if (!x)
		goto out;
	tsf = x->tsflags;
	has_key = cmsg_ts(m, &tsf, &key);
	if (!udp)               /* tcp_tx_timestamp(): a send of bytes */
		x->tskey += (uint32_t)n;
	if (!udp && n > 0 && (tsf & TS_TX_ACK)) {
		/* its SND report's key (below) */
		mark = true;
		ack_key = x->tskey - 1;
		x->setting++;
	}
	if ((tsf & (TS_TX_SCHED | TS_TX_SOFTWARE)) && (udp || n > 0)) {
		/* UDP counts the sends it stamps while OPT_ID is on, but
		 * for those that give their own key (SCM_TS_OPT_ID) */
		if (!udp)
			key = x->tskey - 1;
		else if (!has_key)
			key = tsf & TS_OPT_ID ? x->tskey++ : 0;

		clock_gettime(CLOCK_REALTIME, &now);
		if (tsf & TS_TX_SCHED)
			xs_tstamp(x, SCM_TSTAMP_SCHED, key, &now);
		if (tsf & TS_TX_SOFTWARE)
			xs_tstamp(x, SCM_TSTAMP_SND, key, &now);
	}
	/* the completion last: Linux's comes when the sent data is freed,
	 * after its SCHED and SND reports */
	if ((flags & MSG_ZEROCOPY) && x->zc && (udp || n > 0))
		xs_zc_done(x, x->zckey++);
out:
	unlock();
	if (mark)
		xs_mark(fd, ack_key);
}

/**
 * ust_xs_rx_stamp() - should a datagram received on @fd carry
 * SCM_TIMESTAMPING, and of which width?
 * @fd: a datagram socket
 * @is_new: set to whether SO_TIMESTAMPING_NEW set the flags
 *
 * Return: true when SOFTWARE is set, and RX_SOFTWARE or not OPT_RX_FILTER
 * (Linux 6.x's __sock_recv_timestamp() and tcp_recv_timestamp(), for a
 * message that has a time: with neither RX_SOFTWARE nor SO_TIMESTAMP
 * none has here, as on a host where no socket turned stamping on)
 */
bool ust_xs_rx_stamp(int fd, bool *is_new)
{
	struct xsock *x;
	bool yes = false;

	if (!atomic_load_explicit(&xs_count, memory_order_relaxed))
		return false;
	lock();
	x = xs_find(fd, false);
	if (x && (x->tsflags & TS_SOFTWARE) &&
	    ((x->tsflags & TS_RX_SOFTWARE) ||
	     !(x->tsflags & TS_OPT_RX_FILTER))) {
		yes = true;
		*is_new = x->ts_new;
	}
	unlock();
	return yes;
}

/* put_cmsg_scm_timestamping(64)(): ts[0] the software time */
static void put_tstamp(struct msghdr *m, size_t *used,
		       const struct timespec *t, bool is_new)
{
	int64_t t64[6] = { t->tv_sec, t->tv_nsec, 0, 0, 0, 0 };
	struct timespec ts[3] = { *t, { 0, 0 }, { 0, 0 } };

	if (is_new)
		ust_cmsg_put(m, used, SOL_SOCKET, SO_TIMESTAMPING_NEW, t64,
			     sizeof(t64));
	else
		ust_cmsg_put(m, used, SOL_SOCKET, SO_TIMESTAMPING_OLD, ts,
			     sizeof(ts));
}

/**
 * ust_xs_rx_cmsg() - write a received message's SCM_TIMESTAMPING (a
 * datagram's, a stream read's: dgram.c's cm_rxtime())
 * @m: the message being received
 * @used: control bytes written so far; advanced
 * @sec: its arrival, seconds (CLOCK_REALTIME)
 * @nsec: and nanoseconds
 * @is_new: the 64-bit form (SO_TIMESTAMPING_NEW)
 */
void ust_xs_rx_cmsg(struct msghdr *m, size_t *used, int64_t sec,
		    uint32_t nsec, bool is_new)
{
	struct timespec t = { (time_t)sec, (long)nsec };

	put_tstamp(m, used, &t, is_new);
}

/**
 * ust_xs_rx_opt() - SO_TIMESTAMP(NS) (old or new) was set on stream @fd:
 * its reads are counted while it is on (the daemon logs its arrivals)
 * @fd: the stream
 * @val: the value set (0 turns SO_TIMESTAMP and SO_TIMESTAMPNS off, as
 * sock_set_timestamp())
 *
 * Return: 0, or -ENOMEM
 */
int ust_xs_rx_opt(int fd, int val)
{
	struct xsock *x;

	lock();
	x = xs_find(fd, val != 0);
	if (x)
		xs_rx_set(x, XS_RX_STAMP, val != 0);
	unlock();
	return x || !val ? 0 : -ENOMEM;
}

/**
 * ust_xs_rx_read() - a read of @n bytes off stream @fd's channel
 * @fd: the stream
 * @n: bytes read (> 0)
 * @peek: MSG_PEEK: they stay in the channel (not counted)
 * @last: if not NULL, set to the offset of the read's last byte, counted
 * from 1, in the daemon's log
 * @consumed: if not NULL, set to the bytes taken off the channel since
 *
 * Return: true if @fd asks for receive times (then the daemon knows when
 * byte *@last arrived)
 */
bool ust_xs_rx_read(int fd, size_t n, bool peek, uint64_t *last,
		    uint64_t *consumed)
{
	struct xsock *x;
	bool yes = false;

	if (!atomic_load_explicit(&xs_count, memory_order_relaxed))
		return false;
	lock();
	x = xs_find(fd, false);
	if (x && x->rx) {
		yes = true;
		if (last)
			*last = x->rx_read + n;
		if (!peek)
			x->rx_read += n;
		if (consumed)
			*consumed = x->rx_read;
	}
	unlock();
	return yes;
}

/**
 * ust_xs_recverr() - recvmsg(MSG_ERRQUEUE): the head of @fd's queue
 * @fd: a ustack socket
 * @k: its kind
 * @m: the message; its name is left alone, as Linux leaves it for these
 * @n: set to what recvmsg returns (0: the report carries no bytes)
 *
 * Return: true if a report was taken; false if @fd has none here
 */
bool ust_xs_recverr(int fd, unsigned k, struct msghdr *m, ssize_t *n)
{
	struct ust_exterr eh;
	struct xsock *x;
	struct xrep r;
	size_t used = 0;
	bool sw, is_new;

	ust_xs_fetch(fd);       /* what was acked since comes in order */
	if (!atomic_load_explicit(&xs_waiting, memory_order_relaxed))
		return false;
	lock();
	x = xs_find(fd, false);
	if (!x || !x->n) {
		unlock();
		return false;
	}
	r = x->q[x->head];
	x->head = (x->head + 1) % XQ_MAX;
	x->n--;
	atomic_fetch_sub(&xs_waiting, 1);
	sw = x->tsflags & TS_SOFTWARE;
	is_new = x->ts_new;
	unlock();
	m->msg_flags = 0;
	/* sock_recv_timestamp(), then the extended error */
	if (sw && (r.ts.tv_sec || r.ts.tv_nsec))
		put_tstamp(m, &used, &r.ts, is_new);
	memset(&eh, 0, sizeof(eh));
	eh.ee = r.ee;
	if (k & UST_V6)
		ust_cmsg_put(m, &used, SOL_IPV6, IPV6_RECVERR, &eh,
			     sizeof(eh.ee) + sizeof(eh.off.sin6));
	else
		ust_cmsg_put(m, &used, SOL_IP, IP_RECVERR, &eh,
			     sizeof(eh.ee) + sizeof(eh.off.sin));
	m->msg_controllen = used;
	m->msg_flags |= MSG_ERRQUEUE;
	*n = 0;
	return true;
}

static bool xs_has(int fd)
{
	return xs_has_any(fd, false);
}

/* The TX_ACK marks of @fds acked so far become reports. Return: true if
 * one of them still has marks not acked */
static bool xs_poll_fetch(const struct pollfd *fds, nfds_t nfds)
{
	bool out = false;

	if (!atomic_load_explicit(&xs_marks, memory_order_relaxed))
		return false;
	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && ust_xs_fetch(fds[i].fd))
			out = true;
	return out;
}

/**
 * ust_xs_poll_marked() - has one of @fds TX_ACK marks not acked yet? (A
 * poll of them then waits in slices, asking between them: POLLERR is
 * always asked for.)
 * @fds: the poll's descriptors
 * @nfds: their number
 *
 * Return: true if so
 */
bool ust_xs_poll_marked(const struct pollfd *fds, nfds_t nfds)
{
	if (!atomic_load_explicit(&xs_marks, memory_order_relaxed))
		return false;
	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && xs_marked(fds[i].fd))
			return true;
	return false;
}

/**
 * ust_xs_poll_due() - does a poll of @fds have reports to show already?
 * @fds: the poll's descriptors
 * @nfds: their number
 *
 * Return: true if one of them has reports waiting (then the poll must not
 * block: call the kernel's with no timeout, then ust_xs_poll())
 */
bool ust_xs_poll_due(const struct pollfd *fds, nfds_t nfds)
{
	xs_poll_fetch(fds, nfds);
	if (!atomic_load_explicit(&xs_waiting, memory_order_relaxed))
		return false;
	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && xs_has(fds[i].fd))
			return true;
	return false;
}

/**
 * ust_xs_poll() - POLLERR for each of @fds with reports waiting
 * @fds: what the kernel's poll filled in
 * @nfds: their number
 * @n: its result (>= 0)
 *
 * Return: @n, counting the descriptors that only now have an event
 */
int ust_xs_poll(struct pollfd *fds, nfds_t nfds, int n)
{
	xs_poll_fetch(fds, nfds);       /* acked while it waited */
	if (!atomic_load_explicit(&xs_waiting, memory_order_relaxed))
		return n;
	for (nfds_t i = 0; i < nfds; i++) {
		if (fds[i].fd < 0 || !xs_has(fds[i].fd))
			continue;
		if (!fds[i].revents)
			n++;
		fds[i].revents |= POLLERR;
	}
	return n;
}

/* The descriptors a select of @nfds can name */
static int select_top(int nfds)
{
	return nfds < 0 ? 0 : nfds > FD_SETSIZE ? FD_SETSIZE : nfds;
}

/* The TX_ACK marks of the descriptors a select asks about for reading
 * or writing become reports. Return: true if one still has marks out */
static bool xs_select_fetch(int nfds, const fd_set *r, const fd_set *w)
{
	bool out = false;

	if (!atomic_load_explicit(&xs_marks, memory_order_relaxed))
		return false;
	for (int fd = 0; fd < select_top(nfds); fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w))) &&
		    ust_xs_fetch(fd))
			out = true;
	return out;
}

/**
 * ust_xs_select_marked() - has a descriptor a select asks about for
 * reading or writing (where POLLERR shows) TX_ACK marks not acked yet?
 * @nfds: select's first argument
 * @r: its read set, or NULL
 * @w: its write set, or NULL
 *
 * Return: true if so (the select then waits in slices)
 */
bool ust_xs_select_marked(int nfds, const fd_set *r, const fd_set *w)
{
	if (!atomic_load_explicit(&xs_marks, memory_order_relaxed))
		return false;
	for (int fd = 0; fd < select_top(nfds); fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w))) &&
		    xs_marked(fd))
			return true;
	return false;
}

/**
 * ust_xs_select_due() - has a descriptor a select asks about for reading
 * or writing reports waiting?
 * @nfds: select's first argument
 * @r: its read set, or NULL
 * @w: its write set, or NULL
 *
 * Return: true if one has (then the select must not block: the caller
 * makes it with no timeout, then calls ust_xs_select())
 */
bool ust_xs_select_due(int nfds, const fd_set *r, const fd_set *w)
{
	xs_select_fetch(nfds, r, w);
	if (!atomic_load_explicit(&xs_waiting, memory_order_relaxed))
		return false;
	for (int fd = 0; fd < select_top(nfds); fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w))) &&
		    xs_has(fd))
			return true;
	return false;
}

/**
 * ust_xs_select() - after the kernel's select: a descriptor with reports
 * is readable and writable where it was asked about (Linux's POLLIN_SET
 * and POLLOUT_SET hold POLLERR)
 * @nfds: select's first argument
 * @ask_r: the read set as the program gave it, or NULL
 * @ask_w: the write set as given, or NULL
 * @r: the read set as the kernel returned it
 * @w: the write set as returned
 * @n: the kernel's result (>= 0)
 *
 * Return: @n with the bits set here
 */
int ust_xs_select(int nfds, const fd_set *ask_r, const fd_set *ask_w,
		  fd_set *r, fd_set *w, int n)
{
	xs_select_fetch(nfds, ask_r, ask_w);    /* acked while it waited */
	for (int fd = 0; fd < select_top(nfds); fd++) {
		bool in = ask_r && FD_ISSET(fd, ask_r);
		bool out = ask_w && FD_ISSET(fd, ask_w);

		if ((!in && !out) || !xs_has(fd))
			continue;
		if (in && !FD_ISSET(fd, r)) {
			FD_SET(fd, r);
			n++;
		}
		if (out && !FD_ISSET(fd, w)) {
			FD_SET(fd, w);
			n++;
		}
	}
	return n;
}

/**
 * ust_xs_inherit() - an accepted socket takes its listener's options, as
 * sk_clone_lock() copies the flags (its counters start again)
 * @listener: the listening socket
 * @fd: the accepted one
 */
void ust_xs_inherit(int listener, int fd)
{
	struct xsock *l, *x;

	if (!atomic_load_explicit(&xs_count, memory_order_relaxed))
		return;
	lock();
	l = xs_find(listener, false);
	if (l && (l->zc || l->tsflags || l->rx) && (x = xs_find(fd, true))) {
		x->zc = l->zc;
		x->tsflags = l->tsflags;
		x->ts_new = l->ts_new;
		x->rx = l->rx;  /* its log begins with its channel */
	}
	unlock();
}

/**
 * ust_xs_drop() - forget socket @id's state once no descriptor names it
 * @id: the identity a descriptor closed or replaced (dup2) had
 *
 * Cheap for a socket without state; one walk of fdtab.c's table for one
 * with it.
 */
void ust_xs_drop(uint32_t id)
{
	struct xsock **p, *x = NULL;
	bool has = false;

	if (!id || !atomic_load_explicit(&xs_count, memory_order_relaxed))
		return;
	lock();
	for (x = xs_list; x && !has; x = x->next)
		has = x->id == id;
	unlock();
	if (!has || ust_id_in_use(id))
		return;
	x = NULL;
	lock();
	for (p = &xs_list; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			x = *p;
			*p = x->next;
			atomic_fetch_sub(&xs_count, 1);
			atomic_fetch_sub(&xs_waiting, x->n);
			atomic_fetch_sub(&xs_marks, x->marks);
			break;
		}
	unlock();
	if (x)
		free(x->q);
	free(x);
}

/**
 * ust_xs_pending() - has @fd reports waiting (for epoll.c)?
 * @fd: a descriptor
 * @gen: set to the count of reports queued on it ever, which changes with
 *       each new one (0 for a socket without state)
 *
 * Return: true if reports wait
 */
bool ust_xs_pending(int fd, uint32_t *gen)
{
	struct xsock *x;
	bool yes = false;

	*gen = 0;
	if (!atomic_load_explicit(&xs_count, memory_order_relaxed))
		return false;
	lock();
	x = xs_find(fd, false);
	if (x) {
		*gen = x->gen;
		yes = x->n > 0;
	}
	unlock();
	return yes;
}

/* Are reports waiting on any socket? */
bool ust_xs_waiting(void)
{
	return atomic_load_explicit(&xs_waiting, memory_order_relaxed) > 0;
}

/* Has @fd errq.c's state (SO_ZEROCOPY or SO_TIMESTAMPING set)? */
bool ust_xs_has_state(int fd)
{
	struct xsock *x;

	if (!atomic_load_explicit(&xs_count, memory_order_relaxed))
		return false;
	lock();
	x = xs_find(fd, false);
	unlock();
	return x != NULL;
}

/* A forked child: the lock may have been held by a thread not copied */
void ust_xs_atfork(void)
{
	atomic_flag_clear(&xs_lock);
}
