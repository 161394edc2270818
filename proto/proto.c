/* SPDX-License-Identifier: MIT */
/* proto.c - encode and validate control messages: see ustack_proto.h */
#include <string.h>

#include "ustack_proto.h"

/* Body sizes: requests [type][0], replies [type][1]; -1: any size */
static const long body_size[USTACK_MSG_TYPE_MAX][2] = {
	[USTACK_MSG_HELLO] = { 0, sizeof(struct ustack_hello_reply) },
};

/**
 * ustack_msg_check() - validate a received message completely
 * @buf: the packet
 * @len: its length as received
 * @is_reply: validate as a reply (client side) instead of a request
 * @hdr: the header, copied out (valid when the result is not SHORT/MAGIC)
 *
 * Return: USTACK_CHECK_OK or the enum ustack_check reason
 */
int ustack_msg_check(const void *buf, size_t len, int is_reply,
		     struct ustack_msg_hdr *hdr)
{
	uint16_t type;
	long want;

	if (len < sizeof(*hdr))
		return USTACK_CHECK_SHORT;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->magic != USTACK_PROTO_MAGIC)
		return USTACK_CHECK_MAGIC;
	if (hdr->len != len || len > USTACK_MSG_MAX)
		return USTACK_CHECK_LEN;
	if (hdr->version != USTACK_PROTO_VERSION)
		return USTACK_CHECK_VERSION;
	if (hdr->flags)
		return USTACK_CHECK_FLAGS;
	if (!!(hdr->type & USTACK_MSG_REPLY) != !!is_reply)
		return USTACK_CHECK_TYPE;
	type = hdr->type & (uint16_t)~USTACK_MSG_REPLY;
	if (type == 0 || type >= USTACK_MSG_TYPE_MAX)
		return USTACK_CHECK_TYPE;
	/* an error reply carries no body */
	if (is_reply && hdr->status < 0)
		return len == sizeof(*hdr) ? USTACK_CHECK_OK : USTACK_CHECK_BODY;
	want = body_size[type][is_reply ? 1 : 0];
	if (want >= 0 && len - sizeof(*hdr) != (size_t)want)
		return USTACK_CHECK_BODY;
	return USTACK_CHECK_OK;
}

/**
 * ustack_msg_build() - write a message
 * @buf: destination
 * @cap: its size
 * @type: message type (with USTACK_MSG_REPLY for replies)
 * @seq: sequence number
 * @status: 0 or -errno
 * @body: body bytes, or NULL
 * @body_len: their count
 *
 * Return: the message length, or 0 if it does not fit
 */
size_t ustack_msg_build(void *buf, size_t cap, uint16_t type, uint32_t seq,
			int32_t status, const void *body, size_t body_len)
{
	struct ustack_msg_hdr h = {
		.magic = USTACK_PROTO_MAGIC,
		.version = USTACK_PROTO_VERSION,
		.type = type,
		.seq = seq,
		.status = status,
	};
	size_t len = sizeof(h) + body_len;

	if (len > cap || len > USTACK_MSG_MAX)
		return 0;
	h.len = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
	if (body_len)
		memcpy((char *)buf + sizeof(h), body, body_len);
	return len;
}

const char *ustack_check_str(int check)
{
	switch (check) {
	case USTACK_CHECK_OK:
		return "ok";
	case USTACK_CHECK_SHORT:
		return "shorter than a header";
	case USTACK_CHECK_MAGIC:
		return "bad magic";
	case USTACK_CHECK_VERSION:
		return "unsupported protocol version";
	case USTACK_CHECK_LEN:
		return "length field disagrees with the packet";
	case USTACK_CHECK_TYPE:
		return "unknown message type";
	case USTACK_CHECK_BODY:
		return "wrong body size for the type";
	case USTACK_CHECK_FLAGS:
		return "reserved flags set";
	}
	return "?";
}
