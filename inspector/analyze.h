/* analyze.h - everything between an input and an output.
 *
 * Unwinds the threads that have registers but no frames yet, classifies
 * them, reads what each waits on (waits.h), follows owners from waiter to
 * holder (waitgraph.h), and groups threads (and goroutines, when the Go support added
 * them) by stack and by wait site.  The result is a struct report that
 * every output reads. */
#ifndef PILEUP_ANALYZE_H
#define PILEUP_ANALYZE_H

#include "error.h"
#include "report.h"
#include "snapshot.h"
#include "unwind.h"

struct analyze_opts {
	struct unwind_opts unwind;
	double dominant_pct;
	bool leaks; /* --leaks: which goroutines can never wake (go/leaks.h) */
};

struct analysis {
	struct report report;
	struct grouping *threads, *sites, *goroutines, *gsites;
	struct waitgraph *graph;
};

struct pu_error *analyze_snapshot(struct snapshot *snap, const struct analyze_opts *o, struct analysis *ret);
/* Builds a's groups again, from snap as it is now (goview.h). */
void analyze_regroup(struct snapshot *snap, const struct analyze_opts *o, struct analysis *a);
void analysis_deinit(struct analysis *a);

#endif
