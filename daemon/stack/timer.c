/* SPDX-License-Identifier: MIT */
/* timer.c - the engine's timer heap: see timer.h */
#include "timer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Every distinct callback the program arms timers with, in the order first
 * seen. The set is fixed by the code (a dozen functions), not by the load,
 * so the table never grows past its size; one that would is a bug caught at
 * the first timer_init() of the new callback.
 */
#define TIMER_FNS 64
static timer_fn *timer_fns[TIMER_FNS];
static unsigned timer_nfns;

static uint32_t timer_fn_index(timer_fn *fn)
{
	for (unsigned i = 0; i < timer_nfns; i++)
		if (timer_fns[i] == fn)
			return i;
	if (timer_nfns == TIMER_FNS) {
		fprintf(stderr, "timer: more than %d timer callbacks\n",
			TIMER_FNS);
		abort();
	}
	timer_fns[timer_nfns] = fn;
	return timer_nfns++;
}

void timer_init(struct timer *t, timer_fn *fn)
{
	t->when = TIMER_NEVER;
	t->idx = 0;
	t->fn = timer_fn_index(fn);
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
		size_t cap;
		struct timer **v;

		if (h->n >= UINT32_MAX - 1)     /* idx is 32 bits */
			return -ENOMEM;
		cap = h->cap ? h->cap * 2 : 64;
		v = realloc(h->v, cap * sizeof(*v));
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
		timer_fns[t->fn](t, now);
		fired++;
	}
	return fired;
}
