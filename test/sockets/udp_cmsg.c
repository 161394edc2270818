/* SPDX-License-Identifier: MIT */
/*
 * udp_cmsg - UDP's ancillary data and errors as Linux has them: IP_RECVTTL,
 * IP_RECVTOS, IP_PKTINFO and SO_TIMESTAMP(NS) on receive (and in that
 * order), MSG_CTRUNC, IP_TTL/IP_TOS/IP_PKTINFO on send; IP_RECVERR with a
 * port unreachable (POLLERR, the error queue's entry, its control
 * messages), the pending error reported by the next call (send too),
 * IP_MTU_DISCOVER's local EMSGSIZE error; IP_RECVORIGDSTADDR and
 * SO_RXQ_OVFL.
 *   udp_cmsg PEER SELF   (peer echoes on PEER:7007, nothing on 7999)
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/errqueue.h>

#include "common.h"

static uint8_t buf[70000];
static const char *peer, *self;

static int udp(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 3, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The index of the interface whose subnet holds PEER: the link to it. */
static int link_index(void)
{
	char name[IFNAMSIZ];

	return link_of(peer, name) ? -1 : (int)if_nametoindex(name);
}

static double wall(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* Each control message on one line, in the order they came. */
static void show_cmsgs(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		const void *d = CMSG_DATA(c);

		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMP) {
			struct timeval tv;

			memcpy(&tv, d, sizeof(tv));
			line("  SO_TIMESTAMP len %zu, within 2 s of now %d",
			     (size_t)c->cmsg_len,
			     tv.tv_sec + tv.tv_usec / 1e6 > wall() - 2);
		} else if (c->cmsg_level == SOL_SOCKET &&
			   c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, d, sizeof(ts));
			line("  SO_TIMESTAMPNS len %zu, within 2 s of now %d",
			     (size_t)c->cmsg_len,
			     ts.tv_sec + ts.tv_nsec / 1e9 > wall() - 2);
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			char sd[20], ad[20];

			memcpy(&pi, d, sizeof(pi));
			inet_ntop(AF_INET, &pi.ipi_spec_dst, sd, sizeof(sd));
			inet_ntop(AF_INET, &pi.ipi_addr, ad, sizeof(ad));
			line("  IP_PKTINFO on the link %d (lo %d), spec_dst %s, addr %s",
			     pi.ipi_ifindex == link_index(),
			     pi.ipi_ifindex == (int)if_nametoindex("lo"), sd, ad);
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) {
			line("  IP_TTL %d", *(const int *)d);
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TOS) {
			line("  IP_TOS %#x len %zu", *(const uint8_t *)d,
			     (size_t)c->cmsg_len);
		} else if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) {
			struct {
				struct sock_extended_err ee;
				struct sockaddr_in off;
			} e;
			char a[64];

			memcpy(&e, d, sizeof(e));
			line("  IP_RECVERR len %zu: %s origin %u type %u code %u info %u from %s",
			     (size_t)c->cmsg_len, errname((int)e.ee.ee_errno),
			     e.ee.ee_origin, e.ee.ee_type, e.ee.ee_code,
			     e.ee.ee_info, e.off.sin_family ?
			     ntop((void *)&e.off, a, sizeof(a)) : "none");
		} else if (c->cmsg_level == SOL_IP &&
			   c->cmsg_type == IP_ORIGDSTADDR) {
			struct sockaddr_in o;
			char a[64];

			memcpy(&o, d, sizeof(o));
			line("  IP_ORIGDSTADDR len %zu: %s", (size_t)c->cmsg_len,
			     ntop((void *)&o, a, sizeof(a)));
		} else if (c->cmsg_level == SOL_SOCKET &&
			   c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t n;

			memcpy(&n, d, sizeof(n));
			line("  SO_RXQ_OVFL len %zu: %s", (size_t)c->cmsg_len,
			     n ? "a count of drops" : "0");
		} else {
			line("  level %d type %d", c->cmsg_level, c->cmsg_type);
		}
	}
}

static ssize_t recv_show(int fd, int flags, const char *what, size_t cblen)
{
	static uint8_t cb[1024];
	struct sockaddr_in from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = cblen };
	char a[64];
	ssize_t n = recvmsg(fd, &m, flags);

	if (n < 0) {
		report(what, n);
		return n;
	}
	line("%s: %zd bytes from %s, MSG_ERRQUEUE %d, MSG_CTRUNC %d, %zu bytes of control",
	     what, n, ntop((void *)&from, a, sizeof(a)),
	     !!(m.msg_flags & MSG_ERRQUEUE), !!(m.msg_flags & MSG_CTRUNC),
	     (size_t)m.msg_controllen);
	show_cmsgs(&m);
	return n;
}

static void poll_show(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, ms);

	line("poll: %d, POLLIN %d POLLERR %d", n, !!(p.revents & POLLIN),
	     !!(p.revents & POLLERR));
}

static void set(int fd, int level, int name, int v, const char *what)
{
	report(what, setsockopt(fd, level, name, &v, sizeof(v)));
}

static int get(int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	getsockopt(fd, level, name, &v, &l);
	return v;
}

/* A datagram from the peer with every receive option on. */
static void receive_options(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = udp();

	set(fd, SOL_IP, IP_RECVTTL, 1, "IP_RECVTTL");
	set(fd, SOL_IP, IP_RECVTOS, 1, "IP_RECVTOS");
	set(fd, SOL_IP, IP_PKTINFO, 1, "IP_PKTINFO");
	set(fd, SOL_SOCKET, SO_TIMESTAMP, 1, "SO_TIMESTAMP");
	line("read back: %d %d %d %d", get(fd, SOL_IP, IP_RECVTTL),
	     get(fd, SOL_IP, IP_RECVTOS), get(fd, SOL_IP, IP_PKTINFO),
	     get(fd, SOL_SOCKET, SO_TIMESTAMP));
	sendto(fd, "one", 3, 0, (void *)&to, sizeof(to));
	recv_show(fd, 0, "echo", 1024);
	/* SO_TIMESTAMPNS takes over from SO_TIMESTAMP */
	set(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
	line("SO_TIMESTAMP %d, SO_TIMESTAMPNS %d", get(fd, SOL_SOCKET, SO_TIMESTAMP),
	     get(fd, SOL_SOCKET, SO_TIMESTAMPNS));
	sendto(fd, "two", 3, 0, (void *)&to, sizeof(to));
	recv_show(fd, 0, "echo", 1024);
	/* room for the first two only: the rest is cut */
	sendto(fd, "three", 5, 0, (void *)&to, sizeof(to));
	recv_show(fd, 0, "echo, small control buffer",
		  CMSG_SPACE(sizeof(struct timespec)) +
		  CMSG_SPACE(sizeof(struct in_pktinfo)) + 4);
	/* to ourselves: Linux names the interface of the address */
	{
		struct sockaddr_in me = sin_of(self, 7300);
		int s2 = udp(), one = 1;

		bind(s2, (void *)&me, sizeof(me));
		setsockopt(s2, SOL_IP, IP_PKTINFO, &one, sizeof(one));
		sendto(s2, "self", 4, 0, (void *)&me, sizeof(me));
		recv_show(s2, 0, "to ourselves", 1024);
		close(s2);
	}
	set(fd, SOL_IP, IP_PKTINFO, 0, "IP_PKTINFO off");
	set(fd, SOL_SOCKET, SO_TIMESTAMPNS, 0, "SO_TIMESTAMPNS off");
	sendto(fd, "four", 4, 0, (void *)&to, sizeof(to));
	recv_show(fd, 0, "echo", 1024);
	close(fd);
}

static ssize_t send_cmsg(int fd, const struct sockaddr_in *to, int level,
			 int type, const void *data, size_t len)
{
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} u;
	struct iovec iov = { "cm", 2 };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = sizeof(*to),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.b, .msg_controllen = CMSG_SPACE(len) };

	memset(&u, 0, sizeof(u));
	u.c.cmsg_level = level;
	u.c.cmsg_type = type;
	u.c.cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(&u.c), data, len);
	return sendmsg(fd, &m, 0);
}

/* Send options, per socket and per datagram. */
static void send_options(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	struct in_pktinfo pi;
	int fd = udp(), v;
	uint8_t tos = 0x10;

	line("IP_TTL default: %d, IP_TOS %d, IP_MTU_DISCOVER %d",
	     get(fd, SOL_IP, IP_TTL), get(fd, SOL_IP, IP_TOS),
	     get(fd, SOL_IP, IP_MTU_DISCOVER));
	set(fd, SOL_IP, IP_TTL, 5, "IP_TTL 5");
	line("IP_TTL: %d", get(fd, SOL_IP, IP_TTL));
	set(fd, SOL_IP, IP_TTL, 0, "IP_TTL 0");
	set(fd, SOL_IP, IP_TTL, -1, "IP_TTL -1");
	line("IP_TTL: %d", get(fd, SOL_IP, IP_TTL));
	set(fd, SOL_IP, IP_MTU_DISCOVER, 9, "IP_MTU_DISCOVER 9");
	line("IP_MULTICAST_TTL default: %d, IP_MULTICAST_LOOP %d",
	     get(fd, SOL_IP, IP_MULTICAST_TTL), get(fd, SOL_IP, IP_MULTICAST_LOOP));
	set(fd, SOL_IP, IP_MULTICAST_TTL, 7, "IP_MULTICAST_TTL 7");
	set(fd, SOL_IP, IP_MULTICAST_TTL, 256, "IP_MULTICAST_TTL 256");
	line("IP_MULTICAST_TTL: %d", get(fd, SOL_IP, IP_MULTICAST_TTL));
	set(fd, SOL_IP, IP_MULTICAST_TTL, -1, "IP_MULTICAST_TTL -1");
	line("IP_MULTICAST_TTL: %d", get(fd, SOL_IP, IP_MULTICAST_TTL));
	v = 7;
	report("sendmsg IP_TTL 7", send_cmsg(fd, &to, SOL_IP, IP_TTL, &v, sizeof(v)));
	v = 0;
	report("sendmsg IP_TTL 0", send_cmsg(fd, &to, SOL_IP, IP_TTL, &v, sizeof(v)));
	report("sendmsg IP_TOS byte", send_cmsg(fd, &to, SOL_IP, IP_TOS, &tos, 1));
	memset(&pi, 0, sizeof(pi));
	inet_pton(AF_INET, self, &pi.ipi_spec_dst);
	report("sendmsg IP_PKTINFO our address",
	       send_cmsg(fd, &to, SOL_IP, IP_PKTINFO, &pi, sizeof(pi)));
	pi.ipi_ifindex = link_index();
	pi.ipi_spec_dst.s_addr = 0;
	report("sendmsg IP_PKTINFO the link",
	       send_cmsg(fd, &to, SOL_IP, IP_PKTINFO, &pi, sizeof(pi)));
	pi.ipi_ifindex = 999;
	report("sendmsg IP_PKTINFO interface 999",
	       send_cmsg(fd, &to, SOL_IP, IP_PKTINFO, &pi, sizeof(pi)));
	report("sendmsg SOL_IP type 77", send_cmsg(fd, &to, SOL_IP, 77, &v, sizeof(v)));
	report("sendmsg level 99", send_cmsg(fd, &to, 99, 1, &v, sizeof(v)));
	for (int i = 0; i < 6; i++)
		recv(fd, buf, sizeof(buf), 0);
	report("all echoed", recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	close(fd);
}

/* IP_RECVERR: a port unreachable, queued and pending. */
static void recverr(void)
{
	struct sockaddr_in to = sin_of(peer, 7999);
	int fd = udp();

	set(fd, SOL_IP, IP_RECVERR, 1, "IP_RECVERR");
	set(fd, SOL_IP, IP_RECVTTL, 1, "IP_RECVTTL");
	set(fd, SOL_IP, IP_RECVTOS, 1, "IP_RECVTOS");
	set(fd, SOL_IP, IP_PKTINFO, 1, "IP_PKTINFO");
	set(fd, SOL_SOCKET, SO_TIMESTAMP, 1, "SO_TIMESTAMP");
	report("recvmsg MSG_ERRQUEUE, empty",
	       recvmsg(fd, &(struct msghdr){ 0 }, MSG_ERRQUEUE));
	report("sendto closed port", sendto(fd, "probe-data", 10, 0,
					    (void *)&to, sizeof(to)));
	poll_show(fd, 3000);
	report("recv", recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	poll_show(fd, 0);
	recv_show(fd, MSG_ERRQUEUE, "error queue", 1024);
	line("payload: %.10s", (char *)buf);
	poll_show(fd, 0);
	/* the next one is taken by a send */
	usleep(1100000);             /* the peer's ICMP rate limit */
	sendto(fd, "again", 5, 0, (void *)&to, sizeof(to));
	poll_show(fd, 3000);
	report("sendto takes the pending error",
	       sendto(fd, "x", 1, 0, (void *)&to, sizeof(to)));
	report("SO_ERROR", get(fd, SOL_SOCKET, SO_ERROR) ? -1 : 0);
	poll_show(fd, 0);
	recv_show(fd, MSG_ERRQUEUE, "error queue", 16);
	recv_show(fd, MSG_ERRQUEUE | MSG_DONTWAIT, "error queue", 1024);
	poll_show(fd, 0);
	set(fd, SOL_IP, IP_RECVERR, 0, "IP_RECVERR off");
	close(fd);
}

/* Without IP_RECVERR: a connected socket's error, on the next call. */
static void connected(void)
{
	struct sockaddr_in to = sin_of(peer, 7999);
	int fd = udp();

	connect(fd, (void *)&to, sizeof(to));
	usleep(1100000);
	report("send", send(fd, "q", 1, 0));
	poll_show(fd, 3000);
	report("send again: the error", send(fd, "q", 1, 0));
	report("send a third time", send(fd, "q", 1, 0));
	poll_show(fd, 3000);
	line("SO_ERROR: %s", errname(get(fd, SOL_SOCKET, SO_ERROR)));
	line("SO_ERROR again: %s", errname(get(fd, SOL_SOCKET, SO_ERROR)));
	poll_show(fd, 0);
	report("recv", recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	report("error queue without IP_RECVERR",
	       recvmsg(fd, &(struct msghdr){ 0 }, MSG_ERRQUEUE));
	close(fd);
}

/* IP_MTU_DISCOVER: DF and no fragments; the refusal is queued too. */
static void pmtu(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = udp();
	ssize_t n;

	set(fd, SOL_IP, IP_RECVERR, 1, "IP_RECVERR");
	set(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_PMTUDISC_DO");
	report("sendto 2000 bytes", sendto(fd, buf, 2000, 0, (void *)&to,
					   sizeof(to)));
	poll_show(fd, 0);
	recv_show(fd, MSG_ERRQUEUE, "error queue", 1024);
	report("sendto 1472 bytes", sendto(fd, buf, 1472, 0, (void *)&to,
					   sizeof(to)));
	n = recv(fd, buf, sizeof(buf), 0);
	line("echo: %zd", n);
	connect(fd, (void *)&to, sizeof(to));
	report("send 1473 bytes connected", send(fd, buf, 1473, 0));
	recv_show(fd, MSG_ERRQUEUE, "error queue", 1024);
	set(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, "IP_PMTUDISC_DONT");
	report("send 2000 bytes, fragments", send(fd, buf, 2000, 0));
	line("echo: %zd", recv(fd, buf, sizeof(buf), 0));
	close(fd);
}

/*
 * IP_RECVORIGDSTADDR: the datagram's destination address and port (a
 * transparent proxy's); SO_RXQ_OVFL: the socket's drop count with each
 * datagram queued after a drop (none before, as Linux writes it only when
 * not 0). The drops come from a receive buffer too small for what a
 * second socket sends it, to SELF: how many depends on the stack's
 * accounting, so only that there was a count is shown.
 */
static void origdst_and_drops(void)
{
	struct sockaddr_in me = sin_of(self, 7301), from = sin_of(self, 7302);
	int r = udp(), s = udp(), small = 1, got = 0;

	bind(r, (void *)&me, sizeof(me));
	bind(s, (void *)&from, sizeof(from));
	set(r, SOL_IP, IP_RECVORIGDSTADDR, 1, "IP_RECVORIGDSTADDR");
	set(r, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL");
	line("read back: %d %d", get(r, SOL_IP, IP_RECVORIGDSTADDR),
	     get(r, SOL_SOCKET, SO_RXQ_OVFL));
	sendto(s, "orig", 4, 0, (void *)&me, sizeof(me));
	recv_show(r, 0, "to SELF:7301", 1024);
	setsockopt(r, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (int i = 0; i < 200; i++)
		sendto(s, buf, 1000, MSG_DONTWAIT, (void *)&me, sizeof(me));
	/* nobody reads for 300 ms: the buffer fills and the rest is
	 * dropped however slowly the stack takes them; then read until
	 * nothing more comes for 500 ms (ustack's daemon moves queued
	 * datagrams to the socket as it is read) */
	usleep(300000);
	for (;;) {
		struct pollfd p = { .fd = r, .events = POLLIN };

		if (poll(&p, 1, 500) != 1 ||
		    recv(r, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
		got++;
	}
	line("a full buffer: some read (%d), not all of 200", got > 0 && got < 200);
	sendto(s, "after", 5, 0, (void *)&me, sizeof(me));
	recv_show(r, 0, "after the drops", 1024);
	close(r);
	close(s);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: udp_cmsg PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	receive_options();
	send_options();
	recverr();
	connected();
	pmtu();
	origdst_and_drops();
	return 0;
}
