/* waitgraph.h - who waits for whom: chains, deadlocks, convoys.
 *
 * A pass over the finished model, like grouping, for every input (a saved
 * report's waits_on give the same graph): a thread that waits on an
 * object whose owner is a thread waits for that thread.  Each thread
 * waits for at most one, so following owners from any waiter either
 * comes back to a thread already on the chain - a deadlock, reported as
 * its cycle of threads and objects - or ends: at a thread that waits for
 * nobody (it sleeps, reads, runs, or waits on something without an
 * owner), the root of a convoy, ranked by how many threads wait behind
 * it; or at an object whose owner exited, an abandoned lock.  Goroutines
 * have no owners (Go records none): they take part only through the
 * per-group object counts. */
#ifndef PILEUP_WAITGRAPH_H
#define PILEUP_WAITGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "group.h"
#include "snapshot.h"

struct wg_cycle {
	size_t n;
	size_t *threads;   /* indices into snap->threads, in wait order: each waits for the next */
	uint32_t *objects; /* objects[i]: what threads[i] waits on (held by threads[i + 1]) */
};

/* The end of some chains: a thread everyone behind waits for, or an
 * abandoned object. */
struct wg_root {
	long thread;       /* index into snap->threads, -1 for an abandoned object */
	uint32_t object;   /* abandoned: the object; else one object it holds that others wait on */
	size_t direct;     /* threads waiting on what it holds */
	size_t behind;     /* threads whose chain ends here (direct ones included) */
};

struct waitgraph {
	struct wg_cycle *cycles;
	size_t ncycles;
	struct wg_root *roots; /* most threads behind first */
	size_t nroots;
	long *next;            /* per thread: index of the thread it waits for, -1 */
	long *cycle_of;        /* per thread: index into cycles, -1 */
};

struct waitgraph *waitgraph_build(const struct snapshot *snap);
void waitgraph_destroy(struct waitgraph *g);

/* The objects the members of a group wait on, most waiters first (ties
 * by address): how many of them, in *ret (malloc'd); members waiting on
 * a set (a select, a poll) count once for each object of it; ties by kind,
 * then address or fd number. */
struct wg_count {
	uint32_t object;
	size_t count;
	uint64_t order; /* ties: by kind and address (fd number), the same in every input */
};
size_t waitgraph_group_objects(const struct snapshot *snap, const struct group *g, struct wg_count **ret);

/* A member's wait, whatever its kind of member. */
const struct snap_wait *waitgraph_member_wait(const struct snapshot *snap, const struct group *g, size_t i);

#endif
