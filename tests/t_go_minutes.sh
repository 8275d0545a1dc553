#!/bin/bash
# Go programs: how long goroutines have waited, in minutes, as Go's own
# traceback prints it, live and from a core.  Slow by nature: the fixture
# runs a GC once ready (which dates every wait), then the test waits 65 s.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

ARGS=(-first-error 3 -mutex 2 -recv 2 -select-case 2 -gc)
[ -x "$FIX/go-leaks" ] || { check "go-leaks: fixture built (make -C fixtures)" false; finish; exit; }
start_fixture "$FIX/go-leaks" "${ARGS[@]}" -dump "$TMP/dump.txt" || exit 1
live=$FX_PID
cores=0
if [ "$(cat /proc/sys/kernel/core_pattern)" = core ]; then
	cores=1
	mkdir -p "$TMP/c"
	(
		cd "$TMP/c" || exit 1
		ulimit -c unlimited
		GOTRACEBACK=crash exec "$FIX/go-leaks" "${ARGS[@]}" >out.txt 2>err.txt
	) &
	runner=$!
fi
sleep 65

kill -USR1 "$live"
for ((i = 0; i < 200; i++)); do grep -q '^dumped' "$FX_OUT" && break; sleep 0.05; done
"$PILEUP" --json "$live" >"$TMP/l.json"
go_dump_norm "$TMP/dump.txt" 1 | sort -n >"$TMP/go.txt"
dumper=$(awk '/^goroutine /{print $2; exit}' "$TMP/dump.txt")
pileup_go_norm "$TMP/l.json" 1 | awk -F'\t' -v d="$dumper" '$1 != d' | sort -n >"$TMP/pl.txt"
check "live: the oracle dates the waits (1 minutes)" grep -q "	1	" "$TMP/go.txt"
expect_eq "live: every goroutine's wait minutes (and stack) match runtime.Stack" "" "$(diff "$TMP/go.txt" "$TMP/pl.txt")"
expect_eq "live: group wait-minute range" "[1,1]" \
	"$(jq -c '[.groups[] | select(.kind == "goroutine" and .wait_site.function == "main.broadcastMsg.func1") | .wait_minutes][0]' "$TMP/l.json")"
"$PILEUP" "$live" >"$TMP/l.txt"
check "live text: waiting 1 minutes" grep -q "waiting: *1 minutes" "$TMP/l.txt"

if [ "$cores" = 1 ]; then
	pid=$(awk '/^ready/ {print $2}' "$TMP/c/out.txt")
	kill -QUIT "$pid"
	{ wait "$runner"; } 2>/dev/null
	check "core: dumped" test -s "$TMP/c/core"
	"$PILEUP" --json "$TMP/c/core" "$FIX/go-leaks" >"$TMP/c.json"
	go_dump_norm "$TMP/c/err.txt" 0 | sort -n >"$TMP/cgo.txt"
	pileup_go_norm "$TMP/c.json" 2 | sort -n >"$TMP/cpl.txt"
	check "core: the crash traceback dates the waits" grep -q "	1	" "$TMP/cgo.txt"
	expect_eq "core: every goroutine's wait minutes (and stack) match the crash traceback" "" \
		"$(diff "$TMP/cgo.txt" "$TMP/cpl.txt")"
else
	echo "ok - # SKIP core_pattern is not 'core'"
fi
finish
