/* SPDX-License-Identifier: MIT */
/*
 * tap.c - the TAP link driver
 *
 * Opens /dev/net/tun with IFF_TAP | IFF_NO_PI: each read() is one whole
 * Ethernet frame the kernel sends out of the TAP interface, each write()
 * one frame the kernel receives on it. With offloads (the default), also
 * IFF_VNET_HDR and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6):
 * every frame comes after a struct virtio_net_hdr, and the kernel may
 * hand us TCP and UDP with the checksum left partial (NEEDS_CSUM: only the
 * pseudo-header's sum is in the field) and its TCP segments merged up to
 * 64 KiB (gso_type TCPV4/TCPV6, gso_size the segments' size), so one read
 * moves up to 64 KiB instead of one MTU; what we write carries a header
 * that asks for nothing, or for the kernel to cut a frame of TCP segments
 * from the engine (GSO_TCPV4/TCPV6).
 *
 * UDP segmentation offload (USO; Linux 6.2 on): TUN_F_USO4 | TUN_F_USO6
 * are asked for too, and where the kernel refuses them (EINVAL) the rest
 * is asked for alone. With them the engine merges the UDP datagrams it
 * sends back to back on one flow (same addresses, ports and payload
 * size, the last possibly shorter; gso.h) into one frame of up to 64 KiB
 * and 64 datagrams, which we write with gso_type GSO_UDP_L4, gso_size the
 * payload per datagram and NEEDS_CSUM at the UDP checksum: the kernel
 * cuts it as it cuts a socket's UDP_SEGMENT sends, so a program's burst
 * costs one write instead of one per datagram. The engine holds a batch
 * at most until the end of the daemon's loop turn. In the other direction
 * the kernel may hand us a sender's UDP_SEGMENT datagrams merged
 * (GSO_UDP_L4): the engine takes each on its own, as the kernel's receive
 * path splits them for a socket without UDP_GRO, and a capture holds
 * them one by one as the wire would carry them.
 *
 * If no interface of that name exists
 * we create it, and it disappears when we close it (it is not persistent);
 * an existing persistent TAP is attached to and left in place. The
 * interface is brought up and given our MTU; its addresses belong to the
 * kernel side and are not ours to set.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"

/* The kernel's ABI (Linux 6.2), for headers older than the kernel */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

static int tap_recv(struct link *l, uint8_t *buf, size_t cap,
		    struct link_rx *rx)
{
	struct virtio_net_hdr h;
	struct iovec iov[2] = { { &h, l->vnet_hdr_len }, { buf, cap } };
	ssize_t n;

	memset(rx, 0, sizeof(*rx));
	n = l->vnet_hdr_len ? readv(l->fd, iov, 2) : read(l->fd, buf, cap);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		l->rx_errors++;
		return -errno;
	}
	l->rx_frames++;
	if (!l->vnet_hdr_len)
		return (int)n;
	if ((size_t)n < l->vnet_hdr_len) {
		l->rx_truncated++;
		return 0;
	}
	n -= (ssize_t)l->vnet_hdr_len;
	/* the legacy header is in the host's byte order (no TUNSETVNETLE) */
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		rx->csum_ok = rx->csum_partial = true;
		rx->csum_start = h.csum_start;
		rx->csum_offset = h.csum_offset;
	} else if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		rx->csum_ok = true;
	}
	if ((h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE)
		rx->gso_size = h.gso_size;
	rx->gso_udp = h.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4;
	return (int)n;
}

static int tap_send(struct link *l, const uint8_t *frame, size_t len,
		    const struct gso_tx *gso)
{
	struct virtio_net_hdr h = { 0 };       /* asks for nothing */
	struct iovec iov[2] = { { &h, l->vnet_hdr_len },
				{ (void *)frame, len } };
	ssize_t n;

	if (gso && !l->vnet_hdr_len)
		return -EINVAL;
	if (gso) {
		/* the legacy header, in the host's byte order */
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.gso_type = gso->udp ? VIRTIO_NET_HDR_GSO_UDP_L4 :
			     gso->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
				       VIRTIO_NET_HDR_GSO_TCPV4;
		/* a CWR goes on the first segment only (RFC 3168 6.1.2) */
		if (!gso->udp && gso->csum_start + 13u < len &&
		    (frame[gso->csum_start + 13] & 0x80))
			h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		h.hdr_len = gso->hdr_len;
		h.gso_size = gso->gso_size;
		h.csum_start = gso->csum_start;
		h.csum_offset = gso->csum_offset;
	}
	n = l->vnet_hdr_len ? writev(l->fd, iov, 2) : write(l->fd, frame, len);

	if (n < 0) {
		if (errno == EAGAIN || errno == ENOBUFS) {
			l->tx_full++;
			return -ENOBUFS;
		}
		l->tx_errors++;
		return -errno;
	}
	l->tx_frames++;
	return 0;
}

static void tap_close(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static const struct link_ops tap_ops = {
	.recv = tap_recv,
	.send = tap_send,
	.close = tap_close,
};

static int tap_configure(const char *name, unsigned mtu, char *err,
			 size_t errlen)
{
	struct ifreq ifr;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (sock < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
		rc = -errno;
		snprintf(err, errlen, "setting MTU %u on %s: %s", mtu, name,
			 strerror(errno));
		goto out;
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)) {
		rc = -errno;
		snprintf(err, errlen, "bringing %s up: %s", name,
			 strerror(errno));
	}
out:
	close(sock);
	return rc;
}

/**
 * link_tap_open() - create or attach to a TAP interface
 * @l: the link, filled in
 * @name: interface name; "" lets the kernel choose (tap%d)
 * @mtu: IP MTU to set on it
 * @offload: with IFF_VNET_HDR, and offloads on (link_set_offload())
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * Return: 0 or a negative errno
 */
int link_tap_open(struct link *l, const char *name, unsigned mtu,
		  bool offload, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface name '%s' is longer than %d",
			 name, IFNAMSIZ - 1);
		return -EINVAL;
	}
	l->created = !*name || if_nametoindex(name) == 0;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "/dev/net/tun: %s%s", strerror(errno),
			 errno == EACCES || errno == EPERM ?
				 " (needs CAP_NET_ADMIN)" : "");
		return rc;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", *name ? name : "tap%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		snprintf(err, errlen, "TUNSETIFF %s: %s%s", ifr.ifr_name,
			 strerror(errno),
			 errno == EINVAL ? " (is it a TUN, not a TAP?)" :
			 errno == EBUSY ? " (another process holds it)" : "");
		close(fd);
		return rc;
	}
	snprintf(l->name, IFNAMSIZ, "%s", ifr.ifr_name);
	rc = tap_configure(l->name, mtu, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	l->ops = &tap_ops;
	l->kind = "tap";
	l->fd = fd;
	l->mtu = mtu;
	if (offload) {
		int sz = sizeof(struct virtio_net_hdr);

		if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
			rc = -errno;
			snprintf(err, errlen, "TUNSETVNETHDRSZ %s: %s",
				 l->name, strerror(errno));
			close(fd);
			l->fd = -1;
			return rc;
		}
		l->vnet_hdr_len = sizeof(struct virtio_net_hdr);
		link_set_offload(l, true);
	}
	return 0;
}

/**
 * link_set_offload() - let the kernel give us partial checksums and
 * merged segments, or stop it
 * @l: the link
 * @on: offloads wanted
 *
 * Only a TAP opened with offloads can (it has the header to say so);
 * turned off when the link is impaired, so that loss and corruption
 * apply to frames as the wire carries them. A kernel that refuses
 * (TUNSETOFFLOAD) leaves them off; one that knows no USO (before 6.2:
 * EINVAL) gets the rest without it (@l->uso says which).
 *
 * Return: 0, or a negative errno
 */
int link_set_offload(struct link *l, bool on)
{
	unsigned f = on ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0;

	if (!l->vnet_hdr_len || strcmp(l->kind, "tap"))
		return on ? -EOPNOTSUPP : 0;
	l->uso = false;
	if (on && ioctl(l->fd, TUNSETOFFLOAD,
			f | TUN_F_USO4 | TUN_F_USO6) == 0) {
		l->offload = l->uso = true;
		return 0;
	}
	if (ioctl(l->fd, TUNSETOFFLOAD, f) < 0) {
		l->offload = false;
		return -errno;
	}
	l->offload = on;
	return 0;
}
