# tests/lib.sh - shared helpers for the pileup test scripts (bash).
#
# Each tests/t_*.sh sources this file, runs checks with `check`, and ends
# with `finish`.  Fixtures started with `start_fixture` are killed on exit,
# whatever happens.  Environment: PILEUP (the binary under test), ROOT (the
# source tree), PILEUP_ASAN=1 when the binary is the sanitizer build (tests
# then use fewer iterations: it is slower, not different).
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PILEUP=${PILEUP:-$ROOT/pileup}
FIX=$ROOT/fixtures/bin
ASAN=${PILEUP_ASAN:-0}
TMP=$(mktemp -d /tmp/pileup-test.XXXXXX)
PASS=0
FAIL=0
FX_PIDS=()

# fx_track PID...: processes cleanup ends when the test exits, each known
# by its PID and its start time: a fixture that died long ago left its
# PID to whatever the kernel gave it next (a test that starts fifty
# 1,000-thread fixtures wraps pid_max), which is never signalled.
FX_STARTS=()
fx_start_time() {
	local stat
	stat=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	echo "${20}"
}
fx_track() {
	local p
	for p in "$@"; do
		FX_PIDS+=("$p")
		FX_STARTS+=("$(fx_start_time "$p")")
	done
}

cleanup() {
	local i live=() starts=()
	for i in "${!FX_PIDS[@]}"; do
		if [ -n "${FX_STARTS[$i]}" ] && [ "$(fx_start_time "${FX_PIDS[$i]}")" = "${FX_STARTS[$i]}" ]; then
			live+=("${FX_PIDS[$i]}")
			starts+=("${FX_STARTS[$i]}")
		fi
	done
	if [ ${#live[@]} -gt 0 ]; then
		kill -TERM "${live[@]}" 2>/dev/null
		sleep 0.1
	fi
	for i in "${!live[@]}"; do
		[ "$(fx_start_time "${live[$i]}")" = "${starts[$i]}" ] && kill -KILL "${live[$i]}" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then
		PASS=$((PASS + 1))
		echo "ok - $desc"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $desc"
	fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" == "$3" ]; then
		PASS=$((PASS + 1))
		echo "ok - $1"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $1"
		echo "#   expected: $(printf '%s' "$2" | head -c 2000)"
		echo "#   actual:   $(printf '%s' "$3" | head -c 2000)"
	fi
}

finish() {
	echo "# $(basename "$0"): $PASS passed, $FAIL failed"
	echo "RESULT $PASS $FAIL" >&3
	[ "$FAIL" -eq 0 ]
}

# start_fixture PROGRAM ARGS...: starts a fixture, waits for "ready PID".
# Sets FX_PID and FX_OUT (its stdout: the manifest, then stats lines).
start_fixture() {
	local prog=$1
	shift
	FX_OUT=$(mktemp "$TMP/fx.XXXXXX")
	"$prog" "$@" >"$FX_OUT" 2>"$FX_OUT.err" &
	FX_PID=$!
	fx_track "$FX_PID"
	local i
	for ((i = 0; i < 600; i++)); do
		if grep -q '^ready ' "$FX_OUT" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$FX_PID" 2>/dev/null; then
			echo "# fixture $prog $* died: $(cat "$FX_OUT.err")"
			return 1
		fi
		sleep 0.05
	done
	echo "# fixture $prog $* not ready after 30 s"
	return 1
}

stop_fixture() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# fixture_stats PID OUT: asks for the heartbeat/EINTR line and prints it.
fixture_stats() {
	local before
	before=$(grep -c '^stats ' "$2")
	kill -USR1 "$1"
	local i
	for ((i = 0; i < 100; i++)); do
		if [ "$(grep -c '^stats ' "$2")" -gt "$before" ]; then
			grep '^stats ' "$2" | tail -n 1
			return 0
		fi
		sleep 0.02
	done
	return 1
}

# not_stopped PID: no thread of PID is in a stopped or traced state, and
# nobody traces it.
not_stopped() {
	# one awk for all threads: the state is the field after "(comm) "
	if awk '{ s = $0; sub(/.*\) /, "", s); if (s ~ /^[tT]/) bad = 1 } END { exit !bad }' \
		/proc/"$1"/task/*/stat 2>/dev/null; then
		return 1
	fi
	[ "$(awk '/^TracerPid:/{print $2}' /proc/"$1"/status)" = 0 ]
}

# manifest_sites OUT: "class function count" lines of a fixture manifest.
manifest_sites() {
	awk '$1 == "site" { print $2, $3, $4 }' "$1" | sort
}

# manifest_threads OUT: "tid class function" per thread of a fixture manifest.
manifest_threads() {
	awk '$1 == "site" { n = split($5, t, ","); for (i = 1; i <= n; i++) print t[i], $2, $3 }' "$1" | sort
}

# json_threads JSON: "tid wait wait-site-function" per thread of a report.
json_threads() {
	jq -r '.threads[] | "\(.tid) \(.wait) \(.wait_site.function // "-")"' "$1" | sort
}

# matches_manifest DESC JSON OUT: every thread has the class and wait site
# its fixture built it with.
matches_manifest() {
	expect_eq "$1" "$(manifest_threads "$3")" "$(json_threads "$2")"
}

# all_classes: fixture options that park threads in every wait class.
ALL_CLASSES="--mutex 3 --rwlock 2 --condvar 4 --semaphore 2 --futex 2 --join 2 --read 2 --recv 1 --write 1 --poll 2 --epoll 2 --accept 1 --connect 1 --sleep 2 --sigwait 2 --pause 1 --waitpid 1 --semop 2 --spin 1 --deadlock --convoy 3"

# gdb_frames PID: "tid pc pc pc..." per thread, every frame's pc (inline
# frames repeat their physical frame's pc), from gdb attached to PID.
gdb_frames() {
	timeout 120 gdb -nx -batch -p "$1" -ex 'set pagination off' -ex 'set backtrace past-main on' -ex 'set backtrace past-entry on' \
		-ex 'thread apply all bt -frame-info location-and-address' 2>/dev/null |
		awk '/^Thread [0-9]+ \(.*LWP [0-9]+/ { if (tid) print tid, pcs; match($0, /LWP [0-9]+/); tid = substr($0, RSTART + 4, RLENGTH - 4); pcs = "" }
		     /^#[0-9]+ +0x[0-9a-f]+ in / { v = $2; sub(/^0x0*/, "0x", v); pcs = pcs " " v }
		     END { if (tid) print tid, pcs }' | sed 's/  */ /g' | sort -n
}

# json_frames JSON: the same from a pileup report.
json_frames() {
	jq -r '.threads[] | "\(.tid) \([.frames[] | .pc | ltrimstr("0x") | "0x" + (. | tostring)] | join(" "))"' "$1" |
		awk '{ printf "%s", $1; for (i = 2; i <= NF; i++) { v = $i; sub(/^0x0*/, "0x", v); printf " %s", v } print "" }' | sort -n
}
