/* SPDX-License-Identifier: MIT */
/* proto.c - encode and validate control messages: see ustack_proto.h */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ustack_proto.h"

/*
 * Body sizes. A body is valid when it is `fixed` bytes plus a whole number
 * of `entry` bytes (entry 0: exactly fixed). Lists also carry their count.
 */
#define BODY_DATAGRAM UINT32_MAX        /* ustack_dgram_hdr [meta] 0..65535 */
#define BODY_CONNECT (UINT32_MAX - 1)   /* ustack_connect_req [data] */

struct body_rule {
	uint32_t req;                   /* request body, exact (or above) */
	uint32_t fixed, entry;          /* reply body */
	int list;                       /* LIST_*: what follows the fixed part */
};

#define LIST_LIST 1     /* reply starts with ustack_list_reply */
#define LIST_ENTRY 2    /* a DGERR entry: at most USTACK_DGERR_PAYLOAD_MAX */

static const struct body_rule rules[USTACK_MSG_TYPE_MAX] = {
	[USTACK_MSG_HELLO] = { 0, sizeof(struct ustack_hello_reply), 0, 0 },
#define S(req, reply) { sizeof(struct req), sizeof(struct reply), 0, 0 }
#define SZ(t) sizeof(struct t)
	[USTACK_MSG_SOCKET] = S(ustack_socket_req, ustack_sock_info),
	[USTACK_MSG_QUERY] = { 0, SZ(ustack_sock_info), 0, 0 },
	[USTACK_MSG_BIND] = { SZ(ustack_sockaddr), 0, 0, 0 },
	[USTACK_MSG_CONNECT] = { BODY_CONNECT, 0, 0, 0 },
	[USTACK_MSG_LISTEN] = { SZ(ustack_int), 0, 0, 0 },
	[USTACK_MSG_GETSOCKNAME] = { 0, SZ(ustack_sockaddr), 0, 0 },
	[USTACK_MSG_GETPEERNAME] = { 0, SZ(ustack_sockaddr), 0, 0 },
	[USTACK_MSG_SETSOCKOPT] = { SZ(ustack_sockopt), 0, 0, 0 },
	[USTACK_MSG_GETSOCKOPT] = S(ustack_sockopt, ustack_sockopt),
	[USTACK_MSG_SHUTDOWN] = { SZ(ustack_int), 0, 0, 0 },
	[USTACK_MSG_IOCTL] = S(ustack_int, ustack_int),
	[USTACK_MSG_SENDTO] = { BODY_DATAGRAM, SZ(ustack_int), 0, 0 },
	[USTACK_MSG_LINGER] = S(ustack_linger_req, ustack_int),
	[USTACK_MSG_DGERR] = { SZ(ustack_dgerr_req), SZ(ustack_dgerr_reply), 1,
			       LIST_ENTRY },
	[USTACK_MSG_RENEW] = { 0, 0, 0, 0 },
	[USTACK_MSG_ACT_FOR] = { SZ(ustack_int), 0, 0, 0 },
	[USTACK_MSG_SUP_REFUSED] = { SZ(ustack_int), 0, 0, 0 },
#undef S
#undef SZ
};

#define LIST(entry) { sizeof(struct ustack_list_req), \
		      sizeof(struct ustack_list_reply), sizeof(entry), 1 }
static const struct body_rule admin_rules[USTACK_MSG_ADMIN_MAX -
					  USTACK_MSG_ADMIN_BASE] = {
#define A(t) [(t) - USTACK_MSG_ADMIN_BASE]
	A(USTACK_MSG_STATS) = { 0, sizeof(struct ustack_list_reply),
				sizeof(struct ustack_counter), 1 },
	A(USTACK_MSG_NEIGH_LIST) = LIST(struct ustack_neigh),
	A(USTACK_MSG_ROUTE_LIST) = LIST(struct ustack_route),
	A(USTACK_MSG_ROUTE_ADD) = { sizeof(struct ustack_route), 0, 0, 0 },
	A(USTACK_MSG_ROUTE_DEL) = { sizeof(struct ustack_route), 0, 0, 0 },
	A(USTACK_MSG_ADDR_LIST) = { 0, sizeof(struct ustack_list_reply),
				    sizeof(struct ustack_addr), 1 },
	A(USTACK_MSG_ADDR_ADD) = { sizeof(struct ustack_addr), 0, 0, 0 },
	A(USTACK_MSG_ADDR_DEL) = { sizeof(struct ustack_addr), 0, 0, 0 },
	A(USTACK_MSG_CONFIG) = { 0, 0, 1, 0 },
	A(USTACK_MSG_CAPTURE_START) = { 0, 0, 0, 0 },
	A(USTACK_MSG_CAPTURE_STOP) = { 0, sizeof(struct ustack_capture_reply), 0, 0 },
	A(USTACK_MSG_PING) = { sizeof(struct ustack_ping_req),
			       sizeof(struct ustack_ping_reply), 0, 0 },
	A(USTACK_MSG_NETSTAT) = LIST(struct ustack_netsock),
	A(USTACK_MSG_KILL) = { sizeof(struct ustack_kill_req),
			       sizeof(struct ustack_kill_reply), 0, 0 },
	A(USTACK_MSG_DNS_LIST) = { 0, sizeof(struct ustack_list_reply),
				   sizeof(struct ustack_dns), 1 },
	A(USTACK_MSG_MADDR_LIST) = LIST(struct ustack_maddr),
	A(USTACK_MSG_DHCP_LEASE) = { 0, sizeof(struct ustack_dhcp_lease), 0, 0 },
#undef A
};

/* The rule for @type, or NULL if no such type exists */
static const struct body_rule *body_rule(uint16_t type)
{
	if (type > 0 && type < USTACK_MSG_TYPE_MAX)
		return &rules[type];
	if (type >= USTACK_MSG_ADMIN_BASE && type < USTACK_MSG_ADMIN_MAX)
		return &admin_rules[type - USTACK_MSG_ADMIN_BASE];
	return NULL;
}

static int body_ok(const struct body_rule *r, const uint8_t *body, size_t len,
		   int is_reply)
{
	struct ustack_list_reply lr;

	if (!is_reply && r->req == BODY_DATAGRAM)
		return len >= sizeof(struct ustack_dgram_hdr) &&
		       len - sizeof(struct ustack_dgram_hdr) <=
		       sizeof(struct ustack_dgram_meta) + USTACK_DGRAM_MAX;
	if (!is_reply && r->req == BODY_CONNECT)
		return len >= sizeof(struct ustack_connect_req) &&
		       len - sizeof(struct ustack_connect_req) <=
		       USTACK_FASTOPEN_MAX;
	if (!is_reply)
		return len == r->req;
	if (len < r->fixed)
		return 0;
	if (!r->entry)
		return len == r->fixed;
	if ((len - r->fixed) % r->entry)
		return 0;
	if (r->list == LIST_ENTRY)
		return len - r->fixed <= USTACK_DGERR_PAYLOAD_MAX;
	if (!r->list)
		return 1;
	memcpy(&lr, body, sizeof(lr));
	return lr.count == (len - r->fixed) / r->entry && lr.count <= lr.total;
}

/**
 * ustack_msg_check() - validate a received message completely
 * @buf: the packet
 * @len: its length as received
 * @is_reply: validate as a reply (client side) instead of a request
 * @hdr: the header, copied out (valid when the result is not SHORT/MAGIC)
 *
 * Return: USTACK_CHECK_OK or the enum ustack_check reason
 */
int ustack_msg_check(const void *buf, size_t len, int is_reply,
		     struct ustack_msg_hdr *hdr)
{
	const struct body_rule *rule;
	uint16_t type;

	if (len < sizeof(*hdr))
		return USTACK_CHECK_SHORT;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->magic != USTACK_PROTO_MAGIC)
		return USTACK_CHECK_MAGIC;
	if (hdr->len != len || len > USTACK_MSG_MAX)
		return USTACK_CHECK_LEN;
	if (hdr->version != USTACK_PROTO_VERSION)
		return USTACK_CHECK_VERSION;
	if (hdr->flags)
		return USTACK_CHECK_FLAGS;
	if (!!(hdr->type & USTACK_MSG_REPLY) != !!is_reply)
		return USTACK_CHECK_TYPE;
	type = hdr->type & (uint16_t)~USTACK_MSG_REPLY;
	rule = body_rule(type);
	if (!rule)
		return USTACK_CHECK_TYPE;
	/* an error reply carries no body */
	if (is_reply && hdr->status < 0)
		return len == sizeof(*hdr) ? USTACK_CHECK_OK : USTACK_CHECK_BODY;
	if (!body_ok(rule, (const uint8_t *)buf + sizeof(*hdr),
		     len - sizeof(*hdr), is_reply))
		return USTACK_CHECK_BODY;
	return USTACK_CHECK_OK;
}

/**
 * ustack_msg_build() - write a message
 * @buf: destination
 * @cap: its size
 * @type: message type (with USTACK_MSG_REPLY for replies)
 * @seq: sequence number
 * @status: 0 or -errno
 * @body: body bytes, or NULL
 * @body_len: their count
 *
 * Return: the message length, or 0 if it does not fit
 */
size_t ustack_msg_build(void *buf, size_t cap, uint16_t type, uint32_t seq,
			int32_t status, const void *body, size_t body_len)
{
	struct ustack_msg_hdr h = {
		.magic = USTACK_PROTO_MAGIC,
		.version = USTACK_PROTO_VERSION,
		.type = type,
		.seq = seq,
		.status = status,
	};
	size_t len = sizeof(h) + body_len;

	if (len > cap || len > USTACK_MSG_MAX)
		return 0;
	h.len = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
	if (body_len)
		memcpy((char *)buf + sizeof(h), body, body_len);
	return len;
}

const char *ustack_check_str(int check)
{
	switch (check) {
	case USTACK_CHECK_OK:
		return "ok";
	case USTACK_CHECK_SHORT:
		return "shorter than a header";
	case USTACK_CHECK_MAGIC:
		return "bad magic";
	case USTACK_CHECK_VERSION:
		return "unsupported protocol version";
	case USTACK_CHECK_LEN:
		return "length field disagrees with the packet";
	case USTACK_CHECK_TYPE:
		return "unknown message type";
	case USTACK_CHECK_BODY:
		return "wrong body size for the type";
	case USTACK_CHECK_FLAGS:
		return "reserved flags set";
	}
	return "?";
}

/**
 * ustack_addr_from_sockaddr() - a program's sockaddr into the wire form
 * @ua: filled in
 * @sa: the address (may be NULL with @salen 0: AF_UNSPEC)
 * @salen: its length as the program gave it
 *
 * Linux's rules: AF_INET needs 16 bytes, AF_INET6 at least 24 (RFC 2133's
 * size, without scope id); AF_UNSPEC is "none" (used to dissolve a
 * connected datagram socket).
 *
 * Return: 0, -EINVAL (too short), -EAFNOSUPPORT (another family)
 */
int ustack_addr_from_sockaddr(struct ustack_sockaddr *ua, const struct sockaddr *sa,
			      size_t salen)
{
	sa_family_t fam;

	memset(ua, 0, sizeof(*ua));
	if (!sa || salen < sizeof(fam))
		return -EINVAL;
	memcpy(&fam, sa, sizeof(fam));
	switch (fam) {
	case AF_UNSPEC:
		return 0;
	case AF_INET: {
		struct sockaddr_in sin;

		if (salen < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		ua->family = AF_INET;
		ua->port = ntohs(sin.sin_port);
		memcpy(ua->addr, &sin.sin_addr, 4);
		return 0;
	}
	case AF_INET6: {
		struct sockaddr_in6 sin6 = { 0 };

		if (salen < 24)
			return -EINVAL;
		memcpy(&sin6, sa, salen < sizeof(sin6) ? salen : sizeof(sin6));
		ua->family = AF_INET6;
		ua->port = ntohs(sin6.sin6_port);
		ua->flowinfo = sin6.sin6_flowinfo;
		ua->scope_id = sin6.sin6_scope_id;
		memcpy(ua->addr, &sin6.sin6_addr, 16);
		return 0;
	}
	}
	return -EAFNOSUPPORT;
}

/**
 * ustack_addr_to_sockaddr() - the wire form into a program's sockaddr
 * @ua: the address; AF_INET is shown v4-mapped to an AF_INET6 socket
 * @sa: destination, @salen bytes (truncated as the kernel truncates)
 * @salen: room at @sa
 * @domain: the socket's domain
 *
 * Return: the full length of the address (the kernel's *addrlen result)
 */
size_t ustack_addr_to_sockaddr(const struct ustack_sockaddr *ua,
			       struct sockaddr *sa, size_t salen, int domain)
{
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	size_t n;

	memset(&u, 0, sizeof(u));
	if (domain == AF_INET6) {
		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_port = htons(ua->port);
		if (ua->family == AF_INET) {
			u.sin6.sin6_addr.s6_addr[10] = 0xff;
			u.sin6.sin6_addr.s6_addr[11] = 0xff;
			memcpy(&u.sin6.sin6_addr.s6_addr[12], ua->addr, 4);
		} else {
			memcpy(&u.sin6.sin6_addr, ua->addr, 16);
			u.sin6.sin6_flowinfo = ua->flowinfo;
			u.sin6.sin6_scope_id = ua->scope_id;
		}
		n = sizeof(u.sin6);
	} else {
		u.sin.sin_family = AF_INET;
		u.sin.sin_port = htons(ua->port);
		memcpy(&u.sin.sin_addr, ua->addr, 4);
		n = sizeof(u.sin);
	}
	if (sa)
		memcpy(sa, &u, salen < n ? salen : n);
	return n;
}

/**
 * ustack_addr_check() - validate an address received from the other end
 * @ua: the address
 *
 * Return: 0, or -EAFNOSUPPORT (unknown family), -EINVAL (bytes beyond the
 * family's address set)
 */
int ustack_addr_check(const struct ustack_sockaddr *ua)
{
	static const uint8_t zero[16];

	switch (ua->family) {
	case AF_UNSPEC:
		return memcmp(ua->addr, zero, 16) || ua->port ? -EINVAL : 0;
	case AF_INET:
		return memcmp(ua->addr + 4, zero, 12) || ua->flowinfo ||
		       ua->scope_id ? -EINVAL : 0;
	case AF_INET6:
		return 0;
	}
	return -EAFNOSUPPORT;
}

/**
 * ustack_meta_check() - validate a datagram's ancillary data
 * @m: the meta block
 *
 * Return: 0, or -EINVAL (unknown control message bits, reserved bits, a
 * port or drop count without its bit, nanoseconds out of range)
 */
int ustack_meta_check(const struct ustack_dgram_meta *m)
{
	if ((m->cmsg & ~USTACK_CM_ALL) || m->reserved ||
	    (m->dport && !(m->cmsg & USTACK_CM_ORIGDSTADDR)) ||
	    (m->drops && !(m->cmsg & USTACK_CM_RXQ_OVFL)) ||
	    m->nsec >= 1000000000u ||
	    (m->family && m->family != AF_INET && m->family != AF_INET6))
		return -EINVAL;
	return 0;
}

/**
 * ustack_dgram_check() - validate one datagram-channel message
 * @buf: the message
 * @len: its length as received
 * @h: the header, copied out
 *
 * Return: 0, or -EINVAL (short, bad kind, reserved bits, length lies,
 * bad meta block, bytes beyond the address), -EAFNOSUPPORT (an address
 * of an unknown family), -EMSGSIZE (payload over 65535 bytes)
 */
int ustack_dgram_check(const void *buf, size_t len,
		       struct ustack_dgram_hdr *h)
{
	struct ustack_dgram_meta m;
	size_t meta;

	if (len < sizeof(*h))
		return -EINVAL;
	memcpy(h, buf, sizeof(*h));
	if ((h->flags & ~USTACK_DG_META) || h->reserved)
		return -EINVAL;
	meta = h->flags & USTACK_DG_META ? sizeof(m) : 0;
	if (len < sizeof(*h) + meta || h->len != len - sizeof(*h) - meta)
		return -EINVAL;
	if (h->kind == USTACK_DG_ERROR)
		return h->len == 0 && !meta && h->error > 0 &&
		       h->error < 4096 ? 0 : -EINVAL;
	if (h->kind != USTACK_DG_DATA || h->error)
		return -EINVAL;
	if (h->len > USTACK_DGRAM_MAX)
		return -EMSGSIZE;
	if (meta) {
		memcpy(&m, (const uint8_t *)buf + sizeof(*h), sizeof(m));
		if (ustack_meta_check(&m))
			return -EINVAL;
	}
	return ustack_addr_check(&h->addr);
}

int ustack_lowat_chan_sndbuf(uint32_t lowat)
{
	/* the kernel's default (net.core.wmem_default 212992, halved as
	 * SO_SNDBUF doubles) with no mark or a large one; at least its
	 * least (SOCK_MIN_SNDBUF / 2) */
	if (!lowat || lowat >= 212992)
		return 212992 / 2;
	return lowat / 2 < 2304 ? 2304 : (int)(lowat / 2);
}
