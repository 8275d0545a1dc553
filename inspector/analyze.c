#include "analyze.h"
#include "classify.h"
#include "golang.h"
#include "snapshot_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct pu_error *analyze_snapshot(struct snapshot *snap, const struct analyze_opts *o, struct analysis *a)
{
	memset(a, 0, sizeof(*a));
	uint64_t t0 = now_us();
	struct report *r = &a->report;
	r->snap = snap;
	r->dominant_pct = o->dominant_pct;
	r->build_id = snap->source == SNAP_SAVED ? snapshot_json_build_id : unwind_build_id;
	bool timing = getenv("PILEUP_TIMING") != NULL;
	if (snap->source != SNAP_SAVED) {
		struct unwind_opts uo = o->unwind;
		uo.defer_go = true;
		struct pu_error *err = unwind_snapshot(snap, &uo, &r->unwind);
		if (err)
			return err;
		if (timing)
			fprintf(stderr, "pileup: analyze: unwind %27.1f ms\n", (double)(now_us() - t0) / 1000.0);
		classify_snapshot(snap);
		golang_add_goroutines(snap);
		unwind_finish(snap, &r->unwind);
		if (timing)
			fprintf(stderr, "pileup: analyze: classify + go %21.1f ms\n", (double)(now_us() - t0) / 1000.0);
	}
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
	r->analyze_us = now_us() - t0;
	if (timing)
		fprintf(stderr, "pileup: analyze: group %28.1f ms\n", (double)r->analyze_us / 1000.0);
	return NULL;
}

void analysis_deinit(struct analysis *a)
{
	grouping_destroy(a->threads);
	grouping_destroy(a->sites);
	grouping_destroy(a->goroutines);
	grouping_destroy(a->gsites);
	memset(a, 0, sizeof(*a));
}
