/* screen_groups.c - the main screen: one row per group, ranked.  A
 * deadlock, when there is one, heads it; when the snapshot knows what
 * waiters wait on, a line says it for the group under the cursor. */
#include "app.h"
#include "merge.h"
#include "waitdesc.h"
#include "waitgraph.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct columns {
	int count_x, count_w;
	int delta_x, delta_w;
	int bar_x, bar_w;
	int pct_x;
	int wait_x, wait_w;
	int min_x, min_w;
	int hosts_x, hosts_w; /* merged snapshots: on how many hosts */
	int site_x, site_w;
	int call_x, call_w;
};

struct groups_screen {
	unsigned long long cursor_key; /* the group under the cursor, to find it again */
	bool have_key;
	struct columns cols;           /* laid out by draw_head for the rows below */
};

static const char *call_name(const struct group *g)
{
	return g->blocking_call >= 0 ? g->frames[g->blocking_call].function : NULL;
}

/* Widths follow the terminal; the blocking call gets what its visible
 * names need, up to 2/5 of what is left, the wait site the rest. */
static void layout(struct tui *t, struct view *v, int w, struct columns *c)
{
	const struct tui_model *m = &t->model;
	const struct grouping *gr = model_shown(m);
	memset(c, 0, sizeof(*c));
	int x = 2;
	char num[32];
	c->count_w = snprintf(num, sizeof(num), "%zu", gr->total);
	if (c->count_w < 5)
		c->count_w = 5;
	c->count_x = x;
	x += c->count_w + 1;
	if (m->prev[m->kind][m->by]) {
		c->delta_x = x;
		c->delta_w = 6;
		x += c->delta_w + 1;
	}
	bool go = m->kind == GROUP_GOROUTINES;
	c->bar_w = w >= 120 ? 20 : w >= 100 ? 12 : w >= 70 ? (go ? 4 : 6) : 0;
	c->bar_x = x;
	if (c->bar_w)
		x += c->bar_w + 1;
	c->pct_x = x;
	x += 7;
	c->wait_w = m->wait_width;
	c->wait_x = x;
	x += c->wait_w + 1;
	if (go) {
		c->min_x = x;
		c->min_w = 5;
		x += c->min_w + 1;
	}
	if (m->snap->nhosts && w >= 60) {
		c->hosts_x = x;
		c->hosts_w = snprintf(num, sizeof(num), "%zu/%zu", m->snap->nhosts, m->snap->nhosts);
		if (c->hosts_w < 5)
			c->hosts_w = 5;
		x += c->hosts_w + 1;
	}
	int rest = w - x;
	c->site_x = x;
	c->site_w = rest;
	if (rest < 30)
		return;
	int need = 0, site_need = 0;
	size_t h = (size_t)view_list_height(t, v);
	char site[1024];
	for (size_t r = v->top; r < m->nrows && r < v->top + h; r++) {
		const struct group *g = model_row(m, r);
		int cw = draw_width(call_name(g));
		if (cw > need)
			need = cw;
		model_group_site(g, site, sizeof(site));
		if (draw_width(site) > site_need)
			site_need = draw_width(site);
	}
	/* A goroutine's wait reason already says what the runtime call does. */
	if (!need || (go && rest < site_need + 13))
		return;
	if (need < (int)strlen("BLOCKING CALL"))
		need = (int)strlen("BLOCKING CALL");
	if (need > rest - 1 - site_need)
		need = rest - 1 - site_need > rest * 2 / 5 ? rest - 1 - site_need : rest * 2 / 5;
	c->call_w = need;
	c->site_w = rest - c->call_w - 1;
	c->call_x = c->site_x + c->site_w + 1;
}

static bool has_deadlock(const struct tui *t)
{
	return t->model.a.graph && t->model.a.graph->ncycles;
}

static bool has_waits(const struct tui *t)
{
	return t->model.snap->nobjects > 0;
}

static int head_lines(struct tui *t, struct view *v)
{
	return 2 + has_deadlock(t) + has_waits(t);
}

/* "DEADLOCK: threads 101 -> 102 -> 101 on abba_m2, abba_m1; 2 more cycles" */
static void draw_deadlock(struct tui *t, int y, int w)
{
	const struct snapshot *s = t->model.snap;
	const struct waitgraph *g = t->model.a.graph;
	const struct wg_cycle *c = &g->cycles[0];
	char line[2048];
	snprintf(line, sizeof(line), " DEADLOCK: threads");
	for (size_t k = 0; k <= c->n; k++)
		tui_appendf(line, sizeof(line), "%s%d", k ? " -> " : " ", (int)s->threads[c->threads[k % c->n]].tid);
	tui_appendf(line, sizeof(line), " on");
	for (size_t k = 0; k < c->n; k++) {
		const struct snap_object *o = snapshot_object(s, c->objects[k]);
		tui_appendf(line, sizeof(line), "%s %s", k ? "," : "", o && o->name ? o->name : "?");
	}
	if (g->ncycles > 1)
		tui_appendf(line, sizeof(line), "; %zu more cycle%s", g->ncycles - 1, g->ncycles == 2 ? "" : "s");
	attr_t a = draw_attr(ROLE_CRASH) | A_BOLD;
	draw_blank(y, 0, w, a);
	draw_str_fit(y, 0, w, line, a);
}

static void draw_head(struct tui *t, struct view *v, int y, int w)
{
	const struct tui_model *m = &t->model;
	const struct grouping *gr = model_shown(m);
	const char *sep = draw_sep();
	char line[1024];
	if (has_deadlock(t))
		draw_deadlock(t, y++, w);
	snprintf(line, sizeof(line), " %s by %s: ", m->kind == GROUP_THREADS ? "Threads" : "Goroutines",
		 m->by == GROUP_BY_STACK ? "stack" : "wait site");
	if (m->filter)
		tui_appendf(line, sizeof(line), "%zu of %zu groups%sfilter \"%s\"", m->nrows, gr->ngroups, sep, m->filter);
	else
		tui_appendf(line, sizeof(line), "%zu group%s", gr->ngroups, gr->ngroups == 1 ? "" : "s");
	tui_appendf(line, sizeof(line), "%ssort: %s", sep, model_sort_name(m->sort));
	size_t gone = model_gone(m);
	if (gone)
		tui_appendf(line, sizeof(line), "%s%zu group%s gone since the last capture", sep, gone, gone == 1 ? "" : "s");
	char pos[64];
	snprintf(pos, sizeof(pos), " %zu/%zu ", m->nrows ? v->cursor + 1 : 0, m->nrows);
	int pw = draw_width(pos);
	int used = draw_str(y, 0, w - pw, line, A_BOLD);
	if (used + pw <= w)
		draw_str(y, w - pw, pw, pos, A_NORMAL);
	if (has_waits(t)) {
		/* What the group under the cursor waits on. */
		char waits[2400] = "";
		const struct group *cur = model_row(m, v->cursor);
		if (cur)
			waitdesc_group(m->snap, cur, waits, sizeof(waits));
		y++;
		if (waits[0]) {
			char shown[2500];
			snprintf(shown, sizeof(shown), " waits %s", waits);
			draw_str_fit(y, 0, w, shown, A_NORMAL);
		}
	}

	struct groups_screen *s = v->priv;
	layout(t, v, w, &s->cols);
	struct columns c = s->cols;
	attr_t a = draw_attr(ROLE_TITLE);
	draw_blank(y + 1, 0, w, a);
	draw_str_right(y + 1, c.count_x, c.count_w, "COUNT", a);
	if (c.delta_w)
		draw_str_right(y + 1, c.delta_x, c.delta_w, "+/-", a);
	draw_str(y + 1, c.bar_w ? c.bar_x : c.pct_x, 6, "SHARE", a);
	draw_str(y + 1, c.wait_x, c.wait_w, m->kind == GROUP_THREADS || c.wait_w < 11 ? "WAIT" : "WAIT REASON", a);
	if (c.min_w)
		draw_str_right(y + 1, c.min_x, c.min_w, "MIN", a);
	if (c.hosts_w)
		draw_str_right(y + 1, c.hosts_x, c.hosts_w, "HOSTS", a);
	draw_str(y + 1, c.site_x, c.site_w, "WAIT SITE", a);
	if (c.call_w)
		draw_str(y + 1, c.call_x, c.call_w, "BLOCKING CALL", a);
}

static size_t rows(struct tui *t, struct view *v)
{
	return t->model.nrows;
}

static void draw_row(struct tui *t, struct view *v, size_t row, int y, int w, bool cursor)
{
	struct groups_screen *s = v->priv;
	const struct tui_model *m = &t->model;
	const struct group *g = model_row(m, row);
	struct columns c = s->cols;
	attr_t base = cursor ? draw_attr(ROLE_CURSOR) : A_NORMAL;
#define ROLE(r) (cursor ? base | ((r) == ROLE_DOMINANT || (r) == ROLE_CRASH ? A_BOLD : 0) : draw_attr(r))
	if (cursor) {
		s->cursor_key = model_group_key(g, m->by);
		s->have_key = true;
	}
	draw_blank(y, 0, w, base);
	char buf[1024];
	if (cursor)
		draw_str(y, 0, 1, ">", base);
	/* The marks survive a terminal without colours. */
	if (g->crashed)
		draw_str(y, 1, 1, "!", ROLE(ROLE_CRASH));
	else if (g->leaked)
		draw_str(y, 1, 1, "L", ROLE(ROLE_CRASH));
	else if (model_in_deadlock(m, g))
		draw_str(y, 1, 1, "D", ROLE(ROLE_CRASH));
	else if (g->dominant)
		draw_str(y, 1, 1, "*", ROLE(ROLE_DOMINANT));
	snprintf(buf, sizeof(buf), "%zu", g->count);
	draw_str_right(y, c.count_x, c.count_w, buf, g->dominant ? ROLE(ROLE_DOMINANT) : base);
	long delta;
	bool is_new;
	if (c.delta_w && model_delta(m, g, &delta, &is_new) && delta) {
		snprintf(buf, sizeof(buf), "%+ld", delta);
		draw_str_right(y, c.delta_x, c.delta_w, buf, ROLE(delta > 0 ? ROLE_GROW : ROLE_SHRINK));
	}
	if (c.bar_w)
		draw_bar(y, c.bar_x, c.bar_w, g->share, ROLE(ROLE_BAR));
	snprintf(buf, sizeof(buf), "%5.1f%%", g->share * 100.0);
	draw_str(y, c.pct_x, 6, buf, base);
	draw_str(y, c.wait_x, c.wait_w, g->wait ? g->wait : "?", base);
	if (c.min_w && g->wait_min_hi >= 0) {
		if (g->wait_min_lo == g->wait_min_hi)
			snprintf(buf, sizeof(buf), "%" PRId64, g->wait_min_hi);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 "-%" PRId64, g->wait_min_lo, g->wait_min_hi);
		draw_str_right(y, c.min_x, c.min_w, buf, base);
	}
	if (c.hosts_w) {
		size_t *per = merge_group_hosts(m->snap, g), on = 0;
		for (size_t h = 0; h < m->snap->nhosts; h++)
			on += per[h] > 0;
		free(per);
		snprintf(buf, sizeof(buf), "%zu/%zu", on, m->snap->nhosts);
		draw_str_right(y, c.hosts_x, c.hosts_w, buf, on < m->snap->nhosts ? ROLE(ROLE_GROW) : base);
	}
	model_group_site(g, buf, sizeof(buf));
	draw_str_fit(y, c.site_x, c.site_w, buf,
		 g->dominant ? ROLE(ROLE_DOMINANT) : g->wait_site < 0 ? ROLE(ROLE_DIM) : base);
	if (c.call_w && call_name(g))
		draw_str_fit(y, c.call_x, c.call_w, call_name(g), base);
#undef ROLE
}

static bool match(struct tui *t, struct view *v, size_t row, const char *pat)
{
	return model_group_matches(model_row(&t->model, row), pat);
}

static bool request(struct tui *t, struct view *v, enum tui_req req)
{
	if (req == REQ_HOLDER) {
		const struct group *g = model_row(&t->model, v->cursor);
		pid_t owner;
		size_t row;
		const char *why = "no group here";
		if (g && model_holder(&t->model, g, (size_t)-1, &owner, &row, &why)) {
			view_select(t, v, row);
			tui_message(t, ROLE_MESSAGE, "thread %d holds it: its group", (int)owner);
		} else {
			tui_message(t, ROLE_MESSAGE, "%s", why);
		}
		return true;
	}
	if (req == REQ_HOSTS)
		return hosts_open(t, model_row(&t->model, v->cursor));
	if (req != REQ_ENTER)
		return false;
	const struct group *g = model_row(&t->model, v->cursor);
	if (!g) {
		tui_message(t, ROLE_MESSAGE, "no group to open");
		return true;
	}
	tui_push(t, stack_view_create(t, g));
	return true;
}

static bool reload(struct tui *t, struct view *v)
{
	struct groups_screen *s = v->priv;
	size_t row = s->have_key ? model_find_row(&t->model, s->cursor_key) : (size_t)-1;
	if (row != (size_t)-1)
		view_select(t, v, row);
	else
		view_select(t, v, v->cursor);
	s->have_key = false;
	return true;
}

static void destroy(struct view *v)
{
	free(v->priv);
}

static const struct view_ops groups_ops = {
	.name = "groups",
	.where = ON_GROUPS,
	.head_lines = head_lines,
	.draw_head = draw_head,
	.rows = rows,
	.draw_row = draw_row,
	.match = match,
	.request = request,
	.reload = reload,
	.destroy = destroy,
};

struct view *groups_view_create(struct tui *t)
{
	return view_new(&groups_ops, xcalloc(1, sizeof(struct groups_screen)));
}
