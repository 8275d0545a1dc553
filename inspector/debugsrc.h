/* debugsrc.h - does a local program's debug info name this source file?
 *
 * A saved report (or any snapshot made elsewhere) names source files, and
 * a report is data from anywhere: the browser shows such a file only if
 * the program the frame is in is here, with the build-id the report gives,
 * and its DWARF line tables (any compile unit) list exactly that path.
 * The debug info is found as libdwfl finds it (the file itself,
 * .gnu_debuglink, /usr/lib/debug/.build-id); each module's list of names
 * is read once per session. */
#ifndef PILEUP_DEBUGSRC_H
#define PILEUP_DEBUGSRC_H

#include <stdbool.h>
#include <stddef.h>

struct debugsrc;

struct debugsrc *debugsrc_create(void);
void debugsrc_destroy(struct debugsrc *d);

/* Whether module (a local path; build_id in hex) names file in its debug
 * info; when not, why in one clause ("... is not here") into why. */
bool debugsrc_names(struct debugsrc *d, const char *module, const char *build_id, const char *file, char *why, size_t size);

#endif
