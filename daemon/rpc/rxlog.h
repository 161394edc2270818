/* SPDX-License-Identifier: MIT */
/*
 * rxlog.h - a TCP socket's receive times: when its in-order bytes arrived
 * (SO_TIMESTAMP, SO_TIMESTAMPNS, SO_TIMESTAMPING's RX_SOFTWARE), kept by
 * the daemon's socket layer for the program's recvmsg (rxlog.c)
 */
#ifndef USTACK_RXLOG_H
#define USTACK_RXLOG_H

#include <stdbool.h>
#include <stdint.h>

/* marks a log keeps at most: 1 KiB, made only for sockets that ask */
#define RX_LOG_MAX 64

/* the bytes of the stream up to offset @end arrived at @time */
struct rx_mark {
	uint64_t end;
	uint64_t time;
};

/*
 * Offsets count the stream's bytes as the program reads them from its
 * channel, from when the log began: @passed starts at what the channel
 * held then (bytes that have no mark) and grows by what the daemon writes
 * into the channel. The marks' ends rise strictly; a mark covers the
 * bytes after the previous mark's end (or after @base) up to its own.
 */
struct rx_log {
	uint64_t passed;        /* bytes written to the channel */
	uint64_t base;          /* bytes before the first mark */
	unsigned n;
	struct rx_mark m[RX_LOG_MAX];
};

struct rx_log *rx_log_new(uint64_t unread, uint64_t queued);
void rx_log_free(struct rx_log *l);
void rx_log_pass(struct rx_log *l, uint64_t n);
bool rx_log_full(const struct rx_log *l, uint64_t queued);
void rx_log_trim(struct rx_log *l, uint64_t consumed);
void rx_log_arrived(struct rx_log *l, uint64_t queued, uint64_t time);
uint64_t rx_log_time(struct rx_log *l, uint64_t last, uint64_t consumed);

#endif
