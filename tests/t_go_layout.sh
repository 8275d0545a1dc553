#!/bin/bash
# The Go runtime's layout, for every toolchain built in fixtures/bin/go/VER
# (fixtures/go/leaks built plain, stripped and stripped PIE): pileup's
# table for that release equals the binary's DWARF fact by fact (every
# offset and size, status value, funcID, flag, kind, constant); the facts
# only the table has each say how they were checked; the table's wait
# reasons equal the binary's own runtime.waitReasonStrings; without
# symbols the runtime's globals are found where the symbols put them; the
# stripped builds list the fixture's goroutines from the table; versions
# map to their series or are refused by name; the semaphore table
# (what goroutines wait on before go1.26) is found and its layout known.
. "$(dirname "$0")/lib.sh"

ARGS=(-recv 2 -first-error 3 -http 1 -select-case 1 -locked 1)

# dump MODE PID: pileup's layout facts for the target, one per line.
dump() {
	PILEUP_GO_LAYOUT=$1 PILEUP_GO_DWARF_FULL=1 PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json=1 "$2" 2>&1 >/dev/null |
		grep '^golayout '
}
# facts FILE: "kind name value [size]" of each known fact.
facts() { awk '$2 == "field" { print $2, $3, $4, $5 } $2 == "size" || $2 == "const" { print $2, $3, $4 }' "$1" | sort; }
names() { awk '$2 == "field" || $2 == "size" || $2 == "const" { print $3 }' "$1" | sort; }
# funcid_mismatch FILE: special functions whose funcID is not the layout's.
funcid_mismatch() {
	awk '$2 == "const" { c[$3] = $4 }
		$2 == "funcid" && $5 != 0 && c[$3] != $5 { printf "%s: %s, table %s; ", $4, $5, c[$3] }' "$1"
}

# typedesc_ok FILE: the layout was compared with the binary's own type
# descriptors, over 150 facts, none different.
typedesc_ok() { awk '$2 == "typedesc-summary" && $3 > 150 && $4 == "-" { ok = 1 } END { exit !ok }' "$1"; }
typedesc_summary() { awk '$2 == "typedesc-summary" { print $3 " facts, first different: " $4 }' "$1"; }

# groups_found JSON OUT: each manifest group (wait reason, site function,
# count) has at least that many goroutines with that reason and that
# function on their stack; prints the groups that do not.
groups_found() {
	local reason site count got
	while IFS=$'\t' read -r _ reason site count; do
		got=$(jq --arg r "$reason" --arg s "$site" \
			'[.goroutines[] | select(.wait_reason == $r and ([.frames[].function] | index($s)))] | length' "$1")
		[ "$got" -ge "$count" ] || printf '%s %s: %s of %s; ' "$reason" "$site" "$got" "$count"
	done < <(grep '^group' "$2")
}

ran=0
for ver in 1.19 1.21 1.22 1.23 1.26 1.27; do
	dir=$FIX/go/$ver
	if [ ! -x "$dir/leaks" ] || [ ! -s "$dir/version" ]; then
		echo "# go$ver: no build in $dir (make -C fixtures), skipped"
		continue
	fi
	ran=$((ran + 1))
	full=$(awk '{print $3}' "$dir/version") # go1.22.12
	series=${full%.*}
	[ "$series" = "go1" ] && series=$full # "go1.21" has no patch part
	[[ $full =~ ^go1\.[0-9]+$ ]] && series=$full

	start_fixture "$dir/leaks" "${ARGS[@]}" || exit 1
	dump dwarf "$FX_PID" >"$TMP/d.txt"
	dump table "$FX_PID" >"$TMP/t.txt"
	dump stripped "$FX_PID" >"$TMP/s.txt"
	stop_fixture "$FX_PID"

	check "$full: the DWARF path reads the layout" grep -q '^golayout source DWARF' "$TMP/d.txt"
	check "$full: $(wc -l <"$TMP/d.txt") lines of facts from DWARF" test "$(facts "$TMP/d.txt" | wc -l)" -gt 250
	check "$full: the table used is $series's" grep -qx "golayout source table $series" "$TMP/t.txt"
	check "$full: the table says it was checked against this build's DWARF" \
		grep -qx "golayout checked DWARF of $full build (tests/t_go_layout.sh)" "$TMP/t.txt"
	# Every fact of the DWARF, the same in the table (offset and size,
	# structure size, constant value).
	expect_eq "$full: table equals DWARF, fact by fact" "" \
		"$(comm -23 <(facts "$TMP/d.txt" | sed 's/ dwarf$//') <(facts "$TMP/t.txt" | sed 's/ table$//') | tr '\n' ';')"
	expect_eq "$full: the DWARF has no fact the table lacks" "" \
		"$(comm -23 <(names "$TMP/d.txt") <(names "$TMP/t.txt") | tr '\n' ' ')"
	# What the table has and the DWARF does not (constants Go did not
	# emit) says where it comes from.
	only=$(comm -13 <(names "$TMP/d.txt") <(names "$TMP/t.txt"))
	unnoted=""
	for n in $only; do
		grep -qE "^golayout (field|size|const) $n .* note: source " "$TMP/t.txt" || unnoted+="$n "
	done
	expect_eq "$full: the table's $(wc -w <<<"$only") facts beyond the DWARF each name their source" "" "$unnoted"
	# Wait reasons: the table's (stripped mode reads no symbol) against
	# the binary's runtime.waitReasonStrings (found through DWARF).
	check "$full: the binary's wait reasons were read" test "$(grep -c '^golayout wait ' "$TMP/d.txt")" -gt 20
	expect_eq "$full: table wait reasons equal runtime.waitReasonStrings" \
		"$(grep '^golayout wait ' "$TMP/d.txt")" "$(grep '^golayout wait ' "$TMP/s.txt")"
	# The funcID the pclntab gives each of the runtime's special
	# functions is the table's (0: the function carries none).
	expect_eq "$full: the pclntab's funcIDs are the table's" "" "$(funcid_mismatch "$TMP/s.txt")"
	check "$full: funcIDs of at least 15 special functions compared" \
		test "$(grep -c '^golayout funcid ' "$TMP/s.txt")" -ge 15
	# Globals found in the code, where the symbols say they are.
	for g in firstmoduledata allgs allglen allm allp mheap memstats semtable; do
		want=$(awk -v g="$g" '$2 == "global" && $3 == g {print $4}' "$TMP/d.txt")
		got=$(awk -v g="$g" '$2 == "global" && $3 == g {print $4}' "$TMP/s.txt")
		check "$full: runtime.$g has a symbol" test "$want" != 0x0
		expect_eq "$full: runtime.$g found without symbols, where the symbol says" "$want" "$got"
	done

	# What goroutines wait on (go/waits.c): the semaphore table by its
	# symbol (its semaRoot facts are among those compared above).
	check "$full: runtime.semtable located by its symbol" grep -q '^golayout global semtable 0x[1-9a-f]' "$TMP/d.txt"
	expect_eq "$full: the semaphore table's layout is known (semaRoot.treap, its size, semTabSize)" "sr_size sr_treap c_semtabsize" \
		"$(awk '$2 == "field" && $3 == "sr_treap" { t = $3 } $2 == "size" && $3 == "sr_size" { z = $3 } $2 == "const" && $3 == "c_semtabsize" { c = $3 }
			END { print z, t, c }' "$TMP/t.txt")"

	# The stripped builds: the table, the globals, the goroutines.
	for build in leaks-stripped leaks-pie; do
		start_fixture "$dir/$build" "${ARGS[@]}" || exit 1
		PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json=1 "$FX_PID" >"$TMP/$build.json" 2>"$TMP/$build.err"
		check "$full $build: layout from the $series table" grep -qx "golayout source table $series" "$TMP/$build.err"
		missing=$(for g in allgs allm allp mheap memstats; do
			grep -q "^golayout global $g 0x[1-9a-f]" "$TMP/$build.err" || printf '%s ' "$g"
		done)
		expect_eq "$full $build: allgs, allm, allp, mheap_, memstats found in the code" "" "$missing"
		expect_eq "$full $build: every goroutine group of the fixture listed" "" "$(groups_found "$TMP/$build.json" "$FX_OUT")"
		check "$full $build: the table equals the binary's own type descriptors ($(typedesc_summary "$TMP/$build.err"))" \
			typedesc_ok "$TMP/$build.err"
		stop_fixture "$FX_PID"
	done
done
check "at least one toolchain build to check" test "$ran" -gt 0

# Versions: a patch release maps to its series, a pre-release or an
# unknown release is refused by name (the same-length version string is
# patched into a copy of a stripped build).
if [ -x "$FIX/go/1.22/leaks-stripped" ] && [ -s "$FIX/go/1.22/version" ]; then
	ver=$(awk '{print $3}' "$FIX/go/1.22/version")
	for fake in go1.22.99 go1.22rc1 go1.98.12; do
		fake=${fake:0:${#ver}}
		while [ ${#fake} -lt ${#ver} ]; do fake+=0; done
		cp "$FIX/go/1.22/leaks-stripped" "$TMP/go-fake"
		for off in $(grep -abo -- "$ver" "$TMP/go-fake" | cut -d: -f1); do
			printf '%s' "$fake" | dd of="$TMP/go-fake" bs=1 seek="$off" conv=notrunc status=none
		done
		start_fixture "$TMP/go-fake" "${ARGS[@]}" || exit 1
		PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json=1 "$FX_PID" >"$TMP/fake.json" 2>"$TMP/fake.err"
		n=$(jq '.target.goroutines' "$TMP/fake.json")
		case $fake in
		go1.22.*)
			check "version $fake: read with the go1.22 table" grep -qx "golayout source table go1.22" "$TMP/fake.err"
			check "version $fake: goroutines listed" test "$n" -gt 10
			;;
		*)
			check "version $fake: refused by name" grep -q "built with $fake, whose runtime layout" "$TMP/fake.err"
			expect_eq "version $fake: no goroutine listed" 0 "$n"
			;;
		esac
		stop_fixture "$FX_PID"
	done
fi

# A table that is wrong for the binary (offsets off by 8, injected) is
# caught by the program's own type descriptors: a few wrong facts (a point
# release that moved a field) take the descriptors' values, and the
# goroutines are the same; a table they contradict wholesale is refused.
if [ -x "$FIX/go/1.22/leaks-stripped" ]; then
	start_fixture "$FIX/go/1.22/leaks-stripped" "${ARGS[@]}" || exit 1
	"$PILEUP" --json=1 "$FX_PID" >"$TMP/nofault.json"
	for f in g_goid ch_qcount; do
		PILEUP_GO_LAYOUT_FAULT=$f PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json=1 "$FX_PID" >"$TMP/fault.json" 2>"$TMP/fault.err"
		check "wrong $f in the table: the binary's own value taken" \
			grep -qE "^golayout field $f [0-9]+ [0-9]+ typedesc$" "$TMP/fault.err"
		expect_eq "wrong $f in the table: the same goroutines" \
			"$(jq -c '[.goroutines[] | [.id, .wait_reason]]' "$TMP/nofault.json")" \
			"$(jq -c '[.goroutines[] | [.id, .wait_reason]]' "$TMP/fault.json")"
	done
	PILEUP_GO_LAYOUT_FAULT='*' "$PILEUP" --json=1 "$FX_PID" >"$TMP/fault.json" 2>"$TMP/fault.err"
	check "a table of another layout: refused, naming the descriptors" \
		grep -q "disagrees with the program's own type descriptors (.*); goroutines are not listed" "$TMP/fault.err"
	expect_eq "a table of another layout: no goroutine listed" 0 "$(jq .target.goroutines "$TMP/fault.json")"
	stop_fixture "$FX_PID"
fi

# Real programs nobody here wrote (fixtures/realgo.sh's cache of npm
# packages; REALGO names another copy of the script): for the releases
# without a toolchain here these are what the tables were checked on.
# Each is made to block (esbuild serving on a free loopback port, lefthook
# waiting for two hook commands), then read from its release's table:
# every global found and checked, the funcIDs agreeing, goroutines listed.
REALGO=${REALGO:-$ROOT/fixtures/realgo.sh}
# free_port: a loopback TCP port nothing listens on (tests/helpers/loopport
# when built, else one not in /proc/net/tcp*).
free_port() {
	if [ -x "$ROOT/tests/helpers/loopport" ]; then
		"$ROOT/tests/helpers/loopport" free
		return
	fi
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		awk -v h="$(printf ':%04X' "$p")" '$2 ~ h "$" { f = 1 } END { exit f }' /proc/net/tcp /proc/net/tcp6 && break
	done
	echo "$p"
}
# start_real KIND BIN DIR: starts BIN blocked in DIR, sets FX_PID.
start_real() {
	local kind=$1 bin=$2 dir=$3 i
	mkdir -p "$dir"
	case $kind in
	esbuild)
		echo 'export const answer = 42' >"$dir/in.js"
		mkfifo "$dir/stdin"
		exec {REAL_FD}<>"$dir/stdin"
		(cd "$dir" && exec "$bin" in.js --bundle --outdir=out --serve=127.0.0.1:"$(free_port)" <&"$REAL_FD" >out.txt 2>err.txt) &
		;;
	lefthook)
		git init -q "$dir" || return 1
		printf 'wait:\n  parallel: true\n  commands:\n    one:\n      run: sleep 600\n    two:\n      run: sleep 600\n' >"$dir/lefthook.yml"
		(cd "$dir" && HOME=$dir exec "$bin" run wait >out.txt 2>err.txt) &
		;;
	esac
	FX_PID=$!
	fx_track "$FX_PID"
	for ((i = 0; i < 100; i++)); do
		case $kind in
		esbuild) grep -qs 'http://127.0.0.1' "$dir/err.txt" && break ;;
		lefthook) [ "$(cat /proc/"$FX_PID"/task/*/children 2>/dev/null | wc -w)" -ge 2 ] && break ;;
		esac
		sleep 0.1
	done
	sleep 0.3
	kill -0 "$FX_PID" 2>/dev/null
}
real=0
if [ -x "$REALGO" ]; then
	while read -r release bin; do
		case $bin in
		*/esbuild) kind=esbuild ;;
		*/lefthook) kind=lefthook ;;
		*) continue ;; # buf needs a server to wait for: t_go_real.sh has one
		esac
		series=$(sed -E 's/^(go1\.[0-9]+).*/\1/' <<<"$release")
		dir=$TMP/real-$release-$kind
		start_real "$kind" "$bin" "$dir" || { check "$release $kind: blocked" false; continue; }
		PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json=1 "$FX_PID" >"$dir/p.json" 2>"$dir/p.err"
		stop_fixture "$FX_PID"
		# The reader may refuse the binary before the layout is reached (a
		# pclntab format it does not read yet): that is not this test's.
		if ! grep -q '^golayout source ' "$dir/p.err"; then
			echo "# $release $(basename "$bin"): layout not reached: $(grep -m1 'Go:' "$dir/p.err")"
			continue
		fi
		real=$((real + 1))
		check "$release $kind: read with the $series table" grep -qx "golayout source table $series" "$dir/p.err"
		missing=$(for g in allgs allm allp mheap memstats; do
			grep -q "^golayout global $g 0x[1-9a-f]" "$dir/p.err" || printf '%s ' "$g"
		done)
		expect_eq "$release $kind: allgs, allm, allp, mheap_, memstats found and checked" "" "$missing"
		expect_eq "$release $kind: the pclntab's funcIDs are the table's" "" "$(funcid_mismatch "$dir/p.err")"
		check "$release $kind: goroutines listed" test "$(jq .target.goroutines "$dir/p.json")" -gt 3
		check "$release $kind: the table equals the binary's own type descriptors ($(typedesc_summary "$dir/p.err"))" \
			typedesc_ok "$dir/p.err"
	done < <("$REALGO" --cached 2>/dev/null)
fi
[ "$real" -gt 0 ] || echo "# no real Go program cached ($REALGO --cached): that part skipped"

finish
