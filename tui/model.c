#include "model.h"
#include "report.h"
#include "waitgraph.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct key_count {
	unsigned long long key;
	size_t count;
};

struct model_counts {
	struct key_count *v;
	size_t n;
	size_t gone; /* keys with no group in the capture that followed */
};

static const struct grouping empty_grouping;

void model_init(struct tui_model *m, struct snapshot *snap, struct analysis *a, const struct tui_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->snap = snap;
	m->a = *a;
	memset(a, 0, sizeof(*a));
	m->opts = o;
	m->captures = 1;
	/* In a Go program the goroutines are what piles up. */
	m->kind = m->a.goroutines && m->a.goroutines->ngroups ? GROUP_GOROUTINES : GROUP_THREADS;
	m->by = GROUP_BY_STACK;
	model_update(m);
}

static void counts_free(struct model_counts *c)
{
	if (c)
		free(c->v);
	free(c);
}

void model_deinit(struct tui_model *m, struct snapshot **snap, struct analysis *a)
{
	*snap = m->snap;
	*a = m->a;
	free(m->rows);
	free(m->filter);
	for (int k = 0; k < 2; k++)
		for (int b = 0; b < 2; b++)
			counts_free(m->prev[k][b]);
	memset(m, 0, sizeof(*m));
}

const struct grouping *model_grouping(const struct tui_model *m, enum group_kind kind, enum group_by by)
{
	const struct grouping *g;
	if (kind == GROUP_THREADS)
		g = by == GROUP_BY_STACK ? m->a.threads : m->a.sites;
	else
		g = by == GROUP_BY_STACK ? m->a.goroutines : m->a.gsites;
	return g ? g : &empty_grouping;
}

const struct grouping *model_shown(const struct tui_model *m)
{
	return model_grouping(m, m->kind, m->by);
}

const struct group *model_row(const struct tui_model *m, size_t row)
{
	return row < m->nrows ? &model_shown(m)->groups[m->rows[row]] : NULL;
}

const char *model_sort_name(enum model_sort s)
{
	switch (s) {
	case SORT_COUNT: return "count";
	case SORT_WAIT: return "wait time";
	case SORT_NAME: return "name";
	case SORT__COUNT: break;
	}
	return "?";
}

const char *model_basename(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b && b[1] ? b + 1 : path;
}

/* The name a group sorts by: its wait site, else its innermost frame. */
static const char *sort_name(const struct group *g)
{
	const struct frame *f = g->wait_site >= 0 ? &g->frames[g->wait_site] : g->nframes ? &g->frames[0] : NULL;
	if (!f)
		return "";
	if (f->function)
		return f->function;
	return f->module ? model_basename(f->module) : "";
}

static int cmp_rows(const void *x, const void *y, void *arg)
{
	const struct tui_model *m = arg;
	const struct grouping *gr = model_shown(m);
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const struct group *a = &gr->groups[i], *b = &gr->groups[j];
	if (m->sort == SORT_WAIT && a->wait_min_hi != b->wait_min_hi)
		return a->wait_min_hi > b->wait_min_hi ? -1 : 1;
	if (m->sort == SORT_NAME) {
		int c = strcmp(sort_name(a), sort_name(b));
		if (c)
			return c;
	}
	/* The grouping is ranked by count already. */
	return (i > j) - (i < j);
}

void model_update(struct tui_model *m)
{
	if (m->kind == GROUP_GOROUTINES && !m->a.goroutines)
		m->kind = GROUP_THREADS;
	const struct grouping *gr = model_shown(m);
	free(m->rows);
	m->rows = xmalloc((gr->ngroups ? gr->ngroups : 1) * sizeof(*m->rows));
	m->nrows = 0;
	m->wait_width = 4;
	for (size_t i = 0; i < gr->ngroups; i++) {
		size_t n = gr->groups[i].wait ? strlen(gr->groups[i].wait) : 1;
		if (n > (size_t)m->wait_width)
			m->wait_width = n > 18 ? 18 : (int)n;
	}
	for (size_t i = 0; i < gr->ngroups; i++)
		if (!m->filter || model_group_matches(&gr->groups[i], m->filter))
			m->rows[m->nrows++] = i;
	if (m->sort != SORT_COUNT)
		qsort_r(m->rows, m->nrows, sizeof(*m->rows), cmp_rows, m);
}

unsigned long long model_group_key(const struct group *g, enum group_by by)
{
	return by == GROUP_BY_SITE ? group_site_key(g) : group_stack_key(g);
}

size_t model_find_row(const struct tui_model *m, unsigned long long key)
{
	for (size_t r = 0; r < m->nrows; r++)
		if (model_group_key(model_row(m, r), m->by) == key)
			return r;
	return (size_t)-1;
}

bool model_text_matches(const char *s, const char *pat)
{
	if (!s || !pat)
		return false;
	for (const char *p = pat; *p; p++)
		if (isupper((unsigned char)*p))
			return strstr(s, pat) != NULL;
	return strcasestr(s, pat) != NULL;
}

bool model_frame_matches(const struct frame *f, const char *pat)
{
	return model_text_matches(f->function, pat) || model_text_matches(f->module, pat) ||
	       model_text_matches(f->file, pat);
}

bool model_group_matches(const struct group *g, const char *pat)
{
	if (!pat || !*pat)
		return true;
	for (size_t i = 0; i < g->nframes; i++)
		if (model_frame_matches(&g->frames[i], pat))
			return true;
	return false;
}

static int cmp_key_count(const void *x, const void *y)
{
	const struct key_count *a = x, *b = y;
	return (a->key > b->key) - (a->key < b->key);
}

static struct model_counts *counts_of(const struct grouping *gr)
{
	struct model_counts *c = xcalloc(1, sizeof(*c));
	c->v = xmalloc((gr->ngroups ? gr->ngroups : 1) * sizeof(*c->v));
	for (size_t i = 0; i < gr->ngroups; i++)
		c->v[i] = (struct key_count){model_group_key(&gr->groups[i], gr->by), gr->groups[i].count};
	qsort(c->v, gr->ngroups, sizeof(*c->v), cmp_key_count);
	/* Merge the rare equal keys. */
	size_t n = 0;
	for (size_t i = 0; i < gr->ngroups; i++) {
		if (n && c->v[n - 1].key == c->v[i].key)
			c->v[n - 1].count += c->v[i].count;
		else
			c->v[n++] = c->v[i];
	}
	c->n = n;
	return c;
}

static const struct key_count *counts_find(const struct model_counts *c, unsigned long long key)
{
	struct key_count k = {key, 0};
	return bsearch(&k, c->v, c->n, sizeof(k), cmp_key_count);
}

bool model_delta(const struct tui_model *m, const struct group *g, long *delta, bool *is_new)
{
	const struct model_counts *c = m->prev[m->kind][m->by];
	if (!c)
		return false;
	const struct key_count *kc = counts_find(c, model_group_key(g, m->by));
	*is_new = !kc;
	*delta = (long)g->count - (long)(kc ? kc->count : 0);
	return true;
}

size_t model_gone(const struct tui_model *m)
{
	const struct model_counts *c = m->prev[m->kind][m->by];
	return c ? c->gone : 0;
}

const char *model_cannot_recapture(const struct tui_model *m)
{
	if (!m->opts || !m->opts->target || (!m->opts->target->pid && !m->opts->target->file))
		return "there is no process to capture again";
	if (m->snap->source == SNAP_CORE)
		return "a core file does not change: there is nothing to capture again";
	return NULL;
}

struct pu_error *model_recapture(struct tui_model *m)
{
	const char *why = model_cannot_recapture(m);
	if (why)
		return pu_error_new(PU_EXIT_USAGE, "%s", why);
	struct snapshot *snap;
	struct pu_error *err = target_open(m->opts->target, &snap);
	if (err)
		return err;
	struct analysis a;
	err = analyze_snapshot(snap, m->opts->analyze, &a);
	if (err) {
		analysis_deinit(&a);
		snapshot_destroy(snap);
		return err;
	}
	for (int k = 0; k < 2; k++) {
		m->prev_total[k] = k == GROUP_THREADS ? m->snap->nthreads : m->snap->ngoroutines;
		for (int b = 0; b < 2; b++) {
			counts_free(m->prev[k][b]);
			m->prev[k][b] = counts_of(model_grouping(m, (enum group_kind)k, (enum group_by)b));
		}
	}
	analysis_deinit(&m->a);
	snapshot_destroy(m->snap);
	m->snap = snap;
	m->a = a;
	m->captures++;
	for (int k = 0; k < 2; k++)
		for (int b = 0; b < 2; b++) {
			struct model_counts *now = counts_of(model_grouping(m, (enum group_kind)k, (enum group_by)b));
			struct model_counts *c = m->prev[k][b];
			c->gone = 0;
			for (size_t i = 0; i < c->n; i++)
				c->gone += !counts_find(now, c->v[i].key);
			counts_free(now);
		}
	model_update(m);
	return NULL;
}

char *model_default_save_name(const struct tui_model *m)
{
	time_t t = m->snap->taken_at ? (time_t)m->snap->taken_at : time(NULL);
	struct tm tm;
	char when[32] = "";
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	return xasprintf("pileup-%d-%s.json", (int)m->snap->pid, when);
}

struct pu_error *model_save(const struct tui_model *m, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return pu_error_new(PU_EXIT_USAGE, "cannot write %s: %s", path, strerror(errno));
	report_json(f, &m->a.report);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return pu_error_new(PU_EXIT_USAGE, "writing %s failed: %s", path, strerror(errno ? errno : EIO));
	return NULL;
}

void model_frame_site(const struct frame *f, char *buf, size_t size)
{
	char name[512];
	if (f->function)
		snprintf(name, sizeof(name), "%s", f->function);
	else
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, f->module ? model_basename(f->module) : "??", f->offset);
	if (f->file && f->line)
		snprintf(buf, size, "%s %s:%d", name, model_basename(f->file), f->line);
	else
		snprintf(buf, size, "%s", name);
}

void model_group_site(const struct group *g, char *buf, size_t size)
{
	char site[600];
	if (g->wait_site >= 0) {
		model_frame_site(&g->frames[g->wait_site], buf, size);
	} else if (g->nframes) {
		model_frame_site(&g->frames[0], site, sizeof(site));
		snprintf(buf, size, "(no own frame) %s", site);
	} else {
		snprintf(buf, size, "(no stack)");
	}
}

bool model_has_holders(const struct tui_model *m)
{
	const struct snapshot *s = m->snap;
	for (size_t i = 0; i < s->nobjects; i++)
		if (s->objects[i].owner_state == WOWNER_THREAD)
			return true;
	return false;
}

bool model_in_deadlock(const struct tui_model *m, const struct group *g)
{
	const struct waitgraph *wg = m->a.graph;
	if (!wg || !wg->ncycles || g->kind != GROUP_THREADS)
		return false;
	for (size_t i = 0; i < g->count; i++)
		if (wg->cycle_of[g->members[i]] >= 0)
			return true;
	return false;
}

bool model_holder(const struct tui_model *m, const struct group *g, size_t k, pid_t *owner, size_t *row, const char **why)
{
	const struct snapshot *s = m->snap;
	*owner = 0;
	if (g->kind != GROUP_THREADS) {
		*why = "goroutines record no holder of what they wait on";
		return false;
	}
	for (size_t i = k == (size_t)-1 ? 0 : k; i < g->count && (k == (size_t)-1 || i == k); i++) {
		const struct snap_object *o = snapshot_object(s, s->threads[g->members[i]].waits_on.object);
		if (o && o->owner_state == WOWNER_THREAD) {
			*owner = o->owner;
			break;
		}
	}
	if (!*owner) {
		*why = k == (size_t)-1 ? "no member waits on something with a known holder"
				       : "what this thread waits on has no known holder";
		return false;
	}
	long ti = snapshot_find_thread(s, *owner);
	const struct grouping *gr = model_shown(m);
	for (size_t r = 0; ti >= 0 && m->kind == GROUP_THREADS && r < m->nrows; r++) {
		const struct group *h = &gr->groups[m->rows[r]];
		for (size_t i = 0; i < h->count; i++)
			if (h->members[i] == (size_t)ti) {
				*row = r;
				return true;
			}
	}
	*why = ti < 0 ? "the holder is no thread of this snapshot" : "the holder's group is not shown (filter, or goroutines shown)";
	return false;
}
