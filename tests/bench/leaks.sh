#!/bin/bash
# tests/bench/leaks.sh [HEAP_MB [GOROUTINES]] - what --leaks costs on a big
# Go program: fixtures/bin/go/1.27/leakcheck with HEAP_MB (default 1024) of
# linked objects reachable from a global and GOROUTINES (default 100000)
# parked, half of them leaked.  Measures `pileup --stop-all --leaks` live
# (wall, CPU, peak RSS, the pause, the marking) and `pileup --leaks CORE`
# on a core of it, and checks the verdict (the bulk's leaked half, and the
# fixture's other leaks).  Prints a Markdown table.  Not part of make check.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
FIX=$ROOT/fixtures/bin/go/1.27/leakcheck
MEASURE=$ROOT/build/measure
MB=${1:-1024}
NG=${2:-100000}
TMP=$(mktemp -d /tmp/pileup-bench-leaks.XXXXXX)
FX_PID=
TOOL_PID=
. "$ROOT/tests/bench/lib.sh"

[ -x "$FIX" ] || { echo "bench: build the fixture first (make -C fixtures bin/go/1.27/leakcheck)" >&2; exit 2; }
mkdir -p "$ROOT/build"
[ -x "$MEASURE" ] || cc -O2 -o "$MEASURE" "$ROOT/tests/helpers/measure.c" || exit 2

# GC stack shrinking off: the copy of a shrunk stack leaves its stale words
# to the next goroutines (README: what can make pileup miss a leak)
GODEBUG=gcshrinkstackoff=1 "$FIX" -n 2 -heap "$MB" -bulk "$NG" >"$TMP/out" 2>"$TMP/err" &
FX_PID=$!
for ((i = 0; i < 3000; i++)); do
	grep -q '^ready ' "$TMP/out" 2>/dev/null && break
	kill -0 "$FX_PID" 2>/dev/null || { echo "bench: fixture died: $(cat "$TMP/err")" >&2; exit 2; }
	sleep 0.1
done
grep -q '^ready ' "$TMP/out" || { echo "bench: fixture not ready" >&2; exit 2; }
want=$(awk '$1 == "leak" {n += $3} END {print n}' "$TMP/out")
rss_fx=$(awk '/^VmRSS/ {print int($2 / 1024)}' /proc/"$FX_PID"/status)

row() { # LABEL JSON MEASUREFILE
	read -r wall user sys rss <"$3"
	printf '| %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |\n' "$1" \
		"$(jq -r '.target.goroutines' "$2")" "$(jq -r '(.target.leaks.heap_bytes / 1048576 | floor)' "$2")" \
		"$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" "$(awk -v r="$rss" 'BEGIN {print r / 1024}')" \
		"$(jq -r '(.capture.pause_us / 1000)' "$2")" \
		"$(jq -r '(.target.leaks.us / 1000 | floor)' "$2")" "$(jq -r '.target.leaks.leaked' "$2")" "$want"
}

echo "# pileup --leaks: ${MB} MB of heap, ${NG} goroutines"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- fixture: \`GODEBUG=gcshrinkstackoff=1 leakcheck -n 2 -heap $MB -bulk $NG\` (go1.27.3), RSS ${rss_fx} MB"
echo
echo "| run | goroutines | heap MB | wall ms | CPU ms | peak RSS MB | pause ms | marking ms | leaked | expected |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for k in 1 2; do
	"$MEASURE" -o "$TMP/m" -t 300 -- "$PILEUP" --stop-all --leaks --json -o "$TMP/live.json" "$FX_PID"
	row "live --stop-all --leaks ($k)" "$TMP/live.json" "$TMP/m"
done
"$PILEUP" --gcore "$FX_PID" -o "$TMP/core" --stop-all >/dev/null 2>&1
for k in 1 2; do
	"$MEASURE" -o "$TMP/m" -t 300 -- "$PILEUP" --leaks --json -o "$TMP/core.json" "$TMP/core" "$FIX"
	row "core --leaks ($k)" "$TMP/core.json" "$TMP/m"
done
"$MEASURE" -o "$TMP/m" -t 300 -- "$PILEUP" --stop-all --json -o "$TMP/plain.json" "$FX_PID"
read -r wall user sys rss <"$TMP/m"
echo
echo "Where the time of a live run goes (PILEUP_TIMING=1):"
echo
PILEUP_TIMING=1 "$PILEUP" --stop-all --leaks --json -o /dev/null "$FX_PID" 2>&1 | sed 's/^/    /'
echo
echo "Without --leaks, the same capture: wall ${wall%.*} ms, peak RSS $(awk -v r="$rss" 'BEGIN {printf "%.0f", r / 1024}') MB, pause $(jq -r '.capture.pause_us / 1000' "$TMP/plain.json") ms."
