/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frames.h - the script that fuzz_frames.c runs, shared with seeds.c
 *
 * An input is FF_CFG_LEN configuration bytes, then records. Each record
 * starts with a kind byte whose low 3 bits name the kind (the high bits
 * are the kind's own) and continues with ff_rec_len[kind] bytes:
 *
 *   FF_FRAME    fix, sel, addrs, len lo, len hi, then len frame bytes:
 *               a frame, mended by the FIX_* bits of fix before injection
 *   FF_TIME     amount lo, amount hi: advance by amount units (unit in
 *               kind bits 3-4: 1 us, 1 ms, 100 ms, 10 s) and run timers
 *   FF_FRAGS    flags, addrs, size lo, size hi, chunk, id: an ICMP echo
 *               of size bytes (or protocol 253), in fragments of
 *               8 * (chunk + 1) bytes, in the order the FR_* flags say
 *   FF_REPEAT   count, how: inject the last FF_FRAME again count + 1 times
 *               (8 times that with how bit 7), varying what how says
 *   FF_RECONF   three bytes: new bounds through stack_reconfigure()
 *   FF_START    stack_start(): gratuitous ARP
 *   FF_LINK     n: from now on every (n & 7)th frame sent fails (0: none)
 *   FF_DEADLINE move the clock to the engine's next deadline
 *   FF_SOCK     op, arg: a socket call of the host (enum ff_sock_op in op
 *               bits 0-2, the socket in bits 3-5; bit 6: UDP, where
 *               FS_ACCEPT opens a socket and FS_CONNECT connects a new one;
 *               bit 7: the ping socket, or with bit 3 the raw ICMP socket,
 *               where FS_ACCEPT opens it)
 *
 * The kind is (byte & 15) % FF_KINDS; FF_TIME's unit is in bits 4-5.
 * Configuration bytes (fuzz_frames.c ff_setup() reads them):
 *   [0] MTU  [1] ARP table, queue, retries  [2] reassembly bounds
 *   [3] memory budget  [4] prefixes, second address, gateway
 *   [5] ARP and reassembly timers, ICMP rate  [6] TTL  [7] ICMP burst,
 *       DAD, SLAAC, the host's sockets AF_INET6 (FI_SOCK6: the listener
 *       on [::]:80, UDP on [::]:53, connects, sends and pings to the IPv6
 *       addresses of the same indexes), IPV6_V6ONLY on them (FI_V6ONLY)
 *   [8] TCP: a listener on port 80, options, SYN cookies, small budget;
 *       a UDP socket on port 53
 *
 * Addresses in addrs bytes index ff_addr (low nibble source, high nibble
 * destination); 15 keeps the bytes as they are. In IPv6 frames the same
 * indexes name IPv6 addresses (fuzz_frames.c ff_put_addr6: ours, link-local
 * and global neighbours, a router, groups, ::, ::1, a mapped address), the
 * SEL_OP bits choose the hop limit (kept, 255, 1, 64), and a Neighbor
 * Solicitation or Advertisement whose target is :: asks for ours.
 */
#ifndef USTACK_FUZZ_FRAMES_H
#define USTACK_FUZZ_FRAMES_H

#include <stddef.h>
#include <stdint.h>

enum ff_cfg_byte {
	FF_CFG_MTU, FF_CFG_ARP, FF_CFG_REASS, FF_CFG_BUDGET, FF_CFG_ADDR,
	FF_CFG_TIMERS, FF_CFG_TTL, FF_CFG_ICMP, FF_CFG_TCP, FF_CFG_LEN
};

enum ff_kind {
	FF_FRAME, FF_TIME, FF_FRAGS, FF_REPEAT, FF_RECONF, FF_START, FF_LINK,
	FF_DEADLINE, FF_SOCK, FF_KINDS
};

/* FF_CFG_ICMP bits above the burst (bits 0-3) */
#define FI_NO_DAD   0x10   /* DupAddrDetectTransmits 0 */
#define FI_NO_SLAAC 0x20
#define FI_SOCK6    0x40   /* the host's sockets are AF_INET6 */
#define FI_V6ONLY   0x80   /* ... with IPV6_V6ONLY */

/* FF_CFG_TCP bits */
#define FT_LISTEN   0x01   /* a listener on port 80 of every address */
#define FT_NO_TS    0x02   /* timestamps off */
#define FT_NO_WS    0x04   /* window scaling off */
#define FT_NO_SACK  0x08   /* SACK off */
#define FT_NO_COOKIES 0x10 /* SYN cookies off */
#define FT_NEWRENO  0x20   /* NewReno instead of CUBIC */
#define FT_BIG      0x40   /* the default budget and socket bounds */
#define FT_UDP      0x80   /* a UDP socket on port 53 of every address */

enum ff_sock_op {
	FS_ACCEPT, FS_SEND, FS_RECV, FS_SHUTDOWN, FS_CLOSE, FS_ABORT,
	FS_CONNECT, FS_SETSOCKOPT
};

/* bytes after the kind byte (FF_FRAME: before the frame itself) */
static const unsigned char ff_rec_len[FF_KINDS] = {
	[FF_FRAME] = 5, [FF_TIME] = 2, [FF_FRAGS] = 6, [FF_REPEAT] = 2,
	[FF_RECONF] = 3, [FF_START] = 0, [FF_LINK] = 1, [FF_DEADLINE] = 0,
	[FF_SOCK] = 2,
};

/* FF_FRAME fix bits, applied in this order */
#define FIX_ETH  0x01   /* Ethernet dst, src, type from sel */
#define FIX_ARP  0x02   /* ARP htype/ptype/hlen/plen, op from sel, sha */
#define FIX_ADDR 0x04   /* IPv4 or ARP addresses from addrs */
#define FIX_VER  0x08   /* IPv4 version 4, header length possible */
#define FIX_LEN  0x10   /* IPv4 total length: what follows Ethernet */
#define FIX_L4   0x20   /* ICMP, TCP or UDP checksum of the payload */
#define FIX_CSUM 0x40   /* IPv4 header checksum */
#define FIX_PAD  0x80   /* pad to the 60-byte Ethernet minimum */

/* FF_FRAME sel fields */
#define SEL_DST(d)  ((d) & 3)         /* ours, broadcast, other, multicast */
#define SEL_SRC(s)  (((s) & 3) << 2)  /* peer, peer2, gateway, ours */
#define SEL_TYPE(t) (((t) & 3) << 4)  /* IPv4, ARP, 802.1Q, IPv6 */
#define SEL_OP(o)   (((o) & 3) << 6)  /* ARP request, reply, keep, 3 */
/*
 * For TCP and ICMP (IPv4 and IPv6: there as well as the hop limit),
 * before the checksum is fixed:
 * SEL_TCP_ACK: TCP: ack the end of a segment the engine sent (the ack
 * field's low 3 bits: how many segments ago), the same for each SACK block
 * edge, and if dport is 0 use that segment's ports; ICMP error: quote the
 * datagram the engine sent last. SEL_TCP_SEQ: TCP: seq = the engine's ack.
 */
#define SEL_TCP_ACK 0x40
#define SEL_TCP_SEQ 0x80

/* ff_addr indices */
enum ff_addr_idx {
	FA_OURS0, FA_OURS1, FA_PEER, FA_PEER1, FA_GW, FA_FAR, FA_BCAST0,
	FA_LIMITED_BCAST, FA_ZERO, FA_MCAST, FA_LOOPBACK, FA_CLASS_E,
	FA_BCAST1, FA_PEER2, FA_NET0, FA_KEEP
};
#define ADDRS(src, dst) ((uint8_t)((src) | (dst) << 4))

/* FF_FRAGS flags */
#define FR_REVERSE 0x01  /* last fragment first */
#define FR_DUP     0x02  /* the first fragment twice */
#define FR_DROP    0x04  /* never send the last fragment */
#define FR_OVERLAP 0x08  /* the second fragment starts 8 bytes early */
#define FR_BCAST   0x10  /* to the Ethernet broadcast address */
#define FR_OPTS    0x20  /* 4 bytes of options in the first fragment */
#define FR_PROTO   0x40  /* protocol 253 instead of ICMP echo */
#define FR_OVER    0x80  /* reach past 64 KiB (the ping of death) */

/* FF_REPEAT how, low 3 bits: what changes between copies */
enum ff_vary {
	FV_NONE, FV_ID, FV_OFFSET, FV_SRC, FV_DST, FV_ID_SRC, FV_ID_OFFSET,
	FV_BYTE
};

/*
 * The Internet checksum, word by word, apart from the engine's inet.c so
 * that a checksum bug there cannot hide itself.
 */
static inline uint16_t ff_cksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
