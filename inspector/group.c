#include "group.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
	const struct frame *frames;
	size_t n;
	const char *wait;
	int site, call;
	int64_t id;
	int64_t wait_min;
	bool crashed, leaked;
	const char *labels; /* interned: one pointer for one set */
};

static struct item item_at(const struct snapshot *snap, enum group_kind kind, size_t i)
{
	struct item it;
	if (kind == GROUP_THREADS) {
		const struct snap_thread *t = &snap->threads[i];
		it = (struct item){t->frames, t->nframes, wait_class_name(t->wait), t->wait_site, t->blocking_call, t->tid, -1, t->crashed, false, NULL};
	} else {
		const struct snap_goroutine *g = &snap->goroutines[i];
		it = (struct item){g->frames, g->nframes, g->wait_reason ? g->wait_reason : g->status, g->wait_site,
				   g->blocking_call, g->id, g->wait_minutes, false, g->leaked, g->labels};
	}
	return it;
}

static unsigned long long hash_frame(unsigned long long h, const struct frame *f)
{
	if (f->function) {
		h = pu_hash_bytes(h, &f->function, sizeof(f->function));
		h = pu_hash_bytes(h, &f->file, sizeof(f->file));
		h = pu_hash_bytes(h, &f->line, sizeof(f->line));
	} else {
		h = pu_hash_bytes(h, &f->module, sizeof(f->module));
		h = pu_hash_bytes(h, &f->offset, sizeof(f->offset));
	}
	return h;
}

static bool same_frame(const struct frame *a, const struct frame *b)
{
	if (a->function || b->function)
		return a->function == b->function && a->file == b->file && a->line == b->line;
	return a->module == b->module && a->offset == b->offset;
}

static unsigned long long item_key(const struct item *it, enum group_by by)
{
	unsigned long long h = PU_HASH_INIT;
	h = pu_hash_bytes(h, &it->wait, sizeof(it->wait));
	h = pu_hash_bytes(h, &it->labels, sizeof(it->labels));
	if (by == GROUP_BY_STACK) {
		for (size_t i = 0; i < it->n; i++)
			h = hash_frame(h, &it->frames[i]);
		h = pu_hash_bytes(h, &it->n, sizeof(it->n));
	} else if (it->site >= 0) {
		h = hash_frame(h, &it->frames[it->site]);
	}
	return h;
}

static bool same_item(const struct item *a, const struct item *b, enum group_by by)
{
	if (a->wait != b->wait && (!a->wait || !b->wait || strcmp(a->wait, b->wait) != 0))
		return false;
	if (a->labels != b->labels)
		return false;
	if (by == GROUP_BY_SITE) {
		if ((a->site < 0) != (b->site < 0))
			return false;
		return a->site < 0 || same_frame(&a->frames[a->site], &b->frames[b->site]);
	}
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!same_frame(&a->frames[i], &b->frames[i]))
			return false;
	return true;
}

static int cmp_group(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	/* goroutines that can never wake first: they are the finding */
	if ((a->leaked > 0) != (b->leaked > 0))
		return a->leaked ? -1 : 1;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	/* ties: by wait site name, then key, so output is stable */
	const char *fa = a->wait_site >= 0 && a->frames[a->wait_site].function ? a->frames[a->wait_site].function : "";
	const char *fb = b->wait_site >= 0 && b->frames[b->wait_site].function ? b->frames[b->wait_site].function : "";
	int c = strcmp(fa, fb);
	if (c)
		return c;
	c = strcmp(a->wait ? a->wait : "", b->wait ? b->wait : "");
	if (c)
		return c;
	/* then by first member: members are in id order, so runs agree */
	return (a->members[0] > b->members[0]) - (a->members[0] < b->members[0]);
}

struct table {
	size_t *slot; /* group index + 1 */
	size_t cap;
};

static size_t *table_find(struct table *t, unsigned long long key, const struct group *groups,
			  const struct snapshot *snap, enum group_kind kind, enum group_by by, const struct item *it)
{
	size_t j = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 17) & (t->cap - 1);
	while (t->slot[j]) {
		const struct group *g = &groups[t->slot[j] - 1];
		if (g->key == key) {
			struct item other = item_at(snap, kind, g->members[0]);
			if (same_item(&other, it, by))
				return &t->slot[j];
		}
		j = (j + 1) & (t->cap - 1);
	}
	return &t->slot[j];
}

static void build(struct grouping *gr, const struct snapshot *snap, enum group_by by)
{
	size_t n = gr->total;
	struct table t = {0};
	t.cap = 64;
	while (t.cap < n * 2)
		t.cap *= 2;
	t.slot = xcalloc(t.cap, sizeof(*t.slot));
	size_t cap = 0, *mcap = NULL, capm = 0;
	for (size_t i = 0; i < n; i++) {
		struct item it = item_at(snap, gr->kind, i);
		unsigned long long key = item_key(&it, by);
		size_t *slot = table_find(&t, key, gr->groups, snap, gr->kind, by, &it);
		struct group *g;
		if (!*slot) {
			xgrow(&gr->groups, &cap, gr->ngroups + 1, sizeof(*gr->groups));
			xgrow(&mcap, &capm, gr->ngroups + 1, sizeof(*mcap));
			g = &gr->groups[gr->ngroups];
			mcap[gr->ngroups] = 0;
			*slot = ++gr->ngroups;
			memset(g, 0, sizeof(*g));
			g->kind = gr->kind;
			g->key = key;
			g->wait = it.wait;
			g->labels = it.labels;
			g->frames = it.frames;
			g->nframes = it.n;
			g->wait_site = it.site;
			g->blocking_call = it.call;
			g->wait_min_lo = g->wait_min_hi = -1;
		}
		size_t gi = *slot - 1;
		g = &gr->groups[gi];
		xgrow(&g->members, &mcap[gi], g->count + 1, sizeof(*g->members));
		g->members[g->count++] = i;
		g->crashed |= it.crashed;
		g->leaked += it.leaked;
		if (it.wait_min >= 0) {
			if (g->wait_min_lo < 0 || it.wait_min < g->wait_min_lo)
				g->wait_min_lo = it.wait_min;
			if (it.wait_min > g->wait_min_hi)
				g->wait_min_hi = it.wait_min;
		}
	}
	free(mcap);
	free(t.slot);
}

static unsigned long long hash_str(unsigned long long h, const char *s)
{
	if (!s)
		return pu_hash_bytes(h, "", 1) * 31;
	return pu_hash_bytes(h, s, strlen(s) + 1);
}

unsigned long long group_stack_key(const struct group *g)
{
	unsigned long long h = hash_str(PU_HASH_INIT, g->kind == GROUP_THREADS ? "thread" : "goroutine");
	h = hash_str(h, g->wait);
	if (g->labels) /* the same keys as before for groups without */
		h = hash_str(h, g->labels);
	for (size_t i = 0; i < g->nframes; i++) {
		const struct frame *f = &g->frames[i];
		if (f->function) {
			h = hash_str(h, f->function);
			h = hash_str(h, f->file);
			h = pu_hash_bytes(h, &f->line, sizeof(f->line));
		} else {
			h = hash_str(h, f->module);
			h = pu_hash_bytes(h, &f->offset, sizeof(f->offset));
		}
	}
	return pu_hash_bytes(h, &g->nframes, sizeof(g->nframes));
}

unsigned long long group_site_key(const struct group *g)
{
	unsigned long long h = PU_HASH_INIT;
	if (g->wait)
		h = pu_hash_bytes(h, g->wait, strlen(g->wait));
	if (g->wait_site >= 0) {
		const struct frame *f = &g->frames[g->wait_site];
		const char *parts[3] = {f->function, f->file, f->function ? NULL : f->module};
		for (int i = 0; i < 3; i++)
			if (parts[i])
				h = pu_hash_bytes(h, parts[i], strlen(parts[i]) + 1);
		h = pu_hash_bytes(h, &f->line, sizeof(f->line));
	}
	return h;
}

struct grouping *grouping_build(const struct snapshot *snap, enum group_kind kind, enum group_by by, double pct)
{
	struct grouping *gr = xcalloc(1, sizeof(*gr));
	gr->kind = kind;
	gr->by = by;
	gr->dominant_pct = pct;
	gr->total = kind == GROUP_THREADS ? snap->nthreads : snap->ngoroutines;
	build(gr, snap, by);
	/* Dominance belongs to wait sites, whichever way we group. */
	struct grouping *sites = gr;
	if (by != GROUP_BY_SITE) {
		sites = xcalloc(1, sizeof(*sites));
		sites->kind = kind;
		sites->total = gr->total;
		build(sites, snap, GROUP_BY_SITE);
	}
	for (size_t i = 0; i < sites->ngroups; i++) {
		struct group *s = &sites->groups[i];
		bool dom = gr->total && s->wait_site >= 0 && (double)s->count * 100.0 >= pct * (double)gr->total;
		if (sites == gr) {
			s->dominant = dom;
			continue;
		}
		/* Mark every stack group whose members sit at this site. */
		for (size_t j = 0; j < gr->ngroups && dom; j++) {
			struct group *g = &gr->groups[j];
			struct item a = item_at(snap, kind, g->members[0]), b = item_at(snap, kind, s->members[0]);
			if (same_item(&a, &b, GROUP_BY_SITE))
				g->dominant = true;
		}
	}
	if (sites != gr)
		grouping_destroy(sites);
	for (size_t i = 0; i < gr->ngroups; i++)
		gr->groups[i].share = gr->total ? (double)gr->groups[i].count / (double)gr->total : 0;
	if (gr->ngroups > 1)
		qsort(gr->groups, gr->ngroups, sizeof(*gr->groups), cmp_group);
	return gr;
}

void grouping_destroy(struct grouping *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->ngroups; i++)
		free(g->groups[i].members);
	free(g->groups);
	free(g);
}

int64_t group_member_id(const struct snapshot *snap, const struct group *g, size_t i)
{
	size_t idx = g->members[i];
	return g->kind == GROUP_THREADS ? snap->threads[idx].tid : snap->goroutines[idx].id;
}

char *group_format_ranges(const int64_t *ids, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return xstrdup("");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && ids[j + 1] == ids[j] + 1)
			j++;
		if (i)
			fputc(',', f);
		if (j == i)
			fprintf(f, "%lld", (long long)ids[i]);
		else
			fprintf(f, "%lld-%lld", (long long)ids[i], (long long)ids[j]);
		i = j + 1;
	}
	fclose(f);
	return out;
}
