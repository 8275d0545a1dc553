#!/bin/bash
# The browser on a real terminal: tmux runs it against a live fixture,
# keys go in with send-keys and the screen comes back with capture-pane.
# Checks that the terminal is restored (alternate screen left, cursor and
# keypad back) whichever way the browser ends, that colours follow TERM and
# NO_COLOR, and that the fixture is never disturbed.
source "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/tmux_lib.sh"

# browse NAME COLSxLINES ENV... -- ARGS...: runs pileup in a tmux session,
# in a shell that prints its exit status and stays, so the terminal state
# after pileup can be inspected.
browse() {
	local name=$1 size=$2
	shift 2
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	printf '%q ' env "${envs[@]}" "$PILEUP" "$@" >"$TMP/$name.cmd"
	# The shell outlives pileup (and a Ctrl-C meant for pileup).
	tm new-session -d -s "$name" -x "${size%x*}" -y "${size#*x}" \
		"bash -c 'trap : INT; . $TMP/$name.cmd; echo pileup-exit=\$?; sleep 600'"
}

# has_colours NAME REGEX: the screen, with its attributes, matches.
has_colours() { tm capture-pane -e -p -t "$1" | grep -q -- "$2"; }
# Foreground or background colours (39 and 49 are the terminal's defaults).
no_colours() { ! has_colours "$1" $'\e\[\([0-9;]*;\)\{0,1\}\([34][0-7]\|[34]8;5;[0-9]*\)m'; }
no_256() { ! has_colours "$1" '[34]8;5;'; }
flags() { tm display -p -t "$1" '#{alternate_on} #{cursor_flag} #{keypad_flag}'; }
# The pid of pileup under the session's shell.
browser_pid() {
	local pid
	pid=$(pgrep -f -P "$(tm display -p -t "$1" '#{pane_pid}')" -- "$PILEUP")
	[ -n "$pid" ] || echo "# no pileup process in session $1" >&2
	echo "$pid"
}

restored() {
	wait_for "$1" 'pileup-exit=' || return 1
	local f
	f=$(flags "$1")
	[ "$f" = "0 1 0" ] || { echo "# terminal flags (alternate cursor keypad): $f"; return 1; }
}

start_fixture "$FIX/waits" --mutex 3 --condvar 2 --sleep 1 --epoll 2 --sigwait 1 || {
	check "the fixture starts" false
	finish
	exit
}
U8=(TERM=xterm-256color LC_ALL=C.UTF-8)

# --- a session: groups, a stack, its source, re-capture, help, q ----------
browse live 100x30 "${U8[@]}" -- "$FX_PID"
check "live: the groups show" wait_for live 'wait_mutex waits.c'
check "live: the header names the process" wait_for live "pid $FX_PID .*fixtures/bin/waits"
check "live: curses is on the alternate screen, cursor hidden, keypad on" test "$(flags live)" = "1 0 1"
tm send-keys -t live Enter
check "live: Enter opens the first group's stack" wait_for live 'wait_mutex \[wait site\]'
check "live: ... with its members" wait_for live 'Members: 3 threads'
tm send-keys -t live Enter
check "live: Enter on the wait site shows its source" wait_for live 'fixtures/waits.c'
check "live: ... the line, marked" wait_for live '^> *[0-9]* .*pthread_mutex_lock'
tm send-keys -t live Escape
sleep 0.1
tm send-keys -t live Escape
check "live: Esc Esc goes back to the groups" wait_for live 'Threads by stack'
tm send-keys -t live r
check "live: r captures again" wait_for live 'capture #2'
check "live: ... the cursor stays on the first group" wait_for live '^>\* *3 .*wait_mutex'
check "colours: 256 colours on xterm-256color" has_colours live '38;5;'
tm send-keys -t live '?'
check "live: ? shows the help" wait_for live 'Keys of the browser'
tm send-keys -t live q
check "live: q quits with 0" wait_for live 'pileup-exit=0'
check "live: the terminal is restored" restored live
stats=$(fixture_stats "$FX_PID" "$FX_OUT")
check "live: the fixture saw no EINTR ($stats)" grep -q ' eintr=0 ' <<<"$stats "
check "live: the fixture is not stopped" not_stopped "$FX_PID"
check "live: the fixture still runs" kill -0 "$FX_PID"

# --- colours follow TERM and NO_COLOR --------------------------------------
browse eight 100x30 TERM=xterm LC_ALL=C.UTF-8 -- "$FX_PID"
wait_for eight 'wait_mutex waits.c' >/dev/null
check "colours: 8 colours on xterm" has_colours eight $'\e\[[0-9;]*3[0-7]m'
check "colours: ... and no 256-colour codes" no_256 eight
any_colour() { ! no_colours "$1"; }
check "colours: (the test for colours finds them)" any_colour eight
tm send-keys -t eight q
browse mono 100x30 "${U8[@]}" NO_COLOR=1 -- "$FX_PID"
wait_for mono 'wait_mutex waits.c' >/dev/null
check "colours: NO_COLOR gives no colour at all" no_colours mono
check "colours: ... the dominant group still has its mark" wait_for mono '^>\* *3 '
check "colours: ... and the cursor row is in reverse video" has_colours mono $'^\e\[[0-9;]*7m.*>'
# --- resize: the layout follows ------------------------------------------
tm resize-window -t mono -x 60 -y 16
footer_at() { wait_for "$1" '^? Help' >/dev/null && [ "$(screen "$1" | sed -n "$2p" | cut -c1-6)" = "? Help" ]; }
check "resize: the footer moves to the new last line" footer_at mono 16
widest() { screen "$1" | LC_ALL=C.UTF-8 wc -L; }
check "resize: nothing wraps" test "$(widest mono)" -le 60
tm resize-window -t mono -x 120 -y 40
sleep 0.3
check "resize: and grows back" footer_at mono 40
tm send-keys -t mono q
check "NO_COLOR: q restores the terminal" restored mono
check "8 colours: q restores the terminal" restored eight

# --- every way out restores the terminal -----------------------------------
browse term 100x30 "${U8[@]}" -- "$FX_PID"
wait_for term 'wait_mutex waits.c' >/dev/null
kill -TERM "$(browser_pid term)"
check "SIGTERM: pileup dies of it" wait_for term 'pileup-exit=143'
check "SIGTERM: the terminal is restored" restored term

browse int 100x30 "${U8[@]}" -- "$FX_PID"
wait_for int 'wait_mutex waits.c' >/dev/null
tm send-keys -t int C-c
check "Ctrl-C: pileup dies of SIGINT" wait_for int 'pileup-exit=130'
check "Ctrl-C: the terminal is restored" restored int

browse hup 100x30 "${U8[@]}" -- "$FX_PID"
wait_for hup 'wait_mutex waits.c' >/dev/null
kill -HUP "$(browser_pid hup)"
check "SIGHUP: pileup dies of it" wait_for hup 'pileup-exit=129'
check "SIGHUP: the terminal is restored" restored hup

browse segv 100x30 "${U8[@]}" ASAN_OPTIONS=handle_segv=0 -- "$FX_PID"
wait_for segv 'wait_mutex waits.c' >/dev/null
kill -SEGV "$(browser_pid segv)"
check "SIGSEGV: pileup dies of it" wait_for segv 'pileup-exit=139'
check "SIGSEGV: the terminal is restored" restored segv

browse abrt 100x30 "${U8[@]}" -- "$FX_PID"
wait_for abrt 'wait_mutex waits.c' >/dev/null
kill -ABRT "$(browser_pid abrt)"
check "SIGABRT: pileup dies of it" wait_for abrt 'pileup-exit=134'
check "SIGABRT: the terminal is restored" restored abrt

# An error ends the browser: the terminal is restored, then one line says why.
printf 'j<Bogus>\n' >"$TMP/bad.keys"
browse err 100x30 "${U8[@]}" PILEUP_TUI_SCRIPT="$TMP/bad.keys" -- --tui "$FX_PID"
check "error: pileup exits with 2" wait_for err 'pileup-exit=2'
check "error: ... and says why" wait_for err 'unknown key <Bogus>'
check "error: the terminal is as it was" restored err

# Ctrl-Z gives the terminal back to the shell; fg brings the browser back.
tm new-session -d -s job -x 100 -y 30 "bash --norc --noprofile -i"
sleep 0.3
tm send-keys -t job "$(printf '%q ' env "${U8[@]}" "$PILEUP" "$FX_PID")" Enter
wait_for job 'wait_mutex waits.c' >/dev/null
tm send-keys -t job C-z
check "Ctrl-Z: the shell has the terminal back" wait_for job 'Stopped'
check "Ctrl-Z: ... restored" test "$(flags job)" = "0 1 0"
tm send-keys -t job fg Enter
check "fg: the browser is back" wait_for job '^>\* *3 .*wait_mutex'
check "fg: ... on its screen" test "$(flags job)" = "1 0 1"
tm send-keys -t job q
tm send-keys -t job 'echo pileup-exit=$?' Enter
check "fg: q then quits with 0" wait_for job 'pileup-exit=0'
check "fg: ... and restores the terminal" test "$(flags job)" = "0 1 0"

stats=$(fixture_stats "$FX_PID" "$FX_OUT")
check "after all sessions: the fixture saw no EINTR ($stats)" grep -q ' eintr=0 ' <<<"$stats "
check "after all sessions: the fixture is not stopped" not_stopped "$FX_PID"

# --- hostile names do not reach the terminal --------------------------------
cp "$ROOT/tests/tui/hostile.json" "$TMP/hostile.json"
tm set-option -g set-titles off 2>/dev/null
browse hostile 100x30 "${U8[@]}" -- "$TMP/hostile.json"
wait_for hostile 'Goroutines by stack' >/dev/null
tm send-keys -t hostile t Enter
check "hostile: the thread name shows as text" wait_for hostile 'pwned'
check "hostile: ... escaped" wait_for hostile '\\x1b\]0;pwned'
title=$(tm display -p -t hostile '#{pane_title}')
check "hostile: the pane title was not set by a thread name ($title)" bash -c "! grep -q -e pwned -e title <<<'$title'"
check "hostile: the screen was not cleared by an escape (the header is there)" wait_for hostile 'pileup  .*hostile.json: pid 300'
tm send-keys -t hostile q
check "hostile: q restores the terminal" restored hostile

finish
