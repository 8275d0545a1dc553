#!/bin/bash
# Bad cores never crash pileup: truncated cores (cut by hand and by
# 'ulimit -c'), a missing, different or replaced program, missing
# libraries, files that are not cores, other architectures, and every
# input the fuzzer kept.  Each gives one clear line and, where anything
# can be shown, a partial report with exit 1; otherwise exit 2.
. "$(dirname "$0")/lib.sh"

# start_dumping DIR LIMIT PROG ARGS...: a fixture that dumps core into DIR
# with 'ulimit -c LIMIT'.
start_dumping() {
	local dir=$1 limit=$2 prog=$3
	shift 3
	mkdir -p "$dir"
	start_fixture bash -c 'cd "$1" && ulimit -c "$2" && shift 2 && exec "$@"' sh "$dir" "$limit" "$prog" "$@"
}

# dump DIR: kills the fixture with SIGABRT and waits for its core.
dump() {
	local pid=$FX_PID i
	{
		kill -ABRT "$pid"
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		wait "$pid"
	} 2>/dev/null # no "Aborted (core dumped)" from bash
	[ -s "$1/core" ]
}

# run NAME ARGS...: runs pileup, keeping stdout, stderr and the exit code.
run() {
	local name=$1
	shift
	"$PILEUP" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
# no_crash NAME: pileup ended by itself, with no sanitizer report.
no_crash() {
	[ "$(rc "$1")" -le 2 ] && ! grep -q -e AddressSanitizer -e 'runtime error' -e LeakSanitizer "$TMP/$1.err"
}
# one_line NAME: a single line on stderr, starting with "pileup: ".
one_line() {
	[ "$(wc -l <"$TMP/$1.err")" -eq 1 ] && grep -q '^pileup: ' "$TMP/$1.err"
}
# patch FILE OFFSET BYTES: overwrites bytes (printf escapes) in place.
patch() {
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# --- a good core to break ----------------------------------------------------------
start_dumping "$TMP/good" unlimited "$FIX/waits" --mutex 2 --condvar 2 --sleep 1 || exit 1
check "the kernel dumped a core to break" dump "$TMP/good"
good=$TMP/good/core
size=$(stat -c %s "$good")
run good --json=1 "$good"
expect_eq "the intact core: exit 0" 0 "$(rc good)"

# --- truncated -----------------------------------------------------------------------
head -c $((size / 2)) "$good" >"$TMP/half"
run half --json=1 "$TMP/half"
check "cut in half: no crash" no_crash half
expect_eq "cut in half: a partial report, exit 1" 1 "$(rc half)"
check "cut in half: every thread is listed" test "$(jq '.threads | length' "$TMP/half.out")" -eq "$(jq '.threads | length' "$TMP/good.out")"
check "cut in half: a warning says it is truncated" grep -q "^pileup: warning: .*half is truncated: it holds .* of the .* of memory" "$TMP/half.err"
expect_eq "cut in half: the warning is in the report" 1 "$(jq '[.target.warnings[] | select(test("truncated"))] | length' "$TMP/half.out")"
"$PILEUP" --text "$TMP/half" >"$TMP/half.txt" 2>/dev/null
check "cut in half: the text report shows the warning" grep -q "^warning: .*half is truncated" "$TMP/half.txt"

notes=$(($(readelf -lW "$good" | awk '$1 == "NOTE" { print $2; exit }')))
head -c $((notes + 400)) "$good" >"$TMP/innotes"
run innotes --json=1 "$TMP/innotes"
check "cut inside the notes: no crash" no_crash innotes
expect_eq "cut inside the notes: the first thread, exit 1" "1 1" "$(rc innotes) $(jq '.threads | length' "$TMP/innotes.out")"
check "cut inside the notes: a warning says so" grep -q "warning: .*innotes.* truncated" "$TMP/innotes.err"

head -c $((notes + 10)) "$good" >"$TMP/nothread"
run nothread "$TMP/nothread"
expect_eq "cut before any thread: exit 2" 2 "$(rc nothread)"
check "... with one line saying so" one_line nothread
check "... naming the cause" grep -q "truncated before its thread notes" "$TMP/nothread.err"

head -c 200 "$good" >"$TMP/inphdr"
run inphdr "$TMP/inphdr"
expect_eq "cut inside the program headers: exit 2" 2 "$(rc inphdr)"
check "... with one line saying so" one_line inphdr
check "... naming the cause" grep -q "truncated within its program headers" "$TMP/inphdr.err"

head -c 30 "$good" >"$TMP/inehdr"
run inehdr "$TMP/inehdr"
expect_eq "cut inside the ELF header: exit 2, one line" "2 yes" "$(rc inehdr) $(one_line inehdr && echo yes)"

# The kernel cuts the core at 'ulimit -c' (KB).
start_dumping "$TMP/limited" 160 "$FIX/waits" --mutex 2 --condvar 2 --sleep 1 || exit 1
check "ulimit -c 160: the kernel wrote a cut core" dump "$TMP/limited"
check "ulimit -c 160: the core is cut at the limit" test "$(du -k "$TMP/limited/core" | cut -f1)" -le 170 -a "$(stat -c %s "$TMP/limited/core")" -lt "$size"
run limited --json=1 "$TMP/limited/core"
check "ulimit -c 160: no crash" no_crash limited
expect_eq "ulimit -c 160: a partial report, exit 1" 1 "$(rc limited)"
check "ulimit -c 160: the warning suggests ulimit -c" grep -q "truncated.*ulimit -c" "$TMP/limited.err"
check "ulimit -c 160: the threads are there" test "$(jq '.threads | length' "$TMP/limited.out")" -eq 7

# --- the program ---------------------------------------------------------------------
# Missing: it ran from a directory that is gone.
mkdir -p "$TMP/gone"
cp "$FIX/waits" "$TMP/gone/waits"
start_dumping "$TMP/missing" unlimited "$TMP/gone/waits" --mutex 2 --sleep 1 || exit 1
check "missing program: core dumped" dump "$TMP/missing"
rm -rf "$TMP/gone"
run missing --json=1 "$TMP/missing/core"
check "missing program: no crash" no_crash missing
expect_eq "missing program: a partial report, exit 1" 1 "$(rc missing)"
expect_eq "missing program: one warning naming it and the remedy" \
	"pileup: warning: the program $TMP/gone/waits is not found: give it as 'pileup CORE EXE' (its frames show as module+offset)" \
	"$(cat "$TMP/missing.err")"
expect_eq "missing program: its frames show as module+offset" "null $TMP/gone/waits" \
	"$(jq -r '[.groups[].frames[] | select(.module == "'"$TMP/gone/waits"'")] | "\(map(.function) | unique | .[0]) \(.[0].module)"' "$TMP/missing.out")"
run missing_exe --json=1 "$TMP/missing/core" "$FIX/waits"
expect_eq "missing program given as EXE: complete, exit 0, no warning" "0 " "$(rc missing_exe) $(cat "$TMP/missing_exe.err")"
expect_eq "missing program given as EXE: its frames are symbolized" "mutex wait_mutex" \
	"$(jq -r '.groups[0] | "\(.wait) \(.wait_site.function)"' "$TMP/missing_exe.out")"

# Different: the user names another program.
run different --json=1 "$good" "$FIX/waits-O0"
check "a different EXE: no crash" no_crash different
expect_eq "a different EXE: exit 1" 1 "$(rc different)"
check "a different EXE: the warning says it is not the program, by build-id" \
	grep -q "^pileup: warning: $FIX/waits-O0 is not the program that dumped this core: its build-id [0-9a-f]* differs from the core's [0-9a-f]*, so it is not used" "$TMP/different.err"
expect_eq "a different EXE is not used: the right program at the core's path is" \
	"$(jq -c '[.groups[] | .wait_site.function]' "$TMP/good.out")" "$(jq -c '[.groups[] | .wait_site.function]' "$TMP/different.out")"

# Replaced: the program at the core's path was rebuilt since.
mkdir -p "$TMP/chg"
cp "$FIX/waits" "$TMP/chg/waits"
start_dumping "$TMP/changed" unlimited "$TMP/chg/waits" --mutex 2 --sleep 1 || exit 1
check "replaced program: core dumped" dump "$TMP/changed"
cp "$FIX/waits-O0" "$TMP/chg/waits"
run changed --json=1 "$TMP/changed/core"
check "replaced program: no crash" no_crash changed
expect_eq "replaced program: exit 1" 1 "$(rc changed)"
check "replaced program: the warning says it changed, by build-id" \
	grep -q "^pileup: warning: $TMP/chg/waits has changed since the core was dumped (build-id [0-9a-f]*, the core's is [0-9a-f]*), so it is not used" "$TMP/changed.err"
expect_eq "replaced program: never silently used (no function of it named)" "[null]" \
	"$(jq -c '[.threads[].frames[] | select(.module == "'"$TMP/chg/waits"'") | .function] | unique' "$TMP/changed.out")"

# --- missing libraries -------------------------------------------------------------
mkdir -p "$TMP/lib"
stdcxx=$(ldd "$FIX/waits-cpp" | awk '/libstdc\+\+/ { print $3 }')
cp "$stdcxx" "$TMP/lib/"
start_dumping "$TMP/libs" unlimited env LD_LIBRARY_PATH="$TMP/lib" "$FIX/waits-cpp" --condvar 2 --sleep 1 || exit 1
check "missing library: core dumped" dump "$TMP/libs"
rm -rf "$TMP/lib"
run libs --json=1 "$TMP/libs/core"
check "missing library: no crash" no_crash libs
expect_eq "missing library: a partial report, exit 1" 1 "$(rc libs)"
expect_eq "missing library: one warning naming it" \
	"pileup: warning: 1 library not found: libstdc++.so.6 (frames in them show as module+offset; --sysroot DIR if the core comes from another machine)" \
	"$(cat "$TMP/libs.err")"
check "missing library: frames in it show as module+offset" \
	test "$(jq '[.threads[].frames[] | select(.module == "'"$TMP/lib/libstdc++.so.6"'" and .function == null and (.offset | startswith("0x")))] | length' "$TMP/libs.out")" -gt 0
expect_eq "missing library: the program's own frames are still there" "svc::Pool::worker_loop()" \
	"$(jq -r '[.groups[] | select(.count == 2) | .wait_site.function] | .[0]' "$TMP/libs.out")"

# --- not cores -----------------------------------------------------------------------
run exe /bin/true
expect_eq "an executable: exit 2" 2 "$(rc exe)"
check "an executable: one line saying it is not a core" one_line exe
check "... and what to give instead" grep -q "not a core; give the core first: 'pileup CORE \[EXE\]'" "$TMP/exe.err"
gcc -c -x c -o "$TMP/obj.o" - <<<'int f(void) { return 1; }'
run obj "$TMP/obj.o"
expect_eq "an object file: exit 2, one line" "2 yes" "$(rc obj) $(one_line obj && echo yes)"
head -c 65536 /dev/urandom >"$TMP/random"
printf 'X' | dd of="$TMP/random" bs=1 count=1 conv=notrunc status=none
run random "$TMP/random"
expect_eq "random bytes: exit 2, one line" "2 yes" "$(rc random) $(one_line random && echo yes)"
check "random bytes: says it is not a core" grep -q "is not a core file" "$TMP/random.err"
: >"$TMP/empty"
run empty "$TMP/empty"
expect_eq "an empty file: exit 2, one line" "2 yes" "$(rc empty) $(one_line empty && echo yes)"
check "an empty file: says it is empty" grep -q "is empty" "$TMP/empty.err"
run dir "$TMP"
expect_eq "a directory: exit 2, one line" "2 yes" "$(rc dir) $(one_line dir && echo yes)"
run nofile "$TMP/no-such-core"
expect_eq "no such file: exit 2, one line" "2 yes" "$(rc nofile) $(one_line nofile && echo yes)"
printf '\x28\xb5\x2f\xfdgarbage' >"$TMP/bad.zst"
run badzst "$TMP/bad.zst"
expect_eq "corrupt zstd data: exit 2, one line" "2 yes" "$(rc badzst) $(one_line badzst && echo yes)"

# --- other architectures --------------------------------------------------------------
cp "$good" "$TMP/arm64"
patch "$TMP/arm64" 18 '\xb7\x00'
run arm64 "$TMP/arm64"
expect_eq "an aarch64 core: exit 2, one line" "2 yes" "$(rc arm64) $(one_line arm64 && echo yes)"
check "an aarch64 core: names the architecture" grep -q "is a core of an aarch64 process; pileup reads x86_64 cores" "$TMP/arm64.err"
cp "$good" "$TMP/i386"
patch "$TMP/i386" 4 '\x01'
patch "$TMP/i386" 18 '\x03\x00'
run i386 "$TMP/i386"
expect_eq "a 32-bit core: exit 2, one line" "2 yes" "$(rc i386) $(one_line i386 && echo yes)"
check "a 32-bit core: says so" grep -q "is a core of a 32-bit i386 process" "$TMP/i386.err"
cp "$good" "$TMP/be"
patch "$TMP/be" 5 '\x02'
run be "$TMP/be"
expect_eq "a big-endian core: exit 2, one line" "2 yes" "$(rc be) $(one_line be && echo yes)"

# --- damaged headers -----------------------------------------------------------------
cp "$good" "$TMP/nonotes"
patch "$TMP/nonotes" 64 '\x00\x00\x00\x00' # PT_NOTE -> PT_NULL
run nonotes "$TMP/nonotes"
expect_eq "no notes: exit 2, one line" "2 yes" "$(rc nonotes) $(one_line nonotes && echo yes)"
cp "$good" "$TMP/wildoffsets"
patch "$TMP/wildoffsets" 128 '\xff\xff\xff\xff\xff\xff\xff\x7f' # the first PT_LOAD's p_offset
run wild --json=1 "$TMP/wildoffsets"
check "a segment beyond the end of the file: no crash" no_crash wild
expect_eq "a segment beyond the end of the file: partial report, exit 1" 1 "$(rc wild)"

# --- saved reports through the same door ---------------------------------------------
"$PILEUP" --json=1 "$good" >"$TMP/report.json" 2>/dev/null
zstd -q -c "$TMP/report.json" >"$TMP/report.json.zst"
run savedz --json=1 "$TMP/report.json.zst"
nobid='[.groups[] | del(.frames[].build_id)]'
expect_eq "a zstd-compressed saved report opens: the same groups" "$(jq -S -c "$nobid" "$TMP/report.json")" "$(jq -S -c "$nobid" "$TMP/savedz.out")"
run savedexe "$TMP/report.json" "$FIX/waits"
expect_eq "a saved report with an EXE: exit 2, one line" "2 yes" "$(rc savedexe) $(one_line savedexe && echo yes)"

# --- what the fuzzer found -----------------------------------------------------------
n=0
bad=0
for f in "$ROOT"/fuzz/regressions/* "$ROOT"/fuzz/seeds/* "$ROOT"/fuzz/go-seeds/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	# the Go seeds and what the fuzzer made of them: with their program
	case $f in
	*/go-seeds/* | */regressions/go-*) run fz --json=1 "$f" "$FIX/go/1.26/waits" ;;
	*) run fz --json=1 "$f" ;;
	esac
	if ! no_crash fz || { [ "$(rc fz)" -eq 2 ] && ! one_line fz; }; then
		bad=$((bad + 1))
		echo "# $f: exit $(rc fz): $(head -c 300 "$TMP/fz.err")"
	fi
done
check "fuzz inputs: there are some ($n)" test "$n" -gt 4
expect_eq "fuzz inputs: every one gives a report or one line, never a crash" 0 "$bad"
finish
