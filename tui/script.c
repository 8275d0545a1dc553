#include "script.h"
#include "keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct script {
	char *path;
	FILE *f;
	unsigned lineno;
	char *line;
	size_t cap;
	const char *next; /* keys left on the current line, or NULL */
	char *arg;
};

struct pu_error *script_open(const char *path, struct script **ret)
{
	*ret = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return pu_error_new(PU_EXIT_USAGE, "PILEUP_TUI_SCRIPT: cannot open %s: %s", path, strerror(errno));
	struct script *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->f = f;
	*ret = s;
	return NULL;
}

void script_close(struct script *s)
{
	if (!s)
		return;
	fclose(s->f);
	free(s->path);
	free(s->line);
	free(s->arg);
	free(s);
}

static const struct {
	const char *name;
	int key;
} key_names[] = {
	{"Enter", '\n'}, {"Esc", KEY_ESC}, {"Tab", '\t'}, {"BS", KEY_BACKSPACE}, {"Backspace", KEY_BACKSPACE},
	{"Space", ' '}, {"Up", KEY_UP}, {"Down", KEY_DOWN}, {"Left", KEY_LEFT}, {"Right", KEY_RIGHT},
	{"PgUp", KEY_PPAGE}, {"PgDn", KEY_NPAGE}, {"Home", KEY_HOME}, {"End", KEY_END}, {"lt", '<'},
};

static struct pu_error *bad(struct script *s, const char *what)
{
	return pu_error_new(PU_EXIT_USAGE, "PILEUP_TUI_SCRIPT %s:%u: %s", s->path, s->lineno, what);
}

static struct pu_error *next_key(struct script *s, struct script_step *ret)
{
	const char *p = s->next;
	ret->item = SCRIPT_KEY;
	if (*p != '<' || !strchr(p, '>')) {
		ret->key = (unsigned char)*p;
		s->next = p + 1;
		return NULL;
	}
	const char *end = strchr(p, '>');
	size_t n = (size_t)(end - p - 1);
	char name[32];
	if (n == 0 || n >= sizeof(name)) {
		ret->key = '<';
		s->next = p + 1;
		return NULL;
	}
	memcpy(name, p + 1, n);
	name[n] = 0;
	s->next = end + 1;
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (!strcasecmp(name, key_names[i].name)) {
			ret->key = key_names[i].key;
			return NULL;
		}
	if ((name[0] == 'F' || name[0] == 'f') && isdigit((unsigned char)name[1])) {
		int k = atoi(name + 1);
		if (k >= 1 && k <= 12) {
			ret->key = KEY_F(k);
			return NULL;
		}
	}
	if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' && name[2] && !name[3]) {
		ret->key = KEY_CTRL(name[2]);
		return NULL;
	}
	char msg[80];
	snprintf(msg, sizeof(msg), "unknown key <%s>", name);
	return bad(s, msg);
}

struct pu_error *script_next(struct script *s, struct script_step *ret)
{
	memset(ret, 0, sizeof(*ret));
	while (!s->next || !*s->next) {
		s->next = NULL;
		ssize_t n = getline(&s->line, &s->cap, s->f);
		if (n < 0) {
			ret->item = SCRIPT_END;
			return NULL;
		}
		s->lineno++;
		while (n > 0 && (s->line[n - 1] == '\n' || s->line[n - 1] == '\r'))
			s->line[--n] = 0;
		if (!n || s->line[0] == '#')
			continue;
		if (s->line[0] != ':') {
			s->next = s->line;
			continue;
		}
		char *cmd = s->line + 1, *arg = cmd + strcspn(cmd, " \t");
		if (*arg)
			*arg++ = 0;
		arg += strspn(arg, " \t");
		if (!strcmp(cmd, "dump") && *arg) {
			free(s->arg);
			s->arg = xstrdup(arg);
			ret->item = SCRIPT_DUMP;
			ret->path = s->arg;
			return NULL;
		}
		if (!strcmp(cmd, "resize") && sscanf(arg, "%dx%d", &ret->cols, &ret->lines) == 2 && ret->cols > 0 &&
		    ret->lines > 0 && ret->cols <= 1000 && ret->lines <= 1000) {
			ret->item = SCRIPT_RESIZE;
			return NULL;
		}
		return bad(s, "unknown command; use ':dump FILE' or ':resize COLSxLINES'");
	}
	return next_key(s, ret);
}
