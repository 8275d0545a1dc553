#!/bin/bash
# The browser on live Go programs (fixtures/go/waits, the go1.22 and go1.27
# builds): every goroutine group's line under the title (group screen) and
# its stack screen say what its members wait on, and say what the JSON of
# the same snapshot says (the browser saves it with s): the channels of
# the first-error leak, a full channel, a nil channel, a select's two
# channels, sync.Mutex, RWMutex, WaitGroup, Cond, a timer, an IO wait's
# connection.  The expected lines are built here from the JSON's waits_on
# fields, not from pileup's own text; the first-error group's line is
# also checked against the fixture's printout.  Go records no holder: the
# holder key says so.
source "$(dirname "$0")/lib.sh"

ARGS=(-calls 6 -senders 3 -producers 3 -cap 4 -mutex 3 -readers 2 -wg-count 5 -wg 2 -cond 2 -sleep 3600)

# What a group's members wait on, in the browser's words, from the JSON:
# "SITE|on ..." for each group whose wait site is in package main.
JQ_WAITS='
def chanw: ([(.type // empty),
	(if .cap == 0 then "unbuffered" elif .cap > 0 then "\(.len) of \(.cap) buffered" else empty end)] | join(", "))
	+ (if .closed == true then ", closed" else "" end)
	+ (if .senders then ", \(.senders) sender\(if .senders == 1 then "" else "s" end)" else "" end)
	+ (if .receivers then ", \(.receivers) receiver\(if .receivers == 1 then "" else "s" end)" else "" end);
def facts: [to_entries[] | select(.key | IN("kind", "address", "name", "owner", "owner_state", "when_ns",
		"wait_note", "note", "chan", "channels", "fd", "fds") | not) | select(.value != false)
	| if .key == "wakes_in_ms" then (if .value >= 0 then "wakes in \(.value / 1000 | floor) s"
		else "was due \(-.value / 1000 | floor) s ago" end)
	  elif .value == true then (.key | gsub("_"; " "))
	  else "\(.key | gsub("_"; " ")) \(.value)" end]
	| if length > 0 then " [" + join(", ") + "]" else "" end;
def obj: if .kind == "fd" then "fd \(.fd.fd)" + (if .fd.desc then " (\(.fd.desc))" elif .fd.note then " [\(.fd.note)]" else "" end)
	elif .chan.nil then "nil channel (blocks forever)"
	else .kind + (if .name then " " + .name else "" end) + (if .address then " (\(.address))" else " (start unknown)" end)
		+ (if .chan then " [" + (.chan | chanw) + "]" else facts end) end;
def owner: if (.kind | IN("sync.Mutex", "sync.RWMutex")) and .owner_state == "not recorded"
	then " owner not recorded (Go records none)" else "" end;
def wait: (if .kind == "select" and .address == null then
		(if (.channels // []) | length > 0 then "a select over " + ([.channels[:4][] | obj] | join(", "))
			+ (if (.channels | length) > 4 then ", ..." else "" end) else "" end)
	else (obj + owner) end)
	+ (if .wait_note then " (\(.wait_note))" else "" end);
(INDEX(.goroutines[]; .id)) as $g
| .groups[] | select(.wait_site.function // "" | startswith("main."))
| [.members[] | $g[tostring].waits_on] as $w
| select(any($w[]; . != null and (.address or .fd or ((.channels // []) | length > 0) or .chan.nil)))
| "\(.wait_site.function) \(.wait_site.file | sub(".*/"; "")):\(.wait_site.line)|"
	+ if ($w | unique | length) == 1 then "on " + ($w[0] | wait)
	  elif (.objects | length) == 1 then "on " + ($w[0] | obj + owner)
	  elif all($w[]; .chan and (.chan.nil | not)) then
		($w | map(.chan)) as $c
		| "on \(.objects | length) channels"
		+ (if ($c | map(.type) | unique | length) == 1 and $c[0].type then " of type " + $c[0].type else "" end)
		+ (if ($c | map(.cap) | unique) == [0] then " (unbuffered)"
		   elif ($c | map(.cap) | unique | length) == 1 and $c[0].cap > 0 then " (capacity \($c[0].cap))" else "" end)
		+ (if ($c | map(.senders) | unique | length) == 1 and $c[0].senders then
			", \($c[0].senders) sender\(if $c[0].senders == 1 then "" else "s" end) each" else "" end)
		+ (if ($c | map(.receivers) | unique) == [0] then ", no receiver"
		   elif ($c | map(.receivers) | unique | length) == 1 and $c[0].receivers > 0 then
			", \($c[0].receivers) receiver\(if $c[0].receivers == 1 then "" else "s" end) each" else "" end)
	  else "on \(.objects | length) objects (not built here)" end'

for ver in 1.22 1.27; do
	bin=$FIX/go/$ver/waits
	[ -x "$bin" ] || { check "go$ver: fixtures/bin/go/$ver/waits built (make -C fixtures)" false; continue; }
	d=$TMP/go$ver
	mkdir -p "$d" && cd "$d" || exit 1
	start_fixture "$bin" "${ARGS[@]}" || { check "go$ver: fixture ready" false; continue; }
	pid=$FX_PID
	# How many goroutine groups to walk: a capture before the browser's.
	n=$("$PILEUP" --json=1 "$pid" | jq '.groups | length')
	{
		printf 'H\n:dump hold\n' # the holder key on the first group
		for ((i = 1; i <= n; i++)); do
			printf ':dump g%d\n<Enter>\n:dump s%d\n<Esc>\nj\n' "$i" "$i"
		done
		printf 's<C-u>snap.json<Enter>\nq\n'
	} >walk.keys
	LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=320x50 PILEUP_TUI_SCRIPT=walk.keys "$PILEUP" --tui "$pid" </dev/null >out.txt 2>err.txt
	rc=$?
	check "go$ver: the browser walks the $n groups and exits 0" test "$rc" = 0 -a -s snap.json -a -s "s$n"
	[ "$rc" = 0 ] || sed 's/^/#   /' err.txt
	check "go$ver: the fixture is not left stopped or traced" not_stopped "$pid"
	stop_fixture "$pid"
	# The browser's lines: group screen (the cursor's row names the wait
	# site), stack screen (its "wait site:" line).
	: >groups.txt
	: >stacks.txt
	for ((i = 1; i <= n; i++)); do
		site=$(grep '^>' "g$i" | grep -o 'main\.[^ ]* main\.go:[0-9]*' | head -1)
		waits=$(sed -n 's/^ waits \(on .*\)$/\1/p' "g$i" | sed 's/ *$//')
		[ -n "$site" ] && [ -n "$waits" ] && echo "$site|$waits" >>groups.txt
		site=$(sed -n 's/^ wait site: \(main\.[^ ]* main\.go:[0-9]*\) .*/\1/p' "s$i")
		waits=$(sed -n 's/^ waits \(on .*\)$/\1/p' "s$i" | sed 's/ *$//')
		[ -n "$site" ] && [ -n "$waits" ] && echo "$site|$waits" >>stacks.txt
	done
	# Go records no holder: the key says so and the cursor stays.
	check "go$ver: H on a goroutine group: the footer says goroutines record no holder" \
		grep -qx 'goroutines record no holder of what they wait on *' hold
	expect_eq "go$ver: ... the cursor stays on its row" "$(grep '^>' g1)" "$(grep '^>' hold)"
	# the browser saves version 2 (waits by id in its objects table): read
	# back and written as version 1, whose waits_on are whole, for the jq above
	"$PILEUP" --json=1 snap.json >snap1.json
	jq -r "$JQ_WAITS" snap1.json | sort >want.txt
	check "go$ver: the JSON has what 11 groups of package main wait on" test "$(wc -l <want.txt)" -ge 11
	expect_eq "go$ver: group screen: each group's waits line is the JSON's" "$(cat want.txt)" "$(sort -u groups.txt)"
	expect_eq "go$ver: stack screen: each group's waits line is the JSON's" "$(cat want.txt)" "$(sort -u stacks.txt)"
	calls=$(awk '$1 == "chan" && $2 == "first-error"' "$FX_OUT" | wc -l)
	senders=$(awk '$1 == "chan" && $2 == "first-error" { print $8; exit }' "$FX_OUT")
	check "go$ver: the first-error group: on $calls channels of type chan error (unbuffered), $senders senders each, no receiver" \
		grep -qx "main.firstError.func1 main.go:[0-9]*|on $calls channels of type chan error (unbuffered), $senders senders each, no receiver" groups.txt
	set -- $(awk '$1 == "sync.Mutex" { print $2, $3 }' "$FX_OUT")
	check "go$ver: the mutex group's stack screen: sync.Mutex main.mu ($1) [locked, waiters $2]" \
		grep -qF "|on sync.Mutex main.mu ($1) [locked, waiters $2] owner not recorded (Go records none)" stacks.txt
done

finish
