#!/bin/bash
# What goroutines wait on (go/waits.c), checked against the answers
# fixtures/go/waits prints (the address of every channel and sync object
# it parks goroutines on, how many wait there, the state it left them in),
# for the builds of every toolchain here (plain and stripped), live in both
# capture modes, from a core of the same process (pileup --gcore) and
# from the kernel's core of its crash (GOTRACEBACK=crash): channels (type,
# capacity, length, senders, receivers, per group the objects its members
# wait on), a nil channel, a select's two channels, sync.Mutex, RWMutex,
# WaitGroup and Cond (go1.26+ record the semaphore with the goroutine;
# before, the runtime's semaphore table says who waits where, found by its
# symbol or, stripped, in the code, and a Cond waiter's notify list is
# found among its own stack words), time.Sleep's wake time, IO wait on a
# TCP connection (live: the fd and both ends, through the poller's epoll
# registrations, as ss -tnp sees that fd of the process; in a core the fd
# from the pollDesc its netpollblock frames hold, its endpoints unknown,
# and the text says so); the text report's lines (live in both capture
# modes, and from both cores); channels
# the fixture corrupted in place are unknown, with the reason; a saved
# report reads back the same.  Then: a core whose pollDesc or notify list
# was rewritten (tests/helpers/corepoke.py) says unknown and why; the
# goroutines Go 1.27's own leak detector marked leaked (_Gleaked) wait on
# what they waited on before; go1.17's WaitGroup (state1 [3]uint32) in a
# real go1.17 program (esbuild 0.14.10), against Go's traceback.
. "$(dirname "$0")/lib.sh"

ARGS=(-calls 40 -senders 3 -producers 3 -cap 4 -mutex 3 -readers 2 -wg-count 5 -wg 2 -cond 2 -sleep 3600 -forge)

VERS=$(cd "$FIX/go" 2>/dev/null && ls -d */ | tr -d / | sort -V)
builds=()
for ver in $VERS; do
	[ -x "$FIX/go/$ver/waits" ] && builds+=("$ver/waits" "$ver/waits-stripped")
done
have() { [[ " ${builds[*]} " == *" $1 "* ]]; }
check "fixtures built by go1.19, 1.22, 1.26 and 1.27 (make -C fixtures)" \
	bash -c "$(declare -f have); builds=(${builds[*]}); have 1.19/waits && have 1.22/waits && have 1.26/waits && have 1.27/waits-stripped"

# The fixture's channels (not the nil one) as "address type cap len senders receivers".
exp_chans() {
	awk '$1 == "chan" && $3 != "0x0" { print $3, $4 " " $5, $6, $7, $8, $9 }' "$1" | sort
}
# The report's, for the addresses the fixture named: each goroutine's
# channel and a select's channels.
rep_chans() {
	jq -r --arg want "$(awk '$1 == "chan" { printf "%s ", $3 }' "$2")" '
		($want | split(" ")) as $w
		| [.goroutines[].waits_on | select(.) | (select(.kind == "chan" and .address)), (.channels[]?)]
		| unique_by(.address)[] | select(.address as $a | $w | index($a))
		| "\(.address) \(.chan.type) \(.chan.cap) \(.chan.len) \(.chan.senders) \(.chan.receivers)"' "$1" | sort
}
# "address goroutines" for the channels the fixture's senders wait on.
exp_senders() {
	awk '$1 == "chan" && ($2 == "first-error" || $2 == "full") { print $3, $8 }' "$1" | sort
}
rep_senders() {
	jq -r --arg want "$(awk '$1 == "chan" { printf "%s ", $3 }' "$2")" '
		($want | split(" ")) as $w
		| [.goroutines[] | select(.wait_reason == "chan send") | .waits_on.address | select(. as $a | $w | index($a))]
		| group_by(.)[] | "\(.[0]) \(length)"' "$1" | sort
}
# A goroutine's wait, by the function of package main it waits in.
waits_in() {
	jq -c --arg f "$2" '[.goroutines[] | select(any(.frames[]; .function == $f)) | .waits_on]' "$1"
}
field() { awk -v k="$2" '$1 == k { print $'"$3"' }' "$1"; }

check_report() { # LABEL JSON MANIFEST VER
	local what=$1 J=$2 M=$3 ver=$4
	expect_eq "$what: every channel: type, capacity, length, senders, receivers" "$(exp_chans "$M")" "$(rep_chans "$J" "$M")"
	expect_eq "$what: each sender names its channel" "$(exp_senders "$M")" "$(rep_senders "$J" "$M")"
	local calls senders
	calls=$(awk '$1 == "chan" && $2 == "first-error"' "$M" | wc -l)
	senders=$(awk '$1 == "chan" && $2 == "first-error" { print $8; exit }' "$M")
	expect_eq "$what: the first-error group: $calls channels, $senders goroutines on each" "$calls [$senders]" \
		"$(jq -r '.groups[] | select(.wait_site.function == "main.firstError.func1") | "\(.objects | length) \([.objects[].count] | unique | join(",") | "[\(.)]")"' "$J")"
	expect_eq "$what: the nil-channel receive" '[{"kind":"chan","address":null,"name":null,"chan":{"type":null,"nil":true,"cap":null,"len":null,"closed":null,"senders":null,"receivers":null}}]' \
		"$(waits_in "$J" main.nilReceive)"
	expect_eq "$what: the select waits on both its channels" \
		"select $(awk '$1 == "chan" && $2 ~ /^select-/ { print $3 }' "$M" | sort | paste -sd,)" \
		"$(waits_in "$J" main.selectTwo | jq -r '.[] | "\(.kind) \([.channels[].address] | sort | join(","))"')"
	local f
	for f in $(awk '$1 == "forged" { print $2 "=" $3 }' "$M"); do
		local a=${f%=*} how=${f#*=} why
		[ "$how" = count ] && why="its count exceeds its capacity" || why="its closed flag is neither 0 nor 1"
		expect_eq "$what: the channel forged ($how) is unknown: $why" "null not a channel: $why" \
			"$(jq -r --arg a "$a" '[.goroutines[].waits_on | select(.address == $a)][0] | "\(.chan) \(.note)"' "$J")"
	done
	# the fd: live from the poller's epoll registrations, in a core from
	# the pollDesc its own netpollblock frames hold
	expect_eq "$what: the goroutine in IO wait reads fd $(field "$M" fd 2)" "fd $(field "$M" fd 2)" \
		"$(waits_in "$J" main.readConn | jq -r '.[0] | "\(.kind) \(.fd.fd)"')"
	# sync objects: go1.26 and later record the semaphore with the
	# goroutine; before, the semaphore table does (found by its symbol),
	# and a Cond waiter's notify list is found among its stack words
	local mu rw wg cv n_mu n_rw n_wg n_cv
	mu=$(awk '$1 == "sync.Mutex" { print $2, "true", $3 }' "$M")
	rw=$(awk '$1 == "sync.RWMutex" { print $2, "true", $3, $5 }' "$M")
	wg=$(awk '$1 == "sync.WaitGroup" { print $2, $3, $4 }' "$M")
	cv=$(awk '$1 == "sync.Cond" { print $2, $3 }' "$M")
	n_mu=$(awk '$1 == "sync.Mutex" { print $3 }' "$M")
	n_rw=$(awk '$1 == "sync.RWMutex" { print $4 + $5 }' "$M")
	n_wg=$(awk '$1 == "sync.WaitGroup" { print $4 }' "$M")
	n_cv=$(awk '$1 == "sync.Cond" { print $3 }' "$M")
	expect_eq "$what: sync.Mutex: address, locked, waiters; one per waiter" "$n_mu $mu" \
		"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.Mutex")] | "\(length) \(unique | map("\(.address) \(.locked) \(.waiters)") | join("|"))"' "$J")"
	expect_eq "$what: sync.RWMutex (writer and readers): address, writer pending, readers in, readers waiting" "$n_rw $rw" \
		"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.RWMutex")] | "\(length) \(unique | map("\(.address) \(.writer_pending) \(.readers) \(.readers_waiting)") | join("|"))"' "$J")"
	expect_eq "$what: sync.WaitGroup: address, counter, waiters" "$n_wg $wg" \
		"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.WaitGroup")] | "\(length) \(unique | map("\(.address) \(.counter) \(.waiters)") | join("|"))"' "$J")"
	expect_eq "$what: Go records no mutex owner" "not recorded" \
		"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.Mutex" or .kind == "sync.RWMutex") | .owner_state] | unique | join(",")' "$J")"
	expect_eq "$what: sync.Cond: address, waiters; one per waiter" "$n_cv $cv" \
		"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.Cond")] | "\(length) \(unique | map("\(.address) \(.waiters)") | join("|"))"' "$J")"
}

# check_text LABEL TEXT MANIFEST FD [core]: the text report's group lines;
# FD: what the reader's line says after "on fd " (live: the number and its
# connection; a core: the number and that its endpoints are unknown).  A core knows when the sleeper wakes
# only when it knows the runtime's clock (from the last GC's).
check_text() {
	local what=$1 T=$2 M=$3 fd=$4 core=${5:-} calls senders
	calls=$(awk '$1 == "chan" && $2 == "first-error"' "$M" | wc -l)
	senders=$(awk '$1 == "chan" && $2 == "first-error" { print $8; exit }' "$M")
	check "$what text: on $calls channels of type chan error (unbuffered), $senders senders each, no receiver" \
		grep -q "waits: *on $calls channels of type chan error (unbuffered), $senders senders each, no receiver\$" "$T"
	set -- $(awk '$1 == "chan" && $2 == "full" { print $3, $6, $8 }' "$M")
	check "$what text: the full channel: chan int, $2 of $2 buffered, $3 senders, 0 receivers" \
		grep -q "waits: *on chan .*($1) \[chan int, $2 of $2 buffered, $3 senders, 0 receivers\]" "$T"
	check "$what text: the nil channel" grep -q "waits: *on nil channel (blocks forever)" "$T"
	set -- $(awk '$1 == "sync.Mutex" { print $2, $3 }' "$M")
	check "$what text: sync.Mutex ($1) [locked, waiters $2], no owner recorded" \
		grep -q "waits: *on sync.Mutex .*($1) \[locked, waiters $2\] owner not recorded (Go records none)" "$T"
	set -- $(awk '$1 == "sync.WaitGroup" { print $2, $3, $4 }' "$M")
	check "$what text: sync.WaitGroup ($1) [counter $2, waiters $3]" \
		grep -q "waits: *on sync.WaitGroup .*($1) \[counter $2, waiters $3\]\$" "$T"
	set -- $(awk '$1 == "sync.Cond" { print $2, $3 }' "$M")
	check "$what text: sync.Cond ($1) [waiters $2]" grep -q "waits: *on sync.Cond .*($1) \[waiters $2\]\$" "$T"
	check "$what text: the reader's fd: $fd" \
		bash -c 'sed -n "s/^ *waits: *\(on fd \)/\1/p" "$1" | grep -Fxq "on fd $2"' _ "$T" "$fd"
	if [ -z "$core" ]; then
		check "$what text: the sleeper's wake time" grep -Eq "waits: *on timer \(0x[0-9a-f]+\) \[wakes in [0-9]+ s\]$" "$T"
	else
		check "$what text: the sleeper's timer (and its wake time if the core's clock is known)" \
			grep -Eq "waits: *on timer \(0x[0-9a-f]+\)( \[wakes in [0-9]+ s\])?$" "$T"
	fi
}

for b in "${builds[@]}"; do
	bin=$FIX/go/$b
	ver=${b%%/*}
	d=$TMP/${b//\//-}
	mkdir -p "$d"
	start_fixture "$bin" "${ARGS[@]}" || { check "go$b: fixture ready" false; continue; }
	PID=$FX_PID
	M=$d/manifest
	cp "$FX_OUT" "$M"
	"$PILEUP" --json=1 "$PID" >"$d/nonstop.json"
	check_report "go$b nonstop" "$d/nonstop.json" "$M" "$ver"
	"$PILEUP" --stop-all --json=1 "$PID" >"$d/stopall.json"
	check_report "go$b --stop-all" "$d/stopall.json" "$M" "$ver"
	# live: the poller's epoll registrations lead from the fd to the
	# goroutine parked on it
	fdl=$(awk '$1 == "fd" { print $2, "TCP " $3 " -> " $4 }' "$M")
	for mode in nonstop stopall; do
		expect_eq "go$b $mode: the goroutine in IO wait reads fd $fdl" "$fdl" \
			"$(waits_in "$d/$mode.json" main.readConn | jq -r '.[0].fd | "\(.fd) \(.desc)"')"
	done
	# ... and that is the connection ss sees on that fd of the process
	ssl=$(ss -tnpH state established | awk -v fd="pid=$PID,fd=${fdl%% *})" \
		'index($0, fd) { sub(/.*fd=/, "", $NF); sub(/\).*/, "", $NF); print $NF, "TCP " $3 " -> " $4 }')
	expect_eq "go$b: ... as ss -tnp says of the process's fd ${fdl%% *}" "$fdl" "$ssl"
	# the sleeper wakes when the fixture said, less the time gone since
	sleep_s=$(field "$M" sleep 2)
	began=$(field "$M" sleep 3)
	left=$(((sleep_s - ($(date +%s) - began)) * 1000))
	check "go$b: time.Sleep's timer wakes in $left ms, within 5 s" \
		jq -e >/dev/null --argjson lo $((left - 5000)) --argjson hi $((sleep_s * 1000)) \
		'[.goroutines[] | select(any(.frames[]; .function == "main.sleepLong")) | .waits_on | select(.kind == "timer" and .wakes_in_ms >= $lo and .wakes_in_ms <= $hi)] | length == 1' \
		"$d/nonstop.json"
	# ... and the sleep it is the end of began in the process's lifetime,
	# in the runtime's clock (CLOCK_MONOTONIC: nanotime on linux).
	# (jq's output is dropped inside: check's own line stays on stdout)
	jq_true() { jq -e "$@" >/dev/null; }
	mono=$(python3 -c 'import time; print(time.monotonic_ns())')
	age=$(ps -o etimes= -p "$PID" | tr -d ' ')
	check "go$b: time.Sleep's timer minus its $sleep_s s: a moment of the process's $age s" \
		jq_true --argjson lo $((mono - (age + 2) * 1000000000)) --argjson hi "$mono" --argjson s $((sleep_s * 1000000000)) \
		'[.goroutines[] | select(any(.frames[]; .function == "main.sleepLong")) | .waits_on | select(.when_ns - $s >= $lo and .when_ns - $s <= $hi)] | length == 1' \
		"$d/nonstop.json"
	# text: the group lines say it
	"$PILEUP" "$PID" >"$d/text.txt"
	check_text "go$b" "$d/text.txt" "$M" "${fdl%% *} (${fdl#* })"
	"$PILEUP" --stop-all "$PID" >"$d/text-stopall.txt"
	check_text "go$b --stop-all" "$d/text-stopall.txt" "$M" "${fdl%% *} (${fdl#* })"
	# a core of the same process: the same answers, the same wake time
	"$PILEUP" --gcore "$PID" -o "$d/core" 2>"$d/gcore.err"
	check "go$b: pileup --gcore wrote a core" test -s "$d/core"
	"$PILEUP" --json=1 "$d/core" "$bin" >"$d/core.json" 2>"$d/core.err"
	check_report "go$b core" "$d/core.json" "$M" "$ver"
	expect_eq "go$b core: the IO wait's fd, its endpoints unknown (a core has no fd table), and the note says so" \
		"${fdl%% *} null endpoints unknown" \
		"$(waits_in "$d/core.json" main.readConn | jq -r '.[0].fd | "\(.fd) \(.desc) \(.note | test("^endpoints unknown") | if . then "endpoints unknown" else "?" end)"')"
	"$PILEUP" "$d/core" "$bin" >"$d/core.txt" 2>/dev/null
	check_text "go$b core" "$d/core.txt" "$M" "${fdl%% *} [endpoints unknown: a core has no fd table]" core
	expect_eq "go$b core: the sleeper's wake time is the live one" \
		"$(waits_in "$d/nonstop.json" main.sleepLong | jq -c '[.[].when_ns]')" \
		"$(waits_in "$d/core.json" main.sleepLong | jq -c '[.[].when_ns]')"
	# The core's clock is the last GC's (golang.c): with no GC before
	# the core (none forced here), no wake time is claimed at all.
	left=$(((sleep_s - ($(date +%s) - began)) * 1000))
	if [ "$(waits_in "$d/core.json" main.sleepLong | jq -r '.[0].wakes_in_ms')" = null ]; then
		expect_eq "go$b core: no GC dated it: no wake time, no note" "null null" \
			"$(waits_in "$d/core.json" main.sleepLong | jq -r '.[0] | "\(.wakes_in_ms) \(.note)"')"
	else
		check "go$b core: the sleeper wakes in $left ms (-5 s), from the core's clock too" \
			jq_true --argjson lo $((left - 5000)) --argjson hi $((sleep_s * 1000)) \
			'[.goroutines[] | select(any(.frames[]; .function == "main.sleepLong")) | .waits_on | select(.wakes_in_ms >= $lo and .wakes_in_ms <= $hi)] | length == 1' \
			"$d/core.json"
		# a core file newer than its crash (copied later): the timer, not
		# yet fired at the crash, would be "due" before the file's time
		touch -d '+2 hours' "$d/core"
		"$PILEUP" --json=1 "$d/core" "$bin" >"$d/core-later.json" 2>/dev/null
		expect_eq "go$b core copied 2 h after the crash: the wake time from now is unknown, and the note says why" "null true" \
			"$(waits_in "$d/core-later.json" main.sleepLong | jq -r '.[0] | "\(.wakes_in_ms) \(.note | test("newer than the crash"))"')"
	fi
	# a saved report reads back the same waits and group objects
	"$PILEUP" --json=1 "$d/nonstop.json" >"$d/again.json"
	W='[[.goroutines[] | .waits_on], [.groups[] | .objects]]'
	expect_eq "go$b: a saved report reads back the same waits and group objects" \
		"$(jq -c "$W" "$d/nonstop.json")" "$(jq -c "$W" "$d/again.json")"
	stop_fixture "$PID"
done

# --- forged memory in a core: a pollDesc, a notify list ------------------------
# The core of go1.22's build (before go1.26 the runtime records no Cond
# for a waiter: its notify list is found among the waiter's stack words),
# its IO wait's pollDesc and its Cond's notify list (PILEUP_GO_DEBUG names
# them) rewritten as a process could: unknown, with the reason, never
# another fd or Cond.
c=$TMP/1.22-waits/core
if have 1.22/waits && [ -s "$c" ]; then
	bin=$FIX/go/1.22/waits
	dbg=$(PILEUP_GO_DEBUG=1 "$PILEUP" "$c" "$bin" 2>&1 >/dev/null)
	dump=$(PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" "$c" "$bin" 2>&1 >/dev/null)
	fact() { awk -v n="$1" '$1 == "golayout" && $2 == "field" && $3 == n { print $4; exit }' <<<"$dump"; }
	pd=$(sed -n 's/.* in IO wait: pollDesc \(0x[0-9a-f]*\) .*/\1/p' <<<"$dbg" | sort -u)
	nl=$(sed -n 's/.* on a sync.Cond: notify list \(0x[0-9a-f]*\),.*/\1/p' <<<"$dbg" | sort -u)
	expect_eq "go1.22 core: one pollDesc and one notify list found on the waiters' stacks" "1 1" \
		"$(wc -w <<<"$pd") $(wc -w <<<"$nl")"
	n_cv=$(awk '$1 == "sync.Cond" { print $3 }' "$TMP/1.22-waits/manifest")
	for bad in "pd_self:0 fd" "pd_fd:-1 fd" "pd_rg:0 fd" "nl_tail:0 cond" "nl_wait:5,nl_notify:5 cond"; do
		pokes=${bad% *} what=${bad#* }
		cp "$c" "$TMP/bad.core"
		for p in ${pokes//,/ }; do
			f=${p%:*} v=${p#*:}
			[ "$what" = fd ] && a=$pd || a=$nl
			sz=$(awk -v n="$f" '$1 == "golayout" && $2 == "field" && $3 == n { print $5; exit }' <<<"$dump")
			python3 "$ROOT/tests/helpers/corepoke.py" "$TMP/bad.core" $((a + $(fact "$f"))) "$sz" "$v" >/dev/null
		done
		"$PILEUP" --json=1 "$TMP/bad.core" "$bin" >"$TMP/bad.json" 2>"$TMP/bad.err"
		expect_eq "go1.22 core, $pokes: a report (exit 0)" 0 $?
		if [ "$what" = fd ]; then
			expect_eq "go1.22 core, $pokes: the IO wait's fd is unknown, and why" \
				"null no pollDesc its stack leads to holds it (it may be waking up)" \
				"$(waits_in "$TMP/bad.json" main.readConn | jq -r '.[0] | "\(.fd) \(.wait_note)"')"
		else
			expect_eq "go1.22 core, $pokes: each Cond waiter's Cond is unknown, and why" "$n_cv" \
				"$(jq '[.goroutines[].waits_on | select(.kind == "sync.Cond" and .address == null and (.wait_note | test("and no notify list its stack leads to holds it")))] | length' "$TMP/bad.json")"
		fi
	done
	# bytes of the pollDesc, the notify list and the waiters' stack words
	# around what led to them overwritten at random: a report every time
	spots="$pd $nl $(sed -n 's/.* from its stack at \(0x[0-9a-f]*\) .*/\1/p' <<<"$dbg")"
	mut=0
	for i in $(seq 1 "$([ "$ASAN" = 1 ] && echo 8 || echo 24)"); do
		cp "$c" "$TMP/mut.core"
		for k in $(seq 1 16); do
			set -- $spots
			shift $((RANDOM % $#))
			python3 "$ROOT/tests/helpers/corepoke.py" "$TMP/mut.core" $(($1 + RANDOM % 512 - 128)) 1 $((RANDOM % 256)) >/dev/null
		done
		"$PILEUP" --json=1 "$TMP/mut.core" "$bin" >"$TMP/mut.json" 2>"$TMP/mut.err"
		rc=$?
		if [ $rc -gt 2 ] || grep -q -e AddressSanitizer -e 'runtime error' "$TMP/mut.err"; then
			mut=$((mut + 1))
			cp "$TMP/mut.core" "$TMP/bad-stack-$i.core"
			echo "# mutated go1.22 core $i: exit $rc: $(head -c 300 "$TMP/mut.err")"
		fi
	done
	expect_eq "go1.22 core, its pollDesc, notify list and waiters' stacks overwritten at random: a report every time" 0 "$mut"
else
	check "go1.22: the core of its build was made above" false
fi

# --- goroutines Go's leak detector marked leaked (go1.27: _Gleaked) -----------
# fixtures/go/leakcheck's leaks, read before and after Go's own detector
# (/debug/pprof/goroutineleak) marked them: status leaked, and each waits
# on what it waited on before (mgc.go at go1.27.3 keeps the wait reason and
# wait list), live and from a core.
bin=$FIX/go/1.27/leakcheck
if [ -x "$bin" ] && GODEBUG=gcshrinkstackoff=1 start_fixture "$bin" -n 3; then
	pid=$FX_PID
	url=$(awk '/^pprof/ { print $2 }' "$FX_OUT")
	"$PILEUP" --json=1 "$pid" >"$TMP/lk-before.json"
	curl -sf "$url/debug/pprof/goroutineleak?debug=2" >"$TMP/gl.txt"
	want=$(sed -n 's/^goroutine \([0-9]*\) .*(leaked)\]:$/\1/p' "$TMP/gl.txt" | sort -n | paste -sd,)
	"$PILEUP" --json=1 "$pid" >"$TMP/lk-after.json"
	"$PILEUP" --gcore "$pid" -o "$TMP/lk.core" >/dev/null 2>&1
	"$PILEUP" --json=1 "$TMP/lk.core" "$bin" >"$TMP/lk-core.json" 2>/dev/null
	stop_fixture "$pid"
	check "go1.27: Go's detector reports leaks" test -n "$want"
	ids() { jq -r --arg s "$2" '[.goroutines[] | select(.status == $s) | .id] | sort | map(tostring) | join(",")' "$1"; }
	expect_eq "go1.27: before Go's detector ran, none is marked leaked" "" "$(ids "$TMP/lk-before.json" leaked)"
	expect_eq "go1.27: after, the goroutines Go reports leaked have status leaked" "$want" "$(ids "$TMP/lk-after.json" leaked)"
	expect_eq "go1.27 core: status leaked" "$want" "$(ids "$TMP/lk-core.json" leaked)"
	W='[.goroutines[] | select(.id as $i | $ids | index($i)) | {id, wait_reason, waits_on}] | sort_by(.id)'
	before=$(jq -c --argjson ids "[$want]" "$W" "$TMP/lk-before.json")
	expect_eq "go1.27: each leaked goroutine waits on what it waited on before it was marked" "$before" \
		"$(jq -c --argjson ids "[$want]" "$W" "$TMP/lk-after.json")"
	expect_eq "go1.27 core: the same" "$before" "$(jq -c --argjson ids "[$want]" "$W" "$TMP/lk-core.json")"
	expect_eq "go1.27: every leaked goroutine's object is known (an address, or a select's channels)" 0 \
		"$(jq '[.goroutines[] | select(.status == "leaked") | .waits_on | select(. == null or (.address == null and ((.channels // []) | length) == 0))] | length' "$TMP/lk-after.json")"
	n=$(awk '$1 == "leak" && $2 == "firstErrorWorker" { print $3 }' "$FX_OUT")
	expect_eq "go1.27: the first-error leak's channel: $n senders, all leaked" "1 $n $n" \
		"$(jq -r '[.goroutines[] | select(.status == "leaked" and .wait_site.function == "main.firstErrorWorker") | .waits_on] | "\(map(.address) | unique | length) \(.[0].chan.senders) \(length)"' "$TMP/lk-after.json")"
else
	check "go1.27 leakcheck ready (make -C fixtures)" false
fi

# --- go1.17's sync.WaitGroup (state1 [3]uint32): esbuild 0.14.10 --------------
# No go1.17 toolchain is here to build the fixture; esbuild-linux-64@0.14.10
# (go1.17.5, stripped; fixtures/realgo.sh) serving blocks its result.Wait
# on handler.serveWaitGroup (pkg/api/serve_other.go at v0.14.10: Add(1)
# once, before the goroutine that runs server.Serve and calls Done when
# Serve returns).  Oracle: Go's own traceback (SIGQUIT): the goroutines in
# WaitGroup.Wait are its waiters, the goroutines still in that Serve
# closure (api.serveImpl.func4) its counter.  Live and from a core.
es=$("$ROOT/fixtures/realgo.sh" --cached 2>/dev/null | awk '$1 == "go1.17.5" { print $2; exit }')
if [ -z "$es" ]; then
	echo "ok - # SKIP no go1.17 program installed (fixtures/realgo.sh installs esbuild-linux-64@0.14.10)"
elif [ ! -x "$ROOT/tests/helpers/loopport" ]; then
	check "helper loopport built (make tests/helpers/loopport)" false
else
	d=$TMP/es117
	mkdir -p "$d"
	echo 'export const answer = 42' >"$d/in.js"
	port=$("$ROOT/tests/helpers/loopport" free)
	mkfifo "$d/stdin"
	exec {esfd}<>"$d/stdin" # esbuild stops at EOF on stdin
	(cd "$d" && GOTRACEBACK=all exec "$es" in.js --bundle --outdir=out --serve=127.0.0.1:"$port" <&"$esfd" >out.txt 2>err.txt) &
	es_pid=$!
	fx_track "$es_pid"
	for ((i = 0; i < 400; i++)); do
		grep -qs "127.0.0.1:$port" "$d/err.txt" && break
		sleep 0.05
	done
	sleep 0.3 # its first build
	"$PILEUP" --json=1 "$es_pid" >"$d/live.json"
	ss -tlnpH "( sport = :$port )" >"$d/ss.txt"
	"$PILEUP" --gcore "$es_pid" -o "$d/core" >/dev/null 2>&1
	kill -QUIT "$es_pid"
	wait "$es_pid" 2>/dev/null
	exec {esfd}>&-
	"$PILEUP" --json=1 "$d/core" "$es" >"$d/core.json" 2>/dev/null
	waiters=$(awk -v RS= '/sync\.\(\*WaitGroup\)\.Wait\(/ && /api\.serveImpl\.func2\(/ { n++ } END { print n + 0 }' "$d/err.txt")
	counter=$(awk -v RS= '/^goroutine / && /api\.serveImpl\.func4\(/ { n++ } END { print n + 0 }' "$d/err.txt")
	check "go1.17: the traceback shows a waiter and the serving goroutine" test "$waiters" -ge 1 -a "$counter" -ge 1
	for m in live core; do
		expect_eq "go1.17 $m: its sync.WaitGroup: one object, counter $counter, waiters $waiters, one per waiter" \
			"1 $counter $waiters $waiters" \
			"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.WaitGroup")] | "\(map(.address) | unique | length) \(.[0].counter) \(.[0].waiters) \(length)"' "$d/$m.json")"
	done
	# its server's accept: live the listening socket on its port (the
	# poller's registrations), from the core the same fd (the pollDesc
	# on the goroutine's stack)
	lfd=$(jq -r '[.goroutines[] | select(.wait_reason == "IO wait") | .waits_on.fd | select(.desc == "TCP listening on 127.0.0.1:'"$port"'") | .fd] | unique | join(",")' "$d/live.json")
	check "go1.17 live: the server's accept waits on its listening socket" test -n "$lfd"
	expect_eq "go1.17 live: ... the fd ss -tlnp says listens on port $port" \
		"$(grep -o "pid=$es_pid,fd=[0-9]*" "$d/ss.txt" | sed 's/.*fd=//' | sort -un | paste -sd,)" "$lfd"
	expect_eq "go1.17 core: ... the same fd, its endpoints unknown" "$lfd null" \
		"$(jq -r '[.goroutines[] | select(.wait_reason == "IO wait") | .waits_on.fd | "\(.fd) \(.desc)"] | unique | join(",")' "$d/core.json")"
	check "go1.17: the waiter is result.Wait (api.serveImpl.func2)" \
		jq -e >/dev/null '[.goroutines[] | select(.waits_on.kind == "sync.WaitGroup") | .wait_site.function] | unique == ["github.com/evanw/esbuild/pkg/api.serveImpl.func2"]' "$d/live.json"
fi

# --- the kernel's core of a Go crash (GOTRACEBACK=crash, SIGQUIT) --------------
# The runtime freezes the world, prints every goroutine and aborts: the
# goroutines stay parked on what they waited on.
if [ "$(cat /proc/sys/kernel/core_pattern)" != core ]; then
	echo "ok - # SKIP core_pattern is '$(cat /proc/sys/kernel/core_pattern)', not 'core': no kernel core in the cwd"
else
	for b in 1.22/waits 1.27/waits-stripped; do
		have "$b" || continue
		d=$TMP/kcore-${b//\//-}
		mkdir -p "$d"
		(
			cd "$d" || exit 1
			ulimit -c unlimited
			GOTRACEBACK=crash exec "$FIX/go/$b" "${ARGS[@]}" >out.txt 2>err.txt
		) &
		runner=$!
		fx_track "$runner" # killed at the end if it never crashed
		for ((i = 0; i < 600; i++)); do
			grep -q '^ready ' "$d/out.txt" 2>/dev/null && break
			sleep 0.05
		done
		pid=$(awk '/^ready/ { print $2 }' "$d/out.txt")
		check "go$b: fixture ready for its crash" test -n "$pid"
		[ -n "$pid" ] || continue
		kill -QUIT "$pid"
		{ wait "$runner"; } 2>/dev/null
		check "go$b: the runtime dumped core" test -s "$d/core"
		"$PILEUP" --json=1 "$d/core" "$FIX/go/$b" >"$d/core.json" 2>"$d/core.err"
		check_report "go$b kernel core" "$d/core.json" "$d/out.txt" "${b%%/*}"
		"$PILEUP" "$d/core" "$FIX/go/$b" >"$d/core.txt" 2>/dev/null
		check_text "go$b kernel core" "$d/core.txt" "$d/out.txt" "$(field "$d/out.txt" fd 2) [endpoints unknown: a core has no fd table]" core
	done
fi

# --- the fuzzer's Go seed, and bad memory --------------------------------------
# fuzz/go-seeds/ holds a core of the go1.26 build (-trimpath: the same file
# in every checkout), shrunk to the pages pileup reads (fuzz/mkseed.c): its
# goroutines' waits are all there, so the fuzzer mutates what go/waits.c
# reads (the IO wait's pollDesc among them).  The same seed with bytes
# of its memory overwritten at random
# gives a report, never a crash.
seed=$ROOT/fuzz/go-seeds/waits-go1.26.core
if [ -x "$FIX/go/1.26/waits" ]; then
	"$PILEUP" --json=1 "$seed" "$FIX/go/1.26/waits" >"$TMP/seed.json" 2>"$TMP/seed.err"
	expect_eq "the Go fuzz seed: its program matches, every kind of wait read from it" \
		"chan fd select sync.Cond sync.Mutex sync.RWMutex sync.WaitGroup timer" \
		"$(jq -r '[.goroutines[].waits_on | select(.address or .chan or .channels or .fd.fd) | .kind] | unique | join(" ")' "$TMP/seed.json")"
	size=$(stat -c %s "$seed")
	hdr=$((64 + 56 * $(od -An -tu2 -j56 -N2 "$seed" | tr -d ' ')))
	bad=0
	for i in $(seq 1 "$([ "$ASAN" = 1 ] && echo 8 || echo 24)"); do
		cp "$seed" "$TMP/mut.core"
		for k in $(seq 1 64); do
			off=$((hdr + (RANDOM * 32768 + RANDOM) % (size - hdr)))
			printf "\\x$(printf %02x $((RANDOM % 256)))" | dd of="$TMP/mut.core" bs=1 seek="$off" conv=notrunc status=none
		done
		"$PILEUP" --json=1 "$TMP/mut.core" "$FIX/go/1.26/waits" >"$TMP/mut.json" 2>"$TMP/mut.err"
		rc=$?
		if [ $rc -gt 2 ] || grep -q -e AddressSanitizer -e 'runtime error' "$TMP/mut.err"; then
			bad=$((bad + 1))
			cp "$TMP/mut.core" "$TMP/bad-$i.core"
			echo "# mutated seed $i: exit $rc: $(head -c 300 "$TMP/mut.err")"
		fi
	done
	expect_eq "the Go seed with its memory overwritten at random: a report every time, never a crash" 0 "$bad"
else
	check "fixtures/bin/go/1.26/waits built (make -C fixtures)" false
fi

finish
