#include "sanitize.h"

#include <stdio.h>
#include <string.h>

size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned int cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp <= 0x9f)
		return 0; /* C1 controls */
	return n;
}

uint32_t utf8_decode(const unsigned char *s, size_t n)
{
	if (n <= 1)
		return s[0];
	uint32_t cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Code points that reorder or hide the text around them, or end a line
 * where the reader does not see one: Unicode's format characters (Cf:
 * bidi embeddings, overrides and isolates, marks, zero-width characters,
 * invisible operators, tags...), the line and paragraph separators, and
 * noncharacters (which XML forbids).  Checked against the Unicode 15.1
 * character database (DerivedGeneralCategory.txt, Cf). */
static bool hidden(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
		{0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x180e, 0x180e},
		{0x200b, 0x200f},   {0x2028, 0x202e},   {0x2060, 0x2064},   {0x2066, 0x206f},
		{0xfdd0, 0xfdef},   {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd},
		{0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
		{0xe0001, 0xe0001}, {0xe0020, 0xe007f},
	};
	if ((cp & 0xfffe) == 0xfffe)
		return true; /* U+FFFE, U+FFFF and their kin in every plane */
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

size_t sanitize_unit(const unsigned char *s, bool *escape)
{
	size_t n = utf8_seq_len(s);
	if (n == 0) {
		*escape = true; /* invalid UTF-8 and C1 controls: byte by byte */
		return 1;
	}
	if (n == 1)
		*escape = *s < 0x20 || *s == 0x7f;
	else
		*escape = hidden(utf8_decode(s, n));
	return n;
}

size_t sanitize_escape(const unsigned char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	if (n <= 1) {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[*s >> 4];
		out[3] = hex[*s & 15];
		out[4] = 0;
		return 4;
	}
	return (size_t)snprintf(out, SANITIZE_ESCAPE_MAX, "\\u{%x}", (unsigned)utf8_decode(s, n));
}

/* Emits through a callback so FILE and buffer output share one rule.
 * Bytes in also (printable ASCII a format gives a meaning) are escaped too. */
static void sanitize(const char *s, const char *also, void (*out)(const char *p, size_t n, void *arg), void *arg)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		bool esc;
		size_t n = sanitize_unit(p, &esc);
		if (n == 1 && also && strchr(also, *p))
			esc = true;
		if (esc) {
			char e[SANITIZE_ESCAPE_MAX];
			out(e, sanitize_escape(p, n, e), arg);
		} else {
			out((const char *)p, n, arg);
		}
		p += n;
	}
}

static void to_file(const char *p, size_t n, void *arg)
{
	fwrite(p, 1, n, arg);
}

void sanitize_fputs(const char *s, FILE *f)
{
	if (s)
		sanitize(s, NULL, to_file, f);
}

void sanitize_fputs_also(const char *s, const char *also, FILE *f)
{
	if (s)
		sanitize(s, also, to_file, f);
}

struct buf {
	char *p;
	size_t len, size;
};

static void to_buf(const char *p, size_t n, void *arg)
{
	struct buf *b = arg;
	if (b->len + n + 1 > b->size)
		return; /* never cut inside a sequence or escape */
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

char *sanitize_copy(const char *s, char *buf, size_t size)
{
	struct buf b = {buf, 0, size};
	if (size)
		buf[0] = 0;
	if (s && size)
		sanitize(s, NULL, to_buf, &b);
	return buf;
}
