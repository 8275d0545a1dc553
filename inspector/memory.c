#include "memory.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static uintptr_t heap_lo, heap_hi, heap_huge; /* set by memory_tune */

/* A page fault costs more than the zeroing of its page on some virtual
 * machines (15-20 us each on the development VM), and at 10,000 threads
 * pileup touches tens of MB in small pieces: names, frames, libdw's
 * inflated sections.  So the heap is grown ahead in one piece that the
 * kernel may back with 2 MB pages, every allocation below 32 MB comes from
 * it (one arena, no mmap), and freed memory stays for the next capture.
 * Live captures, cores and saved reports alike.  PILEUP_NO_TUNE=1 leaves
 * malloc as it is. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels say EINVAL */
#endif

void memory_tune(void)
{
	if (heap_hi || getenv("PILEUP_NO_TUNE"))
		return;
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	mallopt(M_TOP_PAD, 256 << 20);
	uintptr_t lo = (uintptr_t)sbrk(0);
	void *volatile grow = malloc(1 << 20); /* the heap grows by M_TOP_PAD */
	free(grow);
	uintptr_t hi = (uintptr_t)sbrk(0);
	lo = (lo + 4095) & ~(uintptr_t)4095;
	/* The first pages every run uses, in one call rather than a page
	 * fault each (~100 of them, ~10 us apiece on a virtual machine). */
	if (hi > lo)
		madvise((void *)lo, hi - lo < (512u << 10) ? hi - lo : 512u << 10, MADV_POPULATE_WRITE);
	/* Huge pages beyond the first 4 MB, where only big targets go: a
	 * small run would touch a whole 2 MB page for a few hundred KB. */
	uintptr_t big = (lo + (4u << 20) + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
	if (hi > big)
		madvise((void *)big, hi - big, MADV_HUGEPAGE); /* a hint */
	if (hi > lo) {
		heap_lo = lo;
		heap_hi = hi;
		heap_huge = big;
	}
}

/* Reading a module's DWARF with libdw takes megabytes of heap in small
 * pieces (a unit record and an abbreviation table for every compile unit
 * of libc, its line tables, the symbol index): 4 KB pages cost a fault
 * each, a third of a 100-thread core's first run here.  From the start of
 * malloc's unused top on, 2 MB pages; warm runs never get here. */
void memory_expect_growth(void)
{
#ifndef __SANITIZE_ADDRESS__
	if (!heap_hi)
		return;
	struct mallinfo2 mi = mallinfo2();
	uintptr_t top = heap_lo + (mi.arena > mi.keepcost ? mi.arena - mi.keepcost : 0);
	uintptr_t from = (top + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
	if (from < heap_huge && from < heap_hi) {
		madvise((void *)from, heap_hi - from, MADV_HUGEPAGE); /* a hint */
		/* Up to there, 4 KB pages: in place in one call. */
		top &= ~(uintptr_t)4095;
		if (top > heap_lo && top < from)
			madvise((void *)top, from - top, MADV_POPULATE_WRITE);
		heap_huge = from;
	}
#endif
}
