/* SPDX-License-Identifier: MIT */
/*
 * main.c - ustackd: the host around the protocol engine
 *
 * Theory of operation: one libevent loop watches the link fd, the control
 * socket and its clients, signals, and one timer set to the earliest of the
 * engine's deadline and the impairment queue's. Callbacks only drain,
 * hand off and re-arm:
 *
 *   link readable  read up to LINK_BATCH frames, feed each to the engine
 *                  (through --impair if set) at the time it was read,
 *                  then run the engine's due timers once and re-arm the
 *                  timer for its next deadline;
 *   timer          the same, without frames;
 *   engine output  capture, then impair or write to the link at once;
 *   end of a turn  UDP datagrams the engine held to merge for the link to
 *                  cut (USO, eth.c) go (stack_flush(), daemon_loop()).
 *
 * An idle engine has no deadline, so an idle daemon sits in epoll_wait
 * with no timeout and makes no system call at all.
 *
 * Start-up order matters to whoever waits for us: the link is opened and
 * the engine announced before the control socket appears, so the socket's
 * existence means "ready". Without --foreground the daemon forks, and the
 * parent exits 0 only once the child is ready (1 if it failed, with the
 * reason on stderr).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"
#include "daemon.h"
#include "link/capture.h"
#include "link/impair.h"
#include "link/link.h"
#include "log.h"
#include "notify.h"
#include "privs.h"
#include "rpc/ctl.h"
#include "rpc/sock.h"
#include "stack.h"
#include "version.h"


uint64_t daemon_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void host_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	(void)ctx;
	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("getrandom: %s", strerror(errno));
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
}

static void host_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	log_msg(level, "%s", msg);
}

/* One frame as the wire carries it: through the impairment, or out. */
static int host_send_wire(void *arg, const uint8_t *frame, size_t len)
{
	struct daemon *d = arg;

	if (d->imp) {
		impair_push(d->imp, IMPAIR_TX, frame, len, d->now);
		return 0;
	}
	return d->link.ops->send(&d->link, frame, len, NULL);
}

static int host_capture_wire(void *arg, const uint8_t *frame, size_t len)
{
	struct daemon *d = arg;

	capture_frame(d->cap, frame, len);
	return 0;
}

/*
 * The engine's output. A frame of TCP segments or UDP datagrams (@gso)
 * goes to the link whole, which cuts it, unless the link is impaired
 * (loss and corruption act on the wire's frames) or cannot: then we cut
 * it here. A capture file gets the segments the wire carries, with whole
 * checksums, as tcpdump on the peer's side would see them.
 */
static int host_link_output(void *ctx, unsigned ifindex, const uint8_t *frame,
			    size_t len, const struct gso_tx *gso)
{
	struct daemon *d = ctx;
	int rc;

	(void)ifindex;
	if (d->cap && gso)
		gso_segment(frame, len, gso, d->segbuf, sizeof(d->segbuf),
			    host_capture_wire, d);
	else if (d->cap)
		capture_frame(d->cap, frame, len);
	if (!gso)
		return host_send_wire(d, frame, len);
	if (!d->imp && d->link.vnet_hdr_len) {
		rc = d->link.ops->send(&d->link, frame, len, gso);
		if (rc != -EINVAL)
			return rc;
		if (gso->udp) {
			/* the engine stops merging at the turn's end
			 * (daemon_loop(): this frame is its batch's) */
			if (!d->uso_warned)
				log_warn("%s %s: the kernel refused a frame of "
					 "UDP datagrams (%zu bytes); sending "
					 "them one by one", d->link.kind,
					 d->link.name, len);
			d->uso_warned = true;
		} else {
			/* a kernel that takes no segmentation from us: from
			 * now on the engine makes MTU-sized segments itself */
			if (!d->gso_warned)
				log_warn("%s %s: the kernel refused a frame of "
					 "TCP segments (%zu bytes); segmenting "
					 "ourselves", d->link.kind,
					 d->link.name, len);
			d->gso_warned = true;
			stack_set_link_gso(d->stack, 0);
		}
	}
	return gso_segment(frame, len, gso, d->segbuf, sizeof(d->segbuf),
			   host_send_wire, d);
}

static void host_dgram_event(void *ctx, struct dgram *dg, unsigned events)
{
	struct daemon *d = ctx;

	if (d->socks)
		sock_dgram_event(d->socks, dg, events);
}

static void host_tcp_event(void *ctx, struct tcp_sock *ts, unsigned events)
{
	struct daemon *d = ctx;

	if (d->socks)
		sock_tcp_event(d->socks, ts, events);
}

static uint32_t host_tcp_unread(void *ctx, struct tcp_sock *ts)
{
	struct daemon *d = ctx;

	return d->socks ? sock_tcp_unread(d->socks, ts) : 0;
}

/*
 * The DHCP lease across restarts (RFC 2131 3.2 INIT-REBOOT): a small text
 * file, written whole (a temporary file renamed) each time the lease is
 * put in force or renewed, removed when it is lost or released. The
 * expiry is wall-clock time, since the engine's clock starts again with
 * the process.
 */
static void lease_save(struct daemon *d, const struct stack_dhcp_info *in)
{
	const char *path = d->cfg.dhcp_lease_file;
	char tmp[PATH_MAX + 8], a[16], sv[16];
	struct timespec ts;
	FILE *f;

	if (!in->bound) {
		if (unlink(path) && errno != ENOENT)
			log_warn("dhcp: %s: %s", path, strerror(errno));
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		log_warn("dhcp: cannot keep the lease in %s: %s", tmp,
			 strerror(errno));
		return;
	}
	fprintf(f, "# ustackd DHCP lease, for INIT-REBOOT at the next start\n"
		"addr = %s/%u\nserver = %s\nexpires = %lld\n",
		ipv4_ntop(in->addr, a), in->prefix, ipv4_ntop(in->server, sv),
		in->expiry_left == UINT64_MAX ? -1LL :
		(long long)(ts.tv_sec + (time_t)(in->expiry_left / NSEC_PER_SEC)));
	if (fclose(f) || rename(tmp, path)) {
		log_warn("dhcp: cannot keep the lease in %s: %s", path,
			 strerror(errno));
		unlink(tmp);
	}
}

/* The last lease, if it has not expired: the engine asks for it first */
static void lease_load(struct daemon *d)
{
	const char *path = d->cfg.dhcp_lease_file;
	char line[256], a[64] = "";
	long long expires = 0;
	struct timespec ts;
	uint32_t addr;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "addr = %63[0-9.]", a) == 1)
			continue;
		sscanf(line, "expires = %lld", &expires);
	}
	fclose(f);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ipv4_pton(a, &addr) || (expires != -1 && expires <= ts.tv_sec)) {
		log_info("dhcp: %s: no lease still valid", path);
		return;
	}
	log_info("dhcp: asking for the last lease, %s (INIT-REBOOT)", a);
	stack_dhcp_reboot(d->stack, addr);
}

static void host_dhcp_event(void *ctx, const struct stack_dhcp_info *in)
{
	struct daemon *d = ctx;
	char a[16];

	lease_save(d, in);
	if (in->bound) {
		notify_send("STATUS=DHCP %s: %s/%u", in->state_name,
			    ipv4_ntop(in->addr, a), in->prefix);
		if (d->waiting_lease)
			event_base_loopbreak(d->base);
	} else {
		notify_send("STATUS=DHCP: no lease (%s)", in->state_name);
	}
}

static const struct stack_ops host_ops = {
	.dhcp_event = host_dhcp_event,
	.dgram_event = host_dgram_event,
	.sock_event = host_tcp_event,
	.sock_unread = host_tcp_unread,
	.link_output = host_link_output,
	.random = host_random,
	.log = host_log,
	.echo_reply = admin_echo_reply,
};

/*
 * A frame in, to the capture and the engine. The kernel's UDP datagrams
 * merged (USO) are captured as the wire would carry them, one by one;
 * its merged TCP segments as they came (as a GRO interface's capture).
 */
static void deliver(struct daemon *d, const uint8_t *frame, size_t len,
		    const struct link_rx *rx)
{
	struct stack_rx_meta m = { rx && rx->csum_ok, rx ? rx->gso_size : 0,
				   rx && rx->gso_size && rx->gso_udp };
	struct gso_tx g;

	if (d->cap && m.gso_udp &&
	    !gso_describe_udp(frame, len, m.gso_size, &g))
		gso_segment(frame, len, &g, d->segbuf, sizeof(d->segbuf),
			    host_capture_wire, d);
	else if (d->cap)
		capture_frame(d->cap, frame, len);
	stack_input_meta(d->stack, 1, frame, len, &m, d->now);
}

/* Move what the impairment queue has due: in to the engine, out to the link. */
static void impair_drain(struct daemon *d)
{
	struct impair_frame *f;

	while ((f = impair_pop(d->imp, d->now))) {
		if (f->dir == IMPAIR_RX)
			deliver(d, f->data, f->len, NULL);
		else
			d->link.ops->send(&d->link, f->data, f->len, NULL);
		free(f);
	}
}

/* Let every frame still held by the impairment out, due or not. */
static void impair_drain_all(struct daemon *d)
{
	struct impair_frame *f;

	while ((f = impair_pop(d->imp, UINT64_MAX - 1))) {
		if (f->dir == IMPAIR_RX)
			deliver(d, f->data, f->len, NULL);
		else
			d->link.ops->send(&d->link, f->data, f->len, NULL);
		free(f);
	}
}

/*
 * Freed memory back to the system. glibc keeps in its heap what the
 * engine and the socket table free (the buffers of connections that went
 * idle or closed, the sockets themselves), so without this the daemon's
 * RSS stays at its peak for good: after 15,000 connections that each
 * exchanged a byte, about 100 bytes per connection more than they hold.
 * A second after the daemon did something (one timer, armed by its
 * work: an idle daemon still sleeps), if the heap holds HEAP_TRIM_BYTES
 * more free memory than after the last trim, its free pages go back
 * (malloc_trim()). A quarter megabyte: what is never given back is then
 * under 20 bytes per connection at 15,000 (a trim walks the heap's free
 * chunks once, a second after work at most).
 *
 * That trim is the only one: glibc's own (the top of the heap given back
 * as soon as 128 KiB of it are free) is set beyond reach. Under a
 * request/response load, buffers that come and go with each exchange made
 * it shrink and grow the heap some 400 times a second (brk, measured under
 * redis-benchmark), for nothing. The mmap threshold is fixed with it
 * (glibc's moves only while its trim is its own), at glibc's own ceiling
 * (32 MiB on 64 bits), where its dynamic threshold goes after the first
 * large block is freed: the rings of bulk connections come and go with
 * their data, and mapped from 1 MiB up they cost an mmap, a munmap and a
 * page fault per page each time (iperf3 fell from 17 to 1.5 Gbit/s).
 */
#define HEAP_TRIM_BYTES (256u << 10)

static void heap_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

static void heap_check(struct daemon *d)
{
	struct timeval tv = { 1, 0 };

	if (d->trim_ev && !evtimer_pending(d->trim_ev, NULL))
		evtimer_add(d->trim_ev, &tv);
}

static void on_trim(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct mallinfo2 mi = mallinfo2();

	(void)fd;
	(void)what;
	if (mi.fordblks < d->heap_free + HEAP_TRIM_BYTES) {
		if (mi.fordblks < d->heap_free)
			d->heap_free = mi.fordblks;   /* reused since */
		return;
	}
	malloc_trim(0);
	d->heap_trims++;
	d->heap_free = mallinfo2().fordblks;
}

/* Run the engine's due timers, then arm ours for what comes next. */
void daemon_settle(struct daemon *d)
{
	uint64_t next;

	if (d->imp)
		impair_drain(d);
	next = stack_timeout(d->stack, d->now);
	if (d->imp) {
		impair_drain(d);
		if (impair_next(d->imp) < next)
			next = impair_next(d->imp);
	}
	if (d->cap)
		capture_flush(d->cap);
	if (next == STACK_NO_DEADLINE) {
		if (d->armed != STACK_NO_DEADLINE)
			evtimer_del(d->timer_ev);
	} else if (next != d->armed || !evtimer_pending(d->timer_ev, NULL)) {
		uint64_t delta = next > d->now ? next - d->now : 0;
		struct timeval tv = {
			.tv_sec = (time_t)(delta / NSEC_PER_SEC),
			.tv_usec = (suseconds_t)((delta % NSEC_PER_SEC + 999) / 1000),
		};

		if (tv.tv_usec >= 1000000) {
			tv.tv_sec++;
			tv.tv_usec -= 1000000;
		}
		evtimer_add(d->timer_ev, &tv);
	}
	d->armed = next;
	heap_check(d);
}

static void on_link(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	for (int i = 0; i < LINK_BATCH; i++) {
		struct link_rx rx;
		int n = d->link.ops->recv(&d->link, d->rxbuf, sizeof(d->rxbuf),
					  &rx);

		/* each frame at its own time, as Linux stamps each skb: over
		 * a fast link the answer to what the engine sent for one
		 * frame of the batch is read later in the same batch, and a
		 * clock read once per batch timed that round trip as 0 (a
		 * SYN-ACK's, the data's: tcpi_rtt 1 us where the kernel
		 * peer saw 50 us) */
		d->now = daemon_now();
		if (n <= 0) {
			if (n < 0)
				log_warn("%s %s: receive failed: %s", d->link.kind,
					 d->link.name, strerror(-n));
			break;
		}
		if (d->imp) {
			/* impaired as the wire carries it: whole checksums
			 * (offloads were turned off; this one came before) */
			link_csum_complete(d->rxbuf, (size_t)n, &rx);
			impair_push(d->imp, IMPAIR_RX, d->rxbuf, (size_t)n, d->now);
		} else {
			deliver(d, d->rxbuf, (size_t)n, &rx);
		}
	}
	daemon_settle(d);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	d->now = daemon_now();
	d->armed = STACK_NO_DEADLINE;
	daemon_settle(d);
}

static void reload_changed(const char *name, bool live, void *arg)
{
	(void)arg;
	if (live)
		log_info("reload: %s changed", name);
	else
		log_warn("reload: %s changed; it takes effect at the next start",
			 name);
}

/*
 * Offloads on the link: as configured, but off while the link is
 * impaired (loss, duplication and corruption apply to frames as the wire
 * carries them, one MTU each, with whole checksums).
 */
static void link_offload_apply(struct daemon *d, bool at_start)
{
	bool want = d->cfg.offload && !d->imp;
	int rc;

	if (!d->link.vnet_hdr_len)
		return;
	if (want != d->link.offload) {
		rc = link_set_offload(&d->link, want);
		if (rc) {
			log_warn("%s %s: offloads %s: %s", d->link.kind,
				 d->link.name, want ? "on" : "off",
				 strerror(-rc));
			return;
		}
	} else if (!at_start) {
		return;         /* a reload that changes nothing here */
	}
	log_info("%s %s: checksum and segmentation offload %s%s",
		 d->link.kind, d->link.name, d->link.offload ? "on" : "off",
		 !d->link.offload ? "" : d->link.uso ?
		 ", UDP segmentation offload on" :
		 " (no UDP segmentation offload: the kernel refused it)");
}

/*
 * Transmit segmentation: the engine sends frames of up to 64 KiB of TCP
 * segments, and merges UDP datagrams of a flow, while offloads are on (so
 * not while impaired) on a link that takes them (USO: a kernel that took
 * TUN_F_USO4|USO6), and not after the kernel refused one
 * (host_link_output()).
 */
static void link_gso_apply(struct daemon *d)
{
	bool on = d->link.vnet_hdr_len && d->link.offload && !d->imp;

	stack_set_link_gso(d->stack, on && !d->gso_warned ? STACK_GSO_MAX : 0);
	if (stack_set_link_uso(d->stack, on && d->link.uso && !d->uso_warned))
		log_warn("%s %s: no memory to merge UDP datagrams",
			 d->link.kind, d->link.name);
}

/*
 * The event loop, one turn at a time: after each turn's callbacks the
 * engine sends the UDP datagrams it held to merge with those of their
 * flow (a program's burst read from its channel in one callback), so that
 * none waits longer than the turn it was sent in.
 */
static void daemon_loop(struct daemon *d)
{
	for (;;) {
		int rc = event_base_loop(d->base, EVLOOP_ONCE);

		stack_flush(d->stack);
		if (d->uso_warned && d->link.uso) {
			d->link.uso = false;
			link_gso_apply(d);
		}
		if (d->cap)
			capture_flush(d->cap);
		if (rc || event_base_got_break(d->base) ||
		    event_base_got_exit(d->base))
			break;
	}
}

/* Apply a live setting that the daemon itself owns: capture, impair. */
static void reload_link_side(struct daemon *d, const struct daemon_config *nc)
{
	char err[512];

	if (strcmp(nc->capture, d->cfg.capture)) {
		capture_close(d->cap);
		d->cap = NULL;
		if (*nc->capture && !(d->cap = capture_open(nc->capture, err,
							      sizeof(err))))
			log_err("reload: %s; capture stopped", err);
	}
	if (memcmp(&nc->impair, &d->cfg.impair, sizeof(nc->impair))) {
		if (d->imp) {
			/* what is in flight leaves now, then the new rules apply */
			impair_drain_all(d);
			impair_fini(d->imp);
		}
		if (nc->impair.enabled) {
			if (!d->imp)
				d->imp = malloc(sizeof(*d->imp));
			if (d->imp)
				impair_init(d->imp, &nc->impair);
		} else {
			free(d->imp);
			d->imp = NULL;
		}
		link_offload_apply(d, false);
		link_gso_apply(d);
	}
}

/*
 * SIGHUP: read the configuration file and command line again, apply what
 * can change live (each setting's `live` flag in config.c) and name the rest.
 */
/*
 * The DNS stub answers for the nameservers programs are given: those of
 * the resolv.conf this daemon sees, which is the one programs read unless
 * they run in another mount namespace (ip netns exec mounts
 * /etc/netns/NS/resolv.conf over it for both). Read at start and on
 * SIGHUP; a file that is missing or names none steers nothing.
 */
#define RESOLV_CONF "/etc/resolv.conf"
static void dns_steer_load(struct daemon *d)
{
	struct ip_addr ns[STACK_DNS_STEER_MAX];
	char line[512], list[STACK_DNS_STEER_MAX * 48] = "", buf[64];
	unsigned n = 0;
	FILE *f = fopen(RESOLV_CONF, "re");

	while (f && fgets(line, sizeof(line), f) && n < STACK_DNS_STEER_MAX) {
		char addr[64];

		if (sscanf(line, " nameserver %63s", addr) != 1)
			continue;
		addr[strcspn(addr, "%")] = '\0';      /* fe80::1%eth0 */
		if (ip_pton(addr, &ns[n]) == 0)
			n++;
	}
	if (f)
		fclose(f);
	stack_dns_steer(d->stack, ns, n);
	for (unsigned i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", ip_ntop(&ns[i], buf));
	if (!d->cfg.stack.dns_stub)
		log_info("dns: the stub is off (dns-stub = no)");
	else if (n)
		log_info("dns: the stub answers programs' queries to %s (" RESOLV_CONF ")",
			 list);
	else
		log_info("dns: " RESOLV_CONF " names no nameserver; the stub steers nothing");
}

static void reload(struct daemon *d)
{
	struct daemon_config nc;
	char err[512];

	notify_send("RELOADING=1\nSTATUS=reloading the configuration");
	if (config_parse_args(&nc, d->argc, d->argv) != CONFIG_RUN ||
	    config_finish(&nc, err, sizeof(err)) ||
	    stack_reconfigure(d->stack, &nc.stack)) {
		log_err("reload: the configuration is invalid; keeping the running one");
		notify_send("READY=1\nSTATUS=reload failed; running as before");
		return;
	}
	config_diff(&d->cfg, &nc, reload_changed, d);
	log_init(d->cfg.foreground, nc.log_level);
	reload_link_side(d, &nc);
	/* settings that need a restart keep their running values */
	config_apply_live(&d->cfg, &nc);
	dns_steer_load(d);
	log_info("reload: done");
	notify_send("READY=1\nSTATUS=serving; configuration reloaded");
	daemon_settle(d);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP && d->waiting_lease) {
		log_info("SIGHUP: ignored while waiting for a DHCP lease");
		return;
	}
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading the configuration");
		d->now = daemon_now();
		reload(d);
		return;
	}
	log_info("%s: shutting down", strsignal((int)sig));
	d->stopping = true;
	event_base_loopbreak(d->base);
}

static uint64_t host_now(void *ctx)
{
	struct daemon *d = ctx;

	d->now = daemon_now();
	return d->now;
}

static void host_settle(void *ctx)
{
	daemon_settle(ctx);
}

/* The engine's monotonic @mono on CLOCK_REALTIME: SO_TIMESTAMP's clock. */
static uint64_t host_realtime(void *ctx, uint64_t mono)
{
	struct timespec ts;
	uint64_t rt, now = daemon_now();

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	rt = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return now >= mono ? rt - (now - mono) : rt + (mono - now);
}

/* Every socket costs the daemon a descriptor: take all we may have. */
static unsigned raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur > 1u << 20)
		rl.rlim_cur = 1u << 20;
	return rl.rlim_cur > 256 ? (unsigned)rl.rlim_cur - 128 : 128;
}

/*
 * The socket table, serving the socket requests on the control socket.
 * sockets-per-uid 0 (the default) lets one user hold seven eighths of
 * what the daemon can hold (its descriptors, see raise_nofile()): a
 * server run by one user reaches as many connections as the machine
 * allows, and the last eighth stays for everybody else.
 */
static int sockets_start(struct daemon *d)
{
	struct sock_host sh = { d, host_now, host_settle, host_realtime };
	unsigned max = raise_nofile();
	struct sock_limits lim = {
		.max_socks_per_uid = d->cfg.sockets_per_uid ?
				     d->cfg.sockets_per_uid : max / 8 * 7,
		.max_mem_per_uid = d->cfg.socket_mem_per_uid,
		.max_socks = max,
	};

	log_info("sockets: at most %u (descriptors), %u per user", max,
		 lim.max_socks_per_uid);

	d->socks = socktab_new(d->base, d->stack, &sh, &lim);
	if (!d->socks || socktab_attach(d->socks, d->ctl)) {
		log_err("control socket: cannot serve sockets");
		return -1;
	}
	return 0;
}

/* --socket-group: a group name or number; (gid_t)-1 when not set */
static int socket_gid(const struct daemon *d, gid_t *gid)
{
	struct group *gr;
	char *end;
	unsigned long n;

	*gid = (gid_t)-1;
	if (!*d->cfg.socket_group)
		return 0;
	gr = getgrnam(d->cfg.socket_group);
	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	n = strtoul(d->cfg.socket_group, &end, 10);
	if (*end || end == d->cfg.socket_group) {
		log_err("socket-group %s: no such group", d->cfg.socket_group);
		return -1;
	}
	*gid = (gid_t)n;
	return 0;
}

static void log_counters(struct daemon *d)
{
	const struct stack_counters *c = stack_counters(d->stack);
	const char *group = NULL;
	char line[1024];
	size_t len = 0;

	for (unsigned i = 0; i <= stack_counter_count; i++) {
		const struct counter_desc *cd = &stack_counter_desc[i];
		uint64_t v;

		if (i == stack_counter_count || (group && strcmp(group, cd->group))) {
			if (len)
				log_info("counters %s:%s", group, line);
			len = 0;
			if (i == stack_counter_count)
				break;
		}
		group = cd->group;
		v = *(const uint64_t *)(const void *)((const char *)c + cd->offset);
		if (v && len < sizeof(line) - 64)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						" %s=%" PRIu64, cd->name, v);
	}
	if (d->imp) {
		for (int dir = 0; dir < 2; dir++) {
			const struct impair_stats *st = &d->imp->st[dir];

			log_info("impair %s: seen=%" PRIu64 " lost=%" PRIu64
				 " duplicated=%" PRIu64 " reordered=%" PRIu64
				 " corrupted=%" PRIu64 " queue_drop=%" PRIu64,
				 dir == IMPAIR_RX ? "rx" : "tx", st->seen,
				 st->lost, st->duplicated, st->reordered,
				 st->corrupted, st->queue_drop);
		}
	}
	log_info("link %s: rx=%" PRIu64 " tx=%" PRIu64 " rx_errors=%" PRIu64
		 " tx_errors=%" PRIu64 " tx_full=%" PRIu64 " rx_truncated=%" PRIu64,
		 d->link.name, d->link.rx_frames, d->link.tx_frames,
		 d->link.rx_errors, d->link.tx_errors, d->link.tx_full,
		 d->link.rx_truncated);
	if (d->cap)
		log_info("capture %s: %" PRIu64 " frames", d->cfg.capture,
			 capture_count(d->cap));
	if (d->socks) {
		const struct sock_stats *st = socktab_stats(d->socks);
		char sl[1024];
		size_t n = 0;

#define X(name, desc) \
		if (st->name && n < sizeof(sl) - 64) \
			n += (size_t)snprintf(sl + n, sizeof(sl) - n, " %s=%" PRIu64, \
					      #name, st->name);
		SOCK_COUNTERS(X)
#undef X
		sl[n] = '\0';
		log_info("sockets: open=%u%s", socktab_count(d->socks), sl);
	}
	if (d->ctl) {
		const struct ctl_stats *cs = ctl_get_stats(d->ctl);

		log_info("control: accepted=%" PRIu64 " requests=%" PRIu64
			 " bad_request=%" PRIu64 " bad_framing=%" PRIu64
			 " refused_full=%" PRIu64 " send_fail=%" PRIu64,
			 cs->accepted, cs->requests, cs->bad_request,
			 cs->bad_framing, cs->refused_full, cs->send_fail);
	}
}

/* Fork; the parent waits until the child says it is ready, then exits. */
static int daemonize(struct daemon *d)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC)) {
		fprintf(stderr, "ustackd: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ustackd: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) == 1 && c == 'R')
			_exit(0);
		waitpid(pid, NULL, 0);
		_exit(1);
	}
	close(fds[0]);
	setsid();
	d->ready_fd = fds[1];
	return 0;
}

static void announce_ready(struct daemon *d)
{
	int null;

	if (d->ready_fd < 0)
		return;
	/* startup errors went to stderr; from now on the log is syslog */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(d->ready_fd, "R", 1) != 1)
		log_warn("could not tell the parent we are ready");
	close(d->ready_fd);
	d->ready_fd = -1;
}

/* Our first IPv4 address: the configured one, or the lease's */
static void first_addr(struct daemon *d, uint32_t *addr, unsigned *prefix)
{
	struct stack_dhcp_info in;

	*addr = d->cfg.stack.addr[0].addr;
	*prefix = d->cfg.stack.addr[0].prefix;
	if (d->cfg.stack.naddr == 0 &&
	    stack_dhcp_info(d->stack, d->now, &in) == 0 && in.bound) {
		*addr = in.addr;
		*prefix = in.prefix;
	}
}

static void on_lease_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	log_warn("dhcp: no lease after %llu s: ready without one, still trying",
		 (unsigned long long)(d->cfg.dhcp_timeout / NSEC_PER_SEC));
	event_base_loopbreak(d->base);
}

/*
 * --dhcp: the control socket appears (and systemd hears READY) once a
 * lease is held, or after dhcp-timeout; until then the loop runs only the
 * link, the engine's timers and the signals.
 */
static void wait_for_lease(struct daemon *d)
{
	struct timeval tv = { (time_t)(d->cfg.dhcp_timeout / NSEC_PER_SEC),
			      (suseconds_t)(d->cfg.dhcp_timeout % NSEC_PER_SEC / 1000) };
	struct stack_dhcp_info in;
	struct event *ev;

	if (!d->cfg.stack.dhcp || !d->cfg.dhcp_timeout ||
	    (stack_dhcp_info(d->stack, d->now, &in) == 0 && in.bound))
		return;
	ev = evtimer_new(d->base, on_lease_timeout, d);
	if (!ev || evtimer_add(ev, &tv)) {
		log_warn("dhcp: cannot wait for a lease; ready at once");
		if (ev)
			event_free(ev);
		return;
	}
	log_info("dhcp: waiting up to %llu s for a lease",
		 (unsigned long long)(d->cfg.dhcp_timeout / NSEC_PER_SEC));
	d->waiting_lease = true;
	daemon_loop(d);
	d->waiting_lease = false;
	event_free(ev);
}

static int setup(struct daemon *d)
{
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	char err[512], mac[18], ip[16];
	gid_t sock_gid;
	uint32_t a0;
	unsigned p0;
	int rc;

	if (*d->cfg.pcap)
		rc = link_pcap_open(&d->link, d->cfg.pcap, d->cfg.stack.mtu,
				    err, sizeof(err));
	else
		rc = link_tap_open(&d->link, d->cfg.tap, d->cfg.stack.mtu,
				   d->cfg.offload, err, sizeof(err));
	if (rc) {
		log_err("%s", err);
		return -1;
	}
	if (*d->cfg.capture) {
		d->cap = capture_open(d->cfg.capture, err, sizeof(err));
		if (!d->cap) {
			log_err("%s", err);
			return -1;
		}
	}
	if (d->cfg.impair.enabled) {
		d->imp = malloc(sizeof(*d->imp));
		if (!d->imp) {
			log_err("out of memory");
			return -1;
		}
		impair_init(d->imp, &d->cfg.impair);
		impair_format(&d->cfg.impair, err, sizeof(err));
		log_info("impairing the link: %s", err);
	}
	link_offload_apply(d, true);
	d->now = daemon_now();
	rc = stack_new(&d->stack, &d->cfg.stack, &host_ops, d, d->now);
	if (rc) {
		log_err("starting the stack: %s", strerror(-rc));
		return -1;
	}
	link_gso_apply(d);
	d->base = event_base_new();
	if (!d->base) {
		log_err("libevent: event_base_new failed");
		return -1;
	}
	d->link_ev = event_new(d->base, d->link.fd, EV_READ | EV_PERSIST,
			       on_link, d);
	d->timer_ev = evtimer_new(d->base, on_timer, d);
	d->trim_ev = evtimer_new(d->base, on_trim, d);
	heap_setup();
	if (!d->link_ev || !d->timer_ev || event_add(d->link_ev, NULL)) {
		log_err("libevent: cannot watch the link");
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		d->sig_ev[i] = evsignal_new(d->base, sigs[i], on_signal, d);
		if (!d->sig_ev[i] || event_add(d->sig_ev[i], NULL)) {
			log_err("libevent: cannot watch signals");
			return -1;
		}
	}
	d->armed = STACK_NO_DEADLINE;
	if (d->cfg.stack.dhcp)
		lease_load(d);
	dns_steer_load(d);
	stack_start(d->stack, d->now);
	daemon_settle(d);
	wait_for_lease(d);
	if (d->stopping)
		return 0;
	d->ctl = ctl_open(d->base, d->cfg.socket_path, d->cfg.socket_mode,
			  err, sizeof(err));
	if (!d->ctl) {
		log_err("%s", err);
		return -1;
	}
	ctl_set_link(d->ctl, d->link.name);
	d->admin = admin_new(d);
	if (!d->admin) {
		log_err("control socket: cannot serve ustackctl");
		return -1;
	}
	if (sockets_start(d) || socket_gid(d, &sock_gid))
		return -1;
	if (sock_gid != (gid_t)-1 && !*d->cfg.user &&
	    ctl_chown(d->ctl, (uid_t)-1, sock_gid)) {
		log_err("socket-group: %s", strerror(errno));
		return -1;
	}
	if (*d->cfg.admin_group) {
		struct group *gr = getgrnam(d->cfg.admin_group);

		if (!gr) {
			log_err("admin-group %s: no such group", d->cfg.admin_group);
			return -1;
		}
		ctl_set_admin_gid(d->ctl, gr->gr_gid);
	}
	if (*d->cfg.user) {
		if (ctl_chown(d->ctl, d->user.uid, sock_gid != (gid_t)-1 ?
			      sock_gid : d->user.gid))
			log_warn("control socket: cannot hand it to %s: %s",
				 d->cfg.user, strerror(errno));
		if (privs_drop(&d->user, err, sizeof(err))) {
			log_err("%s", err);
			return -1;
		}
		log_info("running as user %s (uid %u), without capabilities",
			 d->cfg.user, (unsigned)d->user.uid);
	}
	first_addr(d, &a0, &p0);
	log_info("ready: %s %s%s, %s/%u%s, mac %s, mtu %u, control socket %s",
		 d->link.kind, d->link.name, d->link.created ? " (created)" : "",
		 ipv4_ntop(a0, ip), p0, d->cfg.stack.dhcp ? " (dhcp)" : "",
		 mac_ntop(d->cfg.stack.mac, mac), d->cfg.stack.mtu,
		 d->cfg.socket_path);
	return 0;
}

static void teardown(struct daemon *d)
{
	notify_send("STOPPING=1");
	/* RFC 2131 4.4.6: the lease goes back to the server before we do */
	if (d->stack && d->cfg.stack.dhcp) {
		d->now = daemon_now();
		if (stack_dhcp_release(d->stack, d->now) == 0)
			log_info("dhcp: lease released");
		stack_flush(d->stack);
		if (d->imp)
			impair_drain_all(d);
		if (d->cap)
			capture_flush(d->cap);
	}
	if (d->watchdog_ev)
		event_free(d->watchdog_ev);
	if (d->trim_ev)
		event_free(d->trim_ev);
	if (d->stack)
		log_counters(d);
	admin_free(d->admin);
	ctl_close(d->ctl);
	socktab_free(d->socks);
	for (int i = 0; i < 3; i++)
		if (d->sig_ev[i])
			event_free(d->sig_ev[i]);
	if (d->link_ev)
		event_free(d->link_ev);
	if (d->timer_ev)
		event_free(d->timer_ev);
	if (d->base)
		event_base_free(d->base);
	if (d->stack)
		stack_flush(d->stack);
	stack_free(d->stack);
	if (d->imp) {
		impair_fini(d->imp);
		free(d->imp);
	}
	capture_close(d->cap);
	link_close(&d->link);
	notify_close();
}

/* Tell a service manager we serve; keep its watchdog fed if it has one. */
static void announce_service(struct daemon *d)
{
	uint64_t usec = notify_watchdog_usec();
	char ip[16];
	uint32_t a0;
	unsigned p0;

	first_addr(d, &a0, &p0);
	notify_send("READY=1\nMAINPID=%d\nSTATUS=serving on %s %s, %s/%u",
		    (int)getpid(), d->link.kind, d->link.name,
		    ipv4_ntop(a0, ip), p0);
	if (usec) {
		/* the only periodic wake-up, and only when systemd asks */
		struct timeval tv = { (time_t)(usec / 2 / 1000000),
				      (suseconds_t)(usec / 2 % 1000000) };

		d->watchdog_ev = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
		if (d->watchdog_ev)
			event_add(d->watchdog_ev, &tv);
		notify_send("WATCHDOG=1");
	}
}

int main(int argc, char **argv)
{
	static struct daemon d;
	char err[512];
	int rc;

	d.ready_fd = -1;
	d.argc = argc;
	d.argv = argv;
	rc = config_parse_args(&d.cfg, argc, argv);
	if (rc == CONFIG_EXIT_OK)
		return 0;
	if (rc != CONFIG_RUN)
		return 2;
	if (config_finish(&d.cfg, err, sizeof(err))) {
		fprintf(stderr, "ustackd: %s\n", err);
		return 2;
	}
	if (d.cfg.print_config) {
		config_print(&d.cfg, stdout);
		return 0;
	}
	if (*d.cfg.user && privs_lookup(d.cfg.user, &d.user, err, sizeof(err))) {
		fprintf(stderr, "ustackd: %s\n", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!d.cfg.foreground && daemonize(&d))
		return 1;
	log_init(d.cfg.foreground || d.ready_fd >= 0, d.cfg.log_level);
	if (notify_init() < 0)
		log_warn("NOTIFY_SOCKET is not a usable socket path; not notifying");
	rc = setup(&d);
	if (rc == 0 && !d.stopping) {
		announce_service(&d);
		if (!d.cfg.foreground) {
			announce_ready(&d);
			log_init(false, d.cfg.log_level);
		}
		daemon_loop(&d);
	}
	teardown(&d);
	return rc ? 1 : 0;
}
