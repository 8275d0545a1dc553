#!/bin/bash
# JSON format version 2 (README "JSON, version 2"): each distinct stack,
# module, goroutine creator and wait object written once, in top-level
# tables, and the goroutine fields most goroutines share once, in
# "goroutine_defaults".  Live captures (C threads and Go goroutines) saved
# as version 2 read back to the same text report and the same snapshot;
# their waits_on, expanded from the objects table, are version 1's; version
# 1 files and version 2 files of the form before the objects table (both
# saved by the previous pileup, tests/data/) still open, diff and merge;
# damaged references and later versions are refused in one line; a
# 100,000-goroutine report is at most a tenth of its version 1 size and
# under 15 MB (issue 16); the fuzzer's seeds and findings for the reader
# are replayed.
source "$(dirname "$0")/lib.sh"
DATA=$ROOT/tests/data
cd "$TMP" || exit 1

# The text report without the capture line (how long the capture took,
# which a saved report does not repeat).
# A timer's "wakes in" counts from its capture: two captures of one sleeper
# differ there.
text_of() { grep -v '^capture: ' "$1" | sed 's/wakes in [0-9]* s/wakes in N s/g'; }
# A report's content, less when it was taken and how long that and the
# analysis took (different for two captures of one process).
content() { jq -c 'del(.capture.analyze_us, .capture.elapsed_us, .capture.pause_us, .target.taken_at) | del(.. | .wakes_in_ms?)' "$1"; }

# v2_sound FILE: every reference resolves, every table entry is distinct.
v2_sound() {
	jq -e '
		[.objects[].id] as $o |
		def obj: type == "number" and (. as $x | $o | index($x) != null);
		def wait: . == null or obj or (type == "object" and ((has("object") | not) or (.object | obj)) and
			([(.channels // [])[], (.fds // [])[]] | all(obj)));
		($o | length == (unique | length)) and
		([.objects[] | del(.id)] | length == (unique | length)) and
		([.threads[], (.goroutines // [])[] | .waits_on | wait] | all) and
		([.groups[] | (.objects // [])[] | .object | obj] | all) and
		([.convoys[].object | obj] | all) and
		([.stacks[].id] | length == (unique | length)) and
		([.modules[].id] | length == (unique | length)) and
		([.modules[].path] | length == (unique | length)) and
		([.stacks[] | del(.id)] | length == (unique | length)) and
		([.stacks[].id] as $s | [.threads[].stack, (.goroutines // [] | .[].stack), .groups[].stack] | all(. as $x | $s | index($x) != null)) and
		([.modules[].id] as $m | [.stacks[].frames[].module | select(. != null)] | all(. as $x | $m | index($x) != null)) and
		([(.creators // [])[].id] as $c | [(.goroutines // [])[].created_by | select(. != null)] | all(. as $x | $c | index($x) != null)) and
		([.threads[], (.goroutines // [])[], .groups[] | has("frames")] | any | not)' "$1" >/dev/null
}

# Version 2's waits as version 1 writes them (README "From version 1 to
# version 2"): each thread's and goroutine's waits_on, and each group's
# objects, with the objects of the table in place of their ids.  Version 1
# is given as is.
V1WAITS='
	(.objects // [] | map({key: (.id | tostring), value: del(.id)}) | from_entries) as $O |
	def o: $O[tostring];
	def member: o | if .kind == "fd" then .fd else . end;
	def wait: if . == null then null elif type == "number" then o
		elif has("kind") and ((has("object") or has("address") or has("fd") or has("fds") or has("channels")) | not) then
			{kind} + (if .kind != "fd" then {address: null, name: null} else {} end) + del(.kind)
		elif has("object") or (.channels // .fds // [] | any(type == "number")) then
			(if has("object") then (.object | o) else {kind, address: null, name: null} end)
			+ (if .futex then {futex} else {} end)
			+ (if .channels then {channels: [.channels[] | member]} else {} end)
			+ (if .fds then {fds: [.fds[] | member]} else {} end)
			+ (if .wait_note then {wait_note} else {} end)
		else . end;
	def gobj: if has("object") then (.object | o | if .kind == "fd" then {kind, fd: .fd.fd} else {kind, address, name} end) + {count} else . end;
	{threads: [.threads[] | .waits_on | wait], goroutines: [(.goroutines // [])[] | .waits_on | wait],
	 groups: [.groups[] | [(.objects // [])[] | gobj]]} | del(.. | .wakes_in_ms?)'
waits_v1() { jq -S -c "$V1WAITS" "$1"; }

# round_trip NAME PID: live text, v2 and v1 of one process; both read back.
round_trip() {
	local n=$1 pid=$2
	"$PILEUP" --text "$pid" >"$n.live.txt"
	"$PILEUP" --json "$pid" >"$n.v2.json"
	expect_eq "$n: --json exit 0" 0 $?
	"$PILEUP" --json=1 "$pid" >"$n.v1.json"
	expect_eq "$n: --json=1 exit 0" 0 $?
	expect_eq "$n: --json writes version 2, --json=1 version 1" "2 1" "$(jq .pileup "$n.v2.json") $(jq .pileup "$n.v1.json")"
	check "$n: version 2's references resolve, its tables hold each entry once" v2_sound "$n.v2.json"
	check "$n: fewer stacks than threads and goroutines" \
		test "$(jq '.stacks | length' "$n.v2.json")" -lt "$(jq '(.threads | length) + (.goroutines // [] | length)' "$n.v2.json")"
	"$PILEUP" --text "$n.v2.json" >"$n.v2.txt"
	expect_eq "$n: the saved version 2 report reads back (exit 0)" 0 $?
	expect_eq "$n: ... to the live text report" "$(text_of "$n.live.txt")" "$(text_of "$n.v2.txt")"
	"$PILEUP" --text "$n.v1.json" >"$n.v1.txt"
	expect_eq "$n: version 1 reads back to the same text" "$(text_of "$n.live.txt")" "$(text_of "$n.v1.txt")"
	# one capture in both versions: version 1 rewritten as version 2 (two
	# captures of a live process may differ by a thread that moved on)
	"$PILEUP" --json "$n.v1.json" >"$n.v1to2.json"
	"$PILEUP" --json=1 "$n.v1to2.json" >"$n.v2to1.json"
	"$PILEUP" --json=1 "$n.v1.json" >"$n.v1to1.json"
	expect_eq "$n: versions 1 and 2 of one capture read back to the same snapshot (written as version 1)" \
		"$(content "$n.v1to1.json")" "$(content "$n.v2to1.json")"
	check "$n: version 2 is smaller" test "$(stat -c %s "$n.v2.json")" -lt "$(stat -c %s "$n.v1.json")"
	expect_eq "$n: version 2's waits_on, with the objects table's objects in place of their ids, are version 1's" \
		"$(waits_v1 "$n.v1to1.json")" "$(waits_v1 "$n.v1to2.json")"
	check "$n: ... and they are waits (not all null)" test "$(jq '[.threads[], (.goroutines // [])[] | select(.waits_on)] | length' "$n.v1.json")" -gt 0
	check "$n: ... the objects table holds each object once, fewer than the waits" \
		test "$(jq '.objects | length' "$n.v1to2.json")" -lt "$(jq '[.threads[], (.goroutines // [])[] | select(.waits_on)] | length' "$n.v1to2.json")"
	# goroutine_defaults: the most common value of each field, which the
	# goroutines that have it leave out (the snapshot comparison above
	# checks they come back)
	if [ "$(jq '.goroutines // [] | length' "$n.v2.json")" -gt 0 ]; then
		expect_eq "$n: goroutine_defaults holds the most common status, wait reason and wait minutes" \
			"$(jq -c '[.goroutines | (group_by(.status) | max_by(length)[0].status), (group_by(.wait_reason) | max_by(length)[0].wait_reason), (group_by(.wait_minutes) | max_by(length)[0].wait_minutes)]' "$n.v1.json")" \
			"$(jq -c '[.goroutine_defaults | .status, .wait_reason, .wait_minutes]' "$n.v2.json")"
		check "$n: ... which goroutines that have it leave out" \
			jq -e '[.goroutines[] | select(has("status") or has("wait_reason") or has("wait_minutes") | not)] | length > 0' "$n.v2.json"
		expect_eq "$n: ... goroutines give each field or take the default" 0 \
			"$(jq '.goroutine_defaults as $d | [.goroutines[] | select((has("status") and .status == $d.status) or (has("wait_reason") and .wait_reason == $d.wait_reason) or (has("wait_minutes") and .wait_minutes == $d.wait_minutes))] | length' "$n.v2.json")"
	fi
}

# --- live: C threads, Go goroutines ---------------------------------------
if start_fixture "$FIX/waits" --mutex 4 --condvar 3 --read 2 --sleep 1 --deadlock --join 1 --convoy 2; then
	round_trip waits "$FX_PID"
	expect_eq "waits: the deadlock is in the saved report" "$(jq -c .deadlocks waits.v1.json)" "$(jq -c .deadlocks waits.v2.json)"
	expect_eq "waits: each thread's waits_on and each group's objects, from the objects table, are those of a version 1 capture" \
		"$(waits_v1 waits.v1.json)" "$(waits_v1 waits.v2.json)"
	check "waits: ... the table is small: each object once (mutexes shared by several threads)" \
		test "$(jq '.objects | length' waits.v2.json)" -lt "$(jq '[.threads[] | select(.waits_on)] | length' waits.v2.json)"
	stop_fixture "$FX_PID"
else
	check "the C fixture starts" false
fi
if start_fixture "$FIX/go-leaks" -first-error 40 -producers 20 -mutex 10 -waitgroup 10 -recv 10 -select-case 5 -locked 2; then
	round_trip go "$FX_PID"
	expect_eq "go: every goroutine, each once" "$(jq -c '[.goroutines[].id]' go.v1.json)" "$(jq -c '[.goroutines[].id]' go.v2.json)"
	expect_eq "go: creators are a table" \
		"$(jq -c '[.goroutines[].created_by | select(.) | .function] | unique' go.v1.json)" "$(jq -c '[.creators[].function] | unique' go.v2.json)"
	expect_eq "go: ... each creator (function, line and creating goroutine) once, and goroutines refer to theirs by id" \
		"$(jq -c '[.goroutines[].created_by | select(.) | [.function, .line, .goroutine]] | unique' go.v1.json)" \
		"$(jq -c '.creators as $c | [.goroutines[].created_by | select(.) | . as $i | $c[] | select(.id == $i) | [.function, .line, .goroutine]] | unique' go.v2.json)"
	expect_eq "go: goroutines' waits_on and groups' objects, from the objects table, are those of a version 1 capture" \
		"$(waits_v1 go.v1.json)" "$(waits_v1 go.v2.json)"
	check "go: ... channels, selects' channels, sync objects and timers are in the table" \
		jq -e '[.objects[].kind] | index("chan") and index("sync.Mutex") and index("sync.WaitGroup")' go.v2.json
	check "go: ... most goroutines' waits_on is an id alone" \
		jq -e '[.goroutines[] | select(.waits_on) | .waits_on | type == "number"] | (map(select(.)) | length) * 2 > length' go.v2.json
	stop_fixture "$FX_PID"
else
	check "the Go fixture starts" false
fi

# --- files saved by the previous pileup (tests/data): version 1, and ------
# version 2 before the objects table (v2prev-*: pileup --json of v1-*.json
# by the pileup of commit 9f935ee)
for f in v1-waits v1-go v2prev-waits v2prev-go; do
	in=$DATA/$f.json
	case $f in
	v1-*) expect_eq "$f: a version 1 file" 1 "$(jq .pileup "$in")" ;;
	*) expect_eq "$f: a version 2 file without the objects table (waits_on written whole)" "2 false" "$(jq -r '"\(.pileup) \(has("objects"))"' "$in")" ;;
	esac
	"$PILEUP" --text "$in" >"$f.txt"
	expect_eq "$f: opens (exit 0)" 0 $?
	"$PILEUP" --json "$in" >"$f.v2.json"
	check "$f: rewritten as version 2" v2_sound "$f.v2.json"
	expect_eq "$f: ... which gives the same text report" "$(cat "$f.txt")" "$("$PILEUP" --text "$f.v2.json")"
	"$PILEUP" --json=1 "$in" >"$f.1.json"
	"$PILEUP" --json=1 "$f.v2.json" >"$f.2to1.json"
	expect_eq "$f: ... and the same snapshot" "$(content "$f.1.json")" "$(content "$f.2to1.json")"
	"$PILEUP" diff --json "$in" "$f.v2.json" >"$f.diff.json"
	expect_eq "$f: diff of version 1 and its version 2: exit 0, no group changed" \
		"0 $(jq '.groups | length' "$in") true" "$? $(jq '.groups | length' "$f.diff.json") $(jq '[.groups[].delta] | all(. == 0)' "$f.diff.json")"
	"$PILEUP" diff --text "$f.v2.json" "$in" >/dev/null
	expect_eq "$f: diff the other way round: exit 0" 0 $?
	"$PILEUP" merge --json a="$in" b="$f.v2.json" >"$f.merge.json"
	expect_eq "$f: merge of version 1 and 2: exit 0, each group twice as large" \
		"0 $(jq -c '[.groups[].count * 2] | sort' "$in")" "$? $(jq -c '[.groups[].count] | sort' "$f.merge.json")"
	expect_eq "$f: ... written as version 2 with both hosts" '2 ["a","b"]' "$(jq -c '"\(.pileup) \(.target.hosts)"' -r "$f.merge.json")"
done
for f in waits go; do
	expect_eq "v2prev-$f: the same text report as the version 1 file it was written from" "$(cat "v1-$f.txt")" "$(cat "v2prev-$f.txt")"
	expect_eq "v2prev-$f: ... and the same snapshot" "$(content "v1-$f.1.json")" "$(content "v2prev-$f.1.json")"
	"$PILEUP" diff --json "$DATA/v2prev-$f.json" "v1-$f.v2.json" >"v2prev-$f.diff2.json"
	expect_eq "v2prev-$f: diff with the same snapshot in the current version 2: exit 0, no group changed" \
		"0 true" "$? $(jq '[.groups[].delta] | all(. == 0)' "v2prev-$f.diff2.json")"
done

# --- refused: later versions, damaged references --------------------------
# one_line NAME FILE PATTERN: exit 2, one line on stderr matching PATTERN.
one_line() {
	"$PILEUP" --text "$2" >/dev/null 2>"$1.err"
	local rc=$?
	expect_eq "$1: exit 2, one line" "2 1" "$rc $(wc -l <"$1.err")"
	check "$1: ... that says why ($(head -c 200 "$1.err"))" grep -qE "$3" "$1.err"
}
src=waits.v2.json
[ -s "$src" ] || src=v1-waits.v2.json
jq -c '.pileup = 3' "$src" >v3.json
one_line "version 3" v3.json 'format version 3, but this pileup reads versions 1 and 2; open it with a newer pileup'
jq -c '.pileup = 3 | .threads = "changed in version 3"' "$src" >v3b.json
one_line "version 3 with other changes: still refused by version" v3b.json 'format version 3'
jq -c '.threads[0].stack = 99999' "$src" >nostack.json
one_line "a thread's stack not in the table" nostack.json '^pileup: nostack.json: byte [0-9]+: a thread refers to stack 99999, which "stacks" does not list'
jq -c '.stacks += [.stacks[0]]' "$src" >dupstack.json
one_line "two stacks with one id" dupstack.json 'two stacks have id [0-9]+'
jq -c '.stacks[0].frames[0].module = 77' "$src" >nomodule.json
one_line "a frame's module not in the table" nomodule.json 'names module 77, which "modules" does not list'
jq -c '.stacks[0].wait_site = 500' "$src" >badsite.json
one_line "a wait site past the stack's end" badsite.json 'must be frames of it'
jq -c '(.threads[] | select(.waits_on) | .waits_on) |= (if type == "number" then 88888 else .object = 88888 end)' "$src" >noobject.json
one_line "a waits_on's object not in the table" noobject.json '^pileup: noobject.json: byte [0-9]+: a waits_on refers to object 88888, which "objects" does not list'
jq -c '.objects += [.objects[0]]' "$src" >dupobject.json
one_line "two objects with one id" dupobject.json 'two objects have id [0-9]+'
gsrc=go.v2.json
[ -s "$gsrc" ] || gsrc=v1-go.v2.json
jq -c '(.goroutines[] | select(.created_by) | .created_by) = 77777' "$gsrc" >nocreator.json
one_line "a goroutine's creator not in the table" nocreator.json "a goroutine's creator 77777 is not in \"creators\""
"$PILEUP" --json=3 --text "$DATA/v1-waits.json" >/dev/null 2>json3.err
expect_eq "--json=3: exit 2, one line naming the versions written" "2 1" "$? $(grep -c 'writes JSON format versions 1 and 2' json3.err)"

# --- size: 100,000 goroutines (20,000 under the sanitizers) ----------------
N=100000
[ "$ASAN" = 1 ] && N=20000
a=$((N * 3 / 10)) b=$((N * 2 / 10)) c=$((N / 10))
if start_fixture "$FIX/go-leaks" -first-error $((N - a - b - 5 * c + a)) -producers $b -for-select $c -mutex $c -waitgroup $c -recv $c -select-case $c; then
	"$PILEUP" --json "$FX_PID" >big.v2.json
	expect_eq "$N goroutines: --json exit 0" 0 $?
	"$PILEUP" --json=1 "$FX_PID" >big.v1.json
	expect_eq "$N goroutines: --json=1 exit 0" 0 $?
	s2=$(stat -c %s big.v2.json) s1=$(stat -c %s big.v1.json)
	# issue 16: a tenth of version 1, under 15 MB (at 100,000: 8.8 MB of
	# 193 MB, 2026-12-02; 15 MB scaled to N under the sanitizers)
	check "$N goroutines: version 2 is at most a tenth of version 1 ($s2 vs $s1 bytes)" test $((s2 * 10)) -le "$s1"
	check "$N goroutines: ... and under $((15 * N / 100000)) MB" test "$s2" -lt $((15000000 * N / 100000))
	check "$N goroutines: ... each goroutine's wait object is in the table, its waits_on an id" \
		jq -e '[.goroutines[] | select(.waits_on) | .waits_on | type == "number"] | (map(select(.)) | length) * 2 > length' big.v2.json
	expect_eq "$N goroutines: both list every goroutine" "$(jq '.goroutines | length' big.v1.json)" "$(jq '.goroutines | length' big.v2.json)"
	check "$N goroutines: ... at least $N" test "$(jq '.goroutines | length' big.v2.json)" -ge "$N"
	# one capture in both versions (a GC may run between two captures of
	# 100,000 goroutines: its workers' stacks differ, seen under load)
	"$PILEUP" --json=1 big.v2.json >big.v2to1.json
	expect_eq "$N goroutines: version 2 and the version 1 written from it read back to the same text report" \
		"$("$PILEUP" --text big.v2.json >big.v2.txt; text_of big.v2.txt)" "$("$PILEUP" --text big.v2to1.json >big.v2to1.txt; text_of big.v2to1.txt)"
	rm -f big.v1.json big.v2to1.json
	stop_fixture "$FX_PID"
else
	check "the $N-goroutine fixture starts" false
fi

# --- the fuzzer's seeds and findings (make fuzz-json) ----------------------
F=$ROOT/build-fuzz/json_fuzz
check "the JSON fuzz target was built (make fuzz-build)" test -x "$F"
check "the seeds hold version 2 reports" test "$(grep -l '"pileup":2' "$ROOT"/fuzz/json-seeds/* | wc -l)" -ge 3
check "... of both forms: with the objects table and without" \
	test "$(grep -l '"objects":\[{"id"' "$ROOT"/fuzz/json-seeds/* | wc -l)" -ge 3 -a "$(grep -L '"objects":\[' $(grep -l '"pileup":2' "$ROOT"/fuzz/json-seeds/*) | wc -l)" -ge 3
if [ -x "$F" ]; then
	files=$(find "$ROOT/fuzz/json-seeds" "$ROOT/fuzz/json-regressions" -type f ! -name .keep | wc -l)
	"$F" -runs=0 "$ROOT/fuzz/json-seeds" "$ROOT/fuzz/json-regressions" >replay 2>&1
	expect_eq "JSON seeds and regressions replayed: exit 0" 0 $?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' replay)
	check "... every input was run ($runs runs, $files files)" test "${runs:-0}" -ge "$files"
fi
for f in "$ROOT"/fuzz/json-seeds/* "$ROOT"/fuzz/json-regressions/*; do
	[ -f "$f" ] && [ "$(basename "$f")" != .keep ] || continue
	timeout 20 "$PILEUP" --text "$f" >/dev/null 2>seed.err
	rc=$?
	check "$(basename "$f"): a report or one line (exit $rc)" test "$rc" -le 1 -o \( "$rc" = 2 -a "$(wc -l <seed.err)" = 1 \)
done
finish
