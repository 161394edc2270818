/* SPDX-License-Identifier: MIT */
/*
 * sockbuf - SO_RCVBUF and SO_SNDBUF as Linux has them, on UDP and TCP: the
 * value capped at net.core.rmem_max/wmem_max, doubled, raised to the
 * minimum (2304 receive, 4608 send); a negative value is taken as huge;
 * SO_*BUFFORCE beyond the cap for root, EPERM for others; a listener's
 * sizes pass to the connections it accepts; growing a connected socket's
 * buffer.
 *   sockbuf PEER SELF   (peer: echo 7007, connect-back 7012)
 *
 * The caps are read from /proc/sys/net/core and sizes are printed relative
 * to them, so the lines are the same on every machine; under ustack-run
 * the daemon must have been started with --rmem-max and --wmem-max set to
 * the same values (test/integration/30-sockets.sh does that).
 */
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static const char *peer, *self;
static long rmem_max, wmem_max;

static long proc_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* a size as a line can show it on any machine */
static const char *rel(long v, long max)
{
	static char s[64];

	if (v == 2 * max)
		return "2*max";
	if (v > 2 * max)
		snprintf(s, sizeof(s), "2*max+%ld", v - 2 * max);
	else if (v > 65536)
		snprintf(s, sizeof(s), "2*max-%ld", 2 * max - v);
	else
		snprintf(s, sizeof(s), "%ld", v);
	return s;
}

/* set @name to @val (shown as @shown) on @fd, print what reads back */
static void try_size(const char *proto, const char *optname, int fd,
		     int name, long val, const char *shown, long max)
{
	int v = (int)val, out = -1;
	socklen_t l = sizeof(out);
	int opt = name == SO_RCVBUFFORCE ? SO_RCVBUF :
		  name == SO_SNDBUFFORCE ? SO_SNDBUF : name;
	char label[128], num[32];

	if (!shown) {
		snprintf(num, sizeof(num), "%ld", val);
		shown = num;
	}
	snprintf(label, sizeof(label), "%s %s %s", proto, optname, shown);
	if (setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v))) {
		report(label, -1);
		return;
	}
	getsockopt(fd, SOL_SOCKET, opt, &out, &l);
	line("%s: reads %s", label, rel(out, max));
}

static void sizes(const char *p, int type)
{
	static const long fixed[] = { 0, 1, 1000, 2304, 4096, 100000, -1,
				      INT_MAX };
	int fd = socket(AF_INET, type, 0), v = 0;
	socklen_t l = sizeof(v);
	char what[64];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		try_size(p, "SO_RCVBUF", fd, SO_RCVBUF, fixed[i], NULL,
			 rmem_max);
		try_size(p, "SO_SNDBUF", fd, SO_SNDBUF, fixed[i], NULL,
			 wmem_max);
	}
	try_size(p, "SO_RCVBUF", fd, SO_RCVBUF, rmem_max / 2, "max/2",
		 rmem_max);
	try_size(p, "SO_RCVBUF", fd, SO_RCVBUF, rmem_max, "max", rmem_max);
	try_size(p, "SO_RCVBUF", fd, SO_RCVBUF, rmem_max + 1, "max+1",
		 rmem_max);
	try_size(p, "SO_RCVBUF", fd, SO_RCVBUF, 2 * rmem_max, "2*max",
		 rmem_max);
	try_size(p, "SO_SNDBUF", fd, SO_SNDBUF, wmem_max / 2, "max/2",
		 wmem_max);
	try_size(p, "SO_SNDBUF", fd, SO_SNDBUF, wmem_max + 1, "max+1",
		 wmem_max);
	try_size(p, "SO_RCVBUFFORCE", fd, SO_RCVBUFFORCE, 2 * rmem_max,
		 "2*max", rmem_max);
	try_size(p, "SO_RCVBUFFORCE", fd, SO_RCVBUFFORCE, -1, NULL, rmem_max);
	try_size(p, "SO_SNDBUFFORCE", fd, SO_SNDBUFFORCE, wmem_max + 1,
		 "max+1", wmem_max);
	snprintf(what, sizeof(what), "%s getsockopt SO_RCVBUFFORCE", p);
	report(what, getsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, &l));
	close(fd);
}

/* SO_*BUFFORCE needs CAP_NET_ADMIN: not for uid 65534 */
static void force_unprivileged(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd, v = 100000;

		if (setgid(65534) || setuid(65534))
			_exit(1);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		report("SO_RCVBUFFORCE as uid 65534",
		       setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)));
		report("SO_SNDBUFFORCE as uid 65534",
		       setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)));
		report("SO_RCVBUF as uid 65534",
		       setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
		_exit(0);
	}
	waitpid(pid, &st, 0);
}

static int readback(int fd, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	getsockopt(fd, SOL_SOCKET, name, &v, &l);
	return v;
}

/* A listener's sizes pass to what it accepts; a connected socket grows */
static void tcp_inherit_and_grow(void)
{
	struct sockaddr_in sa = sin_of("0.0.0.0", 7302), to = sin_of(peer, 7012);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, a, v, one = 1;
	char req[64];

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	v = 50000;
	setsockopt(l, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	v = 60000;
	setsockopt(l, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (bind(l, (void *)&sa, sizeof(sa)) || listen(l, 4)) {
		line("listen 7302: %s", errname(errno));
		return;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&to, sizeof(to))) {
		line("connect 7012: %s", errname(errno));
		return;
	}
	snprintf(req, sizeof(req), "%s 7302\n", self);
	if (send(c, req, strlen(req), 0) < 0)
		line("send: %s", errname(errno));
	a = accept(l, NULL, NULL);
	report("accept", a);
	line("accepted: SO_RCVBUF %d SO_SNDBUF %d", readback(a, SO_RCVBUF),
	     readback(a, SO_SNDBUF));
	v = 150000;
	report("connected: SO_RCVBUF 150000",
	       setsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	line("connected: SO_RCVBUF reads %d", readback(c, SO_RCVBUF));
	v = 150000;
	report("connected: SO_SNDBUF 150000",
	       setsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	line("connected: SO_SNDBUF reads %d", readback(c, SO_SNDBUF));
	close(a);
	close(c);
	close(l);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sockbuf PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	rmem_max = proc_long("/proc/sys/net/core/rmem_max");
	wmem_max = proc_long("/proc/sys/net/core/wmem_max");
	if (rmem_max < 65536 || wmem_max < 65536 || rmem_max > INT_MAX / 4 ||
	    wmem_max > INT_MAX / 4) {
		line("net.core.rmem_max/wmem_max unusable here: %ld %ld",
		     rmem_max, wmem_max);
		return 1;
	}
	sizes("udp", SOCK_DGRAM);
	sizes("tcp", SOCK_STREAM);
	force_unprivileged();
	tcp_inherit_and_grow();
	return 0;
}
