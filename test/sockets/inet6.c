/* SPDX-License-Identifier: MIT */
/*
 * inet6 - AF_INET6 as on a Linux kernel booted with ipv6.disable=1, which
 * is how ustack answers until it has IPv6: socket() and socketpair() fail
 * with EAFNOSUPPORT (EINVAL first for bad flags or type); an AF_INET
 * socket given an AF_INET6 address fails with EAFNOSUPPORT and refuses
 * IPPROTO_IPV6 options; getaddrinfo() sorts "::" after 0.0.0.0 (its probe
 * socket fails) and, with AI_ADDRCONFIG and no IPv6 address, leaves it
 * out; a server that binds every passive address, as asyncio, redis,
 * mosquitto and sshd do, skips "::" and listens on IPv4.
 *   inet6 PEER SELF   (peer: UDP and TCP echo on 7007)
 *
 * The comparison cannot be kernel to kernel as for the other programs: a
 * namespace with net.ipv6.conf.all.disable_ipv6=1 still creates AF_INET6
 * sockets. So the expected lines are in inet6.expected, written from
 * Linux's code (net/socket.c __sock_create(), net/ipv6/af_inet6.c
 * inet6_init(), net/ipv4/af_inet.c inet_bind(), tcp_v4_connect(),
 * udp_sendmsg(), ip_setsockopt()/ip_getsockopt()) and glibc's getaddrinfo
 * (rfc3484_sort's probe, __check_pf), and 30-sockets.sh also runs this
 * program on the kernel under noinet6, which fails socket() for AF_INET6
 * as that kernel does; both outputs must equal the expected lines.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

static const char *peer;

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
		{ 12, 0, "type 12" },
		{ SOCK_STREAM | 0x400000, 0, "an unknown flag" },
	};
	char what[128];
	int sv[2];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int fd = socket(AF_INET6, t[i].type, t[i].protocol);

		snprintf(what, sizeof(what), "socket(AF_INET6, %s)", t[i].name);
		report(what, fd);
		if (fd >= 0)
			close(fd);
	}
	report("socketpair(AF_INET6, SOCK_STREAM)",
	       socketpair(AF_INET6, SOCK_STREAM, 0, sv));
	report("socketpair(AF_INET6, SOCK_DGRAM)",
	       socketpair(AF_INET6, SOCK_DGRAM, 0, sv));
	report("socketpair(AF_INET, SOCK_STREAM)",
	       socketpair(AF_INET, SOCK_STREAM, 0, sv));
}

/* An AF_INET socket and AF_INET6 addresses and options */
static void inet_socket(int type, const char *name)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(7400) };
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6,
				       .sin6_port = htons(7007) };
	struct sockaddr_in p4 = sin_of(peer, 7007);
	int fd = socket(AF_INET, type, 0), v = 1;
	socklen_t l = sizeof(v);
	char what[128];

	mapped.sin6_addr.s6_addr[10] = mapped.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&mapped.sin6_addr.s6_addr[12], &p4.sin_addr, 4);
	snprintf(what, sizeof(what), "%s: bind to [::]:7400", name);
	report(what, bind(fd, (void *)&any6, sizeof(any6)));
	snprintf(what, sizeof(what), "%s: connect to the peer v4-mapped", name);
	report(what, connect(fd, (void *)&mapped, sizeof(mapped)));
	if (type == SOCK_DGRAM) {
		snprintf(what, sizeof(what), "%s: sendto the peer v4-mapped",
			 name);
		report(what, sendto(fd, "x", 1, 0, (void *)&mapped,
				    sizeof(mapped)));
	}
	snprintf(what, sizeof(what), "%s: setsockopt IPV6_V6ONLY", name);
	report(what, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
	snprintf(what, sizeof(what), "%s: getsockopt IPV6_V6ONLY", name);
	report(what, getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l));
	close(fd);
}

static void families(const char *what, const char *host, int flags)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = flags }, *res, *r;
	char out[256] = "";
	int rc = getaddrinfo(host, "7007", &hints, &res);

	if (rc) {
		line("%s: %s", what, gai_strerror(rc));
		return;
	}
	for (r = res; r; r = r->ai_next) {
		char a[64];

		ntop(r->ai_addr, a, sizeof(a));
		snprintf(out + strlen(out), sizeof(out) - strlen(out), " %s", a);
	}
	freeaddrinfo(res);
	line("%s:%s", what, out);
}

/*
 * What asyncio.start_server(host=None), mosquitto's listener, redis's
 * "bind * -::*" and sshd do: a socket for every passive address
 * getaddrinfo() gives, IPV6_V6ONLY on the IPv6 one, bind, listen; a
 * socket() that fails is skipped.
 */
static void server_on_every_address(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *res, *r;
	int fds[4], n = 0, one = 1;

	if (getaddrinfo(NULL, "7301", &hints, &res)) {
		line("getaddrinfo failed");
		return;
	}
	for (r = res; r && n < 4; r = r->ai_next) {
		char a[64];
		int fd = socket(r->ai_family, r->ai_socktype, r->ai_protocol);

		ntop(r->ai_addr, a, sizeof(a));
		if (fd < 0) {
			line("server: socket for %s: %s, skipped", a,
			     errname(errno));
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (r->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				   sizeof(one));
		if (bind(fd, r->ai_addr, r->ai_addrlen) || listen(fd, 4)) {
			line("server: %s: %s", a, errname(errno));
			close(fd);
			continue;
		}
		line("server: listening on %s", a);
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	line("server: %d listener(s)", n);
	while (n > 0)
		close(fds[--n]);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: inet6 PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	sockets();
	inet_socket(SOCK_STREAM, "AF_INET TCP");
	inet_socket(SOCK_DGRAM, "AF_INET UDP");
	families("getaddrinfo passive, AI_ADDRCONFIG", NULL,
		 AI_PASSIVE | AI_ADDRCONFIG);
	families("getaddrinfo passive", NULL, AI_PASSIVE);
	server_on_every_address();
	return 0;
}
