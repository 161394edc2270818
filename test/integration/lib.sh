# shellcheck shell=bash
# Helpers for ustack's integration tests. Each test script sources this,
# creates its own network namespace(s) with names unique to its pid, and
# deletes everything it created on exit (trap), whatever happens.
# USTACK_KEEP_TMP=DIR keeps a copy of its scratch directory (outputs) there;
# USTACK_TEST_OFFLOAD=no starts every daemon with its offloads off.
# All traffic stays inside those namespaces, on 192.0.2.0/24 (TEST-NET-1,
# RFC 5737), an address range that exists nowhere else.

set -u
BUILD=${BUILD:-build}
USTACKD=${USTACKD:-$PWD/$BUILD/ustackd}
PASS=0
FAIL=0
NETNS=()
PIDS=()
TMP=$(mktemp -d /tmp/ustack-test.XXXXXX)
# USTACK_TEST_OFFLOAD=no: every daemon a test starts runs with the TAP's
# offloads off (--offload no ahead of the test's own arguments, which may
# still say yes): make check runs the data-path suites so too (issue 10)
if [ "${USTACK_TEST_OFFLOAD:-yes}" = no ]; then
	printf '#!/bin/sh\nexec %q --offload no "$@"\n' "$USTACKD" >"$TMP/ustackd"
	chmod 755 "$TMP/ustackd"
	USTACKD=$TMP/ustackd
fi

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND...: pass if the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

cleanup() {
	local pid ns
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null && sleep 0.2
		kill -KILL "$pid" 2>/dev/null
	done
	# whatever still runs inside our own namespaces was started by this
	# test (servers started through a shell function leave a subshell's
	# pid in PIDS): stop it by its pid before the namespace goes
	for ns in "${NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
	done
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${USTACK_KEEP_TMP:-}" ] && cp -r "$TMP" "$USTACK_KEEP_TMP"
	rm -rf "$TMP"
}
trap cleanup EXIT

summary() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		fail "$1 needs root (network namespaces, TAP devices): run make check as root"
		summary
		exit 1
	fi
}

# new_netns VAR: create a namespace, store its name in VAR
new_netns() {
	local name="ustk-$$-${#NETNS[@]}"
	ip netns add "$name" || return 1
	NETNS+=("$name")
	ip netns exec "$name" ip link set lo up
	# no IPv6 chatter from the kernel side: an idle link must stay idle
	ip netns exec "$name" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	printf -v "$1" '%s' "$name"
}

# wait_for TIMEOUT_S COMMAND...: poll until the command succeeds
wait_for() {
	local t=$1 i; shift
	for ((i = 0; i < t * 20; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# start_ustackd NS LOG SOCKET ARGS...: foreground daemon in NS; sets DPID
start_ustackd() {
	local ns=$1 log=$2 sock=$3; shift 3
	ip netns exec "$ns" "$USTACKD" --foreground --socket "$sock" "$@" 2>"$log" &
	DPID=$!
	PIDS+=("$DPID")
	if ! wait_for 5 test -S "$sock"; then
		echo "ustackd did not become ready; its log:"; cat "$log"
		return 1
	fi
}

# stop_ustackd PID: SIGTERM, wait; returns the daemon's exit status
stop_ustackd() {
	local pid=$1 rc
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	local i
	for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$pid" ] && unset "PIDS[$i]"; done
	return $rc
}

# ustack_bound SOCK PORT: the ustackd serving SOCK has a socket bound to
# local PORT (a server under ustack-run is up: wait_for it, never sleep)
ustack_bound() {
	"$PWD/$BUILD/ustackctl" --socket "$1" netstat -n --port "$2" |
		awk -v p=":$2" '$4 ~ p"$" { found = 1 } END { exit !found }'
}

# user_copy FILE...: copies of build files, for a program run as another
# user. The clone may lie where that user cannot read (root's 0700 home):
# the copies go to $TMP/bin, which any user can reach (ustack-run finds the
# shim next to itself, so copy both). Prints nothing; use "$TMP/bin/NAME".
user_copy() {
	chmod 711 "$TMP"
	mkdir -p "$TMP/bin"
	chmod 755 "$TMP/bin"
	cp "$@" "$TMP/bin/"
}

# log_value LOG "impair rx:" KEY: a key=value figure from the exit log
log_value() {
	grep -- "$2" "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}
