/* SPDX-License-Identifier: MIT */
/*
 * pbuf.h - packet buffers
 *
 * Theory of operation: a pbuf is one contiguous allocation holding one
 * frame or datagram. @data points at the first valid byte and @len counts
 * the valid bytes; the room before @data (the headroom) lets each layer
 * prepend its header in place on output, and pbuf_pull() strips headers on
 * input. A pbuf has exactly one owner; functions that take a pbuf say so,
 * and the owner is the one that frees it. pbuf_ref() exists for the rare
 * case of a second owner (a frame queued for both capture and output).
 *
 * Every pbuf comes from a pbuf_pool that accounts its bytes against a
 * budget: when the budget is spent pbuf_alloc() fails (and counts it)
 * instead of growing without bound. Buffers of the common size class are
 * kept on a free list so the steady state does not touch malloc.
 */
#ifndef USTACK_PBUF_H
#define USTACK_PBUF_H

#include <stddef.h>
#include <stdint.h>

/* Headroom for Ethernet + IPv4 (with options) + TCP (with options). */
#define PBUF_HEADROOM 128
/* Size class kept on the free list: a full Ethernet frame plus headroom. */
#define PBUF_SMALL_CAP 2048
#define PBUF_FREELIST_MAX 256

struct pbuf_pool;

struct pbuf {
	uint8_t *data;           /* first valid byte */
	uint32_t len;            /* valid bytes from @data */
	uint32_t cap;            /* bytes in @buf */
	uint32_t refcnt;
	/* what the link says of a received frame (stack_input_meta()), or
	 * on transmit: TCP segments of this size for the link to cut, with
	 * a partial checksum (gso.h) */
	uint16_t gso_size;       /* a segment of segments this long, 0: not */
	uint8_t rx_flags;        /* PBUF_RX_* */
	struct pbuf *next;       /* link for whichever queue owns it */
	struct pbuf_pool *pool;
	uint64_t stamp;          /* owner's use: arrival time, due time */
	uint8_t buf[];
};

/* The link vouches for the transport checksum: the kernel wrote it as
 * partial (checksum offload) or verified it */
#define PBUF_RX_CSUM_OK 0x01

struct pbuf_pool {
	size_t budget;           /* bytes allowed in live pbufs */
	size_t in_use;           /* bytes in live pbufs */
	size_t peak;             /* highest in_use seen */
	uint64_t live;           /* pbufs allocated and not freed */
	uint64_t alloc_fail;     /* allocations refused (budget or malloc) */
	struct pbuf *freelist;   /* PBUF_SMALL_CAP buffers ready for reuse */
	unsigned nfree;
};

void pbuf_pool_init(struct pbuf_pool *pool, size_t budget);
void pbuf_pool_drain(struct pbuf_pool *pool);

struct pbuf *pbuf_alloc(struct pbuf_pool *pool, size_t headroom, size_t len);
struct pbuf *pbuf_ref(struct pbuf *p);
void pbuf_free(struct pbuf *p);
void pbuf_free_chain(struct pbuf *p);

/* Bytes before @data that a header can still be pushed into. */
static inline size_t pbuf_headroom(const struct pbuf *p)
{
	return (size_t)(p->data - p->buf);
}

/* Bytes after the valid data that can still be appended. */
static inline size_t pbuf_tailroom(const struct pbuf *p)
{
	return p->cap - pbuf_headroom(p) - p->len;
}

uint8_t *pbuf_push(struct pbuf *p, size_t n);
uint8_t *pbuf_pull(struct pbuf *p, size_t n);
int pbuf_trim(struct pbuf *p, size_t len);
uint8_t *pbuf_put(struct pbuf *p, size_t n);
struct pbuf *pbuf_copy(struct pbuf_pool *pool, size_t headroom,
		       const void *data, size_t len);

#endif
