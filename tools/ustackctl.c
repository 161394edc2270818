/* SPDX-License-Identifier: MIT */
/*
 * ustackctl - look into ustackd and steer it, over its control socket
 *
 * Every command is one or a few request/reply exchanges of the control
 * protocol (proto/ustack_admin.h). Output is aligned columns for people,
 * or with --json one JSON object for scripts, with the keys documented in
 * ustackctl(8). Exit status: 0 success, 1 the daemon refused or the
 * operation failed, 2 usage error, 3 ustackd could not be reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "inet.h"
#include "ip.h"
#include "ustack_proto.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static const char *sock_path;
static bool json;
static int conn_fd = -1;
static uint32_t conn_seq;
static uint8_t reply_buf[USTACK_MSG_MAX];

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("ustackctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void conn_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		die(EXIT_USAGE, "socket path too long: %s", sock_path);
	strcpy(sa.sun_path, sock_path);
	conn_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (conn_fd < 0 || connect(conn_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die(EXIT_UNREACHABLE,
		    "cannot reach ustackd at %s: %s (is it running? see --socket)",
		    sock_path, strerror(errno));
}

static void send_req(uint16_t type, const void *body, size_t len, int fd)
{
	uint8_t msg[512];
	size_t n = ustack_msg_build(msg, sizeof(msg), type, ++conn_seq, 0, body, len);
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctrl;
	struct iovec iov = { msg, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		mh.msg_control = &ctrl;
		mh.msg_controllen = sizeof(ctrl);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd, sizeof(int));
	}
	if (sendmsg(conn_fd, &mh, MSG_NOSIGNAL) != (ssize_t)n)
		die(EXIT_UNREACHABLE, "sending to ustackd: %s", strerror(errno));
}

/* Wait for the reply to the last request. Return: its status (0 or -errno) */
static int recv_reply(uint16_t type, const void **body, size_t *len)
{
	struct ustack_msg_hdr h;
	ssize_t n = recv(conn_fd, reply_buf, sizeof(reply_buf), 0);
	int rc;

	if (n <= 0)
		die(EXIT_UNREACHABLE, "ustackd closed the connection%s%s",
		    n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	rc = ustack_msg_check(reply_buf, (size_t)n, 1, &h);
	if (rc != USTACK_CHECK_OK)
		die(EXIT_REFUSED, "bad reply from ustackd: %s", ustack_check_str(rc));
	if ((h.type & (uint16_t)~USTACK_MSG_REPLY) != type || h.seq != conn_seq)
		die(EXIT_REFUSED, "reply out of order from ustackd");
	*body = reply_buf + sizeof(h);
	*len = (size_t)n - sizeof(h);
	return h.status;
}

/* One exchange; a refusal ends the program with a message naming @what. */
static const void *call(uint16_t type, const void *req, size_t req_len, int fd,
			size_t *len, const char *what)
{
	const void *body;
	size_t blen;
	int rc;

	send_req(type, req, req_len, fd);
	rc = recv_reply(type, &body, &blen);
	if (rc < 0)
		die(EXIT_REFUSED, "%s: %s%s", what,
		    rc == -ESRCH ? "no such route" :
		    rc == -ENOENT && type == USTACK_MSG_KILL ? "no such connection" :
		    rc == -EOPNOTSUPP && type == USTACK_MSG_KILL ?
			"only TCP connections can be killed" :
		    rc == -EADDRNOTAVAIL ? "no such address" : strerror(-rc),
		    rc == -EPERM ? " (needs root or the admin group)" : "");
	if (len)
		*len = blen;
	return body;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* A wire address as text (RFC 5952 for IPv6) */
static char *ustack_ip_ntop(const struct ustack_ip *u, char *buf)
{
	struct ip_addr a = u->family == 6 ? ip6(u->addr) : ip4(get32(u->addr));

	return ip_ntop(&a, buf);
}

/* Either family's text into a wire address. Return: 0, or -1 */
static int ustack_ip_pton(const char *s, struct ustack_ip *u)
{
	struct ip_addr a;

	if (ip_pton(s, &a))
		return -1;
	memset(u, 0, sizeof(*u));
	u->family = a.family;
	if (a.family == IP_V4)
		put32(u->addr, a.v4);
	else
		memcpy(u->addr, a.v6, 16);
	return 0;
}

/* "ADDR/N" of either family. Return: 0, or -1 */
static int parse_ip_prefix(const char *s, struct ustack_ip *u, uint8_t *prefix)
{
	char ip[64], *slash, *end;
	unsigned long n;

	snprintf(ip, sizeof(ip), "%s", s);
	slash = strchr(ip, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || ustack_ip_pton(ip, u) ||
	    n > (u->family == 6 ? 128u : 32u))
		return -1;
	*prefix = (uint8_t)n;
	return 0;
}

/* Per-command option parsing: --json and --help everywhere. */
static int cmd_opts(int argc, char **argv, const char *usage,
		    const char *shortopts, const struct option *extra, int *opt_out)
{
	static struct option base[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct option lo[16];
	char so[32];
	int n = 0, c;

	for (const struct option *o = extra; o && o->name; o++)
		lo[n++] = *o;
	for (const struct option *o = base; o->name; o++)
		lo[n++] = *o;
	lo[n] = (struct option){ 0 };
	snprintf(so, sizeof(so), "jh%s", shortopts ? shortopts : "");
	c = getopt_long(argc, argv, so, lo, NULL);
	if (c == 'j') {
		json = true;
		return cmd_opts(argc, argv, usage, shortopts, extra, opt_out);
	}
	if (c == 'h') {
		fputs(usage, stdout);
		exit(EXIT_OK);
	}
	if (c == '?') {
		fputs(usage, stderr);
		exit(EXIT_USAGE);
	}
	*opt_out = c;
	return c;
}

static void no_more_args(int argc, char **argv, const char *usage)
{
	if (optind < argc) {
		fprintf(stderr, "ustackctl: unexpected argument '%s'\n%s",
			argv[optind], usage);
		exit(EXIT_USAGE);
	}
}

/* ---- stats ------------------------------------------------------------ */

static const char stats_usage[] =
	"Usage: ustackctl stats [-a] [--json]\n"
	"Every counter of the stack (a counter for every drop reason and error\n"
	"path), memory in use per kind of object against its bound, sockets per\n"
	"state, and the link, impairment and control-socket counters.\n"
	"  -a, --all   show counters that are zero too\n";

static int cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = { { "all", no_argument, NULL, 'a' }, { 0 } };
	const struct ustack_list_reply *lr;
	const struct ustack_counter *c;
	const char *group = "";
	bool all = false;
	int opt;

	while (cmd_opts(argc, argv, stats_usage, "a", lo, &opt) != -1)
		if (opt == 'a')
			all = true;
	no_more_args(argc, argv, stats_usage);
	lr = call(USTACK_MSG_STATS, NULL, 0, -1, NULL, "stats");
	c = (const void *)(lr + 1);
	if (json) {
		printf("{\"counters\": {");
		for (unsigned i = 0; i < lr->count; i++) {
			if (strcmp(group, c[i].group)) {
				printf("%s", *group ? "}, " : "");
				json_str(c[i].group);
				printf(": {");
				group = c[i].group;
			} else {
				printf(", ");
			}
			json_str(c[i].name);
			printf(": %" PRIu64, c[i].value);
		}
		printf("%s}}\n", lr->count ? "}" : "");
		return EXIT_OK;
	}
	for (unsigned i = 0; i < lr->count; i++) {
		/* memory and sockets per state are shown even when zero */
		bool mem = !strcmp(c[i].group, "mem") || !strcmp(c[i].group, "sockets");

		if (!all && !c[i].value && !mem)
			continue;
		if (strcmp(group, c[i].group)) {
			printf("%s%s:\n", *group ? "\n" : "", c[i].group);
			group = c[i].group;
		}
		printf("  %-20s %14" PRIu64 "  %s\n", c[i].name, c[i].value, c[i].desc);
	}
	return EXIT_OK;
}

/* ---- neigh ------------------------------------------------------------ */

static const char neigh_usage[] =
	"Usage: ustackctl neigh [--json]\n"
	"The neighbour cache (ARP and IPv6 Neighbor Discovery): address, MAC,\n"
	"state (incomplete, reachable, stale, delay, probe), age, packets waiting.\n";

static const char *neigh_state_str(uint8_t st)
{
	static const char *const names[] = { "?", "incomplete", "reachable",
					     "stale", "delay", "probe" };

	return st <= USTACK_NEIGH_PROBE ? names[st] : "?";
}

static int cmd_neigh(int argc, char **argv)
{
	struct ustack_list_req lq = { 0 };
	unsigned shown = 0, total;
	int opt;

	while (cmd_opts(argc, argv, neigh_usage, NULL, NULL, &opt) != -1)
		;
	no_more_args(argc, argv, neigh_usage);
	if (json)
		printf("{\"neighbours\": [");
	else
		printf("%-26s %-18s %-11s %10s %7s\n", "ADDRESS", "MAC", "STATE",
		       "AGE", "QUEUED");
	do {
		const struct ustack_list_reply *lr =
			call(USTACK_MSG_NEIGH_LIST, &lq, sizeof(lq), -1, NULL, "neigh");
		const struct ustack_neigh *n = (const void *)(lr + 1);

		total = lr->total;
		for (unsigned i = 0; i < lr->count; i++, shown++) {
			char ip[IP_STRLEN], mac[18], age[32];
			const char *state = neigh_state_str(n[i].state);
			bool known = n[i].state != USTACK_NEIGH_INCOMPLETE;

			ustack_ip_ntop(&n[i].ip, ip);
			mac_ntop(n[i].mac, mac);
			if (json) {
				printf("%s{\"ip\": \"%s\", \"family\": %u, \"mac\": \"%s\", "
				       "\"state\": \"%s\", \"router\": %s, \"age_ms\": %" PRIu64
				       ", \"queued\": %u, \"probes\": %u}",
				       shown ? ", " : "", ip, n[i].ip.family,
				       known ? mac : "", state,
				       n[i].router ? "true" : "false", n[i].age_ms,
				       n[i].queued, n[i].probes);
			} else {
				snprintf(age, sizeof(age), "%" PRIu64 ".%01" PRIu64 "s",
					 n[i].age_ms / 1000, n[i].age_ms % 1000 / 100);
				printf("%-26s %-18s %-11s %10s %7u%s\n", ip,
				       known ? mac : "-", state, age, n[i].queued,
				       n[i].router ? "  router" : "");
			}
		}
		lq.start += lr->count;
		if (!lr->count)
			break;
	} while (lq.start < total);
	if (json)
		printf("]}\n");
	return EXIT_OK;
}

/* ---- interfaces ------------------------------------------------------- */

/* The name of the stack's link, its TAP or pcap interface, from the
 * running configuration (@buf, @len bytes). */
static void link_name(char *buf, size_t len)
{
	size_t tlen;
	const char *text = call(USTACK_MSG_CONFIG, NULL, 0, -1, &tlen, "config");
	char *copy = strndup(text, tlen), *line, *save = NULL;

	snprintf(buf, len, "link");
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if ((!strncmp(line, "tap = ", 6) || !strncmp(line, "pcap = ", 7)) &&
		    strchr(line, '=')[2])
			snprintf(buf, len, "%s", strchr(line, '=') + 2);
	free(copy);
}

/* The stack's own loopback is "lo" (not the host kernel's lo). */
static const char *dev_name(unsigned ifindex, const char *link)
{
	return ifindex == USTACK_IF_LOOPBACK ? "lo" : link;
}

/* ---- route ------------------------------------------------------------ */

static const char route_usage[] =
	"Usage: ustackctl route [show] [--json]\n"
	"       ustackctl route add DEST/N [via GATEWAY] [metric M]\n"
	"       ustackctl route del DEST/N\n"
	"The routes, IPv4 and IPv6, with their interface: 127.0.0.0/8 and ::1 on\n"
	"the stack's own loopback (lo), fixed, then the routing table of the\n"
	"link; add and del need root or the admin group. DEST/N 0.0.0.0/0 (::/0)\n"
	"is the default route. Without 'via' the destination is on the link; an\n"
	"IPv6 gateway may be link-local. ORIGIN says where a route came from:\n"
	"static, connected (an address's network, or the loopback's), ra (a\n"
	"router advertisement).\n";

static const char *route_origin_str(uint8_t o)
{
	return o == 1 ? "connected" : o == 2 ? "ra" : "static";
}

static int route_show(void)
{
	struct ustack_list_req lq = { 0 };
	unsigned shown = 0, total;
	char link[64];

	link_name(link, sizeof(link));
	if (json)
		printf("{\"routes\": [");
	else
		printf("%-30s %-26s %6s %-10s %s\n", "DESTINATION", "GATEWAY",
		       "METRIC", "ORIGIN", "DEV");
	do {
		const struct ustack_list_reply *lr =
			call(USTACK_MSG_ROUTE_LIST, &lq, sizeof(lq), -1, NULL,
			     "route");
		const struct ustack_route *r = (const void *)(lr + 1);

		total = lr->total;
		for (unsigned i = 0; i < lr->count; i++, shown++) {
			char ip[IP_STRLEN], dst[IP_STRLEN + 5], gw[IP_STRLEN];
			const char *dev = dev_name(r[i].ifindex, link);

			snprintf(dst, sizeof(dst), "%s/%u",
				 ustack_ip_ntop(&r[i].dst, ip), r[i].prefix);
			if (r[i].gateway.family)
				ustack_ip_ntop(&r[i].gateway, gw);
			else
				strcpy(gw, json ? "" : "on-link");
			if (json) {
				printf("%s{\"dst\": \"%s\", \"family\": %u, "
				       "\"gateway\": \"%s\", \"metric\": %u, "
				       "\"origin\": \"%s\", \"dev\": ",
				       shown ? ", " : "", dst, r[i].dst.family, gw,
				       r[i].metric, route_origin_str(r[i].origin));
				json_str(dev);
				printf("}");
			} else {
				printf("%-30s %-26s %6u %-10s %s\n", dst, gw,
				       r[i].metric, route_origin_str(r[i].origin),
				       dev);
			}
		}
		lq.start += lr->count;
		if (!lr->count)
			break;
	} while (lq.start < total);
	if (json)
		printf("]}\n");
	return EXIT_OK;
}

static int cmd_route(int argc, char **argv)
{
	struct ustack_route r = { 0 };
	const char *verb;
	int opt;

	while (cmd_opts(argc, argv, route_usage, NULL, NULL, &opt) != -1)
		;
	verb = optind < argc ? argv[optind++] : "show";
	if (!strcmp(verb, "show")) {
		no_more_args(argc, argv, route_usage);
		return route_show();
	}
	if (strcmp(verb, "add") && strcmp(verb, "del"))
		die(EXIT_USAGE, "route: unknown '%s' (show, add, del)", verb);
	if (optind >= argc || parse_ip_prefix(argv[optind++], &r.dst, &r.prefix))
		die(EXIT_USAGE, "route %s: give DEST/N, like 198.51.100.0/24 "
		    "or 2001:db8:1::/48", verb);
	while (optind < argc) {
		const char *k = argv[optind++];

		if (optind >= argc)
			die(EXIT_USAGE, "route: '%s' needs a value", k);
		if (!strcmp(k, "via") && !strcmp(verb, "add")) {
			if (ustack_ip_pton(argv[optind++], &r.gateway) ||
			    r.gateway.family != r.dst.family)
				die(EXIT_USAGE, "route: bad gateway '%s'", argv[optind - 1]);
		} else if (!strcmp(k, "metric") && !strcmp(verb, "add")) {
			char *end;

			r.metric = (uint32_t)strtoul(argv[optind++], &end, 10);
			if (*end)
				die(EXIT_USAGE, "route: bad metric '%s'", argv[optind - 1]);
		} else {
			die(EXIT_USAGE, "route %s: unexpected '%s'", verb, k);
		}
	}
	call(!strcmp(verb, "add") ? USTACK_MSG_ROUTE_ADD : USTACK_MSG_ROUTE_DEL,
	     &r, sizeof(r), -1, NULL, !strcmp(verb, "add") ? "route add" : "route del");
	return EXIT_OK;
}

/* ---- addr ------------------------------------------------------------- */

static const char addr_usage[] =
	"Usage: ustackctl addr [show] [--json]\n"
	"       ustackctl addr add|del ADDR/N\n"
	"The stack's addresses and their interface: 127.0.0.1/8 and ::1 on its\n"
	"own loopback (lo), fixed, then the link's, IPv4 and IPv6. An IPv6\n"
	"address shows its state (tentative while duplicate address detection\n"
	"runs, preferred, deprecated, duplicate), its origin (static, link-local,\n"
	"slaac, dhcp) and its preferred and valid lifetimes. add and del (of the\n"
	"link's) need root or the admin group. With a DHCP client (ustackd\n"
	"--dhcp), its state and lease follow: address, server, router, DNS\n"
	"servers, when it was obtained, and the time left to T1 (renewal), T2\n"
	"(rebinding) and expiry.\n";

static const char *addr_state_str(uint8_t st)
{
	static const char *const names[] = { "?", "tentative", "preferred",
					     "deprecated", "duplicate" };

	return st <= USTACK_ADDR_DUPLICATE ? names[st] : "?";
}

static const char *addr_origin_str(uint8_t o)
{
	return o == USTACK_ADDR_LINKLOCAL ? "link-local" :
	       o == USTACK_ADDR_SLAAC ? "slaac" :
	       o == USTACK_ADDR_DHCP ? "dhcp" : "static";
}

/* "forever" or seconds, for a lifetime */
static const char *lifetime_str(uint32_t sec, char *buf, size_t len)
{
	if (sec == UINT32_MAX)
		snprintf(buf, len, "forever");
	else
		snprintf(buf, len, "%us", sec);
	return buf;
}

/* --json: every address with its details, then the same by interface */
static void dhcp_json(const struct ustack_dhcp_lease *l);

static void addr_json(const struct ustack_addr *ad, unsigned n,
		      const char *link, const struct ustack_dhcp_lease *l)
{
	char ip[IP_STRLEN], buf[IP_STRLEN + 5];

	printf("{\"addresses\": [");
	for (unsigned i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s/%u", ustack_ip_ntop(&ad[i].addr, ip),
			 ad[i].prefix);
		printf("%s{\"addr\": \"%s\", \"prefix\": %u, \"family\": %u, "
		       "\"dev\": ", i ? ", " : "", ip, ad[i].prefix,
		       ad[i].addr.family);
		json_str(dev_name(ad[i].ifindex, link));
		printf(", \"state\": \"%s\", \"origin\": \"%s\", "
		       "\"preferred_s\": %lld, \"valid_s\": %lld}",
		       addr_state_str(ad[i].state), addr_origin_str(ad[i].origin),
		       ad[i].preferred_s == UINT32_MAX ? -1LL :
		       (long long)ad[i].preferred_s,
		       ad[i].valid_s == UINT32_MAX ? -1LL : (long long)ad[i].valid_s);
	}
	printf("], \"interfaces\": [");
	for (unsigned k = 0; k < 2; k++) {
		bool lo = k == 0, first = true;

		printf("%s{\"name\": ", k ? ", " : "");
		json_str(lo ? "lo" : link);
		printf(", \"loopback\": %s, \"addresses\": [", lo ? "true" : "false");
		for (unsigned i = 0; i < n; i++) {
			if ((ad[i].ifindex == USTACK_IF_LOOPBACK) != lo)
				continue;
			snprintf(buf, sizeof(buf), "%s/%u",
				 ustack_ip_ntop(&ad[i].addr, ip), ad[i].prefix);
			printf("%s\"%s\"", first ? "" : ", ", buf);
			first = false;
		}
		printf("]}");
	}
	printf("]");
	if (l)
		dhcp_json(l);
	printf("}\n");
}

/* "never" or seconds, for a time left */
static long long secs_json(uint32_t s)
{
	return s == UINT32_MAX ? -1LL : (long long)s;
}

static char *lease_ip(const uint8_t a[4], char *buf)
{
	struct ustack_ip u = { .family = 4 };

	memcpy(u.addr, a, 4);
	return ustack_ip_ntop(&u, buf);
}

/* , "dhcp": {...}: the client and its lease, times in seconds (-1: never) */
static void dhcp_json(const struct ustack_dhcp_lease *l)
{
	char ip[IP_STRLEN];

	printf(", \"dhcp\": {\"state\": ");
	json_str(l->state);
	printf(", \"bound\": %s", l->bound ? "true" : "false");
	if (l->bound) {
		printf(", \"addr\": \"%s\", \"prefix\": %u",
		       lease_ip(l->addr, ip), l->prefix);
		printf(", \"server\": \"%s\"", lease_ip(l->server, ip));
		if (get32(l->router))
			printf(", \"router\": \"%s\"", lease_ip(l->router, ip));
		printf(", \"dns\": [");
		for (unsigned i = 0; i < l->ndns && i < 4; i++)
			printf("%s\"%s\"", i ? ", " : "", lease_ip(l->dns[i], ip));
		printf("], \"domain\": ");
		json_str(l->domain);
		printf(", \"mtu\": %u, \"lease_s\": %lld, \"obtained_s_ago\": %u, "
		       "\"t1_s\": %lld, \"t2_s\": %lld, \"expiry_s\": %lld",
		       l->mtu, secs_json(l->lease_s), l->obtained_s,
		       secs_json(l->t1_s), secs_json(l->t2_s),
		       secs_json(l->expiry_s));
	}
	printf("}");
}

static void dhcp_text(const struct ustack_dhcp_lease *l)
{
	char ip[IP_STRLEN], sv[IP_STRLEN], a[16], b[16], c[16];

	printf("\nDHCP %s", l->state);
	if (!l->bound) {
		printf(" (no lease)\n");
		return;
	}
	printf(": %s/%u from server %s, obtained %us ago, lease %s\n",
	       lease_ip(l->addr, ip), l->prefix, lease_ip(l->server, sv),
	       l->obtained_s, lifetime_str(l->lease_s, a, sizeof(a)));
	printf("  T1 (renew) in %s, T2 (rebind) in %s, expires in %s\n",
	       lifetime_str(l->t1_s, a, sizeof(a)),
	       lifetime_str(l->t2_s, b, sizeof(b)),
	       lifetime_str(l->expiry_s, c, sizeof(c)));
	if (get32(l->router))
		printf("  router %s\n", lease_ip(l->router, ip));
	for (unsigned i = 0; i < l->ndns && i < 4; i++)
		printf("  dns %s\n", lease_ip(l->dns[i], ip));
	if (l->domain[0])
		printf("  domain %s\n", l->domain);
	if (l->mtu)
		printf("  mtu %u\n", l->mtu);
}

/* The DHCP lease, or NULL: no client, or a daemon that does not know */
static const struct ustack_dhcp_lease *dhcp_lease_get(void)
{
	const void *body;
	size_t blen;

	send_req(USTACK_MSG_DHCP_LEASE, NULL, 0, -1);
	if (recv_reply(USTACK_MSG_DHCP_LEASE, &body, &blen) < 0 ||
	    blen < sizeof(struct ustack_dhcp_lease))
		return NULL;
	return ((const struct ustack_dhcp_lease *)body)->enabled ? body : NULL;
}

static int addr_show(void)
{
	const struct ustack_list_reply *lr;
	const struct ustack_addr *ad;
	char link[64], ip[IP_STRLEN], buf[IP_STRLEN + 5], p[16], v[16];
	const struct ustack_dhcp_lease *l;
	unsigned lr_count;

	link_name(link, sizeof(link));
	lr = call(USTACK_MSG_ADDR_LIST, NULL, 0, -1, NULL, "addr");
	ad = (const void *)(lr + 1);
	{
		/* the next request reuses the reply buffer: copy first */
		static struct ustack_addr copy[64];
		unsigned n = lr->count < 64 ? lr->count : 64;

		memcpy(copy, ad, n * sizeof(*ad));
		ad = copy;
		lr_count = n;
	}
	l = dhcp_lease_get();
	if (json) {
		addr_json(ad, lr_count, link, l);
		return EXIT_OK;
	}
	printf("%-44s %-6s %-10s %-10s %10s %10s\n", "ADDRESS", "DEV", "STATE",
	       "ORIGIN", "PREFERRED", "VALID");
	for (unsigned i = 0; i < lr_count; i++) {
		snprintf(buf, sizeof(buf), "%s/%u", ustack_ip_ntop(&ad[i].addr, ip),
			 ad[i].prefix);
		printf("%-44s %-6s %-10s %-10s %10s %10s\n", buf,
		       dev_name(ad[i].ifindex, link), addr_state_str(ad[i].state),
		       addr_origin_str(ad[i].origin),
		       lifetime_str(ad[i].preferred_s, p, sizeof(p)),
		       lifetime_str(ad[i].valid_s, v, sizeof(v)));
	}
	if (l)
		dhcp_text(l);
	return EXIT_OK;
}

static int cmd_addr(int argc, char **argv)
{
	struct ustack_addr a = { 0 };
	const char *verb;
	int opt;

	while (cmd_opts(argc, argv, addr_usage, NULL, NULL, &opt) != -1)
		;
	verb = optind < argc ? argv[optind++] : "show";
	if (!strcmp(verb, "show")) {
		no_more_args(argc, argv, addr_usage);
		return addr_show();
	}
	if (strcmp(verb, "add") && strcmp(verb, "del"))
		die(EXIT_USAGE, "addr: unknown '%s' (show, add, del)", verb);
	if (optind >= argc || parse_ip_prefix(argv[optind++], &a.addr, &a.prefix))
		die(EXIT_USAGE, "addr %s: give ADDR/N, like 192.0.2.3/24 or "
		    "2001:db8::3/64", verb);
	no_more_args(argc, argv, addr_usage);
	call(!strcmp(verb, "add") ? USTACK_MSG_ADDR_ADD : USTACK_MSG_ADDR_DEL,
	     &a, sizeof(a), -1, NULL, !strcmp(verb, "add") ? "addr add" : "addr del");
	return EXIT_OK;
}

/* ---- config ----------------------------------------------------------- */

static const char config_usage[] =
	"Usage: ustackctl config [--json]\n"
	"The running configuration, in ustackd.conf syntax.\n";

static int cmd_config(int argc, char **argv)
{
	const char *text, *addrs[16];
	char *copy, *line, *save = NULL;
	size_t len, naddr = 0;
	bool first = true;
	int opt;

	while (cmd_opts(argc, argv, config_usage, NULL, NULL, &opt) != -1)
		;
	no_more_args(argc, argv, config_usage);
	text = call(USTACK_MSG_CONFIG, NULL, 0, -1, &len, "config");
	if (!json) {
		fwrite(text, 1, len, stdout);
		return EXIT_OK;
	}
	copy = strndup(text, len);
	if (!copy)
		die(EXIT_REFUSED, "out of memory");
	printf("{\"config\": {");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strstr(line, " = ");

		if (*line == '#' || !eq)
			continue;
		*eq = '\0';
		/* addr, the only key that repeats, becomes one array at the end */
		if (!strcmp(line, "addr")) {
			if (naddr < sizeof(addrs) / sizeof(addrs[0]))
				addrs[naddr++] = eq + 3;
			continue;
		}
		printf("%s", first ? "" : ", ");
		json_str(line);
		printf(": ");
		json_str(eq + 3);
		first = false;
	}
	printf("%s\"addr\": [", first ? "" : ", ");
	for (size_t i = 0; i < naddr; i++) {
		printf("%s", i ? ", " : "");
		json_str(addrs[i]);
	}
	printf("]");
	printf("}}\n");
	free(copy);
	return EXIT_OK;
}

/* ---- capture ---------------------------------------------------------- */

static const char capture_usage[] =
	"Usage: ustackctl capture start FILE\n"
	"       ustackctl capture stop\n"
	"Write every frame the stack receives and sends to FILE (pcap, readable\n"
	"by tshark and tcpdump while it runs). FILE is opened by ustackctl with\n"
	"your permissions and handed to ustackd. Needs root or the admin group.\n";

static int cmd_capture(int argc, char **argv)
{
	const char *verb;
	int opt;

	while (cmd_opts(argc, argv, capture_usage, NULL, NULL, &opt) != -1)
		;
	verb = optind < argc ? argv[optind++] : "";
	if (!strcmp(verb, "start")) {
		const char *path;
		int fd;

		if (optind >= argc)
			die(EXIT_USAGE, "capture start: give a FILE");
		path = argv[optind++];
		no_more_args(argc, argv, capture_usage);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			die(EXIT_REFUSED, "capture: %s: %s", path, strerror(errno));
		send_req(USTACK_MSG_CAPTURE_START, NULL, 0, fd);
		close(fd);
		{
			const void *b;
			size_t l;
			int rc = recv_reply(USTACK_MSG_CAPTURE_START, &b, &l);

			if (rc == -EBUSY)
				die(EXIT_REFUSED, "capture: one is already running; stop it first");
			if (rc < 0)
				die(EXIT_REFUSED, "capture start: %s%s", strerror(-rc),
				    rc == -EPERM ? " (needs root or the admin group)" : "");
		}
		if (json)
			printf("{\"capture\": \"started\", \"file\": ");
		else
			printf("capturing to %s\n", path);
		if (json) {
			json_str(path);
			printf("}\n");
		}
		return EXIT_OK;
	}
	if (!strcmp(verb, "stop")) {
		const struct ustack_capture_reply *cr;
		const void *b;
		size_t l;
		int rc;

		no_more_args(argc, argv, capture_usage);
		send_req(USTACK_MSG_CAPTURE_STOP, NULL, 0, -1);
		rc = recv_reply(USTACK_MSG_CAPTURE_STOP, &b, &l);
		if (rc == -ENOENT)
			die(EXIT_REFUSED, "capture: none is running");
		if (rc < 0)
			die(EXIT_REFUSED, "capture stop: %s%s", strerror(-rc),
			    rc == -EPERM ? " (needs root or the admin group)" : "");
		cr = b;
		if (json)
			printf("{\"capture\": \"stopped\", \"frames\": %" PRIu64 "}\n", cr->frames);
		else
			printf("capture stopped: %" PRIu64 " frames\n", cr->frames);
		return EXIT_OK;
	}
	fputs(capture_usage, stderr);
	return EXIT_USAGE;
}

/* ---- ping ------------------------------------------------------------- */

static const char ping_usage[] =
	"Usage: ustackctl ping A.B.C.D [-c COUNT] [-s SIZE] [-i SECONDS] [-W SECONDS] [--json]\n"
	"ICMP echo requests sent by the stack itself (not by the kernel).\n"
	"  -c COUNT    requests to send (default 4)\n"
	"  -s SIZE     data bytes per request (default 56, at most 65507)\n"
	"  -i SECONDS  interval (default 1, may be a fraction)\n"
	"  -W SECONDS  how long to wait for each reply (default 1)\n"
	"Exit status 1 if no reply came back.\n";

static double parse_seconds(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || !(v > 0) || v > 60)
		die(EXIT_USAGE, "ping: bad %s '%s' (seconds, up to 60)", what, s);
	return v;
}

static int cmd_ping(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'W' },
		{ 0 },
	};
	struct ustack_ping_req pr = { .size = 56, .timeout_ms = 1000 };
	unsigned long count = 4, received = 0;
	double interval = 1, min = 0, max = 0, sum = 0;
	char ip[16];
	char *end;
	int opt;

	while (cmd_opts(argc, argv, ping_usage, "c:s:i:W:", lo, &opt) != -1) {
		switch (opt) {
		case 'c':
			count = strtoul(optarg, &end, 10);
			if (*end || !count || count > 100000)
				die(EXIT_USAGE, "ping: bad count '%s'", optarg);
			break;
		case 's':
			pr.size = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || pr.size > 65507)
				die(EXIT_USAGE, "ping: bad size '%s' (0..65507)", optarg);
			break;
		case 'i':
			interval = parse_seconds(optarg, "interval");
			break;
		case 'W':
			pr.timeout_ms = (uint32_t)(parse_seconds(optarg, "timeout") * 1000);
			break;
		}
	}
	if (optind >= argc || ipv4_pton(argv[optind], &pr.dst))
		die(EXIT_USAGE, "ping: give an IPv4 address, like 192.0.2.1");
	optind++;
	no_more_args(argc, argv, ping_usage);
	ipv4_ntop(pr.dst, ip);
	if (json)
		printf("{\"dst\": \"%s\", \"size\": %u, \"replies\": [", ip, pr.size);
	else
		printf("PING %s: %u data bytes, from the stack\n", ip, pr.size);
	for (unsigned long i = 0; i < count; i++) {
		const struct ustack_ping_reply *r;
		const void *b;
		size_t l;
		int rc;

		pr.seq = (uint16_t)(i + 1);
		send_req(USTACK_MSG_PING, &pr, sizeof(pr), -1);
		rc = recv_reply(USTACK_MSG_PING, &b, &l);
		if (rc == 0) {
			double ms;

			r = b;
			ms = (double)r->rtt_ns / 1e6;
			if (!received || ms < min)
				min = ms;
			if (ms > max)
				max = ms;
			sum += ms;
			if (json)
				printf("%s{\"seq\": %u, \"bytes\": %u, \"ttl\": %u, \"rtt_ms\": %.3f}",
				       received ? ", " : "", r->seq, r->size, r->ttl, ms);
			else
				printf("%u bytes from %s: seq=%u ttl=%u time=%.3f ms\n",
				       r->size, ip, r->seq, r->ttl, ms);
			received++;
		} else if (!json) {
			printf("seq=%u: %s\n", pr.seq, rc == -ETIMEDOUT ? "no reply" :
			       strerror(-rc));
		}
		if (rc && rc != -ETIMEDOUT && rc != -EAGAIN && json) {
			printf("], \"error\": ");
			json_str(strerror(-rc));
			printf("}\n");
			return EXIT_REFUSED;
		}
		if (i + 1 < count) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (double)(time_t)interval) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	if (json)
		printf("], \"sent\": %lu, \"received\": %lu}\n", count, received);
	else if (received)
		printf("--- %s: %lu sent, %lu received, %lu%% lost; rtt min/avg/max %.3f/%.3f/%.3f ms\n",
		       ip, count, received, (count - received) * 100 / count, min,
		       sum / (double)received, max);
	else
		printf("--- %s: %lu sent, 0 received, 100%% lost\n", ip, count);
	return received ? EXIT_OK : EXIT_REFUSED;
}

/* ---- netstat ---------------------------------------------------------- */

static const char netstat_usage[] =
	"Usage: ustackctl netstat [-n] [-e] [--state STATE] [--port N] [--json]\n"
	"       ustackctl ss ...\n"
	"One line per socket: protocol (tcp6, udp6: an AF_INET6 socket, whose\n"
	"IPv4 peers show as [::ffff:A.B.C.D]), Recv-Q, Send-Q, local and remote\n"
	"address:port, state, the running timer and its time left, time in the\n"
	"state, the owner (pid/command, uid); for listeners Recv-Q/Send-Q are\n"
	"the accept queue and the backlog. A summary line counts each state.\n"
	"  -n, --numeric     ports as numbers (addresses are always numeric)\n"
	"  -e, --extended    TCP internals: cwnd, ssthresh, srtt, rttvar, rto,\n"
	"                    retransmits, windows, MSS, TCP_USER_TIMEOUT if set,\n"
	"                    the options in use (ts sack wscale ecn ecnseen) and\n"
	"                    the congestion state (open, disorder, cwr, recovery,\n"
	"                    loss)\n"
	"  --state STATE     only sockets in STATE: listen, syn-sent,\n"
	"                    syn-received, established, fin-wait-1, fin-wait-2,\n"
	"                    close-wait, closing, last-ack, time-wait, unconn,\n"
	"                    connected\n"
	"  --port N          only sockets with N as local or remote port\n";

static const char *const ss_names[USTACK_SS_MAX] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT", "UNCONN", "CONNECTED",
};

static const char *const timer_names[USTACK_TIMER_MAX] = {
	"off", "retransmit", "persist", "keepalive", "fin-wait-2",
	"time-wait", "delack", "loss-probe",
};

/* "close-wait" or "CLOSE_WAIT" -> the state, or -1 */
static int state_parse(const char *s)
{
	for (int i = 0; i < USTACK_SS_MAX; i++) {
		const char *n = ss_names[i];
		size_t k;

		for (k = 0; n[k] && s[k]; k++) {
			char c = s[k] == '-' ? '_' : s[k];

			if ((c >= 'a' && c <= 'z' ? c - 32 : c) != n[k])
				break;
		}
		if (!n[k] && !s[k])
			return i;
	}
	return -1;
}

/*
 * ADDR:PORT as ss shows it: IPv6 in brackets, an AF_INET6 socket's IPv4
 * address v4-mapped, the unspecified address and port as "*" (IPv4) or
 * "[::]" (IPv6)
 */
static const char *endpoint(const struct ustack_ip *u, uint16_t port,
			    uint8_t family, bool numeric, uint8_t proto,
			    char *buf, size_t len)
{
	static const uint8_t zero[16];
	struct ip_addr a = u->family == 6 ? ip6(u->addr) : ip4(get32(u->addr));
	bool any = !memcmp(u->addr, zero, 16);
	char ip[INET6_ADDRSTRLEN + 2], text[INET6_ADDRSTRLEN];
	struct servent *se;

	if (family == 6 && a.family == IP_V4)
		a = ip_map(&a);
	if (a.family == IP_V6 || family == 6)
		snprintf(ip, sizeof(ip), "[%s]", any ? "::" : ip_ntop(&a, text));
	else
		snprintf(ip, sizeof(ip), "%s", any ? "*" : ip_ntop(&a, text));
	if (port == 0) {
		snprintf(buf, len, "%s:*", ip);
		return buf;
	}
	se = numeric ? NULL : getservbyport(htons(port), proto == 6 ? "tcp" : "udp");
	if (se)
		snprintf(buf, len, "%s:%s", ip, se->s_name);
	else
		snprintf(buf, len, "%s:%u", ip, port);
	return buf;
}

/* "tcp", "tcp6", "udp", "udp6": the protocol and the socket's family */
static const char *proto_name(const struct ustack_netsock *n)
{
	if (n->proto == 6)
		return n->family == 6 ? "tcp6" : "tcp";
	return n->family == 6 ? "udp6" : "udp";
}

static void duration(uint64_t ms, char *buf, size_t len)
{
	if (ms < 10000)
		snprintf(buf, len, "%" PRIu64 ".%01" PRIu64 "s", ms / 1000, ms % 1000 / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", ms / 3600000, ms / 60000 % 60);
}

/* Linux's tcpi_ca_state, by name */
static const char *ca_name(unsigned st)
{
	static const char *const names[] = { "open", "disorder", "cwr",
					     "recovery", "loss" };

	return st < 5 ? names[st] : "?";
}

static void netsock_json(const struct ustack_netsock *n, bool first, bool ext)
{
	char l[64], r[64];

	endpoint(&n->laddr, n->lport, n->family, true, n->proto, l, sizeof(l));
	endpoint(&n->raddr, n->rport, n->family, true, n->proto, r, sizeof(r));
	printf("%s{\"id\": %" PRIu64 ", \"proto\": \"%s\", \"local\": \"%s\", "
	       "\"remote\": \"%s\", \"state\": \"%s\", \"recv_q\": %u, "
	       "\"send_q\": %u, \"timer\": \"%s\", \"timer_ms\": %" PRIu64 ", "
	       "\"state_ms\": %" PRIu64 ", \"pid\": %d, \"uid\": %d, \"comm\": ",
	       first ? "" : ", ", n->id, proto_name(n), l, r,
	       ss_names[n->state], n->recv_q, n->send_q, timer_names[n->timer],
	       n->timer_ms, n->state_ms, n->pid, n->orphan ? -1 : (int)n->uid);
	json_str(n->comm);
	if (n->state == USTACK_SS_LISTEN)
		printf(", \"accept_q\": %u, \"backlog\": %u, \"syn_q\": %u",
		       n->recv_q, n->send_q, n->syn_q);
	if (ext && n->proto == 6)
		printf(", \"cwnd\": %u, \"ssthresh\": %u, \"srtt_us\": %u, "
		       "\"rttvar_us\": %u, \"rto_ms\": %u, \"retransmits\": %u, "
		       "\"total_retrans\": %" PRIu64 ", \"snd_wnd\": %u, "
		       "\"rcv_wnd\": %u, \"snd_mss\": %u, \"rcv_mss\": %u, "
		       "\"user_timeout_ms\": %u, \"options\": %u, "
		       "\"ca_state\": \"%s\"",
		       n->cwnd, n->ssthresh, n->srtt_us, n->rttvar_us, n->rto_ms,
		       n->retransmits, n->total_retrans, n->snd_wnd, n->rcv_wnd,
		       n->snd_mss, n->rcv_mss, n->user_timeout_ms,
		       n->tcp_options, ca_name(n->ca_state));
	printf("}");
}

static void netsock_line(const struct ustack_netsock *n, bool numeric, bool ext)
{
	char l[64], r[64], timer[48], age[16], owner[40], left[16];

	endpoint(&n->laddr, n->lport, n->family, numeric, n->proto, l, sizeof(l));
	endpoint(&n->raddr, n->rport, n->family, numeric, n->proto, r, sizeof(r));
	if (n->timer) {
		duration(n->timer_ms, left, sizeof(left));
		snprintf(timer, sizeof(timer), "%s (%s)", timer_names[n->timer], left);
	} else {
		snprintf(timer, sizeof(timer), "off");
	}
	duration(n->state_ms, age, sizeof(age));
	if (n->orphan)
		snprintf(owner, sizeof(owner), "-");
	else
		snprintf(owner, sizeof(owner), "%d/%s (%u)", n->pid, n->comm, n->uid);
	printf("%-5s %6u %6u  %-21s %-21s %-12s %-20s %7s  %s\n",
	       proto_name(n), n->recv_q, n->send_q, l, r,
	       n->state == USTACK_SS_UNCONN || n->state == USTACK_SS_CONNECTED ?
		       "" : ss_names[n->state],
	       timer, age, owner);
	if (ext && n->proto == 6 && n->state != USTACK_SS_LISTEN) {
		printf("      cwnd %u ssthresh %u srtt %.3fms rttvar %.3fms rto %ums "
		       "retrans %u/%" PRIu64 " wnd %u/%u mss %u/%u",
		       n->cwnd, n->ssthresh, n->srtt_us / 1000.0,
		       n->rttvar_us / 1000.0, n->rto_ms, n->retransmits,
		       n->total_retrans, n->snd_wnd, n->rcv_wnd, n->snd_mss,
		       n->rcv_mss);
		if (n->user_timeout_ms)   /* TCP_USER_TIMEOUT, when set */
			printf(" user-timeout %ums", n->user_timeout_ms);
		/* as ss -i names them */
		for (unsigned b = 0; b < 5; b++)
			if (n->tcp_options & (1u << b))
				printf(" %s", (const char *[]){ "ts", "sack",
					"wscale", "ecn", "ecnseen" }[b]);
		printf(" %s\n", ca_name(n->ca_state));
	}
}

static int cmd_netstat(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "numeric", no_argument, NULL, 'n' },
		{ "extended", no_argument, NULL, 'e' },
		{ "state", required_argument, NULL, 'S' },
		{ "port", required_argument, NULL, 'P' },
		{ 0 },
	};
	struct ustack_list_req lq = { 0 };
	unsigned per_state[USTACK_SS_MAX] = { 0 }, shown = 0, tcp = 0, udp = 0;
	bool numeric = false, ext = false;
	int want_state = -1, want_port = -1, opt;
	uint32_t total;

	while (cmd_opts(argc, argv, netstat_usage, "ne", lo, &opt) != -1) {
		char *end;

		switch (opt) {
		case 'n':
			numeric = true;
			break;
		case 'e':
			ext = true;
			break;
		case 'S':
			want_state = state_parse(optarg);
			if (want_state < 0)
				die(EXIT_USAGE, "netstat: unknown state '%s' (see --help)", optarg);
			break;
		case 'P':
			want_port = (int)strtol(optarg, &end, 10);
			if (*end || want_port < 0 || want_port > 65535)
				die(EXIT_USAGE, "netstat: bad port '%s'", optarg);
			break;
		}
	}
	no_more_args(argc, argv, netstat_usage);
	if (json)
		printf("{\"sockets\": [");
	else
		printf("%-5s %6s %6s  %-21s %-21s %-12s %-20s %7s  %s\n", "Proto",
		       "Recv-Q", "Send-Q", "Local Address", "Foreign Address",
		       "State", "Timer", "Age", "PID/Program (UID)");
	do {
		const struct ustack_list_reply *lr =
			call(USTACK_MSG_NETSTAT, &lq, sizeof(lq), -1, NULL, "netstat");
		const struct ustack_netsock *n = (const void *)(lr + 1);

		total = lr->total;
		for (unsigned i = 0; i < lr->count; i++) {
			if (n[i].state >= USTACK_SS_MAX || n[i].timer >= USTACK_TIMER_MAX)
				continue;
			if (want_state >= 0 && n[i].state != want_state)
				continue;
			if (want_port >= 0 && n[i].lport != want_port &&
			    n[i].rport != want_port)
				continue;
			if (json)
				netsock_json(&n[i], !shown, ext);
			else
				netsock_line(&n[i], numeric, ext);
			per_state[n[i].state]++;
			if (n[i].proto == 6)
				tcp++;
			else
				udp++;
			shown++;
		}
		lq.start += lr->count;
		if (!lr->count)
			break;
	} while (lq.start < total);
	if (json) {
		printf("], \"summary\": {\"total\": %u, \"tcp\": %u, \"udp\": %u", shown, tcp, udp);
		for (int i = 0; i < USTACK_SS_MAX; i++)
			if (per_state[i])
				printf(", \"%s\": %u", ss_names[i], per_state[i]);
		printf("}}\n");
		return EXIT_OK;
	}
	printf("%u socket%s: tcp %u, udp %u", shown, shown == 1 ? "" : "s", tcp, udp);
	for (int i = 0; i < USTACK_SS_MAX; i++)
		if (per_state[i] && i != USTACK_SS_UNCONN && i != USTACK_SS_CONNECTED)
			printf(", %s %u", ss_names[i], per_state[i]);
	printf("\n");
	return EXIT_OK;
}

/* ---- kill ------------------------------------------------------------- */

static const char kill_usage[] =
	"Usage: ustackctl kill --local ADDR:PORT --remote ADDR:PORT [--json]\n"
	"       ustackctl kill ID\n"
	"ADDR:PORT is A.B.C.D:PORT or [IPV6]:PORT (a dual-stack socket's IPv4\n"
	"connection as [::ffff:A.B.C.D]:PORT or A.B.C.D:PORT).\n"
	"Abort a TCP connection now with a reset, as SO_LINGER {1, 0} would:\n"
	"the peer reads ECONNRESET, the local program ECONNABORTED, and the\n"
	"address pair is free at once (no TIME_WAIT). ID is the id shown by\n"
	"netstat --json. Needs root or the admin group.\n";

/* "A.B.C.D:PORT" or "[IPV6]:PORT". Return: 0, or -1 */
static int parse_endpoint(const char *s, struct ustack_ip *a, uint16_t *port)
{
	char buf[64], *colon, *end, *ip = buf;
	unsigned long p;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (buf[0] == '[') {
		if (colon[-1] != ']')
			return -1;
		colon[-1] = '\0';
		ip = buf + 1;
	}
	p = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p == 0 || p > 65535 ||
	    ustack_ip_pton(ip, a) || (ip == buf && a->family != 4) ||
	    (ip != buf && a->family != 6))
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "local", required_argument, NULL, 'L' },
		{ "remote", required_argument, NULL, 'R' },
		{ 0 },
	};
	struct ustack_kill_req kr = { 0 };
	const struct ustack_kill_reply *rep;
	bool local = false, remote = false;
	int opt;

	while (cmd_opts(argc, argv, kill_usage, NULL, lo, &opt) != -1) {
		if (opt == 'L') {
			if (parse_endpoint(optarg, &kr.laddr, &kr.lport))
				die(EXIT_USAGE, "kill: bad --local '%s' (A.B.C.D:PORT or [IPV6]:PORT)", optarg);
			local = true;
		} else if (opt == 'R') {
			if (parse_endpoint(optarg, &kr.raddr, &kr.rport))
				die(EXIT_USAGE, "kill: bad --remote '%s' (A.B.C.D:PORT or [IPV6]:PORT)", optarg);
			remote = true;
		}
	}
	if (optind < argc) {
		char *end;

		kr.id = strtoull(argv[optind++], &end, 10);
		if (*end || !kr.id)
			die(EXIT_USAGE, "kill: bad socket id '%s'", argv[optind - 1]);
	}
	no_more_args(argc, argv, kill_usage);
	if (!kr.id && !(local && remote))
		die(EXIT_USAGE, "kill: give --local and --remote, or a socket ID");
	if (kr.id && (local || remote))
		die(EXIT_USAGE, "kill: give a socket ID or the addresses, not both");
	rep = call(USTACK_MSG_KILL, &kr, sizeof(kr), -1, NULL, "kill");
	if (json)
		printf("{\"killed\": %u}\n", rep->killed);
	else
		printf("killed %u connection%s\n", rep->killed, rep->killed == 1 ? "" : "s");
	return rep->killed ? EXIT_OK : EXIT_REFUSED;
}

/* ---- dns -------------------------------------------------------------- */

static const char dns_usage[] =
	"Usage: ustackctl dns [--json]\n"
	"The DNS servers and search domains of the interface, with the lifetime\n"
	"left: the configured ones (dns = ADDR), router advertisements' RDNSS and\n"
	"DNSSL (RFC 8106), then the DHCP lease's servers (option 6) and domain\n"
	"(option 15). Programs' queries to resolv.conf's nameservers are answered\n"
	"from these servers, in this order (ustackd(8), NAMES); the last lines\n"
	"(\"stub\") are the nameservers those queries go to.\n";

static int cmd_dns(int argc, char **argv)
{
	const struct ustack_list_reply *lr;
	const struct ustack_dns *d;
	char link[64], ip[IP_STRLEN], left[16];
	int opt;

	while (cmd_opts(argc, argv, dns_usage, NULL, NULL, &opt) != -1)
		;
	no_more_args(argc, argv, dns_usage);
	link_name(link, sizeof(link));
	lr = call(USTACK_MSG_DNS_LIST, NULL, 0, -1, NULL, "dns");
	d = (const void *)(lr + 1);
	if (json)
		printf("{\"interfaces\": [{\"name\": ");
	if (json)
		json_str(link);
	for (int search = 0; search < 3; search++) {
		bool first = true;

		if (json)
			printf(", \"%s\": [", search == 2 ? "stub_answers_for" :
			       search ? "search" : "servers");
		for (unsigned i = 0; i < lr->count; i++) {
			static const uint8_t v4mapped[12] = { [10] = 0xff,
							      [11] = 0xff };
			struct ustack_ip u = { .family = 6 };
			const char *what;

			if (d[i].search != search)
				continue;
			memcpy(u.addr, d[i].addr, 16);
			/* DHCP's IPv4 servers come v4-mapped */
			if (!memcmp(u.addr, v4mapped, 12)) {
				u.family = 4;
				memmove(u.addr, u.addr + 12, 4);
			}
			what = search == 1 ? d[i].name : ustack_ip_ntop(&u, ip);
			if (json && search == 2) {
				printf("%s", first ? "" : ", ");
				json_str(what);
			} else if (json) {
				printf("%s{\"%s\": ", first ? "" : ", ",
				       search ? "domain" : "server");
				json_str(what);
				printf(", \"lifetime_s\": %lld}",
				       d[i].left_s == UINT32_MAX ? -1LL :
				       (long long)d[i].left_s);
			} else {
				printf("%-6s %-7s %-40s %10s\n", search == 2 ? "-" : link,
				       search == 2 ? "stub" : search ? "search" : "server",
				       what, search == 2 ? "resolv.conf" :
				       lifetime_str(d[i].left_s, left, sizeof(left)));
			}
			first = false;
		}
		if (json)
			printf("]");
	}
	if (json)
		printf("}]}\n");
	return EXIT_OK;
}

/* ---- maddr ------------------------------------------------------------ */

static const char maddr_usage[] =
	"Usage: ustackctl maddr [--json]\n"
	"The multicast groups the link listens to, with the filter it reports\n"
	"(IGMP for IPv4, MLD for IPv6: EXCLUDE {} for any source, INCLUDE with\n"
	"sources) and its members, then every socket's membership with its owner\n"
	"(command, pid, uid).\n";

/* "EXCLUDE {}" or "INCLUDE {a, b}" */
static void maddr_filter(const struct ustack_maddr *m, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s {", m->include ? "INCLUDE" :
				    "EXCLUDE");

	for (unsigned i = 0; i < m->nsrc && i < USTACK_MADDR_SOURCES && n < len; i++) {
		struct ustack_ip u = { .family = 4 };
		char ip[IP_STRLEN];

		memcpy(u.addr, m->src[i], 4);
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      ustack_ip_ntop(&u, ip));
	}
	if (n < len)
		snprintf(buf + n, len - n, "}");
}

static void maddr_show(const struct ustack_maddr *m, const char *link,
		       bool first)
{
	char ip[IP_STRLEN], filter[256], who[64];
	const char *proto = m->group.family == 4 ? "IGMP" : "MLD";

	ustack_ip_ntop(&m->group, ip);
	if (json) {
		printf("%s{\"group\": \"%s\", \"family\": %u, \"interface\": ",
		       first ? "" : ", ", ip, m->group.family);
		json_str(dev_name(m->ifindex, link));
		printf(", \"filter\": \"%s\", \"sources\": [",
		       m->include ? "include" : "exclude");
		for (unsigned i = 0; i < m->nsrc && i < USTACK_MADDR_SOURCES; i++) {
			struct ustack_ip u = { .family = 4 };

			memcpy(u.addr, m->src[i], 4);
			printf("%s\"%s\"", i ? ", " : "", ustack_ip_ntop(&u, ip));
		}
		if (!m->pid)
			printf("], \"link\": true, \"protocol\": \"%s\", "
			       "\"version\": %u, \"users\": %u}", proto,
			       m->version, m->users);
		else {
			printf("], \"link\": false, \"pid\": %d, \"uid\": %u, "
			       "\"comm\": ", m->pid, m->uid);
			json_str(m->pid > 0 ? m->comm : "-");
			printf("}");
		}
		return;
	}
	maddr_filter(m, filter, sizeof(filter));
	if (!m->pid)
		snprintf(who, sizeof(who), "%u  the link (%sv%u)", m->users,
			 proto, m->version);
	else if (m->pid > 0)
		snprintf(who, sizeof(who), "-  %.16s pid %d uid %u", m->comm,
			 m->pid, m->uid);
	else
		snprintf(who, sizeof(who), "-  (no owner)");
	printf("%-26s %-8s %-24s %s\n", ip, dev_name(m->ifindex, link), filter,
	       who);
}

static int cmd_maddr(int argc, char **argv)
{
	struct ustack_list_req lq = { 0 };
	unsigned shown = 0, total;
	char link[64];
	int opt;

	while (cmd_opts(argc, argv, maddr_usage, NULL, NULL, &opt) != -1)
		;
	no_more_args(argc, argv, maddr_usage);
	link_name(link, sizeof(link));
	if (json)
		printf("{\"groups\": [");
	else
		printf("%-26s %-8s %-24s %s\n", "GROUP", "IFACE", "FILTER",
		       "USERS  WHO");
	do {
		const struct ustack_list_reply *lr =
			call(USTACK_MSG_MADDR_LIST, &lq, sizeof(lq), -1, NULL,
			     "maddr");
		const struct ustack_maddr *m = (const void *)(lr + 1);

		total = lr->total;
		for (unsigned i = 0; i < lr->count; i++, shown++)
			maddr_show(&m[i], link, !shown);
		lq.start += lr->count;
		if (!lr->count)
			break;
	} while (lq.start < total);
	if (json)
		printf("]}\n");
	return EXIT_OK;
}

/* ---- version ---------------------------------------------------------- */

static const char version_usage[] =
	"Usage: ustackctl version [--json]\n"
	"The daemon's version, protocol and pid.\n";

static int cmd_version(int argc, char **argv)
{
	const struct ustack_hello_reply *h;
	int opt;

	while (cmd_opts(argc, argv, version_usage, NULL, NULL, &opt) != -1)
		;
	no_more_args(argc, argv, version_usage);
	h = call(USTACK_MSG_HELLO, NULL, 0, -1, NULL, "version");
	if (json)
		printf("{\"version\": \"%.31s\", \"protocol\": %u, \"pid\": %u}\n",
		       h->version, h->proto_version, h->pid);
	else
		printf("ustackd %.31s, protocol %u, pid %u\n", h->version,
		       h->proto_version, h->pid);
	return EXIT_OK;
}

/* ---- main ------------------------------------------------------------- */

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "netstat", cmd_netstat, "every socket: state, queues, timers, owner" },
	{ "ss", cmd_netstat, "the same as netstat" },
	{ "kill", cmd_kill, "abort a connection now with a reset" },
	{ "stats", cmd_stats, "every counter, memory against its budget" },
	{ "neigh", cmd_neigh, "the neighbour cache (ARP, IPv6 ND)" },
	{ "route", cmd_route, "show, add, del routes" },
	{ "addr", cmd_addr, "show, add, del addresses" },
	{ "dns", cmd_dns, "DNS servers and domains: configured, router advertisements', DHCP's" },
	{ "maddr", cmd_maddr, "multicast groups joined, and by whom" },
	{ "config", cmd_config, "the running configuration" },
	{ "capture", cmd_capture, "start FILE | stop: pcap of everything on the link" },
	{ "ping", cmd_ping, "ICMP echo sent by the stack itself" },
	{ "version", cmd_version, "the daemon's version and pid" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ustackctl [--socket PATH] COMMAND [ARGS] [--json]\n"
		"Look into ustackd and steer it. Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(out,
		"Options:\n"
		"  -s, --socket PATH  ustackd's control socket (default $USTACK_SOCKET,\n"
		"                     else " USTACK_DEFAULT_SOCKET ")\n"
		"  -j, --json         one JSON object on stdout (keys in ustackctl(8))\n"
		"  -h, --help         this text; COMMAND --help for a command's\n"
		"Exit status: 0 ok, 1 refused or failed, 2 usage, 3 ustackd unreachable.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	sock_path = getenv("USTACK_SOCKET");
	if (!sock_path || !*sock_path)
		sock_path = USTACK_DEFAULT_SOCKET;
	while ((c = getopt_long(argc, argv, "+s:jh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		argc -= optind;
		argv += optind;
		optind = 0;	/* glibc: start getopt afresh on the command's argv */
		/* --help needs no daemon: parse it before connecting */
		for (int k = 1; k < argc && strcmp(argv[k], "--"); k++)
			if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h"))
				return commands[i].fn(argc, argv);
		conn_open();
		return commands[i].fn(argc, argv);
	}
	fprintf(stderr, "ustackctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
