/* SPDX-License-Identifier: ISC */
/*
 * state_mem_view.c: what the Redis backend (state_redis.c) needs from a
 * memory state used as the node's view of the cluster: changes that Redis
 * already decided, applied without the checks of the ops table (a view
 * never refuses what the cluster did), and walks by node.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "state_mem.h"

static struct state_mem *
view(struct state *st)
{
	return (struct state_mem *)st;
}

int
state_mem_put(struct state *st, const struct state_peer *p,
    uint32_t *replaced, uint16_t *replaced_node)
{
	struct state_mem *m = view(st);
	struct mem_peer **pp, *mp, *other;

	*replaced = 0;
	*replaced_node = 0;
	if (p->reg_id == 0)
		return -1;
	/* A reg_id is the cluster's: whoever held it is gone. */
	if ((other = mem_find_reg(m, p->reg_id)) != NULL &&
	    strcmp(other->peer_id, p->peer_id) != 0)
		mem_unlink_reg(m, other);
	pp = mem_id_slot(m, p->peer_id);
	if ((mp = *pp) != NULL) {
		if (mp->reg_id == p->reg_id && mp->node == p->node)
			return mem_peer_fill(mp, p);	/* the same again */
		*replaced = mp->reg_id;
		*replaced_node = mp->node;
		mem_unlink_reg(m, mp);			/* now a pin */
		if (mem_peer_fill(mp, p) == -1)
			return -1;
		mem_pin_unlink(m, mp);
	} else {
		if ((mp = calloc(1, sizeof(*mp))) == NULL)
			return -1;
		if (mem_peer_fill(mp, p) == -1) {
			free(mp);
			return -1;
		}
		*pp = mp;
	}
	pp = mem_reg_slot(m, p->reg_id);
	mp->next_reg = NULL;
	*pp = mp;
	m->nregs++;
	m->nregs_node[mp->node]++;
	mem_pins_trim(m);
	return 0;
}

int
state_mem_drop(struct state *st, const char *peer_id, uint32_t reg_id)
{
	struct state_mem *m = view(st);
	struct mem_peer *mp = mem_find_reg(m, reg_id);

	if (mp == NULL || strcmp(mp->peer_id, peer_id) != 0)
		return 0;
	mem_unlink_reg(m, mp);
	mem_pins_trim(m);
	return 1;
}

int
state_mem_nat(struct state *st, const struct state_peer *p)
{
	struct mem_peer *mp = mem_find_reg(view(st), p->reg_id);

	if (mp == NULL || strcmp(mp->peer_id, p->peer_id) != 0)
		return -1;
	return mem_peer_nat(mp, p);
}

/* The registrations of node (all, when all is set) through cb. */
static size_t
view_walk(struct state_mem *m, uint16_t node, int unlink,
    void (*cb)(const struct state_peer *, void *), void *arg)
{
	struct mem_peer *mp, *next;
	struct state_peer *p;
	size_t b, n = 0;

	if ((p = malloc(sizeof(*p))) == NULL)
		return 0;
	for (b = 0; b < MEM_BUCKETS; b++)
		for (mp = m->by_id[b]; mp != NULL; mp = next) {
			next = mp->next_id;
			if (mp->reg_id == 0 || mp->node != node)
				continue;
			n++;
			if (cb != NULL) {
				mem_peer_out(mp, p);
				cb(p, arg);
			}
			if (unlink)
				mem_unlink_reg(m, mp);	/* stays in by_id */
		}
	free(p);
	if (unlink)
		mem_pins_trim(m);
	return n;
}

size_t
state_mem_reap(struct state *st, uint16_t node,
    void (*cb)(const struct state_peer *, void *), void *arg)
{
	return view_walk(view(st), node, 1, cb, arg);
}

size_t
state_mem_each_node(struct state *st, uint16_t node,
    void (*cb)(const struct state_peer *, void *), void *arg)
{
	return view_walk(view(st), node, 0, cb, arg);
}

size_t
state_mem_count_node(struct state *st, uint16_t node)
{
	return node < STATE_NODES ? view(st)->nregs_node[node] : 0;
}

size_t
state_mem_expire_node(struct state *st, uint16_t node, uint64_t now_us,
    uint64_t idle_us, state_drop_cb cb, void *arg)
{
	struct state_mem *m = view(st);
	struct mem_peer *mp, *next;
	size_t b, n = 0;
	uint32_t reg_id;

	for (b = 0; b < MEM_BUCKETS; b++)
		for (mp = m->by_id[b]; mp != NULL; mp = next) {
			next = mp->next_id;
			reg_id = mp->reg_id;
			if (reg_id == 0 || mp->node != node ||
			    now_us < mp->last_seen_us ||
			    now_us - mp->last_seen_us < idle_us)
				continue;
			mem_unlink_reg(m, mp);
			n++;
			if (cb != NULL)
				cb(reg_id, mp->peer_id, arg);
		}
	mem_pins_trim(m);
	return n;
}

size_t
state_mem_each_registered(struct state *st,
    void (*cb)(const struct state_peer *, void *), void *arg)
{
	struct state_mem *m = view(st);
	struct mem_peer *mp;
	struct state_peer *p;
	size_t b, n = 0;

	if ((p = malloc(sizeof(*p))) == NULL)
		return 0;
	for (b = 0; b < MEM_BUCKETS; b++)
		for (mp = m->by_id[b]; mp != NULL; mp = mp->next_id)
			if (mp->reg_id != 0) {
				mem_peer_out(mp, p);
				cb(p, arg);
				n++;
			}
	free(p);
	return n;
}
