#!/bin/bash
# Watching leaks grow: --watch against fixtures that strand threads
# (fixtures/leaky) and goroutines (go-leaks -grow-rate) at a known rate at
# one site while the other sites stay constant: the growing group, and only
# it, is a leak suspect, at the right rate; pileup diff of two saved
# snapshots gives the deltas the fixtures were told to add (groups that
# appeared, vanished, stayed); diff refuses snapshots of different
# programs; every --fail-if form triggers (exit 3, reason on stderr, after
# the normal output) and stays quiet when it should; Ctrl-C ends --watch
# with its summary and leaves the target running.
. "$(dirname "$0")/lib.sh"

# The interval leaves room for a capture under the sanitizers.
IV=1
[ "$ASAN" = 1 ] && IV=1.5

# within LO HI VALUE
within() {
	awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'
}

# usage_err ARGS...: pileup exits 2 with one line "pileup: ..." on stderr.
usage_err() {
	local out
	out=$("$PILEUP" "$@" 2>&1 >/dev/null)
	local rc=$?
	[ $rc -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ $out == pileup:* ]]
}

# grown OUT N: waits until the fixture printed "grown N".
grown() {
	local i
	for ((i = 0; i < 400; i++)); do
		grep -q "^grown $2\$" "$1" && return 0
		sleep 0.05
	done
	return 1
}

# before_after PID A B N WHAT: saves snapshot A, has the fixture strand N
# more (SIGUSR2, "grown N"), saves snapshot B.
before_after() {
	"$PILEUP" --json=1 -o "$2" "$1"
	kill -USR2 "$1"
	check "diff $5: the fixture stranded $4 $5" grown "$FX_OUT" "$4"
	"$PILEUP" --json=1 -o "$3" "$1"
}

# --- threads: 5 per second stranded in leaked_request ---------------------
start_fixture "$FIX/leaky" --steady 6 --grow-rate 5 || exit 1
LK=$FX_PID
"$PILEUP" --watch $IV --count 4 --json=1 "$LK" >"$TMP/w.json" 2>"$TMP/w.err"
expect_eq "threads: --watch --json=1 exit 0" 0 $?
J=$TMP/w.json
expect_eq "threads: one JSON object of 4 captures" "watch 4" "$(jq -r '"\(.comparison) \(.captures | length)"' "$J")"
expect_eq "threads: the only leak suspect is leaked_request (read)" "leaked_request read" \
	"$(jq -r '[.groups[] | select(.leak_suspect)] | map("\(.wait_site.function) \(.wait)") | join(",")' "$J")"
rate=$(jq '.groups[] | select(.leak_suspect) | .growth_per_min' "$J")
check "threads: growth rate $rate/min is the fixture's 300/min (+-20%)" within 240 360 "$rate"
expect_eq "threads: the steady pool stays 6 in every capture" "[6,6,6,6] false 0" \
	"$(jq -c '.groups[] | select(.wait_site.function == "steady_wait") | "\(.counts) \(.leak_suspect) \(.delta)"' -r "$J")"
expect_eq "threads: counts add up to each capture's threads" "$(jq -c '[.captures[].threads]' "$J")" \
	"$(jq -c '[.groups[] | select(.kind == "thread") | .counts] | transpose | map(add)' "$J")"
expect_eq "threads: before/after/delta are the first and last counts" "" \
	"$(jq -r '.groups[] | select(.before != .counts[0] or .after != .counts[-1] or .delta != .after - .before) | .wait_site.function' "$J")"
expect_eq "threads: the target's exe and build-id" "$FIX/leaky true" \
	"$(jq -r '"\(.target.exe) \(.target.build_id | test("^[0-9a-f]{40}$"))"' "$J")"

# Piped text: one block per capture, then the suspects.
"$PILEUP" --watch $IV --count 3 "$LK" >"$TMP/w.txt" 2>&1
expect_eq "threads: text exit 0" 0 $?
expect_eq "threads: one block per capture" "3" "$(grep -c '^pileup --watch: pid' "$TMP/w.txt")"
expect_eq "threads: LEAK? marks the growing group only, from the 2nd capture" "2 2" \
	"$(grep -c 'LEAK?.*leaked_request' "$TMP/w.txt") $(grep -c '^  LEAK?' "$TMP/w.txt")"
[ "$(grep -c '^  LEAK?' "$TMP/w.txt")" = 2 ] || sed 's/^/#   /' "$TMP/w.txt"
check "threads: the summary names the suspect" grep -q '^  [0-9]* -> [0-9]* threads (+[0-9.]*/min) read at leaked_request at leaky.c' "$TMP/w.txt"

# --fail-if growth: triggers above, quiet below the rate.
"$PILEUP" --watch $IV --count 3 --fail-if 'growth>100/min' "$LK" >"$TMP/g.out" 2>"$TMP/g.err"
expect_eq "growth>100/min: exit 3" 3 $?
check "growth>100/min: says which group on stderr" grep -q '^pileup: --fail-if growth>100/min: threads grew by +[0-9.]*/min.*leaked_request' "$TMP/g.err"
check "growth>100/min: the normal output is still printed" grep -q 'Leak suspects after 3 captures' "$TMP/g.out"
"$PILEUP" --watch $IV --count 3 --fail-if 'growth>2000/min' "$LK" >/dev/null 2>"$TMP/g.err"
expect_eq "growth>2000/min: quiet, exit 0" "0 " "$? $(cat "$TMP/g.err")"

# On a terminal the table is redrawn in place, cut to the terminal's size.
if command -v tmux >/dev/null; then
	SOCK=pileup-watch-$$
	tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
	trap 'tm kill-server 2>/dev/null; cleanup' EXIT
	tm new-session -d -s w -x 100 -y 14 "bash -c '$PILEUP --watch $IV --count 3 $LK; echo pileup-exit=\$?; sleep 600'"
	for ((i = 0; i < 400; i++)); do
		tm capture-pane -p -t w | grep -q pileup-exit= && break
		sleep 0.05
	done
	tm capture-pane -p -J -S - -t w >"$TMP/tty.txt" # -J: wrapped lines joined
	expect_eq "terminal: redrawn in place (one table, no history of old ones)" "1" "$(grep -c '^pileup --watch: pid' "$TMP/tty.txt")"
	check "terminal: the last table is of the 3rd capture" grep -q '^  LEAK? .* [0-9]* [0-9]* [0-9]*  thread  *read' "$TMP/tty.txt"
	check "terminal: the summary, then exit 0" grep -A3 -q '^Leak suspects after 3 captures' "$TMP/tty.txt"
	check "terminal: exit 0" grep -q '^pileup-exit=0' "$TMP/tty.txt"
	check "terminal: long lines cut to the terminal's width" grep -q '^.\{100\}$' "$TMP/tty.txt"
	expect_eq "terminal: no line wrapped" "" "$(awk 'length > 100' "$TMP/tty.txt")"
	tm kill-server
else
	check "tmux is installed (scripts/deps.sh test)" false
fi

# Ctrl-C ends watching with the summary; the target keeps running.
"$PILEUP" --watch $IV "$LK" >"$TMP/int.out" 2>&1 &
W=$!
sleep 3
kill -INT $W
wait $W
expect_eq "Ctrl-C: --watch exits 0" 0 $?
check "Ctrl-C: the summary is printed" grep -q '^Leak suspects after [0-9]* captures' "$TMP/int.out"
check "Ctrl-C: the target is not left stopped or traced" not_stopped "$LK"
check "Ctrl-C: the target still runs" kill -0 "$LK"
stop_fixture "$LK"

# --- goroutines: 10 per second stranded in main.leakyRequest --------------
start_fixture "$FIX/go-leaks" -mutex 5 -recv 3 -grow-rate 10 || exit 1
GL=$FX_PID
"$PILEUP" --watch $IV --count 4 --json=1 "$GL" >"$TMP/gw.json" 2>"$TMP/gw.err"
rc=$?
# 1 would be a Go thread caught between two states in one capture (its
# reason is in the JSON of that capture); never 2 or 3
check "goroutines: --watch --json=1 exit 0 or 1 (was $rc)" test $rc -le 1
J=$TMP/gw.json
expect_eq "goroutines: the only leak suspect is main.leakyRequest (chan send)" "goroutine main.leakyRequest chan send" \
	"$(jq -r '[.groups[] | select(.leak_suspect)] | map("\(.kind) \(.wait_site.function) \(.wait)") | join(",")' "$J")"
rate=$(jq '.groups[] | select(.leak_suspect) | .growth_per_min' "$J")
check "goroutines: growth rate $rate/min is the fixture's 600/min (+-20%)" within 480 720 "$rate"
expect_eq "goroutines: the mutex and channel sites stay constant" "main.drain [3,3,3,3] main.lockMutex [5,5,5,5]" \
	"$(jq -r '[.groups[] | select(.wait_site.function == "main.lockMutex" or .wait_site.function == "main.drain") | "\(.wait_site.function) \(.counts | tostring)"] | sort | join(" ")' "$J")"
expect_eq "goroutines: counts add up to each capture's goroutines" "$(jq -c '[.captures[].goroutines]' "$J")" \
	"$(jq -c '[.groups[] | select(.kind == "goroutine") | .counts] | transpose | map(add)' "$J")"
"$PILEUP" --watch $IV --count 3 --fail-if 'growth>=300/min' "$GL" >/dev/null 2>"$TMP/g.err"
expect_eq "goroutines: growth>=300/min exit 3" 3 $?
check "goroutines: the reason names main.leakyRequest" grep -q 'goroutines grew by.*main.leakyRequest' "$TMP/g.err"
stop_fixture "$GL"

# --- diff: deltas equal what the fixtures were told to add -----------------
start_fixture "$FIX/leaky" --steady 4 --grow-step 9 || exit 1
LK=$FX_PID
before_after "$LK" "$TMP/a.json" "$TMP/b.json" 9 threads
"$PILEUP" diff --json=1 "$TMP/a.json" "$TMP/b.json" >"$TMP/d.json"
expect_eq "diff threads: exit 0" 0 $?
expect_eq "diff threads: leaked_request appeared with +9; others +0" \
	"leaked_request 0 9 9|main 1 1 0|steady_wait 4 4 0" \
	"$(jq -r '[.groups[] | "\(.wait_site.function) \(.before) \(.after) \(.delta)"] | sort | join("|")' "$TMP/d.json")"
expect_eq "diff threads: a group's own fields are there" "thread read read leaked_request 9 true" \
	"$(jq -r '.groups[] | select(.delta == 9) | "\(.kind) \(.wait) \(.blocking_call) \(.wait_site.function) \(.members | length) \(.frames | length > 3)"' "$TMP/d.json")"
"$PILEUP" diff --json=1 "$TMP/b.json" "$TMP/a.json" >"$TMP/d2.json"
expect_eq "diff threads, reversed: the group vanished (after 0, delta -9)" "9 0 -9" \
	"$(jq -r '.groups[] | select(.wait_site.function == "leaked_request") | "\(.before) \(.after) \(.delta)"' "$TMP/d2.json")"
"$PILEUP" diff "$TMP/a.json" "$TMP/b.json" >"$TMP/d.txt"
check "diff text: the new group is marked (new) with +9" grep -q '^ *0 *9 *+9 .*leaked_request.*(new)$' "$TMP/d.txt"
"$PILEUP" diff "$TMP/b.json" "$TMP/a.json" >"$TMP/d2.txt"
check "diff text: the vanished group is marked (gone)" grep -q '^ *9 *0 *-9 .*leaked_request.*(gone)$' "$TMP/d2.txt"

# different programs are refused: another executable, or another build-id
start_fixture "$FIX/waits" --sleep 2 || exit 1
"$PILEUP" --json=1 -o "$TMP/other.json" "$FX_PID"
stop_fixture "$FX_PID"
"$PILEUP" diff "$TMP/a.json" "$TMP/other.json" >"$TMP/o.out" 2>"$TMP/o.err"
expect_eq "diff of different programs: exit 2, nothing on stdout" "2 0" "$? $(wc -c <"$TMP/o.out")"
expect_eq "diff of different programs: one line naming both" "1" "$(grep -c 'different programs.*leaky.*waits' "$TMP/o.err")"
jq -c '.target.build_id = "0000000000000000000000000000000000000000"' "$TMP/b.json" >"$TMP/b2.json"
"$PILEUP" diff "$TMP/a.json" "$TMP/b2.json" >/dev/null 2>"$TMP/o.err"
expect_eq "diff of a rebuilt program (same path, other build-id): exit 2" 2 $?
check "diff of a rebuilt program: the build-ids are named" grep -q 'build-id 0000000000000000000000000000000000000000' "$TMP/o.err"

# --fail-if on a single capture, live and saved: 4 steady + 9 leaked + main
"$PILEUP" --fail-if 'threads>13' --fail-if 'group>8' "$LK" >"$TMP/f.out" 2>"$TMP/f.err"
expect_eq "threads>13 and group>8: exit 3" 3 $?
expect_eq "threads>13 and group>8: two reasons" "2" "$(grep -c '^pileup: --fail-if' "$TMP/f.err")"
check "threads>13: names the count" grep -q '^pileup: --fail-if threads>13: 14 threads$' "$TMP/f.err"
check "group>8: names the group" grep -q '^pileup: --fail-if group>8: 9 threads in one group, read at leaked_request' "$TMP/f.err"
check "--fail-if: the report is printed all the same" grep -q '^Thread groups' "$TMP/f.out"
"$PILEUP" --fail-if 'threads>14' --fail-if 'group>9' --fail-if 'threads >= 15' "$LK" >/dev/null 2>"$TMP/f.err"
expect_eq "threads>14, group>9, threads>=15: quiet, exit 0" "0 " "$? $(cat "$TMP/f.err")"
"$PILEUP" --json=1 --fail-if 'threads>=14' "$LK" >"$TMP/f.json" 2>/dev/null
expect_eq "threads>=14 with --json=1: exit 3, the JSON still whole" "3 14" "$? $(jq '.target.threads' "$TMP/f.json")"
"$PILEUP" --fail-if dominant "$LK" >/dev/null 2>"$TMP/f.err"
expect_eq "dominant: leaked_request holds 9 of 14 threads: exit 3" 3 $?
check "dominant: names the site and its share" grep -q '^pileup: --fail-if dominant: dominant wait site holding 64% of the threads (9), read at leaked_request' "$TMP/f.err"
"$PILEUP" --dominant 70 --fail-if dominant "$LK" >/dev/null 2>&1
expect_eq "dominant with --dominant 70: quiet, exit 0" 0 $?
"$PILEUP" --fail-if 'threads>3' "$TMP/b.json" >/dev/null 2>&1
expect_eq "--fail-if on a saved snapshot: exit 3" 3 $?
"$PILEUP" diff --fail-if 'group>8' "$TMP/a.json" "$TMP/b.json" >/dev/null 2>&1
expect_eq "--fail-if on diff checks the second snapshot: exit 3" 3 $?
"$PILEUP" diff --fail-if 'group>8' "$TMP/b.json" "$TMP/a.json" >/dev/null 2>&1
expect_eq "--fail-if on diff, reversed: exit 0" 0 $?
# growth on diff: 9 more threads in a minute (the capture times made so)
t=$(jq '.target.taken_at' "$TMP/b.json")
jq -c ".target.taken_at = $((t - 60))" "$TMP/a.json" >"$TMP/a60.json"
"$PILEUP" diff --json=1 --fail-if 'growth>8/min' "$TMP/a60.json" "$TMP/b.json" >"$TMP/d60.json" 2>"$TMP/f.err"
expect_eq "growth>8/min on diff, +9 in 60 s: exit 3" 3 $?
expect_eq "diff: growth_per_min from the capture times" "9" \
	"$(jq '.groups[] | select(.wait_site.function == "leaked_request") | .growth_per_min' "$TMP/d60.json")"
"$PILEUP" diff --fail-if 'growth>9/min' "$TMP/a60.json" "$TMP/b.json" >/dev/null 2>&1
expect_eq "growth>9/min on diff, +9 in 60 s: exit 0" 0 $?
jq -c ".target.taken_at = $t" "$TMP/a.json" >"$TMP/a0.json"
check "growth on diff of snapshots taken the same second: refused" usage_err diff --fail-if 'growth>1/min' "$TMP/a0.json" "$TMP/b.json"

# goroutines>N, group>N and a diff on goroutines
start_fixture "$FIX/go-leaks" -mutex 5 -grow-step 25 || exit 1
GL=$FX_PID
before_after "$GL" "$TMP/ga.json" "$TMP/gb.json" 25 goroutines
"$PILEUP" diff --json=1 "$TMP/ga.json" "$TMP/gb.json" >"$TMP/gd.json"
expect_eq "diff goroutines: main.leakyRequest +25, main.lockMutex +0" "main.leakyRequest 0 25 25|main.lockMutex 5 5 0" \
	"$(jq -r '[.groups[] | select(.kind == "goroutine" and (.wait_site.function | test("^main\\.(leaky|lock)"))) | "\(.wait_site.function) \(.before) \(.after) \(.delta)"] | sort | join("|")' "$TMP/gd.json")"
expect_eq "diff goroutines: no other group of the program changed (the runtime's GC workers may)" "" \
	"$(jq -r '.groups[] | select(.kind == "goroutine" and .delta != 0 and (.wait_site.function | startswith("main.")) and .wait_site.function != "main.leakyRequest") | .wait_site.function' "$TMP/gd.json")"
n=$(jq '.target.goroutines' "$TMP/gb.json")
"$PILEUP" --fail-if "goroutines>$((n - 1))" "$TMP/gb.json" >/dev/null 2>"$TMP/f.err"
expect_eq "goroutines>$((n - 1)): exit 3" 3 $?
check "goroutines>N: names the count" grep -q "^pileup: --fail-if goroutines>$((n - 1)): $n goroutines\$" "$TMP/f.err"
"$PILEUP" --fail-if "goroutines>$n" "$TMP/gb.json" >/dev/null 2>&1
expect_eq "goroutines>$n: exit 0" 0 $?
"$PILEUP" --fail-if 'group>24' "$GL" >/dev/null 2>"$TMP/f.err"
expect_eq "group>24 on goroutines: exit 3" 3 $?
check "group>24: the goroutine group is named" grep -q '25 goroutines in one group, chan send at main.leakyRequest' "$TMP/f.err"
stop_fixture "$GL"

# --- usage errors: one line, exit 2 -----------------------------------------
check "--fail-if with a bad condition" usage_err --fail-if 'threads<3' "$LK"
check "--fail-if growth without --watch" usage_err --fail-if 'growth>3/min' "$LK"
check "--watch on a saved snapshot" usage_err --watch 1 "$TMP/a.json"
check "--watch with a bad interval" usage_err --watch 0 "$LK"
check "--count without --watch" usage_err --count 3 "$LK"
check "diff with one file" usage_err diff "$TMP/a.json"
check "diff of a missing file" usage_err diff "$TMP/a.json" "$TMP/missing.json"
check "a comparison is not a snapshot: diff refuses it" usage_err diff "$TMP/a.json" "$TMP/d.json"
check "a comparison is not a snapshot: opening it is refused" usage_err "$TMP/w.json"
check "diff with --stop-all" usage_err diff --stop-all "$TMP/a.json" "$TMP/b.json"
check "--watch with --tui" usage_err --tui --watch 1 "$LK"
check "--watch with --svg" usage_err --svg "$TMP/x.svg" --watch 1 "$LK"
check "diff with --folded" usage_err diff --folded "$TMP/a.json" "$TMP/b.json"
check "the target is not left stopped or traced" not_stopped "$LK"
finish
