#!/bin/bash
# fuzz/run.sh FUZZER SECONDS - runs the core reader's libFuzzer target for a
# fixed time budget (`make fuzz` builds it and calls this).
#
# Seeds are fuzz/seeds/ (small cores shrunk with fuzz/mkseed.c: kernel,
# gdb and pileup cores of the fixtures, and a SIGSEGV core) and every input
# kept in fuzz/regressions/.  The growing corpus lives in build-fuzz/corpus.
# An input that crashes, hangs or leaks is written to fuzz/regressions/
# (crash-*, timeout-*, leak-*, oom-*), and the run fails: fix the bug, keep
# the file; tests/t_core_bad.sh replays every file there against pileup.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZER=${1:?usage: fuzz/run.sh FUZZER SECONDS}
SECONDS_BUDGET=${2:-300}
CORPUS=$ROOT/build-fuzz/corpus
mkdir -p "$CORPUS" "$ROOT/fuzz/regressions"
# Each input makes libdwfl look at the files a core names; keep that quick.
export TMPDIR=${TMPDIR:-/tmp}
before=$(ls "$ROOT/fuzz/regressions" | wc -l)
: >"$ROOT/build-fuzz/last-run.log"
rc=0
# Two thirds of the budget on the reader alone (fast), one third on the
# reader and the whole analysis after it; the corpus is shared.
for phase in reader analysis; do
	if [ $phase = reader ]; then
		t=$((SECONDS_BUDGET * 2 / 3))
		export PILEUP_FUZZ_ANALYZE=0
	else
		t=$((SECONDS_BUDGET - SECONDS_BUDGET * 2 / 3))
		export PILEUP_FUZZ_ANALYZE=1
	fi
	echo "fuzz: $phase for $t s"
	"$FUZZER" "$CORPUS" "$ROOT/fuzz/seeds" "$ROOT/fuzz/regressions" \
		-max_total_time="$t" -timeout=20 -rss_limit_mb=2048 -max_len=262144 \
		-artifact_prefix="$ROOT/fuzz/regressions/" -print_final_stats=1 2>&1 | tee -a "$ROOT/build-fuzz/last-run.log" |
		grep -E '^#[0-9]+ +(DONE)|ERROR|SUMMARY|stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|artifact'
	r=${PIPESTATUS[0]}
	[ "$r" -ne 0 ] && rc=$r
done
# The Go seeds (fuzz/go-seeds/: cores of fixtures/bin/go/VER/waits, built
# with -trimpath, so the same file in every checkout) with their program:
# goroutines, channels, sudogs, the semaphore table read from the mutated
# memory.  A sixth of the budget on top, the analysis on.
GO_EXE=$ROOT/fixtures/bin/go/1.26/waits
if [ -x "$GO_EXE" ]; then
	t=$((SECONDS_BUDGET / 6 + 1))
	echo "fuzz: go for $t s"
	mkdir -p "$CORPUS-go"
	PILEUP_FUZZ_ANALYZE=1 PILEUP_FUZZ_EXE=$GO_EXE "$FUZZER" "$CORPUS-go" "$ROOT/fuzz/go-seeds" \
		-max_total_time="$t" -timeout=20 -rss_limit_mb=2048 -max_len=262144 \
		-artifact_prefix="$ROOT/fuzz/regressions/go-" -print_final_stats=1 2>&1 | tee -a "$ROOT/build-fuzz/last-run.log" |
		grep -E '^#[0-9]+ +(DONE)|ERROR|SUMMARY|stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|artifact'
	r=${PIPESTATUS[0]}
	[ "$r" -ne 0 ] && rc=$r
else
	echo "fuzz: no $GO_EXE (make -C fixtures): the Go seeds are skipped"
fi
after=$(ls "$ROOT/fuzz/regressions" | wc -l)
echo "fuzz: $SECONDS_BUDGET s budget, exit $rc; fuzz/regressions/ holds $after inputs ($((after - before)) new); log in build-fuzz/last-run.log"
[ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]
