/* SPDX-License-Identifier: MIT */
/*
 * noinet6 - run a program as on a Linux kernel booted with ipv6.disable=1
 *   noinet6 PROGRAM [ARG]...
 *
 * Not a socket test itself (30-sockets.sh skips it): the kernel side of
 * the comparison for programs with an expected output (inet6). A namespace
 * with net.ipv6.conf.all.disable_ipv6=1 is not the same thing: there
 * socket(AF_INET6, ...) still works. With ipv6.disable=1, inet6_init()
 * returns before sock_register(), so the family is never registered and
 * __sock_create() fails with EAFNOSUPPORT, after its checks of the flags
 * and of the type (EINVAL). That is the one difference a program's system
 * calls can see (an AF_INET socket given an AF_INET6 address answers
 * EAFNOSUPPORT either way; no interface has an IPv6 address, as in our
 * namespaces). A seccomp filter gives exactly that answer to socket() and
 * socketpair() with AF_INET6, and lets everything else through.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define JSET(k, t, f) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define AND(k) BPF_STMT(BPF_ALU | BPF_AND | BPF_K, (k))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ARG(n) offsetof(struct seccomp_data, args[n])   /* low half, LE */

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		/* 0 */ LD(offsetof(struct seccomp_data, arch)),
		/* 1 */ JEQ(AUDIT_ARCH_X86_64, 0, 10),
		/* 2 */ LD(offsetof(struct seccomp_data, nr)),
		/* 3 */ JEQ(SYS_socket, 1, 0),
		/* 4 */ JEQ(SYS_socketpair, 0, 7),
		/* 5 */ LD(ARG(0)),
		/* 6 */ JEQ(AF_INET6, 0, 5),
		/* 7 */ LD(ARG(1)),
		/* flags other than these two: the kernel's EINVAL */
		/* 8 */ JSET(~(0xfu | SOCK_NONBLOCK | SOCK_CLOEXEC), 3, 0),
		/* 9 */ AND(0xf),
		/* a type out of range (SOCK_MAX is 11): EINVAL likewise */
		/* 10 */ JGE(11, 1, 0),
		/* 11 */ RET(SECCOMP_RET_ERRNO | EAFNOSUPPORT),
		/* 12 */ RET(SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
				   .filter = f };

	if (argc < 2) {
		fprintf(stderr, "usage: noinet6 PROGRAM [ARG]...\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("noinet6: seccomp");
		return 125;
	}
	execvp(argv[1], argv + 1);
	perror("noinet6: exec");
	return 127;
}
