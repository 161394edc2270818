#!/usr/bin/env bash
# ustackctl netstat and kill on real programs, the case from the
# FreeRTOS+TCP forum: a server under ustack-run accepts clients and never
# closes them; the clients send and leave; their sockets sit in CLOSE_WAIT
# until somebody acts. Also: an active closer's TIME_WAIT counting down,
# the JSON keys, filters, and who may kill.
source "$(dirname "$0")/lib.sh"
need_root "50-netstat"

US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
RUN=$PWD/$BUILD/ustack-run
USTACKCTL=$PWD/$BUILD/ustackctl
chmod 755 "$TMP"
new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
C() { "$USTACKCTL" --socket "$SOCK" "$@"; }
J() { C netstat --json "$@"; }
tcp_bound() { C netstat --port "$1" --state listen | grep -q LISTEN; }

# a 3 s MSL makes TIME_WAIT last 6 s
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	--tcp-msl 3 || { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0

cat >"$TMP/hoarder.py" <<'PY'
# accepts clients, reads what they send, never closes them
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 8080))
s.listen(8)
kept = []
while True:
    c, _ = s.accept()
    c.recv(100)
    kept.append(c)
PY
ip netns exec "$NS" "$RUN" --socket "$SOCK" python3 "$TMP/hoarder.py" &
SERVER=$!	# ustack-run execs python: this is the server's pid
PIDS+=("$SERVER")
wait_for 10 tcp_bound 8080
check "the server under ustack-run listens on 8080" tcp_bound 8080

ports=()
for i in 1 2 3; do
	p=$(in_ns python3 -c "
import socket
c = socket.create_connection(('$US', 8080))
print(c.getsockname()[1]); c.sendall(b'hello'); c.close()")
	ports+=("$p")
done
sleep 0.5
out=$(C netstat --state close-wait)
echo "$out"
n=$(grep -c '^tcp .* CLOSE_WAIT ' <<<"$out")
check "netstat --state close-wait lists exactly the 3 left sockets ($n)" test "$n" -eq 3
for p in "${ports[@]}"; do
	check "...including the one from port $p" grep -qE "192.0.2.1:$p +CLOSE_WAIT" <<<"$out"
done
check "...owned by python3" test "$(grep -c '/python3 (0)' <<<"$out")" -eq 3
check "the summary line counts them" grep -q '^3 sockets: tcp 3, udp 0, CLOSE_WAIT 3$' <<<"$out"
check "stats counts sockets per state too" python3 -c '
import json, sys
s = json.loads(sys.argv[1])["counters"]["sockets"]
assert s["tcp_close_wait"] == 3 and s["tcp_listen"] == 1, s' "$(C stats --json)"
json=$(J --state close-wait)
check "netstat --json: every socket has the documented keys, ages grow" python3 -c '
import json, sys
s = json.loads(sys.argv[1])["sockets"]
assert len(s) == 3
for e in s:
    for k in ("proto", "local", "remote", "state", "recv_q", "send_q", "timer",
              "timer_ms", "state_ms", "pid", "uid", "comm"):
        assert k in e, k
    assert e["proto"] == "tcp" and e["state"] == "CLOSE_WAIT" and e["comm"] == "python3"
    # accepted connections share the record of the listener holder (sock_prog)
    assert e["pid"] == int(sys.argv[2]) and e["uid"] == 0, e
    assert e["local"] == "192.0.2.2:8080" and e["state_ms"] >= 0 and e["recv_q"] == 0' "$json" "$SERVER"
out=$(C netstat --state listen)
check "the listener shows its accept queue fill 0/8 as Recv-Q/Send-Q" \
	grep -qE '^tcp +0 +8 +\*:(8080|http-alt) +\*:\* +LISTEN' <<<"$out"
check "netstat -n shows port numbers" bash -c "'$USTACKCTL' --socket '$SOCK' netstat -n --state listen | grep -q '\*:8080 '"
out=$(C netstat -e --state close-wait)
check "netstat -e adds cwnd, srtt, rto" grep -q 'cwnd [0-9]* ssthresh .* rto [0-9]*ms' <<<"$out"
check "--port filters" test "$(C netstat --port "${ports[0]}" | grep -c '^tcp ')" -eq 1

# kill: a user outside the admin group may not
out=$(setpriv --reuid=65534 --regid=100 --clear-groups "$USTACKCTL" --socket "$SOCK" \
	kill --local $US:8080 --remote $KERNEL:${ports[0]} 2>&1); rc=$?
check "kill by a user outside the admin group: EPERM, exit 1" \
	test $rc -eq 1 -a -n "$(grep 'needs root' <<<"$out")"
C capture start "$TMP/kill.pcap" >/dev/null
out=$(C kill --local $US:8080 --remote $KERNEL:${ports[0]}); rc=$?
check "kill frees one CLOSE_WAIT socket" test $rc -eq 0 -a "$out" = "killed 1 connection"
id=$(J --state close-wait | python3 -c 'import json,sys; print(json.load(sys.stdin)["sockets"][0]["id"])')
check "kill ID (from netstat --json) frees another" bash -c "'$USTACKCTL' --socket '$SOCK' kill $id >/dev/null"
sleep 0.3
C capture stop >/dev/null
rst=$(tshark -r "$TMP/kill.pcap" -Y "tcp.flags.reset == 1 && tcp.srcport == 8080" -T fields -e tcp.dstport 2>/dev/null | sort -n | tr '\n' ' ')
check "the peers saw a RST each ($rst)" test "$(wc -w <<<"$rst")" -eq 2
check "...the first to port ${ports[0]}" grep -qw "${ports[0]}" <<<"$rst"
out=$(in_ns ss -tanH "( sport = :${ports[0]} )")
check "the kernel's FIN_WAIT_2 socket for port ${ports[0]} is gone" test -z "$out"
n=$(C netstat --state close-wait | grep -c '^tcp ')
check "one CLOSE_WAIT socket left ($n)" test "$n" -eq 1
out=$(C netstat --state closed)
check "the killed sockets show CLOSED until the program closes them" \
	test "$(grep -c '^tcp .* CLOSED .*/python3' <<<"$out")" -eq 2
out=$(C kill --local $US:8080 --remote $KERNEL:${ports[0]} 2>&1); rc=$?
check "killing it again: 'no such connection', exit 1" \
	test $rc -eq 1 -a -n "$(grep 'no such connection' <<<"$out")"
# the next client connects at once
out=$(in_ns python3 -c "
import socket
c = socket.create_connection(('$US', 8080), timeout=2); c.sendall(b'x'); print('connected')")
check "the next client connects at once" test "$out" = connected

# an active closer: the ustack side closes first and keeps TIME_WAIT
in_ns timeout 30 python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$KERNEL', 9000)); s.listen(1)
c, _ = s.accept(); c.recv(10); c.recv(10); c.close()" &
KSERVER=$!
wait_for 10 bash -c "ip netns exec $NS ss -Htln 'sport = :9000' | grep -q ."
in_ns "$RUN" --socket "$SOCK" python3 -c "
import socket
c = socket.create_connection(('$KERNEL', 9000)); c.sendall(b'bye')
c.shutdown(socket.SHUT_WR); c.recv(10); c.close()"
wait $KSERVER
sleep 0.2
t1=$(J --state time-wait | python3 -c '
import json, sys
s = json.load(sys.stdin)["sockets"]
assert len(s) == 1 and s[0]["timer"] == "time-wait" and s[0]["remote"] == "192.0.2.1:9000", s
assert s[0]["pid"] == -1 and s[0]["comm"] == "-"
print(s[0]["timer_ms"])')
check "the active closer shows TIME_WAIT with its timer (${t1:-none} ms left), no owner" \
	test -n "$t1" -a "${t1:-0}" -gt 4000 -a "${t1:-0}" -le 6000
sleep 1.5
t2=$(J --state time-wait | python3 -c 'import json,sys; print(json.load(sys.stdin)["sockets"][0]["timer_ms"])')
check "the timer counts down ($t1 -> $t2 ms)" test -n "$t2" -a "${t2:-0}" -lt "$((t1 - 1000))"
wait_for 8 bash -c "! '$USTACKCTL' --socket '$SOCK' netstat --state time-wait | grep -q TIME_WAIT"
check "TIME_WAIT disappears when its 2 MSL are over" \
	bash -c "! '$USTACKCTL' --socket '$SOCK' netstat --state time-wait | grep -q TIME_WAIT"

# ages after an idle period: the engine has had no call for a while (the
# TIME_WAIT above was its last timer); a listener made now must show the
# age of its listen(), not the time since the engine's last call
sleep 2
t0=$(date +%s%N)
ip netns exec "$NS" "$RUN" --socket "$SOCK" python3 -c "
import socket, time
s = socket.socket(); s.bind(('', 8181)); s.listen(1); time.sleep(60)" &
IDLER=$!	# ip netns exec and ustack-run exec: this is python's pid
PIDS+=("$IDLER")
wait_for 10 tcp_bound 8181
age=$(J --port 8181 --state listen | python3 -c '
import json, sys; print(json.load(sys.stdin)["sockets"][0]["state_ms"])')
since=$(( ($(date +%s%N) - t0) / 1000000 ))
check "after an idle period a new listener's age (${age:-?} ms) is within the ${since} ms since it was started" \
	test -n "$age" -a "${age:-99999}" -le "$since"
kill "$IDLER"

# a program's record outlives its last socket for a while (no /proc read
# per socket for a program that opens and closes them in turn), but one
# idle for over a second is read again: a process that renamed itself
# (or a pid now another program's) shows its command of now
ip netns exec "$NS" "$RUN" --socket "$SOCK" python3 -c "
import ctypes, socket, time
for _ in range(50):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
ctypes.CDLL(None).prctl(15, b'renamed', 0, 0, 0)   # PR_SET_NAME
time.sleep(1.5)
s = socket.socket(); s.bind(('', 8282)); s.listen(1); time.sleep(60)" &
RENAMED=$!
PIDS+=("$RENAMED")
wait_for 10 tcp_bound 8282
comm=$(J --port 8282 --state listen | python3 -c '
import json, sys; print(json.load(sys.stdin)["sockets"][0]["comm"])')
check "a program renamed a second after its last socket shows its new command (${comm:-?})" \
	test "$comm" = renamed
kill "$RENAMED"

out=$(C netstat --json | python3 -c '
import json, sys
d = json.load(sys.stdin); print(d["summary"]["total"], d["summary"]["tcp"])')
check "netstat --json has a summary ($out)" test -n "$out"
C netstat --state bogus >/dev/null 2>&1
check "an unknown --state is a usage error" test $? -eq 2

kill "$SERVER"
wait "$SERVER" 2>/dev/null
wait_for 3 bash -c "! '$USTACKCTL' --socket '$SOCK' netstat | grep -q python3"
check "when the server exits, its sockets go with it" \
	bash -c "! '$USTACKCTL' --socket '$SOCK' netstat | grep -q python3"
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
summary
