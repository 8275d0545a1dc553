#!/bin/bash
# Rust programs, live (fixtures/rust/waits.rs, built with rustc when it is
# installed): threads parked in std::sync::Mutex, Condvar::wait,
# JoinHandle::join, thread::sleep and File::read get the class and wait
# site the fixture built them with, in the default (nonstop) mode and with
# --stop-all; v0-mangled names (_R...) are demangled everywhere; the
# standard library's frames, its impls included (<std::...>::lock), are
# library code; inline frames of std code are expanded.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$FIX/waits-rust" ]; then
	if command -v rustc >/dev/null || [ -x "$HOME/.cargo/bin/rustc" ]; then
		check "waits-rust: fixture built (make -C fixtures)" false
	else
		echo "# skip: rustc is not installed, so fixtures/bin/waits-rust is not built"
	fi
	finish
	exit
fi

start_fixture "$FIX/waits-rust" --mutex 3 --condvar 4 --join 2 --sleep 2 --read 2 || exit 1

"$PILEUP" --json=1 --stop-all "$FX_PID" >"$TMP/s.json"
expect_eq "stop-all: exit 0 (complete)" 0 $?
matches_manifest "stop-all: every thread's class and wait site" "$TMP/s.json" "$FX_OUT"
"$PILEUP" --json=1 "$FX_PID" >"$TMP/n.json"
expect_eq "nonstop: exit 0 (complete)" 0 $?
matches_manifest "nonstop: every thread's class and wait site" "$TMP/n.json" "$FX_OUT"

mutex_tids=$(awk '$1 == "site" && $3 == "waits::svc::wait_mutex" {print $5}' "$FX_OUT")
for mode in stop-all:s nonstop:n; do
	f=$TMP/${mode#*:}.json
	mode=${mode%:*}
	expect_eq "$mode: no frame keeps a v0-mangled name" "" \
		"$(jq -r '.threads[].frames[].function // empty | select(startswith("_R"))' "$f" | sort -u | head -5)"
	expect_eq "$mode: threads blocked on std::sync::Mutex are class mutex" "mutex" \
		"$(jq -r --arg t "$mutex_tids" '[.threads[] | select(.tid | tostring | IN($t | split(",")[])) | .wait] | unique | join(",")' "$f")"
done

# The mutex stack as std builds it: futex_wait inlined into
# <std::sys::sync::mutex::futex::Mutex>::lock_contended, then Mutex::lock
# inlined into the site.
mutex_frames() {
	jq -r '[.threads[] | select(.wait_site.function == "waits::svc::wait_mutex")][0].frames[] |
		"\(.function) library=\(.library) inlined=\(.inlined // false)"' "$TMP/s.json"
}
check "mutex stack: <std::sys::sync::mutex::futex::Mutex>::lock_contended, library" \
	grep -qxF "<std::sys::sync::mutex::futex::Mutex>::lock_contended library=true inlined=false" <(mutex_frames)
check "mutex stack: std::sys::pal::unix::futex::futex_wait inlined into it" \
	grep -qxF "std::sys::pal::unix::futex::futex_wait library=true inlined=true" <(mutex_frames)
check "mutex stack: the generic <std::sync::poison::mutex::Mutex<u64>>::lock inlined, library" \
	grep -qxF "<std::sync::poison::mutex::Mutex<u64>>::lock library=true inlined=true" <(mutex_frames)
check "mutex stack: the site is program code" \
	grep -qxF "waits::svc::wait_mutex library=false inlined=false" <(mutex_frames)
expect_eq "every std/core/alloc frame is library code" "" \
	"$(jq -r '.threads[].frames[] | select(.function // "" | test("^<?(std|core|alloc)::")) | select(.library | not) | .function' "$TMP/s.json" | sort -u | head -5)"

expect_eq "blocking calls: Mutex::lock, Condvar::wait, JoinHandle::join, File::read, thread::sleep" \
	"<std::sync::poison::mutex::Mutex<u64>>::lock|<std::sync::poison::condvar::Condvar>::wait::<bool>|<std::thread::join_handle::JoinHandle<()>>::join|<&std::fs::File as std::io::Read>::read|std::thread::functions::sleep" \
	"$(jq -r '[(.groups[] | select(.wait_site.function == ("waits::svc::wait_mutex", "waits::svc::wait_condvar", "waits::svc::wait_join", "waits::svc::wait_read", "waits::svc::wait_sleep")) | {f: .wait_site.function, b: .blocking_call})]
		| sort_by(["waits::svc::wait_mutex", "waits::svc::wait_condvar", "waits::svc::wait_join", "waits::svc::wait_read", "waits::svc::wait_sleep"] as $o | .f as $f | $o | index($f)) | map(.b) | join("|")' "$TMP/s.json")"

"$PILEUP" --text --stop-all "$FX_PID" >"$TMP/t.txt"
check "text: the mutex group's wait site by its Rust path" grep -Eq "wait site: +waits::svc::wait_mutex at waits.rs:[0-9]+" "$TMP/t.txt"
check "text: no v0-mangled name" bash -c "! grep -q '_R[A-Z]' '$TMP/t.txt'"

check "target not left stopped" not_stopped "$FX_PID"
expect_eq "no waiter saw EINTR or returned" "eintr=0 returns=0" \
	"$(fixture_stats "$FX_PID" "$FX_OUT" | grep -o 'eintr=.*')"
stop_fixture "$FX_PID"
finish
