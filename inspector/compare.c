#include "compare.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

struct cmp *cmp_create(void)
{
	return xcalloc(1, sizeof(struct cmp));
}

static void capture_unref(struct cmp_capture *cap)
{
	if (!cap || --cap->refs)
		return;
	analysis_deinit(&cap->a);
	snapshot_destroy(cap->snap);
	free(cap);
}

void cmp_destroy(struct cmp *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nrows; i++) {
		free(c->rows[i].counts);
		capture_unref(c->rows[i].rep);
	}
	capture_unref(c->last);
	free(c->rows);
	free(c->slots);
	free(c->points);
	free(c);
}

static size_t *slot_of(struct cmp *c, enum group_kind kind, unsigned long long key)
{
	size_t mask = c->nslots - 1;
	for (size_t j = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & mask;; j = (j + 1) & mask) {
		size_t *s = &c->slots[j];
		if (!*s || (c->rows[*s - 1].key == key && c->rows[*s - 1].kind == kind))
			return s;
	}
}

static void rehash(struct cmp *c)
{
	free(c->slots);
	c->nslots = c->nslots ? c->nslots * 2 : 64;
	c->slots = xcalloc(c->nslots, sizeof(*c->slots));
	for (size_t i = 0; i < c->nrows; i++)
		*slot_of(c, c->rows[i].kind, c->rows[i].key) = i + 1;
}

static void add_groups(struct cmp *c, struct cmp_capture *cap, const struct grouping *gr)
{
	if (!gr)
		return;
	size_t now = c->npoints - 1;
	for (size_t i = 0; i < gr->ngroups; i++) {
		const struct group *g = &gr->groups[i];
		unsigned long long key = group_stack_key(g);
		if ((c->nrows + 1) * 2 > c->nslots)
			rehash(c);
		size_t *slot = slot_of(c, g->kind, key);
		struct cmp_row *r;
		if (!*slot) {
			xgrow(&c->rows, &c->cap_rows, c->nrows + 1, sizeof(*c->rows));
			r = &c->rows[c->nrows++];
			memset(r, 0, sizeof(*r));
			r->kind = g->kind;
			r->key = key;
			r->counts = xcalloc(c->cap_points, sizeof(*r->counts));
			*slot = c->nrows;
		} else {
			r = &c->rows[*slot - 1];
		}
		/* Two groups of one capture with the same key (a hash
		 * collision, in practice never) add up. */
		r->counts[now] += g->count;
		if (r->rep != cap) {
			cap->refs++;
			capture_unref(r->rep);
			r->rep = cap;
			r->group = g;
		}
	}
}

void cmp_add(struct cmp *c, struct snapshot *snap, struct analysis *a, uint64_t at_us, const char *label)
{
	struct cmp_capture *cap = xcalloc(1, sizeof(*cap));
	cap->snap = snap;
	cap->a = *a;
	/* the caller's copy must not free what is now ours */
	memset(a, 0, sizeof(*a));
	cap->refs = 1; /* as the latest */
	capture_unref(c->last);
	c->last = cap;

	size_t old_cap = c->cap_points;
	xgrow(&c->points, &c->cap_points, c->npoints + 1, sizeof(*c->points));
	c->points[c->npoints++] = (struct cmp_point){at_us, snap->taken_at, snap->nthreads, snap->ngoroutines, label, snap->pid};
	for (size_t i = 0; i < c->nrows; i++) {
		if (c->cap_points != old_cap) {
			c->rows[i].counts = xrealloc(c->rows[i].counts, c->cap_points * sizeof(size_t));
		}
		c->rows[i].counts[c->npoints - 1] = 0;
	}
	add_groups(c, cap, cap->a.threads);
	add_groups(c, cap, cap->a.goroutines);

	double minutes = cmp_minutes(c);
	for (size_t i = 0; i < c->nrows; i++) {
		struct cmp_row *r = &c->rows[i];
		r->suspect = c->npoints >= 2;
		for (size_t k = 1; k < c->npoints && r->suspect; k++)
			r->suspect = r->counts[k] > r->counts[k - 1];
		double delta = (double)r->counts[c->npoints - 1] - (double)r->counts[0];
		r->growth_per_min = minutes > 0 ? delta / minutes : 0;
	}
}

double cmp_minutes(const struct cmp *c)
{
	if (c->npoints < 2)
		return 0;
	return (double)(c->points[c->npoints - 1].at_us - c->points[0].at_us) / 60e6;
}

size_t cmp_first(const struct cmp *c, const struct cmp_row *r)
{
	return c->npoints ? r->counts[0] : 0;
}

size_t cmp_last(const struct cmp *c, const struct cmp_row *r)
{
	return c->npoints ? r->counts[c->npoints - 1] : 0;
}

static int cmp_rows(const void *pa, const void *pb, void *ctx)
{
	const struct cmp *c = ctx;
	const struct cmp_row *a = *(const struct cmp_row *const *)pa, *b = *(const struct cmp_row *const *)pb;
	if (a->suspect != b->suspect)
		return a->suspect ? -1 : 1;
	long long da = (long long)cmp_last(c, a) - (long long)cmp_first(c, a);
	long long db = (long long)cmp_last(c, b) - (long long)cmp_first(c, b);
	if (da != db)
		return da > db ? -1 : 1;
	if (cmp_last(c, a) != cmp_last(c, b))
		return cmp_last(c, a) > cmp_last(c, b) ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind == GROUP_GOROUTINES ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

const struct cmp_row **cmp_sorted(const struct cmp *c)
{
	const struct cmp_row **v = xcalloc(c->nrows + 1, sizeof(*v));
	for (size_t i = 0; i < c->nrows; i++)
		v[i] = &c->rows[i];
	qsort_r(v, c->nrows, sizeof(*v), cmp_rows, (void *)c);
	return v;
}
