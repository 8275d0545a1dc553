/* sanitize.h - text from the target, made safe for a terminal.
 *
 * Thread names, symbols and paths come from the target and may hold escape
 * sequences, or characters that reorder or hide text.  One rule, here,
 * for every output (text, folded, SVG, JSON, the browser, error lines):
 * control characters (C0, DEL, C1) and invalid UTF-8 are written as
 * visible \xNN escapes, byte by byte; bidi controls (U+202E and friends),
 * zero-width and other invisible format characters, line and paragraph
 * separators, tag characters and noncharacters as \u{XXXX}; printable
 * UTF-8 passes through. */
#ifndef PILEUP_SANITIZE_H
#define PILEUP_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes s to f, sanitized. */
void sanitize_fputs(const char *s, FILE *f);
/* The same, with the ASCII bytes in also escaped too (";" in folded stacks). */
void sanitize_fputs_also(const char *s, const char *also, FILE *f);
/* Sanitized copy into buf (always NUL-terminated, may be cut). */
char *sanitize_copy(const char *s, char *buf, size_t size);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s);

/* The rule itself, for outputs with escapes of their own: the unit at s
 * (a byte, or one UTF-8 sequence; s is not empty) and its length, and
 * whether it must be shown escaped. */
size_t sanitize_unit(const unsigned char *s, bool *escape);
/* The escape of the unit of n bytes at s ("\x1b", "\u{202e}") into out,
 * which holds SANITIZE_ESCAPE_MAX bytes; returns its length. */
enum { SANITIZE_ESCAPE_MAX = 16 };
size_t sanitize_escape(const unsigned char *s, size_t n, char *out);
/* The code point of the valid UTF-8 sequence of n bytes at s. */
uint32_t utf8_decode(const unsigned char *s, size_t n);

#endif
