#!/bin/sh
# Installs the Debian packages pileup needs to build and test, if any are missing.
# Idempotent: does nothing (and needs no network) when everything is present.
# Usage: scripts/deps.sh [build|test]   (build: only what compiling needs)
set -e
want_build="libdw-dev libelf-dev libbz2-dev libncurses-dev libzstd-dev liblzma-dev liblz4-dev zlib1g-dev libcurl4-openssl-dev pkg-config gcc g++ make"
want_test="gdb elfutils golang-go tmux zstd time jq xz-utils lz4 gzip clang libclang-rt-14-dev delve chromium libxml2-utils libc6-dbg binutils strace etcd-server"
case "${1:-test}" in
  build) want="$want_build" ;;
  *) want="$want_build $want_test" ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "pileup: missing Debian packages:$missing; run as root: apt-get install$missing" >&2
  exit 1
fi
echo "pileup: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
