#!/bin/bash
# tests/tui/gen_big.sh NGOROUTINES NTHREADS: a saved report of a large Go
# process on stdout.  Half the goroutines share one stack (a group of
# NGOROUTINES/2 members); every other goroutine has a stack of its own
# (NGOROUTINES/2 groups).  Threads spread over 100 wait sites.
awk -v ng="${1:-100000}" -v nt="${2:-10000}" 'BEGIN {
	m = "\"module\":\"/opt/big/bin/big\""
	printf "{\"pileup\":1,\"target\":{\"source\":\"live\",\"pid\":77,\"exe\":\"/opt/big/bin/big\",\"go_version\":\"go1.22.4\",\"taken_at\":1700000000},"
	printf "\"capture\":{\"mode\":\"nonstop\",\"pause_us\":0,\"elapsed_us\":900000},\"threads\":["
	for (i = 0; i < nt; i++) {
		s = i % 100
		printf "%s{\"tid\":%d,\"name\":\"worker-%d\",\"state\":\"S\",\"syscall\":\"futex\",\"wait\":\"condvar\",\"frames\":[", i ? "," : "", 1000 + i, s
		printf "{\"pc\":\"0x1\",\"function\":\"pthread_cond_wait\",\"offset\":\"0x10\",%s,\"file\":null,\"line\":null,\"inlined\":false,\"library\":true},", m
		printf "{\"pc\":\"0x2\",\"function\":\"site_%d\",\"offset\":\"0x20\",%s,\"file\":\"/src/big/site.c\",\"line\":%d,\"inlined\":false,\"library\":false}]}", s, m, s + 1
	}
	printf "],\"goroutines\":["
	for (i = 0; i < ng; i++) {
		f = i % 2 ? "main.handler_" i : "main.worker"
		printf "%s{\"id\":%d,\"status\":\"waiting\",\"wait_reason\":\"chan receive\",\"wait_minutes\":%d,\"thread\":null,\"locked\":false,", i ? "," : "", i + 1, i % 60
		printf "\"created_by\":{\"function\":\"main.main\",\"file\":\"/src/big/main.go\",\"line\":9,\"goroutine\":1},\"frames\":["
		printf "{\"pc\":\"0x3\",\"function\":\"runtime.gopark\",\"offset\":\"0x10\",%s,\"file\":\"/usr/lib/go/src/runtime/proc.go\",\"line\":402,\"inlined\":false,\"library\":true},", m
		printf "{\"pc\":\"0x4\",\"function\":\"%s\",\"offset\":\"0x20\",%s,\"file\":\"/src/big/main.go\",\"line\":%d,\"inlined\":false,\"library\":false}]}", f, m, 20 + i % 2
	}
	printf "]}\n"
}'
