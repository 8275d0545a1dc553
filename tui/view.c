/* view.c - the scrolling list every screen is. */
#include "app.h"

#include <stdlib.h>

struct view *view_new(const struct view_ops *ops, void *priv)
{
	struct view *v = xcalloc(1, sizeof(*v));
	v->ops = ops;
	v->priv = priv;
	return v;
}

void view_free(struct view *v)
{
	if (!v)
		return;
	if (v->ops->destroy)
		v->ops->destroy(v);
	free(v);
}

int view_list_height(struct tui *t, struct view *v)
{
	int h = LINES - 2 - v->ops->head_lines(t, v) - 1;
	return h < 1 ? 1 : h;
}

static bool can_hold(struct tui *t, struct view *v, size_t row)
{
	return !v->ops->selectable || v->ops->selectable(t, v, row);
}

/* Keeps the cursor in range and on screen, and the page full. */
static void clamp(struct tui *t, struct view *v)
{
	size_t n = v->ops->rows(t, v), h = (size_t)view_list_height(t, v);
	if (!n) {
		v->cursor = v->top = 0;
		return;
	}
	if (v->cursor >= n)
		v->cursor = n - 1;
	if (v->top + h > n)
		v->top = n > h ? n - h : 0;
	if (v->cursor < v->top)
		v->top = v->cursor;
	if (v->cursor >= v->top + h)
		v->top = v->cursor - h + 1;
}

void view_select(struct tui *t, struct view *v, size_t row)
{
	size_t n = v->ops->rows(t, v);
	if (!n) {
		clamp(t, v);
		return;
	}
	if (row >= n)
		row = n - 1;
	size_t r = row;
	while (r < n && !can_hold(t, v, r))
		r++;
	if (r >= n) {
		r = row;
		while (r > 0 && !can_hold(t, v, r))
			r--;
	}
	v->cursor = r;
	clamp(t, v);
}

void view_center(struct tui *t, struct view *v, size_t row)
{
	size_t h = (size_t)view_list_height(t, v);
	view_select(t, v, row);
	v->top = v->cursor > h / 2 ? v->cursor - h / 2 : 0;
	clamp(t, v);
}

/* Moves by delta rows, past rows that cannot hold the cursor. */
static void move_cursor(struct tui *t, struct view *v, long delta)
{
	size_t n = v->ops->rows(t, v);
	if (!n || !delta)
		return;
	long last = (long)n - 1, target = (long)v->cursor + delta;
	if (target < 0)
		target = 0;
	if (target > last)
		target = last;
	long dir = delta > 0 ? 1 : -1, r = target;
	while (r >= 0 && r <= last && !can_hold(t, v, (size_t)r))
		r += dir;
	if (r < 0 || r > last) {
		/* Nothing further that way: the last row that can hold it. */
		for (r = target; r != (long)v->cursor && !can_hold(t, v, (size_t)r); r -= dir)
			;
	}
	v->cursor = (size_t)r;
	clamp(t, v);
}

bool view_request(struct tui *t, struct view *v, enum tui_req req)
{
	long h = view_list_height(t, v);
	size_t n = v->ops->rows(t, v);
	switch (req) {
	case REQ_UP: move_cursor(t, v, -1); return true;
	case REQ_DOWN: move_cursor(t, v, 1); return true;
	case REQ_PAGE_UP:
		v->top = v->top > (size_t)h ? v->top - (size_t)h : 0;
		move_cursor(t, v, -h);
		return true;
	case REQ_PAGE_DOWN:
		v->top += (size_t)h;
		move_cursor(t, v, h);
		return true;
	case REQ_HOME: view_select(t, v, 0); return true;
	case REQ_END: view_select(t, v, n ? n - 1 : 0); return true;
	default: return false;
	}
}

bool view_search(struct tui *t, struct view *v, const char *pat, int dir, bool from_next)
{
	size_t n = v->ops->rows(t, v);
	if (!n || !pat || !*pat || !v->ops->match)
		return false;
	size_t r = v->cursor < n ? v->cursor : 0;
	for (size_t i = 0; i < n; i++) {
		if (from_next || i)
			r = dir > 0 ? (r + 1) % n : (r + n - 1) % n;
		if (can_hold(t, v, r) && v->ops->match(t, v, r, pat)) {
			view_select(t, v, r);
			return true;
		}
	}
	return false;
}

void view_draw(struct tui *t, struct view *v)
{
	int head = v->ops->head_lines(t, v);
	v->ops->draw_head(t, v, 2, COLS);
	clamp(t, v);
	size_t n = v->ops->rows(t, v);
	int h = view_list_height(t, v);
	for (int i = 0; i < h; i++) {
		size_t row = v->top + (size_t)i;
		if (row >= n)
			break;
		v->ops->draw_row(t, v, row, 2 + head + i, COLS, row == v->cursor);
	}
}
