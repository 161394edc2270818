/* SPDX-License-Identifier: MIT */
/*
 * 75-trap-filter: the seccomp filter of libustack-preload's libc trap
 * (libclient/trapbpf.c), run through a classic BPF interpreter on made-up
 * struct seccomp_data: what it traps, what it lets through, and the range
 * of instruction pointers it watches, also across a 4 GB boundary; and
 * the supervisor's filter (ustack-run), which watches every address.
 */
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "../../libclient/trapbpf.h"

static struct sock_filter prog[UST_TRAP_FILTER_MAX];
static int len;

/* The subset of classic BPF the filter uses; -1 on anything else. */
static long run(const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (int pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &prog[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_leq(i->k + 4, sizeof(*d));
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return -1;
		}
	}
	return -1;      /* fell off the end: the kernel refuses such a filter */
}

static struct seccomp_data call(int nr, uint64_t ip, uint64_t a0, uint64_t a5)
{
	struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64,
				  .instruction_pointer = ip };

	d.args[0] = a0;
	d.args[5] = a5;
	return d;
}

static long verdict(int nr, uint64_t ip, uint64_t a0, uint64_t a5)
{
	struct seccomp_data d = call(nr, ip, a0, a5);

	return run(&d);
}

#define LO 0x7f48b2400000ull
#define HI 0x7f48b2555000ull

static void build(uint64_t lo, uint64_t hi)
{
	len = ust_trap_filter(prog, lo, hi);
	cr_assert_gt(len, 0);
}

Test(trap_filter, socket_calls_from_libc_are_trapped)
{
	build(LO, HI);
	cr_expect_eq(verdict(SYS_socket, LO + 0x1000, AF_INET, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_socket, LO + 0x1000, AF_INET6, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_connect, LO + 0x1000, 3, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_recvmsg, HI - 1, 3, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_sendmmsg, LO, 3, 0), SECCOMP_RET_TRAP);
}

Test(trap_filter, the_rest_passes)
{
	build(LO, HI);
	cr_expect_eq(verdict(SYS_socket, LO + 0x1000, AF_UNIX, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_socket, LO + 0x1000, AF_NETLINK, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_read, LO + 0x1000, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_close, LO + 0x1000, 3, 0), SECCOMP_RET_ALLOW);
	/* libustack's own calls carry the mark, both halves of it */
	cr_expect_eq(verdict(SYS_connect, LO + 0x1000, 3, UST_MAGIC), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_socket, LO + 0x1000, AF_INET, UST_MAGIC), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, LO + 0x1000, 3, (uint32_t)UST_MAGIC), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_connect, LO + 0x1000, 3, UST_MAGIC & ~0xffffffffull),
		     SECCOMP_RET_TRAP);
}

Test(trap_filter, another_arch_passes)
{
	struct seccomp_data d = call(SYS_connect, LO + 0x1000, 3, 0);

	build(LO, HI);
	d.arch = AUDIT_ARCH_I386;
	cr_expect_eq(run(&d), SECCOMP_RET_ALLOW);
}

/* a program exec'd without the shim maps its libc elsewhere */
Test(trap_filter, calls_from_elsewhere_pass)
{
	build(LO, HI);
	cr_expect_eq(verdict(SYS_connect, LO - 1, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, HI, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_socket, 0x401000, AF_INET, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_socket, LO + (1ull << 32), AF_INET, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_socket, 0x7ffff7df8000ull, AF_INET, 0), SECCOMP_RET_ALLOW);
}

Test(trap_filter, a_range_across_4_gb)
{
	uint64_t lo = 0x7f48fffff000ull, hi = 0x7f4900001000ull;

	build(lo, hi);
	cr_expect_eq(verdict(SYS_connect, lo, 3, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_connect, 0x7f48fffffff0ull, 3, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_connect, 0x7f4900000010ull, 3, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_connect, hi - 1, 3, 0), SECCOMP_RET_TRAP);
	cr_expect_eq(verdict(SYS_connect, hi, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, lo - 1, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, 0x7f48ffffe000ull, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, 0x7f4900001010ull, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, 0x7f4a00000010ull, 3, 0), SECCOMP_RET_ALLOW);
}

Test(trap_filter, refuses_an_empty_or_huge_range)
{
	cr_expect_eq(ust_trap_filter(prog, LO, LO), -1);
	cr_expect_eq(ust_trap_filter(prog, HI, LO), -1);
	cr_expect_eq(ust_trap_filter(prog, 0, 1ull << 33), -1);
}

/* ustack-run's supervisor: the same calls, from anywhere, to user space */
Test(notify_filter, socket_calls_from_anywhere_notify)
{
	struct seccomp_data d = call(SYS_connect, 0x401000, 3, 0);

	len = ust_notify_filter(prog);
	cr_assert_gt(len, 0);
	cr_expect_eq(verdict(SYS_socket, 0x401000, AF_INET, 0), SECCOMP_RET_USER_NOTIF);
	cr_expect_eq(verdict(SYS_socket, LO + 0x1000, AF_INET6, 0), SECCOMP_RET_USER_NOTIF);
	cr_expect_eq(verdict(SYS_connect, 0x401000, 3, 0), SECCOMP_RET_USER_NOTIF);
	cr_expect_eq(verdict(SYS_accept4, 0xc000123456ull, 3, 0), SECCOMP_RET_USER_NOTIF);
	cr_expect_eq(verdict(SYS_recvmmsg, HI + 5, 3, 0), SECCOMP_RET_USER_NOTIF);
	/* the rest, and the marked calls of the shim and of ustack-run */
	cr_expect_eq(verdict(SYS_socket, 0x401000, AF_UNIX, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_read, 0x401000, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_write, 0x401000, 3, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, 0x401000, 3, UST_MAGIC), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_sendmsg, 0x401000, 3, UST_MAGIC), SECCOMP_RET_ALLOW);
	cr_expect_eq(verdict(SYS_connect, 0x401000, 3, (uint32_t)UST_MAGIC),
		     SECCOMP_RET_USER_NOTIF);
	d.arch = AUDIT_ARCH_I386;       /* a 32-bit call numbered as connect */
	cr_expect_eq(run(&d), SECCOMP_RET_ALLOW);
}

/* 32-bit calls: only a socket of ustack's families reaches the supervisor
 * (which refuses it); the trap lets every 32-bit call pass */
Test(notify_filter, i386_socket_calls)
{
	struct seccomp_data d = call(UST_I386_SOCKET, 0x8048000, AF_INET, 0);

	d.arch = AUDIT_ARCH_I386;
	len = ust_notify_filter(prog);
	cr_assert_gt(len, 0);
	cr_expect_eq(run(&d), SECCOMP_RET_USER_NOTIF);
	d.args[0] = AF_INET6;
	cr_expect_eq(run(&d), SECCOMP_RET_USER_NOTIF);
	d.args[0] = AF_UNIX;
	cr_expect_eq(run(&d), SECCOMP_RET_ALLOW);
	d.nr = UST_I386_SOCKETCALL;
	d.args[0] = 1;          /* SYS_SOCKET: the family is in memory */
	cr_expect_eq(run(&d), SECCOMP_RET_USER_NOTIF);
	d.args[0] = 3;          /* SYS_CONNECT */
	cr_expect_eq(run(&d), SECCOMP_RET_ALLOW);
	d.nr = 3;               /* read */
	cr_expect_eq(run(&d), SECCOMP_RET_ALLOW);
	build(LO, HI);
	d.nr = UST_I386_SOCKET;
	d.args[0] = AF_INET;
	cr_expect_eq(run(&d), SECCOMP_RET_ALLOW);
}
