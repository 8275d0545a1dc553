#include "waitgraph.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

const struct snap_wait *waitgraph_member_wait(const struct snapshot *snap, const struct group *g, size_t i)
{
	size_t idx = g->members[i];
	return g->kind == GROUP_THREADS ? &snap->threads[idx].waits_on : &snap->goroutines[idx].waits_on;
}

/* The thread an edge from t leads to: the owner of what it waits on. */
static long owner_of(const struct snapshot *snap, const struct snap_thread *t)
{
	const struct snap_object *o = snapshot_object(snap, t->waits_on.object);
	if (!o || o->owner_state != WOWNER_THREAD)
		return -1;
	return snapshot_find_thread(snap, o->owner);
}

static int cmp_root(const void *a, const void *b)
{
	const struct wg_root *x = a, *y = b;
	if (x->behind != y->behind)
		return x->behind < y->behind ? 1 : -1;
	if (x->direct != y->direct)
		return x->direct < y->direct ? 1 : -1;
	return (x->thread > y->thread) - (x->thread < y->thread);
}

struct waitgraph *waitgraph_build(const struct snapshot *snap)
{
	struct waitgraph *g = xcalloc(1, sizeof(*g));
	size_t n = snap->nthreads;
	g->next = xmalloc((n ? n : 1) * sizeof(*g->next));
	g->cycle_of = xmalloc((n ? n : 1) * sizeof(*g->cycle_of));
	for (size_t i = 0; i < n; i++) {
		g->next[i] = owner_of(snap, &snap->threads[i]);
		g->cycle_of[i] = -1;
	}

	/* Cycles: each thread has at most one successor, so a walk from any
	 * thread meets either its own path again or the end. */
	unsigned char *mark = xcalloc(n ? n : 1, 1); /* 0 new, 1 on the current walk, 2 done */
	size_t cap_cycles = 0;
	for (size_t s = 0; s < n; s++) {
		long v = (long)s;
		while (v >= 0 && !mark[v]) {
			mark[v] = 1;
			v = g->next[v];
		}
		if (v >= 0 && mark[v] == 1) {
			struct wg_cycle c = {0};
			long u = v;
			do {
				c.n++;
				u = g->next[u];
			} while (u != v);
			c.threads = xmalloc(c.n * sizeof(*c.threads));
			c.objects = xmalloc(c.n * sizeof(*c.objects));
			u = v;
			for (size_t k = 0; k < c.n; k++) {
				c.threads[k] = (size_t)u;
				c.objects[k] = snap->threads[u].waits_on.object;
				g->cycle_of[u] = (long)g->ncycles;
				u = g->next[u];
			}
			/* Start at the lowest tid, so the same cycle reads the same. */
			size_t lo = 0;
			for (size_t k = 1; k < c.n; k++)
				if (c.threads[k] < c.threads[lo])
					lo = k;
			size_t *tt = xmalloc(c.n * sizeof(*tt));
			uint32_t *oo = xmalloc(c.n * sizeof(*oo));
			for (size_t k = 0; k < c.n; k++) {
				tt[k] = c.threads[(lo + k) % c.n];
				oo[k] = c.objects[(lo + k) % c.n];
			}
			free(c.threads);
			free(c.objects);
			c.threads = tt;
			c.objects = oo;
			xgrow(&g->cycles, &cap_cycles, g->ncycles + 1, sizeof(*g->cycles));
			g->cycles[g->ncycles++] = c;
		}
		for (v = (long)s; v >= 0 && mark[v] == 1; v = g->next[v])
			mark[v] = 2;
	}
	free(mark);

	/* Roots: where the chains that do not loop end.  term[i] is the root
	 * the chains through thread i end at (-1 none, -2 not known yet),
	 * found once per thread by walking to a thread whose term is known. */
	long *term = xmalloc((n ? n : 1) * sizeof(*term));
	long *path = xmalloc((n ? n : 1) * sizeof(*path));
	for (size_t i = 0; i < n; i++)
		term[i] = -2;
	size_t cap_roots = 0;
	for (size_t s = 0; s < n; s++) {
		size_t len = 0;
		long v = (long)s;
		while (term[v] == -2 && g->cycle_of[v] < 0 && g->next[v] >= 0) {
			path[len++] = v;
			v = g->next[v];
		}
		long r = -1;
		bool abandoned = false;
		if (term[v] != -2) {
			r = term[v];
		} else if (g->cycle_of[v] >= 0) {
			term[v] = -1;
		} else {
			/* v waits for no thread: if on a lock whose owner exited,
			 * that lock is the root and v waits behind it; else v is
			 * the root of whoever waits behind it. */
			uint32_t ref = snap->threads[v].waits_on.object;
			const struct snap_object *o = snapshot_object(snap, ref);
			abandoned = o && o->owner_state == WOWNER_EXITED;
			if (abandoned || len) {
				for (size_t k = 0; k < g->nroots && r < 0; k++)
					if (abandoned ? g->roots[k].thread < 0 && g->roots[k].object == ref
						      : g->roots[k].thread == v)
						r = (long)k;
				if (r < 0) {
					xgrow(&g->roots, &cap_roots, g->nroots + 1, sizeof(*g->roots));
					g->roots[g->nroots] = (struct wg_root){
						.thread = abandoned ? -1 : v,
						.object = abandoned ? ref : snap->threads[path[len - 1]].waits_on.object,
					};
					r = (long)g->nroots++;
				}
				term[v] = r;
				if (abandoned)
					path[len++] = v;
			}
		}
		for (size_t k = 0; k < len; k++) {
			long p = path[k];
			term[p] = r;
			if (r < 0)
				continue;
			struct wg_root *root = &g->roots[r];
			root->behind++;
			if (root->thread >= 0 ? g->next[p] == root->thread : snap->threads[p].waits_on.object == root->object)
				root->direct++;
		}
	}
	free(path);
	free(term);
	if (g->nroots > 1)
		qsort(g->roots, g->nroots, sizeof(*g->roots), cmp_root);
	return g;
}

void waitgraph_destroy(struct waitgraph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->ncycles; i++) {
		free(g->cycles[i].threads);
		free(g->cycles[i].objects);
	}
	free(g->cycles);
	free(g->roots);
	free(g->next);
	free(g->cycle_of);
	free(g);
}

static int cmp_count(const void *a, const void *b)
{
	const struct wg_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return (x->object > y->object) - (x->object < y->object);
}

static int cmp_ref(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

size_t waitgraph_group_objects(const struct snapshot *snap, const struct group *g, struct wg_count **ret)
{
	size_t n = 0, cap = 0;
	uint32_t *refs = NULL;
	for (size_t i = 0; i < g->count; i++) {
		const struct snap_wait *w = waitgraph_member_wait(snap, g, i);
		if (w->object) {
			xgrow(&refs, &cap, n + 1, sizeof(*refs));
			refs[n++] = w->object;
		}
		for (uint32_t k = 0; k < w->nset; k++) {
			if (w->set[k] == w->object)
				continue;
			xgrow(&refs, &cap, n + 1, sizeof(*refs));
			refs[n++] = w->set[k];
		}
	}
	*ret = NULL;
	if (!n) {
		free(refs);
		return 0;
	}
	qsort(refs, n, sizeof(*refs), cmp_ref);
	struct wg_count *out = xmalloc(n * sizeof(*out));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && out[m - 1].object == refs[i])
			out[m - 1].count++;
		else
			out[m++] = (struct wg_count){refs[i], 1, 0};
	}
	free(refs);
	for (size_t i = 0; i < m; i++) {
		const struct snap_object *o = snapshot_object(snap, out[i].object);
		out[i].order = (uint64_t)o->kind << 56 ^ (o->kind == WOBJ_FD ? (uint64_t)(uint32_t)o->fd : o->addr);
	}
	qsort(out, m, sizeof(*out), cmp_count);
	*ret = out;
	return m;
}
