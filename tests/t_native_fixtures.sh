#!/bin/bash
# The unwinders on the fixtures: stale frame records below a live frame
# (fixtures/stale.c) do not make the frame-pointer guess invent frames;
# a timed condvar wait interrupted by --stop-all (restart_syscall) stays a
# condvar wait in its group; libunwind's walks equal gdb's on every fixture
# build; --cross-check finds the disagreement planted with wrong CFI.
. "$(dirname "$0")/lib.sh"

start_fixture "$FIX/stale" --poll 2 --ppoll 2 --timedwait 2 --wrongcfi 1 || exit 1
STALE=$(awk '$1 == "site" && $3 ~ /^stale_/ { print $5 }' "$FX_OUT" | tr ',' '\n' | sort -n)
only_stale() { awk -v want="$(echo $STALE)" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i]] = 1 } ok[$1]'; }
"$PILEUP" --json=1 "$FX_PID" >"$TMP/nonstop.json"
rc=$?
"$PILEUP" --json=1 --stop-all "$FX_PID" >"$TMP/stopall.json"
gdb_frames "$FX_PID" >"$TMP/gdb"
expect_eq "stale records: default mode equals --stop-all" "$(json_frames "$TMP/stopall.json" | only_stale)" \
	"$(json_frames "$TMP/nonstop.json" | only_stale)"
expect_eq "stale records: --stop-all equals gdb" "$(only_stale <"$TMP/gdb")" "$(json_frames "$TMP/stopall.json" | only_stale)"
# poll and ppoll keep the site's frame pointer in rbp (the guess is
# needed); pthread_cond_timedwait saves it where its CFI says.
expect_eq "stale records: the frames the guess decided are marked fp_guessed" "stale-poll-0 stale-poll-1 stale-ppoll-0 stale-ppoll-1" \
	"$(jq -r '[.threads[] | select(.name | startswith("stale-")) | select(any(.frames[]; .fp_guessed)) | .name] | sort | join(" ")' "$TMP/nonstop.json")"
check "stale records: --stop-all guesses nothing" test "$(jq '[.threads[].frames[] | select(.fp_guessed)] | length' "$TMP/stopall.json")" -eq 0
expect_eq "stale records: their threads are complete" "" \
	"$(jq -r '.threads[] | select(.name | startswith("stale-")) | select(.error) | .error' "$TMP/nonstop.json")"

# After that --stop-all the timed waits resume as restart_syscall.
sc=$(for t in $(awk '$1 == "site" && $3 == "stale_timedwait" { print $5 }' "$FX_OUT" | tr ',' ' '); do cut -d' ' -f1 /proc/"$FX_PID"/task/"$t"/syscall; done | sort -u)
expect_eq "restart_syscall: the timed waits now show syscall 219" "219" "$sc"
"$PILEUP" --json=1 "$FX_PID" >"$TMP/after.json"
matches_manifest "restart_syscall: every thread keeps its class and site" "$TMP/after.json" "$FX_OUT"
expect_eq "restart_syscall: the condvar waiters stay one group" "2 condvar" \
	"$(jq -r '.groups[] | select(.wait_site.function == "stale_timedwait") | "\(.count) \(.wait)"' "$TMP/after.json")"

# Planted: wrong_cfi_site's CFI carries a SPARC opcode (wrongcfi.S).
WRONG=$(awk '$1 == "site" && $3 == "wrong_cfi_site" { print $5 }' "$FX_OUT")
"$PILEUP" --json=1 --stop-all --cross-check "$FX_PID" >/dev/null 2>"$TMP/cc.err"
rc=$?
check "--cross-check: the planted thread is reported" grep -q "thread $WRONG: libdw and libunwind differ from frame 2" "$TMP/cc.err"
check "--cross-check: it says which reached the entry frame" grep -q "libunwind 2 frames (ends early)" "$TMP/cc.err"
expect_eq "--cross-check: only that thread differs, exit 1" "1:1" "$rc:$(grep -c 'differ from frame' "$TMP/cc.err")"
stop_fixture "$FX_PID"

# libunwind equals gdb on every fixture build; --cross-check agrees there.
PARKED=${ALL_CLASSES/--spin 1/}
for build in waits waits-O0 waits-stripped; do
	start_fixture "$FIX/$build" $PARKED || continue
	"$PILEUP" --json=1 --unwinder=libunwind "$FX_PID" >"$TMP/lu.json"
	"$PILEUP" --json=1 --unwinder=libunwind --stop-all "$FX_PID" >"$TMP/lus.json"
	gdb_frames "$FX_PID" >"$TMP/gdb"
	expect_eq "$build libunwind: frames equal gdb's" "$(cat "$TMP/gdb")" "$(json_frames "$TMP/lu.json")"
	expect_eq "$build libunwind --stop-all: frames equal gdb's" "$(cat "$TMP/gdb")" "$(json_frames "$TMP/lus.json")"
	"$PILEUP" --json=1 --cross-check --stop-all "$FX_PID" >/dev/null 2>"$TMP/cc.err"
	rc=$?
	expect_eq "$build --cross-check: the unwinders agree, exit 0" "0:0" "$rc:$(grep -o ': [0-9]* of [0-9]* threads walked differently' "$TMP/cc.err" | awk '{print $2}')"
	stop_fixture "$FX_PID"
done
start_fixture "$FIX/waits-cpp" --mutex 2 --condvar 3 --join 2 --sleep 2 || exit 1
"$PILEUP" --json=1 --unwinder=libunwind "$FX_PID" >"$TMP/lu.json"
expect_eq "waits-cpp libunwind: frames equal gdb's" "$(gdb_frames "$FX_PID")" "$(json_frames "$TMP/lu.json")"
stop_fixture "$FX_PID"

check "--unwinder takes libdw or libunwind only" bash -c '"$0" --unwinder=gdb 1 2>&1 | grep -q "libdw or libunwind"; [ "${PIPESTATUS[0]}" = 2 ]' "$PILEUP"
finish
