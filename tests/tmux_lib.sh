# tests/tmux_lib.sh - a real terminal for the tests that need one
# (t_tui_tmux.sh, t_progress.sh): a tmux server of the test's own, keys in
# with send-keys, the screen back with capture-pane.  Source it after
# lib.sh; a test without tmux checks that it is missing and ends.

if ! command -v tmux >/dev/null; then
	check "tmux is installed (scripts/deps.sh test)" false
	finish
	exit
fi
TMUX_SOCK=pileup-$(basename "$0" .sh)-$$
tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT
screen() { tm capture-pane -p -t "$1"; }

# wait_for NAME PATTERN: until the screen shows PATTERN, WAIT_FOR_S seconds
# at most (default 30: the machine may be busy).
WAIT_FOR_S=${WAIT_FOR_S:-30}
wait_for() {
	local i
	for ((i = 0; i < WAIT_FOR_S * 20; i++)); do
		screen "$1" | grep -q -- "$2" && return 0
		sleep 0.05
	done
	echo "# screen of $1 without '$2':"
	screen "$1" | sed 's/^/#   /'
	return 1
}
