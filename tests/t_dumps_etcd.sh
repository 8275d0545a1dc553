#!/bin/bash
# A real Go service that no one here wrote: Debian's etcd (etcd-server),
# started on loopback with --enable-pprof, with three watch streams open.
# `pileup http://127.0.0.1:PORT` (its debug=2 dump) equals `pileup PID` of
# the same process group by group (`pileup diff URL PID` changes no group
# but those serving pileup's own request), goroutine by goroutine (id,
# wait reason, locked, functions and lines, creator), and the profiles
# (debug=1, debug=0) give the same groups and counts.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

ETCD=/usr/bin/etcd
if [ ! -x "$ETCD" ]; then
	echo "not ok - $ETCD is missing (scripts/deps.sh test installs etcd-server)"
	FAIL=$((FAIL + 1))
	finish
	exit
fi
LOOPPORT=$ROOT/tests/helpers/loopport
cport=$("$LOOPPORT" free) && pport=$("$LOOPPORT" free) || { echo "not ok - no free loopback port"; FAIL=$((FAIL + 1)); finish; exit; }
C=http://127.0.0.1:$cport
"$ETCD" --name pileup-test --data-dir "$TMP/etcd" --enable-pprof \
	--listen-client-urls "$C" --advertise-client-urls "$C" \
	--listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
	--initial-cluster "pileup-test=http://127.0.0.1:$pport" --log-outputs stderr >"$TMP/etcd.log" 2>&1 &
PID=$!
fx_track "$PID"
for ((i = 0; i < 300; i++)); do
	curl -s -m 2 "$C/health" 2>/dev/null | grep -q '"health":"true"' && break
	sleep 0.1
done
check "etcd is up on loopback (pid $PID, $C)" curl -s -m 2 "$C/health" -o /dev/null
# three watch streams (the gRPC gateway): goroutines that pile up by three
for i in 1 2 3; do
	curl -s -N -X POST -d '{"create_request":{"key":"cGlsZXVw"}}' "$C/v3/watch" >"$TMP/watch$i" 2>/dev/null &
	fx_track $!
done
for ((i = 0; i < 100; i++)); do
	[ "$(cat "$TMP"/watch? 2>/dev/null | grep -c '"created":true')" = 3 ] && break
	sleep 0.1
done
expect_eq "three watches created" 3 "$(cat "$TMP"/watch? | grep -c '"created":true')"

# The goroutines that serve pileup's own request (the handler writing the
# dump or profile, its connection's background read) exist only while it
# is served, and in a profile a goroutine net/http made for it that has not
# started yet (its stack only runtime.goexit: nothing once runtime frames
# are left out): the one difference allowed.
OWN='[.frames[].function] | length == 0 or any(startswith("runtime/pprof.") or startswith("net/http/pprof.") or startswith("net/http.(*connReader).") or . == "net/http.(*conn).serve")'
changed() {
	jq -r ".groups[] | select(.delta != 0) | select($OWN | not) | \"\(.delta) \(.wait) \(.wait_site.function)\"" "$1"
}
# one line per goroutine (go_oracle.sh), those serving a request left out
gor_norm() {
	jq --argjson own "$(jq -c "[.goroutines[] | select($OWN) | .id]" "$1")" '.goroutines |= map(select(.id as $i | $own | index($i) | not))' "$1" >"$1.mine"
	pileup_go_norm "$1.mine" 1 1 | sort -n
}

# Goroutines change state now and then (timers, raft ticks every 100 ms):
# up to 5 tries for one quiet moment, each two captures a few ms apart.
for ((try = 1; try <= 5; try++)); do
	"$PILEUP" --json=1 "$PID" >"$TMP/live.json"
	rl=$?
	"$PILEUP" --json=1 "$C" >"$TMP/h2.json"
	rh=$?
	"$PILEUP" diff --json "$C" "$PID" >"$TMP/diff.json"
	rd=$?
	gor_norm "$TMP/live.json" >"$TMP/live.g"
	gor_norm "$TMP/h2.json" >"$TMP/h2.g"
	[ $rl$rh$rd = 000 ] && [ -z "$(changed "$TMP/diff.json")" ] && cmp -s "$TMP/live.g" "$TMP/h2.g" && break
	sleep 0.5
done
echo "# quiet after $try tries"
expect_eq "pileup PID, pileup URL, pileup diff URL PID: exit 0" "0 0 0" "$rl $rh $rd"
expect_eq "the URL was read as etcd's debug=2 dump" "dump $C/debug/pprof/goroutine?debug=2" \
	"$(jq -r '"\(.target.source) \(.target.dump.from)"' "$TMP/h2.json")"
check "the live capture knows etcd (go1.19.8, go.etcd.io/etcd)" grep -q '"go1.19.8"' "$TMP/live.json"
mygroups() { jq "[.groups[] | select(.kind == \"goroutine\") | select($OWN | not)] | length" "$1"; }
ngroups=$(mygroups "$TMP/diff.json")
check "etcd has many goroutine groups ($ngroups)" test "$ngroups" -ge 20
expect_eq "diff dump vs live: no group changed but those serving the request" "" "$(changed "$TMP/diff.json")"
expect_eq "every goroutine: id, wait reason, locked, functions:lines, creator as the live capture has it" "" \
	"$(diff "$TMP/live.g" "$TMP/h2.g")"
check "... and that is many goroutines ($(wc -l <"$TMP/h2.g"))" test "$(wc -l <"$TMP/h2.g")" -ge 30
watch_count() {
	jq '[.groups[] | select(.kind == "goroutine" and .wait_site.function == "go.etcd.io/etcd/etcdserver/api/v3rpc.(*watchServer).Watch") | .count] | add // 0' "$1"
}
expect_eq "the three watch streams: one group of 3, live and over HTTP" "3 3" "$(watch_count "$TMP/live.json") $(watch_count "$TMP/h2.json")"

# the profiles: the same groups and counts (no ids, no wait reasons)
for d in 1 0; do
	for ((try = 1; try <= 5; try++)); do
		"$PILEUP" diff --json "$C/debug/pprof/goroutine?debug=$d" "$PID" >"$TMP/diff$d.json"
		rd=$?
		[ $rd = 0 ] && [ -z "$(changed "$TMP/diff$d.json")" ] && break
		sleep 0.5
	done
	expect_eq "diff debug=$d profile vs live: exit 0, no group changed but those serving the request" "0 " "$rd $(changed "$TMP/diff$d.json")"
	expect_eq "debug=$d: as many goroutine groups as the dump's (the request's aside)" "$ngroups" "$(mygroups "$TMP/diff$d.json")"
done
check "etcd is still running, not stopped" not_stopped "$PID"
finish
