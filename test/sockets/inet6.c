/* SPDX-License-Identifier: MIT */
/*
 * inet6 - AF_INET6 sockets with Linux's dual-stack rules
 *   inet6 PEER SELF PEER6 SELF6   (peer: UDP and TCP echo on 7007 at PEER
 *                                  and PEER6; TCP 7012 connects back)
 * The environment's INET6_IF names the interface that holds SELF6 (scope
 * ids are checked against its index, which differs between the kernel's
 * run and ustack's).
 *
 * What it prints: which sockets exist; IPV6_V6ONLY (default 0, fixed once
 * bound) and the port space both families share; what bind, connect and
 * sendto take (sockaddr_in given to an AF_INET6 socket, v4-mapped
 * addresses, link-local addresses and their scope ids); the names
 * getsockname, getpeername, accept and recvfrom give, and their lengths;
 * the IPv6 options and their ranges; the control messages a datagram
 * comes with; multicast membership; the error queue's ICMPv6 and ICMP
 * entries; an ICMPv6 ping socket.
 */
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

static const char *peer, *self, *peer6, *self6;
static unsigned ifidx;
static char what[160];

#define W(...) (snprintf(what, sizeof(what), __VA_ARGS__), what)

static struct sockaddr_in6 sin6_of(const char *ip, int port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };

	inet_pton(AF_INET6, ip, &s.sin6_addr);
	return s;
}

/* ::ffff:a.b.c.d */
static struct sockaddr_in6 mapped_of(const char *ip4, int port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };

	s.sin6_addr.s6_addr[10] = s.sin6_addr.s6_addr[11] = 0xff;
	inet_pton(AF_INET, ip4, &s.sin6_addr.s6_addr[12]);
	return s;
}

/* An address without its port (ports are ephemeral: they differ) */
static const char *host_of(const struct sockaddr *sa, char *buf, size_t len)
{
	char *colon;

	ntop(sa, buf, len);
	colon = strrchr(buf, ':');
	if (colon)
		*colon = '\0';
	return buf;
}

static int sock6(int type, int v6only)
{
	int fd = socket(AF_INET6, type, 0);

	if (fd >= 0 && v6only >= 0)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
	return fd;
}

static void sockets(void)
{
	static const struct {
		int type, protocol;
		const char *name;
	} t[] = {
		{ SOCK_STREAM, 0, "SOCK_STREAM" },
		{ SOCK_DGRAM, 0, "SOCK_DGRAM" },
		{ SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		  "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC" },
		{ SOCK_DGRAM, IPPROTO_UDP, "SOCK_DGRAM, IPPROTO_UDP" },
		{ SOCK_STREAM, IPPROTO_UDP, "SOCK_STREAM, IPPROTO_UDP" },
		{ SOCK_DGRAM, IPPROTO_ICMPV6, "SOCK_DGRAM, IPPROTO_ICMPV6" },
		{ SOCK_RAW, IPPROTO_ICMPV6, "SOCK_RAW, IPPROTO_ICMPV6" },
		{ SOCK_DGRAM, IPPROTO_ICMP, "SOCK_DGRAM, IPPROTO_ICMP" },
		{ 12, 0, "type 12" },
		{ SOCK_STREAM | 0x400000, 0, "an unknown flag" },
	};
	int sv[2], v = -1, d = 0;
	socklen_t l = sizeof(v);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int fd = socket(AF_INET6, t[i].type, t[i].protocol);

		report(W("socket(AF_INET6, %s)", t[i].name), fd);
		if (fd >= 0)
			close(fd);
	}
	report("socketpair(AF_INET6, SOCK_STREAM)",
	       socketpair(AF_INET6, SOCK_STREAM, 0, sv));
	report("socketpair(AF_INET6, SOCK_DGRAM)",
	       socketpair(AF_INET6, SOCK_DGRAM, 0, sv));
	for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
		int fd = socket(AF_INET6, type, 0);

		l = sizeof(v);
		getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l);
		l = sizeof(d);
		getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l);
		line("%s: IPV6_V6ONLY %d, SO_DOMAIN %d",
		     type == SOCK_STREAM ? "TCP" : "UDP", v, d);
		close(fd);
	}
}

/* One port, two families: bind @first then @second */
static void port_space(int type, const char *name, int port, int v6only,
		       bool v4_first)
{
	struct sockaddr_in6 a6 = sin6_of("::", port);
	struct sockaddr_in a4 = sin_of("0.0.0.0", port);
	int f6 = sock6(type, v6only), f4 = socket(AF_INET, type, 0);
	int r1, r2;

	if (v4_first) {
		r1 = bind(f4, (void *)&a4, sizeof(a4));
		r2 = bind(f6, (void *)&a6, sizeof(a6));
		line("%s, V6ONLY %d: 0.0.0.0:p %s, then [::]:p %s", name,
		     v6only, r1 ? errname(errno) : "ok",
		     r2 ? errname(errno) : "ok");
	} else {
		r1 = bind(f6, (void *)&a6, sizeof(a6));
		r2 = bind(f4, (void *)&a4, sizeof(a4));
		line("%s, V6ONLY %d: [::]:p %s, then 0.0.0.0:p %s", name,
		     v6only, r1 ? errname(errno) : "ok",
		     r2 ? errname(errno) : "ok");
	}
	close(f6);
	close(f4);
}

static void binds(int type, const char *name)
{
	struct sockaddr_in6 a = sin6_of(self6, 0), ll = sin6_of("fe80::1", 0);
	struct sockaddr_in6 m = mapped_of(self, 0), got;
	struct sockaddr_in a4 = sin_of(self, 0);
	struct sockaddr_storage big = { 0 };
	socklen_t l = sizeof(got);
	int fd, v = 1;
	char buf[96];

	fd = sock6(type, -1);
	getsockname(fd, (void *)&got, &l);
	line("%s: unbound getsockname %s, length %u", name,
	     ntop((void *)&got, buf, sizeof(buf)), l);
	report(W("%s: bind sockaddr_in (16 bytes)", name),
	       bind(fd, (void *)&a4, sizeof(a4)));
	memcpy(&big, &a4, sizeof(a4));
	report(W("%s: bind AF_INET in 28 bytes", name),
	       bind(fd, (void *)&big, sizeof(struct sockaddr_in6)));
	report(W("%s: bind 23 bytes", name), bind(fd, (void *)&a, 23));
	report(W("%s: bind fe80::1 without a scope id", name),
	       bind(fd, (void *)&ll, sizeof(ll)));
	ll.sin6_scope_id = ifidx;
	report(W("%s: bind fe80::1%%if (not ours)", name),
	       bind(fd, (void *)&ll, sizeof(ll)));
	ll.sin6_scope_id = 0;
	report(W("%s: bind 24 bytes (RFC 2133) to SELF6", name),
	       bind(fd, (void *)&a, 24));
	l = sizeof(got);
	getsockname(fd, (void *)&got, &l);
	line("%s: bound getsockname %s, length %u", name,
	     host_of((void *)&got, buf, sizeof(buf)), l);
	report(W("%s: IPV6_V6ONLY after bind", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
	l = sizeof(v);
	getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l);
	line("%s: IPV6_V6ONLY once bound to an IPv6 address: %d", name, v);
	report(W("%s: bind again", name), bind(fd, (void *)&a, sizeof(a)));
	close(fd);

	fd = sock6(type, -1);
	report(W("%s: bind ::ffff:SELF", name), bind(fd, (void *)&m, sizeof(m)));
	l = sizeof(got);
	getsockname(fd, (void *)&got, &l);
	line("%s: getsockname %s", name, host_of((void *)&got, buf, sizeof(buf)));
	close(fd);
	fd = sock6(type, 1);
	report(W("%s: V6ONLY, bind ::ffff:SELF", name),
	       bind(fd, (void *)&m, sizeof(m)));
	close(fd);
	v = 1;
	fd = sock6(type, -1);
	report(W("%s: IPV6_V6ONLY 1 byte", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, 1));
	close(fd);
}

static void echo(int fd, const char *name)
{
	char b[16] = "";
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = send(fd, "ping6", 5, 0);

	if (n == 5 && poll(&p, 1, 3000) == 1)
		n = recv(fd, b, sizeof(b) - 1, 0);
	line("%s: echo %s", name, n == 5 && !strcmp(b, "ping6") ? "ok" :
	     errname(errno));
}

static void names(int fd, const char *name)
{
	struct sockaddr_storage a;
	socklen_t l = sizeof(a);
	char buf[96];

	getsockname(fd, (void *)&a, &l);
	line("%s: getsockname %s, length %u", name,
	     host_of((void *)&a, buf, sizeof(buf)), l);
	l = sizeof(a);
	if (getpeername(fd, (void *)&a, &l)) {
		line("%s: getpeername %s", name, errname(errno));
		return;
	}
	line("%s: getpeername %s, length %u", name,
	     strstr(name, "accepted") ? host_of((void *)&a, buf, sizeof(buf)) :
	     ntop((void *)&a, buf, sizeof(buf)), l);
}

static void tcp_connects(void)
{
	struct sockaddr_in6 p6 = sin6_of(peer6, 7007), pm = mapped_of(peer, 7007);
	struct sockaddr_in6 ll = sin6_of("fe80::1", 7007);
	struct sockaddr_in p4 = sin_of(peer, 7007);
	struct sockaddr_storage big = { 0 };
	int fd;

	fd = sock6(SOCK_STREAM, -1);
	report("TCP: connect to [PEER6]:7007", connect(fd, (void *)&p6, sizeof(p6)));
	names(fd, "TCP to PEER6");
	echo(fd, "TCP to PEER6");
	close(fd);
	fd = sock6(SOCK_STREAM, -1);
	report("TCP: connect to [::ffff:PEER]:7007",
	       connect(fd, (void *)&pm, sizeof(pm)));
	names(fd, "TCP to ::ffff:PEER");
	echo(fd, "TCP to ::ffff:PEER");
	close(fd);
	fd = sock6(SOCK_STREAM, 1);
	report("TCP V6ONLY: connect to [::ffff:PEER]:7007",
	       connect(fd, (void *)&pm, sizeof(pm)));
	close(fd);
	fd = sock6(SOCK_STREAM, -1);
	report("TCP: connect sockaddr_in", connect(fd, (void *)&p4, sizeof(p4)));
	memcpy(&big, &p4, sizeof(p4));
	report("TCP: connect AF_INET in 28 bytes",
	       connect(fd, (void *)&big, sizeof(p6)));
	report("TCP: connect fe80::1 without a scope id",
	       connect(fd, (void *)&ll, sizeof(ll)));
	close(fd);
}

/* Accept from the peer over IPv4 (its 7012 connects back) and from
 * ourselves over IPv6, on one dual-stack listener */
static void tcp_accepts(void)
{
	struct sockaddr_in6 any = sin6_of("::", 7411), s6 = sin6_of(self6, 7411);
	struct sockaddr_in p12 = sin_of(peer, 7012);
	struct sockaddr_storage a;
	struct pollfd p;
	socklen_t l;
	int lfd = sock6(SOCK_STREAM, -1), one = 1, c, fd;
	char buf[96], req[64];

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&any, sizeof(any)) || listen(lfd, 4)) {
		line("TCP listener on [::]:7411: %s", errname(errno));
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (void *)&p12, sizeof(p12)) == 0) {
		snprintf(req, sizeof(req), "%s 7411\n", self);
		if (write(fd, req, strlen(req)) < 0)
			line("write: %s", errname(errno));
	}
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	poll(&p, 1, 3000);
	l = sizeof(a);
	c = accept(lfd, (void *)&a, &l);
	if (c >= 0) {
		line("accept from the peer over IPv4: %s, length %u",
		     host_of((void *)&a, buf, sizeof(buf)), l);
		names(c, "accepted over IPv4");
		close(c);
	} else {
		line("accept from the peer over IPv4: %s", errname(errno));
	}
	close(fd);

	fd = sock6(SOCK_STREAM, -1);
	report("TCP: connect to [SELF6]:7411", connect(fd, (void *)&s6, sizeof(s6)));
	l = 16;
	c = accept(lfd, (void *)&a, &l);
	line("accept with 16 bytes of room: %s, length %u",
	     c >= 0 ? "ok" : errname(errno), l);
	if (c >= 0)
		names(c, "accepted over IPv6");
	close(c);
	close(fd);
	close(lfd);
}

static ssize_t recv_name(int fd, struct sockaddr_storage *a, socklen_t *l)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[64];

	*l = sizeof(*a);
	if (poll(&p, 1, 3000) != 1)
		return -1;
	return recvfrom(fd, b, sizeof(b), 0, (void *)a, l);
}

static void udp_sends(void)
{
	struct sockaddr_in6 p6 = sin6_of(peer6, 7007), pm = mapped_of(peer, 7007);
	struct sockaddr_in6 ll = sin6_of("fe80::1", 7007);
	struct sockaddr_in p4 = sin_of(peer, 7007);
	struct sockaddr_storage a;
	struct sockaddr_un { sa_family_t f; char p[20]; } un = { AF_UNIX, "x" };
	socklen_t l;
	int fd = sock6(SOCK_DGRAM, -1);
	char buf[96];

	report("UDP: sendto [PEER6]:7007", sendto(fd, "a", 1, 0, (void *)&p6, sizeof(p6)));
	if (recv_name(fd, &a, &l) >= 0)
		line("UDP: reply from %s, length %u", ntop((void *)&a, buf, sizeof(buf)), l);
	report("UDP: sendto sockaddr_in PEER:7007",
	       sendto(fd, "b", 1, 0, (void *)&p4, sizeof(p4)));
	if (recv_name(fd, &a, &l) >= 0)
		line("UDP: reply from %s, length %u", ntop((void *)&a, buf, sizeof(buf)), l);
	report("UDP: sendto [::ffff:PEER]:7007",
	       sendto(fd, "c", 1, 0, (void *)&pm, sizeof(pm)));
	if (recv_name(fd, &a, &l) >= 0)
		line("UDP: reply from %s, length %u", ntop((void *)&a, buf, sizeof(buf)), l);
	l = 8;
	sendto(fd, "d", 1, 0, (void *)&p6, sizeof(p6));
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char b[8];

		poll(&p, 1, 3000);
		recvfrom(fd, b, sizeof(b), 0, (void *)&a, &l);
		line("UDP: recvfrom with 8 bytes of room: length %u", l);
	}
	report("UDP: sendto fe80::1 without a scope id",
	       sendto(fd, "e", 1, 0, (void *)&ll, sizeof(ll)));
	report("UDP: sendto 20 bytes", sendto(fd, "e", 1, 0, (void *)&p6, 20));
	report("UDP: sendto AF_UNIX", sendto(fd, "e", 1, 0, (void *)&un, sizeof(un)));
	close(fd);

	fd = sock6(SOCK_DGRAM, 1);
	report("UDP V6ONLY: sendto sockaddr_in", sendto(fd, "f", 1, 0, (void *)&p4, sizeof(p4)));
	report("UDP V6ONLY: sendto ::ffff:PEER", sendto(fd, "f", 1, 0, (void *)&pm, sizeof(pm)));
	report("UDP V6ONLY: connect sockaddr_in", connect(fd, (void *)&p4, sizeof(p4)));
	report("UDP V6ONLY: connect ::ffff:PEER", connect(fd, (void *)&pm, sizeof(pm)));
	close(fd);

	fd = sock6(SOCK_DGRAM, -1);
	report("UDP: connect sockaddr_in PEER:7007", connect(fd, (void *)&p4, sizeof(p4)));
	names(fd, "UDP connected to PEER");
	echo(fd, "UDP connected to PEER");
	report("UDP: connect [PEER6]:7007", connect(fd, (void *)&p6, sizeof(p6)));
	names(fd, "UDP connected to PEER6");
	echo(fd, "UDP connected to PEER6");
	report("UDP: connect fe80::1 without a scope id",
	       connect(fd, (void *)&ll, sizeof(ll)));
	close(fd);
	fd = sock6(SOCK_DGRAM, -1);
	ll.sin6_scope_id = ifidx;
	report("UDP: connect fe80::1%if", connect(fd, (void *)&ll, sizeof(ll)));
	l = sizeof(a);
	getpeername(fd, (void *)&a, &l);
	line("UDP: getpeername %s, scope id is the interface's: %s",
	     ntop((void *)&a, buf, sizeof(buf)),
	     ((struct sockaddr_in6 *)&a)->sin6_scope_id == ifidx ? "yes" : "no");
	l = sizeof(a);
	getsockname(fd, (void *)&a, &l);
	line("UDP: getsockname is link-local: %s, scope id is the interface's: %s",
	     IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)&a)->sin6_addr) ? "yes" : "no",
	     ((struct sockaddr_in6 *)&a)->sin6_scope_id == ifidx ? "yes" : "no");
	{
		int b = -1;
		socklen_t bl = sizeof(b);

		getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &b, &bl);
		line("UDP: SO_BINDTOIFINDEX is the interface's: %s",
		     (unsigned)b == ifidx ? "yes" : "no");
	}
	ll.sin6_scope_id = 0;
	close(fd);
}

static void int_opt(int fd, const char *name, int opt, const char *oname,
		    const int *vals, int n)
{
	int v = -9;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, IPPROTO_IPV6, opt, &v, &l))
		line("%s: %s: getsockopt %s", name, oname, errname(errno));
	else
		line("%s: %s: default %d", name, oname, v);
	for (int i = 0; i < n; i++) {
		int rc = setsockopt(fd, IPPROTO_IPV6, opt, &vals[i],
				    sizeof(int));
		int e = errno;

		v = -9;
		l = sizeof(v);
		getsockopt(fd, IPPROTO_IPV6, opt, &v, &l);
		line("%s: %s: set %d: %s, now %d", name, oname, vals[i],
		     rc ? errname(e) : "ok", v);
	}
}

static void options(int type, const char *name)
{
	static const int hops[] = { 7, 0, 255, 256, -2, -1 };
	static const int tclass[] = { 0x28, 256, -1 };
	static const int loop[] = { 0, 2, 1 };
	static const int flags[] = { 1, 0 };
	int fd = sock6(type, -1), v;
	socklen_t l = sizeof(v);

	int_opt(fd, name, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS", hops, 6);
	int_opt(fd, name, IPV6_TCLASS, "IPV6_TCLASS", tclass, 3);
	int_opt(fd, name, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS", hops, 6);
	int_opt(fd, name, IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP", loop, 3);
	int_opt(fd, name, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", flags, 2);
	int_opt(fd, name, IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", flags, 2);
	int_opt(fd, name, IPV6_RECVTCLASS, "IPV6_RECVTCLASS", flags, 2);
	int_opt(fd, name, IPV6_RECVERR, "IPV6_RECVERR", flags, 2);
	v = (int)ifidx;
	report(W("%s: IPV6_MULTICAST_IF the interface", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &v, sizeof(v)));
	v = -1;
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &v, &l) == 0)
		line("%s: IPV6_MULTICAST_IF reads the interface: %s", name,
		     (unsigned)v == ifidx ? "yes" : "no");
	else
		line("%s: IPV6_MULTICAST_IF read: %s", name, errname(errno));
	v = 99999;
	report(W("%s: IPV6_MULTICAST_IF 99999", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &v, sizeof(v)));
	v = 1;
	report(W("%s: IP_TOS on an AF_INET6 socket", name),
	       setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v)));
	close(fd);
}

static void groups(int type, const char *name)
{
	struct ipv6_mreq mr = { .ipv6mr_interface = ifidx };
	int fd = sock6(type, -1);

	inet_pton(AF_INET6, "ff02::1:3", &mr.ipv6mr_multiaddr);
	report(W("%s: IPV6_JOIN_GROUP ff02::1:3", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)));
	report(W("%s: IPV6_JOIN_GROUP again", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)));
	report(W("%s: IPV6_LEAVE_GROUP", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr, sizeof(mr)));
	report(W("%s: IPV6_LEAVE_GROUP again", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr, sizeof(mr)));
	report(W("%s: IPV6_ADD_MEMBERSHIP short", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, 16));
	inet_pton(AF_INET6, peer6, &mr.ipv6mr_multiaddr);
	report(W("%s: IPV6_ADD_MEMBERSHIP a unicast address", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	inet_pton(AF_INET6, "ff02::1:4", &mr.ipv6mr_multiaddr);
	mr.ipv6mr_interface = 99999;
	report(W("%s: IPV6_ADD_MEMBERSHIP interface 99999", name),
	       setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	close(fd);
}

/* The control messages of a received datagram, one per line */
static void show_cmsgs(const char *name, struct msghdr *m)
{
	char a[64];

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			inet_ntop(AF_INET6, &pi.ipi6_addr, a, sizeof(a));
			line("%s: IPV6_PKTINFO %s, the interface's: %s", name,
			     strcmp(a, self6) ? a : "SELF6",
			     pi.ipi6_ifindex == ifidx ? "yes" : "no");
		} else if (c->cmsg_level == SOL_IPV6 &&
			   (c->cmsg_type == IPV6_HOPLIMIT ||
			    c->cmsg_type == IPV6_TCLASS)) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			line("%s: %s %d", name, c->cmsg_type == IPV6_HOPLIMIT ?
			     "IPV6_HOPLIMIT" : "IPV6_TCLASS", v);
		} else {
			line("%s: cmsg level %d type %d, %zu bytes", name,
			     c->cmsg_level, c->cmsg_type,
			     (size_t)(c->cmsg_len - CMSG_LEN(0)));
		}
	}
}

static void recv_cmsgs(void)
{
	struct sockaddr_in6 p6 = sin6_of(peer6, 7007);
	struct sockaddr_in p4 = sin_of(peer, 7007);
	int fd = sock6(SOCK_DGRAM, -1), one = 1;
	union { char b[512]; struct cmsghdr align; } cb;
	char data[16];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "IPv4 datagram" : "IPv6 datagram";

		if (i)
			sendto(fd, "x", 1, 0, (void *)&p4, sizeof(p4));
		else
			sendto(fd, "x", 1, 0, (void *)&p6, sizeof(p6));
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = cb.b;
		m.msg_controllen = sizeof(cb.b);
		if (poll(&p, 1, 3000) != 1 || recvmsg(fd, &m, 0) < 0) {
			line("%s: %s", name, errname(errno));
			continue;
		}
		show_cmsgs(name, &m);
	}
	close(fd);
}

/* A closed port's ICMPv6 (or ICMP) error in the error queue */
static void errqueue(const char *name, const struct sockaddr *dst,
		     socklen_t dlen)
{
	int fd = sock6(SOCK_DGRAM, -1), one = 1;
	union { char b[512]; struct cmsghdr align; } cb;
	struct sockaddr_in6 from;
	char data[16], a[64];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb.b, .msg_controllen = sizeof(cb.b) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	report(W("%s: sendto", name), sendto(fd, "x", 1, 0, dst, dlen));
	poll(&p, 1, 3000);
	line("%s: poll %s", name, p.revents & POLLERR ? "POLLERR" : "nothing");
	n = recvmsg(fd, &m, MSG_ERRQUEUE);
	if (n < 0) {
		line("%s: MSG_ERRQUEUE %s", name, errname(errno));
		close(fd);
		return;
	}
	line("%s: MSG_ERRQUEUE %zd bytes, name %s, length %u", name, n,
	     ntop((void *)&from, a, sizeof(a)), m.msg_namelen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		struct sock_extended_err ee;
		struct sockaddr_in6 off;

		if (!(c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR) &&
		    !(c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR)) {
			line("%s: cmsg level %d type %d", name, c->cmsg_level,
			     c->cmsg_type);
			continue;
		}
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		memcpy(&off, CMSG_DATA(c) + sizeof(ee), sizeof(off));
		line("%s: %s errno %s origin %u type %u code %u, offender %s, %zu bytes",
		     name, c->cmsg_level == SOL_IPV6 ? "IPV6_RECVERR" :
		     "IP_RECVERR", errname((int)ee.ee_errno), ee.ee_origin,
		     ee.ee_type, ee.ee_code,
		     host_of((void *)&off, a, sizeof(a)),
		     (size_t)(c->cmsg_len - CMSG_LEN(0)));
	}
	n = recv(fd, data, sizeof(data), MSG_DONTWAIT);
	line("%s: then recv %s", name, n < 0 ? errname(errno) : "data");
	close(fd);
}

static void ping6(void)
{
	struct sockaddr_in6 p6 = sin6_of(peer6, 0), from;
	struct icmp6_hdr h = { .icmp6_type = ICMP6_ECHO_REQUEST };
	struct pollfd p;
	socklen_t l = sizeof(from);
	unsigned char b[64];
	int fd = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	ssize_t n;
	char a[64];

	if (fd < 0) {
		line("ping6: socket %s", errname(errno));
		return;
	}
	h.icmp6_seq = htons(1);
	report("ping6: sendto PEER6", sendto(fd, &h, sizeof(h), 0, (void *)&p6, sizeof(p6)));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	poll(&p, 1, 3000);
	n = recvfrom(fd, b, sizeof(b), 0, (void *)&from, &l);
	if (n < 0)
		line("ping6: recvfrom %s", errname(errno));
	else
		line("ping6: %zd bytes from %s, type %u, seq %u, length %u", n,
		     ntop((void *)&from, a, sizeof(a)), b[0],
		     (unsigned)(b[6] << 8 | b[7]), l);
	h.icmp6_type = 1;
	report("ping6: sendto a type other than echo",
	       sendto(fd, &h, sizeof(h), 0, (void *)&p6, sizeof(p6)));
	report("ping6: sendto sockaddr_in",
	       sendto(fd, &h, sizeof(h), 0, (void *)&p6, 16));
	close(fd);
}

/* A raw ICMPv6 socket: its checksum is the stack's (RFC 3542 3.1), its
 * filter passes an echo reply only, which it then reads */
static void raw6(void)
{
	struct sockaddr_in6 p6 = sin6_of(peer6, 0);
	struct icmp6_hdr h = { .icmp6_type = ICMP6_ECHO_REQUEST };
	struct icmp6_filter f, g;
	struct pollfd p;
	unsigned char b[128];
	socklen_t l = sizeof(int);
	int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), v = -9, off = 4;
	ssize_t n;

	if (fd < 0) {
		line("raw6: socket %s", errname(errno));
		return;
	}
	getsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &v, &l);
	line("raw6: IPV6_CHECKSUM %d", v);
	report("raw6: set IPV6_CHECKSUM",
	       setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)));
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	report("raw6: ICMP6_FILTER pass echo replies only",
	       setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)));
	l = sizeof(g);
	memset(&g, 0, sizeof(g));
	getsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &g, &l);
	line("raw6: ICMP6_FILTER reads back the same: %s, %u bytes",
	     memcmp(&f, &g, sizeof(f)) ? "no" : "yes", l);
	h.icmp6_id = htons(0x6a6a);
	h.icmp6_seq = htons(3);
	report("raw6: sendto PEER6", sendto(fd, &h, sizeof(h), 0, (void *)&p6, sizeof(p6)));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = -1;
	while (poll(&p, 1, 3000) == 1) {
		n = recv(fd, b, sizeof(b), 0);
		if (n >= 8 && b[0] == ICMP6_ECHO_REPLY && b[4] == 0x6a)
			break;
	}
	line("raw6: %zd bytes, type %u, id and seq ours: %s", n, n > 0 ? b[0] : 0,
	     n >= 8 && b[4] == 0x6a && b[5] == 0x6a && b[7] == 3 ? "yes" : "no");
	close(fd);
}

/* Printed addresses name the test's addresses, not their values */
int main(int argc, char **argv)
{
	struct sockaddr_in6 closed6, closedm;
	const char *ifname = getenv("INET6_IF");

	if (argc < 5 || !ifname) {
		fprintf(stderr, "usage: INET6_IF=DEV inet6 PEER SELF PEER6 SELF6\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	peer6 = argv[3];
	self6 = argv[4];
	ifidx = if_nametoindex(ifname);
	sockets();
	port_space(SOCK_STREAM, "TCP", 7401, 0, false);
	port_space(SOCK_STREAM, "TCP", 7402, 0, true);
	port_space(SOCK_STREAM, "TCP", 7403, 1, false);
	port_space(SOCK_STREAM, "TCP", 7404, 1, true);
	port_space(SOCK_DGRAM, "UDP", 7401, 0, false);
	port_space(SOCK_DGRAM, "UDP", 7402, 0, true);
	port_space(SOCK_DGRAM, "UDP", 7403, 1, false);
	port_space(SOCK_DGRAM, "UDP", 7404, 1, true);
	binds(SOCK_STREAM, "TCP");
	binds(SOCK_DGRAM, "UDP");
	tcp_connects();
	tcp_accepts();
	udp_sends();
	options(SOCK_DGRAM, "UDP");
	options(SOCK_STREAM, "TCP");
	groups(SOCK_DGRAM, "UDP");
	groups(SOCK_STREAM, "TCP");
	recv_cmsgs();
	closed6 = sin6_of(peer6, 7999);
	errqueue("closed port over IPv6", (void *)&closed6, sizeof(closed6));
	closedm = mapped_of(peer, 7998);
	errqueue("closed port over IPv4", (void *)&closedm, sizeof(closedm));
	ping6();
	raw6();
	return 0;
}
