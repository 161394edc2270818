/* SPDX-License-Identifier: MIT */
/* log.c - the daemon's log: see log.h */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static bool log_stderr = true;
static int log_max = LOG_LVL_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

void log_init(bool to_stderr, int level)
{
	log_stderr = to_stderr;
	log_max = level;
	if (!to_stderr)
		openlog("ustackd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Return: the level named @s, or -1 */
int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (!strcmp(s, "warning"))
		return LOG_LVL_WARN;
	return -1;
}

const char *log_level_name(int level)
{
	return level >= 0 && level < 4 ? names[level] : "?";
}

void log_msg(int level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	if (log_stderr) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld ustackd %s: ", stamp,
			ts.tv_nsec / 1000000, names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio[level], fmt, ap);
	}
	va_end(ap);
}
