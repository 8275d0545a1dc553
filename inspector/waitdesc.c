#include "waitdesc.h"
#include "classify.h"
#include "error.h"
#include "report.h"
#include "sanitize.h"
#include "waitgraph.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends to buf (NUL-terminated, cut at size). */
static void add(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	if (len + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Appends s from the target, sanitized. */
static void add_raw(char *buf, size_t size, const char *s)
{
	char tmp[512];
	add(buf, size, "%s", sanitize_copy(s ? s : "?", tmp, sizeof(tmp)));
}

const char *waitdesc_kind_plural(enum wobj_kind k)
{
	switch (k) {
	case WOBJ_MUTEX: return "mutexes";
	case WOBJ_RWLOCK: return "rwlocks";
	case WOBJ_CONDVAR: return "condition variables";
	case WOBJ_SEMAPHORE: return "semaphores";
	case WOBJ_FUTEX: return "futexes";
	case WOBJ_THREAD: return "threads";
	case WOBJ_FD: return "fds";
	case WOBJ_CHAN: return "channels";
	case WOBJ_SELECT: return "selects";
	case WOBJ_SYNC_MUTEX: return "sync.Mutexes";
	case WOBJ_SYNC_RWMUTEX: return "sync.RWMutexes";
	case WOBJ_SYNC_WAITGROUP: return "sync.WaitGroups";
	case WOBJ_SYNC_COND: return "sync.Conds";
	case WOBJ_TIMER: return "timers";
	default: return "objects";
	}
}

static void chan_words(const struct snap_chan *c, char *buf, size_t size)
{
	if (c->nil) {
		add(buf, size, "nil channel: blocks forever");
		return;
	}
	if (c->type)
		add_raw(buf, size, c->type);
	if (c->cap == 0)
		add(buf, size, "%sunbuffered", c->type ? ", " : "");
	else if (c->cap > 0)
		add(buf, size, "%s%" PRId64 " of %" PRId64 " buffered", c->type ? ", " : "", c->len, c->cap);
	if (c->closed == 1)
		add(buf, size, ", closed");
	if (c->senders >= 0)
		add(buf, size, ", %" PRId64 " sender%s", c->senders, c->senders == 1 ? "" : "s");
	if (c->receivers >= 0)
		add(buf, size, ", %" PRId64 " receiver%s", c->receivers, c->receivers == 1 ? "" : "s");
}

/* A Go object's facts: " [locked, waiters 3]", " [wakes in 3596 s]". */
static void go_facts(const struct snap_object *o, char *buf, size_t size)
{
	bool any = false;
	for (uint8_t k = 0; k < o->nfacts; k++) {
		const struct snap_fact *f = &o->facts[k];
		if (!strcmp(f->key, "when_ns") || (f->boolean && !f->value))
			continue;
		add(buf, size, "%s", any ? ", " : " [");
		any = true;
		if (!strcmp(f->key, "wakes_in_ms")) {
			if (f->value >= 0)
				add(buf, size, "wakes in %" PRId64 " s", f->value / 1000);
			else
				add(buf, size, "was due %" PRId64 " s ago", -f->value / 1000);
			continue;
		}
		for (const char *p = f->key; *p; p++)
			add(buf, size, "%c", *p == '_' ? ' ' : *p);
		if (!f->boolean)
			add(buf, size, " %" PRId64, f->value);
	}
	if (any)
		add(buf, size, "]");
}

char *waitdesc_object(const struct snapshot *snap, const struct snap_object *o, char *buf, size_t size)
{
	buf[0] = 0;
	if (!o) {
		add(buf, size, "?");
		return buf;
	}
	if (o->kind == WOBJ_FD) {
		add(buf, size, "fd %d", o->fd);
		if (o->desc) {
			add(buf, size, " (");
			add_raw(buf, size, o->desc);
			add(buf, size, ")");
		} else if (o->note) {
			/* Why it is not described: "a core has no fd table", "not open (any more)". */
			add(buf, size, " [");
			add_raw(buf, size, o->note);
			add(buf, size, "]");
		}
		return buf;
	}
	if (o->kind == WOBJ_THREAD && o->owner_state == WOWNER_THREAD) {
		add(buf, size, "thread %d", (int)o->owner);
		long i = snapshot_find_thread(snap, o->owner);
		if (i >= 0 && snap->threads[i].name) {
			add(buf, size, " `");
			add_raw(buf, size, snap->threads[i].name);
			add(buf, size, "`");
		}
		return buf;
	}
	if (o->have_chan && o->chan.nil) {
		add(buf, size, "nil channel (blocks forever)");
		return buf;
	}
	add(buf, size, "%s", wobj_kind_name(o->kind) ? wobj_kind_name(o->kind) : "object");
	if (o->name) {
		add(buf, size, " ");
		add_raw(buf, size, o->name);
	}
	if (o->addr)
		add(buf, size, " (0x%" PRIx64 ")", o->addr);
	else
		add(buf, size, " (start unknown)");
	if (o->have_chan) {
		add(buf, size, " [");
		chan_words(&o->chan, buf, size);
		add(buf, size, "]");
	} else if (o->kind >= WOBJ_SYNC_MUTEX && o->kind <= WOBJ_TIMER && o->nfacts) {
		go_facts(o, buf, size);
	}
	return buf;
}

/* "sleeps", "reads fd 7 (...)": the class as a verb. */
static void verb(const struct snapshot *snap, const struct snap_thread *t, char *buf, size_t size)
{
	const struct snap_object *o = snapshot_object(snap, t->waits_on.object);
	char obj[600];
	switch (t->wait) {
	case WAIT_SLEEP: add(buf, size, "sleeps"); return;
	case WAIT_SIGNAL: add(buf, size, "waits for a signal"); return;
	case WAIT_WAITPID: add(buf, size, "waits for a child process"); return;
	case WAIT_RUNNING: add(buf, size, "is running"); return;
	case WAIT_STOPPED: add(buf, size, "is stopped"); return;
	case WAIT_UNKNOWN: add(buf, size, "is blocked (state unknown)"); return;
	case WAIT_SYSCALL: {
		const char *sc = t->syscall >= 0 ? syscall_name(t->syscall) : NULL;
		if (sc)
			add(buf, size, "is in %s()", sc);
		else
			add(buf, size, "is in system call %ld", t->syscall);
		return;
	}
	case WAIT_READ: case WAIT_WRITE: case WAIT_ACCEPT: case WAIT_CONNECT: case WAIT_POLL: {
		static const char *const verbs[WAIT__COUNT] = {[WAIT_READ] = "reads", [WAIT_WRITE] = "writes",
								[WAIT_ACCEPT] = "accepts on", [WAIT_CONNECT] = "connects",
								[WAIT_POLL] = "polls"};
		add(buf, size, "%s", verbs[t->wait]);
		if (o && t->waits_on.nset <= 1)
			add(buf, size, " %s", waitdesc_object(snap, o, obj, sizeof(obj)));
		else if (t->waits_on.nset > 1)
			add(buf, size, " %u fds", t->waits_on.nset);
		return;
	}
	default:
		if (o)
			add(buf, size, "waits on %s", waitdesc_object(snap, o, obj, sizeof(obj)));
		else
			add(buf, size, "waits (%s)", wait_class_name(t->wait));
		return;
	}
}

char *waitdesc_doing(const struct snapshot *snap, const struct snap_thread *t, char *buf, size_t size)
{
	buf[0] = 0;
	verb(snap, t, buf, size);
	char site[600];
	if (t->wait_site >= 0)
		add(buf, size, " in %s", report_frame_site(&t->frames[t->wait_site], site, sizeof(site)));
	return buf;
}

char *waitdesc_owner(const struct snapshot *snap, const struct snap_object *o, char *buf, size_t size)
{
	buf[0] = 0;
	if (!o)
		return buf;
	char doing[800];
	switch (o->owner_state) {
	case WOWNER_THREAD: {
		if (o->kind == WOBJ_THREAD) {
			long i = snapshot_find_thread(snap, o->owner);
			if (i >= 0)
				add(buf, size, ", which %s", waitdesc_doing(snap, &snap->threads[i], doing, sizeof(doing)));
			return buf;
		}
		add(buf, size, "held by thread %d", (int)o->owner);
		long i = snapshot_find_thread(snap, o->owner);
		if (i >= 0) {
			const struct snap_thread *t = &snap->threads[i];
			if (t->name) {
				add(buf, size, " `");
				add_raw(buf, size, t->name);
				add(buf, size, "`");
			}
			if (t->waits_on.object && snapshot_object(snap, t->waits_on.object) == o)
				add(buf, size, ", which waits on it itself (relocking a lock it holds)");
			else
				add(buf, size, ", which %s", waitdesc_doing(snap, t, doing, sizeof(doing)));
		}
		return buf;
	}
	case WOWNER_EXITED:
		add(buf, size, "abandoned: its owner, thread %d, is gone (it exited or was cancelled holding it)", (int)o->owner);
		return buf;
	case WOWNER_NONE:
		add(buf, size, "free%s", o->note ? "" : " (its waiters are being woken)");
		if (o->note) {
			add(buf, size, ": ");
			add_raw(buf, size, o->note);
		}
		return buf;
	case WOWNER_READERS:
		for (uint8_t k = 0; k < o->nfacts; k++)
			if (!strcmp(o->facts[k].key, "readers"))
				add(buf, size, "held by %" PRId64 " reader%s (which ones is not recorded)", o->facts[k].value,
				    o->facts[k].value == 1 ? "" : "s");
		if (!buf[0])
			add(buf, size, "held by readers (which ones is not recorded)");
		return buf;
	case WOWNER_NOT_RECORDED:
		if (o->kind == WOBJ_SYNC_MUTEX || o->kind == WOBJ_SYNC_RWMUTEX)
			add(buf, size, "owner not recorded (Go records none)");
		else if (o->kind == WOBJ_MUTEX || o->kind == WOBJ_RWLOCK)
			add(buf, size, "owner not recorded");
		return buf;
	case WOWNER_UNKNOWN:
	default:
		if (o->kind == WOBJ_FD)
			return buf;
		add(buf, size, "owner unknown");
		if (o->note) {
			add(buf, size, ": ");
			add_raw(buf, size, o->note);
		}
		return buf;
	}
}

char *waitdesc_wait(const struct snapshot *snap, const struct snap_wait *w, char *buf, size_t size)
{
	buf[0] = 0;
	const struct snap_object *o = snapshot_object(snap, w->object);
	char part[1200];
	if (w->kind == WOBJ_NONE)
		return buf;
	if (o) {
		add(buf, size, "%s", waitdesc_object(snap, o, part, sizeof(part)));
		waitdesc_owner(snap, o, part, sizeof(part));
		if (part[0])
			add(buf, size, "%s%s", part[0] == ',' ? "" : " ", part);
	}
	size_t shown = 0;
	for (uint32_t i = 0; i < w->nset; i++) {
		if (w->set[i] == w->object)
			continue;
		if (shown == 0)
			add(buf, size, "%s", o ? ", watching " : w->kind == WOBJ_SELECT ? "a select over " : "");
		if (shown == 4) {
			add(buf, size, ", ...");
			break;
		}
		add(buf, size, "%s%s", shown ? ", " : "",
		    waitdesc_object(snap, snapshot_object(snap, w->set[i]), part, sizeof(part)));
		shown++;
	}
	if (w->note) {
		add(buf, size, " (");
		add_raw(buf, size, w->note);
		add(buf, size, ")");
	}
	return buf;
}

static int cmp_ref(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Most waiters first; ties by kind and address (fd number), as
 * waitgraph_group_objects orders them: the same in every input (a saved
 * report's objects are not made in the live capture's order). */
static int cmp_count(const void *a, const void *b)
{
	const struct wg_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return (x->object > y->object) - (x->object < y->object);
}

static bool same_wait(const struct snap_wait *a, const struct snap_wait *b)
{
	if (a->kind != b->kind || a->object != b->object || a->nset != b->nset)
		return false;
	for (uint32_t i = 0; i < a->nset; i++)
		if (a->set[i] != b->set[i])
			return false;
	return true;
}

/* "TCP 127.0.0.1:1 -> 127.0.0.1:5432": the part after " -> ". */
static const char *remote_of(const struct snap_object *o)
{
	if (!o || o->kind != WOBJ_FD || !o->type || strncmp(o->type, "tcp", 3) != 0 || !o->desc)
		return NULL;
	const char *a = strstr(o->desc, " -> ");
	return a ? a + 4 : NULL;
}

/* Many objects: what they have in common, then the busiest few. */
static void many(const struct snapshot *snap, const struct group *g, const struct wg_count *c, size_t n, char *buf,
		 size_t size)
{
	const struct snap_object *first = snapshot_object(snap, c[0].object);
	bool same_kind = true, same_type = true, same_remote = true, chans = true;
	const char *remote = remote_of(first);
	for (size_t i = 0; i < n; i++) {
		const struct snap_object *o = snapshot_object(snap, c[i].object);
		same_kind &= o->kind == first->kind;
		same_type &= o->type == first->type || (o->type && first->type && !strcmp(o->type, first->type));
		const char *r = remote_of(o);
		same_remote &= r && remote && !strcmp(r, remote);
		chans &= o->have_chan && !o->chan.nil;
	}
	if (same_remote) {
		add(buf, size, "on %zu TCP connections to ", n);
		add_raw(buf, size, remote);
		return;
	}
	if (!same_kind) {
		add(buf, size, "on %zu objects", n);
	} else if (chans) {
		const char *type = first->chan.type;
		bool same_ctype = true, same_cap = true, same_s = true, same_r = true;
		for (size_t i = 0; i < n; i++) {
			const struct snap_chan *ch = &snapshot_object(snap, c[i].object)->chan;
			same_ctype &= ch->type == type || (ch->type && type && !strcmp(ch->type, type));
			same_cap &= ch->cap == first->chan.cap;
			same_s &= ch->senders == first->chan.senders;
			same_r &= ch->receivers == first->chan.receivers;
		}
		add(buf, size, "on %zu channels", n);
		if (same_ctype && type) {
			add(buf, size, " of type ");
			add_raw(buf, size, type);
		}
		if (same_cap && first->chan.cap == 0)
			add(buf, size, " (unbuffered)");
		else if (same_cap && first->chan.cap > 0)
			add(buf, size, " (capacity %" PRId64 ")", first->chan.cap);
		if (same_s && first->chan.senders >= 0)
			add(buf, size, ", %s%" PRId64 " sender%s each", "", first->chan.senders, first->chan.senders == 1 ? "" : "s");
		if (same_r && first->chan.receivers == 0)
			add(buf, size, ", no receiver");
		else if (same_r && first->chan.receivers > 0)
			add(buf, size, ", %" PRId64 " receiver%s each", first->chan.receivers, first->chan.receivers == 1 ? "" : "s");
		return;
	} else {
		add(buf, size, "on %zu %s", n, waitdesc_kind_plural(first->kind));
		if (same_type && first->type) {
			add(buf, size, " (");
			add_raw(buf, size, first->type);
			add(buf, size, ")");
		}
	}
	char part[600];
	add(buf, size, ":");
	for (size_t i = 0; i < n && i < 3; i++)
		add(buf, size, "%s %s x%zu", i ? "," : "", waitdesc_object(snap, snapshot_object(snap, c[i].object), part, sizeof(part)),
		    c[i].count);
	if (n > 3)
		add(buf, size, ", ...");
	(void)g;
}

char *waitdesc_group(const struct snapshot *snap, const struct group *g, char *buf, size_t size)
{
	buf[0] = 0;
	if (!g->count)
		return buf;
	const struct snap_wait *w0 = waitgraph_member_wait(snap, g, 0);
	bool all_same = true, any = false;
	for (size_t i = 0; i < g->count; i++) {
		const struct snap_wait *w = waitgraph_member_wait(snap, g, i);
		any |= w->kind != WOBJ_NONE && (w->object || w->nset);
		all_same &= same_wait(w, w0);
	}
	if (!any)
		return buf;
	char part[1600];
	if (all_same) {
		add(buf, size, "on %s", waitdesc_wait(snap, w0, part, sizeof(part)));
		return buf;
	}
	/* Members on different objects: the primary objects, counted. */
	uint32_t *refs = xmalloc(g->count * sizeof(*refs));
	size_t nrefs = 0, none = 0;
	for (size_t i = 0; i < g->count; i++) {
		const struct snap_wait *w = waitgraph_member_wait(snap, g, i);
		uint32_t ref = w->object ? w->object : w->nset ? w->set[0] : 0;
		if (ref)
			refs[nrefs++] = ref;
		else
			none++;
	}
	qsort(refs, nrefs, sizeof(*refs), cmp_ref);
	struct wg_count *c = xmalloc((nrefs ? nrefs : 1) * sizeof(*c));
	size_t n = 0;
	for (size_t i = 0; i < nrefs; i++) {
		if (n && c[n - 1].object == refs[i])
			c[n - 1].count++;
		else
			c[n++] = (struct wg_count){refs[i], 1, 0};
	}
	free(refs);
	for (size_t i = 0; i < n; i++) {
		const struct snap_object *o = snapshot_object(snap, c[i].object);
		c[i].order = o ? (uint64_t)o->kind << 56 ^ (o->kind == WOBJ_FD ? (uint64_t)(uint32_t)o->fd : o->addr) : 0;
	}
	qsort(c, n, sizeof(*c), cmp_count);
	if (n == 1) {
		add(buf, size, "on %s", waitdesc_object(snap, snapshot_object(snap, c[0].object), part, sizeof(part)));
		waitdesc_owner(snap, snapshot_object(snap, c[0].object), part, sizeof(part));
		if (part[0])
			add(buf, size, "%s%s", part[0] == ',' ? "" : " ", part);
	} else if (n) {
		many(snap, g, c, n, buf, size);
	}
	if (none && n)
		add(buf, size, " (%zu unknown)", none);
	free(c);
	return buf;
}
