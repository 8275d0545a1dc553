#!/usr/bin/env bash
# tests/bench/dumps.sh - reading a big goroutine dump: pileup against
# panicparse and `go tool pprof`.
#
# It starts fixtures/bin/go-leaks with N goroutines (BENCH_DUMP_N, default
# 100000: 30% stranded senders, 20% producers on a full channel, 10% each
# for-select, mutex, WaitGroup, never-closed channel, blocking call in a
# select case), fetches its /debug/pprof/goroutine?debug=2 dump (~50 MB
# of text) and its debug=0 profile (gzipped profile.proto) once, stops the
# fixture, and then runs on those files, one after the other, in one run
# (BENCH_REPS rounds, default 1; the table shows medians):
#
#   pileup          pileup DUMP.txt          parse + group the dump, text report
#   pileup-json     pileup --json DUMP.txt   the same, every goroutine as JSON
#   pileup-pb       pileup PROFILE.pb.gz     the debug=0 profile, grouped, text report
#   pp              pp DUMP.txt              panicparse v2 (default: reads sources)
#   pp-noparse      pp -parse=false ...      panicparse without reading sources
#   pprof-top       go tool pprof -top PROFILE.pb.gz   (Go's own reader)
#
# Each run: wall time, CPU time and peak RSS (tests/helpers/measure).  The
# answers are checked: pileup and panicparse count every goroutine of the
# dump, and pileup's largest group is what the fixture made.  Targets (issue
# 14): pileup >= 10 times faster than panicparse, <= 300 MB peak RSS.  The
# table is printed and written to tests/bench/dumps-results.md
# (BENCH_DUMP_OUT).  BENCH_DUMP_FIX: another build of the fixture.  Tools: PP (panicparse's pp; default /tmp/pp/pp, made by
# `GOBIN=/tmp/pp /usr/local/go/bin/go install github.com/maruel/panicparse/v2/cmd/pp@latest`),
# GO (default /usr/lib/go-1.23/bin/go, named by path).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
FIX=${BENCH_DUMP_FIX:-$ROOT/fixtures/bin/go-leaks}
N=${BENCH_DUMP_N:-100000}
REPS=${BENCH_REPS:-1}
TOOL_TIMEOUT=${BENCH_TIMEOUT:-900}
OUT=${BENCH_DUMP_OUT:-$ROOT/tests/bench/dumps-results.md}
PP=${PP:-/tmp/pp/pp}
# Go 1.23 ships pprof built (pkg/tool); 1.26 builds it on the first `go tool pprof`
GO=${GO:-/usr/lib/go-1.23/bin/go}
MEASURE=$ROOT/tests/helpers/measure
export LC_ALL=C
unset DEBUGINFOD_URLS

for f in "$PILEUP" "$FIX" "$MEASURE" "$PP" "$GO"; do
	[ -x "$f" ] || { echo "bench: $f is missing (make pileup fixtures tests/helpers/measure; PP and GO: see the top of $0)" >&2; exit 2; }
done
for c in curl jq; do
	command -v "$c" >/dev/null || { echo "bench: $c is missing; run scripts/deps.sh test" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/pileup-dumpbench.XXXXXX)
FXPID=
cleanup() {
	[ -n "$FXPID" ] && kill -KILL "$FXPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

a=$((N * 3 / 10)) b=$((N * 2 / 10)) c=$((N / 10))
rest=$((N - a - b - 5 * c))
"$FIX" -first-error $((a + rest)) -producers $b -for-select $c -mutex $c -waitgroup $c -recv $c -select-case $c \
	-pprof 127.0.0.1:0 >"$TMP/fx" 2>"$TMP/fx.err" &
FXPID=$!
for ((i = 0; i < 3000; i++)); do
	grep -q '^ready ' "$TMP/fx" 2>/dev/null && break
	kill -0 $FXPID 2>/dev/null || { echo "bench: fixture died: $(cat "$TMP/fx.err")" >&2; exit 2; }
	sleep 0.1
done
URL=$(awk '$1 == "pprof" {print $2}' "$TMP/fx")
[ -n "$URL" ] || { echo "bench: the fixture serves no pprof" >&2; exit 2; }
curl -s -m 600 "$URL/debug/pprof/goroutine?debug=2" -o "$TMP/dump.txt" || { echo "bench: cannot fetch the dump" >&2; exit 2; }
curl -s -m 600 "$URL/debug/pprof/goroutine?debug=0" -o "$TMP/profile.pb.gz" || { echo "bench: cannot fetch the profile" >&2; exit 2; }
want_big=$(awk -F'\t' '$1 == "group" && $3 == "main.broadcastMsg.func1" {print $4}' "$TMP/fx")
kill -KILL $FXPID
wait $FXPID 2>/dev/null
FXPID=
ngo=$(grep -c '^goroutine [0-9]* \[' "$TMP/dump.txt")
mb=$(awk -v s="$(stat -c %s "$TMP/dump.txt")" 'BEGIN { printf "%.1f", s / 1048576 }')
pbkb=$(awk -v s="$(stat -c %s "$TMP/profile.pb.gz")" 'BEGIN { printf "%.0f", s / 1024 }')
echo "# dump: $ngo goroutines, $mb MB; profile: $pbkb KB"

# measure NAME CMD...: appends "name wall cpu rss ok" (s, s, MB).  A tool
# killed at BENCH_TIMEOUT keeps the time and CPU it had used ("killed"):
# its ratios are then lower bounds.
measure() {
	local name=$1
	shift
	local t=$TMP/time.$name o=$TMP/out.$name
	rm -f "$t"
	"$MEASURE" -o "$t" -t "$TOOL_TIMEOUT" -- "$@" >"$o" 2>"$o.err" </dev/null
	local rc=$? wall usr sys rss ok=yes
	read -r wall usr sys rss < <(tail -n 1 "$t" 2>/dev/null)
	if ! [[ "$rss" =~ ^[0-9]+$ ]]; then
		wall=- usr=0 sys=0 rss=0 ok="no measure"
	elif [ "$rc" = 124 ]; then
		wall=$(awk -v w="$wall" 'BEGIN { printf "%.3f", w / 1000 }')
		ok="killed at ${TOOL_TIMEOUT} s"
	else
		wall=$(awk -v w="$wall" 'BEGIN { printf "%.3f", w / 1000 }')
		[ "$rc" -eq 0 ] || ok="exit $rc"
	fi
	echo "$name $wall $(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.3f", (u + s) / 1000 }') $((rss / 1024)) $ok" >>"$TMP/results"
}

: >"$TMP/results"
for ((r = 0; r < REPS; r++)); do
	measure pileup "$PILEUP" "$TMP/dump.txt"
	measure pileup-json "$PILEUP" --json "$TMP/dump.txt"
	measure pileup-pb "$PILEUP" "$TMP/profile.pb.gz"
	measure pp "$PP" -no-color "$TMP/dump.txt"
	measure pp-noparse "$PP" -no-color -parse=false -rebase=false "$TMP/dump.txt"
	measure pprof-top env GOTOOLCHAIN=local "$GO" tool pprof -top "$TMP/profile.pb.gz"
done

# The answers: every goroutine, the largest group the fixture's.
"$PILEUP" --json "$TMP/profile.pb.gz" >"$TMP/out.pileup-pb" 2>/dev/null
pl=$(jq -r '"\(.target.goroutines) \([.groups[] | select(.kind == "goroutine") | .count] | max)"' "$TMP/out.pileup-json")
pb=$(jq -r '"\(.target.goroutines) \([.groups[] | select(.kind == "goroutine") | .count] | max)"' "$TMP/out.pileup-pb")
# panicparse prints "COUNT: STATE [...]" per bucket
ppn=$(grep -Eo '^[0-9]+: ' "$TMP/out.pp" | awk '{s += $1} END {print s + 0}')
ppn2=$(grep -Eo '^[0-9]+: ' "$TMP/out.pp-noparse" | awk '{s += $1} END {print s + 0}')
top=$(grep -c . "$TMP/out.pprof-top")
echo "# pileup: $pl (goroutines, largest group; the fixture made $want_big stranded senders); from the profile: $pb"
echo "# panicparse: $ppn goroutines in its buckets ($ppn2 without sources); go tool pprof -top: $top lines"
bad=
[ "$pl" = "$ngo $want_big" ] || bad+="pileup read '$pl' of the dump, want '$ngo $want_big'; "
[ "$(awk '{print $1}' <<<"$pb")" = "$ngo" ] || bad+="pileup read '$pb' of the profile; "
# panicparse's answer, where it gave one (a killed run gave none)
for v in pp pp-noparse; do
	n=$ppn
	[ $v = pp-noparse ] && n=$ppn2
	if awk -v t=$v '$1 == t && $5 == "yes" {f = 1} END {exit !f}' "$TMP/results"; then
		[ "$n" = "$ngo" ] || bad+="$v bucketed $n goroutines; "
	fi
done
grep -q 'main.broadcastMsg.func1' "$TMP/out.pprof-top" || bad+="go tool pprof -top does not name the fixture's sites; "

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
pw=$(awk '$1 == "pileup" {print $2}' "$TMP/results" | median)
pc=$(awk '$1 == "pileup" {print $3}' "$TMP/results" | median)
{
	echo "| tool | input | wall (s) | CPU (s) | peak RSS (MB) | tool / pileup (wall, CPU) |"
	echo "|---|---|---:|---:|---:|---:|"
	for tool in pileup pileup-json pileup-pb pp pp-noparse pprof-top; do
		w=$(awk -v t=$tool '$1 == t {print $2}' "$TMP/results" | median)
		c=$(awk -v t=$tool '$1 == t {print $3}' "$TMP/results" | median)
		m=$(awk -v t=$tool '$1 == t {print $4}' "$TMP/results" | median)
		ok=$(awk -v t=$tool '$1 == t && $5 != "yes" {$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; exit}' "$TMP/results")
		case $tool in
		pileup | pileup-json) in="debug=2 text" cmd="pileup" ;;
		pileup-pb) in="debug=0 proto" ;;
		pp | pp-noparse) in="debug=2 text" ;;
		pprof-top) in="debug=0 proto" ;;
		esac
		ratio=$(awk -v a="$pw" -v b="$w" -v ac="$pc" -v bc="$c" -v lb="${ok:+>= }" \
			'BEGIN { if (a > 0 && b + 0 > 0 && ac > 0) printf "%s%.1fx, %s%.1fx", lb, b / a, lb, bc / ac; else print "-" }')
		[ $tool = pileup ] && ratio="-"
		echo "| $tool${ok:+ ($ok)} | $in | $w | $c | $m | $ratio |"
	done
} >"$TMP/table"
{
	echo "A $ngo-goroutine debug=2 dump ($mb MB) and its debug=0 profile ($pbkb KB) of fixtures/bin/go-leaks (go1.19):"
	echo "pileup vs panicparse $("$GO" version -m "$PP" 2>/dev/null | awk '$1 == "mod" {print $3; exit}') and $("$GO" version | awk '{print $3}')'s \`go tool pprof -top\`"
	echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; medians of $REPS round(s); one run of tests/bench/dumps.sh)"
	echo
	cat "$TMP/table"
	[ -n "$bad" ] && { echo; echo "WRONG ANSWERS: $bad"; }
} | tee "$OUT"
[ -z "$bad" ]
