/* report_pprof.c - --pprof FILE: the groups as a gzipped profile.proto.
 *
 * One sample per group of identical stacks (threads and goroutines), its
 * count as the value of the sample type goroutine/count (what Go's own
 * goroutine profile uses, so go tool pprof, Pyroscope and Parca treat it
 * as one), labels "kind", "wait" and "wait_site" (the function; a profile
 * cannot say which frames are library code).  A merged snapshot (pileup
 * merge) gets one sample per group and host, labelled "host", so that
 * `go tool pprof -tagfocus host=H` (or a profiling system's label filter)
 * shows one host.  Compiler wrappers are left out, as in Go's own
 * profiles.  One location per physical frame,
 * its lines the inlined calls innermost first and the function they were
 * inlined into last (profile.proto's rule); one function per (name,
 * file); one mapping per module, with its build-id, marked as already
 * symbolized so pprof looks nothing up.  A comment names pileup
 * (INPUT_PPROF_COMMENT): only in such a profile does pileup's reader take
 * those labels for its own (a Go program may label its goroutines "host"
 * or "kind" too).  A group read from a Go profile keeps the program's
 * labels (pprof.Do) in its sample, but those named as pileup's own, which
 * a reader of this profile would take for pileup's.  Field numbers: see
 * input_pprof.c (checked against Go's runtime/pprof/proto.go). */
#include "dump.h"
#include "input_pprof.h"
#include "merge.h"
#include "pbuf.h"
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct ent {
	unsigned long long hash;
	uint64_t id;
	const void *key; /* what it stands for (see the users) */
	size_t n;
};

struct table {
	struct ent *e;
	size_t n, cap;
};

struct writer {
	const struct report *r;
	struct pbw out;   /* the Profile */
	struct table strs, funcs, locs, maps;
	const char **strv; /* string table, in order */
	size_t nstr, capstr;
	uint64_t *sample_locs;
	size_t nsample_locs, capsample_locs;
	struct strpool *names; /* names made for frames without a symbol */
};

static void table_grow(struct table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 256;
	struct ent *ne = xcalloc(ncap, sizeof(*ne));
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->e[i].id)
			continue;
		size_t j = (size_t)(t->e[i].hash >> 7) & (ncap - 1);
		while (ne[j].id)
			j = (j + 1) & (ncap - 1);
		ne[j] = t->e[i];
	}
	free(t->e);
	t->e = ne;
	t->cap = ncap;
}

/* The entry for key (equal by eq), or a free slot to fill. */
static struct ent *table_find(struct table *t, unsigned long long h, const void *key, size_t n,
			      bool (*eq)(const void *, const void *, size_t))
{
	if ((t->n + 1) * 2 > t->cap)
		table_grow(t);
	size_t j = (size_t)(h >> 7) & (t->cap - 1);
	for (; t->e[j].id; j = (j + 1) & (t->cap - 1))
		if (t->e[j].hash == h && t->e[j].n == n && eq(t->e[j].key, key, n))
			return &t->e[j];
	return &t->e[j];
}

static bool eq_str(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

/* Index of s in the string table ("" is 0). */
static uint64_t str_id(struct writer *w, const char *s)
{
	if (!s || !*s)
		return 0;
	size_t n = strlen(s);
	unsigned long long h = pu_hash_bytes(PU_HASH_INIT, s, n);
	struct ent *e = table_find(&w->strs, h, s, n, eq_str);
	if (!e->id) {
		xgrow(&w->strv, &w->capstr, w->nstr + 1, sizeof(*w->strv));
		w->strv[w->nstr] = s;
		*e = (struct ent){h, w->nstr++, s, n};
		w->strs.n++;
	}
	return e->id;
}

struct fkey {
	const char *name, *file;
};

static bool eq_fkey(const void *a, const void *b, size_t n)
{
	const struct fkey *x = a, *y = b;
	return x->name == y->name && x->file == y->file;
}

static uint64_t func_id(struct writer *w, const char *name, const char *file)
{
	struct fkey *k = xmalloc(sizeof(*k));
	*k = (struct fkey){name, file};
	unsigned long long h = pu_hash_bytes(PU_HASH_INIT, k, sizeof(*k));
	struct ent *e = table_find(&w->funcs, h, k, 1, eq_fkey);
	if (e->id) {
		free(k);
		return e->id;
	}
	*e = (struct ent){h, ++w->funcs.n, k, 1};
	struct pbw m = {0};
	pbw_uint(&m, 1, e->id);
	pbw_uint(&m, 2, str_id(w, name));
	pbw_uint(&m, 3, str_id(w, name));
	pbw_uint(&m, 4, str_id(w, file));
	pbw_len(&w->out, 5, m.buf, m.len);
	free(m.buf);
	return e->id;
}

static uint64_t map_id(struct writer *w, const char *module)
{
	if (!module)
		return 0;
	size_t n = strlen(module);
	unsigned long long h = pu_hash_bytes(PU_HASH_INIT, module, n);
	struct ent *e = table_find(&w->maps, h, module, n, eq_str);
	if (e->id)
		return e->id;
	*e = (struct ent){h, ++w->maps.n, module, n};
	const char *bid = w->r->build_id ? w->r->build_id(w->r->snap, module) : NULL;
	struct pbw m = {0};
	pbw_uint(&m, 1, e->id);
	pbw_uint(&m, 5, str_id(w, module));
	if (bid)
		pbw_uint(&m, 6, str_id(w, bid));
	for (uint32_t f = 7; f <= 10; f++) /* has_functions, _filenames, _line_numbers, _inline_frames */
		pbw_uint(&m, f, 1);
	pbw_len(&w->out, 3, m.buf, m.len);
	free(m.buf);
	return e->id;
}

static bool eq_frames(const void *a, const void *b, size_t n)
{
	const struct frame *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i].pc != y[i].pc || x[i].function != y[i].function || x[i].file != y[i].file || x[i].line != y[i].line ||
		    x[i].module != y[i].module || (!x[i].function && x[i].offset != y[i].offset))
			return false;
	return true;
}

/* The location of one physical frame: f[0..n), the calls inlined into
 * it first, the frame itself last. */
static uint64_t loc_id(struct writer *w, const struct frame *f, size_t n)
{
	unsigned long long h = PU_HASH_INIT;
	for (size_t i = 0; i < n; i++) {
		h = pu_hash_bytes(h, &f[i].pc, sizeof(f[i].pc));
		h = pu_hash_bytes(h, &f[i].function, sizeof(f[i].function));
		h = pu_hash_bytes(h, &f[i].line, sizeof(f[i].line));
	}
	struct ent *e = table_find(&w->locs, h, f, n, eq_frames);
	if (e->id)
		return e->id;
	*e = (struct ent){h, ++w->locs.n, f, n};
	const struct frame *phys = &f[n - 1];
	struct pbw m = {0};
	pbw_uint(&m, 1, e->id);
	uint64_t mid = map_id(w, phys->module);
	if (mid)
		pbw_uint(&m, 2, mid);
	if (phys->pc)
		pbw_uint(&m, 3, phys->pc);
	for (size_t i = 0; i < n; i++) {
		char buf[600];
		const char *name = f[i].function ? f[i].function : report_frame_name(&f[i], buf, sizeof(buf));
		if (!f[i].function)
			name = strpool_intern(w->names, name);
		struct pbw ln = {0};
		pbw_uint(&ln, 1, func_id(w, name, f[i].file));
		if (f[i].line > 0)
			pbw_uint(&ln, 2, (uint64_t)f[i].line);
		pbw_len(&m, 4, ln.buf, ln.len);
		free(ln.buf);
	}
	pbw_len(&w->out, 4, m.buf, m.len);
	free(m.buf);
	return e->id;
}

static void label(struct pbw *s, struct writer *w, const char *key, const char *val)
{
	if (!val)
		return;
	struct pbw l = {0};
	pbw_uint(&l, 1, str_id(w, key));
	pbw_uint(&l, 2, str_id(w, val));
	pbw_len(s, 3, l.buf, l.len);
	free(l.buf);
}

/* The program's own pprof labels (dump.h's string), but for pileup's
 * names. */
static void program_labels(struct pbw *s, struct writer *w, const char *labels)
{
	if (!labels)
		return;
	size_t n = strlen(labels) + 1;
	char *k = xmalloc(n), *v = xmalloc(n);
	while (dump_labels_next(&labels, k, n, v, n)) {
		if (!strcmp(k, "kind") || !strcmp(k, "wait") || !strcmp(k, "wait_site") || !strcmp(k, "host"))
			continue;
		/* the string table keeps pointers: interned */
		label(s, w, strpool_intern(w->names, k), strpool_intern(w->names, v));
	}
	free(k);
	free(v);
}

static void samples(struct writer *w, const struct grouping *gr)
{
	for (size_t gi = 0; gr && gi < gr->ngroups; gi++) {
		const struct group *g = &gr->groups[gi];
		w->nsample_locs = 0;
		for (size_t i = 0; i < g->nframes;) {
			/* compiler wrappers are left out, as Go's own profiles do */
			if (g->frames[i].wrapper && !g->frames[i].inlined) {
				i++;
				continue;
			}
			size_t j = i;
			while (j + 1 < g->nframes && g->frames[j].inlined)
				j++;
			xgrow(&w->sample_locs, &w->capsample_locs, w->nsample_locs + 1, sizeof(*w->sample_locs));
			w->sample_locs[w->nsample_locs++] = loc_id(w, &g->frames[i], j - i + 1);
			i = j + 1;
		}
		const struct snapshot *snap = w->r->snap;
		size_t *per = snap->nhosts ? merge_group_hosts(snap, g) : NULL;
		for (size_t h = 0; h < (per ? snap->nhosts : 1); h++) {
			size_t count = per ? per[h] : g->count;
			if (per && !count)
				continue;
			struct pbw s = {0}, packed = {0};
			for (size_t i = 0; i < w->nsample_locs; i++)
				pbw_varint(&packed, w->sample_locs[i]);
			if (packed.len)
				pbw_len(&s, 1, packed.buf, packed.len);
			packed.len = 0;
			pbw_varint(&packed, count);
			pbw_len(&s, 2, packed.buf, packed.len);
			free(packed.buf);
			label(&s, w, "kind", g->kind == GROUP_THREADS ? "thread" : "goroutine");
			label(&s, w, "wait", g->wait);
			/* where pileup put the wait site: profiles do not say
			 * which frames are library code */
			if (g->wait_site >= 0)
				label(&s, w, "wait_site", g->frames[g->wait_site].function);
			if (per)
				label(&s, w, "host", snap->hosts[h]);
			program_labels(&s, w, g->labels);
			pbw_len(&w->out, 2, s.buf, s.len);
			free(s.buf);
		}
		free(per);
	}
}

static void value_type(struct writer *w, struct pbw *out, uint32_t field, const char *type, const char *unit)
{
	struct pbw v = {0};
	pbw_uint(&v, 1, str_id(w, type));
	pbw_uint(&v, 2, str_id(w, unit));
	pbw_len(out, field, v.buf, v.len);
	free(v.buf);
}

static struct pu_error *write_gzip(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return pu_error_new(PU_EXIT_USAGE, "cannot write %s: %s; choose a writable path for --pprof", path, strerror(errno));
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip header and trailer, as pprof files have */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		fclose(f);
		return pu_error_new(PU_EXIT_USAGE, "cannot write %s: zlib failed", path);
	}
	uint8_t buf[65536];
	z.next_in = (uint8_t *)data;
	z.avail_in = (uInt)len;
	int rc;
	bool werr = false;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		rc = deflate(&z, Z_FINISH);
		size_t n = sizeof(buf) - z.avail_out;
		if (n && fwrite(buf, 1, n, f) != n)
			werr = true;
	} while (rc == Z_OK && !werr);
	deflateEnd(&z);
	if (fclose(f) != 0 || werr || rc != Z_STREAM_END)
		return pu_error_new(PU_EXIT_USAGE, "writing %s failed: %s", path, strerror(errno ? errno : EIO));
	return NULL;
}

struct pu_error *report_pprof_write(const char *path, const struct report *r)
{
	struct writer w;
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.names = strpool_create();
	xgrow(&w.strv, &w.capstr, 1, sizeof(*w.strv));
	w.strv[w.nstr++] = "";
	value_type(&w, &w.out, 1, "goroutine", "count");
	samples(&w, r->goroutines);
	samples(&w, r->threads);
	if (r->snap->taken_at > 0)
		pbw_uint(&w.out, 9, (uint64_t)r->snap->taken_at * 1000000000u);
	value_type(&w, &w.out, 11, "goroutine", "count");
	pbw_uint(&w.out, 12, 1);
	pbw_uint(&w.out, 13, str_id(&w, INPUT_PPROF_COMMENT " " PILEUP_VERSION));
	for (size_t i = 0; i < w.nstr; i++)
		pbw_len(&w.out, 6, w.strv[i], strlen(w.strv[i]));
	struct pu_error *err = write_gzip(path, w.out.buf ? w.out.buf : (const uint8_t *)"", w.out.len);
	for (size_t i = 0; i < w.funcs.cap; i++)
		if (w.funcs.e[i].id)
			free((void *)w.funcs.e[i].key);
	free(w.funcs.e);
	free(w.strs.e);
	free(w.locs.e);
	free(w.maps.e);
	free(w.strv);
	free(w.sample_locs);
	free(w.out.buf);
	strpool_destroy(w.names);
	return err;
}
