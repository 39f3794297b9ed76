/* SPDX-License-Identifier: ISC */
/*
 * srv_http_conn.c: the HTTP API's connections, from accept to close
 * (docs/HTTP.md, "Limits"). The counting, the cap of SRV_HTTP_CONNS_MAX,
 * the pause after an accept error and closing from the event loop are
 * common/httpconn.c's; this file adds what the API needs on top.
 * libevent 2.1's evhttp reads a request's whole body before it calls a
 * handler, so:
 *   - the first request head of a connection is read as it arrives, before
 *     evhttp reads the body: without the admin key (and but /healthz) a
 *     body over SRV_HTTP_UNAUTH_BODY, or one of unknown length, stops the
 *     reading and closes the connection. A request without the key is the
 *     last on its connection (srv_http.c), so only connections that proved
 *     the key carry a second request;
 *   - one address may hold SRV_HTTP_CONNS_PER_PEER connections that have
 *     not shown the admin key;
 *   - a connection's unread input stops being read at SRV_HTTP_IN_MAX, and
 *     one whose unsent replies pass SRV_HTTP_OUT_MAX (requests pipelined by
 *     a client that never reads) is closed (srv_http.c).
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "httpconn.h"
#include "server.h"
#include "srv_http.h"

#define SRV_HC_CHECKED	0x1	/* its first head was read */
#define SRV_HC_KEYED	0x2	/* it showed the admin key */

void
srv_http_conn_closed(struct srv_http *h, struct evhttp_connection *evcon)
{
	httpconn_closed(&h->conns, evcon);
}

void
srv_http_conn_kill(struct srv_http *h, struct evhttp_connection *evcon,
    const char *why)
{
	struct httpconn *c;

	if ((c = httpconn_find(&h->conns, evcon)) != NULL)
		httpconn_kill(c, why);
}

/* Data arrived: the first request head, checked before its body. */
static void
srv_hc_input(struct httpconn *c, struct evbuffer *in,
    const struct evbuffer_cb_info *info, void *arg)
{
	struct srv_http *h = arg;
	struct srv_http_head head;
	struct evbuffer_ptr end;
	size_t len = evbuffer_get_length(in);
	const char *p;

	(void)info;
	if (c->flags & SRV_HC_CHECKED)
		return;
	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos < 0) {
		if (len > SRV_HTTP_HEADERS_MAX)
			httpconn_kill(c, "a request head over the header cap");
		return;
	}
	c->flags |= SRV_HC_CHECKED;
	len = (size_t)end.pos + 4;
	if ((p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len)) == NULL ||
	    srv_http_head_parse(p, len, &head) == -1) {
		httpconn_kill(c, "a connection that sent no HTTP request");
		return;
	}
	if (srv_http_key_ok(h, head.auth, head.auth_len))
		c->flags |= SRV_HC_KEYED;
	if (strcmp(head.path, "/healthz") != 0 && !(c->flags & SRV_HC_KEYED) &&
	    (head.chunked || head.content_length > SRV_HTTP_UNAUTH_BODY)) {
		h->st.unauthorized++;
		httpconn_kill(c, "a request with a body but without the admin "
		    "key");
	}
}

/*
 * One address may not take every slot with connections that have not
 * shown the admin key; a backend's keyed ones (long polls of POST
 * /v1/match) count only against the total.
 */
static void
srv_hc_attached(struct httpconn *c, void *arg)
{
	struct srv_http *h = arg;
	struct httpconn *o;
	int same = 0;

	TAILQ_FOREACH(o, &h->conns.list, entry)
		if (o->evcon != NULL && strcmp(o->peer, c->peer) == 0 &&
		    !o->dying && !(o->flags & SRV_HC_KEYED))
			same++;
	if (same > SRV_HTTP_CONNS_PER_PEER)
		httpconn_kill(c, "a connection over the cap of one address");
}

int
srv_http_conns_start(struct srv_http *h, struct evhttp_bound_socket *bs,
    struct event_base *base)
{
	h->conns.name = "http";
	h->conns.max = SRV_HTTP_CONNS_MAX;
	h->conns.in_max = SRV_HTTP_IN_MAX;
	h->conns.pause_ms = SRV_HTTP_ACCEPT_PAUSE_MS;
	h->conns.cb.input = srv_hc_input;
	h->conns.cb.attached = srv_hc_attached;
	h->conns.arg = h;
	return httpconn_start(&h->conns, h->http, bs, base);
}

void
srv_http_conns_stop(struct srv_http *h)
{
	httpconn_stop(&h->conns);
}

void
srv_http_conns_free(struct srv_http *h)
{
	httpconn_free(&h->conns);
}

const struct httpconn_stats *
srv_http_conn_stats(struct srv *s)
{
	return &s->http->conns.st;
}
