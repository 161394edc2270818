#!/usr/bin/env bash
# ECN (RFC 3168) against the Linux kernel, both roles. The kernel asks for
# it (net.ipv4.tcp_ecn = 1 in the namespace) of a server on ustack, which
# agrees by default (tcp-ecn = server, Linux's default): the capture shows
# the ECN-setup SYN and SYN-ACK and ECT(0) on the data both ways, bare
# ACKs not ECT. Then ustack asks (tcp-ecn = yes, set by a reload) of a
# kernel server, which agrees, and TCP_INFO says so; with tcp-ecn = no
# ustack refuses a kernel that asks, and its data is not ECT. (The
# kernel's ss is no witness here: this kernel's ss prints no options.)
source "$(dirname "$0")/lib.sh"
need_root "44-ecn"

B=$PWD/$BUILD
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
CONF=$TMP/ustackd.conf
CAP=$TMP/ecn.pcap
new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
ur() { in_ns timeout 30 "$B/ustack-run" --socket "$SOCK" "$@"; }
C() { "$B/ustackctl" --socket "$SOCK" "$@"; }

printf 'tap = ustk0\naddr = %s/24\n' "$US" >"$CONF"
ip netns exec "$NS" "$USTACKD" --foreground --config "$CONF" --socket "$SOCK" \
	--capture "$CAP" 2>"$TMP/ustackd.log" &
DPID=$!
PIDS+=("$DPID")
wait_for 10 test -S "$SOCK" || { fail "ustackd starts"; cat "$TMP/ustackd.log"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0
in_ns ip link set ustk0 up
in_ns sysctl -qw net.ipv4.tcp_ecn=1
check "the default: tcp-ecn = server" bash -c "'$B/ustackctl' --socket '$SOCK' config | grep -qx 'tcp-ecn = server'"
head -c 300000 /dev/urandom >"$TMP/data"

# echo: what the kernel sends comes back
echo_through() {   # echo_through HOST PORT LABEL
	in_ns timeout 20 socat -t 3 - TCP4:"$1":"$2" <"$TMP/data" >"$TMP/back.$3" 2>&1
}
# the capture (ustackd writes it as it goes): pkt FILTER
pkt() { tcpdump -r "$CAP" -n -v "$@" 2>/dev/null; }

# ---- the kernel asks, ustack serves -----------------------------------
in_ns timeout 60 "$B/ustack-run" --socket "$SOCK" socat TCP4-LISTEN:9000,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 bash -c "'$B/ustackctl' --socket '$SOCK' netstat -n --state listen | grep -q ':9000 '"
echo_through $US 9000 srv
check "kernel client, server on ustack: 300 kB echoed intact" cmp -s "$TMP/data" "$TMP/back.srv"
syn=$(pkt "tcp port 9000 and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0" | grep -A1 "$KERNEL" | tail -n1)
check "the kernel's SYN: ECE and CWR (${syn//$'\n'/ })" grep -q "Flags \[SEW\]" <<<"$syn"
sa=$(pkt "tcp port 9000 and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack != 0" | grep -A1 "$US" | tail -n1)
check "our SYN-ACK: ECE alone (${sa//$'\n'/ })" grep -q "Flags \[S.E\]" <<<"$sa"
ect_us=$(pkt "src host $US and tcp port 9000 and greater 200" | grep -c "ECT(0)")
not_us=$(pkt "src host $US and tcp port 9000 and greater 200" | grep -c "tos 0x0,")
check "our data is ECT(0) ($ect_us segments, $not_us not)" test "$ect_us" -gt 10 -a "$not_us" -eq 0
ect_k=$(pkt "src host $KERNEL and tcp port 9000 and greater 200" | grep -c "ECT(0)")
check "the kernel's data is ECT(0) too ($ect_k segments)" test "$ect_k" -gt 10
acks=$(pkt "src host $US and tcp port 9000 and less 80" | grep -c "ECT(0)")
check "our bare ACKs are not ECT ($acks ECT)" test "$acks" -eq 0
n=$(C stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["tcp"]["ecn_accepted"])')
check "ustackctl stats: tcp ecn_accepted ($n)" test "$n" -ge 1

# ---- ustack asks (tcp-ecn = yes by a reload), the kernel serves --------
in_ns sysctl -qw net.ipv4.tcp_ecn=2
printf 'tcp-ecn = yes\n' >>"$CONF"
kill -HUP "$DPID"
wait_for 5 bash -c "'$B/ustackctl' --socket '$SOCK' config | grep -qx 'tcp-ecn = yes'"
check "SIGHUP: tcp-ecn = yes in force" bash -c "'$B/ustackctl' --socket '$SOCK' config | grep -qx 'tcp-ecn = yes'"
in_ns timeout 60 socat TCP4-LISTEN:9001,reuseaddr,fork,bind=$KERNEL EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 bash -c "ip netns exec $NS ss -Htln 'sport = :9001' | grep -q ."
ur socat -t 3 - TCP4:$KERNEL:9001 <"$TMP/data" >"$TMP/back.cl" 2>&1
check "client on ustack, kernel server: 300 kB echoed intact" cmp -s "$TMP/data" "$TMP/back.cl"
syn=$(pkt "tcp dst port 9001 and tcp[tcpflags] & tcp-syn != 0" | grep -A1 "$US" | tail -n1)
check "our SYN: ECE and CWR (${syn//$'\n'/ })" grep -q "Flags \[SEW\]" <<<"$syn"
sa=$(pkt "tcp src port 9001 and tcp[tcpflags] & tcp-syn != 0" | grep -A1 "$KERNEL" | tail -n1)
check "the kernel's SYN-ACK: ECE (${sa//$'\n'/ })" grep -q "Flags \[S.E\]" <<<"$sa"
ect_k=$(pkt "src host $KERNEL and tcp src port 9001 and greater 200" | grep -c "ECT(0)")
ect_us=$(pkt "src host $US and tcp dst port 9001 and greater 200" | grep -c "ECT(0)")
check "data both ways ECT(0) (ours $ect_us, the kernel's $ect_k)" test "$ect_us" -gt 10 -a "$ect_k" -gt 10
info=$(ur python3 -c '
import socket, struct, sys
s = socket.create_connection((sys.argv[1], 9001))
s.sendall(b"x" * 1000); s.recv(1000)
i = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
print("options", i[5])' $KERNEL 2>&1)
check "TCP_INFO on ustack: tcpi_options has TCPI_OPT_ECN and ECN_SEEN ($info)" \
	bash -c "o=\${1#options }; [ \$((o & 24)) -eq 24 ]" _ "$info"
# ustackctl netstat -e names them as ss -i does, with the congestion state
(head -c 5000 /dev/zero; sleep 3) | ur socat - TCP4:$KERNEL:9001 >/dev/null 2>&1 &
held=$!
estab_ecn() { C netstat -e -n --port 9001 --state established | grep -q ecnseen; }
wait_for 3 estab_ecn
out=$(C netstat -e -n --port 9001 --state established | grep -m1 " cwnd ")
check "ustackctl netstat -e: ts sack wscale ecn ecnseen open ($out)" \
	grep -q "ts sack wscale ecn ecnseen open$" <<<"$out"
wait "$held"

# ---- tcp-ecn = no: a kernel that asks gets no ECN ----------------------
sed -i 's/^tcp-ecn = yes$/tcp-ecn = no/' "$CONF"
kill -HUP "$DPID"
wait_for 5 bash -c "'$B/ustackctl' --socket '$SOCK' config | grep -qx 'tcp-ecn = no'"
in_ns sysctl -qw net.ipv4.tcp_ecn=1
echo_through $US 9000 off
check "tcp-ecn = no: echoed intact" cmp -s "$TMP/data" "$TMP/back.off"
sa=$(pkt "tcp src port 9000 and tcp[tcpflags] & tcp-syn != 0" | grep -A1 "$US" | tail -n1)
check "tcp-ecn = no: our SYN-ACK says no (${sa//$'\n'/ })" grep -q "Flags \[S\.\]" <<<"$sa"
last=$(pkt "src host $KERNEL and tcp dst port 9000 and greater 200" | tail -n 2 | head -n1)
check "tcp-ecn = no: the kernel's data is not ECT (${last%%,*})" grep -q "tos 0x0," <<<"$last"

check "ustackd still runs" kill -0 "$DPID"
stop_ustackd "$DPID"
summary
