/*
 * demangle_rust.c - Rust v0 symbol demangler, written from the grammar of
 * RFC 2603 / the rustc book ("v0 Symbol Format").
 *
 * One recursive-descent pass parses and prints at the same time into a
 * fixed buffer.  Every parse function returns false on invalid input (or
 * when a limit is hit) and the caller gives up.  Parts that are never
 * displayed (impl paths, the instantiating crate) are parsed in "skip"
 * mode, which does not follow backrefs, so skipped parts cost linear time;
 * printed backrefs always point strictly backwards, the output is capped
 * and the nesting depth is bounded, which together bound the work.
 */
#include "demangle_rust.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 200000u     /* parse calls per symbol, a last resort */
#define MAX_PUNY 256          /* code points of a decoded identifier */
#define MAX_BINDER 1024       /* lifetimes bound by all enclosing for<...> */

struct dm {
	const char *sym; /* just past "_R": backrefs count from here */
	size_t len;      /* what is parsed: all but a ".llvm.<hex>" suffix */
	size_t pos;
	char out[DEMANGLE_RUST_MAX_OUT + 1];
	size_t n;
	int skip;        /* > 0: parse only, print nothing, follow no backref */
	unsigned depth;
	unsigned steps;
	uint64_t bound;  /* lifetimes bound by the enclosing binders */
};

#define TRY(x)                       \
	do {                         \
		if (!(x))            \
			return false; \
	} while (0)

/* ---- input --------------------------------------------------------- */

static int peek(const struct dm *d)
{
	return d->pos < d->len ? (unsigned char)d->sym[d->pos] : 0;
}

static bool eat(struct dm *d, int c)
{
	if (peek(d) != c || c == 0)
		return false;
	d->pos++;
	return true;
}

static int next(struct dm *d)
{
	int c = peek(d);
	if (c)
		d->pos++;
	return c;
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_lower(int c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(int c) { return c >= 'A' && c <= 'Z'; }

/* base-62-number: "_" is 0, otherwise digits (0-9a-zA-Z) + 1. */
static bool base62(struct dm *d, uint64_t *ret)
{
	if (eat(d, '_')) {
		*ret = 0;
		return true;
	}
	uint64_t x = 0;
	for (;;) {
		int c = next(d), v;
		if (c == '_')
			break;
		if (is_digit(c))
			v = c - '0';
		else if (is_lower(c))
			v = c - 'a' + 10;
		else if (is_upper(c))
			v = c - 'A' + 36;
		else
			return false;
		if (x > (UINT64_MAX - (uint64_t)v) / 62)
			return false;
		x = x * 62 + (uint64_t)v;
	}
	if (x == UINT64_MAX)
		return false;
	*ret = x + 1;
	return true;
}

/* [tag base-62-number]: 0 when absent, else the number + 1. */
static bool opt_base62(struct dm *d, int tag, uint64_t *ret)
{
	*ret = 0;
	if (!eat(d, tag))
		return true;
	TRY(base62(d, ret));
	if (*ret == UINT64_MAX)
		return false;
	(*ret)++;
	return true;
}

/* decimal-number: "0" alone, or digits without a leading zero. */
static bool decimal(struct dm *d, uint64_t *ret)
{
	int c = peek(d);
	if (!is_digit(c))
		return false;
	d->pos++;
	*ret = (uint64_t)(c - '0');
	if (c == '0')
		return true;
	while (is_digit(peek(d))) {
		if (*ret > 100000000)
			return false;
		*ret = *ret * 10 + (uint64_t)(next(d) - '0');
	}
	return true;
}

/* ---- output -------------------------------------------------------- */

static bool put_n(struct dm *d, const char *s, size_t n)
{
	if (d->skip)
		return true;
	if (n > DEMANGLE_RUST_MAX_OUT - d->n)
		return false;
	memcpy(d->out + d->n, s, n);
	d->n += n;
	return true;
}

static bool put(struct dm *d, const char *s)
{
	return put_n(d, s, strlen(s));
}

static bool put_u64(struct dm *d, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return put(d, buf);
}

static bool put_utf8(struct dm *d, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return put_n(d, b, n);
}

/* ---- nesting ------------------------------------------------------- */

static bool enter(struct dm *d)
{
	if (d->depth >= DEMANGLE_RUST_MAX_DEPTH || ++d->steps > MAX_STEPS)
		return false;
	d->depth++;
	return true;
}

static bool leave(struct dm *d, bool ok)
{
	d->depth--;
	return ok;
}

/* backref: "B" was just eaten; its target must lie before the "B". */
static bool backref_target(struct dm *d, size_t *ret)
{
	size_t at = d->pos - 1;
	uint64_t v;
	TRY(base62(d, &v));
	if (v >= at)
		return false;
	*ret = (size_t)v;
	return true;
}

/* ---- identifiers --------------------------------------------------- */

struct ident {
	const char *ascii; /* plain part (before the last '_' of punycode) */
	size_t alen;
	const char *puny;  /* punycode digits, or NULL */
	size_t plen;
};

static bool undisambiguated_ident(struct dm *d, struct ident *id)
{
	bool puny = eat(d, 'u');
	uint64_t n;
	TRY(decimal(d, &n));
	eat(d, '_');
	if (n > d->len - d->pos)
		return false;
	const char *b = d->sym + d->pos;
	d->pos += (size_t)n;
	*id = (struct ident){b, (size_t)n, NULL, 0};
	if (puny) {
		size_t cut = (size_t)n;
		while (cut > 0 && b[cut - 1] != '_')
			cut--;
		/* "abc_def": basic "abc", digits "def"; no '_': digits only */
		id->alen = cut ? cut - 1 : 0;
		id->puny = b + cut;
		id->plen = (size_t)n - cut;
		if (id->plen == 0)
			return false;
	}
	return true;
}

static int puny_digit(int c)
{
	if (is_lower(c))
		return c - 'a';
	if (is_digit(c))
		return c - '0' + 26;
	return -1;
}

static uint64_t puny_adapt(uint64_t delta, uint64_t npoints, bool first)
{
	delta = first ? delta / 700 : delta / 2;
	delta += delta / npoints;
	uint64_t k = 0;
	while (delta > 35 * 26 / 2) {
		delta /= 35;
		k += 36;
	}
	return k + 36 * delta / (delta + 38);
}

/* RFC 3492 decoding with the ASCII part as the basic code points. */
static bool puny_decode(const struct ident *id, uint32_t *outp, size_t *nout)
{
	size_t n = 0;
	if (id->alen > MAX_PUNY)
		return false;
	for (size_t i = 0; i < id->alen; i++)
		outp[n++] = (unsigned char)id->ascii[i];
	uint64_t code = 0x80, i = 0, bias = 72;
	size_t p = 0;
	while (p < id->plen) {
		uint64_t old = i, w = 1;
		for (uint64_t k = 36;; k += 36) {
			if (p >= id->plen)
				return false;
			int dg = puny_digit((unsigned char)id->puny[p++]);
			if (dg < 0)
				return false;
			if ((uint64_t)dg > (UINT32_MAX - i) / w)
				return false;
			i += (uint64_t)dg * w;
			uint64_t t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
			if ((uint64_t)dg < t)
				break;
			if (w > UINT32_MAX / (36 - t))
				return false;
			w *= 36 - t;
		}
		if (n >= MAX_PUNY)
			return false;
		bias = puny_adapt(i - old, n + 1, old == 0);
		code += i / (n + 1);
		i %= n + 1;
		if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
			return false;
		memmove(outp + i + 1, outp + i, (n - (size_t)i) * sizeof(*outp));
		outp[i] = (uint32_t)code;
		n++;
		i++;
	}
	*nout = n;
	return true;
}

static bool print_ident(struct dm *d, const struct ident *id)
{
	if (d->skip)
		return true;
	if (!id->puny)
		return put_n(d, id->ascii, id->alen);
	uint32_t cps[MAX_PUNY];
	size_t n = 0;
	if (puny_decode(id, cps, &n)) {
		for (size_t i = 0; i < n; i++)
			TRY(put_utf8(d, cps[i]));
		return true;
	}
	/* Undecodable: show it raw, as rustc-demangle does. */
	TRY(put(d, "punycode{"));
	if (id->alen) {
		TRY(put_n(d, id->ascii, id->alen));
		TRY(put(d, "-"));
	}
	TRY(put_n(d, id->puny, id->plen));
	return put(d, "}");
}

/* ---- lifetimes and binders ------------------------------------------ */

/* A bound lifetime by its De Bruijn level: 'a, 'b, ... 'z, '_26, '_27... */
static bool print_level(struct dm *d, uint64_t level)
{
	if (level < 26) {
		char c[3] = {'\'', (char)('a' + level), 0};
		return put(d, c);
	}
	TRY(put(d, "'_"));
	return put_u64(d, level);
}

/* lifetime: index 0 is erased ('_), others count binders outwards. */
static bool print_lifetime(struct dm *d, uint64_t lt)
{
	if (d->skip)
		return true;
	if (lt == 0)
		return put(d, "'_");
	if (lt > d->bound)
		return false;
	return print_level(d, d->bound - lt);
}

/* [binder]: "G" n binds n + 1 lifetimes, shown as "for<'a, 'b> ". */
static bool open_binder(struct dm *d, uint64_t *nbound)
{
	TRY(opt_base62(d, 'G', nbound));
	if (*nbound == 0)
		return true;
	if (*nbound > MAX_BINDER || d->bound + *nbound > MAX_BINDER)
		return false;
	if (!d->skip) {
		TRY(put(d, "for<"));
		for (uint64_t i = 0; i < *nbound; i++) {
			if (i)
				TRY(put(d, ", "));
			TRY(print_level(d, d->bound + i));
		}
		TRY(put(d, "> "));
	}
	d->bound += *nbound;
	return true;
}

/* ---- paths, types, consts ----------------------------------------- */

static bool print_path(struct dm *d, bool in_value);
static bool print_type(struct dm *d);
static bool print_const(struct dm *d, bool in_value);

static const char *basic_type(int c)
{
	switch (c) {
	case 'a': return "i8";
	case 'b': return "bool";
	case 'c': return "char";
	case 'd': return "f64";
	case 'e': return "str";
	case 'f': return "f32";
	case 'h': return "u8";
	case 'i': return "isize";
	case 'j': return "usize";
	case 'l': return "i32";
	case 'm': return "u32";
	case 'n': return "i128";
	case 'o': return "u128";
	case 's': return "i16";
	case 't': return "u16";
	case 'u': return "()";
	case 'v': return "...";
	case 'x': return "i64";
	case 'y': return "u64";
	case 'z': return "!";
	case 'p': return "_";
	}
	return NULL;
}

/* Follows a backref ("B" already eaten) with fn, unless skipping. */
static bool follow(struct dm *d, bool (*fn)(struct dm *, bool), bool arg)
{
	size_t target;
	TRY(backref_target(d, &target));
	if (d->skip)
		return true;
	size_t save = d->pos;
	d->pos = target;
	bool ok = fn(d, arg);
	d->pos = save;
	return ok;
}

static bool type_fn(struct dm *d, bool unused)
{
	(void)unused;
	return print_type(d);
}

/* Parses what is never shown (impl paths, the instantiating crate). */
static bool skip_path(struct dm *d)
{
	d->skip++;
	bool ok = print_path(d, false);
	d->skip--;
	return ok;
}

static bool generic_arg(struct dm *d)
{
	if (eat(d, 'L')) {
		uint64_t lt;
		TRY(base62(d, &lt));
		return print_lifetime(d, lt);
	}
	if (eat(d, 'K'))
		return print_const(d, false);
	return print_type(d);
}

/* {item} "E", items separated by sep; *count gets their number. */
static bool sep_list(struct dm *d, bool (*item)(struct dm *), const char *sep, size_t *count)
{
	size_t i = 0;
	while (!eat(d, 'E')) {
		if (i)
			TRY(put(d, sep));
		TRY(item(d));
		i++;
	}
	if (count)
		*count = i;
	return true;
}

static bool path_inner(struct dm *d, bool in_value)
{
	int tag = next(d);
	switch (tag) {
	case 'C': { /* crate root: the disambiguator (hash) is not shown */
		uint64_t dis;
		struct ident id;
		TRY(opt_base62(d, 's', &dis));
		TRY(undisambiguated_ident(d, &id));
		return print_ident(d, &id);
	}
	case 'N': {
		int ns = next(d);
		if (!is_lower(ns) && !is_upper(ns))
			return false;
		TRY(print_path(d, in_value));
		uint64_t dis;
		struct ident id;
		TRY(opt_base62(d, 's', &dis));
		TRY(undisambiguated_ident(d, &id));
		if (is_upper(ns)) {
			TRY(put(d, "::{"));
			if (ns == 'C')
				TRY(put(d, "closure"));
			else if (ns == 'S')
				TRY(put(d, "shim"));
			else
				TRY(put_n(d, (const char[]){(char)ns}, 1));
			if (id.alen || id.puny) {
				TRY(put(d, ":"));
				TRY(print_ident(d, &id));
			}
			TRY(put(d, "#"));
			TRY(put_u64(d, dis));
			return put(d, "}");
		}
		/* Lowercase (internal) namespaces are not shown. */
		if (id.alen || id.puny) {
			TRY(put(d, "::"));
			TRY(print_ident(d, &id));
		}
		return true;
	}
	case 'M':
	case 'X': {
		uint64_t dis;
		TRY(opt_base62(d, 's', &dis));
		TRY(skip_path(d));
		TRY(put(d, "<"));
		TRY(print_type(d));
		if (tag == 'X') {
			TRY(put(d, " as "));
			TRY(print_path(d, false));
		}
		return put(d, ">");
	}
	case 'Y':
		TRY(put(d, "<"));
		TRY(print_type(d));
		TRY(put(d, " as "));
		TRY(print_path(d, false));
		return put(d, ">");
	case 'I':
		TRY(print_path(d, in_value));
		if (in_value)
			TRY(put(d, "::"));
		TRY(put(d, "<"));
		TRY(sep_list(d, generic_arg, ", ", NULL));
		return put(d, ">");
	case 'B':
		return follow(d, print_path, in_value);
	}
	return false;
}

static bool print_path(struct dm *d, bool in_value)
{
	TRY(enter(d));
	return leave(d, path_inner(d, in_value));
}

/* A dyn trait's path, with its generic arguments' "<" left open so that
 * associated type bindings can follow: sets *open when it is. */
static bool path_open_generics(struct dm *d, bool *open)
{
	TRY(enter(d));
	bool ok;
	*open = false;
	if (eat(d, 'B')) {
		size_t target;
		ok = backref_target(d, &target);
		if (ok && !d->skip) {
			size_t save = d->pos;
			d->pos = target;
			ok = path_open_generics(d, open);
			d->pos = save;
		}
	} else if (eat(d, 'I')) {
		ok = print_path(d, false) && put(d, "<") && sep_list(d, generic_arg, ", ", NULL);
		*open = true;
	} else {
		ok = print_path(d, false);
	}
	return leave(d, ok);
}

static bool dyn_trait(struct dm *d)
{
	bool open;
	TRY(path_open_generics(d, &open));
	while (eat(d, 'p')) {
		TRY(put(d, open ? ", " : "<"));
		open = true;
		struct ident id;
		TRY(undisambiguated_ident(d, &id));
		TRY(print_ident(d, &id));
		TRY(put(d, " = "));
		TRY(print_type(d));
	}
	if (open)
		TRY(put(d, ">"));
	return true;
}

static bool fn_sig(struct dm *d)
{
	bool unsafe_ = eat(d, 'U');
	struct ident abi = {0};
	bool has_abi = false, abi_c = false;
	if (eat(d, 'K')) {
		has_abi = true;
		if (eat(d, 'C')) {
			abi_c = true;
		} else {
			TRY(undisambiguated_ident(d, &abi));
			if (abi.alen == 0 || abi.puny)
				return false;
		}
	}
	if (unsafe_)
		TRY(put(d, "unsafe "));
	if (has_abi) {
		TRY(put(d, "extern \""));
		if (abi_c) {
			TRY(put(d, "C"));
		} else {
			/* "C_unwind" is "C-unwind". */
			for (size_t i = 0; i < abi.alen; i++)
				TRY(put_n(d, abi.ascii[i] == '_' ? "-" : &abi.ascii[i], 1));
		}
		TRY(put(d, "\" "));
	}
	TRY(put(d, "fn("));
	TRY(sep_list(d, print_type, ", ", NULL));
	TRY(put(d, ")"));
	if (eat(d, 'u'))
		return true;
	TRY(put(d, " -> "));
	return print_type(d);
}

static bool type_inner(struct dm *d)
{
	int tag = next(d);
	const char *basic = basic_type(tag);
	if (basic)
		return put(d, basic);
	switch (tag) {
	case 'R':
	case 'Q':
		TRY(put(d, "&"));
		if (eat(d, 'L')) {
			uint64_t lt;
			TRY(base62(d, &lt));
			if (lt) {
				TRY(print_lifetime(d, lt));
				TRY(put(d, " "));
			}
		}
		if (tag == 'Q')
			TRY(put(d, "mut "));
		return print_type(d);
	case 'P':
		TRY(put(d, "*const "));
		return print_type(d);
	case 'O':
		TRY(put(d, "*mut "));
		return print_type(d);
	case 'A':
		TRY(put(d, "["));
		TRY(print_type(d));
		TRY(put(d, "; "));
		TRY(print_const(d, true));
		return put(d, "]");
	case 'S':
		TRY(put(d, "["));
		TRY(print_type(d));
		return put(d, "]");
	case 'T': {
		size_t n;
		TRY(put(d, "("));
		TRY(sep_list(d, print_type, ", ", &n));
		if (n == 1)
			TRY(put(d, ","));
		return put(d, ")");
	}
	case 'F': {
		uint64_t nb;
		TRY(open_binder(d, &nb));
		bool ok = fn_sig(d);
		d->bound -= nb;
		return ok;
	}
	case 'D': {
		uint64_t nb, lt;
		TRY(put(d, "dyn "));
		TRY(open_binder(d, &nb));
		bool ok = sep_list(d, dyn_trait, " + ", NULL);
		d->bound -= nb;
		TRY(ok);
		if (!eat(d, 'L'))
			return false;
		TRY(base62(d, &lt));
		if (lt) {
			TRY(put(d, " + "));
			TRY(print_lifetime(d, lt));
		}
		return true;
	}
	case 'B':
		return follow(d, type_fn, false);
	case 0:
		return false;
	}
	/* A named type: a path. */
	d->pos--;
	return print_path(d, false);
}

static bool print_type(struct dm *d)
{
	TRY(enter(d));
	return leave(d, type_inner(d));
}

/* const-data digits: lowercase hex up to "_". */
static bool hex_digits(struct dm *d, const char **digits, size_t *n)
{
	*digits = d->sym + d->pos;
	*n = 0;
	for (;;) {
		int c = next(d);
		if (c == '_')
			return true;
		if (!is_digit(c) && !(c >= 'a' && c <= 'f'))
			return false;
		(*n)++;
	}
}

static int hex_val(char c)
{
	return is_digit(c) ? c - '0' : c - 'a' + 10;
}

/* The value of hex digits if it fits in 64 bits. */
static bool hex_u64(const char *p, size_t n, uint64_t *ret)
{
	while (n && *p == '0')
		p++, n--;
	if (n > 16)
		return false;
	*ret = 0;
	for (size_t i = 0; i < n; i++)
		*ret = *ret << 4 | (uint64_t)hex_val(p[i]);
	return true;
}

static bool print_uint(struct dm *d)
{
	const char *h;
	size_t n;
	uint64_t v;
	TRY(hex_digits(d, &h, &n));
	if (hex_u64(h, n, &v))
		return put_u64(d, v);
	TRY(put(d, "0x"));
	return put_n(d, h, n);
}

static bool valid_char(uint64_t v)
{
	return v <= 0x10ffff && !(v >= 0xd800 && v <= 0xdfff);
}

/* A char as Rust's Debug writes it, within quote marks q. Non-ASCII
 * characters are written as they are (Rust escapes the unprintable ones). */
static bool put_escaped_char(struct dm *d, uint32_t c, char q)
{
	char buf[16];
	switch (c) {
	case '\t': return put(d, "\\t");
	case '\r': return put(d, "\\r");
	case '\n': return put(d, "\\n");
	case '\\': return put(d, "\\\\");
	case '\0': return put(d, "\\0");
	}
	if (c == (uint32_t)q) {
		buf[0] = '\\';
		buf[1] = q;
		return put_n(d, buf, 2);
	}
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
		snprintf(buf, sizeof(buf), "\\u{%x}", (unsigned)c);
		return put(d, buf);
	}
	return put_utf8(d, c);
}

/* A str constant: hex digits, two per byte, valid UTF-8, shown quoted. */
static bool print_str_literal(struct dm *d)
{
	const char *h;
	size_t n;
	TRY(hex_digits(d, &h, &n));
	if (n % 2)
		return false;
	TRY(put(d, "\""));
	size_t i = 0;
	while (i < n) {
		unsigned b0 = (unsigned)(hex_val(h[i]) << 4 | hex_val(h[i + 1]));
		size_t len = b0 < 0x80 ? 1 : (b0 & 0xe0) == 0xc0 ? 2 : (b0 & 0xf0) == 0xe0 ? 3 : (b0 & 0xf8) == 0xf0 ? 4 : 0;
		if (!len || i + 2 * len > n)
			return false;
		uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
		for (size_t k = 1; k < len; k++) {
			unsigned b = (unsigned)(hex_val(h[i + 2 * k]) << 4 | hex_val(h[i + 2 * k + 1]));
			if ((b & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (b & 0x3f);
		}
		static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[len] || !valid_char(cp))
			return false;
		TRY(put_escaped_char(d, cp, '"'));
		i += 2 * len;
	}
	return put(d, "\"");
}

static bool const_fn(struct dm *d, bool in_value)
{
	return print_const(d, in_value);
}

static bool const_in_value(struct dm *d)
{
	return print_const(d, true);
}

static bool const_field(struct dm *d)
{
	uint64_t dis;
	struct ident id;
	TRY(opt_base62(d, 's', &dis));
	TRY(undisambiguated_ident(d, &id));
	TRY(print_ident(d, &id));
	TRY(put(d, ": "));
	return print_const(d, true);
}

static bool const_inner(struct dm *d, bool in_value)
{
	int tag = next(d);
	bool brace = false;
	/* Aggregates outside an expression are written in braces, like
	 * const generic arguments in Rust. */
#define OPEN_BRACE()                        \
	do {                                \
		if (!in_value) {            \
			brace = true;       \
			TRY(put(d, "{"));   \
		}                           \
	} while (0)
	switch (tag) {
	case 'p':
		return put(d, "_");
	case 'h': case 't': case 'm': case 'y': case 'o': case 'j':
		TRY(print_uint(d));
		break;
	case 'a': case 's': case 'l': case 'x': case 'n': case 'i':
		if (eat(d, 'n'))
			TRY(put(d, "-"));
		TRY(print_uint(d));
		break;
	case 'b': {
		const char *h;
		size_t n;
		uint64_t v;
		TRY(hex_digits(d, &h, &n));
		if (!hex_u64(h, n, &v) || v > 1)
			return false;
		TRY(put(d, v ? "true" : "false"));
		break;
	}
	case 'c': {
		const char *h;
		size_t n;
		uint64_t v;
		TRY(hex_digits(d, &h, &n));
		if (!hex_u64(h, n, &v) || !valid_char(v))
			return false;
		TRY(put(d, "'"));
		TRY(put_escaped_char(d, (uint32_t)v, '\''));
		TRY(put(d, "'"));
		break;
	}
	case 'e': /* a str value: *"..." (the literal itself is a &str) */
		OPEN_BRACE();
		TRY(put(d, "*"));
		TRY(print_str_literal(d));
		break;
	case 'R':
	case 'Q':
		/* &str: the literal itself, "..." (a token: no braces). */
		if (tag == 'R' && eat(d, 'e')) {
			TRY(print_str_literal(d));
			break;
		}
		OPEN_BRACE();
		TRY(put(d, tag == 'R' ? "&" : "&mut "));
		TRY(print_const(d, true));
		break;
	case 'A':
		OPEN_BRACE();
		TRY(put(d, "["));
		TRY(sep_list(d, const_in_value, ", ", NULL));
		TRY(put(d, "]"));
		break;
	case 'T': {
		size_t n;
		OPEN_BRACE();
		TRY(put(d, "("));
		TRY(sep_list(d, const_in_value, ", ", &n));
		if (n == 1)
			TRY(put(d, ","));
		TRY(put(d, ")"));
		break;
	}
	case 'V':
		OPEN_BRACE();
		TRY(print_path(d, true));
		switch (next(d)) {
		case 'U':
			break;
		case 'T':
			TRY(put(d, "("));
			TRY(sep_list(d, const_in_value, ", ", NULL));
			TRY(put(d, ")"));
			break;
		case 'S':
			TRY(put(d, " { "));
			TRY(sep_list(d, const_field, ", ", NULL));
			TRY(put(d, " }"));
			break;
		default:
			return false;
		}
		break;
	case 'B':
		return follow(d, const_fn, in_value);
	default:
		return false;
	}
#undef OPEN_BRACE
	if (brace)
		TRY(put(d, "}"));
	return true;
}

static bool print_const(struct dm *d, bool in_value)
{
	TRY(enter(d));
	return leave(d, const_inner(d, in_value));
}

/* ---- symbol ---------------------------------------------------------- */

/* A suffix rustc-demangle keeps: "." and printable ASCII. */
static bool symbol_like_suffix(const char *s, size_t n)
{
	if (n == 0)
		return true;
	if (s[0] != '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return false;
	return true;
}

char *demangle_rust_v0(const char *mangled)
{
	if (!mangled || mangled[0] != '_' || mangled[1] != 'R')
		return NULL;
	const char *s = mangled + 2;
	/* A version number would follow "_R"; only the unnumbered v0 exists.
	 * Paths start with an uppercase tag. */
	if (!is_upper((unsigned char)s[0]))
		return NULL;
	size_t end = strlen(s);
	/* ThinLTO's ".llvm.<hex>" says nothing to a reader: dropped. */
	const char *llvm = strstr(s, ".llvm.");
	if (llvm && strspn(llvm + 6, "0123456789ABCDEF@") == strlen(llvm + 6))
		end = (size_t)(llvm - s);
	/* Parsed as rustc-demangle does: the whole string (a corrupt length
	 * may reach into a suffix), ASCII only. */
	for (size_t i = 0; i < end; i++)
		if ((unsigned char)s[i] >= 0x80)
			return NULL;
	struct dm *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->sym = s;
	d->len = end;
	bool ok = print_path(d, true);
	/* The instantiating crate: never shown. */
	if (ok && is_upper(peek(d)))
		ok = skip_path(d);
	/* Other "." suffixes (".cold", ".warm", ".llvm.123.cold") are kept
	 * as they are; anything else ("$tlv$init") is not a v0 symbol. */
	ok = ok && symbol_like_suffix(s + d->pos, end - d->pos) && put_n(d, s + d->pos, end - d->pos);
	char *r = NULL;
	if (ok) {
		d->out[d->n] = 0;
		r = malloc(d->n + 1);
		if (r)
			memcpy(r, d->out, d->n + 1);
	}
	free(d);
	return r;
}

/* ---- standard library impls ---------------------------------------- */

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && strncmp(s, prefix, k) == 0;
}

static bool std_path(const char *s, size_t n)
{
	return starts_with(s, n, "std::") || starts_with(s, n, "core::") || starts_with(s, n, "alloc::");
}

/* A type only the standard library can give inherent impls: primitives,
 * slices, arrays, tuples, pointers, references, fn pointers, and its own
 * types and traits. */
static bool std_type(const char *s, size_t n)
{
	static const char *const prims[] = {
		"bool", "char", "str", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32",
		"u64", "u128", "usize", "f16", "f32", "f64", "f128", "!", "()",
	};
	if (n == 0)
		return false;
	if (strchr("[(*&", s[0]) || starts_with(s, n, "fn(") || starts_with(s, n, "unsafe ") ||
	    starts_with(s, n, "extern "))
		return true;
	if (starts_with(s, n, "dyn "))
		return std_path(s + 4, n - 4);
	for (size_t i = 0; i < sizeof(prims) / sizeof(*prims); i++)
		if (strlen(prims[i]) == n && strncmp(s, prims[i], n) == 0)
			return true;
	return std_path(s, n);
}

bool demangle_rust_is_std_impl(const char *name)
{
	if (!name || name[0] != '<')
		return false;
	/* The qualified segment <Self> or <Self as Trait>: up to the '>'
	 * that closes it ("->" of fn types is no bracket). */
	const char *self = name + 1, *as = NULL, *p;
	int depth = 0;
	for (p = self; *p; p++) {
		if (*p == '<') {
			depth++;
		} else if (*p == '>' && !(p > self && p[-1] == '-')) {
			if (depth-- == 0)
				break;
		} else if (depth == 0 && !as && strncmp(p, " as ", 4) == 0) {
			as = p;
		}
	}
	if (*p != '>')
		return false;
	if (!as)
		return std_type(self, (size_t)(p - self));
	/* A trait impl lives with the trait or with the type: the standard
	 * library's when both are its own. */
	return std_type(self, (size_t)(as - self)) && std_path(as + 4, (size_t)(p - as - 4));
}
