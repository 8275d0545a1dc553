/* source.h - the source file a frame points at, read for the browser.
 *
 * Which files may be shown: a live capture or a local core names the
 * files of the local program's debug info, which are shown as named (a
 * live target's under its root, /proc/PID/root, first).  Any other
 * snapshot (a saved report: data from elsewhere, which could name
 * /etc/shadow) is shown a file only if the program the frame is in is
 * here with the report's build-id and its debug info names that very
 * file (debugsrc.h), or from under --source-dir DIR: the path as named
 * below DIR, or its last components (DIR/src/x.c for /build/proj/src/x.c),
 * never climbing out of DIR (openat2 RESOLVE_BENEATH).  --source-dir also
 * serves relative paths and files not found as named, for any snapshot.
 * Only regular files of at most 32 MiB are read, without blocking (never a
 * FIFO or a device); tabs are expanded.  When the file cannot be shown,
 * error says why in one line, and what to do. */
#ifndef PILEUP_TUI_SOURCE_H
#define PILEUP_TUI_SOURCE_H

#include <stddef.h>

#include "debugsrc.h"
#include "snapshot.h"

struct source_text {
	char *path;   /* the file read, or the path asked for */
	char *error;  /* why there is no text, or NULL */
	char **lines; /* without '\n', tabs expanded */
	size_t nlines;
};

/* What a browser session keeps for finding sources. */
struct source_ctx {
	const char *source_dir;  /* --source-dir, or NULL */
	struct debugsrc *debug;  /* made when first needed; freed by the owner */
};

/* The source of frame f (build_id: its module's, from the snapshot). */
struct source_text *source_load(const struct snapshot *snap, const struct frame *f, const char *build_id, struct source_ctx *ctx);
void source_free(struct source_text *src);

#endif
