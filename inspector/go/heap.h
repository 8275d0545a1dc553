/* go/heap.h - the Go heap's objects, from the runtime's span metadata.
 *
 * mheap_.heapArenas lists the arenas; each heapArena's spans[] maps its
 * pages to mspans; an in-use span holds nelems objects of elemsize bytes
 * from startAddr, allocated as allocBits and freeindex say (mbitmap.go's
 * isFree).  goheap_load reads all of it once, through the snapshot, every
 * read bounds-checked: metadata that contradicts itself (a span outside
 * its arena, more objects than pages, an unknown state) makes it fail with
 * the reason, never a guess.  Then goheap_find maps any word to the object
 * that holds it, with a mark bit per object for the leak pass (leaks.c). */
#ifndef PILEUP_GO_HEAP_H
#define PILEUP_GO_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "go/layout.h"
#include "snapshot.h"

struct goheap_span {
	uint64_t start, limit, elemsize; /* limit: start + nelems * elemsize */
	uint64_t mspan, specials;        /* the mspan's address, its specials list */
	uint32_t nelems, freeindex;
	bool noscan;                     /* spanclass says: no pointers inside */
	uint8_t *alloc;                  /* copy of allocBits, (nelems + 7) / 8 bytes */
	uint8_t *mark;                   /* ours */
};

struct goheap_arena {
	uint64_t base;
	uint32_t *page; /* per page: 1 + span index, 0 none */
};

struct goheap {
	struct goheap_span *spans;
	size_t nspans;
	struct goheap_arena *arenas; /* sorted by base */
	size_t narenas;
	uint64_t arena_bytes, page_bytes;
	uint32_t pages_per_arena;
	uint64_t heap_bytes; /* bytes of objects in in-use spans */
	size_t last;         /* arena of the last lookup */
};

/* Fills h from the snapshot's mheap_ (layout l); false with *why (malloc'd)
 * when the layout lacks a fact or the metadata is not believable. */
bool goheap_load(struct goheap *h, const struct snapshot *snap, const struct golayout *l, char **why);
void goheap_deinit(struct goheap *h);

/* The in-use span and object holding address p (interior pointers
 * included); false when p is in no in-use span. */
bool goheap_find(struct goheap *h, uint64_t p, uint32_t *span, uint32_t *obj);

static inline bool goheap_allocated(const struct goheap_span *s, uint32_t i)
{
	return i < s->freeindex || (s->alloc[i >> 3] >> (i & 7)) & 1;
}

#endif
