/* SPDX-License-Identifier: MIT */
/*
 * addrconf.c - IPv6 addresses of the interface: link-local at start,
 * static ones, SLAAC (RFC 4862), stable private interface identifiers
 * (RFC 7217), duplicate address detection, lifetimes, and the choice of a
 * source address (RFC 6724 5)
 *
 * Theory of operation. Every address starts TENTATIVE: its solicited-node
 * group is joined (mld.c), and after a random delay below a second
 * (RFC 4862 5.4.2) DupAddrDetectTransmits solicitations from :: go out a
 * RetransTimer apart (nd.c); silence makes it PREFERRED, another node
 * probing or advertising it makes it a duplicate (5.4.5: counted, logged,
 * never used; an identifier of ours is then made anew with the next
 * DAD_Counter, IDGEN_RETRIES times, as RFC 7217 6 says). The link-local
 * address becoming usable starts router solicitation.
 *
 * Identifiers are RFC 7217's: SipHash-2-4 under the host's secret of the
 * prefix, the MAC (Net_Iface) and DAD_Counter, so an address is stable
 * for a network and says nothing of the MAC across networks. A prefix with
 * the A flag (length 64) gets such an address with the advertised
 * lifetimes; a known one has its lifetimes renewed under RFC 4862 5.5.3
 * (e)'s two-hour rule. Each address has one timer, for DAD or for its next
 * lifetime event (deprecated when the preferred lifetime ends, removed when
 * the valid one does); infinite lifetimes arm nothing.
 */
#include <string.h>

#include "ipv6.h"
#include "mdns.h"
#include "stack_impl.h"

#define TWO_HOURS (7200ull * NSEC_PER_SEC)
#define LIFETIME_INFINITE 0xffffffffu

static const uint8_t linklocal_prefix[8] = { 0xfe, 0x80 };

static uint64_t addrconf_until(const struct stack *s, uint32_t lifetime)
{
	return lifetime == LIFETIME_INFINITE ? UINT64_MAX :
	       s->now + (uint64_t)lifetime * NSEC_PER_SEC;
}

/* RFC 5453: identifiers an address must not take */
static bool addrconf_iid_reserved(const uint8_t iid[8])
{
	static const uint8_t zero[8], anycast[7] = { 0xfd, 0xff, 0xff, 0xff,
						     0xff, 0xff, 0xff };

	return !memcmp(iid, zero, 8) ||
	       (!memcmp(iid, anycast, 7) && iid[7] >= 0x80);
}

/**
 * addrconf_stable_iid() - RFC 7217's interface identifier
 * @s: the stack
 * @prefix: the 64-bit prefix
 * @dad_counter: DAD_Counter
 * @iid: set to the identifier
 */
void addrconf_stable_iid(const struct stack *s, const uint8_t prefix[8],
			 uint8_t dad_counter, uint8_t iid[8])
{
	uint64_t key[2];
	uint8_t in[8 + ETH_ALEN + 1];
	uint64_t h;

	memcpy(key, s->cfg.ipv6_secret, sizeof(key));
	memcpy(in, prefix, 8);
	memcpy(in + 8, s->nif.mac, ETH_ALEN);
	for (;;) {
		in[8 + ETH_ALEN] = dad_counter;
		h = inet_siphash(key, in, sizeof(in));
		for (int i = 0; i < 8; i++)
			iid[i] = (uint8_t)(h >> (56 - 8 * i));
		if (!addrconf_iid_reserved(iid))
			return;
		dad_counter++;
	}
}

static void addrconf_timer_fire(struct timer *t, uint64_t now);

/**
 * addrconf_init() - IPv6 on the interface, before anything is sent
 * @s: the stack
 */
void addrconf_init(struct stack *s)
{
	struct inet6_if *in6 = &s->nif.in6;

	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
		in6->addr[i].s = s;
		timer_init(&in6->addr[i].timer, addrconf_timer_fire);
	}
	in6->hop_limit = s->cfg.ttl;
	in6->mtu = s->nif.mtu;
	/* RFC 8200 5: a link that cannot carry 1280 bytes carries no IPv6 */
	in6->enabled = s->cfg.ipv6 && s->nif.mtu >= IPV6_MIN_MTU;
	nd_init(s);
}

void addrconf_fini(struct stack *s)
{
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++)
		stack_disarm(s, &s->nif.in6.addr[i].timer);
	nd_fini(s);
	mld_fini(s);
}

struct ifaddr6 *addrconf_find(struct stack *s, const uint8_t addr[16])
{
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
		struct ifaddr6 *a = &s->nif.in6.addr[i];

		if (a->state != IFA6_FREE && !memcmp(a->addr, addr, 16))
			return a;
	}
	return NULL;
}

static bool addrconf_usable(const struct ifaddr6 *a)
{
	return a->state == IFA6_PREFERRED || a->state == IFA6_DEPRECATED;
}

/**
 * addrconf_is_local() - is @addr one of our usable addresses?
 * @s: the stack
 * @addr: an IPv6 address
 *
 * Return: true when it is ours and past DAD (tentative and duplicate
 * addresses are not usable)
 */
bool addrconf_is_local(const struct stack *s, const uint8_t addr[16])
{
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
		const struct ifaddr6 *a = &s->nif.in6.addr[i];

		if (addrconf_usable(a) && !memcmp(a->addr, addr, 16))
			return true;
	}
	return false;
}

/**
 * addrconf_linklocal() - our usable link-local address
 * @s: the stack
 * @out: set to it
 *
 * Return: true if there is one
 */
bool addrconf_linklocal(const struct stack *s, struct ip_addr *out)
{
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
		const struct ifaddr6 *a = &s->nif.in6.addr[i];

		if (addrconf_usable(a) && a->addr[0] == 0xfe &&
		    (a->addr[1] & 0xc0) == 0x80) {
			*out = ip6(a->addr);
			return true;
		}
	}
	return false;
}

/* RFC 6724 3.1: link-local (2) or global (14) scope */
static unsigned addrconf_scope(const uint8_t a[16])
{
	struct ip_addr x = ip6(a);

	if (a[0] == 0xff)
		return a[1] & 0x0f;
	if (ip_addr_is_linklocal(&x) || ip_addr_is_loopback(&x))
		return 2;
	return 14;
}

static unsigned common_prefix(const uint8_t a[16], const uint8_t b[16])
{
	unsigned n = 0;

	for (unsigned i = 0; i < 16; i++) {
		uint8_t x = a[i] ^ b[i];

		if (!x) {
			n += 8;
			continue;
		}
		while (!(x & 0x80)) {
			n++;
			x <<= 1;
		}
		break;
	}
	return n;
}

/* RFC 6724 5: is @a a better source than @b for @dst? Rules 2, 3, 8 */
static bool addrconf_better(const struct ifaddr6 *a, const struct ifaddr6 *b,
			    const uint8_t dst[16])
{
	unsigned sa = addrconf_scope(a->addr), sb = addrconf_scope(b->addr);
	unsigned sd = addrconf_scope(dst);

	if (sa != sb)
		return sa < sb ? sa >= sd : sb < sd;
	if ((a->state == IFA6_DEPRECATED) != (b->state == IFA6_DEPRECATED))
		return b->state == IFA6_DEPRECATED;
	return common_prefix(a->addr, dst) > common_prefix(b->addr, dst);
}

/**
 * addrconf_select_source() - RFC 6724 5's source for @dst
 * @s: the stack
 * @dst: an IPv6 destination
 * @src: set to the chosen address
 *
 * Return: 0, or -EADDRNOTAVAIL when no address is usable
 */
int addrconf_select_source(const struct stack *s, const struct ip_addr *dst,
			   struct ip_addr *src)
{
	const struct ifaddr6 *best = NULL;

	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
		const struct ifaddr6 *a = &s->nif.in6.addr[i];

		if (!addrconf_usable(a))
			continue;
		if (!memcmp(a->addr, dst->v6, 16)) {    /* rule 1 */
			best = a;
			break;
		}
		if (!best || addrconf_better(a, best, dst->v6))
			best = a;
	}
	if (!best)
		return -EADDRNOTAVAIL;
	*src = ip6(best->addr);
	return 0;
}

/* The next lifetime event of a usable address, or none */
static void addrconf_arm_lifetime(struct stack *s, struct ifaddr6 *a)
{
	uint64_t next = a->state == IFA6_PREFERRED ? a->preferred_until :
			a->valid_until;

	if (next > a->valid_until)
		next = a->valid_until;
	if (next == UINT64_MAX)
		stack_disarm(s, &a->timer);
	else
		stack_arm(s, &a->timer, next);
}

static void addrconf_solicited_node(struct stack *s, const uint8_t addr[16],
				    bool join)
{
	uint8_t g[16];

	ip6_solicited_node(addr, g);
	if (join)
		mld_join(s, g);
	else
		mld_leave(s, g);
}

static void addrconf_remove(struct stack *s, struct ifaddr6 *a)
{
	if (a->state != IFA6_DUPLICATE)
		addrconf_solicited_node(s, a->addr, false);
	if (a->origin == IFA6_STATIC && a->prefix < 128) {
		struct ip_addr net = ip6(a->addr);
		bool shared = false;

		for (unsigned b = a->prefix; b < 128; b++)
			net.v6[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++) {
			struct ifaddr6 *o = &s->nif.in6.addr[i];
			struct ip_addr x = ip6(o->addr);

			shared |= o != a && o->state != IFA6_FREE &&
				  o->origin == IFA6_STATIC &&
				  o->prefix == a->prefix &&
				  ip_prefix_match(&x, &net, a->prefix);
		}
		if (!shared)
			route_remove(s, &net, a->prefix, ROUTE_CONNECTED);
	}
	stack_disarm(s, &a->timer);
	a->state = IFA6_FREE;
}

static void addrconf_dad_done(struct stack *s, struct ifaddr6 *a)
{
	a->state = a->preferred_until > s->now ? IFA6_PREFERRED :
		   IFA6_DEPRECATED;
	CNT(s, addr6_dad_ok);
	addrconf_arm_lifetime(s, a);
	if (a->origin == IFA6_LINKLOCAL)
		nd_start(s);
	mdns_addrs_changed(s);          /* a new AAAA record to announce */
}

static void addrconf_timer_fire(struct timer *t, uint64_t now)
{
	struct ifaddr6 *a = container_of(t, struct ifaddr6, timer);
	struct stack *s = a->s;

	switch (a->state) {
	case IFA6_TENTATIVE:
		if (a->dad_sent >= s->cfg.dad_transmits) {
			addrconf_dad_done(s, a);
			return;
		}
		a->dad_sent++;
		nd_send_dad(s, a);
		stack_arm(s, t, now + s->neigh_params[1].retrans);
		return;
	case IFA6_PREFERRED:
	case IFA6_DEPRECATED:
		if (now >= a->valid_until) {
			CNT(s, addr6_expired);
			addrconf_remove(s, a);
			return;
		}
		if (a->state == IFA6_PREFERRED && now >= a->preferred_until) {
			CNT(s, addr6_deprecated);
			a->state = IFA6_DEPRECATED;
		}
		addrconf_arm_lifetime(s, a);
		return;
	default:
		return;
	}
}

static struct ifaddr6 *addrconf_slot(struct stack *s)
{
	for (unsigned i = 0; i < STACK_MAX_ADDRS6; i++)
		if (s->nif.in6.addr[i].state == IFA6_FREE)
			return &s->nif.in6.addr[i];
	return NULL;
}

static int addrconf_start_one(struct stack *s, const uint8_t addr[16],
			      unsigned prefix, int origin, uint32_t valid,
			      uint32_t preferred, uint8_t dad_counter)
{
	struct ifaddr6 *a;

	if (addrconf_find(s, addr))
		return -EEXIST;
	a = addrconf_slot(s);
	if (!a) {
		CNT(s, addr6_full);
		return -ENOSPC;
	}
	memcpy(a->addr, addr, 16);
	a->prefix = (uint8_t)prefix;
	a->origin = (uint8_t)origin;
	a->state = IFA6_TENTATIVE;
	a->dad_sent = 0;
	a->dad_counter = dad_counter;
	a->created = s->now;
	a->valid_until = addrconf_until(s, valid);
	a->preferred_until = addrconf_until(s, preferred);
	addrconf_solicited_node(s, addr, true);
	if (!s->cfg.dad_transmits) {
		addrconf_dad_done(s, a);
		return 0;
	}
	/* RFC 4862 5.4.2: a random delay before the first probe */
	stack_arm(s, &a->timer,
		  s->now + ((uint64_t)stack_random32(s) * NSEC_PER_SEC >> 32));
	return 0;
}

/**
 * addrconf_add() - give the interface an IPv6 address (DAD first)
 * @s: the stack
 * @addr: the address
 * @prefix: its prefix length: the prefix is on link (static addresses)
 * @origin: enum ifa6_origin
 * @valid: valid lifetime, seconds (0xffffffff: forever)
 * @preferred: preferred lifetime, seconds
 *
 * Return: 0, -EINVAL, -EEXIST, -ENOSPC, -ENETDOWN (IPv6 is off)
 */
int addrconf_add(struct stack *s, const uint8_t addr[16], unsigned prefix,
		 int origin, uint32_t valid, uint32_t preferred)
{
	struct ip_addr a = ip6(addr);
	int rc;

	if (!s->nif.in6.enabled)
		return -ENETDOWN;
	if (prefix > 128 || ip_addr_is_any(&a) || ip_addr_is_multicast(&a) ||
	    ip_addr_is_loopback(&a) || ip_addr_is_v4mapped(&a))
		return -EINVAL;
	if (origin == IFA6_STATIC && prefix < 128) {
		struct route r = { .dst = a, .prefix = (uint8_t)prefix,
				   .origin = ROUTE_CONNECTED, .metric = 256 };

		for (unsigned b = prefix; b < 128; b++)
			r.dst.v6[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		rc = route_insert(s, &r);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return addrconf_start_one(s, addr, prefix, origin, valid, preferred, 0);
}

/**
 * addrconf_del() - take an IPv6 address away
 * @s: the stack
 * @addr: the address
 * @prefix: its prefix length, as it was added
 *
 * Return: 0, or -EADDRNOTAVAIL if it is not ours
 */
int addrconf_del(struct stack *s, const uint8_t addr[16], unsigned prefix)
{
	struct ifaddr6 *a = addrconf_find(s, addr);

	if (!a || a->prefix != prefix)
		return -EADDRNOTAVAIL;
	addrconf_remove(s, a);
	return 0;
}

/* An address of ours made from @prefix and the next DAD_Counter */
static void addrconf_regenerate(struct stack *s, const struct ifaddr6 *old)
{
	uint8_t addr[16];
	uint32_t valid = old->valid_until == UINT64_MAX ? LIFETIME_INFINITE :
			 (uint32_t)((old->valid_until - s->now) / NSEC_PER_SEC);
	uint32_t pref = old->preferred_until == UINT64_MAX ? LIFETIME_INFINITE :
			old->preferred_until <= s->now ? 0 :
			(uint32_t)((old->preferred_until - s->now) / NSEC_PER_SEC);

	memcpy(addr, old->addr, 8);
	addrconf_stable_iid(s, addr, (uint8_t)(old->dad_counter + 1), addr + 8);
	addrconf_start_one(s, addr, old->prefix, old->origin, valid, pref,
			   (uint8_t)(old->dad_counter + 1));
}

/**
 * addrconf_dad_failed() - another node uses @a (RFC 4862 5.4.5)
 * @s: the stack
 * @a: a tentative address of ours
 */
void addrconf_dad_failed(struct stack *s, struct ifaddr6 *a)
{
	char buf[IP_STRLEN];
	struct ip_addr x = ip6(a->addr);
	struct ifaddr6 old = *a;

	CNT(s, addr6_dad_duplicate);
	stack_log(s, STACK_LOG_WARN, "ipv6: %s is in use by another node "
		  "(duplicate address detection): not used", ip_ntop(&x, buf));
	addrconf_solicited_node(s, a->addr, false);
	stack_disarm(s, &a->timer);
	a->state = IFA6_DUPLICATE;
	if (old.origin != IFA6_STATIC && old.dad_counter < IDGEN_RETRIES) {
		/* RFC 7217 6: the next identifier; the duplicate goes */
		a->state = IFA6_FREE;
		addrconf_regenerate(s, &old);
	}
}

/**
 * addrconf_prefix() - SLAAC for a prefix advertised with the A flag
 * (RFC 4862 5.5.3)
 * @s: the stack
 * @pi: the Prefix Information option
 */
void addrconf_prefix(struct stack *s, const struct nd_prefix *pi)
{
	struct ifaddr6 *a = NULL;
	uint64_t remaining, valid;
	uint8_t addr[16];

	if (pi->preferred > pi->valid || pi->len != 64) {
		CNT(s, addr6_prefix_ignored);
		return;
	}
	for (unsigned i = 0; i < STACK_MAX_ADDRS6 && !a; i++) {
		struct ifaddr6 *x = &s->nif.in6.addr[i];

		if (x->state != IFA6_FREE && x->state != IFA6_DUPLICATE &&
		    x->origin == IFA6_SLAAC && !memcmp(x->addr, pi->prefix, 8))
			a = x;
	}
	if (!a) {
		if (!pi->valid)
			return;
		memcpy(addr, pi->prefix, 8);
		addrconf_stable_iid(s, addr, 0, addr + 8);
		if (addrconf_start_one(s, addr, 64, IFA6_SLAAC, pi->valid,
				       pi->preferred, 0) == 0)
			CNT(s, addr6_slaac);
		return;
	}
	a->preferred_until = addrconf_until(s, pi->preferred);
	/* (e): the two-hour rule protects against a forged short lifetime */
	remaining = a->valid_until == UINT64_MAX ? UINT64_MAX :
		    a->valid_until > s->now ? a->valid_until - s->now : 0;
	valid = pi->valid == LIFETIME_INFINITE ? UINT64_MAX :
		(uint64_t)pi->valid * NSEC_PER_SEC;
	if (valid > TWO_HOURS || valid > remaining)
		a->valid_until = addrconf_until(s, pi->valid);
	else if (remaining > TWO_HOURS)
		a->valid_until = s->now + TWO_HOURS;
	if (a->state == IFA6_TENTATIVE)
		return;                 /* DAD's timer; lifetimes follow */
	if (a->state == IFA6_DEPRECATED && a->preferred_until > s->now)
		a->state = IFA6_PREFERRED;
	addrconf_arm_lifetime(s, a);
}

/**
 * addrconf_start() - the link-local address, the static ones and the
 * IPv6 gateway; DAD starts for each
 * @s: the stack
 */
void addrconf_start(struct stack *s)
{
	static const uint8_t zero[16];
	uint8_t ll[16] = { 0 };

	if (!s->nif.in6.enabled)
		return;
	memcpy(ll, linklocal_prefix, 8);
	route_insert(s, &(struct route){ .dst = ip6(ll), .prefix = 64,
					 .origin = ROUTE_CONNECTED,
					 .metric = 256 });
	addrconf_stable_iid(s, ll, 0, ll + 8);
	addrconf_start_one(s, ll, 64, IFA6_LINKLOCAL, LIFETIME_INFINITE,
			   LIFETIME_INFINITE, 0);
	for (unsigned i = 0; i < s->cfg.naddr6; i++)
		addrconf_add(s, s->cfg.addr6[i].addr, s->cfg.addr6[i].prefix,
			     IFA6_STATIC, LIFETIME_INFINITE, LIFETIME_INFINITE);
	if (memcmp(s->cfg.gateway6, zero, 16)) {
		struct ip_addr any = ip_any(IP_V6), gw = ip6(s->cfg.gateway6);

		if (stack_route_add(s, &any, 0, &gw, 1))
			stack_log(s, STACK_LOG_WARN, "ipv6: the gateway is not "
				  "on a connected network: no default route");
	}
}
