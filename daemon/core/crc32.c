/* SPDX-License-Identifier: ISC */
/* crc32.c: CRC-32 for STUN FINGERPRINT (see crc32.h). */
#include "crc32.h"

/* One table entry: eight shift-and-xor steps of the reflected polynomial. */
#define C1(c)	(((c) & 1) ? 0xEDB88320U ^ ((c) >> 1) : ((c) >> 1))
#define C8(c)	C1(C1(C1(C1(C1(C1(C1(C1((uint32_t)(c)))))))))
#define R4(n)	C8(n), C8((n) + 1), C8((n) + 2), C8((n) + 3)
#define R16(n)	R4(n), R4((n) + 4), R4((n) + 8), R4((n) + 12)
#define R64(n)	R16(n), R16((n) + 16), R16((n) + 32), R16((n) + 48)

static const uint32_t crc32_table[256] = {
	R64(0), R64(64), R64(128), R64(192)
};

uint32_t
crc32_ieee(const void *p, size_t len)
{
	const uint8_t	*b = p;
	uint32_t	 c = 0xFFFFFFFFU;

	while (len-- > 0)
		c = crc32_table[(c ^ *b++) & 0xff] ^ (c >> 8);
	return c ^ 0xFFFFFFFFU;
}
