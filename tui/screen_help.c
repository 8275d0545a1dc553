/* screen_help.c - `?`: every key, written from the key table itself. */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct help_line {
	char *text;
	enum draw_role role;
};

struct help_screen {
	struct help_line *lines;
	size_t n, cap;
};

static void add(struct help_screen *h, enum draw_role role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add(struct help_screen *h, enum draw_role role, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xgrow(&h->lines, &h->cap, h->n + 1, sizeof(*h->lines));
	h->lines[h->n++] = (struct help_line){xstrdup(buf), role};
}

static const char *where_text(unsigned where)
{
	switch (where) {
	case ON_GROUPS: return " (groups)";
	case ON_STACK: return " (stack)";
	default: return "";
	}
}

static int head_lines(struct tui *t, struct view *v)
{
	return 1;
}

static void draw_head(struct tui *t, struct view *v, int y, int w)
{
	draw_str(y, 0, w, " Keys of the browser (Esc goes back, q quits)", A_BOLD);
}

static size_t rows(struct tui *t, struct view *v)
{
	return ((struct help_screen *)v->priv)->n;
}

static void draw_row(struct tui *t, struct view *v, size_t row, int y, int w, bool cursor)
{
	struct help_screen *h = v->priv;
	attr_t a = cursor ? draw_attr(ROLE_CURSOR) : draw_attr(h->lines[row].role);
	if (cursor)
		draw_blank(y, 0, w, a);
	draw_str(y, 1, w - 1, h->lines[row].text, a);
}

static bool match(struct tui *t, struct view *v, size_t row, const char *pat)
{
	return model_text_matches(((struct help_screen *)v->priv)->lines[row].text, pat);
}

static void destroy(struct view *v)
{
	struct help_screen *h = v->priv;
	for (size_t i = 0; i < h->n; i++)
		free(h->lines[i].text);
	free(h->lines);
	free(h);
}

static const struct view_ops help_ops = {
	.name = "help",
	.where = ON_HELP,
	.head_lines = head_lines,
	.draw_head = draw_head,
	.rows = rows,
	.draw_row = draw_row,
	.match = match,
	.destroy = destroy,
};

struct view *help_view_create(struct tui *t)
{
	struct help_screen *h = xcalloc(1, sizeof(*h));
	for (int s = 0; s < KS__COUNT; s++) {
		add(h, ROLE_SECTION, "%s", keys_section_name((enum key_section)s));
		for (size_t i = 0; i < keys_count; i++) {
			const struct key_binding *b = &keys_table[i];
			if ((int)b->section != s)
				continue;
			char keys[128];
			keys_labels(b, keys, sizeof(keys));
			add(h, ROLE_NORMAL, "  %-20s %s%s", keys, b->help, where_text(b->where));
		}
		add(h, ROLE_NORMAL, "%s", "");
	}
	add(h, ROLE_SECTION, "Marks");
	add(h, ROLE_NORMAL, "  %-20s %s", ">", "the cursor");
	add(h, ROLE_NORMAL, "  %-20s a dominant wait site: at least %.0f%% wait there", "*",
	    t->model.a.report.dominant_pct);
	add(h, ROLE_NORMAL, "  %-20s %s", "!", "the group holds the thread that crashed");
	add(h, ROLE_NORMAL, "  %-20s %s", "L", "goroutines that can never wake (--leaks), listed first");
	add(h, ROLE_NORMAL, "  %-20s %s", "+N / -N", "change of a group since the last capture (r)");
	add(h, ROLE_NORMAL, "  %-20s %s", "[wait site]", "the innermost frame of the program's own code");
	add(h, ROLE_NORMAL, "  %-20s %s", "[blocking call]", "the library call the wait site made");
	add(h, ROLE_NORMAL, "  %-20s %s", "[inline] [tail call]", "frames that are not real calls on the stack");
	add(h, ROLE_DIM, "  %-20s %s", "dim", "library and runtime frames");
	add(h, ROLE_NORMAL, "%s", "");
	add(h, ROLE_SECTION, "Search and prompts");
	add(h, ROLE_NORMAL, "  %s", "Searches ignore case unless the pattern has a capital letter.");
	add(h, ROLE_NORMAL, "  %s", "In a prompt: Enter accepts, Esc cancels, ^U clears, ^W deletes a word.");
	return view_new(&help_ops, h);
}
