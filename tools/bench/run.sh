#!/usr/bin/env bash
# make bench: ustack against the Linux kernel, measured in the same run
# (issue 10). Benchmarks (BENCH_ONLY names):
#   ping          ICMP echo RTT, 56, 1472 and 20000 bytes (fragments)
#   echo-rate     ICMP echo requests per second, flooded
#   sockperf-tcp  sockperf TCP ping-pong latency: avg, p50, p99 (half RTT)
#   sockperf-udp  the same over UDP
#   iperf3-tcp    TCP bulk throughput, both directions
#   iperf3-udp    UDP throughput (-b 0), both directions, received rate
#   nginx         wrk -c32 -t2 against nginx: keep-alive, and a new
#                 connection per request (Connection: close)
#   redis         redis-benchmark -t get -c 32 against redis-server
#   connect       TCP connect+send+close per second, client on the stack
#   accept        TCP server: new connections per second (churn)
#   idle-memory   memory of an idle connection, server side (one round:
#                 the daemon keeps what it grew, a second round sees none)
#   supervisor    socket calls through ustack-run's supervisor (a static
#                 program) and through the shim (the same program built
#                 dynamically): connect+close, sendto, accept per second
#
# Two paths, each in namespaces of our own, the same kernel tools driving
# both from the same side:
#   ustack:  kernel --TAP--> ustackd           (192.0.2.0/24)
#   kernel:  kernel --veth--> kernel namespace (198.51.100.0/24)
# Servers on the stack run under ustack-run, their kernel clients in the
# TAP's namespace; for bulk transfers the client runs under ustack-run and
# the server on the kernel. The kernel path runs the same server and client
# in two namespaces joined by a veth.
#
# Rounds are interleaved (ustack, kernel, ustack, kernel, ...); the figure
# printed is the median of the rounds. The ratio is oriented so that higher
# is better for ustack everywhere: ustack/kernel for rates and throughput,
# kernel/ustack for latencies and memory.
#
# Environment: BENCH_ROUNDS (3), BENCH_SECONDS (5, per timed run),
# BENCH_ONLY (comma list of the names above), BENCH_OUT (BUILD/bench):
# where bench.json and bench.png are written.
# ping's RTTs are printed to the microsecond: over a veth the kernel's are
# a few microseconds, so their ratios are coarse.
# Every load is bounded in time; a figure that cannot be measured is
# reported as n/a, a missing program as skipped. The script fails only when
# its setup does (root, namespaces, the daemon, the output directory).
# Usage: run.sh [BUILD_DIR]
set -u
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-5}
ONLY=${BENCH_ONLY:-}
OUT=${BENCH_OUT:-$BUILD/bench}
USTACKD=$BUILD/ustackd
RUN=$BUILD/ustack-run
CTL=$BUILD/ustackctl
BENCHES="ping echo-rate sockperf-tcp sockperf-udp iperf3-tcp iperf3-udp nginx redis connect accept idle-memory supervisor"

die() { echo "bench: $*" >&2; exit 1; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, not '$ROUNDS'"
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer, not '$SECS'"
for b in ${ONLY//,/ }; do
	[[ " $BENCHES " == *" $b "* ]] || die "BENCH_ONLY: no benchmark '$b' (names: ${BENCHES// /,})"
done
want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces)"
for f in "$USTACKD" "$RUN" "$CTL"; do
	[ -x "$f" ] || die "$f is not built (make all BUILD=...)"
done
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

TMP=$(mktemp -d /tmp/ustack-bench.XXXXXX) || die "mktemp"
chmod 711 "$TMP"	# nginx's workers drop root and read their files here
SOCK=$TMP/ctl.sock
NS_U=ustk-bu-$$ NS_K1=ustk-bk1-$$ NS_K2=ustk-bk2-$$
US=192.0.2.2 US_PEER=192.0.2.1 K_CLI=198.51.100.1 K_SRV=198.51.100.2
DPID=
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for ns in $NS_U $NS_K1 $NS_K2; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- setup: any failure here is the run's failure -----------------------
quiet_ns() {
	ip netns add "$1" && ip netns exec "$1" ip link set lo up &&
		ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
		ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}
quiet_ns $NS_U || die "cannot create namespace $NS_U"
ip netns exec $NS_U "$USTACKD" -f --tap ustk0 --addr $US/24 \
	--socket "$SOCK" 2>"$TMP/ustackd.log" &
DPID=$!
for _ in $(seq 200); do [ -S "$SOCK" ] && break; kill -0 $DPID 2>/dev/null || break; sleep 0.05; done
[ -S "$SOCK" ] || { tail -n5 "$TMP/ustackd.log" >&2; die "ustackd did not start"; }
ip netns exec $NS_U ip addr add $US_PEER/24 dev ustk0 || die "address on the TAP"

{ quiet_ns $NS_K1 && quiet_ns $NS_K2; } || die "cannot create the kernel namespaces"
{ ip link add ustk-bv1 netns $NS_K1 type veth peer name ustk-bv2 netns $NS_K2 &&
	ip -n $NS_K1 addr add $K_CLI/24 dev ustk-bv1 &&
	ip -n $NS_K2 addr add $K_SRV/24 dev ustk-bv2 &&
	ip -n $NS_K1 link set ustk-bv1 up &&
	ip -n $NS_K2 link set ustk-bv2 up; } || die "cannot set up the veth pair"
# the kernel peer answers pings as ustack does: no rate limit on echo
ip netns exec $NS_K2 sysctl -qw net.ipv4.icmp_ratelimit=0

U() { ip netns exec $NS_U "$@"; }	# the kernel's side of the TAP
K1() { ip netns exec $NS_K1 "$@"; }	# the kernel path's client
K2() { ip netns exec $NS_K2 "$@"; }	# the kernel path's server
U timeout 10 ping -c 3 -q $US >/dev/null || die "ustack does not answer ping over the TAP"
K1 timeout 10 ping -c 3 -q $K_SRV >/dev/null || die "the veth path does not answer ping"

# --- rows: raw values per round, medians, ratios ------------------------
ROWS=()
declare -A R_BENCH R_NAME R_UNIT R_BETTER R_U R_K R_SKIP R_NOTE
defrow() { # id bench name unit better(lower|higher)
	ROWS+=("$1")
	R_BENCH[$1]=$2 R_NAME[$1]=$3 R_UNIT[$1]=$4 R_BETTER[$1]=$5
	R_U[$1]='' R_K[$1]='' R_SKIP[$1]='' R_NOTE[$1]=''
}
add() { # u|k id value: a value that is not a number is a failed round (NA)
	local v=${3:-}
	[[ $v =~ ^[0-9]+([.][0-9]+)?$ ]] || v=NA
	if [ "$1" = u ]; then R_U[$2]+="$v "; else R_K[$2]+="$v "; fi
}
median() { # values... (NA ignored) -> NA if none
	printf '%s\n' "$@" | grep -v '^NA$' | grep . | sort -g | awk '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "NA"; exit }
			m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			if (m >= 100) printf "%.0f\n", m
			else if (m >= 1) printf "%.2f\n", m
			else printf "%.3f\n", m
		}'
}
ratio() { # ustack kernel better
	awk -v x="$1" -v k="$2" -v b="$3" 'BEGIN {
		if (x == "NA" || k == "NA" || x + 0 == 0 || k + 0 == 0) { print "n/a"; exit }
		r = (b == "higher") ? x / k : k / x
		printf (r >= 0.1) ? "%.2f\n" : "%.2g\n", r }'
}
FMT='%-52s %10s %10s %7s\n'
print_header() {
	echo "ustack against the Linux kernel: median of $ROUNDS round(s), ${SECS} s per timed run"
	echo "ratio: higher is better for ustack everywhere (ustack/kernel for rates,"
	echo "kernel/ustack for latencies and memory); 1.00 is the kernel's figure"
	echo
	printf "$FMT" "benchmark" "ustack" "kernel" "ratio"
}
print_rows() { # bench: every row of it
	local id mu mk
	for id in "${ROWS[@]}"; do
		[ "${R_BENCH[$id]}" = "$1" ] || continue
		if [ -n "${R_SKIP[$id]}" ]; then
			printf '%-52s %s\n' "${R_NAME[$id]} (${R_UNIT[$id]})" "${R_SKIP[$id]}"
			continue
		fi
		# shellcheck disable=SC2086
		mu=$(median ${R_U[$id]}) mk=$(median ${R_K[$id]})
		printf "$FMT" "${R_NAME[$id]} (${R_UNIT[$id]})" "${mu/NA/n\/a}" "${mk/NA/n\/a}" \
			"$(ratio "$mu" "$mk" "${R_BETTER[$id]}")"
		[ -n "${R_NOTE[$id]}" ] && printf '    wrk socket errors, %s\n' "${R_NOTE[$id]}"
	done
}
skip() { # bench reason
	local id
	for id in "${ROWS[@]}"; do [ "${R_BENCH[$id]}" = "$1" ] && R_SKIP[$id]=$2; done
}
# need bench programs...: skip the bench when one is not installed
need() {
	local b=$1 p; shift
	for p; do
		if ! PATH=$PATH:/usr/sbin command -v "$p" >/dev/null; then
			skip "$b" "skipped: $p not installed"
			return 1
		fi
	done
}

# --- servers and probes --------------------------------------------------
# Servers live at most SRV_T seconds; each client run at most RUN_T.
RUN_T=$((SECS * 3 + 20))
SRV_T=$((ROUNDS * 2 * 2 * RUN_T + 60))
# srv_u LOG CMD...: a server on ustack; srv_k LOG CMD...: on the kernel
# path's server side; srv_p LOG CMD...: on the kernel side of the TAP.
# BGPID is the pid of timeout(1), which passes SIGTERM on to the server.
srv_u() { local log=$1; shift
	ip netns exec $NS_U timeout -k 5 $SRV_T "$RUN" --socket "$SOCK" "$@" >"$log" 2>&1 &
	BGPID=$!; PIDS+=("$BGPID"); }
srv_k() { local log=$1; shift
	ip netns exec $NS_K2 timeout -k 5 $SRV_T "$@" >"$log" 2>&1 &
	BGPID=$!; PIDS+=("$BGPID"); }
srv_p() { local log=$1; shift
	ip netns exec $NS_U timeout -k 5 $SRV_T "$@" >"$log" 2>&1 &
	BGPID=$!; PIDS+=("$BGPID"); }
stop() { local p; for p; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
# up PID PROBE...: poll PROBE until it succeeds (30 s) or PID has exited
up() {
	local pid=$1 end=$((SECONDS + 30)); shift
	while ((SECONDS < end)); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# tcp_answers RUNNER ADDR PORT: a connection is accepted
tcp_answers() { "$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
# kernel listeners (a probe connection would be taken for a test by iperf3)
k_listening() { "$1" ss -Htln "sport = :$2" | grep -q .; }
# u_ready/k_ready note a server that did not come up
fail_up() { # bench side log
	echo "  $1: the $2 server did not come up: $(tail -n1 "$3" 2>/dev/null | cut -c1-120)" >&2
}
# client runs: c_u (ustack's side: a kernel client over the TAP, or a
# client under ustack-run with cu_run), c_k (the kernel path's client)
c_u() { ip netns exec $NS_U timeout -k 5 $RUN_T "$@"; }
cu_run() { ip netns exec $NS_U timeout -k 5 $RUN_T "$RUN" --socket "$SOCK" "$@"; }
c_k() { ip netns exec $NS_K1 timeout -k 5 $RUN_T "$@"; }

# --- the benchmarks -------------------------------------------------------
defrow ping56 ping "ping RTT, 56 bytes" us lower
defrow ping1472 ping "ping RTT, 1472 bytes" us lower
defrow ping20000 ping "ping RTT, 20000 bytes (fragments)" us lower
# avg RTT in microseconds of COUNT pings of SIZE bytes, back to back
rtt() { # runner dst size count
	"$1" timeout 60 ping -n -q -A -c "$4" -s "$3" -W 1 "$2" |
		awk -F'[/ ]' '/^rtt/ {printf "%.1f", $8 * 1000}'
}
b_ping() {
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		add u ping56 "$(rtt U $US 56 2000)"
		add k ping56 "$(rtt K1 $K_SRV 56 2000)"
		add u ping1472 "$(rtt U $US 1472 2000)"
		add k ping1472 "$(rtt K1 $K_SRV 1472 2000)"
		add u ping20000 "$(rtt U $US 20000 500)"
		add k ping20000 "$(rtt K1 $K_SRV 20000 500)"
	done
}

defrow rate56 echo-rate "echo rate, 56 bytes" req/s higher
defrow rate20000 echo-rate "echo rate, 20000 bytes" req/s higher
# echo requests per second, flooding COUNT of SIZE bytes
rate() { # runner dst size count
	local t0 t1 recv
	t0=$(date +%s.%N)
	"$1" timeout 60 ping -n -q -f -c "$4" -s "$3" -W 1 "$2" >"$TMP/flood" 2>&1
	t1=$(date +%s.%N)
	recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/flood")
	awk -v n="${recv:-0}" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}'
}
b_echo_rate() {
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		add u rate56 "$(rate U $US 56 50000)"
		add k rate56 "$(rate K1 $K_SRV 56 50000)"
		add u rate20000 "$(rate U $US 20000 5000)"
		add k rate20000 "$(rate K1 $K_SRV 20000 5000)"
	done
}

for proto in tcp udp; do
	P=${proto^^}
	defrow sp-$proto-avg sockperf-$proto "sockperf $P latency, avg" us lower
	defrow sp-$proto-p50 sockperf-$proto "sockperf $P latency, p50" us lower
	defrow sp-$proto-p99 sockperf-$proto "sockperf $P latency, p99" us lower
done
# sockperf's latencies are half the round trip (its default report)
sp_parse() { # side proto log
	local clean
	clean=$(sed 's/\x1b\[[0-9;]*m//g' "$3")
	add "$1" sp-$2-avg "$(sed -n 's/.*avg-latency=\([0-9.]*\).*/\1/p' <<<"$clean" | tail -n1)"
	add "$1" sp-$2-p50 "$(sed -n 's/.*percentile 50\.000 = *\([0-9.]*\).*/\1/p' <<<"$clean" | tail -n1)"
	add "$1" sp-$2-p99 "$(sed -n 's/.*percentile 99\.000 = *\([0-9.]*\).*/\1/p' <<<"$clean" | tail -n1)"
}
# sp_answers RUNNER ADDR PORT OPT: a short ping-pong gets its replies back
# (also the server's warm-up)
sp_answers() {
	local out
	out=$("$1" timeout 5 sockperf ping-pong -i "$2" -p "$3" $4 -t 1 2>&1)
	[[ $out =~ ReceivedMessages=([1-9][0-9]*) ]]
}
b_sockperf() { # proto
	local proto=$1 opt='' port=11111 r su sk
	[ "$proto" = tcp ] && opt=--tcp
	[ "$proto" = udp ] && port=11112
	srv_u "$TMP/sp-u.log" sockperf server -i $US -p $port $opt; su=$BGPID
	srv_k "$TMP/sp-k.log" sockperf server -i $K_SRV -p $port $opt; sk=$BGPID
	up $su sp_answers U $US $port "$opt" || fail_up sockperf-$proto ustack "$TMP/sp-u.log"
	up $sk sp_answers K1 $K_SRV $port "$opt" || fail_up sockperf-$proto kernel "$TMP/sp-k.log"
	for ((r = 1; r <= ROUNDS; r++)); do
		c_u sockperf ping-pong -i $US -p $port $opt -t $SECS >"$TMP/sp.log" 2>&1
		sp_parse u $proto "$TMP/sp.log"
		c_k sockperf ping-pong -i $K_SRV -p $port $opt -t $SECS >"$TMP/sp.log" 2>&1
		sp_parse k $proto "$TMP/sp.log"
	done
	stop $su $sk
}
b_sockperf_tcp() { need sockperf-tcp sockperf && b_sockperf tcp; }
b_sockperf_udp() { need sockperf-udp sockperf && b_sockperf udp; }

defrow tcp-send iperf3-tcp "TCP send, iperf3" Gbit/s higher
defrow tcp-recv iperf3-tcp "TCP receive, iperf3 -R" Gbit/s higher
defrow udp-send iperf3-udp "UDP send, iperf3 -u -b 0, received" Gbit/s higher
defrow udp-recv iperf3-udp "UDP receive, iperf3 -u -b 0 -R, received" Gbit/s higher
# received Gbit/s from iperf3's JSON (UDP: what the receiver got)
gbits() {
	python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
s = e.get("sum_received") or e["sum"]
bps = s["bits_per_second"]
if "sum_received" not in e and "lost_percent" in s:
    bps *= 1 - s["lost_percent"] / 100
print("%.3f" % (bps / 1e9))' 2>/dev/null
}
# iperf_run side row args...: one client run; a busy server (the previous
# test still closing) is retried once
iperf_run() {
	local side=$1 row=$2 v; shift 2
	for _ in 1 2; do
		if [ "$side" = u ]; then
			v=$(cu_run iperf3 -c $US_PEER -p 5201 -t $SECS -J "$@" 2>/dev/null | gbits)
		else
			v=$(c_k iperf3 -c $K_SRV -p 5201 -t $SECS -J "$@" 2>/dev/null | gbits)
		fi
		[ -n "$v" ] && break
		sleep 1
	done
	add $side $row "$v"
}
b_iperf3() { # tcp|udp
	local r su sk opt=
	[ "$1" = udp ] && opt="-u -b 0"
	srv_p "$TMP/iperf-u.log" iperf3 -s -B $US_PEER -p 5201; su=$BGPID
	srv_k "$TMP/iperf-k.log" iperf3 -s -B $K_SRV -p 5201; sk=$BGPID
	up $su k_listening U 5201 || fail_up iperf3-$1 "TAP side" "$TMP/iperf-u.log"
	up $sk k_listening K2 5201 || fail_up iperf3-$1 kernel "$TMP/iperf-k.log"
	for ((r = 1; r <= ROUNDS; r++)); do
		# shellcheck disable=SC2086
		{
			iperf_run u $1-send $opt
			iperf_run k $1-send $opt
			iperf_run u $1-recv $opt -R
			iperf_run k $1-recv $opt -R
		}
	done
	stop $su $sk
}
b_iperf3_tcp() { need iperf3-tcp iperf3 python3 && b_iperf3 tcp; }
b_iperf3_udp() { need iperf3-udp iperf3 python3 && b_iperf3 udp; }

defrow nginx-ka nginx "nginx keep-alive, wrk -c32 -t2" req/s higher
defrow nginx-close nginx "nginx new connection per request, wrk" req/s higher
ngx_conf() { # dir addr
	mkdir -p "$1/www" "$1/logs" "$1/tmp"
	# a small file: 512 bytes
	head -c 511 /dev/zero | tr '\0' x >"$1/www/index.html"; echo >>"$1/www/index.html"
	chmod -R a+rX "$1"
	cat >"$1/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	client_body_temp_path $1/tmp;
	proxy_temp_path $1/tmp;
	fastcgi_temp_path $1/tmp;
	uwsgi_temp_path $1/tmp;
	scgi_temp_path $1/tmp;
	server { listen $2:8080; root $1/www; }
}
CONF
}
# wrk_run side row extra...: requests per second; socket errors noted
wrk_run() {
	local side=$1 row=$2 out errs; shift 2
	if [ "$side" = u ]; then
		out=$(c_u wrk -c32 -t2 -d${SECS}s "$@" http://$US:8080/ 2>&1)
	else
		out=$(c_k wrk -c32 -t2 -d${SECS}s "$@" http://$K_SRV:8080/ 2>&1)
	fi
	add $side $row "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
	errs=$(sed -n 's/^ *Socket errors: *//p' <<<"$out")
	[ -z "$errs" ] && return
	[ "$side" = u ] && R_NOTE[$row]+="ustack: $errs. " || R_NOTE[$row]+="kernel: $errs. "
}
b_nginx() {
	need nginx nginx wrk || return
	local r su sk
	ngx_conf "$TMP/ngx-u" $US
	ngx_conf "$TMP/ngx-k" $K_SRV
	srv_u "$TMP/ngx-u.log" nginx -c "$TMP/ngx-u/nginx.conf" -p "$TMP/ngx-u"; su=$BGPID
	srv_k "$TMP/ngx-k.log" nginx -c "$TMP/ngx-k/nginx.conf" -p "$TMP/ngx-k"; sk=$BGPID
	up $su tcp_answers U $US 8080 || fail_up nginx ustack "$TMP/ngx-u/logs/error.log"
	up $sk tcp_answers K1 $K_SRV 8080 || fail_up nginx kernel "$TMP/ngx-k/logs/error.log"
	for ((r = 1; r <= ROUNDS; r++)); do
		wrk_run u nginx-ka
		wrk_run k nginx-ka
		wrk_run u nginx-close -H 'Connection: close'
		wrk_run k nginx-close -H 'Connection: close'
	done
	stop $su $sk
}

defrow redis-get redis "redis GET, redis-benchmark -c32" req/s higher
# redis-benchmark counts requests, not seconds: it is given more than it
# can do and interrupted (SIGINT) after BENCH_SECONDS; the figure is its last
# progress line's overall rate ("GET: rps=R (overall: O) avg_msec=...")
rb_run() { # side
	local ns=$NS_U addr=$US out
	[ "$1" = k ] && ns=$NS_K1 addr=$K_SRV
	out=$(ip netns exec $ns timeout -s INT -k 5 $SECS redis-benchmark -h $addr -p 6379 \
		-c 32 -n 1000000000 -t get 2>&1 | tr '\r' '\n')
	add $1 redis-get "$(sed -n 's/^GET: rps=[0-9.]* (overall: \([0-9.]*\)).*/\1/p' <<<"$out" | tail -n1)"
}
b_redis() {
	need redis redis-server redis-benchmark || return
	local r su sk
	local opts=(--port 6379 --save '' --appendonly no --protected-mode no --dir "$TMP")
	srv_u "$TMP/redis-u.log" redis-server --bind $US "${opts[@]}"; su=$BGPID
	srv_k "$TMP/redis-k.log" redis-server --bind $K_SRV "${opts[@]}"; sk=$BGPID
	up $su tcp_answers U $US 6379 || fail_up redis ustack "$TMP/redis-u.log"
	up $sk tcp_answers K1 $K_SRV 6379 || fail_up redis kernel "$TMP/redis-k.log"
	for ((r = 1; r <= ROUNDS; r++)); do
		rb_run u
		rb_run k
	done
	stop $su $sk
}

defrow connect connect "TCP connections, connect+send+close" conn/s higher
# TCP connection setup: 2000 connect/send/close from a python3 client,
# under ustack-run against a kernel sink, and kernel to kernel
CPS_PY='
import socket, sys, time
dst = (sys.argv[1], int(sys.argv[2])); n = 2000
t = time.time()
for _ in range(n):
    c = socket.create_connection(dst); c.sendall(b"x"); c.close()
print("%.0f" % (n / (time.time() - t)))'
SINK_PY='
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4096); s.settimeout(30)
for _ in range(2000):
    c, _ = s.accept(); c.recv(10); c.close()'
b_connect() {
	need connect python3 || return
	local r s
	for ((r = 1; r <= ROUNDS; r++)); do
		srv_p "$TMP/sink.log" python3 -c "$SINK_PY" $US_PEER 7000; s=$BGPID
		up $s k_listening U 7000 || fail_up connect "TAP side" "$TMP/sink.log"
		add u connect "$(cu_run python3 -c "$CPS_PY" $US_PEER 7000 2>/dev/null)"
		stop $s
		srv_k "$TMP/sink.log" python3 -c "$SINK_PY" $K_SRV 7000; s=$BGPID
		up $s k_listening K2 7000 || fail_up connect kernel "$TMP/sink.log"
		add k connect "$(c_k python3 -c "$CPS_PY" $K_SRV 7000 2>/dev/null)"
		stop $s
	done
}

# TCP servers: the kernel's clients against a server under ustack-run and
# the same server on the kernel (test/integration/scale's hold_server.py)
HOLD=$SRC/test/integration/scale
CHURN=$BUILD/test/integration/scale/churn
hold_servers() { # sets HSU HSK; 1 if one did not come up
	srv_u "$TMP/hold-u.log" python3 "$HOLD/hold_server.py" $US 7100; HSU=$BGPID
	srv_k "$TMP/hold-k.log" python3 "$HOLD/hold_server.py" $K_SRV 7100; HSK=$BGPID
	up $HSU tcp_answers U $US 7100 || fail_up "$1" ustack "$TMP/hold-u.log"
	up $HSK tcp_answers K1 $K_SRV 7100 || fail_up "$1" kernel "$TMP/hold-k.log"
}
defrow accept accept "TCP server: new connections, echo 1 byte" conn/s higher
# new connections per second: connect, one byte echoed, close (churn.c)
cps() { "$1" timeout 60 "$CHURN" "$2" 7100 "$3" | sed -n 's/.*(\([0-9]*\) per s).*/\1/p'; }
b_accept() {
	need accept python3 || return
	[ -x "$CHURN" ] || { skip accept "skipped: $CHURN not built"; return; }
	local r
	hold_servers accept
	cps U $US 500 >/dev/null; cps K1 $K_SRV 500 >/dev/null	# warm-up
	for ((r = 1; r <= ROUNDS; r++)); do
		add u accept "$(cps U $US 5000)"
		add k accept "$(cps K1 $K_SRV 5000)"
	done
	stop $HSU $HSK
}

# ustack-run's supervisor against the shim: the same calls from the same
# program (tools/bench/callcost.c), static (the supervisor serves it) and
# dynamic (the shim does), each against the kernel running it
defrow sup-connect supervisor "connect+close, static (supervisor)" conn/s higher
defrow shim-connect supervisor "connect+close, dynamic (shim)" conn/s higher
defrow sup-sendto supervisor "UDP sendto 64 B, static (supervisor)" calls/s higher
defrow shim-sendto supervisor "UDP sendto 64 B, dynamic (shim)" calls/s higher
defrow sup-accept supervisor "accept, echo 1 byte, static (supervisor)" conn/s higher
defrow shim-accept supervisor "accept, echo 1 byte, dynamic (shim)" conn/s higher
UDP_SINK_PY='
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2]))); time.sleep(float(sys.argv[3]))'
b_supervisor() {
	need supervisor python3 cc || return
	[ -x "$CHURN" ] || { skip supervisor "skipped: $CHURN not built"; return; }
	cc -O2 -o "$TMP/cc-dyn" "$SRC/tools/bench/callcost.c" &&
		cc -O2 -static -o "$TMP/cc-static" "$SRC/tools/bench/callcost.c" ||
		{ skip supervisor "skipped: callcost does not build (static libc?)"; return; }
	local r v p s
	for ((r = 1; r <= ROUNDS; r++)); do
		for v in static dyn; do
			p=sup; [ $v = dyn ] && p=shim
			srv_p "$TMP/sink.log" python3 -c "$SINK_PY" $US_PEER 7000; s=$BGPID
			up $s k_listening U 7000 || fail_up supervisor "TAP side" "$TMP/sink.log"
			add u $p-connect "$(cu_run "$TMP/cc-$v" connect $US_PEER 7000 2000 2>/dev/null)"
			stop $s
			srv_k "$TMP/sink.log" python3 -c "$SINK_PY" $K_SRV 7000; s=$BGPID
			up $s k_listening K2 7000 || fail_up supervisor kernel "$TMP/sink.log"
			add k $p-connect "$(c_k "$TMP/cc-$v" connect $K_SRV 7000 2000 2>/dev/null)"
			stop $s
			srv_p "$TMP/usink.log" python3 -c "$UDP_SINK_PY" $US_PEER 7001 $RUN_T; s=$BGPID
			add u $p-sendto "$(cu_run "$TMP/cc-$v" sendto $US_PEER 7001 20000 2>/dev/null)"
			stop $s
			srv_k "$TMP/usink.log" python3 -c "$UDP_SINK_PY" $K_SRV 7001 $RUN_T; s=$BGPID
			add k $p-sendto "$(c_k "$TMP/cc-$v" sendto $K_SRV 7001 20000 2>/dev/null)"
			stop $s
			srv_u "$TMP/acc-u.log" "$TMP/cc-$v" accept $US 7002 2000; s=$BGPID
			up $s tcp_answers U $US 7002 || fail_up supervisor ustack "$TMP/acc-u.log"
			U timeout 60 "$CHURN" $US 7002 1999 >/dev/null 2>&1
			wait $s 2>/dev/null
			add u $p-accept "$(tail -n1 "$TMP/acc-u.log")"
			srv_k "$TMP/acc-k.log" "$TMP/cc-$v" accept $K_SRV 7002 2000; s=$BGPID
			up $s tcp_answers K1 $K_SRV 7002 || fail_up supervisor kernel "$TMP/acc-k.log"
			K1 timeout 60 "$CHURN" $K_SRV 7002 1999 >/dev/null 2>&1
			wait $s 2>/dev/null
			add k $p-accept "$(tail -n1 "$TMP/acc-k.log")"
		done
	done
}

defrow idle-mem idle-memory "memory per idle connection, server side" bytes lower
# the memory of 5000 idle connections: ustack, the daemon's resident growth;
# the kernel, its TCP and socket slab objects from /proc/slabinfo (both ends
# of each connection are in its slabs: half of the growth is the server's).
# One round: the daemon keeps the memory it grew, a second would see none.
slab_bytes() {
	awk '$1 == "TCP" || $1 == "sock_inode_cache" { b += $2 * $4 } END { print b + 0 }' /proc/slabinfo 2>/dev/null || echo 0
}
rss() { awk '/^VmRSS/ {print $2 * 1024}' /proc/$DPID/status; }
hold() { # runner addr log fifo: holds 5000 connections until the fifo is written
	"$1" timeout 120 python3 "$HOLD/hold_client.py" hold "$2" 7100 5000 "$4" >"$3" 2>&1 &
	local h=$!
	PIDS+=("$h")
	for _ in $(seq 1200); do grep -q held "$3" && break; kill -0 $h 2>/dev/null || break; sleep 0.1; done
	HELD=$(grep -c held "$3")
	HOLDPID=$h
}
b_idle_memory() {
	need idle-memory python3 || return
	local r0 r1 s0 s1
	hold_servers idle-memory
	mkfifo "$TMP/go_u" "$TMP/go_k"
	r0=$(rss)
	hold U $US "$TMP/hold_u" "$TMP/go_u"
	r1=$(rss)
	[ "$HELD" -gt 0 ] && add u idle-mem $(((r1 - r0) / 5000))
	echo >"$TMP/go_u"; wait $HOLDPID
	s0=$(slab_bytes)
	hold K1 $K_SRV "$TMP/hold_k" "$TMP/go_k"
	s1=$(slab_bytes)
	[ "$HELD" -gt 0 ] && [ "$s1" -gt "$s0" ] && add k idle-mem $(((s1 - s0) / 2 / 5000))
	echo >"$TMP/go_k"; wait $HOLDPID
	stop $HSU $HSK
}

# --- run ---------------------------------------------------------------------
print_header
for b in $BENCHES; do
	want "$b" || continue
	"b_${b//-/_}"
	print_rows "$b"
done
echo
printf '%-52s %10s\n' "ustackd resident memory (KiB)" "$(awk '/^VmRSS/ {print $2}' /proc/$DPID/status)"
printf '%-52s %10s\n' "ustackd peak resident (KiB)" "$(awk '/^VmHWM/ {print $2}' /proc/$DPID/status)"
kill -TERM "$DPID"; wait "$DPID"; DPID=
grep -E 'counters (eth|frag|icmp|tcp)' "$TMP/ustackd.log" | sed 's/^[^ ]* ustackd info: /  /' | cut -c1-200

# --- bench.json and bench.png ---------------------------------------------
TSV=$OUT/bench.tsv
: >"$TSV"
for id in "${ROWS[@]}"; do
	want "${R_BENCH[$id]}" || continue
	# shellcheck disable=SC2086
	mu=$(median ${R_U[$id]}) mk=$(median ${R_K[$id]})
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "${R_BENCH[$id]}" \
		"${R_NAME[$id]}" "${R_UNIT[$id]}" "${R_BETTER[$id]}" "$mu" "$mk" \
		"$(ratio "$mu" "$mk" "${R_BETTER[$id]}")" "${R_U[$id]% }" "${R_K[$id]% }" \
		"${R_SKIP[$id]}" >>"$TSV"
done
commit=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
if command -v python3 >/dev/null; then
	python3 - "$TSV" "$OUT/bench.json" "$ROUNDS" "$SECS" "$commit" <<'PY'
import json, sys, time
tsv, out, rounds, secs, commit = sys.argv[1:]
def num(s):
    return None if s in ("NA", "n/a", "") else float(s)
rows = []
for line in open(tsv):
    (rid, bench, name, unit, better, u, k, ratio, ru, rk, skipped) = line.rstrip("\n").split("\t")
    row = {"id": rid, "benchmark": bench, "name": name, "unit": unit,
           "ustack": num(u), "kernel": num(k), "ratio": num(ratio),
           "better": better,
           "rounds": {"ustack": [num(v) for v in ru.split()],
                      "kernel": [num(v) for v in rk.split()]}}
    if skipped:
        row["skipped"] = skipped
    rows.append(row)
json.dump({"rounds": int(rounds), "seconds": int(secs), "commit": commit,
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "ratio": "higher is better for ustack: ustack/kernel for rates, "
                    "kernel/ustack for latencies and memory",
           "rows": rows}, open(out, "w"), indent=1)
PY
	echo "results: $OUT/bench.json"
else
	echo "bench.json not written: python3 not installed"
fi
# The plot: gnuplot (gnuplot-nox in tools/deps.sh), chosen over python3's
# matplotlib: it was not installed either, and gnuplot-nox is the lighter
# package (no numpy, no Python libraries to pull in).
if command -v gnuplot >/dev/null; then
	awk -F'\t' '$8 != "n/a" && $8 != "" { print $1 "\t" $8 }' "$TSV" >"$TMP/ratio.dat"
	if [ -s "$TMP/ratio.dat" ]; then
		n=$(wc -l <"$TMP/ratio.dat") w=$((300 + n * 40))
		[ $w -lt 900 ] && w=900
		gnuplot <<GP 2>"$TMP/gnuplot.err"
set terminal pngcairo size $w,600 font "sans,10"
set output "$OUT/bench.png"
set title "ustack against the Linux kernel ($commit, median of $ROUNDS, ${SECS} s runs)\nratio: higher is better (ustack/kernel for rates, kernel/ustack for latencies and memory)"
set ylabel "ratio (log scale)"
set logscale y
set xtics rotate by -45 noenhance
set grid ytics
set key off
set style fill solid 0.7
set xrange [-0.6:$n - 0.4]
# a bar from 1 (the kernel) to the ratio: up where ustack is better
plot "$TMP/ratio.dat" using 0:2:(\$0 - 0.35):(\$0 + 0.35):(\$2 < 1 ? \$2 : 1):(\$2 < 1 ? 1 : \$2):xtic(1) \
	with boxxyerror lc rgb "#3070b0", 1 with lines lc rgb "#c03030" lw 2
GP
		if [ -s "$OUT/bench.png" ]; then echo "plot: $OUT/bench.png"
		else echo "plot not written: $(head -n2 "$TMP/gnuplot.err")"; fi
	else
		echo "plot not written: no ratio was measured"
	fi
else
	echo "plot not written: gnuplot not installed (make deps)"
fi
rm -f "$TSV"
exit 0
