/* glibc.h - where glibc keeps a lock's state, for the glibc a target uses.
 *
 * waits.c reads a futex waiter's lock in the target's memory: a
 * pthread_mutex_t's lock word, owner and kind, an rwlock's current
 * writer, a condition variable's and a semaphore's counters.  The offsets
 * come from the DWARF of that very glibc when its debug file is installed
 * (libc6-dbg), else from the table of its release (glibc_tables.c, one
 * table per release, each saying how it was checked); a release in
 * neither is refused by name, and then no owner is guessed.  A module's
 * layout is kept in the cache directory by its build-id, so the next run
 * of any program opens no debug file for it.
 *
 * PILEUP_GLIBC_LAYOUT=table or =dwarf takes only that source (tests; a
 * suspected table); PILEUP_WAITS_DEBUG=1 says on stderr where the layout
 * came from and whether the table row agrees with the DWARF. */
#ifndef PILEUP_GLIBC_H
#define PILEUP_GLIBC_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum glibc_struct { GL_MUTEX, GL_RWLOCK, GL_COND, GL_SEM, GL__STRUCTS };

enum glibc_field {
	GF_MUTEX_LOCK, GF_MUTEX_COUNT, GF_MUTEX_OWNER, GF_MUTEX_NUSERS, GF_MUTEX_KIND,
	GF_RW_READERS, GF_RW_WRITERS, GF_RW_WRPHASE_FUTEX, GF_RW_WRITERS_FUTEX, GF_RW_PAD3, GF_RW_PAD4,
	GF_RW_CUR_WRITER, GF_RW_SHARED, GF_RW_FLAGS,
	GF_COND_WSEQ, GF_COND_G1_START, GF_COND_G_REFS, GF_COND_G_SIZE, GF_COND_G1_ORIG_SIZE,
	GF_COND_WREFS, GF_COND_G_SIGNALS,
	GF_SEM_DATA, GF_SEM_PRIVATE,
	GF__COUNT
};

/* What the DWARF reader looks for and the tables give: each field's
 * struct, member name and size in bytes (arrays whole). */
struct glibc_field_name {
	enum glibc_struct in;
	const char *member;
	uint16_t size;
};
extern const char *const glibc_struct_names[GL__STRUCTS];
extern const struct glibc_field_name glibc_fields[GF__COUNT];

/* One release's facts (glibc_tables.c). */
struct glibc_release {
	const char *version;    /* "2.36", as libc's banner says it */
	const char *checked;    /* how these numbers were checked */
	uint16_t size[GL__STRUCTS];
	uint16_t off[GF__COUNT];
};
extern const struct glibc_release *const glibc_releases[];
extern const size_t glibc_nreleases;

struct glibc_layout {
	char version[16];       /* "2.36" */
	const char *source;     /* "dwarf" or "table" */
	uint16_t size[GL__STRUCTS];
	uint16_t off[GF__COUNT];
};

/* The layout for the glibc in mod (libc.so.6, or a program linked with
 * it statically): false, with why (one line naming the release and the
 * remedy) in why, when there is none to trust. */
bool glibc_layout(Dwfl_Module *mod, struct glibc_layout *ret, char *why, size_t why_size);

#endif
