/* compare.h - the same groups across several captures of one program.
 *
 * pileup --watch captures a process again and again; pileup diff reads two
 * saved snapshots.  Both hand each analyzed capture to a struct cmp, which
 * matches its groups (by stack: kind, wait and every frame's function, file
 * and line) with those of the captures before, and keeps each group's count
 * in every capture.  A group that grew from each capture to the next is a
 * leak suspect; its growth rate is (last - first) count per minute of time
 * between the first and the last capture.
 *
 * A struct cmp owns the captures handed to it, but keeps a snapshot (and
 * its analysis) alive only while it is the latest capture, or the latest
 * one holding some group that has since vanished: memory stays bounded by
 * the distinct groups, not by the number of captures. */
#ifndef PILEUP_COMPARE_H
#define PILEUP_COMPARE_H

#include <stdio.h>

#include "analyze.h"

struct cmp_capture {
	struct snapshot *snap;
	struct analysis a;
	size_t refs;
};

struct cmp_point {
	uint64_t at_us;     /* since the first capture (monotonic), or from taken_at */
	int64_t taken_at;   /* unix seconds, 0 unknown */
	size_t threads, goroutines;
	const char *label;  /* file name (diff), or NULL */
	pid_t pid;
};

struct cmp_row {
	enum group_kind kind;
	unsigned long long key;
	size_t *counts;            /* one per capture */
	struct cmp_capture *rep;   /* the latest capture holding the group */
	const struct group *group; /* the group in rep */
	double growth_per_min;     /* (last - first) / minutes; 0 if no time passed */
	bool suspect;              /* grew from every capture to the next */
};

struct cmp {
	struct cmp_point *points;
	size_t npoints, cap_points;
	struct cmp_row *rows;
	size_t nrows, cap_rows;
	size_t *slots;           /* hash table of row indices + 1 */
	size_t nslots;
	struct cmp_capture *last;
};

struct cmp *cmp_create(void);
void cmp_destroy(struct cmp *c);
/* Adds an analyzed capture taken at_us after the first one (for diff:
 * pass the snapshots' own times); takes ownership of snap and a. */
void cmp_add(struct cmp *c, struct snapshot *snap, struct analysis *a, uint64_t at_us, const char *label);
/* Minutes between the first and the last capture (0 if one or none). */
double cmp_minutes(const struct cmp *c);
/* The rows in display order: suspects by growth, then by change, then by
 * the latest count.  Returns a malloc'd array of row pointers. */
const struct cmp_row **cmp_sorted(const struct cmp *c);
/* Count of a row in the first and the last capture. */
size_t cmp_first(const struct cmp *c, const struct cmp_row *r);
size_t cmp_last(const struct cmp *c, const struct cmp_row *r);

/* Output (report_compare.c). */
struct compare_view {
	bool watch;        /* a --watch series: counts per capture, suspects */
	double interval_s; /* --watch SECONDS */
	size_t count;      /* --count, 0 for until interrupted */
	int width, height; /* a terminal updated in place: cut to its size */
};

/* One block: a --watch capture (every group's counts, growth and whether
 * it is a leak suspect), or diff's before/after/delta table. */
void report_compare_text(FILE *f, const struct cmp *c, const struct compare_view *v);
/* The leak suspects at the end of --watch. */
void report_compare_summary(FILE *f, const struct cmp *c);
/* {"comparison": "watch"|"diff", "captures": [...], "groups": [{...the
 * group's fields..., "before", "after", "delta", ...}]} */
void report_compare_json(FILE *f, const struct cmp *c, const struct compare_view *v);

#endif
