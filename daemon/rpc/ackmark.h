/* SPDX-License-Identifier: MIT */
/*
 * ackmark.h - a TCP socket's SO_TIMESTAMPING TX_ACK marks: the ends of
 * the sends that asked for an SCM_TSTAMP_ACK report, and when the peer's
 * cumulative ACK passed them, kept by the daemon's socket layer for the
 * program's libustack (ackmark.c)
 */
#ifndef USTACK_ACKMARK_H
#define USTACK_ACKMARK_H

#include <stdbool.h>
#include <stdint.h>

/* marks a socket keeps at most: under 800 bytes, made by the first send
 * that asks */
#define ACK_MARK_MAX 32

/* the send with key @key ended at sequence number @end (the one after its
 * last byte); acked at @time (the engine's clock) once SND.UNA reached it */
struct ack_mark {
	uint32_t end;
	uint32_t key;
	uint64_t time;
	bool acked;
};

/* Marks in the order they were made, their ends never falling: the acked
 * ones (not yet given to the program) first, then those still waiting */
struct ack_marks {
	unsigned n, acked;
	struct ack_mark m[ACK_MARK_MAX];
};

int ack_marks_add(struct ack_marks **lp, uint32_t end, uint32_t key);
unsigned ack_marks_acked(struct ack_marks *l, uint32_t una, uint64_t time);
unsigned ack_marks_take(struct ack_marks *l, struct ack_mark *out,
			unsigned max);
void ack_marks_drop_waiting(struct ack_marks *l);
unsigned ack_marks_waiting(const struct ack_marks *l);
void ack_marks_free(struct ack_marks *l);

#endif
