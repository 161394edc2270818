/* SPDX-License-Identifier: MIT */
/*
 * 12-timer.c - the timer heap: order, re-arm, cancel, callbacks that arm
 * timers, the next deadline, TIMER_NEVER when empty
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "timer.h"

struct tt {
	struct timer t;
	int id;
	struct timer_heap *h;
	uint64_t rearm;         /* callback re-arms itself this far ahead */
	struct tt *other;       /* callback arms this one at now + rearm */
	struct tt *kill;        /* callback cancels this one */
};

static int fired[64];
static uint64_t fired_at[64];
static unsigned nfired;

static void tt_fn(struct timer *t, uint64_t now)
{
	struct tt *x = container_of(t, struct tt, t);

	fired[nfired] = x->id;
	fired_at[nfired++] = now;
	cr_assert_not(timer_armed(t), "a timer is disarmed before it fires");
	if (x->kill)
		timer_cancel(x->h, &x->kill->t);
	if (x->other)
		cr_assert_eq(timer_arm(x->h, &x->other->t, now + x->rearm), 0);
	else if (x->rearm) {
		uint64_t d = x->rearm;

		x->rearm = 0;   /* once */
		cr_assert_eq(timer_arm(x->h, t, now + d), 0);
	}
}

static void tt_init(struct tt *x, struct timer_heap *h, int id)
{
	timer_init(&x->t, tt_fn);
	x->id = id;
	x->h = h;
	x->rearm = 0;
	x->other = x->kill = NULL;
}

Test(timer, empty_heap_never)
{
	struct timer_heap h;

	nfired = 0;
	timer_heap_init(&h);
	cr_expect_eq(timer_next(&h), TIMER_NEVER);
	cr_expect_eq(timer_run(&h, UINT64_MAX - 1), 0);
	timer_heap_free(&h);
}

Test(timer, fires_in_deadline_order)
{
	static const uint64_t when[] = { 50, 10, 40, 30, 20, 60, 15, 35 };
	static const int order[] = { 1, 6, 4, 3, 7, 2, 0, 5 };
	struct timer_heap h;
	struct tt x[8];

	nfired = 0;
	timer_heap_init(&h);
	for (int i = 0; i < 8; i++) {
		tt_init(&x[i], &h, i);
		cr_assert_eq(timer_arm(&h, &x[i].t, when[i]), 0);
		cr_expect(timer_armed(&x[i].t));
	}
	cr_expect_eq(timer_next(&h), 10);
	cr_expect_eq(timer_run(&h, 9), 0, "nothing is due before 10");
	cr_expect_eq(timer_run(&h, 30), 4, "10, 15, 20, 30 are due at 30");
	cr_expect_eq(timer_next(&h), 35);
	cr_expect_eq(timer_run(&h, 1000), 4);
	cr_expect_eq(nfired, 8);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(fired[i], order[i], "fire %d: timer %d, expected %d",
			     i, fired[i], order[i]);
	cr_expect_eq(fired_at[0], 30, "callbacks get the time of the run");
	cr_expect_eq(timer_next(&h), TIMER_NEVER);
	timer_heap_free(&h);
}

/* Many timers, pseudo-random deadlines: every one fires, in order. */
Test(timer, heap_order_many)
{
	enum { N = 500 };
	static struct tt x[N];
	struct timer_heap h;
	uint64_t last = 0, r = 12345;

	timer_heap_init(&h);
	for (int i = 0; i < N; i++) {
		timer_init(&x[i].t, NULL);
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		cr_assert_eq(timer_arm(&h, &x[i].t, (r >> 33) % 1000), 0);
	}
	/* cancel every third, move every fifth */
	for (int i = 0; i < N; i += 3)
		timer_cancel(&h, &x[i].t);
	for (int i = 1; i < N; i += 5)
		timer_arm(&h, &x[i].t, x[i].t.when * 3 % 1000);
	while (timer_next(&h) != TIMER_NEVER) {
		struct timer *t = h.v[0];

		cr_assert_geq(t->when, last, "heap returned %llu after %llu",
			      (unsigned long long)t->when,
			      (unsigned long long)last);
		last = t->when;
		timer_cancel(&h, t);
	}
	for (int i = 0; i < N; i++)
		cr_expect_not(timer_armed(&x[i].t));
	cr_expect_eq(h.n, 0);
	timer_heap_free(&h);
}

Test(timer, rearm_moves_earlier_and_later)
{
	struct timer_heap h;
	struct tt a, b, c;

	nfired = 0;
	timer_heap_init(&h);
	tt_init(&a, &h, 1);
	tt_init(&b, &h, 2);
	tt_init(&c, &h, 3);
	timer_arm(&h, &a.t, 100);
	timer_arm(&h, &b.t, 200);
	timer_arm(&h, &c.t, 300);
	timer_arm(&h, &c.t, 50);        /* earlier */
	cr_expect_eq(timer_next(&h), 50);
	timer_arm(&h, &c.t, 400);       /* later again */
	timer_arm(&h, &a.t, 250);
	cr_expect_eq(timer_next(&h), 200);
	cr_expect_eq(h.n, 3, "re-arming does not add a second entry");
	timer_run(&h, 1000);
	cr_expect_eq(nfired, 3);
	cr_expect_eq(fired[0], 2);
	cr_expect_eq(fired[1], 1);
	cr_expect_eq(fired[2], 3);
	timer_heap_free(&h);
}

Test(timer, cancel)
{
	struct timer_heap h;
	struct tt a, b, c;

	nfired = 0;
	timer_heap_init(&h);
	tt_init(&a, &h, 1);
	tt_init(&b, &h, 2);
	tt_init(&c, &h, 3);
	timer_cancel(&h, &a.t);         /* not armed: harmless */
	timer_arm(&h, &a.t, 10);
	timer_arm(&h, &b.t, 20);
	timer_arm(&h, &c.t, 30);
	timer_cancel(&h, &a.t);         /* the top */
	cr_expect_not(timer_armed(&a.t));
	cr_expect_eq(timer_next(&h), 20);
	timer_cancel(&h, &c.t);         /* the last slot */
	timer_cancel(&h, &c.t);         /* twice */
	cr_expect_eq(h.n, 1);
	cr_expect_eq(timer_run(&h, 100), 1);
	cr_expect_eq(fired[0], 2);
	cr_expect_eq(timer_next(&h), TIMER_NEVER);
	timer_heap_free(&h);
}

Test(timer, callback_rearms_itself)
{
	struct timer_heap h;
	struct tt a;

	nfired = 0;
	timer_heap_init(&h);
	tt_init(&a, &h, 1);
	a.rearm = 10;
	timer_arm(&h, &a.t, 100);
	cr_expect_eq(timer_run(&h, 105), 1);
	cr_expect(timer_armed(&a.t));
	cr_expect_eq(timer_next(&h), 115, "re-armed from the run's time");
	cr_expect_eq(timer_run(&h, 115), 1);
	cr_expect_eq(fired_at[1], 115);
	cr_expect_eq(timer_next(&h), TIMER_NEVER);
	timer_heap_free(&h);
}

/* A callback arming a timer due at or before now: it fires in the same run. */
Test(timer, callback_arms_another)
{
	struct timer_heap h;
	struct tt a, b, c;

	nfired = 0;
	timer_heap_init(&h);
	tt_init(&a, &h, 1);
	tt_init(&b, &h, 2);
	tt_init(&c, &h, 3);
	a.other = &b;
	a.rearm = 0;                    /* b at now */
	a.kill = &c;
	timer_arm(&h, &a.t, 10);
	timer_arm(&h, &c.t, 15);
	cr_expect_eq(timer_run(&h, 20), 2, "a, then b armed by a; c cancelled");
	cr_expect_eq(fired[0], 1);
	cr_expect_eq(fired[1], 2);
	cr_expect_not(timer_armed(&c.t));
	cr_expect_eq(timer_next(&h), TIMER_NEVER);
	timer_heap_free(&h);
}

Test(timer, heap_free_disarms)
{
	struct timer_heap h;
	struct tt x[100];

	timer_heap_init(&h);
	for (int i = 0; i < 100; i++) {
		tt_init(&x[i], &h, i);
		timer_arm(&h, &x[i].t, (uint64_t)i);
	}
	cr_expect_eq(h.n, 100);
	cr_expect_geq(h.cap, 100, "the heap grew");
	timer_heap_free(&h);
	for (int i = 0; i < 100; i++)
		cr_expect_not(timer_armed(&x[i].t));
	cr_expect_eq(timer_next(&h), TIMER_NEVER);
}

/* a timer is 16 bytes (issue 11); its callback, an index in one table,
 * is the one it was initialised with, whatever other callbacks exist */
static unsigned which;
static void fn_a(struct timer *t, uint64_t now) { (void)t; (void)now; which = 1; }
static void fn_b(struct timer *t, uint64_t now) { (void)t; (void)now; which = 2; }

Test(timer, callbacks_by_index)
{
	struct timer_heap h;
	struct timer a, b, a2;

	cr_assert_eq(sizeof(struct timer), 16);
	timer_heap_init(&h);
	timer_init(&a, fn_a);
	timer_init(&b, fn_b);
	timer_init(&a2, fn_a);
	cr_assert_eq(a.fn, a2.fn, "one index per callback");
	cr_assert_neq(a.fn, b.fn);
	cr_assert_eq(timer_arm(&h, &b, 10), 0);
	cr_assert_eq(timer_arm(&h, &a, 20), 0);
	cr_assert_eq(timer_run(&h, 10), 1);
	cr_assert_eq(which, 2);
	cr_assert_eq(timer_run(&h, 20), 1);
	cr_assert_eq(which, 1);
	timer_heap_free(&h);
}
