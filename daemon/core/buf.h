/* SPDX-License-Identifier: ISC */
/*
 * buf.h: bounds-checked readers and writers for wire formats.
 *
 * A reader never reads past its end: the first short read sets err and every
 * later read returns zeros, so a parser checks rd.err once at the end (or
 * wherever it must stop early). Writers work the same way. Integers are
 * big-endian; varints are QUIC variable-length integers (RFC 9000 §16).
 */
#ifndef P2P_BUF_H
#define P2P_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VARINT_MAX 0x3fffffffffffffffULL

struct rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

struct wr {
	uint8_t		*p;
	size_t		 cap;
	size_t		 off;
	int		 err;
};

static inline void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p; r->len = len; r->off = 0; r->err = 0;
}

static inline size_t
rd_left(const struct rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

static inline const uint8_t *
rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *q;

	if (r->err || n > r->len - r->off) {
		r->err = 1;
		return NULL;
	}
	q = r->p + r->off;
	r->off += n;
	return q;
}

static inline int
rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *q = rd_bytes(r, n);

	if (q == NULL)
		return -1;
	memcpy(dst, q, n);
	return 0;
}

static inline uint8_t
rd_u8(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 1);
	return q ? q[0] : 0;
}

static inline uint16_t
rd_u16(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 2);
	return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}

static inline uint32_t
rd_u32(struct rd *r)
{
	const uint8_t *q = rd_bytes(r, 4);
	return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
	    ((uint32_t)q[2] << 8) | q[3] : 0;
}

static inline uint64_t
rd_u64(struct rd *r)
{
	uint64_t hi = rd_u32(r);
	return (hi << 32) | rd_u32(r);
}

static inline uint64_t
rd_varint(struct rd *r)
{
	const uint8_t *q;
	uint64_t v;
	size_t n, i;

	if (r->err || r->off >= r->len) {
		r->err = 1;
		return 0;
	}
	n = (size_t)1 << (r->p[r->off] >> 6);
	if ((q = rd_bytes(r, n)) == NULL)
		return 0;
	v = q[0] & 0x3f;
	for (i = 1; i < n; i++)
		v = (v << 8) | q[i];
	return v;
}

static inline void
wr_init(struct wr *w, void *p, size_t cap)
{
	w->p = p; w->cap = cap; w->off = 0; w->err = 0;
}

static inline size_t
wr_left(const struct wr *w)
{
	return w->err ? 0 : w->cap - w->off;
}

static inline uint8_t *
wr_reserve(struct wr *w, size_t n)
{
	uint8_t *q;

	if (w->err || n > w->cap - w->off) {
		w->err = 1;
		return NULL;
	}
	q = w->p + w->off;
	w->off += n;
	return q;
}

static inline void
wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *q = wr_reserve(w, n);
	if (q != NULL && n > 0)
		memcpy(q, src, n);
}

static inline void
wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static inline void
wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	wr_bytes(w, b, 2);
}

static inline void
wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };
	wr_bytes(w, b, 4);
}

static inline void
wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

static inline size_t
varint_len(uint64_t v)
{
	if (v < 0x40)
		return 1;
	if (v < 0x4000)
		return 2;
	if (v < 0x40000000)
		return 4;
	return 8;
}

static inline void
wr_varint(struct wr *w, uint64_t v)
{
	size_t n, i;
	uint8_t *q;

	if (v > VARINT_MAX) {
		w->err = 1;
		return;
	}
	n = varint_len(v);
	if ((q = wr_reserve(w, n)) == NULL)
		return;
	for (i = n; i > 0; i--) {
		q[i - 1] = (uint8_t)v;
		v >>= 8;
	}
	q[0] |= (uint8_t)((n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3) << 6);
}

#endif /* P2P_BUF_H */
