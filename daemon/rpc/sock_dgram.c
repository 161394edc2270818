/* SPDX-License-Identifier: MIT */
/*
 * sock_dgram.c - datagram sockets (UDP, ping, raw) between SOCK_SEQPACKET
 * channels and the engine: what the three kinds share
 *
 * Theory of operation. Engine to program: when the engine queues a
 * datagram (DGRAM_EV_READABLE) it is written to the channel at once as
 * one message: struct ustack_dgram_hdr, struct ustack_dgram_meta (what
 * recvmsg's control messages will say: the options the program had set
 * when the datagram was written, its TTL, TOS, addresses, interface and
 * arrival time on the wall clock) and the payload. When the channel is
 * full (the program does not read), the datagram stays in the engine's
 * queue, which is bounded by SO_RCVBUF and drops beyond it as the kernel
 * does, and the channel is watched for room. The daemon's end has
 * SO_SNDBUF set from SO_RCVBUF, so the kernel bounds what waits in the
 * channel the same way.
 *
 * Errors: the engine keeps the pending error and the error queue (they
 * are answered in order with the socket's other calls). The channel only
 * carries a notification, a USTACK_DG_ERROR message written when the
 * socket gets an error and none is outstanding (DG_NOTIFIED): it wakes a
 * program that waits to read, and libustack turns it into POLLERR, or
 * into the errno of the receive that meets it, after asking
 * USTACK_MSG_DGERR what is pending. A DGERR reply says when nothing is
 * pending any more, and the program then removes the notification.
 *
 * Program to program's peer: the shim sends with USTACK_MSG_SENDTO on the
 * control connection, so errors (EACCES, EMSGSIZE, ENOBUFS, ...) come back
 * synchronously as from the kernel. Datagrams written straight into the
 * channel (a program writing without the shim) are sent too; their errors
 * become the socket's pending error. A plain channel (USTACK_SO_PLAIN, for
 * a program outside the shim that read()s and write()s a connected
 * socket) carries the payloads alone, both ways, and no notification.
 */
#include "sock_dgram.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/sockios.h>

#include "stack.h"
#include "udp.h"

#define CHAN_BATCH 64

/*
 * Datagrams taken from a channel per system call (recvmmsg): each read
 * costs some microseconds on a virtualized host, as much as the engine's
 * work for the datagram, so a program that sends fast is read CHAN_MMSG
 * at a time. Each gets a slot as large as the largest message (the
 * framing and 64 KiB), so none is cut; the slots' pages are touched only
 * as far as the datagrams reach.
 */
#define CHAN_MMSG 16
#define CHAN_MSG_MAX (sizeof(struct ustack_dgram_hdr) + \
		      sizeof(struct ustack_dgram_meta) + 65536)

static uint8_t chan_buf[CHAN_MMSG][CHAN_MSG_MAX];

/* The daemon's end holds what SO_RCVBUF allows (the kernel doubles it). */
static void dg_chan_sndbuf(struct sock *sk)
{
	int v = 0;

	dgram_getopt(sk->dg, DGRAM_SO_RCVBUF, &v);
	v /= 2;
	setsockopt(sk->chan, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/**
 * dg_open() - adopt a new engine socket's common part
 * @sk: the socket
 * @dg: its engine socket's common part
 *
 * Return: 0, or -ENOBUFS (the uid's memory quota)
 */
int dg_open(struct sock *sk, struct dgram *dg)
{
	sk->dg = dg;
	dgram_set_user(dg, sk);
	dg_chan_sndbuf(sk);
	return sock_charge(sk, 2 * UDP_RCVBUF_DEFAULT) ? -ENOBUFS : 0;
}

/* SO_RCVBUF, SO_SNDBUF (and FORCE): charged to the uid before they are set */
static int dg_setbuf(struct sock *sk, enum dgram_opt o, int val)
{
	bool snd = o == DGRAM_SO_SNDBUF || o == DGRAM_SO_SNDBUFFORCE;
	uint32_t v = stack_sockbuf_size(sk->t->stack, val, snd,
					o == DGRAM_SO_RCVBUFFORCE ||
					o == DGRAM_SO_SNDBUFFORCE);
	int other = 0, rc;

	dgram_getopt(sk->dg, snd ? DGRAM_SO_RCVBUF : DGRAM_SO_SNDBUF, &other);
	rc = sock_charge(sk, (size_t)v + (size_t)other);
	if (rc)
		return rc;
	dgram_setopt(sk->dg, o, val);
	dg_chan_sndbuf(sk);
	return 0;
}

static void dg_flag(uint32_t *f, uint32_t bit, int val)
{
	if (val)
		*f |= bit;
	else
		*f &= ~bit;
}

static int dg_setopt_socket(struct sock *sk, int name, int val)
{
	switch (name) {
	case SO_RCVBUF:
		return dg_setbuf(sk, DGRAM_SO_RCVBUF, val);
	case SO_SNDBUF:
		return dg_setbuf(sk, DGRAM_SO_SNDBUF, val);
	case SO_RCVBUFFORCE:
		return dg_setbuf(sk, DGRAM_SO_RCVBUFFORCE, val);
	case SO_SNDBUFFORCE:
		return dg_setbuf(sk, DGRAM_SO_SNDBUFFORCE, val);
	case SO_BROADCAST:
		return dgram_setopt(sk->dg, DGRAM_SO_BROADCAST, val);
	case SO_RXQ_OVFL:
		dg_flag(&sk->dg_cmsg, USTACK_CM_RXQ_OVFL, val);
		return 0;
	case SO_TIMESTAMP_OLD:
	case SO_TIMESTAMP_NEW:
	case SO_TIMESTAMPNS_OLD:
	case SO_TIMESTAMPNS_NEW:
		sock_ts_flags_set(&sk->dg_cmsg, name, val);
		return 0;
	case USTACK_SO_PLAIN:
		dg_flag(&sk->dg_flags, DG_PLAIN, val);
		return 0;
	case USTACK_SO_RXTIME:
		dg_flag(&sk->dg_cmsg, USTACK_CM_RXTIME, val);
		return 0;
	}
	return -ENOPROTOOPT;
}

static int dg_setopt_ip(struct sock *sk, int name, int val)
{
	switch (name) {
	case IP_TTL:
		return dgram_setopt(sk->dg, DGRAM_IP_TTL, val);
	case IP_TOS:
		return dgram_setopt(sk->dg, DGRAM_IP_TOS, val);
	case IP_RECVERR:
		return dgram_setopt(sk->dg, DGRAM_IP_RECVERR, val);
	case IP_MTU_DISCOVER:
		return dgram_setopt(sk->dg, DGRAM_IP_MTU_DISCOVER, val);
	case IP_MULTICAST_TTL:
		return dgram_setopt(sk->dg, DGRAM_IP_MULTICAST_TTL, val);
	case IP_MULTICAST_LOOP:
		return dgram_setopt(sk->dg, DGRAM_IP_MULTICAST_LOOP, val);
	case IP_MULTICAST_ALL:
		return dgram_setopt(sk->dg, DGRAM_IP_MULTICAST_ALL, val);
	case IP_FREEBIND:               /* sock.c: either flag */
		return dgram_setopt(sk->dg, DGRAM_IP_NONLOCAL, val);
	case IP_BIND_ADDRESS_NO_PORT:
		return dgram_setopt(sk->dg, DGRAM_IP_BIND_NO_PORT, val);
	case IP_LOCAL_PORT_RANGE:
		return dgram_setopt(sk->dg, DGRAM_IP_PORT_RANGE, val);
	case IP_PKTINFO:
		dg_flag(&sk->dg_cmsg, USTACK_CM_PKTINFO, val);
		return 0;
	case IP_RECVTTL:
		dg_flag(&sk->dg_cmsg, USTACK_CM_TTL, val);
		return 0;
	case IP_RECVTOS:
		dg_flag(&sk->dg_cmsg, USTACK_CM_TOS, val);
		return 0;
	case IP_RECVORIGDSTADDR:
		dg_flag(&sk->dg_cmsg, USTACK_CM_ORIGDSTADDR, val);
		return 0;
	case IP_RECVOPTS:
	case IP_RETOPTS:
		/* accepted: no datagram delivered carries IP options */
		return 0;
	}
	return -ENOPROTOOPT;
}

/* do_ipv6_setsockopt(): the IPv6 options of an AF_INET6 datagram socket
 * (V6ONLY is the protocol's, the rest sock_inet6.c keeps) */
static int dg_setopt_ipv6(struct sock *sk, int name, int val)
{
	switch (name) {
	case IPV6_UNICAST_HOPS:
		return dgram_setopt(sk->dg, DGRAM_IP6_UNICAST_HOPS, val);
	case IPV6_TCLASS:
		return dgram_setopt(sk->dg, DGRAM_IP6_TCLASS, val);
	case IPV6_MULTICAST_HOPS:
		return dgram_setopt(sk->dg, DGRAM_IP6_MULTICAST_HOPS, val);
	case IPV6_MULTICAST_LOOP:
		return dgram_setopt(sk->dg, DGRAM_IP6_MULTICAST_LOOP, val);
	case IPV6_RECVERR:
		return dgram_setopt(sk->dg, DGRAM_IP6_RECVERR, val);
	case IPV6_MTU_DISCOVER:
		return dgram_setopt(sk->dg, DGRAM_IP_MTU_DISCOVER, val);
	case IPV6_RECVPKTINFO:
		dg_flag(&sk->dg_cmsg, USTACK_CM_PKTINFO6, val);
		return 0;
	case IPV6_RECVHOPLIMIT:
		dg_flag(&sk->dg_cmsg, USTACK_CM_HOPLIMIT, val);
		return 0;
	case IPV6_RECVTCLASS:
		dg_flag(&sk->dg_cmsg, USTACK_CM_TCLASS, val);
		return 0;
	}
	return -ENOPROTOOPT;
}

static int dg_getopt_ipv6(struct sock *sk, int name, int *val)
{
	switch (name) {
	case IPV6_UNICAST_HOPS:
		return dgram_getopt(sk->dg, DGRAM_IP6_UNICAST_HOPS, val);
	case IPV6_TCLASS:
		return dgram_getopt(sk->dg, DGRAM_IP6_TCLASS, val);
	case IPV6_MULTICAST_HOPS:
		return dgram_getopt(sk->dg, DGRAM_IP6_MULTICAST_HOPS, val);
	case IPV6_MULTICAST_LOOP:
		return dgram_getopt(sk->dg, DGRAM_IP6_MULTICAST_LOOP, val);
	case IPV6_RECVERR:
		return dgram_getopt(sk->dg, DGRAM_IP6_RECVERR, val);
	case IPV6_MTU_DISCOVER:
		return dgram_getopt(sk->dg, DGRAM_IP_MTU_DISCOVER, val);
	case IPV6_RECVPKTINFO:
		*val = !!(sk->dg_cmsg & USTACK_CM_PKTINFO6);
		return 0;
	case IPV6_RECVHOPLIMIT:
		*val = !!(sk->dg_cmsg & USTACK_CM_HOPLIMIT);
		return 0;
	case IPV6_RECVTCLASS:
		*val = !!(sk->dg_cmsg & USTACK_CM_TCLASS);
		return 0;
	}
	return -ENOPROTOOPT;
}

/**
 * dg_setopt() - the options every datagram socket has
 * @sk: the socket
 * @level: SOL_SOCKET or IPPROTO_IP
 * @name: the option
 * @val: its value
 *
 * Return: 0, -EINVAL, -ENOBUFS (quota), or -ENOPROTOOPT (not one of them)
 */
int dg_setopt(struct sock *sk, int level, int name, int val)
{
	if (level == SOL_SOCKET)
		return dg_setopt_socket(sk, name, val);
	if (level == IPPROTO_IP)
		return dg_setopt_ip(sk, name, val);
	if (level == IPPROTO_IPV6)
		return dg_setopt_ipv6(sk, name, val);
	return -ENOPROTOOPT;
}

static int dg_getopt_ip(struct sock *sk, int name, int *val)
{
	switch (name) {
	case IP_TTL:
		return dgram_getopt(sk->dg, DGRAM_IP_TTL, val);
	case IP_TOS:
		return dgram_getopt(sk->dg, DGRAM_IP_TOS, val);
	case IP_RECVERR:
		return dgram_getopt(sk->dg, DGRAM_IP_RECVERR, val);
	case IP_MTU_DISCOVER:
		return dgram_getopt(sk->dg, DGRAM_IP_MTU_DISCOVER, val);
	case IP_MULTICAST_TTL:
		return dgram_getopt(sk->dg, DGRAM_IP_MULTICAST_TTL, val);
	case IP_MULTICAST_LOOP:
		return dgram_getopt(sk->dg, DGRAM_IP_MULTICAST_LOOP, val);
	case IP_MULTICAST_ALL:
		return dgram_getopt(sk->dg, DGRAM_IP_MULTICAST_ALL, val);
	case IP_PKTINFO:
		*val = !!(sk->dg_cmsg & USTACK_CM_PKTINFO);
		return 0;
	case IP_RECVTTL:
		*val = !!(sk->dg_cmsg & USTACK_CM_TTL);
		return 0;
	case IP_RECVTOS:
		*val = !!(sk->dg_cmsg & USTACK_CM_TOS);
		return 0;
	case IP_RECVORIGDSTADDR:
		*val = !!(sk->dg_cmsg & USTACK_CM_ORIGDSTADDR);
		return 0;
	}
	return -ENOPROTOOPT;
}

/**
 * dg_getopt() - read an option every datagram socket has
 * @sk: the socket
 * @level: SOL_SOCKET or IPPROTO_IP
 * @name: the option
 * @val: set to its value
 *
 * SO_ERROR takes the pending error, as in Linux.
 *
 * Return: 0, or -ENOPROTOOPT (not one of them)
 */
int dg_getopt(struct sock *sk, int level, int name, int *val)
{
	if (level == IPPROTO_IP)
		return dg_getopt_ip(sk, name, val);
	if (level == IPPROTO_IPV6)
		return dg_getopt_ipv6(sk, name, val);
	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case SO_ERROR:
		*val = sk->pending_err ? sk->pending_err
				       : -dgram_take_error(sk->dg);
		sk->pending_err = 0;
		return 0;
	case SO_ACCEPTCONN:
		*val = 0;
		return 0;
	case SO_RCVBUF:
		return dgram_getopt(sk->dg, DGRAM_SO_RCVBUF, val);
	case SO_SNDBUF:
		return dgram_getopt(sk->dg, DGRAM_SO_SNDBUF, val);
	case SO_BROADCAST:
		return dgram_getopt(sk->dg, DGRAM_SO_BROADCAST, val);
	case SO_RXQ_OVFL:
		*val = !!(sk->dg_cmsg & USTACK_CM_RXQ_OVFL);
		return 0;
	case SO_TIMESTAMP_OLD:
	case SO_TIMESTAMP_NEW:
	case SO_TIMESTAMPNS_OLD:
	case SO_TIMESTAMPNS_NEW:
		*val = sock_ts_flags_get(sk->dg_cmsg, name);
		return 0;
	case USTACK_SO_PLAIN:
		*val = !!(sk->dg_flags & DG_PLAIN);
		return 0;
	case USTACK_SO_RXTIME:
		*val = !!(sk->dg_cmsg & USTACK_CM_RXTIME);
		return 0;
	}
	return -ENOPROTOOPT;
}

/**
 * dg_shutdown() - shutdown(): Linux marks it shut even without a peer
 * @sk: the socket
 * @how: SHUT_RD, SHUT_WR or SHUT_RDWR
 *
 * Return: 0, or -ENOTCONN (not connected; the socket is shut anyway)
 */
int dg_shutdown(struct sock *sk, int how)
{
	struct ip_addr a;
	uint16_t p;
	int rc = sk->proto->getname(sk, true, &a, &p) == -ENOTCONN ?
		 -ENOTCONN : 0;

	if (how != SHUT_WR) {
		sk->shut_rd = true;
		shutdown(sk->chan, SHUT_WR);
	}
	if (how != SHUT_RD)
		sk->shut_wr = true;
	return rc;
}

/**
 * dg_ioctl() - SIOCINQ (the datagram at the head), SIOCOUTQ (0: sends
 * are synchronous, nothing waits)
 * @sk: the socket
 * @req: the request
 * @val: set to the answer
 *
 * Return: 0, or -ENOTTY
 */
int dg_ioctl(struct sock *sk, unsigned long req, int *val)
{
	struct dgram_info in;
	size_t len;

	switch (req) {
	case SIOCOUTQ:
		*val = 0;
		return 0;
	case SIOCINQ:
		*val = dgram_recv_peek(sk->dg, &in, &len) ? (int)len : 0;
		return 0;
	}
	return -ENOTTY;
}

/**
 * dg_tx() - a datagram's sendmsg control messages for the engine
 * @m: the meta block the program sent, or NULL
 * @tx: filled in
 *
 * IP_PKTINFO's and IPV6_PKTINFO's interface must be the stack's (the
 * link, or for IPv6 the loopback too); an unspecified source means the
 * route's.
 *
 * Return: 0, -EINVAL (TTL out of range), -ENODEV (another interface)
 */
int dg_tx(const struct ustack_dgram_meta *m, struct dgram_tx *tx)
{
	uint32_t a;

	tx->ttl = -1;
	tx->tos = -1;
	tx->src = ip_any(IP_NONE);
	if (!m)
		return 0;
	if (m->cmsg & USTACK_CM_TTL) {
		if (m->ttl < 1)
			return -EINVAL;
		tx->ttl = m->ttl;
	}
	if (m->cmsg & USTACK_CM_HOPLIMIT)
		tx->ttl = m->ttl;
	if (m->cmsg & (USTACK_CM_TOS | USTACK_CM_TCLASS))
		tx->tos = m->tos;
	if (m->cmsg & USTACK_CM_PKTINFO6) {
		if (m->ifindex > STACK_IF_LOOPBACK)
			return -ENODEV;
		tx->src = ip6(m->spec_dst);
		if (ip_addr_is_any(&tx->src))
			tx->src = ip_any(IP_NONE);
	} else if (m->cmsg & USTACK_CM_PKTINFO) {
		if (m->ifindex > 1)
			return -ENODEV;
		memcpy(&a, m->spec_dst, 4);
		if (a)
			tx->src = ip4(ntohl(a));
	}
	return 0;
}

/*
 * One channel message's pieces: the header, the meta block if any, the
 * payload; on a plain channel the payload alone, and nothing for what
 * such a channel does not carry. Return: false if nothing is to go
 */
static bool chan_msg(const struct sock *sk, const struct ustack_dgram_hdr *h,
		     const struct ustack_dgram_meta *m, const void *data,
		     size_t len, struct iovec iov[3], struct msghdr *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->msg_iov = iov;
	if (sk->dg_flags & DG_PLAIN) {     /* the payload alone */
		if (h->kind != USTACK_DG_DATA)
			return false;
		m = NULL;
	} else {
		iov[msg->msg_iovlen++] = (struct iovec){ (void *)h, sizeof(*h) };
	}
	if (m)
		iov[msg->msg_iovlen++] = (struct iovec){ (void *)m, sizeof(*m) };
	if (len)
		iov[msg->msg_iovlen++] = (struct iovec){ (void *)data, len };
	return true;
}

/* Write one message to the channel. Return: 1 sent, 0 full, -1 gone */
static int chan_put(struct sock *sk, const struct ustack_dgram_hdr *h,
		    const struct ustack_dgram_meta *m, const void *data,
		    size_t len)
{
	struct iovec iov[3];
	struct msghdr msg;

	if (!chan_msg(sk, h, m, data, len, iov, &msg))
		return 1;
	if (sendmsg(sk->chan, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 1;
	if (errno == EAGAIN || errno == ENOBUFS) {
		sk->t->st.chan_full++;
		return 0;
	}
	return -1;
}

/* An address's bytes, network order, as the protocol carries them
 * (ipi_spec_dst, ipi_addr, ipi6_addr, ee_offender): 4 for IPv4, 16 for
 * IPv6, zeros for none */
static void dg_addr_bytes(const struct ip_addr *a, uint8_t out[16])
{
	uint32_t n = a->family == IP_V4 ? htonl(a->v4) : 0;

	memset(out, 0, 16);
	if (a->family == IP_V6)
		memcpy(out, a->v6, 16);
	else
		memcpy(out, &n, 4);
}

/* A received datagram's header and ancillary data, as the program sees it. */
static void dg_describe(struct sock *sk, const struct dgram_info *in,
			size_t len, struct ustack_dgram_hdr *h,
			struct ustack_dgram_meta *m)
{
	/* the wall clock only when SO_TIMESTAMP (or USTACK_SO_RXTIME, for
	 * SO_TIMESTAMPING) asks for it */
	uint64_t rt = sk->dg_cmsg & (USTACK_CM_TIMESTAMP | USTACK_CM_RXTIME) ?
		      sock_realtime(sk, in->time) : 0;

	memset(h, 0, sizeof(*h));
	h->kind = USTACK_DG_DATA;
	h->flags = USTACK_DG_META;
	h->len = (uint32_t)len;
	/* the port is 0 for ping and raw: no port */
	sock_addr_out(sk, &in->src, in->sport, &h->addr);
	/* a link-local source's scope: the interface it came in on */
	if (h->addr.scope_id || (in->src.family == IP_V6 &&
				 ip_addr_is_linklocal(&in->src)))
		h->addr.scope_id = in->ifindex == DGRAM_IF_LOOPBACK ?
				   STACK_IF_LOOPBACK : in->ifindex;
	memset(m, 0, sizeof(*m));
	m->cmsg = sk->dg_cmsg;
	if (m->cmsg & USTACK_CM_ORIGDSTADDR)
		m->dport = in->dport;
	if (m->cmsg & USTACK_CM_RXQ_OVFL)
		m->drops = in->drops;
	m->ttl = in->ttl;
	m->tos = in->tos;
	m->ifindex = in->ifindex;
	m->family = in->dst.family == IP_V6 ? AF_INET6 : AF_INET;
	dg_addr_bytes(&in->spec_dst, m->spec_dst);
	dg_addr_bytes(&in->dst, m->dst);
	m->sec = (int64_t)(rt / 1000000000u);
	m->nsec = (uint32_t)(rt % 1000000000u);
}

/* Post the error notification, if one is due and none is out. */
static int dg_notify(struct sock *sk)
{
	struct ustack_dgram_hdr h;
	int err = sk->pending_err ? sk->pending_err : sk->dg->err;
	int rc;

	if (sk->dg_flags & DG_NOTIFIED)
		return 1;
	if (!err && dgram_errq_len(sk->dg))
		err = EAGAIN;            /* only local errors are queued */
	if (!err)
		return 1;
	memset(&h, 0, sizeof(h));
	h.kind = USTACK_DG_ERROR;
	h.error = err;
	rc = chan_put(sk, &h, NULL, NULL, 0);
	if (rc > 0)
		sk->dg_flags |= DG_NOTIFIED;
	return rc;
}

/* datagrams handed to the channel per system call (sendmmsg) */
#define DG_DRAIN_BATCH 16

/*
 * Up to DG_DRAIN_BATCH queued datagrams into the channel in one sendmmsg.
 * Return: 1 all of them went (or the program is gone: dropped, as one
 * sendmsg failing so dropped it), 0 the channel is full (what went is
 * taken off the queue), -1 nothing was queued
 */
static int dg_drain_batch(struct sock *sk)
{
	struct ustack_dgram_hdr h[DG_DRAIN_BATCH];
	struct ustack_dgram_meta m[DG_DRAIN_BATCH];
	struct iovec iov[DG_DRAIN_BATCH][3];
	struct mmsghdr v[DG_DRAIN_BATCH];
	struct dgram_info in;
	const void *pos = NULL;
	const uint8_t *d;
	unsigned n = 0, go = 0;
	size_t len;
	int k;

	while (n < DG_DRAIN_BATCH &&
	       (d = dgram_recv_peek_after(sk->dg, &pos, &in, &len))) {
		dg_describe(sk, &in, len, &h[n], &m[n]);
		/* received datagrams are USTACK_DG_DATA: always a message */
		if (chan_msg(sk, &h[n], &m[n], d, len, iov[n], &v[go].msg_hdr))
			go++;
		n++;
	}
	if (!n)
		return -1;
	k = go ? sendmmsg(sk->chan, v, go, MSG_DONTWAIT | MSG_NOSIGNAL) : 0;
	if (k < 0 && errno != EAGAIN && errno != ENOBUFS)
		k = (int)go;            /* gone: dropped, not counted */
	else if (k >= 0)
		sk->t->st.dgram_in += (uint64_t)k;
	else
		k = 0;
	for (int i = 0; i < k; i++)
		dgram_recv_next(sk->dg);
	if ((unsigned)k < go) {
		sk->t->st.chan_full++;
		return 0;
	}
	return 1;
}

/**
 * dg_drain() - move what the engine queued into the channel, as far as it
 * takes it (several datagrams per system call), then the error
 * notification if one is due
 * @sk: the socket
 */
void dg_drain(struct sock *sk)
{
	struct dgram_info in;
	size_t len;
	int rc;

	while (!sk->shut_rd && (rc = dg_drain_batch(sk)) != -1) {
		if (rc == 0) {
			sock_want_write(sk, true);
			return;
		}
	}
	while (sk->shut_rd && dgram_recv_peek(sk->dg, &in, &len))
		dgram_recv_next(sk->dg);
	if (dg_notify(sk) == 0)
		sock_want_write(sk, true);
}

void dg_chan_write(struct sock *sk)
{
	dg_drain(sk);
}

/**
 * sock_dgram_send() - send one datagram message (struct ustack_dgram_hdr
 * as checked by ustack_dgram_check(), its meta block if flagged, the
 * payload), from a SENDTO request or from the channel
 * @sk: the socket
 * @h: the header
 * @body: what follows the header
 *
 * Return: bytes sent, or -errno
 */
int sock_dgram_send(struct sock *sk, const struct ustack_dgram_hdr *h,
		    const uint8_t *body)
{
	struct ustack_dgram_meta meta, *m = NULL;
	struct ip_addr addr;
	uint16_t port;
	int rc;

	if (h->flags & USTACK_DG_META) {    /* sendmsg's control messages */
		memcpy(&meta, body, sizeof(meta));
		m = &meta;
		body += sizeof(meta);
	}
	if (h->addr.family == AF_UNSPEC) {
		rc = sk->proto->sendto(sk, body, h->len, NULL, 0, m);
	} else {
		rc = sock_addr_in(sk, &h->addr, &addr, &port);
		if (rc)
			return rc;
		rc = sock_sendto_addr(sk, body, h->len, &h->addr, &addr, port,
				      m);
	}
	return rc < 0 ? rc : (int)h->len;
}

/*
 * Send what the program wrote into the channel (libustack's sends without
 * a round trip, dgram.c; a program writing without the shim), at most
 * @max messages; an error is the socket's pending error, returned by its
 * next call. Return: true at end of file (every holder closed it).
 */
static bool dg_chan_take(struct sock *sk, int max)
{
	struct mmsghdr mm[CHAN_MMSG];
	struct iovec iov[CHAN_MMSG];
	struct ustack_dgram_hdr h;
	int i, j, got, rc;

	for (i = 0; i < CHAN_MMSG; i++) {
		iov[i] = (struct iovec){ chan_buf[i], CHAN_MSG_MAX };
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	for (i = 0; i < max; i += got) {
		/* within the caller's budget, as one recv() at a time was */
		got = recvmmsg(sk->chan, mm, (unsigned)(max - i < CHAN_MMSG ?
						      max - i : CHAN_MMSG),
			       MSG_DONTWAIT, NULL);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (got <= 0) {
			sk->t->st.chan_err++;
			return true;
		}
		for (j = 0; j < got; j++) {
			size_t n = mm[j].msg_len;
			uint8_t *buf = chan_buf[j];

			/* end of file: every holder closed it (what came
			 * before it was sent above) */
			if (n == 0)
				return true;
			if (sk->dg_flags & DG_PLAIN) {  /* to the connected peer */
				memset(&h, 0, sizeof(h));
				h.kind = USTACK_DG_DATA;
				h.len = (uint32_t)n;
				sock_now(sk);
				rc = sock_dgram_send(sk, &h, buf);
			} else if (ustack_dgram_check(buf, n, &h) ||
				   h.kind != USTACK_DG_DATA) {
				sk->t->st.chan_bad_msg++;
				continue;
			} else {
				sock_now(sk);
				rc = sock_dgram_send(sk, &h, buf + sizeof(h));
			}
			if (rc < 0) {
				sk->pending_err = rc == -EAFNOSUPPORT ?
						  ENETUNREACH : -rc;
			} else {
				sk->t->st.dgram_out++;
				sk->t->st.dgram_chan++;
			}
		}
		if (got < CHAN_MMSG && got < max - i)
			break;          /* the channel is empty */
	}
	return false;
}

/**
 * dg_chan_read() - the channel is readable: datagrams a program wrote
 * into it, or end of file (every holder closed it: close the socket)
 * @sk: the socket
 */
void dg_chan_read(struct sock *sk)
{
	if (dg_chan_take(sk, CHAN_BATCH)) {
		sock_close(sk);
		return;
	}
	sock_settle(sk);
	if (sk->pending_err)
		dg_drain(sk);
}

/**
 * sock_dgram_flush() - before a SENDTO request: what the program wrote
 * into the channel before it goes first, so that its datagrams leave in
 * the order it sent them (an end of file is left to the channel's event)
 * @sk: the socket
 */
void sock_dgram_flush(struct sock *sk)
{
	/* bounded: another thread of the program may go on writing */
	dg_chan_take(sk, 16 * CHAN_BATCH);
}

/* Is anything still pending, so that the notification must stay? */
static bool dg_pending(const struct sock *sk)
{
	return sk->pending_err || sk->dg->err || dgram_errq_len(sk->dg);
}

/* The head of the error queue, into a DGERR reply. */
static void dg_errq_entry(struct sock *sk, struct ustack_dgerr_reply *r,
			  uint8_t *bytes)
{
	struct dgram_info in;
	struct dgram_ee ee;
	struct ustack_dgram_hdr h;
	const uint8_t *d;
	size_t len;

	d = dgram_errq_peek(sk->dg, &in, &ee, &len);
	if (!d) {
		r->error = EAGAIN;
		return;
	}
	dg_describe(sk, &in, len, &h, &r->meta);
	/* Linux: the ICMP message's control messages, a local error's time */
	if (ee.origin == DGRAM_EE_LOCAL)
		r->meta.cmsg &= USTACK_CM_TIMESTAMP | USTACK_CM_TIMESTAMPNS |
				USTACK_CM_TS_NEW;
	r->ee.err = ee.err;
	r->ee.origin = ee.origin;
	r->ee.type = ee.type;
	r->ee.code = ee.code;
	r->ee.info = ee.info;
	dg_addr_bytes(&ee.offender, r->ee.offender);
	sock_addr_out(sk, &ee.addr, ee.port, &r->name);
	r->full_len = (uint32_t)len;
	r->len = (uint32_t)(len < USTACK_DGERR_PAYLOAD_MAX ?
			    len : USTACK_DGERR_PAYLOAD_MAX);
	memcpy(bytes, d, r->len);
	dgram_errq_next(sk->dg);
}

/**
 * sock_dgram_dgerr() - USTACK_MSG_DGERR: what the error notification is
 * about (proto/README.md)
 * @sk: the socket
 * @req: the request
 * @reply: room for the reply and the entry's bytes
 * @reply_len: set to what is in @reply
 *
 * Return: 0, or -EINVAL (unknown op), -EOPNOTSUPP (not a datagram socket)
 */
int sock_dgram_dgerr(struct sock *sk, const struct ustack_dgerr_req *req,
		     void *reply, size_t *reply_len)
{
	struct ustack_dgerr_reply r;
	uint8_t *bytes = (uint8_t *)reply + sizeof(r);
	bool taken = false;

	if (!sk->dg)
		return -EOPNOTSUPP;
	if (req->reserved)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	switch (req->op) {
	case USTACK_DGERR_TAKE:
	case USTACK_DGERR_RECV:
		dg_getopt(sk, SOL_SOCKET, SO_ERROR, &r.error);
		taken = r.error != 0;
		break;
	case USTACK_DGERR_ERRQUEUE:
		dg_errq_entry(sk, &r, bytes);
		break;
	case USTACK_DGERR_SYNC:
		break;
	default:
		return -EINVAL;
	}
	if (req->op == USTACK_DGERR_RECV) {
		/* the receive removed the notification: a new one while
		 * errors remain queued, unless this receive took nothing
		 * (it would meet the new one at once, again and again) */
		sk->dg_flags &= ~DG_NOTIFIED;
		if (taken && dg_notify(sk) == 0)
			sock_want_write(sk, true);
	} else if (!dg_pending(sk)) {
		r.flags |= USTACK_DGERR_STALE;
		sk->dg_flags &= ~DG_NOTIFIED;
	}
	memcpy(reply, &r, sizeof(r));
	*reply_len = sizeof(r) + r.len;
	return 0;
}

/**
 * sock_dgram_event() - stack_ops.dgram_event: move datagrams, post errors
 * @t: the socket table
 * @dg: the engine socket's common part
 * @events: DGRAM_EV_* bits
 */
void sock_dgram_event(struct socktab *t, struct dgram *dg, unsigned events)
{
	struct sock *sk = dgram_user(dg);

	(void)t;
	if (!sk || sk->wev_armed)
		return;
	/* an error at once: the program that gets EMSGSIZE from a send
	 * finds its report waiting (POLLERR) when the reply comes */
	if (events & DGRAM_EV_ERROR)
		dg_drain(sk);
	/* datagrams after the events being handled (dg_kick()): those of a
	 * batch of frames go into the channel together */
	else
		sock_kick(sk);
}

/**
 * dg_kick() - sock_proto.kick: the deferred drain of sock_dgram_event()
 * @sk: the socket
 */
void dg_kick(struct sock *sk)
{
	if (!sk->wev_armed)
		dg_drain(sk);
}
