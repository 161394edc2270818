/* SPDX-License-Identifier: MIT */
/*
 * ackmark.c - a TCP socket's SO_TIMESTAMPING TX_ACK marks
 *
 * Theory of operation. Linux's tcp_tx_timestamp() marks the skb that
 * holds a send's last byte (txstamp_ack, tskey that byte's sequence
 * number); tcp_clean_rtx_queue() calls tcp_ack_tstamp() for each skb the
 * peer's cumulative ACK wholly covers, which queues an SCM_TSTAMP_ACK
 * report with that ACK's time. SACK reports nothing: only SND.UNA passing
 * the byte does. The engine keeps no skbs, so the daemon keeps, beside the
 * socket (never in the engine's tcp_sock), a list of marks "the send with
 * key K ended at sequence number E"; at each engine event SND.UNA is
 * compared with the marks still waiting (ack_marks_acked()), and those it
 * reached take the engine's clock of that moment (the ACK being received).
 * libustack takes the acked marks in order (ack_marks_take()) and makes
 * its reports from them.
 *
 * Where Linux differs: its mark rides an skb, so the report comes when
 * the whole skb is acknowledged; a later send that lands in the same
 * unsent skb (Nagle, cork, a full window) delays it to the end of that
 * skb, and if that send asks for a report too its key replaces the
 * earlier one (one report, the later key). Here a mark is acked when its
 * own last byte is, whatever was sent with it.
 *
 * Bounded: ACK_MARK_MAX marks. A send that finds the list full of marks
 * still waiting moves the last mark's end to its own, with its key (the
 * earlier key is never reported, as with two stamped sends in one of
 * Linux's skbs); one that finds acked marks the program has not taken
 * drops the oldest of them (its report is lost, as Linux drops a report
 * past the error queue's budget). The list never grows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ackmark.h"

/* @a at or after @b, in sequence space */
static bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/**
 * ack_marks_add() - a send with TX_ACK asks for a report when its last
 * byte is acknowledged
 * @lp: the socket's list, made here if it has none
 * @end: the sequence number after the send's last byte
 * @key: the key its report carries (the program's)
 *
 * Return: 0, or -ENOMEM (no list: the send gets no report)
 */
int ack_marks_add(struct ack_marks **lp, uint32_t end, uint32_t key)
{
	struct ack_marks *l = *lp;

	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		*lp = l;
	}
	if (l->n == ACK_MARK_MAX) {
		if (l->acked == 0) {
			/* all waiting: the last one becomes this one */
			l->m[l->n - 1].end = end;
			l->m[l->n - 1].key = key;
			return 0;
		}
		memmove(l->m, l->m + 1, (l->n - 1) * sizeof(l->m[0]));
		l->n--;
		l->acked--;
	}
	l->m[l->n++] = (struct ack_mark){ .end = end, .key = key };
	return 0;
}

/**
 * ack_marks_acked() - SND.UNA is now @una: the marks it reached are acked
 * @l: the list
 * @una: SND.UNA
 * @time: the engine's clock now (that of the ACK being received)
 *
 * Return: the marks acked now
 */
unsigned ack_marks_acked(struct ack_marks *l, uint32_t una, uint64_t time)
{
	unsigned k = 0;

	while (l->acked < l->n && seq_geq(una, l->m[l->acked].end)) {
		l->m[l->acked].acked = true;
		l->m[l->acked].time = time;
		l->acked++;
		k++;
	}
	return k;
}

/**
 * ack_marks_take() - the acked marks, oldest first, off the list
 * @l: the list
 * @out: where they go
 * @max: room in @out
 *
 * Return: how many were taken
 */
unsigned ack_marks_take(struct ack_marks *l, struct ack_mark *out,
			unsigned max)
{
	unsigned k = l->acked < max ? l->acked : max;

	memcpy(out, l->m, k * sizeof(l->m[0]));
	memmove(l->m, l->m + k, (l->n - k) * sizeof(l->m[0]));
	l->n -= k;
	l->acked -= k;
	return k;
}

/**
 * ack_marks_drop_waiting() - the connection is gone (reset, timeout,
 * disconnect): the marks not acked never will be, and Linux reports
 * nothing for them (the skbs are purged); the acked ones stay to be taken,
 * as Linux's reports stay on the error queue
 * @l: the list
 */
void ack_marks_drop_waiting(struct ack_marks *l)
{
	l->n = l->acked;
}

/* Marks not yet acked */
unsigned ack_marks_waiting(const struct ack_marks *l)
{
	return l ? l->n - l->acked : 0;
}

void ack_marks_free(struct ack_marks *l)
{
	free(l);
}
