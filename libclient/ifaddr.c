/* SPDX-License-Identifier: MIT */
/*
 * ifaddr.c - the addresses a program sees are ustack's
 *
 * Theory of operation. A program learns its host's addresses in two ways:
 * an rtnetlink dump (RTM_GETADDR with NLM_F_DUMP: getifaddrs(), dnsmasq,
 * avahi, systemd's libraries, iproute2's library) and the old interface
 * ioctls on any socket (SIOCGIFCONF, SIOCGIFADDR, SIOCGIFNETMASK,
 * SIOCGIFBRDADDR, SIOCGIFDSTADDR). Both are answered by the kernel of the
 * program's network namespace, whose addresses are not ustack's: the
 * kernel's end of the TAP has its own. A program that binds to what it
 * found, or checks that a query arrived on one of its addresses (dnsmasq
 * answers a TCP query only if the connection's local address is among
 * those it enumerated), fails. So both show ustack's addresses instead.
 *
 * The dump. A send on a descriptor that is not ustack's whose first
 * message is an RTM_GETADDR dump request, on a NETLINK_ROUTE socket, goes
 * to the kernel unchanged and is remembered (descriptor, identity, the
 * request's sequence number and family). The kernel's answer makes the
 * socket readable when it would be; the receive that meets its first part
 * asks the daemon for its addresses (USTACK_MSG_ADDR_LIST) and gives the
 * program RTM_NEWADDR messages of those instead, built as Linux's
 * inet_fill_ifaddr() and inet6_fill_ifaddr() build them (same attributes,
 * same order), IPv4 before IPv6 and the loopback before the link, with the
 * kernel's port id and the request's sequence number, in parts of at most
 * NLMSG_GOODSIZE bytes as the kernel's first part is, ended by NLMSG_DONE.
 * The kernel's own parts are consumed as ours are: one kernel part stays
 * unread while ours remain (the socket stays readable for a program that
 * polls before each receive), the rest is read and dropped once our last
 * part is taken. MSG_PEEK and MSG_TRUNC behave as on any netlink socket.
 * The link's addresses carry its index in the program's namespace (the
 * interface named in HELLO), the loopback's that of this namespace's lo.
 * Addresses of the namespace's other interfaces are not shown: ustack's
 * sockets cannot use them. If the daemon cannot be asked, the kernel's
 * answer passes unchanged.
 *
 * What is left: notifications (RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR)
 * still come from the kernel and are about its addresses; a request that
 * is not the first message of its send, and one sent with write(), get
 * the kernel's answer; RTM_GETLINK (names, flags, MTU, the MAC address) is
 * the kernel's: the link is the same interface, its MAC the kernel end's.
 *
 * The ioctls. On a ustack socket (what a program opens for them: socket
 * (AF_INET, SOCK_DGRAM, 0)), SIOCGIFCONF lists ustack's IPv4 addresses
 * (lo's, then the link's, with the interface's name), and the per-name
 * queries answer from them as Linux's devinet_ioctl() does: ENODEV for a
 * name no interface of the namespace has, EADDRNOTAVAIL for one that has
 * no ustack address of the family. Other interface ioctls (index, flags,
 * MTU, hardware address) are the kernel's.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "client.h"
#include "ustack_proto.h"

#ifndef IFAPROT_KERNEL_LO        /* Linux 6.1: IFA_PROTO */
#define IFA_PROTO 11
#define IFAPROT_KERNEL_LO 1
#define IFAPROT_KERNEL_RA 2
#define IFAPROT_KERNEL_LL 3
#endif

/**
 * ust_addr_list() - the daemon's addresses
 * @out: filled with up to @cap addresses
 * @cap: room in @out
 * @n: set to the number filled
 *
 * Return: 0, or -errno (the daemon cannot be asked, or answered nonsense)
 */
int ust_addr_list(struct ustack_addr *out, unsigned cap, unsigned *n)
{
	static __thread union {
		struct ustack_list_reply h;
		uint8_t b[sizeof(struct ustack_list_reply) +
			  UST_ADDR_MAX * sizeof(struct ustack_addr)];
	} r;
	size_t len = 0;
	int rc = ust_call(USTACK_MSG_ADDR_LIST, NULL, 0, NULL, 0, -1, r.b,
			  sizeof(r.b), &len);

	*n = 0;
	if (rc)
		return rc;
	if (len < sizeof(r.h) ||
	    (len - sizeof(r.h)) / sizeof(struct ustack_addr) < r.h.count)
		return -EPROTO;
	for (uint32_t i = 0; i < r.h.count && *n < cap; i++)
		memcpy(&out[(*n)++], r.b + sizeof(r.h) + i * sizeof(*out),
		       sizeof(*out));
	return 0;
}

/* The interface index, in this namespace, of the stack's interface @i */
static int here_index(uint8_t i)
{
	return (int)ust_ifindex_out(i == USTACK_IF_LOOPBACK ? USTACK_IF_LOOPBACK
							   : USTACK_IF_LINK);
}

static const char *here_name(uint8_t i)
{
	const char *l = ust_link_name();

	return i == USTACK_IF_LOOPBACK ? "lo" : l ? l : "";
}

/* IPv4 netmask of @prefix, network order */
static uint32_t mask4(unsigned prefix)
{
	return prefix ? htonl(~0u << (32 - (prefix > 32 ? 32 : prefix))) : 0;
}

static bool is_ll6(const struct ustack_addr *a)
{
	return a->addr.family == 6 && a->addr.addr[0] == 0xfe &&
	       (a->addr.addr[1] & 0xc0) == 0x80;
}

/* Does @x come before @y in Linux's dump? IPv4 before IPv6, then by
 * interface index; on one interface an IPv6 link-local address after the
 * others (ipv6_link_dev_addr() keeps each interface's list by scope) */
static bool addr_before(const struct ustack_addr *x,
			const struct ustack_addr *y)
{
	int ix = here_index(x->ifindex), iy = here_index(y->ifindex);

	if (x->addr.family != y->addr.family)
		return x->addr.family == 4;
	if (ix != iy)
		return ix < iy;
	return !is_ll6(x) && is_ll6(y);
}

/* Put @a in that order, keeping the daemon's among equals */
static void sort_addrs(struct ustack_addr *a, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct ustack_addr t = a[i];
		unsigned j = i;

		for (; j > 0 && addr_before(&t, &a[j - 1]); j--)
			a[j] = a[j - 1];
		a[j] = t;
	}
}

/* ---- building RTM_NEWADDR messages ---- */

struct nlbuf {
	uint8_t *b;
	size_t len, cap;
};

static void *nl_room(struct nlbuf *o, size_t len)
{
	size_t need = o->len + NLMSG_ALIGN(len);
	void *p;

	if (need > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 2048;

		while (cap < need)
			cap *= 2;
		p = realloc(o->b, cap);
		if (!p)
			return NULL;
		o->b = p;
		o->cap = cap;
	}
	p = o->b + o->len;
	memset(p, 0, NLMSG_ALIGN(len));
	o->len = need;
	return p;
}

static bool nl_attr(struct nlbuf *o, uint16_t type, const void *data,
		    size_t len)
{
	struct rtattr *a = nl_room(o, RTA_LENGTH(len));

	if (!a)
		return false;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	return true;
}

/* Centiseconds since boot, as the kernel's address timestamps */
static uint32_t cstamp_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return (uint32_t)(t.tv_sec * 100 + t.tv_nsec / 10000000);
}

/* One RTM_NEWADDR for @a at the end of @o; false if out of memory */
static bool put_newaddr(struct nlbuf *o, const struct ustack_addr *a,
			uint32_t seq, uint32_t pid, uint32_t now)
{
	size_t start = o->len;
	struct nlmsghdr *h;
	struct ifaddrmsg *m;
	struct ifa_cacheinfo ci = {
		.ifa_prefered = a->preferred_s, .ifa_valid = a->valid_s,
		.cstamp = now, .tstamp = now,
	};
	bool v4 = a->addr.family == 4;
	uint32_t flags = 0;
	const char *name = here_name(a->ifindex);

	if (!nl_room(o, NLMSG_LENGTH(sizeof(*m))))
		return false;
	if (a->valid_s == 0xffffffffu)
		flags |= IFA_F_PERMANENT;
	if (a->state == USTACK_ADDR_TENTATIVE)
		flags |= IFA_F_TENTATIVE;
	else if (a->state == USTACK_ADDR_DEPRECATED)
		flags |= IFA_F_DEPRECATED;
	else if (a->state == USTACK_ADDR_DUPLICATE)
		flags |= IFA_F_TENTATIVE | IFA_F_DADFAILED;
	if (v4) {
		uint32_t brd, ip;

		memcpy(&ip, a->addr.addr, 4);
		brd = ip | ~mask4(a->prefix);
		if (!nl_attr(o, IFA_ADDRESS, a->addr.addr, 4) ||
		    !nl_attr(o, IFA_LOCAL, a->addr.addr, 4) ||
		    (a->prefix < 31 && a->ifindex != USTACK_IF_LOOPBACK &&
		     !nl_attr(o, IFA_BROADCAST, &brd, 4)) ||
		    !nl_attr(o, IFA_LABEL, name, strlen(name) + 1) ||
		    !nl_attr(o, IFA_FLAGS, &flags, 4) ||
		    !nl_attr(o, IFA_CACHEINFO, &ci, sizeof(ci)))
			return false;
	} else {
		/* who made it (IFA_PROTO): the kernel's ::1, its link-local
		 * and autoconfigured addresses say so; one added by hand not */
		uint8_t proto = a->ifindex == USTACK_IF_LOOPBACK ? IFAPROT_KERNEL_LO
				: a->origin == USTACK_ADDR_LINKLOCAL ? IFAPROT_KERNEL_LL
				: a->origin == USTACK_ADDR_SLAAC ? IFAPROT_KERNEL_RA
				: 0;

		if (!nl_attr(o, IFA_ADDRESS, a->addr.addr, 16) ||
		    !nl_attr(o, IFA_CACHEINFO, &ci, sizeof(ci)) ||
		    !nl_attr(o, IFA_FLAGS, &flags, 4) ||
		    (proto && !nl_attr(o, IFA_PROTO, &proto, 1)))
			return false;
	}
	h = (struct nlmsghdr *)(o->b + start);
	h->nlmsg_len = (uint32_t)(o->len - start);
	h->nlmsg_type = RTM_NEWADDR;
	h->nlmsg_flags = NLM_F_MULTI;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = pid;
	m = NLMSG_DATA(h);
	m->ifa_family = v4 ? AF_INET : AF_INET6;
	m->ifa_prefixlen = a->prefix;
	m->ifa_flags = (uint8_t)flags;
	m->ifa_index = (uint32_t)here_index(a->ifindex);
	if (v4)
		m->ifa_scope = a->addr.addr[0] == 127 ? RT_SCOPE_HOST
						       : RT_SCOPE_UNIVERSE;
	else if (a->ifindex == USTACK_IF_LOOPBACK ||
		 (a->addr.addr[0] == 0 && a->addr.addr[15] == 1 &&
		  !memcmp(a->addr.addr, (uint8_t[15]){ 0 }, 15)))
		m->ifa_scope = RT_SCOPE_HOST;
	else if (is_ll6(a))
		m->ifa_scope = RT_SCOPE_LINK;
	else
		m->ifa_scope = RT_SCOPE_UNIVERSE;
	return true;
}

/* ---- the dumps being answered ---- */

/* The size of the kernel's first part of a dump: NLMSG_GOODSIZE with 4 KiB
 * pages (a page less the skb's shared info) */
#define DUMP_PART 3776

struct dump {
	int fd;                 /* -1: free */
	uint32_t id;            /* the socket's identity (ust_identity()) */
	uint32_t seq;
	int family;             /* AF_UNSPEC, AF_INET or AF_INET6 */
	bool built, kernel_done;
	struct nlbuf out;       /* ours: whole messages, NLMSG_DONE last */
	size_t off;             /* what the program has taken */
};

#define DUMPS 8
static struct dump dumps[DUMPS] = {
	[0 ... DUMPS - 1] = { .fd = -1 },
};
static pthread_mutex_t dumps_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned dumps_open;
/*
 * The supervisor (supervise.c) works on a fresh copy of the program's
 * descriptor for each call: its dumps are known by the socket's identity
 * alone, and a full table gives way to a new request (a program that
 * closed its socket before the end leaves its entry behind).
 */
static bool by_identity;

void ust_rtnl_by_identity(void)
{
	by_identity = true;
}

/* Is @d the dump of @fd, whose identity is @id? */
static bool dump_of(const struct dump *d, int fd, uint32_t id)
{
	return d->fd >= 0 && (by_identity ? d->id == id : d->fd == fd);
}

static void dump_free(struct dump *d)
{
	free(d->out.b);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	atomic_fetch_sub(&dumps_open, 1);
}

/* ust_is_rtnl() - is @fd a NETLINK_ROUTE socket? */
bool ust_is_rtnl(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (ust_r.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) ||
	    v != AF_NETLINK)
		return false;
	l = sizeof(v);
	return !ust_r.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) &&
	       v == NETLINK_ROUTE;
}

/**
 * ust_rtnl_request() - is @h (a message's first bytes, @len of them) an
 * address dump request, which ust_rtnl_sent() would remember?
 */
bool ust_rtnl_request(const void *h, size_t len)
{
	struct nlmsghdr nh;

	if (len < sizeof(nh))
		return false;
	memcpy(&nh, h, sizeof(nh));
	return nh.nlmsg_type == RTM_GETADDR &&
	       (nh.nlmsg_flags & (NLM_F_REQUEST | NLM_F_DUMP)) ==
		       (NLM_F_REQUEST | NLM_F_DUMP);
}

/**
 * ust_rtnl_sent() - a send on a descriptor not ustack's went out
 * @fd: the descriptor
 * @msg: what was sent
 *
 * Remembers an RTM_GETADDR dump request to the kernel, whose answer the
 * next receives replace. Called for every successful send on a foreign
 * descriptor: what is not a netlink message is told apart by its bytes.
 */
void ust_rtnl_sent(int fd, const struct msghdr *msg)
{
	struct nlmsghdr h;
	struct rtgenmsg g;
	const struct sockaddr_nl *to = msg->msg_name;
	struct dump *d = NULL;
	int saved = errno;
	uint32_t id;

	if (!msg->msg_iovlen || msg->msg_iov[0].iov_len < NLMSG_LENGTH(1))
		return;
	memcpy(&h, msg->msg_iov[0].iov_base, sizeof(h));
	if (!ust_rtnl_request(&h, sizeof(h)) || h.nlmsg_len < NLMSG_LENGTH(1) ||
	    h.nlmsg_len > msg->msg_iov[0].iov_len)
		return;
	if (to && (msg->msg_namelen < sizeof(*to) ||
		   to->nl_family != AF_NETLINK || to->nl_pid))
		return;
	memcpy(&g, (const uint8_t *)msg->msg_iov[0].iov_base + NLMSG_HDRLEN,
	       sizeof(g));
	if ((g.rtgen_family != AF_UNSPEC && g.rtgen_family != AF_INET &&
	     g.rtgen_family != AF_INET6) || !ust_is_rtnl(fd))
		goto out;
	id = ust_identity(fd);
	pthread_mutex_lock(&dumps_lock);
	for (int i = 0; i < DUMPS; i++)
		if (dump_of(&dumps[i], fd, id) ||  /* a new request ends it */
		    (!by_identity && dumps[i].fd >= 0 &&
		     dumps[i].id != ust_identity(dumps[i].fd)))
			dump_free(&dumps[i]);
	for (int i = 0; i < DUMPS && !d; i++)
		if (dumps[i].fd < 0)
			d = &dumps[i];
	if (!d && by_identity) {
		d = &dumps[h.nlmsg_seq % DUMPS];
		dump_free(d);
	}
	if (d) {
		d->fd = fd;
		d->id = id;
		d->seq = h.nlmsg_seq;
		d->family = g.rtgen_family;
		atomic_fetch_add(&dumps_open, 1);
	}
	pthread_mutex_unlock(&dumps_lock);
out:
	errno = saved;
}

/**
 * ust_rtnl_forget() - @fd is closed: a dump answered on it ends
 * @fd: the descriptor
 */
void ust_rtnl_forget(int fd)
{
	if (by_identity ||
	    !atomic_load_explicit(&dumps_open, memory_order_relaxed))
		return;
	pthread_mutex_lock(&dumps_lock);
	for (int i = 0; i < DUMPS; i++)
		if (dumps[i].fd == fd)
			dump_free(&dumps[i]);
	pthread_mutex_unlock(&dumps_lock);
}

/**
 * ust_rtnl_open() - is an address dump answered on @fd (its identity)?
 * @fd: the descriptor
 *
 * For the supervisor, which serves the receives of those only.
 */
bool ust_rtnl_open(int fd)
{
	uint32_t id;
	bool open = false;

	if (!atomic_load_explicit(&dumps_open, memory_order_relaxed))
		return false;
	id = ust_identity(fd);
	pthread_mutex_lock(&dumps_lock);
	for (int i = 0; i < DUMPS && !open; i++)
		open = dump_of(&dumps[i], fd, id);
	pthread_mutex_unlock(&dumps_lock);
	return open;
}

/* Our messages for dump @d, its kernel part's header @kh (its port id) */
static int dump_build(struct dump *d, const struct nlmsghdr *kh)
{
	struct ustack_addr a[UST_ADDR_MAX];
	unsigned n;
	uint32_t now = cstamp_now();
	struct nlmsghdr *h;
	int rc = ust_addr_list(a, UST_ADDR_MAX, &n);

	if (rc)
		return rc;
	sort_addrs(a, n);
	for (unsigned i = 0; i < n; i++) {
		if ((d->family == AF_INET && a[i].addr.family != 4) ||
		    (d->family == AF_INET6 && a[i].addr.family != 6))
			continue;
		if (!put_newaddr(&d->out, &a[i], d->seq, kh->nlmsg_pid, now))
			return -ENOMEM;
	}
	h = nl_room(&d->out, NLMSG_LENGTH(sizeof(int)));
	if (!h)
		return -ENOMEM;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	h->nlmsg_type = NLMSG_DONE;
	h->nlmsg_flags = NLM_F_MULTI;
	h->nlmsg_seq = d->seq;
	h->nlmsg_pid = kh->nlmsg_pid;
	d->built = true;
	return 0;
}

/* Our next part: whole messages from d->off, at most DUMP_PART bytes (at
 * least one message) */
static size_t dump_part(const struct dump *d)
{
	size_t at = d->off;

	while (at < d->out.len) {
		const struct nlmsghdr *h = (const void *)(d->out.b + at);
		size_t l = NLMSG_ALIGN(h->nlmsg_len);

		if (at > d->off && at + l - d->off > DUMP_PART)
			break;
		at += l;
	}
	return at - d->off;
}

/*
 * Is the datagram @b of @n bytes a part of the kernel's answer to @d?
 * *@last is set if it ends that answer.
 */
static bool kernel_part(const struct dump *d, const uint8_t *b, size_t n,
			bool *last)
{
	const struct nlmsghdr *h = (const void *)b;
	size_t left = n;

	*last = false;
	if (n < NLMSG_HDRLEN || h->nlmsg_seq != d->seq ||
	    (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != NLMSG_DONE &&
	     h->nlmsg_type != NLMSG_ERROR))
		return false;
	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
		if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
			*last = true;
	return true;
}

/* Read and drop the kernel's remaining parts of @d without waiting */
static void kernel_drain(int fd, struct dump *d, uint8_t *buf, size_t cap)
{
	while (!d->kernel_done) {
		bool last;
		ssize_t n = ust_r.recv(fd, buf, cap, MSG_PEEK | MSG_DONTWAIT);

		if (n < 0 || !kernel_part(d, buf, (size_t)n, &last))
			return;
		ust_r.recv(fd, buf, cap, MSG_DONTWAIT);
		d->kernel_done = last;
	}
}

/* Copy @len bytes of ours into @msg as a netlink socket's receive does */
static ssize_t give(struct msghdr *msg, const uint8_t *p, size_t len,
		    int flags)
{
	size_t done = ust_iov_copy_out(msg, p, len);

	msg->msg_flags = done < len ? MSG_TRUNC : 0;
	if (msg->msg_name) {
		struct sockaddr_nl from = { .nl_family = AF_NETLINK };
		socklen_t l = msg->msg_namelen < sizeof(from) ?
			      msg->msg_namelen : sizeof(from);

		memcpy(msg->msg_name, &from, l);
		msg->msg_namelen = sizeof(from);
	}
	msg->msg_controllen = 0;
	return flags & MSG_TRUNC ? (ssize_t)len : (ssize_t)done;
}

#define KBUF 32768

/**
 * ust_rtnl_recv() - a receive on a descriptor not ustack's
 * @fd: the descriptor
 * @msg: where the program wants it
 * @flags: its flags
 * @n: set to the result when this function answers
 *
 * Return: true if it answered (*@n, errno set as the call's), false if
 * the call is the kernel's
 */
bool ust_rtnl_recv(int fd, struct msghdr *msg, int flags, ssize_t *n)
{
	static __thread uint8_t *kbuf;
	struct dump *d = NULL;
	uint32_t id;
	bool last;
	ssize_t k;
	size_t part;

	if (!atomic_load_explicit(&dumps_open, memory_order_relaxed))
		return false;
	id = ust_identity(fd);
	pthread_mutex_lock(&dumps_lock);
	for (int i = 0; i < DUMPS && !d; i++)
		if (dump_of(&dumps[i], fd, id))
			d = &dumps[i];
	if (d && d->id != id) {
		dump_free(d);   /* the number names something else now */
		d = NULL;
	}
	pthread_mutex_unlock(&dumps_lock);
	if (!d)
		return false;
	if (!kbuf && !(kbuf = malloc(KBUF)))
		return false;
	/*
	 * One thread receives on a netlink socket at a time (the dump's
	 * parts are in order only so): the entry is this caller's.
	 */
	if (d->built && d->off == d->out.len) {
		/* ours all taken: the rest of the kernel's answer is dropped,
		 * then the call is the kernel's */
		while (!d->kernel_done) {
			k = ust_r.recv(fd, kbuf, KBUF,
				       MSG_PEEK | (flags & MSG_DONTWAIT));
			if (k < 0) {
				*n = -1;
				return true;
			}
			if (!kernel_part(d, kbuf, (size_t)k, &last))
				return false;
			ust_r.recv(fd, kbuf, KBUF, MSG_DONTWAIT);
			d->kernel_done = last;
		}
		pthread_mutex_lock(&dumps_lock);
		dump_free(d);
		pthread_mutex_unlock(&dumps_lock);
		return false;
	}
	if (!d->kernel_done) {
		k = ust_r.recv(fd, kbuf, KBUF, MSG_PEEK | (flags & MSG_DONTWAIT));
		if (k < 0) {
			*n = -1;
			return true;
		}
		if (!kernel_part(d, kbuf, (size_t)k, &last))
			return false;   /* a notification before it */
		if (!d->built) {
			const struct nlmsghdr *kh = (const void *)kbuf;

			if (kh->nlmsg_type == NLMSG_ERROR || dump_build(d, kh)) {
				/* the kernel's refusal, or no daemon: its
				 * answer as it is */
				pthread_mutex_lock(&dumps_lock);
				dump_free(d);
				pthread_mutex_unlock(&dumps_lock);
				return false;
			}
		}
	} else {
		last = true;
	}
	part = dump_part(d);
	*n = give(msg, d->out.b + d->off, part, flags);
	if (flags & MSG_PEEK)
		return true;
	d->off += part;
	if (d->off == d->out.len) {
		kernel_drain(fd, d, kbuf, KBUF);
		if (d->kernel_done) {
			pthread_mutex_lock(&dumps_lock);
			dump_free(d);
			pthread_mutex_unlock(&dumps_lock);
		}       /* else the kernel's rest is dropped as it comes */
	} else if (!d->kernel_done && !last) {
		/* one kernel part stays to keep the socket readable */
		ust_r.recv(fd, kbuf, KBUF, MSG_DONTWAIT);
	}
	return true;
}

/* ---- the interface ioctls ---- */

/* SIOCGIFCONF: ustack's IPv4 addresses, an ifreq each */
static int gifconf(struct ifconf *ifc, const struct ustack_addr *a,
		   unsigned n)
{
	int done = 0, len = ifc->ifc_len;
	char *buf = ifc->ifc_buf;

	for (unsigned i = 0; i < n; i++) {
		struct ifreq r;
		struct sockaddr_in sin = { .sin_family = AF_INET };

		if (a[i].addr.family != 4)
			continue;
		if (!buf) {
			done += (int)sizeof(r);
			continue;
		}
		if (len < (int)sizeof(r))
			break;
		memset(&r, 0, sizeof(r));
		strncpy(r.ifr_name, here_name(a[i].ifindex), IFNAMSIZ - 1);
		memcpy(&sin.sin_addr, a[i].addr.addr, 4);
		memcpy(&r.ifr_addr, &sin, sizeof(sin));
		memcpy(buf, &r, sizeof(r));
		buf += sizeof(r);
		done += (int)sizeof(r);
		len -= (int)sizeof(r);
	}
	ifc->ifc_len = done;
	return 0;
}

/* SIOCGIFADDR and the like, as Linux's devinet_ioctl() finds the address:
 * the one given in ifr_addr if the interface has it, else its first */
static int gifaddr(unsigned long req, struct ifreq *r,
		   const struct ustack_addr *a, unsigned n)
{
	struct sockaddr_in sin, given;
	const struct ustack_addr *hit = NULL;
	char name[IFNAMSIZ];
	uint32_t ip, v;

	memcpy(name, r->ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = 0;
	memcpy(&given, &r->ifr_addr, sizeof(given));
	for (unsigned i = 0; i < n; i++) {
		if (a[i].addr.family != 4 ||
		    strcmp(here_name(a[i].ifindex), name))
			continue;
		if (given.sin_family == AF_INET &&
		    !memcmp(&given.sin_addr, a[i].addr.addr, 4)) {
			hit = &a[i];
			break;
		}
		if (!hit)
			hit = &a[i];
	}
	if (!hit)
		return ust_if_index(name) > 0 ? -EADDRNOTAVAIL : -ENODEV;
	memcpy(&ip, hit->addr.addr, 4);
	switch (req) {
	case SIOCGIFNETMASK:
		v = mask4(hit->prefix);
		break;
	case SIOCGIFBRDADDR:
		v = hit->prefix < 31 && hit->ifindex != USTACK_IF_LOOPBACK ?
		    ip | ~mask4(hit->prefix) : 0;
		break;
	default:        /* SIOCGIFADDR, SIOCGIFDSTADDR */
		v = ip;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = v;
	memcpy(&r->ifr_addr, &sin, sizeof(sin));
	return 0;
}

/**
 * ust_ifaddr_ioctl() - an interface address ioctl on a ustack socket
 * @req: the request
 * @arg: its argument
 * @rc: set to the ioctl's result (0 or -errno) when answered
 *
 * Return: true if answered here from ustack's addresses, false if the
 * request is the kernel's (or the daemon cannot be asked)
 */
bool ust_ifaddr_ioctl(unsigned long req, void *arg, int *rc)
{
	struct ustack_addr a[UST_ADDR_MAX];
	unsigned n;

	if (req != SIOCGIFCONF && req != SIOCGIFADDR &&
	    req != SIOCGIFNETMASK && req != SIOCGIFBRDADDR &&
	    req != SIOCGIFDSTADDR)
		return false;
	if (!arg) {
		*rc = -EFAULT;
		return true;
	}
	if (ust_addr_list(a, UST_ADDR_MAX, &n))
		return false;
	sort_addrs(a, n);
	*rc = req == SIOCGIFCONF ? gifconf(arg, a, n) : gifaddr(req, arg, a, n);
	return true;
}
