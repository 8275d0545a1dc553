/* symindex.h - each module's ELF symbols, indexed once.
 *
 * libdwfl answers "which symbol holds this address" by scanning the whole
 * symbol table on every call (10,000 symbols for libc), and has no lookup
 * by name.  Here each module's table is read once, when first asked, into
 * an array sorted by address (binary search) and, when a name is first
 * asked for, a hash of its function names.  One index serves the whole
 * unwinder: symbols.c, tailcall.c and unwind.c share it. */
#ifndef PILEUP_SYMINDEX_H
#define PILEUP_SYMINDEX_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>

struct symindex;

struct symhit {
	const char *name; /* as in the symbol table (versions included) */
	uint64_t value;   /* address in the target */
	uint64_t size;
	uint8_t bind, type;
};

struct symindex *symindex_create(Dwfl *dwfl);
void symindex_destroy(struct symindex *si);

/* The symbol holding addr in mod, chosen as libdwfl chooses it: among
 * the symbols with a size that cover addr, global ones before local ones,
 * then the nearest start, the stronger binding, the smaller size; failing
 * that, the nearest size-less label in addr's section above the end of
 * every sized symbol below addr. */
bool symindex_lookup(struct symindex *si, Dwfl_Module *mod, uint64_t addr, struct symhit *hit);

/* The name programs call a function at value by: the first global
 * function symbol there whose name does not start with '_' (glibc's
 * pthread_mutex_lock for __pthread_mutex_lock), else NULL. */
const char *symindex_public_alias(struct symindex *si, Dwfl_Module *mod, uint64_t value);

/* Entry address of the function called name (versions "@..." ignored): a
 * unique local function symbol of the module holding near, else a unique
 * global one among all modules; 0 if there is none or it is ambiguous. */
uint64_t symindex_function_by_name(struct symindex *si, const char *name, uint64_t near);

#endif
