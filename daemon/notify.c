/* SPDX-License-Identifier: MIT */
/*
 * notify.c - tell systemd how we are: READY=1, STATUS=..., WATCHDOG=1
 *
 * The protocol is one datagram of newline-separated assignments sent to
 * the AF_UNIX socket named by $NOTIFY_SOCKET (a leading '@' means the
 * abstract namespace). It is small enough that we speak it ourselves
 * rather than link libsystemd. Without $NOTIFY_SOCKET every call is a
 * no-op, so the daemon runs the same with or without a service manager.
 */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

/**
 * notify_init() - open the socket to the service manager, if there is one
 *
 * Return: 1 if $NOTIFY_SOCKET is set and usable, 0 if not set, -errno
 */
int notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if (len >= sizeof(notify_addr.sun_path) ||
	    (path[0] != '/' && path[0] != '@'))
		return -EINVAL;
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				 (path[0] == '@' ? 0 : 1));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return notify_fd < 0 ? -errno : 1;
}

/**
 * notify_send() - send one notification, e.g. "READY=1\nSTATUS=serving"
 * @fmt: printf format of the assignments
 *
 * Return: 0 (also when there is no service manager), or -errno
 */
int notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (notify_fd < 0)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	if (sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL,
		   (struct sockaddr *)&notify_addr, notify_len) < 0)
		return -errno;
	return 0;
}

/**
 * notify_watchdog_usec() - the watchdog interval systemd asked for
 *
 * Return: microseconds from $WATCHDOG_USEC when it is meant for this
 * process ($WATCHDOG_PID unset or ours), else 0
 */
uint64_t notify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (!usec || notify_fd < 0)
		return 0;
	if (pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || v == 0)
		return 0;
	return v;
}

void notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
