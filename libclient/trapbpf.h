/* SPDX-License-Identifier: MIT */
/* trapbpf.h - the seccomp filter of the libc trap (trapbpf.c, trap.c), and
 * the ASLR check that decides whether the trap can be trusted across exec
 * (the shim and ustack-run both ask it) */
#ifndef USTACK_TRAPBPF_H
#define USTACK_TRAPBPF_H

#include <linux/filter.h>
#include <stdint.h>

/* The mark on libustack's own socket system calls (rawsys.c, trap.c) */
#define UST_MAGIC 0x75737463534b4f31ull

#define UST_TRAP_FILTER_MAX 64

/* i386 system call numbers the supervisor's filter looks at */
#define UST_I386_SOCKETCALL 102
#define UST_I386_SOCKET 359

int ust_trap_filter(struct sock_filter *f, uint64_t lo, uint64_t hi);
int ust_notify_filter(struct sock_filter *f);
int ust_aslr_off(void);

#endif
