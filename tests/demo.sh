#!/bin/bash
# make demo: start the bundled "order service" fixture (a worker pool idle on
# a condvar, request handlers stuck in a lock convoy behind a slow audit,
# an acceptor and event loops), show pileup's report of it, stop it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
"$ROOT/fixtures/bin/service" >"$out" 2>&1 &
svc=$!
trap 'kill -TERM $svc 2>/dev/null; wait $svc 2>/dev/null; rm -f "$out"' EXIT
for ((i = 0; i < 200; i++)); do
	grep -q '^ready ' "$out" && break
	sleep 0.05
done
if ! grep -q '^ready ' "$out"; then
	echo "demo: the service fixture did not start: $(cat "$out")" >&2
	exit 1
fi
echo "\$ pileup $svc      # the demo service: fixtures/bin/service"
echo
"$ROOT/pileup" --text --frames 8 "$svc"
rc=$?
echo
echo "(pileup exited with $rc; the service was not stopped: it ran on until the demo ended it)"
