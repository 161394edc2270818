/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dhcp.c - libFuzzer target: the DHCP client (daemon/stack/dhcp.c)
 *
 * Theory of operation: the input is a script for an engine started with
 * --dhcp and no address. The first byte configures it (bits 0-1: ARP
 * probes, 0 to 3; bit 2: INIT-REBOOT with an address). Then records, each
 * one byte of kind and flags and, for a message, two bytes of length and
 * that many bytes:
 *
 *   kind 0  a DHCP message from the server (192.0.2.1, port 67) to port
 *           68, broadcast or (flag 0x10) to the client's address; flag 0x04
 *           puts the client's current xid in, flag 0x08 our MAC as chaddr,
 *           so that the state machine, not only the parser, is reached;
 *   kind 1  time passes: to the engine's next deadline (flag 0x04), or
 *           flags * 250 ms;
 *   kind 2  an ARP packet from another host claiming (or probing for) the
 *           address the client is probing or holds;
 *   kind 3  RELEASE (a SIGTERM of the daemon).
 *
 * Each message is also given to dhcp_parse() alone, from an allocation of
 * exactly its size, so that ASan sees any read past it. After every
 * record the client's invariants hold: a timer armed in every state but
 * OFF, the lease's address on the interface exactly while bound, no
 * packet buffer left alive (the client holds none), the deadline in the
 * future. stack_free() ends each input; LeakSanitizer checks the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "eth.h"
#include "fuzz_util.h"
#include "stack.h"
#include "stack_impl.h"
#include "udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FD_SERVER IPV4(192, 0, 2, 1)
static const uint8_t fd_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t fd_server_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t fd_other_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x03 };

struct fd {
	struct stack *s;
	uint64_t now;
	uint64_t rng;
};

static void __attribute__((noreturn)) fd_fail(const char *what)
{
	fprintf(stderr, "\nfuzz_dhcp: invariant broken: %s\n", what);
	abort();
}

static int fd_output(void *ctx, unsigned ifindex, const uint8_t *frame,
		     size_t len, const struct gso_tx *gso)
{
	(void)ctx;
	(void)ifindex;
	if (gso)
		abort();        /* no segmentation was declared */
	if (len < ETH_HLEN || len > 1514)
		fd_fail("a frame of an impossible length");
	if (memcmp(frame + 6, fd_mac, ETH_ALEN))
		fd_fail("a frame not from our MAC");
	return 0;
}

static void fd_random(void *ctx, void *buf, size_t len)
{
	fuzz_random_bytes(&((struct fd *)ctx)->rng, buf, len);
}

static const struct stack_ops fd_ops = {
	.link_output = fd_output,
	.random = fd_random,
};

/* A message from the server to port 68 */
static void fd_inject(struct fd *f, uint32_t dst, const uint8_t *msg,
		      size_t len)
{
	fuzz_udp4_input(f->s, f->now, dst == IPV4_BROADCAST ? eth_broadcast :
			fd_mac, fd_server_mac, FD_SERVER, DHCP_SERVER_PORT, dst,
			DHCP_CLIENT_PORT, 64, msg, len);
}

static void fd_arp(struct fd *f, uint8_t flags)
{
	uint8_t fr[ETH_HLEN + ARP_LEN];
	struct arp_pkt a = { .op = flags & 0x10 ? ARP_OP_REPLY : ARP_OP_REQUEST };
	const struct dhcp_client *c = &f->s->dhcp;
	uint32_t addr = c->bound ? c->lease.addr : c->cand.addr;

	memcpy(fr, eth_broadcast, ETH_ALEN);
	memcpy(fr + 6, fd_other_mac, ETH_ALEN);
	put16(fr + 12, ETH_P_ARP);
	memcpy(a.sha, fd_other_mac, ETH_ALEN);
	a.spa = flags & 0x20 ? 0 : addr;          /* a probe, or a claim */
	a.tpa = addr;
	arp_build(fr + ETH_HLEN, &a);
	stack_input_copy(f->s, STACK_IF_LINK, fr, sizeof(fr), f->now);
}

static void fd_check(struct fd *f, uint64_t deadline)
{
	const struct stack *s = f->s;
	const struct dhcp_client *c = &s->dhcp;

	bool forever = c->state == DHCP_BOUND && c->lease.t1 == UINT64_MAX;

	if ((c->state != DHCP_OFF && !forever) != timer_armed(&c->timer))
		fd_fail("a state without its timer, or OFF (or an infinite lease) with one");
	if (c->bound != (c->state == DHCP_BOUND || c->state == DHCP_RENEWING ||
			 c->state == DHCP_REBINDING))
		fd_fail("bound in a state that holds no lease, or not");
	if (c->bound && !netif_has_addr(&s->nif, c->lease.addr))
		fd_fail("bound without the address");
	if (!c->bound && s->nif.naddr)
		fd_fail("an address without a lease");
	if (stack_pool(s)->live)
		fd_fail("a packet buffer left alive");
	if (deadline != STACK_NO_DEADLINE && deadline <= f->now)
		fd_fail("a deadline not in the future");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stack_config cfg;
	struct fd f = { .now = 1000 * NSEC_PER_SEC, .rng = 0x9e3779b97f4a7c15ull };
	uint64_t deadline;
	size_t i = 1;

	if (size < 1)
		return 0;
	stack_config_defaults(&cfg);
	memcpy(cfg.mac, fd_mac, ETH_ALEN);
	cfg.ipv6 = false;
	cfg.dhcp = true;
	cfg.dhcp_arp_probes = data[0] & 3;
	snprintf(cfg.dhcp_hostname, sizeof(cfg.dhcp_hostname), "fuzz");
	if (stack_new(&f.s, &cfg, &fd_ops, &f, f.now))
		fd_fail("stack_new");
	if (data[0] & 4)
		stack_dhcp_reboot(f.s, IPV4(192, 0, 2, 50));
	stack_start(f.s, f.now);
	deadline = stack_timeout(f.s, f.now);
	while (i < size) {
		uint8_t op = data[i++];

		switch (op & 3) {
		case 0: {
			size_t len;
			uint8_t *m;
			struct dhcp_msg pm;

			if (i + 2 > size)
				goto out;
			len = get16(data + i);
			i += 2;
			if (len > size - i)
				len = size - i;
			m = malloc(len ? len : 1);
			if (!m)
				goto out;
			memcpy(m, data + i, len);
			i += len;
			dhcp_parse(m, len, &pm);
			if ((op & 0x04) && len >= 8)
				put32(m + 4, f.s->dhcp.xid);
			if ((op & 0x08) && len >= 28 + ETH_ALEN)
				memcpy(m + 28, fd_mac, ETH_ALEN);
			fd_inject(&f, (op & 0x10) && f.s->dhcp.bound ?
				  f.s->dhcp.lease.addr : IPV4_BROADCAST, m, len);
			free(m);
			break;
		}
		case 1:
			if ((op & 0x04) && deadline != STACK_NO_DEADLINE)
				f.now = deadline;
			else
				f.now += (uint64_t)(op >> 2) * 250 * NSEC_PER_MSEC;
			break;
		case 2:
			fd_arp(&f, op);
			break;
		case 3:
			stack_dhcp_release(f.s, f.now);
			break;
		}
		deadline = stack_timeout(f.s, f.now);
		fd_check(&f, deadline);
	}
out:
	stack_free(f.s);
	return 0;
}
