/* SPDX-License-Identifier: MIT */
/*
 * sock_udp.c - UDP sockets: the engine's UDP behind a datagram channel
 *
 * Theory of operation: what every datagram socket does (the channel, its
 * messages and ancillary data, errors, the IP options) is sock_dgram.c's;
 * here are only UDP's own calls: bind and connect with ports, the port
 * sharing options, and send.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sock_dgram.h"
#include "stack.h"
#include "udp.h"

static int su_open(struct sock *sk, void *engine)
{
	int rc = udp_open(sk->t->stack, sk->domain == AF_INET6 ? IP_V6 : IP_V4,
			  &sk->e.udp);

	(void)engine;
	if (rc)
		return rc;
	return dg_open(sk, udp_dgram(sk->e.udp));
}

static void su_close(struct sock *sk)
{
	if (sk->e.udp)
		udp_close(sk->e.udp);
	sk->e.udp = NULL;
	sk->dg = NULL;
}

static int su_bind(struct sock *sk, const struct ip_addr *addr,
		   uint16_t port)
{
	return udp_bind(sk->e.udp, addr, port);
}

static int su_connect(struct sock *sk, const struct ip_addr *addr,
		      uint16_t port, bool nonblock)
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

static int su_getname(struct sock *sk, bool peer, struct ip_addr *addr,
		      uint16_t *port)
{
	if (peer)
		return udp_getpeername(sk->e.udp, addr, port);
	udp_getsockname(sk->e.udp, addr, port);
	return 0;
}

static int su_setopt(struct sock *sk, int level, int name, int val)
{
	if (level == SOL_SOCKET && name == SO_BINDTOIFINDEX)
		return udp_setsockopt(sk->e.udp, UDP_SO_BINDTOIFINDEX, val);
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY)
		return udp_setsockopt(sk->e.udp, UDP_IP6_V6ONLY, val);
	if (level == SOL_SOCKET && name == SO_REUSEADDR)
		return udp_setsockopt(sk->e.udp, UDP_SO_REUSEADDR, val);
	if (level == SOL_SOCKET && name == SO_REUSEPORT)
		return udp_setsockopt(sk->e.udp, UDP_SO_REUSEPORT, val);
	return dg_setopt(sk, level, name, val);
}

static int su_getopt(struct sock *sk, int level, int name, int *val)
{
	if (level == SOL_SOCKET && name == SO_BINDTOIFINDEX)
		return udp_getsockopt(sk->e.udp, UDP_SO_BINDTOIFINDEX, val);
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY)
		return udp_getsockopt(sk->e.udp, UDP_IP6_V6ONLY, val);
	if (level == SOL_SOCKET && name == SO_REUSEADDR)
		return udp_getsockopt(sk->e.udp, UDP_SO_REUSEADDR, val);
	if (level == SOL_SOCKET && name == SO_REUSEPORT)
		return udp_getsockopt(sk->e.udp, UDP_SO_REUSEPORT, val);
	return dg_getopt(sk, level, name, val);
}

static int su_sendto(struct sock *sk, const void *buf, size_t len,
		     const struct ip_addr *dst, uint16_t dport,
		     const struct ustack_dgram_meta *meta)
{
	struct dgram_tx tx;
	int rc;

	if (sk->shut_wr)
		return -EPIPE;
	rc = dg_tx(meta, &tx);
	if (rc)
		return rc;
	return udp_sendmsg(sk->e.udp, buf, len, dst, dport, &tx, sock_now(sk));
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
	.shutdown = dg_shutdown,
	.ioctl = dg_ioctl,
	.sendto = su_sendto,
	.chan_read = dg_chan_read,
	.chan_write = dg_chan_write,
	.kick = dg_kick,
};
