/* goview.h - a snapshot lowered to what another input can see.
 *
 * Inputs see different parts of a program (snapshot.lacks): a live
 * capture has every frame, Go's default traceback hides the runtime's
 * frames and goroutines, a pprof profile has no wait reasons and no ids,
 * no dump has threads.  Before a diff or a merge of snapshots from
 * different inputs, each is lowered to what all of them have: threads
 * dropped, runtime frames (unexported runtime.* functions, wrappers,
 * runtime.goexit) and system goroutines dropped, wait reasons, minutes
 * and ids forgotten, generic functions named as Go's traceback prints
 * them (F[...]), deep goroutines cut as a traceback of their Go release
 * cuts them (past 100 frames, SNAP_LACKS_GO_DEEP) or as its profiles do
 * (past 32 or 128 frames, for a profile: SNAP_LACKS_GO_IDS).  So the same goroutines make the same groups whichever
 * way they were read.  Then the groups are built again. */
#ifndef PILEUP_GOVIEW_H
#define PILEUP_GOVIEW_H

#include "analyze.h"
#include "snapshot.h"

/* Lowers snap (analyzed into a) to lack what `lacks` says, and groups it
 * again; nothing happens when it already lacks all of that. */
void goview_lower(struct snapshot *snap, unsigned lacks, const struct analyze_opts *o, struct analysis *a);
/* Only SNAP_LACKS_GO_LABELS of goview_lower: the goroutines' pprof labels
 * dropped and the groups made again (snapshots that lack nothing else
 * different). */
void goview_drop_labels(struct snapshot *snap, const struct analyze_opts *o, struct analysis *a);

#endif
