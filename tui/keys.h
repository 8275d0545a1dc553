/* keys.h - the one table from keys to requests.
 *
 * Each line of TUI_KEYS is a request: its help section, the screens it
 * works on, its label in the footer (NULL: not shown there), its help
 * text and the keys bound to it (the first key is the one the footer
 * shows).  The enum, the key lookup, the footer and the `?` help screen
 * are all generated from it, so help cannot drift from the bindings. */
#ifndef PILEUP_TUI_KEYS_H
#define PILEUP_TUI_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27

/* Screens, for the "where" column of the table. */
enum {
	ON_GROUPS = 1,
	ON_STACK = 2,
	ON_SOURCE = 4,
	ON_HELP = 8,
	ON_HOSTS = 16,
	ON_LISTS = ON_GROUPS | ON_STACK,
	ON_SUB = ON_STACK | ON_SOURCE | ON_HELP | ON_HOSTS,
	ON_ALL = ON_GROUPS | ON_STACK | ON_SOURCE | ON_HELP | ON_HOSTS,
};

enum key_section { KS_MOVE, KS_VIEW, KS_FIND, KS_OTHER, KS__COUNT };

/* request     section where      footer        help text                                           keys */
#define TUI_KEYS(K) \
	K(HELP,      OTHER, ON_ALL,    "Help",       "Show this help",                                    '?', 'h', KEY_F(1)) \
	K(QUIT,      OTHER, ON_ALL,    "Quit",       "Quit pileup",                                       'q', 'Q', KEY_F(10)) \
	K(ENTER,     VIEW,  ON_LISTS,  NULL,         "Open a group's stack, or a frame's source",         '\n', '\r', KEY_ENTER, KEY_RIGHT) \
	K(BACK,      VIEW,  ON_SUB,    "Back",       "Back to the previous screen",                       KEY_ESC, KEY_LEFT, KEY_BACKSPACE, 127, 8) \
	K(SEARCH,    FIND,  ON_ALL,    "Search",     "Search functions, modules, files (and members)",    '/', KEY_F(3)) \
	K(FILTER,    FIND,  ON_GROUPS, "Filter",     "Show only groups with a matching frame",            '\\', KEY_F(4)) \
	K(NEXT,      FIND,  ON_ALL,    NULL,         "Next match",                                        'n') \
	K(PREV,      FIND,  ON_ALL,    NULL,         "Previous match",                                    'N') \
	K(KIND,      VIEW,  ON_GROUPS, "Thr/Go",     "Switch between threads and goroutines",             't', '\t') \
	K(GROUP_BY,  VIEW,  ON_GROUPS, "Stack/Site", "Group by identical stack, or by wait site",         'w') \
	K(SORT,      VIEW,  ON_GROUPS, "Sort",       "Sort by count, by wait time, or by name",           'o', KEY_F(6)) \
	K(LIBRARY,   VIEW,  ON_STACK,  "Lib",        "Hide or show library and runtime frames",           'L') \
	K(WRAPPERS,  VIEW,  ON_STACK,  NULL,         "Show or hide Go's compiler-generated wrappers",     'W') \
	K(HOLDER,    VIEW,  ON_LISTS,  "Holder",     "Jump to the holder of what a group waits on",         'H') \
	K(HOSTS,     VIEW,  ON_LISTS,  "Hosts",      "A merged snapshot's group, host by host",           'm') \
	K(RECAPTURE, OTHER, ON_ALL,    "Recapture",  "Capture the process again; groups show +N/-N",      'r', KEY_F(5)) \
	K(SAVE,      OTHER, ON_ALL,    "Save",       "Save the snapshot as JSON (pileup FILE opens it)",  's', KEY_F(2)) \
	K(UP,        MOVE,  ON_ALL,    NULL,         "Up one line",                                       KEY_UP, 'k', KEY_CTRL('p')) \
	K(DOWN,      MOVE,  ON_ALL,    NULL,         "Down one line",                                     KEY_DOWN, 'j', KEY_CTRL('n')) \
	K(PAGE_UP,   MOVE,  ON_ALL,    NULL,         "Up one page",                                       KEY_PPAGE, 'b', KEY_CTRL('b')) \
	K(PAGE_DOWN, MOVE,  ON_ALL,    NULL,         "Down one page",                                     KEY_NPAGE, ' ', KEY_CTRL('f')) \
	K(HOME,      MOVE,  ON_ALL,    NULL,         "First line",                                        KEY_HOME, 'g', '<') \
	K(END,       MOVE,  ON_ALL,    NULL,         "Last line",                                         KEY_END, 'G', '>') \
	K(REDRAW,    OTHER, ON_ALL,    NULL,         "Redraw the screen",                                 KEY_CTRL('l'))

enum tui_req {
	REQ_NONE,
#define KEYS_ENUM(id, ...) REQ_##id,
	TUI_KEYS(KEYS_ENUM)
#undef KEYS_ENUM
	REQ__COUNT
};

struct key_binding {
	enum tui_req req;
	enum key_section section;
	unsigned where;
	const char *footer;
	const char *help;
	const int *keys; /* 0-terminated */
};

extern const struct key_binding keys_table[];
extern const size_t keys_count;

/* The request bound to a key, REQ_NONE if none. */
enum tui_req keys_lookup(int key);
const struct key_binding *keys_binding(enum tui_req req);
/* "Up", "PgDn", "^L", "Enter", "F1", "k"... */
const char *keys_label(int key, char *buf, size_t size);
/* All keys of a binding, as "Up k ^P" (labels that repeat are left out). */
const char *keys_labels(const struct key_binding *b, char *buf, size_t size);
const char *keys_section_name(enum key_section s);

#endif
