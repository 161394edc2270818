/* SPDX-License-Identifier: MIT */
/*
 * pcap.c - the libpcap link driver: attach to an existing interface
 *
 * The interface keeps its kernel configuration; ustack shares the wire
 * with it under its own MAC, so the handle is promiscuous and in
 * immediate mode, reads only what arrives (PCAP_D_IN: not our own
 * injections), and sends with pcap_inject(). Frames the NIC coalesced
 * (GRO) can exceed the MTU: turn offloads off on such an interface
 * (ethtool -K IF gro off), the daemon counts and drops them otherwise.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "link.h"

static int pcap_link_recv(struct link *l, uint8_t *buf, size_t cap,
			  struct link_rx *rx)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(l->priv, &h, &data);

	memset(rx, 0, sizeof(*rx));     /* plain frames */
	if (rc == 0)
		return 0;
	if (rc < 0) {
		l->rx_errors++;
		return -EIO;
	}
	if (h->caplen < h->len || h->caplen > cap) {
		l->rx_truncated++;
		return 0;
	}
	memcpy(buf, data, h->caplen);
	l->rx_frames++;
	return (int)h->caplen;
}

static int pcap_link_send(struct link *l, const uint8_t *frame, size_t len,
			  const struct gso_tx *gso)
{
	if (gso)        /* never declared: the host cuts them */
		return -EINVAL;
	if (pcap_inject(l->priv, frame, len) < 0) {
		l->tx_errors++;
		return -ENOBUFS;
	}
	l->tx_frames++;
	return 0;
}

static void pcap_link_close(struct link *l)
{
	if (l->priv)
		pcap_close(l->priv);
	l->priv = NULL;
	l->fd = -1;
}

static const struct link_ops pcap_link_ops = {
	.recv = pcap_link_recv,
	.send = pcap_link_send,
	.close = pcap_link_close,
};

/**
 * link_pcap_open() - attach to an existing interface through libpcap
 * @l: the link, filled in
 * @ifname: the interface
 * @mtu: IP MTU ustack uses on it
 * @err: set to a sentence naming the problem
 * @errlen: its size
 *
 * Return: 0 or a negative errno
 */
int link_pcap_open(struct link *l, const char *ifname, unsigned mtu,
		   char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int fd;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (strlen(ifname) >= IFNAMSIZ || !*ifname) {
		snprintf(err, errlen, "bad interface name '%s'", ifname);
		return -EINVAL;
	}
	p = pcap_create(ifname, ebuf);
	if (!p) {
		snprintf(err, errlen, "pcap %s: %s", ifname, ebuf);
		return -ENODEV;
	}
	if (pcap_set_snaplen(p, LINK_FRAME_MAX) || pcap_set_promisc(p, 1) ||
	    pcap_set_immediate_mode(p, 1) ||
	    pcap_set_buffer_size(p, 4 << 20))
		goto fail;
	if (pcap_activate(p) < 0)
		goto fail;
	if (pcap_datalink(p) != DLT_EN10MB) {
		snprintf(err, errlen, "%s is not an Ethernet interface", ifname);
		pcap_close(p);
		return -EINVAL;
	}
	if (pcap_setdirection(p, PCAP_D_IN) || pcap_setnonblock(p, 1, ebuf))
		goto fail;
	fd = pcap_get_selectable_fd(p);
	if (fd < 0) {
		snprintf(err, errlen, "%s: no selectable fd", ifname);
		pcap_close(p);
		return -EINVAL;
	}
	snprintf(l->name, IFNAMSIZ, "%s", ifname);
	l->ops = &pcap_link_ops;
	l->kind = "pcap";
	l->priv = p;
	l->fd = fd;
	l->mtu = mtu;
	return 0;
fail:
	snprintf(err, errlen, "pcap %s: %s", ifname, pcap_geterr(p));
	pcap_close(p);
	return -EIO;
}
