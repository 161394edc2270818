/* SPDX-License-Identifier: MIT */
/*
 * sock_inet6.c - the IPPROTO_IPV6 options of AF_INET6 sockets
 *
 * Theory of operation. An AF_INET6 socket's IPPROTO_IPV6 options go first
 * to its protocol (the engine keeps what changes what it sends: V6ONLY,
 * the hop limits, the traffic class, the interface of a link-local
 * address; sock_dgram.c the control messages a datagram comes with).
 * What the protocol does not take is kept here with Linux's checks and
 * defaults (do_ipv6_setsockopt(), do_ipv6_getsockopt()); a TCP socket's
 * IPV6_UNICAST_HOPS and IPV6_TCLASS (and IP_TOS, IP_TTL for its IPv4
 * traffic) are kept here for reading and go to the engine, which puts
 * them in its segments' headers. Multicast membership (IPV6_JOIN_GROUP,
 * IPV6_LEAVE_GROUP) is the engine socket's, as IPv4's (mcast.c: one
 * mechanism for both families, over mld_join()/mld_leave() here, which
 * count their users and report with MLD); a socket's groups are left
 * when it closes. A group's datagrams go to every socket bound to their
 * port, member or not, as Linux's inet6_mc_check() does with
 * IPV6_MULTICAST_ALL on (its default; ustack has no way to turn it off).
 *
 * A raw ICMPv6 socket has ICMP6_FILTER and an IPV6_CHECKSUM it cannot
 * change (RFC 3542 3.1: the stack computes the checksum at offset 2).
 *
 * Interface numbers (IPV6_MULTICAST_IF, ipv6mr_interface) are the
 * engine's here: libustack translates the program's (if_nametoindex() of
 * ustack's link in its namespace) before they come.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addrconf.h"
#include "dgram.h"
#include "mcast.h"
#include "raw.h"
#include "sock_impl.h"
#include "stack.h"

#ifndef ICMP6_FILTER
#define ICMP6_FILTER 1          /* <netinet/icmp6.h>, whose structs the
				 * engine's icmp6.h defines its own way */
#endif
#define SOCK_HOP_LIMIT 64       /* net.ipv6.conf.default.hop_limit */

/* One of the engine's interfaces (STACK_IF_LINK, STACK_IF_LOOPBACK)? */
static bool sock_if_exists(unsigned ifindex)
{
	return ifindex == STACK_IF_LINK || ifindex == STACK_IF_LOOPBACK;
}

/* The options kept here, and their index in sock_opts.ip6_kept */
static int kept6_index(int name)
{
	switch (name) {
	case IPV6_UNICAST_HOPS: return KEPT6_UNICAST_HOPS;
	case IPV6_TCLASS: return KEPT6_TCLASS;
	case IPV6_MULTICAST_HOPS: return KEPT6_MULTICAST_HOPS;
	case IPV6_MULTICAST_LOOP: return KEPT6_MULTICAST_LOOP;
	case IPV6_MULTICAST_IF: return KEPT6_MULTICAST_IF;
	case IPV6_RECVERR: return KEPT6_RECVERR;
	case IPV6_RECVPKTINFO: return KEPT6_RECVPKTINFO;
	case IPV6_RECVHOPLIMIT: return KEPT6_RECVHOPLIMIT;
	case IPV6_RECVTCLASS: return KEPT6_RECVTCLASS;
	case IPV6_MTU_DISCOVER: return KEPT6_MTU_DISCOVER;
	case IPV6_V6ONLY: return KEPT6_V6ONLY;
	}
	return -1;
}

/* The range do_ipv6_setsockopt() takes for a kept option */
static int kept6_check(struct sock *sk, int name, int val)
{
	switch (name) {
	case IPV6_MULTICAST_HOPS:
		/* no group to send to from a stream */
		if (sk->type == SOCK_STREAM)
			return -ENOPROTOOPT;
		return val < -1 || val > 255 ? -EINVAL : 0;
	case IPV6_UNICAST_HOPS:
	case IPV6_TCLASS:
		return val < -1 || val > 255 ? -EINVAL : 0;
	case IPV6_MULTICAST_LOOP:
		return val < 0 || val > 1 ? -EINVAL : 0;
	case IPV6_MTU_DISCOVER:
		return val < 0 || val > 5 ? -EINVAL : 0;
	case IPV6_MULTICAST_IF:
		/* the engine's interfaces; a stream has no group to send to */
		if (sk->type == SOCK_STREAM)
			return -ENOPROTOOPT;
		if (val && !sock_if_exists((unsigned)val))
			return -ENODEV;
		return 0;
	case IPV6_V6ONLY:
		/* a raw socket is bound to its protocol from the start */
		return sk->type == SOCK_RAW ? -EINVAL : 0;
	}
	return 0;
}

static int kept6_store(int name, int val)
{
	switch (name) {
	case IPV6_MULTICAST_HOPS:
		return val == -1 ? 1 : val;
	case IPV6_TCLASS:
		return val == -1 ? 0 : val;
	case IPV6_UNICAST_HOPS:
	case IPV6_MULTICAST_IF:
	case IPV6_MTU_DISCOVER:
		return val;
	}
	return val != 0;
}

/* ipv6_sock_mc_join() and ipv6_sock_mc_drop(), through the engine's
 * socket (mcast.c), as the IPv4 memberships (sock_mcast.c) */
static int group_change(struct sock *sk, const struct ustack_sockopt *o)
{
	struct ipv6_mreq mr;
	struct ip_addr g;
	unsigned ifindex;

	if (o->len < sizeof(mr))
		return -EINVAL;
	if (sk->type == SOCK_STREAM || !sk->dg)
		return -EPROTO;
	memcpy(&mr, o->val, sizeof(mr));
	if (mr.ipv6mr_multiaddr.s6_addr[0] != 0xff)
		return -EINVAL;
	if (mr.ipv6mr_interface &&
	    !sock_if_exists(mr.ipv6mr_interface))
		return -ENODEV;
	/* 0: the route to the group, which is the link */
	ifindex = mr.ipv6mr_interface ? mr.ipv6mr_interface : STACK_IF_LINK;
	g = ip6(mr.ipv6mr_multiaddr.s6_addr);
	if (o->name == IPV6_LEAVE_GROUP)
		return mcast_leave(sk->dg, &g, ifindex, sock_now(sk));
	return mcast_join(sk->dg, &g, ifindex, sock_now(sk));
}

/**
 * sock_icmp6_filter() - ICMP6_FILTER (RFC 3542 3.2) of a raw ICMPv6 socket
 * @sk: the socket
 * @o: the request (level IPPROTO_ICMPV6)
 * @out: NULL to set; else the reply, filled in
 *
 * Return: 0, or -EINVAL (short), -ENOPROTOOPT (another option, or not a
 * raw ICMPv6 socket: Linux's rawv6 answers those only)
 */
int sock_icmp6_filter(struct sock *sk, const struct ustack_sockopt *o,
		      struct ustack_sockopt *out)
{
	uint32_t f[8];
	int rc;

	if (o->name != ICMP6_FILTER || sk->type != SOCK_RAW ||
	    sk->protocol != IPPROTO_ICMPV6)
		return -ENOPROTOOPT;
	if (!out) {
		/* rawv6_seticmpfilter(): at most the 32 bytes are taken */
		memset(f, 0, sizeof(f));
		memcpy(f, o->val, o->len < sizeof(f) ? o->len : sizeof(f));
		return raw_set_icmp6_filter(sk->e.raw, f);
	}
	rc = raw_get_icmp6_filter(sk->e.raw, f);
	if (rc)
		return rc;
	*out = *o;
	out->len = o->len < sizeof(f) ? o->len : sizeof(f);
	memcpy(out->val, f, out->len);
	return 0;
}

/**
 * sock_inet6_setopt() - setsockopt(IPPROTO_IPV6) of an AF_INET6 socket
 * @sk: the socket
 * @o: the request
 *
 * Return: 0, or a negative errno as do_ipv6_setsockopt() gives it
 */
int sock_inet6_setopt(struct sock *sk, const struct ustack_sockopt *o)
{
	int val, k, rc;

	if (o->name == IPV6_JOIN_GROUP || o->name == IPV6_LEAVE_GROUP)
		return group_change(sk, o);
	/* RFC 3542 3.1: an ICMPv6 socket's checksum is the stack's, always */
	if (o->name == IPV6_CHECKSUM)
		return sk->type == SOCK_RAW ? -EINVAL : -ENOPROTOOPT;
	k = kept6_index(o->name);
	if (k < 0)
		return -ENOPROTOOPT;
	if (o->len < sizeof(int))
		return -EINVAL;
	memcpy(&val, o->val, sizeof(int));
	rc = kept6_check(sk, o->name, val);
	if (rc)
		return rc;
	rc = sk->proto->setopt(sk, IPPROTO_IPV6, o->name, val);
	if (rc && rc != -ENOPROTOOPT)
		return rc;
	return sock_kept6_set(sk, k, kept6_store(o->name, val));
}

/**
 * sock_inet6_getopt() - getsockopt(IPPROTO_IPV6) of an AF_INET6 socket
 * @sk: the socket
 * @name: the option
 * @val: set to its value
 *
 * Return: 0, or -ENOPROTOOPT
 */
int sock_inet6_getopt(struct sock *sk, int name, int *val)
{
	int k = kept6_index(name), rc;

	/* the offset of the checksum the stack computes (rawv6_getsockopt) */
	if (name == IPV6_CHECKSUM && sk->type == SOCK_RAW) {
		*val = 2;
		return 0;
	}
	if (k < 0)
		return -ENOPROTOOPT;
	rc = sk->proto->getopt(sk, IPPROTO_IPV6, name, val);
	if (rc != -ENOPROTOOPT)
		return rc;
	*val = sock_kept6(sk, k);
	/* -1: the route's hop limit. A TCP socket's: net.ipv6's default
	 * (the engine's segments take an RA's CurHopLimit, which this
	 * answer does not show) */
	if (name == IPV6_UNICAST_HOPS && *val < 0)
		*val = SOCK_HOP_LIMIT;
	return 0;
}
