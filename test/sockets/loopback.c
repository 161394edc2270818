/* SPDX-License-Identifier: MIT */
/*
 * loopback - 127.0.0.0/8 as Linux has it: every address of the block is
 * ours, TCP and UDP over it never leave the host, names show 127.0.0.1,
 * a destination of 0.0.0.0 means the loopback, a loopback source cannot
 * reach the link, and a packet to 127/8 finds nobody listening on our
 * link address. Under ustack-run this is ustack's own loopback interface
 * (not the host kernel's).
 *   loopback PEER SELF
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define PORT 7301

static const char *peer, *self;

static void show_names(const char *what, int fd)
{
	struct sockaddr_in me, them;
	socklen_t ml = sizeof(me), tl = sizeof(them);
	char a[64], b[64];

	if (getsockname(fd, (void *)&me, &ml) || getpeername(fd, (void *)&them, &tl)) {
		line("%s names: %s", what, errname(errno));
		return;
	}
	/* the ephemeral port differs between runs: only its presence */
	if (ntohs(me.sin_port) != PORT)
		me.sin_port = 0;
	if (ntohs(them.sin_port) != PORT)
		them.sin_port = 0;
	line("%s names: %s -> %s", what, ntop((void *)&me, a, sizeof(a)),
	     ntop((void *)&them, b, sizeof(b)));
}

static int tcp_listener(const char *ip, int port)
{
	struct sockaddr_in sa = sin_of(ip, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&sa, sizeof(sa)) || listen(fd, 8)) {
		line("listen %s: %s", ip, errname(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_connect_to(const char *ip, int port)
{
	struct sockaddr_in sa = sin_of(ip, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(fd, (void *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* A connection to @ip through a listener on @lip: names, data both ways,
 * end of stream. */
static void tcp_pair(const char *lip, const char *ip)
{
	int l = tcp_listener(lip, PORT), c, a;
	char what[96], b[16];
	ssize_t n;

	if (l < 0)
		return;
	snprintf(what, sizeof(what), "tcp %s via listener %s", ip, lip);
	c = tcp_connect_to(ip, PORT);
	if (c < 0) {
		line("%s: connect %s", what, errname(errno));
		close(l);
		return;
	}
	a = accept(l, NULL, NULL);
	show_names(what, c);
	show_names("  accepted", a);
	report("  send", send(c, "ping", 4, 0));
	n = recv(a, b, sizeof(b), 0);
	line("  recv: %zd '%.*s'", n, (int)(n > 0 ? n : 0), b);
	report("  reply", send(a, "pong!", 5, 0));
	n = recv(c, b, sizeof(b), 0);
	line("  recv: %zd '%.*s'", n, (int)(n > 0 ? n : 0), b);
	close(c);
	line("  end of stream: %zd", recv(a, b, sizeof(b), 0));
	close(a);
	close(l);
}

static void tcp_cases(void)
{
	int fd, l;
	struct sockaddr_in sa;

	tcp_pair("127.0.0.1", "127.0.0.1");
	tcp_pair("0.0.0.0", "127.0.0.1");
	tcp_pair("0.0.0.0", "127.45.6.7");
	tcp_pair("127.0.0.5", "127.0.0.5");
	tcp_pair("0.0.0.0", "0.0.0.0");
	tcp_pair(self, self);
	/* nobody listens there: refused, at once */
	fd = tcp_connect_to("127.0.0.1", PORT + 1);
	report("tcp connect to a closed loopback port", fd);
	/* a listener on our link address does not take 127.0.0.1 */
	l = tcp_listener(self, PORT);
	fd = tcp_connect_to("127.0.0.1", PORT);
	report("tcp connect 127.0.0.1 with a listener on the link address only", fd);
	if (fd >= 0)
		close(fd);
	close(l);
	/* a loopback source cannot reach the link */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa = sin_of("127.0.0.1", 0);
	report("tcp bind 127.0.0.1", bind(fd, (void *)&sa, sizeof(sa)));
	sa = sin_of(peer, 7008);
	report("tcp connect from 127.0.0.1 to the peer", connect(fd, (void *)&sa, sizeof(sa)));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa = sin_of("127.200.0.1", 0);
	report("tcp bind 127.200.0.1", bind(fd, (void *)&sa, sizeof(sa)));
	close(fd);
}

static int udp_bound(const char *ip, int port)
{
	struct sockaddr_in sa = sin_of(ip, port);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 3, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (void *)&sa, sizeof(sa)))
		line("udp bind %s: %s", ip, errname(errno));
	return fd;
}

/* A datagram to @to from an unbound socket, received on @rip: its
 * source, and the answer back. */
static void udp_pair(const char *rip, const char *to)
{
	int r = udp_bound(rip, PORT), s = udp_bound("0.0.0.0", 0);
	struct sockaddr_in dst = sin_of(to, PORT), from;
	socklen_t fl = sizeof(from);
	char a[64], b[16];
	ssize_t n;

	report("udp sendto", sendto(s, "hello", 5, 0, (void *)&dst, sizeof(dst)));
	n = recvfrom(r, b, sizeof(b), 0, (void *)&from, &fl);
	from.sin_port = 0;
	line("udp %s on %s: %zd '%.*s' from %s", to, rip, n,
	     (int)(n > 0 ? n : 0), b, ntop((void *)&from, a, sizeof(a)));
	fl = sizeof(from);
	getsockname(s, (void *)&from, &fl);
	line("  sender bound to %s", inet_ntoa(from.sin_addr));
	close(r);
	close(s);
}

static void udp_cases(void)
{
	struct sockaddr_in sa;
	char b[16];
	int fd;

	udp_pair("127.0.0.1", "127.0.0.1");
	udp_pair("0.0.0.0", "127.3.2.1");
	udp_pair("0.0.0.0", "0.0.0.0");
	udp_pair(self, self);
	/* connected to a closed port: the port unreachable comes back */
	fd = udp_bound("0.0.0.0", 0);
	sa = sin_of("127.0.0.1", PORT + 2);
	report("udp connect 127.0.0.1", connect(fd, (void *)&sa, sizeof(sa)));
	report("udp send to a closed port", send(fd, "x", 1, 0));
	report("udp recv after it", recv(fd, b, sizeof(b), 0));
	close(fd);
	/* a loopback source cannot reach the link */
	fd = udp_bound("127.0.0.1", 0);
	sa = sin_of(peer, 7007);
	report("udp sendto the peer from 127.0.0.1", sendto(fd, "x", 1, 0, (void *)&sa, sizeof(sa)));
	report("udp connect to the peer from 127.0.0.1", connect(fd, (void *)&sa, sizeof(sa)));
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: loopback PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	tcp_cases();
	udp_cases();
	return 0;
}
