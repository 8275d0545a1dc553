/* progress.h - one updating line on stderr while long work goes on.
 *
 * Only when stderr is a terminal, and only once the work has lasted a
 * moment (PROGRESS_DELAY_MS; PILEUP_PROGRESS_DELAY_MS overrides it for tests),
 * so that quick runs print nothing: the line is
 * redrawn at most ten times a second and erased when the work is done.
 * Never part of a report, never on a pipe or a file. */
#ifndef PILEUP_PROGRESS_H
#define PILEUP_PROGRESS_H

#include <stddef.h>

#define PROGRESS_DELAY_MS 300

/* Starts (or restarts) the line for what is being done ("reading goroutines"). */
void progress_begin(const char *what);
/* How far: done of total (total 0: unknown), or a note ("next capture in 4 s"). */
void progress_update(size_t done, size_t total);
void progress_note(const char *note);
/* Erases the line, if it was drawn. */
void progress_end(void);

#endif
