#!/usr/bin/env bash
# ustackctl against a running ustackd: every command, its --json output,
# the permission checks, a capture read by tshark.
source "$(dirname "$0")/lib.sh"
need_root "25-ustackctl"
USTACKCTL=${USTACKCTL:-$PWD/$BUILD/ustackctl}

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
SOCK=$TMP/ctl.sock
LOG=$TMP/ustackd.log
US=192.0.2.2
KERNEL=192.0.2.1
chmod 755 "$TMP"
C() { "$USTACKCTL" --socket "$SOCK" "$@"; }

out=$("$USTACKCTL" --socket "$TMP/none.sock" stats 2>&1); rc=$?
check "no daemon: exit 3 with a message naming the socket" \
	test $rc -eq 3 -a -n "$(grep "cannot reach ustackd at $TMP/none.sock" <<<"$out")"
for cmd in stats neigh route addr config capture ping version; do
	check "ustackctl $cmd --help works without a daemon" \
		bash -c "'$USTACKCTL' --socket '$TMP/none.sock' $cmd --help | grep -q '^Usage: ustackctl $cmd'"
done
"$USTACKCTL" bogus >/dev/null 2>&1
check "unknown command: exit 2" test $? -eq 2

start_ustackd "$NS" "$LOG" "$SOCK" --tap ustk0 --addr $US/24 --gateway $KERNEL \
	--admin-group nogroup || { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0

out=$(C version)
check "version names the daemon's pid" grep -q "pid $DPID" <<<"$out"
check "version --json" bash -c "'$USTACKCTL' --socket '$SOCK' version --json | grep -q '\"pid\": $DPID'"

out=$(C ping $KERNEL -c 3 -i 0.1); rc=$?
check "ping: the stack's own echo requests answered by the kernel" \
	test $rc -eq 0 -a -n "$(grep '3 sent, 3 received' <<<"$out")"
out=$(C ping $KERNEL -c 2 -i 0.1 -s 20000)
check "ping -s 20000: fragmented both ways" grep -q '2 sent, 2 received' <<<"$out"
out=$(C ping $KERNEL -c 2 -i 0.1 --json)
check "ping --json is valid JSON with 2 replies" \
	test "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["received"])' <<<"$out")" = 2
C ping 192.0.2.99 -c 1 -W 0.3 >/dev/null
check "ping to nobody: exit 1" test $? -eq 1

kmac=$(in_ns cat /sys/class/net/ustk0/address)
out=$(C neigh)
check "neigh shows the kernel's MAC as reachable" grep -qE "^$KERNEL +$kmac +reachable" <<<"$out"
check "neigh shows the unanswered neighbour" grep -qE '^192.0.2.99 ' <<<"$out"
out=$(C neigh --json)
check "neigh --json has ip, mac, state, age_ms, queued" python3 -c '
import json, sys
n = {e["ip"]: e for e in json.loads(sys.argv[1])["neighbours"]}
e = n[sys.argv[2]]
assert e["mac"] == sys.argv[3] and e["state"] == "reachable"
assert e["age_ms"] >= 0 and e["queued"] == 0' "$out" $KERNEL "$kmac"

check "route add (root)" C route add 198.51.100.0/24 via $KERNEL metric 7
out=$(C route)
check "route shows it" grep -qE '^198.51.100.0/24 +192.0.2.1 +7 +static +ustk0$' <<<"$out"
out=$(C route --json)
check "route --json" python3 -c '
import json, sys
r = json.loads(sys.argv[1])["routes"]
assert {"dst": "198.51.100.0/24", "family": 4, "gateway": "192.0.2.1", "metric": 7, "origin": "static", "dev": "ustk0"} in r
assert {"dst": "0.0.0.0/0", "family": 4, "gateway": "192.0.2.1", "metric": 0, "origin": "static", "dev": "ustk0"} in r
assert {"dst": "192.0.2.0/24", "family": 4, "gateway": "", "metric": 0, "origin": "connected", "dev": "ustk0"} in r
assert {"dst": "127.0.0.0/8", "family": 4, "gateway": "", "metric": 0, "origin": "connected", "dev": "lo"} in r' "$out"
C route add 198.51.100.0/24 via 203.0.113.1 2>/dev/null
check "route add via an off-link gateway: exit 1" test $? -eq 1
check "route del" C route del 198.51.100.0/24
out=$(C route del 198.51.100.0/24 2>&1); rc=$?
check "route del of a missing route: exit 1, 'no such route'" \
	test $rc -eq 1 -a -n "$(grep 'no such route' <<<"$out")"

check "addr add 192.0.2.3/24" C addr add 192.0.2.3/24
out=$(in_ns ping -n -c 3 -i 0.2 -W 5 192.0.2.3)
# the new address answers: one reply of three is enough (runs under heavy
# load saw one echo of two lost here, twice; 10-ping checks loss)
check "the kernel pings the new address ($(grep -o '[0-9]* received' <<<"$out"))" \
	grep -q '[1-3] received' <<<"$out"
check "addr --json lists both" python3 -c '
import json, sys
a = json.loads(sys.argv[1])["addresses"]
v4 = [x["addr"] + "/" + str(x["prefix"]) for x in a if x["family"] == 4 and x["dev"] == "ustk0"]
assert v4 == ["192.0.2.2/24", "192.0.2.3/24"], v4' "$(C addr --json)"
check "addr del" C addr del 192.0.2.3/24
out=$(in_ns ping -n -c 1 -W 1 192.0.2.3)
check "the deleted address no longer answers" grep -q ' 0 received' <<<"$out"

out=$(C config)
check "config shows the running settings" grep -qx "gateway = $KERNEL" <<<"$out"
out=$(C config --json)
check "config --json" python3 -c '
import json, sys
c = json.loads(sys.argv[1])["config"]
assert c["tap"] == "ustk0" and c["addr"] == ["192.0.2.2/24"] and c["admin-group"] == "nogroup"' "$out"

out=$(C stats)
check "stats lists icmp echo replies received" grep -qE '^  rx_echo_reply +[1-9]' <<<"$out"
check "stats shows memory against the budget" grep -qE '^  pbuf_budget +67108864 ' <<<"$out"
out=$(C stats --json)
check "stats --json: counters by group" python3 -c '
import json, sys
c = json.loads(sys.argv[1])["counters"]
assert c["icmp"]["tx_echo_req"] >= 8 and c["mem"]["pbuf_budget"] == 67108864
assert c["eth"]["rx_frames"] > 0 and "rx_bad_cksum" in c["ip"]' "$out"

# permissions: anyone may look, only root or the admin group may change
out=$(setpriv --reuid=65534 --regid=100 --clear-groups "$USTACKCTL" --socket "$SOCK" stats); rc=$?
check "a user outside the admin group may read stats" test $rc -eq 0
out=$(setpriv --reuid=65534 --regid=100 --clear-groups "$USTACKCTL" --socket "$SOCK" route add 203.0.113.0/24 via $KERNEL 2>&1); rc=$?
check "a user outside the admin group cannot add a route (EPERM, exit 1)" \
	test $rc -eq 1 -a -n "$(grep 'needs root or the admin group' <<<"$out")"
out=$(setpriv --reuid=65534 --regid=100 --groups=65534 "$USTACKCTL" --socket "$SOCK" route add 203.0.113.0/24 via $KERNEL 2>&1); rc=$?
check "a supplementary member of the admin group can ($out)" test $rc -eq 0
C route del 203.0.113.0/24
out=$(setpriv --reuid=65534 --regid=100 --clear-groups "$USTACKCTL" --socket "$SOCK" capture start "$TMP/x.pcap" 2>&1); rc=$?
check "a user outside the admin group cannot start a capture" test $rc -eq 1

# capture: ustackctl opens the file, ustackd writes it
check "capture start" C capture start "$TMP/cap.pcap"
out=$(C capture start "$TMP/cap2.pcap" 2>&1); rc=$?
check "a second capture is refused" test $rc -eq 1 -a -n "$(grep 'already running' <<<"$out")"
in_ns ping -n -c 3 -i 0.1 -W 1 $US >/dev/null
out=$(C capture stop)
frames=$(sed -n 's/capture stopped: \([0-9]*\) frames/\1/p' <<<"$out")
check "capture stop reports the frames ($frames)" test "${frames:-0}" -ge 6
n=$(tshark -r "$TMP/cap.pcap" -Y 'icmp.type == 0' 2>/dev/null | wc -l)
check "tshark reads the capture: 3 echo replies ($n)" test "$n" -eq 3
out=$(C capture stop 2>&1); rc=$?
check "capture stop with none running: exit 1" test $rc -eq 1

for cmd in "stats" "neigh" "route" "addr" "config" "version"; do
	check "$cmd --json is valid JSON" bash -c "'$USTACKCTL' --socket '$SOCK' $cmd --json | python3 -c 'import json,sys; json.load(sys.stdin)'"
done

stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
summary
