#!/usr/bin/env bash
# tests/bench/soak.sh - the long soak of issue 17, F1: the target is
# SIGKILLed (every other time: ends itself with _exit, the fixture's
# answer to SIGTERM) at a random moment while pileup captures it,
# SOAK_KILLS times (default 10,000), in turn during --stop-all, --gcore
# --stop-all and the default mode.  For occasional runs (45-50 minutes at the defaults here, 2026-12-02);
# tests/t_faults_kill.sh runs 60 kills of the same kind in make check.
#
# Each kill must end pileup within SOAK_LIMIT seconds (default 1) with one
# clear line (the target exited during capture, or was gone before pileup
# looked), or with the complete report or core it was finishing (every
# waiter at its site); the target's parent (this script) must reap it
# within the same limit (after SIGTERM, of pileup's end when pileup held
# it: it can only _exit once let go), and
# --gcore must leave no core and no temporary file when it failed.  Prints
# a summary (and writes it to SOAK_OUT when set): kills per outcome, the
# slowest end and reap, every failure's first line.
#
# Environment: PILEUP (binary, default ./pileup), SOAK_KILLS, SOAK_THREADS
# (threads of the fixture, default 1000), SOAK_LIMIT, SOAK_OUT, SOAK_KEEP
# (a directory: each failed run's output and error lines are kept there).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
FIX=$ROOT/fixtures/bin/waits
KILLS=${SOAK_KILLS:-10000}
THREADS=${SOAK_THREADS:-1000}
LIMIT=${SOAK_LIMIT:-1}
OUT=${SOAK_OUT:-}
KEEP=${SOAK_KEEP:-}
for f in "$PILEUP" "$FIX"; do
	[ -x "$f" ] || { echo "soak: $f is missing; run 'make pileup fixtures'" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "soak: jq is missing; run scripts/deps.sh test" >&2; exit 2; }

TMP=$(mktemp -d /tmp/pileup-soak.XXXXXX)
FX_PID=
P=
cleanup() {
	[ -n "$P" ] && kill -KILL "$P" 2>/dev/null
	[ -n "$FX_PID" ] && kill -KILL "$FX_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "soak: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }

start_fixture() {
	# A fresh file: the last fixture's "ready" must not be read as this one's
	# (the new one truncates the file only once it runs).
	rm -f "$TMP/fx.out"
	"$FIX" --condvar "$THREADS" >"$TMP/fx.out" 2>/dev/null &
	FX_PID=$!
	disown $FX_PID # still reaped by this shell, without a "Killed" line each time
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q '^ready ' "$TMP/fx.out" 2>/dev/null && return 0
		kill -0 "$FX_PID" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

declare -A count
failures=()
slow_end=0 slow_reap=0
modes=(stop-all gcore nonstop)
for ((n = 0; n < KILLS; n++)); do
	if ((n && n % 500 == 0)); then
		echo "soak: $n of $KILLS kills, ${#failures[@]} failures" >&2
	fi
	mode=${modes[n % 3]}
	sig=KILL
	((n / 3 % 2)) && sig=TERM
	dir=$TMP/run
	rm -rf "$dir"
	mkdir -p "$dir"
	start_fixture || { echo "soak: the fixture did not start" >&2; exit 2; }
	fx=$FX_PID
	case $mode in
	stop-all) "$PILEUP" --stop-all --json=1 "$fx" >"$dir/out" 2>"$dir/err" & ;;
	gcore) "$PILEUP" --gcore "$fx" --stop-all -o "$dir/core" >"$dir/out" 2>"$dir/err" & ;;
	nonstop) "$PILEUP" --json=1 "$fx" >"$dir/out" 2>"$dir/err" & ;;
	esac
	P=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -"$sig" "$fx"
	t0=$(now) t1= t2=
	for ((k = 0; k < 3000; k++)); do # 30 s at most: a hang is a failure, not the end of the soak
		[ -z "$t1" ] && ! kill -0 $P 2>/dev/null && t1=$(now)
		[ -z "$t2" ] && ! kill -0 "$fx" 2>/dev/null && t2=$(now)
		[ -n "$t1" ] && [ -n "$t2" ] && break
		sleep 0.01
	done
	kill -KILL $P 2>/dev/null
	wait $P
	rc=$?
	P=
	: "${t1:=$(now)}" "${t2:=$(now)}"
	FX_PID=
	ended=$(secs "$t0" "$t1")
	reaped=$(secs "$t0" "$t2")
	slow_end=$(max "$slow_end" "$ended")
	slow_reap=$(max "$slow_reap" "$reaped")
	verdict=
	from=0 elimit=$LIMIT
	[ $sig = TERM ] && [ $mode != nonstop ] && [ $rc -le 1 ] && from=$ended elimit=inf
	if awk -v e="$ended" -v r="$reaped" -v l="$LIMIT" -v el="$elimit" -v f="$from" 'BEGIN { exit !((el != "inf" && e > l) || r - f > l) }'; then
		verdict="ended ${ended} s, reaped ${reaped} s after the kill"
	elif [ -n "$(ls -A "$dir" | grep -v -x -e out -e err -e core)" ]; then
		verdict="left $(ls -A "$dir" | grep -v -x -e out -e err -e core | head -1)"
	elif [ $rc = 2 ]; then
		if [ "$(wc -l <"$dir/err")" = 1 ] &&
			grep -Eq "^pileup: (process $fx exited (during capture|while its core was written); (nothing to report|no core was written)|process $fx is a zombie: .*|no such process: $fx; .*)\$" "$dir/err" &&
			[ ! -e "$dir/core" ]; then
			count[$mode died]=$((${count[$mode died]:-0} + 1))
			continue
		fi
		verdict="exit 2: $(head -c 200 "$dir/err")"
	elif [ $rc -le 1 ]; then
		[ $mode = gcore ] && [ "$(head -c 4 "$dir/core" 2>/dev/null | od -An -c | tr -d ' ')" = 177ELF ] &&
			"$PILEUP" --json=1 "$dir/core" >"$dir/out" 2>/dev/null
		at=$(jq '[.threads[] | select(.wait == "condvar" and .wait_site.function == "wait_condvar")] | length' "$dir/out" 2>/dev/null)
		if [ "$at" = "$THREADS" ]; then
			count[$mode done]=$((${count[$mode done]:-0} + 1))
			continue
		fi
		verdict="exit $rc with ${at:-no} of $THREADS waiters at their site"
	else
		verdict="exit $rc: $(head -c 200 "$dir/err")"
	fi
	count[$mode failed]=$((${count[$mode failed]:-0} + 1))
	failures+=("kill $n ($mode, SIG$sig): $verdict")
	[ -n "$KEEP" ] && cp -r "$dir" "$KEEP/kill-$n"
done

{
	echo "# pileup soak: $KILLS kills of a $THREADS-thread fixture ($(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo
	echo "| mode | killed mid-capture (clear line) | finished first (report or core) | failed |"
	echo "|---|---:|---:|---:|"
	for m in "${modes[@]}"; do
		echo "| $m | ${count[$m died]:-0} | ${count[$m done]:-0} | ${count[$m failed]:-0} |"
	done
	echo
	echo "slowest end after a kill: $slow_end s; slowest reap by the parent: $slow_reap s (limit $LIMIT s)"
	for f in "${failures[@]}"; do
		echo "- $f"
	done
} | tee ${OUT:+"$OUT"}
[ ${#failures[@]} -eq 0 ]
