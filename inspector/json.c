#include "json.h"
#include "sanitize.h"

#include <inttypes.h>
#include <string.h>

void json_init(struct json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = false;
	j->pretty = pretty;
	j->after_key = false;
	j->len = 0;
}

void json_flush(struct json *j)
{
	if (j->len)
		fwrite(j->buf, 1, j->len, j->f);
	j->len = 0;
}

/* Room for n more bytes (n <= JSON_BUF). */
static inline char *room(struct json *j, size_t n)
{
	if (JSON_BUF - j->len < n)
		json_flush(j);
	return j->buf + j->len;
}

static inline void put(struct json *j, char c)
{
	*room(j, 1) = c;
	j->len++;
}

static void put_mem(struct json *j, const void *s, size_t n)
{
	while (n) {
		size_t k = n < JSON_BUF ? n : JSON_BUF;
		memcpy(room(j, k), s, k);
		j->len += k;
		s = (const char *)s + k;
		n -= k;
	}
}

static inline void put_str(struct json *j, const char *s)
{
	put_mem(j, s, strlen(s));
}

static void put_u64(struct json *j, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	char *d = room(j, (size_t)n);
	for (int i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	j->len += (size_t)n;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	put(j, '\n');
	for (int i = 0; i < j->depth; i++)
		put(j, ' ');
}

/* Before a value: a comma if needed; values after a key need neither. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		put(j, ',');
	if (j->depth)
		indent(j);
	j->need_comma[j->depth] = true;
}

static void open(struct json *j, char c)
{
	before_value(j);
	put(j, c);
	if (j->depth < 63)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close(struct json *j, char c)
{
	bool had = j->need_comma[j->depth];
	if (j->depth)
		j->depth--;
	if (had)
		indent(j);
	put(j, c);
	if (!j->depth) {
		if (j->pretty)
			put(j, '\n');
		json_flush(j);
	}
}

void json_begin_object(struct json *j) { open(j, '{'); }
void json_end_object(struct json *j) { close(j, '}'); }
void json_begin_array(struct json *j) { open(j, '['); }
void json_end_array(struct json *j) { close(j, ']'); }

static void put_u4(struct json *j, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	char *d = room(j, 6);
	d[0] = '\\';
	d[1] = 'u';
	d[2] = hex[v >> 12 & 15];
	d[3] = hex[v >> 8 & 15];
	d[4] = hex[v >> 4 & 15];
	d[5] = hex[v & 15];
	j->len += 6;
}

static void escaped(struct json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	put(j, '"');
	while (*p) {
		/* Plain printable ASCII needs no escaping: copy runs at once. */
		const unsigned char *run = p;
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			put_mem(j, run, (size_t)(p - run));
		if (!*p)
			break;
		size_t n = utf8_seq_len(p);
		unsigned char c = *p;
		bool hide;
		if (c == '"' || c == '\\') {
			put(j, '\\');
			put(j, (char)c);
			p++;
		} else if (c == '\n') {
			put_str(j, "\\n");
			p++;
		} else if (c == '\t') {
			put_str(j, "\\t");
			p++;
		} else if (n == 0 || c < 0x20 || c == 0x7f) {
			put_u4(j, c);
			p++;
		} else if (n > 1 && (sanitize_unit(p, &hide), hide)) {
			/* Bidi overrides and invisible characters: escaped, so a
			 * file shown as it is cannot disguise text; the string
			 * reads back the same. */
			uint32_t cp = utf8_decode(p, n);
			if (cp >= 0x10000) {
				put_u4(j, 0xd800 + ((cp - 0x10000) >> 10));
				put_u4(j, 0xdc00 + ((cp - 0x10000) & 0x3ff));
			} else {
				put_u4(j, cp);
			}
			p += n;
		} else {
			put_mem(j, p, n);
			p += n;
		}
	}
	put(j, '"');
}

void json_key(struct json *j, const char *key)
{
	before_value(j);
	escaped(j, key);
	if (j->pretty)
		put_str(j, ": ");
	else
		put(j, ':');
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	before_value(j);
	if (s)
		escaped(j, s);
	else
		put_str(j, "null");
}

void json_int(struct json *j, int64_t v)
{
	before_value(j);
	if (v < 0) {
		put(j, '-');
		put_u64(j, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(j, (uint64_t)v);
	}
}

void json_uint(struct json *j, uint64_t v)
{
	before_value(j);
	put_u64(j, v);
}

void json_double(struct json *j, double v)
{
	before_value(j);
	char tmp[40];
	int n = snprintf(tmp, sizeof(tmp), "%.4g", v);
	put_mem(j, tmp, n > 0 && (size_t)n < sizeof(tmp) ? (size_t)n : 0);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	put_str(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	before_value(j);
	put_str(j, "null");
}

void json_hex(struct json *j, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	before_value(j);
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = hex[v & 15];
		v >>= 4;
	} while (v);
	char *d = room(j, (size_t)n + 4);
	d[0] = '"';
	d[1] = '0';
	d[2] = 'x';
	for (int i = 0; i < n; i++)
		d[3 + i] = tmp[n - 1 - i];
	d[3 + n] = '"';
	j->len += (size_t)n + 4;
}
