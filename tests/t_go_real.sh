#!/bin/bash
# Real Go programs nobody here wrote (fixtures/realgo.sh: npm's esbuild, buf
# and lefthook, pinned by version, at least one built by each Go release
# 1.17-1.27, all stripped, two without .go.buildinfo), with Go's own crash
# traceback as the oracle.  Each program is started blocked (esbuild serving
# on a free loopback port, buf curl waiting for a loopback server that never
# answers, lefthook waiting for two hook commands), under GOTRACEBACK=crash;
# pileup reads it live twice, then SIGQUIT makes the runtime print every
# goroutine (system goroutines, runtime frames and wrappers included: level
# 2) and dump core.  Compared goroutine by goroutine: id, status or wait
# reason, locked, minutes, functions:lines, creator and its goroutine id.
#
# Live, the program ran on between pileup's reads and the signal.  A
# goroutine may differ from the traceback only if pileup saw it change
# between its two reads (or running/runnable in either), or it was created
# after them, or it is one of the runtime's own background workers (created
# by a runtime function) in a timed sleep, which its timer may end at any
# moment after the second read (go1.19's scavenger was seen moving from
# its sleep to its park under load); every other one must match exactly,
# and those excused must be at most a fifth of the traceback's (an empty or
# wrong report never passes as "changed").  The core is the traceback's own moment: no excuse there.
#
# Then the failure mode "Go not recognized": copies without section headers
# (tests/helpers/elfcut), and without .go.buildinfo as well, of a fixture
# build and of an npm binary, read live and from their cores, against their
# own tracebacks.
#
# Every check names the binary; the summary at the end lists, per binary,
# the first check that failed.  Skips (with a note) when no pinned binary is
# installed and npm or the registry cannot install them.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/go_oracle.sh"

LOOPPORT=$ROOT/tests/helpers/loopport
ELFCUT=$ROOT/tests/helpers/elfcut
for h in "$LOOPPORT" "$ELFCUT"; do
	[ -x "$h" ] || { check "helper $(basename "$h") built (make $h)" false; finish; exit; }
done

list=$("$ROOT/fixtures/realgo.sh" 2>"$TMP/realgo.err")
if [ -z "$list" ]; then
	echo "ok - # SKIP no real Go program installed, and npm could not install them: $(head -n 1 "$TMP/realgo.err")"
	finish
	exit
fi
while read -r l; do echo "# $l (skipped)"; done <"$TMP/realgo.err"

cores=1
if [ "$(cat /proc/sys/kernel/core_pattern)" != core ]; then
	echo "# core_pattern is '$(cat /proc/sys/kernel/core_pattern)', not 'core': no core lands in the cwd, core checks skipped"
	cores=0
fi

# --- per-binary bookkeeping: the first failed check of each -------------
LABEL=
declare -A FIRST
ORDER=()
r_check() {
	local f=$FAIL
	check "$LABEL: $1" "${@:2}"
	[ "$FAIL" -gt "$f" ] && [ -z "${FIRST[$LABEL]:-}" ] && FIRST[$LABEL]=$1
	[ "$FAIL" -eq "$f" ]
}
r_eq() {
	local f=$FAIL got
	expect_eq "$LABEL: $1" "$2" "$3"
	if [ "$FAIL" -gt "$f" ] && [ -z "${FIRST[$LABEL]:-}" ]; then
		got=$(head -n 1 <<<"$3")
		got=${got//"$BIN"/BIN}
		FIRST[$LABEL]="$1 -- got: ${got:0:160}"
	fi
	[ "$FAIL" -eq "$f" ]
}

# wait_for SECONDS CMD...: polls CMD every 50 ms.
wait_for() {
	local n=$(($1 * 20)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# connected PID PORT: PID holds a TCP connection established to loopback PORT.
connected() {
	local inodes ino
	inodes=$(ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$inodes" ] || return 1
	for ino in $(awk -v p="$(printf ':%04X' "$2")" '$3 ~ p"$" && $4 == "01" { print $10 }' /proc/net/tcp); do
		grep -qx "$ino" <<<"$inodes" && return 0
	done
	return 1
}

# children PID: PID's children and theirs (the hook commands lefthook runs).
children() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		children "$c"
	done
}

two_kids() { [ "$(children "$1" | wc -l)" -ge 2 ]; }

# start_blocked KIND BIN DIR: starts BIN in DIR under GOTRACEBACK=crash with
# cores allowed, its stdin a FIFO the test holds open (esbuild and buf would
# stop at EOF), and waits until it blocks where KIND blocks.  Sets TG_PID (and
# TG_WRAP, its parent).
start_blocked() {
	local kind=$1 bin=$2 dir=$3 args=() port
	mkdir -p "$dir"
	mkfifo "$dir/stdin"
	exec {TG_FD}<>"$dir/stdin"
	case $kind in
	esbuild)
		echo 'export const answer = 42' >"$dir/in.js"
		port=$("$LOOPPORT" free) || return 1
		args=(in.js --bundle --outdir=out --serve=127.0.0.1:"$port")
		;;
	buf)
		"$LOOPPORT" hold >"$dir/hold.port" &
		fx_track $!
		wait_for 5 test -s "$dir/hold.port" || return 1
		port=$(cat "$dir/hold.port")
		args=(curl --http2-prior-knowledge --data @- http://127.0.0.1:"$port"/pileup.test.v1.Blocked/Wait)
		;;
	lefthook)
		git init -q "$dir" || return 1
		printf 'wait:\n  parallel: true\n  commands:\n    one:\n      run: sleep 600\n    two:\n      run: sleep 600\n' >"$dir/lefthook.yml"
		args=(run wait)
		;;
	leaks)
		# (no -mutex, -waitgroup: the fixture counts them by wait reasons that
		# newer releases renamed)
		args=(-producers 2 -recv 3 -http 2 -locked 1 -first-error 2 -select-case 2)
		;;
	*)
		echo "# no way known to make $(basename "$bin") block" >"$dir/err.txt"
		return 1
		;;
	esac
	# Started by a subshell of its own that reaps it (bash would report
	# "Aborted (core dumped)" on this script's stderr).
	(
		(
			cd "$dir" || exit 1
			ulimit -c unlimited
			HOME=$dir GOTRACEBACK=crash exec "$bin" "${args[@]}" <&"$TG_FD" >out.txt 2>err.txt
		) &
		echo $! >"$dir/pid"
		wait
	) 2>/dev/null &
	TG_WRAP=$!
	wait_for 5 test -s "$dir/pid" || return 1
	TG_PID=$(cat "$dir/pid")
	fx_track "$TG_PID"
	case $kind in
	esbuild) wait_for 20 grep -qs "127.0.0.1:$port" "$dir/err.txt" ;;
	buf) wait_for 20 connected "$TG_PID" "$port" ;;
	lefthook) wait_for 20 two_kids "$TG_PID" && fx_track $(children "$TG_PID") ;;
	leaks) wait_for 20 grep -qs '^ready ' "$dir/out.txt" ;;
	esac || return 1
	sleep 0.3 # what it starts once blocked (idle GC workers...)
	kill -0 "$TG_PID" 2>/dev/null
}

# dead PID: PID has exited (a zombie until reaped counts).
dead() {
	local st
	st=$(sed 's/.*) //' /proc/"$1"/stat 2>/dev/null) || return 0
	[ -z "$st" ] || [ "${st:0:1}" = Z ]
}

# crash PID: SIGQUIT, then waits (20 s at most) for the runtime to print
# its traceback, dump core and die; whatever it started dies with it.
crash() {
	local kids rc
	kids=$(children "$1")
	kill -QUIT "$1"
	wait_for 20 dead "$1"
	rc=$?
	kill -KILL "$1" $kids 2>/dev/null
	wait "$TG_WRAP" 2>/dev/null
	return $rc
}

# live_match GO L1 L2: the live comparison (see the header), as the lines
# that differ; "N changed, N new, of M" on fd 4.
live_match() {
	awk -F'\t' '
	FILENAME == ARGV[1] { g[$1] = $0; next }
	FILENAME == ARGV[2] { a[$1] = $0; next }
	{ b[$1] = $0 }
	END {
		tot = 0; chg = 0; new = 0; nb = 0
		for (id in g) tot++
		for (id in b) {
			nb++
			split(b[id], f, "\t")
			if (!((id in a) && a[id] == b[id] && f[2] != "running" && f[2] != "runnable")) { chg++; continue }
			if ((id in g) && g[id] != b[id] && f[2] == "sleep" && f[length(f)] ~ /^runtime\./) { chg++; continue }
			if (!(id in g)) print "gone\t" b[id]
			else if (g[id] != b[id]) { print "pileup\t" b[id]; print "go    \t" g[id] }
		}
		for (id in g) if (!(id in b)) { if (id in a) print "gone live\t" g[id]; else new++ }
		printf "%d changed, %d new, of %d", chg, new, tot > "/dev/fd/4"
		if (nb == 0) print "pileup listed no goroutine, the traceback " tot
		else if (tot == 0 || (chg + new) * 5 > tot) print (chg + new) " of " tot " goroutines changed or new: more than a fifth"
	}' "$1" "$2" "$3"
}

# one LABEL KIND REL BIN: everything for one binary.
one() {
	LABEL=$1 BIN=$4
	local kind=$2 rel=$3 bin=$4 dir=$TMP/run$((${#ORDER[@]}))
	ORDER+=("$LABEL")
	if ! start_blocked "$kind" "$bin" "$dir"; then
		r_check "started and blocked (stderr: $(head -c 300 "$dir/err.txt" 2>/dev/null | tr '\n' ' '))" false
		exec {TG_FD}>&-
		return
	fi
	"$PILEUP" --json=1 "$TG_PID" >"$dir/l1.json" 2>"$dir/l1.err"
	sleep 0.2
	"$PILEUP" --json=1 "$TG_PID" >"$dir/l2.json" 2>"$dir/l2.err"
	local rc=$?
	r_check "target not left stopped" not_stopped "$TG_PID"
	r_check "SIGQUIT: the runtime printed its goroutines and died" crash "$TG_PID"
	exec {TG_FD}>&-
	r_check "traceback printed" grep -q '^goroutine 1 ' "$dir/err.txt" || return
	go_dump_norm "$dir/err.txt" 0 1 | go_preempt_unline "$rel" >"$dir/go.txt"

	r_eq "live: Go recognized, its version" "$rel" "$(jq -r '.target.go_version // "not Go"' "$dir/l2.json" 2>/dev/null)"
	r_eq "live: exit 0, no warning" "0 " "$rc $(head -c 300 "$dir/l2.err" | tr '\n' ' ')"
	r_eq "live: threads unwound completely, every frame named" "" \
		"$(jq -r '.threads[] | select(.error or any(.frames[]; .function == null)) | "\(.tid): \(.error // "a frame without a function")"' "$dir/l2.json" 2>/dev/null)"
	local n
	for n in 1 2; do
		pileup_go_norm "$dir/l$n.json" 2 1 2>/dev/null | go_preempt_unline "$rel" | go_elide_as "$dir/go.txt" >"$dir/p$n.txt"
	done
	local diffs
	diffs=$(live_match "$dir/go.txt" "$dir/p1.txt" "$dir/p2.txt" 4>"$dir/excused")
	r_eq "live: every goroutine as the traceback but those that changed between pileup's two reads or are new since ($(cat "$dir/excused"))" "" "$diffs"

	[ "$cores" = 1 ] || return
	r_check "core dumped" test -s "$dir/core" || return
	"$PILEUP" --json=1 "$dir/core" "$bin" >"$dir/c.json" 2>"$dir/c.err"
	rc=$?
	r_eq "core: Go recognized, its version" "$rel" "$(jq -r '.target.go_version // "not Go"' "$dir/c.json" 2>/dev/null)"
	r_eq "core: exit 0, no warning" "0 " "$rc $(head -c 300 "$dir/c.err" | tr '\n' ' ')"
	pileup_go_norm "$dir/c.json" 2 1 2>/dev/null | go_preempt_unline "$rel" | go_elide_as "$dir/go.txt" >"$dir/pc.txt"
	r_eq "core: every goroutine exactly as the traceback ($(wc -l <"$dir/go.txt") goroutines)" "" \
		"$(diff <(sort -n "$dir/go.txt") <(sort -n "$dir/pc.txt"))"
	# Each thread (M) that handled SIGQUIT printed the system stack it was
	# on: a thread of the core has it, past its signal handler.
	go_dump_msys "$dir/err.txt" | sort -u >"$dir/m.txt"
	jq -r '.threads[] | [.frames[] | "\(.function):\(.line)"] as $f |
		([$f | to_entries[] | select(.value | startswith("runtime.sigtramp:")) | .key] | last) as $i |
		if $i == null then empty else ($f[$i + 1:] | join(",")) end' "$dir/c.json" 2>/dev/null | sort -u >"$dir/t.txt"
	r_eq "core: every system stack the runtime printed is a thread's, past its signal handler" "" \
		"$(comm -23 "$dir/m.txt" "$dir/t.txt")"
	r_eq "core: threads unwound completely, every frame named" "" \
		"$(jq -r '.threads[] | select(.error or any(.frames[]; .function == null)) | "\(.tid): \(.error // "a frame without a function")"' "$dir/c.json" 2>/dev/null)"
	rm -f "$dir/core"
}

# pkg_of BIN: the npm package@version an installed binary came from (or
# BIN itself, for one from elsewhere).
pkg_of() {
	local p=${1#"$ROOT"/fixtures/bin/npm/}
	[ "$p" != "$1" ] || { printf '%s' "$1"; return; }
	p=${p%%/*}
	printf '%s' "${p//+//}"
}

# kind_of BIN: how to make it block, from its name.
kind_of() {
	case $(basename "$1") in
	esbuild*) echo esbuild ;;
	buf*) echo buf ;;
	lefthook*) echo lefthook ;;
	*leaks*) echo leaks ;;
	*) echo unknown ;;
	esac
}

# --- the pinned programs --------------------------------------------------
# T_GO_REAL_EXTRA="release path ..." adds other builds of these programs (or
# of fixtures/go/leaks) to the run; T_GO_REAL_ONLY=TEXT keeps the binaries
# whose label contains TEXT.
while read -r rel bin; do
	[ -n "$rel" ] || continue
	label="$rel $(pkg_of "$bin")"
	[[ "$label" == *"${T_GO_REAL_ONLY:-}"* ]] || continue
	one "$label" "$(kind_of "$bin")" "$rel" "$bin"
done < <(printf '%s\n' "$list"; xargs -n 2 <<<"${T_GO_REAL_EXTRA:-}")

# --- Go not recognized by section names ------------------------------------
# A fixture build (Debian's go1.19, the release pileup reads today) and an
# npm binary (the first buf: its buildinfo holds the module path too).
cutsrc=()
[ -x "$FIX/go-leaks-stripped" ] && cutsrc+=("leaks $(/usr/lib/go-1.19/bin/go version | awk '{print $3}') $FIX/go-leaks-stripped")
npm_buf=$(awk '$2 ~ /\/buf$/ { print $1, $2; exit }' <<<"$list")
[ -n "$npm_buf" ] && cutsrc+=("buf $npm_buf")
for c in "${cutsrc[@]}"; do
	read -r kind rel src <<<"$c"
	if [ "$kind" = leaks ]; then name=fixtures/go-leaks-stripped; else name=$(pkg_of "$src"); fi
	[[ "$rel $name" == *"${T_GO_REAL_ONLY:-}"* ]] || continue
	"$ELFCUT" "$src" "$TMP/$kind-noshdr" && "$ELFCUT" --wipe-buildinfo "$src" "$TMP/$kind-nobuildinfo"
	check "elfcut: copies of $name without section headers" test -x "$TMP/$kind-nobuildinfo"
	check "elfcut: no section header left, no buildinfo blob in the second" \
		test "$(readelf -hW "$TMP/$kind-nobuildinfo" | awk '/Number of section headers/ { print $NF }')/$(grep -c -a 'Go buildinf:' "$TMP/$kind-nobuildinfo")" = "0/0"
	one "$rel $name, no section headers" "$kind" "$rel" "$TMP/$kind-noshdr"
	one "$rel $name, no section headers nor .go.buildinfo" "$kind" "$rel" "$TMP/$kind-nobuildinfo"
done

echo "# per binary, the first check that failed:"
for l in "${ORDER[@]}"; do
	printf '#   %s: %s\n' "$l" "${FIRST[$l]:-PASS}"
done
finish
