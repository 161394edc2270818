/* SPDX-License-Identifier: MIT */
/*
 * sock_icmp.c - ICMP sockets: ping sockets (SOCK_DGRAM, IPPROTO_ICMP) and
 * raw ICMP sockets (SOCK_RAW, IPPROTO_ICMP) behind datagram channels
 *
 * Theory of operation: as UDP (sock_udp.c), with what sock_dgram.c does
 * for every datagram socket; here are what the engine's ping.c and raw.c
 * do differently. A ping socket's "port" is its echo identifier (bind
 * chooses it, any uid may: sock.c skips the check of ports below 1024);
 * a raw socket has none, shows its protocol as its port (getsockname, as
 * Linux), and has ICMP_FILTER. Who may open a raw socket is sock.c's to
 * check (uid 0, as CAP_NET_RAW). The datagrams a program receives: a ping
 * socket's are ICMP messages, a raw socket's whole IP datagrams; the
 * source's port is 0.
 */
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ping.h"
#include "raw.h"
#include "sock_dgram.h"
#include "stack.h"

static int sp_open(struct sock *sk, void *engine)
{
	int rc = ping_open(sk->t->stack, sk->domain == AF_INET6 ? IP_V6 : IP_V4,
			   &sk->e.ping);

	(void)engine;
	if (rc)
		return rc;
	sk->dg_flags |= DG_REUSEADDR;    /* as Linux's INET_PROTOSW_REUSE */
	return dg_open(sk, ping_dgram(sk->e.ping));
}

static void sp_close(struct sock *sk)
{
	if (sk->e.ping)
		ping_close(sk->e.ping);
	sk->e.ping = NULL;
	sk->dg = NULL;
}

static int sp_bind(struct sock *sk, const struct ip_addr *addr,
		   uint16_t port)
{
	return ping_bind(sk->e.ping, addr, port);
}

static int sp_connect(struct sock *sk, const struct ip_addr *addr,
		      uint16_t port, bool nonblock)
{
	(void)nonblock;
	return ping_connect(sk->e.ping, addr, port);
}

static int sp_disconnect(struct sock *sk)
{
	return ping_disconnect(sk->e.ping);
}

static int si_listen(struct sock *sk, int backlog)
{
	(void)sk;
	(void)backlog;
	return -EOPNOTSUPP;
}

static int sp_getname(struct sock *sk, bool peer, struct ip_addr *addr,
		      uint16_t *port)
{
	if (peer)
		return ping_getpeername(sk->e.ping, addr, port);
	ping_getsockname(sk->e.ping, addr, port);
	return 0;
}

/* SO_REUSEADDR the engine uses (ping), SO_REUSEPORT only kept */
static int si_reuse(struct sock *sk, int name, int val, bool set)
{
	unsigned bit = name == SO_REUSEADDR ? DG_REUSEADDR : DG_REUSEPORT;

	if (!set)
		return !!(sk->dg_flags & bit);
	if (val)
		sk->dg_flags |= bit;
	else
		sk->dg_flags &= ~bit;
	if (name == SO_REUSEADDR && sk->protocol == IPPROTO_ICMP &&
	    sk->type == SOCK_DGRAM)
		ping_set_reuseaddr(sk->e.ping, val != 0);
	return 0;
}

static int sp_setopt(struct sock *sk, int level, int name, int val)
{
	if (level == SOL_SOCKET && name == SO_BINDTOIFINDEX &&
	    sk->type == SOCK_DGRAM) {
		int rc = ping_set_bound_if(sk->e.ping, (unsigned)val);

		if (rc == 0)
			sk->bound_if = (uint8_t)val;
		return rc;
	}
	if (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_REUSEPORT))
		return si_reuse(sk, name, val, true);
	return dg_setopt(sk, level, name, val);
}

static int sp_getopt(struct sock *sk, int level, int name, int *val)
{
	if (level == SOL_SOCKET && name == SO_BINDTOIFINDEX &&
	    sk->type == SOCK_DGRAM) {
		*val = sk->bound_if;
		return 0;
	}
	if (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_REUSEPORT)) {
		*val = si_reuse(sk, name, 0, false);
		return 0;
	}
	return dg_getopt(sk, level, name, val);
}

static int sp_sendto(struct sock *sk, const void *buf, size_t len,
		     const struct ip_addr *dst, uint16_t dport,
		     const struct ustack_dgram_meta *meta)
{
	struct dgram_tx tx;
	int rc;

	(void)dport;                 /* an echo has no port */
	if (sk->shut_wr)
		return -EPIPE;
	rc = dg_tx(meta, &tx);
	if (rc)
		return rc;
	return ping_sendmsg(sk->e.ping, buf, len, dst, &tx, sock_now(sk));
}

const struct sock_proto sock_ping_proto = {
	.chan_type = SOCK_SEQPACKET,
	.open = sp_open,
	.close = sp_close,
	.bind = sp_bind,
	.connect = sp_connect,
	.disconnect = sp_disconnect,
	.listen = si_listen,
	.getname = sp_getname,
	.setopt = sp_setopt,
	.getopt = sp_getopt,
	.shutdown = dg_shutdown,
	.ioctl = dg_ioctl,
	.sendto = sp_sendto,
	.chan_read = dg_chan_read,
	.chan_write = dg_chan_write,
	.kick = dg_kick,
};

static int sr_open(struct sock *sk, void *engine)
{
	int rc = raw_open(sk->t->stack, sk->domain == AF_INET6 ? IP_V6 : IP_V4,
			  (uint8_t)sk->protocol, &sk->e.raw);

	(void)engine;
	if (rc)
		return rc;
	sk->dg_flags |= DG_REUSEADDR;
	return dg_open(sk, raw_dgram(sk->e.raw));
}

static void sr_close(struct sock *sk)
{
	if (sk->e.raw)
		raw_close(sk->e.raw);
	sk->e.raw = NULL;
	sk->dg = NULL;
}

static int sr_bind(struct sock *sk, const struct ip_addr *addr,
		   uint16_t port)
{
	(void)port;
	return raw_bind(sk->e.raw, addr);
}

static int sr_connect(struct sock *sk, const struct ip_addr *addr,
		      uint16_t port, bool nonblock)
{
	(void)nonblock;
	return raw_connect(sk->e.raw, addr, port);
}

static int sr_disconnect(struct sock *sk)
{
	return raw_disconnect(sk->e.raw);
}

static int sr_getname(struct sock *sk, bool peer, struct ip_addr *addr,
		      uint16_t *port)
{
	if (peer)
		return raw_getpeername(sk->e.raw, addr, port);
	raw_getsockname(sk->e.raw, addr, port);
	return 0;
}

static int sr_setopt(struct sock *sk, int level, int name, int val)
{
	if (level == SOL_RAW && name == ICMP_FILTER)
		return raw_set_icmp_filter(sk->e.raw, (uint32_t)val);
	if (level == SOL_RAW)
		return -ENOPROTOOPT;
	/* IP_HDRINCL is not supported: refused rather than ignored */
	if (level == IPPROTO_IP && name == IP_HDRINCL)
		return val ? -ENOPROTOOPT : 0;
	return sp_setopt(sk, level, name, val);
}

static int sr_getopt(struct sock *sk, int level, int name, int *val)
{
	uint32_t mask;
	int rc;

	if (level == SOL_RAW && name == ICMP_FILTER) {
		rc = raw_get_icmp_filter(sk->e.raw, &mask);
		*val = (int)mask;
		return rc;
	}
	if (level == SOL_RAW)
		return -ENOPROTOOPT;
	if (level == IPPROTO_IP && name == IP_HDRINCL) {
		*val = 0;
		return 0;
	}
	return sp_getopt(sk, level, name, val);
}

static int sr_sendto(struct sock *sk, const void *buf, size_t len,
		     const struct ip_addr *dst, uint16_t dport,
		     const struct ustack_dgram_meta *meta)
{
	struct dgram_tx tx;
	int rc;

	(void)dport;
	if (sk->shut_wr)
		return -EPIPE;
	rc = dg_tx(meta, &tx);
	if (rc)
		return rc;
	return raw_sendmsg(sk->e.raw, buf, len, dst, &tx, sock_now(sk));
}

const struct sock_proto sock_raw_proto = {
	.chan_type = SOCK_SEQPACKET,
	.open = sr_open,
	.close = sr_close,
	.bind = sr_bind,
	.connect = sr_connect,
	.disconnect = sr_disconnect,
	.listen = si_listen,
	.getname = sr_getname,
	.setopt = sr_setopt,
	.getopt = sr_getopt,
	.shutdown = dg_shutdown,
	.ioctl = dg_ioctl,
	.sendto = sr_sendto,
	.chan_read = dg_chan_read,
	.chan_write = dg_chan_write,
	.kick = dg_kick,
};
