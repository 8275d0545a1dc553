#include "target.h"
#include "core.h"
#include "coredumpctl.h"
#include "decompress.h"
#include "input_gotrace.h"
#include "input_http.h"
#include "input_pprof.h"
#include "proc.h"
#include "snapshot_json.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t target_capturing;

struct pu_error *target_parse_pid(const char *s, pid_t *ret)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v <= 0 || v > INT_MAX)
		return pu_error_new(PU_EXIT_USAGE, "'%s' is not a process ID: give a positive number, e.g. from 'pidof NAME' (see --help)", s);
	*ret = (pid_t)v;
	return NULL;
}

/* --- files: cores (plain or compressed) and saved reports ----------------- */

static bool is_json(const unsigned char *h, size_t n)
{
	size_t i = 0;
	while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r'))
		i++;
	return i < n && h[i] == '{';
}

static bool is_elf_core(const char *path)
{
	unsigned char h[18];
	int fd = file_open_regular(path);
	if (fd < 0)
		return false;
	ssize_t n = pread(fd, h, sizeof(h), 0);
	close(fd);
	return n == (ssize_t)sizeof(h) && memcmp(h, ELFMAG, SELFMAG) == 0 && h[EI_DATA] == ELFDATA2LSB && (h[16] | h[17] << 8) == ET_CORE;
}

/* A saved report, possibly decompressed into fd. */
static struct pu_error *open_report(const struct target_opts *o, const char *name, int fd, bool decompressed, const char *damage,
				    struct snapshot **ret)
{
	if (o->exe || o->sysroot) {
		close(fd);
		return pu_error_new(PU_EXIT_USAGE, "%s is a saved pileup report: %s only applies to cores", name, o->exe ? "an executable" : "--sysroot");
	}
	/* Read from the descriptor that was checked, never opened again by
	 * name (it could be something else by now: a FIFO). */
	(void)decompressed;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size > (off_t)1 << 31) {
		close(fd);
		return pu_error_new(PU_EXIT_USAGE, "%s: larger than 2 GiB; is it a pileup report?", name);
	}
	size_t len = (size_t)st.st_size, got = 0;
	char *buf = xmalloc(len + 1);
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	struct pu_error *err = snapshot_json_parse(name, buf, got, ret);
	free(buf);
	if (!err && damage)
		snapshot_warn(*ret, "%s: %s", name, damage);
	return err;
}

/* Go tracebacks and pprof profiles are read whole, in memory: a service's
 * goroutine dump is tens of MB (Go itself stops runtime.Stack at 64 MB). */
#define DUMP_MAX ((size_t)1 << 30)

/* A Go traceback or pprof goroutine profile in fd, recognized by content.
 * *found is false (and nothing is returned) when fd holds neither. */
static struct pu_error *open_dump(int fd, const char *name, const char *damage, bool *found, struct snapshot **ret)
{
	*found = false;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0)
		return NULL;
	size_t len = (size_t)st.st_size, map = len > DUMP_MAX ? (size_t)1 << 20 : len;
	const char *buf = mmap(NULL, map, PROT_READ, MAP_PRIVATE, fd, 0);
	if (buf == MAP_FAILED)
		return NULL;
	enum { NONE, PROTO, TEXT, TRACE } kind = NONE;
	if (input_pprof_is_proto((const unsigned char *)buf, map))
		kind = PROTO;
	else if (input_pprof_is_text(buf, map))
		kind = TEXT;
	else if (input_gotrace_detect(buf, map))
		kind = TRACE;
	struct pu_error *err = NULL;
	if (kind != NONE) {
		*found = true;
		if (len > DUMP_MAX)
			err = pu_error_new(PU_EXIT_USAGE, "%s is %.1f GiB: pileup reads Go tracebacks and profiles up to %zu MiB; cut the traceback out of it (e.g. with grep -n 'goroutine 1 ' and tail -n +LINE)",
					   name, (double)len / (1 << 30), DUMP_MAX >> 20);
		else if (kind == PROTO)
			err = input_pprof_parse_proto(name, (const unsigned char *)buf, len, ret);
		else if (kind == TEXT)
			err = input_pprof_parse_text(name, buf, len, ret);
		else
			err = input_gotrace_parse(name, buf, len, ret);
		if (!err && damage)
			snapshot_warn(*ret, "%s: %s", name, damage);
	}
	munmap((void *)buf, map);
	return err;
}

/* Reads fd (named name): decompressed if need be, then a report or a core. */
static struct pu_error *open_fd(const struct target_opts *o, const char *name, int fd, int64_t mtime, struct snapshot **ret)
{
	unsigned char head[64];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		struct pu_error *err = pu_error_new(PU_EXIT_USAGE, "cannot read %s: %s", name, strerror(errno));
		close(fd);
		return err;
	}
	enum compress_kind k = decompress_detect(head, (size_t)n);
	char *damage = NULL;
	if (k != COMPRESS_NONE) {
		int plain;
		struct pu_error *err = decompress_to_tmpfile(fd, k, name, &plain, &damage);
		close(fd);
		if (err)
			return err;
		fd = plain;
		n = pread(fd, head, sizeof(head), 0);
		if (n < 0)
			n = 0;
	}
	struct pu_error *err;
	bool dump = false;
	if (is_json(head, (size_t)n)) {
		err = open_report(o, name, fd, k != COMPRESS_NONE, damage, ret);
	} else if (!(n >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0) && ((err = open_dump(fd, name, damage, &dump, ret)) || dump)) {
		close(fd);
		if (!err && (o->exe || o->sysroot)) {
			snapshot_destroy(*ret);
			*ret = NULL;
			err = pu_error_new(PU_EXIT_USAGE, "%s is a Go goroutine dump: %s only applies to cores", name, o->exe ? "an executable" : "--sysroot");
		}
	} else {
		struct core_opts co = {o->exe, o->sysroot, damage, mtime};
		err = core_open_fd(fd, name, &co, ret);
	}
	free(damage);
	return err;
}

static struct pu_error *open_file(const struct target_opts *o, struct snapshot **ret)
{
	/* gdb's order, EXE CORE, is a common habit: accept it. */
	if (o->exe && !is_elf_core(o->file) && is_elf_core(o->exe)) {
		struct target_opts swapped = *o;
		swapped.file = o->exe;
		swapped.exe = o->file;
		return open_file(&swapped, ret);
	}
	/* O_NONBLOCK: opening a FIFO nobody writes to would block for good
	 * (a device could do worse); only a regular file is read. */
	int fd = open(o->file, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return pu_error_new(PU_EXIT_USAGE, "cannot open %s: %s; %s", o->file, strerror(e),
				    pu_remedy(e, e == ENOENT ? "check the path" : "check its permissions"));
	}
	struct stat st = {0};
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		const char *what = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory" : S_ISSOCK(st.st_mode) ? "a socket"
				   : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "not a regular file";
		return pu_error_new(PU_EXIT_USAGE, "%s is %s; give a regular file (a core, a saved report, a Go traceback or profile: save a stream to a file first) or a process ID",
				    o->file, what);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return open_fd(o, o->file, fd, (int64_t)st.st_mtime, ret);
}

struct pu_error *target_open(const struct target_opts *o, struct snapshot **ret)
{
	*ret = NULL;
	if (o->pid) {
		pid_t pid;
		struct pu_error *err = target_parse_pid(o->pid, &pid);
		if (err)
			return err;
		target_capturing = 1;
		err = capture_live(pid, &o->capture, ret);
		target_capturing = 0;
		return err;
	}
	if (o->coredump) {
		int fd;
		char *name;
		struct pu_error *err = coredumpctl_fetch(o->coredump, &fd, &name);
		if (err)
			return err;
		err = open_fd(o, name, fd, 0, ret);
		free(name);
		return err;
	}
	if (o->url) {
		int fd;
		struct pu_error *err = input_http_fetch(o->url, &o->http, &fd);
		if (err)
			return err;
		char *url = input_http_url(o->url);
		err = open_fd(o, url, fd, 0, ret);
		free(url);
		return err;
	}
	if (o->file)
		return open_file(o, ret);
	return pu_error_new(PU_EXIT_USAGE, "no target: give a process ID, a core file or a saved report (see --help)");
}
