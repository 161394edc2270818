# stock.sh - what the stock-program scripts (55, 56) share, sourced after
# lib.sh with US, KERNEL, SOCK, REFERENCE and B set: where ustack stands
# (ustackd on a TAP in a namespace of its own, or with USTACK_REFERENCE=kernel
# a second kernel namespace over a veth, to show that a failure under
# ustack is a difference from the kernel), and how programs are run there
# and on the kernel peer, bounded in time.

# USNS/USRUN: how a program is run where ustack stands; KNS: the kernel peer
if [ "$REFERENCE" = kernel ]; then
	{ new_netns NSA && new_netns NSB; } || { fail "create namespaces"; summary; exit 1; }
	ip link add v0 netns "$NSA" type veth peer name v1 netns "$NSB"
	ip -n "$NSA" addr add $KERNEL/24 dev v0
	ip -n "$NSB" addr add $US/24 dev v1
	ip -n "$NSA" link set v0 up
	ip -n "$NSB" link set v1 up
	USNS=(ip netns exec "$NSB")
	USRUN=()
	KNS=(ip netns exec "$NSA")
	echo "reference run: a kernel namespace stands where ustack would"
else
	new_netns NS || { fail "create namespace"; summary; exit 1; }
	# the socket buffer caps of the kernel it is compared with
	caps=()
	if "$USTACKD" --help | grep -q -- --rmem-max; then
		caps=(--rmem-max "$(cat /proc/sys/net/core/rmem_max)"
			--wmem-max "$(cat /proc/sys/net/core/wmem_max)")
	fi
	start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
		"${caps[@]}" || { fail "ustackd starts"; summary; exit 1; }
	ip -n "$NS" addr add $KERNEL/24 dev ustk0
	USNS=(ip netns exec "$NS")
	USRUN=("$B/ustack-run" --socket "$SOCK")
	KNS=(ip netns exec "$NS")
fi

# us SECONDS CMD...: run CMD where ustack stands, bounded; kn: on the kernel
us() { local t=$1; shift; "${USNS[@]}" timeout -k 5 "$t" "${USRUN[@]}" "$@"; }
kn() { local t=$1; shift; "${KNS[@]}" timeout -k 5 "$t" "$@"; }
# bg_us/bg_kn LOG SECONDS CMD...: the same in the background; BGPID is the
# pid of its timeout(1), which passes a SIGTERM on to CMD
bg_us() {
	local log=$1 t=$2; shift 2
	"${USNS[@]}" timeout -k 5 "$t" "${USRUN[@]}" "$@" >"$log" 2>&1 &
	BGPID=$!
	PIDS+=("$BGPID")
}
bg_kn() {
	local log=$1 t=$2; shift 2
	"${KNS[@]}" timeout -k 5 "$t" "$@" >"$log" 2>&1 &
	BGPID=$!
	PIDS+=("$BGPID")
}
# stop PID: SIGTERM, then wait for it (timeout -k 5 bounds the wait)
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# listening PORT [udp]: a listener (or a bound UDP socket) where ustack stands
listening() {
	if [ "$REFERENCE" = kernel ]; then
		if [ "${2:-}" = udp ]; then
			"${USNS[@]}" ss -Huln "sport = :$1" | grep -q .
		else
			"${USNS[@]}" ss -Htln "sport = :$1" | grep -q .
		fi
	elif [ "${2:-}" = udp ]; then
		ustack_bound "$SOCK" "$1"
	else
		"$B/ustackctl" --socket "$SOCK" netstat -n --state listen | grep -q ":$1 "
	fi
}
kn_listening() { "${KNS[@]}" ss -Htln "sport = :$1" | grep -q .; }
kn_udp() { "${KNS[@]}" ss -Huln "sport = :$1" | grep -q .; }
# up PID PROBE...: until PROBE succeeds or PID has exited (a server that
# dies is seen at once; one that starts slowly on a busy machine has 30 s)
up() {
	local pid=$1 end=$((SECONDS + 30)); shift
	while ((SECONDS < end)); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
same() { cmp -s "$1" "$2"; }
# last LOG: its last line, to say why a server did not come up
last() { tail -n1 "$1" | tr -d '\r' | cut -c1-160; }
