/* go/pcln.h - Go's own symbol table: pc -> function, frame size,
 * file, line and inlined calls, from .gopclntab.
 *
 * The pclntab survives stripping (-ldflags=-s -w): it is what the Go
 * runtime itself uses for tracebacks.  Formats: Go 1.18/1.19 (magic
 * 0xfffffff0) and Go 1.20 and later (0xfffffff1).  All addresses here are
 * link-time addresses. */
#ifndef PILEUP_GOLANG_PCLN_H
#define PILEUP_GOLANG_PCLN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "go/bin.h"

enum {
	GO_FUNCFLAG_TOPFRAME = 1, /* outermost frame of a stack (goexit, mstart, rt0_go) */
	GO_FUNCFLAG_SPWRITE = 2,  /* writes SP: unwinding cannot continue past it */
	GO_FUNCFLAG_ASM = 4,
	GO_PCDATA_INLTREE = 2,
	GO_FUNCDATA_INLTREE = 3,
};

struct gopcln {
	const struct gobin *bin;
	const unsigned char *data; /* the pclntab */
	size_t len;
	int format;                /* 118: go1.18-1.19, 120: go1.20+ */
	unsigned quantum;
	uint64_t nfunc, text_start;
	const unsigned char *funcnametab, *cutab, *filetab, *pctab, *functab;
	size_t funcnametab_len, cutab_len, filetab_len, pctab_len, functab_len;
	size_t func_size;          /* sizeof(_func) */
	uint64_t gofunc;           /* link-time address of go:func.* (inline trees), 0 unknown */
};

struct gofunc {
	uint64_t entry;
	const unsigned char *raw;
	int32_t nameoff;
	uint32_t pcsp, pcfile, pcln, npcdata, cuoff;
	uint8_t funcid, flag, nfuncdata;
};

/* One inlined call: the inlined function, and where its caller resumes. */
struct goinl {
	int32_t nameoff;
	uint8_t funcid;
	int32_t parent_pc; /* offset from the entry of an instruction at the call site */
	int16_t parent;    /* go1.18-1.19 only: index of the parent, < 0 none */
};

/* Parses the pclntab of b; returns false and an error message if it is
 * not a format pileup reads. */
bool gopcln_init(struct gopcln *t, const struct gobin *b, char **why);
bool gopcln_find(const struct gopcln *t, uint64_t pc, struct gofunc *f);
/* Function by exact name (linear: for a handful of runtime functions). */
bool gopcln_lookup(const struct gopcln *t, const char *name, struct gofunc *f);
/* Function end (the next function's entry). */
uint64_t gopcln_func_end(const struct gopcln *t, const struct gofunc *f);
const char *gopcln_name(const struct gopcln *t, int32_t nameoff);
/* Value of a pc-value table at targetpc; false if there is none. */
bool gopcln_value(const struct gopcln *t, const struct gofunc *f, uint32_t off, uint64_t targetpc, int32_t *val);
bool gopcln_pcdata(const struct gopcln *t, const struct gofunc *f, uint32_t table, uint64_t targetpc, int32_t *val);
const char *gopcln_file(const struct gopcln *t, const struct gofunc *f, int32_t fileno);
bool gopcln_line(const struct gopcln *t, const struct gofunc *f, uint64_t targetpc, const char **file, int *line);
/* Inline tree entry ix of f (needs t->gofunc). */
bool gopcln_inl(const struct gopcln *t, const struct gofunc *f, int32_t ix, struct goinl *out);

#endif
