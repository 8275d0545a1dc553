#!/bin/bash
# The target dies while pileup reads it (issue 17, F1 and F6).  At random
# moments during --stop-all, --gcore --stop-all and the default mode, the
# target is SIGKILLed, or (every other run) ends itself with _exit (the
# fixture's answer to SIGTERM): pileup must end within a second of the
# death with one clear line (or the complete report or core it was
# finishing: every waiter at its site), leave nothing traced and no core
# or temporary file behind, and the target's parent (this shell) must be
# able to reap it at once.  Then a thread that cannot
# stop (vfork): --stop-all gives it up after TRACER_STALL_MS and reads it
# as the default mode does, and a signal to pileup ends that wait.
. "$(dirname "$0")/lib.sh"

trap '' INT # SIGINT goes to pileup below, never to this shell
N=1000
KILLS=25 # per --stop-all mode; the default mode gets 10
# How soon after the death pileup must have ended, and the parent reaped
# the target: a second.  The sanitizers' own start and exit (shadow
# memory, the leak check) take some of it on a busy 2-core machine: there
# a run that had not even looked at the target yet once ended 1.06 s after
# the kill ("no such process"), so the sanitized build gets two.
BOUND=1.0
if [ "$ASAN" = 1 ]; then
	N=500
	KILLS=13
	BOUND=2.0
fi

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# kill_during MODE SIGNAL: one run; prints "ok", "done" (finished first) or why not.
kill_during() {
	local mode=$1 sig=$2 dir=$TMP/kill
	rm -rf "$dir"
	mkdir -p "$dir"
	start_fixture "$FIX/waits" --condvar $N || { echo "fixture did not start"; return; }
	local fx=$FX_PID
	disown "$fx" # still reaped by this shell, without a "Killed" line each time
	case $mode in
	stop-all) "$PILEUP" --stop-all --json=1 "$fx" >"$dir/out" 2>"$dir/err" & ;;
	gcore) "$PILEUP" --gcore "$fx" --stop-all -o "$dir/core" >"$dir/out" 2>"$dir/err" & ;;
	nonstop) "$PILEUP" --json=1 "$fx" >"$dir/out" 2>"$dir/err" & ;;
	esac
	local p=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -"$sig" "$fx"
	local t0
	t0=$(now)
	# This shell reaps both as soon as they end, unless pileup holds the
	# target's zombie.  A hang must not hang the test: 10 s at most.
	local k t1= t2=
	for ((k = 0; k < 1000; k++)); do
		[ -z "$t1" ] && ! kill -0 $p 2>/dev/null && t1=$(now)
		[ -z "$t2" ] && ! kill -0 "$fx" 2>/dev/null && t2=$(now)
		[ -n "$t1" ] && [ -n "$t2" ] && break
		sleep 0.01
	done
	kill -KILL $p 2>/dev/null
	wait $p
	local rc=$?
	: "${t1:=$(now)}" "${t2:=$(now)}"
	local ended reaped
	ended=$(secs "$t0" "$t1")
	reaped=$(secs "$t0" "$t2")
	# A run that had read everything before the death finishes its report:
	# it may take as long as a whole run does here (BASE_S, measured below;
	# under ASan on a busy machine that is more than a second).
	local limit=$BOUND from=0
	[ $rc -le 1 ] && limit=$(awk -v b="$BASE_S" -v m="$BOUND" 'BEGIN { l = 1.5 * b + 0.5; printf "%.3f", (l > m ? l : m) }')
	# SIGTERM: the fixture _exits once it runs, and --stop-all holds it
	# until pileup lets go.  A run that finished first then saw no death:
	# the target dies after pileup's end, and is reaped within BOUND of it.
	[ "$sig" = TERM ] && [ "$mode" != nonstop ] && [ $rc -le 1 ] && limit=inf from=$ended
	if awk -v e="$ended" -v r="$reaped" -v l="$limit" -v m="$BOUND" -v f="$from" 'BEGIN { exit !((l != "inf" && e > l + 0) || r - f > m) }'; then
		echo "$mode: ended ${ended} s (limit $limit s) and reaped ${reaped} s after the kill (exit $rc: $(head -c 200 "$dir/err"))"
		return
	fi
	local leftover
	leftover=$(ls -A "$dir" | grep -v -x -e out -e err -e core)
	if [ -n "$leftover" ]; then
		echo "$mode: left $leftover behind"
		return
	fi
	if [ $rc = 2 ]; then
		# Dead (or reaped) before pileup looked: that is a clear line too.
		local want="process $fx exited during capture; nothing to report|process $fx is a zombie: .*|no such process: $fx; .*"
		[ "$mode" = gcore ] && want="process $fx exited (during capture|while its core was written); no core was written|process $fx is a zombie: .*|no such process: $fx; .*"
		if [ "$(wc -l <"$dir/err")" != 1 ] || ! grep -Eq "^pileup: ($want)\$" "$dir/err"; then
			echo "$mode: exit 2 with: $(head -c 300 "$dir/err")"
		elif [ -e "$dir/core" ]; then
			echo "$mode: failed, yet wrote $dir/core"
		else
			echo ok
		fi
		return
	fi
	if [ $rc -le 1 ]; then
		# It was done before the target died: a whole report or core.
		if [ "$mode" = gcore ]; then
			if [ "$(head -c 4 "$dir/core" 2>/dev/null | od -An -c | tr -d ' ')" != 177ELF ]; then
				echo "gcore: exit $rc without a core"
			else
				"$PILEUP" --json=1 "$dir/core" >"$dir/out" 2>"$dir/err"
				complete "$dir/out" gcore "$rc (the core read: $(head -c 200 "$dir/err"))"
			fi
		else
			complete "$dir/out" "$mode" $rc
		fi
		return
	fi
	echo "$mode: exit $rc: $(head -c 300 "$dir/err")"
}

# complete REPORT MODE RC: "done" if REPORT holds every waiter at its
# site; a process dying while it was read must never look like a whole one.
complete() {
	local at
	at=$(jq '[.threads[] | select(.wait == "condvar" and .wait_site.function == "wait_condvar")] | length' "$1" 2>/dev/null)
	if [ "$at" = "$N" ]; then
		echo done
	else
		echo "$2: exit $3 with ${at:-no} of $N waiters at their site, $(jq '.threads | length' "$1" 2>/dev/null) threads; the others: $(jq -r '[.threads[] | select(.wait_site.function != "wait_condvar") | "\(.name) \(.wait) \(.wait_site.function) \(.error)"] | group_by(.) | map("\(length) \(.[0])") | join("; ")' "$1" 2>/dev/null | head -c 400)"
	fi
}

# base MODE: how long one whole uninterrupted run of MODE takes here (s).
base() {
	start_fixture "$FIX/waits" --condvar $N || { echo 1; return; }
	local t0 t1
	t0=$(now)
	case $1 in
	stop-all) "$PILEUP" --stop-all --json "$FX_PID" >/dev/null 2>&1 ;;
	gcore) "$PILEUP" --gcore "$FX_PID" --stop-all -o "$TMP/base.core" >/dev/null 2>&1 ;;
	nonstop) "$PILEUP" --json "$FX_PID" >/dev/null 2>&1 ;;
	esac
	t1=$(now)
	kill -KILL "$FX_PID" 2>/dev/null
	wait "$FX_PID" 2>/dev/null
	rm -f "$TMP/base.core"
	secs "$t0" "$t1"
}

for mode in stop-all gcore nonstop; do
	BASE_S=$(base $mode)
	echo "# $mode: a whole run takes $BASE_S s here"
	runs=$KILLS
	[ $mode = nonstop ] && runs=10
	bad=0 died=0
	for ((i = 0; i < runs; i++)); do
		sig=KILL
		((i % 2)) && sig=TERM
		v=$(kill_during $mode $sig)
		case $v in
		ok) died=$((died + 1)) ;;
		done) ;;
		*) bad=$((bad + 1)); echo "# run $i (SIG$sig): $v" ;;
		esac
	done
	expect_eq "$mode: $runs kills and _exits at random moments: each run ends within $BOUND s with one clear line or a whole report, the parent reaps the target" 0 "$bad"
	check "$mode: some kills came mid-capture ($died of $runs)" test $died -gt 0
done

# --- the target dies after a whole capture, before the unwinding ---------------
# PILEUP_TEST_PAUSE_AFTER_CAPTURE_MS (a test hook) makes pileup say on stderr that it
# has captured and wait; the target is killed in that pause.  What the copies hold
# (registers, stacks, futex words) still gives the whole report; what needs the live
# process (an fd's file, Go's goroutine list, deeper stack bytes) makes the answer
# the one a death during the capture gets.
# after_capture NAME WANT MODE FIXTURE ARGS...: WANT is "report" or "exited".
after_capture() {
	local name=$1 want=$2 mode=$3
	shift 3
	start_fixture "$@" || { check "$name: the fixture starts" false; return; }
	local fx=$FX_PID opt=
	[ "$mode" = stop-all ] && opt=--stop-all
	: >"$TMP/ac.err"
	PILEUP_TEST_PAUSE_AFTER_CAPTURE_MS=1000 "$PILEUP" $opt --json=1 "$fx" >"$TMP/ac.json" 2>"$TMP/ac.err" &
	local p=$! k
	for ((k = 0; k < 1000; k++)); do grep -q '^pileup: test: captured, pausing$' "$TMP/ac.err" && break; sleep 0.01; done
	kill -KILL "$fx"
	wait "$fx" 2>/dev/null
	wait $p
	local rc=$?
	local msg
	msg=$(grep -v '^pileup: test: ' "$TMP/ac.err")
	if [ "$want" = report ]; then
		expect_eq "$name ($mode): killed after the capture: the whole report from the copies, exit 0" "0 $N_AC" \
			"$rc $(jq '[.threads[] | select(.wait == "condvar" and .wait_site.function == "wait_condvar")] | length' "$TMP/ac.json")"
	else
		expect_eq "$name ($mode): killed after the capture: exit 2, the line of a death during the capture" \
			"2 pileup: process $fx exited during capture; nothing to report" "$rc $msg"
	fi
}
N_AC=20
for mode in nonstop stop-all; do
	after_capture "condvar waiters" report $mode "$FIX/waits" --condvar $N_AC
	after_capture "fd waiters (their files need /proc)" exited $mode "$FIX/waits" --condvar 2 --read 2 --poll 1
	after_capture "Go (its goroutine list is in the process)" exited $mode "$FIX/go-leaks" -mutex 4 -recv 4
done

# --- a thread that cannot stop ---------------------------------------------------
start_fixture "$FIX/faults" --workers 4 --vfork || exit 1
vt=$(awk '$3 == "fault_vfork" { print $5 }' "$FX_OUT")
all_untraced() {
	! grep -h '^TracerPid:' /proc/"$1"/task/*/status 2>/dev/null | grep -vq '	0$'
}
t0=$(now)
timeout -k 1 20 "$PILEUP" --stop-all --json "$FX_PID" >"$TMP/v.json" 2>"$TMP/v.err"
rc=$?
took=$(secs "$t0" "$(now)")
check "vfork: --stop-all ends after the stall (took $took s, exit $rc)" awk -v t="$took" -v r=$rc 'BEGIN { exit !(t >= 1.9 && t < 6 && r <= 1) }'
expect_eq "vfork: the thread that could not stop is read from /proc (capture, syscall)" "syscall vfork" \
	"$(jq -r --argjson t "$vt" '.threads[] | select(.tid == $t) | "\(.capture) \(.syscall)"' "$TMP/v.json")"
expect_eq "vfork: every other thread was stopped" 6 "$(jq '[.threads[] | select(.capture == "stopped")] | length' "$TMP/v.json")"
check "vfork: afterwards no thread is traced" all_untraced "$FX_PID"
"$PILEUP" --stop-all --json "$FX_PID" >/dev/null 2>"$TMP/i.err" &
p=$!
sleep 0.5
t0=$(now)
kill -INT $p
for ((k = 0; k < 500; k++)); do kill -0 $p 2>/dev/null || break; sleep 0.01; done
took=$(secs "$t0" "$(now)")
kill -KILL $p 2>/dev/null
wait $p
rc=$?
check "vfork: SIGINT ends the wait at once ($took s)" awk -v t="$took" 'BEGIN { exit !(t < 0.5) }'
expect_eq "vfork: ... with exit 2 and one line" "2 pileup: interrupted; the target was detached and left running" "$rc $(cat "$TMP/i.err")"
check "vfork: ... and no thread is traced" all_untraced "$FX_PID"
timeout -k 1 20 "$PILEUP" --gcore "$FX_PID" --stop-all -o "$TMP/v.core" 2>"$TMP/g.err"
expect_eq "vfork: --gcore --stop-all writes the core and says it is partial (exit 1)" 1 $?
check "vfork: ... naming the thread" grep -q "warning: the core lacks the registers of 1 of its 7 threads (thread $vt did not stop" "$TMP/g.err"
check "vfork: ... and the core holds all 7 threads" test "$("$PILEUP" --json "$TMP/v.core" 2>/dev/null | jq '.threads | length')" = 7
check "vfork: target not stopped" not_stopped "$FX_PID"
finish
