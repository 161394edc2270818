#!/usr/bin/env bash
# make demo: ustackd on a TAP in a network namespace of its own, the Linux
# kernel on the other side; real programs run over ustack with ustack-run,
# and ustackctl shows what each connection is doing. Everything it
# creates, it deletes.
# Usage: demo.sh [BUILD_DIR]
set -u
BUILD=${1:-build}
B=$PWD/$BUILD
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespace, TAP device): sudo make demo" >&2
	exit 1
fi
NS=ustack-demo-$$
TMP=$(mktemp -d /tmp/ustack-demo.XXXXXX)
chmod 755 "$TMP"
SOCK=$TMP/ustackd.sock
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
ns() { ip netns exec "$NS" "$@"; }
ctl() { show "ustackctl $*"; "$B/ustackctl" --socket "$SOCK" "$@"; }
wait_listen() { # PORT: until ustack has a listener there
	for _ in $(seq 100); do
		"$B/ustackctl" --socket "$SOCK" netstat -n --state listen | grep -q ":$1 " && return
		sleep 0.05
	done
}

step "a network namespace of our own: $NS"
ip netns add "$NS"
ns ip link set lo up
ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1

step "ustackd owns the TAP device ustk0 and the address 192.0.2.2"
show "ustackd --foreground --tap ustk0 --addr 192.0.2.2/24 --tcp-msl 10 &"
# started with ip netns exec itself, not through a function, so that $!
# is the daemon's own pid (ip netns exec and ustack-run exec what they run)
ip netns exec "$NS" "$B/ustackd" --foreground --tap ustk0 --addr 192.0.2.2/24 \
	--tcp-msl 10 --socket "$SOCK" 2>"$TMP/ustackd.log" &
DAEMON=$!
PIDS+=("$DAEMON")
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
cat "$TMP/ustackd.log"
show "ip addr add 192.0.2.1/24 dev ustk0      # the kernel's side"
ns ip addr add 192.0.2.1/24 dev ustk0

step "the kernel pings ustack; ustack pings the kernel"
show "ping -c 2 192.0.2.2"
ns ping -c 2 -i 0.2 192.0.2.2 | tail -2
ctl ping 192.0.2.1 -c 2 -i 0.2

step "curl over ustack's TCP, from a kernel-side web server"
head -c 20000000 /dev/urandom >"$TMP/big.bin"
(cd "$TMP" && exec ip netns exec "$NS" python3 -m http.server 8000 --bind 192.0.2.1 \
	>/dev/null 2>&1) &
PIDS+=($!)
for _ in $(seq 100); do ns ss -Htln 'sport = :8000' | grep -q . && break; sleep 0.05; done
show "ustack-run curl -o big.bin http://192.0.2.1:8000/big.bin"
ns "$B/ustack-run" --socket "$SOCK" curl -sS -o "$TMP/got.bin" \
	-w '%{size_download} bytes at %{speed_download} bytes/s\n' http://192.0.2.1:8000/big.bin
[ "$(sha256sum <"$TMP/big.bin")" = "$(sha256sum <"$TMP/got.bin")" ] &&
	echo "sha256 matches"

step "a server on ustack, a client in the kernel"
show "ustack-run python3 -m http.server 8080 &"
(cd "$TMP" && exec ip netns exec "$NS" "$B/ustack-run" --socket "$SOCK" \
	python3 -m http.server 8080 >/dev/null 2>&1) &
PIDS+=($!)
wait_listen 8080
show "curl http://192.0.2.2:8080/ | head -3"
ns curl -sS http://192.0.2.2:8080/ | head -3

step "a server that never closes what its clients left (CLOSE_WAIT)"
cat >"$TMP/hoarder.py" <<'PY'
import socket
s = socket.socket()
s.bind(('0.0.0.0', 9090))
s.listen(8)
kept = []
while True:
    c, _ = s.accept()
    c.recv(100)
    kept.append(c)
PY
show "ustack-run python3 hoarder.py &   # accepts, reads, never closes"
ip netns exec "$NS" "$B/ustack-run" --socket "$SOCK" python3 "$TMP/hoarder.py" &
PIDS+=($!)
wait_listen 9090
for i in 1 2 3; do
	ns python3 -c "
import socket
c = socket.create_connection(('192.0.2.2', 9090)); c.sendall(b'hi'); c.close()"
done
sleep 0.5
ctl netstat
first=$("$B/ustackctl" --socket "$SOCK" netstat -n --state close-wait --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["sockets"][0]["remote"])')

step "kick one out with a reset, without touching the program"
ctl kill --local 192.0.2.2:9090 --remote "$first"
ctl netstat --state close-wait
ctl netstat -e --port 9090 --state listen

step "every drop has a counter"
show "ustackctl stats | grep -A6 '^tcp:'"
"$B/ustackctl" --socket "$SOCK" stats | grep -A6 '^tcp:'

for p in "${PIDS[@]}"; do [ "$p" = "$DAEMON" ] || kill "$p" 2>/dev/null; done
kill -TERM "$DAEMON"; wait "$DAEMON"
echo
echo "demo done: programs stopped, namespace, TAP and files removed."
