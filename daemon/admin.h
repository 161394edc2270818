/* SPDX-License-Identifier: MIT */
/* admin.h - ustackctl's requests, answered by the daemon: see admin.c */
#ifndef USTACK_ADMIN_DAEMON_H
#define USTACK_ADMIN_DAEMON_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct admin;

struct admin *admin_new(struct daemon *d);
void admin_free(struct admin *a);
void admin_echo_reply(void *ctx, uint32_t src, uint16_t id, uint16_t seq,
		      size_t len, uint8_t ttl);

#endif
