/* input_pprof.c - reads pprof goroutine profiles (see input_pprof.h).
 *
 * Field numbers of profile.proto (perftools.profiles), checked against
 * the tag constants of Go's own writer, runtime/pprof/proto.go of Go 1.26:
 * Profile: sample_type 1, sample 2, mapping 3, location 4, function 5,
 * string_table 6, period_type 11, comment 13 (string indexes);
 * ValueType: type 1, unit 2; Sample: location_id 1, value 2, label 3;
 * Label: key 1, str 2; Mapping: id 1, filename 5, build_id 6;
 * Location: id 1, mapping_id 2,
 * address 3, line 4; Line: function_id 1, line 2; Function: id 1, name 2,
 * filename 4.  The debug=1 text format: runtime/pprof's printCountProfile
 * and printStackRecord. */
#include "input_pprof.h"
#include "dump.h"
#include "pbuf.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A profile only counts goroutines, each becomes one in memory (152
 * bytes, stacks shared): past two million (4 GB of goroutine stacks in
 * the process, at least 2 KB each) pileup refuses it rather than take
 * gigabytes for a few bytes of input (the dump fuzzer found 20 million,
 * 5 GB).  Threads (pileup's own profiles) copy their frames: at most
 * MAX_THREAD_FRAMES of them in all. */
#define MAX_GOROUTINES 2000000u
#define MAX_THREAD_FRAMES (1u << 22)
enum { MAX_STACK = 1 << 16 };

static const char *const goroutine_profiles[] = {"goroutine", "goroutineleak"};

static bool goroutine_profile(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(goroutine_profiles) / sizeof(goroutine_profiles[0]); i++)
		if (strlen(goroutine_profiles[i]) == n && !memcmp(s, goroutine_profiles[i], n))
			return true;
	return false;
}

/* --- debug=1 text ---------------------------------------------------------- */

bool input_pprof_is_text(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl ? (size_t)(nl - buf) : len;
	const char *p = memmem(buf, n, " profile: total ", 16);
	if (!p || p == buf)
		return false;
	for (const char *c = buf; c < p; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return true;
}

static bool hex_at(const char **s, const char *end, uint64_t *out)
{
	const char *p = *s;
	if (end - p < 3 || p[0] != '0' || p[1] != 'x')
		return false;
	p += 2;
	uint64_t v = 0;
	const char *d = p;
	for (; p < end; p++) {
		int c = (unsigned char)*p, x;
		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			x = c - 'A' + 10;
		else
			break;
		if (v >> 60)
			return false;
		v = v << 4 | (uint64_t)x;
	}
	if (p == d)
		return false;
	*s = p;
	*out = v;
	return true;
}

static bool dec_at(const char **s, const char *end, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == *s)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* One Go-quoted string (strconv.Quote, as fmt's %q writes it: \a \b \f \n
 * \r \t \v \\ \" \xNN \uNNNN \UNNNNNNNN, other bytes as they are) at *s,
 * unquoted into buf; false if it is not one. */
static bool go_unquote(const char **s, const char *end, char *buf, size_t size, size_t *n)
{
	const char *p = *s;
	*n = 0;
	if (p >= end || *p != '"')
		return false;
	for (p++; p < end && *p != '"'; p++) {
		uint32_t c = (unsigned char)*p;
		if (c == '\\') {
			if (++p >= end)
				return false;
			static const char esc[] = "abfnrtv\\\"", val[] = "\a\b\f\n\r\t\v\\\"";
			const char *e = *p ? strchr(esc, *p) : NULL;
			if (e) {
				c = (unsigned char)val[e - esc];
			} else if (*p == 'x' || *p == 'u' || *p == 'U') {
				int digits = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
				bool byte = *p == 'x';
				c = 0;
				for (int i = 0; i < digits; i++) {
					int x = ++p < end ? (unsigned char)*p : -1;
					x = x >= '0' && x <= '9' ? x - '0' : x >= 'a' && x <= 'f' ? x - 'a' + 10 : x >= 'A' && x <= 'F' ? x - 'A' + 10 : -1;
					if (x < 0)
						return false;
					c = c << 4 | (uint32_t)x;
				}
				if (!byte) { /* a rune: UTF-8 */
					if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
						return false;
					char u[4];
					size_t k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
					if (k == 1)
						u[0] = (char)c;
					else {
						for (size_t i = k - 1; i > 0; i--, c >>= 6)
							u[i] = (char)(0x80 | (c & 0x3f));
						u[0] = (char)((0xf00u >> k) | c);
					}
					for (size_t i = 0; i < k; i++)
						if (*n < size)
							buf[(*n)++] = u[i];
					continue;
				}
			} else {
				return false;
			}
		}
		if (*n < size)
			buf[(*n)++] = (char)c;
	}
	if (p >= end)
		return false;
	*s = p + 1;
	return true;
}

/* "# labels: {"k":"v", "k2":"v2"}": runtime/pprof's labelMap.String()
 * (label.go of go1.26: "%q:%q" per pair, sorted, ", " between them; the
 * same form read from every toolchain's fixture in t_dumps). */
static bool text_labels(const char *s, const char *end, struct dump_labels *l)
{
	s += 10;
	if (s >= end || *s != '{')
		return false;
	s++;
	/* unquoted, no string is longer than the line */
	size_t size = (size_t)(end - s) + 1;
	char *k = xmalloc(size), *v = xmalloc(size);
	bool ok = true;
	while (ok && s < end && *s != '}') {
		size_t kn, vn;
		if (!go_unquote(&s, end, k, size, &kn) || s >= end || *s++ != ':' || !go_unquote(&s, end, v, size, &vn)) {
			ok = false;
			break;
		}
		dump_labels_add(l, k, kn, v, vn);
		if (s < end && *s == ',') {
			s++;
			while (s < end && *s == ' ')
				s++;
		} else if (s < end && *s != '}') {
			ok = false;
		}
	}
	free(k);
	free(v);
	return ok && s < end && s + 1 == end;
}

/* "#\t0xPC\tNAME+0xOFF\tFILE:LINE", or "#\t0xPC" without a symbol. */
static bool text_frame(struct dump_builder *b, const char *s, const char *end, struct frame *f)
{
	memset(f, 0, sizeof(*f));
	s += 2;
	if (!hex_at(&s, end, &f->pc))
		return false;
	if (s == end)
		return true;
	if (*s != '\t')
		return false;
	/* Go aligns the columns with tabwriter: runs of tabs */
	while (s < end && *s == '\t')
		s++;
	const char *tab = memchr(s, '\t', (size_t)(end - s));
	if (!tab)
		return false;
	const char *plus = NULL;
	for (const char *c = tab; c > s; c--)
		if (c[-1] == '+') {
			plus = c - 1;
			break;
		}
	if (!plus)
		return false;
	const char *o = plus + 1;
	if (!hex_at(&o, tab, &f->offset) || o != tab)
		return false;
	f->function = strpool_intern_n(b->snap->strings, s, (size_t)(plus - s));
	const char *file = tab;
	while (file < end && *file == '\t')
		file++;
	const char *colon = NULL;
	for (const char *c = end; c > file; c--)
		if (c[-1] == ':') {
			colon = c - 1;
			break;
		}
	uint64_t line;
	const char *l = colon ? colon + 1 : NULL;
	if (!colon || !dec_at(&l, end, &line) || l != end || line > INT_MAX)
		return false;
	f->file = strpool_intern_n(b->snap->strings, file, (size_t)(colon - file));
	f->line = (int)line;
	return true;
}

struct pu_error *input_pprof_parse_text(const char *from, const char *buf, size_t len, struct snapshot **ret)
{
	*ret = NULL;
	const char *s = buf, *end = buf + len;
	const char *nl = memchr(s, '\n', len);
	const char *sp = memmem(s, nl ? (size_t)(nl - s) : len, " profile: total ", 16);
	if (!sp)
		return pu_error_new(PU_EXIT_USAGE, "%s is not a pprof profile", from);
	if (!goroutine_profile(s, (size_t)(sp - s)))
		return pu_error_new(PU_EXIT_USAGE, "%s is a pprof '%.*s' profile; pileup reads goroutine profiles (/debug/pprof/goroutine or goroutineleak)",
				    from, (int)(sp - s > 40 ? 40 : sp - s), s);
	const char *t = sp + 16;
	uint64_t total = 0;
	dec_at(&t, nl ? nl : end, &total);
	struct dump_builder b;
	bool leak = (size_t)(sp - s) == 13;
	dump_begin(&b, from, leak ? "pprof goroutineleak profile (text)" : "pprof goroutine profile (text)",
		   SNAP_LACKS_GO_RUNTIME | SNAP_LACKS_GO_WAIT | SNAP_LACKS_GO_IDS);
	struct frame prev;
	bool have_prev = false, in_rec = false, cut = false;
	uint64_t count = 0, sum = 0;
	size_t nframes = 0, bad = 0, lineno = 1;
	struct pu_error *err = NULL;
	struct dump_labels lset = {0};
	const char *labels = NULL;
	b.snap->go_labels = true;
	s = nl ? nl + 1 : end;
	/* Frames at one pc are one physical frame and the calls inlined
	 * into it (innermost first); only the last is not inlined. */
#define FLUSH_PREV()                                              \
	do {                                                      \
		if (have_prev && nframes < MAX_STACK) {           \
			dump_push_frame(&b, &prev);               \
			nframes++;                                \
		}                                                 \
		have_prev = false;                                \
	} while (0)
#define END_REC()                                                                          \
	do {                                                                               \
		if (in_rec) {                                                              \
			FLUSH_PREV();                                                      \
			if (count) {                                                       \
				size_t gi = b.snap->ngoroutines;                           \
				dump_add_goroutine(&b);                                    \
				b.snap->goroutines[gi].status = NULL;                      \
				b.snap->goroutines[gi].labels = labels;                    \
				if (count > 1)                                             \
					dump_repeat_goroutine(&b, gi, (size_t)count - 1);  \
			}                                                                  \
			b.ncur = 0;                                                        \
			labels = NULL;                                                     \
			in_rec = false;                                                    \
		}                                                                          \
	} while (0)
	while (s < end && !err) {
		nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		if (!nl)
			cut = true;
		lineno++;
		if (le > s && le[-1] == '\r')
			le--;
		if (s == le) {
			END_REC();
		} else if (*s >= '0' && *s <= '9') {
			END_REC();
			const char *p = s;
			if (!dec_at(&p, le, &count) || le - p < 2 || memcmp(p, " @", 2) != 0) {
				bad++;
				count = 0;
			} else if (count > MAX_GOROUTINES || sum + count > MAX_GOROUTINES) {
				err = pu_error_new(PU_EXIT_USAGE, "%s: line %zu brings the profile's count to %" PRIu64 " goroutines, more than pileup reads from a profile (%u); is it corrupt?",
						   from, lineno, sum + count, MAX_GOROUTINES);
			} else {
				sum += count;
				in_rec = true;
				nframes = 0;
			}
		} else if (le - s >= 2 && s[0] == '#' && s[1] == '\t' && in_rec) {
			struct frame f;
			if (!text_frame(&b, s, le, &f)) {
				bad++;
			} else {
				if (have_prev) {
					prev.inlined = prev.pc == f.pc;
					FLUSH_PREV();
				}
				prev = f;
				have_prev = true;
			}
		} else if (le - s >= 10 && !memcmp(s, "# labels: ", 10) && in_rec && !nframes && !have_prev && !labels) {
			/* after the record's "N @ ..." line, before its frames */
			if (text_labels(s, le, &lset))
				labels = dump_labels_intern(b.snap->strings, &lset);
			else
				bad++;
			dump_labels_free(&lset);
		} else if (le - s >= 1 && s[0] == '#') {
			/* other comments */
		} else {
			bad++;
		}
		s = nl ? nl + 1 : end;
	}
	if (!cut)
		END_REC();
	else
		b.ncur = 0;
#undef END_REC
#undef FLUSH_PREV
	if (err) {
		dump_abandon(&b);
		return err;
	}
	if (!b.snap->ngoroutines && (bad || cut)) {
		dump_abandon(&b);
		return pu_error_new(PU_EXIT_USAGE, "%s: no stack of the goroutine profile could be read (%zu malformed lines)", from, bad);
	}
	struct snapshot *snap = dump_finish(&b);
	if (cut || sum != total)
		snapshot_warn(snap, "%s: the profile is cut off: it says %" PRIu64 " goroutines, its stacks count %" PRIu64, from, total, sum);
	if (bad)
		snapshot_warn(snap, "%s: %zu malformed line%s skipped", from, bad, bad == 1 ? "" : "s");
	*ret = snap;
	return NULL;
}

/* --- debug=0: profile.proto ------------------------------------------------ */

struct strtab {
	struct {
		const uint8_t *p;
		size_t n;
	} *s;
	size_t n, cap;
};

struct pfunc {
	uint64_t id;
	uint64_t name, file;
};

struct ploc {
	uint64_t id, mapping, address;
	uint32_t first, n; /* into lines */
};

struct pline {
	uint64_t func;
	int64_t line;
};

struct pmap {
	uint64_t id, file, build_id;
};

struct proto {
	const char *from;
	struct strtab st;
	struct pfunc *funcs;
	size_t nfuncs, capfuncs;
	struct ploc *locs;
	size_t nlocs, caplocs;
	struct pline *lines;
	size_t nlines, caplines;
	struct pmap *maps;
	size_t nmaps, capmaps;
	uint64_t type0, unit0;
	size_t nsample_types;
	bool have_type;
	const char **interned; /* string table entries, interned on demand */
	struct dump_builder b;
	uint64_t *ids; /* scratch: a sample's location ids */
	size_t nids, capids;
	int64_t value;
	size_t nvalues;
	bool ours; /* written by pileup --pprof: its labels are its own */
	struct dump_labels labels; /* a sample's labels of the program's own */
	uint64_t thread_frames; /* frames of the threads made so far */
};

/* A "host" label (pileup merge --pprof): its index in snap->hosts, the
 * host added when new; UINT32_MAX for none (and past 65536 hosts). */
static uint32_t host_index(struct snapshot *snap, const char *host)
{
	if (!host)
		return UINT32_MAX;
	for (size_t i = 0; i < snap->nhosts; i++)
		if (!strcmp(snap->hosts[i], host))
			return (uint32_t)i;
	if (snap->nhosts >= 65536)
		return UINT32_MAX;
	snap->hosts = xrealloc(snap->hosts, (snap->nhosts + 1) * sizeof(*snap->hosts));
	snap->hosts[snap->nhosts] = xstrdup(host);
	return (uint32_t)snap->nhosts++;
}

static const char *str_at(struct proto *pr, uint64_t i)
{
	if (i == 0 || i >= pr->st.n)
		return NULL; /* 0 is "" by the format's rule */
	if (!pr->interned[i])
		pr->interned[i] = strpool_intern_n(pr->b.snap->strings, (const char *)pr->st.s[i].p, pr->st.s[i].n);
	return pr->interned[i];
}

/* Top-level walk: every field well formed; strings collected. */
static bool walk_top(const uint8_t *buf, size_t len, struct strtab *st, size_t *nsample_types)
{
	struct pb b = {buf, buf + len, false}, sub;
	uint32_t field;
	int wire;
	uint64_t v;
	*nsample_types = 0;
	while (pb_field(&b, &field, &wire, &v, &sub)) {
		if (field == 6) {
			if (wire != 2)
				return false;
			if (st) {
				xgrow(&st->s, &st->cap, st->n + 1, sizeof(*st->s));
				st->s[st->n].p = sub.p;
				st->s[st->n++].n = (size_t)(sub.end - sub.p);
			}
		} else if (field == 1) {
			if (wire != 2)
				return false;
			++*nsample_types;
		} else if (field >= 2 && field <= 5 && wire != 2) {
			return false;
		}
	}
	return !b.bad;
}

bool input_pprof_is_proto(const uint8_t *buf, size_t len)
{
	/* A Profile starts with one of its own fields as a length-delimited
	 * or varint field (Go writes period_type, 11, first; others
	 * sample_type, 1). */
	if (len < 4 || !(buf[0] == 0x0a || buf[0] == 0x12 || buf[0] == 0x5a || buf[0] == 0x32))
		return false;
	size_t nst = 0;
	return walk_top(buf, len, NULL, &nst) && nst > 0;
}

static int cmp_func(const void *a, const void *b)
{
	const struct pfunc *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_loc(const void *a, const void *b)
{
	const struct ploc *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static const struct pfunc *find_func(const struct proto *pr, uint64_t id)
{
	struct pfunc key = {.id = id};
	return bsearch(&key, pr->funcs, pr->nfuncs, sizeof(key), cmp_func);
}

static const struct ploc *find_loc(const struct proto *pr, uint64_t id)
{
	struct ploc key = {.id = id};
	return bsearch(&key, pr->locs, pr->nlocs, sizeof(key), cmp_loc);
}

static const struct pmap *find_map(const struct proto *pr, uint64_t id)
{
	for (size_t i = 0; i < pr->nmaps; i++)
		if (pr->maps[i].id == id)
			return &pr->maps[i];
	return NULL;
}

static bool parse_value_type(struct pb *m, uint64_t *type, uint64_t *unit)
{
	uint32_t f;
	int w;
	uint64_t v;
	struct pb sub;
	while (pb_field(m, &f, &w, &v, &sub)) {
		if (f == 1 && w == 0)
			*type = v;
		else if (f == 2 && w == 0)
			*unit = v;
	}
	return !m->bad;
}

static bool parse_function(struct proto *pr, struct pb *m)
{
	struct pfunc fn = {0};
	uint32_t f;
	int w;
	uint64_t v;
	struct pb sub;
	while (pb_field(m, &f, &w, &v, &sub)) {
		if (w != 0)
			continue;
		if (f == 1)
			fn.id = v;
		else if (f == 2)
			fn.name = v;
		else if (f == 4)
			fn.file = v;
	}
	if (m->bad)
		return false;
	xgrow(&pr->funcs, &pr->capfuncs, pr->nfuncs + 1, sizeof(*pr->funcs));
	pr->funcs[pr->nfuncs++] = fn;
	return true;
}

static bool parse_location(struct proto *pr, struct pb *m)
{
	struct ploc loc = {.first = (uint32_t)pr->nlines};
	uint32_t f;
	int w;
	uint64_t v;
	struct pb sub;
	while (pb_field(m, &f, &w, &v, &sub)) {
		if (f == 1 && w == 0) {
			loc.id = v;
		} else if (f == 2 && w == 0) {
			loc.mapping = v;
		} else if (f == 3 && w == 0) {
			loc.address = v;
		} else if (f == 4 && w == 2) {
			struct pline ln = {0};
			uint32_t f2;
			int w2;
			uint64_t v2;
			struct pb s2;
			while (pb_field(&sub, &f2, &w2, &v2, &s2)) {
				if (f2 == 1 && w2 == 0)
					ln.func = v2;
				else if (f2 == 2 && w2 == 0)
					ln.line = (int64_t)v2;
			}
			if (sub.bad || pr->nlines >= UINT32_MAX - 1)
				return false;
			xgrow(&pr->lines, &pr->caplines, pr->nlines + 1, sizeof(*pr->lines));
			pr->lines[pr->nlines++] = ln;
			loc.n++;
		}
	}
	if (m->bad)
		return false;
	xgrow(&pr->locs, &pr->caplocs, pr->nlocs + 1, sizeof(*pr->locs));
	pr->locs[pr->nlocs++] = loc;
	return true;
}

static bool parse_mapping(struct proto *pr, struct pb *m)
{
	struct pmap mp = {0};
	uint32_t f;
	int w;
	uint64_t v;
	struct pb sub;
	while (pb_field(m, &f, &w, &v, &sub)) {
		if (w != 0)
			continue;
		if (f == 1)
			mp.id = v;
		else if (f == 5)
			mp.file = v;
		else if (f == 6)
			mp.build_id = v;
	}
	if (m->bad)
		return false;
	xgrow(&pr->maps, &pr->capmaps, pr->nmaps + 1, sizeof(*pr->maps));
	pr->maps[pr->nmaps++] = mp;
	return true;
}

static void add_id(void *ctx, uint64_t v)
{
	struct proto *pr = ctx;
	if (pr->nids < MAX_STACK) {
		xgrow(&pr->ids, &pr->capids, pr->nids + 1, sizeof(*pr->ids));
		pr->ids[pr->nids++] = v;
	}
}

static void check_comment(void *ctx, uint64_t v)
{
	struct proto *pr = ctx;
	const char *c = str_at(pr, v);
	size_t n = strlen(INPUT_PPROF_COMMENT);
	if (c && !strncmp(c, INPUT_PPROF_COMMENT, n) && (c[n] == ' ' || !c[n]))
		pr->ours = true;
}

static void add_value(void *ctx, uint64_t v)
{
	struct proto *pr = ctx;
	if (pr->nvalues++ == 0)
		pr->value = (int64_t)v;
}

/* The innermost frame of function name (a "wait_site" label), or -1. */
static int site_label(const struct frame *f, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (f[i].function == name)
			return (int)i;
	return -1;
}

/* Go's debug=1 form of a profile hides runtime.goexit and the runtime's
 * frames above the first other one (all of them if none is left):
 * printStackRecord, runtime/pprof/pprof.go of go1.19 ("runtime.") and
 * go1.26 (also "internal/runtime/").  The debug=0 form keeps them; read so
 * too, both forms of one profile give the same stacks. */
static bool runtime_name(const char *s)
{
	return !strncmp(s, "runtime.", 8) || !strncmp(s, "internal/runtime/", 17);
}

static size_t hide_runtime_top(struct frame *f, size_t n)
{
	size_t k = 0;
	bool show = false;
	for (size_t i = 0; i < n; i++) {
		const char *name = f[i].function;
		if (name && (!strcmp(name, "runtime.goexit") || (!show && runtime_name(name))))
			continue;
		show = true;
		f[k++] = f[i];
	}
	if (show)
		return k;
	/* nothing shown (nothing was moved either): all but runtime.goexit */
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (!f[i].function || strcmp(f[i].function, "runtime.goexit") != 0)
			f[k++] = f[i];
	return k;
}

/* One sample: its stack and count become goroutines (or threads). */
static struct pu_error *parse_sample(struct proto *pr, struct pb *m, uint64_t *total, size_t *unknown)
{
	pr->nids = pr->nvalues = 0;
	pr->value = 0;
	dump_labels_free(&pr->labels);
	const char *kind = NULL, *wait = NULL, *site = NULL, *host = NULL;
	uint32_t f;
	int w;
	uint64_t v;
	struct pb sub;
	while (pb_field(m, &f, &w, &v, &sub)) {
		if (f == 1) {
			if (!pb_repeated(&sub, w, v, add_id, pr))
				m->bad = true;
		} else if (f == 2) {
			if (!pb_repeated(&sub, w, v, add_value, pr))
				m->bad = true;
		} else if (f == 3 && w == 2) {
			uint64_t key = 0, str = 0, num = 0;
			bool have_num = false;
			uint32_t f2;
			int w2;
			uint64_t v2;
			struct pb s2;
			while (pb_field(&sub, &f2, &w2, &v2, &s2)) {
				if (f2 == 1 && w2 == 0)
					key = v2;
				else if (f2 == 2 && w2 == 0)
					str = v2;
				else if (f2 == 3 && w2 == 0)
					num = v2, have_num = true;
			}
			/* a Go program's own labels may have these names */
			const char *k = pr->ours ? str_at(pr, key) : NULL;
			bool own = k && (!strcmp(k, "kind") || !strcmp(k, "wait") || !strcmp(k, "wait_site") || !strcmp(k, "host"));
			if (!own && str_at(pr, key)) {
				/* the program's (Go's are strings; a number as
				 * its decimal) */
				const char *kk = str_at(pr, key), *vv = str_at(pr, str);
				char nb[24];
				if (!str && have_num) {
					snprintf(nb, sizeof(nb), "%" PRId64, (int64_t)num);
					vv = nb;
				}
				dump_labels_add(&pr->labels, kk, strlen(kk), vv ? vv : "", vv ? strlen(vv) : 0);
			} else if (k && !strcmp(k, "kind"))
				kind = str_at(pr, str);
			else if (k && !strcmp(k, "wait"))
				wait = str_at(pr, str);
			else if (k && !strcmp(k, "wait_site"))
				site = str_at(pr, str);
			else if (k && !strcmp(k, "host"))
				host = str_at(pr, str);
		}
		if (m->bad)
			break;
	}
	if (m->bad)
		return pu_error_new(PU_EXIT_USAGE, "%s: a sample of the profile is malformed; is the file cut off or corrupt?", pr->from);
	if (pr->value <= 0)
		return NULL;
	if ((uint64_t)pr->value > MAX_GOROUTINES || *total + (uint64_t)pr->value > MAX_GOROUTINES)
		return pu_error_new(PU_EXIT_USAGE, "%s: the profile counts %" PRIu64 " goroutines or more, more than pileup reads from a profile (%u); is it corrupt?",
				    pr->from, *total + (uint64_t)pr->value, MAX_GOROUTINES);
	*total += (uint64_t)pr->value;
	struct strpool *sp = pr->b.snap->strings;
	for (size_t i = 0; i < pr->nids; i++) {
		const struct ploc *loc = find_loc(pr, pr->ids[i]);
		if (!loc) {
			++*unknown;
			continue;
		}
		const struct pmap *mp = loc->mapping ? find_map(pr, loc->mapping) : NULL;
		const char *module = mp ? str_at(pr, mp->file) : NULL;
		if (!loc->n) {
			struct frame fr = {.pc = loc->address, .module = module};
			if (mp)
				fr.offset = loc->address; /* no symbol: the address */
			dump_push_frame(&pr->b, &fr);
		}
		for (uint32_t k = 0; k < loc->n; k++) {
			const struct pline *ln = &pr->lines[loc->first + k];
			const struct pfunc *fn = find_func(pr, ln->func);
			struct frame fr = {.pc = loc->address, .module = module};
			if (fn) {
				fr.function = str_at(pr, fn->name);
				fr.file = str_at(pr, fn->file);
			}
			fr.line = ln->line > 0 && ln->line <= INT_MAX ? (int)ln->line : 0;
			/* the last line is the function the others were inlined into */
			fr.inlined = k + 1 < loc->n;
			dump_push_frame(&pr->b, &fr);
		}
	}
	uint32_t hi = host_index(pr->b.snap, host);
	if (kind && !strcmp(kind, "thread")) {
		struct snapshot *snap = pr->b.snap;
		uint64_t nf = pr->b.ncur ? pr->b.ncur : 1;
		pr->thread_frames += nf * (uint64_t)pr->value;
		if (pr->thread_frames > MAX_THREAD_FRAMES)
			return pu_error_new(PU_EXIT_USAGE, "%s: the profile's threads have more than %u frames in all, more than pileup reads; is it corrupt?", pr->from,
					    MAX_THREAD_FRAMES);
		for (int64_t c = 0; c < pr->value; c++) {
			struct snap_thread *t = snapshot_add_thread(snap, 0);
			t->host = hi;
			t->how = SNAP_HOW_SAVED;
			t->state = '?';
			t->syscall = -1;
			t->nframes = pr->b.ncur;
			t->frames = xmalloc((t->nframes ? t->nframes : 1) * sizeof(*t->frames));
			memcpy(t->frames, pr->b.cur, t->nframes * sizeof(*t->frames));
			enum wait_class wc = wait_class_parse(wait);
			t->wait = wc == WAIT__COUNT ? WAIT_UNKNOWN : wc;
			/* only pileup writes threads; no label: no site */
			t->wait_site = site_label(t->frames, t->nframes, site);
			t->blocking_call = t->wait_site > 0 ? t->wait_site - 1 : -1;
		}
		pr->b.ncur = 0;
		snap->lacks &= ~(unsigned)SNAP_LACKS_THREADS;
		return NULL;
	}
	if (!pr->ours)
		pr->b.ncur = hide_runtime_top(pr->b.cur, pr->b.ncur);
	size_t gi = pr->b.snap->ngoroutines;
	struct snap_goroutine *g = dump_add_goroutine(&pr->b);
	g->host = hi;
	g->labels = dump_labels_intern(sp, &pr->labels);
	if (wait) {
		g->status = strpool_intern(sp, "waiting");
		g->wait_reason = wait;
		/* pileup writes a non-waiting goroutine's status as its wait */
		for (size_t i = 0; i < 8; i++) {
			static const char *const st[] = {"idle", "runnable", "running", "syscall", "dead", "copystack", "preempted", "unknown"};
			if (!strcmp(wait, st[i])) {
				g->status = wait;
				g->wait_reason = NULL;
			}
		}
	} else {
		pr->nvalues = SIZE_MAX; /* marks: some sample had no wait */
	}
	if (site) {
		/* pileup's own profile says where the wait site is */
		g->wait_site = site_label(g->frames, g->nframes, site);
		g->blocking_call = g->wait_site > 0 ? g->wait_site - 1 : -1;
	}
	if (pr->value > 1)
		dump_repeat_goroutine(&pr->b, gi, (size_t)pr->value - 1);
	return NULL;
}

struct pu_error *input_pprof_parse_proto(const char *from, const uint8_t *buf, size_t len, struct snapshot **ret)
{
	*ret = NULL;
	struct proto pr;
	memset(&pr, 0, sizeof(pr));
	pr.from = from;
	size_t nst;
	if (!walk_top(buf, len, &pr.st, &nst)) {
		free(pr.st.s);
		return pu_error_new(PU_EXIT_USAGE, "%s is not a well-formed pprof profile (profile.proto); is it cut off?", from);
	}
	pr.interned = xcalloc(pr.st.n + 1, sizeof(*pr.interned));
	dump_begin(&pr.b, from, "pprof goroutine profile", SNAP_LACKS_GO_RUNTIME | SNAP_LACKS_GO_WAIT | SNAP_LACKS_GO_IDS);
	pr.b.snap->go_labels = true;
	struct pb b = {buf, buf + len, false}, sub;
	uint32_t field;
	int wire;
	uint64_t v;
	bool ok = true;
	/* first everything a sample refers to, then the samples */
	while (ok && pb_field(&b, &field, &wire, &v, &sub)) {
		if (field == 1 && !pr.have_type) {
			ok = parse_value_type(&sub, &pr.type0, &pr.unit0);
			pr.have_type = true;
		} else if (field == 3) {
			ok = parse_mapping(&pr, &sub);
		} else if (field == 4) {
			ok = parse_location(&pr, &sub);
		} else if (field == 5) {
			ok = parse_function(&pr, &sub);
		} else if (field == 13) {
			ok = pb_repeated(&sub, wire, v, check_comment, &pr);
		}
	}
	struct pu_error *err = NULL;
	const char *type = str_at(&pr, pr.type0);
	if (!ok || b.bad) {
		err = pu_error_new(PU_EXIT_USAGE, "%s is not a well-formed pprof profile (profile.proto); is it cut off?", from);
	} else if (!type || !goroutine_profile(type, strlen(type))) {
		const char *unit = str_at(&pr, pr.unit0);
		err = pu_error_new(PU_EXIT_USAGE, "%s is a pprof profile of %s (%s); pileup reads goroutine profiles (/debug/pprof/goroutine or goroutineleak)",
				   from, type ? type : "an unnamed sample type", unit ? unit : "no unit");
	}
	if (!err) {
		if (!strcmp(type, "goroutineleak"))
			pr.b.snap->dump_format = "pprof goroutineleak profile";
		qsort(pr.funcs, pr.nfuncs, sizeof(*pr.funcs), cmp_func);
		qsort(pr.locs, pr.nlocs, sizeof(*pr.locs), cmp_loc);
		/* the executable: the first mapping (Go's writer puts it first) */
		if (pr.nmaps) {
			const char *exe = str_at(&pr, pr.maps[0].file), *bid = str_at(&pr, pr.maps[0].build_id);
			if (exe)
				pr.b.snap->exe = xstrdup(exe);
			if (exe && bid)
				pr.b.build_id = xstrdup(bid);
		}
		uint64_t total = 0;
		size_t unknown = 0, nsamples = 0;
		bool all_wait = true;
		b = (struct pb){buf, buf + len, false};
		while (!err && pb_field(&b, &field, &wire, &v, &sub)) {
			if (field != 2)
				continue;
			nsamples++;
			err = parse_sample(&pr, &sub, &total, &unknown);
			if (pr.nvalues == SIZE_MAX)
				all_wait = false;
		}
		if (!err) {
			if (all_wait && nsamples)
				pr.b.snap->lacks &= ~(unsigned)(SNAP_LACKS_GO_WAIT | SNAP_LACKS_GO_RUNTIME);
			struct snapshot *snap = dump_finish(&pr.b);
			if (unknown)
				snapshot_warn(snap, "%s: %zu frames name locations the profile does not hold; left out", from, unknown);
			*ret = snap;
		}
	}
	if (err)
		dump_abandon(&pr.b);
	free(pr.st.s);
	free(pr.interned);
	free(pr.funcs);
	free(pr.locs);
	free(pr.lines);
	free(pr.maps);
	free(pr.ids);
	dump_labels_free(&pr.labels);
	return err;
}
