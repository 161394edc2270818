#!/usr/bin/env bash
# Thousands of idle connections: the kernel opens SCALE_CONNS (15,000)
# connections to a server under ustack-run and holds them; every one must
# succeed, new connections must be served while they are held, and the
# daemon's memory growth per connection is printed and bounded; then
# SCALE_CHURN (100,000) connect/send/close cycles (to a C echo server under
# ustack-run) leave the daemon's memory flat. Each phase is bounded in
# time.
source "$(dirname "$0")/lib.sh"
need_root "70-scale"

B=$PWD/$BUILD
HERE=$(cd "$(dirname "$0")" && pwd)
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
N=${SCALE_CONNS:-15000}
CHURN=${SCALE_CHURN:-100000}
# the documented bound (ustack(7) MEMORY AND SCALE): daemon bytes per idle
# connection, measured about 960 at 15,000 (issue 11's target: 1 KB; the
# engine's connection is 776 bytes, the daemon's socket 152, both in
# slabs, the tables the rest); the bound leaves a margin for what a busy
# machine adds to one measurement
PER_CONN_MAX=${SCALE_PER_CONN_MAX:-1100}
chmod 711 "$TMP"
cp "$HERE/scale/hold_server.py" "$HERE/scale/hold_client.py" "$TMP/"
chmod 644 "$TMP"/*.py

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
# the kernel's side churns through ports: reuse TIME_WAIT ones (timestamps
# make it safe), and take them from the whole range
in_ns sysctl -qw net.ipv4.tcp_tw_reuse=1
in_ns sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
# each held connection costs a descriptor in the client, the server and
# the daemon
ulimit -n 20000 || { fail "raise the descriptor limit to 20000"; summary; exit 1; }

start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	|| { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0
rss() { awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$DPID/status"; }

# started directly, not through in_ns: $! must be the server's own pid (a
# backgrounded function's is a subshell's, and killing that left the
# server running after the daemon it used)
ip netns exec "$NS" timeout 900 "$RUN" --socket "$SOCK" python3 "$TMP/hold_server.py" $US 7000 &
SRV=$!
PIDS+=($SRV)
wait_for 10 ustack_bound "$SOCK" 7000 || fail "the server under ustack-run listens"
# one connection first, so that what the first one allocates for good
# (libevent, tables) is in the baseline
churn() { in_ns "$B/test/integration/scale/churn" $US 7000 "$@"; }
churn 10 >/dev/null
heap() { "$B/ustackctl" --socket "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }
rss0=$(rss)
inuse0=$(( $(heap heap_in_use) + $(heap slab_bytes) ))

mkfifo "$TMP/go"
ip netns exec "$NS" python3 "$TMP/hold_client.py" hold $US 7000 "$N" "$TMP/go" >"$TMP/hold.out" 2>&1 &
HOLD=$!
PIDS+=($HOLD)
# until it holds them all, or gives up (it bounds itself)
held_or_gone() { grep -q held "$TMP/hold.out" || ! kill -0 "$HOLD"; }
wait_for 300 held_or_gone
check "the kernel holds $N connections to a server under ustack-run ($(cat "$TMP/hold.out"))" \
	grep -q "^held $N " "$TMP/hold.out"
# the daemon gives freed memory back a second after its work (heap_trims):
# what the handshakes and the one-byte exchanges freed is not counted
trims() { "$B/ustackctl" --socket "$SOCK" stats | awk '$1 == "heap_trims" { print $2 }'; }
t0=$(trims)
trimmed() { [ "$(trims)" -gt "${t0:-0}" ]; }
wait_for 5 trimmed || echo "# no heap trim (less than 256 KB more free in the heap)"
rss1=$(rss)
per=$(( (rss1 - rss0) / N ))
echo "# daemon RSS $rss0 -> $rss1 bytes: $per bytes per idle connection"
inuse1=$(( $(heap heap_in_use) + $(heap slab_bytes) ))
echo "# daemon heap in use and slabs $inuse0 -> $inuse1 bytes: $(( (inuse1 - inuse0) / N )) per idle connection ($(heap heap_free) bytes free in the heap)"
check "daemon memory per idle connection: $per bytes (at most $PER_CONN_MAX)" \
	test "$per" -le "$PER_CONN_MAX"
out=$(churn 100 2>&1)
check "new connections are served while $N are held ($out)" test $? -eq 0
echo >"$TMP/go"
wait "$HOLD"
check "all $N held connections closed cleanly" test $? -eq 0

# churn: memory flat (measured after a first round, as above). The server
# is a C one under ustack-run (echo_server.c): the asyncio one takes a
# whole core at about 400 connections a second, and the daemon is what
# is measured
user_copy "$B/test/integration/scale/echo_server"
ip netns exec "$NS" timeout 900 "$RUN" --socket "$SOCK" "$TMP/bin/echo_server" $US 7001 \
	>"$TMP/echo.out" 2>&1 &
ESRV=$!
PIDS+=($ESRV)
wait_for 10 ustack_bound "$SOCK" 7001 || fail "the C echo server under ustack-run listens"
churn() { in_ns "$B/test/integration/scale/churn" $US 7001 "$@"; }
churn 2000 >/dev/null
rss2=$(rss)
out=$(churn "$CHURN" 2>&1)
check "$CHURN connect/send/close cycles ($out)" test $? -eq 0
rss3=$(rss)
echo "# daemon RSS before the churn $rss2, after $rss3 bytes"
check "daemon memory flat over the churn ($rss2 -> $rss3 bytes)" \
	test $((rss3 - rss2)) -le $((4 << 20))
stats=$("$B/ustackctl" --socket "$SOCK" stats)
grep -E 'tcp_conn_bytes|sock_bytes|heap_trims|tcp_memory|mem_pressure|rcv_nomem|limit_socks|quota_socks' <<<"$stats" | sed 's/^/# /'
kill -TERM "$SRV" "$ESRV"; wait "$SRV"
rc=$?
check "the server ends on SIGTERM, before the daemon (status $rc)" test $rc -eq 143
wait "$ESRV" 2>/dev/null
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0

# Out of descriptors: a daemon allowed 400 serves 272 sockets (400 - 128),
# one user 7/8 of them (238); beyond, the socket call fails with EMFILE
# (the user's share) or ENFILE (the daemon's), counted, never a hang
cat >"$TMP/ustackd-400" <<EOF2
#!/bin/sh
ulimit -n 400
exec "$USTACKD" "\$@"
EOF2
chmod 755 "$TMP/ustackd-400"
open_until_error='
import socket
socks, err = [], None
for i in range(1000):
    try:
        socks.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    except OSError as e:
        err = e.errno
        break
print(len(socks), err)'
for quota in default 1000; do
	extra=(); [ $quota = 1000 ] && extra=(--sockets-per-uid 1000)
	USTACKD=$TMP/ustackd-400 start_ustackd "$NS" "$TMP/ustackd-$quota.log" "$SOCK" \
		--tap ustk1 --addr 192.0.2.3/24 "${extra[@]}" ||
		{ fail "ustackd starts with 400 descriptors"; continue; }
	out=$(in_ns timeout 30 "$RUN" --socket "$SOCK" python3 -c "$open_until_error" 2>&1)
	if [ $quota = default ]; then
		check "sockets-per-uid by default: 238 sockets, then EMFILE ($out)" \
			test "$out" = "238 24"
		key=quota_socks
	else
		check "the daemon's descriptors: 272 sockets, then ENFILE ($out)" \
			test "$out" = "272 23"
		key=limit_socks
	fi
	n=$("$B/ustackctl" --socket "$SOCK" stats | awk -v k=$key '$1 == k { print $2 }')
	check "the refusal is counted ($key $n)" test "${n:-0}" -ge 1
	stop_ustackd "$DPID"
done
summary
