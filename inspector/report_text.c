#include "merge.h"
#include "report.h"
#include "sanitize.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;
	return b ? b + 1 : p;
}

const char *report_mode_name(enum snap_mode m)
{
	switch (m) {
	case SNAP_MODE_NONSTOP: return "nonstop";
	case SNAP_MODE_STOP_ALL: return "stop-all";
	case SNAP_MODE_CORE: return "core";
	case SNAP_MODE_SAVED: return "saved";
	case SNAP_MODE_DUMP: return "dump";
	}
	return "?";
}

const char *report_how_name(enum snap_how h)
{
	switch (h) {
	case SNAP_HOW_NONE: return "none";
	case SNAP_HOW_SYSCALL: return "syscall";
	case SNAP_HOW_STOPPED: return "stopped";
	case SNAP_HOW_CORE: return "core";
	case SNAP_HOW_SAVED: return "saved";
	}
	return "?";
}

const char *report_frame_site(const struct frame *f, char *buf, size_t size)
{
	char name[512], file[512];
	if (f->function)
		sanitize_copy(f->function, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, f->module ? base_name(f->module) : "??", f->offset);
	if (f->file && f->line)
		snprintf(buf, size, "%s at %s:%d", name, sanitize_copy(base_name(f->file), file, sizeof(file)), f->line);
	else if (f->function && f->module)
		snprintf(buf, size, "%s in %s", name, sanitize_copy(base_name(f->module), file, sizeof(file)));
	else
		snprintf(buf, size, "%s", name);
	return buf;
}

static void print_us(FILE *f, uint64_t us)
{
	if (us < 1000)
		fprintf(f, "%" PRIu64 " us", us);
	else if (us < 10000000)
		fprintf(f, "%.1f ms", (double)us / 1000.0);
	else
		fprintf(f, "%.1f s", (double)us / 1e6);
}

static void print_frame(FILE *f, size_t i, const struct frame *fr, const struct group *g, size_t idx)
{
	fprintf(f, "      #%-2zu 0x%016" PRIx64 " ", i, fr->pc);
	if (fr->function) {
		sanitize_fputs(fr->function, f);
		if (!fr->inlined && !fr->tail_call)
			fprintf(f, "+0x%" PRIx64, fr->offset);
	} else {
		fprintf(f, "?? +0x%" PRIx64, fr->offset);
	}
	if (fr->inlined)
		fputs(" [inlined]", f);
	if (fr->tail_call)
		fputs(" [tail call]", f);
	if (fr->file && fr->line) {
		fputs(" at ", f);
		sanitize_fputs(fr->file, f);
		fprintf(f, ":%d", fr->line);
	}
	if (fr->module) {
		fputs(" (", f);
		sanitize_fputs(base_name(fr->module), f);
		fputc(')', f);
	}
	if (g && (int)idx == g->wait_site)
		fputs("   <- wait site", f);
	fputc('\n', f);
}

/* Merged snapshots: the group's count on each host, and where it is absent. */
static void report_hosts_text(FILE *f, const struct report *r, const struct group *g)
{
	const struct snapshot *snap = r->snap;
	if (!snap->nhosts)
		return;
	size_t *c = merge_group_hosts(snap, g), absent = 0;
	fputs("    hosts:         ", f);
	bool first = true;
	for (size_t h = 0; h < snap->nhosts; h++) {
		if (!c[h]) {
			absent++;
			continue;
		}
		fputs(first ? "" : ", ", f);
		sanitize_fputs(snap->hosts[h], f);
		fprintf(f, " %zu", c[h]);
		first = false;
	}
	if (absent) {
		fputs("; absent on ", f);
		first = true;
		for (size_t h = 0; h < snap->nhosts; h++)
			if (!c[h]) {
				fputs(first ? "" : ", ", f);
				sanitize_fputs(snap->hosts[h], f);
				first = false;
			}
	}
	fputc('\n', f);
	free(c);
}

static void print_group(FILE *f, const struct report *r, const struct grouping *gr, size_t gi)
{
	const struct snapshot *snap = r->snap;
	const struct group *g = &gr->groups[gi];
	const char *unit = g->kind == GROUP_THREADS ? (g->count == 1 ? "thread" : "threads")
						    : (g->count == 1 ? "goroutine" : "goroutines");
	char buf[1200];
	fprintf(f, "#%zu  %zu %s (%.1f%%)  ", gi + 1, g->count, unit, g->share * 100.0);
	sanitize_fputs(g->wait ? g->wait : "?", f); /* Go wait reasons come from the target */
	if (g->dominant)
		fputs("  ** DOMINANT **", f);
	if (g->crashed)
		fputs("  !! CRASHED HERE !!", f);
	if (g->leaked == g->count && g->count)
		fputs("  LEAKED", f);
	else if (g->leaked)
		fprintf(f, "  LEAKED: %zu of them", g->leaked);
	fputc('\n', f);
	fprintf(f, "    wait site:     %s\n",
		g->wait_site >= 0 ? report_frame_site(&g->frames[g->wait_site], buf, sizeof(buf)) : "(no frame of the program's own code)");
	if (g->blocking_call >= 0 && g->frames[g->blocking_call].function) {
		fputs("    blocking call: ", f);
		sanitize_fputs(g->frames[g->blocking_call].function, f);
		fputc('\n', f);
	}
	if (g->labels) { /* the program's pprof labels (a profile's) */
		fputs("    labels:        ", f);
		sanitize_fputs(g->labels, f);
		fputc('\n', f);
	}
	report_text_group_waits(f, r, g);
	if (g->wait_min_hi >= 0) {
		if (g->wait_min_lo == g->wait_min_hi)
			fprintf(f, "    waiting:       %" PRId64 " minutes\n", g->wait_min_hi);
		else
			fprintf(f, "    waiting:       %" PRId64 "-%" PRId64 " minutes\n", g->wait_min_lo, g->wait_min_hi);
	}
	int64_t *ids = malloc(g->count * sizeof(*ids));
	if (ids) {
		/* a profile names no goroutine: its members' ids are 0 */
		size_t known = 0;
		for (size_t i = 0; i < g->count; i++)
			if ((ids[known] = group_member_id(snap, g, i)) != 0)
				known++;
		fputs(g->kind == GROUP_THREADS ? "    threads:       " : "    goroutines:    ", f);
		if (snap->nhosts) {
			/* a merged snapshot's ids are each host's own: per host
			 * (members come in ascending id order, so each host's too) */
			size_t nh = snap->nhosts, nk = 0;
			size_t *at = xcalloc(nh + 1, sizeof(*at)), *fill = xcalloc(nh, sizeof(*fill));
			for (int pass = 0; pass < 2; pass++) {
				for (size_t i = 0; i < g->count; i++) {
					uint32_t h = g->kind == GROUP_THREADS ? snap->threads[g->members[i]].host : snap->goroutines[g->members[i]].host;
					int64_t id = group_member_id(snap, g, i);
					if (h >= nh || !id)
						continue;
					if (pass)
						ids[at[h] + fill[h]++] = id;
					else
						at[h + 1]++;
				}
				for (size_t h = 0; !pass && h < nh; h++)
					at[h + 1] += at[h];
			}
			for (size_t h = 0; h < nh; h++) {
				if (!fill[h])
					continue;
				char *rg = group_format_ranges(ids + at[h], fill[h]);
				fputs(nk++ ? "; " : "", f);
				sanitize_fputs(snap->hosts[h], f);
				fprintf(f, " %s", rg);
				free(rg);
			}
			free(at);
			free(fill);
		} else {
			char *ranges = group_format_ranges(ids, known);
			fputs(ranges, f);
			free(ranges);
		}
		if (known < g->count)
			fprintf(f, "%s%zu without ids (a profile counts them, naming none)", known ? ", and " : "", g->count - known);
		free(ids);
	}
	if (g->kind == GROUP_THREADS) {
		/* Thread names, deduplicated, for the first few members. */
		const char *shown[4] = {0};
		size_t nshown = 0;
		for (size_t i = 0; i < g->count && nshown < 4; i++) {
			const char *nm = snap->threads[g->members[i]].name;
			bool dup = false;
			for (size_t k = 0; k < nshown; k++)
				dup |= nm && shown[k] && strcmp(nm, shown[k]) == 0;
			if (nm && !dup)
				shown[nshown++] = nm;
		}
		if (nshown) {
			fputs("  (", f);
			for (size_t k = 0; k < nshown; k++) {
				if (k)
					fputs(", ", f);
				sanitize_fputs(shown[k], f);
			}
			fputs(nshown == 4 && g->count > 4 ? ", ...)" : ")", f);
		}
		/* Why a member's stack is incomplete. */
		const char *err = NULL;
		size_t nerr = 0;
		for (size_t i = 0; i < g->count; i++)
			if (snap->threads[g->members[i]].error) {
				err = err ? err : snap->threads[g->members[i]].error;
				nerr++;
			}
		fputc('\n', f);
		if (err) {
			fprintf(f, "    incomplete:    %zu of %zu: ", nerr, g->count);
			sanitize_fputs(err, f);
			fputc('\n', f);
		}
	} else {
		fputc('\n', f);
		const struct snap_goroutine *go = &snap->goroutines[g->members[0]];
		if (go->created_function) {
			fputs("    created by:    ", f);
			sanitize_fputs(go->created_function, f);
			if (go->created_file)
				fprintf(f, " at %s:%d", sanitize_copy(base_name(go->created_file), buf, sizeof(buf)), go->created_line);
			size_t other = 0, locked = 0;
			for (size_t i = 1; i < g->count; i++) {
				const struct snap_goroutine *m = &snap->goroutines[g->members[i]];
				other += m->created_function != go->created_function || m->created_line != go->created_line;
			}
			if (other)
				fprintf(f, " (%zu created elsewhere)", other);
			fputc('\n', f);
			for (size_t i = 0; i < g->count; i++)
				locked += snap->goroutines[g->members[i]].locked;
			if (locked)
				fprintf(f, "    locked:        %zu of %zu to their OS thread\n", locked, g->count);
		}
		const char *err = NULL;
		size_t nerr = 0;
		for (size_t i = 0; i < g->count; i++)
			if (snap->goroutines[g->members[i]].error) {
				err = err ? err : snap->goroutines[g->members[i]].error;
				nerr++;
			}
		if (err) {
			fprintf(f, "    incomplete:    %zu of %zu: ", nerr, g->count);
			sanitize_fputs(err, f);
			fputc('\n', f);
		}
	}
	report_hosts_text(f, r, g);
	fputs("    stack:\n", f);
	size_t limit = r->max_frames && r->max_frames < g->nframes ? r->max_frames : g->nframes, wrappers = 0;
	for (size_t i = 0; i < limit; i++) {
		if (g->frames[i].wrapper && !r->show_wrappers && (int)i != g->wait_site) {
			wrappers++;
			continue;
		}
		print_frame(f, i, &g->frames[i], g, i);
	}
	if (limit < g->nframes)
		fprintf(f, "      ... %zu more frames\n", g->nframes - limit);
	if (wrappers)
		fprintf(f, "      (%zu compiler-generated wrapper frame%s hidden, as Go's tracebacks do; --wrappers shows %s)\n",
			wrappers, wrappers == 1 ? "" : "s", wrappers == 1 ? "it" : "them");
	if (!g->nframes)
		fputs("      (no frames)\n", f);
	fputc('\n', f);
}

static void print_summary(FILE *f, const char *what, const struct grouping *sites)
{
	size_t ndom = 0;
	for (size_t i = 0; i < sites->ngroups; i++)
		ndom += sites->groups[i].dominant;
	if (!ndom) {
		fprintf(f, "No dominant wait site: no site holds %.0f%% of the %s.\n\n", sites->dominant_pct, what);
		return;
	}
	fprintf(f, "Dominant wait sites (at least %.0f%% of the %s):\n", sites->dominant_pct, what);
	char buf[1200];
	for (size_t i = 0; i < sites->ngroups; i++) {
		const struct group *g = &sites->groups[i];
		if (!g->dominant)
			continue;
		char wait[64];
		fprintf(f, "  %6zu %s %5.1f%%  %-9s %s", g->count, what, g->share * 100.0,
			sanitize_copy(g->wait ? g->wait : "?", wait, sizeof(wait)),
			report_frame_site(&g->frames[g->wait_site], buf, sizeof(buf)));
		if (g->blocking_call >= 0 && g->frames[g->blocking_call].function) {
			fputs(", in ", f);
			sanitize_fputs(g->frames[g->blocking_call].function, f);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
}

void report_text(FILE *f, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	fprintf(f, "pileup %s: ", PILEUP_VERSION);
	if (snap->nhosts) {
		fprintf(f, "%zu snapshots merged (", snap->nhosts);
		for (size_t i = 0; i < snap->nhosts; i++) {
			if (i)
				fputs(", ", f);
			if (i == 8 && snap->nhosts > 9) {
				fprintf(f, "... %zu more", snap->nhosts - 8);
				break;
			}
			sanitize_fputs(snap->hosts[i], f);
		}
		fputs("): ", f);
		sanitize_fputs(snap->exe ? snap->exe : "program unknown", f);
	} else if (snap->source == SNAP_DUMP) {
		fputs(snap->dump_format ? snap->dump_format : "Go dump", f);
		fputc(' ', f);
		sanitize_fputs(snap->dump_from, f);
		fputs(" (", f);
		if (snap->exe)
			sanitize_fputs(snap->exe, f);
		else
			fputs("program unknown", f);
	} else if (snap->source == SNAP_CORE) {
		fputs("core ", f);
		sanitize_fputs(snap->core_path, f);
		fprintf(f, " (pid %d", snap->pid);
	} else {
		fprintf(f, "pid %d (", snap->pid);
	}
	if (snap->exe && snap->source != SNAP_DUMP && !snap->nhosts) {
		if (snap->source == SNAP_CORE)
			fputs(", ", f);
		sanitize_fputs(snap->exe, f);
	}
	if (!snap->nhosts)
		fputc(')', f);
	if (snap->lacks & SNAP_LACKS_THREADS)
		fputs(", no threads", f); /* a dump holds goroutines only */
	else
		fprintf(f, ", %zu threads", snap->nthreads);
	if (!snap->go_version && snap->ngoroutines)
		fprintf(f, ", %zu goroutines", snap->ngoroutines);
	if (snap->go_version) {
		fprintf(f, ", %zu goroutines, ", snap->ngoroutines);
		sanitize_fputs(snap->go_version, f);
		if (snap->go_module) {
			fputs(" (", f);
			sanitize_fputs(snap->go_module, f);
			fputc(')', f);
		}
	}
	if (snap->have_crash) {
		/* On the first line: what killed the process, and where. */
		fprintf(f, "; CRASHED: thread %d", snap->crash_tid);
		for (size_t i = 0; i < snap->nthreads; i++)
			if (snap->threads[i].tid == snap->crash_tid && snap->threads[i].name) {
				fputs(" (", f);
				sanitize_fputs(snap->threads[i].name, f);
				fputc(')', f);
				break;
			}
		const char *sig = sigabbrev_np(snap->crash_signal);
		if (sig)
			fprintf(f, " got SIG%s (signal %d)", sig, snap->crash_signal);
		else
			fprintf(f, " got signal %d", snap->crash_signal);
		if (snap->crash_addr)
			fprintf(f, " at address 0x%" PRIx64, snap->crash_addr);
	}
	fputc('\n', f);
	for (size_t i = 0; i < snap->nwarnings; i++) {
		fputs("warning: ", f);
		sanitize_fputs(snap->warnings[i], f);
		fputc('\n', f);
	}
	if (snap->source == SNAP_LIVE) {
		size_t stopped = 0;
		for (size_t i = 0; i < snap->nthreads; i++)
			stopped += snap->threads[i].how == SNAP_HOW_STOPPED;
		fprintf(f, "capture: %s in ", report_mode_name(snap->mode));
		print_us(f, snap->elapsed_us);
		if (snap->mode == SNAP_MODE_STOP_ALL) {
			fputs("; all threads paused for ", f);
			print_us(f, snap->pause_us);
		} else if (stopped) {
			fprintf(f, "; %zu running thread%s stopped briefly (longest ", stopped, stopped == 1 ? "" : "s");
			print_us(f, snap->pause_us);
			fputs(")", f);
		} else {
			fputs("; no thread was stopped", f);
		}
		fputs("; analysis ", f);
		print_us(f, r->analyze_us);
		fputc('\n', f);
	}
	if (snap->lacks & (SNAP_LACKS_GO_RUNTIME | SNAP_LACKS_GO_WAIT | SNAP_LACKS_GO_IDS)) {
		fputs("not in the input:", f);
		if (snap->lacks & SNAP_LACKS_GO_IDS)
			fputs(" goroutine ids,", f);
		if (snap->lacks & SNAP_LACKS_GO_WAIT)
			fputs(" statuses and wait reasons,", f);
		if (snap->lacks & SNAP_LACKS_GO_RUNTIME)
			fputs(" runtime frames and system goroutines (Go's traceback hides them),", f);
		fputs(" OS threads\n", f);
	}
	size_t partial = snapshot_partial_threads(snap);
	if (partial)
		fprintf(f, "incomplete: %zu of %zu threads could not be fully unwound (reasons below)\n", partial, snap->nthreads);
	fputc('\n', f);

	if (snap->leaks.done) {
		/* --leaks: the verdict first */
		size_t k = 0;
		for (size_t i = 0; r->goroutines && i < r->goroutines->ngroups; i++)
			k += r->goroutines->groups[i].leaked > 0;
		fprintf(f, "Leaks: %zu goroutine%s can never wake (%zu group%s), %zu wait on objects still reachable; "
			   "%.1f MB of heap marked in ",
			snap->leaks.leaked, snap->leaks.leaked == 1 ? "" : "s", k, k == 1 ? "" : "s", snap->leaks.reachable,
			(double)snap->leaks.heap_bytes / 1e6);
		print_us(f, snap->leaks.us);
		fputs("\n\n", f);
	}
	report_text_deadlocks(f, r);
	if (r->gsites)
		print_summary(f, "goroutines", r->gsites);
	if (!(snap->lacks & SNAP_LACKS_THREADS) || snap->nthreads)
		print_summary(f, "threads", r->sites);
	report_text_holders(f, r);

	if (r->goroutines && r->goroutines->ngroups) {
		fprintf(f, "Goroutine groups (identical stacks, %s): %zu\n\n",
			snap->leaks.done ? "leaked first, then largest" : "largest first", r->goroutines->ngroups);
		for (size_t i = 0; i < r->goroutines->ngroups; i++)
			print_group(f, r, r->goroutines, i);
	}
	if (snap->lacks & SNAP_LACKS_THREADS && !snap->nthreads)
		return;
	fprintf(f, "Thread groups (identical stacks, largest first): %zu\n\n", r->threads->ngroups);
	for (size_t i = 0; i < r->threads->ngroups; i++)
		print_group(f, r, r->threads, i);
}
