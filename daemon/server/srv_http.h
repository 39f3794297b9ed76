/* SPDX-License-Identifier: ISC */
/*
 * srv_http.h: p2p-server's HTTP API for application backends and operators
 * (docs/HTTP.md), on libevent's evhttp with JSON through json-c.
 *
 * srv_http.c owns the listener, the admin key check, the routing, request
 * bodies and replies; srv_http_conn.c the connections before evhttp reads
 * them (caps, the key checked before a body, accept errors), with
 * srv_http_head.c reading request heads; srv_http_stream.c the /v1/events
 * streams; srv_http_api.c holds the handlers of /v1/tokens, /v1/groups and
 * /v1/peers; srv_http_metrics.c /metrics. Everything runs on the server's event loop: a handler reads and
 * changes the state directly, with srv_now_us() for the group calls.
 */
#ifndef P2P_SRV_HTTP_H
#define P2P_SRV_HTTP_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "httpconn.h"
#include "log.h"
#include "srv_group.h"
#include "srv_match.h"

#define SRV_HTTP_BODY_MAX	(64 * 1024)	/* larger bodies: 413 */
#define SRV_HTTP_HEADERS_MAX	(16 * 1024)
#define SRV_HTTP_STREAMS_MAX	16		/* concurrent /v1/events */
#define SRV_HTTP_STREAM_BUF	(1024 * 1024)	/* a stream this far behind
						   is dropped */
#define SRV_HTTP_TIMEOUT_S	30		/* idle request connections */
#define SRV_HTTP_STREAM_TIMEOUT_S 60	/* a stream stuck this long: closed */
#define SRV_HTTP_BEAT_S		15		/* keepalive lines on streams */
#define SRV_HTTP_TTL_MAX	(366 * 86400L)	/* token lifetime cap */
/* Connections (srv_http_conn.c). */
#define SRV_HTTP_CONNS_MAX	1024		/* at once; then no accept */
#define SRV_HTTP_CONNS_PER_PEER	256		/* ... from one address, unkeyed */
#define SRV_HTTP_UNAUTH_BODY	1024		/* a body without the key */
#define SRV_HTTP_IN_MAX		(2 * SRV_HTTP_BODY_MAX + SRV_HTTP_HEADERS_MAX)
#define SRV_HTTP_OUT_MAX	(2 * SRV_HTTP_STREAM_BUF) /* unsent output */
#define SRV_HTTP_ACCEPT_PAUSE_MS 250		/* after EMFILE and the like */

struct srv;
struct evhttp;
struct evhttp_request;
struct evhttp_bound_socket;
struct evconnlistener;
struct event;
struct event_base;

/* server.c: start after the UDP/TCP sockets (needs s->bound), stop first. */
int	srv_http_start(struct srv *, char *err, size_t errlen);
void	srv_http_stop(struct srv *);
/* A new admin key (a reload): 1 if it differs from the one in use. */
int	srv_http_set_key(struct srv *, const uint8_t *key, size_t len);

/* Internal to srv_http*.c. */
struct srv_http_stats {
	uint64_t	requests;
	uint64_t	unauthorized;
	uint64_t	events[5];	/* by enum srv_group_ev */
	uint64_t	streams_dropped;
	size_t		streams;
};


struct srv_http_stream;
struct srv_http {
	struct srv		*srv;
	struct evhttp		*http;
	uint8_t			 key_hash[32];
	struct srv_http_stream	*streams;
	struct srv_http_stats	 st;
	struct event		*beat_ev;
	int			 observing;
	struct httpconn_set	 conns;		/* srv_http_conn.c */
};

/* 1 if the value of an Authorization header carries the admin key. */
int	srv_http_key_ok(struct srv_http *, const char *value, size_t len);

/* srv_http_head.c: what the connection filter reads of a request head. */
struct srv_http_head {
	char		 path[512];	/* without the query */
	int64_t		 content_length;	/* -1: none */
	int		 chunked;	/* any Transfer-Encoding */
	const char	*auth;		/* the Authorization value, or NULL */
	size_t		 auth_len;
};
/* A head of len bytes, ending with its empty line: 0, or -1. */
int	srv_http_head_parse(const char *, size_t, struct srv_http_head *);

/* srv_http_conn.c */
struct evhttp_connection;
int	srv_http_conns_start(struct srv_http *, struct evhttp_bound_socket *,
	    struct event_base *);
void	srv_http_conns_stop(struct srv_http *);
void	srv_http_conns_free(struct srv_http *);
/* A close callback of its own replaced ours (streams): count it closed. */
void	srv_http_conn_closed(struct srv_http *, struct evhttp_connection *);
/* Close that connection soon, with a (rate-limited) log line. */
void	srv_http_conn_kill(struct srv_http *, struct evhttp_connection *,
	    const char *why);

/* srv_http_stream.c: /v1/events */
int	srv_http_streams_start(struct srv_http *, struct event_base *);
void	srv_http_streams_stop(struct srv_http *);
void	srv_http_events(struct srv_http *, struct evhttp_request *);
/* One event object (consumed; "time" added) on every stream. */
void	srv_http_events_obj(struct srv_http *, json_object *);

/* srv_http_reply.c: replies, bodies, the key check (every handler's). */
const struct srv_http_stats *srv_http_stats(struct srv *);
const struct httpconn_stats *srv_http_conn_stats(struct srv *);
/* Reply with obj (consumed) as JSON, or {"error": msg}. */
void	srv_http_json(struct evhttp_request *, int code, json_object *);
void	srv_http_error(struct evhttp_request *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * The request body as a JSON object, or NULL after replying 400/413. Keys
 * other than those in `known` (NULL-terminated) are refused with 400.
 */
json_object *srv_http_body(struct evhttp_request *, const char *const *known);

/* srv_http_api.c */
/* A read waiting for the state barrier (name, peer: from the path). */
typedef void (*srv_http_read_fn)(struct srv *, struct evhttp_request *,
    const char *name, const char *peer);
void	srv_http_read(struct srv *, struct evhttp_request *, srv_http_read_fn,
	    const char *name, const char *peer);
json_object *srv_http_group_json(struct srv *, const char *name, int members,
	    enum srv_group_rc *);
void	srv_http_tokens(struct srv *, struct evhttp_request *);
void	srv_http_groups(struct srv *, struct evhttp_request *);
void	srv_http_group(struct srv *, struct evhttp_request *, const char *);
void	srv_http_member(struct srv *, struct evhttp_request *, const char *,
	    const char *);
void	srv_http_peers(struct srv *, struct evhttp_request *, const char *);

/* A registered peer as /v1/peers shows it. */
struct state_peer;
json_object *srv_http_peer_json(struct srv *, const struct state_peer *);

/* srv_http_cluster.c */
void	srv_http_nodes(struct srv *, struct evhttp_request *);
json_object *srv_http_nodes_array(struct srv *);
/* The least-loaded live node (a single server: itself), into the node. */
struct cluster_node;
void	srv_http_least_loaded(struct srv *, struct cluster_node *);
const char *srv_http_node_name(struct srv *, uint16_t slot);
void	srv_http_peer_list(struct srv *, struct evhttp_request *);

/* srv_http_match.c: POST /v1/match, GET and DELETE /v1/match[/PEER]. */
void	srv_http_match(struct srv *, struct evhttp_request *, const char *);
void	srv_http_match_answer(struct srv *, void *waiter,
	    const struct state_ticket *, enum srv_match_outcome);

/* srv_http_metrics.c */
void	srv_http_metrics(struct srv *, struct evhttp_request *);

#endif /* P2P_SRV_HTTP_H */
