#!/bin/bash
# Bad Go dumps and hostile HTTP servers: one clear line and exit 2 (or a
# partial report and exit 1), never a crash or a hang; and the dump
# fuzzer's seeds and findings replayed through build-fuzz/dumps_fuzz.
. "$(dirname "$0")/lib.sh"

one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }

head -c 65536 /dev/urandom >"$TMP/junk"
printf 'goroutine 1 [running]:\n' | cat - "$TMP/junk" >"$TMP/junk2"
for f in junk junk2; do
	timeout 20 "$PILEUP" --text "$TMP/$f" >/dev/null 2>"$TMP/$f.err"
	rc=$?
	check "$f: exit 1 or 2, no crash (exit $rc)" test "$rc" -le 2
done
check "binary junk: one line" one_line "$TMP/junk.err"

truncate -s 2G "$TMP/big"
timeout 20 "$PILEUP" --text "$TMP/big" >/dev/null 2>"$TMP/big.err"
expect_eq "a 2 GB file: exit 2, one line" "2 yes" "$? $(one_line "$TMP/big.err" && echo yes)"
{ printf 'goroutine 1 [running]:\n'; head -c 2000000 /dev/zero | tr '\0' 'x'; } >"$TMP/dumpbig"
truncate -s 1200M "$TMP/dumpbig"
timeout 20 "$PILEUP" --text "$TMP/dumpbig" >/dev/null 2>"$TMP/dumpbig.err"
expect_eq "a 1.2 GB traceback: exit 2, says how to cut it" "2 yes" "$? $(grep -q 'cut the traceback out' "$TMP/dumpbig.err" && echo yes)"

awk 'BEGIN { print "goroutine 7 [chan send]:"; for (i = 0; i < 10000; i++) printf "main.rec%d(...)\n\t/src/main.go:%d +0x1%s\n", i % 3, i + 1, (i % 2 ? "" : ""); print "created by main.main in goroutine 1"; print "\t/src/main.go:9 +0x2" }' >"$TMP/deep"
timeout 20 "$PILEUP" --json=1 "$TMP/deep" >"$TMP/deep.json"
expect_eq "10,000-frame goroutine: read whole (exit 0)" "0 10000" "$? $(jq '.goroutines[0].frames | length' "$TMP/deep.json")"
awk 'BEGIN { print "goroutine 8 [select]:"; for (i = 0; i < 3000; i++) printf "main.inl%d(...)\n\t/src/x.go:%d\n", i, i + 1; print "main.outer()\n\t/src/x.go:1 +0x5" }' >"$TMP/inl"
timeout 20 "$PILEUP" --json=1 "$TMP/inl" >"$TMP/inl.json"
expect_eq "a 3,000-deep inline chain: every call inlined but the last" "0 3000 false" \
	"$? $(jq '[.goroutines[0].frames[] | select(.inlined)] | length' "$TMP/inl.json") $(jq '.goroutines[0].frames[-1].inlined' "$TMP/inl.json")"
# a few bytes that count 20 million goroutines (each would be one in
# memory: gigabytes): refused, quickly, in a line
printf 'goroutine profile: total 20000000\n20000000 @ 0x1\n#\t0x1\tmain.f+0x0\t/x.go:1\n' >"$TMP/many.txt"
start=$SECONDS
timeout 60 "$PILEUP" --text "$TMP/many.txt" >/dev/null 2>"$TMP/many.err"
expect_eq "a profile counting 20 million goroutines: exit 2, one line, says it is more than pileup reads, in under 5 s" "2 yes yes yes" \
	"$? $(one_line "$TMP/many.err" && echo yes) $(grep -q 'more than pileup reads from a profile' "$TMP/many.err" && echo yes) $([ $((SECONDS - start)) -lt 5 ] && echo yes)"
printf 'goroutine 9 [chan \xff\xfe receive]:\nmain.\x1b[31mevil\xc3(...)\n\t/src/\xff.go:3 +0x1\n' >"$TMP/utf8"
"$PILEUP" --json=1 "$TMP/utf8" | jq -e . >/dev/null
expect_eq "invalid UTF-8 and escapes: valid JSON" 0 $?
check "... and no raw escape in the text report" bash -c "! '$PILEUP' --text '$TMP/utf8' | grep -q \$'\\x1b'"

# hostile HTTP servers on loopback
srv() {
	python3 "$ROOT/tests/helpers/badhttp.py" "$1" >"$TMP/srv.$1" &
	fx_track $!
	for ((i = 0; i < 100; i++)); do grep -q '^port ' "$TMP/srv.$1" 2>/dev/null && break; sleep 0.05; done
	awk '{print $2}' "$TMP/srv.$1"
}
for mode in stall reset endless huge 404; do
	port=$(srv $mode)
	start=$SECONDS
	# an endless body must hit the size limit (256 MiB) before the timeout,
	# also on a loaded machine
	t=3
	[ $mode = endless ] && t=40
	timeout 90 "$PILEUP" --timeout $t --text "http://127.0.0.1:$port" >/dev/null 2>"$TMP/$mode.err"
	rc=$?
	expect_eq "HTTP $mode: exit 2, one line, within the timeout" "2 yes yes" \
		"$rc $(one_line "$TMP/$mode.err" && echo yes) $([ $((SECONDS - start)) -le $((t + 12)) ] && echo yes)"
done
check "HTTP 404: says the service exposes no pprof" grep -q "exposes no pprof" "$TMP/404.err"
check "HTTP huge: says it is too large" grep -q "larger than" "$TMP/huge.err"
check "HTTP endless: says it is too large" grep -q "larger than" "$TMP/endless.err"
check "HTTP stall: says there was no answer in time" grep -q "no complete answer within 3 s" "$TMP/stall.err"
port=$(srv short)
timeout 60 "$PILEUP" --timeout 10 --text "http://127.0.0.1:$port" >/dev/null 2>"$TMP/short.err"
expect_eq "HTTP body shorter than its Content-Length: exit 2, one line, says the connection broke" "2 yes yes" \
	"$? $(one_line "$TMP/short.err" && echo yes) $(grep -q 'connection broke after' "$TMP/short.err" && echo yes)"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
port=$(BADHTTP_CERT=$TMP/cert.pem BADHTTP_KEY=$TMP/key.pem srv tls)
timeout 60 "$PILEUP" --timeout 10 --text "https://127.0.0.1:$port" >/dev/null 2>"$TMP/tls.err"
expect_eq "HTTPS with a self-signed certificate: refused (exit 2), one line, says TLS failed" "2 yes yes" \
	"$? $(one_line "$TMP/tls.err" && echo yes) $(grep -q 'TLS failed' "$TMP/tls.err" && echo yes)"
# The same server with a certificate this machine trusts: the dump is read.
# Trusted only inside a mount namespace of its own, where the certificate
# is the whole CA bundle libcurl reads (/etc/ssl/certs/ca-certificates.crt).
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 \
	-keyout "$TMP/key2.pem" -out "$TMP/cert2.pem" >/dev/null 2>&1
port=$(BADHTTP_CERT=$TMP/cert2.pem BADHTTP_KEY=$TMP/key2.pem srv tls)
timeout 60 unshare -m sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && exec "$2" --timeout 10 --json=1 "$3"' \
	sh "$TMP/cert2.pem" "$PILEUP" "https://127.0.0.1:$port" >"$TMP/tls2.json" 2>"$TMP/tls2.err"
expect_eq "HTTPS with a trusted certificate: exit 0, the dump's goroutine" "0 1 main.main" \
	"$? $(jq -r '"\(.goroutines | length) \(.goroutines[0].frames[0].function)"' "$TMP/tls2.json" 2>/dev/null)"
"$PILEUP" --text http://127.0.0.1:1 >/dev/null 2>"$TMP/refused.err"
expect_eq "connection refused: exit 2, says so" "2 yes" "$? $(grep -q 'cannot connect to' "$TMP/refused.err" && echo yes)"
printf 'goroutine 3 [sleep]:\ntime.Sleep(0x1)\n\t/usr/lib/go/src/runtime/time.go:195 +0x1\nmain.f()\n\t/src/main.go:4 +0x2\n' >"$TMP/small.txt"
port=$(BADHTTP_FILE=$TMP/small.txt srv redirect)
BADHTTP_FILE=$TMP/small.txt "$PILEUP" --json=1 "http://127.0.0.1:$port/x" >"$TMP/redir.json"
expect_eq "a redirect is followed" "0 main.f" "$? $(jq -r '.groups[0].wait_site.function' "$TMP/redir.json")"

# host names from file names (or NAME=) are from elsewhere: no raw escape
# reaches the terminal from merge's text report or the browser
evil=$TMP/$(printf 'web\033]0;pwned\007\033[31m-1').txt
cp "$TMP/small.txt" "$evil"
"$PILEUP" merge --text "$evil" b="$TMP/small.txt" >"$TMP/evil.txt" 2>&1
expect_eq "merge of a file named with escapes: exit 0, no raw escape in the text report" "0 no" \
	"$? $(grep -q $'\x1b' "$TMP/evil.txt" && echo yes || echo no)"
"$PILEUP" merge --json=1 "$evil" b="$TMP/small.txt" >"$TMP/evil.json"
printf ':dump %s\nm\n:dump %s\nq\n' "$TMP/evil.main" "$TMP/evil.hosts" >"$TMP/evil.keys"
LC_ALL=C.UTF-8 PILEUP_TUI_SIZE=100x20 PILEUP_TUI_SCRIPT=$TMP/evil.keys "$PILEUP" --tui "$TMP/evil.json" </dev/null >/dev/null 2>&1
expect_eq "... nor in the browser's header and hosts screen (escaped, still there)" "no yes" \
	"$(cat "$TMP/evil.main" "$TMP/evil.hosts" | grep -q $'\x1b' && echo yes || echo no) $(grep -q 'pwned' "$TMP/evil.hosts" && echo yes || echo no)"

F=$ROOT/build-fuzz/dumps_fuzz
check "the dump fuzz target was built (make fuzz-build)" test -x "$F"
if [ -x "$F" ]; then
	files=$(find "$ROOT/fuzz/dumps-seeds" "$ROOT/fuzz/dumps-regressions" -type f ! -name .keep | wc -l)
	"$F" -runs=0 "$ROOT/fuzz/dumps-seeds" "$ROOT/fuzz/dumps-regressions" >"$TMP/replay" 2>&1
	expect_eq "dump seeds and regressions replayed: exit 0" 0 $?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TMP/replay")
	check "... every input was run ($runs runs, $files files)" test "${runs:-0}" -ge "$files"
fi
for f in "$ROOT"/fuzz/dumps-seeds/* "$ROOT"/fuzz/dumps-regressions/*; do
	[ -f "$f" ] || continue
	timeout 20 "$PILEUP" --text "$f" >/dev/null 2>"$TMP/seed.err"
	rc=$?
	check "$(basename "$f"): a report or one line (exit $rc)" test "$rc" -le 2
done
finish
