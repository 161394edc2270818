#!/usr/bin/env bash
# The explicit API: a program linked against libustack.so (no preload)
# makes its sockets with ustack_socket() and uses the ustack_* calls.
source "$(dirname "$0")/lib.sh"
need_root "46-libustack"

B=$PWD/$BUILD
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	|| { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0
in_ns timeout 60 "$B/test/sockets/peer" $KERNEL 50 &
PIDS+=($!)
bound() { in_ns ss -Hln "sport = :7007" | grep -q .; }
wait_for 10 bound || fail "peer starts"

out=$(in_ns env USTACK_SOCKET="$SOCK" timeout 30 "$B/test/libustack/api" $KERNEL 2>&1)
echo "$out"
expect() { check "$1" grep -qx -- "$1" <<<"$out"; }
expect "udp socket is ustack's: 1"
expect "stdin is ustack's: 0"
expect "AF_UNIX socket goes to libc: 1"
expect "ustack_sendto: ok"
expect "ustack_poll: 1"
expect "FIONREAD: 3"
expect "ustack_recvfrom: 3 from port 7007"
expect "ustack_connect: ok"
expect "TCP_KEEPALIVE 1500 ms: ok"
expect "TCP_KEEPALIVE reads back (whole seconds): 2000"
expect "TCP_KEEPIDLE: 2"
expect "ustack_write: ok"
expect "ustack_read: 9 'hello api'"
expect "ustack_fcntl O_NONBLOCK: 0"
expect "ustack_shutdown SHUT_WR: ok"
expect "then ustack_recv: 0"
expect "ustack_close: ok"
expect "after close, is ustack's: 0"
out=$(in_ns env USTACK_SOCKET="$TMP/none.sock" "$B/test/libustack/api" $KERNEL 2>&1 | head -n1)
check "no daemon: ustack_socket fails, the program goes on ($out)" \
	test "$out" = "udp socket is ustack's: 0"
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
summary
