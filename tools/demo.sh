#!/usr/bin/env bash
# make demo: ustackd on a TAP in a network namespace of its own, the Linux
# kernel on the other side pinging it. Everything it creates, it deletes.
# Usage: demo.sh [BUILD_DIR]
set -u
BUILD=${1:-build}
USTACKD=$PWD/$BUILD/ustackd
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespace, TAP device): sudo make demo" >&2
	exit 1
fi
NS=ustack-demo-$$
TMP=$(mktemp -d /tmp/ustack-demo.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "a network namespace of our own: $NS"
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1

step "ustackd owns the TAP device ustk0 and the address 192.0.2.2"
printf '$ ustackd --foreground --tap ustk0 --addr 192.0.2.2/24 --capture demo.pcap ...\n'
ip netns exec "$NS" "$USTACKD" --foreground --tap ustk0 --addr 192.0.2.2/24 \
	--socket "$TMP/ustackd.sock" --capture "$TMP/demo.pcap" 2>"$TMP/ustackd.log" &
PID=$!
for _ in $(seq 100); do [ -S "$TMP/ustackd.sock" ] && break; sleep 0.05; done
cat "$TMP/ustackd.log"

step "the kernel takes 192.0.2.1 on its side of the TAP"
run ip netns exec "$NS" ip addr add 192.0.2.1/24 dev ustk0

step "the kernel resolves and pings ustack"
run ip netns exec "$NS" arping -c 2 -I ustk0 192.0.2.2
run ip netns exec "$NS" ping -c 4 -i 0.2 192.0.2.2
step "a 20000-byte echo: fragmented both ways, reassembled by each side"
run ip netns exec "$NS" ping -c 2 -i 0.2 -s 20000 192.0.2.2

step "ustackd's counters, printed as it stops on SIGTERM"
kill -TERM "$PID"; wait "$PID"; PID=
grep -E 'counters|link|capture' "$TMP/ustackd.log"

step "what crossed the TAP, as tshark reads the capture"
tshark -r "$TMP/demo.pcap" 2>/dev/null | head -n 20
echo
echo "demo done: namespace, TAP and files removed."
