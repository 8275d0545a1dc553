/*
 * dwarf_rust.c - scopes of a pc in Rust's DWARF (see dwarf_rust.h).
 *
 * One index per compile unit: the address ranges of every subprogram found
 * under the CU and its namespaces, sorted.  A lookup is a binary search,
 * then a descent through the subprogram's blocks and inlined subroutines,
 * which records the concrete chain on the way (so callers need no
 * dwarf_getscopes_die, another walk of the whole CU, to climb out of an
 * inlined instance).
 */
#include "dwarf_rust.h"
#include "error.h"

#include <dwarf.h>
#include <stdbool.h>
#include <stdlib.h>

#define MAX_NEST 256 /* namespaces, blocks and inline levels */

struct fn_range {
	Dwarf_Addr lo, hi;
	Dwarf_Off die;
};

struct cu_index {
	Dwarf *dbg;
	Dwarf_Off cu; /* offset of the CU DIE */
	struct fn_range *fns;
	size_t n, cap;
};

struct dwarf_rust {
	struct cu_index *cus;
	size_t n, cap;
};

struct dwarf_rust *dwarf_rust_create(void)
{
	return xcalloc(1, sizeof(struct dwarf_rust));
}

void dwarf_rust_destroy(struct dwarf_rust *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->cus[i].fns);
	free(r->cus);
	free(r);
}

static void collect(struct cu_index *ix, Dwarf_Die *die, int depth)
{
	Dwarf_Die child;
	if (depth > MAX_NEST || dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_namespace) {
			collect(ix, &child, depth + 1);
		} else if (tag == DW_TAG_subprogram) {
			Dwarf_Addr base, lo, hi;
			ptrdiff_t off = 0;
			while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0) {
				if (lo >= hi)
					continue;
				xgrow(&ix->fns, &ix->cap, ix->n + 1, sizeof(*ix->fns));
				ix->fns[ix->n++] = (struct fn_range){lo, hi, dwarf_dieoffset(&child)};
			}
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int by_lo(const void *a, const void *b)
{
	const struct fn_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct cu_index *index_of(struct dwarf_rust *r, Dwarf_Die *cudie)
{
	Dwarf *dbg = dwarf_cu_getdwarf(cudie->cu);
	Dwarf_Off cu = dwarf_dieoffset(cudie);
	for (size_t i = 0; i < r->n; i++)
		if (r->cus[i].dbg == dbg && r->cus[i].cu == cu)
			return &r->cus[i];
	xgrow(&r->cus, &r->cap, r->n + 1, sizeof(*r->cus));
	struct cu_index *ix = &r->cus[r->n++];
	*ix = (struct cu_index){.dbg = dbg, .cu = cu};
	collect(ix, cudie, 0);
	qsort(ix->fns, ix->n, sizeof(*ix->fns), by_lo);
	return ix;
}

int dwarf_rust_getscopes(struct dwarf_rust *r, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **scopes)
{
	*scopes = NULL;
	struct cu_index *ix = index_of(r, cudie);
	/* The last range starting at or below pc. */
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->fns[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || pc >= ix->fns[lo - 1].hi)
		return 0;
	Dwarf_Die chain[MAX_NEST + 1];
	int n = 0;
	if (!dwarf_offdie(ix->dbg, ix->fns[lo - 1].die, &chain[0]))
		return 0;
	n = 1;
	/* Down through the blocks and inlined subroutines holding pc. */
	while (n <= MAX_NEST) {
		Dwarf_Die child;
		bool found = false;
		if (dwarf_child(&chain[n - 1], &child) == 0) {
			do {
				int tag = dwarf_tag(&child);
				if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) &&
				    dwarf_haspc(&child, pc) > 0) {
					chain[n++] = child;
					found = true;
					break;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		if (!found)
			break;
	}
	*scopes = xmalloc((size_t)n * sizeof(**scopes));
	for (int i = 0; i < n; i++)
		(*scopes)[i] = chain[n - 1 - i];
	return n;
}
