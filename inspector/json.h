/* json.h - a small streaming JSON writer.
 *
 * Strings from the target may be any bytes: control characters are
 * escaped and bytes that are not UTF-8 become \u00XX, so the output is
 * always valid JSON.  Output is collected in the writer's own buffer and
 * handed to the FILE in large blocks (a report of 100,000 goroutines is
 * millions of small values); closing the top value flushes it, and
 * json_flush() does so at any time. */
#ifndef PILEUP_JSON_H
#define PILEUP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_BUF 32768

struct json {
	FILE *f;
	int depth;
	bool need_comma[64];
	bool pretty;
	bool after_key; /* the next value follows a key */
	size_t len;     /* bytes waiting in buf */
	char buf[JSON_BUF];
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_flush(struct json *j);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
void json_hex(struct json *j, uint64_t v); /* "0x..." string */

#endif
