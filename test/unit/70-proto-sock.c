/* SPDX-License-Identifier: MIT */
/* 70-proto-sock: socket requests, addresses and datagram-channel framing */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ustack_proto.h"

static uint8_t buf[USTACK_MSG_MAX + 16];

Test(proto_sock, every_request_has_its_body_size)
{
	static const struct { uint16_t type; size_t body; } t[] = {
		{ USTACK_MSG_SOCKET, sizeof(struct ustack_socket_req) },
		{ USTACK_MSG_QUERY, 0 },
		{ USTACK_MSG_BIND, sizeof(struct ustack_sockaddr) },
		{ USTACK_MSG_LISTEN, sizeof(struct ustack_int) },
		{ USTACK_MSG_GETSOCKNAME, 0 },
		{ USTACK_MSG_GETPEERNAME, 0 },
		{ USTACK_MSG_SETSOCKOPT, sizeof(struct ustack_sockopt) },
		{ USTACK_MSG_GETSOCKOPT, sizeof(struct ustack_sockopt) },
		{ USTACK_MSG_SHUTDOWN, sizeof(struct ustack_int) },
		{ USTACK_MSG_IOCTL, sizeof(struct ustack_int) },
		{ USTACK_MSG_DGERR, sizeof(struct ustack_dgerr_req) },
	};
	static uint8_t body[512];
	struct ustack_msg_hdr h;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = ustack_msg_build(buf, sizeof(buf), t[i].type, 1, 0,
					    body, t[i].body);

		cr_expect_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_OK,
			     "type %u", t[i].type);
		n = ustack_msg_build(buf, sizeof(buf), t[i].type, 1, 0, body,
				     t[i].body + 1);
		cr_expect_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_BODY,
			     "type %u one byte long", t[i].type);
	}
}

Test(proto_sock, connect_body_may_carry_fastopen_data)
{
	enum { R = sizeof(struct ustack_connect_req) };
	static uint8_t body[R + USTACK_FASTOPEN_MAX + 1];
	static const struct { size_t len; int want; } t[] = {
		{ R - 1, USTACK_CHECK_BODY },
		{ R, USTACK_CHECK_OK },
		{ R + 1, USTACK_CHECK_OK },
		{ R + USTACK_FASTOPEN_MAX, USTACK_CHECK_OK },
		{ R + USTACK_FASTOPEN_MAX + 1, USTACK_CHECK_BODY },
	};
	struct ustack_msg_hdr h;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_CONNECT,
					    1, 0, body, t[i].len);

		cr_expect_eq(ustack_msg_check(buf, n, 0, &h), t[i].want,
			     "a body of %zu bytes", t[i].len);
	}
}

Test(proto_sock, sendto_body_is_a_datagram_up_to_65535_with_meta)
{
	enum { HM = sizeof(struct ustack_dgram_hdr) +
		    sizeof(struct ustack_dgram_meta) };
	static uint8_t body[HM + 65536];
	struct ustack_msg_hdr h;
	size_t n;

	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_SENDTO, 1, 0, body,
			     HM + 65535);
	cr_assert_neq(n, 0);
	cr_expect_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_OK);
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_SENDTO, 1, 0, body,
			     HM + 65536);
	cr_expect_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_BODY);
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_SENDTO, 1, 0, body, 3);
	cr_expect_eq(ustack_msg_check(buf, n, 0, &h), USTACK_CHECK_BODY);
}

/* A DGERR reply: its fixed part, then at most 1024 bytes of the entry */
Test(proto_sock, dgerr_reply_carries_the_entry)
{
	static uint8_t body[sizeof(struct ustack_dgerr_reply) +
			    USTACK_DGERR_PAYLOAD_MAX + 1];
	uint16_t type = USTACK_MSG_DGERR | USTACK_MSG_REPLY;
	struct ustack_msg_hdr h;
	size_t n, fixed = sizeof(struct ustack_dgerr_reply);

	n = ustack_msg_build(buf, sizeof(buf), type, 1, 0, body, fixed);
	cr_expect_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_OK);
	n = ustack_msg_build(buf, sizeof(buf), type, 1, 0, body, fixed + 28);
	cr_expect_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_OK);
	n = ustack_msg_build(buf, sizeof(buf), type, 1, 0, body,
			     fixed + USTACK_DGERR_PAYLOAD_MAX);
	cr_expect_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_OK);
	n = ustack_msg_build(buf, sizeof(buf), type, 1, 0, body,
			     fixed + USTACK_DGERR_PAYLOAD_MAX + 1);
	cr_expect_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_BODY);
	n = ustack_msg_build(buf, sizeof(buf), type, 1, 0, body, fixed - 1);
	cr_expect_eq(ustack_msg_check(buf, n, 1, &h), USTACK_CHECK_BODY);
}

Test(proto_sock, sockaddr_round_trips)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(53) }, sin_out;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(80) }, sin6_out;
	struct ustack_sockaddr ua;

	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	cr_assert_eq(ustack_addr_from_sockaddr(&ua, (void *)&sin, sizeof(sin)), 0);
	cr_expect_eq(ua.family, AF_INET);
	cr_expect_eq(ua.port, 53);
	cr_expect_eq(ustack_addr_check(&ua), 0);
	cr_expect_eq(ustack_addr_to_sockaddr(&ua, (void *)&sin_out,
					     sizeof(sin_out), AF_INET), sizeof(sin));
	cr_expect_arr_eq(&sin_out, &sin, sizeof(sin));
	/* an AF_INET6 socket sees IPv4 peers v4-mapped */
	cr_expect_eq(ustack_addr_to_sockaddr(&ua, (void *)&sin6_out,
					     sizeof(sin6_out), AF_INET6), sizeof(sin6));
	cr_expect(IN6_IS_ADDR_V4MAPPED(&sin6_out.sin6_addr));
	cr_expect_eq(ntohs(sin6_out.sin6_port), 53);
	cr_assert_eq(ustack_addr_from_sockaddr(&ua, (void *)&sin6, 24), 0);
	cr_expect_eq(ua.family, AF_INET6);
	cr_expect_eq(ua.port, 80);
	cr_expect_eq(ustack_addr_from_sockaddr(&ua, (void *)&sin6, 23), -EINVAL);
	cr_expect_eq(ustack_addr_from_sockaddr(&ua, (void *)&sin, 15), -EINVAL);
	sin.sin_family = AF_UNIX;
	cr_expect_eq(ustack_addr_from_sockaddr(&ua, (void *)&sin, sizeof(sin)),
		     -EAFNOSUPPORT);
	cr_expect_eq(ustack_addr_from_sockaddr(&ua, NULL, 0), -EINVAL);
	ua.family = 99;
	cr_expect_eq(ustack_addr_check(&ua), -EAFNOSUPPORT);
	ua.family = AF_INET;
	ua.addr[7] = 1;
	cr_expect_eq(ustack_addr_check(&ua), -EINVAL, "bytes beyond IPv4");
}

Test(proto_sock, datagram_channel_framing)
{
	struct ustack_dgram_hdr h = { .kind = USTACK_DG_DATA, .len = 3 }, out;
	uint8_t m[sizeof(h) + 3];

	h.addr.family = AF_INET;
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), "abc", 3);
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), 0);
	cr_expect_eq(ustack_dgram_check(m, sizeof(m) - 1, &out), -EINVAL,
		     "length lies");
	cr_expect_eq(ustack_dgram_check(m, 5, &out), -EINVAL, "short");
	h.flags = 1;
	memcpy(m, &h, sizeof(h));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL);
	h.flags = 0;
	h.kind = 7;
	memcpy(m, &h, sizeof(h));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL);
	h.kind = USTACK_DG_ERROR;
	h.len = 0;
	h.error = ECONNREFUSED;
	memcpy(m, &h, sizeof(h));
	cr_expect_eq(ustack_dgram_check(m, sizeof(h), &out), 0);
	cr_expect_eq(out.error, ECONNREFUSED);
	h.error = -1;
	memcpy(m, &h, sizeof(h));
	cr_expect_eq(ustack_dgram_check(m, sizeof(h), &out), -EINVAL);
}

/* DATA with its ancillary data: the meta block is checked too */
Test(proto_sock, datagram_meta_block)
{
	struct ustack_dgram_hdr h = { .kind = USTACK_DG_DATA, .len = 2,
				      .flags = USTACK_DG_META }, out;
	struct ustack_dgram_meta meta = { .cmsg = USTACK_CM_TTL | USTACK_CM_PKTINFO,
					  .ttl = 63, .nsec = 999999999 };
	uint8_t m[sizeof(h) + sizeof(meta) + 2];

	h.addr.family = AF_INET;
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	memcpy(m + sizeof(h) + sizeof(meta), "ab", 2);
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), 0);
	cr_expect_eq(ustack_dgram_check(m, sizeof(m) - 1, &out), -EINVAL);
	meta.cmsg = USTACK_CM_ALL + 1;
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL,
		     "unknown control message");
	meta.cmsg = USTACK_CM_TTL;
	meta.nsec = 1000000000;
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL,
		     "a second of nanoseconds");
	meta.nsec = 0;
	/* a port or a drop count only with its control message */
	meta.dport = 53;
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL,
		     "a port without ORIGDSTADDR");
	meta.cmsg |= USTACK_CM_ORIGDSTADDR;
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), 0);
	meta.drops = 3;
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL,
		     "drops without RXQ_OVFL");
	meta.cmsg |= USTACK_CM_RXQ_OVFL;
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), 0);
	meta.cmsg = USTACK_CM_TTL;
	meta.dport = 0;
	meta.drops = 0;
	meta.reserved = 1;
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL);
	h.flags = 2;
	memcpy(m, &h, sizeof(h));
	cr_expect_eq(ustack_dgram_check(m, sizeof(m), &out), -EINVAL,
		     "unknown flag");
	/* a notification carries nothing */
	h.kind = USTACK_DG_ERROR;
	h.flags = USTACK_DG_META;
	h.len = 0;
	h.error = EHOSTUNREACH;
	meta.reserved = 0;
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &meta, sizeof(meta));
	cr_expect_eq(ustack_dgram_check(m, sizeof(h) + sizeof(meta), &out),
		     -EINVAL);
}
