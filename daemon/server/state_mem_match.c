/* SPDX-License-Identifier: ISC */
/*
 * state_mem_match.c: matchmaking tickets in the memory backend (state.h).
 *
 * Tickets sit in a table by peer id (a device holds at most one); the
 * waiting ones also in their pool's queue, oldest first. A pool is keyed by
 * the hash of its size and attributes (match_pool_id) and holds those
 * attributes once for all its tickets. The add that brings a pool to its
 * size makes the match in the same call: the group (named by the caller,
 * mesh, the pool's attributes, a lifetime), its members in the order they
 * asked, the tickets marked matched (an API ticket dropped), then the
 * hooks, then the caller's callback: the order a Redis node sees too.
 *
 * As a cluster node's view (state_mem_ticket_put & co., for
 * state_redis_sync.c) the table only mirrors Redis: no matching, no hooks.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_mem.h"

static struct mem_ticket **
mt_slot(struct state_mem *m, const char *peer)
{
	struct mem_ticket **pp;

	pp = &m->tickets[mem_hash(m, peer, strlen(peer))];
	while (*pp != NULL && strcmp((*pp)->peer, peer) != 0)
		pp = &(*pp)->next;
	return pp;
}

static struct mem_pool **
mp_slot(struct state_mem *m, const char *id)
{
	struct mem_pool **pp;

	pp = &m->pools[mem_hash(m, id, strlen(id))];
	while (*pp != NULL && strcmp((*pp)->id, id) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* The pool of t, made if need be; NULL when out of memory. */
static struct mem_pool *
mp_get(struct state_mem *m, const struct state_ticket *t)
{
	struct mem_pool **pp, *p;
	char id[MATCH_POOL_HEX + 1];
	unsigned n = t->nattrs < MATCH_ATTRS_MAX ? t->nattrs : MATCH_ATTRS_MAX;

	match_pool_id(t->attrs, n, t->size, id);
	if (*(pp = mp_slot(m, id)) != NULL)
		return *pp;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (n > 0 && (p->attrs = calloc(n, sizeof(*p->attrs))) == NULL)) {
		free(p);
		return NULL;
	}
	memcpy(p->id, id, sizeof(p->id));
	p->size = t->size;
	p->nattrs = n;
	if (n > 0)
		memcpy(p->attrs, t->attrs, n * sizeof(*p->attrs));
	*pp = p;
	return p;
}

static void
mp_unref(struct state_mem *m, struct mem_pool *p)
{
	struct mem_pool **pp;

	if (--p->refs > 0)
		return;
	if (*(pp = mp_slot(m, p->id)) == p)
		*pp = p->next;
	free(p->attrs);
	free(p);
}

static void
mq_append(struct mem_pool *p, struct mem_ticket *t)
{
	t->qnext = NULL;
	t->qprev = p->tail;
	if (p->tail != NULL)
		p->tail->qnext = t;
	else
		p->head = t;
	p->tail = t;
	p->waiting++;
}

static void
mq_remove(struct mem_pool *p, struct mem_ticket *t)
{
	if (t->qprev != NULL)
		t->qprev->qnext = t->qnext;
	else
		p->head = t->qnext;
	if (t->qnext != NULL)
		t->qnext->qprev = t->qprev;
	else
		p->tail = t->qprev;
	t->qprev = t->qnext = NULL;
	p->waiting--;
}

static void
mt_out(const struct mem_ticket *t, struct state_ticket *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->peer_id, t->peer, sizeof(out->peer_id));
	memcpy(out->group, t->group, sizeof(out->group));
	out->id = t->id;
	out->deadline_ms = t->deadline_ms;
	out->node = t->node;
	out->kind = (enum state_ticket_kind)t->kind;
	out->size = t->pool->size;
	out->nattrs = t->pool->nattrs;
	if (t->pool->nattrs > 0)	/* attrs is NULL without */
		memcpy(out->attrs, t->pool->attrs, t->pool->nattrs *
		    sizeof(out->attrs[0]));
}

/* Take *pp (a ticket) out of every table and free it. */
static void
mt_remove(struct state_mem *m, struct mem_ticket **pp)
{
	struct mem_ticket *t = *pp;

	*pp = t->next;
	if (t->group[0] == '\0')
		mq_remove(t->pool, t);
	mp_unref(m, t->pool);
	free(t);
	m->ntickets--;
}

/* A ticket as given, waiting (queued) or matched; NULL if no memory. */
static struct mem_ticket *
mt_insert(struct state_mem *m, const struct state_ticket *in)
{
	struct mem_ticket *t, **pp = mt_slot(m, in->peer_id);
	struct mem_pool *p;

	if (*pp != NULL)
		mt_remove(m, pp);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((p = mp_get(m, in)) == NULL) {
		free(t);
		return NULL;
	}
	snprintf(t->peer, sizeof(t->peer), "%s", in->peer_id);
	snprintf(t->group, sizeof(t->group), "%s", in->group);
	t->id = in->id;
	t->deadline_ms = in->deadline_ms;
	t->node = in->node;
	t->kind = (uint8_t)in->kind;
	t->pool = p;
	p->refs++;
	if (t->group[0] == '\0')
		mq_append(p, t);
	t->next = NULL;
	*mt_slot(m, in->peer_id) = t;
	m->ntickets++;
	return t;
}

static void
mm_done(state_match_cb cb, void *arg, enum state_rc rc, int matched,
    const char *group)
{
	struct state_match_result r;

	if (cb == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.rc = rc;
	r.matched = matched;
	if (group != NULL)
		snprintf(r.group, sizeof(r.group), "%s", group);
	cb(&r, arg);
}

/* Mark *pp matched into group (an API ticket goes); keeps it until ... */
static void
mt_matched(struct state_mem *m, struct mem_ticket **pp, const char *group,
    uint64_t keep_until_ms)
{
	struct mem_ticket *t = *pp;

	if (t->kind == STATE_TICKET_API) {
		mt_remove(m, pp);
		return;
	}
	if (t->group[0] == '\0')
		mq_remove(t->pool, t);
	snprintf(t->group, sizeof(t->group), "%s", group);
	if (t->deadline_ms < keep_until_ms)
		t->deadline_ms = keep_until_ms;
}

/* The pool p is full: its oldest `size` tickets make the group. */
static void
mm_form(struct state_mem *m, struct mem_pool *p, const char *group,
    uint64_t gexp, uint64_t now_ms)
{
	struct state_group g;
	struct state_ticket *out;
	unsigned i, n = p->size;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", group);
	g.mesh = 1;
	g.expires_at = gexp;
	for (i = 0; i < p->nattrs && i < STATE_GROUP_ATTRS; i++) {
		snprintf(g.attrs[i].key, sizeof(g.attrs[i].key), "%s",
		    p->attrs[i].key);
		snprintf(g.attrs[i].value, sizeof(g.attrs[i].value), "%s",
		    p->attrs[i].value);
	}
	g.nattrs = i;
	(void)state_group_create(&m->base, &g);	/* checked by the caller */
	out = calloc(n, sizeof(*out));
	p->refs++;		/* p outlives its API tickets here */
	for (i = 0; i < n && p->head != NULL; i++) {
		const char *peer = p->head->peer;

		if (out != NULL)
			mt_out(p->head, &out[i]);
		if (out != NULL)
			snprintf(out[i].group, sizeof(out[i].group), "%s",
			    group);
		(void)state_member_add(&m->base, group, peer);
		mt_matched(m, mt_slot(m, peer), group,
		    now_ms + STATE_MATCH_KEEP_MS);
	}
	mp_unref(m, p);
	if (out != NULL && m->mhooks.matched != NULL)
		m->mhooks.matched(group, out, i, m->mhooks.arg);
	free(out);
}

void
mem_match_add(struct state *st, const struct state_ticket *t,
    const char *group, uint64_t gexp, uint64_t now_ms, state_match_cb cb,
    void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_ticket **pp = mt_slot(m, t->peer_id), *nt;
	struct state_ticket old, in;
	struct state_group g;
	struct mem_pool *p;
	char id[MATCH_POOL_HEX + 1];
	size_t waiting;

	if (t->id == 0 || t->size < MATCH_SIZE_MIN || t->size > MATCH_SIZE_MAX ||
	    t->nattrs > MATCH_ATTRS_MAX || group == NULL ||
	    !p2p_name_valid(group)) {
		mm_done(cb, arg, STATE_FULL, 0, NULL);	/* callers check */
		return;
	}
	if (*pp != NULL) {
		if ((*pp)->id == t->id) {
			mm_done(cb, arg, STATE_EXISTS, (*pp)->group[0] != '\0',
			    (*pp)->group);
			return;
		}
		if ((*pp)->group[0] == '\0') {
			mm_done(cb, arg, STATE_CONFLICT, 0, NULL);
			return;
		}
		/* Matched earlier: a new request replaces that record. */
		mt_out(*pp, &old);
		mt_remove(m, pp);
		if (m->mhooks.ended != NULL)
			m->mhooks.ended(&old, STATE_END_REPLACED,
			    m->mhooks.arg);
	}
	match_pool_id(t->attrs, t->nattrs, t->size, id);
	waiting = (p = *mp_slot(m, id)) != NULL ? p->waiting : 0;
	/* The ticket that completes its pool needs a group to make. */
	if (m->ntickets >= STATE_MATCH_TICKETS ||
	    mem_member_ngroups(m, t->peer_id) >= STATE_PEER_GROUPS ||
	    (waiting + 1 >= t->size && (m->ngroups >= STATE_MAX_GROUPS ||
	    state_group_get(st, group, &g) == STATE_OK))) {
		mm_done(cb, arg, STATE_FULL, 0, NULL);
		return;
	}
	in = *t;
	in.group[0] = '\0';
	if ((nt = mt_insert(m, &in)) == NULL) {
		mm_done(cb, arg, STATE_FULL, 0, NULL);
		return;
	}
	if (nt->pool->waiting >= nt->pool->size) {
		mm_form(m, nt->pool, group, gexp, now_ms);
		mm_done(cb, arg, STATE_OK, 1, group);
		return;
	}
	mm_done(cb, arg, STATE_OK, 0, NULL);
}

void
mem_match_del(struct state *st, const char *peer_id, uint64_t id,
    enum state_ticket_end why, state_match_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_ticket **pp = mt_slot(m, peer_id);
	struct state_ticket old;

	if (*pp == NULL || (id != 0 && (*pp)->id != id)) {
		mm_done(cb, arg, STATE_NOT_FOUND, 0, NULL);
		return;
	}
	mt_out(*pp, &old);
	mt_remove(m, pp);
	if (m->mhooks.ended != NULL)
		m->mhooks.ended(&old, why, m->mhooks.arg);
	mm_done(cb, arg, STATE_OK, old.group[0] != '\0', old.group);
}

enum state_rc
mem_match_get(struct state *st, const char *peer_id, struct state_ticket *out)
{
	struct mem_ticket *t = *mt_slot((struct state_mem *)st, peer_id);

	if (t == NULL)
		return STATE_NOT_FOUND;
	mt_out(t, out);
	return STATE_OK;
}

/* Who holds a ticket now: a copy, since callbacks may change the table. */
struct mt_key {
	mem_name	 peer;
	uint64_t	 id;
};

size_t
mem_match_each(struct state *st, state_ticket_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct state_ticket *out;
	struct mem_ticket *t;
	struct mt_key *keys;
	size_t b, i, n = 0, done = 0;

	if (m->ntickets == 0 ||
	    (keys = calloc(m->ntickets, sizeof(*keys))) == NULL)
		return 0;
	if ((out = malloc(sizeof(*out))) == NULL) {
		free(keys);
		return 0;
	}
	for (b = 0; b < MEM_BUCKETS; b++)
		for (t = m->tickets[b]; t != NULL && n < m->ntickets;
		    t = t->next) {
			memcpy(keys[n].peer, t->peer, sizeof(keys[n].peer));
			keys[n++].id = t->id;
		}
	for (i = 0; i < n; i++) {
		t = *mt_slot(m, keys[i].peer);
		if (t == NULL || t->id != keys[i].id)
			continue;	/* gone meanwhile */
		mt_out(t, out);
		cb(out, arg);
		done++;
	}
	free(out);
	free(keys);
	return done;
}

size_t
mem_match_pools(struct state *st, state_pool_cb cb, void *arg)
{
	struct state_mem *m = (struct state_mem *)st;
	struct state_ticket *out;
	struct mem_pool *p;
	size_t b, n = 0;

	if ((out = malloc(sizeof(*out))) == NULL)
		return 0;
	for (b = 0; b < MEM_BUCKETS; b++)
		for (p = m->pools[b]; p != NULL; p = p->next) {
			if (p->waiting == 0 || p->head == NULL)
				continue;
			mt_out(p->head, out);
			cb(out, p->waiting, arg);	/* must not change m */
			n++;
		}
	free(out);
	return n;
}

void
mem_match_hooks(struct state *st, const struct state_match_hooks *h)
{
	((struct state_mem *)st)->mhooks = *h;
}

void
mem_match_free_all(struct state_mem *m)
{
	size_t b;

	for (b = 0; b < MEM_BUCKETS; b++)
		while (m->tickets[b] != NULL)
			mt_remove(m, &m->tickets[b]);
}

/* A cluster node's view ------------------------------------------------ */

int
state_mem_ticket_put(struct state *st, const struct state_ticket *t)
{
	if (t->nattrs > MATCH_ATTRS_MAX || t->size < MATCH_SIZE_MIN ||
	    t->size > MATCH_SIZE_MAX || t->id == 0)
		return -1;
	return mt_insert((struct state_mem *)st, t) == NULL ? -1 : 0;
}

int
state_mem_ticket_drop(struct state *st, const char *peer_id, uint64_t id,
    struct state_ticket *old)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_ticket **pp = mt_slot(m, peer_id);

	if (*pp == NULL || (*pp)->id != id)
		return -1;
	if (old != NULL)
		mt_out(*pp, old);
	mt_remove(m, pp);
	return 0;
}

int
state_mem_ticket_matched(struct state *st, const char *peer_id, uint64_t id,
    const char *group, uint64_t keep_until_ms, struct state_ticket *old)
{
	struct state_mem *m = (struct state_mem *)st;
	struct mem_ticket **pp = mt_slot(m, peer_id);

	if (*pp == NULL || (*pp)->id != id)
		return -1;
	if (old != NULL) {
		mt_out(*pp, old);
		snprintf(old->group, sizeof(old->group), "%s", group);
	}
	mt_matched(m, pp, group, keep_until_ms);
	return 0;
}

static const char *const state_end_words[] = {
	[STATE_END_CANCELLED] = "cancelled",
	[STATE_END_TIMEOUT] = "timeout",
	[STATE_END_GONE] = "gone",
	[STATE_END_REPLACED] = "replaced",
	[STATE_END_DONE] = "done",
};

const char *
state_ticket_end_word(enum state_ticket_end e)
{
	if ((unsigned)e >= sizeof(state_end_words) / sizeof(state_end_words[0]))
		return "?";
	return state_end_words[e];
}

int
state_ticket_end_parse(const char *w, enum state_ticket_end *out)
{
	unsigned i;

	for (i = 0; i < sizeof(state_end_words) / sizeof(state_end_words[0]);
	    i++)
		if (strcmp(w, state_end_words[i]) == 0) {
			*out = (enum state_ticket_end)i;
			return 0;
		}
	return -1;
}
