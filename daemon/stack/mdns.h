/* SPDX-License-Identifier: MIT */
/*
 * mdns.h - the multicast DNS responder for our host name (mdns.c)
 */
#ifndef USTACK_MDNS_H
#define USTACK_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"

struct stack;
struct udp_sock;
struct udp_meta;
struct ip_rx;

int mdns_init(struct stack *s);
size_t mdns_size(void);
void mdns_fini(struct stack *s);
void mdns_start(struct stack *s);
void mdns_addrs_changed(struct stack *s);
bool mdns_input(struct stack *s, const uint8_t *m, size_t len,
		const struct udp_meta *um, const struct ip_rx *rx);
const char *mdns_name(const struct stack *s);
struct ip_addr mdns_group(uint8_t family);
int mdns_socket(struct stack *s, uint8_t family, struct udp_sock **out);

#endif
