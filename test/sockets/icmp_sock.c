/* SPDX-License-Identifier: MIT */
/*
 * icmp_sock - ICMP sockets as Linux has them: ping sockets (SOCK_DGRAM,
 * IPPROTO_ICMP: the identifier is the port, the stack writes it and the
 * checksum, the reply comes back whole, IP_RECVTTL), their checks and
 * errors (IP_RECVERR, host unreachable when ARP gets no answer), raw ICMP
 * sockets (root only, the IP header on receive, ICMP_FILTER).
 *   icmp_sock PEER SELF   (the kernel peer answers pings)
 * On the kernel, net.ipv4.ping_group_range must admit root and nobody.
 */
#include <net/if.h>
#include <netinet/in.h>
#include <time.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static uint8_t buf[70000];
static const char *peer, *self;

static int ping_sock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	struct timeval tv = { 3, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* An echo request: type 8, the identifier and checksum left to the stack */
static size_t echo(uint8_t *p, uint8_t type, uint16_t seq, size_t dlen)
{
	memset(p, 0, 8);
	p[0] = type;
	p[4] = 0xee;                 /* an identifier the stack replaces */
	p[6] = (uint8_t)(seq >> 8);
	p[7] = (uint8_t)seq;
	for (size_t i = 0; i < dlen; i++)
		p[8 + i] = (uint8_t)(i + seq);
	return 8 + dlen;
}

static uint16_t sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in me;
	socklen_t l = sizeof(me);

	getsockname(fd, (void *)&me, &l);
	return ntohs(me.sin_port);
}

/* The reply to an echo: header, identifier, data, and its TTL. */
static void echo_reply(void)
{
	struct sockaddr_in to = sin_of(peer, 0), from;
	uint8_t req[64], cb[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = sizeof(cb) };
	int fd = ping_sock(), one = 1, ttl = -1, nc = 0;
	size_t len = echo(req, 8, 7, 32);
	char a[64];
	ssize_t n;

	report("ping socket", fd);
	line("port before the first send: %u", port_of(fd));
	report("IP_RECVTTL", setsockopt(fd, SOL_IP, IP_RECVTTL, &one, sizeof(one)));
	report("sendto echo", sendto(fd, req, len, 0, (void *)&to, sizeof(to)));
	line("port after: set %d", port_of(fd) != 0);
	n = recvmsg(fd, &m, 0);
	line("reply: %zd bytes type %u code %u from %s", n, buf[0], buf[1],
	     ntop((void *)&from, a, sizeof(a)));
	line("identifier is the port: %d, sequence %u, data equal %d",
	     (buf[4] << 8 | buf[5]) == port_of(fd), buf[6] << 8 | buf[7],
	     n == (ssize_t)len && !memcmp(buf + 8, req + 8, len - 8));
	line("checksum right: %d", sum16(buf, (size_t)(n > 0 ? n : 0)) == 0);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		nc++;
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL)
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
	}
	line("control messages: %d, IP_TTL %d", nc, ttl);
	report("recv nothing more", recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	close(fd);
}

/* What send refuses, in Linux's order. */
static void send_checks(void)
{
	struct sockaddr_in to = sin_of(peer, 0);
	uint8_t req[64];
	int fd = ping_sock();

	report("send unconnected", send(fd, req, echo(req, 8, 1, 8), 0));
	report("sendto 4 bytes", sendto(fd, req, 4, 0, (void *)&to, sizeof(to)));
	report("sendto an echo reply", sendto(fd, req, echo(req, 0, 1, 8), 0,
					     (void *)&to, sizeof(to)));
	req[1] = 1;
	report("sendto code 1", sendto(fd, req, 16, 0, (void *)&to, sizeof(to)));
	report("sendto short addrlen", sendto(fd, req, echo(req, 8, 1, 8), 0,
					      (void *)&to, 8));
	report("sendto 65516 bytes", sendto(fd, buf, echo(buf, 8, 1, 65508), 0,
					   (void *)&to, sizeof(to)));
	report("connect", connect(fd, (void *)&to, sizeof(to)));
	report("getpeername (connected with port 0)",
	       getpeername(fd, (void *)&to, &(socklen_t){ sizeof(to) }));
	report("send connected", send(fd, req, echo(req, 8, 2, 8), 0));
	line("reply: %zd", recv(fd, buf, sizeof(buf), 0));
	report("listen", listen(fd, 1));
	close(fd);
}

/*
 * bind chooses the identifier, below 1024 too; sockets share one unless
 * one of them turned SO_REUSEADDR off (on by default, INET_PROTOSW_REUSE).
 */
static void binds(void)
{
	struct sockaddr_in any = sin_of("0.0.0.0", 999), mine = sin_of(self, 0);
	struct sockaddr_in far = sin_of("198.51.100.9", 0);
	int a = ping_sock(), b = ping_sock(), c = ping_sock(), v = -1;
	socklen_t l = sizeof(v);

	report("bind identifier 999", bind(a, (void *)&any, sizeof(any)));
	line("port: %u", port_of(a));
	report("bind again", bind(a, (void *)&any, sizeof(any)));
	getsockopt(b, SOL_SOCKET, SO_REUSEADDR, &v, &l);
	line("SO_REUSEADDR by default: %d", v);
	report("bind 999 on another socket", bind(b, (void *)&any, sizeof(any)));
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &(int){ 0 }, sizeof(int));
	report("bind 999 without SO_REUSEADDR", bind(c, (void *)&any, sizeof(any)));
	report("bind a foreign address", bind(c, (void *)&far, sizeof(far)));
	report("bind our address, identifier 0", bind(c, (void *)&mine, sizeof(mine)));
	line("identifier chosen: %d", port_of(c) != 0);
	close(a);
	close(b);
	close(c);
}

/* Nobody answers ARP for .99: host unreachable, from ourselves. */
static void unreachable(void)
{
	struct sockaddr_in to = sin_of(peer, 0), from;
	struct {
		struct sock_extended_err ee;
		struct sockaddr_in off;
	} eh;
	uint8_t req[64], cb[512];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct pollfd p;
	int fd = ping_sock(), one = 1, got = 0;
	char a[64], o[64];
	ssize_t n;

	((uint8_t *)&to.sin_addr.s_addr)[3] = 99;
	setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	setsockopt(fd, SOL_IP, IP_PKTINFO, &one, sizeof(one));
	report("sendto .99", sendto(fd, req, echo(req, 8, 3, 8), 0, (void *)&to,
				   sizeof(to)));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	line("poll: %d revents POLLERR %d POLLIN %d", poll(&p, 1, 8000),
	     !!(p.revents & POLLERR), !!(p.revents & POLLIN));
	report("recv", recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	n = recvmsg(fd, &m, MSG_ERRQUEUE);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n >= 0 && c;
	     c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) {
			memcpy(&eh, CMSG_DATA(c), sizeof(eh));
			got = 1;
		}
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			line("  IP_PKTINFO: through lo %d",
			     pi.ipi_ifindex == (int)if_nametoindex("lo"));
		}
	}
	line("error queue: %zd bytes, MSG_ERRQUEUE %d, to %s, entry %d", n,
	     !!(m.msg_flags & MSG_ERRQUEUE), ntop((void *)&from, a, sizeof(a)),
	     got);
	if (got)
		line("  errno %s origin %u type %u code %u from %s", errname(eh.ee.ee_errno),
		     eh.ee.ee_origin, eh.ee.ee_type, eh.ee.ee_code,
		     ntop((void *)&eh.off, o, sizeof(o)));
	line("  quoted our echo: type %u sequence %u", buf[0], buf[7]);
	close(fd);
}

/* Raw ICMP sockets: the whole datagram, ICMP_FILTER, root only. */
static void raw(void)
{
	struct sockaddr_in to = sin_of(peer, 0);
	struct icmp_filter f = { 1u << ICMP_ECHOREPLY }, g;
	socklen_t gl = sizeof(g);
	uint8_t req[64];
	struct timeval tv = { 0, 400000 };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), st = 0;
	size_t len = echo(req, 8, 5, 16);
	ssize_t n;
	pid_t pid;

	report("raw socket", fd);
	line("port: %u", port_of(fd));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req[4] = 0x12;
	req[5] = 0x34;
	req[2] = 0;
	req[3] = 0;
	{
		uint16_t ck = sum16(req, len);

		req[2] = (uint8_t)(ck >> 8);
		req[3] = (uint8_t)ck;
	}
	report("sendto", sendto(fd, req, len, 0, (void *)&to, sizeof(to)));
	n = recv(fd, buf, sizeof(buf), 0);
	line("reply: %zd bytes, version %u, header %u, protocol %u, ICMP type %u, id %02x%02x",
	     n, buf[0] >> 4, (buf[0] & 15) * 4, buf[9], buf[20], buf[24], buf[25]);
	report("ICMP_FILTER", setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)));
	getsockopt(fd, SOL_RAW, ICMP_FILTER, &g, &gl);
	line("ICMP_FILTER reads back: %#x, %u bytes", g.data, gl);
	sendto(fd, req, len, 0, (void *)&to, sizeof(to));
	report("filtered reply", recv(fd, buf, sizeof(buf), 0));
	report("IP_HDRINCL 0", setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &(int){ 0 }, sizeof(int)));
	close(fd);
	report("ICMP_FILTER on a ping socket",
	       setsockopt(fd = ping_sock(), SOL_RAW, ICMP_FILTER, &f, sizeof(f)));
	close(fd);
	report("raw socket protocol 0", socket(AF_INET, SOCK_RAW, 0));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(3);
		report("raw socket as uid 65534", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
		fd = ping_sock();
		report("ping socket as uid 65534", fd);
		report("ping as uid 65534", sendto(fd, req, echo(req, 8, 6, 8), 0,
						   (void *)&to, sizeof(to)));
		line("reply as uid 65534: %zd", recv(fd, buf, sizeof(buf), 0));
		_exit(0);
	}
	waitpid(pid, &st, 0);
	line("child: %d", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: icmp_sock PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	echo_reply();
	send_checks();
	binds();
	raw();
	unreachable();
	return 0;
}
