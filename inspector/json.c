#include "json.h"
#include "sanitize.h"

#include <inttypes.h>

void json_init(struct json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = false;
	j->pretty = pretty;
	j->after_key = false;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputc(' ', j->f);
}

/* Before a value: a comma if needed; values after a key need neither. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	if (j->depth)
		indent(j);
	j->need_comma[j->depth] = true;
}

static void open(struct json *j, char c)
{
	before_value(j);
	fputc(c, j->f);
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
	fputc(c, j->f);
	if (!j->depth && j->pretty)
		fputc('\n', j->f);
}

void json_begin_object(struct json *j) { open(j, '{'); }
void json_end_object(struct json *j) { close(j, '}'); }
void json_begin_array(struct json *j) { open(j, '['); }
void json_end_array(struct json *j) { close(j, ']'); }

void json_write_escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	while (*p) {
		/* Plain printable ASCII needs no escaping: write runs at once. */
		const unsigned char *run = p;
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			fwrite(run, 1, (size_t)(p - run), f);
		if (!*p)
			break;
		size_t n = utf8_seq_len(p);
		unsigned char c = *p;
		bool hide;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			p++;
		} else if (c == '\n') {
			fputs("\\n", f);
			p++;
		} else if (c == '\t') {
			fputs("\\t", f);
			p++;
		} else if (n == 0 || c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			p++;
		} else if (n > 1 && (sanitize_unit(p, &hide), hide)) {
			/* Bidi overrides and invisible characters: escaped, so a
			 * file shown as it is cannot disguise text; the string
			 * reads back the same. */
			uint32_t cp = utf8_decode(p, n);
			if (cp >= 0x10000)
				fprintf(f, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				fprintf(f, "\\u%04x", cp);
			p += n;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	before_value(j);
	json_write_escaped(j->f, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	before_value(j);
	if (s)
		json_write_escaped(j->f, s);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, int64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_double(struct json *j, double v)
{
	before_value(j);
	fprintf(j->f, "%.4g", v);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	before_value(j);
	fputs("null", j->f);
}

void json_hex(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}
