#!/bin/bash
# Core files: the same groups as the live process, made three ways (the
# kernel, gdb's gcore, pileup --gcore in both modes), with gdb as oracle
# for every thread's frames; compressed cores; the crashed thread; -e,
# --core, --sysroot and --coredump; --gcore leaves the process undisturbed.
. "$(dirname "$0")/lib.sh"

# Everything in a core's group that a live snapshot also has (the crash
# mark aside, and the objects waited on: a core knows no fd's epoll set,
# and a poll restarted after a ptrace stop has lost its arguments; the
# waits are t_waitfor.sh's), in an order that does not depend on ties.
# (How a frame was walked, fp_guessed and engine, is the capture's, not the stack's.)
groups_of() {
	jq -S '[.groups[] | del(.crashed, .objects) | walk(if type == "object" then del(.fp_guessed, .engine) else . end)] | sort_by(.members)' "$1"
}

# gdb_core_frames EXE CORE: "tid pc pc..." per thread, as gdb_frames.
gdb_core_frames() {
	timeout 300 gdb -nx -batch -ex 'set pagination off' -ex 'set backtrace past-main on' -ex 'set backtrace past-entry on' \
		-ex 'thread apply all bt -frame-info location-and-address' "$1" "$2" 2>/dev/null |
		awk '/^Thread [0-9]+ \(.*LWP [0-9]+/ { if (tid) print tid, pcs; match($0, /LWP [0-9]+/); tid = substr($0, RSTART + 4, RLENGTH - 4); pcs = "" }
		     /^#[0-9]+ +0x[0-9a-f]+ in / { v = $2; sub(/^0x0*/, "0x", v); pcs = pcs " " v }
		     END { if (tid) print tid, pcs }' | sed 's/  */ /g' | sort -n
}

# expect_same DESC FILE1 FILE2: like expect_eq, showing a diff of long texts.
expect_same() {
	if cmp -s "$2" "$3"; then
		PASS=$((PASS + 1))
		echo "ok - $1"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $1"
		diff "$2" "$3" | head -n 20 | sed 's/^/#   /'
	fi
}

# return_addresses: each line of gdb_core_frames or json_frames with the
# pcs repeated by inline (and restored tail-call) frames folded into one.
return_addresses() {
	awk '{ printf "%s", $1; prev = ""; for (i = 2; i <= NF; i++) if ($i != prev) { printf " %s", $i; prev = $i } print "" }'
}

# The fields of a report that differ between two reads of one core.
stable() {
	jq -S 'del(.capture.analyze_us, .capture.elapsed_us, .target.core)' "$1"
}

# start_dumping DIR PROG ARGS...: a fixture that may dump core into DIR.
start_dumping() {
	local dir=$1 prog=$2
	shift 2
	mkdir -p "$dir"
	start_fixture bash -c 'cd "$1" && ulimit -c unlimited && shift && exec "$@"' sh "$dir" "$prog" "$@"
}

# wait_core DIR PID: kills PID with SIGABRT, waits for it to die and its
# core to be complete.
wait_core() {
	local i
	{
		kill -ABRT "$2"
		for ((i = 0; i < 200; i++)); do
			kill -0 "$2" 2>/dev/null || break
			sleep 0.05
		done
		wait "$2"
	} 2>/dev/null # no "Aborted (core dumped)" from bash
	[ -s "$1/core" ]
}

# --- one process, four cores --------------------------------------------------
run_four() {
	local build=$1
	shift
	local d=$TMP/$build
	start_dumping "$d" "$FIX/$build" "$@" || return 1
	local pid=$FX_PID
	"$PILEUP" --json=1 "$pid" >"$d/live.json"
	fixture_stats "$pid" "$FX_OUT" >/dev/null # resets the counters' baseline
	"$PILEUP" --gcore "$pid" -o "$d/pileup.core" 2>"$d/gcore.err"
	check "$build: pileup --gcore wrote a core" test -s "$d/pileup.core"
	local stats
	stats=$(fixture_stats "$pid" "$FX_OUT")
	expect_eq "$build: pileup --gcore interrupted no blocked call" "eintr=0 returns=0" \
		"$(echo "$stats" | grep -o 'eintr=[0-9]* returns=[0-9]*')"
	check "$build: target not left stopped after --gcore" not_stopped "$pid"
	expect_eq "$build: the core is private (mode 600)" 600 "$(stat -c %a "$d/pileup.core")"
	timeout 120 gdb -nx -batch -p "$pid" -ex "gcore $d/gdb.core" >/dev/null 2>&1
	"$PILEUP" --gcore "$pid" --stop-all -o "$d/stopall.core" 2>/dev/null
	check "$build: target not left stopped after --gcore --stop-all" not_stopped "$pid"
	sleep 0.5 # calls interrupted by the stops are back in the kernel
	check "$build: the kernel dumped core" wait_core "$d" "$pid"
	mv "$d/core" "$d/kernel.core" 2>/dev/null

	groups_of "$d/live.json" >"$d/live.groups"
	for c in kernel gdb pileup stopall; do
		"$PILEUP" --json=1 "$d/$c.core" >"$d/$c.json" 2>"$d/$c.err"
		local rc=$?
		check "$build $c core: read (exit $rc)" test "$rc" -le 1
		groups_of "$d/$c.json" >"$d/$c.groups"
	expect_same "$build $c core: same groups as the live snapshot" "$d/live.groups" "$d/$c.groups"
		gdb_core_frames "$FIX/$build" "$d/$c.core" >"$d/$c.gdb"
		check "$build $c core: gdb saw every thread" test "$(wc -l <"$d/$c.gdb")" -eq "$(jq '.threads | length' "$d/$c.json")"
		json_frames "$d/$c.json" >"$d/$c.frames"
		expect_same "$build $c core: every thread's frames equal gdb's" "$d/$c.gdb" "$d/$c.frames"
	done
	expect_eq "$build: the kernel core says the process died of SIGABRT" "6 SIGABRT" \
		"$(jq -r '.target.crash | "\(.signal) \(.signal_name)"' "$d/kernel.json")"
	expect_eq "$build: cores made by gdb and pileup report no crash" "null null null" \
		"$(jq -c .target.crash "$d/gdb.json" "$d/pileup.json" "$d/stopall.json" | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "$build: pileup's core keeps the thread names" "$(jq -c '[.threads[] | .name]' "$d/live.json")" \
		"$(jq -c '[.threads[] | .name]' "$d/pileup.json")"
	check "$build: eu-stack reads pileup's core" eu-stack --core "$d/pileup.core" -e "$FIX/$build" >/dev/null 2>&1
}

PARKED=${ALL_CLASSES/--spin 1/}
run_four waits $PARKED
run_four waits-O0 --mutex 2 --condvar 2 --sleep 1 --read 1 --epoll 1 --sigwait 1 --semop 1 --join 1
run_four waits-cpp --mutex 2 --condvar 3 --join 2 --sleep 2

# --- compressed cores ---------------------------------------------------------
d=$TMP/waits
stable "$d/kernel.json" >"$d/plain.stable"
for z in "zstd -q -c" "xz -c -T1" "lz4 -q -c" "gzip -c"; do
	ext=${z%% *}
	$z "$d/kernel.core" >"$d/kernel.core.$ext"
	touch -r "$d/kernel.core" "$d/kernel.core.$ext"
	"$PILEUP" --json=1 "$d/kernel.core.$ext" >"$d/z.json" 2>"$d/z.err"
	stable "$d/z.json" >"$d/z.stable"
	expect_same "$ext-compressed core: exactly the same JSON" "$d/plain.stable" "$d/z.stable"
done
mkdir -p "$TMP/tmpdir"
TMPDIR=$TMP/tmpdir "$PILEUP" --json=1 "$d/kernel.core.zstd" >/dev/null 2>&1
expect_eq "decompression leaves nothing in TMPDIR" "" "$(ls -A "$TMP/tmpdir")"
# Killed while decompressing: the temporary file has no name to leave.
head -c 60000000 /dev/urandom >"$TMP/big"
zstd -q -1 -c "$TMP/big" >"$TMP/big.zst"
rm -f "$TMP/big"
TMPDIR=$TMP/tmpdir "$PILEUP" "$TMP/big.zst" >/dev/null 2>&1 &
killer=$!
sleep 0.3
kill -KILL "$killer" 2>/dev/null
wait "$killer" 2>/dev/null
expect_eq "killed while decompressing: nothing left in TMPDIR" "" "$(ls -A "$TMP/tmpdir")"
rm -f "$TMP/big.zst"

# --- how a core is named --------------------------------------------------------
"$PILEUP" --json=1 --core "$d/kernel.core" -e "$FIX/waits" | stable /dev/stdin >"$d/b"
expect_same "--core CORE -e EXE: the same report" "$d/plain.stable" "$d/b"
"$PILEUP" --json=1 "$d/kernel.core" "$FIX/waits" | stable /dev/stdin >"$d/b"
expect_same "CORE EXE: the same report" "$d/plain.stable" "$d/b"
"$PILEUP" --json=1 "$FIX/waits" "$d/kernel.core" | stable /dev/stdin >"$d/b"
expect_same "EXE CORE (gdb's order): the same report" "$d/plain.stable" "$d/b"
"$PILEUP" --text "$d/kernel.core" >"$d/k.txt" 2>&1
check "text report of a core names the core and the program" grep -q "^pileup .*: core .*kernel.core (pid [0-9]*, $FIX/waits), [0-9]* threads" "$d/k.txt"

# --- the crashed thread ---------------------------------------------------------
crash_core() {
	local mode=$1 dir=$TMP/crash-$mode
	mkdir -p "$dir"
	{ (cd "$dir" && ulimit -c unlimited && exec "$FIX/crash" "$mode" --core --bystanders 3 >"$dir/out" 2>&1); } 2>/dev/null
	[ -s "$dir/core" ]
}
for mode in segv abort; do
	dir=$TMP/crash-$mode
	check "crash $mode: the kernel dumped core" crash_core "$mode"
	fn=$([ $mode = segv ] && echo crash_segv || echo crash_abort)
	crasher=$(awk -v fn=$fn '$1 == "site" && $3 == fn { print $5 }' "$dir/out")
	"$PILEUP" --text "$dir/core" >"$dir/r.txt" 2>&1
	"$PILEUP" --json=1 "$dir/core" >"$dir/r.json" 2>/dev/null
	if [ $mode = segv ]; then
		expect_eq "crash segv: the first line names the thread, the signal and the fault address" \
			"CRASHED: thread $crasher got SIGSEGV (signal 11) at address 0x10" \
			"$(head -n 1 "$dir/r.txt" | sed 's/.*; CRASHED/CRASHED/')"
		expect_eq "crash segv: JSON crash" "{\"address\":\"0x10\",\"signal\":11,\"signal_name\":\"SIGSEGV\",\"tid\":$crasher}" \
			"$(jq -S -c .target.crash "$dir/r.json")"
	else
		expect_eq "crash abort: the first line names the thread and the signal" \
			"CRASHED: thread $crasher got SIGABRT (signal 6)" \
			"$(head -n 1 "$dir/r.txt" | sed 's/.*; CRASHED/CRASHED/')"
		expect_eq "crash abort: JSON crash" "{\"address\":\"0x0\",\"signal\":6,\"signal_name\":\"SIGABRT\",\"tid\":$crasher}" \
			"$(jq -S -c .target.crash "$dir/r.json")"
	fi
	expect_eq "crash $mode: the crashed thread's group is marked, at $fn" "[$crasher] $fn" \
		"$(jq -r '.groups[] | select(.crashed) | "\(.members | tostring) \(.wait_site.function)"' "$dir/r.json")"
	check "crash $mode: the text report marks the group" grep -q "CRASHED HERE" "$dir/r.txt"
	expect_eq "crash $mode: the bystanders wait on their condvar" "3 condvar crash_bystander" \
		"$(jq -r '.groups[] | select(.wait_site.function == "crash_bystander") | "\(.count) \(.wait) \(.wait_site.function)"' "$dir/r.json")"
	gdb_core_frames "$FIX/crash" "$dir/core" | return_addresses >"$dir/gdb"
	json_frames "$dir/r.json" | return_addresses >"$dir/frames"
	expect_same "crash $mode: every thread's return addresses equal gdb's" "$dir/gdb" "$dir/frames"
done

# --- --sysroot: a core from "another machine" -----------------------------------
# The program ran from a directory that is gone; its copy is under a sysroot.
prog=$TMP/opt/app/waits-copy
mkdir -p "$(dirname "$prog")"
cp "$FIX/waits" "$prog"
start_dumping "$TMP/sr" "$prog" --mutex 2 --sleep 1 || exit 1
pid=$FX_PID
check "sysroot: the kernel dumped core" wait_core "$TMP/sr" "$pid"
mkdir -p "$TMP/sysroot$(dirname "$prog")"
mv "$prog" "$TMP/sysroot$prog"
"$PILEUP" --json=1 "$TMP/sr/core" >"$TMP/sr/no.json" 2>"$TMP/sr/no.err"
expect_eq "sysroot: without it, the missing program gives exit 1" 1 $?
check "sysroot: ... and a warning naming it" grep -q "the program $prog is not found" "$TMP/sr/no.err"
"$PILEUP" --json=1 --sysroot "$TMP/sysroot" "$TMP/sr/core" >"$TMP/sr/yes.json" 2>"$TMP/sr/yes.err"
expect_eq "sysroot: with it, exit 0 and no warning" "0 " "$? $(cat "$TMP/sr/yes.err")"
expect_eq "sysroot: the program's frames are symbolized from the sysroot" "mutex wait_mutex" \
	"$("$PILEUP" --json=1 --sysroot "$TMP/sysroot/" "$TMP/sr/core" 2>/dev/null | jq -r '.groups[0] | "\(.wait) \(.wait_site.function)"')"

# --- --debuginfo-path: a stripped program, its debug info elsewhere -------------
start_dumping "$TMP/strip" "$FIX/waits-stripped" --mutex 2 --sleep 1 || exit 1
check "stripped program: the kernel dumped core" wait_core "$TMP/strip" "$FX_PID"
bid=$(readelf -n "$FIX/waits" | awk '/Build ID/ { print $3 }')
mkdir -p "$TMP/dbg/.build-id/${bid:0:2}"
objcopy --only-keep-debug "$FIX/waits" "$TMP/dbg/.build-id/${bid:0:2}/${bid:2}.debug"
site='[.groups[] | select(.wait == "mutex") | .wait_site.function] | .[0]'
expect_eq "stripped program: without its debug info, the mutex wait site has no name" null \
	"$("$PILEUP" --json=1 "$TMP/strip/core" 2>/dev/null | jq -r "$site")"
expect_eq "stripped program: --debuginfo-path DIR names it from DIR/.build-id" wait_mutex \
	"$("$PILEUP" --json=1 --debuginfo-path "$TMP/dbg" "$TMP/strip/core" 2>/dev/null | jq -r "$site")"

# --- --coredump -----------------------------------------------------------------
mkdir -p "$TMP/bin"
cat >"$TMP/bin/coredumpctl" <<'EOF'
#!/bin/bash
# A stand-in for systemd's coredumpctl: knows one core, of $FAKE_PID.
out= match=
while [ $# -gt 0 ]; do
	case $1 in
	--output) out=$2; shift ;;
	--output=*) out=${1#--output=} ;;
	-*|dump) ;;
	*) match=$1 ;;
	esac
	shift
done
echo "$match" >"$FAKE_LOG"
if [ -z "$match" ] || [ "$match" = "$FAKE_PID" ]; then
	cat "$FAKE_CORE" >"$out"
	exit 0
fi
echo "No coredumps found." >&2
exit 1
EOF
chmod +x "$TMP/bin/coredumpctl"
kpid=$(jq .target.pid "$d/kernel.json")
export FAKE_CORE=$d/kernel.core FAKE_PID=$kpid FAKE_LOG=$TMP/bin/log
PATH=$TMP/bin:$PATH "$PILEUP" --json=1 --coredump "$kpid" >"$TMP/cd.json" 2>/dev/null
expect_eq "--coredump PID: the core coredumpctl dumps, for that PID" "$(jq -S .groups "$d/kernel.json") $kpid" \
	"$(jq -S .groups "$TMP/cd.json") $(cat "$FAKE_LOG")"
PATH=$TMP/bin:$PATH "$PILEUP" --json=1 --coredump >"$TMP/cd.json" 2>/dev/null
expect_eq "--coredump alone: the newest core" "$(jq -S .groups "$d/kernel.json") " "$(jq -S .groups "$TMP/cd.json") $(cat "$FAKE_LOG")"
PATH=$TMP/bin:$PATH "$PILEUP" --json=1 --coredump=latest >/dev/null 2>&1
expect_eq "--coredump=latest works" "0 " "$? $(cat "$FAKE_LOG")"
PATH=$TMP/bin:$PATH "$PILEUP" --coredump 999999 >/dev/null 2>"$TMP/cd.err"
expect_eq "--coredump of a process with no core: exit 2" 2 $?
check "... and one line with coredumpctl's reason" grep -q "^pileup: coredumpctl has no core of process 999999 (it says: No coredumps found.)" "$TMP/cd.err"
PATH=/nonexistent "$PILEUP" --coredump 1234 >/dev/null 2>"$TMP/cd.err"
expect_eq "--coredump without coredumpctl: exit 2" 2 $?
check "... and says coredumpctl is missing and where cores go here" \
	grep -q "^pileup: --coredump needs coredumpctl (systemd-coredump), which is not installed; cores here are written as 'core'" "$TMP/cd.err"
expect_eq "... in one line" 1 "$(wc -l <"$TMP/cd.err")"
"$PILEUP" --coredump abc >/dev/null 2>&1
expect_eq "--coredump abc: usage error" 2 $?

# --- --gcore errors ---------------------------------------------------------------
"$PILEUP" --gcore 1 >/dev/null 2>"$TMP/g.err"
expect_eq "--gcore without -o: exit 2" 2 $?
check "... says -o is needed" grep -q "needs -o FILE" "$TMP/g.err"
"$PILEUP" --gcore 999999 -o "$TMP/x.core" >/dev/null 2>&1
expect_eq "--gcore of no process: exit 2, no file" "2 no" "$? $([ -e "$TMP/x.core" ] && echo yes || echo no)"
start_fixture "$FIX/waits" --sleep 1 || exit 1
"$PILEUP" --gcore "$FX_PID" -o "$TMP/nodir/x.core" >/dev/null 2>"$TMP/g.err"
expect_eq "--gcore into a missing directory: exit 2" 2 $?
check "... with one line" test "$(wc -l <"$TMP/g.err")" -eq 1
"$PILEUP" --gcore "$FX_PID" -o "$TMP/ok.core" 2>"$TMP/g.err"
check "--gcore says what it wrote and what it cost" grep -Eq "^pileup: wrote a core of process $FX_PID to .*ok.core: 3 threads, [0-9.]+ MB of memory in [0-9]+ segments, in [0-9.]+ ms; (no thread was stopped|1 running thread was stopped briefly)" "$TMP/g.err"
check "--gcore leaves no temporary file" test "$(ls "$TMP" | grep -c pileup-)" -eq 0
stop_fixture "$FX_PID"

# --no-stop: a thread running in user space is written without registers.
start_fixture "$FIX/waits" --spin 1 --sleep 1 || exit 1
"$PILEUP" --gcore "$FX_PID" --no-stop -o "$TMP/nostop.core" 2>"$TMP/g.err"
expect_eq "--gcore --no-stop with a running thread: exit 1 (a thread has no registers)" 1 $?
"$PILEUP" --json=1 "$TMP/nostop.core" >"$TMP/nostop.json" 2>/dev/null
expect_eq "... reading it back: exit 1" 1 $?
expect_eq "... the spinning thread says why it has no stack" "running in user space; not stopped (--no-stop)" \
	"$(jq -r '.threads[] | select(.name == "spin-0") | .error' "$TMP/nostop.json")"
# (the heartbeat wakes every millisecond: it too may be caught running)
expect_eq "... the other threads are complete" 0 \
	"$(jq '[.threads[] | select(.name != "spin-0" and .name != "heartbeat" and .error)] | length' "$TMP/nostop.json")"
expect_eq "... and there are such threads (main, the sleeper)" 2 \
	"$(jq '[.threads[] | select(.name != "spin-0" and .name != "heartbeat")] | length' "$TMP/nostop.json")"
stop_fixture "$FX_PID"
finish
