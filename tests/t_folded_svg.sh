#!/bin/bash
# --folded and --svg: folded stacks are the groups' frames outermost first
# with the wait as the leaf, and their counts add up to threads +
# goroutines; the SVG graph is well-formed XML with one titled rectangle
# per node of the merged stacks, the dominant wait sites highlighted, names
# from the target escaped, and it renders in headless Chromium to a picture
# that is not blank.  Threads (fixtures/bin/waits) and goroutines
# (fixtures/bin/go-leaks), and hostile names in a saved report.
. "$(dirname "$0")/lib.sh"

PNGSTAT=$ROOT/tests/helpers/pngstat
RED=d7191c # the dominant wait site's colour in report_svg.c

# jq: a frame's name as folded stacks and the graph spell it.
JQ_NAME='def name: .function // ("\((.module // "??") | split("/") | last)+\(.offset)");'

# folded_from_json JSON: the folded stacks the report's groups should give:
# names outermost first, the wait as leaf, equal lines summed, ranked.
folded_from_json() {
	jq -r "$JQ_NAME"' .groups[] | .wait as $w | "\(.count)\t\([.frames[] | name] | reverse + ["[\($w)]"] | join(";"))"' "$1" |
		awk -F'\t' '{ n[$2] += $1 } END { for (k in n) printf "%d\t%s\n", n[k], k }' |
		LC_ALL=C sort -t$'\t' -k1,1nr -k2,2 | awk -F'\t' '{ print $2 " " $1 }'
}

# svg_nodes JSON: how many nodes the graph of the report's groups has: the
# root, one per kind, one per distinct (kind, frame prefix) and per leaf.
svg_nodes() {
	jq "$JQ_NAME"' [.groups[] | .kind as $k | ([.frames[] | name] | reverse) as $f
		| (range(1; ($f | length) + 1) as $i | [$k, "frame"] + $f[:$i] | tojson),
		  ([$k, "wait"] + $f + [.wait] | tojson)] as $n
		| 1 + ([.groups[].kind] | unique | length) + ($n | unique | length)' "$1"
}

fails() { ! "$@"; }
folded_total() { awk '{ s += $NF } END { print s + 0 }' "$1"; }
# lines not of the form "frame;frame;...;[wait] COUNT"
folded_malformed() { grep -Ev '^([^;]+;)*\[[^];]+\] [1-9][0-9]*$' "$1"; }
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }
RECTS='count(//*[local-name()="g"][*[local-name()="title"]]/*[local-name()="rect"])'
# first line of each dominant rectangle's title, sorted
dominant_titles() {
	xpath "$1" '//*[local-name()="rect"][@class="dom"]/../*[local-name()="title"]' |
		awk '/<title>/ { sub(/.*<title>/, ""); print }' | sort -u | paste -sd' '
}

# render SVG PNG: headless Chromium's screenshot of the file.
render() {
	rm -f "$2"
	timeout 180 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$TMP/chromium" \
		--screenshot="$2" --window-size=1200,900 "file://$1" >"$TMP/chromium.log" 2>&1
	[ -s "$2" ]
}
# not_blank PNG: many colours, a good part of it drawn, and the red of the
# dominant sites in it.
not_blank() {
	local s
	s=$("$PNGSTAT" "$1" "$RED") || return 1
	echo "# $1: $(echo $s)"
	echo "$s" | awk '$1 == "width" { ok = $2 == 1200 && $6 >= 20 && $8 >= 0.1 } $1 == "color" { red = $3 } END { exit !(ok && red >= 500) }'
}

# --- threads: the waits fixture
start_fixture "$FIX/waits" --condvar 12 --mutex 5 --sleep 3 --epoll 2 || exit 1
nthreads=$(awk '$1 == "site" { s += $4 } END { print s }' "$FX_OUT")
"$PILEUP" --folded "$FX_PID" >"$TMP/w.folded"
expect_eq "waits --folded: exit 0" 0 $?
expect_eq "waits folded: counts add up to the fixture's threads" "$nthreads" "$(folded_total "$TMP/w.folded")"
expect_eq "waits folded: every line is frames;...;[wait] COUNT" "" "$(folded_malformed "$TMP/w.folded")"
expect_eq "waits folded: outermost frame first (__clone3;start_thread or _start)" "" \
	"$(grep -Ev '^(__clone3;start_thread;|_start;__libc_start_main;)' "$TMP/w.folded")"
expect_eq "waits folded: the condvar group, its wait site, its wait as the leaf and its count" "12" \
	"$(awk '/;thr_wait_condvar;wait_condvar;pthread_cond_wait;.*;\[condvar\] [0-9]+$/ { print $NF }' "$TMP/w.folded")"
expect_eq "waits folded: by count, then text" "$(LC_ALL=C sort "$TMP/w.folded" | awk '{ print $NF "\t" $0 }' |
	LC_ALL=C sort -t$'\t' -s -k1,1nr | cut -f2)" "$(cat "$TMP/w.folded")"
"$PILEUP" --folded -o "$TMP/w2.folded" "$FX_PID"
expect_eq "waits --folded -o FILE: the same lines" "$(awk '{ print $NF }' "$TMP/w.folded" | paste -sd,)" \
	"$(awk '{ print $NF }' "$TMP/w2.folded" | paste -sd,)"

# One capture gives the JSON and the graph, so they describe the same threads.
"$PILEUP" --json=1 --svg "$TMP/w.svg" "$FX_PID" >"$TMP/w.json"
expect_eq "waits --json=1 --svg: exit 0" 0 $?
check "waits --json=1 --svg: the JSON still goes to stdout" test "$(jq '.threads | length' "$TMP/w.json")" -gt 20
expect_eq "waits: JSON thread count agrees with the folded counts" "$(folded_total "$TMP/w.folded")" "$(jq '.target.threads' "$TMP/w.json")"
"$PILEUP" --folded "$TMP/w.json" >"$TMP/ws.folded"
expect_eq "waits folded (saved report): exactly the groups' frames outermost first, wait as leaf, ranked" \
	"$(folded_from_json "$TMP/w.json")" "$(cat "$TMP/ws.folded")"
check "waits svg: well-formed XML" xmllint --noout "$TMP/w.svg"
expect_eq "waits svg: one titled rectangle per node of the merged stacks" "$(svg_nodes "$TMP/w.json")" "$(xpath "$TMP/w.svg" "$RECTS")"
expect_eq "waits svg: the dominant wait sites (and only they) are highlighted" \
	"$(jq -r '[.groups[] | select(.dominant) | .wait_site.function] | unique | join(" ")' "$TMP/w.json")" \
	"$(dominant_titles "$TMP/w.svg")"
check "waits svg: dominant sites are wait_condvar and wait_mutex here" test "$(dominant_titles "$TMP/w.svg")" = "wait_condvar wait_mutex"
expect_eq "waits svg: widths by count (condvar: 12 of 24 threads of 1180 px)" "590.00" \
	"$(xpath "$TMP/w.svg" 'string(//*[local-name()="rect"][@class="dom"][starts-with(../*[local-name()="title"], "wait_condvar")]/@width)')"
expect_eq "waits svg: the condvar leaf's tooltip: wait, count, share" "[condvar] (wait class)|12 threads, 50.0% of the threads" \
	"$(xpath "$TMP/w.svg" 'string(//*[local-name()="title"][starts-with(., "[condvar]")])' | head -2 | paste -sd'|')"
check "waits svg: the legend names the highlight" grep -q "dominant wait site (holds at least 20%" "$TMP/w.svg"
check "waits svg: header names the target" grep -q "pid $FX_PID (.*/waits), $nthreads threads" "$TMP/w.svg"
"$PILEUP" --svg "$TMP/w3.svg" "$FX_PID" >"$TMP/w3.txt"
expect_eq "--svg alone: exit 0" 0 $?
check "--svg alone: the text report still on stdout" grep -q "^Thread groups" "$TMP/w3.txt"
check "--svg alone: and the graph written" xmllint --noout "$TMP/w3.svg"
check "waits: target not left stopped" not_stopped "$FX_PID"
stop_fixture "$FX_PID"

check "waits svg renders in headless Chromium" render "$TMP/w.svg" "$TMP/w.png"
check "waits png: not blank (colours, drawn area, the dominant red)" not_blank "$TMP/w.png"
# the checks can fail: a blank picture is told apart
printf '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900"><rect width="1200" height="900" fill="#fff"/></svg>\n' >"$TMP/blank.svg"
render "$TMP/blank.svg" "$TMP/blank.png"
check "pngstat: a blank picture has one colour" grep -q '^width 1200 height 900 colors 1 nonbg 0.0000$' <("$PNGSTAT" "$TMP/blank.png")
check "pngstat: a blank picture is not taken for a graph" fails not_blank "$TMP/blank.png"

# --- goroutines: the go-leaks fixture
start_fixture "$FIX/go-leaks" -producers 4 -mutex 6 -recv 7 || exit 1
"$PILEUP" --folded "$FX_PID" >"$TMP/g.folded"
expect_eq "go --folded: exit 0" 0 $?
"$PILEUP" --json=1 --svg "$TMP/g.svg" "$FX_PID" >"$TMP/g.json"
expect_eq "go --json=1 --svg: exit 0" 0 $?
expect_eq "go folded: counts add up to threads + goroutines" "$(jq '.target.threads + .target.goroutines' "$TMP/g.json")" \
	"$(folded_total "$TMP/g.folded")"
check "go folded: there are goroutines to count" test "$(jq '.target.goroutines' "$TMP/g.json")" -gt 17
expect_eq "go folded: every line is frames;...;[wait] COUNT" "" "$(folded_malformed "$TMP/g.folded")"
# the fixture's groups: wait reason, wait site, count
bad=""
while IFS=$'\t' read -r _ reason site count; do
	got=$(awk -v r="[$reason]" -v s=";$site;" '{ c = $NF; t = $0; sub(/ [0-9]+$/, "", t) }
		index(t, "runtime.goexit;") == 1 && index(t, s) && substr(t, length(t) - length(r) + 1) == r { n += c }
		END { print n + 0 }' "$TMP/g.folded")
	[ "$got" = "$count" ] || bad+="$reason/$site: want $count, got $got; "
done < <(grep '^group	' "$FX_OUT")
expect_eq "go folded: each group of the fixture starts at runtime.goexit, passes its site, ends at [its wait reason], with its count" "" "$bad"
check "go folded: the manifest has groups" test "$(grep -c '^group	' "$FX_OUT")" -ge 3
expect_eq "go folded: goroutines start at runtime.goexit (from the report)" "runtime.goexit" \
	"$(jq -r '[.goroutines[].frames[-1].function] | unique | join(",")' "$TMP/g.json")"
"$PILEUP" --folded "$TMP/g.json" >"$TMP/gs.folded"
expect_eq "go folded (saved report): exactly the groups' frames outermost first, wait as leaf, ranked" \
	"$(folded_from_json "$TMP/g.json")" "$(cat "$TMP/gs.folded")"
check "go svg: well-formed XML" xmllint --noout "$TMP/g.svg"
expect_eq "go svg: one titled rectangle per node (threads and goroutines subtrees)" "$(svg_nodes "$TMP/g.json")" "$(xpath "$TMP/g.svg" "$RECTS")"
expect_eq "go svg: dominant wait sites highlighted" \
	"$(jq -r '[.groups[] | select(.dominant) | .wait_site.function] | unique | join(" ")' "$TMP/g.json")" \
	"$(dominant_titles "$TMP/g.svg")"
check "go svg: main.drain (7 of 25) is among them" bash -c "[[ ' $(dominant_titles "$TMP/g.svg") ' == *' main.drain '* ]]"
check "go svg: a goroutines subtree and a threads subtree" test "$(xpath "$TMP/g.svg" 'count(//*[local-name()="title"][starts-with(., "goroutines") or starts-with(., "threads")])')" = 2
check "go svg: header names the goroutines" grep -q "goroutines, go1\." "$TMP/g.svg"
stop_fixture "$FX_PID"
check "go svg renders in headless Chromium" render "$TMP/g.svg" "$TMP/g.png"
check "go png: not blank" not_blank "$TMP/g.png"

# --- hostile names: a thread name with escape sequences (live) ...
start_fixture "$ROOT/tests/helpers/evilname" || exit 1
"$PILEUP" --text --svg "$TMP/e.svg" "$FX_PID" >/dev/null
check "evil thread name: the SVG is well-formed XML" xmllint --noout "$TMP/e.svg"
check "evil thread name: no ESC or BEL byte in the SVG" bash -c "! LC_ALL=C grep -q \$'[\\x1b\\x07]' '$TMP/e.svg'"
check "evil thread name: shown escaped in the tooltip" bash -c "xmllint --xpath '//*[local-name()=\"title\"]' '$TMP/e.svg' | grep -qF '\\x1b[31mEVIL\\x1b]0;x\\x07'"
stop_fixture "$FX_PID"

# ... and function names with ';', markup, a newline, ESC, invalid UTF-8
# and U+FFFE (a noncharacter: \u{fffe}, as on the terminal), in a saved report.
EVIL=$'ev;il<&>"\'\n\e[31m\uFFFEX'
jq --arg e "$EVIL" '(.threads[].frames[], .groups[].frames[]) |= (if .function == "wait_condvar" then .function = $e else . end)' \
	"$TMP/w.json" | sed 's/ev;il/ev;\xff\xc0il/g' >"$TMP/evil.json"
check "evil names: the report holds the raw bytes" grep -qa $'ev;\xff\xc0il' "$TMP/evil.json"
"$PILEUP" --folded --svg "$TMP/evil.svg" "$TMP/evil.json" >"$TMP/evil.folded"
expect_eq "evil names: exit 0" 0 $?
expect_eq "evil names folded: still one line per stack, same counts" "$(awk '{ print $NF }' "$TMP/ws.folded" | paste -sd,)" \
	"$(awk '{ print $NF }' "$TMP/evil.folded" | paste -sd,)"
expect_eq "evil names folded: the frame keeps its place, ';' and control bytes escaped" \
	"$(grep ';wait_condvar;' "$TMP/ws.folded" | sed 's/;wait_condvar;/;ev\\x3b\\xff\\xc0il<\&>"'\''\\x0a\\x1b[31m\\u{fffe}X;/')" \
	"$(grep ';ev' "$TMP/evil.folded")"
check "evil names folded: valid UTF-8, no control bytes" bash -c "iconv -f UTF-8 -t UTF-8 '$TMP/evil.folded' >/dev/null && ! LC_ALL=C grep -q \$'[\\x01-\\x09\\x0b-\\x1f\\x7f]' '$TMP/evil.folded'"
check "evil names svg: well-formed XML" xmllint --noout "$TMP/evil.svg"
expect_eq "evil names svg: the tooltip says the name, escaped where XML cannot carry it" \
	'ev;\xff\xc0il<&>"'\''\x0a\x1b[31m\u{fffe}X' \
	"$(xpath "$TMP/evil.svg" 'string(//*[local-name()="rect"][@class="dom"][1]/../*[local-name()="title"])' | head -1)"
expect_eq "evil names svg: same rectangles as the original" "$(xpath "$TMP/w.svg" "$RECTS")" "$(xpath "$TMP/evil.svg" "$RECTS")"

# --- errors: one line, exit 2
"$PILEUP" --svg /nonexistent/dir/x.svg "$TMP/w.json" >"$TMP/err.out" 2>"$TMP/err.txt"
expect_eq "--svg into a missing directory: exit 2" 2 $?
expect_eq "--svg into a missing directory: one line naming the file and --svg" "1 1" \
	"$(wc -l <"$TMP/err.txt") $(grep -c '^pileup: cannot write the SVG to /nonexistent/dir/x.svg: No such file or directory; .*--svg' "$TMP/err.txt")"
"$PILEUP" --svg /dev/full "$TMP/w.json" >/dev/null 2>"$TMP/err.txt"
expect_eq "--svg to a full device: exit 2" 2 $?
check "--svg to a full device: one line says the write failed" \
	bash -c "[ \$(wc -l <'$TMP/err.txt') = 1 ] && grep -q '^pileup: writing the SVG to /dev/full failed: No space left on device' '$TMP/err.txt'"
"$PILEUP" --json=1 -o "$TMP/same.svg" --svg "$TMP/same.svg" "$TMP/w.json" 2>"$TMP/err.txt"
expect_eq "--svg and -o the same file: exit 2" 2 $?
check "--svg and -o the same file: says so" grep -q "same file" "$TMP/err.txt"
"$PILEUP" --folded -o "$TMP/j.folded" --svg "$TMP/j.svg" "$TMP/w.json"
expect_eq "--folded -o F --svg G: exit 0" 0 $?
check "--folded -o F --svg G: both written" bash -c "cmp -s '$TMP/j.folded' '$TMP/ws.folded' && xmllint --noout '$TMP/j.svg'"
"$PILEUP" --svg 2>"$TMP/err.txt"
expect_eq "--svg without a file: exit 2" 2 $?
finish
