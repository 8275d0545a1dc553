#!/bin/bash
# "[N minutes]" in Go's own dumps, read by pileup: the leak fixture of
# every toolchain here, started with -gc (a GC once ready dates every
# wait), has waited over a minute when the test reads its runtime.Stack
# dump (a file) and its debug=2 dump (over HTTP); two builds (the oldest,
# 1.19, and the newest, 1.27, whose crash headers carry gp=/m=) also run
# under GOTRACEBACK=crash and print their SIGQUIT traceback.  Every
# goroutine as Go printed it (id, reason, locked, minutes, functions:lines,
# creator and its goroutine id), and the dump's minutes equal a live
# capture's.  Slow by nature: one wait of 65 s for all of them at a time.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

ARGS=(-first-error 2 -mutex 2 -recv 2 -locked 1 -gc)
declare -A pid out
builds=("$FIX/go-leaks")
for b in "$FIX"/go/*/leaks; do [ -x "$b" ] && builds+=("$b"); done
check "fixtures built with several toolchains (make -C fixtures)" test "${#builds[@]}" -ge 6
for b in "${builds[@]}"; do
	name=$(basename "$(dirname "$b")")/$(basename "$b")
	start_fixture "$b" "${ARGS[@]}" -pprof 127.0.0.1:0 -dump "$TMP/dump-${name//\//-}.txt" || exit 1
	pid[$name]=$FX_PID
	out[$name]=$FX_OUT
done
declare -A crun cdir
for v in 1.19 1.27; do
	b=$FIX/go/$v/leaks
	[ -x "$b" ] || { check "go$v: fixture built" false; continue; }
	d=$TMP/crash-$v
	mkdir -p "$d"
	( GOTRACEBACK=crash exec "$b" "${ARGS[@]}" >"$d/out" 2>"$d/err" ) &
	crun[$v]=$!
	cdir[$v]=$d
	fx_track "${crun[$v]}"
done
sleep 65

# "id minutes" of every goroutine of a pileup report that waited a minute
# (not the runtime's own, which Go's default dump leaves out)
mins() { jq -r '.goroutines[] | select(.wait_minutes >= 1 and (.system | not)) | "\(.id) \(.wait_minutes)"' "$1" | sort -n; }
for name in "${!pid[@]}"; do
	p=${pid[$name]}
	o=${out[$name]}
	f=$TMP/dump-${name//\//-}.txt
	kill -USR1 "$p"
	for ((i = 0; i < 200; i++)); do grep -q '^dumped' "$o" && break; sleep 0.05; done
	"$PILEUP" --json=1 "$f" >"$f.json"
	expect_eq "$name: runtime.Stack dump after a minute: exit 0" 0 $?
	go_dump_norm "$f" 0 1 | sort -n >"$f.go"
	pileup_go_norm "$f.json" 1 1 | sort -n >"$f.pl"
	n=$(awk -F'\t' '$4 >= 1' "$f.go" | wc -l)
	check "$name: Go printed minutes ($n goroutines waiting 1 minutes or more)" test "$n" -ge 5
	expect_eq "$name: runtime.Stack dump: every goroutine as Go printed it, minutes included" "" "$(diff "$f.go" "$f.pl")"
	url=$(awk '$1 == "pprof" {print $2}' "$o")
	"$PILEUP" --json=1 "$url" >"$f.h.json"
	rh=$?
	"$PILEUP" --json=1 "$p" >"$f.l.json"
	expect_eq "$name: debug=2 over HTTP and a live capture: exit 0" "0 0" "$rh $?"
	expect_eq "$name: debug=2 over HTTP: each goroutine's minutes as a live capture has them" "$(mins "$f.l.json")" "$(mins "$f.h.json")"
	check "$name: ... which are there ($(mins "$f.h.json" | wc -l) goroutines)" test "$(mins "$f.h.json" | wc -l)" -ge 5
done

for v in "${!crun[@]}"; do
	d=${cdir[$v]}
	cpid=$(awk '/^ready/ {print $2}' "$d/out")
	check "go$v crash run: ready" test -n "$cpid"
	[ -n "$cpid" ] || continue
	kill -QUIT "$cpid"
	wait "${crun[$v]}" 2>/dev/null
	{ echo "Dec 02 03:00:00 host svc[1]: starting"; cat "$d/err"; echo "Dec 02 03:01:09 host systemd[1]: svc.service: Main process exited, code=dumped"; } >"$d/log"
	"$PILEUP" --json=1 "$d/log" >"$d/j"
	expect_eq "go$v: GOTRACEBACK=crash traceback after a minute, in a log: exit 0" 0 $?
	go_dump_norm "$d/err" 0 1 | sort -n >"$d/go"
	pileup_go_norm "$d/j" 2 1 | sort -n >"$d/pl"
	n=$(awk -F'\t' '$4 >= 1' "$d/go" | wc -l)
	check "go$v: the crash traceback dates the waits ($n goroutines)" test "$n" -ge 5
	[ "$v" = 1.27 ] && check "go$v: ... in headers with gp= and m=" grep -qE '^goroutine [0-9]+ gp=0x[0-9a-f]+ m=[^ ]+ .*\[.*, [0-9]+ minutes' "$d/err"
	expect_eq "go$v: GOTRACEBACK=crash: every goroutine as Go printed it, minutes included" "" "$(diff "$d/go" "$d/pl")"
done
finish
