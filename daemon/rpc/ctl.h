/* SPDX-License-Identifier: MIT */
/* ctl.h - the daemon's control socket: see ctl.c */
#ifndef USTACK_CTL_H
#define USTACK_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct ctl;
struct socktab;

struct ctl_stats {
	uint64_t accepted;        /* connections accepted */
	uint64_t refused_full;    /* closed at once: too many clients */
	uint64_t accept_backoff;  /* accept paused: out of descriptors */
	uint64_t requests;        /* requests answered */
	uint64_t bad_framing;     /* clients disconnected: broken framing */
	uint64_t bad_request;     /* error replies to invalid requests */
	uint64_t send_fail;       /* clients disconnected: reply not taken */
};

#define CTL_MAX_CLIENTS 1024

struct ctl *ctl_open(struct event_base *base, const char *path, mode_t mode,
		     char *err, size_t errlen);
void ctl_close(struct ctl *c);
void ctl_set_socktab(struct ctl *c, struct socktab *t);
int ctl_chgrp(struct ctl *c, const char *group, char *err, size_t errlen);
const struct ctl_stats *ctl_get_stats(const struct ctl *c);
unsigned ctl_clients(const struct ctl *c);

#endif
