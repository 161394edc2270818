/* SPDX-License-Identifier: MIT */
/*
 * admin.c - the daemon's side of ustackctl (proto/ustack_admin.h)
 *
 * Theory of operation: ctl.c validates each message's framing and body
 * size and hands USTACK_MSG_ADMIN_* requests here, with the caller's
 * credentials. Requests that change state are refused with EPERM unless
 * the caller is admin (uid 0 or the admin group). Field values are checked
 * here (prefix lengths, padding, sizes) before the engine sees them.
 *
 * A capture started by ustackctl writes to a descriptor the client opened
 * and passed along, so a client can only write where it may write itself.
 *
 * Pings are asynchronous: the request is answered when the echo reply
 * comes back (the engine's echo_reply callback) or when its timeout fires.
 * At most ADMIN_MAX_PINGS are in flight; each has its own libevent timer.
 */
#include "admin.h"

#include <errno.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "rpc/sock.h"
#include "slab.h"
#include "tcp.h"
#include "ustack_proto.h"

#define ADMIN_MAX_PINGS 64

struct admin_ping {
	struct admin *a;
	bool used;
	uint64_t client;
	uint32_t msg_seq;
	uint16_t seq;
	uint32_t size;
	uint64_t sent;
	struct event *timeout;
};

struct admin {
	struct daemon *d;
	uint16_t ping_id;            /* ICMP identifier of our pings */
	struct admin_ping pings[ADMIN_MAX_PINGS];
	uint8_t body[USTACK_MSG_MAX];
};

static size_t body_room(size_t fixed, size_t entry)
{
	return (USTACK_MSG_MAX - sizeof(struct ustack_msg_hdr) - fixed) / entry;
}

static void counter_add(struct ustack_counter *c, unsigned *n, unsigned max,
			const char *group, const char *name, const char *desc,
			uint64_t value)
{
	struct ustack_counter *o;

	if (*n >= max)
		return;
	o = &c[(*n)++];
	memset(o, 0, sizeof(*o));
	snprintf(o->group, sizeof(o->group), "%s", group);
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->desc, sizeof(o->desc), "%s", desc);
	o->value = value;
}

struct state_count {
	unsigned tcp[TCP_TIME_WAIT + 1];
	unsigned udp;
};

static void count_tcp_state(void *arg, const struct tcp_sock *sk)
{
	struct state_count *sc = arg;
	enum tcp_state st = tcp_sock_state(sk);

	if (st <= TCP_TIME_WAIT)
		sc->tcp[st]++;
}

static void count_udp(void *arg, const struct sock_udp_view *v)
{
	(void)v;
	((struct state_count *)arg)->udp++;
}

/* Sockets per state, as netstat's summary counts them. */
static void stats_sockets(struct daemon *d, struct ustack_counter *c,
			  unsigned *n, unsigned max)
{
	struct state_count sc = { { 0 }, 0 };
	char name[32], desc[64];

	tcp_foreach(d->stack, count_tcp_state, &sc);
	if (d->socks)
		socktab_foreach_udp(d->socks, count_udp, &sc);
	for (int st = TCP_CLOSED; st <= TCP_TIME_WAIT; st++) {
		const char *sn = tcp_state_name((enum tcp_state)st);

		snprintf(name, sizeof(name), "tcp_%s", sn);
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		snprintf(desc, sizeof(desc), "TCP sockets in %s", sn);
		counter_add(c, n, max, "sockets", name, desc, sc.tcp[st]);
	}
	counter_add(c, n, max, "sockets", "udp", "UDP sockets", sc.udp);
	counter_add(c, n, max, "sockets", "tcp_memory", "bytes of TCP buffers in use",
		    tcp_mem_in_use(d->stack));
	counter_add(c, n, max, "sockets", "tcp_memory_budget", "bound on them (tcp-mem-budget)",
		    d->cfg.stack.tcp_mem_budget);
	counter_add(c, n, max, "sockets", "tcp_conn_bytes",
		    "engine bytes per idle TCP connection (no buffers)", tcp_sock_size());
	counter_add(c, n, max, "sockets", "sock_bytes",
		    "daemon bytes per TCP socket of a program, engine aside", sock_struct_size());
	counter_add(c, n, max, "sockets", "heap_trims",
		    "freed memory given back to the system (malloc_trim)", d->heap_trims);
	{
		struct mallinfo2 mi = mallinfo2();

		counter_add(c, n, max, "sockets", "heap_in_use",
			    "bytes the daemon's heap has allocated", mi.uordblks);
		counter_add(c, n, max, "sockets", "heap_free",
			    "bytes free in the daemon's heap, not given back", mi.fordblks);
		counter_add(c, n, max, "sockets", "slab_bytes",
			    "bytes of the slabs sockets and connections live in", slab_mapped_bytes());
	}
	if (d->socks) {
		const struct sock_stats *st = socktab_stats(d->socks);

		/* the socket table's refusals and failure paths */
#define X(cname, cdesc) \
		counter_add(c, n, max, "sockets", #cname, cdesc, st->cname);
		SOCK_COUNTERS(X)
#undef X
	}
}

static int admin_stats(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_list_reply *lr = (void *)a->body;
	struct ustack_counter *c = (void *)(a->body + sizeof(*lr));
	unsigned n = 0, max = (unsigned)body_room(sizeof(*lr), sizeof(*c));
	const struct stack_counters *sc = stack_counters(d->stack);
	struct stack_mem m;
	const struct ctl_stats *cs = ctl_get_stats(d->ctl);

	for (unsigned i = 0; i < stack_counter_count; i++) {
		const struct counter_desc *cd = &stack_counter_desc[i];

		counter_add(c, &n, max, cd->group, cd->name, cd->desc,
			    *(const uint64_t *)(const void *)((const char *)sc +
							      cd->offset));
	}
	stack_mem(d->stack, &m);
	counter_add(c, &n, max, "mem", "pbuf_bytes", "packet buffer bytes in use", m.pbuf_bytes);
	counter_add(c, &n, max, "mem", "pbuf_peak", "most packet buffer bytes ever in use", m.pbuf_peak);
	counter_add(c, &n, max, "mem", "pbuf_budget", "packet buffer budget (mem-budget)", m.pbuf_budget);
	counter_add(c, &n, max, "mem", "pbufs", "packet buffers in use", m.pbufs);
	counter_add(c, &n, max, "mem", "pbuf_refused", "buffer allocations refused: budget spent", m.pbuf_refused);
	counter_add(c, &n, max, "mem", "neigh_entries", "neighbour cache entries in use", m.neigh_entries);
	counter_add(c, &n, max, "mem", "neigh_max_entries", "neighbour cache size", m.neigh_max_entries);
	counter_add(c, &n, max, "mem", "reass_datagrams", "datagrams in reassembly", m.reass_datagrams);
	counter_add(c, &n, max, "mem", "reass_bytes", "bytes held by reassembly", m.reass_bytes);
	counter_add(c, &n, max, "mem", "reass_max_bytes", "reassembly bound (reass-max-bytes)", m.reass_max_bytes);
	stats_sockets(d, c, &n, max);
	counter_add(c, &n, max, "link", "rx_frames", "frames read from the link", d->link.rx_frames);
	counter_add(c, &n, max, "link", "tx_frames", "frames written to the link", d->link.tx_frames);
	counter_add(c, &n, max, "link", "rx_errors", "link read errors", d->link.rx_errors);
	counter_add(c, &n, max, "link", "tx_errors", "link write errors", d->link.tx_errors);
	counter_add(c, &n, max, "link", "tx_full", "frames refused: transmit queue full", d->link.tx_full);
	counter_add(c, &n, max, "link", "rx_truncated", "frames dropped: larger than we read", d->link.rx_truncated);
	if (d->imp) {
		static const char *const dir[2] = { "impair_rx", "impair_tx" };

		for (int i = 0; i < 2; i++) {
			const struct impair_stats *st = &d->imp->st[i];

			counter_add(c, &n, max, dir[i], "seen", "frames through the impairment", st->seen);
			counter_add(c, &n, max, dir[i], "lost", "frames lost on purpose", st->lost);
			counter_add(c, &n, max, dir[i], "duplicated", "frames duplicated", st->duplicated);
			counter_add(c, &n, max, dir[i], "reordered", "frames held back", st->reordered);
			counter_add(c, &n, max, dir[i], "corrupted", "frames with a bit flipped", st->corrupted);
			counter_add(c, &n, max, dir[i], "queue_drop", "frames dropped: delay queue full", st->queue_drop);
		}
	}
	counter_add(c, &n, max, "ctl", "clients", "control connections open", ctl_clients(d->ctl));
	counter_add(c, &n, max, "ctl", "accepted", "control connections accepted", cs->accepted);
	counter_add(c, &n, max, "ctl", "refused_full", "connections refused: too many clients", cs->refused_full);
	counter_add(c, &n, max, "ctl", "accept_backoff", "accept paused: out of descriptors", cs->accept_backoff);
	counter_add(c, &n, max, "ctl", "requests", "requests received", cs->requests);
	counter_add(c, &n, max, "ctl", "bad_framing", "clients dropped: broken framing", cs->bad_framing);
	counter_add(c, &n, max, "ctl", "act_for", "requests made for another process (ustack-run's supervisor)", cs->act_for);
	counter_add(c, &n, max, "ctl", "sup_refused", "socket calls the supervisor could not serve (EPERM: no ptrace access; EAFNOSUPPORT: 32-bit)", cs->sup_refused);
	counter_add(c, &n, max, "ctl", "bad_request", "requests refused: invalid", cs->bad_request);
	counter_add(c, &n, max, "ctl", "send_fail", "clients dropped: reply not taken", cs->send_fail);
	counter_add(c, &n, max, "capture", "frames", "frames written to the capture",
		    d->cap ? capture_count(d->cap) : 0);
	lr->total = lr->count = n;
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*lr) + n * sizeof(*c));
}

/* An engine address on the wire of the admin protocol */
static void admin_ip_out(struct ustack_ip *o, const struct ip_addr *a)
{
	memset(o, 0, sizeof(*o));
	o->family = a->family;
	if (a->family == IP_V4)
		put32(o->addr, a->v4);
	else
		memcpy(o->addr, a->v6, 16);
}

/* An address from the admin protocol; -EINVAL if the family is neither */
static int admin_ip_in(const struct ustack_ip *u, struct ip_addr *a, bool none_ok)
{
	if (u->pad[0] || u->pad[1] || u->pad[2])
		return -EINVAL;
	if (u->family == 4) {
		*a = ip4(get32(u->addr));
		return 0;
	}
	if (u->family == 6) {
		*a = ip6(u->addr);
		return 0;
	}
	*a = ip_any(IP_NONE);
	return none_ok && u->family == 0 ? 0 : -EINVAL;
}

static int admin_neigh(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_list_req lq;
	struct ustack_list_reply *lr = (void *)a->body;
	struct ustack_neigh *out = (void *)(a->body + sizeof(*lr));
	unsigned max = (unsigned)body_room(sizeof(*lr), sizeof(*out));
	struct stack_neigh *tmp = malloc(max * sizeof(*tmp));
	unsigned total, count;

	if (!tmp)
		return -ENOMEM;
	memcpy(&lq, req->body, sizeof(lq));
	total = stack_neigh_list(d->stack, daemon_now(), lq.start, tmp, max);
	count = lq.start < total ? total - lq.start : 0;
	if (count > max)
		count = max;
	for (unsigned i = 0; i < count; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		admin_ip_out(&out[i].ip, &tmp[i].ip);
		memcpy(out[i].mac, tmp[i].mac, sizeof(out[i].mac));
		out[i].state = tmp[i].state;
		out[i].router = tmp[i].is_router;
		out[i].age_ms = tmp[i].age / NSEC_PER_MSEC;
		out[i].queued = tmp[i].queued;
		out[i].probes = tmp[i].probes;
	}
	free(tmp);
	lr->total = total;
	lr->count = count;
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*lr) + count * sizeof(*out));
}

_Static_assert(USTACK_IF_LINK == STACK_IF_LINK &&
	       USTACK_IF_LOOPBACK == STACK_IF_LOOPBACK, "interface numbers");

static int admin_routes(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_list_req lq;
	struct ustack_list_reply *lr = (void *)a->body;
	struct ustack_route *out = (void *)(a->body + sizeof(*lr));
	struct stack_route r[STACK_MAX_ROUTES];
	unsigned total, count;

	memcpy(&lq, req->body, sizeof(lq));
	total = stack_route_list(d->stack, lq.start, r, STACK_MAX_ROUTES);
	count = lq.start < total ? total - lq.start : 0;
	for (unsigned i = 0; i < count; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		admin_ip_out(&out[i].dst, &r[i].dst);
		out[i].prefix = r[i].prefix;
		out[i].origin = r[i].origin;
		if (r[i].gateway.family != IP_NONE)
			admin_ip_out(&out[i].gateway, &r[i].gateway);
		out[i].metric = r[i].metric;
		out[i].ifindex = (uint8_t)r[i].ifindex;
	}
	lr->total = total;
	lr->count = count;
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*lr) + count * sizeof(*out));
}

static int admin_addrs(struct admin *a, struct ctl_req *req)
{
	static const uint8_t states[] = {
		[IFA6_TENTATIVE] = USTACK_ADDR_TENTATIVE,
		[IFA6_PREFERRED] = USTACK_ADDR_PREFERRED,
		[IFA6_DEPRECATED] = USTACK_ADDR_DEPRECATED,
		[IFA6_DUPLICATE] = USTACK_ADDR_DUPLICATE,
	};
	static const uint8_t origins[] = {
		[IFA6_STATIC] = USTACK_ADDR_STATIC,
		[IFA6_LINKLOCAL] = USTACK_ADDR_LINKLOCAL,
		[IFA6_SLAAC] = USTACK_ADDR_SLAAC,
		[IFA6_DHCP] = USTACK_ADDR_DHCP,
	};
	struct daemon *d = a->d;
	struct ustack_list_reply *lr = (void *)a->body;
	struct ustack_addr *out = (void *)(a->body + sizeof(*lr));
	struct stack_ifaddr sa[STACK_MAX_IFADDRS];
	unsigned n = stack_addr_list(d->stack, daemon_now(), sa,
				     STACK_MAX_IFADDRS);

	if (n > STACK_MAX_IFADDRS)
		n = STACK_MAX_IFADDRS;
	for (unsigned i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		admin_ip_out(&out[i].addr, &sa[i].addr);
		out[i].prefix = sa[i].prefix;
		out[i].ifindex = (uint8_t)sa[i].ifindex;
		out[i].state = states[sa[i].state];
		out[i].origin = origins[sa[i].origin];
		out[i].preferred_s = sa[i].preferred_left == UINT64_MAX ?
				     UINT32_MAX : (uint32_t)(sa[i].preferred_left /
							     NSEC_PER_SEC);
		out[i].valid_s = sa[i].valid_left == UINT64_MAX ? UINT32_MAX :
				 (uint32_t)(sa[i].valid_left / NSEC_PER_SEC);
	}
	lr->total = lr->count = n;
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*lr) + n * sizeof(*out));
}

/* ustackctl dns: what router advertisements said of DNS (RFC 8106) */
static int admin_dns(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_list_reply *lr = (void *)a->body;
	struct ustack_dns *out = (void *)(a->body + sizeof(*lr));
	struct stack_dns sd[16];
	struct ip_addr steer[STACK_DNS_STEER_MAX];
	unsigned n = stack_dns_list(d->stack, daemon_now(), sd, 16), k;

	if (n > 16)
		n = 16;
	for (unsigned i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].ifindex = (uint8_t)sd[i].ifindex;
		out[i].search = sd[i].search;
		out[i].left_s = sd[i].left == UINT64_MAX ? UINT32_MAX :
				(uint32_t)(sd[i].left / NSEC_PER_SEC);
		memcpy(out[i].addr, sd[i].addr, 16);
		memcpy(out[i].name, sd[i].name, sizeof(sd[i].name));
	}
	/* then the resolv.conf nameservers the stub answers for */
	k = stack_dns_steered(d->stack, steer, STACK_DNS_STEER_MAX);
	for (unsigned i = 0; i < k; i++, n++) {
		struct ip_addr m = ip_map(&steer[i]);

		memset(&out[n], 0, sizeof(out[n]));
		out[n].search = 2;
		out[n].left_s = UINT32_MAX;
		memcpy(out[n].addr, m.v6, 16);
	}
	lr->total = lr->count = n;
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*lr) + n * sizeof(*out));
}

static uint32_t admin_secs(uint64_t ns)
{
	return ns == UINT64_MAX ? UINT32_MAX : (uint32_t)(ns / NSEC_PER_SEC);
}

/* ustackctl addr: the DHCP client's state and lease */
static int admin_dhcp(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_dhcp_lease *out = (void *)a->body;
	struct stack_dhcp_info in;

	memset(out, 0, sizeof(*out));
	if (stack_dhcp_info(d->stack, daemon_now(), &in) == 0) {
		out->enabled = 1;
		out->bound = in.bound;
		out->prefix = in.prefix;
		out->ndns = in.ndns;
		snprintf(out->state, sizeof(out->state), "%s", in.state_name);
		put32(out->addr, in.addr);
		put32(out->server, in.server);
		put32(out->router, in.router);
		for (unsigned i = 0; i < in.ndns && i < 4; i++)
			put32(out->dns[i], in.dns[i]);
		out->lease_s = in.lease_s;
		out->obtained_s = admin_secs(in.obtained_ago);
		out->t1_s = admin_secs(in.t1_left);
		out->t2_s = admin_secs(in.t2_left);
		out->expiry_s = admin_secs(in.expiry_left);
		out->mtu = in.mtu;
		snprintf(out->domain, sizeof(out->domain), "%s", in.domain);
	}
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*out));
}

static int admin_route_change(struct admin *a, struct ctl_req *req)
{
	struct ustack_route r;
	struct ip_addr dst, gw;

	memcpy(&r, req->body, sizeof(r));
	if (r.ifindex || r.origin || r.pad ||
	    admin_ip_in(&r.dst, &dst, false) ||
	    admin_ip_in(&r.gateway, &gw, true))
		return -EINVAL;
	if (req->hdr->type == USTACK_MSG_ROUTE_DEL)
		return stack_route_del(a->d->stack, &dst, r.prefix);
	return stack_route_add(a->d->stack, &dst, r.prefix, &gw, r.metric);
}

static int admin_addr_change(struct admin *a, struct ctl_req *req)
{
	struct ustack_addr ad;
	struct ip_addr x;
	bool del;
	int rc;

	memcpy(&ad, req->body, sizeof(ad));
	if (ad.ifindex || ad.state || ad.origin || ad.preferred_s ||
	    ad.valid_s || admin_ip_in(&ad.addr, &x, false) ||
	    ad.prefix > (x.family == IP_V6 ? 128 : 32))
		return -EINVAL;
	del = req->hdr->type == USTACK_MSG_ADDR_DEL;
	if (x.family == IP_V6)
		rc = del ? stack_addr6_del(a->d->stack, x.v6, ad.prefix,
					   daemon_now()) :
			   stack_addr6_add(a->d->stack, x.v6, ad.prefix,
					   daemon_now());
	else if (del)
		rc = stack_addr_del(a->d->stack, x.v4, ad.prefix);
	else
		rc = stack_addr_add(a->d->stack, x.v4, ad.prefix, daemon_now());
	daemon_settle(a->d);
	return rc;
}

static int admin_config(struct admin *a, struct ctl_req *req)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return -ENOMEM;
	config_print(&a->d->cfg, f);
	fclose(f);
	if (len > USTACK_MSG_MAX - sizeof(struct ustack_msg_hdr))
		len = USTACK_MSG_MAX - sizeof(struct ustack_msg_hdr);
	rc = ctl_reply(a->d->ctl, req->client, req->hdr->type, req->hdr->seq,
		       0, text, len);
	free(text);
	return rc;
}

static int admin_capture(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_capture_reply cr;
	char err[256];

	if (req->hdr->type == USTACK_MSG_CAPTURE_STOP) {
		if (!d->cap)
			return -ENOENT;
		cr.frames = capture_count(d->cap);
		capture_close(d->cap);
		d->cap = NULL;
		log_info("capture stopped by uid %u: %" PRIu64 " frames",
			 (unsigned)req->uid, cr.frames);
		return ctl_reply(d->ctl, req->client, req->hdr->type,
				 req->hdr->seq, 0, &cr, sizeof(cr));
	}
	if (req->fd < 0)
		return -EBADF;
	if (d->cap)
		return -EBUSY;
	d->cap = capture_open_fd(req->fd, err, sizeof(err));
	if (!d->cap) {
		log_warn("capture: %s", err);
		return -EIO;
	}
	req->fd = -1;	/* the capture owns it now */
	log_info("capture started by uid %u", (unsigned)req->uid);
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq,
			 0, NULL, 0);
}

/* Paging over every socket: skip @start, keep up to @max, count all. */
struct netstat_walk {
	struct ustack_netsock *out;
	unsigned start, max, total, count;
	uint64_t now;
};

static struct ustack_netsock *netstat_slot(struct netstat_walk *w)
{
	struct ustack_netsock *n = NULL;

	if (w->total >= w->start && w->count < w->max) {
		n = &w->out[w->count++];
		memset(n, 0, sizeof(*n));
	}
	w->total++;
	return n;
}

static void netstat_owner(struct ustack_netsock *n, const struct sock_owner *o,
			  bool held)
{
	if (!held) {
		n->orphan = 1;
		n->pid = -1;
		snprintf(n->comm, sizeof(n->comm), "-");
		return;
	}
	n->pid = o->pid;
	n->uid = o->uid;
	memcpy(n->comm, o->comm, sizeof(n->comm));
}

static void netstat_tcp(void *arg, const struct tcp_sock *sk)
{
	struct netstat_walk *w = arg;
	struct ustack_netsock *n = netstat_slot(w);
	struct tcp_info_rec i;
	struct sock_owner o;

	if (!n)
		return;
	tcp_get_info(sk, &i, w->now);
	n->id = i.id;
	n->proto = 6;
	n->state = (uint8_t)i.state;	/* enum tcp_state == USTACK_SS_* */
	n->timer = (uint8_t)i.timer;	/* enum tcp_timer_kind == USTACK_TIMER_* */
	n->family = i.family == IP_V6 ? 6 : 4;
	admin_ip_out(&n->laddr, &i.laddr);
	admin_ip_out(&n->raddr, &i.raddr);
	n->lport = i.lport;
	n->rport = i.rport;
	if (i.state == TCP_LISTEN) {
		n->recv_q = i.accept_qlen;
		n->send_q = i.backlog;
		n->syn_q = i.syn_qlen;
	} else {
		n->recv_q = i.rcv_queued;
		n->send_q = i.snd_queued;
	}
	n->timer_ms = i.timer ? (i.timer_left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC : 0;
	n->state_ms = i.time_in_state / NSEC_PER_MSEC;
	netstat_owner(n, &o, sock_owner_of(tcp_user(sk), &o));
	n->cwnd = i.cwnd;
	n->ssthresh = i.ssthresh;
	n->snd_wnd = i.snd_wnd;
	n->rcv_wnd = i.rcv_wnd;
	n->snd_mss = i.snd_mss;
	n->rcv_mss = i.rcv_mss;
	n->srtt_us = (uint32_t)(i.srtt / 1000);
	n->rttvar_us = (uint32_t)(i.rttvar / 1000);
	n->rto_ms = (uint32_t)(i.rto / NSEC_PER_MSEC);
	n->retransmits = i.retransmits;
	n->total_retrans = i.total_retrans;
	n->user_timeout_ms = i.user_timeout_ms;
	{
		struct tcp_linux_info li;

		tcp_info_to_linux(&i, &li);
		n->tcp_options = li.options;
		n->ca_state = li.ca_state;
	}
}

static void netstat_udp(void *arg, const struct sock_udp_view *v)
{
	struct netstat_walk *w = arg;
	struct ustack_netsock *n = netstat_slot(w);

	if (!n)
		return;
	/* UDP ids live above TCP's, so the two never meet */
	n->id = (uint64_t)1 << 32 | v->owner.id;
	n->proto = 17;
	n->state = v->connected ? USTACK_SS_CONNECTED : USTACK_SS_UNCONN;
	n->family = v->domain == AF_INET6 ? 6 : 4;
	admin_ip_out(&n->laddr, &v->laddr);
	n->lport = v->lport;
	admin_ip_out(&n->raddr, &v->raddr);
	n->rport = v->rport;
	n->recv_q = (uint32_t)v->recv_q;
	netstat_owner(n, &v->owner, true);
}

static int admin_netstat(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_list_req lq;
	struct ustack_list_reply *lr = (void *)a->body;
	struct netstat_walk w = {
		.out = (void *)(a->body + sizeof(*lr)),
		.max = (unsigned)body_room(sizeof(*lr), sizeof(struct ustack_netsock)),
		.now = daemon_now(),
	};

	memcpy(&lq, req->body, sizeof(lq));
	w.start = lq.start;
	tcp_foreach(d->stack, netstat_tcp, &w);
	if (d->socks)
		socktab_foreach_udp(d->socks, netstat_udp, &w);
	lr->total = w.total;
	lr->count = w.count;
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*lr) + w.count * sizeof(*w.out));
}

#define IGMP_TABLE_ROOM 160     /* 224.0.0.1, IGMP's 64 groups, MLD's 64 */

/* ustackctl maddr: the link's groups, then the sockets' memberships,
 * from entry @start on */
struct maddr_walk {
	struct ustack_maddr *out;
	unsigned start, max, total, count;
};

static struct ustack_maddr *maddr_slot(struct maddr_walk *w)
{
	struct ustack_maddr *m = NULL;

	if (w->total >= w->start && w->count < w->max) {
		m = &w->out[w->count++];
		memset(m, 0, sizeof(*m));
	}
	w->total++;
	return m;
}

static void maddr_sock(void *arg, const struct sock_group_view *v)
{
	struct ustack_maddr *m = maddr_slot(arg);

	if (!m)
		return;
	admin_ip_out(&m->group, &v->group);
	m->ifindex = (uint8_t)v->ifindex;
	m->include = v->include;
	m->nsrc = (uint8_t)v->nsrc;
	for (unsigned i = 0; i < v->nsrc && i < USTACK_MADDR_SOURCES; i++)
		put32(m->src[i], v->src[i].v4);
	m->pid = v->owner.pid ? v->owner.pid : -1;
	m->uid = v->owner.uid;
	memcpy(m->comm, v->owner.comm, sizeof(m->comm));
}

static int admin_maddr(struct admin *a, struct ctl_req *req)
{
	static struct stack_maddr g[IGMP_TABLE_ROOM];
	struct daemon *d = a->d;
	struct ustack_list_req lq;
	struct ustack_list_reply *lr = (void *)a->body;
	struct maddr_walk w = {
		.out = (void *)(a->body + sizeof(*lr)),
		.max = (unsigned)body_room(sizeof(*lr), sizeof(struct ustack_maddr)),
	};
	unsigned n = stack_maddr_list(d->stack, g, IGMP_TABLE_ROOM);

	memcpy(&lq, req->body, sizeof(lq));
	w.start = lq.start;
	for (unsigned i = 0; i < n && i < IGMP_TABLE_ROOM; i++) {
		struct ustack_maddr *m = maddr_slot(&w);

		if (!m)
			continue;
		admin_ip_out(&m->group, &g[i].group);
		m->ifindex = USTACK_IF_LINK;
		m->include = g[i].include;
		m->nsrc = (uint8_t)g[i].nsrc;
		for (unsigned k = 0; k < g[i].nsrc && k < USTACK_MADDR_SOURCES; k++)
			put32(m->src[k], g[i].src[k]);
		m->version = (uint8_t)stack_mc_version(d->stack, g[i].group.family);
		m->users = g[i].users;
	}
	if (d->socks)
		socktab_foreach_group(d->socks, maddr_sock, &w);
	lr->total = w.total;
	lr->count = w.count;
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 a->body, sizeof(*lr) + w.count * sizeof(*w.out));
}

static int admin_kill(struct admin *a, struct ctl_req *req)
{
	struct daemon *d = a->d;
	struct ustack_kill_req kr;
	struct ustack_kill_reply rep = { 0 };
	struct ip_addr la, ra;
	struct tcp_sock *sk;
	int rc;

	memcpy(&kr, req->body, sizeof(kr));
	if (kr.pad || (!kr.id && (!kr.lport || !kr.rport)))
		return -EINVAL;
	if (kr.id >> 32)
		return -EOPNOTSUPP;	/* a UDP socket: nothing to abort */
	if (!kr.id && (admin_ip_in(&kr.laddr, &la, false) ||
		       admin_ip_in(&kr.raddr, &ra, false)))
		return -EINVAL;
	if (kr.id)
		la = ra = ip_any(IP_V4);
	/* a dual-stack socket's IPv4 connection: the engine's are IPv4 */
	if (ip_addr_is_v4mapped(&la) && ip_addr_is_v4mapped(&ra)) {
		la = ip_unmap(&la);
		ra = ip_unmap(&ra);
	}
	sk = tcp_find(d->stack, kr.id, &la, kr.lport, &ra, kr.rport);
	if (!sk)
		return -ENOENT;
	rc = tcp_terminate(sk, daemon_now());
	if (rc)
		return rc;
	rep.killed = 1;
	log_info("kill: connection %" PRIu64 " aborted by uid %u", kr.id ? kr.id :
		 (uint64_t)0, (unsigned)req->uid);
	daemon_settle(d);
	return ctl_reply(d->ctl, req->client, req->hdr->type, req->hdr->seq, 0,
			 &rep, sizeof(rep));
}

static void ping_finish(struct admin_ping *p, int status, uint8_t ttl)
{
	struct admin *a = p->a;
	struct ustack_ping_reply r = {
		.rtt_ns = daemon_now() - p->sent, .size = p->size,
		.seq = p->seq, .ttl = ttl,
	};

	ctl_reply(a->d->ctl, p->client, USTACK_MSG_PING, p->msg_seq, status,
		  status ? NULL : &r, status ? 0 : sizeof(r));
	event_del(p->timeout);
	p->used = false;
}

static void ping_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ping_finish(arg, -ETIMEDOUT, 0);
}

/* The engine's ops->echo_reply: an answer to one of our pings? */
void admin_echo_reply(void *ctx, uint32_t src, uint16_t id, uint16_t seq,
		      size_t len, uint8_t ttl)
{
	struct daemon *d = ctx;
	struct admin *a = d->admin;

	(void)src;
	if (!a || id != a->ping_id)
		return;
	for (unsigned i = 0; i < ADMIN_MAX_PINGS; i++) {
		struct admin_ping *p = &a->pings[i];

		if (p->used && p->seq == seq && p->size == len) {
			ping_finish(p, 0, ttl);
			return;
		}
	}
}

static int admin_ping(struct admin *a, struct ctl_req *req)
{
	struct ustack_ping_req pr;
	struct admin_ping *p = NULL;
	struct timeval tv;
	int rc;

	memcpy(&pr, req->body, sizeof(pr));
	if (pr.pad || pr.timeout_ms == 0 || pr.timeout_ms > 60000 ||
	    pr.size > 65507)
		return -EINVAL;
	for (unsigned i = 0; i < ADMIN_MAX_PINGS && !p; i++)
		if (!a->pings[i].used)
			p = &a->pings[i];
	if (!p)
		return -EAGAIN;
	/* waiting before it goes: a ping of one of our own addresses (the
	 * loopback's) is answered within daemon_settle() */
	p->sent = daemon_now();
	p->used = true;
	p->client = req->client;
	p->msg_seq = req->hdr->seq;
	p->seq = pr.seq;
	p->size = pr.size;
	tv.tv_sec = pr.timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(pr.timeout_ms % 1000) * 1000;
	event_add(p->timeout, &tv);
	rc = stack_ping(a->d->stack, pr.dst, a->ping_id, pr.seq, pr.size,
			p->sent);
	if (rc) {
		event_del(p->timeout);
		p->used = false;
	}
	daemon_settle(a->d);
	return rc ? rc : CTL_PENDING;
}

static int admin_handle(void *arg, struct ctl_req *req)
{
	struct admin *a = arg;

	switch (req->hdr->type) {
	case USTACK_MSG_ROUTE_ADD:
	case USTACK_MSG_ROUTE_DEL:
	case USTACK_MSG_ADDR_ADD:
	case USTACK_MSG_ADDR_DEL:
	case USTACK_MSG_CAPTURE_START:
	case USTACK_MSG_CAPTURE_STOP:
	case USTACK_MSG_KILL:
		if (!req->admin)
			return -EPERM;
		break;
	}
	switch (req->hdr->type) {
	case USTACK_MSG_STATS:
		return admin_stats(a, req);
	case USTACK_MSG_NEIGH_LIST:
		return admin_neigh(a, req);
	case USTACK_MSG_ROUTE_LIST:
		return admin_routes(a, req);
	case USTACK_MSG_ADDR_LIST:
		return admin_addrs(a, req);
	case USTACK_MSG_DNS_LIST:
		return admin_dns(a, req);
	case USTACK_MSG_MADDR_LIST:
		return admin_maddr(a, req);
	case USTACK_MSG_DHCP_LEASE:
		return admin_dhcp(a, req);
	case USTACK_MSG_ROUTE_ADD:
	case USTACK_MSG_ROUTE_DEL: {
		int rc = admin_route_change(a, req);

		return rc ? rc : ctl_reply(a->d->ctl, req->client, req->hdr->type,
					   req->hdr->seq, 0, NULL, 0);
	}
	case USTACK_MSG_ADDR_ADD:
	case USTACK_MSG_ADDR_DEL: {
		int rc = admin_addr_change(a, req);

		return rc ? rc : ctl_reply(a->d->ctl, req->client, req->hdr->type,
					   req->hdr->seq, 0, NULL, 0);
	}
	case USTACK_MSG_CONFIG:
		return admin_config(a, req);
	case USTACK_MSG_CAPTURE_START:
	case USTACK_MSG_CAPTURE_STOP:
		return admin_capture(a, req);
	case USTACK_MSG_PING:
		return admin_ping(a, req);
	case USTACK_MSG_NETSTAT:
		return admin_netstat(a, req);
	case USTACK_MSG_KILL:
		return admin_kill(a, req);
	}
	return -EOPNOTSUPP;
}

/**
 * admin_new() - serve ustackctl's requests on the daemon's control socket
 * @d: the daemon, with its control socket open
 *
 * Return: the admin state, or NULL
 */
struct admin *admin_new(struct daemon *d)
{
	struct admin *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->d = d;
	if (getrandom(&a->ping_id, sizeof(a->ping_id), 0) != sizeof(a->ping_id))
		a->ping_id = (uint16_t)getpid();
	for (unsigned i = 0; i < ADMIN_MAX_PINGS; i++) {
		a->pings[i].a = a;
		a->pings[i].timeout = evtimer_new(d->base, ping_timeout, &a->pings[i]);
		if (!a->pings[i].timeout) {
			admin_free(a);
			return NULL;
		}
	}
	if (ctl_set_handler(d->ctl, USTACK_MSG_ADMIN_BASE,
			    USTACK_MSG_ADMIN_MAX - 1, admin_handle, a)) {
		admin_free(a);
		return NULL;
	}
	return a;
}

void admin_free(struct admin *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < ADMIN_MAX_PINGS; i++)
		if (a->pings[i].timeout)
			event_free(a->pings[i].timeout);
	free(a);
}

/* The wire enums mirror the engine's: keep them in step. */
_Static_assert((int)USTACK_SS_TIME_WAIT == (int)TCP_TIME_WAIT &&
	       (int)USTACK_SS_LISTEN == (int)TCP_LISTEN &&
	       (int)USTACK_SS_CLOSE_WAIT == (int)TCP_CLOSE_WAIT,
	       "ustack_netsock_state must follow enum tcp_state");
_Static_assert((int)USTACK_TIMER_LOSS_PROBE == (int)TCP_TIMER_LOSS_PROBE &&
	       (int)USTACK_TIMER_TIME_WAIT == (int)TCP_TIMER_TIME_WAIT,
	       "ustack_netsock_timer must follow enum tcp_timer_kind");
