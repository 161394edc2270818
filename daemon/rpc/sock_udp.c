/* SPDX-License-Identifier: MIT */
/*
 * sock_udp.c - UDP sockets: datagrams between SOCK_SEQPACKET channels and
 * the engine
 *
 * Theory of operation. Engine to program: when the engine queues a
 * datagram (UDP_EV_READABLE) it is written to the channel at once as one
 * message, struct ustack_dgram_hdr and the payload. When the channel is
 * full (the program does not read), the datagram stays in the engine's
 * queue, which is bounded by SO_RCVBUF and drops beyond it as the kernel
 * does, and the channel is watched for room. The daemon's end has
 * SO_SNDBUF set from SO_RCVBUF, so the kernel bounds what waits in the
 * channel the same way.
 *
 * An error for the socket (ECONNREFUSED after an ICMP port unreachable) is
 * posted as a USTACK_DG_ERROR message after the datagrams already queued:
 * the program's recv() returns it once, as Linux reports sk_err once.
 *
 * Program to program's peer: the shim sends with USTACK_MSG_SENDTO on the
 * control connection, so errors (EACCES, EMSGSIZE, ENOBUFS, ...) come back
 * synchronously as from the kernel. Datagrams written straight into the
 * channel (a program writing without the shim) are sent too; their errors
 * are posted like ICMP errors.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "sock_impl.h"
#include "stack.h"
#include "udp.h"

#define CHAN_BATCH 64

static uint8_t chan_buf[sizeof(struct ustack_dgram_hdr) + 65536];

static void udp_chan_sndbuf(struct sock *sk)
{
	int v = 0;

	udp_getsockopt(sk->e.udp, UDP_SO_RCVBUF, &v);
	v /= 2;
	setsockopt(sk->chan, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static int su_open(struct sock *sk, void *engine)
{
	int rc = udp_open(sk->t->stack, &sk->e.udp);

	(void)engine;
	if (rc)
		return rc;
	udp_set_user(sk->e.udp, sk);
	udp_chan_sndbuf(sk);
	return sock_charge(sk, 2 * UDP_RCVBUF_DEFAULT) ? -ENOBUFS : 0;
}

static void su_close(struct sock *sk)
{
	if (sk->e.udp)
		udp_close(sk->e.udp);
	sk->e.udp = NULL;
}

static int su_bind(struct sock *sk, uint32_t addr, uint16_t port)
{
	return udp_bind(sk->e.udp, addr, port);
}

static int su_connect(struct sock *sk, uint32_t addr, uint16_t port,
		      bool nonblock)
{
	(void)nonblock;
	return udp_connect(sk->e.udp, addr, port);
}

static int su_disconnect(struct sock *sk)
{
	return udp_disconnect(sk->e.udp);
}

static int su_listen(struct sock *sk, int backlog)
{
	(void)sk;
	(void)backlog;
	return -EOPNOTSUPP;
}

static int su_getname(struct sock *sk, bool peer, uint32_t *addr,
		      uint16_t *port)
{
	if (peer)
		return udp_getpeername(sk->e.udp, addr, port);
	udp_getsockname(sk->e.udp, addr, port);
	return 0;
}

static int su_opt(int level, int name)
{
	if (level != SOL_SOCKET)
		return -1;
	switch (name) {
	case SO_RCVBUF: return UDP_SO_RCVBUF;
	case SO_SNDBUF: return UDP_SO_SNDBUF;
	case SO_RCVBUFFORCE: return UDP_SO_RCVBUFFORCE;
	case SO_SNDBUFFORCE: return UDP_SO_SNDBUFFORCE;
	case SO_BROADCAST: return UDP_SO_BROADCAST;
	case SO_REUSEADDR: return UDP_SO_REUSEADDR;
	case SO_REUSEPORT: return UDP_SO_REUSEPORT;
	}
	return -1;
}

/* SO_RCVBUF, SO_SNDBUF (and FORCE): charged to the quota before set */
static int su_setbuf(struct sock *sk, enum udp_sockopt o, int val)
{
	bool snd = o == UDP_SO_SNDBUF || o == UDP_SO_SNDBUFFORCE;
	uint32_t v = stack_sockbuf_size(sk->t->stack, val, snd,
					o == UDP_SO_RCVBUFFORCE ||
					o == UDP_SO_SNDBUFFORCE);
	int other = 0, rc;

	udp_getsockopt(sk->e.udp, snd ? UDP_SO_RCVBUF : UDP_SO_SNDBUF, &other);
	rc = sock_charge(sk, (size_t)v + (size_t)other);
	if (rc)
		return rc;
	udp_setsockopt(sk->e.udp, o, val);
	udp_chan_sndbuf(sk);
	return 0;
}

static int su_setopt(struct sock *sk, int level, int name, int val)
{
	int o = su_opt(level, name);

	if (o < 0)
		return -ENOPROTOOPT;
	if (o == UDP_SO_RCVBUF || o == UDP_SO_SNDBUF ||
	    o == UDP_SO_RCVBUFFORCE || o == UDP_SO_SNDBUFFORCE)
		return su_setbuf(sk, (enum udp_sockopt)o, val);
	return udp_setsockopt(sk->e.udp, (enum udp_sockopt)o, val);
}

static int su_getopt(struct sock *sk, int level, int name, int *val)
{
	int o = su_opt(level, name);

	if (level == SOL_SOCKET && name == SO_ERROR) {
		*val = sk->pending_err ? sk->pending_err
				       : -udp_sock_error(sk->e.udp);
		sk->pending_err = 0;
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_ACCEPTCONN) {
		*val = 0;
		return 0;
	}
	if (o < 0)
		return -ENOPROTOOPT;
	return udp_getsockopt(sk->e.udp, (enum udp_sockopt)o, val);
}

static int su_shutdown(struct sock *sk, int how)
{
	uint32_t a;
	uint16_t p;
	int rc = udp_getpeername(sk->e.udp, &a, &p) ? -ENOTCONN : 0;

	/* Linux marks the socket shut even when it answers ENOTCONN */
	if (how != SHUT_WR) {
		sk->shut_rd = true;
		shutdown(sk->chan, SHUT_WR);
	}
	if (how != SHUT_RD)
		sk->shut_wr = true;
	return rc;
}

static int su_ioctl(struct sock *sk, unsigned long req, int *val)
{
	struct udp_meta m;

	switch (req) {
	case SIOCOUTQ:
		*val = 0;            /* sends are synchronous: nothing waits */
		return 0;
	case SIOCINQ:
		*val = udp_recv_peek(sk->e.udp, &m) ? (int)m.len : 0;
		return 0;
	}
	return -ENOTTY;
}

static int su_sendto(struct sock *sk, const void *buf, size_t len,
		     const uint32_t *dst, uint16_t dport)
{
	if (sk->shut_wr)
		return -EPIPE;
	return udp_sendto(sk->e.udp, buf, len, dst, dport, sock_now(sk));
}

/* Write one message to the channel. Return: 1 sent, 0 full, -1 gone */
static int chan_put(struct sock *sk, const struct ustack_dgram_hdr *h,
		    const void *data, size_t len)
{
	struct iovec iov[2] = { { (void *)h, sizeof(*h) },
				{ (void *)data, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (sendmsg(sk->chan, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 1;
	if (errno == EAGAIN || errno == ENOBUFS) {
		sk->t->st.chan_full++;
		return 0;
	}
	return -1;
}

/* Move what the engine queued into the channel, as far as it takes it. */
static void su_drain(struct sock *sk)
{
	struct ustack_dgram_hdr h;
	struct udp_meta m;
	const uint8_t *d;
	int rc;

	while (!sk->shut_rd && (d = udp_recv_peek(sk->e.udp, &m))) {
		uint32_t src = htonl(m.src);

		memset(&h, 0, sizeof(h));
		h.kind = USTACK_DG_DATA;
		h.len = m.len;
		h.addr.family = AF_INET;
		h.addr.port = m.sport;
		memcpy(h.addr.addr, &src, 4);
		rc = chan_put(sk, &h, d, m.len);
		if (rc == 0) {
			sock_want_write(sk, true);
			return;
		}
		if (rc > 0)
			sk->t->st.dgram_in++;
		udp_recv_next(sk->e.udp);
	}
	while (sk->shut_rd && udp_recv_peek(sk->e.udp, &m))
		udp_recv_next(sk->e.udp);
	if (sk->pending_err) {
		memset(&h, 0, sizeof(h));
		h.kind = USTACK_DG_ERROR;
		h.error = sk->pending_err;
		rc = chan_put(sk, &h, NULL, 0);
		if (rc == 0) {
			sock_want_write(sk, true);
			return;
		}
		sk->pending_err = 0;
	}
}

static void su_chan_write(struct sock *sk)
{
	su_drain(sk);
}

static void su_chan_read(struct sock *sk)
{
	struct ustack_dgram_hdr h;
	uint32_t addr;
	uint16_t port;
	int i, rc;

	for (i = 0; i < CHAN_BATCH; i++) {
		ssize_t n = recv(sk->chan, chan_buf, sizeof(chan_buf),
				 MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			if (n < 0)
				sk->t->st.chan_err++;
			sock_close(sk);
			return;
		}
		if (ustack_dgram_check(chan_buf, (size_t)n, &h) ||
		    h.kind != USTACK_DG_DATA) {
			sk->t->st.chan_bad_msg++;
			continue;
		}
		sock_now(sk);
		if (h.addr.family == AF_UNSPEC) {
			rc = su_sendto(sk, chan_buf + sizeof(h), h.len, NULL, 0);
		} else if (h.addr.family == AF_INET) {
			memcpy(&addr, h.addr.addr, 4);
			addr = ntohl(addr);
			port = h.addr.port;
			rc = su_sendto(sk, chan_buf + sizeof(h), h.len, &addr,
				       port);
		} else {
			rc = -ENETUNREACH;
		}
		if (rc < 0)
			sk->pending_err = -rc;
		else
			sk->t->st.dgram_out++;
	}
	sock_settle(sk);
	if (sk->pending_err)
		su_drain(sk);
}

const struct sock_proto sock_udp_proto = {
	.chan_type = SOCK_SEQPACKET,
	.open = su_open,
	.close = su_close,
	.bind = su_bind,
	.connect = su_connect,
	.disconnect = su_disconnect,
	.listen = su_listen,
	.getname = su_getname,
	.setopt = su_setopt,
	.getopt = su_getopt,
	.shutdown = su_shutdown,
	.ioctl = su_ioctl,
	.sendto = su_sendto,
	.chan_read = su_chan_read,
	.chan_write = su_chan_write,
};

/**
 * sock_udp_event() - stack_ops.udp_event: move datagrams, post errors
 * @t: the socket table
 * @us: the engine's socket
 * @events: UDP_EV_* bits
 */
void sock_udp_event(struct socktab *t, struct udp_sock *us, unsigned events)
{
	struct sock *sk = udp_user(us);

	(void)t;
	if (!sk)
		return;
	if (events & UDP_EV_ERROR) {
		int e = -udp_sock_error(us);

		if (e)
			sk->pending_err = e;
	}
	if (!sk->wev_armed)
		su_drain(sk);
}
