/* SPDX-License-Identifier: ISC */
/*
 * srv_match_srv.c: matchmaking bound to p2p-server (srv_match.h): answers
 * go to the HTTP API (srv_http_match.c) and as pushes to agents
 * (srv_match_ctrl.c), a match this node made gets its member events and
 * sessions from the groups, a timer runs the deadlines, and, once a
 * second, match groups whose lifetime is over are destroyed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "cluster.h"
#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"
#include "srv_match.h"

static void
srv_match_io_answer(void *arg, void *waiter, const struct state_ticket *t,
    enum srv_match_outcome o)
{
	srv_http_match_answer(arg, waiter, t, o);
}

static void
srv_match_io_push(void *arg, const struct state_ticket *t,
    enum srv_match_outcome o)
{
	srv_match_push(arg, t, o);
}

static void
srv_match_io_formed(void *arg, const char *group)
{
	struct srv *s = arg;
	struct srv_groups *g = s->groups;

	if (g != NULL)
		srv_group_formed(g, group, srv_now_us());
}

static int
srv_match_io_alive(void *arg, uint16_t node)
{
	struct srv *s = arg;
	const struct cluster_node *n;

	if (s->cluster == NULL || s->cluster->nodes_ms == 0 || node == 0 ||
	    node >= STATE_NODES)
		return 1;	/* not known (yet) */
	n = &s->cluster->nodes[node];
	return n->id[0] == '\0' || n->alive;
}

static void
srv_match_timer(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct srv_groups *g = s->groups;
	uint64_t now_ms = srv_now_unix_ms();

	(void)fd;
	(void)what;
	srv_match_tick(s->match, now_ms);
	if (g != NULL && now_ms / 1000 != s->match_expire_s) {
		s->match_expire_s = now_ms / 1000;
		(void)srv_group_expire(g, s->match_expire_s, srv_now_us());
	}
}

int
srv_match_start(struct srv *s, char *err, size_t errlen)
{
	struct srv_match_conf c;
	struct srv_match_io io;
	struct timeval tv = { 0, SRV_MATCH_TICK_MS * 1000 };

	memset(&c, 0, sizeof(c));
	c.lifetime_s = (uint64_t)s->conf.match_lifetime_s;
	c.node = s->cluster != NULL ? s->cluster->slot : 0;
	c.grace_ms = SRV_MATCH_GRACE_MS;
	memset(&io, 0, sizeof(io));
	io.answer = srv_match_io_answer;
	io.push = srv_match_io_push;
	io.formed = srv_match_io_formed;
	io.holder_alive = srv_match_io_alive;
	io.arg = s;
	if ((s->match = srv_match_new(s->state, &c, &io)) == NULL ||
	    (s->match_ev = event_new(s->base, -1, EV_PERSIST, srv_match_timer,
	    s)) == NULL || event_add(s->match_ev, &tv) == -1) {
		snprintf(err, errlen, "matchmaking: out of memory");
		return -1;
	}
	return 0;
}

void
srv_match_stop(struct srv *s)
{
	if (s->match_ev != NULL)
		event_free(s->match_ev);
	s->match_ev = NULL;
	srv_match_free(s->match);
	s->match = NULL;
}
