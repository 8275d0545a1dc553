#include "draw.h"
#include "sanitize.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define DRAW_MAX 1024 /* widest row drawn, in columns */

static bool utf8;
static int colours;
static attr_t attrs[ROLE__COUNT];

struct role_style {
	attr_t mono;
	short fg8, bg8;
	short fg256, bg256;
	attr_t extra; /* with colour */
};

/* -1: the terminal's default colour. */
static const struct role_style styles[ROLE__COUNT] = {
	[ROLE_NORMAL] = {0, -1, -1, -1, -1, 0},
	[ROLE_HEAD] = {A_REVERSE | A_BOLD, COLOR_WHITE, COLOR_BLUE, 231, 24, A_BOLD},
	[ROLE_TITLE] = {A_BOLD | A_UNDERLINE, COLOR_BLACK, COLOR_GREEN, 16, 108, 0},
	[ROLE_CURSOR] = {A_REVERSE, COLOR_BLACK, COLOR_CYAN, 231, 31, 0},
	[ROLE_DOMINANT] = {A_BOLD, COLOR_RED, -1, 203, -1, A_BOLD},
	[ROLE_CRASH] = {A_BOLD | A_UNDERLINE, COLOR_WHITE, COLOR_RED, 231, 160, A_BOLD},
	[ROLE_DIM] = {A_DIM, -1, -1, 245, -1, 0},
	[ROLE_BAR] = {0, COLOR_GREEN, -1, 71, -1, 0},
	[ROLE_GROW] = {A_BOLD, COLOR_RED, -1, 203, -1, A_BOLD},
	[ROLE_SHRINK] = {0, COLOR_GREEN, -1, 71, -1, 0},
	[ROLE_KEY] = {A_REVERSE, COLOR_BLACK, COLOR_CYAN, 16, 74, 0},
	[ROLE_MESSAGE] = {A_BOLD, COLOR_YELLOW, -1, 220, -1, A_BOLD},
	[ROLE_ERROR] = {A_BOLD, COLOR_RED, -1, 203, -1, A_BOLD},
	[ROLE_MARK] = {A_BOLD | A_UNDERLINE, COLOR_BLACK, COLOR_YELLOW, 16, 179, 0},
	[ROLE_SECTION] = {A_BOLD | A_UNDERLINE, COLOR_CYAN, -1, 74, -1, A_BOLD},
};

void draw_setup(int ncolours, bool is_utf8)
{
	utf8 = is_utf8;
	colours = ncolours;
	for (int r = 0; r < ROLE__COUNT; r++) {
		const struct role_style *s = &styles[r];
		attrs[r] = s->mono;
		if (!colours || r == ROLE_NORMAL)
			continue;
		short fg = colours >= 256 ? s->fg256 : s->fg8, bg = colours >= 256 ? s->bg256 : s->bg8;
		if (fg == -1 && bg == -1) {
			attrs[r] = s->mono;
			continue;
		}
		if (init_pair((short)r, fg, bg) == ERR) {
			attrs[r] = s->mono;
			continue;
		}
		attrs[r] = COLOR_PAIR(r) | s->extra;
	}
	/* Dim also where colours exist: not every terminal shows A_DIM. */
	if (colours)
		attrs[ROLE_DIM] |= colours >= 256 ? 0 : A_DIM;
}

bool draw_utf8(void)
{
	return utf8;
}

int draw_colours(void)
{
	return colours;
}

attr_t draw_attr(enum draw_role role)
{
	return (unsigned)role < ROLE__COUNT ? attrs[role] : 0;
}

const char *draw_sep(void)
{
	return utf8 ? " \u00b7 " : " | ";
}

/* One display unit of s: the wide characters shown for it and their
 * width.  Returns the bytes of s it covers. */
static size_t unit(const unsigned char *p, wchar_t *out, int *nout, int *width)
{
	unsigned char c = *p;
	if (c >= 0x20 && c < 0x7f) {
		out[0] = c;
		*nout = *width = 1;
		return 1;
	}
	/* The rule every output follows (sanitize.h); a terminal that is not
	 * UTF-8 gets every other byte escaped. */
	bool esc = true;
	size_t n = c >= 0x80 && utf8 ? sanitize_unit(p, &esc) : 1;
	char e[SANITIZE_ESCAPE_MAX];
	if (esc) {
		int k = (int)sanitize_escape(p, n, e);
		for (int i = 0; i < k; i++)
			out[i] = (unsigned char)e[i];
		*nout = *width = k;
		return n;
	}
	if (n > 1) {
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		wchar_t wc;
		size_t r = mbrtowc(&wc, (const char *)p, n, &st);
		if (r == n) {
			int w = wcwidth(wc);
			if (w >= 1) {
				out[0] = wc;
				*nout = 1;
				*width = w;
				return n;
			}
			/* What curses cannot draw in a cell of its own (combining
			 * marks, characters unknown to the locale) is escaped
			 * too: the columns must add up. */
			int k = (int)sanitize_escape(p, n, e);
			for (int i = 0; i < k; i++)
				out[i] = (unsigned char)e[i];
			*nout = *width = k;
			return n;
		}
	}
	int k = (int)sanitize_escape(p, 1, e);
	for (int i = 0; i < k; i++)
		out[i] = (unsigned char)e[i];
	*nout = *width = k;
	return 1;
}

int draw_width(const char *s)
{
	int w = 0;
	wchar_t u[16];
	int n, uw;
	if (!s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		p += unit(p, u, &n, &uw);
		w += uw;
	}
	return w;
}

int draw_str(int y, int x, int w, const char *s, attr_t a)
{
	wchar_t buf[DRAW_MAX + 16], u[16];
	int len = 0, used = 0, n, uw;
	if (!s || w <= 0 || y < 0 || x < 0 || y >= LINES || x >= COLS)
		return 0;
	if (w > COLS - x)
		w = COLS - x;
	if (w > DRAW_MAX)
		w = DRAW_MAX;
	for (const unsigned char *p = (const unsigned char *)s; *p && used < w;) {
		p += unit(p, u, &n, &uw);
		if (n == 1 && used + uw > w)
			break; /* a wide character that does not fit */
		for (int i = 0; i < n && used < w; i++) {
			buf[len++] = u[i];
			used += n == 1 ? uw : 1;
		}
	}
	attrset(a);
	if (len)
		mvaddnwstr(y, x, buf, len);
	attrset(A_NORMAL);
	return used;
}

int draw_fmt(int y, int x, int w, attr_t a, const char *fmt, ...)
{
	char buf[DRAW_MAX * 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return draw_str(y, x, w, buf, a);
}

int draw_str_fit(int y, int x, int w, const char *s, attr_t a)
{
	if (w <= 1 || draw_width(s) <= w)
		return draw_str(y, x, w, s, a);
	int used = draw_str(y, x, w - 1, s, a);
	return used + draw_str(y, x + used, 1, utf8 ? "\u2026" : "~", a);
}

int draw_str_right(int y, int x, int w, const char *s, attr_t a)
{
	int sw = draw_width(s);
	if (sw < w)
		return draw_str(y, x + w - sw, sw, s, a);
	return draw_str(y, x, w, s, a);
}

void draw_blank(int y, int x, int w, attr_t a)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS || w <= 0)
		return;
	if (w > COLS - x)
		w = COLS - x;
	attrset(a);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

void draw_bar(int y, int x, int w, double frac, attr_t a)
{
	if (w <= 0)
		return;
	if (!(frac > 0))
		frac = 0;
	if (frac > 1)
		frac = 1;
	wchar_t buf[DRAW_MAX];
	int len = 0;
	if (w > DRAW_MAX)
		w = DRAW_MAX;
	if (utf8) {
		int eighths = (int)(frac * w * 8 + 0.5);
		if (frac > 0 && eighths == 0)
			eighths = 1;
		for (; eighths >= 8; eighths -= 8)
			buf[len++] = 0x2588;
		if (eighths > 0)
			buf[len++] = (wchar_t)(0x2590 - eighths);
	} else {
		int cells = (int)(frac * w + 0.5);
		if (frac > 0 && cells == 0)
			cells = 1;
		while (len < cells)
			buf[len++] = '#';
	}
	attrset(a);
	if (len)
		mvaddnwstr(y, x, buf, len);
	attrset(A_NORMAL);
}
