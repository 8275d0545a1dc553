/* unwind.h - frames for every thread of a snapshot.
 *
 * Modules come from the snapshot's mappings (or the input's own hooks,
 * snapshot.report_modules and .open_module, e.g. a core file's), files
 * are opened as the target sees them (/proc/PID/map_files, /proc/PID/root,
 * a sysroot).  An engine (unwind/engine.h: libdw's, libunwind's) walks each
 * thread from the snapshot's registers and copied stack bytes into pcs, so
 * the same code unwinds live processes and cores; one symbols pass then
 * turns every walk into frames. */
#ifndef PILEUP_UNWIND_H
#define PILEUP_UNWIND_H

#include "error.h"
#include "snapshot.h"

/* --unwinder: libdw, falling back per thread to libunwind where libdw's
 * walk ends early and libunwind's reaches the entry frame (frames marked
 * with their engine); or one engine only. */
enum unwind_engine_id { UNWIND_AUTO, UNWIND_LIBDW, UNWIND_LIBUNWIND };

struct unwind_opts {
	const char *debuginfo_path; /* extra directories, ':'-separated */
	enum unwind_engine_id unwinder;
	/* --cross-check: every thread walked by both engines; differences on
	 * stderr, counted in stats.disagreements */
	bool cross_check;
	/* --debuginfod: modules holding pcs without local debug info are
	 * asked of the servers in DEBUGINFOD_URLS, within debuginfod_seconds
	 * for the whole run, after the capture (no thread stopped) */
	bool debuginfod;
	double debuginfod_seconds;
	const char *debuginfod_urls; /* DEBUGINFOD_URLS as main() found it */
	/* leave threads in a Go executable's code to golang.c (pclntab):
	 * then unwind_finish() must follow golang_add_goroutines() */
	bool defer_go;
};

struct unwind_stats {
	size_t frames;        /* physical frames walked */
	size_t distinct_pcs;  /* symbol lookups actually made */
	size_t recovered;     /* threads whose frame pointer was recovered */
	size_t fallbacks;     /* threads whose libunwind walk replaced libdw's */
	size_t cross_checked, disagreements; /* --cross-check */
	size_t debuginfod_found, debuginfod_asked;
};

/* Hex build-id of a module (a frame's interned module path), or NULL. */
const char *unwind_build_id(const struct snapshot *snap, const char *module);

/* Starts reporting the modules of a live snapshot and loading the debug
 * information of those holding pcs (the threads' pcs, say), on a thread
 * of its own, while the capture reads the threads; unwind_snapshot()
 * takes the result when it uses the default debuginfo path.  Needs only
 * snap->maps, which must not change meanwhile. */
void unwind_prefetch(struct snapshot *snap, const uint64_t *pcs, size_t npcs);

/* With o->defer_go, threads in Go code are left with t->unwind_deferred
 * set: go/golang.c walks them from the pclntab and clears it. */
struct pu_error *unwind_snapshot(struct snapshot *snap, const struct unwind_opts *o, struct unwind_stats *stats);

/* After golang_add_goroutines: walks (and classifies) the threads still
 * deferred with libdwfl. */
void unwind_finish(struct snapshot *snap, struct unwind_stats *stats);
/* Writes what this unwinder learned to the symbol cache (symcache.h). */
void unwind_flush(struct snapshot *snap);

/* The modules this unwinder reported, and its index of their symbols, for
 * the passes after it (naming a lock by its variable); NULL before
 * unwind_snapshot() and for saved reports. */
struct symindex;
void *unwind_dwfl(const struct snapshot *snap); /* a Dwfl * */
struct symindex *unwind_symindex(const struct snapshot *snap);

#endif
