#!/bin/bash
# make check: the whole suite against ./pileup, then against ./pileup-asan
# (AddressSanitizer + UBSan).  One after the other: some tests wait out real
# minutes or count on the machine not being swamped.  Ends with one line:
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
mkdir -p build
pass=0
fail=0
rc=0
for mode in plain asan; do
	log=build/check-$mode.log
	if [ $mode = plain ]; then
		tests/run.sh ./pileup "$@" 2>&1 | tee "$log" | sed '$d'
	else
		PILEUP_ASAN=1 tests/run.sh ./pileup-asan "$@" 2>&1 | tee "$log" | sed '$d'
	fi
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	last=$(tail -n 1 "$log")
	p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		p=0
		f=1
		echo "not ok - the $mode pass did not finish"
	fi
	echo "# $mode pass: $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ $rc -eq 0 ] && [ $fail -eq 0 ]
