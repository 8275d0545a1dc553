#!/bin/bash
# tests/tui/gen_merged.sh PILEUP > merged.json: a merged report of three
# hosts of one Go service (web-1, web-2, web-3), made by `pileup merge`
# from three goroutine dumps written here: the senders' group is absent on
# web-3, the mutex waiters' on web-2, the workers are on every host.
set -eu
pileup=${1:-pileup}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# dump SENDERS MUTEX WORKERS: a runtime.Stack-style dump of that many goroutines
dump() {
	local id=1 i
	printf 'goroutine 1 [running]:\nmain.main()\n\t/src/shop/main.go:40 +0x1d\n\n'
	for ((i = 0; i < $1; i++)); do
		id=$((id + 1))
		printf 'goroutine %d [chan send, 12 minutes]:\nmain.(*Pool).publish(0xc000010000, {0x4a1b20, 0x5})\n\t/src/shop/pool.go:57 +0x45\ncreated by main.(*Pool).Start in goroutine 1\n\t/src/shop/pool.go:31 +0x8a\n\n' $id
	done
	for ((i = 0; i < $2; i++)); do
		id=$((id + 1))
		printf 'goroutine %d [sync.Mutex.Lock, 3 minutes]:\nsync.runtime_SemacquireMutex(0xc0000a0004?, 0x0?, 0x1?)\n\t/usr/lib/go/src/runtime/sema.go:77 +0x25\nsync.(*Mutex).lockSlow(0xc0000a0000)\n\t/usr/lib/go/src/sync/mutex.go:171 +0x165\nsync.(*Mutex).Lock(...)\n\t/usr/lib/go/src/sync/mutex.go:90\nmain.(*Cache).get(0xc0000a0000, {0x4a1b25, 0x3})\n\t/src/shop/cache.go:22 +0x3f\ncreated by main.serve in goroutine 1\n\t/src/shop/main.go:51 +0x66\n\n' $id
	done
	for ((i = 0; i < $3; i++)); do
		id=$((id + 1))
		printf 'goroutine %d [select]:\nmain.worker(0xc000012000)\n\t/src/shop/worker.go:14 +0x99\ncreated by main.main in goroutine 1\n\t/src/shop/main.go:44 +0x2b\n\n' $id
	done
}
dump 9 2 4 >"$d/web-1.txt"
dump 7 0 4 >"$d/web-2.txt"
dump 0 5 4 >"$d/web-3.txt"
"$pileup" merge --json "$d/web-1.txt" "$d/web-2.txt" "$d/web-3.txt" | jq -c '.capture.analyze_us = 0'
