/* pbuf.h - the protocol buffer wire format, as far as profile.proto needs.
 *
 * pprof profiles are protocol buffers; pileup reads and writes one message
 * type (perftools.profiles.Profile) and a dozen of its fields.  A reader
 * of varints and length-delimited fields, and a writer of the same, are
 * smaller and exacter than generated protobuf-c code plus a library
 * (which would also have to link statically), so they are written here.
 * Wire types and encoding: protobuf's encoding documentation (varint 0,
 * 64-bit 1, length-delimited 2, 32-bit 5). */
#ifndef PILEUP_PBUF_H
#define PILEUP_PBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

struct pb {
	const uint8_t *p, *end;
	bool bad; /* malformed: stop */
};

static inline bool pb_varint(struct pb *b, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (b->p >= b->end) {
			b->bad = true;
			return false;
		}
		uint8_t c = *b->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return true;
		}
	}
	b->bad = true;
	return false;
}

/* One field: its number and wire type; a varint's value in *v, a
 * length-delimited field's bytes in *sub.  Fixed 32/64-bit fields are
 * skipped (their value in *v).  false at the end or on malformed data. */
static inline bool pb_field(struct pb *b, uint32_t *field, int *wire, uint64_t *v, struct pb *sub)
{
	if (b->bad || b->p >= b->end)
		return false;
	uint64_t key;
	if (!pb_varint(b, &key))
		return false;
	*field = (uint32_t)(key >> 3);
	*wire = (int)(key & 7);
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff) {
		b->bad = true;
		return false;
	}
	switch (*wire) {
	case 0:
		return pb_varint(b, v);
	case 1:
	case 5: {
		size_t n = *wire == 1 ? 8 : 4;
		if ((size_t)(b->end - b->p) < n) {
			b->bad = true;
			return false;
		}
		*v = 0;
		memcpy(v, b->p, n); /* little-endian host */
		b->p += n;
		return true;
	}
	case 2: {
		uint64_t n;
		if (!pb_varint(b, &n))
			return false;
		if (n > (uint64_t)(b->end - b->p)) {
			b->bad = true;
			return false;
		}
		sub->p = b->p;
		sub->end = b->p + n;
		sub->bad = false;
		b->p += n;
		return true;
	}
	default:
		b->bad = true;
		return false;
	}
}

/* A repeated varint field, packed (wire 2) or not (wire 0): calls each on
 * every value.  Returns false on malformed data. */
static inline bool pb_repeated(struct pb *sub, int wire, uint64_t v, void (*each)(void *, uint64_t), void *ctx)
{
	if (wire == 0) {
		each(ctx, v);
		return true;
	}
	if (wire != 2)
		return false;
	while (sub->p < sub->end) {
		uint64_t x;
		if (!pb_varint(sub, &x))
			return false;
		each(ctx, x);
	}
	return true;
}

/* --- writing -------------------------------------------------------------- */

struct pbw {
	uint8_t *buf;
	size_t len, cap;
};

static inline void pbw_bytes(struct pbw *w, const void *p, size_t n)
{
	xgrow(&w->buf, &w->cap, w->len + n + 1, 1);
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void pbw_varint(struct pbw *w, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	pbw_bytes(w, tmp, n);
}

static inline void pbw_uint(struct pbw *w, uint32_t field, uint64_t v)
{
	pbw_varint(w, (uint64_t)field << 3);
	pbw_varint(w, v);
}

/* A length-delimited field holding data (a string or a nested message). */
static inline void pbw_len(struct pbw *w, uint32_t field, const void *data, size_t n)
{
	pbw_varint(w, (uint64_t)field << 3 | 2);
	pbw_varint(w, n);
	pbw_bytes(w, data, n);
}

#endif
