/* SPDX-License-Identifier: MIT */
/*
 * config.c - ustackd's command-line options and configuration file
 *
 * One table names every setting once: its option (--name), its key in
 * ustackd.conf (the same name; '_' may stand for '-'), its type, default
 * and help. The command line is read twice: first only for --config, then,
 * after the file, for everything else, so options override the file.
 * --print-config prints the effective values in the file's own syntax.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ip.h"
#include "log.h"
#include "version.h"
#include "ustack_proto.h"

enum opt_type {
	T_STR, T_IFNAME, T_ADDR, T_IPV4, T_MAC, T_UINT, T_U8, T_SECONDS,
	T_BYTES, T_LOGLEVEL, T_IMPAIR, T_BOOL, T_MODE, T_PATH_ONLY_CLI,
	T_MSEC,               /* milliseconds, stored as uint64_t ns */
	T_BYTES32,            /* a size in a uint32_t */
	T_U16,
	T_YESNO,              /* a bool that takes yes or no, also as an option */
	T_CC,                 /* congestion control: cubic or newreno */
	T_ECN,                /* TCP ECN: no, yes or server (enum tcp_ecn) */
	T_GATEWAY,            /* an IPv4 or an IPv6 router, one of each */
	T_SECRET,             /* 128 bits as 32 hex digits */
	T_DNS,                /* a DNS server, IPv4 or IPv6; repeated */
};

struct opt {
	const char *name;
	enum opt_type type;
	size_t off;           /* into struct daemon_config */
	size_t size;          /* for strings */
	unsigned long min, max;
	const char *arg;      /* argument name in --help; NULL: a flag */
	const char *help;
	bool live;            /* SIGHUP applies it to the running daemon */
};

#define OFF(f) offsetof(struct daemon_config, f)
#define SOFF(f) (offsetof(struct daemon_config, stack) + offsetof(struct stack_config, f))
#define SZ(f) sizeof(((struct daemon_config *)0)->f)

static const struct opt opts[] = {
	{ "tap", T_IFNAME, OFF(tap), SZ(tap), 0, 0, "NAME",
	  "create (or attach to) the TAP interface NAME (default ustack0)", false },
	{ "pcap", T_IFNAME, OFF(pcap), SZ(pcap), 0, 0, "IFNAME",
	  "attach to the existing interface IFNAME through libpcap", false },
	{ "addr", T_ADDR, 0, 0, 0, 0, "ADDR/N",
	  "an IPv4 (A.B.C.D/N, one needed) or IPv6 (X::Y/N) address; repeat for more, up to 8 of each", false },
	{ "dhcp", T_BOOL, SOFF(dhcp), 0, 0, 0, NULL,
	  "take an IPv4 address, router and DNS servers from DHCP; no --addr is needed then (default no)", false },
	{ "dhcp-timeout", T_SECONDS, OFF(dhcp_timeout), 0, 0, 86400, "SECONDS",
	  "with --dhcp, report ready once a lease is held or after this long, logged, trying on; 0: at once (default 30)", false },
	{ "dhcp-arp-probes", T_UINT, SOFF(dhcp_arp_probes), sizeof(unsigned), 0, 10, "N",
	  "RFC 5227 ARP probes of an offered address before it is used, 0: none (default 3)", false },
	{ "dhcp-hostname", T_STR, SOFF(dhcp_hostname), SZ(stack.dhcp_hostname), 0, 0, "NAME",
	  "host name sent to the DHCP server, option 12 (default: --hostname)", false },
	{ "dhcp-lease-file", T_STR, OFF(dhcp_lease_file), SZ(dhcp_lease_file), 0, 0, "PATH",
	  "the last lease, kept for INIT-REBOOT after a restart (default: ustackd-IFNAME.lease beside the control socket)", false },
	{ "dns", T_DNS, 0, 0, 0, 0, "ADDR",
	  "a DNS server for programs, asked before those DHCP and router advertisements give; repeat for up to 4", false },
	{ "dns-stub", T_YESNO, SOFF(dns_stub), 0, 0, 0, "yes|no",
	  "answer programs' DNS queries to the nameservers of /etc/resolv.conf with the link's DNS servers, and .local names through mDNS (default yes)", false },
	{ "mdns", T_YESNO, SOFF(mdns), 0, 0, 0, "yes|no",
	  "answer multicast DNS queries for NAME.local (--hostname) on the link, after probing that nobody holds it (default yes)", false },
	{ "hostname", T_STR, SOFF(hostname), SZ(stack.hostname), 0, 0, "NAME",
	  "our host name: NAME.local is answered with our addresses (default: the host's name, up to its first dot)", false },
	{ "gateway", T_GATEWAY, SOFF(gateway), 0, 0, 0, "ADDR",
	  "default router, IPv4 on one of our subnets or IPv6 (link-local too); one of each family", false },
	{ "ipv6", T_YESNO, SOFF(ipv6), 0, 0, 0, "yes|no",
	  "IPv6 on the link: link-local address, ND, MLD (default yes)", false },
	{ "slaac", T_YESNO, SOFF(slaac), 0, 0, 0, "yes|no",
	  "IPv6 addresses from the prefixes routers advertise (default yes)", false },
	{ "dad-transmits", T_UINT, SOFF(dad_transmits), sizeof(unsigned), 0, 10, "N",
	  "duplicate address detection probes per IPv6 address, 0: none (default 1)", false },
	{ "ipv6-stable-secret", T_SECRET, SOFF(ipv6_secret), 0, 0, 0, "HEX32",
	  "RFC 7217 secret for stable IPv6 identifiers (default: from /etc/machine-id)", false },
	{ "mac", T_MAC, SOFF(mac), 0, 0, 0, "XX:XX:XX:XX:XX:XX",
	  "our MAC address (default: a stable locally administered one)", false },
	{ "mtu", T_UINT, SOFF(mtu), sizeof(uint32_t), 576, 65535, "N",
	  "IP MTU of the link (default 1500)", false },
	{ "offload", T_YESNO, OFF(offload), 0, 0, 0, "yes|no",
	  "a TAP's checksum and segmentation offload: TCP segments in frames of up to 64 KiB both ways (default yes; off while impaired)", false },
	{ "socket", T_STR, OFF(socket_path), SZ(socket_path), 0, 0, "PATH",
	  "control socket (default " USTACK_DEFAULT_SOCKET ")", false },
	{ "socket-mode", T_MODE, OFF(socket_mode), 0, 0, 07777, "MODE",
	  "permission bits of the control socket, octal (default 0666)", false },
	{ "socket-group", T_STR, OFF(socket_group), SZ(socket_group), 0, 0, "GROUP",
	  "group owning the control socket, a name or a number (default: ours)", false },
	{ "sockets-per-uid", T_UINT, OFF(sockets_per_uid), sizeof(unsigned), 0, 1000000, "N",
	  "sockets one user may hold; more fail with EMFILE (default 0: 7/8 of the daemon's descriptors)", false },
	{ "socket-mem-per-uid", T_BYTES, OFF(socket_mem_per_uid), 0, 1u << 20, 1ul << 40, "BYTES",
	  "datagram socket buffers one user may claim; more fails with ENOBUFS (default 1G)", false },
	{ "rmem-max", T_BYTES32, SOFF(rmem_max), 0, 2304, 1ul << 30, "BYTES",
	  "largest SO_RCVBUF a program may set, as net.core.rmem_max (default 212992)", true },
	{ "wmem-max", T_BYTES32, SOFF(wmem_max), 0, 4608, 1ul << 30, "BYTES",
	  "largest SO_SNDBUF a program may set, as net.core.wmem_max (default 212992)", true },
	{ "foreground", T_BOOL, OFF(foreground), 0, 0, 0, NULL,
	  "stay in the foreground and log to stderr", false },
	{ "log-level", T_LOGLEVEL, OFF(log_level), 0, 0, 0, "LEVEL",
	  "error, warn, info (default) or debug", true },
	{ "capture", T_STR, OFF(capture), SZ(capture), 0, 0, "FILE",
	  "write every frame in and out to FILE (pcap)", true },
	{ "impair", T_IMPAIR, OFF(impair), 0, 0, 0,
	  "loss=P,dup=P,reorder=P,corrupt=P,delay=MS,seed=N",
	  "impair the link in both directions, deterministically for a seed", true },
	{ "admin-group", T_STR, OFF(admin_group), SZ(admin_group), 0, 0, "GROUP",
	  "members of GROUP may change state through ustackctl (root always may)", false },
	{ "user", T_STR, OFF(user), SZ(user), 0, 0, "NAME",
	  "once the link is open, become user NAME, keeping no capability", false },
	{ "mem-budget", T_BYTES, SOFF(mem_budget), 0, 1u << 20, 1ul << 40, "BYTES",
	  "packet buffer memory, all uses together (default 64M)", true },
	{ "ttl", T_U8, SOFF(ttl), 0, 1, 255, "N",
	  "TTL of the datagrams we send (default 64)", true },
	{ "neigh-max-entries", T_UINT, SOFF(neigh_max_entries), sizeof(unsigned), 1, 65536, "N",
	  "neighbour cache size, ARP and IPv6 ND together (default 512)", false },
	{ "neigh-reachable-time", T_SECONDS, SOFF(neigh_reachable), 0, 1, 86400, "SECONDS",
	  "a neighbour's answer counts as fresh this long, randomized x0.5-1.5 (default 30)", true },
	{ "neigh-retrans-time", T_MSEC, SOFF(neigh_retrans), 0, 10, 60000, "MS",
	  "time between solicitations of a neighbour (default 1000)", true },
	{ "neigh-delay-probe", T_SECONDS, SOFF(neigh_delay_probe), 0, 1, 600, "SECONDS",
	  "wait before probing a stale neighbour in use (default 5)", true },
	{ "neigh-mcast-solicit", T_UINT, SOFF(neigh_mcast_solicit), sizeof(unsigned), 1, 100, "N",
	  "broadcast/multicast solicitations before a neighbour is unreachable (default 3)", true },
	{ "neigh-ucast-solicit", T_UINT, SOFF(neigh_ucast_solicit), sizeof(unsigned), 1, 100, "N",
	  "unicast probes of a stale neighbour before it is forgotten (default 3)", true },
	{ "neigh-queue-bytes", T_BYTES, SOFF(neigh_queue_bytes), 0, 1, 1ul << 30, "BYTES",
	  "packets held per neighbour being resolved, in bytes (default 212992)", true },
	{ "reass-max", T_UINT, SOFF(reass_max), sizeof(unsigned), 1, 65536, "N",
	  "datagrams in reassembly at once (default 64)", true },
	{ "reass-max-bytes", T_BYTES, SOFF(reass_max_bytes), 0, 65536, 1ul << 32, "BYTES",
	  "memory for reassembly (default 4M)", true },
	{ "reass-timeout", T_SECONDS, SOFF(reass_timeout), 0, 1, 600, "SECONDS",
	  "time a fragmented datagram has to complete (default 30)", true },
	{ "icmp-rate", T_UINT, SOFF(icmp_rate), sizeof(unsigned), 0, 1000000, "N",
	  "ICMP errors per second, sustained (default 1000)", true },
	{ "icmp-burst", T_UINT, SOFF(icmp_burst), sizeof(unsigned), 1, 1000000, "N",
	  "ICMP errors in a burst (default 50)", true },
	{ "tcp-max-sockets", T_UINT, SOFF(tcp_max_socks), sizeof(unsigned), 1, 1048576, "N",
	  "TCP sockets of all kinds, TIME_WAIT included (default 65536)", true },
	{ "tcp-msl", T_SECONDS, SOFF(tcp_msl), 0, 1, 600, "SECONDS",
	  "maximum segment lifetime: TIME_WAIT lasts twice it (default 30)", true },
	{ "tcp-fin-timeout", T_SECONDS, SOFF(tcp_fin_timeout), 0, 1, 3600, "SECONDS",
	  "how long a closed socket may wait in FIN_WAIT_2 (default 60)", true },
	{ "tcp-max-time-wait", T_UINT, SOFF(tcp_max_time_wait), sizeof(unsigned), 1, 1048576, "N",
	  "TIME_WAIT entries; the oldest is recycled beyond (default 4096)", true },
	{ "tcp-max-syn-backlog", T_UINT, SOFF(tcp_max_syn_backlog), sizeof(unsigned), 1, 65536, "N",
	  "half-open connections per listener, then SYN cookies (default 256)", true },
	{ "tcp-somaxconn", T_UINT, SOFF(tcp_somaxconn), sizeof(unsigned), 1, 65536, "N",
	  "cap on listen()'s backlog (default 4096)", true },
	{ "tcp-syncookies", T_YESNO, SOFF(tcp_syncookies), 0, 0, 0, "yes|no",
	  "answer with SYN cookies when the SYN queue is full (default yes)", true },
	{ "tcp-sndbuf", T_BYTES32, SOFF(tcp_sndbuf), 0, 4608, 1ul << 30, "BYTES",
	  "default send buffer (default 128K)", true },
	{ "tcp-rcvbuf", T_BYTES32, SOFF(tcp_rcvbuf), 0, 4608, 1ul << 30, "BYTES",
	  "default receive buffer (default 128K)", true },
	{ "tcp-sndbuf-max", T_BYTES32, SOFF(tcp_sndbuf_max), 0, 4608, 1ul << 30, "BYTES",
	  "cap on send buffer autotuning, as tcp_wmem[2] (default 4M)", true },
	{ "tcp-rcvbuf-max", T_BYTES32, SOFF(tcp_rcvbuf_max), 0, 4608, 1ul << 30, "BYTES",
	  "cap on receive buffer autotuning, as tcp_rmem[2] (default 4M)", true },
	{ "tcp-mem-budget", T_BYTES, SOFF(tcp_mem_budget), 0, 1u << 20, 1ul << 40, "BYTES",
	  "bytes TCP buffers may hold, charged by use; beyond, windows stop growing and receive buffers are not given (default 256M)", true },
	{ "tcp-rto-min", T_MSEC, SOFF(tcp_rto_min), 0, 1, 60000, "MS",
	  "smallest retransmission timeout (default 200)", true },
	{ "tcp-rto-initial", T_MSEC, SOFF(tcp_rto_initial), 0, 1, 60000, "MS",
	  "retransmission timeout before an RTT is measured (default 1000)", true },
	{ "tcp-rto-max", T_MSEC, SOFF(tcp_rto_max), 0, 1, 600000, "MS",
	  "largest retransmission timeout (default 120000)", true },
	{ "tcp-delack-max", T_MSEC, SOFF(tcp_delack_max), 0, 1, 500, "MS",
	  "longest an ACK is delayed (default 40)", true },
	{ "tcp-syn-retries", T_UINT, SOFF(tcp_syn_retries), sizeof(unsigned), 1, 127, "N",
	  "SYN retransmissions before connect() fails (default 6)", true },
	{ "tcp-synack-retries", T_UINT, SOFF(tcp_synack_retries), sizeof(unsigned), 1, 127, "N",
	  "SYN-ACK retransmissions (default 5)", true },
	{ "tcp-retries2", T_UINT, SOFF(tcp_retries2), sizeof(unsigned), 1, 255, "N",
	  "data retransmissions before a connection times out (default 15)", true },
	{ "tcp-keepidle", T_SECONDS, SOFF(tcp_keepidle), 0, 1, 32767, "SECONDS",
	  "SO_KEEPALIVE: idle time before the first probe (default 7200)", true },
	{ "tcp-keepintvl", T_SECONDS, SOFF(tcp_keepintvl), 0, 1, 32767, "SECONDS",
	  "SO_KEEPALIVE: time between probes (default 75)", true },
	{ "tcp-keepcnt", T_UINT, SOFF(tcp_keepcnt), sizeof(unsigned), 1, 127, "N",
	  "SO_KEEPALIVE: unanswered probes before the connection drops (default 9)", true },
	{ "tcp-init-cwnd", T_UINT, SOFF(tcp_init_cwnd), sizeof(unsigned), 1, 100, "SEGMENTS",
	  "initial congestion window (default 10, RFC 6928)", true },
	{ "tcp-congestion", T_CC, SOFF(tcp_cc), 0, 0, 0, "cubic|newreno",
	  "default congestion control (default cubic)", true },
	{ "tcp-ecn", T_ECN, SOFF(tcp_ecn), 0, 0, 0, "no|server|yes",
	  "ECN (RFC 3168), as net.ipv4.tcp_ecn: yes asks for it on connect, server agrees when a peer asks (default server)", true },
	{ "tcp-fastopen", T_UINT, SOFF(tcp_fastopen), sizeof(unsigned), 0, 0xfff, "BITS",
	  "Fast Open (RFC 7413), net.ipv4.tcp_fastopen's bits, decimal: 1 client, 2 server (listeners with TCP_FASTOPEN), 4 client data without a cookie, 512 server without a cookie, 1024 every listener (default 1)", true },
	{ "tcp-timestamps", T_YESNO, SOFF(tcp_timestamps), 0, 0, 0, "yes|no",
	  "RFC 7323 timestamps (default yes)", true },
	{ "tcp-window-scaling", T_YESNO, SOFF(tcp_window_scaling), 0, 0, 0, "yes|no",
	  "RFC 7323 window scaling (default yes)", true },
	{ "tcp-sack", T_YESNO, SOFF(tcp_sack), 0, 0, 0, "yes|no",
	  "RFC 2018 selective acknowledgements (default yes)", true },
	{ "tcp-rack", T_YESNO, SOFF(tcp_rack), 0, 0, 0, "yes|no",
	  "RFC 8985 RACK time-based loss detection, with SACK (default yes)", true },
	{ "tcp-tlp", T_YESNO, SOFF(tcp_tlp), 0, 0, 0, "yes|no",
	  "RFC 8985 tail loss probe, with SACK (default yes)", true },
	{ "tcp-slow-start-after-idle", T_YESNO,
	  SOFF(tcp_slow_start_after_idle), 0, 0, 0, "yes|no",
	  "RFC 5681 4.1 restart window after an idle RTO (default yes)", true },
	{ "tcp-port-lo", T_U16, SOFF(tcp_port_lo), 0, 1, 65535, "PORT",
	  "first ephemeral port, TCP and UDP (default 32768)", true },
	{ "tcp-port-hi", T_U16, SOFF(tcp_port_hi), 0, 1, 65535, "PORT",
	  "last ephemeral port, TCP and UDP (default 60999)", true },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void config_usage(FILE *out)
{
	fprintf(out,
		"Usage: ustackd [OPTION]...\n"
		"A user-space TCP/IP stack: owns a TAP device (or an interface through\n"
		"libpcap) and serves programs over a control socket.\n\n"
		"  -c, --config FILE            read settings from FILE (ustackd.conf(5));\n"
		"                               options given here override it\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "    --%s%s%s", opts[i].name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		if (!strcmp(opts[i].name, "foreground"))
			snprintf(left, sizeof(left), "-f, --foreground");
		if (strlen(left) > 27)
			fprintf(out, "  %s\n  %-28s %s\n", left, "", opts[i].help);
		else
			fprintf(out, "  %-28s %s\n", left, opts[i].help);
	}
	fprintf(out,
		"      --print-config           print the effective settings and exit\n"
		"  -h, --help                   this text\n"
		"  -V, --version                the version\n\n"
		"Exit status: 0 after SIGTERM or SIGINT, 1 if it could not start,\n"
		"2 for a usage error. See ustackd(8).\n");
}

static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || *v == '-' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_bytes(const char *v, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || n > (max >> shift) || (n << shift) < min)
		return -1;
	*out = (unsigned long)(n << shift);
	return 0;
}

struct parse_ctx {
	bool addrs_from_cli;
	bool dns_from_cli;
	bool cli;
};

static int opt_set(struct daemon_config *cfg, struct parse_ctx *pc,
		   const struct opt *o, const char *v, char *err, size_t errlen)
{
	char *base = (char *)cfg + o->off;
	unsigned long n;

	switch (o->type) {
	case T_STR:
	case T_IFNAME:
	case T_PATH_ONLY_CLI:
		if (strlen(v) >= o->size || !*v) {
			snprintf(err, errlen, "%s: '%s' is empty or longer than %zu",
				 o->name, v, o->size - 1);
			return -1;
		}
		strcpy(base, v);
		return 0;
	case T_ADDR: {
		struct stack_config *sc = &cfg->stack;
		char ip[64], *slash;
		struct ip_addr a;

		if (pc->cli && !pc->addrs_from_cli) {
			pc->addrs_from_cli = true;
			sc->naddr = 0;
			sc->naddr6 = 0;
		}
		snprintf(ip, sizeof(ip), "%s", v);
		slash = strchr(ip, '/');
		if (!slash || (*slash = '\0', ip_pton(ip, &a)) ||
		    parse_uint(slash + 1, 0, a.family == IP_V6 ? 128 : 32, &n)) {
			snprintf(err, errlen,
				 "addr: '%s' is not an address with a prefix length, like 192.0.2.2/24 or 2001:db8::2/64",
				 v);
			return -1;
		}
		if ((a.family == IP_V4 ? sc->naddr : sc->naddr6) == STACK_MAX_ADDRS) {
			snprintf(err, errlen, "addr: at most %d addresses of a family",
				 STACK_MAX_ADDRS);
			return -1;
		}
		if (a.family == IP_V4) {
			sc->addr[sc->naddr].addr = a.v4;
			sc->addr[sc->naddr++].prefix = (uint8_t)n;
		} else {
			memcpy(sc->addr6[sc->naddr6].addr, a.v6, 16);
			sc->addr6[sc->naddr6++].prefix = (uint8_t)n;
		}
		return 0;
	}
	case T_DNS: {
		struct stack_config *sc = &cfg->stack;
		struct ip_addr a;

		if (pc->cli && !pc->dns_from_cli) {
			pc->dns_from_cli = true;
			sc->ndns = 0;
		}
		if (ip_pton(v, &a) || ip_addr_is_any(&a) ||
		    ip_addr_is_multicast(&a)) {
			snprintf(err, errlen, "dns: '%s' is not a unicast IPv4 or IPv6 address", v);
			return -1;
		}
		if (sc->ndns == sizeof(sc->dns) / sizeof(sc->dns[0])) {
			snprintf(err, errlen, "dns: at most %zu servers",
				 sizeof(sc->dns) / sizeof(sc->dns[0]));
			return -1;
		}
		sc->dns[sc->ndns++] = ip_addr_is_v4mapped(&a) ? ip_unmap(&a) : a;
		return 0;
	}
	case T_GATEWAY: {
		struct ip_addr a;

		if (ip_pton(v, &a) || ip_addr_is_any(&a) ||
		    ip_addr_is_multicast(&a)) {
			snprintf(err, errlen, "%s: '%s' is not a unicast IPv4 or IPv6 address",
				 o->name, v);
			return -1;
		}
		if (a.family == IP_V4)
			cfg->stack.gateway = a.v4;
		else
			memcpy(cfg->stack.gateway6, a.v6, 16);
		return 0;
	}
	case T_SECRET: {
		uint8_t *b = (uint8_t *)base;

		if (strlen(v) != 32) {
			snprintf(err, errlen, "%s: give 32 hexadecimal digits", o->name);
			return -1;
		}
		for (int i = 0; i < 16; i++) {
			unsigned x;

			if (sscanf(v + 2 * i, "%2x", &x) != 1 || !isxdigit((unsigned char)v[2 * i + 1])) {
				snprintf(err, errlen, "%s: give 32 hexadecimal digits", o->name);
				return -1;
			}
			b[i] = (uint8_t)x;
		}
		cfg->secret_set = true;
		return 0;
	}
	case T_IPV4:
		if (ipv4_pton(v, (uint32_t *)(void *)base)) {
			snprintf(err, errlen, "%s: '%s' is not an IPv4 address",
				 o->name, v);
			return -1;
		}
		return 0;
	case T_MAC:
		if (mac_pton(v, (uint8_t *)base) || (base[0] & 1)) {
			snprintf(err, errlen,
				 "%s: '%s' is not a unicast MAC like 02:00:00:00:00:01",
				 o->name, v);
			return -1;
		}
		cfg->mac_set = true;
		return 0;
	case T_UINT:
	case T_U8:
		if (parse_uint(v, o->min, o->max, &n)) {
			snprintf(err, errlen, "%s: '%s' is not a number from %lu to %lu",
				 o->name, v, o->min, o->max);
			return -1;
		}
		if (o->type == T_U8)
			*(uint8_t *)base = (uint8_t)n;
		else
			*(unsigned *)(void *)base = (unsigned)n;
		return 0;
	case T_SECONDS:
		if (parse_uint(v, o->min, o->max, &n)) {
			snprintf(err, errlen, "%s: '%s' is not a number of seconds from %lu to %lu",
				 o->name, v, o->min, o->max);
			return -1;
		}
		*(uint64_t *)(void *)base = n * NSEC_PER_SEC;
		return 0;
	case T_BYTES:
		if (parse_bytes(v, o->min, o->max, &n)) {
			snprintf(err, errlen,
				 "%s: '%s' is not a size from %lu to %lu bytes (suffixes K, M, G)",
				 o->name, v, o->min, o->max);
			return -1;
		}
		*(size_t *)(void *)base = n;
		return 0;
	case T_LOGLEVEL:
		if ((*(int *)(void *)base = log_level_parse(v)) < 0) {
			snprintf(err, errlen,
				 "log-level: '%s' is not error, warn, info or debug", v);
			return -1;
		}
		return 0;
	case T_IMPAIR:
		return impair_parse(v, (struct impair_config *)(void *)base, err,
				    errlen) ? -1 : 0;
	case T_MSEC:
		if (parse_uint(v, o->min, o->max, &n)) {
			snprintf(err, errlen, "%s: '%s' is not a number of milliseconds from %lu to %lu",
				 o->name, v, o->min, o->max);
			return -1;
		}
		*(uint64_t *)(void *)base = n * NSEC_PER_MSEC;
		return 0;
	case T_BYTES32:
		if (parse_bytes(v, o->min, o->max, &n)) {
			snprintf(err, errlen,
				 "%s: '%s' is not a size from %lu to %lu bytes (suffixes K, M, G)",
				 o->name, v, o->min, o->max);
			return -1;
		}
		*(uint32_t *)(void *)base = (uint32_t)n;
		return 0;
	case T_U16:
		if (parse_uint(v, o->min, o->max, &n)) {
			snprintf(err, errlen, "%s: '%s' is not a number from %lu to %lu",
				 o->name, v, o->min, o->max);
			return -1;
		}
		*(uint16_t *)(void *)base = (uint16_t)n;
		return 0;
	case T_CC:
		if (!strcmp(v, "cubic"))
			*(enum tcp_cc_algo *)(void *)base = TCP_CC_CUBIC;
		else if (!strcmp(v, "newreno") || !strcmp(v, "reno"))
			*(enum tcp_cc_algo *)(void *)base = TCP_CC_NEWRENO;
		else {
			snprintf(err, errlen, "%s: '%s' is not cubic or newreno", o->name, v);
			return -1;
		}
		return 0;
	case T_ECN:
		if (!strcmp(v, "no") || !strcmp(v, "0"))
			*(enum tcp_ecn *)(void *)base = TCP_ECN_OFF;
		else if (!strcmp(v, "yes") || !strcmp(v, "1"))
			*(enum tcp_ecn *)(void *)base = TCP_ECN_ON;
		else if (!strcmp(v, "server") || !strcmp(v, "2"))
			*(enum tcp_ecn *)(void *)base = TCP_ECN_SERVER;
		else {
			snprintf(err, errlen, "%s: '%s' is not no, server or yes", o->name, v);
			return -1;
		}
		return 0;
	case T_YESNO:
	case T_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
			*(bool *)base = true;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
			*(bool *)base = false;
		else {
			snprintf(err, errlen, "%s: '%s' is not yes or no", o->name, v);
			return -1;
		}
		return 0;
	case T_MODE: {
		char *end;
		unsigned long m = strtoul(v, &end, 8);

		if (end == v || *end || m > o->max) {
			snprintf(err, errlen, "%s: '%s' is not an octal mode", o->name, v);
			return -1;
		}
		*(unsigned *)(void *)base = (unsigned)m;
		return 0;
	}
	}
	return -1;
}

/*
 * Names from before the neighbour cache served IPv6 too. arp-max-age was
 * how long an answer was trusted, which ReachableTime now is.
 */
static const struct { const char *old, *now; } renamed[] = {
	{ "arp-max-entries", "neigh-max-entries" },
	{ "arp-max-age", "neigh-reachable-time" },
	{ "arp-retries", "neigh-mcast-solicit" },
};

/* opt_find()'s answer for an obsolete key: the file reader skips it */
static const struct opt ignored_opt = { .name = "" };

/* Names from before that no setting answers any more: read, and ignored */
static const struct { const char *name, *why; } obsolete[] = {
	{ "arp-queue-len", "the queue is bounded in bytes now: neigh-queue-bytes" },
};

static const struct opt *opt_find(const char *key)
{
	char norm[64];

	snprintf(norm, sizeof(norm), "%s", key);
	for (char *p = norm; *p; p++)
		if (*p == '_')
			*p = '-';
	for (size_t i = 0; i < sizeof(obsolete) / sizeof(obsolete[0]); i++)
		if (!strcmp(obsolete[i].name, norm)) {
			log_warn("config: '%s' is ignored: %s", norm,
				 obsolete[i].why);
			return &ignored_opt;
		}
	for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (!strcmp(renamed[i].old, norm)) {
			log_warn("config: '%s' is now called '%s'",
				norm, renamed[i].now);
			snprintf(norm, sizeof(norm), "%s", renamed[i].now);
		}
	for (size_t i = 0; i < NOPTS; i++)
		if (!strcmp(opts[i].name, norm))
			return &opts[i];
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* "key = value" lines; '#' starts a comment; blank lines are ignored. */
static int config_load(struct daemon_config *cfg, const char *path,
		       char *err, size_t errlen)
{
	struct parse_ctx pc = { 0 };
	char line[1024], msg[512];
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val, *hash;
		const struct opt *o;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			goto fail;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		o = opt_find(key);
		if (!o) {
			snprintf(err, errlen, "%s:%u: unknown key '%s'", path, lineno, key);
			goto fail;
		}
		if (o == &ignored_opt)
			continue;
		if (opt_set(cfg, &pc, o, val, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

static void config_defaults(struct daemon_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	stack_config_defaults(&cfg->stack);
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s",
		 USTACK_DEFAULT_SOCKET);
	cfg->socket_mode = 0666;
	cfg->sockets_per_uid = 0;       /* 7/8 of the descriptors */
	cfg->socket_mem_per_uid = 1ul << 30;
	cfg->log_level = LOG_LVL_INFO;
	cfg->offload = true;
	cfg->dhcp_timeout = 30 * NSEC_PER_SEC;
}

enum { OPT_PRINT_CONFIG = 1000, OPT_TABLE = 2000 };

/**
 * config_parse_args() - defaults, then the config file, then the options
 * @cfg: filled in
 * @argc: argument count
 * @argv: arguments
 *
 * Return: enum config_result: run, or exit with the given meaning
 */
int config_parse_args(struct daemon_config *cfg, int argc, char **argv)
{
	struct option lo[NOPTS + 6];
	struct parse_ctx pc = { .cli = true };
	char err[512];
	int c, n = 0;

	config_defaults(cfg);
	optind = 0;	/* reinitialise getopt: SIGHUP parses again */
	for (size_t i = 0; i < NOPTS; i++)
		lo[n++] = (struct option){ opts[i].name,
			opts[i].arg ? required_argument : no_argument, NULL,
			OPT_TABLE + (int)i };
	lo[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	lo[n++] = (struct option){ "print-config", no_argument, NULL, OPT_PRINT_CONFIG };
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	lo[n] = (struct option){ 0 };

	/* pass 1: only --config, help and version */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:fhV", lo, NULL)) != -1) {
		if (c == 'h') {
			config_usage(stdout);
			return CONFIG_EXIT_OK;
		}
		if (c == 'V') {
			printf("ustackd %s\n", USTACK_VERSION);
			return CONFIG_EXIT_OK;
		}
		if (c == 'c')
			snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", optarg);
	}
	if (*cfg->config_file && config_load(cfg, cfg->config_file, err, sizeof(err))) {
		fprintf(stderr, "ustackd: %s\n", err);
		return CONFIG_EXIT_USAGE;
	}
	/* pass 2: everything else, overriding the file */
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "c:fhV", lo, NULL)) != -1) {
		const struct opt *o;

		switch (c) {
		case 'c':
			break;
		case 'f':
			cfg->foreground = true;
			break;
		case OPT_PRINT_CONFIG:
			cfg->print_config = true;
			break;
		case '?':
			fprintf(stderr, "Try 'ustackd --help'.\n");
			return CONFIG_EXIT_USAGE;
		default:
			o = &opts[c - OPT_TABLE];
			if (o->type == T_BOOL) {
				*(bool *)((char *)cfg + o->off) = true;
				break;
			}
			if (opt_set(cfg, &pc, o, optarg, err, sizeof(err))) {
				fprintf(stderr, "ustackd: %s\n", err);
				return CONFIG_EXIT_USAGE;
			}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ustackd: unexpected argument '%s'\nTry 'ustackd --help'.\n",
			argv[optind]);
		return CONFIG_EXIT_USAGE;
	}
	return CONFIG_RUN;
}

/* FNV-1a: a stable hash for the default MAC */
static uint32_t fnv1a(const void *data, size_t len, uint32_t h)
{
	const uint8_t *p = data;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/*
 * RFC 7217's secret_key, when none is configured: from the machine's
 * identity (systemd's /etc/machine-id), so the addresses stay stable over
 * restarts; without one, random for this run (and the log says so).
 */
static void config_derive_secret(struct daemon_config *cfg)
{
	static const uint64_t key[2] = { 0x75737461636b2d37ull,
					 0x3231372d73656372ull };
	char id[64] = "";
	FILE *f = fopen("/etc/machine-id", "r");
	uint64_t h[2];

	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
	}
	id[strcspn(id, "\n")] = '\0';
	if (strlen(id) < 16) {
		FILE *r = fopen("/dev/urandom", "r");

		log_info("ipv6: no /etc/machine-id: stable addresses last as long as this run");
		if (!r || fread(cfg->stack.ipv6_secret, 16, 1, r) != 1)
			memset(cfg->stack.ipv6_secret, 0x5a, 16);
		if (r)
			fclose(r);
		return;
	}
	h[0] = inet_siphash(key, id, strlen(id));
	h[1] = inet_siphash(h, id, strlen(id));
	memcpy(cfg->stack.ipv6_secret, h, 16);
}

/**
 * config_finish() - fill in derived defaults and check the whole
 * @cfg: the configuration
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * The default MAC is locally administered (02:...) and derived from the
 * interface name and first address, so it stays the same across restarts.
 *
 * Return: 0, or -1
 */
int config_finish(struct daemon_config *cfg, char *err, size_t errlen)
{
	const char *why;

	if (*cfg->tap && *cfg->pcap) {
		snprintf(err, errlen, "--tap and --pcap exclude each other");
		return -1;
	}
	if (!*cfg->tap && !*cfg->pcap)
		snprintf(cfg->tap, sizeof(cfg->tap), "ustack0");
	if (cfg->stack.naddr == 0 && !cfg->stack.dhcp) {
		snprintf(err, errlen, "no address: give --addr A.B.C.D/N, or --dhcp");
		return -1;
	}
	if (!*cfg->stack.hostname) {
		char hn[256];

		if (gethostname(hn, sizeof(hn)) == 0) {
			hn[sizeof(hn) - 1] = '\0';
			hn[strcspn(hn, ".")] = '\0';
			snprintf(cfg->stack.hostname,
				 sizeof(cfg->stack.hostname), "%s", hn);
		}
	}
	if (cfg->stack.dhcp && !*cfg->stack.dhcp_hostname)
		snprintf(cfg->stack.dhcp_hostname,
			 sizeof(cfg->stack.dhcp_hostname), "%s",
			 cfg->stack.hostname);
	if (cfg->stack.dhcp && !*cfg->dhcp_lease_file) {
		const char *ifn = *cfg->tap ? cfg->tap : cfg->pcap;
		const char *slash = strrchr(cfg->socket_path, '/');
		int dirlen = slash ? (int)(slash - cfg->socket_path) : 1;

		snprintf(cfg->dhcp_lease_file, sizeof(cfg->dhcp_lease_file),
			 "%.*s/ustackd-%s.lease", dirlen,
			 slash ? cfg->socket_path : ".", ifn);
	}
	if (!cfg->mac_set) {
		const char *ifn = *cfg->tap ? cfg->tap : cfg->pcap;
		uint32_t h = fnv1a(ifn, strlen(ifn), 2166136261u);
		uint32_t h2;

		h = fnv1a(&cfg->stack.addr[0].addr, 4, h);
		h2 = fnv1a(&h, sizeof(h), h ^ 0x75737463u);
		cfg->stack.mac[0] = 0x02;
		cfg->stack.mac[1] = (uint8_t)(h >> 24);
		cfg->stack.mac[2] = (uint8_t)(h >> 16);
		cfg->stack.mac[3] = (uint8_t)(h >> 8);
		cfg->stack.mac[4] = (uint8_t)h;
		cfg->stack.mac[5] = (uint8_t)h2;
	}
	if (!cfg->secret_set)
		config_derive_secret(cfg);
	if (stack_config_check(&cfg->stack, &why)) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (cfg->stack.gateway) {
		bool on_link = false;

		for (unsigned i = 0; i < cfg->stack.naddr; i++) {
			uint32_t m = ipv4_mask(cfg->stack.addr[i].prefix);

			on_link |= (cfg->stack.gateway & m) ==
				   (cfg->stack.addr[i].addr & m);
		}
		if (!on_link) {
			snprintf(err, errlen,
				 "gateway is not on any of our subnets");
			return -1;
		}
	}
	return 0;
}

/**
 * config_print() - the effective settings, as ustackd.conf lines
 * @cfg: the configuration
 * @out: where to write
 */
void config_print(const struct daemon_config *cfg, FILE *out)
{
	fprintf(out, "# ustackd %s effective configuration\n", USTACK_VERSION);
	if (*cfg->config_file)
		fprintf(out, "# read from %s and the command line\n", cfg->config_file);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		const char *base = (const char *)cfg + o->off;
		char buf[128];

		switch (o->type) {
		case T_STR:
		case T_IFNAME:
		case T_PATH_ONLY_CLI:
			if (*base)
				fprintf(out, "%s = %s\n", o->name, base);
			else
				fprintf(out, "# %s is not set\n", o->name);
			break;
		case T_ADDR:
			for (unsigned a = 0; a < cfg->stack.naddr; a++)
				fprintf(out, "addr = %s/%u\n",
					ipv4_ntop(cfg->stack.addr[a].addr, buf),
					cfg->stack.addr[a].prefix);
			for (unsigned a = 0; a < cfg->stack.naddr6; a++) {
				struct ip_addr x = ip6(cfg->stack.addr6[a].addr);

				fprintf(out, "addr = %s/%u\n", ip_ntop(&x, buf),
					cfg->stack.addr6[a].prefix);
			}
			break;
		case T_DNS:
			for (unsigned a = 0; a < cfg->stack.ndns; a++)
				fprintf(out, "dns = %s\n",
					ip_ntop(&cfg->stack.dns[a], buf));
			if (!cfg->stack.ndns)
				fprintf(out, "# dns is not set\n");
			break;
		case T_GATEWAY: {
			static const uint8_t zero[16];
			struct ip_addr x = ip6(cfg->stack.gateway6);

			if (cfg->stack.gateway)
				fprintf(out, "gateway = %s\n",
					ipv4_ntop(cfg->stack.gateway, buf));
			if (memcmp(cfg->stack.gateway6, zero, 16))
				fprintf(out, "gateway = %s\n", ip_ntop(&x, buf));
			if (!cfg->stack.gateway && !memcmp(cfg->stack.gateway6, zero, 16))
				fprintf(out, "# gateway is not set\n");
			break;
		}
		case T_SECRET:
			/* a secret is not printed: ustackctl config shows this */
			fprintf(out, "# %s is %s\n", o->name, cfg->secret_set ?
				"set" : "derived from /etc/machine-id");
			break;
		case T_IPV4:
			if (*(const uint32_t *)(const void *)base)
				fprintf(out, "%s = %s\n", o->name,
					ipv4_ntop(*(const uint32_t *)(const void *)base, buf));
			else
				fprintf(out, "# %s is not set\n", o->name);
			break;
		case T_MAC:
			fprintf(out, "%s = %s\n", o->name,
				mac_ntop((const uint8_t *)base, buf));
			break;
		case T_UINT:
			fprintf(out, "%s = %u\n", o->name, *(const unsigned *)(const void *)base);
			break;
		case T_U8:
			fprintf(out, "%s = %u\n", o->name, *(const uint8_t *)base);
			break;
		case T_SECONDS:
			fprintf(out, "%s = %llu\n", o->name, (unsigned long long)
				(*(const uint64_t *)(const void *)base / NSEC_PER_SEC));
			break;
		case T_BYTES:
			fprintf(out, "%s = %zu\n", o->name, *(const size_t *)(const void *)base);
			break;
		case T_LOGLEVEL:
			fprintf(out, "%s = %s\n", o->name,
				log_level_name(*(const int *)(const void *)base));
			break;
		case T_IMPAIR:
			if (cfg->impair.enabled) {
				impair_format(&cfg->impair, buf, sizeof(buf));
				fprintf(out, "%s = %s\n", o->name, buf);
			} else {
				fprintf(out, "# %s is not set\n", o->name);
			}
			break;
		case T_MSEC:
			fprintf(out, "%s = %llu\n", o->name, (unsigned long long)
				(*(const uint64_t *)(const void *)base / NSEC_PER_MSEC));
			break;
		case T_BYTES32:
			fprintf(out, "%s = %u\n", o->name, *(const uint32_t *)(const void *)base);
			break;
		case T_U16:
			fprintf(out, "%s = %u\n", o->name, *(const uint16_t *)(const void *)base);
			break;
		case T_CC:
			fprintf(out, "%s = %s\n", o->name,
				*(const enum tcp_cc_algo *)(const void *)base == TCP_CC_NEWRENO ?
				"newreno" : "cubic");
			break;
		case T_ECN: {
			enum tcp_ecn e = *(const enum tcp_ecn *)(const void *)base;

			fprintf(out, "%s = %s\n", o->name, e == TCP_ECN_OFF ? "no" :
				e == TCP_ECN_ON ? "yes" : "server");
			break;
		}
		case T_YESNO:
		case T_BOOL:
			fprintf(out, "%s = %s\n", o->name,
				*(const bool *)base ? "yes" : "no");
			break;
		case T_MODE:
			fprintf(out, "%s = %04o\n", o->name, *(const unsigned *)(const void *)base);
			break;
		}
	}
}

static size_t opt_size(const struct opt *o)
{
	switch (o->type) {
	case T_STR:
	case T_IFNAME:
	case T_PATH_ONLY_CLI:
		return o->size;
	case T_IPV4:
		return sizeof(uint32_t);
	case T_MAC:
		return ETH_ALEN;
	case T_UINT:
	case T_MODE:
		return sizeof(unsigned);
	case T_U8:
		return sizeof(uint8_t);
	case T_SECONDS:
		return sizeof(uint64_t);
	case T_BYTES:
		return sizeof(size_t);
	case T_LOGLEVEL:
		return sizeof(int);
	case T_IMPAIR:
		return sizeof(struct impair_config);
	case T_BOOL:
	case T_YESNO:
		return sizeof(bool);
	case T_MSEC:
		return sizeof(uint64_t);
	case T_BYTES32:
		return sizeof(uint32_t);
	case T_U16:
		return sizeof(uint16_t);
	case T_CC:
		return sizeof(enum tcp_cc_algo);
	case T_ECN:
		return sizeof(enum tcp_ecn);
	case T_ADDR:
	case T_DNS:
		return 0;
	case T_GATEWAY:
		return sizeof(uint32_t);
	case T_SECRET:
		return 16;
	}
	return 0;
}

/**
 * config_diff() - report every setting that differs between two configs
 * @old: the running configuration
 * @cur: the one just read
 * @changed: called with each differing setting's name and liveness
 * @arg: passed to @changed
 */
void config_diff(const struct daemon_config *old, const struct daemon_config *cur,
		 config_changed_fn *changed, void *arg)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		bool differs;

		if (o->type == T_ADDR)
			differs = old->stack.naddr != cur->stack.naddr ||
				  memcmp(old->stack.addr, cur->stack.addr,
					 sizeof(old->stack.addr)) ||
				  old->stack.naddr6 != cur->stack.naddr6 ||
				  memcmp(old->stack.addr6, cur->stack.addr6,
					 sizeof(old->stack.addr6));
		else if (o->type == T_DNS)
			differs = old->stack.ndns != cur->stack.ndns ||
				  memcmp(old->stack.dns, cur->stack.dns,
					 sizeof(old->stack.dns));
		else if (o->type == T_GATEWAY)
			differs = old->stack.gateway != cur->stack.gateway ||
				  memcmp(old->stack.gateway6, cur->stack.gateway6, 16);
		else
			differs = memcmp((const char *)old + o->off,
					 (const char *)cur + o->off, opt_size(o));
		if (differs)
			changed(o->name, o->live, arg);
	}
}

/**
 * config_apply_live() - take over the settings marked live from @from
 * @cur: the running configuration
 * @from: the one just read
 *
 * The others keep their running values: they take effect at a restart.
 */
void config_apply_live(struct daemon_config *cur,
		       const struct daemon_config *from)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].live && opts[i].type != T_ADDR)
			memcpy((char *)cur + opts[i].off,
			       (const char *)from + opts[i].off, opt_size(&opts[i]));
}
