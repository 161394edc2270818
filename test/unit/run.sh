#!/usr/bin/env bash
# Run a Criterion test binary and fail if it ran no test at all (Criterion
# itself exits 0 then, e.g. when its binary was replaced under it).
# Usage: run.sh BINARY [ARGS...]
out=$(mktemp)
"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
if ! grep -qE 'Synthesis: Tested: [1-9]' "$out"; then
	echo "FAIL: $1 ran no test"
	rc=1
fi
rm -f "$out"
exit "$rc"
