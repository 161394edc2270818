/* SPDX-License-Identifier: MIT */
/*
 * mld.c - Multicast Listener Discovery version 2 (RFC 3810) for a host,
 * with MLDv1 (RFC 2710) compatibility
 *
 * Theory of operation: the interface's groups are a bounded table with a
 * count of users each (an address's solicited-node group is used by every
 * address that maps to it; sockets add theirs). A new group is reported at
 * once and again after a random delay below the Unsolicited Report
 * Interval (1 s), Robustness Variable (2) reports in all (RFC 3810 6.1); a
 * group left is reported the same way as a change to include nothing,
 * then forgotten. ff02::1 is never reported (RFC 3810 6), and neither is a
 * group of interface-local scope. A query is answered, group by group,
 * after a random delay below its Maximum Response Delay (6.2). Hearing an
 * MLDv1 query switches us to MLDv1 reports and dones for the Older Version
 * Querier Present Timeout (9.12: 260 s with the default values). Reports
 * leave with hop limit 1 and a Router Alert, from our link-local address,
 * or from :: before it is usable (5.2.13). Timers run only while reports
 * are due.
 */
#include <string.h>

#include "ipv6.h"
#include "stack_impl.h"

#define MLD_ROBUSTNESS 2
#define MLD_UNSOLICITED_IVAL (1 * NSEC_PER_SEC)
#define MLD_V1_PRESENT (260ull * NSEC_PER_SEC)

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };

/* RFC 3810 6: no report for all-nodes, nor for interface-local scope */
static bool mld_reported(const uint8_t group[16])
{
	return memcmp(group, all_nodes, 16) && (group[1] & 0x0f) > 1;
}

static bool mld_v1_mode(const struct stack *s)
{
	return s->nif.in6.mld_v1_until > s->now;
}

static void mld_send(struct stack *s, struct mld_group *g, uint8_t record)
{
	struct ip_tx tx = { .proto = IP6_NH_ICMPV6, .ttl = 1,
			    .flags = IP_TX_ROUTER_ALERT };
	const uint8_t (*groups)[16] = (const uint8_t (*)[16])g->group;
	uint8_t msg[64];
	struct pbuf *p;
	size_t n;

	if (!addrconf_linklocal(s, &tx.src)) {
		tx.src = ip_any(IP_V6);
		tx.flags |= IP_TX_UNSPEC_SRC;
	}
	if (mld_v1_mode(s)) {
		bool done = record == MLD2_CHANGE_TO_INCLUDE;

		tx.dst = ip6(done ? all_routers : g->group);
		n = mld_build_v1(msg, done ? ICMP6_MLD1_DONE : ICMP6_MLD1_REPORT,
				 &tx.src, &tx.dst, g->group);
		CNT(s, mld_tx_v1);
	} else {
		static const uint8_t all_mld2[16] = { 0xff, 0x02, [15] = 0x16 };

		tx.dst = ip6(all_mld2);
		n = mld_build_report(msg, sizeof(msg), &tx.src, groups, 1,
				     record);
		CNT(s, mld_tx_report);
	}
	p = pbuf_copy(&s->pool, PBUF_HEADROOM, msg, n);
	if (!p) {
		CNT(s, mld_tx_nomem);
		return;
	}
	ipv6_output(s, p, &tx);
}

static uint64_t mld_random_delay(struct stack *s, uint64_t max)
{
	return max ? (uint64_t)stack_random32(s) * max >> 32 : 0;
}

static void mld_free(struct stack *s, struct mld_group *g)
{
	stack_disarm(s, &g->timer);
	g->used = false;
}

static void mld_timer_fire(struct timer *t, uint64_t now)
{
	struct mld_group *g = container_of(t, struct mld_group, timer);
	struct stack *s = g->s;

	(void)now;
	mld_send(s, g, g->record);
	if (g->reports_left)
		g->reports_left--;
	if (g->reports_left) {
		stack_arm(s, &g->timer,
			  s->now + mld_random_delay(s, MLD_UNSOLICITED_IVAL));
		return;
	}
	if (g->leaving)
		mld_free(s, g);
}

/* Report @g's change now and once more later (RFC 3810 6.1) */
static void mld_announce(struct stack *s, struct mld_group *g, uint8_t record)
{
	g->record = record;
	g->reports_left = MLD_ROBUSTNESS;
	if (!s->nif.in6.enabled || !mld_reported(g->group)) {
		if (g->leaving)
			mld_free(s, g);
		return;
	}
	mld_timer_fire(&g->timer, s->now);
}

static struct mld_group *mld_find(struct stack *s, const uint8_t group[16])
{
	for (unsigned i = 0; i < MLD_MAX_GROUPS; i++) {
		struct mld_group *g = &s->nif.in6.groups[i];

		if (g->used && !memcmp(g->group, group, 16))
			return g;
	}
	return NULL;
}

/**
 * mld_join() - listen to @group (one more user)
 * @s: the stack
 * @group: an IPv6 multicast address
 *
 * Return: 0, -EINVAL (not a group), -ENOBUFS (MLD_MAX_GROUPS in use)
 */
int mld_join(struct stack *s, const uint8_t group[16])
{
	struct mld_group *g;

	if (group[0] != 0xff)
		return -EINVAL;
	g = mld_find(s, group);
	if (g) {
		g->users++;
		if (g->leaving) {
			/* joined again while its leave was being reported */
			g->leaving = false;
			mld_announce(s, g, MLD2_CHANGE_TO_EXCLUDE);
		}
		return 0;
	}
	for (unsigned i = 0; i < MLD_MAX_GROUPS && !g; i++)
		if (!s->nif.in6.groups[i].used)
			g = &s->nif.in6.groups[i];
	if (!g) {
		CNT(s, mld_groups_full);
		return -ENOBUFS;
	}
	memcpy(g->group, group, 16);
	g->used = true;
	g->users = 1;
	g->leaving = false;
	g->s = s;
	timer_init(&g->timer, mld_timer_fire);
	mld_announce(s, g, MLD2_CHANGE_TO_EXCLUDE);
	return 0;
}

/**
 * mld_leave() - one user of @group less; the last reports the leave
 * @s: the stack
 * @group: the group
 */
void mld_leave(struct stack *s, const uint8_t group[16])
{
	struct mld_group *g = mld_find(s, group);

	if (!g || g->leaving || --g->users)
		return;
	g->leaving = true;
	mld_announce(s, g, MLD2_CHANGE_TO_INCLUDE);
}

/**
 * mld_is_member() - do we listen to @group?
 * @s: the stack
 * @group: an IPv6 multicast address
 *
 * Return: true for ff02::1 and every group joined and not being left
 */
bool mld_is_member(const struct stack *s, const uint8_t group[16])
{
	if (!memcmp(group, all_nodes, 16))
		return true;
	for (unsigned i = 0; i < MLD_MAX_GROUPS; i++) {
		const struct mld_group *g = &s->nif.in6.groups[i];

		if (g->used && !g->leaving && !memcmp(g->group, group, 16))
			return true;
	}
	return false;
}

void mld_fini(struct stack *s)
{
	for (unsigned i = 0; i < MLD_MAX_GROUPS; i++)
		if (s->nif.in6.groups[i].used)
			mld_free(s, &s->nif.in6.groups[i]);
}

/* RFC 3810 6.2: answer for @g within @max, unless an answer is due sooner */
static void mld_schedule(struct stack *s, struct mld_group *g, uint64_t max)
{
	uint64_t when = s->now + mld_random_delay(s, max);

	if (g->leaving || !mld_reported(g->group))
		return;
	if (timer_armed(&g->timer) && g->timer.when <= when)
		return;
	g->record = MLD2_MODE_IS_EXCLUDE;
	g->reports_left = 1;
	stack_arm(s, &g->timer, when);
}

/**
 * mld_input() - handle an MLD message
 * @s: the stack
 * @msg: the ICMPv6 message (checksum verified)
 * @len: its length
 * @rx: what IPv6 learned about the datagram
 */
void mld_input(struct stack *s, const uint8_t *msg, size_t len,
	       const struct ip_rx *rx)
{
	struct mld_query q;
	uint64_t max;

	if (msg[0] != ICMP6_MLD_QUERY) {
		CNT(s, mld_rx_report);  /* other listeners: nothing to do */
		return;
	}
	/* RFC 3810 5.1.14: from a link-local address, hop limit 1 */
	if (!ip_addr_is_linklocal(&rx->src) || rx->ttl != 1 ||
	    mld_parse_query(msg, len, &q)) {
		CNT(s, mld_rx_bad);
		return;
	}
	CNT(s, mld_rx_query);
	if (!q.v2)
		s->nif.in6.mld_v1_until = s->now + MLD_V1_PRESENT;
	max = (uint64_t)q.max_resp_ms * NSEC_PER_MSEC;
	for (unsigned i = 0; i < MLD_MAX_GROUPS; i++) {
		struct mld_group *g = &s->nif.in6.groups[i];
		static const uint8_t zero[16];

		if (!g->used)
			continue;
		if (!memcmp(q.group, zero, 16) || !memcmp(q.group, g->group, 16))
			mld_schedule(s, g, max);
	}
}
