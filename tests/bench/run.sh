#!/usr/bin/env bash
# tests/bench/run.sh - pileup against eu-stack and gdb on the same hung process.
#
# For each size N (BENCH_SIZES, default "100 1000 10000") it starts
# fixtures/bin/waits with exactly N threads (mostly condvar waiters, plus mutex,
# sleep, epoll and read waiters, the control thread and the heartbeat), then
# runs on that one process, round after round (BENCH_REPS rounds, default 3):
#
#   idle      sleep 1 (no tool: the heartbeat gap the machine causes by itself)
#   pileup    pileup PID               (default, nonstop)
#   stop-all  pileup --stop-all PID
#   json      pileup --json PID
#   eu-stack  eu-stack -p PID
#   gdb       gdb -batch -p PID -ex 'thread apply all bt'
#
# For each run: wall time, peak RSS of the tool (tests/helpers/measure), the fixture's
# longest heartbeat gap during the run and the EINTRs the run caused (SIGUSR1
# before and after the run, see fixtures/README.md).  The table shows medians.
# It is printed and written to tests/bench/results.md (BENCH_OUT).
#
# With BENCH_BASELINE=BINARY (another build of pileup, say the last commit's)
# a row "baseline" runs `BINARY PID` in the same rounds, for before/after.
#
# Environment: PILEUP (binary, default ./pileup), BENCH_SIZES, BENCH_REPS,
# BENCH_TIMEOUT (seconds per tool run, default 120; gdb and eu-stack are killed
# after it), BENCH_OUT (results file).  Run through `make bench`.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PILEUP=${PILEUP:-$ROOT/pileup}
FIX=$ROOT/fixtures/bin/waits
SIZES=${BENCH_SIZES:-100 1000 10000}
REPS=${BENCH_REPS:-3}
TOOL_TIMEOUT=${BENCH_TIMEOUT:-120}
OUT=${BENCH_OUT:-$ROOT/tests/bench/results.md}
BASELINE=${BENCH_BASELINE:-}
TOOLS="idle pileup stop-all json eu-stack gdb"
[ -n "$BASELINE" ] && TOOLS="idle pileup baseline stop-all json eu-stack gdb"

# No network symbol lookups by any of the tools: all read local files only.
unset DEBUGINFOD_URLS
export LC_ALL=C

for f in "$PILEUP" "$FIX"; do
	[ -x "$f" ] || { echo "bench: $f is missing; run 'make bench'" >&2; exit 2; }
done
MEASURE=$ROOT/tests/helpers/measure
[ -x "$MEASURE" ] || { echo "bench: $MEASURE is missing; run 'make tests/helpers/measure'" >&2; exit 2; }
for c in eu-stack gdb jq; do
	command -v "$c" >/dev/null || { echo "bench: $c is missing; run scripts/deps.sh test" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/pileup-bench.XXXXXX)
FX_PID=
FX_OUT=
TOOL_PID=

# stopped PID: some thread of PID is stopped (T) or in a ptrace stop (t).
stopped() {
	cat /proc/"$1"/task/*/stat 2>/dev/null |
		awk '{ sub(/.*\) /, ""); c = substr($0, 1, 1); if (c == "t" || c == "T") f = 1 } END { exit !f }'
}

. "$ROOT/tests/bench/lib.sh"

# start_fixture N: waits with exactly N threads; sets FX_PID, FX_OUT.
start_fixture() {
	local n=$1 e r s m c try i
	e=$((n / 100)) r=$((n / 100)) s=$((n / 20)) m=$((n / 10))
	c=$((n - 2 - e - r - s - m))
	FX_ARGS="--condvar $c --mutex $m --sleep $s --epoll $e --read $r"
	for try in 1 2 3; do
		FX_OUT=$TMP/fx.$n.$try
		"$FIX" $FX_ARGS >"$FX_OUT" 2>"$FX_OUT.err" &
		FX_PID=$!
		for ((i = 0; i < 1200; i++)); do
			grep -q '^ready ' "$FX_OUT" 2>/dev/null && break
			kill -0 "$FX_PID" 2>/dev/null || break
			sleep 0.05
		done
		if grep -q '^ready ' "$FX_OUT" && [ "$(ls /proc/"$FX_PID"/task | wc -l)" = "$n" ]; then
			return 0
		fi
		echo "bench: fixture with $n threads not ready (try $try): $(head -c 300 "$FX_OUT.err")" >&2
		kill_fixture
	done
	return 1
}

# stats: asks the fixture for its stats line; sets ST_GAP (us) and ST_EINTR, or
# returns 1 when no line comes.
stats() {
	local before i line
	before=$(grep -c '^stats ' "$FX_OUT")
	kill -USR1 "$FX_PID" 2>/dev/null || return 1
	for ((i = 0; i < 250; i++)); do
		if [ "$(grep -c '^stats ' "$FX_OUT")" -gt "$before" ]; then
			line=$(grep '^stats ' "$FX_OUT" | tail -n 1)
			ST_GAP=$(sed -n 's/.*max_gap_us=\([0-9]*\).*/\1/p' <<<"$line")
			ST_EINTR=$(sed -n 's/.*eintr=\([0-9]*\).*/\1/p' <<<"$line")
			return 0
		fi
		sleep 0.02
	done
	return 1
}

declare -A V    # "N|tool|metric" -> space-separated values, one per run
declare -A NOTE # "N|tool" -> notes
add() { V[$1]="${V[$1]:-} $2"; }
note() {
	case "${NOTE[$1]:-}" in
	*"$2"*) ;;
	*) NOTE[$1]="${NOTE[$1]:+${NOTE[$1]}; }$2" ;;
	esac
}

# run_one N TOOL: one measured run of TOOL on the fixture.
run_one() {
	local n=$1 tool=$2 k="$1|$2" out=$TMP/out.$2 tf=$TMP/time.$2 rc t0 t1 e0
	local -a cmd
	case $tool in
	idle) cmd=(sleep 1) ;;
	pileup) cmd=("$PILEUP" "$FX_PID") ;;
	baseline) cmd=("$BASELINE" "$FX_PID") ;;
	stop-all) cmd=("$PILEUP" --stop-all "$FX_PID") ;;
	json) cmd=("$PILEUP" --json "$FX_PID") ;;
	eu-stack) cmd=(eu-stack -p "$FX_PID") ;;
	gdb) cmd=(gdb -nx -batch -p "$FX_PID" -ex 'set pagination off' -ex 'thread apply all bt') ;;
	esac
	rm -f "$tf"
	if ! stats; then
		note "$k" "no stats line before the run"
		e0=
	else
		e0=$ST_EINTR
	fi
	"$MEASURE" -o "$tf" -t "$TOOL_TIMEOUT" -- "${cmd[@]}" >"$out" 2>"$out.err" &
	TOOL_PID=$!
	wait "$TOOL_PID"
	rc=$?
	TOOL_PID=
	if stopped "$FX_PID"; then
		note "$k" "left the target stopped (SIGCONT sent)"
		kill -CONT "$FX_PID"
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		note "$k" "timed out after ${TOOL_TIMEOUT} s (killed)"
	else
		if [ -s "$tf" ]; then
			add "$k|wall" "$(awk 'END { printf "%.1f", $1 }' "$tf")"
			add "$k|rss" "$(awk 'END { printf "%.1f", $4 / 1024 }' "$tf")"
		fi
		case $tool in
		pileup | baseline | stop-all | json) [ "$rc" = 0 ] || note "$k" "exit status $rc" ;;
		idle) ;;
		*) [ "$rc" = 0 ] || note "$k" "exit status $rc" ;;
		esac
	fi
	if stats; then
		add "$k|gap" "$(awk -v g="$ST_GAP" 'BEGIN { printf "%.1f", g / 1000 }')"
		[ -n "$e0" ] && add "$k|eintr" "$((ST_EINTR - e0))"
	else
		note "$k" "no stats line after the run: gap and EINTR unknown"
	fi
	# What the tool reported: threads with a stack, pileup's own timings.
	local seen=
	case $tool in
	pileup | baseline | stop-all)
		seen=$(awk '/^#[0-9]+ +[0-9]+ threads? / { s += $2 } END { print s + 0 }' "$out")
		if [ "$tool" = stop-all ]; then
			local p
			p=$(sed -n 's/.*paused for \([0-9.]*\) ms.*/\1/p' "$out" | head -n 1)
			[ -n "$p" ] && add "$k|pause" "$p"
		fi
		;;
	json)
		seen=$(jq '.threads | length' "$out" 2>/dev/null)
		add "$k|capture" "$(jq '.capture.elapsed_us / 1000' "$out" 2>/dev/null)"
		add "$k|analyze" "$(jq '.capture.analyze_us / 1000' "$out" 2>/dev/null)"
		if [ "$rc" = 1 ]; then
			local why
			why=$(jq -r '[.threads[] | select(.error) | "\(.name): \(.error)"] | .[:2] | join(", ")' "$out" 2>/dev/null)
			[ -n "$why" ] && note "$k" "partial: $why"
		fi
		;;
	eu-stack) seen=$(grep -c '^TID ' "$out") ;;
	gdb) seen=$(grep -c '^Thread [0-9]' "$out") ;;
	esac
	[ -n "$seen" ] && add "$k|seen" "$seen"
	printf '  %-8s wall %8s ms  rss %6s MB  gap %8s ms  eintr %s  threads %s  rc %s\n' "$tool" \
		"$(last "$k|wall")" "$(last "$k|rss")" "$(last "$k|gap")" "$(last "$k|eintr")" "${seen:--}" "$rc" >&2
}

last() { local v=${V[$1]:-}; v=${v##* }; echo "${v:-n/a}"; }

# med KEY: median of the stored values; "n/a" when there are none; adds
# "(k of R runs)" when some runs gave no value.
med() {
	local v=${V[$1]:-}
	[ -n "$v" ] || { echo "n/a"; return; }
	# shellcheck disable=SC2086
	printf '%s\n' $v | sort -g | awk -v reps="$REPS" '{ a[NR] = $1 }
		END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		      printf "%s", m; if (NR < reps) printf " (%d of %d runs)", NR, reps }'
}
# range KEY: "min–max" of the stored values.
range() {
	local v=${V[$1]:-}
	[ -n "$v" ] || return 0
	# shellcheck disable=SC2086
	printf '%s\n' $v | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR > 1) printf "%s–%s", fmt(lo), fmt(hi) }
		function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }'
}
num() { awk -v x="${1%% *}" 'BEGIN { if (x == "n/a") print "n/a"; else if (x >= 100) printf "%.0f", x; else printf "%.1f", x }'; }
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else { r = a / b; printf (r >= 10 ? "%.0fx" : "%.1fx"), r } }'; }

label() {
	case $1 in
	idle) echo "(no tool: sleep 1)" ;;
	pileup) echo "\`pileup PID\`" ;;
	baseline) echo "baseline \`$(basename "$BASELINE") PID\` ($BASELINE)" ;;
	stop-all) echo "\`pileup --stop-all PID\`" ;;
	json) echo "\`pileup --json PID\`" ;;
	eu-stack) echo "\`eu-stack -p PID\`" ;;
	gdb) echo "\`gdb -batch -ex 'thread apply all bt'\`" ;;
	esac
}

DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
MACHINE="$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r), $(free -m | awk '/^Mem:/ { printf "%.1f GB RAM", $2 / 1024 }')"
PILEUP_REV=$(git -C "$(dirname "$PILEUP")" describe --always --dirty 2>/dev/null)
VERSIONS="$("$PILEUP" --version 2>&1 | head -n 1) (${PILEUP_REV:+git $PILEUP_REV, }$PILEUP); $(gdb --version | head -n 1); $(eu-stack --version | head -n 1)"
declare -A LOAD_BEFORE LOAD_AFTER FXARGS
load() { sed 's/.*load average: //' <<<"$(uptime)"; }

echo "bench: $DATE; $MACHINE" >&2
echo "bench: $VERSIONS" >&2
for n in $SIZES; do
	echo "bench: $n threads" >&2
	LOAD_BEFORE[$n]=$(load)
	if ! start_fixture "$n"; then
		echo "bench: skipping $n threads: the fixture did not start" >&2
		continue
	fi
	FXARGS[$n]=$FX_ARGS
	for ((rep = 1; rep <= REPS; rep++)); do
		echo " round $rep/$REPS (load $(load))" >&2
		for t in $TOOLS; do
			run_one "$n" "$t"
			kill -0 "$FX_PID" 2>/dev/null || { echo "bench: the fixture died" >&2; break 2; }
		done
	done
	LOAD_AFTER[$n]=$(load)
	kill_fixture
done

report() {
	echo "# pileup benchmark"
	echo
	echo "- date: $DATE"
	echo "- machine: $MACHINE"
	echo "- versions: $VERSIONS"
	echo "- medians of $REPS runs per cell (min–max in brackets); ratio = the tool's wall time / \`pileup PID\`'s"
	echo
	echo "| threads | tool | wall ms | ratio | peak RSS MB | longest heartbeat gap ms | EINTR caused | threads in output | notes |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---|"
	local n t k w ref notes r
	for n in $SIZES; do
		[ -n "${FXARGS[$n]:-}" ] || { echo "| $n | (fixture did not start) | | | | | | | |"; continue; }
		ref=$(med "$n|pileup|wall")
		for t in $TOOLS; do
			k="$n|$t"
			w=$(med "$k|wall")
			notes=${NOTE[$k]:-}
			case $t in
			stop-all) [ -n "${V[$k|pause]:-}" ] && notes="pileup says all threads paused $(num "$(med "$k|pause")") ms${notes:+; $notes}" ;;
			json) [ -n "${V[$k|capture]:-}" ] && notes="capture.elapsed_us $(num "$(med "$k|capture")") ms, capture.analyze_us $(num "$(med "$k|analyze")") ms${notes:+; $notes}" ;;
			esac
			r=$(ratio "$w" "$ref")
			[ "$t" = idle ] && r=""
			[ "$t" = pileup ] && r="1x"
			printf '| %s | %s | %s%s | %s | %s | %s | %s | %s | %s |\n' "$n" "$(label "$t")" \
				"$(num "$w")" "$(r=$(range "$k|wall"); [ -n "$r" ] && echo " ($r)")" "$r" \
				"$(num "$(med "$k|rss")")" \
				"$(num "$(med "$k|gap")")$(r=$(range "$k|gap"); [ -n "$r" ] && echo " ($r)")" \
				"$(med "$k|eintr")" "$( [ "$t" = idle ] && echo - || med "$k|seen")" "$notes"
		done
	done
	echo
	for n in $SIZES; do
		[ -n "${FXARGS[$n]:-}" ] || continue
		ref=$(med "$n|pileup|wall")
		echo "- $n threads: eu-stack / pileup = $(ratio "$(med "$n|eu-stack|wall")" "$ref"), gdb / pileup = $(ratio "$(med "$n|gdb|wall")" "$ref"), eu-stack / pileup --json = $(ratio "$(med "$n|eu-stack|wall")" "$(med "$n|json|wall")"); fixture \`waits ${FXARGS[$n]}\`; load average before ${LOAD_BEFORE[$n]}, after ${LOAD_AFTER[$n]}"
	done
	local big
	for big in $SIZES; do :; done
	if [ -n "${FXARGS[$big]:-}" ]; then
		local rr gap
		rr=$(awk -v a="$(med "$big|eu-stack|wall")" -v b="$(med "$big|pileup|wall")" 'BEGIN { if (a ~ /n\/a/ || b ~ /n\/a/ || b == 0) print "n/a"; else printf "%.1f", a / b }')
		gap=$(med "$big|stop-all|gap")
		echo
		echo "Targets (issue 2) at $big threads:"
		echo "- full grouped report at least 25x faster than eu-stack: $rr x, $(awk -v r="$rr" 'BEGIN { print (r == "n/a") ? "unknown" : (r >= 25 ? "met" : "missed") }')"
		echo "- \`--stop-all\` pauses the target less than 400 ms (longest heartbeat gap): $(num "$gap") ms, $(awk -v g="${gap%% *}" 'BEGIN { print (g == "n/a") ? "unknown" : (g < 400 ? "met" : "missed") }')"
	fi
	echo
	cat <<-'EOF'
	How it is measured: `make bench` (or `BENCH_SIZES="100 1000" tests/bench/run.sh`).
	For each size one `fixtures/bin/waits` process is started; every round runs the
	tools one after another on it, each under `tests/helpers/measure` (output to a
	file), which takes wall time from the tool's spawn to its exit, and its peak
	RSS; it kills the tool after BENCH_TIMEOUT (the `sleep 1` row shows what is left
	of overhead: its wall time minus 1000 ms). Right before each tool the script sends SIGUSR1 to
	the fixture (this resets its longest heartbeat gap and reads its EINTR total) and
	right after it sends SIGUSR1 again: the gap is the longest time the 1 ms
	heartbeat thread did not run during the tool's run, EINTR the number of blocked
	calls that returned early. "threads in output" counts threads with a stack:
	the group sizes of the text report, `.threads` in JSON, `TID` lines of
	eu-stack, `Thread` lines of gdb.
	EOF
}

report | tee "$OUT"
echo "bench: wrote $OUT" >&2
