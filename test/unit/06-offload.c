/* SPDX-License-Identifier: MIT */
/* 06-offload: a checksum the kernel left partial, filled in as a NIC would */
#include <criterion/criterion.h>
#include <string.h>

#include "inet.h"
#include "link/link.h"

/* Ethernet + IPv4 + a transport header with @plen payload bytes; returns
 * the frame length, @at the checksum field's offset */
static size_t frame(uint8_t *f, uint8_t proto, size_t plen, size_t *at)
{
	size_t th = proto == 6 ? 20 : 8, l4 = th + plen;

	memset(f, 0, 14 + 20 + l4);
	f[12] = 0x08;
	f[14] = 0x45;
	put16(f + 16, (uint16_t)(20 + l4));
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	for (size_t i = 0; i < l4; i++)
		f[34 + i] = (uint8_t)(i * 7 + 3);
	if (proto == 17)
		put16(f + 34 + 4, (uint16_t)l4);
	else
		f[34 + 12] = 5 << 4;
	*at = 34 + (proto == 6 ? 16 : 6);
	put16(f + *at, 0);
	return 14 + 20 + l4;
}

static void check_completion(uint8_t proto, size_t plen)
{
	uint8_t f[2000];
	size_t at, len = frame(f, proto, plen, &at), l4 = len - 34;
	uint32_t pseudo = inet_pseudo_sum(0xc0000201, 0xc0000202, proto,
					  (uint16_t)l4);
	uint16_t whole = inet_fold(inet_sum(f + 34, l4, pseudo));
	struct link_rx rx = { .csum_ok = true, .csum_partial = true,
			      .csum_start = 34,
			      .csum_offset = (uint16_t)(at - 34) };

	if (whole == 0 && proto == 17)
		whole = 0xffff;
	/* the kernel's partial value: the pseudo-header's folded sum */
	put16(f + at, (uint16_t)~inet_fold(pseudo));
	link_csum_complete(f, len, &rx);
	cr_assert_eq(get16(f + at), whole, "proto %u, %zu bytes: %04x, want %04x",
		     proto, plen, get16(f + at), whole);
	/* and the result verifies as any received segment does */
	cr_assert_eq(inet_fold(inet_sum(f + 34, l4, pseudo)), 0);
}

Test(offload, tcp_partial_checksum_completed)
{
	check_completion(6, 1000);
	check_completion(6, 1);         /* an odd length */
	check_completion(6, 0);
}

Test(offload, udp_partial_checksum_completed)
{
	check_completion(17, 1472);
	check_completion(17, 33);
}

Test(offload, whole_checksums_left_alone)
{
	uint8_t f[200], copy[200];
	size_t at, len = frame(f, 6, 50, &at);
	struct link_rx rx = { .csum_ok = true, .csum_start = 34,
			      .csum_offset = 16 };          /* DATA_VALID */
	struct link_rx out = { .csum_partial = true, .csum_start = 190,
			       .csum_offset = 16 };         /* beyond it */

	put16(f + at, 0x1234);
	memcpy(copy, f, len);
	link_csum_complete(f, len, &rx);
	link_csum_complete(f, len, &out);
	cr_assert_arr_eq(f, copy, len);
}
