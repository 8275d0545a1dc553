#include "source.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE_MAX ((size_t)32 << 20)

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

struct source_text *source_load(const struct snapshot *snap, const char *file)
{
	struct source_text *src = xcalloc(1, sizeof(*src));
	if (!file) {
		src->error = xstrdup("no source file is known for this frame (it has no line information)");
		return src;
	}
	src->path = xstrdup(file);
	if (file[0] != '/') {
		src->error = xasprintf("the source path %s is relative, and the directory it was built in is not known", file);
		return src;
	}
	char *buf = NULL, *why = NULL;
	size_t len = 0;
	if (snap->source == SNAP_LIVE && snap->root) {
		char *rooted = xasprintf("%s%s", snap->root, file);
		buf = read_regular(rooted, &len, &why);
		free(rooted);
		if (!buf) {
			free(why);
			why = NULL;
		}
	}
	if (!buf)
		buf = read_regular(file, &len, &why);
	if (!buf) {
		src->error = why;
		return src;
	}
	split(src, buf, len);
	free(buf);
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
