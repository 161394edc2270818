/* SPDX-License-Identifier: MIT */
/* daemon.h - the state of ustackd, shared by main.c and admin.c */
#ifndef USTACK_DAEMON_H
#define USTACK_DAEMON_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "link/capture.h"
#include "link/impair.h"
#include "link/link.h"
#include "privs.h"
#include "rpc/ctl.h"
#include "stack.h"

#define LINK_BATCH 64

struct daemon {
	struct daemon_config cfg;
	struct stack *stack;
	struct link link;
	struct capture *cap;
	struct impair *imp;
	struct ctl *ctl;
	struct socktab *socks;          /* programs' sockets (rpc/sock.c) */
	struct event_base *base;
	struct event *link_ev, *timer_ev, *sig_ev[3], *watchdog_ev;
	/* giving freed memory back (main.c heap_check()) */
	struct event *trim_ev;
	size_t heap_free;               /* free in the heap after a trim */
	uint64_t heap_trims;
	int argc;
	char **argv;
	struct privs_target user;
	struct admin *admin;
	uint64_t now;
	uint64_t armed;                 /* deadline the timer is set for */
	int ready_fd;                   /* pipe to the waiting parent, or -1 */
	bool waiting_lease;             /* --dhcp: not ready until a lease */
	bool stopping;                  /* SIGTERM while waiting for it */
	bool gso_warned;                /* the link refused a frame of segments */
	bool uso_warned;                /* ... a frame of UDP datagrams */
	uint8_t rxbuf[LINK_FRAME_MAX];
	uint8_t segbuf[LINK_FRAME_MAX]; /* one segment cut by gso_segment() */
};

uint64_t daemon_now(void);
void daemon_settle(struct daemon *d);

#endif
