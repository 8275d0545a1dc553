#!/bin/bash
# What Go services publish, read as snapshots: the fixture's own
# runtime.Stack dump and its net/http/pprof endpoints (debug=2, 1, 0)
# give the groups and counts of a live capture of the same process (ids,
# reasons and minutes too for the text forms); diff of a dump against the
# live process matches every group; --pprof is read back by go tool pprof
# (-raw: every group's stack and count) and by pileup; merge of three
# captures adds them up per host, and a different build is refused;
# --watch and --fail-if over HTTP see a leak grow at its rate; Go 1.27's
# goroutineleak profile (debug=1, 0, 2) names the goroutines a live
# capture finds leaked; tracebacks of every toolchain's crash (SIGQUIT
# under GOTRACEBACK=all, system and crash), embedded in a log, two in one
# file, cut off mid-goroutine; deep goroutines (Go's 100-frame traceback
# and 32/128-frame profiles, diff against the live process), Go's own
# profiles with labels named as pileup's, real panic output, and a
# testing/synctest bubble's "(durable)" waits.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

ARGS=(-first-error 5 -producers 3 -mutex 4 -waitgroup 2 -recv 3 -select-case 2 -http 2 -locked 1)
start_fixture "$FIX/go-leaks" "${ARGS[@]}" -pprof 127.0.0.1:0 -dump "$TMP/stack.txt" || exit 1
URL=$(awk '$1 == "pprof" {print $2}' "$FX_OUT")
MAIN_OUT=$FX_OUT
check "fixture serves pprof on loopback" grep -q '^http://127\.0\.0\.1:[0-9]*$' <<<"$URL"

"$PILEUP" --json=1 "$FX_PID" >"$TMP/live.json"
expect_eq "live capture: exit 0" 0 $?

# by_site JSON [reason]: "count wait site" of the goroutine groups at the
# fixture's sites (groups of the same site and wait added up).  Not the
# goroutine that printed the dump or the pprof server's, and not sites
# that are compiler wrappers (a live capture names main.startHTTP.func1,
# the wrapper of "go http.Serve(...)", which Go's tracebacks hide)
by_site() {
	jq -r --argjson reason "${2:-true}" '[.groups[] | select(.kind == "goroutine" and (.wait_site.function // "" | startswith("main.")) and
			(.wait_site.function | IN("main.servePprof.func1", "main.startHTTP.func1", "main.dumper", "main.allStacks") | not))
		| {k: "\(if $reason then .wait else "-" end) \(.wait_site.function)", c: .count}] | group_by(.k) | map("\(map(.c) | add) \(.[0].k)") | sort | .[]' "$1"
}
by_site "$TMP/live.json" >"$TMP/live.sites"
by_site "$TMP/live.json" false >"$TMP/live.sites0"
check "live: the fixture's sites are there" test "$(wc -l <"$TMP/live.sites")" -ge 8

# 1. runtime.Stack(all), from a file
kill -USR1 "$FX_PID"
for ((i = 0; i < 200; i++)); do grep -q "^dumped " "$FX_OUT" && break; sleep 0.05; done
"$PILEUP" --json=1 "$TMP/stack.txt" >"$TMP/stack.json"
expect_eq "runtime.Stack dump: exit 0" 0 $?
expect_eq "runtime.Stack dump: source dump, no threads" "dump Go traceback 0" \
	"$(jq -r '"\(.target.source) \(.target.dump.format) \(.threads | length)"' "$TMP/stack.json")"
go_dump_norm "$TMP/stack.txt" 0 1 | sort -n >"$TMP/go.txt"
pileup_go_norm "$TMP/stack.json" 1 1 | sort -n >"$TMP/pl.txt"
expect_eq "runtime.Stack dump: every goroutine as Go printed it (id, reason, locked, minutes, functions:lines, creator)" "" "$(diff "$TMP/go.txt" "$TMP/pl.txt")"
go_groups_match "runtime.Stack dump: group counts are what the fixture created" "$TMP/stack.json" "$FX_OUT"
expect_eq "runtime.Stack dump: the live capture's groups at every site" "$(cat "$TMP/live.sites")" "$(by_site "$TMP/stack.json")"
dumper=$(awk '/^goroutine /{print $2; exit}' "$TMP/stack.txt")
expect_eq "runtime.Stack dump: ids, reasons and locked equal the live capture's" \
	"$(jq -r --arg d "$dumper" '[.goroutines[] | select(.system | not) | select((.id | tostring) != $d) | "\(.id) \(.wait_reason // .status) \(.locked)"] | sort | .[]' "$TMP/live.json" | grep -v running)" \
	"$(jq -r --arg d "$dumper" '[.goroutines[] | select((.id | tostring) != $d) | "\(.id) \(.wait_reason // .status) \(.locked)"] | sort | .[]' "$TMP/stack.json" | grep -v running)"

# 2. over HTTP: the dump (debug=2), the text profile, the protobuf profile
"$PILEUP" --json=1 "$URL" >"$TMP/h2.json"
expect_eq "http://HOST:PORT: exit 0" 0 $?
expect_eq "http://HOST:PORT fetched the debug=2 dump" "$URL/debug/pprof/goroutine?debug=2" "$(jq -r .target.dump.from "$TMP/h2.json")"
go_groups_match "HTTP debug=2: group counts are what the fixture created" "$TMP/h2.json" "$FX_OUT"
expect_eq "HTTP debug=2: the live capture's groups, reasons and counts" "$(cat "$TMP/live.sites")" "$(by_site "$TMP/h2.json")"
for d in 1 0; do
	"$PILEUP" --json=1 "$URL/debug/pprof/goroutine?debug=$d" >"$TMP/h$d.json"
	expect_eq "HTTP debug=$d: exit 0" 0 $?
	expect_eq "HTTP debug=$d: the live capture's groups and counts (a profile has no wait reasons)" "$(cat "$TMP/live.sites0")" "$(by_site "$TMP/h$d.json" false)"
	expect_eq "HTTP debug=$d: goroutines without ids" "true" "$(jq '[.goroutines[].id == null] | all' "$TMP/h$d.json")"
done
curl -s "$URL/debug/pprof/goroutine?debug=0" >"$TMP/g.pb.gz"
"$PILEUP" --json=1 "$TMP/g.pb.gz" >"$TMP/f0.json"
expect_eq "a gzipped profile.proto file: the same groups as over HTTP" "$(by_site "$TMP/h0.json" false)" "$(by_site "$TMP/f0.json" false)"

# 3. diff across kinds: the dump against the live process
"$PILEUP" diff --json=1 "$URL" "$FX_PID" >"$TMP/diff.json"
expect_eq "diff dump vs live: exit 0" 0 $?
expect_eq "diff dump vs live: every group at the fixture's sites unchanged" "" \
	"$(jq -r '.groups[] | select(.wait_site.function // "" | startswith("main.")) | select(.delta != 0) | "\(.wait_site.function) \(.delta)"' "$TMP/diff.json")"
"$PILEUP" diff --json=1 "$URL/debug/pprof/goroutine?debug=0" "$FX_PID" >"$TMP/diff0.json"
expect_eq "diff profile vs live: every group at the fixture's sites unchanged" "" \
	"$(jq -r '.groups[] | select(.wait_site.function // "" | startswith("main.")) | select(.delta != 0) | "\(.wait_site.function) \(.delta)"' "$TMP/diff0.json")"

# 4. --pprof: go tool pprof reads it; pileup reads it back
"$PILEUP" --pprof "$TMP/out.pb.gz" --json=1 "$FX_PID" >"$TMP/p.json"
expect_eq "--pprof: exit 0" 0 $?
# go tool pprof of Debian's Go 1.23 (its pprof is built) and of the
# newest toolchain here, the 1.26 of the fixtures (/usr/local/go's, or the
# go1.26 deps.sh fetched on a machine without one; its go command builds
# pprof on its first `go tool pprof`, some 30 s, then takes it from the
# build cache), each by path
GO=/usr/lib/go-1.23/bin/go
GO126=$(make -s --no-print-directory -C "$ROOT/fixtures" print-go126)
for gotool in "$GO" "$GO126"; do
	check "go tool pprof is there ($gotool)" test -x "$gotool"
	[ -x "$gotool" ] || continue
	gv=$(GOTOOLCHAIN=local "$gotool" env GOVERSION)
	raw=$(GOTOOLCHAIN=local "$gotool" tool pprof -raw "$TMP/out.pb.gz" 2>/dev/null)
	expect_eq "$gv go tool pprof -raw: one sample per group, counts adding up to threads + goroutines" \
		"$(jq '[.groups[].count] | add' "$TMP/p.json") $(jq '.groups | length' "$TMP/p.json")" \
		"$(awk '/^Samples:/{s=1; next} /^Locations/{s=0} s && $1 ~ /^[0-9]+:$/ {sub(":", "", $1); n += $1; k++} END {print n, k}' <<<"$raw")"
	# -raw as "count f1>f2>..." per sample (innermost first, inlined
	# calls as their location's lines)
	awk '/^Samples:/ { s = 1; next } /^Locations/ { s = 0; l = 1; next } /^Mappings/ { l = 0; next }
	s && $1 ~ /^[0-9]+:$/ { n++; c[n] = $1; sub(":", "", c[n]); ids[n] = ""; for (i = 2; i <= NF; i++) ids[n] = ids[n] " " $i; next }
	l && $1 ~ /^[0-9]+:$/ { cur = $1; sub(":", "", cur); fn[cur] = ($4 != "" && $4 !~ /^s=/) ? $4 : "?"; next }
	l && NF >= 2 && $1 !~ /:$/ { fn[cur] = fn[cur] ">" $1; next }
	END { for (k = 1; k <= n; k++) { m = split(ids[k], a, " "); st = ""; for (i = 1; i <= m; i++) st = st (i > 1 ? ">" : "") fn[a[i]]; print c[k], st } }' \
		<<<"$raw" | sort >"$TMP/raw.stacks"
	jq -r '.groups[] | "\(.count) \([.frames[] | select(.wrapper | not) | .function // "?"] | join(">"))"' "$TMP/p.json" | sort >"$TMP/p.stacks"
	expect_eq "$gv go tool pprof -raw: every group's stack (functions, inlined calls) and count" "" "$(diff "$TMP/p.stacks" "$TMP/raw.stacks")"
	check "$gv go tool pprof -top names the fixture's functions" grep -q "main.broadcastMsg.func1" <<<"$(GOTOOLCHAIN=local "$gotool" tool pprof -top -cum "$TMP/out.pb.gz" 2>/dev/null)"
	GOTOOLCHAIN=local "$gotool" tool pprof -traces "$TMP/out.pb.gz" >"$TMP/traces" 2>/dev/null
	check "$gv go tool pprof -traces shows the wait labels" grep -q "wait:.*chan send" "$TMP/traces"
	# -http: pprof's web UI (its own binary, `go tool -n pprof`, run by
	# PID) on a free loopback port; its top view (the table's rows, as
	# JSON in the page) lists every wait site of
	# pileup's goroutine groups, and filtered by the "wait" label (tf=,
	# tagfocus) keeps the sites of that wait, not those of another
	pprof_bin=$(GOTOOLCHAIN=local "$gotool" tool -n pprof)
	port=$("$ROOT/tests/helpers/loopport" free)
	"$pprof_bin" -no_browser -http=127.0.0.1:"$port" "$TMP/out.pb.gz" >"$TMP/http.out" 2>&1 &
	http_pid=$!
	fx_track "$http_pid"
	for ((i = 0; i < 200; i++)); do
		curl -sf -o "$TMP/top.html" "http://127.0.0.1:$port/ui/top" && break
		sleep 0.05
	done
	check "$gv go tool pprof -http serves its top view (http://127.0.0.1:$port/ui/top)" test -s "$TMP/top.html"
	sites=$(jq -r '[.groups[] | select(.kind == "goroutine") | .wait_site.function // empty] | unique | .[]' "$TMP/p.json")
	missing=$(while read -r s; do grep -qF "\"Name\":\"$s\"" "$TMP/top.html" || echo "$s"; done <<<"$sites")
	expect_eq "$gv go tool pprof -http: the top view lists each of the $(wc -l <<<"$sites") wait sites of pileup's goroutine groups" "" "$missing"
	w="chan send"
	mine=$(jq -r --arg w "$w" '[.groups[] | select(.kind == "goroutine" and .wait == $w) | .wait_site.function // empty] | unique | .[]' "$TMP/p.json")
	# a site of another wait that no stack of this wait passes through
	other=$(jq -r --arg w "$w" '([.groups[] | select(.kind == "goroutine" and .wait == $w) | .frames[].function] | unique) as $in
		| [.groups[] | select(.kind == "goroutine" and .wait != $w) | .wait_site.function // empty | select(startswith("main.")) | select(. as $f | $in | index($f) | not)] | unique | .[0] // empty' "$TMP/p.json")
	curl -sf -o "$TMP/top-w.html" "http://127.0.0.1:$port/ui/top?tf=$(jq -rn --arg v "wait=$w" '$v | @uri')"
	check "$gv go tool pprof -http: a site of another wait to filter out ($other)" test -n "$other"
	expect_eq "$gv go tool pprof -http: top view of wait=$w: its $(wc -l <<<"$mine") sites, not $other" "" \
		"$(while read -r s; do grep -qF "\"Name\":\"$s\"" "$TMP/top-w.html" || echo "missing $s"; done <<<"$mine"; grep -qF "\"Name\":\"$other\"" "$TMP/top-w.html" && echo "has $other")"
	kill -TERM "$http_pid"
	wait "$http_pid" 2>/dev/null
	check "$gv go tool pprof -http: stopped by its PID" test ! -e /proc/"$http_pid"
done
"$PILEUP" --json=1 "$TMP/out.pb.gz" >"$TMP/rt.json"
expect_eq "pileup reads its own --pprof back: the same groups, waits and counts" "$(cat "$TMP/live.sites")" "$(by_site "$TMP/rt.json")"
expect_eq "... and its threads" "$(jq '.threads | length' "$TMP/p.json")" "$(jq '.threads | length' "$TMP/rt.json")"

# 5. merge: three captures of the same fixture
cp "$TMP/live.json" "$TMP/h1.json.x"; mv "$TMP/h1.json.x" "$TMP/hostA.json"
"$PILEUP" merge --json=1 "$TMP/hostA.json" b="$TMP/stack.txt" c="$URL" >"$TMP/merge.json"
expect_eq "merge: exit 0" 0 $?
expect_eq "merge: three hosts named" '["hostA","b","c"]' "$(jq -c .target.hosts "$TMP/merge.json")"
want=$(awk -F'\t' '$1 == "group" && $3 == "main.lockMutex" {print $4}' "$FX_OUT")
expect_eq "merge: a group sums the hosts and says each one's count" "$((3 * want)) {\"hostA\":$want,\"b\":$want,\"c\":$want} []" \
	"$(jq -r '.groups[] | select(.wait_site.function == "main.lockMutex") | "\(.count) \(.hosts | tojson) \(.absent_on | tojson)"' "$TMP/merge.json")"
"$PILEUP" --text "$TMP/merge.json" >"$TMP/merge.txt"
check "merge: the saved report reads back, hosts per group" grep -q "hosts: *hostA $want, b $want, c $want" "$TMP/merge.txt"
check "merge: the text names each host's own goroutine ids" grep -qE '^    goroutines:    hostA [0-9,-]+; b [0-9,-]+; c [0-9,-]+$' "$TMP/merge.txt"
# --pprof of a merge: one sample per group and host, labelled "host"
"$PILEUP" merge --pprof "$TMP/merge.pb.gz" --json=1 "$TMP/hostA.json" b="$TMP/stack.txt" c="$URL" >"$TMP/merge2.json"
expect_eq "merge --pprof: exit 0" 0 $?
per_host() { # HOST: the goroutines of each group on HOST in a merge report, as "count site"
	jq -r --arg h "$2" '[.groups[] | select(.kind == "goroutine" and (.wait_site.function // "" | startswith("main."))) | select(.hosts[$h] != null) | "\(.hosts[$h]) \(.wait_site.function)"] | sort | .[]' "$1"
}
if [ -x "$GO" ]; then
	for h in hostA b c; do
		expect_eq "merge --pprof: go tool pprof -raw, samples labelled host $h: that host's groups" "$(per_host "$TMP/merge2.json" $h)" \
			"$(GOTOOLCHAIN=local "$GO" tool pprof -raw "$TMP/merge.pb.gz" 2>/dev/null | awk -v h="$h" '
				/^Samples:/ { s = 1; next } /^Locations/ { s = 0 }
				s && $1 ~ /^[0-9]+:$/ { c = $1; sub(":", "", c); next }
				s && index($0, "host:[" h "]") { i = index($0, "wait_site:["); if (!i) next; w = substr($0, i + 11); sub(/\].*/, "", w); if (substr(w, 1, 5) == "main.") n[w] += c }
				END { for (k in n) print n[k], k }' | sort)"
	done
fi
"$PILEUP" --json=1 "$TMP/merge.pb.gz" >"$TMP/merge3.json"
expect_eq "pileup reads a merge's --pprof back: the same hosts, each group's count on each" \
	"$(jq -c '[.groups[] | select(.kind == "goroutine" and (.wait_site.function // "" | startswith("main."))) | {s: .wait_site.function, hosts, absent_on}] | sort_by(.s)' "$TMP/merge2.json")" \
	"$(jq -c '[.groups[] | select(.kind == "goroutine" and (.wait_site.function // "" | startswith("main."))) | {s: .wait_site.function, hosts, absent_on}] | sort_by(.s)' "$TMP/merge3.json")"
start_fixture "$FIX/go-leaks-stripped" -mutex 1 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/other.json"
"$PILEUP" merge "$TMP/hostA.json" "$TMP/other.json" >/dev/null 2>"$TMP/merge.err"
expect_eq "merge of another build: refused (exit 2)" 2 $?
check "... naming both" grep -q "hostA and other are not snapshots of the same build" "$TMP/merge.err"
# a host where groups are absent: the same build with one mutex waiter
start_fixture "$FIX/go-leaks" -mutex 1 || exit 1
"$PILEUP" merge --json=1 "$TMP/hostA.json" small="$FX_PID" >"$TMP/merge4.json"
expect_eq "merge with a host that lacks groups: exit 0" 0 $?
expect_eq "... a group on both hosts: each one's count, absent nowhere" "$((want + 1)) {\"hostA\":$want,\"small\":1} []" \
	"$(jq -r '.groups[] | select(.wait_site.function == "main.lockMutex") | "\(.count) \(.hosts | tojson) \(.absent_on | tojson)"' "$TMP/merge4.json")"
nfe=$(awk -F'\t' '$1 == "group" && $3 == "main.broadcastMsg.func1" {print $4}' "$MAIN_OUT")
expect_eq "... a group on hostA only: absent on small" "$nfe {\"hostA\":$nfe} [\"small\"]" \
	"$(jq -r '.groups[] | select(.wait_site.function == "main.broadcastMsg.func1") | "\(.count) \(.hosts | tojson) \(.absent_on | tojson)"' "$TMP/merge4.json")"
"$PILEUP" --text "$TMP/merge4.json" >"$TMP/merge4.txt"
check "... and the text says so" grep -q "hosts: *hostA $nfe; absent on small" "$TMP/merge4.txt"
stop_fixture "$FX_PID"

# 5b. --watch and --fail-if over HTTP: a leak growing at a known rate,
# watched from outside (no ptrace), and the debug=1 profile watched alike
start_fixture "$FIX/go-leaks" -mutex 5 -recv 3 -grow-rate 10 -pprof 127.0.0.1:0 || exit 1
UG=$(awk '$1 == "pprof" {print $2}' "$FX_OUT")
for u in "$UG" "$UG/debug/pprof/goroutine?debug=1"; do
	what=${u#$UG}
	what=${what:-the dump}
	"$PILEUP" --watch 1 --count 4 --json "$u" >"$TMP/hw.json" 2>"$TMP/hw.err"
	expect_eq "--watch over HTTP ($what): exit 0, 4 captures" "0 4" "$? $(jq '.captures | length' "$TMP/hw.json")"
	expect_eq "--watch over HTTP ($what): the only leak suspect is main.leakyRequest" "goroutine main.leakyRequest" \
		"$(jq -r '[.groups[] | select(.leak_suspect)] | map("\(.kind) \(.wait_site.function)") | join(",")' "$TMP/hw.json")"
	rate=$(jq '.groups[] | select(.leak_suspect) | .growth_per_min' "$TMP/hw.json")
	check "--watch over HTTP ($what): growth $rate/min is the fixture's 600/min (+-20%)" \
		awk -v v="$rate" 'BEGIN { exit !(v != "" && v >= 480 && v <= 720) }'
	expect_eq "--watch over HTTP ($what): the mutex and channel sites stay constant" "main.drain [3,3,3,3] main.lockMutex [5,5,5,5]" \
		"$(jq -r '[.groups[] | select(.wait_site.function == "main.lockMutex" or .wait_site.function == "main.drain") | "\(.wait_site.function) \(.counts | tostring)"] | sort | join(" ")' "$TMP/hw.json")"
done
"$PILEUP" --watch 1 --count 3 --fail-if 'growth>=300/min' "$UG" >/dev/null 2>"$TMP/hw.err"
expect_eq "--fail-if growth over HTTP: exit 3" 3 $?
check "... naming main.leakyRequest" grep -q 'goroutines grew by.*main.leakyRequest' "$TMP/hw.err"
"$PILEUP" --fail-if 'goroutines>100000' "$UG" >/dev/null 2>&1
expect_eq "--fail-if goroutines>100000 over HTTP: quiet (exit 0)" 0 $?
stop_fixture "$FX_PID"

# 6. Go 1.27's goroutineleak profile (debug=1, debug=0) and its debug=2
# dump (every goroutine, the leaked ones marked): the leaked goroutines of
# a live capture taken after it (the profile's GC marked them), site by
# site, and for the dump id by id
if [ -x "$FIX/go/1.27/leaks" ]; then
	start_fixture "$FIX/go/1.27/leaks" -first-error 3 -producers 2 -recv 2 -mutex 2 -pprof 127.0.0.1:0 || exit 1
	U27=$(awk '$1 == "pprof" {print $2}' "$FX_OUT")
	# count site, of the leaked goroutines of a report
	leaked_sites() {
		jq -r '[.goroutines[] | select(.leaked) | "\(.wait_site.function)"] | group_by(.) | map("\(length) \(.[0])") | sort | .[]' "$1"
	}
	# count site, of the groups of a leak profile (the one with no stack aside)
	profile_sites() {
		jq -r '[.groups[] | select(.wait_site.function != null) | {s: .wait_site.function, c: .count}] | group_by(.s) | map("\(map(.c) | add) \(.[0].s)") | sort | .[]' "$1"
	}
	for d in 1 0 2; do
		"$PILEUP" --json=1 "$U27/debug/pprof/goroutineleak?debug=$d" >"$TMP/leak$d.json"
		expect_eq "goroutineleak debug=$d: exit 0" 0 $?
	done
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/leaklive.json"
	leaked_sites "$TMP/leaklive.json" >"$TMP/leaklive.sites"
	check "live after the leak GC: leaked goroutines at 3 sites or more" test "$(wc -l <"$TMP/leaklive.sites")" -ge 3
	expect_eq "goroutineleak debug=1: read as a leak profile" "pprof goroutineleak profile (text)" "$(jq -r .target.dump.format "$TMP/leak1.json")"
	expect_eq "goroutineleak debug=0: read as a leak profile" "pprof goroutineleak profile" "$(jq -r .target.dump.format "$TMP/leak0.json")"
	for d in 1 0; do
		expect_eq "goroutineleak debug=$d: the live capture's leaked goroutines, site by site" "$(cat "$TMP/leaklive.sites")" "$(profile_sites "$TMP/leak$d.json")"
	done
	expect_eq "goroutineleak debug=2: the leaked goroutines of the live capture, id, wait reason and site" \
		"$(jq -r '.goroutines[] | select(.leaked) | "\(.id) \(.status) \(.wait_reason) \(.wait_site.function)"' "$TMP/leaklive.json")" \
		"$(jq -r '.goroutines[] | select(.leaked) | "\(.id) \(.status) \(.wait_reason) \(.wait_site.function)"' "$TMP/leak2.json")"
	"$PILEUP" --json=1 "$U27/debug/pprof/goroutine?debug=0" >"$TMP/g27.json"
	expect_eq "Go 1.27's own debug=0 goroutine profile: the live capture's groups and counts" \
		"$(by_site "$TMP/leaklive.json" false)" "$(by_site "$TMP/g27.json" false)"
	expect_eq "goroutineleak debug=2: the mutex waiters (not leaked: the mutex is reachable) waiting in both" \
		"$(jq -c '[.goroutines[] | select(.wait_site.function == "main.lockMutex") | .status]' "$TMP/leaklive.json")" \
		"$(jq -c '[.goroutines[] | select(.wait_site.function == "main.lockMutex") | .status]' "$TMP/leak2.json")"
else
	echo "not ok - $FIX/go/1.27/leaks is missing (make fixtures)"
	FAIL=$((FAIL + 1))
fi

# 7. crash tracebacks of every toolchain here, in a log
builds=("$FIX/go-leaks")
for b in "$FIX"/go/*/leaks; do [ -x "$b" ] && builds+=("$b"); done
for b in "${builds[@]}"; do
	name=$(basename "$(dirname "$b")")/$(basename "$b")
	d=$TMP/crash-${name//\//-}
	mkdir -p "$d"
	( GOTRACEBACK=all exec "$b" -first-error 3 -mutex 2 -locked 1 >"$d/out" 2>"$d/err" ) &
	runner=$!
	for ((i = 0; i < 300; i++)); do grep -q "^ready " "$d/out" 2>/dev/null && break; sleep 0.05; done
	pid=$(awk '/^ready/ {print $2}' "$d/out")
	if [ -z "$pid" ]; then
		# builds whose wait reasons the fixture does not know yet never
		# get ready (fixtures/Makefile builds them for another test)
		echo "ok - # SKIP $name: not ready in 15 s"
		kill "$runner" 2>/dev/null
		continue
	fi
	sleep 0.2
	kill -QUIT "$pid"
	wait "$runner" 2>/dev/null
	{ echo "2026-01-01T00:00:00Z service starting"; echo "level=info msg=\"listening\""; cat "$d/err"; echo "exit status 2"; echo "systemd[1]: svc.service: Main process exited"; } >"$d/log"
	"$PILEUP" --json=1 "$d/log" >"$d/j"
	expect_eq "$name: the SIGQUIT traceback inside a log: exit 0" 0 $?
	# GOIDS=1: "created by F in goroutine N" (1.21+) keeps its N
	go_dump_norm "$d/err" 0 1 | sort -n >"$d/go.txt"
	pileup_go_norm "$d/j" 2 1 | sort -n >"$d/pl.txt" # SIGQUIT prints every frame
	expect_eq "$name: every goroutine as Go printed it" "" "$(diff "$d/go.txt" "$d/pl.txt")"
	case $name in */go-leaks | 1.19/*) ;; *)
		check "$name: Go named the creators' goroutines (created by F in goroutine N), compared above" grep -q ' in [0-9]*$' "$d/go.txt" ;;
	esac
	go_groups_match "$name: group counts are what the fixture created" "$d/j" "$d/out"
	{ cat "$TMP/stack.txt"; echo "-- later --"; cat "$d/err"; } >"$d/two"
	"$PILEUP" --json=1 "$d/two" >"$d/j2"
	rc=$?
	expect_eq "$name: two tracebacks: the last one is read, and a warning says so (exit 1)" \
		"1 $(jq '.goroutines | length' "$d/j") true" "$rc $(jq '.goroutines | length' "$d/j2") $(jq '[.target.warnings[] | test("holds 2 Go tracebacks")] | any' "$d/j2")"
	# cut after the function line of the 4th goroutine (not goroutine 0)
	cut=$(grep -n '^goroutine [1-9]' "$d/err" | sed -n 4p | cut -d: -f1)
	head -n $((cut + 1)) "$d/err" >"$d/cut"
	"$PILEUP" --json=1 "$d/cut" >"$d/jc"
	rc=$?
	expect_eq "$name: cut mid-goroutine: the 3 complete goroutines, a warning, exit 1" "1 3 true" \
		"$rc $(jq '.goroutines | length' "$d/jc") $(jq '[.target.warnings[] | test("cut off")] | any' "$d/jc")"
	# GOTRACEBACK=crash: every thread's registers and system stack, gp=/m=
	# headers (1.21+), runtime frames and goroutines; in a log too.
	# GOTRACEBACK=system: the same level of goroutines, no core
	for tb in crash system; do
		( GOTRACEBACK=$tb exec "$b" -first-error 2 -mutex 2 -locked 1 >"$d/$tb.out" 2>"$d/$tb.err" ) &
		runner=$!
		for ((i = 0; i < 300; i++)); do grep -q "^ready " "$d/$tb.out" 2>/dev/null && break; sleep 0.05; done
		pid=$(awk '/^ready/ {print $2}' "$d/$tb.out")
		[ -n "$pid" ] && sleep 0.2 && kill -QUIT "$pid"
		wait "$runner" 2>/dev/null
		{ echo "Dec 02 03:00:00 host svc[1]: starting"; cat "$d/$tb.err"; echo "Dec 02 03:00:09 host systemd[1]: svc.service: Main process exited, code=dumped"; } >"$d/$tb.log"
		"$PILEUP" --json=1 "$d/$tb.log" >"$d/$tb.json"
		expect_eq "$name: the GOTRACEBACK=$tb traceback inside a log: exit 0, runtime frames kept" "0 false" \
			"$? $(jq '.target.lacks | index("go_runtime_frames") != null' "$d/$tb.json")"
		go_dump_norm "$d/$tb.err" 0 1 | sort -n >"$d/$tb.go"
		pileup_go_norm "$d/$tb.json" 2 1 | sort -n >"$d/$tb.pl"
		check "$name: GOTRACEBACK=$tb: goroutines read ($(wc -l <"$d/$tb.go"))" test "$(wc -l <"$d/$tb.go")" -ge 8
		expect_eq "$name: GOTRACEBACK=$tb: every goroutine as Go printed it" "" "$(diff "$d/$tb.go" "$d/$tb.pl")"
		go_groups_match "$name: GOTRACEBACK=$tb: group counts are what the fixture created" "$d/$tb.json" "$d/$tb.out"
	done
done

# 8. deep stacks: Go prints at most 100 frames of a goroutine.  From 1.21
# it says how many it left out in the middle; 1.19 stops after 100 frames,
# the runtime frames it hides counted, and says nothing (it printed 97):
# pileup says the stack may be cut.  A live capture has every frame, and
# cut as Go cut it, it is the dump; so diff of the two changes no group,
# nor does diff of Go's profiles, cut as profiles cut them.
for b in "$FIX"/go/*/deep; do
	[ -x "$b" ] || continue
	v=$(basename "$(dirname "$b")")
	f=$TMP/deep$v.txt
	start_fixture "$b" -n 3 -depth 150 -labeled 2 -dump "$f" || exit 1
	kill -USR1 "$FX_PID"
	for ((i = 0; i < 200; i++)); do grep -q "^dumped " "$FX_OUT" && break; sleep 0.05; done
	"$PILEUP" --json=1 "$f" >"$f.json"
	expect_eq "go$v deep: the dump read (exit 0)" 0 $?
	go_dump_norm "$f" 0 1 | sort -n >"$f.go"
	pileup_go_norm "$f.json" 1 1 | sort -n >"$f.pl"
	expect_eq "go$v deep: every goroutine's frames as Go printed them" "" "$(diff <(sed -E 's/,\.\.\.elided( [0-9]+)?\.\.\.//' "$f.go") "$f.pl")"
	go_groups_match "go$v deep: the group of 3 at main.down (and 2 labeled)" "$f.json" "$FX_OUT"
	# Go's own profiles (debug=0, debug=1) of the same moment, whose
	# labeled goroutines carry labels named as pileup's own (host, kind,
	# wait, wait_site): the program's, not taken for pileup's
	for pf in "$f.pb.gz" "$f.prof.txt"; do
		"$PILEUP" --json=1 "$pf" >"$pf.json"
		expect_eq "go$v: Go's profile $(basename "$pf"), labels host/kind/wait/wait_site on 2 goroutines: exit 0, no threads, no hosts, waits unknown" \
			"0 0 null 2 unknown 3" \
			"$? $(jq -r '"\(.threads | length) \(.target.hosts | tojson) \([.groups[] | select(.wait_site.function == "main.labeled.func1") | .count] | add) \([.groups[] | select(.wait_site.function == "main.labeled.func1") | .wait] | unique | join(",")) \([.groups[] | select(.wait_site.function == "main.down") | .count] | add)"' "$pf.json")"
	done
	# ... and their labels, which split the one stack of the labeled
	# goroutines in two samples (shard=even, shard=odd and a note Go
	# quotes): two groups, the labels as go tool pprof -raw reads them
	# from the debug=0 form, the same from the debug=1 form
	raw=$(GOTOOLCHAIN=local "$GO126" tool pprof -raw "$f.pb.gz" 2>/dev/null | awk '/^Samples:/ {s = 1; next} /^Locations/ {s = 0} s && /^ +[0-9]+:/ {c = $1} s && /^ +[^ 0-9].*:\[/ {sub(/^ +/, ""); print c " " $0}' | sed 's/: / /' | sort)
	check "go$v deep: go tool pprof -raw shows labels on 2 samples" test "$(printf '%s\n' "$raw" | grep -c 'wait_site:\[main.down\]')" = 2
	for pf in "$f.pb.gz" "$f.prof.txt"; do
		expect_eq "go$v deep: $(basename "$pf"): the labeled goroutines' 2 groups (one stack), with the labels go tool pprof -raw shows" "$raw" \
			"$(jq -r '.groups[] | select(.labels) | "\(.count) \(.labels | to_entries | map("\(.key):[\(.value)]") | join(" "))"' "$pf.json" | sort)"
		expect_eq "go$v deep: $(basename "$pf"): both at main.labeled.func1, one stack" "main.labeled.func1 1" \
			"$(jq -r '[.groups[] | select(.labels)] | "\(map(.wait_site.function) | unique | join(",")) \(map(.frames | tojson) | unique | length)"' "$pf.json")"
		"$PILEUP" "$pf" >"$pf.txt"
		expect_eq "go$v deep: $(basename "$pf"): the text report's label lines (Go's quoted note unquoted; ',' and '=' in it escaped)" \
			"$(printf '%s\n' '    labels:        host=db1, kind=thread, note=say "hi"\, a\=b, shard=odd, wait=select, wait_site=main.down' '    labels:        host=db1, kind=thread, shard=even, wait=select, wait_site=main.down')" \
			"$(grep '^    labels: ' "$pf.txt" | sort)"
		# a saved report keeps them, and reads back as the profile
		"$PILEUP" --json=1 "$pf.json" >"$pf.again.json"
		expect_eq "go$v deep: $(basename "$pf"): its saved report read back: the same labeled groups" \
			"$(jq -c '[.groups[] | select(.labels) | [.count, .labels]] | sort' "$pf.json")" "$(jq -c '[.groups[] | select(.labels) | [.count, .labels]] | sort' "$pf.again.json")"
	done
	# pileup --pprof of Go's profile keeps the program's labels but those
	# named as pileup's own (host, kind, wait, wait_site), which its reader
	# takes for pileup's: go tool pprof sees them, pileup reads them back
	"$PILEUP" --pprof "$f.re.pb.gz" "$f.pb.gz" >/dev/null
	expect_eq "go$v deep: --pprof of Go's labelled profile: go tool pprof -raw shows the program's labels on 2 samples, none named as pileup's" \
		"2 0" "$(GOTOOLCHAIN=local "$GO126" tool pprof -raw "$f.re.pb.gz" 2>/dev/null | awk '/shard:\[/ {n++; if (/host:\[|kind:\[thread\]|wait:\[select\]|wait_site:\[main.down\]/) b++} END {print n + 0, b + 0}')"
	expect_eq "go$v deep: --pprof of Go's labelled profile read back: 2 groups, the program's labels but pileup's names" \
		'[[1,{"note":"say \"hi\", a=b","shard":"odd"}],[1,{"shard":"even"}]]' \
		"$("$PILEUP" --json=1 "$f.re.pb.gz" | jq -c '[.groups[] | select(.labels) | [.count, .labels]] | sort')"
	left=$(sed -n 's/^\.\.\.\([0-9]*\) frames elided\.\.\.$/\1/p' "$f" | sort -u)
	if [ "$v" = 1.19 ]; then
		expect_eq "go$v deep: Go printed no elision line" "" "$left"
		expect_eq "go$v deep: pileup says each of the 3 stacks may be cut" "3" \
			"$(jq '[.goroutines[] | select(.error // "" | test("printed 97 frames and may have left out outer ones"))] | length' "$f.json")"
	else
		check "go$v deep: Go left frames out ($left)" test -n "$left"
		expect_eq "go$v deep: pileup says how many, for each of the 3" "3" \
			"$(jq --arg n "$left" '[.goroutines[] | select(.error == "Go'"'"'s traceback left out \($n) frames in the middle")] | length' "$f.json")"
	fi
	"$PILEUP" diff --json=1 "$f" "$FX_PID" >"$f.diff.json"
	expect_eq "go$v deep: diff of the dump against the live process: exit 0, the deep and labeled groups unchanged" "0 main.down 0 3,main.labeled.func1 0 2" \
		"$? $(jq -r '[.groups[] | select(.wait_site.function == "main.down" or .wait_site.function == "main.labeled.func1") | "\(.wait_site.function) \(.delta) \(.count)"] | sort | join(",")' "$f.diff.json")"
	# Go's profiles cut deep stacks too (the innermost 32 frames up to
	# 1.22, 128 from 1.23): diff of each against the live process
	for pf in "$f.pb.gz" "$f.prof.txt"; do
		"$PILEUP" diff --json=1 "$pf" "$FX_PID" >"$pf.diff.json"
		expect_eq "go$v deep: diff of Go's profile $(basename "$pf") against the live process: exit 0, the deep and labeled groups unchanged" \
			"0 main.down 0 3,main.labeled.func1 0 2" \
			"$? $(jq -r '[.groups[] | select(.wait_site.function == "main.down" or .wait_site.function == "main.labeled.func1") | "\(.wait_site.function) \(.delta) \(.count)"] | sort | join(",")' "$pf.diff.json")"
	done
	"$PILEUP" --json=1 "$FX_PID" >"$f.live.json"
	expect_eq "go$v deep: live, each of the 3 has all 151 calls of main.down" "151 151 151" \
		"$(jq -r '[.goroutines[] | [.frames[] | select(.function == "main.down")] | length | select(. > 0)] | map(tostring) | join(" ")' "$f.live.json")"
	if [ "$v" != 1.19 ]; then
		expect_eq "go$v deep: live, cut where Go cut, the dump's stacks" "$(grep main.down "$f.go" | cut -f1,5)" \
			"$(pileup_go_norm "$f.live.json" 1 1 | go_elide_as "$f.go" | sort -n | grep main.down | cut -f1,5)"
	fi
	stop_fixture "$FX_PID"
done
# merge of Go's own profiles: their mappings name the executable (and from
# some release on its build-id; 1.19's names none): two builds refused by
# name; one build's two profiles (debug=0 and debug=1, whose runtime frames
# differ) added up group by group
if [ -s "$TMP/deep1.19.txt.pb.gz" ] && [ -s "$TMP/deep1.27.txt.pb.gz" ]; then
	"$PILEUP" merge --json=1 old="$TMP/deep1.19.txt.pb.gz" new="$TMP/deep1.27.txt.pb.gz" >/dev/null 2>"$TMP/pm.err"
	expect_eq "merge of Go's profiles of two builds: refused (exit 2), naming both and their executables" "2 yes" \
		"$? $(grep -q 'old and new are not snapshots of the same build (executables differ: .*/go/1.19/deep; .*/go/1.27/deep' "$TMP/pm.err" && echo yes)"
	"$PILEUP" merge --json=1 a="$TMP/deep1.27.txt.pb.gz" b="$TMP/deep1.27.txt.prof.txt" >"$TMP/pm.json"
	expect_eq "merge of one build's debug=0 and debug=1 profiles: exit 0, the deep group on both" '0 6 {"a":3,"b":3}' \
		"$? $(jq -c '.groups[] | select(.wait_site.function == "main.down") | [.count, .hosts]' "$TMP/pm.json" | tr -d '[]' | sed 's/,{/ {/')"
	expect_eq "merge of one build's two profiles: the labelled goroutines' 2 groups, by their labels, on both" \
		'[[2,{"a":1,"b":1},"even"],[2,{"a":1,"b":1},"odd"]]' \
		"$(jq -c '[.groups[] | select(.labels) | [.count, .hosts, .labels.shard]] | sort' "$TMP/pm.json")"
	"$PILEUP" diff "$TMP/deep1.27.txt.pb.gz" "$TMP/deep1.27.txt.prof.txt" >"$TMP/pd.txt"
	expect_eq "diff of one build's two profiles, text: the 2 labelled rows unchanged, each with its labels" \
		"$(printf '%s\n' '+0 [host=db1, kind=thread, note=say "hi"\, a\=b, shard=odd, wait=select, wait_site=main.down]' '+0 [host=db1, kind=thread, shard=even, wait=select, wait_site=main.down]')" \
		"$(grep ' main\.labeled\.func1 at ' "$TMP/pd.txt" | sed -E 's/^ +[0-9]+ +[0-9]+ +([-+][0-9]+) .*  (\[.*\])$/\1 \2/' | sort)"
	# with the traceback of the same moment, which has no labels: merged
	# without them (one group of the 2 labelled goroutines on each host)
	"$PILEUP" merge --json=1 a="$TMP/deep1.27.txt.pb.gz" c="$TMP/deep1.27.txt" >"$TMP/pmt.json"
	expect_eq "merge of a labelled profile and a traceback: exit 0, no labels, the labelled goroutines one group on both" \
		'0 [[4,{"a":2,"c":2},null]] 0' \
		"$? $(jq -c '[.groups[] | select(.wait_site.function == "main.labeled.func1") | [.count, .hosts, .labels]]' "$TMP/pmt.json") $(jq '[.goroutines[] | select(.labels)] | length' "$TMP/pmt.json")"
else
	check "the deep fixtures' profiles of 1.19 and 1.27 are there" false
fi

# 8b. real panic output (a panic recovered and raised again: two panic
# lines above the traceback), in a log: GOTRACEBACK=all prints every
# goroutine, the default only the panicking one; read as Go printed them
for b in "$FIX"/go/1.19/deep "$FIX"/go/1.27/deep; do
	[ -x "$b" ] || continue
	v=$(basename "$(dirname "$b")")
	for tb in all single; do
		d=$TMP/panic$v-$tb
		GOTRACEBACK=$tb "$b" -n 2 -depth 150 -labeled 1 -panic >"$d.out" 2>"$d.err"
		expect_eq "go$v panic (GOTRACEBACK=$tb): the program panicked (exit 2), as Go prints it" "2 yes" \
			"$? $(grep -q '^panic: deep: first \[recovered' "$d.err" && grep -q $'^\tpanic: deep: again' "$d.err" && echo yes)"
		{ echo "2026-12-02T03:00:00Z svc starting"; cat "$d.err"; echo "exit status 2"; } >"$d.log"
		"$PILEUP" --json=1 "$d.log" >"$d.json"
		expect_eq "go$v panic (GOTRACEBACK=$tb) in a log: exit 0" 0 $?
		go_dump_norm "$d.err" 0 1 | sort -n >"$d.go"
		pileup_go_norm "$d.json" 2 1 | sort -n >"$d.pl"
		n=$([ $tb = all ] && echo 5 || echo 1)
		check "go$v panic (GOTRACEBACK=$tb): Go printed $n goroutines or more ($(wc -l <"$d.go"))" test "$(wc -l <"$d.go")" -ge $n
		expect_eq "go$v panic (GOTRACEBACK=$tb): every goroutine as Go printed it (panic frames too)" "" \
			"$(diff <(sed -E 's/,\.\.\.elided( [0-9]+)?\.\.\.//' "$d.go") "$d.pl")"
		expect_eq "go$v panic (GOTRACEBACK=$tb): the panicking goroutine's frames" "main.repanic.func1>runtime.gopanic>main.repanic>main.main" \
			"$(jq -r '.goroutines[] | select(.status == "running") | [.frames[].function] | join(">")' "$d.json")"
	done
done

# 9. a testing/synctest bubble (Go 1.25+; a test binary): Go appends
# " (durable)" to the wait reason of a durably blocked goroutine ("[sleep
# (durable), synctest bubble 1]"), except where the reason's own name ends
# so ("chan receive (durable)"): the wait reasons a live capture reads
for v in 1.26 1.27; do
	b=$FIX/go/$v/synctest
	check "go$v: synctest fixture built (make -C fixtures)" test -x "$b"
	[ -x "$b" ] || continue
	f=$TMP/synctest$v.txt
	start_fixture "$b" -test.run TestBubble -dump "$f" || exit 1
	kill -USR1 "$FX_PID"
	for ((i = 0; i < 200; i++)); do grep -q "^dumped " "$FX_OUT" && break; sleep 0.05; done
	check "go$v synctest: Go printed a reason with (durable) appended" grep -q '^goroutine [0-9]* \[sleep (durable), synctest bubble [0-9]*\]:$' "$f"
	"$PILEUP" --json=1 "$f" >"$f.json"
	expect_eq "go$v synctest: the dump read (exit 0)" 0 $?
	go_groups_match "go$v synctest: the bubble's goroutines, by wait reason and site" "$f.json" "$FX_OUT"
	"$PILEUP" --json=1 "$FX_PID" >"$f.live.json"
	dumper=$(awk '/^goroutine /{print $2; exit}' "$f")
	expect_eq "go$v synctest: every goroutine's wait reason as the live capture's" \
		"$(jq -r --arg d "$dumper" '[.goroutines[] | select(.system | not) | select((.id | tostring) != $d) | "\(.id) \(.wait_reason // .status)"] | sort | .[]' "$f.live.json")" \
		"$(jq -r --arg d "$dumper" '[.goroutines[] | select((.id | tostring) != $d) | "\(.id) \(.wait_reason // .status)"] | sort | .[]' "$f.json")"
	stop_fixture "$FX_PID"
done
finish
