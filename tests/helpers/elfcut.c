/* elfcut: a copy of an ELF executable that tools cannot read by section
 * names, for tests of "Go not recognized" (tests/t_go_real.sh).
 *
 *   elfcut [--wipe-buildinfo] IN OUT
 *
 * OUT is IN with its section headers removed: e_shoff, e_shnum and
 * e_shstrndx zeroed and the section header table cut off, together with
 * whatever else lies past the last byte a program header maps (.shstrtab,
 * the only other thing there in a stripped Go binary), as sstrip does.
 * The program still runs: the kernel and ld.so read program headers only.
 * --wipe-buildinfo first zeroes the contents of .go.buildinfo (Go's build
 * information blob, magic "\xff Go buildinf:"), so the Go version is left
 * only in the runtime's own data (runtime.buildVersion).
 * Exit status: 0, 1 on an unreadable or unsuitable IN, 2 on bad usage. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *elfcut_in;

static int elfcut_fail(const char *why)
{
	fprintf(stderr, "elfcut: %s: %s\n", elfcut_in, why);
	return 1;
}

/* elfcut_wipe_buildinfo: zeroes .go.buildinfo in the image; 0 or -1. */
static int elfcut_wipe_buildinfo(unsigned char *img, size_t size, const Elf64_Ehdr *eh)
{
	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shoff > size || (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return -1;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	const Elf64_Shdr *names = &sh[eh->e_shstrndx];
	if (names->sh_offset > size || names->sh_size > size - names->sh_offset)
		return -1;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= names->sh_size || sh[i].sh_type != SHT_PROGBITS)
			continue;
		const char *name = (const char *)img + names->sh_offset + sh[i].sh_name;
		if (strnlen(name, names->sh_size - sh[i].sh_name) == names->sh_size - sh[i].sh_name ||
		    strcmp(name, ".go.buildinfo") != 0)
			continue;
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset)
			return -1;
		memset(img + sh[i].sh_offset, 0, sh[i].sh_size);
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int wipe = argc == 4 && strcmp(argv[1], "--wipe-buildinfo") == 0;
	if (argc != 3 + wipe) {
		fprintf(stderr, "usage: elfcut [--wipe-buildinfo] IN OUT\n");
		return 2;
	}
	elfcut_in = argv[1 + wipe];
	const char *out = argv[2 + wipe];

	int fd = open(elfcut_in, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return elfcut_fail(strerror(errno));
	size_t size = (size_t)st.st_size;
	unsigned char *img = malloc(size ? size : 1);
	if (!img)
		return elfcut_fail("out of memory");
	for (size_t got = 0; got < size;) {
		ssize_t n = read(fd, img + got, size - got);
		if (n <= 0)
			return elfcut_fail(n < 0 ? strerror(errno) : "file shrank while read");
		got += (size_t)n;
	}
	close(fd);

	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return elfcut_fail("not a 64-bit ELF file");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return elfcut_fail("program headers outside the file");
	if (wipe && elfcut_wipe_buildinfo(img, size, eh) != 0)
		return elfcut_fail("no readable .go.buildinfo section to wipe");

	/* The new end: the last byte any segment maps (the header and the
	 * program headers themselves included). */
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	uint64_t end = eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset)
			return elfcut_fail("a segment lies outside the file");
		if (ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
	}
	/* A section header table inside the mapped bytes (never seen from
	 * Go's linker) is zeroed instead of cut. */
	if (eh->e_shoff && eh->e_shoff < end) {
		uint64_t n = (uint64_t)eh->e_shnum * eh->e_shentsize;
		if (eh->e_shoff + n > size)
			return elfcut_fail("section header table outside the file");
		memset(img + eh->e_shoff, 0, n);
	}
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = 0;

	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (o < 0) {
		fprintf(stderr, "elfcut: %s: %s\n", out, strerror(errno));
		return 1;
	}
	for (size_t put = 0; put < end;) {
		ssize_t n = write(o, img + put, end - put);
		if (n <= 0) {
			fprintf(stderr, "elfcut: %s: %s\n", out, strerror(errno));
			return 1;
		}
		put += (size_t)n;
	}
	if (close(o) != 0) {
		fprintf(stderr, "elfcut: %s: %s\n", out, strerror(errno));
		return 1;
	}
	free(img);
	return 0;
}
