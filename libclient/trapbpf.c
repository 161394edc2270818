/* SPDX-License-Identifier: MIT */
/*
 * trapbpf.c - the seccomp filter of the libc trap (see trap.c)
 *
 * Theory of operation: a classic BPF program over struct seccomp_data,
 * written with a little assembler whose forward jumps name labels, so
 * that the layout can change without counting instructions by hand. The
 * instruction pointer and the sixth argument are 64-bit; classic BPF
 * compares 32-bit words, so each is compared as its two halves. It has no
 * dependency on the rest of the shim, so the unit tests run it through an
 * interpreter (test/unit/75-trap-filter.c).
 */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trapbpf.h"

static const int trapped[] = {
	SYS_connect, SYS_bind, SYS_listen, SYS_accept, SYS_accept4,
	SYS_getsockname, SYS_getpeername, SYS_setsockopt, SYS_getsockopt,
	SYS_shutdown, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg,
	SYS_sendmmsg, SYS_recvmmsg,
};
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

/* ---- the filter: a little assembler with forward labels ---- */

enum label { L_NEXT, L_SOCK, L_RANGE, L_RANGE_HI, L_MAGIC, L_TRAP, L_ALLOW,
	     L_I386, L_SOCK32, L_TRAP32, L_COUNT };

struct bpf {
	struct sock_filter f[UST_TRAP_FILTER_MAX];
	/* the enum label each jump goes to, when true and when false */
	uint8_t jt[UST_TRAP_FILTER_MAX], jf[UST_TRAP_FILTER_MAX];
	unsigned n, at[L_COUNT];
};

static void emit(struct bpf *b, uint16_t code, uint32_t k, enum label jt,
		 enum label jf)
{
	if (b->n < UST_TRAP_FILTER_MAX) {
		b->f[b->n] = (struct sock_filter)BPF_STMT(code, k);
		b->jt[b->n] = (uint8_t)jt;
		b->jf[b->n] = (uint8_t)jf;
	}
	b->n++;
}

static void here(struct bpf *b, enum label l)
{
	b->at[l] = b->n;
}

#define LD(b, off) emit(b, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(off), 0, 0)
#define RET(b, v) emit(b, BPF_RET | BPF_K, (v), 0, 0)
#define JMP(b, op, k, t, f) emit(b, BPF_JMP | (op) | BPF_K, (uint32_t)(k), t, f)

/* Resolve the labels. Return: 0, or -1 if a jump does not fit */
static int link_bpf(struct bpf *b)
{
	if (b->n > UST_TRAP_FILTER_MAX)
		return -1;
	for (unsigned i = 0; i < b->n; i++) {
		unsigned t, f;

		if (BPF_CLASS(b->f[i].code) != BPF_JMP)
			continue;
		t = b->jt[i] == L_NEXT ? i + 1 : b->at[b->jt[i]];
		f = b->jf[i] == L_NEXT ? i + 1 : b->at[b->jf[i]];
		if (t <= i || f <= i || t - i - 1 > 255 || f - i - 1 > 255)
			return -1;
		b->f[i].jt = (uint8_t)(t - i - 1);
		b->f[i].jf = (uint8_t)(f - i - 1);
	}
	return 0;
}

#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (IP_LO + 4)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

/* Jump to L_MAGIC if the instruction pointer is in [lo, hi), else allow */
static void emit_range(struct bpf *b, uint64_t lo, uint64_t hi)
{
	uint64_t last = hi - 1;
	uint32_t lo_hi = (uint32_t)(lo >> 32), last_hi = (uint32_t)(last >> 32);

	here(b, L_RANGE);
	LD(b, IP_HI);
	if (lo_hi == last_hi) {
		JMP(b, BPF_JEQ, lo_hi, L_NEXT, L_ALLOW);
		LD(b, IP_LO);
		JMP(b, BPF_JGE, (uint32_t)lo, L_NEXT, L_ALLOW);
		JMP(b, BPF_JGT, (uint32_t)last, L_ALLOW, L_MAGIC);
		here(b, L_RANGE_HI);    /* unused */
		return;
	}
	/* the segment crosses a 4 GB boundary (it is far smaller) */
	JMP(b, BPF_JEQ, lo_hi, L_NEXT, L_RANGE_HI);
	LD(b, IP_LO);
	JMP(b, BPF_JGE, (uint32_t)lo, L_MAGIC, L_ALLOW);
	here(b, L_RANGE_HI);
	JMP(b, BPF_JEQ, last_hi, L_NEXT, L_ALLOW);
	LD(b, IP_LO);
	JMP(b, BPF_JGT, (uint32_t)last, L_ALLOW, L_MAGIC);
}

/*
 * The filter both use: socket() of AF_INET or AF_INET6 and the calls of
 * trapped[] without UST_MAGIC in their sixth argument get @action, made
 * from [@lo, @hi) if @hi is not 0, from anywhere otherwise.
 */
static int build(struct sock_filter *f, uint64_t lo, uint64_t hi,
		 uint32_t action)
{
	struct bpf b0, *b = &b0;
	enum label check = hi ? L_RANGE : L_MAGIC;

	memset(b, 0, sizeof(*b));
	LD(b, offsetof(struct seccomp_data, arch));
	JMP(b, BPF_JEQ, AUDIT_ARCH_X86_64, L_NEXT,
	    action == SECCOMP_RET_USER_NOTIF ? L_I386 : L_ALLOW);
	LD(b, offsetof(struct seccomp_data, nr));
	JMP(b, BPF_JEQ, SYS_socket, L_SOCK, L_NEXT);
	for (unsigned i = 0; i < NTRAPPED; i++)
		JMP(b, BPF_JEQ, (uint32_t)trapped[i], check, L_NEXT);
	RET(b, SECCOMP_RET_ALLOW);
	here(b, L_SOCK);
	LD(b, ARG_LO(0));
	JMP(b, BPF_JEQ, AF_INET, check, L_NEXT);
	JMP(b, BPF_JEQ, AF_INET6, check, L_ALLOW);
	if (hi)
		emit_range(b, lo, hi);
	here(b, L_MAGIC);
	LD(b, ARG_LO(5));
	JMP(b, BPF_JEQ, (uint32_t)UST_MAGIC, L_NEXT, L_TRAP);
	LD(b, ARG_HI(5));
	JMP(b, BPF_JEQ, (uint32_t)(UST_MAGIC >> 32), L_ALLOW, L_TRAP);
	here(b, L_TRAP);
	RET(b, action);
	if (action == SECCOMP_RET_USER_NOTIF) {
		/* the supervisor's: a 32-bit socket() of AF_INET or AF_INET6,
		 * and socketcall(SYS_SOCKET) whose family is in memory, are
		 * notified (refused: ustack serves 64-bit calls only) */
		here(b, L_I386);
		JMP(b, BPF_JEQ, AUDIT_ARCH_I386, L_NEXT, L_ALLOW);
		LD(b, offsetof(struct seccomp_data, nr));
		JMP(b, BPF_JEQ, UST_I386_SOCKETCALL, L_NEXT, L_SOCK32);
		LD(b, ARG_LO(0));
		JMP(b, BPF_JEQ, 1 /* SYS_SOCKET */, L_TRAP32, L_ALLOW);
		here(b, L_SOCK32);
		JMP(b, BPF_JEQ, UST_I386_SOCKET, L_NEXT, L_ALLOW);
		LD(b, ARG_LO(0));
		JMP(b, BPF_JEQ, AF_INET, L_TRAP32, L_NEXT);
		JMP(b, BPF_JEQ, AF_INET6, L_TRAP32, L_ALLOW);
		here(b, L_TRAP32);
		RET(b, action);
	}
	here(b, L_ALLOW);
	RET(b, SECCOMP_RET_ALLOW);
	if (link_bpf(b))
		return -1;
	memcpy(f, b->f, b->n * sizeof(*f));
	return (int)b->n;
}

/**
 * ust_trap_filter() - the seccomp filter of the libc trap
 * @f: room for UST_TRAP_FILTER_MAX instructions
 * @lo: start of the text whose socket calls are stopped
 * @hi: its end (exclusive); @hi - @lo below 4 GB
 *
 * SECCOMP_RET_TRAP for socket() of AF_INET or AF_INET6 and the other
 * socket system calls (trapped[]) made from [@lo, @hi) without UST_MAGIC
 * in their sixth argument; SECCOMP_RET_ALLOW for everything else.
 *
 * Return: the number of instructions, or -1
 */
int ust_trap_filter(struct sock_filter *f, uint64_t lo, uint64_t hi)
{
	if (hi <= lo || hi - lo >= (1ull << 32))
		return -1;
	return build(f, lo, hi, SECCOMP_RET_TRAP);
}

/**
 * ust_notify_filter() - the seccomp filter of the supervisor (supervise.c)
 * @f: room for UST_TRAP_FILTER_MAX instructions
 *
 * SECCOMP_RET_USER_NOTIF for the same calls as ust_trap_filter(), made
 * from anywhere: what the shim does not see goes to the supervisor.
 * Of the 32-bit calls (int 0x80), socket() of AF_INET or AF_INET6 and
 * socketcall(SYS_SOCKET) are notified too (the supervisor refuses the
 * first and looks at the second's family); the rest pass.
 *
 * Return: the number of instructions, or -1
 */
int ust_notify_filter(struct sock_filter *f)
{
	return build(f, 0, 0, SECCOMP_RET_USER_NOTIF);
}

/**
 * ust_aslr_off() - does every new image map its libraries at the same place?
 *
 * Return: 1 if address space randomization is off for this process
 * (personality ADDR_NO_RANDOMIZE, or kernel.randomize_va_space = 0)
 */
int ust_aslr_off(void)
{
	int p = personality(0xffffffff), fd;
	char c = '2';

	if (p != -1 && (p & ADDR_NO_RANDOMIZE))
		return 1;
	fd = open("/proc/sys/kernel/randomize_va_space", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '2';
		close(fd);
	}
	return c == '0';
}
