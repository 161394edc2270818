#!/usr/bin/env bash
# ustackd --dhcp against a kernel-side dnsmasq in a namespace of its own:
# the lease (address, router, DNS server, domain), the kernel pinging the
# leased address, a renewal at T1, INIT-REBOOT after a crash with the lease
# kept in the state file, RELEASE on SIGTERM, and readiness after
# dhcp-timeout when no server answers.
#
# dnsmasq's shortest lease is 120 s; T1 and T2 are set short through
# options 58 and 59 (dhcp-option=58,6 / 59,100), so a renewal comes 6 s
# after the lease is obtained.
source "$(dirname "$0")/lib.sh"
need_root "63-dhcp"
command -v dnsmasq >/dev/null || { fail "dnsmasq is installed (make deps)"; summary; exit 1; }

CTL=$PWD/$BUILD/ustackctl
NS=ustk-dhcp-$$
NS2=ustk-dhcp2-$$
ip netns add "$NS" || { fail "create namespace"; summary; exit 1; }
NETNS+=("$NS")
ip netns add "$NS2" || { fail "create namespace"; summary; exit 1; }
NETNS+=("$NS2")
in_ns() { ip netns exec "$NS" "$@"; }
for n in "$NS" "$NS2"; do
	ip netns exec "$n" ip link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done

SOCK=$TMP/ctl.sock
LOG=$TMP/ustackd.log
CAP=$TMP/cap.pcap
CAP2=$TMP/cap2.pcap
LEASE=$TMP/ustackd.lease
KERNEL=192.0.2.1
MAC=02:00:00:00:d0:01

# the TAP exists before ustackd attaches to it, so the kernel side (and
# dnsmasq on it) is ready for the first DISCOVER
in_ns ip tuntap add dev ustk0 mode tap
in_ns ip addr add $KERNEL/24 dev ustk0
in_ns ip link set ustk0 up

cat >"$TMP/dnsmasq.conf" <<EOF
interface=ustk0
bind-interfaces
no-resolv
no-hosts
address=/only-dnsmasq.test/192.0.2.77
dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,120
dhcp-option=option:router,$KERNEL
dhcp-option=option:dns-server,$KERNEL
dhcp-option=option:domain-name,ustk.test
dhcp-option=58,6
dhcp-option=59,100
dhcp-authoritative
dhcp-leasefile=$TMP/dnsmasq.leases
log-dhcp
log-facility=$TMP/dnsmasq.log
pid-file=$TMP/dnsmasq.pid
user=root
group=root
EOF
ip netns exec "$NS" dnsmasq --no-daemon --conf-file="$TMP/dnsmasq.conf" 2>"$TMP/dnsmasq.err" &
DNSMASQ=$!
PIDS+=("$DNSMASQ")
if ! wait_for 5 grep -q "DHCP, IP range" "$TMP/dnsmasq.log"; then
	fail "dnsmasq starts"; cat "$TMP/dnsmasq.err" "$TMP/dnsmasq.log"; summary; exit 1
fi
ok "dnsmasq serves DHCP on the kernel side"

# start_dhcp: ustackd --dhcp in the background; the control socket appears
# once it holds a lease (or after --dhcp-timeout)
start_dhcp() {
	ip netns exec "$NS" "$USTACKD" --foreground --socket "$SOCK" --tap ustk0 --dhcp \
		--mac $MAC --dhcp-hostname ustk-client --dhcp-lease-file "$LEASE" \
		--dhcp-timeout 20 "$@" 2>>"$LOG" &
	DPID=$!
	PIDS+=("$DPID")
}
counter() {   # counter GROUP NAME
	"$CTL" --socket "$SOCK" stats --json | python3 -c \
		"import json,sys; print(json.load(sys.stdin)['counters'].get('$1', {}).get('$2', 0))"
}

t0=$SECONDS
start_dhcp --capture "$CAP"
if ! wait_for 25 test -S "$SOCK"; then
	fail "ustackd --dhcp becomes ready"; cat "$LOG"; summary; exit 1
fi
ok "ready (control socket) once the lease is held, after $((SECONDS - t0)) s"
check "the log says it waited for a lease and was bound" \
	bash -c "grep -q 'waiting up to 20 s for a lease' '$LOG' && grep -q 'dhcp: bound to 192.0.2.1[0-5][0-9]/24 from $KERNEL' '$LOG'"

addr=$("$CTL" --socket "$SOCK" addr --json | python3 -c \
	"import json,sys; print(json.load(sys.stdin)['dhcp']['addr'])")
check "a leased address from the range ($addr)" \
	bash -c "[[ '$addr' =~ ^192\\.0\\.2\\.1[0-5][0-9]$ ]]"
out=$("$CTL" --socket "$SOCK" addr)
echo "$out" | sed 's/^/    /'
check "ustackctl addr: the address, origin dhcp, with its lifetime" \
	bash -c "grep -E '^$addr/24 +ustk0 +preferred +dhcp +1[0-9]{2}s' <<<'$out'"
check "ustackctl addr: the lease, its server, T1, T2 and expiry" \
	bash -c "grep -q 'DHCP bound: $addr/24 from server $KERNEL' <<<'$out' &&
		 grep -q 'T1 (renew) in' <<<'$out' && grep -q 'router $KERNEL' <<<'$out'"
check "ustackctl addr --json: the lease" python3 -c "
import json, subprocess
j = json.loads(subprocess.check_output(['$CTL', '--socket', '$SOCK', 'addr', '--json']))
d = j['dhcp']
assert d['state'] in ('bound', 'renewing'), d
assert d['server'] == '$KERNEL' and d['router'] == '$KERNEL', d
assert d['dns'] == ['$KERNEL'] and d['domain'] == 'ustk.test', d
assert d['lease_s'] == 120 and 0 <= d['t1_s'] <= 6 and d['t2_s'] <= 100, d
assert d['expiry_s'] <= 120 and d['obtained_s_ago'] >= 0, d
assert any(a['addr'] == '$addr' and a['origin'] == 'dhcp' for a in j['addresses'])
"
check "a default route through the router" \
	bash -c "'$CTL' --socket '$SOCK' route | grep -Eq '^(default|0\\.0\\.0\\.0/0) .*$KERNEL'"
dns=$("$CTL" --socket "$SOCK" dns)
check "ustackctl dns: the DHCP server and domain" \
	bash -c "grep -Eq 'server +$KERNEL ' <<<'$dns' && grep -Eq 'search +ustk.test ' <<<'$dns'"
check "dnsmasq saw our host name (option 12)" \
	grep -q "DHCPACK(ustk0) $addr $MAC ustk-client" "$TMP/dnsmasq.log"
check "the kernel pings the leased address" \
	in_ns ping -n -q -c 3 -i 0.2 -W 2 "$addr"

# T1 = 6 s: a unicast REQUEST to the server, ACKed
# (each wait looks again every time: a "$(...)" argument of wait_for would be
# read once, and the check then depended on whether T1 had come already)
renewed() { test "$(counter dhcp renewals)" -ge 1; }
acked_twice() { test "$(grep -c "DHCPACK(ustk0) $addr" "$TMP/dnsmasq.log")" -ge 2; }
if wait_for 15 renewed && wait_for 5 acked_twice; then
	ok "a renewal at T1, ACKed by dnsmasq"
else
	fail "a renewal at T1, ACKed by dnsmasq"
fi
check "still bound after the renewal, same address" \
	bash -c "'$CTL' --socket '$SOCK' addr | grep -q 'DHCP bound: $addr/24'"
check "the lease is kept in the state file" grep -q "addr = $addr/24" "$LEASE"

# a crash: the state file brings INIT-REBOOT (a REQUEST for the address,
# no DISCOVER) at the next start
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
rm -f "$SOCK"
check "the capture shows DISCOVER, OFFER, REQUEST, ACK" \
	bash -c "n=\$(tshark -r '$CAP' -Y 'dhcp' -T fields -e dhcp.option.dhcp 2>/dev/null | sort -u | tr '\n' ' '); [[ \"\$n\" == '1 2 3 5 ' ]]"
tshark -r "$CAP" -Y dhcp 2>/dev/null | head -n 8 | sed 's/^/    /'
start_dhcp --capture "$CAP2"
if wait_for 15 test -S "$SOCK"; then
	ok "restarted after a crash, ready again"
else
	fail "restarted after a crash, ready again"; tail "$LOG"
fi
check "INIT-REBOOT: asked for the last lease's address" \
	grep -q "asking for the last lease, $addr (INIT-REBOOT)" "$LOG"
check "INIT-REBOOT: the same address, without a DISCOVER" \
	bash -c "[ \"\$('$CTL' --socket '$SOCK' addr --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"dhcp\"][\"addr\"])')\" = $addr ] &&
		 [ \"\$(python3 -c 'import json,sys; print(json.load(sys.stdin)[\"counters\"][\"dhcp\"].get(\"tx_discover\", 0))' < <('$CTL' --socket '$SOCK' stats --json))\" = 0 ]"
check "the kernel pings it again" in_ns ping -n -q -c 2 -i 0.2 -W 2 "$addr"
check "no malformed or ignored DHCP message" \
	test "$(counter dhcp rx_bad_option)$(counter dhcp rx_short)$(counter dhcp rx_bad_xid)" = 000

# SIGTERM: RELEASE, then exit, within a few seconds
grep -q "$MAC" "$TMP/dnsmasq.leases"; had_lease=$?
t0=$SECONDS
kill -TERM "$DPID"
if wait_for 5 bash -c "! kill -0 $DPID"; then
	wait "$DPID"; rc=$?
	check "SIGTERM: exit 0 within 5 s (status $rc, $((SECONDS - t0)) s)" test "$rc" -eq 0
else
	fail "SIGTERM: exit within 5 s"
fi
check "dnsmasq held our lease before" test "$had_lease" -eq 0
check "SIGTERM: dnsmasq got the RELEASE" \
	wait_for 5 grep -q "DHCPRELEASE(ustk0) $addr $MAC" "$TMP/dnsmasq.log"
check "SIGTERM: dnsmasq's lease file no longer has us" \
	wait_for 5 bash -c "! grep -q '$MAC' '$TMP/dnsmasq.leases'"
check "SIGTERM: the RELEASE is in the capture, from $addr to $KERNEL" \
	bash -c "tshark -r '$CAP2' -Y 'dhcp.option.dhcp == 7' -T fields -e ip.src -e ip.dst 2>/dev/null |
		 grep -q '^$addr	$KERNEL\$'"
check "after INIT-REBOOT the capture shows REQUEST, ACK, RELEASE only" \
	bash -c "n=\$(tshark -r '$CAP2' -Y 'dhcp' -T fields -e dhcp.option.dhcp 2>/dev/null | sort -u | tr '\n' ' '); [[ \"\$n\" == '3 5 7 ' ]]"
check "a released lease is not kept for INIT-REBOOT" test ! -e "$LEASE"

# no server: ready after --dhcp-timeout, logged, still trying
SOCK2=$TMP/ctl2.sock
LOG2=$TMP/ustackd2.log
t0=$SECONDS
ip netns exec "$NS2" "$USTACKD" --foreground --socket "$SOCK2" --tap ustk1 \
	--dhcp --dhcp-timeout 2 --dhcp-lease-file "$TMP/none.lease" 2>"$LOG2" &
D2=$!
PIDS+=("$D2")
if wait_for 10 test -S "$SOCK2"; then
	ok "no server: ready after dhcp-timeout ($((SECONDS - t0)) s)"
else
	fail "no server: ready after dhcp-timeout"
fi
check "no server: the log says so" grep -q "no lease after 2 s" "$LOG2"
check "no server: ustackctl addr shows the client selecting" \
	bash -c "'$CTL' --socket '$SOCK2' addr | grep -q 'DHCP selecting (no lease)'"
check "no server: DISCOVERs go on" \
	wait_for 8 bash -c "[ \"\$(python3 -c 'import json,sys; print(json.load(sys.stdin)[\"counters\"][\"dhcp\"][\"tx_discover\"])' < <('$CTL' --socket '$SOCK2' stats --json))\" -ge 2 ]"
stop_ustackd "$D2"
check "no server: SIGTERM exits 0" test $? -eq 0

kill -TERM "$DNSMASQ"; wait "$DNSMASQ" 2>/dev/null
summary
