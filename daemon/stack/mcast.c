/* SPDX-License-Identifier: MIT */
/*
 * mcast.c - a datagram socket's multicast memberships
 *
 * Theory of operation: a socket's memberships are a short list (at most
 * MC_MAX_MEMBERSHIPS, Linux's net.ipv4.igmp_max_memberships), each a
 * group on an interface, for any source or for the sources named (at most
 * MC_MAX_SOURCES, igmp_max_msf). Each is also counted in the interface's
 * groups, one mechanism whatever the family: igmp_join()/igmp_leave()
 * for IPv4 (which merges the sources and reports with IGMP), mld_join()/
 * mld_leave() for IPv6. A datagram to a group the interface takes goes
 * to the sockets on its port that joined it there and want its source,
 * and to those that did not join it while IP_MULTICAST_ALL is on (the
 * default), as Linux's ip_mc_sf_allow() decides. The errors are Linux's
 * (ip_mc_join_group(), ip_mc_leave_group(), ip_mc_source()).
 */
#include "mcast.h"

#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "igmp.h"
#include "stack_impl.h"

/* The interface's part: one more (or one less) member of @group, for
 * any source (@src NULL) or for @src */
static int mc_if_join(struct stack *s, const struct ip_addr *group,
		      const struct ip_addr *src)
{
	if (group->family == IP_V4)
		return igmp_join(s, group->v4, src ? &src->v4 : NULL);
	if (src)
		return -EOPNOTSUPP;
	return mld_join(s, group->v6);
}

static void mc_if_leave(struct stack *s, const struct ip_addr *group,
			const struct ip_addr *src)
{
	if (group->family == IP_V4)
		igmp_leave(s, group->v4, src ? &src->v4 : NULL);
	else if (!src)
		mld_leave(s, group->v6);
}

static struct mc_member **mc_find(struct dgram *dg,
				  const struct ip_addr *group,
				  unsigned ifindex)
{
	struct mc_member **m;

	for (m = &dg->mc; *m; m = &(*m)->next)
		if (ip_addr_eq(&(*m)->group, group) &&
		    (*m)->ifindex == ifindex)
			return m;
	return NULL;
}

/* A new membership, its interface part not yet counted */
/* A new membership of @dg, its group joined on the link for any source
 * (@src NULL) or for @src; not linked yet. */
static int mc_new(struct dgram *dg, const struct ip_addr *group,
		  unsigned ifindex, const struct ip_addr *src,
		  struct mc_member **out)
{
	unsigned n = 0;
	int rc;

	for (struct mc_member *m = dg->mc; m; m = m->next)
		n++;
	if (n >= MC_MAX_MEMBERSHIPS)
		return -ENOBUFS;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOBUFS;
	(*out)->group = *group;
	(*out)->ifindex = ifindex;
	rc = mc_if_join(dg->s, group, src);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static void mc_link(struct dgram *dg, struct mc_member *m)
{
	m->next = dg->mc;
	dg->mc = m;
}

/**
 * mcast_join() - join @group on @ifindex for any source
 * @dg: the socket
 * @group: a group address
 * @ifindex: the interface (STACK_IF_LINK)
 * @now: current time (reports are timed from it)
 *
 * Return: 0, or -EINVAL (not a group), -EADDRINUSE (joined already),
 * -ENOBUFS (MC_MAX_MEMBERSHIPS, no memory, the interface's table full)
 */
int mcast_join(struct dgram *dg, const struct ip_addr *group,
	       unsigned ifindex, uint64_t now)
{
	struct mc_member *m;
	int rc;

	dg->s->now = now;
	if (!ip_addr_is_multicast(group))
		return -EINVAL;
	if (mc_find(dg, group, ifindex))
		return -EADDRINUSE;
	rc = mc_new(dg, group, ifindex, NULL, &m);
	if (rc)
		return rc;
	mc_link(dg, m);
	return 0;
}

static void mc_drop(struct dgram *dg, struct mc_member **mp)
{
	struct mc_member *m = *mp;

	*mp = m->next;
	if (!m->include)
		mc_if_leave(dg->s, &m->group, NULL);
	for (unsigned i = 0; i < m->nsrc; i++)
		mc_if_leave(dg->s, &m->group, &m->src[i]);
	free(m);
}

/**
 * mcast_leave() - leave @group on @ifindex, whatever its sources
 * @dg: the socket
 * @group: the group
 * @ifindex: the interface it was joined on
 * @now: current time
 *
 * Return: 0, or -EADDRNOTAVAIL (not joined there)
 */
int mcast_leave(struct dgram *dg, const struct ip_addr *group,
		unsigned ifindex, uint64_t now)
{
	struct mc_member **mp = mc_find(dg, group, ifindex);

	dg->s->now = now;
	if (!mp)
		return -EADDRNOTAVAIL;
	mc_drop(dg, mp);
	return 0;
}

static int mc_src_index(const struct mc_member *m, const struct ip_addr *src)
{
	for (unsigned i = 0; i < m->nsrc; i++)
		if (ip_addr_eq(&m->src[i], src))
			return (int)i;
	return -1;
}

/* IP_ADD_SOURCE_MEMBERSHIP: join if need be, then want @src too; an
 * any-source membership becomes a source-specific one (Linux's
 * "mode switch for empty-set filters") */
static int mc_source_add(struct dgram *dg, const struct ip_addr *group,
			 unsigned ifindex, const struct ip_addr *src)
{
	struct mc_member **mp = mc_find(dg, group, ifindex), *m;
	int rc;

	if (mp) {
		m = *mp;
		if (mc_src_index(m, src) >= 0)
			return -EADDRNOTAVAIL;
		if (m->nsrc >= MC_MAX_SOURCES)
			return -ENOBUFS;
		rc = mc_if_join(dg->s, group, src);
		if (rc)
			return rc;
		if (!m->include) {
			m->include = true;
			mc_if_leave(dg->s, group, NULL);
		}
		m->src[m->nsrc++] = *src;
		return 0;
	}
	rc = mc_new(dg, group, ifindex, src, &m);
	if (rc)
		return rc;
	m->include = true;
	m->src[m->nsrc++] = *src;
	mc_link(dg, m);
	return 0;
}

/* IP_DROP_SOURCE_MEMBERSHIP: the last source gone leaves the group */
static int mc_source_drop(struct dgram *dg, const struct ip_addr *group,
			  unsigned ifindex, const struct ip_addr *src)
{
	struct mc_member **mp = mc_find(dg, group, ifindex), *m;
	int i;

	if (!mp)
		return -EINVAL;
	m = *mp;
	i = m->include ? mc_src_index(m, src) : -1;
	if (i < 0)
		return -EADDRNOTAVAIL;
	if (m->nsrc == 1) {
		mc_drop(dg, mp);
		return 0;
	}
	mc_if_leave(dg->s, group, src);
	m->src[i] = m->src[--m->nsrc];
	return 0;
}

/**
 * mcast_source() - want (or no longer want) one source of a group
 * @dg: the socket
 * @group: a group address
 * @ifindex: the interface
 * @src: the source, of the group's family
 * @add: true to add it (joining if need be), false to drop it
 * @now: current time
 *
 * Return: 0, or -EINVAL (not a group; dropping from a group not joined),
 * -EADDRNOTAVAIL (added twice; dropping one not there), -ENOBUFS (too
 * many memberships or sources), -EOPNOTSUPP (IPv6)
 */
int mcast_source(struct dgram *dg, const struct ip_addr *group,
		 unsigned ifindex, const struct ip_addr *src, bool add,
		 uint64_t now)
{
	dg->s->now = now;
	if (!ip_addr_is_multicast(group) || src->family != group->family)
		return -EINVAL;
	return add ? mc_source_add(dg, group, ifindex, src) :
		     mc_source_drop(dg, group, ifindex, src);
}

/**
 * mcast_allow() - may the socket have this datagram to a group?
 * @dg: the socket
 * @rx: the datagram's addresses and interface
 *
 * Return: true if the socket joined its group on its interface and wants
 * its source, or did not join it and has IP_MULTICAST_ALL on; true for a
 * datagram to no group
 */
bool mcast_allow(const struct dgram *dg, const struct ip_rx *rx)
{
	const struct mc_member *m;

	if (!ip_addr_is_multicast(&rx->dst))
		return true;
	for (m = dg->mc; m; m = m->next)
		if (ip_addr_eq(&m->group, &rx->dst) &&
		    m->ifindex == rx->ifindex)
			break;
	if (!m)
		return rx->dst.family == IP_V6 || dg->mc_all;
	return !m->include || mc_src_index(m, &rx->src) >= 0;
}

/**
 * mcast_drop_all() - leave every group (the socket closes)
 * @dg: the socket
 */
void mcast_drop_all(struct dgram *dg)
{
	while (dg->mc)
		mc_drop(dg, &dg->mc);
}

/**
 * mcast_members() - the socket's memberships, for the host to show
 * @dg: the socket
 *
 * Return: the first, or NULL
 */
const struct mc_member *mcast_members(const struct dgram *dg)
{
	return dg->mc;
}

/**
 * mcast_set_if() - IP_MULTICAST_IF: where datagrams to IPv4 groups go
 * @dg: the socket
 * @ifindex: the interface (STACK_IF_LINK), or 0 for the route's
 * @addr: their source address, or 0 for the interface's
 */
void mcast_set_if(struct dgram *dg, unsigned ifindex, uint32_t addr)
{
	dg->mc_index = (uint8_t)ifindex;
	dg->mc_addr = addr;
}

/**
 * mcast_if_addr() - the address IP_MULTICAST_IF set
 * @dg: the socket
 *
 * Return: it, or 0
 */
uint32_t mcast_if_addr(const struct dgram *dg)
{
	return dg->mc_addr;
}

/**
 * mcast_find_dev() - the interface an IPv4 membership or IP_MULTICAST_IF
 * names (Linux's ip_mc_find_dev())
 * @s: the stack
 * @ifindex: its index, or 0
 * @addr: else one of its addresses, or 0 (then: the route to the group)
 *
 * Return: STACK_IF_LINK (the only interface with groups), or -ENODEV
 */
int mcast_find_dev(const struct stack *s, unsigned ifindex, uint32_t addr)
{
	if (ifindex)
		return ifindex == STACK_IF_LINK ? STACK_IF_LINK : -ENODEV;
	if (addr)
		return netif_has_addr(&s->nif, addr) ? STACK_IF_LINK : -ENODEV;
	return STACK_IF_LINK;
}

_Static_assert(IGMP_MAX_SOURCES <= STACK_MADDR_SOURCES, "sources shown");

/**
 * stack_maddr_list() - the link's groups: IPv4 (224.0.0.1 first), IPv6
 * @s: the stack
 * @out: filled with at most @max
 * @max: room in @out
 *
 * Return: how many there are (may exceed @max; only @max are written)
 */
unsigned stack_maddr_list(const struct stack *s, struct stack_maddr *out,
			  unsigned max)
{
	unsigned n = 0;

	if (n < max)
		out[n] = (struct stack_maddr){ .group = ip4(IGMP_ALL_HOSTS),
					       .users = 1 };
	n++;
	for (unsigned i = 0; i < IGMP_MAX_GROUPS; i++) {
		const struct igmp_group *g = &s->nif.igmp.groups[i];

		if (!g->used || g->leaving)
			continue;
		if (n < max) {
			struct stack_maddr *m = &out[n];

			memset(m, 0, sizeof(*m));
			m->group = ip4(g->group);
			m->users = g->any_users;
			m->include = !g->any_users;
			for (unsigned k = 0; k < g->nsrc; k++)
				m->users += g->src_users[k];
			if (m->include) {
				m->nsrc = g->nsrc;
				memcpy(m->src, g->src, g->nsrc * sizeof(g->src[0]));
			}
		}
		n++;
	}
	for (unsigned i = 0; s->nif.in6.enabled && i < MLD_MAX_GROUPS; i++) {
		const struct mld_group *g = &s->nif.in6.groups[i];

		if (!g->used || g->leaving)
			continue;
		if (n < max)
			out[n] = (struct stack_maddr){ .group = ip6(g->group),
						       .users = g->users };
		n++;
	}
	return n;
}

/**
 * stack_mc_version() - the version of IGMP or MLD our reports take
 * @s: the stack
 * @family: IP_V4 or IP_V6
 *
 * Return: IGMP 1 to 3, MLD 1 or 2 (an older querier was heard lately)
 */
unsigned stack_mc_version(const struct stack *s, uint8_t family)
{
	if (family == IP_V4)
		return igmp_version(s);
	return s->nif.in6.mld_v1_until > s->now ? 1 : 2;
}
