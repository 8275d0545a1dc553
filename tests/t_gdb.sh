#!/bin/bash
# gdb as oracle: every frame's pc (return addresses; inline frames repeat
# their physical frame's pc; tail-call frames restored from DWARF call
# sites) equals what gdb's backtrace shows for the same threads, in
# --stop-all mode and in the default mode that stops nothing.
. "$(dirname "$0")/lib.sh"

# Threads that spin move between the two looks; every other class is here.
PARKED=${ALL_CLASSES/--spin 1/}
run() {
	local build=$1
	shift
	start_fixture "$FIX/$build" "$@" || return 1
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/nonstop.json"
	"$PILEUP" --json=1 --stop-all "$FX_PID" >"$TMP/stopall.json"
	gdb_frames "$FX_PID" >"$TMP/gdb"
	check "$build: gdb saw every thread" test "$(wc -l <"$TMP/gdb")" -eq "$(jq '.threads | length' "$TMP/stopall.json")"
	expect_eq "$build --stop-all: every thread's frames equal gdb's" "$(cat "$TMP/gdb")" "$(json_frames "$TMP/stopall.json")"
	expect_eq "$build default mode: every thread's frames equal gdb's" "$(cat "$TMP/gdb")" "$(json_frames "$TMP/nonstop.json")"
	stop_fixture "$FX_PID"
}

run waits $PARKED
run waits-O0 $PARKED
run waits-cpp --mutex 2 --condvar 3 --join 2 --sleep 2
run service --workers 6 --handlers 4 --loops 2

# Tail calls: sem_wait jumps into its slow path, so only DWARF call sites
# show the function the program called.
start_fixture "$FIX/waits" --semaphore 2 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/t.json"
expect_eq "tail call: the semaphore wait's blocking call is sem_wait" "sem_wait" \
	"$(jq -r '.groups[] | select(.wait == "semaphore") | .blocking_call' "$TMP/t.json")"
check "tail call: restored frames are marked" \
	test "$(jq '[.threads[].frames[] | select(.tail_call)] | length' "$TMP/t.json")" -gt 0
finish
