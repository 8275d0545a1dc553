/* decompress.h - compressed cores (.zst .xz .lz4 .gz), recognized by magic.
 *
 * systemd-coredump stores cores compressed with zstd (older versions
 * used xz or lz4) and people gzip them to move them around.  A compressed
 * file is streamed into an anonymous temporary file (O_TMPFILE, or a
 * name unlinked at once) under $TMPDIR or /var/tmp, so memory stays
 * bounded and nothing is left behind on any exit path, a crash included:
 * the data disappears with the descriptor. */
#ifndef PILEUP_DECOMPRESS_H
#define PILEUP_DECOMPRESS_H

#include <stddef.h>

#include "error.h"

enum compress_kind { COMPRESS_NONE, COMPRESS_ZSTD, COMPRESS_XZ, COMPRESS_LZ4, COMPRESS_GZIP };

/* The format whose magic starts head (n bytes), or COMPRESS_NONE. */
enum compress_kind decompress_detect(const void *head, size_t n);
/* "zstd", "xz", "lz4", "gzip". */
const char *decompress_name(enum compress_kind k);

/* Decompresses fd (read from its current offset to the end; name is used
 * in messages) into an anonymous temporary file and returns its
 * descriptor, positioned at 0, in *ret.  Data that ends early or turns
 * corrupt keeps what came before: *damage is then a malloc'd phrase
 * saying what happened ("ends early after 12 MB of core"), else NULL.
 * Fails only when nothing could be decompressed or written. */
struct pu_error *decompress_to_tmpfile(int fd, enum compress_kind k, const char *name, int *ret, char **damage);

/* An anonymous read-write temporary file under $TMPDIR, /var/tmp or /tmp
 * (*dir says which), or -1 with errno set. */
int decompress_open_tmpfile(const char **dir);

#endif
