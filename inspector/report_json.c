#include "classify.h"
#include "json.h"
#include "merge.h"
#include "report.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void frame_json(struct json *j, const struct report *r, const struct frame *f)
{
	json_begin_object(j);
	json_key(j, "pc");
	json_hex(j, f->pc);
	json_key(j, "function");
	json_string(j, f->function);
	json_key(j, "offset");
	json_hex(j, f->offset);
	json_key(j, "module");
	json_string(j, f->module);
	const char *bid = r->build_id && f->module ? r->build_id(r->snap, f->module) : NULL;
	if (bid) {
		json_key(j, "build_id");
		json_string(j, bid);
	}
	json_key(j, "file");
	json_string(j, f->file);
	json_key(j, "line");
	if (f->line)
		json_int(j, f->line);
	else
		json_null(j);
	json_key(j, "inlined");
	json_bool(j, f->inlined);
	json_key(j, "library");
	json_bool(j, f->library);
	if (f->tail_call) {
		json_key(j, "tail_call");
		json_bool(j, true);
	}
	if (f->wrapper) {
		json_key(j, "wrapper");
		json_bool(j, true);
	}
	if (f->jit) {
		json_key(j, "jit");
		json_bool(j, true);
	}
	if (f->fp_guessed) {
		json_key(j, "fp_guessed");
		json_bool(j, true);
	}
	if (f->engine) {
		json_key(j, "engine");
		json_string(j, f->engine);
	}
	json_end_object(j);
}

static void frames_json(struct json *j, const struct report *r, const struct frame *f, size_t n)
{
	json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		frame_json(j, r, &f[i]);
	json_end_array(j);
}

static void site_json(struct json *j, const struct frame *frames, int idx)
{
	if (idx < 0) {
		json_null(j);
		return;
	}
	const struct frame *f = &frames[idx];
	json_begin_object(j);
	json_key(j, "function");
	json_string(j, f->function);
	json_key(j, "file");
	json_string(j, f->file);
	json_key(j, "line");
	if (f->line)
		json_int(j, f->line);
	else
		json_null(j);
	json_key(j, "module");
	json_string(j, f->module);
	json_end_object(j);
}

void report_json_group_fields(struct json *j, const struct report *r, const struct group *g)
{
	json_key(j, "kind");
	json_string(j, g->kind == GROUP_THREADS ? "thread" : "goroutine");
	json_key(j, "count");
	json_uint(j, g->count);
	json_key(j, "share");
	json_double(j, g->share);
	json_key(j, "dominant");
	json_bool(j, g->dominant);
	json_key(j, "wait");
	json_string(j, g->wait);
	json_key(j, "wait_site");
	site_json(j, g->frames, g->wait_site);
	json_key(j, "blocking_call");
	json_string(j, g->blocking_call >= 0 ? g->frames[g->blocking_call].function : NULL);
	if (g->crashed) {
		json_key(j, "crashed");
		json_bool(j, true);
	}
	if (g->kind == GROUP_GOROUTINES && (g->leaked || r->snap->leaks.done)) {
		json_key(j, "leaked");
		json_uint(j, g->leaked);
	}
	if (g->wait_min_hi >= 0) {
		json_key(j, "wait_minutes");
		json_begin_array(j);
		json_int(j, g->wait_min_lo);
		json_int(j, g->wait_min_hi);
		json_end_array(j);
	}
	if (g->kind == GROUP_GOROUTINES && g->count) {
		/* where the group's goroutines were started (its first
		 * member's creator) */
		const struct snap_goroutine *go = &r->snap->goroutines[g->members[0]];
		json_key(j, "created_by");
		if (go->created_function) {
			json_begin_object(j);
			json_key(j, "function");
			json_string(j, go->created_function);
			json_key(j, "file");
			json_string(j, go->created_file);
			json_key(j, "line");
			json_int(j, go->created_line);
			json_end_object(j);
		} else {
			json_null(j);
		}
	}
	report_json_group_objects(j, r, g);
	json_key(j, "members");
	json_begin_array(j);
	size_t unknown = 0; /* a profile names no goroutine (ids 0) */
	for (size_t k = 0; k < g->count; k++) {
		int64_t id = group_member_id(r->snap, g, k);
		if (id)
			json_int(j, id);
		else
			unknown++;
	}
	json_end_array(j);
	if (unknown) {
		json_key(j, "members_without_id");
		json_uint(j, unknown);
	}
	if (r->snap->nhosts) {
		size_t *c = merge_group_hosts(r->snap, g);
		json_key(j, "hosts");
		json_begin_object(j);
		for (size_t h = 0; h < r->snap->nhosts; h++)
			if (c[h]) {
				json_key(j, r->snap->hosts[h]);
				json_uint(j, c[h]);
			}
		json_end_object(j);
		json_key(j, "absent_on");
		json_begin_array(j);
		for (size_t h = 0; h < r->snap->nhosts; h++)
			if (!c[h])
				json_string(j, r->snap->hosts[h]);
		json_end_array(j);
		free(c);
	}
	json_key(j, "frames");
	frames_json(j, r, g->frames, g->nframes);
}

static void groups_json(struct json *j, const struct report *r, const struct grouping *gr)
{
	for (size_t i = 0; i < gr->ngroups; i++) {
		json_begin_object(j);
		report_json_group_fields(j, r, &gr->groups[i]);
		json_end_object(j);
	}
}

void report_json_target(struct json *j, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	json_begin_object(j);
	json_key(j, "source");
	json_string(j, snap->source == SNAP_LIVE ? "live" : snap->source == SNAP_CORE ? "core" : snap->source == SNAP_DUMP ? "dump" : "saved");
	if (snap->dump_from || snap->dump_format) {
		/* what a dump was read from, and what it was */
		json_key(j, "dump");
		json_begin_object(j);
		json_key(j, "from");
		json_string(j, snap->dump_from);
		json_key(j, "format");
		json_string(j, snap->dump_format);
		json_end_object(j);
	}
	if (snap->lacks) {
		static const char *const names[] = {"threads", "go_runtime_frames", "go_wait_reasons", "go_ids"};
		json_key(j, "lacks");
		json_begin_array(j);
		for (unsigned b = 0; b < 4; b++)
			if (snap->lacks & 1u << b)
				json_string(j, names[b]);
		json_end_array(j);
	}
	if (snap->nhosts) {
		json_key(j, "hosts");
		json_begin_array(j);
		for (size_t h = 0; h < snap->nhosts; h++)
			json_string(j, snap->hosts[h]);
		json_end_array(j);
	}
	json_key(j, "pid");
	json_int(j, snap->pid);
	json_key(j, "exe");
	json_string(j, snap->exe);
	const char *bid = r->build_id && snap->exe ? r->build_id(snap, snap->exe) : NULL;
	if (bid) {
		json_key(j, "build_id");
		json_string(j, bid);
	}
	if (snap->core_path) {
		json_key(j, "core");
		json_string(j, snap->core_path);
	}
	json_key(j, "threads");
	json_uint(j, snap->nthreads);
	if (snap->go_version || snap->ngoroutines) {
		json_key(j, "go_version");
		json_string(j, snap->go_version);
		json_key(j, "go_module");
		json_string(j, snap->go_module);
		json_key(j, "goroutines");
		json_uint(j, snap->ngoroutines);
	}
	json_key(j, "taken_at");
	json_int(j, snap->taken_at);
	if (snap->leaks.wanted || snap->leaks.done || snap->leaks.problem) {
		/* --leaks: what the verdict cost, or why there is none */
		json_key(j, "leaks");
		json_begin_object(j);
		json_key(j, "verdict");
		json_bool(j, snap->leaks.done);
		if (snap->leaks.problem) {
			json_key(j, "problem");
			json_string(j, snap->leaks.problem);
		}
		json_key(j, "leaked");
		json_uint(j, snap->leaks.leaked);
		json_key(j, "reachable");
		json_uint(j, snap->leaks.reachable);
		json_key(j, "heap_bytes");
		json_uint(j, snap->leaks.heap_bytes);
		json_key(j, "scanned_bytes");
		json_uint(j, snap->leaks.scanned_bytes);
		json_key(j, "us");
		json_uint(j, snap->leaks.us);
		json_end_object(j);
	}
	if (snap->have_crash) {
		json_key(j, "crash");
		json_begin_object(j);
		json_key(j, "tid");
		json_int(j, snap->crash_tid);
		json_key(j, "signal");
		json_int(j, snap->crash_signal);
		const char *sig = sigabbrev_np(snap->crash_signal);
		char signame[32];
		snprintf(signame, sizeof(signame), "SIG%s", sig ? sig : "?");
		json_key(j, "signal_name");
		json_string(j, sig ? signame : NULL);
		json_key(j, "address");
		json_hex(j, snap->crash_addr);
		json_end_object(j);
	}
	if (snap->nwarnings) {
		json_key(j, "warnings");
		json_begin_array(j);
		for (size_t i = 0; i < snap->nwarnings; i++)
			json_string(j, snap->warnings[i]);
		json_end_array(j);
	}
	json_end_object(j);
}

void report_json_begin(struct json *j, FILE *f)
{
	json_init(j, f, false);
	json_begin_object(j);
	json_key(j, "pileup");
	json_int(j, 1);
	json_key(j, "version");
	json_string(j, PILEUP_VERSION);
}

void report_json(FILE *f, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	struct json j;
	report_json_begin(&j, f);

	json_key(&j, "target");
	report_json_target(&j, r);

	json_key(&j, "capture");
	json_begin_object(&j);
	json_key(&j, "mode");
	json_string(&j, report_mode_name(snap->mode));
	json_key(&j, "pause_us");
	json_uint(&j, snap->pause_us);
	json_key(&j, "elapsed_us");
	json_uint(&j, snap->elapsed_us);
	json_key(&j, "analyze_us");
	json_uint(&j, r->analyze_us);
	json_key(&j, "partial_threads");
	json_uint(&j, snapshot_partial_threads(snap));
	json_key(&j, "dominant_pct");
	json_double(&j, r->dominant_pct);
	json_end_object(&j);

	json_key(&j, "analysis");
	json_begin_object(&j);
	json_key(&j, "frames_walked");
	json_uint(&j, r->unwind.frames);
	json_key(&j, "symbol_lookups");
	json_uint(&j, r->unwind.distinct_pcs);
	json_key(&j, "frame_pointers_recovered");
	json_uint(&j, r->unwind.recovered);
	json_key(&j, "libunwind_fallbacks");
	json_uint(&j, r->unwind.fallbacks);
	if (r->unwind.cross_checked) {
		json_key(&j, "cross_check_differences");
		json_uint(&j, r->unwind.disagreements);
	}
	if (r->unwind.debuginfod_asked) {
		json_key(&j, "debuginfod_asked");
		json_uint(&j, r->unwind.debuginfod_asked);
		json_key(&j, "debuginfod_found");
		json_uint(&j, r->unwind.debuginfod_found);
	}
	if (snap->glibc_version || snap->glibc_problem) {
		/* which layout the locks were read with (glibc.h) */
		json_key(&j, "glibc");
		json_begin_object(&j);
		json_key(&j, "version");
		json_string(&j, snap->glibc_version);
		json_key(&j, "layout");
		json_string(&j, snap->glibc_layout);
		if (snap->glibc_problem) {
			json_key(&j, "problem");
			json_string(&j, snap->glibc_problem);
		}
		json_end_object(&j);
	}
	json_end_object(&j);

	report_json_wait_graph(&j, r);

	json_key(&j, "threads");
	json_begin_array(&j);
	for (size_t i = 0; i < snap->nthreads; i++) {
		const struct snap_thread *t = &snap->threads[i];
		json_begin_object(&j);
		json_key(&j, "tid");
		if (t->tid)
			json_int(&j, t->tid);
		else
			json_null(&j); /* threads read back from a profile */
		if (snap->nhosts) {
			json_key(&j, "host");
			json_string(&j, t->host < snap->nhosts ? snap->hosts[t->host] : NULL);
		}
		json_key(&j, "name");
		json_string(&j, t->name);
		json_key(&j, "state");
		char st[2] = {t->state, 0};
		json_string(&j, st);
		json_key(&j, "syscall");
		const char *sc = t->syscall >= 0 ? syscall_name(t->syscall) : NULL;
		char num[32];
		if (t->syscall >= 0 && !sc) {
			snprintf(num, sizeof(num), "syscall_%ld", t->syscall);
			sc = num;
		}
		json_string(&j, sc);
		json_key(&j, "wait");
		json_string(&j, wait_class_name(t->wait));
		json_key(&j, "capture");
		json_string(&j, report_how_name(t->how));
		if (t->error) {
			json_key(&j, "error");
			json_string(&j, t->error);
		}
		if (t->crashed) {
			json_key(&j, "crashed");
			json_bool(&j, true);
		}
		json_key(&j, "wait_site");
		site_json(&j, t->frames, t->wait_site);
		report_json_waits_on(&j, snap, &t->waits_on);
		json_key(&j, "frames");
		frames_json(&j, r, t->frames, t->nframes);
		json_end_object(&j);
	}
	json_end_array(&j);

	if (snap->go_version || snap->ngoroutines) {
		json_key(&j, "goroutines");
		json_begin_array(&j);
		for (size_t i = 0; i < snap->ngoroutines; i++) {
			const struct snap_goroutine *g = &snap->goroutines[i];
			json_begin_object(&j);
			json_key(&j, "id");
			if (g->id)
				json_int(&j, g->id);
			else
				json_null(&j); /* a profile's goroutines have none */
			if (snap->nhosts) {
				json_key(&j, "host");
				json_string(&j, g->host < snap->nhosts ? snap->hosts[g->host] : NULL);
			}
			if (g->leaked || snap->leaks.done) {
				json_key(&j, "leaked");
				json_bool(&j, g->leaked);
			}
			json_key(&j, "status");
			json_string(&j, g->status);
			json_key(&j, "wait_reason");
			json_string(&j, g->wait_reason);
			json_key(&j, "wait_minutes");
			json_int(&j, g->wait_minutes);
			json_key(&j, "thread");
			if (g->thread)
				json_int(&j, g->thread);
			else
				json_null(&j);
			json_key(&j, "locked");
			json_bool(&j, g->locked);
			json_key(&j, "created_by");
			if (g->created_function) {
				json_begin_object(&j);
				json_key(&j, "function");
				json_string(&j, g->created_function);
				json_key(&j, "file");
				json_string(&j, g->created_file);
				json_key(&j, "line");
				json_int(&j, g->created_line);
				json_key(&j, "goroutine");
				json_int(&j, g->created_goroutine);
				json_end_object(&j);
			} else {
				json_null(&j);
			}
			json_key(&j, "system");
			json_bool(&j, g->system);
			if (g->error) {
				json_key(&j, "error");
				json_string(&j, g->error);
			}
			json_key(&j, "wait_site");
			site_json(&j, g->frames, g->wait_site);
			json_key(&j, "blocking_call");
			json_string(&j, g->blocking_call >= 0 ? g->frames[g->blocking_call].function : NULL);
			report_json_waits_on(&j, snap, &g->waits_on);
			json_key(&j, "frames");
			frames_json(&j, r, g->frames, g->nframes);
			json_end_object(&j);
		}
		json_end_array(&j);
	}

	json_key(&j, "groups");
	json_begin_array(&j);
	if (r->goroutines)
		groups_json(&j, r, r->goroutines);
	groups_json(&j, r, r->threads);
	json_end_array(&j);
	json_end_object(&j);
	fputc('\n', f);
}
