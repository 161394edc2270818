/* SPDX-License-Identifier: MIT */
/*
 * common.h - helpers for the socket test programs
 *
 * Each program prints one line per check, "name: result", with nothing in
 * it that differs between runs (no ports, no times), so that a run under
 * ustack-run and a run on the kernel can be compared line by line.
 */
#ifndef USTACK_SOCKTEST_COMMON_H
#define USTACK_SOCKTEST_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
#define E(x) case x: return #x;
	E(EAGAIN) E(EACCES) E(EADDRINUSE) E(EADDRNOTAVAIL) E(EAFNOSUPPORT)
	E(EALREADY) E(EBADF) E(ECONNREFUSED) E(ECONNRESET) E(EDESTADDRREQ)
	E(EFAULT) E(EHOSTUNREACH) E(EINPROGRESS) E(EINTR) E(EINVAL)
	E(EISCONN) E(EMSGSIZE) E(ENETUNREACH) E(ENOBUFS) E(ENOPROTOOPT)
	E(ENOTCONN) E(ENOTSOCK) E(EOPNOTSUPP) E(EPIPE) E(ETIMEDOUT)
	E(EPERM) E(ENOTTY) E(ECONNABORTED) E(EPROTO) E(EREMOTEIO) E(ENODEV)
	E(EHOSTDOWN) E(EPROTONOSUPPORT)
#undef E
	}
	return "E?";
}

/* "name: " + errno name of a -1 result, or "ok" */
static inline void report(const char *name, long rc)
{
	printf("%s: %s\n", name, rc < 0 ? errname(errno) : "ok");
	fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2))) void line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* The name of the interface (not lo) whose IPv4 subnet holds @peer, into
 * @name (IFNAMSIZ bytes): the link to the peer, whatever the run calls it.
 * Needs <ifaddrs.h> and <net/if.h>. Return: 0, or -1 if none */
static inline int link_of(const char *peer, char *name)
{
	struct ifaddrs *ifa0, *ifa;
	struct in_addr p;

	name[0] = 0;
	inet_pton(AF_INET, peer, &p);
	if (getifaddrs(&ifa0))
		return -1;
	for (ifa = ifa0; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_in *a = (const void *)ifa->ifa_addr;
		const struct sockaddr_in *m = (const void *)ifa->ifa_netmask;

		if (a && m && a->sin_family == AF_INET &&
		    !((a->sin_addr.s_addr ^ p.s_addr) & m->sin_addr.s_addr) &&
		    strcmp(ifa->ifa_name, "lo"))
			snprintf(name, IFNAMSIZ, "%s", ifa->ifa_name);
	}
	freeifaddrs(ifa0);
	return name[0] ? 0 : -1;
}

static inline struct sockaddr_in sin_of(const char *ip, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static inline const char *ntop(const struct sockaddr *sa, char *buf,
			       size_t len)
{
	char ip[64];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%d", ip, ntohs(s->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%d", ip, ntohs(s->sin6_port));
	} else {
		snprintf(buf, len, "family %d", sa->sa_family);
	}
	return buf;
}

#endif
