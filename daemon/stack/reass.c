/* SPDX-License-Identifier: MIT */
/*
 * reass.c - reassembly of IPv4 (RFC 791 3.2, RFC 1122 3.3.2) and IPv6
 * (RFC 8200 4.5) fragments
 *
 * Theory of operation: datagrams in reassembly are keyed by (source,
 * destination, protocol, id) for IPv4 and (source, destination, id) for
 * IPv6. Each holds its fragments as pbufs sorted by offset, and completes
 * when the last fragment has fixed the length and the bytes held add up to
 * it. Then one new pbuf receives the first fragment's header (IPv4) or
 * unfragmentable part without the Fragment header (IPv6) and every piece,
 * and goes on up as if it had arrived whole. One mechanism for both
 * families; only the key and the rebuilt header differ.
 *
 * Bounds: at most reass_max datagrams and reass_max_bytes of buffers in
 * reassembly; a fragment that would pass either is dropped (counted), as
 * Linux does past its high threshold, so a flood of fragments cannot grow
 * memory. Each datagram has reass_timeout (RFC 1122 suggests 60 s; Linux
 * uses 30 s, as we do) to complete; when it runs out and the first fragment
 * had arrived, the sender gets ICMP time exceeded, code 1 (RFC 792).
 *
 * Overlap: a fragment that repeats one we hold exactly is a duplicate and
 * is dropped alone. Any other overlap, or fragments that disagree on where
 * the datagram ends, drop the whole datagram: overlapping fragments have
 * no legitimate sender and are the stuff of evasion attacks (the policy of
 * RFC 5722 for IPv6, and what Linux does for IPv4).
 */
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "icmp6.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack_impl.h"

#define FRAG_OFF(p) ((uint32_t)((p)->stamp >> 32))
#define FRAG_LEN(p) ((uint32_t)(p)->stamp)

static void reass_free(struct stack *s, struct reass *r)
{
	struct reass **pp = &s->reass.head;

	while (*pp != r)
		pp = &(*pp)->next;
	*pp = r->next;
	stack_disarm(s, &r->timer);
	pbuf_free_chain(r->frags);
	s->reass.bytes -= r->bytes;
	s->reass.count--;
	free(r);
}

void reass_fini(struct stack *s)
{
	while (s->reass.head)
		reass_free(s, s->reass.head);
}

static void reass_expire(struct timer *t, uint64_t now)
{
	struct reass *r = container_of(t, struct reass, timer);
	struct stack *s = r->s;

	(void)now;
	CNT(s, frag_timeout);
	if (r->hlen && r->frags && FRAG_OFF(r->frags) == 0) {
		uint8_t quote[REASS_MAX_HDR + 8];
		size_t n = FRAG_LEN(r->frags) < 8 ? FRAG_LEN(r->frags) : 8;

		memcpy(quote, r->hdr, r->hlen);
		memcpy(quote + r->hlen, r->frags->data, n);
		if (ip_is_v4(&r->src))
			icmp_send_error(s, ICMP_TIME_EXCEEDED,
					ICMP_TIMXCEED_REASS, 0, quote,
					r->hlen + n);
		else
			icmp6_send_error(s, ICMP6_TIME_EXCEEDED,
					 ICMP6_TIME_EXCEED_REASS, 0, quote,
					 r->hlen + n);
	}
	reass_free(s, r);
}

static struct reass *reass_find(struct stack *s, const struct reass_frag *f)
{
	for (struct reass *r = s->reass.head; r; r = r->next)
		if (ip_addr_eq(&r->src, &f->src) &&
		    ip_addr_eq(&r->dst, &f->dst) && r->id == f->id &&
		    r->proto == f->proto)
			return r;
	return NULL;
}

static struct reass *reass_new(struct stack *s, const struct reass_frag *f)
{
	struct reass *r;

	if (s->reass.count >= s->cfg.reass_max) {
		CNT(s, frag_too_many);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		CNT(s, frag_nomem);
		return NULL;
	}
	r->s = s;
	r->src = f->src;
	r->dst = f->dst;
	r->id = f->id;
	r->proto = f->proto;
	timer_init(&r->timer, reass_expire);
	if (stack_arm(s, &r->timer, s->now + s->cfg.reass_timeout)) {
		free(r);
		CNT(s, frag_nomem);
		return NULL;
	}
	r->next = s->reass.head;
	s->reass.head = r;
	s->reass.count++;
	return r;
}

/* The whole datagram's header: lengths, and no fragment left in it */
static void reass_fix_header(const struct reass *r, uint8_t *hdr)
{
	if (ip_is_v4(&r->src)) {
		put16(hdr + 2, (uint16_t)(r->hlen + r->total));
		put16(hdr + 6, 0);
		put16(hdr + 10, 0);
		put16(hdr + 10, inet_cksum(hdr, r->hlen));
		return;
	}
	put16(hdr + 4, (uint16_t)(r->hlen - IPV6_HLEN + r->total));
	hdr[r->nh_off] = r->nh;
}

/* One buffer holding the first fragment's header and all the payload. */
static struct pbuf *reass_join(struct stack *s, struct reass *r)
{
	size_t max = ip_is_v4(&r->src) ? IPV4_MAX_LEN :
		     IPV6_HLEN + IPV6_MAX_PAYLOAD;
	struct pbuf *out;
	uint8_t *hdr;

	if (r->hlen + r->total > max) {
		/* the first fragment's header pushed it past 64 KiB */
		CNT(s, frag_bad_len);
		reass_free(s, r);
		return NULL;
	}
	out = pbuf_alloc(&s->pool, PBUF_HEADROOM, r->hlen + r->total);
	if (!out) {
		CNT(s, frag_nomem);
		reass_free(s, r);
		return NULL;
	}
	hdr = out->data;
	memcpy(hdr, r->hdr, r->hlen);
	for (struct pbuf *f = r->frags; f; f = f->next)
		memcpy(hdr + r->hlen + FRAG_OFF(f), f->data, FRAG_LEN(f));
	reass_fix_header(r, hdr);
	CNT(s, frag_reassembled);
	reass_free(s, r);
	return out;
}

/**
 * reass_input() - add a fragment; consumes @p
 * @s: the stack
 * @p: the fragment, data at its network header, trimmed to its length
 * @f: what its network layer read from it
 *
 * Return: the whole datagram (data at its header) once complete, else NULL
 */
struct pbuf *reass_input(struct stack *s, struct pbuf *p,
			 const struct reass_frag *f)
{
	uint32_t off = f->off, len = f->len;
	bool more = f->more;
	uint32_t limit = ip_is_v4(&f->src) ? IPV4_MAX_LEN - f->hlen :
			 IPV6_MAX_PAYLOAD;
	struct pbuf **pp, *prev = NULL;
	struct reass *r;

	CNT(s, frag_rx);
	if (len == 0 || (more && len % 8) || off + len > limit ||
	    (ip_is_v6(&f->src) && f->unfrag > REASS_MAX_HDR)) {
		CNT(s, frag_bad_len);
		goto drop;
	}
	if (s->reass.bytes + p->cap > s->cfg.reass_max_bytes) {
		CNT(s, frag_nomem);
		goto drop;
	}
	r = reass_find(s, f);
	if (!r && !(r = reass_new(s, f)))
		goto drop;
	/* the end of the datagram is fixed by the last fragment (MF clear) */
	if (!more) {
		if (r->total && r->total != off + len)
			goto conflict;
		for (struct pbuf *q = r->frags; q; q = q->next)
			if (FRAG_OFF(q) + FRAG_LEN(q) > off + len)
				goto conflict;
		r->total = off + len;
	} else if (r->total && off + len > r->total) {
		goto conflict;
	}
	for (pp = &r->frags; *pp && FRAG_OFF(*pp) < off; pp = &(*pp)->next)
		prev = *pp;
	if (*pp && FRAG_OFF(*pp) == off && FRAG_LEN(*pp) == len) {
		CNT(s, frag_dup);
		goto drop;
	}
	if ((prev && FRAG_OFF(prev) + FRAG_LEN(prev) > off) ||
	    (*pp && off + len > FRAG_OFF(*pp))) {
		CNT(s, frag_overlap);
		reass_free(s, r);
		goto drop;
	}
	if (off == 0) {
		/* IPv6: the unfragmentable part, without the Fragment header */
		r->hlen = ip_is_v4(&f->src) ? f->hlen : f->unfrag;
		memcpy(r->hdr, p->data, r->hlen);
		r->nh_off = f->nh_off;
		r->nh = f->next;
	}
	pbuf_pull(p, f->hlen);
	p->stamp = (uint64_t)off << 32 | len;
	p->next = *pp;
	*pp = p;
	r->received += len;
	r->bytes += p->cap;
	s->reass.bytes += p->cap;
	if (r->total && r->hlen && r->received == r->total)
		return reass_join(s, r);
	return NULL;
conflict:
	CNT(s, frag_conflict);
	reass_free(s, r);
drop:
	pbuf_free(p);
	return NULL;
}
