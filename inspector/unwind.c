#include "unwind.h"
#include "cfirows.h"
#include "classify.h"
#include "debugcache.h"
#include "go/bin.h"
#include "memory.h"
#include "proc.h"
#include "symbols.h"
#include "symcache.h"
#include "symindex.h"
#include "tailcall.h"
#include "timing.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_FRAMES = 256, MAX_FP_CANDIDATES = 16, FP_CACHE = 64 };

/* Which frame-pointer slot (as an offset from sp) completed a stack that
 * started at pc0 and stopped early at pc_end: threads parked the same way
 * have the same layout, so the next one tries that offset first. */
struct fp_hint {
	uint64_t pc0, pc_end, delta;
	int n;
};

struct unwinder {
	struct snapshot *snap;
	Dwfl *dwfl;
	struct symbols *sym;
	struct tailcalls *tails;
	struct symindex *si; /* shared by sym and tails */
	struct symcache *cache; /* theirs too: what earlier runs learned */
	struct cfirows *rows;    /* simple CFI rows by pc, for fast_walk */
	size_t walks, fast_walks;
	char *debuginfo_path;
	Dwfl_Callbacks cbs;
	struct snap_thread *cur;   /* thread being unwound */
	struct snap_regs start;    /* registers to start it from */
	struct fp_hint hints[FP_CACHE];
	size_t nhints;
	/* address ranges of Go executables: their threads are unwound from
	 * the pclntab (go/golang.c), without loading their DWARF here */
	struct { Dwarf_Addr lo, hi; } go[4];
	size_t ngo;
	struct prefetch *pre; /* set while loaded ahead by unwind_prefetch */
};

/* Modules reported and their debug information loaded on a thread of its
 * own while the capture goes on, from a copy of the mappings. */
struct prefetch {
	pthread_t thread;
	struct snapshot shadow; /* maps only: the capture still adds threads */
	uint64_t *pcs;
	size_t npcs;
	struct pu_error *err;
};

/* libdwfl's find_elf has no user argument; modules are opened eagerly,
 * right after reporting, while this names the unwinder doing it. */
static struct unwinder *g_reporting;
/* The debug directories of the latest unwinder (libdwfl's find_debuginfo
 * has no user argument either). */
static const char *g_debuginfo_path;

/* After the prefetch thread has been joined. */
static void prefetch_release(struct unwinder *u)
{
	struct prefetch *p = u->pre;
	if (u->snap == &p->shadow)
		u->snap = NULL;
	free(p->shadow.maps);
	free(p->pcs);
	pu_error_free(p->err);
	free(p);
	u->pre = NULL;
}

static void prefetch_end(struct unwinder *u)
{
	if (!u->pre)
		return;
	pthread_join(u->pre->thread, NULL);
	prefetch_release(u);
}

static void unwinder_free(void *p)
{
	struct unwinder *u = p;
	if (!u)
		return;
	prefetch_end(u);
	symbols_destroy(u->sym);
	tailcalls_destroy(u->tails);
	symindex_destroy(u->si);
	symcache_close(u->cache);
	cfirows_destroy(u->rows);
	if (u->dwfl)
		dwfl_end(u->dwfl);
	if (g_debuginfo_path == u->debuginfo_path)
		g_debuginfo_path = NULL;
	free(u->debuginfo_path);
	free(u);
}

/* --- finding files as the target sees them ------------------------------- */

/* Separate debug info: by build-id under each debug directory, as an
 * inflated copy from the cache when its DWARF is compressed
 * (debugcache.h); else the standard way (build-id, .gnu_debuglink).  The
 * standard finder keeps the file it validated, so the copy has to be
 * offered before it runs. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base, const char *file_name,
			  const char *debuglink_file, GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	for (const char *p = g_debuginfo_path; n > 1 && n <= 64 && p && *p;) {
		const char *end = strchrnul(p, ':');
		if (*p == '/') {
			char hex[2 * 64 + 1];
			for (int i = 0; i < n; i++)
				snprintf(hex + 2 * i, 3, "%02x", bits[i]);
			char *path = xasprintf("%.*s/.build-id/%.2s/%s.debug", (int)(end - p), p, hex, hex + 2);
			int fd = file_open_regular(path);
			free(path);
			if (fd >= 0) {
				char *copy_path;
				int copy = debugcache_inflated(fd, &copy_path);
				close(fd);
				if (copy >= 0) {
					free(*debuginfo_file_name);
					*debuginfo_file_name = copy_path;
					return copy;
				}
				break;
			}
		}
		p = *end ? end + 1 : end;
	}
	/* A module without a file (the vdso, "[vdso]" or "linux-vdso.so.1" in
	 * a core) has no .gnu_debuglink to follow, and its build-id was tried
	 * above: asking would only load libdebuginfod and its libraries. */
	if (!file_name || (modname && modname[0] == '['))
		return -1;
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
					    debuginfo_file_name);
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	(void)mod;
	(void)userdata;
	(void)elfp;
	struct unwinder *u = g_reporting;
	if (!u)
		return -1;
	struct snapshot *snap = u->snap;
	/* The input knows its files better (a core: -e EXE, --sysroot, build-ids). */
	if (snap->open_module)
		return snap->open_module(snap, modname, base, file_name);
	if (modname[0] != '/')
		return -1;
	char *clean = xstrdup(modname);
	char *del = strstr(clean, " (deleted)");
	if (del && del[10] == 0)
		*del = 0;
	char *rooted = snap->root ? xasprintf("%s%s", snap->root, clean) : xstrdup(clean);
	int fd = -1;
	/* The exact file the target mapped, even if deleted or replaced. */
	if (snap->source == SNAP_LIVE) {
		const struct snap_map *m = snapshot_find_map(snap, base);
		if (m) {
			char *mf = xasprintf("/proc/%d/map_files/%" PRIx64 "-%" PRIx64, snap->pid, m->start, m->end);
			fd = file_open_regular(mf);
			free(mf);
		}
	}
	if (fd < 0)
		fd = file_open_regular(rooted);
	if (fd < 0 && snap->root && snap->source != SNAP_LIVE)
		fd = file_open_regular(clean);
	/* Debug files are searched relative to the real path. */
	if (access(rooted, F_OK) == 0) {
		*file_name = rooted;
	} else {
		free(rooted);
		*file_name = xstrdup(clean);
	}
	free(clean);
	if (fd < 0) {
		free(*file_name);
		*file_name = NULL;
	}
	return fd;
}

static int load_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)name;
	(void)start;
	(void)arg;
	Dwarf_Addr bias;
	dwfl_module_getelf(mod, &bias);
	return DWARF_CB_OK;
}

/* The vdso has no file: report it from its bytes in the target. */
static void report_vdso(struct unwinder *u)
{
	struct snapshot *snap = u->snap;
	for (size_t i = 0; i < snap->nmaps; i++) {
		const struct snap_map *m = &snap->maps[i];
		if (!m->path || strcmp(m->path, "[vdso]") != 0)
			continue;
		size_t len = (size_t)(m->end - m->start);
		if (len > (1u << 20))
			return;
		unsigned char *buf = xmalloc(len);
		size_t got = snapshot_read(snap, m->start, buf, len);
		int fd = -1;
		if (got == len && memcmp(buf, "\177ELF", 4) == 0)
			fd = memfd_create("vdso", MFD_CLOEXEC);
		if (fd >= 0 && write(fd, buf, len) == (ssize_t)len)
			dwfl_report_elf(u->dwfl, "[vdso]", "[vdso]", fd, m->start, false);
		else if (fd >= 0)
			close(fd);
		free(buf);
		return;
	}
}

static struct pu_error *report_modules(struct unwinder *u)
{
	struct snapshot *snap = u->snap;
	dwfl_report_begin(u->dwfl);
	if (snap->report_modules) {
		int r = snap->report_modules(snap, u->dwfl);
		if (r < 0)
			return pu_error_new(PU_EXIT_USAGE, "dwfl_core_file_report: %s", dwfl_errmsg(-1));
		if (r == 1)
			report_vdso(u);
	} else {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (!f)
			return &pu_enomem;
		for (size_t i = 0; i < snap->nmaps; i++) {
			const struct snap_map *m = &snap->maps[i];
			if (!m->path || m->path[0] != '/')
				continue;
			fprintf(f, "%" PRIx64 "-%" PRIx64 " %s %" PRIx64 " 00:01 %" PRIu64 " %s\n", m->start, m->end,
				m->perms[0] ? m->perms : "r--p", m->offset, m->inode ? m->inode : (uint64_t)i + 1, m->path);
		}
		fclose(f);
		FILE *r = fmemopen(text, len ? len : 1, "r");
		if (r) {
			if (len)
				dwfl_linux_proc_maps_report(u->dwfl, r);
			fclose(r);
		}
		free(text);
		report_vdso(u);
	}
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0)
		return pu_error_new(PU_EXIT_USAGE, "dwfl_report_end: %s", dwfl_errmsg(-1));
	dwfl_getmodules(u->dwfl, load_module, NULL, 0);
	return NULL;
}

/* --- thread callbacks: the snapshot is the process ----------------------- */

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl;
	struct unwinder *u = arg;
	size_t i = (size_t)(uintptr_t)*thread_argp;
	if (i >= u->snap->nthreads)
		return 0;
	*thread_argp = (void *)(uintptr_t)(i + 1);
	return u->snap->threads[i].tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	struct unwinder *u = arg;
	if (!u->cur || u->cur->tid != tid)
		return false;
	*thread_argp = u;
	return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	(void)dwfl;
	struct unwinder *u = arg;
	struct mem_region *st = u->cur ? &u->cur->stack : NULL;
	/* Deeper than the copied top of the stack: read more of it, once. */
	if (st && st->more && addr >= st->addr && addr - st->addr + 8 > st->len)
		snapshot_region_extend(u->snap, st, addr);
	if (st && st->data && addr >= st->addr && st->len >= 8 && addr - st->addr <= st->len - 8) {
		memcpy(result, st->data + (addr - st->addr), 8);
		return true;
	}
	uint64_t v;
	if (!snapshot_read_u64(u->snap, addr, &v))
		return false;
	*result = v;
	return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *u = arg;
	const struct snap_regs *r = &u->start;
	for (int i = 0; i < SNAP_REG_RIP; i++) {
		if (!(r->valid & (1u << i)))
			continue;
		Dwarf_Word w = r->r[i];
		if (!dwfl_thread_state_registers(thread, i, 1, &w))
			return false;
	}
	dwfl_thread_state_register_pc(thread, r->r[SNAP_REG_RIP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_cbs = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

/* --- walking -------------------------------------------------------------- */

struct walk {
	uint64_t pc[MAX_FRAMES];
	uint64_t sp[MAX_FRAMES]; /* 0 if unknown */
	bool act[MAX_FRAMES];
	int n;
	int rc;           /* 0: reached the outermost frame */
	char err[160];
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool act;
	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	Dwarf_Word sp;
	w->sp[w->n] = dwfl_frame_reg(state, SNAP_REG_RSP, &sp) == 0 ? sp : 0;
	w->pc[w->n] = pc;
	w->act[w->n] = act;
	if (++w->n == MAX_FRAMES)
		return DWARF_CB_ABORT;
	return DWARF_CB_OK;
}

/* The walk libdwfl would make, made with cached rows (cfirows.h) where
 * every frame's row is a simple one; false when some frame needs libdwfl
 * (then the caller has libdwfl walk the whole thread). */
static bool fast_walk(struct unwinder *u, const struct snap_regs *regs, struct walk *w)
{
	if (!u->rows || !(regs->valid & (1u << SNAP_REG_RIP)))
		return false;
	uint64_t r[CFI_NREGS], nr[CFI_NREGS];
	uint32_t known = regs->valid & ((1u << CFI_RA) - 1);
	memcpy(r, regs->r, sizeof(uint64_t) * CFI_RA);
	uint64_t pc = regs->r[SNAP_REG_RIP];
	bool act = true; /* the first frame is executing, the others return */
	w->n = 0;
	w->err[0] = 0;
	for (;;) {
		if (w->n == MAX_FRAMES)
			return false;
		w->pc[w->n] = pc;
		w->act[w->n] = act;
		w->sp[w->n] = known & (1u << SNAP_REG_RSP) ? r[SNAP_REG_RSP] : 0;
		w->n++;
		const struct cfirow *row = cfirows_get(u->rows, act ? pc : pc - 1);
		if (!row || !(known & (1u << row->cfa_reg)))
			return false;
		uint64_t cfa = r[row->cfa_reg] + (uint64_t)row->cfa_off;
		uint32_t nknown = 0;
		for (int i = 0; i < CFI_NREGS; i++) {
			switch (row->rule[i]) {
			case CFI_SAME:
				if (i < CFI_RA && (known & (1u << i))) {
					nr[i] = r[i];
					nknown |= 1u << i;
				}
				break;
			case CFI_VAL:
				nr[i] = cfa + (uint64_t)row->off[i];
				nknown |= 1u << i;
				break;
			case CFI_AT: {
				Dwarf_Word v;
				if (!cb_memory_read(u->dwfl, cfa + (uint64_t)row->off[i], &v, u))
					return false; /* libdwfl says how it fails */
				nr[i] = v;
				nknown |= 1u << i;
				break;
			}
			default: /* CFI_UNDEF */
				break;
			}
		}
		/* No return address, or 0: the outermost frame. */
		if (!(nknown & (1u << CFI_RA)) || nr[CFI_RA] == 0) {
			w->rc = 0;
			return true;
		}
		pc = nr[CFI_RA];
		act = false;
		memcpy(r, nr, sizeof(uint64_t) * CFI_RA);
		known = nknown & ((1u << CFI_RA) - 1);
	}
}

static void walk_from(struct unwinder *u, const struct snap_regs *regs, struct walk *w)
{
	u->walks++;
	if (fast_walk(u, regs, w)) {
		u->fast_walks++;
		return;
	}
	u->start = *regs;
	w->n = 0;
	w->err[0] = 0;
	w->rc = dwfl_getthread_frames(u->dwfl, u->cur->tid, frame_cb, w);
	if (w->rc == -1)
		snprintf(w->err, sizeof(w->err), "%s", dwfl_errmsg(-1));
	else if (w->rc != 0 && w->n == MAX_FRAMES)
		snprintf(w->err, sizeof(w->err), "stack deeper than %d frames, cut there", MAX_FRAMES);
	else if (w->rc != 0)
		snprintf(w->err, sizeof(w->err), "frame has no pc");
}


static bool in_exec_map(const struct snapshot *snap, uint64_t addr)
{
	const struct snap_map *m = snapshot_find_map(snap, addr);
	return m && m->perms[2] == 'x';
}

/* A thread read from /proc knows only sp and pc.  Code that keeps its
 * frame base in rbp (-O0, -fno-omit-frame-pointer, alloca) needs rbp,
 * which the kernel does not show without a stop.  While such a function
 * calls down into the library, rbp holds the address of the slot where it
 * saved its caller's rbp: a slot holding a higher address on the same
 * stack (or 0 at the outermost frame), followed by a return address into
 * code.  Candidates are such slots, innermost first. */
static size_t fp_candidates(const struct snapshot *snap, struct snap_thread *t, uint64_t *out)
{
	struct mem_region *st = &t->stack;
	size_t n = 0;
	if (!st->data)
		return 0;
	for (size_t off = 0; n < MAX_FP_CANDIDATES; off += 8) {
		if (off + 16 > st->len && !snapshot_region_extend(snap, st, st->addr + off + 8))
			break;
		uint64_t slot = st->addr + off, saved, ret;
		memcpy(&saved, st->data + off, 8);
		memcpy(&ret, st->data + off + 8, 8);
		(void)saved; /* in -O2 callers rbp is a general register */
		if (!in_exec_map(snap, ret))
			continue;
		out[n++] = slot;
	}
	return n;
}

/* How many return addresses of the walk follow a direct call (e8 rel32) to
 * the function its callee frame is in: a stale slot's return address
 * usually follows a call to some other function. */
static int direct_calls(struct unwinder *u, const struct walk *w)
{
	int score = 0;
	for (int i = 1; i < w->n; i++) {
		unsigned char insn[5];
		if (w->act[i] || snapshot_read(u->snap, w->pc[i] - 5, insn, 5) != 5 || insn[0] != 0xe8)
			continue;
		int32_t rel;
		memcpy(&rel, insn + 1, 4);
		uint64_t target = w->pc[i] + (uint64_t)(int64_t)rel;
		uint64_t callee = w->act[i - 1] ? w->pc[i - 1] : w->pc[i - 1] - 1;
		Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, callee);
		struct symhit hit;
		if (mod && symindex_lookup(u->si, mod, callee, &hit) && hit.value == target)
			score++;
	}
	return score;
}

/* Each caller's stack pointer lies above its callee's: the callee's return
 * address sits between them.  A wrong frame-pointer guess breaks this. */
static bool sp_increasing(const struct walk *w)
{
	for (int i = 1; i < w->n; i++)
		if (w->sp[i] && w->sp[i - 1] && w->sp[i] <= w->sp[i - 1])
			return false;
	return true;
}

/* Every complete Linux stack starts at the program's entry or a clone. */
static bool is_outermost(struct unwinder *u, const struct walk *w)
{
	if (!w->n)
		return false;
	size_t n;
	const struct frame *f = symbols_lookup(u->sym, w->pc[w->n - 1], w->act[w->n - 1], &n);
	const char *fn = f[n - 1].function;
	if (!fn)
		return false;
	static const char *const entries[] = {"_start", "__clone", "clone", "__clone3", "clone3", "__clone_internal",
					      "thread_start", "__thread_start", "_dl_start_user"};
	for (size_t i = 0; i < sizeof(entries) / sizeof(*entries); i++)
		if (strcmp(fn, entries[i]) == 0)
			return true;
	return false;
}

static void unwind_thread(struct unwinder *u, struct snap_thread *t, struct unwind_stats *stats)
{
	struct walk *w = xmalloc(sizeof(*w));
	u->cur = t;
	walk_from(u, &t->regs, w);
	/* Read without a stop, the thread's rbp is unknown, and libdwfl ends
	 * the walk quietly at a frame whose CFA needs it.  Then try the stack
	 * words that look like saved frame pointers, and keep a walk only if
	 * it reaches the thread's entry frame. */
	if (t->how == SNAP_HOW_SYSCALL && !(t->regs.valid & (1u << SNAP_REG_RBP)) && !is_outermost(u, w)) {
		uint64_t sp = t->regs.r[SNAP_REG_RSP], pc0 = w->n ? w->pc[0] : 0, pc_end = w->n ? w->pc[w->n - 1] : 0;
		struct fp_hint *hint = NULL;
		for (size_t i = 0; i < u->nhints && !hint; i++)
			if (u->hints[i].pc0 == pc0 && u->hints[i].pc_end == pc_end)
				hint = &u->hints[i];
		struct walk *try = xmalloc(sizeof(*try)), *best = xmalloc(sizeof(*best));
		best->n = 0;
		uint64_t best_slot = 0;
		if (hint) {
			struct snap_regs r = t->regs;
			r.r[SNAP_REG_RBP] = sp + hint->delta;
			r.valid |= 1u << SNAP_REG_RBP;
			walk_from(u, &r, try);
			if (try->n == hint->n && is_outermost(u, try) && sp_increasing(try)) {
				*best = *try;
				best_slot = sp + hint->delta;
			}
		}
		if (!best->n) {
			/* The longest walk that reaches an entry frame: a wrong
			 * slot skips frames, it does not add them. */
			uint64_t cand[MAX_FP_CANDIDATES];
			int best_score = -1;
			size_t nc = fp_candidates(u->snap, t, cand);
			for (size_t i = 0; i < nc; i++) {
				struct snap_regs r = t->regs;
				r.r[SNAP_REG_RBP] = cand[i];
				r.valid |= 1u << SNAP_REG_RBP;
				walk_from(u, &r, try);
				if (try->n > w->n && try->n >= best->n && is_outermost(u, try) && sp_increasing(try)) {
					int score = direct_calls(u, try);
					if (try->n == best->n && score <= best_score)
						continue;
					*best = *try;
					best_slot = cand[i];
					best_score = score;
				}
			}
			if (best->n && u->nhints < FP_CACHE)
				u->hints[u->nhints++] = (struct fp_hint){pc0, pc_end, best_slot - sp, best->n};
		}
		if (best->n) {
			*w = *best;
			stats->recovered++;
			/* Kept: a core written from this snapshot (--gcore) carries it. */
			t->regs.r[SNAP_REG_RBP] = best_slot;
			t->regs.valid |= 1u << SNAP_REG_RBP;
		} else if (w->rc == 0) {
			w->rc = 1;
			snprintf(w->err, sizeof(w->err),
				 "the stack ends early: its frame pointer is unknown without stopping the thread (--stop-all reads it)");
		}
		free(try);
		free(best);
	}
	u->cur = NULL;

	/* Symbolize: each distinct pc once for the whole snapshot; between
	 * physical frames, put back the frames tail calls removed. */
	size_t cap = 0;
	for (int i = 0; i < w->n; i++) {
		uint64_t tails[TAILCALL_MAX];
		size_t ntails = i + 1 < w->n ? tailcalls_between(u->tails, w->pc[i], w->act[i], w->pc[i + 1], tails) : 0;
		for (size_t k = 0; k <= ntails; k++) {
			bool tail = k > 0;
			size_t n;
			const struct frame *f = symbols_lookup(u->sym, tail ? tails[k - 1] : w->pc[i], tail ? false : w->act[i], &n);
			xgrow(&t->frames, &cap, t->nframes + n, sizeof(*t->frames));
			memcpy(t->frames + t->nframes, f, n * sizeof(*f));
			for (size_t m = 0; m < n; m++)
				t->frames[t->nframes + m].tail_call = tail;
			t->nframes += n;
		}
	}
	stats->frames += (size_t)w->n;
	if (w->rc != 0 && !t->error) {
		if (w->rc == 1 && w->err[0] == 't')
			t->error = xstrdup(w->err);
		else if (w->n == 0)
			t->error = xasprintf("no frames: %s", w->err);
		else
			t->error = xasprintf("unwinding stopped after %d frames: %s", w->n, w->err);
	}
	free(w);
}

/* A Go executable: its sections say so, or without them its pclntab. */
static bool is_go_elf(Elf *elf)
{
	return gobin_elf_is_go(elf);
}

static int find_go_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)name;
	(void)start;
	struct unwinder *u = arg;
	Dwarf_Addr bias, lo, hi;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	if (u->ngo < sizeof(u->go) / sizeof(*u->go) && is_go_elf(elf)) {
		dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
		u->go[u->ngo].lo = lo;
		u->go[u->ngo++].hi = hi;
	}
	return DWARF_CB_OK;
}

static bool in_go(const struct unwinder *u, uint64_t pc)
{
	for (size_t i = 0; i < u->ngo; i++)
		if (pc >= u->go[i].lo && pc < u->go[i].hi)
			return true;
	return false;
}

const char *unwind_build_id(const struct snapshot *snap, const char *module)
{
	const struct unwinder *u = snap->unwind_state;
	return u && u->sym && snap->unwind_free == unwinder_free ? symbols_build_id(u->sym, module) : NULL;
}

static struct unwinder *unwinder_new(struct snapshot *snap, const char *debuginfo_path)
{
	struct unwinder *u = xcalloc(1, sizeof(*u));
	u->snap = snap;
	u->debuginfo_path = debuginfo_path && *debuginfo_path ? xasprintf("-:.debug:/usr/lib/debug:%s", debuginfo_path)
							      : xstrdup("-:.debug:/usr/lib/debug");
	u->cbs.find_elf = find_elf;
	u->cbs.find_debuginfo = find_debuginfo;
	g_debuginfo_path = u->debuginfo_path;
	u->cbs.section_address = dwfl_offline_section_address;
	u->cbs.debuginfo_path = &u->debuginfo_path;
	return u;
}

static struct pu_error *unwinder_report(struct unwinder *u)
{
	u->dwfl = dwfl_begin(&u->cbs);
	if (!u->dwfl)
		return pu_error_new(PU_EXIT_USAGE, "dwfl_begin: %s", dwfl_errmsg(-1));
	g_reporting = u;
	struct pu_error *err = report_modules(u);
	g_reporting = NULL;
	return err;
}

/* Opens the symbol cache; false when no earlier run of this program left
 * its symbols.  Then the debug information will be read: megabytes of
 * heap (memory.h). */
static bool open_cache(struct unwinder *u)
{
	u->cache = symcache_open(u->dwfl, u->debuginfo_path);
	struct symcache_stats st;
	symcache_stats(u->cache, &st);
	if (!st.file_found)
		memory_expect_growth();
	return st.file_found;
}

static void *prefetch_main(void *arg)
{
	struct unwinder *u = arg;
	struct prefetch *p = u->pre;
	p->err = unwinder_report(u);
	/* An earlier run of this program left its symbols: the debug info
	 * may not be needed at all (symcache.h). */
	bool found = !p->err && open_cache(u);
	for (size_t i = 0; !p->err && !found && i < p->npcs; i++) {
		Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, p->pcs[i]);
		Dwarf_Addr bias;
		/* Not a Go executable's: go/golang.c walks its threads. */
		if (mod && !is_go_elf(dwfl_module_getelf(mod, &bias)))
			dwfl_module_getdwarf(mod, &bias);
	}
	return NULL;
}

void unwind_prefetch(struct snapshot *snap, const uint64_t *pcs, size_t npcs)
{
	if (snap->unwind_state || snap->report_modules || snap->open_module || getenv("PILEUP_NO_PREFETCH"))
		return;
	struct unwinder *u = unwinder_new(NULL, NULL);
	struct prefetch *p = xcalloc(1, sizeof(*p));
	p->shadow = *snap;
	p->shadow.maps = xmalloc((snap->nmaps ? snap->nmaps : 1) * sizeof(*snap->maps));
	memcpy(p->shadow.maps, snap->maps, snap->nmaps * sizeof(*snap->maps));
	p->shadow.cap_maps = snap->nmaps;
	p->shadow.threads = NULL;
	p->shadow.nthreads = p->shadow.cap_threads = 0;
	p->shadow.strings = NULL;
	p->pcs = xmalloc((npcs ? npcs : 1) * sizeof(*pcs));
	memcpy(p->pcs, pcs, npcs * sizeof(*pcs));
	p->npcs = npcs;
	u->snap = &p->shadow;
	u->pre = p;
	if (pthread_create(&p->thread, NULL, prefetch_main, u) != 0) {
		free(p->shadow.maps);
		free(p->pcs);
		free(p);
		u->pre = NULL;
		unwinder_free(u);
		return;
	}
	snap->unwind_state = u;
	snap->unwind_free = unwinder_free;
}

struct pu_error *unwind_snapshot(struct snapshot *snap, const struct unwind_opts *o, struct unwind_stats *stats)
{
	struct unwind_stats dummy;
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	const char *dpath = o ? o->debuginfo_path : NULL;
	struct unwinder *u = NULL;
	if (snap->unwind_state && snap->unwind_free == unwinder_free) {
		struct unwinder *old = snap->unwind_state;
		/* Loaded ahead with the default search path: take it. */
		if (old->pre && !old->sym && !(dpath && *dpath)) {
			pthread_join(old->pre->thread, NULL);
			struct pu_error *perr = old->pre->err;
			old->pre->err = NULL;
			prefetch_release(old);
			old->snap = snap;
			if (!perr)
				u = old;
			else
				pu_error_free(perr);
		}
		if (!u)
			unwinder_free(old);
		snap->unwind_state = NULL;
	}
	struct pu_error *err = NULL;
	timing_begin("unwind");
	if (!u) {
		u = unwinder_new(snap, dpath);
		err = unwinder_report(u);
	}
	timing_mark("unwind", "modules");
	snap->unwind_state = u;
	snap->unwind_free = unwinder_free;
	if (err)
		return err;
	if (!u->cache)
		open_cache(u);
	u->si = symindex_create(u->dwfl);
	timing_mark("unwind", "symbol cache");
	if (!getenv("PILEUP_SLOW_UNWIND"))
		u->rows = cfirows_create(u->dwfl, u->cache);
	u->sym = symbols_create(snap, u->dwfl, u->si, u->cache);
	u->tails = tailcalls_create(u->dwfl, u->si, u->cache);
	if (!dwfl_attach_state(u->dwfl, snap->machine_elf, snap->pid ? snap->pid : 1, &thread_cbs, u))
		return pu_error_new(PU_EXIT_USAGE, "dwfl_attach_state: %s; is the target an x86_64 program?", dwfl_errmsg(-1));
	/* Loading a Go executable's DWARF (compressed, for its CFI) costs more
	 * than walking all its threads: go/golang.c walks threads in Go code from
	 * the pclntab, and unwind_finish() takes the ones it could not. */
	if (o && o->defer_go && !getenv("PILEUP_GO_DWFL"))
		dwfl_getmodules(u->dwfl, find_go_module, u, 0);
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (t->how == SNAP_HOW_NONE || t->how == SNAP_HOW_SAVED)
			continue;
		if (!(t->regs.valid & (1u << SNAP_REG_RIP))) {
			if (!t->error)
				t->error = xstrdup("no registers");
			continue;
		}
		if (u->ngo && (t->regs.valid & (1u << SNAP_REG_RSP)) && in_go(u, t->regs.r[SNAP_REG_RIP])) {
			t->unwind_deferred = true;
			continue;
		}
		unwind_thread(u, t, stats);
	}
	timing_mark("unwind", "threads");
	if (timing_on())
		fprintf(stderr, "pileup: unwind: %zu of %zu walks from cached CFI rows\n", u->fast_walks, u->walks);
	stats->distinct_pcs = symbols_distinct(u->sym);
	return NULL;
}

void unwind_finish(struct snapshot *snap, struct unwind_stats *stats)
{
	struct unwinder *u = snap->unwind_state;
	if (snap->unwind_free != unwinder_free || (u && !u->sym))
		u = NULL;
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (!t->unwind_deferred)
			continue;
		t->unwind_deferred = false;
		if (!u)
			continue;
		unwind_thread(u, t, stats);
		classify_thread(t);
	}
	if (u && stats)
		stats->distinct_pcs = symbols_distinct(u->sym);
}

void unwind_flush(struct snapshot *snap)
{
	struct unwinder *u = snap->unwind_state;
	if (u && snap->unwind_free == unwinder_free)
		symcache_flush(u->cache);
}
