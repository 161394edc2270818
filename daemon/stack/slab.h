/* SPDX-License-Identifier: MIT */
/*
 * slab.h - objects of one size packed in pages of their own
 *
 * Theory of operation: the objects that live as long as a connection (the
 * engine's tcp_sock, the daemon's struct sock) come from 64 KiB slabs,
 * mapped aligned to their size so that an object finds its slab by
 * masking its address. Objects are packed with no allocator header, and
 * none of them sits between the short-lived buffers of a connection's
 * handshake and first bytes: with malloc, the holes those leave between
 * long-lived objects kept about 40 bytes per idle connection resident
 * (issue 11). A slab takes pages as its objects are first handed out;
 * an empty one is unmapped (one is kept for the next). Under a sanitizer
 * the objects come from calloc(), so that its checks see each one.
 */
#ifndef USTACK_SLAB_H
#define USTACK_SLAB_H

#include <stdbool.h>
#include <stddef.h>

struct slab;

struct slab_cache {
	const char *name;
	size_t size;                    /* object bytes, 8-aligned */
	unsigned per;                   /* objects a slab holds */
	struct slab *partial;           /* slabs with room, none empty */
	struct slab *spare;             /* one empty slab kept */
	size_t slabs;                   /* mapped, the spare included */
	size_t objs;                    /* handed out */
};

#define SLAB_CACHE_INIT(n, type) { .name = (n), .size = sizeof(type) }

void *slab_alloc(struct slab_cache *c);
void slab_free(struct slab_cache *c, void *obj);
size_t slab_mapped_bytes(void);
bool slab_packed(void);

#endif
