/* SPDX-License-Identifier: ISC */
/*
 * srv_http_match.c: matchmaking over the HTTP API (docs/HTTP.md):
 *
 *	POST /v1/match		a ticket for a device; the request waits
 *				until it ends and is answered with how
 *				(matched: the group with its members)
 *	GET /v1/match		the waiting pools and counters
 *	GET /v1/match/PEER	the ticket of a device
 *	DELETE /v1/match/PEER	cancel it (its POST answers "cancelled")
 *
 * A waiting POST (struct srv_http_mop) is its ticket's waiter
 * (srv_match.h): when its client goes away the ticket ends ("gone"), and
 * libevent leaves the detached request to us to free. evhttp reads nothing
 * while a request waits for its answer, so it would not see the client
 * leave: an EV_CLOSED event on the socket (epoll's early close) does, and
 * frees the connection. At most SRV_HTTP_MATCH_WAITING wait at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "log.h"
#include "server.h"
#include "srv_http.h"
#include "srv_json.h"
#include "srv_match.h"

#define SRV_HTTP_MATCH_WAITING	4096	/* POSTs waiting at once */
#define SRV_HTTP_MATCH_SLACK_S	30	/* idle connection beyond timeout */

struct srv_http_mop {
	struct srv		*srv;
	struct evhttp_request	*req;
	struct event		*closed_ev;	/* the client left */
	long long		 timeout_s;
};

static int
srv_http_match_status(enum srv_match_rc rc)
{
	switch (rc) {
	case SRV_MATCH_OK:
		return 200;
	case SRV_MATCH_INVALID:
		return 400;
	case SRV_MATCH_CONFLICT:
		return 409;
	case SRV_MATCH_FULL:
		return 507;
	case SRV_MATCH_UNAVAILABLE:
		return 503;
	case SRV_MATCH_NOT_FOUND:
		return 404;
	}
	return 500;
}

static json_object *
srv_http_match_attrs(const struct match_attr *a, unsigned n)
{
	json_object *o = json_object_new_object();
	unsigned i;

	for (i = 0; i < n && i < MATCH_ATTRS_MAX; i++)
		json_object_object_add(o, a[i].key,
		    json_object_new_string(a[i].value));
	return o;
}

/* {peer_id, ticket, size, attributes[, group]}: a ticket as JSON. */
static json_object *
srv_http_ticket_json(const struct state_ticket *t)
{
	json_object *o = json_object_new_object();
	char id[17];

	snprintf(id, sizeof(id), "%016llx", (unsigned long long)t->id);
	json_object_object_add(o, "peer_id", json_object_new_string(
	    t->peer_id));
	json_object_object_add(o, "ticket", json_object_new_string(id));
	if (t->size != 0)
		json_object_object_add(o, "size",
		    json_object_new_int64((int64_t)t->size));
	json_object_object_add(o, "attributes",
	    srv_http_match_attrs(t->attrs, t->nattrs));
	return o;
}

/*
 * The client of a waiting POST went away. libevent detached the request
 * from its connection before calling this: freeing it is ours.
 */
static void
srv_http_match_closed(struct evhttp_connection *conn, void *arg)
{
	struct srv_http_mop *op = arg;
	struct srv *s = op->srv;

	(void)conn;
	if (op->closed_ev != NULL)
		event_free(op->closed_ev);
	s->http_match_waiting--;
	if (s->match != NULL)
		srv_match_abandon(s->match, op);
	if (evhttp_request_get_connection(op->req) == NULL) {
		log_debug("http: a client waiting for its match went away");
		evhttp_request_free(op->req);
	}			/* else shutting down: evhttp frees it */
	free(op);
}

void
srv_http_match_answer(struct srv *s, void *waiter,
    const struct state_ticket *t, enum srv_match_outcome o)
{
	struct srv_http_mop *op = waiter;
	struct evhttp_request *req = op->req;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	json_object *out, *g;

	if (op->closed_ev != NULL)
		event_free(op->closed_ev);
	free(op);
	if (conn != NULL)
		evhttp_connection_set_closecb(conn, NULL, NULL);
	s->http_match_waiting--;
	out = srv_http_ticket_json(t);
	json_object_object_add(out, "outcome", json_object_new_string(
	    srv_match_outcome_word(o)));
	if (o == SRV_MATCH_MATCHED && (g = srv_http_group_json(s, t->group, 1,
	    NULL)) != NULL)
		json_object_object_add(out, "group", g);
	else if (o == SRV_MATCH_MATCHED)	/* destroyed meanwhile */
		json_object_object_add(out, "group_name",
		    json_object_new_string(t->group));
	srv_http_json(req, 200, out);
}

/* The socket of a waiting POST closed: its connection goes (closecb). */
static void
srv_http_match_eof(evutil_socket_t fd, short what, void *arg)
{
	struct srv_http_mop *op = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(
	    op->req);

	(void)fd;
	(void)what;
	event_free(op->closed_ev);
	op->closed_ev = NULL;
	if (conn != NULL)
		evhttp_connection_free(conn);	/* calls ..._closed */
}

/* Watch for the client leaving, where the event backend can. */
static void
srv_http_match_watch(struct srv_http_mop *op, struct evhttp_connection *conn)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
	struct event_base *base = evhttp_connection_get_base(conn);
	evutil_socket_t fd;

	if (bev == NULL || base == NULL || (fd = bufferevent_getfd(bev)) < 0 ||
	    !(event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE))
		return;		/* then the ticket's timeout ends it */
	if ((op->closed_ev = event_new(base, fd, EV_CLOSED,
	    srv_http_match_eof, op)) != NULL &&
	    event_add(op->closed_ev, NULL) == -1) {
		event_free(op->closed_ev);
		op->closed_ev = NULL;
	}
}

static void
srv_http_match_accepted(enum srv_match_rc rc, const struct state_ticket *t,
    const char *msg, void *arg)
{
	struct srv_http_mop *op = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(
	    op->req);

	(void)t;
	if (rc != SRV_MATCH_OK) {
		srv_http_error(op->req, srv_http_match_status(rc), "%s", msg);
		free(op);
		return;
	}
	/* The answer comes when the ticket ends (never before this). */
	op->srv->http_match_waiting++;
	if (conn != NULL) {
		evhttp_connection_set_timeout(conn, (int)op->timeout_s +
		    SRV_HTTP_MATCH_SLACK_S);
		evhttp_connection_set_closecb(conn, srv_http_match_closed, op);
		srv_http_match_watch(op, conn);
	}
}

static void
srv_http_match_post(struct srv *s, struct evhttp_request *req)
{
	struct srv_json_match jm;
	struct srv_match_req q;
	struct srv_http_mop *op;
	json_object *in;
	char err[256];

	if (s->http_match_waiting >= SRV_HTTP_MATCH_WAITING) {
		srv_http_error(req, 503, "too many tickets waiting over HTTP "
		    "(%d)", SRV_HTTP_MATCH_WAITING);
		return;
	}
	if ((in = srv_http_body(req, srv_json_match_fields)) == NULL)
		return;
	if (srv_json_match(in, &jm, err, sizeof(err)) == -1) {
		json_object_put(in);
		srv_http_error(req, 400, "%s", err);
		return;
	}
	json_object_put(in);
	memset(&q, 0, sizeof(q));
	memcpy(q.peer_id, jm.peer_id, sizeof(q.peer_id));
	memcpy(q.attrs, jm.attrs, sizeof(q.attrs));
	q.nattrs = jm.nattrs;
	q.size = jm.size;
	q.timeout_s = jm.timeout_s;
	q.kind = STATE_TICKET_API;
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		srv_http_error(req, 503, "out of memory");
		return;
	}
	op->srv = s;
	op->req = req;
	op->timeout_s = jm.timeout_s;
	srv_match_add(s->match, &q, op, srv_now_unix_ms(),
	    srv_http_match_accepted, op);
}

static void
srv_http_pool_add(const struct state_ticket *t, size_t waiting, void *arg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "size", json_object_new_int64(
	    (int64_t)t->size));
	json_object_object_add(o, "attributes",
	    srv_http_match_attrs(t->attrs, t->nattrs));
	json_object_object_add(o, "waiting", json_object_new_int64(
	    (int64_t)waiting));
	json_object_array_add(arg, o);
}

static void
srv_http_ticket_count(const struct state_ticket *t, void *arg)
{
	(void)t;
	(*(size_t *)arg)++;
}

static void
srv_http_match_list(struct srv *s, struct evhttp_request *req,
    const char *name, const char *peer)
{
	const struct srv_match_stats *st = srv_match_stats(s->match);
	json_object *o = json_object_new_object(), *pools, *c;
	size_t n = 0;

	(void)name;
	(void)peer;
	pools = json_object_new_array();
	(void)state_match_pools(s->state, srv_http_pool_add, pools);
	(void)state_match_each(s->state, srv_http_ticket_count, &n);
	json_object_object_add(o, "tickets", json_object_new_int64(
	    (int64_t)n));
	json_object_object_add(o, "held_here", json_object_new_int64(
	    (int64_t)srv_match_held(s->match)));
	json_object_object_add(o, "pools", pools);
	c = json_object_new_object();
	json_object_object_add(c, "accepted", json_object_new_int64(
	    (int64_t)st->tickets));
	json_object_object_add(c, "matches", json_object_new_int64(
	    (int64_t)st->matches));
	json_object_object_add(c, "timeouts", json_object_new_int64(
	    (int64_t)st->timeouts));
	json_object_object_add(c, "cancelled", json_object_new_int64(
	    (int64_t)st->cancelled));
	json_object_object_add(c, "gone", json_object_new_int64(
	    (int64_t)st->gone));
	json_object_object_add(c, "refused", json_object_new_int64(
	    (int64_t)st->refused));
	json_object_object_add(o, "counters", c);
	srv_http_json(req, 200, o);
}

static void
srv_http_match_show(struct srv *s, struct evhttp_request *req,
    const char *name, const char *peer)
{
	struct state_ticket t;
	json_object *o;

	(void)name;
	if (state_match_get(s->state, peer, &t) != STATE_OK) {
		srv_http_error(req, 404, "peer %s holds no ticket", peer);
		return;
	}
	o = srv_http_ticket_json(&t);
	json_object_object_add(o, "status", json_object_new_string(
	    t.group[0] != '\0' ? "matched" : "waiting"));
	json_object_object_add(o, "deadline_ms", json_object_new_int64(
	    (int64_t)t.deadline_ms));
	if (t.group[0] != '\0')
		json_object_object_add(o, "group", json_object_new_string(
		    t.group));
	srv_http_json(req, 200, o);
}

static void
srv_http_match_cancelled(enum srv_match_rc rc, const struct state_ticket *t,
    const char *msg, void *arg)
{
	struct srv_http_mop *op = arg;

	(void)t;
	if (rc == SRV_MATCH_OK)
		srv_http_json(op->req, 204, NULL);
	else
		srv_http_error(op->req, srv_http_match_status(rc), "%s", msg);
	free(op);
}

void
srv_http_match(struct srv *s, struct evhttp_request *req, const char *peer)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct srv_http_mop *op;

	if (s->match == NULL) {
		srv_http_error(req, 503, "matchmaking is not available");
		return;
	}
	if (peer == NULL) {
		if (m == EVHTTP_REQ_POST)
			srv_http_match_post(s, req);
		else
			srv_http_read(s, req, srv_http_match_list, NULL, NULL);
		return;
	}
	if (!p2p_name_valid(peer)) {
		srv_http_error(req, 400, "'%.64s' is not a peer id", peer);
		return;
	}
	if (m != EVHTTP_REQ_DELETE) {
		srv_http_read(s, req, srv_http_match_show, NULL, peer);
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		srv_http_error(req, 503, "out of memory");
		return;
	}
	op->srv = s;
	op->req = req;
	srv_match_cancel(s->match, peer, 0, srv_http_match_cancelled, op);
}
