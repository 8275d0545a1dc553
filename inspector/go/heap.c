/* go/heap.c - the heap's spans and objects (heap.h).
 *
 * Facts used, checked in the runtime's source at go1.19.8, go1.21.13,
 * go1.22.12, go1.23.5, go1.26.8 and go1.27.3 (mheap.go, mbitmap.go,
 * malloc.go): mheap_.heapArenas (allArenas before go1.20) lists every
 * arena index; mheap_.arenas[0][i] is its heapArena (arenaL1Bits is 0 on
 * linux/amd64) at address i * heapArenaBytes + arenaBaseOffset;
 * heapArena.spans[page] is the mspan of each page (nil: never used);
 * mspanInUse spans hold objects, mspanManual ones stacks and the like;
 * spanclass bit 0 is noscan; object i is allocated when i < freeindex or
 * allocBits bit i is set (mspan.isFree).  The offsets are the layout's
 * (layout_fields.h), per release.
 *
 * Pointer words, from go1.22 (mbitmap.go at go1.22.12, go1.23.5, go1.26.8
 * and go1.27.3; internal/runtime/gc/malloc.go and internal/abi/type.go at
 * go1.27.3; mgcmark_greenteagc.go at go1.26.8 and go1.27.3): an object of
 * at most 512 bytes (MinSizeForMallocHeader) has its words' bits in the
 * span's heap bits, spanSize / 64 bytes at the span's end -- before the
 * 128 bytes of spanInlineMarkBits (whose last byte is the spanclass) for
 * objects of 16 to 512 bytes from go1.26 (green tea) --, bit k for word k
 * from the span's start.  A bigger object of a size class begins with its
 * allocation header, the address of its type, and its data follow; a
 * span of one object (size class 0) keeps the type in mspan.largeType.
 * The type's GCData bitmap, tiled every Size_ bytes, names the words up
 * to PtrBytes that hold pointers; TFlagGCMaskOnDemand (1 << 4, go1.24+)
 * makes GCData the slot of a bitmap the runtime builds on first use, and
 * KindGCProg (1 << 6, before go1.24) a GC program: neither is decoded
 * here.  A build with a GOEXPERIMENT, or a type outside every module's
 * types, is scanned conservatively. */
#include "go/heap.h"
#include "error.h"
#include "go/bin.h"
#include "go/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARENAS = 1 << 16 /* 4 TB of heap */ };

static uint64_t uint_at(const unsigned char *b, uint32_t off, uint32_t size)
{
	uint64_t v = 0;
	if (size == 1 || size == 2 || size == 4 || size == 8)
		memcpy(&v, b + off, size); /* little-endian */
	return v;
}

struct spanmap {
	uint64_t *key;
	uint32_t *val; /* 1 + span index, UINT32_MAX: not in use */
	size_t cap;
};

static uint32_t *spanmap_slot(struct spanmap *m, uint64_t key, bool *found)
{
	size_t i = (size_t)((key >> 4) * 0x9E3779B97F4A7C15ull) & (m->cap - 1);
	while (m->key[i] && m->key[i] != key)
		i = (i + 1) & (m->cap - 1);
	*found = m->key[i] == key;
	m->key[i] = key;
	return &m->val[i];
}

static int cmp_arena(const void *a, const void *b)
{
	uint64_t x = ((const struct goheap_arena *)a)->base, y = ((const struct goheap_arena *)b)->base;
	return (x > y) - (x < y);
}

static bool fail(char **why, const char *fmt, uint64_t a, uint64_t b)
{
	char buf[200];
	snprintf(buf, sizeof(buf), fmt, (unsigned long long)a, (unsigned long long)b);
	*why = xasprintf("%s", buf);
	return false;
}

/* --- pointer words (go1.22+) --------------------------------------------- */

enum { MALLOC_HEADER_MIN = 512, INLINE_MARKS_SIZE = 128, TFLAG_GCMASK_ON_DEMAND = 1 << 4, KIND_GCPROG = 1 << 6 };

static void precise_init(struct goheap *h, const struct snapshot *snap, const struct golayout *l)
{
	static const enum golayout_id need[] = {GL_ty_size, GL_ty_ptrdata, GL_ty_tflag, GL_ty_kind, GL_ty_gcdata,
						GL_span_largetype, GL_md_types, GL_md_etypes, GL_md_data, GL_md_enoptrbss};
	const char *v = snap->go_version;
	if (getenv("PILEUP_GO_LEAKS_CONSERVATIVE") || !v || !golayout_version_at_least(v, 1, 22) || strstr(v, " X:"))
		return;
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!golayout_has(l, need[i]))
			return;
	uint64_t md = l->firstmoduledata;
	for (int i = 0; md && i < 16; i++) {
		uint64_t t0, t1, d0, d1, next = 0;
		if (!snapshot_read_u64(snap, md + (uint64_t)golayout_get(l, GL_md_types), &t0) ||
		    !snapshot_read_u64(snap, md + (uint64_t)golayout_get(l, GL_md_etypes), &t1) ||
		    !snapshot_read_u64(snap, md + (uint64_t)golayout_get(l, GL_md_data), &d0) ||
		    !snapshot_read_u64(snap, md + (uint64_t)golayout_get(l, GL_md_enoptrbss), &d1) || t1 < t0 || d1 < d0)
			return;
		h->mods[h->nmods][0] = t0;
		h->mods[h->nmods++][1] = t1;
		h->mods[h->nmods][0] = d0;
		h->mods[h->nmods++][1] = d1;
		if (h->nmods + 2 > sizeof(h->mods) / sizeof(*h->mods) || !golayout_has(l, GL_md_next) ||
		    !snapshot_read_u64(snap, md + (uint64_t)golayout_get(l, GL_md_next), &next))
			break;
		md = next;
	}
	if (!h->nmods)
		return;
	h->ty_size = golayout_get(l, GL_ty_size);
	h->ty_ptrdata = golayout_get(l, GL_ty_ptrdata);
	h->ty_tflag = golayout_get(l, GL_ty_tflag);
	h->ty_kind = golayout_get(l, GL_ty_kind);
	h->ty_gcdata = golayout_get(l, GL_ty_gcdata);
	h->mask_on_demand = golayout_version_at_least(v, 1, 24);
	h->inline_marks = golayout_version_at_least(v, 1, 26);
	h->precise = true;
}

/* in module k's types (k even) or data (k odd) */
static bool in_mods(const struct goheap *h, uint64_t a, size_t odd)
{
	for (size_t k = odd; k < h->nmods; k += 2)
		if (a >= h->mods[k][0] && a < h->mods[k][1])
			return true;
	return false;
}

/* Type descriptors and their bitmaps are read-only: from the file when it
 * holds them (a core need not). */
static size_t tread(const struct goheap *h, const struct snapshot *snap, uint64_t addr, void *buf, size_t len)
{
	if (h->bin)
		return gobin_read(h->bin, snap, addr - h->bin->bias, buf, len);
	return snapshot_read(snap, addr, buf, len);
}

static bool tread_u64(const struct goheap *h, const struct snapshot *snap, uint64_t addr, uint64_t *v)
{
	return tread(h, snap, addr, v, 8) == 8;
}

static const struct goheap_type *type_of(struct goheap *h, const struct snapshot *snap, uint64_t addr)
{
	if (!addr || !in_mods(h, addr, 0))
		return NULL;
	if (2 * (h->ntypes + 1) > h->captypes) {
		size_t cap = h->captypes ? 2 * h->captypes : 256;
		struct goheap_type *t = xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < h->captypes; i++) {
			if (!h->types[i].addr)
				continue;
			size_t k = (size_t)((h->types[i].addr >> 3) * 0x9E3779B97F4A7C15ull) & (cap - 1);
			while (t[k].addr)
				k = (k + 1) & (cap - 1);
			t[k] = h->types[i];
		}
		free(h->types);
		h->types = t;
		h->captypes = cap;
	}
	size_t k = (size_t)((addr >> 3) * 0x9E3779B97F4A7C15ull) & (h->captypes - 1);
	while (h->types[k].addr && h->types[k].addr != addr)
		k = (k + 1) & (h->captypes - 1);
	struct goheap_type *t = &h->types[k];
	if (t->addr)
		return t;
	h->ntypes++;
	t->addr = addr;
	uint64_t size = 0, ptrdata = 0, gcdata = 0;
	uint8_t tflag = 0, kind = 0;
	if (!tread_u64(h, snap, addr + (uint64_t)h->ty_size, &size) ||
	    !tread_u64(h, snap, addr + (uint64_t)h->ty_ptrdata, &ptrdata) ||
	    !tread_u64(h, snap, addr + (uint64_t)h->ty_gcdata, &gcdata) ||
	    tread(h, snap, addr + (uint64_t)h->ty_tflag, &tflag, 1) != 1 ||
	    tread(h, snap, addr + (uint64_t)h->ty_kind, &kind, 1) != 1 || !size || size % 8 || ptrdata > size ||
	    ptrdata % 8 || ptrdata > (1ull << 32) || !gcdata)
		return t;
	if (h->mask_on_demand && (tflag & TFLAG_GCMASK_ON_DEMAND)) {
		/* the slot holds the built bitmap, nil or &inProgress (bss) */
		uint64_t p = 0;
		if (!tread_u64(h, snap, gcdata, &p) || !p || in_mods(h, p, 1))
			return t;
		gcdata = p;
	} else if (!h->mask_on_demand && (kind & KIND_GCPROG)) {
		return t;
	}
	size_t nb = (size_t)((ptrdata / 8 + 7) / 8);
	uint8_t *bits = xcalloc(nb ? nb : 1, 1);
	if (tread(h, snap, gcdata, bits, nb) != nb) {
		free(bits);
		return t;
	}
	t->size = size;
	t->ptrdata = ptrdata;
	t->bits = bits;
	return t;
}

static bool load_hbits(const struct snapshot *snap, const struct goheap *h, struct goheap_span *sp)
{
	if (sp->hbits_state)
		return sp->hbits_state == 1;
	sp->hbits_state = 2;
	uint64_t size = sp->span_bytes / 64, end = sp->start + sp->span_bytes;
	bool inl = h->inline_marks && sp->elemsize >= 16;
	uint64_t base = end - size - (inl ? INLINE_MARKS_SIZE : 0);
	if (base < sp->limit || size % 8)
		return false;
	if (inl) {
		uint8_t cls;
		if (snapshot_read(snap, end - 1, &cls, 1) != 1 || cls != sp->spanclass)
			return false;
	}
	sp->hbits = xmalloc((size_t)size);
	if (snapshot_read(snap, base, sp->hbits, (size_t)size) != size) {
		free(sp->hbits);
		sp->hbits = NULL;
		return false;
	}
	sp->hbits_state = 1;
	return true;
}

const struct goheap_type *goheap_large_type(struct goheap *h, const struct snapshot *snap, uint32_t s)
{
	const struct goheap_span *sp = &h->spans[s];
	if (!h->precise || sp->spanclass >> 1)
		return NULL;
	const struct goheap_type *t = type_of(h, snap, sp->largetype);
	return t && t->bits ? t : NULL;
}

bool goheap_ptrmask(struct goheap *h, const struct snapshot *snap, uint32_t s, uint32_t obj, uint64_t first,
		    uint64_t *mask)
{
	struct goheap_span *sp = &h->spans[s];
	if (!h->precise)
		return false;
	uint64_t nw = sp->elemsize / 8;
	memset(mask, 0, (size_t)(nw + 63) / 64 * 8);
	if (sp->noscan)
		return true;
	if (sp->elemsize <= MALLOC_HEADER_MIN) {
		if (!load_hbits(snap, h, sp))
			return false;
		uint64_t w0 = (uint64_t)obj * nw;
		for (uint64_t k = 0; k < nw; k++)
			if ((sp->hbits[(w0 + k) / 64] >> ((w0 + k) % 64)) & 1)
				mask[k / 64] |= 1ull << (k % 64);
		return true;
	}
	const struct goheap_type *t;
	uint64_t skip = 0;
	if (sp->spanclass >> 1) {
		t = type_of(h, snap, first); /* the allocation header */
		skip = 1;
	} else {
		t = goheap_large_type(h, snap, s);
	}
	if (!t || !t->bits)
		return false;
	for (uint64_t k = skip; k < nw; k++)
		if (goheap_type_ptr(t, (k - skip) * 8))
			mask[k / 64] |= 1ull << (k % 64);
	return true;
}

bool goheap_load(struct goheap *h, const struct snapshot *snap, const struct golayout *l, const struct gobin *b,
		 char **why)
{
	memset(h, 0, sizeof(*h));
	h->bin = b;
	*why = NULL;
	static const enum golayout_id need[] = {
		GL_mh_arenas,	  GL_mh_heaparenas, GL_ha_spans,       GL_span_startaddr,   GL_span_npages,
		GL_span_freeindex, GL_span_nelems,   GL_span_allocbits, GL_span_spanclass,   GL_span_state,
		GL_span_elemsize,  GL_span_size,     GL_c_heap_arena_bytes, GL_c_pages_per_arena,
		GL_c_arena_l1_bits, GL_c_arena_l2_bits, GL_c_mspan_inuse,
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!golayout_has(l, need[i])) {
			*why = xasprintf("pileup's layout of this release lacks %s", golayout_name(need[i]));
			return false;
		}
	uint64_t mheap = l->global[GG_mheap];
	if (!mheap) {
		*why = xasprintf("runtime.mheap_ was not found");
		return false;
	}
	int64_t bytes = golayout_get(l, GL_c_heap_arena_bytes), per = golayout_get(l, GL_c_pages_per_arena),
		l2 = golayout_get(l, GL_c_arena_l2_bits);
	if (golayout_get(l, GL_c_arena_l1_bits) != 0 || bytes <= 0 || (bytes & (bytes - 1)) || per <= 0 || per > (1 << 20) ||
	    bytes % per || l2 <= 0 || l2 > 30 || golayout_size(l, GL_ha_spans) < (uint64_t)per * 8) {
		*why = xasprintf("the arena constants of the layout are not believable");
		return false;
	}
	h->arena_bytes = (uint64_t)bytes;
	h->pages_per_arena = (uint32_t)per;
	h->page_bytes = (uint64_t)(bytes / per);
	uint64_t base_off = golayout_has(l, GL_c_arena_base_offset) ? (uint64_t)golayout_get(l, GL_c_arena_base_offset)
								   : 0xffff800000000000u;
	uint64_t hdr[2], l2arr;
	if (snapshot_read(snap, mheap + (uint64_t)golayout_get(l, GL_mh_heaparenas), hdr, sizeof(hdr)) != sizeof(hdr) ||
	    !snapshot_read_u64(snap, mheap + (uint64_t)golayout_get(l, GL_mh_arenas), &l2arr))
		return fail(why, "mheap_ at 0x%llx is unreadable%.0llu", mheap, 0);
	if (hdr[1] > MAX_ARENAS || (hdr[1] && (!hdr[0] || !l2arr)))
		return fail(why, "mheap_.heapArenas claims %llu arenas%.0llu", hdr[1], 0);
	size_t n = (size_t)hdr[1];
	uint64_t *ids = xmalloc((n ? n : 1) * sizeof(*ids));
	if (snapshot_read(snap, hdr[0], ids, n * 8) != n * 8) {
		free(ids);
		return fail(why, "mheap_.heapArenas at 0x%llx is unreadable%.0llu", hdr[0], 0);
	}
	struct spanmap m = {0};
	for (m.cap = 1024; m.cap < 2 * n * (size_t)per + 1; m.cap <<= 1)
		;
	m.key = xcalloc(m.cap, sizeof(*m.key));
	m.val = xcalloc(m.cap, sizeof(*m.val));
	h->arenas = xcalloc(n ? n : 1, sizeof(*h->arenas));
	uint64_t *pages = xmalloc((size_t)per * 8);
	size_t capspans = 0;
	uint32_t ssize = (uint32_t)golayout_get(l, GL_span_size);
	unsigned char *sb = xmalloc(ssize);
	bool ok = true;
	for (size_t a = 0; a < n && ok; a++) {
		uint64_t ai = ids[a], ha;
		if (ai >> l2) {
			ok = fail(why, "mheap_.heapArenas holds arena index %llu, beyond the %llu the layout allows", ai,
				  1ull << l2);
			break;
		}
		for (size_t b = 0; b < a; b++)
			if (ids[b] == ai) {
				ok = fail(why, "mheap_.heapArenas lists arena %llu twice%.0llu", ai, 0);
				break;
			}
		if (!ok)
			break;
		if (!snapshot_read_u64(snap, l2arr + 8 * ai, &ha) || !ha) {
			ok = fail(why, "the heapArena of arena %llu is unreadable%.0llu", ai, 0);
			break;
		}
		if (getenv("PILEUP_GO_DEBUG"))
			fprintf(stderr, "pileup: go heap: arena %llu heapArena 0x%llx base 0x%llx\n", (unsigned long long)ai,
				(unsigned long long)ha, (unsigned long long)(ai * (uint64_t)bytes + base_off));
		struct goheap_arena *ar = &h->arenas[h->narenas++];
		ar->base = ai * (uint64_t)bytes + base_off;
		ar->page = xcalloc((size_t)per, sizeof(*ar->page));
		if (snapshot_read(snap, ha + (uint64_t)golayout_get(l, GL_ha_spans), pages, (size_t)per * 8) != (size_t)per * 8) {
			ok = fail(why, "heapArena.spans of arena %llu (at 0x%llx) is unreadable", ai, ha);
			break;
		}
		uint64_t prev = 0;
		uint32_t prevv = 0;
		for (uint32_t p = 0; p < (uint32_t)per && ok; p++) {
			uint64_t s = pages[p];
			if (!s)
				continue;
			if (s == prev) {
				ar->page[p] = prevv == UINT32_MAX ? 0 : prevv;
				continue;
			}
			bool found;
			uint32_t *v = spanmap_slot(&m, s, &found);
			uint64_t at = ar->base + (uint64_t)p * h->page_bytes;
			if (!found) {
				*v = UINT32_MAX;
				if (snapshot_read(snap, s, sb, ssize) != ssize) {
					ok = fail(why, "the span at 0x%llx (page 0x%llx) is unreadable", s, at);
					break;
				}
				uint8_t state = (uint8_t)uint_at(sb, (uint32_t)golayout_get(l, GL_span_state), 1);
				if (state == golayout_get(l, GL_c_mspan_inuse)) {
					struct goheap_span sp = {0};
					sp.mspan = s;
					sp.start = uint_at(sb, (uint32_t)golayout_get(l, GL_span_startaddr), 8);
					uint64_t npages = uint_at(sb, (uint32_t)golayout_get(l, GL_span_npages), 8);
					uint64_t nelems = uint_at(sb, (uint32_t)golayout_get(l, GL_span_nelems),
								  golayout_size(l, GL_span_nelems));
					uint64_t freeidx = uint_at(sb, (uint32_t)golayout_get(l, GL_span_freeindex),
								   golayout_size(l, GL_span_freeindex));
					sp.elemsize = uint_at(sb, (uint32_t)golayout_get(l, GL_span_elemsize), 8);
					sp.spanclass = (uint8_t)uint_at(sb, (uint32_t)golayout_get(l, GL_span_spanclass), 1);
					sp.noscan = sp.spanclass & 1;
					sp.largetype = golayout_has(l, GL_span_largetype)
							       ? uint_at(sb, (uint32_t)golayout_get(l, GL_span_largetype), 8)
							       : 0;
					sp.specials = golayout_has(l, GL_span_specials)
							      ? uint_at(sb, (uint32_t)golayout_get(l, GL_span_specials), 8)
							      : 0;
					uint64_t allocbits = uint_at(sb, (uint32_t)golayout_get(l, GL_span_allocbits), 8);
					uint64_t span_bytes = npages * h->page_bytes;
					if (sp.start % h->page_bytes || npages == 0 || npages > (1ull << 40) / h->page_bytes) {
						ok = fail(why, "the span at 0x%llx claims %llu pages", s, npages);
						break;
					}
					if (!sp.elemsize || !nelems || nelems > span_bytes / 8 || sp.elemsize > span_bytes ||
					    nelems * sp.elemsize > span_bytes || freeidx > nelems) {
						ok = fail(why, "the span at 0x%llx claims %llu objects that do not fit it", s, nelems);
						break;
					}
					sp.nelems = (uint32_t)nelems;
					sp.freeindex = (uint32_t)freeidx;
					sp.limit = sp.start + nelems * sp.elemsize;
					sp.span_bytes = span_bytes;
					size_t nb = (size_t)(nelems + 7) / 8;
					sp.alloc = xmalloc(nb);
					sp.mark = xcalloc(nb, 1);
					if (!allocbits || snapshot_read(snap, allocbits, sp.alloc, nb) != nb) {
						free(sp.alloc);
						free(sp.mark);
						ok = fail(why, "the allocation bits of the span at 0x%llx (0x%llx) are unreadable", s,
							  allocbits);
						break;
					}
					xgrow(&h->spans, &capspans, h->nspans + 1, sizeof(*h->spans));
					h->spans[h->nspans++] = sp;
					h->heap_bytes += nelems * sp.elemsize;
					*v = (uint32_t)h->nspans;
				} else if (state > 3) {
					ok = fail(why, "the span at 0x%llx has state %llu, which no span has", s, state);
					break;
				}
			}
			/* A freed span's pages keep pointing at its mspan, which may
			 * describe another span since (spanOf): not this page's. */
			uint32_t pv = *v;
			if (pv != UINT32_MAX && (at < h->spans[pv - 1].start || at >= h->spans[pv - 1].limit))
				pv = UINT32_MAX;
			prev = s;
			prevv = pv;
			ar->page[p] = pv == UINT32_MAX ? 0 : pv;
		}
	}
	free(sb);
	free(pages);
	free(ids);
	free(m.key);
	free(m.val);
	if (!ok) {
		goheap_deinit(h);
		return false;
	}
	qsort(h->arenas, h->narenas, sizeof(*h->arenas), cmp_arena);
	precise_init(h, snap, l);
	return true;
}

void goheap_deinit(struct goheap *h)
{
	for (size_t i = 0; i < h->nspans; i++) {
		free(h->spans[i].alloc);
		free(h->spans[i].mark);
		free(h->spans[i].hbits);
	}
	for (size_t i = 0; i < h->captypes; i++)
		free(h->types[i].bits);
	free(h->types);
	for (size_t i = 0; i < h->narenas; i++)
		free(h->arenas[i].page);
	free(h->spans);
	free(h->arenas);
	memset(h, 0, sizeof(*h));
}

bool goheap_find(struct goheap *h, uint64_t p, uint32_t *span, uint32_t *obj)
{
	if (!h->narenas)
		return false;
	size_t a = h->last;
	if (a >= h->narenas || p - h->arenas[a].base >= h->arena_bytes) {
		size_t lo = 0, hi = h->narenas;
		while (lo < hi) { /* the last arena at or below p */
			size_t mid = lo + (hi - lo) / 2;
			if (h->arenas[mid].base <= p)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!lo || p - h->arenas[lo - 1].base >= h->arena_bytes)
			return false;
		a = h->last = lo - 1;
	}
	uint32_t v = h->arenas[a].page[(p - h->arenas[a].base) / h->page_bytes];
	if (!v)
		return false;
	const struct goheap_span *s = &h->spans[v - 1];
	if (p < s->start || p >= s->limit)
		return false;
	*span = v - 1;
	*obj = (uint32_t)((p - s->start) / s->elemsize);
	return true;
}
