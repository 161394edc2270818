/* SPDX-License-Identifier: MIT */
/*
 * impair.h - link impairment for tests: loss, duplication, reordering,
 * corruption and delay, deterministic for a seed. See impair.c.
 */
#ifndef USTACK_IMPAIR_H
#define USTACK_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum impair_dir { IMPAIR_RX, IMPAIR_TX };

#define IMPAIR_QUEUE_MAX 4096
#define IMPAIR_BYTES_MAX (16u << 20)

struct impair_config {
	bool enabled;
	double loss, dup, reorder, corrupt;   /* probabilities, 0..1 */
	uint64_t delay;                       /* ns added to every frame */
	uint64_t seed;
};

struct impair_frame {
	struct impair_frame *next;
	uint64_t due;
	uint32_t len;
	uint8_t dir;
	uint8_t data[];
};

struct impair_stats {
	uint64_t seen, lost, duplicated, reordered, corrupted, queue_drop;
};

struct impair {
	struct impair_config cfg;
	uint64_t rng[2];                      /* one stream per direction */
	struct impair_frame *head;            /* sorted by due, FIFO for ties */
	struct impair_frame *tail;
	unsigned count;
	size_t bytes;
	struct impair_stats st[2];
};

int impair_parse(const char *spec, struct impair_config *cfg, char *err,
		 size_t errlen);
void impair_format(const struct impair_config *cfg, char *buf, size_t len);
void impair_init(struct impair *im, const struct impair_config *cfg);
void impair_fini(struct impair *im);
void impair_push(struct impair *im, enum impair_dir dir, const uint8_t *frame,
		 size_t len, uint64_t now);
struct impair_frame *impair_pop(struct impair *im, uint64_t now);
uint64_t impair_next(const struct impair *im);

#endif
