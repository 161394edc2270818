/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the control socket: accept clients, validate, answer
 *
 * Theory of operation: a SOCK_SEQPACKET listener at the configured path,
 * created only once the daemon is ready to serve (so its existence means
 * "ready"), removed at exit. Each client connection is watched by one
 * libevent event; a readable client yields one message, which is
 * validated completely (proto/ustack_proto.h) before anything acts on it.
 * Broken framing (short, bad magic, length lies, oversized) disconnects
 * the client; a well-framed request we cannot honour gets an error reply.
 * A client that does not take its replies is disconnected rather than
 * buffered for. Every outcome is counted. SO_PEERCRED tells who the client
 * is; later requests check it.
 *
 * Out of descriptors (EMFILE/ENFILE), accepting pauses for 100 ms instead
 * of spinning on a listener that stays readable.
 */
#include "ctl.h"

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sock.h"
#include "ustack_proto.h"
#include "version.h"

struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	int fd;
	struct event *ev;
	struct ucred cred;
};

struct ctl {
	struct event_base *base;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct event *accept_ev;
	struct event *backoff_ev;
	struct ctl_client *clients;
	unsigned nclients;
	struct ctl_stats st;
	struct socktab *socks;
	uint8_t buf[USTACK_MSG_MAX];
};

static void client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;
	struct ctl_client **pp = &c->clients;

	while (*pp != cl)
		pp = &(*pp)->next;
	*pp = cl->next;
	event_free(cl->ev);
	close(cl->fd);
	c->nclients--;
	free(cl);
}

static int client_reply_fd(struct ctl_client *cl, uint16_t type, uint32_t seq,
			   int32_t status, const void *body, size_t body_len,
			   int fd)
{
	uint8_t out[sizeof(struct ustack_msg_hdr) + 256];
	size_t n = ustack_msg_build(out, sizeof(out), type | USTACK_MSG_REPLY,
				    seq, status, body, body_len);
	struct iovec iov = { out, n };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	}
	if (sendmsg(cl->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
		cl->ctl->st.send_fail++;
		return -1;
	}
	return 0;
}

static int client_reply(struct ctl_client *cl, uint16_t type, uint32_t seq,
			int32_t status, const void *body, size_t body_len)
{
	return client_reply_fd(cl, type, seq, status, body, body_len, -1);
}

static int ctl_dispatch(struct ctl_client *cl, const struct ustack_msg_hdr *h,
			int fd)
{
	struct ustack_hello_reply hello;
	uint8_t reply[USTACK_SOCK_REPLY_MAX];
	size_t reply_len;
	int reply_fd, status, rc;

	switch (h->type) {
	case USTACK_MSG_HELLO:
		memset(&hello, 0, sizeof(hello));
		hello.proto_version = USTACK_PROTO_VERSION;
		hello.pid = (uint32_t)getpid();
		snprintf(hello.version, sizeof(hello.version), "%s",
			 USTACK_VERSION);
		return client_reply(cl, h->type, h->seq, 0, &hello,
				    sizeof(hello));
	}
	if (!cl->ctl->socks)
		return client_reply(cl, h->type, h->seq, -EOPNOTSUPP, NULL, 0);
	status = sock_request(cl->ctl->socks, cl->cred.uid, cl->cred.pid, h,
			      cl->ctl->buf + sizeof(*h), fd, reply, &reply_len,
			      &reply_fd);
	rc = client_reply_fd(cl, h->type, h->seq, status, reply,
			     status ? 0 : reply_len, status ? -1 : reply_fd);
	if (reply_fd >= 0)
		close(reply_fd);
	return rc;
}

#define CTL_MAX_FDS 8
#define USTACK_CHECK_FDS (-100)

/*
 * One message and the descriptors that came with it (SCM_RIGHTS only;
 * more fds than fit are closed by the kernel and set *@truncated).
 */
static ssize_t ctl_recv(int fd, void *buf, size_t cap, int *fds, int *nfds,
			bool *truncated)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
	} cm;
	struct iovec iov = { buf, cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cm.b,
			      .msg_controllen = sizeof(cm.b) };
	struct cmsghdr *c;
	ssize_t n;

	*nfds = 0;
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && *nfds < CTL_MAX_FDS; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
	}
	/* more than fitted: the kernel closed the rest; refuse the request */
	*truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
	return n;
}

static void client_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *cl = arg;
	struct ctl *c = cl->ctl;
	struct ustack_msg_hdr h;
	ssize_t n;
	int rc, nfds, sfd;
	int fds[CTL_MAX_FDS];
	bool truncated;

	(void)what;
	n = ctl_recv(fd, c->buf, sizeof(c->buf), fds, &nfds, &truncated);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(cl);
		return;
	}
	if ((size_t)n > sizeof(c->buf))
		rc = USTACK_CHECK_LEN;
	else
		rc = ustack_msg_check(c->buf, (size_t)n, 0, &h);
	sfd = nfds == 1 ? fds[0] : -1;
	if (rc == USTACK_CHECK_OK && (nfds > 1 || truncated))
		rc = USTACK_CHECK_FDS;
	switch (rc) {
	case USTACK_CHECK_OK:
		c->st.requests++;
		rc = ctl_dispatch(cl, &h, sfd);
		break;
	case USTACK_CHECK_FDS:
		c->st.bad_request++;
		rc = client_reply(cl, h.type, h.seq, -EINVAL, NULL, 0);
		break;
	case USTACK_CHECK_VERSION:
	case USTACK_CHECK_TYPE:
	case USTACK_CHECK_BODY:
	case USTACK_CHECK_FLAGS:
		c->st.bad_request++;
		log_debug("ctl: pid %d: %s", (int)cl->cred.pid,
			  ustack_check_str(rc));
		rc = client_reply(cl, h.type & (uint16_t)~USTACK_MSG_REPLY,
				  h.seq, rc == USTACK_CHECK_VERSION ?
					  -EPROTONOSUPPORT : -EINVAL,
				  NULL, 0);
		break;
	default:
		c->st.bad_framing++;
		log_info("ctl: pid %d disconnected: %s", (int)cl->cred.pid,
			 ustack_check_str(rc));
		rc = -1;
		break;
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc < 0)
		client_free(cl);
}

static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;

	(void)fd;
	(void)what;
	event_add(c->accept_ev, NULL);
}

static void ctl_accept(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;
	struct ctl_client *cl;
	socklen_t len = sizeof(cl->cred);

	(void)what;
	for (int i = 0; i < 64; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				struct timeval tv = { 0, 100000 };

				c->st.accept_backoff++;
				log_warn("ctl: accept: %s; pausing 100 ms",
					 strerror(errno));
				event_del(c->accept_ev);
				evtimer_add(c->backoff_ev, &tv);
			}
			return;
		}
		if (c->nclients >= CTL_MAX_CLIENTS ||
		    !(cl = calloc(1, sizeof(*cl)))) {
			c->st.refused_full++;
			close(cfd);
			continue;
		}
		cl->ctl = c;
		cl->fd = cfd;
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cl->cred, &len))
			cl->cred.pid = -1;
		cl->ev = event_new(c->base, cfd, EV_READ | EV_PERSIST,
				   client_read, cl);
		if (!cl->ev || event_add(cl->ev, NULL)) {
			if (cl->ev)
				event_free(cl->ev);
			close(cfd);
			free(cl);
			c->st.refused_full++;
			continue;
		}
		cl->next = c->clients;
		c->clients = cl;
		c->nclients++;
		c->st.accepted++;
	}
}

static int mkdir_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "creating %s: %s", dir, strerror(errno));
	return -1;
}

/* A socket file left by a daemon that died may be removed; a live one not. */
static int claim_path(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(sa->sun_path, &st))
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket",
			 sa->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen,
			 "%s: another ustackd is serving this socket",
			 sa->sun_path);
		return -1;
	}
	unlink(sa->sun_path);
	return 0;
}

/**
 * ctl_open() - create the control socket and serve it on @base
 * @base: the daemon's event loop
 * @path: socket path; missing parent directories are created
 * @mode: permission bits for the socket file
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * Return: the control server, or NULL
 */
struct ctl *ctl_open(struct event_base *base, const char *path, mode_t mode,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *c;

	if (strlen(path) >= sizeof(sa.sun_path) || !*path) {
		snprintf(err, errlen, "socket path '%s' is empty or too long",
			 path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	if (mkdir_parent(path, err, errlen) || claim_path(&sa, err, errlen))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	strcpy(c->path, path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, mode) || listen(c->fd, 128)) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 strerror(errno));
		if (c->fd >= 0) {
			close(c->fd);
			unlink(path);
		}
		free(c);
		return NULL;
	}
	c->accept_ev = event_new(base, c->fd, EV_READ | EV_PERSIST,
				 ctl_accept, c);
	c->backoff_ev = evtimer_new(base, accept_resume, c);
	if (!c->accept_ev || !c->backoff_ev || event_add(c->accept_ev, NULL)) {
		snprintf(err, errlen, "control socket: libevent failed");
		ctl_close(c);
		return NULL;
	}
	return c;
}

/**
 * ctl_close() - disconnect every client and remove the socket file
 * @c: the control server, or NULL
 */
void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	if (c->accept_ev)
		event_free(c->accept_ev);
	if (c->backoff_ev)
		event_free(c->backoff_ev);
	close(c->fd);
	unlink(c->path);
	free(c);
}

/**
 * ctl_set_socktab() - serve socket requests from @t from now on
 * @c: the control server
 * @t: the socket table
 */
void ctl_set_socktab(struct ctl *c, struct socktab *t)
{
	c->socks = t;
}

/**
 * ctl_chgrp() - give the control socket to a group (name or number)
 * @c: the control server
 * @group: the group
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * Return: 0, or -1
 */
int ctl_chgrp(struct ctl *c, const char *group, char *err, size_t errlen)
{
	struct group *g = getgrnam(group);
	char *end;
	unsigned long gid;

	if (g) {
		gid = g->gr_gid;
	} else {
		gid = strtoul(group, &end, 10);
		if (!*group || *end) {
			snprintf(err, errlen, "socket-group: no group '%s'", group);
			return -1;
		}
	}
	if (chown(c->path, (uid_t)-1, (gid_t)gid)) {
		snprintf(err, errlen, "socket-group: chown %s: %s", c->path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

const struct ctl_stats *ctl_get_stats(const struct ctl *c)
{
	return &c->st;
}

unsigned ctl_clients(const struct ctl *c)
{
	return c->nclients;
}
