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
# What failed, again at the end (a CI log may keep only its tail): each
# "not ok" line with the comment lines the test printed just before it.
if [ $fail -ne 0 ]; then
	echo "# --- what failed"
	for mode in plain asan; do
		awk -v mode=$mode '
			/^# --- / { test = $3; n = 0; after = 0; next }
			/^#/ && after > 0 { print substr($0, 1, 400); after--; next }
			/^#/ { buf[n % 6] = substr($0, 1, 400); n++; next }
			/^not ok/ {
				print "# " mode " " test ":"
				for (i = (n > 6 ? n - 6 : 0); i < n; i++) print buf[i % 6]
				print
				n = 0
				after = 3
				if (++shown >= 40) exit
				next
			}
			{ n = 0; after = 0 }' build/check-$mode.log
	done | head -n 200
fi
echo "$pass passed, $fail failed"
[ $rc -eq 0 ] && [ $fail -eq 0 ]
