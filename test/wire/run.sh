#!/usr/bin/env bash
# The differential wire test (issue 13, "TCP as Linux on the wire"): the
# same scripted TCP exchanges played against the Linux kernel and against
# ustack, what each sends back compared segment by segment, and the
# results of the program's socket calls on the target's side.
#
# Theory of operation. Two targets, both at 192.0.2.2, both talking to a
# scripted peer at 192.0.2.1 that no kernel owns:
#
#   kernel: namespaces KA and KB joined by a veth (ustkwa - ustkwb). KB's
#     kernel owns 192.0.2.2 on ustkwb, with a permanent neighbour entry
#     for the peer (ustkwa's MAC), and segmentation offloads off so that it
#     puts MSS-sized segments on the wire as ustack does. KA's kernel has
#     no address at all: the peer (peer.py) writes and reads raw frames on
#     ustkwa, and nothing in KA answers or resets them.
#   ustack: ustackd on a TAP (ustk0) in namespace US, offloads off, no IPv6
#     nor mDNS (no chatter); the kernel side of ustk0 is up without an
#     address, and the peer plays on it the same way. ustack asks ARP for
#     the peer; the peer answers.
#
# In each, prog.py does the socket calls (plainly in KB; under ustack-run
# in US), driven by the peer one call at a time. Both kernels' TCP
# settings are Linux's defaults, written out (timestamps, SACK, window
# scaling, tcp_ecn = 2; cubic, which prog.py sets on its sockets as a
# namespace may not choose it), as are ustackd's. The kernel target runs
# first, then ustack, one after the other (timing is compared: they do
# not share the CPUs). compare.py judges; test/wire/known lists the
# scenarios that still differ, with why (see compare.py).
#
# Usage: run.sh [BUILD_DIR] [SCENARIO...]   (as root; make check-wire)
# WIRE_VERBOSE=1 prints every scenario's two traces side by side;
# WIRE_KEEP=DIR keeps the traces (kernel.json, ustack.json) and the logs.
cd "$(dirname "$0")/../.." || exit 1
export BUILD=${1:-build}
[ $# -gt 0 ] && shift
source test/integration/lib.sh
need_root "wire"

B=$PWD/$BUILD
PY=/usr/bin/python3
W=$PWD/test/wire
PEER=192.0.2.1
TARGET=192.0.2.2
UMAC=02:00:00:00:02:02

"$PY" -c 'import scapy' 2>/dev/null ||
	{ fail "python3-scapy missing (make deps)"; summary; exit 1; }

# ---- the kernel target ---------------------------------------------------
new_netns KA || { fail "create namespace"; summary; exit 1; }
new_netns KB || { fail "create namespace"; summary; exit 1; }
ip link add ustkwa netns "$KA" type veth peer name ustkwb netns "$KB"
ip -n "$KB" addr add $TARGET/24 dev ustkwb
ip -n "$KA" link set ustkwa up
ip -n "$KB" link set ustkwb up
ip netns exec "$KB" ethtool -K ustkwb tso off gso off gro off >/dev/null 2>&1
ip netns exec "$KA" ethtool -K ustkwa tso off gso off gro off >/dev/null 2>&1
# Linux's defaults, whatever the host's are (a namespace copies some of
# them, such as tcp_rmem and the congestion control, from the host's).
# tcp_syn_linear_timeouts (Linux 6.7 on: the first 4 SYN retries 1 s
# apart) is set to 0, the older kernels' RFC 6298 backoff, so that the
# result does not depend on the kernel CI runs
for s in tcp_timestamps=1 tcp_sack=1 tcp_window_scaling=1 tcp_ecn=2 \
	tcp_no_metrics_save=1 \
	"tcp_rmem=4096 131072 6291456" "tcp_wmem=4096 16384 4194304" \
	tcp_slow_start_after_idle=1 tcp_autocorking=1 tcp_early_retrans=3 \
	tcp_keepalive_time=7200 tcp_keepalive_intvl=75 tcp_keepalive_probes=9; do
	ip netns exec "$KB" sysctl -qw "net.ipv4.$s"
done
[ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ] &&
	ip netns exec "$KB" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
AMAC=$(ip netns exec "$KA" cat /sys/class/net/ustkwa/address)
BMAC=$(ip netns exec "$KB" cat /sys/class/net/ustkwb/address)
ip -n "$KB" neigh replace $PEER lladdr "$AMAC" dev ustkwb nud permanent

# ---- the ustack target -----------------------------------------------------
new_netns US || { fail "create namespace"; summary; exit 1; }
SOCK=$TMP/ctl.sock
printf '%s\n' "tap = ustk0" "addr = $TARGET/24" "mac = $UMAC" "ipv6 = no" \
	"mdns = no" "offload = no" >"$TMP/ustackd.conf"
start_ustackd "$US" "$TMP/ustackd.log" "$SOCK" --config "$TMP/ustackd.conf" ||
	{ fail "ustackd starts"; summary; exit 1; }
ip -n "$US" link set ustk0 up
UPEERMAC=$(ip netns exec "$US" cat /sys/class/net/ustk0/address)

# ---- play every scenario on each, one target after the other ---------------
t0=$SECONDS
ip netns exec "$KA" timeout 150 "$PY" "$W/peer.py" --iface ustkwa --mac "$AMAC" \
	--target-mac "$BMAC" --run "ip netns exec $KB" --prog "$W/prog.py" \
	--out "$TMP/kernel.json" "$@" 2>"$TMP/kernel.log"
krc=$?
ip netns exec "$US" timeout 150 "$PY" "$W/peer.py" --iface ustk0 --mac "$UPEERMAC" \
	--target-mac "$UMAC" --run "$B/ustack-run --socket $SOCK" --prog "$W/prog.py" \
	--out "$TMP/ustack.json" "$@" 2>"$TMP/ustack.log"
urc=$?
if [ $krc -ne 0 ] || [ $urc -ne 0 ]; then
	echo "peer exit: kernel $krc, ustack $urc"
	tail -n 20 "$TMP/kernel.log" "$TMP/ustack.log"
	fail "the peer ran every scenario on both targets"
fi
echo "# played in $((SECONDS - t0)) s"
# WIRE_KEEP=DIR: the traces and the peers' logs kept there
if [ -n "${WIRE_KEEP:-}" ]; then
	mkdir -p "$WIRE_KEEP" &&
		cp "$TMP"/kernel.json "$TMP"/ustack.json "$TMP"/kernel.log \
			"$TMP"/ustack.log "$TMP"/ustackd.log "$WIRE_KEEP"/
fi
kill -0 "$DPID" 2>/dev/null || fail "ustackd still runs"
stop_ustackd "$DPID" || fail "ustackd exits cleanly"

# compare.py prints each scenario's verdict and its own summary line: the
# one summary printed is the sum of both
out=$("$PY" "$W/compare.py" "$TMP/kernel.json" "$TMP/ustack.json" "$W/known" "$@")
echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
line=$(echo "$out" | tail -n1)
p=${line%% passed*}
f=${line#*, }; f=${f%% failed}
PASS=$((PASS + ${p:-0}))
FAIL=$((FAIL + ${f:-1}))
summary
