/* go/bin.h - what a Go executable says about itself, read from its file.
 *
 * Opens the executable of a snapshot and recognizes Go by content, never
 * by section names alone (linkers and post-processing tools rename or drop
 * them): its pclntab (by section, else by the header's magic in the
 * read-only segments: every format since Go 1.2), runtime.firstmoduledata
 * (.go.module, the symbol, else the data word that points to the pclntab,
 * checked against the slices after it), the toolchain version (the build
 * info blob, by section or by its magic; else the runtime.buildVersion
 * string), the text range the pclntab's offsets are relative to
 * (moduledata.text: Go 1.26 writes 0 in the pclntab header), symbols from
 * .symtab when present, and whether it has DWARF.  Read-only bytes
 * (pclntab, inline trees, strings) are read from the file by link-time
 * address, so stripped binaries work and a core need not hold them.
 * Runtime address = link-time address + bias (non-zero for PIE). */
#ifndef PILEUP_GOLANG_BIN_H
#define PILEUP_GOLANG_BIN_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

enum { GOBIN_MAX_LOADS = 16, GOBIN_MD_WORDS = 48 };

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
	char *version;          /* "go1.19.8", or NULL when the binary does not say */
	const char *version_from; /* "build info", "runtime.buildVersion" */
	char *main_path;        /* main package path ("command-line-arguments") */
	char *module;           /* main module path, or NULL (GOPATH builds) */
	uint64_t pclntab_addr;  /* link-time */
	size_t pclntab_len;
	uint32_t pclntab_magic; /* 0xfffffffb (Go 1.2-1.15) ... 0xfffffff1 (1.20+) */
	/* runtime.firstmoduledata: link-time address (0: not found) and its
	 * first words as the file holds them (link-time values, PIE too) */
	uint64_t moduledata;
	uint64_t md_words[GOBIN_MD_WORDS];
	uint64_t text, etext;   /* link-time range of the Go text (moduledata.text, else .text) */
	uint64_t gofunc;        /* link-time go:func.* (funcdata base of go1.18+ pclntabs), 0 unknown */
	uint64_t noptrdata, enoptrdata; /* .noptrdata, or the first writable segment */
	struct gobin_load loads[GOBIN_MAX_LOADS];
	size_t nloads;
	Elf_Scn *symtab;        /* .symtab or NULL */
	bool has_dwarf;
};

/* Whether elf is a Go executable (a pclntab by section or by content). */
bool gobin_elf_is_go(Elf *elf);
bool gobin_path_is_go(const char *path);

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
