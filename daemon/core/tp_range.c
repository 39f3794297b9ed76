/* SPDX-License-Identifier: ISC */
/*
 * tp_range.c: sorted sets of half-open intervals. Callers bound their
 * size (tp_rs_add never refuses for size; it fails only on ENOMEM).
 */
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

/* Index of the first interval with hi >= x (touching counts). */
static size_t
tp_rs_search(const struct tp_rs *s, uint64_t x)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->v[mid].hi < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
tp_rs_add(struct tp_rs *s, uint64_t lo, uint64_t hi)
{
	struct tp_iv *nv;
	size_t i, j, ncap;

	if (lo >= hi)
		return 0;
	i = tp_rs_search(s, lo);
	/* Merge with every interval that overlaps or touches [lo, hi). */
	j = i;
	while (j < s->n && s->v[j].lo <= hi) {
		if (s->v[j].lo < lo)
			lo = s->v[j].lo;
		if (s->v[j].hi > hi)
			hi = s->v[j].hi;
		j++;
	}
	if (j > i) {
		s->v[i].lo = lo;
		s->v[i].hi = hi;
		memmove(&s->v[i + 1], &s->v[j], (s->n - j) * sizeof(*s->v));
		s->n -= j - i - 1;
		return 0;
	}
	if (s->n == s->cap) {
		ncap = s->cap ? s->cap * 2 : 8;
		if ((nv = reallocarray(s->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		s->v = nv;
		s->cap = ncap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i].lo = lo;
	s->v[i].hi = hi;
	s->n++;
	return 0;
}

void
tp_rs_remove(struct tp_rs *s, uint64_t lo, uint64_t hi)
{
	struct tp_iv *v;
	size_t i;

	if (lo >= hi)
		return;
	for (i = tp_rs_search(s, lo + 1); i < s->n && s->v[i].lo < hi; ) {
		v = &s->v[i];
		if (v->lo < lo && v->hi > hi) {
			/* Split: cut the tail off first so the add won't merge. */
			uint64_t end = v->hi;

			v->hi = lo;
			(void)tp_rs_add(s, hi, end);
			return;
		}
		if (v->lo < lo) {
			v->hi = lo;
			i++;
		} else if (v->hi > hi) {
			v->lo = hi;
			return;
		} else {
			memmove(v, v + 1, (s->n - i - 1) * sizeof(*v));
			s->n--;
		}
	}
}

void
tp_rs_remove_below(struct tp_rs *s, uint64_t x)
{
	size_t i = 0;

	while (i < s->n && s->v[i].hi <= x)
		i++;
	if (i > 0) {
		memmove(s->v, s->v + i, (s->n - i) * sizeof(*s->v));
		s->n -= i;
	}
	if (s->n > 0 && s->v[0].lo < x)
		s->v[0].lo = x;
}

int
tp_rs_contains(const struct tp_rs *s, uint64_t x)
{
	size_t i = tp_rs_search(s, x + 1);

	return i < s->n && s->v[i].lo <= x && x < s->v[i].hi;
}

void
tp_rs_free(struct tp_rs *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
