#!/bin/bash
# The perf map reader (perfmap.h): its fuzz target replays its seeds under
# ASan and UBSan, and through pileup a map names JIT code only when it is
# a regular file of the target's user (or root): not another user's, not a
# symlink.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/native_lib.sh"

F=$ROOT/build-fuzz/perfmap_fuzz
check "the perf map fuzz target was built (make fuzz-build)" test -x "$F"
if [ -x "$F" ]; then
	"$F" -runs=0 "$ROOT/fuzz/perfmap-seeds" >"$TMP/replay" 2>&1
	expect_eq "perf map seeds replayed: exit 0" 0 "$?"
	ls "$ROOT"/fuzz/regressions/perfmap-* >/dev/null 2>&1 && {
		"$F" -runs=0 "$ROOT"/fuzz/regressions/perfmap-* >"$TMP/replay2" 2>&1
		expect_eq "perf map regressions replayed: exit 0" 0 "$?"
	}
fi

need node || { finish; exit; }
# V8 code without --perf-basic-prof: unnamed; then a map we write.
node -e 'function spin() { for (;;) {} } spin()' &
NODE=$!
fx_track "$NODE"
sleep 1
MAP=/tmp/perf-$NODE.map
rm -f "$MAP"
"$PILEUP" --json=1 "$NODE" >"$TMP/a.json"
pc=$(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0].pc' "$TMP/a.json")
# [jit] where V8's code is mapped rwx (nodesource's node 20), [anon] where
# V8 write-protects it (Debian's node 18): without a map nothing else says
# it is JIT code.
want=$(python3 -c 'import sys
pc = int(sys.argv[2], 16)
for l in open(sys.argv[1]):
    f = l.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if lo <= pc < hi:
        print("[jit]" if f[1].startswith("rwx") else "[anon]" if len(f) < 6 else f[5])' /proc/"$NODE"/maps "${pc:-0}" 2>/dev/null)
expect_eq "no perf map: frame 0 is [jit] (rwx) or [anon] (r-x) with no name" "$want null" "$(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0] | "\(.module) \(.function)"' "$TMP/a.json")"
check "no perf map: ... V8's anonymous code, not a file" test "$want" = "[jit]" -o "$want" = "[anon]"
start=$(printf '%x' $((pc - 16)))
printf 'deadbeef 10 other\n%s 40 fuzzy::spin\n' "$start" >"$MAP"
"$PILEUP" --json=1 "$NODE" >"$TMP/b.json"
# the thread may have moved on: then its new pc is simply not in the map
if [ "$(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0].pc' "$TMP/b.json")" = "$pc" ]; then
	expect_eq "the target's own map names the frame, offset from the entry's start" "fuzzy::spin 0x10 true" \
		"$(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0] | "\(.function) \(.offset) \(.jit)"' "$TMP/b.json")"
fi
chown nobody "$MAP"
"$PILEUP" --json=1 "$NODE" >"$TMP/c.json"
expect_eq "another user's map is ignored" "null" "$(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0].function' "$TMP/c.json")"
rm -f "$MAP"
printf '%s 40 fuzzy::spin\n' "$start" >"$TMP/real.map"
ln -s "$TMP/real.map" "$MAP"
"$PILEUP" --json=1 "$NODE" >"$TMP/d.json"
expect_eq "a symlink is not followed" "null" "$(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0].function' "$TMP/d.json")"
rm -f "$MAP"
kill "$NODE"
finish
