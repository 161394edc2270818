/* SPDX-License-Identifier: MIT */
/* capture.h - a pcap file of every frame the engine received and sent */
#ifndef USTACK_CAPTURE_H
#define USTACK_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture;

struct capture *capture_open(const char *path, char *err, size_t errlen);
struct capture *capture_open_fd(int fd, char *err, size_t errlen);
void capture_frame(struct capture *c, const uint8_t *frame, size_t len);
void capture_flush(struct capture *c);
void capture_close(struct capture *c);
uint64_t capture_count(const struct capture *c);

#endif
