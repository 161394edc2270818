/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns.c - libFuzzer target: the DNS stub (daemon/stack/dns_stub.c)
 * and the mDNS responder (daemon/stack/mdns.c)
 *
 * Theory of operation: the input is a script for an engine on 192.0.2.2/24
 * named "fuzz" (its responder on), with one DNS server (192.0.2.1) and one
 * steered nameserver (198.51.100.53), and a program's UDP socket. Records,
 * each one byte of kind and flags and, for a message, two bytes of length
 * and that many bytes:
 *
 *   kind 0  an mDNS message from 192.0.2.9 to 224.0.0.251:5353 (flag 0x08:
 *           to our address), from port 5353 (flag 0x04) or 40000;
 *   kind 1  time passes: to the engine's next deadline (flag 0x04), or
 *           flags * 100 ms;
 *   kind 2  the program sends the message to 198.51.100.53:53 (the stub
 *           takes it), or (flag 0x04) "fuzz.local" or "other.local" (0x08)
 *           questions with the message as the rest;
 *   kind 3  an answer to the stub's last try: from 192.0.2.1:53 (or, flag
 *           0x08, from 192.0.2.9:5353, as an mDNS responder) to the port
 *           the try left from, the try's id put in (flag 0x04) and its
 *           question (flag 0x10), so that the matching is passed.
 *
 * Each message is also given to the wire helpers alone, from an
 * allocation of exactly its size, so that ASan sees any read past it.
 * After every record: the deadline is in the future, the responder still
 * has a name, what the program's socket received is a DNS message from
 * 198.51.100.53:53, of a header at least, with an id the program used. stack_free() ends each input; LeakSanitizer
 * checks the rest (the stub's queries, its sockets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_stub.h"
#include "eth.h"
#include "fuzz_util.h"
#include "ipv4.h"
#include "mdns.h"
#include "stack.h"
#include "stack_impl.h"
#include "udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_US IPV4(192, 0, 2, 2)
#define FZ_SERVER IPV4(192, 0, 2, 1)
#define FZ_OTHER IPV4(192, 0, 2, 9)
#define FZ_NOWHERE IPV4(198, 51, 100, 53)
static const uint8_t fz_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t fz_peer_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t fz_mdns_mac[ETH_ALEN] = { 0x01, 0, 0x5e, 0, 0, 0xfb };

struct fz {
	struct stack *s;
	uint64_t now;
	uint64_t rng;
	uint16_t up_port, up_id;     /* the stub's last try */
	uint8_t up_q[512];           /* its header and question */
	size_t up_qlen;
	uint8_t ids[65536 / 8];      /* ids the program used, a bit each */
};

static void __attribute__((noreturn)) fz_fail(const char *what)
{
	fprintf(stderr, "\nfuzz_dns: invariant broken: %s\n", what);
	abort();
}

/* Frames out: the stub's tries are remembered, for kind 3 to answer */
static int fz_output(void *ctx, unsigned ifindex, const uint8_t *frame,
		     size_t len, const struct gso_tx *gso)
{
	struct fz *f = ctx;
	const uint8_t *ip = frame + ETH_HLEN, *u;
	size_t ihl;

	(void)ifindex;
	if (gso)
		abort();
	if (len < ETH_HLEN || len > 1514)
		fz_fail("a frame of an impossible length");
	if (get16(frame + 12) != ETH_P_IP || len < ETH_HLEN + 20 + 8 + 12)
		return 0;
	ihl = (size_t)(ip[0] & 15) * 4;
	if (ip[9] != IP_PROTO_UDP || len < ETH_HLEN + ihl + 8 + 12)
		return 0;
	u = ip + ihl;
	if (get16(u) == MDNS_PORT)
		return 0;               /* the responder's */
	if (get16(u + 2) != DNS_PORT && get16(u + 2) != MDNS_PORT)
		return 0;
	f->up_port = get16(u);
	f->up_id = get16(u + 8);
	f->up_qlen = len - ETH_HLEN - ihl - 8;
	if (f->up_qlen > sizeof(f->up_q))
		f->up_qlen = sizeof(f->up_q);
	memcpy(f->up_q, u + 8, f->up_qlen);
	return 0;
}

static void fz_random(void *ctx, void *buf, size_t len)
{
	fuzz_random_bytes(&((struct fz *)ctx)->rng, buf, len);
}

static const struct stack_ops fz_ops = {
	.link_output = fz_output,
	.random = fz_random,
};

/* A UDP datagram to us or to the mDNS group */
static void fz_inject(struct fz *f, uint32_t src, uint16_t sport,
		      uint32_t dst, uint16_t dport, const uint8_t *msg,
		      size_t len)
{
	fuzz_udp4_input(f->s, f->now, dst == FZ_US ? fz_mac : fz_mdns_mac,
			fz_peer_mac, src, sport, dst, dport, 255, msg, len);
}

/* The wire helpers on exactly the message's bytes */
static void fz_helpers(const uint8_t *data, size_t len)
{
	uint8_t *m = malloc(len ? len : 1);
	char name[256];

	if (!m)
		return;
	memcpy(m, data, len);
	dns_question_end(m, len);
	dns_name_is_local(m, len, name, sizeof(name));
	for (size_t o = 0; o < len && o < 64; o++)
		dns_read_name(m, len, o, name, sizeof(name));
	free(m);
}

/* What the program's socket received: answers from the steered server */
static void fz_drain(struct fz *f, struct udp_sock *us)
{
	struct udp_meta m;
	const uint8_t *d;

	while ((d = udp_recv_peek(us, &m))) {
		uint16_t id;

		if (m.src.v4 != FZ_NOWHERE || m.sport != DNS_PORT)
			fz_fail("an answer not from the server asked");
		if (m.len < 12)
			fz_fail("an answer shorter than a header");
		id = get16(d);
		if (!(f->ids[id / 8] & (1u << (id % 8))))
			fz_fail("an answer with an id the program never used");
		udp_recv_next(us);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stack_config cfg;
	struct fz f = { .now = 1000 * NSEC_PER_SEC, .rng = 0x9e3779b97f4a7c15ull };
	struct ip_addr nowhere = ip4(FZ_NOWHERE);
	struct udp_sock *us;
	uint64_t deadline;
	size_t i = 0;

	stack_config_defaults(&cfg);
	memcpy(cfg.mac, fz_mac, ETH_ALEN);
	cfg.ipv6 = false;
	cfg.naddr = 1;
	cfg.addr[0].addr = FZ_US;
	cfg.addr[0].prefix = 24;
	cfg.ndns = 1;
	cfg.dns[0] = ip4(FZ_SERVER);
	snprintf(cfg.hostname, sizeof(cfg.hostname), "fuzz");
	if (stack_new(&f.s, &cfg, &fz_ops, &f, f.now))
		fz_fail("stack_new");
	stack_dns_steer(f.s, &nowhere, 1);
	stack_start(f.s, f.now);
	if (udp_open(f.s, IP_V4, &us))
		fz_fail("udp_open");
	deadline = stack_timeout(f.s, f.now);
	while (i < size) {
		uint8_t op = data[i++];
		uint8_t m[1500];
		size_t len = 0;

		if ((op & 3) != 1) {
			if (i + 2 > size)
				break;
			len = get16(data + i);
			i += 2;
			if (len > size - i)
				len = size - i;
			if (len > sizeof(m) - 64)
				len = sizeof(m) - 64;
			memcpy(m, data + i, len);
			i += len;
			fz_helpers(m, len);
		}
		switch (op & 3) {
		case 0:
			fz_inject(&f, FZ_OTHER, op & 0x04 ? MDNS_PORT : 40000,
				  op & 0x08 ? FZ_US : IPV4(224, 0, 0, 251),
				  MDNS_PORT, m, len);
			break;
		case 1:
			if ((op & 0x04) && deadline != STACK_NO_DEADLINE)
				f.now = deadline;
			else
				f.now += (uint64_t)(op >> 2) * 100 * NSEC_PER_MSEC;
			break;
		case 2:
			if (op & 0x0c) {
				static const uint8_t q[] = {
					0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
				const char *n = op & 0x04 ? "\4fuzz\5local" :
							    "\5other\5local";
				size_t nl = strlen(n) + 1, rest = len;

				if (rest > sizeof(m) - 64 - 12 - nl - 4)
					rest = sizeof(m) - 64 - 12 - nl - 4;
				memmove(m + 12 + nl + 4, m, rest);
				memcpy(m, q, 12);
				if (len >= 2)
					memcpy(m, data + i - len, 2);
				memcpy(m + 12, n, nl);
				put16(m + 12 + nl, op & 0x10 ? 28 : 1);
				put16(m + 12 + nl + 2, 1);
				len = 12 + nl + 4 + (op & 0x20 ? rest : 0);
			}
			if (len >= 2)
				f.ids[get16(m) / 8] |= (uint8_t)(1u << (get16(m) % 8));
			udp_sendto(us, m, len, &nowhere, DNS_PORT, f.now);
			break;
		case 3:
			if ((op & 0x10) && f.up_qlen && len >= f.up_qlen) {
				memcpy(m + 2, f.up_q + 2, f.up_qlen - 2);
				m[2] |= 0x80;
			}
			if ((op & 0x04) && len >= 2)
				put16(m, f.up_id);
			fz_inject(&f, op & 0x08 ? FZ_OTHER : FZ_SERVER,
				  op & 0x08 ? MDNS_PORT : DNS_PORT, FZ_US,
				  f.up_port, m, len);
			break;
		}
		deadline = stack_timeout(f.s, f.now);
		fz_drain(&f, us);
		if (deadline != STACK_NO_DEADLINE && deadline <= f.now)
			fz_fail("a deadline not in the future");
		if (!*mdns_name(f.s))
			fz_fail("the responder lost its name");
	}
	udp_close(us);
	stack_free(f.s);
	return 0;
}
