/* SPDX-License-Identifier: MIT */
/* pbuf.c - packet buffers: see pbuf.h for the theory of operation. */
#include "pbuf.h"

#include <stdlib.h>
#include <string.h>

/**
 * pbuf_pool_init() - set up an empty pool
 * @pool: the pool
 * @budget: bytes that live pbufs may hold at most
 */
void pbuf_pool_init(struct pbuf_pool *pool, size_t budget)
{
	memset(pool, 0, sizeof(*pool));
	pool->budget = budget;
}

/**
 * pbuf_pool_drain() - release the free list (live pbufs are the owners')
 * @pool: the pool
 */
void pbuf_pool_drain(struct pbuf_pool *pool)
{
	while (pool->freelist) {
		struct pbuf *p = pool->freelist;

		pool->freelist = p->next;
		free(p);
	}
	pool->nfree = 0;
}

/**
 * pbuf_alloc() - allocate a pbuf for @len bytes after @headroom
 * @pool: pool charged for it
 * @headroom: bytes reserved in front of the data for headers
 * @len: valid bytes (content undefined)
 *
 * Return: the pbuf with refcnt 1, or NULL if the budget is spent or
 * @headroom + @len does not fit in 32 bits (both counted in alloc_fail)
 */
struct pbuf *pbuf_alloc(struct pbuf_pool *pool, size_t headroom, size_t len)
{
	size_t cap = headroom + len;
	struct pbuf *p;

	/* both terms bounded first, so that headroom + len cannot wrap */
	if (headroom > UINT32_MAX || len > UINT32_MAX ||
	    cap > UINT32_MAX - sizeof(*p)) {
		pool->alloc_fail++;
		return NULL;
	}
	if (cap <= PBUF_SMALL_CAP)
		cap = PBUF_SMALL_CAP;
	if (pool->in_use + cap > pool->budget) {
		pool->alloc_fail++;
		return NULL;
	}
	if (cap == PBUF_SMALL_CAP && pool->freelist) {
		p = pool->freelist;
		pool->freelist = p->next;
		pool->nfree--;
	} else {
		p = malloc(sizeof(*p) + cap);
		if (!p) {
			pool->alloc_fail++;
			return NULL;
		}
	}
	p->cap = (uint32_t)cap;
	p->data = p->buf + headroom;
	p->len = (uint32_t)len;
	p->refcnt = 1;
	p->gso_size = 0;
	p->rx_flags = 0;
	p->next = NULL;
	p->pool = pool;
	p->stamp = 0;
	pool->in_use += cap;
	if (pool->in_use > pool->peak)
		pool->peak = pool->in_use;
	pool->live++;
	return p;
}

/**
 * pbuf_ref() - take another reference
 * @p: the pbuf
 *
 * Return: @p
 */
struct pbuf *pbuf_ref(struct pbuf *p)
{
	p->refcnt++;
	return p;
}

/**
 * pbuf_free() - drop a reference; the last one returns the memory
 * @p: the pbuf, or NULL
 */
void pbuf_free(struct pbuf *p)
{
	struct pbuf_pool *pool;

	if (!p || --p->refcnt)
		return;
	pool = p->pool;
	pool->in_use -= p->cap;
	pool->live--;
	if (p->cap == PBUF_SMALL_CAP && pool->nfree < PBUF_FREELIST_MAX) {
		p->next = pool->freelist;
		pool->freelist = p;
		pool->nfree++;
		return;
	}
	free(p);
}

/**
 * pbuf_free_chain() - free every pbuf of a ->next linked list
 * @p: head of the list, or NULL
 */
void pbuf_free_chain(struct pbuf *p)
{
	while (p) {
		struct pbuf *next = p->next;

		pbuf_free(p);
		p = next;
	}
}

/**
 * pbuf_push() - prepend @n bytes (a header) in the headroom
 * @p: the pbuf
 * @n: header size
 *
 * Return: pointer to the new first byte, or NULL if the headroom is short
 */
uint8_t *pbuf_push(struct pbuf *p, size_t n)
{
	if (n > pbuf_headroom(p))
		return NULL;
	p->data -= n;
	p->len += (uint32_t)n;
	return p->data;
}

/**
 * pbuf_pull() - strip @n bytes (a parsed header) from the front
 * @p: the pbuf
 * @n: header size
 *
 * Return: pointer to the new first byte, or NULL if @p is shorter than @n
 */
uint8_t *pbuf_pull(struct pbuf *p, size_t n)
{
	if (n > p->len)
		return NULL;
	p->data += n;
	p->len -= (uint32_t)n;
	return p->data;
}

/**
 * pbuf_trim() - cut the valid data down to @len bytes (drop padding)
 * @p: the pbuf
 * @len: new length, at most the current one
 *
 * Return: 0, or -1 if @len is longer than the data
 */
int pbuf_trim(struct pbuf *p, size_t len)
{
	if (len > p->len)
		return -1;
	p->len = (uint32_t)len;
	return 0;
}

/**
 * pbuf_put() - append @n bytes at the tail
 * @p: the pbuf
 * @n: bytes to add
 *
 * Return: pointer to the first appended byte, or NULL without tailroom
 */
uint8_t *pbuf_put(struct pbuf *p, size_t n)
{
	uint8_t *tail = p->data + p->len;

	if (n > pbuf_tailroom(p))
		return NULL;
	p->len += (uint32_t)n;
	return tail;
}

/**
 * pbuf_copy() - allocate a pbuf holding a copy of @data
 * @pool: pool charged for it
 * @headroom: headroom to reserve
 * @data: bytes to copy
 * @len: their count
 *
 * Return: the pbuf, or NULL if the budget is spent
 */
struct pbuf *pbuf_copy(struct pbuf_pool *pool, size_t headroom,
		       const void *data, size_t len)
{
	struct pbuf *p = pbuf_alloc(pool, headroom, len);

	if (p && len)
		memcpy(p->data, data, len);
	return p;
}
