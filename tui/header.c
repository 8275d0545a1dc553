/* header.c - the lines every screen shares: the target at the top (what,
 * which capture, the crash, warnings) and the keys at the bottom, which
 * come from the key table. */
#include "app.h"
#include "snapshot_json.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void fmt_us(char *buf, size_t size, uint64_t us)
{
	if (us < 1000)
		snprintf(buf, size, "%llu us", (unsigned long long)us);
	else if (us < 10000000)
		snprintf(buf, size, "%.1f ms", (double)us / 1e3);
	else
		snprintf(buf, size, "%.1f s", (double)us / 1e6);
}

static void capture_text(const struct tui_model *m, char *buf, size_t size)
{
	const struct snapshot *s = m->snap;
	const struct snapshot_json_origin *o = snapshot_json_origin(s);
	char took[32], pause[32];
	fmt_us(took, sizeof(took), s->elapsed_us);
	fmt_us(pause, sizeof(pause), s->pause_us);
	if (s->nhosts) {
		snprintf(buf, size, "merged snapshots (pileup merge)");
	} else if (s->source == SNAP_DUMP) {
		snprintf(buf, size, "%s: no threads, no memory", s->dump_format ? s->dump_format : "a Go dump");
	} else if (s->source == SNAP_CORE) {
		snprintf(buf, size, "from a core file");
	} else if (s->source == SNAP_SAVED) {
		/* A report saved from a saved report says "saved" itself. */
		const char *mode = o && o->mode ? o->mode : "saved";
		if (!strcmp(mode, "core"))
			snprintf(buf, size, "saved from a core file");
		else if (!strcmp(mode, "stop-all"))
			snprintf(buf, size, "saved stop-all capture, all threads paused %s", pause);
		else if (!strcmp(mode, "saved"))
			snprintf(buf, size, "saved snapshot");
		else if (!strcmp(mode, "dump"))
			snprintf(buf, size, "saved %s", s->dump_format ? s->dump_format : "Go dump");
		else
			snprintf(buf, size, "saved %s capture, longest pause %s", mode, pause);
	} else if (s->mode == SNAP_MODE_STOP_ALL) {
		snprintf(buf, size, "stop-all capture in %s, all threads paused %s", took, pause);
	} else {
		size_t stopped = 0;
		for (size_t i = 0; i < s->nthreads; i++)
			stopped += s->threads[i].how == SNAP_HOW_STOPPED;
		if (stopped)
			snprintf(buf, size, "nonstop capture in %s, %zu running thread%s stopped, longest %s", took, stopped,
				 stopped == 1 ? "" : "s", pause);
		else
			snprintf(buf, size, "nonstop capture in %s, no thread stopped", took);
	}
}

void header_draw(struct tui *t, int w)
{
	const struct tui_model *m = &t->model;
	const struct snapshot *s = m->snap;
	const struct snapshot_json_origin *o = snapshot_json_origin(s);
	char left[2048] = "", right[64] = "", cap[512];
	tui_appendf(left, sizeof(left), " pileup  ");
	if (o)
		tui_appendf(left, sizeof(left), "%s: ", o->path);
	if (s->core_path)
		tui_appendf(left, sizeof(left), "core %s  ", s->core_path);
	if (s->nhosts) {
		tui_appendf(left, sizeof(left), "merged %zu hosts:", s->nhosts);
		for (size_t i = 0; i < s->nhosts && i < 8; i++)
			tui_appendf(left, sizeof(left), " %s", s->hosts[i]);
		if (s->nhosts > 8)
			tui_appendf(left, sizeof(left), " ...");
	} else if (s->pid) {
		tui_appendf(left, sizeof(left), "pid %d", (int)s->pid);
	} else if (s->dump_from) {
		tui_appendf(left, sizeof(left), "%s", s->dump_from);
	}
	if (s->exe)
		tui_appendf(left, sizeof(left), "  %s", s->exe);
	if (s->go_version)
		tui_appendf(left, sizeof(left), "  %s", s->go_version);
	if (s->taken_at) {
		time_t tt = (time_t)s->taken_at;
		struct tm tm;
		if (gmtime_r(&tt, &tm))
			strftime(right, sizeof(right), "%Y-%m-%d %H:%M:%S UTC ", &tm);
	}
	attr_t head = draw_attr(ROLE_HEAD);
	draw_blank(0, 0, w, head);
	int rw = draw_width(right);
	bool fits = draw_width(left) + rw + 2 <= w;
	draw_str(0, 0, fits ? w - rw : w, left, head);
	if (fits)
		draw_str(0, w - rw, rw, right, head);

	const char *sep = draw_sep();
	capture_text(m, cap, sizeof(cap));
	left[0] = 0;
	tui_appendf(left, sizeof(left), " %zu thread%s", s->nthreads, s->nthreads == 1 ? "" : "s");
	if (m->captures > 1)
		tui_appendf(left, sizeof(left), " (%+ld)", (long)s->nthreads - (long)m->prev_total[GROUP_THREADS]);
	if (s->go_version || s->ngoroutines) {
		tui_appendf(left, sizeof(left), ", %zu goroutine%s", s->ngoroutines, s->ngoroutines == 1 ? "" : "s");
		if (m->captures > 1)
			tui_appendf(left, sizeof(left), " (%+ld)", (long)s->ngoroutines - (long)m->prev_total[GROUP_GOROUTINES]);
	}
	tui_appendf(left, sizeof(left), "%s%s", sep, cap);
	size_t partial = snapshot_partial_threads(s);
	if (partial)
		tui_appendf(left, sizeof(left), "%s%zu incomplete", sep, partial);
	if (m->captures > 1)
		tui_appendf(left, sizeof(left), "%scapture #%u", sep, m->captures);
	int x = draw_str(1, 0, w, left, A_NORMAL);
	if (s->nwarnings) {
		char warn[600];
		snprintf(warn, sizeof(warn), "%swarning: %s%s", sep, s->warnings[0], s->nwarnings > 1 ? " (and more)" : "");
		x += draw_str_fit(1, x, w - x, warn, draw_attr(ROLE_ERROR));
	}
	if (s->have_crash) {
		char crash[128];
		const char *name = sigabbrev_np(s->crash_signal);
		snprintf(crash, sizeof(crash), "%sCRASHED: thread %d, SIG%s at 0x%llx", sep, (int)s->crash_tid,
			 name ? name : "?", (unsigned long long)s->crash_addr);
		draw_str(1, x, w - x, crash, draw_attr(ROLE_CRASH));
	}
}

/* The footer's label for a binding on the current screen, or NULL. */
static const char *footer_label(struct tui *t, const struct key_binding *b)
{
	const struct tui_model *m = &t->model;
	if (!b->footer || !(b->where & t->view->ops->where))
		return NULL;
	switch (b->req) {
	case REQ_KIND:
		if (!m->a.goroutines)
			return NULL;
		return m->kind == GROUP_THREADS ? "Goroutines" : "Threads";
	case REQ_GROUP_BY: return m->by == GROUP_BY_STACK ? "By site" : "By stack";
	case REQ_LIBRARY: return m->hide_library ? "Show lib" : "Hide lib";
	case REQ_HOLDER: return model_has_holders(m) ? b->footer : NULL;
	case REQ_HOSTS: return m->snap->nhosts ? b->footer : NULL;
	case REQ_RECAPTURE:
		if (model_cannot_recapture(m))
			return NULL;
		return m->snap->source == SNAP_SAVED ? "Reload" : b->footer;
	default: return b->footer;
	}
}

void footer_draw(struct tui *t, int y, int w)
{
	draw_blank(y, 0, w, A_NORMAL);
	if (t->message[0]) {
		draw_str(y, 0, w, t->message, draw_attr(t->message_role));
		return;
	}
	int x = 0;
	for (size_t i = 0; i < keys_count; i++) {
		const struct key_binding *b = &keys_table[i];
		const char *label = footer_label(t, b);
		if (!label)
			continue;
		char key[32];
		keys_label(b->keys[0], key, sizeof(key));
		int need = draw_width(key) + 1 + draw_width(label);
		if (x + need > w)
			break;
		x += draw_str(y, x, w - x, key, draw_attr(ROLE_KEY));
		x += draw_str(y, x + 1, w - x - 1, label, A_NORMAL) + 1;
		x += 1;
	}
}
