/* SPDX-License-Identifier: MIT */
/*
 * ustack_admin.h - control messages of ustackctl: inspect and steer ustackd
 *
 * Same framing as every control message (ustack_proto.h); types from
 * USTACK_MSG_ADMIN_BASE on. Requests that change state (route and address
 * changes, capture) need uid 0 or the daemon's admin group; the others
 * need only access to the control socket. Lists are paged: a list request
 * names the first entry it wants, the reply says how many there are in
 * all and carries as many as fit. Strings are NUL-terminated within their
 * fields. Durations are milliseconds unless the name says otherwise.
 */
#ifndef USTACK_ADMIN_H
#define USTACK_ADMIN_H

#include <stdint.h>

#define USTACK_MSG_ADMIN_BASE 0x100

enum ustack_admin_type {
	/* req: -                  reply: list + struct ustack_counter[] */
	USTACK_MSG_STATS = USTACK_MSG_ADMIN_BASE,
	/* req: ustack_list_req    reply: list + struct ustack_neigh[] */
	USTACK_MSG_NEIGH_LIST,
	/* req: ustack_list_req    reply: list + struct ustack_route[] */
	USTACK_MSG_ROUTE_LIST,
	/* req: ustack_route       reply: - (admin) */
	USTACK_MSG_ROUTE_ADD,
	/* req: ustack_route       reply: - (admin; gateway and metric ignored) */
	USTACK_MSG_ROUTE_DEL,
	/* req: -                  reply: list + struct ustack_addr[] */
	USTACK_MSG_ADDR_LIST,
	/* req: ustack_addr        reply: - (admin) */
	USTACK_MSG_ADDR_ADD,
	/* req: ustack_addr        reply: - (admin) */
	USTACK_MSG_ADDR_DEL,
	/* req: -                  reply: the configuration as ustackd.conf text */
	USTACK_MSG_CONFIG,
	/* req: -, and one fd open for writing (SCM_RIGHTS)   reply: - (admin) */
	USTACK_MSG_CAPTURE_START,
	/* req: -                  reply: ustack_capture_reply (admin) */
	USTACK_MSG_CAPTURE_STOP,
	/* req: ustack_ping_req    reply, when the echo returns or times out:
	 * ustack_ping_reply, or -ETIMEDOUT, -ENETUNREACH, -EAGAIN (too many) */
	USTACK_MSG_PING,
	/* req: ustack_list_req    reply: list + struct ustack_netsock[] */
	USTACK_MSG_NETSTAT,
	/* req: ustack_kill_req    reply: ustack_kill_reply (admin) */
	USTACK_MSG_KILL,
	/* req: -                  reply: list + struct ustack_dns[] */
	USTACK_MSG_DNS_LIST,
	/* req: ustack_list_req    reply: list + struct ustack_maddr[]: the
	 * link's groups, then each socket's memberships */
	USTACK_MSG_MADDR_LIST,
	/* req: -                  reply: struct ustack_dhcp_lease */
	USTACK_MSG_DHCP_LEASE,
	USTACK_MSG_ADMIN_MAX
};

struct ustack_list_req {
	uint32_t start;
};

struct ustack_list_reply {
	uint32_t total;         /* entries in all */
	uint32_t count;         /* entries in this reply */
};

struct ustack_counter {
	char group[16];
	char name[32];
	char desc[80];
	uint64_t value;
};

/* An IP address of either family: 4 or 16 bytes in network order */
struct ustack_ip {
	uint8_t family;         /* 4 or 6 */
	uint8_t pad[3];
	uint8_t addr[16];
};

/* Neighbour states, RFC 4861 7.3.2 (ARP's entries go through them too) */
enum ustack_neigh_state {
	USTACK_NEIGH_INCOMPLETE = 1, USTACK_NEIGH_REACHABLE, USTACK_NEIGH_STALE,
	USTACK_NEIGH_DELAY, USTACK_NEIGH_PROBE,
};

struct ustack_neigh {
	struct ustack_ip ip;
	uint8_t mac[6];
	uint8_t state;          /* enum ustack_neigh_state */
	uint8_t router;         /* IPv6: the neighbour said it is a router */
	uint64_t age_ms;        /* since confirmed, or since created */
	uint32_t queued;        /* packets waiting for it */
	uint32_t probes;        /* solicitations sent in this state */
};

/* ifindex: in lists, USTACK_IF_LINK or USTACK_IF_LOOPBACK (0 from a
 * daemon older than the loopback: the link); 0 in requests */
#define USTACK_IF_LINK 1
#define USTACK_IF_LOOPBACK 2

struct ustack_route {
	struct ustack_ip dst;
	struct ustack_ip gateway;       /* family 0: on link */
	uint32_t metric;
	uint8_t prefix;
	uint8_t ifindex;        /* USTACK_IF_LINK or USTACK_IF_LOOPBACK */
	uint8_t origin;         /* replies: 0 static, 1 connected, 2 router advert */
	uint8_t pad;
};

/* Address states (IPv6: RFC 4862; an IPv4 address is always preferred)
 * and origins */
enum ustack_addr_state {
	USTACK_ADDR_TENTATIVE = 1, USTACK_ADDR_PREFERRED, USTACK_ADDR_DEPRECATED,
	USTACK_ADDR_DUPLICATE,
};
enum ustack_addr_origin {
	USTACK_ADDR_STATIC, USTACK_ADDR_LINKLOCAL, USTACK_ADDR_SLAAC,
	USTACK_ADDR_DHCP,
};

struct ustack_addr {
	struct ustack_ip addr;
	uint8_t prefix;
	uint8_t ifindex;        /* replies: USTACK_IF_LINK or USTACK_IF_LOOPBACK */
	uint8_t state;          /* replies: enum ustack_addr_state */
	uint8_t origin;         /* replies: enum ustack_addr_origin */
	uint32_t preferred_s;   /* replies: seconds left, 0xffffffff: forever */
	uint32_t valid_s;
};

/* A DNS server or search domain: a router advertisement's (RDNSS, DNSSL,
 * RFC 8106), or the DHCP lease's (options 6 and 15; an IPv4 server is
 * given IPv4-mapped, ::ffff:A.B.C.D) */
struct ustack_dns {
	uint8_t ifindex;        /* USTACK_IF_LINK */
	uint8_t search;         /* 1: DNSSL, @name; 0: RDNSS, @addr; 2: a
				 * resolv.conf nameserver the stub answers
				 * for, @addr (ustackd(8), NAMES) */
	uint8_t pad[2];
	uint32_t left_s;        /* lifetime left, seconds; 0xffffffff: forever */
	uint8_t addr[16];       /* network order */
	char name[256];         /* NUL-terminated */
};

/* A multicast group: one the link listens to and reports (IGMP, MLD:
 * pid 0), or one socket's membership (pid its owner's, -1 if none) */
#define USTACK_MADDR_SOURCES 16
struct ustack_maddr {
	struct ustack_ip group;
	uint8_t ifindex;        /* USTACK_IF_LINK */
	uint8_t include;        /* 1: INCLUDE (src) only; 0: any source */
	uint8_t nsrc;           /* IPv4 sources in @src */
	uint8_t version;        /* the link's: IGMP 1-3 or MLD 1-2 in use */
	uint32_t users;         /* the link's: members (sockets, addresses) */
	int32_t pid;
	uint32_t uid;
	char comm[16];
	uint8_t src[USTACK_MADDR_SOURCES][4];   /* network order */
};

/* The DHCP client and its lease (ustackctl addr) */
struct ustack_dhcp_lease {
	uint8_t enabled;        /* 0: no DHCP client; nothing else is set */
	uint8_t bound;          /* the address is in force */
	uint8_t prefix;
	uint8_t ndns;
	char state[16];         /* RFC 2131's: "bound", "renewing", ... */
	uint8_t addr[4], server[4], router[4];   /* network order */
	uint8_t dns[4][4];
	uint32_t lease_s;       /* as granted; 0xffffffff: infinite */
	uint32_t obtained_s;    /* seconds since it was obtained */
	uint32_t t1_s, t2_s, expiry_s;   /* seconds left; 0xffffffff: never */
	uint16_t mtu;           /* option 26, 0: none */
	uint8_t pad[2];
	char domain[256];
};

struct ustack_capture_reply {
	uint64_t frames;        /* written to the capture just stopped */
};

struct ustack_ping_req {
	uint32_t dst;
	uint32_t size;          /* data bytes, 0..65507 */
	uint32_t timeout_ms;    /* 1..60000 */
	uint16_t seq;
	uint16_t pad;
};

struct ustack_ping_reply {
	uint64_t rtt_ns;
	uint32_t size;
	uint16_t seq;
	uint8_t ttl;
	uint8_t pad;
};

/* Socket states in ustack_netsock.state: RFC 9293's, then UDP's two */
enum ustack_netsock_state {
	USTACK_SS_CLOSED, USTACK_SS_LISTEN, USTACK_SS_SYN_SENT,
	USTACK_SS_SYN_RECEIVED, USTACK_SS_ESTABLISHED, USTACK_SS_FIN_WAIT_1,
	USTACK_SS_FIN_WAIT_2, USTACK_SS_CLOSE_WAIT, USTACK_SS_CLOSING,
	USTACK_SS_LAST_ACK, USTACK_SS_TIME_WAIT,
	USTACK_SS_UNCONN,       /* UDP, no peer */
	USTACK_SS_CONNECTED,    /* UDP with a peer */
	USTACK_SS_MAX
};

/* The running timer in ustack_netsock.timer */
enum ustack_netsock_timer {
	USTACK_TIMER_NONE, USTACK_TIMER_RETRANSMIT, USTACK_TIMER_PERSIST,
	USTACK_TIMER_KEEPALIVE, USTACK_TIMER_FIN_WAIT_2, USTACK_TIMER_TIME_WAIT,
	USTACK_TIMER_DELACK, USTACK_TIMER_LOSS_PROBE, USTACK_TIMER_MAX
};

struct ustack_netsock {
	uint64_t id;            /* for ustackctl kill ID */
	uint8_t proto;          /* 6 TCP, 17 UDP */
	uint8_t state;          /* enum ustack_netsock_state */
	uint8_t timer;          /* enum ustack_netsock_timer */
	uint8_t orphan;         /* closed by its program, kept by the stack */
	uint8_t family;         /* the socket's: 4 (AF_INET), 6 (AF_INET6) */
	uint8_t tcp_options;    /* TCP: Linux's TCPI_OPT_* (timestamps 1, SACK
				 * 2, window scale 4, ECN 8, ECN seen 16) */
	uint8_t ca_state;       /* TCP: Linux's tcpi_ca_state (0 open, 1
				 * disorder, 2 CWR, 3 recovery, 4 loss) */
	uint8_t pad3;
	struct ustack_ip laddr, raddr;  /* the connection's: IPv4 for an
					 * AF_INET6 socket's IPv4 traffic */
	uint16_t lport, rport;
	uint32_t recv_q, send_q;    /* listeners: accept queue, backlog */
	uint64_t timer_ms;          /* time left on the timer */
	uint64_t state_ms;          /* time in this state */
	int32_t pid;                /* owner; -1 for an orphan */
	uint32_t uid;
	char comm[16];
	/* TCP only (netstat -e) */
	uint32_t cwnd, ssthresh, snd_wnd, rcv_wnd, snd_mss, rcv_mss;
	uint32_t srtt_us, rttvar_us, rto_ms, retransmits;
	uint64_t total_retrans;
	uint32_t syn_q;             /* listeners: half-open connections */
	uint32_t user_timeout_ms;   /* TCP_USER_TIMEOUT, 0: not set */
};

struct ustack_kill_req {
	uint64_t id;                /* a socket id from netstat, or 0: */
	struct ustack_ip laddr, raddr;  /* ...the connection with this
					 * 4-tuple (::ffff:a.b.c.d: IPv4) */
	uint16_t lport, rport;
	uint32_t pad;
};

struct ustack_kill_reply {
	uint32_t killed;
	uint32_t pad;
};

#endif
