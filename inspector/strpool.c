#include "strpool.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	unsigned long long hash;
	char *s;
};

struct strpool {
	struct entry *tab;
	size_t cap, used;
};

struct strpool *strpool_create(void)
{
	struct strpool *p = xcalloc(1, sizeof(*p));
	p->cap = 1024;
	p->tab = xcalloc(p->cap, sizeof(*p->tab));
	return p;
}

void strpool_destroy(struct strpool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		free(p->tab[i].s);
	free(p->tab);
	free(p);
}

static void rehash(struct strpool *p)
{
	size_t ncap = p->cap * 2;
	struct entry *nt = xcalloc(ncap, sizeof(*nt));
	for (size_t i = 0; i < p->cap; i++) {
		if (!p->tab[i].s)
			continue;
		size_t j = p->tab[i].hash & (ncap - 1);
		while (nt[j].s)
			j = (j + 1) & (ncap - 1);
		nt[j] = p->tab[i];
	}
	free(p->tab);
	p->tab = nt;
	p->cap = ncap;
}

const char *strpool_intern_n(struct strpool *p, const char *s, size_t n)
{
	if (!s)
		return NULL;
	unsigned long long h = pu_hash_bytes(PU_HASH_INIT, s, n);
	size_t j = h & (p->cap - 1);
	while (p->tab[j].s) {
		if (p->tab[j].hash == h && strncmp(p->tab[j].s, s, n) == 0 && p->tab[j].s[n] == 0)
			return p->tab[j].s;
		j = (j + 1) & (p->cap - 1);
	}
	char *c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = 0;
	p->tab[j].hash = h;
	p->tab[j].s = c;
	if (++p->used * 2 > p->cap)
		rehash(p);
	return c;
}

const char *strpool_intern(struct strpool *p, const char *s)
{
	return s ? strpool_intern_n(p, s, strlen(s)) : NULL;
}
