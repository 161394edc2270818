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
	E(EPERM) E(ENOTTY) E(ECONNABORTED)
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
