/* SPDX-License-Identifier: ISC */
/*
 * ctl_group.c: `p2pctl group`: server-managed groups on the agent's side
 * (PROTOCOL.md §7).
 *
 * The control side forwards the applications' GroupReq to the server (the
 * server decides; the agent only relays and remembers), keeps the member
 * list of each group this peer is in (from GroupList replies and
 * membership events), and turns the server's group_event pushes into IPC
 * events exactly once (push_seq deduplication). Requests to the server are
 * sent and retransmitted by the engine's server link (engine_srv_request);
 * the answer comes back through cb->srv_reply (ctl_group_reply), or
 * cb->srv_timeout when the server never answered. The state lives in
 * struct ctl_groups, made on first use and freed at exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

#define GROUP_DEDUP_BITS	64
#define GROUP_MAX		256	/* groups per peer (the server's cap) */
#define GROUP_MEMBERS_MAX	1024	/* members per group (ditto) */
#define GROUP_REQ_MAX		64	/* requests waiting for the server */

struct group_ent {
	TAILQ_ENTRY(group_ent)	 entry;
	char			 name[SVC_NAME_MAX + 1];
	int			 mesh;
	size_t			 n;
	char			(*members)[AGENT_ID_MAX + 1];
	struct ctl_gattrs	*attrs;		/* a match group's */
};
TAILQ_HEAD(groupq, group_ent);

struct group_rq {
	TAILQ_ENTRY(group_rq)	 entry;
	struct ctl		*ctl;
	struct ipc_client	*c;		/* NULL: a refresh */
	uint32_t		 req_id;	/* the client's */
	uint32_t		 srv_id;	/* ours, towards the server */
	P2p__Ipc__GroupOp	 op;
	char			 name[SVC_NAME_MAX + 1];
};
TAILQ_HEAD(group_reqq, group_rq);

struct ctl_groups {
	struct groupq		 groups;
	size_t			 ngroups;
	struct group_reqq	 reqs;
	size_t			 nreqs;
	/* push_seq window of the current registration (pushes restart at 1
	 * for each registration): highest seen and a bitmap below it. */
	uint32_t		 reg_id;
	uint32_t		 hi;
	uint64_t		 seen;
};

/* The groups' state, made on first use: NULL when out of memory. */
static struct ctl_groups *
ctl_group_state(struct ctl *ctl)
{
	struct ctl_groups *gs;

	if (ctl->groups != NULL)
		return ctl->groups;
	if ((gs = calloc(1, sizeof(*gs))) == NULL)
		return NULL;
	TAILQ_INIT(&gs->groups);
	TAILQ_INIT(&gs->reqs);
	ctl->groups = gs;
	return gs;
}

static struct group_ent *
ctl_group_find(struct ctl_groups *gs, const char *name)
{
	struct group_ent *g;

	TAILQ_FOREACH(g, &gs->groups, entry) {
		if (strcmp(g->name, name) == 0)
			return g;
	}
	return NULL;
}

static void
ctl_group_del(struct ctl_groups *gs, struct group_ent *g)
{
	TAILQ_REMOVE(&gs->groups, g, entry);
	gs->ngroups--;
	free(g->members);
	free(g->attrs);
	free(g);
}

static struct group_ent *
ctl_group_get(struct ctl_groups *gs, const char *name)
{
	struct group_ent *g;

	if ((g = ctl_group_find(gs, name)) != NULL)
		return g;
	if (gs->ngroups >= GROUP_MAX || (g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->mesh = 1;
	TAILQ_INSERT_TAIL(&gs->groups, g, entry);
	gs->ngroups++;
	return g;
}

static ssize_t
ctl_group_member_idx(const struct group_ent *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (strcmp(g->members[i], id) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static void
ctl_group_member_add(struct group_ent *g, const char *id)
{
	void *nm;

	if (ctl_group_member_idx(g, id) != -1 || g->n >= GROUP_MEMBERS_MAX ||
	    strlen(id) > AGENT_ID_MAX)
		return;
	if ((nm = reallocarray(g->members, g->n + 1, sizeof(*g->members))) ==
	    NULL)
		return;
	g->members = nm;
	snprintf(g->members[g->n++], AGENT_ID_MAX + 1, "%s", id);
}

static void
ctl_group_member_del(struct group_ent *g, const char *id)
{
	ssize_t i;

	if ((i = ctl_group_member_idx(g, id)) == -1)
		return;
	memmove(&g->members[i], &g->members[i + 1],
	    (g->n - (size_t)i - 1) * sizeof(*g->members));
	g->n--;
}

static void
ctl_group_req_free(struct ctl_groups *gs, struct group_rq *q)
{
	TAILQ_REMOVE(&gs->reqs, q, entry);
	gs->nreqs--;
	free(q);
}

void
ctl_group_free(struct ctl *ctl)
{
	struct ctl_groups *gs = ctl->groups;

	if (gs == NULL)
		return;
	while (!TAILQ_EMPTY(&gs->reqs))
		ctl_group_req_free(gs, TAILQ_FIRST(&gs->reqs));
	while (!TAILQ_EMPTY(&gs->groups))
		ctl_group_del(gs, TAILQ_FIRST(&gs->groups));
	free(gs);
	ctl->groups = NULL;
}

static int
ctl_group_req_send(struct group_rq *q)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupJoin j = P2P__SRV__GROUP_JOIN__INIT;
	P2p__Srv__GroupLeave l = P2P__SRV__GROUP_LEAVE__INIT;
	P2p__Srv__GroupCreate cr = P2P__SRV__GROUP_CREATE__INIT;
	P2p__Srv__GroupDestroy d = P2P__SRV__GROUP_DESTROY__INIT;
	P2p__Srv__GroupList gl = P2P__SRV__GROUP_LIST__INIT;

	switch (q->op) {
	case P2P__IPC__GROUP_OP__GROUP_CREATE:
		cr.group = q->name;
		m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_CREATE;
		m.group_create = &cr;
		break;
	case P2P__IPC__GROUP_OP__GROUP_DESTROY:
		d.group = q->name;
		m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_DESTROY;
		m.group_destroy = &d;
		break;
	case P2P__IPC__GROUP_OP__GROUP_JOIN:
		j.group = q->name;
		m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_JOIN;
		m.group_join = &j;
		break;
	case P2P__IPC__GROUP_OP__GROUP_LEAVE:
		l.group = q->name;
		m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_LEAVE;
		m.group_leave = &l;
		break;
	default:	/* list, show */
		m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_LIST;
		m.group_list = &gl;
		break;
	}
	q->srv_id = engine_srv_request(q->ctl->a, &m);
	return q->srv_id == 0 ? -1 : 0;
}

static void
ctl_group_answer(struct ctl_groups *gs, struct group_rq *q,
    P2p__Ipc__Code code, const char *msg)
{
	if (q->c != NULL)
		ipc_reply(q->c, q->req_id, code, "%s", msg);
	ctl_group_req_free(gs, q);
}

static int
ctl_group_req_start(struct ctl *ctl, struct ipc_client *c, uint32_t id,
    P2p__Ipc__GroupOp op, const char *name)
{
	struct ctl_groups *gs;
	struct group_rq *q;

	if ((gs = ctl_group_state(ctl)) == NULL ||
	    gs->nreqs >= GROUP_REQ_MAX || (q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	q->ctl = ctl;
	q->c = c;
	q->req_id = id;
	q->op = op;
	snprintf(q->name, sizeof(q->name), "%s", name != NULL ? name : "");
	TAILQ_INSERT_TAIL(&gs->reqs, q, entry);
	gs->nreqs++;
	if (ctl_group_req_send(q) == -1) {
		ctl_group_req_free(gs, q);
		return -1;
	}
	return 0;
}

void
ctl_group(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__GroupReq *r = req->group;

	if (!engine_registered(c->a)) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_REGISTERED,
		    "not registered with the server (%s)",
		    engine_server_state(c->a));
		return;
	}
	if (ctl_group_req_start(c->a->ctl, c, req->id, r->op, r->name) == -1)
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_BUSY,
		    "too many group requests waiting for the server");
}

P2p__Ipc__Code
ctl_group_code(P2p__Srv__ErrCode c)
{
	switch (c) {
	case P2P__SRV__ERR_CODE__ERR_MALFORMED:
		return P2P__IPC__CODE__ERR_USAGE;
	case P2P__SRV__ERR_CODE__ERR_POLICY:
		return P2P__IPC__CODE__ERR_POLICY;
	case P2P__SRV__ERR_CODE__ERR_NO_GROUP:
		return P2P__IPC__CODE__ERR_NOT_FOUND;
	case P2P__SRV__ERR_CODE__ERR_EXISTS:
		return P2P__IPC__CODE__ERR_EXISTS;
	case P2P__SRV__ERR_CODE__ERR_BUSY:
		return P2P__IPC__CODE__ERR_BUSY;
	default:
		return P2P__IPC__CODE__ERR_FAILED;
	}
}

/* The server's list is the truth: replace what the events built. */
static void
ctl_group_update(struct ctl_groups *gs, const P2p__Srv__GroupListReply *lr)
{
	struct group_ent *g, *tg;
	size_t i, j;
	int found;

	if (!lr->truncated) {
		TAILQ_FOREACH_SAFE(g, &gs->groups, entry, tg) {
			for (found = 0, i = 0; i < lr->n_groups && !found; i++)
				found = strcmp(lr->groups[i]->name,
				    g->name) == 0;
			if (!found)
				ctl_group_del(gs, g);
		}
	}
	for (i = 0; i < lr->n_groups; i++) {
		if ((g = ctl_group_get(gs, lr->groups[i]->name)) == NULL)
			continue;
		g->mesh = lr->groups[i]->mesh;
		free(g->attrs);
		g->attrs = ctl_match_attrs_take(lr->groups[i]);
		if (lr->groups[i]->n_members < lr->groups[i]->member_count)
			continue;	/* cut short: keep what events gave */
		g->n = 0;
		for (j = 0; j < lr->groups[i]->n_members; j++)
			ctl_group_member_add(g, lr->groups[i]->members[j]);
	}
}

static int
ctl_group_names_ok(const P2p__Srv__GroupListReply *lr)
{
	size_t i, j;

	for (i = 0; i < lr->n_groups; i++) {
		if (lr->groups[i] == NULL || lr->groups[i]->name == NULL ||
		    strlen(lr->groups[i]->name) == 0 ||
		    strlen(lr->groups[i]->name) > SVC_NAME_MAX)
			return 0;
		for (j = 0; j < lr->groups[i]->n_members; j++) {
			if (lr->groups[i]->members[j] == NULL ||
			    strlen(lr->groups[i]->members[j]) == 0 ||
			    strlen(lr->groups[i]->members[j]) > AGENT_ID_MAX)
				return 0;
		}
	}
	return 1;
}

/* Answer list / show from the (just refreshed) table. */
static void
ctl_group_list(struct ctl_groups *gs, struct group_rq *q, int truncated)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__GroupResp gr = P2P__IPC__GROUP_RESP__INIT;
	P2p__Ipc__GroupInfo *infos = NULL, **iptrs = NULL;
	P2p__Ipc__GroupMember *mems = NULL, **mptrs = NULL;
	struct agent *a = q->ctl->a;
	struct group_ent *g;
	size_t ng = 0, nm = 0, total = 0, i;

	TAILQ_FOREACH(g, &gs->groups, entry)
		total += g->n;
	infos = calloc(gs->ngroups + 1, sizeof(*infos));
	iptrs = calloc(gs->ngroups + 1, sizeof(*iptrs));
	mems = calloc(total + 1, sizeof(*mems));
	mptrs = calloc(total + 1, sizeof(*mptrs));
	if (infos == NULL || iptrs == NULL || mems == NULL || mptrs == NULL) {
		ctl_group_answer(gs, q, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		goto out;
	}
	TAILQ_FOREACH(g, &gs->groups, entry) {
		if (q->name[0] != '\0' && strcmp(q->name, g->name) != 0)
			continue;
		p2p__ipc__group_info__init(&infos[ng]);
		infos[ng].name = g->name;
		infos[ng].mesh = g->mesh;
		infos[ng].member_count = (uint32_t)g->n;
		infos[ng].members = &mptrs[nm];
		for (i = 0; i < g->n; i++) {
			p2p__ipc__group_member__init(&mems[nm]);
			mems[nm].peer_id = g->members[i];
			mems[nm].online = strcmp(g->members[i],
			    a->peer_id) == 0 ||
			    engine_peer_up(a, g->members[i]);
			mptrs[nm] = &mems[nm];
			nm++;
		}
		infos[ng].n_members = g->n;
		ctl_match_attrs_put(g->attrs, &infos[ng]);
		iptrs[ng] = &infos[ng];
		ng++;
	}
	if (q->op == P2P__IPC__GROUP_OP__GROUP_SHOW && ng == 0) {
		ctl_group_answer(gs, q, P2P__IPC__CODE__ERR_NOT_FOUND,
		    truncated ? "group not in the server's (truncated) list" :
		    "no such group, or this peer is not a member");
		goto out;
	}
	gr.groups = iptrs;
	gr.n_groups = ng;
	gr.truncated = truncated;
	r.id = q->req_id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_GROUP;
	r.group = &gr;
	if (q->c != NULL)
		(void)ipc_send_resp(q->c, &r);
	ctl_group_req_free(gs, q);
out:
	free(infos);
	free(iptrs);
	free(mems);
	free(mptrs);
}

int
ctl_group_reply(struct ctl *ctl, const P2p__Srv__ServerMsg *m)
{
	struct ctl_groups *gs = ctl->groups;
	struct group_rq *q;

	if (gs == NULL)
		return 0;
	TAILQ_FOREACH(q, &gs->reqs, entry) {
		if (q->srv_id == m->id)
			break;
	}
	if (q == NULL)
		return 0;
	if (m->body_case == P2P__SRV__SERVER_MSG__BODY_ERROR) {
		ctl_group_answer(gs, q, ctl_group_code(m->error->code),
		    m->error->message != NULL && *m->error->message ?
		    m->error->message : "the server refused the request");
		return 1;
	}
	if (q->op != P2P__IPC__GROUP_OP__GROUP_LIST &&
	    q->op != P2P__IPC__GROUP_OP__GROUP_SHOW) {
		ctl_group_answer(gs, q, P2P__IPC__CODE__OK, "");
		return 1;
	}
	if (m->body_case != P2P__SRV__SERVER_MSG__BODY_GROUP_LIST_REPLY ||
	    !ctl_group_names_ok(m->group_list_reply)) {
		ctl_group_answer(gs, q, P2P__IPC__CODE__ERR_FAILED,
		    "the server answered the group list with something else");
		return 1;
	}
	ctl_group_update(gs, m->group_list_reply);
	if (q->c == NULL)
		ctl_group_req_free(gs, q);
	else
		ctl_group_list(gs, q, m->group_list_reply->truncated);
	return 1;
}

/* 1 if this push_seq is new for the registration (RFC 6479 style). */
static int
ctl_group_push_fresh(struct ctl_groups *gs, uint32_t reg_id, uint32_t seq)
{
	uint32_t d;

	if (reg_id != gs->reg_id) {
		gs->reg_id = reg_id;
		gs->hi = 0;
		gs->seen = 0;
	}
	if (seq > gs->hi) {
		d = seq - gs->hi;
		gs->seen = d >= GROUP_DEDUP_BITS ? 0 : gs->seen << d;
		gs->seen |= 1;
		gs->hi = seq;
		return 1;
	}
	d = gs->hi - seq;
	if (d >= GROUP_DEDUP_BITS || (gs->seen & ((uint64_t)1 << d)))
		return 0;
	gs->seen |= (uint64_t)1 << d;
	return 1;
}

static int
ctl_group_name_ok(const char *s, int empty_ok)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return (n > 0 || empty_ok) && n <= SVC_NAME_MAX;
}

void
ctl_group_event(struct ctl *ctl, uint32_t reg_id, uint32_t seq,
    const P2p__Srv__GroupEvent *e)
{
	struct ctl_groups *gs;
	struct group_ent *g;
	const char *kind;
	size_t i;

	if ((gs = ctl_group_state(ctl)) == NULL)
		return;
	if (!ctl_group_push_fresh(gs, reg_id, seq)) {
		/* Resent because our ack was lost: handled already. */
		log_debug("group event push %u resent: duplicate push dropped",
		    seq);
		return;
	}
	if (!ctl_group_name_ok(e->group, 0) ||
	    !ctl_group_name_ok(e->peer_id, 1))
		return;
	for (i = 0; i < e->n_missing; i++)
		if (!ctl_group_name_ok(e->missing[i], 0))
			return;
	switch (e->kind) {
	case P2P__SRV__GROUP_EVENT_KIND__GEV_MEMBER_JOIN:
		kind = "member_join";
		if ((g = ctl_group_get(gs, e->group)) != NULL)
			ctl_group_member_add(g, e->peer_id);
		break;
	case P2P__SRV__GROUP_EVENT_KIND__GEV_MEMBER_LEAVE:
		kind = "member_leave";
		if ((g = ctl_group_find(gs, e->group)) != NULL) {
			if (strcmp(e->peer_id, ctl->a->peer_id) == 0)
				ctl_group_del(gs, g);
			else
				ctl_group_member_del(g, e->peer_id);
		}
		break;
	case P2P__SRV__GROUP_EVENT_KIND__GEV_GROUP_DESTROYED:
		kind = "group_destroyed";
		if ((g = ctl_group_find(gs, e->group)) != NULL)
			ctl_group_del(gs, g);
		break;
	case P2P__SRV__GROUP_EVENT_KIND__GEV_JOIN_COMPLETE:
		kind = "join_complete";
		break;
	default:
		log_debug("%s: unknown group event kind %d", __func__,
		    (int)e->kind);
		return;
	}
	log_debug("group %s: %s %s", e->group, kind, e->peer_id);
	ctl_events_group(ctl, kind, e->group, e->peer_id, e->missing,
	    e->n_missing, e->missing_count > e->n_missing ? e->missing_count :
	    (uint32_t)e->n_missing);
}

void
ctl_group_timeout(struct ctl *ctl, uint32_t srv_id)
{
	struct ctl_groups *gs = ctl->groups;
	struct group_rq *q;

	if (gs == NULL)
		return;
	TAILQ_FOREACH(q, &gs->reqs, entry) {
		if (q->srv_id == srv_id) {
			ctl_group_answer(gs, q, P2P__IPC__CODE__ERR_TIMEOUT,
			    "the server did not answer the group request");
			return;
		}
	}
}

void
ctl_group_registered(struct ctl *ctl)
{
	struct ctl_groups *gs = ctl_group_state(ctl);

	/* Registering again dropped the requests in flight (reg_start). */
	while (gs != NULL && !TAILQ_EMPTY(&gs->reqs))
		ctl_group_answer(gs, TAILQ_FIRST(&gs->reqs),
		    P2P__IPC__CODE__ERR_FAILED,
		    "the agent registered again; retry the group request");
	if (ctl_group_req_start(ctl, NULL, 0, P2P__IPC__GROUP_OP__GROUP_LIST,
	    NULL) == -1)
		log_warnx("cannot refresh the group list from the server");
}

void
ctl_group_gone(struct ipc_client *c)
{
	struct ctl_groups *gs = c->a->ctl->groups;
	struct group_rq *q;

	if (gs == NULL)
		return;
	TAILQ_FOREACH(q, &gs->reqs, entry) {
		if (q->c == c)
			q->c = NULL;
	}
}
