/* SPDX-License-Identifier: MIT */
/*
 * capture.c - write frames to a pcap file (libpcap's savefile format)
 *
 * The capture shows the engine's view: frames handed to it and frames it
 * sent, after --impair on the way in and before it on the way out. Writes
 * are buffered by stdio and flushed after every batch, so tshark can read
 * the file while the daemon runs.
 */
#include "capture.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "link.h"

struct capture {
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint64_t frames;
};

struct capture *capture_open(const char *path, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->dead = pcap_open_dead(DLT_EN10MB, LINK_FRAME_MAX);
	if (!c->dead) {
		snprintf(err, errlen, "pcap_open_dead failed");
		free(c);
		return NULL;
	}
	c->dump = pcap_dump_open(c->dead, path);
	if (!c->dump) {
		snprintf(err, errlen, "capture %s: %s", path,
			 pcap_geterr(c->dead));
		pcap_close(c->dead);
		free(c);
		return NULL;
	}
	return c;
}

/**
 * capture_open_fd() - write the capture to a descriptor someone else opened
 * @fd: open for writing; owned by the capture from now on (closed at the end)
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * ustackctl opens the file with its own permissions and passes the fd.
 *
 * Return: the capture, or NULL (then @fd is closed)
 */
struct capture *capture_open_fd(int fd, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	FILE *f = fdopen(fd, "w");

	if (!c || !f) {
		snprintf(err, errlen, "out of memory or bad descriptor");
		if (f)
			fclose(f);
		else
			close(fd);
		free(c);
		return NULL;
	}
	c->dead = pcap_open_dead(DLT_EN10MB, LINK_FRAME_MAX);
	c->dump = c->dead ? pcap_dump_fopen(c->dead, f) : NULL;
	if (!c->dump) {
		snprintf(err, errlen, "capture: cannot write a pcap header");
		if (c->dead)
			pcap_close(c->dead);
		fclose(f);
		free(c);
		return NULL;
	}
	return c;
}

void capture_frame(struct capture *c, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;

	gettimeofday(&h.ts, NULL);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)c->dump, &h, frame);
	c->frames++;
}

void capture_flush(struct capture *c)
{
	pcap_dump_flush(c->dump);
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	pcap_dump_close(c->dump);
	pcap_close(c->dead);
	free(c);
}

uint64_t capture_count(const struct capture *c)
{
	return c->frames;
}
