/* SPDX-License-Identifier: ISC */
/*
 * state_redis.c: the Redis backend (state_redis.h): the ops table. Reads go
 * to the view; each write is one script whose reply either refuses at once
 * or gives the number of the write's event, which the callback then waits
 * for (state_redis_write.c).
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "addr.h"
#include "cluster_lua.h"
#include "cluster_redis.h"
#include "log.h"
#include "state_redis_int.h"

static void
rs_reg(struct state *st, const struct state_peer *p, uint64_t now_unix,
    state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	struct state_peer q = *p;

	if (state_mem_count_node(r->view, r->slot) >= r->max_local) {
		state_answer(cb, arg, STATE_FULL, 0);
		return;
	}
	q.node = r->slot;
	(void)rs_send_register(r, &q, now_unix, 0, cb, arg);
}

static enum state_rc
rs_get(struct state *st, const char *peer_id, struct state_peer *out)
{
	return state_get(rs(st)->view, peer_id, out);
}

static enum state_rc
rs_get_reg(struct state *st, uint32_t reg_id, struct state_peer *out)
{
	return state_get_reg(rs(st)->view, reg_id, out);
}

static enum state_rc
rs_touch(struct state *st, uint32_t reg_id, const struct sockaddr *addr,
    uint64_t now_us)
{
	return state_touch(rs(st)->view, reg_id, addr, now_us);
}

/* The view forgets it now (this node decided); Redis follows. */
static void
rs_unreg(struct state *st, uint32_t reg_id, state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	struct state_peer p;

	if (state_get_reg(r->view, reg_id, &p) != STATE_OK) {
		state_answer(cb, arg, STATE_NOT_FOUND, 0);
		return;
	}
	(void)state_mem_drop(r->view, p.peer_id, reg_id);
	(void)rs_send_unregister(r, p.peer_id, reg_id);
	state_answer(cb, arg, STATE_OK, 0);
}

struct rs_expire {
	struct state_redis	*r;
	state_drop_cb		 cb;
	void			*arg;
};

static void
rs_expired(uint32_t reg_id, const char *peer_id, void *arg)
{
	struct rs_expire *e = arg;

	(void)rs_send_unregister(e->r, peer_id, reg_id);
	if (e->cb != NULL)
		e->cb(reg_id, peer_id, e->arg);
}

static size_t
rs_expire_op(struct state *st, uint64_t now_us, uint64_t idle_us,
    uint64_t now_unix, state_drop_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	struct rs_expire e = { r, cb, arg };

	(void)now_unix;		/* pins expire in Redis (EXPIREAT) */
	return state_mem_expire_node(r->view, r->slot, now_us, idle_us,
	    rs_expired, &e);
}

static void
rs_intro_add(struct state *st, const char *a, const char *b,
    state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	char origin[8], max[16];
	const char *argv[4];

	snprintf(origin, sizeof(origin), "%u", r->slot);
	snprintf(max, sizeof(max), "%d", STATE_MAX_INTROS);
	argv[0] = a;
	argv[1] = b;
	argv[2] = origin;
	argv[3] = max;
	(void)rs_eval(r, cluster_lua_intro_add, 4, argv, NULL, cb, arg);
}

static void
rs_intro_del(struct state *st, const char *a, const char *b,
    state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	char origin[8];
	const char *argv[4];

	/* This node pushes its own withdrawals: the view follows at once. */
	(void)state_intro_del(r->view, a, b);
	snprintf(origin, sizeof(origin), "%u", r->slot);
	argv[0] = a;
	argv[1] = b;
	argv[2] = origin;
	argv[3] = "";
	(void)rs_eval(r, cluster_lua_intro_del, 4, argv, NULL, cb, arg);
}

static int
rs_intro_has(struct state *st, const char *a, const char *b)
{
	return state_intro_has(rs(st)->view, a, b);
}

static size_t
rs_intro_each(struct state *st, const char *peer_id, state_intro_cb cb,
    void *arg)
{
	return state_intro_each(rs(st)->view, peer_id, cb, arg);
}

/* The registrations of this node. */
static size_t
rs_count(struct state *st)
{
	return state_mem_count_node(rs(st)->view, rs(st)->slot);
}

static int
rs_health(struct state *st, char *why, size_t len)
{
	struct state_redis *r = rs(st);

	if (!clr_is_up(r->link)) {
		snprintf(why, len, "cluster state unavailable: %s",
		    clr_why(r->link));
		return -1;
	}
	if (!r->synced) {
		snprintf(why, len, "cluster state unavailable: loading the "
		    "state from redis");
		return -1;
	}
	return 0;
}

static enum state_rc
rs_sync(struct state *st, char *err, size_t errlen)
{
	(void)st;
	(void)err;
	(void)errlen;
	return STATE_OK;	/* Redis's own persistence (docs/CLUSTER.md) */
}

static void
rs_free(struct state *st)
{
	struct state_redis *r = rs(st);
	struct rs_wait *w;

	r->closing = 1;
	while ((w = r->wait_head) != NULL) {
		r->wait_head = w->next;
		free(w);
	}
	rs_buf_free(r);
	state_free(r->next_view);
	state_free(r->view);
	free(r);
}

static const struct state_ops rs_ops = {
	.reg = rs_reg,
	.get = rs_get,
	.get_reg = rs_get_reg,
	.touch = rs_touch,
	.unreg = rs_unreg,
	.expire = rs_expire_op,
	.intro_add = rs_intro_add,
	.intro_del = rs_intro_del,
	.intro_has = rs_intro_has,
	.intro_each = rs_intro_each,
	.count = rs_count,
	.group_create = rs_group_create,
	.group_destroy = rs_group_destroy,
	.group_get = rs_group_get,
	.group_each = rs_group_each,
	.member_add = rs_member_add,
	.member_del = rs_member_del,
	.member_has = rs_member_has,
	.member_each = rs_member_each,
	.peer_groups = rs_peer_groups,
	.groups_expired = rs_groups_expired,
	.match_add = rs_match_add,
	.match_del = rs_match_del,
	.match_get = rs_match_get,
	.match_each = rs_match_each,
	.match_pools = rs_match_pools,
	.match_hooks = rs_match_hooks,
	.barrier = rs_barrier,
	.health = rs_health,
	.sync = rs_sync,
	.free = rs_free,
};

struct state *
state_redis_new(struct clr *link, uint16_t slot, size_t max_local,
    const struct state_redis_hooks *hooks)
{
	struct state_redis *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->view = state_mem_new(STATE_REDIS_VIEW_MAX)) == NULL) {
		free(r);
		return NULL;
	}
	state_mem_set_max_pins(r->view, 0);	/* pins live in Redis */
	r->base.ops = &rs_ops;
	r->base.immediate = 0;
	r->link = link;
	r->slot = slot;
	r->max_local = max_local;
	if (hooks != NULL)
		r->hooks = *hooks;
	return &r->base;
}

int
state_redis_synced(const struct state *st)
{
	return st->ops == &rs_ops && ((const struct state_redis *)st)->synced;
}

void
state_redis_close(struct state *st)
{
	if (st != NULL && st->ops == &rs_ops)
		rs(st)->closing = 1;
}

uint64_t
state_redis_applied(const struct state *st)
{
	return st->ops == &rs_ops ? ((const struct state_redis *)st)->applied :
	    0;
}

void
state_redis_nat(struct state *st, const struct state_peer *p)
{
	const char *argv[6];
	char reg[16], pm[ADDR_STRLEN], oth[ADDR_STRLEN], rtt[16];

	if (st->ops != &rs_ops)
		return;
	snprintf(reg, sizeof(reg), "%u", p->reg_id);
	rs_nat_args(p, pm, oth, rtt);
	argv[0] = p->peer_id;
	argv[1] = reg;
	argv[2] = state_nat_type(p->nat);
	argv[3] = pm;
	argv[4] = oth;
	argv[5] = rtt;
	(void)rs_eval(rs(st), cluster_lua_nat, 6, argv, NULL, NULL, NULL);
}

int
state_redis_is(const struct state *st)
{
	return st != NULL && st->ops == &rs_ops;
}

struct state *
state_redis_view(struct state *st)
{
	return st->ops == &rs_ops ? rs(st)->view : st;
}
