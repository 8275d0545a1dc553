#!/bin/bash
# The Go runtime's layout, for every toolchain built in fixtures/bin/go/VER
# (fixtures/go/leaks built plain, stripped and stripped PIE): pileup's
# table for that release equals the binary's DWARF fact by fact (every
# offset and size, status value, funcID, flag, kind, constant); the facts
# only the table has each say how they were checked; the table's wait
# reasons equal the binary's own runtime.waitReasonStrings; without
# symbols the runtime's globals are found where the symbols put them; the
# stripped builds list the fixture's goroutines from the table; versions
# map to their series or are refused by name.
. "$(dirname "$0")/lib.sh"

ARGS=(-recv 2 -first-error 3 -http 1 -select-case 1 -locked 1)

# dump MODE PID: pileup's layout facts for the target, one per line.
dump() {
	PILEUP_GO_LAYOUT=$1 PILEUP_GO_DWARF_FULL=1 PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json "$2" 2>&1 >/dev/null |
		grep '^golayout '
}
# facts FILE: "kind name value [size]" of each known fact.
facts() { awk '$2 == "field" { print $2, $3, $4, $5 } $2 == "size" || $2 == "const" { print $2, $3, $4 }' "$1" | sort; }
names() { awk '$2 == "field" || $2 == "size" || $2 == "const" { print $3 }' "$1" | sort; }

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
	# Globals found in the code, where the symbols say they are.
	for g in firstmoduledata allgs allm allp mheap memstats; do
		want=$(awk -v g="$g" '$2 == "global" && $3 == g {print $4}' "$TMP/d.txt")
		got=$(awk -v g="$g" '$2 == "global" && $3 == g {print $4}' "$TMP/s.txt")
		check "$full: runtime.$g has a symbol" test "$want" != 0x0
		expect_eq "$full: runtime.$g found without symbols, where the symbol says" "$want" "$got"
	done

	# The stripped builds: the table, the globals, the goroutines.
	for build in leaks-stripped leaks-pie; do
		start_fixture "$dir/$build" "${ARGS[@]}" || exit 1
		PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json "$FX_PID" >"$TMP/$build.json" 2>"$TMP/$build.err"
		check "$full $build: layout from the $series table" grep -qx "golayout source table $series" "$TMP/$build.err"
		missing=$(for g in allgs allm allp mheap memstats; do
			grep -q "^golayout global $g 0x[1-9a-f]" "$TMP/$build.err" || printf '%s ' "$g"
		done)
		expect_eq "$full $build: allgs, allm, allp, mheap_, memstats found in the code" "" "$missing"
		expect_eq "$full $build: every goroutine group of the fixture listed" "" "$(groups_found "$TMP/$build.json" "$FX_OUT")"
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
		PILEUP_GO_LAYOUT_DUMP=1 "$PILEUP" --json "$FX_PID" >"$TMP/fake.json" 2>"$TMP/fake.err"
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

finish
