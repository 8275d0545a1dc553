/* group.h - threads (or goroutines) with the same blocked stack, ranked.
 *
 * By stack: identical frames (function, file, line; module+offset where
 * there is no symbol) and the same wait.  By site: the same wait site and
 * wait.  A wait site is dominant when it holds at least dominant_pct
 * percent of all threads (or goroutines). */
#ifndef PILEUP_GROUP_H
#define PILEUP_GROUP_H

#include "snapshot.h"

enum group_kind { GROUP_THREADS, GROUP_GOROUTINES };
enum group_by { GROUP_BY_STACK, GROUP_BY_SITE };

struct group {
	enum group_kind kind;
	size_t count;
	double share;
	bool dominant;
	const char *wait;          /* wait class, or Go wait reason */
	const struct frame *frames; /* of the first member */
	size_t nframes;
	int wait_site, blocking_call; /* indices into frames, -1 */
	size_t *members;           /* indices into snap->threads or goroutines */
	int64_t wait_min_lo, wait_min_hi; /* goroutines: range of wait minutes, -1 none */
	unsigned long long key;
	bool crashed;              /* holds the thread that crashed (cores) */
	const char *labels;        /* goroutines: their pprof labels (dump.h), or NULL */
	size_t leaked;             /* goroutines: members that can never wake (--leaks, or Go's "(leaked)") */
};

struct grouping {
	enum group_kind kind;
	enum group_by by;
	struct group *groups;
	size_t ngroups;
	size_t total;
	double dominant_pct;
};

struct grouping *grouping_build(const struct snapshot *snap, enum group_kind kind, enum group_by by, double dominant_pct);
void grouping_destroy(struct grouping *g);

/* Member ids (tids or goroutine ids) of a group, in ascending order. */
int64_t group_member_id(const struct snapshot *snap, const struct group *g, size_t i);
/* Formats sorted ids as ranges "1201-1240,1300" into a malloc'd string. */
char *group_format_ranges(const int64_t *ids, size_t n);
/* Stable keys, for matching groups across snapshots (of the same program,
 * or of its saved reports): of a group's wait site and wait, and of its
 * kind, wait and whole stack (functions, files and lines; module and
 * offset where there is no symbol). */
unsigned long long group_site_key(const struct group *g);
unsigned long long group_stack_key(const struct group *g);

#endif
