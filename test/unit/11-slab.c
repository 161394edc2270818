/* SPDX-License-Identifier: MIT */
/*
 * 11-slab.c - the slab caches connections live in: zeroed objects, none
 * shared, given back and handed out again, slabs mapped as objects need
 * them and unmapped when empty (one kept), and under a sanitizer the same
 * calls served by calloc()
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "slab.h"

struct obj {
	uint64_t a[97];         /* 776 bytes, a tcp_sock's size */
};

#define N 1000

Test(slab, objects_zeroed_distinct_and_reused)
{
	struct slab_cache c = SLAB_CACHE_INIT("test", struct obj);
	static struct obj *o[N];
	size_t base = slab_mapped_bytes();

	for (unsigned i = 0; i < N; i++) {
		o[i] = slab_alloc(&c);
		cr_assert_not_null(o[i]);
		for (unsigned k = 0; k < 97; k++)
			cr_assert_eq(o[i]->a[k], 0, "object %u is zeroed", i);
		cr_assert_eq((uintptr_t)o[i] % 8, 0, "8-aligned");
		memset(o[i], 0xa5, sizeof(*o[i]));     /* all of it is ours */
	}
	cr_assert_eq(c.objs, N);
	for (unsigned i = 0; i < N; i++)
		for (unsigned k = 0; k < 97; k++)
			cr_assert_eq(o[i]->a[k], 0xa5a5a5a5a5a5a5a5ull,
				     "no object overlaps another (%u)", i);
	if (slab_packed()) {
		/* 84 per 64 KiB slab: 12 slabs, no allocator header */
		cr_assert_eq(c.per, (64 * 1024 - 48) / sizeof(struct obj));
		cr_assert_eq(c.slabs, (N + c.per - 1) / c.per);
		cr_assert_eq(slab_mapped_bytes() - base, c.slabs * 64 * 1024);
	}
	/* every other one back, then as many again: the holes are reused */
	for (unsigned i = 0; i < N; i += 2)
		slab_free(&c, o[i]);
	cr_assert_eq(c.objs, N / 2);
	for (unsigned i = 0; i < N; i += 2) {
		o[i] = slab_alloc(&c);
		cr_assert_not_null(o[i]);
		for (unsigned k = 0; k < 97; k++)
			cr_assert_eq(o[i]->a[k], 0, "a reused object is zeroed");
	}
	if (slab_packed())
		cr_assert_eq(c.slabs, (N + c.per - 1) / c.per,
			     "no new slab while old ones have room");
	for (unsigned i = 0; i < N; i++)
		slab_free(&c, o[i]);
	cr_assert_eq(c.objs, 0);
	if (slab_packed()) {
		cr_assert_eq(c.slabs, 1, "empty slabs unmapped, one kept");
		cr_assert_eq(slab_mapped_bytes() - base, 64 * 1024);
	}
	slab_free(&c, NULL);    /* as free(NULL) */
}

/* churn through the kept slab: objects come back from it zeroed */
Test(slab, spare_slab_handed_out_again)
{
	struct slab_cache c = SLAB_CACHE_INIT("test", struct obj);

	for (unsigned round = 0; round < 3; round++) {
		struct obj *x = slab_alloc(&c), *y = slab_alloc(&c);

		cr_assert(x && y && x != y);
		cr_assert_eq(x->a[0] | y->a[96], 0);
		x->a[0] = y->a[96] = 1;
		slab_free(&c, x);
		slab_free(&c, y);
		if (slab_packed())
			cr_assert_eq(c.slabs, 1);
	}
}
