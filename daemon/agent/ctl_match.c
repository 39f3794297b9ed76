/* SPDX-License-Identifier: ISC */
/*
 * ctl_match.c: `p2pctl match` and `p2pctl group search` on the agent's
 * side (PROTOCOL.md §7.1).
 *
 * The agent holds at most one ticket (the server's rule: one per device).
 * A client's MatchReq becomes a MatchRequest with a ticket id the agent
 * picks; the server answers match_ticket (taken) or an error, and later
 * pushes a MatchResult, which answers the client: the match group, or
 * ERR_TIMEOUT / ERR_CLOSED / ERR_FAILED. Registering again sends the
 * same ticket again (the server keeps it across a re-registration, or
 * tells the group again if it matched meanwhile). The client closing its
 * connection cancels the ticket (at once, or once registered again); a
 * MatchReq with cancel set cancels it for whoever asked. A timer a little
 * past the ticket's timeout answers the client should the server never
 * say how the ticket ended.
 *
 * Other requests to the server (searches, cancels) wait in a short queue
 * for their answers, like ctl_group.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"
#include "log.h"
#include "match.h"

#define MATCH_RQ_MAX	16		/* searches and cancels in flight */
#define MATCH_GRACE_S	30		/* past the ticket's timeout */

enum match_rq_kind {
	MRQ_SEARCH,
	MRQ_CANCEL,
	MRQ_QUIET,			/* nobody waits for the answer */
};

struct match_rq {
	TAILQ_ENTRY(match_rq)	 entry;
	struct ipc_client	*c;
	uint32_t		 req_id;
	uint32_t		 srv_id;
	enum match_rq_kind	 kind;
};

struct ctl_match {
	struct ctl		*ctl;
	/* The ticket: ticket 0 when none. */
	uint64_t		 ticket;
	struct ipc_client	*c;
	uint32_t		 req_id;
	uint32_t		 srv_id;	/* its MatchRequest in flight */
	struct match_attr	 attrs[MATCH_ATTRS_MAX];
	unsigned		 nattrs;
	uint32_t		 size, timeout_s;
	struct event		*timer;
	/* A ticket whose client left while the agent was not registered. */
	uint64_t		 orphan;
	TAILQ_HEAD(, match_rq)	 reqs;
	size_t			 nreqs;
};

static void	ctl_match_expired(evutil_socket_t, short, void *);

static struct ctl_match *
ctl_match_state(struct ctl *ctl)
{
	struct ctl_match *ms;

	if (ctl->match != NULL)
		return ctl->match;
	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return NULL;
	if ((ms->timer = evtimer_new(ctl->a->base, ctl_match_expired,
	    ms)) == NULL) {
		free(ms);
		return NULL;
	}
	ms->ctl = ctl;
	TAILQ_INIT(&ms->reqs);
	ctl->match = ms;
	return ms;
}

static void
ctl_match_rq_free(struct ctl_match *ms, struct match_rq *q)
{
	TAILQ_REMOVE(&ms->reqs, q, entry);
	ms->nreqs--;
	free(q);
}

void
ctl_match_free(struct ctl *ctl)
{
	struct ctl_match *ms = ctl->match;

	if (ms == NULL)
		return;
	while (!TAILQ_EMPTY(&ms->reqs))
		ctl_match_rq_free(ms, TAILQ_FIRST(&ms->reqs));
	event_free(ms->timer);
	free(ms);
	ctl->match = NULL;
}

/* The ticket ended: answer its client (if still there) and forget it. */
static void
ctl_match_end(struct ctl_match *ms, P2p__Ipc__Code code, const char *msg)
{
	if (ms->c != NULL)
		ipc_reply(ms->c, ms->req_id, code, "%s", msg);
	ms->ticket = 0;
	ms->c = NULL;
	ms->srv_id = 0;
	evtimer_del(ms->timer);
}

/* Send a request whose answer goes to the queue; -1 if it cannot. */
static int
ctl_match_rq_send(struct ctl_match *ms, struct ipc_client *c, uint32_t id,
    enum match_rq_kind kind, P2p__Srv__ServerMsg *m)
{
	struct match_rq *q;

	if (ms->nreqs >= MATCH_RQ_MAX || (q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	if ((q->srv_id = engine_srv_request(ms->ctl->a, m)) == 0) {
		free(q);
		return -1;
	}
	q->c = c;
	q->req_id = id;
	q->kind = kind;
	TAILQ_INSERT_TAIL(&ms->reqs, q, entry);
	ms->nreqs++;
	return 0;
}

static int
ctl_match_cancel_send(struct ctl_match *ms, struct ipc_client *c,
    uint32_t id, uint64_t ticket)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__MatchCancel mc = P2P__SRV__MATCH_CANCEL__INIT;

	mc.ticket = ticket;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_MATCH_CANCEL;
	m.match_cancel = &mc;
	return ctl_match_rq_send(ms, c, id, c != NULL ? MRQ_CANCEL : MRQ_QUIET,
	    &m);
}

static int
ctl_match_ticket_send(struct ctl_match *ms)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__MatchRequest mr = P2P__SRV__MATCH_REQUEST__INIT;
	P2p__Srv__Attr a[MATCH_ATTRS_MAX], *ap[MATCH_ATTRS_MAX];
	unsigned i;

	for (i = 0; i < ms->nattrs; i++) {
		p2p__srv__attr__init(&a[i]);
		a[i].key = ms->attrs[i].key;
		a[i].value = ms->attrs[i].value;
		ap[i] = &a[i];
	}
	mr.ticket = ms->ticket;
	mr.attributes = ap;
	mr.n_attributes = ms->nattrs;
	mr.size = ms->size;
	mr.timeout_s = ms->timeout_s;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_MATCH_REQUEST;
	m.match_request = &mr;
	ms->srv_id = engine_srv_request(ms->ctl->a, &m);
	return ms->srv_id == 0 ? -1 : 0;
}

static int
ctl_match_registered_or_say(struct ipc_client *c, uint32_t id)
{
	if (engine_registered(c->a))
		return 1;
	ipc_reply(c, id, P2P__IPC__CODE__ERR_NOT_REGISTERED,
	    "not registered with the server (%s)", engine_server_state(c->a));
	return 0;
}

static void
ctl_match_cancel(struct ipc_client *c, uint32_t id)
{
	struct ctl_match *ms;

	if (!ctl_match_registered_or_say(c, id))
		return;
	if ((ms = ctl_match_state(c->a->ctl)) == NULL ||
	    ctl_match_cancel_send(ms, c, id, ms->ticket) == -1)
		ipc_reply(c, id, P2P__IPC__CODE__ERR_BUSY,
		    "too many matchmaking requests waiting for the server");
}

void
ctl_match(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__MatchReq *r = req->match;
	struct ctl_match *ms;
	char err[160];
	uint64_t t;

	if (r->cancel) {
		ctl_match_cancel(c, req->id);
		return;
	}
	if (!ctl_match_registered_or_say(c, req->id))
		return;
	if ((ms = ctl_match_state(c->a->ctl)) == NULL) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		return;
	}
	if (ms->ticket != 0) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_EXISTS, "this "
		    "device already waits for a match (one ticket at a "
		    "time; `p2pctl match --cancel` cancels it)");
		return;
	}
	if (ctl_match_attrs_in(r->attributes, r->n_attributes, ms->attrs,
	    &ms->nattrs, err, sizeof(err)) == -1 ||
	    match_size_check(r->size, err, sizeof(err)) == -1 ||
	    (r->timeout_s != 0 &&
	    match_timeout_check(r->timeout_s, err, sizeof(err)) == -1)) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE, "bad ticket: "
		    "%s", err);
		return;
	}
	do
		randombytes_buf(&t, sizeof(t));
	while (t == 0);
	ms->ticket = t;
	ms->c = c;
	ms->req_id = req->id;
	ms->size = r->size;
	ms->timeout_s = r->timeout_s != 0 ? r->timeout_s :
	    MATCH_TIMEOUT_DEFAULT;
	if (ctl_match_ticket_send(ms) == -1) {
		ctl_match_end(ms, P2P__IPC__CODE__ERR_BUSY,
		    "too many requests waiting for the server");
		return;
	}
	agent_timer_in(ms->timer,
	    (uint64_t)(ms->timeout_s + MATCH_GRACE_S) * 1000000);
	log_debug("match: ticket %016llx, %u attributes, size %u, %u s",
	    (unsigned long long)t, ms->nattrs, ms->size, ms->timeout_s);
}

/* The server never said how the ticket ended. */
static void
ctl_match_expired(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_match *ms = arg;
	uint64_t t = ms->ticket;
	char msg[128];

	(void)fd;
	(void)what;
	if (t == 0)
		return;
	snprintf(msg, sizeof(msg), "no answer from the server within %u s "
	    "of the ticket's timeout", (unsigned)MATCH_GRACE_S);
	ctl_match_end(ms, P2P__IPC__CODE__ERR_TIMEOUT, msg);
	if (!engine_registered(ms->ctl->a) ||
	    ctl_match_cancel_send(ms, NULL, 0, t) == -1)
		ms->orphan = t;
}

void
ctl_group_search(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__GroupSearchReq *r = req->group_search;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupSearch gs = P2P__SRV__GROUP_SEARCH__INIT;
	P2p__Srv__Attr a[MATCH_ATTRS_MAX], *ap[MATCH_ATTRS_MAX];
	struct match_attr attrs[MATCH_ATTRS_MAX];
	struct ctl_match *ms;
	unsigned i, n;
	char err[160];

	if (!ctl_match_registered_or_say(c, req->id))
		return;
	if (ctl_match_attrs_in(r->attributes, r->n_attributes, attrs, &n,
	    err, sizeof(err)) == -1) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE, "bad search: "
		    "%s", err);
		return;
	}
	for (i = 0; i < n; i++) {
		p2p__srv__attr__init(&a[i]);
		a[i].key = attrs[i].key;
		a[i].value = attrs[i].value;
		ap[i] = &a[i];
	}
	gs.attributes = ap;
	gs.n_attributes = n;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_SEARCH;
	m.group_search = &gs;
	if ((ms = ctl_match_state(c->a->ctl)) == NULL ||
	    ctl_match_rq_send(ms, c, req->id, MRQ_SEARCH, &m) == -1)
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_BUSY,
		    "too many matchmaking requests waiting for the server");
}

static void
ctl_match_rq_reply(struct ctl_match *ms, struct match_rq *q,
    const P2p__Srv__ServerMsg *m)
{
	const P2p__Srv__GroupSearchReply *sr;

	if (q->c == NULL)
		return;
	if (m->body_case == P2P__SRV__SERVER_MSG__BODY_ERROR) {
		if (q->kind == MRQ_CANCEL && m->error->code ==
		    P2P__SRV__ERR_CODE__ERR_NO_TICKET)
			ipc_reply(q->c, q->req_id,
			    P2P__IPC__CODE__ERR_NOT_FOUND,
			    "this device has no ticket waiting");
		else
			ipc_reply(q->c, q->req_id,
			    ctl_group_code(m->error->code), "%s",
			    m->error->message != NULL && *m->error->message ?
			    m->error->message : "the server refused it");
		return;
	}
	if (q->kind == MRQ_CANCEL) {
		ipc_reply(q->c, q->req_id, P2P__IPC__CODE__OK, "%s", "");
		return;
	}
	if (m->body_case != P2P__SRV__SERVER_MSG__BODY_GROUP_SEARCH_REPLY) {
		ipc_reply(q->c, q->req_id, P2P__IPC__CODE__ERR_FAILED,
		    "the server answered the search with something else");
		return;
	}
	sr = m->group_search_reply;
	(void)ms;
	ctl_match_groups_reply(q->c, q->req_id, sr->groups, sr->n_groups,
	    sr->truncated);
}

int
ctl_match_reply(struct ctl *ctl, const P2p__Srv__ServerMsg *m)
{
	struct ctl_match *ms = ctl->match;
	struct match_rq *q;

	if (ms == NULL)
		return 0;
	if (ms->ticket != 0 && ms->srv_id != 0 && m->id == ms->srv_id) {
		ms->srv_id = 0;
		if (m->body_case == P2P__SRV__SERVER_MSG__BODY_ERROR)
			ctl_match_end(ms, ctl_group_code(m->error->code),
			    m->error->message != NULL && *m->error->message ?
			    m->error->message : "the server refused the ticket");
		else
			log_debug("match: ticket %016llx taken",
			    (unsigned long long)ms->ticket);
		return 1;
	}
	TAILQ_FOREACH(q, &ms->reqs, entry) {
		if (q->srv_id == m->id) {
			ctl_match_rq_reply(ms, q, m);
			ctl_match_rq_free(ms, q);
			return 1;
		}
	}
	return 0;
}

void
ctl_match_timeout(struct ctl *ctl, uint32_t srv_id)
{
	struct ctl_match *ms = ctl->match;
	struct match_rq *q;

	if (ms == NULL)
		return;
	if (ms->ticket != 0 && ms->srv_id == srv_id) {
		ctl_match_end(ms, P2P__IPC__CODE__ERR_TIMEOUT,
		    "the server did not answer the match request");
		return;
	}
	TAILQ_FOREACH(q, &ms->reqs, entry) {
		if (q->srv_id == srv_id) {
			if (q->c != NULL)
				ipc_reply(q->c, q->req_id,
				    P2P__IPC__CODE__ERR_TIMEOUT, "the server "
				    "did not answer the request");
			ctl_match_rq_free(ms, q);
			return;
		}
	}
}

void
ctl_match_result(struct ctl *ctl, const P2p__Srv__MatchResult *mr)
{
	struct ctl_match *ms = ctl->match;
	char msg[256];
	const char *why = mr->message != NULL && *mr->message ?
	    mr->message : "";

	if (ms == NULL || ms->ticket == 0 || mr->ticket != ms->ticket) {
		log_debug("match: result of ticket %016llx: not ours (any "
		    "more)", (unsigned long long)mr->ticket);
		return;
	}
	switch (mr->outcome) {
	case P2P__SRV__MATCH_OUTCOME__MATCH_MATCHED:
		if (mr->group == NULL) {
			ctl_match_end(ms, P2P__IPC__CODE__ERR_FAILED,
			    "the server matched the ticket without a group");
			return;
		}
		log_info("match: ticket %016llx matched: group %s",
		    (unsigned long long)ms->ticket, mr->group->name != NULL ?
		    mr->group->name : "");
		ctl_match_groups_reply(ms->c, ms->req_id, &mr->group, 1, 0);
		ms->c = NULL;
		ctl_match_end(ms, P2P__IPC__CODE__OK, "");
		return;
	case P2P__SRV__MATCH_OUTCOME__MATCH_TIMEOUT:
		snprintf(msg, sizeof(msg), "no match within %u s", ms->timeout_s);
		ctl_match_end(ms, P2P__IPC__CODE__ERR_TIMEOUT, msg);
		return;
	case P2P__SRV__MATCH_OUTCOME__MATCH_CANCELLED:
		ctl_match_end(ms, P2P__IPC__CODE__ERR_CLOSED,
		    "the ticket was cancelled");
		return;
	default:
		snprintf(msg, sizeof(msg), "the server ended the ticket (%s)%s%s",
		    mr->outcome == P2P__SRV__MATCH_OUTCOME__MATCH_GONE ?
		    "gone" : "lost", *why ? ": " : "", why);
		ctl_match_end(ms, P2P__IPC__CODE__ERR_FAILED, msg);
		return;
	}
}

void
ctl_match_registered(struct ctl *ctl)
{
	struct ctl_match *ms = ctl->match;

	if (ms == NULL)
		return;
	/* Registering again dropped the requests in flight (reg_start). */
	while (!TAILQ_EMPTY(&ms->reqs)) {
		struct match_rq *q = TAILQ_FIRST(&ms->reqs);

		if (q->c != NULL)
			ipc_reply(q->c, q->req_id, P2P__IPC__CODE__ERR_FAILED,
			    "the agent registered again; retry");
		ctl_match_rq_free(ms, q);
	}
	if (ms->orphan != 0 &&
	    ctl_match_cancel_send(ms, NULL, 0, ms->orphan) == 0)
		ms->orphan = 0;
	if (ms->ticket != 0 && ctl_match_ticket_send(ms) == -1)
		ctl_match_end(ms, P2P__IPC__CODE__ERR_FAILED,
		    "cannot send the ticket again after registering again");
}

void
ctl_match_gone(struct ipc_client *c)
{
	struct ctl_match *ms = c->a->ctl->match;
	struct match_rq *q;
	uint64_t t;

	if (ms == NULL)
		return;
	TAILQ_FOREACH(q, &ms->reqs, entry) {
		if (q->c == c)
			q->c = NULL;
	}
	if (ms->ticket == 0 || ms->c != c)
		return;
	t = ms->ticket;
	ms->c = NULL;
	ctl_match_end(ms, P2P__IPC__CODE__OK, "");
	log_info("match: ticket %016llx: its client left, cancelling",
	    (unsigned long long)t);
	if (!engine_registered(c->a) ||
	    ctl_match_cancel_send(ms, NULL, 0, t) == -1)
		ms->orphan = t;
}
