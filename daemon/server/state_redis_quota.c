/* SPDX-License-Identifier: ISC */
/*
 * state_redis_quota.c: the relay quota's shared count (state_redis.h,
 * docs/CLUSTER.md). One script per call (cluster_lua_quota); it changes no
 * view and publishes no event: only the node that asked needs the answer.
 * The answer is Redis's, so it is checked like everything else from there:
 * two integers, the grant no more than was asked, the count no less than
 * the grant and within what a quota can be.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cluster_lua.h"
#include "cluster_redis.h"
#include "log.h"
#include "state_redis_int.h"

#define RS_QUOTA_COUNT_MAX	(1ULL << 52)	/* above any --relay-quota */

struct rs_quota_op {
	struct state_redis	*rs;
	state_quota_cb		 cb;
	void			*arg;
	struct state_quota	 q;
};

static void
rs_quota_reply(const struct redisReply *reply, void *arg)
{
	struct rs_quota_op *op = arg;
	const struct redisReply *c, *g;

	if (op->rs->closing || op->cb == NULL) {
		free(op);
		return;
	}
	op->q.rc = STATE_UNAVAILABLE;
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2 &&
	    (c = reply->element[0])->type == REDIS_REPLY_INTEGER &&
	    (g = reply->element[1])->type == REDIS_REPLY_INTEGER &&
	    g->integer >= 0 && (uint64_t)g->integer <= op->q.want &&
	    c->integer >= g->integer &&
	    (uint64_t)c->integer <= RS_QUOTA_COUNT_MAX) {
		op->q.rc = STATE_OK;
		op->q.count = (uint64_t)c->integer;
		op->q.grant = (uint64_t)g->integer;
	} else if (reply != NULL)
		log_warnx("cluster: a malformed answer about the relay quota "
		    "of %s (ignored)", op->q.peer_id);
	op->cb(&op->q, op->arg);
	free(op);
}

void
state_redis_quota(struct state *st, const char *peer_id, uint32_t tag,
    uint64_t want, uint64_t add, uint64_t back, uint64_t quota,
    uint64_t expires, state_quota_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	char n[5][24];
	const char *argv[9];
	struct rs_quota_op *op;
	struct state_quota q;

	memset(&q, 0, sizeof(q));
	q.rc = STATE_UNAVAILABLE;
	snprintf(q.peer_id, sizeof(q.peer_id), "%s", peer_id);
	q.tag = tag;
	q.want = want;
	if (!state_redis_is(st) || (op = calloc(1, sizeof(*op))) == NULL) {
		if (cb != NULL)
			cb(&q, arg);
		return;
	}
	op->rs = r;
	op->cb = cb;
	op->arg = arg;
	op->q = q;
	snprintf(n[0], sizeof(n[0]), "%llu", (unsigned long long)want);
	snprintf(n[1], sizeof(n[1]), "%llu", (unsigned long long)add);
	snprintf(n[2], sizeof(n[2]), "%llu", (unsigned long long)back);
	snprintf(n[3], sizeof(n[3]), "%llu", (unsigned long long)quota);
	snprintf(n[4], sizeof(n[4]), "%llu", (unsigned long long)expires);
	argv[0] = "EVAL";
	argv[1] = cluster_lua_quota;
	argv[2] = "0";
	argv[3] = peer_id;
	argv[4] = n[0];
	argv[5] = n[1];
	argv[6] = n[2];
	argv[7] = n[3];
	argv[8] = n[4];
	if (clr_command(r->link, rs_quota_reply, op, 9, argv, NULL) == -1) {
		free(op);
		if (cb != NULL)
			cb(&q, arg);
	}
}
