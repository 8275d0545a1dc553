/* bytes.h - unaligned native-endian (x86_64: little-endian) reads from
 * byte buffers: core notes, pclntab, runtime structures; and unsigned
 * LEB128 (DWARF's, and Go's uvarint). */
#ifndef PILEUP_BYTES_H
#define PILEUP_BYTES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t rd16(const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Reads an unsigned LEB128 at *p (not past end) into *out and advances
 * *p; false if it is cut short or longer than 64 bits. */
static inline bool rd_uleb(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

#endif
