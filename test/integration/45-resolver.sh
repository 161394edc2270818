#!/usr/bin/env bash
# glibc's resolver over ustack's UDP, with no special case: a kernel-side
# dnsmasq answers; getent and curl under ustack-run look names up through
# it, and ustackd's counters show the queries went over its UDP. libc makes
# these socket calls to itself; the shim's seccomp trap hands them to
# ustack (libclient/trap.c). dig under ustack-run asks it over UDP and TCP.
# Then the reverse: dnsmasq on ustack in its default wildcard mode, which
# checks each TCP query's local address against the addresses it found
# over rtnetlink (libclient/ifaddr.c shows ustack's), asked by the kernel's
# dig over UDP and TCP; ip addr under ustack-run shows ustack's address.
source "$(dirname "$0")/lib.sh"
need_root "45-resolver"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock

new_netns NS || { fail "create namespace"; summary; exit 1; }
# ip netns exec mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf
mkdir -p "/etc/netns/$NS"
echo "nameserver $KERNEL" >"/etc/netns/$NS/resolv.conf"
trap 'cleanup; rm -rf "/etc/netns/$NS"' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
ur() { in_ns timeout 30 "$RUN" --socket "$SOCK" "$@"; }
bound() { in_ns ss -Hln "sport = :$1" | grep -q .; }

start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	|| { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0
in_ns timeout 120 dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
	--listen-address=$KERNEL --address=/web.ustack.test/$KERNEL \
	--log-queries --log-facility=- >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)
mkdir -p "$TMP/www"
echo "found by name" >"$TMP/www/index.html"
(cd "$TMP/www" && exec ip netns exec "$NS" timeout 120 python3 -m http.server 8000 --bind $KERNEL) >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 bound 53 && wait_for 10 bound 8000 || fail "dnsmasq and the web server start"

out=$(ur getent hosts web.ustack.test)
check "getent hosts under ustack-run resolves through dnsmasq ($out)" \
	grep -q "^$KERNEL *web.ustack.test" <<<"$out"
out=$(ur getent hosts no-such-name.ustack.test; echo "exit $?")
check "an unknown name: getent exits 2 ($out)" grep -q 'exit 2' <<<"$out"
out=$(ur curl -s -m 10 http://web.ustack.test:8000/)
check "curl by host name under ustack-run ($out)" test "$out" = "found by name"
out=$(ur python3 -c 'import socket; print(socket.gethostbyname("web.ustack.test"))')
check "python3 gethostbyname under ustack-run ($out)" test "$out" = $KERNEL
out=$(in_ns timeout 10 env USTACK_TRAP=0 "$RUN" --socket "$SOCK" getent hosts web.ustack.test)
asked=$(grep -a "query\[.*web.ustack.test" "$TMP/dnsmasq.log" | tail -n1)
check "USTACK_TRAP=0: libc's own calls reach ustack through the supervisor, and resolve ($out; $asked)" \
	test -n "$out" -a "${out%% *}" = $KERNEL -a "${asked##* from }" = $US
out=$(in_ns timeout 10 env USTACK_TRAP=0 USTACK_SUPERVISE=0 "$RUN" --socket "$SOCK" getent hosts web.ustack.test)
asked=$(grep -a "query\[.*web.ustack.test" "$TMP/dnsmasq.log" | tail -n1)
check "USTACK_TRAP=0 USTACK_SUPERVISE=0: libc's own calls go to the kernel, and still resolve ($out; $asked)" \
	test -n "$out" -a "${out%% *}" = $KERNEL -a "${asked##* from }" = $KERNEL
# dig under ustack-run asks the kernel's dnsmasq over UDP and over TCP
for proto in notcp tcp; do
	out=$(ur dig +$proto +short +tries=1 +time=5 @$KERNEL web.ustack.test 2>&1)
	check "dig +$proto under ustack-run gets the kernel dnsmasq's answer ($out)" \
		test "$out" = $KERNEL
done
queries=$(grep -c 'query\[' "$TMP/dnsmasq.log")

# dnsmasq on ustack with its stock wildcard setup (no --bind-interfaces):
# it answers a TCP query only if the connection's local address is among
# the addresses it enumerated over rtnetlink, which must be ustack's
echo "192.0.2.77 stock.ustack.test" >"$TMP/hosts"
in_ns timeout 120 "$RUN" --socket "$SOCK" dnsmasq --no-daemon --no-resolv \
	--no-hosts --addn-hosts="$TMP/hosts" --port 5353 --user=root \
	--pid-file= --log-queries --log-facility=- >"$TMP/dnsmasq-us.log" 2>&1 &
DM=$!
PIDS+=($DM)
wait_for 10 ustack_bound "$SOCK" 5353 || fail "dnsmasq on ustack starts"
for proto in notcp tcp; do
	out=$(in_ns timeout 10 dig +$proto +short +tries=1 +time=5 -p 5353 @$US stock.ustack.test 2>&1)
	check "dnsmasq on ustack answers the kernel's dig +$proto ($out)" \
		test "$out" = 192.0.2.77
done
out=$(ur ip -4 -o addr show dev ustk0 | awk '{print $4}')
check "ip addr under ustack-run shows ustack's address ($out)" test "$out" = $US/24
kill "$DM"
wait "$DM" 2>/dev/null
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
udp_tx=$(log_value "$TMP/ustackd.log" "counters udp:" tx)
check "the queries went over ustack's UDP (udp tx=${udp_tx:-0}, dnsmasq saw $queries)" \
	test "${udp_tx:-0}" -ge 3
summary
