/* SPDX-License-Identifier: MIT */
/*
 * fd_reuse - a socket closed where an interposer cannot see it, its number
 * taken by something else: that something must behave as itself. libc
 * closes getaddrinfo()'s probe socket and the resolver's UDP socket with
 * its internal close; a program may fclose() an fdopen()ed socket, make
 * the close system call itself, or closefrom(). After each, a pipe, an
 * AF_UNIX socketpair or a listener takes the lowest free number, and
 * every call on it must be the kernel's.
 *   fd_reuse PEER SELF   (peer: UDP and TCP echo on 7007, no DNS on 53)
 */
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"

static const char *peer;

/* a pipe on the lowest free numbers: does it carry bytes? */
static void pipe_works(const char *after)
{
	int p[2];
	char b[8] = "";
	char what[160];

	snprintf(what, sizeof(what), "%s: a pipe", after);
	if (pipe(p)) {
		report(what, -1);
		return;
	}
	if (write(p[1], "pipe", 4) != 4 || read(p[0], b, sizeof(b)) != 4)
		report(what, -1);
	else
		line("%s carries: %.4s", what, b);
	close(p[0]);
	close(p[1]);
}

/* an AF_UNIX datagram pair on the lowest free numbers: the kernel's? */
static void unix_pair_works(const char *after)
{
	struct sockaddr_un me;
	socklen_t l = sizeof(me);
	int sv[2], type = 0;
	socklen_t tl = sizeof(type);
	char b[16] = "";
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		report("socketpair", -1);
		return;
	}
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &tl);
	line("%s: AF_UNIX pair, SO_TYPE dgram: %d", after, type == SOCK_DGRAM);
	report("  getsockname", getsockname(sv[0], (void *)&me, &l));
	line("  family: %d", me.sun_family == AF_UNIX);
	report("  sendto the pair", sendto(sv[1], "unix", 4, 0, NULL, 0));
	n = recvfrom(sv[0], b, sizeof(b), 0, NULL, NULL);
	line("  recvfrom: %zd %.*s", n, (int)(n > 0 ? n : 0), b);
	report("  sendmsg with no name", send(sv[0], "back", 4, 0));
	n = read(sv[1], b, sizeof(b));
	line("  read: %zd %.*s", n, (int)(n > 0 ? n : 0), b);
	close(sv[0]);
	close(sv[1]);
}

/* an AF_UNIX stream listener on the lowest free number */
static void unix_listener_works(const char *after)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c, s;
	socklen_t al;

	/* abstract name, unique to this process */
	al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			 (size_t)snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1,
					  "fd_reuse.%d", (int)getpid()));
	report("  bind AF_UNIX", bind(l, (void *)&a, al));
	report("  listen AF_UNIX", listen(l, 1));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	report("  connect AF_UNIX", connect(c, (void *)&a, al));
	s = accept(l, NULL, NULL);
	line("%s: AF_UNIX accept: %s", after, s >= 0 ? "ok" : errname(errno));
	close(s);
	close(c);
	close(l);
}

static void after_getaddrinfo(void)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM }, *res = NULL;
	int rc = getaddrinfo(NULL, "2222", &hints, &res);

	line("getaddrinfo NULL 2222 passive: %s", rc ? gai_strerror(rc) : "ok");
	if (res)
		freeaddrinfo(res);
	pipe_works("after getaddrinfo");
	rc = getaddrinfo(NULL, "2222", &hints, &res);
	if (res)
		freeaddrinfo(res);
	unix_pair_works("after getaddrinfo");
}

/* the resolver's UDP socket, asking the peer, where nothing serves DNS */
static void after_resolver(void)
{
	unsigned char ans[512];
	struct sockaddr_in ns = sin_of(peer, 53);

	res_init();
	_res.nscount = 1;
	_res.nsaddr_list[0] = ns;
	_res.retrans = 1;
	_res.retry = 1;
	line("res_query with no server: %s",
	     res_query("nothing.invalid", C_IN, T_A, ans, sizeof(ans)) < 0 ?
	     "fails" : "answered");
	pipe_works("after the resolver");
	res_query("nothing.invalid", C_IN, T_A, ans, sizeof(ans));
	unix_listener_works("after the resolver");
}

static int udp_connected(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	connect(fd, (void *)&to, sizeof(to));
	return fd;
}

static void after_fclose(void)
{
	int fd = udp_connected();
	FILE *f = fdopen(fd, "r+");

	line("fdopen a UDP socket: %s", f ? "ok" : errname(errno));
	if (f)
		fclose(f);              /* libc's own close */
	unix_pair_works("after fclose");
}

static void after_raw_close(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	report("TCP connect", connect(fd, (void *)&to, sizeof(to)));
	syscall(SYS_close, fd);
	pipe_works("after close(2) of a TCP socket");
	fd = socket(AF_INET, SOCK_STREAM, 0);  /* never connected */
	syscall(SYS_close, fd);
	pipe_works("after close(2) of an unconnected TCP socket");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	listen(fd, 1);
	syscall(SYS_close_range, fd, fd, 0);
	unix_listener_works("after close_range(2) of a listener");
}

/* closefrom() takes libustack's own connection to the daemon with it */
static void after_closefrom(void)
{
	int fd = udp_connected(), p[2];
	char b[16];
	ssize_t n;

	send(fd, "one", 3, 0);
	n = recv(fd, b, sizeof(b), 0);
	line("UDP echo: %zd", n);
	closefrom(3);
	/* numbers from 3 on are free again, and taken */
	if (pipe(p) == 0 && pipe(p) == 0)
		line("two pipes after closefrom: ok");
	pipe_works("after closefrom");
	fd = udp_connected();
	report("a new UDP socket: send", send(fd, "two", 3, 0));
	n = recv(fd, b, sizeof(b), 0);
	line("  recv: %zd %.*s", n, (int)(n > 0 ? n : 0), b);
	closefrom(3);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fd_reuse PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	after_getaddrinfo();
	after_resolver();
	after_fclose();
	after_raw_close();
	after_closefrom();
	return 0;
}
