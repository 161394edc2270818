/* SPDX-License-Identifier: MIT */
/*
 * gso.h - one frame that stands for several TCP segments (segmentation
 * offload on transmit), and the software segmentation that splits it
 *
 * A link that segments (a TAP with IFF_VNET_HDR: the kernel's GSO, as a
 * NIC's TSO) takes from the engine one frame of up to 64 KiB that is the
 * headers of its first segment followed by the payload of all of them.
 * What the link needs to know comes with the frame in a struct gso_tx:
 * the payload per segment, where the headers end, and where the transport
 * checksum lies, which the engine leaves partial (only the pseudo-header's
 * sum, over the whole frame's length, uncomplemented: what Linux's
 * CHECKSUM_PARTIAL holds and what virtio's NEEDS_CSUM asks to finish).
 *
 * gso_segment() does what the kernel does with such a frame, for the
 * hosts and the moments that cannot hand it over whole (a link without
 * offloads, an impairment that acts on frames as the wire carries them, a
 * capture file): each segment its own headers, sequence number, IPv4
 * length, identifier and header checksum or IPv6 payload length, FIN and
 * PSH on the last only, CWR on the first only, a whole TCP checksum.
 */
#ifndef USTACK_GSO_H
#define USTACK_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gso_tx {
	uint16_t gso_size;       /* TCP payload bytes per segment */
	uint16_t hdr_len;        /* Ethernet + IP + TCP headers */
	uint16_t csum_start;     /* the TCP header's offset in the frame */
	uint16_t csum_offset;    /* its checksum's offset in the header: 16 */
	bool v6;                 /* IPv6 (else IPv4) */
};

/* Where gso_segment() puts each segment, in turn; nonzero stops it. */
typedef int (*gso_emit_fn)(void *arg, const uint8_t *seg, size_t len);

int gso_segment(const uint8_t *frame, size_t len, const struct gso_tx *g,
		uint8_t *scratch, size_t scratch_len, gso_emit_fn emit,
		void *arg);
unsigned gso_segs(size_t len, const struct gso_tx *g);

#endif
