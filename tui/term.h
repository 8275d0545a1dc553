/* term.h - the terminal under the browser.
 *
 * term_start() puts curses on the terminal (or, scripted, on a virtual
 * screen of cols x lines that writes nowhere and has no colours);
 * term_end() gives the terminal back as it was.  Between the two, quit
 * signals only raise a flag (term_quit_signal()) and fatal signals restore
 * the terminal before the process dies. */
#ifndef PILEUP_TUI_TERM_H
#define PILEUP_TUI_TERM_H

#include <stdbool.h>

#include "error.h"

struct pu_error *term_start(bool scripted, int cols, int lines);
void term_end(void);
void term_signals_install(void);
void term_signals_restore(void);
/* The quit signal received since term_clear_signal(), or 0. */
int term_quit_signal(void);
void term_clear_signal(void);
/* Writes the screen as text, one line per row, trailing blanks cut. */
struct pu_error *term_dump(const char *path);

#endif
