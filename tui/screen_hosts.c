/* screen_hosts.c - one group of a merged snapshot (pileup merge), host by
 * host: how many of its members each host has, largest first, then the
 * hosts where it is absent.  The counts are merge_group_hosts()', the
 * ones the text and JSON reports print. */
#include "app.h"
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hosts_screen {
	enum group_kind kind;
	enum group_by by;
	unsigned long long key; /* finds the group again after a reload */
	const struct group *g;
	size_t *count;          /* per host */
	size_t *order;          /* hosts, largest count first */
	size_t n, present;
};

static const struct snapshot *hosts_snap; /* for the sort below */
static const size_t *hosts_count;

static int by_count(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (hosts_count[x] != hosts_count[y])
		return hosts_count[x] < hosts_count[y] ? 1 : -1;
	return strcmp(hosts_snap->hosts[x], hosts_snap->hosts[y]);
}

static void count_hosts(struct tui *t, struct hosts_screen *s)
{
	const struct snapshot *snap = t->model.snap;
	free(s->count);
	free(s->order);
	s->count = merge_group_hosts(snap, s->g);
	s->n = snap->nhosts;
	s->order = xmalloc((s->n ? s->n : 1) * sizeof(*s->order));
	s->present = 0;
	for (size_t i = 0; i < s->n; i++) {
		s->order[i] = i;
		s->present += s->count[i] > 0;
	}
	hosts_snap = snap;
	hosts_count = s->count;
	qsort(s->order, s->n, sizeof(*s->order), by_count);
}

static int head_lines(struct tui *t, struct view *v)
{
	return 3;
}

static void draw_head(struct tui *t, struct view *v, int y, int w)
{
	struct hosts_screen *s = v->priv;
	const struct group *g = s->g;
	char site[1024], line[1400];
	bool go = g->kind == GROUP_GOROUTINES;
	draw_fmt(y, 0, w, A_BOLD, " %zu %s waiting: %s, on %zu of %zu hosts", g->count,
		 go ? (g->count == 1 ? "goroutine" : "goroutines") : (g->count == 1 ? "thread" : "threads"), g->wait ? g->wait : "?",
		 s->present, s->n);
	model_group_site(g, site, sizeof(site));
	snprintf(line, sizeof(line), " wait site: %s", site);
	draw_str_fit(y + 1, 0, w, line, A_NORMAL);
	attr_t a = draw_attr(ROLE_TITLE);
	draw_blank(y + 2, 0, w, a);
	draw_str_right(y + 2, 2, 7, "COUNT", a);
	draw_str(y + 2, 10, 6, "SHARE", a);
	draw_str(y + 2, w >= 60 ? 38 : 18, w, "HOST", a);
}

static size_t rows(struct tui *t, struct view *v)
{
	return ((struct hosts_screen *)v->priv)->n;
}

static void draw_row(struct tui *t, struct view *v, size_t row, int y, int w, bool cursor)
{
	struct hosts_screen *s = v->priv;
	size_t h = s->order[row], c = s->count[h];
	attr_t a = cursor ? draw_attr(ROLE_CURSOR) : c ? A_NORMAL : draw_attr(ROLE_DIM);
	char buf[64];
	draw_blank(y, 0, w, cursor ? a : A_NORMAL);
	if (cursor)
		draw_str(y, 0, 1, ">", a);
	int hx = w >= 60 ? 38 : 18;
	if (c) {
		snprintf(buf, sizeof(buf), "%zu", c);
		draw_str_right(y, 2, 7, buf, a);
		double share = s->g->count ? (double)c / (double)s->g->count : 0;
		if (hx == 38)
			draw_bar(y, 10, 20, share, cursor ? a : draw_attr(ROLE_BAR));
		snprintf(buf, sizeof(buf), "%5.1f%%", share * 100.0);
		draw_str(y, hx == 38 ? 31 : 10, 6, buf, a);
	} else {
		draw_str(y, 10, hx - 10, "absent", a);
	}
	draw_str_fit(y, hx, w - hx, t->model.snap->hosts[h], a);
}

static bool match(struct tui *t, struct view *v, size_t row, const char *pat)
{
	struct hosts_screen *s = v->priv;
	return model_text_matches(t->model.snap->hosts[s->order[row]], pat);
}

static bool reload(struct tui *t, struct view *v)
{
	struct hosts_screen *s = v->priv;
	const struct grouping *gr = model_grouping(&t->model, s->kind, s->by);
	const struct group *g = NULL;
	for (size_t i = 0; i < gr->ngroups && !g; i++)
		if (model_group_key(&gr->groups[i], s->by) == s->key)
			g = &gr->groups[i];
	if (!g || !t->model.snap->nhosts)
		return false;
	s->g = g;
	count_hosts(t, s);
	view_select(t, v, v->cursor);
	return true;
}

static void destroy(struct view *v)
{
	struct hosts_screen *s = v->priv;
	free(s->count);
	free(s->order);
	free(s);
}

static const struct view_ops hosts_ops = {
	.name = "hosts",
	.where = ON_HOSTS,
	.head_lines = head_lines,
	.draw_head = draw_head,
	.rows = rows,
	.draw_row = draw_row,
	.match = match,
	.reload = reload,
	.destroy = destroy,
};

struct view *hosts_view_create(struct tui *t, const struct group *g)
{
	struct hosts_screen *s = xcalloc(1, sizeof(*s));
	s->kind = g->kind;
	s->by = t->model.by;
	s->key = model_group_key(g, s->by);
	s->g = g;
	count_hosts(t, s);
	return view_new(&hosts_ops, s);
}

bool hosts_open(struct tui *t, const struct group *g)
{
	if (!t->model.snap->nhosts) {
		tui_message(t, ROLE_MESSAGE, "not a merged snapshot: pileup merge A B ... makes one, with each host's count");
		return true;
	}
	if (!g) {
		tui_message(t, ROLE_MESSAGE, "no group here");
		return true;
	}
	tui_push(t, hosts_view_create(t, g));
	return true;
}
