/* error.h - errors as values.
 *
 * Every function that can fail returns a struct pu_error * (NULL on success)
 * whose message is one line naming the cause and, where there is one, the
 * remedy.  The top level prints it and exits with err->exit_code. */
#ifndef PILEUP_ERROR_H
#define PILEUP_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum pu_exit {
	PU_EXIT_OK = 0,
	PU_EXIT_PARTIAL = 1, /* report printed, but incomplete */
	PU_EXIT_USAGE = 2,   /* usage error or unusable target */
	PU_EXIT_FAIL_IF = 3, /* a --fail-if condition triggered */
};

struct pu_error {
	int exit_code;
	char msg[];
};

/* Returned when allocation fails; never freed. */
extern struct pu_error pu_enomem;

struct pu_error *pu_error_new(int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct pu_error *pu_error_newv(int exit_code, const char *fmt, va_list ap);
void pu_error_free(struct pu_error *err);
/* The remedy for errno e where the error has one whatever was being done
 * (out of file descriptors, memory, space); otherwise, otherwise. */
const char *pu_remedy(int e, const char *otherwise);

/* Says memory ran out (one line) and exits 2. */
_Noreturn void pu_oom(void);
/* Allocation that treats failure as fatal (prints one line, exits 2). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Grows *p (holding *cap elements of size sz) to hold at least need. */
void xgrow(void *pp, size_t *cap, size_t need, size_t sz);

#endif
