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
#include <getopt.h>
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

static const char *addr_prefix(uint32_t a, unsigned prefix, char *buf)
{
	char ip[16];

	sprintf(buf, "%s/%u", ipv4_ntop(a, ip), prefix);
	return buf;
}

static int parse_prefix(const char *s, uint32_t *addr, uint8_t *prefix)
{
	char ip[32], *slash, *end;
	unsigned long n;

	snprintf(ip, sizeof(ip), "%s", s);
	slash = strchr(ip, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || n > 32 || ipv4_pton(ip, addr))
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
	"path), memory in use per kind of object against its bound, and the\n"
	"link, impairment and control-socket counters.\n"
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
		bool mem = !strcmp(c[i].group, "mem");

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
	"The neighbour (ARP) cache: address, MAC, state, age, packets waiting.\n";

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
		printf("%-16s %-18s %-11s %10s %7s\n", "ADDRESS", "MAC", "STATE",
		       "AGE", "QUEUED");
	do {
		const struct ustack_list_reply *lr =
			call(USTACK_MSG_NEIGH_LIST, &lq, sizeof(lq), -1, NULL, "neigh");
		const struct ustack_neigh *n = (const void *)(lr + 1);

		total = lr->total;
		for (unsigned i = 0; i < lr->count; i++, shown++) {
			char ip[16], mac[18], age[32];
			const char *state = n[i].state == 1 ? "incomplete" :
					    n[i].expired ? "stale" : "reachable";

			ipv4_ntop(n[i].ip, ip);
			mac_ntop(n[i].mac, mac);
			if (json) {
				printf("%s{\"ip\": \"%s\", \"mac\": \"%s\", \"state\": \"%s\", "
				       "\"age_ms\": %" PRIu64 ", \"queued\": %u}",
				       shown ? ", " : "", ip, n[i].state == 1 ? "" : mac,
				       state, n[i].age_ms, n[i].queued);
			} else {
				snprintf(age, sizeof(age), "%" PRIu64 ".%01" PRIu64 "s",
					 n[i].age_ms / 1000, n[i].age_ms % 1000 / 100);
				printf("%-16s %-18s %-11s %10s %7u\n", ip,
				       n[i].state == 1 ? "-" : mac, state, age, n[i].queued);
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

/* ---- route ------------------------------------------------------------ */

static const char route_usage[] =
	"Usage: ustackctl route [show] [--json]\n"
	"       ustackctl route add DEST/N [via GATEWAY] [metric M]\n"
	"       ustackctl route del DEST/N\n"
	"The IPv4 routing table; add and del need root or the admin group.\n"
	"DEST/N 0.0.0.0/0 is the default route. Without 'via' the destination\n"
	"is on the link.\n";

static int route_show(void)
{
	struct ustack_list_req lq = { 0 };
	const struct ustack_list_reply *lr =
		call(USTACK_MSG_ROUTE_LIST, &lq, sizeof(lq), -1, NULL, "route");
	const struct ustack_route *r = (const void *)(lr + 1);

	if (json)
		printf("{\"routes\": [");
	else
		printf("%-19s %-16s %6s\n", "DESTINATION", "GATEWAY", "METRIC");
	for (unsigned i = 0; i < lr->count; i++) {
		char dst[32], gw[16];

		addr_prefix(r[i].dst, r[i].prefix, dst);
		if (r[i].gateway)
			ipv4_ntop(r[i].gateway, gw);
		else
			strcpy(gw, json ? "" : "on-link");
		if (json)
			printf("%s{\"dst\": \"%s\", \"gateway\": \"%s\", \"metric\": %u}",
			       i ? ", " : "", dst, gw, r[i].metric);
		else
			printf("%-19s %-16s %6u\n", dst, gw, r[i].metric);
	}
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
	if (optind >= argc || parse_prefix(argv[optind++], &r.dst, &r.prefix))
		die(EXIT_USAGE, "route %s: give DEST/N, like 198.51.100.0/24", verb);
	while (optind < argc) {
		const char *k = argv[optind++];

		if (optind >= argc)
			die(EXIT_USAGE, "route: '%s' needs a value", k);
		if (!strcmp(k, "via") && !strcmp(verb, "add")) {
			if (ipv4_pton(argv[optind++], &r.gateway))
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
	"       ustackctl addr add|del A.B.C.D/N\n"
	"The stack's IPv4 addresses; add and del need root or the admin group.\n";

static int cmd_addr(int argc, char **argv)
{
	struct ustack_addr a = { 0 };
	const char *verb;
	int opt;

	while (cmd_opts(argc, argv, addr_usage, NULL, NULL, &opt) != -1)
		;
	verb = optind < argc ? argv[optind++] : "show";
	if (!strcmp(verb, "show")) {
		const struct ustack_list_reply *lr;
		const struct ustack_addr *ad;

		no_more_args(argc, argv, addr_usage);
		lr = call(USTACK_MSG_ADDR_LIST, NULL, 0, -1, NULL, "addr");
		ad = (const void *)(lr + 1);
		if (json)
			printf("{\"addresses\": [");
		for (unsigned i = 0; i < lr->count; i++) {
			char buf[32];

			addr_prefix(ad[i].addr, ad[i].prefix, buf);
			if (json)
				printf("%s\"%s\"", i ? ", " : "", buf);
			else
				printf("%s\n", buf);
		}
		if (json)
			printf("]}\n");
		return EXIT_OK;
	}
	if (strcmp(verb, "add") && strcmp(verb, "del"))
		die(EXIT_USAGE, "addr: unknown '%s' (show, add, del)", verb);
	if (optind >= argc || parse_prefix(argv[optind++], &a.addr, &a.prefix))
		die(EXIT_USAGE, "addr %s: give A.B.C.D/N, like 192.0.2.3/24", verb);
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
	{ "stats", cmd_stats, "every counter, memory against its budget" },
	{ "neigh", cmd_neigh, "the neighbour (ARP) cache" },
	{ "route", cmd_route, "show, add, del routes" },
	{ "addr", cmd_addr, "show, add, del addresses" },
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
