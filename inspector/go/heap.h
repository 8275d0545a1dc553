/* go/heap.h - the Go heap's objects, from the runtime's span metadata.
 *
 * mheap_.heapArenas lists the arenas; each heapArena's spans[] maps its
 * pages to mspans; an in-use span holds nelems objects of elemsize bytes
 * from startAddr, allocated as allocBits and freeindex say (mbitmap.go's
 * isFree).  goheap_load reads all of it once, through the snapshot, every
 * read bounds-checked: metadata that contradicts itself (a span outside
 * its arena, more objects than pages, an unknown state) makes it fail with
 * the reason, never a guess.  Then goheap_find maps any word to the object
 * that holds it, with a mark bit per object for the leak pass (leaks.c),
 * and goheap_ptrmask says which words of an object the runtime's own scan
 * would follow (Go 1.22+: the span's heap bits or the object's type),
 * where that can be told. */
#ifndef PILEUP_GO_HEAP_H
#define PILEUP_GO_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "go/bin.h"
#include "go/layout.h"
#include "snapshot.h"

struct goheap_span {
	uint64_t start, limit, elemsize; /* limit: start + nelems * elemsize */
	uint64_t span_bytes;             /* npages * page size */
	uint64_t mspan, specials;        /* the mspan's address, its specials list */
	uint32_t nelems, freeindex;
	bool noscan;                     /* spanclass says: no pointers inside */
	uint8_t spanclass;
	uint64_t largetype;              /* sizeclass 0, Go 1.22+: mspan.largeType */
	uint64_t *hbits;                 /* copy of the span's heap bits, read when first needed */
	uint8_t hbits_state;             /* 0 not read, 1 read, 2 unusable */
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
	/* Go 1.22+ (allocation headers): pointer words can be told; 1.26+
	 * (green tea): small spans end in spanInlineMarkBits */
	bool precise, inline_marks;
	const struct gobin *bin; /* the executable: read-only bytes from its file (NULL: from memory) */
	int64_t ty_size, ty_ptrdata, ty_tflag, ty_kind, ty_gcdata;
	bool mask_on_demand; /* go1.24+: TFlagGCMaskOnDemand, else KindGCProg */
	struct goheap_type *types; /* open addressing, by descriptor address */
	size_t ntypes, captypes;
	uint64_t mods[16][2];      /* modules' [types, etypes) and [data, enoptrbss) */
	size_t nmods;
	uint64_t precise_objs, conservative_objs; /* for PILEUP_GO_DEBUG */
};

/* A type descriptor's pointer words: bit k of bits is word k of an
 * element of size bytes; words from ptrdata on hold none. */
struct goheap_type {
	uint64_t addr, size, ptrdata;
	uint8_t *bits; /* NULL: cannot be told */
};

/* Fills h from the snapshot's mheap_ (layout l; b, the executable, may be
 * NULL); false with *why (malloc'd)
 * when the layout lacks a fact or the metadata is not believable. */
bool goheap_load(struct goheap *h, const struct snapshot *snap, const struct golayout *l, const struct gobin *b,
		 char **why);
void goheap_deinit(struct goheap *h);

/* The in-use span and object holding address p (interior pointers
 * included); false when p is in no in-use span. */
bool goheap_find(struct goheap *h, uint64_t p, uint32_t *span, uint32_t *obj);

/* Which words of object obj of span s the runtime's scan follows: bit k
 * of mask (elemsize / 8 bits, zeroed first) for word k.  first is the
 * object's first word (its allocation header, when it has one).  False
 * when that cannot be told: then every word is to be scanned. */
bool goheap_ptrmask(struct goheap *h, const struct snapshot *snap, uint32_t s, uint32_t obj, uint64_t first,
		    uint64_t *mask);

/* A big object (sizeclass 0): its type, or NULL when the pointer words
 * cannot be told. */
const struct goheap_type *goheap_large_type(struct goheap *h, const struct snapshot *snap, uint32_t s);

static inline bool goheap_type_ptr(const struct goheap_type *t, uint64_t off)
{
	uint64_t o = off % t->size;
	return o < t->ptrdata && (t->bits[o / 64] >> (o / 8 % 8)) & 1;
}

static inline bool goheap_allocated(const struct goheap_span *s, uint32_t i)
{
	return i < s->freeindex || (s->alloc[i >> 3] >> (i & 7)) & 1;
}

#endif
