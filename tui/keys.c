#include "keys.h"

#include <stdio.h>
#include <string.h>

const struct key_binding keys_table[] = {
#define KEYS_ROW(id, sec, where, footer, help, ...) \
	{REQ_##id, KS_##sec, where, footer, help, (const int[]){__VA_ARGS__, 0}},
	TUI_KEYS(KEYS_ROW)
#undef KEYS_ROW
};
const size_t keys_count = sizeof(keys_table) / sizeof(keys_table[0]);

enum tui_req keys_lookup(int key)
{
	for (size_t i = 0; i < keys_count; i++)
		for (const int *k = keys_table[i].keys; *k; k++)
			if (*k == key)
				return keys_table[i].req;
	return REQ_NONE;
}

const struct key_binding *keys_binding(enum tui_req req)
{
	for (size_t i = 0; i < keys_count; i++)
		if (keys_table[i].req == req)
			return &keys_table[i];
	return NULL;
}

const char *keys_label(int key, char *buf, size_t size)
{
	static const struct {
		int key;
		const char *name;
	} names[] = {
		{KEY_UP, "Up"}, {KEY_DOWN, "Down"}, {KEY_LEFT, "Left"}, {KEY_RIGHT, "Right"},
		{KEY_PPAGE, "PgUp"}, {KEY_NPAGE, "PgDn"}, {KEY_HOME, "Home"}, {KEY_END, "End"},
		{'\n', "Enter"}, {'\r', "Enter"}, {KEY_ENTER, "Enter"}, {KEY_ESC, "Esc"},
		{KEY_BACKSPACE, "Backspace"}, {127, "Backspace"}, {8, "Backspace"},
		{'\t', "Tab"}, {' ', "Space"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].key == key) {
			snprintf(buf, size, "%s", names[i].name);
			return buf;
		}
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, size, "F%d", key - KEY_F0);
	else if (key > 0 && key < 32)
		snprintf(buf, size, "^%c", key + '@');
	else if (key > 32 && key < 127)
		snprintf(buf, size, "%c", key);
	else
		snprintf(buf, size, "key %d", key);
	return buf;
}

const char *keys_labels(const struct key_binding *b, char *buf, size_t size)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (const int *k = b->keys; *k; k++) {
		char one[32], word[34];
		keys_label(*k, one, sizeof(one));
		snprintf(word, sizeof(word), " %s ", one);
		char padded[300];
		snprintf(padded, sizeof(padded), " %s ", buf);
		if (strstr(padded, word))
			continue;
		int n = snprintf(buf + len, size - len, "%s%s", len ? " " : "", one);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	return buf;
}

const char *keys_section_name(enum key_section s)
{
	switch (s) {
	case KS_MOVE: return "Moving around";
	case KS_VIEW: return "Screens and views";
	case KS_FIND: return "Searching";
	case KS_OTHER: return "Other";
	case KS__COUNT: break;
	}
	return "?";
}
