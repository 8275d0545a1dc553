#!/bin/bash
# Rust v0 demangling (inspector/demangle_rust.c) on its own: the unit test
# driver tests/helpers/demangle_test.c, built with ASan and UBSan, checks a
# table of real and grammar-made symbols, invalid ones, the depth, output
# and backref limits, the standard-library impl test, and survives
# truncated, mutated and random symbols.  Does not use $PILEUP.
. "$(dirname "$0")/lib.sh"

CC=${CC:-cc}
ITER=100000
if ! "$CC" -std=gnu11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -I"$ROOT/inspector" -o "$TMP/demangle_test" \
	"$ROOT/tests/helpers/demangle_test.c" "$ROOT/inspector/demangle_rust.c" 2>"$TMP/cc.err"; then
	check "demangle_test builds with ASan and UBSan" false
	sed 's/^/# /' "$TMP/cc.err" | head -20
	finish
	exit
fi
check "demangle_test builds with ASan and UBSan" true

"$TMP/demangle_test" "$ITER" >"$TMP/out" 2>"$TMP/err"
rc=$?
while IFS= read -r line; do
	case "$line" in
	"ok - "*) check "${line#ok - }" true ;;
	"not ok - "*) check "${line#not ok - }" false ;;
	"#"*) echo "$line" ;;
	esac
done <"$TMP/out"
expect_eq "demangle_test exits 0, sanitizers silent" "0:" "$rc:$(head -c 3000 "$TMP/err")"
finish
