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
 * (layout_fields.h), per release. */
#include "go/heap.h"
#include "error.h"

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

bool goheap_load(struct goheap *h, const struct snapshot *snap, const struct golayout *l, char **why)
{
	memset(h, 0, sizeof(*h));
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
					sp.noscan = uint_at(sb, (uint32_t)golayout_get(l, GL_span_spanclass), 1) & 1;
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
	return true;
}

void goheap_deinit(struct goheap *h)
{
	for (size_t i = 0; i < h->nspans; i++) {
		free(h->spans[i].alloc);
		free(h->spans[i].mark);
	}
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
