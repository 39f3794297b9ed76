/* SPDX-License-Identifier: ISC */
/*
 * httpconn.c: count, cap and close an evhttp listener's connections
 * (httpconn.h).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "httpconn.h"
#include "log.h"

/*
 * libevent hands a listener's error callback the listener's argument,
 * which is evhttp's, and offers no way from it to ours: the sets of the
 * process are found here by their listener (a daemon has one or two).
 */
#define HTTPCONN_SETS	4
static struct httpconn_set *httpconn_sets[HTTPCONN_SETS];

static uint64_t
httpconn_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
httpconn_gone(struct httpconn_set *set, struct httpconn *c)
{
	TAILQ_REMOVE(&set->list, c, entry);
	free(c);
	set->st.conns--;
	if (set->full && set->st.conns < set->max && set->listener != NULL) {
		set->full = 0;
		if (!set->paused)
			evconnlistener_enable(set->listener);
	}
}

struct httpconn *
httpconn_find(struct httpconn_set *set, struct evhttp_connection *evcon)
{
	struct httpconn *c;

	TAILQ_FOREACH(c, &set->list, entry)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

void
httpconn_closed(struct httpconn_set *set, struct evhttp_connection *evcon)
{
	struct httpconn *c;

	if ((c = httpconn_find(set, evcon)) != NULL)
		httpconn_gone(set, c);
}

static void
httpconn_closecb(struct evhttp_connection *evcon, void *arg)
{
	struct httpconn *c = arg;

	(void)evcon;
	httpconn_gone(c->set, c);
}

void
httpconn_kill(struct httpconn *c, const char *why)
{
	struct httpconn_set *set = c->set;
	uint64_t held = 0;

	if (c->dying)
		return;
	c->dying = 1;
	set->st.refused++;
	if (log_ratelimit(&set->refused_rl, httpconn_now_us(), &held))
		log_info("%s: closing %s (%llu more since the last such "
		    "line)", set->name, why, (unsigned long long)held);
	bufferevent_disable(c->bev, EV_READ);
	event_active(set->kill_ev, EV_TIMEOUT, 1);
}

static void
httpconn_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpconn_set *set = arg;
	struct httpconn *c, *next;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&set->list); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dying && c->evcon != NULL)
			evhttp_connection_free(c->evcon);	/* closecb */
	}
}

static void
httpconn_input(struct evbuffer *in, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct httpconn *c = arg;

	if (!c->dying && info->n_added > 0)
		c->set->cb.input(c, in, info, c->set->arg);
}

/*
 * evhttp made the connections of this pass of the loop (it has set its
 * callbacks, whose argument is the connection): attach to their close.
 */
static void
httpconn_attach_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpconn_set *set = arg;
	struct httpconn *c, *next;
	void *evcon;
	char *host;
	ev_uint16_t port;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&set->list); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->evcon != NULL)
			continue;
		evcon = NULL;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
		if (evcon == NULL)
			continue;
		c->evcon = evcon;
		evhttp_connection_set_closecb(c->evcon, httpconn_closecb, c);
		host = NULL;
		evhttp_connection_get_peer(c->evcon, &host, &port);
		snprintf(c->peer, sizeof(c->peer), "%s", host ? host : "");
		if (set->cb.attached != NULL)
			set->cb.attached(c, set->arg);
	}
}

/* evhttp_set_bevcb: every new connection's bufferevent. */
static struct bufferevent *
httpconn_new(struct event_base *base, void *arg)
{
	struct httpconn_set *set = arg;
	struct httpconn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	/* As evhttp's own: it closes the socket itself. */
	if ((c->bev = bufferevent_socket_new(base, -1, 0)) == NULL ||
	    (set->cb.input != NULL && evbuffer_add_cb(
	    bufferevent_get_input(c->bev), httpconn_input, c) == NULL)) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	/* Pipelined requests wait in the socket, not in our memory. */
	if (set->in_max > 0)
		bufferevent_setwatermark(c->bev, EV_READ, 0, set->in_max);
	c->set = set;
	TAILQ_INSERT_TAIL(&set->list, c, entry);
	event_active(set->attach_ev, EV_TIMEOUT, 1);
	if (++set->st.conns >= set->max && !set->full &&
	    set->listener != NULL) {
		set->full = 1;
		evconnlistener_disable(set->listener);
		log_warnx("%s: %zu connections: not accepting more until one "
		    "closes", set->name, set->max);
	}
	return c->bev;
}

static void
httpconn_resume(evutil_socket_t fd, short what, void *arg)
{
	struct httpconn_set *set = arg;

	(void)fd;
	(void)what;
	set->paused = 0;
	if (!set->full && set->listener != NULL)
		evconnlistener_enable(set->listener);
}

static void
httpconn_accept_error(struct evconnlistener *l, void *arg)
{
	struct httpconn_set *set = NULL;
	struct timeval tv;
	uint64_t held = 0;
	int e = EVUTIL_SOCKET_ERROR();
	size_t i;

	(void)arg;
	for (i = 0; i < HTTPCONN_SETS; i++)
		if (httpconn_sets[i] != NULL &&
		    httpconn_sets[i]->listener == l)
			set = httpconn_sets[i];
	if (set == NULL)
		return;
	set->st.accept_errors++;
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
		return;	/* the connection's own trouble (ECONNABORTED, ...) */
	if (log_ratelimit(&set->accept_rl, httpconn_now_us(), &held))
		log_warnx("%s: cannot accept: %s: pausing for %d ms (%llu "
		    "more such errors since the last line)", set->name,
		    strerror(e), set->pause_ms, (unsigned long long)held);
	set->paused = 1;
	evconnlistener_disable(l);
	tv.tv_sec = set->pause_ms / 1000;
	tv.tv_usec = (set->pause_ms % 1000) * 1000;
	evtimer_add(set->resume_ev, &tv);
}

int
httpconn_start(struct httpconn_set *set, struct evhttp *http,
    struct evhttp_bound_socket *bs, struct event_base *base)
{
	size_t i;

	TAILQ_INIT(&set->list);
	set->http = http;
	set->listener = evhttp_bound_socket_get_listener(bs);
	for (i = 0; i < HTTPCONN_SETS && httpconn_sets[i] != NULL; i++)
		;
	if (i == HTTPCONN_SETS)
		return -1;
	if ((set->resume_ev = evtimer_new(base, httpconn_resume, set)) ==
	    NULL || (set->attach_ev = event_new(base, -1, 0,
	    httpconn_attach_cb, set)) == NULL || (set->kill_ev =
	    event_new(base, -1, 0, httpconn_kill_cb, set)) == NULL)
		return -1;
	httpconn_sets[i] = set;
	evconnlistener_set_error_cb(set->listener, httpconn_accept_error);
	evhttp_set_bevcb(http, httpconn_new, set);
	return 0;
}

void
httpconn_stop(struct httpconn_set *set)
{
	size_t i;

	set->listener = NULL;
	if (set->resume_ev != NULL)
		event_free(set->resume_ev);
	if (set->attach_ev != NULL)
		event_free(set->attach_ev);
	if (set->kill_ev != NULL)
		event_free(set->kill_ev);
	set->resume_ev = set->attach_ev = set->kill_ev = NULL;
	for (i = 0; i < HTTPCONN_SETS; i++)
		if (httpconn_sets[i] == set)
			httpconn_sets[i] = NULL;
}

void
httpconn_free(struct httpconn_set *set)
{
	struct httpconn *c;

	if (set->list.tqh_last == NULL)
		return;		/* never started */
	while ((c = TAILQ_FIRST(&set->list)) != NULL) {
		TAILQ_REMOVE(&set->list, c, entry);
		free(c);
	}
}
