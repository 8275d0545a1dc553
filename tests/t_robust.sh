#!/bin/bash
# Whatever happens to pileup or the target mid-capture, the target is
# never left stopped or traced: SIGINT, SIGTERM and SIGHUP during a
# --stop-all capture, and threads that appear and exit while being read.
. "$(dirname "$0")/lib.sh"

# pileup dies of SIGINT when it arrives after the capture (the usual Ctrl-C
# behaviour); bash would then act as if it had been interrupted itself.
trap '' INT
N=3000
[ "$ASAN" = 1 ] && N=1000
start_fixture "$FIX/waits" --condvar $N --epoll 4 || exit 1
interrupted=0
completed=0
for sig in INT TERM HUP; do
	for delay in 0.01 0.03 0.06 0.1 0.2; do
		"$PILEUP" --stop-all --json=1 "$FX_PID" >"$TMP/s.json" 2>"$TMP/s.err" &
		p=$!
		sleep $delay
		kill -$sig $p 2>/dev/null
		wait $p
		rc=$?
		if [ $rc -eq 2 ] && grep -q "interrupted; the target was detached and left running" "$TMP/s.err"; then
			interrupted=$((interrupted + 1))
		elif [ $rc -eq 0 ] || [ $rc -gt 128 ]; then
			completed=$((completed + 1)) # finished first, or killed after detaching
		else
			echo "# SIG$sig after ${delay}s: exit $rc: $(cat "$TMP/s.err")"
		fi
		check "SIG$sig after ${delay}s: target not stopped or traced" not_stopped "$FX_PID"
	done
done
check "some signals arrived mid-capture ($interrupted interrupted, $completed completed)" test "$interrupted" -gt 0
stats=$(fixture_stats "$FX_PID" "$FX_OUT")
check "fixture alive and answering after all that" test -n "$stats"
stop_fixture "$FX_PID"

# Threads that come and go while pileup reads them.
start_fixture "$FIX/waits" --churn 4 --condvar 5 --sleep 2 || exit 1
bad=0
for ((i = 0; i < 20; i++)); do
	for mode in "" --stop-all; do
		"$PILEUP" --json=1 $mode "$FX_PID" >"$TMP/c.json" 2>"$TMP/c.err"
		rc=$?
		if [ $rc -gt 1 ]; then
			bad=$((bad + 1))
			echo "# churn run $i $mode: exit $rc: $(head -c 300 "$TMP/c.err")"
		elif [ "$(jq '[.threads[] | select(.wait_site.function == "wait_condvar" and .wait == "condvar")] | length' "$TMP/c.json")" != 5 ]; then
			bad=$((bad + 1))
			echo "# churn run $i $mode: the 5 condvar threads not all found"
		fi
	done
	not_stopped "$FX_PID" || bad=$((bad + 1))
done
expect_eq "40 captures while threads appear and exit: a report each time, parked threads intact, target never left stopped" 0 "$bad"
finish
