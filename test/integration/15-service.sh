#!/usr/bin/env bash
# ustackd as a service: the sd_notify protocol (READY, STATUS, WATCHDOG,
# RELOADING, STOPPING) heard by a listener on NOTIFY_SOCKET, dropping to
# --user with no capability left, and SIGHUP re-reading the configuration.
source "$(dirname "$0")/lib.sh"
need_root "15-service"

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
SOCK=$TMP/run/ustack.sock
LOG=$TMP/ustackd.log
CONF=$TMP/ustackd.conf
NOTIFY=$TMP/notify.sock
US=192.0.2.2
chmod 755 "$TMP"

# a notify listener: prints each datagram's assignments, one per line
python3 - "$NOTIFY" >"$TMP/notify.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace('\n', ' | '), flush=True)
        if 'STOPPING=1' in msg:
            break
except socket.timeout:
    pass
PY
LISTENER=$!
PIDS+=("$LISTENER")
wait_for 5 test -S "$NOTIFY"
chmod 666 "$NOTIFY"	# as systemd's is: the daemon sends after dropping root

cat >"$CONF" <<CONF
tap = ustk0
addr = $US/24
log-level = info
CONF
# the watchdog asks for a ping every 0.2 s at most: expect one per 0.1 s
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 start_ustackd "$NS" "$LOG" "$SOCK" \
	--config "$CONF" --user nobody || { fail "ustackd starts with --user"; summary; exit 1; }
ok "ustackd starts with --user nobody and NOTIFY_SOCKET"
in_ns ip addr add 192.0.2.1/24 dev ustk0

wait_for 3 grep -q 'READY=1' "$TMP/notify.txt"
check "notify: READY=1 with MAINPID and STATUS" \
	grep -q "READY=1 | MAINPID=$DPID | STATUS=serving on tap ustk0, $US/24" "$TMP/notify.txt"
# a count, not a rate: a loaded machine may delay the daemon, and what
# matters is that the pings go on after READY
pings() { [ "$(grep -c '^WATCHDOG=1$' "$TMP/notify.txt")" -ge 4 ]; }
wait_for 10 pings
check "notify: the watchdog is fed ($(grep -c '^WATCHDOG=1$' "$TMP/notify.txt") pings)" pings

status=$(cat /proc/$DPID/status)
check "runs as nobody (uid 65534)" grep -qE '^Uid:\s+65534\s+65534\s+65534\s+65534' <<<"$status"
check "runs as nogroup (gid 65534)" grep -qE '^Gid:\s+65534\s+65534\s+65534\s+65534' <<<"$status"
check "keeps no effective capability" grep -qE '^CapEff:\s+0+$' <<<"$status"
check "keeps no permitted capability" grep -qE '^CapPrm:\s+0+$' <<<"$status"
check "no new privileges" grep -qE '^NoNewPrivs:\s+1$' <<<"$status"
check "the control socket belongs to nobody" test "$(stat -c %U "$SOCK")" = nobody
out=$(in_ns ping -n -c 3 -i 0.2 -W 5 $US)
check "still answers pings without privileges ($(grep -o "[0-9]* received" <<<"$out"))" grep -q '3 received' <<<"$out"

# SIGHUP: log level and impairment change live; the MTU needs a restart
cat >"$CONF" <<CONF
tap = ustk0
addr = $US/24
log-level = debug
mtu = 1400
impair = loss=1
CONF
kill -HUP "$DPID"
wait_for 3 grep -q 'reload: done' "$LOG"
check "SIGHUP: reload logged" grep -q 'reload: done' "$LOG"
check "SIGHUP: log-level applied live" grep -q 'reload: log-level changed' "$LOG"
check "SIGHUP: impair applied live" grep -q 'reload: impair changed' "$LOG"
check "SIGHUP: mtu named as needing a restart" \
	grep -q 'reload: mtu changed; it takes effect at the next start' "$LOG"
out=$(in_ns ping -n -c 3 -i 0.2 -W 1 $US)
check "impair loss=1 now drops every ping" grep -q ' 0 received' <<<"$out"
check "notify: RELOADING=1 then READY=1" \
	grep -q 'READY=1 | STATUS=serving; configuration reloaded' "$TMP/notify.txt"

echo "addr = not-an-address" >>"$CONF"
kill -HUP "$DPID"
wait_for 3 grep -q 'keeping the running one' "$LOG"
check "SIGHUP with a broken file keeps the running configuration" \
	grep -q 'reload: the configuration is invalid; keeping the running one' "$LOG"
check "...and the daemon is still alive" kill -0 "$DPID"

stop_ustackd "$DPID"
check "SIGTERM after dropping root: exit 0" test $? -eq 0
check "the socket was removed by the unprivileged daemon" test ! -e "$SOCK"
check "the TAP is gone" bash -c "! ip netns exec $NS ip link show ustk0 >/dev/null 2>&1"
wait "$LISTENER" 2>/dev/null
check "notify: STOPPING=1 at the end" grep -q '^STOPPING=1$' "$TMP/notify.txt"

out=$("$USTACKD" --user no-such-user-xyz --addr $US/24 --print-config 2>&1 >/dev/null)
out=$(ip netns exec "$NS" "$USTACKD" -f --user no-such-user-xyz --tap ustk1 \
	--addr $US/24 --socket "$TMP/x.sock" 2>&1); rc=$?
check "an unknown --user is refused before anything opens (exit $rc)" \
	test $rc -eq 2 -a -n "$(grep 'no-such-user-xyz' <<<"$out")"

summary
