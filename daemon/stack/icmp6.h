/* SPDX-License-Identifier: MIT */
/*
 * icmp6.h - ICMPv6 (RFC 4443) and the messages carried in it: Neighbor
 * Discovery (RFC 4861, RFC 8106) and MLDv2 (RFC 3810). Wire formats here;
 * the protocols in icmp6.c, nd.c and mld.c.
 */
#ifndef USTACK_ICMP6_H
#define USTACK_ICMP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"
#include "ip.h"

#define ICMP6_HLEN 8

/* types */
#define ICMP6_DST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROB 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_MLD_QUERY 130
#define ICMP6_MLD1_REPORT 131
#define ICMP6_MLD1_DONE 132
#define ND_ROUTER_SOLICIT 133
#define ND_ROUTER_ADVERT 134
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_REDIRECT 137
#define ICMP6_MLD2_REPORT 143

/* Destination Unreachable codes */
#define ICMP6_DST_UNREACH_NOROUTE 0
#define ICMP6_DST_UNREACH_ADMIN 1
#define ICMP6_DST_UNREACH_BEYONDSCOPE 2
#define ICMP6_DST_UNREACH_ADDR 3
#define ICMP6_DST_UNREACH_NOPORT 4
#define ICMP6_DST_UNREACH_POLICY 5
#define ICMP6_DST_UNREACH_REJECT 6
/* Time Exceeded codes */
#define ICMP6_TIME_EXCEED_TRANSIT 0
#define ICMP6_TIME_EXCEED_REASS 1

/* RFC 4443 2.4 (c): an error fits in the minimum MTU */
#define ICMP6_ERR_MAX_LEN 1280

struct icmp6_hdr {
	uint8_t type, code;
	uint16_t cksum;
	uint32_t rest;          /* id/seq, MTU, pointer, reserved... */
};

static inline bool icmp6_is_error(uint8_t type)
{
	return type < 128;
}

struct stack;
struct ipv6_chain;
void icmp6_init(struct stack *s);
int icmp6_send_error(struct stack *s, uint8_t type, uint8_t code,
		     uint32_t info, const uint8_t *orig, size_t len);
int icmp6_param_problem(struct stack *s, const struct ipv6_chain *c,
			const uint8_t *orig, size_t len);

int icmp6_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
		const struct ip_addr *dst, struct icmp6_hdr *h);
void icmp6_build(uint8_t *buf, size_t len, const struct ip_addr *src,
		 const struct ip_addr *dst, const struct icmp6_hdr *h);

/* ---- Neighbor Discovery (RFC 4861 4, RFC 8106 5) ---- */

#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_OPT_PREFIX 3
#define ND_OPT_REDIRECTED 4
#define ND_OPT_MTU 5
#define ND_OPT_RDNSS 25
#define ND_OPT_DNSSL 31

#define ND_NA_ROUTER 0x80
#define ND_NA_SOLICITED 0x40
#define ND_NA_OVERRIDE 0x20
#define ND_RA_MANAGED 0x80
#define ND_RA_OTHER 0x40
#define ND_PREFIX_ONLINK 0x80
#define ND_PREFIX_AUTO 0x40

#define ND_HOPLIMIT 255                 /* RFC 4861 6.1: must be exactly */
#define ND_MAX_PREFIXES 8
#define ND_MAX_RDNSS 4
#define ND_MAX_DNSSL 4
#define ND_DNSSL_NAME 254               /* bytes of one domain, dotted */

struct nd_prefix {
	uint8_t len, flags;
	uint32_t valid, preferred;      /* seconds; 0xffffffff: infinity */
	uint8_t prefix[16];
};

/* One ND message with the options this stack acts on, host order. */
struct nd_msg {
	uint8_t type;
	uint8_t flags;                  /* NA: R S O; RA: M O */
	/* RA */
	uint8_t cur_hop_limit;
	uint16_t router_lifetime;       /* seconds */
	uint32_t reachable_time;        /* ms, 0: unspecified */
	uint32_t retrans_timer;         /* ms, 0: unspecified */
	/* NS, NA, redirect */
	uint8_t target[16];
	uint8_t redirect_dst[16];
	/* options */
	bool has_slla, has_tlla, has_mtu;
	uint8_t slla[6], tlla[6];
	uint32_t mtu;
	unsigned nprefix;
	struct nd_prefix prefix[ND_MAX_PREFIXES];
	unsigned nrdnss;
	struct {
		uint8_t addr[16];
		uint32_t lifetime;      /* seconds; 0: withdraw */
	} rdnss[ND_MAX_RDNSS];
	unsigned ndnssl;
	struct {
		char name[ND_DNSSL_NAME + 1];
		uint32_t lifetime;
	} dnssl[ND_MAX_DNSSL];
};

/* Why nd_parse() refused a message (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1) */
enum nd_err {
	ND_OK = 0,
	ND_ERR_HOPLIMIT = 1,            /* IP hop limit is not 255 */
	ND_ERR_CODE,                    /* ICMP code is not 0 */
	ND_ERR_SHORT,                   /* shorter than the message */
	ND_ERR_OPTION,                  /* an option of length 0 or too long */
	ND_ERR_INVALID,                 /* a field or source the RFC forbids */
};

int nd_parse(const uint8_t *msg, size_t len, const struct ip_addr *src,
	     const struct ip_addr *dst, uint8_t hlim, struct nd_msg *m);

/* Builders: each writes the whole ICMPv6 message (checksum included)
 * into @buf and returns its length; @buf has room for 96 bytes. */
size_t nd_build_ns(uint8_t *buf, const struct ip_addr *src,
		   const struct ip_addr *dst, const uint8_t target[16],
		   const uint8_t *slla);
size_t nd_build_na(uint8_t *buf, const struct ip_addr *src,
		   const struct ip_addr *dst, const uint8_t target[16],
		   uint8_t flags, const uint8_t *tlla);
size_t nd_build_rs(uint8_t *buf, const struct ip_addr *src,
		   const struct ip_addr *dst, const uint8_t *slla);

/* ff02::1:ffXX:XXXX for @addr (RFC 4291 2.7.1) */
void ip6_solicited_node(const uint8_t addr[16], uint8_t out[16]);
/* 33:33:XX:XX:XX:XX for an IPv6 group (RFC 2464 7) */
void ip6_mcast_mac(const uint8_t group[16], uint8_t mac[6]);

/* ---- MLD (RFC 3810) ---- */

#define MLD2_MODE_IS_INCLUDE 1
#define MLD2_MODE_IS_EXCLUDE 2
#define MLD2_CHANGE_TO_INCLUDE 3
#define MLD2_CHANGE_TO_EXCLUDE 4

struct mld_query {
	bool v2;                        /* 28 bytes or more: MLDv2 (RFC 3810 8.1) */
	uint32_t max_resp_ms;           /* Maximum Response Delay, decoded */
	uint8_t group[16];              /* :: for a general query */
	uint8_t qrv;
	uint32_t qqi_s;
	uint16_t nsrc;
};

int mld_parse_query(const uint8_t *msg, size_t len, struct mld_query *q);
/* One MLDv2 report with a record (no sources) per group in @groups;
 * Return: its length, or 0 if @cap is too small */
size_t mld_build_report(uint8_t *buf, size_t cap, const struct ip_addr *src,
			const uint8_t (*groups)[16], unsigned n,
			uint8_t record_type);
/* An MLDv1 report or done for @group (RFC 2710 3) */
size_t mld_build_v1(uint8_t *buf, uint8_t type, const struct ip_addr *src,
		    const struct ip_addr *dst, const uint8_t group[16]);

#endif
