# tests/helpers/go_oracle.sh - Go tracebacks and pileup's goroutines, in one
# comparable form (sourced by tests/t_go*.sh and tests/bench/go.sh).
#
# One line per goroutine:  id TAB status TAB locked TAB minutes TAB
# function:line,function:line,... TAB creator:line
# where status is what Go prints between the brackets (the wait reason of a
# waiting goroutine, else its status), minutes is empty under a minute.
# With GOIDS=1 (the optional last argument of both normalizers) the creator
# ends in " in N", N the creating goroutine's id, where the traceback names
# it ("created by F in goroutine N", Go 1.21+; or the first "[originating
# from goroutine N]" under GODEBUG=tracebackancestors) and where pileup has
# one (created_by.goroutine).
#
# Level 1 is what runtime.Stack and default tracebacks show (no system
# goroutines, no unexported runtime.* frames, no compiler wrappers); level 2
# is GOTRACEBACK=system/crash (everything, runtime.goexit included).
#
# The traceback formats read (checked against runtime/traceback.go of Go
# 1.19, 1.21, 1.22, 1.23 and 1.26 here, and crash output of real programs
# built by 1.17 to 1.27):
#   goroutine 7 [chan send]:                      (every release)
#   goroutine 7 [chan send, 2 minutes, locked to thread]:
#   goroutine 7 gp=0x... m=nil [chan send]:       (1.21+, at crash level)
#   goroutine 7 gp=0x... m=3 mp=0x... [syscall]:
#   ... [select (scan)] / [chan send (leaked)] / [sleep, synctest bubble 4]
#   ... [select, labels:{"k": "v", ...}]          (GODEBUG=tracebacklabels)
#   main.f(0x1, {0xc0, 0x2}, ...)  +  \tfile.go:12 +0x1f [fp=... sp=... pc=...]
#   main.g(...)  +  \tfile.go:30                  (an inlined frame)
#   panic({0x...})                                (runtime.gopanic)
#   pkg.F[...](...)                               (generics: shapes hidden)
#   ...additional frames elided...                (<= 1.20: after 100 frames)
#   ...12 frames elided...                        (1.21+: first 50, last 50)
#   created by main.g in goroutine 6  +  \tfile.go:40 +0x...   (ends a stack)
#   [originating from goroutine 6]:  + frames     (tracebackancestors)
#   \tgoroutine running on other thread; stack unavailable
#   goroutine 0 [idle]: / goroutine 0 gp=... m=2 mp=... [idle]:  (an M's
#     system stack, at crash level, after "SIGQUIT: quit" and "PC=...")
#   rax 0x0 ... rip, rflags, cs, fs, gs          (each M's registers)
#   -----                                         (between Ms)

# go_dump_norm FILE SKIPFIRST [GOIDS]: goroutines of a Go traceback
# (runtime.Stack output, or a crash's stderr).  SKIPFIRST=1 drops the first
# goroutine (the one that called runtime.Stack, running at the time).
# Goroutine 0 (a thread's system stack in crash output) is dropped.  A
# goroutine printed twice (crash output: tracebackothers, then the thread it
# runs on) keeps its first print, unless that one was "stack unavailable"
# (running on another thread): then the thread's own print wins.  Elided
# frames stay as one frame "...elided N..." (1.21+) or "...elided..."
# (older): go_elide_as turns pileup's full stacks into the same shape.
go_dump_norm() {
	awk -v skipfirst="$2" -v goids="${3:-0}" '
	function flush(   line) {
		if (id == "") return
		line = id "\t" reason "\t" locked "\t" minutes "\t" frames "\t" creator (goids && cgoid != "" ? " in " cgoid : "")
		if (id != "0" && !(skipfirst && first)) {
			if (!(id in rec)) { order[++n] = id; rec[id] = line; unavail[id] = una }
			else if (unavail[id] && !una) { rec[id] = line; unavail[id] = 0 }
		}
		first = 0
		id = ""
	}
	# funcNamePiecesForPrint: the type arguments of a generic function
	# print as "[...]" (first "[" to last "]").
	function goname(s,   i, j) {
		i = index(s, "[")
		if (!i) return s
		for (j = length(s); j > i && substr(s, j, 1) != "]"; j--) ;
		return j > i ? substr(s, 1, i - 1) "[...]" substr(s, j + 1) : s
	}
	BEGIN { first = 1 }
	/^goroutine [0-9]+ (gp=[^ ]+ m=[^ ]+ (mp=[^ ]+ )?)?\[.*\]:$/ {
		flush()
		id = $2
		h = $0; sub(/^[^[]*\[/, "", h); sub(/\]:$/, "", h)
		sub(/, labels:\{.*\}$/, "", h)
		n2 = split(h, parts, ", ")
		reason = parts[1]; sub(/ \(scan\)$/, "", reason)
		locked = "false"; minutes = ""
		for (i = 2; i <= n2; i++) {
			if (parts[i] ~ /^[0-9]+ minutes$/) { split(parts[i], m, " "); minutes = m[1] }
			else if (parts[i] == "locked to thread") locked = "true"
		}
		frames = ""; creator = ""; cgoid = ""; fn = ""; cr = 0; anc = 0; una = 0
		next
	}
	/^-----/ || /^(SIG[A-Z]+|PC=|signal arrived|r[a-z0-9]+ +0x|rflags|cs |fs |gs )/ { flush(); next }
	id == "" { next }
	# An ancestor traceback: its creator goroutine stands for "created by
	# ... in goroutine N" of releases that do not print that; its frames
	# are not this goroutine s.
	/^\[originating from goroutine [0-9]+\]:$/ {
		if (!anc && cgoid == "") { g = $4; sub(/\]:$/, "", g); cgoid = g }
		anc = 1; next
	}
	anc { next }
	/^\tgoroutine running on other thread; stack unavailable/ { una = 1; frames = "?unavailable"; next }
	/^created by / {
		fn = substr($0, 12)
		if (match(fn, / in goroutine [0-9]+$/)) { cgoid = substr(fn, RSTART + 14); fn = substr(fn, 1, RSTART - 1) }
		fn = goname(fn); cr = 1; next
	}
	/^\t/ {
		l = $0; sub(/^\t/, "", l); sub(/ .*$/, "", l); k = split(l, a, ":"); ln = a[k]
		if (cr) creator = fn ":" ln
		else frames = frames (frames == "" ? "" : ",") fn ":" ln
		next
	}
	/^\.\.\.additional frames elided\.\.\.$/ { frames = frames ",...elided..."; next }
	/^\.\.\.[0-9]+ frames elided\.\.\.$/ { e = $1; gsub(/\./, "", e); frames = frames ",...elided " e "..."; next }
	# cgo callers without a symbolizer: not a frame pileup names.
	/^non-Go function at pc=/ { next }
	/^$/ { next }
	{
		fn = $0
		if (match(fn, /\([^()]*\)$/)) fn = substr(fn, 1, RSTART - 1)
		if (fn == "panic") fn = "runtime.gopanic"
		fn = goname(fn)
		cr = 0
	}
	END { flush(); for (i = 1; i <= n; i++) print rec[order[i]] }
	' "$1"
}

# go_dump_msys FILE: the system stack ("goroutine 0") each thread (M) printed
# when it handled the crash signal, as function:line,... one line per M (in
# the order printed); the first thread's may be a user goroutine instead.
go_dump_msys() {
	awk '
	function flush() { if (grab) print frames; grab = 0 }
	/^SIG[A-Z]+: / { flush(); want = 1; next }
	want && /^goroutine 0 (gp=[^ ]+ m=[^ ]+ (mp=[^ ]+ )?)?\[/ { grab = 1; want = 0; frames = ""; next }
	want && /^goroutine [0-9]+ / { want = 0; next }
	grab && (/^$/ || /^r[a-z0-9]+ +0x/ || /^-----/) { flush(); next }
	grab && /^\t/ { l = $0; sub(/^\t/, "", l); sub(/ .*$/, "", l); k = split(l, a, ":"); frames = frames (frames == "" ? "" : ",") fn ":" a[k]; next }
	grab { fn = $0; if (match(fn, /\([^()]*\)$/)) fn = substr(fn, 1, RSTART - 1); next }
	END { flush() }' "$1"
}

# pileup_go_norm JSON LEVEL [GOIDS]: the same from a pileup JSON report.
pileup_go_norm() {
	jq -r --argjson lvl "$2" --argjson goids "${3:-0}" '
	def shown: if $lvl >= 2 then true
		else (.function != null and (.function | contains(".")) and
		      ((.function | startswith("runtime.") | not) or (.function | test("^runtime\\.[A-Z]"))) and
		      (.wrapper | not)) end;
	def goname: if type != "string" then . else
		(index("[")) as $i | if $i == null then . else
		(rindex("]")) as $j | if $j > $i then .[:$i] + "[...]" + .[$j + 1:] else . end end end;
	.goroutines[] | select($lvl >= 2 or (.system | not)) |
	[ (.id | tostring),
	  (if .status == "waiting" and .wait_reason != null then .wait_reason
	   elif .status == "leaked" and .wait_reason != null then "\(.wait_reason) (leaked)" else .status end),
	  (.locked | tostring),
	  (if .wait_minutes >= 1 then (.wait_minutes | tostring) else "" end),
	  ([.frames[] | select(shown) | "\(.function | goname):\(.line)"] | join(",")),
	  (if .created_by == null then ""
	   elif $lvl < 2 and (.created_by.function | test("^runtime\\.[a-z]")) then ""
	   else "\(.created_by.function | goname):\(.created_by.line)" +
		(if $goids == 1 and (.created_by.goroutine // 0) > 0 then " in \(.created_by.goroutine)" else "" end) end)
	] | join("\t")' "$1"
}

# go_elide_as GONORM < PLNORM: pileup's normalized goroutines with their
# stacks cut where the traceback in GONORM (go_dump_norm output) elided
# frames: "...elided N..." keeps as many frames before and after as Go
# printed and stands for the rest, written "...elided M..." with M what
# pileup had in between (so a different count shows up as a difference);
# "...elided..." (older releases) keeps the frames Go printed before it.
go_elide_as() {
	awk -F'\t' -v OFS='\t' '
	NR == FNR {
		if ($5 ~ /\.\.\.elided/) {
			nf = split($5, f, ",")
			for (i = 1; i <= nf && f[i] !~ /^\.\.\.elided/; i++) ;
			before[$1] = i - 1; after[$1] = nf - i; kind[$1] = (f[i] == "...elided..." ? "old" : "new")
		}
		next
	}
	($1 in before) {
		nf = split($5, f, ",")
		b = before[$1]; s = ""
		for (i = 1; i <= b && i <= nf; i++) s = s (s == "" ? "" : ",") f[i]
		if (kind[$1] == "old") { if (nf > b) s = s ",...elided..." }
		else {
			a = after[$1]; mid = nf - b - a
			if (mid > 0) {
				s = s ",...elided " mid "..."
				for (i = nf - a + 1; i <= nf; i++) s = s "," f[i]
			} else for (i = b + 1; i <= nf; i++) s = s "," f[i]
		}
		$5 = s
	}
	{ print }' "$1" -
}

# go_groups_match DESC JSON MANIFEST: for every "group" line the fixture
# printed (reason, site, count), the goroutines whose wait site is that
# function and whose wait reason is that reason number exactly count, and
# so do the members of pileup's goroutine groups at that site.
go_groups_match() {
	local desc=$1 json=$2 manifest=$3 bad
	# one jq run for every group line (a run per line cost a second a build)
	bad=$(grep '^group	' "$manifest" | jq -rRn --slurpfile r "$json" '
		$r[0] as $j |
		[inputs | split("\t") | .[1] as $reason | .[2] as $site | (.[3] | tonumber) as $count |
		 ([$j.goroutines[] | select((.wait_reason // .status) == $reason and .wait_site.function == $site)] | length) as $got |
		 ([$j.groups[] | select(.kind == "goroutine" and .wait == $reason and .wait_site.function == $site) | .count] | add // 0) as $ggot |
		 select($got != $count or $ggot != $count) |
		 "\($reason)/\($site): want \($count), goroutines \($got), groups \($ggot); "] | join("")') ||
		bad="jq could not read $json"
	expect_eq "$desc" "" "$bad"
}

# go_cgo_seams DESC JSON MANIFEST KIND: each thread of the cgo fixture's
# "cthread TID CFUNC GOFUNC" lines, as pileup unwound it, ends as Go's
# traceback ends it: blocked in C under a cgo call, with the C function and
# runtime.asmcgocall (KIND cgo-stripped, cgo-pie: a stripped program has no name for
# its C functions, "??", never another name); a C thread that called back
# into Go, parked in the scheduler above the callback (runtime.mcall).
go_cgo_seams() {
	local desc=$1 json=$2 manifest=$3 kind=$4 bad="" tid cfn gofn got c want
	while IFS=$'\t' read -r _ tid cfn gofn; do
		got=$(jq -r --argjson t "$tid" '.threads[] | select(.tid == $t) | [.frames[] | .function // "??"] | join(" ")' "$json")
		c=$cfn
		case $kind in cgo-stripped | cgo-pie) c='??' ;; esac
		case $cfn in
		c_callback_thread) want="runtime.mcall" ;;
		*) want="$c runtime.asmcgocall" ;;
		esac
		[[ "$got" == *"$want" ]] || [[ "$got" == *"$cfn runtime.asmcgocall" ]] || bad+="$tid ($cfn): $got; "
	done < <(grep '^cthread' "$manifest")
	[ -n "$(grep '^cthread' "$manifest")" ] || bad="the fixture listed no thread in C"
	expect_eq "$desc" "" "$bad"
}

# go_preempt_unline RELEASE < NORM: Go 1.20 and older print the frame that
# an asynchronous preemption interrupted (the one after runtime.asyncPreempt)
# with the line of the instruction before the interrupted one (gentraceback
# backs up every pc but sigpanic's: traceback.go:416 at go1.19); pileup
# names the interrupted instruction's own line, as Go 1.21 and later print
# it.  For those releases that one line number becomes "?" (on both sides);
# other releases pass through.
go_preempt_unline() {
	case $1 in
	go1.1[0-9] | go1.1[0-9].* | go1.20 | go1.20.*) sed 's/\(runtime\.asyncPreempt:[0-9]*,[^,:	]*:\)[0-9]*/\1?/' ;;
	*) cat ;;
	esac
}
