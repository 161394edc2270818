/* SPDX-License-Identifier: MIT */
/*
 * udp_basic - UDP as Linux has it: sendto/recvfrom, connected sockets,
 * ICMP port unreachable as ECONNREFUSED (at the next receive, and at the
 * next send after sends that went), datagrams in the order sent, bind
 * errors, names, MSG_TRUNC,
 * the largest datagram, SO_BROADCAST, ports below 1024 for root only.
 * (AF_INET6: inet6.c, as on a kernel booted with ipv6.disable=1.)
 *   udp_basic PEER SELF   (peer echoes on PEER:7007)
 */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static char buf[70000], big[65508];
static const char *peer, *self;

static int udp(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 3, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void echo(void)
{
	struct sockaddr_in to = sin_of(peer, 7007), from;
	socklen_t fl = sizeof(from);
	char a[64];
	int fd = udp();
	ssize_t n;

	report("sendto", sendto(fd, "hello", 5, 0, (void *)&to, sizeof(to)));
	n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fl);
	line("recvfrom: %zd bytes '%.*s' from %s addrlen %u", n, (int)(n > 0 ? n : 0),
	     buf, ntop((void *)&from, a, sizeof(a)), fl);
	fl = sizeof(from);
	report("getsockname", getsockname(fd, (void *)&from, &fl));
	line("getsockname: addr %s port-set %d", inet_ntoa(from.sin_addr),
	     from.sin_port != 0);
	report("getpeername unconnected", getpeername(fd, (void *)&from, &fl));
	report("send unconnected", send(fd, "x", 1, 0));
	report("sendto port 0", sendto(fd, "x", 1, 0,
				       (void *)&(struct sockaddr_in){ .sin_family = AF_INET,
				       .sin_addr = to.sin_addr }, sizeof(to)));
	report("sendto short addrlen", sendto(fd, "x", 1, 0, (void *)&to, 8));
	close(fd);
}

static void connected(void)
{
	struct sockaddr_in to = sin_of(peer, 7007), me;
	socklen_t ml = sizeof(me);
	char a[64];
	int fd = udp();
	ssize_t n;

	report("connect", connect(fd, (void *)&to, sizeof(to)));
	report("getsockname connected", getsockname(fd, (void *)&me, &ml));
	line("local addr after connect: %s", inet_ntoa(me.sin_addr));
	ml = sizeof(me);
	report("getpeername", getpeername(fd, (void *)&me, &ml));
	line("peer: %s", ntop((void *)&me, a, sizeof(a)));
	report("send", send(fd, "abc", 3, 0));
	n = recv(fd, buf, sizeof(buf), 0);
	line("recv: %zd", n);
	report("write", write(fd, "abcd", 4));
	n = read(fd, buf, sizeof(buf));
	line("read: %zd", n);
	/* dissolve the association with AF_UNSPEC */
	report("connect AF_UNSPEC", connect(fd, (void *)&(struct sockaddr){ .sa_family = AF_UNSPEC },
					    sizeof(struct sockaddr)));
	report("getpeername after AF_UNSPEC", getpeername(fd, (void *)&me, &ml));
	ml = sizeof(me);
	getsockname(fd, (void *)&me, &ml);
	line("after AF_UNSPEC: addr %s port %u (connect's choices let go)",
	     inet_ntoa(me.sin_addr), ntohs(me.sin_port));
	close(fd);
}

static void refused(void)
{
	struct sockaddr_in to = sin_of(peer, 7999);
	int fd = udp();

	report("connect closed port", connect(fd, (void *)&to, sizeof(to)));
	report("send to closed port", send(fd, "q", 1, 0));
	report("recv after port unreachable", recv(fd, buf, sizeof(buf), 0));
	close(fd);
}

/*
 * The error an ICMP port unreachable leaves is returned by the next send,
 * once (libustack sends what it can without asking the daemon: the
 * error's notification in the channel makes it ask again).
 */
static void refused_on_send(void)
{
	struct sockaddr_in to = sin_of(peer, 7998);
	int fd = udp();
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	report("connect closed port (2)", connect(fd, (void *)&to, sizeof(to)));
	report("send to closed port (2)", send(fd, "q", 1, 0));
	/* the unreachable is back when poll says POLLERR */
	for (int i = 0; i < 300 && !(p.revents & POLLERR); i++) {
		poll(&p, 1, 10);
		if (!(p.revents & POLLERR))
			usleep(10000);
	}
	line("poll after a send to a closed port: POLLERR=%d POLLOUT=%d",
	     !!(p.revents & POLLERR), !!(p.revents & POLLOUT));
	report("send after port unreachable", send(fd, "q", 1, 0));
	report("send after the error was taken", send(fd, "q", 1, 0));
	close(fd);
}

/*
 * Datagrams leave in the order they were sent, whichever way each went
 * (a control message makes libustack ask the daemon; plain ones go down
 * the channel): 100 numbered ones echoed back in order.
 */
static void send_order(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = udp(), ttl = 64, got = 0, in_order = 1;
	char cbuf[CMSG_SPACE(sizeof(int))];

	connect(fd, (void *)&to, sizeof(to));
	for (int i = 0; i < 100; i++) {
		uint8_t b = (uint8_t)i;
		struct iovec iov = { &b, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

		if (i % 10 == 0) {      /* IP_TTL: asks the daemon */
			struct cmsghdr *c = (struct cmsghdr *)cbuf;

			m.msg_control = cbuf;
			m.msg_controllen = sizeof(cbuf);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_TTL;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &ttl, sizeof(int));
		}
		if (sendmsg(fd, &m, 0) != 1)
			break;
		if (i % 25 == 24) {     /* the echoes of this batch */
			for (int k = i - 24; k <= i; k++) {
				if (recv(fd, buf, sizeof(buf), 0) != 1)
					break;
				in_order &= (uint8_t)buf[0] == (uint8_t)k;
				got++;
			}
		}
	}
	line("100 datagrams, some with IP_TTL: %d echoed, in order %d", got,
	     in_order);
	close(fd);
}

static void trunc_and_peek(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	struct iovec iov = { buf, 10 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = udp();
	ssize_t n;

	memset(big, 'z', 100);
	connect(fd, (void *)&to, sizeof(to));
	send(fd, big, 100, 0);
	n = recv(fd, buf, 10, MSG_PEEK);
	line("peek: %zd", n);
	n = recvmsg(fd, &m, 0);
	line("recvmsg small buffer: %zd flags MSG_TRUNC=%d", n,
	     !!(m.msg_flags & MSG_TRUNC));
	send(fd, big, 100, 0);
	n = recv(fd, buf, 10, MSG_TRUNC);
	line("recv MSG_TRUNC: %zd", n);
	send(fd, "", 0, 0);
	n = recv(fd, buf, sizeof(buf), 0);
	line("empty datagram: %zd", n);
	close(fd);
}

static void largest(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = udp();
	ssize_t n;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	connect(fd, (void *)&to, sizeof(to));
	report("send 65508", send(fd, big, 65508, 0));
	report("send 65507", send(fd, big, 65507, 0));
	n = recv(fd, buf, sizeof(buf), 0);
	line("echo of 65507: %zd bytes, equal %d", n, n == 65507 &&
	     !memcmp(buf, big, 65507));
	close(fd);
}

static void binds(void)
{
	struct sockaddr_in any = sin_of("0.0.0.0", 7100);
	struct sockaddr_in far = sin_of("198.51.100.9", 7101);
	struct sockaddr_in mine = sin_of(self, 7100);
	int a = udp(), b = udp(), c = udp(), one = 1;

	report("bind 0.0.0.0:7100", bind(a, (void *)&any, sizeof(any)));
	report("bind again", bind(a, (void *)&any, sizeof(any)));
	report("bind taken port", bind(b, (void *)&any, sizeof(any)));
	report("bind taken port, own address", bind(b, (void *)&mine, sizeof(mine)));
	report("bind foreign address", bind(c, (void *)&far, sizeof(far)));
	close(a);
	close(b);
	close(c);
	a = udp();
	b = udp();
	setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	report("SO_REUSEADDR bind 1", bind(a, (void *)&any, sizeof(any)));
	report("SO_REUSEADDR bind 2", bind(b, (void *)&any, sizeof(any)));
	close(a);
	close(b);
	a = udp();
	b = udp();
	setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	report("SO_REUSEPORT bind 1", bind(a, (void *)&any, sizeof(any)));
	report("SO_REUSEPORT bind 2", bind(b, (void *)&any, sizeof(any)));
	close(a);
	close(b);
}

static void broadcast(void)
{
	char bc[32];
	struct sockaddr_in to;
	int fd = udp(), one = 1, v = -1;
	socklen_t l = sizeof(v);

	snprintf(bc, sizeof(bc), "%.*s255", (int)(strrchr(peer, '.') - peer + 1),
		 peer);
	to = sin_of(bc, 7008);
	report("broadcast without SO_BROADCAST", sendto(fd, "b", 1, 0, (void *)&to, sizeof(to)));
	to = sin_of("255.255.255.255", 7008);
	report("limited broadcast without SO_BROADCAST", sendto(fd, "b", 1, 0, (void *)&to, sizeof(to)));
	report("SO_BROADCAST on", setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	getsockopt(fd, SOL_SOCKET, SO_BROADCAST, &v, &l);
	line("SO_BROADCAST: %d", v);
	to = sin_of(bc, 7008);
	report("broadcast with SO_BROADCAST", sendto(fd, "b", 1, 0, (void *)&to, sizeof(to)));
	close(fd);
}

static void low_port(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct sockaddr_in sa = sin_of("0.0.0.0", 999);
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		fd = udp();
		report("bind port 999 as uid 65534", bind(fd, (void *)&sa, sizeof(sa)));
		sa.sin_port = htons(7200);
		report("bind port 7200 as uid 65534", bind(fd, (void *)&sa, sizeof(sa)));
		_exit(0);
	}
	waitpid(pid, &st, 0);
	line("child exit: %d", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: udp_basic PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	echo();
	connected();
	refused();
	refused_on_send();
	send_order();
	trunc_and_peek();
	largest();
	binds();
	broadcast();
	low_port();
	report("socket AF_INET SOCK_DGRAM IPPROTO_TCP", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
	return 0;
}
