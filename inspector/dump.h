/* dump.h - the snapshot that a Go service's own output makes.
 *
 * Go tracebacks (input_gotrace.c) and pprof goroutine profiles
 * (input_pprof.c) are dumps: goroutines with frames already symbolized,
 * no threads, no memory (snapshot source SNAP_DUMP).  This is what both
 * readers share: the snapshot, the goroutines pushed frame by frame,
 * identical stacks sharing one frame array (a 100,000-goroutine dump has a
 * few hundred distinct stacks), and at the end the library flags (from
 * the GOROOT the frames' files show) and each goroutine's wait site, as
 * go/golang.c sets them for a live process. */
#ifndef PILEUP_DUMP_H
#define PILEUP_DUMP_H

#include "snapshot.h"

struct dump_builder {
	struct snapshot *snap;
	struct frame *cur; /* the frames of the goroutine being read */
	size_t ncur, capcur;
	struct dump_stack {
		unsigned long long hash;
		struct frame *frames;
		size_t n;
	} *stacks; /* open addressing, by hash of the frames */
	size_t nstacks, capstacks;
	size_t cap_goroutines;
	char *goroot_src; /* "<GOROOT>/src/" as the frames' files show it */
	char *build_id;   /* the executable's, where the dump names it */
};

/* A SNAP_DUMP snapshot of the data read from `from` (a path or URL). */
void dump_begin(struct dump_builder *b, const char *from, const char *format, unsigned lacks);
/* Appends a frame (strings already interned in b->snap->strings). */
void dump_push_frame(struct dump_builder *b, const struct frame *f);
/* Ends the current stack: a new goroutine gets it (a shared copy when an
 * identical one exists); its other fields are the caller's to fill. */
struct snap_goroutine *dump_add_goroutine(struct dump_builder *b);
/* Adds n more goroutines with the same stack as g (a profile's count). */
void dump_repeat_goroutine(struct dump_builder *b, size_t g, size_t n);
/* Forgets every goroutine read so far (a later traceback in the same
 * file replaces an earlier one). */
void dump_reset(struct dump_builder *b);
/* Library flags, wait sites, goroutines sorted by id; returns the snapshot. */
struct snapshot *dump_finish(struct dump_builder *b);
/* Frees what dump_begin made, the snapshot included (on errors). */
void dump_abandon(struct dump_builder *b);
/* Names the executable's build-id (a merge of snapshots that had one). */
void dump_set_build_id(struct snapshot *snap, const char *build_id);
/* For report.build_id: the build-id a dump gave for its executable. */
const char *dump_build_id(const struct snapshot *snap, const char *module);

/* A goroutine's pprof labels (pprof.Do, SetGoroutineLabels), as profiles
 * carry them: collected pair by pair, then one interned string, the same
 * for the same set, "k=v, k2=v2" by key (each key and value with '\\',
 * ',' and '=' escaped by '\\', control bytes as \\xNN), so that it is
 * the text report's form and one pointer comparison in grouping. */
struct dump_labels {
	struct dump_label {
		char *k, *v;
	} *p;
	size_t n, cap;
};
void dump_labels_add(struct dump_labels *l, const char *k, size_t kn, const char *v, size_t vn);
/* The set's string (NULL for none); the set is emptied. */
const char *dump_labels_intern(struct strpool *sp, struct dump_labels *l);
void dump_labels_free(struct dump_labels *l);
/* The next pair of such a string, unescaped into k and v (cut at their
 * size); false at its end. */
bool dump_labels_next(const char **s, char *k, size_t ks, char *v, size_t vs);

#endif
