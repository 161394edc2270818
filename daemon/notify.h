/* SPDX-License-Identifier: MIT */
/* notify.h - the systemd notification protocol (sd_notify), see notify.c */
#ifndef USTACK_NOTIFY_H
#define USTACK_NOTIFY_H

#include <stdint.h>

int notify_init(void);
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t notify_watchdog_usec(void);
void notify_close(void);

#endif
