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

/* The minor release of "go1.N..." (0 when unknown). */
static int go_minor(const char *v)
{
	if (!v || strncmp(v, "go1.", 4) != 0)
		return 0;
	int m = 0;
	for (v += 4; *v >= '0' && *v <= '9' && m < 1000; v++)
		m = m * 10 + (*v - '0');
	return m;
}

/* Go's traceback prints at most 100 frames of a goroutine
 * (runtime/traceback.go): from Go 1.21 the innermost 50 and the outermost
 * 50 of the frames it shows (tracebackInnerFrames, tracebackOuterFrames);
 * up to 1.20, whatever it shows of the innermost 100 physical frames,
 * hidden ones counted (gentraceback's max, traceback1 of Go 1.19).
 * raw/nraw: every frame; f/n: those shown, in order.  Returns the count
 * kept in f. */
static size_t traceback_cut(int minor, const struct frame *raw, size_t nraw, struct frame *f, size_t n, bool all_shown)
{
	if (minor && minor <= 20) {
		size_t phys = 0, k = 0, shown_n = 0;
		for (; k < nraw && phys < 100; k++) {
			if (!raw[k].inlined)
				phys++;
			if (all_shown || shown(&raw[k]))
				shown_n++;
		}
		return shown_n < n ? shown_n : n;
	}
	if (n <= 100)
		return n;
	memmove(f + 50, f + n - 50, 50 * sizeof(*f));
	return 100;
}

/* A goroutine profile keeps the innermost 32 frames of a stack up to Go
 * 1.22 (StackRecord.Stack0, saveg in runtime/mprof.go of go1.22), 128 from
 * 1.23 (debug.profstackdepth's default, runtime/runtime1.go of go1.23),
 * counting every logical frame (tracebackPCs: runtime frames and inlined
 * calls included, wrappers not).  Returns how many of f[0..n) are kept. */
static size_t profile_cut(int minor, const struct frame *f, size_t n)
{
	size_t depth = minor && minor <= 22 ? 32 : 128, k = 0, counted = 0;
	for (; k < n && counted < depth; k++)
		if (!f[k].wrapper)
			counted++;
	return k;
}

void goview_drop_labels(struct snapshot *snap, const struct analyze_opts *o, struct analysis *a)
{
	for (size_t i = 0; i < snap->ngoroutines; i++)
		snap->goroutines[i].labels = NULL;
	snap->go_labels = false;
	analyze_regroup(snap, o, a);
}

void goview_lower(struct snapshot *snap, unsigned lacks, const struct analyze_opts *o, struct analysis *a)
{
	/* all of it, also what snap says it lacks: a profile "lacks" runtime
	 * frames but shows those after a stack's first other frame (both
	 * forms, input_pprof.c) */
	unsigned add = lacks;
	/* all the frames, to be seen as a traceback: cut as Go cuts them */
	bool cut = (add & SNAP_LACKS_GO_DEEP) && !(snap->lacks & SNAP_LACKS_GO_DEEP);
	/* ... or as a profile cuts them (a profile lacks ids) */
	bool pcut = (add & SNAP_LACKS_GO_IDS) && !(snap->lacks & (SNAP_LACKS_GO_IDS | SNAP_LACKS_GO_RUNTIME));
	int minor = go_minor(snap->go_version);
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
		size_t n = 0, nraw = pcut ? profile_cut(minor, g->frames, g->nframes) : g->nframes;
		for (size_t k = 0; k < nraw; k++)
			if (!(add & SNAP_LACKS_GO_RUNTIME) || shown(&g->frames[k])) {
				nf[n] = g->frames[k];
				nf[n].function = generic_name(snap->strings, nf[n].function);
				n++;
			}
		bool all_shown = !(add & SNAP_LACKS_GO_RUNTIME);
		if (!n && nraw) { /* Go prints them all when it would print none */
			memcpy(nf, g->frames, nraw * sizeof(*nf));
			n = nraw;
			all_shown = true;
		}
		if (cut)
			n = traceback_cut(minor, g->frames, nraw, nf, n, all_shown);
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
		if (add & SNAP_LACKS_GO_LABELS)
			g.labels = NULL;
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
	snap->lacks |= add & ~(unsigned)SNAP_LACKS_GO_LABELS;
	if (add & SNAP_LACKS_GO_LABELS)
		snap->go_labels = false;
	analyze_regroup(snap, o, a);
}
