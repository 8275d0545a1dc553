#!/bin/bash
# The libFuzzer target (fuzz/core_fuzz.c, `make fuzz`) still builds and
# runs: make check builds it (make fuzz-build), and this replays the seeds
# and every input the fuzzer ever found through it, the reader alone and
# with the whole analysis, under ASan and UBSan.  (It once stopped linking
# unnoticed for a session.)
. "$(dirname "$0")/lib.sh"

F=$ROOT/build-fuzz/core_fuzz
check "the fuzz target was built (make fuzz-build)" test -x "$F"
files=$(find "$ROOT/fuzz/seeds" "$ROOT/fuzz/regressions" -type f | wc -l)
if [ -x "$F" ]; then
	for analyze in 0 1; do
		PILEUP_FUZZ_ANALYZE=$analyze "$F" -runs=0 "$ROOT/fuzz/seeds" "$ROOT/fuzz/regressions" >"$TMP/replay.$analyze" 2>&1
		rc=$?
		expect_eq "seeds and regressions replayed (analysis $analyze): exit 0" 0 "$rc"
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TMP/replay.$analyze")
		check "... every input was run (analysis $analyze: $runs runs, $files files)" test "${runs:-0}" -ge "$files"
	done
fi
finish
