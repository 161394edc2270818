/* SPDX-License-Identifier: MIT */
/*
 * trap.c - the socket calls libc makes to itself, for libustack-preload
 *
 * Theory of operation: LD_PRELOAD replaces the names a program calls, but
 * libc calls its own functions directly (its resolver creates a UDP socket
 * with __socket, sends with __sendmmsg and reads with __recvfrom), so
 * those calls never reach the shim. A seccomp filter closes the gap: it
 * stops every socket() for AF_INET or AF_INET6 and every other socket
 * system call (connect, bind, sendto, recvmsg, ...) whose sixth argument
 * does not carry UST_MAGIC, the mark of libustack's own calls (rawsys.c),
 * and raises SIGSYS; the handler here runs the same libustack call the
 * name would have reached and puts its result where the system call's
 * would have been. Calls on descriptors that are not ustack's end up as
 * the marked system call, so they behave exactly as before, only slower
 * when libc makes them internally.
 *
 * The filter needs PR_SET_NO_NEW_PRIVS and stays for the life of the
 * process and its children: a child that execs a program without the shim
 * (static, or with LD_PRELOAD removed) and makes socket calls is killed by
 * SIGSYS. USTACK_TRAP=0 turns the trap off (and with it, libc's internal
 * calls go to the kernel as before).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "client.h"
#include "ustack.h"

static const int trapped[] = {
	SYS_connect, SYS_bind, SYS_listen, SYS_accept, SYS_accept4,
	SYS_getsockname, SYS_getpeername, SYS_setsockopt, SYS_getsockopt,
	SYS_shutdown, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg,
	SYS_sendmmsg, SYS_recvmmsg,
};
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

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

#define LD(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define JEQ(k, t, f) \
	((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f)))
#define RET(v) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

/**
 * ust_trap_install() - stop libc's own socket calls and hand them to us
 *
 * Return: 0, or -1 (the filter could not be installed; nothing changed)
 */
int ust_trap_install(void)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	struct sigaction sa;
	unsigned n = 0, i, allow, trap, magic, sock;

	/* layout: header, socket test, one test per trapped call, the
	 * socket() family check, the mark check, trap, allow */
	sock = 4 + NTRAPPED + 1;        /* index of the family check */
	magic = sock + 3;
	trap = magic + 4;
	allow = trap + 1;
	f[n++] = LD(offsetof(struct seccomp_data, arch));
	f[n++] = JEQ(AUDIT_ARCH_X86_64, 0, (uint8_t)(allow - 2));
	f[n++] = LD(offsetof(struct seccomp_data, nr));
	f[n++] = JEQ(SYS_socket, (uint8_t)(sock - 4), 0);
	for (i = 0; i < NTRAPPED; i++, n++)
		f[n] = JEQ((unsigned)trapped[i],
					       (uint8_t)(magic - n - 1), 0);
	f[n++] = RET(SECCOMP_RET_ALLOW);
	/* sock: */
	f[n++] = LD(ARG_LO(0));
	f[n] = JEQ(AF_INET, (uint8_t)(magic - n - 1), 0);
	n++;
	f[n] = JEQ(AF_INET6, (uint8_t)(magic - n - 1),
				       (uint8_t)(allow - n - 1));
	n++;
	/* magic: */
	f[n++] = LD(ARG_LO(5));
	f[n] = JEQ((uint32_t)UST_MAGIC, 0,
				       (uint8_t)(trap - n - 1));
	n++;
	f[n++] = LD(ARG_HI(5));
	f[n] = JEQ((uint32_t)(UST_MAGIC >> 32),
				       (uint8_t)(allow - n - 1), 0);
	n++;
	/* trap: */
	f[n++] = RET(SECCOMP_RET_TRAP);
	/* allow: */
	f[n++] = RET(SECCOMP_RET_ALLOW);
	if (n != allow + 1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (sigaction(SIGSYS, &sa, NULL))
		return -1;
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -1;
	return 0;
}
