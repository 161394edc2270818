#!/usr/bin/env bash
# make bench: ustack against the Linux kernel, measured in the same run:
# ICMP echo latency and rate, TCP bulk throughput (iperf3), connection
# setup rate both ways, and the memory of an idle connection.
#
# Two paths, each in namespaces of our own, each driven by the same kernel
# tools from the same side:
#   ustack:  kernel --TAP--> ustackd           (192.0.2.0/24)
#   kernel:  kernel --veth--> kernel namespace (198.51.100.0/24)
# Every figure is printed with its ratio ustack/kernel (for times, lower is
# better; for rates, higher). Loads are bounded in count and time.
# Usage: run.sh [BUILD_DIR]
set -u
BUILD=${1:-build}
USTACKD=$PWD/$BUILD/ustackd
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/ustack-bench.XXXXXX)
NS_U=ustk-bu-$$ NS_K1=ustk-bk1-$$ NS_K2=ustk-bk2-$$
DPID=
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for ns in $NS_U $NS_K1 $NS_K2; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
quiet_ns() {
	ip netns add "$1" && ip netns exec "$1" ip link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

quiet_ns $NS_U
ip netns exec $NS_U "$USTACKD" -f --tap ustk0 --addr 192.0.2.2/24 \
	--socket "$TMP/ctl.sock" 2>"$TMP/ustackd.log" &
DPID=$!
for _ in $(seq 100); do [ -S "$TMP/ctl.sock" ] && break; sleep 0.05; done
ip netns exec $NS_U ip addr add 192.0.2.1/24 dev ustk0

quiet_ns $NS_K1; quiet_ns $NS_K2
ip link add ustk-bv1 netns $NS_K1 type veth peer name ustk-bv2 netns $NS_K2
ip netns exec $NS_K1 ip addr add 198.51.100.1/24 dev ustk-bv1
ip netns exec $NS_K2 ip addr add 198.51.100.2/24 dev ustk-bv2
ip netns exec $NS_K1 ip link set ustk-bv1 up
ip netns exec $NS_K2 ip link set ustk-bv2 up
# the kernel peer answers pings as ustack does: no rate limit on echo
ip netns exec $NS_K2 sysctl -qw net.ipv4.icmp_ratelimit=0

U() { ip netns exec $NS_U "$@"; }
K() { ip netns exec $NS_K1 "$@"; }
K2() { ip netns exec $NS_K2 "$@"; }
U ping -c 3 -q 192.0.2.2 >/dev/null; K ping -c 3 -q 198.51.100.2 >/dev/null

# avg RTT in microseconds of COUNT pings of SIZE bytes, back to back
rtt() { # ns-runner dst size count
	"$1" ping -n -q -A -c "$4" -s "$3" -W 1 "$2" |
		awk -F'[/ ]' '/^rtt/ {printf "%.1f", $8 * 1000}'
}
# echo requests per second, flooding COUNT of SIZE bytes
rate() {
	local t0 t1
	t0=$(date +%s.%N)
	"$1" ping -n -q -f -c "$4" -s "$3" -W 1 "$2" >"$TMP/flood" 2>&1
	t1=$(date +%s.%N)
	local recv
	recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/flood")
	awk -v n="${recv:-0}" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}'
}
row() { # name unit ustack kernel better(lower|higher)
	awk -v n="$1" -v u="$2" -v x="$3" -v k="$4" -v b="$5" 'BEGIN {
		r = (k > 0) ? x / k : 0
		printf "%-42s %10s %10s %7.2f  (%s is better)\n", n " (" u ")", x, k, r, b }'
}

printf '%-42s %10s %10s %7s\n' "benchmark" "ustack" "kernel" "ratio"
row "ping RTT, 56 bytes" "us" "$(rtt U 192.0.2.2 56 2000)" "$(rtt K 198.51.100.2 56 2000)" lower
row "ping RTT, 1472 bytes" "us" "$(rtt U 192.0.2.2 1472 2000)" "$(rtt K 198.51.100.2 1472 2000)" lower
row "ping RTT, 20000 bytes (fragments)" "us" "$(rtt U 192.0.2.2 20000 500)" "$(rtt K 198.51.100.2 20000 500)" lower
row "echo rate, 56 bytes" "req/s" "$(rate U 192.0.2.2 56 50000)" "$(rate K 198.51.100.2 56 50000)" higher
row "echo rate, 20000 bytes" "req/s" "$(rate U 192.0.2.2 20000 5000)" "$(rate K 198.51.100.2 20000 5000)" higher
# TCP bulk: iperf3 for 5 s each way, ustack's client against the kernel's
# server over the TAP; the kernel's own client over the veth
RUN=$PWD/$BUILD/ustack-run
iperf_srv() { # ns-runner addr port
	"$1" timeout 30 iperf3 -s -1 -B "$2" -p "$3" >/dev/null 2>&1 &
	for _ in $(seq 100); do "$1" ss -Htln "sport = :$3" | grep -q . && return; sleep 0.05; done
}
gbits() { python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null || echo 0; }
iperf_srv U 192.0.2.1 5201
u_up=$(U timeout 30 "$RUN" --socket "$TMP/ctl.sock" iperf3 -c 192.0.2.1 -p 5201 -t 5 -J 2>/dev/null | gbits)
iperf_srv U 192.0.2.1 5202
u_down=$(U timeout 30 "$RUN" --socket "$TMP/ctl.sock" iperf3 -c 192.0.2.1 -p 5202 -t 5 -R -J 2>/dev/null | gbits)
iperf_srv K2 198.51.100.2 5201
k_up=$(K timeout 30 iperf3 -c 198.51.100.2 -p 5201 -t 5 -J 2>/dev/null | gbits)
iperf_srv K2 198.51.100.2 5202
k_down=$(K timeout 30 iperf3 -c 198.51.100.2 -p 5202 -t 5 -R -J 2>/dev/null | gbits)
row "TCP bulk send, iperf3 5 s" "Gbit/s" "$u_up" "$k_up" higher
row "TCP bulk receive, iperf3 -R 5 s" "Gbit/s" "$u_down" "$k_down" higher

# TCP connection setup: 2000 connect/send/close from a python3 client
cps_py=$(cat <<'PY'
import socket, sys, time
dst = (sys.argv[1], int(sys.argv[2])); n = 2000
t = time.time()
for _ in range(n):
    c = socket.create_connection(dst); c.sendall(b"x"); c.close()
print("%.0f" % (n / (time.time() - t)))
PY
)
sink_py=$(cat <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4096); s.settimeout(30)
for _ in range(2000):
    c, _ = s.accept(); c.recv(10); c.close()
PY
)
U timeout 60 python3 -c "$sink_py" 192.0.2.1 7000 &
SINKS=($!)
sleep 0.3
u_cps=$(U timeout 60 "$RUN" --socket "$TMP/ctl.sock" python3 -c "$cps_py" 192.0.2.1 7000)
ip netns exec $NS_K2 timeout 60 python3 -c "$sink_py" 198.51.100.2 7000 &
SINKS+=($!)
sleep 0.3
k_cps=$(K timeout 60 python3 -c "$cps_py" 198.51.100.2 7000)
row "TCP connections, connect+send+close" "conn/s" "${u_cps:-0}" "${k_cps:-0}" higher
wait "${SINKS[@]}"	# not a bare wait: ustackd is a background job too

# TCP servers: the kernel's clients against a server under ustack-run and
# the same server on the kernel: new connections per second (connect, one
# byte echoed, close; churn.c), and the memory of 5000 idle connections
# (ustack: the daemon's resident growth; kernel: its TCP and socket slab
# objects, from /proc/slabinfo: root only, 0 if unreadable)
HOLD=$PWD/test/integration/scale
CHURN=$PWD/$BUILD/test/integration/scale/churn
# not through U/K2: a function in the background is a subshell, and its
# pid is not the server's
ip netns exec $NS_U timeout 300 "$RUN" --socket "$TMP/ctl.sock" python3 "$HOLD/hold_server.py" 192.0.2.2 7100 &
SRV_U=$!
ip netns exec $NS_K2 timeout 300 python3 "$HOLD/hold_server.py" 198.51.100.2 7100 &
SRV_K=$!
# up when one cycle succeeds (bounded); a first round warms both up, the
# second is measured
for _ in $(seq 50); do U "$CHURN" 192.0.2.2 7100 1 >/dev/null 2>&1 && break; sleep 0.2; done
for _ in $(seq 50); do K "$CHURN" 198.51.100.2 7100 1 >/dev/null 2>&1 && break; sleep 0.2; done
cps() { "$1" "$CHURN" "$2" 7100 "$3" | sed -n 's/.*(\([0-9]*\) per s).*/\1/p'; }
cps U 192.0.2.2 500 >/dev/null; cps K 198.51.100.2 500 >/dev/null
row "TCP server: new connections, echo 1 byte" "conn/s" "$(cps U 192.0.2.2 5000)" "$(cps K 198.51.100.2 5000)" higher
slab_bytes() { # the kernel's bytes in TCP and socket-inode slab objects
	awk '$1 == "TCP" || $1 == "sock_inode_cache" { b += $2 * $4 } END { print b + 0 }' /proc/slabinfo 2>/dev/null || echo 0
}
mkfifo "$TMP/go_u" "$TMP/go_k"
r0=$(awk '/^VmRSS/ {print $2 * 1024}' /proc/$DPID/status)
U timeout 120 python3 "$HOLD/hold_client.py" hold 192.0.2.2 7100 5000 "$TMP/go_u" >"$TMP/hold_u" 2>&1 &
HU=$!
for _ in $(seq 1200); do grep -q held "$TMP/hold_u" && break; kill -0 $HU 2>/dev/null || break; sleep 0.1; done
r1=$(awk '/^VmRSS/ {print $2 * 1024}' /proc/$DPID/status)
echo >"$TMP/go_u"; wait $HU
s0=$(slab_bytes)
K timeout 120 python3 "$HOLD/hold_client.py" hold 198.51.100.2 7100 5000 "$TMP/go_k" >"$TMP/hold_k" 2>&1 &
HK=$!
for _ in $(seq 1200); do grep -q held "$TMP/hold_k" && break; kill -0 $HK 2>/dev/null || break; sleep 0.1; done
s1=$(slab_bytes)
echo >"$TMP/go_k"; wait $HK
# the kernel holds both ends of each connection in its slabs (client and
# server namespaces): half of the growth is the server's
row "memory per idle connection, server side" "bytes" "$(( (r1 - r0) / 5000 ))" "$(( (s1 - s0) / 2 / 5000 ))" lower
kill -TERM $SRV_U $SRV_K 2>/dev/null; wait $SRV_U $SRV_K 2>/dev/null

rss=$(awk '/^VmRSS/ {print $2}' /proc/$DPID/status)
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$DPID/status)
printf '%-42s %10s\n' "ustackd resident memory (KiB)" "$rss"
printf '%-42s %10s\n' "ustackd peak resident (KiB)" "$hwm"
kill -TERM "$DPID"; wait "$DPID"; DPID=
grep -E 'counters (eth|frag|icmp|tcp)' "$TMP/ustackd.log" | sed 's/^[^ ]* ustackd info: /  /' | cut -c1-200
