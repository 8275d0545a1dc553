/* mkseed.c - shrinks an x86_64 ELF core into a small fuzzing seed.
 *
 * usage: mkseed CORE SEED [READS]
 *
 * Keeps the ELF and program headers and every note, and of memory only
 * what readers look at first: a few pages at each thread's stack pointer,
 * the ELF header page of every mapped file (for build-ids) and small
 * written data (the dynamic section and link map).  Other memory stays
 * described by its PT_LOAD but absent (p_filesz 0), as in a core written
 * with a strict coredump_filter.  With READS (lines "R ADDR LEN", hex: the
 * reads pileup made of the core, traced with gdb on snapshot_read), the
 * pages read are kept instead, each run of them its own PT_LOAD: a Go
 * core's goroutines, channels and semaphore table, scattered over its
 * heap, in a seed small enough to fuzz. */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STACK_KEEP = 8192, DATA_KEEP = 16384, PAGE = 4096 };

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The pages of the reads listed in path, sorted. */
static uint64_t *read_pages(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1024;
	uint64_t *pg = malloc(cap * sizeof(*pg)), a, l;
	*n = 0;
	while (fscanf(f, " R %lx %lx", &a, &l) == 2) {
		if (l > (1u << 20))
			l = 1u << 20;
		for (uint64_t p = a / PAGE; p <= (a + (l ? l : 1) - 1) / PAGE; p++) {
			if (*n == cap)
				pg = realloc(pg, (cap *= 2) * sizeof(*pg));
			pg[(*n)++] = p;
		}
	}
	fclose(f);
	qsort(pg, *n, sizeof(*pg), cmp_u64);
	return pg;
}

static bool page_read(const uint64_t *pg, size_t n, uint64_t page)
{
	return n && bsearch(&page, pg, n, sizeof(*pg), cmp_u64);
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: mkseed CORE SEED [READS]\n");
		return 2;
	}
	size_t npages = 0;
	uint64_t *pages = NULL;
	if (argc == 4 && !(pages = read_pages(argv[3], &npages))) {
		fprintf(stderr, "mkseed: cannot read %s\n", argv[3]);
		return 1;
	}
	size_t len;
	unsigned char *in = slurp(argv[1], &len);
	if (!in || len < sizeof(Elf64_Ehdr) || memcmp(in, ELFMAG, SELFMAG) != 0) {
		fprintf(stderr, "mkseed: %s is not an ELF file\n", argv[1]);
		return 1;
	}
	Elf64_Ehdr eh;
	memcpy(&eh, in, sizeof(eh));
	if (eh.e_type != ET_CORE || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len) {
		fprintf(stderr, "mkseed: %s is not a core this tool can shrink\n", argv[1]);
		return 1;
	}
	Elf64_Phdr *ph = calloc(eh.e_phnum, sizeof(*ph));
	memcpy(ph, in + eh.e_phoff, eh.e_phnum * sizeof(*ph));

	/* Stack pointers, from every NT_PRSTATUS. */
	uint64_t sps[4096];
	size_t nsp = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_offset + ph[i].p_filesz > len)
			continue;
		const unsigned char *p = in + ph[i].p_offset;
		size_t off = 0, n = ph[i].p_filesz;
		while (off + 12 <= n) {
			uint32_t nh[3];
			memcpy(nh, p + off, 12);
			size_t desc = off + 12 + ((nh[0] + 3u) & ~3u);
			if (desc + nh[1] > n)
				break;
			if (nh[2] == NT_PRSTATUS && nh[1] >= 112 + 20 * 8 && nsp < 4096)
				memcpy(&sps[nsp++], p + desc + 112 + 19 * 8, 8);
			off = desc + ((nh[1] + 3u) & ~3u);
		}
	}

	/* New program headers: each PT_LOAD split into absent, kept, absent
	 * (with READS: into runs of kept and absent pages). */
	size_t capout = (size_t)eh.e_phnum * 3;
	Elf64_Phdr *out = calloc(capout, sizeof(*out));
	size_t nout = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr p = ph[i];
		if (p.p_type != PT_LOAD) {
			out[nout++] = p;
			continue;
		}
		uint64_t avail = p.p_offset < len ? (p.p_filesz < len - p.p_offset ? p.p_filesz : len - p.p_offset) : 0;
		if (pages) {
			for (uint64_t at = 0; at < p.p_memsz;) {
				bool keep = at < avail && page_read(pages, npages, (p.p_vaddr + at) / PAGE);
				uint64_t end = at;
				while (end < p.p_memsz && (end < avail && page_read(pages, npages, (p.p_vaddr + end) / PAGE)) == keep)
					end += PAGE;
				if (end > p.p_memsz)
					end = p.p_memsz;
				if (nout + 1 >= capout)
					out = realloc(out, (capout *= 2) * sizeof(*out));
				Elf64_Phdr x = p;
				x.p_vaddr = p.p_vaddr + at;
				x.p_memsz = end - at;
				x.p_offset = keep ? p.p_offset + at : 0;
				x.p_filesz = keep ? (end < avail ? end : avail) - at : 0;
				out[nout++] = x;
				at = end;
			}
			continue;
		}
		uint64_t a = 0, b = 0; /* kept: [vaddr + a, vaddr + b) */
		for (size_t k = 0; k < nsp; k++)
			if (sps[k] >= p.p_vaddr && sps[k] < p.p_vaddr + avail) {
				uint64_t lo = (sps[k] - p.p_vaddr) & ~(uint64_t)(PAGE - 1);
				uint64_t hi = lo + STACK_KEEP < avail ? lo + STACK_KEEP : avail;
				if (b == 0 || lo < a)
					a = lo;
				if (hi > b)
					b = hi;
			}
		if (b == 0 && avail >= 4 && memcmp(in + p.p_offset, ELFMAG, SELFMAG) == 0)
			b = avail < PAGE ? avail : PAGE;
		else if (b == 0 && (p.p_flags & PF_W) && avail <= DATA_KEEP)
			b = avail;
		if (b - a > 256 * 1024)
			b = a + 256 * 1024;
		if (a) {
			Elf64_Phdr x = p;
			x.p_memsz = a;
			x.p_filesz = 0;
			out[nout++] = x;
		}
		Elf64_Phdr k = p;
		k.p_vaddr = p.p_vaddr + a;
		k.p_offset = p.p_offset + a; /* source, for now */
		k.p_filesz = b - a;
		k.p_memsz = (b > a ? b : a) - a;
		if (b < p.p_memsz && b == a)
			k.p_memsz = 0;
		if (k.p_memsz)
			out[nout++] = k;
		uint64_t rest = b > a ? b : a;
		if (rest < p.p_memsz) {
			Elf64_Phdr x = p;
			x.p_vaddr = p.p_vaddr + rest;
			x.p_memsz = p.p_memsz - rest;
			x.p_filesz = 0;
			x.p_offset = 0;
			out[nout++] = x;
		}
	}

	/* Lay the data out again after the headers. */
	uint64_t off = sizeof(Elf64_Ehdr) + nout * sizeof(Elf64_Phdr);
	unsigned char *data = malloc(len + 1);
	uint64_t dlen = 0;
	for (size_t i = 0; i < nout; i++) {
		uint64_t src = out[i].p_offset, n = out[i].p_filesz;
		if (out[i].p_type == PT_LOAD && n == 0) {
			out[i].p_offset = off + dlen;
			continue;
		}
		if (src > len || n > len - src)
			n = src < len ? len - src : 0;
		memcpy(data + dlen, in + src, n);
		out[i].p_offset = off + dlen;
		out[i].p_filesz = n;
		dlen += n;
	}
	eh.e_phnum = (uint16_t)nout;
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	FILE *f = fopen(argv[2], "wb");
	if (!f || fwrite(&eh, sizeof(eh), 1, f) != 1 || fwrite(out, sizeof(*out), nout, f) != nout ||
	    (dlen && fwrite(data, 1, dlen, f) != dlen) || fclose(f) != 0) {
		fprintf(stderr, "mkseed: cannot write %s\n", argv[2]);
		return 1;
	}
	free(in);
	free(ph);
	free(out);
	free(data);
	return 0;
}
