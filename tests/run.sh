#!/bin/bash
# tests/run.sh BINARY [TEST...] - runs the test scripts against BINARY.
# Prints each check (ok / not ok) and ends with "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
export PILEUP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	tests=("$ROOT"/tests/t_*.sh)
fi
ulimit -S -c 0 # soft only: core tests raise it for their own crashes
# The caches (inflated debug info, symbols) of this run, shared by its tests:
# never the user's, and cold at the start of each run.
cache_tmp=
if [ -z "${PILEUP_CACHE_DIR+x}" ]; then
	cache_tmp=$(mktemp -d /tmp/pileup-cache.XXXXXX)
	export PILEUP_CACHE_DIR=$cache_tmp
fi
pass=0
fail=0
failed=()
results=$(mktemp)
for t in "${tests[@]}"; do
	echo "# --- $(basename "$t")${PILEUP_ASAN:+ (sanitizers)}"
	: >"$results"
	start=$SECONDS
	timeout 600 bash "$t" 3>"$results"
	rc=$?
	echo "# $(basename "$t"): $((SECONDS - start)) s"
	read -r _ p f <"$results" || { p=0; f=1; }
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $(basename "$t") exited with $rc"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" -ne 0 ] && failed+=("$(basename "$t")")
done
rm -f "$results"
[ -n "$cache_tmp" ] && rm -rf "$cache_tmp"
[ ${#failed[@]} -ne 0 ] && echo "# failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
