/* SPDX-License-Identifier: ISC */
/*
 * srv_match_ctrl.c: the agents' side of matchmaking and group search
 * (PROTOCOL.md §7.1): MatchRequest (its token's attributes over those it
 * claims), MatchCancel, GroupSearch, and the MatchResult push; and the
 * GroupInfo of a group with its attributes, for every reply that shows one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "srv_match.h"

/* Room for a ServerMsg in one CTRL packet. */
#define SRV_MSG_ROOM	(SRV_PKT_MAX - CHAN_OVERHEAD - 32)

void
srv_ginfo_fill(struct srv_ginfo *gi, const struct state_group *sg)
{
	unsigned i;

	memset(gi, 0, sizeof(*gi));
	p2p__srv__group_info__init(&gi->info);
	memcpy(gi->name, sg->name, sizeof(gi->name));
	gi->info.name = gi->name;
	gi->info.mesh = sg->mesh;
	gi->info.member_count = (uint32_t)sg->nmembers;
	gi->info.expires_at = sg->expires_at;
	gi->g = *sg;
	for (i = 0; i < sg->nattrs && i < STATE_GROUP_ATTRS; i++) {
		p2p__srv__attr__init(&gi->attr[i]);
		gi->attr[i].key = gi->g.attrs[i].key;
		gi->attr[i].value = gi->g.attrs[i].value;
		gi->attrp[i] = &gi->attr[i];
	}
	gi->info.n_attributes = i;
	gi->info.attributes = gi->attrp;
}

static void
srv_pb_attrs(P2p__Srv__Attr *a, P2p__Srv__Attr **ap,
    const struct match_attr *in, unsigned n, size_t *out)
{
	unsigned i;

	for (i = 0; i < n && i < MATCH_ATTRS_MAX; i++) {
		p2p__srv__attr__init(&a[i]);
		a[i].key = (char *)in[i].key;
		a[i].value = (char *)in[i].value;
		ap[i] = &a[i];
	}
	*out = i;
}

/* A MatchRequest waiting for the state. */
struct srv_match_op {
	struct srv	*srv;
	uint32_t	 reg_id;
	uint32_t	 msg_id;
	uint32_t	 timeout_s;
};

static void
srv_match_accepted(enum srv_match_rc rc, const struct state_ticket *t,
    const char *msg, void *arg)
{
	struct srv_match_op *op = arg;
	struct srv *s = op->srv;
	struct srv_sess *x = srv_sess_find(s, op->reg_id);
	P2p__Srv__ServerMsg r = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__MatchTicket mt = P2P__SRV__MATCH_TICKET__INIT;
	P2p__Srv__Attr a[MATCH_ATTRS_MAX], *ap[MATCH_ATTRS_MAX];
	P2p__Srv__ErrCode code;

	if (x == NULL)
		goto out;	/* the agent went away meanwhile */
	if (rc == SRV_MATCH_OK) {
		mt.ticket = t->id;
		srv_pb_attrs(a, ap, t->attrs, t->nattrs, &mt.n_attributes);
		mt.attributes = ap;
		mt.size = t->size;
		mt.timeout_s = op->timeout_s;
		r.id = op->msg_id;
		r.body_case = P2P__SRV__SERVER_MSG__BODY_MATCH_TICKET;
		r.match_ticket = &mt;
		(void)srv_ctrl_send(s, &x->chan, &r,
		    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
		goto out;
	}
	code = rc == SRV_MATCH_INVALID ? P2P__SRV__ERR_CODE__ERR_MALFORMED :
	    rc == SRV_MATCH_CONFLICT ? P2P__SRV__ERR_CODE__ERR_EXISTS :
	    P2P__SRV__ERR_CODE__ERR_BUSY;
	srv_ctrl_error(s, &x->chan, op->msg_id, code, msg,
	    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
out:
	free(op);
}

static void
srv_match_refuse(struct srv *s, struct srv_sess *x, uint32_t id,
    const char *msg)
{
	srv_ctrl_error(s, &x->chan, id, P2P__SRV__ERR_CODE__ERR_MALFORMED, msg,
	    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
}

void
srv_h_match_request(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	const P2p__Srv__MatchRequest *mr = m->match_request;
	struct srv_match_req q;
	struct srv_match_op *op;
	char msg[256];
	size_t i;

	if (s->match == NULL) {
		srv_match_refuse(s, x, m->id, "matchmaking is not available");
		return;
	}
	memset(&q, 0, sizeof(q));
	snprintf(q.peer_id, sizeof(q.peer_id), "%s", x->peer_id);
	q.kind = STATE_TICKET_AGENT;
	if ((q.id = mr->ticket) == 0) {
		srv_match_refuse(s, x, m->id, "match: the ticket id must not "
		    "be 0");
		return;
	}
	if (mr->n_attributes > MATCH_ATTRS_MAX) {
		snprintf(msg, sizeof(msg), "match: too many attributes (%zu; "
		    "at most %d)", mr->n_attributes, MATCH_ATTRS_MAX);
		srv_match_refuse(s, x, m->id, msg);
		return;
	}
	for (i = 0; i < mr->n_attributes; i++) {
		const P2p__Srv__Attr *a = mr->attributes[i];

		if (match_attr_set(&q.attrs[i], a->key, a->value,
		    a->value != NULL ? strlen(a->value) : 0, msg,
		    sizeof(msg)) == -1) {
			srv_match_refuse(s, x, m->id, msg);
			return;
		}
	}
	q.nattrs = (unsigned)mr->n_attributes;
	/* What the backend vouched for in the token wins. */
	if (match_attrs_check(q.attrs, q.nattrs, msg, sizeof(msg)) == -1 ||
	    match_attrs_vouch(q.attrs, &q.nattrs, x->attrs, x->nattrs, msg,
	    sizeof(msg)) == -1) {
		srv_match_refuse(s, x, m->id, msg);
		return;
	}
	q.size = mr->size;
	q.timeout_s = mr->timeout_s != 0 ? mr->timeout_s :
	    MATCH_TIMEOUT_DEFAULT;
	if ((op = calloc(1, sizeof(*op))) == NULL)
		return;		/* the agent asks again */
	op->srv = s;
	op->reg_id = x->reg_id;
	op->msg_id = m->id;
	op->timeout_s = (uint32_t)q.timeout_s;
	srv_match_add(s->match, &q, NULL, srv_now_unix_ms(),
	    srv_match_accepted, op);
}

static void
srv_match_cancelled(enum srv_match_rc rc, const struct state_ticket *t,
    const char *msg, void *arg)
{
	struct srv_match_op *op = arg;
	struct srv *s = op->srv;
	struct srv_sess *x = srv_sess_find(s, op->reg_id);
	P2p__Srv__ServerMsg r = P2P__SRV__SERVER_MSG__INIT;

	(void)t;
	if (x == NULL)
		goto out;
	if (rc == SRV_MATCH_OK) {
		r.id = op->msg_id;
		(void)srv_ctrl_send(s, &x->chan, &r,
		    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
	} else
		srv_ctrl_error(s, &x->chan, op->msg_id,
		    rc == SRV_MATCH_NOT_FOUND ?
		    P2P__SRV__ERR_CODE__ERR_NO_TICKET :
		    P2P__SRV__ERR_CODE__ERR_BUSY, msg,
		    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
out:
	free(op);
}

void
srv_h_match_cancel(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	struct srv_match_op *op;

	if (s->match == NULL) {
		srv_match_refuse(s, x, m->id, "matchmaking is not available");
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL)
		return;
	op->srv = s;
	op->reg_id = x->reg_id;
	op->msg_id = m->id;
	srv_match_cancel(s->match, x->peer_id, m->match_cancel->ticket,
	    srv_match_cancelled, op);
}

/* As many members of group as fit, into gi (the message is m). */
struct srv_mem_fit {
	const P2p__Srv__ServerMsg	*m;
	struct srv_ginfo		*gi;
	char				(*names)[P2P_NAME_MAX + 1];
	char				**namep;
	size_t				 n, cap;
	int				 full;
};

static void
srv_mem_fit_one(const char *peer, void *arg)
{
	struct srv_mem_fit *f = arg;

	if (f->full || f->n >= f->cap)
		return;
	snprintf(f->names[f->n], sizeof(f->names[0]), "%s", peer);
	f->namep[f->n] = f->names[f->n];
	f->gi->info.members = f->namep;
	f->gi->info.n_members = ++f->n;
	if (p2p__srv__server_msg__get_packed_size(f->m) > SRV_MSG_ROOM) {
		f->gi->info.n_members = --f->n;
		f->full = 1;
	}
}

static const P2p__Srv__MatchOutcome srv_match_pb_outcome[] = {
	[SRV_MATCH_MATCHED] = P2P__SRV__MATCH_OUTCOME__MATCH_MATCHED,
	[SRV_MATCH_TIMEOUT] = P2P__SRV__MATCH_OUTCOME__MATCH_TIMEOUT,
	[SRV_MATCH_CANCELLED] = P2P__SRV__MATCH_OUTCOME__MATCH_CANCELLED,
	[SRV_MATCH_GONE] = P2P__SRV__MATCH_OUTCOME__MATCH_GONE,
	[SRV_MATCH_LOST] = P2P__SRV__MATCH_OUTCOME__MATCH_LOST,
};

static const char *const srv_match_msg[] = {
	[SRV_MATCH_MATCHED] = "matched",
	[SRV_MATCH_TIMEOUT] = "no match before the ticket's timeout",
	[SRV_MATCH_CANCELLED] = "the ticket was cancelled",
	[SRV_MATCH_GONE] = "the ticket ended: its device went away",
	[SRV_MATCH_LOST] = "the server lost the ticket (cluster state "
	    "unavailable): ask again",
};

/* io.push: a MatchResult to the agent of t, if it is registered here. */
void
srv_match_push(struct srv *s, const struct state_ticket *t,
    enum srv_match_outcome o)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__MatchResult mr = P2P__SRV__MATCH_RESULT__INIT;
	struct srv_ginfo *gi = NULL;
	struct srv_mem_fit f;
	struct state_group sg;
	struct state_peer p;
	struct srv_sess *x;

	if ((unsigned)o > SRV_MATCH_LOST ||
	    state_get(s->state, t->peer_id, &p) != STATE_OK ||
	    (x = srv_sess_find(s, p.reg_id)) == NULL)
		return;
	mr.ticket = t->id;
	mr.outcome = srv_match_pb_outcome[o];
	mr.message = (char *)srv_match_msg[o];
	m.body_case = P2P__SRV__SERVER_MSG__BODY_MATCH_RESULT;
	m.match_result = &mr;
	memset(&f, 0, sizeof(f));
	if (o == SRV_MATCH_MATCHED && state_group_get(s->state, t->group,
	    &sg) == STATE_OK && (gi = malloc(sizeof(*gi))) != NULL &&
	    (f.names = calloc(MATCH_SIZE_MAX, sizeof(*f.names))) != NULL &&
	    (f.namep = calloc(MATCH_SIZE_MAX, sizeof(*f.namep))) != NULL) {
		srv_ginfo_fill(gi, &sg);
		mr.group = &gi->info;
		f.m = &m;
		f.gi = gi;
		f.cap = MATCH_SIZE_MAX;
		(void)state_member_each(s->state, t->group, srv_mem_fit_one,
		    &f);
	}
	if (srv_push(x, &m) == -1)
		log_warnx("peer %s: cannot push its match result", x->peer_id);
	free(f.namep);
	free(f.names);
	free(gi);
}

/* GroupSearch: the visible groups with those attributes, as fit. */
struct srv_search_ctx {
	struct srv			*s;
	P2p__Srv__ServerMsg		*m;
	P2p__Srv__GroupSearchReply	*r;
	struct srv_ginfo		*gi;
	P2p__Srv__GroupInfo		**gp;
	size_t				 cap;
};

static void
srv_search_one(const char *name, void *arg)
{
	struct srv_search_ctx *c = arg;
	struct state_group sg;
	size_t i = c->r->n_groups;

	if (c->r->truncated || i >= c->cap) {
		c->r->truncated = 1;
		return;
	}
	if (state_group_get(c->s->state, name, &sg) != STATE_OK)
		return;
	srv_ginfo_fill(&c->gi[i], &sg);
	c->gp[i] = &c->gi[i].info;
	c->r->groups = c->gp;
	c->r->n_groups++;
	if (p2p__srv__server_msg__get_packed_size(c->m) > SRV_MSG_ROOM) {
		c->r->n_groups--;
		c->r->truncated = 1;
	}
}

#define SRV_SEARCH_MAX	32

void
srv_h_group_search(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	const P2p__Srv__GroupSearch *gs = m->group_search;
	P2p__Srv__ServerMsg r = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupSearchReply sr = P2P__SRV__GROUP_SEARCH_REPLY__INIT;
	struct state_attr want[STATE_GROUP_ATTRS];
	struct srv_search_ctx c;
	struct state_peer me;
	size_t i;

	if (gs->n_attributes > STATE_GROUP_ATTRS) {
		srv_match_refuse(s, x, m->id, "group search: too many "
		    "attributes");
		return;
	}
	for (i = 0; i < gs->n_attributes; i++) {
		const P2p__Srv__Attr *a = gs->attributes[i];

		if (a->key == NULL || a->value == NULL ||
		    !p2p_name_valid(a->key) ||
		    !state_attr_value_valid(a->value)) {
			srv_match_refuse(s, x, m->id, "group search: keys are "
			    "names of [A-Za-z0-9._-], values at most 256 "
			    "bytes without control characters");
			return;
		}
		snprintf(want[i].key, sizeof(want[i].key), "%s", a->key);
		snprintf(want[i].value, sizeof(want[i].value), "%s", a->value);
	}
	if (state_get_reg(s->state, x->reg_id, &me) != STATE_OK ||
	    s->groups == NULL) {
		srv_ctrl_error(s, &x->chan, m->id, P2P__SRV__ERR_CODE__ERR_BUSY,
		    "group search: not available now",
		    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.m = &r;
	c.r = &sr;
	c.cap = SRV_SEARCH_MAX;
	if ((c.gi = calloc(c.cap, sizeof(*c.gi))) == NULL ||
	    (c.gp = calloc(c.cap, sizeof(*c.gp))) == NULL) {
		free(c.gi);
		srv_ctrl_error(s, &x->chan, m->id, P2P__SRV__ERR_CODE__ERR_BUSY,
		    "group search: out of memory", (struct sockaddr *)&x->addr,
		    x->tcp, SRV_PKT_MAX);
		return;
	}
	r.id = m->id;
	r.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_SEARCH_REPLY;
	r.group_search_reply = &sr;
	(void)srv_group_search(s->groups, &me, want,
	    (unsigned)gs->n_attributes, srv_search_one, &c);
	(void)srv_ctrl_send(s, &x->chan, &r, (struct sockaddr *)&x->addr,
	    x->tcp, SRV_PKT_MAX);
	free(c.gp);
	free(c.gi);
}
