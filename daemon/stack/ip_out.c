/* SPDX-License-Identifier: MIT */
/*
 * ip_out.c - what the transports call to send, whatever the family, and
 * the loopback's queue
 *
 * Theory of operation: a transport fills a struct ip_tx (addresses of one
 * family, protocol, TOS or Traffic Class, TTL or Hop Limit, flags) and
 * calls ip_output(), which hands the datagram to the network layer of the
 * destination's family. Neither network layer knows who called it.
 *
 * A datagram to one of our own addresses (IPv4's 127/8 and the link's,
 * IPv6's ::1 and the link's) never reaches the link: the network layer
 * builds it as for the loopback interface and queues it here
 * (ip_loop_queue). ip_loop_drain() delivers the queue, as received on the
 * loopback, once the entry point that queued it has finished its own
 * work: never by recursion, so a transport that sends to itself is not
 * re-entered in the middle of its own call. The queue holds both
 * families: the version nibble says which input each datagram goes to.
 */
#include "ip.h"

#include "ipv4.h"
#include "ipv6.h"
#include "stack_impl.h"

/**
 * ip_output() - send a datagram of either family
 * @s: the stack
 * @p: transport header and payload, with headroom; consumed
 * @tx: addresses (@tx->dst's family picks the network layer), protocol,
 *      TOS, TTL, IP_TX_* flags
 *
 * Return: as ipv4_output() or ipv6_output(); -EAFNOSUPPORT for an
 * address of no family
 */
int ip_output(struct stack *s, struct pbuf *p, const struct ip_tx *tx)
{
	if (tx->dst.family == IP_V4)
		return ipv4_output(s, p, tx);
	if (tx->dst.family == IP_V6)
		return ipv6_output(s, p, tx);
	pbuf_free(p);
	return -EAFNOSUPPORT;
}

/**
 * ip_loop_queue() - queue a whole datagram to ourselves; consumes @p
 * @s: the stack
 * @p: the datagram from its network header
 */
void ip_loop_queue(struct stack *s, struct pbuf *p)
{
	/* as Linux's loopback: TCP segments with a partial checksum
	 * (gso.h) are taken as they are, and as the segments they stand for */
	if (p->gso_size)
		p->rx_flags |= PBUF_RX_CSUM_OK;
	p->next = NULL;
	if (s->loop_tail)
		s->loop_tail->next = p;
	else
		s->loop_q = p;
	s->loop_tail = p;
}

/**
 * ip_loop_drain() - deliver what we sent to ourselves, as received on
 * the loopback interface
 * @s: the stack
 *
 * Called when an entry point is about to return. Deliveries may queue
 * more; they are handled in the same loop, never by recursion.
 */
void ip_loop_drain(struct stack *s)
{
	if (s->loop_draining)
		return;
	s->loop_draining = true;
	while (s->loop_q) {
		struct pbuf *p = s->loop_q;

		s->loop_q = p->next;
		if (!s->loop_q)
			s->loop_tail = NULL;
		p->next = NULL;
		if (p->data[0] >> 4 == 6)
			ipv6_input(s, &s->lo, p, false);
		else
			ipv4_input(s, &s->lo, p, false, NULL);
	}
	s->loop_draining = false;
}
