/* SPDX-License-Identifier: MIT */
/*
 * igmp.c - IGMPv3 (RFC 3376) for a host, with IGMPv1 (RFC 1112) and
 * IGMPv2 (RFC 2236) compatibility
 *
 * Theory of operation: the link's groups are a bounded table (as MLD's
 * in mld.c), each the union of what its sockets asked (mcast.c): any
 * source once one socket asks for any source, else INCLUDE the sources
 * the source-specific members named (RFC 3376 3.2). 224.0.0.1 is always
 * listened to and never reported (RFC 3376 5). A change of a group's
 * state is reported at once and again after a random delay below the
 * Unsolicited Report Interval, Robustness Variable (2) reports in all
 * (5.1): CHANGE_TO_EXCLUDE {} for any source, CHANGE_TO_INCLUDE with the
 * whole source list otherwise (ALLOW/BLOCK records are not used: a
 * router reads TO_IN(B) as the same change, RFC 3376 6.4.2), and
 * CHANGE_TO_INCLUDE {} for a group left, which is then forgotten. A
 * query is answered group by group after a random delay below its
 * Maximum Response Time (5.2): IS_EX {} or IS_IN (sources); a
 * group-and-source query with IS_IN of the sources asked that we want
 * (for an any-source group, IS_EX {}). An IGMPv1 or IGMPv2 query puts us
 * in that version's compatibility mode for the Older Version Querier
 * Present Timeout (8.12: 260 s): then reports are v1/v2 reports to the
 * group, a leave is an IGMPv2 leave to 224.0.0.2 (none in v1), and
 * another host's report for a group cancels our pending answer (RFC
 * 2236 3). Reports leave from the link's address (0.0.0.0 before it has
 * one, RFC 3376 4.2.13) with TTL 1, TOS 0xc0 and a Router Alert option
 * (RFC 2113), to 224.0.0.22 (v3). Timers run only while reports are due.
 */
#include "igmp.h"

#include <string.h>

#include "inet.h"
#include "ipv4.h"
#include "stack_impl.h"

#define IGMP_ROBUSTNESS 2
#define IGMP_V3_UNSOLICITED (1 * NSEC_PER_SEC)
#define IGMP_V2_UNSOLICITED (10 * NSEC_PER_SEC)
#define IGMP_OLDER_PRESENT (260ull * NSEC_PER_SEC)
#define IGMP_TOS 0xc0                   /* internetwork control */

/* ---- wire formats ---- */

/**
 * igmp_decode_time() - a Max Resp Code in milliseconds (RFC 3376 4.1.1)
 * @code: the code; from 128 up a floating-point value in tenths of a second
 *
 * Return: the time it stands for, in milliseconds
 */
uint32_t igmp_decode_time(uint8_t code)
{
	uint32_t tenths = code;

	if (code >= 128)
		tenths = (uint32_t)((code & 0x0f) | 0x10) << (((code >> 4) & 7) + 3);
	return tenths * 100;
}

/**
 * igmp_parse_query() - read a membership query
 * @msg: the IGMP message (checksum already verified)
 * @len: its length
 * @q: filled in
 *
 * RFC 3376 7.1: 8 bytes are IGMPv1 (Max Resp Code 0) or IGMPv2, 12 and
 * more IGMPv3; other lengths are ignored.
 *
 * Return: 0, or -1 (not a query, a length of no version, a source list
 * longer than the message)
 */
int igmp_parse_query(const uint8_t *msg, size_t len, struct igmp_query *q)
{
	memset(q, 0, sizeof(*q));
	if (len < IGMP_MIN_LEN || msg[0] != IGMP_QUERY)
		return -1;
	q->group = get32(msg + 4);
	if (len == IGMP_MIN_LEN) {
		q->version = msg[1] ? 2 : 1;
		/* IGMPv1: a fixed 10 s (RFC 2236 4) */
		q->max_resp_ms = msg[1] ? msg[1] * 100u : 10000u;
		return 0;
	}
	if (len < 12)
		return -1;
	q->version = 3;
	q->max_resp_ms = igmp_decode_time(msg[1]);
	q->qrv = msg[8] & 7;
	q->nsrc = get16(msg + 10);
	if (12 + (size_t)q->nsrc * 4 > len)
		return -1;
	q->src = msg + 12;
	return 0;
}

/**
 * igmp_build_v12() - an IGMPv1/v2 report or an IGMPv2 leave
 * @buf: 8 bytes
 * @type: IGMP_V1_REPORT, IGMP_V2_REPORT or IGMP_V2_LEAVE
 * @group: the group
 *
 * Return: its length, 8
 */
size_t igmp_build_v12(uint8_t *buf, uint8_t type, uint32_t group)
{
	buf[0] = type;
	buf[1] = 0;
	put16(buf + 2, 0);
	put32(buf + 4, group);
	put16(buf + 2, inet_cksum(buf, 8));
	return 8;
}

/**
 * igmp_build_v3() - an IGMPv3 report with one group record (RFC 3376 4.2)
 * @buf: where to write it
 * @cap: its size
 * @record: IGMP_MODE_IS_INCLUDE ... IGMP_BLOCK_OLD_SOURCES
 * @group: the group
 * @src: the record's sources
 * @nsrc: how many
 *
 * Return: its length, or 0 if @cap is too small
 */
size_t igmp_build_v3(uint8_t *buf, size_t cap, uint8_t record,
		     uint32_t group, const uint32_t *src, unsigned nsrc)
{
	size_t n = 16 + (size_t)nsrc * 4;

	if (n > cap)
		return 0;
	memset(buf, 0, 16);
	buf[0] = IGMP_V3_REPORT;
	put16(buf + 6, 1);              /* one record */
	buf[8] = record;
	put16(buf + 10, (uint16_t)nsrc);
	put32(buf + 12, group);
	for (unsigned i = 0; i < nsrc; i++)
		put32(buf + 16 + i * 4, src[i]);
	put16(buf + 2, inet_cksum(buf, n));
	return n;
}

/* ---- the interface's groups ---- */

/**
 * igmp_version() - the version our reports take
 * @s: the stack
 *
 * Return: 1 or 2 while an older querier was heard recently, else 3
 */
unsigned igmp_version(const struct stack *s)
{
	if (s->nif.igmp.v1_until > s->now)
		return 1;
	if (s->nif.igmp.v2_until > s->now)
		return 2;
	return 3;
}

static uint64_t igmp_random_delay(struct stack *s, uint64_t max)
{
	return max ? (uint64_t)stack_random32(s) * max >> 32 : 0;
}

/* The record a v3 report of @g carries, and its sources */
static uint8_t igmp_record(const struct igmp_group *g, uint32_t *src,
			   unsigned *nsrc)
{
	*nsrc = 0;
	if (g->leaving)
		return IGMP_CHANGE_TO_INCLUDE;
	if (g->pending == IGMP_PEND_SOURCES) {
		for (unsigned i = 0; i < g->nsrc; i++)
			if (g->qmask & (1u << i))
				src[(*nsrc)++] = g->src[i];
		return IGMP_MODE_IS_INCLUDE;
	}
	if (!g->any_users) {
		memcpy(src, g->src, g->nsrc * sizeof(*src));
		*nsrc = g->nsrc;
	}
	if (g->pending == IGMP_PEND_CHANGE)
		return g->any_users ? IGMP_CHANGE_TO_EXCLUDE :
		       IGMP_CHANGE_TO_INCLUDE;
	return g->any_users ? IGMP_MODE_IS_EXCLUDE : IGMP_MODE_IS_INCLUDE;
}

static void igmp_send(struct stack *s, struct igmp_group *g)
{
	struct ip_tx tx = { .proto = IP_PROTO_IGMP, .ttl = 1, .tos = IGMP_TOS,
			    .flags = IP_TX_ROUTER_ALERT | IP_TX_MC_IF };
	uint8_t msg[16 + 4 * IGMP_MAX_SOURCES];
	uint32_t src[IGMP_MAX_SOURCES], dst;
	unsigned v = igmp_version(s), nsrc;
	struct pbuf *p;
	size_t n;

	if (v < 3) {
		uint8_t type = v == 1 ? IGMP_V1_REPORT : IGMP_V2_REPORT;

		dst = g->group;
		if (g->leaving) {
			if (v == 1)
				return;         /* IGMPv1 has no leave */
			type = IGMP_V2_LEAVE;
			dst = IGMP_ALL_ROUTERS;
		}
		n = igmp_build_v12(msg, type, g->group);
		CNT(s, igmp_tx_v12);
	} else {
		uint8_t rec = igmp_record(g, src, &nsrc);

		dst = IGMP_V3_ROUTERS;
		n = igmp_build_v3(msg, sizeof(msg), rec, g->group, src, nsrc);
		CNT(s, igmp_tx_report);
	}
	tx.dst = ip4(dst);
	tx.src = ip4(s->nif.naddr ? s->nif.addr[0].addr : 0);
	p = pbuf_copy(&s->pool, PBUF_HEADROOM, msg, n);
	if (!p) {
		CNT(s, igmp_tx_nomem);
		return;
	}
	ipv4_output(s, p, &tx);
}

static void igmp_free(struct stack *s, struct igmp_group *g)
{
	stack_disarm(s, &g->timer);
	g->used = false;
}

static void igmp_timer_fire(struct timer *t, uint64_t now)
{
	struct igmp_group *g = container_of(t, struct igmp_group, timer);
	struct stack *s = g->s;

	(void)now;
	igmp_send(s, g);
	if (g->reports_left)
		g->reports_left--;
	if (g->reports_left) {
		uint64_t ival = igmp_version(s) == 3 ? IGMP_V3_UNSOLICITED :
			       IGMP_V2_UNSOLICITED;

		stack_arm(s, &g->timer, s->now + igmp_random_delay(s, ival));
		return;
	}
	g->pending = IGMP_PEND_CHANGE;
	if (g->leaving)
		igmp_free(s, g);
}

/* RFC 3376 5.1: report @g's new state now, and again later */
static void igmp_announce(struct stack *s, struct igmp_group *g)
{
	g->pending = IGMP_PEND_CHANGE;
	g->reports_left = IGMP_ROBUSTNESS;
	igmp_timer_fire(&g->timer, s->now);
}

static struct igmp_group *igmp_find(const struct stack *s, uint32_t group)
{
	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++) {
		const struct igmp_group *g = &s->nif.igmp.groups[i];

		if (g->used && g->group == group)
			return (struct igmp_group *)g;
	}
	return NULL;
}

static struct igmp_group *igmp_alloc(struct stack *s, uint32_t group)
{
	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++) {
		struct igmp_group *g = &s->nif.igmp.groups[i];

		if (g->used)
			continue;
		memset(g, 0, sizeof(*g));
		g->used = true;
		g->group = group;
		g->s = s;
		timer_init(&g->timer, igmp_timer_fire);
		return g;
	}
	CNT(s, igmp_groups_full);
	return NULL;
}

static int igmp_src_index(const struct igmp_group *g, uint32_t src)
{
	for (unsigned i = 0; i < g->nsrc; i++)
		if (g->src[i] == src)
			return (int)i;
	return -1;
}

/**
 * igmp_join() - one more member of @group on the link
 * @s: the stack
 * @group: an IPv4 group address
 * @src: NULL for any source, else the one source this member wants
 *
 * Return: 0, -EINVAL (not a group), -ENOBUFS (IGMP_MAX_GROUPS groups or
 * IGMP_MAX_SOURCES sources in use)
 */
int igmp_join(struct stack *s, uint32_t group, const uint32_t *src)
{
	struct igmp_group *g;
	bool changed;
	int i;

	if (!ipv4_is_multicast(group))
		return -EINVAL;
	if (group == IGMP_ALL_HOSTS)
		return 0;               /* always, and never reported */
	g = igmp_find(s, group);
	if (!g)
		g = igmp_alloc(s, group);
	if (!g)
		return -ENOBUFS;
	changed = g->leaving;
	g->leaving = false;
	if (!src) {
		changed |= g->any_users++ == 0;
	} else if ((i = igmp_src_index(g, *src)) >= 0) {
		g->src_users[i]++;
	} else if (g->nsrc == IGMP_MAX_SOURCES) {
		CNT(s, igmp_sources_full);
		if (!g->any_users && !g->nsrc)
			igmp_free(s, g);
		return -ENOBUFS;
	} else {
		g->src[g->nsrc] = *src;
		g->src_users[g->nsrc++] = 1;
		changed |= !g->any_users;
	}
	if (changed)
		igmp_announce(s, g);
	return 0;
}

/**
 * igmp_leave() - one member of @group less; the last reports the leave
 * @s: the stack
 * @group: the group
 * @src: as the member joined: NULL for any source, else its source
 */
void igmp_leave(struct stack *s, uint32_t group, const uint32_t *src)
{
	struct igmp_group *g = igmp_find(s, group);
	bool changed = false;
	int i;

	if (!g || g->leaving)
		return;
	if (!src) {
		if (!g->any_users)
			return;
		changed = --g->any_users == 0;
	} else {
		i = igmp_src_index(g, *src);
		if (i < 0)
			return;
		if (--g->src_users[i] == 0) {
			g->nsrc--;
			g->src[i] = g->src[g->nsrc];
			g->src_users[i] = g->src_users[g->nsrc];
			changed = !g->any_users;
		}
	}
	if (!g->any_users && !g->nsrc)
		g->leaving = true;
	if (changed)
		igmp_announce(s, g);
}

/**
 * igmp_is_member() - does the link listen to @group?
 * @s: the stack
 * @group: an IPv4 group address
 *
 * Return: true for 224.0.0.1 and every group joined and not being left
 */
bool igmp_is_member(const struct stack *s, uint32_t group)
{
	const struct igmp_group *g;

	if (group == IGMP_ALL_HOSTS)
		return true;
	g = igmp_find(s, group);
	return g && !g->leaving;
}

/**
 * igmp_accepts() - does the link take a datagram from @src to @group?
 * @s: the stack
 * @group: the destination, a group
 * @src: its source
 *
 * Return: true if a member wants any source, or @src (Linux's
 * ip_check_mc_rcu())
 */
bool igmp_accepts(const struct stack *s, uint32_t group, uint32_t src)
{
	const struct igmp_group *g;

	if (group == IGMP_ALL_HOSTS)
		return true;
	g = igmp_find(s, group);
	if (!g || g->leaving)
		return false;
	return g->any_users || igmp_src_index(g, src) >= 0;
}

/**
 * igmp_mac_member() - is @mac the link-layer address of one of our groups?
 * @s: the stack
 * @mac: a destination MAC
 *
 * Return: true for 01:00:5e and the low 23 bits of a group we are in
 * (RFC 1112 6.4), all-hosts included
 */
bool igmp_mac_member(const struct stack *s, const uint8_t mac[6])
{
	uint32_t low;

	if (mac[0] != 0x01 || mac[1] != 0x00 || mac[2] != 0x5e || mac[3] & 0x80)
		return false;
	low = (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
	if (low == (IGMP_ALL_HOSTS & 0x7fffff))
		return true;
	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++) {
		const struct igmp_group *g = &s->nif.igmp.groups[i];

		if (g->used && !g->leaving && (g->group & 0x7fffff) == low)
			return true;
	}
	return false;
}

/* RFC 3376 5.2: answer for @g within @max, unless an answer covering it
 * is due sooner; a state change being reported already says it all */
static void igmp_schedule(struct stack *s, struct igmp_group *g,
			  uint8_t pend, uint16_t mask, uint64_t max)
{
	uint64_t when = s->now + igmp_random_delay(s, max);

	if (g->leaving ||
	    (g->reports_left && g->pending == IGMP_PEND_CHANGE))
		return;
	if (timer_armed(&g->timer)) {
		if (g->pending == IGMP_PEND_CURRENT && g->timer.when <= when)
			return;
		if (g->pending == IGMP_PEND_SOURCES && pend == IGMP_PEND_SOURCES)
			mask |= g->qmask;
		if (g->timer.when < when)
			when = g->timer.when;
	}
	g->pending = pend;
	g->qmask = mask;
	g->reports_left = 1;
	stack_arm(s, &g->timer, when);
}

/* A group-and-source query: which of @g's sources it asks about */
static void igmp_query_sources(struct stack *s, struct igmp_group *g,
			       const struct igmp_query *q, uint64_t max)
{
	uint16_t mask = 0;

	if (g->any_users) {
		igmp_schedule(s, g, IGMP_PEND_CURRENT, 0, max);
		return;
	}
	for (unsigned i = 0; i < q->nsrc; i++) {
		int k = igmp_src_index(g, get32(q->src + i * 4));

		if (k >= 0)
			mask |= (uint16_t)(1u << k);
	}
	if (mask)
		igmp_schedule(s, g, IGMP_PEND_SOURCES, mask, max);
}

static void igmp_query(struct stack *s, const struct igmp_query *q)
{
	uint64_t max = (uint64_t)q->max_resp_ms * NSEC_PER_MSEC;

	CNT(s, igmp_rx_query);
	if (q->version == 1)
		s->nif.igmp.v1_until = s->now + IGMP_OLDER_PRESENT;
	else if (q->version == 2)
		s->nif.igmp.v2_until = s->now + IGMP_OLDER_PRESENT;
	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++) {
		struct igmp_group *g = &s->nif.igmp.groups[i];

		if (!g->used || (q->group && q->group != g->group))
			continue;
		if (q->version == 3 && q->group && q->nsrc)
			igmp_query_sources(s, g, q, max);
		else
			igmp_schedule(s, g, IGMP_PEND_CURRENT, 0, max);
	}
}

/* RFC 2236 3: in v1/v2 mode another member's report for a group stands
 * for ours */
static void igmp_heard_report(struct stack *s, const uint8_t *msg)
{
	struct igmp_group *g = igmp_find(s, get32(msg + 4));

	if (g && igmp_version(s) < 3 && g->pending == IGMP_PEND_CURRENT &&
	    timer_armed(&g->timer)) {
		stack_disarm(s, &g->timer);
		g->reports_left = 0;
		CNT(s, igmp_suppressed);
	}
}

/* An IGMP message for us; consumes @p */
static void igmp_input(struct stack *s, struct pbuf *p,
		       const struct ip_rx *rx)
{
	struct igmp_query q;

	(void)rx;
	CNT(s, igmp_rx);
	if (p->len < IGMP_MIN_LEN) {
		CNT(s, igmp_rx_short);
		goto out;
	}
	if (inet_cksum(p->data, p->len)) {
		CNT(s, igmp_rx_bad_cksum);
		goto out;
	}
	switch (p->data[0]) {
	case IGMP_QUERY:
		if (igmp_parse_query(p->data, p->len, &q)) {
			CNT(s, igmp_rx_bad);
			break;
		}
		igmp_query(s, &q);
		break;
	case IGMP_V1_REPORT:
	case IGMP_V2_REPORT:
		CNT(s, igmp_rx_report);
		igmp_heard_report(s, p->data);
		break;
	case IGMP_V3_REPORT:
	case IGMP_V2_LEAVE:
		CNT(s, igmp_rx_report);         /* for routers */
		break;
	default:
		CNT(s, igmp_rx_unknown);
		break;
	}
out:
	pbuf_free(p);
}

static const struct ip_proto igmp_proto = {
	.name = "igmp",
	.input = igmp_input,
};

/**
 * igmp_init() - register IGMP in IPv4's protocol table
 * @s: the stack
 */
void igmp_init(struct stack *s)
{
	s->protos.v4[IP_PROTO_IGMP] = &igmp_proto;
}

/**
 * igmp_fini() - forget every group (the stack goes)
 * @s: the stack
 */
void igmp_fini(struct stack *s)
{
	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++)
		if (s->nif.igmp.groups[i].used)
			igmp_free(s, &s->nif.igmp.groups[i]);
}
