/* SPDX-License-Identifier: ISC */
/*
 * state_mem_intro.c: introductions in the memory backend (state.h): each
 * registered peer keeps a capped array of the ids it was introduced to, on
 * both sides of a pair; a registration that ends takes its introductions
 * with it (mem_intro_clear).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_mem.h"

static int
mem_intro_index(struct mem_peer *mp, const char *other)
{
	unsigned i;

	for (i = 0; i < mp->nintros; i++)
		if (strcmp(mp->intros[i], other) == 0)
			return (int)i;
	return -1;
}

static void
mem_intro_remove_one(struct mem_peer *mp, const char *other)
{
	int i = mem_intro_index(mp, other);

	if (i < 0)
		return;
	mp->nintros--;
	if ((unsigned)i != mp->nintros)
		memcpy(mp->intros[i], mp->intros[mp->nintros],
		    sizeof(mp->intros[i]));
	if (mp->nintros == 0) {
		free(mp->intros);
		mp->intros = NULL;
	}
}

/* Drop every introduction of mp, on both sides. */
void
mem_intro_clear(struct state_mem *m, struct mem_peer *mp)
{
	struct mem_peer *o;
	unsigned i;

	for (i = 0; i < mp->nintros; i++)
		if ((o = *mem_id_slot(m, mp->intros[i])) != NULL)
			mem_intro_remove_one(o, mp->peer_id);
	free(mp->intros);
	mp->intros = NULL;
	mp->nintros = 0;
}

static enum state_rc
mem_intro_add_now(struct state_mem *m, const char *a, const char *b)
{
	struct mem_peer *pa, *pb, *side[2];
	const char *other[2] = { b, a };
	void *nv;
	int i;

	if ((pa = mem_find_registered(m, a)) == NULL ||
	    (pb = mem_find_registered(m, b)) == NULL || pa == pb)
		return STATE_NOT_FOUND;
	if (mem_intro_index(pa, b) >= 0)
		return STATE_OK;
	if (pa->nintros >= STATE_MAX_INTROS || pb->nintros >= STATE_MAX_INTROS)
		return STATE_FULL;
	side[0] = pa;
	side[1] = pb;
	for (i = 0; i < 2; i++) {
		nv = reallocarray(side[i]->intros, side[i]->nintros + 1,
		    sizeof(*side[i]->intros));
		if (nv == NULL) {
			if (i == 1)
				mem_intro_remove_one(pa, b);
			return STATE_FULL;
		}
		side[i]->intros = nv;
		snprintf(side[i]->intros[side[i]->nintros++],
		    sizeof(side[i]->intros[0]), "%s", other[i]);
	}
	return STATE_OK;
}

void
mem_intro_add(struct state *st, const char *a, const char *b,
    state_done_cb cb, void *arg)
{
	state_answer(cb, arg, mem_intro_add_now((struct state_mem *)st, a, b), 0);
}

void
mem_intro_del(struct state *st, const char *a, const char *b,
    state_done_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_peer *pa = *mem_id_slot(m, a), *pb = *mem_id_slot(m, b);

	if (pa == NULL || pb == NULL || mem_intro_index(pa, b) < 0) {
		state_answer(cb, arg, STATE_NOT_FOUND, 0);
		return;
	}
	mem_intro_remove_one(pa, b);
	mem_intro_remove_one(pb, a);
	state_answer(cb, arg, STATE_OK, 0);
}

int
mem_intro_has(struct state *st, const char *a, const char *b)
{
	struct mem_peer *pa = *mem_id_slot((struct state_mem *)st, a);

	return pa != NULL && mem_intro_index(pa, b) >= 0;
}

size_t
mem_intro_each(struct state *st, const char *peer_id, state_intro_cb cb,
    void *arg)
{
	struct mem_peer *mp = *mem_id_slot((struct state_mem *)st, peer_id);

	if (mp == NULL || mp->nintros == 0)
		return 0;
	/* The callback may change the introductions: walk a copy. */
	return mem_each_copy(mp->intros, mp->nintros, cb, arg);
}

