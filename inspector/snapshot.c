#include "snapshot.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char *const wait_names[WAIT__COUNT] = {
	[WAIT_UNKNOWN] = "unknown", [WAIT_MUTEX] = "mutex", [WAIT_RWLOCK] = "rwlock",
	[WAIT_CONDVAR] = "condvar", [WAIT_SEMAPHORE] = "semaphore", [WAIT_FUTEX] = "futex",
	[WAIT_JOIN] = "join", [WAIT_READ] = "read", [WAIT_WRITE] = "write",
	[WAIT_POLL] = "poll", [WAIT_ACCEPT] = "accept", [WAIT_CONNECT] = "connect",
	[WAIT_SLEEP] = "sleep", [WAIT_SIGNAL] = "signal", [WAIT_WAITPID] = "waitpid",
	[WAIT_SYSCALL] = "syscall", [WAIT_RUNNING] = "running", [WAIT_STOPPED] = "stopped",
};

const char *wait_class_name(enum wait_class c)
{
	return (unsigned)c < WAIT__COUNT ? wait_names[c] : "unknown";
}

enum wait_class wait_class_parse(const char *name)
{
	for (int i = 0; i < WAIT__COUNT; i++)
		if (name && strcmp(name, wait_names[i]) == 0)
			return (enum wait_class)i;
	return WAIT__COUNT;
}

static const char *const wobj_names[WOBJ__COUNT] = {
	[WOBJ_MUTEX] = "mutex", [WOBJ_RWLOCK] = "rwlock", [WOBJ_CONDVAR] = "condvar",
	[WOBJ_SEMAPHORE] = "semaphore", [WOBJ_FUTEX] = "futex", [WOBJ_THREAD] = "thread",
	[WOBJ_FD] = "fd", [WOBJ_CHAN] = "chan", [WOBJ_SELECT] = "select",
	[WOBJ_SYNC_MUTEX] = "sync.Mutex", [WOBJ_SYNC_RWMUTEX] = "sync.RWMutex",
	[WOBJ_SYNC_WAITGROUP] = "sync.WaitGroup", [WOBJ_SYNC_COND] = "sync.Cond", [WOBJ_TIMER] = "timer",
};

const char *wobj_kind_name(enum wobj_kind k)
{
	return (unsigned)k < WOBJ__COUNT ? wobj_names[k] : NULL;
}

enum wobj_kind wobj_kind_parse(const char *name)
{
	for (int i = 1; i < WOBJ__COUNT; i++)
		if (name && strcmp(name, wobj_names[i]) == 0)
			return (enum wobj_kind)i;
	return WOBJ__COUNT;
}

static const char *const owner_names[WOWNER__COUNT] = {
	[WOWNER_UNKNOWN] = "unknown", [WOWNER_NONE] = "none", [WOWNER_THREAD] = "thread",
	[WOWNER_EXITED] = "exited", [WOWNER_NOT_RECORDED] = "not recorded", [WOWNER_READERS] = "readers",
};

const char *wobj_owner_name(enum wobj_owner o)
{
	return (unsigned)o < WOWNER__COUNT ? owner_names[o] : "unknown";
}

enum wobj_owner wobj_owner_parse(const char *name)
{
	for (int i = 0; i < WOWNER__COUNT; i++)
		if (name && strcmp(name, owner_names[i]) == 0)
			return (enum wobj_owner)i;
	return WOWNER__COUNT;
}

uint32_t snapshot_add_object(struct snapshot *snap)
{
	xgrow(&snap->objects, &snap->cap_objects, snap->nobjects + 1, sizeof(*snap->objects));
	struct snap_object *o = &snap->objects[snap->nobjects++];
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	return (uint32_t)snap->nobjects;
}

static size_t objkey_slot(uint64_t key, uint32_t kind, size_t cap)
{
	return (size_t)((key ^ (uint64_t)kind << 56) * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
}

uint32_t snapshot_object_for(struct snapshot *snap, enum wobj_kind kind, uint64_t key, bool *is_new)
{
	if (snap->nobjkeys * 2 >= snap->cap_objkeys) {
		size_t cap = snap->cap_objkeys ? snap->cap_objkeys * 2 : 64;
		struct snap_objkey *t = xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < snap->cap_objkeys; i++) {
			const struct snap_objkey *k = &snap->objkeys[i];
			if (!k->ref)
				continue;
			size_t j = objkey_slot(k->key, k->kind, cap);
			while (t[j].ref)
				j = (j + 1) & (cap - 1);
			t[j] = *k;
		}
		free(snap->objkeys);
		snap->objkeys = t;
		snap->cap_objkeys = cap;
	}
	size_t j = objkey_slot(key, (uint32_t)kind, snap->cap_objkeys);
	while (snap->objkeys[j].ref) {
		const struct snap_objkey *k = &snap->objkeys[j];
		if (k->key == key && k->kind == (uint32_t)kind) {
			*is_new = false;
			return k->ref;
		}
		j = (j + 1) & (snap->cap_objkeys - 1);
	}
	uint32_t ref = snapshot_add_object(snap);
	snap->objects[ref - 1].kind = kind;
	snap->objkeys[j] = (struct snap_objkey){key, (uint32_t)kind, ref};
	snap->nobjkeys++;
	*is_new = true;
	return ref;
}

const struct snap_object *snapshot_object(const struct snapshot *snap, uint32_t ref)
{
	return ref && ref <= snap->nobjects ? &snap->objects[ref - 1] : NULL;
}

void snapshot_object_fact(struct snap_object *o, const char *key, int64_t value)
{
	if (o->nfacts < SNAP_MAX_FACTS)
		o->facts[o->nfacts++] = (struct snap_fact){key, value, false};
}

void snapshot_object_flag(struct snap_object *o, const char *key, bool value)
{
	if (o->nfacts < SNAP_MAX_FACTS)
		o->facts[o->nfacts++] = (struct snap_fact){key, value, true};
}

struct snapshot *snapshot_create(enum snap_source source)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));
	s->source = source;
	s->strings = strpool_create();
	return s;
}

static void thread_deinit(struct snap_thread *t)
{
	free(t->name);
	if (!t->stack.in_arena)
		free(t->stack.data);
	free(t->frames);
	free(t->error);
	free(t->waits_on.set);
}

void snapshot_drop_threads(struct snapshot *s)
{
	for (size_t i = 0; i < s->nthreads; i++)
		thread_deinit(&s->threads[i]);
	s->nthreads = 0;
}

void snapshot_destroy(struct snapshot *s)
{
	if (!s)
		return;
	if (s->unwind_free)
		s->unwind_free(s->unwind_state);
	if (s->input_free)
		s->input_free(s->input_state);
	if (s->fd_free)
		s->fd_free(s->fd_state);
	free(s->objects);
	free(s->objkeys);
	free(s->copies);
	free(s->leaks.problem);
	for (size_t i = 0; i < s->nthreads; i++)
		thread_deinit(&s->threads[i]);
	free(s->threads);
	for (size_t i = 0; i < s->narena; i++)
		munmap(s->arena[i].p, s->arena[i].len);
	free(s->arena);
	for (size_t i = 0; i < s->ngoroutines; i++) {
		if (!s->goroutines[i].frames_shared)
			free(s->goroutines[i].frames);
		free(s->goroutines[i].error);
		free(s->goroutines[i].waits_on.set);
	}
	free(s->goroutines);
	for (size_t i = 0; i < s->nmaps; i++)
		free(s->maps[i].path);
	free(s->maps);
	free(s->exe);
	free(s->exe_open);
	free(s->core_path);
	free(s->root);
	free(s->go_version);
	free(s->go_module);
	free(s->dump_from);
	for (size_t i = 0; i < s->nhosts; i++)
		free(s->hosts[i]);
	free(s->hosts);
	for (size_t i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	strpool_destroy(s->strings);
	free(s);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* A new arena block of at least bytes, every page already in place: a
 * page fault per page costs ~10 us on a virtual machine, and a live
 * capture must not take them during a pause.  One call populates the
 * block: huge pages from 256 KB on (about 64 stacks), where they make
 * copying the stacks in and reading them twice as fast (one TLB entry for
 * all; the difference a virtual machine's page walks make), 4 KB pages for
 * a few stacks. */
static void arena_map(struct snapshot *s, size_t bytes)
{
	enum { HUGE = 2u << 20 };
	bool huge = bytes >= HUGE / 8;
	size_t len = huge ? (bytes + HUGE - 1) & ~(size_t)(HUGE - 1) : (bytes + 4095) & ~(size_t)4095;
	/* Huge pages need 2 MB alignment: map more, trim both ends. */
	size_t over = huge ? len + HUGE : len;
	unsigned char *p = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | (huge ? 0 : MAP_POPULATE),
				-1, 0);
	if (p == MAP_FAILED)
		pu_oom();
	if (huge) {
		uintptr_t a = ((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1);
		size_t head = a - (uintptr_t)p, tail = over - head - len;
		if (head)
			munmap(p, head);
		if (tail)
			munmap((unsigned char *)a + len, tail);
		p = (unsigned char *)a;
		madvise(p, len, MADV_HUGEPAGE); /* a hint: 4 KB pages otherwise */
		if (madvise(p, len, MADV_POPULATE_WRITE) != 0) /* before Linux 5.14 */
			for (size_t off = 0; off < len; off += 4096)
				p[off] = 0;
	}
	xgrow(&s->arena, &s->cap_arena, s->narena + 1, sizeof(*s->arena));
	s->arena[s->narena++] = (struct arena_block){p, len};
	s->arena_next = p;
	s->arena_left = len;
}

void snapshot_arena_reserve(struct snapshot *s, size_t bytes)
{
	if (bytes > s->arena_left)
		arena_map(s, bytes);
}
bool snapshot_region_extend(const struct snapshot *s, struct mem_region *r, uint64_t addr)
{
	if (!r->data || !r->more || !s->read_fn || addr < r->addr || addr - r->addr + 8 <= r->len ||
	    addr - r->addr + 8 > r->len + r->more)
		return false;
	/* Stacks are walked outward: take twice what is needed now. */
	size_t want = (size_t)(addr - r->addr + 8) * 2, full = r->len + r->more;
	if (want < r->len * 2)
		want = r->len * 2;
	if (want < 4096)
		want = 4096;
	if (want > full)
		want = full;
	unsigned char *data = xmalloc(want);
	memcpy(data, r->data, r->len);
	size_t got = s->read_fn(s->read_ctx, r->addr + r->len, data + r->len, want - r->len);
	if (!r->in_arena)
		free(r->data);
	r->data = data;
	r->in_arena = false;
	/* An unreadable page ends the region. */
	r->more = got == want - r->len ? full - want : 0;
	r->len += got;
	return addr - r->addr + 8 <= r->len;
}

void *snapshot_arena_alloc(struct snapshot *s, size_t bytes)
{
	bytes = (bytes + 15) & ~(size_t)15;
	if (bytes > s->arena_left)
		snapshot_arena_reserve(s, bytes > (4u << 20) ? bytes : (4u << 20));
	void *p = s->arena_next;
	s->arena_next += bytes;
	s->arena_left -= bytes;
	return p;
}

struct snap_thread *snapshot_add_thread(struct snapshot *s, pid_t tid)
{
	xgrow(&s->threads, &s->cap_threads, s->nthreads + 1, sizeof(*s->threads));
	struct snap_thread *t = &s->threads[s->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->state = '?';
	t->syscall = -1;
	t->wait_site = t->blocking_call = -1;
	t->regs.orig_rax = -1;
	return t;
}

struct snap_map *snapshot_add_map(struct snapshot *s)
{
	xgrow(&s->maps, &s->cap_maps, s->nmaps + 1, sizeof(*s->maps));
	struct snap_map *m = &s->maps[s->nmaps++];
	memset(m, 0, sizeof(*m));
	return m;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct snap_thread *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_map(const void *a, const void *b)
{
	const struct snap_map *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

long snapshot_find_thread(const struct snapshot *s, pid_t tid)
{
	size_t lo = 0, hi = s->nthreads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->threads[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nthreads && s->threads[lo].tid == tid)
		return (long)lo;
	/* Not sorted after all (an input that forgot): look at each. */
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return (long)i;
	return -1;
}

void snapshot_sort(struct snapshot *s)
{
	if (s->nthreads > 1)
		qsort(s->threads, s->nthreads, sizeof(*s->threads), cmp_thread);
	if (s->nmaps > 1)
		qsort(s->maps, s->nmaps, sizeof(*s->maps), cmp_map);
}

const struct snap_map *snapshot_find_map(const struct snapshot *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct snap_map *m = &s->maps[mid];
		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

/* Copies from a captured region; returns bytes copied from addr onward. */
static size_t read_region(const struct mem_region *r, uint64_t addr, void *buf, size_t len)
{
	if (!r->data || addr < r->addr || addr - r->addr >= r->len)
		return 0;
	size_t off = addr - r->addr, n = r->len - off;
	if (n > len)
		n = len;
	memcpy(buf, r->data + off, n);
	return n;
}

size_t snapshot_read(const struct snapshot *s, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t n = 0;
		/* The copies first: a binary search, where the stacks below are
		 * a look at every thread. */
		if (s->ncopies) {
			size_t lo = 0, hi = s->ncopies;
			while (lo < hi) { /* the last copy starting at or below addr */
				size_t mid = lo + (hi - lo) / 2;
				if (s->copies[mid].addr <= addr + done)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo)
				n = read_region(&s->copies[lo - 1], addr + done, (char *)buf + done, len - done);
		}
		/* Stacks are found through the mapping that holds them: threads
		 * share few stack mappings, so try the threads whose sp lies in
		 * the same mapping only when the address is in a stack region. */
		for (size_t i = 0; i < s->nthreads && !n; i++)
			n = read_region(&s->threads[i].stack, addr + done, (char *)buf + done, len - done);
		if (!n && s->read_fn)
			n = s->read_fn(s->read_ctx, addr + done, (char *)buf + done, len - done);
		if (!n)
			break;
		done += n;
	}
	return done;
}

bool snapshot_read_u64(const struct snapshot *s, uint64_t addr, uint64_t *out)
{
	return snapshot_read(s, addr, out, sizeof(*out)) == sizeof(*out);
}

size_t snapshot_partial_threads(const struct snapshot *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].error)
			n++;
	return n;
}

void snapshot_warn(struct snapshot *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	s->warnings = xrealloc(s->warnings, (s->nwarnings + 1) * sizeof(*s->warnings));
	s->warnings[s->nwarnings++] = msg;
}
