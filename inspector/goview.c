#include "goview.h"
#include "error.h"
#include "go/golang.h"

#include <stdlib.h>
#include <string.h>

/* What Go's default traceback shows (runtime/traceback.go showfuncinfo):
 * functions with a '.' in their name, not in package runtime unless
 * exported, no compiler wrappers. */
static bool shown(const struct frame *f)
{
	if (f->wrapper)
		return false;
	if (!f->function)
		return true;
	if (!strchr(f->function, '.'))
		return false;
	if (strncmp(f->function, "runtime.", 8) != 0)
		return true;
	return f->function[8] >= 'A' && f->function[8] <= 'Z';
}

/* "main.F[go.shape.int]" -> "main.F[...]", as tracebacks and profiles
 * print generic functions. */
static const char *generic_name(struct strpool *sp, const char *name)
{
	const char *lb = name ? strchr(name, '[') : NULL;
	if (!lb || !strncmp(lb, "[...]", 5))
		return name;
	size_t depth = 0, i = (size_t)(lb - name);
	char *out = xmalloc(strlen(name) + 6), *o = out;
	memcpy(o, name, i);
	o += i;
	for (; name[i]; i++) {
		if (name[i] == '[') {
			if (!depth++) {
				memcpy(o, "[...]", 5);
				o += 5;
			}
		} else if (name[i] == ']') {
			if (depth)
				depth--;
		} else if (!depth) {
			*o++ = name[i];
		}
	}
	*o = 0;
	const char *r = strpool_intern(sp, out);
	free(out);
	return r;
}

void goview_lower(struct snapshot *snap, unsigned lacks, const struct analyze_opts *o, struct analysis *a)
{
	/* all of it, also what snap says it lacks: a profile "lacks" runtime
	 * frames but shows some (debug=1 the ones after the first user
	 * frame, debug=0 all but wrappers) */
	unsigned add = lacks;
	if (add & SNAP_LACKS_THREADS)
		snapshot_drop_threads(snap);
	/* New frame arrays first: shared arrays are still read through
	 * their other users while the owners' are replaced. */
	struct frame **nfs = xcalloc(snap->ngoroutines + 1, sizeof(*nfs));
	size_t *nns = xcalloc(snap->ngoroutines + 1, sizeof(*nns));
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		const struct snap_goroutine *g = &snap->goroutines[i];
		if ((add & SNAP_LACKS_GO_RUNTIME) && g->system)
			continue;
		struct frame *nf = xmalloc((g->nframes ? g->nframes : 1) * sizeof(*nf));
		size_t n = 0;
		for (size_t k = 0; k < g->nframes; k++)
			if (!(add & SNAP_LACKS_GO_RUNTIME) || shown(&g->frames[k])) {
				nf[n] = g->frames[k];
				nf[n].function = generic_name(snap->strings, nf[n].function);
				n++;
			}
		if (!n && g->nframes) { /* Go prints them all when it would print none */
			memcpy(nf, g->frames, g->nframes * sizeof(*nf));
			n = g->nframes;
		}
		nfs[i] = nf;
		nns[i] = n;
	}
	size_t keep = 0;
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		struct snap_goroutine g = snap->goroutines[i];
		if (!g.frames_shared)
			free(g.frames);
		if (!nfs[i]) {
			free(g.error);
			free(g.waits_on.set);
			continue;
		}
		g.frames = nfs[i];
		g.nframes = nns[i];
		g.frames_shared = false;
		if (add & SNAP_LACKS_GO_WAIT) {
			g.status = strpool_intern(snap->strings, "unknown");
			g.wait_reason = NULL;
			g.wait_minutes = -1;
			free(g.waits_on.set);
			g.waits_on = (struct snap_wait){0};
		}
		if (add & SNAP_LACKS_GO_IDS) {
			g.id = 0;
			g.created_goroutine = 0;
			g.thread = 0;
		}
		golang_goroutine_site(&g);
		snap->goroutines[keep++] = g;
	}
	free(nfs);
	free(nns);
	snap->ngoroutines = keep;
	snap->lacks |= add;
	analyze_regroup(snap, o, a);
}
