/* symcache.h - symbolized pcs kept between runs.
 *
 * Symbolizing is the dearest part of a small report: libc's DWARF (its
 * address ranges, the compile unit, the line table, the inline scopes, the
 * call sites that tail calls left) costs more than unwinding a hundred
 * threads.  The same program is usually looked at again (the next capture
 * of a hung service, the next core of a crashing one), so what a run
 * learned is written to the cache directory (debugcache.h's), as offsets
 * into modules, and read back by the next run of the same program.
 *
 * One file per program: its name hashes, and its header holds, a key made
 * of every module's build-id, its file's size, time and inode, and the
 * time of each directory a debug file for it could be in (DIR/.build-id
 * and the DIR/.build-id/XX that exist, the file's directory and its
 * .debug/, DIR/ plus the file's directory), pileup's version and the debug
 * search path.  Installing a -dbg package changes a directory's time, and
 * so do rebuilding the program or upgrading libc their files': a new key,
 * and the stale file is never used; yet a warm run looks for no debug
 * file that is not there.  Tail-call frames (tailcall.h) depend on
 * every module's symbols, so they are keyed by the whole program too.  The
 * call-frame rows of the pcs unwound through (cfirows.h) are kept as well:
 * a warm run reads no .eh_frame either.
 *
 * PILEUP_CACHE_DIR= (empty) turns the cache off, PILEUP_NO_SYMCACHE=1 this
 * one only.  A file that cannot be read or does not parse is ignored and
 * replaced; one that cannot be written is not. */
#ifndef PILEUP_SYMCACHE_H
#define PILEUP_SYMCACHE_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symcache;

/* One frame of a pc's expansion: what does not depend on where the module
 * is loaded.  Strings are the cache's (valid until symcache_close). */
struct symcache_frame {
	const char *function, *file;
	int line;
	uint64_t offset; /* frame.offset */
	bool inlined;
};

/* NULL when caching is off or the program's key cannot be made (a module
 * twice, no module). */
struct symcache *symcache_open(Dwfl *dwfl, const char *debuginfo_path);
/* Writes what was learned since the last write, if anything. */
void symcache_flush(struct symcache *c);
/* Flushes, then frees. */
void symcache_close(struct symcache *c);

/* The frames of (pc, activation), pc as looked up (a return address
 * minus 1), from the cache: their number, or -1. */
long symcache_get_frames(struct symcache *c, uint64_t pc, bool activation, const struct symcache_frame **frames);
void symcache_put_frames(struct symcache *c, uint64_t pc, bool activation, const struct symcache_frame *f, size_t n);

/* Tail-call pcs between a callee's lookup pc and its caller's return
 * address: their number, or -1 if not cached. */
long symcache_get_tails(struct symcache *c, uint64_t callee, uint64_t ra, uint64_t *out, size_t max);
void symcache_put_tails(struct symcache *c, uint64_t callee, uint64_t ra, const uint64_t *pcs, size_t n);

/* The call-frame row at lookup (cfirows.h): 1 and *row, 0 when it is
 * known to have no simple row, -1 when not cached. */
struct cfirow;
int symcache_get_row(struct symcache *c, uint64_t lookup, struct cfirow *row);
/* row NULL: no simple row there. */
void symcache_put_row(struct symcache *c, uint64_t lookup, const struct cfirow *row);

/* Counts for tests and PILEUP_TIMING: entries read, used, added. */
struct symcache_stats {
	size_t loaded, hits, added;
	bool file_found;
};
void symcache_stats(const struct symcache *c, struct symcache_stats *st);

#endif
