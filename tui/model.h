/* model.h - what the browser shows, over the shared analysis.
 *
 * The model owns the current snapshot and its analysis, and adds what
 * only the browser needs: which grouping is shown (threads or goroutines,
 * by stack or by wait site), the order and filter of its rows, whether
 * library frames are hidden, and the counts of the previous capture for
 * +N/-N.  Re-capturing goes through target_open() and analyze_snapshot(),
 * like the first capture; no screen touches the target itself. */
#ifndef PILEUP_TUI_MODEL_H
#define PILEUP_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "analyze.h"
#include "group.h"
#include "tui.h"

enum model_sort { SORT_COUNT, SORT_WAIT, SORT_NAME, SORT__COUNT };

struct model_counts; /* per group key: count at the previous capture */

struct tui_model {
	struct snapshot *snap;
	struct analysis a;
	const struct tui_opts *opts;
	enum group_kind kind;
	enum group_by by;
	enum model_sort sort;
	bool hide_library;
	bool show_wrappers; /* Go's compiler wrappers, hidden by default as Go's tracebacks do */
	char *filter;      /* NULL: every group */
	size_t *rows;      /* indices into the shown grouping, sorted and filtered */
	size_t nrows;
	int wait_width;    /* the longest wait of the shown grouping, at most 18 */
	unsigned captures; /* 1 until the first re-capture */
	struct model_counts *prev[2][2]; /* [kind][by]; NULL before a re-capture */
	size_t prev_total[2];            /* [kind] */
};

void model_init(struct tui_model *m, struct snapshot *snap, struct analysis *a, const struct tui_opts *o);
/* Hands the snapshot and analysis back to the caller. */
void model_deinit(struct tui_model *m, struct snapshot **snap, struct analysis *a);

const struct grouping *model_grouping(const struct tui_model *m, enum group_kind kind, enum group_by by);
const struct grouping *model_shown(const struct tui_model *m);
/* The group of a row of the shown grouping. */
const struct group *model_row(const struct tui_model *m, size_t row);
/* Recomputes rows after kind, by, sort or filter changed. */
void model_update(struct tui_model *m);
const char *model_sort_name(enum model_sort s);

/* A key that names the same group across captures (content, not pointers). */
unsigned long long model_group_key(const struct group *g, enum group_by by);
/* Row showing the group with key, or (size_t)-1. */
size_t model_find_row(const struct tui_model *m, unsigned long long key);

/* Case-insensitive unless pat has an upper-case letter (like less -i). */
bool model_text_matches(const char *s, const char *pat);
bool model_frame_matches(const struct frame *f, const char *pat);
bool model_group_matches(const struct group *g, const char *pat);

/* Change of a group's count since the previous capture; false when there
 * was none.  *is_new: the group did not exist then. */
bool model_delta(const struct tui_model *m, const struct group *g, long *delta, bool *is_new);
/* Number of groups of the shown grouping that existed before and are gone. */
size_t model_gone(const struct tui_model *m);

/* What members wait on (waitgraph.h): the thread holding what member k
 * of g waits on ((size_t)-1: the first member whose lock has a holder),
 * and the row of the shown grouping holding that thread; false with why
 * (a static string) when there is none. */
bool model_holder(const struct tui_model *m, const struct group *g, size_t k, pid_t *owner, size_t *row, const char **why);
/* Whether any waiter's lock has a holder (the H key is offered then). */
bool model_has_holders(const struct tui_model *m);
/* Whether a member of g is in a deadlock cycle. */
bool model_in_deadlock(const struct tui_model *m, const struct group *g);

/* NULL when r may be pressed; else why not. */
const char *model_cannot_recapture(const struct tui_model *m);
struct pu_error *model_recapture(struct tui_model *m);

char *model_default_save_name(const struct tui_model *m);
struct pu_error *model_save(const struct tui_model *m, const char *path);

/* The last part of a path. */
const char *model_basename(const char *path);
/* "wait_mutex  waits.c:72", or for a frame without a symbol "waits+0x1a2". */
void model_frame_site(const struct frame *f, char *buf, size_t size);
/* The wait site, or "(no own frame) innermost-function". */
void model_group_site(const struct group *g, char *buf, size_t size);

#endif
