/* bytes.h - unaligned native-endian (x86_64: little-endian) reads from
 * byte buffers: core notes, pclntab, runtime structures. */
#ifndef PILEUP_BYTES_H
#define PILEUP_BYTES_H

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

#endif
