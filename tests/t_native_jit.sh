#!/bin/bash
# Programs with JIT code and many libraries: node (V8) and Debian's
# chromium, headless.  On every blocked thread the default mode (nothing
# stopped) equals --stop-all and eu-stack, frame for frame (Chromium keeps
# stale frame records in its frames and has almost no CFI: the frame
# pointer guess must not invent frames); code in V8's anonymous mappings is
# [jit], never node+offset, and with --perf-basic-prof it is named from
# the perf map and marked "jit".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/native_lib.sh"

# three_way NAME PID: default, --stop-all and eu-stack give the same
# physical frames for every thread blocked in the same place in all three.
three_way() {
	local name=$1 pid=$2 try
	for try in 1 2 3; do
		"$PILEUP" --json=1 "$pid" >"$TMP/a.json"
		rc=$?
		"$PILEUP" --json=1 --stop-all "$pid" >"$TMP/b.json"
		eu_frames "$pid" >"$TMP/eu"
		json_phys "$TMP/a.json" >"$TMP/a"
		json_phys "$TMP/b.json" >"$TMP/b"
		# threads whose innermost pc is the same in all three stayed put
		join <(awk '{print $1, $2}' "$TMP/a") <(awk '{print $1, $2}' "$TMP/b") | join - <(awk '{print $1, $2}' "$TMP/eu") |
			awk '$2 == $3 && $3 == $4 { print $1 }' >"$TMP/still"
		[ "$(wc -l <"$TMP/still")" -eq "$(wc -l <"$TMP/a")" ] && break
		sleep 0.5
	done
	sel() { join "$TMP/still" <(sort -k1,1 "$1") | sort -n; }
	check "$name: most threads stayed put for the three looks" test "$(wc -l <"$TMP/still")" -ge $(($(wc -l <"$TMP/a") * 3 / 4))
	expect_eq "$name: default mode equals --stop-all" "$(sel "$TMP/b")" "$(sel "$TMP/a")"
	expect_eq "$name: default mode equals eu-stack" "$(sel "$TMP/eu")" "$(sel "$TMP/a")"
	expect_eq "$name: complete, exit 0" "0:" "$rc:$(jq -r '[.threads[] | select(.error) | "\(.tid) \(.error)"] | join("; ")' "$TMP/a.json")"
}

# node, idle in its event loop: libuv and V8 worker threads parked.
if need node; then
	node -e 'setInterval(() => {}, 1e9)' &
	NODE=$!
	fx_track "$NODE"
	wait_threads "$NODE" 7 && three_way "node" "$NODE"
	kill "$NODE"

	# node running JavaScript: the main thread's frame 0 is in V8's code
	# (but for the moments it spends in node's own code: up to 5 looks),
	# and no pc outside node's file is ever credited to it.
	node -e 'function spin() { for (;;) {} } spin()' &
	NODE=$!
	fx_track "$NODE"
	sleep 1
	# V8's code is [jit] where its mapping is rwx (nodesource's node 20);
	# where V8 keeps code write-protected (Debian's node 18: r-x) nothing
	# says it is JIT code without a perf map, and it is [anon].
	jit=no outside=
	for ((i = 0; i < 5; i++)); do
		"$PILEUP" --json=1 "$NODE" >"$TMP/spin.json"
		read -r mod pc < <(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | "\(.frames[0].module) \(.frames[0].pc)"' "$TMP/spin.json")
		want=$(python3 -c 'import sys
pc = int(sys.argv[2], 16)
for l in open(sys.argv[1]):
    f = l.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if lo <= pc < hi:
        print("[jit]" if f[1].startswith("rwx") else "[anon]" if len(f) < 6 else f[5])' /proc/"$NODE"/maps "${pc:-0}" 2>/dev/null)
		case $want in "[jit]" | "[anon]") [ "$mod" = "$want" ] && jit=yes ;; esac
		outside+=$(jq -r '.threads[].frames[] | select(.module == "/usr/bin/node") | .pc' "$TMP/spin.json" |
			python3 -c 'import sys
maps = [l.split() for l in open(sys.argv[1])]
rs = [tuple(int(x, 16) for x in m[0].split("-")) for m in maps if len(m) > 5 and m[5] == "/usr/bin/node"]
for pc in sys.stdin.read().split():
    if not any(lo <= int(pc, 16) < hi for lo, hi in rs):
        print(pc)' /proc/"$NODE"/maps)
		[ $jit = yes ] && break
		sleep 0.2
	done
	expect_eq "node JIT: frame 0 is in V8's code ([jit] if rwx, else [anon]), not in /usr/bin/node" "yes" "$jit"
	expect_eq "node JIT: no pc outside node's file is credited to it" "" "$outside"
	kill "$NODE"

	(cd "$TMP" && exec node --perf-basic-prof -e 'function spin() { for (;;) {} } spin()') &
	NODE=$!
	fx_track "$NODE"
	for ((i = 0; i < 50; i++)); do [ -s /tmp/perf-"$NODE".map ] && break; sleep 0.1; done
	sleep 0.5
	"$PILEUP" --json=1 "$NODE" >"$TMP/perf.json"
	expect_eq "node --perf-basic-prof: frame 0 is V8's code of spin(), named from the perf map, marked jit" "spin [jit] true" \
		"$(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0] | "\(.function | capture("^(JS|LazyCompile|Function):[*~^]?(?<f>[a-z]+) ").f) \(.module) \(.jit)"' "$TMP/perf.json")"
	check "node --perf-basic-prof: the perf map's name is in the perf map" \
		grep -q " $(jq -r --argjson p "$NODE" '.threads[] | select(.tid == $p) | .frames[0].function' "$TMP/perf.json" | sed 's/[*[]/\\&/g')\$" /tmp/perf-"$NODE".map
	kill "$NODE"
	wait "$NODE" 2>/dev/null
	rm -f /tmp/perf-"$NODE".map
fi

# chromium --headless=new: the browser process and a renderer.
if need chromium; then
	mkdir -p "$TMP/chromium"
	chromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TMP/chromium" about:blank \
		>"$TMP/chromium.log" 2>&1 &
	CHR=$!
	fx_track "$CHR"
	wait_threads "$CHR" 20
	sleep 2
	BROWSER=$(pgrep -f -- "--user-data-dir=$TMP/chromium" | head -n 1)
	RENDERER=$(pgrep -f -- "--type=renderer.*" | while read -r p; do grep -qa "$TMP/chromium" /proc/"$p"/cmdline 2>/dev/null && echo "$p"; done | head -n 1)
	[ -z "$RENDERER" ] && RENDERER=$(pgrep -P "$(pgrep -f -- "--type=zygote.*$TMP/chromium" | head -n 1)" 2>/dev/null | head -n 1)
	three_way "chromium browser" "$BROWSER"
	[ -n "$RENDERER" ] && three_way "chromium renderer" "$RENDERER"
	kill "$CHR"
fi
finish
