#!/bin/bash
# scripts/pristine-check.sh [--keep] [BRANCH] - the README's two commands on
# a pristine Debian 12, as a new user would run them.  A developer tool (as
# root; not part of make check):
#   1. debootstrap --variant=minbase bookworm into a fresh directory, from
#      the Debian archive this machine's apt sources name (deps.sh mirror);
#   2. add only git and make;
#   3. clone BRANCH (default: the current branch) of this repository inside;
#   4. run `make demo`, then `make check` there;
#   5. print both exit codes and make check's summary line (and its failed
#      checks); the logs stay in the printed directory.
# Every command runs in a mount namespace of its own where the new system
# is the root: proc, sys, dev (with dev/pts and dev/shm) and the repository
# (read-only) are mounted into it, then it becomes the namespace's root
# (pivot_root) and this machine's tree is unmounted there.  So `/` is a
# mount point as on a real machine (tests that build a container root need
# that), nothing of this machine is visible inside, and no mount outlives
# the namespace: nothing stays mounted here on any exit path, not even
# after a SIGKILL of this script.  Processes left behind in those
# namespaces (a fixture a test forgot) are ended on exit; the directory is
# then removed unless --keep is given.  Inside, only resolv.conf and the
# site's CA certificates (if this machine has any in
# /usr/local/share/ca-certificates: a network that intercepts TLS) come
# from this machine.
# Takes 20-30 minutes, ~8 GB under $TMPDIR (default /var/tmp) and the
# network (the Debian archive, the Go module proxy).  Exit 0 when both
# commands passed, 1 when one failed, 2 when the check could not run.
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
	say "needs root (debootstrap, mount namespaces): run it as root"
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
namespaces=$work/namespaces # the mount namespaces the commands ran in
mkdir -p "$chr" "$logs"
: >"$namespaces"

# mounts_under DIR: mount points of this namespace at or under DIR.
mounts_under() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts
}

cleanup() {
	local rc=$? p ns
	trap - EXIT INT TERM HUP
	# End what still runs in the namespaces of our commands (started by
	# them, so by this script), found by namespace, not by name.
	for p in /proc/[0-9]*; do
		ns=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
		grep -qxF "$ns" "$namespaces" && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	if [ -n "$(mounts_under "$chr")" ]; then
		# Never expected (every mount is in the commands' namespaces).
		say "mounted under $chr, not removing it: $(mounts_under "$chr" | tr '\n' ' ')"
	elif [ $keep = 0 ]; then
		rm -rf --one-file-system "$chr"
	else
		say "the system is kept in $chr"
	fi
	say "logs in $logs"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# in_root CMD: runs the bash command CMD as the new system's root user, in
# a login-like environment (nothing of ours leaks in), in a mount namespace
# of its own (see the top).
in_root() {
	unshare --mount --propagation private /bin/bash -c '
		set -e
		r=$1 git=$2 nsfile=$3 cmd=$4
		readlink /proc/self/ns/mnt >>"$nsfile"
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount -t sysfs sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mkdir -p "$r/mnt/pileup.git" "$r/mnt/host"
		mount --bind "$git" "$r/mnt/pileup.git"
		mount -o remount,bind,ro "$r/mnt/pileup.git"
		cd "$r"
		pivot_root . mnt/host
		cd /
		umount -l /mnt/host
		exec /usr/bin/env -i HOME=/root TERM=xterm LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$cmd"
	' in_root "$chr" "$gitdir" "$namespaces" "$1"
}

say "debootstrap --variant=minbase bookworm $chr $mirror (log: $logs/debootstrap.log)"
start=$SECONDS
if ! debootstrap --variant=minbase bookworm "$chr" "$mirror" >"$logs/debootstrap.log" 2>&1; then
	say "debootstrap failed: $(tail -n 3 "$logs/debootstrap.log" | tr '\n' ' ')"
	exit 2
fi
cp /etc/resolv.conf "$chr/etc/resolv.conf"
# Trusted once the system installs ca-certificates, as on any machine of
# this network; a plain network has none.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$chr/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$chr/usr/local/share/ca-certificates/"
fi

say "adding git and make; cloning $branch ($commit)"
if ! in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git make >/dev/null &&
		git clone -q --branch '$branch' /mnt/pileup.git /root/pileup" >"$logs/setup.log" 2>&1; then
	say "setting up the system failed: $(tail -n 3 "$logs/setup.log" | tr '\n' ' ')"
	exit 2
fi
say "pristine system ready after $((SECONDS - start)) s"

start=$SECONDS
say "make demo (log: $logs/demo.log)"
in_root "cd /root/pileup && make demo" >"$logs/demo.log" 2>&1
demo_rc=$?
demo_s=$((SECONDS - start))

start=$SECONDS
say "make check (log: $logs/check.log)"
in_root "cd /root/pileup && make check" >"$logs/check.log" 2>&1
check_rc=$?
check_s=$((SECONDS - start))
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/check.log" | tail -n 1)

echo "pristine Debian 12 ($mirror), branch $branch ($commit):"
echo "  make demo:  exit $demo_rc ($demo_s s)$([ $demo_rc = 0 ] || echo "; last lines: $(tail -n 3 "$logs/demo.log" | tr '\n' ' ')")"
echo "  make check: exit $check_rc ($check_s s): ${summary:-no summary line; last lines: $(tail -n 3 "$logs/check.log" | tr '\n' ' ')}"
grep -E '^not ok|^# (plain|asan) pass' "$logs/check.log" | sed 's/^/    /'
[ $demo_rc = 0 ] && [ $check_rc = 0 ] && exit 0
exit 1
