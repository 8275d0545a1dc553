/* app.h - the browser's state, and what every screen implements.
 *
 * A screen is a scrolling list of rows under a few fixed lines of its
 * own, between the target header (2 lines) and the footer (1 line).  It
 * fills a struct view_ops; the generic code (view.c) moves the cursor,
 * scrolls, searches and draws only the rows that are visible, so a list
 * of 100,000 rows costs what a screenful costs.  Screens only read the
 * model; re-capture and saving go through model.c. */
#ifndef PILEUP_TUI_APP_H
#define PILEUP_TUI_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "draw.h"
#include "keys.h"
#include "model.h"
#include "source.h"

struct tui;
struct view;

struct view_ops {
	const char *name;
	unsigned where; /* ON_GROUPS, ON_STACK... of keys.h */
	int (*head_lines)(struct tui *t, struct view *v);
	void (*draw_head)(struct tui *t, struct view *v, int y, int w);
	size_t (*rows)(struct tui *t, struct view *v);
	void (*draw_row)(struct tui *t, struct view *v, size_t row, int y, int w, bool cursor);
	/* NULL: every row can hold the cursor. */
	bool (*selectable)(struct tui *t, struct view *v, size_t row);
	bool (*match)(struct tui *t, struct view *v, size_t row, const char *pat);
	/* Requests the screen handles itself; false: the generic handling. */
	bool (*request)(struct tui *t, struct view *v, enum tui_req req);
	/* The model changed under the screen; false: the screen must close. */
	bool (*reload)(struct tui *t, struct view *v);
	void (*destroy)(struct view *v);
};

struct view {
	const struct view_ops *ops;
	size_t cursor, top;
	void *priv;
	struct view *parent;
};

struct script;

struct tui {
	struct tui_model model;
	struct view *view;     /* the screen shown; parents below it */
	char *search;          /* the last search pattern */
	char message[512];     /* shown in the footer until the next key */
	enum draw_role message_role;
	bool quit;
	struct pu_error *error; /* ends the browser (scripts) */
	struct script *script;
	struct source_ctx source; /* for the source screen: --source-dir, checked modules */
};

/* Keys beyond curses': the script ended or a signal asks to quit. */
#define TUI_KEY_END (-2)

int tui_getkey(struct tui *t);
void tui_draw(struct tui *t);
void tui_message(struct tui *t, enum draw_role role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* prompt.c: a line of input in the footer; false when cancelled. */
bool tui_prompt(struct tui *t, const char *label, const char *initial, char *buf, size_t size);
void tui_push(struct tui *t, struct view *v);
void tui_pop(struct tui *t);
/* header.c: the target on the first two lines, keys (or a message) on the last. */
void header_draw(struct tui *t, int w);
void footer_draw(struct tui *t, int y, int w);
/* Appends to the string in buf, never past size. */
void tui_appendf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* How many list rows a screen shows. */
int view_list_height(struct tui *t, struct view *v);

/* view.c: the generic list. */
struct view *view_new(const struct view_ops *ops, void *priv);
void view_free(struct view *v);
void view_draw(struct tui *t, struct view *v);
/* Moves the cursor to row (or the nearest selectable row) and scrolls to it. */
void view_select(struct tui *t, struct view *v, size_t row);
/* Scrolls so that row is in the middle of the list. */
void view_center(struct tui *t, struct view *v, size_t row);
bool view_request(struct tui *t, struct view *v, enum tui_req req);
/* Searches from the cursor; dir +1 or -1; false: no row matches. */
bool view_search(struct tui *t, struct view *v, const char *pat, int dir, bool from_next);

/* The screens. */
struct view *groups_view_create(struct tui *t);
struct view *stack_view_create(struct tui *t, const struct group *g);
struct view *source_view_create(struct tui *t, const struct frame *f);
struct view *help_view_create(struct tui *t);
/* screen_hosts.c: opens the hosts screen of g, or says why not (a
 * snapshot that is not merged); true: the key was handled. */
struct view *hosts_view_create(struct tui *t, const struct group *g);
bool hosts_open(struct tui *t, const struct group *g);

#endif
