/* tui.c - the browser's life: keys in, requests done, screens drawn.
 *
 * Order of the file: input, drawing, the screen stack, what each request
 * does, the main loop.  The terminal itself is term.c's. */
#include "tui.h"
#include "app.h"
#include "script.h"
#include "term.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_COLS 40
#define MIN_LINES 8
#define PU_STR2(x) #x
#define PU_STR(x) PU_STR2(x)

bool tui_wanted(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* Input. */

int tui_getkey(struct tui *t)
{
	for (;;) {
		if (term_quit_signal() || t->error)
			return TUI_KEY_END;
		if (t->script) {
			struct script_step st;
			struct pu_error *err = script_next(t->script, &st);
			if (err) {
				t->error = err;
				return TUI_KEY_END;
			}
			switch (st.item) {
			case SCRIPT_KEY: return st.key;
			case SCRIPT_END: return TUI_KEY_END;
			case SCRIPT_DUMP: t->error = term_dump(st.path); continue;
			case SCRIPT_RESIZE: resize_term(st.lines, st.cols); return KEY_RESIZE;
			}
			continue;
		}
		int k = wgetch(stdscr);
		if (k != ERR)
			return k;
	}
}

void tui_appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	if (len + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

void tui_message(struct tui *t, enum draw_role role, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->message, sizeof(t->message), fmt, ap);
	va_end(ap);
	t->message_role = role;
}

void tui_draw(struct tui *t)
{
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		char size[64];
		snprintf(size, sizeof(size), "%dx%d is too small;", COLS, LINES);
		const char *lines[] = {"pileup: the terminal", size, "it needs " PU_STR(MIN_COLS) "x" PU_STR(MIN_LINES), "(q quits)"};
		for (int y = 0; y < LINES && y < 4; y++)
			draw_str(y, 0, COLS, lines[y], draw_attr(ROLE_MESSAGE));
		refresh();
		return;
	}
	header_draw(t, COLS);
	view_draw(t, t->view);
	footer_draw(t, LINES - 1, COLS);
	refresh();
}

/* Screens come and go. */

void tui_push(struct tui *t, struct view *v)
{
	if (!v)
		return;
	v->parent = t->view;
	t->view = v;
}

void tui_pop(struct tui *t)
{
	struct view *v = t->view;
	if (!v)
		return;
	t->view = v->parent;
	view_free(v);
}

/* The model changed: every screen looks again, from the bottom up; a
 * screen that cannot show its subject any more closes with those above. */
static void refresh_views(struct tui *t)
{
	struct view *stack[16];
	size_t n = 0;
	for (struct view *v = t->view; v && n < 16; v = v->parent)
		stack[n++] = v;
	while (n--) {
		struct view *v = stack[n];
		if (!v->ops->reload || v->ops->reload(t, v))
			continue;
		while (t->view != v)
			tui_pop(t);
		tui_pop(t);
		tui_message(t, ROLE_MESSAGE, "that group is not in the new capture");
		break;
	}
}

/* What requests do beyond the screens and the list. */

static void do_search(struct tui *t, int dir, bool ask)
{
	struct view *v = t->view;
	if (ask) {
		char pat[256];
		if (!tui_prompt(t, "Search: ", NULL, pat, sizeof(pat)) || !pat[0])
			return;
		free(t->search);
		t->search = xstrdup(pat);
	} else if (!t->search) {
		tui_message(t, ROLE_MESSAGE, "no search yet: press / first");
		return;
	}
	if (!view_search(t, v, t->search, dir, true))
		tui_message(t, ROLE_ERROR, "not found: %s", t->search);
}

static void do_recapture(struct tui *t)
{
	struct tui_model *m = &t->model;
	const char *why = model_cannot_recapture(m);
	if (why) {
		tui_message(t, ROLE_ERROR, "%s", why);
		return;
	}
	size_t threads = m->snap->nthreads, goroutines = m->snap->ngoroutines;
	tui_message(t, ROLE_MESSAGE, m->snap->source == SNAP_SAVED ? "reading the file again..." : "capturing again...");
	tui_draw(t);
	struct pu_error *err = model_recapture(m);
	if (err) {
		tui_message(t, ROLE_ERROR, "re-capture failed: %s", err == &pu_enomem ? "out of memory" : err->msg);
		pu_error_free(err);
		return;
	}
	refresh_views(t);
	if (t->message[0] && !strstr(t->message, " again..."))
		return;
	long dt = (long)m->snap->nthreads - (long)threads, dg = (long)m->snap->ngoroutines - (long)goroutines;
	if (m->snap->ngoroutines || goroutines)
		tui_message(t, ROLE_MESSAGE, "capture #%u: %zu threads (%+ld), %zu goroutines (%+ld)", m->captures,
			    m->snap->nthreads, dt, m->snap->ngoroutines, dg);
	else
		tui_message(t, ROLE_MESSAGE, "capture #%u: %zu threads (%+ld)", m->captures, m->snap->nthreads, dt);
}

static void do_save(struct tui *t)
{
	char *def = model_default_save_name(&t->model);
	char path[1024];
	bool ok = tui_prompt(t, "Save as: ", def, path, sizeof(path));
	free(def);
	if (!ok || !path[0])
		return;
	struct stat st;
	if (stat(path, &st) == 0) {
		char q[1200], yn[8];
		snprintf(q, sizeof(q), "%s exists; overwrite it? (y/n) ", path);
		if (!tui_prompt(t, q, NULL, yn, sizeof(yn)) || (yn[0] != 'y' && yn[0] != 'Y')) {
			tui_message(t, ROLE_MESSAGE, "not saved");
			return;
		}
	}
	struct pu_error *err = model_save(&t->model, path);
	if (err) {
		tui_message(t, ROLE_ERROR, "%s", err == &pu_enomem ? "out of memory" : err->msg);
		pu_error_free(err);
		return;
	}
	tui_message(t, ROLE_MESSAGE, "saved %s; open it with: pileup %s", path, path);
}

static void handle_key(struct tui *t, int key)
{
	struct tui_model *m = &t->model;
	struct view *v = t->view;
	char label[32];
	enum tui_req req = keys_lookup(key);
	if (req == REQ_NONE) {
		tui_message(t, ROLE_MESSAGE, "%s does nothing here; ? lists the keys", keys_label(key, label, sizeof(label)));
		return;
	}
	const struct key_binding *b = keys_binding(req);
	if (!(b->where & v->ops->where)) {
		tui_message(t, ROLE_MESSAGE, "%s: not on this screen; ? lists the keys", keys_label(key, label, sizeof(label)));
		return;
	}
	if (v->ops->request && v->ops->request(t, v, req))
		return;
	if (view_request(t, v, req))
		return;
	char pat[256];
	switch (req) {
	case REQ_QUIT: t->quit = true; break;
	case REQ_BACK:
		if (v->parent)
			tui_pop(t);
		break;
	case REQ_HELP:
		if (strcmp(v->ops->name, "help") != 0)
			tui_push(t, help_view_create(t));
		break;
	case REQ_REDRAW: clearok(curscr, TRUE); break;
	case REQ_SEARCH: do_search(t, 1, true); break;
	case REQ_NEXT: do_search(t, 1, false); break;
	case REQ_PREV: do_search(t, -1, false); break;
	case REQ_FILTER:
		if (!tui_prompt(t, "Filter (empty shows all): ", m->filter, pat, sizeof(pat)))
			break;
		free(m->filter);
		m->filter = pat[0] ? xstrdup(pat) : NULL;
		model_update(m);
		refresh_views(t);
		if (m->filter && !m->nrows)
			tui_message(t, ROLE_ERROR, "no group has a frame matching %s", m->filter);
		break;
	case REQ_KIND:
		if (!m->a.goroutines) {
			tui_message(t, ROLE_MESSAGE, "this snapshot has no goroutines");
			break;
		}
		m->kind = m->kind == GROUP_THREADS ? GROUP_GOROUTINES : GROUP_THREADS;
		model_update(m);
		refresh_views(t);
		break;
	case REQ_GROUP_BY:
		m->by = m->by == GROUP_BY_STACK ? GROUP_BY_SITE : GROUP_BY_STACK;
		model_update(m);
		refresh_views(t);
		break;
	case REQ_SORT:
		m->sort = (enum model_sort)((m->sort + 1) % SORT__COUNT);
		model_update(m);
		refresh_views(t);
		tui_message(t, ROLE_MESSAGE, "sorted by %s", model_sort_name(m->sort));
		break;
	case REQ_LIBRARY:
		m->hide_library = !m->hide_library;
		refresh_views(t);
		tui_message(t, ROLE_MESSAGE, "library and runtime frames %s", m->hide_library ? "hidden" : "shown");
		break;
	case REQ_WRAPPERS:
		m->show_wrappers = !m->show_wrappers;
		refresh_views(t);
		tui_message(t, ROLE_MESSAGE, "compiler-generated wrapper frames %s", m->show_wrappers ? "shown" : "hidden");
		break;
	case REQ_RECAPTURE: do_recapture(t); break;
	case REQ_SAVE: do_save(t); break;
	default: break;
	}
}

static struct pu_error *parse_size(int *cols, int *lines)
{
	const char *s = getenv("PILEUP_TUI_SIZE");
	*cols = 80;
	*lines = 24;
	if (!s || !*s)
		return NULL;
	char tail;
	if (sscanf(s, "%dx%d%c", cols, lines, &tail) != 2 || *cols < 1 || *lines < 1 || *cols > 1000 || *lines > 1000)
		return pu_error_new(PU_EXIT_USAGE, "PILEUP_TUI_SIZE=%s: give COLSxLINES, e.g. 80x24", s);
	return NULL;
}

struct pu_error *tui_run(struct snapshot **snap, struct analysis *a, const struct tui_opts *o)
{
	struct tui t;
	memset(&t, 0, sizeof(t));
	int cols, lines;
	struct pu_error *err = parse_size(&cols, &lines);
	if (err)
		return err;
	const char *script = getenv("PILEUP_TUI_SCRIPT");
	if (script && *script && (err = script_open(script, &t.script)))
		return err;
	term_clear_signal();
	term_signals_install();
	err = term_start(t.script != NULL, cols, lines);
	if (err) {
		term_end();
		term_signals_restore();
		script_close(t.script);
		return err;
	}
	model_init(&t.model, *snap, a, o);
	t.source.source_dir = o->source_dir;
	tui_push(&t, groups_view_create(&t));
	while (!t.quit) {
		tui_draw(&t);
		int key = tui_getkey(&t);
		if (key == TUI_KEY_END)
			break;
		t.message[0] = 0;
		if (key == KEY_RESIZE)
			continue;
		handle_key(&t, key);
	}
	while (t.view)
		tui_pop(&t);
	model_deinit(&t.model, snap, a);
	debugsrc_destroy(t.source.debug);
	term_end();
	term_signals_restore();
	script_close(t.script);
	free(t.search);
	int sig = term_quit_signal();
	if (sig) {
		/* Die of the signal, as if the browser had not caught it. */
		pu_error_free(t.error);
		signal(sig, SIG_DFL);
		raise(sig);
		return pu_error_new(128 + sig, "stopped by signal %d", sig);
	}
	return t.error;
}
