# tests/helpers/go_oracle.sh - Go tracebacks and pileup's goroutines, in one
# comparable form (sourced by tests/t_go*.sh and tests/bench/go.sh).
#
# One line per goroutine:  id TAB status TAB locked TAB minutes TAB
# function:line,function:line,... TAB creator:line
# where status is what Go prints between the brackets (the wait reason of a
# waiting goroutine, else its status), minutes is empty under a minute.
#
# Level 1 is what runtime.Stack and default tracebacks show (no system
# goroutines, no unexported runtime.* frames, no compiler wrappers); level 2
# is GOTRACEBACK=system/crash (everything, runtime.goexit included).

# go_dump_norm FILE SKIPFIRST: goroutines of a Go traceback (runtime.Stack
# output, or a crash's stderr).  SKIPFIRST=1 drops the first goroutine (the
# one that called runtime.Stack, running at the time).  Goroutine 0 (a
# thread's system stack in crash output) is dropped, and so is a goroutine
# printed again by the thread it runs on (crash output).
go_dump_norm() {
	awk -v skipfirst="$2" '
	function flush() {
		if (id != "" && id != "0" && !(skipfirst && first) && !(id in seen))
			print id "\t" reason "\t" locked "\t" minutes "\t" frames "\t" creator
		if (id != "") seen[id] = 1
		if (id != "") first = 0
		id = ""
	}
	BEGIN { first = 1 }
	/^goroutine [0-9]+ \[/ {
		flush()
		id = $2
		h = $0; sub(/^[^[]*\[/, "", h); sub(/\]:$/, "", h)
		n = split(h, parts, ", ")
		reason = parts[1]; sub(/ \(scan\)$/, "", reason)
		locked = (index(h, "locked to thread") > 0) ? "true" : "false"
		minutes = ""
		for (i = 2; i <= n; i++) if (parts[i] ~ /^[0-9]+ minutes$/) { split(parts[i], m, " "); minutes = m[1] }
		frames = ""; creator = ""; fn = ""; cr = 0
		next
	}
	/^-----/ || /^(SIG[A-Z]+|PC=|r[a-z0-9]+ +0x|rflags|cs |fs |gs )/ { flush(); next }
	id == "" { next }
	/^created by / { fn = substr($0, 12); sub(/ in goroutine [0-9]+$/, "", fn); cr = 1; next }
	/^\t/ {
		l = $0; sub(/^\t/, "", l); sub(/ .*$/, "", l); k = split(l, a, ":"); ln = a[k]
		if (cr) creator = fn ":" ln
		else frames = frames (frames == "" ? "" : ",") fn ":" ln
		next
	}
	/^\.\.\.additional frames elided/ { frames = frames ",..."; next }
	/^$/ { next }
	{
		fn = $0
		if (match(fn, /\([^()]*\)$/)) fn = substr(fn, 1, RSTART - 1)
		if (fn == "panic") fn = "runtime.gopanic"
		cr = 0
	}
	END { flush() }
	' "$1"
}

# pileup_go_norm JSON LEVEL: the same from a pileup JSON report.
pileup_go_norm() {
	jq -r --argjson lvl "$2" '
	def shown: if $lvl >= 2 then true
		else (.function != null and (.function | contains(".")) and
		      ((.function | startswith("runtime.") | not) or (.function | test("^runtime\\.[A-Z]"))) and
		      (.wrapper | not)) end;
	.goroutines[] | select($lvl >= 2 or (.system | not)) |
	[ (.id | tostring),
	  (if .status == "waiting" and .wait_reason != null then .wait_reason else .status end),
	  (.locked | tostring),
	  (if .wait_minutes >= 1 then (.wait_minutes | tostring) else "" end),
	  ([.frames[] | select(shown) | "\(.function):\(.line)"] | join(",")),
	  (if .created_by == null then ""
	   elif $lvl < 2 and (.created_by.function | test("^runtime\\.[a-z]")) then ""
	   else "\(.created_by.function):\(.created_by.line)" end)
	] | join("\t")' "$1"
}

# go_groups_match DESC JSON MANIFEST: for every "group" line the fixture
# printed (reason, site, count), the goroutines whose wait site is that
# function and whose wait reason is that reason number exactly count, and
# so do the members of pileup's goroutine groups at that site.
go_groups_match() {
	local desc=$1 json=$2 manifest=$3 reason site count got ggot bad=""
	while IFS=$'\t' read -r _ reason site count; do
		got=$(jq --arg r "$reason" --arg s "$site" \
			'[.goroutines[] | select(.wait_reason == $r and .wait_site.function == $s)] | length' "$json")
		ggot=$(jq --arg r "$reason" --arg s "$site" \
			'[.groups[] | select(.kind == "goroutine" and .wait == $r and .wait_site.function == $s) | .count] | add // 0' "$json")
		[ "$got" = "$count" ] && [ "$ggot" = "$count" ] || bad+="$reason/$site: want $count, goroutines $got, groups $ggot; "
	done < <(grep '^group	' "$manifest")
	expect_eq "$desc" "" "$bad"
}
