/* SPDX-License-Identifier: MIT */
/*
 * sock_end.c - when a program lets go of a socket
 *
 * Theory of operation. The daemon learns that a program closed a socket
 * (its last descriptor, in every process that held it) from the channel:
 * end of file and POLLHUP on the daemon's end (sock.h). Two cases need
 * more than that.
 *
 * A dead connection (reset, timeout: sock_tcp.c st_fail()) shuts its
 * channel both ways, so that the program reads end of file and its writes
 * fail, as Linux's do after a reset (libustack makes the first failure
 * the pending error, ECONNRESET, through SO_ERROR, and the next ones
 * EPIPE). But a channel shut both ways shows POLLHUP at once: its end of
 * file no longer says that the program closed. So on every edge of its
 * read event (the program's last close wakes it) the daemon asks the
 * kernel whether the program's end still exists: NETLINK_SOCK_DIAG, an
 * AF_UNIX lookup by inode and cookie (unix_diag_get_exact()), answered
 * ENOENT or ESTALE once it is gone. The lookup is probed once on one of
 * our own channels; where it does not work, a dead connection keeps only
 * its read side shut, as before (writes after a reset are then dropped).
 *
 * SO_LINGER with a timeout: Linux's close() waits until the FIN is
 * acknowledged (FIN_WAIT_1, CLOSING and LAST_ACK over) or the time is up,
 * blocking or not, and only in the close of the last descriptor
 * (inet_release() -> tcp_close() -> sk_stream_wait_close()). libustack
 * sends USTACK_MSG_LINGER phase 0 with the fd before it closes it (the
 * daemon notes linger_close and answers the socket's id), closes, then
 * sends phase 1 with that id. When the channel ends, the protocol keeps
 * the socket (sock_proto.linger) until its FIN is acknowledged or the
 * linger time is up, and sock_close() answers the waiter then, whichever
 * came first. Phase 1 for a socket whose program end is still open
 * elsewhere is answered at once, as Linux's close of one of several
 * descriptors returns at once.
 */
#include <errno.h>
#include <event2/event.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "sock_impl.h"

/**
 * sock_chan_gone() - has the program's end of the channel gone or shut?
 * @sk: the socket
 *
 * Return: true on POLLHUP or POLLERR (POLLERR: it closed with bytes it
 * never read), or when the channel is closed already; not on the POLLHUP
 * of a channel both sides shut for writing whose program end the kernel
 * still has (sock_prog_alive())
 */
bool sock_chan_gone(struct sock *sk)
{
	struct pollfd p = { .fd = sk->chan, .events = POLLIN };
	uint32_t ev;

	if (sk->chan < 0)
		return true;
	if (sock_ev_bits(sk, &ev)) {
		/* the report being dispatched says (a close after it is
		 * reported again, and seen then): no poll() */
		p.revents = (short)((ev & EPOLLHUP ? POLLHUP : 0) |
				    (ev & EPOLLERR ? POLLERR : 0));
	} else if (poll(&p, 1, 0) != 1) {
		return false;
	}
	if (!(p.revents & (POLLHUP | POLLERR)))
		return false;
	/* a channel both sides shut for writing (the program's shutdown
	 * and our end of stream: a half close both ways, the connection
	 * in TIME_WAIT or LAST_ACK) shows POLLHUP while the program still
	 * holds it: the kernel says whether its end is there */
	if (!(p.revents & POLLERR) && sk->chan_wr_shut &&
	    sock_prog_alive(sk) == 1)
		return false;
	return true;
}

/* The UNIX_DIAG_RQLEN attribute of a reply: 1, or -1 if it has none */
static int diag_rqlen(const struct nlmsghdr *nlh, size_t n, uint32_t *inq)
{
	const struct unix_diag_msg *m = NLMSG_DATA(nlh);
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	size_t left;

	if (n < NLMSG_LENGTH(sizeof(*m)) || nlh->nlmsg_len > n)
		return -1;
	left = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type == UNIX_DIAG_RQLEN &&
		    RTA_PAYLOAD(a) >= sizeof(struct unix_diag_rqlen)) {
			struct unix_diag_rqlen q;

			memcpy(&q, RTA_DATA(a), sizeof(q));
			*inq = q.udiag_rqueue;
			return 1;
		}
	}
	return -1;
}

/* 1: the AF_UNIX socket @ino with @cookie exists, 0: it does not, -1: no
 * answer (sock_diag missing or failing); with @inq, the bytes it has to
 * read (UNIX_DIAG_RQLEN: unix_inq_len(), what is left of each message) */
static int diag_query(struct socktab *t, ino_t ino, uint64_t cookie,
		      uint32_t *inq)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req;
	union {
		struct nlmsghdr nlh;
		char b[1024];
	} rep;
	ssize_t n;

	if (t->diag_fd < 0)
		t->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
				    NETLINK_SOCK_DIAG);
	if (t->diag_fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = ++t->diag_seq;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = (uint32_t)ino;
	req.r.udiag_cookie[0] = (uint32_t)cookie;
	req.r.udiag_cookie[1] = (uint32_t)(cookie >> 32);
	if (inq)
		req.r.udiag_show = UDIAG_SHOW_RQLEN;
	if (send(t->diag_fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		return -1;
	/* the kernel answers within send(): the reply is queued already */
	while ((n = recv(t->diag_fd, &rep, sizeof(rep), MSG_DONTWAIT)) >=
	       (ssize_t)sizeof(struct nlmsghdr)) {
		if (rep.nlh.nlmsg_seq != t->diag_seq)
			continue;       /* a late answer to an older query */
		if (rep.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			if (inq)
				return diag_rqlen(&rep.nlh, (size_t)n, inq);
			return 1;
		}
		if (rep.nlh.nlmsg_type == NLMSG_ERROR &&
		    n >= (ssize_t)(sizeof(struct nlmsghdr) +
				   sizeof(struct nlmsgerr))) {
			const struct nlmsgerr *e = NLMSG_DATA(&rep.nlh);

			return e->error == -ENOENT || e->error == -ESTALE ?
			       0 : -1;
		}
		return -1;
	}
	return -1;
}

/**
 * sock_diag_usable() - can the daemon tell that a program's end is gone
 * without end of file? Probed once, on @sk's own end of its channel.
 * @sk: a socket with its channel
 *
 * Return: true if sock_prog_alive() can answer
 */
bool sock_diag_usable(struct sock *sk)
{
	struct socktab *t = sk->t;
	struct stat st;
	uint64_t cookie;
	socklen_t len = sizeof(cookie);

	if (t->diag_state)
		return t->diag_state > 0;
	t->diag_state = -1;
	if (sk->chan >= 0 && !fstat(sk->chan, &st) &&
	    !getsockopt(sk->chan, SOL_SOCKET, SO_COOKIE, &cookie, &len) &&
	    diag_query(t, st.st_ino, cookie, NULL) == 1)
		t->diag_state = 1;
	else
		log_warn("sock_diag (AF_UNIX) does not answer: a write after "
			 "a TCP reset succeeds instead of failing");
	return t->diag_state > 0;
}

/**
 * sock_prog_alive() - does the program's end of @sk's channel still exist?
 * @sk: a socket whose channel is shut both ways (sk->dead)
 *
 * Return: 1 yes, 0 no (every holder closed it), -1 unknown (counted;
 * treated as yes, and asked again at the next event)
 */
int sock_prog_alive(struct sock *sk)
{
	int r = diag_query(sk->t, sk->prog_ino, sk->cookie, NULL);

	if (r < 0)
		sk->t->st.diag_fail++;
	return r;
}

/**
 * sock_prog_inq() - how many bytes the program has still to read from its
 * end of @sk's stream channel (the kernel's count, exact: what SIOCOUTQ on
 * our end cannot say, counting whole messages with their overhead)
 * @sk: a stream socket
 *
 * Return: bytes, or -1 if sock_diag does not answer
 */
int64_t sock_prog_inq(struct sock *sk)
{
	uint32_t inq = 0;

	if (diag_query(sk->t, sk->prog_ino, sk->cookie, &inq) != 1)
		return -1;
	return inq;
}

/**
 * sock_linger_reply() - answer the close() that waits on @sk, if any
 * @sk: the socket
 */
void sock_linger_reply(struct sock *sk)
{
	struct ustack_int v = { 0 };

	if (!sk->linger_waiter)
		return;
	sk->linger_waiter = false;
	ctl_reply(sk->t->ctl, sk->aux->linger_client, USTACK_MSG_LINGER,
		  sk->aux->linger_seq, 0, &v, sizeof(v));
}

/* The linger time is up: close for good (the connection goes on, as an
 * orphan does in Linux), or stop waiting for the channel to drain. */
static void linger_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sock *sk = arg;

	(void)fd;
	(void)what;
	sk->t->st.linger_timeouts++;
	if (sk->lingering) {
		sock_close(sk);         /* answers the waiter */
		return;
	}
	sock_linger_reply(sk);
	sk->linger_close = false;
}

/**
 * sock_linger_arm() - start @sk's linger time (SO_LINGER seconds), once
 * @sk: the socket
 *
 * Return: 0, or -ENOMEM (no timer: the caller does not linger)
 */
int sock_linger_arm(struct sock *sk)
{
	struct timeval tv = { sock_kept(sk, KEPT_LINGER_SECS), 0 };
	struct sock_aux *a = sock_aux(sk);

	if (!a)
		return -ENOMEM;
	if (a->linger_timer)
		return 0;
	a->linger_timer = evtimer_new(sk->t->base, linger_timeout, sk);
	if (!a->linger_timer || evtimer_add(a->linger_timer, &tv))
		return -ENOMEM;
	return 0;
}

/**
 * sock_linger_wait() - USTACK_MSG_LINGER phase 1: a program closed socket
 * @id, which lingers; answer when its close is done
 * @t: the socket table
 * @uid: the caller's
 * @client: its control connection
 * @seq: the request's
 * @id: what phase 0 answered
 *
 * Return: 0 (answer now: nothing to wait for), or SOCK_PENDING
 */
int sock_linger_wait(struct socktab *t, uid_t uid, uint64_t client,
		     uint32_t seq, uint32_t id)
{
	struct sock *sk;

	for (sk = t->all; sk; sk = sk->next)
		if (sk->id == id && sk->linger_close &&
		    (uid == 0 || uid == sk->owner->uid))
			break;
	if (!sk || sk->dead || sk->linger_waiter)
		return 0;       /* closed already, or nothing to send */
	if (!sk->lingering && !sock_chan_gone(sk)) {
		/* another descriptor still holds it */
		sk->linger_close = false;
		return 0;
	}
	if (sock_linger_arm(sk)) {
		t->st.chan_err++;       /* no memory: close without waiting */
		sk->linger_close = false;
		return 0;
	}
	sk->linger_waiter = true;
	sk->aux->linger_client = client;
	sk->aux->linger_seq = seq;
	t->st.lingered++;
	/* the channel's end of file may not have been seen yet: see it
	 * now (this may close @sk, which answers the waiter) */
	if (!sk->lingering)
		sk->proto->chan_read(sk);
	return SOCK_PENDING;
}
