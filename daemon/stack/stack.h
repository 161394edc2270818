/* SPDX-License-Identifier: MIT */
/*
 * stack.h - the protocol engine's interface to its host
 *
 * Theory of operation: the engine (everything under daemon/stack) does no
 * I/O and reads no clock. Its host (the daemon, or the simulator in
 * test/sim) drives it:
 *
 *   - a frame arrived on interface i:   stack_input()
 *   - time moved on:                    stack_timeout(now), which returns
 *                                       the next deadline, or STACK_NO_DEADLINE
 *                                       when nothing is armed
 *
 * and the engine answers through the callbacks in struct stack_ops: send a
 * frame, random bytes, a log line. Time is always an argument (monotonic
 * nanoseconds). An idle engine has no deadline, so an idle host sleeps.
 */
#ifndef USTACK_STACK_H
#define USTACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "inet.h"
#include "gso.h"
#include "ip.h"
#include "pbuf.h"
#include "tcp.h"

struct dgram;
struct stack_dhcp_info;

#define STACK_NO_DEADLINE UINT64_MAX
#define STACK_MAX_ADDRS 8
#define STACK_MAX_ROUTES 256
/* stack_addr_list(): both interfaces, both families */
#define STACK_MAX_IFADDRS (2 * STACK_MAX_ADDRS + 1 + 16)

/*
 * Interfaces. The host drives one link (stack_input(), link_output());
 * besides it the engine has its own loopback, as every kernel has (and
 * lwIP's loopif): 127.0.0.1/8, where every address of the block is ours
 * and what is sent there is delivered to our own sockets, never to the
 * link. It is not the host kernel's loopback. The host never gives it a
 * frame. Each interface holds its addresses (IPv6 ones, later, too).
 */
#define STACK_IF_LINK 1
#define STACK_IF_LOOPBACK 2
#define STACK_LOOPBACK_MTU 65535  /* Linux: 65536, capped at IP_MAX_MTU */

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull

enum stack_log_level { STACK_LOG_ERR, STACK_LOG_WARN, STACK_LOG_INFO, STACK_LOG_DEBUG };

struct stack_ops {
	/*
	 * Send one complete Ethernet frame on interface @ifindex. The engine
	 * keeps ownership of @frame; the host copies or writes it before
	 * returning. @gso is NULL but on an interface the host declared
	 * able to segment (stack_set_link_gso(), stack_set_link_uso()):
	 * there it may describe a frame of several TCP segments or UDP
	 * datagrams with a partial checksum (gso.h), which the link
	 * segments, or the host with gso_segment(). Return
	 * 0, or a negative errno (-ENOBUFS: the link's transmit queue is
	 * full), which the engine counts.
	 */
	int (*link_output)(void *ctx, unsigned ifindex, const uint8_t *frame,
			   size_t len, const struct gso_tx *gso);
	/* Fill @buf with @len random bytes (the host's CSPRNG, or a seed). */
	void (*random)(void *ctx, void *buf, size_t len);
	/* One log line, without newline. May be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	/*
	 * A datagram socket's state changed (UDP, ping or raw: @dg->kind):
	 * @events is a mask of DGRAM_EV_* (dgram.h). The host may call the
	 * socket's functions from here but must not close it. May be NULL.
	 */
	void (*dgram_event)(void *ctx, struct dgram *dg, unsigned events);
	/* An echo reply to stack_ping() arrived (@len: data bytes). May be NULL. */
	void (*echo_reply)(void *ctx, uint32_t src, uint16_t id, uint16_t seq,
			   size_t len, uint8_t ttl);
	/*
	 * A TCP socket's readiness changed: @events is a mask of TCP_EV_*
	 * (tcp.h). The host may call the socket functions from here, but
	 * must not close or abort @sk itself inside the callback. May be NULL.
	 */
	void (*sock_event)(void *ctx, struct tcp_sock *sk, unsigned events);
	/*
	 * Of the bytes @sk's host passed on with tcp_recv_pass(), how many
	 * its program has still not read: they still fill the receive
	 * buffer, so the window leaves them out, as Linux's counts what
	 * the program has not read. Asked when a window is worked out
	 * while some are unread. May be NULL: then they count until the
	 * host says otherwise (tcp_recv_unread()).
	 */
	uint32_t (*sock_unread)(void *ctx, struct tcp_sock *sk);
	/*
	 * The DHCP client's lease changed: bound, renewed, lost, released
	 * (@info->state says which; stack_dhcp_info()). May be NULL.
	 */
	void (*dhcp_event)(void *ctx, const struct stack_dhcp_info *info);
};

struct stack_addr {
	uint32_t addr;
	uint8_t prefix;
};

struct stack_addr6 {
	uint8_t addr[16];
	uint8_t prefix;
};

/* Every tunable of the engine, with its default in stack_config_defaults(). */
struct stack_config {
	uint8_t mac[ETH_ALEN];
	uint32_t mtu;                 /* IP MTU of the link, 576..65535 */
	unsigned naddr;
	struct stack_addr addr[STACK_MAX_ADDRS];
	uint32_t gateway;             /* 0: no default route */
	uint8_t ttl;                  /* TTL (hop limit) of datagrams we originate */

	/* DHCPv4 client (dhcp.c): the address, router and DNS servers */
	bool dhcp;                    /* on: no --addr is needed */
	unsigned dhcp_arp_probes;     /* RFC 5227 PROBE_NUM (3), 0: no probing */
	char dhcp_hostname[64];       /* sent as option 12; empty: none */
	/* the DNS stub (dns_stub.c) */
	bool dns_stub;                /* answer queries to the steered servers */
	unsigned ndns;
	struct ip_addr dns[4];        /* configured servers, before learned ones */
	char hostname[64];            /* NAME.local is ours; empty: none */
	bool mdns;                    /* answer NAME.local on the link (mdns.c) */

	/* IPv6 (ipv6.c, addrconf.c, nd.c, mld.c) */
	bool ipv6;                    /* on (default), with a link-local address */
	bool slaac;                   /* addresses from RA prefixes (RFC 4862) */
	unsigned naddr6;
	struct stack_addr6 addr6[STACK_MAX_ADDRS];
	uint8_t gateway6[16];         /* :: for none; a link-local one is usual */
	uint8_t ipv6_secret[16];      /* RFC 7217 secret_key: set by the host */
	unsigned dad_transmits;       /* RFC 4862 DupAddrDetectTransmits (1) */
	unsigned rtr_solicits;        /* RFC 4861 MAX_RTR_SOLICITATIONS (3) */
	uint64_t rtr_solicit_interval;/* ns, RTR_SOLICITATION_INTERVAL (4 s) */
	size_t mem_budget;            /* bytes of packet buffers, all uses */
	/* neighbour cache, ARP and ND alike (neigh.c); Linux's defaults */
	unsigned neigh_max_entries;   /* cache bound (gc_thresh3-like) */
	uint64_t neigh_reachable;     /* ns, base_reachable_time (30 s) */
	uint64_t neigh_retrans;       /* ns between solicitations (1 s) */
	uint64_t neigh_delay_probe;   /* ns, delay_first_probe_time (5 s) */
	unsigned neigh_mcast_solicit; /* broadcast/multicast tries (3) */
	unsigned neigh_ucast_solicit; /* unicast probes of a stale entry (3) */
	size_t neigh_queue_bytes;     /* held per unresolved neighbour (Linux's
				       * unres_qlen_bytes, 212992) */
	unsigned reass_max;           /* datagrams in reassembly at once */
	size_t reass_max_bytes;       /* bytes held by reassembly at most */
	uint64_t reass_timeout;       /* ns a datagram may take to complete */
	unsigned icmp_rate;           /* ICMP errors per second, sustained */
	unsigned icmp_burst;          /* ICMP errors in a burst */

	/* socket buffers, TCP and UDP alike (Linux's net.core sysctls) */
	uint32_t rmem_max;            /* SO_RCVBUF cap, before doubling */
	uint32_t wmem_max;            /* SO_SNDBUF cap, before doubling */

	/* TCP (tcp*.c); Linux's defaults unless said otherwise */
	uint64_t tcp_msl;             /* ns; TIME_WAIT lasts 2 * MSL */
	uint64_t tcp_fin_timeout;     /* ns an orphan may sit in FIN_WAIT_2 */
	uint64_t tcp_rto_min;         /* ns, RFC 6298 2.4 (Linux: 200 ms) */
	uint64_t tcp_rto_initial;     /* ns, RFC 6298 2.1 (1 s) */
	uint64_t tcp_rto_max;         /* ns, RFC 6298 2.5 (120 s) */
	uint64_t tcp_delack_max;      /* ns a delayed ACK may wait (40 ms) */
	unsigned tcp_syn_retries;     /* SYN retransmissions before ETIMEDOUT */
	unsigned tcp_synack_retries;  /* SYN-ACK retransmissions */
	unsigned tcp_retries2;        /* data retransmissions before ETIMEDOUT */
	unsigned tcp_max_socks;       /* sockets of all kinds, TIME_WAIT too */
	unsigned tcp_max_time_wait;   /* TIME_WAIT bound; oldest recycled */
	unsigned tcp_max_syn_backlog; /* half-open per listener, then cookies */
	unsigned tcp_somaxconn;       /* cap on listen()'s accept backlog */
	uint32_t tcp_sndbuf;          /* default SO_SNDBUF, bytes */
	uint32_t tcp_rcvbuf;          /* default SO_RCVBUF, bytes */
	uint32_t tcp_sndbuf_max;      /* cap on autotuning (tcp_wmem[2]) */
	uint32_t tcp_rcvbuf_max;      /* cap on autotuning (tcp_rmem[2]) */
	size_t tcp_mem_budget;        /* bytes of socket buffers, all sockets */
	uint64_t tcp_keepidle;        /* ns idle before the first probe */
	uint64_t tcp_keepintvl;       /* ns between probes */
	unsigned tcp_keepcnt;         /* unanswered probes before ETIMEDOUT */
	unsigned tcp_challenge_ack_limit; /* challenge ACKs per second */
	unsigned tcp_init_cwnd;       /* segments, RFC 6928 (10) */
	uint16_t tcp_port_lo;         /* ephemeral range, RFC 6056 */
	uint16_t tcp_port_hi;
	bool tcp_timestamps;          /* RFC 7323 */
	bool tcp_window_scaling;      /* RFC 7323 */
	bool tcp_sack;                /* RFC 2018 */
	bool tcp_syncookies;          /* RFC 4987, when the SYN queue is full */
	enum tcp_ecn tcp_ecn;         /* RFC 3168: ask (ON), agree (SERVER) */
	unsigned tcp_fastopen;        /* RFC 7413: TCP_TFO_* bits (Linux's) */
	bool tcp_tlp;                 /* RFC 8985 7 tail loss probe (with SACK) */
	bool tcp_rack;                /* RFC 8985 RACK loss detection (with SACK) */
	bool tcp_slow_start_after_idle; /* RFC 5681 4.1 restart (Linux's 1) */
	enum tcp_cc_algo tcp_cc;      /* default congestion control (CUBIC) */
};

struct stack;

/* Linux's floors for a socket's buffers (SOCK_MIN_RCVBUF/SNDBUF) */
#define SOCK_MIN_RCVBUF 2304
#define SOCK_MIN_SNDBUF 4608

void stack_config_defaults(struct stack_config *cfg);
int stack_config_check(const struct stack_config *cfg, const char **why);

int stack_new(struct stack **out, const struct stack_config *cfg,
	      const struct stack_ops *ops, void *ctx, uint64_t now);
void stack_free(struct stack *s);
int stack_reconfigure(struct stack *s, const struct stack_config *cfg);
void stack_start(struct stack *s, uint64_t now);

struct pbuf *stack_rx_buf(struct stack *s, size_t maxlen);
void stack_input(struct stack *s, unsigned ifindex, struct pbuf *p,
		 uint64_t now);
void stack_input_copy(struct stack *s, unsigned ifindex, const void *frame,
		      size_t len, uint64_t now);
/* What an offloading link (a TAP with IFF_VNET_HDR) says of a frame */
struct stack_rx_meta {
	bool csum_ok;           /* transport checksum partial or verified */
	uint16_t gso_size;      /* merged TCP segments of this size, or 0 */
	bool gso_udp;           /* ... UDP datagrams of this payload (USO):
				 * each is taken on its own */
};
void stack_input_meta(struct stack *s, unsigned ifindex, const void *frame,
		      size_t len, const struct stack_rx_meta *m,
		      uint64_t now);
uint64_t stack_timeout(struct stack *s, uint64_t now);
/* The link takes frames of TCP segments up to @max bytes of IP payload
 * each (gso.h); 0: it does not (the default) */
void stack_set_link_gso(struct stack *s, uint32_t max);
/* The link cuts frames of UDP datagrams (gso.h): the engine merges those
 * of one flow sent back to back and holds them until stack_flush() */
int stack_set_link_uso(struct stack *s, bool on);
void stack_flush(struct stack *s);
#define STACK_GSO_MAX 65535u

const struct stack_counters *stack_counters(const struct stack *s);
uint32_t stack_sockbuf_size(const struct stack *s, int val, bool snd,
			    bool force);

/* Memory in use per kind of object, against its bound. */
struct stack_mem {
	uint64_t pbuf_bytes, pbuf_peak, pbuf_budget, pbufs, pbuf_refused;
	uint64_t neigh_entries, neigh_max_entries;
	uint64_t reass_datagrams, reass_bytes, reass_max_bytes;
};
void stack_mem(const struct stack *s, struct stack_mem *m);
const struct pbuf_pool *stack_pool(const struct stack *s);

/* Inspection, for ustackctl: each fills at most @max entries from @start
 * and returns how many there are in all. */
struct stack_neigh {
	struct ip_addr ip;
	uint8_t mac[ETH_ALEN];
	uint8_t state;               /* enum neigh_state (neigh.h) */
	bool is_router;              /* ND: the neighbour is a router */
	uint64_t age;                /* ns since confirmed (or since created) */
	unsigned queued;             /* packets waiting for resolution */
	unsigned probes;             /* solicitations sent in this state */
};
struct stack_route {
	struct ip_addr dst;
	uint8_t prefix;
	uint8_t origin;              /* 0 static, 1 connected, 2 router advert */
	struct ip_addr gateway;      /* family IP_NONE: on link */
	uint32_t metric;
	unsigned ifindex;            /* STACK_IF_LINK or STACK_IF_LOOPBACK */
};
/* An IPv6 address's state (RFC 4862) and origin, as stack_addr_list() says */
enum ifa6_state {
	IFA6_FREE,
	IFA6_TENTATIVE,         /* DAD in progress: not used yet */
	IFA6_PREFERRED,
	IFA6_DEPRECATED,        /* preferred lifetime over: kept, not chosen */
	IFA6_DUPLICATE,         /* DAD found another node using it */
};

enum ifa6_origin {
	IFA6_LINKLOCAL,         /* fe80::/64, made at start */
	IFA6_STATIC,            /* --addr */
	IFA6_SLAAC,             /* from a router advertisement's prefix */
	IFA6_DHCP,              /* IPv4: a DHCP lease's (dhcp.c) */
};

struct stack_ifaddr {
	struct ip_addr addr;
	uint8_t prefix;
	unsigned ifindex;            /* STACK_IF_LINK or STACK_IF_LOOPBACK */
	uint8_t state;               /* enum ifa6_state (IPv4: preferred) */
	uint8_t origin;              /* enum ifa6_origin (IPv4: static) */
	uint64_t preferred_left;     /* ns; UINT64_MAX: forever */
	uint64_t valid_left;
};
/* One RDNSS server or DNSSL domain an RA gave (RFC 8106) */
struct stack_dns {
	unsigned ifindex;            /* STACK_IF_LINK */
	bool search;                 /* DNSSL: @name; RDNSS: @addr */
	uint8_t addr[16];
	char name[255];              /* dotted, NUL-terminated */
	uint64_t left;               /* ns of lifetime left; UINT64_MAX: forever */
};
unsigned stack_dns_list(const struct stack *s, uint64_t now,
			struct stack_dns *out, unsigned max);
#define STACK_DNS_STEER_MAX 8        /* resolv.conf names up to 3 (MAXNS) */
void stack_dns_steer(struct stack *s, const struct ip_addr *addrs, unsigned n);
unsigned stack_dns_steered(const struct stack *s, struct ip_addr *out,
			   unsigned max);
/* A group the link listens to (IGMP, MLD), for ustackctl maddr */
#define STACK_MADDR_SOURCES 16
struct stack_maddr {
	struct ip_addr group;
	unsigned users;              /* its members (sockets; IPv6: addresses) */
	bool include;                /* INCLUDE (src), else EXCLUDE {} */
	unsigned nsrc;
	uint32_t src[STACK_MADDR_SOURCES];
};
unsigned stack_maddr_list(const struct stack *s, struct stack_maddr *out,
			  unsigned max);
unsigned stack_mc_version(const struct stack *s, uint8_t family);
unsigned stack_neigh_list(struct stack *s, uint64_t now, unsigned start,
			  struct stack_neigh *out, unsigned max);
unsigned stack_route_list(const struct stack *s, unsigned start,
			  struct stack_route *out, unsigned max);
unsigned stack_addr_list(const struct stack *s, uint64_t now,
			 struct stack_ifaddr *out, unsigned max);
int stack_addr6_add(struct stack *s, const uint8_t addr[16], unsigned prefix,
		    uint64_t now);
int stack_addr6_del(struct stack *s, const uint8_t addr[16], unsigned prefix,
		    uint64_t now);
int stack_addr_add(struct stack *s, uint32_t addr, unsigned prefix,
		   uint64_t now);
int stack_addr_del(struct stack *s, uint32_t addr, unsigned prefix);
/* The DHCP client's view (dhcp.c); times are ns left (UINT64_MAX: never) */
struct stack_dhcp_info {
	uint8_t state;               /* enum dhcp_state (dhcp.h) */
	const char *state_name;      /* "bound", "selecting", ... */
	bool bound;                  /* the address is on the interface */
	uint32_t addr, server, router;
	uint8_t prefix;
	uint8_t ndns;
	uint32_t dns[4];
	char domain[254];
	uint16_t mtu;                /* option 26, 0: none */
	uint32_t lease_s;            /* as granted; 0xffffffff: infinite */
	uint64_t obtained_ago;       /* ns since the lease was obtained */
	uint64_t t1_left, t2_left, expiry_left;
};
int stack_dhcp_info(const struct stack *s, uint64_t now,
		    struct stack_dhcp_info *out);
void stack_dhcp_reboot(struct stack *s, uint32_t addr);
int stack_dhcp_release(struct stack *s, uint64_t now);
int stack_ping(struct stack *s, uint32_t dst, uint16_t id, uint16_t seq,
	       size_t len, uint64_t now);

/* Routing table. Return 0 or a negative errno. */
int stack_route_add(struct stack *s, const struct ip_addr *dst,
		    unsigned prefix, const struct ip_addr *gateway,
		    uint32_t metric);
int stack_route_del(struct stack *s, const struct ip_addr *dst,
		    unsigned prefix);

#endif
