#!/bin/bash
# Go programs: how long goroutines have waited, in minutes, as Go's own
# traceback prints it, live and from a core, for the build of every
# toolchain here (stripped: the minutes come from the per-release layout).
# Slow by nature: each fixture runs a GC once ready (which dates every
# wait), then the test waits 65 s — once, for all of them at a time.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

ARGS=(-first-error 3 -mutex 2 -recv 2 -select-case 2 -gc)
VERS=$(cd "$FIX/go" 2>/dev/null && ls -d */ | tr -d / | sort -V)
check "fixtures built with several toolchains (make -C fixtures)" test "$(wc -w <<<"$VERS")" -ge 6
cores=0
[ "$(cat /proc/sys/kernel/core_pattern)" = core ] && cores=1

declare -A live livex runner
for ver in $VERS; do
	bin=$FIX/go/$ver/leaks-stripped
	[ -x "$bin" ] || { check "go$ver: fixture built" false; continue; }
	start_fixture "$bin" "${ARGS[@]}" -dump "$TMP/dump-$ver.txt" || exit 1
	live[$ver]=$FX_PID
	livex[$ver]=$FX_OUT
	if [ "$cores" = 1 ]; then
		mkdir -p "$TMP/c$ver"
		(
			cd "$TMP/c$ver" || exit 1
			ulimit -c unlimited
			GOTRACEBACK=crash exec "$bin" "${ARGS[@]}" >out.txt 2>err.txt
		) &
		runner[$ver]=$!
	fi
done
sleep 65

for ver in "${!live[@]}"; do
	pid=${live[$ver]}
	out=${livex[$ver]}
	kill -USR1 "$pid"
	for ((i = 0; i < 200; i++)); do grep -q '^dumped' "$out" && break; sleep 0.05; done
	"$PILEUP" --json=1 "$pid" >"$TMP/l$ver.json"
	go_dump_norm "$TMP/dump-$ver.txt" 1 | sort -n >"$TMP/go$ver.txt"
	dumper=$(awk '/^goroutine /{print $2; exit}' "$TMP/dump-$ver.txt")
	pileup_go_norm "$TMP/l$ver.json" 1 | awk -F'\t' -v d="$dumper" '$1 != d' | sort -n >"$TMP/pl$ver.txt"
	check "go$ver live: the oracle dates the waits (1 minutes)" grep -q "	1	" "$TMP/go$ver.txt"
	expect_eq "go$ver live: every goroutine's wait minutes (and stack) match runtime.Stack" "" \
		"$(diff "$TMP/go$ver.txt" "$TMP/pl$ver.txt")"
	expect_eq "go$ver live: group wait-minute range" "[1,1]" \
		"$(jq -c '[.groups[] | select(.kind == "goroutine" and .wait_site.function == "main.broadcastMsg.func1") | .wait_minutes][0]' "$TMP/l$ver.json")"
	"$PILEUP" "$pid" >"$TMP/l$ver.txt"
	check "go$ver live text: waiting 1 minutes" grep -q "waiting: *1 minutes" "$TMP/l$ver.txt"
done

if [ "$cores" = 1 ]; then
	for ver in "${!runner[@]}"; do
		pid=$(awk '/^ready/ {print $2}' "$TMP/c$ver/out.txt")
		[ -n "$pid" ] && kill -QUIT "$pid"
		{ wait "${runner[$ver]}"; } 2>/dev/null
		check "go$ver core: dumped" test -s "$TMP/c$ver/core"
		"$PILEUP" --json=1 "$TMP/c$ver/core" "$FIX/go/$ver/leaks-stripped" >"$TMP/c$ver.json"
		go_dump_norm "$TMP/c$ver/err.txt" 0 | sort -n >"$TMP/cgo$ver.txt"
		pileup_go_norm "$TMP/c$ver.json" 2 | sort -n >"$TMP/cpl$ver.txt"
		check "go$ver core: the crash traceback dates the waits" grep -q "	1	" "$TMP/cgo$ver.txt"
		expect_eq "go$ver core: every goroutine's wait minutes (and stack) match the crash traceback" "" \
			"$(diff "$TMP/cgo$ver.txt" "$TMP/cpl$ver.txt")"
		rm -f "$TMP/c$ver/core"
	done
else
	echo "ok - # SKIP core_pattern is not 'core'"
fi
finish
