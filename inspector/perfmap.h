/* perfmap.h - names of JIT code from the perf map convention.
 *
 * A program that generates code at run time (node --perf-basic-prof, the
 * JVM's perf-map-agent, .NET's DOTNET_PerfMapEnabled, LuaJIT...) writes
 * /tmp/perf-PID.map: one "START SIZE NAME" line per piece of code, START
 * and SIZE in hex, as perf reads it.  The file is the target's: it is
 * read only when it is a regular file owned by the target's user or root,
 * at most PERFMAP_MAX_BYTES, and a line that does not parse is skipped. */
#ifndef PILEUP_PERFMAP_H
#define PILEUP_PERFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { PERFMAP_MAX_BYTES = 256 << 20 };

struct perfmap;

/* The map of process pid (its /tmp as root, "/proc/PID/root", sees it);
 * NULL when it has none. */
struct perfmap *perfmap_open(pid_t pid, const char *root);
/* The parser alone, over bytes (tests, fuzzing). */
struct perfmap *perfmap_parse(const char *buf, size_t len);
void perfmap_destroy(struct perfmap *m);

/* The entry holding pc: its name (NUL-terminated, the file's bytes) and
 * start; false if none.  Later lines win over earlier ones for the same
 * address, as code is replaced. */
bool perfmap_lookup(const struct perfmap *m, uint64_t pc, const char **name, uint64_t *start);

size_t perfmap_count(const struct perfmap *m);

#endif
