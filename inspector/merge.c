#include "merge.h"
#include "dump.h"
#include "goview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *merge_host_name(const char *target)
{
	const char *auth = strstr(target, "://");
	if (auth) {
		auth += 3;
		return strndup(auth, strcspn(auth, "/?#"));
	}
	if (target[0] && strspn(target, "0123456789") == strlen(target))
		return xasprintf("pid %s", target);
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	static const char *const exts[] = {".json.gz", ".json.zst", ".json", ".pb.gz", ".pprof", ".txt", ".log", ".gz", ".zst", ".xz"};
	size_t n = strlen(base);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t k = strlen(exts[i]);
		if (n > k && !strcmp(base + n - k, exts[i])) {
			n -= k;
			break;
		}
	}
	return strndup(base, n);
}

size_t *merge_group_hosts(const struct snapshot *snap, const struct group *g)
{
	size_t *c = xcalloc(snap->nhosts + 1, sizeof(*c));
	for (size_t i = 0; i < g->count; i++) {
		uint32_t h = g->kind == GROUP_THREADS ? snap->threads[g->members[i]].host : snap->goroutines[g->members[i]].host;
		if (h < snap->nhosts)
			c[h]++;
	}
	return c;
}

static const char *exe_build_id(const struct merge_input *m)
{
	const struct report *r = &m->a.report;
	return r->build_id && m->snap->exe ? r->build_id(m->snap, m->snap->exe) : NULL;
}

/* Refuses two snapshots of different builds. */
static struct pu_error *same_build(const struct merge_input *a, const struct merge_input *b)
{
	const char *ba = exe_build_id(a), *bb = exe_build_id(b);
	const struct snapshot *x = a->snap, *y = b->snap;
	const char *why = NULL;
	if (ba && bb)
		why = strcmp(ba, bb) ? "build-ids differ" : NULL;
	else if (x->exe && y->exe && strcmp(x->exe, y->exe))
		why = "executables differ";
	else if (x->go_version && y->go_version && strcmp(x->go_version, y->go_version))
		why = "Go versions differ";
	if (!why)
		return NULL;
	return pu_error_new(PU_EXIT_USAGE,
			    "%s and %s are not snapshots of the same build (%s: %s%s%s%s%s; %s%s%s%s%s): merge adds up hosts running one build",
			    a->host, b->host, why, x->exe ? x->exe : "program unknown", x->go_version ? " " : "", x->go_version ? x->go_version : "",
			    ba ? " build-id " : "", ba ? ba : "", y->exe ? y->exe : "program unknown", y->go_version ? " " : "",
			    y->go_version ? y->go_version : "", bb ? " build-id " : "", bb ? bb : "");
}

struct remap {
	const struct frame *from;
	struct frame *to;
};

static const char *re(struct strpool *sp, const char *s)
{
	return strpool_intern(sp, s);
}

static struct frame *copy_frames(struct snapshot *dst, const struct frame *f, size_t n)
{
	struct frame *o = xmalloc((n ? n : 1) * sizeof(*o));
	for (size_t i = 0; i < n; i++) {
		o[i] = f[i];
		o[i].function = re(dst->strings, f[i].function);
		o[i].module = re(dst->strings, f[i].module);
		o[i].file = re(dst->strings, f[i].file);
	}
	return o;
}

struct pu_error *merge_snapshots(struct merge_input *in, size_t n, const struct analyze_opts *o, struct snapshot **ret)
{
	*ret = NULL;
	struct pu_error *err = NULL;
	for (size_t i = 1; i < n && !err; i++)
		err = same_build(&in[0], &in[i]);
	unsigned lacks = 0;
	bool mixed = false;
	for (size_t i = 0; i < n; i++) {
		lacks |= in[i].snap->lacks;
		mixed |= in[i].snap->lacks != in[0].snap->lacks;
		/* pprof labels only where every input has them */
		if (!in[i].snap->go_labels)
			lacks |= SNAP_LACKS_GO_LABELS;
	}
	struct snapshot *m = err ? NULL : snapshot_create(SNAP_DUMP);
	if (m) {
		m->mode = SNAP_MODE_DUMP;
		m->dump_format = "merged snapshots";
		m->lacks = lacks & ~(unsigned)SNAP_LACKS_GO_LABELS;
		m->go_labels = !(lacks & SNAP_LACKS_GO_LABELS);
		m->hosts = xcalloc(n, sizeof(*m->hosts));
		m->nhosts = n;
	}
	size_t capg = 0;
	for (size_t i = 0; i < n; i++) {
		struct merge_input *mi = &in[i];
		if (m) {
			if (mixed)
				goview_lower(mi->snap, lacks, o, &mi->a);
			struct snapshot *s = mi->snap;
			m->hosts[i] = xstrdup(mi->host);
			if (!m->exe && s->exe) {
				m->exe = xstrdup(s->exe);
				const char *bid = exe_build_id(mi);
				if (bid)
					dump_set_build_id(m, bid);
			}
			if (!m->go_version && s->go_version)
				m->go_version = xstrdup(s->go_version);
			if (!m->go_module && s->go_module)
				m->go_module = xstrdup(s->go_module);
			if (s->taken_at > m->taken_at)
				m->taken_at = s->taken_at;
			for (size_t k = 0; k < s->nwarnings; k++)
				snapshot_warn(m, "%s: %s", mi->host, s->warnings[k]);
			for (size_t k = 0; k < s->nthreads; k++) {
				const struct snap_thread *t = &s->threads[k];
				struct snap_thread *c = snapshot_add_thread(m, t->tid);
				c->name = t->name ? xstrdup(t->name) : NULL;
				c->state = t->state;
				c->syscall = t->syscall;
				c->how = SNAP_HOW_SAVED;
				c->frames = copy_frames(m, t->frames, t->nframes);
				c->nframes = t->nframes;
				c->error = t->error ? xstrdup(t->error) : NULL;
				c->wait = t->wait;
				c->wait_site = t->wait_site;
				c->blocking_call = t->blocking_call;
				c->crashed = t->crashed;
				c->host = (uint32_t)i;
			}
			/* identical stacks of one input share one array; so do
			 * their copies */
			struct remap *rm = NULL;
			size_t nrm = 0, caprm = 0;
			xgrow(&m->goroutines, &capg, m->ngoroutines + s->ngoroutines, sizeof(*m->goroutines));
			for (size_t k = 0; k < s->ngoroutines; k++) {
				const struct snap_goroutine *g = &s->goroutines[k];
				struct snap_goroutine *c = &m->goroutines[m->ngoroutines++];
				*c = *g;
				c->status = re(m->strings, g->status);
				c->wait_reason = re(m->strings, g->wait_reason);
				c->labels = m->go_labels ? re(m->strings, g->labels) : NULL;
				c->created_function = re(m->strings, g->created_function);
				c->created_file = re(m->strings, g->created_file);
				c->error = g->error ? xstrdup(g->error) : NULL;
				c->host = (uint32_t)i;
				/* what it waits on names the input's objects (and owns
				 * its set): not carried over, as for threads */
				c->waits_on = (struct snap_wait){0};
				c->frames_shared = false;
				size_t j;
				for (j = 0; j < nrm && rm[j].from != g->frames; j++)
					;
				if (j < nrm && g->frames) {
					c->frames = rm[j].to;
					c->frames_shared = true;
				} else {
					c->frames = copy_frames(m, g->frames, g->nframes);
					if (g->frames && nrm < 4096) {
						xgrow(&rm, &caprm, nrm + 1, sizeof(*rm));
						rm[nrm++] = (struct remap){g->frames, c->frames};
					}
				}
			}
			free(rm);
		}
		analysis_deinit(&mi->a);
		snapshot_destroy(mi->snap);
		mi->snap = NULL;
	}
	if (err)
		return err;
	snapshot_sort(m);
	*ret = m;
	return NULL;
}
