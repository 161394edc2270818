/* SPDX-License-Identifier: MIT */
/*
 * ip.h - what IPv4 and IPv6 share: one address type, the record of a
 * received datagram, the protocol table, the ICMP error record
 *
 * Theory of operation: above the network layer nothing knows which IP
 * version carried a segment. TCP, UDP and the ping sockets keep their
 * addresses as struct ip_addr (a family tag and 16 bytes, as smoltcp's
 * IpAddress), check sums with ip_pseudo_sum(), and send with ip_output().
 * IPv4 (ipv4.c) and IPv6 (ipv6.c) hand a datagram up through the protocol
 * table of its family, indexed by the protocol number (as Linux's
 * inet_protos and inet6_protos), so a network layer never names a
 * transport: a transport registers its struct ip_proto at start.
 * An ICMP or ICMPv6 error that quotes one of our datagrams reaches the
 * transport that sent it the same way, as a struct ip_err whose meaning
 * (an errno, an MTU) the ICMP module of its family has already worked out.
 */
#ifndef USTACK_IP_H
#define USTACK_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "inet.h"

enum ip_family {
	IP_NONE = 0,
	IP_V4 = 4,
	IP_V6 = 6,
};

/*
 * An IP address of either family. IPv4 is a host-order uint32_t, as in
 * the rest of the engine; IPv6 is the 16 bytes in wire order. Build them
 * with ip4()/ip6() so that the bytes not used by an IPv4 address are zero.
 */
struct ip_addr {
	uint8_t family;                 /* enum ip_family */
	union {
		uint8_t v6[16];         /* first: zeroing it zeroes all */
		uint32_t v4;
	};
};

#define IP_STRLEN 46                    /* INET6_ADDRSTRLEN */

static inline struct ip_addr ip4(uint32_t a)
{
	struct ip_addr r = { .family = IP_V4 };

	r.v4 = a;
	return r;
}

static inline struct ip_addr ip6(const uint8_t b[16])
{
	struct ip_addr r = { .family = IP_V6 };

	memcpy(r.v6, b, 16);
	return r;
}

/* The unspecified address of @family (0.0.0.0 or ::). */
static inline struct ip_addr ip_any(uint8_t family)
{
	struct ip_addr r = { .family = family };

	return r;
}

static inline bool ip_is_v4(const struct ip_addr *a)
{
	return a->family == IP_V4;
}

static inline bool ip_is_v6(const struct ip_addr *a)
{
	return a->family == IP_V6;
}

/* Inline: the transports compare addresses for every segment. */
static inline bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == IP_V4)
		return a->v4 == b->v4;
	return !memcmp(a->v6, b->v6, 16);
}

static inline bool ip_addr_is_any(const struct ip_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == IP_V4)
		return a->v4 == 0;
	return !memcmp(a->v6, zero, 16);
}

/*
 * 32 bits standing for @a in a cheap table hash (the caller mixes them
 * with its key): the IPv4 address itself, or the four words of an IPv6
 * address folded, each rotated so that equal words do not cancel.
 */
static inline uint32_t ip_addr_fold(const struct ip_addr *a)
{
	uint32_t w[4];

	if (a->family != IP_V6)
		return a->v4;
	memcpy(w, a->v6, 16);
	return w[0] ^ (w[1] << 7 | w[1] >> 25) ^ (w[2] << 13 | w[2] >> 19) ^
	       (w[3] << 21 | w[3] >> 11);
}

bool ip_addr_is_multicast(const struct ip_addr *a);
bool ip_addr_is_loopback(const struct ip_addr *a);
/* fe80::/10 (IPv6) or 169.254/16 (IPv4) */
bool ip_addr_is_linklocal(const struct ip_addr *a);
/* ::ffff:0:0/96 */
bool ip_addr_is_v4mapped(const struct ip_addr *a);
/* Does @a fall in @prefix/@plen (same family)? */
bool ip_prefix_match(const struct ip_addr *a, const struct ip_addr *prefix,
		     unsigned plen);
/* The IPv4 address inside ::ffff:a.b.c.d, or @a itself otherwise. */
struct ip_addr ip_unmap(const struct ip_addr *a);
/* ::ffff:a.b.c.d for an IPv4 address, or @a itself otherwise. */
struct ip_addr ip_map(const struct ip_addr *a);
uint32_t ip_addr_hash(const struct ip_addr *a, uint32_t seed);

/*
 * Sockets of both families share one port space (ip.c). A socket's local
 * address, as the transports keep it, is of the family its datagrams
 * have: IPv4 for an AF_INET socket and for an AF_INET6 one bound to
 * ::ffff:a.b.c.d, IPv6 otherwise (:: until bound); @v6only is
 * IPV6_V6ONLY, which binding to a specific IPv6 address sets, as Linux.
 */
bool ip_sock_addr_conflict(const struct ip_addr *a, bool a_v6only,
			   const struct ip_addr *b, bool b_v6only);
unsigned ip_sock_match(const struct ip_addr *laddr, uint8_t domain,
		       bool v6only, const struct ip_addr *dst);

/* RFC 5952 text ("2001:db8::1", "::ffff:192.0.2.1") or dotted quad into
 * @buf of at least IP_STRLEN bytes. Return: @buf */
char *ip_ntop(const struct ip_addr *a, char *buf);
/* Parse either family. Return: 0, or -1 if malformed */
int ip_pton(const char *s, struct ip_addr *a);

/* Running sum of the pseudo-header for @proto (RFC 9293 3.1 for IPv4,
 * RFC 8200 8.1 for IPv6), @len bytes of upper-layer packet. */
uint32_t ip_pseudo_sum(const struct ip_addr *src, const struct ip_addr *dst,
		       uint8_t proto, uint32_t len);

/* What a network layer learned about a received datagram. */
struct ip_rx {
	struct ip_addr src, dst;
	const uint8_t *hdr;     /* the network header as received */
	uint16_t hdr_len;       /* bytes from @hdr to the transport header */
	uint8_t proto;          /* transport protocol */
	uint8_t ttl;            /* TTL or Hop Limit */
	uint8_t tos;            /* TOS or Traffic Class */
	bool l2_bcast;          /* came to a link broadcast/multicast address */
	bool to_bcast;          /* IP destination is broadcast or multicast */
	unsigned ifindex;
	uint8_t l2_src[ETH_ALEN];/* the frame's source MAC (IPv4 from the link,
				  * not reassembled), else zero */
};

/* What a transport asks of a network layer's output */
struct ip_tx {
	struct ip_addr src;     /* family IP_NONE: the route's choice */
	struct ip_addr dst;
	uint8_t proto;
	uint8_t tos;            /* TOS or Traffic Class */
	uint8_t ttl;            /* TTL or Hop Limit; 0: the default */
	unsigned flags;         /* IP_TX_* */
};

#define IP_TX_DONTFRAG 0x1u     /* -EMSGSIZE rather than fragment */
#define IP_TX_ROUTER_ALERT 0x2u /* Router Alert: IPv4 option (IGMP), IPv6
				 * Hop-by-Hop option (MLD) */
#define IP_TX_UNSPEC_SRC 0x4u   /* IPv6: sending from :: is meant (DAD) */
#define IP_TX_MC_IF 0x8u        /* IPv4 group: the link, route or not
				 * (IP_MULTICAST_IF, IGMP) */
#define IP_TX_MC_LOOP 0x10u     /* IPv4 group: a copy to our own members */
#define IP_TX_TTL0 0x20u        /* IPv4 group: TTL 0, our members only */

/* The ECN field: the low two bits of the TOS or Traffic Class (RFC 3168 5) */
#define IP_ECN_MASK 0x3u
#define IP_ECN_NOT_ECT 0x0u
#define IP_ECN_ECT1 0x1u
#define IP_ECN_ECT0 0x2u
#define IP_ECN_CE 0x3u

/*
 * An ICMP or ICMPv6 error about a datagram we sent, as the transport that
 * sent it sees it.
 */
struct ip_err {
	int err;                        /* positive errno: ECONNREFUSED...;
					 * 0: nothing to report (quench,
					 * redirect) */
	bool hard;                      /* RFC 1122 4.2.3.9: abort a connection */
	uint8_t origin;                 /* IP_V4 (ICMP) or IP_V6 (ICMPv6) */
	uint8_t type, code;             /* as received, for IP_RECVERR */
	uint32_t info;                  /* MTU (frag needed, too big), pointer */
	struct ip_addr offender;        /* who sent the ICMP message */
	struct ip_addr src, dst;        /* of the quoted datagram */
	uint8_t proto;                  /* of the quoted datagram */
	const uint8_t *l4;              /* quoted transport header on: at
					 * least 8 bytes of it */
	size_t l4_len;
	const struct ip_rx *rx;         /* the ICMP message's own datagram */
};

struct stack;
struct pbuf;

/* A transport, as the network layers see it (one per protocol number). */
struct ip_proto {
	const char *name;
	/* a datagram for us; consumes @p, data at the transport header */
	void (*input)(struct stack *s, struct pbuf *p, const struct ip_rx *rx);
	/* an ICMP error quoting one of our datagrams; may be NULL */
	void (*error)(struct stack *s, const struct ip_err *e);
	/* the link layer gave up resolving @nexthop; may be NULL */
	void (*unreachable)(struct stack *s, const struct ip_addr *nexthop);
	/* @addr is leaving the interface (a DHCP lease lost); may be NULL */
	void (*addr_gone)(struct stack *s, const struct ip_addr *addr);
};

#define IP_PROTO_MAX 256

/*
 * Sockets that take ICMP or ICMPv6 messages themselves, beside the
 * protocols (Linux's ping_rcv and raw_local_deliver): the ICMP modules
 * hand them a copy before acting on a message.
 */
struct ip_icmp_socks {
	/* a message for us (ping: an echo reply; raw: any); @p is the
	 * message from its ICMP header, not consumed */
	void (*input)(struct stack *s, const struct pbuf *p,
		      const struct ip_rx *rx);
	/* an error quoting a datagram one of these sockets may have sent */
	void (*error)(struct stack *s, const struct ip_err *e);
};

struct ip_proto_table {
	const struct ip_proto *v4[IP_PROTO_MAX];
	const struct ip_proto *v6[IP_PROTO_MAX];
	const struct ip_icmp_socks *ping;       /* ping.c */
	const struct ip_icmp_socks *raw;        /* raw.c */
};

/* ip_out.c: the one output call of the transports, and the loopback's
 * queue both network layers share */
int ip_output(struct stack *s, struct pbuf *p, const struct ip_tx *tx);
void ip_loop_queue(struct stack *s, struct pbuf *p);
void ip_loop_drain(struct stack *s);

#endif
