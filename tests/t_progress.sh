#!/bin/bash
# Progress on stderr (inspector/progress.c): on a terminal, long work shows
# one updating line, erased when done; on a pipe or a file, nothing.  The
# wait between --watch captures on a real terminal (tmux), and the same
# runs (and reading many goroutines) with stderr piped.
source "$(dirname "$0")/lib.sh"

WAIT_FOR_S=60
. "$(dirname "$0")/tmux_lib.sh"

if ! start_fixture "$FIX/waits" --mutex 2 --condvar 2; then
	check "the fixture starts" false
	finish
	exit
fi

# --- a terminal: the wait for the next capture, counted down --------------
printf '%q ' "$PILEUP" --watch 4 --count 2 --text -o "$TMP/tty.txt" "$FX_PID" >"$TMP/watch.cmd"
tm new-session -d -s watch -x 120 -y 20 "bash -c '. $TMP/watch.cmd; echo pileup-exit=\$?; sleep 600'"
check "tty: the wait for the next capture is shown" wait_for watch 'pileup: --watch: capture 2 in [1-4] s'
check "tty: ... on one line, counted down" wait_for watch 'pileup: --watch: capture 2 in [1-3] s'
check "tty: the run ends" wait_for watch 'pileup-exit=[01]'
check "tty: ... and the line is gone" bash -c "! tmux -L $TMUX_SOCK -f /dev/null capture-pane -p -t watch | grep -q 'capture 2 in'"
check "tty: the report went to its file" grep -q 'captures over' "$TMP/tty.txt"

# --- a pipe: nothing ------------------------------------------------------
"$PILEUP" --watch 1 --count 2 --text -o "$TMP/pipe.txt" "$FX_PID" 2>"$TMP/pipe.err" | cat
expect_eq "pipe: --watch exit 0" 0 "${PIPESTATUS[0]}"
check "pipe: no progress line on stderr ($(head -c 200 "$TMP/pipe.err"))" bash -c "! grep -q 'capture 2 in' '$TMP/pipe.err'"
check "pipe: ... and no escape sequence" bash -c "! LC_ALL=C grep -q \$'\\x1b' '$TMP/pipe.err'"
"$PILEUP" --watch 1 --count 2 --text -o "$TMP/file.txt" "$FX_PID" 2>"$TMP/file.err"
check "file: no progress line on stderr" bash -c "! grep -q 'capture 2 in' '$TMP/file.err'"
stop_fixture "$FX_PID"

# Reading many goroutines: the line is drawn only on a terminal.
N=50000
[ "$ASAN" = 1 ] && N=10000
if start_fixture "$FIX/go-leaks" -first-error "$N"; then
	"$PILEUP" --text -o "$TMP/go.txt" "$FX_PID" 2>"$TMP/go.err" | cat
	expect_eq "pipe: $N goroutines read (exit 0)" 0 "${PIPESTATUS[0]}"
	check "pipe: ... no progress line" bash -c "! grep -q 'reading goroutines' '$TMP/go.err'"
	check "pipe: ... and no escape sequence" bash -c "! LC_ALL=C grep -q \$'\\x1b' '$TMP/go.err'"
	stop_fixture "$FX_PID"
else
	check "the Go fixture starts" false
fi
finish
