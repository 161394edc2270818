/* SPDX-License-Identifier: MIT */
/*
 * 56-rxlog.c - a TCP socket's log of receive times (daemon/rpc/rxlog.c):
 * the time of a read's last byte, none for bytes the channel held before
 * the log, read marks dropped, peeks keeping them, and a log that stays
 * within its bound however long the program does not read
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "rpc/rxlog.h"

Test(rxlog, last_byte_read_says_its_time)
{
	struct rx_log *l = rx_log_new(0, 0);

	cr_assert_not_null(l);
	rx_log_arrived(l, 100, 1000);           /* bytes 1..100 at 1000 */
	rx_log_arrived(l, 100, 1500);           /* nothing new: no mark */
	rx_log_arrived(l, 250, 2000);           /* 101..250 at 2000 */
	cr_assert_eq(l->n, 2);
	rx_log_pass(l, 250);                    /* all into the channel */
	rx_log_arrived(l, 10, 3000);            /* 251..260 at 3000 */
	/* a read of 1..50, peeked: the marks stay */
	cr_assert_eq(rx_log_time(l, 50, 0), 1000);
	cr_assert_eq(l->n, 3);
	/* a read of 1..150 spans two marks: the last byte's time */
	cr_assert_eq(rx_log_time(l, 150, 150), 2000);
	cr_assert_eq(l->n, 2, "the first mark is read");
	cr_assert_eq(rx_log_time(l, 250, 250), 2000);
	cr_assert_eq(rx_log_time(l, 260, 260), 3000);
	cr_assert_eq(l->n, 0);
	/* nothing marked past what arrived */
	cr_assert_eq(rx_log_time(l, 261, 261), 0);
	rx_log_free(l);
}

Test(rxlog, bytes_held_before_have_no_time)
{
	/* the channel held 40, the engine 5 more */
	struct rx_log *l = rx_log_new(40, 5);

	rx_log_arrived(l, 5, 500);
	cr_assert_eq(l->n, 0);
	rx_log_arrived(l, 15, 600);             /* 46..55 */
	cr_assert_eq(rx_log_time(l, 40, 40), 0);
	cr_assert_eq(rx_log_time(l, 45, 45), 0);
	cr_assert_eq(rx_log_time(l, 46, 50), 600);
	cr_assert_eq(rx_log_time(l, 55, 55), 600);
	rx_log_free(l);
}

Test(rxlog, same_moment_extends_the_mark)
{
	struct rx_log *l = rx_log_new(0, 0);

	rx_log_arrived(l, 10, 700);
	rx_log_arrived(l, 30, 700);
	cr_assert_eq(l->n, 1);
	cr_assert_eq(l->m[0].end, 30);
	rx_log_free(l);
}

Test(rxlog, bounded_by_merging_the_closest_marks)
{
	struct rx_log *l = rx_log_new(0, 0);
	uint64_t t = 0;

	/* ten thousand arrivals the program does not read */
	for (unsigned i = 1; i <= 10000; i++) {
		t += i % 7 == 0 ? 1000 : 10;
		rx_log_arrived(l, i * 100ull, t);
		cr_assert_leq(l->n, RX_LOG_MAX);
	}
	cr_assert_eq(l->n, RX_LOG_MAX);
	cr_assert(rx_log_full(l, 1000001 - l->passed));
	cr_assert_not(rx_log_full(l, 1000000 - l->passed));
	/* ends still rise, and the newest bytes keep the newest time */
	for (unsigned i = 1; i < l->n; i++) {
		cr_assert_gt(l->m[i].end, l->m[i - 1].end);
		cr_assert_geq(l->m[i].time, l->m[i - 1].time);
	}
	cr_assert_eq(l->m[l->n - 1].end, 1000000);
	cr_assert_eq(rx_log_time(l, 1000000, 0), t);
	/* every byte still has a time, never before it could have come */
	cr_assert_neq(rx_log_time(l, 1, 0), 0);
	/* what the program has read goes first when room is needed */
	rx_log_trim(l, 999950);
	cr_assert_eq(l->n, 1);
	rx_log_free(l);
}
