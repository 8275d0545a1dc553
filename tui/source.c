#include "source.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE_MAX ((size_t)32 << 20)

/* The bytes of the regular file open on fd (closed here), or NULL with
 * *why set. */
static char *read_fd(int fd, const char *path, size_t *len, char **why)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = xasprintf("%s is not a regular file", path);
		return NULL;
	}
	if ((size_t)st.st_size > SOURCE_MAX) {
		close(fd);
		*why = xasprintf("%s is larger than %zu MiB", path, SOURCE_MAX >> 20);
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = xasprintf("cannot read %s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return NULL;
		}
		if (r == 0 || (n += (size_t)r) == cap - 1)
			break;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* The file's bytes, or NULL with *why set. */
static char *read_regular(const char *path, size_t *len, char **why)
{
	struct stat st;
	/* Look before opening: opening a device can have effects. */
	if (stat(path, &st) != 0) {
		*why = xasprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = xasprintf("%s is not a regular file", path);
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		*why = xasprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	return read_fd(fd, path, len, why);
}

/* Opens rel below the directory dfd, never outside it: no "..", no
 * symbolic link or absolute path that leads out (Linux 5.6's openat2;
 * before it, the file found is checked to be below the directory). */
static int open_beneath(int dfd, const char *dir, const char *rel)
{
	struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	fd = openat(dfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char self[64], *base = realpath(dir, NULL), got[PATH_MAX];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(self, got, sizeof(got) - 1);
	size_t bl = base ? strlen(base) : 0;
	bool inside = base && n > 0 && (got[n] = 0, (size_t)n > bl && !strncmp(got, base, bl) && got[bl] == '/');
	free(base);
	if (!inside) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* file looked up under dir: dir + file as named, then with its leading
 * components dropped one by one (sources checked out elsewhere than
 * where they were built).  NULL with *why set when none is there. */
static char *read_under(const char *dir, const char *file, size_t *len, char **shown, char **why)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*why = xasprintf("cannot open --source-dir %s: %s", dir, strerror(errno));
		return NULL;
	}
	/* The components, without empty ones and "."; ".." is never followed. */
	char *copy = xstrdup(file), *save = NULL, **comp = NULL;
	size_t n = 0, cap = 0;
	bool climbs = false;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, ".."))
			climbs = true;
		xgrow(&comp, &cap, n + 1, sizeof(*comp));
		comp[n++] = c;
	}
	char *buf = NULL;
	for (size_t i = 0; i < n && !buf && !climbs; i++) {
		size_t need = 1;
		for (size_t k = i; k < n; k++)
			need += strlen(comp[k]) + 1;
		char *rel = xmalloc(need), *p = rel;
		for (size_t k = i; k < n; k++)
			p += sprintf(p, "%s%s", k > i ? "/" : "", comp[k]);
		int fd = open_beneath(dfd, dir, rel);
		if (fd >= 0) {
			char *path = xasprintf("%s/%s", dir, rel);
			char *w = NULL;
			buf = read_fd(fd, path, len, &w);
			if (buf) {
				*shown = path;
			} else {
				free(path);
				free(*why);
				*why = w;
			}
		}
		free(rel);
	}
	if (!buf && !*why)
		*why = climbs ? xasprintf("the path %s climbs with '..', which --source-dir never follows", file)
			      : xasprintf("no file of that name is under --source-dir %s", dir);
	free(comp);
	free(copy);
	close(dfd);
	return buf;
}

static void split(struct source_text *src, const char *buf, size_t len)
{
	size_t cap = 0;
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && buf[end] != '\n')
			end++;
		size_t w = 0;
		for (size_t k = i; k < end; k++)
			w += buf[k] == '\t' ? 8 : 1;
		char *line = xmalloc(w + 1), *p = line;
		size_t col = 0;
		for (size_t k = i; k < end; k++) {
			if (buf[k] == '\t') {
				do
					*p++ = ' ';
				while (++col % 8);
			} else if (buf[k] == '\r' && k + 1 == end) {
				/* CRLF */
			} else {
				*p++ = buf[k];
				col++;
			}
		}
		*p = 0;
		xgrow(&src->lines, &cap, src->nlines + 1, sizeof(*src->lines));
		src->lines[src->nlines++] = line;
		i = end + 1;
	}
}

/* A live capture and a local core were symbolized here, from the local
 * program's debug info: the paths they name are its.  Anything else came
 * from elsewhere. */
static bool local_debug_info(const struct snapshot *snap)
{
	return snap->source == SNAP_LIVE || snap->source == SNAP_CORE;
}

static void found(struct source_text *src, char *buf, size_t len, char *shown)
{
	if (shown) {
		free(src->path);
		src->path = shown;
	}
	split(src, buf, len);
	free(buf);
}

struct source_text *source_load(const struct snapshot *snap, const struct frame *f, const char *build_id, struct source_ctx *ctx)
{
	struct source_text *src = xcalloc(1, sizeof(*src));
	const char *file = f ? f->file : NULL;
	if (!file) {
		src->error = xstrdup("no source file is known for this frame (it has no line information)");
		return src;
	}
	src->path = xstrdup(file);
	const char *dir = ctx && ctx->source_dir ? ctx->source_dir : NULL;
	char *buf = NULL, *why = NULL, *shown = NULL;
	size_t len = 0;
	if (local_debug_info(snap)) {
		if (file[0] == '/' && snap->source == SNAP_LIVE && snap->root) {
			char *rooted = xasprintf("%s%s", snap->root, file);
			buf = read_regular(rooted, &len, &why);
			free(rooted);
			free(why);
			why = NULL;
		}
		if (!buf && file[0] == '/')
			buf = read_regular(file, &len, &why);
		else if (!buf)
			why = xasprintf("the source path %s is relative, and the directory it was built in is not known", file);
		if (!buf && dir) {
			free(why);
			why = NULL;
			buf = read_under(dir, file, &len, &shown, &why);
		}
		if (buf) {
			free(why);
			found(src, buf, len, shown);
		} else {
			src->error = dir ? why : xasprintf("%s; give --source-dir DIR if the sources are elsewhere", why);
			if (!dir)
				free(why);
		}
		return src;
	}
	/* From elsewhere: only what the local debug info vouches for, or
	 * what is under --source-dir. */
	char trust[512] = "";
	if (file[0] == '/') {
		if (ctx && !ctx->debug)
			ctx->debug = debugsrc_create();
		struct debugsrc *d = ctx ? ctx->debug : debugsrc_create();
		if (debugsrc_names(d, f->module, build_id, file, trust, sizeof(trust)))
			buf = read_regular(file, &len, &why);
		if (!ctx)
			debugsrc_destroy(d);
	} else {
		snprintf(trust, sizeof(trust), "its path is relative");
	}
	if (!buf && dir) {
		free(why);
		why = NULL;
		buf = read_under(dir, file, &len, &shown, &why);
	}
	if (buf) {
		free(why);
		found(src, buf, len, shown);
		return src;
	}
	const char *from = snap->source == SNAP_SAVED ? "a saved report" : "a snapshot made elsewhere";
	if (why && !trust[0])
		src->error = xasprintf("%s%s", why, dir ? "" : "; give --source-dir DIR if the sources are elsewhere");
	else if (dir)
		src->error = xasprintf("this frame comes from %s and %s, so only --source-dir serves it, and %s", from, trust, why ? why : "it is not there");
	else
		src->error = xasprintf("this frame comes from %s, and %s: give --source-dir DIR to show the sources under DIR", from, trust);
	free(why);
	return src;
}

void source_free(struct source_text *src)
{
	if (!src)
		return;
	for (size_t i = 0; i < src->nlines; i++)
		free(src->lines[i]);
	free(src->lines);
	free(src->path);
	free(src->error);
	free(src);
}
