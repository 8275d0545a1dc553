/* screen_stack.c - one group: its stack, innermost first, then its members,
 * and what they wait on. */
#include "app.h"
#include "classify.h"
#include "waitdesc.h"
#include "waitgraph.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stack_screen {
	enum group_kind kind;
	enum group_by by;
	unsigned long long key;   /* finds the group again after a re-capture */
	const struct group *g;
	size_t *shown;            /* indices of the frames shown */
	size_t nshown, hidden, wrappers; /* wrappers: of the hidden, Go compiler wrappers */
	/* What the members wait on, "" if nothing: a look at every member,
	 * taken when the group is (re)opened, not at every key. */
	char waits[2400];
};

/* Rows: the frames shown (or one line saying there are none), a blank
 * line, the members' title, then one row per member. */
static size_t frame_rows(const struct stack_screen *s)
{
	return s->nshown ? s->nshown : 1;
}

static void pick_frames(struct tui *t, struct stack_screen *s)
{
	free(s->shown);
	s->shown = xmalloc((s->g->nframes ? s->g->nframes : 1) * sizeof(*s->shown));
	s->nshown = s->hidden = s->wrappers = 0;
	for (size_t i = 0; i < s->g->nframes; i++) {
		const struct frame *f = &s->g->frames[i];
		if (t->model.hide_library && f->library)
			s->hidden++;
		else if (f->wrapper && !t->model.show_wrappers && (int)i != s->g->wait_site)
			s->hidden++, s->wrappers++;
		else
			s->shown[s->nshown++] = i;
	}
	waitdesc_group(t->model.snap, s->g, s->waits, sizeof(s->waits));
}

/* Whether members wait on different objects: then each row says its own. */
static bool members_differ(struct tui *t, const struct group *g)
{
	const struct snapshot *s = t->model.snap;
	for (size_t i = 1; i < g->count; i++)
		if (waitgraph_member_wait(s, g, i)->object != waitgraph_member_wait(s, g, 0)->object)
			return true;
	return false;
}

static int head_lines(struct tui *t, struct view *v)
{
	struct stack_screen *s = v->priv;
	return 3 + (s->waits[0] != 0);
}

/* Frame columns: number, function (with its tags), source, module; the
 * module goes first when the terminal is narrow. */
struct frame_cols {
	int fn_w, src_x, src_w, mod_x, mod_w;
};

static struct frame_cols frame_columns(int w)
{
	struct frame_cols c;
	c.mod_w = w >= 100 ? 20 : w >= 70 ? 10 : 0;
	c.src_w = w >= 100 ? 32 : w >= 70 ? 24 : w >= 56 ? 20 : 16;
	c.fn_w = w - 6 - c.src_w - 1 - (c.mod_w ? c.mod_w + 1 : 0);
	c.src_x = 6 + c.fn_w + 1;
	c.mod_x = c.src_x + c.src_w + 1;
	return c;
}

static const char *unit(const struct group *g)
{
	if (g->kind == GROUP_THREADS)
		return g->count == 1 ? "thread" : "threads";
	return g->count == 1 ? "goroutine" : "goroutines";
}

static void draw_head(struct tui *t, struct view *v, int y, int w)
{
	struct stack_screen *s = v->priv;
	const struct group *g = s->g;
	const char *sep = draw_sep();
	char line[2048], site[1024];
	char mins[64] = "";
	if (g->wait_min_hi >= 0 && g->wait_min_lo == g->wait_min_hi)
		snprintf(mins, sizeof(mins), ", %" PRId64 " min", g->wait_min_hi);
	else if (g->wait_min_hi >= 0)
		snprintf(mins, sizeof(mins), ", %" PRId64 "-%" PRId64 " min", g->wait_min_lo, g->wait_min_hi);
	int x = draw_fmt(y, 0, w, A_BOLD, " %zu %s (%.1f%%) waiting: %s%s", g->count, unit(g), g->share * 100.0,
			 g->wait ? g->wait : "?", mins);
	if (g->dominant)
		x += draw_fmt(y, x, w - x, draw_attr(ROLE_DOMINANT), "%s* dominant", sep);
	if (g->crashed)
		x += draw_fmt(y, x, w - x, draw_attr(ROLE_CRASH), "%s! the crash is here", sep);
	long delta;
	bool is_new;
	if (model_delta(&t->model, g, &delta, &is_new))
		draw_fmt(y, x, w - x, draw_attr(delta > 0 ? ROLE_GROW : delta < 0 ? ROLE_SHRINK : ROLE_NORMAL),
			 "%s%s%+ld since the last capture", sep, is_new ? "new: " : "", delta);

	if (g->wait_site >= 0)
		model_frame_site(&g->frames[g->wait_site], site, sizeof(site));
	else
		snprintf(site, sizeof(site), "none (no frame of the program's own code)");
	snprintf(line, sizeof(line), " wait site: %s", site);
	if (g->blocking_call >= 0 && g->frames[g->blocking_call].function)
		tui_appendf(line, sizeof(line), "%sblocking call: %s", sep, g->frames[g->blocking_call].function);
	draw_str_fit(y + 1, 0, w, line, A_NORMAL);
	if (s->waits[0]) {
		char shown[2500];
		snprintf(shown, sizeof(shown), " waits %s", s->waits);
		draw_str_fit(y + 2, 0, w, shown, A_NORMAL);
		y++;
	}

	attr_t a = draw_attr(ROLE_TITLE);
	draw_blank(y + 2, 0, w, a);
	char title[256];
	size_t lib = s->hidden - s->wrappers;
	if (lib && s->wrappers)
		snprintf(title, sizeof(title), "FUNCTION (%zu library frame%s and %zu wrapper%s hidden)", lib, lib == 1 ? "" : "s",
			 s->wrappers, s->wrappers == 1 ? "" : "s");
	else if (lib)
		snprintf(title, sizeof(title), "FUNCTION (%zu library frame%s hidden)", lib, lib == 1 ? "" : "s");
	else if (s->wrappers)
		snprintf(title, sizeof(title), "FUNCTION (%zu wrapper%s hidden: W shows)", s->wrappers, s->wrappers == 1 ? "" : "s");
	else if (s->by == GROUP_BY_SITE && g->count > 1)
		snprintf(title, sizeof(title), "FUNCTION (stack of the first member)");
	else
		snprintf(title, sizeof(title), "FUNCTION");
	struct frame_cols c = frame_columns(w);
	draw_str(y + 2, 2, 3, "  #", a);
	draw_str(y + 2, 6, c.fn_w, title, a);
	draw_str(y + 2, c.src_x, c.src_w, "SOURCE", a);
	if (c.mod_w)
		draw_str(y + 2, c.mod_x, c.mod_w, "MODULE", a);
}

static size_t rows(struct tui *t, struct view *v)
{
	struct stack_screen *s = v->priv;
	return frame_rows(s) + 2 + s->g->count;
}

static bool selectable(struct tui *t, struct view *v, size_t row)
{
	struct stack_screen *s = v->priv;
	if (row < frame_rows(s))
		return s->nshown > 0;
	return row >= frame_rows(s) + 2;
}

static void draw_frame(struct tui *t, struct stack_screen *s, size_t i, int y, int w, bool cursor)
{
	const struct group *g = s->g;
	const struct frame *f = &g->frames[i];
	bool site = (int)i == g->wait_site, call = (int)i == g->blocking_call;
	enum draw_role role = site ? (g->dominant ? ROLE_DOMINANT : ROLE_NORMAL) : f->library ? ROLE_DIM : ROLE_NORMAL;
	attr_t a = cursor ? draw_attr(ROLE_CURSOR) : draw_attr(role) | (site ? A_BOLD : 0);
	struct frame_cols c = frame_columns(w);
	int fnw = c.fn_w;
	char buf[1200];
	draw_blank(y, 0, w, cursor ? a : A_NORMAL);
	if (cursor)
		draw_str(y, 0, 1, ">", a);
	draw_fmt(y, 2, 3, a, "%3zu", i);
	if (f->function)
		snprintf(buf, sizeof(buf), "%s", f->function);
	else
		snprintf(buf, sizeof(buf), "?? %s+0x%" PRIx64, f->module ? model_basename(f->module) : "", f->offset);
	/* Tags in words, so they read without colours too; the name gives
	 * way to them, down to half its column. */
	char tags[64] = "";
	if (f->inlined)
		strcat(tags, " [inline]");
	if (f->tail_call)
		strcat(tags, " [tail call]");
	if (site)
		strcat(tags, " [wait site]");
	if (call)
		strcat(tags, " [blocking call]");
	int tw = draw_width(tags), namew = fnw - tw < fnw / 2 ? fnw / 2 : fnw - tw;
	int x = 6 + draw_str_fit(y, 6, namew, buf, a);
	draw_str(y, x, 6 + fnw - x, tags, a);
	if (f->file && f->line)
		snprintf(buf, sizeof(buf), "%s:%d", model_basename(f->file), f->line);
	else if (f->file)
		snprintf(buf, sizeof(buf), "%s", model_basename(f->file));
	else
		buf[0] = 0;
	draw_str_fit(y, c.src_x, c.src_w, buf, a);
	if (c.mod_w)
		draw_str_fit(y, c.mod_x, c.mod_w, f->module ? model_basename(f->module) : "", a);
}

static void member_text(struct tui *t, const struct group *g, size_t k, char *buf, size_t size)
{
	const struct snapshot *snap = t->model.snap;
	if (g->kind == GROUP_THREADS) {
		const struct snap_thread *th = &snap->threads[g->members[k]];
		char sc[32] = "-";
		const char *name = th->syscall >= 0 ? syscall_name(th->syscall) : NULL;
		if (name)
			snprintf(sc, sizeof(sc), "%s", name);
		else if (th->syscall >= 0)
			snprintf(sc, sizeof(sc), "syscall %ld", th->syscall);
		snprintf(buf, size, "tid %-8d %-16s %c  %-14s", (int)th->tid, th->name ? th->name : "?", th->state, sc);
		if (snap->nhosts && th->host < snap->nhosts)
			tui_appendf(buf, size, " on %s", snap->hosts[th->host]);
		if (th->crashed)
			tui_appendf(buf, size, " CRASHED");
		if (th->waits_on.object) {
			char obj[800];
			tui_appendf(buf, size, " %s", waitdesc_object(snap, snapshot_object(snap, th->waits_on.object), obj, sizeof(obj)));
		}
		if (th->error)
			tui_appendf(buf, size, " incomplete: %s", th->error);
		return;
	}
	const struct snap_goroutine *go = &snap->goroutines[g->members[k]];
	/* A merged snapshot's member first says its host; the wait reason
	 * says more than the status "waiting". */
	buf[0] = 0;
	if (snap->nhosts && go->host < snap->nhosts)
		tui_appendf(buf, size, "%s  ", snap->hosts[go->host]);
	if (go->id)
		tui_appendf(buf, size, "goroutine %-7" PRId64 " %s", go->id, go->wait_reason ? go->wait_reason : go->status ? go->status : "?");
	else
		tui_appendf(buf, size, "goroutine (no id) %s", go->wait_reason ? go->wait_reason : go->status ? go->status : "?");
	if (go->wait_minutes >= 0)
		tui_appendf(buf, size, ", %" PRId64 " min", go->wait_minutes);
	if (go->thread)
		tui_appendf(buf, size, ", on thread %d%s", (int)go->thread, go->locked ? " (locked)" : "");
	if (go->created_function) {
		tui_appendf(buf, size, ", created by %s", go->created_function);
		if (go->created_file)
			tui_appendf(buf, size, " at %s:%d", model_basename(go->created_file), go->created_line);
		if (go->created_goroutine)
			tui_appendf(buf, size, " in goroutine %" PRId64, go->created_goroutine);
	}
	if (go->system)
		tui_appendf(buf, size, " [runtime]");
	if (go->error)
		tui_appendf(buf, size, "; incomplete: %s", go->error);
}

static void draw_row(struct tui *t, struct view *v, size_t row, int y, int w, bool cursor)
{
	struct stack_screen *s = v->priv;
	const struct group *g = s->g;
	char buf[2048];
	if (row < frame_rows(s)) {
		if (s->nshown)
			draw_frame(t, s, s->shown[row], y, w, cursor);
		else if (s->hidden)
			draw_fmt(y, 2, w - 2, draw_attr(ROLE_DIM), "(all %zu frames are library frames; L shows them)", s->hidden);
		else
			draw_str(y, 2, w - 2, "(no frames)", draw_attr(ROLE_DIM));
		return;
	}
	row -= frame_rows(s);
	if (row == 0)
		return;
	if (row == 1) {
		draw_fmt(y, 1, w - 1, draw_attr(ROLE_SECTION), "Members: %zu %s", g->count, unit(g));
		return;
	}
	size_t k = row - 2;
	attr_t a = cursor ? draw_attr(ROLE_CURSOR) : A_NORMAL;
	draw_blank(y, 0, w, a);
	if (cursor)
		draw_str(y, 0, 1, ">", a);
	if (g->kind == GROUP_GOROUTINES) {
		member_text(t, g, k, buf, sizeof(buf));
		draw_str_fit(y, 2, w - 2, buf, a);
		return;
	}
	/* Threads in columns: names from the target may be any width. */
	const struct snap_thread *th = &t->model.snap->threads[g->members[k]];
	char sc[32] = "-";
	const char *name = th->syscall >= 0 ? syscall_name(th->syscall) : NULL;
	if (name)
		snprintf(sc, sizeof(sc), "%s", name);
	else if (th->syscall >= 0)
		snprintf(sc, sizeof(sc), "syscall %ld", th->syscall);
	char st[2] = {th->state, 0};
	int x = 2 + draw_fmt(y, 2, w - 2, a, "tid %d", (int)th->tid);
	x = x < 14 ? 14 : x + 1;
	draw_str_fit(y, x, 16, th->name ? th->name : "?", a);
	draw_str(y, x + 17, 1, st, a);
	draw_str_fit(y, x + 19, 14, sc, a);
	x += 34;
	if (t->model.snap->nhosts && th->host < t->model.snap->nhosts) {
		snprintf(buf, sizeof(buf), "on %s ", t->model.snap->hosts[th->host]);
		x += draw_str_fit(y, x, w - x, buf, a);
	}
	if (th->crashed)
		x += draw_str(y, x, w - x, "CRASHED ", cursor ? a : draw_attr(ROLE_CRASH));
	if (th->waits_on.object && members_differ(t, g)) {
		char obj[800];
		waitdesc_object(t->model.snap, snapshot_object(t->model.snap, th->waits_on.object), obj, sizeof(obj));
		x += draw_str_fit(y, x, w - x, obj, a) + 1;
	}
	if (th->error) {
		snprintf(buf, sizeof(buf), "incomplete: %s", th->error);
		draw_str_fit(y, x, w - x, buf, cursor ? a : draw_attr(ROLE_ERROR));
	}
}

static bool match(struct tui *t, struct view *v, size_t row, const char *pat)
{
	struct stack_screen *s = v->priv;
	if (row < frame_rows(s))
		return s->nshown && model_frame_matches(&s->g->frames[s->shown[row]], pat);
	if (row < frame_rows(s) + 2)
		return false;
	char buf[2048];
	member_text(t, s->g, row - frame_rows(s) - 2, buf, sizeof(buf));
	return model_text_matches(buf, pat);
}

static bool request(struct tui *t, struct view *v, enum tui_req req)
{
	struct stack_screen *s = v->priv;
	if (req == REQ_HOLDER) {
		/* From the member under the cursor, else from the group. */
		size_t k = v->cursor >= frame_rows(s) + 2 ? v->cursor - frame_rows(s) - 2 : (size_t)-1;
		pid_t owner;
		size_t row;
		const char *why;
		if (model_holder(&t->model, s->g, k, &owner, &row, &why)) {
			const struct group *h = model_row(&t->model, row);
			tui_push(t, stack_view_create(t, h));
			/* On the holder itself among its group's members. */
			struct view *nv = t->view;
			struct stack_screen *ns = nv->priv;
			for (size_t i = 0; i < h->count; i++)
				if (t->model.snap->threads[h->members[i]].tid == owner)
					view_select(t, nv, frame_rows(ns) + 2 + i);
			tui_message(t, ROLE_MESSAGE, "thread %d holds it (Esc goes back)", (int)owner);
		} else {
			tui_message(t, ROLE_MESSAGE, "%s", why);
		}
		return true;
	}
	if (req == REQ_HOSTS)
		return hosts_open(t, s->g);
	if (req != REQ_ENTER)
		return false;
	if (v->cursor < frame_rows(s) && s->nshown) {
		tui_push(t, source_view_create(t, &s->g->frames[s->shown[v->cursor]]));
		return true;
	}
	tui_message(t, ROLE_MESSAGE, "Enter on a frame shows its source");
	return true;
}

static const struct group *find_group(struct tui *t, struct stack_screen *s)
{
	const struct grouping *gr = model_grouping(&t->model, s->kind, s->by);
	for (size_t i = 0; i < gr->ngroups; i++)
		if (model_group_key(&gr->groups[i], s->by) == s->key)
			return &gr->groups[i];
	return NULL;
}

static bool reload(struct tui *t, struct view *v)
{
	struct stack_screen *s = v->priv;
	const struct group *g = find_group(t, s);
	if (!g)
		return false;
	/* Keep the cursor on the same frame when library frames come and go. */
	size_t frame = v->cursor < frame_rows(s) && s->nshown ? s->shown[v->cursor] : (size_t)-1;
	size_t member = v->cursor >= frame_rows(s) + 2 ? v->cursor - frame_rows(s) - 2 : (size_t)-1;
	s->g = g;
	pick_frames(t, s);
	size_t row = 0;
	if (frame != (size_t)-1) {
		for (size_t i = 0; i < s->nshown; i++)
			if (s->shown[i] <= frame)
				row = i;
	} else if (member != (size_t)-1) {
		row = frame_rows(s) + 2 + (member < g->count ? member : g->count - 1);
	}
	view_select(t, v, row);
	return true;
}

static void destroy(struct view *v)
{
	struct stack_screen *s = v->priv;
	free(s->shown);
	free(s);
}

static const struct view_ops stack_ops = {
	.name = "stack",
	.where = ON_STACK,
	.head_lines = head_lines,
	.draw_head = draw_head,
	.rows = rows,
	.draw_row = draw_row,
	.selectable = selectable,
	.match = match,
	.request = request,
	.reload = reload,
	.destroy = destroy,
};

struct view *stack_view_create(struct tui *t, const struct group *g)
{
	struct stack_screen *s = xcalloc(1, sizeof(*s));
	s->kind = t->model.kind;
	s->by = t->model.by;
	s->key = model_group_key(g, s->by);
	s->g = g;
	pick_frames(t, s);
	struct view *v = view_new(&stack_ops, s);
	/* Start on the wait site: that is where the group waits. */
	size_t start = 0;
	for (size_t i = 0; i < s->nshown; i++)
		if ((int)s->shown[i] == g->wait_site)
			start = i;
	v->cursor = start;
	return v;
}
