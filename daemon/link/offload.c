/* SPDX-License-Identifier: MIT */
/*
 * offload.c - what a link with offloads leaves for us to finish
 *
 * A TAP with checksum offload (tap.c) may hand over TCP and UDP whose
 * checksum field holds only the pseudo-header's sum (virtio's NEEDS_CSUM,
 * the kernel's CHECKSUM_PARTIAL). The engine takes such a frame as the
 * link vouches for it; a frame that is to be impaired, and so checked as
 * the wire would carry it, first gets its checksum filled in here, as a
 * NIC fills it in. Pure: the unit tests link it.
 */
#include "link.h"

#include "inet.h"

/**
 * link_csum_complete() - fill in a checksum the kernel left partial
 * @frame: the frame
 * @len: its length
 * @rx: what the link said of it; nothing is done unless csum_partial
 *
 * The field holds the pseudo-header's folded sum; the checksum is the
 * complement of that plus the sum of everything from csum_start on.
 */
void link_csum_complete(uint8_t *frame, size_t len, const struct link_rx *rx)
{
	size_t at = (size_t)rx->csum_start + rx->csum_offset;
	uint16_t v;

	if (!rx->csum_partial || rx->csum_start >= len || at + 2 > len)
		return;
	v = inet_fold(inet_sum(frame + rx->csum_start,
			       len - rx->csum_start, 0));
	if (v == 0 && rx->csum_offset == 6)     /* UDP's: 0 means none */
		v = 0xffff;
	put16(frame + at, v);
}
