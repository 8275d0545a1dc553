/* merge.h - pileup merge: many snapshots of one build as one.
 *
 * A bad deploy hangs the same service on many hosts; their snapshots
 * (saved reports, dumps, URLs, even live captures) become one snapshot
 * whose threads and goroutines are all of theirs, each marked with the
 * host it came from (snapshot.hosts), so grouping sums across hosts and
 * every output (text, JSON, browser, pprof) shows one report; groups
 * carry their count per host and the hosts where they are absent.
 *
 * The snapshots must be of the same build: by the executable's build-id
 * where both have one, else by its path and Go version where known; a
 * mismatch is refused naming both.  Snapshots from different inputs are
 * first lowered to what all of them can see (goview.h). */
#ifndef PILEUP_MERGE_H
#define PILEUP_MERGE_H

#include "analyze.h"
#include "error.h"
#include "snapshot.h"

struct merge_input {
	const char *host;     /* the name it is shown by */
	struct snapshot *snap; /* analyzed into a */
	struct analysis a;
};

/* Merges in[0..n) (consumed: each snapshot and analysis is freed) into a
 * new snapshot, to be analyzed like any other. */
struct pu_error *merge_snapshots(struct merge_input *in, size_t n, const struct analyze_opts *o, struct snapshot **ret);
/* The name a target is shown by in a merge: HOST:PORT of a URL, a file's
 * name without its directory and extension, "pid N". */
char *merge_host_name(const char *target);
/* A group's count on each host of snap (snap->nhosts entries, malloc'd). */
size_t *merge_group_hosts(const struct snapshot *snap, const struct group *g);

#endif
