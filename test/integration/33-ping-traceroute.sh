#!/usr/bin/env bash
# Stock ping, traceroute (UDP, and -I) and tracepath from ustack, through a
# kernel router, to a kernel host two hops away; the same from a kernel
# namespace through the same kind of router. What they print must be the
# same line for line, times aside.
#
#   ustack:  [ustack 192.0.2.2] =TAP= [R 192.0.2.1 | 198.51.100.1] = [H .2]
#   kernel:  [C 192.0.2.2] = [R 192.0.2.1 | 198.51.100.1] = [H 198.51.100.2]
#
# In the ustack world the router R is the namespace ustackd runs in (its
# kernel forwards); the programs run there under ustack-run.
source "$(dirname "$0")/lib.sh"
need_root "33-ping-traceroute"

B=$PWD/$BUILD
RUN=$B/ustack-run
H=198.51.100.2
# uid 65534 runs ping too, with copies it can reach wherever the clone lies
user_copy "$RUN" "$B/libustack-preload.so"

for prog in ping traceroute tracepath; do
	command -v "$prog" >/dev/null ||
		{ fail "$prog is installed (make deps)"; summary; exit 1; }
done

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a link between two namespaces
veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# a router namespace R and a host namespace behind it; $3: R's side of the
# second link, $4: the host's
router_and_host() {
	veth "$1" "$3" 198.51.100.1/24 "$2" "$4" $H/24
	ip -n "$2" route add default via 198.51.100.1
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1
}

# kernel to kernel
new_netns KC && new_netns KR && new_netns KH ||
	{ fail "create namespaces"; summary; exit 1; }
veth "$KC" ustkc0 192.0.2.2/24 "$KR" ustkr0 192.0.2.1/24
ip -n "$KC" route add default via 192.0.2.1
router_and_host "$KR" "$KH" ustkr1 ustkh0
# ping sockets for every group, as ustack gives them (ustack(7))
ip netns exec "$KC" sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# ustack, its router the namespace it runs in
new_netns UR && new_netns UH || { fail "create namespaces"; summary; exit 1; }
SOCK=$TMP/ctl.sock
start_ustackd "$UR" "$TMP/ustackd.log" "$SOCK" --tap ustk0 \
	--addr 192.0.2.2/24 --gateway 192.0.2.1 ||
	{ fail "ustackd starts"; summary; exit 1; }
ip -n "$UR" addr add 192.0.2.1/24 dev ustk0
router_and_host "$UR" "$UH" ustku1 ustkh1

# Times, and traceroute's columns of them, are the only differences; and
# tracepath prints a hop once or twice, as the timing of its probes and
# their answers goes (the kernel does both), so a repeated line counts once.
normalize() {
	sed -E 's/ time=[0-9.]+ ms//; s/, time [0-9]+ms//; /^rtt /d;
		s/  [0-9.]+ ms//g; s/[0-9]+\.[0-9]+ms//; s/ +/ /g; s/ $//' | uniq
}

# same NAME [--as UID] CMD...: CMD on the kernel client and under
# ustack-run (as UID: ustack-run itself runs as that user)
same() {
	local name=$1 as=() run=$RUN; shift
	if [ "$1" = --as ]; then
		as=(setpriv --reuid "$2" --regid "$2" --clear-groups)
		run=$TMP/bin/ustack-run
		shift 2
	fi
	ip netns exec "$KC" timeout 60 "${as[@]}" "$@" >"$TMP/k.out" 2>&1
	local krc=$?
	ip netns exec "$UR" timeout 60 "${as[@]}" "$run" --socket "$SOCK" "$@" \
		>"$TMP/u.out" 2>&1
	local urc=$?
	normalize <"$TMP/k.out" >"$TMP/k.norm"
	normalize <"$TMP/u.out" >"$TMP/u.norm"
	if diff -u "$TMP/k.norm" "$TMP/u.norm" >"$TMP/diff"; then
		ok "$name: $(wc -l <"$TMP/k.norm") lines, the same on ustack and on the kernel"
	else
		fail "$name: outputs differ (kernel -, ustack +):"
		cat "$TMP/diff"
	fi
	check "$name: same exit status (kernel $krc, ustack $urc)" \
		test "$krc" -eq "$urc"
}

stat_of() {     # stat_of GROUP NAME: one of ustackd's counters
	"$B/ustackctl" --socket "$SOCK" stats --json | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin)["counters"][sys.argv[1]][sys.argv[2]])' "$1" "$2"
}

same "ping -c 3" ping -c 3 -i 0.2 $H
same "ping -t 1: time exceeded from the router" ping -c 1 -t 1 $H
check "ping went through ustack's ping sockets ($(stat_of ping tx) sent)" \
	test "$(stat_of ping tx)" -ge 3
# ping has file capabilities: ustack-run runs it through its loader
same "ping -c 2 as uid 65534" --as 65534 ping -c 2 -i 0.2 $H
same "traceroute -n (UDP)" traceroute -n $H
check "traceroute's answers came from ustack's error queues ($(stat_of dgram errq_queued))" \
	test "$(stat_of dgram errq_queued)" -ge 6
same "traceroute -n -I (ICMP)" traceroute -n -I $H
same "tracepath -n" tracepath -n $H
# a smaller MTU behind the router: fragmentation needed, pmtu 1400
ip -n "$KR" link set ustkr1 mtu 1400
ip -n "$KH" link set ustkh0 mtu 1400
ip -n "$UR" link set ustku1 mtu 1400
ip -n "$UH" link set ustkh1 mtu 1400
same "tracepath -n, 1400 bytes beyond the router" tracepath -n $H
# nobody answers ARP for .99: host unreachable, from ourselves
same "ping -c 1 a neighbour that never answers" ping -c 1 192.0.2.99

stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
open=$(sed -n 's/.*sockets: open=\([0-9]*\).*/\1/p' "$TMP/ustackd.log")
check "every socket closed when its programs exited (open=${open:-?})" \
	test "${open:-1}" -eq 0
summary
