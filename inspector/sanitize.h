/* sanitize.h - text from the target, made safe for a terminal.
 *
 * Thread names, symbols and paths come from the target and may hold escape
 * sequences.  Control characters (C0, DEL, C1) and invalid UTF-8 are
 * written as visible \xNN escapes; printable UTF-8 passes through. */
#ifndef PILEUP_SANITIZE_H
#define PILEUP_SANITIZE_H

#include <stddef.h>
#include <stdio.h>

/* Writes s to f, sanitized. */
void sanitize_fputs(const char *s, FILE *f);
/* The same, with the ASCII bytes in also escaped too (";" in folded stacks). */
void sanitize_fputs_also(const char *s, const char *also, FILE *f);
/* Sanitized copy into buf (always NUL-terminated, may be cut). */
char *sanitize_copy(const char *s, char *buf, size_t size);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s);

#endif
