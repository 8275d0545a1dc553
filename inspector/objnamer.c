#include "objnamer.h"
#include "error.h"
#include "symbols.h"
#include "symindex.h"
#include "unwind.h"

#include <elf.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each thread's stack mapping, sorted by start, so a few hundred objects
 * are placed among 10,000 threads by binary search. */
struct stack_range {
	uint64_t start, end;
	pid_t tid;
};

struct objnamer {
	struct snapshot *snap;
	Dwfl *dwfl;
	struct symindex *si;
	struct stack_range *stacks;
	size_t nstacks;
};

static int by_start(const void *a, const void *b)
{
	const struct stack_range *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

struct objnamer *objnamer_create(struct snapshot *snap)
{
	struct objnamer *n = xcalloc(1, sizeof(*n));
	n->snap = snap;
	n->dwfl = unwind_dwfl(snap);
	n->si = unwind_symindex(snap);
	n->stacks = xmalloc((snap->nthreads ? snap->nthreads : 1) * sizeof(*n->stacks));
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		if (!(t->regs.valid & (1u << SNAP_REG_RSP)))
			continue;
		const struct snap_map *m = snapshot_find_map(snap, t->regs.r[SNAP_REG_RSP]);
		if (m)
			n->stacks[n->nstacks++] = (struct stack_range){m->start, m->end, t->tid};
	}
	qsort(n->stacks, n->nstacks, sizeof(*n->stacks), by_start);
	return n;
}

void objnamer_destroy(struct objnamer *n)
{
	if (!n)
		return;
	free(n->stacks);
	free(n);
}

pid_t objnamer_stack_thread(struct objnamer *n, uint64_t addr)
{
	size_t lo = 0, hi = n->nstacks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (n->stacks[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Threads sharing a mapping (they should not) name the first. */
	if (lo && addr < n->stacks[lo - 1].end) {
		size_t i = lo - 1;
		while (i && n->stacks[i - 1].start == n->stacks[i].start)
			i--;
		return n->stacks[i].tid;
	}
	return 0;
}

/* "name" from "name@@GLIBC_2.2.5"; a C static's "held.0" without the
 * compiler's ".0"; demangled. */
static char *clean_symbol(const char *raw, bool local)
{
	char *s = xstrdup(raw);
	char *at = strchr(s, '@');
	if (at && at != s)
		*at = 0;
	char *dot = strrchr(s, '.');
	if (local && dot && dot != s && dot[1]) {
		bool digits = true;
		for (char *p = dot + 1; *p; p++)
			digits &= *p >= '0' && *p <= '9';
		if (digits)
			*dot = 0;
	}
	char *d = symbols_demangle(s);
	if (d) {
		free(s);
		return d;
	}
	return s;
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* The module whose variables may live at addr: the one mapped there, or
 * for .bss (anonymous memory right after a module's last file mapping,
 * outside the range libdwfl gives the module) the one just below. */
static Dwfl_Module *module_at(struct objnamer *n, uint64_t addr)
{
	if (!n->dwfl)
		return NULL;
	Dwfl_Module *mod = dwfl_addrmodule(n->dwfl, addr);
	if (mod)
		return mod;
	const struct snapshot *snap = n->snap;
	const struct snap_map *m = snapshot_find_map(snap, addr);
	if (!m || m->path || m == snap->maps)
		return NULL;
	const struct snap_map *prev = m - 1;
	if (prev->end != m->start || !prev->path || prev->path[0] != '/')
		return NULL;
	return dwfl_addrmodule(n->dwfl, prev->end - 1);
}

const char *objnamer_name(struct objnamer *n, uint64_t addr)
{
	struct snapshot *snap = n->snap;
	char buf[512];
	Dwfl_Module *mod = module_at(n, addr);
	struct symhit hit;
	if (mod && n->si && symindex_lookup(n->si, mod, addr, &hit) && hit.size && addr >= hit.value &&
	    addr - hit.value < hit.size && (hit.type == STT_OBJECT || hit.type == STT_COMMON)) {
		char *name = clean_symbol(hit.name, hit.bind == STB_LOCAL);
		if (addr == hit.value)
			snprintf(buf, sizeof(buf), "%s", name);
		else
			snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, name, addr - hit.value);
		free(name);
		return strpool_intern(snap->strings, buf);
	}
	pid_t tid = objnamer_stack_thread(n, addr);
	if (tid) {
		snprintf(buf, sizeof(buf), "stack of thread %d", (int)tid);
		return strpool_intern(snap->strings, buf);
	}
	const struct snap_map *m = snapshot_find_map(snap, addr);
	if (!m)
		return NULL;
	if ((m->path && m->path[0] == '/') || mod) {
		uint64_t base = m->start - m->offset;
		Dwarf_Addr lo;
		if (mod && dwfl_module_info(mod, NULL, &lo, NULL, NULL, NULL, NULL, NULL))
			base = lo;
		const char *mname = m->path && m->path[0] == '/' ? m->path : NULL;
		if (!mname && mod)
			mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, mname ? base_name(mname) : "?", addr - base);
		return strpool_intern(snap->strings, buf);
	}
	if (m->path && strcmp(m->path, "[stack]") == 0)
		return strpool_intern(snap->strings, "stack");
	return strpool_intern(snap->strings, "heap");
}
