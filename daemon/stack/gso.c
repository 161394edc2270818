/* SPDX-License-Identifier: MIT */
/*
 * gso.c - software segmentation of a segmentation-offload frame, and
 * the batch that merges UDP datagrams into one (gso.h)
 *
 * Pure: it reads one frame and writes segments through a callback, so the
 * unit tests drive it with frames of their own and the daemon with the
 * engine's. What it writes is what Linux's tcp_gso_segment(),
 * __udp_gso_segment() and inet_gso_segment() make of the same frame.
 */
#include <errno.h>
#include <string.h>

#include "eth.h"
#include "gso.h"
#include "inet.h"
#include "ipv4.h"
#include "ipv6.h"
#include "udp.h"

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

/* The pseudo-header's sum for a transport segment of @l4len bytes */
static uint32_t gso_pseudo(const uint8_t *ip, bool v6, uint8_t proto,
			   size_t l4len)
{
	if (v6)
		return inet_sum(ip + 8, 32, 0) + (uint32_t)l4len + proto;
	return inet_pseudo_sum(get32(ip + 12), get32(ip + 16), proto,
			       (uint16_t)l4len);
}

/**
 * gso_segment() - split a segmentation-offload frame into wire segments
 * @frame: Ethernet + IPv4/IPv6 + TCP or UDP headers, then the payload of all
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
	size_t th_len = g->udp ? UDP_HLEN : 20;
	uint8_t proto = g->udp ? IP_PROTO_UDP : IP_PROTO_TCP;
	size_t pay, off = 0;
	const uint8_t *ip = frame + ETH_HLEN;
	uint32_t seq = 0;
	uint16_t id = 0;
	uint8_t flags = 0;
	unsigned i = 0;

	if (!g->gso_size || g->hdr_len > len || g->csum_start < ip_min ||
	    g->csum_offset != (g->udp ? 6 : 16) ||
	    (size_t)g->csum_start + th_len > g->hdr_len ||
	    (g->udp && (size_t)g->csum_start + th_len != g->hdr_len) ||
	    scratch_len < (size_t)g->hdr_len + g->gso_size ||
	    (ip[0] >> 4) != (g->v6 ? 6 : 4) ||
	    (!g->v6 && ETH_HLEN + (size_t)(ip[0] & 0xf) * 4 != g->csum_start))
		return -EINVAL;
	pay = len - g->hdr_len;
	if (!g->udp) {
		seq = get32(frame + g->csum_start + 4);
		flags = frame[g->csum_start + 13];
	}
	if (!g->v6)
		id = get16(ip + 4);
	do {
		size_t n = pay - off < g->gso_size ? pay - off : g->gso_size;
		size_t seglen = g->hdr_len + n, l4len = seglen - g->csum_start;
		uint8_t *sip = scratch + ETH_HLEN, *th = scratch + g->csum_start;
		uint8_t *ck = th + g->csum_offset;
		uint16_t v;
		int rc;

		memcpy(scratch, frame, g->hdr_len);
		memcpy(scratch + g->hdr_len, frame + g->hdr_len + off, n);
		if (g->udp) {
			put16(th + 4, (uint16_t)l4len);
		} else {
			uint8_t f = flags;

			put32(th + 4, seq + (uint32_t)off);
			if (off + n < pay)
				f &= (uint8_t)~(TH_FIN | TH_PSH);
			if (off)
				f &= (uint8_t)~TH_CWR;
			th[13] = f;
		}
		if (g->v6) {
			put16(sip + 4, (uint16_t)(seglen - ETH_HLEN - IPV6_HLEN));
		} else {
			size_t ihl = (size_t)(sip[0] & 0xf) * 4;

			put16(sip + 2, (uint16_t)(seglen - ETH_HLEN));
			put16(sip + 4, (uint16_t)(id + i));
			put16(sip + 10, 0);
			put16(sip + 10, inet_cksum(sip, ihl));
		}
		put16(ck, 0);
		v = inet_fold(inet_sum(th, l4len, gso_pseudo(sip, g->v6, proto,
							     l4len)));
		if (v == 0 && g->udp)           /* UDP's 0 means none */
			v = 0xffff;
		put16(ck, v);
		rc = emit(arg, scratch, seglen);
		if (rc)
			return rc;
		off += n;
		i++;
	} while (off < pay);
	return 0;
}

/*
 * A UDP datagram as a batch takes it: IPv4 without options or fragments,
 * IPv6 without extension headers, lengths that agree with the frame's, a
 * payload, a checksum. Return: its payload length, or 0: not one.
 */
static size_t uso_parse(const uint8_t *f, size_t len, bool *v6)
{
	const uint8_t *ip = f + ETH_HLEN, *uh;
	size_t iplen;

	if (len < ETH_HLEN + IPV4_HLEN + UDP_HLEN)
		return 0;
	switch (get16(f + 12)) {
	case ETH_P_IP:
		if (ip[0] != 0x45 || ip[9] != IP_PROTO_UDP ||
		    (get16(ip + 6) & 0x3fff) || get16(ip + 2) != len - ETH_HLEN)
			return 0;
		*v6 = false;
		iplen = IPV4_HLEN;
		break;
	case ETH_P_IPV6:
		if (len < ETH_HLEN + IPV6_HLEN + UDP_HLEN || (ip[0] >> 4) != 6 ||
		    ip[6] != IP_PROTO_UDP ||
		    (size_t)get16(ip + 4) + IPV6_HLEN != len - ETH_HLEN)
			return 0;
		*v6 = true;
		iplen = IPV6_HLEN;
		break;
	default:
		return 0;
	}
	uh = ip + iplen;
	if (get16(uh + 4) != len - ETH_HLEN - iplen || !get16(uh + 6))
		return 0;
	return len - ETH_HLEN - iplen - UDP_HLEN;
}

/* Does the datagram @f belong to the flow held? (uso_add()) */
static bool uso_same_flow(const struct uso_batch *b, const uint8_t *f)
{
	const uint8_t *a = b->buf + ETH_HLEN, *ip = f + ETH_HLEN;

	if (memcmp(b->buf, f, ETH_HLEN) ||
	    memcmp(b->buf + b->hdr_len - UDP_HLEN, f + b->hdr_len - UDP_HLEN, 4))
		return false;
	if (b->v6)              /* class, flow label; next header, hop limit;
				 * the addresses */
		return !memcmp(a, ip, 4) && !memcmp(a + 6, ip + 6, 34);
	/* version, TOS; flags, TTL, protocol; the addresses; the next id */
	return !memcmp(a, ip, 2) && !memcmp(a + 6, ip + 6, 4) &&
	       !memcmp(a + 12, ip + 12, 8) && get16(ip + 4) == b->next_id;
}

/**
 * uso_add() - offer a frame the engine sends to the batch (gso.h)
 * @b: the batch, its buffer set
 * @frame: the frame
 * @len: its length
 *
 * Return: USO_HELD (copied into the batch: the caller is done with it),
 * USO_FLUSH (the batch holds datagrams this one does not join: send them,
 * uso_finish(), then offer it again), or USO_NO (the batch is empty and
 * this is not a datagram it takes: send it now)
 */
enum uso_verdict uso_add(struct uso_batch *b, const uint8_t *frame,
			 size_t len)
{
	bool v6 = false;
	size_t pay = uso_parse(frame, len, &v6);

	if (!b->len) {
		if (!pay || len > USO_BUF_LEN)
			return USO_NO;
		memcpy(b->buf, frame, len);
		b->len = len;
		b->v6 = v6;
		b->hdr_len = (uint16_t)(len - pay);
		b->seg = (uint16_t)pay;
		b->count = 1;
		b->closed = false;
		b->next_id = (uint16_t)(get16(frame + ETH_HLEN + 4) + 1);
		return USO_HELD;
	}
	if (!pay || v6 != b->v6 || len - pay != b->hdr_len ||
	    pay > b->seg || uso_full(b) || b->len + pay > USO_BUF_LEN ||
	    !uso_same_flow(b, frame))
		return USO_FLUSH;
	memcpy(b->buf + b->len, frame + b->hdr_len, pay);
	b->len += pay;
	b->count++;
	b->next_id++;
	b->closed = pay < b->seg;
	return USO_HELD;
}

/**
 * uso_full() - can no datagram join the batch any more?
 * @b: the batch
 *
 * Return: true when it holds USO_MAX_SEGS datagrams, a shorter last one,
 * or no room for a payload as long as the first's
 */
bool uso_full(const struct uso_batch *b)
{
	return b->len && (b->closed || b->count >= USO_MAX_SEGS ||
			  b->len + b->seg > USO_BUF_LEN);
}

/**
 * uso_finish() - make what the batch holds one frame to send
 * @b: the batch; emptied (its buffer holds the frame until the next
 *     uso_add())
 * @g: set for a frame of several datagrams (g->gso_size 0: one datagram,
 *     left as the engine built it, to send as it is)
 *
 * The lengths become the frame's, the IPv4 header checksum is redone and
 * the UDP checksum holds the pseudo-header's partial sum for the kernel
 * to finish per datagram (it adjusts the length in it, as for a socket's
 * UDP_SEGMENT: udp4_hwcsum(), __udp_gso_segment()).
 *
 * Return: the frame's length (0: nothing was held)
 */
size_t uso_finish(struct uso_batch *b, struct gso_tx *g)
{
	uint8_t *ip = b->buf + ETH_HLEN, *uh = b->buf + b->hdr_len - UDP_HLEN;
	size_t len = b->len, l4len = len - (b->hdr_len - UDP_HLEN);

	memset(g, 0, sizeof(*g));
	b->len = 0;
	if (b->count < 2)
		return len;
	if (b->v6) {
		put16(ip + 4, (uint16_t)l4len);
	} else {
		put16(ip + 2, (uint16_t)(len - ETH_HLEN));
		put16(ip + 10, 0);
		put16(ip + 10, inet_cksum(ip, IPV4_HLEN));
	}
	put16(uh + 4, (uint16_t)l4len);
	put16(uh + 6, (uint16_t)~inet_fold(gso_pseudo(ip, b->v6, IP_PROTO_UDP,
						      l4len)));
	g->gso_size = b->seg;
	g->hdr_len = b->hdr_len;
	g->csum_start = (uint16_t)(b->hdr_len - UDP_HLEN);
	g->csum_offset = 6;
	g->v6 = b->v6;
	g->udp = true;
	return len;
}

/**
 * gso_describe_udp() - describe a received frame of UDP datagrams
 * @frame: the frame (the kernel's UDP_SEGMENT datagrams, merged)
 * @len: its length
 * @gso_size: the payload per datagram, as the link said
 * @g: filled in for gso_segment()
 *
 * The link's own header length and checksum offsets are hints; what
 * counts is the frame's headers. IPv6 extension headers are not taken.
 *
 * Return: 0, or -EINVAL: not such a frame
 */
int gso_describe_udp(const uint8_t *frame, size_t len, uint16_t gso_size,
		     struct gso_tx *g)
{
	const uint8_t *ip = frame + ETH_HLEN;
	size_t th;

	memset(g, 0, sizeof(*g));
	if (len < ETH_HLEN + IPV6_HLEN + UDP_HLEN || !gso_size)
		return -EINVAL;
	if (get16(frame + 12) == ETH_P_IP) {
		th = ETH_HLEN + (size_t)(ip[0] & 0xf) * 4;
		if ((ip[0] >> 4) != 4 || th < ETH_HLEN + IPV4_HLEN ||
		    ip[9] != IP_PROTO_UDP || get16(ip + 2) != len - ETH_HLEN ||
		    (get16(ip + 6) & 0x3fff))
			return -EINVAL;
	} else if (get16(frame + 12) == ETH_P_IPV6) {
		th = ETH_HLEN + IPV6_HLEN;
		if ((ip[0] >> 4) != 6 || ip[6] != IP_PROTO_UDP ||
		    (size_t)get16(ip + 4) != len - th)
			return -EINVAL;
		g->v6 = true;
	} else {
		return -EINVAL;
	}
	if (th + UDP_HLEN > len)
		return -EINVAL;
	g->gso_size = gso_size;
	g->csum_start = (uint16_t)th;
	g->csum_offset = 6;
	g->hdr_len = (uint16_t)(th + UDP_HLEN);
	g->udp = true;
	return 0;
}
