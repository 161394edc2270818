/* SPDX-License-Identifier: MIT */
/*
 * names.c - name lookups as if ustack's addresses were the host's
 *
 * Theory of operation. glibc's getaddrinfo() decides AI_ADDRCONFIG from
 * the kernel's addresses, which it reads over netlink (__check_pf()): a
 * program under ustack-run would get the answers the host's kernel
 * deserves, not ustack's. So libustack-preload defines getaddrinfo(): with
 * AI_ADDRCONFIG it asks the daemon for its addresses (USTACK_MSG_ADDR_LIST,
 * which needs no privilege) and makes glibc's decision from them, with
 * glibc's rule: IPv4 counts when an address other than 127.0.0.1 exists,
 * IPv6 when one other than ::1 does (link-local ones count); with neither,
 * nothing is filtered; a family asked for and missing is EAI_NONAME.
 * libc's own lookup then runs without AI_ADDRCONFIG for the families
 * kept. The order of the results (RFC 6724, glibc's rfc3484_sort) is
 * ustack's already: glibc learns each destination's source address by
 * connect() and getsockname() on a UDP socket it opens itself, and the
 * seccomp trap (trap.c) or ustack-run's supervisor (supervise.c) makes
 * those sockets ustack's, so unreachable
 * destinations sort last (Rule 1) and the scopes, labels and precedences
 * are those of ustack's source addresses. What glibc still reads from the
 * kernel is each source address's flags (deprecated, temporary), which
 * only break ties between otherwise equal candidates (Rules 3 and 7).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "client.h"
#include "ustack_proto.h"

/**
 * ust_addr_families() - which families ustack has addresses of, as
 * glibc's __check_pf() counts them
 * @v4: set if it has an IPv4 address other than 127.0.0.1
 * @v6: set if it has an IPv6 address other than ::1
 *
 * Return: 0, or -errno (the daemon cannot be asked)
 */
int ust_addr_families(bool *v4, bool *v6)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 }, lo6[16] = { [15] = 1 };
	struct ustack_addr a[UST_ADDR_MAX];
	unsigned n;
	int rc = ust_addr_list(a, UST_ADDR_MAX, &n);

	*v4 = *v6 = false;
	if (rc)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		if (a[i].addr.family == 4 && memcmp(a[i].addr.addr, lo4, 4))
			*v4 = true;
		else if (a[i].addr.family == 6 && memcmp(a[i].addr.addr, lo6, 16))
			*v6 = true;
	}
	return 0;
}

/**
 * ust_addrconfig() - AI_ADDRCONFIG decided from ustack's addresses
 * @family: the hints' ai_family
 * @out: set to the family libc's lookup is to be asked for
 *
 * Return: 0 (look up @out without AI_ADDRCONFIG), 1 (the daemon cannot be
 * asked: leave the lookup to libc as it is), or -1 (a family asked for
 * that ustack has no address of: EAI_NONAME)
 */
int ust_addrconfig(int family, int *out)
{
	bool v4, v6;

	*out = family;
	if (ust_addr_families(&v4, &v6))
		return 1;
	if (family == AF_UNSPEC && (v4 || v6)) {
		if (!v4)
			*out = AF_INET6;
		else if (!v6)
			*out = AF_INET;
	} else if ((family == AF_INET && !v4) || (family == AF_INET6 && !v6)) {
		return -1;
	}
	return 0;
}
