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
/* 2: datagram ancillary data (struct ustack_dgram_meta), the error queue
 * (USTACK_MSG_DGERR), the link's name in HELLO; 3: AF_INET6 sockets (IPv6
 * addresses in the meta block and the error queue's offender, scope ids);
 * 5: struct ustack_sock_info says the program end's inode and whether it
 * is non-blocking, and SOCKET takes SOCK_NONBLOCK */
#define USTACK_PROTO_VERSION 5
/* header and body: room for a whole 65507-byte datagram in a SENDTO */
#define USTACK_MSG_MAX (65536 + 1024)
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

/*
 * Requests that name a socket (every type but HELLO and SOCKET) carry that
 * socket's descriptor in an SCM_RIGHTS control message: exactly one fd.
 * The daemon knows its channels by the SO_COOKIE of the program's end, so
 * a request proves that its sender holds the socket. proto/README.md
 * documents each message, its body and its errors.
 */
enum ustack_msg_type {
	/* Who are you? Body: none. Reply body: struct ustack_hello_reply. */
	USTACK_MSG_HELLO = 1,
	/* New socket. Body: struct ustack_socket_req. Reply: sock_info + fd */
	USTACK_MSG_SOCKET = 2,
	/* What is this fd? Body: none (fd). Reply: struct ustack_sock_info */
	USTACK_MSG_QUERY = 3,
	/* Body: struct ustack_sockaddr. Reply: none */
	USTACK_MSG_BIND = 4,
	/* Body: struct ustack_connect_req [MSG_FASTOPEN data]. Reply: none */
	USTACK_MSG_CONNECT = 5,
	/* Body: struct ustack_int (backlog). Reply: none */
	USTACK_MSG_LISTEN = 6,
	/* Body: none. Reply: struct ustack_sockaddr */
	USTACK_MSG_GETSOCKNAME = 7,
	USTACK_MSG_GETPEERNAME = 8,
	/* Body: struct ustack_sockopt. Reply: none */
	USTACK_MSG_SETSOCKOPT = 9,
	/* Body: struct ustack_sockopt (len: room). Reply: struct ustack_sockopt */
	USTACK_MSG_GETSOCKOPT = 10,
	/* Body: struct ustack_int (SHUT_RD/WR/RDWR). Reply: none */
	USTACK_MSG_SHUTDOWN = 11,
	/* Body: struct ustack_int (request). Reply: struct ustack_int */
	USTACK_MSG_IOCTL = 12,
	/* Body: struct ustack_dgram_hdr + payload. Reply: struct ustack_int */
	USTACK_MSG_SENDTO = 13,
	/* close() with SO_LINGER: ustack_linger_req. Reply: ustack_int */
	USTACK_MSG_LINGER = 14,
	/* A datagram socket's errors. Body: struct ustack_dgerr_req.
	 * Reply: struct ustack_dgerr_reply + the entry's bytes */
	USTACK_MSG_DGERR = 15,
	/* A stream whose channel the daemon shut both ways after a failed
	 * non-blocking connect (POLLHUP for the program), before the next
	 * attempt. Body: none. Reply: none, with the program's new end (an
	 * fd) if it was made; libustack puts it at the socket's descriptor */
	USTACK_MSG_RENEW = 16,
	/* the connection's later requests act for another process (ustack-
	 * run's supervisor): its pid and uid own what they create and are
	 * charged. Body: ustack_int pid (0: the connection's own). Reply:
	 * none. -EPERM unless the sender is root or the process's real uid;
	 * -ESRCH without such a process */
	USTACK_MSG_ACT_FOR = 17,
	/* the supervisor could not serve a call of the process it acts for,
	 * which failed with errno @value (EPERM: no ptrace access to it;
	 * EAFNOSUPPORT: a 32-bit socket call): counted as ctl.sup_refused
	 * and logged. Body: ustack_int. Reply: none */
	USTACK_MSG_SUP_REFUSED = 18,
	USTACK_MSG_TYPE_MAX
};

struct ustack_hello_reply {
	uint32_t proto_version;
	uint32_t pid;
	char version[32];    /* NUL-terminated */
	char link[16];       /* the stack's interface (IFNAMSIZ), NUL-terminated:
			      * IP_PKTINFO shows its index in the program's
			      * namespace */
};

/*
 * A socket address. family: AF_INET or AF_INET6 (or 0: none / AF_UNSPEC).
 * port in host order; addr holds 4 bytes for AF_INET, 16 for AF_INET6,
 * in network order (as in the sockaddr). scope_id is the daemon's number
 * of the interface (1: its link, 2: its loopback; anything else names
 * none): libustack translates it from and to the program's interface
 * index (the link's, by its name in HELLO).
 */
struct ustack_sockaddr {
	uint16_t family;
	uint16_t port;
	uint32_t flowinfo;
	uint32_t scope_id;
	uint8_t addr[16];
};

struct ustack_socket_req {
	int32_t domain;      /* AF_INET, AF_INET6 */
	int32_t type;        /* SOCK_STREAM, SOCK_DGRAM, with SOCK_NONBLOCK or
			      * not (the program's end comes so: no fcntl) */
	int32_t protocol;
};

struct ustack_sock_info {
	int32_t domain, type, protocol;
	uint32_t id;         /* the daemon's number for the socket (ustackctl) */
	uint64_t ino;        /* the program's end's inode (its st_ino): what
			      * libustack would learn with fstat() */
	uint32_t flags;      /* USTACK_INFO_* */
	uint32_t pad;
};

/* the program's end is O_NONBLOCK: SOCKET when asked, and an accepted
 * connection's always (libustack makes it blocking for an accept without
 * SOCK_NONBLOCK: one system call fewer for the servers that ask) */
#define USTACK_INFO_NONBLOCK 1u

struct ustack_connect_req {
	struct ustack_sockaddr addr;
	uint32_t nonblock;   /* 1: the program's fd is O_NONBLOCK */
	uint32_t filler;     /* stream: bytes written to the channel before
			      * this request that the daemon discards (they
			      * keep the fd unwritable until connected) */
	uint32_t fastopen;   /* stream: 1 for MSG_FASTOPEN (RFC 7413): the
			      * first bytes of the send follow the request
			      * (at most USTACK_FASTOPEN_MAX), and a status
			      * of 0 or more is how many of them the daemon
			      * took (a non-blocking one: those its SYN
			      * carries, -EINPROGRESS for none) */
};

#define USTACK_FASTOPEN_MAX 1460

struct ustack_int {
	int32_t value;
};

/*
 * close() of a stream with SO_LINGER on and a timeout: phase 0 (with the
 * fd, before the program closes it) answers the socket's id, or 0 when
 * there is nothing to wait for; phase 1 (no fd, after the close) is
 * answered when the connection's FIN is acknowledged or the linger time
 * is up, at once if the program's end is still open elsewhere.
 */
struct ustack_linger_req {
	uint32_t phase;      /* 0 or 1 */
	uint32_t id;         /* phase 1: the id phase 0 gave */
};

#define USTACK_OPT_MAX 256  /* TCP_INFO: Linux 6.1's 232 bytes */
/*
 * libustack's own SOL_SOCKET query, a stream's: what a read at end of file
 * reports, as Linux's tcp_recvmsg(): 0 once the peer's FIN came (SOCK_DONE
 * is looked at before sk_err: the error stays for a write or SO_ERROR),
 * else the pending error, taken as SO_ERROR takes it.
 */
#define USTACK_SO_READ_ERROR 0x7502
/*
 * A datagram socket's plain channel (SOL_SOCKET, int 0/1): the channel
 * carries bare payloads both ways, no ustack_dgram_hdr: each message the
 * program writes goes to the connected peer, each datagram received is
 * written as its payload alone, and no error notification is posted (the
 * error stays pending for SO_ERROR and the next call through libustack).
 * For programs that read() and write() a connected datagram socket
 * without the shim (ustack-run's supervisor sets it at their connect).
 */
#define USTACK_SO_PLAIN 0x7503
/*
 * A stream's MSG_EOR (IPPROTO_TCP, set, value ignored): libustack sets it
 * after a send with MSG_EOR wrote all its bytes into the channel; the
 * daemon takes what the channel holds into the send queue and ends a
 * record there (no segment carries bytes of both sides), as Linux ends an
 * skb at an EOR. One round trip per such send, none for the others.
 */
#define USTACK_TCP_EOR 0x7505
/*
 * A stream's bytes after shutdown(SHUT_RD) (IPPROTO_TCP, get; val[0] of
 * the request 1 to peek): Linux keeps queueing what arrives once reading
 * is shut and its reads return it, 0 only when nothing is queued; the
 * daemon ends the channel at the shutdown (that wakes a blocked reader
 * and makes poll say readable, as Linux's), and libustack, reading end of
 * file on a socket it shut so, asks with this for what the daemon holds
 * since: up to the option's room (USTACK_OPT_MAX) per round trip, none
 * (len 0) when nothing is queued. One round trip per such read only.
 */
#define USTACK_TCP_RECV_SHUT 0x7506
/*
 * A stream's SO_TIMESTAMPING TX_ACK (IPPROTO_TCP; daemon/rpc/ackmark.c).
 * Set, int the send's key: libustack sets it after a send that asked for
 * TX_ACK wrote its bytes into the channel (one round trip per such send,
 * none for the others); the daemon marks the end of what the program has
 * written so far (the engine's write sequence and what its end of the
 * channel holds unread) with that key. ENOTCONN if the connection is
 * gone. Get: the marks the peer's cumulative ACK has passed since the
 * last get, oldest first, taken off the daemon's list: a struct
 * ustack_ackmark_hdr, then @n struct ustack_ackmark (at most
 * USTACK_ACKMARK_MAX: ask again while @acked says some are acked). A reset,
 * a timeout or a disconnect drops the marks not acked (Linux never
 * reports them).
 */
#define USTACK_TCP_ACKMARK 0x7507
struct ustack_ackmark_hdr {
	uint32_t n;          /* entries that follow */
	uint32_t acked;      /* acked marks left after these (ask again) */
	uint32_t waiting;    /* marks not acked yet */
	uint32_t reserved;
};
struct ustack_ackmark {
	int64_t sec;         /* when SND.UNA passed it (CLOCK_REALTIME) */
	uint32_t nsec;
	uint32_t key;        /* as set */
};
#define USTACK_ACKMARK_MAX ((USTACK_OPT_MAX - \
			    sizeof(struct ustack_ackmark_hdr)) / \
			   sizeof(struct ustack_ackmark))
/*
 * TCP_NOTSENT_LOWAT: the program's end of a stream channel is given this
 * SO_SNDBUF (the kernel doubles it) so that it is writable, as Linux's
 * socket is while less than the mark waits unsent, only while the channel
 * holds about a quarter of the mark (the daemon takes no more from it
 * while the mark waits unsent); 0: the default size.
 */
int ustack_lowat_chan_sndbuf(uint32_t lowat);

/*
 * A datagram socket's arrival times (SOL_SOCKET, int 0/1): each datagram's
 * meta block carries its arrival time (flag USTACK_CM_RXTIME) whether or
 * not SO_TIMESTAMP asks for a control message: libustack's SO_TIMESTAMPING
 * with SOF_TIMESTAMPING_RX_SOFTWARE writes SCM_TIMESTAMPING from it.
 */
#define USTACK_SO_RXTIME 0x7504
/*
 * On a stream, USTACK_SO_RXTIME set (SO_TIMESTAMPING's RX_SOFTWARE) or
 * SO_TIMESTAMP(NS) makes the daemon log when the stream's bytes arrive
 * (daemon/rpc/rxlog.c), counting them from the moment the first of these
 * was set (bytes the channel held then come first and have no time), as
 * the program counts what it reads off the channel. GETSOCKOPT of
 * USTACK_SO_RXTIME on a stream takes and gives this struct (len its size):
 * in, @last and @consumed; out, @sec/@nsec the arrival (CLOCK_REALTIME)
 * of byte @last, 0/0 if it has none, and @cmsg the socket's
 * USTACK_CM_TIMESTAMP, TIMESTAMPNS and TS_NEW bits (SO_TIMESTAMP(NS)).
 */
struct ustack_stream_rxtime {
	uint64_t last;       /* the read's last byte, counted from 1 */
	uint64_t consumed;   /* bytes taken off the channel after the read
			      * (a peek takes none) */
	int64_t sec;
	uint32_t nsec;
	uint32_t cmsg;
};
struct ustack_sockopt {
	int32_t level, name;
	uint32_t len;        /* bytes of val used; at most USTACK_OPT_MAX */
	uint8_t val[USTACK_OPT_MAX];
};

/*
 * Datagram channels (SOCK_SEQPACKET): every message is this header, then
 * (flag USTACK_DG_META) a struct ustack_dgram_meta, then the payload.
 * Daemon to program: kind DATA (addr = source, len = the whole datagram's
 * length, always with META: what recvmsg's control messages report), or
 * ERROR (error = a positive errno, no payload): a notification that the
 * socket has an error pending or queued, which the program asks for with
 * USTACK_MSG_DGERR. Program to daemon: kind DATA (addr = destination,
 * family 0 for the connected peer; META optional: per-datagram IP_TTL,
 * IP_TOS, IP_PKTINFO); the shim sends through USTACK_MSG_SENDTO instead,
 * with the same body, which reports errors synchronously.
 */
enum ustack_dgram_kind { USTACK_DG_DATA = 1, USTACK_DG_ERROR = 2 };

#define USTACK_DG_META 0x1u      /* flags: a struct ustack_dgram_meta follows */

struct ustack_dgram_hdr {
	uint16_t kind;
	uint16_t flags;      /* USTACK_DG_META or 0 */
	int32_t error;
	uint32_t len;        /* payload bytes */
	uint32_t reserved;   /* must be 0 */
	struct ustack_sockaddr addr;
};

/*
 * Ancillary data of one datagram. @cmsg, daemon to program: the control
 * messages recvmsg gives (the socket's options when the datagram was
 * written), in Linux's order; program to daemon: which fields are set.
 */
#define USTACK_CM_TIMESTAMP 0x01u    /* SO_TIMESTAMP: struct timeval */
#define USTACK_CM_TIMESTAMPNS 0x02u  /* SO_TIMESTAMPNS: struct timespec */
#define USTACK_CM_TS_NEW 0x04u       /* ... as SO_TIMESTAMP(NS)_NEW, 64-bit */
#define USTACK_CM_PKTINFO 0x08u      /* IP_PKTINFO */
#define USTACK_CM_TTL 0x10u          /* IP_TTL (IP_RECVTTL) */
#define USTACK_CM_TOS 0x20u          /* IP_TOS (IP_RECVTOS) */
#define USTACK_CM_PKTINFO6 0x40u     /* IPV6_PKTINFO (IPV6_RECVPKTINFO) */
#define USTACK_CM_HOPLIMIT 0x80u     /* IPV6_HOPLIMIT (IPV6_RECVHOPLIMIT) */
#define USTACK_CM_TCLASS 0x100u      /* IPV6_TCLASS (IPV6_RECVTCLASS) */
#define USTACK_CM_RXQ_OVFL 0x200u    /* SO_RXQ_OVFL: @drops, if not 0 */
#define USTACK_CM_ORIGDSTADDR 0x400u /* IP_ORIGDSTADDR (IP_RECVORIGDSTADDR):
				      * @dst and @dport */
#define USTACK_CM_RXTIME 0x800u    /* @sec and @nsec are set, for
				      * USTACK_SO_RXTIME (no control message
				      * of their own) */
#define USTACK_CM_ALL 0xfffu

/*
 * Program to daemon, an AF_INET6 socket's IPV6_PKTINFO is PKTINFO6 with
 * @spec_dst the source (family AF_INET6), IPV6_HOPLIMIT is HOPLIMIT in
 * @ttl, IPV6_TCLASS is TCLASS in @tos.
 */
struct ustack_dgram_meta {
	uint32_t cmsg;       /* USTACK_CM_* */
	uint8_t ttl, tos;    /* TTL or Hop Limit; TOS or Traffic Class */
	uint16_t ifindex;    /* the stack's interface: 1, its link; 0, a
			      * loopback (an ICMP error the stack made
			      * about its own datagram) */
	uint16_t family;     /* of the datagram and of spec_dst and dst:
			      * AF_INET (or 0) or AF_INET6 */
	uint16_t dport;      /* ORIGDSTADDR: the UDP destination port (host
			      * order), else 0 */
	uint32_t drops;      /* RXQ_OVFL: datagrams the socket had dropped
			      * when this one was queued, else 0 */
	uint8_t spec_dst[16];/* IP_PKTINFO ipi_spec_dst, network order (4
			      * bytes for AF_INET) */
	uint8_t dst[16];     /* ipi_addr, ipi6_addr: the IP header's
			      * destination */
	int64_t sec;         /* arrival, CLOCK_REALTIME */
	uint32_t nsec;
	uint32_t reserved;   /* must be 0 */
};

#define USTACK_DGRAM_MAX 65535   /* payload bytes: a raw socket's IP datagram */

/*
 * USTACK_MSG_DGERR: what a datagram socket's ERROR notification is about
 * (proto/README.md). The reply is always status 0 with a body: @error is
 * the pending error taken (TAKE, RECV), or EAGAIN when ERRQUEUE finds the
 * queue empty; an ERRQUEUE entry fills @ee, @name, @meta and @len bytes.
 * The flag USTACK_DGERR_STALE tells the program to remove the notification
 * from the channel's head: nothing is pending any more.
 */
enum ustack_dgerr_op {
	USTACK_DGERR_TAKE = 1,       /* SO_ERROR */
	USTACK_DGERR_ERRQUEUE = 2,   /* recvmsg(MSG_ERRQUEUE) */
	USTACK_DGERR_SYNC = 3,       /* nothing: is the notification void? */
	USTACK_DGERR_RECV = 4,       /* a receive met the notification: TAKE,
				      * and it is void if nothing was taken */
};

#define USTACK_DGERR_STALE 0x1u      /* reply: the notification is void */

struct ustack_dgerr_req {
	uint32_t op;         /* enum ustack_dgerr_op */
	uint32_t reserved;   /* must be 0 */
};

/* struct sock_extended_err and its offender, host order but @offender */
struct ustack_sock_ee {
	uint32_t err;        /* ee_errno */
	uint8_t origin, type, code, pad;
	uint32_t info;
	uint8_t offender[16];/* network order: 4 bytes for SO_EE_ORIGIN_ICMP,
			      * 16 for SO_EE_ORIGIN_ICMP6, 0 for a local
			      * error */
};

#define USTACK_DGERR_PAYLOAD_MAX 1024   /* bytes of the quoted datagram */

struct ustack_dgerr_reply {
	int32_t error;       /* TAKE: the error taken (positive), or 0 */
	uint32_t flags;      /* USTACK_DGERR_STALE */
	struct ustack_sock_ee ee;       /* ERRQUEUE: the entry */
	struct ustack_sockaddr name;    /* its msg_name */
	struct ustack_dgram_meta meta;  /* the ICMP message's ancillary data */
	uint32_t len;        /* the entry's bytes, which follow */
	uint32_t full_len;   /* before truncation to DGERR_PAYLOAD_MAX */
};

/*
 * Listening channels (TCP, when it lands): one message per connection
 * ready to accept: struct ustack_accept_msg, with the new connection's
 * channel attached (SCM_RIGHTS).
 */
struct ustack_accept_msg {
	struct ustack_sockaddr local, peer;
	struct ustack_sock_info info;
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

struct sockaddr;
int ustack_addr_from_sockaddr(struct ustack_sockaddr *ua, const struct sockaddr *sa,
			      size_t salen);
size_t ustack_addr_to_sockaddr(const struct ustack_sockaddr *ua,
			       struct sockaddr *sa, size_t salen, int domain);
int ustack_addr_check(const struct ustack_sockaddr *ua);
int ustack_dgram_check(const void *buf, size_t len,
		       struct ustack_dgram_hdr *h);
int ustack_meta_check(const struct ustack_dgram_meta *m);

#endif
