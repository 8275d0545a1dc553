/* go/leaks.c - goroutines that can never wake (leaks.h).
 *
 * Facts of Go's detector, read in runtime/mgc.go and mgcmark.go at
 * go1.27.3: candidates are goroutines in _Gwaiting (or _Gleaked, which the
 * detector resets first) whose wait reason lies between "chan receive (nil
 * chan)" and "sync.WaitGroup.Wait" (internalBlocked); nil channels and
 * select {} never wake; channel waits wake when any sudog of g.waiting
 * (through waitlink) has a channel that is marked or not in the heap; sync
 * waits when g.waiting.elem is (isMaybeRunnable); the main goroutine in
 * select {} is not reported.  Releases before Go's detector park
 * WaitGroup.Wait (before go1.25) and Mutex.Lock (go1.19) as "semacquire":
 * there, "semacquire" is a sync wait too (its sudog.elem is the semaphore). */
#include "go/leaks.h"
#include "error.h"
#include "go/heap.h"
#include "go/mem.h"
#include "progress.h"
#include "timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cand { C_ROOT, C_NEVER, C_CHAN, C_SYNC };
enum { G_MAX = 1 << 23, SUDOG_CHAIN_MAX = 1 << 16, MODULES_MAX = 256, SPECIALS_MAX = 1 << 20, CHUNK = 1 << 16 };
enum { G_RUNNING = 2, G_SYSCALL = 3, G_WAITING = 4, G_DEAD = 6, G_LEAKED = 10, G_DEADEXTRA = 11 };
#define G_SCAN 0x1000u

struct lg {
	uint64_t gp, goid, lo, hi, sp, syscallsp, waiting;
	uint32_t status;
	enum cand cand;
	bool woken, said;
};

struct lctx {
	struct snapshot *snap;
	const struct golayout *l;
	struct goheap h;
	struct { uint32_t span, obj; } *work;
	size_t nwork, capwork;
	uint64_t *sudogs; /* sorted: sudogs whose c and elem are hidden */
	size_t nsudogs;
	uint64_t *gaddrs; /* sorted: every g (allgs, and each m's g0 and gsignal) */
	size_t ngaddrs;
	uint64_t *paddrs; /* sorted: every p (allp) */
	size_t npaddrs;
	uint64_t scanned;
	unsigned globals_masked, globals_words; /* data/bss ranges by mask, word by word */
	size_t woken, ndrained; /* for the progress line */
	unsigned char *buf;
	uint64_t mask[CHUNK / 8 / 64]; /* goheap_ptrmask of the object drained */
	uint64_t debug_obj, from; /* PILEUP_GO_LEAKS_WHY=ADDR: who marks the object at ADDR */
};

static void mark(struct lctx *c, uint64_t w)
{
	uint32_t s, i;
	if (!goheap_find(&c->h, w, &s, &i))
		return;
	struct goheap_span *sp = &c->h.spans[s];
	if (!goheap_allocated(sp, i) || (sp->mark[i >> 3] >> (i & 7)) & 1)
		return;
	sp->mark[i >> 3] |= (uint8_t)(1u << (i & 7));
	if (c->debug_obj && c->debug_obj >= sp->start + (uint64_t)i * sp->elemsize &&
	    c->debug_obj < sp->start + (uint64_t)(i + 1) * sp->elemsize)
	{
		uint32_t fs = 0, fi = 0;
		bool fh = goheap_find(&c->h, c->from, &fs, &fi);
		fprintf(stderr, "pileup: go leaks: 0x%llx (size %llu) marked by word 0x%llx in 0x%llx (%s, size %llu)\n",
			(unsigned long long)c->debug_obj, (unsigned long long)sp->elemsize, (unsigned long long)w,
			(unsigned long long)c->from, fh ? "heap" : "not heap", fh ? (unsigned long long)c->h.spans[fs].elemsize : 0ull);
	}
	if (sp->noscan)
		return;
	xgrow(&c->work, &c->capwork, c->nwork + 1, sizeof(*c->work));
	c->work[c->nwork].span = s;
	c->work[c->nwork++].obj = i;
}

static void mark_words(struct lctx *c, const unsigned char *b, size_t len)
{
	uint64_t from = c->from;
	for (size_t o = 0; o + 8 <= len; o += 8) {
		uint64_t w;
		memcpy(&w, b + o, 8);
		if (c->debug_obj)
			c->from = from + o;
		mark(c, w);
	}
}

/* Every aligned word of [addr, addr + len) that can be read. */
static void scan_range(struct lctx *c, uint64_t addr, uint64_t len)
{
	uint64_t a = (addr + 7) & ~(uint64_t)7;
	if (a < addr || len < a - addr)
		return;
	len -= a - addr;
	while (len >= 8) {
		size_t n = len > CHUNK ? CHUNK : (size_t)len;
		size_t got = snapshot_read(c->snap, a, c->buf, n);
		c->from = a;
		mark_words(c, c->buf, got);
		c->scanned += got;
		if (got < n)
			return;
		a += n;
		len -= n;
	}
}

/* A big object: the words its type says hold pointers, or every word
 * (t NULL). */
static void scan_typed(struct lctx *c, uint64_t addr, uint64_t len, const struct goheap_type *t)
{
	if (!t) {
		scan_range(c, addr, len);
		return;
	}
	for (uint64_t off = 0; off + 8 <= len;) {
		size_t n = len - off > CHUNK ? CHUNK : (size_t)(len - off);
		size_t got = snapshot_read(c->snap, addr + off, c->buf, n);
		c->scanned += got;
		for (size_t o = 0; o + 8 <= got; o += 8)
			if (goheap_type_ptr(t, off + o)) {
				uint64_t w;
				memcpy(&w, c->buf + o, 8);
				c->from = addr + off + o;
				mark(c, w);
			}
		if (got < n)
			return;
		off += n;
	}
}

static bool in_sorted(const uint64_t *v, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == a)
			return true;
		if (v[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void blank(unsigned char *b, size_t len, int64_t off, uint32_t size)
{
	if (off >= 0 && (uint64_t)off + size <= len)
		memset(b + off, 0, size);
}

static void drain(struct lctx *c)
{
	const struct golayout *l = c->l;
	while (c->nwork) {
		if (!(++c->ndrained & 4095)) {
			char note[96];
			snprintf(note, sizeof(note), "%llu MB scanned of %llu MB of heap, %zu goroutines may wake",
				 (unsigned long long)(c->scanned >> 20), (unsigned long long)(c->h.heap_bytes >> 20), c->woken);
			progress_note(note);
		}
		c->nwork--;
		uint32_t si = c->work[c->nwork].span, oi = c->work[c->nwork].obj;
		const struct goheap_span *sp = &c->h.spans[si];
		uint64_t base = sp->start + (uint64_t)oi * sp->elemsize;
		if (sp->elemsize > CHUNK) {
			const struct goheap_type *t = goheap_large_type(&c->h, c->snap, si);
			if (t)
				c->h.precise_objs++;
			else
				c->h.conservative_objs++;
			scan_typed(c, base, sp->elemsize, t);
			continue;
		}
		size_t got = snapshot_read(c->snap, base, c->buf, (size_t)sp->elemsize);
		c->scanned += got;
		c->from = base;
		if (c->nsudogs && in_sorted(c->sudogs, c->nsudogs, base)) {
			blank(c->buf, got, golayout_get(l, GL_sg_c), golayout_size(l, GL_sg_c));
			blank(c->buf, got, golayout_get(l, GL_sg_elem), golayout_size(l, GL_sg_elem));
		}
		/* g.stack.hi is a uintptr one past the stack: often the address
		 * of the object after it, which no pointer of Go's refers to */
		if (c->ngaddrs && in_sorted(c->gaddrs, c->ngaddrs, base))
			blank(c->buf, got, golayout_get(l, GL_g_stack_hi), 8);
		/* A p: only its timers and cleanups lead to the program's
		 * objects; the rest is the runtime's (run queues of g's that
		 * allgs holds anyway, free lists, and uintptr buffers such as
		 * the write barrier's, whose stale entries Go never follows). */
		if (c->npaddrs && in_sorted(c->paddrs, c->npaddrs, base)) {
			static const enum golayout_id keep[] = {GL_p_timers, GL_p_cleanups};
			unsigned char *b = xcalloc(1, got ? got : 1);
			for (size_t k = 0; k < sizeof(keep) / sizeof(*keep); k++) {
				int64_t o = golayout_get(l, keep[k]);
				uint32_t z = golayout_size(l, keep[k]);
				if (golayout_has(l, keep[k]) && o >= 0 && (uint64_t)o + z <= got)
					memcpy(b + o, c->buf + o, z);
			}
			memcpy(c->buf, b, got);
			free(b);
		}
		uint64_t first = 0;
		if (got >= 8)
			memcpy(&first, c->buf, 8);
		if (got == sp->elemsize && goheap_ptrmask(&c->h, c->snap, si, oi, first, c->mask)) {
			c->h.precise_objs++;
			for (size_t k = 0; k < got / 8; k++)
				if ((c->mask[k / 64] >> (k % 64)) & 1) {
					uint64_t w;
					memcpy(&w, c->buf + 8 * k, 8);
					c->from = base + 8 * k;
					mark(c, w);
				}
			continue;
		}
		c->h.conservative_objs++;
		mark_words(c, c->buf, got);
	}
}

static bool marked_or_not_in_heap(struct lctx *c, uint64_t p)
{
	uint32_t s, i;
	if (!goheap_find(&c->h, p, &s, &i))
		return true;
	return (c->h.spans[s].mark[i >> 3] >> (i & 7)) & 1;
}

static enum cand cand_of(const struct golayout *l, uint8_t reason, bool semacquire_is_sync)
{
	if (reason >= l->nwait_reasons || !l->wait_reasons[reason])
		return C_ROOT;
	const char *r = l->wait_reasons[reason];
	static const char *const never[] = {"chan receive (nil chan)", "chan send (nil chan)", "select (no cases)"};
	static const char *const chan[] = {"select", "chan receive", "chan send"};
	static const char *const sync[] = {"sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock",
					   "sync.WaitGroup.Wait"};
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++)
		if (!strcmp(r, never[i]))
			return C_NEVER;
	for (size_t i = 0; i < sizeof(chan) / sizeof(*chan); i++)
		if (!strcmp(r, chan[i]))
			return C_CHAN;
	for (size_t i = 0; i < sizeof(sync) / sizeof(*sync); i++)
		if (!strcmp(r, sync[i]))
			return C_SYNC;
	if (semacquire_is_sync && !strcmp(r, "semacquire"))
		return C_SYNC;
	return C_ROOT;
}

static uint64_t u64at(const unsigned char *b, int64_t off)
{
	uint64_t v;
	memcpy(&v, b + off, 8);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The goroutines of allgs, with what the pass needs; NULL and *why. */
static struct lg *read_gs(struct lctx *c, size_t *ret_n, char **why)
{
	const struct golayout *l = c->l;
	struct snapshot *snap = c->snap;
	static const enum golayout_id need[] = {GL_g_stack_lo,	GL_g_stack_hi,	 GL_g_sched_sp, GL_g_syscallsp,
						GL_g_atomicstatus, GL_g_goid,	 GL_g_waitreason, GL_g_waiting,
						GL_sg_c,	GL_sg_elem,	 GL_sg_waitlink};
	uint32_t glen = 0;
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
		if (!golayout_has(l, need[i])) {
			*why = xasprintf("pileup's layout of this release lacks %s", golayout_name(need[i]));
			return NULL;
		}
		if (need[i] < GL_sg_c && (uint64_t)golayout_get(l, need[i]) + golayout_size(l, need[i]) > glen)
			glen = (uint32_t)(golayout_get(l, need[i]) + golayout_size(l, need[i]));
	}
	uint64_t hdr[2];
	if (!l->allgs || snapshot_read(snap, l->allgs, hdr, sizeof(hdr)) != sizeof(hdr) || !hdr[0] || hdr[1] > G_MAX) {
		*why = xasprintf("the goroutine list (runtime.allgs) is unreadable");
		return NULL;
	}
	size_t n = (size_t)hdr[1];
	uint64_t *gps = xmalloc((n ? n : 1) * sizeof(*gps));
	if (snapshot_read(snap, hdr[0], gps, n * 8) != n * 8) {
		free(gps);
		*why = xasprintf("the goroutine list (runtime.allgs) is unreadable");
		return NULL;
	}
	struct lg *gs = xcalloc(n ? n : 1, sizeof(*gs));
	unsigned char *gb = xmalloc((size_t)glen * 1024);
	struct gomem_req *reqs = xmalloc(1024 * sizeof(*reqs));
	bool sema_sync = true;
	for (unsigned i = 0; i < l->nwait_reasons; i++)
		if (l->wait_reasons[i] && !strcmp(l->wait_reasons[i], "sync.WaitGroup.Wait"))
			sema_sync = false;
	uint32_t leaked_st = golayout_has(l, GL_c_Gleaked) ? (uint32_t)golayout_get(l, GL_c_Gleaked) : 0;
	size_t k = 0;
	for (size_t s = 0; s < n && !*why; s += 1024) {
		size_t m = n - s < 1024 ? n - s : 1024;
		for (size_t i = 0; i < m; i++)
			reqs[i] = (struct gomem_req){gps[s + i], gb + i * glen, glen, 0};
		gomem_readv(snap, reqs, m);
		for (size_t i = 0; i < m; i++) {
			if (!gps[s + i])
				continue;
			if (reqs[i].got < glen) {
				*why = xasprintf("the goroutine at 0x%llx is unreadable", (unsigned long long)gps[s + i]);
				break;
			}
			const unsigned char *b = gb + i * glen;
			struct lg *g = &gs[k];
			g->gp = gps[s + i];
			uint32_t st;
			memcpy(&st, b + golayout_get(l, GL_g_atomicstatus), 4);
			g->status = st & ~G_SCAN;
			if (g->status == G_DEAD || g->status == G_DEADEXTRA || g->status == 0)
				continue;
			g->goid = u64at(b, golayout_get(l, GL_g_goid));
			g->lo = u64at(b, golayout_get(l, GL_g_stack_lo));
			g->hi = u64at(b, golayout_get(l, GL_g_stack_hi));
			g->sp = u64at(b, golayout_get(l, GL_g_sched_sp));
			g->syscallsp = u64at(b, golayout_get(l, GL_g_syscallsp));
			g->waiting = u64at(b, golayout_get(l, GL_g_waiting));
			uint8_t reason = b[golayout_get(l, GL_g_waitreason)];
			g->cand = C_ROOT;
			if (g->status == G_WAITING || (leaked_st && g->status == leaked_st))
				g->cand = cand_of(l, reason, sema_sync);
			/* A candidate whose stack is not believable is no candidate:
			 * a root whose stack is not scanned cannot hide a leak. */
			if (g->lo >= g->hi || g->hi - g->lo > (1ull << 30))
				g->lo = g->hi = 0;
			k++;
		}
	}
	free(gb);
	free(reqs);
	free(gps);
	if (*why) {
		free(gs);
		return NULL;
	}
	*ret_n = k;
	return gs;
}

/* Every g: the goroutines', and the g0 and signal g of each m (allm,
 * through m.alllink), which allgs does not list. */
static void collect_gs(struct lctx *c, const struct lg *gs, size_t n)
{
	const struct golayout *l = c->l;
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) {
		xgrow(&c->gaddrs, &cap, c->ngaddrs + 1, sizeof(*c->gaddrs));
		c->gaddrs[c->ngaddrs++] = gs[i].gp;
	}
	uint64_t m = 0;
	if (l->global[GG_allm] && golayout_has(l, GL_m_alllink) && golayout_has(l, GL_m_g0))
		snapshot_read_u64(c->snap, l->global[GG_allm], &m);
	for (int k = 0; m && k < 1 << 16; k++) {
		uint64_t g0 = 0, gsig = 0, next = 0;
		snapshot_read_u64(c->snap, m + (uint64_t)golayout_get(l, GL_m_g0), &g0);
		if (golayout_has(l, GL_m_gsignal))
			snapshot_read_u64(c->snap, m + (uint64_t)golayout_get(l, GL_m_gsignal), &gsig);
		xgrow(&c->gaddrs, &cap, c->ngaddrs + 2, sizeof(*c->gaddrs));
		if (g0)
			c->gaddrs[c->ngaddrs++] = g0;
		if (gsig)
			c->gaddrs[c->ngaddrs++] = gsig;
		if (!snapshot_read_u64(c->snap, m + (uint64_t)golayout_get(l, GL_m_alllink), &next))
			break;
		m = next;
	}
	if (c->ngaddrs)
		qsort(c->gaddrs, c->ngaddrs, sizeof(*c->gaddrs), cmp_u64);
	/* the ps, when the layout knows where their timers are */
	uint64_t hdr[2];
	if (!l->global[GG_allp] || !golayout_has(l, GL_p_timers) ||
	    snapshot_read(c->snap, l->global[GG_allp], hdr, sizeof(hdr)) != sizeof(hdr) || !hdr[0] || hdr[1] > 1 << 16)
		return;
	c->paddrs = xcalloc(hdr[1] ? hdr[1] : 1, sizeof(*c->paddrs));
	for (uint64_t i = 0; i < hdr[1]; i++)
		if (snapshot_read_u64(c->snap, hdr[0] + 8 * i, &c->paddrs[c->npaddrs]) && c->paddrs[c->npaddrs])
			c->npaddrs++;
	if (c->npaddrs)
		qsort(c->paddrs, c->npaddrs, sizeof(*c->paddrs), cmp_u64);
}

/* Where a goroutine's live stack starts. */
static uint64_t stack_sp(const struct lctx *c, const struct lg *g)
{
	if (g->status == G_RUNNING) {
		for (size_t i = 0; i < c->snap->nthreads; i++) {
			const struct snap_thread *t = &c->snap->threads[i];
			uint64_t sp = t->regs.r[SNAP_REG_RSP];
			if ((t->regs.valid >> SNAP_REG_RSP) & 1 && sp >= g->lo && sp < g->hi)
				return sp;
		}
		return g->lo;
	}
	if (g->syscallsp >= g->lo && g->syscallsp < g->hi && (g->status == G_SYSCALL || !(g->sp >= g->lo && g->sp < g->hi)))
		return g->syscallsp;
	return g->sp >= g->lo && g->sp < g->hi ? g->sp : g->lo;
}

static void scan_stack(struct lctx *c, const struct lg *g)
{
	if (g->hi > g->lo) {
		uint64_t sp = stack_sp(c, g);
		scan_range(c, sp, g->hi - sp);
	}
}

/* The next sudog of a chain, and its channel / element. */
static bool read_sudog(struct lctx *c, uint64_t sg, uint64_t *cptr, uint64_t *elem, uint64_t *next)
{
	const struct golayout *l = c->l;
	int64_t co = golayout_has(l, GL_sg_c_vu) ? golayout_get(l, GL_sg_c_vu) : golayout_get(l, GL_sg_c);
	int64_t eo = golayout_has(l, GL_sg_elem_vu) ? golayout_get(l, GL_sg_elem_vu) : golayout_get(l, GL_sg_elem);
	return snapshot_read_u64(c->snap, sg + (uint64_t)co, cptr) && snapshot_read_u64(c->snap, sg + (uint64_t)eo, elem) &&
	       snapshot_read_u64(c->snap, sg + (uint64_t)golayout_get(l, GL_sg_waitlink), next);
}

static bool may_wake(struct lctx *c, const struct lg *g)
{
	uint64_t sg = g->waiting, ch, elem, next;
	switch (g->cand) {
	case C_NEVER:
		return false;
	case C_CHAN:
		for (int i = 0; sg && i < SUDOG_CHAIN_MAX; i++, sg = next) {
			if (!read_sudog(c, sg, &ch, &elem, &next))
				return true; /* unreadable: not a verdict of leak */
			if (marked_or_not_in_heap(c, ch))
				return true;
		}
		return sg != 0; /* a chain too long to believe */
	case C_SYNC:
		if (!sg || !read_sudog(c, sg, &ch, &elem, &next))
			return true;
		return marked_or_not_in_heap(c, elem);
	default:
		return true;
	}
}

/* [addr, addr + len) by the pointer mask the runtime built for it at
 * start (moduledata.gcdatamask / gcbssmask: a bitvector {int32 n; *uint8
 * bytedata}, bit i, least significant first, for word i; progToPointerMask
 * of gcdata/gcbss, runtime/symtab.go and mgcmark.go's markrootBlock at
 * go1.17 and go1.27.3), as the collector scans globals: a word that is no
 * pointer (mheap_.pages' search address, a counter) is not taken for one.
 * False when the mask is not there or does not fit (scanned word by word
 * then). */
static bool scan_masked(struct lctx *c, uint64_t md, enum golayout_id mask, uint64_t addr, uint64_t len)
{
	const struct golayout *l = c->l;
	uint64_t n = 0, bits = 0;
	if (!golayout_has(l, mask) || addr % 8 ||
	    !snapshot_read_u64(c->snap, md + (uint64_t)golayout_get(l, mask), &n) ||
	    !snapshot_read_u64(c->snap, md + (uint64_t)golayout_get(l, mask) + 8, &bits))
		return false;
	n &= 0xffffffffu; /* int32 n, then padding */
	/* n = len / 8: a tail of less than a word holds no pointer (.data's
	 * length need not be a multiple of 8) */
	if (n != len / 8 || !bits)
		return false;
	size_t nb = (size_t)((n + 7) / 8);
	unsigned char *m = xmalloc(nb ? nb : 1);
	if (snapshot_read(c->snap, bits, m, nb) != nb) {
		free(m);
		return false;
	}
	for (uint64_t w = 0; w < n;) {
		if (!((m[w / 8] >> (w % 8)) & 1)) {
			w++;
			continue;
		}
		/* a run of pointer words, read at once */
		uint64_t e = w;
		while (e < n && e - w < CHUNK / 8 && ((m[e / 8] >> (e % 8)) & 1))
			e++;
		size_t want = (size_t)((e - w) * 8);
		size_t got = snapshot_read(c->snap, addr + w * 8, c->buf, want);
		c->from = addr + w * 8;
		mark_words(c, c->buf, got);
		c->scanned += got;
		w = e;
	}
	free(m);
	return true;
}

/* Module data and bss, from firstmoduledata through .next. */
static void scan_modules(struct lctx *c)
{
	const struct golayout *l = c->l;
	uint64_t md = l->firstmoduledata;
	for (int i = 0; md && i < MODULES_MAX; i++) {
		uint64_t v[4], next = 0;
		if (!snapshot_read_u64(c->snap, md + (uint64_t)golayout_get(l, GL_md_data), &v[0]) ||
		    !snapshot_read_u64(c->snap, md + (uint64_t)golayout_get(l, GL_md_edata), &v[1]) ||
		    !snapshot_read_u64(c->snap, md + (uint64_t)golayout_get(l, GL_md_bss), &v[2]) ||
		    !snapshot_read_u64(c->snap, md + (uint64_t)golayout_get(l, GL_md_ebss), &v[3]))
			break;
		bool cons = getenv("PILEUP_GO_LEAKS_CONSERVATIVE") != NULL;
		for (int k = 0; k < 2; k++) {
			uint64_t a = v[2 * k], e = v[2 * k + 1];
			if (e < a || e - a >= (1ull << 32))
				continue;
			if (!cons && scan_masked(c, md, k ? GL_md_gcbssmask : GL_md_gcdatamask, a, e - a)) {
				c->globals_masked++;
			} else {
				scan_range(c, a, e - a);
				c->globals_words++;
			}
		}
		if (!golayout_has(l, GL_md_next) || !snapshot_read_u64(c->snap, md + (uint64_t)golayout_get(l, GL_md_next), &next))
			break;
		md = next;
	}
}

/* Finalizer and cleanup specials: what a finalizer's object points to
 * and the functions (markrootSpans); finalizers queued to run (finq
 * blocks, off the heap). */
static void scan_specials(struct lctx *c)
{
	const struct golayout *l = c->l;
	if (golayout_has(l, GL_sp_next) && golayout_has(l, GL_sp_offset) && golayout_has(l, GL_sp_kind) &&
	    golayout_has(l, GL_sp_size)) {
		int64_t kfin = golayout_has(l, GL_c_kind_finalizer) ? golayout_get(l, GL_c_kind_finalizer) : -1;
		int64_t kcl = golayout_has(l, GL_c_kind_cleanup) ? golayout_get(l, GL_c_kind_cleanup) : -1;
		uint64_t spsize = (uint64_t)golayout_get(l, GL_sp_size);
		for (size_t i = 0; i < c->h.nspans; i++) {
			uint64_t s = c->h.spans[i].specials;
			for (int n = 0; s && n < SPECIALS_MAX; n++) {
				uint64_t next, off;
				uint8_t kind;
				if (!snapshot_read_u64(c->snap, s + (uint64_t)golayout_get(l, GL_sp_next), &next) ||
				    !snapshot_read_u64(c->snap, s + (uint64_t)golayout_get(l, GL_sp_offset), &off) ||
				    snapshot_read(c->snap, s + (uint64_t)golayout_get(l, GL_sp_kind), &kind, 1) != 1)
					break;
				if (kind == kfin) {
					const struct goheap_span *sp = &c->h.spans[i];
					uint64_t obj = sp->start + off;
					if (obj < sp->limit && !sp->noscan)
						scan_range(c, obj - (obj - sp->start) % sp->elemsize, sp->elemsize);
					uint64_t sz = golayout_has(l, GL_spf_size) ? (uint64_t)golayout_get(l, GL_spf_size) : spsize;
					scan_range(c, s + spsize, sz > spsize ? sz - spsize : 0);
				} else if (kind == kcl) {
					uint64_t sz = golayout_has(l, GL_spc_size) ? (uint64_t)golayout_get(l, GL_spc_size) : spsize;
					scan_range(c, s + spsize, sz > spsize ? sz - spsize : 0);
				}
				s = next;
			}
		}
	}
	if (l->global[GG_allfin] && golayout_has(l, GL_fb_alllink) && golayout_has(l, GL_fb_cnt) && golayout_has(l, GL_fb_fin) &&
	    golayout_has(l, GL_fin_size)) {
		uint64_t b = 0;
		snapshot_read_u64(c->snap, l->global[GG_allfin], &b);
		for (int n = 0; b && n < SPECIALS_MAX; n++) {
			uint32_t cnt = 0;
			uint64_t next = 0;
			if (snapshot_read(c->snap, b + (uint64_t)golayout_get(l, GL_fb_cnt), &cnt, 4) != 4 ||
			    !snapshot_read_u64(c->snap, b + (uint64_t)golayout_get(l, GL_fb_alllink), &next))
				break;
			uint64_t len = (uint64_t)cnt * (uint64_t)golayout_get(l, GL_fin_size);
			if (len > golayout_size(l, GL_fb_fin))
				len = golayout_size(l, GL_fb_fin);
			scan_range(c, b + (uint64_t)golayout_get(l, GL_fb_fin), len);
			b = next;
		}
	}
}

/* OS threads running a goroutine: their registers (its stack is its own
 * root).  The stacks and registers of other threads -- g0 and signal
 * stacks, idle threads, C code -- are never roots of Go's collector
 * (the runtime keeps no heap pointer there across a collection); their
 * stale words (the channel a goroutine was just parked on) would hide
 * leaks. */
static void scan_threads(struct lctx *c, const struct lg *gs, size_t n)
{
	for (size_t i = 0; i < c->snap->nthreads; i++) {
		const struct snap_thread *t = &c->snap->threads[i];
		uint64_t sp = t->regs.r[SNAP_REG_RSP];
		if (!((t->regs.valid >> SNAP_REG_RSP) & 1))
			continue;
		bool in_g = false;
		for (size_t k = 0; k < n && !in_g; k++)
			in_g = gs[k].status == G_RUNNING && sp >= gs[k].lo && sp < gs[k].hi;
		for (int r = 0; in_g && r < SNAP_NREGS; r++)
			if ((t->regs.valid >> r) & 1)
				mark(c, t->regs.r[r]);
	}
}

/* PILEUP_GO_DEBUG: the candidates a root set wakes (drains first). */
static void debug_phase(struct lctx *c, struct lg *gs, size_t n, const char *what)
{
	drain(c);
	for (size_t i = 0; i < n; i++)
		if (gs[i].cand != C_ROOT && !gs[i].said && may_wake(c, &gs[i])) {
		{
			uint64_t ch = 0, elem = 0, next;
			if (gs[i].waiting)
				read_sudog(c, gs[i].waiting, &ch, &elem, &next);
			fprintf(stderr, "pileup: go leaks: %s wakes goroutine %llu (chan 0x%llx, elem 0x%llx)\n", what,
				(unsigned long long)gs[i].goid, (unsigned long long)ch, (unsigned long long)elem);
		}
			gs[i].said = true;
		}
}

static void set_problem(struct snapshot *snap, char *why)
{
	snap->leaks.problem = xasprintf("no leak verdict: %s", why);
	free(why);
	snapshot_warn(snap, "Go: %s", snap->leaks.problem);
}

void goleaks_run(struct snapshot *snap, const struct golayout *l, const struct gobin *b)
{
	uint64_t t0 = timing_now_us();
	if (snap->source == SNAP_LIVE && (snap->mode != SNAP_MODE_STOP_ALL || !snap->frozen)) {
		set_problem(snap, xasprintf("a live process is marked only from a consistent copy of its memory: "
					    "use --stop-all (or a core)"));
		return;
	}
	struct lctx c = {.snap = snap, .l = l};
	progress_begin("--leaks: marking");
	if (getenv("PILEUP_GO_LEAKS_WHY"))
		c.debug_obj = strtoull(getenv("PILEUP_GO_LEAKS_WHY"), NULL, 16);
	char *why = NULL;
	if (!goheap_load(&c.h, snap, l, b, &why)) {
		progress_end();
		set_problem(snap, why);
		return;
	}
	size_t n = 0;
	struct lg *gs = read_gs(&c, &n, &why);
	if (!gs) {
		progress_end();
		goheap_deinit(&c.h);
		set_problem(snap, why);
		return;
	}
	c.buf = xmalloc(CHUNK);
	/* the sudogs Go's detector hides from marking */
	size_t capsg = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t sg = gs[i].waiting, ch, elem, next;
		if (gs[i].cand != C_CHAN && gs[i].cand != C_SYNC)
			continue;
		for (int k = 0; sg && k < SUDOG_CHAIN_MAX && read_sudog(&c, sg, &ch, &elem, &next); k++, sg = next) {
			xgrow(&c.sudogs, &capsg, c.nsudogs + 1, sizeof(*c.sudogs));
			c.sudogs[c.nsudogs++] = sg;
		}
	}
	if (c.nsudogs)
		qsort(c.sudogs, c.nsudogs, sizeof(*c.sudogs), cmp_u64);
	collect_gs(&c, gs, n);
	bool debug = getenv("PILEUP_GO_DEBUG");
	scan_modules(&c);
	if (debug)
		debug_phase(&c, gs, n, "data and bss");
	scan_specials(&c);
	if (debug)
		debug_phase(&c, gs, n, "specials");
	scan_threads(&c, gs, n);
	if (debug)
		debug_phase(&c, gs, n, "threads");
	for (size_t i = 0; i < n; i++)
		if (gs[i].cand == C_ROOT) {
			scan_stack(&c, &gs[i]);
			if (debug) {
				char what[64];
				snprintf(what, sizeof(what), "stack of goroutine %llu", (unsigned long long)gs[i].goid);
				debug_phase(&c, gs, n, what);
			}
		}
	drain(&c);
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			struct lg *g = &gs[i];
			if (g->cand == C_ROOT || g->woken || !may_wake(&c, g))
				continue;
			g->woken = changed = true;
			c.woken++;
			if (debug)
				fprintf(stderr, "pileup: go leaks: then goroutine %llu may wake (sudog 0x%llx)\n",
					(unsigned long long)g->goid, (unsigned long long)g->waiting);
			scan_stack(&c, g);
			drain(&c);
		}
	}
	if (debug) {
		fprintf(stderr, "pileup: go leaks: %llu objects scanned by their pointer words, %llu conservatively (%zu types)\n",
			(unsigned long long)c.h.precise_objs, (unsigned long long)c.h.conservative_objs, c.h.ntypes);
		fprintf(stderr, "pileup: go leaks: globals: %u ranges scanned by the runtime's pointer masks, %u word by word\n",
			c.globals_masked, c.globals_words);
	}
	/* The verdicts, by goroutine id (snap->goroutines is sorted by id). */
	uint64_t *leaked = xmalloc((n ? n : 1) * sizeof(*leaked));
	size_t nl = 0, reachable = 0;
	for (size_t i = 0; i < n; i++) {
		const struct lg *g = &gs[i];
		if (g->cand == C_ROOT)
			continue;
		if (g->woken) {
			reachable++;
			continue;
		}
		/* select {} in main is how many programs wait: not reported */
		if (i == 0 && g->goid == 1 && g->cand == C_NEVER && g->waiting == 0) {
			uint8_t r;
			if (snapshot_read(snap, g->gp + (uint64_t)golayout_get(l, GL_g_waitreason), &r, 1) == 1 &&
			    r < l->nwait_reasons && l->wait_reasons[r] && !strcmp(l->wait_reasons[r], "select (no cases)"))
				continue;
		}
		leaked[nl++] = g->goid;
	}
	qsort(leaked, nl, sizeof(*leaked), cmp_u64);
	size_t found = 0;
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		struct snap_goroutine *sg = &snap->goroutines[i];
		uint64_t id = (uint64_t)sg->id;
		sg->leaked = id && bsearch(&id, leaked, nl, sizeof(*leaked), cmp_u64);
		found += sg->leaked;
	}
	snap->leaks.done = true;
	snap->leaks.leaked = found;
	snap->leaks.reachable = reachable;
	snap->leaks.heap_bytes = c.h.heap_bytes;
	snap->leaks.scanned_bytes = c.scanned;
	if (found < nl)
		snapshot_warn(snap, "Go: %zu goroutines found leaked are not among those listed", nl - found);
	free(leaked);
	free(gs);
	free(c.sudogs);
	free(c.gaddrs);
	free(c.paddrs);
	free(c.work);
	free(c.buf);
	goheap_deinit(&c.h);
	progress_end();
	snap->leaks.us = timing_now_us() - t0;
}
