#!/bin/bash
# --watch, diff and the browser on the Go leak fixture of every toolchain
# here (fixtures/bin/go/VER: the stripped build of each, and the PIE build
# of the newest), not only on go1.19's (t_watch.sh, t_tui.sh): --watch over
# 3 captures of a fixture stranding 10 goroutines a second in
# main.leakyRequest names that group, and only it, a leak suspect, at the
# fixture's rate, while the mutex and channel sites stay constant; diff of
# two saved captures around a SIGUSR2 (25 more stranded) gives +25 there
# and +0 at the mutex; the browser's first screen of the live process
# lists the groups of the text report taken just before it (count, wait
# reason's site, file:line) and their number.  Issue 18, point 7.
. "$(dirname "$0")/lib.sh"

IV=1
[ "$ASAN" = 1 ] && IV=1.5

within() {
	awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'
}
grown() {
	local i
	for ((i = 0; i < 400; i++)); do
		grep -q "^grown $2\$" "$1" && return 0
		sleep 0.05
	done
	return 1
}
# The text report's goroutine groups as "count function file:line", sorted.
text_groups() {
	awk '/^#[0-9]+  / { n = ($3 == "goroutines" || $3 == "goroutine") ? $2 : ""; next }
	     n != "" && $1 == "wait" && $2 == "site:" && $4 == "at" { print n, $3, $5; n = "" }' "$1" | sort
}
# The browser's rows the same way: "  COUNT BAR SHARE% REASON MIN FUNC FILE:LINE CALL".
tui_groups() {
	awk '/^[> ][*! ] +[0-9]+ / {
		for (i = 3; i < NF; i++)
			if ($i ~ /^[^ ]+\.go:[0-9]+$/) { split(substr($0, 3), c, " "); print c[1], $(i - 1), $i; break }
	     }' "$1" | sort
}

VERS=$(cd "$FIX/go" 2>/dev/null && ls -d */ | tr -d / | sort -V)
newest=$(tail -n1 <<<"$VERS")
builds=()
for ver in $VERS; do
	[ -x "$FIX/go/$ver/leaks-stripped" ] && builds+=("$ver/leaks-stripped")
done
[ -x "$FIX/go/$newest/leaks-pie" ] && builds+=("$newest/leaks-pie")
check "the leak fixture of every toolchain here (make -C fixtures): ${builds[*]}" \
	test "${#builds[@]}" -ge 7

t_all=$(date +%s%N)
for b in "${builds[@]}"; do
	bin=$FIX/go/$b
	t0=$(date +%s%N)
	d=$TMP/${b//\//-}
	mkdir -p "$d"

	# --- --watch: the growing group is the only suspect -------------------
	start_fixture "$bin" -mutex 5 -recv 3 -grow-rate 10 || { check "go$b: fixture ready" false; continue; }
	GL=$FX_PID
	"$PILEUP" --watch $IV --count 3 --json=1 "$GL" >"$d/w.json" 2>"$d/w.err"
	rc=$?
	# 1: a thread caught between two states in one capture (see t_watch.sh)
	check "go$b --watch: exit 0 or 1 (was $rc)" test $rc -le 1
	J=$d/w.json
	expect_eq "go$b --watch: 3 captures" "watch 3" "$(jq -r '"\(.comparison) \(.captures | length)"' "$J")"
	# goroutines only: the runtime may start an M (a thread parked on a
	# futex) between captures while goroutines are being created, a real
	# growth of a thread group
	expect_eq "go$b --watch: the only goroutine leak suspect is main.leakyRequest (chan send)" "goroutine main.leakyRequest chan send" \
		"$(jq -r '[.groups[] | select(.leak_suspect and .kind == "goroutine")] | map("\(.kind) \(.wait_site.function) \(.wait)") | join(",")' "$J")"
	rate=$(jq '.groups[] | select(.leak_suspect and .kind == "goroutine") | .growth_per_min' "$J")
	check "go$b --watch: growth rate $rate/min is the fixture's 600/min (+-25%)" within 450 750 "$rate"
	expect_eq "go$b --watch: the mutex and channel sites stay constant, not suspects" \
		"main.drain [3,3,3] false main.lockMutex [5,5,5] false" \
		"$(jq -r '[.groups[] | select(.wait_site.function == "main.lockMutex" or .wait_site.function == "main.drain") | "\(.wait_site.function) \(.counts | tostring) \(.leak_suspect)"] | sort | join(" ")' "$J")"
	expect_eq "go$b --watch: counts add up to each capture's goroutines" "$(jq -c '[.captures[].goroutines]' "$J")" \
		"$(jq -c '[.groups[] | select(.kind == "goroutine") | .counts] | transpose | map(add)' "$J")"
	stop_fixture "$GL"

	# --- diff of two saved captures around 25 more stranded ---------------
	start_fixture "$bin" -mutex 5 -recv 3 -grow-step 25 || { check "go$b: fixture ready" false; continue; }
	GL=$FX_PID
	"$PILEUP" --json=1 -o "$d/a.json" "$GL"
	kill -USR2 "$GL"
	check "go$b diff: the fixture stranded 25 goroutines" grown "$FX_OUT" 25
	"$PILEUP" --json=1 -o "$d/b.json" "$GL"
	"$PILEUP" diff --json=1 "$d/a.json" "$d/b.json" >"$d/d.json"
	expect_eq "go$b diff: exit 0" 0 $?
	expect_eq "go$b diff: main.leakyRequest appeared with +25, main.lockMutex and main.drain +0" \
		"main.drain 3 3 0|main.leakyRequest 0 25 25|main.lockMutex 5 5 0" \
		"$(jq -r '[.groups[] | select(.kind == "goroutine" and (.wait_site.function | test("^main\\.(leaky|lock|drain)"))) | "\(.wait_site.function) \(.before) \(.after) \(.delta)"] | sort | join("|")' "$d/d.json")"
	expect_eq "go$b diff: no other group of the program changed" "" \
		"$(jq -r '.groups[] | select(.kind == "goroutine" and .delta != 0 and (.wait_site.function | startswith("main.")) and .wait_site.function != "main.leakyRequest") | .wait_site.function' "$d/d.json")"
	"$PILEUP" diff "$d/a.json" "$d/b.json" >"$d/d.txt"
	check "go$b diff text: the new group is marked (new) with +25" grep -q '^ *0 *25 *+25 .*main.leakyRequest.*(new)$' "$d/d.txt"

	# --- the browser's first screen = the text report's groups ------------
	"$PILEUP" "$GL" >"$d/text.txt" 2>/dev/null
	printf ':dump %s/tui-main\nq\n' "$d" >"$d/keys"
	LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=200x60 PILEUP_TUI_SCRIPT=$d/keys "$PILEUP" --tui "$GL" </dev/null >"$d/tui.out" 2>"$d/tui.err"
	expect_eq "go$b browser: exits 0" 0 $?
	ng=$(grep -c '^#[0-9]*  [0-9]* goroutines\? ' "$d/text.txt")
	check "go$b browser: the header counts the text report's $ng goroutine groups" \
		grep -q "Goroutines by stack: $ng groups" "$d/tui-main"
	want=$(text_groups "$d/text.txt")
	check "go$b browser: the text report has the fixture's groups (main.leakyRequest 25, main.lockMutex 5, main.drain 3)" \
		bash -c "grep -qx '25 main.leakyRequest main.go:[0-9]*' <<<'$want' && grep -qx '5 main.lockMutex main.go:[0-9]*' <<<'$want' && grep -qx '3 main.drain main.go:[0-9]*' <<<'$want'"
	expect_eq "go$b browser: its rows are the text report's groups (count, site, file:line)" "$want" "$(tui_groups "$d/tui-main")"
	check "go$b browser: the target is not left stopped or traced" not_stopped "$GL"
	stop_fixture "$GL"
	echo "# go$b: $((($(date +%s%N) - t0) / 1000000)) ms"
done
echo "# all builds: $((($(date +%s%N) - t_all) / 1000000)) ms"
finish
