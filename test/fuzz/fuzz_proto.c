/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proto.c - libFuzzer target: control messages
 *
 * Theory of operation: the first byte picks what the rest is (bits 1-2)
 * and, for a control message, the side (bit 0: validate as a reply, as a
 * client does; else as a request, as the daemon does). The rest is copied
 * into an allocation of exactly its size so that ASan sees any read past
 * it. For a received control message, ustack_msg_check() must
 *   - never read out of bounds (ASan) nor invoke undefined behaviour;
 *   - accept only what ustack_msg_build() rebuilds byte for byte from the
 *     header fields and body it accepted;
 *   - fill the header whenever it got far enough to read one, and name
 *     each verdict in ustack_check_str().
 * In the other direction, a message that ustack_msg_build() writes from
 * fuzzed fields is never refused for its framing (length, magic, version,
 * flags): only for its type or body size.
 * A datagram-channel message accepted by ustack_dgram_check() has the
 * length it says (with its meta block, whose control-message bits are
 * known ones) and an address ustack_addr_check() accepts; a sockaddr
 * of any bytes and length is read within its length by
 * ustack_addr_from_sockaddr(), and what that accepts comes back the same
 * through ustack_addr_to_sockaddr().
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ustack_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fp_fail(const char *what)
{
	fprintf(stderr, "\nfuzz_proto: broken: %s\n", what);
	abort();
}

#define FP_ASSERT(cond) \
	do { if (!(cond)) fp_fail(#cond); } while (0)

static void fp_check_verdict(int rc)
{
	FP_ASSERT(rc <= USTACK_CHECK_OK && rc >= USTACK_CHECK_FLAGS);
	FP_ASSERT(strcmp(ustack_check_str(rc), "?") != 0);
}

/* Whatever arrived: validated, and if accepted, rebuilt identically. */
static void fp_received(const uint8_t *msg, size_t len, int is_reply)
{
	static uint8_t rebuilt[USTACK_MSG_MAX];
	struct ustack_msg_hdr h;
	size_t n;
	int rc;

	memset(&h, 0xa5, sizeof(h));
	rc = ustack_msg_check(msg, len, is_reply, &h);
	fp_check_verdict(rc);
	if (rc == USTACK_CHECK_SHORT) {
		FP_ASSERT(len < sizeof(h));
		return;
	}
	FP_ASSERT(!memcmp(&h, msg, sizeof(h)));
	if (rc != USTACK_CHECK_OK)
		return;
	FP_ASSERT(h.len == len && len <= USTACK_MSG_MAX);
	FP_ASSERT(!!(h.type & USTACK_MSG_REPLY) == !!is_reply);
	n = ustack_msg_build(rebuilt, sizeof(rebuilt), h.type, h.seq, h.status,
			     msg + sizeof(h), len - sizeof(h));
	FP_ASSERT(n == len);
	FP_ASSERT(!memcmp(rebuilt, msg, len));
}

/* A message built from fuzzed fields is refused only for type or body. */
static void fp_built(const uint8_t *data, size_t size)
{
	static uint8_t buf[USTACK_MSG_MAX];
	struct ustack_msg_hdr h;
	uint16_t type;
	uint32_t seq;
	int32_t status;
	size_t n, body;
	int rc, is_reply;

	if (size < 10)
		return;
	memcpy(&type, data, sizeof(type));
	memcpy(&seq, data + 2, sizeof(seq));
	memcpy(&status, data + 6, sizeof(status));
	body = size - 10;
	n = ustack_msg_build(buf, sizeof(buf), type, seq, status, data + 10,
			     body);
	if (sizeof(h) + body > USTACK_MSG_MAX) {
		FP_ASSERT(n == 0);
		return;
	}
	FP_ASSERT(n == sizeof(h) + body);
	is_reply = !!(type & USTACK_MSG_REPLY);
	rc = ustack_msg_check(buf, n, is_reply, &h);
	fp_check_verdict(rc);
	FP_ASSERT(rc == USTACK_CHECK_OK || rc == USTACK_CHECK_TYPE ||
		  rc == USTACK_CHECK_BODY);
	FP_ASSERT(h.type == type && h.seq == seq && h.status == status);
	/* a reply as a request, or the reverse, is always refused */
	FP_ASSERT(ustack_msg_check(buf, n, !is_reply, &h) == USTACK_CHECK_TYPE);
}

/* sockaddr -> wire -> sockaddr -> wire: the same address twice */
static void fp_sockaddr(const uint8_t *sa, size_t len)
{
	struct ustack_sockaddr ua, ub;
	union {
		struct sockaddr sa;
		struct sockaddr_in6 sin6;
	} out;
	size_t n;
	int rc;

	rc = ustack_addr_from_sockaddr(&ua, (const struct sockaddr *)(const void *)sa,
				       len);
	FP_ASSERT(rc == 0 || rc == -EINVAL || rc == -EAFNOSUPPORT);
	if (rc || ua.family == AF_UNSPEC)
		return;
	FP_ASSERT(ustack_addr_check(&ua) == 0);
	n = ustack_addr_to_sockaddr(&ua, &out.sa, sizeof(out), ua.family);
	FP_ASSERT(n <= sizeof(out));
	FP_ASSERT(ustack_addr_from_sockaddr(&ub, &out.sa, n) == 0);
	FP_ASSERT(!memcmp(&ua, &ub, sizeof(ua)));
}

/* A datagram-channel message: accepted only if it says what it holds. */
static void fp_dgram(const uint8_t *msg, size_t len)
{
	struct ustack_dgram_meta m;
	struct ustack_dgram_hdr h;
	size_t meta;
	int rc = ustack_dgram_check(msg, len, &h);

	/* an unknown address family comes back as ustack_addr_check()'s
	 * -EAFNOSUPPORT */
	FP_ASSERT(rc == 0 || rc == -EINVAL || rc == -EMSGSIZE ||
		  rc == -EAFNOSUPPORT);
	if (rc)
		return;
	FP_ASSERT(!(h.flags & ~USTACK_DG_META) && !h.reserved);
	meta = h.flags & USTACK_DG_META ? sizeof(m) : 0;
	FP_ASSERT(len == sizeof(h) + meta + h.len);
	if (h.kind == USTACK_DG_ERROR) {
		FP_ASSERT(h.len == 0 && h.error > 0 && !meta);
		return;
	}
	FP_ASSERT(h.kind == USTACK_DG_DATA && h.len <= USTACK_DGRAM_MAX);
	FP_ASSERT(ustack_addr_check(&h.addr) == 0);
	if (meta) {
		memcpy(&m, msg + sizeof(h), sizeof(m));
		FP_ASSERT(ustack_meta_check(&m) == 0);
		FP_ASSERT(!(m.cmsg & ~USTACK_CM_ALL) && m.nsec < 1000000000u);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg;

	if (size < 1 || size - 1 > USTACK_MSG_MAX + 16)
		return 0;
	msg = malloc(size - 1 ? size - 1 : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 1, size - 1);
	switch (data[0] >> 1 & 3) {
	case 0:
		fp_received(msg, size - 1, data[0] & 1);
		break;
	case 1:
		fp_built(msg, size - 1);
		break;
	case 2:
		fp_dgram(msg, size - 1);
		break;
	default:
		fp_sockaddr(msg, size - 1);
		break;
	}
	free(msg);
	return 0;
}
