#!/usr/bin/env bash
# tests/bench/go.sh - goroutines: pileup against Delve and gdb on the same
# hung Go program.
#
# For each size N (BENCH_GO_SIZES, default "10000 100000") it starts
# fixtures/bin/go-leaks with N leaked goroutines (30% stranded senders, 20%
# producers on a full channel, 10% each for-select, mutex, WaitGroup,
# never-closed channel, blocking call in a select case), and runs, on that
# one process, round after round (BENCH_REPS, default 1):
#
#   pileup        pileup PID             full stacks of every goroutine, grouped (text)
#   pileup-json   pileup --json PID      the same as JSON, version 2 (each distinct stack once)
#   pileup-json1  pileup --json=1 PID    JSON version 1 (every frame of every goroutine)
#   pileup-strip  pileup PID             on the same leaks built with -ldflags='-s -w'
#   dlv           dlv attach PID + `goroutines -group user`
#   gdb           gdb -p PID + runtime-gdb.py `info goroutines` (no stacks, no grouping)
#
# For each run: wall time, CPU time (user+sys), peak RSS of the tool (GNU
# time %M) and how long the target was stopped: pileup reports its own pause
# (capture.pause_us: nonstop capture stops only threads running in user
# space); Delve and gdb stop every thread from attach to detach, so their
# pause is their wall time.  pileup's result is checked: its goroutine count
# and the size of its largest group match what the fixture created.  The
# table (medians) is printed and written to tests/bench/go-results.md
# (BENCH_GO_OUT).  Environment: PILEUP, BENCH_GO_SIZES, BENCH_REPS,
# BENCH_TIMEOUT (seconds per tool run, default 900), BENCH_BASELINE (another
# build of pileup, run as "baseline" on the same process in the same rounds).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
FIX=$ROOT/fixtures/bin/go-leaks
SIZES=${BENCH_GO_SIZES:-10000 100000}
REPS=${BENCH_REPS:-1}
TOOL_TIMEOUT=${BENCH_TIMEOUT:-900}
OUT=${BENCH_GO_OUT:-$ROOT/tests/bench/go-results.md}
GDB_PY=$(ls /usr/lib/go-1.19/src/runtime/runtime-gdb.py /usr/share/go*/src/runtime/runtime-gdb.py 2>/dev/null | head -1)
unset DEBUGINFOD_URLS
export LC_ALL=C

for f in "$PILEUP" "$FIX" "$FIX-stripped"; do
	[ -x "$f" ] || { echo "bench: $f is missing; run 'make pileup fixtures'" >&2; exit 2; }
done
MEASURE=$ROOT/tests/helpers/measure
[ -x "$MEASURE" ] || { echo "bench: $MEASURE is missing; run 'make tests/helpers/measure'" >&2; exit 2; }
for c in dlv gdb jq; do
	command -v "$c" >/dev/null || { echo "bench: $c is missing; run scripts/deps.sh test" >&2; exit 2; }
done
[ -n "$GDB_PY" ] || { echo "bench: runtime-gdb.py not found (golang-go's sources)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/pileup-gobench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# start N BINARY: starts the leaks with N goroutines; sets FXPID, FXOUT.
start() {
	local n=$1 bin=$2 out=$TMP/fx.$RANDOM
	local a=$((n * 3 / 10)) b=$((n * 2 / 10)) c=$((n / 10))
	local rest=$((n - a - b - 5 * c))
	"$bin" -first-error $((a + rest)) -producers $b -for-select $c -mutex $c -waitgroup $c -recv $c -select-case $c \
		>"$out" 2>"$out.err" &
	PIDS+=($!)
	local i
	for ((i = 0; i < 3000; i++)); do
		grep -q '^ready ' "$out" 2>/dev/null && break
		kill -0 $! 2>/dev/null || { echo "bench: fixture died: $(cat "$out.err")" >&2; exit 2; }
		sleep 0.1
	done
	grep -q '^ready ' "$out" || { echo "bench: fixture not ready" >&2; exit 2; }
	FXPID=$!
	FXOUT=$out
}

# measure NAME PID CMD...: runs CMD under tests/helpers/measure (wall time
# from the tool's spawn to its exit, CPU time, peak RSS); appends a result
# line "name wall cpu rss pause_ms ok" (seconds, seconds, MB).
measure() {
	local name=$1 pid=$2
	shift 2
	local t=$TMP/time.$name o=$TMP/out.$name
	rm -f "$t"
	"$MEASURE" -o "$t" -t "$TOOL_TIMEOUT" -- "$@" >"$o" 2>"$o.err" </dev/null
	local rc=$? wall usr sys rss
	read -r wall usr sys rss < <(tail -n 1 "$t" 2>/dev/null)
	if [ "$rc" = 124 ] || ! [[ "$rss" =~ ^[0-9]+$ ]]; then
		wall=timeout usr=0 sys=0 rss=0
	else
		wall=$(awk -v w="$wall" 'BEGIN { printf "%.3f", w / 1000 }')
	fi
	local cpu pause ok=yes
	cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.3f", (u + s) / 1000 }')
	case $name in
	pileup-json*) pause=$(jq '.capture.pause_us / 1000' "$o" 2>/dev/null) ;;
	pileup* | baseline) pause=$(grep -o 'stopped briefly (longest [^)]*)' "$o" | grep -o '[0-9.]* [mu]s' || echo 0) ;;
	*) pause=$wall ;;
	esac
	# pileup: 0 or 1 (partial); Delve exits 1 when told not to kill the
	# target, so its answer is what counts: the group totals it printed.
	case $name in
	dlv) grep -q 'Total: ' "$o" || ok="exit $rc, no answer" ;;
	*) [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || ok="exit $rc" ;;
	esac
	echo "$name $wall $cpu $((rss / 1024)) ${pause// /} $ok" >>"$TMP/results.$N"
	kill -0 "$pid" 2>/dev/null || { echo "bench: the target died during $name" >&2; exit 2; }
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

printf 'goroutines -group user\n' >"$TMP/dlv.init"
{
	echo "| goroutines | tool | wall (s) | CPU (s) | peak RSS (MB) | target paused | tool / pileup (wall, CPU) |"
	echo "|---:|---|---:|---:|---:|---:|---:|"
} >"$TMP/table"
for N in $SIZES; do
	: >"$TMP/results.$N"
	start "$N" "$FIX"
	pid=$FXPID
	manifest=$FXOUT
	start "$N" "$FIX-stripped"
	spid=$FXPID
	for ((r = 0; r < REPS; r++)); do
		measure pileup "$pid" "$PILEUP" "$pid"
		measure pileup-json "$pid" "$PILEUP" --json "$pid"
		measure pileup-json1 "$pid" "$PILEUP" --json=1 "$pid"
		measure pileup-strip "$spid" "$PILEUP" "$spid"
		[ -n "${BENCH_BASELINE:-}" ] && measure baseline "$pid" "$BENCH_BASELINE" "$pid"
		# Delve asks whether to kill the process it attached to: no.
		measure dlv "$pid" sh -c "echo n | dlv attach $pid --init $TMP/dlv.init --allow-non-terminal-interactive=true"
		measure gdb "$pid" gdb -batch -nx -p "$pid" -ex "source $GDB_PY" -ex 'info goroutines'
	done
	# pileup's answer is the fixture's: every goroutine, the largest group.
	got=$(jq -r '"\(.target.goroutines) \([.groups[] | select(.kind == "goroutine") | .count] | max)"' "$TMP/out.pileup-json")
	want_big=$(awk -F'\t' '$1 == "group" && $3 == "main.broadcastMsg.func1" {print $4}' "$manifest")
	echo "# N=$N: pileup saw $got (goroutines, largest group; the fixture made $want_big stranded senders)"
	case "$(awk '{print $1}' <<<"$got")" in "" | null | 0) echo "bench: pileup listed no goroutine" >&2; exit 2 ;; esac
	dlv_n=$(grep -o 'Total: [0-9]*' "$TMP/out.dlv" | awk '{s += $2} END {print s + 0}')
	gdb_n=$(grep -Ec '^\*? *[0-9]+ +[a-z]' "$TMP/out.gdb")
	echo "# N=$N: dlv grouped $dlv_n goroutines, gdb listed $gdb_n"
	s2=$(stat -c %s "$TMP/out.pileup-json") s1=$(stat -c %s "$TMP/out.pileup-json1")
	echo "# N=$N: JSON report: version 2 $((s2 / 1000)) kB, version 1 $((s1 / 1000)) kB" | tee -a "$TMP/sizes"
	pw=$(awk '$1 == "pileup" {print $2}' "$TMP/results.$N" | median)
	pc=$(awk '$1 == "pileup" {print $3}' "$TMP/results.$N" | median)
	tools="pileup pileup-json pileup-json1 pileup-strip dlv gdb"
	[ -n "${BENCH_BASELINE:-}" ] && tools="pileup pileup-json pileup-json1 pileup-strip baseline dlv gdb"
	for tool in $tools; do
		w=$(awk -v t=$tool '$1 == t {print $2}' "$TMP/results.$N" | median)
		c=$(awk -v t=$tool '$1 == t {print $3}' "$TMP/results.$N" | median)
		m=$(awk -v t=$tool '$1 == t {print $4}' "$TMP/results.$N" | median)
		p=$(awk -v t=$tool '$1 == t {print $5; exit}' "$TMP/results.$N")
		ok=$(awk -v t=$tool '$1 == t && $6 != "yes" {print $6; exit}' "$TMP/results.$N")
		ratio=$(awk -v a="$pw" -v b="$w" -v ac="$pc" -v bc="$c" \
			'BEGIN { if (a > 0 && b + 0 > 0 && ac > 0) printf "%.1fx, %.1fx", b / a, bc / ac; else print "-" }')
		case $tool in pileup | pileup-json | pileup-json1 | pileup-strip) ratio="-" ;; esac
		case $tool in
		pileup* | baseline) [ "$p" = 0 ] && p="none" ;;
		*) p="${w} s (all threads)" ;;
		esac
		echo "| $N | $tool${ok:+ ($ok)} | $w | $c | $m | $p | $ratio |" >>"$TMP/table"
	done
	kill -KILL "$pid" "$spid" 2>/dev/null
	wait "$pid" "$spid" 2>/dev/null
done
{
	echo "Goroutines of a hung Go program (fixtures/bin/go-leaks, go1.19): pileup vs Delve vs gdb"
	echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; medians of $REPS round(s))"
	echo
	cat "$TMP/table"
	echo
	sed 's/^# //' "$TMP/sizes" 2>/dev/null
} | tee "$OUT"
