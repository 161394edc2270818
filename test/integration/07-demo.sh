#!/usr/bin/env bash
# make demo is honest: it runs to the end and exits 0 when everything works,
# and stops at the first failure with a message naming the step and a
# non-zero status, leaving nothing behind. Broken on purpose through a copy
# of the build whose ustackd or ustack-run fails.
source "$(dirname "$0")/lib.sh"
need_root "07-demo"

B=$PWD/$BUILD
DEMO=$PWD/tools/demo.sh

# run_demo BUILD_DIR OUT: the demo in the background (its namespace is
# named after its pid), bounded; sets RC, DEMO_NS and the temporary
# directories that existed before it (BEFORE)
run_demo() {
	BEFORE=$(ls -d /tmp/ustack-demo.* 2>/dev/null)
	timeout -k 5 120 bash "$DEMO" "$1" >"$2" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait "$pid"
	RC=$?
	DEMO_NS=ustack-demo-$pid
}
# nothing_left: the demo's namespace and temporary directory are gone
nothing_left() {
	! ip netns list | grep -q "^$DEMO_NS\b" &&
		test "$(ls -d /tmp/ustack-demo.* 2>/dev/null)" = "$BEFORE"
}
# a copy of the build: links to the real files, one of them replaced
broken_build() { # DIR NAME SCRIPT
	mkdir -p "$1"
	local f
	for f in ustackd ustackctl ustack-run libustack.so libustack-preload.so; do
		ln -sf "$B/$f" "$1/$f"
	done
	rm -f "$1/$2"
	printf '#!/bin/sh\n%s\n' "$3" >"$1/$2"
	chmod +x "$1/$2"
}

run_demo "$B" "$TMP/ok.out"
check "make demo runs to its end and exits 0 (exit $RC)" \
	test "$RC" -eq 0 -a "$(tail -n1 "$TMP/ok.out")" = \
	"demo done: programs stopped, namespace, TAP and files removed."
check "...and leaves nothing behind" nothing_left
grep -q 'FAILED' "$TMP/ok.out" && tail -n3 "$TMP/ok.out"

# ustackd refuses its options (an MTU it cannot take): nothing after that
# step may run
broken_build "$TMP/b1" ustackd "exec '$B/ustackd' --mtu 10 \"\$@\""
run_demo "$TMP/b1" "$TMP/b1.out"
msg=$(grep 'demo: FAILED' "$TMP/b1.out")
check "ustackd cannot start: the demo exits non-zero ($RC)" test "$RC" -ne 0
check "...saying so at that step ($msg)" grep -q \
	'FAILED at step "ustackd owns the TAP.*ustackd did not start: it exited with status 2' <<<"$msg"
check "...and goes no further" bash -c "! grep -q 'the kernel pings ustack' '$TMP/b1.out'"
check "...and leaves nothing behind" nothing_left

# ustackd starts but never opens its control socket
broken_build "$TMP/b2" ustackd "echo \$\$ >'$TMP/b2.pid'; exec sleep 60"
run_demo "$TMP/b2" "$TMP/b2.out"
msg=$(grep 'demo: FAILED' "$TMP/b2.out")
check "ustackd never ready: the demo exits non-zero ($RC)" test "$RC" -ne 0
check "...saying so ($msg)" grep -q 'did not open its control socket' <<<"$msg"
check "...and leaves nothing behind, the hung ustackd stopped" \
	eval "nothing_left && ! kill -0 $(cat "$TMP/b2.pid") 2>/dev/null"

# ustack-run fails later on: the demo stops at that step
broken_build "$TMP/b3" ustack-run "echo 'ustack-run: broken on purpose' >&2; exit 125"
run_demo "$TMP/b3" "$TMP/b3.out"
msg=$(grep 'demo: FAILED' "$TMP/b3.out")
check "a program that fails under ustack-run: exit non-zero ($RC)" test "$RC" -ne 0
check "...naming the step and the command ($msg)" grep -q \
	"FAILED at step \"curl over ustack's TCP.*exited 125: ns .*ustack-run.* curl" <<<"$msg"
check "...and leaves nothing behind" nothing_left
summary
