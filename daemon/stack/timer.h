/* SPDX-License-Identifier: MIT */
/*
 * timer.h - one ordered structure for every timer of the engine
 *
 * Theory of operation: a binary min-heap of armed timers keyed by their
 * deadline (monotonic nanoseconds). Arming, re-arming and cancelling are
 * O(log n); the engine's next deadline is the heap's top, so an engine with
 * nothing armed has no deadline and its host can sleep indefinitely.
 * A timer is embedded in the object that owns it; its callback finds the
 * owner with container_of(). A timer is 16 bytes (every TCP connection
 * holds three, issue 11): it names its callback by a small number, an index
 * in one table of the program's timer callbacks that timer_init() fills.
 */
#ifndef USTACK_TIMER_H
#define USTACK_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_NEVER UINT64_MAX

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

struct timer;
typedef void timer_fn(struct timer *t, uint64_t now);

struct timer {
	uint64_t when;   /* deadline, valid while armed */
	uint32_t idx;    /* heap slot + 1; 0 while not armed */
	uint32_t fn;     /* its callback's index in timer.c's table */
};

struct timer_heap {
	struct timer **v;
	size_t n, cap;
};

void timer_init(struct timer *t, timer_fn *fn);
static inline bool timer_armed(const struct timer *t)
{
	return t->idx != 0;
}

void timer_heap_init(struct timer_heap *h);
void timer_heap_free(struct timer_heap *h);
int timer_arm(struct timer_heap *h, struct timer *t, uint64_t when);
void timer_cancel(struct timer_heap *h, struct timer *t);
uint64_t timer_next(const struct timer_heap *h);
unsigned timer_run(struct timer_heap *h, uint64_t now);

#endif
