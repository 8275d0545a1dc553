#include "analyze.h"
#include "capture_live.h"
#include "classify.h"
#include "dump.h"
#include "go/golang.h"
#include "snapshot_json.h"
#include "waitgraph.h"
#include "waits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "timing.h"

struct pu_error *analyze_snapshot(struct snapshot *snap, const struct analyze_opts *o, struct analysis *a)
{
	memset(a, 0, sizeof(*a));
	uint64_t t0 = timing_now_us();
	timing_begin("analyze");
	struct report *r = &a->report;
	r->snap = snap;
	r->dominant_pct = o->dominant_pct;
	r->build_id = snap->source == SNAP_SAVED ? snapshot_json_build_id : snap->source == SNAP_DUMP ? dump_build_id : unwind_build_id;
	/* saved reports and dumps come with frames: only grouping is left */
	if (snap->source != SNAP_SAVED && snap->source != SNAP_DUMP) {
		struct unwind_opts uo = o->unwind;
		uo.defer_go = true;
		struct pu_error *err = unwind_snapshot(snap, &uo, &r->unwind);
		if (err && capture_live_exited(snap, 500)) {
			/* Its files went with it (map_files, /proc/PID/root): that,
			 * not libdwfl's complaint, is the reason. */
			pu_error_free(err);
			return pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; nothing to report", snap->pid);
		}
		if (err)
			return err;
		timing_mark("analyze", "unwind");
		classify_snapshot(snap);
		timing_mark("analyze", "classify");
		snap->leaks.wanted = o->leaks;
		golang_add_goroutines(snap);
		timing_mark("analyze", "go");
		unwind_finish(snap, &r->unwind);
		unwind_flush(snap);
		timing_mark("analyze", "finish");
		waits_resolve(snap);
		timing_mark("analyze", "waits");
		/* It died after the capture, and something that needed more
		 * than the copies (a deeper stack, a module file, Go's
		 * goroutine list) could not be read: the same answer as a
		 * death during the capture, not a degraded report. */
		if (capture_live_lost(snap))
			return pu_error_new(PU_EXIT_USAGE, "process %d exited during capture; nothing to report", snap->pid);
	}
	analyze_regroup(snap, o, a);
	r->analyze_us = timing_now_us() - t0;
	timing_mark("analyze", "group");
	return NULL;
}

void analyze_regroup(struct snapshot *snap, const struct analyze_opts *o, struct analysis *a)
{
	struct report *r = &a->report;
	grouping_destroy(a->threads);
	grouping_destroy(a->sites);
	grouping_destroy(a->goroutines);
	grouping_destroy(a->gsites);
	a->goroutines = a->gsites = NULL;
	/* the wait-for graph refers to threads and goroutines: made again */
	waitgraph_destroy(a->graph);
	a->graph = waitgraph_build(snap);
	r->graph = a->graph;
	a->threads = grouping_build(snap, GROUP_THREADS, GROUP_BY_STACK, o->dominant_pct);
	a->sites = grouping_build(snap, GROUP_THREADS, GROUP_BY_SITE, o->dominant_pct);
	if (snap->ngoroutines) {
		a->goroutines = grouping_build(snap, GROUP_GOROUTINES, GROUP_BY_STACK, o->dominant_pct);
		a->gsites = grouping_build(snap, GROUP_GOROUTINES, GROUP_BY_SITE, o->dominant_pct);
	}
	r->threads = a->threads;
	r->sites = a->sites;
	r->goroutines = a->goroutines;
	r->gsites = a->gsites;
}

void analysis_deinit(struct analysis *a)
{
	grouping_destroy(a->threads);
	grouping_destroy(a->sites);
	grouping_destroy(a->goroutines);
	grouping_destroy(a->gsites);
	waitgraph_destroy(a->graph);
	memset(a, 0, sizeof(*a));
}
