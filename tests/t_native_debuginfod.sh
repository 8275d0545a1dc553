#!/bin/bash
# --debuginfod: a stripped program, on a machine without its debug files
# (/usr/lib/debug hidden in a mount namespace), symbolized through Debian's
# own debuginfod server started on loopback over a directory holding the
# debug files (libc6-dbg's libc file and the fixture's); off by default; a
# server that is down or never answers costs a warning, not the report, and
# no more than the time limit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/native_lib.sh"

need debuginfod || { check "debuginfod is installed" false; finish; exit; }
[ -x "$(dirname "$PILEUP")/pileup-debuginfod" ] || { check "pileup-debuginfod is built next to $PILEUP (make pileup-debuginfod)" false; finish; exit; }

hidden() {
	unshare -m -- bash -c 'mount -t tmpfs none /usr/lib/debug && exec "$@"' _ "$@"
}

# The debug files: libc's from libc6-dbg, and the fixture's own.
mkdir -p "$TMP/debug" "$TMP/dcache"
libc_id=$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 | awk '/Build ID/ { print $3 }')
cp "/usr/lib/debug/.build-id/${libc_id:0:2}/${libc_id:2}.debug" "$TMP/debug/libc.debug" || check "libc6-dbg has libc's debug file" false
objcopy --only-keep-debug "$FIX/waits" "$TMP/debug/waits.debug"
port=$(free_port)
debuginfod -p "$port" -d "$TMP/debuginfod.sqlite" -F -t0 "$TMP/debug" >"$TMP/debuginfod.log" 2>&1 &
fx_track "$!"
waits_id=$(readelf -n "$FIX/waits-stripped" | awk '/Build ID/ { print $3 }')
for ((i = 0; i < 100; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/buildid/$waits_id/debuginfo" &&
		curl -sf -o /dev/null "http://127.0.0.1:$port/buildid/$libc_id/debuginfo" && break
	sleep 0.2
done
check "debuginfod serves both files" curl -sf -o /dev/null "http://127.0.0.1:$port/buildid/$libc_id/debuginfo"

start_fixture "$FIX/waits-stripped" --mutex 2 --condvar 2 --sleep 1 || exit 1
export DEBUGINFOD_CACHE_PATH=$TMP/dcache PILEUP_CACHE_DIR=$TMP/pcache

DEBUGINFOD_URLS=http://127.0.0.1:$port hidden "$PILEUP" --json=1 "$FX_PID" >"$TMP/off.json" 2>"$TMP/off.err"
check "off by default: the stripped program's own frames have no names" \
	test "$(jq '[.threads[] | select(.name | startswith("mutex")) | .wait_site.function] | map(select(. == "wait_mutex")) | length' "$TMP/off.json")" -eq 0
check "off by default: nothing was downloaded" test -z "$(ls "$TMP/dcache")"

DEBUGINFOD_URLS=http://127.0.0.1:$port hidden "$PILEUP" --json=1 --debuginfod "$FX_PID" >"$TMP/on.json" 2>"$TMP/on.err"
rc=$?
matches_manifest "--debuginfod: every thread's class and wait site, from the downloaded debug info" "$TMP/on.json" "$FX_OUT"
expect_eq "--debuginfod: exit 0, no warning" "0:" "$rc:$(cat "$TMP/on.err")"
check "--debuginfod: libc's frames have source lines (libc6-dbg's file)" \
	test "$(jq '[.threads[].frames[] | select(.module | test("libc.so")) | select(.file != null)] | length' "$TMP/on.json")" -gt 0
expect_eq "--debuginfod: the two files were found" "2" "$(jq '.analysis.debuginfod_found' "$TMP/on.json")"
check "--debuginfod: they are in libdebuginfod's cache" test -d "$TMP/dcache/$libc_id"

# The frames equal those with the same debug files installed locally.
for id in "$libc_id:libc" "$waits_id:waits"; do
	mkdir -p "$TMP/bid/.build-id/${id:0:2}"
	cp "$TMP/debug/${id#*:}.debug" "$TMP/bid/.build-id/${id:0:2}/${id:2:38}.debug"
done
hidden "$PILEUP" --json=1 --debuginfo-path "$TMP/bid" "$FX_PID" >"$TMP/local.json"
expect_eq "--debuginfod: the same frames as with the debug files installed" "$(json_frames "$TMP/local.json")" "$(json_frames "$TMP/on.json")"
expect_eq "--debuginfod: the same functions too" "$(jq -c '[.threads[].frames[].function]' "$TMP/local.json")" "$(jq -c '[.threads[].frames[].function]' "$TMP/on.json")"

# Down: nobody listens on the port (and libdebuginfod's cache is empty).
rm -rf "$TMP/dcache"/*
down=$(free_port)
start=$SECONDS
DEBUGINFOD_URLS=http://127.0.0.1:$down hidden "$PILEUP" --json=1 --debuginfod "$FX_PID" >"$TMP/down.json" 2>"$TMP/down.err"
rc=$?
check "server down: a warning" grep -q "warning: --debuginfod" "$TMP/down.err"
check "server down: the report is printed" test "$(jq '.threads | length' "$TMP/down.json")" -gt 0
check "server down: done at once" test $((SECONDS - start)) -le 5
expect_eq "server down: exit 0 (a complete report)" "0" "$rc"

# Slow: accepts and never answers.
slow=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass' "$slow" &
fx_track "$!"
# Listening before pileup asks (python starts slowly on a busy machine).
for ((i = 0; i < 200; i++)); do
	ss -Hltn "sport = :$slow" 2>/dev/null | grep -q . && break
	sleep 0.05
done
rm -rf "$TMP/dcache"/*
start=$SECONDS
DEBUGINFOD_URLS=http://127.0.0.1:$slow hidden "$PILEUP" --json=1 --debuginfod --debuginfod-timeout 2 "$FX_PID" >"$TMP/slow.json" 2>"$TMP/slow.err"
rc=$?
check "server slow: a warning names the limit" grep -q "within 2.0 s" "$TMP/slow.err"
check "server slow: the report is printed" test "$(jq '.threads | length' "$TMP/slow.json")" -gt 0
check "server slow: within the limit (2 s) and a little" test $((SECONDS - start)) -le 5
expect_eq "server slow: exit 0" "0" "$rc"

check "--debuginfod-timeout needs --debuginfod" bash -c '"$0" --debuginfod-timeout 3 1 2>&1 | grep -q "goes with --debuginfod"' "$PILEUP"
finish
