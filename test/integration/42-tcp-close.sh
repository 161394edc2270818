#!/usr/bin/env bash
# A program that dies leaves nothing behind: its TCP connections close as
# the kernel would close them, with FIN, or with RST when it had unread
# data; SO_LINGER {1, 0} aborts with RST; a socket shared by fork closes
# only when the last holder closes it.
source "$(dirname "$0")/lib.sh"
need_root "42-tcp-close"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	|| { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0

# kernel side: accept one connection per case, send "unread" if asked,
# and report how the connection ended: eof or reset
server=$(cat <<'PY'
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 9300)); l.listen(8); l.settimeout(20)
for case in sys.argv[2:]:
    c, _ = l.accept(); c.settimeout(10)
    if case == "unread":
        c.sendall(b"you will not read this")
    try:
        while c.recv(100):
            pass
        print(case, "eof", flush=True)
    except ConnectionResetError:
        print(case, "reset", flush=True)
    except socket.timeout:
        print(case, "timeout", flush=True)
PY
)
client=$(cat <<'PY'
import os, socket, struct, sys, time
s = socket.create_connection((sys.argv[1], 9300))
case = sys.argv[2]
time.sleep(0.5)
if case == "linger0":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
elif case == "fork":
    if os.fork() == 0:
        time.sleep(1)       # the child still holds it after the parent exits
        s.sendall(b"child")
        os._exit(0)
    os._exit(0)
else:
    os.kill(os.getpid(), 9)
PY
)
in_ns timeout 60 python3 -c "$server" $KERNEL clean unread linger0 fork >"$TMP/server.out" 2>&1 &
PIDS+=($!)
bound() { in_ns ss -Htln "sport = :9300" | grep -q .; }
wait_for 10 bound || fail "server starts"
for c in clean unread linger0 fork; do
	in_ns timeout 20 "$RUN" --socket "$SOCK" python3 -c "$client" $KERNEL $c
	wait_for 15 grep -q "^$c " "$TMP/server.out"
done
cat "$TMP/server.out"
check "killed with nothing unread: the peer sees FIN" grep -qx 'clean eof' "$TMP/server.out"
check "killed with unread data: the peer sees RST" grep -qx 'unread reset' "$TMP/server.out"
check "SO_LINGER {1, 0}: close aborts with RST" grep -qx 'linger0 reset' "$TMP/server.out"
check "shared by fork: open until the last holder exits, then FIN" grep -qx 'fork eof' "$TMP/server.out"
sleep 1
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
open=$(sed -n 's/.*sockets: open=\([0-9]*\).*/\1/p' "$TMP/ustackd.log")
check "no socket left behind (open=$open)" test "${open:-1}" -eq 0
summary
