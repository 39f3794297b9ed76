/* SPDX-License-Identifier: ISC */
/*
 * state_redis_match.c: matchmaking tickets in the Redis backend (state.h).
 *
 * Not built yet: a cluster node refuses tickets with STATE_UNAVAILABLE (its
 * agents and API clients hear "cluster state unavailable"), and has no
 * tickets to show. Group lifetimes are read from the view like every other
 * group field.
 */
#include "config.h"

#include <string.h>

#include "state_redis_int.h"

static void
rs_match_refuse(state_match_cb cb, void *arg)
{
	struct state_match_result r;

	if (cb == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.rc = STATE_UNAVAILABLE;
	cb(&r, arg);
}

void
rs_match_add(struct state *st, const struct state_ticket *t,
    const char *group, uint64_t gexp, uint64_t now_ms, state_match_cb cb,
    void *arg)
{
	(void)st;
	(void)t;
	(void)group;
	(void)gexp;
	(void)now_ms;
	rs_match_refuse(cb, arg);
}

void
rs_match_del(struct state *st, const char *peer_id, uint64_t id,
    enum state_ticket_end why, state_match_cb cb, void *arg)
{
	(void)st;
	(void)peer_id;
	(void)id;
	(void)why;
	rs_match_refuse(cb, arg);
}

enum state_rc
rs_match_get(struct state *st, const char *peer_id, struct state_ticket *out)
{
	(void)st;
	(void)peer_id;
	(void)out;
	return STATE_NOT_FOUND;
}

size_t
rs_match_each(struct state *st, state_ticket_cb cb, void *arg)
{
	(void)st;
	(void)cb;
	(void)arg;
	return 0;
}

size_t
rs_match_pools(struct state *st, state_pool_cb cb, void *arg)
{
	(void)st;
	(void)cb;
	(void)arg;
	return 0;
}

void
rs_match_hooks(struct state *st, const struct state_match_hooks *h)
{
	(void)st;
	(void)h;
}

size_t
rs_groups_expired(struct state *st, uint64_t now_unix, state_name_cb cb,
    void *arg)
{
	return state_groups_expired(rs(st)->view, now_unix, cb, arg);
}
