/* SPDX-License-Identifier: MIT */
/*
 * fdtab.c - which descriptors are ustack's sockets
 *
 * Theory of operation. One 64-bit word per descriptor number: what we know
 * of it (0 unknown, UST_NOT_OURS, or UST_OURS with the domain, type and
 * flags) in the low half, and in the high half the identity of the object
 * it named when we learnt it: the inode number of the socket. The kernel
 * numbers every socket from one counter (sockfs, get_next_ino(): never 0),
 * so two sockets alive at once never share it.
 *
 * A number outlives its object. libc closes sockets with its internal
 * close (getaddrinfo()'s probe socket, the resolver's UDP socket), which no
 * interposer sees, and a program may close with a raw system call or
 * through fclose() of an fdopen()ed socket; the next open() takes the
 * number. So an entry that says "ours" is never trusted blindly: before a
 * call that talks to the daemon, that treats the fd as a datagram channel
 * or that answers without the kernel (EPIPE, ENOTCONN), ust_check()
 * compares the identity with fstat() and, if the object changed, forgets
 * the entry and learns the descriptor again. The check costs one system
 * call (0.2-0.5 us here), so it is left out where the call is the same
 * whatever the fd now is: read, write, send and recv on a connected stream
 * go to the kernel on the channel (an AF_UNIX stream) as they would on any
 * other descriptor; what ustack adds there (the error behind an end of
 * file, the send buffer after a connect) checks first. A datagram send is
 * checked by the daemon itself, which finds the socket by the SO_COOKIE of
 * the fd the request carries: only a send that fails checks here.
 *
 * "Not ours" is trusted without a check: a ustack socket only enters a
 * process through calls the shim sees (socket, accept, recvmsg with
 * SCM_RIGHTS, the dup family, exec, which starts a new table), and each
 * of them rewrites the entry. A socket passed in by pidfd_getfd() or
 * io_uring is not seen; it is then treated as the AF_UNIX socket it is.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client.h"

static _Atomic uint64_t *tab;
static unsigned tab_size;
static _Atomic unsigned tab_top;        /* every entry above is 0 */

#define ENT(kind, id) ((uint64_t)(id) << 32 | (uint32_t)(kind))
#define ENT_KIND(e) ((unsigned)(uint32_t)(e))
#define ENT_ID(e) ((uint32_t)((e) >> 32))

/**
 * ust_fdtab_init() - map the table, one word per possible descriptor
 *
 * Called once, from ust_init(). Pages are touched only where fds are used.
 */
void ust_fdtab_init(void)
{
	struct rlimit rl;
	size_t bytes;
	void *p;

	tab_size = 1u << 16;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max > tab_size)
		tab_size = rl.rlim_max > (1u << 22) ? 1u << 22
						    : (unsigned)rl.rlim_max;
	bytes = (size_t)tab_size * sizeof(*tab);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		tab_size = 0;
	else
		tab = p;
}

/* A socket's inode number folded to an identity (never 0) */
static uint32_t ident_of(uint64_t ino)
{
	return (uint32_t)(ino ^ (ino >> 32)) ?: 1;
}

/**
 * ust_identity() - the identity of the object @fd names now
 * @fd: a descriptor
 *
 * Return: the socket's inode number (folded to 32 bits), or 0 if @fd is
 * not open or not a socket
 */
uint32_t ust_identity(int fd)
{
	struct stat st;

	if (syscall(SYS_fstat, fd, &st) || !S_ISSOCK(st.st_mode))
		return 0;
	return ident_of(st.st_ino);
}

static _Atomic uint64_t *slot(int fd)
{
	return fd >= 0 && (unsigned)fd < tab_size ? &tab[fd] : NULL;
}

/* Store @e for @fd, keeping tab_top above every non-zero entry. */
static void put(_Atomic uint64_t *s, uint64_t e)
{
	unsigned fd = (unsigned)(s - tab), top = atomic_load(&tab_top);

	while (e && fd >= top &&
	       !atomic_compare_exchange_weak(&tab_top, &top, fd + 1))
		;
	atomic_store_explicit(s, e, memory_order_release);
}

/* Learn @fd afresh (ust_resolve) and remember what it is. */
static unsigned learn(_Atomic uint64_t *s, int fd)
{
	uint32_t id = 0;
	unsigned k = ust_resolve(fd, &id);

	put(s, ENT(k, id));
	return k & UST_OURS ? k : 0;
}

/**
 * ust_kind() - what @fd is, as last learnt, without checking it
 * @fd: a descriptor
 *
 * For calls that behave the same whatever @fd now names.
 * Return: 0 if not a ustack socket, else UST_OURS|domain|type|flags
 */
unsigned ust_kind(int fd)
{
	_Atomic uint64_t *s;
	uint64_t e;

	ust_init();
	s = slot(fd);
	if (!s)
		return 0;
	e = atomic_load_explicit(s, memory_order_acquire);
	if (e == 0)
		return learn(s, fd);
	return ENT_KIND(e) & UST_OURS ? ENT_KIND(e) : 0;
}

/**
 * ust_kind_known() - what the entry of @fd says, neither learnt nor checked
 * @fd: a descriptor
 *
 * For close(), which must not learn an fd it is about to close.
 * Return: 0 if the entry does not say "ours", else UST_OURS|...
 */
unsigned ust_kind_known(int fd)
{
	_Atomic uint64_t *s = slot(fd);
	unsigned k = s ? ENT_KIND(atomic_load_explicit(s, memory_order_acquire))
		       : 0;

	return k & UST_OURS ? k : 0;
}

/**
 * ust_check() - confirm that @fd still names the socket @k was learnt from
 * @fd: a descriptor
 * @k: ust_kind(fd)
 *
 * Return: @k, or what @fd is now if the object changed
 */
unsigned ust_check(int fd, unsigned k)
{
	_Atomic uint64_t *s = slot(fd);
	uint64_t e;

	if (!k || !s)
		return k;
	e = atomic_load_explicit(s, memory_order_acquire);
	if (ENT_KIND(e) & UST_OURS && ENT_ID(e) &&
	    ENT_ID(e) == ust_identity(fd))
		return ENT_KIND(e);
	return learn(s, fd);
}

/**
 * ust_kind_checked() - what @fd is, confirmed
 * @fd: a descriptor
 *
 * Return: as ust_kind()
 */
unsigned ust_kind_checked(int fd)
{
	return ust_check(fd, ust_kind(fd));
}

/**
 * ust_set() - record that @fd is a ustack socket of kind @k
 * @fd: a descriptor that we just received from the daemon
 * @k: UST_OURS|...
 */
void ust_set(int fd, unsigned k)
{
	ust_set_ino(fd, k, 0);
}

/**
 * ust_set_ino() - ust_set() with the identity the daemon told
 * (struct ustack_sock_info's inode of the end it just passed: no fstat)
 * @fd: a descriptor that we just received from the daemon
 * @k: UST_OURS|...
 * @ino: its inode number (0: unknown, learnt with fstat())
 */
void ust_set_ino(int fd, unsigned k, uint64_t ino)
{
	_Atomic uint64_t *s = slot(fd);

	if (s)
		put(s, ENT(k, ino ? ident_of(ino) : ust_identity(fd)));
}

/**
 * ust_set_flags() - set and clear flags of a ustack socket's entry
 * @fd: the descriptor
 * @set: UST_* flags to set
 * @clear: UST_* flags to clear
 */
void ust_set_flags(int fd, unsigned set, unsigned clear)
{
	_Atomic uint64_t *s = slot(fd);
	uint64_t e, n;

	if (!s)
		return;
	e = atomic_load(s);
	do {
		if (!(ENT_KIND(e) & UST_OURS))
			return;
		n = ENT((ENT_KIND(e) | set) & ~clear, ENT_ID(e));
	} while (!atomic_compare_exchange_weak(s, &e, n));
}

/**
 * ust_entry_id() - the identity recorded for @fd
 * @fd: a descriptor
 *
 * Return: the identity, or 0 if none is recorded
 */
uint32_t ust_entry_id(int fd)
{
	_Atomic uint64_t *s = slot(fd);

	return s ? ENT_ID(atomic_load(s)) : 0;
}

/**
 * ust_id_in_use() - does a descriptor's entry still name object @id?
 * @id: an identity
 *
 * Return: true if one does (a walk of the table: for rare callers)
 */
bool ust_id_in_use(uint32_t id)
{
	unsigned top = atomic_load(&tab_top);

	for (unsigned i = 0; i < top; i++) {
		uint64_t e = atomic_load_explicit(&tab[i],
						  memory_order_relaxed);

		if ((ENT_KIND(e) & UST_OURS) && ENT_ID(e) == id)
			return true;
	}
	return false;
}

void ust_forget(int fd)
{
	_Atomic uint64_t *s = slot(fd);

	ust_dgram_fast_forget();
	ust_rtnl_forget(fd);
	ust_ep_forget(fd);
	if (s)
		atomic_store_explicit(s, 0, memory_order_release);
}

/* Empty @fd's entry, keeping what the datagram fast path knows (which
 * checks the socket's identity itself): the supervisor's copies */
void ust_fdtab_clear(int fd)
{
	_Atomic uint64_t *s = slot(fd);

	if (s)
		atomic_store_explicit(s, 0, memory_order_release);
}

/* An entry that is gone: errq.c's state of its socket goes with the last
 * descriptor that named it */
static void gone(uint64_t e)
{
	if (ENT_KIND(e) & UST_OURS)
		ust_xs_drop(ENT_ID(e));
}

void ust_forget_range(unsigned lo, unsigned hi)
{
	unsigned top = atomic_load(&tab_top);

	ust_dgram_fast_forget();
	ust_ep_forget_range(lo, hi);
	for (unsigned i = lo; i <= hi && i < top; i++)
		gone(atomic_exchange_explicit(&tab[i], 0,
					      memory_order_acq_rel));
}

/* dup family: @to names the same object as @from, and so the same entry */
void ust_copy(int from, int to)
{
	_Atomic uint64_t *f = slot(from), *t = slot(to);
	uint64_t old;

	if (!t)
		return;
	old = atomic_load(t);
	put(t, f ? atomic_load(f) : 0);
	gone(old);
}
