/* SPDX-License-Identifier: MIT */
/*
 * gso.c - software segmentation of a transmit-offload frame (gso.h)
 *
 * Pure: it reads one frame and writes segments through a callback, so the
 * unit tests drive it with frames of their own and the daemon with the
 * engine's. What it writes is what Linux's tcp_gso_segment() and
 * inet_gso_segment() make of the same frame.
 */
#include <errno.h>
#include <string.h>

#include "eth.h"
#include "gso.h"
#include "inet.h"
#include "ipv4.h"
#include "ipv6.h"

#define TH_FIN 0x01
#define TH_PSH 0x08
#define TH_CWR 0x80

/**
 * gso_segs() - how many segments a frame stands for
 * @len: the frame's length
 * @g: what came with it
 *
 * Return: the count, at least 1 (Linux's tcp_skb_pcount())
 */
unsigned gso_segs(size_t len, const struct gso_tx *g)
{
	size_t pay = len > g->hdr_len ? len - g->hdr_len : 0;

	if (!g->gso_size || !pay)
		return 1;
	return (unsigned)((pay + g->gso_size - 1) / g->gso_size);
}

/**
 * gso_segment() - split a segmentation-offload frame into wire segments
 * @frame: Ethernet + IPv4/IPv6 + TCP headers, then the payload of all
 * @len: its length
 * @g: its description (gso.h)
 * @scratch: room for one segment, built there in turn
 * @scratch_len: its size: at least @g->hdr_len + @g->gso_size
 * @emit: called with each segment, in sequence order
 * @arg: for @emit
 *
 * Return: 0, -EINVAL if @g does not describe @frame (nothing emitted),
 * or what @emit returned to stop
 */
int gso_segment(const uint8_t *frame, size_t len, const struct gso_tx *g,
		uint8_t *scratch, size_t scratch_len, gso_emit_fn emit,
		void *arg)
{
	size_t ip_min = ETH_HLEN + (g->v6 ? IPV6_HLEN : IPV4_HLEN);
	size_t pay, off = 0;
	const uint8_t *ip = frame + ETH_HLEN;
	uint32_t seq;
	uint16_t id = 0;
	uint8_t flags;
	unsigned i = 0;

	if (!g->gso_size || g->hdr_len > len || g->csum_start < ip_min ||
	    g->csum_offset != 16 || (size_t)g->csum_start + 20 > g->hdr_len ||
	    scratch_len < (size_t)g->hdr_len + g->gso_size ||
	    (ip[0] >> 4) != (g->v6 ? 6 : 4) ||
	    (!g->v6 && ETH_HLEN + (size_t)(ip[0] & 0xf) * 4 != g->csum_start))
		return -EINVAL;
	pay = len - g->hdr_len;
	seq = get32(frame + g->csum_start + 4);
	flags = frame[g->csum_start + 13];
	if (!g->v6)
		id = get16(ip + 4);
	do {
		size_t n = pay - off < g->gso_size ? pay - off : g->gso_size;
		size_t seglen = g->hdr_len + n, tcplen = seglen - g->csum_start;
		uint8_t *sip = scratch + ETH_HLEN, *th = scratch + g->csum_start;
		uint8_t f = flags;
		uint32_t sum;
		int rc;

		memcpy(scratch, frame, g->hdr_len);
		memcpy(scratch + g->hdr_len, frame + g->hdr_len + off, n);
		put32(th + 4, seq + (uint32_t)off);
		if (off + n < pay)
			f &= (uint8_t)~(TH_FIN | TH_PSH);
		if (off)
			f &= (uint8_t)~TH_CWR;
		th[13] = f;
		if (g->v6) {
			put16(sip + 4, (uint16_t)(seglen - ETH_HLEN - IPV6_HLEN));
			sum = inet_sum(sip + 8, 32, 0) + (uint32_t)tcplen +
			      IP_PROTO_TCP;
		} else {
			size_t ihl = (size_t)(sip[0] & 0xf) * 4;

			put16(sip + 2, (uint16_t)(seglen - ETH_HLEN));
			put16(sip + 4, (uint16_t)(id + i));
			put16(sip + 10, 0);
			put16(sip + 10, inet_cksum(sip, ihl));
			sum = inet_pseudo_sum(get32(sip + 12), get32(sip + 16),
					      IP_PROTO_TCP, (uint16_t)tcplen);
		}
		put16(th + 16, 0);
		put16(th + 16, inet_fold(inet_sum(th, tcplen, sum)));
		rc = emit(arg, scratch, seglen);
		if (rc)
			return rc;
		off += n;
		i++;
	} while (off < pay);
	return 0;
}
