#!/usr/bin/env bash
# tests/bench/go.sh - goroutines: pileup against Delve and gdb on the same
# hung Go program.
#
# For each Go release R (BENCH_GO_RELEASES, default "1.26 1.27": the builds
# fixtures/bin/go/R/leaks, with DWARF, and leaks-stripped) and each size N
# (BENCH_GO_SIZES, default "10000 100000") it starts the leak fixture with N
# leaked goroutines (30% stranded senders, 20%
# producers on a full channel, 10% each for-select, mutex, WaitGroup,
# never-closed channel, blocking call in a select case), and runs, on that
# one process, round after round (BENCH_REPS, default 1):
#
#   pileup        pileup PID             full stacks of every goroutine, grouped (text)
#   pileup-json   pileup --json PID      the same as JSON, version 2 (each distinct stack once)
#   pileup-json1  pileup --json=1 PID    JSON version 1 (every frame of every goroutine)
#   pileup-strip  pileup PID             on the same leaks built with -ldflags='-s -w'
#                                        (nobody else reads goroutines without DWARF)
#   dlv           dlv attach PID + `goroutines -group user` (BENCH_DLV, default the
#                 dlv on PATH; Debian's Delve 1.20 cannot read Go >= 1.22: install
#                 the newest with `go install github.com/go-delve/delve/cmd/dlv@latest`)
#   gdb           gdb -p PID + that release's runtime-gdb.py `info goroutines`
#                 (no stacks, no grouping); only with BENCH_GO_GDB=1: on a
#                 go1.26 target of 100,000 goroutines, gdb 13's detach left the
#                 target to die of SIGTRAP (seen 2026-12-02)
#
# For each run: wall time, CPU time (user+sys), peak RSS of the tool (GNU
# time %M) and how long the target was stopped: pileup reports its own pause
# (capture.pause_us: nonstop capture stops only threads running in user
# space); Delve and gdb stop every thread from attach to detach, so their
# pause is their wall time.  pileup's result is checked: its goroutine count
# and the size of its largest group match what the fixture created.  The
# table (medians) is printed and written to tests/bench/go-results.md
# (BENCH_GO_OUT).  Environment: PILEUP, BENCH_GO_RELEASES, BENCH_GO_SIZES,
# BENCH_DLV, BENCH_GO_GDB, BENCH_REPS,
# BENCH_TIMEOUT (seconds per tool run, default 900), BENCH_BASELINE (another
# build of pileup, run as "baseline" on the same process in the same rounds).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
RELEASES=${BENCH_GO_RELEASES:-1.26 1.27}
SIZES=${BENCH_GO_SIZES:-10000 100000}
DLV=${BENCH_DLV:-$(command -v dlv)}
REPS=${BENCH_REPS:-1}
TOOL_TIMEOUT=${BENCH_TIMEOUT:-900}
OUT=${BENCH_GO_OUT:-$ROOT/tests/bench/go-results.md}
unset DEBUGINFOD_URLS
export LC_ALL=C

for R in $RELEASES; do
	for f in "$PILEUP" "$ROOT/fixtures/bin/go/$R/leaks" "$ROOT/fixtures/bin/go/$R/leaks-stripped"; do
		[ -x "$f" ] || { echo "bench: $f is missing; run 'make pileup fixtures'" >&2; exit 2; }
	done
done
MEASURE=$ROOT/tests/helpers/measure
[ -x "$MEASURE" ] || { echo "bench: $MEASURE is missing; run 'make tests/helpers/measure'" >&2; exit 2; }
for c in gdb jq; do
	command -v "$c" >/dev/null || { echo "bench: $c is missing; run scripts/deps.sh test" >&2; exit 2; }
done
[ -n "$DLV" ] && [ -x "$DLV" ] || { echo "bench: no dlv; set BENCH_DLV or install Delve" >&2; exit 2; }
echo "# Delve: $("$DLV" version 2>/dev/null | grep -i '^version' | head -1)"

# gdb_py R: the runtime-gdb.py of the toolchain that built release R's
# fixtures (the GOROOT named in fixtures/bin/go/R/goroot, else searched).
gdb_py() {
	local r=$1 d
	for d in "/usr/lib/go-$r" "/usr/share/go-$r" /usr/local/go \
		"$ROOT"/fixtures/bin/toolchains/golang.org/toolchain@v0.0.1-go$r.*.linux-amd64; do
		[ -f "$d/src/runtime/runtime-gdb.py" ] || continue
		[ -x "$d/bin/go" ] && ! "$d/bin/go" version 2>/dev/null | grep -q " go$r[. ]" && continue
		echo "$d/src/runtime/runtime-gdb.py"
		return
	done
}

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
	echo "$name $wall $cpu $((rss / 1024)) ${pause// /} $ok" >>"$TMP/results.$R.$N"
	kill -0 "$pid" 2>/dev/null || { echo "bench: the target died during $name" >&2; exit 2; }
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

# Then exit: Delve asks whether to kill the process it attached to, and
# reads the answer (n) from stdin, which holds nothing else.
printf 'goroutines -group user\nexit\n' >"$TMP/dlv.init"
{
	echo "| Go | goroutines | tool | wall (s) | CPU (s) | peak RSS (MB) | target paused | tool / pileup (wall, CPU) |"
	echo "|---|---:|---|---:|---:|---:|---:|---:|"
} >"$TMP/table"
for R in $RELEASES; do
	GDB_PY=
	if [ "${BENCH_GO_GDB:-0}" = 1 ]; then
		GDB_PY=$(gdb_py "$R")
		[ -n "$GDB_PY" ] || echo "# go$R: no runtime-gdb.py found; gdb skipped"
	fi
	for N in $SIZES; do
		: >"$TMP/results.$R.$N"
		start "$N" "$ROOT/fixtures/bin/go/$R/leaks"
		pid=$FXPID
		manifest=$FXOUT
		start "$N" "$ROOT/fixtures/bin/go/$R/leaks-stripped"
		spid=$FXPID
		for ((r = 0; r < REPS; r++)); do
			measure pileup "$pid" "$PILEUP" "$pid"
			measure pileup-json "$pid" "$PILEUP" --json "$pid"
			measure pileup-json1 "$pid" "$PILEUP" --json=1 "$pid"
			measure pileup-strip "$spid" "$PILEUP" "$spid"
			[ -n "${BENCH_BASELINE:-}" ] && measure baseline "$pid" "$BENCH_BASELINE" "$pid"
			# Delve asks whether to kill the process it attached to: no.
			measure dlv "$pid" sh -c "echo n | $DLV attach $pid --init $TMP/dlv.init --allow-non-terminal-interactive=true"
			[ -n "$GDB_PY" ] && measure gdb "$pid" gdb -batch -nx -p "$pid" -ex "source $GDB_PY" -ex 'info goroutines'
		done
		# pileup's answer is the fixture's: every goroutine, the largest group.
		got=$(jq -r '"\(.target.goroutines) \([.groups[] | select(.kind == "goroutine") | .count] | max)"' "$TMP/out.pileup-json")
		want_big=$(awk -F'\t' '$1 == "group" && $3 == "main.broadcastMsg.func1" {print $4}' "$manifest")
		echo "# go$R N=$N: pileup saw $got (goroutines, largest group; the fixture made $want_big stranded senders)"
		case "$(awk '{print $1}' <<<"$got")" in "" | null | 0) echo "bench: pileup listed no goroutine" >&2; exit 2 ;; esac
		dlv_n=$(grep -o 'Total: [0-9]*' "$TMP/out.dlv" | awk '{s += $2} END {print s + 0}')
		gdb_n=$(grep -Ec '^\*? *[0-9]+ +[a-z]' "$TMP/out.gdb" 2>/dev/null)
		echo "# go$R N=$N: dlv grouped $dlv_n goroutines, gdb listed $gdb_n"
		s2=$(stat -c %s "$TMP/out.pileup-json") s1=$(stat -c %s "$TMP/out.pileup-json1")
		echo "# go$R N=$N: JSON report: version 2 $((s2 / 1000)) kB, version 1 $((s1 / 1000)) kB" | tee -a "$TMP/sizes"
		pw=$(awk '$1 == "pileup" {print $2}' "$TMP/results.$R.$N" | median)
		pc=$(awk '$1 == "pileup" {print $3}' "$TMP/results.$R.$N" | median)
		tools="pileup pileup-json pileup-json1 pileup-strip${BENCH_BASELINE:+ baseline} dlv${GDB_PY:+ gdb}"
		for tool in $tools; do
			w=$(awk -v t=$tool '$1 == t {print $2}' "$TMP/results.$R.$N" | median)
			c=$(awk -v t=$tool '$1 == t {print $3}' "$TMP/results.$R.$N" | median)
			m=$(awk -v t=$tool '$1 == t {print $4}' "$TMP/results.$R.$N" | median)
			p=$(awk -v t=$tool '$1 == t {print $5; exit}' "$TMP/results.$R.$N")
			ok=$(awk -v t=$tool '$1 == t && $6 != "yes" {print $6; exit}' "$TMP/results.$R.$N")
			ratio=$(awk -v a="$pw" -v b="$w" -v ac="$pc" -v bc="$c" \
				'BEGIN { if (a > 0 && b + 0 > 0 && ac > 0) printf "%.1fx, %.1fx", b / a, bc / ac; else print "-" }')
			case $tool in pileup | pileup-json | pileup-json1 | pileup-strip) ratio="-" ;; esac
			case $tool in
			pileup* | baseline) [ "$p" = 0 ] && p="none" ;;
			*) p="${w} s (all threads)" ;;
			esac
			echo "| $R | $N | $tool${ok:+ ($ok)} | $w | $c | $m | $p | $ratio |" >>"$TMP/table"
		done
		kill -KILL "$pid" "$spid" 2>/dev/null
		wait "$pid" "$spid" 2>/dev/null
	done
done
{
	echo "Goroutines of a hung Go program (fixtures/bin/go/R/leaks, Go releases $RELEASES): pileup vs Delve ($("$DLV" version 2>/dev/null | sed -n 's/^Version: //p')) vs gdb"
	echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; medians of $REPS round(s))"
	echo
	cat "$TMP/table"
	echo
	sed 's/^# //' "$TMP/sizes" 2>/dev/null
} | tee "$OUT"
