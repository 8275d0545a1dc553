#include "debugcache.h"
#include "error.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

enum { MAX_COPY = 1 << 30, MAX_BUILD_ID = 64, MAX_COPIES = 32, DAY = 24 * 3600 };

char *debugcache_dir(void)
{
	const char *env = getenv("PILEUP_CACHE_DIR");
	char *dir;
	if (env) {
		if (!*env)
			return NULL;
		dir = xstrdup(env);
	} else if ((env = getenv("XDG_CACHE_HOME")) && *env == '/') {
		dir = xasprintf("%s/pileup", env);
	} else if ((env = getenv("HOME")) && *env == '/') {
		dir = xasprintf("%s/.cache/pileup", env);
	} else {
		return NULL;
	}
	/* mkdir -p, private */
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		int r = mkdir(dir, 0700);
		*p = c;
		if (r != 0 && errno != EEXIST) {
			free(dir);
			return NULL;
		}
		if (!c)
			break;
	}
	return dir;
}

/* The build-id note of elf, hex into out; false if none. */
static bool build_id_hex(Elf *elf, char out[2 * MAX_BUILD_ID + 1])
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || (sh.sh_flags & SHF_COMPRESSED))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;
		while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || memcmp((char *)d->d_buf + name_off, "GNU", 4) != 0 ||
			    !nh.n_descsz || nh.n_descsz > MAX_BUILD_ID)
				continue;
			const unsigned char *b = (const unsigned char *)d->d_buf + desc_off;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(out + 2 * i, 3, "%02x", b[i]);
			return true;
		}
	}
	return false;
}

static bool has_compressed(Elf *elf, uint64_t *inflated)
{
	Elf_Scn *scn = NULL;
	bool any = false;
	*inflated = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return false;
		if (sh.sh_flags & SHF_COMPRESSED) {
			GElf_Chdr ch;
			if (!gelf_getchdr(scn, &ch))
				return false;
			any = true;
			*inflated += ch.ch_size;
		}
	}
	return any;
}

#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2 /* the gABI's number; glibc 2.36's elf.h predates it */
#endif

/* One compressed section to inflate (ELF's Chdr, then a zlib or zstd
 * stream, per the gABI). */
struct job {
	const unsigned char *in;
	size_t inlen;
	unsigned type;
	unsigned char *out;
	size_t outlen;
	bool ok;
};

struct jobs {
	struct job *j;
	size_t n, next;
	pthread_mutex_t lock;
};

static void inflate_one(struct job *j)
{
	j->out = malloc(j->outlen ? j->outlen : 1);
	if (!j->out)
		return;
	if (j->type == ELFCOMPRESS_ZSTD) {
		size_t got = ZSTD_decompress(j->out, j->outlen, j->in, j->inlen);
		j->ok = !ZSTD_isError(got) && got == j->outlen;
		return;
	}
	if (j->type != ELFCOMPRESS_ZLIB || j->inlen < 2)
		return;
	/* The stream's 2-byte header skipped, inflated raw: zlib's adler32
	 * of 20 MB costs more than the file system's checks it repeats. */
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return;
	z.next_in = (unsigned char *)j->in + 2;
	z.avail_in = (uInt)(j->inlen - 2);
	z.next_out = j->out;
	z.avail_out = (uInt)j->outlen;
	int r = inflate(&z, Z_FINISH);
	j->ok = (r == Z_STREAM_END || r == Z_BUF_ERROR) && z.total_out == j->outlen;
	inflateEnd(&z);
}

static void *inflate_worker(void *arg)
{
	struct jobs *js = arg;
	for (;;) {
		pthread_mutex_lock(&js->lock);
		size_t i = js->next < js->n ? js->next++ : js->n;
		pthread_mutex_unlock(&js->lock);
		if (i == js->n)
			return NULL;
		inflate_one(&js->j[i]);
	}
}

static int by_size_desc(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a, *y = *(struct job *const *)b;
	return x->outlen < y->outlen ? 1 : x->outlen > y->outlen ? -1 : 0;
}

/* Location lists and macros: libdw reads them only for variables' values
 * and macro definitions, which pileup never asks for; the copy leaves
 * them out (SHT_NOBITS), so neither this run nor a later one inflates
 * them. */
static bool unused_section(const char *name)
{
	static const char *const names[] = {".debug_loclists", ".debug_loc", ".debug_macro", ".debug_macinfo",
					    ".debug_pubnames", ".debug_pubtypes", ".debug_gnu_pubnames", ".debug_gnu_pubtypes"};
	for (size_t i = 0; name && i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Writes elf with its compressed sections inflated to out: allocated
 * sections (and every uncompressed one) keep their offsets, the inflated
 * ones go after the end of the file, then the section headers.  The
 * sections are inflated on two threads (libc's debug file holds 14 MB
 * of DWARF: most of a first run's time). */
static bool write_inflated(Elf *src, int out)
{
	GElf_Ehdr eh;
	size_t phnum, shstrndx, nscn;
	if (!gelf_getehdr(src, &eh) || elf_getphdrnum(src, &phnum) != 0 || elf_getshdrstrndx(src, &shstrndx) != 0 ||
	    shstrndx >= SHN_LORESERVE || elf_getshdrnum(src, &nscn) != 0)
		return false;
	/* Inflate first, the sections in any order, the largest first. */
	struct job *jobs = calloc(nscn ? nscn : 1, sizeof(*jobs));
	struct job **order = calloc(nscn ? nscn : 1, sizeof(*order));
	if (!jobs || !order) {
		free(jobs);
		free(order);
		return false;
	}
	size_t njobs = 0;
	bool ok = true;
	Elf_Scn *scn = NULL;
	while (ok && (scn = elf_nextscn(src, scn))) {
		GElf_Shdr sh;
		size_t i = elf_ndxscn(scn);
		ok = gelf_getshdr(scn, &sh) != NULL && i < nscn;
		if (!ok || !(sh.sh_flags & SHF_COMPRESSED) || unused_section(elf_strptr(src, shstrndx, sh.sh_name)))
			continue;
		GElf_Chdr ch;
		Elf_Data *raw = elf_rawdata(scn, NULL);
		size_t hdr = gelf_getclass(src) == ELFCLASS32 ? sizeof(Elf32_Chdr) : sizeof(Elf64_Chdr);
		ok = raw && raw->d_size >= hdr && gelf_getchdr(scn, &ch);
		if (!ok)
			break;
		jobs[i] = (struct job){(const unsigned char *)raw->d_buf + hdr, raw->d_size - hdr, ch.ch_type, NULL, ch.ch_size, false};
		order[njobs++] = &jobs[i];
	}
	if (ok && njobs) {
		qsort(order, njobs, sizeof(*order), by_size_desc);
		struct job *sorted = calloc(njobs, sizeof(*sorted));
		ok = sorted != NULL;
		if (ok) {
			for (size_t i = 0; i < njobs; i++)
				sorted[i] = *order[i];
			struct jobs js = {sorted, njobs, 0, PTHREAD_MUTEX_INITIALIZER};
			pthread_t helper;
			bool two = njobs > 1 && pthread_create(&helper, NULL, inflate_worker, &js) == 0;
			inflate_worker(&js);
			if (two)
				pthread_join(helper, NULL);
			/* back to section order */
			for (size_t i = 0; i < njobs; i++) {
				*order[i] = sorted[i];
				ok = ok && sorted[i].ok;
			}
			free(sorted);
		}
	}
	Elf *dst = ok ? elf_begin(out, ELF_C_WRITE, NULL) : NULL;
	ok = dst && gelf_newehdr(dst, gelf_getclass(src)) != 0 && elf_flagelf(dst, ELF_C_SET, ELF_F_LAYOUT);
	if (ok && phnum) {
		ok = gelf_newphdr(dst, phnum) != 0;
		for (size_t i = 0; ok && i < phnum; i++) {
			GElf_Phdr ph;
			ok = gelf_getphdr(src, (int)i, &ph) && gelf_update_phdr(dst, (int)i, &ph);
		}
	}
	/* the end of everything that stays where it is */
	uint64_t end = eh.e_ehsize + (uint64_t)phnum * eh.e_phentsize;
	if (phnum && eh.e_phoff + (uint64_t)phnum * eh.e_phentsize > end)
		end = eh.e_phoff + (uint64_t)phnum * eh.e_phentsize;
	scn = NULL;
	while (ok && (scn = elf_nextscn(src, scn))) {
		GElf_Shdr sh;
		ok = gelf_getshdr(scn, &sh) != NULL;
		if (ok && !(sh.sh_flags & SHF_COMPRESSED) && sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > end)
			end = sh.sh_offset + sh.sh_size;
	}
	scn = NULL;
	while (ok && (scn = elf_nextscn(src, scn))) {
		GElf_Shdr sh;
		Elf_Scn *ds = elf_newscn(dst);
		ok = ds && gelf_getshdr(scn, &sh);
		if (!ok)
			break;
		struct job *j = &jobs[elf_ndxscn(scn)];
		bool drop = (sh.sh_flags & SHF_COMPRESSED) && !j->out;
		if (drop) {
			/* unused_section: no bytes in the copy */
			sh.sh_type = SHT_NOBITS;
			sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
			sh.sh_size = 0;
			sh.sh_offset = end;
		} else if (sh.sh_type != SHT_NOBITS) {
			Elf_Data *dd = elf_newdata(ds);
			ok = dd != NULL;
			if (!ok)
				break;
			if (j->out) {
				GElf_Chdr ch;
				ok = gelf_getchdr(scn, &ch) != NULL;
				dd->d_buf = j->out;
				dd->d_size = j->outlen;
				dd->d_type = ELF_T_BYTE;
				dd->d_off = 0;
				dd->d_align = ch.ch_addralign ? ch.ch_addralign : 1;
				dd->d_version = EV_CURRENT;
				uint64_t align = dd->d_align;
				sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
				sh.sh_size = j->outlen;
				sh.sh_addralign = align;
				sh.sh_offset = (end + align - 1) / align * align;
				end = sh.sh_offset + sh.sh_size;
			} else {
				Elf_Data *sd = elf_rawdata(scn, NULL);
				ok = sd != NULL;
				if (ok)
					*dd = *sd;
			}
		}
		ok = ok && gelf_update_shdr(ds, &sh) != 0;
	}
	if (ok) {
		eh.e_shoff = (end + 7) / 8 * 8;
		ok = gelf_update_ehdr(dst, &eh) != 0 && elf_update(dst, ELF_C_WRITE) >= 0;
	}
	if (dst)
		elf_end(dst);
	for (size_t i = 0; i < nscn; i++)
		free(jobs[i].out);
	free(jobs);
	free(order);
	return ok;
}

void debugcache_touch(int fd)
{
	struct stat sb;
	if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_mtime < time(NULL) - DAY)
		futimens(fd, NULL);
}

struct cache_file {
	char *name;
	time_t mtime;
};

static int by_mtime_desc(const void *a, const void *b)
{
	const struct cache_file *x = a, *y = b;
	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : strcmp(x->name, y->name);
}

void debugcache_prune(const char *dir, const char *prefix, const char *part, const char *keep, size_t max_files)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	time_t now = time(NULL);
	struct cache_file *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat sb;
		if (strncmp(e->d_name, prefix, strlen(prefix)) || !strstr(e->d_name, part) || (keep && !strcmp(e->d_name, keep)) ||
		    fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
			continue;
		size_t len = strlen(e->d_name);
		bool tmp = len > 4 && !strcmp(e->d_name + len - 4, ".tmp");
		if (sb.st_mtime < now - (tmp ? 1 : CACHE_UNUSED_DAYS) * DAY) {
			unlinkat(dfd, e->d_name, 0);
			continue;
		}
		if (tmp)
			continue; /* another run is writing it */
		xgrow(&files, &cap, n + 1, sizeof(*files));
		files[n++] = (struct cache_file){xstrdup(e->d_name), sb.st_mtime};
	}
	size_t room = keep && max_files ? max_files - 1 : max_files; /* keep counts */
	if (n > room) {
		qsort(files, n, sizeof(*files), by_mtime_desc);
		for (size_t i = room; i < n; i++)
			unlinkat(dfd, files[i].name, 0);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i].name);
	free(files);
	closedir(d);
}

/* Opens path if it is an ELF file whose build-id is bid. */
static int open_copy(const char *path, const char *bid)
{
	int fd = file_open_regular(path);
	if (fd < 0)
		return -1;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	char got[2 * MAX_BUILD_ID + 1];
	bool ok = elf && elf_kind(elf) == ELF_K_ELF && build_id_hex(elf, got) && !strcmp(got, bid);
	elf_end(elf);
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

int debugcache_inflated(int fd, char **ret_path)
{
	*ret_path = NULL;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	elf_version(EV_CURRENT);
	Elf *src = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	char bid[2 * MAX_BUILD_ID + 1];
	uint64_t inflated;
	if (!src || elf_kind(src) != ELF_K_ELF || !build_id_hex(src, bid) || !has_compressed(src, &inflated) ||
	    (uint64_t)st.st_size + inflated > MAX_COPY) {
		elf_end(src);
		return -1;
	}
	char *dir = debugcache_dir();
	if (!dir) {
		elf_end(src);
		return -1;
	}
	/* a program and its separate debug file share a build-id: the
	 * original's size tells them apart */
	char *path = xasprintf("%s/%s-%llx.inflated", dir, bid, (unsigned long long)st.st_size);
	int copy = open_copy(path, bid);
	if (copy >= 0) {
		debugcache_touch(copy);
	} else {
		char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
		int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		bool ok = out >= 0 && write_inflated(src, out);
		if (out >= 0 && close(out) != 0)
			ok = false;
		if (ok && rename(tmp, path) == 0)
			copy = open_copy(path, bid);
		else if (out >= 0)
			unlink(tmp);
		free(tmp);
		/* A new copy (a new library, or pileup's first run): the
		 * copies of libraries no longer in use go. */
		debugcache_prune(dir, "", ".inflated", strrchr(path, '/') + 1, MAX_COPIES);
	}
	elf_end(src);
	free(dir);
	if (copy < 0) {
		free(path);
		return -1;
	}
	*ret_path = path;
	return copy;
}
