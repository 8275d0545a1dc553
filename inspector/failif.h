/* failif.h - --fail-if: health checks for scripts and CI.
 *
 *   threads>N      more than N threads
 *   goroutines>N   more than N goroutines
 *   group>N        some group (identical stacks) of more than N threads or
 *                  goroutines
 *   dominant       some wait site is dominant (--dominant PCT)
 *   deadlock       some threads wait for each other in a cycle (waitgraph.h)
 *   leaked>N       more than N goroutines can never wake (implies --leaks;
 *                  a capture without a verdict counts as a failure)
 *   growth>N/min   some group grew faster than N per minute, from the first
 *                  capture to the last (--watch, or diff of two snapshots
 *                  whose capture times are known)
 *
 * '>=' works too.  The levels are checked on the last capture.  Each
 * condition that holds prints one line on stderr; any of them makes the
 * exit status PU_EXIT_FAIL_IF. */
#ifndef PILEUP_FAILIF_H
#define PILEUP_FAILIF_H

#include <stdbool.h>
#include <stdio.h>

#include "compare.h"
#include "error.h"
#include "report.h"

enum fail_kind { FAIL_THREADS, FAIL_GOROUTINES, FAIL_GROUP, FAIL_DOMINANT, FAIL_GROWTH, FAIL_DEADLOCK, FAIL_LEAKED };

struct fail_cond {
	enum fail_kind kind;
	double limit;
	bool or_equal;
	const char *text; /* as given */
};

struct pu_error *fail_if_parse(const char *s, struct fail_cond *ret);
/* Whether c holds for the last report (and, for growth, the series cmp,
 * which may be NULL for a single capture); prints why on f. */
bool fail_if_check(const struct fail_cond *c, const struct report *last, const struct cmp *series, FILE *f);

#endif
