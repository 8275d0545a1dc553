#include "progress.h"
#include "go/golang.h"
#include "go/leaks.h"
#include "classify.h"
#include "unwind.h"
#include "error.h"
#include "go/bin.h"
#include "go/layout.h"
#include "go/mem.h"
#include "go/pcln.h"
#include "go/stack.h"
#include "go/waits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <time.h>

enum {
	G_BATCH = 4096,         /* goroutines read per batch */
	G_MAX = 1 << 23,        /* entries of runtime.allgs read at most */
	STACK_WINDOW = 2048,    /* stack bytes read up front per goroutine */
	M_CACHE = 256,
};

/* runtime2.go: _Gidle .. _Gpreempted (every release since 1.13), _Gleaked
 * and _Gdeadextra (1.26+), and the _Gscan bit.  Which of them a release
 * has is the layout's max_status. */
enum { G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, G_MORIBUND, G_DEAD, G_ENQUEUE, G_COPYSTACK, G_PREEMPTED,
       G_LEAKED, G_DEADEXTRA, G_NSTATUS };
#define G_SCAN 0x1000u
static const char *const gstatus_names[G_NSTATUS] = {"idle", "runnable", "running", "syscall", "waiting",
						     "moribund_unused", "dead", "enqueue_unused", "copystack", "preempted",
						     "leaked", "dead"};

struct mcache_ent {
	uint64_t m, curg;
	pid_t tid;
	bool ok;
};

struct goctx {
	struct snapshot *snap;
	struct gobin *bin;
	struct gopcln pcln;
	struct golayout lay;
	bool have_layout;
	struct gostack st;      /* pc -> frames, and the unwinder */
	const char *n_systemstack_switch;
	struct mcache_ent ms[M_CACHE];
	size_t nms;
	/* distinct goroutine stacks: goroutines with identical stacks share
	 * one frame array (100,000 goroutines have a few dozen stacks) */
	struct stackent *stacks;
	size_t capstacks, nstacks;
};

struct stackent {
	unsigned long long hash;
	const struct frame *frames;
	size_t n;
};

/* --- goroutines ----------------------------------------------------------- */

struct graw {
	uint64_t gp;
	uint32_t status;
	int64_t goid, waitsince;
	uint64_t lo, hi, m, sp, pc, bp, syscallsp, syscallpc, lockedm, gopc, ancestors, startpc;
	int64_t parent_goid;
	uint8_t waitreason;
	struct gowaits_raw wr;
};

static uint64_t u64at(const unsigned char *b, uint32_t off)
{
	uint64_t v;
	memcpy(&v, b + off, 8);
	return v;
}

static void parse_g(const struct golayout *l, uint64_t gp, const unsigned char *b, struct graw *g)
{
	memset(g, 0, sizeof(*g));
	g->gp = gp;
	uint32_t st;
	memcpy(&st, b + l->g_atomicstatus, 4);
	g->status = st;
	g->goid = (int64_t)u64at(b, l->g_goid);
	g->waitsince = (int64_t)u64at(b, l->g_waitsince);
	g->waitreason = b[l->g_waitreason];
	g->lo = u64at(b, l->g_stack_lo);
	g->hi = u64at(b, l->g_stack_hi);
	g->m = u64at(b, l->g_m);
	g->sp = u64at(b, l->g_sched_sp);
	g->pc = u64at(b, l->g_sched_pc);
	g->bp = u64at(b, l->g_sched_bp);
	g->syscallsp = u64at(b, l->g_syscallsp);
	g->syscallpc = u64at(b, l->g_syscallpc);
	g->lockedm = u64at(b, l->g_lockedm);
	g->gopc = u64at(b, l->g_gopc);
	g->ancestors = l->g_ancestors ? u64at(b, l->g_ancestors) : 0;
	g->startpc = u64at(b, l->g_startpc);
	g->parent_goid = l->g_parent_goid ? (int64_t)u64at(b, l->g_parent_goid) : 0;
	gowaits_parse(l, gp, b, &g->wr);
}

/* Why the descriptor g cannot be a goroutine of this release, or NULL.
 * A forged, torn or misread descriptor is dropped, never printed: each
 * check is a property the runtime maintains for every live g. */
static const char *implausible_g(const struct golayout *l, const struct graw *g)
{
	uint32_t st = g->status & ~G_SCAN;
	if ((g->status & G_SCAN && st == G_IDLE) || st > l->max_status || st == G_MORIBUND || st == G_ENQUEUE)
		return "status";
	if (g->goid <= 0 || g->goid > (1ll << 40))
		return "goroutine id";
	uint64_t size = g->hi - g->lo;
	/* stackalloc hands out powers of two, 2 KB at least */
	if (g->lo >= g->hi || size > (1ull << 30) || size < 2048 || (size & (size - 1)) || (g->lo & 7))
		return "stack bounds";
	if ((st == G_WAITING || st == G_LEAKED) && g->waitreason >= l->nwait_reasons)
		return "wait reason";
	if ((st == G_WAITING || st == G_RUNNABLE || st == G_PREEMPTED) && !g->syscallsp && (g->sp < g->lo || g->sp > g->hi))
		return "saved stack pointer";
	if (g->syscallsp && (g->syscallsp < g->lo || g->syscallsp > g->hi))
		return "system call stack pointer";
	return NULL;
}

static const struct mcache_ent *m_info(struct goctx *c, uint64_t m)
{
	for (size_t i = 0; i < c->nms; i++)
		if (c->ms[i].m == m)
			return &c->ms[i];
	struct mcache_ent e = {.m = m};
	uint64_t procid;
	if (snapshot_read_u64(c->snap, m + c->lay.m_procid, &procid) && snapshot_read_u64(c->snap, m + c->lay.m_curg, &e.curg) &&
	    procid > 0 && procid < (1u << 30)) {
		e.tid = (pid_t)procid;
		e.ok = true;
	}
	if (c->nms == M_CACHE)
		c->nms--;
	c->ms[c->nms] = e;
	return &c->ms[c->nms++];
}

static struct snap_thread *thread_by_tid(struct snapshot *snap, pid_t tid)
{
	for (size_t i = 0; i < snap->nthreads; i++)
		if (snap->threads[i].tid == tid)
			return &snap->threads[i];
	return NULL;
}

/* Where to start unwinding a goroutine. */
struct gstart {
	uint64_t pc, sp, bp;
	bool trap;              /* from a thread's registers */
	bool ok;
	const char *why;        /* when !ok */
};

static struct gstart start_of(struct goctx *c, const struct graw *g)
{
	struct gstart s = {0};
	uint32_t st = g->status & ~G_SCAN;
	if (st == G_RUNNING && g->m) {
		const struct mcache_ent *m = m_info(c, g->m);
		struct snap_thread *t = m->ok && m->curg == g->gp ? thread_by_tid(c->snap, m->tid) : NULL;
		if (t && t->how != SNAP_HOW_NONE && t->how != SNAP_HOW_SAVED && (t->regs.valid & (1u << SNAP_REG_RIP)) &&
		    (t->regs.valid & (1u << SNAP_REG_RSP))) {
			uint64_t tsp = t->regs.r[SNAP_REG_RSP];
			if (tsp >= g->lo && tsp < g->hi) {
				s.pc = t->regs.r[SNAP_REG_RIP];
				s.sp = tsp;
				s.bp = t->regs.valid & (1u << SNAP_REG_RBP) ? t->regs.r[SNAP_REG_RBP] : 0;
				s.trap = true;
				s.ok = true;
				return s;
			}
			/* Its thread is in a signal handler (in a core of a
			 * crash every thread is; live, a preemption or profiling
			 * signal): the goroutine was interrupted where the
			 * handler's signal frame says, which is where Go's crash
			 * traceback starts it (sighandler: traceback from the
			 * signal context, runtime/signal_unix.go at go1.27.3). */
			struct gostack_walk w;
			const struct snap_map *tm = snapshot_find_map(c->snap, tsp);
			struct gostack_mem ts = {.lo = tsp, .hi = tm ? tm->end : tsp + (1u << 20), .snap = c->snap};
			gostack_walk(&c->st, &ts, t->regs.r[SNAP_REG_RIP], tsp,
				     t->regs.valid & (1u << SNAP_REG_RBP) ? t->regs.r[SNAP_REG_RBP] : 0, true, true, &w);
			if (ts.owned)
				free(ts.data);
			if (w.sig && w.sig_sp >= g->lo && w.sig_sp < g->hi) {
				s.pc = w.sig_pc;
				s.sp = w.sig_sp;
				s.bp = w.sig_bp;
				s.trap = true;
				s.ok = true;
				return s;
			}
		}
		/* On its thread's system stack: systemstack saved where the
		 * goroutine left off in g.sched. */
		const struct gostack_pc *e = g->pc ? gostack_pc(&c->st, g->pc, false) : NULL;
		if (e && e->name == c->n_systemstack_switch && g->sp >= g->lo && g->sp < g->hi) {
			s.pc = g->pc;
			s.sp = g->sp;
			s.bp = g->bp;
			s.ok = true;
			return s;
		}
		s.why = t ? "running on its thread, which is not on the goroutine's stack; stack unavailable"
			  : "running on another thread; stack unavailable";
		return s;
	}
	if (g->syscallsp) {
		s.pc = g->syscallpc;
		s.sp = g->syscallsp;
	} else {
		s.pc = g->pc;
		s.sp = g->sp;
		s.bp = g->bp;
	}
	if (!s.pc || s.sp < g->lo || s.sp >= g->hi) {
		s.why = "its saved context is not on its stack (it changed while being read)";
		return s;
	}
	s.ok = true;
	return s;
}

static uint64_t mono_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_goroutine(const void *a, const void *b)
{
	const struct snap_goroutine *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

void golang_goroutine_site(struct snap_goroutine *g)
{
	g->wait_site = g->blocking_call = -1;
	/* compiler wrappers are nobody's code: Go's traceback hides them */
	for (size_t i = 0; i < g->nframes; i++)
		if (!g->frames[i].library && !g->frames[i].wrapper) {
			g->wait_site = (int)i;
			break;
		}
	/* All runtime and standard library (an HTTP connection's reader, a
	 * GC worker): the function the goroutine started in stands in (not
	 * runtime.goexit, nor the wrapper a go statement made). */
	if (g->wait_site < 0 && g->nframes) {
		int last = (int)g->nframes - 1;
		while (last > 0 && (g->frames[last].wrapper ||
				    (g->frames[last].function && strcmp(g->frames[last].function, "runtime.goexit") == 0)))
			last--;
		g->wait_site = last;
	}
	for (int i = g->wait_site - 1; i >= 0; i--)
		if (!g->frames[i].wrapper) {
			g->blocking_call = i;
			break;
		}
}

static bool same_frames(const struct frame *a, const struct frame *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].pc != b[i].pc || a[i].function != b[i].function || a[i].file != b[i].file || a[i].line != b[i].line ||
		    a[i].inlined != b[i].inlined)
			return false;
	return true;
}

/* The goroutine gets the frames of c->st.scratch: an array an identical
 * complete stack already has, or a new one (incomplete stacks keep their
 * own: a goroutine read again replaces them). */
static void take_stack(struct goctx *c, struct snap_goroutine *out, bool complete)
{
	size_t n = c->st.nscratch;
	const struct frame *f = c->st.scratch;
	if (!complete) {
		out->frames = xmalloc(n * sizeof(*out->frames));
		memcpy(out->frames, f, n * sizeof(*out->frames));
		out->nframes = n;
		out->frames_shared = false;
		return;
	}
	unsigned long long h = PU_HASH_INIT;
	for (size_t i = 0; i < n; i++) {
		h = pu_hash_bytes(h, &f[i].pc, sizeof(f[i].pc));
		h = pu_hash_bytes(h, &f[i].function, sizeof(f[i].function));
		h = pu_hash_bytes(h, &f[i].line, sizeof(f[i].line));
	}
	h = pu_hash_bytes(h, &n, sizeof(n));
	if ((c->nstacks + 1) * 2 > c->capstacks) {
		size_t ncap = c->capstacks ? c->capstacks * 2 : 256;
		struct stackent *nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < c->capstacks; i++) {
			if (!c->stacks[i].frames)
				continue;
			size_t j = (size_t)(c->stacks[i].hash >> 7) & (ncap - 1);
			while (nt[j].frames)
				j = (j + 1) & (ncap - 1);
			nt[j] = c->stacks[i];
		}
		free(c->stacks);
		c->stacks = nt;
		c->capstacks = ncap;
	}
	size_t j = (size_t)(h >> 7) & (c->capstacks - 1);
	for (; c->stacks[j].frames; j = (j + 1) & (c->capstacks - 1)) {
		const struct stackent *e = &c->stacks[j];
		if (e->hash == h && e->n == n && same_frames(e->frames, f, n)) {
			out->frames = (struct frame *)e->frames;
			out->nframes = n;
			out->frames_shared = true;
			return;
		}
	}
	out->frames = xmalloc(n * sizeof(*out->frames));
	memcpy(out->frames, f, n * sizeof(*out->frames));
	out->nframes = n;
	out->frames_shared = false;
	c->stacks[j] = (struct stackent){h, out->frames, n};
	c->nstacks++;
}

static void fill_goroutine(struct goctx *c, const struct graw *g, const struct gstart *start, struct gostack_mem *stk,
			   struct snap_goroutine *out)
{
	struct strpool *sp = c->snap->strings;
	memset(out, 0, sizeof(*out));
	uint32_t st = g->status & ~G_SCAN;
	out->id = g->goid;
	out->status = strpool_intern(sp, st < G_NSTATUS ? gstatus_names[st] : "???");
	/* A goroutine the GC found leaked (Go 1.26+, after a goroutineleak
	 * profile) keeps the wait reason it parked with; Go's traceback
	 * prints it with " (leaked)" (goroutineheader in traceback.go at
	 * go1.27.3) */
	out->leaked = st == G_LEAKED;
	if ((st == G_WAITING || st == G_LEAKED) && g->waitreason) {
		if (g->waitreason < c->lay.nwait_reasons)
			out->wait_reason = strpool_intern(sp, c->lay.wait_reasons[g->waitreason]);
		else {
			char buf[32];
			snprintf(buf, sizeof(buf), "waitReason(%u)", g->waitreason);
			out->wait_reason = strpool_intern(sp, buf);
		}
	}
	out->wait_minutes = -1; /* set by the caller, which knows the time */
	/* The thread it runs on, or the one it is locked to while parked. */
	uint64_t m_ptr = g->m ? g->m : g->lockedm;
	if (m_ptr) {
		const struct mcache_ent *m = m_info(c, m_ptr);
		if (m->ok)
			out->thread = m->tid;
	}
	out->locked = g->lockedm != 0;
	if (g->gopc && g->goid != 1) {
		const struct gostack_pc *e = gostack_pc(&c->st, g->gopc, false);
		if (e->valid && e->n) {
			const struct frame *phys = &c->st.pool[e->first + e->n - 1];
			out->created_function = e->name;
			out->created_file = phys->file;
			out->created_line = phys->line;
		}
	}
	if (g->parent_goid > 0)
		out->created_goroutine = g->parent_goid;
	else if (g->ancestors && c->lay.anc_size) {
		uint64_t hdr[2], goid;
		if (snapshot_read(c->snap, g->ancestors, hdr, sizeof(hdr)) == sizeof(hdr) && hdr[0] && hdr[1] > 0 &&
		    hdr[1] < (1u << 20) && snapshot_read_u64(c->snap, hdr[0] + c->lay.anc_goid, &goid) && (int64_t)goid > 0)
			out->created_goroutine = (int64_t)goid;
	}
	if (g->startpc) {
		const struct gostack_pc *e = gostack_pc(&c->st, g->startpc, true);
		out->system = e->valid && e->name && strncmp(e->name, "runtime.", 8) == 0 && strcmp(e->name, "runtime.main") != 0 &&
			      strcmp(e->name, "runtime.handleAsyncEvent") != 0;
	}
	if (st == G_DEAD || st >= G_NSTATUS) {
		out->error = xasprintf("status %u: no stack", g->status);
		golang_goroutine_site(out);
		return;
	}
	if (!start->ok) {
		out->error = xstrdup(start->why ? start->why : "no saved context");
		golang_goroutine_site(out);
		return;
	}
	struct gostack_walk w;
	gostack_walk(&c->st, stk, start->pc, start->sp, start->bp, start->trap, false, &w);
	if (c->st.nscratch)
		take_stack(c, out, w.complete);
	if (!w.complete)
		out->error = xstrdup(w.err[0] ? w.err : "the stack ends before the goroutine's entry");
	golang_goroutine_site(out);
}

struct gwork {
	struct graw g;
	bool keep;
	struct gstart start;
	struct gostack_mem stk;
};

/* Scratch memory for a batch, backed by huge pages when the kernel offers
 * them: one page fault per 2 MB instead of per 4 KB.  Freed with free(). */
static void *batch_alloc(size_t len)
{
	enum { HUGE = 2u << 20 };
	void *p = NULL;
	if (len < HUGE || posix_memalign(&p, HUGE, (len + HUGE - 1) & ~(size_t)(HUGE - 1)) != 0)
		return xmalloc(len);
	madvise(p, (len + HUGE - 1) & ~(size_t)(HUGE - 1), MADV_HUGEPAGE);
	return p;
}

static void read_goroutines(struct goctx *c)
{
	struct snapshot *snap = c->snap;
	const struct golayout *l = &c->lay;
	uint64_t hdr[3];
	bool ok = false;
	/* A running program may be appending to allgs (pointer, length and
	 * capacity are written one after the other): a torn read is retried. */
	for (int tries = 0; !ok && tries < (snap->source == SNAP_LIVE ? 20 : 1); tries++) {
		if (tries)
			usleep(500);
		ok = snapshot_read(snap, l->allgs, hdr, sizeof(hdr)) == sizeof(hdr) && hdr[0] && hdr[1] <= hdr[2] &&
		     hdr[2] <= (1ull << 28);
	}
	if (!ok) {
		snapshot_warn(snap, "Go: the goroutine list (runtime.allgs) is unreadable; goroutines are not listed");
		return;
	}
	size_t n = (size_t)hdr[1];
	if (n > G_MAX) {
		snapshot_warn(snap, "Go: runtime.allgs claims %zu goroutines; only the first %d are read", n, G_MAX);
		n = G_MAX;
	}
	uint64_t *gps = xmalloc((n ? n : 1) * sizeof(*gps));
	size_t got = snapshot_read(snap, hdr[0], gps, n * sizeof(*gps)) / sizeof(*gps);
	if (got < n)
		snapshot_warn(snap, "Go: only %zu of the %zu entries of runtime.allgs could be read", got, n);
	n = got;
	/* At most one goroutine per entry: allocated once (growing a
	 * million-entry array step by step costs ~150 ms). */
	size_t cap = n ? n : 1, capsince = cap, capwr = cap;
	snap->goroutines = xmalloc(cap * sizeof(*snap->goroutines));
	struct gowaits_raw *wr = xmalloc(capwr * sizeof(*wr)); /* per goroutine, as since */
	snap->ngoroutines = 0;
	int64_t *since = xmalloc(capsince * sizeof(*since));
	unsigned char *gbuf = batch_alloc((size_t)G_BATCH * l->g_read);
	unsigned char *sbuf = batch_alloc((size_t)G_BATCH * STACK_WINDOW);
	struct gomem_req *reqs = xmalloc(G_BATCH * sizeof(*reqs));
	struct gwork *work = xmalloc(G_BATCH * sizeof(*work));
	size_t *owner = xmalloc(G_BATCH * sizeof(*owner)); /* stack request -> work */
	size_t unreadable = 0, implausible = 0;
	const char *first_bad = NULL;
	progress_begin("reading goroutines");
	for (size_t start = 0; start < n; start += G_BATCH) {
		progress_update(start, n);
		size_t k = n - start < G_BATCH ? n - start : G_BATCH;
		for (size_t i = 0; i < k; i++)
			reqs[i] = (struct gomem_req){gps[start + i], gbuf + i * l->g_read, l->g_read, 0};
		gomem_readv(snap, reqs, k);
		size_t nst = 0;
		for (size_t i = 0; i < k; i++) {
			struct gwork *wk = &work[i];
			wk->keep = false;
			if (!gps[start + i])
				continue;
			if (reqs[i].got < l->g_read) {
				unreadable++;
				continue;
			}
			parse_g(l, gps[start + i], gbuf + i * l->g_read, &wk->g);
			uint32_t st = wk->g.status & ~G_SCAN;
			if (st == G_DEAD || st == G_DEADEXTRA || (st == G_IDLE && !(wk->g.status & G_SCAN)))
				continue;
			const char *bad = implausible_g(l, &wk->g);
			for (int again = 0; bad && snap->source == SNAP_LIVE && again < 2; again++) {
				/* live: it may have changed while it was read */
				if (snapshot_read(snap, gps[start + i], gbuf + i * l->g_read, l->g_read) != l->g_read)
					break;
				parse_g(l, gps[start + i], gbuf + i * l->g_read, &wk->g);
				st = wk->g.status & ~G_SCAN;
				if (st == G_DEAD || st == G_DEADEXTRA || st == G_IDLE)
					break;
				bad = implausible_g(l, &wk->g);
			}
			if (st == G_DEAD || st == G_DEADEXTRA || st == G_IDLE)
				continue;
			if (bad) {
				if (!implausible++)
					first_bad = bad;
				continue;
			}
			wk->keep = true;
			wk->stk = (struct gostack_mem){.lo = wk->g.lo, .hi = wk->g.hi, .snap = snap};
			wk->start = start_of(c, &wk->g);
			/* Parked goroutines: the top of the stack, in a batch.
			 * Running ones read through the snapshot (their
			 * thread's copied stack). */
			if (wk->start.ok && !wk->start.trap) {
				uint64_t sp = wk->start.sp, len = wk->g.hi - sp;
				if (len > STACK_WINDOW)
					len = STACK_WINDOW;
				wk->stk.base = sp;
				wk->stk.data = sbuf + i * STACK_WINDOW;
				owner[nst] = i;
				reqs[nst++] = (struct gomem_req){sp, wk->stk.data, (size_t)len, 0};
			}
		}
		gomem_readv(snap, reqs, nst);
		for (size_t j = 0; j < nst; j++)
			work[owner[j]].stk.len = reqs[j].got;
		for (size_t i = 0; i < k; i++) {
			struct gwork *wk = &work[i];
			if (!wk->keep)
				continue;
			xgrow(&snap->goroutines, &cap, snap->ngoroutines + 1, sizeof(*snap->goroutines));
			xgrow(&since, &capsince, snap->ngoroutines + 1, sizeof(*since));
			xgrow(&wr, &capwr, snap->ngoroutines + 1, sizeof(*wr));
			struct snap_goroutine *out = &snap->goroutines[snap->ngoroutines];
			fill_goroutine(c, &wk->g, &wk->start, &wk->stk, out);
			/* A goroutine that moved while it was read: read it
			 * again, once, as a whole. */
			if (out->error && snap->source == SNAP_LIVE) {
				unsigned char *one = xmalloc(l->g_read);
				struct graw g2;
				if (snapshot_read(snap, wk->g.gp, one, l->g_read) == l->g_read) {
					parse_g(l, wk->g.gp, one, &g2);
					if (g2.status != wk->g.status || g2.sp != wk->g.sp || g2.pc != wk->g.pc ||
					    g2.syscallsp != wk->g.syscallsp) {
						if (!out->frames_shared)
							free(out->frames);
						free(out->error);
						if (wk->stk.owned)
							free(wk->stk.data);
						wk->g = g2;
						wk->stk = (struct gostack_mem){.lo = g2.lo, .hi = g2.hi, .snap = snap};
						wk->start = start_of(c, &g2);
						fill_goroutine(c, &wk->g, &wk->start, &wk->stk, out);
					}
				}
				free(one);
			}
			if (wk->stk.owned)
				free(wk->stk.data);
			uint32_t st = wk->g.status & ~G_SCAN;
			since[snap->ngoroutines] = st == G_WAITING || st == G_SYSCALL ? wk->g.waitsince : -1;
			wr[snap->ngoroutines] = wk->g.wr;
			snap->ngoroutines++;
		}
	}
	if (unreadable)
		snapshot_warn(snap, "Go: %zu goroutine descriptors could not be read", unreadable);
	if (implausible && implausible * 10 > n && implausible > 2) {
		/* Not a few torn reads: the layout does not fit this program. */
		snapshot_warn(snap, "Go: %zu of the %zu goroutine descriptors do not look like goroutines of %s (first: its %s); "
				    "pileup's runtime layout (%s) does not fit this program; goroutines are not listed",
			      implausible, n, snap->go_version ? snap->go_version : "this release", first_bad, l->source);
		for (size_t i = 0; i < snap->ngoroutines; i++) {
			if (!snap->goroutines[i].frames_shared)
				free(snap->goroutines[i].frames);
			free(snap->goroutines[i].error);
		}
		snap->ngoroutines = 0;
	} else if (implausible) {
		snapshot_warn(snap, "Go: %zu entries of runtime.allgs do not look like goroutines (first: its %s) and are not listed",
			      implausible, first_bad);
	}
	/* Wait minutes as the runtime prints them: (nanotime() - waitsince)
	 * / 1 min, where waitsince is set when a GC first sees the goroutine
	 * blocked (0 until then: less than a minute).  A core does not record
	 * the monotonic time of the crash: the last GC's wall and monotonic
	 * clocks (runtime.memstats) and the time the core was written give
	 * it; without them, the latest wait start stands in (a lower bound). */
	int64_t now = 0, latest = 0;
	bool now_known = snap->source == SNAP_LIVE; /* now is the runtime's clock, not a bound */
	for (size_t i = 0; i < snap->ngoroutines; i++)
		if (since[i] > latest)
			latest = since[i];
	if (snap->source == SNAP_LIVE) {
		now = (int64_t)mono_now_ns();
	} else {
		uint64_t unix_ns = 0, mono_ns = 0;
		if (l->memstats && snap->taken_at > 0 &&
		    snapshot_read_u64(snap, l->memstats + l->ms_last_gc_unix, &unix_ns) &&
		    snapshot_read_u64(snap, l->memstats + l->ms_last_gc_nanotime, &mono_ns) && unix_ns && mono_ns &&
		    (uint64_t)snap->taken_at * 1000000000u >= unix_ns) {
			now = (int64_t)(mono_ns + ((uint64_t)snap->taken_at * 1000000000u - unix_ns));
			now_known = true;
		}
		if (now < latest)
			now = latest;
	}
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		struct snap_goroutine *g = &snap->goroutines[i];
		if (since[i] < 0)
			g->wait_minutes = -1;
		else if (since[i] == 0 || now <= since[i])
			g->wait_minutes = 0;
		else
			g->wait_minutes = (now - since[i]) / 60000000000LL;
	}
	uint64_t tw = mono_now_ns();
	gowaits_resolve(snap, l, c->bin, wr, snap->ngoroutines, now_known ? now : 0);
	if (getenv("PILEUP_GO_DEBUG"))
		fprintf(stderr, "pileup: go: what %zu goroutines wait on: %.1f ms, %zu objects\n", snap->ngoroutines,
			(double)(mono_now_ns() - tw) / 1e6, snap->nobjects);
	progress_end();
	/* allgs is usually in goid order already: then the sort is skipped. */
	bool sorted = true;
	for (size_t i = 1; sorted && i < snap->ngoroutines; i++)
		sorted = snap->goroutines[i - 1].id <= snap->goroutines[i].id;
	if (!sorted)
		qsort(snap->goroutines, snap->ngoroutines, sizeof(*snap->goroutines), cmp_goroutine);
	free(wr);
	free(since);
	free(gbuf);
	free(sbuf);
	free(reqs);
	free(work);
	free(owner);
	free(gps);
}

/* --- threads running Go code ---------------------------------------------- */

/* The pclntab knows every Go frame's size, so a thread in Go code unwinds
 * to its outermost frame even when only sp and pc were read (nonstop) or
 * the binary has no symbols and no CFI. */
/* The rest of a thread's stack past its first part (t->frames): across
 * the seams between Go and C code, each part walked by the unwinder
 * that reads it (the pclntab for Go, CFI for C), until one of them ends
 * the stack.  w: how the last Go part ended; NULL when the last part was
 * C and ended in Go code (t->go_resume). */
static void continue_thread(struct goctx *c, struct snap_thread *t, const struct gostack_walk *w)
{
	struct snapshot *snap = c->snap;
	struct gostack_walk gw;
	for (int seams = 0; seams < 16; seams++) {
		if (w && w->to_native) {
			/* a signal handler interrupted C code: CFI goes on from
			 * the registers the kernel saved */
			struct snap_regs r = {.valid = (1u << SNAP_NREGS) - 1, .orig_rax = -1};
			memcpy(r.r, w->native, sizeof(w->native));
			free(t->error);
			t->error = NULL;
			if (!unwind_walk_from(snap, t, &r) && !t->error)
				t->error = xstrdup("a signal interrupted C code, which pileup cannot unwind here");
			w = NULL;
			continue;
		}
		if (w || !t->go_resume.valid)
			return;
		/* C frames returned into Go code: the pclntab goes on */
		uint64_t pc = t->go_resume.pc, sp = t->go_resume.sp;
		t->go_resume.valid = false;
		const struct snap_map *m = snapshot_find_map(snap, sp);
		struct gostack_mem s = {.lo = sp, .hi = m ? m->end : sp + (1u << 20), .snap = snap};

		gostack_walk(&c->st, &s, pc, sp, 0, false, true, &gw);
		if (s.owned)
			free(s.data);
		xgrow(&t->frames, &(size_t){t->nframes}, t->nframes + c->st.nscratch + 1, sizeof(*t->frames));
		memcpy(t->frames + t->nframes, c->st.scratch, c->st.nscratch * sizeof(*t->frames));
		t->nframes += c->st.nscratch;
		free(t->error);
		t->error = gw.complete || gw.to_native ? NULL
						   : xasprintf("after its C frames, %s", gw.err[0] ? gw.err : "the Go stack ends before the thread's entry");
		w = &gw;
	}
	if (!t->error)
		t->error = xstrdup("the stack crosses between Go and C code more than 16 times; cut there");
}

static void rewalk_threads(struct goctx *c)
{
	struct snapshot *snap = c->snap;
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (t->go_resume.valid) {
			continue_thread(c, t, NULL);
			classify_thread(t);
			continue;
		}
		if (t->how == SNAP_HOW_NONE || t->how == SNAP_HOW_SAVED || !(t->regs.valid & (1u << SNAP_REG_RIP)) ||
		    !(t->regs.valid & (1u << SNAP_REG_RSP)))
			continue;
		uint64_t pc = t->regs.r[SNAP_REG_RIP], sp = t->regs.r[SNAP_REG_RSP];
		if (!gostack_pc(&c->st, pc, true)->valid)
			continue;
		const struct snap_map *m = snapshot_find_map(snap, sp);
		struct gostack_mem s = {.lo = sp, .hi = m ? m->end : sp + (1u << 20), .snap = snap};
		uint64_t bp = t->regs.valid & (1u << SNAP_REG_RBP) ? t->regs.r[SNAP_REG_RBP] : 0;
		struct gostack_walk w;
		gostack_walk(&c->st, &s, pc, sp, bp, true, true, &w);
		if (s.owned)
			free(s.data);
		/* A thread unwind.c left to this walk takes what it found;
		 * unwind_finish() walks it with libdwfl if that is nothing. */
		if (t->unwind_deferred ? !c->st.nscratch : !w.complete && !w.to_native && !(t->error && c->st.nscratch >= t->nframes))
			continue;
		t->unwind_deferred = false;
		free(t->frames);
		t->frames = xmalloc((c->st.nscratch ? c->st.nscratch : 1) * sizeof(*t->frames));
		memcpy(t->frames, c->st.scratch, c->st.nscratch * sizeof(*t->frames));
		t->nframes = c->st.nscratch;
		free(t->error);
		t->error = w.complete || w.to_native ? NULL : xstrdup(w.err[0] ? w.err : "the stack ends before the thread's entry");
		if (w.to_native)
			continue_thread(c, t, &w);
		classify_thread(t);
	}
}

/* --- entry ---------------------------------------------------------------- */

void golang_add_goroutines(struct snapshot *snap)
{
	if (snap->source == SNAP_SAVED)
		return;
	uint64_t t0 = mono_now_ns();
	char *why = NULL;
	struct gobin *b = gobin_open(snap, &why);
	if (!b) {
		if (why) {
			snapshot_warn(snap, "Go: %s", why);
			free(why);
		}
		return;
	}
	struct goctx *c = xcalloc(1, sizeof(*c));
	c->snap = snap;
	c->bin = b;
	free(snap->go_version);
	snap->go_version = b->version ? xstrdup(b->version) : NULL;
	free(snap->go_module);
	snap->go_module = b->module ? xstrdup(b->module) : b->main_path ? xstrdup(b->main_path) : NULL;
	c->n_systemstack_switch = strpool_intern(snap->strings, "runtime.systemstack_switch");
	if (!gopcln_init(&c->pcln, b, &why)) {
		snapshot_warn(snap, "Go: %s: %s; goroutines are not listed", b->name, why);
		free(why);
		goto out;
	}
	uint64_t tp = mono_now_ns();
	gostack_init(&c->st, snap, b, &c->pcln);
	uint64_t ts = mono_now_ns();
	bool lay_ok = golayout_init(&c->lay, b, &c->pcln, snap, &why);
	if (getenv("PILEUP_GO_DEBUG"))
		fprintf(stderr, "pileup: go: open + pclntab %.1f ms, stack init %.1f ms, layout %.1f ms\n", (double)(tp - t0) / 1e6,
			(double)(ts - tp) / 1e6, (double)(mono_now_ns() - ts) / 1e6);
	if (!lay_ok) {
		/* Threads still gain Go frames (without inlining). */
		rewalk_threads(c);
		if (getenv("PILEUP_GO_DEBUG"))
			fprintf(stderr, "pileup: go: %s\n", why);
		snapshot_warn(snap, "Go: %s", why);
		free(why);
		goto out;
	}
	c->have_layout = true;
	c->st.funcid_wrapper = c->lay.funcid_wrapper;
	{
		/* The table's wrapper funcID, checked against the binary's own
		 * generated functions (and the only source without a table). */
		int seen = gopcln_wrapper_funcid(&c->pcln);
		if (seen >= 0 && c->lay.funcid_wrapper >= 0 && seen != c->lay.funcid_wrapper)
			snapshot_warn(snap, "Go: %s: the wrapper funcID of pileup's table (%d) differs from the binary's (%d); "
					    "the binary's is used", b->name, c->lay.funcid_wrapper, seen);
		if (seen >= 0)
			c->st.funcid_wrapper = seen;
		if (getenv("PILEUP_GO_DEBUG"))
			fprintf(stderr, "pileup: go: wrapper funcID: table %d, binary %d\n", c->lay.funcid_wrapper, seen);
	}
	if (getenv("PILEUP_GO_DEBUG")) {
		const struct golayout *l = &c->lay;
		fprintf(stderr,
			"pileup: go layout from %s: g.stack=%u,%u g.m=%u g.sched.sp=%u .pc=%u .bp=%u g.syscallsp=%u g.syscallpc=%u "
			"g.atomicstatus=%u g.goid=%u g.waitsince=%u g.waitreason=%u g.lockedm=%u g.gopc=%u g.ancestors=%u "
			"g.startpc=%u m.procid=%u m.curg=%u moduledata.gofunc=%u mstats.last_gc=%u,%u wait_reasons=%u "
			"allgs=0x%llx firstmoduledata=0x%llx memstats=0x%llx\n",
			l->source, l->g_stack_lo, l->g_stack_hi, l->g_m, l->g_sched_sp, l->g_sched_pc, l->g_sched_bp,
			l->g_syscallsp, l->g_syscallpc, l->g_atomicstatus, l->g_goid, l->g_waitsince, l->g_waitreason,
			l->g_lockedm, l->g_gopc, l->g_ancestors, l->g_startpc, l->m_procid, l->m_curg, l->md_gofunc,
			l->ms_last_gc_unix, l->ms_last_gc_nanotime, l->nwait_reasons, (unsigned long long)l->allgs,
			(unsigned long long)l->firstmoduledata, (unsigned long long)l->memstats);
	}
	uint64_t t1 = mono_now_ns(), c1 = cpu_now_ns();
	rewalk_threads(c);
	read_goroutines(c);
	if (snap->leaks.wanted)
		goleaks_run(snap, &c->lay, c->bin);
	if (getenv("PILEUP_GO_DEBUG"))
		fprintf(stderr, "pileup: go: layout %.1f ms, goroutines %.1f ms (cpu %.1f ms), %zu pcs\n",
			(double)(t1 - t0) / 1e6, (double)(mono_now_ns() - t1) / 1e6, (double)(cpu_now_ns() - c1) / 1e6, c->st.used);
out:
	if (c->have_layout)
		golayout_deinit(&c->lay);
	gostack_deinit(&c->st);
	free(c->stacks);
	free(c);
	gobin_close(b);
}
