/* SPDX-License-Identifier: MIT */
/*
 * sockopts - every socket option a program may set on a TCP or UDP
 * socket, IPv4 and IPv6: setsockopt's result and what getsockopt gives
 * back after it (or its errno), on a fresh socket, on a listening one and
 * on a connected one. A program that sets an option Linux accepts must
 * not be refused (ENOPROTOOPT where the kernel says "ok" is a program
 * that stops at start), and one Linux refuses must be refused with the
 * same errno. Values that differ by design between two stacks (cookies,
 * CPU numbers, timestamps) are only said to be there.
 * Then what the bind options do (IP_FREEBIND, IP_BIND_ADDRESS_NO_PORT).
 *   sockopts PEER SELF PEER6 SELF6   (peer: echo 7007)
 */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* How a value is shown: exactly, or only that there is one */
enum show { EXACT, PRESENT, NONE };

struct opt {
	const char *name;
	int level, opt;
	int set;                /* the value set (an int) */
	enum show show;
	unsigned types;         /* T_TCP, T_UDP */
};

#define T_TCP 1u
#define T_UDP 2u
#define T_V4 4u                 /* IPv4 sockets only */
#define T_V6 8u                 /* IPv6 sockets only */
#define O(l, o, v, s, t) { #o, l, o, v, s, t }

static const struct opt opts[] = {
	/* first: an option that changes the route (IP_TOS, SO_MARK,
	 * SO_DONTROUTE, SO_PRIORITY) makes Linux forget the socket's
	 * cached route, and IP_MTU then says ENOTCONN */
	O(IPPROTO_IP, IP_MTU, -1, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IPV6, IPV6_MTU, -1, EXACT, T_TCP | T_UDP | T_V6),
	O(SOL_SOCKET, SO_REUSEADDR, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_REUSEPORT, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_KEEPALIVE, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_DONTROUTE, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_BROADCAST, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_OOBINLINE, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_NO_CHECK, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_PRIORITY, 6, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_RCVLOWAT, 100, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_SNDLOWAT, 100, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_PASSCRED, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_TIMESTAMP, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_TIMESTAMPNS, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_MARK, 7, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_RXQ_OVFL, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_BUSY_POLL, 0, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_ZEROCOPY, 1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_BUF_LOCK, 0, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_INCOMING_CPU, -1, NONE, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_COOKIE, -1, PRESENT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_NETNS_COOKIE, -1, PRESENT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_PROTOCOL, -1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_DOMAIN, -1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_TYPE, -1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_ACCEPTCONN, -1, EXACT, T_TCP | T_UDP),
	O(SOL_SOCKET, SO_ERROR, -1, EXACT, T_TCP | T_UDP),
	O(IPPROTO_IP, IP_TOS, 0x10, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_TTL, 33, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_FREEBIND, 1, EXACT, T_TCP | T_UDP),
	O(IPPROTO_IP, IP_TRANSPARENT, 1, EXACT, T_TCP | T_UDP),
	O(IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, EXACT, T_TCP | T_UDP),
	O(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_RECVERR, 1, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_PKTINFO, 1, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_RECVTOS, 1, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_RECVTTL, 1, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_MULTICAST_TTL, 4, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_MULTICAST_LOOP, 0, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_MINTTL, 2, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_NODEFRAG, 1, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_RECVORIGDSTADDR, 1, EXACT, T_TCP | T_UDP | T_V4),
	O(IPPROTO_IP, IP_LOCAL_PORT_RANGE, 0, EXACT, T_TCP | T_UDP),
	O(IPPROTO_IPV6, IPV6_V6ONLY, 1, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_IPV6, IPV6_TCLASS, 0x20, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_IPV6, IPV6_RECVERR, 1, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_IPV6, IPV6_FREEBIND, 1, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_IPV6, IPV6_TRANSPARENT, 1, EXACT, T_TCP | T_UDP | T_V6),
	O(IPPROTO_TCP, TCP_NODELAY, 1, EXACT, T_TCP | T_UDP),
	O(IPPROTO_TCP, TCP_MAXSEG, 1000, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_CORK, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_KEEPIDLE, 30, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_KEEPINTVL, 5, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_KEEPCNT, 4, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_SYNCNT, 3, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_LINGER2, 10, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_DEFER_ACCEPT, 5, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_WINDOW_CLAMP, 40000, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_QUICKACK, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_USER_TIMEOUT, 5000, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_THIN_DUPACK, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_INQ, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_FASTOPEN, 5, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_SAVE_SYN, 1, EXACT, T_TCP),
	O(IPPROTO_TCP, TCP_TIMESTAMP, -1, PRESENT, T_TCP),
	O(IPPROTO_TCP, TCP_TX_DELAY, 0, EXACT, T_TCP),
};

/* One option: set it (if it has a value to set), then read it back */
static void try_opt(const char *where, int fd, const struct opt *o)
{
	int v = o->set, g = -12345;
	socklen_t l = sizeof(g);
	char got[64];

	if (o->set != -1 || o->opt == SO_INCOMING_CPU) {
		int rc = setsockopt(fd, o->level, o->opt, &v, sizeof(v));

		line("%s %s set %d: %s", where, o->name, v,
		     rc ? errname(errno) : "ok");
	}
	if (getsockopt(fd, o->level, o->opt, &g, &l) < 0)
		snprintf(got, sizeof(got), "%s", errname(errno));
	else if (o->show == EXACT)
		snprintf(got, sizeof(got), "%d (len %u)", g, (unsigned)l);
	else if (o->show == PRESENT)
		snprintf(got, sizeof(got), "%s (len %u)", g != -12345 ? "a value" : "nothing",
			 (unsigned)l);
	else
		snprintf(got, sizeof(got), "ok");
	line("%s %s get: %s", where, o->name, got);
}

/* The options that are not an int: TCP_CONGESTION both ways (reno
 * written and read back cut to 4 bytes, an unknown name, cubic),
 * TCP_CC_INFO's length (reno and cubic have no information), SO_MEMINFO's
 * length */
static void other_opts(const char *where, int fd, unsigned type)
{
	char name[32];
	uint32_t mem[16];
	socklen_t l;
	int rc;

	if (type & T_TCP) {
		memset(name, 'x', sizeof(name));
		l = sizeof(name);
		rc = getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l);
		/* the default is the host's on Linux (it may be bbr) and
		 * cubic on ustack: only a name, NUL-padded */
		line("%s TCP_CONGESTION get: %s, %s (len %u)", where,
		     rc ? errname(errno) : "ok",
		     !rc && name[0] != 'x' && !name[15] ? "a name" : "-",
		     (unsigned)l);
		line("%s TCP_CONGESTION set reno: %s", where,
		     setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) ?
		     errname(errno) : "ok");
		l = 4;
		rc = getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l);
		line("%s TCP_CONGESTION get in 4 bytes: %s \"%.4s\" (len %u)",
		     where, rc ? errname(errno) : "ok", rc ? "" : name,
		     (unsigned)l);
		line("%s TCP_CONGESTION set nosuchcc: %s", where,
		     setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "nosuchcc", 9) ?
		     errname(errno) : "ok");
		line("%s TCP_CONGESTION set cubic: %s", where,
		     setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 6) ?
		     errname(errno) : "ok");
		l = sizeof(mem);
		rc = getsockopt(fd, IPPROTO_TCP, TCP_CC_INFO, mem, &l);
		line("%s TCP_CC_INFO get: %s (len %u)", where,
		     rc ? errname(errno) : "ok", (unsigned)l);
	}
	l = sizeof(mem);
	rc = getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &l);
	line("%s SO_MEMINFO get: %s (len %u)", where,
	     rc ? errname(errno) : "ok", (unsigned)l);
}

static void all_opts(const char *where, int fd, unsigned type, int v6)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const struct opt *o = &opts[i];

		if (!(o->types & type) || (o->types & T_V4 && v6) ||
		    (o->types & T_V6 && !v6))
			continue;
		try_opt(where, fd, o);
	}
	other_opts(where, fd, type);
}

/* The TCP options on a socket in each state: fresh, listening, connected */
static void tcp_states(int fam, const char *peer, const char *self)
{
	char where[32];
	const char *f = fam == AF_INET ? "tcp4" : "tcp6";
	struct sockaddr_storage ps, ss;
	socklen_t pl, sl;
	int fd;

	if (fam == AF_INET) {
		struct sockaddr_in *p = (void *)&ps, *s = (void *)&ss;

		*p = sin_of(peer, 7007);
		*s = sin_of(self, 0);
		pl = sl = sizeof(*p);
	} else {
		struct sockaddr_in6 *p = (void *)&ps, *s = (void *)&ss;

		memset(&ps, 0, sizeof(ps));
		memset(&ss, 0, sizeof(ss));
		p->sin6_family = s->sin6_family = AF_INET6;
		p->sin6_port = htons(7007);
		inet_pton(AF_INET6, peer, &p->sin6_addr);
		inet_pton(AF_INET6, self, &s->sin6_addr);
		pl = sl = sizeof(*p);
	}
	snprintf(where, sizeof(where), "%s fresh", f);
	fd = socket(fam, SOCK_STREAM, 0);
	all_opts(where, fd, T_TCP, fam == AF_INET6);
	close(fd);

	snprintf(where, sizeof(where), "%s listening", f);
	fd = socket(fam, SOCK_STREAM, 0);
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 4))
		line("%s: bind/listen %s", where, errname(errno));
	all_opts(where, fd, T_TCP, fam == AF_INET6);
	close(fd);

	snprintf(where, sizeof(where), "%s connected", f);
	fd = socket(fam, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&ps, pl))
		line("%s: connect %s", where, errname(errno));
	all_opts(where, fd, T_TCP, fam == AF_INET6);
	close(fd);
}

static const char *port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &l))
		return errname(errno);
	return a.sin_port ? "a port" : "port 0";
}

/*
 * What the bind options do: an address that is not ours is
 * EADDRNOTAVAIL until IP_FREEBIND (nothing is sent: 198.51.100.7 is a
 * documentation address no one has); IP_BIND_ADDRESS_NO_PORT leaves the
 * port to connect(), for TCP and UDP.
 */
static void bind_rules(const char *peer, const char *self)
{
	struct sockaddr_in far = sin_of("198.51.100.7", 0), me = sin_of(self, 0);
	struct sockaddr_in to = sin_of(peer, 7007);
	int types[2] = { SOCK_STREAM, SOCK_DGRAM }, one = 1;

	for (int i = 0; i < 2; i++) {
		const char *t = i ? "udp4" : "tcp4";
		int fd = socket(AF_INET, types[i], 0);

		line("%s bind to an address not ours: %s", t,
		     bind(fd, (struct sockaddr *)&far, sizeof(far)) ?
		     errname(errno) : "ok");
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		line("%s ... with IP_FREEBIND: %s", t,
		     bind(fd, (struct sockaddr *)&far, sizeof(far)) ?
		     errname(errno) : "ok");
		close(fd);

		fd = socket(AF_INET, types[i], 0);
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		line("%s IP_BIND_ADDRESS_NO_PORT bind(SELF, 0): %s, %s", t,
		     bind(fd, (struct sockaddr *)&me, sizeof(me)) ?
		     errname(errno) : "ok", port_of(fd));
		line("%s ... connect: %s, %s", t,
		     connect(fd, (struct sockaddr *)&to, sizeof(to)) ?
		     errname(errno) : "ok", port_of(fd));
		close(fd);
	}
}

/* The port of @fd, said as within [@lo, @hi] or not */
static const char *port_within(int fd, unsigned lo, unsigned hi)
{
	struct sockaddr_in a;
	socklen_t n = sizeof(a);
	unsigned p;

	if (getsockname(fd, (struct sockaddr *)&a, &n))
		return errname(errno);
	p = ntohs(a.sin_port);
	return p >= lo && p <= hi ? "within the range" :
	       p ? "outside the range" : "port 0";
}

/*
 * IP_LOCAL_PORT_RANGE (Linux 6.3): lo | hi << 16 narrows where bind(0),
 * connect() and UDP's first send take a port; a bound beyond the system's
 * range is ignored; lo above hi is EINVAL, and so is a length that is not
 * 4; getsockopt gives back what was set.
 */
static void port_range(const char *peer)
{
	struct sockaddr_in any = sin_of("0.0.0.0", 0), to = sin_of(peer, 7007);
	uint32_t r = 40000u | 40009u << 16, bad = 40009u | 40000u << 16, got = 0;
	int types[2] = { SOCK_STREAM, SOCK_DGRAM };
	socklen_t n = sizeof(got);

	for (int i = 0; i < 2; i++) {
		const char *t = i ? "udp4" : "tcp4";
		int fd = socket(AF_INET, types[i], 0);
		uint16_t half = 1;

		line("%s IP_LOCAL_PORT_RANGE 40000-40009: %s", t,
		     setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &r, sizeof(r)) ?
		     errname(errno) : "ok");
		n = sizeof(got);
		getsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &got, &n);
		line("%s ... getsockopt: %#x (%u bytes)", t, got, (unsigned)n);
		line("%s ... bind(0): %s, %s", t,
		     bind(fd, (struct sockaddr *)&any, sizeof(any)) ?
		     errname(errno) : "ok", port_within(fd, 40000, 40009));
		close(fd);
		fd = socket(AF_INET, types[i], 0);
		setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &r, sizeof(r));
		line("%s ... connect: %s, %s", t,
		     connect(fd, (struct sockaddr *)&to, sizeof(to)) ?
		     errname(errno) : "ok", port_within(fd, 40000, 40009));
		line("%s ... lo above hi: %s", t,
		     setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &bad,
				sizeof(bad)) ? errname(errno) : "ok");
		line("%s ... 2 bytes: %s", t,
		     setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &half,
				sizeof(half)) ? errname(errno) : "ok");
		close(fd);
		/* a range beyond the system's (32768-60999) is not taken */
		fd = socket(AF_INET, types[i], 0);
		r = 1000u | 2000u << 16;
		setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &r, sizeof(r));
		line("%s ... 1000-2000, beyond the system's: bind(0) %s, %s", t,
		     bind(fd, (struct sockaddr *)&any, sizeof(any)) ?
		     errname(errno) : "ok", port_within(fd, 32768, 60999));
		r = 40000u | 40009u << 16;
		close(fd);
	}
}

/* TCP_INQ: recvmsg's TCP_CM_INQ says what is left to read; with no room
 * for it, MSG_CTRUNC */
static void inq_check(const char *peer)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	char buf[16], ctl[CMSG_SPACE(sizeof(int))];

	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_INQ, &one, sizeof(one)) ||
	    send(fd, "hello, world", 12, 0) != 12) {
		line("TCP_INQ: setup %s", errname(errno));
		close(fd);
		return;
	}
	usleep(200000);         /* the echo, whole */
	for (int i = 0; i < 3; i++) {
		struct iovec iov = { buf, i == 0 ? 5 : sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = i == 1 ? 4 : sizeof(ctl) };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
		struct cmsghdr *c = m.msg_controllen ? CMSG_FIRSTHDR(&m) : NULL;
		int v = -1;

		if (c && c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ)
			memcpy(&v, CMSG_DATA(c), sizeof(v));
		line("TCP_INQ recvmsg %d: %zd bytes, %s, inq %d%s", i, n,
		     n < 0 ? errname(errno) : "ok", v,
		     m.msg_flags & MSG_CTRUNC ? ", MSG_CTRUNC" : "");
	}
	close(fd);
}

/* TCP_SAVE_SYN: an accepted connection gives its SYN's headers once
 * through TCP_SAVED_SYN (too little room: EINVAL and the length needed) */
static void saved_syn_check(const char *self)
{
	struct sockaddr_in me = sin_of(self, 7010);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1, c, a = -1;
	uint8_t buf[512];
	socklen_t len;

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(l, IPPROTO_TCP, TCP_SAVE_SYN, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&me, sizeof(me)) || listen(l, 4)) {
		line("TCP_SAVED_SYN: setup %s", errname(errno));
		close(l);
		return;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&me, sizeof(me)) ||
	    (a = accept(l, NULL, NULL)) < 0) {
		line("TCP_SAVED_SYN: connect/accept %s", errname(errno));
	} else {
		len = 8;
		line("TCP_SAVED_SYN, 8 bytes of room: %s",
		     getsockopt(a, IPPROTO_TCP, TCP_SAVED_SYN, buf, &len) ?
		     errname(errno) : "ok");
		len = sizeof(buf);
		if (getsockopt(a, IPPROTO_TCP, TCP_SAVED_SYN, buf, &len))
			line("TCP_SAVED_SYN: %s", errname(errno));
		else if (len < 40)
			line("TCP_SAVED_SYN: %u bytes", (unsigned)len);
		else    /* the SYN's own options are the stack's: not printed */
			line("TCP_SAVED_SYN: IPv%u, header %u bytes, protocol %u, "
			     "then TCP to port %u, flags %#x, %s",
			     buf[0] >> 4, (buf[0] & 15) * 4, buf[9],
			     buf[(buf[0] & 15) * 4 + 2] << 8 |
			     buf[(buf[0] & 15) * 4 + 3],
			     buf[(buf[0] & 15) * 4 + 13],
			     len == (buf[0] & 15) * 4u +
				    (buf[(buf[0] & 15) * 4 + 12] >> 4) * 4u ?
			     "all of it" : "a length that is not the headers'");
		len = sizeof(buf);
		getsockopt(a, IPPROTO_TCP, TCP_SAVED_SYN, buf, &len);
		line("TCP_SAVED_SYN again: %u bytes", (unsigned)len);
		len = sizeof(one);
		getsockopt(a, IPPROTO_TCP, TCP_SAVE_SYN, &one, &len);
		line("TCP_SAVE_SYN of the accepted socket: %d", one);
	}
	if (a >= 0)
		close(a);
	close(c);
	close(l);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 5) {
		fprintf(stderr, "usage: sockopts PEER SELF PEER6 SELF6\n");
		return 2;
	}
	tcp_states(AF_INET, argv[1], argv[2]);
	tcp_states(AF_INET6, argv[3], argv[4]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	all_opts("udp4", fd, T_UDP, 0);
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	all_opts("udp6", fd, T_UDP, 1);
	close(fd);
	bind_rules(argv[1], argv[2]);
	port_range(argv[1]);
	inq_check(argv[1]);
	saved_syn_check(argv[2]);
	{
		/* MSG_FASTOPEN, the client side of Fast Open on (Linux's
		 * default) and no cookie: a connect and a send (blocking),
		 * EINPROGRESS (non-blocking), then EISCONN; no address
		 * EINVAL, AF_UNSPEC EOPNOTSUPP; TCP_FASTOPEN_CONNECT: an
		 * ordinary connect, the option not once connected */
		struct sockaddr_in to = sin_of(argv[1], 7007);
		struct sockaddr un = { .sa_family = AF_UNSPEC };
		char back[2] = "";
		int one = 1;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		line("tcp4 sendto MSG_FASTOPEN: %s",
		     sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&to,
			    sizeof(to)) < 0 ? errname(errno) : "ok");
		line("tcp4 ... the echo: %s", recv(fd, back, 1, MSG_WAITALL) == 1 ?
		     back : errname(errno));
		line("tcp4 ... again: %s",
		     sendto(fd, "y", 1, MSG_FASTOPEN, (struct sockaddr *)&to,
			    sizeof(to)) < 0 ? errname(errno) : "ok");
		line("tcp4 ... TCP_FASTOPEN_CONNECT once connected: %s",
		     setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one,
				sizeof(one)) ? errname(errno) : "ok");
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		line("tcp4 non-blocking sendto MSG_FASTOPEN: %s",
		     sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&to,
			    sizeof(to)) < 0 ? errname(errno) : "ok");
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		line("tcp4 send MSG_FASTOPEN without an address: %s",
		     send(fd, "x", 1, MSG_FASTOPEN) < 0 ? errname(errno) : "ok");
		line("tcp4 sendto MSG_FASTOPEN to AF_UNSPEC: %s",
		     sendto(fd, "x", 1, MSG_FASTOPEN, &un, sizeof(un)) < 0 ?
		     errname(errno) : "ok");
		line("tcp4 TCP_FASTOPEN_CONNECT: %s",
		     setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one,
				sizeof(one)) ? errname(errno) : "ok");
		line("tcp4 ... connect: %s",
		     connect(fd, (struct sockaddr *)&to, sizeof(to)) ?
		     errname(errno) : "ok");
		line("tcp4 ... send and echo: %s",
		     send(fd, "z", 1, 0) == 1 && recv(fd, back, 1, MSG_WAITALL) == 1 ?
		     back : errname(errno));
		close(fd);
	}
	{
		/* the server's options: TCP_FASTOPEN bounded by somaxconn,
		 * TCP_FASTOPEN_KEY 16 or 32 bytes read back as set */
		uint8_t key[32], got[40];
		socklen_t n = sizeof(got);
		int v = 100000, bad = -1, two = 2;

		for (unsigned i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)(i * 7 + 1);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		line("tcp4 TCP_FASTOPEN -1: %s",
		     setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &bad,
				sizeof(bad)) ? errname(errno) : "ok");
		line("tcp4 TCP_FASTOPEN 100000: %s",
		     setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &v, sizeof(v)) ?
		     errname(errno) : "ok");
		n = sizeof(v);
		getsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &v, &n);
		line("tcp4 ... reads %d", v);
		line("tcp4 TCP_FASTOPEN_NO_COOKIE 2: %s",
		     setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, &two,
				sizeof(two)) ? errname(errno) : "ok");
		line("tcp4 TCP_FASTOPEN_KEY of 15 bytes: %s",
		     setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_KEY, key, 15) ?
		     errname(errno) : "ok");
		for (socklen_t len = 16; len <= 32; len += 16) {
			line("tcp4 TCP_FASTOPEN_KEY of %u bytes: %s", len,
			     setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_KEY, key,
					len) ? errname(errno) : "ok");
			n = sizeof(got);
			memset(got, 0, sizeof(got));
			line("tcp4 ... reads %s, %u bytes, %s",
			     getsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_KEY, got,
					&n) ? errname(errno) : "ok", n,
			     !memcmp(got, key, len) ? "the key" : "another");
		}
		n = 8;
		line("tcp4 ... into 8 bytes: %s, %u bytes",
		     getsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_KEY, got, &n) ?
		     errname(errno) : "ok", n);
		close(fd);
	}
	return 0;
}
