/* SPDX-License-Identifier: MIT */
/*
 * stack.c - the engine's entry points: configuration, input, time
 *
 * See stack.h for how a host drives the engine. Every entry point records
 * the time it was given in s->now, so that the modules below never need a
 * clock of their own.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_stub.h"
#include "mdns.h"
#include "eth.h"
#include "icmp.h"
#include "icmp6.h"
#include "stack_impl.h"

const struct counter_desc stack_counter_desc[] = {
#define X(g, n, d) { #g, #n, d, offsetof(struct stack_counters, g##_##n) },
	STACK_COUNTERS(X)
#undef X
};
const unsigned stack_counter_count =
	sizeof(stack_counter_desc) / sizeof(stack_counter_desc[0]);

/**
 * stack_config_defaults() - fill @cfg with the documented defaults
 * @cfg: the configuration
 *
 * The MAC and addresses are left empty; the host sets them.
 */
void stack_config_defaults(struct stack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu = 1500;
	cfg->ttl = 64;
	cfg->dhcp_arp_probes = 3;
	cfg->dns_stub = true;
	cfg->mdns = true;
	cfg->mem_budget = 64u << 20;
	cfg->neigh_max_entries = 512;
	cfg->neigh_reachable = 30 * NSEC_PER_SEC;
	cfg->neigh_retrans = 1 * NSEC_PER_SEC;
	cfg->neigh_delay_probe = 5 * NSEC_PER_SEC;
	cfg->neigh_mcast_solicit = 3;
	cfg->neigh_ucast_solicit = 3;
	cfg->neigh_queue_bytes = 212992;
	cfg->ipv6 = true;
	cfg->slaac = true;
	cfg->dad_transmits = 1;
	cfg->rtr_solicits = 3;
	cfg->rtr_solicit_interval = 4 * NSEC_PER_SEC;
	cfg->reass_max = 64;
	cfg->reass_max_bytes = 4u << 20;
	cfg->reass_timeout = 30 * NSEC_PER_SEC;
	cfg->icmp_rate = 1000;
	cfg->icmp_burst = 50;
	cfg->rmem_max = 212992;       /* Linux's defaults */
	cfg->wmem_max = 212992;
	cfg->tcp_msl = 30 * NSEC_PER_SEC;
	cfg->tcp_fin_timeout = 60 * NSEC_PER_SEC;
	cfg->tcp_rto_min = 200 * NSEC_PER_MSEC;
	cfg->tcp_rto_initial = 1 * NSEC_PER_SEC;
	cfg->tcp_rto_max = 120 * NSEC_PER_SEC;
	cfg->tcp_delack_max = 40 * NSEC_PER_MSEC;
	cfg->tcp_syn_retries = 6;
	cfg->tcp_synack_retries = 5;
	cfg->tcp_retries2 = 15;
	cfg->tcp_max_socks = 65536;
	cfg->tcp_max_time_wait = 4096;
	cfg->tcp_max_syn_backlog = 256;
	cfg->tcp_somaxconn = 4096;
	cfg->tcp_sndbuf = 131072;
	cfg->tcp_rcvbuf = 131072;
	cfg->tcp_sndbuf_max = 4u << 20;
	cfg->tcp_rcvbuf_max = 4u << 20;
	cfg->tcp_mem_budget = 256u << 20;
	cfg->tcp_keepidle = 7200 * NSEC_PER_SEC;
	cfg->tcp_keepintvl = 75 * NSEC_PER_SEC;
	cfg->tcp_keepcnt = 9;
	cfg->tcp_challenge_ack_limit = 1000;
	cfg->tcp_init_cwnd = 10;
	cfg->tcp_port_lo = 32768;
	cfg->tcp_port_hi = 60999;
	cfg->tcp_timestamps = true;
	cfg->tcp_window_scaling = true;
	cfg->tcp_sack = true;
	cfg->tcp_syncookies = true;
	cfg->tcp_tlp = true;
	cfg->tcp_rack = true;
	cfg->tcp_slow_start_after_idle = true;
	cfg->tcp_cc = TCP_CC_CUBIC;
	cfg->tcp_ecn = TCP_ECN_SERVER;
	cfg->tcp_fastopen = TCP_TFO_CLIENT;
}

/**
 * stack_config_check() - validate a configuration
 * @cfg: the configuration
 * @why: set to a sentence naming the problem
 *
 * Return: 0, or -EINVAL
 */
int stack_config_check(const struct stack_config *cfg, const char **why)
{
	static const uint8_t zero[ETH_ALEN];

	if (!memcmp(cfg->mac, zero, ETH_ALEN) || (cfg->mac[0] & 1))
		*why = "the MAC address must be a non-zero unicast address";
	else if (cfg->mtu < 576 || cfg->mtu > 65535)
		*why = "the MTU must be between 576 and 65535";
	else if ((cfg->naddr == 0 && !cfg->dhcp) || cfg->naddr > STACK_MAX_ADDRS)
		*why = "between 1 and 8 IPv4 addresses are needed (or DHCP)";
	else if (cfg->ttl == 0)
		*why = "the TTL must be at least 1";
	else if (cfg->neigh_max_entries < 1 || cfg->neigh_max_entries > 65536)
		*why = "neigh_max_entries must be between 1 and 65536";
	else if (cfg->neigh_queue_bytes < 1 || cfg->neigh_mcast_solicit < 1 ||
		 cfg->neigh_ucast_solicit < 1)
		*why = "neigh_queue_bytes and the solicitation counts must be at least 1";
	else if (cfg->neigh_retrans == 0 || cfg->neigh_reachable == 0 ||
		 cfg->neigh_delay_probe == 0 || cfg->reass_timeout == 0)
		*why = "timeouts must be longer than zero";
	else if (cfg->mem_budget < (1u << 20))
		*why = "the memory budget must be at least 1 MiB";
	else if (cfg->icmp_burst < 1)
		*why = "icmp_burst must be at least 1";
	else if (cfg->tcp_rto_min == 0 || cfg->tcp_rto_min > cfg->tcp_rto_initial ||
		 cfg->tcp_rto_initial > cfg->tcp_rto_max || cfg->tcp_msl == 0 ||
		 cfg->tcp_delack_max == 0)
		*why = "TCP timers must be non-zero, rto_min <= rto_initial <= rto_max";
	else if (cfg->tcp_port_lo == 0 || cfg->tcp_port_lo > cfg->tcp_port_hi)
		*why = "the ephemeral port range is empty";
	else if (cfg->rmem_max < SOCK_MIN_RCVBUF ||
		 cfg->wmem_max < SOCK_MIN_SNDBUF ||
		 cfg->rmem_max > (1u << 30) || cfg->wmem_max > (1u << 30))
		*why = "rmem_max must be 2304 to 1 GiB, wmem_max 4608 to 1 GiB";
	else if (cfg->tcp_sndbuf < 4608 || cfg->tcp_rcvbuf < 4608 ||
		 cfg->tcp_sndbuf > cfg->tcp_sndbuf_max ||
		 cfg->tcp_rcvbuf > cfg->tcp_rcvbuf_max ||
		 cfg->tcp_rcvbuf_max > (1u << 30))
		*why = "TCP buffer sizes must be 4608 <= default <= max <= 1 GiB";
	else if (cfg->tcp_max_socks < 1 || cfg->tcp_init_cwnd < 1 ||
		 cfg->tcp_keepcnt < 1)
		*why = "tcp_max_socks, tcp_init_cwnd, tcp_keepcnt must be >= 1";
	else
		return 0;
	return -EINVAL;
}

/*
 * The loopback interface and its route, as Linux's local table has it
 * ("local 127.0.0.0/8 dev lo src 127.0.0.1"): fixed, looked at before the
 * routing table, never changed by route or address calls.
 */
static void stack_loopback_init(struct stack *s)
{
	s->lo.index = STACK_IF_LOOPBACK;
	s->lo.loopback = true;
	s->lo.mtu = STACK_LOOPBACK_MTU;
	s->lo.naddr = 1;
	s->lo.addr[0].addr = IPV4(127, 0, 0, 1);
	s->lo.addr[0].prefix = 8;
	s->lo_route.dst = ip4(IPV4(127, 0, 0, 0));
	s->lo_route.prefix = 8;
	s->lo_route.ifindex = STACK_IF_LOOPBACK;
	s->lo_route.origin = ROUTE_CONNECTED;
	s->lo_route6.dst = ip6((const uint8_t[16]){ [15] = 1 });
	s->lo_route6.prefix = 128;
	s->lo_route6.ifindex = STACK_IF_LOOPBACK;
	s->lo_route6.origin = ROUTE_CONNECTED;
}

static int stack_check_addrs(const struct stack_config *cfg)
{
	for (unsigned i = 0; i < cfg->naddr; i++) {
		uint32_t a = cfg->addr[i].addr;

		if (cfg->addr[i].prefix > 32 || a == 0 ||
		    ipv4_is_multicast(a) || ipv4_is_loopback(a) || a >> 28 == 0xf)
			return -EINVAL;
	}
	return 0;
}

/* The neighbour cache's timing, from the configuration (both families;
 * router advertisements may change IPv6's later) */
static void stack_neigh_timing(struct stack *s)
{
	for (uint8_t f = IP_V4; f <= IP_V6; f += 2) {
		struct neigh_params *np = &s->neigh_params[f == IP_V6];

		np->retrans = s->cfg.neigh_retrans;
		np->delay_probe = s->cfg.neigh_delay_probe;
		if (np->base_reachable != s->cfg.neigh_reachable)
			neigh_set_reachable(s, f, s->cfg.neigh_reachable);
	}
}

/**
 * stack_new() - create an engine
 * @out: set to the new engine
 * @cfg: its configuration, copied
 * @ops: callbacks to the host; must outlive the engine
 * @ctx: passed to every callback
 * @now: current time
 *
 * Return: 0, -EINVAL for a bad configuration, -ENETUNREACH for a gateway
 * off every subnet, or -ENOMEM
 */
int stack_new(struct stack **out, const struct stack_config *cfg,
	      const struct stack_ops *ops, void *ctx, uint64_t now)
{
	struct stack *s;
	const char *why;
	int rc;

	if (stack_config_check(cfg, &why) || stack_check_addrs(cfg))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->ops = ops;
	s->ctx = ctx;
	s->now = now;
	pbuf_pool_init(&s->pool, cfg->mem_budget);
	timer_heap_init(&s->timers);
	s->nif.index = STACK_IF_LINK;
	memcpy(s->nif.mac, cfg->mac, ETH_ALEN);
	s->nif.mtu = cfg->mtu;
	s->nif.naddr = cfg->naddr;
	memcpy(s->nif.addr, cfg->addr, sizeof(cfg->addr));
	stack_loopback_init(s);
	s->icmp_tokens = (uint64_t)cfg->icmp_burst * NSEC_PER_SEC;
	s->icmp_refill = now;
	ops->random(ctx, &s->ip_id, sizeof(s->ip_id));
	rc = neigh_init(s);
	stack_neigh_timing(s);
	arp_init(s);
	icmp_init(s);
	igmp_init(s);
	icmp6_init(s);
	addrconf_init(s);
	dhcp_init(s);
	if (rc == 0)
		rc = transport_init(s);
	if (rc == 0)
		rc = dns_stub_init(s);
	if (rc == 0)
		rc = mdns_init(s);
	for (unsigned i = 0; rc == 0 && i < cfg->naddr; i++) {
		uint32_t mask = ipv4_mask(cfg->addr[i].prefix);

		rc = route_insert(s, &(struct route){
			.dst = ip4(cfg->addr[i].addr & mask),
			.prefix = cfg->addr[i].prefix,
			.origin = ROUTE_CONNECTED });
		if (rc == -EEXIST)
			rc = 0;
	}
	if (rc == 0 && cfg->gateway) {
		struct ip_addr any = ip_any(IP_V4), gw = ip4(cfg->gateway);

		rc = stack_route_add(s, &any, 0, &gw, 0);
	}
	if (rc) {
		stack_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/**
 * stack_free() - destroy an engine and everything it holds
 * @s: the engine, or NULL
 */
void stack_free(struct stack *s)
{
	if (!s)
		return;
	mdns_fini(s);
	dns_stub_fini(s);
	transport_fini(s);
	pbuf_free_chain(s->loop_q);
	reass_fini(s);
	addrconf_fini(s);
	igmp_fini(s);
	dhcp_fini(s);
	neigh_fini(s);
	timer_heap_free(&s->timers);
	pbuf_pool_drain(&s->pool);
	free(s->nif.uso.buf);
	free(s->uso_scratch);
	free(s);
}

/**
 * stack_reconfigure() - apply the tunables that can change while running
 * @s: the engine
 * @cfg: the new configuration
 *
 * Live: every tunable, each read where it is used (new sockets, timers,
 * bindings; connections keep what they copied at their start). Fixed at
 * stack_new(): the link identity (MAC, MTU), the addresses and gateway
 * (changed only through stack_addr_add/del and the route calls) and the
 * neighbour cache size; a host that sees those change must restart the engine. A smaller budget
 * does not free what is in use: new allocations wait for it to drain.
 *
 * Return: 0, or -EINVAL if @cfg is invalid (nothing is changed then)
 */
int stack_reconfigure(struct stack *s, const struct stack_config *cfg)
{
	struct stack_config fixed = s->cfg;
	const char *why;

	if (stack_config_check(cfg, &why))
		return -EINVAL;
	/* everything is read where it is used, except what stack_new() built */
	s->cfg = *cfg;
	memcpy(s->cfg.mac, fixed.mac, ETH_ALEN);
	s->cfg.mtu = fixed.mtu;
	s->cfg.naddr = fixed.naddr;
	memcpy(s->cfg.addr, fixed.addr, sizeof(fixed.addr));
	s->cfg.gateway = fixed.gateway;
	s->cfg.ipv6 = fixed.ipv6;
	s->cfg.naddr6 = fixed.naddr6;
	memcpy(s->cfg.addr6, fixed.addr6, sizeof(fixed.addr6));
	memcpy(s->cfg.gateway6, fixed.gateway6, sizeof(fixed.gateway6));
	memcpy(s->cfg.ipv6_secret, fixed.ipv6_secret, sizeof(fixed.ipv6_secret));
	s->cfg.neigh_max_entries = fixed.neigh_max_entries;
	s->cfg.dhcp = fixed.dhcp;
	s->pool.budget = cfg->mem_budget;
	stack_neigh_timing(s);
	return 0;
}

/**
 * stack_start() - announce ourselves on the link (gratuitous ARP)
 * @s: the engine
 * @now: current time
 */
void stack_start(struct stack *s, uint64_t now)
{
	s->now = now;
	arp_announce(s, &s->nif);
	addrconf_start(s);
	dhcp_start(s);
	mdns_start(s);
}

/*
 * Room in front of a received frame: with the headers it carried, a UDP
 * datagram's payload then has room for the record its socket queues it
 * with (struct dgram_info, dgram.c), so it is queued without a copy.
 */
#define STACK_RX_HEADROOM 64

/**
 * stack_rx_buf() - a buffer for the host to receive one frame into
 * @s: the engine
 * @maxlen: the largest frame the host may put there
 *
 * Return: a pbuf with @maxlen bytes at data (set len to what arrived),
 * or NULL when the memory budget is spent (counted)
 */
struct pbuf *stack_rx_buf(struct stack *s, size_t maxlen)
{
	struct pbuf *p = pbuf_alloc(&s->pool, STACK_RX_HEADROOM, maxlen);

	if (!p)
		CNT(s, eth_rx_nomem);
	return p;
}

/**
 * stack_input() - a frame arrived; consumes @p
 * @s: the engine
 * @ifindex: the interface (STACK_IF_LINK)
 * @p: the frame, from stack_rx_buf(), data at the Ethernet header
 * @now: current time
 */
void stack_input(struct stack *s, unsigned ifindex, struct pbuf *p,
		 uint64_t now)
{
	struct netif *nif = stack_netif(s, ifindex);

	s->now = now;
	if (!nif || nif->loopback) {
		pbuf_free(p);
		return;
	}
	eth_input(s, nif, p);
	ip_loop_drain(s);
}

/**
 * stack_input_copy() - stack_input() for a frame in the host's memory
 * @s: the engine
 * @ifindex: the interface (STACK_IF_LINK)
 * @frame: the frame
 * @len: its length
 * @now: current time
 */
void stack_input_copy(struct stack *s, unsigned ifindex, const void *frame,
		      size_t len, uint64_t now)
{
	stack_input_meta(s, ifindex, frame, len, NULL, now);
}

struct uso_rx {
	struct stack *s;
	unsigned ifindex;
	uint8_t rx_flags;
	uint64_t now;
	unsigned segs;
};

static int uso_rx_one(void *arg, const uint8_t *seg, size_t len)
{
	struct uso_rx *u = arg;
	struct pbuf *p = stack_rx_buf(u->s, len);

	if (!p)
		return 0;       /* counted; the next may find a buffer */
	memcpy(p->data, seg, len);
	p->rx_flags = u->rx_flags;
	u->segs++;
	stack_input(u->s, u->ifindex, p, u->now);
	return 0;
}

/*
 * A frame of UDP datagrams the kernel sent with UDP_SEGMENT (the link's
 * USO, virtio's GSO_UDP_L4): each datagram is its own, as the kernel's
 * receive path splits it for a socket without UDP_GRO, its checksum
 * whole and taken as the link vouched for the frame's. Consumes @p.
 */
static void stack_input_uso(struct stack *s, unsigned ifindex, struct pbuf *p,
			    const struct stack_rx_meta *m, uint64_t now)
{
	struct uso_rx u = { s, ifindex, m->csum_ok ? PBUF_RX_CSUM_OK : 0,
			    now, 0 };
	struct gso_tx g;

	if (m->csum_ok)
		CNT(s, eth_rx_csum_offload);
	if (!s->uso_scratch)
		s->uso_scratch = malloc(USO_BUF_LEN);
	if (!s->uso_scratch) {
		CNT(s, eth_rx_nomem);
	} else if (gso_describe_udp(p->data, p->len, m->gso_size, &g) ||
		   gso_segment(p->data, p->len, &g, s->uso_scratch,
			       USO_BUF_LEN, uso_rx_one, &u)) {
		CNT(s, eth_rx_uso_bad);
	} else {
		CNT(s, eth_rx_uso);
		s->cnt.eth_rx_uso_segs += u.segs;
	}
	pbuf_free(p);
}

/**
 * stack_input_meta() - a frame from a link that offloads: copied in,
 * with what the link says of it
 * @s: the engine
 * @ifindex: the interface
 * @frame: the Ethernet frame
 * @len: its length (up to 64 KiB of payload when @m->gso_size is set)
 * @m: the link's word on it, or NULL (none: a plain frame)
 * @now: current time
 *
 * @m->csum_ok: the transport checksum is not to be verified (the kernel
 * left it partial, or checked it); @m->gso_size: the frame is the kernel's
 * TCP segments of that size merged (GSO/GRO), taken as one segment.
 */
void stack_input_meta(struct stack *s, unsigned ifindex, const void *frame,
		      size_t len, const struct stack_rx_meta *m, uint64_t now)
{
	struct pbuf *p = stack_rx_buf(s, len);

	if (!p)
		return;
	memcpy(p->data, frame, len);
	if (m && m->gso_size && m->gso_udp) {
		stack_input_uso(s, ifindex, p, m, now);
		return;
	}
	if (m) {
		p->rx_flags = m->csum_ok ? PBUF_RX_CSUM_OK : 0;
		p->gso_size = m->gso_size;
		if (m->csum_ok)
			CNT(s, eth_rx_csum_offload);
		if (m->gso_size)
			CNT(s, eth_rx_gso);
	}
	stack_input(s, ifindex, p, now);
}

/**
 * stack_set_link_gso() - say whether the link segments TCP for us
 * @s: the engine
 * @max: the most IP payload (TCP header and data) in one frame of
 *       segments, up to STACK_GSO_MAX; 0: the link takes MTU-sized
 *       frames only (the default; pcap, an impaired or plain TAP)
 *
 * From the next segment on, TCP sends what the windows allow in frames
 * of up to @max (gso.h); frames already queued keep their shape, so a
 * host that stops segmenting still cuts those with gso_segment().
 */
void stack_set_link_gso(struct stack *s, uint32_t max)
{
	s->nif.gso_max = max > STACK_GSO_MAX ? STACK_GSO_MAX : max;
}

/**
 * stack_set_link_uso() - say whether the link cuts frames of UDP datagrams
 * @s: the engine
 * @on: it does (a TAP with TUN_F_USO4|TUN_F_USO6); off: the default
 *
 * On, the datagrams the engine sends back to back on one flow go as one
 * frame (eth_output()), held until another frame goes or stack_flush().
 * Off, what is held goes first.
 *
 * Return: 0, or -ENOMEM (the batch's buffer; it stays off)
 */
int stack_set_link_uso(struct stack *s, bool on)
{
	struct uso_batch *b = &s->nif.uso;

	if (on && !b->buf) {
		b->buf = malloc(USO_BUF_LEN);
		b->len = 0;
		return b->buf ? 0 : -ENOMEM;
	}
	if (!on && b->buf) {
		eth_uso_flush(s, &s->nif);
		free(b->buf);
		b->buf = NULL;
	}
	return 0;
}

/**
 * stack_flush() - send what the engine holds for the link to cut
 * @s: the engine
 *
 * The host calls it at the end of every turn of its loop, so that a
 * datagram held for those of its flow that may follow waits no longer.
 */
void stack_flush(struct stack *s)
{
	eth_uso_flush(s, &s->nif);
}

/**
 * stack_timeout() - run what is due and say when to call again
 * @s: the engine
 * @now: current time
 *
 * Return: the next deadline, or STACK_NO_DEADLINE if nothing is armed
 */
uint64_t stack_timeout(struct stack *s, uint64_t now)
{
	s->now = now;
	timer_run(&s->timers, now);
	ip_loop_drain(s);
	return timer_next(&s->timers);
}

const struct stack_counters *stack_counters(const struct stack *s)
{
	return &s->cnt;
}

/**
 * stack_sockbuf_size() - SO_RCVBUF/SO_SNDBUF as Linux's sk_setsockopt()
 * @s: the engine (its rmem_max/wmem_max)
 * @val: the value the program gave
 * @snd: SO_SNDBUF (else SO_RCVBUF)
 * @force: SO_SNDBUFFORCE/SO_RCVBUFFORCE (the caller checked the privilege)
 *
 * The value, taken as unsigned (so a negative one is huge), is capped at
 * rmem_max or wmem_max, unless forced (then a negative one is 0), then
 * doubled for the kernel's bookkeeping overhead, and raised to the
 * minimum; getsockopt() reads back exactly this.
 *
 * Return: the buffer size in bytes
 */
uint32_t stack_sockbuf_size(const struct stack *s, int val, bool snd,
			    bool force)
{
	uint32_t max = snd ? s->cfg.wmem_max : s->cfg.rmem_max;
	uint32_t min = snd ? SOCK_MIN_SNDBUF : SOCK_MIN_RCVBUF;
	uint64_t v;

	if (force)
		v = val < 0 ? 0 : (uint32_t)val;
	else
		v = (uint32_t)val < max ? (uint32_t)val : max;
	if (v > INT_MAX / 2)
		v = INT_MAX / 2;
	v *= 2;
	return v < min ? min : (uint32_t)v;
}

/**
 * stack_mem() - memory in use per kind of object, against its bound
 * @s: the engine
 * @m: filled in
 */
void stack_mem(const struct stack *s, struct stack_mem *m)
{
	m->pbuf_bytes = s->pool.in_use;
	m->pbuf_peak = s->pool.peak;
	m->pbuf_budget = s->pool.budget;
	m->pbufs = s->pool.live;
	m->pbuf_refused = s->pool.alloc_fail;
	m->neigh_entries = s->neigh.used;
	m->neigh_max_entries = s->neigh.cap;
	m->reass_datagrams = s->reass.count;
	m->reass_bytes = s->reass.bytes;
	m->reass_max_bytes = s->cfg.reass_max_bytes;
}

const struct pbuf_pool *stack_pool(const struct stack *s)
{
	return &s->pool;
}

/**
 * stack_unreachable() - tell the transports that @nexthop never answered
 * @s: the stack
 * @nexthop: the neighbour that resolution gave up on
 *
 * Every protocol of @nexthop's family that registered an unreachable
 * hook hears of it (a rare event: the walk of the table is no cost).
 */
void stack_unreachable(struct stack *s, const struct ip_addr *nexthop)
{
	const struct ip_proto *const *t = ip_is_v4(nexthop) ? s->protos.v4 :
					  s->protos.v6;

	for (unsigned i = 0; i < IP_PROTO_MAX; i++)
		if (t[i] && t[i]->unreachable)
			t[i]->unreachable(s, nexthop);
}

void stack_log(struct stack *s, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!s->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->ops->log(s->ctx, level, msg);
}

/**
 * stack_port_range() - the ephemeral ports a socket draws from
 * @s: the engine (its range: tcp-port-lo..tcp-port-hi, Linux's
 *     net.ipv4.ip_local_port_range, for TCP and UDP alike)
 * @sk_range: the socket's IP_LOCAL_PORT_RANGE (low 16 bits the lowest
 *            port, high 16 the highest; 0: none)
 * @lo: set to the lowest port
 * @hi: set to the highest
 *
 * As Linux's inet_sk_get_local_port_range(): each bound of the socket's
 * narrows the stack's range only when it lies within it.
 */
void stack_port_range(const struct stack *s, uint32_t sk_range,
		      unsigned *lo, unsigned *hi)
{
	unsigned sk_lo = sk_range & 0xffff, sk_hi = sk_range >> 16;

	*lo = s->cfg.tcp_port_lo;
	*hi = s->cfg.tcp_port_hi;
	if (!sk_range)
		return;
	if (*lo <= sk_lo && sk_lo <= *hi)
		*lo = sk_lo;
	if (*lo <= sk_hi && sk_hi <= *hi)
		*hi = sk_hi;
}

uint32_t stack_random32(struct stack *s)
{
	uint32_t v;

	s->ops->random(s->ctx, &v, sizeof(v));
	return v;
}

struct netif *stack_netif(struct stack *s, unsigned ifindex)
{
	if (ifindex == s->nif.index)
		return &s->nif;
	return ifindex == s->lo.index ? &s->lo : NULL;
}

/**
 * netif_has_addr() - @addr is one of @nif's own addresses
 * @nif: the interface
 * @addr: the address
 *
 * Return: true if so (what ARP answers for, on the link)
 */
bool netif_has_addr(const struct netif *nif, uint32_t addr)
{
	for (unsigned i = 0; i < nif->naddr; i++)
		if (nif->addr[i].addr == addr)
			return true;
	return false;
}

/**
 * stack_is_local_addr() - a datagram to @addr is for this host
 * @s: the engine
 * @addr: the address
 *
 * Our link's addresses, and every address of 127/8: as in Linux, whose
 * local route "local 127.0.0.0/8 dev lo" makes the whole block ours.
 *
 * Return: true if so
 */
bool stack_is_local_addr(const struct stack *s, uint32_t addr)
{
	return ipv4_is_loopback(addr) || netif_has_addr(&s->nif, addr);
}

/**
 * stack_addr_is_local() - is @a one of ours, of either family?
 * @s: the engine
 * @a: the address
 *
 * IPv4: stack_is_local_addr(); IPv6: ::1, or an address of the link past
 * DAD (a tentative one is not usable yet, RFC 4862 5.4).
 *
 * Return: true if so
 */
bool stack_addr_is_local(const struct stack *s, const struct ip_addr *a)
{
	if (a->family == IP_V4)
		return stack_is_local_addr(s, a->v4);
	return a->family == IP_V6 &&
	       (ip_addr_is_loopback(a) || addrconf_is_local(s, a->v6));
}

/**
 * stack_addr_is_bcast() - is @a a broadcast (IPv4) or a group (either)?
 * @s: the engine
 * @a: the address
 *
 * Return: true if a datagram to @a may reach more than one host
 */
bool stack_addr_is_bcast(const struct stack *s, const struct ip_addr *a)
{
	return ip_addr_is_multicast(a) ||
	       (a->family == IP_V4 && stack_is_broadcast(s, a->v4));
}

/**
 * stack_source_for() - the source address for datagrams to @dst
 * @s: the engine
 * @dst: the destination
 * @src: set to the source the route picks (RFC 6724 for IPv6)
 *
 * Return: 0, -ENETUNREACH (no route), -EADDRNOTAVAIL (no address)
 */
int stack_source_for(const struct stack *s, const struct ip_addr *dst,
		     struct ip_addr *src)
{
	const struct route *r;

	/* IPv6: groups and link-local destinations are on the link, route
	 * or not, as ipv6_output() sends them */
	if (dst->family == IP_V6 && (ip_addr_is_multicast(dst) ||
				     ip_addr_is_linklocal(dst))) {
		if (!s->nif.in6.enabled)
			return -ENETUNREACH;
		return addrconf_select_source(s, dst, src) ? -EADDRNOTAVAIL : 0;
	}
	r = route_find(s, dst);
	if (!r)
		return -ENETUNREACH;
	return route_src(s, r, dst, src);
}

/* The limited broadcast, or the directed broadcast of one of our subnets. */
bool stack_is_broadcast(const struct stack *s, uint32_t addr)
{
	if (addr == IPV4_BROADCAST)
		return true;
	for (unsigned i = 0; i < s->nif.naddr; i++) {
		uint32_t mask = ipv4_mask(s->nif.addr[i].prefix);

		if (s->nif.addr[i].prefix < 31 &&
		    (addr & mask) == (s->nif.addr[i].addr & mask) &&
		    (addr | mask) == IPV4_BROADCAST)
			return true;
	}
	return false;
}

/**
 * stack_addr_gone() - @addr is about to leave the link: the transports
 * that hold state on it hear of it first (TCP resets its connections)
 * @s: the engine
 * @addr: the IPv4 address
 */
void stack_addr_gone(struct stack *s, uint32_t addr)
{
	struct ip_addr a = ip4(addr);

	for (unsigned i = 0; i < IP_PROTO_MAX; i++)
		if (s->protos.v4[i] && s->protos.v4[i]->addr_gone)
			s->protos.v4[i]->addr_gone(s, &a);
}

/* Arm a timer of the engine; a failure to grow the heap is reported. */
int stack_arm(struct stack *s, struct timer *t, uint64_t when)
{
	int rc = timer_arm(&s->timers, t, when);

	if (rc)
		stack_log(s, STACK_LOG_ERR, "timer: out of memory");
	return rc;
}

void stack_disarm(struct stack *s, struct timer *t)
{
	timer_cancel(&s->timers, t);
}
