/* report.h - the text and JSON reports, both read from one struct report. */
#ifndef PILEUP_REPORT_H
#define PILEUP_REPORT_H

#include <stdio.h>

#include "group.h"
#include "snapshot.h"
#include "unwind.h"

struct report {
	const struct snapshot *snap;
	const struct grouping *threads;    /* by stack */
	const struct grouping *goroutines; /* by stack, NULL if none */
	const struct grouping *sites;      /* threads by wait site */
	const struct grouping *gsites;     /* goroutines by wait site, or NULL */
	struct unwind_stats unwind;
	uint64_t analyze_us;               /* unwind + symbolize + group */
	double dominant_pct;
	/* text: how many frames of each stack to print (0: all) */
	size_t max_frames;
	const char *(*build_id)(const struct snapshot *snap, const char *module);
};

void report_text(FILE *f, const struct report *r);
void report_json(FILE *f, const struct report *r);

/* "svc::worker_loop() at pool.cpp:33" style, sanitized, into buf. */
const char *report_frame_site(const struct frame *f, char *buf, size_t size);
const char *report_mode_name(enum snap_mode m);
const char *report_how_name(enum snap_how h);

#endif
