/* SPDX-License-Identifier: ISC */
/*
 * state_redis_sync.c: keeping a node's view of the cluster current
 * (state_redis.h): change events applied in order, writes answered when
 * their event is in the view, and reloading the view from Redis (a page of
 * the state at a time, cluster_lua_dump) after a (re)connection or a lost
 * event, with the events of that time buffered and applied after.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "addr.h"
#include "candfilter.h"
#include "cluster_lua.h"
#include "cluster_redis.h"
#include "log.h"
#include "state_redis_int.h"

enum { LOAD_GROUP, LOAD_PEER, LOAD_INTRO, LOAD_TICKET, LOAD_DONE };
static const char *const rs_load_kinds[] = { "group", "peer", "intro",
    "ticket" };

void
rs_buf_free(struct state_redis *r)
{
	struct rs_buf *b;

	while ((b = r->buf_head) != NULL) {
		r->buf_head = b->next;
		free(b);
	}
	r->buf_tail = NULL;
	r->nbuf = 0;
}

static uint64_t
rs_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static uint16_t
rs_origin(const struct cluster_ev *ev, unsigned i)
{
	uint64_t o;

	return cluster_ev_num(ev, i, STATE_NODES - 1, &o) == 0 ?
	    (uint16_t)o : 0;
}

/*
 * A port mapping is kept only on the peer's own public IPv4 address (as the
 * node that took the report checked), so that Redis cannot send peers to
 * probe anyone else.
 */
static void
rs_portmap_check(const struct state_peer *p, struct sockaddr_in *pm)
{
	const struct sockaddr_in *pub =
	    (const struct sockaddr_in *)&p->public_addr;

	if (pm->sin_port != 0 && (pub->sin_family != AF_INET ||
	    pub->sin_addr.s_addr != pm->sin_addr.s_addr))
		memset(pm, 0, sizeof(*pm));
}

/*
 * The reflexive address of the other family is kept as the node that took
 * the report kept it: of the other family than the registration, and an
 * address a peer may probe (candfilter.h).
 */
static void
rs_other_check(struct state_peer *p)
{
	const struct sockaddr *o = (const struct sockaddr *)&p->other;
	const uint8_t *ip;
	size_t iplen;

	if (o->sa_family == AF_INET) {
		ip = (const uint8_t *)&((const struct sockaddr_in *)o)->
		    sin_addr;
		iplen = 4;
	} else if (o->sa_family == AF_INET6) {
		ip = ((const struct sockaddr_in6 *)o)->sin6_addr.s6_addr;
		iplen = 16;
	} else
		return;
	if (o->sa_family == p->public_addr.ss_family ||
	    !cand_host_ok(ip, iplen))
		memset(&p->other, 0, sizeof(p->other));
}

static void
rs_apply_peer(struct state_redis *r, struct state *v,
    const struct cluster_ev *ev, int notify)
{
	struct state_peer p, old;
	uint32_t replaced;
	uint16_t rnode;
	char nat[32], err[128];

	if (cluster_ev_peer(ev, &p, nat, sizeof(nat), err, sizeof(err)) ==
	    -1) {
		log_warnx("cluster: %s (event %llu ignored)", err,
		    (unsigned long long)ev->seq);
		return;
	}
	rs_portmap_check(&p, &p.portmap);
	rs_other_check(&p);
	/* A registration keeps its own idea of when it was seen here. */
	if (state_get_reg(v, p.reg_id, &old) == STATE_OK)
		p.last_seen_us = old.last_seen_us;
	else if (state_get_reg(r->view, p.reg_id, &old) == STATE_OK)
		p.last_seen_us = old.last_seen_us;	/* reloading */
	else
		p.last_seen_us = rs_now_us();
	if (state_mem_put(v, &p, &replaced, &rnode) == -1) {
		log_warnx("cluster: out of memory for peer %s", p.peer_id);
		return;
	}
	if (notify && replaced != 0 && rnode == r->slot &&
	    replaced != p.reg_id && r->hooks.dropped != NULL)
		r->hooks.dropped(replaced, p.peer_id, r->hooks.arg);
}

/*
 * N: a NAT report; the nodes of the peers it concerns re-introduce it when
 * its type, port mapping or other address is new (a round trip alone
 * only goes into the view).
 */
static void
rs_apply_nat(struct state_redis *r, struct state *v,
    const struct cluster_ev *ev, int notify)
{
	struct state_peer p, n;
	int same;

	if (cluster_ev_nat(ev, &n) == -1) {
		log_warnx("cluster: a malformed NAT report (event %llu "
		    "ignored)", (unsigned long long)ev->seq);
		return;
	}
	if (state_get_reg(v, n.reg_id, &p) != STATE_OK ||
	    strcmp(p.peer_id, n.peer_id) != 0)
		return;		/* registered again since */
	n.public_addr = p.public_addr;
	rs_portmap_check(&p, &n.portmap);
	rs_other_check(&n);
	same = p.nat == n.nat && p.portmap.sin_port == n.portmap.sin_port &&
	    p.portmap.sin_addr.s_addr == n.portmap.sin_addr.s_addr &&
	    p.other.ss_family == n.other.ss_family &&
	    (n.other.ss_family == 0 || addr_equal((const struct sockaddr *)
	    &p.other, (const struct sockaddr *)&n.other));
	if (same && p.rtt_us == n.rtt_us)
		return;		/* nothing new */
	(void)state_mem_nat(v, &n);
	if (!same && notify && p.node != r->slot && r->hooks.nat != NULL)
		r->hooks.nat(p.peer_id, r->hooks.arg);
}

/* X: a dead node's registrations become pins. */
static void
rs_reaped(const struct state_peer *p, void *arg)
{
	struct state_redis *r = arg;

	if (p->node == r->slot && r->hooks.dropped != NULL)
		r->hooks.dropped(p->reg_id, p->peer_id, r->hooks.arg);
}

static void
rs_apply_group(struct state_redis *r, struct state *v,
    const struct cluster_ev *ev, int notify)
{
	struct state_group g;
	const char *name = cluster_ev_name(ev, 0), *peer;
	uint64_t mesh;
	unsigned i;

	if (name == NULL)
		return;
	if (strcmp(ev->type, "GC") == 0) {
		memset(&g, 0, sizeof(g));
		snprintf(g.name, sizeof(g.name), "%s", name);
		if (cluster_ev_num(ev, 1, 1, &mesh) == -1 ||
		    (ev->nf - 3) % 2 != 0)
			return;
		g.mesh = (int)mesh;
		for (i = 3; i + 1 < ev->nf && g.nattrs < STATE_GROUP_ATTRS;
		    i += 2) {
			if (!p2p_name_valid(ev->f[i]) ||
			    !state_attr_value_valid(ev->f[i + 1]))
				return;
			snprintf(g.attrs[g.nattrs].key,
			    sizeof(g.attrs[0].key), "%s", ev->f[i]);
			snprintf(g.attrs[g.nattrs++].value,
			    sizeof(g.attrs[0].value), "%s", ev->f[i + 1]);
		}
		(void)state_group_create(v, &g);	/* exists: kept */
		return;
	}
	if (strcmp(ev->type, "GD") == 0) {
		/* Told before: the hook still sees the members. */
		if (notify && rs_origin(ev, 1) != r->slot &&
		    r->hooks.group != NULL &&
		    state_group_get(v, name, &g) == STATE_OK)
			r->hooks.group(STATE_REDIS_DESTROYED, name, NULL,
			    r->hooks.arg);
		(void)state_group_destroy(v, name);
		return;
	}
	if ((peer = cluster_ev_name(ev, 1)) == NULL)
		return;
	if (strcmp(ev->type, "MA") == 0) {
		if (state_member_add(v, name, peer) == STATE_OK && notify &&
		    rs_origin(ev, 2) != r->slot && r->hooks.group != NULL)
			r->hooks.group(STATE_REDIS_MEMBER_JOIN, name, peer,
			    r->hooks.arg);
	} else if (state_member_del(v, name, peer) == STATE_OK && notify &&
	    rs_origin(ev, 2) != r->slot && r->hooks.group != NULL)
		r->hooks.group(STATE_REDIS_MEMBER_LEAVE, name, peer,
		    r->hooks.arg);
}

void
rs_apply(struct state_redis *r, struct state *v, const struct cluster_ev *ev,
    int notify)
{
	const char *a, *b, *t = ev->type;
	uint64_t reg, node;

	if (strcmp(t, "R") == 0)
		rs_apply_peer(r, v, ev, notify);
	else if (strcmp(t, "U") == 0) {
		if ((a = cluster_ev_name(ev, 0)) != NULL &&
		    cluster_ev_num(ev, 1, UINT32_MAX, &reg) == 0)
			(void)state_mem_drop(v, a, (uint32_t)reg);
	} else if (strcmp(t, "I") == 0 || strcmp(t, "W") == 0) {
		if ((a = cluster_ev_name(ev, 0)) == NULL ||
		    (b = cluster_ev_name(ev, 1)) == NULL)
			return;
		if (t[0] == 'I') {
			if (state_intro_add(v, a, b) == STATE_OK && notify &&
			    rs_origin(ev, 2) != r->slot &&
			    r->hooks.introduced != NULL)
				r->hooks.introduced(a, b, r->hooks.arg);
		} else if (state_intro_del(v, a, b) == STATE_OK && notify &&
		    rs_origin(ev, 2) != r->slot && r->hooks.withdrawn != NULL)
			r->hooks.withdrawn(a, b, ev->f[3], r->hooks.arg);
	} else if (strcmp(t, "X") == 0) {
		if (cluster_ev_num(ev, 0, STATE_NODES - 1, &node) == 0 &&
		    node != 0)
			(void)state_mem_reap(v, (uint16_t)node,
			    notify ? rs_reaped : NULL, r);
	} else if (strcmp(t, "N") == 0)
		rs_apply_nat(r, v, ev, notify);
	else if (t[0] == 'T' || strcmp(t, "GL") == 0)
		rs_apply_match(r, v, ev, notify);
	else
		rs_apply_group(r, v, ev, notify);
}

/* One event from p2p:ev, in Redis's order. */
void
state_redis_message(struct state *st, const char *data, size_t len)
{
	struct state_redis *r = (struct state_redis *)st;
	struct cluster_ev *ev;
	struct rs_buf *b;
	char err[128];

	if (r->closing)
		return;
	if (r->loading) {
		if (r->nbuf >= STATE_REDIS_BUFFERED || len > CLUSTER_EV_MAX ||
		    (b = malloc(sizeof(*b) + len)) == NULL) {
			log_warnx("cluster: too many changes while loading "
			    "the state: loading again");
			rs_load_start(r);
			return;
		}
		b->len = len;
		b->next = NULL;
		memcpy(b->data, data, len);
		if (r->buf_tail != NULL)
			r->buf_tail->next = b;
		else
			r->buf_head = b;
		r->buf_tail = b;
		r->nbuf++;
		return;
	}
	if (!r->synced || (ev = malloc(sizeof(*ev))) == NULL)
		return;
	if (cluster_ev_parse(data, len, ev, err, sizeof(err)) == -1) {
		log_warnx("%s: ignored", err);
		free(ev);
		return;
	}
	if (ev->seq <= r->applied) {
		free(ev);
		return;		/* already in the view (a reload saw it) */
	}
	if (ev->seq != r->applied + 1) {
		log_warnx("cluster: change %llu arrived after %llu: loading "
		    "the state again", (unsigned long long)ev->seq,
		    (unsigned long long)r->applied);
		free(ev);
		rs_load_start(r);
		return;
	}
	rs_apply(r, r->view, ev, 1);
	r->applied = ev->seq;
	free(ev);
	rs_wait_run(r);
}

static void rs_load_page(struct state_redis *, const char *cursor);

struct rs_load_op {
	struct state_redis	*r;
	uint64_t		 gen;
};

/*
 * Put back what this node holds and Redis lost; retract what ended. The
 * introductions of what was put back go back too, in a second pass, once
 * every registration of this node is on its way: the node of the other
 * peer does the same, and whichever comes second finds both registered
 * (relayed packets between the two pass again).
 */
struct rs_fix {
	struct state_redis	*r;
	struct state		*other;
	struct state		*old;
	int			 republish;
	int			 intros;	/* the second pass */
	const char		*peer;
	size_t			 n;
};

static void
rs_fix_intro(const char *other_id, void *arg)
{
	struct rs_fix *f = arg;

	state_intro_add_cb(&f->r->base, f->peer, other_id, NULL, NULL);
	f->n++;
}

static void
rs_fix_one(const struct state_peer *p, void *arg)
{
	struct rs_fix *f = arg;
	struct state_peer q;

	if (state_get_reg(f->other, p->reg_id, &q) == STATE_OK &&
	    strcmp(q.peer_id, p->peer_id) == 0)
		return;
	if (f->republish && state_get(f->other, p->peer_id, &q) ==
	    STATE_OK) {
		/* Registered again elsewhere meanwhile: that one wins. */
		if (f->r->hooks.dropped != NULL)
			f->r->hooks.dropped(p->reg_id, p->peer_id,
			    f->r->hooks.arg);
		return;
	}
	if (f->intros) {
		f->peer = p->peer_id;
		(void)state_intro_each(f->old, p->peer_id, rs_fix_intro, f);
		return;
	}
	f->n++;
	if (f->republish)
		(void)rs_send_register(f->r, p, 0, 1, NULL, NULL);
	else
		(void)rs_send_unregister(f->r, p->peer_id, p->reg_id);
}

static void
rs_load_finish(struct state_redis *r)
{
	struct state *old = r->view;
	struct rs_fix f;
	struct rs_buf *b;
	struct cluster_ev *ev;
	char err[128];

	r->view = r->next_view;
	r->next_view = NULL;
	r->applied = r->load_seq;
	r->loading = 0;
	if ((ev = malloc(sizeof(*ev))) != NULL) {
		for (b = r->buf_head; b != NULL; b = b->next) {
			if (cluster_ev_parse(b->data, b->len, ev, err,
			    sizeof(err)) == -1 || ev->seq <= r->applied)
				continue;
			rs_apply(r, r->view, ev, 1);
			r->applied = ev->seq;
		}
		free(ev);
	}
	rs_buf_free(r);
	/* Registrations of this node: the old view knows them best. */
	memset(&f, 0, sizeof(f));
	f.r = r;
	f.other = r->view;
	f.old = old;
	f.republish = 1;
	(void)state_mem_each_node(old, r->slot, rs_fix_one, &f);
	if (f.n > 0) {
		log_info("cluster: put back %zu registration(s) redis did not "
		    "have", f.n);
		f.intros = 1;
		f.n = 0;
		(void)state_mem_each_node(old, r->slot, rs_fix_one, &f);
		f.intros = 0;
		log_info("cluster: put back %zu introduction(s) of theirs",
		    f.n);
	}
	f.other = old;
	f.republish = 0;
	f.n = 0;
	(void)state_mem_each_node(r->view, r->slot, rs_fix_one, &f);
	if (f.n > 0)
		log_info("cluster: retracted %zu registration(s) that ended "
		    "meanwhile", f.n);
	state_free(old);
	r->synced = 1;
	log_info("cluster: state loaded (change %llu, %zu peers registered "
	    "here)", (unsigned long long)r->applied,
	    state_mem_count_node(r->view, r->slot));
	rs_wait_run(r);
	if (r->hooks.synced != NULL)
		r->hooks.synced(r->hooks.arg);
}

static void
rs_load_reply(const struct redisReply *reply, void *arg)
{
	struct rs_load_op *op = arg;
	struct state_redis *r = op->r;
	struct cluster_ev *ev = NULL;
	unsigned long long seq;
	char err[128], cursor[32];
	size_t i;

	if (r->closing || op->gen != r->load_gen || !r->loading) {
		free(op);
		return;		/* a newer load took over */
	}
	free(op);
	if (reply == NULL)
		return;		/* the link is down: a reload follows */
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[0]->len >= sizeof(cursor) ||
	    reply->element[1]->type != REDIS_REPLY_STRING ||
	    sscanf(reply->element[1]->str, "%llu", &seq) != 1 ||
	    (ev = malloc(sizeof(*ev))) == NULL) {
		log_warnx("cluster: a bad answer while loading the state");
		clr_reset(r->link, "a bad answer while loading the state");
		return;
	}
	if (r->load_seq == UINT64_MAX)
		r->load_seq = seq;	/* the first page: as of this change */
	for (i = 2; i < reply->elements; i++) {
		const struct redisReply *e = reply->element[i];

		if (e->type != REDIS_REPLY_STRING ||
		    cluster_ev_parse(e->str, e->len, ev, err,
		    sizeof(err)) == -1) {
			log_warnx("cluster: loading: %s", e->type ==
			    REDIS_REPLY_STRING ? err : "not a string");
			continue;
		}
		rs_apply(r, r->next_view, ev, 0);
	}
	free(ev);
	snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
	if (strcmp(cursor, "0") == 0) {
		r->load_kind++;
		if (r->load_kind == LOAD_DONE) {
			rs_load_finish(r);
			return;
		}
	}
	rs_load_page(r, cursor);
}

static void
rs_load_page(struct state_redis *r, const char *cursor)
{
	const char *argv[5];
	struct rs_load_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return;
	op->r = r;
	op->gen = r->load_gen;
	argv[0] = "EVAL";
	argv[1] = cluster_lua_dump;
	argv[2] = "0";
	argv[3] = rs_load_kinds[r->load_kind];
	argv[4] = cursor;
	if (clr_command(r->link, rs_load_reply, op, 5, argv, NULL) == -1)
		free(op);	/* down: the next connection loads again */
}

void
rs_load_start(struct state_redis *r)
{
	r->synced = 0;
	r->loading = 1;
	r->load_gen++;
	r->load_seq = UINT64_MAX;
	r->load_kind = LOAD_GROUP;
	rs_buf_free(r);
	state_free(r->next_view);
	if ((r->next_view = state_mem_new(STATE_REDIS_VIEW_MAX)) == NULL) {
		log_warnx("cluster: out of memory for the state");
		r->loading = 0;
		return;
	}
	state_mem_set_max_pins(r->next_view, 0);
	rs_load_page(r, "0");
}

void
state_redis_up(struct state *st)
{
	rs_load_start((struct state_redis *)st);
}

void
state_redis_down(struct state *st, const char *why)
{
	struct state_redis *r = (struct state_redis *)st;

	snprintf(r->why, sizeof(r->why), "%s", why);
	r->synced = 0;
	r->loading = 0;
	r->load_gen++;
	rs_buf_free(r);
	state_free(r->next_view);
	r->next_view = NULL;
	rs_wait_fail(r);
}
