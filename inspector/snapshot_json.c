/* snapshot_json.c - reads a saved JSON report back into a snapshot.
 *
 * A small pull parser: the loader asks for the value it expects next, so
 * nothing but the snapshot itself is built, even for 100,000 goroutines.
 * Every read is bounds-checked; the first error stops the parse and names
 * the byte offset. */
#include "snapshot_json.h"
#include "classify.h"
#include "dump.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JP_MAX_DEPTH 200
#define JP_MAX_FILE ((size_t)1 << 31)

struct jp {
	const char *name;
	const unsigned char *s;
	size_t len, pos;
	struct pu_error *err;
	char *str; /* the last string read, NUL-terminated */
	size_t slen, scap;
	int depth;
};

static bool jp_fail(struct jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool jp_fail(struct jp *p, const char *fmt, ...)
{
	if (p->err)
		return false;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err = pu_error_new(PU_EXIT_USAGE, "%s: byte %zu: %s; give a report written by 'pileup --json'", p->name,
			      p->pos, msg);
	return false;
}

static int jp_peek(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
	return p->pos < p->len ? p->s[p->pos] : -1;
}

static bool jp_expect(struct jp *p, char c, const char *what)
{
	if (jp_peek(p) != c)
		return jp_fail(p, "expected %s", what);
	p->pos++;
	return true;
}

static void jp_put(struct jp *p, unsigned char c)
{
	xgrow(&p->str, &p->scap, p->slen + 2, 1);
	p->str[p->slen++] = (char)c;
	p->str[p->slen] = 0;
}

static void jp_put_utf8(struct jp *p, unsigned cp)
{
	if (cp < 0x80) {
		jp_put(p, (unsigned char)cp);
	} else if (cp < 0x800) {
		jp_put(p, (unsigned char)(0xc0 | cp >> 6));
		jp_put(p, (unsigned char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		jp_put(p, (unsigned char)(0xe0 | cp >> 12));
		jp_put(p, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
		jp_put(p, (unsigned char)(0x80 | (cp & 0x3f)));
	} else {
		jp_put(p, (unsigned char)(0xf0 | cp >> 18));
		jp_put(p, (unsigned char)(0x80 | (cp >> 12 & 0x3f)));
		jp_put(p, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
		jp_put(p, (unsigned char)(0x80 | (cp & 0x3f)));
	}
}

/* Four hex digits at pos; -1 if they are not. */
static long jp_hex4(struct jp *p)
{
	if (p->len - p->pos < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int c = p->s[p->pos + i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	p->pos += 4;
	return v;
}

static bool jp_string(struct jp *p)
{
	if (jp_peek(p) != '"')
		return jp_fail(p, "expected a string");
	p->pos++;
	xgrow(&p->str, &p->scap, 1, 1);
	p->str[0] = 0;
	p->slen = 0;
	for (;;) {
		if (p->pos >= p->len)
			return jp_fail(p, "the string does not end");
		unsigned char c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			return true;
		}
		if (c < 0x20)
			return jp_fail(p, "raw control character 0x%02x in a string", c);
		p->pos++;
		if (c != '\\') {
			jp_put(p, c);
			continue;
		}
		if (p->pos >= p->len)
			return jp_fail(p, "the string does not end");
		c = p->s[p->pos++];
		switch (c) {
		case '"': case '\\': case '/': jp_put(p, c); break;
		case 'b': jp_put(p, '\b'); break;
		case 'f': jp_put(p, '\f'); break;
		case 'n': jp_put(p, '\n'); break;
		case 'r': jp_put(p, '\r'); break;
		case 't': jp_put(p, '\t'); break;
		case 'u': {
			long cp = jp_hex4(p);
			if (cp < 0)
				return jp_fail(p, "\\u needs four hex digits");
			if (cp == 0)
				return jp_fail(p, "\\u0000 (a NUL byte) cannot be part of a name");
			if (cp >= 0x80 && cp <= 0xff) {
				jp_put(p, (unsigned char)cp); /* a raw byte, as json.c writes them */
			} else if (cp >= 0xd800 && cp <= 0xdbff && p->len - p->pos >= 6 && p->s[p->pos] == '\\' &&
				   p->s[p->pos + 1] == 'u') {
				size_t save = p->pos;
				p->pos += 2;
				long lo = jp_hex4(p);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					jp_put_utf8(p, 0x10000 + (((unsigned)cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00));
				} else {
					p->pos = save;
					jp_put_utf8(p, 0xfffd);
				}
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				jp_put_utf8(p, 0xfffd); /* a lone surrogate */
			} else {
				jp_put_utf8(p, (unsigned)cp);
			}
			break;
		}
		default:
			p->pos--;
			return jp_fail(p, "invalid escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
		}
	}
}

static bool jp_literal(struct jp *p, const char *lit)
{
	size_t n = strlen(lit);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
		return jp_fail(p, "expected a value");
	p->pos += n;
	return true;
}

/* Scans a number; *integral is false when it has a fraction or exponent. */
static bool jp_number_token(struct jp *p, size_t *start, bool *integral)
{
	jp_peek(p);
	*start = p->pos;
	*integral = true;
	size_t i = p->pos;
	if (i < p->len && p->s[i] == '-')
		i++;
	size_t d = i;
	while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
		i++;
	if (i == d)
		return jp_fail(p, "expected a number");
	if (i < p->len && p->s[i] == '.') {
		*integral = false;
		d = ++i;
		while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
		if (i == d)
			return jp_fail(p, "expected digits after '.'");
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		*integral = false;
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		d = i;
		while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
		if (i == d)
			return jp_fail(p, "expected digits in the exponent");
	}
	p->pos = i;
	return true;
}

static bool jp_int(struct jp *p, const char *what, int64_t lo, int64_t hi, int64_t *out)
{
	size_t start;
	bool integral;
	if (jp_peek(p) != '-' && (jp_peek(p) < '0' || jp_peek(p) > '9'))
		return jp_fail(p, "\"%s\" must be an integer", what);
	if (!jp_number_token(p, &start, &integral))
		return false;
	char tok[32];
	size_t n = p->pos - start;
	if (!integral || n >= sizeof(tok)) {
		p->pos = start;
		return jp_fail(p, "\"%s\" must be an integer from %lld to %lld", what, (long long)lo, (long long)hi);
	}
	memcpy(tok, p->s + start, n);
	tok[n] = 0;
	errno = 0;
	long long v = strtoll(tok, NULL, 10);
	if (errno || v < lo || v > hi) {
		p->pos = start;
		return jp_fail(p, "\"%s\" must be an integer from %lld to %lld", what, (long long)lo, (long long)hi);
	}
	*out = v;
	return true;
}

static bool jp_bool(struct jp *p, const char *what, bool *out)
{
	int c = jp_peek(p);
	if (c == 't' && jp_literal(p, "true"))
		*out = true;
	else if (c == 'f' && jp_literal(p, "false"))
		*out = false;
	else
		return jp_fail(p, "\"%s\" must be true or false", what);
	return true;
}

static bool jp_null(struct jp *p)
{
	if (jp_peek(p) != 'n')
		return false;
	return jp_literal(p, "null");
}

/* A string or null: *out is p->str or NULL. */
static bool jp_opt_string(struct jp *p, const char *what, const char **out)
{
	*out = NULL;
	if (jp_peek(p) == 'n')
		return jp_literal(p, "null");
	if (jp_peek(p) != '"')
		return jp_fail(p, "\"%s\" must be a string or null", what);
	if (!jp_string(p))
		return false;
	*out = p->str;
	return true;
}

/* "0x1f" (as json.c writes addresses) or a plain number. */
static bool jp_hex(struct jp *p, const char *what, uint64_t *out)
{
	if (jp_peek(p) != '"') {
		int64_t v;
		if (!jp_int(p, what, 0, INT64_MAX, &v))
			return false;
		*out = (uint64_t)v;
		return true;
	}
	size_t start = p->pos;
	if (!jp_string(p))
		return false;
	const char *s = p->str;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2] || p->slen > 18 || strspn(s + 2, "0123456789abcdefABCDEF") != p->slen - 2) {
		p->pos = start;
		return jp_fail(p, "\"%s\" must be a hex string like \"0x1f\"", what);
	}
	*out = strtoull(s + 2, NULL, 16);
	return true;
}

static bool jp_skip(struct jp *p);

static bool jp_begin(struct jp *p, char open, const char *what)
{
	if (jp_peek(p) != open)
		return jp_fail(p, "expected %s", what);
	if (p->depth >= JP_MAX_DEPTH)
		return jp_fail(p, "nested deeper than %d levels", JP_MAX_DEPTH);
	p->pos++;
	p->depth++;
	return true;
}

/* Next member of an object: the key (cut to "" when longer than size)
 * and the ':' are consumed.  False at the closing brace or on error. */
static bool jp_object_next(struct jp *p, size_t *n, char *key, size_t size)
{
	int c = jp_peek(p);
	if (c == '}') {
		p->pos++;
		p->depth--;
		return false;
	}
	if (*n && !jp_expect(p, ',', "',' or '}' in an object"))
		return false;
	if (jp_peek(p) != '"')
		return jp_fail(p, *n ? "expected a key after ','" : "expected a key or '}'");
	if (!jp_string(p))
		return false;
	if (p->slen < size)
		memcpy(key, p->str, p->slen + 1);
	else
		key[0] = 0;
	if (!jp_expect(p, ':', "':' after a key"))
		return false;
	(*n)++;
	return true;
}

static bool jp_array_next(struct jp *p, size_t *n)
{
	int c = jp_peek(p);
	if (c == ']') {
		p->pos++;
		p->depth--;
		return false;
	}
	if (*n && !jp_expect(p, ',', "',' or ']' in an array"))
		return false;
	if (!*n && c < 0)
		return jp_fail(p, "the array does not end");
	(*n)++;
	return true;
}

static bool jp_skip(struct jp *p)
{
	size_t n = 0, start;
	bool integral;
	char key[1];
	switch (jp_peek(p)) {
	case '{':
		if (!jp_begin(p, '{', "an object"))
			return false;
		while (jp_object_next(p, &n, key, sizeof(key)))
			if (!jp_skip(p))
				return false;
		return !p->err;
	case '[':
		if (!jp_begin(p, '[', "an array"))
			return false;
		while (jp_array_next(p, &n))
			if (!jp_skip(p))
				return false;
		return !p->err;
	case '"': return jp_string(p);
	case 't': return jp_literal(p, "true");
	case 'f': return jp_literal(p, "false");
	case 'n': return jp_literal(p, "null");
	case -1: return jp_fail(p, "the file ends where a value should be");
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return jp_number_token(p, &start, &integral);
	default: return jp_fail(p, "expected a value");
	}
}

/* The loader proper. */

struct site_ref {
	bool given;   /* the key was there */
	bool present; /* ...and not null */
	const char *function, *file, *module;
	int line;
};

struct group_ref {
	bool goroutines;
	struct site_ref site;
	bool blocking_given;
	const char *blocking;
	int64_t *members;
	size_t n;
};

/* Version 2's tables (README "JSON format"): read whole, then threads,
 * goroutines and groups are given what they refer to. */
struct stack_in {
	int64_t id;
	struct frame *frames; /* given to the first goroutine of the stack (owned), when owned */
	bool owned;
	int64_t *mods; /* each frame's module index, -1 none */
	size_t n, at;
	int site, call;
};

struct module_in {
	int64_t id;
	const char *path, *build_id; /* interned */
};

struct creator_in {
	int64_t id;
	const char *function, *file;
	int line;
	bool have_goroutine; /* written since the objects table: the creating goroutine */
	int64_t goroutine;
};

/* An entry of "objects": its id and the snapshot object it became. */
struct object_in {
	int64_t id;
	uint32_t ref; /* 0: of a kind this pileup does not know */
	size_t at;
};

/* A waits_on that refers to "objects" by id (made at byte at): its
 * object (when object) and set hold id + 1 until resolve_refs gives them
 * references. */
struct wref_in {
	bool goroutine;
	size_t i, at;
	bool object, set; /* the object, the set: by id */
};

/* Which of a goroutine's fields were given ("goroutine_defaults" gives
 * the others). */
enum { GIVEN_STATUS = 1, GIVEN_REASON = 2, GIVEN_MINUTES = 4 };

/* A reference of the item at index i, made at byte at. */
struct ref_in {
	size_t i, at;
	int64_t id;
};

struct loader {
	struct jp p;
	struct snapshot *snap;
	struct snapshot_json_origin *origin;
	bool have_version;
	int64_t version;
	bool comparison; /* a --watch/diff --json object, not a snapshot */
	size_t cap_goroutines;
	struct group_ref *groups;
	size_t ngroups, cap_groups;
	struct {
		const char *name;
		long nr;
	} syscalls[64];
	size_t nsyscalls;
	struct stack_in *stacks;
	size_t nstacks, cap_stacks;
	struct module_in *modules;
	size_t nmodules, cap_modules;
	struct creator_in *creators;
	size_t ncreators, cap_creators;
	struct ref_in *tstack, *gstack, *gcreator; /* threads' stacks, goroutines' stacks and creators */
	size_t ntstack, cap_tstack, ngstack, cap_gstack, ngcreator, cap_gcreator;
	struct object_in *objects;
	size_t nobjects, cap_objects;
	struct wref_in *wrefs;
	size_t nwrefs, cap_wrefs;
	/* the item whose waits_on is being read */
	bool in_goroutine;
	size_t item;
	unsigned char *given; /* GIVEN_* of each goroutine */
	size_t cap_given;
	bool have_defaults;
	const char *def_status, *def_reason;
	int64_t def_minutes;
};

#define KEYSZ 32

static void add_build_id(struct loader *l, const char *module, const char *bid);

static const char *intern(struct loader *l, const char *s)
{
	return strpool_intern(l->snap->strings, s);
}

static bool str_field(struct loader *l, const char *what, const char **out)
{
	const char *s;
	if (!jp_opt_string(&l->p, what, &s))
		return false;
	*out = intern(l, s);
	return true;
}

static bool dup_field(struct loader *l, const char *what, char **out)
{
	const char *s;
	if (!jp_opt_string(&l->p, what, &s))
		return false;
	free(*out);
	*out = s ? xstrdup(s) : NULL;
	return true;
}

static bool line_field(struct loader *l, int *out)
{
	int64_t v = 0;
	if (!jp_null(&l->p)) {
		if (l->p.err || !jp_int(&l->p, "line", 0, INT_MAX, &v))
			return false;
	}
	*out = (int)v;
	return true;
}

/* A frame; mod: where a version 2 frame's module index goes (NULL: the
 * module must be named, as in version 1). */
static bool parse_frame(struct loader *l, struct frame *f, int64_t *mod)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	const char *bid = NULL;
	bool ok;
	memset(f, 0, sizeof(*f));
	if (!jp_begin(p, '{', "a frame object"))
		return false;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "pc"))
			ok = jp_hex(p, "pc", &f->pc);
		else if (!strcmp(key, "offset"))
			ok = jp_hex(p, "offset", &f->offset);
		else if (!strcmp(key, "function"))
			ok = str_field(l, "function", &f->function);
		else if (!strcmp(key, "module") && mod && jp_peek(p) >= '0' && jp_peek(p) <= '9')
			ok = jp_int(p, "module", 0, INT32_MAX, mod);
		else if (!strcmp(key, "module"))
			ok = str_field(l, "module", &f->module);
		else if (!strcmp(key, "file"))
			ok = str_field(l, "file", &f->file);
		else if (!strcmp(key, "line"))
			ok = line_field(l, &f->line);
		else if (!strcmp(key, "inlined"))
			ok = jp_bool(p, "inlined", &f->inlined);
		else if (!strcmp(key, "library"))
			ok = jp_bool(p, "library", &f->library);
		else if (!strcmp(key, "tail_call"))
			ok = jp_bool(p, "tail_call", &f->tail_call);
		else if (!strcmp(key, "wrapper"))
			ok = jp_bool(p, "wrapper", &f->wrapper);
		else if (!strcmp(key, "jit"))
			ok = jp_bool(p, "jit", &f->jit);
		else if (!strcmp(key, "fp_guessed"))
			ok = jp_bool(p, "fp_guessed", &f->fp_guessed);
		else if (!strcmp(key, "engine"))
			ok = str_field(l, "engine", &f->engine);
		else if (!strcmp(key, "build_id"))
			ok = str_field(l, "build_id", &bid);
		else
			ok = jp_skip(p);
		if (!ok)
			return false;
	}
	add_build_id(l, f->module, bid);
	return !p->err;
}

/* mods: version 2, each frame's module index (-1: none) into *mods. */
static bool parse_frames_into(struct loader *l, struct frame **frames, size_t *nframes, int64_t **mods)
{
	struct jp *p = &l->p;
	size_t n = 0, cap = 0, capm = 0;
	free(*frames);
	*frames = NULL;
	*nframes = 0;
	if (mods) {
		free(*mods);
		*mods = NULL;
	}
	if (!jp_begin(p, '[', "an array of frames"))
		return false;
	while (jp_array_next(p, &n)) {
		xgrow(frames, &cap, *nframes + 1, sizeof(**frames));
		int64_t *m = NULL;
		if (mods) {
			xgrow(mods, &capm, *nframes + 1, sizeof(**mods));
			m = &(*mods)[*nframes];
			*m = -1;
		}
		if (!parse_frame(l, &(*frames)[*nframes], m))
			return false;
		(*nframes)++;
	}
	return !p->err;
}

static bool parse_frames(struct loader *l, struct frame **frames, size_t *nframes)
{
	return parse_frames_into(l, frames, nframes, NULL);
}

static void add_ref(struct ref_in **refs, size_t *n, size_t *cap, size_t i, size_t at, int64_t id)
{
	if (*n && (*refs)[*n - 1].i == i) { /* the item's second reference replaces its first */
		(*refs)[*n - 1] = (struct ref_in){i, at, id};
		return;
	}
	xgrow(refs, cap, *n + 1, sizeof(**refs));
	(*refs)[(*n)++] = (struct ref_in){i, at, id};
}

/* "stack": N, "creator": N: an id in one of the tables. */
static bool ref_field(struct loader *l, const char *what, struct ref_in **refs, size_t *n, size_t *cap, size_t i)
{
	size_t at = l->p.pos;
	int64_t v;
	if (!jp_int(&l->p, what, 0, INT32_MAX, &v))
		return false;
	add_ref(refs, n, cap, i, at, v);
	return true;
}

/* One entry of "stacks": {"id": N, "wait_site": I, "blocking_call": I, "frames": [...]}. */
static bool parse_stack(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0, at = p->pos;
	char key[KEYSZ];
	bool ok, have_id = false;
	int64_t site = -1, call = -1;
	if (!jp_begin(p, '{', "a stack object"))
		return false;
	xgrow(&l->stacks, &l->cap_stacks, l->nstacks + 1, sizeof(*l->stacks));
	struct stack_in *s = &l->stacks[l->nstacks++];
	memset(s, 0, sizeof(*s));
	s->at = at;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "id")) {
			ok = jp_int(p, "id", 0, INT32_MAX, &s->id);
			have_id = true;
		} else if (!strcmp(key, "wait_site")) {
			site = -1;
			ok = jp_null(p) || (!p->err && jp_int(p, "wait_site", 0, INT_MAX, &site));
		} else if (!strcmp(key, "blocking_call")) {
			call = -1;
			ok = jp_null(p) || (!p->err && jp_int(p, "blocking_call", 0, INT_MAX, &call));
		} else if (!strcmp(key, "frames")) {
			ok = parse_frames_into(l, &s->frames, &s->n, &s->mods);
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (p->err)
		return false;
	if (!have_id || site >= (int64_t)s->n || (call >= 0 && call >= site)) {
		p->pos = at;
		if (!have_id)
			return jp_fail(p, "a stack has no \"id\"");
		return jp_fail(p, "stack %lld: its wait site (%lld) and blocking call (%lld) must be frames of it, the call inside the site",
			       (long long)s->id, (long long)site, (long long)call);
	}
	s->site = (int)site;
	s->call = (int)call;
	return true;
}

/* One entry of "modules": {"id": N, "path": "...", "build_id": "..."}. */
static bool parse_module(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0, at = p->pos;
	char key[KEYSZ];
	bool ok, have_id = false;
	if (!jp_begin(p, '{', "a module object"))
		return false;
	xgrow(&l->modules, &l->cap_modules, l->nmodules + 1, sizeof(*l->modules));
	struct module_in *m = &l->modules[l->nmodules++];
	memset(m, 0, sizeof(*m));
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "id")) {
			ok = jp_int(p, "id", 0, INT32_MAX, &m->id);
			have_id = true;
		} else if (!strcmp(key, "path")) {
			ok = str_field(l, "path", &m->path);
		} else if (!strcmp(key, "build_id")) {
			ok = str_field(l, "build_id", &m->build_id);
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (p->err)
		return false;
	if (!have_id || !m->path) {
		p->pos = at;
		return jp_fail(p, "a module needs an \"id\" and a \"path\"");
	}
	return true;
}

/* One entry of "creators": {"id": N, "function": ..., "file": ..., "line": N}. */
static bool parse_creator(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0, at = p->pos;
	char key[KEYSZ];
	bool ok, have_id = false;
	if (!jp_begin(p, '{', "a creator object"))
		return false;
	xgrow(&l->creators, &l->cap_creators, l->ncreators + 1, sizeof(*l->creators));
	struct creator_in *c = &l->creators[l->ncreators++];
	memset(c, 0, sizeof(*c));
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "id")) {
			ok = jp_int(p, "id", 0, INT32_MAX, &c->id);
			have_id = true;
		} else if (!strcmp(key, "function")) {
			ok = str_field(l, "function", &c->function);
		} else if (!strcmp(key, "file")) {
			ok = str_field(l, "file", &c->file);
		} else if (!strcmp(key, "line")) {
			ok = line_field(l, &c->line);
		} else if (!strcmp(key, "goroutine")) {
			ok = jp_int(p, "goroutine", 0, INT64_MAX, &c->goroutine);
			c->have_goroutine = true;
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (p->err)
		return false;
	if (!have_id) {
		p->pos = at;
		return jp_fail(p, "a creator has no \"id\"");
	}
	return true;
}

static bool parse_site(struct loader *l, struct site_ref *s)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	memset(s, 0, sizeof(*s));
	s->given = true;
	if (jp_null(p))
		return true;
	if (p->err || !jp_begin(p, '{', "a wait site object or null"))
		return false;
	s->present = true;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "function"))
			ok = str_field(l, "function", &s->function);
		else if (!strcmp(key, "file"))
			ok = str_field(l, "file", &s->file);
		else if (!strcmp(key, "module"))
			ok = str_field(l, "module", &s->module);
		else if (!strcmp(key, "line"))
			ok = line_field(l, &s->line);
		else
			ok = jp_skip(p);
		if (!ok)
			return false;
	}
	return !p->err;
}

/* Index of the frame a saved wait site names, or fallback. */
static int site_index(const struct frame *f, size_t n, const struct site_ref *s, int fallback)
{
	if (!s->given)
		return fallback;
	if (!s->present)
		return -1;
	for (size_t i = 0; i < n && i < INT_MAX; i++)
		if (f[i].function == s->function && f[i].file == s->file && f[i].line == s->line &&
		    (!s->module || f[i].module == s->module))
			return (int)i;
	return fallback;
}

/* The frame just inside the wait site that calls the named function. */
static int blocking_index(const struct frame *f, int site, const char *name)
{
	if (!name || site <= 0)
		return -1;
	for (int i = site - 1; i >= 0; i--)
		if (f[i].function == name)
			return i;
	return -1;
}

/* A saved thread's or goroutine's wait site (as saved, else classified
 * again) and blocking call (as saved, else the frame just inside the site). */
static void place_site(const struct frame *f, size_t n, const struct site_ref *site, const char *call, bool have_call,
		       int *site_ret, int *call_ret)
{
	*site_ret = site_index(f, n, site, classify_wait_site(f, n));
	*call_ret = have_call ? blocking_index(f, *site_ret, call) : *site_ret > 0 ? *site_ret - 1 : -1;
}

static long syscall_number(struct loader *l, const char *name)
{
	if (!name)
		return -1;
	const char *in = intern(l, name);
	for (size_t i = 0; i < l->nsyscalls; i++)
		if (l->syscalls[i].name == in)
			return l->syscalls[i].nr;
	long nr = -1;
	char *end;
	if (!strncmp(name, "syscall_", 8)) {
		errno = 0;
		long v = strtol(name + 8, &end, 10);
		if (!errno && !*end && v >= 0 && v < 100000)
			nr = v;
	} else {
		for (long k = 0; k < 1024 && nr < 0; k++) {
			const char *s = syscall_name(k);
			if (s && !strcmp(s, name))
				nr = k;
		}
	}
	if (l->nsyscalls < sizeof(l->syscalls) / sizeof(l->syscalls[0])) {
		l->syscalls[l->nsyscalls].name = in;
		l->syscalls[l->nsyscalls++].nr = nr;
	}
	return nr;
}

/* "host": a merged report's host name, as an index into target.hosts
 * (which comes first); unknown names are kept as the first host. */
static bool host_field(struct loader *l, uint32_t *out)
{
	const char *h;
	if (!jp_opt_string(&l->p, "host", &h))
		return false;
	*out = 0;
	for (size_t i = 0; h && i < l->snap->nhosts; i++)
		if (!strcmp(l->snap->hosts[i], h))
			*out = (uint32_t)i;
	return true;
}

/* --- waits_on: what a thread or goroutine waits on (report_waits.c) --- */

static bool parse_chan(struct loader *l, struct snap_chan *c)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	*c = (struct snap_chan){.cap = -1, .len = -1, .senders = -1, .receivers = -1, .closed = -1};
	if (!jp_begin(p, '{', "a chan object"))
		return false;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		int64_t *num = !strcmp(key, "cap") ? &c->cap : !strcmp(key, "len") ? &c->len
			     : !strcmp(key, "senders") ? &c->senders : !strcmp(key, "receivers") ? &c->receivers : NULL;
		if (num) {
			ok = jp_null(p) || (!p->err && jp_int(p, key, 0, INT64_MAX, num));
		} else if (!strcmp(key, "type")) {
			ok = str_field(l, "type", &c->type);
		} else if (!strcmp(key, "nil")) {
			ok = jp_bool(p, "nil", &c->nil);
		} else if (!strcmp(key, "closed")) {
			bool b = false;
			ok = jp_null(p) || (!p->err && jp_bool(p, "closed", &b) && ((c->closed = b), true));
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	return !p->err;
}

/* {"fd": 7, "type": "tcp", "desc": "...", "note": ...} into o. */
static bool parse_fd_object(struct loader *l, struct snap_object *o)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	int64_t v;
	if (!jp_begin(p, '{', "an fd object"))
		return false;
	o->kind = WOBJ_FD;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "fd")) {
			ok = jp_int(p, "fd", 0, INT_MAX, &v);
			o->fd = (int)v;
		} else if (!strcmp(key, "type")) {
			ok = str_field(l, "type", &o->type);
		} else if (!strcmp(key, "desc")) {
			ok = str_field(l, "desc", &o->desc);
		} else if (!strcmp(key, "note")) {
			ok = str_field(l, "note", &o->note);
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	return !p->err;
}

/* The same object for the same kind and address (or fd); an object
 * known by neither stays alone. */
static uint32_t loader_object(struct loader *l, const struct snap_object *o, uint64_t futex)
{
	bool fresh = true;
	uint32_t ref;
	if (o->kind == WOBJ_FD && o->fd >= 0)
		ref = snapshot_object_for(l->snap, WOBJ_FD, (uint64_t)(uint32_t)o->fd, &fresh);
	else if (o->addr)
		ref = snapshot_object_for(l->snap, o->kind, o->addr, &fresh);
	else if (futex)
		ref = snapshot_object_for(l->snap, o->kind, futex | 1ull << 63, &fresh);
	else
		ref = snapshot_add_object(l->snap);
	if (fresh)
		l->snap->objects[ref - 1] = *o;
	return ref;
}

struct wait_in {
	struct snap_object o;
	bool kind_ok, have_fd, have_address;
	bool table;            /* an entry of "objects": its "id" */
	bool have_id, have_object, set_by_id;
	int64_t id, object;    /* "id" (table), "object" (a waits_on's, by id) */
	uint64_t futex;
	uint32_t *set;
	uint32_t nset;
	size_t cap_set;
	const char *note;
};

static bool parse_wait_object(struct loader *l, struct wait_in *w, bool top);

static bool parse_set(struct loader *l, struct wait_in *w)
{
	struct jp *p = &l->p;
	size_t n = 0;
	if (!jp_begin(p, '[', "an array of objects"))
		return false;
	while (jp_array_next(p, &n)) {
		int c = jp_peek(p);
		bool by_id = c >= '0' && c <= '9';
		if (n > 1 && by_id != w->set_by_id)
			return jp_fail(p, "a set of objects mixes ids and objects");
		if (by_id) { /* an id in "objects" */
			int64_t id;
			if (!jp_int(p, "an object id", 0, INT32_MAX - 1, &id))
				return false;
			w->set_by_id = true;
			if (w->nset < 1u << 20) {
				xgrow(&w->set, &w->cap_set, w->nset + 1, sizeof(*w->set));
				w->set[w->nset++] = (uint32_t)id + 1;
			}
			continue;
		}
		struct wait_in m = {.o = {.fd = -1}};
		if (!parse_wait_object(l, &m, false))
			return false;
		if (!m.kind_ok && m.o.fd >= 0) { /* "fds" entries are fd objects without a kind */
			m.o.kind = WOBJ_FD;
			m.kind_ok = true;
		}
		if (!m.kind_ok || w->nset >= 1u << 20)
			continue;
		xgrow(&w->set, &w->cap_set, w->nset + 1, sizeof(*w->set));
		w->set[w->nset++] = loader_object(l, &m.o, 0);
	}
	return !p->err;
}

/* One object of a waits_on (top: the waits_on itself, with the wait's own
 * members: futex, channels, fds, wait_note); other keys holding numbers
 * or booleans are the primitive's facts. */
static bool parse_wait_object(struct loader *l, struct wait_in *w, bool top)
{
	struct jp *p = &l->p;
	struct snap_object *o = &w->o;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	int64_t v;
	const char *s;
	if (!jp_begin(p, '{', "a waits_on object"))
		return false;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (w->table && !strcmp(key, "id")) {
			ok = jp_int(p, "id", 0, INT32_MAX - 1, &w->id);
			w->have_id = true;
		} else if (top && !strcmp(key, "object")) {
			ok = jp_int(p, "object", 0, INT32_MAX - 1, &w->object);
			w->have_object = true;
		} else if (!strcmp(key, "kind")) {
			ok = jp_opt_string(p, "kind", &s);
			enum wobj_kind k = wobj_kind_parse(s);
			w->kind_ok = k != WOBJ__COUNT;
			o->kind = w->kind_ok ? k : WOBJ_NONE;
		} else if (!strcmp(key, "address")) {
			w->have_address = true;
			o->addr = 0;
			ok = jp_null(p) || (!p->err && jp_hex(p, "address", &o->addr));
		} else if (!strcmp(key, "name")) {
			ok = str_field(l, "name", &o->name);
		} else if (!strcmp(key, "type")) {
			ok = str_field(l, "type", &o->type);
		} else if (!strcmp(key, "note")) {
			ok = str_field(l, "note", &o->note);
		} else if (!strcmp(key, "owner")) {
			v = 0;
			ok = jp_null(p) || (!p->err && jp_int(p, "owner", 1, INT_MAX, &v));
			o->owner = (pid_t)v;
		} else if (!strcmp(key, "owner_state")) {
			ok = jp_opt_string(p, "owner_state", &s);
			enum wobj_owner st = wobj_owner_parse(s);
			o->owner_state = st == WOWNER__COUNT ? WOWNER_UNKNOWN : st;
		} else if (!strcmp(key, "chan")) {
			ok = jp_null(p) || (!p->err && parse_chan(l, &o->chan) && (o->have_chan = true));
		} else if (!strcmp(key, "fd")) {
			if (jp_peek(p) == '{') {
				ok = parse_fd_object(l, o);
				w->have_fd = ok;
			} else {
				ok = jp_int(p, "fd", 0, INT_MAX, &v); /* a group's objects list */
				o->fd = (int)v;
			}
		} else if (!strcmp(key, "desc")) {
			ok = str_field(l, "desc", &o->desc);
		} else if (top && !strcmp(key, "futex")) {
			ok = jp_hex(p, "futex", &w->futex);
		} else if (top && (!strcmp(key, "channels") || !strcmp(key, "fds"))) {
			ok = parse_set(l, w);
		} else if (top && !strcmp(key, "wait_note")) {
			ok = str_field(l, "wait_note", &w->note);
		} else if (jp_peek(p) == 't' || jp_peek(p) == 'f') {
			bool b;
			ok = jp_bool(p, key, &b);
			if (ok && key[0])
				snapshot_object_flag(o, intern(l, key), b);
		} else if (jp_peek(p) == '-' || (jp_peek(p) >= '0' && jp_peek(p) <= '9')) {
			ok = jp_int(p, key, INT64_MIN, INT64_MAX, &v);
			if (ok && key[0])
				snapshot_object_fact(o, intern(l, key), v);
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (p->err)
		return false;
	if (o->owner_state == WOWNER_THREAD && !o->owner)
		o->owner_state = WOWNER_UNKNOWN; /* a saved owner state without its owner */
	/* channels, selects and timers have no owner: report_waits.c writes
	 * none, and the objects it came from said "not recorded" */
	if (o->kind == WOBJ_CHAN || o->kind == WOBJ_SELECT || o->kind == WOBJ_TIMER)
		o->owner_state = WOWNER_NOT_RECORDED;
	return true;
}

static void add_wref(struct loader *l, size_t at, bool object, bool set)
{
	if (l->nwrefs && l->wrefs[l->nwrefs - 1].goroutine == l->in_goroutine && l->wrefs[l->nwrefs - 1].i == l->item)
		l->nwrefs--; /* the item's second "waits_on" replaces its first */
	xgrow(&l->wrefs, &l->cap_wrefs, l->nwrefs + 1, sizeof(*l->wrefs));
	l->wrefs[l->nwrefs++] = (struct wref_in){l->in_goroutine, l->item, at, object, set};
}

static bool parse_waits_on(struct loader *l, struct snap_wait *w)
{
	struct jp *p = &l->p;
	size_t at = p->pos;
	if (jp_null(p)) {
		if (l->nwrefs && l->wrefs[l->nwrefs - 1].goroutine == l->in_goroutine && l->wrefs[l->nwrefs - 1].i == l->item)
			l->nwrefs--; /* an earlier "waits_on" of the item stays, but as read: drop it */
		free(w->set);
		memset(w, 0, sizeof(*w));
		return true;
	}
	if (p->err)
		return false;
	int c = jp_peek(p);
	if (c >= '0' && c <= '9') { /* "waits_on": ID, an object of "objects" */
		int64_t id;
		if (!jp_int(p, "waits_on", 0, INT32_MAX - 1, &id))
			return false;
		free(w->set);
		memset(w, 0, sizeof(*w));
		w->object = (uint32_t)id + 1;
		add_wref(l, at, true, false);
		return true;
	}
	struct wait_in in = {.o = {.fd = -1}};
	if (!parse_wait_object(l, &in, true)) {
		free(in.set);
		return false;
	}
	free(w->set);
	memset(w, 0, sizeof(*w));
	if (l->nwrefs && l->wrefs[l->nwrefs - 1].goroutine == l->in_goroutine && l->wrefs[l->nwrefs - 1].i == l->item)
		l->nwrefs--; /* replaced by this one */
	if (!in.have_object && !in.kind_ok) { /* a kind of a later version: not ours to read */
		free(in.set);
		return true;
	}
	if (in.have_object || in.set_by_id) {
		/* refers to "objects": the object and the set by id (the kind
		 * is the object's, or given when there is none) */
		w->kind = in.have_object ? WOBJ_NONE : in.o.kind;
		w->object = in.have_object ? (uint32_t)in.object + 1 : 0;
		w->futex = in.futex;
		w->note = in.note;
		w->set = in.set;
		w->nset = in.nset;
		add_wref(l, at, in.have_object, in.set_by_id);
		return true;
	}
	w->kind = in.o.kind;
	w->futex = in.futex;
	w->note = in.note;
	w->set = in.set;
	w->nset = in.nset;
	/* a Go wait whose object is unknown was written without one (no
	 * address, no channel state): read back the same */
	bool go_unknown = in.o.kind >= WOBJ_CHAN && !in.o.addr && !in.o.have_chan;
	/* version 2 with "objects" writes a wait whose object is unknown as
	 * its kind alone: no "address" (which version 1 always writes) */
	if (in.o.kind == WOBJ_FD ? in.have_fd : in.o.kind != WOBJ_SELECT && !go_unknown && in.have_address)
		w->object = loader_object(l, &in.o, in.futex);
	return true;
}

/* One entry of "objects": {"id": N, ...an OBJECT...}. */
static bool parse_object_entry(struct loader *l)
{
	struct jp *p = &l->p;
	size_t at = p->pos;
	struct wait_in in = {.o = {.fd = -1}, .table = true};
	if (!parse_wait_object(l, &in, false))
		return false;
	if (!in.have_id) {
		p->pos = at;
		return jp_fail(p, "an object has no \"id\"");
	}
	xgrow(&l->objects, &l->cap_objects, l->nobjects + 1, sizeof(*l->objects));
	struct object_in *e = &l->objects[l->nobjects++];
	e->id = in.id;
	e->at = at;
	e->ref = 0;
	if (in.kind_ok && in.o.kind != WOBJ_NONE)
		e->ref = loader_object(l, &in.o, 0);
	return true;
}

/* "goroutine_defaults": what a goroutine that leaves a field out has. */
static bool parse_defaults(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	if (!jp_begin(p, '{', "the \"goroutine_defaults\" object"))
		return false;
	l->have_defaults = true;
	l->def_minutes = -1;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "status"))
			ok = str_field(l, "status", &l->def_status);
		else if (!strcmp(key, "wait_reason"))
			ok = str_field(l, "wait_reason", &l->def_reason);
		else if (!strcmp(key, "wait_minutes"))
			ok = jp_null(p) || (!p->err && jp_int(p, "wait_minutes", -1, INT64_MAX, &l->def_minutes));
		else
			ok = jp_skip(p);
		if (!ok)
			return false;
	}
	return !p->err;
}

static bool parse_thread(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0, at = p->pos;
	char key[KEYSZ];
	bool ok, have_tid = false, have_call = false;
	struct site_ref site = {0};
	const char *s, *call = NULL;
	int64_t v;
	if (!jp_begin(p, '{', "a thread object"))
		return false;
	struct snap_thread *t = snapshot_add_thread(l->snap, 0);
	t->how = SNAP_HOW_SAVED;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "tid")) {
			v = 0; /* null: a thread read back from a profile */
			ok = jp_null(p) || (!p->err && jp_int(p, "tid", 1, INT_MAX, &v));
			t->tid = (pid_t)v;
			have_tid = true;
		} else if (!strcmp(key, "host")) {
			ok = host_field(l, &t->host);
		} else if (!strcmp(key, "name")) {
			ok = dup_field(l, "name", &t->name);
		} else if (!strcmp(key, "state")) {
			ok = jp_opt_string(p, "state", &s);
			t->state = s && s[0] ? s[0] : '?';
		} else if (!strcmp(key, "syscall")) {
			ok = jp_opt_string(p, "syscall", &s);
			if (ok)
				t->syscall = syscall_number(l, s);
		} else if (!strcmp(key, "wait")) {
			ok = jp_opt_string(p, "wait", &s);
			enum wait_class w = wait_class_parse(s);
			t->wait = w == WAIT__COUNT ? WAIT_UNKNOWN : w;
		} else if (!strcmp(key, "error")) {
			ok = dup_field(l, "error", &t->error);
		} else if (!strcmp(key, "crashed")) {
			ok = jp_bool(p, "crashed", &t->crashed);
		} else if (!strcmp(key, "wait_site")) {
			ok = parse_site(l, &site);
		} else if (!strcmp(key, "blocking_call")) {
			ok = str_field(l, "blocking_call", &call);
			have_call = true;
		} else if (!strcmp(key, "frames")) {
			ok = parse_frames(l, &t->frames, &t->nframes);
		} else if (!strcmp(key, "stack")) {
			ok = ref_field(l, "stack", &l->tstack, &l->ntstack, &l->cap_tstack, l->snap->nthreads - 1);
		} else if (!strcmp(key, "waits_on")) {
			l->in_goroutine = false;
			l->item = l->snap->nthreads - 1;
			ok = parse_waits_on(l, &t->waits_on);
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (p->err)
		return false;
	if (!have_tid) {
		p->pos = at;
		return jp_fail(p, "a thread has no \"tid\"");
	}
	place_site(t->frames, t->nframes, &site, call, have_call, &t->wait_site, &t->blocking_call);
	return true;
}

static bool parse_created_by(struct loader *l, struct snap_goroutine *g)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	int64_t v;
	if (jp_null(p))
		return true;
	if (p->err)
		return false;
	if (jp_peek(p) >= '0' && jp_peek(p) <= '9') /* an id in "creators", which names the goroutine too */
		return ref_field(l, "created_by", &l->gcreator, &l->ngcreator, &l->cap_gcreator, (size_t)(g - l->snap->goroutines));
	if (!jp_begin(p, '{', "a created_by object, an id or null"))
		return false;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "function")) {
			ok = str_field(l, "function", &g->created_function);
		} else if (!strcmp(key, "file")) {
			ok = str_field(l, "file", &g->created_file);
		} else if (!strcmp(key, "line")) {
			ok = line_field(l, &g->created_line);
		} else if (!strcmp(key, "goroutine")) {
			ok = jp_int(p, "goroutine", 0, INT64_MAX, &v);
			g->created_goroutine = v;
		} else if (!strcmp(key, "creator")) {
			ok = ref_field(l, "creator", &l->gcreator, &l->ngcreator, &l->cap_gcreator, (size_t)(g - l->snap->goroutines));
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	return !p->err;
}

/* "labels": {"k": "v", ...}, a profile's pprof labels (dump.h) */
static bool parse_labels(struct loader *l, const char **out)
{
	struct jp *p = &l->p;
	struct dump_labels set = {0};
	size_t n = 0;
	char key[8];
	bool ok = jp_begin(p, '{', "an object of labels");
	while (ok && jp_object_next(p, &n, key, sizeof(key))) {
		/* the whole key is still p->str */
		size_t kn = p->slen;
		char *k = xmalloc(kn + 1);
		memcpy(k, p->str, kn + 1);
		const char *v;
		ok = jp_opt_string(p, "labels", &v);
		if (ok && !v)
			ok = jp_fail(p, "a label's value must be a string");
		if (ok)
			dump_labels_add(&set, k, kn, v, p->slen);
		free(k);
	}
	ok = ok && !p->err;
	*out = ok ? dump_labels_intern(l->snap->strings, &set) : NULL;
	dump_labels_free(&set);
	if (*out)
		l->snap->go_labels = true;
	return ok;
}

static bool parse_goroutine(struct loader *l)
{
	struct jp *p = &l->p;
	struct snapshot *snap = l->snap;
	size_t n = 0, at = p->pos;
	char key[KEYSZ];
	bool ok, have_id = false, have_call = false;
	struct site_ref site = {0};
	const char *call = NULL;
	int64_t v;
	if (!jp_begin(p, '{', "a goroutine object"))
		return false;
	xgrow(&snap->goroutines, &l->cap_goroutines, snap->ngoroutines + 1, sizeof(*snap->goroutines));
	struct snap_goroutine *g = &snap->goroutines[snap->ngoroutines++];
	memset(g, 0, sizeof(*g));
	g->wait_minutes = -1;
	xgrow(&l->given, &l->cap_given, snap->ngoroutines, 1);
	unsigned char *given = &l->given[snap->ngoroutines - 1];
	*given = 0;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "id")) {
			v = 0; /* null: a profile's goroutine, which has no id */
			ok = jp_null(p) || (!p->err && jp_int(p, "id", 0, INT64_MAX, &v));
			g->id = v;
			have_id = true;
		} else if (!strcmp(key, "host")) {
			ok = host_field(l, &g->host);
		} else if (!strcmp(key, "leaked")) {
			ok = jp_bool(p, "leaked", &g->leaked);
		} else if (!strcmp(key, "labels")) {
			ok = parse_labels(l, &g->labels);
		} else if (!strcmp(key, "status")) {
			ok = str_field(l, "status", &g->status);
			*given |= GIVEN_STATUS;
		} else if (!strcmp(key, "wait_reason")) {
			ok = str_field(l, "wait_reason", &g->wait_reason);
			*given |= GIVEN_REASON;
		} else if (!strcmp(key, "wait_minutes")) {
			g->wait_minutes = -1;
			ok = jp_null(p) || (!p->err && jp_int(p, "wait_minutes", -1, INT64_MAX, &g->wait_minutes));
			*given |= GIVEN_MINUTES;
		} else if (!strcmp(key, "thread")) {
			v = 0;
			ok = jp_null(p) || (!p->err && jp_int(p, "thread", 0, INT_MAX, &v));
			g->thread = (pid_t)v;
		} else if (!strcmp(key, "locked")) {
			ok = jp_bool(p, "locked", &g->locked);
		} else if (!strcmp(key, "created_by")) {
			ok = parse_created_by(l, g);
		} else if (!strcmp(key, "system")) {
			ok = jp_bool(p, "system", &g->system);
		} else if (!strcmp(key, "error")) {
			ok = dup_field(l, "error", &g->error);
		} else if (!strcmp(key, "wait_site")) {
			ok = parse_site(l, &site);
		} else if (!strcmp(key, "blocking_call")) {
			ok = str_field(l, "blocking_call", &call);
			have_call = true;
		} else if (!strcmp(key, "frames")) {
			ok = parse_frames(l, &g->frames, &g->nframes);
		} else if (!strcmp(key, "stack")) {
			ok = ref_field(l, "stack", &l->gstack, &l->ngstack, &l->cap_gstack, snap->ngoroutines - 1);
		} else if (!strcmp(key, "waits_on")) {
			l->in_goroutine = true;
			l->item = snap->ngoroutines - 1;
			ok = parse_waits_on(l, &g->waits_on);
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (p->err)
		return false;
	if (!have_id) {
		p->pos = at;
		return jp_fail(p, "a goroutine has no \"id\"");
	}
	place_site(g->frames, g->nframes, &site, call, have_call, &g->wait_site, &g->blocking_call);
	return true;
}

static bool parse_group(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0, m = 0, cap = 0;
	char key[KEYSZ];
	bool ok;
	const char *s;
	int64_t v;
	if (!jp_begin(p, '{', "a group object"))
		return false;
	xgrow(&l->groups, &l->cap_groups, l->ngroups + 1, sizeof(*l->groups));
	struct group_ref *g = &l->groups[l->ngroups++];
	memset(g, 0, sizeof(*g));
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "kind")) {
			ok = jp_opt_string(p, "kind", &s);
			g->goroutines = s && !strcmp(s, "goroutine");
		} else if (!strcmp(key, "wait_site")) {
			ok = parse_site(l, &g->site);
		} else if (!strcmp(key, "blocking_call")) {
			ok = str_field(l, "blocking_call", &g->blocking);
			g->blocking_given = true;
		} else if (!strcmp(key, "members")) {
			free(g->members);
			g->members = NULL;
			g->n = cap = m = 0;
			ok = jp_begin(p, '[', "an array of member ids");
			while (ok && jp_array_next(p, &m)) {
				ok = jp_int(p, "members", 0, INT64_MAX, &v);
				xgrow(&g->members, &cap, g->n + 1, sizeof(*g->members));
				g->members[g->n++] = v;
			}
			ok = ok && !p->err;
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	return !p->err;
}

/* target.leaks (--leaks): the verdict and what it cost, as written */
static bool parse_leaks(struct loader *l)
{
	struct jp *p = &l->p;
	struct snap_leaks *k = &l->snap->leaks;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	int64_t v = 0;
	if (!jp_begin(p, '{', "the \"leaks\" object"))
		return false;
	k->wanted = true;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		uint64_t *u = !strcmp(key, "heap_bytes")      ? &k->heap_bytes
			      : !strcmp(key, "scanned_bytes") ? &k->scanned_bytes
			      : !strcmp(key, "us")            ? &k->us
							      : NULL;
		if (!strcmp(key, "verdict")) {
			ok = jp_bool(p, "verdict", &k->done);
		} else if (!strcmp(key, "problem")) {
			ok = dup_field(l, "problem", &k->problem);
		} else if (!strcmp(key, "leaked") || !strcmp(key, "reachable")) {
			ok = jp_int(p, key, 0, INT64_MAX, &v);
			*(key[0] == 'l' ? &k->leaked : &k->reachable) = (size_t)v;
		} else if (u) {
			ok = jp_int(p, key, 0, INT64_MAX, &v);
			*u = (uint64_t)v;
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	return !p->err;
}

static bool parse_target(struct loader *l)
{
	struct jp *p = &l->p;
	struct snapshot *snap = l->snap;
	size_t n = 0, m;
	char key[KEYSZ], k2[KEYSZ];
	bool ok;
	int64_t v;
	const char *exe_build_id = NULL;
	if (!jp_begin(p, '{', "the \"target\" object"))
		return false;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "source")) {
			ok = dup_field(l, "source", &l->origin->source);
		} else if (!strcmp(key, "pid")) {
			ok = jp_int(p, "pid", 0, INT_MAX, &v);
			snap->pid = (pid_t)v;
		} else if (!strcmp(key, "exe")) {
			ok = dup_field(l, "exe", &snap->exe);
		} else if (!strcmp(key, "core")) {
			ok = dup_field(l, "core", &snap->core_path);
		} else if (!strcmp(key, "go_version")) {
			ok = dup_field(l, "go_version", &snap->go_version);
		} else if (!strcmp(key, "go_module")) {
			ok = dup_field(l, "go_module", &snap->go_module);
		} else if (!strcmp(key, "leaks")) {
			ok = parse_leaks(l);
		} else if (!strcmp(key, "build_id")) {
			ok = str_field(l, "build_id", &exe_build_id);
		} else if (!strcmp(key, "warnings")) {
			m = 0;
			ok = jp_begin(p, '[', "an array of warnings");
			while (ok && jp_array_next(p, &m)) {
				const char *w;
				ok = jp_opt_string(p, "warnings", &w);
				if (ok && w)
					snapshot_warn(snap, "%s", w);
			}
			ok = ok && !p->err;
		} else if (!strcmp(key, "taken_at")) {
			ok = jp_int(p, "taken_at", INT64_MIN, INT64_MAX, &snap->taken_at);
		} else if (!strcmp(key, "lacks")) {
			/* what the input could not see (snapshot.h SNAP_LACKS_*) */
			static const char *const names[] = {"threads", "go_runtime_frames", "go_wait_reasons", "go_ids", "go_deep_frames"};
			m = 0;
			ok = jp_begin(p, '[', "an array of names");
			while (ok && jp_array_next(p, &m)) {
				const char *w;
				ok = jp_opt_string(p, "lacks", &w);
				for (unsigned b = 0; ok && w && b < 5; b++)
					if (!strcmp(w, names[b]))
						snap->lacks |= 1u << b;
			}
			ok = ok && !p->err;
		} else if (!strcmp(key, "hosts")) {
			m = 0;
			ok = jp_begin(p, '[', "an array of host names");
			while (ok && jp_array_next(p, &m)) {
				const char *w;
				ok = jp_opt_string(p, "hosts", &w);
				if (ok && snap->nhosts < 1u << 20) {
					snap->hosts = xrealloc(snap->hosts, (snap->nhosts + 1) * sizeof(*snap->hosts));
					snap->hosts[snap->nhosts++] = xstrdup(w ? w : "?");
				}
			}
			ok = ok && !p->err;
		} else if (!strcmp(key, "crash")) {
			m = 0;
			bool null = jp_null(p);
			ok = null || (!p->err && jp_begin(p, '{', "a crash object or null"));
			if (ok && !null) {
				snap->have_crash = true;
				while (ok && jp_object_next(p, &m, k2, sizeof(k2))) {
					if (!strcmp(k2, "tid")) {
						ok = jp_int(p, "tid", 0, INT_MAX, &v);
						snap->crash_tid = (pid_t)v;
					} else if (!strcmp(k2, "signal")) {
						ok = jp_int(p, "signal", 0, INT_MAX, &v);
						snap->crash_signal = (int)v;
					} else if (!strcmp(k2, "address")) {
						ok = jp_hex(p, "address", &snap->crash_addr);
					} else {
						ok = jp_skip(p);
					}
				}
				ok = ok && !p->err;
			}
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (snap->exe)
		add_build_id(l, intern(l, snap->exe), exe_build_id);
	return !p->err;
}

static bool parse_capture(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	int64_t v;
	if (!jp_begin(p, '{', "the \"capture\" object"))
		return false;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "mode")) {
			ok = dup_field(l, "mode", &l->origin->mode);
		} else if (!strcmp(key, "pause_us")) {
			ok = jp_int(p, "pause_us", 0, INT64_MAX, &v);
			l->snap->pause_us = (uint64_t)v;
		} else if (!strcmp(key, "elapsed_us")) {
			ok = jp_int(p, "elapsed_us", 0, INT64_MAX, &v);
			l->snap->elapsed_us = (uint64_t)v;
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	return !p->err;
}

static bool parse_array(struct loader *l, const char *what, bool (*each)(struct loader *))
{
	size_t n = 0;
	if (!jp_begin(&l->p, '[', what))
		return false;
	while (jp_array_next(&l->p, &n))
		if (!each(l))
			return false;
	return !l->p.err;
}

static struct pu_error *version_error(const char *name, int64_t version)
{
	return pu_error_new(PU_EXIT_USAGE,
			    "%s: report format version %lld, but this pileup reads versions 1 and 2; open it with a newer pileup "
			    "(or have the newer one write version 2: pileup --json=2 %s)",
			    name, (long long)version, name);
}

static bool parse_top(struct loader *l)
{
	struct jp *p = &l->p;
	size_t n = 0;
	char key[KEYSZ];
	bool ok;
	if (jp_peek(p) != '{')
		return jp_fail(p, "a report starts with '{'");
	if (!jp_begin(p, '{', "an object"))
		return false;
	while (jp_object_next(p, &n, key, sizeof(key))) {
		if (!strcmp(key, "pileup")) {
			ok = jp_int(p, "pileup", INT64_MIN, INT64_MAX, &l->version);
			l->have_version = true;
			if (ok && (l->version < 1 || l->version > 2)) {
				/* said first: a later version's other changes are not
				 * mistaken for damage */
				p->err = version_error(p->name, l->version);
				return false;
			}
		} else if (!strcmp(key, "target")) {
			ok = parse_target(l);
		} else if (!strcmp(key, "capture")) {
			ok = parse_capture(l);
		} else if (!strcmp(key, "threads")) {
			ok = parse_array(l, "an array of threads", parse_thread);
		} else if (!strcmp(key, "goroutines")) {
			ok = parse_array(l, "an array of goroutines", parse_goroutine);
		} else if (!strcmp(key, "groups")) {
			ok = parse_array(l, "an array of groups", parse_group);
		} else if (!strcmp(key, "stacks")) {
			ok = parse_array(l, "an array of stacks", parse_stack);
		} else if (!strcmp(key, "modules")) {
			ok = parse_array(l, "an array of modules", parse_module);
		} else if (!strcmp(key, "creators")) {
			ok = parse_array(l, "an array of creators", parse_creator);
		} else if (!strcmp(key, "objects")) {
			ok = parse_array(l, "an array of objects", parse_object_entry);
		} else if (!strcmp(key, "goroutine_defaults")) {
			ok = parse_defaults(l);
		} else if (!strcmp(key, "comparison")) {
			l->comparison = true;
			ok = jp_skip(p);
		} else {
			ok = jp_skip(p);
		}
		if (!ok)
			return false;
	}
	if (p->err)
		return false;
	if (jp_peek(p) != -1)
		return jp_fail(p, "unexpected data after the report");
	return true;
}

static int cmp_goroutine(const void *a, const void *b)
{
	const struct snap_goroutine *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Groups carry what the per-item records leave out (the blocking call,
 * and goroutines' wait sites): give it back to each member. */
static void apply_group(struct snapshot *snap, const struct group_ref *g)
{
	for (size_t k = 0; k < g->n; k++) {
		struct frame *frames;
		size_t nframes;
		int *site, *call;
		if (g->goroutines) {
			struct snap_goroutine key = {.id = g->members[k]};
			struct snap_goroutine *go = snap->ngoroutines ? bsearch(&key, snap->goroutines, snap->ngoroutines, sizeof(key), cmp_goroutine) : NULL;
			if (!go)
				continue;
			frames = go->frames, nframes = go->nframes, site = &go->wait_site, call = &go->blocking_call;
		} else {
			size_t lo = 0, hi = snap->nthreads;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (snap->threads[mid].tid < g->members[k])
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == snap->nthreads || snap->threads[lo].tid != g->members[k])
				continue;
			struct snap_thread *t = &snap->threads[lo];
			frames = t->frames, nframes = t->nframes, site = &t->wait_site, call = &t->blocking_call;
		}
		int s = site_index(frames, nframes, &g->site, *site);
		if (s != *site) {
			*site = s;
			*call = s > 0 ? s - 1 : -1;
		}
		if (g->blocking_given)
			*call = blocking_index(frames, *site, g->blocking);
	}
}

static void origin_free(void *p)
{
	struct snapshot_json_origin *o = p;
	if (!o)
		return;
	free(o->build_ids);
	free(o->path);
	free(o->source);
	free(o->mode);
	free(o);
}

const struct snapshot_json_origin *snapshot_json_origin(const struct snapshot *snap)
{
	return snap && snap->input_free == origin_free ? snap->input_state : NULL;
}

const char *snapshot_json_build_id(const struct snapshot *snap, const char *module)
{
	const struct snapshot_json_origin *o = snapshot_json_origin(snap);
	if (!o || !module)
		return NULL;
	module = strpool_intern(snap->strings, module);
	for (size_t i = 0; i < o->nbuild_ids; i++)
		if (o->build_ids[i].module == module)
			return o->build_ids[i].build_id;
	return NULL;
}

/* Remembers the build-id a saved report gave for module (both interned). */
static void add_build_id(struct loader *l, const char *module, const char *bid)
{
	struct snapshot_json_origin *o = l->origin;
	if (!module || !bid)
		return;
	for (size_t i = 0; i < o->nbuild_ids; i++)
		if (o->build_ids[i].module == module)
			return;
	xgrow(&o->build_ids, &o->cap_build_ids, o->nbuild_ids + 1, sizeof(*o->build_ids));
	o->build_ids[o->nbuild_ids].module = module;
	o->build_ids[o->nbuild_ids++].build_id = bid;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Two stacks that say the same (frame strings are interned: equal names
 * are equal pointers). */
static bool same_frames(const struct frame *a, const struct frame *b, size_t n)
{
	for (size_t i = 0; i < n && a != b; i++) {
		const struct frame *x = &a[i], *y = &b[i];
		if (x->pc != y->pc || x->offset != y->offset || x->function != y->function || x->module != y->module ||
		    x->file != y->file || x->line != y->line || x->inlined != y->inlined || x->library != y->library ||
		    x->tail_call != y->tail_call || x->wrapper != y->wrapper)
			return false;
	}
	return true;
}

/* Two records of one thread that say the same. */
static bool same_thread(const struct snap_thread *a, const struct snap_thread *b)
{
	return same_str(a->name, b->name) && a->state == b->state && a->syscall == b->syscall && a->wait == b->wait &&
	       a->wait_site == b->wait_site && same_str(a->error, b->error) && a->nframes == b->nframes &&
	       same_frames(a->frames, b->frames, a->nframes);
}

/* Two records of one goroutine that say the same. */
static bool same_goroutine(const struct snap_goroutine *a, const struct snap_goroutine *b)
{
	return same_str(a->status, b->status) && same_str(a->wait_reason, b->wait_reason) && a->wait_minutes == b->wait_minutes &&
	       a->thread == b->thread && a->locked == b->locked && same_str(a->created_function, b->created_function) &&
	       same_str(a->created_file, b->created_file) && a->created_line == b->created_line &&
	       a->created_goroutine == b->created_goroutine && a->wait_site == b->wait_site &&
	       a->blocking_call == b->blocking_call && same_str(a->error, b->error) && a->system == b->system &&
	       a->leaked == b->leaked && a->nframes == b->nframes && same_frames(a->frames, b->frames, a->nframes);
}

/* pileup never writes a thread twice (a merged report's hosts each have
 * their own thread ids).  Copies that agree are merged (the thread counted
 * once, with a warning: exit 1); copies that disagree make the report
 * unusable, since either could be the wrong one.  Threads are sorted by
 * tid, so the copies of one are in one run. */
static struct pu_error *merge_duplicates(const char *name, struct snapshot *snap)
{
	size_t k = 0, dups = 0, run = 0; /* run: where the kept threads of this tid begin */
	pid_t first = 0;
	for (size_t i = 0; i < snap->nthreads; i++) {
		struct snap_thread *t = &snap->threads[i];
		if (!k || snap->threads[k - 1].tid != t->tid)
			run = k;
		const struct snap_thread *twin = NULL;
		for (size_t j = run; j < k && !twin; j++)
			if (snap->threads[j].host == t->host)
				twin = &snap->threads[j];
		if (twin) {
			if (!same_thread(twin, t)) {
				/* the threads not looked at yet follow the kept ones,
				 * so that each is freed once (found by fuzz/json_fuzz.c) */
				pid_t tid = t->tid;
				for (size_t j = i; j < snap->nthreads; j++)
					snap->threads[k++] = snap->threads[j];
				snap->nthreads = k;
				return pu_error_new(PU_EXIT_USAGE,
						    "%s lists thread %d twice, with different stacks: the report is damaged or was edited; "
						    "capture again, or keep one record of each thread",
						    name, tid);
			}
			if (!dups++)
				first = t->tid;
			free(t->name);
			free(t->frames);
			free(t->error);
			free(t->waits_on.set);
			continue;
		}
		if (k != i)
			snap->threads[k] = *t;
		k++;
	}
	snap->nthreads = k;
	if (dups)
		snapshot_warn(snap, "%s lists %zu thread record%s twice (thread %d%s), the same each time: each thread is counted once",
			      name, dups, dups == 1 ? "" : "s", first, dups > 1 ? " and others" : "");
	return NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return (x > y) - (x < y);
}

/* The same for goroutines (sorted by id; id 0, unknown, is never a
 * duplicate): a record listed twice is counted once when the copies agree,
 * and makes the report unusable when they do not.  Version 2's goroutines
 * of one stack share its frames, owned by the first: a dropped record that
 * owns frames hands them to a kept one that shares them, or frees them. */
static struct pu_error *merge_goroutine_duplicates(const char *name, struct snapshot *snap)
{
	size_t k = 0, dups = 0, ids = 0, run = 0;
	int64_t first = 0, bad = 0, last = 0;
	struct frame **orphans = NULL; /* frames owned by dropped records */
	size_t norphans = 0, cap = 0;
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		struct snap_goroutine *g = &snap->goroutines[i];
		if (!k || snap->goroutines[k - 1].id != g->id)
			run = k;
		const struct snap_goroutine *twin = NULL;
		for (size_t j = run; g->id && !bad && j < k && !twin; j++)
			if (snap->goroutines[j].host == g->host)
				twin = &snap->goroutines[j];
		if (twin && !same_goroutine(twin, g))
			bad = g->id; /* keep every record from here on, to be freed once */
		if (twin && !bad) {
			if (!dups++)
				first = g->id;
			if (g->id != last)
				ids++;
			last = g->id;
			if (!g->frames_shared && g->frames) {
				xgrow(&orphans, &cap, norphans + 1, sizeof(*orphans));
				orphans[norphans++] = g->frames;
			}
			free(g->error);
			free(g->waits_on.set);
			continue;
		}
		if (k != i)
			snap->goroutines[k] = *g;
		k++;
	}
	snap->ngoroutines = k;
	if (norphans) {
		qsort(orphans, norphans, sizeof(*orphans), cmp_ptr);
		for (size_t i = 0; i < k; i++) {
			struct snap_goroutine *g = &snap->goroutines[i];
			struct frame **o = g->frames_shared ? bsearch(&g->frames, orphans, norphans, sizeof(*orphans), cmp_ptr) : NULL;
			if (o && *o) {
				g->frames_shared = false; /* the new owner */
				*o = NULL;
			}
		}
		for (size_t i = 0; i < norphans; i++)
			free(orphans[i]);
		free(orphans);
	}
	if (bad)
		return pu_error_new(PU_EXIT_USAGE,
				    "%s lists goroutine %" PRId64 " twice, with different stacks or states: the report is damaged or was edited; "
				    "capture again, or keep one record of each goroutine",
				    name, bad);
	if (dups)
		snapshot_warn(snap, "%s lists %zu goroutine%s more than once (goroutine %" PRId64 "%s), the same each time: each goroutine is counted once",
			      name, ids, ids == 1 ? "" : "s", first, ids > 1 ? " and others" : "");
	return NULL;
}

static int cmp_stack_in(const void *a, const void *b)
{
	const struct stack_in *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_module_in(const void *a, const void *b)
{
	const struct module_in *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_object_in(const void *a, const void *b)
{
	const struct object_in *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* The reference of object id + 1 (as parse_waits_on keeps it) in
 * "objects"; false (at byte at) when the table has no such id. */
static bool object_ref(struct loader *l, uint32_t raw, size_t at, uint32_t *ref)
{
	struct object_in key = {.id = (int64_t)raw - 1};
	const struct object_in *o = l->nobjects ? bsearch(&key, l->objects, l->nobjects, sizeof(key), cmp_object_in) : NULL;
	if (!o) {
		l->p.pos = at;
		return jp_fail(&l->p, "a waits_on refers to object %lld, which \"objects\" does not list", (long long)key.id);
	}
	*ref = o->ref;
	return true;
}

/* Gives the waits that refer to "objects" their objects. */
static bool resolve_waits(struct loader *l)
{
	struct snapshot *snap = l->snap;
	for (size_t r = 0; r < l->nwrefs; r++) {
		const struct wref_in *x = &l->wrefs[r];
		struct snap_wait *w = x->goroutine ? &snap->goroutines[x->i].waits_on : &snap->threads[x->i].waits_on;
		if (x->object) {
			uint32_t ref;
			if (!object_ref(l, w->object, x->at, &ref))
				return false;
			if (!ref) { /* an object of a later version's kind: not ours to read */
				free(w->set);
				memset(w, 0, sizeof(*w));
				continue;
			}
			w->object = ref;
			w->kind = snap->objects[ref - 1].kind;
		}
		uint32_t k = 0;
		for (uint32_t i = 0; x->set && i < w->nset; i++) {
			uint32_t ref;
			if (!object_ref(l, w->set[i], x->at, &ref))
				return false;
			if (ref)
				w->set[k++] = ref;
		}
		if (x->set)
			w->nset = k;
	}
	return true;
}

static int cmp_creator_in(const void *a, const void *b)
{
	const struct creator_in *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* The entry of a sorted table with key's id, or NULL (also when the table
 * is empty: bsearch must not be given a NULL base). */
static const void *find_id(const void *key, const void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	return n ? bsearch(key, base, n, size, cmp) : NULL;
}

/* Sorts a table by id; false (at the second) when two entries share one. */
static bool sort_table(struct loader *l, void *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
		       const char *what)
{
	if (n > 1)
		qsort(base, n, size, cmp);
	for (size_t i = 1; i < n; i++) {
		const char *a = (const char *)base + (i - 1) * size, *b = (const char *)base + i * size;
		if (!cmp(a, b))
			return jp_fail(&l->p, "two %s have id %lld", what, (long long)*(const int64_t *)b);
	}
	return true;
}

/* Gives version 2's threads, goroutines and frames what they refer to:
 * frames from "stacks", modules and build-ids from "modules", where
 * goroutines were created from "creators". */
static bool resolve_refs(struct loader *l)
{
	struct snapshot *snap = l->snap;
	struct jp *p = &l->p;
	if (!sort_table(l, l->stacks, l->nstacks, sizeof(*l->stacks), cmp_stack_in, "stacks") ||
	    !sort_table(l, l->modules, l->nmodules, sizeof(*l->modules), cmp_module_in, "modules") ||
	    !sort_table(l, l->creators, l->ncreators, sizeof(*l->creators), cmp_creator_in, "creators") ||
	    !sort_table(l, l->objects, l->nobjects, sizeof(*l->objects), cmp_object_in, "objects") || !resolve_waits(l))
		return false;
	for (size_t i = 0; l->have_defaults && i < snap->ngoroutines; i++) {
		struct snap_goroutine *g = &snap->goroutines[i];
		if (!(l->given[i] & GIVEN_STATUS))
			g->status = l->def_status;
		if (!(l->given[i] & GIVEN_REASON))
			g->wait_reason = l->def_reason;
		if (!(l->given[i] & GIVEN_MINUTES))
			g->wait_minutes = l->def_minutes;
	}
	for (size_t i = 0; i < l->nmodules; i++)
		add_build_id(l, l->modules[i].path, l->modules[i].build_id);
	for (size_t i = 0; i < l->nstacks; i++) {
		struct stack_in *s = &l->stacks[i];
		for (size_t k = 0; k < s->n; k++) {
			if (s->mods[k] < 0)
				continue;
			struct module_in key = {.id = s->mods[k]};
			const struct module_in *m = find_id(&key, l->modules, l->nmodules, sizeof(key), cmp_module_in);
			if (!m) {
				p->pos = s->at;
				return jp_fail(p, "a frame of stack %lld names module %lld, which \"modules\" does not list",
					       (long long)s->id, (long long)s->mods[k]);
			}
			s->frames[k].module = m->path;
		}
	}
	for (int kind = 0; kind < 2; kind++) {
		const struct ref_in *refs = kind ? l->gstack : l->tstack;
		size_t n = kind ? l->ngstack : l->ntstack;
		for (size_t r = 0; r < n; r++) {
			struct stack_in key = {.id = refs[r].id};
			struct stack_in *s = (struct stack_in *)find_id(&key, l->stacks, l->nstacks, sizeof(key), cmp_stack_in);
			if (!s) {
				p->pos = refs[r].at;
				return jp_fail(p, "%s refers to stack %lld, which \"stacks\" does not list", kind ? "a goroutine" : "a thread",
					       (long long)refs[r].id);
			}
			struct frame **frames;
			size_t *nframes;
			int *site, *call;
			if (kind) {
				/* goroutines of one stack share its frames (as the
				 * live Go reader's do: 100,000 goroutines, a few
				 * dozen stacks); the first owns them */
				struct snap_goroutine *g = &snap->goroutines[refs[r].i];
				free(g->frames); /* inline frames of its own */
				g->frames = s->frames;
				g->frames_shared = s->owned;
				s->owned = true;
				frames = NULL, nframes = &g->nframes, site = &g->wait_site, call = &g->blocking_call;
			} else {
				struct snap_thread *t = &snap->threads[refs[r].i];
				frames = &t->frames, nframes = &t->nframes, site = &t->wait_site, call = &t->blocking_call;
			}
			if (frames) {
				free(*frames);
				*frames = s->n ? xmalloc(s->n * sizeof(**frames)) : NULL;
				if (s->n)
					memcpy(*frames, s->frames, s->n * sizeof(**frames));
			}
			*nframes = s->n;
			*site = s->site;
			*call = s->call;
		}
	}
	for (size_t r = 0; r < l->ngcreator; r++) {
		struct creator_in key = {.id = l->gcreator[r].id};
		const struct creator_in *c = find_id(&key, l->creators, l->ncreators, sizeof(key), cmp_creator_in);
		if (!c) {
			p->pos = l->gcreator[r].at;
			return jp_fail(p, "a goroutine's creator %lld is not in \"creators\"", (long long)l->gcreator[r].id);
		}
		struct snap_goroutine *g = &snap->goroutines[l->gcreator[r].i];
		g->created_function = c->function;
		g->created_file = c->file;
		g->created_line = c->line;
		if (c->have_goroutine)
			g->created_goroutine = c->goroutine;
	}
	return true;
}

static void loader_free_tables(struct loader *l)
{
	for (size_t i = 0; i < l->nstacks; i++) {
		if (!l->stacks[i].owned)
			free(l->stacks[i].frames);
		free(l->stacks[i].mods);
	}
	free(l->stacks);
	free(l->modules);
	free(l->creators);
	free(l->tstack);
	free(l->gstack);
	free(l->gcreator);
	free(l->objects);
	free(l->wrefs);
	free(l->given);
}

struct pu_error *snapshot_json_parse(const char *name, const char *buf, size_t len, struct snapshot **ret)
{
	*ret = NULL;
	struct loader l;
	memset(&l, 0, sizeof(l));
	l.p.name = name;
	l.p.s = (const unsigned char *)buf;
	l.p.len = len;
	l.snap = snapshot_create(SNAP_SAVED);
	l.snap->mode = SNAP_MODE_SAVED;
	l.origin = xcalloc(1, sizeof(*l.origin));
	l.origin->path = xstrdup(name);
	l.snap->input_state = l.origin;
	l.snap->input_free = origin_free;

	bool ok = parse_top(&l);
	if (ok && l.have_version && l.version >= 1 && l.version <= 2)
		ok = resolve_refs(&l);
	struct pu_error *err = l.p.err;
	if (ok && !l.have_version)
		err = pu_error_new(PU_EXIT_USAGE, "%s: not a pileup report (no \"pileup\": 1 or 2 at the top); give a report written by 'pileup --json'", name);
	else if (ok && l.comparison)
		err = pu_error_new(PU_EXIT_USAGE,
				   "%s is a comparison of captures (pileup --watch or diff with --json), not a snapshot; open a report written by 'pileup --json'",
				   name);
	else if (ok && (l.version < 1 || l.version > 2))
		err = version_error(name, l.version);
	if (!err) {
		struct snapshot *snap = l.snap;
		snapshot_sort(snap);
		err = merge_duplicates(name, snap);
	}
	if (!err) {
		struct snapshot *snap = l.snap;
		if (snap->ngoroutines)
			qsort(snap->goroutines, snap->ngoroutines, sizeof(*snap->goroutines), cmp_goroutine);
		err = merge_goroutine_duplicates(name, snap);
	}
	if (!err) {
		struct snapshot *snap = l.snap;
		/* version 2's stacks say exactly where each waits */
		for (size_t i = 0; l.version == 1 && i < l.ngroups; i++)
			apply_group(snap, &l.groups[i]);
	}
	loader_free_tables(&l);
	for (size_t i = 0; i < l.ngroups; i++)
		free(l.groups[i].members);
	free(l.groups);
	free(l.p.str);
	if (err) {
		snapshot_destroy(l.snap);
		return err;
	}
	*ret = l.snap;
	return NULL;
}

struct pu_error *snapshot_json_load(const char *path, struct snapshot **ret)
{
	*ret = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return pu_error_new(PU_EXIT_USAGE, "cannot open %s: %s; check the path", path, strerror(errno));
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		xgrow(&buf, &cap, len + 65536, 1);
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
		if (len > JP_MAX_FILE) {
			fclose(f);
			free(buf);
			return pu_error_new(PU_EXIT_USAGE, "%s: larger than %zu MiB; is it a pileup report?", path, JP_MAX_FILE >> 20);
		}
	}
	int e = ferror(f) ? errno : 0;
	fclose(f);
	if (e) {
		free(buf);
		return pu_error_new(PU_EXIT_USAGE, "cannot read %s: %s", path, strerror(e));
	}
	struct pu_error *err = snapshot_json_parse(path, buf, len, ret);
	free(buf);
	return err;
}
