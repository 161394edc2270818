/* SPDX-License-Identifier: MIT */
/*
 * epoll.c - epoll's EPOLLERR for the reports libustack queues itself
 *
 * Theory of operation. A ustack socket is a real descriptor, so epoll
 * watches it through the kernel: readable and writable are the channel's.
 * The MSG_ZEROCOPY completions and SO_TIMESTAMPING reports of errq.c are
 * queued here, in the program, where the kernel cannot see them; Linux's
 * epoll says EPOLLERR while a socket's error queue holds one (sk_error_
 * report() wakes it). So epoll_ctl() is the kernel's, and remembers here
 * how ustack sockets are registered (their epoll descriptor, events and
 * data, and the socket's identity); epoll_wait() is the kernel's too,
 * unless reports wait (the one counter errq.c keeps, looked at first): for
 * a registered socket with reports, the wait does not block, and its event
 * (the kernel's for the same data, or one more) has EPOLLERR:
 *   - level-triggered: while its reports wait;
 *   - EPOLLET: once per report queued since the last time it was told;
 *   - EPOLLONESHOT: once, until epoll_ctl(EPOLL_CTL_MOD) arms it again
 *     (the kernel's registration is left armed: its own events still
 *     come, which Linux's would not).
 * A registered socket with SO_TIMESTAMPING TX_ACK marks out (errq.c) has
 * its acked marks asked of the daemon before each wait, and since the
 * daemon cannot wake the program when one is acked, the wait is made of
 * slices of UST_XS_SLICE_NS (2 ms), the daemon asked between them, until
 * an event, a report or the timeout (wait_sliced()); nothing of this
 * happens while no socket has marks out (one counter, looked at first).
 * Only sockets that have errq.c's state (SO_ZEROCOPY or SO_TIMESTAMPING
 * set) when they are added are followed (ustack_epoll_ctl()). A
 * registration whose descriptor now names another object is dropped;
 * closing an epoll descriptor drops its registrations. A registration
 * made through a dup of the epoll descriptor, or on a dup of the socket
 * that was closed since, is not followed as Linux's (by open file) is.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "client.h"
#include "ustack.h"

#define PUBLIC __attribute__((visibility("default")))

#define EP_DUE_MAX 64           /* reported in one wait, at most */
#define EP_BUCKETS 1024

struct epreg {
	struct epreg *next;
	int epfd, fd;
	uint32_t id;            /* fdtab.c's identity of the socket */
	uint32_t events;        /* as registered */
	epoll_data_t data;
	uint32_t seen;          /* EPOLLET: errq.c's count of reports told */
	bool off;               /* EPOLLONESHOT: told, not armed again */
};

static struct epreg *bucket[EP_BUCKETS];
static _Atomic size_t ep_count;        /* registrations, all buckets */
static atomic_flag ep_lock = ATOMIC_FLAG_INIT;

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&ep_lock,
						 memory_order_acquire))
		;
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&ep_lock, memory_order_release);
}

static struct epreg **slot_of(int epfd, int fd)
{
	struct epreg **p = &bucket[((unsigned)fd * 31u + (unsigned)epfd) %
				   EP_BUCKETS];

	while (*p && ((*p)->epfd != epfd || (*p)->fd != fd))
		p = &(*p)->next;
	return p;
}

static void unlink_at(struct epreg **p)
{
	struct epreg *r = *p;

	*p = r->next;
	free(r);
	atomic_fetch_sub_explicit(&ep_count, 1, memory_order_relaxed);
}

/* Remember a registration the kernel accepted (lock held) */
static void note(int epfd, int op, int fd, const struct epoll_event *ev)
{
	struct epreg **p = slot_of(epfd, fd), *r = *p;

	if (op == EPOLL_CTL_DEL) {
		if (r)
			unlink_at(p);
		return;
	}
	if (!r) {
		if (op != EPOLL_CTL_ADD || !(r = calloc(1, sizeof(*r))))
			return;         /* epoll works, minus EPOLLERR */
		*p = r;
		atomic_fetch_add_explicit(&ep_count, 1, memory_order_relaxed);
		r->epfd = epfd;
		r->fd = fd;
		ust_xs_pending(fd, &r->seen);
	}
	r->id = ust_entry_id(fd);
	r->events = ev ? ev->events : 0;
	r->data = ev ? ev->data : (epoll_data_t){ .u64 = 0 };
	r->off = false;
}

/*
 * Only sockets that have errq.c's state (SO_ZEROCOPY or SO_TIMESTAMPING
 * set) when they are registered are followed: a program sets those options
 * before it hands the socket to epoll, and the others cost nothing here.
 */
PUBLIC int ustack_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int rc;

	ust_init();
	rc = ust_r.epoll_ctl(epfd, op, fd, ev);
	if (rc)
		return rc;
	if (op == EPOLL_CTL_ADD ? !ust_xs_has_state(fd)
				: !atomic_load(&ep_count))
		return rc;
	lock();
	note(epfd, op, fd, ev);
	unlock();
	return rc;
}

struct due {
	epoll_data_t data;
};

/*
 * The registrations of @epfd that have EPOLLERR to tell now, into @d (at
 * most @max); each is marked told. Return: how many
 */
static int collect(int epfd, struct due *d, int max)
{
	int n = 0;

	lock();
	for (size_t b = 0; b < EP_BUCKETS && n < max; b++) {
		struct epreg **p = &bucket[b];

		while (*p && n < max) {
			struct epreg *r = *p;
			uint32_t gen;

			if (r->epfd != epfd || r->off) {
				p = &r->next;
				continue;
			}
			if (ust_entry_id(r->fd) != r->id) {
				unlink_at(p);   /* closed, the number reused */
				continue;
			}
			if (ust_xs_pending(r->fd, &gen) &&
			    (!(r->events & EPOLLET) || gen != r->seen)) {
				d[n++].data = r->data;
				r->seen = gen;
				if (r->events & EPOLLONESHOT)
					r->off = true;
			}
			p = &r->next;
		}
	}
	unlock();
	return n;
}

/* The kernel's @n events with EPOLLERR for @d's: merged where the data is
 * the same, added after while there is room. Return: the new count */
static int merge(struct epoll_event *ev, int n, int max, const struct due *d,
		 int nd)
{
	for (int i = 0; i < nd; i++) {
		int j;

		for (j = 0; j < n; j++)
			if (ev[j].data.u64 == d[i].data.u64)
				break;
		if (j < n) {
			ev[j].events |= EPOLLERR;
		} else if (n < max) {
			ev[n].events = EPOLLERR;
			ev[n].data = d[i].data;
			n++;
		}
	}
	return n;
}

/* Are there reports anywhere, or marks that may become some, and
 * registrations to tell them by? */
static bool maybe_due(void)
{
	return atomic_load_explicit(&ep_count, memory_order_relaxed) &&
	       (ust_xs_waiting() || ust_xs_marks());
}

/*
 * The TX_ACK marks of @epfd's registered sockets acked so far become
 * reports (errq.c asks the daemon, outside the lock: at most EP_DUE_MAX
 * sockets a wait). Return: true if one of them still has marks out
 */
static bool fetch_marks(int epfd)
{
	int fds[EP_DUE_MAX], k = 0;
	bool out = false;

	if (!ust_xs_marks())
		return false;
	lock();
	for (size_t b = 0; b < EP_BUCKETS && k < EP_DUE_MAX; b++)
		for (struct epreg *r = bucket[b]; r && k < EP_DUE_MAX;
		     r = r->next)
			if (r->epfd == epfd && !r->off &&
			    ust_entry_id(r->fd) == r->id)
				fds[k++] = r->fd;
	unlock();
	for (int i = 0; i < k; i++)
		if (ust_xs_fetch(fds[i]))
			out = true;
	return out;
}

/* CLOCK_MONOTONIC now, in ms */
static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * A wait of @ms (-1: none) while a registered socket has TX_ACK marks
 * out: slices of UST_XS_SLICE_NS (rounded up to a millisecond, epoll's
 * unit), the daemon asked between them, until the kernel has events,
 * reports come, or the time is up; once no mark is out, the rest is one
 * wait. Return: as epoll_wait, with EPOLLERR where reports wait
 */
static int wait_sliced(int epfd, struct epoll_event *ev, int max, int ms,
		       const sigset_t *sigmask)
{
	const int slice = (int)((UST_XS_SLICE_NS + 999999) / 1000000);
	int64_t end = ms < 0 ? -1 : mono_ms() + ms;
	struct due d[EP_DUE_MAX];
	bool marked;
	int n, nd, t;

	for (;;) {
		t = slice;
		if (end >= 0) {
			int64_t left = end - mono_ms();

			if (left <= 0)
				return 0;
			if (left < t)
				t = (int)left;
		}
		n = ust_r.epoll_pwait(epfd, ev, max, t, sigmask);
		if (n < 0)
			return n;
		marked = fetch_marks(epfd);
		nd = collect(epfd, d, max < EP_DUE_MAX ? max : EP_DUE_MAX);
		if (n || nd)
			return merge(ev, n, max, d, nd);
		if (!marked)
			break;          /* no mark left out: one wait */
	}
	if (end >= 0) {
		int64_t left = end - mono_ms();

		t = left > 0 ? (int)left : 0;
	} else {
		t = -1;
	}
	return ust_r.epoll_pwait(epfd, ev, max, t, sigmask);
}

PUBLIC int ustack_epoll_pwait(int epfd, struct epoll_event *ev, int max,
			      int timeout, const sigset_t *sigmask)
{
	struct due d[EP_DUE_MAX];
	bool marked;
	int nd, n;

	ust_init();
	if (!maybe_due() || max <= 0)
		return ust_r.epoll_pwait(epfd, ev, max, timeout, sigmask);
	marked = fetch_marks(epfd);
	nd = collect(epfd, d, max < EP_DUE_MAX ? max : EP_DUE_MAX);
	if (!nd && marked && timeout != 0)
		return wait_sliced(epfd, ev, max, timeout, sigmask);
	if (!nd)
		return ust_r.epoll_pwait(epfd, ev, max, timeout, sigmask);
	n = ust_r.epoll_pwait(epfd, ev, max, 0, sigmask);
	return n < 0 ? n : merge(ev, n, max, d, nd);
}

/* epoll_pwait2(): the kernel's own while nothing is due here; else
 * ustack_epoll_pwait()'s path, whose waits are none or in milliseconds
 * (the timeout rounded up, as the kernel rounds a poll's) */
PUBLIC int ustack_epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			       const struct timespec *timeout,
			       const sigset_t *sigmask)
{
	ust_init();
	if (!maybe_due() || max <= 0)
		return ust_r.epoll_pwait2(epfd, ev, max, timeout, sigmask);
	return ustack_epoll_pwait(epfd, ev, max, !timeout ? -1 :
				  (int)(timeout->tv_sec * 1000 +
					(timeout->tv_nsec + 999999) / 1000000),
				  sigmask);
}

PUBLIC int ustack_epoll_wait(int epfd, struct epoll_event *ev, int max,
			     int timeout)
{
	return ustack_epoll_pwait(epfd, ev, max, timeout, NULL);
}

/**
 * ust_ep_forget() - descriptor @fd was closed: if it was an epoll
 * descriptor, its registrations go
 * @fd: the descriptor
 */
void ust_ep_forget(int fd)
{
	ust_ep_forget_range((unsigned)fd, (unsigned)fd);
}

/**
 * ust_ep_forget_range() - descriptors @lo..@hi were closed (close_range)
 * @lo: the first
 * @hi: the last
 */
void ust_ep_forget_range(unsigned lo, unsigned hi)
{
	if (!atomic_load_explicit(&ep_count, memory_order_relaxed))
		return;
	lock();
	for (size_t b = 0; b < EP_BUCKETS; b++) {
		struct epreg **p = &bucket[b];

		while (*p)
			if ((unsigned)(*p)->epfd >= lo &&
			    (unsigned)(*p)->epfd <= hi)
				unlink_at(p);
			else
				p = &(*p)->next;
	}
	unlock();
}

/* A forked child: the lock may have been held by a thread not copied */
void ust_ep_atfork(void)
{
	atomic_flag_clear(&ep_lock);
}
