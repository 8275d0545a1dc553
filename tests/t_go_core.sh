#!/bin/bash
# Go programs, cores: GOTRACEBACK=crash and SIGQUIT make the runtime print
# every goroutine (all frames, system goroutines included) and dump core;
# pileup's report on that core matches the printed traceback goroutine by
# goroutine (id, wait reason, locked, functions:lines, creator), for the
# builds of every toolchain here (the leak fixture plain, stripped and
# stripped PIE; the cgo fixture plain, stripped and stripped PIE), and the group counts
# are the fixture's; the cgo fixture's threads blocked in C end as in the
# live test (t_go.sh), past their signal handler; every
# thread goes through its signal handler into what it was interrupted in,
# C code included; a goroutine descriptor made implausible in a core is
# dropped with a warning.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

if [ "$(cat /proc/sys/kernel/core_pattern)" != core ]; then
	echo "ok - # SKIP core_pattern is '$(cat /proc/sys/kernel/core_pattern)', not 'core': no core in the cwd"
	finish
	exit
fi

LEAKS_ARGS=(-first-error 4 -producers 3 -for-select 2 -mutex 5 -waitgroup 3 -recv 4 -select-case 2 -http 3 -locked 1 -spin 2)
CGO_ARGS=(-recv 2 -send 2 -cread 2 -ccond 2 -callback 2)

VERS=$(cd "$FIX/go" 2>/dev/null && ls -d */ | tr -d / | sort -V)
builds=()
for ver in $VERS; do
	builds+=("$ver/leaks" "$ver/leaks-stripped" "$ver/leaks-pie" "$ver/cgo" "$ver/cgo-stripped" "$ver/cgo-pie")
done
check "fixtures built with several toolchains (make -C fixtures)" test "${#builds[@]}" -ge 36

for b in "${builds[@]}"; do
	build=go$b
	bin=$FIX/go/$b
	ver=${b%%/*}
	gover=$(awk '{print $3}' "$FIX/go/$ver/version")
	case $b in */cgo*) ARGS=("${CGO_ARGS[@]}"); module=example.com/pileup/cgo ;; *) ARGS=("${LEAKS_ARGS[@]}"); module=example.com/pileup/leaks ;; esac
	[ -x "$bin" ] || { check "$build: fixture built (make -C fixtures)" false; continue; }
	dir=$TMP/core-${b//\//-}
	mkdir -p "$dir"
	(
		cd "$dir" || exit 1
		ulimit -c unlimited
		GOTRACEBACK=crash exec "$bin" "${ARGS[@]}" >out.txt 2>err.txt
	) &
	runner=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '^ready ' "$dir/out.txt" 2>/dev/null && break
		sleep 0.05
	done
	pid=$(awk '/^ready/ {print $2}' "$dir/out.txt")
	check "$build: fixture ready" test -n "$pid"
	[ -n "$pid" ] || continue
	kill -QUIT "$pid"
	{ wait "$runner"; } 2>/dev/null
	check "$build: the runtime dumped core" test -s "$dir/core"
	check "$build: and printed its goroutines" grep -Eq "^goroutine 1 (gp=.*)?\[" "$dir/err.txt"
	J=$dir/core.json
	"$PILEUP" --json=1 "$dir/core" "$bin" >"$J"
	rc=$?
	check "$build core: report written (exit $rc)" test "$rc" -le 1
	expect_eq "$build core: source, Go version, module" "core $gover $module" \
		"$(jq -r '"\(.target.source) \(.target.go_version) \(.target.go_module)"' "$J")"
	expect_eq "$build core: no goroutine incomplete" "" "$(jq -r '.goroutines[] | select(.error) | "\(.id): \(.error)"' "$J")"
	# A goroutine running when the signal came (-spin) is printed by its
	# own thread from the signal's context, and pileup starts it there
	# too; but the thread may have been preempted after the first thread
	# printed "stack unavailable" for it and before it handled its own
	# signal (Go's printing is not one moment): Go printed no stack for
	# it, there is nothing to compare.
	go_dump_norm "$dir/err.txt" 0 | go_preempt_unline "$gover" | sort -n >"$dir/go.txt"
	unavail=$(awk -F'\t' '$5 == "?unavailable" { print $1 }' "$dir/go.txt")
	pileup_go_norm "$J" 2 | go_preempt_unline "$gover" | sort -n |
		awk -F'\t' -v u="$unavail" 'BEGIN { n = split(u, a, "\n"); for (i = 1; i <= n; i++) skip[a[i]] = 1 } !($1 in skip)' >"$dir/pl.txt"
	awk -F'\t' '$5 != "?unavailable"' "$dir/go.txt" >"$dir/go2.txt" && mv "$dir/go2.txt" "$dir/go.txt"
	check "$build core: the traceback lists goroutines" test "$(wc -l <"$dir/go.txt")" -gt 10
	expect_eq "$build core: every goroutine matches the crash traceback (all frames, system goroutines)" \
		"" "$(diff "$dir/go.txt" "$dir/pl.txt")"
	go_groups_match "$build core: group counts are what the fixture created" "$J" "$dir/out.txt"
	case $b in */cgo*)
		# the signal handler each thread ran leads back into the C code
		# it interrupted, and on through CFI into Go
		go_cgo_seams "$build core: threads in C, past their signal handler, end as Go's traceback ends them" \
			"$J" "$dir/out.txt" "${b##*/}"
		expect_eq "$build core: callback goroutines walk through runtime.cgocallback" "runtime.cgocallback runtime.goexit" \
			"$(jq -r '[.goroutines[] | select([.frames[].function] | index("main.goCallback")) | [.frames[-2].function, .frames[-1].function] | join(" ")] | unique | join(",")' "$J")"
		;;
	esac
	expect_eq "$build core: the OS threads are listed" "$(grep -c '^SIGQUIT: quit' "$dir/err.txt")" "$(jq '.threads | length' "$J")"
	# Each thread (M) that handled SIGQUIT printed the system stack it
	# was interrupted on ("goroutine 0"): pileup's threads unwind through
	# the signal handler (runtime.sigtramp) into that same stack.
	go_dump_msys "$dir/err.txt" | sort -u >"$dir/m.txt"
	jq -r '.threads[] | [.frames[] | "\(.function):\(.line)"] as $f |
		([$f | to_entries[] | select(.value | startswith("runtime.sigtramp:")) | .key] | last) as $i |
		if $i == null then empty else ($f[$i + 1:] | join(",")) end' "$J" | sort -u >"$dir/t.txt"
	check "$build core: the runtime printed system stacks" test -s "$dir/m.txt"
	expect_eq "$build core: every system stack the runtime printed is a thread's, past its signal handler" "" \
		"$(comm -23 "$dir/m.txt" "$dir/t.txt")"
	expect_eq "$build core: Go threads complete" "" "$(jq -r '.threads[] | select(.error) | "\(.tid): \(.error)"' "$J")"
	rm -f "$dir/core"
done

# A goroutine descriptor that is not a plausible g (its status word
# overwritten in the core, at the gp= Go printed for it) is dropped with a
# warning naming why, never printed; every other goroutine still matches.
last=$(tail -n 1 <<<"$VERS")
bin=$FIX/go/$last/leaks-stripped
dir=$TMP/core-bad-g
mkdir -p "$dir"
(
	cd "$dir" || exit 1
	ulimit -c unlimited
	GOTRACEBACK=crash exec "$bin" -recv 3 -first-error 3 >out.txt 2>err.txt
) &
runner=$!
for ((i = 0; i < 600; i++)); do
	grep -q '^ready ' "$dir/out.txt" 2>/dev/null && break
	sleep 0.05
done
pid=$(awk '/^ready/ {print $2}' "$dir/out.txt")
[ -n "$pid" ] && kill -QUIT "$pid"
{ wait "$runner"; } 2>/dev/null
victim=$(awk '/^goroutine [0-9]+ gp=0x[0-9a-f]+ m=nil \[chan send\]:$/ { sub(/gp=/, "", $3); print $2, $3; exit }' "$dir/err.txt")
soff=$(PILEUP_GO_DEBUG=1 "$PILEUP" --json=1 "$dir/core" "$bin" 2>&1 >/dev/null | sed -n 's/.* g\.atomicstatus=\([0-9]*\) .*/\1/p' | head -n 1)
check "bad g: the crash traceback names a goroutine's gp, the layout its status offset ($victim, $soff)" test -n "$victim" -a -n "$soff"
if [ -n "$victim" ] && [ -n "$soff" ]; then
	read -r vid vgp <<<"$victim"
	addr=$((vgp + soff))
	off=""
	while read -r _ o v _ f _; do
		((addr >= v && addr < v + f)) && { off=$((o + addr - v)); break; }
	done < <(readelf -lW "$dir/core" | awk '$1 == "LOAD"')
	check "bad g: its status word is in the core" test -n "$off"
	printf '\x77\x77\x00\x00' | dd of="$dir/core" bs=1 seek="$off" conv=notrunc status=none
	"$PILEUP" --json=1 "$dir/core" "$bin" >"$dir/bad.json" 2>"$dir/bad.err"
	expect_eq "bad g: exit 1 (partial)" 1 $?
	check "bad g: the warning says one descriptor is not a goroutine, and why" \
		grep -q "1 entries of runtime.allgs do not look like goroutines (first: its status) and are not listed" "$dir/bad.err"
	expect_eq "bad g: goroutine $vid is not listed" 0 "$(jq --argjson v "$vid" '[.goroutines[] | select(.id == $v)] | length' "$dir/bad.json")"
	go_dump_norm "$dir/err.txt" 0 | awk -F'\t' -v v="$vid" '$1 != v' | sort -n >"$dir/go.txt"
	pileup_go_norm "$dir/bad.json" 2 | sort -n >"$dir/pl.txt"
	expect_eq "bad g: every other goroutine matches the crash traceback" "" "$(diff "$dir/go.txt" "$dir/pl.txt")"
fi
rm -f "$dir/core"

finish
