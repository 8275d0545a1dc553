#!/usr/bin/env bash
# tests/bench/native.sh - pileup against eu-stack and gdb on real programs.
#
# The programs of tests/t_native_*.sh, started from their Debian packages
# on loopback (redis-server with I/O threads, memcached -t 8, nginx with a
# thread pool, python3 with threads, a postgres backend in pg_sleep, node,
# and a Chromium renderer, ~100 libraries), each measured in the same
# rounds (BENCH_REPS, default 5) with tests/helpers/measure:
#
#   pileup      pileup --json PID, warm: the symbol cache of an earlier run
#   cold        pileup --json PID with an empty cache directory (first run)
#   eu-stack    eu-stack -p PID (no cache of its own: every run is cold)
#   gdb         gdb -batch -p PID -ex 'thread apply all bt'
#
# The table gives median wall times and the ratios eu-stack/pileup (warm
# and cold) and gdb/pileup, then, for warm pileup and eu-stack on each
# program, the file-name system calls (openat, stat, access, readlink...)
# strace counted and how many failed.  Printed and written to
# tests/bench/native-results.md (BENCH_OUT).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PILEUP=${PILEUP:-$ROOT/pileup}
REPS=${BENCH_REPS:-5}
OUT=${BENCH_OUT:-$ROOT/tests/bench/native-results.md}
PROGRAMS=${BENCH_PROGRAMS:-redis memcached nginx python postgres node chromium}
MEASURE=$ROOT/tests/helpers/measure
unset DEBUGINFOD_URLS
export LC_ALL=C
[ -x "$MEASURE" ] || { echo "bench: $MEASURE is missing; run 'make tests/helpers/measure'" >&2; exit 2; }
for c in eu-stack gdb strace; do
	command -v "$c" >/dev/null || { echo "bench: $c is missing; run scripts/deps.sh test" >&2; exit 2; }
done
exec 3>/dev/null # lib.sh's result channel
. "$ROOT/tests/lib.sh"
. "$ROOT/tests/native_lib.sh"
export PILEUP_CACHE_DIR=$TMP/cache

start_node() {
	need node || return 1
	node -e 'setInterval(() => {}, 1e9)' &
	SRV_PID=$!
	fx_track "$SRV_PID"
	wait_threads "$SRV_PID" 7
}

start_chromium() {
	need chromium || return 1
	mkdir -p "$TMP/chromium"
	chromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TMP/chromium" about:blank \
		>"$TMP/chromium.log" 2>&1 &
	fx_track "$!"
	sleep 6
	SRV_PID=$(pgrep -f -- "--type=renderer" | while read -r p; do grep -qa "$TMP/chromium" /proc/"$p"/cmdline 2>/dev/null && echo "$p"; done | head -n 1)
	[ -n "$SRV_PID" ]
}

# run TOOL PID: one measured run; its wall ms on stdout.
run() {
	local tool=$1 pid=$2 f=$TMP/m
	case $tool in
	pileup) "$MEASURE" -o "$f" -t 120 -- "$PILEUP" --json "$pid" >/dev/null 2>&1 ;;
	cold) rm -rf "$TMP/cold" && PILEUP_CACHE_DIR=$TMP/cold "$MEASURE" -o "$f" -t 120 -- "$PILEUP" --json "$pid" >/dev/null 2>&1 ;;
	eu-stack) "$MEASURE" -o "$f" -t 120 -- eu-stack -p "$pid" >/dev/null 2>&1 ;;
	gdb) "$MEASURE" -o "$f" -t 120 -- gdb -nx -batch -p "$pid" -ex 'thread apply all bt' >/dev/null 2>&1 ;;
	esac
	awk '{ print $1 }' "$f"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# files TOOL PID: "calls failed" file-name system calls of one run.
files() {
	local cmd
	if [ "$1" = pileup ]; then cmd=("$PILEUP" --json "$2"); else cmd=(eu-stack -p "$2"); fi
	strace -f -c -e trace=%file -o "$TMP/strace" "${cmd[@]}" >/dev/null 2>&1
	awk '$NF == "total" { print $(NF - 2), ($(NF - 1) ~ /^[0-9]+$/ ? $(NF - 1) : 0) }' "$TMP/strace"
}

{
	echo "# pileup on real programs, against eu-stack and gdb"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $REPS rounds, medians in ms; pileup $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)."
	echo "Warm: pileup's symbol cache holds the program (the next capture of a service); cold: an empty cache."
	echo
	echo "| program | threads | libraries | pileup warm | pileup cold | eu-stack | gdb | eu-stack / warm | eu-stack / cold | gdb / warm | file calls (failed): pileup warm | eu-stack |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$TMP/table"
for prog in $PROGRAMS; do
	"start_$prog" || { echo "bench: $prog did not start" >&2; continue; }
	pid=$SRV_PID
	"$PILEUP" --json "$pid" >/dev/null 2>&1 # warms the symbol cache
	declare -A t=() m=()
	for ((r = 0; r < REPS; r++)); do
		for tool in pileup cold eu-stack gdb; do
			t[$tool]+="$(run "$tool" "$pid") "
		done
	done
	for tool in pileup cold eu-stack gdb; do
		m[$tool]=$(echo "${t[$tool]}" | tr ' ' '\n' | grep . | median)
	done
	threads=$(ls /proc/"$pid"/task | wc -l)
	libs=$(awk '$6 ~ /\.so/ { print $6 }' /proc/"$pid"/maps | sort -u | wc -l)
	fp=$(files pileup "$pid")
	fe=$(files eu-stack "$pid")
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
	echo "| $prog | $threads | $libs | ${m[pileup]} | ${m[cold]} | ${m[eu-stack]} | ${m[gdb]} | $(ratio "${m[eu-stack]}" "${m[pileup]}") |" \
		"$(ratio "${m[eu-stack]}" "${m[cold]}") | $(ratio "${m[gdb]}" "${m[pileup]}") | ${fp% *} (${fp#* }) | ${fe% *} (${fe#* }) |" >>"$TMP/table"
	unset t
	for p in "${FX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	FX_PIDS=()
done
cat "$TMP/table" | tee "$OUT"
