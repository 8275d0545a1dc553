# tests/bench/lib.sh - what run.sh and core.sh share: stopping the tool
# under measurement and the fixture, and cleaning up on every exit.
# The sourcing script sets TMP, FX_PID and TOOL_PID.

# The tool runs under tests/helpers/measure, which passes a signal on to the
# tool's process group.
kill_tool() {
	[ -n "$TOOL_PID" ] || return 0
	kill -TERM -- -"$TOOL_PID" 2>/dev/null || kill -TERM "$TOOL_PID" 2>/dev/null
	sleep 0.5
	kill -KILL -- -"$TOOL_PID" 2>/dev/null
	wait "$TOOL_PID" 2>/dev/null
	TOOL_PID=
}

# The fixture: continued (a tool may have left it stopped), asked to exit,
# killed after 5 s.
kill_fixture() {
	[ -n "$FX_PID" ] || return 0
	kill -CONT "$FX_PID" 2>/dev/null
	kill -TERM "$FX_PID" 2>/dev/null
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$FX_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$FX_PID" 2>/dev/null
	wait "$FX_PID" 2>/dev/null
	FX_PID=
}

bench_cleanup() {
	kill_tool
	kill_fixture
	rm -rf "$TMP"
}
trap bench_cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
