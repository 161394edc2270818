#!/usr/bin/env bash
# The stack's own loopback (127.0.0.0/8, ustack(7)): two programs on ustack
# talk over 127.0.0.1, TCP (python3 http.server and curl) and UDP (socat),
# with 127.9.9.9 and 0.0.0.0 as destinations too; they reach ustack's
# sockets, not the namespace kernel's (which serves other content on the
# same ports), and nothing crosses the TAP. ustackctl addr, route (and
# --json), netstat and ping show the loopback.
source "$(dirname "$0")/lib.sh"
need_root "26-loopback"

B=$PWD/$BUILD
RUN=$B/ustack-run
CTL=$B/ustackctl
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
chmod 711 "$TMP"

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
ur() { in_ns timeout 30 "$RUN" --socket "$SOCK" "$@"; }
C() { "$CTL" --socket "$SOCK" "$@"; }
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	|| { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0
# packets the kernel received from the TAP, i.e. what ustack sent on it
tap_rx() { in_ns cat /sys/class/net/ustk0/statistics/rx_packets; }
# a ustack-side listener shows in ustackctl netstat
ustack_listens() { C netstat -n | grep -qE "^tcp .* 127\.0\.0\.1:$1 .* LISTEN"; }

out=$(C addr)
check "addr shows 127.0.0.1/8 on lo" grep -qE '^127\.0\.0\.1/8 +lo +preferred +static +forever +forever$' <<<"$out"
check "addr shows ::1/128 on lo" grep -qE '^::1/128 +lo ' <<<"$out"
check "addr shows $US/24 on the TAP" grep -qE "^$US/24 +ustk0 +preferred" <<<"$out"
out=$(C addr --json)
check "addr --json: addresses and interfaces" python3 -c '
import json, sys
a = json.loads(sys.argv[1])
v4 = [x["addr"] + "/" + str(x["prefix"]) for x in a["addresses"] if x["family"] == 4]
assert v4 == ["127.0.0.1/8", sys.argv[2] + "/24"], a
assert a["addresses"][0]["dev"] == "lo" and a["addresses"][0]["state"] == "preferred"
i = {x["name"]: x for x in a["interfaces"]}
assert i["lo"] == {"name": "lo", "loopback": True, "addresses": ["127.0.0.1/8", "::1/128"]}, i
assert i["ustk0"]["addresses"][0] == sys.argv[2] + "/24" and not i["ustk0"]["loopback"]' "$out" $US
out=$(C route)
check "route shows 127.0.0.0/8 on lo" grep -qE '^127\.0\.0\.0/8 +on-link +0 +connected +lo$' <<<"$out"
out=$(C route --json)
check "route --json: the loopback's route with its dev" python3 -c '
import json, sys
r = json.loads(sys.argv[1])["routes"]
assert {"dst": "127.0.0.0/8", "family": 4, "gateway": "", "metric": 0, "origin": "connected", "dev": "lo"} in r, r
assert {"dst": "::1/128", "family": 6, "gateway": "", "metric": 0, "origin": "connected", "dev": "lo"} in r, r
assert {"dst": "192.0.2.0/24", "family": 4, "gateway": "", "metric": 0, "origin": "connected", "dev": "ustk0"} in r, r' "$out"
C route del 127.0.0.0/8 2>/dev/null
check "route del 127.0.0.0/8 is refused (exit 1)" test $? -eq 1
out=$(C ping -c 2 127.0.0.1 2>&1)
check "ustackctl ping 127.0.0.1: the stack answers itself" grep -q '2 received' <<<"$out"

# the kernel's own loopback in the namespace serves something else on the
# same ports: a program on ustack must never reach it
mkdir -p "$TMP/kwww" "$TMP/uwww"
echo "the kernel's loopback" >"$TMP/kwww/index.html"
echo "ustack's loopback" >"$TMP/uwww/index.html"
head -c 3000000 /dev/urandom >"$TMP/uwww/f.bin"
in_ns timeout 60 python3 -m http.server 8000 --bind 127.0.0.1 -d "$TMP/kwww" \
	>/dev/null 2>&1 &
PIDS+=($!)
ur timeout 60 python3 -m http.server 8000 --bind 127.0.0.1 -d "$TMP/uwww" \
	>/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 ustack_listens 8000 || fail "http.server on ustack listens on 127.0.0.1"
kernel_listens() { in_ns ss -Htln "sport = :8000" | grep -q .; }
wait_for 10 kernel_listens || fail "the kernel's http.server starts"
before=$(tap_rx)
out=$(ur curl -s -m 10 http://127.0.0.1:8000/)
check "curl on ustack gets ustack's server over 127.0.0.1 ($out)" test "$out" = "ustack's loopback"
ur curl -s -m 20 -o "$TMP/f.bin" http://127.0.0.1:8000/f.bin
check "3 MB over ustack's loopback, intact" cmp -s "$TMP/f.bin" "$TMP/uwww/f.bin"
out=$(in_ns curl -s -m 10 http://127.0.0.1:8000/)
check "the kernel's curl still gets the kernel's server ($out)" test "$out" = "the kernel's loopback"
after=$(tap_rx)
check "nothing crossed the TAP meanwhile ($before, $after frames)" \
	test $((after - before)) -le 2
out=$(C netstat -n)
LO='(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\])'
# whichever side closed first holds TIME_WAIT: http.server closes after its
# reply, curl once it has Content-Length bytes (a race, on a kernel too)
check "netstat shows the connection's TIME_WAIT on 127.0.0.1" \
	grep -qE "^tcp6? .*$LO:([0-9]+ +$LO:8000|8000 +$LO:[0-9]+) +TIME_WAIT" <<<"$out"

# UDP: socat echoes under ustack, on 0.0.0.0 (its replies come from
# 127.0.0.1, as on the kernel) and on 127.9.9.9 (any address of the
# block); clients to 127.0.0.1, 0.0.0.0 (the loopback) and 127.9.9.9
ur timeout 60 socat UDP4-RECVFROM:7000,bind=0.0.0.0,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
ur timeout 60 socat UDP4-RECVFROM:7001,bind=127.9.9.9,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
for dst in 127.0.0.1:7000 0.0.0.0:7000 127.9.9.9:7001; do
	out=$(echo "hello $dst" | ur socat -T 3 - UDP4:$dst 2>&1)
	check "UDP echo over ustack's loopback to $dst ($out)" test "$out" = "hello $dst"
done

# from the link, 127/8 is a martian: a datagram to 127.0.0.1:7000 put on
# the TAP by the kernel side (scapy) is dropped and counted, not echoed
mac=$(C config | sed -n 's/^mac = //p')
bad() { C stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["ip"]["rx_bad_dst"])'; }
b0=$(bad)
in_ns /usr/bin/python3 -c '
import sys
from scapy.all import Ether, IP, UDP, sendp
sendp(Ether(dst=sys.argv[1]) / IP(src=sys.argv[2], dst="127.0.0.1") /
      UDP(sport=5555, dport=7000) / b"martian", iface="ustk0", verbose=False)' \
	"$mac" $KERNEL 2>/dev/null
sleep 0.3
b1=$(bad)
check "a frame to 127.0.0.1 from the link is dropped (rx_bad_dst $b0 -> $b1)" \
	test "$b1" -eq $((b0 + 1))

stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
summary
