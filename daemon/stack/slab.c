/* SPDX-License-Identifier: MIT */
/* slab.c - objects of one size packed in pages of their own: see slab.h */
#include "slab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_PASSTHROUGH 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SLAB_PASSTHROUGH 1
#endif
#endif

#define SLAB_BYTES (64u << 10)          /* a power of 2: the alignment */

struct slab {
	struct slab_cache *c;
	struct slab *next, *prev;       /* on c->partial */
	void *free;                     /* objects given back, a list */
	unsigned used;                  /* handed out */
	unsigned fresh;                 /* never handed out from here on */
};

/* objects start here, 16-aligned */
#define SLAB_HDR ((sizeof(struct slab) + 15) & ~(size_t)15)

static size_t slab_mapped;              /* every cache's slabs, bytes */

/**
 * slab_mapped_bytes() - the address space every cache's slabs take
 *
 * Return: bytes (their pages are resident once an object in them was
 * handed out)
 */
size_t slab_mapped_bytes(void)
{
	return slab_mapped;
}

/* Return: true if objects are packed in slabs, false if they come from
 * calloc() (under a sanitizer) */
bool slab_packed(void)
{
#ifdef SLAB_PASSTHROUGH
	return false;
#else
	return true;
#endif
}

#ifdef SLAB_PASSTHROUGH

void *slab_alloc(struct slab_cache *c)
{
	void *p = calloc(1, c->size);

	if (p)
		c->objs++;
	return p;
}

void slab_free(struct slab_cache *c, void *obj)
{
	if (obj)
		c->objs--;
	free(obj);
}

#else

/* SLAB_BYTES aligned to SLAB_BYTES: map twice that, unmap the rest. */
static struct slab *slab_map(void)
{
	size_t len = 2 * (size_t)SLAB_BYTES;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t start;
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)p + SLAB_BYTES - 1) & ~(uintptr_t)(SLAB_BYTES - 1);
	head = start - (uintptr_t)p;
	if (head)
		munmap(p, head);
	if (len - head > SLAB_BYTES)
		munmap((uint8_t *)start + SLAB_BYTES, len - head - SLAB_BYTES);
	slab_mapped += SLAB_BYTES;
	return (struct slab *)start;
}

static void slab_link(struct slab_cache *c, struct slab *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
}

static void slab_unlink(struct slab_cache *c, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

/**
 * slab_alloc() - a zeroed object of @c's size
 * @c: the cache
 *
 * Return: it, or NULL without memory
 */
void *slab_alloc(struct slab_cache *c)
{
	struct slab *s = c->partial;
	void *obj;

	if (!c->per) {
		c->size = (c->size + 7) & ~(size_t)7;
		c->per = (unsigned)((SLAB_BYTES - SLAB_HDR) / c->size);
	}
	if (!s) {
		s = c->spare;
		c->spare = NULL;
		if (!s) {
			s = slab_map();
			if (!s)
				return NULL;
			c->slabs++;
			*s = (struct slab){ .c = c };
		}
		slab_link(c, s);
	}
	if (s->free) {
		obj = s->free;
		memcpy(&s->free, obj, sizeof(void *));
	} else {
		obj = (uint8_t *)s + SLAB_HDR + (size_t)s->fresh++ * c->size;
	}
	if (++s->used == c->per)
		slab_unlink(c, s);      /* full: off the list until a free */
	c->objs++;
	memset(obj, 0, c->size);
	return obj;
}

/**
 * slab_free() - give back an object slab_alloc() gave
 * @c: its cache
 * @obj: the object, or NULL
 */
void slab_free(struct slab_cache *c, void *obj)
{
	struct slab *s;

	if (!obj)
		return;
	s = (struct slab *)((uintptr_t)obj & ~(uintptr_t)(SLAB_BYTES - 1));
	if (s->used == c->per)
		slab_link(c, s);        /* was full */
	memcpy(obj, &s->free, sizeof(void *));
	s->free = obj;
	s->used--;
	c->objs--;
	if (s->used)
		return;
	slab_unlink(c, s);
	if (!c->spare) {
		/* kept as it is for the next (a connection that comes and
		 * goes alone costs no mapping each time): 64 KiB at most */
		c->spare = s;
		return;
	}
	munmap(s, SLAB_BYTES);
	slab_mapped -= SLAB_BYTES;
	c->slabs--;
}

#endif
