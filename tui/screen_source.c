/* screen_source.c - the source around a frame's line. */
#include "app.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source_screen {
	struct source_text *src;
	char *function, *file; /* copies: the snapshot may be replaced */
	int line;
};

static int head_lines(struct tui *t, struct view *v)
{
	return 1;
}

static void draw_head(struct tui *t, struct view *v, int y, int w)
{
	struct source_screen *s = v->priv;
	const char *sep = draw_sep();
	char buf[2048];
	if (s->file && s->line)
		snprintf(buf, sizeof(buf), " %s:%d%sin %s", model_basename(s->file), s->line, sep,
			 s->function ? s->function : "??");
	else
		snprintf(buf, sizeof(buf), " %s", s->function ? s->function : "??");
	int x = draw_str(y, 0, w, buf, A_BOLD);
	if (s->src->error)
		return;
	if (s->line > 0 && (size_t)s->line > s->src->nlines)
		draw_fmt(y, x, w - x, draw_attr(ROLE_ERROR), "%sthe file has only %zu lines: is it the one built?", sep,
			 s->src->nlines);
	else
		draw_fmt(y, x, w - x, A_NORMAL, "%s%s", sep, s->src->path);
}

/* Line k of text wrapped at words to w columns, into out; returns how
 * many lines there are. */
static size_t wrap(const char *text, int w, size_t k, char *out, size_t size)
{
	size_t n = 0;
	int col = 0;
	out[0] = 0;
	for (const char *p = text; *p;) {
		size_t wl = strcspn(p, " ");
		char word[512];
		snprintf(word, sizeof(word), "%.*s", (int)(wl < sizeof(word) - 1 ? wl : sizeof(word) - 1), p);
		int ww = draw_width(word);
		if (col && col + 1 + ww > w) {
			n++;
			col = 0;
		}
		size_t len = strlen(out);
		if (n == k && len + strlen(word) + 2 < size)
			snprintf(out + len, size - len, "%s%s", col ? " " : "", word);
		col += (col ? 1 : 0) + ww;
		p += wl;
		p += strspn(p, " ");
	}
	return n + 1;
}

static const char *error_text(struct source_screen *s, char *buf, size_t size)
{
	snprintf(buf, size, "The source cannot be shown: %s.", s->src->error);
	return buf;
}

static size_t rows(struct tui *t, struct view *v)
{
	struct source_screen *s = v->priv;
	char msg[2048], line[2048];
	if (s->src->error)
		return wrap(error_text(s, msg, sizeof(msg)), COLS - 2, 0, line, sizeof(line));
	return s->src->nlines;
}

static void draw_row(struct tui *t, struct view *v, size_t row, int y, int w, bool cursor)
{
	struct source_screen *s = v->priv;
	if (s->src->error) {
		char msg[2048], line[2048];
		wrap(error_text(s, msg, sizeof(msg)), w - 2, row, line, sizeof(line));
		draw_str_fit(y, 1, w - 2, line, draw_attr(ROLE_ERROR));
		return;
	}
	bool here = (size_t)s->line == row + 1;
	attr_t a = cursor ? draw_attr(ROLE_CURSOR) : here ? draw_attr(ROLE_MARK) : A_NORMAL;
	draw_blank(y, 0, w, cursor || here ? a : A_NORMAL);
	draw_str(y, 0, 1, here ? ">" : cursor ? "-" : " ", a);
	draw_fmt(y, 1, 6, here ? a | A_BOLD : cursor ? a : draw_attr(ROLE_DIM), "%5zu", row + 1);
	draw_str(y, 8, w - 8, s->src->lines[row], a);
}

static bool match(struct tui *t, struct view *v, size_t row, const char *pat)
{
	struct source_screen *s = v->priv;
	return !s->src->error && model_text_matches(s->src->lines[row], pat);
}

static void destroy(struct view *v)
{
	struct source_screen *s = v->priv;
	source_free(s->src);
	free(s->function);
	free(s->file);
	free(s);
}

static const struct view_ops source_ops = {
	.name = "source",
	.where = ON_SOURCE,
	.head_lines = head_lines,
	.draw_head = draw_head,
	.rows = rows,
	.draw_row = draw_row,
	.match = match,
	.destroy = destroy,
};

struct view *source_view_create(struct tui *t, const struct frame *f)
{
	struct source_screen *s = xcalloc(1, sizeof(*s));
	s->function = f->function ? xstrdup(f->function) : NULL;
	s->file = f->file ? xstrdup(f->file) : NULL;
	s->line = f->line;
	const struct report *r = &t->model.a.report;
	const char *bid = r->build_id && f->module ? r->build_id(t->model.snap, f->module) : NULL;
	s->src = source_load(t->model.snap, f, bid, &t->source);
	struct view *v = view_new(&source_ops, s);
	if (!s->src->error && s->line > 0)
		view_center(t, v, (size_t)s->line - 1);
	return v;
}
