/* report_folded.c - folded stacks: "outer;...;inner;[wait] COUNT" per line. */
#include "report.h"
#include "sanitize.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *report_frame_name(const struct frame *f, char *buf, size_t size)
{
	if (f->function)
		return f->function;
	const char *m = f->module ? strrchr(f->module, '/') : NULL;
	snprintf(buf, size, "%s+0x%" PRIx64, m ? m + 1 : f->module ? f->module : "??", f->offset);
	return buf;
}

struct line {
	char *text;
	size_t count;
};

/* ';' separates frames and the last space the count: a name from the
 * target holding ';' (or a control byte) gets it escaped as \xNN. */
static char *group_line(const struct group *g)
{
	char *text = NULL, buf[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return xstrdup("");
	for (size_t i = g->nframes; i-- > 0;) {
		sanitize_fputs_also(report_frame_name(&g->frames[i], buf, sizeof(buf)), ";", f);
		fputc(';', f);
	}
	fputc('[', f);
	sanitize_fputs_also(g->wait ? g->wait : "?", ";", f);
	fputc(']', f);
	fclose(f);
	return text ? text : xstrdup("");
}

static int cmp_text(const void *x, const void *y)
{
	const struct line *a = x, *b = y;
	return strcmp(a->text, b->text);
}

static int cmp_count(const void *x, const void *y)
{
	const struct line *a = x, *b = y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->text, b->text);
}

static void add_lines(const struct grouping *gr, struct line **lines, size_t *n, size_t *cap)
{
	for (size_t i = 0; gr && i < gr->ngroups; i++) {
		xgrow(lines, cap, *n + 1, sizeof(**lines));
		(*lines)[(*n)++] = (struct line){group_line(&gr->groups[i]), gr->groups[i].count};
	}
}

void report_folded(FILE *f, const struct report *r)
{
	struct line *lines = NULL;
	size_t n = 0, cap = 0;
	add_lines(r->goroutines, &lines, &n, &cap);
	add_lines(r->threads, &lines, &n, &cap);
	/* Groups that differ only in source lines (or a thread and a
	 * goroutine with the same frames) print alike: one line, summed. */
	if (n > 1)
		qsort(lines, n, sizeof(*lines), cmp_text);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && strcmp(lines[m - 1].text, lines[i].text) == 0) {
			lines[m - 1].count += lines[i].count;
			free(lines[i].text);
		} else {
			lines[m++] = lines[i];
		}
	}
	if (m > 1)
		qsort(lines, m, sizeof(*lines), cmp_count);
	for (size_t i = 0; i < m; i++) {
		fprintf(f, "%s %zu\n", lines[i].text, lines[i].count);
		free(lines[i].text);
	}
	free(lines);
}
