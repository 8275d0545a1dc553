#!/bin/bash
# Threads that exit while --stop-all seizes them (issue 17, F2).  The
# kernel refuses to ptrace an exiting thread with EPERM, as it refuses
# another tracer's thread; an exiting thread must be skipped like one that
# is gone, never reported as "run as root".  1,000 captures of a process
# whose threads keep exiting, then a process whose main thread has exited
# (pthread_exit: a zombie that stays in the thread list while the others
# run), which every capture meets, and a thread whose exit a tracer never
# collects (its zombie answers EPERM every time).
. "$(dirname "$0")/lib.sh"

RUNS=1000
[ "$ASAN" = 1 ] && RUNS=300

# runs COUNT DIR: COUNT --stop-all captures into DIR/N.json; prints the
# number of runs that failed (exit > 1), with the first failure's message.
runs() {
	local n=$1 dir=$2 bad=0 i
	mkdir -p "$dir"
	for ((i = 0; i < n; i++)); do
		"$PILEUP" --stop-all --json=1 "$FX_PID" >"$dir/$i.json" 2>"$dir/err"
		if [ $? -gt 1 ]; then
			[ $bad = 0 ] && echo "# run $i: $(head -c 300 "$dir/err")" >&2
			bad=$((bad + 1))
		fi
	done
	echo $bad
}

# workers DIR: how many runs found all 5 workers at their site, as "N ok".
workers() {
	jq -r '[.threads[] | select(.wait == "condvar" and .wait_site.function == "fault_wait")] | length' "$1"/*.json 2>/dev/null |
		awk '$1 == 5 { ok++ } END { print ok + 0, "ok" }'
}

# A thread that exited while another tracer holds it: a zombie until that
# tracer reaps it, refused with EPERM at every seize.
start_fixture "$FIX/faults" --workers 5 --linger 500 || exit 1
lt=$(awk '$3 == "fault_linger" { print $5 }' "$FX_OUT")
"$ROOT/tests/helpers/tracer" "$lt" >"$TMP/tracer.out" &
tracer=$!
for ((i = 0; i < 300; i++)); do grep -q '^State:.*Z' /proc/"$FX_PID"/task/"$lt"/status 2>/dev/null && break; sleep 0.01; done
check "the lingering thread is a zombie its tracer holds" grep -q '^State:.*Z' /proc/"$FX_PID"/task/"$lt"/status
bad=$(runs 10 "$TMP/zombie")
expect_eq "10 --stop-all captures skip the zombie thread: none fails" 0 "$bad"
expect_eq "... each finds the 5 waiting threads" "10 ok" "$(workers "$TMP/zombie")"
kill -TERM $tracer
wait $tracer 2>/dev/null
check "... and leaves the target running, untraced" not_stopped "$FX_PID"
stop_fixture "$FX_PID"

start_fixture "$FIX/faults" --workers 5 --churn 4 || exit 1
bad=$(runs $RUNS "$TMP/churn")
expect_eq "$RUNS --stop-all captures while threads keep exiting: none fails" 0 "$bad"
expect_eq "... each finds the 5 waiting threads" "$RUNS ok" "$(workers "$TMP/churn")"
check "... and leaves the target running, untraced" not_stopped "$FX_PID"
stop_fixture "$FX_PID"

start_fixture "$FIX/faults" --workers 5 --churn 2 --main-exits || exit 1
leader=$FX_PID
# The main thread exits just after "ready": the captures below are of a
# process whose leader is already a zombie (one that began as it exited
# found its /proc/PID/root gone half-way: no module could be opened).
for ((i = 0; i < 300; i++)); do grep -q '^State:.*Z' /proc/"$leader"/status 2>/dev/null && break; sleep 0.01; done
bad=$(runs 30 "$TMP/exited")
expect_eq "main thread exited: 30 --stop-all captures, none fails" 0 "$bad"
expect_eq "... each finds the 5 waiting threads" "30 ok" "$(workers "$TMP/exited")"
expect_eq "... and none lists the exited main thread" 0 "$(jq --argjson l "$leader" '[.threads[] | select(.tid == $l)] | length' "$TMP"/exited/*.json | sort -u | paste -sd' ')"
"$PILEUP" --json=1 "$FX_PID" >"$TMP/nonstop.json" 2>"$TMP/nonstop.err"
expect_eq "main thread exited: the default mode reads it too (exit 0 or 1, threads at their site)" "ok 5" \
	"$([ $? -le 1 ] && echo ok) $(jq '[.threads[] | select(.wait == "condvar" and .wait_site.function == "fault_wait")] | length' "$TMP/nonstop.json")"
"$PILEUP" --gcore "$FX_PID" --stop-all -o "$TMP/exited.core" 2>"$TMP/gcore.err"
expect_eq "main thread exited: --gcore --stop-all writes a core whose 5 workers unwind" "ok 5" \
	"$([ $? -le 1 ] && echo ok) $("$PILEUP" --json=1 "$TMP/exited.core" 2>/dev/null | jq '[.threads[] | select(.wait_site.function == "fault_wait")] | length')"
check "main thread exited: target not stopped" not_stopped "$FX_PID"
finish
