/* go/layout.c - the runtime layout of one Go program: DWARF or its
 * release's table, the wait reasons, the runtime's globals, and the
 * cross-checks that keep a wrong layout from producing goroutines. */
#include "go/layout.h"
#include "bytes.h"
#include "error.h"
#include "go/layout_dwarf.h"
#include "go/layout_table.h"
#include "go/layout_typedesc.h"
#include "sanitize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* PILEUP_GO_LAYOUT: one source only, for tests. */
enum mode { MODE_AUTO, MODE_TABLE, MODE_DWARF, MODE_STRIPPED };

struct ctx {
	struct golayout *l;
	const struct gobin *b;
	const struct gopcln *t;
	const struct snapshot *snap;
	const struct godwarf *dw; /* NULL: none read */
	enum mode mode;
};

bool golayout_version_at_least(const char *v, int major, int minor)
{
	int ma = 0, mi = 0;
	if (!v || sscanf(v, "go%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* --- the facts ------------------------------------------------------------ */

static void from_table(struct golayout *l, const struct golayout_table *tab, unsigned patch, bool only_missing)
{
	for (size_t i = 0; i < tab->nrows; i++) {
		const struct golayout_row *r = &tab->rows[i];
		if (r->id >= GL__N || (only_missing && l->f[r->id].from) || !golayout_row_applies(r, patch))
			continue;
		l->f[r->id] = (struct golayout_val){r->v, r->size, GOLAYOUT_TABLE};
	}
	l->checked = tab->checked;
}

static uint32_t off(const struct golayout *l, enum golayout_id id)
{
	int64_t v = golayout_get(l, id);
	return v > 0 && v < (1 << 24) ? (uint32_t)v : 0;
}

/* The facts golang.c reads by name. */
static void name_facts(struct golayout *l)
{
	l->g_stack_lo = off(l, GL_g_stack_lo);
	l->g_stack_hi = off(l, GL_g_stack_hi);
	l->g_m = off(l, GL_g_m);
	l->g_sched_sp = off(l, GL_g_sched_sp);
	l->g_sched_pc = off(l, GL_g_sched_pc);
	l->g_sched_bp = off(l, GL_g_sched_bp);
	l->g_syscallsp = off(l, GL_g_syscallsp);
	l->g_syscallpc = off(l, GL_g_syscallpc);
	l->g_atomicstatus = off(l, GL_g_atomicstatus);
	l->g_goid = off(l, GL_g_goid);
	l->g_waitsince = off(l, GL_g_waitsince);
	l->g_waitreason = off(l, GL_g_waitreason);
	l->g_lockedm = off(l, GL_g_lockedm);
	l->g_gopc = off(l, GL_g_gopc);
	l->g_ancestors = off(l, GL_g_ancestors);
	l->g_startpc = off(l, GL_g_startpc);
	l->g_parent_goid = off(l, GL_g_parent_goid);
	l->m_procid = off(l, GL_m_procid);
	l->m_curg = off(l, GL_m_curg);
	l->anc_goid = off(l, GL_anc_goid);
	l->anc_size = l->anc_goid ? off(l, GL_anc_size) : 0;
	l->md_gofunc = off(l, GL_md_gofunc);
	l->ms_last_gc_unix = off(l, GL_mstats_last_gc_unix);
	l->ms_last_gc_nanotime = off(l, GL_mstats_last_gc_nanotime);
	l->funcid_wrapper = golayout_has(l, GL_fid_wrapper) ? (int)golayout_get(l, GL_fid_wrapper) : -1;
	/* The highest status the release has: _Gdeadextra and _Gleaked came
	 * with go1.26, after _Gpreempted. */
	enum golayout_id top[] = {GL_c_Gdeadextra, GL_c_Gleaked, GL_c_Gpreempted};
	l->max_status = 0;
	for (size_t i = 0; i < sizeof(top) / sizeof(*top) && !l->max_status; i++)
		if (golayout_has(l, top[i]) && golayout_get(l, top[i]) > 0 && golayout_get(l, top[i]) < 0x1000)
			l->max_status = (unsigned)golayout_get(l, top[i]);
}

/* PILEUP_GO_LAYOUT_FAULT=FACT (tests): the table's offset of FACT made
 * wrong by 8, as a table error would be, to show the checks catch it
 * ("*": every member offset but moduledata's, which locates the type
 * descriptors: a table for another layout altogether). */
static void inject_fault(struct golayout *l)
{
	const char *f = getenv("PILEUP_GO_LAYOUT_FAULT");
	for (int i = 0; f && i < GL__N; i++)
		if (l->f[i].from && (strcmp(golayout_specs[i].name, f) == 0 ||
				     (strcmp(f, "*") == 0 && golayout_specs[i].kind == GOLAYOUT_OFF &&
				      strncmp(golayout_specs[i].name, "md_", 3) != 0)))
			l->f[i].v += 8;
}

/* What goroutines cannot be read without, and sizes that say the
 * layout is not a runtime.g at all. */
static bool facts_usable(const struct golayout *l)
{
	static const enum golayout_id need[] = {
		GL_g_stack_lo,	 GL_g_stack_hi, GL_g_m,		GL_g_sched_sp,	 GL_g_sched_pc, GL_g_sched_bp,
		GL_g_syscallsp,	 GL_g_syscallpc, GL_g_atomicstatus, GL_g_goid,	GL_g_waitsince, GL_g_waitreason,
		GL_g_lockedm,	 GL_g_gopc,	GL_g_startpc,	GL_m_procid,	 GL_m_curg,	GL_c_Gwaiting,
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!golayout_has(l, need[i]))
			return false;
	return true;
}

/* --- wait reason strings from the binary ---------------------------------- */

static bool read_wait_reasons(struct golayout *l, const struct gobin *b, const struct snapshot *snap, uint64_t addr,
			      uint64_t count)
{
	if (!addr || count < 2 || count > GO_NWAIT_REASONS_MAX)
		return false;
	size_t total = 0;
	uint64_t hdr[GO_NWAIT_REASONS_MAX][2];
	if (gobin_read(b, snap, addr, hdr, (size_t)count * 16) != count * 16)
		return false;
	for (uint64_t i = 0; i < count; i++) {
		if (hdr[i][1] > 64 || (hdr[i][1] && !gobin_file_ptr(b, hdr[i][0] - b->bias, (size_t)hdr[i][1]) &&
					!gobin_file_ptr(b, hdr[i][0], (size_t)hdr[i][1])))
			return false;
		total += (size_t)hdr[i][1] + 1;
	}
	char *buf = xmalloc(total), *p = buf;
	for (uint64_t i = 0; i < count; i++) {
		size_t n = (size_t)hdr[i][1];
		const unsigned char *s = n ? gobin_file_ptr(b, hdr[i][0] - b->bias, n) : NULL;
		if (n && !s)
			s = gobin_file_ptr(b, hdr[i][0], n);
		if (n)
			memcpy(p, s, n);
		p[n] = 0;
		l->wait_reasons[i] = p;
		p += n + 1;
	}
	free(l->owned_strings);
	l->owned_strings = buf;
	l->nwait_reasons = (unsigned)count;
	return true;
}

static void table_wait_reasons(struct golayout *l, const struct golayout_table *tab)
{
	size_t n = tab->nwait_reasons < GO_NWAIT_REASONS_MAX ? tab->nwait_reasons : GO_NWAIT_REASONS_MAX;
	for (size_t i = 0; i < n; i++)
		l->wait_reasons[i] = tab->wait_reasons[i];
	l->nwait_reasons = (unsigned)n;
}

/* --- globals: symbols, or found in the code -------------------------------- */

/* Link-time address of a global from .symtab or DWARF (never in the
 * stripped mode), 0 if neither names it. */
static uint64_t global_sym(const struct ctx *c, enum golayout_global g, uint64_t *size)
{
	if (size)
		*size = 0;
	if (c->mode == MODE_STRIPPED)
		return 0;
	uint64_t a = gobin_symbol(c->b, golayout_global_syms[g], size);
	if (!a && c->dw)
		a = c->dw->global[g];
	return a;
}

/* runtime.firstmoduledata: starts with a pointer to the pclntab header,
 * then the funcnametab slice, which points into the pclntab.  It is in
 * .noptrdata, or (go1.26+) in .go.module just before it: the search
 * starts where the writable segment holding .noptrdata does. */
static uint64_t find_moduledata(const struct gobin *b, const struct gopcln *t, const struct snapshot *snap)
{
	if (!b->noptrdata || b->enoptrdata <= b->noptrdata)
		return 0;
	uint64_t start = b->noptrdata;
	for (size_t i = 0; i < b->nloads; i++) {
		const struct gobin_load *s = &b->loads[i];
		if (s->write && b->noptrdata >= s->vaddr && b->noptrdata - s->vaddr < s->memsz)
			start = s->vaddr;
	}
	size_t len = (size_t)(b->enoptrdata - start);
	if (len > (64u << 20))
		return 0;
	unsigned char *buf = xmalloc(len);
	size_t got = gobin_read(b, snap, start, buf, len);
	uint64_t want = b->pclntab_addr + b->bias, names = want + (uint64_t)(t->funcnametab - t->data), found = 0;
	for (size_t off = 0; off + 64 <= got && !found; off += 8) {
		if (rd64(buf + off) != want || rd64(buf + off + 8) != names)
			continue;
		/* the slice's length: the table, less the padding after it */
		uint64_t n = rd64(buf + off + 16);
		if (n > t->funcnametab_len || t->funcnametab_len - n > 64)
			continue;
		found = start + off;
	}
	free(buf);
	return found;
}

/* Targets of RIP-relative operands of common 64-bit moves in code. */
static size_t rip_targets(const unsigned char *code, size_t len, uint64_t addr, uint64_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i + 7 <= len && n < max; i++) {
		if ((code[i] & 0xf8) != 0x48)
			continue;
		unsigned char op = code[i + 1];
		if (op != 0x8b && op != 0x89 && op != 0x8d && op != 0x3b && op != 0x39 && op != 0x87)
			continue;
		if ((code[i + 2] & 0xc7) != 0x05)
			continue;
		int32_t disp;
		memcpy(&disp, code + i + 3, 4);
		out[n++] = addr + i + 7 + (uint64_t)(int64_t)disp;
	}
	return n;
}

static bool has(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* The rip-relative addresses the code of runtime function fn refers to
 * (at most max); 0 when the function is unknown or implausibly large. */
static size_t function_rip_targets(const struct gobin *b, const struct gopcln *t, const char *fn, uint64_t *tg,
				   size_t max)
{
	struct gofunc f;
	if (!gopcln_lookup(t, fn, &f))
		return 0;
	uint64_t end = gopcln_func_end(t, &f);
	if (end <= f.entry || end - f.entry > 65536)
		return 0;
	const unsigned char *code = gobin_file_ptr(b, f.entry, (size_t)(end - f.entry));
	if (!code)
		return 0;
	return rip_targets(code, (size_t)(end - f.entry), f.entry, tg, max);
}

/* A global structure that function fn reads or writes at two field
 * offsets: the address X with X+off1 and X+off2 both operands. */
static uint64_t find_struct_by_fields(const struct gobin *b, const struct gopcln *t, const char *fn, uint32_t off1,
				      uint32_t off2)
{
	uint64_t tg[1024];
	size_t n = off1 && off2 ? function_rip_targets(b, t, fn, tg, 1024) : 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = tg[i] - off1;
		if (tg[i] >= off1 && gobin_in_data(b, x) && has(tg, n, x + off2))
			return x;
	}
	return 0;
}

typedef bool (*check_fn)(const struct ctx *c, uint64_t addr);

/* The first operand of the functions fns that passes check, as a runtime
 * address (check gets runtime addresses); slice: only addresses whose
 * next word (the length) is an operand too. */
static uint64_t find_by_code(const struct ctx *c, const char *const *fns, bool slice, check_fn check)
{
	uint64_t tg[1024];
	for (; *fns; fns++) {
		size_t n = function_rip_targets(c->b, c->t, *fns, tg, 1024);
		for (size_t i = 0; i < n; i++) {
			uint64_t x = tg[i];
			if (!gobin_in_data(c->b, x) || has(tg, i, x) || (slice && !has(tg, n, x + 8)))
				continue;
			if (check(c, x + c->b->bias))
				return x + c->b->bias;
		}
	}
	return 0;
}

static bool read_u64(const struct ctx *c, uint64_t addr, uint64_t *v)
{
	return addr && snapshot_read_u64(c->snap, addr, v);
}

static bool read_u32(const struct ctx *c, uint64_t addr, uint32_t *v)
{
	return addr && snapshot_read(c->snap, addr, v, 4) == 4;
}

/* runtime.allgs: a slice of g pointers whose first element is the main
 * goroutine (id 1). */
static bool check_allgs(const struct ctx *c, uint64_t addr)
{
	uint64_t s[3], g0, goid;
	if (snapshot_read(c->snap, addr, s, sizeof(s)) != sizeof(s))
		return false;
	if (!s[0] || !s[1] || s[1] > s[2] || s[2] > (1ull << 28))
		return false;
	if (!read_u64(c, s[0], &g0) || !g0)
		return false;
	return read_u64(c, g0 + c->l->g_goid, &goid) && goid == 1;
}

/* runtime.allglen: the word runtime.allgadd stores the new length of
 * allgs in (not allgs' own three), holding that length now. */
static uint64_t find_allglen(const struct ctx *c, uint64_t allgs)
{
	uint64_t tg[256], len;
	size_t n = function_rip_targets(c->b, c->t, "runtime.allgadd", tg, 256);
	if (!read_u64(c, allgs + 8, &len) || !len)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = tg[i] + c->b->bias, v;
		if (x >= allgs && x < allgs + 24)
			continue;
		if (gobin_in_data(c->b, tg[i]) && read_u64(c, x, &v) && v == len)
			return x;
	}
	return 0;
}

/* runtime.allm: a list of Ms linked by alllink, each with a g0 (goroutine
 * id 0) whose m points back at it. */
static bool check_allm(const struct ctx *c, uint64_t addr)
{
	const struct golayout *l = c->l;
	if (!golayout_has(l, GL_m_g0) || !golayout_has(l, GL_m_alllink) || !l->g_m)
		return false;
	uint64_t m;
	if (!read_u64(c, addr, &m) || !m)
		return false;
	for (int i = 0; m && i < 64; i++) {
		uint64_t g0, back, goid, next;
		if (!read_u64(c, m + (uint64_t)golayout_get(l, GL_m_g0), &g0) || !g0 || !read_u64(c, g0 + l->g_m, &back) ||
		    back != m || !read_u64(c, g0 + l->g_goid, &goid) || goid != 0)
			return false;
		if (!read_u64(c, m + (uint64_t)golayout_get(l, GL_m_alllink), &next))
			return false;
		m = next;
	}
	return true;
}

/* runtime.allp: a slice of Ps, each numbered by its index, each in a
 * valid P status. */
static bool check_allp(const struct ctx *c, uint64_t addr)
{
	const struct golayout *l = c->l;
	if (!golayout_has(l, GL_p_id) || !golayout_has(l, GL_p_status) || !golayout_has(l, GL_c_Pdead))
		return false;
	uint64_t s[3];
	if (snapshot_read(c->snap, addr, s, sizeof(s)) != sizeof(s) || !s[0] || !s[1] || s[1] > s[2] ||
	    s[2] > (1u << 16))
		return false;
	for (uint64_t i = 0; i < s[1] && i < 16; i++) {
		uint64_t p;
		uint32_t id, st;
		if (!read_u64(c, s[0] + 8 * i, &p) || !p || !read_u32(c, p + (uint64_t)golayout_get(l, GL_p_id), &id) ||
		    id != i || !read_u32(c, p + (uint64_t)golayout_get(l, GL_p_status), &st) ||
		    st > (uint32_t)golayout_get(l, GL_c_Pdead))
			return false;
	}
	return true;
}

/* The span holding heap address p, through mheap_ at h: arenas (L1
 * bits 0 on amd64: one L2 array), heapArena.spans, mspan bounds and
 * state.  0 when any step fails. */
static uint64_t span_of(const struct ctx *c, uint64_t h, uint64_t p)
{
	const struct golayout *l = c->l;
	static const enum golayout_id need[] = {GL_mh_arenas,	   GL_ha_spans,		GL_span_startaddr,
						GL_span_npages,	   GL_span_state,	GL_c_heap_arena_bytes,
						GL_c_arena_l1_bits, GL_c_arena_l2_bits, GL_c_pages_per_arena,
						GL_c_mspan_inuse};
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!golayout_has(l, need[i]))
			return 0;
	int64_t bytes = golayout_get(l, GL_c_heap_arena_bytes), l2 = golayout_get(l, GL_c_arena_l2_bits),
		shift = golayout_get(l, GL_c_page_shift), per = golayout_get(l, GL_c_pages_per_arena);
	/* go1.26 moved the page shift out of the runtime: it is the log2 of
	 * an arena's bytes per page. */
	for (int64_t q = per > 0 ? bytes / per : 0; !golayout_has(l, GL_c_page_shift) && q > 1 && !(q & 1); q >>= 1)
		shift++;
	if (golayout_get(l, GL_c_arena_l1_bits) != 0 || bytes <= 0 || (bytes & (bytes - 1)) || l2 <= 0 || l2 > 30 ||
	    shift <= 0 || shift > 20 || per <= 0)
		return 0;
	/* The DWARF has no arenaBaseOffset (a uintptr constant): amd64's
	 * every release from go1.15 on.  Were it wrong, no span would hold
	 * the goroutine and mheap_ would stay unknown. */
	uint64_t base = golayout_has(l, GL_c_arena_base_offset) ? (uint64_t)golayout_get(l, GL_c_arena_base_offset)
								: 0xffff800000000000u;
	uint64_t idx = (p - base) / (uint64_t)bytes, l2arr, ha, s, start, npages;
	uint8_t state;
	if (idx >> l2 || !read_u64(c, h + (uint64_t)golayout_get(l, GL_mh_arenas), &l2arr) || !l2arr ||
	    !read_u64(c, l2arr + 8 * idx, &ha) || !ha)
		return 0;
	uint64_t page = (p >> shift) % (uint64_t)per;
	if (!read_u64(c, ha + (uint64_t)golayout_get(l, GL_ha_spans) + 8 * page, &s) || !s ||
	    !read_u64(c, s + (uint64_t)golayout_get(l, GL_span_startaddr), &start) ||
	    !read_u64(c, s + (uint64_t)golayout_get(l, GL_span_npages), &npages) ||
	    snapshot_read(c->snap, s + (uint64_t)golayout_get(l, GL_span_state), &state, 1) != 1)
		return 0;
	if (p < start || npages == 0 || npages > (1u << 20) || p - start >= npages << shift ||
	    state != golayout_get(l, GL_c_mspan_inuse))
		return 0;
	return s;
}

/* runtime.mheap_: the span of the main goroutine's g is found through it. */
static bool check_mheap(const struct ctx *c, uint64_t addr)
{
	uint64_t s[2], g;
	if (!c->l->allgs || snapshot_read(c->snap, c->l->allgs, s, sizeof(s)) != sizeof(s) || !s[1] ||
	    !read_u64(c, s[0], &g) || !g)
		return false;
	return span_of(c, addr, g) != 0;
}

/* runtime.memstats at link-time address x: gcMarkTermination stores the
 * two clocks at the layout's offsets from x, and (*mcache).refill takes
 * the address of memstats.heapStats (its first field from go1.19 on), so
 * x plus that offset is an operand there: a layout whose offsets are
 * shifted (mstats' prefix changes between releases) finds no such x. */
static bool check_memstats(const struct ctx *c, uint64_t x)
{
	const struct golayout *l = c->l;
	if (!golayout_has(l, GL_mstats_heapstats))
		return false;
	uint64_t tg[1024], hs = x + (uint64_t)golayout_get(l, GL_mstats_heapstats);
	size_t n = function_rip_targets(c->b, c->t, "runtime.gcMarkTermination", tg, 1024);
	if (!has(tg, n, x + l->ms_last_gc_unix) || !has(tg, n, x + l->ms_last_gc_nanotime))
		return false;
	static const char *const users[] = {"runtime.(*mcache).refill", "runtime.(*mheap).grow"};
	for (size_t i = 0; i < sizeof(users) / sizeof(*users); i++) {
		n = function_rip_targets(c->b, c->t, users[i], tg, 1024);
		if (has(tg, n, hs))
			return true;
	}
	return false;
}

/* runtime.semtable: semTabSize roots of a cache line each (sema.go pads
 * them to internal/cpu.CacheLinePadSize, 64 on amd64: cpu_x86.go), each
 * a semaRoot whose padding is never written, whose treap is 0 or an
 * aligned pointer, whose waiter count is small.  Without symbols it is
 * the global both semacquire1 and semrelease1 use that reads as one. */
enum { SEMTAB_STRIDE = 64 };

static bool check_semtable(const struct ctx *c, uint64_t addr)
{
	const struct golayout *l = c->l;
	int64_t n = golayout_has(l, GL_c_semtabsize) ? golayout_get(l, GL_c_semtabsize) : 0;
	int64_t rsz = golayout_has(l, GL_sr_size) ? golayout_get(l, GL_sr_size) : 0;
	if (n <= 0 || n > 4096 || rsz <= 0 || rsz > SEMTAB_STRIDE || !golayout_has(l, GL_sr_treap) || !golayout_has(l, GL_sr_nwait))
		return false;
	size_t len = (size_t)n * SEMTAB_STRIDE;
	unsigned char *t = xmalloc(len);
	bool ok = snapshot_read(c->snap, addr, t, len) == len;
	for (int64_t i = 0; ok && i < n; i++) {
		const unsigned char *r = t + i * SEMTAB_STRIDE;
		uint64_t treap;
		uint32_t nwait;
		memcpy(&treap, r + golayout_get(l, GL_sr_treap), 8);
		memcpy(&nwait, r + golayout_get(l, GL_sr_nwait), 4);
		ok = !(treap & 7) && nwait < (1u << 24);
		for (int64_t k = rsz; ok && k < SEMTAB_STRIDE; k++)
			ok = r[k] == 0;
	}
	free(t);
	return ok;
}

static uint64_t find_semtable(const struct ctx *c)
{
	uint64_t a[1024], r[1024];
	size_t na = function_rip_targets(c->b, c->t, "runtime.semacquire1", a, 1024);
	size_t nr = function_rip_targets(c->b, c->t, "runtime.semrelease1", r, 1024);
	for (size_t i = 0; i < na; i++)
		if (gobin_in_data(c->b, a[i]) && has(r, nr, a[i]) && !has(a, i, a[i]) && check_semtable(c, a[i] + c->b->bias))
			return a[i] + c->b->bias;
	return 0;
}

/* A global from its symbol, else from the code of fns; either way
 * checked. */
static uint64_t locate(const struct ctx *c, enum golayout_global g, const char *const *fns, bool slice, check_fn check)
{
	uint64_t a = global_sym(c, g, NULL);
	if (a)
		return check(c, a + c->b->bias) ? a + c->b->bias : 0;
	return fns ? find_by_code(c, fns, slice, check) : 0;
}

/* --- funcIDs against the pclntab ------------------------------------------- */

/* The funcIDs the pclntab gives the runtime's special functions must be
 * the layout's; otherwise none of them is trusted (wrappers are then
 * told by their "<autogenerated>" file). */
static bool funcids_agree(const struct golayout *l, const struct gopcln *t, const char **bad)
{
	static const struct {
		enum golayout_id id;
		const char *fn;
	} probe[] = {{GL_fid_goexit, "runtime.goexit"}, {GL_fid_mcall, "runtime.mcall"}, {GL_fid_morestack, "runtime.morestack"}};
	for (size_t i = 0; i < sizeof(probe) / sizeof(*probe); i++) {
		struct gofunc f;
		if (!golayout_has(l, probe[i].id) || !gopcln_lookup(t, probe[i].fn, &f))
			continue;
		if (f.funcid != golayout_get(l, probe[i].id)) {
			*bad = probe[i].fn;
			return false;
		}
	}
	return true;
}

/* --- the dump --------------------------------------------------------------- */

/* The note of the row of tab for fact id: how it was checked, when not
 * as the table says. */
static const char *row_note(const struct golayout_table *tab, unsigned patch, int id)
{
	for (size_t i = 0; tab && i < tab->nrows; i++)
		if (tab->rows[i].id == id && golayout_row_applies(&tab->rows[i], patch))
			return tab->rows[i].checked;
	return NULL;
}

static void dump(const struct golayout *l, const struct gobin *b, const struct gopcln *t, const struct golayout_table *tab,
		 unsigned patch)
{
	static const char *const from[] = {"none", "table", "dwarf", "typedesc"};
	fprintf(stderr, "golayout source %s\n", l->source);
	fprintf(stderr, "golayout version ");
	sanitize_fputs(b->version ? b->version : "?", stderr);
	fprintf(stderr, "\n");
	if (l->checked)
		fprintf(stderr, "golayout checked %s\n", l->checked);
	for (int i = 0; i < GL__N; i++) {
		const struct golayout_val *v = &l->f[i];
		enum golayout_kind k = golayout_specs[i].kind;
		const char *note = v->from == GOLAYOUT_TABLE ? row_note(tab, patch, i) : NULL;
		if (!v->from)
			fprintf(stderr, "golayout absent %s\n", golayout_specs[i].name);
		else if (k == GOLAYOUT_OFF)
			fprintf(stderr, "golayout field %s %lld %u %s%s%s\n", golayout_specs[i].name, (long long)v->v, v->size,
				from[v->from], note ? " note: " : "", note ? note : "");
		else
			fprintf(stderr, "golayout %s %s %lld %s%s%s\n", k == GOLAYOUT_SIZE ? "size" : "const",
				golayout_specs[i].name, (long long)v->v, from[v->from], note ? " note: " : "", note ? note : "");
	}
	for (unsigned i = 0; i < l->nwait_reasons; i++) {
		fprintf(stderr, "golayout wait %u \"", i);
		sanitize_fputs_also(l->wait_reasons[i], "\"", stderr);
		fprintf(stderr, "\"\n");
	}
	for (int g = 0; g < GG__N; g++)
		fprintf(stderr, "golayout global %s 0x%llx\n", golayout_global_name(g), (unsigned long long)l->global[g]);
	/* The funcID the pclntab gives each special function, against the
	 * layout's (tests compare them on real binaries). */
	static const struct {
		enum golayout_id id;
		const char *fn;
	} fns[] = {
		{GL_fid_abort, "runtime.abort"},
		{GL_fid_asmcgocall, "runtime.asmcgocall"},
		{GL_fid_asyncpreempt, "runtime.asyncPreempt"},
		{GL_fid_cgocallback, "runtime.cgocallback"},
		{GL_fid_corostart, "runtime.corostart"},
		{GL_fid_debugcallv2, "runtime.debugCallV2"},
		{GL_fid_gcbgmarkworker, "runtime.gcBgMarkWorker"},
		{GL_fid_goexit, "runtime.goexit"},
		{GL_fid_gogo, "runtime.gogo"},
		{GL_fid_gopanic, "runtime.gopanic"},
		{GL_fid_jmpdefer, "runtime.jmpdefer"},
		{GL_fid_mcall, "runtime.mcall"},
		{GL_fid_morestack, "runtime.morestack"},
		{GL_fid_mstart, "runtime.mstart"},
		{GL_fid_panicwrap, "runtime.panicwrap"},
		{GL_fid_rt0_go, "runtime.rt0_go"},
		{GL_fid_runfinq, "runtime.runfinq"},
		{GL_fid_runfinq, "runtime.runFinalizers"},
		{GL_fid_runcleanups, "runtime.runCleanups"},
		{GL_fid_runtime_main, "runtime.main"},
		{GL_fid_sigpanic, "runtime.sigpanic"},
		{GL_fid_systemstack, "runtime.systemstack"},
		{GL_fid_systemstack_switch, "runtime.systemstack_switch"},
	};
	for (size_t i = 0; t && i < sizeof(fns) / sizeof(*fns); i++) {
		struct gofunc f;
		if (gopcln_lookup(t, fns[i].fn, &f))
			fprintf(stderr, "golayout funcid %s %s %u %s\n", golayout_specs[fns[i].id].name, fns[i].fn, f.funcid,
				golayout_has(l, fns[i].id) ? "known" : "unknown");
	}
}

/* --- entry ---------------------------------------------------------------- */

static enum mode mode_from_env(void)
{
	const char *m = getenv("PILEUP_GO_LAYOUT");
	if (!m)
		return MODE_AUTO;
	return strcmp(m, "table") == 0 ? MODE_TABLE : strcmp(m, "dwarf") == 0 ? MODE_DWARF
					       : strcmp(m, "stripped") == 0 ? MODE_STRIPPED : MODE_AUTO;
}

static void refuse(const struct gobin *b, bool dwarf_read, const char *twhy, char **why)
{
	if (dwarf_read)
		*why = xasprintf("%s: its DWARF lacks the runtime types pileup needs, and its Go version (%s) is not in "
				 "pileup's runtime tables (%s: %s); goroutines are not listed",
				 b->name, b->version ? b->version : "unknown: the binary does not say", golayout_table_versions,
				 twhy);
	else if (!b->version)
		*why = xasprintf("%s is a Go program that does not say which Go release built it (no build info, no "
				 "runtime.buildVersion), and it has no debug info; goroutines are not listed", b->name);
	else
		*why = xasprintf("%s was built with %s, whose runtime layout pileup does not know without debug info "
				 "(%s; its tables cover %s); rebuild without -ldflags=-w to keep DWARF; goroutines are "
				 "not listed",
				 b->name, b->version, twhy, golayout_table_versions);
}

bool golayout_init(struct golayout *l, const struct gobin *b, struct gopcln *t, const struct snapshot *snap, char **why)
{
	memset(l, 0, sizeof(*l));
	l->funcid_wrapper = -1;
	*why = NULL;
	struct ctx c = {.l = l, .b = b, .t = t, .snap = snap, .mode = mode_from_env()};
	const char *twhy = NULL;
	unsigned patch;
	const struct golayout_table *tab = golayout_table_find(b->version, &patch, &twhy);
	if (c.mode == MODE_DWARF)
		tab = NULL, twhy = "PILEUP_GO_LAYOUT=dwarf";
	struct godwarf *dw = NULL;
	bool dwarf_read = false;
	if (b->has_dwarf && c.mode != MODE_TABLE && c.mode != MODE_STRIPPED) {
		dw = xmalloc(sizeof(*dw));
		dwarf_read = godwarf_read(b, !tab, dw);
		if (!dwarf_read) {
			free(dw);
			dw = NULL;
		}
	}
	c.dw = dw;
	if (dw) {
		memcpy(l->f, dw->f, sizeof(l->f));
		snprintf(l->source, sizeof(l->source), "DWARF");
		name_facts(l);
	}
	if (!dw || !facts_usable(l)) {
		memset(l->f, 0, sizeof(l->f));
		if (!tab) {
			refuse(b, dwarf_read, twhy, why);
			goto fail;
		}
		from_table(l, tab, patch, false);
		snprintf(l->source, sizeof(l->source), "table %s", tab->series);
		inject_fault(l);
	} else if (tab) {
		/* Constants the DWARF leaves out (Go emits only those used). */
		from_table(l, tab, patch, true);
	}
	name_facts(l);
	if (!facts_usable(l)) {
		*why = xasprintf("%s: implausible runtime.g layout; goroutines are not listed", b->name);
		goto fail;
	}
	const char *bad;
	if (!funcids_agree(l, t, &bad)) {
		if (getenv("PILEUP_GO_DEBUG"))
			fprintf(stderr, "pileup: go: funcID of %s is not the layout's; funcIDs unused\n", bad);
		for (int i = GL_fid_normal; i <= GL_fid_wrapper; i++)
			l->f[i].from = GOLAYOUT_NONE;
		l->funcid_wrapper = -1;
	}
	l->g_read = l->g_startpc + 8;
	uint32_t fields[] = {l->g_stack_hi, l->g_m, l->g_sched_bp, l->g_syscallpc, l->g_goid, l->g_waitsince, l->g_lockedm,
			     l->g_gopc, l->g_ancestors, l->g_parent_goid,
			     /* what a goroutine waits on (go/waits.c) */
			     (uint32_t)golayout_get(l, GL_g_waiting), (uint32_t)golayout_get(l, GL_g_timer),
			     (uint32_t)golayout_get(l, GL_g_sleepwhen)};
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (fields[i] + 8 > l->g_read)
			l->g_read = fields[i] + 8;
	if (l->g_read > 4096) {
		*why = xasprintf("%s: implausible runtime.g layout; goroutines are not listed", b->name);
		goto fail;
	}

	/* Wait reasons: the binary's own table when a symbol names it. */
	uint64_t wsize = 0, waddr = global_sym(&c, GG_waitreasonstrings, &wsize);
	if (waddr && !wsize && dw)
		wsize = dw->wait_reasons_count * 16;
	bool wr = waddr && read_wait_reasons(l, b, snap, waddr, wsize / 16);
	if (!wr) {
		if (!tab) {
			*why = xasprintf("%s: the wait reasons of %s are unknown (no symbols, and %s); goroutines are not listed",
					 b->name, b->version, twhy ? twhy : "no table");
			goto fail;
		}
		table_wait_reasons(l, tab);
	}

	/* runtime.firstmoduledata, for go:func.* (inline trees): bin.c found
	 * it by content, else a symbol names it, else it is searched for. */
	uint64_t md = b->moduledata;
	if (!md)
		md = global_sym(&c, GG_firstmoduledata, NULL);
	md = md ? md + b->bias : 0;
	if (!md) {
		uint64_t link = find_moduledata(b, t, snap);
		md = link ? link + b->bias : 0;
	}
	if (!md) {
		*why = xasprintf("%s: runtime.firstmoduledata was not found; goroutines are not listed", b->name);
		goto fail;
	}
	/* go1.16/1.17 funcdata point to inline trees directly: no go:func.*
	 * base, and no moduledata.gofunc in their layout. */
	if (l->md_gofunc && t->format != 116) {
		uint64_t gofunc = 0;
		if (gobin_read(b, snap, md - b->bias + l->md_gofunc, &gofunc, 8) != 8 || !gofunc ||
		    !gobin_file_ptr(b, gofunc - b->bias, 1)) {
			*why = xasprintf("%s: runtime.firstmoduledata is unreadable; goroutines are not listed", b->name);
			goto fail;
		}
		/* the release's own word wins over the guess of bin.c */
		if (t->gofunc && t->gofunc != gofunc - b->bias && getenv("PILEUP_GO_DEBUG"))
			fprintf(stderr, "pileup: go: go:func.* at 0x%llx by the layout, not 0x%llx\n",
				(unsigned long long)(gofunc - b->bias), (unsigned long long)t->gofunc);
		t->gofunc = gofunc - b->bias;
	}
	l->firstmoduledata = l->global[GG_firstmoduledata] = md;
	/* A table is checked against the program's own type descriptors; a
	 * fact they contradict becomes unknown, and a layout without what
	 * goroutines need is refused. */
	bool dumping = getenv("PILEUP_GO_LAYOUT_DUMP") != NULL;
	if (strncmp(l->source, "table", 5) == 0 || dumping) {
		const char *tdbad;
		/* PILEUP_GO_LAYOUT=table: the table as it is, for tests. */
		bool adopt = strncmp(l->source, "table", 5) == 0 && c.mode != MODE_TABLE;
		unsigned n = golayout_typedesc_check(l, b, snap, adopt, dumping ? stderr : NULL, &tdbad);
		if (dumping)
			fprintf(stderr, "golayout typedesc-summary %u %s\n", n, tdbad ? tdbad : "-");
		if (tdbad && adopt) {
			if (getenv("PILEUP_GO_DEBUG"))
				fprintf(stderr, "pileup: go: the binary's type descriptors differ from the %s (%s first)\n", l->source,
					tdbad);
			name_facts(l);
			if (!facts_usable(l)) {
				*why = xasprintf("%s: pileup's %s disagrees with the program's own type descriptors (%s); "
						 "goroutines are not listed", b->name, l->source, tdbad);
				goto fail;
			}
		}
	}

	/* runtime.allgs */
	uint64_t allgs = global_sym(&c, GG_allgs, NULL);
	if (allgs)
		allgs += b->bias;
	else
		allgs = find_by_code(&c, (const char *const[]){"runtime.allgadd", NULL}, true, check_allgs);
	/* A live program may be growing allgs while we read its three words:
	 * a torn read looks invalid, so look again a few times. */
	bool allgs_ok = allgs && check_allgs(&c, allgs);
	for (int i = 0; allgs && !allgs_ok && snap->source == SNAP_LIVE && i < 20; i++) {
		usleep(2000);
		allgs_ok = check_allgs(&c, allgs);
	}
	if (!allgs_ok) {
		*why = xasprintf("%s: the goroutine list (runtime.allgs) was not found or does not look like one; "
				 "goroutines are not listed", b->name);
		goto fail;
	}
	l->allgs = l->global[GG_allgs] = allgs;
	uint64_t allglen = global_sym(&c, GG_allglen, NULL);
	l->allglen = l->global[GG_allglen] = allglen ? allglen + b->bias : find_allglen(&c, allgs);

	/* The rest is optional: what waits and what is reachable. */
	l->global[GG_allm] = locate(&c, GG_allm, (const char *const[]){"runtime.mcommoninit", "runtime.checkdead", NULL},
				    false, check_allm);
	l->global[GG_allp] = locate(&c, GG_allp, (const char *const[]){"runtime.procresize", NULL}, true, check_allp);
	l->global[GG_mheap] =
		locate(&c, GG_mheap, (const char *const[]){"runtime.(*mcentral).grow", "runtime.mallocinit", NULL}, false,
		       check_mheap);
	static const enum golayout_global plain[] = {GG_finq, GG_fing, GG_allfin, GG_pollcache, GG_gccleanups,
						     GG_waitreasonstrings};
	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++) {
		uint64_t a = global_sym(&c, plain[i], NULL);
		l->global[plain[i]] = a ? a + b->bias : 0;
	}

	/* runtime.semtable (optional): who waits on which semaphore */
	{
		uint64_t a = global_sym(&c, GG_semtable, NULL);
		l->global[GG_semtable] = a ? (check_semtable(&c, a + b->bias) ? a + b->bias : 0) : find_semtable(&c);
	}

	/* runtime.memstats (optional): dates a core's wait minutes. */
	uint64_t ms = global_sym(&c, GG_memstats, NULL);
	if (!ms)
		ms = find_struct_by_fields(b, t, "runtime.gcMarkTermination", l->ms_last_gc_unix, l->ms_last_gc_nanotime);
	l->memstats = ms && l->ms_last_gc_unix && check_memstats(&c, ms) ? ms + b->bias : 0;
	l->global[GG_memstats] = l->memstats;
	if (getenv("PILEUP_GO_LAYOUT_DUMP"))
		dump(l, b, t, tab, patch);
	free(dw);
	return true;
fail:
	free(dw);
	golayout_deinit(l);
	return false;
}

void golayout_deinit(struct golayout *l)
{
	free(l->owned_strings);
	l->owned_strings = NULL;
}
