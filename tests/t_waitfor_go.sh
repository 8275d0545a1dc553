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
# symbol or, stripped, in the code; a Cond before go1.26 is unknown),
# time.Sleep's wake time, IO wait on a TCP connection
# (live: the fd and both ends, through the poller's epoll registrations;
# a core says it cannot know); the text
# report's lines; channels the fixture corrupted in place are unknown, with
# the reason; a saved report reads back the same.
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
	expect_eq "$what: the goroutine in IO wait waits on an fd" '"fd"' "$(waits_in "$J" main.readConn | jq -c '.[0].kind')"
	# sync objects: go1.26 and later record the semaphore with the
	# goroutine; before, the semaphore table does (found by its symbol)
	local mu rw wg cv n_mu n_rw n_wg n_cv linked=0 table=0
	mu=$(awk '$1 == "sync.Mutex" { print $2, "true", $3 }' "$M")
	rw=$(awk '$1 == "sync.RWMutex" { print $2, "true", $3, $5 }' "$M")
	wg=$(awk '$1 == "sync.WaitGroup" { print $2, $3, $4 }' "$M")
	cv=$(awk '$1 == "sync.Cond" { print $2, $3 }' "$M")
	n_mu=$(awk '$1 == "sync.Mutex" { print $3 }' "$M")
	n_rw=$(awk '$1 == "sync.RWMutex" { print $4 + $5 }' "$M")
	n_wg=$(awk '$1 == "sync.WaitGroup" { print $4 }' "$M")
	n_cv=$(awk '$1 == "sync.Cond" { print $3 }' "$M")
	[ "$(printf '%s\n' "$ver" 1.26 | sort -V | head -n1)" = 1.26 ] && linked=1
	[ $linked = 0 ] && table=1
	if [ $linked = 1 ] || [ $table = 1 ]; then
		expect_eq "$what: sync.Mutex: address, locked, waiters; one per waiter" "$n_mu $mu" \
			"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.Mutex")] | "\(length) \(unique | map("\(.address) \(.locked) \(.waiters)") | join("|"))"' "$J")"
		expect_eq "$what: sync.RWMutex (writer and readers): address, writer pending, readers in, readers waiting" "$n_rw $rw" \
			"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.RWMutex")] | "\(length) \(unique | map("\(.address) \(.writer_pending) \(.readers) \(.readers_waiting)") | join("|"))"' "$J")"
		expect_eq "$what: sync.WaitGroup: address, counter, waiters" "$n_wg $wg" \
			"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.WaitGroup")] | "\(length) \(unique | map("\(.address) \(.counter) \(.waiters)") | join("|"))"' "$J")"
		expect_eq "$what: Go records no mutex owner" "not recorded" \
			"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.Mutex" or .kind == "sync.RWMutex") | .owner_state] | unique | join(",")' "$J")"
	fi
	if [ $linked = 1 ]; then
		expect_eq "$what: sync.Cond: address, waiters" "$n_cv $cv" \
			"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.Cond")] | "\(length) \(unique | map("\(.address) \(.waiters)") | join("|"))"' "$J")"
	else
		expect_eq "$what: sync.Cond: the release does not record which, and the note says so" "$n_cv" \
			"$(jq -r '[.goroutines[].waits_on | select(.kind == "sync.Cond" and .address == null and (.wait_note | test("does not record which sync.Cond")))] | length' "$J")"
	fi
}

for b in "${builds[@]}"; do
	bin=$FIX/go/$b
	ver=${b%%/*}
	d=$TMP/${b//\//-}
	mkdir -p "$d"
	start_fixture "$bin" "${ARGS[@]}" || { check "go$b: fixture ready" false; continue; }
	PID=$FX_PID
	M=$FX_OUT
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
	calls=$(awk '$1 == "chan" && $2 == "first-error"' "$M" | wc -l)
	senders=$(awk '$1 == "chan" && $2 == "first-error" { print $8; exit }' "$M")
	check "go$b text: on $calls channels of type chan error (unbuffered), $senders senders each, no receiver" \
		grep -q "waits: *on $calls channels of type chan error (unbuffered), $senders senders each, no receiver\$" "$d/text.txt"
	full=$(awk '$1 == "chan" && $2 == "full" { print $3, $6, $8 }' "$M")
	set -- $full
	check "go$b text: the full channel: chan int, $2 of $2 buffered, $3 senders, 0 receivers" \
		grep -q "waits: *on chan .*($1) \[chan int, $2 of $2 buffered, $3 senders, 0 receivers\]" "$d/text.txt"
	check "go$b text: the nil channel" grep -q "waits: *on nil channel (blocks forever)" "$d/text.txt"
	mu=$(awk '$1 == "sync.Mutex" { print $2, $3 }' "$M")
	set -- $mu
	check "go$b text: sync.Mutex ($1) [locked, waiters $2], no owner recorded" \
		grep -q "waits: *on sync.Mutex .*($1) \[locked, waiters $2\] owner not recorded (Go records none)" "$d/text.txt"
	wg=$(awk '$1 == "sync.WaitGroup" { print $2, $3, $4 }' "$M")
	set -- $wg
	check "go$b text: sync.WaitGroup ($1) [counter $2, waiters $3]" \
		grep -q "waits: *on sync.WaitGroup .*($1) \[counter $2, waiters $3\]\$" "$d/text.txt"
	check "go$b text: the reader's fd and connection" grep -q "waits: *on fd ${fdl%% *} (${fdl#* })\$" "$d/text.txt"
	check "go$b text: the sleeper's wake time" grep -Eq "waits: *on timer \(0x[0-9a-f]+\) \[wakes in [0-9]+ s\]" "$d/text.txt"
	# a core of the same process: the same answers, the same wake time
	"$PILEUP" --gcore "$PID" -o "$d/core" 2>"$d/gcore.err"
	check "go$b: pileup --gcore wrote a core" test -s "$d/core"
	"$PILEUP" --json=1 "$d/core" "$bin" >"$d/core.json" 2>"$d/core.err"
	check_report "go$b core" "$d/core.json" "$M" "$ver"
	expect_eq "go$b core: which fd an IO wait is on needs the live process, and the note says so" "fd needs the live process" \
		"$(waits_in "$d/core.json" main.readConn | jq -r '.[0] | "\(.kind) \(.wait_note | test("needs the live process") | if . then "needs the live process" else "?" end)"')"
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
	done
fi

# --- the fuzzer's Go seed, and bad memory --------------------------------------
# fuzz/go-seeds/ holds a core of the go1.26 build (-trimpath: the same file
# in every checkout), shrunk to the pages pileup reads (fuzz/mkseed.c): its
# goroutines' waits are all there, so the fuzzer mutates what go/waits.c
# reads.  The same seed with bytes of its memory overwritten at random
# gives a report, never a crash.
seed=$ROOT/fuzz/go-seeds/waits-go1.26.core
if [ -x "$FIX/go/1.26/waits" ]; then
	"$PILEUP" --json=1 "$seed" "$FIX/go/1.26/waits" >"$TMP/seed.json" 2>"$TMP/seed.err"
	expect_eq "the Go fuzz seed: its program matches, every kind of wait read from it" \
		"chan select sync.Cond sync.Mutex sync.RWMutex sync.WaitGroup timer" \
		"$(jq -r '[.goroutines[].waits_on | select(.address or .chan or .channels) | .kind] | unique | join(" ")' "$TMP/seed.json")"
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
