#!/usr/bin/env bash
# run.sh BUILD SECONDS MODE TARGET[:SECONDS]... - run each libFuzzer target
# for a bounded time from the generated seeds, and say how each did.
#
#   MODE corpus: keep what each target finds in BUILD/corpus/TARGET (make fuzz)
#   MODE check:  start from the seeds alone, fixed random seed, bounded runs
#                too (make check-fuzz)
#
# A crash, leak, timeout or broken invariant leaves its input in
# BUILD/artifacts/ and the log in BUILD/logs/TARGET.log; replay it with
# BUILD/TARGET FILE (or build/fuzz-replay/TARGET-replay FILE under gcc).
# Ends with the line "N passed, N failed", a target each.
set -u

build=$1 seconds=$2 mode=$3
shift 3
passed=0 failed=0
mkdir -p "$build/logs" "$build/artifacts"

for spec in "$@"; do
	t=${spec%%:*} secs=$seconds
	[ "$t" != "$spec" ] && secs=${spec#*:}
	seeds=$build/seeds/$t
	if [ "$mode" = check ]; then
		corpus=$build/corpus-check/$t
		rm -rf "$corpus"
		extra=(-seed=1 -runs=5000000)
	else
		corpus=$build/corpus/$t
		extra=()
	fi
	mkdir -p "$corpus"
	log=$build/logs/$t.log
	# -malloc_limit_mb: no single allocation of the engine comes near it;
	# -rss_limit_mb bounds the process, ASan's quarantine included
	"$build/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=256 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t-" "${extra[@]}" \
		"$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	cov=$(grep -ao 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -n1)
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "$t: ok, ${runs:-?} runs in ${secs} s, ${cov:-no coverage figures}"
	else
		failed=$((failed + 1))
		echo "$t: FAILED (exit $rc) after ${runs:-?} runs; log: $log"
		grep -E 'invariant broken|ERROR: |SUMMARY|Test unit written' "$log" | head -n 8
	fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
