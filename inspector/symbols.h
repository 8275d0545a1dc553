/* symbols.h - pc -> frames, with inline expansion, cached per pc.
 *
 * One symbolizer per snapshot.  A pc is looked up once however many
 * threads return through it; each module's name, build-id and "library"
 * flag are computed once. */
#ifndef PILEUP_SYMBOLS_H
#define PILEUP_SYMBOLS_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>

#include "snapshot.h"

struct symbols;

struct symindex;
struct symcache;
struct symbols *symbols_create(struct snapshot *snap, Dwfl *dwfl, struct symindex *si, struct symcache *cache);
void symbols_destroy(struct symbols *sym);

/* Frames for one physical frame (innermost inline first, physical last).
 * activation: pc is the current instruction (frame 0 or a signal frame),
 * otherwise a return address, looked up at pc - 1.  The array stays valid
 * until the next lookup: copy it. */
const struct frame *symbols_lookup(struct symbols *sym, uint64_t pc, bool activation, size_t *n);

/* Number of distinct (pc, activation) pairs looked up so far. */
size_t symbols_distinct(const struct symbols *sym);

/* Demangles C++ and Rust names; returns a malloc'd string. */
char *symbols_demangle(const char *name);

/* True for the code of C/C++ runtimes: libc, ld.so, vdso, libstdc++... */
bool symbols_is_library_module(const char *path);
bool symbols_is_library_function(const char *name);

/* Build-id of the module holding pc, as hex, or NULL. Interned. */
const char *symbols_build_id(struct symbols *sym, const char *module);

#endif
