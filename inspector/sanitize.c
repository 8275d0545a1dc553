#include "sanitize.h"

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

/* Emits through a callback so FILE and buffer output share one rule.
 * Bytes in also (printable ASCII a format gives a meaning) are escaped too. */
static void sanitize(const char *s, const char *also, void (*out)(const char *p, size_t n, void *arg), void *arg)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq_len(p);
		if (n == 1 && (*p < 0x20 || *p == 0x7f || (also && strchr(also, *p))))
			n = 0;
		if (n) {
			out((const char *)p, n, arg);
			p += n;
		} else {
			char esc[5];
			static const char hex[] = "0123456789abcdef";
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 15];
			out(esc, 4, arg);
			p++;
		}
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
