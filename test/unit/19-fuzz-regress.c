/* SPDX-License-Identifier: MIT */
/*
 * 19-fuzz-regress.c - one test for each bug that test/fuzz found, as the
 * trace that shows it, so that it stays fixed without the fuzzer
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

/*
 * fuzz_frames: an ARP request for our address whose sender MAC was our
 * own taught us that the peer lives at our MAC, and the reply and every
 * later datagram went out to ourselves. The zero MAC did the same.
 */
Test(fuzz_regress, arp_sender_with_our_mac_or_none)
{
	const uint8_t *bad[] = { TH_MAC, TH_ZERO_MAC };
	struct th t;
	uint8_t f[64];

	th_init(&t);
	for (unsigned i = 0; i < 2; i++) {
		size_t n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, bad[i],
				  TH_PEER, TH_ZERO_MAC, TH_IP);

		th_input(&t, f, n);
		th_expect_silence(&t);
		cr_expect_null(arp_find(t.s, TH_PEER));
		cr_expect_eq(th_cnt(&t)->arp_rx_bad_sender, i + 1);
	}
	/* a real neighbour is still learned and answered */
	th_learn(&t, TH_PEER, TH_PEER_MAC);
	th_fini(&t);
}
