#!/bin/bash
# scripts/pristine-check.sh [--keep] [BRANCH] - the README's two commands on
# a pristine Debian 12, as a new user would run them.  A developer tool (as
# root; not part of make check): it debootstraps a minimal bookworm
# (--variant=minbase, from the archive this machine's apt sources name)
# into a fresh directory, adds only git and make, mounts proc, sys, dev,
# dev/pts and dev/shm into it (and the site's CA certificates, if any),
# clones BRANCH (default: the current branch)
# of this repository inside, and runs `make demo`, then `make check`
# there.  It prints both exit codes and make check's summary line, keeps
# the logs (the path is printed), and unmounts everything on every exit
# path; the chroot is removed unless --keep is given.  Takes 20-30 minutes
# and needs ~6 GB in $TMPDIR (default /var/tmp) and the network (the
# Debian archive, the Go module proxy).  Exit 0 when both commands passed.
set -u
keep=0
if [ "${1:-}" = --keep ]; then
	keep=1
	shift
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
branch=${1:-$(git -C "$ROOT" rev-parse --abbrev-ref HEAD)}
say() { echo "pristine-check: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
	say "needs root (debootstrap, chroot, mount): run it as root"
	exit 2
fi
if ! git -C "$ROOT" rev-parse --verify -q "refs/heads/$branch" >/dev/null; then
	say "no branch $branch in $ROOT"
	exit 2
fi
commit=$(git -C "$ROOT" rev-parse --short "refs/heads/$branch")
# The repository's object store (a worktree's .git is a file pointing there).
gitdir=$(cd "$ROOT" && cd "$(git rev-parse --git-common-dir)" && pwd)
mirror=$("$ROOT/scripts/deps.sh" mirror) || exit 2
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || {
		say "cannot install debootstrap: apt-get install debootstrap"
		exit 2
	}
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/pileup-pristine.XXXXXX")
chr=$work/root
logs=$work/logs
mkdir -p "$chr" "$logs"
mounted=()

# mounts_under DIR: mount points at or under DIR, deepest first.
mounts_under() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

cleanup() {
	local rc=$? p m i
	trap - EXIT INT TERM HUP
	# Whatever still runs inside the chroot was started by this script
	# (a fixture a test left behind): end it, or the mounts stay busy.
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$chr" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		m=${mounted[i]}
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "cannot unmount $m"
	done
	# Anything else mounted under the chroot (none expected), deepest first.
	for m in $(mounts_under "$chr"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "cannot unmount $m"
	done
	if [ -n "$(mounts_under "$chr")" ]; then
		say "still mounted under $chr, not removing it: $(mounts_under "$chr" | tr '\n' ' ')"
	elif [ $keep = 0 ]; then
		rm -rf --one-file-system "$chr"
	fi
	say "logs in $logs"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mnt() { # mnt TARGET MOUNT-ARGS...
	local target=$1
	shift
	mkdir -p "$target"
	mount "$@" "$target" || {
		say "mount $* $target failed"
		exit 2
	}
	mounted+=("$target")
}

say "debootstrap --variant=minbase bookworm $chr $mirror (log: $logs/debootstrap.log)"
start=$SECONDS
if ! debootstrap --variant=minbase bookworm "$chr" "$mirror" >"$logs/debootstrap.log" 2>&1; then
	say "debootstrap failed: $(tail -n 3 "$logs/debootstrap.log" | tr '\n' ' ')"
	exit 2
fi
cp /etc/resolv.conf "$chr/etc/resolv.conf"
# The site's own CA certificates, if this machine has any (a network that
# intercepts TLS: the Go module proxy is reached through it).  They become
# trusted when the chroot installs ca-certificates, as on any machine here;
# a plain network has none, and nothing else of this machine is copied.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$chr/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$chr/usr/local/share/ca-certificates/"
fi
mnt "$chr/proc" -t proc proc
mnt "$chr/sys" -t sysfs sys
mnt "$chr/dev" --bind /dev
mnt "$chr/dev/pts" --bind /dev/pts
mnt "$chr/dev/shm" -t tmpfs -o mode=1777 shm
mnt "$chr/mnt/pileup.git" --bind -o ro "$gitdir"
mount -o remount,bind,ro "$chr/mnt/pileup.git"

# in_chroot CMD: a login-like environment, nothing of ours leaks in.
in_chroot() {
	chroot "$chr" /usr/bin/env -i HOME=/root TERM=xterm LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"
}
say "adding git and make; cloning $branch ($commit)"
if ! in_chroot "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git make &&
		git clone -q --branch '$branch' /mnt/pileup.git /root/pileup" >"$logs/setup.log" 2>&1; then
	say "setting up the chroot failed: $(tail -n 3 "$logs/setup.log" | tr '\n' ' ')"
	exit 2
fi
say "chroot ready after $((SECONDS - start)) s"

start=$SECONDS
say "make demo (log: $logs/demo.log)"
in_chroot "cd /root/pileup && make demo" >"$logs/demo.log" 2>&1
demo_rc=$?
demo_s=$((SECONDS - start))

start=$SECONDS
say "make check (log: $logs/check.log)"
in_chroot "cd /root/pileup && make check" >"$logs/check.log" 2>&1
check_rc=$?
check_s=$((SECONDS - start))
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/check.log" | tail -n 1)

echo "pristine Debian 12 ($mirror), branch $branch ($commit):"
echo "  make demo:  exit $demo_rc ($demo_s s)$( [ $demo_rc = 0 ] || echo "; last lines: $(tail -n 3 "$logs/demo.log" | tr '\n' ' ')")"
echo "  make check: exit $check_rc ($check_s s): ${summary:-no summary line; last lines: $(tail -n 3 "$logs/check.log" | tr '\n' ' ')}"
grep -E '^not ok|^# failed:' "$logs/check.log" | sed 's/^/    /'
[ $demo_rc = 0 ] && [ $check_rc = 0 ]
