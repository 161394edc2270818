#!/usr/bin/env bash
# Real programs over ustack's UDP through ustack-run: socat in both roles,
# python3 in both roles; ustack-run's own errors.
source "$(dirname "$0")/lib.sh"
need_root "31-udp-programs"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1

out=$("$RUN" --socket "$TMP/nobody-here.sock" true 2>&1)
rc=$?
check "ustack-run without ustackd: exit 125 ($rc)" test $rc -eq 125
check "ustack-run without ustackd: says so ($out)" grep -q 'ustackd is not reachable' <<<"$out"
out=$(USTACK_SOCKET=$TMP/nobody-here.sock "$RUN" true 2>&1)
check "ustack-run reads USTACK_SOCKET" grep -q "$TMP/nobody-here.sock" <<<"$out"

new_netns NS || { fail "create namespace"; summary; exit 1; }
SOCK=$TMP/ctl.sock
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	|| { fail "ustackd starts"; summary; exit 1; }
ip -n "$NS" addr add $KERNEL/24 dev ustk0
in_ns() { ip netns exec "$NS" "$@"; }
ur() { in_ns timeout 20 "$RUN" --socket "$SOCK" "$@"; }
udp_bound() { in_ns ss -Huln "sport = :$1" | grep -q .; }

out=$(ur sh -c 'echo $LD_PRELOAD')
check "ustack-run sets LD_PRELOAD ($out)" grep -q 'libustack-preload.so' <<<"$out"
out=$(ur "$TMP/no-such-program" 2>&1)
check "ustack-run: a missing program exits 127" test $? -eq 127

# socat as a UDP server on ustack, the kernel's socat as client
ur socat -T 5 UDP4-LISTEN:9000,bind=$US EXEC:/bin/cat &
PIDS+=($!)
wait_for 10 ustack_bound "$SOCK" 9000
out=$(echo "hello ustack" | in_ns timeout 10 socat -t 2 - UDP4:$US:9000)
check "socat UDP server under ustack-run echoes ($out)" test "$out" = "hello ustack"

# the kernel's socat as server, socat on ustack as client
in_ns timeout 20 socat -T 5 UDP4-LISTEN:9001,bind=$KERNEL EXEC:/bin/cat &
PIDS+=($!)
wait_for 10 udp_bound 9001
out=$(echo "hello kernel" | ur socat -t 2 - UDP4:$KERNEL:9001)
check "socat UDP client under ustack-run gets the echo ($out)" test "$out" = "hello kernel"

# python3 in both roles, 200 datagrams of every size class
py_server=$(cat <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9100))
s.settimeout(10)
for i in range(200):
    d, a = s.recvfrom(65535)
    s.sendto(d[::-1], a)
PY
)
py_client=$(cat <<'PY'
import socket, sys, hashlib
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(3)
ok = 0
for i in range(200):
    n = (i * 331) % 9000
    d = hashlib.sha256(str(i).encode()).digest() * (n // 32 + 1)
    d = d[:n]
    c.sendto(d, (sys.argv[1], 9100))
    r, a = c.recvfrom(65535)
    ok += r == d[::-1]
print(ok)
PY
)
ur python3 -c "$py_server" $US &
PIDS+=($!)
wait_for 10 ustack_bound "$SOCK" 9100
out=$(in_ns timeout 20 python3 -c "$py_client" $US 2>&1)
check "python3 UDP server under ustack-run: 200 of 200 answers right ($out)" test "$out" = 200
in_ns timeout 20 python3 -c "$py_server" $KERNEL &
PIDS+=($!)
wait_for 10 udp_bound 9100
out=$(ur python3 -c "$py_client" $KERNEL 2>&1)
check "python3 UDP client under ustack-run: 200 of 200 answers right ($out)" test "$out" = 200

# a bulk sender under ustack-run: its datagrams go down the channel
# without a round trip each (libustack's dgram.c), all of them, in order
bulk_rx=$(cat <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 16 << 20)
s.bind((sys.argv[1], 9101))
s.settimeout(5)
n, order = 0, True
try:
    while n < 2000:
        d = s.recv(65535)
        order &= int(d[:8]) == n
        n += 1
except socket.timeout:
    pass
print(n, order)
PY
)
bulk_tx=$(cat <<'PY'
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect((sys.argv[1], 9101))
for i in range(2000):
    c.send(b"%08d" % i + b"x" * 992)
PY
)
in_ns timeout 30 python3 -c "$bulk_rx" $KERNEL >"$TMP/bulk.out" 2>&1 &
bpid=$!
PIDS+=($bpid)
wait_for 10 udp_bound 9101
before=$("$B/ustackctl" --socket "$SOCK" stats | awk '$1 == "dgram_chan" { print $2 }')
ur python3 -c "$bulk_tx" $KERNEL
wait $bpid
after=$("$B/ustackctl" --socket "$SOCK" stats | awk '$1 == "dgram_chan" { print $2 }')
out=$(cat "$TMP/bulk.out")
check "2000 datagrams from a sender under ustack-run, all and in order ($out)" \
	test "$out" = "2000 True"
check "... sent down the channel without a round trip each (dgram_chan ${before:-?} -> ${after:-?})" \
	test "$(( ${after:-0} - ${before:-0} ))" -ge 1990

# a socket survives exec: the new program finds it by asking the daemon
py_exec=$(cat <<'PY'
import os, socket, sys
if len(sys.argv) == 4:
    s = socket.socket(fileno=int(sys.argv[2]))
    print(s.type == socket.SOCK_DGRAM, s.family == socket.AF_INET, s.getpeername()[1])
    # O_NONBLOCK (from settimeout before exec) survives exec, and python
    # takes such an fd as non-blocking: wait for the answer explicitly
    s.settimeout(5)
    s.send(b"after exec")
    print(s.recv(100).decode())
    sys.exit(0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((sys.argv[1], 9100))
os.set_inheritable(s.fileno(), True)
os.execv(sys.executable, [sys.executable, "-c", sys.argv[2], sys.argv[1],
                          str(s.fileno()), "exec'd"])
PY
)
in_ns timeout 20 python3 -c "$py_server" $KERNEL >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 udp_bound 9100
out=$(ur python3 -c "$py_exec" $KERNEL "$py_exec" 2>&1 | tr '\n' ' ')
check "a socket survives exec (type, family, peer, data: $out)" \
	test "$out" = "True True 9100 cexe retfa "

stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
check "no datagram dropped at a full channel" \
	bash -c "! grep -q 'chan_full' '$TMP/ustackd.log'"
summary
