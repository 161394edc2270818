#!/usr/bin/env bash
# The socket test programs (test/sockets), run twice: under ustack-run
# against ustackd on a TAP, and on a kernel-to-kernel path (two namespaces
# and a veth), both with IPv4 and IPv6 addresses. Their outputs must match
# line for line. SOCKET_PROGS="inet6 udp_io" runs only those.
source "$(dirname "$0")/lib.sh"
need_root "30-sockets"

B=$PWD/$BUILD
RUN=$B/ustack-run
PEER=192.0.2.1
SELF=192.0.2.2
chmod 711 "$TMP"     # the programs drop to uid 65534 for one check

PEER6=2001:db8:1::1
SELF6=2001:db8:1::2
# IPv6 on (lib.sh turns it off) where the programs and their peer run
ipv6_on() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
}

# kernel to kernel
new_netns KA || { fail "create namespace"; summary; exit 1; }
new_netns KB || { fail "create namespace"; summary; exit 1; }
ipv6_on "$KA"
ipv6_on "$KB"
ip link add ustkva netns "$KA" type veth peer name ustkvb netns "$KB"
# brd +: the broadcast address ustack's IPv4 address has (test/sockets/ifaddrs)
ip -n "$KA" addr add $SELF/24 brd + dev ustkva
ip -n "$KB" addr add $PEER/24 dev ustkvb
ip -n "$KA" addr add $SELF6/64 dev ustkva nodad
ip -n "$KB" addr add $PEER6/64 dev ustkvb nodad
ip -n "$KA" link set ustkva up
ip -n "$KB" link set ustkvb up
# ping sockets for every group, as ustack gives them (ustack(7))
ip netns exec "$KA" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
# TCP Fast Open as the default (net.ipv4.tcp_fastopen = 1, the client
# side): the namespace's own default, said here for test/sockets/sockopts
ip netns exec "$KA" sysctl -qw net.ipv4.tcp_fastopen=1

# ustack: ustackd on a TAP, the kernel on the other side of it. Its caps on
# SO_RCVBUF/SO_SNDBUF are the kernel's (net.core.rmem_max/wmem_max are the
# host's, not a namespace's, and are not ours to change): test/sockets/sockbuf
# compares what both give
new_netns NS || { fail "create namespace"; summary; exit 1; }
ipv6_on "$NS"
SOCK=$TMP/ctl.sock
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $SELF/24 \
	--addr $SELF6/64 \
	--rmem-max "$(cat /proc/sys/net/core/rmem_max)" \
	--wmem-max "$(cat /proc/sys/net/core/wmem_max)" \
	|| { fail "ustackd starts"; summary; exit 1; }
ip -n "$NS" addr add $PEER/24 dev ustk0
ip -n "$NS" addr add $PEER6/64 dev ustk0 nodad
ip -n "$NS" link set ustk0 up

# the peer outlives every program (together about 150 s)
ip netns exec "$KB" timeout 330 "$B/test/sockets/peer" $PEER 300 $PEER6 &
PIDS+=($!)
ip netns exec "$NS" timeout 330 "$B/test/sockets/peer" $PEER 300 $PEER6 &
PIDS+=($!)
bound() { [ "$(ip netns exec "$1" ss -Huln "sport = :7007" | wc -l)" -eq 2 ]; }
wait_for 10 bound "$KB" && wait_for 10 bound "$NS" || fail "peer did not start"
# ustack's IPv6 address is usable once duplicate address detection ends
dad_ok() {
	"$B/ustackctl" --socket "$SOCK" stats --json | python3 -c '
import json, sys
sys.exit(json.load(sys.stdin)["counters"]["addr6"]["dad_ok"] < 2)'
}
wait_for 10 dad_ok || fail "ustack's IPv6 addresses did not pass DAD"

# inet6 checks scope ids against the index of the interface that holds
# SELF6: INET6_IF names it on each side
for prog in "$B"/test/sockets/*; do
	name=$(basename "$prog")
	case $name in peer|*.d) continue ;; esac
	# SOCKET_PROGS="a b": only these (a developer's shortcut)
	case " ${SOCKET_PROGS:-$name} " in *" $name "*) ;; *) continue ;; esac
	INET6_IF=ustkva ip netns exec "$KA" timeout 60 "$prog" \
		$PEER $SELF $PEER6 $SELF6 >"$TMP/$name.kernel" 2>&1
	krc=$?
	INET6_IF=ustk0 ip netns exec "$NS" timeout 60 "$RUN" --socket "$SOCK" \
		"$prog" $PEER $SELF $PEER6 $SELF6 >"$TMP/$name.ustack" 2>&1
	urc=$?
	# test/sockets/NAME.known: words (option names) whose lines differ
	# from the kernel's for a reason written there; they are left out of
	# the comparison, and each must still differ (a fixed one is taken
	# off the list)
	known=test/sockets/$name.known
	if [ -f "$known" ]; then
		while read -r word _; do
			case $word in ''|'#'*) continue ;; esac
			if cmp -s <(grep -w -- "$word" "$TMP/$name.kernel") \
				<(grep -w -- "$word" "$TMP/$name.ustack"); then
				fail "$name: $word now as on the kernel: take it off $known"
			fi
			grep -v -w -- "$word" "$TMP/$name.kernel" >"$TMP/k" && mv "$TMP/k" "$TMP/$name.kernel"
			grep -v -w -- "$word" "$TMP/$name.ustack" >"$TMP/u" && mv "$TMP/u" "$TMP/$name.ustack"
		done <"$known"
		echo "$name: $(grep -c '^[A-Z]' "$known") known differences ($known)"
	fi
	n=$(wc -l <"$TMP/$name.kernel")
	if diff -u "$TMP/$name.kernel" "$TMP/$name.ustack" >"$TMP/$name.diff"; then
		ok "$name: $n lines, same output on ustack and on the kernel"
	else
		fail "$name: outputs differ (kernel -, ustack +):"
		cat "$TMP/$name.diff"
	fi
	check "$name: same exit status (kernel $krc, ustack $urc)" test "$krc" -eq "$urc"
done

kill -0 "$DPID" 2>/dev/null
check "ustackd still running" test $? -eq 0
# a socket closed with bytes the peer has not taken (tcp_lifecycle's, whose
# peer stalls for 10 s) stays until they go or the peer resets, as a kernel
# orphan does: give them that time
all_closed() {
	"$B/ustackctl" --socket "$SOCK" stats --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]["sockets"]
sys.exit(c["created"] != c["closed"])'
}
wait_for 20 all_closed
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
open=$(sed -n 's/.*sockets: open=\([0-9]*\).*/\1/p' "$TMP/ustackd.log")
check "every socket closed when its programs exited (open=${open:-?})" test "${open:-1}" -eq 0
summary
