/* SPDX-License-Identifier: ISC */
/*
 * srv_http_conn.c: the HTTP API's connections, from accept to close
 * (docs/HTTP.md, "Limits"). libevent 2.1's evhttp reads a request's whole
 * body before it calls a handler, keeps no count of its connections and
 * retries accept() at once when it fails (100% CPU at the descriptor
 * limit). So:
 *   - every connection's bufferevent is made here (evhttp_set_bevcb) and
 *     counted; at SRV_HTTP_CONNS_MAX the listener stops accepting until one
 *     closes (evhttp's close callback, attached as soon as evhttp has made
 *     the connection), and one address may hold SRV_HTTP_CONNS_PER_PEER
 *     that have not shown the admin key;
 *   - the first request head of a connection is read as it arrives, before
 *     evhttp reads the body: without the admin key (and but /healthz) a
 *     body over SRV_HTTP_UNAUTH_BODY, or one of unknown length, stops the
 *     reading and closes the connection. A request without the key is the
 *     last on its connection (srv_http.c), so only connections that proved
 *     the key carry a second request;
 *   - a connection's unread input stops being read at SRV_HTTP_IN_MAX, and
 *     one whose unsent replies pass SRV_HTTP_OUT_MAX (requests pipelined by
 *     a client that never reads) is closed;
 *   - an accept error (EMFILE, ENFILE, ENOBUFS, ENOMEM) stops the listener
 *     for SRV_HTTP_ACCEPT_PAUSE_MS, with one log line a second at most.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "log.h"
#include "server.h"
#include "srv_http.h"

struct srv_hc {
	struct srv_http			*h;
	struct bufferevent		*bev;
	struct evhttp_connection	*evcon;	/* NULL until attached */
	char				 peer[64];	/* its address */
	int				 checked;	/* the first head */
	int				 keyed;		/* it showed the admin key */
	int				 dying;
	TAILQ_ENTRY(srv_hc)		 entry;
};

/*
 * libevent hands the listener's error callback the listener's argument,
 * which is evhttp's: the one HTTP API of the process is found here.
 */
static struct srv_http *srv_hc_api;

static void
srv_hc_refused(struct srv_http *h, const char *why)
{
	uint64_t held = 0;

	h->st.conns_refused++;
	if (log_ratelimit(&h->conns.refused_rl, srv_now_us(), &held))
		log_info("http: closing %s (%llu more since the last such "
		    "line)", why, (unsigned long long)held);
}

static void
srv_hc_gone(struct srv_http *h, struct srv_hc *hc)
{
	TAILQ_REMOVE(&h->conns.list, hc, entry);
	free(hc);
	h->st.conns--;
	if (h->conns.full && h->st.conns < SRV_HTTP_CONNS_MAX &&
	    h->conns.listener != NULL) {
		h->conns.full = 0;
		if (!h->conns.paused)
			evconnlistener_enable(h->conns.listener);
	}
}

static struct srv_hc *
srv_hc_find(struct srv_http *h, struct evhttp_connection *evcon)
{
	struct srv_hc *hc;

	TAILQ_FOREACH(hc, &h->conns.list, entry)
		if (hc->evcon == evcon)
			return hc;
	return NULL;
}

void
srv_http_conn_closed(struct srv_http *h, struct evhttp_connection *evcon)
{
	struct srv_hc *hc;

	if ((hc = srv_hc_find(h, evcon)) != NULL)
		srv_hc_gone(h, hc);
}

static void
srv_hc_closecb(struct evhttp_connection *evcon, void *arg)
{
	struct srv_hc *hc = arg;

	(void)evcon;
	srv_hc_gone(hc->h, hc);
}

/* Close hc's connection from the event loop, not from under evhttp. */
static void
srv_hc_kill(struct srv_hc *hc, const char *why)
{
	if (hc->dying)
		return;
	hc->dying = 1;
	srv_hc_refused(hc->h, why);
	bufferevent_disable(hc->bev, EV_READ);
	event_active(hc->h->conns.kill_ev, EV_TIMEOUT, 1);
}

void
srv_http_conn_kill(struct srv_http *h, struct evhttp_connection *evcon,
    const char *why)
{
	struct srv_hc *hc;

	if ((hc = srv_hc_find(h, evcon)) != NULL)
		srv_hc_kill(hc, why);
}

static void
srv_hc_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv_http *h = arg;
	struct srv_hc *hc, *next;

	(void)fd;
	(void)what;
	for (hc = TAILQ_FIRST(&h->conns.list); hc != NULL; hc = next) {
		next = TAILQ_NEXT(hc, entry);
		if (hc->dying && hc->evcon != NULL)
			evhttp_connection_free(hc->evcon);	/* closecb */
	}
}

/* Data arrived: the first request head, checked before its body. */
static void
srv_hc_input(struct evbuffer *in, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct srv_hc *hc = arg;
	struct srv_http_head head;
	struct evbuffer_ptr end;
	size_t len = evbuffer_get_length(in);
	const char *p;

	if (hc->checked || hc->dying || info->n_added == 0)
		return;
	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos < 0) {
		if (len > SRV_HTTP_HEADERS_MAX)
			srv_hc_kill(hc, "a request head over the header cap");
		return;
	}
	hc->checked = 1;
	len = (size_t)end.pos + 4;
	if ((p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len)) == NULL ||
	    srv_http_head_parse(p, len, &head) == -1) {
		srv_hc_kill(hc, "a connection that sent no HTTP request");
		return;
	}
	hc->keyed = srv_http_key_ok(hc->h, head.auth, head.auth_len);
	if (strcmp(head.path, "/healthz") != 0 && !hc->keyed && (head.chunked ||
	    head.content_length > SRV_HTTP_UNAUTH_BODY)) {
		hc->h->st.unauthorized++;
		srv_hc_kill(hc, "a request with a body but without the admin "
		    "key");
	}
}

/*
 * evhttp made the connections of this pass of the loop (it has set its
 * callbacks, whose argument is the connection): attach to their close.
 */
static void
srv_hc_attach_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv_http *h = arg;
	struct srv_hc *hc, *o;
	void *evcon;
	char *host;
	ev_uint16_t port;
	int same;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(hc, &h->conns.list, entry) {
		if (hc->evcon != NULL)
			continue;
		evcon = NULL;
		bufferevent_getcb(hc->bev, NULL, NULL, NULL, &evcon);
		if (evcon == NULL)
			continue;
		hc->evcon = evcon;
		evhttp_connection_set_closecb(hc->evcon, srv_hc_closecb, hc);
		host = NULL;
		evhttp_connection_get_peer(hc->evcon, &host, &port);
		snprintf(hc->peer, sizeof(hc->peer), "%s", host ? host : "");
		/*
		 * One address may not take every slot with connections that
		 * have not shown the admin key; a backend's keyed ones (long
		 * polls of POST /v1/match) count only against the total.
		 */
		same = 0;
		TAILQ_FOREACH(o, &h->conns.list, entry)
			if (strcmp(o->peer, hc->peer) == 0 && !o->dying &&
			    !o->keyed)
				same++;
		if (same > SRV_HTTP_CONNS_PER_PEER)
			srv_hc_kill(hc, "a connection over the cap of one "
			    "address");
	}
}

/* evhttp_set_bevcb: every new connection's bufferevent. */
static struct bufferevent *
srv_hc_new(struct event_base *base, void *arg)
{
	struct srv_http *h = arg;
	struct srv_hc *hc;

	if ((hc = calloc(1, sizeof(*hc))) == NULL)
		return NULL;
	/* As evhttp's own: it closes the socket itself. */
	if ((hc->bev = bufferevent_socket_new(base, -1, 0)) == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(hc->bev), srv_hc_input,
	    hc) == NULL) {
		if (hc->bev != NULL)
			bufferevent_free(hc->bev);
		free(hc);
		return NULL;
	}
	/* Pipelined requests wait in the socket, not in our memory. */
	bufferevent_setwatermark(hc->bev, EV_READ, 0, SRV_HTTP_IN_MAX);
	hc->h = h;
	TAILQ_INSERT_TAIL(&h->conns.list, hc, entry);
	event_active(h->conns.attach_ev, EV_TIMEOUT, 1);
	if (++h->st.conns >= SRV_HTTP_CONNS_MAX && !h->conns.full &&
	    h->conns.listener != NULL) {
		h->conns.full = 1;
		evconnlistener_disable(h->conns.listener);
		log_warnx("http: %d connections: not accepting more until one "
		    "closes", SRV_HTTP_CONNS_MAX);
	}
	return hc->bev;
}

static void
srv_hc_resume(evutil_socket_t fd, short what, void *arg)
{
	struct srv_http *h = arg;

	(void)fd;
	(void)what;
	h->conns.paused = 0;
	if (!h->conns.full && h->conns.listener != NULL)
		evconnlistener_enable(h->conns.listener);
}

static void
srv_hc_accept_error(struct evconnlistener *l, void *arg)
{
	struct srv_http *h = srv_hc_api;
	struct timeval tv = { 0, SRV_HTTP_ACCEPT_PAUSE_MS * 1000 };
	uint64_t held = 0;
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (h == NULL || l != h->conns.listener)
		return;
	h->st.accept_errors++;
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
		return;	/* the connection's own trouble (ECONNABORTED, ...) */
	if (log_ratelimit(&h->conns.accept_rl, srv_now_us(), &held))
		log_warnx("http: cannot accept: %s: pausing for %d ms (%llu "
		    "more such errors since the last line)", strerror(e),
		    SRV_HTTP_ACCEPT_PAUSE_MS, (unsigned long long)held);
	h->conns.paused = 1;
	evconnlistener_disable(l);
	evtimer_add(h->conns.resume_ev, &tv);
}

int
srv_http_conns_start(struct srv_http *h, struct evhttp_bound_socket *bs,
    struct event_base *base)
{
	TAILQ_INIT(&h->conns.list);
	h->conns.listener = evhttp_bound_socket_get_listener(bs);
	if ((h->conns.resume_ev = evtimer_new(base, srv_hc_resume, h)) ==
	    NULL || (h->conns.attach_ev = event_new(base, -1, 0,
	    srv_hc_attach_cb, h)) == NULL || (h->conns.kill_ev =
	    event_new(base, -1, 0, srv_hc_kill_cb, h)) == NULL)
		return -1;
	srv_hc_api = h;
	evconnlistener_set_error_cb(h->conns.listener, srv_hc_accept_error);
	evhttp_set_bevcb(h->http, srv_hc_new, h);
	return 0;
}

/* Before evhttp_free(), which frees the listener, then the connections. */
void
srv_http_conns_stop(struct srv_http *h)
{
	h->conns.listener = NULL;
	if (h->conns.resume_ev != NULL)
		event_free(h->conns.resume_ev);
	if (h->conns.attach_ev != NULL)
		event_free(h->conns.attach_ev);
	if (h->conns.kill_ev != NULL)
		event_free(h->conns.kill_ev);
	h->conns.resume_ev = h->conns.attach_ev = h->conns.kill_ev = NULL;
	if (srv_hc_api == h)
		srv_hc_api = NULL;
}

/* After evhttp_free(): connections it never made (a failed accept). */
void
srv_http_conns_free(struct srv_http *h)
{
	struct srv_hc *hc;

	while ((hc = TAILQ_FIRST(&h->conns.list)) != NULL) {
		TAILQ_REMOVE(&h->conns.list, hc, entry);
		free(hc);
	}
}
