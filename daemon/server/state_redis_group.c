/* SPDX-License-Identifier: ISC */
/*
 * state_redis_group.c: groups in the Redis backend (state_redis.h): each
 * change one script, reads from the view.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cluster_lua.h"
#include "state_redis_int.h"

void
rs_group_create(struct state *st, const struct state_group *g,
    state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	const char *argv[4 + 2 * STATE_GROUP_ATTRS];
	char origin[8], max[16];
	unsigned i, n = 4;

	snprintf(origin, sizeof(origin), "%u", r->slot);
	snprintf(max, sizeof(max), "%d", STATE_MAX_GROUPS);
	argv[0] = g->name;
	argv[1] = g->mesh ? "1" : "0";
	argv[2] = origin;
	argv[3] = max;
	for (i = 0; i < g->nattrs && i < STATE_GROUP_ATTRS; i++) {
		argv[n++] = g->attrs[i].key;
		argv[n++] = g->attrs[i].value;
	}
	(void)rs_eval(r, cluster_lua_group_create, (int)n, argv, NULL, cb, arg);
}

void
rs_group_destroy(struct state *st, const char *name, state_done_cb cb,
    void *arg)
{
	struct state_redis *r = rs(st);
	const char *argv[2];
	char origin[8];

	snprintf(origin, sizeof(origin), "%u", r->slot);
	argv[0] = name;
	argv[1] = origin;
	(void)rs_eval(r, cluster_lua_group_destroy, 2, argv, NULL, cb, arg);
}

enum state_rc
rs_group_get(struct state *st, const char *name, struct state_group *out)
{
	return state_group_get(rs(st)->view, name, out);
}

size_t
rs_group_each(struct state *st, state_name_cb cb, void *arg)
{
	return state_group_each(rs(st)->view, cb, arg);
}

void
rs_member_add(struct state *st, const char *group, const char *peer_id,
    state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	char origin[8], gmax[16], pmax[16];
	const char *argv[5];

	snprintf(origin, sizeof(origin), "%u", r->slot);
	snprintf(gmax, sizeof(gmax), "%d", STATE_GROUP_MEMBERS);
	snprintf(pmax, sizeof(pmax), "%d", STATE_PEER_GROUPS);
	argv[0] = group;
	argv[1] = peer_id;
	argv[2] = origin;
	argv[3] = gmax;
	argv[4] = pmax;
	(void)rs_eval(r, cluster_lua_member_add, 5, argv, NULL, cb, arg);
}

void
rs_member_del(struct state *st, const char *group, const char *peer_id,
    state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	const char *argv[3];
	char origin[8];

	snprintf(origin, sizeof(origin), "%u", r->slot);
	argv[0] = group;
	argv[1] = peer_id;
	argv[2] = origin;
	(void)rs_eval(r, cluster_lua_member_del, 3, argv, NULL, cb, arg);
}

int
rs_member_has(struct state *st, const char *group, const char *peer_id)
{
	return state_member_has(rs(st)->view, group, peer_id);
}

size_t
rs_member_each(struct state *st, const char *group, state_name_cb cb,
    void *arg)
{
	return state_member_each(rs(st)->view, group, cb, arg);
}

size_t
rs_peer_groups(struct state *st, const char *peer_id, state_name_cb cb,
    void *arg)
{
	return state_peer_groups(rs(st)->view, peer_id, cb, arg);
}

