#include "failif.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "waitdesc.h"
#include "waitgraph.h"

static struct pu_error *bad(const char *s)
{
	return pu_error_new(PU_EXIT_USAGE,
			    "--fail-if '%s' is not a condition: use threads>N, goroutines>N, group>N, dominant, deadlock or growth>N/min", s);
}

struct pu_error *fail_if_parse(const char *s, struct fail_cond *ret)
{
	static const struct {
		const char *name;
		enum fail_kind kind;
	} names[] = {
		{"threads", FAIL_THREADS}, {"goroutines", FAIL_GOROUTINES}, {"group", FAIL_GROUP},
		{"growth", FAIL_GROWTH}, {"dominant", FAIL_DOMINANT}, {"deadlock", FAIL_DEADLOCK},
		{"leaked", FAIL_LEAKED},
	};
	memset(ret, 0, sizeof(*ret));
	ret->text = s;
	const char *p = s;
	while (*p == ' ')
		p++;
	size_t k;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (!strncmp(p, names[k].name, strlen(names[k].name)))
			break;
	if (k == sizeof(names) / sizeof(names[0]))
		return bad(s);
	ret->kind = names[k].kind;
	p += strlen(names[k].name);
	while (*p == ' ')
		p++;
	if (ret->kind == FAIL_DOMINANT || ret->kind == FAIL_DEADLOCK)
		return *p ? bad(s) : NULL;
	if (*p++ != '>')
		return bad(s);
	if (*p == '=') {
		ret->or_equal = true;
		p++;
	}
	char *end;
	ret->limit = strtod(p, &end);
	if (end == p || !isfinite(ret->limit) || ret->limit < 0)
		return bad(s);
	p = end;
	while (*p == ' ')
		p++;
	if (ret->kind == FAIL_GROWTH) {
		if (strcmp(p, "/min") && strcmp(p, "/m") && strcmp(p, "") != 0)
			return bad(s);
	} else if (*p) {
		return bad(s);
	}
	return NULL;
}

static bool over(const struct fail_cond *c, double v)
{
	return c->or_equal ? v >= c->limit : v > c->limit;
}

static void say(FILE *f, const struct fail_cond *c)
{
	fputs("pileup: --fail-if ", f);
	sanitize_fputs(c->text, f);
	fputs(": ", f);
}

static const char *kind_name(enum group_kind k, size_t n)
{
	if (k == GROUP_THREADS)
		return n == 1 ? "thread" : "threads";
	return n == 1 ? "goroutine" : "goroutines";
}

static void describe(FILE *f, const struct group *g)
{
	char wait[64], site[600];
	fprintf(f, "%s at %s", sanitize_copy(g->wait ? g->wait : "?", wait, sizeof(wait)),
		g->wait_site >= 0 ? report_frame_site(&g->frames[g->wait_site], site, sizeof(site)) : "(no site)");
}

static bool check_groups(const struct fail_cond *c, const struct grouping *gr, FILE *f)
{
	if (!gr)
		return false;
	bool hit = false;
	for (size_t i = 0; i < gr->ngroups; i++) {
		const struct group *g = &gr->groups[i];
		if (c->kind == FAIL_GROUP ? !over(c, (double)g->count) : !g->dominant)
			continue;
		say(f, c);
		if (c->kind == FAIL_GROUP)
			fprintf(f, "%zu %s in one group, ", g->count, kind_name(g->kind, g->count));
		else
			fprintf(f, "dominant wait site holding %.0f%% of the %s (%zu), ", g->share * 100, kind_name(g->kind, 2), g->count);
		describe(f, g);
		fputc('\n', f);
		hit = true;
	}
	return hit;
}

bool fail_if_check(const struct fail_cond *c, const struct report *r, const struct cmp *series, FILE *f)
{
	const struct snapshot *snap = r->snap;
	switch (c->kind) {
	case FAIL_THREADS:
	case FAIL_GOROUTINES: {
		size_t n = c->kind == FAIL_THREADS ? snap->nthreads : snap->ngoroutines;
		if (!over(c, (double)n))
			return false;
		say(f, c);
		fprintf(f, "%zu %s\n", n, c->kind == FAIL_THREADS ? kind_name(GROUP_THREADS, n) : kind_name(GROUP_GOROUTINES, n));
		return true;
	}
	case FAIL_GROUP: {
		bool a = check_groups(c, r->threads, f);
		return check_groups(c, r->goroutines, f) || a;
	}
	case FAIL_DOMINANT: {
		bool a = check_groups(c, r->sites, f);
		return check_groups(c, r->gsites, f) || a;
	}
	case FAIL_LEAKED: {
		if (!snap->leaks.done) {
			say(f, c);
			fprintf(f, "cannot tell: %s\n", snap->leaks.problem ? snap->leaks.problem : "no leak verdict (no Go goroutines)");
			return true;
		}
		if (!over(c, (double)snap->leaks.leaked))
			return false;
		say(f, c);
		fprintf(f, "%zu goroutine%s can never wake\n", snap->leaks.leaked, snap->leaks.leaked == 1 ? "" : "s");
		return true;
	}
	case FAIL_DEADLOCK: {
		const struct waitgraph *g = r->graph;
		for (size_t i = 0; g && i < g->ncycles; i++) {
			const struct wg_cycle *cy = &g->cycles[i];
			say(f, c);
			fprintf(f, "%zu thread%s wait for each other:", cy->n, cy->n == 1 ? "" : "s");
			char buf[800];
			for (size_t k = 0; k < cy->n; k++) {
				const struct snap_thread *t = &snap->threads[cy->threads[k]];
				fprintf(f, "%s thread %d on %s", k ? "," : "", (int)t->tid,
					waitdesc_object(snap, snapshot_object(snap, cy->objects[k]), buf, sizeof(buf)));
			}
			fputc('\n', f);
		}
		return g && g->ncycles;
	}
	case FAIL_GROWTH: {
		if (!series || series->npoints < 2)
			return false;
		bool hit = false;
		double minutes = cmp_minutes(series);
		for (size_t i = 0; i < series->nrows; i++) {
			const struct cmp_row *row = &series->rows[i];
			if (minutes <= 0 || !over(c, row->growth_per_min))
				continue;
			say(f, c);
			size_t first = cmp_first(series, row), last = cmp_last(series, row);
			fprintf(f, "%s grew by %+.1f/min (%zu to %zu in %.1f s): ", kind_name(row->kind, 2), row->growth_per_min, first,
				last, minutes * 60);
			describe(f, row->group);
			fputc('\n', f);
			hit = true;
		}
		return hit;
	}
	}
	return false;
}
