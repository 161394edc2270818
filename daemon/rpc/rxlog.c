/* SPDX-License-Identifier: MIT */
/*
 * rxlog.c - a TCP socket's receive times, for the program's recvmsg
 *
 * Theory of operation. Linux stamps each skb as it arrives and
 * tcp_recvmsg() reports the stamp of the last skb a read copied from. The
 * engine keeps no skbs, only a ring of bytes, and the program reads them
 * from its channel, later. So while a socket asks for receive timestamps
 * the daemon keeps, beside the socket (never in the engine's tcp_sock),
 * a log of marks "the stream's bytes up to offset E arrived at time T":
 * one when the engine's in-order bytes grow (the readable event; a
 * segment that fills a hole brings the bytes queued after it in with its
 * own time, where Linux's out-of-order skbs keep theirs). libustack
 * counts the bytes the program reads and asks for the time of its last
 * byte read (rx_log_time()); marks wholly read are dropped then.
 *
 * Bounded: RX_LOG_MAX marks. When the program reads nothing for a while
 * the log fills; the socket layer then drops what the program has read
 * (rx_log_trim()), and if that frees nothing, two neighbouring marks
 * become one: those closest in time, the later time kept (the earlier
 * bytes then say they arrived a little later, as a read that spans two
 * of Linux's skbs reports the later one's time). The log never grows.
 */
#include <stdlib.h>
#include <string.h>

#include "rxlog.h"

/**
 * rx_log_new() - a log for a socket that now asks for receive times
 * @unread: bytes the channel holds already
 * @queued: and the engine's receive queue: these come after them, and
 * none of them has a time (they arrived before the socket asked, as skbs
 * Linux did not stamp)
 *
 * Return: the log, or NULL (no memory)
 */
struct rx_log *rx_log_new(uint64_t unread, uint64_t queued)
{
	struct rx_log *l = calloc(1, sizeof(*l));

	if (l) {
		l->passed = unread;
		l->base = unread + queued;
	}
	return l;
}

/* The end of what has a mark, or of what came before the log */
static uint64_t marked_end(const struct rx_log *l)
{
	return l->n ? l->m[l->n - 1].end : l->base;
}

void rx_log_free(struct rx_log *l)
{
	free(l);
}

/**
 * rx_log_pass() - @n more bytes were written into the channel
 * @l: the log
 * @n: bytes
 */
void rx_log_pass(struct rx_log *l, uint64_t n)
{
	l->passed += n;
}

/**
 * rx_log_full() - would the engine's @queued bytes need a mark that the
 * log has no room for? (Then the caller may rx_log_trim() first.)
 * @l: the log
 * @queued: as for rx_log_arrived()
 *
 * Return: true if so
 */
bool rx_log_full(const struct rx_log *l, uint64_t queued)
{
	return l->n == RX_LOG_MAX && l->passed + queued > marked_end(l);
}

/**
 * rx_log_trim() - drop the marks of bytes the program has read
 * @l: the log
 * @consumed: bytes read (the offset of the next byte the program reads)
 *
 * Every later question is about a byte after @consumed.
 */
void rx_log_trim(struct rx_log *l, uint64_t consumed)
{
	unsigned i = 0;

	while (i < l->n && l->m[i].end <= consumed)
		i++;
	if (!i)
		return;
	l->base = l->m[i - 1].end;
	l->n -= i;
	memmove(l->m, l->m + i, l->n * sizeof(l->m[0]));
}

/**
 * rx_log_arrived() - the engine holds @queued in-order bytes not yet
 * written into the channel: those after the last mark arrived at @time
 * @l: the log
 * @queued: the engine's receive queue (tcp_recv_avail())
 * @time: the engine's clock now (that of the frame being received)
 */
void rx_log_arrived(struct rx_log *l, uint64_t queued, uint64_t time)
{
	uint64_t end = l->passed + queued;
	uint64_t gap, best;
	unsigned i, at;

	if (end <= marked_end(l))
		return;
	if (l->n && l->m[l->n - 1].time == time) {
		l->m[l->n - 1].end = end;       /* the same moment */
		return;
	}
	if (l->n == RX_LOG_MAX) {
		/* the closest pair in time, the new mark with the last one
		 * included (at == n - 1: the last takes the new bytes) */
		at = l->n - 1;
		best = time - l->m[at].time;
		for (i = 0; i + 1 < l->n; i++) {
			gap = l->m[i + 1].time - l->m[i].time;
			if (gap < best) {
				best = gap;
				at = i;
			}
		}
		if (at == l->n - 1) {
			l->m[at].end = end;
			l->m[at].time = time;
			return;
		}
		/* mark at + 1 covers mark at's bytes too */
		memmove(l->m + at, l->m + at + 1,
			(l->n - at - 1) * sizeof(l->m[0]));
		l->n--;
	}
	l->m[l->n++] = (struct rx_mark){ end, time };
}

/**
 * rx_log_time() - when the byte a read ended at arrived
 * @l: the log
 * @last: the read's last byte, as an offset from 1 (the bytes read before
 * it and by it)
 * @consumed: the bytes the program has taken off the channel after this
 * read (less than @last after MSG_PEEK): the marks before are dropped
 *
 * Return: the engine's time of its arrival, 0 if it has none (it came
 * before the socket asked)
 */
uint64_t rx_log_time(struct rx_log *l, uint64_t last, uint64_t consumed)
{
	uint64_t t = 0;

	if (last > l->base)
		for (unsigned i = 0; i < l->n; i++)
			if (l->m[i].end >= last) {
				t = l->m[i].time;
				break;
			}
	rx_log_trim(l, consumed);
	return t;
}
