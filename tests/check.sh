#!/bin/bash
# make check: the whole suite against ./pileup and, at the same time, against
# ./pileup-asan (AddressSanitizer + UBSan).  The two passes mostly wait on
# fixtures, so running them side by side halves the wall time.  Prints both
# logs, then one closing line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
mkdir -p build
tests/run.sh ./pileup "$@" >build/check-plain.log 2>&1 &
plain=$!
PILEUP_ASAN=1 tests/run.sh ./pileup-asan "$@" >build/check-asan.log 2>&1 &
asan=$!
wait $plain
rc_plain=$?
wait $asan
rc_asan=$?
pass=0
fail=0
for log in build/check-plain.log build/check-asan.log; do
	echo "### $log"
	sed '$d' "$log"
	last=$(tail -n 1 "$log")
	p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	[ -z "$p" ] && { p=0; f=$((f + 1)); echo "not ok - $log: the run did not finish"; }
	echo "# $log: $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + ${f:-1}))
done
echo "$pass passed, $fail failed"
[ $rc_plain -eq 0 ] && [ $rc_asan -eq 0 ] && [ $fail -eq 0 ]
