/* SPDX-License-Identifier: MIT */
/*
 * ifaddrs - the addresses a program finds are those its sockets have:
 * getifaddrs(), an rtnetlink RTM_GETADDR dump read as dnsmasq reads it
 * (MSG_PEEK|MSG_TRUNC to learn the size, then the read; every message's
 * attributes, sequence number and port id; NLMSG_DONE), and the interface
 * ioctls (SIOCGIFCONF with and without a buffer, SIOCGIFADDR,
 * SIOCGIFNETMASK, SIOCGIFBRDADDR for the link, lo and a name no interface
 * has). The link is printed as "link" (its name differs between the runs:
 * INET6_IF gives it); IPv6 link-local addresses are counted, not printed
 * (each stack makes its own). Then a UDP socket binds to every IPv4 address
 * found, as a server that listens on each of them does.
 *   INET6_IF=DEV ifaddrs PEER SELF PEER6 SELF6
 */
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

static const char *link_name;

static const char *nice_name(const char *n)
{
	return !strcmp(n, link_name) ? "link" : !strcmp(n, "lo") ? "lo" : "other";
}

static const char *nice_index(unsigned idx)
{
	char n[IFNAMSIZ];

	return if_indextoname(idx, n) ? nice_name(n) : "none";
}

static const char *ip_of(const struct sockaddr *sa, char *buf, size_t len)
{
	if (!sa)
		return "-";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  buf, (socklen_t)len);
	else
		snprintf(buf, len, "family %d", sa->sa_family);
	return buf;
}

static int is_ll6(const struct sockaddr *sa)
{
	const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

	return sa->sa_family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static void show_getifaddrs(void)
{
	struct ifaddrs *ifa0, *ifa;
	int ll = 0;
	char a[64], m[64], b[64];

	if (getifaddrs(&ifa0)) {
		line("getifaddrs: %s", errname(errno));
		return;
	}
	for (ifa = ifa0; ifa; ifa = ifa->ifa_next) {
		int fam = ifa->ifa_addr ? ifa->ifa_addr->sa_family : 0;

		if (fam != AF_INET && fam != AF_INET6)
			continue;
		if (is_ll6(ifa->ifa_addr)) {
			ll++;
			continue;
		}
		line("getifaddrs: %s %s %s mask %s brd %s", nice_name(ifa->ifa_name),
		     fam == AF_INET ? "inet" : "inet6", ip_of(ifa->ifa_addr, a, 64),
		     ip_of(ifa->ifa_netmask, m, 64),
		     fam == AF_INET && ifa->ifa_flags & IFF_BROADCAST ?
		     ip_of(ifa->ifa_broadaddr, b, 64) : "-");
	}
	line("getifaddrs: %d IPv6 link-local address(es)", ll);
	freeifaddrs(ifa0);
}

static const char *attr_name(unsigned t)
{
	switch (t) {
	case IFA_ADDRESS: return "ADDRESS";
	case IFA_LOCAL: return "LOCAL";
	case IFA_LABEL: return "LABEL";
	case IFA_BROADCAST: return "BROADCAST";
	case IFA_CACHEINFO: return "CACHEINFO";
	case IFA_FLAGS: return "FLAGS";
	case 11: return "PROTO";   /* IFA_PROTO, Linux 6.1 */
	}
	return "other";
}

/* One RTM_NEWADDR, its link-local IPv6 ones only counted */
static void show_newaddr(const struct nlmsghdr *h, int *ll)
{
	const struct ifaddrmsg *m = NLMSG_DATA(h);
	const struct rtattr *a = IFA_RTA(m);
	int left = (int)IFA_PAYLOAD(h);
	char attrs[256] = "", ip[64] = "?", label[IFNAMSIZ + 8] = "";
	uint32_t flags = m->ifa_flags;

	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		size_t l = strlen(attrs);

		snprintf(attrs + l, sizeof(attrs) - l, " %s", attr_name(a->rta_type));
		if (a->rta_type == IFA_ADDRESS)
			inet_ntop(m->ifa_family, RTA_DATA(a), ip, sizeof(ip));
		if (a->rta_type == IFA_LABEL)
			snprintf(label, sizeof(label), " label %s",
				 nice_name(RTA_DATA(a)));
		if (a->rta_type == IFA_FLAGS)
			memcpy(&flags, RTA_DATA(a), 4);
	}
	if (m->ifa_family == AF_INET6 && !strncmp(ip, "fe80:", 5)) {
		(*ll)++;
		return;
	}
	line("dump: %s/%u scope %u %s%s permanent %d attrs%s",
	     ip, m->ifa_prefixlen, m->ifa_scope, nice_index(m->ifa_index), label,
	     !!(flags & IFA_F_PERMANENT), attrs);
}

/* An RTM_GETADDR dump of @family read as dnsmasq's netlink_recv() reads */
static void show_dump(int family)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
		       .nlmsg_type = RTM_GETADDR,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 4242 + (unsigned)family },
		.g = { .rtgen_family = (unsigned char)family },
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK }, me;
	socklen_t ml = sizeof(me);
	size_t cap = 16;
	char *buf = malloc(cap);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int parts = 0, ll = 0, done = 0, badseq = 0, badpid = 0, grew = 0;

	if (fd < 0 || !buf) {
		line("dump %d: socket %s", family, errname(errno));
		free(buf);
		return;
	}
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0) {
		line("dump %d: sendto %s", family, errname(errno));
		goto out;
	}
	getsockname(fd, (struct sockaddr *)&me, &ml);
	while (!done) {
		struct iovec iov = { buf, cap };
		struct sockaddr_nl from;
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, MSG_PEEK | MSG_TRUNC);
		size_t left;

		if (n < 0) {
			line("dump %d: peek %s", family, errname(errno));
			goto out;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			char *nb = realloc(buf, (size_t)n);

			if (!nb)
				goto out;
			buf = nb;
			cap = (size_t)n;
			grew++;
			continue;
		}
		msg.msg_namelen = sizeof(from);
		n = recvmsg(fd, &msg, 0);
		if (n < 0 || from.nl_family != AF_NETLINK || from.nl_pid) {
			line("dump %d: read %s", family, n < 0 ? errname(errno)
							       : "not from the kernel");
			goto out;
		}
		parts++;
		left = (size_t)n;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			badseq += h->nlmsg_seq != req.h.nlmsg_seq;
			badpid += h->nlmsg_pid != me.nl_pid;
			if (h->nlmsg_type == NLMSG_DONE)
				done = 1;
			else if (h->nlmsg_type == RTM_NEWADDR)
				show_newaddr(h, &ll);
			else
				line("dump %d: message type %u", family, h->nlmsg_type);
		}
	}
	line("dump %d: done, %d IPv6 link-local, %s sequence numbers, %s port ids, "
	     "peek %s", family, ll, badseq ? "wrong" : "right",
	     badpid ? "wrong" : "right", grew ? "said MSG_TRUNC" : "never truncated");
	line("dump %d: %s after it", family,
	     recv(fd, buf, cap, MSG_DONTWAIT) < 0 ? errname(errno) : "more");
out:
	free(buf);
	close(fd);
}

static void show_ioctls(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifconf ifc = { 0 };
	struct ifreq rs[16];
	char ip[64];
	static const unsigned long reqs[] = { SIOCGIFADDR, SIOCGIFNETMASK,
					      SIOCGIFBRDADDR };
	static const char *const rn[] = { "SIOCGIFADDR", "SIOCGIFNETMASK",
					  "SIOCGIFBRDADDR" };
	const char *names[] = { link_name, "lo", "nosuch0" };

	if (ioctl(s, SIOCGIFCONF, &ifc) < 0)
		line("SIOCGIFCONF size: %s", errname(errno));
	else
		line("SIOCGIFCONF size: %d entries", ifc.ifc_len / (int)sizeof(rs[0]));
	ifc.ifc_len = sizeof(rs);
	ifc.ifc_req = rs;
	if (ioctl(s, SIOCGIFCONF, &ifc) < 0)
		line("SIOCGIFCONF: %s", errname(errno));
	for (int i = 0; i < ifc.ifc_len / (int)sizeof(rs[0]); i++)
		line("SIOCGIFCONF: %s %s", nice_name(rs[i].ifr_name),
		     ip_of(&rs[i].ifr_addr, ip, sizeof(ip)));
	ifc.ifc_len = sizeof(rs[0]);
	report("SIOCGIFCONF with room for one", ioctl(s, SIOCGIFCONF, &ifc));
	line("SIOCGIFCONF with room for one: %d entries",
	     ifc.ifc_len / (int)sizeof(rs[0]));
	for (size_t n = 0; n < 3; n++)
		for (size_t r = 0; r < 3; r++) {
			struct ifreq q;

			memset(&q, 0, sizeof(q));
			snprintf(q.ifr_name, IFNAMSIZ, "%s", names[n]);
			if (ioctl(s, reqs[r], &q) < 0)
				line("%s %s: %s", rn[r], nice_name(names[n]),
				     errname(errno));
			else
				line("%s %s: %s", rn[r], nice_name(names[n]),
				     ip_of(&q.ifr_addr, ip, sizeof(ip)));
		}
	close(s);
}

/* A UDP socket bound to each IPv4 address getifaddrs() gives */
static void bind_each(void)
{
	struct ifaddrs *ifa0, *ifa;
	char a[64];

	if (getifaddrs(&ifa0))
		return;
	for (ifa = ifa0; ifa; ifa = ifa->ifa_next) {
		int s;

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET)
			continue;
		s = socket(AF_INET, SOCK_DGRAM, 0);
		line("bind to %s's %s: %s", nice_name(ifa->ifa_name),
		     ip_of(ifa->ifa_addr, a, sizeof(a)),
		     errname(bind(s, ifa->ifa_addr, sizeof(struct sockaddr_in)) ?
			     errno : 0));
		close(s);
	}
	freeifaddrs(ifa0);
}

int main(int argc, char **argv)
{
	link_name = getenv("INET6_IF");
	if (argc < 5 || !link_name) {
		fprintf(stderr, "usage: INET6_IF=DEV ifaddrs PEER SELF PEER6 SELF6\n");
		return 2;
	}
	show_getifaddrs();
	show_dump(AF_UNSPEC);
	show_dump(AF_INET);
	show_dump(AF_INET6);
	show_ioctls();
	bind_each();
	return 0;
}
