#!/bin/bash
# The cached-row unwinder (inspector/cfirows.c, fast_walk in unwind.c)
# against libdwfl's own walk (PILEUP_SLOW_UNWIND=1): on the same cores -
# every fixture build (C, -O0, C++, Rust, stripped, the service, Go) and
# crashes through a signal handler - every thread's frames (pc, function,
# file, line, activation) and the whole JSON report are the same.  Cores
# keep both runs looking at the same bytes; pileup --gcore writes them
# from the running fixtures.
. "$(dirname "$0")/lib.sh"

FRAMES='[.threads[] | {tid, error, frames: [.frames[] | {pc, function, file, line, inlined, tail_call}]}] | sort_by(.tid)'
STABLE='del(.capture, .analysis, .target.taken_at) | .threads |= map(del(.capture))'
compare() { # compare NAME CORE
	local name=$1 core=$2
	PILEUP_SLOW_UNWIND=1 "$PILEUP" --json=1 "$core" >"$TMP/$name.slow" 2>/dev/null
	PILEUP_TIMING=1 "$PILEUP" --json=1 "$core" >"$TMP/$name.fast" 2>"$TMP/$name.timing"
	local n
	n=$(jq '[.threads[].frames | length] | add' "$TMP/$name.fast" 2>/dev/null)
	check "$name: frames were found ($n)" test "${n:-0}" -gt 0
	expect_eq "$name: every thread's frames are libdwfl's" "" \
		"$(diff <(jq -S "$FRAMES" "$TMP/$name.slow") <(jq -S "$FRAMES" "$TMP/$name.fast") | head -20)"
	expect_eq "$name: the same report" "" \
		"$(diff <(jq -S "$STABLE" "$TMP/$name.slow") <(jq -S "$STABLE" "$TMP/$name.fast") | head -20)"
}

gcore_of() { # gcore_of NAME FIXTURE ARGS...: a core of the running fixture
	local name=$1
	shift
	start_fixture "$@" || return 1
	"$PILEUP" --gcore "$FX_PID" -o "$TMP/$name.core" 2>/dev/null
	stop_fixture "$FX_PID"
	check "$name: pileup --gcore wrote a core" test -s "$TMP/$name.core"
}

fast_walks() { # fast_walks NAME: "FAST TOTAL" from the timing lines
	sed -n 's/^pileup: unwind: \([0-9]*\) of \([0-9]*\) walks from cached CFI rows$/\1 \2/p' "$TMP/$1.timing"
}

ALL=(--mutex 2 --rwlock 2 --condvar 2 --semaphore 2 --futex 1 --join 1 --read 1 --recv 1 --write 1 --poll 1
	--epoll 1 --accept 1 --connect 1 --sleep 2 --sigwait 1 --pause 1)
for build in waits waits-O0 waits-stripped; do
	gcore_of "$build" "$FIX/$build" "${ALL[@]}" && compare "$build" "$TMP/$build.core"
done
read -r fw tw <<<"$(fast_walks waits)"
check "waits: the cached rows walked most threads ($fw of $tw)" test "${fw:-0}" -gt 0 -a $((2 * ${fw:-0})) -gt "${tw:-0}"
gcore_of waits-cpp "$FIX/waits-cpp" --mutex 2 --condvar 2 --sleep 1 && compare waits-cpp "$TMP/waits-cpp.core"
gcore_of waits-rust "$FIX/waits-rust" --mutex 2 --condvar 2 --join 1 --sleep 1 --read 1 &&
	compare waits-rust "$TMP/waits-rust.core"
gcore_of service "$FIX/service" && compare service "$TMP/service.core"
gcore_of go-leaks "$FIX/go-leaks" -recv 3 && compare go-leaks "$TMP/go-leaks.core"

# Kernel cores of crashes: the crashing thread's stack runs through the
# kernel's signal frame (SIGSEGV) or abort().
for mode in segv abort; do
	dir=$TMP/crash-$mode
	mkdir -p "$dir"
	{ (cd "$dir" && ulimit -c unlimited && exec "$FIX/crash" "$mode" --core --bystanders 2 >"$dir/out" 2>&1); } 2>/dev/null
	check "crash $mode: the kernel dumped core" test -s "$dir/core"
	[ -s "$dir/core" ] && compare "crash-$mode" "$dir/core"
done
finish
