#!/usr/bin/env bash
# tests/bench/scale.sh - a million goroutines (issue 16): pileup on the Go
# leak fixture scaled up, live and from a core, and the browser on the saved
# snapshot.  Not part of make check.
#
# It starts fixtures/bin/go/R/leaks (BENCH_SCALE_RELEASE, default 1.26) with
# N goroutines (BENCH_SCALE_N, default 1000000; the mix of tests/bench/go.sh)
# and measures, under tests/helpers/measure (wall, CPU = user+sys, peak RSS):
#
#   text         pileup PID
#   json         pileup --json PID
#   watch        pileup --watch 1 --count 2 PID   (two captures, 1 s apart:
#                the sleep is part of its wall time and is subtracted in the
#                "less the sleep" column)
#   gcore        pileup --gcore PID -o FILE   (how long writing the core takes)
#   core-text    pileup FILE
#   core-json    pileup --json FILE
#
# Targets: < 2.5 s each, peak RSS < 1 GB.  Each answer is checked: the
# goroutine count is at least N and the largest group is the fixture's
# stranded senders.
#
# Browser: the saved JSON of the live capture is opened with --tui on the
# virtual screen (PILEUP_TUI_SCRIPT, 120x40); the script dumps the screen
# after each key, and the dumps' modification times give how long the open
# (from the start of the process to the first screen) and each key (its
# handling and the redraw) took.  Targets: open < 2 s, each key < 50 ms.
#
# The table is printed and written to tests/bench/scale-results.md
# (BENCH_SCALE_OUT).  Environment: PILEUP, BENCH_SCALE_N, BENCH_SCALE_RELEASE,
# BENCH_SCALE_OUT, BENCH_TIMEOUT (seconds per run, default 300).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
N=${BENCH_SCALE_N:-1000000}
R=${BENCH_SCALE_RELEASE:-1.26}
OUT=${BENCH_SCALE_OUT:-$ROOT/tests/bench/scale-results.md}
TOOL_TIMEOUT=${BENCH_TIMEOUT:-300}
MEASURE=$ROOT/tests/helpers/measure
FX=$ROOT/fixtures/bin/go/$R/leaks
unset DEBUGINFOD_URLS
export LC_ALL=C

for f in "$PILEUP" "$FX" "$MEASURE"; do
	[ -x "$f" ] || { echo "bench: $f is missing; run 'make pileup fixtures tests/helpers/measure'" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "bench: jq is missing; run scripts/deps.sh test" >&2; exit 2; }

TMP=$(mktemp -d /tmp/pileup-scale.XXXXXX)
FXPID=
cleanup() {
	[ -n "$FXPID" ] && kill -KILL "$FXPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT

# The mix of tests/bench/go.sh.
a=$((N * 3 / 10)) b=$((N * 2 / 10)) c=$((N / 10))
rest=$((N - a - b - 5 * c))
"$FX" -first-error $((a + rest)) -producers $b -for-select $c -mutex $c -waitgroup $c -recv $c -select-case $c \
	>"$TMP/fx.out" 2>"$TMP/fx.err" &
FXPID=$!
for ((i = 0; i < 6000; i++)); do
	grep -q '^ready ' "$TMP/fx.out" 2>/dev/null && break
	kill -0 "$FXPID" 2>/dev/null || { echo "bench: fixture died: $(cat "$TMP/fx.err")" >&2; exit 2; }
	sleep 0.1
done
grep -q '^ready ' "$TMP/fx.out" || { echo "bench: fixture not ready" >&2; exit 2; }
want_big=$(awk -F'\t' '$1 == "group" && $3 == "main.broadcastMsg.func1" {print $4}' "$TMP/fx.out")
echo "# fixture go$R pid $FXPID: $N goroutines asked, $want_big stranded senders"

: >"$TMP/results"
# run NAME SLEEP CMD...: appends "name wall cpu rss_mb sleep ok".
run() {
	local name=$1 sleep_s=$2
	shift 2
	local t=$TMP/time.$name o=$TMP/out.$name
	"$MEASURE" -o "$t" -t "$TOOL_TIMEOUT" -- "$@" >"$o" 2>"$o.err" </dev/null
	local rc=$? wall usr sys rss ok=yes
	read -r wall usr sys rss < <(tail -n 1 "$t" 2>/dev/null)
	if [ "$rc" = 124 ] || ! [[ "${rss:-}" =~ ^[0-9]+$ ]]; then
		echo "$name timeout 0 0 $sleep_s timeout" >>"$TMP/results"
		return
	fi
	[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || ok="exit $rc: $(head -c 200 "$o.err")"
	awk -v n="$name" -v w="$wall" -v u="$usr" -v s="$sys" -v m="$rss" -v z="$sleep_s" -v ok="$ok" \
		'BEGIN { printf "%s %.3f %.3f %d %s %s\n", n, w / 1000, (u + s) / 1000, m / 1024, z, ok }' >>"$TMP/results"
	[ -z "$FXPID" ] || kill -0 "$FXPID" 2>/dev/null || { echo "bench: the target died during $name" >&2; exit 2; }
	echo "# $(tail -n 1 "$TMP/results")"
}

# check_json NAME: the goroutine count and the largest group of a JSON report.
check_json() {
	local got
	got=$(jq -r '"\(.target.goroutines) \([.groups[] | select(.kind == "goroutine") | .count] | max)"' "$TMP/out.$1")
	echo "# $1: goroutines, largest group: $got"
	read -r g big <<<"$got"
	[[ "$g" =~ ^[0-9]+$ ]] && [ "$g" -ge "$N" ] && [ "$big" = "$want_big" ] ||
		echo "bench: $1: expected >= $N goroutines and a group of $want_big, got $got" >&2
}

run text 0 "$PILEUP" "$FXPID"
run json 0 "$PILEUP" --json "$FXPID"
check_json json
cp "$TMP/out.json" "$TMP/snap.json"
run watch 1 "$PILEUP" --watch 1 --count 2 "$FXPID"
run gcore 0 "$PILEUP" --gcore "$FXPID" -o "$TMP/fx.core"
kill -0 "$FXPID" 2>/dev/null || { echo "bench: the target died" >&2; exit 2; }
core_mb=$(($(stat -c %s "$TMP/fx.core" 2>/dev/null || echo 0) / 1000000))
kill -KILL "$FXPID" 2>/dev/null
wait "$FXPID" 2>/dev/null
FXPID=
run core-text 0 "$PILEUP" "$TMP/fx.core"
run core-json 0 "$PILEUP" --json "$TMP/fx.core"
check_json core-json
rm -f "$TMP/fx.core"
json_mb=$(($(stat -c %s "$TMP/snap.json") / 1000000))

# --- the browser: one :dump after the open and after each key ---------------
KEYS=(
	"<Down>|down one group"
	"<PgDn>|page down"
	"<End>|last group"
	"<Home>|first group"
	"o|sort (by wait time)"
	"w|group by wait site"
	"w|group by stack again"
	"t|threads"
	"t|goroutines again"
	"/broadcast<Enter>|search a function"
	"n|next match"
	"<Home><Enter>|open the largest group (its stack and members)"
	"<End>|last of its members"
	"<PgUp>|members: page up"
	"<Home>|first line"
	"/leaks<Enter>|search its members"
	"<Esc>|back to the groups"
)
{
	echo ":dump $TMP/d.0"
	for ((k = 0; k < ${#KEYS[@]}; k++)); do
		echo "${KEYS[k]%%|*}"
		echo ":dump $TMP/d.$((k + 1))"
	done
	echo q
} >"$TMP/script"
t0=$(date +%s.%N)
PILEUP_TUI_SIZE=120x40 PILEUP_TUI_SCRIPT=$TMP/script "$MEASURE" -o "$TMP/time.tui" -t "$TOOL_TIMEOUT" -- \
	"$PILEUP" --tui "$TMP/snap.json" </dev/null >"$TMP/out.tui" 2>"$TMP/out.tui.err"
tui_rc=$?
read -r tui_wall tui_usr tui_sys tui_rss < <(tail -n 1 "$TMP/time.tui" 2>/dev/null)
[ "$tui_rc" = 0 ] || echo "bench: the browser exited $tui_rc: $(head -c 200 "$TMP/out.tui.err")" >&2
grep -q 'broadcastMsg' "$TMP/d.1" 2>/dev/null || echo "bench: the browser's first screen does not show the largest group" >&2

{
	echo "$N goroutines (fixtures/bin/go/$R/leaks, the mix of tests/bench/go.sh) on $(nproc) CPUs,"
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; one run each; $(date -u +%Y-%m-%d)."
	echo
	echo "| run | wall (s) | less the sleep (s) | CPU (s) | peak RSS (MB) | target < 2.5 s, < 1000 MB |"
	echo "|---|---:|---:|---:|---:|---|"
	while read -r name wall cpu rss sleep_s ok; do
		net=$(awk -v w="$wall" -v z="$sleep_s" 'BEGIN { if (w + 0 == w) printf "%.3f", w - z; else print w }')
		case $name in gcore) verdict="(no target)" ;; *)
			verdict=$(awk -v w="$net" -v m="$rss" 'BEGIN { print (w + 0 < 2.5 && m + 0 < 1000) ? "met" : "**missed**" }') ;;
		esac
		[ "$ok" = yes ] || verdict="$verdict ($ok)"
		echo "| $name | $wall | $net | $cpu | $rss | $verdict |"
	done <"$TMP/results"
	echo
	echo "The core: $core_mb MB; the JSON report: $json_mb MB."
	echo
	awk -v w="${tui_wall:-0}" -v u="${tui_usr:-0}" -v s="${tui_sys:-0}" -v m="${tui_rss:-0}" 'BEGIN {
		printf "Browser on that JSON report (120x40 virtual screen): whole run %.0f ms, CPU %.0f ms, peak RSS %d MB.\n", w, u + s, m / 1024 }'
	echo
	echo "| step | ms | target |"
	echo "|---|---:|---|"
	prev=$t0
	for ((k = 0; k <= ${#KEYS[@]}; k++)); do
		at=$(stat -c %.9Y "$TMP/d.$k" 2>/dev/null || echo "")
		if [ -z "$at" ]; then
			echo "| step $k | - | no screen |"
			continue
		fi
		ms=$(awk -v a="$at" -v b="$prev" 'BEGIN { printf "%.1f", (a - b) * 1000 }')
		if [ "$k" = 0 ]; then
			label="open (start to first screen)" lim=2000
		else
			label="\`${KEYS[k - 1]%%|*}\` ${KEYS[k - 1]#*|}" lim=50
		fi
		v=$(awk -v m="$ms" -v l="$lim" 'BEGIN { print (m + 0 < l) ? "met" : "**missed**" }')
		echo "| ${label//|/\\|} | $ms | < $lim ms: $v |"
		prev=$at
	done
} | tee "$OUT"
