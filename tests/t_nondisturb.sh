#!/bin/bash
# The target is sacred: in the default mode pileup interrupts no blocked
# call.  Threads in epoll_wait, sigtimedwait and semop (which a ptrace stop
# makes fail with EINTR) are inspected 100 times; every thread stays blocked
# where it was and the fixture counts no EINTR and no early return.
. "$(dirname "$0")/lib.sh"

RUNS=100
[ "$ASAN" = 1 ] && RUNS=25
start_fixture "$FIX/waits" --epoll 4 --sigwait 4 --semop 4 --read 2 --condvar 2 || exit 1
# Every thread but the heartbeat, which wakes each millisecond by design.
snap_syscalls() {
	local t hb
	hb=$(awk '$3 == "heartbeat_loop" {print $5}' "$FX_OUT")
	for t in /proc/"$FX_PID"/task/*; do
		[ "${t##*/}" = "$hb" ] || echo "${t##*/} $(cat "$t/syscall" 2>/dev/null)"
	done | sort
}
fixture_stats "$FX_PID" "$FX_OUT" >/dev/null # resets the heartbeat's longest gap
sleep 0.1
before=$(snap_syscalls)
bad=0
stopped=""
for ((i = 0; i < RUNS; i++)); do
	if ! "$PILEUP" --json "$FX_PID" >"$TMP/r.json"; then
		bad=$((bad + 1))
		jq -c '.threads[] | select(.error) | [.name, .state, .error]' "$TMP/r.json"
	fi
	stopped+=$(jq -r '.threads[] | select(.name != "heartbeat" and .capture != "syscall") | "\(.name):\(.capture) "' "$TMP/r.json")
done
expect_eq "$RUNS inspections all succeeded" 0 "$bad"
expect_eq "every thread still blocked in the same syscall, same sp and pc" "$before" "$(snap_syscalls)"
stats=$(fixture_stats "$FX_PID" "$FX_OUT")
expect_eq "the fixture saw no EINTR and no early return" "eintr=0 returns=0" "$(echo "$stats" | grep -o 'eintr=[0-9]* returns=[0-9]*')"
expect_eq "no blocked thread was ever stopped: all read through /proc" "" "$stopped"

# The same check catches a disturbing tool: --stop-all interrupts them.
"$PILEUP" --stop-all --json "$FX_PID" >/dev/null
for ((i = 0; i < 50; i++)); do
	stats=$(fixture_stats "$FX_PID" "$FX_OUT")
	eintr=$(echo "$stats" | sed 's/.*eintr=\([0-9]*\).*/\1/')
	[ "$eintr" -gt 0 ] && break
	sleep 0.1
done
check "--stop-all, as gdb and eu-stack, does interrupt epoll_wait/sigtimedwait/semop (eintr=$eintr)" test "$eintr" -gt 0
check "target not left stopped" not_stopped "$FX_PID"
finish
