#!/bin/bash
# Go programs, live: every goroutine of fixtures/go/leaks, built by every
# toolchain here (go1.19 ... go1.27; plain, stripped, stripped PIE), against
# the program's own runtime.Stack dump: the same ids, statuses and wait
# reasons, the same functions and lines, the same creators; group counts
# equal what the fixture was asked to create; wait sites, blocking calls,
# locked goroutines and their threads; Go threads complete; compiler
# wrappers flagged and hidden in text as Go hides them; the cgo fixture's (plain, stripped, stripped PIE)
# threads across both seams between Go and C; an unknown Go version is
# refused by name, threads still reported.  (t_go_layout.sh checks the
# per-release tables against DWARF.)
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

VERS=$(cd "$FIX/go" 2>/dev/null && ls -d */ | tr -d / | sort -V)
check "fixtures built with several toolchains (make -C fixtures)" test "$(wc -w <<<"$VERS")" -ge 6
for ver in $VERS; do
for kind in leaks leaks-stripped leaks-pie; do
	build=go$ver/$kind
	bin=$FIX/go/$ver/$kind
	gover=$(awk '{print $3}' "$FIX/go/$ver/version")
	[ -x "$bin" ] || { check "$build: fixture built (make -C fixtures)" false; continue; }
	mkdir -p "$TMP/go$ver"
	start_fixture "$bin" "${ARGS[@]}" -dump "$TMP/$build.dump" || exit 1
	check "$build: oracle dump written" dump_oracle "$FX_PID" "$FX_OUT" "$TMP/$build.dump"
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/$build.json"
	expect_eq "$build: exit 0 (complete, no warning)" 0 $?
	J=$TMP/$build.json
	expect_eq "$build: Go version and module" "$gover example.com/pileup/leaks" \
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

	# Go 1.24 moved the mutex into internal/sync; sync.(*Mutex).Lock is
	# still the frame the program called.
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
		grep -Eq "^pileup .*, [0-9]+ goroutines, $gover" "$TMP/$build.txt"
	check "$build text: goroutine group with wait site, blocking call, created by" \
		grep -A6 "chan send" "$TMP/$build.txt" | grep -q "created by: *main.broadcastMsg at main.go:"
	check "$build text: goroutine id ranges" grep -Eq "^ +goroutines: +[0-9]+" "$TMP/$build.txt"
	# Compiler wrappers (the closures a go statement makes from go1.21 on,
	# method wrappers): flagged from the funcID, hidden in text as Go's
	# traceback hides them, shown with --wrappers.
	wr=$(jq -r '[.goroutines[].frames[] | select(.wrapper) | .function] | unique | join(" ")' "$J")
	if [ "${ver%%.*}" = 1 ] && [ "${ver#1.}" -ge 21 ]; then
		check "$build: go statement wrappers are flagged" test -n "$wr"
	fi
	if [ -n "$wr" ]; then
		hidden=""
		for w in $wr; do grep -Fq " $w+" "$TMP/$build.txt" && hidden+="$w "; done
		expect_eq "$build text: wrappers hidden" "" "$hidden"
		check "$build text: a line says they were hidden" grep -q "compiler-generated wrapper frame.* hidden" "$TMP/$build.txt"
		"$PILEUP" --wrappers "$FX_PID" >"$TMP/$build.w.txt"
		shown=0
		for w in $wr; do grep -Fq " $w+" "$TMP/$build.w.txt" && shown=1; done
		expect_eq "$build text --wrappers: wrappers shown" 1 "$shown"
	fi
	check "$build: target not left stopped" not_stopped "$FX_PID"
	cp "$J" "$TMP/$build.keep.json"
	stop_fixture "$FX_PID"
done

# Plain and stripped builds give the same stacks (ids aside; the
# runtime's own goroutines may move between two runs).
strip_ids() { pileup_go_norm "$1" 1 | cut -f2- | sort; }
if [ -e "$TMP/go$ver/leaks.keep.json" ] && [ -e "$TMP/go$ver/leaks-stripped.keep.json" ]; then
	expect_eq "go$ver: stripped (pclntab only) and plain (DWARF) agree on every stack" \
		"" "$(diff <(strip_ids "$TMP/go$ver/leaks.keep.json") <(strip_ids "$TMP/go$ver/leaks-stripped.keep.json"))"
fi

# The cgo fixture: threads blocked in C under a cgo call end at
# runtime.asmcgocall (as Go's traceback ends there); callbacks from a C
# thread run on a goroutine that ends at runtime.cgocallback/goexit.
for kind in cgo cgo-stripped cgo-pie; do
	bin=$FIX/go/$ver/$kind
	[ -x "$bin" ] || continue
	build=go$ver/$kind
	start_fixture "$bin" -recv 2 -send 2 -cread 2 -ccond 2 -callback 2 -dump "$TMP/$build.dump" || exit 1
	check "$build: oracle dump written" dump_oracle "$FX_PID" "$FX_OUT" "$TMP/$build.dump"
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/$build.json"
	expect_eq "$build: exit 0 (complete, no warning)" 0 $?
	J=$TMP/$build.json
	go_dump_norm "$TMP/$build.dump" 1 | sort -n >"$TMP/go.txt"
	dumper=$(awk '/^goroutine /{print $2; exit}' "$TMP/$build.dump")
	pileup_go_norm "$J" 1 | awk -F'\t' -v d="$dumper" '$1 != d' | sort -n >"$TMP/pl.txt"
	expect_eq "$build: every goroutine matches runtime.Stack" "" "$(diff "$TMP/go.txt" "$TMP/pl.txt")"
	go_groups_match "$build: group counts are what the fixture created" "$J" "$FX_OUT"
	expect_eq "$build: every thread complete" "" "$(jq -r '.threads[] | select(.error) | "\(.tid): \(.error)"' "$J")"
	go_cgo_seams "$build: threads across the Go/C seams end as Go's traceback ends them" "$J" "$FX_OUT" "$kind"
	expect_eq "$build: callback goroutines walk through runtime.cgocallback" "runtime.cgocallback runtime.goexit" \
		"$(jq -r '[.goroutines[] | select([.frames[].function] | index("main.goCallback")) | [.frames[-2].function, .frames[-1].function] | join(" ")] | unique | join(",")' "$J")"
	check "$build: target not left stopped" not_stopped "$FX_PID"
	stop_fixture "$FX_PID"
done
done

# A running goroutine: its stack comes from its thread's registers (the
# thread is stopped for the microseconds it takes to read them).
start_fixture "$FIX/go-leaks-stripped" -recv 2 -spin 1 || exit 1
bad=""
for i in 1 2 3; do
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/spin.json"
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
"$PILEUP" --json=1 "$FX_PID" >"$TMP/anc.json"
want=$(awk '/^goroutine [0-9]+ \[/ { id = $2; first = 1; next }
	/^\[originating from goroutine [0-9]+\]:/ && first { sub(/.*goroutine /, ""); sub(/\].*/, ""); print id, $0; first = 0 }' \
	"$TMP/anc.dump" | sort -n)
got=$(jq -r '.goroutines[] | select(.created_by.goroutine > 0 and (.system | not)) | "\(.id) \(.created_by.goroutine)"' "$TMP/anc.json" | sort -n)
dumper=$(awk '/^goroutine /{print $2; exit}' "$TMP/anc.dump")
check "creator goroutine ids: the oracle has some" test "$(wc -l <<<"$want")" -gt 5
expect_eq "creator goroutine ids: as the traceback's ancestors" "$(grep -v "^$dumper " <<<"$want")" "$(grep -v "^$dumper " <<<"$got")"
stop_fixture "$FX_PID"

# An unknown Go version without DWARF: refused by name, never guessed;
# the threads are still unwound and named from the pclntab (inlined frames
# included: with go1.27's moduledata, in a PIE the C linker made, a wrong
# guess of go:func.* named them null; with go1.21's, two guesses left none).
# A go1.19 build, and go1.21 and go1.27 cgo PIEs.
for u in 1.19/leaks-stripped 1.21/cgo-pie 1.27/cgo-pie; do
	src=$FIX/go/$u
	[ -x "$src" ] || { check "unknown version: fixture go$u built (make -C fixtures)" false; continue; }
	cp "$src" "$TMP/go-unknown"
	ver=$(awk '{print $3}' "$FIX/go/${u%%/*}/version")
	fake=go1.99.${ver##*.}
	fake=${fake:0:${#ver}}
	while [ ${#fake} -lt ${#ver} ]; do fake+=0; done
	for off in $(grep -abo -- "$ver" "$TMP/go-unknown" | cut -d: -f1); do
		printf '%s' "$fake" | dd of="$TMP/go-unknown" bs=1 seek="$off" conv=notrunc status=none
	done
	start_fixture "$TMP/go-unknown" -recv 2 || exit 1
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/u.json" 2>"$TMP/u.err"
	expect_eq "unknown version ($u as $fake): exit 1 (partial)" 1 $?
	check "unknown version ($u): warned on stderr" grep -q "built with $fake" "$TMP/u.err"
	expect_eq "unknown version ($u): the JSON warning names the version" 1 \
		"$(jq --arg v "$fake" '[.target.warnings[]? , .warnings[]? | select(contains($v))] | length' "$TMP/u.json")"
	expect_eq "unknown version ($u): reported, no goroutine listed" "$fake 0" \
		"$(jq -r '"\(.target.go_version) \(.target.goroutines)"' "$TMP/u.json")"
	"$PILEUP" "$FX_PID" >"$TMP/u.txt" 2>&1
	check "unknown version ($u): the message names it and what is covered" \
		grep -q "built with $fake, whose runtime layout pileup does not know.*go1.19" "$TMP/u.txt"
	expect_eq "unknown version ($u): threads still listed and named" "$(ls /proc/"$FX_PID"/task | wc -l) 0" \
		"$(jq -r '"\(.threads | length) \([.threads[].frames[] | select(.function == null)] | length)"' "$TMP/u.json")"
	check "unknown version ($u): threads have inlined frames (from the pclntab's inline trees)" \
		test "$(jq '[.threads[].frames[] | select(.inlined)] | length' "$TMP/u.json")" -gt 0
	stop_fixture "$FX_PID"
done

finish
