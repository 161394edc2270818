/* SPDX-License-Identifier: MIT */
/*
 * dhcp.c - the DHCPv4 client (RFC 2131), its options (RFC 2132) and the
 * address conflict probe before an offered address is used (RFC 5227)
 *
 * Theory of operation. The client is a part of the engine, as IPv6's
 * address configuration is: no socket, no I/O, one timer in the heap. It
 * speaks on UDP port 68 without being a UDP socket, because before it
 * holds an address it must send from 0.0.0.0 and hear replies to an
 * address it does not have yet: it builds its frames whole (Ethernet,
 * IPv4, UDP, DHCP) and hands them to the link, broadcast, or unicast to
 * the server's MAC (learned from the frame of its reply: the server, or
 * the relay that forwarded it) when renewing and releasing; UDP hands it
 * every datagram from port 67 to port 68 before looking for a socket
 * (udp.c), and ARP shows it every packet while it probes (arp.c). Our
 * DISCOVERs and REQUESTs set the BROADCAST flag (RFC 2131 4.1), so the
 * server's replies reach a client that has no address.
 *
 * States are RFC 2131's figure 5 (enum dhcp_state), each with one timer:
 *
 *   SELECTING   DISCOVER sent at once (no initial delay: the daemon was
 *               started on purpose), again 4, 8, 16, 32, 64, 64... s later,
 *               each randomized by -1..+1 s (4.1); the first good OFFER wins;
 *   REQUESTING  REQUEST (server id, requested address) broadcast, the same
 *               backoff, DHCP_REQUEST_TRIES times, then INIT again;
 *   REBOOTING   INIT-REBOOT (3.2): the last lease's address asked for, no
 *               server id; a NAK or silence (DHCP_REBOOT_TRIES) means INIT;
 *   PROBING     the ACKed address is probed (RFC 5227 2.1.1: PROBE_WAIT,
 *               PROBE_NUM probes PROBE_MIN..PROBE_MAX apart, ANNOUNCE_WAIT);
 *               any ARP packet from another MAC claiming it, or probing for
 *               it, is a conflict: DECLINE, and INIT 10 s later (3.1 5);
 *   BOUND       the address, its subnet route, a default route through the
 *               router and the DNS servers are in force until T1;
 *   RENEWING    REQUEST unicast to our server, ciaddr set (4.4.5), again
 *               after half the time left to T2 (at least 60 s);
 *   REBINDING   the same broadcast, until the lease expires.
 *
 * The lease counts from the first transmission of the REQUEST that won it
 * (4.4.1). A NAK in any state that holds or asks for a lease means INIT;
 * expiry takes the address away, and with it its routes; TCP connections
 * on it are reset first (stack_addr_gone(): a program sees ECONNABORTED), as
 * lwIP does with LWIP_TCP_KEEP_CONNECTION_WHEN_IP_CHANGES off.
 *
 * Every message refused is counted by reason (counters.h, group dhcp).
 * Options that run past the end, or have a length their code forbids, make
 * the message refused; unknown options are skipped; option overload (52)
 * is followed into the file and sname fields.
 */
#include "dhcp.h"

#include <string.h>

#include "eth.h"
#include "ipv4.h"
#include "stack_impl.h"
#include "udp.h"

#define DHCP_REQUEST_TRIES 4
#define DHCP_REBOOT_TRIES 3
#define DHCP_BACKOFF_MAX (64 * NSEC_PER_SEC)
#define DHCP_DECLINE_WAIT (10 * NSEC_PER_SEC)       /* RFC 2131 3.1 5 */
#define DHCP_RENEW_MIN (60 * NSEC_PER_SEC)          /* RFC 2131 4.4.5 */
#define PROBE_WAIT_MS 1000                          /* RFC 5227 1.1 */
#define PROBE_MIN_MS 1000
#define PROBE_MAX_MS 2000
#define ANNOUNCE_WAIT (2 * NSEC_PER_SEC)
#define DHCP_INFINITE 0xffffffffu

/* ---- wire format ---------------------------------------------------- */

/* The length an option's code demands: 0 any, else a multiple (neg.) or exact */
static int dhcp_opt_len_ok(uint8_t code, uint8_t len)
{
	switch (code) {
	case DHO_SUBNET_MASK:
	case DHO_REQUESTED:
	case DHO_LEASE:
	case DHO_SERVER_ID:
	case DHO_T1:
	case DHO_T2:
		return len == 4;
	case DHO_ROUTER:
	case DHO_DNS:
		return len >= 4 && len % 4 == 0;
	case DHO_MTU:
	case DHO_MAX_SIZE:
		return len == 2;
	case DHO_MSG_TYPE:
	case DHO_OVERLOAD:
		return len == 1;
	default:
		return 1;
	}
}

static void dhcp_opt_take(struct dhcp_msg *m, uint8_t code, const uint8_t *v,
			  uint8_t len, uint8_t *overload)
{
	switch (code) {
	case DHO_SUBNET_MASK:
		m->mask = get32(v);
		m->has_mask = true;
		break;
	case DHO_ROUTER:
		m->router = get32(v);   /* the first: in order of preference */
		break;
	case DHO_DNS:
		for (unsigned i = 0; i + 4 <= len && m->ndns < DHCP_MAX_DNS; i += 4)
			m->dns[m->ndns++] = get32(v + i);
		break;
	case DHO_DOMAIN: {
		size_t n = len < DHCP_DOMAIN_MAX ? len : DHCP_DOMAIN_MAX;

		memcpy(m->domain, v, n);
		m->domain[n] = '\0';
		/* some servers count the NUL in: a name ends at the first */
		m->domain[strnlen(m->domain, n)] = '\0';
		break;
	}
	case DHO_MTU:
		m->mtu = get16(v);
		break;
	case DHO_REQUESTED:
		m->requested = get32(v);
		break;
	case DHO_LEASE:
		m->lease = get32(v);
		m->has_lease = true;
		break;
	case DHO_OVERLOAD:
		*overload = v[0];
		break;
	case DHO_MSG_TYPE:
		m->type = v[0];
		break;
	case DHO_SERVER_ID:
		m->server_id = get32(v);
		break;
	case DHO_MAX_SIZE:
		m->max_size = get16(v);
		break;
	case DHO_T1:
		m->t1 = get32(v);
		m->has_t1 = true;
		break;
	case DHO_T2:
		m->t2 = get32(v);
		m->has_t2 = true;
		break;
	default:
		break;
	}
}

/* One area of options: RFC 2132 2, pad and end one byte, the rest TLV */
static int dhcp_opts_parse(const uint8_t *p, size_t len, struct dhcp_msg *m,
			   uint8_t *overload)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i], olen;

		if (code == DHO_PAD) {
			i++;
			continue;
		}
		if (code == DHO_END)
			return 0;
		if (i + 2 > len || i + 2 + p[i + 1] > len)
			return -1;
		olen = p[i + 1];
		if (!dhcp_opt_len_ok(code, olen))
			return -1;
		dhcp_opt_take(m, code, p + i + 2, olen, overload);
		i += 2u + olen;
	}
	return 0;       /* no END: taken as ending here, as most clients do */
}

/**
 * dhcp_parse() - read a DHCP message (RFC 2131 2, RFC 2132)
 * @buf: the UDP payload
 * @len: its length
 * @m: filled in, host order
 *
 * Return: DHCP_OK, or the enum dhcp_err reason for refusing it
 */
int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m)
{
	uint8_t overload = 0;

	memset(m, 0, sizeof(*m));
	if (len < DHCP_MIN_LEN)
		return DHCP_ERR_SHORT;
	if (get32(buf + DHCP_FIXED_LEN) != DHCP_MAGIC)
		return DHCP_ERR_COOKIE;
	m->op = buf[0];
	m->htype = buf[1];
	m->hlen = buf[2];
	m->xid = get32(buf + 4);
	m->secs = get16(buf + 8);
	m->flags = get16(buf + 10);
	m->ciaddr = get32(buf + 12);
	m->yiaddr = get32(buf + 16);
	m->siaddr = get32(buf + 20);
	m->giaddr = get32(buf + 24);
	memcpy(m->chaddr, buf + 28, 16);
	if (dhcp_opts_parse(buf + DHCP_MIN_LEN, len - DHCP_MIN_LEN, m, &overload))
		return DHCP_ERR_OPTION;
	/* RFC 2132 9.3: 1 file holds options, 2 sname, 3 both */
	if ((overload & 1) && dhcp_opts_parse(buf + 108, 128, m, &overload))
		return DHCP_ERR_OPTION;
	if ((overload & 2) && dhcp_opts_parse(buf + 44, 64, m, &overload))
		return DHCP_ERR_OPTION;
	if (m->type < DHCPDISCOVER || m->type > DHCPINFORM)
		return DHCP_ERR_NO_TYPE;
	return DHCP_OK;
}

static uint8_t *dhcp_put_opt(uint8_t *p, uint8_t code, const void *v,
			     uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, v, len);
	return p + 2 + len;
}

static uint8_t *dhcp_put_addr(uint8_t *p, uint8_t code, uint32_t a)
{
	uint8_t v[4];

	put32(v, a);
	return dhcp_put_opt(p, code, v, 4);
}

/**
 * dhcp_build() - write a DHCP message
 * @buf: where to write
 * @room: its size (DHCP_BOOTP_MIN at least; 576 holds every message)
 * @m: the message: fixed fields, type, and the options to send (server id,
 *     requested address, host name, client id, parameter list, max size)
 *
 * Return: its length (padded to DHCP_BOOTP_MIN), or 0 if @room is short
 */
size_t dhcp_build(uint8_t *buf, size_t room, const struct dhcp_msg *m)
{
	static const uint8_t params[] = { DHO_SUBNET_MASK, DHO_ROUTER, DHO_DNS,
					  DHO_DOMAIN, DHO_MTU, DHO_LEASE,
					  DHO_SERVER_ID, DHO_T1, DHO_T2 };
	size_t hn = strnlen(m->hostname, DHCP_HOSTNAME_MAX);
	uint8_t *p, v[2];
	size_t len;

	if (room < DHCP_BOOTP_MIN ||
	    room < DHCP_MIN_LEN + 3 + 8 * 6 + 9 + hn + 2 + sizeof(params) + 1)
		return 0;
	memset(buf, 0, DHCP_BOOTP_MIN);
	buf[0] = m->op;
	buf[1] = m->htype;
	buf[2] = m->hlen;
	put32(buf + 4, m->xid);
	put16(buf + 8, m->secs);
	put16(buf + 10, m->flags);
	put32(buf + 12, m->ciaddr);
	put32(buf + 16, m->yiaddr);
	put32(buf + 20, m->siaddr);
	put32(buf + 24, m->giaddr);
	memcpy(buf + 28, m->chaddr, 16);
	put32(buf + DHCP_FIXED_LEN, DHCP_MAGIC);
	p = buf + DHCP_MIN_LEN;
	p = dhcp_put_opt(p, DHO_MSG_TYPE, &m->type, 1);
	if (m->has_client_id)
		p = dhcp_put_opt(p, DHO_CLIENT_ID, m->client_id,
				 sizeof(m->client_id));
	if (m->requested)
		p = dhcp_put_addr(p, DHO_REQUESTED, m->requested);
	if (m->server_id)
		p = dhcp_put_addr(p, DHO_SERVER_ID, m->server_id);
	if (hn)
		p = dhcp_put_opt(p, DHO_HOSTNAME, m->hostname, (uint8_t)hn);
	if (m->max_size) {
		put16(v, m->max_size);
		p = dhcp_put_opt(p, DHO_MAX_SIZE, v, 2);
	}
	if (m->params)
		p = dhcp_put_opt(p, DHO_PARAMS, params, sizeof(params));
	*p++ = DHO_END;
	len = (size_t)(p - buf);
	return len < DHCP_BOOTP_MIN ? DHCP_BOOTP_MIN : len;
}

/* ---- sending -------------------------------------------------------- */

static const uint8_t zero_mac[ETH_ALEN];

const char *dhcp_state_name(enum dhcp_state st)
{
	static const char *const names[] = {
		[DHCP_OFF] = "off", [DHCP_INIT] = "init",
		[DHCP_SELECTING] = "selecting", [DHCP_REQUESTING] = "requesting",
		[DHCP_REBOOTING] = "rebooting", [DHCP_PROBING] = "probing",
		[DHCP_BOUND] = "bound", [DHCP_RENEWING] = "renewing",
		[DHCP_REBINDING] = "rebinding",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* A message of ours with the fields every one has (RFC 2131 table 5) */
static void dhcp_msg_init(struct stack *s, struct dhcp_msg *m, uint8_t type)
{
	struct dhcp_client *c = &s->dhcp;
	uint64_t secs = c->started && s->now > c->started ?
			(s->now - c->started) / NSEC_PER_SEC : 0;

	memset(m, 0, sizeof(*m));
	m->op = BOOTREQUEST;
	m->htype = 1;
	m->hlen = ETH_ALEN;
	m->xid = c->xid;
	m->secs = secs > 0xffff ? 0xffff : (uint16_t)secs;
	m->type = type;
	memcpy(m->chaddr, s->nif.mac, ETH_ALEN);
	/* RFC 2132 9.14: type 1 (Ethernet) and the MAC */
	m->has_client_id = true;
	m->client_id[0] = 1;
	memcpy(m->client_id + 1, s->nif.mac, ETH_ALEN);
	if (type == DHCPDISCOVER || type == DHCPREQUEST) {
		memcpy(m->hostname, s->cfg.dhcp_hostname,
		       strnlen(s->cfg.dhcp_hostname, DHCP_HOSTNAME_MAX));
		m->params = true;
		m->max_size = (uint16_t)(s->nif.mtu > 1500 ? 1500 : s->nif.mtu);
	}
}

/*
 * Send @m from @src (0.0.0.0 until we hold an address) to @dst, on the
 * link to @mac: the whole frame built here (see the top comment).
 */
static int dhcp_send(struct stack *s, const struct dhcp_msg *m, uint32_t src,
		     uint32_t dst, const uint8_t *mac)
{
	struct pbuf *p = pbuf_alloc(&s->pool, PBUF_HEADROOM, 576);
	struct ipv4_hdr h = { .proto = IP_PROTO_UDP, .ttl = s->cfg.ttl,
			      .src = src, .dst = dst };
	struct ip_addr isrc = ip4(src), idst = ip4(dst);
	uint8_t *u, *ip;
	size_t len;

	if (!p) {
		CNT(s, dhcp_tx_nomem);
		return -ENOBUFS;
	}
	len = dhcp_build(p->data, p->len, m);
	pbuf_trim(p, len);
	u = pbuf_push(p, UDP_HLEN);
	ip = u ? pbuf_push(p, IPV4_HLEN) : NULL;
	if (!ip) {
		CNT(s, dhcp_tx_nomem);
		pbuf_free(p);
		return -ENOBUFS;
	}
	put16(u, DHCP_CLIENT_PORT);
	put16(u + 2, DHCP_SERVER_PORT);
	put16(u + 4, (uint16_t)(len + UDP_HLEN));
	put16(u + 6, 0);
	put16(u + 6, inet_fold(inet_sum(u, len + UDP_HLEN,
					ip_pseudo_sum(&isrc, &idst, IP_PROTO_UDP,
						      len + UDP_HLEN))));
	if (!get16(u + 6))
		put16(u + 6, 0xffff);
	h.total_len = (uint16_t)p->len;
	h.id = s->ip_id++;
	ipv4_build(ip, &h);
	CNT(s, ip_tx);
	return eth_output(s, &s->nif, mac, ETH_P_IP, p);
}

static void dhcp_count_tx(struct stack *s, uint8_t type)
{
	switch (type) {
	case DHCPDISCOVER:
		CNT(s, dhcp_tx_discover);
		break;
	case DHCPREQUEST:
		CNT(s, dhcp_tx_request);
		break;
	case DHCPDECLINE:
		CNT(s, dhcp_tx_decline);
		break;
	default:
		CNT(s, dhcp_tx_release);
		break;
	}
}

/* Broadcast @type for the current state (DISCOVER, REQUEST, DECLINE) */
static void dhcp_send_bcast(struct stack *s, uint8_t type)
{
	struct dhcp_client *c = &s->dhcp;
	struct dhcp_msg m;

	dhcp_msg_init(s, &m, type);
	switch (c->state) {
	case DHCP_REQUESTING:
		m.requested = c->offered;
		m.server_id = c->server;
		break;
	case DHCP_REBOOTING:
		m.requested = c->reboot_addr;
		break;
	case DHCP_REBINDING:
		m.ciaddr = c->lease.addr;
		break;
	case DHCP_PROBING:      /* DECLINE: RFC 2131 table 5 */
		m.requested = c->cand.addr;
		m.server_id = c->cand.server;
		m.hostname[0] = '\0';
		break;
	default:
		break;
	}
	/* 4.1: a client that cannot take unicast before it is configured */
	if (type != DHCPDECLINE && !m.ciaddr)
		m.flags = DHCP_FLAG_BROADCAST;
	dhcp_count_tx(s, type);
	dhcp_send(s, &m, m.ciaddr, IPV4_BROADCAST, eth_broadcast);
}

/* Unicast to our server, from our address (RENEWING, RELEASE) */
static void dhcp_send_server(struct stack *s, uint8_t type)
{
	struct dhcp_client *c = &s->dhcp;
	struct dhcp_msg m;
	bool mac_known = memcmp(c->server_mac, zero_mac, ETH_ALEN) != 0;

	dhcp_msg_init(s, &m, type);
	m.ciaddr = c->lease.addr;
	if (type == DHCPRELEASE)
		m.server_id = c->lease.server;
	dhcp_count_tx(s, type);
	dhcp_send(s, &m, c->lease.addr, c->lease.server,
		  mac_known ? c->server_mac : eth_broadcast);
}

/* ---- timers --------------------------------------------------------- */

static uint64_t dhcp_rand_ms(struct stack *s, unsigned lo, unsigned hi)
{
	return (lo + stack_random32(s) % (hi - lo + 1)) * NSEC_PER_MSEC;
}

/* RFC 2131 4.1: 4 s, doubling to 64 s, each -1..+1 s at random */
static uint64_t dhcp_backoff(struct stack *s, unsigned tries)
{
	uint64_t base = tries >= 5 ? DHCP_BACKOFF_MAX :
			(4 * NSEC_PER_SEC) << (tries - 1);

	return base - NSEC_PER_SEC + dhcp_rand_ms(s, 0, 2000);
}

static void dhcp_arm(struct stack *s, uint64_t when)
{
	stack_arm(s, &s->dhcp.timer, when);
}

static void dhcp_set_state(struct stack *s, enum dhcp_state st)
{
	char a[16];

	if (s->dhcp.state != st)
		stack_log(s, STACK_LOG_DEBUG, "dhcp: %s -> %s (%s)",
			  dhcp_state_name(s->dhcp.state), dhcp_state_name(st),
			  ipv4_ntop(s->dhcp.bound ? s->dhcp.lease.addr :
				    s->dhcp.offered, a));
	s->dhcp.state = st;
	s->dhcp.tries = 0;
}

static void dhcp_notify(struct stack *s)
{
	struct stack_dhcp_info info;

	if (!s->ops->dhcp_event)
		return;
	stack_dhcp_info(s, s->now, &info);
	s->ops->dhcp_event(s->ctx, &info);
}

/* A new exchange: a new xid (RFC 2131 4.4.1), timed from now */
static void dhcp_new_xid(struct stack *s)
{
	s->dhcp.xid = stack_random32(s);
	s->dhcp.started = s->now;
}

/* INIT -> SELECTING: the first DISCOVER goes at once */
static void dhcp_discover(struct stack *s)
{
	struct dhcp_client *c = &s->dhcp;

	dhcp_set_state(s, DHCP_SELECTING);
	c->offered = c->server = 0;
	dhcp_new_xid(s);
	c->tries = 1;
	dhcp_send_bcast(s, DHCPDISCOVER);
	dhcp_arm(s, s->now + dhcp_backoff(s, c->tries));
}

/* ---- the lease ------------------------------------------------------ */

/* RFC 1122 3.3.1.1's classful mask when the server gives none */
static uint8_t dhcp_default_prefix(uint32_t a)
{
	return a >> 31 == 0 ? 8 : a >> 30 == 2 ? 16 : 24;
}

static int dhcp_mask_prefix(uint32_t mask)
{
	unsigned n = 0;

	while (n < 32 && (mask & (1u << (31 - n))))
		n++;
	/* contiguous, and leaving a host part */
	return ipv4_mask(n) == mask && n >= 1 && n <= 30 ? (int)n : -1;
}

/* The lease an ACK gives, timed from @base */
static void dhcp_lease_from(struct stack *s, const struct dhcp_msg *m,
			    uint64_t base, struct dhcp_lease *l)
{
	int pfx = m->has_mask ? dhcp_mask_prefix(m->mask) : -1;
	uint32_t t1, t2;

	memset(l, 0, sizeof(*l));
	l->addr = m->yiaddr;
	l->server = m->server_id ? m->server_id : s->dhcp.server;
	l->prefix = (uint8_t)(pfx > 0 ? pfx : dhcp_default_prefix(m->yiaddr));
	if (m->router && (m->router & ipv4_mask(l->prefix)) ==
			 (m->yiaddr & ipv4_mask(l->prefix)) &&
	    m->router != m->yiaddr)
		l->router = m->router;
	l->ndns = m->ndns;
	memcpy(l->dns, m->dns, sizeof(l->dns));
	memcpy(l->domain, m->domain, sizeof(l->domain));
	l->mtu = m->mtu;
	l->lease_s = m->lease;
	l->obtained = base;
	if (m->lease == DHCP_INFINITE) {
		l->t1_s = l->t2_s = DHCP_INFINITE;
		l->t1 = l->t2 = l->expiry = UINT64_MAX;
		return;
	}
	/* RFC 2131 4.4.5: T1 0.5, T2 0.875 of the lease, unless told;
	 * an order that makes no sense is not taken */
	t1 = m->has_t1 ? m->t1 : m->lease / 2;
	t2 = m->has_t2 ? m->t2 : (uint32_t)((uint64_t)m->lease * 7 / 8);
	if (t2 > m->lease)
		t2 = (uint32_t)((uint64_t)m->lease * 7 / 8);
	if (t1 > t2)
		t1 = t2 < m->lease / 2 ? t2 : m->lease / 2;
	l->t1_s = t1;
	l->t2_s = t2;
	l->t1 = base + (uint64_t)t1 * NSEC_PER_SEC;
	l->t2 = base + (uint64_t)t2 * NSEC_PER_SEC;
	l->expiry = base + (uint64_t)m->lease * NSEC_PER_SEC;
}

/* Everything the lease put in place goes (expiry, NAK, release) */
static void dhcp_unbind(struct stack *s)
{
	struct dhcp_client *c = &s->dhcp;
	struct ip_addr any = ip_any(IP_V4);

	if (!c->bound)
		return;
	c->bound = false;
	stack_addr_gone(s, c->lease.addr);
	route_remove(s, &any, 0, ROUTE_DHCP);
	stack_addr_del(s, c->lease.addr, c->lease.prefix);
	if (c->link_mtu)
		s->nif.mtu = c->link_mtu;
	c->link_mtu = 0;
}

/* Put @l in force: address, subnet route, default route, MTU */
static void dhcp_bind(struct stack *s, const struct dhcp_lease *l)
{
	struct dhcp_client *c = &s->dhcp;
	struct ip_addr any = ip_any(IP_V4);
	char a[16], r[16];
	int rc;

	if (c->bound && (c->lease.addr != l->addr ||
			 c->lease.prefix != l->prefix))
		dhcp_unbind(s);
	if (!c->bound) {
		rc = stack_addr_add(s, l->addr, l->prefix, s->now);
		if (rc && rc != -EEXIST)
			stack_log(s, STACK_LOG_ERR, "dhcp: cannot add %s/%u: %d",
				  ipv4_ntop(l->addr, a), l->prefix, rc);
		c->bound = true;
		CNT(s, dhcp_leases);
		stack_log(s, STACK_LOG_INFO,
			  "dhcp: bound to %s/%u from %s, lease %us, router %s",
			  ipv4_ntop(l->addr, a), l->prefix,
			  ipv4_ntop(l->server, r), l->lease_s,
			  l->router ? ipv4_ntop(l->router, r) : "none");
	}
	route_remove(s, &any, 0, ROUTE_DHCP);
	if (l->router)
		route_insert(s, &(struct route){ .dst = any, .prefix = 0,
						 .gateway = ip4(l->router),
						 .origin = ROUTE_DHCP });
	if (c->link_mtu)
		s->nif.mtu = c->link_mtu;
	c->link_mtu = 0;
	if (l->mtu >= 576 && l->mtu < s->nif.mtu) {
		c->link_mtu = s->nif.mtu;
		s->nif.mtu = l->mtu;
	}
	c->lease = *l;
	dhcp_set_state(s, DHCP_BOUND);
	/* an infinite lease (RFC 2131 3.3) is never renewed: no timer */
	if (l->t1 == UINT64_MAX)
		stack_disarm(s, &c->timer);
	else
		dhcp_arm(s, l->t1);
	dhcp_notify(s);
}

/* NAK or expiry: lose the lease and start again (RFC 2131 3.1 5, 4.4.5) */
static void dhcp_restart(struct stack *s, uint64_t delay)
{
	bool had = s->dhcp.bound;

	dhcp_unbind(s);
	if (had)
		dhcp_notify(s);
	if (delay) {
		dhcp_set_state(s, DHCP_INIT);
		dhcp_arm(s, s->now + delay);
		return;
	}
	dhcp_discover(s);
}

/* RFC 5227 2.1.1: wait PROBE_WAIT, then probe the candidate */
static void dhcp_probe_start(struct stack *s)
{
	struct dhcp_client *c = &s->dhcp;

	if (!s->cfg.dhcp_arp_probes) {
		dhcp_bind(s, &c->cand);
		return;
	}
	dhcp_set_state(s, DHCP_PROBING);
	c->probes = 0;
	dhcp_arm(s, s->now + dhcp_rand_ms(s, 0, PROBE_WAIT_MS));
}

static void dhcp_probe_timer(struct stack *s)
{
	struct dhcp_client *c = &s->dhcp;

	if (c->probes == s->cfg.dhcp_arp_probes) {
		/* ANNOUNCE_WAIT passed in silence: ours */
		dhcp_bind(s, &c->cand);
		return;
	}
	arp_probe(s, &s->nif, c->cand.addr);
	c->probes++;
	dhcp_arm(s, s->now + (c->probes == s->cfg.dhcp_arp_probes ?
			      ANNOUNCE_WAIT :
			      dhcp_rand_ms(s, PROBE_MIN_MS, PROBE_MAX_MS)));
}

/* RFC 4.4.5: half the time left to @until, at least 60 s, not past it */
static uint64_t dhcp_renew_wait(struct stack *s, uint64_t until)
{
	uint64_t left = until > s->now ? until - s->now : 0;
	uint64_t w = left / 2 > DHCP_RENEW_MIN ? left / 2 : DHCP_RENEW_MIN;

	return w < left ? s->now + w : until;
}

static void dhcp_timer_fire(struct timer *t, uint64_t now)
{
	struct dhcp_client *c = container_of(t, struct dhcp_client, timer);
	struct stack *s = c->s;

	switch (c->state) {
	case DHCP_OFF:
		break;
	case DHCP_INIT:
		dhcp_discover(s);
		break;
	case DHCP_SELECTING:
		CNT(s, dhcp_retrans);
		c->tries++;
		dhcp_send_bcast(s, DHCPDISCOVER);
		dhcp_arm(s, now + dhcp_backoff(s, c->tries));
		break;
	case DHCP_REQUESTING:
	case DHCP_REBOOTING:
		if (c->tries >= (c->state == DHCP_REQUESTING ?
				 DHCP_REQUEST_TRIES : DHCP_REBOOT_TRIES)) {
			CNT(s, dhcp_request_timeouts);
			dhcp_discover(s);
			break;
		}
		CNT(s, dhcp_retrans);
		c->tries++;
		dhcp_send_bcast(s, DHCPREQUEST);
		dhcp_arm(s, now + dhcp_backoff(s, c->tries));
		break;
	case DHCP_PROBING:
		dhcp_probe_timer(s);
		break;
	case DHCP_BOUND:
		/* T1: RENEWING, a new exchange with our server */
		CNT(s, dhcp_renewals);
		dhcp_set_state(s, DHCP_RENEWING);
		dhcp_new_xid(s);
		/* fall through */
	case DHCP_RENEWING:
		if (now >= c->lease.t2) {
			CNT(s, dhcp_rebinds);
			dhcp_set_state(s, DHCP_REBINDING);
			dhcp_new_xid(s);
			goto rebinding;
		}
		c->tries++;
		dhcp_send_server(s, DHCPREQUEST);
		dhcp_arm(s, dhcp_renew_wait(s, c->lease.t2));
		break;
	case DHCP_REBINDING:
	rebinding:
		if (now >= c->lease.expiry) {
			char a[16];

			CNT(s, dhcp_expired);
			stack_log(s, STACK_LOG_WARN,
				  "dhcp: the lease of %s expired",
				  ipv4_ntop(c->lease.addr, a));
			dhcp_restart(s, 0);
			break;
		}
		c->tries++;
		dhcp_send_bcast(s, DHCPREQUEST);
		dhcp_arm(s, dhcp_renew_wait(s, c->lease.expiry));
		break;
	}
}

/* ---- input ---------------------------------------------------------- */

static bool dhcp_addr_ok(uint32_t a)
{
	return a && a != IPV4_BROADCAST && !ipv4_is_multicast(a) &&
	       !ipv4_is_loopback(a) && a >> 24 != 0 && a >> 28 != 0xf;
}

static void dhcp_count_err(struct stack *s, int err)
{
	switch (err) {
	case DHCP_ERR_SHORT:
		CNT(s, dhcp_rx_short);
		break;
	case DHCP_ERR_COOKIE:
		CNT(s, dhcp_rx_bad_cookie);
		break;
	case DHCP_ERR_OPTION:
		CNT(s, dhcp_rx_bad_option);
		break;
	default:
		CNT(s, dhcp_rx_no_type);
		break;
	}
}

static void dhcp_take_offer(struct stack *s, const struct dhcp_msg *m)
{
	struct dhcp_client *c = &s->dhcp;

	if (!dhcp_addr_ok(m->yiaddr)) {
		CNT(s, dhcp_rx_bad_yiaddr);
		return;
	}
	if (!m->server_id) {
		CNT(s, dhcp_rx_no_server_id);
		return;
	}
	CNT(s, dhcp_rx_offer);
	c->offered = m->yiaddr;
	c->server = m->server_id;
	/* RFC 2131 3.1 3: REQUEST with the same xid, "secs" from DISCOVER */
	dhcp_set_state(s, DHCP_REQUESTING);
	c->started = s->now;
	c->tries = 1;
	dhcp_send_bcast(s, DHCPREQUEST);
	dhcp_arm(s, s->now + dhcp_backoff(s, c->tries));
}

static void dhcp_take_ack(struct stack *s, const struct dhcp_msg *m,
			  const struct ip_rx *rx)
{
	struct dhcp_client *c = &s->dhcp;
	struct dhcp_lease l;

	if (!dhcp_addr_ok(m->yiaddr)) {
		CNT(s, dhcp_rx_bad_yiaddr);
		return;
	}
	if (!m->has_lease || !m->lease) {
		CNT(s, dhcp_rx_no_lease);
		return;
	}
	CNT(s, dhcp_rx_ack);
	if (memcmp(rx->l2_src, zero_mac, ETH_ALEN))
		memcpy(c->server_mac, rx->l2_src, ETH_ALEN);
	dhcp_lease_from(s, m, c->started, &l);
	if (c->state == DHCP_RENEWING || c->state == DHCP_REBINDING) {
		/* the same address: the lease goes on; another: start over
		 * with it, probed like any new one */
		if (l.addr == c->lease.addr) {
			dhcp_bind(s, &l);
			return;
		}
		dhcp_unbind(s);
	}
	c->cand = l;
	dhcp_probe_start(s);
}

/**
 * dhcp_input() - a datagram from port 67 to port 68 arrived (udp.c)
 * @s: the stack
 * @msg: the UDP payload
 * @len: its length
 * @rx: what the network layer learned of it
 *
 * Return: true if the client took it (it is running), false to let UDP
 * deliver it as any datagram
 */
bool dhcp_input(struct stack *s, const uint8_t *msg, size_t len,
		const struct ip_rx *rx)
{
	struct dhcp_client *c = &s->dhcp;
	struct dhcp_msg m;
	int err;

	if (!s->cfg.dhcp || rx->src.family != IP_V4 || rx->ifindex != s->nif.index)
		return false;
	CNT(s, dhcp_rx);
	err = dhcp_parse(msg, len, &m);
	if (err) {
		dhcp_count_err(s, err);
		return true;
	}
	if (m.op != BOOTREPLY || m.htype != 1 || m.hlen != ETH_ALEN) {
		CNT(s, dhcp_rx_not_reply);
		return true;
	}
	if (memcmp(m.chaddr, s->nif.mac, ETH_ALEN)) {
		CNT(s, dhcp_rx_bad_chaddr);
		return true;
	}
	if (m.xid != c->xid) {
		CNT(s, dhcp_rx_bad_xid);
		return true;
	}
	switch (c->state) {
	case DHCP_SELECTING:
		if (m.type == DHCPOFFER) {
			dhcp_take_offer(s, &m);
			return true;
		}
		break;
	case DHCP_REQUESTING:
		/* an answer from a server we did not choose is not ours */
		if (m.server_id && m.server_id != c->server) {
			CNT(s, dhcp_rx_other_server);
			return true;
		}
		/* fall through */
	case DHCP_REBOOTING:
	case DHCP_RENEWING:
	case DHCP_REBINDING:
		if (m.type == DHCPACK) {
			dhcp_take_ack(s, &m, rx);
			return true;
		}
		if (m.type == DHCPNAK) {
			char a[16];

			CNT(s, dhcp_rx_nak);
			stack_log(s, STACK_LOG_WARN, "dhcp: NAK from %s (%s)",
				  ipv4_ntop(m.server_id, a),
				  dhcp_state_name(c->state));
			dhcp_restart(s, 0);
			return true;
		}
		break;
	default:
		break;
	}
	CNT(s, dhcp_rx_unexpected);
	return true;
}

/**
 * dhcp_arp_input() - an ARP packet from another host, while we probe
 * @s: the stack
 * @op: its opcode
 * @sha: its sender MAC
 * @spa: its sender address
 * @tpa: its target address
 *
 * RFC 5227 2.1.1: a conflict is any packet whose sender address is the
 * one we probe, or a probe of another host for it.
 */
void dhcp_arp_input(struct stack *s, uint16_t op, const uint8_t sha[ETH_ALEN],
		    uint32_t spa, uint32_t tpa)
{
	struct dhcp_client *c = &s->dhcp;
	char a[16], mac[18];

	if (c->state != DHCP_PROBING || !memcmp(sha, s->nif.mac, ETH_ALEN))
		return;
	if (spa != c->cand.addr &&
	    !(spa == 0 && tpa == c->cand.addr && op == ARP_OP_REQUEST))
		return;
	CNT(s, dhcp_conflicts);
	stack_log(s, STACK_LOG_WARN,
		  "dhcp: %s is in use by %s: declined",
		  ipv4_ntop(c->cand.addr, a), mac_ntop(sha, mac));
	dhcp_send_bcast(s, DHCPDECLINE);
	c->cand.addr = 0;
	dhcp_restart(s, DHCP_DECLINE_WAIT);
}

/* ---- the engine's calls --------------------------------------------- */

void dhcp_init(struct stack *s)
{
	s->dhcp.s = s;
	timer_init(&s->dhcp.timer, dhcp_timer_fire);
}

/**
 * dhcp_start() - the interface is up: INIT-REBOOT with the last lease's
 * address if the host gave one (stack_dhcp_reboot()), else INIT
 * @s: the stack
 */
void dhcp_start(struct stack *s)
{
	struct dhcp_client *c = &s->dhcp;

	if (!s->cfg.dhcp || c->state != DHCP_OFF)
		return;
	if (!c->reboot_addr) {
		dhcp_discover(s);
		return;
	}
	dhcp_set_state(s, DHCP_REBOOTING);
	dhcp_new_xid(s);
	c->tries = 1;
	dhcp_send_bcast(s, DHCPREQUEST);
	dhcp_arm(s, s->now + dhcp_backoff(s, c->tries));
}

void dhcp_fini(struct stack *s)
{
	stack_disarm(s, &s->dhcp.timer);
}

/**
 * stack_dhcp_reboot() - the address of the last lease, from before a
 * restart: dhcp_start() asks for it first (RFC 2131 3.2)
 * @s: the stack, not started yet
 * @addr: the address
 */
void stack_dhcp_reboot(struct stack *s, uint32_t addr)
{
	if (dhcp_addr_ok(addr))
		s->dhcp.reboot_addr = addr;
}

/**
 * stack_dhcp_release() - give the lease back (RFC 2131 4.4.6) and stop
 * @s: the stack
 * @now: current time
 *
 * Return: 0 if a RELEASE went out, -ENOENT if there was no lease
 */
int stack_dhcp_release(struct stack *s, uint64_t now)
{
	struct dhcp_client *c = &s->dhcp;
	bool had = c->bound;

	s->now = now;
	if (had) {
		c->xid = stack_random32(s);
		c->started = 0;
		dhcp_send_server(s, DHCPRELEASE);
		dhcp_unbind(s);
	}
	stack_disarm(s, &c->timer);
	dhcp_set_state(s, DHCP_OFF);
	if (had)
		dhcp_notify(s);
	return had ? 0 : -ENOENT;
}

static uint64_t dhcp_left(uint64_t until, uint64_t now)
{
	return until == UINT64_MAX ? UINT64_MAX : until > now ? until - now : 0;
}

/**
 * stack_dhcp_info() - the client's state and lease, for ustackctl
 * @s: the stack
 * @now: current time
 * @out: filled in
 *
 * Return: 0, or -ENOENT if the client is not configured
 */
int stack_dhcp_info(const struct stack *s, uint64_t now,
		    struct stack_dhcp_info *out)
{
	const struct dhcp_client *c = &s->dhcp;
	const struct dhcp_lease *l = &c->lease;

	memset(out, 0, sizeof(*out));
	out->state = (uint8_t)c->state;
	out->state_name = dhcp_state_name(c->state);
	if (!s->cfg.dhcp)
		return -ENOENT;
	out->bound = c->bound;
	if (!c->bound) {
		out->server = c->server;
		out->addr = c->offered;
		return 0;
	}
	out->addr = l->addr;
	out->prefix = l->prefix;
	out->server = l->server;
	out->router = l->router;
	out->ndns = l->ndns;
	memcpy(out->dns, l->dns, sizeof(out->dns));
	memcpy(out->domain, l->domain, sizeof(out->domain));
	out->mtu = l->mtu;
	out->lease_s = l->lease_s;
	out->obtained_ago = now > l->obtained ? now - l->obtained : 0;
	out->t1_left = dhcp_left(l->t1, now);
	out->t2_left = dhcp_left(l->t2, now);
	out->expiry_left = dhcp_left(l->expiry, now);
	return 0;
}
