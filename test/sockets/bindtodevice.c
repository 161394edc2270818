/* SPDX-License-Identifier: MIT */
/*
 * bindtodevice - SO_BINDTODEVICE and SO_BINDTOIFINDEX on TCP and UDP
 * sockets: the link's name (the interface whose subnet holds PEER, which
 * is another name on the kernel and on ustack, so only compared, never
 * printed) and "lo" bind, "" or no value unbind, another name is ENODEV,
 * getsockopt gives the name (length 0 when unbound, EINVAL for a buffer
 * shorter than IFNAMSIZ); a socket bound to the link still reaches PEER;
 * as uid 65534 binding an unbound socket is allowed, changing or removing
 * the binding is EPERM (CAP_NET_RAW).
 *   bindtodevice PEER SELF
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

static const char *peer;
static char link_name[IFNAMSIZ];

static int bind_dev(int fd, const char *name, socklen_t len)
{
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, len);
}

/* "what: the link" / "lo" / "none (len 0)" / "other" / an errno */
static void show_dev(const char *p, const char *what, int fd, socklen_t len)
{
	char name[64] = "";
	socklen_t l = len;
	int rc = getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &l);

	if (rc < 0)
		line("%s %s: %s", p, what, errname(errno));
	else if (l == 0)
		line("%s %s: none (len 0)", p, what);
	else if (!strcmp(name, link_name) && l == strlen(link_name) + 1)
		line("%s %s: the link", p, what);
	else if (!strcmp(name, "lo") && l == 3)
		line("%s %s: lo", p, what);
	else
		line("%s %s: other (len %u)", p, what, (unsigned)l);
}

static void show_index(const char *p, const char *what, int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);
	int rc = getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &v, &l);

	if (rc < 0)
		line("%s %s: %s", p, what, errname(errno));
	else
		line("%s %s: %s", p, what,
		     v == 0 ? "0" : v == (int)if_nametoindex(link_name) ?
		     "the link's index" : v == (int)if_nametoindex("lo") ?
		     "lo's index" : "other");
}

static void bind_index(const char *p, const char *what, int fd, int v,
		       socklen_t len)
{
	char n[96];

	snprintf(n, sizeof(n), "%s SO_BINDTOIFINDEX %s", p, what);
	report(n, setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &v, len));
}

static void by_name(const char *p, int fd)
{
	char n[96];
	char junk[24] = { 0 };

	show_dev(p, "unbound", fd, IFNAMSIZ);
	show_dev(p, "unbound, buffer 0", fd, 0);
	show_index(p, "SO_BINDTOIFINDEX unbound", fd);
	snprintf(n, sizeof(n), "%s bind nosuch0", p);
	report(n, bind_dev(fd, "nosuch0", 8));
	snprintf(n, sizeof(n), "%s bind the link", p);
	report(n, bind_dev(fd, link_name, (socklen_t)strlen(link_name)));
	show_dev(p, "bound", fd, IFNAMSIZ);
	show_dev(p, "bound, buffer 15", fd, 15);
	show_index(p, "SO_BINDTOIFINDEX bound", fd);
	snprintf(n, sizeof(n), "%s rebind lo", p);
	report(n, bind_dev(fd, "lo", 3));
	show_dev(p, "rebound", fd, IFNAMSIZ);
	snprintf(n, sizeof(n), "%s unbind \"\"", p);
	report(n, bind_dev(fd, "", 1));
	show_dev(p, "unbound again", fd, IFNAMSIZ);
	/* the name ends at its NUL; what follows is ignored */
	snprintf(junk, sizeof(junk), "%s", link_name);
	memset(junk + strlen(link_name) + 1, 'x',
	       sizeof(junk) - strlen(link_name) - 1);
	snprintf(n, sizeof(n), "%s bind the link, NUL then junk", p);
	report(n, bind_dev(fd, junk, sizeof(junk)));
	show_dev(p, "bound by the long value", fd, IFNAMSIZ);
	snprintf(n, sizeof(n), "%s unbind with optlen 0", p);
	report(n, bind_dev(fd, NULL, 0));
	show_dev(p, "unbound by optlen 0", fd, IFNAMSIZ);
}

static void by_index(const char *p, int fd)
{
	bind_index(p, "-1", fd, -1, sizeof(int));
	bind_index(p, "2-byte value", fd, 1, 2);
	bind_index(p, "the link's", fd, (int)if_nametoindex(link_name),
		   sizeof(int));
	show_dev(p, "bound by index", fd, IFNAMSIZ);
	show_index(p, "SO_BINDTOIFINDEX", fd);
	bind_index(p, "0", fd, 0, sizeof(int));
	show_dev(p, "unbound by index 0", fd, IFNAMSIZ);
}

/* A TCP socket bound to the link connects to PEER and echoes */
static void bound_connect(void)
{
	struct sockaddr_in sa = sin_of(peer, 7007);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[8] = "";

	report("tcp bound to the link",
	       bind_dev(fd, link_name, (socklen_t)strlen(link_name) + 1));
	report("tcp bound: connect", connect(fd, (struct sockaddr *)&sa,
					      sizeof(sa)));
	report("tcp bound: send", send(fd, "dev", 3, MSG_NOSIGNAL));
	line("tcp bound: echo %zd", recv(fd, buf, 3, MSG_WAITALL));
	close(fd);
}

static void unprivileged(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(1);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		report("uid 65534: bind the link",
		       bind_dev(fd, link_name, (socklen_t)strlen(link_name)));
		report("uid 65534: rebind lo", bind_dev(fd, "lo", 3));
		report("uid 65534: unbind", bind_dev(fd, "", 1));
		report("uid 65534: unbind by index 0",
		       setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX,
				  &(int){ 0 }, sizeof(int)));
		show_dev("uid 65534:", "still", fd, IFNAMSIZ);
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		report("uid 65534: bind by index",
		       setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX,
				  &(int){ (int)if_nametoindex(link_name) },
				  sizeof(int)));
		show_dev("uid 65534:", "tcp", fd, IFNAMSIZ);
		close(fd);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	line("uid 65534 child exit: %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: bindtodevice PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	if (link_of(peer, link_name)) {
		line("no interface holds %s", peer);
		return 1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	by_name("tcp", fd);
	by_index("tcp", fd);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	by_name("udp", fd);
	by_index("udp", fd);
	close(fd);
	bound_connect();
	unprivileged();
	return 0;
}
