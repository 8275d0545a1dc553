#!/bin/bash
# --leaks: which goroutines can never wake.  fixtures/go/leakcheck parks
# leaks (each "leak SITE N" line) next to waits that are no leak ("live
# SITE N").  Go 1.27.3's build: pileup's leaked goroutine ids equal the
# program's own verdict (/debug/pprof/goroutineleak?debug=2, "(leaked)"),
# live with --stop-all and from a core.  Every toolchain's build: exactly
# the known leaked set (the channel leaks; the sync ones too from go1.26,
# whose runtime records a sema waiter's sudog in g.waiting), never a
# non-leak.  Without --stop-all, a live process gets no verdict.
. "$(dirname "$0")/lib.sh"

# leaked_sites JSON: "site count" of the leaked goroutines, sorted.
leaked_sites() {
	jq -r '[.goroutines[] | select(.leaked == true) | .wait_site.function | sub("^main\\."; "")] | group_by(.) | .[] | "\(.[0]) \(length)"' "$1"
}

# known_sites OUT VER: the fixture's leak sites pileup must find with VER.
known_sites() {
	awk -v ver="$2" '$1 == "leak" && (($2 != "waitForever" && $2 != "deposit") || ver + 0 >= 1.26) {print $2, $3}' "$1" | sort
}

VERS=$(cd "$FIX/go" 2>/dev/null && ls -d */ | tr -d / | sort -V)
for ver in $VERS; do
	bin=$FIX/go/$ver/leakcheck
	[ -x "$bin" ] || continue
	# A stack the GC shrinks is copied, and the old one, stale words and
	# all, becomes a later goroutine's: the conservative scan's blind spot
	# (README), kept out of the exact comparison.
	GODEBUG=gcshrinkstackoff=1 start_fixture "$bin" -n 3 || { check "go$ver: leakcheck ready" false; continue; }
	pid=$FX_PID
	J=$TMP/live-$ver.json
	"$PILEUP" --stop-all --leaks --json=1 "$pid" >"$J"
	check "go$ver: live --stop-all --leaks gives a verdict" test "$(jq -r .target.leaks.verdict "$J")" = true
	check "go$ver: the process is running again" not_stopped "$pid"
	expect_eq "go$ver: live: leaked goroutines are the known leaks, by site and count" \
		"$(known_sites "$FX_OUT" "$ver")" "$(leaked_sites "$J")"
	expect_eq "go$ver: no goroutine of a non-leak site is leaked" "" \
		"$(for s in $(awk '$1 == "live" {print $2}' "$FX_OUT"); do
			jq -r --arg f "main.$s" '.goroutines[] | select(.wait_site.function == $f and .leaked != false) | "\($f) \(.id)"' "$J"
		done)"
	expect_eq "go$ver: every goroutine has a verdict" 0 "$(jq '[.goroutines[] | select(.leaked | type != "boolean")] | length' "$J")"
	expect_eq "go$ver: target.leaks counts them" "$(jq '[.goroutines[] | select(.leaked)] | length' "$J")" \
		"$(jq .target.leaks.leaked "$J")"
	expect_eq "go$ver: groups count their leaked members" "$(jq '[.goroutines[] | select(.leaked)] | length' "$J")" \
		"$(jq '[.groups[] | select(.kind == "goroutine") | .leaked] | add' "$J")"
	check "go$ver: the heap was marked" test "$(jq .target.leaks.heap_bytes "$J")" -gt 0
	# go1.22+: every object scanned by the words the runtime's scan follows
	# (span heap bits, allocation headers); before: every word.  Both
	# give the verdict above at this size.
	dbg=$(PILEUP_GO_DEBUG=1 "$PILEUP" --stop-all --leaks --json=1 -o /dev/null "$pid" 2>&1 | grep 'objects scanned by')
	if [ "$(printf '%s\n' 1.22 "$ver" | sort -V | head -n 1)" = 1.22 ]; then
		check "go$ver: every object scanned by its pointer words ($dbg)" \
			grep -Eq ': [1-9][0-9]* objects scanned by their pointer words, 0 conservatively' <<<"$dbg"
	else
		check "go$ver: every object scanned conservatively ($dbg)" \
			grep -Eq ': 0 objects scanned by their pointer words, [1-9][0-9]* conservatively' <<<"$dbg"
	fi
	# every release: data and bss by the masks the runtime built from
	# gcdata/gcbss (a global word that is no pointer, such as the page
	# allocator's search address, kept the producers' channel "reachable"
	# about one run in six when taken for one)
	check "go$ver: globals scanned by the runtime's pointer masks" \
		bash -c "PILEUP_GO_DEBUG=1 '$PILEUP' --stop-all --leaks --json=1 -o /dev/null '$pid' 2>&1 | grep -Eq 'globals: [1-9][0-9]* ranges scanned by the runtime.s pointer masks, 0 word by word'"
	PILEUP_GO_LEAKS_CONSERVATIVE=1 "$PILEUP" --stop-all --leaks --json=1 "$pid" >"$TMP/cons.json"
	expect_eq "go$ver: scanned conservatively: the same leaked goroutines" \
		"$(jq -r '.goroutines[] | select(.leaked) | .id' "$J" | sort -n | tr '\n' ' ')" \
		"$(jq -r '.goroutines[] | select(.leaked) | .id' "$TMP/cons.json" | sort -n | tr '\n' ' ')"

	if [ "$ver" = 1.27 ]; then
		# the report read back: the verdict and what it cost, as written
		"$PILEUP" --json=1 "$J" >"$TMP/back.json"
		expect_eq "go1.27: saved report read back: the same target.leaks" "$(jq -c .target.leaks "$J")" \
			"$(jq -c .target.leaks "$TMP/back.json")"
		expect_eq "go1.27: saved report read back: the same leaked goroutines" \
			"$(jq -c '[.goroutines[] | select(.leaked) | .id]' "$J")" \
			"$(jq -c '[.goroutines[] | select(.leaked) | .id]' "$TMP/back.json")"
		"$PILEUP" --text "$J" >"$TMP/back.txt"
		check "go1.27: saved report read back: the text's summary line" \
			grep -q "^Leaks: $(jq .target.leaks.leaked "$J") goroutines can never wake" "$TMP/back.txt"
		url=$(awk '/^pprof/ {print $2}' "$FX_OUT")
		curl -sf "$url/debug/pprof/goroutineleak?debug=2" >"$TMP/gl.txt"
		want=$(sed -n 's/^goroutine \([0-9]*\) .*(leaked)\]:$/\1/p' "$TMP/gl.txt" | sort -n | tr '\n' ' ')
		check "go1.27: Go's own detector reports leaks" test -n "$want"
		expect_eq "go1.27: live: pileup's leaked ids are Go's" "$want" \
			"$(jq -r '.goroutines[] | select(.leaked) | .id' "$J" | sort -n | tr '\n' ' ')"
		# after Go's detector ran, its _Gleaked goroutines: the same verdict
		J2=$TMP/live2.json
		"$PILEUP" --stop-all --leaks --json=1 "$pid" >"$J2"
		expect_eq "go1.27: live, after Go's detector ran: the same ids" "$want" \
			"$(jq -r '.goroutines[] | select(.leaked) | .id' "$J2" | sort -n | tr '\n' ' ')"
		"$PILEUP" --gcore "$pid" -o "$TMP/lk.core" --stop-all >/dev/null 2>&1
		check "go1.27: pileup --gcore wrote a core" test -s "$TMP/lk.core"
		JC=$TMP/core.json
		"$PILEUP" --leaks --json=1 "$TMP/lk.core" "$bin" >"$JC"
		expect_eq "go1.27: core: pileup's leaked ids are Go's" "$want" \
			"$(jq -r '.goroutines[] | select(.leaked) | .id' "$JC" | sort -n | tr '\n' ' ')"
		# the types' bitmaps come from the executable's file: a core need not hold them
		check "go1.27: core: every object scanned by its pointer words" bash -c \
			"PILEUP_GO_DEBUG=1 '$PILEUP' --leaks --json -o /dev/null '$TMP/lk.core' '$bin' 2>&1 | grep -Eq ': [1-9][0-9]* objects scanned by their pointer words, 0 conservatively'"

		# corrupt heap metadata in the core: no verdict, with the reason
		dump=$("$PILEUP" "$TMP/lk.core" "$bin" 2>&1 >/dev/null | true; PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" "$TMP/lk.core" "$bin" 2>&1 >/dev/null)
		fact() { awk -v n="$1" '$1 == "golayout" && ($2 == "field" || $2 == "global") && $3 == n {print $4; exit}' <<<"$dump"; }
		mheap=$(fact mheap)
		check "go1.27: the layout dump names mheap_" test -n "$mheap"
		args=("$mheap" "$(fact mh_heaparenas)" "$(fact mh_arenas)" "$(fact ha_spans)")
		for bad in "arenas $(($(fact mh_heaparenas) + 8)) 8 0x10000000000 arenas" "span $(fact span_state) 1 9 state 9"; do
			read -r what off size value reason <<<"$bad"
			cp "$TMP/lk.core" "$TMP/bad.core"
			python3 "$ROOT/tests/helpers/corrupt_heap.py" "$TMP/bad.core" "${args[@]}" "$what" "$off" "$size" "$value" >/dev/null
			"$PILEUP" --leaks --json=1 "$TMP/bad.core" "$bin" >"$TMP/bad.json" 2>"$TMP/bad.err"
			rc=$?
			expect_eq "go1.27: core, $what metadata corrupt: a report, exit 1 (partial)" 1 "$rc"
			check "go1.27: core, $what metadata corrupt: no verdict" test "$(jq -r .target.leaks.verdict "$TMP/bad.json")" = false
			check "go1.27: core, $what metadata corrupt: the reason says what ($reason)" \
				grep -q "no leak verdict: .*$reason" "$TMP/bad.err"
		done
		rm -f "$TMP/lk.core" "$TMP/bad.core"

		# text: the summary line, LEAKED groups first
		"$PILEUP" --stop-all --leaks --text "$pid" >"$TMP/t.txt"
		n=$(echo "$want" | wc -w)
		k=$(awk '$1 == "leak"' "$FX_OUT" | wc -l)
		check "go1.27: text: the summary line" \
			grep -q "^Leaks: $n goroutines can never wake ($k groups), [0-9]* wait on objects still reachable" "$TMP/t.txt"
		expect_eq "go1.27: text: the first $k goroutine groups are the LEAKED ones" "$k" \
			"$(grep '^#[0-9]' "$TMP/t.txt" | head -n "$k" | grep -c '  LEAKED$')"
		expect_eq "go1.27: text: and no other" "$k" "$(grep -c '  LEAKED' "$TMP/t.txt")"

		# --fail-if (implies --leaks)
		"$PILEUP" --stop-all --fail-if "leaked>$((n - 1))" "$pid" >/dev/null 2>"$TMP/f.err"
		expect_eq "go1.27: --fail-if leaked>$((n - 1)): exit 3" 3 "$?"
		check "go1.27: and says how many" grep -q "^pileup: --fail-if leaked>$((n - 1)): $n goroutines can never wake" "$TMP/f.err"
		"$PILEUP" --stop-all --fail-if "leaked>$n" "$pid" >/dev/null 2>&1
		expect_eq "go1.27: --fail-if leaked>$n: exit 0" 0 "$?"

		# --watch: the verdict per group, beside the growth
		"$PILEUP" --stop-all --leaks --watch 0.2 --count 2 "$pid" >"$TMP/w.txt" 2>&1
		expect_eq "go1.27: --watch: the $k leaked groups are marked LEAKED in both captures" "$((2 * k))" "$(grep -c '^  LEAKED ' "$TMP/w.txt")"

		# without --stop-all: no verdict, one line saying why
		"$PILEUP" --leaks --json=1 "$pid" >"$TMP/ns.json" 2>"$TMP/ns.err"
		check "go1.27: nonstop --leaks: no verdict" test "$(jq -r .target.leaks.verdict "$TMP/ns.json")" = false
		check "go1.27: nonstop --leaks: the reason names --stop-all" grep -q 'no leak verdict: .*--stop-all' "$TMP/ns.err"
		"$PILEUP" --json=1 "$TMP/ns.json" >"$TMP/ns-back.json" 2>/dev/null
		expect_eq "go1.27: nonstop report read back: no verdict, the same reason" "$(jq -c .target.leaks "$TMP/ns.json")" \
			"$(jq -c .target.leaks "$TMP/ns-back.json")"
		"$PILEUP" --fail-if 'leaked>1000' "$pid" >/dev/null 2>&1
		expect_eq "go1.27: nonstop --fail-if leaked: cannot tell, exit 3" 3 "$?"
	fi
	# without --leaks: no verdict asked, no verdict given
	"$PILEUP" --json=1 "$pid" >"$TMP/plain.json"
	expect_eq "go$ver: without --leaks, no target.leaks" null "$(jq -c .target.leaks "$TMP/plain.json")"
	stop_fixture "$pid"

	# stripped (no DWARF, no symbols; the tables' layout) and PIE: the same verdicts
	for kind in stripped pie; do
		b=$FIX/go/$ver/leakcheck-$kind
		[ -x "$b" ] || { check "go$ver: leakcheck-$kind built" false; continue; }
		GODEBUG=gcshrinkstackoff=1 start_fixture "$b" -n 3 || { check "go$ver: leakcheck-$kind ready" false; continue; }
		PILEUP_GO_DEBUG=1 "$PILEUP" --stop-all --leaks --json=1 "$FX_PID" >"$TMP/$kind.json" 2>"$TMP/$kind.err"
		if [ "$(printf '%s\n' 1.22 "$ver" | sort -V | head -n 1)" = 1.22 ]; then
			check "go$ver: $kind: every object scanned by its pointer words" \
				grep -Eq ': [1-9][0-9]* objects scanned by their pointer words, 0 conservatively' "$TMP/$kind.err"
		fi
		expect_eq "go$ver: $kind: leaked goroutines are the known leaks, by site and count" \
			"$(known_sites "$FX_OUT" "$ver")" "$(leaked_sites "$TMP/$kind.json")"
		expect_eq "go$ver: $kind: as many reachable candidates as the plain build" \
			"$(jq .target.leaks.reachable "$J")" "$(jq .target.leaks.reachable "$TMP/$kind.json")"
		stop_fixture "$FX_PID"
	done
done
# 100,000 goroutines, half of them leaked on one channel: all 50,012 leaks
# found, the ids of Go's own detector.  Scanned word by word, stale words
# past the end of a type in its slot (a g is 456 bytes in a 480-byte slot,
# a sudog 104 in 112) kept that channel marked, and 12 were found.
bin=$FIX/go/1.27/leakcheck
if [ -x "$bin" ]; then
	if GODEBUG=gcshrinkstackoff=1 start_fixture "$bin" -n 2 -heap 128 -bulk 100000; then
		pid=$FX_PID
		J=$TMP/bulk.json
		"$PILEUP" --stop-all --leaks --json=1 "$pid" >"$J" 2>"$TMP/bulk.err"
		want=$(awk '$1 == "leak" {n += $3} END {print n}' "$FX_OUT")
		url=$(awk '/^pprof/ {print $2}' "$FX_OUT")
		curl -sf "$url/debug/pprof/goroutineleak?debug=2" >"$TMP/gl.txt"
		sed -n 's/^goroutine \([0-9]*\) .*(leaked)\]:$/\1/p' "$TMP/gl.txt" | sort >"$TMP/gl.ids"
		jq -r '.goroutines[] | select(.leaked) | .id' "$J" | sort >"$TMP/pu.ids"
		expect_eq "bulk: never a false leak: every goroutine pileup calls leaked Go calls leaked" "" \
			"$(comm -23 "$TMP/pu.ids" "$TMP/gl.ids" | head -n 5)"
		if [ "$(jq .target.leaks.leaked "$J")" = "$want" ]; then
			check "bulk: leaked: the fixture's count ($want)" true
			expect_eq "bulk: pileup's leaked ids are Go's" "$(md5sum <"$TMP/gl.ids")" "$(md5sum <"$TMP/pu.ids")"
		else
			# The 50,000 share one channel: one stale word that looks like
			# a pointer to it in a root goroutine's stack (scanned word by
			# word; a dead slot, or a stack reused from main's before it
			# grew) keeps all of them "reachable", the README's documented
			# miss -- seen about one run in five.  Any other cause (a word
			# of a heap object, as the slot tails were) fails.
			ch=$(jq -r '[.goroutines[] | select(.wait_site.function == "main.bulkLeaked")][0].waits_on.address' "$J")
			why=$(PILEUP_GO_LEAKS_WHY=$ch "$PILEUP" --stop-all --leaks --json=1 -o /dev/null "$pid" 2>&1 | grep ' marked by word' | head -n 1)
			echo "# bulk: $(jq .target.leaks.leaked "$J") of $want leaked; $why"
			check "bulk: fewer leaked than the fixture made only from a stale stack word outside the heap ($why)" \
				grep -q '(not heap, size 0)' <<<"$why"
		fi
		check "bulk: the process is running again" not_stopped "$pid"
		"$PILEUP" --gcore "$pid" -o "$TMP/bulk.core" --stop-all >/dev/null 2>&1
		"$PILEUP" --leaks --json=1 "$TMP/bulk.core" "$bin" >"$TMP/bulk-core.json"
		expect_eq "bulk: core: pileup's leaked ids are the live run's" \
			"$(jq -r '.goroutines[] | select(.leaked) | .id' "$J" | sort -n | md5sum)" \
			"$(jq -r '.goroutines[] | select(.leaked) | .id' "$TMP/bulk-core.json" | sort -n | md5sum)"
		rm -f "$TMP/bulk.core"
		# marking that lasts shows its progress on a terminal (script(1)'s pty), erased at the end
		PILEUP_PROGRESS_DELAY_MS=0 script -qec "$(printf '%q ' "$PILEUP" --stop-all --leaks --json -o "$TMP/pty.json" "$pid")" "$TMP/pty.log" >/dev/null
		check "bulk: pty: a verdict" test "$(jq -r .target.leaks.verdict "$TMP/pty.json")" = true
		check "bulk: pty: the marking's progress line ($(grep -ao "marking: [^[:cntrl:]]*" "$TMP/pty.log" | tail -n 1))" \
			grep -aq 'pileup: --leaks: marking: [0-9]* MB scanned of [0-9]* MB of heap, [0-9]* goroutines may wake' "$TMP/pty.log"
		check "bulk: pty: ... erased at the end" python3 -c \
			"import sys; d = open(sys.argv[1], 'rb').read(); i = d.rfind(b'marking'); sys.exit(i < 0 or b'\\r\\x1b[K' not in d[i:])" \
			"$TMP/pty.log"
		check "bulk: pipe: no progress line" bash -c "! grep -aq 'marking' '$TMP/bulk.err'"
		stop_fixture "$pid"
	else
		check "bulk: leakcheck -bulk 100000 ready" false
	fi
fi
check "leakcheck built with several toolchains" test "$(ls "$FIX"/go/*/leakcheck 2>/dev/null | wc -l)" -ge 2
finish
