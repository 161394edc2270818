/* SPDX-License-Identifier: MIT */
/*
 * impair.c - link impairment: what netem would do, inside the daemon
 *
 * Theory of operation: the machines ustack is tested on have no netem, so
 * the daemon impairs its own link (--impair). Every frame crossing the
 * link, in either direction, draws from that direction's PRNG (splitmix64
 * seeded from the seed and the direction, so a run replays exactly for the
 * same seed and the same frames) and is, independently:
 *
 *   lost       with probability loss;
 *   duplicated with probability dup (a second copy follows at once);
 *   corrupted  with probability corrupt (one bit flipped in one byte past
 *              the Ethernet header, so checksums, not the MAC filter,
 *              have to catch it);
 *   reordered  with probability reorder: held back by delay + 2 ms, so the
 *              frames that follow within that time overtake it;
 *   delayed    by delay.
 *
 * Surviving frames wait in one queue sorted by due time (FIFO among equal
 * times, so an unimpaired stream keeps its order); the host pops what is
 * due and arms a timer for impair_next(). The queue is bounded in frames
 * and bytes; what does not fit is dropped and counted.
 */
#include "impair.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REORDER_HOLD 2000000ull   /* ns a reordered frame is held back */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform draw in [0, 1). */
static double draw(uint64_t *state)
{
	return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

static int parse_prob(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= 0.0 && d <= 1.0))
		return -1;
	*out = d;
	return 0;
}

/**
 * impair_parse() - read "loss=P,dup=P,reorder=P,corrupt=P,delay=MS,seed=N"
 * @spec: the text; any subset of the keys, in any order
 * @cfg: filled in (zero for keys not given; seed defaults to 1)
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * Return: 0, or -EINVAL
 */
int impair_parse(const char *spec, struct impair_config *cfg, char *err,
		 size_t errlen)
{
	char buf[256], *save = NULL, *tok;

	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "impairment spec too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		const char *key = tok, *val;
		int bad = 0;

		if (!eq) {
			snprintf(err, errlen, "impairment '%s': expected key=value", tok);
			return -EINVAL;
		}
		*eq = '\0';
		val = eq + 1;
		if (!strcmp(key, "loss"))
			bad = parse_prob(val, &cfg->loss);
		else if (!strcmp(key, "dup"))
			bad = parse_prob(val, &cfg->dup);
		else if (!strcmp(key, "reorder"))
			bad = parse_prob(val, &cfg->reorder);
		else if (!strcmp(key, "corrupt"))
			bad = parse_prob(val, &cfg->corrupt);
		else if (!strcmp(key, "delay") || !strcmp(key, "seed")) {
			unsigned long long n;

			errno = 0;
			n = strtoull(val, &end, 10);
			bad = errno || end == val || *end || *val == '-';
			if (!strcmp(key, "delay")) {
				bad |= n > 10000;
				cfg->delay = n * 1000000ull;
			} else {
				cfg->seed = n;
			}
		} else {
			snprintf(err, errlen,
				 "impairment '%s': unknown key (loss, dup, reorder, corrupt, delay, seed)",
				 key);
			return -EINVAL;
		}
		if (bad) {
			snprintf(err, errlen,
				 "impairment %s=%s: expected a probability 0..1, delay in ms up to 10000, or a seed",
				 key, val);
			return -EINVAL;
		}
	}
	cfg->enabled = true;
	return 0;
}

/* The canonical text of @cfg, as impair_parse() reads it. */
void impair_format(const struct impair_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "loss=%g,dup=%g,reorder=%g,corrupt=%g,delay=%llu,seed=%llu",
		 cfg->loss, cfg->dup, cfg->reorder, cfg->corrupt,
		 (unsigned long long)(cfg->delay / 1000000ull),
		 (unsigned long long)cfg->seed);
}

void impair_init(struct impair *im, const struct impair_config *cfg)
{
	memset(im, 0, sizeof(*im));
	im->cfg = *cfg;
	im->rng[IMPAIR_RX] = cfg->seed ^ 0x5258000000000000ull;
	im->rng[IMPAIR_TX] = cfg->seed ^ 0x5458000000000000ull;
}

void impair_fini(struct impair *im)
{
	while (im->head) {
		struct impair_frame *f = im->head;

		im->head = f->next;
		free(f);
	}
	im->tail = NULL;
	im->count = 0;
	im->bytes = 0;
}

static void enqueue(struct impair *im, enum impair_dir dir,
		    const uint8_t *frame, size_t len, uint64_t due,
		    bool corrupt)
{
	struct impair_frame *f, **pp;

	if (im->count >= IMPAIR_QUEUE_MAX || im->bytes + len > IMPAIR_BYTES_MAX ||
	    !(f = malloc(sizeof(*f) + len))) {
		im->st[dir].queue_drop++;
		return;
	}
	f->due = due;
	f->len = (uint32_t)len;
	f->dir = (uint8_t)dir;
	memcpy(f->data, frame, len);
	if (corrupt && len) {
		uint64_t r = splitmix64(&im->rng[dir]);
		size_t first = len > 14 ? 14 : 0;
		size_t at = first + (size_t)(r % (len - first));

		f->data[at] ^= (uint8_t)(1u << (r >> 32 & 7));
	}
	/* the common case, a constant delay, appends */
	if (!im->tail || im->tail->due <= due) {
		pp = im->tail ? &im->tail->next : &im->head;
	} else {
		for (pp = &im->head; (*pp)->due <= due; pp = &(*pp)->next)
			;
	}
	f->next = *pp;
	*pp = f;
	if (!f->next)
		im->tail = f;
	im->count++;
	im->bytes += len;
}

/**
 * impair_push() - a frame is about to cross the link
 * @im: the impairment
 * @dir: IMPAIR_RX (from the wire to the engine) or IMPAIR_TX
 * @frame: the frame, copied
 * @len: its length
 * @now: current time
 */
void impair_push(struct impair *im, enum impair_dir dir, const uint8_t *frame,
		 size_t len, uint64_t now)
{
	struct impair_stats *st = &im->st[dir];
	uint64_t *rng = &im->rng[dir];
	uint64_t due = now + im->cfg.delay;
	bool lose, dup, corrupt, reorder;

	st->seen++;
	/* always four draws, so one frame's fate does not shift the next's */
	lose = draw(rng) < im->cfg.loss;
	dup = draw(rng) < im->cfg.dup;
	corrupt = draw(rng) < im->cfg.corrupt;
	reorder = draw(rng) < im->cfg.reorder;
	if (lose) {
		st->lost++;
		return;
	}
	if (reorder) {
		st->reordered++;
		due += REORDER_HOLD;
	}
	if (corrupt)
		st->corrupted++;
	enqueue(im, dir, frame, len, due, corrupt);
	if (dup) {
		st->duplicated++;
		enqueue(im, dir, frame, len, due, false);
	}
}

/**
 * impair_pop() - the next frame due at @now; the caller frees it
 * @im: the impairment
 * @now: current time
 *
 * Return: the frame, or NULL when none is due
 */
struct impair_frame *impair_pop(struct impair *im, uint64_t now)
{
	struct impair_frame *f = im->head;

	if (!f || f->due > now)
		return NULL;
	im->head = f->next;
	if (!im->head)
		im->tail = NULL;
	im->count--;
	im->bytes -= f->len;
	return f;
}

/* Return: when the next frame is due, or UINT64_MAX if none waits */
uint64_t impair_next(const struct impair *im)
{
	return im->head ? im->head->due : UINT64_MAX;
}
