/* SPDX-License-Identifier: MIT */
/*
 * 57-ackmark.c - a TCP socket's SO_TIMESTAMPING TX_ACK marks
 * (daemon/rpc/ackmark.c): a mark is acked when SND.UNA reaches the end of
 * its send, not before, with the time of that moment; marks are taken in
 * order; sequence numbers wrap; a reset drops only those not acked; and
 * the list stays within its bound
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "rpc/ackmark.h"

Test(ackmark, acked_when_una_reaches_the_end)
{
	struct ack_marks *l = NULL;
	struct ack_mark m[4];

	cr_assert_eq(ack_marks_add(&l, 1010, 9), 0);    /* bytes ..1009 */
	cr_assert_not_null(l, "made by the first mark");
	cr_assert_eq(ack_marks_add(&l, 1015, 14), 0);
	cr_assert_eq(ack_marks_waiting(l), 2);
	/* SND.UNA 1009: the last byte (1009) is not acked yet */
	cr_assert_eq(ack_marks_acked(l, 1009, 100), 0);
	cr_assert_eq(ack_marks_take(l, m, 4), 0);
	cr_assert_eq(ack_marks_acked(l, 1010, 200), 1);
	/* a later ACK does not move the first mark's time */
	cr_assert_eq(ack_marks_acked(l, 1012, 300), 0);
	cr_assert_eq(ack_marks_acked(l, 1016, 400), 1, "past the end too");
	cr_assert_eq(ack_marks_waiting(l), 0);
	cr_assert_eq(ack_marks_take(l, m, 4), 2);
	cr_assert_eq(m[0].key, 9);
	cr_assert_eq(m[0].time, 200);
	cr_assert(m[0].acked);
	cr_assert_eq(m[1].key, 14);
	cr_assert_eq(m[1].time, 400);
	cr_assert_eq(l->n, 0);
	ack_marks_free(l);
}

Test(ackmark, taken_in_order_as_room_allows)
{
	struct ack_marks *l = NULL;
	struct ack_mark m[2];

	for (uint32_t i = 1; i <= 5; i++)
		ack_marks_add(&l, i * 10, i);
	cr_assert_eq(ack_marks_acked(l, 30, 7), 3);
	cr_assert_eq(ack_marks_take(l, m, 2), 2);
	cr_assert_eq(m[0].key, 1);
	cr_assert_eq(m[1].key, 2);
	cr_assert_eq(l->acked, 1, "one acked left for the next take");
	cr_assert_eq(ack_marks_take(l, m, 2), 1);
	cr_assert_eq(m[0].key, 3);
	cr_assert_eq(ack_marks_waiting(l), 2);
	ack_marks_free(l);
}

Test(ackmark, sequence_numbers_wrap)
{
	struct ack_marks *l = NULL;
	struct ack_mark m[2];

	ack_marks_add(&l, 0xfffffff0u, 1);
	ack_marks_add(&l, 0x10u, 2);                    /* past the wrap */
	cr_assert_eq(ack_marks_acked(l, 0xfffffff8u, 5), 1);
	cr_assert_eq(ack_marks_acked(l, 0x0fu, 6), 0);
	cr_assert_eq(ack_marks_acked(l, 0x10u, 7), 1);
	cr_assert_eq(ack_marks_take(l, m, 2), 2);
	cr_assert_eq(m[1].time, 7);
	ack_marks_free(l);
}

Test(ackmark, reset_drops_only_the_waiting)
{
	struct ack_marks *l = NULL;
	struct ack_mark m[4];

	ack_marks_add(&l, 100, 1);
	ack_marks_add(&l, 200, 2);
	ack_marks_add(&l, 300, 3);
	ack_marks_acked(l, 150, 10);
	ack_marks_drop_waiting(l);
	cr_assert_eq(ack_marks_waiting(l), 0);
	cr_assert_eq(ack_marks_take(l, m, 4), 1, "the acked one stays");
	cr_assert_eq(m[0].key, 1);
	/* SND.UNA moving on later acks nothing that was dropped */
	cr_assert_eq(ack_marks_acked(l, 400, 20), 0);
	cr_assert_eq(ack_marks_waiting(NULL), 0, "no list: none waits");
	ack_marks_free(l);
}

Test(ackmark, bounded)
{
	struct ack_marks *l = NULL;
	struct ack_mark m[ACK_MARK_MAX];
	unsigned k;

	for (uint32_t i = 1; i <= ACK_MARK_MAX; i++)
		ack_marks_add(&l, i * 10, i);
	/* full of waiting marks: the last one becomes the new send's */
	cr_assert_eq(ack_marks_add(&l, 1000, 99), 0);
	cr_assert_eq(l->n, ACK_MARK_MAX);
	cr_assert_eq(l->m[ACK_MARK_MAX - 1].end, 1000);
	cr_assert_eq(l->m[ACK_MARK_MAX - 1].key, 99);
	/* acked and never taken: the oldest acked gives way */
	cr_assert_eq(ack_marks_acked(l, 20, 5), 2);
	cr_assert_eq(ack_marks_add(&l, 1010, 100), 0);
	cr_assert_eq(l->n, ACK_MARK_MAX);
	cr_assert_eq(l->acked, 1);
	cr_assert_eq(l->m[0].key, 2, "key 1 was dropped");
	cr_assert_eq(l->m[ACK_MARK_MAX - 1].key, 100);
	cr_assert_eq(ack_marks_acked(l, 1010, 6), ACK_MARK_MAX - 1);
	k = ack_marks_take(l, m, ACK_MARK_MAX);
	cr_assert_eq(k, ACK_MARK_MAX);
	for (unsigned i = 1; i < k; i++)
		cr_assert(m[i].end > m[i - 1].end, "in order");
	ack_marks_free(l);
}
