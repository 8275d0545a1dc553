/* report_compare.c - text and JSON for a series of captures (--watch, diff). */
#include "compare.h"
#include "json.h"
#include "sanitize.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *kind_name(enum group_kind k)
{
	return k == GROUP_THREADS ? "thread" : "goroutine";
}

static void print_when(FILE *f, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[64];
	if (t > 0 && gmtime_r(&tt, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
		fputs(buf, f);
	else
		fputs("time unknown", f);
}

static void print_change(FILE *f, const char *what, size_t before, size_t after)
{
	fprintf(f, "%s %zu -> %zu (%+lld)", what, before, after, (long long)after - (long long)before);
}

/* "42.0 s" or "3.5 min" */
static void print_span(FILE *f, double minutes)
{
	if (minutes < 2)
		fprintf(f, "%.1f s", minutes * 60);
	else
		fprintf(f, "%.1f min", minutes);
}

/* The site column: wait site and blocking call, sanitized. */
static void print_site(FILE *f, const struct group *g)
{
	char buf[1200];
	if (g->wait_site >= 0)
		fputs(report_frame_site(&g->frames[g->wait_site], buf, sizeof(buf)), f);
	else if (g->nframes)
		fprintf(f, "%s (innermost; no frame of the program's own)", report_frame_site(&g->frames[0], buf, sizeof(buf)));
	else
		fputs("(no frames)", f);
	if (g->blocking_call >= 0 && g->frames[g->blocking_call].function) {
		fputs(", in ", f);
		sanitize_fputs(g->frames[g->blocking_call].function, f);
	}
}

enum { MAX_COUNTS = 8 };

/* A profile's group: its pprof labels, which tell apart rows of one site */
static void print_labels(FILE *f, const struct group *g)
{
	if (!g->labels)
		return;
	fputs("  [", f);
	sanitize_fputs(g->labels, f);
	fputc(']', f);
}

static void format_counts(const struct cmp *c, const struct cmp_row *r, char *buf, size_t size)
{
	size_t from = c->npoints > MAX_COUNTS ? c->npoints - MAX_COUNTS : 0;
	size_t used = 0;
	buf[0] = 0;
	if (from)
		used += (size_t)snprintf(buf, size, "..");
	for (size_t k = from; k < c->npoints && used < size; k++)
		used += (size_t)snprintf(buf + used, size - used, "%s%zu", used ? " " : "", r->counts[k]);
}

static void watch_text(FILE *f, const struct cmp *c, const struct compare_view *v, const struct cmp_row **rows)
{
	const struct cmp_point *first = &c->points[0], *last = &c->points[c->npoints - 1];
	const struct snapshot *snap = c->last->snap;
	fprintf(f, "pileup --watch: pid %d (", snap->pid);
	sanitize_fputs(snap->exe ? snap->exe : "?", f);
	fprintf(f, "), capture %zu", c->npoints);
	if (v->count)
		fprintf(f, " of %zu", v->count);
	fprintf(f, ", %.1f s after the first (every %g s)\n  ", (double)(last->at_us - first->at_us) / 1e6, v->interval_s);
	print_change(f, "threads", first->threads, last->threads);
	if (snap->go_version) {
		fputs(", ", f);
		print_change(f, "goroutines", first->goroutines, last->goroutines);
	}
	fputs(" since the first capture\n", f);
	size_t nsus = 0;
	for (size_t i = 0; i < c->nrows; i++)
		nsus += c->rows[i].suspect;
	if (c->npoints < 2)
		fputs("  leak suspects: none yet (a group is one when it grows from every capture to the next)\n", f);
	else if (nsus)
		fprintf(f, "  leak suspects: %zu group%s grew in every capture (marked LEAK?)\n", nsus, nsus == 1 ? "" : "s");
	else
		fputs("  leak suspects: none (no group grew in every capture)\n", f);
	fputc('\n', f);

	char counts[128];
	int cw = 6;
	for (size_t i = 0; i < c->nrows; i++) {
		format_counts(c, rows[i], counts, sizeof(counts));
		if ((int)strlen(counts) > cw)
			cw = (int)strlen(counts);
	}
	fprintf(f, "  %-6s %9s %7s %7s  %-*s  %-9s  %-17s %s\n", "", "PER MIN", "FIRST", "NOW", cw, "COUNTS", "KIND", "WAIT", "WAIT SITE");
	for (size_t i = 0; i < c->nrows; i++) {
		const struct cmp_row *r = rows[i];
		char wait[64];
		format_counts(c, r, counts, sizeof(counts));
		/* a verdict (--leaks: can never wake) beats a suspicion (growth) */
		fprintf(f, "  %-6s %+9.1f %7zu %7zu  %-*s  %-9s  %-17s ", r->group->leaked ? "LEAKED" : r->suspect ? "LEAK?" : "",
			r->growth_per_min, cmp_first(c, r),
			cmp_last(c, r), cw, counts, kind_name(r->kind), sanitize_copy(r->group->wait ? r->group->wait : "?", wait, sizeof(wait)));
		print_site(f, r->group);
		print_labels(f, r->group);
		fputc('\n', f);
	}
}

static void diff_text(FILE *f, const struct cmp *c, const struct cmp_row **rows)
{
	const struct cmp_point *a = &c->points[0], *b = &c->points[c->npoints - 1];
	const char *tag[2] = {"before", "after "};
	for (int k = 0; k < 2; k++) {
		const struct cmp_point *p = k ? b : a;
		fprintf(f, "%s %s ", k ? "           " : "pileup diff:", tag[k]);
		sanitize_fputs(p->label ? p->label : "?", f);
		fprintf(f, " (pid %d, ", p->pid);
		print_when(f, p->taken_at);
		if (k && a->taken_at > 0 && b->taken_at >= a->taken_at) {
			fputs(", ", f);
			print_span(f, (double)(b->taken_at - a->taken_at) / 60.0);
			fputs(" later", f);
		}
		fputs(")\n", f);
	}
	fputs("  ", f);
	print_change(f, "threads", a->threads, b->threads);
	if (a->goroutines || b->goroutines) {
		fputs(", ", f);
		print_change(f, "goroutines", a->goroutines, b->goroutines);
	}
	fputs("\n\n", f);
	fprintf(f, "  %7s %7s %7s  %-9s  %-17s %s\n", "BEFORE", "AFTER", "DELTA", "KIND", "WAIT", "WAIT SITE");
	for (size_t i = 0; i < c->nrows; i++) {
		const struct cmp_row *r = rows[i];
		size_t n0 = cmp_first(c, r), n1 = cmp_last(c, r);
		char wait[64];
		fprintf(f, "  %7zu %7zu %+7lld  %-9s  %-17s ", n0, n1, (long long)n1 - (long long)n0, kind_name(r->kind),
			sanitize_copy(r->group->wait ? r->group->wait : "?", wait, sizeof(wait)));
		print_site(f, r->group);
		print_labels(f, r->group);
		if (!n0)
			fputs("  (new)", f);
		else if (!n1)
			fputs("  (gone)", f);
		fputc('\n', f);
	}
}

/* Copies text to f over what the terminal showed: from the top left, each
 * line cut to width display columns and cleared to its end, the whole cut
 * to height lines (a table updated in place must not scroll), the rest of
 * the screen cleared. */
static void fit(FILE *f, const char *text, int width, int height)
{
	fputs("\033[H", f);
	int lines = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (height > 0 && lines == height - 1 && nl && nl[1]) {
			size_t rest = 0;
			for (const char *q = p; *q; q++)
				rest += *q == '\n';
			fprintf(f, "... %zu more lines: enlarge the terminal, or pipe the output for every line\033[K\n\033[J", rest);
			return;
		}
		int cols = 0;
		size_t cut = len;
		for (size_t i = 0; i < len; i++) {
			if (((unsigned char)p[i] & 0xc0) == 0x80)
				continue;
			if (width > 0 && cols == width) {
				cut = i;
				break;
			}
			cols++;
		}
		fwrite(p, 1, cut, f);
		fputs("\033[K\n", f);
		lines++;
		p += nl ? len + 1 : len;
	}
	fputs("\033[J", f);
}

void report_compare_text(FILE *f, const struct cmp *c, const struct compare_view *v)
{
	if (!c->npoints)
		return;
	const struct cmp_row **rows = cmp_sorted(c);
	char *text = NULL;
	size_t len = 0;
	FILE *m = (v->width > 0 || v->height > 0) ? open_memstream(&text, &len) : NULL;
	FILE *out = m ? m : f;
	if (v->watch)
		watch_text(out, c, v, rows);
	else
		diff_text(out, c, rows);
	if (m) {
		fclose(m);
		fit(f, text, v->width, v->height);
		free(text);
	}
	free(rows);
}

void report_compare_summary(FILE *f, const struct cmp *c)
{
	if (c->npoints < 2)
		return;
	const struct cmp_row **rows = cmp_sorted(c);
	size_t n = 0;
	for (size_t i = 0; i < c->nrows; i++) {
		const struct cmp_row *r = rows[i];
		if (!r->suspect)
			continue;
		if (!n++) {
			fprintf(f, "\nLeak suspects after %zu captures over ", c->npoints);
			print_span(f, cmp_minutes(c));
			fputs(":\n", f);
		}
		char wait[64];
		fprintf(f, "  %zu -> %zu %ss (%+.1f/min) %s at ", cmp_first(c, r), cmp_last(c, r), kind_name(r->kind), r->growth_per_min,
			sanitize_copy(r->group->wait ? r->group->wait : "?", wait, sizeof(wait)));
		print_site(f, r->group);
		if (r->group->leaked)
			fprintf(f, "; %zu of them can never wake (LEAKED)", r->group->leaked);
		fputc('\n', f);
	}
	if (!n) {
		fprintf(f, "\nNo leak suspect after %zu captures over ", c->npoints);
		print_span(f, cmp_minutes(c));
		fputs(": no group grew in every capture.\n", f);
	}
	free(rows);
}

void report_compare_json(FILE *f, const struct cmp *c, const struct compare_view *v)
{
	struct json j;
	report_json_begin(&j, f);
	json_key(&j, "comparison");
	json_string(&j, v->watch ? "watch" : "diff");
	if (c->last) {
		json_key(&j, "target");
		report_json_target(&j, &c->last->a.report);
	}
	if (v->watch) {
		json_key(&j, "interval_s");
		json_double(&j, v->interval_s);
	}
	json_key(&j, "minutes");
	json_double(&j, cmp_minutes(c));
	json_key(&j, "captures");
	json_begin_array(&j);
	for (size_t i = 0; i < c->npoints; i++) {
		const struct cmp_point *p = &c->points[i];
		json_begin_object(&j);
		if (p->label) {
			json_key(&j, "file");
			json_string(&j, p->label);
		}
		json_key(&j, "pid");
		json_int(&j, p->pid);
		json_key(&j, "taken_at");
		json_int(&j, p->taken_at);
		json_key(&j, "at_s");
		json_double(&j, (double)(p->at_us - c->points[0].at_us) / 1e6);
		json_key(&j, "threads");
		json_uint(&j, p->threads);
		json_key(&j, "goroutines");
		json_uint(&j, p->goroutines);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "groups");
	json_begin_array(&j);
	const struct cmp_row **rows = cmp_sorted(c);
	for (size_t i = 0; i < c->nrows; i++) {
		const struct cmp_row *r = rows[i];
		size_t n0 = cmp_first(c, r), n1 = cmp_last(c, r);
		json_begin_object(&j);
		report_json_group_fields(&j, &r->rep->a.report, r->group);
		json_key(&j, "before");
		json_uint(&j, n0);
		json_key(&j, "after");
		json_uint(&j, n1);
		json_key(&j, "delta");
		json_int(&j, (int64_t)n1 - (int64_t)n0);
		json_key(&j, "growth_per_min");
		if (cmp_minutes(c) > 0)
			json_double(&j, r->growth_per_min);
		else
			json_null(&j);
		if (v->watch) {
			json_key(&j, "counts");
			json_begin_array(&j);
			for (size_t k = 0; k < c->npoints; k++)
				json_uint(&j, r->counts[k]);
			json_end_array(&j);
			json_key(&j, "leak_suspect");
			json_bool(&j, r->suspect);
		}
		json_end_object(&j);
	}
	free(rows);
	json_end_array(&j);
	json_end_object(&j);
	fputc('\n', f);
}
