/* SPDX-License-Identifier: MIT */
/* ipv6.h - IPv6 (RFC 8200): see ipv6.c */
#ifndef USTACK_IPV6_H
#define USTACK_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"
#include "pbuf.h"

#define IPV6_HLEN 40
#define IPV6_MIN_MTU 1280               /* RFC 8200 5 */
#define IPV6_MAX_PAYLOAD 65535          /* no jumbograms */
#define IPV6_FRAG_HLEN 8

/* Next Header values (IANA "Assigned Internet Protocol Numbers") */
#define IP6_NH_HOPOPTS 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_ESP 50
#define IP6_NH_AH 51
#define IP6_NH_ICMPV6 58
#define IP6_NH_NONE 59
#define IP6_NH_DSTOPTS 60

/* Options of the Hop-by-Hop and Destination Options headers (RFC 8200 4.2) */
#define IP6_OPT_PAD1 0
#define IP6_OPT_PADN 1
#define IP6_OPT_ROUTER_ALERT 5          /* RFC 2711 */

struct ipv6_hdr {
	uint8_t tclass;
	uint32_t flow;          /* 20 bits */
	uint16_t plen;          /* payload length */
	uint8_t nh;             /* next header */
	uint8_t hlim;           /* hop limit */
	uint8_t src[16], dst[16];
};

/* Why a datagram was refused: each maps to one counter. */
enum ipv6_err {
	IPV6_OK = 0,
	IPV6_ERR_SHORT = 1,     /* shorter than the header */
	IPV6_ERR_VERSION,       /* version is not 6 */
	IPV6_ERR_LEN,           /* payload length beyond the frame */
	IPV6_ERR_EXT,           /* an extension header runs past the end */
	IPV6_ERR_PARAM,         /* parameter problem: see ipv6_chain */
	IPV6_ERR_DISCARD,       /* an option asks to discard silently */
	IPV6_ERR_NONE,          /* No Next Header: nothing to deliver */
};

/* Parameter Problem codes (RFC 4443 3.4, RFC 7112) */
#define ICMP6_PARAM_HEADER 0            /* erroneous header field */
#define ICMP6_PARAM_NEXTHDR 1           /* unrecognized Next Header */
#define ICMP6_PARAM_OPTION 2            /* unrecognized IPv6 option */
#define ICMP6_PARAM_CHAIN 3             /* first fragment lacks the chain */

/*
 * The extension header chain of a datagram, as ipv6_walk() found it.
 * Offsets count from the start of the IPv6 header.
 */
struct ipv6_chain {
	uint8_t proto;          /* the upper-layer protocol */
	uint16_t l4_off;        /* where its header starts */
	uint16_t nh_off;        /* the Next Header field that named it */
	bool router_alert;      /* a Hop-by-Hop Router Alert option */
	/* fragment header, when present */
	bool frag;
	uint16_t frag_hdr_off;  /* its offset: the unfragmentable part ends */
	uint16_t frag_nh_off;   /* the Next Header field that named it */
	uint16_t frag_off;      /* fragment offset in bytes */
	bool frag_more;         /* M flag */
	uint32_t frag_id;
	/* IPV6_ERR_PARAM: what the Parameter Problem message says */
	uint8_t param_code;
	uint32_t param_ptr;
	bool param_mcast_ok;    /* may be sent for a multicast destination */
};

int ipv6_parse(const uint8_t *buf, size_t len, struct ipv6_hdr *h);
void ipv6_build(uint8_t *buf, const struct ipv6_hdr *h);
int ipv6_walk(const uint8_t *pkt, size_t len, bool stop_at_frag,
	      struct ipv6_chain *c);

struct stack;
struct netif;
void ipv6_input(struct stack *s, struct netif *nif, struct pbuf *p,
		bool l2_mcast);
int ipv6_output(struct stack *s, struct pbuf *p, const struct ip_tx *tx);
uint32_t ipv6_pmtu(struct stack *s, const struct ip_addr *dst);
void ipv6_pmtu_update(struct stack *s, const struct ip_addr *dst,
		      uint32_t mtu);

static inline bool ipv6_is_atomic_frag(const struct ipv6_chain *c)
{
	return c->frag && c->frag_off == 0 && !c->frag_more;
}

#endif
