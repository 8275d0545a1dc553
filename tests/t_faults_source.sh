#!/bin/bash
# The browser's source screen and what a saved report, a dump or a merged
# snapshot names (issue 17, F8).  Each is data from elsewhere: its frames'
# files are shown only when the program is here with the report's build-id
# and its debug info names that very file, or from under --source-dir DIR,
# never climbing out of DIR.  Otherwise the screen says why, and the file
# is not read.
. "$(dirname "$0")/lib.sh"

start_fixture "$FIX/waits" --condvar 3 --mutex 2 || exit 1
"$PILEUP" --json=1 "$FX_PID" >"$TMP/live.json" || exit 1
src=$(jq -r '[.groups[0].frames[] | select(.function == "wait_condvar")][0].file' "$TMP/live.json")
line=$(jq -r '[.groups[0].frames[] | select(.function == "wait_condvar")][0].line' "$TMP/live.json")
check "the report names the fixture's source, absolute" test -f "$src"
echo 'TOPSECRET-4ab9' >"$TMP/secret.txt"

# browse NAME REPORT [ARGS...]: Enter on the first group, Enter on its wait
# site; the source screen is dumped to $TMP/NAME.
browse() {
	local name=$1 report=$2
	shift 2
	printf '<Enter>\n<Enter>\n:dump %s\nq\n' "$TMP/$name" >"$TMP/$name.keys"
	LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=250x30 PILEUP_TUI_SCRIPT="$TMP/$name.keys" "$PILEUP" --tui "$report" "$@" </dev/null >/dev/null 2>"$TMP/$name.err"
}
# retarget IN OUT FILE [MODULE_BUILD_ID]: the wait_condvar frames name FILE.
retarget() {
	jq --arg f "$3" --arg b "${4:-}" '(.threads[].frames[], .groups[].frames[], .threads[].wait_site // empty, .groups[].wait_site // empty)
		|= (if .function == "wait_condvar" then .file = $f else . end)
		| if $b != "" then ((.threads[].frames[], .groups[].frames[]) |= (if .build_id and (.module | endswith("/waits")) then .build_id = $b else . end)
		  | .target.build_id = $b) else . end' \
		"$1" >"$2"
}
shows() { grep -qF -- "$2" "$TMP/$1"; }
secret_out() { [ -f "$TMP/$1" ] && ! grep -q TOPSECRET "$TMP/$1"; }

browse own "$TMP/live.json"
check "saved report, program here, file in its debug info: the source is shown" shows own "$(sed -n "${line}p" "$src" | sed 's/^[[:space:]]*//')"

retarget "$TMP/live.json" "$TMP/secret.json" "$TMP/secret.txt"
browse secret "$TMP/secret.json"
check "a report naming another file: not read" secret_out secret
check "... the screen says why and what to do" shows secret "names no such file: give --source-dir DIR"

# A dump and a merged snapshot are data from elsewhere too (F8 names
# saved reports, dumps and merged snapshots).
printf 'goroutine 1 [chan receive]:\nmain.waitHere()\n\t%s:1 +0x25\nmain.main()\n\t%s:1 +0x25\n' "$TMP/secret.txt" "$TMP/secret.txt" >"$TMP/secret.trace"
browse dump "$TMP/secret.trace"
check "a Go traceback naming a local file: not read" secret_out dump
check "... the screen says why and what to do" shows dump "comes from a snapshot made elsewhere, and the frame names no module: give --source-dir DIR"
mbrowse() {
	local name=$1
	shift
	printf '<Enter>\n<Enter>\n:dump %s\nq\n' "$TMP/$name" >"$TMP/$name.keys"
	LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=250x30 PILEUP_TUI_SCRIPT="$TMP/$name.keys" "$PILEUP" merge --tui "$@" </dev/null >/dev/null 2>"$TMP/$name.err"
}
mbrowse merged a="$TMP/secret.json" b="$TMP/secret.json"
check "merged snapshots naming another file: not read" secret_out merged
check "... the screen says why" shows merged "comes from a snapshot made elsewhere, and the debug info of"
mbrowse merged_own a="$TMP/live.json" b="$TMP/live.json"
check "merged snapshots naming the program's own file: the source is shown" shows merged_own "$(sed -n "${line}p" "$src" | sed 's/^[[:space:]]*//')"

bid=$(jq -r '[.groups[0].frames[] | select(.function == "wait_condvar")][0].build_id' "$TMP/live.json")
retarget "$TMP/live.json" "$TMP/other.json" "$src" "0000${bid:4}"
browse other "$TMP/other.json"
check "a report of another build of the program: its file is not shown" bash -c "! grep -qF -- '$(sed -n "${line}p" "$src" | sed 's/^[[:space:]]*//')' '$TMP/other'"
check "... the screen says it is another build" shows other "here is another build"

# --source-dir: the path as named below DIR, or its last components.
mkdir -p "$TMP/co/fixtures" "$TMP/co/sub"
cp "$src" "$TMP/co/fixtures/waits.c"
ln -s "$TMP/secret.txt" "$TMP/co/sub/link.c"
retarget "$TMP/live.json" "$TMP/moved.json" /build/elsewhere/fixtures/waits.c
browse moved "$TMP/moved.json" --source-dir "$TMP/co"
check "--source-dir: a file built elsewhere is found by its last components" shows moved "$TMP/co/fixtures/waits.c"
check "... and shown" shows moved "$(sed -n "${line}p" "$src" | sed 's/^[[:space:]]*//')"
retarget "$TMP/live.json" "$TMP/link.json" /build/sub/link.c
browse link "$TMP/link.json" --source-dir "$TMP/co"
check "--source-dir: a symbolic link out of DIR is not followed" secret_out link
check "... and the screen says the file is not there" shows link "no file of that name is under --source-dir"
retarget "$TMP/live.json" "$TMP/climb.json" "/x/../../$TMP/secret.txt"
browse climb "$TMP/climb.json" --source-dir "$TMP/co"
check "--source-dir: a path climbing with .. is refused" secret_out climb
check "... saying so" shows climb "climbs"
browse secret2 "$TMP/secret.json" --source-dir "$TMP/co"
check "--source-dir: the other file is still not read from where the report says" secret_out secret2

# A live capture names the local debug info's files: shown as they are.
printf '<Enter>\n<Enter>\n:dump %s\nq\n' "$TMP/live" >"$TMP/live.keys"
LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=250x30 PILEUP_TUI_SCRIPT="$TMP/live.keys" "$PILEUP" --tui "$FX_PID" </dev/null >/dev/null 2>&1
check "live capture: the source is shown" shows live "$(sed -n "${line}p" "$src" | sed 's/^[[:space:]]*//')"
"$PILEUP" --source-dir "$TMP/no-such" "$FX_PID" >/dev/null 2>"$TMP/sd.err"
expect_eq "--source-dir that is not there: exit 2, one line" "2 1" "$? $(wc -l <"$TMP/sd.err")"
check "target not stopped" not_stopped "$FX_PID"
finish
