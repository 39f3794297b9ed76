/* SPDX-License-Identifier: ISC */
/*
 * pindex.c: the receiver index table (session.h): each DATA and HS_RESP
 * datagram names the session it is for by the 32-bit index we chose for
 * it (PROTOCOL.md §2.4), and finds it here in O(1), as WireGuard's index
 * table does, instead of by a walk over every peer.
 *
 * Open addressing with linear probing, at most half full (it doubles), and
 * deletion by shifting the run back, so there are no tombstones. Indices
 * are random and never 0 (0 marks a free slot); they are mixed anyway, so
 * that a run cannot be made long by whoever picks the indices we look up.
 */
#include <stdlib.h>

#include "session.h"

#define PINDEX_MIN	64

struct pindex_ent {
	uint32_t	 idx;
	struct session	*s;
};

struct pindex {
	struct pindex_ent *v;
	size_t		 cap;	/* a power of two */
	size_t		 n;
};

static size_t
pindex_slot(const struct pindex *t, uint32_t idx)
{
	return (size_t)((idx * 0x9e3779b1U) ^ (idx >> 16)) & (t->cap - 1);
}

static void
pindex_put(struct pindex *t, uint32_t idx, struct session *s)
{
	size_t i = pindex_slot(t, idx);

	while (t->v[i].idx != 0)
		i = (i + 1) & (t->cap - 1);
	t->v[i].idx = idx;
	t->v[i].s = s;
	t->n++;
}

static int
pindex_grow(struct pindex *t)
{
	struct pindex_ent *old = t->v;
	size_t ocap = t->cap, i;

	t->cap = ocap ? ocap * 2 : PINDEX_MIN;
	if ((t->v = calloc(t->cap, sizeof(*t->v))) == NULL) {
		t->v = old;
		t->cap = ocap;
		return -1;
	}
	t->n = 0;
	for (i = 0; i < ocap; i++)
		if (old[i].idx != 0)
			pindex_put(t, old[i].idx, old[i].s);
	free(old);
	return 0;
}

/* The slot holding idx, or -1. */
static ssize_t
pindex_find(const struct pindex *t, uint32_t idx)
{
	size_t i;

	if (t == NULL || t->cap == 0 || idx == 0)
		return -1;
	for (i = pindex_slot(t, idx); t->v[i].idx != 0;
	    i = (i + 1) & (t->cap - 1))
		if (t->v[i].idx == idx)
			return (ssize_t)i;
	return -1;
}

int
pindex_add(struct agent *a, uint32_t idx, struct session *s)
{
	struct pindex *t = a->pindex;

	if (idx == 0 || pindex_find(t, idx) != -1)
		return -1;
	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			return -1;
		a->pindex = t;
	}
	if ((t->n + 1) * 2 > t->cap && pindex_grow(t) == -1)
		return -1;
	pindex_put(t, idx, s);
	return 0;
}

void
pindex_del(struct agent *a, uint32_t idx)
{
	struct pindex *t = a->pindex;
	ssize_t f;
	size_t i, j, home;

	if ((f = pindex_find(t, idx)) == -1)
		return;
	i = (size_t)f;
	t->v[i].idx = 0;
	t->v[i].s = NULL;
	t->n--;
	/* Shift back the rest of the run, so every entry stays reachable
	 * from its home slot without passing a free one. */
	for (j = (i + 1) & (t->cap - 1); t->v[j].idx != 0;
	    j = (j + 1) & (t->cap - 1)) {
		home = pindex_slot(t, t->v[j].idx);
		/* Move j to the hole i unless its home lies in (i, j]. */
		if (i <= j ? (home <= i || home > j) :
		    (home <= i && home > j)) {
			t->v[i] = t->v[j];
			t->v[j].idx = 0;
			t->v[j].s = NULL;
			i = j;
		}
	}
}

struct session *
pindex_get(struct agent *a, uint32_t idx)
{
	ssize_t f = pindex_find(a->pindex, idx);

	return f == -1 ? NULL : a->pindex->v[f].s;
}

void
pindex_free(struct agent *a)
{
	if (a->pindex != NULL)
		free(a->pindex->v);
	free(a->pindex);
	a->pindex = NULL;
}
