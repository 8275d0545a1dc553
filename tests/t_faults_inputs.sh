#!/bin/bash
# Inputs that lie or block, and the lines pileup prints about them (issue
# 17, F4 F5 F7 F9 F10): a tracer named with escape sequences; FIFOs given
# as a report, a core or a program; a core whose memory is zeros or was
# left out; bidi overrides in every output; a saved report listing a
# thread twice; --gcore killed mid-write; and the messages that named the
# wrong cause: a root-owned or non-dumpable target, another tracer on one
# running thread, a big-endian or x32 core.
. "$(dirname "$0")/lib.sh"

one_line() { [ "$(wc -l <"$1")" = 1 ] && grep -q '^pileup: ' "$1"; }
# raw FILE: the file holds a terminal escape (ESC, BEL) or a bidi override.
raw() { LC_ALL=C grep -q $'[\x1b\x07]\|\xe2\x80\xae\|\xe2\x81\xa6' "$1"; }

start_fixture "$FIX/waits" --condvar 4 --mutex 2 --spin 1 || exit 1
FX=$FX_PID
"$PILEUP" --json=1 "$FX" >"$TMP/live.json" || exit 1

# --- F4: a tracer's name goes through the sanitizer ----------------------------------
evil=$'\x1b]0;TRC\x07\x1b[2J'
cp "$ROOT/tests/helpers/tracer" "$TMP/$evil"
"$TMP/$evil" "$FX" >"$TMP/tracer1.out" &
tracer=$!
for ((i = 0; i < 100; i++)); do grep -qs tracing "$TMP/tracer1.out" && break; sleep 0.02; done
"$PILEUP" --stop-all "$FX" >/dev/null 2>"$TMP/f4.err"
expect_eq "tracer named with escapes: exit 2, one line" "2 yes" "$? $(one_line "$TMP/f4.err" && echo yes)"
check "... no raw escape reaches the terminal" bash -c "! LC_ALL=C grep -q \$'[\\x1b\\x07]' '$TMP/f4.err'"
check "... the name shown escaped" grep -qF 'already traced by PID '"$tracer"' (\x1b]0;TRC\x07\x1b[2J)' "$TMP/f4.err"
kill -TERM $tracer
wait $tracer 2>/dev/null

# --- F10: one running thread traced by another: that thread's tracer is named --------
spin=$(awk '$3 == "spin_loop" { print $5 }' "$FX_OUT")
"$ROOT/tests/helpers/tracer" "$spin" >"$TMP/tracer2.out" &
tracer=$!
for ((i = 0; i < 100; i++)); do grep -qs tracing "$TMP/tracer2.out" && break; sleep 0.02; done
"$PILEUP" --json=1 "$FX" >"$TMP/t1.json" 2>/dev/null
expect_eq "a running thread traced by another: the default mode says by whom" \
	"running, and already traced by PID $tracer (tracer): its registers cannot be read; detach that tracer" \
	"$(jq -r --argjson t "$spin" '.threads[] | select(.tid == $t) | .error' "$TMP/t1.json")"
"$PILEUP" --stop-all "$FX" >/dev/null 2>"$TMP/t2.err"
expect_eq "... --stop-all: exit 2, one line naming the thread and its tracer" "2 yes" "$? $(one_line "$TMP/t2.err" && echo yes)"
check "... (the thread's own tracer, not the main thread's)" \
	grep -q "thread $spin of process $FX is already traced by PID $tracer (tracer); detach that tracer first, or drop --stop-all" "$TMP/t2.err"
kill -TERM $tracer
wait $tracer 2>/dev/null
check "target not stopped" not_stopped "$FX"

# --- F10: permissions as another user --------------------------------------------------
if command -v setpriv >/dev/null; then
	chmod 755 "$TMP"
	cp "$PILEUP" "$TMP/pileup-copy" && cp "$FIX/faults" "$TMP/faults" && chmod 755 "$TMP/pileup-copy" "$TMP/faults"
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	nobody "$TMP/pileup-copy" "$FX" >/dev/null 2>"$TMP/root.err"
	expect_eq "root's process, as nobody: exit 2, one line" "2 yes" "$? $(one_line "$TMP/root.err" && echo yes)"
	check "... says run as root, once" grep -q "belongs to root and pileup runs as nobody; run pileup as root\$" "$TMP/root.err"
	start_fixture setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/faults" --workers 2 --undumpable || exit 1
	nobody "$TMP/pileup-copy" "$FX_PID" >/dev/null 2>"$TMP/dump.err"
	expect_eq "a non-dumpable process of the same user: exit 2, one line" "2 yes" "$? $(one_line "$TMP/dump.err" && echo yes)"
	check "... says it is not dumpable and only root may read it" \
		grep -q "process $FX_PID runs as nobody, as pileup does, but is not dumpable (.*), so only root may inspect it; run pileup as root" "$TMP/dump.err"
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/dump.json"
	expect_eq "... which root can" "0 2" "$? $(jq '[.threads[] | select(.wait_site.function == "fault_wait")] | length' "$TMP/dump.json")"
	stop_fixture "$FX_PID"
fi

# --- F5: a FIFO is refused, never waited on ----------------------------------------------
mkfifo "$TMP/fifo"
"$PILEUP" --gcore "$FX" -o "$TMP/c.core" 2>/dev/null || exit 1
for args in "$TMP/fifo" "--core $TMP/fifo" "diff $TMP/live.json $TMP/fifo"; do
	timeout -k 1 5 "$PILEUP" $args >/dev/null 2>"$TMP/fifo.err"
	rc=$?
	expect_eq "pileup ${args//$TMP\//}: exit 2 at once, one line" "2 yes" "$rc $(one_line "$TMP/fifo.err" && echo yes)"
	check "... saying it is a FIFO" grep -q "fifo is a FIFO; give a regular file (a core, a saved report, a Go traceback or profile" "$TMP/fifo.err"
done
timeout -k 1 5 "$PILEUP" --json=1 "$TMP/c.core" "$TMP/fifo" >/dev/null 2>"$TMP/fifo.err"
expect_eq "a FIFO as the core's program: exit 1 at once" 1 $?
check "... warning that it is not a regular file" grep -q "fifo: not a regular file; give the program that dumped the core" "$TMP/fifo.err"

# --- F7: a core whose memory is missing ---------------------------------------------------
# zero_loads CORE: the bytes of every PT_LOAD become zeros (headers and notes stay).
zero_loads() {
	readelf -lW "$1" | awk '$1 == "LOAD" { print $2, $5 }' | while read -r off size; do
		[ $((size)) -gt 0 ] && dd if=/dev/zero of="$1" bs=1M oflag=seek_bytes iflag=count_bytes seek=$((off)) count=$((size)) conv=notrunc status=none
	done
}
mkdir -p "$TMP/kc"
start_fixture bash -c 'cd "$1" && ulimit -c unlimited && exec "$2" --condvar 4 --mutex 2' sh "$TMP/kc" "$FIX/waits" || exit 1
kc_pid=$FX_PID
{
	kill -ABRT "$kc_pid"
	for ((i = 0; i < 200; i++)); do kill -0 "$kc_pid" 2>/dev/null || break; sleep 0.05; done
	wait "$kc_pid"
} 2>/dev/null
check "the kernel dumped a core" test -s "$TMP/kc/core"
"$PILEUP" --json=1 "$TMP/kc/core" >"$TMP/kc.json" 2>"$TMP/kc.err"
expect_eq "the intact kernel core: exit 0, no warning" "0 0" "$? $(wc -c <"$TMP/kc.err")"
cp "$TMP/kc/core" "$TMP/zero.core"
zero_loads "$TMP/zero.core"
"$PILEUP" --json=1 "$TMP/zero.core" >"$TMP/zero.json" 2>"$TMP/zero.err"
expect_eq "memory all zeros: exit 1" 1 $?
check "... warns that the stack memory is missing" grep -q "warning: .*zero.core lacks the stack memory of 8 of 8 threads (all zeros)" "$TMP/zero.err"
expect_eq "... and every thread says why its stack is short" 8 \
	"$(jq '[.threads[] | select(.error // "" | startswith("its stack memory in the core is all zeros"))] | length' "$TMP/zero.json")"
expect_eq "... so no wait site is claimed" 0 "$(jq '[.groups[] | select(.dominant)] | length' "$TMP/zero.json")"
# The kernel leaves the stacks out when coredump_filter says so.
start_fixture bash -c 'cd "$1" && ulimit -c unlimited && exec "$2" --condvar 4' sh "$TMP/kc" "$FIX/waits" || exit 1
kc_pid=$FX_PID
rm -f "$TMP/kc/core"
echo 0x10 >/proc/"$kc_pid"/coredump_filter # ELF headers only
{
	kill -ABRT "$kc_pid"
	for ((i = 0; i < 200; i++)); do kill -0 "$kc_pid" 2>/dev/null || break; sleep 0.05; done
	wait "$kc_pid"
} 2>/dev/null
"$PILEUP" --json=1 "$TMP/kc/core" >"$TMP/filt.json" 2>"$TMP/filt.err"
expect_eq "coredump_filter without anonymous memory: exit 1" 1 $?
check "... warns that the stack memory was left out" grep -q "lacks the stack memory of 6 of 6 threads (left out)" "$TMP/filt.err"

# --- F10: cores of other byte orders and ABIs --------------------------------------------
cp "$TMP/c.core" "$TMP/be.core"
printf '\x02' | dd of="$TMP/be.core" bs=1 seek=5 conv=notrunc status=none
"$PILEUP" "$TMP/be.core" >/dev/null 2>"$TMP/be.err"
expect_eq "EI_DATA says big-endian: exit 2, one line" "2 yes" "$? $(one_line "$TMP/be.err" && echo yes)"
check "... says the core is damaged, not that it is no core" grep -q "be.core is damaged: its header says big-endian, but its fields read as a little-endian core of an x86_64 process" "$TMP/be.err"
cp "$TMP/c.core" "$TMP/x32.core"
printf '\x01' | dd of="$TMP/x32.core" bs=1 seek=4 conv=notrunc status=none
"$PILEUP" "$TMP/x32.core" >/dev/null 2>"$TMP/x32.err"
expect_eq "ELFCLASS32 of x86_64: exit 2, one line" "2 yes" "$? $(one_line "$TMP/x32.err" && echo yes)"
check "... names the x32 ABI, not 'machine 62'" grep -q "x32.core is a core of an x32 process (x86_64 with 32-bit pointers)" "$TMP/x32.err"

# --- F9: one sanitizing rule for every output -------------------------------------------------
BIDI=$'wait_\u202egnp.exe\u2066x'
jq --arg e "$BIDI" '(.threads[].frames[], .groups[].frames[]) |= (if .function == "wait_condvar" then .function = $e else . end)' \
	"$TMP/live.json" >"$TMP/bidi.json"
"$PILEUP" --text "$TMP/bidi.json" >"$TMP/bidi.txt"
"$PILEUP" --folded "$TMP/bidi.json" >"$TMP/bidi.folded"
"$PILEUP" --json=1 --svg "$TMP/bidi.svg" "$TMP/bidi.json" >"$TMP/bidi.out.json"
# escaped_in FILE TEXT: FILE holds TEXT and no raw escape or override.
escaped_in() { ! raw "$1" && grep -qF "$2" "$1"; }
for f in txt folded svg; do
	check "bidi overrides: --${f/txt/text} shows them escaped" escaped_in "$TMP/bidi.$f" 'wait_\u{202e}gnp.exe\u{2066}x'
done
check "bidi overrides: --json=1 escapes them (\\u202e)" escaped_in "$TMP/bidi.out.json" 'wait_\u202egnp.exe\u2066x'
expect_eq "... and reads them back the same" "$BIDI" "$("$PILEUP" --json=1 "$TMP/bidi.out.json" | jq -r '[.threads[].frames[].function] | map(select(. != null and contains("gnp"))) | .[0]')"
"$PILEUP" $'/no/such/\u202eeliF' 2>"$TMP/bidi.err"
check "... and error lines escape them" escaped_in "$TMP/bidi.err" '\u{202e}eliF'

# --- F9: a thread listed twice in a saved report ------------------------------------------
jq '.threads += [.threads[0]]' "$TMP/live.json" >"$TMP/dup.json"
"$PILEUP" --json=1 "$TMP/dup.json" >"$TMP/dup.out" 2>"$TMP/dup.err"
rc=$?
expect_eq "a thread listed twice, the same: merged (counted once), exit 1" "1 $(jq '.threads | length' "$TMP/live.json")" \
	"$rc $(jq '.threads | length' "$TMP/dup.out")"
check "... with a warning saying so" grep -q "dup.json lists 1 thread record twice (thread $(jq '.threads[0].tid' "$TMP/live.json")), the same each time" "$TMP/dup.err"
expect_eq "... groups count it once" "$(jq -c '[.groups[].count]' "$TMP/live.json")" "$(jq -c '[.groups[].count]' "$TMP/dup.out")"
jq '.threads += [.threads[0] | .frames = .frames[1:]]' "$TMP/live.json" >"$TMP/dup2.json"
"$PILEUP" --json=1 "$TMP/dup2.json" >/dev/null 2>"$TMP/dup2.err"
expect_eq "a thread listed twice, differently: exit 2, one line" "2 yes" "$? $(one_line "$TMP/dup2.err" && echo yes)"
check "... naming the thread" grep -q "dup2.json lists thread $(jq '.threads[0].tid' "$TMP/live.json") twice, with different stacks" "$TMP/dup2.err"

# --- F9: a goroutine listed twice in a saved report (version 1, and version 2 --------------
# whose goroutines of one stack share it: the copy listed first owns it)
GO1=$(dirname "$0")/data/v1-go.json
"$PILEUP" --json "$GO1" >"$TMP/go2.json"
for v in 1 2; do
	in=$GO1
	[ $v = 2 ] && in=$TMP/go2.json
	n=$(jq '.goroutines | length' "$in")
	id=$(jq '.goroutines[-1].id' "$in")
	jq '.goroutines = [.goroutines[-1]] + .goroutines + [.goroutines[-1]]' "$in" >"$TMP/gdup$v.json"
	"$PILEUP" --json=1 "$TMP/gdup$v.json" >"$TMP/gdup$v.out" 2>"$TMP/gdup$v.err"
	expect_eq "v$v: a goroutine listed three times, the same: merged (counted once), exit 1" "1 $n" \
		"$? $(jq '.goroutines | length' "$TMP/gdup$v.out")"
	check "v$v: ... with a warning saying so" grep -q "gdup$v.json lists 1 goroutine more than once (goroutine $id), the same each time" "$TMP/gdup$v.err"
	expect_eq "v$v: ... groups count it once" "$(jq -c '[.groups[].count]' "$in")" "$(jq -c '[.groups[].count]' "$TMP/gdup$v.out")"
	jq '.goroutines += [.goroutines[0] | .wait_minutes = 77]' "$in" >"$TMP/gdiff$v.json"
	"$PILEUP" --json=1 "$TMP/gdiff$v.json" >/dev/null 2>"$TMP/gdiff$v.err"
	expect_eq "v$v: a goroutine listed twice, differently: exit 2, one line" "2 yes" "$? $(one_line "$TMP/gdiff$v.err" && echo yes)"
	check "v$v: ... naming the goroutine" grep -q "gdiff$v.json lists goroutine $(jq '.goroutines[0].id' "$in") twice, with different stacks or states" "$TMP/gdiff$v.err"
done

# --- F9: a Go traceback that prints a goroutine twice ---------------------------------------
# Go's GOTRACEBACK=crash output (a seed written by Go 1.27) prints goroutine 20, which a
# thread ran, twice: once among the others, once from that thread's signal handler
CR=$(dirname "$0")/../fuzz/dumps-seeds/crash-go1.27.txt
a=$(grep -n '^goroutine 20 ' "$CR" | sed -n 1p | cut -d: -f1)
b=$(grep -n '^goroutine 20 ' "$CR" | sed -n 2p | cut -d: -f1)
"$PILEUP" --json=1 "$CR" >"$TMP/cr.json" 2>"$TMP/cr.err"
expect_eq "Go's crash output printing goroutine 20 twice, the same: exit 0, each goroutine once" \
	"0 $(grep -oE '^goroutine [1-9][0-9]*' "$CR" | sort -u | wc -l) 1" \
	"$? $(jq '.goroutines | length' "$TMP/cr.json") $(jq '[.goroutines[] | select(.id == 20)] | length' "$TMP/cr.json")"
# the first record says "stack unavailable" (running on another thread), as
# tracebackothers prints it: the later one, with the stack, is kept
{ head -n "$a" "$CR"; printf '\tgoroutine running on other thread; stack unavailable\n'; sed -n "$((a + 9)),\$p" "$CR"; } >"$TMP/cr-unav.txt"
"$PILEUP" --json=1 "$TMP/cr-unav.txt" >"$TMP/cr-unav.json" 2>"$TMP/cr-unav.err"
expect_eq "... first printed as 'stack unavailable', then with its stack: exit 0, the stack kept" \
	"0 1 runtime.notetsleepg null" \
	"$? $(jq -r '[.goroutines[] | select(.id == 20)] | "\(length) \(.[0].frames[0].function) \(.[0].error)"' "$TMP/cr-unav.json")"
# the later record differs: the first is kept, with a warning
{ head -n "$b" "$CR"; echo 'runtime.other(0x1)'; sed -n "$((b + 2)),\$p" "$CR"; } >"$TMP/cr-diff.txt"
"$PILEUP" --json=1 "$TMP/cr-diff.txt" >"$TMP/cr-diff.json" 2>"$TMP/cr-diff.err"
expect_eq "... printed twice with different stacks: exit 1, the first kept" "1 1 runtime.notetsleepg" \
	"$? $(jq -r '[.goroutines[] | select(.id == 20)] | "\(length) \(.[0].frames[0].function)"' "$TMP/cr-diff.json")"
check "... with a warning naming it" grep -q "cr-diff.txt prints 1 goroutine twice with different stacks (goroutine 20): the first record of each is kept" "$TMP/cr-diff.err"

# --- F9: --gcore leaves no temporary file behind --------------------------------------------
stop_fixture "$FX"
start_fixture "$FIX/faults" --workers 4 --heap 64 || exit 1
mkdir -p "$TMP/g"
left=0
for delay in 0.05 0.1 0.2 0.3; do
	"$PILEUP" --gcore "$FX_PID" -o "$TMP/g/x.core" 2>/dev/null &
	p=$!
	sleep $delay
	kill -KILL $p 2>/dev/null
	wait $p 2>/dev/null
	n=$(ls -A "$TMP/g" | grep -vx x.core | wc -l)
	left=$((left + n))
	rm -f "$TMP/g/x.core"
done
expect_eq "--gcore SIGKILLed mid-write 4 times: no temporary file left" 0 $left
# What an older pileup (or a file system without O_TMPFILE) left is removed.
for f in x.core.pileup-Ab12Cd x.core.pileup-recent x.core.pileup-abc y.core.pileup-Zz99Zz; do
	echo partial >"$TMP/g/$f"
	chmod 600 "$TMP/g/$f"
done
touch -d '10 minutes ago' "$TMP/g/x.core.pileup-Ab12Cd" "$TMP/g/x.core.pileup-abc" "$TMP/g/y.core.pileup-Zz99Zz"
chmod 600 "$TMP/g/x.core.pileup-Ab12Cd"
"$PILEUP" --gcore "$FX_PID" -o "$TMP/g/x.core" 2>/dev/null
expect_eq "the next --gcore to that file removes the stale temporary of ours, and only it" \
	"x.core x.core.pileup-abc x.core.pileup-recent y.core.pileup-Zz99Zz" "$(ls "$TMP/g" | paste -sd' ')"
check "target not stopped" not_stopped "$FX_PID"
finish
