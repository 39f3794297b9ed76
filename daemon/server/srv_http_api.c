/* SPDX-License-Identifier: ISC */
/*
 * srv_http_api.c: the handlers of /v1/tokens, /v1/groups and /v1/peers
 * (docs/HTTP.md). Bodies come checked for size, syntax and unknown fields
 * (srv_http_body); here each field's type and value is checked before use.
 * Group changes go through srv_group.c, so they have the same semantics and
 * events as the agents' requests.
 *
 * A change is answered from its completion (state.h): on a cluster, after
 * Redis has it. A read first waits for a state barrier, so it sees every
 * change acknowledged on any node before it (memory: at once). While the
 * cluster state is unavailable both get 503.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "addr.h"
#include "cluster.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"
#include "srv_json.h"
#include "reghs.h"
#include "token.h"

static int
srv_http_group_status(enum srv_group_rc rc)
{
	switch (rc) {
	case SRV_GROUP_OK:
		return 200;
	case SRV_GROUP_INVALID:
		return 400;
	case SRV_GROUP_NOT_FOUND:
	case SRV_GROUP_NOT_MEMBER:
		return 404;
	case SRV_GROUP_EXISTS:
	case SRV_GROUP_ALREADY:
		return 409;
	case SRV_GROUP_DENIED:
		return 403;
	case SRV_GROUP_FULL:
		return 507;
	case SRV_GROUP_UNAVAILABLE:
		return 503;
	}
	return 500;
}

struct srv_http_op {
	struct srv		*srv;
	struct evhttp_request	*req;
	srv_http_read_fn	 read;
	char			 name[P2P_NAME_MAX + 1];
	char			 peer[P2P_NAME_MAX + 1];
	int			 put;		/* member PUT, else DELETE */
};

static struct srv_http_op *
srv_http_op_new(struct srv *s, struct evhttp_request *req, const char *name,
    const char *peer)
{
	struct srv_http_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		srv_http_error(req, 500, "out of memory");
		return NULL;
	}
	op->srv = s;
	op->req = req;
	if (name != NULL)
		snprintf(op->name, sizeof(op->name), "%s", name);
	if (peer != NULL)
		snprintf(op->peer, sizeof(op->peer), "%s", peer);
	return op;
}

static void
srv_http_barrier_done(const struct state_result *r, void *arg)
{
	struct srv_http_op *op = arg;

	if (r->rc != STATE_OK)
		srv_http_error(op->req, 503, "cluster state unavailable");
	else
		op->read(op->srv, op->req, op->name[0] ? op->name : NULL,
		    op->peer[0] ? op->peer : NULL);
	free(op);
}

/* Run fn once the view holds every change acknowledged before now. */
void
srv_http_read(struct srv *s, struct evhttp_request *req, srv_http_read_fn fn,
    const char *name, const char *peer)
{
	struct srv_http_op *op;

	if ((op = srv_http_op_new(s, req, name, peer)) == NULL)
		return;
	op->read = fn;
	state_barrier_cb(s->state, srv_http_barrier_done, op);
}

void
srv_http_tokens(struct srv *s, struct evhttp_request *req)
{
	struct srv_json_token jt;
	json_object *in, *out, *keys;
	struct token t;
	char tok[TOKEN_MAX_LEN + 1], err[256];
	struct cluster_node best;
	char b64[REGHS_KEY_B64_LEN + 1];
	int64_t ttl;
	unsigned i;

	if ((in = srv_http_body(req, srv_json_token_fields)) == NULL)
		return;
	if (srv_json_token(in, &jt, err, sizeof(err)) == -1) {
		json_object_put(in);
		srv_http_error(req, 400, "%s", err);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.version = TOKEN_VERSION;
	memcpy(t.peer_id, jt.peer_id, sizeof(t.peer_id));
	for (i = 0; i < jt.ngroups; i++)
		memcpy(t.groups[i], jt.groups[i], sizeof(t.groups[i]));
	t.ngroups = jt.ngroups;
	/* Attributes the backend vouches for (§7.1): version 3. */
	memcpy(t.attrs, jt.attrs, sizeof(t.attrs));
	t.nattrs = jt.nattrs;
	if (t.nattrs > 0)
		t.version = TOKEN_VERSION_ATTRS;
	/* The device learns whom to trust from its token (§2.1). */
	for (i = 0; i < s->ident.nkeys && i < TOKEN_MAX_KEYS; i++)
		memcpy(t.keys[i], s->ident.pk[i], sizeof(t.keys[i]));
	t.nkeys = i;
	ttl = jt.ttl;
	json_object_put(in);
	if (ttl > s->conf.max_token_ttl) {
		srv_http_error(req, 400, "ttl: at most %ld (this server's "
		    "--max-token-ttl)", s->conf.max_token_ttl);
		return;
	}
	t.issued_at = srv_now_unix();
	t.expires_at = t.issued_at + (uint64_t)ttl;
	if (token_mint(&t, s->secret, s->secret_len, tok, sizeof(tok)) < 0) {
		srv_http_error(req, 400, "these fields do not fit in "
		    "a token (%d characters)", TOKEN_MAX_LEN);
		return;
	}
	srv_http_least_loaded(s, &best);
	out = json_object_new_object();
	json_object_object_add(out, "token", json_object_new_string(tok));
	json_object_object_add(out, "udp", json_object_new_string(best.udp));
	json_object_object_add(out, "tcp", json_object_new_string(best.tcp));
	if (best.udp6[0] != '\0') {
		json_object_object_add(out, "udp6",
		    json_object_new_string(best.udp6));
		json_object_object_add(out, "tcp6",
		    json_object_new_string(best.tcp6));
	}
	json_object_object_add(out, "nodes", srv_http_nodes_array(s));
	json_object_object_add(out, "expires_at",
	    json_object_new_int64((int64_t)t.expires_at));
	keys = json_object_new_array();
	for (i = 0; i < t.nkeys; i++) {
		reghs_key_to_b64(t.keys[i], b64);
		json_object_array_add(keys, json_object_new_string(b64));
	}
	json_object_object_add(out, "server_keys", keys);
	srv_http_json(req, 200, out);
}

static json_object *
srv_http_attrs(const struct state_group *sg)
{
	json_object *o = json_object_new_object();
	unsigned i;

	for (i = 0; i < sg->nattrs; i++)
		json_object_object_add(o, sg->attrs[i].key,
		    json_object_new_string(sg->attrs[i].value));
	return o;
}

struct srv_http_members {
	struct srv	*s;
	json_object	*arr;
};

static void
srv_http_member_add(const char *peer, void *arg)
{
	struct srv_http_members *m = arg;
	struct state_peer p;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "peer_id", json_object_new_string(peer));
	json_object_object_add(o, "online", json_object_new_boolean(
	    state_get(m->s->state, peer, &p) == STATE_OK));
	json_object_array_add(m->arr, o);
}

/*
 * The group name: {name, attributes, mesh, member_count[, expires_at]
 * [, members]}.
 */
json_object *
srv_http_group_json(struct srv *s, const char *name, int members,
    enum srv_group_rc *rcp)
{
	struct srv_http_members m;
	struct state_group sg;
	enum srv_group_rc rc;
	json_object *o;

	m.s = s;
	m.arr = json_object_new_array();
	rc = srv_group_show(s->groups, name, &sg,
	    members ? srv_http_member_add : NULL, &m);
	if (rcp != NULL)
		*rcp = rc;
	if (rc != SRV_GROUP_OK) {
		json_object_put(m.arr);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(sg.name));
	json_object_object_add(o, "attributes", srv_http_attrs(&sg));
	json_object_object_add(o, "mesh", json_object_new_boolean(sg.mesh));
	json_object_object_add(o, "member_count",
	    json_object_new_int64((int64_t)sg.nmembers));
	if (sg.expires_at != 0)	/* a match group's */
		json_object_object_add(o, "expires_at",
		    json_object_new_int64((int64_t)sg.expires_at));
	if (members)
		json_object_object_add(o, "members", m.arr);
	else
		json_object_put(m.arr);
	return o;
}

struct srv_http_list {
	struct srv	*s;
	json_object	*arr;
};

static void
srv_http_list_add(const char *name, void *arg)
{
	struct srv_http_list *l = arg;
	json_object *o;

	if ((o = srv_http_group_json(l->s, name, 0, NULL)) != NULL)
		json_object_array_add(l->arr, o);
}

static void
srv_http_created(enum srv_group_rc rc, void *arg)
{
	struct srv_http_op *op = arg;

	if (rc != SRV_GROUP_OK)
		srv_http_error(op->req, srv_http_group_status(rc),
		    "group %s: %s", op->name, srv_group_strerror(rc));
	else
		srv_http_json(op->req, 201, srv_http_group_json(op->srv,
		    op->name, 1, NULL));
	free(op);
}

static void
srv_http_group_create(struct srv *s, struct evhttp_request *req)
{
	struct srv_json_group jg;
	struct srv_http_op *op;
	json_object *in;
	char err[256];

	if ((in = srv_http_body(req, srv_json_group_fields)) == NULL)
		return;
	if (srv_json_group(in, &jg, err, sizeof(err)) == -1) {
		json_object_put(in);
		srv_http_error(req, 400, "%s", err);
		return;
	}
	json_object_put(in);
	if ((op = srv_http_op_new(s, req, jg.name, NULL)) == NULL)
		return;
	srv_group_create_cb(s->groups, jg.name, jg.attrs, jg.nattrs,
	    jg.mesh, srv_now_us(), srv_http_created, op);
}

static void
srv_http_groups_read(struct srv *s, struct evhttp_request *req,
    const char *name, const char *peer)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct state_attr want[STATE_GROUP_ATTRS];
	const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct srv_http_list l;
	json_object *o;
	unsigned n = 0;
	char err[256];

	(void)name;
	(void)peer;
	/* ?KEY=VALUE&...: the groups having all those attributes. */
	if (q != NULL && srv_json_query_attrs(q, want, &n, err,
	    sizeof(err)) == -1) {
		srv_http_error(req, 400, "%s", err);
		return;
	}
	l.s = s;
	l.arr = json_object_new_array();
	(void)srv_group_search(s->groups, NULL, want, n, srv_http_list_add,
	    &l);
	o = json_object_new_object();
	json_object_object_add(o, "groups", l.arr);
	srv_http_json(req, 200, o);
}

void
srv_http_groups(struct srv *s, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
		srv_http_group_create(s, req);
	else
		srv_http_read(s, req, srv_http_groups_read, NULL, NULL);
}

static void
srv_http_destroyed(enum srv_group_rc rc, void *arg)
{
	struct srv_http_op *op = arg;

	if (rc != SRV_GROUP_OK)
		srv_http_error(op->req, srv_http_group_status(rc),
		    "group %s: %s", op->name, srv_group_strerror(rc));
	else
		srv_http_json(op->req, 204, NULL);
	free(op);
}

static void
srv_http_group_read(struct srv *s, struct evhttp_request *req,
    const char *name, const char *peer)
{
	enum srv_group_rc rc;
	json_object *o;

	(void)peer;
	if ((o = srv_http_group_json(s, name, 1, &rc)) == NULL) {
		srv_http_error(req, srv_http_group_status(rc),
		    "group %s: %s", name, srv_group_strerror(rc));
		return;
	}
	srv_http_json(req, 200, o);
}

void
srv_http_group(struct srv *s, struct evhttp_request *req, const char *name)
{
	struct srv_http_op *op;

	if (!p2p_name_valid(name)) {
		srv_http_error(req, 400, "'%.64s' is not a group name",
		    name);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_DELETE) {
		srv_http_read(s, req, srv_http_group_read, name, NULL);
		return;
	}
	if ((op = srv_http_op_new(s, req, name, NULL)) != NULL)
		srv_group_destroy_cb(s->groups, name, srv_now_us(),
		    srv_http_destroyed, op);
}

static void
srv_http_member_done(enum srv_group_rc rc, void *arg)
{
	struct srv_http_op *op = arg;

	if (op->put && (rc == SRV_GROUP_OK || rc == SRV_GROUP_ALREADY))
		/* PUT is idempotent: already a member is 200, no event. */
		srv_http_json(op->req, rc == SRV_GROUP_OK ? 201 : 200,
		    srv_http_group_json(op->srv, op->name, 1, NULL));
	else if (rc != SRV_GROUP_OK && op->put)
		srv_http_error(op->req, srv_http_group_status(rc),
		    "group %s: %s", op->name, srv_group_strerror(rc));
	else if (rc != SRV_GROUP_OK)
		srv_http_error(op->req, srv_http_group_status(rc),
		    "group %s, peer %s: %s", op->name, op->peer,
		    srv_group_strerror(rc));
	else
		srv_http_json(op->req, 204, NULL);
	free(op);
}

void
srv_http_member(struct srv *s, struct evhttp_request *req, const char *name,
    const char *peer)
{
	struct srv_groups *g = s->groups;
	struct srv_http_op *op;

	if (!p2p_name_valid(name) || !p2p_name_valid(peer)) {
		srv_http_error(req, 400, "group and peer must be names "
		    "of [A-Za-z0-9._-]");
		return;
	}
	if ((op = srv_http_op_new(s, req, name, peer)) == NULL)
		return;
	op->put = evhttp_request_get_command(req) == EVHTTP_REQ_PUT;
	if (op->put)
		srv_group_join_cb(g, name, peer, srv_now_us(),
		    srv_http_member_done, op);
	else
		srv_group_leave_cb(g, name, peer, srv_now_us(),
		    srv_http_member_done, op);
}

/* Peers */

static void
srv_http_name_add(const char *name, void *arg)
{
	json_object_array_add(arg, json_object_new_string(name));
}

struct srv_http_sessions {
	json_object		*arr;
	const struct srv_sess	*x;	/* NULL: registered on another node */
};

static void
srv_http_session_add(const char *other, void *arg)
{
	struct srv_http_sessions *hs = arg;
	json_object *o = json_object_new_object();
	const char *path = NULL;

	json_object_object_add(o, "peer_id", json_object_new_string(other));
	/* The path this peer's agent reported (PathReport): "connecting"
	 * until it has said. */
	if (hs->x != NULL)
		path = srv_path_get(hs->x, other);
	json_object_object_add(o, "path", json_object_new_string(
	    path != NULL ? path : "connecting"));
	json_object_array_add(hs->arr, o);
}

static json_object *
srv_http_relay_json(const struct srv_sess *x)
{
	json_object *o = json_object_new_object();
	const struct srv_relay_stats *r = &x->relay;

	json_object_object_add(o, "tx_packets",
	    json_object_new_int64((int64_t)r->tx_packets));
	json_object_object_add(o, "tx_bytes",
	    json_object_new_int64((int64_t)r->tx_bytes));
	json_object_object_add(o, "rx_packets",
	    json_object_new_int64((int64_t)r->rx_packets));
	json_object_object_add(o, "rx_bytes",
	    json_object_new_int64((int64_t)r->rx_bytes));
	json_object_object_add(o, "dropped",
	    json_object_new_int64((int64_t)r->dropped));
	return o;
}

json_object *
srv_http_peer_json(struct srv *s, const struct state_peer *p)
{
	json_object *o = json_object_new_object(), *a;
	const struct srv_sess *x = srv_sess_find(s, p->reg_id);
	struct srv_http_sessions hs;
	char buf[ADDR_STRLEN];
	unsigned i;

	json_object_object_add(o, "peer_id",
	    json_object_new_string(p->peer_id));
	json_object_object_add(o, "reg_id", json_object_new_int64(p->reg_id));
	if (srv_http_node_name(s, p->node) != NULL)
		json_object_object_add(o, "node", json_object_new_string(
		    srv_http_node_name(s, p->node)));
	json_object_object_add(o, "transport", json_object_new_string(
	    p->transport == STATE_TCP ? "tcp" : "udp"));
	json_object_object_add(o, "address", json_object_new_string(addr_fmt(
	    (const struct sockaddr *)&p->public_addr, buf, sizeof(buf))));
	a = json_object_new_array();
	for (i = 0; i < p->nlocal && i < STATE_MAX_LOCAL; i++)
		json_object_array_add(a, json_object_new_string(addr_fmt(
		    (const struct sockaddr *)&p->local_addrs[i], buf,
		    sizeof(buf))));
	json_object_object_add(o, "local_addresses", a);
	json_object_object_add(o, "nat_type", json_object_new_string(
	    x != NULL ? x->nat_type : state_nat_type(p->nat)));
	/* Its reflexive address on the other IP family, when it said one. */
	if (x != NULL ? x->other.sa.sa_family != 0 :
	    p->other.ss_family != 0)
		json_object_object_add(o, "other_address",
		    json_object_new_string(addr_fmt(x != NULL ? &x->other.sa :
		    (const struct sockaddr *)&p->other, buf, sizeof(buf))));
	a = json_object_new_array();
	for (i = 0; i < p->ngroups && i < TOKEN_MAX_GROUPS; i++)
		json_object_array_add(a, json_object_new_string(p->groups[i]));
	json_object_object_add(o, "token_groups", a);
	a = json_object_new_array();
	(void)state_peer_groups(s->state, p->peer_id, srv_http_name_add, a);
	json_object_object_add(o, "groups", a);
	json_object_object_add(o, "token_expires_at",
	    json_object_new_int64((int64_t)p->expires_at));
	hs.arr = json_object_new_array();
	hs.x = x;
	(void)state_intro_each(s->state, p->peer_id, srv_http_session_add,
	    &hs);
	json_object_object_add(o, "sessions", hs.arr);
	if (x != NULL)
		json_object_object_add(o, "relay", srv_http_relay_json(x));
	return o;
}

static void
srv_http_peers_read(struct srv *s, struct evhttp_request *req, const char *id,
    const char *unused)
{
	struct state_peer p;

	(void)unused;
	if (id != NULL) {
		if (state_get(s->state, id, &p) != STATE_OK) {
			srv_http_error(req, 404, "peer %s is not "
			    "registered", id);
			return;
		}
		srv_http_json(req, 200, srv_http_peer_json(s, &p));
		return;
	}
	srv_http_peer_list(s, req);	/* the cluster's, in pages */
}

void
srv_http_peers(struct srv *s, struct evhttp_request *req, const char *id)
{
	if (id != NULL && !p2p_name_valid(id)) {
		srv_http_error(req, 400, "'%.64s' is not a peer id", id);
		return;
	}
	srv_http_read(s, req, srv_http_peers_read, id, NULL);
}
