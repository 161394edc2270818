/* SPDX-License-Identifier: MIT */
/*
 * errqueue - MSG_ZEROCOPY and SO_TIMESTAMPING as a program sees them on
 * Linux, for UDP and TCP: SO_ZEROCOPY's errors, completions on the error
 * queue (their origin, code, range, control message level and type, and
 * coalescing), POLLERR (and epoll's EPOLLERR) while they wait, EAGAIN when none; SO_TIMESTAMPING's
 * flags (set, get, the combinations refused), transmit reports (SCHED and
 * SND, OPT_ID keys, OPT_TSONLY, a send's own control message, TCP's
 * checks of a send's control messages), TCP's TX_ACK reports (SCM_TSTAMP_
 * ACK when the peer acknowledges a send's last byte: after SCHED and SND,
 * the same key; several sends; asked by a send's control message only;
 * seen by poll, select and epoll while the acknowledgement is awaited),
 * a UDP datagram's receive
 * timestamp, and a TCP socket's receive timestamps as tcp_recvmsg() writes
 * them after a read (SO_TIMESTAMP, SO_TIMESTAMPNS, old and new,
 * SO_TIMESTAMPING's RX_SOFTWARE|SOFTWARE, in Linux's order; too little
 * control room, MSG_CTRUNC; a recv() without control room, then a
 * recvmsg; MSG_PEEK; all off). Times are printed only as present or not,
 * or as within a few seconds of now.
 *   errqueue PEER SELF PEER6 SELF6   (peer echoes on 7007, UDP and TCP)
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include "common.h"

#define F_TX_SW (1 << 1)
#define F_RX_SW (1 << 3)
#define F_SW (1 << 4)
#define F_ID (1 << 7)
#define F_SCHED (1 << 8)
#define F_TX_ACK (1 << 9)
#define F_TSONLY (1 << 11)
#define F_STATS (1 << 12)
#define F_PHC (1 << 15)
#define F_ID_TCP (1 << 16)
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81        /* Linux 6.13 */
#endif

static const char *peer, *peer6, *self;

static int sock_to(int type, bool v6)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, type, 0);
	struct sockaddr_in sa;
	struct sockaddr_in6 s6;
	int rc;

	if (fd < 0)
		return -1;
	if (v6) {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons(7007);
		inet_pton(AF_INET6, peer6, &s6.sin6_addr);
		rc = connect(fd, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		sa = sin_of(peer, 7007);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (rc) {
		close(fd);
		return -1;
	}
	return fd;
}

static int seti(int fd, int name, int v)
{
	return setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v));
}

/* Wait up to 2 s for POLLERR: say whether it came */
static bool wait_err(int fd)
{
	struct pollfd p = { fd, 0, 0 };

	return poll(&p, 1, 2000) == 1 && (p.revents & POLLERR);
}

struct report {
	ssize_t n;
	int flags, level, type;
	bool ts, ts_shape;
	struct sock_extended_err ee;
};

/* One recvmsg(MSG_ERRQUEUE): what it said, -1 and errno if nothing */
static int take(int fd, struct report *r)
{
	char data[256], ctl[512];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };

	memset(r, 0, sizeof(*r));
	r->n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (r->n < 0)
		return -1;
	r->flags = m.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPING_OLD) {
			struct timespec ts[3];

			memcpy(ts, CMSG_DATA(c), sizeof(ts));
			r->ts = true;
			r->ts_shape = ts[0].tv_sec && !ts[1].tv_sec &&
				      !ts[1].tv_nsec && !ts[2].tv_sec &&
				      !ts[2].tv_nsec;
		} else if ((c->cmsg_level == SOL_IP &&
			    c->cmsg_type == IP_RECVERR) ||
			   (c->cmsg_level == SOL_IPV6 &&
			    c->cmsg_type == IPV6_RECVERR)) {
			r->level = c->cmsg_level;
			r->type = c->cmsg_type;
			memcpy(&r->ee, CMSG_DATA(c), sizeof(r->ee));
		}
	}
	return 0;
}

static void show(const char *what, const struct report *r)
{
	line("%s: n %zd errqueue %d ctrunc %d ts %s level %d type %d errno %u "
	     "origin %u code %u info %u data %u", what, r->n,
	     !!(r->flags & MSG_ERRQUEUE), !!(r->flags & MSG_CTRUNC),
	     r->ts ? (r->ts_shape ? "sw" : "odd") : "none", r->level, r->type,
	     r->ee.ee_errno, r->ee.ee_origin, r->ee.ee_code, r->ee.ee_info,
	     r->ee.ee_data);
}

static void show_empty(const char *what, int fd)
{
	struct report r;

	report(what, take(fd, &r));
}

/* Wait for and show one report */
static void one(const char *what, int fd)
{
	struct report r;
	char name[128];

	snprintf(name, sizeof(name), "%s pollerr", what);
	line("%s: %d", name, wait_err(fd));
	if (take(fd, &r))
		report(what, -1);
	else
		show(what, &r);
}

/* Completions until send number @hi is covered: are they contiguous? */
static void covered(const char *what, int fd, unsigned hi)
{
	unsigned next = 1;  /* the numbers after the first completion's */
	struct report r;
	int left = 20;

	while (next <= hi && left-- > 0) {
		if (!wait_err(fd) || take(fd, &r))
			break;
		if (r.ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY ||
		    r.ee.ee_info != next)
			break;
		next = r.ee.ee_data + 1;
	}
	line("%s: 1..%u covered %d", what, hi, next == hi + 1);
}

static void zerocopy_opts(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int p = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	int v = 7;
	socklen_t l = sizeof(v);
	short s = 1;

	report("zc udp set 1", seti(u, SO_ZEROCOPY, 1));
	getsockopt(u, SOL_SOCKET, SO_ZEROCOPY, &v, &l);
	line("zc udp get: %d len %u", v, (unsigned)l);
	report("zc udp set 2", seti(u, SO_ZEROCOPY, 2));
	report("zc udp set -1", seti(u, SO_ZEROCOPY, -1));
	report("zc udp set short", setsockopt(u, SOL_SOCKET, SO_ZEROCOPY, &s,
					      sizeof(s)));
	report("zc udp set 0", seti(u, SO_ZEROCOPY, 0));
	l = sizeof(v);
	getsockopt(u, SOL_SOCKET, SO_ZEROCOPY, &v, &l);
	line("zc udp get after 0: %d", v);
	report("zc tcp set 1 unconnected", seti(t, SO_ZEROCOPY, 1));
	if (p >= 0) {
		report("zc ping set 1", seti(p, SO_ZEROCOPY, 1));
		v = 7;
		l = sizeof(v);
		report("zc ping get", getsockopt(p, SOL_SOCKET, SO_ZEROCOPY,
						 &v, &l));
		line("zc ping value: %d", v);
		close(p);
	}
	close(u);
	close(t);
}

static void zerocopy_udp(void)
{
	int fd = sock_to(SOCK_DGRAM, false);

	if (fd < 0) {
		line("zc udp: no socket");
		return;
	}
	report("zc udp send zerocopy without SO_ZEROCOPY",
	       send(fd, "a", 1, MSG_ZEROCOPY));
	usleep(100000);
	show_empty("zc udp errqueue without SO_ZEROCOPY", fd);
	seti(fd, SO_ZEROCOPY, 1);
	report("zc udp send plain", send(fd, "a", 1, 0));
	usleep(100000);
	show_empty("zc udp errqueue after plain send", fd);
	report("zc udp send zerocopy", send(fd, "abc", 3, MSG_ZEROCOPY));
	one("zc udp first", fd);
	for (int i = 0; i < 3; i++)
		send(fd, "abc", 3, MSG_ZEROCOPY);
	covered("zc udp three more", fd, 3);
	show_empty("zc udp errqueue drained", fd);
	report("zc udp send empty zerocopy", send(fd, "", 0, MSG_ZEROCOPY));
	one("zc udp empty send", fd);
	close(fd);
}

/* A dup()ed descriptor is the same socket: its option, its counter */
static void zerocopy_dup(void)
{
	int fd = sock_to(SOCK_DGRAM, false), d, v = 0;
	socklen_t l = sizeof(v);

	if (fd < 0) {
		line("zc dup: no socket");
		return;
	}
	seti(fd, SO_ZEROCOPY, 1);
	send(fd, "a", 1, MSG_ZEROCOPY);
	one("zc dup before", fd);
	d = dup(fd);
	close(fd);
	getsockopt(d, SOL_SOCKET, SO_ZEROCOPY, &v, &l);
	line("zc dup option: %d", v);
	send(d, "a", 1, MSG_ZEROCOPY);
	one("zc dup after close", d);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	dup2(fd, d);            /* the socket's last descriptor replaced */
	v = 7;
	getsockopt(d, SOL_SOCKET, SO_ZEROCOPY, &v, &l);
	line("zc dup2 replaced option: %d", v);
	show_empty("zc dup2 replaced errqueue", d);
	close(fd);
	close(d);
}

static void zerocopy_tcp(bool v6)
{
	int fd = sock_to(SOCK_STREAM, v6);
	const char *p = v6 ? "zc tcp6" : "zc tcp";
	char name[96];
	int one_ = 1;

	if (fd < 0) {
		line("%s: no socket", p);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	snprintf(name, sizeof(name), "%s set", p);
	report(name, seti(fd, SO_ZEROCOPY, 1));
	snprintf(name, sizeof(name), "%s send empty zerocopy", p);
	report(name, send(fd, "", 0, MSG_ZEROCOPY));
	usleep(100000);
	snprintf(name, sizeof(name), "%s errqueue after empty send", p);
	show_empty(name, fd);
	snprintf(name, sizeof(name), "%s send zerocopy", p);
	report(name, send(fd, "hello", 5, MSG_ZEROCOPY));
	snprintf(name, sizeof(name), "%s first", p);
	one(name, fd);
	for (int i = 0; i < 3; i++)
		send(fd, "hello", 5, MSG_ZEROCOPY);
	snprintf(name, sizeof(name), "%s three more", p);
	covered(name, fd, 3);
	snprintf(name, sizeof(name), "%s errqueue drained", p);
	show_empty(name, fd);
	snprintf(name, sizeof(name), "%s recv errqueue", p);
	report(name, recv(fd, name, 1, MSG_ERRQUEUE | MSG_DONTWAIT));
	close(fd);
}

/* select() sees a waiting completion: readable, as Linux's POLLERR makes
 * a socket (on 7014, which sends nothing back) */
static void zerocopy_select(void)
{
	struct sockaddr_in sa = sin_of(peer, 7014);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { 2, 0 };
	struct report r;
	fd_set rd;
	int n;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		line("zc select: no connection");
		return;
	}
	seti(fd, SO_ZEROCOPY, 1);
	send(fd, "x", 1, MSG_ZEROCOPY);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	n = select(fd + 1, &rd, NULL, NULL, &tv);
	line("zc select: %d readable %d", n, n > 0 && FD_ISSET(fd, &rd));
	if (take(fd, &r))
		report("zc select report", -1);
	else
		show("zc select report", &r);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	tv = (struct timeval){ 0, 200000 };
	n = select(fd + 1, &rd, NULL, NULL, &tv);
	line("zc select after: %d", n);
	close(fd);
}

/* One epoll_wait of @ms: its count, and the first event's bits and data */
static void ep_show(const char *what, int ep, int ms)
{
	struct epoll_event ev[4];
	int n = epoll_wait(ep, ev, 4, ms);

	if (n > 0)
		line("%s: %d events 0x%x data %llu", what, n, ev[0].events,
		     (unsigned long long)ev[0].data.u64);
	else
		line("%s: %d", what, n);
}

/* epoll sees a waiting completion as EPOLLERR: level-triggered while it
 * waits, EPOLLET once per completion, EPOLLONESHOT once until armed again,
 * merged into the event of the same registration */
static void zerocopy_epoll(void)
{
	struct sockaddr_in sa = sin_of(peer, 7014);
	int fd = socket(AF_INET, SOCK_STREAM, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	struct report r;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		line("zc epoll: no connection");
		return;
	}
	seti(fd, SO_ZEROCOPY, 1);
	report("zc epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	ep_show("zc epoll before", ep, 100);
	send(fd, "x", 1, MSG_ZEROCOPY);
	ep_show("zc epoll level", ep, 2000);
	ep_show("zc epoll level again", ep, 0);
	while (!take(fd, &r))
		;
	ep_show("zc epoll taken", ep, 200);

	ev.events = EPOLLIN | EPOLLET;
	report("zc epoll mod ET", epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
	send(fd, "x", 1, MSG_ZEROCOPY);
	ep_show("zc epoll edge", ep, 2000);
	ep_show("zc epoll edge again", ep, 200);
	while (!take(fd, &r))
		;

	ev.events = EPOLLIN | EPOLLONESHOT;
	report("zc epoll mod ONESHOT", epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
	send(fd, "x", 1, MSG_ZEROCOPY);
	ep_show("zc epoll oneshot", ep, 2000);
	ep_show("zc epoll oneshot again", ep, 200);
	report("zc epoll mod rearm", epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
	ep_show("zc epoll rearmed", ep, 2000);
	while (!take(fd, &r))
		;

	ev.events = EPOLLOUT;
	report("zc epoll mod OUT", epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
	send(fd, "x", 1, MSG_ZEROCOPY);
	usleep(200000);         /* the completion is there */
	ep_show("zc epoll out", ep, 2000);
	while (!take(fd, &r))
		;
	ep_show("zc epoll out taken", ep, 200);
	report("zc epoll del", epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	send(fd, "x", 1, MSG_ZEROCOPY);
	ep_show("zc epoll deleted", ep, 200);
	close(ep);
	close(fd);
}

static int set_ts(int fd, int flags)
{
	return seti(fd, SO_TIMESTAMPING_OLD, flags);
}

static void timestamping_opts(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int v = 0, f = F_TX_SW | F_SW | F_ID | F_TSONLY;
	socklen_t l = sizeof(v);

	report("ts udp set", set_ts(u, f));
	getsockopt(u, SOL_SOCKET, SO_TIMESTAMPING_OLD, &v, &l);
	line("ts udp get: %s len %u", v == f ? "same" : "other", (unsigned)l);
	v = -1;
	l = sizeof(v);
	getsockopt(u, SOL_SOCKET, SO_TIMESTAMPING_NEW, &v, &l);
	line("ts udp get new after old: %d", v);
	{
		struct so_timestamping st = { F_RX_SW | F_SW, 0 };

		report("ts udp set struct", setsockopt(u, SOL_SOCKET,
						       SO_TIMESTAMPING_OLD,
						       &st, sizeof(st)));
		memset(&st, 0x55, sizeof(st));
		l = sizeof(st);
		getsockopt(u, SOL_SOCKET, SO_TIMESTAMPING_OLD, &st, &l);
		line("ts udp get struct: flags %s bind_phc %d len %u",
		     st.flags == (F_RX_SW | F_SW) ? "same" : "other",
		     st.bind_phc, (unsigned)l);
		l = sizeof(v);
		report("ts udp set new", seti(u, SO_TIMESTAMPING_NEW, f));
		v = -1;
		getsockopt(u, SOL_SOCKET, SO_TIMESTAMPING_NEW, &v, &l);
		line("ts udp get new after new: %s", v == f ? "same" : "other");
	}
	report("ts udp unknown flag", set_ts(u, 1 << 19));
	report("ts udp id_tcp alone", set_ts(u, F_ID_TCP));
	report("ts udp id_tcp with id", set_ts(u, F_ID_TCP | F_ID));
	report("ts udp stats alone", set_ts(u, F_STATS));
	report("ts udp stats tsonly", set_ts(u, F_STATS | F_TSONLY));
	report("ts udp bind_phc unbound", set_ts(u, F_PHC));
	report("ts udp hardware flags", set_ts(u, 0x45));
	report("ts udp clear", set_ts(u, 0));
	v = -1;
	l = sizeof(v);
	getsockopt(u, SOL_SOCKET, SO_TIMESTAMPING_OLD, &v, &l);
	line("ts udp get after clear: %d", v);
	report("ts tcp unconnected id", set_ts(t, F_ID | F_TX_SW));
	report("ts tcp unconnected no id", set_ts(t, F_TX_SW));
	close(u);
	close(t);
}

static void timestamping_udp(void)
{
	int fd = sock_to(SOCK_DGRAM, false);
	char ctl[CMSG_SPACE(sizeof(int))], b[64];
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int v = F_TX_SW;

	if (fd < 0) {
		line("ts udp: no socket");
		return;
	}
	report("ts udp tx set", set_ts(fd, F_TX_SW | F_SW | F_ID | F_TSONLY));
	send(fd, "a", 1, 0);
	one("ts udp tx 0", fd);
	send(fd, "b", 1, 0);
	one("ts udp tx 1", fd);
	show_empty("ts udp tx drained", fd);
	report("ts udp sched set", set_ts(fd, F_SCHED | F_TX_SW | F_SW |
					  F_ID | F_TSONLY));
	send(fd, "c", 1, 0);
	one("ts udp sched", fd);
	one("ts udp snd", fd);
	report("ts udp no software report", set_ts(fd, F_TX_SW | F_ID |
						   F_TSONLY));
	send(fd, "d", 1, 0);
	one("ts udp tx unreported time", fd);
	/* a send's own SO_TIMESTAMPING asks for its report */
	report("ts udp cmsg only set", set_ts(fd, F_SW | F_TSONLY));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_TIMESTAMPING_OLD;
	c->cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	report("ts udp cmsg send", sendmsg(fd, &m, 0));
	one("ts udp cmsg", fd);
	/* SCM_TS_OPT_ID: the send's own key, only with OPT_ID */
	c->cmsg_type = SCM_TS_OPT_ID;
	v = 1000;
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	report("ts udp opt_id cmsg without OPT_ID", sendmsg(fd, &m, 0));
	report("ts udp opt_id set", set_ts(fd, F_TX_SW | F_SW | F_ID |
					   F_TSONLY));
	report("ts udp opt_id cmsg", sendmsg(fd, &m, 0));
	one("ts udp opt_id key", fd);
	send(fd, "g", 1, 0);
	one("ts udp opt_id counter after", fd);
	send(fd, "e", 1, 0);
	usleep(100000);
	show_empty("ts udp no cmsg no report", fd);
	/* receive: the echoes so far, then one with RX_SOFTWARE */
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	report("ts udp rx set", set_ts(fd, F_RX_SW | F_SW));
	send(fd, "f", 1, 0);
	{
		char cb[256];
		struct iovec ri = { b, sizeof(b) };
		struct msghdr rm = { .msg_iov = &ri, .msg_iovlen = 1,
				     .msg_control = cb,
				     .msg_controllen = sizeof(cb) };
		struct pollfd p = { fd, POLLIN, 0 };
		int found = 0;

		poll(&p, 1, 2000);
		report("ts udp rx recv", recvmsg(fd, &rm, MSG_DONTWAIT));
		for (c = CMSG_FIRSTHDR(&rm); c; c = CMSG_NXTHDR(&rm, c)) {
			struct timespec ts[3];

			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SO_TIMESTAMPING_OLD)
				continue;
			memcpy(ts, CMSG_DATA(c), sizeof(ts));
			found = ts[0].tv_sec && !ts[1].tv_sec &&
				!ts[2].tv_sec ? 1 : 2;
		}
		line("ts udp rx stamp: %s", found == 1 ? "sw" :
		     found ? "odd" : "none");
	}
	close(fd);
}

/* sendmsg on a stream with control message @level/@type of @v */
static long tcp_send_cmsg(int fd, int level, int type, int v, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "abc", 3 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(ctl, 0, sizeof(ctl));
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	return sendmsg(fd, &m, 0);
}

/* TCP's control messages: SO_TIMESTAMPING's asks for a report; other
 * levels are ignored; unknown SOL_SOCKET types and bad lengths refused */
static void tcp_cmsgs(int fd)
{
	report("ts tcp cmsg only set", set_ts(fd, F_SW | F_ID | F_TSONLY));
	report("ts tcp cmsg send", tcp_send_cmsg(fd, SOL_SOCKET,
						 SO_TIMESTAMPING_OLD, F_TX_SW,
						 sizeof(int)));
	one("ts tcp cmsg", fd);
	report("ts tcp cmsg rx flag", tcp_send_cmsg(fd, SOL_SOCKET,
						    SO_TIMESTAMPING_OLD,
						    F_RX_SW, sizeof(int)));
	report("ts tcp cmsg short", tcp_send_cmsg(fd, SOL_SOCKET,
						  SO_TIMESTAMPING_OLD,
						  F_TX_SW, 2));
	report("ts tcp cmsg ip_ttl", tcp_send_cmsg(fd, SOL_IP, IP_TTL, 9,
						   sizeof(int)));
	report("ts tcp cmsg opt_id", tcp_send_cmsg(fd, SOL_SOCKET,
						   SCM_TS_OPT_ID, 5,
						   sizeof(int)));
	report("ts tcp cmsg unknown", tcp_send_cmsg(fd, SOL_SOCKET,
						    SO_KEEPALIVE, 1,
						    sizeof(int)));
	report("ts tcp cmsg credentials", tcp_send_cmsg(fd, SOL_SOCKET,
							SCM_CREDENTIALS, 0,
							sizeof(int)));
	report("ts tcp cmsg rights", tcp_send_cmsg(fd, SOL_SOCKET,
						   SCM_RIGHTS, 0,
						   sizeof(int)));
	usleep(100000);
	show_empty("ts tcp cmsg none after", fd);
}

/* IPv6 UDP: a completion and a transmit report, IPV6_RECVERR */
static void udp6(void)
{
	int fd = sock_to(SOCK_DGRAM, true);

	if (fd < 0) {
		line("udp6: no socket");
		return;
	}
	seti(fd, SO_ZEROCOPY, 1);
	report("udp6 zc send", send(fd, "abc", 3, MSG_ZEROCOPY));
	one("udp6 zc", fd);
	report("udp6 ts set", set_ts(fd, F_TX_SW | F_SW | F_ID | F_TSONLY));
	send(fd, "abc", 3, 0);
	one("udp6 ts", fd);
	close(fd);
}

/* Wait up to 2 s for @n bytes to read on @fd */
static void wait_bytes(int fd, int n)
{
	for (int i = 0; i < 200; i++) {
		int q = 0;

		if (ioctl(fd, FIONREAD, &q) == 0 && q >= n)
			return;
		usleep(10000);
	}
}

/* Is @sec within a few seconds of now? */
static const char *near_now(int64_t sec)
{
	int64_t d = sec - (int64_t)time(NULL);

	return d >= -5 && d <= 5 ? "now" : "far";
}

/* One control message a TCP read gave: its name, and its time */
static void rx_cmsg(const char *what, const struct cmsghdr *c)
{
	size_t dl = c->cmsg_len - CMSG_LEN(0);
	struct timespec ts[3];
	struct timeval tv;
	int64_t t64[2];

	if (c->cmsg_level != SOL_SOCKET) {
		line("%s: cmsg %d/%d", what, c->cmsg_level, c->cmsg_type);
		return;
	}
	switch (c->cmsg_type) {
	case SO_TIMESTAMP_OLD:
		if (dl < sizeof(tv))
			break;
		memcpy(&tv, CMSG_DATA(c), sizeof(tv));
		line("%s: SCM_TIMESTAMP %s", what, near_now(tv.tv_sec));
		return;
	case SO_TIMESTAMPNS_OLD:
		if (dl < sizeof(ts[0]))
			break;
		memcpy(ts, CMSG_DATA(c), sizeof(ts[0]));
		line("%s: SCM_TIMESTAMPNS %s", what, near_now(ts[0].tv_sec));
		return;
	case SO_TIMESTAMP_NEW:
	case SO_TIMESTAMPNS_NEW:
		if (dl < sizeof(t64))
			break;
		memcpy(t64, CMSG_DATA(c), sizeof(t64));
		line("%s: %s %s", what, c->cmsg_type == SO_TIMESTAMP_NEW ?
		     "SO_TIMESTAMP_NEW" : "SO_TIMESTAMPNS_NEW",
		     near_now(t64[0]));
		return;
	case SO_TIMESTAMPING_OLD:
		if (dl < sizeof(ts))
			break;
		memcpy(ts, CMSG_DATA(c), sizeof(ts));
		line("%s: SCM_TIMESTAMPING %s%s", what, near_now(ts[0].tv_sec),
		     ts[1].tv_sec || ts[1].tv_nsec || ts[2].tv_sec ||
		     ts[2].tv_nsec ? " hw" : "");
		return;
	}
	line("%s: cmsg SOL_SOCKET/%d of %zu bytes", what, c->cmsg_type, dl);
}

/*
 * Send @data to the echo, wait for it to come back, and read @n bytes of
 * it with recvmsg (@room bytes of control room, NULL for none): what came
 */
static void rx_read(const char *what, int fd, const char *data, size_t n,
		    size_t room, int flags)
{
	union {
		char b[512];
		struct cmsghdr align;
	} cb;
	char b[64];
	struct iovec iov = { b, n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = room ? cb.b : NULL,
			    .msg_controllen = room };
	struct cmsghdr *c;
	ssize_t got;

	if (data) {
		send(fd, data, strlen(data), 0);
		wait_bytes(fd, (int)strlen(data));
	}
	memset(&cb, 0, sizeof(cb));
	got = recvmsg(fd, &m, MSG_DONTWAIT | flags);
	if (got < 0) {
		line("%s: %s", what, errname(errno));
		return;
	}
	line("%s: %zd bytes%s, %zu control bytes", what, got,
	     m.msg_flags & MSG_CTRUNC ? ", ctrunc" : "",
	     (size_t)m.msg_controllen);
	if (!room)
		return;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		rx_cmsg(what, c);
}

/* An accepted socket has its listener's SO_ZEROCOPY and SO_TIMESTAMPING */
static void accepted(void)
{
	struct sockaddr_in sa = sin_of(self, 0);
	socklen_t l = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM, 0), c, a, v;

	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(ls, 1) || getsockname(ls, (struct sockaddr *)&sa, &l)) {
		line("accepted: no listener");
		return;
	}
	report("accepted listener zc", seti(ls, SO_ZEROCOPY, 1));
	report("accepted listener ts id", set_ts(ls, F_TX_SW | F_ID));
	report("accepted listener ts", set_ts(ls, F_TX_SW | F_SW | F_TSONLY));
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (a = accept(ls, NULL, NULL)) < 0) {
		line("accepted: no connection");
		return;
	}
	v = 7;
	l = sizeof(v);
	getsockopt(a, SOL_SOCKET, SO_ZEROCOPY, &v, &l);
	line("accepted zc: %d", v);
	v = 7;
	l = sizeof(v);
	getsockopt(a, SOL_SOCKET, SO_TIMESTAMPING_OLD, &v, &l);
	line("accepted ts: %s", v == (F_TX_SW | F_SW | F_TSONLY) ? "same" :
	     "other");
	report("accepted send", send(a, "hey", 3, MSG_ZEROCOPY));
	one("accepted first report", a);
	one("accepted second report", a);
	close(a);
	close(c);
	/* SO_TIMESTAMP is inherited too: bytes sent before the accept have
	 * a time (given a moment for Linux to turn stamping on) */
	report("accepted listener rx", seti(ls, SO_TIMESTAMP_OLD, 1));
	usleep(200000);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa))) {
		line("accepted rx: no connection");
		close(ls);
		return;
	}
	send(c, "early", 5, 0);
	usleep(100000);
	a = accept(ls, NULL, NULL);
	wait_bytes(a, 5);
	rx_read("accepted rx early", a, NULL, 5, 512, 0);
	send(c, "late", 4, 0);
	wait_bytes(a, 4);
	rx_read("accepted rx late", a, NULL, 4, 512, 0);
	close(a);
	close(c);
	close(ls);
}

static void timestamping_tcp(void)
{
	int fd = sock_to(SOCK_STREAM, false), one_ = 1;

	if (fd < 0) {
		line("ts tcp: no socket");
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	report("ts tcp connected id", set_ts(fd, F_TX_SW | F_SW | F_ID |
					     F_TSONLY));
	send(fd, "0123456789", 10, 0);
	one("ts tcp tx 10 bytes", fd);
	send(fd, "01234", 5, 0);
	one("ts tcp tx 5 more", fd);
	show_empty("ts tcp drained", fd);
	tcp_cmsgs(fd);
	close(fd);
}

/* A connection to the sink (7014, which sends nothing back), Nagle off:
 * each send its own segment, so that Linux marks each in its own skb */
static int sink_conn(void)
{
	struct sockaddr_in sa = sin_of(peer, 7014);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one_ = 1;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	return fd;
}

/* @n reports, each waited for with poll (POLLERR) and shown */
static void reports(const char *what, int fd, int n)
{
	char name[128];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s %d", what, i);
		one(name, fd);
	}
}

/* TX_ACK: an SCM_TSTAMP_ACK report (info 2) when the peer acknowledges
 * the send's last byte, keyed as its SND report */
static void timestamping_tcp_ack(void)
{
	int fd = sink_conn();

	if (fd < 0) {
		line("ts tcp ack: no connection");
		return;
	}
	report("ts tcp ack set", set_ts(fd, F_TX_ACK | F_SW | F_ID |
					F_TSONLY));
	report("ts tcp ack send", send(fd, "hello", 5, 0));
	reports("ts tcp ack one send", fd, 1);
	show_empty("ts tcp ack drained", fd);
	/* SCHED and SND first, then the ACK, all with the send's key */
	report("ts tcp ack all set", set_ts(fd, F_SCHED | F_TX_SW | F_TX_ACK |
					    F_SW | F_ID | F_TSONLY));
	report("ts tcp ack all send", send(fd, "0123456789", 10, 0));
	reports("ts tcp ack all", fd, 3);
	show_empty("ts tcp ack all drained", fd);
	/* several sends, one report each, in order */
	report("ts tcp ack only set", set_ts(fd, F_TX_ACK | F_SW | F_ID |
					     F_TSONLY));
	send(fd, "abc", 3, 0);
	send(fd, "defg", 4, 0);
	send(fd, "hi", 2, 0);
	reports("ts tcp ack three sends", fd, 3);
	show_empty("ts tcp ack three drained", fd);
	/* asked by the send's own control message only; a plain send after
	 * it asks for nothing */
	report("ts tcp ack cmsg set", set_ts(fd, F_SW | F_ID | F_TSONLY));
	report("ts tcp ack cmsg send", tcp_send_cmsg(fd, SOL_SOCKET,
						     SO_TIMESTAMPING_OLD,
						     F_TX_ACK, sizeof(int)));
	reports("ts tcp ack cmsg", fd, 1);
	send(fd, "xy", 2, 0);
	usleep(100000);
	show_empty("ts tcp ack cmsg none after", fd);
	close(fd);
}

/* select and epoll wait for the acknowledgement too */
static void timestamping_tcp_ack_wait(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
	struct timeval tv = { 2, 0 };
	struct report r;
	fd_set rd;
	int fd = sink_conn(), ep, n;

	if (fd < 0) {
		line("ts tcp ack wait: no connection");
		return;
	}
	set_ts(fd, F_TX_ACK | F_SW | F_ID | F_TSONLY);
	send(fd, "select", 6, 0);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	n = select(fd + 1, &rd, NULL, NULL, &tv);
	line("ts tcp ack select: %d readable %d", n,
	     n > 0 && FD_ISSET(fd, &rd));
	if (take(fd, &r))
		report("ts tcp ack select report", -1);
	else
		show("ts tcp ack select report", &r);

	ep = epoll_create1(0);
	report("ts tcp ack epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	ep_show("ts tcp ack epoll before", ep, 100);
	send(fd, "epoll", 5, 0);
	ep_show("ts tcp ack epoll", ep, 2000);
	if (take(fd, &r))
		report("ts tcp ack epoll report", -1);
	else
		show("ts tcp ack epoll report", &r);
	ep_show("ts tcp ack epoll taken", ep, 200);
	close(ep);
	close(fd);
}

static void timestamping_tcp_rx(void)
{
	int fd = sock_to(SOCK_STREAM, false), one_ = 1;
	/* Linux stamps packets only while some socket asks, and turns that
	 * on for the whole host lazily (net_enable_timestamp() defers it to
	 * a work item): a packet that comes right after the first socket
	 * asked has no time. This one asks throughout, a moment ahead. */
	int keep = socket(AF_INET, SOCK_DGRAM, 0);
	char b[8];

	if (fd < 0 || keep < 0) {
		line("ts tcp rx: no socket");
		return;
	}
	seti(keep, SO_TIMESTAMP_OLD, 1);
	usleep(200000);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	rx_read("tcp rx none", fd, "ab", 2, 512, 0);
	report("tcp rx timestamp set", seti(fd, SO_TIMESTAMP_OLD, 1));
	rx_read("tcp rx timestamp", fd, "cd", 2, 512, 0);
	report("tcp rx timestampns set", seti(fd, SO_TIMESTAMPNS_OLD, 1));
	rx_read("tcp rx timestampns", fd, "ef", 2, 512, 0);
	report("tcp rx timestamp_new set", seti(fd, SO_TIMESTAMP_NEW, 1));
	rx_read("tcp rx timestamp_new", fd, "gh", 2, 512, 0);
	report("tcp rx timestampns_new set", seti(fd, SO_TIMESTAMPNS_NEW, 1));
	rx_read("tcp rx timestampns_new", fd, "ij", 2, 512, 0);
	/* SO_TIMESTAMPING alone, then with SO_TIMESTAMP: that one first */
	report("tcp rx timestamp off", seti(fd, SO_TIMESTAMPNS_OLD, 0));
	report("tcp rx timestamping set", set_ts(fd, F_RX_SW | F_SW));
	rx_read("tcp rx timestamping", fd, "kl", 2, 512, 0);
	report("tcp rx both set", seti(fd, SO_TIMESTAMP_OLD, 1));
	rx_read("tcp rx both", fd, "mn", 2, 512, 0);
	/* room for the first only (the second cut short), for none */
	rx_read("tcp rx room for one", fd, "op", 2,
		CMSG_SPACE(sizeof(struct timeval)) + CMSG_LEN(0) + 8, 0);
	rx_read("tcp rx no room", fd, "qr", 2, 0, 0);
	/* a recv() has no control room; the recvmsg after it a time */
	send(fd, "stu", 3, 0);
	wait_bytes(fd, 3);
	report("tcp rx recv", recv(fd, b, 1, MSG_DONTWAIT));
	rx_read("tcp rx after recv", fd, NULL, 1, 512, 0);
	rx_read("tcp rx peek", fd, NULL, 1, 512, MSG_PEEK);
	rx_read("tcp rx after peek", fd, NULL, 1, 512, 0);
	/* nothing to read: no time */
	rx_read("tcp rx empty", fd, NULL, 1, 512, 0);
	/* all off */
	report("tcp rx timestamp off again", seti(fd, SO_TIMESTAMP_OLD, 0));
	report("tcp rx timestamping off", set_ts(fd, 0));
	rx_read("tcp rx off", fd, "vw", 2, 512, 0);
	close(fd);
	close(keep);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: errqueue PEER SELF PEER6 SELF6\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	peer6 = argv[3];
	zerocopy_opts();
	zerocopy_udp();
	zerocopy_dup();
	zerocopy_tcp(false);
	zerocopy_tcp(true);
	zerocopy_select();
	zerocopy_epoll();
	timestamping_opts();
	timestamping_udp();
	timestamping_tcp();
	timestamping_tcp_ack();
	timestamping_tcp_ack_wait();
	timestamping_tcp_rx();
	udp6();
	accepted();
	return 0;
}
