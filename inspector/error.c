#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pu_error pu_enomem = {PU_EXIT_USAGE, {0}};

struct pu_error *pu_error_newv(int exit_code, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	struct pu_error *err = malloc(sizeof(*err) + (size_t)n + 1);
	if (!err)
		return &pu_enomem;
	err->exit_code = exit_code;
	vsnprintf(err->msg, (size_t)n + 1, fmt, ap);
	return err;
}

struct pu_error *pu_error_new(int exit_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct pu_error *err = pu_error_newv(exit_code, fmt, ap);
	va_end(ap);
	return err;
}

const char *pu_remedy(int e, const char *otherwise)
{
	switch (e) {
	case EMFILE:
	case ENFILE:
		return "raise the limit of open files ('ulimit -n') and run again";
	case ENOSPC:
	case EDQUOT:
		return "free some space, or write somewhere else";
	case ENOMEM:
		return "free some memory and run again";
	}
	return otherwise;
}

void pu_error_free(struct pu_error *err)
{
	if (err && err != &pu_enomem)
		free(err);
}

void pu_oom(void)
{
	fputs("pileup: out of memory; free memory or inspect a smaller target\n", stderr);
	exit(PU_EXIT_USAGE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		pu_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		pu_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		pu_oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		pu_oom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		pu_oom();
	return s;
}

void xgrow(void *pp, size_t *cap, size_t need, size_t sz)
{
	void **p = pp;
	if (need <= *cap)
		return;
	size_t ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	*p = xrealloc(*p, ncap * sz);
	*cap = ncap;
}
