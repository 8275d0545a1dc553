/* report_svg.c - an icicle graph of where threads and goroutines wait, as
 * one standalone SVG file: no script, a <title> tooltip per rectangle and
 * a CSS hover outline.
 *
 * The groups' stacks are merged into a tree by frame name, outermost frame
 * first (as in the folded stacks): the root at the top, then "threads" and
 * "goroutines", their frames, and each stack's wait as a leaf at the
 * bottom.  Widths are proportional to counts. */
#include "report.h"
#include "sanitize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum node_type { NODE_ROOT, NODE_KIND, NODE_FRAME, NODE_WAIT };

struct node {
	enum node_type type;
	enum group_kind kind;
	char *name;                /* raw bytes from the target */
	const struct frame *frame; /* NODE_FRAME: the first frame merged here */
	bool other_lines;          /* frames merged here differ in file:line */
	bool dominant;             /* a dominant wait site of some group */
	size_t count, depth, parent;
	size_t *kids, nkids, cap_kids;
	const struct group **groups; /* NODE_WAIT: the groups ending here */
	size_t ngroups, cap_groups;
};

struct tree {
	struct node *nodes;
	size_t n, cap, max_depth;
	/* (parent, type, name) -> node id + 1: a Go program's thousands of
	 * distinct stacks must not make finding a child quadratic */
	size_t *slot, nslots;
	size_t hidden; /* members in rectangles too narrow to draw */
};

enum {
	SVG_WIDTH = 1200, SVG_MARGIN = 10, ROW = 18, BAR = 17, GRAPH_TOP = 52,
	FONT_PX = 11,
};
#define CHAR_PX 6.7 /* advance of an 11 px monospace character */
#define MIN_WIDTH 0.1 /* px: narrower rectangles are left out */

static size_t tree_new(struct tree *t, enum node_type type, enum group_kind kind, const char *name, size_t depth)
{
	xgrow(&t->nodes, &t->cap, t->n + 1, sizeof(*t->nodes));
	struct node *nd = &t->nodes[t->n];
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->kind = kind;
	nd->name = xstrdup(name);
	nd->depth = depth;
	if (depth > t->max_depth)
		t->max_depth = depth;
	return t->n++;
}

static unsigned int hash_name(const char *s)
{
	unsigned int h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t child_hash(size_t parent, enum node_type type, const char *name)
{
	return (size_t)(((unsigned long long)parent * 0x9e3779b97f4a7c15ULL) ^ hash_name(name) ^ (unsigned long long)type << 40);
}

/* The slot for (parent, type, name): the child's id + 1, or 0 where to put it. */
static size_t *child_slot(struct tree *t, size_t parent, enum node_type type, const char *name)
{
	size_t j = child_hash(parent, type, name) & (t->nslots - 1);
	while (t->slot[j]) {
		const struct node *k = &t->nodes[t->slot[j] - 1];
		if (k->parent == parent && k->type == type && strcmp(k->name, name) == 0)
			break;
		j = (j + 1) & (t->nslots - 1);
	}
	return &t->slot[j];
}

static size_t tree_child(struct tree *t, size_t parent, enum node_type type, const char *name)
{
	if (2 * (t->n + 1) > t->nslots) {
		size_t *old = t->slot, nold = t->nslots;
		t->nslots = nold ? 2 * nold : 256;
		t->slot = xcalloc(t->nslots, sizeof(*t->slot));
		for (size_t i = 0; i < nold; i++)
			if (old[i]) {
				const struct node *k = &t->nodes[old[i] - 1];
				*child_slot(t, k->parent, k->type, k->name) = old[i];
			}
		free(old);
	}
	size_t *slot = child_slot(t, parent, type, name);
	if (*slot)
		return *slot - 1;
	struct node *p = &t->nodes[parent];
	size_t id = tree_new(t, type, p->kind, name, p->depth + 1);
	t->nodes[id].parent = parent;
	*slot = id + 1;
	p = &t->nodes[parent]; /* tree_new may have moved the nodes */
	xgrow(&p->kids, &p->cap_kids, p->nkids + 1, sizeof(*p->kids));
	p->kids[p->nkids++] = id;
	return id;
}

static void tree_add(struct tree *t, size_t top, const struct group *g)
{
	char buf[256];
	size_t cur = top;
	t->nodes[cur].count += g->count;
	for (size_t i = g->nframes; i-- > 0;) {
		const struct frame *f = &g->frames[i];
		cur = tree_child(t, cur, NODE_FRAME, report_frame_name(f, buf, sizeof(buf)));
		struct node *nd = &t->nodes[cur];
		nd->count += g->count;
		if (!nd->frame)
			nd->frame = f;
		else if (nd->frame->file != f->file || nd->frame->line != f->line)
			nd->other_lines = true;
		if (g->dominant && (int)i == g->wait_site)
			nd->dominant = true;
	}
	cur = tree_child(t, cur, NODE_WAIT, g->wait ? g->wait : "?");
	struct node *leaf = &t->nodes[cur];
	leaf->count += g->count;
	xgrow(&leaf->groups, &leaf->cap_groups, leaf->ngroups + 1, sizeof(*leaf->groups));
	leaf->groups[leaf->ngroups++] = g;
}

static void tree_destroy(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].kids);
		free(t->nodes[i].groups);
	}
	free(t->nodes);
	free(t->slot);
}

/* Children: largest first, then by name, so the picture is stable. */
static int cmp_kids(const void *x, const void *y, void *arg)
{
	const struct tree *t = arg;
	const struct node *a = &t->nodes[*(const size_t *)x], *b = &t->nodes[*(const size_t *)y];
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* XML can carry neither control characters nor U+FFFE/U+FFFF, and needs
 * well-formed UTF-8; bidi overrides and invisible characters would
 * disguise the text: all are escaped as on a terminal (sanitize.h). */
static size_t xml_seq(const unsigned char *p, bool *escape, char *esc, size_t *esclen)
{
	size_t n = sanitize_unit(p, escape);
	if (*escape)
		*esclen = sanitize_escape(p, n, esc);
	return n;
}

/* Characters s takes once written by xml_put. */
static size_t xml_chars(const char *s)
{
	size_t chars = 0, el;
	bool esc;
	char e[SANITIZE_ESCAPE_MAX];
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		p += xml_seq(p, &esc, e, &el);
		chars += esc ? el : 1;
	}
	return chars;
}

/* Writes at most max characters of s as XML text (also fit for attribute
 * values): & < > " ' as entities; returns the characters written. */
static size_t xml_put(FILE *f, const char *s, size_t max)
{
	size_t chars = 0, el = 0;
	bool esc;
	char e[SANITIZE_ESCAPE_MAX];
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = xml_seq(p, &esc, e, &el);
		if (chars + (esc ? el : 1) > max)
			break;
		if (esc) {
			fwrite(e, 1, el, f);
			chars += el;
		} else {
			switch (*p) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&apos;", f); break;
			default: fwrite(p, 1, n, f);
			}
			chars++;
		}
		p += n;
	}
	return chars;
}

static void xml_puts(FILE *f, const char *s)
{
	xml_put(f, s ? s : "", SIZE_MAX);
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* Dominant sites are red and nothing else is: the program's own frames
 * are warm yellow-orange, library frames grey-blue, waits light blue. */
static const char *const COLOR_DOMINANT = "#d7191c";
static const char *const COLOR_WAIT = "#a6c8ec";
static const char *const COLOR_ROOT = "#bdbdbd";

static void node_color(const struct node *nd, char *buf, size_t size)
{
	unsigned int h = hash_name(nd->name);
	switch (nd->type) {
	case NODE_ROOT:
	case NODE_KIND:
		snprintf(buf, size, "%s", COLOR_ROOT);
		return;
	case NODE_WAIT:
		snprintf(buf, size, "%s", COLOR_WAIT);
		return;
	case NODE_FRAME:
		break;
	}
	if (nd->dominant)
		snprintf(buf, size, "%s", COLOR_DOMINANT);
	else if (nd->frame->library)
		snprintf(buf, size, "#%02x%02x%02x", 188 + h % 20, 198 + (h >> 8) % 18, 220 + (h >> 16) % 20);
	else
		snprintf(buf, size, "#%02x%02x%02x", 236 + h % 20, 160 + (h >> 8) % 60, 50 + (h >> 16) % 50);
}

static const char *unit_name(enum group_kind kind, size_t n)
{
	if (kind == GROUP_THREADS)
		return n == 1 ? "thread" : "threads";
	return n == 1 ? "goroutine" : "goroutines";
}

static int cmp_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* A wait leaf's members: ids as ranges and, for threads, a few names. */
static void title_members(FILE *f, const struct report *r, const struct node *nd)
{
	int64_t *ids = xmalloc((nd->count ? nd->count : 1) * sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; i < nd->ngroups; i++)
		for (size_t k = 0; k < nd->groups[i]->count && n < nd->count; k++)
			ids[n++] = group_member_id(r->snap, nd->groups[i], k);
	qsort(ids, n, sizeof(*ids), cmp_id);
	char *ranges = group_format_ranges(ids, n);
	free(ids);
	fprintf(f, "\n%s ", nd->kind == GROUP_THREADS ? "threads" : "goroutines");
	if (strlen(ranges) > 200)
		strcpy(ranges + 196, "...");
	xml_puts(f, ranges);
	free(ranges);
	if (nd->kind != GROUP_THREADS)
		return;
	const char *shown[4] = {0};
	size_t nshown = 0;
	for (size_t i = 0; i < nd->ngroups; i++)
		for (size_t k = 0; k < nd->groups[i]->count && nshown < 4; k++) {
			const char *nm = r->snap->threads[nd->groups[i]->members[k]].name;
			bool dup = !nm;
			for (size_t j = 0; j < nshown && !dup; j++)
				dup = strcmp(nm, shown[j]) == 0;
			if (!dup)
				shown[nshown++] = nm;
		}
	for (size_t j = 0; j < nshown; j++) {
		fputs(j ? ", " : " (", f);
		xml_puts(f, shown[j]);
	}
	if (nshown)
		fputs(")", f);
}

static void title(FILE *f, const struct report *r, const struct node *nd, size_t total)
{
	const struct snapshot *snap = r->snap;
	fputs("<title>", f);
	switch (nd->type) {
	case NODE_ROOT:
		fprintf(f, "all: %zu %s", snap->nthreads, unit_name(GROUP_THREADS, snap->nthreads));
		if (r->goroutines)
			fprintf(f, " and %zu %s", snap->ngoroutines, unit_name(GROUP_GOROUTINES, snap->ngoroutines));
		fputs("</title>", f);
		return;
	case NODE_KIND:
		xml_puts(f, nd->name);
		break;
	case NODE_WAIT:
		fputc('[', f);
		xml_puts(f, nd->name);
		fputc(']', f);
		fputs(nd->kind == GROUP_THREADS ? " (wait class)" : " (wait reason)", f);
		break;
	case NODE_FRAME: {
		const struct frame *fr = nd->frame;
		xml_puts(f, nd->name);
		if (fr->inlined)
			fputs(" [inlined]", f);
		if (fr->file && fr->line) {
			fputc('\n', f);
			xml_puts(f, fr->file);
			fprintf(f, ":%d%s", fr->line, nd->other_lines ? " (and other lines)" : "");
		}
		if (fr->module) {
			fputs("\nin ", f);
			xml_puts(f, base_name(fr->module));
		}
		if (nd->dominant)
			fputs("\nDOMINANT wait site", f);
		break;
	}
	}
	fprintf(f, "\n%zu %s, %.1f%% of the %s", nd->count, unit_name(nd->kind, nd->count),
		total ? 100.0 * (double)nd->count / (double)total : 0.0, unit_name(nd->kind, 2));
	if (nd->type == NODE_WAIT)
		title_members(f, r, nd);
	fputs("</title>", f);
}

static void label(FILE *f, const struct node *nd, double x, double w, double y)
{
	double room = (w - 6) / CHAR_PX;
	if (room < 3)
		return;
	size_t fit = (size_t)room;
	bool brackets = nd->type == NODE_WAIT;
	size_t need = xml_chars(nd->name) + (brackets ? 2 : 0);
	fprintf(f, "<text x=\"%.2f\" y=\"%.0f\"%s>", x + 3, y + 12.5, nd->dominant ? " fill=\"#fff\"" : "");
	if (brackets)
		fputc('[', f);
	if (need <= fit) {
		xml_puts(f, nd->name);
		if (brackets)
			fputc(']', f);
	} else {
		xml_put(f, nd->name, fit - 2 - brackets);
		fputs("..", f);
	}
	fputs("</text>", f);
}

static void draw(FILE *f, const struct report *r, struct tree *t, size_t id, double x, double unit)
{
	struct node *nd = &t->nodes[id];
	size_t total = nd->type == NODE_ROOT ? nd->count : nd->kind == GROUP_THREADS ? r->snap->nthreads : r->snap->ngoroutines;
	double w = unit * (double)nd->count, y = GRAPH_TOP + (double)nd->depth * ROW;
	if (w < MIN_WIDTH && nd->type != NODE_ROOT) {
		t->hidden += nd->count; /* a browser would choke on 100000 specks */
		return;
	}
	char color[16];
	node_color(nd, color, sizeof(color));
	fputs("<g class=\"n\">", f);
	title(f, r, nd, total);
	fprintf(f, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"%s\"%s/>", x, y, w, BAR, color,
		nd->dominant ? " class=\"dom\"" : nd->type == NODE_WAIT ? " class=\"wait\"" : "");
	label(f, nd, x, w, y);
	fputs("</g>\n", f);
	if (nd->nkids > 1)
		qsort_r(nd->kids, nd->nkids, sizeof(*nd->kids), cmp_kids, t);
	for (size_t i = 0; i < nd->nkids; i++) {
		size_t k = t->nodes[id].kids[i];
		draw(f, r, t, k, x, unit);
		x += unit * (double)t->nodes[k].count;
	}
}

static void header(FILE *f, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">pileup %s: ", SVG_MARGIN, PILEUP_VERSION);
	if (snap->source == SNAP_CORE) {
		fputs("core ", f);
		xml_puts(f, snap->core_path);
		fprintf(f, " (pid %d", (int)snap->pid);
		if (snap->exe) {
			fputs(", ", f);
			xml_puts(f, snap->exe);
		}
		fputc(')', f);
	} else {
		fprintf(f, "pid %d", (int)snap->pid);
		if (snap->exe) {
			fputs(" (", f);
			xml_puts(f, snap->exe);
			fputc(')', f);
		}
	}
	fprintf(f, ", %zu %s", snap->nthreads, unit_name(GROUP_THREADS, snap->nthreads));
	if (snap->go_version) {
		fprintf(f, ", %zu %s, ", snap->ngoroutines, unit_name(GROUP_GOROUTINES, snap->ngoroutines));
		xml_puts(f, snap->go_version);
	}
	fputs("</text>\n", f);
	fprintf(f, "<text x=\"%d\" y=\"36\" fill=\"#444\">icicle graph: outermost frame at the top, the wait at the bottom;"
		   " width = number of threads or goroutines; hover for details</text>\n", SVG_MARGIN);
}

static void legend(FILE *f, const struct report *r, const struct tree *t, double y)
{
	char dominant[96];
	snprintf(dominant, sizeof(dominant), "dominant wait site (holds at least %.0f%% of the threads or goroutines)", r->dominant_pct);
	const struct {
		const char *color, *text;
	} items[] = {
		{COLOR_DOMINANT, dominant},
		{"#f0c040", "program frame"},
		{"#c4d0e4", "library frame"},
		{COLOR_WAIT, "[wait class or Go wait reason]"},
	};
	double x = SVG_MARGIN;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		const char *text = items[i].text;
		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"14\" fill=\"%s\" stroke=\"#666\"/>", x, y, items[i].color);
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", x + 20, y + 11, text);
		x += 20 + CHAR_PX * (double)strlen(text) + 24;
	}
	if (t->hidden)
		fprintf(f, "<text x=\"%d\" y=\"%.0f\" fill=\"#444\">%zu threads or goroutines in stacks narrower than %.1f px"
			   " are not drawn (--folded lists every stack)</text>\n", SVG_MARGIN, y + 30, t->hidden, MIN_WIDTH);
}

void report_svg(FILE *f, const struct report *r)
{
	const struct snapshot *snap = r->snap;
	struct tree t = {0};
	size_t root = tree_new(&t, NODE_ROOT, GROUP_THREADS, "all", 0);
	const struct grouping *parts[2] = {r->threads, r->goroutines && snap->ngoroutines ? r->goroutines : NULL};
	for (int p = 0; p < 2; p++) {
		if (!parts[p])
			continue;
		size_t top = tree_child(&t, root, NODE_KIND, p ? "goroutines" : "threads");
		t.nodes[top].kind = p ? GROUP_GOROUTINES : GROUP_THREADS;
		for (size_t i = 0; i < parts[p]->ngroups; i++)
			tree_add(&t, top, &parts[p]->groups[i]);
		t.nodes[root].count += t.nodes[top].count;
	}
	if (!t.nodes[root].count)
		t.nodes[root].count = 1; /* nothing to draw: a full-width root */
	double unit = (SVG_WIDTH - 2 * SVG_MARGIN) / (double)t.nodes[root].count;
	double legend_y = GRAPH_TOP + (double)(t.max_depth + 1) * ROW + 12;
	int height = (int)legend_y + 48;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
		   " font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"%d\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height, FONT_PX);
	fputs("<style>.n:hover rect { stroke: #000; stroke-width: 1.5; } .n text { pointer-events: none; }</style>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n", SVG_WIDTH, height);
	header(f, r);
	draw(f, r, &t, root, SVG_MARGIN, unit);
	legend(f, r, &t, legend_y);
	fputs("</svg>\n", f);
	tree_destroy(&t);
}

struct pu_error *report_svg_write(const char *path, const struct report *r)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return pu_error_new(PU_EXIT_USAGE, "cannot write the SVG to %s: %s; choose a writable path for --svg", path, strerror(errno));
	report_svg(f, r);
	errno = 0;
	bool bad = fflush(f) != 0 || ferror(f);
	int e = errno ? errno : EIO;
	if (fclose(f) != 0 && !bad) {
		bad = true;
		e = errno;
	}
	if (bad)
		return pu_error_new(PU_EXIT_USAGE, "writing the SVG to %s failed: %s", path, strerror(e));
	return NULL;
}
