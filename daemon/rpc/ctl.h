/* SPDX-License-Identifier: MIT */
/* ctl.h - the daemon's control socket: see ctl.c */
#ifndef USTACK_CTL_H
#define USTACK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct ctl;

struct ctl_stats {
	uint64_t accepted;        /* connections accepted */
	uint64_t refused_full;    /* closed at once: too many clients */
	uint64_t accept_backoff;  /* accept paused: out of descriptors */
	uint64_t requests;        /* requests answered */
	uint64_t bad_framing;     /* clients disconnected: broken framing */
	uint64_t bad_request;     /* error replies to invalid requests */
	uint64_t send_fail;       /* clients disconnected: reply not taken */
	uint64_t act_for;         /* ACT_FOR accepted (the supervisor's) */
	uint64_t sup_refused;     /* calls the supervisor could not serve */
};

#define CTL_MAX_CLIENTS 1024
#define CTL_MAX_HANDLERS 8

struct ustack_msg_hdr;

/* One validated request, as a handler sees it. */
struct ctl_req {
	uint64_t client;                /* id for ctl_reply(), also later */
	const struct ustack_msg_hdr *hdr;
	const void *body;
	size_t len;                     /* body bytes */
	int fd;                         /* passed with SCM_RIGHTS, or -1; a
					 * handler that keeps it sets -1 */
	pid_t pid;
	uid_t uid;
	bool admin;                     /* uid 0 or in the admin group */
};

/* What a handler returns: a negative errno becomes an error reply. */
enum { CTL_REPLIED = 0, CTL_PENDING = 1 };
typedef int ctl_handler_fn(void *arg, struct ctl_req *req);

struct ctl *ctl_open(struct event_base *base, const char *path, mode_t mode,
		     char *err, size_t errlen);
void ctl_close(struct ctl *c);
int ctl_chown(struct ctl *c, uid_t uid, gid_t gid);
int ctl_set_handler(struct ctl *c, uint16_t first, uint16_t last,
		    ctl_handler_fn *fn, void *arg);
void ctl_set_admin_gid(struct ctl *c, gid_t gid);
void ctl_set_link(struct ctl *c, const char *name);
const char *ctl_link(const struct ctl *c);
int ctl_reply(struct ctl *c, uint64_t client, uint16_t type, uint32_t seq,
	      int32_t status, const void *body, size_t len);
int ctl_reply_fd(struct ctl *c, uint64_t client, uint16_t type, uint32_t seq,
		 int32_t status, const void *body, size_t len, int fd);
const struct ctl_stats *ctl_get_stats(const struct ctl *c);
unsigned ctl_clients(const struct ctl *c);

#endif
