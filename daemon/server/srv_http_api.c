/*
 * srv_http_api.c: the handlers of /v1/tokens, /v1/groups and /v1/peers
 * (docs/HTTP.md). Bodies come checked for size, syntax and unknown fields
 * (srv_http_body); here each field's type and value is checked before use.
 * Group changes go through srv_group.c, so they have the same semantics and
 * events as the agents' requests.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "addr.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"
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
	}
	return 500;
}

void
srv_http_tokens(struct srv *s, struct evhttp_request *req)
{
	static const char *const known[] = { "peer_id", "ttl", "groups",
	    NULL };
	json_object *in, *v, *out;
	struct token t;
	char tok[TOKEN_MAX_LEN + 1];
	int64_t ttl = 3600;
	size_t i, n;

	if ((in = srv_http_body(req, known)) == NULL)
		return;
	memset(&t, 0, sizeof(t));
	t.version = TOKEN_VERSION;
	if (!json_object_object_get_ex(in, "peer_id", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !p2p_name_valid(json_object_get_string(v))) {
		json_object_put(in);
		srv_http_error(req, 400, "peer_id: a name of 1 to 64 "
		    "characters of [A-Za-z0-9._-] is required");
		return;
	}
	snprintf(t.peer_id, sizeof(t.peer_id), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(in, "ttl", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (ttl = json_object_get_int64(v)) < 1 ||
		    ttl > SRV_HTTP_TTL_MAX) {
			json_object_put(in);
			srv_http_error(req, 400, "ttl: an integer of "
			    "seconds from 1 to %ld", SRV_HTTP_TTL_MAX);
			return;
		}
	}
	if (json_object_object_get_ex(in, "groups", &v)) {
		if (!json_object_is_type(v, json_type_array) ||
		    (n = json_object_array_length(v)) > TOKEN_MAX_GROUPS) {
			json_object_put(in);
			srv_http_error(req, 400, "groups: an array of "
			    "at most %d names", TOKEN_MAX_GROUPS);
			return;
		}
		for (i = 0; i < n; i++) {
			json_object *g = json_object_array_get_idx(v, i);

			if (!json_object_is_type(g, json_type_string) ||
			    !p2p_name_valid(json_object_get_string(g))) {
				json_object_put(in);
				srv_http_error(req, 400, "groups[%zu]: "
				    "not a name of [A-Za-z0-9._-]", i);
				return;
			}
			snprintf(t.groups[i], sizeof(t.groups[i]), "%s",
			    json_object_get_string(g));
		}
		t.ngroups = (unsigned)n;
	}
	json_object_put(in);
	t.issued_at = srv_now_unix();
	t.expires_at = t.issued_at + (uint64_t)ttl;
	if (token_mint(&t, s->secret, s->secret_len, tok, sizeof(tok)) < 0) {
		srv_http_error(req, 400, "these fields do not fit in "
		    "a token (%d characters)", TOKEN_MAX_LEN);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "token", json_object_new_string(tok));
	json_object_object_add(out, "udp",
	    json_object_new_string(srv_http_advertise(s)));
	json_object_object_add(out, "tcp",
	    json_object_new_string(srv_http_advertise(s)));
	json_object_object_add(out, "expires_at",
	    json_object_new_int64((int64_t)t.expires_at));
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

/* The group name: {name, attributes, mesh, member_count[, members]}. */
static json_object *
srv_http_group_json(struct srv *s, const char *name, int members,
    enum srv_group_rc *rcp)
{
	struct srv_http_members m;
	struct state_group sg;
	enum srv_group_rc rc;
	json_object *o;

	m.s = s;
	m.arr = json_object_new_array();
	rc = srv_group_show(srv_groups_get(), name, &sg,
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
srv_http_group_create(struct srv *s, struct evhttp_request *req)
{
	static const char *const known[] = { "name", "attributes", "mesh",
	    NULL };
	struct state_attr attrs[STATE_GROUP_ATTRS];
	json_object *in, *v;
	enum srv_group_rc rc;
	unsigned nattrs = 0;
	char name[P2P_NAME_MAX + 1];
	int mesh = 1;

	if ((in = srv_http_body(req, known)) == NULL)
		return;
	if (!json_object_object_get_ex(in, "name", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !p2p_name_valid(json_object_get_string(v))) {
		json_object_put(in);
		srv_http_error(req, 400, "name: a name of 1 to 64 "
		    "characters of [A-Za-z0-9._-] is required");
		return;
	}
	snprintf(name, sizeof(name), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(in, "mesh", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			json_object_put(in);
			srv_http_error(req, 400, "mesh: true or false");
			return;
		}
		mesh = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(in, "attributes", &v)) {
		if (!json_object_is_type(v, json_type_object) ||
		    json_object_object_length(v) > STATE_GROUP_ATTRS) {
			json_object_put(in);
			srv_http_error(req, 400, "attributes: an object "
			    "of at most %d string values", STATE_GROUP_ATTRS);
			return;
		}
		json_object_object_foreach(v, key, val) {
			if (!p2p_name_valid(key) ||
			    !json_object_is_type(val, json_type_string) ||
			    !state_attr_value_valid(
			    json_object_get_string(val))) {
				json_object_put(in);
				srv_http_error(req, 400, "attributes: "
				    "keys are names of [A-Za-z0-9._-], values "
				    "strings of at most %d bytes without "
				    "control characters", STATE_ATTR_VALUE_MAX);
				return;
			}
			snprintf(attrs[nattrs].key, sizeof(attrs[0].key), "%s",
			    key);
			snprintf(attrs[nattrs].value, sizeof(attrs[0].value),
			    "%s", json_object_get_string(val));
			nattrs++;
		}
	}
	json_object_put(in);
	rc = srv_group_create(srv_groups_get(), name, attrs, nattrs, mesh,
	    srv_now_us());
	if (rc != SRV_GROUP_OK) {
		srv_http_error(req, srv_http_group_status(rc),
		    "group %s: %s", name, srv_group_strerror(rc));
		return;
	}
	srv_http_json(req, 201, srv_http_group_json(s, name, 1, NULL));
}

void
srv_http_groups(struct srv *s, struct evhttp_request *req)
{
	struct srv_http_list l;
	json_object *o;

	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		srv_http_group_create(s, req);
		return;
	}
	l.s = s;
	l.arr = json_object_new_array();
	(void)srv_group_list(srv_groups_get(), srv_http_list_add, &l);
	o = json_object_new_object();
	json_object_object_add(o, "groups", l.arr);
	srv_http_json(req, 200, o);
}

void
srv_http_group(struct srv *s, struct evhttp_request *req, const char *name)
{
	enum srv_group_rc rc;
	json_object *o;

	if (!p2p_name_valid(name)) {
		srv_http_error(req, 400, "'%.64s' is not a group name",
		    name);
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_DELETE) {
		rc = srv_group_destroy(srv_groups_get(), name, srv_now_us());
		if (rc != SRV_GROUP_OK) {
			srv_http_error(req, srv_http_group_status(rc),
			    "group %s: %s", name, srv_group_strerror(rc));
			return;
		}
		srv_http_json(req, 204, NULL);
		return;
	}
	if ((o = srv_http_group_json(s, name, 1, &rc)) == NULL) {
		srv_http_error(req, srv_http_group_status(rc),
		    "group %s: %s", name, srv_group_strerror(rc));
		return;
	}
	srv_http_json(req, 200, o);
}

void
srv_http_member(struct srv *s, struct evhttp_request *req, const char *name,
    const char *peer)
{
	struct srv_groups *g = srv_groups_get();
	enum srv_group_rc rc;

	if (!p2p_name_valid(name) || !p2p_name_valid(peer)) {
		srv_http_error(req, 400, "group and peer must be names "
		    "of [A-Za-z0-9._-]");
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_PUT) {
		rc = srv_group_join(g, name, peer, srv_now_us());
		if (rc == SRV_GROUP_ALREADY) {	/* PUT is idempotent */
			srv_http_json(req, 200,
			    srv_http_group_json(s, name, 1, NULL));
			return;
		}
		if (rc != SRV_GROUP_OK) {
			srv_http_error(req, srv_http_group_status(rc),
			    "group %s: %s", name, srv_group_strerror(rc));
			return;
		}
		srv_http_json(req, 201,
		    srv_http_group_json(s, name, 1, NULL));
		return;
	}
	rc = srv_group_leave(g, name, peer, srv_now_us());
	if (rc != SRV_GROUP_OK) {
		srv_http_error(req, srv_http_group_status(rc),
		    "group %s, peer %s: %s", name, peer,
		    srv_group_strerror(rc));
		return;
	}
	srv_http_json(req, 204, NULL);
}

/* Peers */

static void
srv_http_name_add(const char *name, void *arg)
{
	json_object_array_add(arg, json_object_new_string(name));
}

static void
srv_http_session_add(const char *other, void *arg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "peer_id", json_object_new_string(other));
	/* The server introduces; which path the agents use is theirs to
	 * tell (the relay issue reports it). */
	json_object_object_add(o, "path", json_object_new_string("unknown"));
	json_object_array_add(arg, o);
}

static json_object *
srv_http_peer_json(struct srv *s, const struct state_peer *p)
{
	json_object *o = json_object_new_object(), *a;
	char buf[ADDR_STRLEN];
	unsigned i;

	json_object_object_add(o, "peer_id",
	    json_object_new_string(p->peer_id));
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
	    "unknown"));
	a = json_object_new_array();
	for (i = 0; i < p->ngroups && i < TOKEN_MAX_GROUPS; i++)
		json_object_array_add(a, json_object_new_string(p->groups[i]));
	json_object_object_add(o, "token_groups", a);
	a = json_object_new_array();
	(void)state_peer_groups(s->state, p->peer_id, srv_http_name_add, a);
	json_object_object_add(o, "groups", a);
	json_object_object_add(o, "token_expires_at",
	    json_object_new_int64((int64_t)p->expires_at));
	a = json_object_new_array();
	(void)state_intro_each(s->state, p->peer_id, srv_http_session_add, a);
	json_object_object_add(o, "sessions", a);
	return o;
}

void
srv_http_peers(struct srv *s, struct evhttp_request *req, const char *id)
{
	struct state_peer p;
	struct srv_sess *x;
	json_object *arr, *o;
	size_t i;

	if (id != NULL) {
		if (!p2p_name_valid(id)) {
			srv_http_error(req, 400, "'%.64s' is not a peer "
			    "id", id);
			return;
		}
		if (state_get(s->state, id, &p) != STATE_OK) {
			srv_http_error(req, 404, "peer %s is not "
			    "registered", id);
			return;
		}
		srv_http_json(req, 200, srv_http_peer_json(s, &p));
		return;
	}
	/* The registrations of this node, from its session table. */
	arr = json_object_new_array();
	for (i = 0; i < SRV_BUCKETS; i++)
		for (x = s->sess[i]; x != NULL; x = x->next)
			if (state_get_reg(s->state, x->reg_id, &p) == STATE_OK)
				json_object_array_add(arr,
				    srv_http_peer_json(s, &p));
	o = json_object_new_object();
	json_object_object_add(o, "peers", arr);
	srv_http_json(req, 200, o);
}
