/* SPDX-License-Identifier: MIT */
/*
 * seeds.c - write the fuzzers' seed corpora: seeds DIR
 *
 * DIR/fuzz_frames: scripts (fuzz_frames.h) that each walk one path a fuzzer
 * would take long to find alone: ARP requests and replies, echo requests to
 * both addresses, the fragments of a 4000-byte echo, a 65000-byte echo,
 * the ping of death, overlapping and missing fragments timing out, floods
 * that fill the ARP cache, reassembly and the memory budget, malformed
 * headers of every kind, bounds lowered at run time, a failing link; IPv6
 * echo, ND, RA, fragments, extension headers, MLD; TCP, UDP and ping over
 * IPv6 with the host's sockets on :: (and IPv4 to them, and V6ONLY).
 * DIR/fuzz_proto: each control message and each framing error.
 * DIR/fuzz_dhcp: leases obtained, renewed, lost, refused, declined.
 * DIR/fuzz_dns: a program's query answered, our own and another .local
 * name, the responder probing, announcing and answering, a conflict.
 *
 * Seeds are generated at build time, so that no binary blob is committed
 * and the seeds follow the script format when it changes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include "fuzz_frames.h"
#include "ustack_admin.h"
#include "ustack_proto.h"

#define SEED_MAX (1 << 20)

struct seed {
	uint8_t b[SEED_MAX];
	size_t n;
};

static struct seed sd;
static const char *outdir;
static unsigned nseeds;

static void put(const void *p, size_t n)
{
	if (sd.n + n > SEED_MAX) {
		fprintf(stderr, "seeds: seed too long\n");
		exit(1);
	}
	memcpy(sd.b + sd.n, p, n);
	sd.n += n;
}

static void put8(unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(&b, 1);
}

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void save(const char *target, const char *name)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(sd.b, 1, sd.n, fp) != sd.n || fclose(fp)) {
		fprintf(stderr, "seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	nseeds++;
	sd.n = 0;
}

/*
 * Configuration: MTU 1500, 8 neighbours with queues of 2, 4 datagrams and
 * 64 KiB in reassembly, a 1 MiB budget, 192.0.2.1/24 and 198.51.100.1/24,
 * gateway .254, 250 ms ARP retries, 10 s ARP age, 5 s reassembly timeout,
 * 10 ICMP errors a second in bursts of 4.
 */
static void cfg(unsigned mtu_byte, unsigned budget_byte)
{
	put8(mtu_byte);
	put8(7 | 1 << 4 | 1 << 6);      /* 8 entries, queue 2, 2 retries */
	put8(3 | 15 << 3);              /* 4 datagrams, 64 KiB */
	put8(budget_byte);
	put8(0 | 0 << 3);               /* /24 and /24, two addresses, gateway */
	put8(0 | 0 << 2 | 0 << 4 | 2 << 6);
	put8(64);
	put8(3);
	put8(FT_LISTEN);
}

static void cfg_default(void)
{
	cfg(1, 0);
}

static void frame(uint8_t fix, uint8_t sel, uint8_t addrs, const uint8_t *fr,
		  size_t len)
{
	put8(FF_FRAME);
	put8(fix);
	put8(sel);
	put8(addrs);
	put8(len & 0xff);
	put8(len >> 8);
	put(fr, len);
}

static void advance(unsigned unit, unsigned amount)
{
	put8(FF_TIME | unit << 4);
	put8(amount & 0xff);
	put8(amount >> 8);
}

static void frags(uint8_t flags, uint8_t addrs, unsigned size, uint8_t chunk,
		  uint8_t id)
{
	put8(FF_FRAGS);
	put8(flags);
	put8(addrs);
	put8(size & 0xff);
	put8(size >> 8);
	put8(chunk);
	put8(id);
}

static void repeat(uint8_t count, uint8_t how)
{
	put8(FF_REPEAT);
	put8(count);
	put8(how);
}

#define FIX_IP (FIX_ETH | FIX_ADDR | FIX_VER | FIX_LEN | FIX_L4 | FIX_CSUM)
#define SEL_IP (SEL_DST(0) | SEL_SRC(0) | SEL_TYPE(0))

/* An ARP packet; the fuzzer fills in every field from sel and addrs. */
static void arp(unsigned op, unsigned eth_dst, unsigned src_mac, uint8_t addrs)
{
	uint8_t fr[42] = { 0 };

	frame(FIX_ETH | FIX_ARP | FIX_ADDR,
	      (uint8_t)(SEL_DST(eth_dst) | SEL_SRC(src_mac) | SEL_TYPE(1) |
			SEL_OP(op - 1)), addrs, fr, sizeof(fr));
}

/* An IPv4 datagram of protocol @proto carrying @pl; fixes make it valid. */
static void ip(uint8_t fix, uint8_t sel, uint8_t addrs, uint8_t proto,
	       const uint8_t *opt, size_t optlen, const uint8_t *pl, size_t plen)
{
	static uint8_t fr[70000];
	size_t hlen = 20 + optlen;

	memset(fr, 0, 14 + hlen);
	fr[14] = (uint8_t)(0x40 | hlen / 4);
	fr[14 + 8] = 64;
	fr[14 + 9] = proto;
	be16(fr + 14 + 4, 0x1234);
	if (optlen)
		memcpy(fr + 14 + 20, opt, optlen);
	memcpy(fr + 14 + hlen, pl, plen);
	frame(fix, sel, addrs, fr, 14 + hlen + plen);
}

static size_t echo(uint8_t *buf, size_t dlen, unsigned seq)
{
	buf[0] = 8;
	buf[1] = 0;
	be16(buf + 2, 0);
	be16(buf + 4, 0x77);
	be16(buf + 6, seq);
	for (size_t i = 0; i < dlen; i++)
		buf[8 + i] = (uint8_t)(i * 7 + seq);
	return 8 + dlen;
}

static void ping(uint8_t sel, uint8_t addrs, size_t dlen)
{
	static uint8_t pl[70000];

	ip(FIX_IP, sel, addrs, 1, NULL, 0, pl, echo(pl, dlen, 1));
}

/* The fragments of a 4000-byte echo, as three explicit frames. */
static void ping4000_frags(int reverse)
{
	static uint8_t pl[4008], fr[1600];
	size_t len = echo(pl, 4000, 9), chunk = 1480;
	size_t offs[3] = { 0, 1480, 2960 };

	be16(pl + 2, ff_cksum(pl, len));
	for (int k = 0; k < 3; k++) {
		size_t off = offs[reverse ? 2 - k : k];
		size_t n = off + chunk > len ? len - off : chunk;

		memset(fr, 0, sizeof(fr));
		fr[14] = 0x45;
		be16(fr + 14 + 4, 0xbeef);
		be16(fr + 14 + 6, (unsigned)(off / 8 | (off + n < len ? 0x2000 : 0)));
		fr[14 + 8] = 64;
		fr[14 + 9] = 1;
		memcpy(fr + 34, pl + off, n);
		frame(FIX_ETH | FIX_ADDR | FIX_VER | FIX_LEN | FIX_CSUM, SEL_IP,
		      ADDRS(FA_PEER, FA_OURS0), fr, 34 + n);
	}
}

static void ip6(uint8_t sel, uint8_t addrs, uint8_t nh, const uint8_t *ext,
		size_t extlen, const uint8_t *pl, size_t plen);

/* A TCP segment from the peer's port 40000 to our port @dport, over IPv4
 * (over IPv6 with the SEL_TYPE(3) bits of @sel). */
static void tcp_ack(uint8_t sel, uint8_t addrs, uint16_t dport,
		    uint8_t flags, uint32_t seq, uint32_t ack, const uint8_t *opt,
		    size_t optlen, const void *data, size_t len)
{
	static uint8_t seg[2048];
	size_t hl = 20 + optlen;

	memset(seg, 0, hl);
	be16(seg, 40000);
	be16(seg + 2, dport);
	be16(seg + 4, seq >> 16);
	be16(seg + 6, seq & 0xffff);
	be16(seg + 8, ack >> 16);
	be16(seg + 10, ack & 0xffff);
	seg[12] = (uint8_t)(hl / 4 << 4);
	seg[13] = flags;
	be16(seg + 14, 65535);
	if (optlen)
		memcpy(seg + 20, opt, optlen);
	if (len)
		memcpy(seg + hl, data, len);
	if ((sel & SEL_TYPE(3)) == SEL_TYPE(3))
		ip6(sel, addrs, 6, NULL, 0, seg, hl + len);
	else
		ip(FIX_IP, sel, addrs, 6, NULL, 0, seg, hl + len);
}

/* ack 0: with SEL_TCP_ACK, the end of the last segment the engine sent */
static void tcp(uint8_t sel, uint8_t addrs, uint16_t dport, uint8_t flags,
		uint32_t seq, const uint8_t *opt, size_t optlen,
		const void *data, size_t len)
{
	tcp_ack(sel, addrs, dport, flags, seq, 0, opt, optlen, data, len);
}

static void sock(unsigned op, unsigned idx, uint8_t arg)
{
	put8(FF_SOCK);
	put8(op | idx << 3);
	put8(arg);
}

#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACKF 0x10
#define FIN 0x01
#define HINTS (SEL_TCP_ACK | SEL_TCP_SEQ)

static void seeds_tcp(void)
{
	static uint8_t pl[2048];
	static const uint8_t synopt[20] = {
		2, 4, 0x05, 0xb4,               /* MSS 1460 */
		4, 2,                           /* SACK permitted */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 0,  /* timestamps */
		1, 3, 3, 7,                     /* NOP, window scale 7 */
	};
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";

	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 1000, synopt, 20, NULL, 0);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, NULL, 0,
	    NULL, 0);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF | PSH, 0, NULL,
	    0, get, sizeof(get) - 1);
	sock(FS_ACCEPT, 0, 0);
	sock(FS_RECV, 1, 3);
	sock(FS_SEND, 1, 40);
	advance(1, 300);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF | FIN, 0, NULL,
	    0, NULL, 0);
	sock(FS_CLOSE, 1, 0);
	put8(FF_DEADLINE);
	put8(FF_DEADLINE);
	save("fuzz_frames", "tcp-passive");

	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	sock(FS_CONNECT, 0, FA_PEER);
	tcp(SEL_IP | SEL_TCP_ACK, ADDRS(FA_PEER, FA_OURS0), 0, SYN | ACKF,
	    5000, synopt, 20, NULL, 0);
	sock(FS_SEND, 1, 100);
	memset(pl, 'x', 1400);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 0, ACKF, 0, NULL, 0,
	    pl, 1400);
	put8(FF_DEADLINE);
	sock(FS_RECV, 1, 30);
	sock(FS_SHUTDOWN, 1, 1);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 0, RST, 0, NULL, 0,
	    NULL, 0);
	save("fuzz_frames", "tcp-active");

	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 81, SYN, 1, NULL, 0, NULL, 0);
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 1, synopt, 20, NULL, 0);
	repeat(20, FV_SRC);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS1), 80, ACKF, 0, NULL, 0,
	    NULL, 0);
	sock(FS_ACCEPT, 0, 0);
	sock(FS_ABORT, 1, 0);
	save("fuzz_frames", "tcp-syn-flood");

	/* bulk data out, duplicate ACKs with SACK, recovery, RTO, ICMP */
	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 1000, synopt, 20, NULL, 0);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, NULL, 0,
	    NULL, 0);
	sock(FS_ACCEPT, 0, 0);
	sock(FS_SEND, 1, 255);
	{
		static const uint8_t sack[12] = { 1, 1, 5, 10, 0, 0, 0, 1,
						  0, 0, 0, 1 };

		tcp_ack(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, 5,
			sack, sizeof(sack), NULL, 0);
		repeat(3, FV_NONE);
		tcp_ack(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, 3,
			NULL, 0, NULL, 0);
	}
	advance(2, 15);
	pl[0] = 3;      /* fragmentation needed, next-hop MTU 1000 */
	pl[1] = 4;
	pl[6] = 0x03;
	pl[7] = 0xe8;
	ip(FIX_IP, SEL_IP | SEL_TCP_ACK, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0,
	   pl, 8 + 48);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, NULL, 0,
	    NULL, 0);
	put8(FF_DEADLINE);
	sock(FS_SEND, 1, 100);
	put8(FF_DEADLINE);
	put8(FF_DEADLINE);
	save("fuzz_frames", "tcp-bulk-sack-icmp");

	/* we close first: FIN_WAIT, TIME_WAIT, a new SYN on the same ports */
	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 1000, synopt, 20, NULL, 0);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF | PSH, 0, NULL,
	    0, get, sizeof(get) - 1);
	sock(FS_ACCEPT, 0, 0);
	sock(FS_RECV, 1, 0);
	sock(FS_SEND, 1, 3);
	sock(FS_CLOSE, 1, 0);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF | FIN, 0, NULL,
	    0, NULL, 0);
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 900000, synopt, 20,
	    NULL, 0);
	advance(3, 7);
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 2000000, NULL, 0, NULL, 0);
	save("fuzz_frames", "tcp-time-wait");

	/* the peer closes first: CLOSE_WAIT, LAST_ACK; an ICMP port
	 * unreachable for an active open */
	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 1000, NULL, 0, NULL, 0);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF | FIN, 0, NULL,
	    0, NULL, 0);
	sock(FS_ACCEPT, 0, 0);
	sock(FS_RECV, 1, 0);
	sock(FS_SEND, 1, 0);
	sock(FS_SHUTDOWN, 1, 1);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, NULL, 0,
	    NULL, 0);
	sock(FS_CONNECT, 0, FA_PEER);
	memset(pl, 0, 8);
	pl[0] = 3;
	pl[1] = 3;
	ip(FIX_IP, SEL_IP | SEL_TCP_ACK, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0,
	   pl, 8 + 28);
	save("fuzz_frames", "tcp-passive-close");
}

/* A UDP datagram from the peer's port 5353 to our port @dport. */
static void udp(uint8_t sel, uint8_t addrs, uint16_t dport, size_t len)
{
	static uint8_t d[2048];

	memset(d, 0, 8);
	be16(d, 5353);
	be16(d + 2, dport);
	memset(d + 8, 'u', len);
	ip(FIX_IP, sel, addrs, 17, NULL, 0, d, 8 + len);
}

static void seeds_udp(void)
{
	uint8_t pl[64] = { 3, 3 };

	cfg_default();
	sd.b[8] |= FT_UDP;
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	udp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 53, 40);
	udp(SEL_IP, ADDRS(FA_PEER, FA_OURS1), 54, 40);     /* port unreachable */
	udp(SEL_IP | SEL_DST(1), ADDRS(FA_PEER, FA_BCAST0), 53, 10);
	sock(FS_RECV, 8, 7);
	sock(FS_SEND, 8, 0x23);
	sock(FS_CONNECT, 8, FA_FAR);
	sock(FS_SEND, 8 | 1, 0x81);
	ip(FIX_IP, SEL_IP | SEL_TCP_ACK, ADDRS(FA_GW, FA_OURS0), 1, NULL, 0,
	   pl, 8 + 28);                                    /* about it */
	sock(FS_SETSOCKOPT, 8, 0x50);                      /* small rcvbuf */
	udp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 53, 1000);
	repeat(40, FV_ID);
	sock(FS_RECV, 8, 3);
	sock(FS_CLOSE, 8 | 1, 0);
	save("fuzz_frames", "udp");
}

/*
 * IGMP (fuzz_frames.c ff_membership()): the UDP socket joins 239.0.0.1,
 * and 239.0.0.2 for FA_PEER only; IGMPv3, v2 and v1 queries to 224.0.0.1,
 * a group-and-source query, a malformed one, datagrams to the groups;
 * time for the answers and the compatibility modes; leaves and a close.
 */
static void seeds_igmp(void)
{
	uint8_t q[24] = { 0x11, 10, 0, 0, 0, 0, 0, 0, 2, 125, 0, 0 };
	uint8_t gsq[20] = { 0x11, 10, 0, 0, 239, 0, 0, 2, 2, 125, 0, 2,
			    192, 0, 2, 2, 192, 0, 2, 3 };

	cfg_default();
	sd.b[8] |= FT_UDP;
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	sock(FS_SETSOCKOPT, 8, 0x5f);                      /* join 239.0.0.1 */
	sock(FS_SETSOCKOPT, 8, 0xef);                      /* 239.0.0.2, peer */
	advance(2, 20);
	ip(FIX_IP, SEL_DST(3) | SEL_SRC(2), ADDRS(FA_GW, FA_MCAST), 2, NULL, 0,
	   q, 12);                                         /* v3 general */
	advance(2, 20);
	ip(FIX_IP, SEL_DST(3) | SEL_SRC(2), ADDRS(FA_GW, FA_KEEP), 2, NULL, 0,
	   gsq, 20);                                       /* group and source */
	advance(2, 20);
	ip(FIX_IP, SEL_DST(3) | SEL_SRC(2), ADDRS(FA_GW, FA_MCAST), 2, NULL, 0,
	   q, 10);                                         /* no version */
	ip(FIX_IP, SEL_DST(3) | SEL_SRC(2), ADDRS(FA_GW, FA_MCAST), 2, NULL, 0,
	   q, 8);                                          /* v2 */
	advance(2, 20);
	sock(FS_SETSOCKOPT, 8, 0x1f);                      /* v2 leave */
	advance(2, 200);
	q[1] = 0;
	ip(FIX_IP, SEL_DST(3) | SEL_SRC(2), ADDRS(FA_GW, FA_MCAST), 2, NULL, 0,
	   q, 8);                                          /* v1 */
	advance(3, 2);
	sock(FS_SETSOCKOPT, 8, 0x5f);
	udp(SEL_DST(3), ADDRS(FA_PEER, FA_KEEP), 53, 20);
	sock(FS_SETSOCKOPT, 8, 0xaf);                      /* drop the source */
	advance(3, 30);
	sock(FS_CLOSE, 8, 0);
	advance(3, 2);
	save("fuzz_frames", "igmp");
}

/*
 * IP_RECVERR on the UDP socket, a ping socket and a raw ICMP socket: their
 * echo requests, an echo reply for the first identifier (1), errors
 * quoting what was sent last, the error queues drained.
 */
static void seeds_icmp(void)
{
	uint8_t err[64] = { 11, 0 }, reply[16] = { 0, 0, 0, 0, 0, 1, 0, 1 };

	cfg_default();
	sd.b[8] |= FT_UDP;
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	sock(FS_SETSOCKOPT, 8, 0x19);                      /* IP_RECVERR */
	sock(FS_SEND, 8, FA_PEER);
	ip(FIX_IP, SEL_IP | SEL_TCP_ACK, ADDRS(FA_GW, FA_OURS0), 1, NULL, 0,
	   err, 8 + 28);                                   /* time exceeded */
	sock(FS_RECV, 8, 0x10);
	sock(FS_ACCEPT, 16, 0);                            /* ping socket */
	sock(FS_ACCEPT, 17, 0);                            /* raw socket */
	sock(FS_SETSOCKOPT, 16, 0x19);
	sock(FS_SETSOCKOPT, 17, 0x19);
	sock(FS_SEND, 16, 0x10 | FA_PEER);
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, reply, 16);
	err[0] = 3;
	err[1] = 1;
	ip(FIX_IP, SEL_IP | SEL_TCP_ACK, ADDRS(FA_GW, FA_OURS0), 1, NULL, 0,
	   err, 8 + 28);                                   /* host unreachable */
	sock(FS_SEND, 17, 0x24 | FA_FAR);
	sock(FS_SETSOCKOPT, 17, 0x0c);                     /* ICMP_FILTER */
	ping(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 16);
	sock(FS_RECV, 16, 0x17);
	sock(FS_RECV, 17, 0x17);
	sock(FS_CONNECT, 16, FA_FAR);
	sock(FS_SHUTDOWN, 16, 0);
	sock(FS_CLOSE, 17, 0);
	save("fuzz_frames", "icmp-sockets");
}

static void seeds_frames(void)
{
	static uint8_t pl[70000];
	uint8_t opt[40];

	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	save("fuzz_frames", "arp-request");

	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER1, FA_OURS1));
	arp(2, 0, 1, ADDRS(FA_PEER2, FA_OURS0));
	arp(1, 1, 2, ADDRS(FA_GW, FA_PEER));    /* for someone else */
	arp(1, 1, 0, ADDRS(FA_ZERO, FA_OURS0)); /* a probe */
	arp(2, 1, 1, ADDRS(FA_OURS0, FA_OURS0)); /* a conflict */
	put8(FF_START);
	save("fuzz_frames", "arp-mixed");

	/* echo to an unknown neighbour: resolve, answer, reply goes out */
	cfg_default();
	ping(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 56);
	arp(2, 0, 0, ADDRS(FA_PEER, FA_OURS0));
	ping(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 56);
	save("fuzz_frames", "echo-request");

	cfg_default();
	ping(SEL_IP, ADDRS(FA_PEER1, FA_OURS1), 100);
	ping(SEL_IP, ADDRS(FA_FAR, FA_OURS0), 100);   /* via the gateway */
	put8(FF_DEADLINE);
	put8(FF_DEADLINE);
	put8(FF_DEADLINE);
	ping(SEL_IP | SEL_DST(1), ADDRS(FA_PEER, FA_BCAST0), 8);
	ping(SEL_IP, ADDRS(FA_PEER, FA_LIMITED_BCAST), 8);
	save("fuzz_frames", "echo-both-addresses");

	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	ping4000_frags(0);
	ping4000_frags(1);
	save("fuzz_frames", "echo-4000-fragments");

	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	frags(0, ADDRS(FA_PEER, FA_OURS0), 4000, 184, 1);
	frags(FR_REVERSE | FR_DUP | FR_OPTS, ADDRS(FA_PEER, FA_OURS0), 4000, 99, 2);
	frags(0, ADDRS(FA_PEER, FA_OURS0), 65000, 255, 3);
	save("fuzz_frames", "echo-fragments-generated");

	cfg(3, 0x80);   /* MTU 9000, 64 MiB budget */
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	frags(0, ADDRS(FA_PEER, FA_OURS0), 30000, 255, 4);
	ping(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 8000);
	save("fuzz_frames", "jumbo");

	cfg_default();
	frags(FR_OVER, ADDRS(FA_PEER, FA_OURS0), 100, 255, 5);
	frags(FR_OVERLAP, ADDRS(FA_PEER, FA_OURS0), 3000, 100, 6);
	frags(FR_DROP, ADDRS(FA_PEER, FA_OURS0), 3000, 100, 7);
	frags(FR_DROP | FR_PROTO, ADDRS(FA_PEER1, FA_OURS1), 1000, 10, 8);
	frags(FR_BCAST, ADDRS(FA_PEER, FA_BCAST0), 2000, 50, 9);
	advance(3, 1);
	put8(FF_DEADLINE);
	save("fuzz_frames", "fragments-bad-and-timeout");

	/* many tiny fragments: reassembly bounds, then the budget */
	cfg(1, 0);
	pl[0] = 0;
	memset(pl, 0xab, 8);
	ip(FIX_ETH | FIX_ADDR | FIX_VER | FIX_LEN | FIX_CSUM, SEL_IP,
	   ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	sd.b[sd.n - 8 - 20 + 6] = 0x20;  /* MF */
	repeat(255, 0x80 | FV_ID_OFFSET);
	save("fuzz_frames", "fragment-flood");

	sd.n = 0;
	put8(1);
	put8(7 | 3 << 4);
	put8(7 | 0x80);                 /* 8 datagrams, 4 MiB: only the budget */
	put8(0);
	put8(0);
	put8(0);
	put8(64);
	put8(3);
	put8(0);
	ip(FIX_ETH | FIX_ADDR | FIX_VER | FIX_LEN | FIX_CSUM, SEL_IP,
	   ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	sd.b[sd.n - 8 - 20 + 6] = 0x20;
	repeat(255, 0x80 | FV_OFFSET);
	repeat(255, 0x80 | FV_ID_OFFSET);
	save("fuzz_frames", "budget-flood");

	/* ARP cache churn: requests from ever new senders, then echoes */
	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	repeat(40, FV_SRC);
	ping(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 10);
	repeat(40, FV_SRC);
	advance(2, 5);
	put8(FF_DEADLINE);
	save("fuzz_frames", "arp-churn");

	/* malformed headers: each refusal path of eth, arp, ipv4, icmp */
	cfg_default();
	frame(0, 0, 0, (const uint8_t *)"\x02\0\0\0\0\x01", 6);          /* runt */
	ip(FIX_IP & ~FIX_VER, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	sd.b[sd.n - 8 - 20] = 0x65;                                     /* version 6 */
	ip(FIX_ETH | FIX_ADDR | FIX_LEN | FIX_CSUM, SEL_IP,
	   ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	sd.b[sd.n - 8 - 20] = 0x44;                                     /* IHL 4 */
	ip(FIX_ETH | FIX_ADDR | FIX_LEN | FIX_CSUM, SEL_IP,
	   ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	sd.b[sd.n - 8 - 20] = 0x4f;                                     /* IHL past the end */
	ip(FIX_ETH | FIX_ADDR | FIX_VER | FIX_CSUM, SEL_IP,
	   ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	be16(sd.b + sd.n - 8 - 20 + 2, 2000);                           /* total length */
	ip(FIX_ETH | FIX_ADDR | FIX_VER | FIX_LEN, SEL_IP,
	   ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);                /* checksum */
	memset(opt, 0, sizeof(opt));
	opt[0] = 7;                                                     /* record route, len 0 */
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, opt, 4, pl, 8);
	opt[0] = 0x83;                                                  /* LSRR past the end */
	opt[1] = 40;
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, opt, 8, pl, 8);
	opt[0] = 1;
	opt[1] = 7;                                                     /* NOP, RR of 7 */
	opt[2] = 7;
	opt[3] = 4;
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, opt, 8, pl, echo(pl, 16, 3));
	ip(FIX_IP, SEL_IP, ADDRS(FA_ZERO, FA_OURS0), 1, NULL, 0, pl, 8);
	ip(FIX_IP, SEL_IP, ADDRS(FA_LOOPBACK, FA_OURS0), 1, NULL, 0, pl, 8);
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_FAR), 1, NULL, 0, pl, 8);
	ip(FIX_IP, SEL_IP | SEL_TYPE(2), ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	ip(FIX_IP, SEL_IP | SEL_TYPE(3), ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	ip(FIX_IP, SEL_IP | SEL_DST(2), ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 8);
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 4); /* short ICMP */
	ip(FIX_IP & ~FIX_L4, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl,
	   echo(pl, 8, 4));                                             /* ICMP checksum */
	frame(FIX_ETH | FIX_PAD, SEL_DST(0) | SEL_TYPE(1), 0, pl, 20);  /* runt ARP */
	frame(FIX_ETH | FIX_ADDR, SEL_DST(1) | SEL_TYPE(1),
	      ADDRS(FA_PEER, FA_OURS0), pl, 42);                        /* ARP hlen */
	arp(1, 1, 3, ADDRS(FA_BCAST0, FA_OURS0));                       /* bad sender */
	save("fuzz_frames", "malformed");

	/* errors we send and the ones we must not */
	cfg_default();
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	ip(FIX_IP | FIX_PAD, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 17, NULL, 0, pl, 8);
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS1), 6, NULL, 0, pl, 600);
	ip(FIX_IP, SEL_IP | SEL_DST(1), ADDRS(FA_PEER, FA_LIMITED_BCAST), 17,
	   NULL, 0, pl, 8);
	pl[0] = 3;
	pl[1] = 3;
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 36);
	pl[0] = 11;
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 36);
	pl[0] = 13;
	ip(FIX_IP, SEL_IP, ADDRS(FA_PEER, FA_OURS0), 1, NULL, 0, pl, 20);
	repeat(20, FV_ID);
	advance(2, 20);
	repeat(20, FV_ID);
	save("fuzz_frames", "icmp-errors");

	/* bounds lowered while full; a link that refuses frames */
	cfg_default();
	ping(SEL_IP, ADDRS(FA_FAR, FA_OURS0), 1000);
	repeat(10, FV_ID);
	frags(FR_DROP, ADDRS(FA_PEER, FA_OURS0), 20000, 100, 10);
	put8(FF_RECONF);
	put8(0);
	put8(0);
	put8(0xc0);
	ping(SEL_IP, ADDRS(FA_FAR, FA_OURS0), 1000);
	frags(FR_DROP, ADDRS(FA_PEER1, FA_OURS1), 20000, 100, 11);
	put8(FF_LINK);
	put8(2);
	arp(2, 0, 2, ADDRS(FA_GW, FA_OURS0));
	ping(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 3000);
	put8(FF_DEADLINE);
	save("fuzz_frames", "reconfigure-link-fail");
}

static void proto_msg(unsigned side, uint16_t type, uint32_t seq,
		      int32_t status, const void *body, size_t len)
{
	uint8_t buf[512];
	size_t n = ustack_msg_build(buf, sizeof(buf), type, seq, status, body,
				    len);

	put8(side);
	put(buf, n);
}

/* Overwrite a header field of the message in the seed (after its byte). */
#define PATCH(field, value)                                                 \
	do {                                                                \
		__typeof__(((struct ustack_msg_hdr *)0)->field) v_ = (value); \
		memcpy(sd.b + 1 + offsetof(struct ustack_msg_hdr, field), &v_, \
		       sizeof(v_));                                         \
	} while (0)

/* ustackctl's messages: lists with entries, fixed bodies, text */
static void seeds_admin(void)
{
	struct ustack_list_req lq = { .start = 1 };
	struct ustack_route rt = {
		.dst = { .family = 4, .addr = { 198, 51, 100, 0 } },
		.gateway = { .family = 4, .addr = { 192, 0, 2, 254 } },
		.prefix = 24 };
	struct ustack_addr ad = {
		.addr = { .family = 4, .addr = { 192, 0, 2, 1 } }, .prefix = 24 };
	struct ustack_ping_req pq = { .dst = 0xc0000202, .size = 56,
				      .timeout_ms = 1000, .seq = 1 };
	struct ustack_ping_reply pr = { .rtt_ns = 1000, .size = 56, .ttl = 64 };
	struct {
		struct ustack_list_reply l;
		struct ustack_neigh n[2];
	} nl = { .l = { .total = 3, .count = 2 } };
	uint8_t text[] = "mtu 1500\n";

	proto_msg(0, USTACK_MSG_STATS, 1, 0, NULL, 0);
	save("fuzz_proto", "admin-stats");
	proto_msg(0, USTACK_MSG_NEIGH_LIST, 2, 0, &lq, sizeof(lq));
	save("fuzz_proto", "admin-neigh-list");
	proto_msg(1, USTACK_MSG_NEIGH_LIST | USTACK_MSG_REPLY, 2, 0, &nl,
		  sizeof(nl));
	save("fuzz_proto", "admin-neigh-list-reply");
	proto_msg(0, USTACK_MSG_ROUTE_ADD, 3, 0, &rt, sizeof(rt));
	save("fuzz_proto", "admin-route-add");
	proto_msg(0, USTACK_MSG_ADDR_DEL, 4, 0, &ad, sizeof(ad));
	save("fuzz_proto", "admin-addr-del");
	proto_msg(1, USTACK_MSG_CONFIG | USTACK_MSG_REPLY, 5, 0, text,
		  sizeof(text));
	save("fuzz_proto", "admin-config-reply");
	proto_msg(0, USTACK_MSG_PING, 6, 0, &pq, sizeof(pq));
	save("fuzz_proto", "admin-ping");
	proto_msg(1, USTACK_MSG_PING | USTACK_MSG_REPLY, 6, 0, &pr, sizeof(pr));
	save("fuzz_proto", "admin-ping-reply");
	proto_msg(1, USTACK_MSG_PING | USTACK_MSG_REPLY, 6, -ETIMEDOUT, NULL, 0);
	save("fuzz_proto", "admin-ping-timeout");
}

/* a datagram with its ancillary data; the error-queue request and reply */
static void seeds_dgram_meta(void)
{
	struct ustack_dgram_hdr h = { .kind = USTACK_DG_DATA, .len = 3,
				      .flags = USTACK_DG_META };
	struct ustack_dgram_meta m = {
		.cmsg = USTACK_CM_TIMESTAMP | USTACK_CM_PKTINFO | USTACK_CM_TTL |
			USTACK_CM_TOS, .ttl = 63, .tos = 0xc0, .ifindex = 1,
		.spec_dst = { 192, 0, 2, 2 }, .dst = { 192, 0, 2, 2 },
		.sec = 1700000000, .nsec = 123456789,
	};
	struct ustack_dgerr_req rq = { .op = USTACK_DGERR_ERRQUEUE };
	static uint8_t body[sizeof(struct ustack_dgerr_reply) + 28];
	struct ustack_dgerr_reply r = {
		.ee = { .err = EHOSTUNREACH, .origin = 2, .type = 11,
			.offender = { 192, 0, 2, 1 } },
		.meta = m, .len = 28, .full_len = 28,
	};

	h.addr.family = AF_INET;
	h.addr.addr[0] = 192;
	put8(4);
	put(&h, sizeof(h));
	put(&m, sizeof(m));
	put("abc", 3);
	save("fuzz_proto", "dgram-data-meta");
	proto_msg(0, USTACK_MSG_DGERR, 7, 0, &rq, sizeof(rq));
	save("fuzz_proto", "dgerr-errqueue");
	r.name.family = AF_INET;
	r.name.port = 33434;
	memcpy(body, &r, sizeof(r));
	proto_msg(1, USTACK_MSG_DGERR | USTACK_MSG_REPLY, 7, 0, body,
		  sizeof(body));
	save("fuzz_proto", "dgerr-reply");
}

/* datagram-channel messages and sockaddrs of both families */
static void seeds_dgram(void)
{
	struct ustack_dgram_hdr h = { .kind = USTACK_DG_DATA, .len = 4 };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(53) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(53) };

	h.addr.family = AF_INET;
	h.addr.port = 53;
	h.addr.addr[0] = 192;
	put8(4);
	put(&h, sizeof(h));
	put("abcd", 4);
	save("fuzz_proto", "dgram-data");
	memset(&h, 0, sizeof(h));
	h.kind = USTACK_DG_ERROR;
	h.error = ECONNREFUSED;
	put8(4);
	put(&h, sizeof(h));
	save("fuzz_proto", "dgram-error");
	seeds_dgram_meta();
	sin.sin_addr.s_addr = htonl(0xc0000201);
	put8(6);
	put(&sin, sizeof(sin));
	save("fuzz_proto", "sockaddr-in");
	sin6.sin6_addr.s6_addr[15] = 1;
	put8(6);
	put(&sin6, sizeof(sin6));
	save("fuzz_proto", "sockaddr-in6");
}

static void seeds_proto(void)
{
	struct ustack_hello_reply r = { .proto_version = 1, .pid = 42,
					.version = "0.1.0" };

	proto_msg(0, USTACK_MSG_HELLO, 1, 0, NULL, 0);
	save("fuzz_proto", "hello");
	proto_msg(1, USTACK_MSG_HELLO | USTACK_MSG_REPLY, 1, 0, &r, sizeof(r));
	save("fuzz_proto", "hello-reply");
	proto_msg(1, USTACK_MSG_HELLO | USTACK_MSG_REPLY, 1, -EINVAL, NULL, 0);
	save("fuzz_proto", "error-reply");
	proto_msg(0, USTACK_MSG_HELLO, 2, 0, &r, 4);
	save("fuzz_proto", "hello-with-body");
	proto_msg(0, USTACK_MSG_HELLO, 3, 0, NULL, 0);
	PATCH(version, 2);
	save("fuzz_proto", "bad-version");
	proto_msg(0, USTACK_MSG_HELLO, 3, 0, NULL, 0);
	PATCH(flags, 1);
	save("fuzz_proto", "bad-flags");
	proto_msg(0, USTACK_MSG_HELLO, 3, 0, NULL, 0);
	PATCH(len, 100);
	save("fuzz_proto", "bad-len");
	proto_msg(0, USTACK_MSG_TYPE_MAX, 3, 0, NULL, 0);
	save("fuzz_proto", "bad-type");
	proto_msg(2, USTACK_MSG_HELLO, 3, 0, NULL, 0);
	save("fuzz_proto", "built");
	seeds_dgram();
	seeds_admin();
	put8(0);
	put("ustc", 4);
	save("fuzz_proto", "short");
}

/* ---- IPv6 ---- */

#define FIX_IP6 (FIX_ETH | FIX_ADDR | FIX_VER | FIX_LEN | FIX_L4)
#define SEL_IP6(dst, hl) ((uint8_t)(SEL_DST(dst) | SEL_SRC(0) | SEL_TYPE(3) | \
				    SEL_OP(hl)))

/* An IPv6 datagram: next header @nh, extension bytes then @pl */
static void ip6(uint8_t sel, uint8_t addrs, uint8_t nh, const uint8_t *ext,
		size_t extlen, const uint8_t *pl, size_t plen)
{
	static uint8_t fr[70000];

	memset(fr, 0, 14 + 40);
	fr[14] = 0x60;
	fr[14 + 6] = nh;
	fr[14 + 7] = 64;
	memcpy(fr + 54, ext, extlen);
	memcpy(fr + 54 + extlen, pl, plen);
	frame(FIX_IP6, sel, addrs, fr, 54 + extlen + plen);
}

static void icmp6(uint8_t sel, uint8_t addrs, uint8_t type, const uint8_t *body,
		  size_t blen)
{
	uint8_t m[1500] = { type };

	memcpy(m + 8, body, blen);
	ip6(sel, addrs, 58, NULL, 0, m, 8 + blen);
}

/* the engine is up: IPv6 started and DAD over (3 s) */
static void v6_start(void)
{
	put8(FF_START);
	advance(2, 30);
}

static void seeds_ipv6(void)
{
	static const uint8_t na_peer[24] = { 0xfe, 0x80, [15] = 2, 2, 1,
					     2, 0, 0, 0, 0, 2 };
	uint8_t body[200] = { 0 }, pl[1600];

	/* echo to the link-local address, to all nodes, to the static one;
	 * the engine solicits the peer, the peer answers */
	cfg_default();
	v6_start();
	icmp6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 128, (const uint8_t *)"ping", 4);
	icmp6(SEL_IP6(0, 1), ADDRS(FA_PEER, FA_OURS0), 136, na_peer, 24);
	icmp6(SEL_IP6(3, 1), ADDRS(FA_PEER, FA_BCAST0), 128, (const uint8_t *)"all", 3);
	icmp6(SEL_IP6(0, 3), ADDRS(FA_PEER1, FA_OURS1), 128, (const uint8_t *)"glob", 4);
	advance(3, 10);
	save("fuzz_frames", "ipv6-echo");

	/* a solicitation for our address (target :: stands for it), DAD
	 * probes from :: before and after DAD, an advertisement of ours */
	cfg_default();
	put8(FF_START);
	memset(body, 0, 24);
	body[16] = 1;
	body[17] = 1;
	body[23] = 2;
	icmp6(SEL_IP6(3, 1), ADDRS(FA_ZERO, FA_BCAST1), 135, body, 16);
	advance(2, 30);
	icmp6(SEL_IP6(3, 1), ADDRS(FA_PEER, FA_BCAST1), 135, body, 24);
	icmp6(SEL_IP6(3, 1), ADDRS(FA_ZERO, FA_BCAST1), 135, body, 16);
	icmp6(SEL_IP6(3, 1), ADDRS(FA_PEER, FA_BCAST0), 136, body, 24);
	save("fuzz_frames", "ipv6-nd");

	/* a router advertisement with every option read, then time passes
	 * through the lifetimes */
	cfg_default();
	v6_start();
	memset(body, 0, sizeof(body));
	body[0] = 64;                   /* hop limit, M/O, lifetime 60 */
	body[3] = 60;
	be16(body + 6, 30000 >> 16);
	be16(body + 8, 1000 & 0xffff);
	{
		uint8_t *o = body + 12;

		o[0] = 3; o[1] = 4; o[2] = 64; o[3] = 0xc0;
		o[7] = 120; o[11] = 60;
		o[16] = 0x20; o[17] = 0x01; o[18] = 0x0d; o[19] = 0xb8; o[21] = 7;
		o += 32;
		o[0] = 5; o[1] = 1; be16(o + 6, 1400);
		o += 8;
		o[0] = 25; o[1] = 3; o[7] = 100; o[8] = 0x20; o[9] = 0x01; o[23] = 0x53;
		o += 24;
		o[0] = 31; o[1] = 2; o[7] = 100; memcpy(o + 8, "\3lab\4test\0", 10);
		o += 16;
		o[0] = 1; o[1] = 1; o[7] = 0xfe;
		o += 8;
		icmp6(SEL_IP6(3, 1), ADDRS(FA_GW, FA_BCAST0), 134, body,
		      (size_t)(o - body));
	}
	advance(2, 30);
	advance(3, 7);
	advance(3, 7);
	save("fuzz_frames", "ipv6-ra");

	/* an echo in two fragments, then overlapping ones, then a fragment
	 * whose length is not a multiple of 8 */
	cfg_default();
	v6_start();
	{
		uint8_t ext[8] = { 58, 0, 0, 1, 0, 0, 0, 9 };

		memset(pl, 0, sizeof(pl));
		pl[0] = 128;
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 44, ext, 8, pl, 1448);
		be16(ext + 2, 1448);
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 44, ext, 8, pl, 200);
		be16(ext + 2, 1);
		ext[7] = 10;
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 44, ext, 8, pl, 1024);
		be16(ext + 2, 1016);
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 44, ext, 8, pl, 100);
		be16(ext + 2, 1);
		ext[7] = 11;
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 44, ext, 8, pl, 100);
	}
	advance(3, 7);
	save("fuzz_frames", "ipv6-frags");

	/* extension headers: options of each action, a routing header with
	 * segments left, an unknown next header, no next header */
	cfg_default();
	v6_start();
	{
		uint8_t hbh[8] = { 60, 0, 5, 2, 0, 0, 1, 0 };
		uint8_t dst[8] = { 58, 0, 0x87, 2, 0, 0, 1, 0 };
		uint8_t both[16];
		uint8_t rh[8] = { 58, 0, 0, 1 };

		memcpy(both, hbh, 8);
		memcpy(both + 8, dst, 8);
		memset(pl, 0, 16);
		pl[0] = 128;
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 0, both, 16, pl, 16);
		dst[2] = 0x47;
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 60, dst, 8, pl, 16);
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 43, rh, 8, pl, 16);
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 253, NULL, 0, pl, 16);
		ip6(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 59, NULL, 0, pl, 16);
		ip6(SEL_IP6(0, 3), ADDRS(FA_LOOPBACK, FA_OURS0), 58, NULL, 0, pl, 16);
	}
	save("fuzz_frames", "ipv6-ext");

	/* MLD queries, v2 then v1, from the router at hop limit 1 */
	cfg_default();
	v6_start();
	memset(body, 0, 20);
	body[0] = 0x03;
	body[1] = 0xe8;
	body[18] = 2;
	body[19] = 125;
	icmp6(SEL_IP6(3, 2), ADDRS(FA_GW, FA_BCAST0), 130, body + 0, 20);
	advance(3, 1);
	icmp6(SEL_IP6(3, 2), ADDRS(FA_GW, FA_BCAST0), 130, body + 0, 16);
	advance(3, 1);
	save("fuzz_frames", "ipv6-mld");
}

/* The host's sockets AF_INET6 (with IPV6_V6ONLY if @v6only): the listener
 * on [::]:80, UDP on [::]:53 */
static void cfg_sock6(bool v6only)
{
	cfg_default();
	sd.b[FF_CFG_ICMP] |= FI_SOCK6 | FI_NO_DAD | (v6only ? FI_V6ONLY : 0);
	sd.b[FF_CFG_TCP] |= FT_UDP;
	v6_start();
}

/*
 * TCP and UDP over IPv6 on sockets of ::, and IPv4 to the same dual-stack
 * sockets: a passive open from the peer's link-local address, data both
 * ways, an ICMPv6 error quoting our segment, the close; an active open to
 * the peer's global address (the engine solicits it first); UDP in and
 * out, a closed port, the ping socket; and with IPV6_V6ONLY, IPv4 refused.
 */
static void seeds_ipv6_sockets(void)
{
	static const uint8_t na_peer[24] = { 0xfe, 0x80, [15] = 2, 2, 1,
					     2, 0, 0, 0, 0, 2 };
	static const uint8_t na_peer1[24] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2,
					      2, 1, 2, 0, 0, 0, 0, 2 };
	static const uint8_t synopt[20] = {
		2, 4, 0x05, 0xa0,               /* MSS 1440 */
		4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
	};
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";
	uint8_t pl[1500] = { 0 }, err[96] = { 1, 4 };

	cfg_sock6(false);
	tcp(SEL_IP6(0, 0), ADDRS(FA_PEER, FA_OURS0), 80, SYN, 1000, synopt, 20,
	    NULL, 0);
	/* the SYN-ACK waits for the peer's address: it answers the NS */
	icmp6(SEL_IP6(0, 1), ADDRS(FA_PEER, FA_OURS0), 136, na_peer, 24);
	tcp(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, NULL, 0,
	    NULL, 0);
	tcp(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 80, ACKF | PSH, 0, NULL,
	    0, get, sizeof(get) - 1);
	sock(FS_ACCEPT, 0, 0);
	sock(FS_RECV, 1, 3);
	sock(FS_SEND, 1, 40);
	ip6(SEL_IP6(0, 1), ADDRS(FA_PEER, FA_OURS0), 58, NULL, 0, err, 8 + 60);
	advance(1, 300);
	tcp(SEL_IP6(0, 3), ADDRS(FA_PEER, FA_OURS0), 80, ACKF | FIN, 0, NULL,
	    0, NULL, 0);
	sock(FS_CLOSE, 1, 0);
	/* IPv4 to the dual-stack listener */
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 7000, synopt, 20, NULL, 0);
	tcp(SEL_IP | HINTS, ADDRS(FA_PEER, FA_OURS0), 80, ACKF, 0, NULL, 0,
	    NULL, 0);
	sock(FS_ACCEPT, 0, 0);
	put8(FF_DEADLINE);
	put8(FF_DEADLINE);
	save("fuzz_frames", "ipv6-tcp-passive");

	cfg_sock6(false);
	sock(FS_CONNECT, 0, FA_PEER1);
	icmp6(SEL_IP6(0, 1), ADDRS(FA_PEER1, FA_OURS1), 136, na_peer1, 24);
	tcp(SEL_IP6(0, 1), ADDRS(FA_PEER1, FA_OURS1), 0, SYN | ACKF, 5000,
	    synopt, 20, NULL, 0);
	sock(FS_SEND, 1, 100);
	memset(pl, 'x', 1400);
	tcp(SEL_IP6(0, 3), ADDRS(FA_PEER1, FA_OURS1), 0, ACKF, 0, NULL, 0,
	    pl, 1400);
	put8(FF_DEADLINE);
	sock(FS_RECV, 1, 30);
	tcp(SEL_IP6(0, 3), ADDRS(FA_PEER1, FA_OURS1), 0, RST, 0, NULL, 0,
	    NULL, 0);
	sock(FS_CONNECT, 0, FA_CLASS_E);                /* ::ffff:192.0.2.2 */
	save("fuzz_frames", "ipv6-tcp-active");

	cfg_sock6(false);
	memset(pl, 0, sizeof(pl));
	pl[0] = 0x9c;
	pl[1] = 0x40;
	pl[3] = 53;
	ip6(SEL_IP6(0, 0), ADDRS(FA_PEER1, FA_OURS1), 17, NULL, 0, pl, 48);
	pl[3] = 54;                                     /* port unreachable */
	ip6(SEL_IP6(0, 0), ADDRS(FA_PEER1, FA_OURS1), 17, NULL, 0, pl, 48);
	icmp6(SEL_IP6(0, 1), ADDRS(FA_PEER1, FA_OURS1), 136, na_peer1, 24);
	sock(FS_SETSOCKOPT, 8, 0x19);                   /* IPV6_RECVERR */
	sock(FS_RECV, 8, 7);
	sock(FS_SEND, 8, FA_PEER1);
	err[1] = 4;
	ip6(SEL_IP6(0, 1), ADDRS(FA_PEER1, FA_OURS1), 58, NULL, 0, err, 8 + 48);
	sock(FS_RECV, 8, 0x10);
	sock(FS_CONNECT, 8, FA_CLASS_E);                /* over IPv4 */
	sock(FS_ACCEPT, 16, 0);                         /* ping socket */
	sock(FS_SEND, 16, 0x10 | FA_PEER1);
	sock(FS_ACCEPT, 17, 0);                         /* raw ICMPv6 */
	sock(FS_SEND, 17, 0x10 | FA_PEER1);
	advance(2, 20);
	save("fuzz_frames", "ipv6-udp-ping");

	cfg_sock6(true);
	arp(1, 1, 0, ADDRS(FA_PEER, FA_OURS0));
	tcp(SEL_IP, ADDRS(FA_PEER, FA_OURS0), 80, SYN, 7000, synopt, 20, NULL, 0);
	tcp(SEL_IP6(0, 0), ADDRS(FA_PEER, FA_OURS0), 80, SYN, 1000, synopt, 20,
	    NULL, 0);
	icmp6(SEL_IP6(0, 1), ADDRS(FA_PEER, FA_OURS0), 136, na_peer, 24);
	sock(FS_CONNECT, 0, FA_CLASS_E);                /* ENETUNREACH */
	save("fuzz_frames", "ipv6-v6only");
}

/* ---- fuzz_dhcp: a server's answers to the client ---- */

/* One message record (fuzz_dhcp.c): the client's xid and our MAC put in */
static void dhcp_msg(unsigned flags, unsigned type, unsigned lease)
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };
	uint8_t m[300] = { 2, 1, 6 };
	uint8_t *p = m + 240;

	m[16] = 192; m[17] = 0; m[18] = 2; m[19] = 50;  /* yiaddr */
	memcpy(m + 236, cookie, 4);
	*p++ = 53; *p++ = 1; *p++ = (uint8_t)type;
	*p++ = 54; *p++ = 4; *p++ = 192; *p++ = 0; *p++ = 2; *p++ = 1;
	if (type != 6) {
		*p++ = 51; *p++ = 4; *p++ = (uint8_t)(lease >> 24);
		*p++ = (uint8_t)(lease >> 16); *p++ = (uint8_t)(lease >> 8);
		*p++ = (uint8_t)lease;
		*p++ = 1; *p++ = 4; *p++ = 255; *p++ = 255; *p++ = 255; *p++ = 0;
		*p++ = 3; *p++ = 4; *p++ = 192; *p++ = 0; *p++ = 2; *p++ = 1;
		*p++ = 6; *p++ = 8; *p++ = 192; *p++ = 0; *p++ = 2; *p++ = 1;
		*p++ = 192; *p++ = 0; *p++ = 2; *p++ = 2;
		*p++ = 15; *p++ = 4; memcpy(p, "test", 4); p += 4;
		*p++ = 26; *p++ = 2; *p++ = 5; *p++ = 0xdc;
		*p++ = 58; *p++ = 4; *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 10;
		*p++ = 59; *p++ = 4; *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 20;
	}
	*p++ = 255;
	put8(flags);
	put8(sizeof(m) >> 8);
	put8(sizeof(m) & 0xff);
	put(m, sizeof(m));
}

static void seeds_dhcp(void)
{
	/* DISCOVER, OFFER, REQUEST, ACK, one probe, bound; T1, T2, expiry */
	put8(1);
	dhcp_msg(0x0c, 2, 60);
	dhcp_msg(0x0c, 5, 60);
	for (int i = 0; i < 12; i++)
		put8(0x05);
	save("fuzz_dhcp", "lease-expiry");
	/* bound, renewed by a unicast ACK, then released */
	put8(0);
	dhcp_msg(0x0c, 2, 600);
	dhcp_msg(0x0c, 5, 600);
	put8(0x05);
	dhcp_msg(0x1c, 5, 600);
	put8(3);
	save("fuzz_dhcp", "renew-release");
	/* a NAK while requesting; an ARP conflict while probing */
	put8(3);
	dhcp_msg(0x0c, 2, 600);
	dhcp_msg(0x0c, 6, 0);
	dhcp_msg(0x0c, 2, 600);
	dhcp_msg(0x0c, 5, 600);
	put8(0x05);
	put8(0x12);
	put8(0x05);
	save("fuzz_dhcp", "nak-decline");
	/* INIT-REBOOT, ACKed, then a NAK while renewing */
	put8(4);
	dhcp_msg(0x0c, 5, 100);
	put8(0x05);
	dhcp_msg(0x0c, 6, 0);
	save("fuzz_dhcp", "reboot-nak");
}

/* ---- fuzz_dns: the DNS stub and the mDNS responder ---- */

/* One message record (fuzz_dns.c): kind and flags, length, the message:
 * a header with @id and @flags, one question for @name (dotted) of
 * @type, and, when @addr, one A record answering it */
static void dns_rec(unsigned op, unsigned id, unsigned flags,
		    const char *name, unsigned type, const uint8_t *addr)
{
	uint8_t m[300] = { (uint8_t)(id >> 8), (uint8_t)id,
			   (uint8_t)(flags >> 8), (uint8_t)flags, 0, 1, 0,
			   addr ? 1 : 0, 0, 0, 0, 0 };
	size_t o = 12;
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m[o++] = (uint8_t)l;
		memcpy(m + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	m[o++] = 0;
	m[o++] = 0; m[o++] = (uint8_t)type; m[o++] = 0; m[o++] = 1;
	if (addr) {
		static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0x80, 1,
					      0, 0, 0, 120, 0, 4 };

		memcpy(m + o, rr, sizeof(rr));
		o += sizeof(rr);
		memcpy(m + o, addr, 4);
		o += 4;
	}
	put8(op);
	put8((unsigned)(o >> 8));
	put8((unsigned)(o & 0xff));
	put(m, o);
}

static void seeds_dns(void)
{
	static const uint8_t a77[4] = { 192, 0, 2, 77 }, a9[4] = { 192, 0, 2, 9 };

	/* a query relayed, answered with the try's id and question */
	dns_rec(2, 0x1234, 0x0100, "www.example.test", 1, NULL);
	dns_rec(0x17, 0, 0x8180, "www.example.test", 1, a77);
	/* unanswered: tries, then SERVFAIL */
	dns_rec(2, 0x2222, 0x0100, "slow.test", 28, NULL);
	for (int i = 0; i < 4; i++)
		put8(0x05);
	save("fuzz_dns", "relay-servfail");
	/* our name at once; another by mDNS, answered from 5353; one not */
	dns_rec(0x06, 0x3333, 0x0100, "x", 1, NULL);
	dns_rec(0x0a, 0x4444, 0x0100, "x", 1, NULL);
	dns_rec(0x1f, 0, 0x8400, "other.local", 1, a9);
	dns_rec(0x1a, 0x5555, 0x0100, "x", 28, NULL);
	put8(0x05);
	put8(0x05);
	save("fuzz_dns", "local-names");
	/* the responder: a conflict while probing, then probes and
	 * announcements; a one-shot query, a 5353 one, a unicast one */
	dns_rec(0x04, 0, 0x8400, "fuzz.local", 1, a9);
	for (int i = 0; i < 10; i++)
		put8(0x05);
	dns_rec(0x00, 0x6666, 0, "fuzz-2.local", 1, NULL);
	dns_rec(0x04, 0, 0, "fuzz-2.local", 255, NULL);
	dns_rec(0x08, 0x7777, 0, "fuzz-2.local", 28, NULL);
	save("fuzz_dns", "responder");
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	snprintf(path, sizeof(path), "%s/fuzz_frames", outdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fuzz_proto", outdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fuzz_dhcp", outdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fuzz_dns", outdir);
	mkdir(path, 0755);
	seeds_dhcp();
	seeds_dns();
	seeds_frames();
	seeds_tcp();
	seeds_udp();
	seeds_igmp();
	seeds_icmp();
	seeds_ipv6();
	seeds_ipv6_sockets();
	seeds_proto();
	printf("seeds: %u written to %s\n", nseeds, outdir);
	return 0;
}
