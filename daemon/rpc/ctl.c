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
 *
 * Requests are dispatched by type range to handlers the daemon registers
 * (ctl_set_handler). A handler answers at once (ctl_reply) or later: then
 * it keeps the client's id, and a reply to a client that has gone is
 * simply dropped. A message may carry one descriptor (SCM_RIGHTS), which
 * goes to the handler; more than one is refused. "Admin" is uid 0, or a
 * member of the configured admin group (primary or supplementary group,
 * from SO_PEERCRED and SO_PEERGROUPS).
 */
#include "ctl.h"

#include <errno.h>
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
#include "ustack_proto.h"
#include "version.h"

struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	uint64_t id;
	int fd;
	struct event *ev;
	struct ucred cred;
	pid_t act_pid;          /* ACT_FOR: requests are this process's, */
	uid_t act_uid;          /* as this uid (0 pid: the connection's) */
	bool admin;
};

struct ctl_handler {
	uint16_t first, last;
	ctl_handler_fn *fn;
	void *arg;
};

struct ctl {
	struct event_base *base;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char made_dir[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* or "" */
	struct event *accept_ev;
	struct event *backoff_ev;
	struct ctl_client *clients;
	unsigned nclients;
	uint64_t next_id;
	gid_t admin_gid;                /* (gid_t)-1: only root is admin */
	char link[16];                  /* HELLO: the stack's interface */
	struct ctl_handler handlers[CTL_MAX_HANDLERS];
	unsigned nhandlers;
	struct ctl_stats st;
	uint8_t buf[USTACK_MSG_MAX];
	uint8_t out[USTACK_MSG_MAX];
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

/* A reply, with @fd attached (SCM_RIGHTS) unless it is -1. */
static int client_reply_fd(struct ctl_client *cl, uint16_t type, uint32_t seq,
			   int32_t status, const void *body, size_t body_len,
			   int fd)
{
	struct ctl *c = cl->ctl;
	size_t n = ustack_msg_build(c->out, sizeof(c->out),
				    type | USTACK_MSG_REPLY, seq, status, body,
				    body_len);
	struct iovec iov = { c->out, n };
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
	if (!n || sendmsg(cl->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) !=
			  (ssize_t)n) {
		c->st.send_fail++;
		return -1;
	}
	return 0;
}

static int client_reply(struct ctl_client *cl, uint16_t type, uint32_t seq,
			int32_t status, const void *body, size_t body_len)
{
	return client_reply_fd(cl, type, seq, status, body, body_len, -1);
}

static struct ctl_client *client_find(struct ctl *c, uint64_t id)
{
	for (struct ctl_client *cl = c->clients; cl; cl = cl->next)
		if (cl->id == id)
			return cl;
	return NULL;
}

/**
 * ctl_reply() - answer a request, now or later
 * @c: the control server
 * @client: the id from struct ctl_req
 * @type: the request's type
 * @seq: the request's seq
 * @status: 0 or -errno (then @body must be empty)
 * @body: reply body
 * @len: its size
 *
 * A client that does not take its reply is disconnected.
 *
 * Return: 0, -ENOENT if the client has gone, -EPIPE if it was dropped
 */
int ctl_reply(struct ctl *c, uint64_t client, uint16_t type, uint32_t seq,
	      int32_t status, const void *body, size_t len)
{
	return ctl_reply_fd(c, client, type, seq, status, body, len, -1);
}

/**
 * ctl_reply_fd() - ctl_reply() with a descriptor attached (SCM_RIGHTS)
 * @c: the control server
 * @client: the id from struct ctl_req
 * @type: the request's type
 * @seq: the request's seq
 * @status: 0 or -errno (then @body must be empty)
 * @body: reply body
 * @len: its size
 * @fd: the descriptor to pass (the caller still closes its copy), or -1
 *
 * Return: 0, -ENOENT if the client has gone, -EPIPE if it was dropped
 */
int ctl_reply_fd(struct ctl *c, uint64_t client, uint16_t type, uint32_t seq,
		 int32_t status, const void *body, size_t len, int fd)
{
	struct ctl_client *cl = client_find(c, client);

	if (!cl)
		return -ENOENT;
	if (client_reply_fd(cl, type, seq, status, body, len, fd)) {
		client_free(cl);
		return -EPIPE;
	}
	return 0;
}

/**
 * ctl_set_handler() - route requests of types @first..@last to @fn
 * @c: the control server
 * @first: first type
 * @last: last type, inclusive
 * @fn: the handler
 * @arg: passed to it
 *
 * Return: 0, or -ENOSPC
 */
int ctl_set_handler(struct ctl *c, uint16_t first, uint16_t last,
		    ctl_handler_fn *fn, void *arg)
{
	if (c->nhandlers == CTL_MAX_HANDLERS)
		return -ENOSPC;
	c->handlers[c->nhandlers++] = (struct ctl_handler){ first, last, fn, arg };
	return 0;
}

/**
 * ctl_set_admin_gid() - members of @gid may change state, besides root
 * @c: the control server
 * @gid: the group, or (gid_t)-1 for none
 */
void ctl_set_admin_gid(struct ctl *c, gid_t gid)
{
	c->admin_gid = gid;
}

/**
 * ctl_set_link() - the interface name HELLO tells programs (IP_PKTINFO)
 * @c: the control server
 * @name: the link's name, as the kernel knows it
 */
void ctl_set_link(struct ctl *c, const char *name)
{
	snprintf(c->link, sizeof(c->link), "%s", name);
}

/**
 * ctl_link() - the link's name set by ctl_set_link()
 * @c: the control server
 *
 * Return: the name, "" if none was set
 */
const char *ctl_link(const struct ctl *c)
{
	return c->link;
}

/* Is the peer root or in the admin group? Decided once, at accept. */
static bool client_is_admin(const struct ctl *c, int fd, const struct ucred *cr)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cr->uid == 0)
		return true;
	if (c->admin_gid == (gid_t)-1)
		return false;
	if (cr->gid == c->admin_gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == c->admin_gid)
			return true;
	return false;
}

/* The real uid of process @pid, from /proc. Return: 0, or -ESRCH */
static int proc_uid(pid_t pid, uid_t *uid)
{
	char path[32], line[128];
	unsigned u;
	int rc = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &u) == 1) {
			*uid = (uid_t)u;
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

/* The ustack_int body of the request in @cl's buffer (its length checked
 * by ustack_msg_check() against the type's rule before dispatch) */
static struct ustack_int body_int(const struct ctl_client *cl)
{
	struct ustack_int v;

	memcpy(&v, cl->ctl->buf + sizeof(struct ustack_msg_hdr), sizeof(v));
	return v;
}

/* USTACK_MSG_ACT_FOR (proto/README.md). Return: 0 or -errno */
static int act_for(struct ctl_client *cl)
{
	struct ustack_int v = body_int(cl);
	uid_t uid;
	int rc;

	if (v.value == 0 || v.value == cl->cred.pid) {
		cl->act_pid = 0;
		return 0;
	}
	if (v.value < 0)
		return -ESRCH;
	if ((rc = proc_uid((pid_t)v.value, &uid)))
		return rc;
	if (cl->cred.uid != 0 && cl->cred.uid != uid)
		return -EPERM;
	cl->act_pid = (pid_t)v.value;
	cl->act_uid = uid;
	cl->ctl->st.act_for++;
	return 0;
}

/* USTACK_MSG_SUP_REFUSED (proto/README.md). Return: 0 or -errno */
static int sup_refused(struct ctl_client *cl)
{
	struct ustack_int v = body_int(cl);

	if (v.value <= 0 || v.value > 4095)
		return -EINVAL;
	cl->ctl->st.sup_refused++;
	log_warn("ctl: pid %d: a socket call that ustack-run's supervisor "
		 "(pid %d) could not serve failed with %s%s",
		 (int)(cl->act_pid ? cl->act_pid : cl->cred.pid),
		 (int)cl->cred.pid, strerror(v.value),
		 v.value == EPERM ? " (no ptrace access to the process)" :
		 v.value == EAFNOSUPPORT ? " (a 32-bit call)" : "");
	return 0;
}

static int ctl_dispatch(struct ctl_client *cl, const struct ustack_msg_hdr *h,
			int *fd)
{
	struct ctl *c = cl->ctl;
	struct ustack_hello_reply hello;

	if (h->type == USTACK_MSG_ACT_FOR)      /* the connection's own */
		return client_reply(cl, h->type, h->seq, act_for(cl), NULL, 0);
	if (h->type == USTACK_MSG_SUP_REFUSED)
		return client_reply(cl, h->type, h->seq, sup_refused(cl), NULL,
				    0);
	for (unsigned i = 0; i < c->nhandlers; i++) {
		struct ctl_handler *hd = &c->handlers[i];
		struct ctl_req req;
		uint64_t id = cl->id;
		int rc;

		if (h->type < hd->first || h->type > hd->last)
			continue;
		req = (struct ctl_req){
			.client = id, .hdr = h, .body = c->buf + sizeof(*h),
			.len = h->len - sizeof(*h), .fd = *fd,
			.pid = cl->act_pid ? cl->act_pid : cl->cred.pid,
			.uid = cl->act_pid ? cl->act_uid : cl->cred.uid,
			.admin = cl->admin,
		};
		rc = hd->fn(hd->arg, &req);
		*fd = req.fd;
		if (rc >= 0)
			return client_find(c, id) ? 0 : 1;
		return client_reply(cl, h->type, h->seq, rc, NULL, 0);
	}
	switch (h->type) {
	case USTACK_MSG_HELLO:
		memset(&hello, 0, sizeof(hello));
		hello.proto_version = USTACK_PROTO_VERSION;
		hello.pid = (uint32_t)getpid();
		snprintf(hello.version, sizeof(hello.version), "%s",
			 USTACK_VERSION);
		memcpy(hello.link, c->link, sizeof(hello.link));
		return client_reply(cl, h->type, h->seq, 0, &hello,
				    sizeof(hello));
	}
	return client_reply(cl, h->type, h->seq, -EOPNOTSUPP, NULL, 0);
}

/*
 * One message and at most one descriptor. Extra descriptors are closed at
 * once, and *nfds counts all that came, so the caller can refuse.
 */
static ssize_t recv_with_fd(int fd, void *buf, size_t len, int *passed,
			    int *nfds)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * 8)];
	} ctrl;
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &ctrl, .msg_controllen = sizeof(ctrl),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm;
	     cm = CMSG_NXTHDR(&msg, cm)) {
		int fds[8];
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (*passed < 0)
				*passed = fds[i];
			else
				close(fds[i]);
			(*nfds)++;
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		(*nfds)++;	/* more than we had room for: refuse */
	return n;
}

static void client_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *cl = arg;
	struct ctl *c = cl->ctl;
	struct ustack_msg_hdr h;
	int passed = -1, nfds = 0;
	ssize_t n;
	int rc;

	(void)what;
	n = recv_with_fd(fd, c->buf, sizeof(c->buf), &passed, &nfds);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (passed >= 0)
			close(passed);
		client_free(cl);
		return;
	}
	if ((size_t)n > sizeof(c->buf))
		rc = USTACK_CHECK_LEN;
	else
		rc = ustack_msg_check(c->buf, (size_t)n, 0, &h);
	if (rc == USTACK_CHECK_OK && nfds > 1) {
		/* one descriptor per message: the extras were closed */
		c->st.bad_request++;
		if (passed >= 0)
			close(passed);
		if (client_reply(cl, h.type, h.seq, -EINVAL, NULL, 0))
			client_free(cl);
		return;
	}
	switch (rc) {
	case USTACK_CHECK_OK:
		c->st.requests++;
		rc = ctl_dispatch(cl, &h, &passed);
		if (passed >= 0)
			close(passed);
		passed = -1;
		if (rc > 0)	/* the handler dropped the client */
			return;
		break;
	case USTACK_CHECK_VERSION:
	case USTACK_CHECK_TYPE:
	case USTACK_CHECK_BODY:
	case USTACK_CHECK_FLAGS:
		c->st.bad_request++;
		/* before rc becomes the reply's result: a descriptor that came
		 * with a refused request must not stay open here (it held a
		 * program's socket open after the program died) */
		if (passed >= 0)
			close(passed);
		passed = -1;
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
	if (rc != USTACK_CHECK_OK && passed >= 0)
		close(passed);
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
		cl->id = ++c->next_id;
		cl->fd = cfd;
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cl->cred, &len)) {
			cl->cred.pid = -1;
			cl->cred.uid = (uid_t)-1;
			cl->cred.gid = (gid_t)-1;
		}
		cl->admin = client_is_admin(c, cfd, &cl->cred);
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

/* Create the socket's missing parent directories; @made: the last one, if new */
static int mkdir_parent(const char *path, char *made, char *err, size_t errlen)
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
	if (mkdir(dir, 0755) == 0)
		strcpy(made, dir);
	else if (errno != EEXIST)
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
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mkdir_parent(path, c->made_dir, err, errlen) ||
	    claim_path(&sa, err, errlen)) {
		free(c);
		return NULL;
	}
	c->base = base;
	c->admin_gid = (gid_t)-1;
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
 * ctl_chown() - hand the socket (and a directory we made for it) to a user
 * @c: the control server
 * @uid: new owner
 * @gid: new group
 *
 * So that a daemon that dropped root can still remove its socket at exit.
 *
 * Return: 0, or -errno
 */
int ctl_chown(struct ctl *c, uid_t uid, gid_t gid)
{
	if (*c->made_dir && chown(c->made_dir, uid, gid))
		return -errno;
	if (chown(c->path, uid, gid))
		return -errno;
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
