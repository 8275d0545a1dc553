/* input_gotrace.h - Go traceback text as a snapshot.
 *
 * Reads what Go prints for goroutines: runtime.Stack(buf, true) and
 * /debug/pprof/goroutine?debug=2, panic output, SIGQUIT and
 * GOTRACEBACK=all|system|crash tracebacks (with their per-thread register
 * dumps and "goroutine 0" system stacks, skipped), from Go 1.19 to 1.27
 * (headers with gp=/m=, "[N minutes]", "locked to thread", "(leaked)",
 * labels; "created by F in goroutine N"; inlined "(...)" frames; "+0x"
 * offsets and fp/sp/pc; "...N frames elided..."), anywhere in a longer
 * log: every line that is not part of a traceback is skipped.  Each
 * goroutine keeps what the text carries: id, status, wait reason,
 * minutes, locked, functions, files, lines, created by.
 *
 * A file with several tracebacks gives the last one, and a warning names
 * the lines it came from; a traceback cut off mid-goroutine gives the
 * goroutines that are complete and a warning about the rest.  The text is
 * untrusted: any bytes give a snapshot or one error line. */
#ifndef PILEUP_INPUT_GOTRACE_H
#define PILEUP_INPUT_GOTRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "snapshot.h"

/* Whether buf holds a goroutine header ("goroutine N [") at a line start. */
bool input_gotrace_detect(const char *buf, size_t len);
/* Parses buf (from is the file or URL it came from, for messages). */
struct pu_error *input_gotrace_parse(const char *from, const char *buf, size_t len, struct snapshot **ret);

#endif
