/* SPDX-License-Identifier: MIT */
/*
 * trap.c - the socket calls libc makes to itself, for libustack-preload
 *
 * Theory of operation: LD_PRELOAD replaces the names a program calls, but
 * libc calls its own functions directly (its resolver creates a UDP socket
 * with __socket, sends with __sendmmsg and reads with __recvfrom), so
 * those calls never reach the shim. A seccomp filter closes the gap: it
 * stops every socket() for AF_INET or AF_INET6 and every other socket
 * system call (connect, bind, sendto, recvmsg, ...) that is made from the
 * text of this process's libc and whose sixth argument does not carry
 * UST_MAGIC, the mark of libustack's own calls (rawsys.c), and raises
 * SIGSYS; the handler here runs the same libustack call the name would
 * have reached and puts its result where the system call's would have
 * been. Calls on descriptors that are not ustack's end up as the marked
 * system call, so they behave exactly as before, only slower when libc
 * makes them internally.
 *
 * Where a call comes from: the filter cannot be removed, and it stays
 * with every child, also one that execs a program without the shim (sshd
 * gives a session a clean environment; a static program has no loader to
 * preload anything), which has no SIGSYS handler and would be killed by
 * its first socket call. So the filter traps only calls whose instruction
 * pointer (seccomp_data) lies in the executable segment of the libc that
 * this process mapped, found at install with dl_iterate_phdr(). A new
 * image maps its libc elsewhere (address space layout randomization), so
 * its calls pass to the kernel: a program that runs without the shim has
 * left ustack, and its new sockets are the kernel's (in the network
 * namespace it runs in), as if it had been started without ustack-run.
 * Sockets it inherited stay ustack's channels: their data calls work, the
 * rest is the kernel's AF_UNIX. One with the shim again (LD_PRELOAD kept)
 * installs a filter of its own and is ustack's. What stays: a child's libc
 * lands on the parent's libc text only if the randomization picks that
 * range, about 1.3 MB in the 2^40 bytes (28 bits of pages) it chooses
 * from, about one exec in 800,000; a shimless child then dies of SIGSYS.
 * Calls a program makes from its own code (raw system calls, Go's
 * runtime) are not trapped either: they reach the kernel.
 *
 * Without randomization (personality ADDR_NO_RANDOMIZE, setarch -R, or
 * kernel.randomize_va_space=0) every image maps libc at the same address,
 * and a shimless child would be caught every time: the filter is then not
 * installed (ustack-run says so on standard error), and libc's internal
 * calls (name lookups) go to the kernel.
 *
 * The filter needs PR_SET_NO_NEW_PRIVS unless the process may administer
 * the system (CAP_SYS_ADMIN): it is set only when the filter cannot be
 * installed without it, so that root's children may still run setuid
 * programs. USTACK_TRAP=0 turns the trap off.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "client.h"
#include "trapbpf.h"
#include "ustack.h"

static long dispatch(long nr, long a0, long a1, long a2, long a3, long a4,
		     long a5)
{
	int fd = (int)a0;

	switch (nr) {
	case SYS_socket:
		return ustack_socket(fd, (int)a1, (int)a2);
	case SYS_connect:
		return ustack_connect(fd, (void *)a1, (socklen_t)a2);
	case SYS_bind:
		return ustack_bind(fd, (void *)a1, (socklen_t)a2);
	case SYS_listen:
		return ustack_listen(fd, (int)a1);
	case SYS_accept:
		return ustack_accept4(fd, (void *)a1, (socklen_t *)a2, 0);
	case SYS_accept4:
		return ustack_accept4(fd, (void *)a1, (socklen_t *)a2, (int)a3);
	case SYS_getsockname:
		return ustack_getsockname(fd, (void *)a1, (socklen_t *)a2);
	case SYS_getpeername:
		return ustack_getpeername(fd, (void *)a1, (socklen_t *)a2);
	case SYS_setsockopt:
		return ustack_setsockopt(fd, (int)a1, (int)a2, (void *)a3,
					 (socklen_t)a4);
	case SYS_getsockopt:
		return ustack_getsockopt(fd, (int)a1, (int)a2, (void *)a3,
					 (socklen_t *)a4);
	case SYS_shutdown:
		return ustack_shutdown(fd, (int)a1);
	case SYS_sendto:
		return ustack_sendto(fd, (void *)a1, (size_t)a2, (int)a3,
				     (void *)a4, (socklen_t)a5);
	case SYS_recvfrom:
		return ustack_recvfrom(fd, (void *)a1, (size_t)a2, (int)a3,
				       (void *)a4, (socklen_t *)a5);
	case SYS_sendmsg:
		return ustack_sendmsg(fd, (void *)a1, (int)a2);
	case SYS_recvmsg:
		return ustack_recvmsg(fd, (void *)a1, (int)a2);
	case SYS_sendmmsg:
		return sendmmsg(fd, (void *)a1, (unsigned)a2, (int)a3);
	case SYS_recvmmsg:
		return recvmmsg(fd, (void *)a1, (unsigned)a2, (int)a3,
				(void *)a4);
	}
	errno = ENOSYS;
	return -1;
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	int saved = errno;
	long rc;

	(void)sig;
	rc = dispatch(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX],
		      g[REG_R10], g[REG_R8], g[REG_R9]);
	g[REG_RAX] = rc < 0 ? -errno : rc;
	errno = saved;
}

/* ---- where libc's text is ---- */

struct text_range {
	uintptr_t addr;                 /* an address in libc's text */
	uint64_t lo, hi;
};

static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct text_range *r = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) ||
		    r->addr < lo || r->addr >= lo + ph->p_memsz)
			continue;
		r->lo = lo;
		r->hi = lo + ph->p_memsz;
		return 1;
	}
	return 0;
}

/* Return: 0 and libc's executable segment in @r, or -1 */
static int libc_text(struct text_range *r)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *sym = libc ? dlsym(libc, "socket") : NULL;

	if (libc)
		dlclose(libc);
	if (!sym)
		return -1;
	r->addr = (uintptr_t)sym;
	return dl_iterate_phdr(find_segment, r) == 1 && r->hi > r->lo ? 0 : -1;
}

/**
 * ust_trap_install() - stop libc's own socket calls and hand them to us
 *
 * Return: 0, or -1 (the filter was not installed; nothing changed)
 */
int ust_trap_install(void)
{
	struct sock_filter f[UST_TRAP_FILTER_MAX];
	struct text_range r;
	struct sock_fprog prog;
	struct sigaction sa;
	int n;

	if (ust_aslr_off() || libc_text(&r) ||
	    (n = ust_trap_filter(f, r.lo, r.hi)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (sigaction(SIGSYS, &sa, NULL))
		return -1;
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0)
		return 0;
	if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -1;
	return 0;
}
