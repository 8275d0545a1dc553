/* objnamer.h - a name for an address in the target's memory.
 *
 * The variable that holds it, from the module's symbol table (globals and
 * statics, C++ and Rust names demangled, "+0x28" inside a bigger one);
 * else where it lies: "stack of thread T", "heap" (anonymous memory), or
 * "MODULE+0xOFFSET" in a module's data without a symbol.  NULL when the
 * address is in no mapping at all.  Names are interned in the snapshot;
 * like every name from the target they are raw bytes (sanitize.h). */
#ifndef PILEUP_OBJNAMER_H
#define PILEUP_OBJNAMER_H

#include <stdint.h>

#include "snapshot.h"

struct objnamer;

/* For a snapshot that unwind_snapshot() reported modules for (else only
 * stacks and heap are named). */
struct objnamer *objnamer_create(struct snapshot *snap);
void objnamer_destroy(struct objnamer *n);
/* The name of the object starting at addr. */
const char *objnamer_name(struct objnamer *n, uint64_t addr);
/* The thread whose stack holds addr, or 0. */
pid_t objnamer_stack_thread(struct objnamer *n, uint64_t addr);

#endif
