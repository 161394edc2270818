/* SPDX-License-Identifier: MIT */
/*
 * tcp_info.c - what getsockopt(TCP_INFO) reports, counted as Linux 6.18
 *
 * Theory of operation: Linux's tcp_get_info() (net/ipv4/tcp.c) fills
 * struct tcp_info from the socket's own counters; programs (ss, iperf3,
 * monitoring agents, libraries that pace themselves) read it. The engine
 * keeps the same counters as it goes: segments and data segments in and
 * out, data bytes sent and resent, segments delivered (the SYN, then each
 * transmit record acked or SACKed), D-SACKs, reordering, out-of-order
 * segments, when data last went and came and when the last ACK came, the
 * peer's segment size as Linux estimates it (icsk_ack.rcv_mss: 536 until
 * a larger segment arrives), the receiver's RTT from the echoed
 * timestamps (tcp_rcv_rtt_update()), the most the program read in one RTT
 * (rcvq_space), a delivery-rate sample per ACK (bytes delivered between a
 * segment's sending and its ACK, over that time, as tcp_rate.c), and the
 * "chrono" times: busy, limited by the peer's window, limited by the send
 * buffer (tcp_chrono_start/stop()).
 *
 * tcp_get_info() copies them into struct tcp_info_rec with the rest of
 * the connection's state; tcp_info_to_linux() turns that record into
 * Linux 6.18's struct tcp_info, in Linux's units (microseconds,
 * milliseconds for the last_* times, segments for cwnd and ssthresh,
 * TCP_INFINITE_SSTHRESH, ~0 for no pacing or no min_rtt) and with its
 * quirks (bytes_acked counts our SYN on an active open and our FIN,
 * bytes_received the peer's FIN; a listener reports its accept queue and
 * backlog in unacked and sacked, and little else).
 *
 * Since 6.1: the window we offered last (rcv_wnd); the RTO timeouts
 * (the SYN's and SYN-ACK's too), the recoveries they began and the ms
 * spent in them, the unfinished one's so far (tcp_update_rto_stats(),
 * tcp_update_rto_time()); rehash, which Linux counts at each of those
 * timeouts (a new flow hash, timeout_rehash); CE-marked segments received
 * (received_ce) and segments delivered by ACKs with ECE (delivered_ce).
 * AccECN's byte counters and modes stay 0: ustack speaks classic ECN.
 *
 * Not kept, as not in ustack: the fackets and last_ack_sent fields
 * (Linux fills them with 0 too).
 */
#include <string.h>

#include "ipv6.h"
#include "stack_impl.h"
#include "tcp_impl.h"

/* Linux's TCP states, as tcpi_state numbers them */
static const uint8_t tcp_linux_state[] = {
	[TCP_CLOSED] = 7, [TCP_LISTEN] = 10, [TCP_SYN_SENT] = 2,
	[TCP_SYN_RECEIVED] = 3, [TCP_ESTABLISHED] = 1, [TCP_FIN_WAIT_1] = 4,
	[TCP_FIN_WAIT_2] = 5, [TCP_CLOSE_WAIT] = 8, [TCP_CLOSING] = 11,
	[TCP_LAST_ACK] = 9, [TCP_TIME_WAIT] = 6,
};

#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK 2
#define TCPI_OPT_WSCALE 4
#define TCPI_OPT_ECN 8
#define TCPI_OPT_ECN_SEEN 16
#define TCPI_OPT_SYN_DATA 32

/* -- the chrono: why the sender was stuck ---------------------------- */

static void tcp_chrono_set(struct tcp_sock *sk, enum tcp_chrono type)
{
	uint64_t now = sk->s->now;

	if (sk->chrono != TCP_CHRONO_NONE)
		sk->chrono_stat[sk->chrono - 1] += now - sk->chrono_start;
	sk->chrono = (uint8_t)type;
	sk->chrono_start = now;
}

/**
 * tcp_chrono_start() - a reason to be stuck begins; the weightier one
 * (SNDBUF over RWND over BUSY) is the one timed, as Linux's
 * @sk: the socket
 * @type: the reason
 */
void tcp_chrono_start(struct tcp_sock *sk, enum tcp_chrono type)
{
	if (type > sk->chrono)
		tcp_chrono_set(sk, type);
}

/**
 * tcp_chrono_stop() - a reason ends: back to BUSY, or to nothing when
 * nothing is queued or in flight
 * @sk: the socket
 * @type: the reason
 */
void tcp_chrono_stop(struct tcp_sock *sk, enum tcp_chrono type)
{
	bool empty = sk->snd_una == sk->snd_max && !sk->sndq.len;

	if (empty)
		tcp_chrono_set(sk, TCP_CHRONO_NONE);
	else if (type == sk->chrono)
		tcp_chrono_set(sk, TCP_CHRONO_BUSY);
}

/**
 * tcp_chrono_after_output() - after tcp_output(): busy while data is
 * queued or in flight; held back by the peer's window when unsent data
 * waits and the window cannot take the next segment (Linux's
 * is_rwnd_limited in tcp_write_xmit())
 * @sk: the socket
 */
void tcp_chrono_after_output(struct tcp_sock *sk)
{
	uint32_t data_end = sk->sndq_seq + sk->sndq.len;
	uint32_t unsent = SEQ_GT(data_end, sk->snd_nxt) ? data_end - sk->snd_nxt : 0;
	uint32_t edge = sk->snd_una + sk->snd_wnd;
	uint32_t room = SEQ_GT(edge, sk->snd_nxt) ? edge - sk->snd_nxt : 0;
	uint32_t next = unsent < sk->mss ? unsent : sk->mss;

	if (sk->snd_una == sk->snd_max && !unsent) {
		tcp_chrono_stop(sk, TCP_CHRONO_BUSY);
		return;
	}
	tcp_chrono_start(sk, TCP_CHRONO_BUSY);
	if (unsent && room < next)
		tcp_chrono_start(sk, TCP_CHRONO_RWND);
	else
		tcp_chrono_stop(sk, TCP_CHRONO_RWND);
}

/* -- receiving --------------------------------------------------------- */

/*
 * Linux's tcp_rcv_rtt_update() with timestamps: an average of 1/8 over
 * the time from our TSval to the data that echoes it, once per TSecr,
 * from segments of a full size.
 */
static void tcp_rcv_rtt_sample(struct tcp_sock *sk, const struct tcp_seg *seg,
			       uint32_t len)
{
	uint64_t m;

	if (!sk->ts_ok || !seg->has_ts || !seg->tsecr ||
	    seg->tsecr == sk->rcv_rtt_tsecr || len < sk->rcv_mss_seen)
		return;
	sk->rcv_rtt_tsecr = seg->tsecr;
	m = (uint64_t)(uint32_t)(tcp_tsval(sk) - seg->tsecr) * NSEC_PER_MSEC;
	if (m > 600 * NSEC_PER_SEC)
		return;  /* an echo from before a wrap, or a bogus one */
	if (!m)
		m = NSEC_PER_MSEC / 2;
	m /= 1000;      /* us, as Linux keeps rcv_rtt_est */
	sk->rcv_rtt = (uint32_t)(sk->rcv_rtt ? sk->rcv_rtt - sk->rcv_rtt / 8 +
					       m / 8 : m);
}

/**
 * tcp_info_data_rcvd() - in-order data arrived: when, its size (Linux's
 * tcp_measure_rcv_mss(): the largest segment yet, up to our MSS), and
 * the receiver's RTT
 * @sk: the socket
 * @seg: the segment
 * @len: its payload bytes taken
 */
void tcp_info_data_rcvd(struct tcp_sock *sk, const struct tcp_seg *seg,
			uint32_t len)
{
	uint32_t adv = sk->rcv_mss - (sk->ts_ok ? 12 : 0);

	sk->last_data_recv = tcp_stamp_ms(sk->s->now);
	if (seg->len >= sk->rcv_mss_seen)
		sk->rcv_mss_seen = seg->len < adv ? seg->len : adv;
	tcp_rcv_rtt_sample(sk, seg, len);
}

/**
 * tcp_info_established() - the handshake is done: the SYN counts as
 * delivered (Linux: "SYN-ACK delivery isn't tracked in tcp_ack"), and
 * the receive-side estimates start as Linux's tcp_init_transfer() sets
 * them (rcv_mss 536 at most; rcvq_space 10 segments, within the window)
 * @sk: the socket
 */
void tcp_info_established(struct tcp_sock *sk)
{
	uint32_t adv = sk->rcv_mss - (sk->ts_ok ? 12 : 0);
	uint32_t wnd = sk->rcvq.size < 65535 ? sk->rcvq.size : 65535;
	uint32_t hint = adv < sk->mss ? adv : sk->mss;

	sk->delivered = 1;
	sk->last_data_sent = tcp_stamp_ms(sk->s->now);
	sk->last_data_recv = sk->last_ack_recv = sk->last_data_sent;
	if (hint > wnd / 2)
		hint = wnd / 2;
	if (hint > TCP_DEFAULT_MSS)
		hint = TCP_DEFAULT_MSS;
	sk->rcv_mss_seen = hint > TCP_MIN_MSS ? hint : TCP_MIN_MSS;
	sk->rcv_space = 10 * adv < wnd ? 10 * adv : wnd;
}

/* -- sending ------------------------------------------------------------ */

/**
 * tcp_info_delivered() - a transmit record was acked or SACKed: one
 * segment delivered, and a delivery-rate sample (tcp_rate.c: what was
 * delivered since it was sent, over the time since)
 * @sk: the socket
 * @r: the record
 * @bytes: its bytes
 */
void tcp_info_delivered(struct tcp_sock *sk, const struct tcp_txrec *r,
			uint32_t bytes)
{
	uint64_t interval = sk->s->now - r->ts;

	sk->delivered++;
	sk->delivered_bytes += bytes;
	if (!interval)
		return;
	sk->rate_bytes = (uint32_t)sk->delivered_bytes - r->delivered;
	interval /= 1000;       /* us, as Linux's rate samples */
	sk->rate_interval = interval > UINT32_MAX ? UINT32_MAX :
			    interval ? (uint32_t)interval : 1;
	sk->rate_app_limited = r->flags & TCP_TXR_APP_LIMITED;
}

/* -- the record and Linux's struct ------------------------------------- */

/* Linux's tcp_update_pacing_rate(): 200% of cwnd * mss / srtt in slow
 * start (below half ssthresh), 120% after; none before an RTT sample. */
static uint64_t tcp_pacing_rate(const struct tcp_sock *sk, uint32_t pkts)
{
	uint32_t cwnd = sk->mss ? sk->cwnd / sk->mss : 0;
	uint32_t ssth = sk->mss ? sk->ssthresh / sk->mss : 0;
	uint64_t rate, srtt = tcp_srtt(sk);

	if (!srtt || !sk->mss)
		return UINT64_MAX;
	rate = (uint64_t)sk->mss * (cwnd > pkts ? cwnd : pkts) * NSEC_PER_SEC /
	       srtt;
	return rate * (cwnd < ssth / 2 ? 200 : 120) / 100;
}

static uint8_t tcp_ca_state(const struct tcp_sock *sk)
{
	if (sk->in_loss)
		return TCP_CA_STATE_LOSS;
	if (sk->in_recovery)
		return TCP_CA_STATE_RECOVERY;
	if (sk->in_cwr)
		return TCP_CA_STATE_CWR;
	if (sk->dupacks || sk->nsacked)
		return TCP_CA_STATE_DISORDER;
	return TCP_CA_STATE_OPEN;
}

/**
 * tcp_info_fill() - the TCP_INFO part of tcp_get_info()'s record
 * @sk: the socket
 * @i: the record, its other fields filled
 * @now: current time
 */
void tcp_info_fill(const struct tcp_sock *sk, struct tcp_info_rec *i,
		   uint64_t now)
{
	uint32_t data_end = sk->sndq_seq + sk->sndq.len;
	uint32_t max = 65535u << sk->rcv_wscale;

	i->active = sk->active;
	i->ws = sk->ws_ok;
	i->ecn = sk->ecn_ok;
	i->ecn_seen = sk->ecn_seen;
	i->fin_rcvd = sk->fin_rcvd;
	i->fin_acked = sk->fin_sent && sk->snd_una == sk->snd_max;
	i->ca_state = tcp_ca_state(sk);
	i->probes = sk->probes;
	i->backoff = sk->backoff;
	i->ato = sk->state == TCP_CLOSED && !sk->mss ? 0 : sk->s->cfg.tcp_delack_max;
	i->rcv_mss_seen = sk->rcv_mss_seen;
	i->advmss = sk->rcv_mss ? sk->rcv_mss - (sk->ts_ok ? 12u : 0u) : 0;
	i->packets_out = sk->ntx;
	i->sacked_out = tcp_sacked_segs(sk);
	i->lost_out = tcp_txrec_lost_out(sk);
	i->retrans_out = tcp_txrec_retrans_out(sk);
	i->last_data_sent_ago = tcp_stamp_age(sk->last_data_sent, now);
	i->last_data_recv_ago = tcp_stamp_age(sk->last_data_recv, now);
	i->last_ack_recv_ago = tcp_stamp_age(sk->last_ack_recv, now);
	i->pmtu = sk->mss ? sk->mss + (sk->raddr.family == IP_V6 ? IPV6_HLEN :
							       IPV4_HLEN) +
			    TCP_HLEN + (sk->ts_ok ? 12u : 0u) : 0;
	i->rcv_ssthresh = sk->rcvq.size < max ? sk->rcvq.size : max;
	i->reordering = TCP_DUPTHRESH;
	i->rcv_space = sk->rcv_space;
	i->rcv_rtt = (uint64_t)sk->rcv_rtt * 1000;
	i->notsent = SEQ_GT(data_end, sk->snd_max) ? data_end - sk->snd_max : 0;
	i->busy_time = sk->chrono_stat[0];
	i->rwnd_limited = sk->chrono_stat[1];
	i->sndbuf_limited = sk->chrono_stat[2];
	if (sk->chrono != TCP_CHRONO_NONE) {
		uint64_t run = now - sk->chrono_start;

		if (sk->chrono == TCP_CHRONO_BUSY)
			i->busy_time += run;
		else if (sk->chrono == TCP_CHRONO_RWND)
			i->rwnd_limited += run;
		else
			i->sndbuf_limited += run;
	}
	/* Linux's busy time is all three */
	i->busy_time += i->rwnd_limited + i->sndbuf_limited;
	i->segs_in = sk->segs_in;
	i->segs_out = sk->segs_out;
	i->data_segs_in = sk->data_segs_in;
	i->data_segs_out = sk->data_segs_out;
	i->bytes_sent = sk->bytes_sent;
	i->bytes_retrans = sk->bytes_retrans;
	i->delivered = sk->delivered;
	i->dsack_dups = sk->dsack_dups;
	i->reord_seen = sk->reord_seen;
	i->rcv_ooopack = sk->rcv_ooopack;
	i->total_rto = sk->total_rto;
	i->total_rto_recoveries = sk->total_rto_rec;
	i->total_rto_time = sk->total_rto_time +
			    (sk->rto_stamp ? tcp_stamp_ms(now) - sk->rto_stamp : 0);
	i->received_ce = sk->received_ce;
	i->delivered_ce = sk->delivered_ce;
	i->delivery_rate = sk->rate_interval ? sk->rate_bytes * 1000000ull /
					       sk->rate_interval : 0;
	i->app_limited = sk->rate_app_limited;
	i->pacing_rate = tcp_pacing_rate(sk, sk->ntx);
	i->init_cwnd = sk->s->cfg.tcp_init_cwnd;
	i->syn_data_acked = sk->syn_data_acked;
	i->fastopen_client_fail = sk->tfo_client_fail;
}

static uint32_t us32(uint64_t ns)
{
	uint64_t us = ns / 1000;

	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static uint32_t ms32(uint64_t ns)
{
	uint64_t ms = ns / NSEC_PER_MSEC;

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* The sender's part: Linux reports it in segments and microseconds. */
static void tcp_info_linux_send(const struct tcp_info_rec *r,
				struct tcp_linux_info *ti)
{
	uint32_t mss = r->snd_mss;

	ti->retransmits = r->timer == TCP_TIMER_PERSIST ? 0 :
			  (uint8_t)(r->retransmits > 255 ? 255 : r->retransmits);
	ti->probes = (uint8_t)(r->probes > 255 ? 255 : r->probes);
	ti->backoff = (uint8_t)(r->backoff > 255 ? 255 : r->backoff);
	ti->rto = us32(r->rto);
	ti->ato = us32(r->ato);
	ti->snd_mss = mss ? mss : TCP_DEFAULT_MSS;
	ti->unacked = r->packets_out;
	ti->sacked = r->sacked_out;
	ti->lost = r->lost_out;
	ti->retrans = r->retrans_out;
	ti->rtt = us32(r->srtt);
	ti->rttvar = us32(r->rttvar);
	ti->snd_ssthresh = !mss || r->ssthresh >= TCP_INFINITE_SSTHRESH ?
			   TCP_INFINITE_SSTHRESH : r->ssthresh / mss;
	ti->snd_cwnd = mss && r->cwnd ? r->cwnd / mss : r->init_cwnd;
	ti->total_retrans = (uint32_t)r->total_retrans;
	ti->pacing_rate = r->pacing_rate;
	ti->min_rtt = r->rack_min_rtt ? us32(r->rack_min_rtt) : UINT32_MAX;
	ti->notsent_bytes = r->notsent;
	ti->busy_time = r->busy_time / 1000;
	ti->rwnd_limited = r->rwnd_limited / 1000;
	ti->sndbuf_limited = r->sndbuf_limited / 1000;
	ti->delivery_rate = r->delivery_rate;
	/* tcpi_delivery_rate_app_limited:1, tcpi_fastopen_client_fail:2 */
	ti->app_limited = (uint8_t)((r->app_limited ? 1 : 0) |
				    (r->fastopen_client_fail & 3) << 1);
	ti->snd_wnd = r->snd_wnd;
}

/**
 * tcp_info_to_linux() - Linux 6.18's struct tcp_info from the record, as
 * its tcp_get_info() fills it
 * @r: the record of tcp_get_info()
 * @ti: filled in (all of it; getsockopt gives TCP_LINUX_INFO_LEN at most)
 */
void tcp_info_to_linux(const struct tcp_info_rec *r, struct tcp_linux_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->state = tcp_linux_state[r->state];
	ti->pacing_rate = UINT64_MAX;
	ti->max_pacing_rate = UINT64_MAX;
	ti->reordering = TCP_DUPTHRESH;
	ti->snd_cwnd = r->init_cwnd;
	if (r->state == TCP_LISTEN) {
		/* "listeners aliased fields": ready to accept, backlog */
		ti->unacked = r->accept_qlen;
		ti->sacked = r->backlog;
		return;
	}
	ti->ca_state = r->ca_state;
	ti->options = (r->ts ? TCPI_OPT_TIMESTAMPS : 0) |
		      (r->sack ? TCPI_OPT_SACK : 0) |
		      (r->ws ? TCPI_OPT_WSCALE : 0) |
		      (r->ecn ? TCPI_OPT_ECN : 0) |
		      (r->ecn_seen ? TCPI_OPT_ECN_SEEN : 0) |
		      (r->syn_data_acked ? TCPI_OPT_SYN_DATA : 0);
	if (r->ws)
		ti->wscale = (uint8_t)((r->snd_wscale & 15) |
				       (r->rcv_wscale & 15) << 4);
	tcp_info_linux_send(r, ti);
	ti->rcv_mss = r->rcv_mss_seen;
	ti->last_data_sent = ms32(r->last_data_sent_ago);
	ti->last_data_recv = ms32(r->last_data_recv_ago);
	ti->last_ack_recv = ms32(r->last_ack_recv_ago);
	ti->pmtu = r->pmtu;
	ti->rcv_ssthresh = r->rcv_mss ? r->rcv_ssthresh : 0;
	ti->advmss = r->advmss;
	ti->reordering = r->reordering;
	ti->rcv_rtt = us32(r->rcv_rtt);
	ti->rcv_space = r->rcv_space;
	/* Linux counts sequence space: our SYN on an active open (acked by
	 * the SYN-ACK), our FIN once acked, the peer's FIN once received */
	ti->bytes_acked = r->bytes_acked +
			  (r->active && SEQ_GT(r->snd_una, r->iss) ? 1 : 0) +
			  (r->fin_acked ? 1 : 0);
	ti->bytes_received = r->bytes_received + (r->fin_rcvd ? 1 : 0);
	ti->segs_out = (uint32_t)r->segs_out;
	ti->segs_in = (uint32_t)r->segs_in;
	ti->data_segs_in = (uint32_t)r->data_segs_in;
	ti->data_segs_out = (uint32_t)r->data_segs_out;
	ti->delivered = r->delivered;
	ti->bytes_sent = r->bytes_sent;
	ti->bytes_retrans = r->bytes_retrans;
	ti->dsack_dups = r->dsack_dups;
	ti->reord_seen = r->reord_seen;
	ti->rcv_ooopack = r->rcv_ooopack;
	ti->delivered_ce = r->delivered_ce;
	ti->rcv_wnd = r->rcv_wnd;
	/* Linux picks a new flow hash (tcp_write_timeout(): timeout_rehash)
	 * at every timeout that does not end the connection */
	ti->rehash = r->total_rto;
	ti->total_rto = (uint16_t)(r->total_rto > UINT16_MAX ? UINT16_MAX :
				   r->total_rto);
	ti->total_rto_recoveries = (uint16_t)r->total_rto_recoveries;
	ti->total_rto_time = r->total_rto_time;
	ti->received_ce = r->received_ce;
}
