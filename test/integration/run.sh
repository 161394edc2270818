#!/usr/bin/env bash
# Run every integration test script; print each one's result and a total.
# Usage: run.sh [BUILD_DIR]; ITEST_ONLY and USTACK_TEST_OFFLOAD (lib.sh)
# choose the scripts and the daemons' offloads.
set -u
export BUILD=${1:-build}
cd "$(dirname "$0")/../.."
passed=0 failed=0 scripts_failed=0
# what failed, and how long each script took, again at the end: the tail
# of a long log is what a CI page shows
report=()
# ITEST_ONLY="30-sockets 40-tcp-programs": only those scripts
for t in test/integration/[0-9]*.sh; do
	if [ -n "${ITEST_ONLY:-}" ]; then
		b=$(basename "$t" .sh)
		[[ " $ITEST_ONLY " == *" $b "* ]] || continue
	fi
	echo "=== $t"
	t0=$SECONDS
	out=$(bash "$t" 2>&1)
	rc=$?
	echo "$out"
	report+=("$(printf '# %4d s  %s' $((SECONDS - t0)) "$t")")
	while IFS= read -r l; do
		report+=("#   $l")
	done < <(grep -E '^FAIL - ' <<<"$out")
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n1)
	if [ -z "$line" ]; then
		echo "FAIL - $t printed no summary (exit $rc)"
		report+=("#   FAIL - printed no summary (exit $rc)")
		failed=$((failed + 1))
		scripts_failed=$((scripts_failed + 1))
		continue
	fi
	p=${line%% passed*}
	f=${line#*, }; f=${f%% failed}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL - $t exited $rc"
		report+=("#   FAIL - exited $rc")
		failed=$((failed + 1))
	fi
	[ "$rc" -ne 0 ] && scripts_failed=$((scripts_failed + 1))
done
echo "=== integration: $scripts_failed script(s) failed"
printf '%s\n' "${report[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
