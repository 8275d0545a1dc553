#!/bin/bash
# Saved reports read back (inspector/snapshot_json.c): `pileup --json=1 PID >
# a.json; pileup --json=1 a.json` gives the same groups, names come back byte
# for byte, and broken or hostile files give one error line naming the file
# and the byte offset, never a crash.
source "$(dirname "$0")/lib.sh"
TUI=$ROOT/tests/tui
cd "$TMP" || exit 1

# The groups of a report, in an order that does not depend on ties.
groups() {
	jq -c '[.groups[] | {kind, count, dominant, wait, wait_site, blocking_call, wait_minutes, members,
		frames: [.frames[] | {function, offset, "module": .module, file, line, inlined, library}]}] | sort_by(.kind, .members)' "$1"
}

# --- round trips ----------------------------------------------------------
if start_fixture "$FIX/waits" --mutex 4 --condvar 3 --read 2 --sleep 1 --deadlock --join 1; then
	"$PILEUP" --json=1 "$FX_PID" >live.json
	check "live: --json=1 writes a report" jq -e '.pileup == 1' live.json >/dev/null
	"$PILEUP" --json=1 live.json >again.json
	check "live: the report reads back" test $? = 0
	expect_eq "live: pileup --json=1 a.json gives the same groups" "$(groups live.json)" "$(groups again.json)"
	expect_eq "live: ... and the same threads" "$(jq -c '[.threads[] | {tid, name, state, syscall, wait, wait_site}]' live.json)" \
		"$(jq -c '[.threads[] | {tid, name, state, syscall, wait, wait_site}]' again.json)"
	"$PILEUP" --text live.json >saved.txt
	check "live: the text report of the saved file names the process" grep -q "^pileup .*: pid $FX_PID (.*fixtures/bin/waits), " saved.txt
	check "live: ... and its dominant site" grep -q 'wait_mutex at waits.c:[0-9]*, in .*pthread_mutex_lock' saved.txt
	expect_eq "live: the saved report says what it is" saved "$(jq -r .target.source again.json)"
else
	check "the fixture starts" false
fi

for f in waits go hostile; do
	"$PILEUP" --json=1 "$TUI/$f.json" >"$f.again.json" 2>/dev/null
	rc=$?
	check "$f.json: reads back (exit $rc)" test "$rc" = 0 -o "$rc" = 1
	"$PILEUP" --json=1 "$f.again.json" >"$f.third.json" 2>/dev/null
	# hostile.json was written by hand, without groups: compare the rounds after.
	first=$TUI/$f.json
	[ "$f" = hostile ] && first=$f.again.json && second=$f.third.json || second=$f.again.json
	expect_eq "$f.json: the same groups" "$(groups "$first")" "$(groups "$second")"
done
expect_eq "go.json: goroutines keep status, reason, minutes, thread and creator" \
	"$(jq -c '[.goroutines[] | {id, status, wait_reason, wait_minutes, thread, locked, created_by, system}]' "$TUI/go.json")" \
	"$(jq -c '[.goroutines[] | {id, status, wait_reason, wait_minutes, thread, locked, created_by, system}]' go.again.json)"
expect_eq "go.json: the Go version" go1.22.4 "$(jq -r .target.go_version go.again.json)"
# json.c writes bytes that are not UTF-8 (and C1 controls) as \u00XX; read
# back, they are those bytes again, so a second round changes nothing.
names='[.threads[].name, .threads[].error, .threads[].frames[].function, .threads[].frames[].file,
	.threads[].frames[]["module"], .goroutines[].wait_reason, .goroutines[].created_by.function, .target.exe]'
expect_eq "hostile.json: names come back byte for byte" "$(jq -c "$names" hostile.again.json)" "$(jq -c "$names" hostile.third.json)"
expect_eq "hostile.json: ... as they were written" "$(jq -c '[.threads[].name] | del(.[1])' "$TUI/hostile.json")" \
	"$(jq -c '[.threads[].name] | del(.[1])' hostile.again.json)"
check "hostile.json: ... the C1 control too, as \\u00c2\\u009b" grep -qF 'C1-CSI:\u00c2\u009b31m' hostile.again.json

# Keys this version does not know are skipped; keys may come in any order.
cat >reordered.json <<'EOF'
{"future": {"a": [1, 2, {"b": null}]}, "threads": [{"frames": [
  {"function": "pthread_cond_wait", "library": true, "module": "/lib/libc.so.6", "pc": 4096, "offset": "0x10"},
  {"function": "wait_here", "file": "/src/x.c", "line": 7, "library": false, "module": "/bin/x", "pc": "0x1000", "offset": "0x20"}],
  "wait": "condvar", "name": "w-0", "tid": 12, "new_field": true}],
 "target": {"pid": 12, "exe": "/bin/x"}, "pileup": 1}
EOF
"$PILEUP" --text reordered.json >reordered.txt 2>&1
check "unknown keys and any order: reads" grep -q 'wait site:     wait_here at x.c:7' reordered.txt
check "... the blocking call comes from the frames" grep -q 'blocking call: pthread_cond_wait' reordered.txt

# --- errors: one line, the file, the byte -----------------------------------
# bad NAME CONTENT PATTERN: pileup fails with 2 and a message matching PATTERN.
bad() {
	printf '%s' "$2" >"$1.json"
	"$PILEUP" --text "$1.json" >/dev/null 2>"$1.err"
	local rc=$?
	check "$1: exit 2 (got $rc)" test "$rc" = 2
	if grep -q -- "$3" "$1.err" && [ "$(wc -l <"$1.err")" = 1 ]; then
		check "$1: says '$3' in one line" true
	else
		check "$1: says '$3' in one line" false
		sed 's/^/#   /' "$1.err"
	fi
}
bad not-a-report '{}' 'not-a-report.json: not a pileup report'
bad version3 '{"pileup": 3}' 'version 3, but this pileup reads versions 1 and 2'
bad truncated '{"pileup": 1,' "truncated.json: byte 13: expected a key after ','"
bad no-colon '{"pileup" 1}' "byte 10: expected ':' after a key"
bad trailing '{"pileup": 1} {}' 'byte 14: unexpected data after the report'
bad deep "{\"pileup\": 1, \"x\": $(printf '[%.0s' $(seq 5000))" 'nested deeper than 200 levels'
bad tid0 '{"pileup": 1, "threads": [{"tid": 0}]}' '"tid" must be an integer from 1 to 2147483647'
bad no-tid '{"pileup": 1, "threads": [{"name": "x"}]}' 'byte 26: a thread has no "tid"'
bad nul '{"pileup": 1, "threads": [{"tid": 1, "name": "a\u0000b"}]}' 'NUL byte'
bad raw-control "$(printf '{"pileup": 1, "threads": [{"tid": 1, "name": "a\001b"}]}')" 'raw control character 0x01'
bad bad-escape '{"pileup": 1, "target": {"exe": "\q"}}' 'invalid escape \\q'
bad short-u '{"pileup": 1, "target": {"exe": "\u12"}}' '\\u needs four hex digits'
bad unterminated '{"pileup": 1, "target": {"exe": "abc' 'the string does not end'
bad pc '{"pileup": 1, "threads": [{"tid": 1, "frames": [{"pc": "12"}]}]}' '"pc" must be a hex string'
bad big-pid '{"pileup": 1, "target": {"pid": 99999999999}}' '"pid" must be an integer'
bad fraction '{"pileup": 1, "target": {"pid": 1.5}}' '"pid" must be an integer'
bad exponent '{"pileup": 1, "target": {"pid": 1e}}' 'digits in the exponent'
bad minus '{"pileup": 1, "x": -}' 'expected a number'
bad word '{"pileup": 1, "x": nul}' 'byte 19: expected a value'
bad threads-object '{"pileup": 1, "threads": {}}' 'expected an array of threads'
bad frame-string '{"pileup": 1, "threads": [{"tid": 1, "frames": ["x"]}]}' 'expected a frame object'
bad eof-array '{"pileup": 1, "threads": [' 'the array does not end'
check "errors: the message names the byte where the problem is" grep -q 'byte 13:' truncated.err

# A lone surrogate is not an error: it becomes U+FFFD.
printf '%s' '{"pileup": 1, "threads": [{"tid": 1, "name": "a\ud800b"}]}' >surrogate.json
"$PILEUP" --json=1 surrogate.json >surrogate.out 2>&1
expect_eq "a lone surrogate reads as U+FFFD" "a"$'\xef\xbf\xbd'"b" "$(jq -r '.threads[0].name' surrogate.out)"
printf '%s' '{"pileup": 1, "threads": [{"tid": 1, "name": "\ud83d\ude00 \u00e9"}]}' >pair.json
"$PILEUP" --json=1 pair.json >pair.out 2>&1
check "a surrogate pair is one character" grep -qF '"name":"😀 ' pair.out
check "\\u00e9 is read as the byte 0xe9, and written back so" grep -qF '😀 \u00e9"' pair.out

# --- every cut of a report fails cleanly ------------------------------------
# (a sanitizer failure or a crash would not exit with 2 and one line)
sweep() {
	local src=$1 step=$2 size n=0 failed=0 off
	size=$(stat -c %s "$src")
	for ((off = 1; off < size; off += step)); do
		head -c "$off" "$src" >cut.json
		"$PILEUP" --text cut.json >/dev/null 2>cut.err
		local rc=$?
		n=$((n + 1))
		if [ "$rc" != 2 ] || ! grep -q '^pileup: cut.json: byte [0-9]*: ' cut.err || [ "$(wc -l <cut.err)" != 1 ]; then
			failed=$((failed + 1))
			[ "$failed" -le 3 ] && echo "# cut at $off: exit $rc: $(head -c 300 cut.err)"
		fi
	done
	echo "# $(basename "$src"): $n cuts"
	[ "$failed" = 0 ]
}
step=1
[ "$ASAN" = 1 ] && step=3
check "cuts of hostile.json fail with one line and its byte" sweep "$TUI/hostile.json" $((41 * step))
check "cuts of waits.json fail the same way" sweep "$TUI/waits.json" $((677 * step))

# --- damaged reports never crash ---------------------------------------------
damage() {
	local src=$1 count=$2 failed=0 size off pick
	local bytes=('"' '\\' '{' '}' '[' ']' ',' ':' '0' '-' '\u0000' ' ')
	size=$(stat -c %s "$src")
	# Overwrite bytes that matter to a parser at spots chosen from a fixed seed.
	while read -r off pick; do
		cp "$src" dmg.json
		printf '%s' "${bytes[$pick]}" | dd of=dmg.json bs=1 seek="$off" conv=notrunc status=none
		"$PILEUP" --json=1 dmg.json >/dev/null 2>dmg.err
		local rc=$?
		if [ "$rc" -gt 2 ] || grep -q -e AddressSanitizer -e 'runtime error' dmg.err; then
			failed=$((failed + 1))
			echo "# damage at $off: exit $rc: $(head -c 300 dmg.err)"
		fi
	done < <(awk -v n="$count" -v size="$size" 'BEGIN { srand(42); for (i = 0; i < n; i++) printf "%d %d\n", int(rand() * size), int(rand() * 12) }')
	[ "$failed" = 0 ]
}
n=120
[ "$ASAN" = 1 ] && n=40
check "damaged go.json: never a crash ($n tries)" damage "$TUI/go.json" "$n"
check "damaged hostile.json: never a crash ($n tries)" damage "$TUI/hostile.json" "$n"

finish
