/* report.h - the reports (text, JSON, folded stacks, SVG graph), all read
 * from one struct report. */
#ifndef PILEUP_REPORT_H
#define PILEUP_REPORT_H

#include <stdio.h>

#include "error.h"
#include "group.h"
#include "snapshot.h"
#include "unwind.h"

struct report {
	const struct snapshot *snap;
	const struct grouping *threads;    /* by stack */
	const struct grouping *goroutines; /* by stack, NULL if none */
	const struct grouping *sites;      /* threads by wait site */
	const struct grouping *gsites;     /* goroutines by wait site, or NULL */
	const struct waitgraph *graph;     /* who waits for whom (waitgraph.h) */
	struct unwind_stats unwind;
	uint64_t analyze_us;               /* unwind + symbolize + group */
	double dominant_pct;
	/* text: how many frames of each stack to print (0: all) */
	size_t max_frames;
	/* text: print Go's compiler-generated wrappers (hidden by default,
	 * as Go's own tracebacks do) */
	bool show_wrappers;
	const char *(*build_id)(const struct snapshot *snap, const char *module);
	/* JSON: the format version written (1 or 2; 0: the current one, 2) */
	int json_version;
};

void report_text(FILE *f, const struct report *r);
/* Format version r->json_version (README "JSON format"): version 2 writes
 * each distinct stack, module and goroutine creator once, in top-level
 * tables that threads, goroutines and groups refer to by id. */
void report_json(FILE *f, const struct report *r);
/* Folded stacks: one line per distinct stack, outermost frame first,
 * frames joined by ';', the wait as the leaf ("[condvar]", "[chan send]"),
 * a space and the count; goroutines and threads alike, identical lines
 * merged, by count then text.  Read by flamegraph.pl, inferno, speedscope. */
void report_folded(FILE *f, const struct report *r);
/* An icicle graph of the same stacks as a standalone SVG: root at the top,
 * threads and goroutines below it, widths by count, dominant wait sites
 * highlighted, a tooltip per rectangle.  Always well-formed XML. */
void report_svg(FILE *f, const struct report *r);
/* report_svg into the file at path; a one-line error if it cannot. */
struct pu_error *report_svg_write(const char *path, const struct report *r);
/* A pprof goroutine profile (profile.proto, gzipped) of the same stacks
 * at path: one sample per distinct stack (threads and goroutines), its
 * count as the value, functions, files, lines and inlined calls, labels
 * "kind" (thread, goroutine) and "wait" (class or Go wait reason); read by
 * go tool pprof and by continuous-profiling systems. */
struct pu_error *report_pprof_write(const char *path, const struct report *r);
/* A frame's name in folded stacks and the graph: the function, or
 * "module+0xOFFSET" (in buf) without one.  Raw bytes from the target. */
const char *report_frame_name(const struct frame *f, char *buf, size_t size);

/* Pieces of the JSON report, for outputs that embed them (diff, watch):
 * the "target" object, and the members of one group object (without its
 * braces, so a caller can add its own). */
struct json;
/* Starts the top object: {"pileup": 1, "version": ... (comparisons are
 * still format 1: a few groups, each with its frames) */
void report_json_begin(struct json *j, FILE *f);
void report_json_begin_version(struct json *j, FILE *f, int version);
void report_json_target(struct json *j, const struct report *r);
void report_json_group_fields(struct json *j, const struct report *r, const struct group *g);

/* What waiters wait on (report_waits.c): a thread's or goroutine's
 * "waits_on" member (nothing when none is known); a group's "objects"
 * (nothing when none); the top-level "deadlocks" and "convoys"; and the
 * text report's DEADLOCK and holders sections and a group's "waits:" line. */
void report_json_waits_on(struct json *j, const struct snapshot *snap, const struct snap_wait *w);
/* Version 2 (README "JSON, version 2"): the "objects" table, each object
 * of snap->objects marked in used once, its id its index; a "waits_on"
 * that refers to them by id.  Groups' "objects" and convoys' "object"
 * refer to the table when used is given (NULL: written whole, version 1). */
void report_json_objects(struct json *j, const struct snapshot *snap, const bool *used);
void report_json_waits_on_ids(struct json *j, const struct snapshot *snap, const bool *used, const struct snap_wait *w);
void report_json_group_objects(struct json *j, const struct report *r, const struct group *g, const bool *used);
void report_json_wait_graph(struct json *j, const struct report *r, const bool *used);
void report_text_deadlocks(FILE *f, const struct report *r);
void report_text_holders(FILE *f, const struct report *r);
void report_text_group_waits(FILE *f, const struct report *r, const struct group *g);

/* "svc::worker_loop() at pool.cpp:33" style, sanitized, into buf. */
const char *report_frame_site(const struct frame *f, char *buf, size_t size);
const char *report_mode_name(enum snap_mode m);
const char *report_how_name(enum snap_how h);

#endif
