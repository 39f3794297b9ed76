/* SPDX-License-Identifier: ISC */
/*
 * httpconn.h: the connections of an evhttp listener, counted and capped.
 *
 * libevent 2.1's evhttp keeps no count of its connections and retries
 * accept() at once when it fails (100% CPU at the descriptor limit). An
 * httpconn set makes every connection's bufferevent itself
 * (evhttp_set_bevcb), counts them, stops the listener at its cap until
 * one closes, pauses it after EMFILE and the like, and closes a
 * connection its owner condemns from the event loop (not from under
 * evhttp). The owner may look at each connection's first bytes before
 * evhttp reads them (input) and at each new one once evhttp has made it
 * (attached): the server's HTTP API uses both (srv_http_conn.c), the
 * agent's metrics endpoint neither (ctl_http.c).
 */
#ifndef P2P_HTTPCONN_H
#define P2P_HTTPCONN_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct bufferevent;
struct event;
struct event_base;
struct evbuffer;
struct evbuffer_cb_info;
struct evconnlistener;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_connection;

struct httpconn_set;

struct httpconn {
	struct httpconn_set		*set;
	struct bufferevent		*bev;
	struct evhttp_connection	*evcon;	/* NULL until attached */
	char				 peer[64];	/* its address */
	int				 dying;
	unsigned			 flags;	/* the owner's */
	TAILQ_ENTRY(httpconn)		 entry;
};

struct httpconn_stats {
	size_t		conns;		/* open now */
	uint64_t	refused;	/* closed by httpconn_kill() */
	uint64_t	accept_errors;
};

struct httpconn_cb {
	/* Bytes arrived on c before evhttp read them (NULL: not watched). */
	void	(*input)(struct httpconn *c, struct evbuffer *in,
		    const struct evbuffer_cb_info *info, void *arg);
	/* evhttp made c's connection: c->evcon and c->peer are set. */
	void	(*attached)(struct httpconn *c, void *arg);
};

struct httpconn_set {
	const char		*name;		/* in log lines: "http" */
	size_t			 max;		/* at once; then no accept */
	size_t			 in_max;	/* unread input kept, 0: any */
	int			 pause_ms;	/* after an accept error */
	struct httpconn_cb	 cb;
	void			*arg;
	struct httpconn_stats	 st;

	TAILQ_HEAD(, httpconn)	 list;
	struct evhttp		*http;
	struct evconnlistener	*listener;
	struct event		*resume_ev;
	struct event		*attach_ev;
	struct event		*kill_ev;
	int			 full;		/* at max */
	int			 paused;	/* after an accept error */
	struct log_rl		 accept_rl, refused_rl;
};

/*
 * Start counting bs's connections (name, max, in_max, pause_ms, cb and
 * arg filled in by the caller): 0, or -1 (out of memory).
 */
int	httpconn_start(struct httpconn_set *, struct evhttp *,
	    struct evhttp_bound_socket *, struct event_base *);
/* Before evhttp_free(), which frees the listener, then the connections. */
void	httpconn_stop(struct httpconn_set *);
/* After evhttp_free(): connections it never made (a failed accept). */
void	httpconn_free(struct httpconn_set *);

struct httpconn *httpconn_find(struct httpconn_set *,
	    struct evhttp_connection *);
/* A close callback of the owner's replaced ours: count it closed. */
void	httpconn_closed(struct httpconn_set *, struct evhttp_connection *);
/* Close c soon, with a (rate-limited) log line saying why. */
void	httpconn_kill(struct httpconn *c, const char *why);

#endif
