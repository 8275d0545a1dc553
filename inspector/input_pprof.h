/* input_pprof.h - pprof goroutine profiles as a snapshot.
 *
 * /debug/pprof/goroutine (and Go 1.27's /debug/pprof/goroutineleak) in
 * both of Go's formats: debug=1 text ("goroutine profile: total N", then
 * "COUNT @ pcs" and "#\tpc\tfunction+off\tfile:line" per stack) and
 * debug=0, a profile.proto message (gzipped on the wire; target.c
 * decompresses it first).  A profile counts goroutines per stack and
 * names none: the snapshot gets COUNT goroutines with id 0 (unknown) that
 * share the stack, no statuses or wait reasons (SNAP_LACKS_GO_WAIT,
 * _GO_IDS), unless it is a profile pileup --pprof wrote (a comment
 * says so, INPUT_PPROF_COMMENT): then its "wait" labels are read, its
 * "kind": "thread" samples become threads, and its "host" labels,
 * written for a merge, make a merged snapshot again.  In any other
 * profile labels of those names are the program's own, and ignored.  Inlined calls come from the location's lines (proto) or from
 * consecutive frames at one pc (text).  Untrusted input: any bytes give a
 * snapshot or one error line. */
#ifndef PILEUP_INPUT_PPROF_H
#define PILEUP_INPUT_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "snapshot.h"

/* The comment (profile.proto's field 13) that starts every profile
 * pileup writes, followed by its version. */
#define INPUT_PPROF_COMMENT "written by pileup"

/* "NAME profile: total N" on the first line. */
bool input_pprof_is_text(const char *buf, size_t len);
/* A Profile message: every top-level field well formed, with a
 * sample_type and a string table. */
bool input_pprof_is_proto(const uint8_t *buf, size_t len);
struct pu_error *input_pprof_parse_text(const char *from, const char *buf, size_t len, struct snapshot **ret);
struct pu_error *input_pprof_parse_proto(const char *from, const uint8_t *buf, size_t len, struct snapshot **ret);

#endif
