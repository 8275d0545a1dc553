/* prompt.c - a line of input in the footer (search, filter, save). */
#include "app.h"

#include <stdio.h>
#include <string.h>

static bool accept_key(int k)
{
	return k == '\n' || k == '\r' || k == KEY_ENTER;
}

bool tui_prompt(struct tui *t, const char *label, const char *initial, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = 0;
	if (initial) {
		snprintf(buf, size, "%s", initial);
		len = strlen(buf);
	}
	bool ok = false;
	curs_set(1);
	for (;;) {
		int y = LINES - 1, lw = draw_width(label);
		draw_blank(y, 0, COLS, A_NORMAL);
		draw_str(y, 0, COLS, label, draw_attr(ROLE_MESSAGE));
		/* Show the end of a long input. */
		const char *shown = buf;
		while (*shown && draw_width(shown) > COLS - lw - 1)
			shown++;
		int x = lw + draw_str(y, lw, COLS - lw, shown, A_NORMAL);
		move(y, x < COLS ? x : COLS - 1);
		refresh();
		int k = tui_getkey(t);
		if (k == TUI_KEY_END) {
			t->quit = true;
			break;
		}
		if (accept_key(k)) {
			ok = true;
			break;
		}
		if (k == KEY_ESC || k == KEY_CTRL('g') || k == KEY_CTRL('c'))
			break;
		if (k == KEY_RESIZE) {
			tui_draw(t);
		} else if (k == KEY_BACKSPACE || k == 127 || k == 8) {
			while (len > 0 && ((unsigned char)buf[len - 1] & 0xc0) == 0x80)
				len--; /* a whole UTF-8 character */
			if (len > 0)
				len--;
			buf[len] = 0;
		} else if (k == KEY_CTRL('u')) {
			len = 0;
			buf[0] = 0;
		} else if (k == KEY_CTRL('w')) {
			while (len > 0 && buf[len - 1] == ' ')
				len--;
			while (len > 0 && buf[len - 1] != ' ')
				len--;
			buf[len] = 0;
		} else if (k >= 0x20 && k < 0x100 && k != 127 && len + 1 < size) {
			buf[len++] = (char)k;
			buf[len] = 0;
		}
	}
	curs_set(0);
	return ok;
}
