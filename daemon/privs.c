/* SPDX-License-Identifier: MIT */
/*
 * privs.c - become an unprivileged user once the privileged work is done
 *
 * Opening a TAP or a pcap handle needs CAP_NET_ADMIN / CAP_NET_RAW; using
 * the open descriptor needs nothing. So, with --user NAME, the daemon opens
 * its link, capture file and control socket as root, then takes NAME's
 * uid, gid and supplementary groups. Changing every uid away from 0 clears
 * all capabilities (we never set PR_SET_KEEPCAPS), and PR_SET_NO_NEW_PRIVS
 * keeps exec from granting any back. The drop is then verified: regaining
 * uid 0 must fail.
 */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/**
 * privs_lookup() - resolve the user to become, before anything is opened
 * @user: user name
 * @t: filled in
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * Return: 0, or -1
 */
int privs_lookup(const char *user, struct privs_target *t, char *err,
		 size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user '%s': %s", user,
			 errno ? strerror(errno) : "no such user");
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%s", user);
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	return 0;
}

/**
 * privs_drop() - become @t for good, keeping no capability
 * @t: the user
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * Return: 0, or -1 (the caller must exit: it may still be privileged)
 */
int privs_drop(const struct privs_target *t, char *err, size_t errlen)
{
	if (initgroups(t->name, t->gid) || setresgid(t->gid, t->gid, t->gid) ||
	    setresuid(t->uid, t->uid, t->uid)) {
		snprintf(err, errlen, "becoming user %s: %s", t->name,
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	if (t->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "could regain root after dropping it");
		return -1;
	}
	return 0;
}
