/* SPDX-License-Identifier: ISC */
/*
 * srv_group_sync.c: the blocking forms of the group operations
 * (srv_group.h), for a state that answers at once (the memory backend, in
 * tests and tools). On another backend they refuse without calling
 * anything: the answer would come after the caller's frame is gone.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "srv_group_int.h"

struct gsync {
	enum srv_group_rc	 rc;
	char			*msg;
	size_t			 msglen;
};

static void
gsync_done(enum srv_group_rc rc, void *arg)
{
	((struct gsync *)arg)->rc = rc;
}

static void
gsync_req_done(enum srv_group_rc rc, const char *msg, void *arg)
{
	struct gsync *y = arg;

	y->rc = rc;
	if (y->msg != NULL && y->msglen > 0)
		snprintf(y->msg, y->msglen, "%s", msg);
}

enum srv_group_rc
srv_group_create(struct srv_groups *g, const char *name,
    const struct state_attr *attrs, unsigned nattrs, int mesh, uint64_t now_us)
{
	struct gsync y = { SRV_GROUP_UNAVAILABLE, NULL, 0 };

	if (g->st->immediate)
		srv_group_create_cb(g, name, attrs, nattrs, mesh, now_us,
		    gsync_done, &y);
	return y.rc;
}

enum srv_group_rc
srv_group_destroy(struct srv_groups *g, const char *name, uint64_t now_us)
{
	struct gsync y = { SRV_GROUP_UNAVAILABLE, NULL, 0 };

	if (g->st->immediate)
		srv_group_destroy_cb(g, name, now_us, gsync_done, &y);
	return y.rc;
}

enum srv_group_rc
srv_group_join(struct srv_groups *g, const char *name, const char *peer_id,
    uint64_t now_us)
{
	struct gsync y = { SRV_GROUP_UNAVAILABLE, NULL, 0 };

	if (g->st->immediate)
		srv_group_join_cb(g, name, peer_id, now_us, gsync_done, &y);
	return y.rc;
}

enum srv_group_rc
srv_group_leave(struct srv_groups *g, const char *name, const char *peer_id,
    uint64_t now_us)
{
	struct gsync y = { SRV_GROUP_UNAVAILABLE, NULL, 0 };

	if (g->st->immediate)
		srv_group_leave_cb(g, name, peer_id, now_us, gsync_done, &y);
	return y.rc;
}

enum srv_group_rc
srv_group_request(struct srv_groups *g, const struct state_peer *me,
    enum srv_group_op op, const char *name, uint64_t now_us, char *msg,
    size_t msglen)
{
	struct gsync y = { SRV_GROUP_UNAVAILABLE, msg, msglen };

	if (msglen > 0)
		msg[0] = '\0';
	if (g->st->immediate)
		srv_group_request_cb(g, me, op, name, now_us, gsync_req_done,
		    &y);
	else
		snprintf(msg, msglen, "group %s: %s", name,
		    srv_group_strerror(y.rc));
	return y.rc;
}
