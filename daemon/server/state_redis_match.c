/* SPDX-License-Identifier: ISC */
/*
 * state_redis_match.c: matchmaking tickets in the Redis backend (state.h):
 * each change one script (cluster_lua_match.c), answered once this node's
 * view holds its events; reads from the view. The view follows the TA, TG,
 * TM and TD events (cluster_ev.h) and tells the match hooks of every node:
 * a match formed anywhere, a ticket ended anywhere.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_lua.h"
#include "log.h"
#include "state_redis_int.h"

/* A ticket write waiting for its events. */
struct rs_mop {
	struct state_redis	*r;
	char			 peer[P2P_NAME_MAX + 1];
	uint64_t		 id;
	char			 group[P2P_NAME_MAX + 1];	/* add: its name */
	state_match_cb		 cb;
	void			*arg;
};

static void
rs_match_answer(state_match_cb cb, void *arg, enum state_rc rc, int matched,
    const char *group)
{
	struct state_match_result res;

	if (cb == NULL)
		return;
	memset(&res, 0, sizeof(res));
	res.rc = rc;
	res.matched = matched;
	if (group != NULL)
		snprintf(res.group, sizeof(res.group), "%s", group);
	cb(&res, arg);
}

/* The add's events are in the view: did it make the match? */
static void
rs_match_added(const struct state_result *r, void *arg)
{
	struct rs_mop *op = arg;
	struct state *v = op->r->view;
	struct state_group g;
	struct state_ticket t;

	if (r->rc == STATE_OK)
		rs_match_answer(op->cb, op->arg, STATE_OK,
		    state_group_get(v, op->group, &g) == STATE_OK, op->group);
	else if (r->rc == STATE_EXISTS && state_match_get(v, op->peer,
	    &t) == STATE_OK && t.id == op->id)
		rs_match_answer(op->cb, op->arg, STATE_EXISTS,
		    t.group[0] != '\0', t.group);
	else
		rs_match_answer(op->cb, op->arg, r->rc == STATE_EXISTS ?
		    STATE_EXISTS : r->rc, 0, NULL);
	free(op);
}

void
rs_match_add(struct state *st, const struct state_ticket *t,
    const char *group, uint64_t gexp, uint64_t now_ms, state_match_cb cb,
    void *arg)
{
	struct state_redis *r = rs(st);
	const char *argv[14 + 2 * MATCH_ATTRS_MAX];
	char id[24], size[8], node[8], kind[4], dl[24], pool[MATCH_POOL_HEX + 1];
	char exp[24], keep[24], origin[8], tmax[16], gmax[16], pgmax[16];
	struct rs_mop *op;
	unsigned i, n = 14;

	if (t->id == 0 || t->nattrs > MATCH_ATTRS_MAX || group == NULL ||
	    !p2p_name_valid(group) || (op = calloc(1, sizeof(*op))) == NULL) {
		rs_match_answer(cb, arg, STATE_FULL, 0, NULL);
		return;
	}
	op->r = r;
	snprintf(op->peer, sizeof(op->peer), "%s", t->peer_id);
	op->id = t->id;
	snprintf(op->group, sizeof(op->group), "%s", group);
	op->cb = cb;
	op->arg = arg;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)t->id);
	snprintf(size, sizeof(size), "%u", t->size);
	snprintf(node, sizeof(node), "%u", r->slot);
	snprintf(kind, sizeof(kind), "%d", t->kind == STATE_TICKET_AGENT);
	snprintf(dl, sizeof(dl), "%llu", (unsigned long long)t->deadline_ms);
	match_pool_id(t->attrs, t->nattrs, t->size, pool);
	snprintf(exp, sizeof(exp), "%llu", (unsigned long long)gexp);
	snprintf(keep, sizeof(keep), "%llu",
	    (unsigned long long)(now_ms + STATE_MATCH_KEEP_MS));
	snprintf(origin, sizeof(origin), "%u", r->slot);
	snprintf(tmax, sizeof(tmax), "%d", STATE_MATCH_TICKETS);
	snprintf(gmax, sizeof(gmax), "%d", STATE_MAX_GROUPS);
	snprintf(pgmax, sizeof(pgmax), "%d", STATE_PEER_GROUPS);
	argv[0] = t->peer_id;
	argv[1] = id;
	argv[2] = size;
	argv[3] = node;
	argv[4] = kind;
	argv[5] = dl;
	argv[6] = pool;
	argv[7] = group;
	argv[8] = exp;
	argv[9] = keep;
	argv[10] = origin;
	argv[11] = tmax;
	argv[12] = gmax;
	argv[13] = pgmax;
	for (i = 0; i < t->nattrs; i++) {
		argv[n++] = t->attrs[i].key;
		argv[n++] = t->attrs[i].value;
	}
	(void)rs_eval(r, cluster_lua_match_add, (int)n, argv, NULL,
	    rs_match_added, op);
}

static void
rs_match_deleted(const struct state_result *r, void *arg)
{
	struct rs_mop *op = arg;

	rs_match_answer(op->cb, op->arg, r->rc, 0, NULL);
	free(op);
}

void
rs_match_del(struct state *st, const char *peer_id, uint64_t id,
    enum state_ticket_end why, state_match_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	const char *argv[3];
	char ids[24];
	struct rs_mop *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		rs_match_answer(cb, arg, STATE_FULL, 0, NULL);
		return;
	}
	op->r = r;
	op->cb = cb;
	op->arg = arg;
	snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
	argv[0] = peer_id;
	argv[1] = ids;
	argv[2] = state_ticket_end_word(why);
	(void)rs_eval(r, cluster_lua_match_del, 3, argv, NULL,
	    rs_match_deleted, op);
}

enum state_rc
rs_match_get(struct state *st, const char *peer_id, struct state_ticket *out)
{
	return state_match_get(rs(st)->view, peer_id, out);
}

size_t
rs_match_each(struct state *st, state_ticket_cb cb, void *arg)
{
	return state_match_each(rs(st)->view, cb, arg);
}

size_t
rs_match_pools(struct state *st, state_pool_cb cb, void *arg)
{
	return state_match_pools(rs(st)->view, cb, arg);
}

void
rs_match_hooks(struct state *st, const struct state_match_hooks *h)
{
	rs(st)->mhooks = *h;
}

size_t
rs_groups_expired(struct state *st, uint64_t now_unix, state_name_cb cb,
    void *arg)
{
	return state_groups_expired(rs(st)->view, now_unix, cb, arg);
}

/* Events ------------------------------------------------------------------ */

/* TM: group keep [peer id]...: mark them matched, tell the hooks. */
static void
rs_ev_matched(struct state_redis *r, struct state *v,
    const struct cluster_ev *ev, int notify)
{
	const char *group = cluster_ev_name(ev, 0), *peer;
	struct state_ticket *ts;
	uint64_t keep, id;
	unsigned i;
	size_t n = 0;

	if (group == NULL || cluster_ev_num(ev, 1, UINT64_MAX - 1, &keep) ==
	    -1 || ev->nf % 2 != 0 ||
	    (ts = calloc(ev->nf / 2, sizeof(*ts))) == NULL)
		return;
	for (i = 2; i + 1 < ev->nf; i += 2) {
		if ((peer = cluster_ev_name(ev, i)) == NULL ||
		    cluster_ev_num(ev, i + 1, UINT64_MAX - 1, &id) == -1)
			continue;
		if (state_mem_ticket_matched(v, peer, id, group, keep,
		    &ts[n]) == 0)
			n++;
	}
	if (notify && n > 0 && r->mhooks.matched != NULL)
		r->mhooks.matched(group, ts, n, r->mhooks.arg);
	free(ts);
}

void
rs_apply_match(struct state_redis *r, struct state *v,
    const struct cluster_ev *ev, int notify)
{
	const char *peer = cluster_ev_name(ev, 0);
	struct state_ticket t;
	enum state_ticket_end why;
	uint64_t id, n;

	if (strcmp(ev->type, "TA") == 0) {
		if (cluster_ev_ticket(ev, &t) == -1 ||
		    state_mem_ticket_put(v, &t) == -1)
			log_warnx("cluster: a bad or unkept ticket (change "
			    "%llu)", (unsigned long long)ev->seq);
	} else if (strcmp(ev->type, "TG") == 0) {
		if (peer != NULL && cluster_ev_num(ev, 1, UINT64_MAX - 1,
		    &id) == 0 && cluster_ev_name(ev, 2) != NULL &&
		    cluster_ev_num(ev, 3, UINT64_MAX - 1, &n) == 0)
			(void)state_mem_ticket_matched(v, peer, id,
			    ev->f[2], n, NULL);
	} else if (strcmp(ev->type, "TM") == 0)
		rs_ev_matched(r, v, ev, notify);
	else if (strcmp(ev->type, "TD") == 0) {
		if (peer == NULL || cluster_ev_num(ev, 1, UINT64_MAX - 1,
		    &id) == -1 || state_ticket_end_parse(ev->f[2], &why) == -1 ||
		    state_mem_ticket_drop(v, peer, id, &t) == -1)
			return;
		if (notify && r->mhooks.ended != NULL)
			r->mhooks.ended(&t, why, r->mhooks.arg);
	} else if (strcmp(ev->type, "GL") == 0) {
		if (peer != NULL && cluster_ev_num(ev, 1, UINT64_MAX - 1,
		    &n) == 0)
			(void)state_mem_group_expires(v, peer, n);
	}
}
