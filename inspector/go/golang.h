/* go/golang.h - the goroutines of a Go program.
 *
 * For a snapshot of a Go program (its executable has .go.buildinfo), sets
 * the Go version and module path, lists every goroutine of runtime.allgs
 * (id, status, wait reason, wait minutes, thread, locked, created by) with
 * its stack, unwound from g.sched, the syscall context or its thread's
 * registers with the pclntab's frame sizes, cross-checked with the frame
 * pointer chain, and symbolized from the pclntab (inlined calls included),
 * so stripped binaries work.  Threads in Go code are walked the same way
 * (unwind.c leaves them to it, and unwind_finish() takes any it cannot),
 * which completes and names them.  The memory is
 * read through the snapshot only, so live processes and cores are alike.
 * When goroutines cannot be listed (an unsupported Go version without
 * DWARF, say), a warning on the snapshot says why and threads stay. */
#ifndef PILEUP_GOLANG_H
#define PILEUP_GOLANG_H

#include "snapshot.h"

/* Sets a goroutine's wait site (its innermost frame outside the runtime
 * and the standard library, else the function it started in) and its
 * blocking call (the frame just inside the site), from its frames. */
void golang_goroutine_site(struct snap_goroutine *g);

/* After unwinding and classification of the threads. */
void golang_add_goroutines(struct snapshot *snap);

#endif
