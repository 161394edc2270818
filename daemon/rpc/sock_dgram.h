/* SPDX-License-Identifier: MIT */
/*
 * sock_dgram.h - what the UDP, ping and raw glue share (sock_dgram.c):
 * the datagram channel, ancillary data, the error notification, the
 * options every datagram socket has
 */
#ifndef USTACK_SOCK_DGRAM_H
#define USTACK_SOCK_DGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "dgram.h"
#include "sock_impl.h"

/* sk->dg_flags */
#define DG_NOTIFIED 0x1u      /* an ERROR notification is in the channel */
#define DG_REUSEADDR 0x2u     /* raw: kept for getsockopt */
#define DG_REUSEPORT 0x4u     /* ping, raw: kept for getsockopt */
#define DG_PLAIN 0x8u         /* USTACK_SO_PLAIN: bare payloads */

int dg_open(struct sock *sk, struct dgram *dg);
int dg_setopt(struct sock *sk, int level, int name, int val);
int dg_getopt(struct sock *sk, int level, int name, int *val);
int dg_shutdown(struct sock *sk, int how);
int dg_ioctl(struct sock *sk, unsigned long req, int *val);
int dg_tx(const struct ustack_dgram_meta *m, struct dgram_tx *tx);
void dg_drain(struct sock *sk);
void dg_chan_read(struct sock *sk);
int sock_dgram_send(struct sock *sk, const struct ustack_dgram_hdr *h,
		    const uint8_t *body);
void sock_dgram_flush(struct sock *sk);
void dg_chan_write(struct sock *sk);
void dg_kick(struct sock *sk);

#endif
