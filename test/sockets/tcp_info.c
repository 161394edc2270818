/* SPDX-License-Identifier: MIT */
/*
 * tcp_info - getsockopt(TCP_INFO) as Linux 6.1 fills struct tcp_info: on a
 * socket not yet connected, a listener with a connection waiting, a
 * client after an echoed exchange, an accepted connection the peer has
 * closed. What is deterministic is printed as it is (state, options,
 * window scales, MSS, counts of bytes); what depends on timing (RTT, RTO,
 * rates, times) is printed as whether it is sane.
 *   tcp_info PEER SELF   (peer: TCP echo on 7007, connect-back on 7012)
 */
#include <linux/tcp.h>
#include <stddef.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define LPORT 7401

static const char *peer, *self;
static char buf[65536];

/* Linux 6.1's struct tcp_info ends at tcpi_snd_wnd */
#define INFO_61 (offsetof(struct tcp_info, tcpi_snd_wnd) + 4)

static int info(const char *what, int fd, struct tcp_info *ti)
{
	unsigned char big[512];
	socklen_t len = sizeof(big);

	memset(big, 0xa5, sizeof(big));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, big, &len)) {
		line("%s: TCP_INFO %s", what, errname(errno));
		return -1;
	}
	/* 6.1 gives 232 bytes; a later kernel more: compare what 6.1 has */
	line("%s: TCP_INFO length >= 232: %d", what, len >= INFO_61);
	memset(ti, 0, sizeof(*ti));
	memcpy(ti, big, INFO_61);
	len = 8;
	report("  short buffer", getsockopt(fd, IPPROTO_TCP, TCP_INFO, big, &len));
	line("  short buffer length: %u", len);
	return 0;
}

static void common(const struct tcp_info *ti)
{
	line("  state %u ca_state %u retransmits %u probes %u backoff %u",
	     ti->tcpi_state, ti->tcpi_ca_state, ti->tcpi_retransmits,
	     ti->tcpi_probes, ti->tcpi_backoff);
	/* the peer's scale is the kernel's; ours follows the stack's largest
	 * receive buffer (ustackd.conf, net.ipv4.tcp_rmem) */
	line("  options %#x snd_wscale %u rcv_wscale set %d", ti->tcpi_options,
	     ti->tcpi_snd_wscale, ti->tcpi_rcv_wscale > 0);
	line("  lost %u retrans %u fackets %u last_ack_sent %u",
	     ti->tcpi_lost, ti->tcpi_retrans, ti->tcpi_fackets,
	     ti->tcpi_last_ack_sent);
	line("  reordering %u total_retrans %u", ti->tcpi_reordering,
	     ti->tcpi_total_retrans);
	line("  max_pacing_rate unlimited: %d", ti->tcpi_max_pacing_rate == ~0ull);
	line("  delivered_ce %u dsack_dups %u reord_seen %u rcv_ooopack %u",
	     ti->tcpi_delivered_ce, ti->tcpi_dsack_dups, ti->tcpi_reord_seen,
	     ti->tcpi_rcv_ooopack);
	line("  bytes_retrans %llu fastopen_client_fail %u",
	     (unsigned long long)ti->tcpi_bytes_retrans,
	     ti->tcpi_fastopen_client_fail);
}

/* A connected socket: what its data and its path make of it */
static void connected(const struct tcp_info *ti, unsigned long long sent,
		      unsigned long long rcvd)
{
	common(ti);
	line("  snd_mss %u rcv_mss %u advmss %u pmtu %u", ti->tcpi_snd_mss,
	     ti->tcpi_rcv_mss, ti->tcpi_advmss, ti->tcpi_pmtu);
	line("  unacked %u sacked %u notsent %u", ti->tcpi_unacked,
	     ti->tcpi_sacked, ti->tcpi_notsent_bytes);
	line("  bytes_acked %llu (want %llu) bytes_received %llu (want %llu)",
	     (unsigned long long)ti->tcpi_bytes_acked, sent,
	     (unsigned long long)ti->tcpi_bytes_received, rcvd);
	line("  bytes_sent covers the data: %d",
	     ti->tcpi_bytes_sent >= sent && ti->tcpi_bytes_sent < sent + 65536);
	line("  rto sane: %d", ti->tcpi_rto >= 200000 && ti->tcpi_rto <= 3000000);
	line("  ato sane: %d", ti->tcpi_ato <= 200000);
	line("  rtt sane: %d", ti->tcpi_rtt > 0 && ti->tcpi_rtt < 1000000);
	line("  rttvar sane: %d", ti->tcpi_rttvar < 1000000);
	line("  min_rtt sane: %d", ti->tcpi_min_rtt > 0 &&
	     ti->tcpi_min_rtt <= ti->tcpi_rtt + ti->tcpi_rttvar * 4);
	line("  rcv_rtt sane: %d", ti->tcpi_rcv_rtt < 1000000);
	line("  snd_ssthresh %s", ti->tcpi_snd_ssthresh == 0x7fffffff ?
	     "infinite" : "set");
	line("  snd_cwnd sane: %d", ti->tcpi_snd_cwnd >= 10 && ti->tcpi_snd_cwnd < 1000);
	line("  rcv_ssthresh sane: %d", ti->tcpi_rcv_ssthresh >= ti->tcpi_advmss);
	line("  rcv_space sane: %d", ti->tcpi_rcv_space >= 10 * ti->tcpi_advmss);
	line("  last data sent, recv, ack recv recent: %d %d %d",
	     ti->tcpi_last_data_sent < 5000, ti->tcpi_last_data_recv < 5000,
	     ti->tcpi_last_ack_recv < 5000);
	line("  pacing_rate sane: %d", ti->tcpi_pacing_rate > 0);
	line("  busy_time sane: %d, limited by rwnd %llu, by sndbuf %llu",
	     ti->tcpi_busy_time < 60000000ull,
	     (unsigned long long)ti->tcpi_rwnd_limited,
	     (unsigned long long)ti->tcpi_sndbuf_limited);
	line("  segments in and out: %d %d, with data: %d %d",
	     ti->tcpi_segs_in > 0, ti->tcpi_segs_out > 0,
	     ti->tcpi_data_segs_in > 0 || !rcvd, ti->tcpi_data_segs_out > 0 || !sent);
	line("  delivered sane: %d", ti->tcpi_delivered >= 1 &&
	     ti->tcpi_delivered <= ti->tcpi_segs_out);
	line("  delivery_rate sane: %d", ti->tcpi_delivery_rate > 0 || !sent);
	line("  snd_wnd sane: %d", ti->tcpi_snd_wnd >= 1024);
}

static void fresh(void)
{
	struct tcp_info ti;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (info("unconnected", fd, &ti) == 0) {
		common(&ti);
		line("  snd_mss %u rcv_mss %u advmss %u pmtu %u rto %u ato %u",
		     ti.tcpi_snd_mss, ti.tcpi_rcv_mss, ti.tcpi_advmss,
		     ti.tcpi_pmtu, ti.tcpi_rto, ti.tcpi_ato);
		line("  snd_ssthresh %#x snd_cwnd %u rtt %u min_rtt %#x",
		     ti.tcpi_snd_ssthresh, ti.tcpi_snd_cwnd, ti.tcpi_rtt,
		     ti.tcpi_min_rtt);
		line("  pacing_rate unlimited: %d", ti.tcpi_pacing_rate == ~0ull);
		line("  segs %u %u bytes %llu %llu", ti.tcpi_segs_in,
		     ti.tcpi_segs_out, (unsigned long long)ti.tcpi_bytes_sent,
		     (unsigned long long)ti.tcpi_bytes_received);
	}
	close(fd);
}

static int listener(int backlog)
{
	struct sockaddr_in sa = sin_of(self, LPORT);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&sa, sizeof(sa)) || listen(fd, backlog))
		line("listen: %s", errname(errno));
	return fd;
}

static int conn(int port)
{
	struct sockaddr_in sa = sin_of(peer, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(fd, (void *)&sa, sizeof(sa)))
		line("connect %d: %s", port, errname(errno));
	return fd;
}

/* The peer connects back to our listener (its port 7012 service) */
static int connect_back(int l)
{
	char msg[64];
	int c = conn(7012), a;
	struct pollfd p = { .fd = l, .events = POLLIN };

	snprintf(msg, sizeof(msg), "%s %d\n", self, LPORT);
	send(c, msg, strlen(msg), 0);
	poll(&p, 1, 3000);
	a = accept(l, NULL, NULL);
	close(c);
	return a;
}

static void listening(void)
{
	struct tcp_info ti;
	int l = listener(5), a;
	char msg[64];
	int c = conn(7012);
	struct pollfd p = { .fd = l, .events = POLLIN };

	snprintf(msg, sizeof(msg), "%s %d\n", self, LPORT);
	send(c, msg, strlen(msg), 0);
	poll(&p, 1, 3000);
	if (info("listener, one waiting", l, &ti) == 0) {
		line("  state %u ca_state %u options %#x", ti.tcpi_state,
		     ti.tcpi_ca_state, ti.tcpi_options);
		/* unacked, the connections waiting, is not compared: ustack
		 * hands them to the program's channel at once (libustack(3)) */
		line("  sacked (backlog) %u snd_cwnd %u reordering %u",
		     ti.tcpi_sacked, ti.tcpi_snd_cwnd, ti.tcpi_reordering);
		line("  rto %u snd_mss %u rtt %u bytes %llu",
		     ti.tcpi_rto, ti.tcpi_snd_mss, ti.tcpi_rtt,
		     (unsigned long long)ti.tcpi_bytes_acked);
		line("  pacing_rate unlimited: %d", ti.tcpi_pacing_rate == ~0ull);
	}
	a = accept(l, NULL, NULL);
	close(a);
	close(c);
	close(l);
}

static void client(void)
{
	struct tcp_info ti;
	int fd = conn(7007), one = 1;
	size_t got = 0;
	ssize_t n;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < 20000; i++)
		buf[i] = (char)i;
	send(fd, buf, 20000, 0);
	while (got < 20000 && (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		got += (size_t)n;
	usleep(100000);   /* the last ACKs settle */
	if (info("client after a 20000-byte echo", fd, &ti) == 0)
		connected(&ti, 20000, got);
	close(fd);
}

static void accepted(void)
{
	struct tcp_info ti;
	int l = listener(5), a = connect_back(l);
	ssize_t n;

	n = recv(a, buf, sizeof(buf), MSG_WAITALL);
	line("accepted: got %zd", n);
	usleep(100000);
	if (info("accepted, the peer closed", a, &ti) == 0)
		connected(&ti, 0, n > 0 ? (unsigned long long)n : 0);
	close(a);
	close(l);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tcp_info PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	self = argv[2];
	fresh();
	listening();
	client();
	accepted();
	return 0;
}
