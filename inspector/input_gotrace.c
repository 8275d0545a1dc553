/* input_gotrace.c - reads Go traceback text (see input_gotrace.h).
 *
 * One pass over the lines.  A traceback is a run of goroutine records
 * (header, then function and location lines in pairs, "created by", elision
 * markers) and the lines Go prints between them in crash output (signal
 * and PC lines, register dumps, "-----", "runtime stack:", system stacks
 * of "goroutine 0").  Any other line ends the traceback it is in; the next
 * goroutine header starts a new one, which replaces what was read.
 * Formats checked against the traceback printers of Go 1.19 and 1.27
 * (runtime/traceback.go: goroutineheader, printcreatedby, traceback1) and
 * the output of this machine's toolchains. */
#include "input_gotrace.h"
#include "dump.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go's own traceback prints at most 100 frames a goroutine; a hand-made or
 * foreign dump may have more, which are kept up to this many. */
enum { MAX_FRAMES = 1 << 20 };

struct line {
	const char *s;
	size_t n;
	size_t no; /* 1-based */
};

enum rec_kind {
	REC_NONE,
	REC_GOROUTINE, /* a goroutine being read */
	REC_SKIP,      /* a system stack, "runtime stack:", an ancestor's stack */
};

struct seen {
	int64_t id;
	size_t idx;
};

struct parser {
	struct dump_builder b;
	const char *from;
	enum rec_kind rec;
	struct snap_goroutine g; /* the record's fields, but frames */
	bool have_fn;            /* a function line waits for its location */
	struct frame fn;
	bool creator;            /* the function line was "created by" */
	bool incomplete;         /* the record's stack was elided */
	char *elided;
	size_t nframes;
	bool in_block;           /* inside a traceback */
	size_t block_start, block_end, nblocks, first_start;
	size_t truncated;        /* goroutines left out: cut off */
	int64_t truncated_id;
	bool runtime_frames;     /* GOTRACEBACK=system or crash: all frames */
	/* the record has frames Go's default traceback hides, and others:
	 * only a traceback of all frames has both in one goroutine (the
	 * default shows runtime frames only when it would show nothing) */
	bool rec_hidden, rec_shown;
	/* seen ids of the current traceback, each with its goroutine's index
	 * (crash output prints the goroutine a thread runs twice) */
	struct seen *seen; /* open addressing; id 0 is free (never kept) */
	size_t nseen, capseen;
	size_t differ;     /* goroutines printed again differently */
	int64_t differ_id;
	const char *n_gopanic;
};

static bool starts(const struct line *l, const char *p)
{
	size_t n = strlen(p);
	return l->n >= n && memcmp(l->s, p, n) == 0;
}

static bool parse_u64(const char *s, size_t n, size_t *used, uint64_t *out, int base)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < n; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (!i)
		return false;
	*used = i;
	*out = v;
	return true;
}

/* "goroutine N [" or "goroutine N gp=": the id, or -1 when l is no header. */
static int64_t header_id(const struct line *l)
{
	if (!starts(l, "goroutine "))
		return -1;
	size_t used;
	uint64_t id;
	if (!parse_u64(l->s + 10, l->n - 10, &used, &id, 10) || id > INT64_MAX)
		return -1;
	size_t at = 10 + used;
	if (at + 2 > l->n || l->s[at] != ' ' || (l->s[at + 1] != '[' && !(at + 4 <= l->n && !memcmp(l->s + at + 1, "gp=", 3))))
		return -1;
	return (int64_t)id;
}

bool input_gotrace_detect(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct line l = {p, nl ? (size_t)(nl - p) : (size_t)(end - p), 0};
		if (header_id(&l) >= 0)
			return true;
		if (!nl)
			return false;
		const char *g = memmem(nl, (size_t)(end - nl), "\ngoroutine ", 11);
		if (!g)
			return false;
		p = g + 1;
	}
}

/* Go's status names (runtime2.go gStatusStrings); anything else between
 * the brackets is a waiting goroutine's wait reason. */
static const char *const statuses[] = {"idle", "runnable", "running", "syscall", "waiting", "dead", "copystack", "preempted", "leaked"};

static bool strip_suffix(const char *s, size_t *n, const char *suf)
{
	size_t k = strlen(suf);
	if (*n >= k && !memcmp(s + *n - k, suf, k)) {
		*n -= k;
		return true;
	}
	return false;
}

static void parse_header(struct parser *p, const struct line *l, int64_t id)
{
	struct strpool *sp = p->b.snap->strings;
	memset(&p->g, 0, sizeof(p->g));
	p->g.id = id;
	p->g.wait_minutes = -1;
	const char *lb = memchr(l->s, '[', l->n);
	const char *rb = lb ? memchr(lb, ']', (size_t)(l->s + l->n - lb)) : NULL;
	if (!lb || !rb) {
		p->g.status = strpool_intern(sp, "unknown");
		return;
	}
	if (memmem(l->s, (size_t)(lb - l->s), " gp=", 4))
		p->runtime_frames = true; /* GOTRACEBACK=system or crash */
	const char *s = lb + 1;
	size_t n = (size_t)(rb - s);
	/* the first part is the status or wait reason; then ", N minutes",
	 * ", locked to thread", ", synctest bubble N" */
	const char *comma = memmem(s, n, ", ", 2);
	size_t sn = comma ? (size_t)(comma - s) : n;
	/* In a synctest bubble Go appends " (durable)" to the wait reasons
	 * of a durably blocked goroutine ("[sleep (durable), synctest bubble
	 * 1]"), unless the reason's own name ends so (goroutineheader,
	 * traceback.go, and waitReasonStrings, runtime2.go, of go1.26.8):
	 * those four keep it, as a live capture reads them. */
	static const char *const durable_names[] = {"chan receive (durable)", "chan send (durable)", "select (durable)",
						    "sync.WaitGroup.Wait (durable)"};
	bool durable_name = false;
	for (size_t i = 0; i < sizeof(durable_names) / sizeof(durable_names[0]); i++)
		if (strlen(durable_names[i]) == sn && !memcmp(s, durable_names[i], sn))
			durable_name = true;
	if (!durable_name)
		strip_suffix(s, &sn, " (durable)");
	strip_suffix(s, &sn, " (scan)");
	if (strip_suffix(s, &sn, " (leaked)"))
		p->g.leaked = true;
	strip_suffix(s, &sn, " (scan)");
	/* "[chan send (leaked)]": status _Gleaked with its wait reason, as a
	 * live capture reads it (goroutineheader, traceback.go at go1.27.3) */
	const char *status = NULL;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strlen(statuses[i]) == sn && !memcmp(s, statuses[i], sn))
			status = statuses[i];
	if (status) {
		p->g.status = strpool_intern(sp, status);
	} else {
		p->g.status = strpool_intern(sp, p->g.leaked ? "leaked" : "waiting");
		p->g.wait_reason = strpool_intern_n(sp, s, sn);
	}
	if (status && !strcmp(status, "leaked"))
		p->g.leaked = true;
	while (comma) {
		const char *part = comma + 2;
		size_t left = (size_t)(rb - part);
		comma = memmem(part, left, ", ", 2);
		size_t pn = comma ? (size_t)(comma - part) : left;
		size_t used;
		uint64_t v;
		if (pn == 16 && !memcmp(part, "locked to thread", 16))
			p->g.locked = true;
		else if (parse_u64(part, pn, &used, &v, 10) && pn == used + 8 && !memcmp(part + used, " minutes", 8) && v < INT64_MAX)
			p->g.wait_minutes = (int64_t)v;
	}
}

static size_t seen_slot(const struct seen *tab, size_t cap, int64_t id)
{
	size_t j = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
	while (tab[j].id && tab[j].id != id)
		j = (j + 1) & (cap - 1);
	return j;
}

/* The index of goroutine id if the traceback printed it already. */
static bool seen_id(const struct parser *p, int64_t id, size_t *idx)
{
	if (!p->capseen)
		return false;
	const struct seen *e = &p->seen[seen_slot(p->seen, p->capseen, id)];
	*idx = e->idx;
	return e->id == id;
}

static void seen_add(struct parser *p, int64_t id, size_t idx)
{
	if ((p->nseen + 1) * 2 > p->capseen) {
		size_t ncap = p->capseen ? p->capseen * 2 : 1024;
		struct seen *nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < p->capseen; i++)
			if (p->seen[i].id)
				nt[seen_slot(nt, ncap, p->seen[i].id)] = p->seen[i];
		free(p->seen);
		p->seen = nt;
		p->capseen = ncap;
	}
	size_t j = seen_slot(p->seen, p->capseen, id);
	if (!p->seen[j].id) {
		p->seen[j] = (struct seen){id, idx};
		p->nseen++;
	}
}

/* The record being read says what goroutine first said. */
static bool same_record(const struct parser *p, const struct snap_goroutine *first)
{
	const struct snap_goroutine *g = &p->g;
	if (first->nframes != p->b.ncur || first->status != g->status || first->wait_reason != g->wait_reason ||
	    first->wait_minutes != g->wait_minutes || first->locked != g->locked || first->created_function != g->created_function ||
	    first->created_file != g->created_file || first->created_line != g->created_line ||
	    first->created_goroutine != g->created_goroutine ||
	    /* an elided stack's error is its first record's */
	    (!p->incomplete && (!first->error != !g->error || (first->error && strcmp(first->error, g->error)))))
		return false;
	for (size_t i = 0; i < first->nframes; i++) {
		const struct frame *a = &first->frames[i], *b = &p->b.cur[i];
		if (a->function != b->function || a->file != b->file || a->line != b->line || a->pc != b->pc ||
		    a->offset != b->offset || a->inlined != b->inlined || a->wrapper != b->wrapper)
			return false;
	}
	return true;
}

/* Ends the record being read; complete says whether it ended where a
 * record may end (not in the middle of a frame). */
static void end_record(struct parser *p, bool complete)
{
	if (p->rec == REC_GOROUTINE) {
		/* Go prints no goroutine without frames but one whose stack
		 * is unavailable (which says so) */
		bool cut = !complete || p->have_fn || (!p->nframes && !p->g.error);
		/* Printed again: Go's crash output (GOTRACEBACK=crash) first
		 * prints a goroutine running on another thread as "stack
		 * unavailable", then that thread's signal handler prints it with
		 * its stack (tracebackothers in runtime/traceback.go, sighandler
		 * in runtime/signal_unix.go, Go 1.19 and 1.27), or the same
		 * record again: the record with the stack is kept.  A goroutine
		 * printed twice with two different stacks keeps the first, with
		 * a warning. */
		size_t first = 0;
		bool again = !cut && seen_id(p, p->g.id, &first);
		bool replace = again && !p->b.snap->goroutines[first].nframes && p->nframes;
		if (again && !replace) {
			if (!same_record(p, &p->b.snap->goroutines[first]) && !p->differ++)
				p->differ_id = p->g.id;
			free(p->g.error);
			p->b.ncur = 0;
		} else if (cut) {
			free(p->g.error);
			p->truncated++;
			p->truncated_id = p->g.id;
			p->b.ncur = 0;
		} else {
			struct snap_goroutine *g = dump_add_goroutine(&p->b);
			struct frame *frames = g->frames;
			size_t nframes = g->nframes;
			bool shared = g->frames_shared;
			*g = p->g;
			g->frames = frames;
			g->nframes = nframes;
			g->frames_shared = shared;
			g->wait_site = g->blocking_call = -1;
			/* Go 1.20 and older stop a traceback after 100 frames,
			 * the runtime frames it hides counted, and say so only
			 * when it printed 100 (traceback1 compares what
			 * gentraceback printed with _TracebackMaxFrames,
			 * runtime/traceback.go of Go 1.19; Go 1.21 and later
			 * print an elision line whenever they skip frames).
			 * Such a traceback names no creator's goroutine: a
			 * stack of nearly 100 frames there may be cut. */
			if (!p->incomplete && !p->rec_hidden && p->g.created_function && p->g.created_goroutine <= 0 && nframes >= 90 &&
			    nframes < 100) {
				p->incomplete = true;
				p->elided = xasprintf("Go's traceback printed %zu frames and may have left out outer ones: "
						      "Go 1.20 and older stop at 100 frames, hidden runtime frames counted, without saying so",
						      nframes);
			}
			if (p->incomplete) {
				free(g->error);
				g->error = p->elided ? p->elided : xstrdup("Go's traceback left frames out");
			} else
				free(p->elided);
			p->elided = NULL;
			/* A goroutine started in the runtime (GC workers and
			 * the like): shown only by GOTRACEBACK=system. */
			size_t last = nframes;
			while (last > 0 && frames[last - 1].function &&
			       (!strcmp(frames[last - 1].function, "runtime.goexit") || frames[last - 1].wrapper))
				last--;
			if (last && frames[last - 1].function && !strncmp(frames[last - 1].function, "runtime.", 8) &&
			    strcmp(frames[last - 1].function, "runtime.main") != 0 &&
			    strcmp(frames[last - 1].function, "runtime.handleAsyncEvent") != 0)
				g->system = true;
			if (replace) {
				struct snap_goroutine *f = &p->b.snap->goroutines[first];
				free(f->error);
				*f = *g; /* the last one: its frames move with it */
				p->b.snap->ngoroutines--;
			} else {
				seen_add(p, g->id, (size_t)(g - p->b.snap->goroutines));
			}
		}
	}
	free(p->elided);
	p->elided = NULL;
	p->rec = REC_NONE;
	p->have_fn = p->creator = p->incomplete = false;
	p->rec_hidden = p->rec_shown = false;
	p->nframes = 0;
	p->b.ncur = 0;
	memset(&p->g, 0, sizeof(p->g));
}

/* Lines Go prints between goroutine records of a crash: they keep the
 * traceback going, and end the record (or system stack) before them. */
static bool crash_line(const struct line *l)
{
	if (starts(l, "-----") || starts(l, "PC=0x") || starts(l, "runtime stack:") || starts(l, "[originating from goroutine ") ||
	    starts(l, "[signal ") || starts(l, "fatal error: ") || starts(l, "panic: "))
		return true;
	/* "SIGQUIT: quit", "SIGSEGV: segmentation violation" */
	if (l->n > 4 && starts(l, "SIG")) {
		size_t i = 3;
		while (i < l->n && l->s[i] >= 'A' && l->s[i] <= 'Z')
			i++;
		if (i + 1 < l->n && l->s[i] == ':' && l->s[i + 1] == ' ')
			return true;
	}
	/* register dumps: "rax    0x0", "r10    0x8", "rflags 0x246", "cs     0x33" */
	size_t i = 0;
	while (i < l->n && i < 8 && ((l->s[i] >= 'a' && l->s[i] <= 'z') || (l->s[i] >= '0' && l->s[i] <= '9')))
		i++;
	if (i >= 2 && i < l->n && l->s[i] == ' ') {
		while (i < l->n && l->s[i] == ' ')
			i++;
		if (l->n - i >= 3 && l->s[i] == '0' && l->s[i + 1] == 'x')
			return true;
	}
	return false;
}

/* "NAME(ARGS)": the name, or 0 when l is no function line. */
static size_t function_name(const struct line *l)
{
	if (!l->n || l->s[l->n - 1] != ')' || l->s[0] == ' ' || l->s[0] == '\t')
		return 0;
	/* the arguments hold no parentheses; the name may ("(*T).m") */
	size_t i = l->n - 1;
	while (i > 0 && l->s[i - 1] != '(' && l->s[i - 1] != ')')
		i--;
	if (!i || l->s[i - 1] != '(' || i - 1 == 0)
		return 0;
	return i - 1;
}

/* "\tFILE:LINE[ +0xOFF][ fp=0x.. sp=0x.. pc=0x..]" into f. */
static bool parse_location(struct parser *p, const struct line *l, struct frame *f)
{
	const char *s = l->s + 1, *end = l->s + l->n;
	const char *stop = memmem(s, (size_t)(end - s), " +0x", 4);
	const char *fp = memmem(s, (size_t)(end - s), " fp=0x", 6);
	if (!stop || (fp && fp < stop))
		stop = fp;
	if (!stop)
		stop = end;
	const char *colon = NULL;
	for (const char *c = stop; c > s; c--)
		if (c[-1] == ':') {
			colon = c - 1;
			break;
		}
	if (!colon)
		return false;
	size_t used;
	uint64_t v;
	if (!parse_u64(colon + 1, (size_t)(stop - colon - 1), &used, &v, 10) || colon + 1 + used != stop || v > INT_MAX)
		return false;
	f->file = strpool_intern_n(p->b.snap->strings, s, (size_t)(colon - s));
	f->line = (int)v;
	f->inlined = true; /* Go prints no offset for inlined calls */
	if (stop + 4 <= end && !memcmp(stop, " +0x", 4) && parse_u64(stop + 4, (size_t)(end - stop - 4), &used, &v, 16)) {
		f->offset = v;
		f->inlined = false;
	}
	const char *pc = memmem(stop, (size_t)(end - stop), " pc=0x", 6);
	if (pc && parse_u64(pc + 6, (size_t)(end - pc - 6), &used, &v, 16))
		f->pc = v;
	return true;
}

static void start_block(struct parser *p, size_t no)
{
	if (p->in_block)
		return;
	if (p->nblocks) {
		/* a later traceback replaces the earlier one */
		dump_reset(&p->b);
		if (p->capseen)
			memset(p->seen, 0, p->capseen * sizeof(*p->seen));
		p->nseen = 0;
		p->differ = 0;
		p->truncated = 0;
		p->runtime_frames = false;
	} else {
		p->first_start = no;
	}
	p->in_block = true;
	p->nblocks++;
	p->block_start = no;
}

static void on_line(struct parser *p, const struct line *l)
{
	int64_t id = header_id(l);
	if (id >= 0) {
		if (p->rec != REC_NONE)
			end_record(p, !p->have_fn);
		start_block(p, l->no);
		p->block_end = l->no;
		if (id == 0) {
			p->rec = REC_SKIP; /* a thread's system stack */
			return;
		}
		p->rec = REC_GOROUTINE;
		parse_header(p, l, id);
		return;
	}
	if (!p->in_block)
		return;
	if (!l->n) {
		if (p->rec != REC_NONE)
			end_record(p, !p->have_fn);
		return;
	}
	if (crash_line(l)) {
		if (p->rec != REC_NONE)
			end_record(p, !p->have_fn);
		p->block_end = l->no;
		if (starts(l, "runtime stack:") || starts(l, "[originating from goroutine "))
			p->rec = REC_SKIP;
		return;
	}
	if (p->rec == REC_SKIP) {
		p->block_end = l->no;
		return; /* frames of a stack that is no goroutine's */
	}
	if (p->rec == REC_NONE) {
		/* something else between records: the traceback has ended */
		p->in_block = false;
		return;
	}
	if (l->s[0] == '\t') {
		if (!p->have_fn && !p->nframes && starts(l, "\tgoroutine running on other thread")) {
			p->g.error = xstrdup("Go could not print its stack: it was running on another thread");
			p->block_end = l->no;
			return;
		}
		if (!p->have_fn) {
			end_record(p, false);
			p->in_block = false;
			return;
		}
		struct frame f = p->fn;
		if (!parse_location(p, l, &f)) {
			end_record(p, false);
			p->in_block = false;
			return;
		}
		p->have_fn = false;
		p->block_end = l->no;
		if (p->creator) {
			p->g.created_file = f.file;
			p->g.created_line = f.line;
			p->creator = false;
			return;
		}
		if (p->nframes < MAX_FRAMES) {
			dump_push_frame(&p->b, &f);
			p->nframes++;
		} else if (!p->incomplete) {
			p->incomplete = true;
			p->elided = xasprintf("pileup keeps the innermost %d frames of a goroutine", MAX_FRAMES);
		}
		return;
	}
	if (p->have_fn) {
		end_record(p, false); /* a function line without its location */
		p->in_block = false;
		return;
	}
	p->block_end = l->no;
	if (starts(l, "created by ")) {
		const char *s = l->s + 11, *end = l->s + l->n;
		const char *in = memmem(s, (size_t)(end - s), " in goroutine ", 14);
		size_t used;
		uint64_t v;
		if (in && parse_u64(in + 14, (size_t)(end - in - 14), &used, &v, 10) && in + 14 + used == end && v <= INT64_MAX)
			p->g.created_goroutine = (int64_t)v;
		else
			in = end;
		p->g.created_function = strpool_intern_n(p->b.snap->strings, s, (size_t)(in - s));
		p->creator = p->have_fn = true;
		memset(&p->fn, 0, sizeof(p->fn));
		return;
	}
	if (starts(l, "...additional frames elided...")) {
		p->incomplete = true;
		free(p->elided);
		p->elided = xstrdup("Go's traceback printed only the innermost 100 frames");
		return;
	}
	if (starts(l, "...") && l->n > 17 && !memcmp(l->s + l->n - 17, " frames elided...", 17)) {
		p->incomplete = true;
		free(p->elided);
		p->elided = xasprintf("Go's traceback left out %.*s frames in the middle", (int)(l->n - 20), l->s + 3);
		return;
	}
	size_t nl = function_name(l);
	if (!nl) {
		end_record(p, !p->have_fn);
		p->in_block = false;
		return;
	}
	memset(&p->fn, 0, sizeof(p->fn));
	/* Go prints runtime.gopanic as "panic" */
	if (nl == 5 && !memcmp(l->s, "panic", 5))
		p->fn.function = p->n_gopanic;
	else
		p->fn.function = strpool_intern_n(p->b.snap->strings, l->s, nl);
	/* (a goroutine not started yet shows runtime.goexit even so) */
	if (!strncmp(p->fn.function, "runtime.", 8) && !(p->fn.function[8] >= 'A' && p->fn.function[8] <= 'Z') &&
	    strcmp(p->fn.function, "runtime.goexit") != 0)
		p->rec_hidden = true;
	else
		p->rec_shown = true;
	if (p->rec_hidden && p->rec_shown)
		p->runtime_frames = true;
	p->have_fn = true;
}

struct pu_error *input_gotrace_parse(const char *from, const char *buf, size_t len, struct snapshot **ret)
{
	*ret = NULL;
	struct parser p;
	memset(&p, 0, sizeof(p));
	p.from = from;
	dump_begin(&p.b, from, "Go traceback", SNAP_LACKS_GO_RUNTIME | SNAP_LACKS_GO_DEEP);
	p.n_gopanic = strpool_intern(p.b.snap->strings, "runtime.gopanic");
	const char *s = buf, *end = buf + len;
	size_t no = 0;
	bool cut = false;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl) {
			cut = true; /* the last line did not end: cut off */
			break;
		}
		struct line l = {s, (size_t)(nl - s), ++no};
		if (l.n && l.s[l.n - 1] == '\r')
			l.n--;
		on_line(&p, &l);
		s = nl + 1;
	}
	if (p.rec != REC_NONE)
		end_record(&p, !cut && !p.have_fn);
	free(p.seen);
	free(p.elided);
	if (!p.nblocks) {
		dump_abandon(&p.b);
		return pu_error_new(PU_EXIT_USAGE, "%s holds no Go traceback (no line \"goroutine N [...]:\"); give a goroutine dump, e.g. from /debug/pprof/goroutine?debug=2", from);
	}
	struct snapshot *snap = p.b.snap;
	if (p.runtime_frames)
		snap->lacks &= ~(unsigned)SNAP_LACKS_GO_RUNTIME;
	if (p.nblocks > 1)
		snapshot_warn(snap, "%s holds %zu Go tracebacks: this report is of the last one (lines %zu-%zu); cut the file to read another", from,
			      p.nblocks, p.block_start, p.block_end);
	if (p.differ)
		snapshot_warn(snap, "%s prints %zu goroutine%s twice with different stacks (goroutine %" PRId64 "%s): the first record of each is kept", from,
			      p.differ, p.differ == 1 ? "" : "s", p.differ_id, p.differ > 1 ? " and others" : "");
	if (p.truncated)
		snapshot_warn(snap, "%s: the traceback is cut off: %zu goroutine%s left out (the last, goroutine %" PRId64 ", ends mid-stack)", from,
			      p.truncated, p.truncated == 1 ? "" : "s", p.truncated_id);
	if (!snap->ngoroutines && !p.truncated) {
		dump_abandon(&p.b);
		return pu_error_new(PU_EXIT_USAGE, "%s: the Go traceback lists no goroutine", from);
	}
	*ret = dump_finish(&p.b);
	return NULL;
}
