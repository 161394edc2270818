/* SPDX-License-Identifier: MIT */
/* proto.c - encode and validate control messages: see ustack_proto.h */
#include <string.h>

#include "ustack_proto.h"

/*
 * Body sizes. A body is valid when it is `fixed` bytes plus a whole number
 * of `entry` bytes (entry 0: exactly fixed). Lists also carry their count.
 */
struct body_rule {
	uint32_t req;                   /* request body, exact */
	uint32_t fixed, entry;          /* reply body */
	int list;                       /* reply starts with ustack_list_reply */
};

static const struct body_rule rules[USTACK_MSG_TYPE_MAX] = {
	[USTACK_MSG_HELLO] = { 0, sizeof(struct ustack_hello_reply), 0, 0 },
};

#define LIST(entry) { sizeof(struct ustack_list_req), \
		      sizeof(struct ustack_list_reply), sizeof(entry), 1 }
static const struct body_rule admin_rules[USTACK_MSG_ADMIN_MAX -
					  USTACK_MSG_ADMIN_BASE] = {
#define A(t) [(t) - USTACK_MSG_ADMIN_BASE]
	A(USTACK_MSG_STATS) = { 0, sizeof(struct ustack_list_reply),
				sizeof(struct ustack_counter), 1 },
	A(USTACK_MSG_NEIGH_LIST) = LIST(struct ustack_neigh),
	A(USTACK_MSG_ROUTE_LIST) = LIST(struct ustack_route),
	A(USTACK_MSG_ROUTE_ADD) = { sizeof(struct ustack_route), 0, 0, 0 },
	A(USTACK_MSG_ROUTE_DEL) = { sizeof(struct ustack_route), 0, 0, 0 },
	A(USTACK_MSG_ADDR_LIST) = { 0, sizeof(struct ustack_list_reply),
				    sizeof(struct ustack_addr), 1 },
	A(USTACK_MSG_ADDR_ADD) = { sizeof(struct ustack_addr), 0, 0, 0 },
	A(USTACK_MSG_ADDR_DEL) = { sizeof(struct ustack_addr), 0, 0, 0 },
	A(USTACK_MSG_CONFIG) = { 0, 0, 1, 0 },
	A(USTACK_MSG_CAPTURE_START) = { 0, 0, 0, 0 },
	A(USTACK_MSG_CAPTURE_STOP) = { 0, sizeof(struct ustack_capture_reply), 0, 0 },
	A(USTACK_MSG_PING) = { sizeof(struct ustack_ping_req),
			       sizeof(struct ustack_ping_reply), 0, 0 },
#undef A
};

/* The rule for @type, or NULL if no such type exists */
static const struct body_rule *body_rule(uint16_t type)
{
	if (type > 0 && type < USTACK_MSG_TYPE_MAX)
		return &rules[type];
	if (type >= USTACK_MSG_ADMIN_BASE && type < USTACK_MSG_ADMIN_MAX)
		return &admin_rules[type - USTACK_MSG_ADMIN_BASE];
	return NULL;
}

static int body_ok(const struct body_rule *r, const uint8_t *body, size_t len,
		   int is_reply)
{
	struct ustack_list_reply lr;

	if (!is_reply)
		return len == r->req;
	if (len < r->fixed)
		return 0;
	if (!r->entry)
		return len == r->fixed;
	if ((len - r->fixed) % r->entry)
		return 0;
	if (!r->list)
		return 1;
	memcpy(&lr, body, sizeof(lr));
	return lr.count == (len - r->fixed) / r->entry && lr.count <= lr.total;
}

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
	const struct body_rule *rule;
	uint16_t type;

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
	rule = body_rule(type);
	if (!rule)
		return USTACK_CHECK_TYPE;
	/* an error reply carries no body */
	if (is_reply && hdr->status < 0)
		return len == sizeof(*hdr) ? USTACK_CHECK_OK : USTACK_CHECK_BODY;
	if (!body_ok(rule, (const uint8_t *)buf + sizeof(*hdr),
		     len - sizeof(*hdr), is_reply))
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
