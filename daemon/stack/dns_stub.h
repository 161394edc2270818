/* SPDX-License-Identifier: MIT */
/*
 * dns_stub.h - the DNS stub that answers programs' queries (dns_stub.c)
 */
#ifndef USTACK_DNS_STUB_H
#define USTACK_DNS_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"
#include "stack.h"

#define DNS_PORT 53
#define MDNS_PORT 5353
#define DNS_STUB_STEER_MAX STACK_DNS_STEER_MAX
#define DNS_STUB_PENDING 64          /* queries in flight at once */
#define DNS_STUB_MSG_MAX 4096        /* a query longer is refused (FORMERR) */

struct stack;
struct udp_sock;

int dns_stub_init(struct stack *s);
size_t dns_stub_size(void);
void dns_stub_fini(struct stack *s);
bool dns_stub_steers(const struct stack *s, const struct udp_sock *us,
		     const struct ip_addr *dst, uint16_t dport,
		     const void *buf, size_t len);
bool dns_stub_tcp_target(struct stack *s, const struct ip_addr *addr,
			 uint16_t port, struct ip_addr *to);
int dns_stub_query(struct stack *s, const void *buf, size_t len,
		   const struct ip_addr *client, uint16_t cport,
		   const struct ip_addr *server);

/* The DNS wire format, as far as the stub reads it (also for the tests) */
int dns_question_end(const uint8_t *m, size_t len);
int dns_read_name(const uint8_t *m, size_t len, size_t o, char *out,
		  size_t outlen);
size_t dns_put_name(uint8_t *m, size_t o, size_t room, const char *host);
#define DNS_OWN_FLUSH 0x1u           /* dns_put_own(): cache-flush bit */
#define DNS_OWN_LINKLOCAL 0x2u       /* ... IPv6 link-local addresses too */
size_t dns_put_own(struct stack *s, uint8_t *m, size_t o, size_t room,
		   uint16_t type, uint16_t name_off, uint32_t ttl,
		   unsigned flags, unsigned *count);
bool dns_name_is_local(const uint8_t *m, size_t len, char *host,
		       size_t hostlen);

#endif
