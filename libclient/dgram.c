/* SPDX-License-Identifier: MIT */
/*
 * dgram.c - libustack's datagram sockets (UDP, ping, raw): sendmsg and
 * recvmsg with their control messages, the error queue, POLLERR
 *
 * Theory of operation. A datagram socket's channel carries one message
 * per datagram: struct ustack_dgram_hdr, struct ustack_dgram_meta, the
 * payload (proto/README.md). recvmsg is one recvmsg on the channel with
 * the header and meta block as its first iovecs; the meta block says
 * which control messages to write (the socket's options when the daemon
 * wrote the datagram) and what they hold, and they are written as Linux's
 * put_cmsg() writes them: in its order, MSG_CTRUNC when they do not fit.
 * IP_PKTINFO's interface index is the index, in this program's network
 * namespace, of the interface the daemon runs on (its name comes in
 * HELLO); if there is none here, the stack's own number.
 *
 * Errors stay in the daemon (the pending error, the error queue). The
 * channel carries a notification (USTACK_DG_ERROR) that wakes a reader;
 * a receive that meets it asks the daemon (USTACK_MSG_DGERR) for the
 * pending error and returns it as errno, as Linux's next receive does,
 * or goes on reading when there is none. recvmsg(MSG_ERRQUEUE) is a DGERR
 * request; it never blocks, as in Linux. poll() reports POLLERR for a
 * socket whose channel has the notification at its head (and POLLIN only
 * if datagrams follow it). When the daemon says nothing is pending any
 * more, the notification is removed from the channel's head.
 *
 * sendmsg's control messages IP_TTL, IP_TOS and IP_PKTINFO travel in the
 * SENDTO request's meta block; SO_TIMESTAMPING's is checked here and
 * asks errq.c for the send's transmit reports; others are refused as
 * Linux's ip_cmsg_send() refuses them. Receive: SCM_TIMESTAMPING, when
 * errq.c says SO_TIMESTAMPING asks for it, from the arrival time the
 * daemon sends (USTACK_SO_RXTIME). The error queue's head is errq.c's
 * reports (MSG_ZEROCOPY, SO_TIMESTAMPING) first, then the daemon's.
 *
 * Sending without a round trip. A SENDTO request waits for the daemon's
 * answer, so that every error comes back from the very call, as from
 * Linux. A UDP send that can meet no error the previous one did not meet
 * goes down the channel instead (the daemon sends what it reads there,
 * in order, and takes everything already written there before a SENDTO
 * request of the same socket): the same destination (or the connected
 * peer) as a SENDTO that succeeded, at most as long, no control message,
 * no flag but MSG_DONTWAIT and MSG_NOSIGNAL, the same socket (its identity
 * checked), no bind, connect, shutdown, setsockopt, close or dup since
 * (fast_gen), and nothing waiting to be read in the channel: an error the
 * daemon holds for the socket (an ICMP error, a route gone) puts its
 * notification there, so the send then asks the daemon and returns it,
 * as Linux's next send does. What changes is that an error that arises
 * while the datagram goes (the route removed that instant) is the
 * socket's pending error, returned by the next call. A full channel
 * blocks or says EAGAIN, as a full send buffer does.
 */
#include <errno.h>
#include <time.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "client.h"
#include "ustack_proto.h"

static int dg_fail(int negerr)
{
	errno = -negerr;
	return -1;
}

/* ---- the link's interface index, in this namespace ---- */

static _Atomic int link_ifindex, lo_ifindex;   /* 0: not asked yet;
						 * -1: none here */

/**
 * ust_if_index() - the index of interface @name in this namespace
 * @name: its name
 *
 * Return: the index, or -1 (no such interface, or it cannot be asked)
 */
int ust_if_index(const char *name)
{
	struct ifreq ifr;
	int s, idx = -1;

	if (!name || !*name)
		return -1;
	s = ust_r.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) - 1);
	if (ust_r.ioctl(s, SIOCGIFINDEX, &ifr) == 0)
		idx = ifr.ifr_ifindex;
	ust_r.close(s);
	return idx;
}

static int link_index(void)
{
	int idx = atomic_load(&link_ifindex);

	if (!idx) {
		idx = ust_if_index(ust_link_name());
		atomic_store(&link_ifindex, idx);
	}
	return idx;
}

/*
 * The stack's interface number as this program knows the interface: the
 * link, by its name; what the stack sent itself came through a loopback,
 * shown as this namespace's lo (Linux shows lo). Without such an
 * interface here, the stack's own number.
 */
static int ifindex_here(unsigned stack_index)
{
	int idx = -1;

	if (stack_index == 1) {
		idx = link_index();
	} else if (stack_index == 0) {
		idx = atomic_load(&lo_ifindex);
		if (!idx) {
			idx = ust_if_index("lo");
			atomic_store(&lo_ifindex, idx);
		}
	}
	return idx > 0 ? idx : (int)stack_index;
}

/* The stack's numbers for its interfaces (proto/ustack_proto.h) */
#define STACK_LINK 1u
#define STACK_LOOPBACK 2u
#define STACK_NONE 0xffffffu     /* an interface the stack does not have */

/**
 * ust_ifindex_in() - a program's interface index as the daemon numbers it
 * @idx: the index in the program's namespace (sin6_scope_id,
 *       ipv6mr_interface, ipi6_ifindex, IPV6_MULTICAST_IF, SO_BINDTOIFINDEX)
 *
 * Return: 0 for 0; the link's (ustack's interface, by its name) or the
 * loopback's (this namespace's lo) number; STACK_NONE for another, which
 * the daemon answers as an interface that does not exist (ENODEV)
 */
uint32_t ust_ifindex_in(uint32_t idx)
{
	int lo;

	if (!idx)
		return 0;
	if ((int)idx == link_index())
		return STACK_LINK;
	lo = atomic_load(&lo_ifindex);
	if (!lo) {
		lo = ust_if_index("lo");
		atomic_store(&lo_ifindex, lo);
	}
	return (int)idx == lo ? STACK_LOOPBACK : STACK_NONE;
}

/**
 * ust_ifindex_out() - the daemon's interface number as the program knows it
 * @idx: the daemon's (1 the link, 2 the loopback, 0 none)
 *
 * Return: the index in this namespace (the link by its name, lo), or @idx
 * where no such interface is here
 */
uint32_t ust_ifindex_out(uint32_t idx)
{
	if (idx == STACK_LOOPBACK)
		return (uint32_t)ifindex_here(0);
	return idx ? (uint32_t)ifindex_here(idx) : 0;
}

/* ---- control messages ---- */

struct cm_out {
	struct msghdr *m;
	size_t cap, used;
};

/* put_cmsg(): one control message, truncated (MSG_CTRUNC) if need be. */
static void cm_put(struct cm_out *o, int level, int type, const void *data,
		   size_t len)
{
	size_t room = o->cap - o->used, cmlen = CMSG_LEN(len);
	char *at = (char *)o->m->msg_control + o->used;
	struct cmsghdr h;

	if (!o->m->msg_control || room < sizeof(h)) {
		o->m->msg_flags |= MSG_CTRUNC;
		return;
	}
	if (room < cmlen) {
		o->m->msg_flags |= MSG_CTRUNC;
		cmlen = room;
	}
	memset(&h, 0, sizeof(h));
	h.cmsg_level = level;
	h.cmsg_type = type;
	h.cmsg_len = cmlen;
	memcpy(at, &h, sizeof(h));
	memcpy(at + CMSG_LEN(0), data, cmlen - CMSG_LEN(0));
	o->used += CMSG_SPACE(len) < room ? CMSG_SPACE(len) : room;
}

/* __sock_recv_timestamp(), tcp_recv_timestamp(): SO_TIMESTAMP(NS) as
 * flags @f (USTACK_CM_*) ask, in the width asked for, of time @sec/@nsec */
static void cm_time(struct cm_out *o, uint32_t f, int64_t sec, uint32_t nsec)
{
	if (!(f & USTACK_CM_TIMESTAMP))
		return;
	if (!(f & USTACK_CM_TS_NEW)) {
		if (f & USTACK_CM_TIMESTAMPNS) {
			struct timespec ts = { sec, nsec };

			cm_put(o, SOL_SOCKET, SO_TIMESTAMPNS_OLD, &ts, sizeof(ts));
		} else {
			struct timeval tv = { sec, nsec / 1000 };

			cm_put(o, SOL_SOCKET, SO_TIMESTAMP_OLD, &tv, sizeof(tv));
		}
	} else {
		int64_t t[2] = { sec, f & USTACK_CM_TIMESTAMPNS ?
				 nsec : nsec / 1000 };

		cm_put(o, SOL_SOCKET, f & USTACK_CM_TIMESTAMPNS ?
		       SO_TIMESTAMPNS_NEW : SO_TIMESTAMP_NEW, t, sizeof(t));
	}
}

/* ip6_datagram_recv_common_ctl(): IPV6_PKTINFO, for a datagram of
 * either family (an IPv4 one's destination v4-mapped) */
static void cm_ipv6_common(struct cm_out *o, const struct ustack_dgram_meta *m)
{
	struct in6_pktinfo pi;

	if (!(m->cmsg & USTACK_CM_PKTINFO6))
		return;
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_ifindex = (unsigned)ifindex_here(m->ifindex);
	if (m->family == AF_INET6) {
		memcpy(&pi.ipi6_addr, m->dst, 16);
	} else {
		pi.ipi6_addr.s6_addr[10] = 0xff;
		pi.ipi6_addr.s6_addr[11] = 0xff;
		memcpy(&pi.ipi6_addr.s6_addr[12], m->dst, 4);
	}
	cm_put(o, SOL_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
}

/* ip6_datagram_recv_specific_ctl(): IPV6_HOPLIMIT, IPV6_TCLASS */
static void cm_ipv6_specific(struct cm_out *o, const struct ustack_dgram_meta *m)
{
	int v;

	if (m->cmsg & USTACK_CM_HOPLIMIT) {
		v = m->ttl;
		cm_put(o, SOL_IPV6, IPV6_HOPLIMIT, &v, sizeof(v));
	}
	if (m->cmsg & USTACK_CM_TCLASS) {
		v = m->tos;
		cm_put(o, SOL_IPV6, IPV6_TCLASS, &v, sizeof(v));
	}
}

/* ip_cmsg_recv_offset(): IP_PKTINFO, IP_TTL, IP_TOS, in that order */
static void cm_ip(struct cm_out *o, const struct ustack_dgram_meta *m)
{
	if (m->cmsg & USTACK_CM_PKTINFO) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_ifindex = ifindex_here(m->ifindex);
		memcpy(&pi.ipi_spec_dst, m->spec_dst, 4);
		memcpy(&pi.ipi_addr, m->dst, 4);
		cm_put(o, SOL_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (m->cmsg & USTACK_CM_TTL) {
		int ttl = m->ttl;

		cm_put(o, SOL_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (m->cmsg & USTACK_CM_TOS)
		cm_put(o, SOL_IP, IP_TOS, &m->tos, 1);
	if (m->cmsg & USTACK_CM_ORIGDSTADDR) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(m->dport);
		memcpy(&sin.sin_addr, m->dst, 4);
		cm_put(o, SOL_IP, IP_ORIGDSTADDR, &sin, sizeof(sin));
	}
}

/* sock_recv_drops(): SO_RXQ_OVFL, only when something was dropped */
static void cm_drops(struct cm_out *o, const struct ustack_dgram_meta *m)
{
	if ((m->cmsg & USTACK_CM_RXQ_OVFL) && m->drops)
		cm_put(o, SOL_SOCKET, SO_RXQ_OVFL, &m->drops, sizeof(m->drops));
}

/* What recvmsg adds after the timestamp: an AF_INET socket's IP_*; an
 * AF_INET6 socket's IPV6_PKTINFO, then IPV6_HOPLIMIT/IPV6_TCLASS for an
 * IPv6 datagram or the IP_* ones for an IPv4 one (udpv6_recvmsg()) */
static void cm_inet(struct cm_out *o, unsigned k,
		    const struct ustack_dgram_meta *m)
{
	if (!(k & UST_V6)) {
		cm_ip(o, m);
		return;
	}
	cm_ipv6_common(o, m);
	if (m->family == AF_INET6)
		cm_ipv6_specific(o, m);
	else
		cm_ip(o, m);
}

static void cm_begin(struct cm_out *o, struct msghdr *m)
{
	o->m = m;
	o->cap = m->msg_control ? m->msg_controllen : 0;
	o->used = 0;
}

static void cm_end(struct cm_out *o)
{
	o->m->msg_controllen = o->used;
}

/**
 * ust_cmsg_put() - one control message, as put_cmsg() writes it
 * @m: the message; msg_controllen its room
 * @used: control bytes already written; advanced
 * @level: the message's level
 * @type: its type
 * @data: its payload
 * @len: the payload's bytes
 */
void ust_cmsg_put(struct msghdr *m, size_t *used, int level, int type,
		  const void *data, size_t len)
{
	struct cm_out o;

	cm_begin(&o, m);
	o.used = *used;
	cm_put(&o, level, type, data, len);
	*used = o.used;
}

/*
 * A received message's times, as __sock_recv_timestamp() (a datagram) and
 * tcp_recv_timestamp() (a stream's read) write them: SO_TIMESTAMP(NS) as
 * flags @f ask, then SO_TIMESTAMPING's (errq.c says whether) with the
 * software time; nothing when the message has no time (0)
 */
static void cm_rxtime(struct cm_out *o, int fd, uint32_t f, int64_t sec,
		      uint32_t nsec)
{
	bool is_new = false;

	if (!sec && !nsec)
		return;
	cm_time(o, f, sec, nsec);
	if (ust_xs_rx_stamp(fd, &is_new))
		ust_xs_rx_cmsg(o->m, &o->used, sec, nsec, is_new);
}

/**
 * ust_cmsg_rxtime() - a stream read's receive times (client.c), written
 * as a datagram's are
 * @m: the message; msg_controllen its room
 * @used: control bytes already written; advanced
 * @fd: the socket (its SO_TIMESTAMPING flags are errq.c's)
 * @cmsg: its SO_TIMESTAMP(NS) flags, USTACK_CM_*
 * @sec: the time of the read's last byte (CLOCK_REALTIME), 0 and
 * @nsec: 0 for none
 */
void ust_cmsg_rxtime(struct msghdr *m, size_t *used, int fd, uint32_t cmsg,
		     int64_t sec, uint32_t nsec)
{
	struct cm_out o;

	cm_begin(&o, m);
	o.used = *used;
	cm_rxtime(&o, fd, cmsg, sec, nsec);
	*used = o.used;
}

/**
 * ust_cmsg_only() - a message's control data: one control message, written
 * as put_cmsg() writes it (truncated, MSG_CTRUNC, when it does not fit)
 * @m: the message; msg_controllen its room
 * @level: the message's level
 * @type: its type
 * @data: its payload
 * @len: the payload's bytes
 */
void ust_cmsg_only(struct msghdr *m, int level, int type, const void *data,
		   size_t len)
{
	struct cm_out o;

	cm_begin(&o, m);
	cm_put(&o, level, type, data, len);
	cm_end(&o);
}

/* ip_cmsg_send(): what sendmsg's control messages ask of one datagram */
static int cm_parse_ip(const struct cmsghdr *c, struct ustack_dgram_meta *m)
{
	size_t dl = c->cmsg_len - CMSG_LEN(0);
	int v;

	switch (c->cmsg_type) {
	case IP_TTL:
		if (dl != sizeof(int))
			return -EINVAL;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		if (v < 1 || v > 255)
			return -EINVAL;
		m->ttl = (uint8_t)v;
		m->cmsg |= USTACK_CM_TTL;
		return 0;
	case IP_TOS:
		if (dl == sizeof(int))
			memcpy(&v, CMSG_DATA(c), sizeof(v));
		else if (dl == 1)
			v = *(const uint8_t *)CMSG_DATA(c);
		else
			return -EINVAL;
		if (v < 0 || v > 255)
			return -EINVAL;
		m->tos = (uint8_t)v;
		m->cmsg |= USTACK_CM_TOS;
		return 0;
	case IP_PKTINFO: {
		struct in_pktinfo pi;

		if (dl != sizeof(pi))
			return -EINVAL;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		if (pi.ipi_ifindex && pi.ipi_ifindex != link_index())
			return -ENODEV;
		m->ifindex = pi.ipi_ifindex ? 1 : 0;
		memcpy(m->spec_dst, &pi.ipi_spec_dst, 4);
		m->cmsg |= USTACK_CM_PKTINFO;
		return 0;
	}
	}
	return -EINVAL;          /* IP_RETOPTS among them: no IP options */
}

/* ip6_datagram_send_ctl(): IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS */
static int cm_parse_ipv6(const struct cmsghdr *c, struct ustack_dgram_meta *m)
{
	size_t dl = c->cmsg_len - CMSG_LEN(0);
	int v;

	switch (c->cmsg_type) {
	case IPV6_PKTINFO: {
		struct in6_pktinfo pi;

		if (dl < sizeof(pi))
			return -EINVAL;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		m->ifindex = (uint16_t)(ust_ifindex_in(pi.ipi6_ifindex) > 0xffff ?
					0xffff : ust_ifindex_in(pi.ipi6_ifindex));
		if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr) && !pi.ipi6_ifindex)
			return -EINVAL;
		memcpy(m->spec_dst, &pi.ipi6_addr, 16);
		m->family = AF_INET6;
		m->cmsg |= USTACK_CM_PKTINFO6;
		return 0;
	}
	case IPV6_HOPLIMIT:
	case IPV6_TCLASS:
		if (dl != sizeof(int))
			return -EINVAL;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		if (v < -1 || v > 255)
			return -EINVAL;
		if (v < 0)
			return 0;        /* -1: the socket's */
		if (c->cmsg_type == IPV6_TCLASS) {
			m->tos = (uint8_t)v;
			m->cmsg |= USTACK_CM_TCLASS;
		} else {
			m->ttl = (uint8_t)v;
			m->cmsg |= USTACK_CM_HOPLIMIT;
		}
		return 0;
	}
	return -EINVAL;
}

/* Linux 6.x's SOF_TIMESTAMPING_TX_RECORD_MASK: TX_HARDWARE, TX_SOFTWARE,
 * TX_SCHED, TX_ACK, TX_COMPLETION */
#define TS_TX_RECORD ((1u << 0) | (1u << 1) | (1u << 8) | (1u << 9) | \
		      (1u << 18))

#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81        /* Linux 6.13 */
#endif

/* __sock_cmsg_send(): the SOL_SOCKET ones Linux knows are no-ops here,
 * but SO_TIMESTAMPING's and SCM_TS_OPT_ID's (a datagram's OPT_ID key),
 * checked here and followed by errq.c; Linux passes over SCM_RIGHTS and
 * SCM_CREDENTIALS (AF_UNIX's) too. @fd is the socket, @tcp says TCP. */
static int cm_parse_socket(const struct cmsghdr *c, int fd, bool tcp)
{
	uint32_t v;

	switch (c->cmsg_type) {
	case SCM_TS_OPT_ID:
		if (tcp || !ust_xs_opt_id(fd) ||
		    c->cmsg_len != CMSG_LEN(sizeof(v)))
			return -EINVAL;
		return 0;
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW:
		if (c->cmsg_len != CMSG_LEN(sizeof(v)))
			return -EINVAL;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		return v & ~TS_TX_RECORD ? -EINVAL : 0;
	case SO_MARK:
	case SO_PRIORITY:
	case SCM_TXTIME:
	case SCM_RIGHTS:
	case SCM_CREDENTIALS:
		return 0;
	}
	return -EINVAL;
}

/*
 * Walk a send's control messages, each checked whole: a datagram's
 * (@m: filled in) or, with @m NULL, a stream's, whose SOL_SOCKET ones
 * alone are read (tcp_sendmsg() reads no other level).
 */
static int cm_walk(int fd, const struct msghdr *msg, unsigned k,
		   struct ustack_dgram_meta *m)
{
	struct msghdr mm = *msg;
	int rc = 0;

	if (!msg->msg_control || !msg->msg_controllen)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mm); c && !rc;
	     c = CMSG_NXTHDR(&mm, c)) {
		if (c->cmsg_len < sizeof(*c) ||
		    (char *)c + c->cmsg_len >
		    (char *)msg->msg_control + msg->msg_controllen)
			return -EINVAL;
		if (c->cmsg_level == SOL_SOCKET)
			rc = cm_parse_socket(c, fd, !m);
		else if (m && c->cmsg_level == SOL_IP)
			rc = cm_parse_ip(c, m);
		else if (m && c->cmsg_level == SOL_IPV6 && (k & UST_V6))
			rc = cm_parse_ipv6(c, m);
	}
	return rc;
}

static int cm_parse(int fd, const struct msghdr *msg, unsigned k,
		    struct ustack_dgram_meta *m)
{
	memset(m, 0, sizeof(*m));
	return cm_walk(fd, msg, k, m);
}

/**
 * ust_cmsg_check_socket() - a TCP send's control messages, as Linux's
 * sock_cmsg_send() checks them: each whole, the SOL_SOCKET ones known
 * @msg: the message
 *
 * Return: 0, or -EINVAL
 */
int ust_cmsg_check_socket(const struct msghdr *msg)
{
	return cm_walk(-1, msg, 0, NULL);
}

/* ---- the error notification ---- */

/* Remove the notification at the channel's head, if it is one. */
static void notify_drop(int fd)
{
	struct ustack_dgram_hdr h;
	ssize_t n = ust_r.recv(fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);

	if (n == (ssize_t)sizeof(h) && h.kind == USTACK_DG_ERROR)
		ust_r.recv(fd, &h, sizeof(h), MSG_DONTWAIT);
}

static bool notify_at_head(int fd)
{
	struct ustack_dgram_hdr h;
	ssize_t n = ust_r.recv(fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);

	return n == (ssize_t)sizeof(h) && h.kind == USTACK_DG_ERROR;
}

static __thread union {
	struct ustack_dgerr_reply r;
	uint8_t b[sizeof(struct ustack_dgerr_reply) + USTACK_DGERR_PAYLOAD_MAX];
} dgerr_buf;

/* One DGERR request; the reply is in dgerr_buf. Return: 0 or -errno */
static int dgerr_call(int fd, uint32_t op)
{
	struct ustack_dgerr_req req = { .op = op };
	size_t n = 0;
	int rc;

	rc = ust_call(USTACK_MSG_DGERR, &req, sizeof(req), NULL, 0, fd,
		      dgerr_buf.b, sizeof(dgerr_buf.b), &n);
	if (rc)
		return rc;
	if (n < sizeof(dgerr_buf.r) ||
	    n - sizeof(dgerr_buf.r) != dgerr_buf.r.len ||
	    dgerr_buf.r.len > dgerr_buf.r.full_len)
		return -EPROTO;
	if (dgerr_buf.r.flags & USTACK_DGERR_STALE && op != USTACK_DGERR_RECV)
		notify_drop(fd);
	return 0;
}

/**
 * ust_dgram_so_error() - SO_ERROR of a datagram socket: take the pending
 * error
 * @fd: the socket
 * @err: set to it (a positive errno) or 0
 *
 * Return: 0, or -errno
 */
int ust_dgram_so_error(int fd, int *err)
{
	int rc = dgerr_call(fd, USTACK_DGERR_TAKE);

	if (rc)
		return rc;
	*err = dgerr_buf.r.error;
	return 0;
}

/* A send failed: if it took the error the notification was about, the
 * notification is void. */
static void dgram_send_failed(int fd)
{
	int saved = errno;

	if (notify_at_head(fd))
		dgerr_call(fd, USTACK_DGERR_SYNC);
	errno = saved;
}

/* ---- send ---- */

/* The last SENDTO that succeeded, per descriptor, in this thread */
struct fast_dest {
	int fd;
	uint32_t id;                  /* the fd's identity then */
	uint32_t gen;                 /* fast_gen then; 0: empty */
	uint32_t max_len;             /* the longest that went */
	struct ustack_sockaddr addr;  /* family 0: the connected peer */
};

#define FAST_SLOTS 8
static __thread struct fast_dest fast_dests[FAST_SLOTS];
static _Atomic uint32_t fast_gen = 1;

/**
 * ust_dgram_fast_forget() - a socket changed (bind, connect, shutdown, an
 * option, close, dup): no send goes down a channel before a SENDTO again
 */
void ust_dgram_fast_forget(void)
{
	atomic_fetch_add_explicit(&fast_gen, 1, memory_order_release);
}

static struct fast_dest *fast_slot(int fd)
{
	return &fast_dests[(unsigned)fd % FAST_SLOTS];
}

/* A SENDTO of @len bytes to @addr went: the next ones like it may skip
 * the round trip */
static void fast_note(int fd, const struct ustack_sockaddr *addr,
		      uint32_t len, uint32_t gen)
{
	struct fast_dest *f = fast_slot(fd);
	uint32_t id = ust_entry_id(fd);

	if (f->gen == gen && f->fd == fd && f->id == id &&
	    !memcmp(&f->addr, addr, sizeof(*addr))) {
		if (len > f->max_len)
			f->max_len = len;
		return;
	}
	f->fd = fd;
	f->id = id;
	f->gen = gen;
	f->max_len = len;
	f->addr = *addr;
}

/*
 * Send down the channel if nothing can differ from the last SENDTO (see
 * the top of the file). Return: bytes sent, -1 with errno EAGAIN, or -2:
 * not possible here, ask the daemon.
 */
static ssize_t fast_send(int fd, unsigned k, struct ustack_dgram_hdr *h,
			 struct iovec *iov, int niov, int flags)
{
	struct fast_dest *f = fast_slot(fd);
	struct msghdr mm = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
	int q = 0;
	ssize_t n;

	if (f->gen != atomic_load_explicit(&fast_gen, memory_order_acquire) ||
	    f->fd != fd || h->len > f->max_len ||
	    memcmp(&f->addr, &h->addr, sizeof(h->addr)))
		return -2;
	if (f->id != ust_entry_id(fd) || ust_check(fd, k) != k)
		return -2;
	if (ust_r.ioctl(fd, FIONREAD, &q) < 0 || q != 0)
		return -2;      /* a datagram or an error's notification */
	n = ust_r.sendmsg(fd, &mm, MSG_NOSIGNAL | (flags & MSG_DONTWAIT));
	if (n >= 0)
		return (ssize_t)h->len;
	if (errno == EAGAIN)
		return -1;
	return -2;              /* shut down, say: the daemon says how */
}

/**
 * ust_dgram_sendmsg() - sendmsg on a datagram socket: a SENDTO request
 * @fd: the socket
 * @k: its kind (ust_kind)
 * @m: the message
 * @flags: MSG_* (MSG_OOB is refused; the rest change nothing here)
 *
 * Return: bytes sent, or -1 with errno
 */
ssize_t ust_dgram_sendmsg(int fd, unsigned k, const struct msghdr *m,
			  int flags)
{
	struct ustack_dgram_hdr h;
	struct ustack_dgram_meta meta;
	struct ustack_int res;
	/* iov[0]: the header, for a send down the channel; a SENDTO
	 * request carries it itself and takes what follows */
	struct iovec iov[2 + 64];
	size_t len = 0, n = 0;
	int rc, niov = 1;
	uint32_t gen = 0;
	bool fast;

	if (flags & MSG_OOB)
		return dg_fail(-EOPNOTSUPP);
	memset(&h, 0, sizeof(h));
	h.kind = USTACK_DG_DATA;
	if (m->msg_name && m->msg_namelen) {
		rc = ust_addr_in(k, UST_ADDR_SEND, &h.addr, m->msg_name,
				 m->msg_namelen);
		if (rc)
			return dg_fail(rc);
	}
	if (m->msg_iovlen > 64)
		return dg_fail(-EMSGSIZE);
	rc = cm_parse(fd, m, k, &meta);
	if (rc)
		return dg_fail(rc);
	if (meta.cmsg) {
		h.flags = USTACK_DG_META;
		iov[niov++] = (struct iovec){ &meta, sizeof(meta) };
	}
	for (size_t i = 0; i < m->msg_iovlen; i++) {
		len += m->msg_iov[i].iov_len;
		iov[niov++] = m->msg_iov[i];
	}
	if (len > USTACK_DGRAM_MAX)
		return dg_fail(-EMSGSIZE);
	h.len = (uint32_t)len;
	fast = !meta.cmsg && !(k & UST_ICMP) &&
	       (k & UST_TYPE_MASK) == SOCK_DGRAM &&
	       !(flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL));
	if (fast) {
		ssize_t r;

		iov[0] = (struct iovec){ &h, sizeof(h) };
		r = fast_send(fd, k, &h, iov, niov, flags);
		if (r != -2)
			return r;
		gen = atomic_load_explicit(&fast_gen, memory_order_acquire);
	}
	rc = ust_call(USTACK_MSG_SENDTO, &h, sizeof(h), iov + 1, niov - 1, fd,
		      &res, sizeof(res), &n);
	/* EPIPE after shutdown(SHUT_WR): UDP raises no SIGPIPE in Linux */
	if (rc) {
		errno = -rc;
		dgram_send_failed(fd);
		return -1;
	}
	if (fast)
		fast_note(fd, &h.addr, h.len, gen);
	return res.value;
}

/* ---- receive ---- */

/* msg_name from the wire form, truncated as the kernel truncates it */
static void dgram_name(struct msghdr *m, const struct ustack_sockaddr *ua,
		       unsigned k)
{
	if (m->msg_name)
		m->msg_namelen = ust_addr_out(k, ua, m->msg_name,
					      m->msg_namelen);
	else
		m->msg_namelen = 0;
}

/**
 * ust_iov_copy_out() - copy @len bytes into a message's iovecs
 * @m: the message
 * @d: the bytes
 * @len: their count
 *
 * Return: bytes copied (less than @len if the iovecs are shorter)
 */
size_t ust_iov_copy_out(struct msghdr *m, const uint8_t *d, size_t len)
{
	size_t done = 0;

	for (size_t i = 0; i < m->msg_iovlen && done < len; i++) {
		size_t c = m->msg_iov[i].iov_len;

		if (c > len - done)
			c = len - done;
		memcpy(m->msg_iov[i].iov_base, d + done, c);
		done += c;
	}
	return done;
}

/* The error queue entry's sock_extended_err and offender: AF_INET as
 * ip_recv_error() gives it, AF_INET6 as ipv6_recv_error() (an ICMP
 * error's offender v4-mapped) */
static void errq_cmsg(struct cm_out *o, unsigned k,
		      const struct ustack_dgerr_reply *r)
{
	struct ust_exterr eh;
	bool icmp = r->ee.origin == SO_EE_ORIGIN_ICMP;
	bool icmp6 = r->ee.origin == SO_EE_ORIGIN_ICMP6;

	memset(&eh, 0, sizeof(eh));
	eh.ee.ee_errno = r->ee.err;
	eh.ee.ee_origin = r->ee.origin;
	eh.ee.ee_type = r->ee.type;
	eh.ee.ee_code = r->ee.code;
	eh.ee.ee_info = r->ee.info;
	if (!(k & UST_V6)) {
		if (icmp) {
			eh.off.sin.sin_family = AF_INET;
			memcpy(&eh.off.sin.sin_addr, r->ee.offender, 4);
		}
		cm_ip(o, &r->meta);
		cm_put(o, SOL_IP, IP_RECVERR, &eh,
		       sizeof(eh.ee) + sizeof(eh.off.sin));
		return;
	}
	if (icmp || icmp6) {
		struct in6_addr *a = &eh.off.sin6.sin6_addr;

		eh.off.sin6.sin6_family = AF_INET6;
		cm_ipv6_common(o, &r->meta);
		if (icmp6) {
			memcpy(a, r->ee.offender, 16);
			if (IN6_IS_ADDR_LINKLOCAL(a))
				eh.off.sin6.sin6_scope_id =
					(unsigned)ifindex_here(r->meta.ifindex);
			cm_ipv6_specific(o, &r->meta);
		} else {
			a->s6_addr[10] = a->s6_addr[11] = 0xff;
			memcpy(&a->s6_addr[12], r->ee.offender, 4);
			cm_ip(o, &r->meta);
		}
	}
	cm_put(o, SOL_IPV6, IPV6_RECVERR, &eh,
	       sizeof(eh.ee) + sizeof(eh.off.sin6));
}

/* ip_recv_error(), ipv6_recv_error(): the head of the error queue, never
 * blocking */
static ssize_t dgram_recverr(int fd, unsigned k, struct msghdr *m)
{
	const struct ustack_dgerr_reply *r = &dgerr_buf.r;
	struct cm_out o;
	size_t room = 0, copied;
	int rc = dgerr_call(fd, USTACK_DGERR_ERRQUEUE);

	if (rc)
		return dg_fail(rc);
	if (r->error)
		return dg_fail(-r->error);
	m->msg_flags = 0;
	for (size_t i = 0; i < m->msg_iovlen; i++)
		room += m->msg_iov[i].iov_len;
	copied = ust_iov_copy_out(m, dgerr_buf.b + sizeof(*r), r->len);
	if (r->full_len > copied || room < r->full_len)
		m->msg_flags |= MSG_TRUNC;
	dgram_name(m, &r->name, k);
	cm_begin(&o, m);
	cm_time(&o, r->meta.cmsg, r->meta.sec, r->meta.nsec);
	errq_cmsg(&o, k, r);
	cm_end(&o);
	m->msg_flags |= MSG_ERRQUEUE;
	return (ssize_t)copied;
}

/* The receive met the error notification: the pending error, or none. */
static int dgram_met_notice(int fd, int flags)
{
	struct ustack_dgram_hdr h;
	int rc;

	if (flags & MSG_PEEK)        /* the error is reported once */
		ust_r.recv(fd, &h, sizeof(h), MSG_DONTWAIT);
	rc = dgerr_call(fd, USTACK_DGERR_RECV);
	if (rc)
		return rc;
	return -dgerr_buf.r.error;
}

/**
 * ust_dgram_recvmsg() - recvmsg on a datagram socket
 * @fd: the socket
 * @k: its kind (ust_kind)
 * @m: the message: iovecs, name, control buffer
 * @flags: MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC, MSG_ERRQUEUE,
 *         MSG_CMSG_CLOEXEC
 *
 * Return: bytes received (with MSG_TRUNC, UDP and raw give the whole
 * datagram's length, ping what was copied, as Linux), 0 after
 * shutdown(SHUT_RD), or -1 with errno
 */
ssize_t ust_dgram_recvmsg(int fd, unsigned k, struct msghdr *m, int flags)
{
	struct ustack_dgram_hdr h;
	struct ustack_dgram_meta meta;
	struct iovec iov[2 + 64];
	struct msghdr km = { .msg_iov = iov };
	struct cm_out o;
	ssize_t n;
	int rc;

	if (m->msg_iovlen > 64)
		return dg_fail(-EMSGSIZE);
	/* MSG_ZEROCOPY's and SO_TIMESTAMPING's reports first (errq.c) */
	if ((flags & MSG_ERRQUEUE) && ust_xs_recverr(fd, k, m, &n))
		return n;
	if (flags & MSG_ERRQUEUE)
		return dgram_recverr(fd, k, m);
	iov[0] = (struct iovec){ &h, sizeof(h) };
	iov[1] = (struct iovec){ &meta, sizeof(meta) };
	for (size_t i = 0; i < m->msg_iovlen; i++)
		iov[2 + i] = m->msg_iov[i];
	km.msg_iovlen = 2 + m->msg_iovlen;
	for (;;) {
		n = ust_r.recvmsg(fd, &km, flags & (MSG_PEEK | MSG_DONTWAIT |
						    MSG_CMSG_CLOEXEC));
		if (n < 0)
			return -1;
		m->msg_flags = 0;
		if (n == 0) {
			m->msg_controllen = 0;
			return 0;                /* shut down for reading */
		}
		if ((size_t)n < sizeof(h))
			return dg_fail(-EIO);
		if (h.kind != USTACK_DG_ERROR)
			break;
		rc = dgram_met_notice(fd, flags);
		if (rc)
			return dg_fail(rc);
	}
	if (!(h.flags & USTACK_DG_META) || (size_t)n < sizeof(h) + sizeof(meta))
		return dg_fail(-EIO);
	n -= (ssize_t)(sizeof(h) + sizeof(meta));
	if (km.msg_flags & MSG_TRUNC)
		m->msg_flags |= MSG_TRUNC;
	dgram_name(m, &h.addr, k);
	cm_begin(&o, m);
	cm_rxtime(&o, fd, meta.cmsg, meta.sec, meta.nsec);
	cm_drops(&o, &meta);
	cm_inet(&o, k, &meta);
	cm_end(&o);
	if ((flags & MSG_TRUNC) && !((k & UST_ICMP) &&
				     (k & UST_TYPE_MASK) == SOCK_DGRAM))
		return h.len;
	return n;
}

/* ---- poll ---- */

/*
 * A socket whose channel starts with the error notification has an error
 * for the program to take: POLLERR, and POLLIN only if datagrams follow.
 */
static void poll_fix_one(struct pollfd *p)
{
	unsigned k;
	int queued = 0;

	if (!(p->revents & POLLIN))
		return;
	k = ust_kind(p->fd);
	/* the entry is confirmed (fdtab.c) only when it would decide */
	if (!ust_is_dgram(k) || !notify_at_head(p->fd) ||
	    !ust_is_dgram(ust_check(p->fd, k)))
		return;
	p->revents |= POLLERR;
	if (ust_r.ioctl(p->fd, SIOCINQ, &queued) == 0 &&
	    queued <= (int)sizeof(struct ustack_dgram_hdr))
		p->revents &= (short)~(POLLIN | POLLRDNORM);
}

/**
 * ust_poll_fix() - after the kernel's poll: POLLERR for datagram sockets
 * that have an error to report
 * @fds: what poll filled in
 * @nfds: their number
 * @n: poll's result (> 0)
 *
 * Return: @n (a socket that had POLLIN has POLLERR instead, still counted)
 */
int ust_poll_fix(struct pollfd *fds, nfds_t nfds, int n)
{
	int saved = errno;

	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && fds[i].revents)
			poll_fix_one(&fds[i]);
	errno = saved;
	return n;
}
