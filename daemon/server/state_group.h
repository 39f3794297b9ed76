/* SPDX-License-Identifier: ISC */
/*
 * state_group.h: the state interface's calls on server-managed groups,
 * their members and matchmaking tickets (the types and the rest of the
 * interface are state.h's, which includes this at its end).
 */
#ifndef P2P_STATE_GROUP_H
#define P2P_STATE_GROUP_H

#include "state.h"

/* STATE_EXISTS if a group of that name exists; STATE_FULL at the cap. */
static inline void
state_group_create_cb(struct state *st, const struct state_group *g,
    state_done_cb cb, void *arg)
{
	st->ops->group_create(st, g, cb, arg);
}

static inline enum state_rc
state_group_create(struct state *st, const struct state_group *g)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->group_create(st, g, state_keep_result, &r);
	return r.rc;
}

/* Removes the group and its memberships. */
static inline void
state_group_destroy_cb(struct state *st, const char *name,
    state_done_cb cb, void *arg)
{
	st->ops->group_destroy(st, name, cb, arg);
}

static inline enum state_rc
state_group_destroy(struct state *st, const char *name)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->group_destroy(st, name, state_keep_result, &r);
	return r.rc;
}

static inline enum state_rc
state_group_get(struct state *st, const char *name, struct state_group *out)
{
	return st->ops->group_get(st, name, out);
}

/* Every group name; returns the number of groups. */
static inline size_t
state_group_each(struct state *st, state_name_cb cb, void *arg)
{
	return st->ops->group_each(st, cb, arg);
}

/* STATE_NOT_FOUND: no such group; STATE_EXISTS: already a member. */
static inline void
state_member_add_cb(struct state *st, const char *group, const char *peer_id,
    state_done_cb cb, void *arg)
{
	st->ops->member_add(st, group, peer_id, cb, arg);
}

static inline enum state_rc
state_member_add(struct state *st, const char *group, const char *peer_id)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->member_add(st, group, peer_id, state_keep_result, &r);
	return r.rc;
}

static inline void
state_member_del_cb(struct state *st, const char *group, const char *peer_id,
    state_done_cb cb, void *arg)
{
	st->ops->member_del(st, group, peer_id, cb, arg);
}

static inline enum state_rc
state_member_del(struct state *st, const char *group, const char *peer_id)
{
	struct state_result r = { STATE_UNAVAILABLE, 0 };

	if (st->immediate)
		st->ops->member_del(st, group, peer_id, state_keep_result, &r);
	return r.rc;
}

static inline int
state_member_has(struct state *st, const char *group, const char *peer_id)
{
	return st->ops->member_has(st, group, peer_id);
}

/* Members of a group, in the order they joined. */
static inline size_t
state_member_each(struct state *st, const char *group, state_name_cb cb,
    void *arg)
{
	return st->ops->member_each(st, group, cb, arg);
}

/* The server-managed groups a peer belongs to (not its token groups). */
static inline size_t
state_peer_groups(struct state *st, const char *peer_id, state_name_cb cb,
    void *arg)
{
	return st->ops->peer_groups(st, peer_id, cb, arg);
}

/* The groups whose lifetime (expires_at) ended by now_unix. */
static inline size_t
state_groups_expired(struct state *st, uint64_t now_unix, state_name_cb cb,
    void *arg)
{
	return st->ops->groups_expired(st, now_unix, cb, arg);
}

/*
 * A ticket (state_ticket above; peer_id, id, size, attrs, node, kind and
 * deadline_ms filled in). When it completes its pool, the match group is
 * made in the same step: named group (a fresh name), mesh, the tickets'
 * attributes, expiring at group_expires (unix s), with the pool's oldest
 * `size` devices as members in the order they asked. now_ms (unix) sets
 * how long matched tickets are kept.
 */
static inline void
state_match_add_cb(struct state *st, const struct state_ticket *t,
    const char *group, uint64_t group_expires, uint64_t now_ms,
    state_match_cb cb, void *arg)
{
	st->ops->match_add(st, t, group, group_expires, now_ms, cb, arg);
}

/* End the ticket of peer_id (id 0: whichever it holds), for why. */
static inline void
state_match_del_cb(struct state *st, const char *peer_id, uint64_t id,
    enum state_ticket_end why, state_match_cb cb, void *arg)
{
	st->ops->match_del(st, peer_id, id, why, cb, arg);
}

static inline enum state_rc
state_match_get(struct state *st, const char *peer_id,
    struct state_ticket *out)
{
	return st->ops->match_get(st, peer_id, out);
}

/* Every ticket, waiting or matched (walks copies). */
static inline size_t
state_match_each(struct state *st, state_ticket_cb cb, void *arg)
{
	return st->ops->match_each(st, cb, arg);
}

/* Every pool with waiting tickets. */
static inline size_t
state_match_pools(struct state *st, state_pool_cb cb, void *arg)
{
	return st->ops->match_pools(st, cb, arg);
}

static inline void
state_match_hooks(struct state *st, const struct state_match_hooks *h)
{
	st->ops->match_hooks(st, h);
}

#endif /* P2P_STATE_GROUP_H */
