/* SPDX-License-Identifier: ISC */
/*
 * srv_http_stream.c: GET /v1/events, the group events as a stream of JSON
 * lines (docs/HTTP.md): at most SRV_HTTP_STREAMS_MAX at once, a keepalive
 * line every SRV_HTTP_BEAT_S, and a stream that falls SRV_HTTP_STREAM_BUF
 * behind is dropped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"

struct srv_http_stream {
	struct srv_http		*h;
	struct evhttp_request	*req;
	struct evhttp_connection *conn;
	struct srv_http_stream	*next;
};

static void
srv_http_stream_unlink(struct srv_http *h, struct srv_http_stream *x)
{
	struct srv_http_stream **xp;

	for (xp = &h->streams; *xp != NULL; xp = &(*xp)->next)
		if (*xp == x) {
			*xp = x->next;
			h->st.streams--;
			break;
		}
	free(x);
}

/*
 * The client went away. libevent frees the connection; a failed connection
 * first detaches a reply still being streamed, which is then ours to end
 * (evhttp_send_reply_end frees a request without a connection).
 */
static void
srv_http_stream_closed(struct evhttp_connection *conn, void *arg)
{
	struct srv_http_stream *x = arg;

	log_debug("http: an event stream closed");
	srv_http_conn_closed(x->h, conn);
	if (evhttp_request_get_connection(x->req) == NULL)
		evhttp_send_reply_end(x->req);
	srv_http_stream_unlink(x->h, x);
}

static void
srv_http_stream_drop(struct srv_http *h, struct srv_http_stream *x)
{
	evhttp_connection_set_closecb(x->conn, NULL, NULL);
	srv_http_conn_closed(h, x->conn);
	evhttp_connection_free(x->conn);
	srv_http_stream_unlink(h, x);
}

static void
srv_http_stream_send(struct srv_http *h, const char *line)
{
	struct srv_http_stream *x, *next;
	struct bufferevent *bev;
	struct evbuffer *b;

	for (x = h->streams; x != NULL; x = next) {
		next = x->next;
		/* The socket's output: srv_http_conn.c's filter is above it. */
		bev = evhttp_connection_get_bufferevent(x->conn);
		if (bev != NULL && bufferevent_get_underlying(bev) != NULL)
			bev = bufferevent_get_underlying(bev);
		if (bev != NULL && evbuffer_get_length(bufferevent_get_output(
		    bev)) > SRV_HTTP_STREAM_BUF) {
			log_warnx("http: dropping an event stream %d bytes "
			    "behind", SRV_HTTP_STREAM_BUF);
			h->st.streams_dropped++;
			srv_http_stream_drop(h, x);
			continue;
		}
		if ((b = evbuffer_new()) == NULL)
			continue;
		evbuffer_add_printf(b, "%s\n", line);
		evhttp_send_reply_chunk(x->req, b);
		evbuffer_free(b);
	}
}

static const char *
srv_http_ev_name(enum srv_group_ev t)
{
	switch (t) {
	case SRV_GEV_MEMBER_JOIN:
		return "member_join";
	case SRV_GEV_MEMBER_LEAVE:
		return "member_leave";
	case SRV_GEV_DESTROYED:
		return "group_destroyed";
	case SRV_GEV_JOIN_COMPLETE:
		return "join_complete";
	}
	return "unknown";
}

static void
srv_http_on_event(const struct srv_group_event *ev, void *arg)
{
	struct srv_http *h = arg;
	json_object *o, *m;
	size_t i;

	if ((unsigned)ev->type < sizeof(h->st.events) / sizeof(h->st.events[0]))
		h->st.events[ev->type]++;
	if (h->streams == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "event",
	    json_object_new_string(srv_http_ev_name(ev->type)));
	json_object_object_add(o, "group", json_object_new_string(ev->group));
	if (ev->peer_id != NULL)
		json_object_object_add(o, "peer_id",
		    json_object_new_string(ev->peer_id));
	if (ev->type == SRV_GEV_JOIN_COMPLETE) {
		m = json_object_new_array();
		for (i = 0; i < ev->nmissing; i++)
			json_object_array_add(m,
			    json_object_new_string(ev->missing[i]));
		json_object_object_add(o, "missing", m);
	}
	json_object_object_add(o, "time",
	    json_object_new_int64((int64_t)srv_now_unix()));
	srv_http_stream_send(h, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void
srv_http_events_obj(struct srv_http *h, json_object *o)
{
	if (h != NULL && h->streams != NULL) {
		json_object_object_add(o, "time",
		    json_object_new_int64((int64_t)srv_now_unix()));
		srv_http_stream_send(h, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(o);
}

/*
 * A line on every stream now and then: evhttp would otherwise close a quiet
 * stream at its timeout, and a write is what finds a client that vanished.
 */
static void
srv_http_on_beat(evutil_socket_t fd, short what, void *arg)
{
	struct srv_http *h = arg;
	char line[64];

	(void)fd;
	(void)what;
	snprintf(line, sizeof(line), "{\"event\":\"keepalive\",\"time\":%llu}",
	    (unsigned long long)srv_now_unix());
	srv_http_stream_send(h, line);
}

void
srv_http_events(struct srv_http *h, struct evhttp_request *req)
{
	struct srv_http_stream *x;
	struct evbuffer *b;

	if (h->st.streams >= SRV_HTTP_STREAMS_MAX) {
		srv_http_error(req, 503, "too many event streams (%d)",
		    SRV_HTTP_STREAMS_MAX);
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (b = evbuffer_new()) == NULL) {
		free(x);
		srv_http_error(req, 503, "out of memory");
		return;
	}
	x->h = h;
	x->req = req;
	x->conn = evhttp_request_get_connection(req);
	x->next = h->streams;
	h->streams = x;
	h->st.streams++;
	evhttp_connection_set_closecb(x->conn, srv_http_stream_closed, x);
	evhttp_connection_set_timeout(x->conn, SRV_HTTP_STREAM_TIMEOUT_S);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/x-ndjson");
	evhttp_send_reply_start(req, 200, NULL);
	/* A first line, so the client knows it is subscribed. */
	evbuffer_add_printf(b, "{\"event\":\"subscribed\"}\n");
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
}

int
srv_http_streams_start(struct srv_http *h, struct event_base *base)
{
	struct timeval beat = { SRV_HTTP_BEAT_S, 0 };
	struct srv_groups *g;

	if ((h->beat_ev = event_new(base, -1, EV_PERSIST, srv_http_on_beat,
	    h)) == NULL || event_add(h->beat_ev, &beat) == -1)
		return -1;
	if ((g = h->srv->groups) == NULL || srv_group_observe(g,
	    srv_http_on_event, h) == -1)
		return -1;
	h->observing = 1;
	return 0;
}

void
srv_http_streams_stop(struct srv_http *h)
{
	struct srv_groups *g;

	if (h->observing && (g = h->srv->groups) != NULL)
		srv_group_unobserve(g, srv_http_on_event, h);
	h->observing = 0;
	if (h->beat_ev != NULL)
		event_free(h->beat_ev);
	h->beat_ev = NULL;
	while (h->streams != NULL)
		srv_http_stream_drop(h, h->streams);
}
