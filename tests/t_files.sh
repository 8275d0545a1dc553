#!/bin/bash
# Names and files as the target sees them: hostile thread names, a deleted
# executable, a process in a chroot with its own file tree, separate debug
# info found with --debuginfo-path, and the per-pc symbol cache.
. "$(dirname "$0")/lib.sh"

# A thread name with escape sequences reaches no terminal.
start_fixture "$ROOT/tests/helpers/evilname" || exit 1
"$PILEUP" --text "$FX_PID" >"$TMP/evil.txt"
check "text: no ESC or BEL byte from the target reaches the output" bash -c "! LC_ALL=C grep -q \$'[\\x1b\\x07]' '$TMP/evil.txt'"
check "text: the name is shown escaped" grep -qF '\x1b[31mEVIL' "$TMP/evil.txt"
"$PILEUP" --json=1 "$FX_PID" >"$TMP/evil.json"
expect_eq "json: the name round-trips through a JSON parser" "$(printf '\033[31mEVIL\033]0;x\007')" \
	"$(jq -r '.threads[0].name' "$TMP/evil.json")"
check "json: escaped as \\u001b" grep -qF '\u001b[31mEVIL' "$TMP/evil.json"
stop_fixture "$FX_PID"

# A deleted executable is read through /proc/PID/map_files.
cp "$FIX/waits" "$TMP/waits-deleted"
start_fixture "$TMP/waits-deleted" --condvar 3 --read 1 || exit 1
rm "$TMP/waits-deleted"
"$PILEUP" --json=1 "$FX_PID" >"$TMP/del.json"
matches_manifest "deleted executable: classes and wait sites still symbolized" "$TMP/del.json" "$FX_OUT"
check "deleted executable: source lines still found" \
	test "$(jq '[.threads[].frames[] | select(.file != null and (.file | test("waits.c")))] | length' "$TMP/del.json")" -gt 0
stop_fixture "$FX_PID"

# A process in a container-like root: its files live on a mount that only
# its own mount namespace has, so the kernel names them by their paths
# inside, and pileup must read them through /proc/PID/root or map_files.
if command -v unshare >/dev/null && command -v chroot >/dev/null; then
	R=$TMP/root
	mkdir -p "$R"
	libs=$(ldd "$FIX/waits" | grep -o '/[^ ]*' | tr '\n' ' ')
	FX_OUT=$TMP/root.out
	unshare -m sh -c "mount --make-rprivate / && mount -t tmpfs none '$R' &&
		mkdir -p '$R/app/bin' '$R/proc' '$R/old' && cp '$FIX/waits' '$R/app/bin/waits-in-root' &&
		for l in $libs; do mkdir -p '$R'\$(dirname \$l) && cp \$l '$R'\$l; done &&
		mount -t proc proc '$R/proc' && cd '$R' && pivot_root . old &&
		exec /app/bin/waits-in-root --condvar 2 --sleep 1" >"$FX_OUT" 2>&1 &
	fx_track $!
	for ((i = 0; i < 200; i++)); do grep -q '^ready' "$FX_OUT" && break; sleep 0.05; done
	pid=$(awk '/^ready/ {print $2}' "$FX_OUT")
	check "container: the executable exists neither at its own path nor under ours" \
		test ! -e /app/bin/waits-in-root -a ! -e "$R/app/bin/waits-in-root"
	"$PILEUP" --json=1 "$pid" >"$TMP/root.json"
	expect_eq "container: exe as the target names it" "/app/bin/waits-in-root" "$(jq -r .target.exe "$TMP/root.json")"
	matches_manifest "container: every thread symbolized from the files inside" "$TMP/root.json" "$FX_OUT"
	kill "$pid"
fi

# Separate debug info, found by build-id under --debuginfo-path.
D=$TMP/debug
bid=$(LC_ALL=C readelf -n "$FIX/waits" | awk '/Build ID/ {print $3}')
mkdir -p "$D/.build-id/${bid:0:2}"
objcopy --only-keep-debug "$FIX/waits" "$D/.build-id/${bid:0:2}/${bid:2}.debug"
objcopy --strip-debug "$FIX/waits" "$TMP/waits-nodebug"
start_fixture "$TMP/waits-nodebug" --condvar 2 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/nodebug.json"
expect_eq "without its debug info: wait site named from .symtab, no line" "wait_condvar null" \
	"$(jq -r '.groups[] | select(.wait == "condvar") | "\(.wait_site.function) \(.wait_site.line)"' "$TMP/nodebug.json")"
"$PILEUP" --json=1 --debuginfo-path "$D" "$FX_PID" >"$TMP/withdebug.json"
check "--debuginfo-path: the wait site gets its file and line" \
	test "$(jq -r '.groups[] | select(.wait == "condvar") | .wait_site.line' "$TMP/withdebug.json")" -gt 0
expect_eq "build-id reported for the executable" "$bid" "$(jq -r .target.build_id "$TMP/withdebug.json")"
stop_fixture "$FX_PID"

# 2,000 threads with one stack cost a handful of symbol lookups, not 2,000.
start_fixture "$FIX/waits" --condvar 2000 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/many.json"
lookups=$(jq .analysis.symbol_lookups "$TMP/many.json")
check "per-pc cache: $lookups symbol lookups for 2,002 threads" test "$lookups" -lt 60
check "per-pc cache: yet every frame walked ($(jq .analysis.frames_walked "$TMP/many.json"))" \
	test "$(jq .analysis.frames_walked "$TMP/many.json")" -gt 12000
finish
