/* SPDX-License-Identifier: MIT */
/*
 * sock_tcp.c - TCP sockets: bytes between SOCK_STREAM channels and the
 * engine's TCP (daemon/stack/tcp.h)
 *
 * Theory of operation. The channel carries exactly the payload bytes.
 *
 * Program to peer: the channel is read only while the engine's send
 * buffer has room (tcp_send_space), so a program that writes faster than
 * the network takes fills its channel and blocks, or gets EAGAIN, as with
 * a kernel socket. The read event is edge-triggered; it is re-armed by
 * hand when the engine frees room (TCP_EV_WRITABLE).
 *
 * Peer to program: received bytes go into the channel as far as it takes
 * them (peeked, written, then consumed); the rest waits in the engine's
 * receive buffer, and the window closes. Bytes in the channel the program
 * has not read still fill the receive buffer, as unread bytes fill a
 * kernel socket's: the window leaves them out (the engine asks through
 * stack_ops.sock_unread, SIOCOUTQ on our end, when it works out a
 * window), and while the window left is small enough that a read of the
 * program's is worth an update (Linux's tcp_cleanup_rbuf() rule) the
 * channel is watched for those reads (sock_watch_unread(): each message
 * the program takes off the channel wakes our end).
 * The peer's FIN, once everything
 * before it is in the channel, becomes shutdown(channel, SHUT_WR): the
 * program reads 0. A reset or a timeout is kept for SO_ERROR and ends the
 * channel the same way; libustack asks for the error when a read returns
 * 0, so the program reads ECONNRESET.
 *
 * End of file on the channel: when the program's end is gone entirely
 * (POLLHUP: every holder closed it) the connection is closed (tcp_close:
 * FIN, or RST with unread data or SO_LINGER {1, 0}) and the socket freed;
 * when it went away with bytes still unread in the channel (the kernel
 * reports ECONNRESET on our end) the connection is reset, as the kernel
 * resets one closed with unread data;
 * when the program only shut down writing, after the bytes before it,
 * tcp_shutdown(SHUT_WR) sends our FIN.
 *
 * connect: a blocking one is answered when the handshake ends
 * (SOCK_PENDING). For a non-blocking one, libustack fills the program's
 * end before asking (the filler), so that it is not writable; the daemon
 * discards exactly those bytes when the handshake ends, which makes the
 * fd writable at that moment, as Linux does. SO_ERROR then tells how it
 * went. One that failed first shuts the channel both ways, so that the
 * program sees POLLHUP as the kernel's socket shows POLLERR|POLLHUP; a
 * later attempt gets a new channel at the same fd (st_chan_renew(),
 * USTACK_MSG_RENEW).
 *
 * Listening: each connection the engine has ready is given its own socket
 * and channel, and the listener's channel carries a struct
 * ustack_accept_msg with the new channel attached; accept() is one
 * recvmsg. A connection the program's listener channel cannot take now
 * waits in one slot; the rest wait in the engine's accept queue.
 *
 * A connection that dies (reset, timeout) shuts its channel both ways:
 * the program reads end of file, its writes fail, and libustack makes the
 * first failure the error (ECONNRESET), as Linux's do; sock_end.c tells
 * when the program lets go.
 *
 * A socket's engine half can be made new (st_renew()) with its options
 * and its bound address: after a failed connect, so that connect() tries
 * again (Linux disconnects a socket whose connect failed), and for
 * connect(AF_UNSPEC), Linux's tcp_disconnect(): a reset to a connected
 * peer, ECONNRESET for SO_ERROR, and a socket that can connect or listen
 * again. Its channel stays (bytes the program wrote and the daemon had
 * not sent are dropped; libustack drops those not yet read).
 *
 * SO_LINGER with a timeout (sock_end.c): a close that would send a FIN
 * keeps the socket, shut both ways in the engine, until the FIN is
 * acknowledged or the time is up.
 *
 * Receive times (SO_TIMESTAMP(NS), SO_TIMESTAMPING's RX_SOFTWARE, which
 * libustack tells as USTACK_SO_RXTIME): while one is set the socket keeps
 * a log of when its bytes arrived (rxlog.c, beside the socket in its
 * sock_opts, not in the engine's tcp_sock): at each engine event the
 * bytes its receive queue gained arrived at the engine's clock of that
 * moment (the frame being received), and every byte written into the
 * channel moves the log's offset on. libustack counts what the program
 * reads from the channel and asks (GETSOCKOPT USTACK_SO_RXTIME) for the
 * time of the last byte a recvmsg read; Linux's tcp_recvmsg() reports
 * the last skb's. Bytes that came before the option have none, as skbs
 * Linux did not stamp; an accepted connection whose listener asked gets
 * the time of the accept for the bytes that came before it.
 *
 * Transmit acknowledgements (SO_TIMESTAMPING's TX_ACK, kept by libustack):
 * a send that asks is followed by a SETSOCKOPT USTACK_TCP_ACKMARK with its
 * key, and the socket marks the end of what the program has written so
 * far (ackmark.c, beside the socket in its sock_opts): the engine's write
 * sequence plus what our end of the channel holds unread, the bytes of
 * that send being the last the program wrote. At each engine event the
 * marks SND.UNA has reached take the engine's clock (the ACK's frame);
 * libustack takes them (GETSOCKOPT) when the program looks at the error
 * queue or waits on the socket, and queues SCM_TSTAMP_ACK reports. A
 * reset, a timeout or a disconnect drops the marks not reached.
 *
 * Engine callbacks never close anything: they activate a per-socket
 * "kick" event, and the work happens from the event loop.
 */
#include <errno.h>
#include <event2/event.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ackmark.h"
#include "log.h"
#include "rxlog.h"
#include "sock_impl.h"
#include "stack.h"

#define TCP_KEEPALIVE_MS 0x7501        /* libustack's TCP_KEEPALIVE (ms) */
#define ST_SKB_MAX 65536                /* Linux's largest skb (GSO) */

static uint8_t scratch[256 * 1024];

static void st_kick_cb(struct sock *sk);
static int st_eor(struct sock *sk);
static uint32_t st_unread_exact(struct sock *sk);
static int st_ack_mark(struct sock *sk, uint32_t key);

static struct tcp_sock *T(const struct sock *sk)
{
	return sk->e.tcp;
}

static int st_open(struct sock *sk, void *engine)
{
	struct tcp_sock *ts = engine;
	int rc;

	if (!ts) {
		rc = tcp_open(sk->t->stack, sk->domain == AF_INET6 ? IP_V6 :
			      IP_V4, &ts, sock_now(sk));
		if (rc)
			return rc;
	}
	sk->e.tcp = ts;
	tcp_set_user(ts, sk);
	if (engine)
		sk->conn_done = sk->accepted = true;
	/* its uid is charged the socket, not its buffer sizes: the engine
	 * charges the bytes buffers hold, by use, to tcp-mem-budget */
	return 0;
}

/* A listener's accepted connection not handed over yet goes (reset). */
static void st_drop_pend_child(struct sock *sk)
{
	struct sock_aux *a = sk->aux;

	if (a && a->pend_child) {
		close(a->pend_child_fd);
		a->pend_child_fd = -1;
		sock_close(a->pend_child);
		a->pend_child = NULL;
	}
}

static void st_close(struct sock *sk)
{
	if (sk->o) {
		rx_log_free(sk->o->rxlog);
		sk->o->rxlog = NULL;
		ack_marks_free(sk->o->ackmarks);
		sk->o->ackmarks = NULL;
	}
	st_drop_pend_child(sk);
	sock_reply_pending(sk, -EBADF);
	if (T(sk)) {
		tcp_set_user(T(sk), NULL);
		if (sk->abort)
			tcp_abort(T(sk), sock_now(sk));
		else
			tcp_close(T(sk), sock_now(sk));
		sock_settle(sk);
	}
	sk->e.tcp = NULL;
}

static void st_kick(struct sock *sk)
{
	sock_kick(sk);
}

static int st_bind(struct sock *sk, const struct ip_addr *addr,
		   uint16_t port)
{
	struct sock_opts *o = sock_opts(sk);
	int rc;

	if (!o)
		return -ENOMEM;
	rc = tcp_bind(T(sk), addr, port);
	if (rc == 0) {
		/* kept by st_renew(); a port bind() chose is not */
		o->bound_addr = *addr;
		o->bound_port = port;
		o->old_lport = 0;
	}
	return rc;
}

/* Options a new engine socket takes over, as Linux's tcp_disconnect()
 * keeps them */
static const enum tcp_sockopt renew_opts[] = {
	TCP_SO_REUSEADDR, TCP_SO_REUSEPORT, TCP_SO_KEEPALIVE, TCP_SO_LINGER,
	TCP_OPT_NODELAY, TCP_OPT_CORK, TCP_OPT_KEEPIDLE, TCP_OPT_KEEPINTVL,
	TCP_OPT_KEEPCNT, TCP_OPT_CONGESTION, TCP_OPT_USER_TIMEOUT,
	TCP_OPT_SYNCNT, TCP_OPT_LINGER2, TCP_OPT_WINDOW_CLAMP,
	TCP_OPT_QUICKACK, TCP_OPT_THIN_LTO, TCP_IP_NONLOCAL, TCP_IP_BIND_NO_PORT,
	TCP_IP_MINTTL, TCP_OPT_DEFER_ACCEPT, TCP_IP_PORT_RANGE, TCP_SO_BUF_LOCK,
	TCP_OPT_FASTOPEN, TCP_OPT_FASTOPEN_CONNECT, TCP_OPT_FASTOPEN_NO_COOKIE,
};

/**
 * st_renew() - give @sk a new engine socket, unconnected
 * @sk: the socket
 *
 * The old one is aborted: a reset if it was synchronized (RFC 9293 ABORT,
 * Linux's tcp_need_reset()), nothing if it was connecting or closed. The
 * new one has its options and bind()'s address and port; getsockname()
 * goes on showing the old port until the socket has a new one, as Linux's
 * does (inet_sport stays).
 *
 * Return: 0, or -ENOBUFS (no engine socket left; nothing changed)
 */
static int st_renew(struct sock *sk)
{
	struct tcp_sock *old = T(sk), *nw;
	struct sock_opts *o = sk->o;
	uint64_t now = sock_now(sk);
	struct ip_addr a;
	uint16_t p;
	int v;

	if (tcp_open(sk->t->stack, tcp_family(old), &nw, now))
		return -ENOBUFS;
	for (size_t i = 0; i < sizeof(renew_opts) / sizeof(renew_opts[0]); i++)
		if (tcp_getsockopt(old, renew_opts[i], &v) == 0)
			tcp_setsockopt(nw, renew_opts[i], v, now);
	if (o && o->user_mss)
		tcp_setsockopt(nw, TCP_OPT_MAXSEG, o->user_mss, now);
	if (o && o->user_sndbuf)
		tcp_setsockopt(nw, TCP_SO_SNDBUFFORCE, o->user_sndbuf / 2,
			       now);
	if (o && o->user_rcvbuf)
		tcp_setsockopt(nw, TCP_SO_RCVBUFFORCE, o->user_rcvbuf / 2,
			       now);
	tcp_getsockname(old, &a, &p);
	if (p && (o = sock_opts(sk)))
		o->old_lport = p;
	if (o && o->ackmarks)      /* what was not acked never will be */
		ack_marks_drop_waiting(o->ackmarks);
	tcp_set_user(old, NULL);
	tcp_abort(old, now);
	sk->e.tcp = nw;
	tcp_set_user(nw, sk);
	if (o && (!ip_addr_is_any(&o->bound_addr) || o->bound_port) &&
	    tcp_bind(nw, &o->bound_addr, o->bound_port))
		log_warn("socket %u: its address is gone after a disconnect",
			 sk->id);
	sk->connecting = sk->nb_connect = sk->conn_done = false;
	sk->chan_empty = false;
	sk->listening = false;
	sk->t->st.renewed++;
	sock_settle(sk);
	return 0;
}

/* Bytes waiting in the channel that were written for a connection that
 * is gone, or before there was one: dropped, all but @keep (a connect's
 * filler, written just before it). Linux fails such writes (EPIPE). */
static void st_drop_unsent(struct sock *sk, uint32_t keep)
{
	int q = 0;

	if (ioctl(sk->chan, SIOCINQ, &q) || q <= (int)keep)
		return;
	q -= (int)keep;
	while (q > 0) {
		ssize_t n = recv(sk->chan, scratch,
				 (size_t)q < sizeof(scratch) ? (size_t)q
							     : sizeof(scratch),
				 MSG_DONTWAIT);

		if (n <= 0)
			break;
		q -= (int)n;
	}
}

static int st_connect(struct sock *sk, const struct ip_addr *addr,
		      uint16_t port,
		      bool nonblock)
{
	int rc;

	if (sk->listening)
		return -EISCONN;
	if (sk->nb_connect) {
		/* Linux: the first connect() after a non-blocking one has
		 * ended reports how it ended: 0, or the error (ECONNABORTED
		 * if SO_ERROR took it), and a failed one leaves the socket
		 * unconnected, to try again */
		enum tcp_state st = tcp_sock_state(T(sk));

		if (st == TCP_SYN_SENT)
			return -EALREADY;
		sk->nb_connect = false;
		if (st == TCP_CLOSED) {
			rc = sk->pending_err ? -sk->pending_err
					     : tcp_sock_error(T(sk));
			sk->pending_err = 0;
			if (!sk->dead)
				st_renew(sk);
			return rc ? rc : -ECONNABORTED;
		}
		return 0;
	}
	if (!sk->conn_done && tcp_sock_state(T(sk)) == TCP_CLOSED)
		st_drop_unsent(sk, sk->filler);
	rc = tcp_connect(T(sk), addr, port, sock_now(sk));
	if (rc == -EINPROGRESS) {
		sk->connecting = true;
		if (!nonblock)
			return SOCK_PENDING;
		sk->nb_connect = true;
		return rc;
	}
	if (rc == 0 || rc == -EISCONN)
		sk->conn_done = true;
	if (rc != -EALREADY && rc != -EISCONN)
		st_kick(sk);    /* discard the filler of a failed attempt */
	return rc;
}

/**
 * sock_tcp_fastopen() - the connect of sendto/sendmsg(MSG_FASTOPEN), with
 * the send's first bytes (Linux's tcp_sendmsg_fastopen())
 * @sk: the socket
 * @addr: where to
 * @port: its port
 * @nonblock: the program does not wait
 * @data: the bytes
 * @len: their number
 *
 * The engine's tcp_connect_data(): a blocking send hands over all of
 * them (in the SYN as far as a cookie allows, the rest after the
 * handshake) and is answered, with their number, when the handshake
 * ends; a non-blocking one only those the SYN carries, answered at once
 * (-EINPROGRESS for none, as Linux). A socket already connecting or
 * connected answers as connect() does, with nothing taken.
 *
 * Return: bytes taken, -errno, or SOCK_PENDING
 */
int sock_tcp_fastopen(struct sock *sk, const struct ip_addr *addr,
		      uint16_t port, bool nonblock, const void *data,
		      size_t len)
{
	size_t taken = 0;
	int rc;

	if (sk->listening || sk->nb_connect ||
	    tcp_sock_state(T(sk)) != TCP_CLOSED)
		return st_connect(sk, addr, port, nonblock);
	if (!sk->conn_done)
		st_drop_unsent(sk, sk->filler);
	sk->syn_taken = 0;
	rc = tcp_connect_data(T(sk), addr, port, data, len, nonblock, &taken,
			      sock_now(sk));
	if (rc == -EINPROGRESS) {
		sk->connecting = true;
		if (!nonblock) {
			sk->syn_taken = (uint32_t)taken;
			return SOCK_PENDING;
		}
		sk->nb_connect = true;
		return taken ? (int)taken : rc;
	}
	if (rc == 0 || rc == -EISCONN)
		sk->conn_done = true;
	if (rc != -EALREADY && rc != -EISCONN)
		st_kick(sk);    /* discard the filler of a failed attempt */
	return rc;
}

/*
 * connect(AF_UNSPEC): Linux's tcp_disconnect(). A listener stops (its
 * pending connections are reset; libustack drops the ones its channel
 * holds); a connection is aborted, with a reset if it was synchronized,
 * and SO_ERROR then reads ECONNRESET (also for one still connecting).
 * The socket can connect or listen again.
 */
static int st_disconnect(struct sock *sk)
{
	enum tcp_state st = tcp_sock_state(T(sk));
	bool reset = st == TCP_SYN_SENT || st == TCP_SYN_RECEIVED ||
		     st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT ||
		     st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2;

	if (sk->dead)
		return 0;
	st_drop_pend_child(sk);
	if (st_renew(sk))
		return -ENOBUFS;
	if (reset)
		sk->pending_err = ECONNRESET;
	sock_reply_pending(sk, -ECONNRESET);
	sock_want_write(sk, false);
	st_drop_unsent(sk, 0);
	sk->filler = 0;
	sk->prog_eof = false;
	return 0;
}

static int st_listen(struct sock *sk, int backlog)
{
	int rc;

	if (!sock_aux(sk))              /* for its accepted connections */
		return -ENOMEM;
	rc = tcp_listen(T(sk), backlog, sock_now(sk));

	if (rc == 0)
		sk->listening = true;
	return rc;
}

static int st_getname(struct sock *sk, bool peer, struct ip_addr *addr,
		      uint16_t *port)
{
	enum tcp_state st = tcp_sock_state(T(sk));

	if (peer) {
		if (st == TCP_CLOSED || st == TCP_LISTEN || st == TCP_SYN_SENT)
			return -ENOTCONN;
		tcp_getpeername(T(sk), addr, port);
		return 0;
	}
	tcp_getsockname(T(sk), addr, port);
	if (!*port)
		*port = sk->o ? sk->o->old_lport : 0;  /* after a disconnect,
							 * as Linux */
	return 0;
}

static int st_opt(int level, int name)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_SNDBUF: return TCP_SO_SNDBUF;
		case SO_RCVBUF: return TCP_SO_RCVBUF;
		case SO_SNDBUFFORCE: return TCP_SO_SNDBUFFORCE;
		case SO_RCVBUFFORCE: return TCP_SO_RCVBUFFORCE;
		case SO_REUSEADDR: return TCP_SO_REUSEADDR;
		case SO_REUSEPORT: return TCP_SO_REUSEPORT;
		case SO_KEEPALIVE: return TCP_SO_KEEPALIVE;
		case SO_LINGER: return TCP_SO_LINGER;
		case SO_BINDTOIFINDEX: return TCP_SO_BINDTOIFINDEX;
		case SO_BUF_LOCK: return TCP_SO_BUF_LOCK;
		}
	} else if (level == IPPROTO_IP) {
		if (name == IP_TOS)
			return TCP_IP_TOS;
		if (name == IP_TTL)
			return TCP_IP_TTL;
		if (name == IP_FREEBIND)        /* sock.c: either flag */
			return TCP_IP_NONLOCAL;
		if (name == IP_BIND_ADDRESS_NO_PORT)
			return TCP_IP_BIND_NO_PORT;
		if (name == IP_MINTTL)
			return TCP_IP_MINTTL;
		if (name == IP_LOCAL_PORT_RANGE)
			return TCP_IP_PORT_RANGE;
	} else if (level == IPPROTO_IPV6) {
		if (name == IPV6_V6ONLY)
			return TCP_IP6_V6ONLY;
		if (name == IPV6_TCLASS)
			return TCP_IP6_TCLASS;
		if (name == IPV6_UNICAST_HOPS)
			return TCP_IP6_HOPS;
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY: return TCP_OPT_NODELAY;
		case TCP_CORK: return TCP_OPT_CORK;
		case TCP_KEEPIDLE: return TCP_OPT_KEEPIDLE;
		case TCP_KEEPINTVL: return TCP_OPT_KEEPINTVL;
		case TCP_KEEPCNT: return TCP_OPT_KEEPCNT;
		case TCP_MAXSEG: return TCP_OPT_MAXSEG;
		case TCP_USER_TIMEOUT: return TCP_OPT_USER_TIMEOUT;
		case TCP_SYNCNT: return TCP_OPT_SYNCNT;
		case TCP_DEFER_ACCEPT: return TCP_OPT_DEFER_ACCEPT;
		case TCP_LINGER2: return TCP_OPT_LINGER2;
		case TCP_WINDOW_CLAMP: return TCP_OPT_WINDOW_CLAMP;
		case TCP_QUICKACK: return TCP_OPT_QUICKACK;
		case TCP_THIN_LINEAR_TIMEOUTS: return TCP_OPT_THIN_LTO;
		case TCP_THIN_DUPACK: return TCP_OPT_THIN_DUPACK;
		case TCP_TIMESTAMP: return TCP_OPT_TIMESTAMP;
		case TCP_SAVE_SYN: return TCP_OPT_SAVE_SYN;
		case TCP_FASTOPEN: return TCP_OPT_FASTOPEN;
		case TCP_FASTOPEN_CONNECT: return TCP_OPT_FASTOPEN_CONNECT;
		case TCP_FASTOPEN_NO_COOKIE: return TCP_OPT_FASTOPEN_NO_COOKIE;
		}
	}
	return -1;
}

/*
 * The TCP options the socket layer keeps (struct sock_opts), the engine
 * knowing nothing of them: TCP_INQ (libclient writes its control
 * message) and TCP_NOTSENT_LOWAT (st_pull_once() and libustack act on
 * it). Fast Open's are the engine's (tcp_fastopen.c). 1: answered
 * (*@rc), 0: not one of them.
 */
static int st_kept_setopt(struct sock *sk, int name, int val, int *rc)
{
	struct sock_opts *o;

	switch (name) {
	case TCP_INQ:
		*rc = val < 0 || val > 1 ? -EINVAL : 0;
		break;
	case TCP_NOTSENT_LOWAT:
		*rc = 0;        /* any value, as Linux's (negative: huge) */
		break;
	default:
		return 0;
	}
	if (*rc)
		return 1;
	o = sock_opts(sk);
	if (!o) {
		*rc = -ENOMEM;
		return 1;
	}
	if (name == TCP_INQ) {
		o->tcp_inq = val;
	} else {
		o->notsent_lowat = (uint32_t)val;
		st_kick(sk);    /* a higher mark lets more in now */
	}
	o->set = true;
	return 1;
}

/* st_kept_setopt()'s option read back: 1 answered (*@val), 0 not it */
static int st_kept_getopt(struct sock *sk, int name, int *val)
{
	const struct sock_opts *o = sk->o;

	switch (name) {
	case TCP_INQ:
		*val = o && o->tcp_inq;
		return 1;
	case TCP_NOTSENT_LOWAT:
		*val = o ? (int)o->notsent_lowat : 0;
		return 1;
	}
	return 0;
}

static int st_setopt(struct sock *sk, int level, int name, int val)
{
	int o = st_opt(level, name), rc;

	if (level == IPPROTO_TCP && st_kept_setopt(sk, name, val, &rc))
		return rc;

	if (level == IPPROTO_TCP && name == USTACK_TCP_EOR)
		return st_eor(sk);
	if (level == IPPROTO_TCP && name == USTACK_TCP_ACKMARK)
		return st_ack_mark(sk, (uint32_t)val);
	if (level == SOL_SOCKET && name == USTACK_SO_RXTIME) {
		/* SO_TIMESTAMPING's RX_SOFTWARE, kept by libustack */
		if (!sock_opts(sk))
			return -ENOMEM;
		sk->o->rxtime = val != 0;
		sk->o->set = true;      /* accepted connections take it */
		sock_tcp_rx_sync(sk);
		return 0;
	}
	if (level == IPPROTO_TCP && name == TCP_KEEPALIVE_MS) {
		/* lwIP's TCP_KEEPALIVE: idle time in milliseconds */
		if (val < 1)
			return -EINVAL;
		return tcp_setsockopt(T(sk), TCP_OPT_KEEPIDLE,
				      (val + 999) / 1000, sock_now(sk));
	}
	if (o < 0)
		return level == IPPROTO_TCP ? -ENOPROTOOPT : -ENOPROTOOPT;
	/* what st_renew() sets again: room for it first */
	if ((o == TCP_OPT_MAXSEG || o == TCP_SO_SNDBUF ||
	     o == TCP_SO_SNDBUFFORCE || o == TCP_SO_RCVBUF ||
	     o == TCP_SO_RCVBUFFORCE) && !sock_opts(sk))
		return -ENOMEM;
	rc = tcp_setsockopt(T(sk), (enum tcp_sockopt)o, val, sock_now(sk));
	if (rc == 0 && o == TCP_OPT_MAXSEG)
		sk->o->user_mss = val;
	if (rc == 0 && (o == TCP_SO_SNDBUF || o == TCP_SO_SNDBUFFORCE))
		tcp_getsockopt(T(sk), TCP_SO_SNDBUF, &sk->o->user_sndbuf);
	if (rc == 0 && (o == TCP_SO_RCVBUF || o == TCP_SO_RCVBUFFORCE))
		tcp_getsockopt(T(sk), TCP_SO_RCVBUF, &sk->o->user_rcvbuf);
	if (rc == 0 && (o == TCP_OPT_MAXSEG || o == TCP_SO_SNDBUF ||
			o == TCP_SO_SNDBUFFORCE || o == TCP_SO_RCVBUF ||
			o == TCP_SO_RCVBUFFORCE))
		sk->o->set = true;      /* accepted connections take them */
	if (rc == 0 && o == TCP_OPT_NODELAY)
		st_kick(sk);
	return rc;
}

static int st_getopt(struct sock *sk, int level, int name, int *val)
{
	int o = st_opt(level, name);

	if (level == SOL_SOCKET && name == USTACK_SO_READ_ERROR &&
	    T(sk) && tcp_recv_eof(T(sk))) {
		*val = 0;       /* the peer's FIN came first: end of file */
		return 0;
	}
	if (level == SOL_SOCKET &&
	    (name == SO_ERROR || name == USTACK_SO_READ_ERROR)) {
		*val = sk->pending_err ? sk->pending_err
				       : -tcp_sock_error(T(sk));
		sk->pending_err = 0;
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_ACCEPTCONN) {
		*val = sk->listening;
		return 0;
	}
	if (level == IPPROTO_TCP && st_kept_getopt(sk, name, val))
		return 0;
	if (level == IPPROTO_TCP && name == TCP_KEEPALIVE_MS) {
		int s = 0;

		tcp_getsockopt(T(sk), TCP_OPT_KEEPIDLE, &s);
		*val = s * 1000;
		return 0;
	}
	if (o < 0)
		return -ENOPROTOOPT;
	return tcp_getsockopt(T(sk), (enum tcp_sockopt)o, val);
}

/* TCP_INFO: Linux 6.18's struct tcp_info (tcp_info_to_linux()), at most
 * its 280 bytes, as 6.18 gives (a program built with older headers asks
 * for fewer and gets those). */
int sock_tcp_info(struct sock *sk, void *out, size_t len)
{
	struct tcp_info_rec r;
	struct tcp_linux_info ti;

	_Static_assert(offsetof(struct tcp_linux_info, snd_wnd) + 4 ==
		       TCP_LINUX_INFO_LEN_61 &&
		       offsetof(struct tcp_linux_info, total_rto) == 240 &&
		       offsetof(struct tcp_linux_info, received_ce) == 248 &&
		       offsetof(struct tcp_linux_info, accecn_opt_seen) == 278 &&
		       sizeof(struct tcp_linux_info) == TCP_LINUX_INFO_LEN &&
		       offsetof(struct tcp_linux_info, snd_wnd) ==
		       offsetof(struct tcp_info, tcpi_snd_wnd) &&
		       offsetof(struct tcp_linux_info, rto) ==
		       offsetof(struct tcp_info, tcpi_rto) &&
		       offsetof(struct tcp_linux_info, pacing_rate) ==
		       offsetof(struct tcp_info, tcpi_pacing_rate),
		       "struct tcp_info of Linux 6.18 (6.1's in the headers)");
	tcp_get_info(T(sk), &r, sock_now(sk));
	tcp_info_to_linux(&r, &ti);
	/* Linux hands TIME_WAIT to a minisock and closes the program's
	 * socket (tcp_time_wait(), tcp_done()): the program sees CLOSE */
	if (r.state == TCP_TIME_WAIT)
		ti.state = 7;
	if (len > TCP_LINUX_INFO_LEN)
		len = TCP_LINUX_INFO_LEN;
	memcpy(out, &ti, len);
	return (int)len;
}

/* TCP_FASTOPEN_KEY both ways: the engine's tcp_fastopen_key() */
int sock_tcp_fastopen_key(struct sock *sk, bool set, uint8_t *key, size_t *len)
{
	return tcp_fastopen_key(T(sk), set, key, len);
}

/* TCP_SAVED_SYN: the engine's tcp_saved_syn() (0 bytes without one) */
int sock_tcp_saved_syn(struct sock *sk, void *out, size_t cap, size_t *len)
{
	*len = 0;
	return T(sk) ? tcp_saved_syn(T(sk), out, cap, len) : 0;
}

/**
 * sock_tcp_congestion() - TCP_CONGESTION, a name both ways, as Linux's
 * do_tcp_setsockopt() and do_tcp_getsockopt()
 * @sk: the socket
 * @set: set from @name (at most @len bytes, NUL or not), or read into it
 * @name: the name
 * @len: its bytes; on a read, the room, set to what was written
 *
 * ustack has Linux's two default algorithms ("reno", "cubic", both in
 * net.ipv4.tcp_allowed_congestion_control); another name is ENOENT, as a
 * module Linux cannot load. A read gives the name padded with NULs to
 * TCP_CA_NAME_MAX (16) bytes, cut to the room.
 *
 * Return: 0 or -errno
 */
int sock_tcp_congestion(struct sock *sk, bool set, char *name, size_t *len)
{
	char buf[16] = "";
	int v = 0;

	if (set) {
		memcpy(buf, name, *len < sizeof(buf) - 1 ? *len : sizeof(buf) - 1);
		v = tcp_cc_lookup(buf);
		return v < 0 ? v : tcp_setsockopt(T(sk), TCP_OPT_CONGESTION, v,
						  sock_now(sk));
	}
	tcp_getsockopt(T(sk), TCP_OPT_CONGESTION, &v);
	strncpy(buf, tcp_cc_name((enum tcp_cc_algo)v), sizeof(buf) - 1);
	if (*len > sizeof(buf))
		*len = sizeof(buf);
	memcpy(name, buf, *len);
	return 0;
}

/**
 * sock_tcp_meminfo() - SO_MEMINFO of a stream: Linux's nine counters
 * (sk_get_meminfo()) from the engine's buffers: bytes held received and
 * queued to send, the two sizes; nothing is charged to a device queue,
 * forward allocation, option memory or a backlog here
 * @sk: the socket
 * @m: the nine values (SK_MEMINFO_*)
 */
void sock_tcp_meminfo(struct sock *sk, uint32_t m[9])
{
	struct tcp_info_rec r;

	tcp_get_info(T(sk), &r, sock_now(sk));
	memset(m, 0, 9 * sizeof(m[0]));
	m[0] = r.rcv_queued;    /* SK_MEMINFO_RMEM_ALLOC */
	m[1] = r.rcvbuf;        /* SK_MEMINFO_RCVBUF */
	m[3] = r.sndbuf;        /* SK_MEMINFO_SNDBUF */
	m[5] = r.snd_queued;    /* SK_MEMINFO_WMEM_QUEUED */
}

static int st_shutdown(struct sock *sk, int how)
{
	enum tcp_state st = tcp_sock_state(T(sk));
	int rc = 0;

	if (sk->listening) {
		/* Linux: shutting a listener down stops it; accept gets EINVAL */
		shutdown(sk->chan, SHUT_WR);
		sk->chan_wr_shut = true;
		return 0;
	}
	if (st == TCP_CLOSED || st == TCP_SYN_SENT)
		return -ENOTCONN;
	/* SHUT_WR travels in the channel (libustack shuts its end after
	 * this reply), behind the bytes written before it */
	if (how != SHUT_WR) {
		rc = tcp_shutdown(T(sk), TCP_SHUT_RD, sock_now(sk));
		if (!sk->chan_wr_shut) {
			shutdown(sk->chan, SHUT_WR);
			sk->chan_wr_shut = true;
		}
	}
	return rc;
}

static int st_ioctl(struct sock *sk, unsigned long req, int *val)
{
	struct tcp_info_rec r;

	switch (req) {
	case SIOCOUTQ:
		tcp_get_info(T(sk), &r, sock_now(sk));
		*val = (int)r.snd_queued;
		return 0;
	case SIOCINQ:
		*val = (int)tcp_recv_avail(T(sk));
		return 0;
	}
	return -ENOTTY;
}

static int st_sendto(struct sock *sk, const void *buf, size_t len,
		     const struct ip_addr *dst, uint16_t dport,
		     const struct ustack_dgram_meta *meta)
{
	(void)meta;
	(void)sk;
	(void)buf;
	(void)len;
	(void)dst;
	(void)dport;
	return -EOPNOTSUPP;      /* stream bytes travel in the channel */
}

/* The engine's error for a dead connection, kept for SO_ERROR. */
/*
 * The connection died (reset, timeout): keep the engine's error for
 * SO_ERROR and shut the channel both ways, so that the program reads end
 * of file (libustack then takes the error: ECONNRESET) and its writes fail
 * (libustack: the error once, without SIGPIPE, then EPIPE), as after a
 * reset in Linux (tcp_sendmsg() -> sk_stream_error()). Only the read side
 * where sock_end.c cannot tell when the program lets go of a channel shut
 * both ways.
 */
static void st_fail(struct sock *sk, int err)
{
	if (!sk->pending_err && err)
		sk->pending_err = err;
	if (sk->o && sk->o->ackmarks)   /* never acked now: no reports */
		ack_marks_drop_waiting(sk->o->ackmarks);
	if (sk->dead)
		return;
	if (sock_diag_usable(sk)) {
		shutdown(sk->chan, SHUT_RDWR);
		sk->dead = true;
		sk->chan_wr_shut = true;
		sock_want_write(sk, false);
		return;
	}
	if (!sk->chan_wr_shut) {
		shutdown(sk->chan, SHUT_WR);
		sk->chan_wr_shut = true;
	}
}

/*
 * The engine's clock @t (a frame's: an arrival, an ACK) as the program's
 * CLOCK_REALTIME, in seconds and nanoseconds; 0 stays 0 (no time)
 */
static void st_wall(struct sock *sk, uint64_t t, int64_t *sec,
		    uint32_t *nsec)
{
	if (t)
		t = sock_realtime(sk, t);
	*sec = (int64_t)(t / NSEC_PER_SEC);
	*nsec = (uint32_t)(t % NSEC_PER_SEC);
}

/* ---- receive times (rxlog.c) ---- */

/* Does @sk ask for its receive times? */
static bool st_rx_wanted(const struct sock *sk)
{
	return sk->o && (sk->o->rxtime ||
			 (sock_kept(sk, KEPT_TSFLAGS) & USTACK_CM_TIMESTAMP));
}

/*
 * The bytes the engine's receive queue gained since the last look arrived
 * now. Called at every engine event, so "now" is the clock of the frame
 * that brought them (the event comes while the engine takes it in), not
 * that of their later way into the channel. A full log first loses what
 * the program has read (the only time that is asked of the kernel).
 */
static void st_rx_note(struct sock *sk)
{
	struct rx_log *l = sk->o ? sk->o->rxlog : NULL;
	uint64_t q, unread;

	if (!l || !T(sk))
		return;
	q = tcp_recv_avail(T(sk));
	if (rx_log_full(l, q)) {
		unread = st_unread_exact(sk);
		rx_log_trim(l, unread < l->passed ? l->passed - unread : 0);
	}
	rx_log_arrived(l, q, sock_now(sk));
}

/**
 * sock_tcp_rx_sync() - SO_TIMESTAMP(NS) or USTACK_SO_RXTIME changed (or
 * was inherited): make the receive log, or free it when none asks
 * @sk: a stream socket
 *
 * A new log counts from now, as libustack does from the option's set: the
 * channel's unread bytes and the engine's queue have no time (an accepted
 * connection's is made with its channel: st_rx_child()). Without memory
 * for it, no times, as for bytes Linux did not stamp.
 */
void sock_tcp_rx_sync(struct sock *sk)
{
	struct sock_opts *o = sk->o;

	if (sk->type != SOCK_STREAM || !o)
		return;
	if (!st_rx_wanted(sk)) {
		rx_log_free(o->rxlog);
		o->rxlog = NULL;
		return;
	}
	if (o->rxlog)
		return;
	o->rxlog = rx_log_new(st_unread_exact(sk),
			      T(sk) ? tcp_recv_avail(T(sk)) : 0);
}

/*
 * An accepted connection whose listener asked for receive times: its log
 * begins with its channel, and what came before the accept is stamped now
 */
static void st_rx_child(struct sock *c)
{
	if (!st_rx_wanted(c))
		return;
	c->o->rxlog = rx_log_new(0, 0);
	st_rx_note(c);
}

/**
 * sock_tcp_rxtime() - GETSOCKOPT USTACK_SO_RXTIME on a stream: when the
 * last byte of a read arrived (struct ustack_stream_rxtime)
 * @sk: the socket
 * @o: the request: the read's offsets
 * @out: the reply
 *
 * Return: 0, or -EINVAL for a short request
 */
int sock_tcp_rxtime(struct sock *sk, const struct ustack_sockopt *o,
		    struct ustack_sockopt *out)
{
	struct ustack_stream_rxtime r;
	struct rx_log *l = sk->o ? sk->o->rxlog : NULL;
	uint64_t t = 0;

	if (o->len < sizeof(r))
		return -EINVAL;
	memcpy(&r, o->val, sizeof(r));
	if (l)
		t = rx_log_time(l, r.last, r.consumed);
	st_wall(sk, t, &r.sec, &r.nsec);
	r.cmsg = (uint32_t)sock_kept(sk, KEPT_TSFLAGS) &
		 (USTACK_CM_TIMESTAMP | USTACK_CM_TIMESTAMPNS |
		  USTACK_CM_TS_NEW);
	*out = *o;
	out->len = sizeof(r);
	memcpy(out->val, &r, sizeof(r));
	return 0;
}

/* ---- transmit acknowledgements (ackmark.c) ---- */

/*
 * USTACK_TCP_ACKMARK set: the send that asked wrote its last byte into
 * the channel just before, so the end of what the program has written is
 * the engine's write sequence plus what the channel holds that we have
 * not read (the daemon is one thread: nothing moves between the two
 * looks). A connection that is gone, or not yet made, takes no mark, as
 * Linux's send would have failed.
 */
static int st_ack_mark(struct sock *sk, uint32_t key)
{
	enum tcp_state st = T(sk) ? tcp_sock_state(T(sk)) : TCP_CLOSED;
	int q = 0;

	if (sk->dead || sk->listening || st == TCP_CLOSED ||
	    st == TCP_LISTEN || st == TCP_SYN_SENT)
		return -ENOTCONN;
	if (!sock_opts(sk))
		return -ENOMEM;
	if (ioctl(sk->chan, SIOCINQ, &q) || q < 0)
		q = 0;
	return ack_marks_add(&sk->o->ackmarks,
			     tcp_send_end(T(sk)) + (uint32_t)q, key);
}

/* At an engine event: the marks SND.UNA reached were acked now, at the
 * clock of the ACK that moved it (the event comes while it is taken in) */
static void st_ack_note(struct sock *sk)
{
	struct ack_marks *l = sk->o ? sk->o->ackmarks : NULL;

	if (ack_marks_waiting(l) && T(sk))
		ack_marks_acked(l, tcp_send_una(T(sk)), sock_now(sk));
}

/**
 * sock_tcp_ackmarks() - GETSOCKOPT USTACK_TCP_ACKMARK: the acked marks,
 * oldest first, taken off the list (struct ustack_ackmark_hdr, then the
 * marks, as many as the reply holds)
 * @sk: the socket
 * @o: the request (its value is not looked at)
 * @out: the reply
 *
 * Return: 0
 */
int sock_tcp_ackmarks(struct sock *sk, const struct ustack_sockopt *o,
		      struct ustack_sockopt *out)
{
	struct ack_marks *l = sk->o ? sk->o->ackmarks : NULL;
	struct ack_mark m[USTACK_ACKMARK_MAX];
	struct ustack_ackmark_hdr h = { 0, 0, 0, 0 };
	struct ustack_ackmark e;

	*out = *o;
	if (l) {
		st_ack_note(sk);        /* nothing happens between events */
		h.n = ack_marks_take(l, m, USTACK_ACKMARK_MAX);
		h.acked = l->acked;
		h.waiting = ack_marks_waiting(l);
	}
	for (unsigned i = 0; i < h.n; i++) {
		st_wall(sk, m[i].time, &e.sec, &e.nsec);
		e.key = m[i].key;
		memcpy(out->val + sizeof(h) + i * sizeof(e), &e, sizeof(e));
	}
	memcpy(out->val, &h, sizeof(h));
	out->len = (uint32_t)(sizeof(h) + h.n * sizeof(e));
	if (l && !l->n) {
		/* none left: the memory goes until the next send asks */
		ack_marks_free(l);
		sk->o->ackmarks = NULL;
	}
	return 0;
}

/*
 * Engine to program, as far as the channel takes it: the receive ring is
 * written to the channel in place (tcp_recv_spans(), one sendmsg() of up
 * to two pieces), then what the channel took is passed on
 * (tcp_recv_pass()): it leaves the ring but the window still counts it
 * until the program reads it. With nothing queued, tcp_recv() says why
 * (more may come, end of stream, an error).
 */
static void st_drain(struct sock *sk)
{
	uint64_t now = sock_now(sk);

	st_rx_note(sk);         /* what came without an event (accept) */
	while (!sk->chan_wr_shut) {
		struct tcp_span sp[2];
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n = (ssize_t)tcp_recv_spans(T(sk), sp);
		ssize_t k;

		if (n == 0)
			n = tcp_recv(T(sk), scratch, 1, TCP_RECV_PEEK, now);
		if (n == -EAGAIN || n == -ENOTCONN)
			break;
		if (n == 0) {
			/* the peer's FIN, everything before it delivered */
			shutdown(sk->chan, SHUT_WR);
			sk->chan_wr_shut = true;
			return;
		}
		if (n < 0) {
			st_fail(sk, (int)-n);
			return;
		}
		iov[0] = (struct iovec){ sp[0].base, sp[0].len };
		iov[1] = (struct iovec){ sp[1].base, sp[1].len };
		m.msg_iovlen = sp[1].len ? 2 : 1;
		k = sendmsg(sk->chan, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0) {
			if (errno != EAGAIN)
				return;   /* EPIPE: the program is gone */
			if (sock_chan_grow(sk))
				continue;
			sock_want_write(sk, true);
			sk->t->st.chan_full++;
			break;
		}
		tcp_recv_pass(T(sk), (size_t)k, now);
		if (sk->o && sk->o->rxlog)
			rx_log_pass(sk->o->rxlog, (uint64_t)k);
		sk->t->st.stream_in += (uint64_t)k;
		if (k < n) {
			sock_want_write(sk, true);
			break;
		}
	}
	sock_watch_unread(sk, tcp_recv_watch(T(sk)));
}

/* The bytes of ours the program has not read: what the channel holds of
 * what we wrote (its kernel size, a little more than the bytes) */
static uint32_t st_unread(const struct sock *sk)
{
	int q = 0;

	if (sk->chan < 0 || ioctl(sk->chan, SIOCOUTQ, &q) || q < 0)
		return 0;
	return (uint32_t)q;
}

/* What the program has left to read, exactly if the kernel says */
static uint32_t st_unread_exact(struct sock *sk)
{
	int64_t n = sock_prog_inq(sk);

	return n >= 0 ? (uint32_t)n : st_unread(sk);
}

/**
 * sock_tcp_unread() - stack_ops.sock_unread: of what st_drain() passed
 * on, how much the program has still not read
 * @t: the socket table
 * @ts: the engine's socket
 *
 * Return: bytes (an upper bound; the engine keeps the smaller of this and
 * what it passed)
 */
uint32_t sock_tcp_unread(struct socktab *t, struct tcp_sock *ts)
{
	struct sock *sk = tcp_user(ts);

	(void)t;
	return sk ? st_unread(sk) : 0;
}

/**
 * sock_tcp_recv_shut() - USTACK_TCP_RECV_SHUT: bytes the engine holds
 * once the channel was ended by a shutdown(SHUT_RD)
 * @sk: a stream socket
 * @out: where they go
 * @len: room (at most USTACK_OPT_MAX)
 * @peek: leave them queued
 *
 * Only once our end of the channel is shut: before that, the channel
 * carries every byte in order and libustack does not ask. An error
 * waiting is left for USTACK_SO_READ_ERROR (the read's next question).
 *
 * Return: the bytes written to @out (0: none queued)
 */
size_t sock_tcp_recv_shut(struct sock *sk, void *out, size_t len, bool peek)
{
	ssize_t n;

	if (!T(sk) || !sk->chan_wr_shut || !tcp_recv_avail(T(sk)))
		return 0;
	if (len > USTACK_OPT_MAX)
		len = USTACK_OPT_MAX;
	n = tcp_recv(T(sk), out, len, peek ? TCP_RECV_PEEK : 0, sock_now(sk));
	sock_settle(sk);
	return n > 0 ? (size_t)n : 0;
}

/* Return: true if the socket was freed */
static bool st_eof(struct sock *sk)
{
	if (sock_chan_gone(sk)) {
		sock_close(sk);
		return true;
	}
	if (!sk->prog_eof) {
		sk->prog_eof = true;
		tcp_shutdown(T(sk), TCP_SHUT_WR, sock_now(sk));
		sock_settle(sk);
	}
	return false;
}

/* Return: true if the socket was freed */
static bool st_discard_filler(struct sock *sk)
{
	while (sk->filler) {
		size_t want = sk->filler < sizeof(scratch) ? sk->filler
							   : sizeof(scratch);
		ssize_t n = recv(sk->chan, scratch, want, MSG_DONTWAIT);

		if (n > 0) {
			sk->filler -= (uint32_t)n;
			continue;
		}
		if (n == 0)
			return st_eof(sk);
		if (errno == ECONNRESET) {
			sk->abort = true;
			sock_close(sk);
			return true;
		}
		break;
	}
	return false;
}

/*
 * The filler of a connect that failed at once (no handshake under way,
 * none done): nothing will discard it at the outcome, so now.
 */
static bool st_filler_stale(const struct sock *sk)
{
	return sk->filler && !sk->connecting && !sk->conn_done;
}

/*
 * One read of the channel straight into the send ring, committed (one
 * write for TCP: its end is a push). Return: bytes, 0 at end of file, -1
 * (errno) for none, or -2 when the engine has no room.
 */
static ssize_t st_pull_once(struct sock *sk, uint64_t now, size_t *asked)
{
	uint32_t lowat = sk->o ? sk->o->notsent_lowat : 0, unsent, want;
	struct tcp_span sp[2];
	struct iovec iov[2];
	ssize_t n;
	int e;

	/* TCP_NOTSENT_LOWAT: no more while that much waits unsent (the
	 * channel then fills: libustack made it small); below it, as much
	 * as one of Linux's skbs more (a write checks the mark before each
	 * skb it fills: tcp_sendmsg_locked()) */
	unsent = lowat ? tcp_send_unsent(T(sk)) : 0;
	if ((lowat && unsent >= lowat) || !tcp_send_space(T(sk)) ||
	    !tcp_send_spans(T(sk), sp))
		return -2;
	if (lowat) {
		want = lowat - unsent > ST_SKB_MAX ? lowat - unsent
						   : ST_SKB_MAX;
		if (sp[0].len >= want) {
			sp[0].len = want;
			sp[1].len = 0;
		} else if (sp[1].len > want - sp[0].len) {
			sp[1].len = want - sp[0].len;
		}
	}
	iov[0] = (struct iovec){ sp[0].base, sp[0].len };
	iov[1] = (struct iovec){ sp[1].base, sp[1].len };
	*asked = sp[0].len + sp[1].len;
	n = readv(sk->chan, iov, sp[1].len ? 2 : 1);
	if (n > 0) {
		ssize_t acc = tcp_send_commit(T(sk), (size_t)n, now);

		if (acc > 0)
			sk->t->st.stream_out += (uint64_t)acc;
		return n;
	}
	/* nothing written: an empty ring goes back */
	e = errno;
	tcp_send_commit(T(sk), 0, now);
	errno = e;
	return n;
}

/*
 * USTACK_TCP_EOR: the bytes of the send that asked are in the channel
 * (libustack wrote them first): take them, then end the record. If the
 * send buffer cannot take them all now, the record's end is not marked
 * (the bytes after it may share a segment): said in ustack(7).
 */
static int st_eor(struct sock *sk)
{
	uint64_t now = sock_now(sk);
	size_t asked;
	int q = 0;

	if (sk->dead || sk->filler || !sk->conn_done)
		return 0;
	while (ioctl(sk->chan, SIOCINQ, &q) == 0 && q > 0 &&
	       st_pull_once(sk, now, &asked) > 0)
		;
	if (q == 0)
		tcp_send_eor(T(sk));
	return 0;
}

/*
 * Program to engine, while the engine has room. A read that comes back
 * short has emptied the channel (a stream's read glues every message
 * queued, up to what it asks): when the epoll report being dispatched
 * says the program had not shut down or closed its end, nothing more is
 * there to read, and what the program does next is a new edge; so the
 * read that would say EAGAIN is not made (one system call per exchange).
 * Called at any other time (the engine made room), it reads on until
 * EAGAIN or the end. Either way, a channel left empty (or at its end) is
 * marked so (chan_empty): until its next report, the deferred work after
 * engine events (st_kick_cb()) does not read it again, as it otherwise
 * would after every segment that comes in (a request passed on, its
 * reply not written yet: redis-benchmark GET went 30,000 to 35,500 req/s).
 */
static void st_pull(struct sock *sk)
{
	uint64_t now = sock_now(sk);
	enum tcp_state st;
	uint32_t ev;

	if (sk->dead)
		return;         /* shut both ways: sock_end.c sees the close */
	if (st_discard_filler(sk) || sk->filler)
		return;
	sk->chan_empty = false;
	for (;;) {
		size_t asked = 0;
		ssize_t n;

		st = tcp_sock_state(T(sk));
		n = st_pull_once(sk, now, &asked);
		if (n > 0 && (size_t)n < asked && sock_ev_bits(sk, &ev) &&
		    !(ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
			sk->chan_empty = true;
			break;
		}
		if (n > 0)
			continue;
		if (n == -2) {
			/* a dead connection still drains its channel, to
			 * see the program close it */
			if (!(sk->conn_done && (st == TCP_CLOSED ||
						sk->prog_eof || sk->shut_wr)))
				break;
			n = recv(sk->chan, scratch, sizeof(scratch),
				 MSG_DONTWAIT);
			if (n > 0)
				continue;
		}
		if (n == 0) {
			if (st_eof(sk))
				return;
			/* the program's close comes as a report (EPOLLHUP) */
			sk->chan_empty = true;
			break;
		}
		if (errno == ECONNRESET) {
			/* the program's end went away with bytes it never
			 * read: the kernel would reset the connection */
			sk->abort = true;
			sock_close(sk);
			return;
		}
		if (errno == EAGAIN)
			sk->chan_empty = true;
		else if (errno != EINTR)
			sk->t->st.chan_err++;
		break;
	}
	sock_settle(sk);
}

static int st_hand_over(struct sock *l, struct sock *c, int cfd)
{
	struct ustack_accept_msg am;
	struct iovec iov = { &am, sizeof(am) };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cm.b,
			      .msg_controllen = sizeof(cm.b) };
	struct ip_addr a;
	uint16_t p;

	memset(&am, 0, sizeof(am));
	tcp_getsockname(T(c), &a, &p);
	sock_addr_out(l, &a, p, &am.local);
	tcp_getpeername(T(c), &a, &p);
	sock_addr_out(l, &a, p, &am.peer);
	sock_info(c, USTACK_INFO_NONBLOCK, &am.info);
	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &cfd, sizeof(int));
	if (sendmsg(l->chan, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    (ssize_t)sizeof(am))
		return 1;
	return errno == EAGAIN ? 0 : -1;
}

static void st_accept(struct sock *l)
{
	struct sock_aux *a = l->aux;    /* st_listen() made it */

	if (!a)
		return;
	for (;;) {
		struct tcp_sock *ts;
		struct sock *c;
		int cfd, rc;

		if (l->chan_wr_shut)
			return;
		if (!a->pend_child) {
			if (tcp_accept(T(l), &ts))
				return;
			/* its end non-blocking, as servers accept4() it */
			c = sock_alloc(l->t, l->q, l->domain,
				       SOCK_STREAM | SOCK_NONBLOCK,
				       IPPROTO_TCP, &sock_tcp_proto, ts, &cfd,
				       &rc);
			if (!c) {
				/* over quota: the connection is refused */
				tcp_abort(ts, sock_now(l));
				sock_settle(l);
				continue;
			}
			/* the listener's holder will accept it, with the
			 * options it set (Linux's sk_clone_lock()) */
			sock_owner_share(c, l);
			/* and the IPv6 ones (tcp_v6_syn_recv_sock()); with
			 * no memory for them, the defaults (counted) */
			if (sock_opts_inherit(c, l))
				l->t->st.chan_err++;
			st_rx_child(c);
			if (c->o && c->o->notsent_lowat) {
				/* its end small, as libustack makes it */
				int v = ustack_lowat_chan_sndbuf(
					c->o->notsent_lowat);

				setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &v,
					   sizeof(v));
			}
			a->pend_child = c;
			a->pend_child_fd = cfd;
		}
		rc = st_hand_over(l, a->pend_child, a->pend_child_fd);
		if (rc == 0) {
			sock_want_write(l, true);
			return;
		}
		c = a->pend_child;
		close(a->pend_child_fd);
		a->pend_child = NULL;
		a->pend_child_fd = -1;
		if (rc < 0) {
			sock_close(c);
			return;
		}
		st_kick(c);      /* bytes may have arrived before accept */
	}
}

/*
 * The handshake failed. Linux's connect() reports the error and leaves
 * the socket unconnected (__inet_stream_connect(): sock_error, then
 * disconnect), so that the next connect() tries again: a blocking one is
 * answered and the socket made new; for a non-blocking one the error waits
 * for SO_ERROR or the next connect() (st_connect()). The filler goes: the
 * program's end becomes writable, the outcome is known.
 */
static void st_connect_failed(struct sock *sk)
{
	bool nonblock = !sk->pend_connect;

	if (sk->pend_connect) {
		int err = tcp_sock_error(T(sk));

		sock_reply_pending(sk, err ? err : -ECONNREFUSED);
		st_renew(sk);
	}
	/* the kernel's socket shows the failure as POLLERR and POLLHUP,
	 * which programs wait for (haproxy takes POLLOUT alone for
	 * connected): shut the channel both ways, as after a reset, before
	 * the filler goes (what makes the program's end writable, so that it
	 * wakes to the hangup too); the next attempt asks for a new channel
	 * (st_chan_renew()) */
	if (nonblock && sock_diag_usable(sk))
		st_fail(sk, 0);
	st_discard_filler(sk);          /* may free sk */
}

/*
 * USTACK_MSG_RENEW: a new channel for a socket whose failed non-blocking
 * connect shut its one, once that failure was reported (the first
 * connect() after it, as Linux, tells it), with a new engine socket.
 */
static int st_chan_renew(struct sock *sk, int *client_fd)
{
	int rc;

	if (!sk->dead || sk->nb_connect || sk->conn_done || sk->listening ||
	    tcp_sock_state(T(sk)) != TCP_CLOSED)
		return 0;               /* nothing to renew */
	rc = st_renew(sk);
	if (rc)
		return rc;
	rc = sock_chan_renew(sk, client_fd);
	if (rc)
		return rc;
	sk->filler = 0;
	sk->connecting = false;
	return 0;
}

/*
 * sock_proto.linger: the program closed a socket that lingers with a
 * timeout (sock_end.c). If the close sends a FIN, shut the engine socket
 * both ways and keep it until the FIN is acknowledged or the time is up;
 * a close that resets (unread data, SO_LINGER {1, 0}, the program's end
 * gone with bytes unread) waits for nothing, as in Linux's tcp_close().
 */
static bool st_linger(struct sock *sk)
{
	enum tcp_state st;

	if (!T(sk) || sk->listening || sk->abort || sk->dead ||
	    !sk->conn_done || (sk->aux && sk->aux->pend_child))
		return false;
	st = tcp_sock_state(T(sk));
	if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT &&
	    st != TCP_SYN_RECEIVED && st != TCP_FIN_WAIT_1 &&
	    st != TCP_CLOSING && st != TCP_LAST_ACK)
		return false;
	if (tcp_recv_avail(T(sk)) || (sock_kept(sk, KEPT_LINGER_ON) &&
				      sock_kept(sk, KEPT_LINGER_SECS) == 0))
		return false;
	if (sock_linger_arm(sk)) {
		sk->t->st.chan_err++;   /* no memory for its timer */
		return false;
	}
	tcp_shutdown(T(sk), TCP_SHUT_RDWR, sock_now(sk));
	sock_settle(sk);
	sk->lingering = true;
	return true;
}

/* Lingering: done once FIN_WAIT_1, CLOSING and LAST_ACK are over
 * (Linux's sk_stream_closing()); then the socket goes, and its waiter
 * with it */
static void st_linger_check(struct sock *sk)
{
	enum tcp_state st = tcp_sock_state(T(sk));

	if (st != TCP_FIN_WAIT_1 && st != TCP_CLOSING && st != TCP_LAST_ACK)
		sock_close(sk);
}

static void st_chan_read(struct sock *sk)
{
	/* a report: whatever st_pull() found, the channel changed since
	 * (and a path below may not read it: before the connection) */
	sk->chan_empty = false;
	if (sk->dead) {
		/* shut both ways: an edge here may be the program's close */
		if (sock_prog_alive(sk) == 0) {
			sk->t->st.dead_freed++;
			sock_close(sk);
		}
		return;
	}
	if (sk->listening) {
		ssize_t n = recv(sk->chan, scratch, sizeof(scratch),
				 MSG_DONTWAIT);

		if ((n == 0 || (n < 0 && errno != EAGAIN)) &&
		    sock_chan_gone(sk))
			sock_close(sk);
		return;
	}
	if (!sk->conn_done) {
		/* not connected: bytes (the filler) wait; only a close counts */
		if (st_filler_stale(sk) && st_discard_filler(sk))
			return;
		if (sock_chan_gone(sk))
			sock_close(sk);
		return;
	}
	st_pull(sk);
}

static void st_chan_write(struct sock *sk)
{
	if (sk->listening)
		st_accept(sk);
	else if (sk->conn_done && sk->watch_unread && !sk->dead)
		/* the program read: the window opens, by what it has left
		 * to read exactly (sock_diag; our end's count of whole
		 * messages with their overhead when it does not answer),
		 * and st_drain() says whether to go on watching */
		sock_watch_unread(sk, tcp_recv_unread(T(sk), st_unread_exact(sk),
						      sock_now(sk)));
	if (!sk->listening && sk->conn_done)
		st_drain(sk);
	sock_settle(sk);
}

static void st_kick_cb(struct sock *sk)
{
	enum tcp_state st;

	if (sk->lingering) {
		st_linger_check(sk);    /* may free sk */
		return;
	}
	if (sk->dead)
		return;
	if (sk->listening) {
		if (!sk->wev_armed)
			st_accept(sk);
		sock_settle(sk);
		return;
	}
	st = tcp_sock_state(T(sk));
	if (sk->connecting && st != TCP_SYN_SENT) {
		sk->connecting = false;
		if (st == TCP_CLOSED) {
			st_connect_failed(sk);  /* may free sk */
			return;
		}
		sk->conn_done = true;
		sk->chan_empty = false; /* what was written meanwhile */
		sock_reply_pending(sk, (int)sk->syn_taken);
		sk->syn_taken = 0;
	}
	if (!sk->conn_done) {
		/* a connect that failed at once: its filler goes */
		if (st_filler_stale(sk))
			st_discard_filler(sk);  /* may free sk */
		return;
	}
	if (!sk->wev_armed)
		st_drain(sk);
	if (sk->chan_wr_shut && !sk->dead &&
	    tcp_sock_state(T(sk)) == TCP_CLOSED) {
		/* a reset after the peer's FIN (st_drain() stopped at it) */
		int err = tcp_sock_error(T(sk));

		if (err)
			st_fail(sk, -err);
	}
	if (!sk->dead && !sk->chan_empty)
		st_pull(sk);    /* may free sk */
}

const struct sock_proto sock_tcp_proto = {
	.renew = st_chan_renew,
	.chan_type = SOCK_STREAM,
	.open = st_open,
	.close = st_close,
	.bind = st_bind,
	.connect = st_connect,
	.disconnect = st_disconnect,
	.listen = st_listen,
	.getname = st_getname,
	.setopt = st_setopt,
	.getopt = st_getopt,
	.shutdown = st_shutdown,
	.ioctl = st_ioctl,
	.sendto = st_sendto,
	.linger = st_linger,
	.chan_read = st_chan_read,
	.chan_write = st_chan_write,
	.kick = st_kick_cb,
};

/**
 * sock_tcp_event() - stack_ops.sock_event: schedule the socket's work
 * @t: the socket table
 * @ts: the engine's socket
 * @events: TCP_EV_* bits
 */
void sock_tcp_event(struct socktab *t, struct tcp_sock *ts, unsigned events)
{
	struct sock *sk = tcp_user(ts);

	(void)t;
	(void)events;
	if (sk) {
		st_rx_note(sk);
		st_ack_note(sk);
		st_kick(sk);
	}
}
