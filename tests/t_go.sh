#!/bin/bash
# Go programs, live: every goroutine of fixtures/go/leaks (plain, stripped,
# stripped PIE) against the program's own runtime.Stack dump: the same ids,
# statuses and wait reasons, the same functions and lines, the same
# creators; group counts equal what the fixture was asked to create; wait
# sites, blocking calls, locked goroutines and their threads; Go threads
# complete; DWARF and the built-in go1.19 tables agree; an unknown Go
# version is refused by name, threads still reported.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

ARGS=(-first-error 5 -producers 4 -for-select 3 -mutex 6 -waitgroup 4 -recv 7 -select-case 3 -http 5 -locked 2)

# dump_oracle PID OUT FILE: asks the fixture for runtime.Stack(all) in FILE.
dump_oracle() {
	rm -f "$3"
	kill -USR1 "$1"
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "^dumped $3" "$2" && return 0
		sleep 0.05
	done
	return 1
}

for build in go-leaks go-leaks-stripped go-leaks-pie; do
	[ -x "$FIX/$build" ] || { check "$build: fixture built (make -C fixtures)" false; continue; }
	start_fixture "$FIX/$build" "${ARGS[@]}" -dump "$TMP/$build.dump" || exit 1
	check "$build: oracle dump written" dump_oracle "$FX_PID" "$FX_OUT" "$TMP/$build.dump"
	"$PILEUP" --json "$FX_PID" >"$TMP/$build.json"
	expect_eq "$build: exit 0 (complete, no warning)" 0 $?
	J=$TMP/$build.json
	expect_eq "$build: Go version and module" "$(/usr/lib/go-1.19/bin/go version | awk '{print $3}') example.com/pileup/leaks" \
		"$(jq -r '"\(.target.go_version) \(.target.go_module)"' "$J")"
	expect_eq "$build: target.goroutines counts the list" "$(jq '.goroutines | length' "$J")" "$(jq '.target.goroutines' "$J")"
	expect_eq "$build: goroutines sorted by id" "$(jq -c '[.goroutines[].id] | sort' "$J")" "$(jq -c '[.goroutines[].id]' "$J")"
	expect_eq "$build: no goroutine incomplete" "" "$(jq -r '.goroutines[] | select(.error) | "\(.id): \(.error)"' "$J")"

	# The oracle: every goroutine the program printed (but the one that
	# printed), with its functions, lines and creator, as pileup sees it.
	go_dump_norm "$TMP/$build.dump" 1 | sort -n >"$TMP/go.txt"
	dumper=$(awk '/^goroutine /{print $2; exit}' "$TMP/$build.dump")
	pileup_go_norm "$J" 1 | awk -F'\t' -v d="$dumper" '$1 != d' | sort -n >"$TMP/pl.txt"
	check "$build: the oracle lists goroutines" test "$(wc -l <"$TMP/go.txt")" -gt 40
	expect_eq "$build: every goroutine matches runtime.Stack (id, wait reason, locked, functions:lines, creator)" \
		"" "$(diff "$TMP/go.txt" "$TMP/pl.txt")"
	go_groups_match "$build: group counts are what the fixture created" "$J" "$FX_OUT"

	expect_eq "$build: wait site and blocking call beside it" \
		"main.blockingCall time.Sleep|main.broadcastMsg.func1 runtime.chansend1|main.lockMutex sync.(*Mutex).Lock|main.waitAll sync.(*WaitGroup).Wait" \
		"$(jq -r '[.groups[] | select(.kind == "goroutine" and (.wait_site.function | IN("main.broadcastMsg.func1", "main.lockMutex", "main.waitAll", "main.blockingCall")))
			| "\(.wait_site.function) \(.blocking_call)"] | unique | join("|")' "$J")"
	expect_eq "$build: the innermost frame is runtime.gopark for parked goroutines" "runtime.gopark" \
		"$(jq -r '[.goroutines[] | select(.status == "waiting") | .frames[0].function] | unique | join(",")' "$J")"
	expect_eq "$build: sync.(*Mutex).Lock is an inlined frame" "sync.(*Mutex).Lock true" \
		"$(jq -r '[.goroutines[] | select(.wait_site.function == "main.lockMutex") | .frames[] | select(.function == "sync.(*Mutex).Lock") | "\(.function) \(.inlined)"] | unique | join(",")' "$J")"
	expect_eq "$build: runtime and standard library frames are library, main is not" "false true" \
		"$(jq -r '[([.goroutines[].frames[] | select(.function | startswith("main.")) | .library] | unique | join(",")),
			([.goroutines[].frames[] | select(.function | test("^(runtime|sync|net/http|time)\\.")) | .library] | unique | join(","))] | join(" ")' "$J")"
	expect_eq "$build: created by: function, file, line" "main.broadcastMsg main.go true" \
		"$(jq -r '[.goroutines[] | select(.wait_site.function == "main.broadcastMsg.func1") | .created_by | "\(.function) \(.file | split("/") | last) \(.line > 0)"] | unique | join(",")' "$J")"
	expect_eq "$build: locked goroutines are locked and name a thread of the process" "2 true" \
		"$(jq -r '[.goroutines[] | select(.locked and (.system | not))] as $l | [.threads[].tid] as $t | "\($l | length) \([$l[] | .thread as $x | $t | index($x) != null] | all)"' "$J")"
	expect_eq "$build: the syscall goroutine (os/signal.loop) is in status syscall" "syscall" \
		"$(jq -r '[.goroutines[] | select(.frames[].function == "os/signal.loop") | .status] | unique | join(",")' "$J")"
	expect_eq "$build: system goroutines marked" "true" \
		"$(jq -r '[.goroutines[] | select(.created_by.function == "runtime.gcenable") | .system] | unique | join(",")' "$J")"
	expect_eq "$build: goroutine groups carry kind, wait reason, minutes and creator" "goroutine chan send [0,0] main.broadcastMsg" \
		"$(jq -r '[.groups[] | select(.kind == "goroutine" and .wait_site.function == "main.broadcastMsg.func1") | "\(.kind) \(.wait) \(.wait_minutes | tojson) \(.created_by.function)"] | join(",")' "$J")"
	expect_eq "$build: every OS thread is still listed" "$(ls /proc/"$FX_PID"/task | wc -l)" "$(jq '.threads | length' "$J")"
	expect_eq "$build: Go threads unwound to their outermost frame" "" \
		"$(jq -r '.threads[] | select(.error) | "\(.tid): \(.error)"' "$J")"
	expect_eq "$build: Go threads named from the pclntab" "0" \
		"$(jq '[.threads[].frames[] | select(.function == null)] | length' "$J")"

	"$PILEUP" "$FX_PID" >"$TMP/$build.txt"
	check "$build text: header names the Go version and goroutine count" \
		grep -Eq "^pileup .*, [0-9]+ goroutines, go1\.19" "$TMP/$build.txt"
	check "$build text: goroutine group with wait site, blocking call, created by" \
		grep -A6 "chan send" "$TMP/$build.txt" | grep -q "created by: *main.broadcastMsg at main.go:"
	check "$build text: goroutine id ranges" grep -Eq "^ +goroutines: +[0-9]+" "$TMP/$build.txt"
	check "$build: target not left stopped" not_stopped "$FX_PID"
	cp "$J" "$TMP/$build.keep.json"
	stop_fixture "$FX_PID"
done

# Plain and stripped builds give the same stacks (ids aside).
strip_ids() { pileup_go_norm "$1" 2 | cut -f2- | sort; }
if [ -e "$TMP/go-leaks.keep.json" ] && [ -e "$TMP/go-leaks-stripped.keep.json" ]; then
	expect_eq "stripped (pclntab only) and plain (DWARF) agree on every stack" \
		"" "$(diff <(strip_ids "$TMP/go-leaks.keep.json") <(strip_ids "$TMP/go-leaks-stripped.keep.json"))"
fi

# DWARF and the built-in go1.19 table give the same runtime layout.
start_fixture "$FIX/go-leaks" -recv 3 || exit 1
dw=$(PILEUP_GO_DEBUG=1 "$PILEUP" --json "$FX_PID" 2>&1 >/dev/null | grep "go layout from")
tb=$(PILEUP_GO_DEBUG=1 PILEUP_GO_LAYOUT=table "$PILEUP" --json "$FX_PID" 2>&1 >/dev/null | grep "go layout from")
check "layout: read from DWARF when present" grep -q "from DWARF" <<<"$dw"
expect_eq "layout: DWARF offsets equal the go1.19 table" "$(sed 's/.*from [^:]*: //' <<<"$dw")" "$(sed 's/.*from [^:]*: //' <<<"$tb")"
stop_fixture "$FX_PID"

# A running goroutine: its stack comes from its thread's registers (the
# thread is stopped for the microseconds it takes to read them).
start_fixture "$FIX/go-leaks-stripped" -recv 2 -spin 1 || exit 1
bad=""
for i in 1 2 3; do
	"$PILEUP" --json "$FX_PID" >"$TMP/spin.json"
	r=$(jq -r '[.threads[] | {tid, f: [.frames[].function]}] as $t |
		.goroutines[] | select([.frames[].function] | index("main.spinLoop")) |
		"\(.status) \(.error // "complete") \(.frames[-1].function) \(.wait_site.function | startswith("main.spin"))" +
		" \([$t[] | select(.tid == .tid) ] | length > 0)" +
		" \(.thread as $x | [$t[] | select(.tid == $x and (.f | index("main.spinLoop")))] | length)"' "$TMP/spin.json")
	[ "$r" = "running complete runtime.goexit true true 1" ] || bad+="run $i: $r; "
done
expect_eq "running goroutine: from its thread's registers, complete, on that thread's stack too" "" "$bad"
check "running goroutine: target not left stopped" not_stopped "$FX_PID"
stop_fixture "$FX_PID"

# The creator's goroutine id, where the runtime records it (ancestors,
# GODEBUG=tracebackancestors): as the traceback's "originating from".
GODEBUG=tracebackancestors=10 start_fixture "$FIX/go-leaks-stripped" -recv 3 -first-error 2 -http 2 -dump "$TMP/anc.dump" || exit 1
dump_oracle "$FX_PID" "$FX_OUT" "$TMP/anc.dump"
"$PILEUP" --json "$FX_PID" >"$TMP/anc.json"
want=$(awk '/^goroutine [0-9]+ \[/ { id = $2; first = 1; next }
	/^\[originating from goroutine [0-9]+\]:/ && first { sub(/.*goroutine /, ""); sub(/\].*/, ""); print id, $0; first = 0 }' \
	"$TMP/anc.dump" | sort -n)
got=$(jq -r '.goroutines[] | select(.created_by.goroutine > 0 and (.system | not)) | "\(.id) \(.created_by.goroutine)"' "$TMP/anc.json" | sort -n)
dumper=$(awk '/^goroutine /{print $2; exit}' "$TMP/anc.dump")
check "creator goroutine ids: the oracle has some" test "$(wc -l <<<"$want")" -gt 5
expect_eq "creator goroutine ids: as the traceback's ancestors" "$(grep -v "^$dumper " <<<"$want")" "$(grep -v "^$dumper " <<<"$got")"
stop_fixture "$FX_PID"

# An unknown Go version without DWARF: refused by name, never guessed.
cp "$FIX/go-leaks-stripped" "$TMP/go-unknown"
ver=$(/usr/lib/go-1.19/bin/go version | awk '{print $3}')
fake=go1.99.${ver##*.}
fake=${fake:0:${#ver}}
while [ ${#fake} -lt ${#ver} ]; do fake+=0; done
for off in $(grep -abo -- "$ver" "$TMP/go-unknown" | cut -d: -f1); do
	printf '%s' "$fake" | dd of="$TMP/go-unknown" bs=1 seek="$off" conv=notrunc status=none
done
start_fixture "$TMP/go-unknown" -recv 2 || exit 1
"$PILEUP" --json "$FX_PID" >"$TMP/u.json" 2>"$TMP/u.err"
expect_eq "unknown version: exit 1 (partial)" 1 $?
check "unknown version: warned on stderr" grep -q "built with $fake" "$TMP/u.err"
expect_eq "unknown version: the JSON warning names the version" 1 \
	"$(jq --arg v "$fake" '[.target.warnings[]? , .warnings[]? | select(contains($v))] | length' "$TMP/u.json")"
expect_eq "unknown version: reported, no goroutine listed" "$fake 0" \
	"$(jq -r '"\(.target.go_version) \(.target.goroutines)"' "$TMP/u.json")"
"$PILEUP" "$FX_PID" >"$TMP/u.txt" 2>&1
check "unknown version: the message names it and what is covered" \
	grep -q "built with $fake, whose runtime layout pileup does not know.*go1.19" "$TMP/u.txt"
expect_eq "unknown version: threads still listed and named" "$(ls /proc/"$FX_PID"/task | wc -l) 0" \
	"$(jq -r '"\(.threads | length) \([.threads[].frames[] | select(.function == null)] | length)"' "$TMP/u.json")"
stop_fixture "$FX_PID"

finish
