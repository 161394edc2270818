/* SPDX-License-Identifier: MIT */
/* 05-impair: the link impairment's parser, determinism and each fault */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link/impair.h"

static struct impair_config parse_ok(const char *spec)
{
	struct impair_config c;
	char err[256] = "";

	cr_assert_eq(impair_parse(spec, &c, err, sizeof(err)), 0, "%s: %s", spec, err);
	return c;
}

Test(impair, parse_all_keys)
{
	struct impair_config c =
		parse_ok("loss=0.2,dup=0.01,reorder=0.05,corrupt=0.5,delay=12,seed=99");
	char text[256];

	cr_assert(c.enabled);
	cr_assert_float_eq(c.loss, 0.2, 1e-12);
	cr_assert_float_eq(c.dup, 0.01, 1e-12);
	cr_assert_float_eq(c.reorder, 0.05, 1e-12);
	cr_assert_float_eq(c.corrupt, 0.5, 1e-12);
	cr_assert_eq(c.delay, 12000000ull);
	cr_assert_eq(c.seed, 99);
	impair_format(&c, text, sizeof(text));
	cr_assert_str_eq(text, "loss=0.2,dup=0.01,reorder=0.05,corrupt=0.5,delay=12,seed=99");
}

Test(impair, parse_defaults_and_errors)
{
	struct impair_config c = parse_ok("loss=0.3");
	char err[256];

	cr_assert_eq(c.seed, 1);
	cr_assert_eq(c.delay, 0);
	cr_assert_eq(impair_parse("loss=1.5", &c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "loss=1.5"));
	cr_assert_eq(impair_parse("loss=-0.1", &c, err, sizeof(err)), -EINVAL);
	cr_assert_eq(impair_parse("jitter=3", &c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown key"));
	cr_assert_eq(impair_parse("loss", &c, err, sizeof(err)), -EINVAL);
	cr_assert_eq(impair_parse("delay=-1", &c, err, sizeof(err)), -EINVAL);
	cr_assert_eq(impair_parse("delay=10001", &c, err, sizeof(err)), -EINVAL);
	cr_assert_eq(impair_parse("loss=0.1x", &c, err, sizeof(err)), -EINVAL);
}

/* Push @n frames (payload = index) and return what comes out, in order. */
static unsigned run(struct impair *im, unsigned n, uint32_t *out, unsigned cap)
{
	uint8_t frame[60];
	unsigned got = 0;
	struct impair_frame *f;

	for (unsigned i = 0; i < n; i++) {
		memset(frame, 0, sizeof(frame));
		memcpy(frame + 20, &i, sizeof(i));
		impair_push(im, IMPAIR_TX, frame, sizeof(frame), (uint64_t)i * 100000);
		while ((f = impair_pop(im, (uint64_t)i * 100000))) {
			if (got < cap)
				memcpy(&out[got], f->data + 20, 4);
			got++;
			free(f);
		}
	}
	while ((f = impair_pop(im, UINT64_MAX - 1))) {
		if (got < cap)
			memcpy(&out[got], f->data + 20, 4);
		got++;
		free(f);
	}
	return got;
}

Test(impair, clean_link_keeps_everything_in_order)
{
	struct impair im;
	uint32_t out[1000];

	impair_init(&im, &(struct impair_config){ .enabled = true, .seed = 1 });
	cr_assert_eq(run(&im, 1000, out, 1000), 1000);
	for (unsigned i = 0; i < 1000; i++)
		cr_assert_eq(out[i], i);
	cr_assert_eq(impair_next(&im), UINT64_MAX);
	impair_fini(&im);
}

Test(impair, loss_rate_and_determinism)
{
	struct impair a, b;
	static uint32_t oa[20000], ob[20000];
	struct impair_config c = parse_ok("loss=0.2,seed=42");
	unsigned na, nb;

	impair_init(&a, &c);
	impair_init(&b, &c);
	na = run(&a, 20000, oa, 20000);
	nb = run(&b, 20000, ob, 20000);
	cr_assert_eq(na, nb, "same seed, same fate");
	cr_assert_eq(memcmp(oa, ob, na * sizeof(uint32_t)), 0);
	cr_assert_eq(a.st[IMPAIR_TX].lost + na, 20000);
	cr_assert(a.st[IMPAIR_TX].lost > 3700 && a.st[IMPAIR_TX].lost < 4300,
		  "lost %lu of 20000", (unsigned long)a.st[IMPAIR_TX].lost);
	c.seed = 43;
	impair_fini(&b);
	impair_init(&b, &c);
	nb = run(&b, 20000, ob, 20000);
	cr_assert(na != nb || memcmp(oa, ob, na * sizeof(uint32_t)),
		  "another seed, another fate");
	impair_fini(&a);
	impair_fini(&b);
}

Test(impair, duplication_adds_copies)
{
	struct impair im;
	static uint32_t out[12000];
	unsigned n;

	impair_init(&im, &(struct impair_config){ .enabled = true, .dup = 0.1, .seed = 5 });
	n = run(&im, 10000, out, 12000);
	cr_assert_eq(n, 10000 + im.st[IMPAIR_TX].duplicated);
	cr_assert(im.st[IMPAIR_TX].duplicated > 850 && im.st[IMPAIR_TX].duplicated < 1150);
	impair_fini(&im);
}

Test(impair, corruption_flips_one_bit_past_the_ethernet_header)
{
	struct impair im;
	uint8_t frame[100] = { 0 };
	struct impair_frame *f;

	impair_init(&im, &(struct impair_config){ .enabled = true, .corrupt = 1.0, .seed = 9 });
	for (int i = 0; i < 200; i++) {
		int bits = 0;

		impair_push(&im, IMPAIR_RX, frame, sizeof(frame), 0);
		f = impair_pop(&im, 0);
		cr_assert_not_null(f);
		for (unsigned j = 0; j < 14; j++)
			cr_assert_eq(f->data[j], 0, "Ethernet header untouched");
		for (unsigned j = 14; j < f->len; j++)
			bits += __builtin_popcount(f->data[j]);
		cr_assert_eq(bits, 1);
		free(f);
	}
	cr_assert_eq(im.st[IMPAIR_RX].corrupted, 200);
	impair_fini(&im);
}

Test(impair, delay_holds_frames_until_due)
{
	struct impair im;
	uint8_t frame[60] = { 0 };
	struct impair_frame *f;

	impair_init(&im, &(struct impair_config){ .enabled = true, .delay = 5000000, .seed = 1 });
	impair_push(&im, IMPAIR_TX, frame, sizeof(frame), 1000);
	cr_assert_eq(impair_next(&im), 5001000);
	cr_assert_null(impair_pop(&im, 5000999));
	f = impair_pop(&im, 5001000);
	cr_assert_not_null(f);
	free(f);
	impair_fini(&im);
}

Test(impair, reordered_frames_are_overtaken)
{
	struct impair im;
	static uint32_t out[5000];
	unsigned n, inversions = 0;

	impair_init(&im, &(struct impair_config){ .enabled = true, .reorder = 0.1, .seed = 2 });
	n = run(&im, 5000, out, 5000);
	cr_assert_eq(n, 5000, "reordering loses nothing");
	for (unsigned i = 1; i < n; i++)
		inversions += out[i] < out[i - 1];
	cr_assert(inversions > 300, "%u inversions", inversions);
	cr_assert_eq(im.st[IMPAIR_TX].reordered > 400, 1);
	impair_fini(&im);
}

Test(impair, queue_is_bounded)
{
	struct impair im;
	uint8_t frame[1500] = { 0 };

	impair_init(&im, &(struct impair_config){ .enabled = true, .delay = 1000000000, .seed = 1 });
	for (int i = 0; i < IMPAIR_QUEUE_MAX + 100; i++)
		impair_push(&im, IMPAIR_TX, frame, sizeof(frame), 0);
	cr_assert_eq(im.count, IMPAIR_QUEUE_MAX);
	cr_assert_eq(im.st[IMPAIR_TX].queue_drop, 100);
	impair_fini(&im);
	cr_assert_eq(im.count, 0);
	cr_assert_eq(im.bytes, 0);
}
