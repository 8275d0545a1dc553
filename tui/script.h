/* script.h - keys for the browser from a file, for tests.
 *
 * One item a line; '#' starts a comment line.
 *   :dump FILE         write the screen as text to FILE
 *   :resize COLSxLINES resize the virtual screen
 *   anything else      keys: characters as typed, and <Name> for the
 *                      others: <Enter> <Esc> <Tab> <BS> <Space> <Up> <Down>
 *                      <Left> <Right> <PgUp> <PgDn> <Home> <End> <F1>..<F12>
 *                      <C-x> (control) and <lt> for '<'.
 * The file is read a line at a time as keys are needed, so a test can
 * feed it through a FIFO and act between keys.  At its end the browser
 * quits. */
#ifndef PILEUP_TUI_SCRIPT_H
#define PILEUP_TUI_SCRIPT_H

#include "error.h"

enum script_item { SCRIPT_KEY, SCRIPT_DUMP, SCRIPT_RESIZE, SCRIPT_END };

struct script_step {
	enum script_item item;
	int key;
	char *path;        /* SCRIPT_DUMP; owned by the script until the next step */
	int cols, lines;   /* SCRIPT_RESIZE */
};

struct script;

struct pu_error *script_open(const char *path, struct script **ret);
void script_close(struct script *s);
struct pu_error *script_next(struct script *s, struct script_step *ret);

#endif
