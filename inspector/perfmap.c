#include "perfmap.h"
#include "error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct entry {
	uint64_t start, end;
	uint32_t name; /* offset into names */
	uint32_t order; /* line number: later wins */
};

struct perfmap {
	struct entry *e;
	size_t n;
	char *names;
};

static bool hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	uint64_t v = 0;
	int digits = 0;
	for (; s < end; s++, digits++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (d < 0)
			break;
		if (digits == 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*p = s;
	*out = v;
	return digits > 0;
}

static int by_start(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct perfmap *perfmap_parse(const char *buf, size_t len)
{
	struct perfmap *m = xcalloc(1, sizeof(*m));
	size_t cap = 0, namelen = 0, namecap = 0;
	const char *p = buf, *end = buf + len;
	uint32_t line = 0;
	while (p < end && len < (size_t)UINT32_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *q = p;
		uint64_t start, size;
		line++;
		if (hex(&q, le, &start) && q < le && *q == ' ' && (q++, hex(&q, le, &size)) && q < le && *q == ' ' && size &&
		    start + size > start) {
			q++;
			size_t nlen = (size_t)(le - q);
			if (nlen && q[nlen - 1] == '\r')
				nlen--;
			xgrow(&m->e, &cap, m->n + 1, sizeof(*m->e));
			xgrow(&m->names, &namecap, namelen + nlen + 1, 1);
			memcpy(m->names + namelen, q, nlen);
			m->names[namelen + nlen] = 0;
			/* a NUL inside the name ends it */
			m->e[m->n++] = (struct entry){start, start + size, (uint32_t)namelen, line};
			namelen += nlen + 1;
		}
		p = nl ? nl + 1 : end;
	}
	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), by_start);
	return m;
}

struct perfmap *perfmap_open(pid_t pid, const char *root)
{
	char *path = xasprintf("%s/tmp/perf-%d.map", root ? root : "", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	free(path);
	if (fd < 0)
		return NULL;
	struct stat sb, owner;
	char *proc = xasprintf("/proc/%d", (int)pid);
	bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && sb.st_size <= PERFMAP_MAX_BYTES &&
		  stat(proc, &owner) == 0 && (sb.st_uid == 0 || sb.st_uid == owner.st_uid);
	free(proc);
	char *buf = NULL;
	size_t got = 0;
	if (ok) {
		buf = xmalloc((size_t)sb.st_size);
		while (got < (size_t)sb.st_size) {
			ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
	}
	close(fd);
	struct perfmap *m = ok ? perfmap_parse(buf, got) : NULL;
	free(buf);
	if (m && !m->n) {
		perfmap_destroy(m);
		m = NULL;
	}
	return m;
}

void perfmap_destroy(struct perfmap *m)
{
	if (!m)
		return;
	free(m->e);
	free(m->names);
	free(m);
}

size_t perfmap_count(const struct perfmap *m)
{
	return m ? m->n : 0;
}

bool perfmap_lookup(const struct perfmap *m, uint64_t pc, const char **name, uint64_t *start)
{
	if (!m || !m->n)
		return false;
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->e[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* The latest line whose range holds pc, among those starting at or
	 * below it (code can overlap older, replaced code). */
	const struct entry *best = NULL;
	for (size_t i = lo; i > 0 && lo - i < 64; i--) {
		const struct entry *e = &m->e[i - 1];
		if (pc < e->end && (!best || e->order > best->order))
			best = e;
	}
	if (!best)
		return false;
	*name = m->names + best->name;
	*start = best->start;
	return true;
}
