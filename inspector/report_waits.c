/* report_waits.c - what waiters wait on, in the JSON and text reports.
 *
 * One writer per piece, for every kind of wait: a goroutine's channel or
 * a thread's mutex go through the same code, so new kinds of waits need
 * data, not output code. */
#include "json.h"
#include "report.h"
#include "sanitize.h"
#include "waitdesc.h"
#include "waitgraph.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* --- JSON --------------------------------------------------------------------- */

static void chan_json(struct json *j, const struct snap_chan *c)
{
	json_begin_object(j);
	json_key(j, "type");
	json_string(j, c->type);
	if (c->nil) {
		json_key(j, "nil");
		json_bool(j, true);
	}
#define NUM(key, v)              \
	json_key(j, key);        \
	if ((v) >= 0)            \
		json_int(j, v);  \
	else                     \
		json_null(j);
	NUM("cap", c->cap)
	NUM("len", c->len)
	json_key(j, "closed");
	if (c->closed >= 0)
		json_bool(j, c->closed);
	else
		json_null(j);
	NUM("senders", c->senders)
	NUM("receivers", c->receivers)
#undef NUM
	json_end_object(j);
}

static void fd_json(struct json *j, const struct snap_object *o)
{
	json_begin_object(j);
	json_key(j, "fd");
	json_int(j, o->fd);
	json_key(j, "type");
	json_string(j, o->type);
	json_key(j, "desc");
	json_string(j, o->desc);
	if (o->note) {
		json_key(j, "note");
		json_string(j, o->note);
	}
	json_end_object(j);
}

/* The members of an object's JSON (without braces): kind, address, name,
 * type, owner, its facts, a channel's state. */
static void object_fields(struct json *j, const struct snap_object *o)
{
	json_key(j, "kind");
	json_string(j, wobj_kind_name(o->kind));
	if (o->kind == WOBJ_FD) {
		json_key(j, "fd");
		fd_json(j, o);
		return;
	}
	json_key(j, "address");
	if (o->addr)
		json_hex(j, o->addr);
	else
		json_null(j);
	json_key(j, "name");
	json_string(j, o->name);
	if (o->type) {
		json_key(j, "type");
		json_string(j, o->type);
	}
	if (o->kind != WOBJ_CHAN && o->kind != WOBJ_SELECT && o->kind != WOBJ_TIMER) { /* those have no owners */
		json_key(j, "owner");
		if (o->owner_state == WOWNER_THREAD || o->owner_state == WOWNER_EXITED)
			json_int(j, o->owner);
		else
			json_null(j);
		json_key(j, "owner_state");
		json_string(j, wobj_owner_name(o->owner_state));
	}
	for (uint8_t k = 0; k < o->nfacts; k++) {
		json_key(j, o->facts[k].key);
		if (o->facts[k].boolean)
			json_bool(j, o->facts[k].value != 0);
		else
			json_int(j, o->facts[k].value);
	}
	if (o->have_chan) {
		json_key(j, "chan");
		chan_json(j, &o->chan);
	}
	if (o->note) {
		json_key(j, "note");
		json_string(j, o->note);
	}
}

void report_json_waits_on(struct json *j, const struct snapshot *snap, const struct snap_wait *w)
{
	if (w->kind == WOBJ_NONE)
		return;
	json_key(j, "waits_on");
	json_begin_object(j);
	const struct snap_object *o = snapshot_object(snap, w->object);
	if (o) {
		object_fields(j, o);
	} else {
		json_key(j, "kind");
		json_string(j, wobj_kind_name(w->kind));
		if (w->kind != WOBJ_FD) {
			json_key(j, "address");
			json_null(j);
			json_key(j, "name");
			json_null(j);
		}
	}
	if (w->futex) {
		json_key(j, "futex");
		json_hex(j, w->futex);
	}
	if (w->nset && !(w->nset == 1 && w->set[0] == w->object)) {
		json_key(j, w->kind == WOBJ_FD ? "fds" : "channels");
		json_begin_array(j);
		for (uint32_t i = 0; i < w->nset; i++) {
			const struct snap_object *s = snapshot_object(snap, w->set[i]);
			if (!s)
				continue;
			if (s->kind == WOBJ_FD) {
				fd_json(j, s);
			} else {
				json_begin_object(j);
				object_fields(j, s);
				json_end_object(j);
			}
		}
		json_end_array(j);
	}
	if (w->note) {
		json_key(j, "wait_note");
		json_string(j, w->note);
	}
	json_end_object(j);
}

/* An object's id in version 2's "objects" table: its index in
 * snap->objects, when the table holds it (used), else -1. */
static long object_id(const struct snapshot *snap, const bool *used, uint32_t ref)
{
	return used && ref && ref <= snap->nobjects && used[ref - 1] ? (long)ref - 1 : -1;
}

void report_json_objects(struct json *j, const struct snapshot *snap, const bool *used)
{
	json_key(j, "objects");
	json_begin_array(j);
	for (size_t i = 0; i < snap->nobjects; i++) {
		if (!used[i])
			continue;
		json_begin_object(j);
		json_key(j, "id");
		json_uint(j, i);
		object_fields(j, &snap->objects[i]);
		json_end_object(j);
	}
	json_end_array(j);
}

void report_json_waits_on_ids(struct json *j, const struct snapshot *snap, const bool *used, const struct snap_wait *w)
{
	if (w->kind == WOBJ_NONE)
		return;
	json_key(j, "waits_on");
	long id = object_id(snap, used, w->object);
	bool set = w->nset && !(w->nset == 1 && w->set[0] == w->object);
	if (id >= 0 && !w->futex && !set && !w->note) {
		json_int(j, id); /* the common case: the object, nothing more */
		return;
	}
	json_begin_object(j);
	if (id >= 0) {
		json_key(j, "object");
		json_int(j, id);
	} else {
		json_key(j, "kind");
		json_string(j, wobj_kind_name(w->kind));
	}
	if (w->futex) {
		json_key(j, "futex");
		json_hex(j, w->futex);
	}
	if (set) {
		json_key(j, w->kind == WOBJ_FD ? "fds" : "channels");
		json_begin_array(j);
		for (uint32_t i = 0; i < w->nset; i++) {
			long s = object_id(snap, used, w->set[i]);
			if (s >= 0)
				json_int(j, s);
		}
		json_end_array(j);
	}
	if (w->note) {
		json_key(j, "wait_note");
		json_string(j, w->note);
	}
	json_end_object(j);
}

void report_json_group_objects(struct json *j, const struct report *r, const struct group *g, const bool *used)
{
	struct wg_count *c;
	size_t n = waitgraph_group_objects(r->snap, g, &c);
	if (!n)
		return;
	json_key(j, "objects");
	json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		const struct snap_object *o = snapshot_object(r->snap, c[i].object);
		long id = object_id(r->snap, used, c[i].object);
		json_begin_object(j);
		if (id >= 0) {
			json_key(j, "object");
			json_int(j, id);
		} else {
			json_key(j, "kind");
			json_string(j, wobj_kind_name(o->kind));
			if (o->kind == WOBJ_FD) {
				/* what the fd is: in the members' waits_on (live only) */
				json_key(j, "fd");
				json_int(j, o->fd);
			} else {
				json_key(j, "address");
				if (o->addr)
					json_hex(j, o->addr);
				else
					json_null(j);
				json_key(j, "name");
				json_string(j, o->name);
			}
		}
		json_key(j, "count");
		json_uint(j, c[i].count);
		json_end_object(j);
	}
	json_end_array(j);
	free(c);
}

void report_json_wait_graph(struct json *j, const struct report *r, const bool *used)
{
	const struct snapshot *snap = r->snap;
	const struct waitgraph *g = r->graph;
	json_key(j, "deadlocks");
	json_begin_array(j);
	for (size_t i = 0; g && i < g->ncycles; i++) {
		const struct wg_cycle *c = &g->cycles[i];
		json_begin_object(j);
		json_key(j, "threads");
		json_begin_array(j);
		for (size_t k = 0; k < c->n; k++)
			json_int(j, snap->threads[c->threads[k]].tid);
		json_end_array(j);
		json_key(j, "objects");
		json_begin_array(j);
		for (size_t k = 0; k < c->n; k++) {
			const struct snap_object *o = snapshot_object(snap, c->objects[k]);
			if (o && o->addr)
				json_hex(j, o->addr);
			else
				json_null(j);
		}
		json_end_array(j);
		json_key(j, "names");
		json_begin_array(j);
		for (size_t k = 0; k < c->n; k++) {
			const struct snap_object *o = snapshot_object(snap, c->objects[k]);
			json_string(j, o ? o->name : NULL);
		}
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "convoys");
	json_begin_array(j);
	for (size_t i = 0; g && i < g->nroots; i++) {
		const struct wg_root *rt = &g->roots[i];
		const struct snap_object *o = snapshot_object(snap, rt->object);
		json_begin_object(j);
		json_key(j, "root");
		if (rt->thread >= 0)
			json_int(j, snap->threads[rt->thread].tid);
		else
			json_null(j);
		json_key(j, "abandoned");
		json_bool(j, rt->thread < 0);
		json_key(j, "object");
		long id = object_id(snap, used, rt->object);
		if (id >= 0) {
			json_int(j, id);
		} else if (o) {
			json_begin_object(j);
			object_fields(j, o);
			json_end_object(j);
		} else {
			json_null(j);
		}
		json_key(j, "direct");
		json_uint(j, rt->direct);
		json_key(j, "behind");
		json_uint(j, rt->behind);
		json_end_object(j);
	}
	json_end_array(j);
}

/* --- text ----------------------------------------------------------------------- */

static void thread_name(FILE *f, const struct snap_thread *t)
{
	fprintf(f, "thread %d", (int)t->tid);
	if (t->name) {
		fputs(" `", f);
		sanitize_fputs(t->name, f);
		fputc('`', f);
	}
}

void report_text_deadlocks(FILE *f, const struct report *r)
{
	const struct waitgraph *g = r->graph;
	if (!g || !g->ncycles)
		return;
	const struct snapshot *snap = r->snap;
	char buf[1600], site[600];
	fprintf(f, "DEADLOCK: %zu cycle%s of threads waiting for each other\n", g->ncycles, g->ncycles == 1 ? "" : "s");
	for (size_t i = 0; i < g->ncycles; i++) {
		const struct wg_cycle *c = &g->cycles[i];
		fprintf(f, "  cycle %zu: %zu thread%s\n", i + 1, c->n, c->n == 1 ? " (waiting for itself)" : "s");
		for (size_t k = 0; k < c->n; k++) {
			const struct snap_thread *t = &snap->threads[c->threads[k]];
			const struct snap_thread *next = &snap->threads[c->threads[(k + 1) % c->n]];
			fputs("    ", f);
			thread_name(f, t);
			fprintf(f, " waits on %s held by thread %d",
				waitdesc_object(snap, snapshot_object(snap, c->objects[k]), buf, sizeof(buf)), (int)next->tid);
			if (t->wait_site >= 0)
				fprintf(f, ", in %s", report_frame_site(&t->frames[t->wait_site], site, sizeof(site)));
			fputc('\n', f);
		}
	}
	fputc('\n', f);
}

enum { HOLDERS_SHOWN = 10 };

void report_text_holders(FILE *f, const struct report *r)
{
	const struct waitgraph *g = r->graph;
	if (!g || !g->nroots)
		return;
	const struct snapshot *snap = r->snap;
	char buf[1600];
	fputs("Waits end at (holders with threads waiting behind them, most first):\n", f);
	for (size_t i = 0; i < g->nroots && i < HOLDERS_SHOWN; i++) {
		const struct wg_root *rt = &g->roots[i];
		const struct snap_object *o = snapshot_object(snap, rt->object);
		fputs("  ", f);
		if (rt->thread >= 0) {
			const struct snap_thread *t = &snap->threads[rt->thread];
			thread_name(f, t);
			fprintf(f, ": %zu thread%s behind it", rt->behind, rt->behind == 1 ? "" : "s");
			if (rt->direct && o && o->kind == WOBJ_THREAD)
				fprintf(f, " (%zu joining it)", rt->direct);
			else if (rt->direct)
				fprintf(f, " (%zu on %s)", rt->direct, waitdesc_object(snap, o, buf, sizeof(buf)));
			fprintf(f, "; it %s\n", waitdesc_doing(snap, t, buf, sizeof(buf)));
		} else {
			fprintf(f, "%s, ", waitdesc_object(snap, o, buf, sizeof(buf)));
			fprintf(f, "%s: %zu thread%s behind it\n", waitdesc_owner(snap, o, buf, sizeof(buf)), rt->behind,
				rt->behind == 1 ? "" : "s");
		}
	}
	if (g->nroots > HOLDERS_SHOWN)
		fprintf(f, "  ... %zu more\n", g->nroots - HOLDERS_SHOWN);
	fputc('\n', f);
}

void report_text_group_waits(FILE *f, const struct report *r, const struct group *g)
{
	char buf[2400];
	waitdesc_group(r->snap, g, buf, sizeof(buf));
	if (buf[0])
		fprintf(f, "    waits:         %s\n", buf);
}
