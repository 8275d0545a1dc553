#include "dump.h"
#include "error.h"
#include "go/golang.h"
#include "go/stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dump_begin(struct dump_builder *b, const char *from, const char *format, unsigned lacks)
{
	memset(b, 0, sizeof(*b));
	b->snap = snapshot_create(SNAP_DUMP);
	b->snap->mode = SNAP_MODE_DUMP;
	b->snap->dump_from = xstrdup(from);
	b->snap->dump_format = format;
	b->snap->lacks = lacks | SNAP_LACKS_THREADS;
}

void dump_push_frame(struct dump_builder *b, const struct frame *f)
{
	xgrow(&b->cur, &b->capcur, b->ncur + 1, sizeof(*b->cur));
	b->cur[b->ncur++] = *f;
}

static unsigned long long stack_hash(const struct frame *f, size_t n)
{
	unsigned long long h = PU_HASH_INIT;
	for (size_t i = 0; i < n; i++) {
		h = pu_hash_bytes(h, &f[i].function, sizeof(f[i].function));
		h = pu_hash_bytes(h, &f[i].file, sizeof(f[i].file));
		h = pu_hash_bytes(h, &f[i].line, sizeof(f[i].line));
		h = pu_hash_bytes(h, &f[i].pc, sizeof(f[i].pc));
	}
	return pu_hash_bytes(h, &n, sizeof(n));
}

static bool same_stack(const struct frame *a, const struct frame *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].function != b[i].function || a[i].file != b[i].file || a[i].line != b[i].line || a[i].pc != b[i].pc ||
		    a[i].offset != b[i].offset || a[i].inlined != b[i].inlined || a[i].wrapper != b[i].wrapper)
			return false;
	return true;
}

static void stacks_grow(struct dump_builder *b)
{
	size_t ncap = b->capstacks ? b->capstacks * 2 : 256;
	struct dump_stack *nt = xcalloc(ncap, sizeof(*nt));
	for (size_t i = 0; i < b->capstacks; i++) {
		if (!b->stacks[i].frames)
			continue;
		size_t j = (size_t)(b->stacks[i].hash >> 7) & (ncap - 1);
		while (nt[j].frames)
			j = (j + 1) & (ncap - 1);
		nt[j] = b->stacks[i];
	}
	free(b->stacks);
	b->stacks = nt;
	b->capstacks = ncap;
}

struct snap_goroutine *dump_add_goroutine(struct dump_builder *b)
{
	struct snapshot *snap = b->snap;
	xgrow(&snap->goroutines, &b->cap_goroutines, snap->ngoroutines + 1, sizeof(*snap->goroutines));
	struct snap_goroutine *g = &snap->goroutines[snap->ngoroutines++];
	memset(g, 0, sizeof(*g));
	g->wait_minutes = -1;
	g->wait_site = g->blocking_call = -1;
	size_t n = b->ncur;
	b->ncur = 0;
	if (!n)
		return g;
	/* Identical stacks share one array; the first goroutine that has it
	 * owns it (frames_shared false), which snapshot_destroy frees. */
	if ((b->nstacks + 1) * 2 > b->capstacks)
		stacks_grow(b);
	unsigned long long h = stack_hash(b->cur, n);
	size_t j = (size_t)(h >> 7) & (b->capstacks - 1);
	for (; b->stacks[j].frames; j = (j + 1) & (b->capstacks - 1)) {
		struct dump_stack *e = &b->stacks[j];
		if (e->hash == h && e->n == n && same_stack(e->frames, b->cur, n)) {
			g->frames = e->frames;
			g->nframes = n;
			g->frames_shared = true;
			return g;
		}
	}
	g->frames = xmalloc(n * sizeof(*g->frames));
	memcpy(g->frames, b->cur, n * sizeof(*g->frames));
	g->nframes = n;
	b->stacks[j] = (struct dump_stack){h, g->frames, n};
	b->nstacks++;
	return g;
}

void dump_repeat_goroutine(struct dump_builder *b, size_t gi, size_t n)
{
	struct snapshot *snap = b->snap;
	xgrow(&snap->goroutines, &b->cap_goroutines, snap->ngoroutines + n, sizeof(*snap->goroutines));
	const struct snap_goroutine *g = &snap->goroutines[gi];
	for (size_t k = 0; k < n; k++) {
		struct snap_goroutine *c = &snap->goroutines[snap->ngoroutines++];
		*c = *g;
		c->frames_shared = true;
		c->error = g->error ? xstrdup(g->error) : NULL;
	}
}

void dump_reset(struct dump_builder *b)
{
	struct snapshot *snap = b->snap;
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		if (!snap->goroutines[i].frames_shared)
			free(snap->goroutines[i].frames);
		free(snap->goroutines[i].error);
	}
	snap->ngoroutines = 0;
	if (b->stacks) /* none yet: a traceback of goroutines all cut off */
		memset(b->stacks, 0, b->capstacks * sizeof(*b->stacks));
	b->nstacks = 0;
	b->ncur = 0;
}

/* "<GOROOT>/src/" from the files of runtime functions (or, failing that,
 * of other standard packages): what go/stack.c judges library code by. */
static void find_goroot(struct dump_builder *b)
{
	for (int pass = 0; pass < 2 && !b->goroot_src; pass++)
		for (size_t i = 0; i < b->capstacks && !b->goroot_src; i++) {
			const struct dump_stack *e = &b->stacks[i];
			for (size_t k = 0; e->frames && k < e->n && !b->goroot_src; k++) {
				const char *fn = e->frames[k].function, *file = e->frames[k].file;
				if (!fn || !file || file[0] != '/')
					continue;
				char want[256];
				if (pass == 0) {
					if (strncmp(fn, "runtime.", 8) != 0)
						continue;
					strcpy(want, "/src/runtime/");
				} else {
					/* sync.(*Mutex).Lock in <GOROOT>/src/sync/mutex.go */
					size_t pl = strcspn(fn, ".");
					const char *slash = strrchr(fn, '/');
					if (slash)
						pl = (size_t)(slash - fn) + strcspn(slash, ".");
					if (memchr(fn, '.', strcspn(fn, "/")) && strcspn(fn, "/") < pl)
						continue; /* example.com/x: not standard */
					if (pl == 4 && !strncmp(fn, "main", 4))
						continue;
					if (pl + 8 > sizeof(want))
						continue;
					snprintf(want, sizeof(want), "/src/%.*s/", (int)pl, fn);
				}
				const char *at = strstr(file, want);
				if (at)
					b->goroot_src = strndup(file, (size_t)(at - file) + 5);
			}
		}
}

static void state_free(void *p)
{
	free(p);
}

const char *dump_build_id(const struct snapshot *snap, const char *module)
{
	if (!snap || snap->input_free != state_free || !module || !snap->exe || strcmp(module, snap->exe) != 0)
		return NULL;
	return snap->input_state;
}

void dump_set_build_id(struct snapshot *snap, const char *build_id)
{
	if (snap->input_free)
		snap->input_free(snap->input_state);
	snap->input_state = xstrdup(build_id);
	snap->input_free = state_free;
}

static int cmp_goroutine(const void *a, const void *b)
{
	const struct snap_goroutine *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

struct snapshot *dump_finish(struct dump_builder *b)
{
	struct snapshot *snap = b->snap;
	find_goroot(b);
	for (size_t i = 0; i < b->capstacks; i++) {
		struct dump_stack *e = &b->stacks[i];
		for (size_t k = 0; e->frames && k < e->n; k++) {
			struct frame *f = &e->frames[k];
			f->library = gostack_is_library(b->goroot_src, snap->go_module, f->function, f->file);
			if (f->file && !strcmp(f->file, "<autogenerated>"))
				f->wrapper = true;
		}
	}
	const char *unknown = strpool_intern(snap->strings, "unknown");
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		if (!snap->goroutines[i].status)
			snap->goroutines[i].status = unknown; /* profiles have none */
		if (snap->goroutines[i].wait_site < 0) /* not given by the input */
			golang_goroutine_site(&snap->goroutines[i]);
	}
	/* A profile's goroutines have no ids (all 0): the sort is stable
	 * enough (qsort of equal keys), order does not matter for them. */
	if (snap->ngoroutines > 1) /* none at all: a traceback cut in its first goroutine */
		qsort(snap->goroutines, snap->ngoroutines, sizeof(*snap->goroutines), cmp_goroutine);
	if (b->build_id) {
		snap->input_state = b->build_id;
		snap->input_free = state_free;
		b->build_id = NULL;
	}
	free(b->cur);
	free(b->stacks);
	free(b->goroot_src);
	b->snap = NULL;
	return snap;
}

void dump_abandon(struct dump_builder *b)
{
	snapshot_destroy(b->snap);
	free(b->cur);
	free(b->stacks);
	free(b->goroot_src);
	free(b->build_id);
	memset(b, 0, sizeof(*b));
}

/* --- pprof labels ---------------------------------------------------------- */

void dump_labels_add(struct dump_labels *l, const char *k, size_t kn, const char *v, size_t vn)
{
	xgrow(&l->p, &l->cap, l->n + 1, sizeof(*l->p));
	struct dump_label *d = &l->p[l->n++];
	d->k = xmalloc(kn + 1);
	memcpy(d->k, k, kn);
	d->k[kn] = 0;
	d->v = xmalloc(vn + 1);
	memcpy(d->v, v, vn);
	d->v[vn] = 0;
}

static int cmp_label(const void *a, const void *b)
{
	const struct dump_label *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

static void put_escaped(char **buf, size_t *n, size_t *cap, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		xgrow(buf, cap, *n + 5, 1);
		if (c == '\\' || c == ',' || c == '=') {
			(*buf)[(*n)++] = '\\';
			(*buf)[(*n)++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			*n += (size_t)snprintf(*buf + *n, 5, "\\x%02x", c);
		} else {
			(*buf)[(*n)++] = (char)c;
		}
	}
}

const char *dump_labels_intern(struct strpool *sp, struct dump_labels *l)
{
	if (!l->n)
		return NULL;
	qsort(l->p, l->n, sizeof(*l->p), cmp_label);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (i) {
			xgrow(&buf, &cap, n + 2, 1);
			buf[n++] = ',';
			buf[n++] = ' ';
		}
		put_escaped(&buf, &n, &cap, l->p[i].k);
		xgrow(&buf, &cap, n + 1, 1);
		buf[n++] = '=';
		put_escaped(&buf, &n, &cap, l->p[i].v);
		free(l->p[i].k);
		free(l->p[i].v);
	}
	l->n = 0;
	const char *r = strpool_intern_n(sp, buf, n);
	free(buf);
	return r;
}

void dump_labels_free(struct dump_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->p[i].k);
		free(l->p[i].v);
	}
	free(l->p);
	memset(l, 0, sizeof(*l));
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* one key or value up to an unescaped stop byte; \x00 kept as written */
static const char *unescape(const char *s, char stop, char *out, size_t size)
{
	size_t n = 0;
	while (*s && *s != stop && !(stop == ',' && s[0] == ',' && s[1] == ' ')) {
		char c = *s++;
		if (c == '\\' && *s == 'x' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0 && (s[1] != '0' || s[2] != '0')) {
			c = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 3;
		} else if (c == '\\' && *s && *s != 'x') {
			c = *s++;
		}
		if (n + 1 < size)
			out[n++] = c;
	}
	if (size)
		out[n] = 0;
	return s;
}

bool dump_labels_next(const char **s, char *k, size_t ks, char *v, size_t vs)
{
	const char *p = *s;
	if (!p || !*p)
		return false;
	p = unescape(p, '=', k, ks);
	if (*p == '=')
		p++;
	p = unescape(p, ',', v, vs);
	if (*p == ',')
		p += p[1] == ' ' ? 2 : 1;
	*s = p;
	return true;
}
