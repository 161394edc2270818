/* SPDX-License-Identifier: MIT */
/* harness.c - the unit tests' host for the engine: see harness.h */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

const uint8_t TH_MAC[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t TH_PEER_MAC[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
const uint8_t TH_GW_MAC[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0xfe };
const uint8_t TH_ZERO_MAC[ETH_ALEN];

/**
 * th_link_output() - the link: copy each frame into the capture FIFO
 * @ctx: the struct th
 * @ifindex: interface
 * @frame: the frame, owned by the engine
 * @len: its length
 *
 * Return: th->link_rc, 0 unless a test simulates a full link queue
 */
static int th_link_output(void *ctx, unsigned ifindex, const uint8_t *frame,
			  size_t len, const struct gso_tx *gso)
{
	struct th *t = ctx;
	struct th_frame *f;

	cr_assert_null(gso, "a frame of segments to a link that cuts none");
	cr_assert_lt(t->nq, TH_MAX_FRAMES, "the test sent too many frames");
	if (t->link_rc < 0)
		return t->link_rc;
	f = &t->q[t->nq++];
	f->data = malloc(len ? len : 1);
	cr_assert_not_null(f->data);
	memcpy(f->data, frame, len);
	f->len = len;
	f->ifindex = ifindex;
	f->at = t->now;
	return 0;
}

/**
 * th_random() - xorshift64*, seeded in th_init_cfg(): every run of a test
 * sends the same bytes
 * @ctx: the struct th
 * @buf: filled
 * @len: bytes wanted
 */
static void th_random(void *ctx, void *buf, size_t len)
{
	struct th *t = ctx;
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		t->rng ^= t->rng >> 12;
		t->rng ^= t->rng << 25;
		t->rng ^= t->rng >> 27;
		b[i] = (uint8_t)((t->rng * 2685821657736338717ull) >> 56);
	}
}

/**
 * th_config() - the test configuration: defaults, our MAC, 192.0.2.1/24,
 * gateway 192.0.2.254
 * @cfg: filled in
 */
void th_config(struct stack_config *cfg)
{
	stack_config_defaults(cfg);
	memcpy(cfg->mac, TH_MAC, ETH_ALEN);
	cfg->naddr = 1;
	cfg->addr[0].addr = TH_IP;
	cfg->addr[0].prefix = 24;
	cfg->gateway = TH_GW;
	/* IPv4 tests see only their own traffic: the IPv6 tests (42-ipv6-io
	 * on) turn IPv6 on; neighbours stay confirmed for the length of any
	 * test, and the tests about aging set realistic times themselves */
	cfg->ipv6 = false;
	cfg->neigh_reachable = 30ull * 86400 * NSEC_PER_SEC;
}

/**
 * th_init_cfg() - start a test with its own configuration
 * @t: the test host
 * @cfg: the engine's configuration
 */
void th_init_cfg(struct th *t, const struct stack_config *cfg)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->ops.link_output = th_link_output;
	t->ops.random = th_random;
	t->rng = 0x9e3779b97f4a7c15ull;
	t->now = 1000 * NSEC_PER_SEC;
	rc = stack_new(&t->s, &t->cfg, &t->ops, t, t->now);
	cr_assert_eq(rc, 0, "stack_new: %d", rc);
}

/**
 * th_init() - start a test with th_config()
 * @t: the test host
 */
void th_init(struct th *t)
{
	struct stack_config cfg;

	th_config(&cfg);
	th_init_cfg(t, &cfg);
}

/**
 * th_fini() - end a test: nothing leaked, then free everything
 * @t: the test host
 *
 * The neighbour cache and reassembly legitimately hold buffers; their
 * owners release them first, and then every buffer must be back.
 */
void th_fini(struct th *t)
{
	const struct pbuf_pool *pool = stack_pool(t->s);

	reass_fini(t->s);
	neigh_fini(t->s);
	cr_expect_eq(pool->live, 0, "%llu packet buffers leaked",
		     (unsigned long long)pool->live);
	cr_expect_eq(pool->in_use, 0, "%zu buffer bytes leaked", pool->in_use);
	stack_free(t->s);
	t->s = NULL;
	for (unsigned i = 0; i < t->nq; i++)
		free(t->q[i].data);
	t->nq = t->head = 0;
}

/**
 * th_cnt() - the engine's counters
 * @t: the test host
 *
 * Return: the counters
 */
const struct stack_counters *th_cnt(const struct th *t)
{
	return stack_counters(t->s);
}

/**
 * th_input() - inject a frame on interface 1 at th->now
 * @t: the test host
 * @frame: the frame, copied
 * @len: its length
 */
void th_input(struct th *t, const void *frame, size_t len)
{
	stack_input_copy(t->s, 1, frame, len, t->now);
}

/**
 * th_tick() - move the clock on and run what is due
 * @t: the test host
 * @ns: nanoseconds to add to th->now
 *
 * Return: the engine's next deadline
 */
uint64_t th_tick(struct th *t, uint64_t ns)
{
	t->now += ns;
	return stack_timeout(t->s, t->now);
}

/**
 * th_deadline() - the next deadline, without moving the clock
 * @t: the test host
 *
 * Return: the deadline, or STACK_NO_DEADLINE
 */
uint64_t th_deadline(struct th *t)
{
	return stack_timeout(t->s, t->now);
}

/**
 * th_pop() - the next frame the engine sent; fails the test if none
 * @t: the test host
 *
 * Return: the frame, owned by the harness until th_fini()
 */
struct th_frame *th_pop(struct th *t)
{
	cr_assert_lt(t->head, t->nq, "expected a frame, none was sent");
	return &t->q[t->head++];
}

/**
 * th_queued() - frames sent and not popped yet
 * @t: the test host
 *
 * Return: their number
 */
unsigned th_queued(const struct th *t)
{
	return t->nq - t->head;
}

/**
 * th_expect_silence() - fail the test if a frame was sent and not popped
 * @t: the test host
 */
void th_expect_silence(struct th *t)
{
	cr_assert_eq(th_queued(t), 0, "expected no frame, %u were sent",
		     th_queued(t));
}

/**
 * th_eth() - write an Ethernet II header
 * @buf: ETH_HLEN bytes
 * @dst: destination MAC
 * @src: source MAC
 * @type: EtherType
 *
 * Return: ETH_HLEN
 */
size_t th_eth(uint8_t *buf, const uint8_t *dst, const uint8_t *src,
	      uint16_t type)
{
	memcpy(buf, dst, ETH_ALEN);
	memcpy(buf + 6, src, ETH_ALEN);
	buf[12] = (uint8_t)(type >> 8);
	buf[13] = (uint8_t)type;
	return ETH_HLEN;
}

/**
 * th_arp() - an Ethernet/IPv4 ARP frame from @sha (also the Ethernet source)
 * @buf: at least 42 bytes
 * @eth_dst: Ethernet destination
 * @op: ARP_OP_REQUEST or ARP_OP_REPLY
 * @sha: sender MAC
 * @spa: sender address
 * @tha: target MAC
 * @tpa: target address
 *
 * Return: 42, the frame length without padding
 */
size_t th_arp(uint8_t *buf, const uint8_t *eth_dst, uint16_t op,
	      const uint8_t *sha, uint32_t spa, const uint8_t *tha,
	      uint32_t tpa)
{
	uint8_t *a = buf + th_eth(buf, eth_dst, sha, ETH_P_ARP);

	a[0] = 0;
	a[1] = 1;
	a[2] = 0x08;
	a[3] = 0x00;
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, ETH_ALEN);
	put32(a + 14, spa);
	memcpy(a + 18, tha, ETH_ALEN);
	put32(a + 24, tpa);
	return ETH_HLEN + ARP_LEN;
}

/**
 * th_ip_default() - a header from the peer to us: TTL 64, id 0x1234
 * @ip: filled in
 * @proto: IP protocol number
 */
void th_ip_default(struct th_ip *ip, uint8_t proto)
{
	memset(ip, 0, sizeof(*ip));
	ip->ttl = 64;
	ip->proto = proto;
	ip->id = 0x1234;
	ip->src = TH_PEER;
	ip->dst = TH_IP;
}

/**
 * th_ipv4() - an Ethernet + IPv4 frame from the peer's MAC
 * @buf: room for the frame
 * @eth_dst: Ethernet destination
 * @ip: the header fields
 * @payload: bytes after the header
 * @plen: their count
 *
 * The header checksum is computed here in plain 16-bit words, apart from
 * inet.c, so that a checksum bug in the engine cannot hide itself.
 *
 * Return: the frame length
 */
size_t th_ipv4(uint8_t *buf, const uint8_t *eth_dst, const struct th_ip *ip,
	       const void *payload, size_t plen)
{
	uint8_t *h = buf + th_eth(buf, eth_dst, TH_PEER_MAC, ETH_P_IP);
	size_t hlen = IPV4_HLEN + ip->optlen;
	uint32_t sum = 0;

	h[0] = (uint8_t)(0x40 | hlen / 4);
	h[1] = ip->tos;
	put16(h + 2, (uint16_t)(hlen + plen));
	put16(h + 4, ip->id);
	put16(h + 6, ip->frag);
	h[8] = ip->ttl;
	h[9] = ip->proto;
	put16(h + 10, 0);
	put32(h + 12, ip->src);
	put32(h + 16, ip->dst);
	if (ip->optlen)
		memcpy(h + IPV4_HLEN, ip->opt, ip->optlen);
	for (size_t i = 0; i < hlen; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(h + 10, (uint16_t)~sum);
	if (plen)
		memcpy(h + hlen, payload, plen);
	return ETH_HLEN + hlen + plen;
}

/**
 * th_icmp() - an ICMP message with its checksum
 * @buf: room for ICMP_HLEN + @dlen bytes
 * @type: ICMP type
 * @code: ICMP code
 * @rest: the 32 bits after the checksum
 * @data: the body
 * @dlen: its length
 *
 * Return: the message length
 */
size_t th_icmp(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest,
	       const void *data, size_t dlen)
{
	uint32_t sum = 0;

	buf[0] = type;
	buf[1] = code;
	put16(buf + 2, 0);
	put32(buf + 4, rest);
	if (dlen)
		memcpy(buf + ICMP_HLEN, data, dlen);
	for (size_t i = 0; i < ICMP_HLEN + dlen; i += 2)
		sum += (uint32_t)(buf[i] << 8 |
				  (i + 1 < ICMP_HLEN + dlen ? buf[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(buf + 2, (uint16_t)~sum);
	return ICMP_HLEN + dlen;
}

/**
 * th_echo() - an ICMP echo request
 * @buf: room for the message
 * @id: identifier
 * @seq: sequence number
 * @data: echo data
 * @dlen: its length
 *
 * Return: the message length
 */
size_t th_echo(uint8_t *buf, uint16_t id, uint16_t seq, const void *data,
	       size_t dlen)
{
	return th_icmp(buf, ICMP_ECHO, 0, (uint32_t)id << 16 | seq, data,
		       dlen);
}

/**
 * th_pattern() - bytes that differ from their neighbours, so that data
 * out of place shows
 * @buf: filled
 * @len: bytes
 * @seed: varies the pattern
 */
void th_pattern(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 8) * 13 + seed);
}

/**
 * th_check_eth() - assert a frame is from us to @dst with EtherType @type
 * @f: the frame
 * @dst: expected destination MAC
 * @type: expected EtherType
 */
void th_check_eth(const struct th_frame *f, const uint8_t *dst,
		  uint16_t type)
{
	cr_assert_geq(f->len, ETH_HLEN);
	cr_assert_eq(f->ifindex, 1);
	cr_assert_arr_eq(f->data, dst, ETH_ALEN, "Ethernet destination");
	cr_assert_arr_eq(f->data + 6, TH_MAC, ETH_ALEN, "Ethernet source");
	cr_assert_eq(get16(f->data + 12), type, "EtherType %#x, expected %#x",
		     get16(f->data + 12), type);
}

/**
 * th_check_arp() - assert a frame is exactly this ARP packet from us
 * @f: the frame
 * @eth_dst: expected Ethernet destination
 * @op: expected opcode
 * @tha: expected target MAC
 * @spa: expected sender address (sender MAC: ours)
 * @tpa: expected target address
 */
void th_check_arp(const struct th_frame *f, const uint8_t *eth_dst,
		  uint16_t op, const uint8_t *tha, uint32_t spa, uint32_t tpa)
{
	uint8_t want[ETH_HLEN + ARP_LEN];

	th_arp(want, eth_dst, op, TH_MAC, spa, tha, tpa);
	cr_assert_eq(f->len, sizeof(want), "ARP frame of %zu bytes", f->len);
	cr_assert_arr_eq(f->data, want, sizeof(want), "ARP frame bytes");
}

/**
 * th_check_ipv4() - assert a frame is a valid unpadded IPv4 datagram from us
 * @f: the frame
 * @eth_dst: expected Ethernet destination
 * @h: filled with the parsed header
 * @plen: set to the payload length
 *
 * Return: the payload
 */
const uint8_t *th_check_ipv4(const struct th_frame *f, const uint8_t *eth_dst,
			     struct ipv4_hdr *h, size_t *plen)
{
	int rc;

	th_check_eth(f, eth_dst, ETH_P_IP);
	rc = ipv4_parse(f->data + ETH_HLEN, f->len - ETH_HLEN, h);
	cr_assert_eq(rc, IPV4_OK, "sent an invalid IPv4 header (%d)", rc);
	cr_assert_eq(h->hlen, IPV4_HLEN);
	cr_assert_eq(f->len, ETH_HLEN + h->total_len, "frame is padded");
	*plen = h->total_len - h->hlen;
	return f->data + ETH_HLEN + h->hlen;
}

/**
 * th_icmp_error() - an ICMP error about a datagram the engine sent
 * @t: the test host
 * @f: the frame that carried it
 * @type: ICMP type
 * @code: ICMP code
 * @rest: the 32 bits after the checksum (next-hop MTU...)
 * @src: who sends the error (a router, the peer)
 * @quote: bytes of the datagram to quote, from its IP header
 */
void th_icmp_error(struct th *t, const struct th_frame *f, uint8_t type,
		   uint8_t code, uint32_t rest, uint32_t src, size_t quote)
{
	static uint8_t msg[1600], fr[1700];
	struct th_ip ip;
	size_t have = f->len - ETH_HLEN, n;

	if (quote > have)
		quote = have;
	cr_assert_leq(quote, sizeof(msg) - ICMP_HLEN);
	n = th_icmp(msg, type, code, rest, f->data + ETH_HLEN, quote);
	th_ip_default(&ip, IP_PROTO_ICMP);
	ip.src = src;
	ip.ttl = 60;
	ip.tos = 0xc0;
	th_input(t, fr, th_ipv4(fr, TH_MAC, &ip, msg, n));
}

/**
 * th_learn() - teach the engine a neighbour: it asks for us (the engine
 * answers and holds it STALE), then answers as if asked (REACHABLE)
 * @t: the test host
 * @ip: the neighbour's address
 * @mac: its MAC
 */
void th_learn(struct th *t, uint32_t ip, const uint8_t *mac)
{
	uint8_t f[64];
	size_t n = th_arp(f, eth_broadcast, ARP_OP_REQUEST, mac, ip,
			  TH_ZERO_MAC, TH_IP);

	th_input(t, f, n);
	th_check_arp(th_pop(t), mac, ARP_OP_REPLY, mac, TH_IP, ip);
	n = th_arp(f, TH_MAC, ARP_OP_REPLY, mac, ip, TH_MAC, TH_IP);
	th_input(t, f, n);
}

/**
 * th_output() - send a datagram of protocol 253 (RFC 3692) at th->now
 * @t: the test host
 * @dst: destination
 * @len: payload bytes
 * @tag: the value of every payload byte
 * @df: Don't Fragment
 *
 * Return: what ipv4_output() returned
 */
int th_output(struct th *t, uint32_t dst, size_t len, uint8_t tag, bool df)
{
	struct pbuf *p = pbuf_alloc(&t->s->pool, PBUF_HEADROOM, len);

	cr_assert_not_null(p);
	memset(p->data, tag, len);
	t->s->now = t->now;     /* as every entry point of the engine does */
	return ipv4_output(t->s, p, &(struct ip_tx){
		.dst = ip4(dst), .proto = 253,
		.flags = df ? IP_TX_DONTFRAG : 0 });
}

/**
 * th_expect_output() - pop the datagram th_output() sent
 * @t: the test host
 * @mac: expected Ethernet destination
 * @dst: expected IPv4 destination
 * @len: expected payload length
 * @tag: expected payload byte
 */
void th_expect_output(struct th *t, const uint8_t *mac, uint32_t dst,
		      size_t len, uint8_t tag)
{
	struct th_frame *f = th_pop(t);
	struct ipv4_hdr h;
	size_t plen;
	const uint8_t *d = th_check_ipv4(f, mac, &h, &plen);

	cr_assert_eq(h.dst, dst);
	cr_assert_eq(h.proto, 253);
	cr_assert_eq(plen, len);
	for (size_t i = 0; i < plen; i++)
		cr_assert_eq(d[i], tag, "datagram %#x expected, got %#x", tag,
			     d[i]);
}

/**
 * th_collect() - pop one datagram, whole or in fragments, and join it
 * @t: the test host
 * @mac: expected Ethernet destination
 * @out: receives the payload
 * @cap: room in @out
 * @h: the first frame's header
 * @nfrag: set to the number of frames
 *
 * Fragments must come in order, all but the last a multiple of 8 bytes
 * with MF set, all with the same id (RFC 791 3.2).
 *
 * Return: the payload length
 */
size_t th_collect(struct th *t, const uint8_t *mac, uint8_t *out, size_t cap,
		  struct ipv4_hdr *h, unsigned *nfrag)
{
	size_t off = 0;
	unsigned n = 0;

	for (;;) {
		struct ipv4_hdr fh;
		size_t plen;
		const uint8_t *d = th_check_ipv4(th_pop(t), mac, &fh, &plen);
		bool more = fh.frag & IP_FLAG_MF;

		if (n == 0)
			*h = fh;
		cr_assert_eq(fh.id, h->id, "fragments of one datagram");
		cr_assert_eq(ipv4_frag_off(&fh), off, "fragment out of order");
		cr_assert(!more || plen % 8 == 0, "fragment of %zu bytes", plen);
		cr_assert_leq(off + plen, cap);
		memcpy(out + off, d, plen);
		off += plen;
		n++;
		if (!more)
			break;
	}
	*nfrag = n;
	return off;
}

/**
 * th_inject_frag() - inject one fragment of an IPv4 payload
 * @t: the test host
 * @ip: the header; options go in the first fragment only
 * @pl: the whole payload
 * @off: offset of the fragment, a multiple of 8
 * @len: its length
 * @more: set MF
 */
void th_inject_frag(struct th *t, const struct th_ip *ip, const uint8_t *pl,
		    size_t off, size_t len, bool more)
{
	static uint8_t f[TH_FRAME_MAX];
	struct th_ip fip = *ip;

	cr_assert_eq(off % 8, 0);
	if (off) {              /* options travel in the first fragment */
		fip.opt = NULL;
		fip.optlen = 0;
	}
	fip.frag = (uint16_t)(ip->frag | off / 8 | (more ? IP_FLAG_MF : 0));
	th_input(t, f, th_ipv4(f, TH_MAC, &fip, pl + off, len));
}

/**
 * th_neigh() - the engine's neighbour entry for an IPv4 address
 * @t: the test host
 * @ip: the address
 *
 * Return: the entry, or NULL
 */
const struct neigh_entry *th_neigh(struct th *t, uint32_t ip)
{
	struct ip_addr a = ip4(ip);

	return neigh_find(t->s, &a);
}

/**
 * th_route_add() - stack_route_add() for IPv4 (@gw 0: on link)
 * @t: the test host
 * @dst: network
 * @prefix: prefix length
 * @gw: gateway, or 0
 * @metric: metric
 *
 * Return: what stack_route_add() returns
 */
int th_route_add(struct th *t, uint32_t dst, unsigned prefix, uint32_t gw,
		 uint32_t metric)
{
	struct ip_addr d = ip4(dst), g = gw ? ip4(gw) : ip_any(IP_NONE);

	return stack_route_add(t->s, &d, prefix, &g, metric);
}

/**
 * th_route_del() - stack_route_del() for IPv4
 * @t: the test host
 * @dst: network
 * @prefix: prefix length
 *
 * Return: what stack_route_del() returns
 */
int th_route_del(struct th *t, uint32_t dst, unsigned prefix)
{
	struct ip_addr d = ip4(dst);

	return stack_route_del(t->s, &d, prefix);
}

/**
 * th_a6() - an address from its text
 * @text: IPv4 or IPv6 text
 *
 * Return: the address (the test fails if it does not parse)
 */
struct ip_addr th_a6(const char *text)
{
	struct ip_addr a;

	cr_assert_eq(ip_pton(text, &a), 0, "bad address %s", text);
	return a;
}

/**
 * th_ipv6() - an Ethernet frame with an IPv6 datagram
 * @buf: where to write it
 * @eth_src: source MAC
 * @eth_dst: destination MAC
 * @ip: header fields and extension headers
 * @payload: upper-layer bytes
 * @plen: their count
 *
 * Return: the frame length
 */
size_t th_ipv6(uint8_t *buf, const uint8_t *eth_src, const uint8_t *eth_dst,
	       const struct th_ip6 *ip, const void *payload, size_t plen)
{
	struct ipv6_hdr h = { .tclass = ip->tclass, .nh = ip->nh,
			      .hlim = ip->hlim ? ip->hlim : 64,
			      .plen = (uint16_t)(ip->extlen + plen) };
	size_t n = th_eth(buf, eth_dst, eth_src, ETH_P_IPV6);

	memcpy(h.src, ip->src.v6, 16);
	memcpy(h.dst, ip->dst.v6, 16);
	ipv6_build(buf + n, &h);
	n += IPV6_HLEN;
	if (ip->extlen)
		memcpy(buf + n, ip->ext, ip->extlen);
	n += ip->extlen;
	memcpy(buf + n, payload, plen);
	return n + plen;
}

void th_learn6(struct th *t, const struct ip_addr *peer, const uint8_t *mac)
{
	static uint8_t f[200];
	uint8_t body[24] = { 0 };
	struct ip_addr us = th_a6(TH_IP6);

	memcpy(body, us.v6, 16);
	body[16] = ND_OPT_SLLA;
	body[17] = 1;
	memcpy(body + 18, mac, ETH_ALEN);
	th_input(t, f, th_icmp6(f, mac, TH_MAC, peer, &us, 255,
				ND_NEIGHBOR_SOLICIT, 0, 0, body, 24));
	memcpy(body, peer->v6, 16);
	body[16] = ND_OPT_TLLA;
	th_input(t, f, th_icmp6(f, mac, TH_MAC, peer, &us, 255,
				ND_NEIGHBOR_ADVERT, 0,
				(uint32_t)(ND_NA_SOLICITED | ND_NA_OVERRIDE)
					<< 24, body, 24));
	/* our answer to the solicitation */
	while (th_queued(t))
		th_pop(t);
}

void th_init6(struct th *t)
{
	struct stack_config cfg;
	struct ip_addr us = th_a6(TH_IP6), peer = th_a6(TH_PEER6);

	th_config(&cfg);
	cfg.ipv6 = true;
	cfg.naddr6 = 1;
	memcpy(cfg.addr6[0].addr, us.v6, 16);
	cfg.addr6[0].prefix = 64;
	cfg.dad_transmits = 0;
	cfg.rtr_solicits = 0;
	th_init_cfg(t, &cfg);
	stack_start(t->s, t->now);
	/* the start's gratuitous ARP and MLD reports */
	for (int i = 0; i < 5; i++) {
		while (th_queued(t))
			th_pop(t);
		th_tick(t, NSEC_PER_SEC);
	}
	while (th_queued(t))
		th_pop(t);
	th_learn(t, TH_PEER, TH_PEER_MAC);
	th_learn6(t, &peer, TH_PEER_MAC);
}

size_t th_icmp6(uint8_t *buf, const uint8_t *eth_src, const uint8_t *eth_dst,
		const struct ip_addr *src, const struct ip_addr *dst,
		uint8_t hlim, uint8_t type, uint8_t code, uint32_t rest,
		const void *body, size_t blen)
{
	static uint8_t msg[70000];
	struct icmp6_hdr h = { .type = type, .code = code, .rest = rest };
	struct th_ip6 ip = { .src = *src, .dst = *dst, .nh = IP6_NH_ICMPV6,
			     .hlim = hlim };

	memcpy(msg + ICMP6_HLEN, body, blen);
	icmp6_build(msg, ICMP6_HLEN + blen, src, dst, &h);
	return th_ipv6(buf, eth_src, eth_dst, &ip, msg, ICMP6_HLEN + blen);
}

const uint8_t *th_check_ipv6(const struct th_frame *f, struct ipv6_hdr *h,
			     size_t *plen)
{
	cr_assert_geq(f->len, ETH_HLEN + IPV6_HLEN, "frame too short for IPv6");
	cr_assert_eq(get16(f->data + 12), ETH_P_IPV6, "not IPv6: %#x",
		     get16(f->data + 12));
	cr_assert_eq(ipv6_parse(f->data + ETH_HLEN, f->len - ETH_HLEN, h),
		     IPV6_OK);
	cr_assert_eq(f->len, ETH_HLEN + IPV6_HLEN + h->plen,
		     "frame length %zu for payload %u", f->len, h->plen);
	*plen = h->plen;
	return f->data + ETH_HLEN + IPV6_HLEN;
}
