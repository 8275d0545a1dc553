#!/bin/bash
# The wait-for graph of native threads (waits.c, waitgraph.c): what each
# thread waits on and who holds it, checked against the answers
# fixtures/bin/locks prints (its expect, cycle, fd, poll and epoll lines),
# live in both capture modes and from a kernel core; owners against gdb's
# print of the same core; the same answers with glibc's layout from the
# table (libc6-dbg hidden in a mount namespace) as from its DWARF; fds and
# their endpoints against /proc and ss; forged locks give "unknown"; the
# text report, a saved report read back, and --fail-if deadlock.
. "$(dirname "$0")/lib.sh"

LOCKS_ARGS=(--cycle --abba --cxx --convoy 3 --rwlock 2,2 --orphan 2 --pi 2 --nested 1 --forged --tcp 3 --pipe 1 --epoll --poll)

# The fixture's answers as "tid kind name owner", sorted.
expected() {
	awk '$1 == "expect" { print $2, $3, $4, $5 }' "$1" | sort
}

# The report's, for the tids the fixture answered for.
reported() {
	jq -r '.threads[] | select(.waits_on and .waits_on.kind != "fd") | .waits_on as $w
		| "\(.tid) \($w.kind) \($w.name) \(
			if $w.owner_state == "thread" then $w.owner
			elif $w.owner_state == "exited" then "exited:\($w.owner)"
			elif $w.owner_state == "not recorded" then "-"
			else $w.owner_state end)"' "$1" | sort
}

# Cycles as "tid,tid,..." starting at the lowest tid (each waits for the next).
rotate() {
	awk -F, '{ lo = 1; for (i = 2; i <= NF; i++) if ($i + 0 < $lo + 0) lo = i
		s = ""; for (k = 0; k < NF; k++) s = s (k ? "," : "") $((lo - 1 + k) % NF + 1); print s }' | sort
}
expected_cycles() {
	awk '$1 == "cycle" { print $2 }' "$1" | rotate
}
reported_cycles() {
	jq -r '.deadlocks[] | .threads | map(tostring) | join(",")' "$1" | rotate
}

# "tid fd" of the threads blocked on one fd.
expected_fds() {
	awk '$1 == "fd" { print $2, $3 }' "$1" | sort
}
reported_fds() {
	jq -r '.threads[] | select(.waits_on.kind == "fd" and (.syscall | test("poll") | not)) | "\(.tid) \(.waits_on.fd.fd)"' "$1" | sort
}

# --- a live process -----------------------------------------------------------
d=$TMP/live
mkdir -p "$d"
# In its own directory with cores allowed: its core is read at the end.
start_fixture bash -c 'cd "$1" && ulimit -c unlimited && shift && exec "$@"' sh "$d" "$FIX/locks" "${LOCKS_ARGS[@]}" || exit 1
PID=$FX_PID
OUT=$FX_OUT
"$PILEUP" --json=1 "$PID" >"$d/nonstop.json"
expect_eq "nonstop: every waiter's object, its name and its owner" "$(expected "$OUT")" "$(reported "$d/nonstop.json")"
expect_eq "nonstop: the deadlocks are the fixture's cycles (3 threads; ABBA in C; std::mutex)" \
	"$(expected_cycles "$OUT")" "$(reported_cycles "$d/nonstop.json")"
expect_eq "nonstop: the deadlocks name their mutexes" "cycle_m1 cycle_m2 cycle_m3|abba_m1 abba_m2|svc::g_accounts svc::g_journal" \
	"$(jq -r '[.deadlocks[] | .names | sort | join(" ")] | join("|")' "$d/nonstop.json")"
holder() { awk -v f="$1" '$1 == "site" && $3 == f { print $5 }' "$OUT"; }
expect_eq "nonstop: convoys ranked: the rwlock's writer (4 behind), the convoy's holder (3), the abandoned lock (2), the PI holder (2), the recursive one (1)" \
	"$(holder table_writer_holder) 4|$(holder convoy_holder) 3|null 2|$(holder pi_holder) 2|$(holder nested_holder) 1" \
	"$(jq -r '[.convoys[] | "\(.root) \(.behind)"] | join("|")' "$d/nonstop.json")"
expect_eq "nonstop: the abandoned lock's owner exited" "true orphan_lock exited" \
	"$(jq -r '.convoys[] | select(.abandoned) | "\(.abandoned) \(.object.name) \(.object.owner_state)"' "$d/nonstop.json")"
expect_eq "nonstop: the PI mutex and the recursive one (held twice) say so" "normal, PI|recursive 2" \
	"$(jq -r '[(.threads[] | select(.name == "pi-0") | .waits_on.type), (.threads[] | select(.name == "nested-0") | "\(.waits_on.type) \(.waits_on.depth)")] | join("|")' "$d/nonstop.json")"
expect_eq "nonstop: forged locks are unknown, saying why" \
	"kind word|another process|no thread id|lock word" \
	"$(jq -r '[.threads[] | select((.name // "") | test("^forged-[0-9]")) | .waits_on.note
		| if test("kind word") then "kind word" elif test("another process") then "another process"
		  elif test("no thread id") then "no thread id" elif test("lock word") then "lock word" else . end] | join("|")' "$d/nonstop.json")"
expect_eq "nonstop: groups count the objects their members wait on" "3 convoy_lock" \
	"$(jq -r '.groups[] | select(.wait_site.function == "convoy_waiter") | .objects[] | "\(.count) \(.name)"' "$d/nonstop.json")"

# File descriptors, against /proc and ss.
expect_eq "nonstop: fd waiters name their fd" "$(expected_fds "$OUT")" "$(reported_fds "$d/nonstop.json")"
pipe_reader=$(awk '$1 == "site" && $3 == "pipe_reader" { print $5 }' "$OUT")
pipe_fd=$(awk -v t="$pipe_reader" '$1 == "fd" && $2 == t { print $3 }' "$OUT")
pipe_ino=$(readlink "/proc/$PID/fd/$pipe_fd" | tr -dc 0-9)
check "nonstop: the pipe is /proc's (pipe:[$pipe_ino]), read end" \
	bash -c "jq -r '.threads[] | select(.tid == $pipe_reader) | .waits_on.fd.desc' '$d/nonstop.json' | grep -q '^pipe $pipe_ino (read end'"
port=$(awk '$1 == "tcp" { print $2 }' "$OUT")
want_tcp=$(ss -tnpH state established "( dport = :$port )" |
	sed -n 's/^ *[0-9]* *[0-9]* *\([^ ]*\) *\([^ ]*\).*fd=\([0-9]*\).*/\3 TCP \1 -> \2/p' | sort)
got_tcp=$(jq -r '.threads[] | select(.waits_on.fd.type == "tcp") | .waits_on.fd | "\(.fd) \(.desc)"' "$d/nonstop.json" |
	grep -v listening | sort)
expect_eq "nonstop: TCP readers' connections are ss's (both ends, 3 of them)" "$want_tcp" "$got_tcp"
check "nonstop: ... that is, 3 connections" test "$(wc -l <<<"$want_tcp")" = 3
want_listen=$(ss -tlnpH "( sport = :$port )" | sed -n 's/^ *[A-Z]* *[0-9]* *[0-9]* *\([^ ]*\) .*fd=\([0-9]*\).*/\2 TCP listening on \1/p')
expect_eq "nonstop: the server's accept names its listening socket, as ss does" "$want_listen" \
	"$(jq -r '.threads[] | select(.name == "tcp-server") | .waits_on.fd | "\(.fd) \(.desc)"' "$d/nonstop.json")"
expect_eq "nonstop: epoll_wait names its epoll fd and the fds it watches (fdinfo)" \
	"$(awk '$1 == "epoll" { n = split($4, f, ","); s = ""; for (i = 1; i <= n; i++) s = s " " f[i]; print $2, $3 s }' "$OUT")" \
	"$(jq -r '.threads[] | select(.name == "epoll-waiter") | "\(.tid) \(.waits_on.fd.fd) \([.waits_on.fds[].fd] | sort | map(tostring) | join(" "))"' "$d/nonstop.json")"
expect_eq "nonstop: the epoll set: a pipe, a Unix socket, an eventfd" "eventfd pipe unix" \
	"$(jq -r '.threads[] | select(.name == "epoll-waiter") | [.waits_on.fds[].type] | sort | join(" ")' "$d/nonstop.json")"
expect_eq "nonstop: poll's array, read from the target's memory" "$(awk '$1 == "poll" { print $2, $3 }' "$OUT")" \
	"$(jq -r '.threads[] | select(.name == "poll-waiter") | "\(.tid) \([.waits_on.fds[].fd] | map(tostring) | join(","))"' "$d/nonstop.json")"

# The text report: the deadlocks first, then who holds whom up.
"$PILEUP" --text "$PID" >"$d/text.txt"
check "text: a DEADLOCK section comes first, with its 3 cycles" \
	bash -c "grep -m1 -n -e '^DEADLOCK' -e '^Dominant' -e '^No dominant' '$d/text.txt' | grep -q ':DEADLOCK: 3 cycles'"
convoy_holder=$(holder convoy_holder)
check "text: a convoy waiter's group says what it waits on and what its holder does" \
	grep -q "waits:         on mutex convoy_lock (0x[0-9a-f]*) held by thread $convoy_holder \`convoy-holder\`, which sleeps in convoy_holder at locks.c:[0-9]*$" "$d/text.txt"
check "text: the TCP readers' group: on 3 TCP connections to the server" \
	grep -q "waits:         on 3 TCP connections to 127.0.0.1:$port$" "$d/text.txt"
check "text: the abandoned lock is named among the holders" \
	grep -q "^  mutex orphan_lock (0x[0-9a-f]*), abandoned: its owner, thread [0-9]*, is gone" "$d/text.txt"

# A saved report gives the same graph.
"$PILEUP" --json=1 "$d/nonstop.json" >"$d/again.json"
GRAPH='[.deadlocks, .convoys, [.threads[] | .waits_on], [.groups[] | .objects]]'
expect_eq "saved report read back: the same deadlocks, convoys, waits and group objects" \
	"$(jq -S -c "$GRAPH" "$d/nonstop.json")" "$(jq -S -c "$GRAPH" "$d/again.json")"

# --fail-if deadlock
"$PILEUP" --fail-if deadlock "$PID" >/dev/null 2>"$d/fail.err"
expect_eq "--fail-if deadlock: exit 3 when a cycle exists" 3 "$?"
expect_eq "--fail-if deadlock: one line per cycle" 3 "$(grep -c '^pileup: --fail-if deadlock: [0-9] threads wait for each other:' "$d/fail.err")"

# The layout: from the DWARF (libc6-dbg), agreeing with the table; cached.
LC=$TMP/layout-cache
PILEUP_CACHE_DIR=$LC PILEUP_WAITS_DEBUG=1 "$PILEUP" --json=1 "$PID" 2>"$d/layout.err" >/dev/null
check "glibc: the layout comes from libc6-dbg's DWARF" grep -q "^pileup: glibc 2.36: layout from the DWARF$" "$d/layout.err"
check "glibc: the 2.36 table agrees with that DWARF, field by field" \
	grep -q "^pileup: glibc 2.36: the table agrees with the DWARF (4 structs, 23 fields)$" "$d/layout.err"
PILEUP_CACHE_DIR=$LC PILEUP_WAITS_DEBUG=1 "$PILEUP" --json=1 "$PID" 2>"$d/layout2.err" >/dev/null
check "glibc: the next run takes it from the cache" grep -q "layout from the cache (.*, found by dwarf)" "$d/layout2.err"
cf=$(ls "$LC"/glibc-* 2>/dev/null | head -1)
for damage in truncated random; do
	if [ "$damage" = truncated ]; then head -c 60 "$cf" >"$cf.x"; else head -c 2000 /dev/urandom >"$cf.x"; fi
	cat "$cf.x" >"$cf"
	PILEUP_CACHE_DIR=$LC PILEUP_WAITS_DEBUG=1 "$PILEUP" --json=1 "$PID" 2>"$d/layout3.err" >"$d/layout3.json"
	check "glibc: a $damage cache entry is ignored: the DWARF again" grep -q "layout from the DWARF$" "$d/layout3.err"
	expect_eq "glibc: ... the same answers" "$(expected "$OUT")" "$(reported "$d/layout3.json")"
done
rm -f "$cf" "$cf.x"
expect_eq "glibc: the report says which layout it read locks with" '{"version":"2.36","layout":"dwarf"}' \
	"$(jq -c .analysis.glibc "$d/nonstop.json")"

fixture_stats "$PID" "$OUT" >/dev/null
check "the fixture is not left stopped or traced" not_stopped "$PID"

# --- --stop-all: the same answers ---------------------------------------------
# Another instance: stopping lets the forged_word waiter restart its futex
# call, and glibc's lock loop then writes a 2 over the forged word; the
# first one stays as it was, for its core.  --stop-all reads the locks
# while everyone is stopped (copied with the stacks), so it still sees 7.
start_fixture "$FIX/locks" "${LOCKS_ARGS[@]}" || exit 1
"$PILEUP" --stop-all --json=1 "$FX_PID" >"$d/stopall.json"
expect_eq "--stop-all: every waiter's object, name and owner" "$(expected "$FX_OUT")" "$(reported "$d/stopall.json")"
expect_eq "--stop-all: the same deadlocks" "$(expected_cycles "$FX_OUT")" "$(reported_cycles "$d/stopall.json")"
expect_eq "--stop-all: the same fds" "$(expected_fds "$FX_OUT")" "$(reported_fds "$d/stopall.json")"
stop_fixture "$FX_PID"

# --- no deadlock: --fail-if stays quiet ----------------------------------------
start_fixture "$FIX/locks" --convoy 2 --pipe 1 || exit 1
"$PILEUP" --fail-if deadlock "$FX_PID" >"$TMP/quiet.txt" 2>"$TMP/quiet.err"
expect_eq "--fail-if deadlock: exit 0 without a cycle, nothing said" "0 " "$? $(cat "$TMP/quiet.err")"
check "text: no DEADLOCK section without one" bash -c "! grep -q DEADLOCK '$TMP/quiet.txt'"
stop_fixture "$FX_PID"

# --- a pid namespace (a container): locks hold the namespace's tids ---------------
if unshare -p -f --mount-proc --kill-child=SIGKILL true 2>/dev/null; then
	start_fixture unshare -p -f --mount-proc --kill-child=SIGKILL "$FIX/locks" --abba --convoy 2 --orphan 1 || exit 1
	inner=$(pgrep -P "$FX_PID" | head -1)
	# ns tid -> host tid, from NSpid; an exited owner keeps its namespace tid
	map=$(awk '/^NSpid:/ { print $NF, $2 }' /proc/"$inner"/task/*/status)
	want=$(expected "$FX_OUT" | awk -v m="$map" 'BEGIN { n = split(m, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); h[f[1]] = f[2] } }
		{ o = $4; if (o in h) o = h[o]; print h[$1], $2, $3, o }' | sort)
	"$PILEUP" --json=1 "$inner" >"$TMP/ns.json"
	expect_eq "pid namespace: owners are the threads the report lists (their host tids)" "$want" "$(reported "$TMP/ns.json")"
	check "pid namespace: the ABBA pair is a deadlock" test "$(jq '.deadlocks | length' "$TMP/ns.json")" = 1
	# The namespace's init ignores SIGTERM from outside (no handler) and
	# unshare blocks it: KILL the fixture, unshare then ends.
	kill -KILL "$inner"
	wait "$FX_PID" 2>/dev/null
else
	check "unshare -p works here (a pid namespace for the container case)" false
fi

# --- the core of the same process ------------------------------------------------
kill -ABRT "$PID"
for ((i = 0; i < 200; i++)); do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.05
done
wait "$PID" 2>/dev/null
core=$d/core
check "the fixture dumped a core" test -s "$core"
"$PILEUP" --json=1 "$core" "$FIX/locks" >"$d/core.json" 2>"$d/core.err"
# In a core, an owner that is no thread of it is gone: the forged owner 1
# reads as exited (whether it is another process's cannot be told).
expect_eq "core: every waiter's object, name and owner (from the NT_PRSTATUS registers)" \
	"$(expected "$OUT" | sed 's/\(forged_owner\) unknown/\1 exited:1/')" "$(reported "$d/core.json")"
expect_eq "core: the same deadlocks" "$(expected_cycles "$OUT")" "$(reported_cycles "$d/core.json")"
expect_eq "core: fd waiters name their fd numbers (what they are needs the live process)" \
	"$(expected_fds "$OUT")" "$(reported_fds "$d/core.json")"
check "core: ... and say why there is no description" \
	bash -c "jq -r '.threads[] | select(.waits_on.kind == \"fd\") | .waits_on.fd.note' '$d/core.json' | grep -q 'a core has no fd table'"
"$PILEUP" "$core" "$FIX/locks" >"$d/core.txt" 2>/dev/null
check "core text: the pipe reader's fd $pipe_fd, and that what it is needs the live process" \
	grep -qF "fd $pipe_fd [what it is needs the live process: a core has no fd table]" "$d/core.txt"

# gdb as oracle: the owner fields of the same core, printed by gdb.
owner_expr() {
	case $1 in
	svc::*) echo "$1._M_mutex.__data.__owner" ;;
	table_lock) echo "$1.__data.__cur_writer" ;;
	*) echo "$1.__data.__owner" ;;
	esac
}
names=$(awk '$1 == "expect" && $5 != "unknown" { print $4 }' "$OUT" | sort -u)
gdb_args=()
for n in $names; do gdb_args+=(-ex "printf \"$n %d\\n\", $(owner_expr "$n")"); done
gdb_owners=$(timeout 120 gdb -nx -batch "${gdb_args[@]}" "$FIX/locks" "$core" 2>/dev/null | grep -E '^[a-z:_0-9]+ -?[0-9]+$' | sort)
pileup_owners=$(jq -r '[.threads[] | .waits_on | select(.owner != null and .kind != "thread")] | unique_by(.name)[]
	| select(.name | startswith("forged_") | not) | "\(.name) \(.owner)"' "$d/core.json" | sort)
expect_eq "core: every owner is what gdb prints from the lock ($(wc -l <<<"$gdb_owners") locks)" "$gdb_owners" "$pileup_owners"

# Without libc6-dbg (hidden in a mount namespace): the table gives the same.
NC=$TMP/nodbg-cache
if unshare -m true 2>/dev/null; then
	unshare -m bash -c 'mount -t tmpfs none /usr/lib/debug && PILEUP_CACHE_DIR="$1" "$2" --json=1 "$3" "$4"' \
		sh "$NC" "$PILEUP" "$core" "$FIX/locks" >"$d/nodbg.json" 2>/dev/null
	expect_eq "no libc6-dbg: the layout comes from the 2.36 table" '{"version":"2.36","layout":"table"}' \
		"$(jq -c .analysis.glibc "$d/nodbg.json")"
	expect_eq "no libc6-dbg: the same waits, owners and deadlocks as with the DWARF" "" \
		"$(diff <(jq -S '[.deadlocks, .convoys, [.threads[] | .waits_on]]' "$d/core.json") \
			<(jq -S '[.deadlocks, .convoys, [.threads[] | .waits_on]]' "$d/nodbg.json") | head -20)"
else
	check "unshare -m works here (needed to hide libc6-dbg)" false
fi
PILEUP_GLIBC_LAYOUT=table "$PILEUP" --json=1 "$core" "$FIX/locks" >"$d/table.json" 2>/dev/null
expect_eq "PILEUP_GLIBC_LAYOUT=table: the same answers" \
	"$(jq -S -c '[.deadlocks, [.threads[] | .waits_on]]' "$d/core.json")" "$(jq -S -c '[.deadlocks, [.threads[] | .waits_on]]' "$d/table.json")"

# --- goroutines: their waits are data for the same outputs --------------------
# A saved report with what the Go support will fill in (channels, a select,
# a sync.Mutex): the text and JSON come from the same code as threads'.
cat >"$TMP/go.json" <<'GOJSON'
{"pileup": 1, "target": {"source": "live", "pid": 77, "exe": "/opt/go/bin/svc", "go_version": "go1.19.8", "taken_at": 1700000000},
 "capture": {"mode": "nonstop", "pause_us": 0, "elapsed_us": 900},
 "threads": [{"tid": 77, "name": "svc", "state": "S", "syscall": "futex", "wait": "futex", "frames": []}],
 "goroutines": [
  {"id": 10, "status": "waiting", "wait_reason": "chan send", "frames": [{"pc": "0x1", "function": "main.broadcast.func1", "offset": "0x1", "module": "/opt/go/bin/svc", "file": "/src/main.go", "line": 9, "inlined": false, "library": false}],
   "waits_on": {"kind": "chan", "address": "0xc000010000", "name": null, "chan": {"type": "chan error", "cap": 0, "len": 0, "closed": false, "senders": 2, "receivers": 0}}},
  {"id": 11, "status": "waiting", "wait_reason": "chan send", "frames": [{"pc": "0x1", "function": "main.broadcast.func1", "offset": "0x1", "module": "/opt/go/bin/svc", "file": "/src/main.go", "line": 9, "inlined": false, "library": false}],
   "waits_on": {"kind": "chan", "address": "0xc000010000", "name": null, "chan": {"type": "chan error", "cap": 0, "len": 0, "closed": false, "senders": 2, "receivers": 0}}},
  {"id": 12, "status": "waiting", "wait_reason": "chan send", "frames": [{"pc": "0x1", "function": "main.broadcast.func1", "offset": "0x1", "module": "/opt/go/bin/svc", "file": "/src/main.go", "line": 9, "inlined": false, "library": false}],
   "waits_on": {"kind": "chan", "address": "0xc000020000", "name": null, "chan": {"type": "chan error", "cap": 0, "len": 0, "closed": false, "senders": 2, "receivers": 0}}},
  {"id": 13, "status": "waiting", "wait_reason": "chan send", "frames": [{"pc": "0x1", "function": "main.broadcast.func1", "offset": "0x1", "module": "/opt/go/bin/svc", "file": "/src/main.go", "line": 9, "inlined": false, "library": false}],
   "waits_on": {"kind": "chan", "address": "0xc000020000", "name": null, "chan": {"type": "chan error", "cap": 0, "len": 0, "closed": false, "senders": 2, "receivers": 0}}},
  {"id": 14, "status": "waiting", "wait_reason": "select", "frames": [{"pc": "0x2", "function": "main.loop", "offset": "0x1", "module": "/opt/go/bin/svc", "file": "/src/main.go", "line": 20, "inlined": false, "library": false}],
   "waits_on": {"kind": "select", "address": null, "name": null, "channels": [
     {"kind": "chan", "address": "0xc000030000", "name": null, "chan": {"type": "chan int", "cap": 4, "len": 0, "closed": false, "senders": 0, "receivers": 1}},
     {"kind": "chan", "address": "0xc000040000", "name": null, "chan": {"type": "chan struct {}", "cap": 0, "len": 0, "closed": false, "senders": 0, "receivers": 1}}]}},
  {"id": 15, "status": "waiting", "wait_reason": "semacquire", "frames": [{"pc": "0x3", "function": "main.lockIt", "offset": "0x1", "module": "/opt/go/bin/svc", "file": "/src/main.go", "line": 30, "inlined": false, "library": false}],
   "waits_on": {"kind": "sync.Mutex", "address": "0xc000050000", "name": "main.mu", "owner": null, "owner_state": "not recorded", "locked": true, "starving": false, "waiters": 1}}
 ]}
GOJSON
"$PILEUP" --text "$TMP/go.json" >"$TMP/go.txt"
check "goroutines: 4 senders on 2 channels: the channels summed up" \
	grep -q "waits:         on 2 channels of type chan error (unbuffered), 2 senders each, no receiver$" "$TMP/go.txt"
check "goroutines: a select names each of its channels" \
	grep -q "waits:         on a select over chan (0xc000030000) \[chan int, 0 of 4 buffered, 0 senders, 1 receiver\], chan (0xc000040000)" "$TMP/go.txt"
check "goroutines: a sync.Mutex: its state, Go records no owner, and the report says so" \
	grep -q "waits:         on sync.Mutex main.mu (0xc000050000) \[locked, waiters 1\] owner not recorded (Go records none)$" "$TMP/go.txt"
"$PILEUP" --json=1 "$TMP/go.json" >"$TMP/go.out.json"
expect_eq "goroutines: waits_on, with the primitive's facts, read and written back" \
	"$(jq -S -c '[.goroutines[].waits_on]' "$TMP/go.json")" "$(jq -S -c '[.goroutines[].waits_on]' "$TMP/go.out.json")"
expect_eq "goroutines: the group counts its channels" "0xc000010000 2,0xc000020000 2" \
	"$(jq -r '[.groups[0].objects[] | "\(.address) \(.count)"] | join(",")' "$TMP/go.out.json")"

# --- saved reports with bad waits_on: a report or one error line --------------
J=$ROOT/tests/tui/locks.json
bad() { # bad DESC WANT_RC JQ: the report edited by JQ, read back
	jq -c "$3" "$J" >"$TMP/bad.json"
	"$PILEUP" --json=1 "$TMP/bad.json" >"$TMP/bad.out" 2>"$TMP/bad.err"
	local rc=$?
	expect_eq "bad waits_on: $1: exit $2" "$2" "$rc"
	if [ "$rc" = 2 ]; then
		check "bad waits_on: $1: one line naming the file" test "$(wc -l <"$TMP/bad.err")" = 1 -a -n "$(grep -F bad.json "$TMP/bad.err")"
	fi
}
bad "an owner that is a string" 2 '.threads[5].waits_on.owner = "x"'
bad "an owner beyond any tid" 2 '.threads[5].waits_on.owner = 99999999999'
bad "an address that is no hex string" 2 '.threads[5].waits_on.address = "0xzz"'
bad "a waits_on that is an array" 2 '.threads[5].waits_on = [1, 2]'
bad "fds nested too deep" 2 '.threads[12].waits_on.fds = ([range(80)] | reduce .[] as $i ([]; [.]))'
bad "a kind of a later version (skipped)" 0 '.threads[5].waits_on.kind = "frobnicator"'
bad "an owner state of a later version" 0 '.threads[5].waits_on.owner_state = "borrowed"'
bad "an owner state thread without an owner" 0 '.threads[5].waits_on.owner_state = "thread" | .threads[5].waits_on.owner = null'
bad "an owner that is no thread of the report" 0 '.threads[5].waits_on.owner = 777'
bad "ten facts (four kept)" 0 '.threads[5].waits_on += ([range(10)] | map({key: "f\(.)", value: .}) | from_entries)'
bad "a set of 2000 fds" 0 '.threads[12].waits_on.fds = [range(2000) | {fd: ., type: "pipe", desc: null}]'
bad "a cycle of owners made up in the file" 0 '.threads[6].waits_on.owner = 4246 | .threads[4].waits_on.owner = 4248 | .threads[4].waits_on.owner_state = "thread"'
check "bad waits_on: a made-up cycle is still a cycle (the file says so)" \
	bash -c "'$PILEUP' --json=1 '$TMP/bad.json' | jq -e '.deadlocks | length >= 1' >/dev/null"
# Bytes flipped inside the waits_on members: never a crash.
off=$(grep -b -o '"waits_on"' "$J" | head -1 | cut -d: -f1)
size=$(stat -c %s "$J")
crashed=0
for k in $(seq 1 24); do
	cp "$J" "$TMP/flip.json"
	pos=$(((off + k * 97) % size))
	printf "$(printf '\\x%02x' $(((k * 37) % 256)))" | dd of="$TMP/flip.json" bs=1 seek="$pos" conv=notrunc status=none
	"$PILEUP" --json=1 "$TMP/flip.json" >/dev/null 2>"$TMP/flip.err"
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 2 ] || crashed=$((crashed + 1))
done
expect_eq "bad waits_on: 24 byte flips: each a report or one error line" 0 "$crashed"

finish
