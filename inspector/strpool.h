/* strpool.h - interned strings.
 *
 * Names of functions, files and modules repeat across thousands of frames.
 * Interning them makes equal strings pointer-equal, so grouping compares
 * pointers, and memory holds one copy of each name. */
#ifndef PILEUP_STRPOOL_H
#define PILEUP_STRPOOL_H

#include <stddef.h>

struct strpool;

struct strpool *strpool_create(void);
void strpool_destroy(struct strpool *pool);
/* Returns the pool's copy of s (NULL for NULL). Valid until destroy. */
const char *strpool_intern(struct strpool *pool, const char *s);
const char *strpool_intern_n(struct strpool *pool, const char *s, size_t n);

/* FNV-1a, also used to hash stacks. */
static inline unsigned long long pu_hash_bytes(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define PU_HASH_INIT 0xcbf29ce484222325ULL

#endif
