#!/bin/bash
# The debug-info cache (inspector/debugcache.c): separate debug files with
# compressed DWARF are used through an inflated copy, named by build-id,
# written once: the report is the same with the cache off, cold and warm;
# the copy has no compressed section and the original's build-id; a
# corrupt copy is replaced, an unwritable cache directory is no error.
. "$(dirname "$0")/lib.sh"
# The debug-info cache alone: the symbol cache (t_symcache.sh) would
# spare warm runs the debug files altogether.
export PILEUP_NO_SYMCACHE=1

# A program whose DWARF lives in a separate, compressed debug file, found
# by build-id under --debuginfo-path.
DBG=$TMP/debug
cp "$FIX/waits" "$TMP/waits-sep"
objcopy --only-keep-debug --compress-debug-sections=zlib "$TMP/waits-sep" "$TMP/waits.debug"
strip --strip-debug "$TMP/waits-sep"
bid=$(readelf -n "$TMP/waits-sep" | awk '/Build ID/{print $3}')
mkdir -p "$DBG/.build-id/${bid:0:2}"
mv "$TMP/waits.debug" "$DBG/.build-id/${bid:0:2}/${bid:2}.debug"
check "the debug file has compressed sections" \
	test "$(readelf -S -W "$DBG/.build-id/${bid:0:2}/${bid:2}.debug" 2>/dev/null | grep -c '\.debug_info .* C ')" = 1

start_fixture "$TMP/waits-sep" --mutex 3 --condvar 4 || exit 1
# The report without what may differ from one capture to the next: the
# heartbeat thread wakes every millisecond (and may be caught running).
STABLE='del(.capture, .analysis, .target.taken_at) | .threads |= map(select(.name != "heartbeat") | del(.capture))
	| .groups |= map(select(.wait_site.function != "heartbeat_loop"))'
report() { # report CACHE_DIR OUT
	PILEUP_CACHE_DIR=$1 "$PILEUP" --json=1 --debuginfo-path "$DBG" "$FX_PID" | jq -S "$STABLE" >"$2"
}
report "" "$TMP/off.json"
check "cache off: the program's lines come from the separate file" \
	test "$(jq '[.groups[].wait_site | select(.line != null and .function == "wait_mutex")] | length' "$TMP/off.json")" = 1
C=$TMP/cache
report "$C" "$TMP/cold.json"
copy=$(ls "$C"/"$bid"-*.inflated 2>/dev/null)
check "cold: an inflated copy named by build-id was written" test -n "$copy"
check "the copy has no compressed section" test "$(readelf -S -W "$copy" 2>/dev/null | grep -c '\] \.debug.* C ')" = 0
expect_eq "the copy has the original's build-id" "$bid" "$(readelf -n "$copy" 2>/dev/null | awk '/Build ID/{print $3}')"
expect_eq "the copy holds the same DWARF" \
	"$(readelf --debug-dump=info "$DBG/.build-id/${bid:0:2}/${bid:2}.debug" 2>/dev/null | tail -n +3 | md5sum)" \
	"$(readelf --debug-dump=info "$copy" 2>/dev/null | tail -n +3 | md5sum)"
expect_eq "cold cache: the same report as with the cache off" "" "$(diff "$TMP/off.json" "$TMP/cold.json")"
strace -f -e trace=openat -o "$TMP/strace.txt" env PILEUP_CACHE_DIR="$C" "$PILEUP" --json=1 --debuginfo-path "$DBG" "$FX_PID" >"$TMP/warm.raw"
jq -S "$STABLE" "$TMP/warm.raw" >"$TMP/warm.json"
expect_eq "warm cache: the same report" "" "$(diff "$TMP/off.json" "$TMP/warm.json")"
check "warm cache: the copy is opened" grep -q "$(basename "$copy")\", O_RDONLY[|A-Z_]*) = [0-9]" "$TMP/strace.txt"
# libdwfl's own finder opens without O_CLOEXEC and keeps what it opened:
# had it run, libdw would read (and inflate) the original
expect_eq "warm cache: libdwfl's own finder never opened the original" "0" \
	"$(grep -c "${bid:2}.debug\", O_RDONLY)" "$TMP/strace.txt")"
check "no debuginfod lookups (the vdso is not looked up)" bash -c "! grep -q libdebuginfod '$TMP/strace.txt'"

# A corrupt copy is not used, and is replaced.
head -c 4096 /dev/urandom >"$copy"
report "$C" "$TMP/corrupt.json"
expect_eq "corrupt copy: the same report" "" "$(diff "$TMP/off.json" "$TMP/corrupt.json")"
expect_eq "corrupt copy: replaced by a good one" "$bid" "$(readelf -n "$copy" 2>/dev/null | awk '/Build ID/{print $3}')"

# Copies of libraries no longer in use go when a new copy is written (not
# used for 30 days, or beyond the 32 most recently used); a copy in use is
# marked (its time set to now when older than a day).
touch -d '10 days ago' "$copy"
report "$C" "$TMP/mark.json"
check "a copy in use is marked as used (its time is today)" test "$(($(date +%s) - $(stat -c %Y "$copy")))" -lt 600
printf x >"$C/00000000deadbeef-1000.inflated" && touch -d '40 days ago' "$C/00000000deadbeef-1000.inflated"
printf x >"$C/11111111deadbeef-1000.inflated" && touch -d '2 days ago' "$C/11111111deadbeef-1000.inflated"
printf x >"$C/syms-0123" && touch -d '40 days ago' "$C/syms-0123"
rm -f "$copy"
report "$C" "$TMP/new.json"
check "a new copy was written" test -s "$copy"
check "a copy unused for 40 days is removed" test ! -e "$C/00000000deadbeef-1000.inflated"
check "a copy used 2 days ago is kept" test -e "$C/11111111deadbeef-1000.inflated"
check "the symbol cache's files are not the debug cache's to remove" test -e "$C/syms-0123"
expect_eq "the same report" "" "$(diff "$TMP/off.json" "$TMP/new.json")"

# A cache directory that cannot be made is no error.
report /proc/self/no-such-dir "$TMP/nodir.json"
expect_eq "unwritable cache directory: the same report" "" "$(diff "$TMP/off.json" "$TMP/nodir.json")"
check "unwritable cache directory: nothing on stderr" \
	test -z "$(PILEUP_CACHE_DIR=/proc/self/no-such-dir "$PILEUP" --json=1 --debuginfo-path "$DBG" "$FX_PID" 2>&1 >/dev/null)"
check "the target is not left stopped or traced" not_stopped "$FX_PID"
stop_fixture "$FX_PID"

# No network lookups, even with debuginfod servers in the environment (as
# Debian's shell profile sets): a stripped program has no debug info here.
start_fixture "$FIX/waits-stripped" --mutex 2 || exit 1
DEBUGINFOD_URLS=http://127.0.0.1:9 strace -f -e trace=connect,sendto,openat -o "$TMP/net.txt" "$PILEUP" --json=1 "$FX_PID" >/dev/null 2>&1
expect_eq "DEBUGINFOD_URLS set, stripped program: no connection attempted" "" "$(grep -E 'connect\(|sendto\(' "$TMP/net.txt" | grep -v 'AF_UNIX')"
# The release binary is static: loading libdebuginfod into it would bring
# a second glibc (inspector/static/nodlopen.c).  The sanitizer build is
# linked to the shared libraries, and libdwfl loads the client there.
if [ "$ASAN" != 1 ]; then
	expect_eq "DEBUGINFOD_URLS set: libdebuginfod is not loaded" "" "$(grep libdebuginfod "$TMP/net.txt")"
	expect_eq "the release binary needs no shared library" "" "$(readelf -d "$PILEUP" | grep -E 'NEEDED|INTERP')"
	expect_eq "the release binary has no interpreter" "" "$(readelf -l "$PILEUP" | grep -i 'interpreter')"
fi
finish
