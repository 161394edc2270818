#!/usr/bin/env bash
# ustackd attached through libpcap to an existing interface: one end of a
# veth pair whose other end is the kernel's, both in a namespace of our own.
source "$(dirname "$0")/lib.sh"
need_root "20-pcap"

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
SOCK=$TMP/ctl.sock
LOG=$TMP/ustackd.log
US=192.0.2.2
KERNEL=192.0.2.1

in_ns ip link add ustk-a type veth peer name ustk-b
for dev in ustk-a ustk-b; do
	# wire-exact frames: no TSO/GSO/GRO, no partial checksums (ENV.md)
	in_ns ethtool -K $dev tx off tso off gso off gro off >/dev/null 2>&1
	in_ns ip link set $dev up
done
in_ns ip addr add $KERNEL/24 dev ustk-b

start_ustackd "$NS" "$LOG" "$SOCK" --pcap ustk-a --addr $US/24 \
	|| { fail "ustackd starts on pcap ustk-a"; summary; exit 1; }
ok "ustackd attaches to ustk-a through libpcap"

out=$(in_ns arping -c 3 -w 5 -I ustk-b $US)
check "arping over the veth: 3 answered" grep -q '3 packets received' <<<"$out"
out=$(in_ns ping -n -c 20 -i 0.05 -W 5 $US)
check "ping over the veth: 20 of 20 answered" grep -q '20 received' <<<"$out"
out=$(in_ns ping -n -c 3 -i 0.2 -W 2 -s 20000 $US)
check "ping -s 20000 over the veth: 3 of 3 answered" grep -q '3 received' <<<"$out"

stop_ustackd "$DPID"
check "SIGTERM: exit status 0" test $? -eq 0
check "the veth it attached to is left in place" bash -c "ip netns exec $NS ip link show ustk-a >/dev/null"
replies=$(log_value "$LOG" "counters icmp:" tx_echo_reply)
check "23 echo replies counted (${replies:-0})" test "${replies:-0}" -eq 23

summary
