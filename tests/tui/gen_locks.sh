#!/bin/bash
# tests/tui/gen_locks.sh PILEUP: writes tests/tui/locks.json, a live report
# of fixtures/bin/locks (an ABBA deadlock, a convoy, an abandoned mutex,
# TCP readers), scrubbed like waits.json: pid 4242, tids from 4243, pcs 0,
# no build-ids, paths under /opt/demo and /src/demo, fixed times, lock
# addresses from 0x555555558000 (their distances kept), the server's port
# 5432, clients' ports from 43210, fd inodes from 100001.  Run it after a
# deliberate change of the report, then PILEUP_TUI_UPDATE=1 (README.md).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PILEUP=${1:-$ROOT/pileup}
out=$(mktemp)
"$ROOT/fixtures/bin/locks" --abba --convoy 3 --orphan 2 --tcp 2 --pipe 1 >"$out" &
fx=$!
trap 'kill $fx 2>/dev/null; rm -f "$out" "$out.json"' EXIT
for _ in $(seq 200); do grep -q '^ready' "$out" && break; sleep 0.05; done
"$PILEUP" --json "$fx" >"$out.json"
port=$(awk '$1 == "tcp" {print $2}' "$out")
clients=$(ss -tnH state established "( dport = :$port )" | awk '{print $3}' | sed 's/.*://' | sort -n)
jq --argjson pid "$fx" '
	([.threads[].tid] | sort) as $live
	| ($live + ([.. | objects | .owner? // empty | numbers] | unique - $live)) as $tids
	| (reduce range(0; $tids | length) as $i ({}; .[($tids[$i] | tostring)] = 4242 + $i)) as $map
	| def tid: if . == null then null else ($map[tostring] // .) end;
	  def names: if type == "string" then
		reduce ($map | to_entries[]) as $e (.; gsub("\\b" + $e.key + "\\b"; $e.value | tostring)) else . end;
	  def paths: if type == "string" then gsub("^.*/fixtures/bin/"; "/opt/demo/bin/") | gsub("^.*/fixtures/"; "/src/demo/") else . end;
	  ([.. | objects | .address? // empty | select(type == "string")] | map(ltrimstr("0x") | explode
		| reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 elif $c >= 65 then $c - 55 else $c - 48 end))) | min) as $low
	| def addr: if type == "string" and startswith("0x") then
		(ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 elif $c >= 65 then $c - 55 else $c - 48 end))) as $v
		| if $v >= $low and $v - $low < 1048576 then
			(93824992247808 + $v - $low) as $n
			| "0x" + ([range(11; -1; -1) as $k | ($n / pow(16; $k) | floor) % 16] | map("0123456789abcdef"[.:.+1]) | join("") | sub("^0+"; ""))
		  else . end
	  else . end;
	.target.pid = 4242 | .target.exe = "/opt/demo/bin/locks" | del(.target.build_id) | .target.taken_at = 1700000000
	| .capture.elapsed_us = 1500 | .capture.analyze_us = 0 | .capture.pause_us = 0
	| .analysis = {"frames_walked": 0, "symbol_lookups": 0, "frame_pointers_recovered": 0}
	| (.. | objects | select(has("pc"))) |= (.pc = "0x0" | del(.build_id) | .module |= paths | .file |= paths)
	| (.. | objects | select(has("wait_site")) | .wait_site | objects) |= (.module |= paths | .file |= paths)
	| .threads |= map(.tid |= tid)
	| (.. | objects | select(has("owner"))) |= (.owner |= tid)
	| (.. | objects | select(has("name"))) |= (.name |= names)
	| (.. | objects | select(has("note"))) |= (.note |= names)
	| (.. | objects | select(has("address"))) |= (.address |= addr)
	| (.. | objects | select(has("futex"))) |= (.futex |= addr)
	| .deadlocks |= map(.threads |= map(tid) | .objects |= map(addr))
	| .convoys |= map(.root |= tid)
	| .groups |= map(.members |= map(tid))
' "$out.json" >"$out.scrubbed"
sed_args=(-e "s/:$port\\b/:5432/g")
n=43210
for c in $clients; do
	sed_args+=(-e "s/:$c\\b/:$n/g")
	n=$((n + 1))
done
i=100001
for ino in $(grep -o '\(pipe\|socket\) [0-9]\{4,\}' "$out.scrubbed" | awk '{print $2}' | sort -u); do
	sed_args+=(-e "s/\\b$ino\\b/$i/g")
	i=$((i + 1))
done
sed "${sed_args[@]}" "$out.scrubbed" >"$ROOT/tests/tui/locks.json"
rm -f "$out.scrubbed"
echo "wrote $ROOT/tests/tui/locks.json"
