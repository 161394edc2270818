#!/usr/bin/env bash
# make demo: ustackd on a TAP in a network namespace of its own, the Linux
# kernel on the other side; real programs run over ustack with ustack-run,
# and ustackctl shows what each connection is doing. Everything it
# creates, it deletes.
#
# Every step must succeed: the first command that fails stops the demo
# with a message naming the step and the command, and the exit status is
# non-zero (a demo that goes on after ustackd failed to start only shows
# "cannot reach ustackd" many times over, and exits 0).
# Usage: demo.sh [BUILD_DIR]
set -u -o pipefail
BUILD=${1:-build}
case $BUILD in
/*) B=$BUILD ;;
*) B=$PWD/$BUILD ;;
esac
STEP="setting up"
die() {
	trap - ERR
	printf '\ndemo: FAILED at step "%s": %s\n' "$STEP" "$*" >&2
	exit 1
}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespace, TAP device): sudo make demo" >&2
	exit 1
fi
for f in ustackd ustackctl ustack-run libustack-preload.so; do
	[ -e "$B/$f" ] || die "$B/$f is missing: build first (make)"
done
NS=ustack-demo-$$
TMP=$(mktemp -d /tmp/ustack-demo.XXXXXX)
chmod 755 "$TMP"
SOCK=$TMP/ustackd.sock
PIDS=()
DAEMON=
cleanup() {
	local p
	trap - ERR
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# anything the demo started in its namespace goes with it
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
# the first command that fails ends the demo (set -e), saying which: the
# line of this script it was called from, as written here
on_error() { # STATUS
	local n=${#BASH_LINENO[@]} line
	line=${BASH_LINENO[n - 2]}
	die "line $line exited $1: $(sed -n "${line}p" "$0" | sed 's/^[[:space:]]*//')"
}
set -eE
trap 'on_error $?' ERR
step() { STEP=$*; printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
ns() { ip netns exec "$NS" "$@"; }
ctl() { show "ustackctl $*"; "$B/ustackctl" --socket "$SOCK" "$@"; }
wait_listen() { # PORT: until ustack has a listener there
	for _ in $(seq 100); do
		"$B/ustackctl" --socket "$SOCK" netstat -n --state listen | grep ":$1 " >/dev/null && return 0
		sleep 0.05
	done
	return 1
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
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	kill -0 "$DAEMON" 2>/dev/null || break
	sleep 0.05
done
cat "$TMP/ustackd.log"
if [ ! -S "$SOCK" ]; then
	if kill -0 "$DAEMON" 2>/dev/null; then
		die "ustackd did not open its control socket in 5 s (its log is above)"
	fi
	wait "$DAEMON" || rc=$?
	die "ustackd did not start: it exited with status ${rc:-0} (its log is above)"
fi
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
ns ss -Htln 'sport = :8000' | grep -q . || die "the kernel-side python3 -m http.server did not start"
show "ustack-run curl -o big.bin http://192.0.2.1:8000/big.bin"
ns "$B/ustack-run" --socket "$SOCK" curl -sS -o "$TMP/got.bin" \
	-w '%{size_download} bytes at %{speed_download} bytes/s\n' http://192.0.2.1:8000/big.bin
[ "$(sha256sum <"$TMP/big.bin")" = "$(sha256sum <"$TMP/got.bin")" ] ||
	die "the file curl fetched over ustack differs from the original"
echo "sha256 matches"

step "a server on ustack, a client in the kernel"
show "ustack-run python3 -m http.server 8080 &"
(cd "$TMP" && exec ip netns exec "$NS" "$B/ustack-run" --socket "$SOCK" \
	python3 -m http.server 8080 >/dev/null 2>&1) &
PIDS+=($!)
wait_listen 8080 || die "python3 -m http.server under ustack-run did not listen on port 8080"
show "curl http://192.0.2.2:8080/ | head -3"
ns curl -sS -o "$TMP/index.html" http://192.0.2.2:8080/
head -3 "$TMP/index.html"

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
wait_listen 9090 || die "hoarder.py under ustack-run did not listen on port 9090"
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

STEP="stopping"
for p in "${PIDS[@]}"; do [ "$p" = "$DAEMON" ] || kill "$p" 2>/dev/null || true; done
kill -TERM "$DAEMON"
wait "$DAEMON" || die "ustackd exited with status $? (its log: $TMP/ustackd.log)"
echo
echo "demo done: programs stopped, namespace, TAP and files removed."
