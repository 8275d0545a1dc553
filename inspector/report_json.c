#include "classify.h"
#include "dump.h"
#include "error.h"
#include "json.h"
#include "merge.h"
#include "report.h"
#include "waitgraph.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One frame.  mod >= 0: version 2, the module by its index in "modules"
 * (which holds its build-id); mod -1: version 2, no module; mod -2:
 * version 1, the module's path and build-id in the frame. */
static void frame_json(struct json *j, const struct report *r, const struct frame *f, long mod)
{
	json_begin_object(j);
	json_key(j, "pc");
	json_hex(j, f->pc);
	json_key(j, "function");
	json_string(j, f->function);
	json_key(j, "offset");
	json_hex(j, f->offset);
	json_key(j, "module");
	if (mod >= 0) {
		json_int(j, mod);
	} else if (mod == -1) {
		json_null(j);
	} else {
		json_string(j, f->module);
		const char *bid = r->build_id && f->module ? r->build_id(r->snap, f->module) : NULL;
		if (bid) {
			json_key(j, "build_id");
			json_string(j, bid);
		}
	}
	json_key(j, "file");
	json_string(j, f->file);
	json_key(j, "line");
	if (f->line)
		json_int(j, f->line);
	else
		json_null(j);
	json_key(j, "inlined");
	json_bool(j, f->inlined);
	json_key(j, "library");
	json_bool(j, f->library);
	if (f->tail_call) {
		json_key(j, "tail_call");
		json_bool(j, true);
	}
	if (f->wrapper) {
		json_key(j, "wrapper");
		json_bool(j, true);
	}
	if (f->jit) {
		json_key(j, "jit");
		json_bool(j, true);
	}
	if (f->fp_guessed) {
		json_key(j, "fp_guessed");
		json_bool(j, true);
	}
	if (f->engine) {
		json_key(j, "engine");
		json_string(j, f->engine);
	}
	json_end_object(j);
}

static void frames_json(struct json *j, const struct report *r, const struct frame *f, size_t n)
{
	json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		frame_json(j, r, &f[i], -2);
	json_end_array(j);
}

static void site_json(struct json *j, const struct frame *frames, int idx)
{
	if (idx < 0) {
		json_null(j);
		return;
	}
	const struct frame *f = &frames[idx];
	json_begin_object(j);
	json_key(j, "function");
	json_string(j, f->function);
	json_key(j, "file");
	json_string(j, f->file);
	json_key(j, "line");
	if (f->line)
		json_int(j, f->line);
	else
		json_null(j);
	json_key(j, "module");
	json_string(j, f->module);
	json_end_object(j);
}

/* pprof labels (dump.h's string) as {"k": "v"} */
static void labels_json(struct json *j, const char *s)
{
	size_t n = strlen(s) + 1;
	char *k = xmalloc(n), *v = xmalloc(n);
	json_begin_object(j);
	while (dump_labels_next(&s, k, n, v, n)) {
		json_key(j, k);
		json_string(j, v);
	}
	json_end_object(j);
	free(k);
	free(v);
}

/* A group's members but its stack; used: version 2's objects table. */
static void group_fields(struct json *j, const struct report *r, const struct group *g, const bool *used)
{
	json_key(j, "kind");
	json_string(j, g->kind == GROUP_THREADS ? "thread" : "goroutine");
	json_key(j, "count");
	json_uint(j, g->count);
	json_key(j, "share");
	json_double(j, g->share);
	json_key(j, "dominant");
	json_bool(j, g->dominant);
	json_key(j, "wait");
	json_string(j, g->wait);
	json_key(j, "wait_site");
	site_json(j, g->frames, g->wait_site);
	json_key(j, "blocking_call");
	json_string(j, g->blocking_call >= 0 ? g->frames[g->blocking_call].function : NULL);
	if (g->crashed) {
		json_key(j, "crashed");
		json_bool(j, true);
	}
	if (g->kind == GROUP_GOROUTINES && (g->leaked || r->snap->leaks.done)) {
		json_key(j, "leaked");
		json_uint(j, g->leaked);
	}
	if (g->labels) {
		json_key(j, "labels");
		labels_json(j, g->labels);
	}
	if (g->wait_min_hi >= 0) {
		json_key(j, "wait_minutes");
		json_begin_array(j);
		json_int(j, g->wait_min_lo);
		json_int(j, g->wait_min_hi);
		json_end_array(j);
	}
	if (g->kind == GROUP_GOROUTINES && g->count) {
		/* where the group's goroutines were started (its first
		 * member's creator) */
		const struct snap_goroutine *go = &r->snap->goroutines[g->members[0]];
		json_key(j, "created_by");
		if (go->created_function) {
			json_begin_object(j);
			json_key(j, "function");
			json_string(j, go->created_function);
			json_key(j, "file");
			json_string(j, go->created_file);
			json_key(j, "line");
			json_int(j, go->created_line);
			json_end_object(j);
		} else {
			json_null(j);
		}
	}
	report_json_group_objects(j, r, g, used);
	json_key(j, "members");
	json_begin_array(j);
	size_t unknown = 0; /* a profile names no goroutine (ids 0) */
	for (size_t k = 0; k < g->count; k++) {
		int64_t id = group_member_id(r->snap, g, k);
		if (id)
			json_int(j, id);
		else
			unknown++;
	}
	json_end_array(j);
	if (unknown) {
		json_key(j, "members_without_id");
		json_uint(j, unknown);
	}
	if (r->snap->nhosts) {
		size_t *c = merge_group_hosts(r->snap, g);
		json_key(j, "hosts");
		json_begin_object(j);
		for (size_t h = 0; h < r->snap->nhosts; h++)
			if (c[h]) {
				json_key(j, r->snap->hosts[h]);
				json_uint(j, c[h]);
			}
		json_end_object(j);
		json_key(j, "absent_on");
		json_begin_array(j);
		for (size_t h = 0; h < r->snap->nhosts; h++)
			if (!c[h])
				json_string(j, r->snap->hosts[h]);
		json_end_array(j);
		free(c);
	}
}

void report_json_group_fields(struct json *j, const struct report *r, const struct group *g)
{
	group_fields(j, r, g, NULL);
	json_key(j, "frames");
	frames_json(j, r, g->frames, g->nframes);
}

/* ids: version 2, the stack of each thread (or goroutine), NULL: version 1. */
static void groups_json(struct json *j, const struct report *r, const struct grouping *gr, const uint32_t *ids, const bool *used)
{
	for (size_t i = 0; i < gr->ngroups; i++) {
		const struct group *g = &gr->groups[i];
		json_begin_object(j);
		if (ids) {
			group_fields(j, r, g, used);
			json_key(j, "stack");
			json_uint(j, ids[g->members[0]]);
		} else {
			report_json_group_fields(j, r, g);
		}
		json_end_object(j);
	}
}

void report_json_target(struct json *j, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	json_begin_object(j);
	json_key(j, "source");
	json_string(j, snap->source == SNAP_LIVE ? "live" : snap->source == SNAP_CORE ? "core" : snap->source == SNAP_DUMP ? "dump" : "saved");
	if (snap->dump_from || snap->dump_format) {
		/* what a dump was read from, and what it was */
		json_key(j, "dump");
		json_begin_object(j);
		json_key(j, "from");
		json_string(j, snap->dump_from);
		json_key(j, "format");
		json_string(j, snap->dump_format);
		json_end_object(j);
	}
	if (snap->lacks) {
		static const char *const names[] = {"threads", "go_runtime_frames", "go_wait_reasons", "go_ids", "go_deep_frames"};
		json_key(j, "lacks");
		json_begin_array(j);
		for (unsigned b = 0; b < 5; b++)
			if (snap->lacks & 1u << b)
				json_string(j, names[b]);
		json_end_array(j);
	}
	if (snap->nhosts) {
		json_key(j, "hosts");
		json_begin_array(j);
		for (size_t h = 0; h < snap->nhosts; h++)
			json_string(j, snap->hosts[h]);
		json_end_array(j);
	}
	json_key(j, "pid");
	json_int(j, snap->pid);
	json_key(j, "exe");
	json_string(j, snap->exe);
	const char *bid = r->build_id && snap->exe ? r->build_id(snap, snap->exe) : NULL;
	if (bid) {
		json_key(j, "build_id");
		json_string(j, bid);
	}
	if (snap->core_path) {
		json_key(j, "core");
		json_string(j, snap->core_path);
	}
	json_key(j, "threads");
	json_uint(j, snap->nthreads);
	if (snap->go_version || snap->ngoroutines) {
		json_key(j, "go_version");
		json_string(j, snap->go_version);
		json_key(j, "go_module");
		json_string(j, snap->go_module);
		json_key(j, "goroutines");
		json_uint(j, snap->ngoroutines);
	}
	json_key(j, "taken_at");
	json_int(j, snap->taken_at);
	if (snap->leaks.wanted || snap->leaks.done || snap->leaks.problem) {
		/* --leaks: what the verdict cost, or why there is none */
		json_key(j, "leaks");
		json_begin_object(j);
		json_key(j, "verdict");
		json_bool(j, snap->leaks.done);
		if (snap->leaks.problem) {
			json_key(j, "problem");
			json_string(j, snap->leaks.problem);
		}
		json_key(j, "leaked");
		json_uint(j, snap->leaks.leaked);
		json_key(j, "reachable");
		json_uint(j, snap->leaks.reachable);
		json_key(j, "heap_bytes");
		json_uint(j, snap->leaks.heap_bytes);
		json_key(j, "scanned_bytes");
		json_uint(j, snap->leaks.scanned_bytes);
		json_key(j, "us");
		json_uint(j, snap->leaks.us);
		json_end_object(j);
	}
	if (snap->have_crash) {
		json_key(j, "crash");
		json_begin_object(j);
		json_key(j, "tid");
		json_int(j, snap->crash_tid);
		json_key(j, "signal");
		json_int(j, snap->crash_signal);
		const char *sig = sigabbrev_np(snap->crash_signal);
		char signame[32];
		snprintf(signame, sizeof(signame), "SIG%s", sig ? sig : "?");
		json_key(j, "signal_name");
		json_string(j, sig ? signame : NULL);
		json_key(j, "address");
		json_hex(j, snap->crash_addr);
		json_end_object(j);
	}
	if (snap->nwarnings) {
		json_key(j, "warnings");
		json_begin_array(j);
		for (size_t i = 0; i < snap->nwarnings; i++)
			json_string(j, snap->warnings[i]);
		json_end_array(j);
	}
	json_end_object(j);
}

void report_json_begin(struct json *j, FILE *f)
{
	report_json_begin_version(j, f, 1);
}

void report_json_begin_version(struct json *j, FILE *f, int version)
{
	json_init(j, f, false);
	json_begin_object(j);
	json_key(j, "pileup");
	json_int(j, version);
	json_key(j, "version");
	json_string(j, PILEUP_VERSION);
}

/* --- Version 2: each distinct stack, module and goroutine creator once ---
 *
 * A stack is a thread's or goroutine's frames with its wait site and
 * blocking call (indices into the frames).  Members of one group already
 * share functions, files and lines (group.c hashed them): the group's key,
 * mixed with every pc, finds a candidate, and a full comparison of every
 * field decides, so a stack comes back exactly as v1 would write it. */

struct itab {
	uint32_t *slot; /* entry index + 1, 0 empty */
	size_t mask;
};

static void itab_init(struct itab *t, size_t entries)
{
	size_t cap = 64;
	while (cap < entries * 2)
		cap *= 2;
	t->slot = xcalloc(cap, sizeof(*t->slot));
	t->mask = cap - 1;
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ h >> 29;
}

struct stack_ent {
	const struct frame *frames;
	size_t n;
	int site, call;
};

struct creator_ent {
	const char *function, *file;
	int line;
	int64_t goroutine; /* the creating goroutine's id */
};

struct stacks {
	uint32_t *thread, *goroutine, *creator; /* stack (creator) of each item */
	struct stack_ent *s;
	size_t ns, caps;
	struct creator_ent *c;
	size_t nc, capc;
	const char **mods; /* module paths, in index order */
	size_t nm, capm;
	struct itab ts, tc, tm;
	bool *used; /* snap->objects that some wait refers to: the "objects" table */
	/* what goroutines leave out ("goroutine_defaults"): the most common
	 * status, wait reason and wait minutes */
	const char *status, *wait_reason;
	int64_t wait_minutes;
};

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_frame_exact(const struct frame *a, const struct frame *b)
{
	return a->pc == b->pc && a->offset == b->offset && a->line == b->line && a->inlined == b->inlined &&
	       a->library == b->library && a->wrapper == b->wrapper && a->tail_call == b->tail_call && a->jit == b->jit &&
	       a->fp_guessed == b->fp_guessed && same_str(a->function, b->function) && same_str(a->module, b->module) &&
	       same_str(a->file, b->file) && same_str(a->engine, b->engine);
}

static uint32_t stack_intern(struct stacks *st, unsigned long long gkey, const struct frame *f, size_t n, int site, int call)
{
	uint64_t h = mix(mix(mix(gkey, n), (uint64_t)(int64_t)site), (uint64_t)(int64_t)call);
	for (size_t i = 0; i < n; i++)
		h = mix(h, f[i].pc);
	for (size_t k = h & st->ts.mask;; k = (k + 1) & st->ts.mask) {
		uint32_t e = st->ts.slot[k];
		if (!e) {
			xgrow(&st->s, &st->caps, st->ns + 1, sizeof(*st->s));
			st->s[st->ns] = (struct stack_ent){f, n, site, call};
			st->ts.slot[k] = (uint32_t)++st->ns;
			return (uint32_t)(st->ns - 1);
		}
		const struct stack_ent *s = &st->s[e - 1];
		if (s->n != n || s->site != site || s->call != call)
			continue;
		size_t i = 0;
		while (i < n && same_frame_exact(&s->frames[i], &f[i]))
			i++;
		if (i == n)
			return e - 1;
	}
}

static uint32_t creator_intern(struct stacks *st, const struct snap_goroutine *g)
{
	uint64_t h = mix(mix(mix(mix(1, (uintptr_t)g->created_function), (uintptr_t)g->created_file), (uint64_t)g->created_line),
			 (uint64_t)g->created_goroutine);
	for (size_t k = h & st->tc.mask;; k = (k + 1) & st->tc.mask) {
		uint32_t e = st->tc.slot[k];
		if (!e) {
			xgrow(&st->c, &st->capc, st->nc + 1, sizeof(*st->c));
			st->c[st->nc] = (struct creator_ent){g->created_function, g->created_file, g->created_line, g->created_goroutine};
			st->tc.slot[k] = (uint32_t)++st->nc;
			return (uint32_t)(st->nc - 1);
		}
		const struct creator_ent *c = &st->c[e - 1];
		if (c->function == g->created_function && c->file == g->created_file && c->line == g->created_line &&
		    c->goroutine == g->created_goroutine)
			return e - 1;
	}
}

/* The index of a module path in st->mods (by content: few, short). */
static long module_index(struct stacks *st, const char *m)
{
	if (!m)
		return -1;
	uint64_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)m; *p; p++)
		h = h * 33 + *p;
	for (size_t k = mix(h, 0) & st->tm.mask;; k = (k + 1) & st->tm.mask) {
		uint32_t e = st->tm.slot[k];
		if (!e) {
			xgrow(&st->mods, &st->capm, st->nm + 1, sizeof(*st->mods));
			st->mods[st->nm] = m;
			st->tm.slot[k] = (uint32_t)++st->nm;
			return (long)st->nm - 1;
		}
		if (!strcmp(st->mods[e - 1], m))
			return (long)e - 1;
	}
}

/* Stack ids of one grouping's items, into ids. */
static void stacks_of(struct stacks *st, const struct snapshot *snap, const struct grouping *gr, uint32_t *ids)
{
	for (size_t gi = 0; gr && gi < gr->ngroups; gi++) {
		const struct group *g = &gr->groups[gi];
		for (size_t k = 0; k < g->count; k++) {
			size_t i = g->members[k];
			if (gr->kind == GROUP_THREADS) {
				const struct snap_thread *t = &snap->threads[i];
				ids[i] = stack_intern(st, g->key, t->frames, t->nframes, t->wait_site, t->blocking_call);
			} else {
				const struct snap_goroutine *go = &snap->goroutines[i];
				ids[i] = stack_intern(st, g->key, go->frames, go->nframes, go->wait_site, go->blocking_call);
			}
		}
	}
}

static void mark_ref(struct stacks *st, const struct snapshot *snap, uint32_t ref)
{
	if (ref && ref <= snap->nobjects)
		st->used[ref - 1] = true;
}

static void mark_wait(struct stacks *st, const struct snapshot *snap, const struct snap_wait *w)
{
	if (w->kind == WOBJ_NONE)
		return;
	mark_ref(st, snap, w->object);
	for (uint32_t i = 0; i < w->nset; i++)
		mark_ref(st, snap, w->set[i]);
}

/* The most common of a few values (the first DEFAULT_CANDIDATES distinct
 * ones are counted: statuses and wait reasons are a few dozen). */
enum { DEFAULT_CANDIDATES = 64 };

static void goroutine_defaults(struct stacks *st, const struct snapshot *snap)
{
	struct {
		const char *s;
		size_t n;
	} status[DEFAULT_CANDIDATES], reason[DEFAULT_CANDIDATES];
	struct {
		int64_t v;
		size_t n;
	} minutes[DEFAULT_CANDIDATES];
	size_t ns = 0, nr = 0, nm = 0;
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		const struct snap_goroutine *g = &snap->goroutines[i];
		size_t k;
		for (k = 0; k < ns && !same_str(status[k].s, g->status); k++)
			;
		if (k < ns)
			status[k].n++;
		else if (ns < DEFAULT_CANDIDATES)
			status[ns++] = (typeof(status[0])){g->status, 1};
		for (k = 0; k < nr && !same_str(reason[k].s, g->wait_reason); k++)
			;
		if (k < nr)
			reason[k].n++;
		else if (nr < DEFAULT_CANDIDATES)
			reason[nr++] = (typeof(reason[0])){g->wait_reason, 1};
		for (k = 0; k < nm && minutes[k].v != g->wait_minutes; k++)
			;
		if (k < nm)
			minutes[k].n++;
		else if (nm < DEFAULT_CANDIDATES)
			minutes[nm++] = (typeof(minutes[0])){g->wait_minutes, 1};
	}
	size_t best = 0;
	for (size_t k = 1; k < ns; k++)
		if (status[k].n > status[best].n)
			best = k;
	st->status = ns ? status[best].s : NULL;
	best = 0;
	for (size_t k = 1; k < nr; k++)
		if (reason[k].n > reason[best].n)
			best = k;
	st->wait_reason = nr ? reason[best].s : NULL;
	best = 0;
	for (size_t k = 1; k < nm; k++)
		if (minutes[k].n > minutes[best].n)
			best = k;
	st->wait_minutes = nm ? minutes[best].v : -1;
}

static void stacks_build(struct stacks *st, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	memset(st, 0, sizeof(*st));
	st->thread = xcalloc(snap->nthreads + 1, sizeof(*st->thread));
	st->goroutine = xcalloc(snap->ngoroutines + 1, sizeof(*st->goroutine));
	st->creator = xcalloc(snap->ngoroutines + 1, sizeof(*st->creator));
	itab_init(&st->ts, snap->nthreads + snap->ngoroutines);
	/* Every thread and goroutine is in exactly one group by stack; any
	 * other (none is known) is interned without its group's key. */
	memset(st->thread, 0xff, snap->nthreads * sizeof(*st->thread));
	memset(st->goroutine, 0xff, snap->ngoroutines * sizeof(*st->goroutine));
	stacks_of(st, snap, r->threads, st->thread);
	stacks_of(st, snap, r->goroutines, st->goroutine);
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		if (st->thread[i] == UINT32_MAX)
			st->thread[i] = stack_intern(st, 0, t->frames, t->nframes, t->wait_site, t->blocking_call);
	}
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		const struct snap_goroutine *g = &snap->goroutines[i];
		if (st->goroutine[i] == UINT32_MAX)
			st->goroutine[i] = stack_intern(st, 0, g->frames, g->nframes, g->wait_site, g->blocking_call);
	}
	itab_init(&st->tc, snap->ngoroutines);
	for (size_t i = 0; i < snap->ngoroutines; i++)
		if (snap->goroutines[i].created_function)
			st->creator[i] = creator_intern(st, &snap->goroutines[i]);
	st->used = xcalloc(snap->nobjects + 1, sizeof(*st->used));
	for (size_t i = 0; i < snap->nthreads; i++)
		mark_wait(st, snap, &snap->threads[i].waits_on);
	for (size_t i = 0; i < snap->ngoroutines; i++)
		mark_wait(st, snap, &snap->goroutines[i].waits_on);
	for (size_t i = 0; r->graph && i < r->graph->nroots; i++)
		mark_ref(st, snap, r->graph->roots[i].object);
	goroutine_defaults(st, snap);
	size_t nframes = 1;
	for (size_t i = 0; i < st->ns; i++)
		nframes += st->s[i].n;
	itab_init(&st->tm, nframes);
	if (snap->exe)
		module_index(st, snap->exe);
	for (size_t i = 0; i < st->ns; i++)
		for (size_t k = 0; k < st->s[i].n; k++)
			module_index(st, st->s[i].frames[k].module);
}

static void stacks_deinit(struct stacks *st)
{
	free(st->thread);
	free(st->goroutine);
	free(st->creator);
	free(st->s);
	free(st->c);
	free(st->mods);
	free(st->ts.slot);
	free(st->tc.slot);
	free(st->tm.slot);
	free(st->used);
}

static void index_or_null(struct json *j, int i)
{
	if (i >= 0)
		json_int(j, i);
	else
		json_null(j);
}

/* "modules", "stacks" and "creators" (README: JSON format, version 2). */
static void stacks_json(struct json *j, const struct report *r, struct stacks *st)
{
	json_key(j, "modules");
	json_begin_array(j);
	for (size_t i = 0; i < st->nm; i++) {
		json_begin_object(j);
		json_key(j, "id");
		json_uint(j, i);
		json_key(j, "path");
		json_string(j, st->mods[i]);
		const char *bid = r->build_id ? r->build_id(r->snap, st->mods[i]) : NULL;
		if (bid) {
			json_key(j, "build_id");
			json_string(j, bid);
		}
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "stacks");
	json_begin_array(j);
	for (size_t i = 0; i < st->ns; i++) {
		const struct stack_ent *s = &st->s[i];
		json_begin_object(j);
		json_key(j, "id");
		json_uint(j, i);
		json_key(j, "wait_site");
		index_or_null(j, s->site);
		json_key(j, "blocking_call");
		index_or_null(j, s->call);
		json_key(j, "frames");
		json_begin_array(j);
		for (size_t k = 0; k < s->n; k++)
			frame_json(j, r, &s->frames[k], module_index(st, s->frames[k].module));
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
	if (r->snap->go_version || r->snap->ngoroutines) {
		json_key(j, "creators");
		json_begin_array(j);
		for (size_t i = 0; i < st->nc; i++) {
			json_begin_object(j);
			json_key(j, "id");
			json_uint(j, i);
			json_key(j, "function");
			json_string(j, st->c[i].function);
			json_key(j, "file");
			json_string(j, st->c[i].file);
			json_key(j, "line");
			json_int(j, st->c[i].line);
			json_key(j, "goroutine");
			json_int(j, st->c[i].goroutine);
			json_end_object(j);
		}
		json_end_array(j);
		json_key(j, "goroutine_defaults");
		json_begin_object(j);
		json_key(j, "status");
		json_string(j, st->status);
		json_key(j, "wait_reason");
		json_string(j, st->wait_reason);
		json_key(j, "wait_minutes");
		json_int(j, st->wait_minutes);
		json_end_object(j);
	}
}

void report_json(FILE *f, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	bool v2 = r->json_version != 1;
	struct json *j = xmalloc(sizeof(*j));
	struct stacks stk;
	if (v2)
		stacks_build(&stk, r);
	report_json_begin_version(j, f, v2 ? 2 : 1);

	json_key(j, "target");
	report_json_target(j, r);

	json_key(j, "capture");
	json_begin_object(j);
	json_key(j, "mode");
	json_string(j, report_mode_name(snap->mode));
	json_key(j, "pause_us");
	json_uint(j, snap->pause_us);
	json_key(j, "elapsed_us");
	json_uint(j, snap->elapsed_us);
	json_key(j, "analyze_us");
	json_uint(j, r->analyze_us);
	json_key(j, "partial_threads");
	json_uint(j, snapshot_partial_threads(snap));
	json_key(j, "dominant_pct");
	json_double(j, r->dominant_pct);
	json_end_object(j);

	json_key(j, "analysis");
	json_begin_object(j);
	json_key(j, "frames_walked");
	json_uint(j, r->unwind.frames);
	json_key(j, "symbol_lookups");
	json_uint(j, r->unwind.distinct_pcs);
	json_key(j, "frame_pointers_recovered");
	json_uint(j, r->unwind.recovered);
	json_key(j, "libunwind_fallbacks");
	json_uint(j, r->unwind.fallbacks);
	if (r->unwind.cross_checked) {
		json_key(j, "cross_check_differences");
		json_uint(j, r->unwind.disagreements);
	}
	if (r->unwind.debuginfod_asked) {
		json_key(j, "debuginfod_asked");
		json_uint(j, r->unwind.debuginfod_asked);
		json_key(j, "debuginfod_found");
		json_uint(j, r->unwind.debuginfod_found);
	}
	if (snap->glibc_version || snap->glibc_problem) {
		/* which layout the locks were read with (glibc.h) */
		json_key(j, "glibc");
		json_begin_object(j);
		json_key(j, "version");
		json_string(j, snap->glibc_version);
		json_key(j, "layout");
		json_string(j, snap->glibc_layout);
		if (snap->glibc_problem) {
			json_key(j, "problem");
			json_string(j, snap->glibc_problem);
		}
		json_end_object(j);
	}
	json_end_object(j);

	if (v2)
		report_json_objects(j, snap, stk.used);
	report_json_wait_graph(j, r, v2 ? stk.used : NULL);
	if (v2)
		stacks_json(j, r, &stk);

	json_key(j, "threads");
	json_begin_array(j);
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		json_begin_object(j);
		json_key(j, "tid");
		if (t->tid)
			json_int(j, t->tid);
		else
			json_null(j); /* threads read back from a profile */
		if (snap->nhosts) {
			json_key(j, "host");
			json_string(j, t->host < snap->nhosts ? snap->hosts[t->host] : NULL);
		}
		json_key(j, "name");
		json_string(j, t->name);
		json_key(j, "state");
		char st[2] = {t->state, 0};
		json_string(j, st);
		json_key(j, "syscall");
		const char *sc = t->syscall >= 0 ? syscall_name(t->syscall) : NULL;
		char num[32];
		if (t->syscall >= 0 && !sc) {
			snprintf(num, sizeof(num), "syscall_%ld", t->syscall);
			sc = num;
		}
		json_string(j, sc);
		json_key(j, "wait");
		json_string(j, wait_class_name(t->wait));
		json_key(j, "capture");
		json_string(j, report_how_name(t->how));
		if (t->error) {
			json_key(j, "error");
			json_string(j, t->error);
		}
		if (t->crashed) {
			json_key(j, "crashed");
			json_bool(j, true);
		}
		if (!v2) {
			json_key(j, "wait_site");
			site_json(j, t->frames, t->wait_site);
		}
		if (v2)
			report_json_waits_on_ids(j, snap, stk.used, &t->waits_on);
		else
			report_json_waits_on(j, snap, &t->waits_on);
		if (v2) {
			json_key(j, "stack");
			json_uint(j, stk.thread[i]);
		} else {
			json_key(j, "frames");
			frames_json(j, r, t->frames, t->nframes);
		}
		json_end_object(j);
	}
	json_end_array(j);

	if (snap->go_version || snap->ngoroutines) {
		json_key(j, "goroutines");
		json_begin_array(j);
		for (size_t i = 0; i < snap->ngoroutines; i++) {
			const struct snap_goroutine *g = &snap->goroutines[i];
			json_begin_object(j);
			json_key(j, "id");
			if (g->id)
				json_int(j, g->id);
			else
				json_null(j); /* a profile's goroutines have none */
			if (snap->nhosts) {
				json_key(j, "host");
				json_string(j, g->host < snap->nhosts ? snap->hosts[g->host] : NULL);
			}
			if (g->leaked || snap->leaks.done) {
				json_key(j, "leaked");
				json_bool(j, g->leaked);
			}
			if (g->labels) {
				json_key(j, "labels");
				labels_json(j, g->labels);
			}
			/* version 2 leaves out what most goroutines have
			 * ("goroutine_defaults") */
			if (!v2 || !same_str(g->status, stk.status)) {
				json_key(j, "status");
				json_string(j, g->status);
			}
			if (!v2 || !same_str(g->wait_reason, stk.wait_reason)) {
				json_key(j, "wait_reason");
				json_string(j, g->wait_reason);
			}
			if (!v2 || g->wait_minutes != stk.wait_minutes) {
				json_key(j, "wait_minutes");
				json_int(j, g->wait_minutes);
			}
			/* version 2 leaves out what most goroutines do not have */
			if (!v2 || g->thread) {
				json_key(j, "thread");
				if (g->thread)
					json_int(j, g->thread);
				else
					json_null(j);
			}
			if (!v2 || g->locked) {
				json_key(j, "locked");
				json_bool(j, g->locked);
			}
			if (v2) {
				if (g->created_function) { /* an id in "creators" */
					json_key(j, "created_by");
					json_uint(j, stk.creator[i]);
				}
			} else if (g->created_function) {
				json_key(j, "created_by");
				json_begin_object(j);
				json_key(j, "function");
				json_string(j, g->created_function);
				json_key(j, "file");
				json_string(j, g->created_file);
				json_key(j, "line");
				json_int(j, g->created_line);
				json_key(j, "goroutine");
				json_int(j, g->created_goroutine);
				json_end_object(j);
			} else {
				json_key(j, "created_by");
				json_null(j);
			}
			if (!v2 || g->system) {
				json_key(j, "system");
				json_bool(j, g->system);
			}
			if (g->error) {
				json_key(j, "error");
				json_string(j, g->error);
			}
			if (!v2) {
				json_key(j, "wait_site");
				site_json(j, g->frames, g->wait_site);
				json_key(j, "blocking_call");
				json_string(j, g->blocking_call >= 0 ? g->frames[g->blocking_call].function : NULL);
			}
			if (v2)
				report_json_waits_on_ids(j, snap, stk.used, &g->waits_on);
			else
				report_json_waits_on(j, snap, &g->waits_on);
			if (v2) {
				json_key(j, "stack");
				json_uint(j, stk.goroutine[i]);
			} else {
				json_key(j, "frames");
				frames_json(j, r, g->frames, g->nframes);
			}
			json_end_object(j);
		}
		json_end_array(j);
	}

	json_key(j, "groups");
	json_begin_array(j);
	if (r->goroutines)
		groups_json(j, r, r->goroutines, v2 ? stk.goroutine : NULL, v2 ? stk.used : NULL);
	groups_json(j, r, r->threads, v2 ? stk.thread : NULL, v2 ? stk.used : NULL);
	json_end_array(j);
	json_end_object(j);
	fputc('\n', f);
	free(j);
	if (v2)
		stacks_deinit(&stk);
}
