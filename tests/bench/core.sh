#!/usr/bin/env bash
# tests/bench/core.sh - pileup against eu-stack and gdb on the same core files.
#
# For each size N (BENCH_SIZES, default "100 1000 10000") it starts
# fixtures/bin/waits with exactly N threads (mostly condvar waiters, plus
# mutex, sleep, epoll and read waiters, the control thread and the
# heartbeat) with 'ulimit -c unlimited' in a scratch directory, kills it
# with SIGABRT so the kernel writes its core there, compresses a copy with
# zstd (as systemd-coredump stores cores), and runs on that core, round
# after round (BENCH_REPS rounds, default 3; BENCH_SLOW_REPS, default 1,
# for eu-stack and gdb from 10,000 threads on, where one run takes minutes):
#
#   pileup      pileup CORE              (the text report)
#   json        pileup --json CORE
#   zst         pileup CORE.zst          (decompression included)
#   nosym       pileup CORE, PILEUP_NO_SYMCACHE=1 (every pc symbolized from
#               the debug information, as on the first run of a program;
#               the other pileup rows find the symbols of earlier rounds)
#   eu-stack    eu-stack --core CORE -e EXE
#   gdb         gdb -batch -ex 'thread apply all bt' EXE CORE
#
# For each run: wall time, CPU time (user + system) and peak RSS, taken by
# tests/helpers/measure around the tool alone (from its spawn to its exit:
# no shell, timeout or time process in the figure), and
# the threads the tool printed.  The table shows medians and the ratios
# of eu-stack's and gdb's times to pileup's, in wall and in CPU time (the
# machine may be shared: CPU time is the fairer of the two), and peak RSS
# against the core's size.  It is printed and written to
# tests/bench/core-results.md (BENCH_OUT).
#
# Environment: PILEUP (binary, default ./pileup), BENCH_SIZES, BENCH_REPS,
# BENCH_SLOW_REPS, BENCH_TIMEOUT (seconds per tool run, default 1800: the
# tool is killed after it), BENCH_OUT, BENCH_DIR (where cores are written,
# default a directory under /var/tmp; a 10,000-thread core is about 700 MB,
# sparse).  Cores are deleted at the end.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
FIX=$ROOT/fixtures/bin/waits
SIZES=${BENCH_SIZES:-100 1000 10000}
REPS=${BENCH_REPS:-3}
SLOW_REPS=${BENCH_SLOW_REPS:-1}
TOOL_TIMEOUT=${BENCH_TIMEOUT:-1800}
OUT=${BENCH_OUT:-$ROOT/tests/bench/core-results.md}
TOOLS="pileup json zst nosym eu-stack gdb"

unset DEBUGINFOD_URLS
export LC_ALL=C

for f in "$PILEUP" "$FIX"; do
	[ -x "$f" ] || { echo "bench: $f is missing; run 'make pileup fixtures'" >&2; exit 2; }
done
MEASURE=$ROOT/tests/helpers/measure
[ -x "$MEASURE" ] || { echo "bench: $MEASURE is missing; run 'make tests/helpers/measure'" >&2; exit 2; }
for c in eu-stack gdb zstd; do
	command -v "$c" >/dev/null || { echo "bench: $c is missing; run scripts/deps.sh test" >&2; exit 2; }
done

TMP=$(mktemp -d "${BENCH_DIR:-/var/tmp}/pileup-core-bench.XXXXXX")
FX_PID=
TOOL_PID=

. "$ROOT/tests/bench/lib.sh"

# make_core N: the core of waits with exactly N threads, in $TMP/N/core.
make_core() {
	local n=$1 e r s m c i dir=$TMP/$1
	e=$((n / 100)) r=$((n / 100)) s=$((n / 20)) m=$((n / 10))
	c=$((n - 2 - e - r - s - m))
	FX_ARGS="--condvar $c --mutex $m --sleep $s --epoll $e --read $r"
	mkdir -p "$dir"
	# shellcheck disable=SC2086
	bash -c 'cd "$1" && ulimit -c unlimited && shift && exec "$@"' sh "$dir" "$FIX" $FX_ARGS >"$dir/fx.out" 2>"$dir/fx.err" &
	FX_PID=$!
	for ((i = 0; i < 2400; i++)); do
		grep -q '^ready ' "$dir/fx.out" 2>/dev/null && break
		kill -0 "$FX_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q '^ready ' "$dir/fx.out" || [ "$(ls /proc/"$FX_PID"/task | wc -l)" != "$n" ]; then
		echo "bench: fixture with $n threads not ready: $(head -c 300 "$dir/fx.err")" >&2
		kill_fixture
		return 1
	fi
	{
		kill -ABRT "$FX_PID"
		wait "$FX_PID"
	} 2>/dev/null
	FX_PID=
	[ -s "$dir/core" ] || { echo "bench: no core for $n threads" >&2; return 1; }
	zstd -q -1 -T0 -c "$dir/core" >"$dir/core.zst"
}

declare -A V NOTE
add() { V[$1]="${V[$1]:-} $2"; }
note() {
	case "${NOTE[$1]:-}" in
	*"$2"*) ;;
	*) NOTE[$1]="${NOTE[$1]:+${NOTE[$1]}; }$2" ;;
	esac
}

# run_one N TOOL: one measured run.
run_one() {
	local n=$1 tool=$2 k="$1|$2" dir=$TMP/$1 out=$TMP/out tf=$TMP/time rc t0 t1 seen
	local -a cmd envs=()
	case $tool in
	pileup) cmd=("$PILEUP" "$dir/core") ;;
	nosym) cmd=("$PILEUP" "$dir/core") envs=(PILEUP_NO_SYMCACHE=1) ;;
	json) cmd=("$PILEUP" --json "$dir/core") ;;
	zst) cmd=("$PILEUP" "$dir/core.zst") ;;
	eu-stack) cmd=(eu-stack --core "$dir/core" -e "$FIX") ;;
	gdb) cmd=(gdb -nx -batch -ex 'set pagination off' -ex 'thread apply all bt' "$FIX" "$dir/core") ;;
	esac
	rm -f "$tf"
	env "${envs[@]}" setsid "$MEASURE" -o "$tf" -t "$TOOL_TIMEOUT" -- "${cmd[@]}" >"$out" 2>"$out.err" &
	TOOL_PID=$!
	wait "$TOOL_PID"
	rc=$?
	TOOL_PID=
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		note "$k" "timed out after ${TOOL_TIMEOUT} s (killed)"
		add "$k|timeout" 1
		printf '  %-8s timed out after %s s\n' "$tool" "$TOOL_TIMEOUT" >&2
		return
	fi
	if [ -s "$tf" ]; then
		add "$k|wall" "$(awk 'END { printf "%.1f", $1 }' "$tf")"
		add "$k|cpu" "$(awk 'END { printf "%.1f", $2 + $3 }' "$tf")"
		add "$k|rss" "$(awk 'END { printf "%.1f", $4 / 1024 }' "$tf")"
	fi
	case $tool in
	pileup | zst | nosym) seen=$(awk '/^#[0-9]+ +[0-9]+ threads? / { s += $2 } END { print s + 0 }' "$out") ;;
	json) seen=$(jq '.threads | length' "$out" 2>/dev/null) ;;
	eu-stack) seen=$(grep -c '^TID ' "$out") ;;
	gdb) seen=$(grep -c '^Thread [0-9]' "$out") ;;
	esac
	add "$k|seen" "$seen"
	[ "$rc" = 0 ] || note "$k" "exit status $rc"
	printf '  %-8s wall %9s ms  cpu %9s ms  rss %7s MB  threads %s  rc %s\n' "$tool" \
		"$(last "$k|wall")" "$(last "$k|cpu")" "$(last "$k|rss")" "${seen:--}" "$rc" >&2
}

last() { local v=${V[$1]:-}; v=${v##* }; echo "${v:-n/a}"; }
med() {
	local v=${V[$1]:-}
	[ -n "$v" ] || { echo "n/a"; return; }
	# shellcheck disable=SC2086
	printf '%s\n' $v | sort -g | awk '{ a[NR] = $1 } END { printf "%s", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
num() { awk -v x="$1" 'BEGIN { if (x == "n/a") print "n/a"; else if (x >= 100) printf "%.0f", x; else printf "%.1f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else { r = a / b; printf (r >= 10 ? "%.0fx" : "%.1fx"), r } }'; }
label() {
	case $1 in
	pileup) echo "\`pileup CORE\`" ;;
	json) echo "\`pileup --json CORE\`" ;;
	zst) echo "\`pileup CORE.zst\`" ;;
	nosym) echo "\`pileup CORE\`, symbol cache off" ;;
	eu-stack) echo "\`eu-stack --core CORE -e EXE\`" ;;
	gdb) echo "\`gdb -batch -ex 'thread apply all bt' EXE CORE\`" ;;
	esac
}
mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
load() { sed 's/.*load average: //' <<<"$(uptime)"; }

DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
MACHINE="$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r), $(free -m | awk '/^Mem:/ { printf "%.1f GB RAM", $2 / 1024 }')"
VERSIONS="$("$PILEUP" --version 2>&1 | head -n 1); $(gdb --version | head -n 1); $(eu-stack --version | head -n 1)"
declare -A SIZE DISK ZSIZE LOADS FXA

echo "bench: $DATE; $MACHINE" >&2
echo "bench: $VERSIONS" >&2
for n in $SIZES; do
	echo "bench: $n threads: making the core" >&2
	make_core "$n" || continue
	FXA[$n]=$FX_ARGS
	SIZE[$n]=$(stat -c %s "$TMP/$n/core")
	DISK[$n]=$(($(stat -c %b "$TMP/$n/core") * $(stat -c %B "$TMP/$n/core")))
	ZSIZE[$n]=$(stat -c %s "$TMP/$n/core.zst")
	echo "bench: core $(mb "${SIZE[$n]}") MB ($(mb "${DISK[$n]}") MB on disk, $(mb "${ZSIZE[$n]}") MB zstd)" >&2
	LOADS[$n]="$(load)"
	for ((rep = 1; rep <= REPS; rep++)); do
		echo " round $rep/$REPS (load $(load))" >&2
		for t in $TOOLS; do
			if [ "$n" -ge 10000 ] && [ "$rep" -gt "$SLOW_REPS" ] && { [ "$t" = eu-stack ] || [ "$t" = gdb ]; }; then
				continue
			fi
			run_one "$n" "$t"
		done
	done
	LOADS[$n]="${LOADS[$n]} -> $(load)"
	rm -f "$TMP/$n/core" "$TMP/$n/core.zst"
done

report() {
	echo "# pileup on core files, against eu-stack and gdb"
	echo
	echo "- date: $DATE"
	echo "- machine: $MACHINE"
	echo "- versions: $VERSIONS"
	echo "- cores: the kernel's, of fixtures/bin/waits killed with SIGABRT; medians of $REPS runs (eu-stack and gdb: $SLOW_REPS from 10,000 threads on)"
	echo "- ratio = the tool's time / \`pileup CORE\`'s; CPU is user + system time (fairer than wall time on a shared machine)"
	echo
	echo "| threads | core MB (on disk) | tool | wall ms | wall ratio | CPU ms | CPU ratio | peak RSS MB | RSS / core size | threads shown | notes |"
	echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
	local n t k w c r refw refc
	for n in $SIZES; do
		[ -n "${FXA[$n]:-}" ] || { echo "| $n | | (no core) | | | | | | | | |"; continue; }
		refw=$(med "$n|pileup|wall")
		refc=$(med "$n|pileup|cpu")
		for t in $TOOLS; do
			k="$n|$t"
			w=$(med "$k|wall")
			c=$(med "$k|cpu")
			r=$(med "$k|rss")
			local pct=n/a
			[ "$r" != n/a ] && pct=$(awk -v r="$r" -v s="${SIZE[$n]}" 'BEGIN { printf "%.0f%%", r * 1048576 * 100 / s }')
			printf '| %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$(mb "${SIZE[$n]}")" "$(mb "${DISK[$n]}")" \
				"$(label "$t")" "$(num "$w")" "$(ratio "$w" "$refw")" "$(num "$c")" "$(ratio "$c" "$refc")" "$(num "$r")" "$pct" \
				"$(med "$k|seen")" "${NOTE[$k]:-}"
		done
	done
	echo
	echo "Fixture arguments and load averages (1, 5, 15 min, before -> after):"
	echo
	for n in $SIZES; do
		[ -n "${FXA[$n]:-}" ] && echo "- $n threads: \`waits ${FXA[$n]}\`; load ${LOADS[$n]}"
	done
}
report | tee "$OUT"
echo "bench: written to $OUT" >&2
