/* SPDX-License-Identifier: MIT */
/*
 * gso.h - one frame that stands for several TCP segments or UDP datagrams
 * (segmentation offload), the software segmentation that splits it, and
 * the batch that merges UDP datagrams into such a frame
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
 *
 * UDP (@udp; Linux's UDP_SEGMENT, virtio's GSO_UDP_L4, "USO"): the frame
 * is the first datagram's headers, then the payloads of datagrams of
 * @gso_size bytes each, the last possibly shorter; the UDP length is the
 * frame's and the checksum the pseudo-header's partial sum over it. Cut,
 * each datagram gets its own IPv4 length, identifier (the first's, plus
 * one per datagram, as inet_gso_segment() numbers them) and header
 * checksum or IPv6 payload length, UDP length and whole checksum. The
 * engine builds such frames from datagrams it sends back to back
 * (struct uso_batch); the daemon splits those the kernel hands it.
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
	bool udp;                /* UDP datagrams (csum_offset 6), else TCP */
};

/* Where gso_segment() puts each segment, in turn; nonzero stops it. */
typedef int (*gso_emit_fn)(void *arg, const uint8_t *seg, size_t len);

int gso_segment(const uint8_t *frame, size_t len, const struct gso_tx *g,
		uint8_t *scratch, size_t scratch_len, gso_emit_fn emit,
		void *arg);
unsigned gso_segs(size_t len, const struct gso_tx *g);
int gso_describe_udp(const uint8_t *frame, size_t len, uint16_t gso_size,
		     struct gso_tx *g);

/*
 * UDP datagrams of one flow, merged into one frame for the link to cut
 * (USO). What merges with the datagrams held: the same Ethernet header,
 * IP header (but for the lengths, the IPv4 checksum and an identifier
 * that is the next one: the kernel numbers the datagrams it cuts from the
 * first's), UDP ports, and a payload no longer than the first's; a
 * shorter one is the last (the kernel cuts gso_size bytes at a time).
 * IPv4 without options or fragments, IPv6 without extension headers, a
 * payload of at least a byte and a checksum (IPv4's optional 0 stays
 * unmerged: the kernel would fill it in). At most USO_MAX_SEGS datagrams
 * (Linux's UDP_MAX_SEGMENTS, which virtio_net_hdr_to_skb() enforces; 128
 * since 6.9, 64 before) and an IP length of 65535.
 */
#define USO_MAX_SEGS 64
#define USO_BUF_LEN (14 + 65535)        /* Ethernet + the longest IP */

struct uso_batch {
	uint8_t *buf;            /* USO_BUF_LEN: the frame being built */
	size_t len;              /* its length; 0: nothing held */
	uint16_t hdr_len;        /* Ethernet + IP + UDP headers */
	uint16_t seg;            /* the first datagram's payload length */
	uint16_t count;          /* datagrams held */
	uint16_t next_id;        /* IPv4: the identifier that merges next */
	bool v6;
	bool closed;             /* a shorter datagram came: it is the last */
};

enum uso_verdict {
	USO_NO,                  /* not for a batch: send it as it is */
	USO_HELD,                /* merged, or the first of a new batch */
	USO_FLUSH,               /* send the batch first, then ask again */
};

enum uso_verdict uso_add(struct uso_batch *b, const uint8_t *frame,
			 size_t len);
bool uso_full(const struct uso_batch *b);
size_t uso_finish(struct uso_batch *b, struct gso_tx *g);

#endif
