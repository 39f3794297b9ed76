/* SPDX-License-Identifier: ISC */
/*
 * srv_http.c: the HTTP API's listener, admin key and routing (srv_http.h,
 * docs/HTTP.md); JSON bodies and replies are srv_http_reply.c's.
 *
 * There is no TLS: the API binds loopback unless --http-public, and the docs
 * tell operators to put a TLS proxy in front. The admin key is hashed once;
 * each request's bearer value is hashed to the same length and compared with
 * sodium_memcmp, so neither its content nor its length shows in the timing.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "addr.h"
#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "srv_health.h"
#include "srv_http.h"
#include "srv_json.h"

#define M_GET	EVHTTP_REQ_GET
#define M_HEAD	EVHTTP_REQ_HEAD
#define M_POST	EVHTTP_REQ_POST
#define M_PUT	EVHTTP_REQ_PUT
#define M_DEL	EVHTTP_REQ_DELETE

/* 1 if the request carries the admin key. */
static int
srv_http_authorized(struct srv_http *h, struct evhttp_request *req)
{
	const char *v;

	v = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	return v != NULL && srv_http_key_ok(h, v, strlen(v));
}

static void
srv_http_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	srv_http_error(req, 405, "method not allowed (allowed: %s)", allow);
}

/* Routing */

/* Split path into at most max segments; -1 if it has more. */
static int
srv_http_split(char *path, char **seg, int max)
{
	char *p, *save = NULL;
	int n = 0;

	if (path[0] != '/')
		return -1;
	for (p = strtok_r(path, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		seg[n++] = p;
	}
	return n;
}

static void
srv_http_route(struct srv_http *h, struct evhttp_request *req, char **seg,
    int n)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct srv *s = h->srv;

	if (n == 1 && strcmp(seg[0], "metrics") == 0) {
		if (m != M_GET) {
			srv_http_not_allowed(req, "GET");
			return;
		}
		srv_http_metrics(s, req);
		return;
	}
	if (n < 2 || strcmp(seg[0], "v1") != 0) {
		srv_http_error(req, 404, "no such endpoint");
		return;
	}
	if (n == 2 && strcmp(seg[1], "tokens") == 0) {
		if (m != M_POST) {
			srv_http_not_allowed(req, "POST");
			return;
		}
		srv_http_tokens(s, req);
		return;
	}
	if (n == 2 && strcmp(seg[1], "nodes") == 0) {
		if (m != M_GET) {
			srv_http_not_allowed(req, "GET");
			return;
		}
		srv_http_nodes(s, req);
		return;
	}
	if (n == 2 && strcmp(seg[1], "events") == 0) {
		if (m != M_GET) {
			srv_http_not_allowed(req, "GET");
			return;
		}
		srv_http_events(h, req);
		return;
	}
	if (strcmp(seg[1], "groups") == 0) {
		if (n == 2) {
			if (m != M_GET && m != M_POST) {
				srv_http_not_allowed(req, "GET, POST");
				return;
			}
			srv_http_groups(s, req);
			return;
		}
		if (n == 3) {
			if (m != M_GET && m != M_DEL) {
				srv_http_not_allowed(req, "GET, DELETE");
				return;
			}
			srv_http_group(s, req, seg[2]);
			return;
		}
		if (n == 5 && strcmp(seg[3], "members") == 0) {
			if (m != M_PUT && m != M_DEL) {
				srv_http_not_allowed(req, "PUT, DELETE");
				return;
			}
			srv_http_member(s, req, seg[2], seg[4]);
			return;
		}
	}
	if (strcmp(seg[1], "match") == 0 && (n == 2 || n == 3)) {
		if (n == 2 && m != M_GET && m != M_POST) {
			srv_http_not_allowed(req, "GET, POST");
			return;
		}
		if (n == 3 && m != M_GET && m != M_DEL) {
			srv_http_not_allowed(req, "GET, DELETE");
			return;
		}
		srv_http_match(s, req, n == 3 ? seg[2] : NULL);
		return;
	}
	if (strcmp(seg[1], "peers") == 0 && (n == 2 || n == 3)) {
		if (m != M_GET) {
			srv_http_not_allowed(req, "GET");
			return;
		}
		srv_http_peers(s, req, n == 3 ? seg[2] : NULL);
		return;
	}
	srv_http_error(req, 404, "no such endpoint");
}

static void
srv_http_request(struct evhttp_request *req, void *arg)
{
	struct srv_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *p = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	char path[512], *seg[8];
	json_object *o;
	int n, code;

	h->st.requests++;
	/* A client that does not read its replies (pipelining): closed. */
	conn = evhttp_request_get_connection(req);
	bev = conn != NULL ? evhttp_connection_get_bufferevent(conn) : NULL;
	if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) >
	    SRV_HTTP_OUT_MAX) {
		srv_http_conn_kill(h, conn, "a client that does not read its "
		    "replies");
		return;
	}
	/* Only a connection that proved the key carries a second request. */
	if (conn != NULL && !srv_http_authorized(h, req))
		evhttp_connection_free_on_completion(conn);
	if (p == NULL || strlen(p) >= sizeof(path)) {
		srv_http_error(req, 404, "no such endpoint");
		return;
	}
	snprintf(path, sizeof(path), "%s", p);
	if (strcmp(path, "/healthz") == 0) {
		if (evhttp_request_get_command(req) != M_GET &&
		    evhttp_request_get_command(req) != M_HEAD) {
			srv_http_not_allowed(req, "GET");
			return;
		}
		o = srv_health(h->srv, &code);
		srv_http_json(req, code, o);
		return;
	}
	if (!srv_http_authorized(h, req)) {
		h->st.unauthorized++;
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		srv_http_error(req, 401, "missing or wrong admin key "
		    "(Authorization: Bearer KEY)");
		return;
	}
	if ((n = srv_http_split(path, seg, 8)) == -1) {
		srv_http_error(req, 404, "no such endpoint");
		return;
	}
	srv_http_route(h, req, seg, n);
}

/* Start and stop */

static int
srv_http_listen(struct srv_http *h, const char *spec, char *err,
    size_t errlen)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[ADDR_STRLEN], host[ADDR_STRLEN];
	evutil_socket_t fd;
	int one = 1;

	if (addr_parse(spec, &ss, &len, 0, err, errlen) == -1)
		return -1;
	if (!addr_is_loopback((struct sockaddr *)&ss) &&
	    !h->srv->conf.http_public) {
		snprintf(err, errlen, "--http %s is not a loopback address: "
		    "the API has no TLS; add --http-public to bind it anyway "
		    "(behind a TLS proxy)", spec);
		return -1;
	}
	addr_fmt((struct sockaddr *)&ss, a, sizeof(a));
	/* evhttp wants the host without brackets. */
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    host, sizeof(host));
	if ((bs = evhttp_bind_socket_with_handle(h->http, host,
	    addr_port((struct sockaddr *)&ss))) == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", a,
		    strerror(errno));
		return -1;
	}
	if (srv_http_conns_start(h, bs, h->srv->base) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = evhttp_bound_socket_get_fd(bs);
	/*
	 * Accepted sockets inherit it (Linux): evhttp may write a reply in
	 * two segments, and Nagle would then wait on the client's delayed ACK
	 * (40 ms a request on a kept-alive connection).
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_warn("http: TCP_NODELAY");
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		return -1;
	}
	log_info("HTTP API on %s (no TLS)", addr_fmt((struct sockaddr *)&ss,
	    a, sizeof(a)));
	return srv_write_port_file(h->srv, "http_port",
	    addr_port((struct sockaddr *)&ss), err, errlen);
}

int
srv_http_set_key(struct srv *s, const uint8_t *key, size_t len)
{
	uint8_t	hash[crypto_generichash_BYTES];
	int	changed;

	if (s->http == NULL)
		return 0;
	crypto_generichash(hash, sizeof(hash), key, len, NULL, 0);
	changed = sodium_memcmp(hash, s->http->key_hash, sizeof(hash)) != 0;
	memcpy(s->http->key_hash, hash, sizeof(hash));
	return changed;
}

int
srv_http_start(struct srv *s, char *err, size_t errlen)
{
	struct srv_http *h;
	uint8_t key[SECRET_MAX];
	size_t keylen;

	if (s->conf.http == NULL)
		return 0;
	if (s->conf.admin_key_file == NULL) {
		snprintf(err, errlen, "--http needs --admin-key-file");
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->srv = s;
	s->http = h;
	if (secret_load(s->conf.admin_key_file, key, &keylen, err,
	    errlen) == -1)
		return -1;
	(void)srv_http_set_key(s, key, keylen);
	sodium_memzero(key, sizeof(key));
	if ((h->http = evhttp_new(s->base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	/* Up to 2x the cap is read and answered with a JSON 413 by
	 * srv_http_body(); beyond that evhttp answers 413 itself. A body
	 * without the admin key is refused earlier (srv_http_conn.c). */
	evhttp_set_max_body_size(h->http, 2 * SRV_HTTP_BODY_MAX);
	/* A body over that is read and dropped before the 413: closing on
	 * unread data sends a reset, which can reach the client before it
	 * has read the answer (lingering close, as web servers do). */
	evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_max_headers_size(h->http, SRV_HTTP_HEADERS_MAX);
	evhttp_set_timeout(h->http, SRV_HTTP_TIMEOUT_S);
	evhttp_set_gencb(h->http, srv_http_request, h);
	if (srv_http_listen(h, s->conf.http, err, errlen) == -1)
		return -1;
	if (srv_http_streams_start(h, s->base) == -1) {
		snprintf(err, errlen, "cannot set up the event streams");
		return -1;
	}
	return 0;
}

void
srv_http_stop(struct srv *s)
{
	struct srv_http *h = s->http;

	if (h == NULL)
		return;
	srv_http_streams_stop(h);
	srv_http_conns_stop(h);
	if (h->http != NULL)
		evhttp_free(h->http);
	srv_http_conns_free(h);
	free(h);
	s->http = NULL;
}
