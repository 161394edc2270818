/* SPDX-License-Identifier: MIT */
/*
 * sock_mcast.c - the IPv4 multicast options of datagram sockets
 *
 * Theory of operation. The options that take a structure rather than an
 * int are read here, with Linux's checks and errors (do_ip_setsockopt(),
 * ip_mc_join_group(), ip_mc_source()), and handed to the engine's socket
 * (mcast.c), which keeps the memberships, counts them in the link's
 * groups and reports them with IGMP: IP_ADD_MEMBERSHIP and
 * IP_DROP_MEMBERSHIP (an ip_mreq or an ip_mreqn), IP_ADD_SOURCE_MEMBERSHIP
 * and IP_DROP_SOURCE_MEMBERSHIP (ip_mreq_source), MCAST_JOIN_GROUP,
 * MCAST_LEAVE_GROUP (group_req), MCAST_JOIN_SOURCE_GROUP,
 * MCAST_LEAVE_SOURCE_GROUP (group_source_req), and IP_MULTICAST_IF (an
 * address, an ip_mreq or an ip_mreqn). The interface a membership names
 * (ip_mreqn's index, an address of ours, or none: the route to the group)
 * is ustack's link; the loopback and other interfaces are ENODEV. The
 * groups are left when the socket closes (dgram_fini()).
 *
 * Interface indexes here are the engine's: libustack translates the
 * program's before they come.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "dgram.h"
#include "mcast.h"
#include "sock_impl.h"
#include "stack.h"

/**
 * sock_mcast_opt() - is @name one of the options handled here?
 * @name: an IPPROTO_IP option
 *
 * Return: true for the membership options and IP_MULTICAST_IF
 */
bool sock_mcast_opt(int name)
{
	switch (name) {
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
	case IP_ADD_SOURCE_MEMBERSHIP:
	case IP_DROP_SOURCE_MEMBERSHIP:
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case IP_MULTICAST_IF:
		return true;
	}
	return false;
}

static int mc_find_dev(struct sock *sk, unsigned ifindex, uint32_t addr)
{
	return mcast_find_dev(sk->t->stack, ifindex, addr);
}

/* IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP: ip_mreq or ip_mreqn */
static int mc_mreq(struct sock *sk, const struct ustack_sockopt *o)
{
	struct ip_mreqn mr = { 0 };
	struct ip_addr group;
	int dev;

	if (o->len < sizeof(struct ip_mreq))
		return -EINVAL;
	memcpy(&mr, o->val, o->len >= sizeof(mr) ? sizeof(mr) :
	       sizeof(struct ip_mreq));
	group = ip4(ntohl(mr.imr_multiaddr.s_addr));
	if (o->name == IP_ADD_MEMBERSHIP && !ip_addr_is_multicast(&group))
		return -EINVAL;
	dev = mc_find_dev(sk, (unsigned)mr.imr_ifindex,
			  ntohl(mr.imr_address.s_addr));
	if (dev < 0)
		return dev;
	if (o->name == IP_ADD_MEMBERSHIP)
		return mcast_join(sk->dg, &group, (unsigned)dev, sock_now(sk));
	return mcast_leave(sk->dg, &group, (unsigned)dev, sock_now(sk));
}

/* IP_ADD_SOURCE_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP: ip_mreq_source */
static int mc_mreq_source(struct sock *sk, const struct ustack_sockopt *o)
{
	struct ip_mreq_source mr;
	struct ip_addr group, src;
	int dev;

	if (o->len != sizeof(mr))
		return -EINVAL;
	memcpy(&mr, o->val, sizeof(mr));
	group = ip4(ntohl(mr.imr_multiaddr.s_addr));
	src = ip4(ntohl(mr.imr_sourceaddr.s_addr));
	if (!ip_addr_is_multicast(&group))
		return -EINVAL;
	dev = mc_find_dev(sk, 0, ntohl(mr.imr_interface.s_addr));
	if (dev < 0)
		return dev;
	return mcast_source(sk->dg, &group, (unsigned)dev, &src,
			    o->name == IP_ADD_SOURCE_MEMBERSHIP, sock_now(sk));
}

/* An AF_INET sockaddr_storage's address; -EINVAL for another family */
static int mc_sockaddr(const struct sockaddr_storage *ss, struct ip_addr *a)
{
	struct sockaddr_in sin;

	if (ss->ss_family != AF_INET)
		return -EINVAL;
	memcpy(&sin, ss, sizeof(sin));
	*a = ip4(ntohl(sin.sin_addr.s_addr));
	return 0;
}

/* MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP (group_req) and their source
 * forms (group_source_req), as do_mcast_group_source() */
static int mc_group_req(struct sock *sk, const struct ustack_sockopt *o)
{
	bool src_form = o->name == MCAST_JOIN_SOURCE_GROUP ||
			o->name == MCAST_LEAVE_SOURCE_GROUP;
	struct group_source_req gsr;
	struct group_req gr;
	struct ip_addr group, src;
	int dev, rc;

	if (!src_form) {
		if (o->len < sizeof(gr))
			return -EINVAL;
		memcpy(&gr, o->val, sizeof(gr));
		rc = mc_sockaddr(&gr.gr_group, &group);
		if (rc)
			return rc;
		if (o->name == MCAST_JOIN_GROUP &&
		    !ip_addr_is_multicast(&group))
			return -EINVAL;
		dev = mc_find_dev(sk, gr.gr_interface, 0);
		if (dev < 0)
			return dev;
		if (o->name == MCAST_JOIN_GROUP)
			return mcast_join(sk->dg, &group, (unsigned)dev,
					  sock_now(sk));
		return mcast_leave(sk->dg, &group, (unsigned)dev, sock_now(sk));
	}
	/* libustack checked the full length and sends what the request
	 * holds: up to the source address at least */
	if (o->len < offsetof(struct group_source_req, gsr_source) +
		     sizeof(struct sockaddr_in))
		return -EINVAL;
	memset(&gsr, 0, sizeof(gsr));
	memcpy(&gsr, o->val, o->len < sizeof(gsr) ? o->len : sizeof(gsr));
	if (mc_sockaddr(&gsr.gsr_group, &group) ||
	    mc_sockaddr(&gsr.gsr_source, &src))
		return -EINVAL;
	dev = mc_find_dev(sk, gsr.gsr_interface, 0);
	if (dev < 0)
		return dev;
	return mcast_source(sk->dg, &group, (unsigned)dev, &src,
			    o->name == MCAST_JOIN_SOURCE_GROUP, sock_now(sk));
}

/* IP_MULTICAST_IF: an address, an ip_mreq (its interface address) or an
 * ip_mreqn; INADDR_ANY and no index: the route's choice again */
static int mc_set_if(struct sock *sk, const struct ustack_sockopt *o)
{
	struct ip_mreqn mr = { 0 };
	uint32_t addr;

	if (sk->type == SOCK_STREAM || o->len < sizeof(struct in_addr))
		return -EINVAL;
	if (o->len >= sizeof(mr))
		memcpy(&mr, o->val, sizeof(mr));
	else if (o->len >= sizeof(struct ip_mreq))
		memcpy(&mr.imr_address, o->val + sizeof(struct in_addr),
		       sizeof(struct in_addr));
	else
		memcpy(&mr.imr_address, o->val, sizeof(struct in_addr));
	addr = ntohl(mr.imr_address.s_addr);
	if (!mr.imr_ifindex && !addr) {
		mcast_set_if(sk->dg, 0, 0);
		return 0;
	}
	if (mc_find_dev(sk, (unsigned)mr.imr_ifindex, addr) < 0)
		return -EADDRNOTAVAIL;
	mcast_set_if(sk->dg, STACK_IF_LINK, addr);
	return 0;
}

/**
 * sock_mcast_setopt() - setsockopt(IPPROTO_IP) of a multicast option
 * @sk: the socket
 * @o: the request; sock_mcast_opt(@o->name)
 *
 * Return: 0, or a negative errno as Linux gives it: -EPROTO (a stream
 * socket's membership), -EINVAL, -ENODEV, -EADDRINUSE, -EADDRNOTAVAIL,
 * -ENOBUFS
 */
int sock_mcast_setopt(struct sock *sk, const struct ustack_sockopt *o)
{
	if (o->name == IP_MULTICAST_IF)
		return sk->dg ? mc_set_if(sk, o) : -EINVAL;
	if (!sk->dg)
		return -EPROTO;
	switch (o->name) {
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
		return mc_mreq(sk, o);
	case IP_ADD_SOURCE_MEMBERSHIP:
	case IP_DROP_SOURCE_MEMBERSHIP:
		return mc_mreq_source(sk, o);
	default:
		return mc_group_req(sk, o);
	}
}

/**
 * sock_mcast_getopt() - getsockopt(IP_MULTICAST_IF)
 * @sk: the socket
 * @o: the request
 * @out: the reply: the address set (an in_addr, cut to the buffer)
 *
 * Return: 0, or -ENOPROTOOPT (another option)
 */
int sock_mcast_getopt(struct sock *sk, const struct ustack_sockopt *o,
		      struct ustack_sockopt *out)
{
	struct in_addr a = { htonl(sk->dg ? mcast_if_addr(sk->dg) : 0) };

	if (o->name != IP_MULTICAST_IF)
		return -ENOPROTOOPT;
	*out = *o;
	out->len = o->len < sizeof(a) ? o->len : sizeof(a);
	memcpy(out->val, &a, out->len);
	return 0;
}
