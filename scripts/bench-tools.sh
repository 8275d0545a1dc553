#!/bin/sh
# scripts/bench-tools.sh - the peers `make bench` measures pileup against
# that Debian does not package in a version that can read today's Go:
# the newest Delve (Debian's 1.20 cannot read Go >= 1.22) and panicparse.
# Installed with the Go 1.26 toolchain the fixtures use (fixtures/Makefile
# names it), through the Go module proxy, into fixtures/bin/tools.
# Idempotent: what is there is kept (`make clean` removes it).
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=$ROOT/fixtures/bin/tools
GO=$(make -s --no-print-directory -C "$ROOT/fixtures" print-go126 2>/dev/null)
[ -x "$GO" ] || { echo "bench-tools: no Go 1.26 toolchain ($GO); run scripts/deps.sh test" >&2; exit 2; }
mkdir -p "$TOOLS"
install_tool() { # NAME MODULE@VERSION
	[ -x "$TOOLS/$1" ] && return 0
	echo "bench-tools: installing $2" >&2
	GOBIN=$TOOLS GOTOOLCHAIN=local GOFLAGS=-modcacherw GOMODCACHE=$TOOLS/.modcache \
		GOCACHE=$ROOT/fixtures/bin/.gocache "$GO" install "$2"
}
install_tool dlv github.com/go-delve/delve/cmd/dlv@latest
install_tool pp github.com/maruel/panicparse/v2/cmd/pp@latest
