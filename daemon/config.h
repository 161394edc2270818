/* SPDX-License-Identifier: MIT */
/* config.h - ustackd's options and ustackd.conf: one table, see config.c */
#ifndef USTACK_CONFIG_H
#define USTACK_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/un.h>

#include "link/impair.h"
#include "stack.h"

struct daemon_config {
	char tap[IFNAMSIZ];
	char pcap[IFNAMSIZ];
	struct stack_config stack;
	bool mac_set;
	bool secret_set;        /* ipv6-stable-secret given */
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned socket_mode;
	char socket_group[64];
	unsigned sockets_per_uid;
	size_t socket_mem_per_uid;
	bool foreground;
	bool offload;           /* a TAP's offloads (link_set_offload()) */
	int log_level;
	char capture[PATH_MAX];
	struct impair_config impair;
	char config_file[PATH_MAX];
	bool print_config;
	char user[64];
	char admin_group[64];
	uint64_t dhcp_timeout;  /* ns to wait for a lease before "ready" */
	char dhcp_lease_file[PATH_MAX];
};

/* Called for each setting that differs; @live: applied without restart */
typedef void config_changed_fn(const char *name, bool live, void *arg);

enum config_result { CONFIG_RUN, CONFIG_EXIT_OK, CONFIG_EXIT_USAGE, CONFIG_EXIT_ERR };

int config_parse_args(struct daemon_config *cfg, int argc, char **argv);
int config_finish(struct daemon_config *cfg, char *err, size_t errlen);
void config_print(const struct daemon_config *cfg, FILE *out);
void config_usage(FILE *out);
void config_apply_live(struct daemon_config *cur,
		       const struct daemon_config *from);
void config_diff(const struct daemon_config *old, const struct daemon_config *cur,
		 config_changed_fn *changed, void *arg);

#endif
