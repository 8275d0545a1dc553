/* draw.h - text on the curses screen, safely.
 *
 * Every string drawn goes through draw_str(), which escapes what could
 * reach the terminal as a control: C0/C1 controls, DEL, invalid UTF-8 and
 * characters of no width (\xNN, \u{NNNN}); in a locale that is not UTF-8
 * every non-ASCII byte is escaped.  Text is clipped to a width in screen
 * columns, so a row never wraps.  Roles name what is drawn; draw_attr()
 * maps them to colours (8 or 256) or, without colour, to bold, reverse,
 * underline and dim. */
#ifndef PILEUP_TUI_DRAW_H
#define PILEUP_TUI_DRAW_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

enum draw_role {
	ROLE_NORMAL,
	ROLE_HEAD,     /* title bar */
	ROLE_TITLE,    /* column titles */
	ROLE_CURSOR,   /* the selected row */
	ROLE_DOMINANT, /* a dominant wait site */
	ROLE_CRASH,
	ROLE_DIM,      /* library and runtime frames */
	ROLE_BAR,
	ROLE_GROW,
	ROLE_SHRINK,
	ROLE_KEY,      /* a key in the footer */
	ROLE_MESSAGE,
	ROLE_ERROR,
	ROLE_MARK,     /* the line a source view is about */
	ROLE_SECTION,
	ROLE__COUNT
};

/* colours: 0 (none), 8 or 256. */
void draw_setup(int colours, bool utf8);
bool draw_utf8(void);
int draw_colours(void);
attr_t draw_attr(enum draw_role role);

/* Draws s at y,x in at most w columns; returns the columns used. */
int draw_str(int y, int x, int w, const char *s, attr_t a);
int draw_fmt(int y, int x, int w, attr_t a, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Like draw_str, but a cut ends in an ellipsis ("~" without UTF-8). */
int draw_str_fit(int y, int x, int w, const char *s, attr_t a);
/* Like draw_str, right-aligned in w columns. */
int draw_str_right(int y, int x, int w, const char *s, attr_t a);
/* Columns s takes once escaped. */
int draw_width(const char *s);
void draw_blank(int y, int x, int w, attr_t a);
/* A bar of frac (0..1) of w columns: eighth blocks in UTF-8, '#' otherwise. */
void draw_bar(int y, int x, int w, double frac, attr_t a);
/* " · " in UTF-8, " | " otherwise. */
const char *draw_sep(void);

#endif
