/* SPDX-License-Identifier: MIT */
/* privs.h - dropping root after the link is open: see privs.c */
#ifndef USTACK_PRIVS_H
#define USTACK_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct privs_target {
	char name[64];
	uid_t uid;
	gid_t gid;
};

int privs_lookup(const char *user, struct privs_target *t, char *err,
		 size_t errlen);
int privs_drop(const struct privs_target *t, char *err, size_t errlen);

#endif
