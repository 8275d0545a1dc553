/* unwind.h - frames for every thread of a snapshot, with libdwfl.
 *
 * Modules come from the snapshot's mappings (or the input's own hooks,
 * snapshot.report_modules and .open_module, e.g. a core file's), files
 * are opened as the target sees them (/proc/PID/map_files, /proc/PID/root,
 * a sysroot), and the thread callbacks serve the snapshot's registers and
 * copied stack bytes, so the same code unwinds live processes and cores. */
#ifndef PILEUP_UNWIND_H
#define PILEUP_UNWIND_H

#include "error.h"
#include "snapshot.h"

struct unwind_opts {
	const char *debuginfo_path; /* extra directories, ':'-separated */
};

struct unwind_stats {
	size_t frames;        /* physical frames walked */
	size_t distinct_pcs;  /* symbol lookups actually made */
	size_t recovered;     /* threads whose frame pointer was recovered */
};

/* Hex build-id of a module (a frame's interned module path), or NULL. */
const char *unwind_build_id(const struct snapshot *snap, const char *module);

struct pu_error *unwind_snapshot(struct snapshot *snap, const struct unwind_opts *o, struct unwind_stats *stats);

#endif
