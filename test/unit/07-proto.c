/* SPDX-License-Identifier: MIT */
/* 07-proto: control message framing and validation */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "ustack_proto.h"

Test(proto, hello_round_trip)
{
	uint8_t buf[256];
	struct ustack_msg_hdr h;
	struct ustack_hello_reply r = { .proto_version = 1, .pid = 42, .version = "0.1.0" };
	size_t n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_HELLO, 7, 0, NULL, 0);

	cr_assert_eq(n, sizeof(h));
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_OK);
	cr_assert_eq(h.type, USTACK_MSG_HELLO);
	cr_assert_eq(h.seq, 7);
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_HELLO | USTACK_MSG_REPLY,
			     7, 0, &r, sizeof(r));
	cr_assert_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_OK);
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_TYPE,
		     "a reply is not a request");
}

Test(proto, every_framing_error)
{
	uint8_t buf[256];
	struct ustack_msg_hdr h, *w = (struct ustack_msg_hdr *)(void *)buf;
	size_t n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_HELLO, 1, 0, NULL, 0);

	cr_assert_eq(ustack_msg_check(buf, n - 1, 0, &h), USTACK_CHECK_SHORT);
	w->magic ^= 1;
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_MAGIC);
	w->magic ^= 1;
	w->len = (uint32_t)n + 4;
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_LEN);
	w->len = (uint32_t)n;
	w->version = USTACK_PROTO_VERSION + 1;
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_VERSION);
	w->version = USTACK_PROTO_VERSION;
	w->flags = 1;
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_FLAGS);
	w->flags = 0;
	w->type = 0;
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_TYPE);
	w->type = USTACK_MSG_TYPE_MAX;
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_TYPE);
	w->type = USTACK_MSG_HELLO;
	/* a HELLO request has no body */
	memset(buf + n, 0, 4);
	w->len = (uint32_t)n + 4;
	cr_assert_eq(ustack_msg_check(buf, n + 4, 0, &h), USTACK_CHECK_BODY);
	cr_assert_str_eq(ustack_check_str(USTACK_CHECK_BODY), "wrong body size for the type");
}

Test(proto, error_reply_has_no_body)
{
	uint8_t buf[256];
	struct ustack_msg_hdr h;
	size_t n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_HELLO | USTACK_MSG_REPLY,
				    3, -EINVAL, NULL, 0);

	cr_assert_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_OK);
	cr_assert_eq(h.status, -EINVAL);
}

Test(proto, build_refuses_what_does_not_fit)
{
	uint8_t buf[16];

	cr_assert_eq(ustack_msg_build(buf, sizeof(buf), USTACK_MSG_HELLO, 1, 0, NULL, 0), 0);
}

Test(proto, list_replies_carry_their_count)
{
	uint8_t buf[1024], body[sizeof(struct ustack_list_reply) +
				2 * sizeof(struct ustack_netsock)] = { 0 };
	struct ustack_list_reply lr = { .total = 5, .count = 2 };
	struct ustack_msg_hdr h;
	size_t n;

	memcpy(body, &lr, sizeof(lr));
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_NETSTAT | USTACK_MSG_REPLY,
			     1, 0, body, sizeof(body));
	cr_assert_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_OK);
	lr.count = 3;	/* says three, carries two */
	memcpy(body, &lr, sizeof(lr));
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_NETSTAT | USTACK_MSG_REPLY,
			     1, 0, body, sizeof(body));
	cr_assert_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_BODY);
	lr.total = 1;	/* a page larger than the whole */
	lr.count = 2;
	memcpy(body, &lr, sizeof(lr));
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_NETSTAT | USTACK_MSG_REPLY,
			     1, 0, body, sizeof(body));
	cr_assert_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_BODY);
	/* a kill request is exactly its struct */
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_KILL, 2, 0, body,
			     sizeof(struct ustack_kill_req));
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_OK);
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_KILL, 2, 0, body,
			     sizeof(struct ustack_kill_req) - 1);
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_BODY);
}

/* LINGER: a fixed request {phase, id} and an int reply, as close() with
 * SO_LINGER uses them */
Test(proto, linger_sizes)
{
	uint8_t buf[256];
	struct ustack_msg_hdr h;
	struct ustack_linger_req r = { 1, 42 };
	struct ustack_int v = { 0 };
	size_t n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_LINGER, 5, 0,
				    &r, sizeof(r));

	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_OK);
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_LINGER, 5, 0, &r, 4);
	cr_assert_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_BODY);
	n = ustack_msg_build(buf, sizeof(buf),
			     USTACK_MSG_LINGER | USTACK_MSG_REPLY, 5, 0, &v,
			     sizeof(v));
	cr_assert_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_OK);
}
