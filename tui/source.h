/* source.h - the source file a frame points at, read for the browser.
 *
 * Paths come from the target's debug info.  A live target's files are
 * looked for under its root (/proc/PID/root) first, then as named.  Only
 * regular files of at most 32 MiB are read (never a FIFO or a device a
 * hostile path might name), without blocking; tabs are expanded.  When
 * the file cannot be shown, error says why in one line. */
#ifndef PILEUP_TUI_SOURCE_H
#define PILEUP_TUI_SOURCE_H

#include <stddef.h>

#include "snapshot.h"

struct source_text {
	char *path;   /* the file read, or the path asked for */
	char *error;  /* why there is no text, or NULL */
	char **lines; /* without '\n', tabs expanded */
	size_t nlines;
};

struct source_text *source_load(const struct snapshot *snap, const char *file);
void source_free(struct source_text *src);

#endif
