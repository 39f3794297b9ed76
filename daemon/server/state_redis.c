/* SPDX-License-Identifier: ISC */
/*
 * state_redis.c: the Redis backend (state_redis.h): the ops table. Reads go
 * to the view; each write is one script whose reply either refuses at once
 * or gives the number of the write's event, which the callback then waits
 * for (state_redis_sync.c).
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

#define RS_ARGS		(4 + 2 * STATE_GROUP_ATTRS + 16)

/* A script in flight. */
struct rs_op {
	struct state_redis	*rs;
	state_done_cb		 cb;
	void			*arg;
};


static void
rs_answer(state_done_cb cb, void *arg, enum state_rc rc, uint32_t replaced)
{
	struct state_result r;

	if (cb == NULL)
		return;
	r.rc = rc;
	r.replaced = replaced;
	cb(&r, arg);
}

/*
 * {rc, ..., seq}: rc 0 waits for seq; others answer now. A reply that is
 * not of that shape (Redis is untrusted too) counts as unavailable.
 */
static void
rs_reply(const struct redisReply *reply, void *arg)
{
	struct rs_op *op = arg;
	struct state_redis *r = op->rs;
	struct state_result res = { STATE_UNAVAILABLE, 0 };
	long long rc, seq;
	size_t n;

	if (r->closing) {
		free(op);
		return;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    (n = reply->elements) < 2 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply->element[n - 1]->type != REDIS_REPLY_INTEGER) {
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			log_warnx("cluster: redis refused a script: %.200s",
			    reply->str);
		rs_answer(op->cb, op->arg, STATE_UNAVAILABLE, 0);
		free(op);
		return;
	}
	rc = reply->element[0]->integer;
	seq = reply->element[n - 1]->integer;
	switch (rc) {
	case 0:
		res.rc = STATE_OK;
		if (n == 4 && reply->element[1]->type == REDIS_REPLY_INTEGER &&
		    reply->element[2]->type == REDIS_REPLY_INTEGER &&
		    reply->element[2]->integer == r->slot &&
		    reply->element[1]->integer > 0 &&
		    reply->element[1]->integer <= UINT32_MAX)
			res.replaced = (uint32_t)reply->element[1]->integer;
		if (seq <= 0) {
			res.rc = STATE_UNAVAILABLE;
			break;
		}
		rs_wait_add(r, (uint64_t)seq, op->cb, op->arg, &res);
		free(op);
		rs_wait_run(r);
		return;
	case -1:
		res.rc = STATE_NOT_FOUND;
		break;
	case -2:
		res.rc = STATE_KEY_MISMATCH;
		break;
	case -3:
		res.rc = STATE_FULL;
		break;
	case -4:
		res.rc = STATE_EXISTS;
		break;
	default:
		break;
	}
	rs_answer(op->cb, op->arg, res.rc, 0);
	free(op);
}

/* EVAL script 0 argv...: the answer comes to cb (at once if it cannot go). */
int
rs_eval(struct state_redis *r, const char *script, int argc,
    const char **argv, const size_t *lens, state_done_cb cb, void *arg)
{
	const char *av[RS_ARGS + 3];
	size_t al[RS_ARGS + 3];
	struct rs_op *op;
	int i;

	if (argc > RS_ARGS || (op = calloc(1, sizeof(*op))) == NULL) {
		rs_answer(cb, arg, STATE_FULL, 0);
		return -1;
	}
	op->rs = r;
	op->cb = cb;
	op->arg = arg;
	av[0] = "EVAL";
	al[0] = 4;
	av[1] = script;
	al[1] = strlen(script);
	av[2] = "0";
	al[2] = 1;
	for (i = 0; i < argc; i++) {
		av[3 + i] = argv[i];
		al[3 + i] = lens != NULL ? lens[i] : strlen(argv[i]);
	}
	if (clr_command(r->link, rs_reply, op, argc + 3, av, al) == -1) {
		free(op);
		rs_answer(cb, arg, STATE_UNAVAILABLE, 0);
		return -1;
	}
	return 0;
}

static void
rs_join_addrs(const struct state_peer *p, char *out, size_t len)
{
	char a[ADDR_STRLEN];
	size_t off = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < p->nlocal && i < STATE_MAX_LOCAL; i++) {
		addr_fmt((const struct sockaddr *)&p->local_addrs[i], a,
		    sizeof(a));
		if (strcmp(a, "?") == 0)
			continue;
		off += (size_t)snprintf(out + off, len - off, "%s%s",
		    off ? "," : "", a);
		if (off >= len)
			break;
	}
}

static void
rs_join_groups(const struct state_peer *p, char *out, size_t len)
{
	size_t off = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < p->ngroups && i < TOKEN_MAX_GROUPS && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s",
		    off ? "," : "", p->groups[i]);
}

int
rs_send_register(struct state_redis *r, const struct state_peer *p,
    uint64_t now_unix, int republish, state_done_cb cb, void *arg)
{
	char node[8], reg[16], key[65], iat[24], exp[24], now[24], pub[72];
	char loc[STATE_MAX_LOCAL * ADDR_STRLEN + 8];
	char grp[TOKEN_MAX_GROUPS * (P2P_NAME_MAX + 1) + 8];
	const char *argv[13];

	snprintf(node, sizeof(node), "%u", r->slot);
	snprintf(reg, sizeof(reg), "%u", p->reg_id);
	cluster_ev_hex(p->identity_key, 32, key);
	snprintf(iat, sizeof(iat), "%llu", (unsigned long long)p->issued_at);
	snprintf(exp, sizeof(exp), "%llu", (unsigned long long)p->expires_at);
	snprintf(now, sizeof(now), "%llu", (unsigned long long)now_unix);
	addr_fmt((const struct sockaddr *)&p->public_addr, pub, sizeof(pub));
	if (strcmp(pub, "?") == 0)
		pub[0] = '\0';
	rs_join_addrs(p, loc, sizeof(loc));
	rs_join_groups(p, grp, sizeof(grp));
	argv[0] = p->peer_id;
	argv[1] = node;
	argv[2] = reg;
	argv[3] = key;
	argv[4] = iat;
	argv[5] = exp;
	argv[6] = p->aesni ? "1" : "0";
	argv[7] = p->transport == STATE_TCP ? "1" : "0";
	argv[8] = pub;
	argv[9] = loc;
	argv[10] = grp;
	argv[11] = now;
	argv[12] = republish ? "1" : "0";
	return rs_eval(r, cluster_lua_register, 13, argv, NULL, cb, arg);
}

int
rs_send_unregister(struct state_redis *r, const char *peer_id,
    uint32_t reg_id)
{
	char reg[16];
	const char *argv[2];

	snprintf(reg, sizeof(reg), "%u", reg_id);
	argv[0] = peer_id;
	argv[1] = reg;
	return rs_eval(r, cluster_lua_unregister, 2, argv, NULL, NULL, NULL);
}

static void
rs_reg(struct state *st, const struct state_peer *p, uint64_t now_unix,
    state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	struct state_peer q = *p;

	if (state_mem_count_node(r->view, r->slot) >= r->max_local) {
		rs_answer(cb, arg, STATE_FULL, 0);
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
		rs_answer(cb, arg, STATE_NOT_FOUND, 0);
		return;
	}
	(void)state_mem_drop(r->view, p.peer_id, reg_id);
	(void)rs_send_unregister(r, p.peer_id, reg_id);
	rs_answer(cb, arg, STATE_OK, 0);
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

static void
rs_seq_reply(const struct redisReply *reply, void *arg)
{
	struct rs_op *op = arg;
	struct state_redis *r = op->rs;
	struct state_result res = { STATE_OK, 0 };
	unsigned long long seq = 0;

	if (r->closing) {
		free(op);
		return;
	}
	if (reply == NULL || (reply->type != REDIS_REPLY_STRING &&
	    reply->type != REDIS_REPLY_NIL) || (reply->type ==
	    REDIS_REPLY_STRING && sscanf(reply->str, "%llu", &seq) != 1)) {
		rs_answer(op->cb, op->arg, STATE_UNAVAILABLE, 0);
		free(op);
		return;
	}
	rs_wait_add(r, seq, op->cb, op->arg, &res);
	free(op);
	rs_wait_run(r);
}

static void
rs_barrier(struct state *st, state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	const char *argv[2] = { "GET", "p2p:seq" };
	struct rs_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		rs_answer(cb, arg, STATE_UNAVAILABLE, 0);
		return;
	}
	op->rs = r;
	op->cb = cb;
	op->arg = arg;
	if (clr_command(r->link, rs_seq_reply, op, 2, argv, NULL) == -1) {
		free(op);
		rs_answer(cb, arg, STATE_UNAVAILABLE, 0);
	}
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
state_redis_nat(struct state *st, const char *peer_id, uint32_t reg_id,
    const char *nat)
{
	const char *argv[3];
	char reg[16];

	if (st->ops != &rs_ops)
		return;
	snprintf(reg, sizeof(reg), "%u", reg_id);
	argv[0] = peer_id;
	argv[1] = reg;
	argv[2] = nat;
	(void)rs_eval(rs(st), cluster_lua_nat, 3, argv, NULL, NULL, NULL);
}

struct state *
state_redis_view(struct state *st)
{
	return st->ops == &rs_ops ? rs(st)->view : st;
}
