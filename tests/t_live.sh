#!/bin/bash
# Live processes: each fixture's threads get the wait class and wait site it
# parked them in, in the default (nonstop) mode and with --stop-all; groups
# partition the threads and rank by count; exit codes.
. "$(dirname "$0")/lib.sh"

for build in waits waits-O0; do
	start_fixture "$FIX/$build" $ALL_CLASSES || exit 1
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/a.json"
	expect_eq "$build: exit 0 (complete)" 0 $?
	matches_manifest "$build nonstop: every thread's class and wait site" "$TMP/a.json" "$FX_OUT"
	expect_eq "$build nonstop: no thread reported incomplete" 0 "$(jq '[.threads[] | select(.error)] | length' "$TMP/a.json")"
	# (the heartbeat wakes every millisecond and may be caught running too)
	expect_eq "$build nonstop: of the parked threads only the spinning one was stopped" "running" \
		"$(jq -r '[.threads[] | select(.capture == "stopped" and .name != "heartbeat") | .wait] | unique | join(",")' "$TMP/a.json")"
	"$PILEUP" --json=1 --stop-all "$FX_PID" >"$TMP/b.json"
	expect_eq "$build stop-all: exit 0" 0 $?
	matches_manifest "$build stop-all: every thread's class and wait site" "$TMP/b.json" "$FX_OUT"
	expect_eq "$build stop-all: mode and a measured pause" "stop-all true" \
		"$(jq -r '"\(.capture.mode) \(.capture.pause_us > 0)"' "$TMP/b.json")"
	check "$build: target not left stopped" not_stopped "$FX_PID"
	stop_fixture "$FX_PID"
done

# Groups: identical stacks together, ranked, members are the manifest's tids.
start_fixture "$FIX/waits" --condvar 12 --mutex 5 --sleep 3 --epoll 2 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/g.json"
expect_eq "groups: condvar group holds exactly the condvar tids" \
	"$(awk '$1 == "site" && $3 == "wait_condvar" {print $5}' "$FX_OUT")" \
	"$(jq -r '[.groups[] | select(.wait_site.function == "wait_condvar") | .members[]] | sort | map(tostring) | join(",")' "$TMP/g.json")"
expect_eq "groups: ranked by count, largest first" "12 5 3 2 1" \
	"$(jq -r '[.groups[] | .count] | join(" ")' "$TMP/g.json" | cut -d' ' -f1-5)"
expect_eq "groups: members partition the threads" \
	"$(jq -r '[.threads[].tid] | sort | join(",")' "$TMP/g.json")" \
	"$(jq -r '[.groups[].members[]] | sort | join(",")' "$TMP/g.json")"
expect_eq "groups: default 20%: condvar (12 of 24) and mutex (5 of 24) dominant, sleep (3) not" "true true false" \
	"$(jq -r '[(.groups[] | select(.wait_site.function == ("wait_condvar", "wait_mutex", "wait_sleep")) | .dominant)] | join(" ")' "$TMP/g.json")"
expect_eq "groups: --dominant 25 leaves only the condvar site dominant" "true false false" \
	"$("$PILEUP" --json=1 --dominant 25 "$FX_PID" | jq -r '[(.groups[] | select(.wait_site.function == ("wait_condvar", "wait_mutex", "wait_sleep")) | .dominant)] | join(" ")')"
expect_eq "groups: blocking calls" "pthread_cond_wait epoll_wait" \
	"$(jq -r '[(.groups[] | select(.wait_site.function == "wait_condvar") | .blocking_call), (.groups[] | select(.wait_site.function == "wait_epoll") | .blocking_call)] | join(" ")' "$TMP/g.json")"
expect_eq "groups: share is count/threads" "0.5" "$(jq -r '.groups[0].share' "$TMP/g.json")"
"$PILEUP" --text "$FX_PID" >"$TMP/g.txt"
check "text: summary names the dominant site first" grep -q "^Dominant wait sites" "$TMP/g.txt"
# Consecutive tids fold into ranges: 1201-1212,1215 (computed here from the
# manifest, since other processes may take tids in between).
ranges=$(awk '$1 == "site" && $3 == "wait_condvar" {
	n = split($5, t, ","); out = ""
	for (i = 1; i <= n; i = j + 1) {
		for (j = i; j < n && t[j + 1] == t[j] + 1; j++) ;
		out = out (out == "" ? "" : ",") (j == i ? t[i] : t[i] "-" t[j])
	}
	print out }' "$FX_OUT")
check "text: condvar group's tids compressed into ranges ($ranges)" grep -q "threads: *$ranges " "$TMP/g.txt"
check "text: wait site with file and line" grep -Eq "wait site: +wait_condvar at waits.c:[0-9]+" "$TMP/g.txt"
"$PILEUP" -p "$FX_PID" -o "$TMP/o.txt"
check "-p PID and -o FILE (eu-stack spelling)" grep -q "^Thread groups" "$TMP/o.txt"
stop_fixture "$FX_PID"

# C++: std::mutex, std::condition_variable, std::thread::join, sleep_for.
start_fixture "$FIX/waits-cpp" --mutex 3 --condvar 4 --join 2 --sleep 2 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/c.json"
matches_manifest "C++ nonstop: classes and demangled wait sites" "$TMP/c.json" "$FX_OUT"
"$PILEUP" --json=1 --stop-all "$FX_PID" >"$TMP/c2.json"
matches_manifest "C++ stop-all: classes and demangled wait sites" "$TMP/c2.json" "$FX_OUT"
check "C++: inline frames expanded and marked" \
	test "$(jq '[.threads[].frames[] | select(.inlined)] | length' "$TMP/c.json")" -gt 0
stop_fixture "$FX_PID"

# The demo service.
start_fixture "$FIX/service" || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/s.json"
matches_manifest "service: every thread" "$TMP/s.json" "$FX_OUT"
stop_fixture "$FX_PID"

# Stripped: no names, but module+offset, the same classes and groups.
start_fixture "$FIX/waits-stripped" --condvar 4 --mutex 2 --read 2 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/x.json"
expect_eq "stripped: classes per thread" \
	"$(manifest_threads "$FX_OUT" | awk '{print $1, $2}')" \
	"$(jq -r '.threads[] | "\(.tid) \(.wait)"' "$TMP/x.json" | sort)"
expect_eq "stripped: wait sites are module+offset in the executable" "$FIX/waits-stripped null" \
	"$(jq -r '[.groups[] | select(.wait == "condvar") | .wait_site | "\(.module) \(.function)"] | unique | join(",")' "$TMP/x.json")"
expect_eq "stripped: library frames still named from dynamic symbols" "pthread_cond_wait" \
	"$(jq -r '.groups[] | select(.wait == "condvar") | .blocking_call' "$TMP/x.json")"
expect_eq "stripped: 4 condvar threads in one group" "4" \
	"$(jq -r '.groups[] | select(.wait == "condvar") | .count' "$TMP/x.json")"
stop_fixture "$FX_PID"

# --no-stop leaves running threads without a stack: a partial report, exit 1.
start_fixture "$FIX/waits" --spin 1 --sleep 1 || exit 1
"$PILEUP" --json=1 --no-stop "$FX_PID" >"$TMP/n.json"
expect_eq "--no-stop with a spinning thread: exit 1 (partial)" 1 $?
spin=$(awk '$3 == "spin_loop" {print $5}' "$FX_OUT")
expect_eq "--no-stop: the spinning thread says why it has no stack" "running true 0" \
	"$(jq -r ".threads[] | select(.tid == $spin) | \"\(.wait) \(.error | test(\"--no-stop\")) \(.frames | length)\"" "$TMP/n.json")"
stop_fixture "$FX_PID"
finish
