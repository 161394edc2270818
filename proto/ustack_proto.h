/* SPDX-License-Identifier: MIT */
/*
 * ustack_proto.h - the control protocol between programs and ustackd
 *
 * Transport: a SOCK_SEQPACKET connection to the daemon's control socket
 * (default /run/ustack/ustackd.sock). One message per packet, each a
 * struct ustack_msg_hdr followed by a body whose layout the type defines.
 * Host byte order: both ends are on the same machine. A reply carries the
 * request's type with USTACK_MSG_REPLY set, the request's seq, and a
 * status: 0 or a negative errno.
 *
 * Validation (ustack_msg_check) is complete before a message is acted on:
 * magic, version, length equal to what arrived, a known type, and the
 * body length that type requires. The daemon answers a well-framed but
 * unknown or wrong-sized request with an error reply, and disconnects a
 * client whose framing is wrong. proto/README.md documents each message.
 */
#ifndef USTACK_PROTO_H
#define USTACK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "ustack_admin.h"

#define USTACK_PROTO_MAGIC 0x75737463u      /* "ustc" */
#define USTACK_PROTO_VERSION 1
#define USTACK_MSG_MAX 65536                 /* header and body */
#define USTACK_MSG_REPLY 0x8000u
#define USTACK_DEFAULT_SOCKET "/run/ustack/ustackd.sock"

struct ustack_msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;        /* header and body, bytes */
	uint32_t seq;        /* chosen by the client, echoed in the reply */
	int32_t status;      /* replies: 0 or -errno; requests: 0 */
	uint32_t flags;      /* none defined yet: must be 0 */
};

enum ustack_msg_type {
	/* Who are you? Body: none. Reply body: struct ustack_hello_reply. */
	USTACK_MSG_HELLO = 1,
	USTACK_MSG_TYPE_MAX
};

struct ustack_hello_reply {
	uint32_t proto_version;
	uint32_t pid;
	char version[32];    /* NUL-terminated */
};

enum ustack_check {
	USTACK_CHECK_OK = 0,
	USTACK_CHECK_SHORT = -1,     /* shorter than a header */
	USTACK_CHECK_MAGIC = -2,     /* not our protocol: disconnect */
	USTACK_CHECK_VERSION = -3,   /* another version: error reply */
	USTACK_CHECK_LEN = -4,       /* len disagrees with the packet */
	USTACK_CHECK_TYPE = -5,      /* unknown type: error reply */
	USTACK_CHECK_BODY = -6,      /* wrong body size: error reply */
	USTACK_CHECK_FLAGS = -7,     /* reserved bits set: error reply */
};

int ustack_msg_check(const void *buf, size_t len, int is_reply,
		     struct ustack_msg_hdr *hdr);
size_t ustack_msg_build(void *buf, size_t cap, uint16_t type, uint32_t seq,
			int32_t status, const void *body, size_t body_len);
const char *ustack_check_str(int check);

#endif
