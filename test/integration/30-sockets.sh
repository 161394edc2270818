#!/usr/bin/env bash
# The socket test programs (test/sockets), run twice: under ustack-run
# against ustackd on a TAP, and on a kernel-to-kernel path (two namespaces
# and a veth). Their outputs must match line for line, and where a program
# has an expected output (NAME.expected), both must equal it.
source "$(dirname "$0")/lib.sh"
need_root "30-sockets"

B=$PWD/$BUILD
RUN=$B/ustack-run
PEER=192.0.2.1
SELF=192.0.2.2
chmod 711 "$TMP"     # the programs drop to uid 65534 for one check

# kernel to kernel
new_netns KA || { fail "create namespace"; summary; exit 1; }
new_netns KB || { fail "create namespace"; summary; exit 1; }
ip link add ustkva netns "$KA" type veth peer name ustkvb netns "$KB"
ip -n "$KA" addr add $SELF/24 dev ustkva
ip -n "$KB" addr add $PEER/24 dev ustkvb
ip -n "$KA" link set ustkva up
ip -n "$KB" link set ustkvb up
# ping sockets for every group, as ustack gives them (ustack(7))
ip netns exec "$KA" sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# ustack: ustackd on a TAP, the kernel on the other side of it. Its caps on
# SO_RCVBUF/SO_SNDBUF are the kernel's (net.core.rmem_max/wmem_max are the
# host's, not a namespace's, and are not ours to change): test/sockets/sockbuf
# compares what both give
new_netns NS || { fail "create namespace"; summary; exit 1; }
SOCK=$TMP/ctl.sock
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $SELF/24 \
	--rmem-max "$(cat /proc/sys/net/core/rmem_max)" \
	--wmem-max "$(cat /proc/sys/net/core/wmem_max)" \
	|| { fail "ustackd starts"; summary; exit 1; }
ip -n "$NS" addr add $PEER/24 dev ustk0

ip netns exec "$KB" timeout 120 "$B/test/sockets/peer" $PEER 110 &
PIDS+=($!)
ip netns exec "$NS" timeout 120 "$B/test/sockets/peer" $PEER 110 &
PIDS+=($!)
bound() { ip netns exec "$1" ss -Huln "sport = :7007" | grep -q .; }
wait_for 10 bound "$KB" && wait_for 10 bound "$NS" || fail "peer did not start"

for prog in "$B"/test/sockets/*; do
	name=$(basename "$prog")
	case $name in peer|noinet6|*.d) continue ;; esac
	# a program with an expected output (inet6: AF_INET6 as on a kernel
	# booted with ipv6.disable=1, which a namespace cannot be) runs on the
	# kernel under noinet6, and both outputs must also equal the expected
	expected=test/sockets/$name.expected
	launch=()
	[ -f "$expected" ] && launch=("$B/test/sockets/noinet6")
	ip netns exec "$KA" timeout 60 "${launch[@]}" "$prog" $PEER $SELF \
		>"$TMP/$name.kernel" 2>&1
	krc=$?
	ip netns exec "$NS" timeout 60 "$RUN" --socket "$SOCK" "$prog" $PEER $SELF \
		>"$TMP/$name.ustack" 2>&1
	urc=$?
	n=$(wc -l <"$TMP/$name.kernel")
	if diff -u "$TMP/$name.kernel" "$TMP/$name.ustack" >"$TMP/$name.diff"; then
		ok "$name: $n lines, same output on ustack and on the kernel"
	else
		fail "$name: outputs differ (kernel -, ustack +):"
		cat "$TMP/$name.diff"
	fi
	check "$name: same exit status (kernel $krc, ustack $urc)" test "$krc" -eq "$urc"
	if [ -f "$expected" ]; then
		for side in kernel ustack; do
			if diff -u "$expected" "$TMP/$name.$side" >"$TMP/$name.$side.diff"; then
				ok "$name: the $side output is the expected one ($expected)"
			else
				fail "$name: the $side output differs from $expected (expected -, $side +):"
				cat "$TMP/$name.$side.diff"
			fi
		done
	fi
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
