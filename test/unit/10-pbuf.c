/* SPDX-License-Identifier: MIT */
/*
 * 10-pbuf.c - packet buffers: bounds of push/pull/put/trim, references,
 * the budget, the free list. Every test ends with no live buffer.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "pbuf.h"

static void pool_fini(struct pbuf_pool *pool)
{
	cr_expect_eq(pool->live, 0, "%llu buffers leaked",
		     (unsigned long long)pool->live);
	cr_expect_eq(pool->in_use, 0);
	pbuf_pool_drain(pool);
	cr_expect_eq(pool->nfree, 0);
	cr_expect_null(pool->freelist);
}

Test(pbuf, alloc_layout)
{
	struct pbuf_pool pool;
	struct pbuf *p;

	pbuf_pool_init(&pool, 1 << 20);
	p = pbuf_alloc(&pool, PBUF_HEADROOM, 100);
	cr_assert_not_null(p);
	cr_expect_eq(p->len, 100);
	cr_expect_eq(p->cap, PBUF_SMALL_CAP, "small buffers use the size class");
	cr_expect_eq(p->refcnt, 1);
	cr_expect_eq(pbuf_headroom(p), PBUF_HEADROOM);
	cr_expect_eq(pbuf_tailroom(p), PBUF_SMALL_CAP - PBUF_HEADROOM - 100);
	cr_expect_eq(p->pool, &pool);
	cr_expect_null(p->next);
	cr_expect_eq(pool.live, 1);
	cr_expect_eq(pool.in_use, PBUF_SMALL_CAP);
	cr_expect_eq(pool.peak, PBUF_SMALL_CAP);
	pbuf_free(p);
	cr_expect_eq(pool.peak, PBUF_SMALL_CAP, "peak stays");
	pool_fini(&pool);
}

Test(pbuf, large_is_exact)
{
	struct pbuf_pool pool;
	struct pbuf *p;

	pbuf_pool_init(&pool, 1 << 20);
	p = pbuf_alloc(&pool, 128, 20000);
	cr_assert_not_null(p);
	cr_expect_eq(p->cap, 20128);
	cr_expect_eq(pool.in_use, 20128);
	pbuf_free(p);
	cr_expect_eq(pool.nfree, 0, "only the small class is kept");
	pool_fini(&pool);
}

Test(pbuf, push_pull_bounds)
{
	struct pbuf_pool pool;
	struct pbuf *p;
	uint8_t *d;

	pbuf_pool_init(&pool, 1 << 20);
	p = pbuf_alloc(&pool, 16, 10);
	d = p->data;
	cr_expect_eq(pbuf_push(p, 14), d - 14);
	cr_expect_eq(p->len, 24);
	cr_expect_eq(pbuf_headroom(p), 2);
	cr_expect_null(pbuf_push(p, 3), "only 2 bytes of headroom left");
	cr_expect_eq(p->len, 24, "a refused push changes nothing");
	cr_expect_eq(pbuf_push(p, 2), p->buf);
	cr_expect_null(pbuf_push(p, 1));
	cr_expect_eq(pbuf_pull(p, 16), d);
	cr_expect_eq(p->len, 10);
	cr_expect_null(pbuf_pull(p, 11), "cannot pull past the data");
	cr_expect_eq(p->len, 10);
	cr_expect_eq(pbuf_pull(p, 10), d + 10);
	cr_expect_eq(p->len, 0);
	cr_expect_null(pbuf_pull(p, 1));
	cr_expect_not_null(pbuf_pull(p, 0));
	pbuf_free(p);
	pool_fini(&pool);
}

Test(pbuf, put_trim_bounds)
{
	struct pbuf_pool pool;
	struct pbuf *p;
	size_t room;
	uint8_t *tail;

	pbuf_pool_init(&pool, 1 << 20);
	p = pbuf_alloc(&pool, 0, 0);
	room = pbuf_tailroom(p);
	cr_expect_eq(room, PBUF_SMALL_CAP);
	tail = pbuf_put(p, 5);
	cr_expect_eq(tail, p->data);
	memcpy(tail, "hello", 5);
	cr_expect_eq(p->len, 5);
	cr_expect_null(pbuf_put(p, room - 4), "one byte past the end");
	cr_expect_eq(p->len, 5);
	cr_expect_eq(pbuf_put(p, room - 5), p->data + 5);
	cr_expect_eq(pbuf_tailroom(p), 0);
	cr_expect_null(pbuf_put(p, 1));
	cr_expect_eq(pbuf_trim(p, room + 1), -1, "trim cannot grow");
	cr_expect_eq(p->len, room);
	cr_expect_eq(pbuf_trim(p, 3), 0);
	cr_expect_eq(p->len, 3);
	cr_expect_arr_eq(p->data, "hel", 3);
	cr_expect_eq(pbuf_trim(p, 3), 0, "trim to the same length");
	cr_expect_eq(pbuf_trim(p, 0), 0);
	cr_expect_eq(p->len, 0);
	pbuf_free(p);
	pool_fini(&pool);
}

Test(pbuf, refcount)
{
	struct pbuf_pool pool;
	struct pbuf *p;

	pbuf_pool_init(&pool, 1 << 20);
	p = pbuf_alloc(&pool, 0, 64);
	cr_expect_eq(pbuf_ref(p), p);
	cr_expect_eq(p->refcnt, 2);
	pbuf_free(p);
	cr_expect_eq(p->refcnt, 1, "first owner gone, buffer alive");
	cr_expect_eq(pool.live, 1);
	cr_expect_eq(pool.in_use, PBUF_SMALL_CAP);
	pbuf_free(p);
	cr_expect_eq(pool.live, 0);
	pbuf_free(NULL);
	pool_fini(&pool);
}

Test(pbuf, budget_refusal_counted)
{
	struct pbuf_pool pool;
	struct pbuf *a, *b, *c;

	pbuf_pool_init(&pool, 2 * PBUF_SMALL_CAP + 100);
	a = pbuf_alloc(&pool, 0, 10);
	b = pbuf_alloc(&pool, 0, 10);
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	c = pbuf_alloc(&pool, 0, 10);
	cr_expect_null(c, "a third small buffer passes the budget");
	cr_expect_eq(pool.alloc_fail, 1);
	c = pbuf_alloc(&pool, 0, 101);
	cr_expect_null(c);
	cr_expect_eq(pool.alloc_fail, 2);
	cr_expect_eq(pool.live, 2);
	pbuf_free(a);
	c = pbuf_alloc(&pool, 0, 10);
	cr_expect_not_null(c, "room again once one is freed");
	cr_expect_eq(pool.alloc_fail, 2);
	cr_expect_eq(pool.peak, 2 * PBUF_SMALL_CAP);
	pbuf_free(b);
	pbuf_free(c);
	pool_fini(&pool);
}

/* headroom + len must not wrap around: a huge request is refused. */
Test(pbuf, huge_request_refused)
{
	struct pbuf_pool pool;

	pbuf_pool_init(&pool, SIZE_MAX);
	cr_expect_null(pbuf_alloc(&pool, PBUF_HEADROOM, SIZE_MAX));
	cr_expect_null(pbuf_alloc(&pool, SIZE_MAX, 2));
	cr_expect_null(pbuf_alloc(&pool, 0, (size_t)UINT32_MAX + 10));
	cr_expect_null(pbuf_alloc(&pool, 0, UINT32_MAX));
	cr_expect_eq(pool.alloc_fail, 4);
	cr_expect_eq(pool.live, 0);
	pool_fini(&pool);
}

Test(pbuf, freelist_reuse)
{
	struct pbuf_pool pool;
	struct pbuf *a, *b, *big;

	pbuf_pool_init(&pool, 1 << 20);
	a = pbuf_alloc(&pool, PBUF_HEADROOM, 1500);
	a->stamp = 77;
	pbuf_free(a);
	cr_expect_eq(pool.nfree, 1);
	cr_expect_eq(pool.in_use, 0, "the free list is not charged");
	b = pbuf_alloc(&pool, 0, 60);
	cr_expect_eq(b, a, "the freed buffer is reused");
	cr_expect_eq(pool.nfree, 0);
	cr_expect_eq(b->len, 60);
	cr_expect_eq(b->stamp, 0, "reuse resets the owner's fields");
	cr_expect_eq(b->refcnt, 1);
	cr_expect_eq(pbuf_headroom(b), 0);
	big = pbuf_alloc(&pool, 0, PBUF_SMALL_CAP + 1);
	cr_expect_neq(big, a);
	pbuf_free(big);
	pbuf_free(b);
	pool_fini(&pool);
}

Test(pbuf, freelist_bounded)
{
	static struct pbuf *v[PBUF_FREELIST_MAX + 10];
	struct pbuf_pool pool;

	pbuf_pool_init(&pool, 4 << 20);
	for (unsigned i = 0; i < PBUF_FREELIST_MAX + 10; i++) {
		v[i] = pbuf_alloc(&pool, 0, 1);
		cr_assert_not_null(v[i]);
	}
	for (unsigned i = 0; i < PBUF_FREELIST_MAX + 10; i++)
		pbuf_free(v[i]);
	cr_expect_eq(pool.nfree, PBUF_FREELIST_MAX);
	pool_fini(&pool);
}

Test(pbuf, copy_and_chain)
{
	struct pbuf_pool pool;
	struct pbuf *a, *b, *e;

	pbuf_pool_init(&pool, 1 << 20);
	a = pbuf_copy(&pool, 32, "abcdef", 6);
	cr_assert_not_null(a);
	cr_expect_eq(a->len, 6);
	cr_expect_eq(pbuf_headroom(a), 32);
	cr_expect_arr_eq(a->data, "abcdef", 6);
	e = pbuf_copy(&pool, 0, NULL, 0);
	cr_assert_not_null(e);
	cr_expect_eq(e->len, 0);
	b = pbuf_alloc(&pool, 0, 3000);
	a->next = b;
	b->next = e;
	cr_expect_eq(pool.live, 3);
	pbuf_free_chain(a);
	cr_expect_eq(pool.live, 0);
	pbuf_free_chain(NULL);
	pool_fini(&pool);
}
