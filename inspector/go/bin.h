/* go/bin.h - what a Go executable says about itself, read from its file.
 *
 * Opens the executable of a snapshot and finds its Go build information
 * (.go.buildinfo: toolchain version, main package and module path), its
 * pclntab (.gopclntab, or found by its magic if section headers are gone),
 * symbols from .symtab when present, and whether it has DWARF.  Read-only
 * bytes (pclntab, inline trees, strings) are read from the file by
 * link-time address, so stripped binaries work and a core need not hold
 * them.  Runtime address = link-time address + bias (non-zero for PIE). */
#ifndef PILEUP_GOLANG_BIN_H
#define PILEUP_GOLANG_BIN_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

enum { GOBIN_MAX_LOADS = 16 };

struct gobin_load {
	uint64_t vaddr, offset, filesz, memsz;
	bool write, exec;
};

struct gobin {
	int fd;
	Elf *elf;
	const unsigned char *raw; /* the whole file */
	size_t rawlen;
	char *path;             /* the path opened */
	char *name;             /* the path as the target names it, for messages */
	uint64_t bias;
	bool bias_known;
	char *version;          /* "go1.19.8" */
	char *main_path;        /* main package path ("command-line-arguments") */
	char *module;           /* main module path, or NULL (GOPATH builds) */
	uint64_t pclntab_addr;  /* link-time */
	size_t pclntab_len;
	uint64_t text, etext;   /* link-time range of .text */
	uint64_t noptrdata, enoptrdata; /* .noptrdata, or the first writable segment */
	struct gobin_load loads[GOBIN_MAX_LOADS];
	size_t nloads;
	Elf_Scn *symtab;        /* .symtab or NULL */
	bool has_dwarf;
};

/* Opens the snapshot's executable.  Returns NULL and sets *why when it is
 * not a Go program or cannot be read (*why NULL: simply not Go). */
struct gobin *gobin_open(const struct snapshot *snap, char **why);
void gobin_close(struct gobin *b);

/* The section of elf named name (its header in *shdr, if shdr), or NULL. */
Elf_Scn *gobin_find_section(Elf *elf, const char *name, GElf_Shdr *shdr);
/* Link-time address (and size, if size) of a .symtab symbol, 0 if none. */
uint64_t gobin_symbol(const struct gobin *b, const char *name, uint64_t *size);

/* Pointer into the file for len bytes at link-time vaddr, or NULL when
 * they are not all backed by the file. */
const unsigned char *gobin_file_ptr(const struct gobin *b, uint64_t vaddr, size_t len);

/* Reads len bytes at link-time vaddr: from target memory for writable
 * segments (they change), else from the file; returns bytes read. */
size_t gobin_read(const struct gobin *b, const struct snapshot *snap, uint64_t vaddr, void *buf, size_t len);

/* Whether a link-time address lies in a segment of the executable. */
bool gobin_in_data(const struct gobin *b, uint64_t vaddr);

#endif
