/* SPDX-License-Identifier: ISC */
/*
 * state_redis_write.c: the Redis backend's writes, below the rest of it:
 * each write is one script (rs_eval) whose reply either refuses at once or
 * gives the number of the write's event; the callback then waits in a queue
 * until the view has applied that event (rs_wait_run, from
 * state_redis_sync.c), or fails when the link goes down.
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
		state_answer(op->cb, op->arg, STATE_UNAVAILABLE, 0);
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
	case -5:
		res.rc = STATE_CONFLICT;
		break;
	default:
		break;
	}
	state_answer(op->cb, op->arg, res.rc, 0);
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
		state_answer(cb, arg, STATE_FULL, 0);
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
		state_answer(cb, arg, STATE_UNAVAILABLE, 0);
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

/* The NAT facts of p as the scripts take them: pm, oth and rtt. */
void
rs_nat_args(const struct state_peer *p, char pm[ADDR_STRLEN],
    char oth[ADDR_STRLEN], char rtt[16])
{
	pm[0] = oth[0] = '\0';
	if (p->portmap.sin_family == AF_INET && p->portmap.sin_port != 0)
		addr_fmt((const struct sockaddr *)&p->portmap, pm,
		    ADDR_STRLEN);
	if (p->other.ss_family == AF_INET || p->other.ss_family == AF_INET6)
		addr_fmt((const struct sockaddr *)&p->other, oth,
		    ADDR_STRLEN);
	if (strcmp(oth, "?") == 0)
		oth[0] = '\0';
	snprintf(rtt, 16, "%u", p->rtt_us < STATE_RTT_MAX_US ? p->rtt_us :
	    STATE_RTT_MAX_US);
}

int
rs_send_register(struct state_redis *r, const struct state_peer *p,
    uint64_t now_unix, int republish, state_done_cb cb, void *arg)
{
	char node[8], reg[16], key[65], iat[24], exp[24], now[24], pub[72];
	char loc[STATE_MAX_LOCAL * ADDR_STRLEN + 8];
	char grp[TOKEN_MAX_GROUPS * (P2P_NAME_MAX + 1) + 8];
	char pm[ADDR_STRLEN], oth[ADDR_STRLEN], rtt[16];
	const char *argv[17];

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
	/* What its NatReports said (a new registration: nothing yet). */
	rs_nat_args(p, pm, oth, rtt);
	argv[13] = state_nat_type(p->nat);
	argv[14] = pm;
	argv[15] = oth;
	argv[16] = rtt;
	return rs_eval(r, cluster_lua_register, 17, argv, NULL, cb, arg);
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

void
rs_wait_add(struct state_redis *r, uint64_t seq, state_done_cb cb, void *arg,
    const struct state_result *res)
{
	struct rs_wait *w;

	if (cb == NULL)
		return;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		struct state_result u = { STATE_UNAVAILABLE, 0 };

		cb(&u, arg);
		return;
	}
	w->seq = seq;
	w->cb = cb;
	w->arg = arg;
	w->r = *res;
	/* Replies come in order on one connection: seqs only grow. */
	if (r->wait_tail != NULL)
		r->wait_tail->next = w;
	else
		r->wait_head = w;
	r->wait_tail = w;
	r->nwait++;
}

/* Answer the writes whose events the view has now. */
void
rs_wait_run(struct state_redis *r)
{
	struct rs_wait *w;

	while (!r->closing && r->synced && (w = r->wait_head) != NULL &&
	    w->seq <= r->applied) {
		r->wait_head = w->next;
		if (r->wait_head == NULL)
			r->wait_tail = NULL;
		r->nwait--;
		w->cb(&w->r, w->arg);
		free(w);
	}
}

/* The link went down: nobody can tell when their events will come. */
void
rs_wait_fail(struct state_redis *r)
{
	struct rs_wait *w;

	while ((w = r->wait_head) != NULL) {
		r->wait_head = w->next;
		if (r->wait_head == NULL)
			r->wait_tail = NULL;
		r->nwait--;
		w->r.rc = STATE_UNAVAILABLE;
		w->r.replaced = 0;
		if (!r->closing)
			w->cb(&w->r, w->arg);
		free(w);
	}
}

/* The barrier: wait for the event of the last write anyone made. */
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
		state_answer(op->cb, op->arg, STATE_UNAVAILABLE, 0);
		free(op);
		return;
	}
	rs_wait_add(r, seq, op->cb, op->arg, &res);
	free(op);
	rs_wait_run(r);
}

void
rs_barrier(struct state *st, state_done_cb cb, void *arg)
{
	struct state_redis *r = rs(st);
	const char *argv[2] = { "GET", "p2p:seq" };
	struct rs_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		state_answer(cb, arg, STATE_UNAVAILABLE, 0);
		return;
	}
	op->rs = r;
	op->cb = cb;
	op->arg = arg;
	if (clr_command(r->link, rs_seq_reply, op, 2, argv, NULL) == -1) {
		free(op);
		state_answer(cb, arg, STATE_UNAVAILABLE, 0);
	}
}
