/* SPDX-License-Identifier: MIT */
/* timer.c - the engine's timer heap: see timer.h */
#include "timer.h"

#include <errno.h>
#include <stdlib.h>

void timer_init(struct timer *t, timer_fn *fn)
{
	t->when = TIMER_NEVER;
	t->idx = 0;
	t->fn = fn;
}

void timer_heap_init(struct timer_heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void timer_heap_free(struct timer_heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->idx = 0;
	free(h->v);
	timer_heap_init(h);
}

static void heap_set(struct timer_heap *h, size_t i, struct timer *t)
{
	h->v[i] = t;
	t->idx = i + 1;
}

static void sift_up(struct timer_heap *h, size_t i)
{
	struct timer *t = h->v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (h->v[parent]->when <= t->when)
			break;
		heap_set(h, i, h->v[parent]);
		i = parent;
	}
	heap_set(h, i, t);
}

static void sift_down(struct timer_heap *h, size_t i)
{
	struct timer *t = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->when < h->v[c]->when)
			c++;
		if (t->when <= h->v[c]->when)
			break;
		heap_set(h, i, h->v[c]);
		i = c;
	}
	heap_set(h, i, t);
}

/**
 * timer_arm() - arm @t for @when, or move it there if already armed
 * @h: the heap
 * @t: the timer
 * @when: deadline, monotonic ns
 *
 * Return: 0, or -ENOMEM if the heap could not grow (the timer is then
 * left unarmed; callers treat it as an allocation failure)
 */
int timer_arm(struct timer_heap *h, struct timer *t, uint64_t when)
{
	if (timer_armed(t)) {
		uint64_t old = t->when;

		t->when = when;
		if (when < old)
			sift_up(h, t->idx - 1);
		else
			sift_down(h, t->idx - 1);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct timer **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	t->when = when;
	heap_set(h, h->n++, t);
	sift_up(h, h->n - 1);
	return 0;
}

/**
 * timer_cancel() - disarm @t; harmless if it is not armed
 * @h: the heap
 * @t: the timer
 */
void timer_cancel(struct timer_heap *h, struct timer *t)
{
	size_t i;
	struct timer *last;

	if (!timer_armed(t))
		return;
	i = t->idx - 1;
	t->idx = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	heap_set(h, i, last);
	if (i > 0 && h->v[(i - 1) / 2]->when > last->when)
		sift_up(h, i);
	else
		sift_down(h, i);
}

/**
 * timer_next() - the earliest deadline
 * @h: the heap
 *
 * Return: the deadline, or TIMER_NEVER if nothing is armed
 */
uint64_t timer_next(const struct timer_heap *h)
{
	return h->n ? h->v[0]->when : TIMER_NEVER;
}

/**
 * timer_run() - fire every timer due at @now, earliest first
 * @h: the heap
 * @now: current time
 *
 * A callback may re-arm its own timer or arm others; one re-armed for a
 * time not after @now fires again in the same call.
 *
 * Return: the number of callbacks run
 */
unsigned timer_run(struct timer_heap *h, uint64_t now)
{
	unsigned fired = 0;

	while (h->n && h->v[0]->when <= now) {
		struct timer *t = h->v[0];

		timer_cancel(h, t);
		t->fn(t, now);
		fired++;
	}
	return fired;
}
