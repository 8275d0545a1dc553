#!/bin/bash
# Real programs from Debian, as they run in production (stripped, no -dbg
# package but libc's), on loopback: redis-server with I/O threads, nginx
# with a thread pool, memcached with 8 workers, a postgres backend in
# pg_sleep, python3 with threads.  gdb is the oracle: every thread's
# frames equal gdb's, in the default mode and with --stop-all, with
# either unwinder, and again with /usr/lib/debug hidden (a private mount
# namespace): the end of every stack is recognized without symbols, so
# the reports are complete (exit 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/native_lib.sh"

# hidden CMD...: CMD with an empty /usr/lib/debug, in a mount namespace of its own.
hidden() {
	unshare -m -- bash -c 'mount -t tmpfs none /usr/lib/debug && exec "$@"' _ "$@"
}

# same_as_gdb NAME MODE PILEUP-ARGS...: pileup's frames equal gdb's; a
# thread that moved between the two looks (a timed wait that woke) gets
# two more tries.
same_as_gdb() {
	local name=$1 mode=$2 try rc
	shift 2
	for try in 1 2 3; do
		$WRAP "$PILEUP" --json=1 "$@" "$SRV_PID" >"$TMP/p.json" 2>"$TMP/p.err"
		rc=$?
		$WRAP bash -c ". '$ROOT/tests/lib.sh'; . '$ROOT/tests/native_lib.sh'; gdb_frames_here $SRV_PID" >"$TMP/g" 2>/dev/null
		[ "$(json_frames "$TMP/p.json")" == "$(cat "$TMP/g")" ] && [ $rc -eq 0 ] && break
		sleep 0.5
	done
	check "$name $mode: gdb saw every thread" test "$(wc -l <"$TMP/g")" -eq "$(jq '.threads | length' "$TMP/p.json")"
	expect_eq "$name $mode: every thread's frames equal gdb's" "$(cat "$TMP/g")" "$(json_frames "$TMP/p.json")"
	expect_eq "$name $mode: complete, exit 0" "0:" "$rc:$(jq -r '[.threads[] | select(.error) | "\(.tid) \(.error)"] | join("; ")' "$TMP/p.json")"
}

run() {
	local name=$1
	"start_$name" || { check "$name started" false; return; }
	WRAP=
	same_as_gdb "$name" "default" 
	same_as_gdb "$name" "--stop-all" --stop-all
	same_as_gdb "$name" "libunwind" --unwinder=libunwind
	same_as_gdb "$name" "libunwind --stop-all" --unwinder=libunwind --stop-all
	WRAP=hidden
	same_as_gdb "$name" "no /usr/lib/debug" 
	same_as_gdb "$name" "no /usr/lib/debug, --stop-all" --stop-all
	WRAP=
}

run redis
# The programs' own code has no symbols: memcached's _start is nameless,
# yet the main thread's stack ends there.
run memcached
run nginx
run python
run postgres
finish
