/* SPDX-License-Identifier: MIT */
/*
 * link.h - the daemon's network interface: a TAP device or a libpcap handle
 *
 * A link moves whole Ethernet frames. recv() returns one frame per call and
 * 0 when nothing is waiting (the fd is non-blocking); the daemon calls it in
 * batches of up to LINK_BATCH when link->fd is readable, and runs the
 * engine's timers once per batch. send() writes one frame at once: a TAP
 * and pcap_inject() take one frame per call anyway, and writing at once
 * gives the engine the link's answer (-ENOBUFS: transmit queue full) for
 * the very datagram that caused it, which the socket layer reports to the
 * sender instead of losing data silently.
 *
 * Offloads: a TAP opened with IFF_VNET_HDR prefixes each frame with a
 * struct virtio_net_hdr (@vnet_hdr_len bytes; 0: plain frames, as pcap's
 * and a TAP's with offloads off). The driver strips it on receive and says
 * what it said in a struct link_rx: the transport checksum is partial or
 * verified (the kernel's checksum offload), the frame is TCP segments or
 * UDP datagrams of one size merged (its segmentation offload: up to 64
 * KiB in one read). On send the header asks for nothing, or, for a frame
 * of TCP segments or UDP datagrams from the engine (gso.h), that the
 * kernel cut it (gso_type TCPV4/TCPV6/UDP_L4, gso_size, hdr_len) and
 * finish each one's checksum (NEEDS_CSUM, csum_start, csum_offset): one
 * write moves up to 64 KiB.
 */
#ifndef USTACK_LINK_H
#define USTACK_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gso.h"

struct link;

/* What the link said of a received frame (offloads; zero: nothing) */
struct link_rx {
	bool csum_ok;              /* transport checksum partial or verified */
	uint16_t gso_size;         /* merged TCP segments of this size, or 0 */
	bool gso_udp;              /* ... UDP datagrams of this payload */
	uint16_t csum_start, csum_offset;   /* where a partial one lies */
	bool csum_partial;         /* ... and it is partial */
};

struct link_ops {
	/* Return: frame length, 0 if none waits, or a negative errno */
	int (*recv)(struct link *l, uint8_t *buf, size_t cap,
		    struct link_rx *rx);
	/* @gso: NULL, or the frame is TCP segments for the link to cut
	 * (gso.h; only where vnet_hdr_len says it can).
	 * Return: 0, -ENOBUFS if the transmit queue is full, or -errno */
	int (*send)(struct link *l, const uint8_t *frame, size_t len,
		    const struct gso_tx *gso);
	void (*close)(struct link *l);
};

struct link {
	const struct link_ops *ops;
	const char *kind;          /* "tap" or "pcap" */
	int fd;                    /* readable when frames wait */
	char name[IFNAMSIZ];
	unsigned mtu;
	bool created;              /* we created the device (TAP) */
	size_t vnet_hdr_len;       /* see above */
	bool offload;              /* the kernel may give us partial
				    * checksums and merged segments */
	bool uso;                  /* ... and takes and gives merged UDP
				    * datagrams (TUN_F_USO4|USO6) */
	void *priv;
	uint64_t rx_frames, tx_frames, rx_errors, tx_errors, tx_full,
		rx_truncated;
};

int link_tap_open(struct link *l, const char *name, unsigned mtu,
		  bool offload, char *err, size_t errlen);
int link_set_offload(struct link *l, bool on);
void link_csum_complete(uint8_t *frame, size_t len, const struct link_rx *rx);
int link_pcap_open(struct link *l, const char *ifname, unsigned mtu,
		   char *err, size_t errlen);

static inline void link_close(struct link *l)
{
	if (l->ops)
		l->ops->close(l);
	l->ops = NULL;
}

/* The largest frame a link hands over: 64 KiB plus headers. */
#define LINK_FRAME_MAX (65536 + 64)

#endif
