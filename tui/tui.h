/* tui.h - the curses browser.
 *
 * `pileup PID` on a terminal browses the groups of an analyzed snapshot:
 * screens for the ranked groups, a group's stack and members, a frame's
 * source, and the key help.  The browser restores the terminal on every
 * way out (quit, error, SIGINT/SIGTERM/SIGHUP, a crash) and only ever
 * captures the target through target_open(), which never leaves it
 * stopped.
 *
 * Scripted mode, for tests: PILEUP_TUI_SCRIPT names a file of keys and
 * commands (see script.h); curses then draws to a virtual screen of
 * PILEUP_TUI_SIZE (COLSxLINES, default 80x24) without colours, and
 * `:dump FILE` writes the screen as text. */
#ifndef PILEUP_TUI_H
#define PILEUP_TUI_H

#include <stdbool.h>

#include "analyze.h"
#include "error.h"
#include "target.h"

struct tui_opts {
	const struct target_opts *target;   /* what to capture again on r */
	const struct analyze_opts *analyze;
	const char *source_dir;             /* --source-dir: where sources may be read */
};

/* True when stdin and stdout are terminals: the browser is the default. */
bool tui_wanted(void);

/* Browses until the user quits.  *snap and *a may be replaced by a
 * re-capture; on return they hold the latest, for the caller to free. */
struct pu_error *tui_run(struct snapshot **snap, struct analysis *a, const struct tui_opts *o);

#endif
