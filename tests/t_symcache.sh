#!/bin/bash
# The symbol cache (inspector/symcache.c): what one run symbolized is read
# back by the next run of the same program.  The report is the same with
# the cache off, cold and warm, for a live process and for a core; a warm
# run reads no debug information at all; the cache file's key changes when
# a debug file appears for a module (so new line numbers are not hidden by
# old entries) and when the program is rebuilt; a damaged or foreign file
# is ignored and rewritten; an unwritable directory is no error.
. "$(dirname "$0")/lib.sh"

C=$TMP/cache
STABLE='del(.capture, .analysis, .target.taken_at) | .threads |= map(select(.name != "heartbeat") | del(.capture))
	| .groups |= map(select(.wait_site.function != "heartbeat_loop"))'
stats() { # stats LOG: "read used added" from the PILEUP_TIMING line
	sed -n 's/^pileup: symcache: .*: \([0-9]*\) entries read, \([0-9]*\) used, \([0-9]*\) added$/\1 \2 \3/p' "$1"
}
run() { # run OUT LOG CACHE_DIR ARGS...: the stable JSON report, timing on stderr
	local out=$1 log=$2 dir=$3
	shift 3
	PILEUP_TIMING=1 PILEUP_CACHE_DIR=$dir "$PILEUP" --json=1 "$@" 2>"$log" | jq -S "$STABLE" >"$out"
}

# --- a live process: semaphores (a tail call inside libc), mutexes,
# condition variables, sleeps
start_fixture "$FIX/waits" --semaphore 3 --mutex 2 --condvar 4 --sleep 2 || exit 1
PILEUP_NO_SYMCACHE=1 run "$TMP/off.json" "$TMP/off.log" "$C" "$FX_PID"
check "cache off: no cache file is written" bash -c "! ls '$C'/syms-* >/dev/null 2>&1"
check "the report has line numbers and the restored tail call" \
	test "$(jq '[.threads[].frames[] | select(.tail_call == true)] | length' "$TMP/off.json")" -gt 0
run "$TMP/cold.json" "$TMP/cold.log" "$C" "$FX_PID"
expect_eq "cold: the same report as with the cache off" "" "$(diff "$TMP/off.json" "$TMP/cold.json")"
read -r cr cu ca <<<"$(stats "$TMP/cold.log")"
check "cold: nothing read, entries added ($ca)" test "${cr:-x}" = 0 -a "${ca:-0}" -gt 0
files=$(ls "$C"/syms-* 2>/dev/null | wc -l)
expect_eq "cold: one cache file for the program" 1 "$files"
check "the cache file is private (0600)" test "$(stat -c %a "$C"/syms-*)" = 600
strace -f -e trace=openat -o "$TMP/strace.txt" env PILEUP_CACHE_DIR="$C" PILEUP_TIMING=1 "$PILEUP" --json=1 "$FX_PID" \
	2>"$TMP/warm.log" | jq -S "$STABLE" >"$TMP/warm.json"
expect_eq "warm: the same report" "" "$(diff "$TMP/off.json" "$TMP/warm.json")"
read -r wr wu wa <<<"$(stats "$TMP/warm.log")"
check "warm: entries read ($wr) and used ($wu), none added" test "${wr:-0}" -gt 0 -a "${wu:-0}" -gt 0 -a "${wa:-x}" = 0
# (the key reads the directory /usr/lib/debug/.build-id, no file in it)
check "warm: no debug file is opened (libc's or the cache's inflated copy)" \
	bash -c "! grep -v O_DIRECTORY '$TMP/strace.txt' | grep -E '/usr/lib/debug/|\\.inflated\"'"
check "the target is not left stopped or traced" not_stopped "$FX_PID"

# A damaged file: ignored, the same report, rewritten whole.
f=$(ls "$C"/syms-*)
head -c 200 "$f" >"$TMP/head" && cp "$TMP/head" "$f"
run "$TMP/cut.json" "$TMP/cut.log" "$C" "$FX_PID"
expect_eq "truncated cache file: the same report" "" "$(diff "$TMP/off.json" "$TMP/cut.json")"
run "$TMP/again.json" "$TMP/again.log" "$C" "$FX_PID"
read -r ar au aa <<<"$(stats "$TMP/again.log")"
check "truncated cache file: rewritten, read back next time" test "${ar:-0}" -gt 0 -a "${aa:-x}" = 0
head -c 65536 /dev/urandom >"$f"
run "$TMP/rand.json" "$TMP/rand.log" "$C" "$FX_PID"
expect_eq "random bytes as the cache file: the same report" "" "$(diff "$TMP/off.json" "$TMP/rand.json")"
# Flip bytes inside a valid file: every read is bounds-checked.
run "$TMP/x.json" "$TMP/x.log" "$C" "$FX_PID"
size=$(stat -c %s "$f")
for off in 40 $((size / 3)) $((size / 2)) $((size - 9)); do
	cp "$f" "$TMP/good"
	printf '\xff\xff\xff\x7f' | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
	run "$TMP/flip.json" "$TMP/flip.log" "$C" "$FX_PID"
	expect_eq "bytes flipped at $off of $size: the same report" "" "$(diff "$TMP/off.json" "$TMP/flip.json")"
	cp "$TMP/good" "$f"
done

# A cache directory that cannot be made is no error.
run "$TMP/nodir.json" "$TMP/nodir.log" /proc/self/no-such-dir "$FX_PID"
expect_eq "unwritable cache directory: the same report" "" "$(diff "$TMP/off.json" "$TMP/nodir.json")"
check "unwritable cache directory: no error on stderr" bash -c "! grep -v '^pileup: [a-z]*: ' '$TMP/nodir.log'"
stop_fixture "$FX_PID"

# --- a core of the same program: the same frames as the live report gave,
# cold and warm
mkdir -p "$TMP/cores"
(cd "$TMP/cores" && ulimit -c unlimited && exec "$FIX/waits" --semaphore 2 --mutex 2 >/dev/null) &
cpid=$!
sleep 1
kill -ABRT "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
core=$(ls "$TMP"/cores/core* 2>/dev/null | head -1)
check "a kernel core was written" test -n "$core"
if [ -n "$core" ]; then
	CSTABLE='del(.capture, .analysis, .target.taken_at) | .threads |= map(del(.capture))'
	PILEUP_NO_SYMCACHE=1 "$PILEUP" --json=1 "$core" 2>/dev/null | jq -S "$CSTABLE" >"$TMP/core-off.json"
	PILEUP_CACHE_DIR=$TMP/ccache "$PILEUP" --json=1 "$core" 2>/dev/null | jq -S "$CSTABLE" >"$TMP/core-cold.json"
	PILEUP_TIMING=1 PILEUP_CACHE_DIR=$TMP/ccache "$PILEUP" --json=1 "$core" 2>"$TMP/core-warm.log" | jq -S "$CSTABLE" >"$TMP/core-warm.json"
	expect_eq "core, cold: the same report as with the cache off" "" "$(diff "$TMP/core-off.json" "$TMP/core-cold.json")"
	expect_eq "core, warm: the same report" "" "$(diff "$TMP/core-off.json" "$TMP/core-warm.json")"
	read -r kr ku ka <<<"$(stats "$TMP/core-warm.log")"
	check "core, warm: every pc from the cache" test "${kr:-0}" -gt 0 -a "${ku:-0}" -gt 0 -a "${ka:-x}" = 0
fi

# --- the key: a debug file that appears later is used at once.  A
# stripped program with a .gnu_debuglink: first no lines, then its debug
# file next to it, then lines (not the cached line-less frames).
cp "$FIX/waits" "$TMP/w-link"
objcopy --only-keep-debug "$TMP/w-link" "$TMP/w-link.dbg"
strip --strip-debug "$TMP/w-link"
objcopy --add-gnu-debuglink="$TMP/w-link.dbg" "$TMP/w-link"
mkdir -p "$TMP/aside" && mv "$TMP/w-link.dbg" "$TMP/aside/"
start_fixture "$TMP/w-link" --mutex 2 || exit 1
lines() { jq '[.groups[].wait_site | select(.function == "wait_mutex" and .line != null)] | length' "$1"; }
run "$TMP/nolink.json" "$TMP/nolink.log" "$C" "$FX_PID"
expect_eq "no debug file yet: no line for wait_mutex" 0 "$(lines "$TMP/nolink.json")"
mv "$TMP/aside/w-link.dbg" "$TMP/"
run "$TMP/link.json" "$TMP/link.log" "$C" "$FX_PID"
expect_eq "the debug file appeared: wait_mutex has its line" 1 "$(lines "$TMP/link.json")"
read -r lr lu la <<<"$(stats "$TMP/link.log")"
check "the debug file appeared: a new key (nothing read, entries added)" test "${lr:-x}" = 0 -a "${la:-0}" -gt 0
stop_fixture "$FX_PID"

# The same file rewritten in place with another build-id (same path,
# size, inode and time): another key, nothing read from the old file.
cp "$FIX/waits" "$TMP/w-same"
start_fixture "$TMP/w-same" --mutex 2 || exit 1
run "$TMP/same1.json" "$TMP/same1.log" "$C" "$FX_PID"
stop_fixture "$FX_PID"
mtime=$(stat -c %y "$TMP/w-same")
ino=$(stat -c %i "$TMP/w-same")
note=$(readelf -S -W "$TMP/w-same" | awk '{for (i = 1; i < NF; i++) if ($i == ".note.gnu.build-id") print $(i + 3)}')
printf '\x5a\x5a\x5a\x5a' | dd of="$TMP/w-same" bs=1 seek=$((0x$note + 16)) conv=notrunc status=none
touch -d "$mtime" "$TMP/w-same"
check "rewritten in place: same inode and time, another build-id" test "$(stat -c %i "$TMP/w-same")" = "$ino" -a \
	"$(stat -c %y "$TMP/w-same")" = "$mtime" -a \
	"$(readelf -n "$FIX/waits" | awk '/Build ID/{print $3}')" != "$(readelf -n "$TMP/w-same" | awk '/Build ID/{print $3}')"
start_fixture "$TMP/w-same" --mutex 2 || exit 1
run "$TMP/same2.json" "$TMP/same2.log" "$C" "$FX_PID"
read -r rr ru ra <<<"$(stats "$TMP/same2.log")"
check "another build-id: nothing read, entries added" test "${rr:-x}" = 0 -a "${ra:-0}" -gt 0
fns='[.threads[] | [.frames[] | [.function, .file, .line]]] | sort'
expect_eq "another build-id: the same frames otherwise" "" \
	"$(diff <(jq -c "$fns" "$TMP/same1.json") <(jq -c "$fns" "$TMP/same2.json"))"
stop_fixture "$FX_PID"
# --- the directory does not grow for ever.  A file used is marked (its
# time set to now when older than a day); writing a new one removes files
# not used for 30 days, other runs' temporary files older than a day, and
# the least recently used beyond 256; other files are left alone.
P=$TMP/prune
mkdir -p "$P"
start_fixture "$FIX/waits" --mutex 2 || exit 1
run "$TMP/p1.json" "$TMP/p1.log" "$P" "$FX_PID"
mine=$(basename "$(ls "$P"/syms-*)")
touch -d '10 days ago' "$P/$mine"
run "$TMP/p2.json" "$TMP/p2.log" "$P" "$FX_PID"
check "a used cache file is marked as used (its time is today)" \
	test "$(($(date +%s) - $(stat -c %Y "$P/$mine")))" -lt 600
for i in $(seq 1 300); do
	printf x >"$P/syms-recent$i" && touch -d "$((i + 60)) minutes ago" "$P/syms-recent$i"
done
printf x >"$P/syms-old" && touch -d '40 days ago' "$P/syms-old"
printf x >"$P/syms-abc.99.tmp" && touch -d '2 days ago' "$P/syms-abc.99.tmp"
printf x >"$P/syms-def.98.tmp" && touch -d '10 minutes ago' "$P/syms-def.98.tmp"
printf x >"$P/notes.txt" && touch -d '400 days ago' "$P/notes.txt"
touch -d '20 days ago' "$P/$mine"
rm -f "$P/$mine" # the next run writes it anew
run "$TMP/p3.json" "$TMP/p3.log" "$P" "$FX_PID"
stop_fixture "$FX_PID"
check "written anew" test -s "$P/$mine"
check "a file unused for 40 days is removed" test ! -e "$P/syms-old"
check "another run's temporary file older than a day is removed" test ! -e "$P/syms-abc.99.tmp"
check "a temporary file being written is left" test -e "$P/syms-def.98.tmp"
check "files that are not pileup's are left" test -e "$P/notes.txt"
expect_eq "at most 256 cache files remain" 256 "$(ls "$P" | grep -c '^syms-[^.]*$')"
check "the least recently used went (the oldest 45 of 300 recent files)" \
	bash -c "test ! -e '$P/syms-recent300' -a ! -e '$P/syms-recent256' -a -e '$P/syms-recent255' -a -e '$P/syms-recent1'"
expect_eq "the same report throughout" "" "$(diff "$TMP/p1.json" "$TMP/p3.json")"

check "--help tells of the symbol cache and PILEUP_NO_SYMCACHE" \
	bash -c "'$PILEUP' --help | grep -q 'PILEUP_NO_SYMCACHE=1' && '$PILEUP' --help | grep -q 'what a run symbolized'"
finish
