/* debugcache.h - inflated copies of compressed debug info, kept between runs.
 *
 * Debian's debug packages (libc6-dbg, ...) and Go's linker compress DWARF
 * sections (SHF_COMPRESSED).  libdw inflates every such section when it
 * opens a file, which for libc alone costs ~0.1 s per run: more than
 * unwinding and symbolizing a thousand threads.  So the first time pileup
 * meets such a file it writes a copy with those sections inflated, on two
 * threads (the same file otherwise: allocated sections keep their
 * offsets; location lists and macros, which pileup never reads, are left
 * out), named by the file's build-id and size, in the cache directory;
 * later runs map the copy and inflate nothing.  Only the debug files of
 * modules whose DWARF is read get a copy (unwind.c says which: the code
 * the stacks go through); the others are opened for their symbols.
 *
 * The directory is $PILEUP_CACHE_DIR, else $XDG_CACHE_HOME/pileup, else
 * ~/.cache/pileup; PILEUP_CACHE_DIR= (empty) turns the cache off.  A copy
 * is used only when its build-id is the original's; one that cannot be
 * written (read-only home, full disk) is simply not used.  Copies larger
 * than 1 GiB are not made. */
#ifndef PILEUP_DEBUGCACHE_H
#define PILEUP_DEBUGCACHE_H

#include <stddef.h>

/* If the ELF file open as fd has compressed sections and a build-id,
 * returns a new read-only fd of its inflated copy (made now if missing)
 * and its path in *ret_path (malloc'd); fd itself is left alone.  Returns
 * -1 when there is nothing to gain or no copy can be had. */
int debugcache_inflated(int fd, char **ret_path);

/* The cache directory (created, mode 0700), malloc'd; NULL when caching
 * is off or there is no directory to use. */
char *debugcache_dir(void);

/* Cache files are removed when unused for a while (debugcache_prune), so
 * the directory does not grow with every rebuilt program, upgraded
 * library or pileup.  Using a file marks it: debugcache_touch sets its
 * time to now when it is older than a day (one system call a day). */
void debugcache_touch(int fd);

/* Removes from dir the files whose names start with prefix and contain
 * part (not keep itself, not temporary files of other runs less than a
 * day old) that were not used for CACHE_UNUSED_DAYS, then the least
 * recently used beyond max_files. */
enum { CACHE_UNUSED_DAYS = 30 };
void debugcache_prune(const char *dir, const char *prefix, const char *part, const char *keep, size_t max_files);

#endif
