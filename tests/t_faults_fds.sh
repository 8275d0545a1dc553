#!/bin/bash
# A hard limit of open files below the thread count (issue 17, F3): the
# capture keeps a descriptor per thread only while it has them to spare,
# so every thread is read, by --stop-all, the default mode and --gcore
# alike.  With almost no descriptors, what could not be read says so
# (never "exited"), a warning names the limit, and the exit status is 1;
# --gcore never writes a core without some threads and exits 0.
. "$(dirname "$0")/lib.sh"

N=3000
[ "$ASAN" = 1 ] && N=1500
ALL=$((N + 2)) # the condvar threads, the control thread and the heartbeat
start_fixture "$FIX/waits" --condvar $N || exit 1

# limited LIMIT CMD...: CMD with soft and hard RLIMIT_NOFILE at LIMIT and
# no descriptor inherited from the test harness.
limited() {
	local lim=$1
	shift
	(
		exec 3>&-
		ulimit -n "$lim" || exit 99
		"$@"
	)
}

waiting() {
	jq '[.threads[] | select(.wait == "condvar" and .wait_site.function == "wait_condvar" and .error == null)] | length' "$1"
}

for lim in 256 1024; do
	for mode in "" --stop-all; do
		limited $lim "$PILEUP" $mode --json=1 "$FX_PID" >"$TMP/r.json" 2>"$TMP/r.err"
		expect_eq "ulimit -n $lim, $N threads${mode:+, $mode}: exit 0, every thread read, every waiter at its site" "0 $ALL $N" \
			"$? $(jq '.threads | length' "$TMP/r.json") $(waiting "$TMP/r.json")"
	done
done
limited 256 "$PILEUP" --gcore "$FX_PID" -o "$TMP/c.core" 2>"$TMP/g.err"
expect_eq "ulimit -n 256: --gcore writes every thread (exit 0)" 0 $?
check "... and says so" grep -q "to $TMP/c.core: $ALL threads" "$TMP/g.err"
"$PILEUP" --json=1 "$TMP/c.core" >"$TMP/c.json" 2>/dev/null
expect_eq "... and the core gives every waiter at its site" "$ALL $N" "$(jq '.threads | length' "$TMP/c.json") $(waiting "$TMP/c.json")"

# Almost none: whatever is read is right, the rest says why.  A thread
# is then either at its site, not read, or read with a stack cut short
# where a module's file could not be opened; each of the last two says
# it ran out of descriptors, and so does a warning (exit 1).
bad=0
for lim in 8 12 24; do
	limited $lim "$PILEUP" --json=1 "$FX_PID" >"$TMP/l.json" 2>"$TMP/l.err"
	rc=$?
	notread=$(jq '[.threads[] | select(.error // "" | startswith("not read: pileup ran out of file descriptors"))] | length' "$TMP/l.json" 2>/dev/null)
	why=$(jq '[.threads[] | select(.error // "" | test("ran out of file descriptors"))] | length' "$TMP/l.json" 2>/dev/null)
	exited=$(jq '[.threads[] | select(.error // "" | test("exited"))] | length' "$TMP/l.json" 2>/dev/null)
	read=$(waiting "$TMP/l.json" 2>/dev/null)
	files_warned=0
	grep -q "warning: pileup ran out of file descriptors opening the program's files ($lim allowed): .*raise 'ulimit -n'" "$TMP/l.err" && files_warned=1
	if [ $rc = 2 ]; then
		# Nothing at all: one line with the remedy.
		[ "$(wc -l <"$TMP/l.err")" = 1 ] && grep -q "ulimit -n" "$TMP/l.err" || { bad=$((bad + 1)); echo "# ulimit -n $lim: exit 2: $(cat "$TMP/l.err")"; }
	elif [ "$exited" != 0 ] || [ $((why + read)) -lt $N ]; then
		bad=$((bad + 1))
		echo "# ulimit -n $lim: $exited called exited, $why say they ran out of descriptors ($notread not read), $read read of $N"
		jq -r '[.threads[] | .error // "none"] | group_by(.) | map("#   \(length) \(.[0])") | .[]' "$TMP/l.json" 2>/dev/null | head -5
	elif [ "$notread" -gt 0 ] && ! { [ $rc = 1 ] && grep -q "warning: $notread of $ALL threads could not be read (file descriptors: $lim allowed); raise 'ulimit -n'" "$TMP/l.err"; }; then
		bad=$((bad + 1))
		echo "# ulimit -n $lim: $notread not read, exit $rc: $(head -c 300 "$TMP/l.err")"
	elif [ "$why" -gt "$notread" ] && ! { [ $rc = 1 ] && [ $files_warned = 1 ]; }; then
		bad=$((bad + 1))
		echo "# ulimit -n $lim: $((why - notread)) stacks cut short for want of descriptors, exit $rc: $(head -c 300 "$TMP/l.err")"
	elif [ "$why" = 0 ] && [ $rc != 0 ] && ! { [ $rc = 1 ] && [ $files_warned = 1 ]; }; then
		bad=$((bad + 1))
		echo "# ulimit -n $lim: all read, yet exit $rc: $(head -c 300 "$TMP/l.err")"
	fi
	limited $lim "$PILEUP" --gcore "$FX_PID" -o "$TMP/l.core" 2>"$TMP/lg.err"
	rc=$?
	if [ $rc = 0 ] && ! grep -q ": $ALL threads" "$TMP/lg.err"; then
		bad=$((bad + 1))
		echo "# ulimit -n $lim: --gcore exit 0 without every thread: $(cat "$TMP/lg.err")"
	elif [ $rc = 1 ] && ! grep -q "warning: the core lacks the registers of" "$TMP/lg.err"; then
		bad=$((bad + 1))
		echo "# ulimit -n $lim: --gcore exit 1 without saying why: $(cat "$TMP/lg.err")"
	elif [ $rc = 2 ] && ! grep -q "ulimit -n" "$TMP/lg.err"; then
		bad=$((bad + 1))
		echo "# ulimit -n $lim: --gcore exit 2: $(cat "$TMP/lg.err")"
	fi
	rm -f "$TMP/l.core"
done
expect_eq "ulimit -n 8, 12, 24: no thread called exited, what was not read says why, exit and warning agree" 0 $bad
check "target not stopped" not_stopped "$FX_PID"
finish
