/* SPDX-License-Identifier: ISC */
/*
 * srv_http_cluster.c: the cluster's side of the HTTP API (docs/HTTP.md):
 * GET /v1/nodes, the peer list of the whole cluster with its node and
 * pages (GET /v1/peers?limit=N&after=ID), and the least-loaded node for
 * POST /v1/tokens. On a single server the same calls describe that server.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "addr.h"
#include "cluster.h"
#include "server.h"
#include "srv_http.h"
#include "state_redis.h"

#define SRV_HTTP_PAGE_DEFAULT	1000
#define srv_state_view(s)	state_redis_view((s)->state)
#define SRV_HTTP_PAGE_MAX	10000

static json_object *
srv_http_node_json(const struct cluster_node *n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(n->id));
	json_object_object_add(o, "udp", json_object_new_string(n->udp));
	json_object_object_add(o, "tcp", json_object_new_string(n->tcp));
	if (n->udp6[0] != '\0') {
		json_object_object_add(o, "udp6",
		    json_object_new_string(n->udp6));
		json_object_object_add(o, "tcp6",
		    json_object_new_string(n->tcp6));
	}
	json_object_object_add(o, "peers",
	    json_object_new_int64((int64_t)n->peers));
	json_object_object_add(o, "relay_bytes_per_s",
	    json_object_new_int64((int64_t)n->relay_bps));
	json_object_object_add(o, "last_heartbeat",
	    json_object_new_int64((int64_t)(n->hb_ms / 1000)));
	return o;
}

/* This server as a node (a single server, or this node before a beat). */
static void
srv_http_self(struct srv *s, struct cluster_node *n)
{
	memset(n, 0, sizeof(*n));
	if (s->cluster != NULL)
		snprintf(n->id, sizeof(n->id), "%s", s->cluster->node_id);
	srv_listen_addrs(s, n->udp, sizeof(n->udp), n->udp6,
	    sizeof(n->udp6));
	snprintf(n->tcp, sizeof(n->tcp), "%s", n->udp);
	snprintf(n->tcp6, sizeof(n->tcp6), "%s", n->udp6);
	n->peers = state_count(s->state);
	n->alive = 1;
	n->hb_ms = (uint64_t)srv_now_unix() * 1000;
}

/* The live nodes (at least this one), through cb. */
static size_t
srv_http_each_node(struct srv *s, void (*cb)(const struct cluster_node *,
    void *), void *arg)
{
	struct cluster_node self;
	size_t i, n = 0;

	if (s->cluster != NULL)
		for (i = 1; i < STATE_NODES; i++)
			if (s->cluster->nodes[i].id[0] != '\0' &&
			    s->cluster->nodes[i].alive &&
			    !s->cluster->nodes[i].draining) {
				cb(&s->cluster->nodes[i], arg);
				n++;
			}
	if (n == 0) {
		srv_http_self(s, &self);
		cb(&self, arg);
		n = 1;
	}
	return n;
}

static void
srv_http_node_add(const struct cluster_node *n, void *arg)
{
	json_object_array_add(arg, srv_http_node_json(n));
}

json_object *
srv_http_nodes_array(struct srv *s)
{
	json_object *a = json_object_new_array();

	(void)srv_http_each_node(s, srv_http_node_add, a);
	return a;
}

void
srv_http_nodes(struct srv *s, struct evhttp_request *req)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "nodes", srv_http_nodes_array(s));
	srv_http_json(req, 200, o);
}

/* Least loaded: fewest registered peers, ties the lower relay rate. */
static void
srv_http_pick(const struct cluster_node *n, void *arg)
{
	struct cluster_node *best = arg;

	if (best->id[0] == '\0' && best->udp[0] == '\0') {
		*best = *n;
		return;
	}
	if (n->peers < best->peers || (n->peers == best->peers &&
	    n->relay_bps < best->relay_bps))
		*best = *n;
}

void
srv_http_least_loaded(struct srv *s, struct cluster_node *best)
{
	memset(best, 0, sizeof(*best));
	(void)srv_http_each_node(s, srv_http_pick, best);
}

const char *
srv_http_node_name(struct srv *s, uint16_t slot)
{
	if (s->cluster == NULL || slot == 0 || slot >= STATE_NODES)
		return NULL;
	if (slot == s->cluster->slot)
		return s->cluster->node_id;
	return s->cluster->nodes[slot].id[0] ? s->cluster->nodes[slot].id :
	    NULL;
}

/* Peer ids after `after`, collected for sorting. */
struct srv_http_page {
	char		(*ids)[P2P_NAME_MAX + 1];
	size_t		 n, cap;
	const char	*after;
};

static void
srv_http_page_add(const struct state_peer *p, void *arg)
{
	struct srv_http_page *pg = arg;
	void *nv;

	if (pg->after != NULL && strcmp(p->peer_id, pg->after) <= 0)
		return;
	if (pg->n == pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 256;

		if ((nv = reallocarray(pg->ids, cap, sizeof(*pg->ids))) ==
		    NULL)
			return;
		pg->ids = nv;
		pg->cap = cap;
	}
	memcpy(pg->ids[pg->n++], p->peer_id, sizeof(pg->ids[0]));
}

static int
srv_http_page_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* GET /v1/peers[?limit=N&after=ID]: every registered peer, by id. */
void
srv_http_peer_list(struct srv *s, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	struct evkeyval *e;
	struct srv_http_page pg;
	struct state_peer p;
	json_object *arr, *o;
	long limit = SRV_HTTP_PAGE_DEFAULT;
	char *end, after[P2P_NAME_MAX + 1];
	size_t i;
	int bad = 0;

	memset(&pg, 0, sizeof(pg));
	after[0] = '\0';
	TAILQ_INIT(&kv);
	if (q != NULL && evhttp_parse_query_str(q, &kv) == -1) {
		srv_http_error(req, 400, "a malformed query string");
		return;
	}
	TAILQ_FOREACH(e, &kv, next) {
		if (strcmp(e->key, "limit") == 0) {
			limit = strtol(e->value, &end, 10);
			if (*e->value == '\0' || *end != '\0' || limit < 1 ||
			    limit > SRV_HTTP_PAGE_MAX)
				bad = 1;
		} else if (strcmp(e->key, "after") == 0 &&
		    p2p_name_valid(e->value))
			snprintf(after, sizeof(after), "%s", e->value);
		else
			bad = 2;
	}
	evhttp_clear_headers(&kv);
	if (bad) {
		srv_http_error(req, 400, bad == 1 ? "limit: a number from 1 to "
		    "10000" : "unknown parameter or bad value (limit=N, "
		    "after=PEER_ID)");
		return;
	}
	pg.after = after[0] ? after : NULL;
	(void)state_mem_each_registered(srv_state_view(s), srv_http_page_add,
	    &pg);
	if (pg.n > 0)
		qsort(pg.ids, pg.n, sizeof(pg.ids[0]), srv_http_page_cmp);
	arr = json_object_new_array();
	for (i = 0; i < pg.n && i < (size_t)limit; i++)
		if (state_get(s->state, pg.ids[i], &p) == STATE_OK)
			json_object_array_add(arr, srv_http_peer_json(s, &p));
	o = json_object_new_object();
	json_object_object_add(o, "peers", arr);
	if (pg.n > (size_t)limit)
		json_object_object_add(o, "next",
		    json_object_new_string(pg.ids[limit - 1]));
	free(pg.ids);
	srv_http_json(req, 200, o);
}
