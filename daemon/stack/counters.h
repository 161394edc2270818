/* SPDX-License-Identifier: MIT */
/*
 * counters.h - one counter for every drop reason and every error path
 *
 * The list is an X-macro so that the struct, the names printed by the
 * daemon (and later ustackctl stats) and the docs come from one place.
 * X(group, name, description)
 */
#ifndef USTACK_COUNTERS_H
#define USTACK_COUNTERS_H

#include <stdint.h>

#define STACK_COUNTERS(X)                                                     \
	X(eth, rx_frames, "frames received")                                  \
	X(eth, rx_bytes, "bytes received")                                    \
	X(eth, tx_frames, "frames sent")                                      \
	X(eth, tx_bytes, "bytes sent")                                        \
	X(eth, rx_csum_offload, "frames whose transport checksum the link vouched for") \
	X(eth, rx_gso, "frames of merged TCP segments (the link's GSO/GRO)") \
	X(eth, tx_gso, "frames of TCP segments the link cuts (its GSO/TSO)") \
	X(eth, rx_uso, "frames of UDP datagrams merged by the link (its USO), split here") \
	X(eth, rx_uso_segs, "UDP datagrams split from those frames")     \
	X(eth, rx_uso_bad, "dropped: a frame of UDP datagrams not as the link said") \
	X(eth, tx_uso, "frames of UDP datagrams the link cuts (its USO)") \
	X(eth, tx_uso_segs, "UDP datagrams sent in those frames")        \
	X(eth, rx_short, "dropped: frame shorter than an Ethernet header")    \
	X(eth, rx_not_for_us, "dropped: destination MAC not ours")            \
	X(eth, rx_vlan, "dropped: VLAN-tagged frame")                         \
	X(eth, rx_unknown_type, "dropped: EtherType not handled")             \
	X(eth, rx_nomem, "dropped: no buffer for a received frame")           \
	X(eth, tx_link_err, "dropped: the link refused a frame (queue full)") \
	X(eth, tx_nomem, "dropped: no headroom or buffer to send a frame")    \
	X(arp, rx, "ARP packets received")                                    \
	X(arp, rx_malformed, "dropped: ARP packet malformed or not IPv4/Ethernet") \
	X(arp, rx_bad_sender, "dropped: ARP sender address invalid")          \
	X(arp, rx_requests, "ARP requests for our address")                   \
	X(arp, rx_replies, "ARP replies received")                            \
	X(arp, rx_other_target, "ARP packets for another host (learned only)") \
	X(arp, tx_requests, "ARP requests sent")                              \
	X(arp, tx_replies, "ARP replies sent")                                \
	X(arp, tx_announce, "gratuitous ARP announcements sent")              \
	X(arp, conflict, "ARP packets claiming one of our addresses")         \
	X(arp, nomem, "dropped: no memory for an ARP packet")                 \
	X(neigh, evicted, "cache entries evicted because the cache was full") \
	X(neigh, stale, "entries that went stale (not confirmed in ReachableTime)") \
	X(neigh, probe_fail, "stale entries removed: unicast probes unanswered") \
	X(neigh, queue_drop, "dropped: packet waiting for resolution (queue full, entry evicted)") \
	X(neigh, resolve_fail, "dropped: packet whose next hop never answered") \
	X(neigh, nomem, "dropped: no memory for a neighbour entry")           \
	X(ip, rx, "IPv4 datagrams received")                                  \
	X(ip, rx_short, "dropped: shorter than an IPv4 header")               \
	X(ip, rx_bad_version, "dropped: version field not 4")                 \
	X(ip, rx_bad_hlen, "dropped: header length field invalid")            \
	X(ip, rx_bad_len, "dropped: total length field invalid")              \
	X(ip, rx_bad_cksum, "dropped: header checksum wrong")                 \
	X(ip, rx_bad_options, "dropped: malformed IP options")                \
	X(ip, rx_bad_src, "dropped: source address invalid (martian)")        \
	X(ip, rx_not_for_us, "dropped: destination is not ours (no forwarding)") \
	X(ip, rx_bad_dst, "dropped: 127/8 destination from the link (martian)") \
	X(ip, rx_unknown_proto, "datagrams for a protocol not handled")        \
	X(ip, rx_delivered, "datagrams delivered to a protocol")              \
	X(ip, tx, "IPv4 datagrams sent")                                      \
	X(ip, tx_no_route, "dropped: no route to the destination")            \
	X(ip, tx_bad_src, "refused: a 127/8 source to the link (EINVAL)")     \
	X(ip, tx_frag_needed, "refused: larger than the MTU with DF set")     \
	X(ip, tx_fragmented, "datagrams sent in fragments")                   \
	X(ip, tx_fragments, "fragments sent")                                 \
	X(ip, tx_nomem, "dropped: no buffer to build a datagram or fragment") \
	X(ip, tx_local, "datagrams sent to one of our own addresses")         \
	X(frag, rx, "fragments received")                                     \
	X(frag, reassembled, "datagrams reassembled")                         \
	X(frag, dup, "dropped: duplicate fragment")                           \
	X(frag, overlap, "datagrams dropped: overlapping fragments")          \
	X(frag, bad_len, "dropped: fragment length invalid or beyond 64 KiB") \
	X(frag, conflict, "datagrams dropped: fragments disagree on the end") \
	X(frag, timeout, "datagrams dropped: reassembly timed out")           \
	X(frag, too_many, "dropped: too many datagrams in reassembly")        \
	X(frag, nomem, "dropped: reassembly memory bound reached")            \
	X(ip6, rx, "IPv6 datagrams received")                                 \
	X(ip6, rx_disabled, "dropped: IPv6 is off on the interface")          \
	X(ip6, rx_short, "dropped: shorter than an IPv6 header")              \
	X(ip6, rx_bad_version, "dropped: version field not 6")                \
	X(ip6, rx_bad_len, "dropped: payload length beyond the frame")        \
	X(ip6, rx_bad_ext, "dropped: an extension header runs past the end")  \
	X(ip6, rx_param_prob, "dropped: a header field or option refused (Parameter Problem owed)") \
	X(ip6, rx_discard_opt, "dropped: an unknown option that asks to be discarded") \
	X(ip6, rx_no_next, "datagrams with No Next Header (nothing to deliver)") \
	X(ip6, rx_bad_src, "dropped: source a group, or ::1 off the link")    \
	X(ip6, rx_not_for_us, "dropped: neither our address nor a group we are in") \
	X(ip6, rx_unknown_proto, "datagrams for a Next Header not handled")    \
	X(ip6, rx_delivered, "datagrams delivered to a protocol")             \
	X(ip6, tx, "IPv6 datagrams sent")                                     \
	X(ip6, tx_no_route, "not sent: no route (or IPv6 off)")               \
	X(ip6, tx_no_src, "not sent: no usable source address")               \
	X(ip6, tx_too_big, "refused: beyond the path MTU, fragmenting not allowed") \
	X(ip6, tx_fragmented, "datagrams sent in fragments")                  \
	X(ip6, tx_fragments, "fragments sent")                                \
	X(ip6, tx_nomem, "dropped: no buffer to build a datagram or fragment") \
	X(ip6, tx_local, "datagrams sent to one of our own addresses")        \
	X(ip6, pmtu_updates, "path MTUs lowered by Packet Too Big")           \
	X(icmp6, rx, "ICMPv6 messages received")                              \
	X(icmp6, rx_short, "dropped: shorter than an ICMPv6 header")          \
	X(icmp6, rx_bad_cksum, "dropped: ICMPv6 checksum wrong")              \
	X(icmp6, rx_to_tentative, "dropped: for an address still in DAD (RFC 4862 5.4)") \
	X(icmp6, rx_echo_req, "echo requests received")                       \
	X(icmp6, rx_echo_reply, "echo replies received")                      \
	X(icmp6, rx_unreach, "destination unreachable received")              \
	X(icmp6, rx_pkt_too_big, "packet too big received")                   \
	X(icmp6, rx_time_exceeded, "time exceeded received")                  \
	X(icmp6, rx_param_prob, "parameter problem received")                 \
	X(icmp6, rx_err_short, "errors whose quote is too short to use")      \
	X(icmp6, rx_err_not_ours, "errors about a datagram we did not send")  \
	X(icmp6, rx_other, "ICMPv6 messages of other types (ignored)")        \
	X(icmp6, tx_echo_reply, "echo replies sent")                          \
	X(icmp6, tx_unreach, "destination unreachable sent")                  \
	X(icmp6, tx_time_exceeded, "time exceeded sent (reassembly)")         \
	X(icmp6, tx_param_prob, "parameter problem sent")                     \
	X(icmp6, tx_err, "ICMPv6 messages not sent: no buffer or no route")   \
	X(nd, rx_ns, "neighbor solicitations received")                       \
	X(nd, rx_na, "neighbor advertisements received")                      \
	X(nd, rx_rs, "router solicitations received (ignored: we are a host)") \
	X(nd, rx_ra, "router advertisements received")                        \
	X(nd, rx_redirect, "redirects received")                              \
	X(nd, rx_bad_hoplimit, "dropped: ND message with a hop limit other than 255") \
	X(nd, rx_bad_code, "dropped: ND message with a code other than 0")    \
	X(nd, rx_short, "dropped: ND message too short")                      \
	X(nd, rx_bad_option, "dropped: ND option of length 0 or too long")    \
	X(nd, rx_bad_lladdr, "dropped: ND link-layer address ours or zero (a forgery or a loop)") \
	X(nd, rx_invalid, "dropped: ND message RFC 4861 forbids (source, target, flags)") \
	X(nd, rx_ns_not_ours, "solicitations for an address not ours")        \
	X(nd, conflict, "advertisements claiming one of our addresses")       \
	X(nd, redirect_refused, "redirects not from our router for that destination") \
	X(nd, ra_bad_mtu, "RA MTU options outside 1280..link MTU (ignored)")  \
	X(nd, ra_prefix_ignored, "RA prefixes ignored (link-local, bad length)") \
	X(nd, list_full, "routers or prefixes not recorded: list full")       \
	X(nd, lifetime_expired, "default routers and prefixes expired")       \
	X(nd, tx_ns, "neighbor solicitations sent")                           \
	X(nd, tx_dad, "DAD probes sent")                                      \
	X(nd, tx_na, "neighbor advertisements sent")                          \
	X(nd, tx_rs, "router solicitations sent")                             \
	X(nd, tx_no_src, "solicitations not sent: no source address")         \
	X(nd, tx_nomem, "ND messages not sent: no buffer")                    \
	X(addr6, dad_ok, "addresses that passed DAD")                         \
	X(addr6, dad_duplicate, "addresses found duplicate by DAD (not used)") \
	X(addr6, slaac, "addresses made from advertised prefixes")            \
	X(addr6, prefix_ignored, "prefixes not used for SLAAC (length not 64, lifetimes)") \
	X(addr6, deprecated, "addresses deprecated (preferred lifetime over)") \
	X(addr6, expired, "addresses removed (valid lifetime over)")          \
	X(addr6, full, "addresses refused: the table is full")                \
	X(mld, rx_query, "MLD queries received")                              \
	X(mld, rx_report, "MLD reports of other listeners (ignored)")         \
	X(mld, rx_bad, "dropped: MLD query malformed or not link-local/hop limit 1") \
	X(mld, tx_report, "MLDv2 reports sent")                               \
	X(mld, tx_v1, "MLDv1 reports and dones sent (an MLDv1 querier is present)") \
	X(mld, tx_nomem, "MLD reports not sent: no buffer")                   \
	X(mld, groups_full, "groups refused: the table is full")              \
	X(igmp, rx, "IGMP messages received")                                 \
	X(igmp, rx_short, "dropped: IGMP message shorter than 8 bytes")       \
	X(igmp, rx_bad_cksum, "dropped: IGMP checksum wrong")                 \
	X(igmp, rx_bad, "dropped: IGMP query of no version's length or with too many sources") \
	X(igmp, rx_query, "IGMP queries received")                            \
	X(igmp, rx_report, "IGMP reports and leaves of other members")        \
	X(igmp, rx_unknown, "IGMP messages of other types (ignored)")         \
	X(igmp, suppressed, "v1/v2 answers not sent: another member reported") \
	X(igmp, tx_report, "IGMPv3 reports sent")                             \
	X(igmp, tx_v12, "IGMPv1/v2 reports and leaves sent (older querier)")  \
	X(igmp, tx_nomem, "IGMP reports not sent: no buffer")                 \
	X(igmp, groups_full, "groups refused: the table is full")             \
	X(igmp, sources_full, "sources refused: a group's list is full")      \
	X(icmp, rx, "ICMP messages received")                                 \
	X(icmp, rx_short, "dropped: ICMP message truncated")                  \
	X(icmp, rx_bad_cksum, "dropped: ICMP checksum wrong")                 \
	X(icmp, rx_echo_req, "echo requests received")                        \
	X(icmp, rx_echo_bcast, "echo requests to broadcast ignored")          \
	X(icmp, rx_echo_reply, "echo replies received")                       \
	X(icmp, rx_unreach, "destination unreachable received")               \
	X(icmp, rx_time_exceeded, "time exceeded received")                   \
	X(icmp, rx_other, "other ICMP types received (errors go to their sockets)") \
	X(icmp, rx_err_short, "ICMP errors quoting less than an IP header and 8 bytes") \
	X(icmp, tx_echo_reply, "echo replies sent")                           \
	X(icmp, tx_echo_req, "echo requests sent (ustackctl ping)")          \
	X(icmp, tx_unreach, "destination unreachable sent")                   \
	X(icmp, tx_time_exceeded, "time exceeded sent")                       \
	X(icmp, tx_ratelimited, "ICMP errors not sent: rate limit")           \
	X(icmp, tx_err, "ICMP messages that could not be sent")                 \
	X(tcp, terminated, "connections aborted from outside (ustackctl kill)") \
	X(tcp, addr_gone_resets, "connections reset: their address went (DHCP lease lost)") \
	X(tcp, rx, "TCP segments received")                                   \
	X(tcp, rx_short, "dropped: TCP segment truncated or bad data offset")  \
	X(tcp, rx_bad_cksum, "dropped: TCP checksum wrong")                   \
	X(tcp, rx_bcast, "dropped: TCP segment to a broadcast address")       \
	X(tcp, rx_bad_flags, "dropped: invalid flag combination")             \
	X(tcp, rx_no_sock, "segments for no socket (RST sent unless RST)")    \
	X(tcp, rx_minttl, "segments dropped: TTL below the socket's IP_MINTTL")\
	X(tcp, defer_accept_drops, "handshake ACKs without data a deferring listener dropped") \
	X(tcp, tx, "TCP segments sent")                                       \
	X(tcp, tx_rst, "RSTs sent")                                           \
	X(tcp, tx_nomem, "segments not sent: no buffer")                      \
	X(tcp, tx_err, "segments not sent: IP output failed")                 \
	X(tcp, active_opens, "connections opened by connect")                 \
	X(tcp, passive_opens, "connections accepted by a listener")           \
	X(tcp, attempt_fails, "connection attempts failed")                   \
	X(tcp, estab_resets, "established connections reset")                 \
	X(tcp, rst_rcvd, "RSTs accepted")                                     \
	X(tcp, rst_ignored, "dropped: RST out of window (RFC 5961)")          \
	X(tcp, rst_challenged, "RSTs in window answered by a challenge ACK")  \
	X(tcp, syn_challenged, "SYNs in sync states answered by a challenge ACK") \
	X(tcp, ack_challenged, "ACKs of unsent data answered (RFC 5961 5.2)")  \
	X(tcp, challenge_acks, "challenge ACKs sent")                         \
	X(tcp, challenge_limited, "challenge ACKs suppressed by the rate limit") \
	X(tcp, challenge_skipped, "challenge ACKs suppressed: one per connection per 500 ms") \
	X(tcp, ack_too_old, "dropped: ACK older than the window (RFC 5961)")  \
	X(tcp, drop_paws, "dropped: timestamp older than ts_recent (PAWS)")   \
	X(tcp, drop_unacceptable, "dropped: segment not acceptable, ACK sent") \
	X(tcp, oow_acks_taken, "ACK fields taken from segments outside the window (RFC 9293 3.10.7.4)") \
	X(tcp, drop_no_ack, "dropped: segment without ACK")                   \
	X(tcp, drop_after_close, "dropped: data after the receiver shut down") \
	X(tcp, abort_on_data, "connections reset: data after close")          \
	X(tcp, close_unread_rst, "connections reset: closed with unread data (RFC 2525)") \
	X(tcp, listen_drop, "dropped: segment to a listener not a SYN")       \
	X(tcp, bad_synack, "SYN_SENT: unacceptable ACK, RST sent")           \
	X(tcp, bad_handshake_ack, "SYN_RECEIVED: unacceptable ACK, RST sent") \
	X(tcp, icmp_ignored, "ICMP errors quoting no segment in flight")      \
	X(tcp, listen_overflow, "dropped: accept queue full")                 \
	X(tcp, syn_q_full, "SYNs while the half-open queue was full")         \
	X(tcp, syncookies_sent, "SYN cookies sent (RFC 4987)")                \
	X(tcp, syncookies_ok, "connections made from a valid SYN cookie")     \
	X(tcp, syncookies_failed, "ACKs to a listener with an invalid cookie") \
	X(tcp, dup_data, "segments entirely duplicate")                       \
	X(tcp, ooo_segs, "segments received out of order and kept")           \
	X(tcp, ooo_dropped, "dropped: out-of-order segment with no room")     \
	X(tcp, rcv_beyond_wnd, "bytes trimmed beyond the receive window")     \
	X(tcp, rcv_ring_full, "bytes dropped inside the window: receive ring full") \
	X(tcp, rcv_wnd_overcommit, "windows offered beyond the receive ring (never shrunk)") \
	X(tcp, delayed_acks, "delayed ACKs sent by the timer")                \
	X(tcp, retrans_segs, "segments retransmitted")                        \
	X(tcp, rto_timeouts, "retransmission timeouts")                       \
	X(tcp, syn_retrans, "SYN or SYN-ACK retransmissions")                 \
	X(tcp, fast_retrans, "fast retransmits (RFC 5681/6675)")              \
	X(tcp, recoveries, "fast recovery episodes")                          \
	X(tcp, sack_recoveries, "recoveries driven by SACK (RFC 6675)")       \
	X(tcp, persist_probes, "zero-window probes sent")                     \
	X(tcp, tlp_probes, "tail loss probes sent (RFC 8985 7)")              \
	X(tcp, tlp_recoveries, "tail loss probes answered: loss assumed, cwnd cut") \
	X(tcp, rack_lost, "segments marked lost by RACK (RFC 8985 6.2)")    \
	X(tcp, rack_reorder, "connections that saw reordering (RFC 8985 6.2 step 3)") \
	X(tcp, rack_reo_widened, "reordering windows widened by a D-SACK (RFC 8985 6.2 step 4)") \
	X(tcp, rack_timeouts, "RACK reorder timer expirations (RFC 8985 6.3)") \
	X(tcp, rescue_rtx, "rescue retransmissions (RFC 6675 4 NextSeg rule 4)") \
	X(tcp, dsack_rcvd, "D-SACKs received: data was sent twice (RFC 2883)") \
	X(tcp, txrec_full, "transmit records merged: none could be added")   \
	X(tcp, keepalive_probes, "keepalive probes sent")                     \
	X(tcp, timeouts, "connections dropped: ETIMEDOUT")                    \
	X(tcp, fin_wait2_timeouts, "orphans dropped after the FIN_WAIT_2 timeout") \
	X(tcp, tw_recycled, "TIME_WAIT entries recycled by the bound")        \
	X(tcp, tw_reused, "TIME_WAIT pairs reused by a newer SYN (RFC 6191)") \
	X(tcp, nomem_socks, "refused: socket limit reached")                  \
	X(tcp, mem_pressure, "buffer allocations short of tcp-mem-budget")    \
	X(tcp, rcv_nomem, "segments dropped: no memory for the receive buffer") \
	X(tcp, sb_nomem, "no memory for a scoreboard: an out-of-order segment dropped or SACK blocks ignored") \
	X(tcp, buf_grow_denied, "buffer autotuning held back by the budget")   \
	X(tcp, buf_grown, "socket buffers grown by autotuning or SO_*BUF")   \
	X(tcp, icmp_rx, "ICMP errors about TCP segments")                     \
	X(tcp, icmp_abort, "connections aborted by an ICMP error")            \
	X(tcp, neigh_failures, "connections opening failed: ARP got no answer") \
	X(tcp, pmtu_updates, "MSS lowered by ICMP fragmentation needed")      \
	X(tcp, zero_wnd_sent, "ACKs advertising a zero window")                \
	X(tcp, ecn_accepted, "ECN-setup SYNs agreed to (RFC 3168)")            \
	X(tcp, ecn_ce_rcvd, "segments received with a CE mark")              \
	X(tcp, ecn_ece_rcvd, "ACKs echoing a congestion mark (ECE)")         \
	X(tcp, ecn_cwr, "window reductions for an echoed mark (CWR)")        \
	X(tcp, fastopen_cookie_reqd, "Fast Open cookie requests received (RFC 7413)") \
	X(tcp, fastopen_passive, "Fast Open connections accepted from a SYN with a cookie") \
	X(tcp, fastopen_passive_fail, "Fast Open SYNs with a cookie not valid here") \
	X(tcp, fastopen_passive_altkey, "Fast Open cookies valid under the listener's backup key") \
	X(tcp, fastopen_listen_overflow, "Fast Open SYNs past the listener's TCP_FASTOPEN queue") \
	X(tcp, fastopen_active, "Fast Open SYNs whose data the peer acknowledged") \
	X(tcp, fastopen_active_fail, "Fast Open SYNs whose data the peer did not acknowledge") \
	X(tcp, fastopen_cookies_cached, "Fast Open cookies received and cached") \
	X(udp, rx, "UDP datagrams received")                                  \
	X(udp, rx_short, "dropped: shorter than a UDP header")                \
	X(udp, rx_bad_len, "dropped: UDP length field invalid")               \
	X(udp, rx_bad_cksum, "dropped: UDP checksum wrong")                   \
	X(udp, rx_no_cksum6, "dropped: UDP over IPv6 without a checksum")     \
	X(udp, rx_no_port, "datagrams for a closed port (port unreachable)")  \
	X(udp, rx_no_port_bcast, "dropped: broadcast for a closed port")      \
	X(udp, rx_rcvbuf, "dropped: socket receive buffer full")              \
	X(udp, rx_nomem, "dropped: no buffer to queue a datagram")            \
	X(udp, rx_delivered, "datagrams queued on a socket")                  \
	X(udp, tx, "UDP datagrams sent")                                      \
	X(udp, tx_nobufs, "not sent: link queue full or no buffer (ENOBUFS)") \
	X(udp, tx_nomem, "not sent: no buffer for the datagram")              \
	X(udp, tx_err, "not sent: IP output failed")                          \
	X(udp, no_ports, "refused: no ephemeral port left")                   \
	X(udp, icmp_rx, "ICMP errors about UDP datagrams")                    \
	X(udp, icmp_err, "ICMP errors reported to a socket")                 \
	X(dgram, errq_queued, "errors queued for MSG_ERRQUEUE (IP_RECVERR)")  \
	X(dgram, errq_full, "errors not queued: receive buffer full or no buffer") \
	X(dgram, tx_pending_err, "sends that reported a pending error instead") \
	X(ping, tx, "echo requests sent by ping sockets")                    \
	X(ping, rx_delivered, "echo replies queued on a ping socket")         \
	X(ping, rx_rcvbuf, "dropped: ping socket receive buffer full")        \
	X(ping, rx_nomem, "dropped: no buffer to queue an echo reply")        \
	X(ping, icmp_err, "ICMP errors reported to a ping socket")            \
	X(ping, no_idents, "refused: no echo identifier left")                \
	X(raw, tx, "datagrams sent by raw sockets")                           \
	X(raw, tx_err, "raw sends that failed")                               \
	X(raw, rx_delivered, "copies queued on raw sockets")                  \
	X(raw, rx_filtered, "copies not queued: ICMP_FILTER")                 \
	X(raw, rx_rcvbuf, "dropped: raw socket receive buffer full")          \
	X(raw, rx_nomem, "dropped: no buffer for a raw socket's copy")        \
	X(dhcp, rx, "DHCP messages to the client (port 67 to 68)")            \
	X(dhcp, rx_short, "dropped: DHCP message truncated (shorter than 240 bytes)") \
	X(dhcp, rx_bad_cookie, "dropped: DHCP magic cookie missing")          \
	X(dhcp, rx_bad_option, "dropped: DHCP option past the end or of a wrong length") \
	X(dhcp, rx_no_type, "dropped: DHCP message type missing or unknown")  \
	X(dhcp, rx_not_reply, "dropped: not a BOOTREPLY for Ethernet")        \
	X(dhcp, rx_bad_chaddr, "dropped: DHCP reply for another client's MAC") \
	X(dhcp, rx_bad_xid, "dropped: DHCP reply with a transaction id not ours") \
	X(dhcp, rx_unexpected, "dropped: DHCP reply of a type not expected in this state") \
	X(dhcp, rx_other_server, "dropped: reply from a server we did not choose") \
	X(dhcp, rx_bad_yiaddr, "dropped: OFFER or ACK with an unusable address") \
	X(dhcp, rx_no_server_id, "dropped: OFFER without a server identifier") \
	X(dhcp, rx_no_lease, "dropped: ACK without a lease time")             \
	X(dhcp, rx_offer, "DHCP offers taken")                                \
	X(dhcp, rx_ack, "DHCP ACKs taken")                                    \
	X(dhcp, rx_nak, "DHCP NAKs (the lease or request refused)")           \
	X(dhcp, tx_discover, "DHCPDISCOVERs sent")                            \
	X(dhcp, tx_request, "DHCPREQUESTs sent")                              \
	X(dhcp, tx_decline, "DHCPDECLINEs sent (an offered address in use)")  \
	X(dhcp, tx_release, "DHCPRELEASEs sent")                              \
	X(dhcp, tx_nomem, "DHCP messages not sent: no buffer")                \
	X(dhcp, retrans, "DISCOVERs and REQUESTs sent again (no answer)")     \
	X(dhcp, request_timeouts, "REQUESTs unanswered: back to DISCOVER")   \
	X(dhcp, conflicts, "offered addresses another host answered for (RFC 5227)") \
	X(dhcp, leases, "leases put in force (address added)")               \
	X(dhcp, renewals, "renewals started at T1")                           \
	X(dhcp, rebinds, "rebindings started at T2")                          \
	X(dhcp, expired, "leases expired: the address taken away")            \
	X(dns, queries, "queries programs sent to a steered nameserver (the stub's)") \
	X(dns, answered, "answers relayed from a DNS server")                 \
	X(dns, mdns_answered, "answers for .local names from mDNS responders") \
	X(dns, local, "answers about our own NAME.local, made by the stub")   \
	X(dns, retrans, "queries asked again (no answer in time)")            \
	X(dns, servfail, "SERVFAIL answered: no DNS server answered")        \
	X(dns, nxdomain, "NXDOMAIN answered: no mDNS responder answered")     \
	X(dns, formerr, "FORMERR answered: a query the stub cannot read")     \
	X(dns, full, "SERVFAIL answered at once: too many queries in flight") \
	X(dns, malformed, "dropped: query or answer not a DNS message")       \
	X(dns, rx_unmatched, "dropped: answer to no query in flight (id, server or question)") \
	X(dns, no_socket, "dropped: the asking socket was gone when the answer came") \
	X(dns, tx_err, "sends to a server that failed (the next one asked)") \
	X(dns, tcp_redirected, "TCP connects to a steered nameserver sent to the link's server") \
	X(dns, unreachable, "tries a server refused (ICMP unreachable): the next one at once") \
	X(mdns, rx, "mDNS messages to port 5353 the responder read")          \
	X(mdns, rx_ours, "queries for our NAME.local")                        \
	X(mdns, rx_malformed, "dropped: mDNS message malformed")             \
	X(mdns, rx_ignored, "ignored: opcode or rcode not 0 (RFC 6762 18)")   \
	X(mdns, tx_answer, "answers sent about NAME.local")                   \
	X(mdns, tx_probe, "probes sent for NAME.local (RFC 6762 8.1)")        \
	X(mdns, tx_announce, "announcements sent (RFC 6762 8.3)")             \
	X(mdns, conflicts, "another host answered for our name while we probed: renamed") \
	X(mdns, tx_err, "mDNS messages that could not be sent")

struct stack_counters {
#define X(group, name, desc) uint64_t group##_##name;
	STACK_COUNTERS(X)
#undef X
};

struct counter_desc {
	const char *group;
	const char *name;
	const char *desc;
	size_t offset;
};

extern const struct counter_desc stack_counter_desc[];
extern const unsigned stack_counter_count;

#endif
