#!/bin/bash
# Bad input gets one line naming the cause and the remedy, and exit code 2;
# never a crash, and never a target left stopped.
. "$(dirname "$0")/lib.sh"

# expect_error DESC PATTERN COMMAND...: exit 2, one line on stderr matching
# PATTERN, nothing on stdout.
expect_error() {
	local desc=$1 pattern=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -Eq -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
		PASS=$((PASS + 1))
		echo "ok - $desc"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $desc (exit $rc)"
		sed 's/^/#   stderr: /' "$TMP/err" | head -5
	fi
}

expect_error "not a number" "'12x' is not a process ID.*positive number" "$PILEUP" -p 12x
expect_error "no target" "no target: give a process ID" "$PILEUP"
expect_error "unknown option" "unknown option '--frobnicate'" "$PILEUP" --frobnicate 1
expect_error "option without its argument" "option -p needs an argument" "$PILEUP" -p
expect_error "--dominant out of range" "--dominant needs a number from 0 to 100" "$PILEUP" --dominant 250 1
expect_error "contradictory modes" "--stop-all and --no-stop contradict" "$PILEUP" --stop-all --no-stop 1

sleep 0.01 &
gone=$!
wait $gone
expect_error "no such process" "no such process: $gone; check the PID" "$PILEUP" "$gone"
expect_error "a kernel thread" "is a kernel thread: it has no user-space stack" "$PILEUP" 2

start_fixture "$FIX/waits" --condvar 2 --epoll 1 || exit 1
expect_error "-o into a directory that does not exist" "cannot write $TMP/no/such/file" "$PILEUP" -o "$TMP/no/such/file" "$FX_PID"

# Another user's process, as a user without privileges.
if command -v setpriv >/dev/null; then
	cp "$PILEUP" "$TMP/pileup-copy" && chmod 755 "$TMP" "$TMP/pileup-copy"
	expect_error "another user's process" "permission denied: process $FX_PID belongs to root and pileup runs as nobody; run pileup as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/pileup-copy" "$FX_PID"
fi

# Already traced: --stop-all names the tracer; the default mode needs no
# attach for blocked threads and still reports them.
"$ROOT/tests/helpers/tracer" "$FX_PID" >"$TMP/tracer.out" &
tracer=$!
for ((i = 0; i < 100; i++)); do grep -q tracing "$TMP/tracer.out" && break; sleep 0.02; done
expect_error "--stop-all on a traced process names the tracer" \
	"already traced by PID $tracer \(tracer\); detach that tracer first, or drop --stop-all" "$PILEUP" --stop-all "$FX_PID"
"$PILEUP" --json=1 "$FX_PID" >"$TMP/traced.json"
expect_eq "default mode on a traced process: complete report, every thread unwound" "0 5" "$? $(jq '[.threads[] | select(.frames | length > 2)] | length' "$TMP/traced.json")"
kill -TERM $tracer
wait $tracer 2>/dev/null
check "target not left stopped" not_stopped "$FX_PID"

# The process exits while it is being read.
PILEUP_TEST_DELAY_US=3000000 "$PILEUP" "$FX_PID" >"$TMP/out" 2>"$TMP/err" &
reader=$!
sleep 1.5 # well inside the 3 s window, even for the slower sanitizer build
kill -KILL "$FX_PID"
wait $reader
expect_eq "exited during capture: exit 2" 2 $?
check "exited during capture: says so" grep -q "exited during capture; nothing to report" "$TMP/err"

# A zombie.
bash -c 'sleep 0.01 & exec sleep 5' &
parent=$!
sleep 0.3
child=$(pgrep -P $parent sleep || ps -o pid= --ppid $parent | head -1)
if [ -n "$child" ] && grep -q '^State:.*Z' /proc/"$child"/status 2>/dev/null; then
	expect_error "a zombie" "is a zombie: it has exited" "$PILEUP" "$child"
fi
kill $parent 2>/dev/null

# --help reads like a man page; --version.
"$PILEUP" --help >"$TMP/help"
expect_eq "--help exits 0" 0 $?
check "--help has NAME, SYNOPSIS, OPTIONS, EXIT STATUS" \
	bash -c "grep -q '^NAME' '$TMP/help' && grep -q '^SYNOPSIS' '$TMP/help' && grep -q '^OPTIONS' '$TMP/help' && grep -q '^EXIT STATUS' '$TMP/help'"
check "--version" bash -c "'$PILEUP' --version | grep -Eq '^pileup [0-9]+\.[0-9]+'"
finish
