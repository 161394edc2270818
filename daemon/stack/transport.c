/* SPDX-License-Identifier: MIT */
/*
 * transport.c - the transports of the engine, started and stopped
 *
 * Theory of operation: the one place that names every transport, as
 * Linux's inet_init() does: each one makes its tables and registers in
 * the protocol table (s->protos) what the network layers may call: TCP
 * and UDP per protocol number, ICMP's ping and raw sockets as hooks the
 * ICMP modules call. The network layers, ICMP and the neighbour code
 * know the transports only through that table.
 */
#include "ping.h"
#include "raw.h"
#include "stack_impl.h"
#include "tcp_impl.h"
#include "udp.h"

/**
 * transport_init() - start every transport of a new engine
 * @s: the stack, its network layers set up
 *
 * Return: 0, or -ENOMEM (transport_fini() undoes what was done)
 */
int transport_init(struct stack *s)
{
	int rc = tcp_init(s);

	if (rc == 0)
		rc = udp_init(s);
	if (rc == 0)
		rc = ping_init(s);
	if (rc == 0)
		rc = raw_init(s);
	return rc;
}

/**
 * transport_fini() - free every socket of every transport
 * @s: the stack
 */
void transport_fini(struct stack *s)
{
	udp_fini(s);
	ping_fini(s);
	raw_fini(s);
	tcp_fini(s);
}
