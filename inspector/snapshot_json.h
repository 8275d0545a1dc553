/* snapshot_json.h - a saved JSON report (format version 1) read back as a snapshot.
 *
 * `pileup --json` writes what report_json.c describes; this reads it again,
 * so a report taken on a server can be grouped, printed and browsed
 * elsewhere.  The snapshot's source is SNAP_SAVED: threads (how
 * SNAP_HOW_SAVED) and goroutines already carry frames, wait classes and
 * wait sites, so analyze_snapshot() only groups them.
 *
 * The file is untrusted input: any byte sequence gives either a snapshot
 * or one error line naming the file and the byte offset.  Unknown keys
 * are skipped (later versions may add some).  Strings come back byte for
 * byte: json.c writes bytes that are not UTF-8 as \u0080..\u00ff, and
 * those escapes are read back as the single byte. */
#ifndef PILEUP_SNAPSHOT_JSON_H
#define PILEUP_SNAPSHOT_JSON_H

#include "error.h"
#include "snapshot.h"

/* What the saved report says about where it came from. */
struct snapshot_json_origin {
	char *path;   /* the file read */
	char *source; /* "live", "core", ... as saved, or NULL */
	char *mode;   /* capture mode as saved ("nonstop", ...), or NULL */
	struct {
		const char *module, *build_id; /* interned in the snapshot */
	} *build_ids;
	size_t nbuild_ids, cap_build_ids;
};

struct pu_error *snapshot_json_load(const char *path, struct snapshot **ret);
/* Parses a report held in memory; name is used in error messages. */
struct pu_error *snapshot_json_parse(const char *name, const char *buf, size_t len, struct snapshot **ret);
/* The origin of a snapshot made by this module, NULL for other snapshots. */
const struct snapshot_json_origin *snapshot_json_origin(const struct snapshot *snap);
/* The build-id the saved report gave for module (target.build_id for the
 * executable, frames' build_id for the rest), or NULL. */
const char *snapshot_json_build_id(const struct snapshot *snap, const char *module);

#endif
