#!/bin/bash
# The curses browser, scripted: keys from tests/tui/*.keys, curses drawing
# to a virtual screen without colours, screen dumps compared with
# tests/tui/*.expected.  The snapshots are saved reports checked in under
# tests/tui (scrubbed of pids, addresses and timings), so the dumps do not
# depend on the machine.  PILEUP_TUI_UPDATE=1 rewrites the expected dumps.
source "$(dirname "$0")/lib.sh"
TUI=$ROOT/tests/tui

# A copy of a snapshot in the current directory; go.json's sources point
# into tests/tui/shop, and ./tui is tests/tui, so that a case given
# "--source-dir tui" finds them (a saved report's sources are read only from
# there) under a name that does not depend on the checkout's path.
place_json() {
	sed "s|/src/shop/|$TUI/shop/|g" "$TUI/$1" >"$1"
	ln -sfn "$TUI" tui
}

# run_script KEYS JSON SIZE LANG [ARGS...]: runs the browser in the current directory.
run_script() {
	local keys=$1 json=$2 size=$3 lang=$4
	shift 4
	LC_ALL=$lang PILEUP_TUI_SIZE=$size PILEUP_TUI_SCRIPT=$keys "$PILEUP" --tui "$json" "$@" </dev/null >out.txt 2>err.txt
}

# The same screen text whatever the checkout's path.
normalize() {
	sed "s|$ROOT|@ROOT@|g" "$1"
}

compare_dump() {
	local name=$1 want=$TUI/$1.expected
	if [ "${PILEUP_TUI_UPDATE:-0}" = 1 ]; then
		normalize "$name" >"$want"
	fi
	if [ ! -f "$want" ]; then
		check "dump $name has an expected file" false
		return
	fi
	if normalize "$name" | diff -u "$want" - >diff.txt; then
		check "dump $name matches" true
	else
		check "dump $name matches" false
		sed 's/^/#   /' diff.txt | head -40
	fi
}

# --- the scripted cases: every :dump of every tests/tui/*.keys ------------
for keys in "$TUI"/*.keys; do
	case=$(basename "$keys" .keys)
	header=$(grep -m1 '^#@ ' "$keys")
	json=$(sed -n 's/.*json=\([^ ]*\).*/\1/p' <<<"$header")
	size=$(sed -n 's/.*size=\([^ ]*\).*/\1/p' <<<"$header")
	lang=$(sed -n 's/.*lang=\([^ ]*\).*/\1/p' <<<"$header")
	args=$(sed -n 's/.* args=\(.*\)$/\1/p' <<<"$header")
	dir=$TMP/$case
	mkdir -p "$dir"
	(
		cd "$dir" || exit 1
		place_json "$json"
		run_script "$keys" "$json" "$size" "$lang" $args
		rc=$?
		check "$case: the browser exits 0 at q" test "$rc" = 0
		[ "$rc" = 0 ] || sed 's/^/#   /' err.txt
		for name in $(awk '$1 == ":dump" { print $2 }' "$keys"); do
			compare_dump "$name"
		done
		echo "$PASS $FAIL" >counts
	)
	read -r p f <"$dir/counts" || { p=0; f=1; }
	# The subshell counted on from the totals before it.
	PASS=$p
	FAIL=$f
done

# --- hostile names reach the screen as text ------------------------------
cd "$TMP/hostile" || exit 1
check "hostile: no ESC, BEL or C1 byte on any screen" \
	bash -c "! LC_ALL=C grep -q \$'[\\x1b\\x07\\x9b]' hostile-main hostile-go hostile-threads"
check "hostile: the escape in the thread name is shown as \\x1b" grep -qF '\x1b]0;pwned' hostile-threads
check "hostile: the bidi override is shown as \\u{202e}" grep -qF '\u{202e}gnp.exe' hostile-threads
check "hostile: invalid UTF-8 is shown as \\xff" grep -qF 'bad-utf8:\xff' hostile-threads

# --- r on a saved report reads it again: +N/-N per group, cursor kept -----
mkdir -p "$TMP/reload" && cd "$TMP/reload" || exit 1
cp "$TUI/waits.json" cur.json
# The second capture: mutex-4 and mutex-5 gone, a sixth condvar waiter,
# and the poll thread gone (its group too).
jq '.threads |= (map(select(.name != "poll-0" and .name != "mutex-4" and .name != "mutex-5"))
	+ [(map(select(.name == "condvar-0"))[0] | .tid = 4300 | .name = "condvar-5")]) | del(.groups)' \
	"$TUI/waits.json" >next.json
mkfifo keys.fifo
LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=80x24 PILEUP_TUI_SCRIPT=keys.fifo "$PILEUP" --tui cur.json </dev/null >out.txt 2>err.txt &
tui_pid=$!
exec 4>keys.fifo
printf 'j\n:dump before\n' >&4
for ((i = 0; i < 100; i++)); do [ -s before ] && break; sleep 0.1; done
cp next.json cur.json
printf 'r\n:dump reload\n<Enter>\n:dump reload-stack\nq\n' >&4
exec 4>&-
wait "$tui_pid"
check "reload: the browser exits 0" test $? = 0
check "reload: the cursor was on the condvar group" grep -q '^>\*    5 .*condvar' before
compare_dump reload
compare_dump reload-stack
check "reload: the cursor stays on the condvar group, now first" grep -q '^>\*    6     +1 .*condvar' reload
check "reload: the mutex group shows -2" grep -q '^ \*    4     -2 .*wait_mutex' reload
check "reload: the gone poll group is counted" grep -q '1 group gone' reload

# --- s saves the snapshot; pileup FILE.json opens it ----------------------
mkdir -p "$TMP/save" && cd "$TMP/save" || exit 1
cp "$TUI/waits.json" .
printf 's<C-u>saved.json<Enter>\n:dump saved-message\nq\n' >save.keys
run_script save.keys waits.json 80x24 C.UTF-8
check "save: exits 0" test $? = 0
check "save: the footer says where" grep -q 'saved saved.json; open it with: pileup saved.json' saved-message
groups() { jq -c '[.groups[] | {kind, count, wait, wait_site, blocking_call, members}] | sort_by(.members)' "$1"; }
expect_eq "save: the saved report has the same groups" "$(groups waits.json)" "$(groups saved.json)"
check "save: pileup FILE.json reads it back" "$PILEUP" --text saved.json -o text.txt
check "save: ... with its groups" grep -q '6 threads (27.3%)  mutex  \*\* DOMINANT' text.txt
# Saving over a file asks first; 'n' keeps it.
echo keep >keep.json
printf 's<C-u>keep.json<Enter>n<Enter>\n:dump not-saved\nq\n' >keep.keys
run_script keep.keys waits.json 80x24 C.UTF-8
check "save: overwriting asks, and n keeps the file" test "$(cat keep.json)" = keep
check "save: ... and says so" grep -q 'not saved' not-saved
printf 's<C-u>keep.json<Enter>y<Enter>\nq\n' >over.keys
run_script over.keys waits.json 80x24 C.UTF-8
check "save: y overwrites (with a version 2 report)" jq -e '.pileup == 2' keep.json >/dev/null

# --- choosing the browser, and its errors ---------------------------------
cd "$TMP" || exit 1
cp "$TUI/waits.json" .
"$PILEUP" waits.json </dev/null >piped.txt 2>&1
check "piped stdout gives the text report, not the browser" grep -q '^Thread groups (identical stacks' piped.txt
check "... without curses output" bash -c "! grep -q \$'\\x1b' piped.txt"
"$PILEUP" --tui -o x.txt waits.json >/dev/null 2>err.txt
check "--tui with -o is a usage error" test $? = 2
check "... that says why" grep -q -- '--tui browses on the terminal' err.txt
printf 'j<Nope>\n' >bad.keys
LC_ALL=C.UTF-8 PILEUP_TUI_SCRIPT=bad.keys "$PILEUP" --tui waits.json </dev/null >out.txt 2>err.txt
check "a bad script key fails with 2" test $? = 2
check "... naming the file, line and key" grep -q 'bad.keys:1: unknown key <Nope>' err.txt
PILEUP_TUI_SIZE=huge PILEUP_TUI_SCRIPT=bad.keys "$PILEUP" --tui waits.json </dev/null >out.txt 2>err.txt
check "a bad PILEUP_TUI_SIZE fails with 2" test $? = 2
printf ':dump /nonexistent/dir/x\n' >nodump.keys
PILEUP_TUI_SCRIPT=nodump.keys "$PILEUP" --tui waits.json </dev/null >out.txt 2>err.txt
check "a dump that cannot be written fails with 2" test $? = 2
: >empty.keys
PILEUP_TUI_SCRIPT=empty.keys "$PILEUP" --tui waits.json </dev/null >out.txt 2>err.txt
check "the end of a script quits cleanly" test $? = 0

# --- a live process: r captures again, the target stays undisturbed -------
if start_fixture "$FIX/waits" --mutex 3 --condvar 2 --sleep 1 --epoll 2 --sigwait 1; then
	mkdir -p "$TMP/live" && cd "$TMP/live" || exit 1
	printf 'j\n:dump live-1\nr\n:dump live-2\n<Enter>\n:dump live-stack\n/wait_condvar<Enter>\nq\n' >live.keys
	LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=100x30 PILEUP_TUI_SCRIPT=live.keys "$PILEUP" --tui "$FX_PID" </dev/null >out.txt 2>err.txt
	check "live: exits 0" test $? = 0
	check "live: the header names the process" grep -q "pid $FX_PID  .*fixtures/bin/waits" live-1
	check "live: the mutex site is dominant" grep -q '^ \*    3 .*mutex *wait_mutex waits.c' live-1
	check "live: r made a second capture" grep -q 'capture #2' live-2
	nthreads=$(awk '$1 == "site" { n += $4 } END { print n }' "$FX_OUT")
	check "live: ... with the thread count unchanged" grep -q "^ $nthreads threads (+0)" live-2
	check "live: ... and the cursor on the same group" grep -q '^>[ *] *2 .*condvar' live-2
	check "live: the stack is the condvar's" grep -q 'wait_condvar \[wait site\]' live-stack
	stats=$(fixture_stats "$FX_PID" "$FX_OUT")
	check "live: the fixture saw no EINTR ($stats)" grep -q ' eintr=0 ' <<<"$stats "
	check "live: no thread of the fixture is left stopped" not_stopped "$FX_PID"
	check "live: the fixture still runs" kill -0 "$FX_PID"
else
	check "live: the fixture starts" false
fi

# --- a core: the crash is marked; r says a core does not change ----------
mkdir -p "$TMP/core" && cd "$TMP/core" || exit 1
bash -c 'ulimit -c unlimited; "$0" segv --core >crash.out 2>&1; true' "$FIX/crash" 2>/dev/null
if [ -s core ]; then
	crash_tid=$(awk '$1 == "site" && $3 == "crash_segv" { print $5 }' crash.out)
	printf ':dump core-main\n/crash_segv<Enter><Enter>\n:dump core-stack\n<Esc>r\n:dump core-r\nq\n' >core.keys
	run_script core.keys core 80x24 C.UTF-8
	check "core: the browser opens it" test $? = 0
	check "core: the header names the core and the crash" grep -q "core core  pid .*fixtures/bin/crash" core-main
	check "core: ... which thread got which signal" grep -q "CRASHED: thread ${crash_tid:-?}, SIGSEGV at 0x10" core-main
	check "core: the crashed group is marked !" grep -q '^ !    1 .*crash_segv crash.c' core-main
	check "core: its stack is the crashing thread's" grep -q "tid ${crash_tid:-?} .* CRASHED" core-stack
	check "core: r explains that a core does not change" grep -q 'a core file does not change' core-r
	check "core: the footer offers no recapture" bash -c "! grep -q 'r Recapture' core-main"
else
	check "core: the crash fixture dumped a core (core_pattern: $(cat /proc/sys/kernel/core_pattern))" false
fi

# --- 100,000 goroutines and 10,000 threads open and scroll without lag ----
ng=100000 nt=10000
[ "$ASAN" = 1 ] && ng=20000 nt=2000
mkdir -p "$TMP/big" && cd "$TMP/big" || exit 1
"$TUI/gen_big.sh" "$ng" "$nt" >big.json
moves=""
for ((i = 0; i < 200; i++)); do
	moves+="<PgDn><PgDn><Down><End><PgUp><Home><Enter><End><PgUp><Esc>"
done
# The dumps' times measure the keys alone, inside one run.
printf ':dump big-open\n%s\n:dump big-moved\n<Enter><End>\n:dump big-scrolled\n<Esc>t<End><Enter><End>\n:dump big-threads\nq\n' \
	"$moves" >scroll.keys
t0=$(date +%s%N)
run_script scroll.keys big.json 120x40 C.UTF-8
rc=$?
t1=$(date +%s%N)
ms() { stat -c %.9Y "$1" | awk '{ printf "%.0f", $1 * 1000 }'; }
open_ms=$(($(ms big-open) - t0 / 1000000))
keys_ms=$(($(ms big-moved) - $(ms big-open)))
echo "# big: $ng goroutines, $nt threads: open ${open_ms} ms; 2000 keys ${keys_ms} ms; all $(((t1 - t0) / 1000000)) ms"
check "big: opens" test "$rc" = 0
check "big: shows every goroutine group" grep -q "Goroutines by stack: $((ng / 2 + 1)) groups" big-open
check "big: the half that shares a stack is dominant" grep -q "^>\* *$((ng / 2)) .*main.worker" big-open
check "big: scrolling to the last member of the largest group" grep -q "goroutine $((ng - 1)) " big-scrolled
check "big: threads, last member" grep -q "tid $((1000 + nt - 1)) " big-threads
# The times above are notes, not checks: how fast the browser is at scale is
# measured in tests/bench, side by side, never as a timed test here.

finish
