/* SPDX-License-Identifier: MIT */
/*
 * dhcp.h - the DHCPv4 client (RFC 2131, options RFC 2132, address
 * conflict detection RFC 5227): wire format and state: see dhcp.c
 */
#ifndef USTACK_DHCP_H
#define USTACK_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"
#include "ip.h"
#include "timer.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED_LEN 236              /* op .. file (RFC 2131 2) */
#define DHCP_MIN_LEN (DHCP_FIXED_LEN + 4) /* and the magic cookie */
#define DHCP_MAGIC 0x63825363u
#define DHCP_BOOTP_MIN 300              /* RFC 1542 2.1: relays may want it */
#define DHCP_MAX_DNS 4
#define DHCP_DOMAIN_MAX 253
#define DHCP_HOSTNAME_MAX 63
#define DHCP_FLAG_BROADCAST 0x8000

#define BOOTREQUEST 1
#define BOOTREPLY 2

enum dhcp_msg_type {
	DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK,
	DHCPNAK, DHCPRELEASE, DHCPINFORM,
};

/* RFC 2132 option codes we read or write */
enum dhcp_opt {
	DHO_PAD = 0, DHO_SUBNET_MASK = 1, DHO_ROUTER = 3, DHO_DNS = 6,
	DHO_HOSTNAME = 12, DHO_DOMAIN = 15, DHO_MTU = 26, DHO_REQUESTED = 50,
	DHO_LEASE = 51, DHO_OVERLOAD = 52, DHO_MSG_TYPE = 53,
	DHO_SERVER_ID = 54, DHO_PARAMS = 55, DHO_MAX_SIZE = 57, DHO_T1 = 58,
	DHO_T2 = 59, DHO_CLIENT_ID = 61, DHO_END = 255,
};

/* Why dhcp_parse() refused a message: each has its counter */
enum dhcp_err {
	DHCP_OK,
	DHCP_ERR_SHORT,         /* shorter than the fixed part and cookie */
	DHCP_ERR_COOKIE,        /* magic cookie missing */
	DHCP_ERR_OPTION,        /* an option runs past the end, or has a
				 * length its code does not allow */
	DHCP_ERR_NO_TYPE,       /* no (or an unknown) message type */
};

/* A message, host order. Options absent are zero (has_* for the rest). */
struct dhcp_msg {
	uint8_t op, htype, hlen;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t type;                   /* enum dhcp_msg_type */
	bool has_mask, has_lease, has_t1, has_t2;
	uint32_t mask, router, server_id, requested;
	uint32_t lease, t1, t2;         /* seconds */
	uint32_t dns[DHCP_MAX_DNS];
	uint8_t ndns;
	uint16_t mtu;                   /* 0: absent */
	char domain[DHCP_DOMAIN_MAX + 1];
	/* what we send */
	char hostname[DHCP_HOSTNAME_MAX + 1];
	uint8_t client_id[ETH_ALEN + 1];
	bool has_client_id, params;
	uint16_t max_size;
};

int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m);
size_t dhcp_build(uint8_t *buf, size_t room, const struct dhcp_msg *m);

/* The client's states (RFC 2131 4.4, figure 5), and ours besides */
enum dhcp_state {
	DHCP_OFF,               /* not configured, or released */
	DHCP_INIT,              /* waiting to send a DISCOVER (after a DECLINE) */
	DHCP_SELECTING,         /* DISCOVER sent, waiting for an OFFER */
	DHCP_REQUESTING,        /* REQUEST for an offer sent */
	DHCP_REBOOTING,         /* INIT-REBOOT: REQUEST for the last lease sent */
	DHCP_PROBING,           /* ACK taken, ARP probing it (RFC 5227 2.1) */
	DHCP_BOUND,
	DHCP_RENEWING,          /* past T1: unicast REQUESTs to our server */
	DHCP_REBINDING,         /* past T2: broadcast REQUESTs */
};

/* A lease as the ACK gave it; times absolute, engine clock (ns) */
struct dhcp_lease {
	uint32_t addr, server, router;
	uint8_t prefix;
	uint8_t ndns;
	uint32_t dns[DHCP_MAX_DNS];
	char domain[DHCP_DOMAIN_MAX + 1];
	uint16_t mtu;
	uint32_t lease_s, t1_s, t2_s;   /* as granted, 0xffffffff: infinite */
	uint64_t obtained;              /* when the REQUEST that won it left */
	uint64_t t1, t2, expiry;        /* UINT64_MAX: never */
};

struct stack;

struct dhcp_client {
	enum dhcp_state state;
	struct timer timer;             /* the one event due next */
	struct stack *s;
	uint32_t xid;
	unsigned tries;                 /* transmissions in this state */
	uint64_t started;               /* first transmission of the exchange */
	uint32_t offered, server;       /* SELECTING's choice */
	uint8_t server_mac[ETH_ALEN];   /* the server's (or its relay's) MAC */
	unsigned probes;                /* ARP probes sent (PROBING) */
	struct dhcp_lease cand;         /* ACKed, being probed */
	struct dhcp_lease lease;        /* in force while bound */
	bool bound;                     /* lease.addr is on the interface */
	uint32_t reboot_addr;           /* INIT-REBOOT asks for this */
	uint32_t link_mtu;              /* the MTU before option 26 lowered it */
};

/* dhcp.c, for the engine */
void dhcp_init(struct stack *s);
void dhcp_start(struct stack *s);
void dhcp_fini(struct stack *s);
bool dhcp_input(struct stack *s, const uint8_t *msg, size_t len,
		const struct ip_rx *rx);
void dhcp_arp_input(struct stack *s, uint16_t op, const uint8_t sha[ETH_ALEN],
		    uint32_t spa, uint32_t tpa);
const char *dhcp_state_name(enum dhcp_state st);

#endif
