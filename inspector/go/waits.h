/* go/waits.h - what each goroutine waits on, read from the target.
 *
 * For a goroutine parked on a channel (chan send, chan receive, select),
 * its wait list (g.waiting: one sudog per channel) names the channels:
 * each hchan is read (element type from its runtime type descriptor,
 * capacity, length, closed) and its send and receive queues are walked
 * to count the goroutines on them.  A nil channel is shown as such.  For
 * sync.Mutex, RWMutex, WaitGroup and Cond the semaphore (or notify list)
 * address is the sudog's elem: from g.waiting where the release records
 * the sudog there (go1.26 on: sema.go), else from the runtime's semaphore
 * table (runtime.semtable: a treap of sudogs per root); the object around
 * it is read with the layout's offsets, and Go records no owner.
 * time.Sleep names its timer and wake time (g.sleepWhen from go1.23, the
 * timer's nextwhen before).  A goroutine in IO wait names its fd, live:
 * the poller's epoll registrations carry each fd's pollDesc, whose rg or
 * wg holds the goroutine; in a core (or when those do not say), the
 * pollDesc its netpollblock frames hold, among the words of its parked
 * frames.  A sync.Cond waiter before go1.26 is found the same way: its
 * notify list, from its stack words, when the list itself holds the
 * goroutine with a ticket it has not notified yet.  What the release or
 * the input does not record is said in a note, never guessed.  The goroutines' first sudogs and the channels
 * they name are read ahead in two batches.
 *
 * Everything read from the target is bounds-checked and checked against
 * itself (a sudog must point back at its goroutine and its channel, a
 * queue must link both ways, an hchan's element size must be its element
 * type's): a forged or torn object is "unknown" with a reason. */
#ifndef PILEUP_GOLANG_WAITS_H
#define PILEUP_GOLANG_WAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "go/bin.h"
#include "go/layout.h"
#include "snapshot.h"

/* The words of a goroutine descriptor that say what it waits on. */
struct gowaits_raw {
	uint64_t gp, waiting, timer;
	int64_t sleepwhen;
	uint64_t sp, stack_hi; /* where its parked frames lie (sched.sp, stack.hi) */
};

/* Parses them from a descriptor read with the layout (l->g_read bytes). */
void gowaits_parse(const struct golayout *l, uint64_t gp, const unsigned char *desc, struct gowaits_raw *out);

/* Fills snap->goroutines[i].waits_on from raw[i], for the first n
 * goroutines.  now_ns: the runtime's clock (nanotime) when the snapshot
 * was taken, 0 unknown (wake times are then absolute only). */
void gowaits_resolve(struct snapshot *snap, const struct golayout *l, const struct gobin *b,
		     const struct gowaits_raw *raw, size_t n, int64_t now_ns);

#endif
