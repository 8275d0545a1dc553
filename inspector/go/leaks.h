/* go/leaks.h - which goroutines can never wake (--leaks).
 *
 * The verdict of Go 1.27's goroutine leak detector, from outside: mark
 * the heap (heap.h) from the roots -- every module's data and bss, the
 * stacks of goroutines that are not blocked on a channel or a sync
 * primitive, OS threads' registers and stacks, finalizer and cleanup
 * specials, queued finalizers -- scanning the roots conservatively and
 * each object by the words the runtime's own scan follows where heap.h
 * can tell them (go1.22+), else every word; then a blocked goroutine whose channel (sudog.c) or primitive
 * (sudog.elem) is marked, or not in the heap, may still be woken: its
 * stack becomes a root, until nothing changes.  The rest are leaked.
 * The candidates are the wait reasons of Go's detector (mgc.go at
 * go1.27.3: isMaybeRunnable); the sudogs' c and elem words are not
 * followed, as the detector hides them (setSyncObjectsUntraceable).  A
 * conservative scan only adds reachability: a goroutine called leaked is
 * one Go's detector calls leaked too; a stale word can hide a leak.
 *
 * Sets snap->leaks and every goroutine's leaked, or snap->leaks.problem
 * (a live process captured without --stop-all, metadata that does not
 * hold together: "no verdict", never a guess). */
#ifndef PILEUP_GO_LEAKS_H
#define PILEUP_GO_LEAKS_H

#include "go/bin.h"
#include "go/layout.h"
#include "snapshot.h"

void goleaks_run(struct snapshot *snap, const struct golayout *l, const struct gobin *b);

#endif
