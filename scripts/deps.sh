#!/bin/sh
# Installs what pileup needs to build and test, if anything is missing.
# Idempotent: when everything is present it prints nothing, changes nothing
# and needs no network.
# Usage: scripts/deps.sh [build|demo|test|mirror]
#   build: the Debian packages that compiling pileup needs.
#   demo:  those and libc6-dbg, whose symbols the demo's report shows
#          (`make demo`: its service fixture is C; no Go).
#   test:  those, the packages of `make check`, and the Go toolchains the
#          fixtures are built with, each found by its path (fixtures/Makefile):
#            go1.19          Debian's golang-go, /usr/lib/go-1.19
#            go1.21 - go1.23 golang-1.2X-go from bookworm-backports, /usr/lib/go-1.2X;
#                            the backports suite of the Debian archive this
#                            machine already uses is added as an apt source
#            go1.26          /usr/local/go when it is a 1.26, else go1.26.8
#                            from the Go module proxy, into fixtures/bin/toolchains
#            go1.27.3        from the Go module proxy, into fixtures/bin/toolchains
#          The proxy is reached with the backports go1.23's GOTOOLCHAIN
#          download, which checks the files against the Go checksum database.
#   mirror: prints the URI of the Debian archive of this machine's bookworm
#          source (what backports are added from; scripts/pristine-check.sh).
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
want_build="libdw-dev libelf-dev libbz2-dev libncurses-dev libzstd-dev liblzma-dev liblz4-dev zlib1g-dev libcurl4-openssl-dev libunwind-dev libiberty-dev libdebuginfod-dev pkg-config gcc g++ make"
want_demo="libc6-dbg"
want_test="gdb elfutils procps curl golang-go golang-1.21-go golang-1.22-go golang-1.23-go ca-certificates tmux zstd time jq xz-utils lz4 gzip clang libclang-rt-14-dev delve chromium libxml2-utils libc6-dbg binutils strace etcd-server python3 redis-server nginx memcached postgresql nodejs debuginfod iproute2 util-linux npm"
# Only in bookworm-backports:
backports_only="golang-1.21-go golang-1.22-go golang-1.23-go"
# The Go toolchains brought through the module proxy; fixtures/Makefile
# names the same directory (TOOLCACHE) and versions.
toolcache=$ROOT/fixtures/bin/toolchains
go126=go1.26.8
go127=go1.27.3

mode=${1:-test}
case "$mode" in
  build) want="$want_build" ;;
  demo) want="$want_build $want_demo" ;;
  test) want="$want_build $want_test" ;;
  mirror) ;;
  *) echo "usage: scripts/deps.sh [build|demo|test|mirror]" >&2; exit 2 ;;
esac

# apt's own source files (apt ignores other names, such as *.disabled).
apt_lists() {
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && echo "$f"
  done
  return 0
}
apt_sources() {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && echo "$f"
  done
  return 0
}

# debian_source: "URI<TAB>SIGNED-BY" of the enabled source that carries the
# bookworm suite (deb822 .sources first, then one-line .list files);
# SIGNED-BY may be empty.
debian_source() {
  files=$(apt_sources)
  if [ -n "$files" ]; then
    # deb822: stanzas separated by blank lines, "Field: value" lines;
    # continuation lines (an inline key) start with a space.
    # shellcheck disable=SC2086
    found=$(awk '
      function flush() {
        if (!done && types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && enabled != "no" && uri != "") {
          print uri "\t" signed; done = 1
        }
        types = suites = uri = signed = enabled = ""
      }
      FNR == 1 { flush() }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[A-Za-z-]+:/ {
        key = tolower(substr($0, 1, index($0, ":") - 1))
        val = substr($0, index($0, ":") + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", val)
        if (key == "types") types = val
        else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
        else if (key == "suites") suites = val
        else if (key == "signed-by") signed = (val ~ /^\//) ? val : ""
        else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }' $files)
    if [ -n "$found" ]; then
      echo "$found"
      return 0
    fi
  fi
  files=$(apt_lists)
  [ -n "$files" ] || return 0
  # one-line: deb [options] URI SUITE COMPONENTS...
  # shellcheck disable=SC2086
  awk '
    !done && $1 == "deb" {
      i = 2; signed = ""
      if ($i ~ /^\[/) {
        for (; i <= NF; i++) {
          if (match($i, /signed-by=[^] ]+/)) signed = substr($i, RSTART + 10, RLENGTH - 10)
          if ($i ~ /\]$/) { i++; break }
        }
      }
      if ($(i + 1) == "bookworm") { print $i "\t" signed; done = 1 }
    }' $files
}

# has_backports: some enabled apt source already carries bookworm-backports.
has_backports() {
  files="$(apt_lists) $(apt_sources)"
  # shellcheck disable=SC2086
  [ -n "$(echo $files)" ] && grep -hv '^[[:space:]]*#' $files 2>/dev/null | grep -q '\bbookworm-backports\b'
}

# add_backports: a deb822 source for bookworm-backports, same archive (and
# keyring) as the machine's bookworm source.
add_backports() {
  has_backports && return 0
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  if [ "$codename" != bookworm ]; then
    echo "pileup: golang-1.21-go to golang-1.23-go come from Debian 12's bookworm-backports, and this machine is \"${codename:-unknown}\": install Go 1.21, 1.22 and 1.23 in /usr/lib/go-1.2X yourself" >&2
    exit 1
  fi
  src=$(debian_source)
  uri=$(printf '%s\n' "$src" | cut -f1)
  signed=$(printf '%s\n' "$src" | cut -f2)
  if [ -z "$uri" ]; then
    echo "pileup: no apt source for the bookworm suite in /etc/apt/sources.list or /etc/apt/sources.list.d: add bookworm-backports (main) of your Debian mirror yourself" >&2
    exit 1
  fi
  f=/etc/apt/sources.list.d/bookworm-backports.sources
  echo "pileup: adding the apt source $f ($uri bookworm-backports main)" >&2
  {
    echo "# Added by pileup's scripts/deps.sh: golang-1.21-go to golang-1.23-go for its tests."
    echo "Types: deb"
    echo "URIs: $uri"
    echo "Suites: bookworm-backports"
    echo "Components: main"
    [ -z "$signed" ] || echo "Signed-By: $signed"
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

if [ "$mode" = mirror ]; then
  uri=$(debian_source | cut -f1)
  [ -n "$uri" ] || { echo "pileup: no apt source for the bookworm suite in /etc/apt/sources.list or /etc/apt/sources.list.d" >&2; exit 1; }
  echo "$uri"
  exit 0
fi

missing=""
for p in $want; do
  # NodeSource's nodejs package ships npm too: the command is what the tests need
  [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "pileup: missing Debian packages:$missing; run as root: scripts/deps.sh $mode" >&2
    exit 1
  fi
  for p in $missing; do
    case " $backports_only " in *" $p "*) add_backports; break ;; esac
  done
  echo "pileup: installing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ "$mode" = test ] || exit 0

# fetch_go VERSION: VERSION (go1.X.Y) in the toolchain cache, brought through
# the module proxy by the backports go1.23 if it is not there yet.
fetch_go() {
  gobin=$toolcache/golang.org/toolchain@v0.0.1-$1.linux-amd64/bin/go # pileup is for x86_64
  if "$gobin" version 2>/dev/null | grep -q "^go version $1 "; then
    return 0
  fi
  echo "pileup: fetching $1 through the Go module proxy into fixtures/bin/toolchains" >&2
  mkdir -p "$toolcache"
  if ! out=$(cd / && env GOTOOLCHAIN="$1" GOMODCACHE="$toolcache" GOPATH="$ROOT/fixtures/bin/.gopath" \
      GOCACHE="$ROOT/fixtures/bin/.gocache" GOFLAGS=-modcacherw /usr/lib/go-1.23/bin/go version 2>&1); then
    echo "pileup: cannot fetch $1 through the Go module proxy ($(printf '%s\n' "$out" | grep -v '^go: downloading' | head -n 1)): make ${GOPROXY:-https://proxy.golang.org} reachable (GOPROXY)" >&2
    exit 1
  fi
  if ! "$gobin" version 2>/dev/null | grep -q "^go version $1 "; then
    echo "pileup: $1 from the Go module proxy is not where fixtures/Makefile looks ($gobin): remove fixtures/bin/toolchains and run scripts/deps.sh test again" >&2
    exit 1
  fi
}

if ! /usr/local/go/bin/go version 2>/dev/null | grep -q '^go version go1\.26\.'; then
  fetch_go "$go126"
fi
fetch_go "$go127"
