/* SPDX-License-Identifier: ISC */
/*
 * srv_drain.c: SIGTERM on a cluster node (docs/CLUSTER.md): the node stops
 * taking registrations, tells each of its agents to move to the
 * least-loaded other live node (a Move push on the agent's control channel,
 * so only the server the agent registered with can send it), and exits once
 * they are gone (registered elsewhere, which ends their registration here)
 * or at --drain-timeout. Without another live node, or with
 * --drain-timeout 0, it exits at once. On leaving, the node retracts what
 * is left of its registrations (cluster_stop), so the others need not wait
 * for its heartbeat to expire.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "cluster.h"
#include "log.h"
#include "server.h"

#define SRV_DRAIN_CHECK_US	100000

static void
srv_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct timeval tv = { 0, SRV_DRAIN_CHECK_US };

	(void)fd;
	(void)what;
	if (s->nsess == 0 || srv_now_us() >= s->drain_until_us) {
		log_info("drain: %s, %zu agent(s) still here: stopping",
		    s->nsess == 0 ? "every agent moved" :
		    "--drain-timeout reached", s->nsess);
		event_base_loopbreak(s->base);
		return;
	}
	event_add(s->drain_ev, &tv);
}

/* The least-loaded live node but this one; NULL if none. */
static const struct cluster_node *
srv_drain_target(struct srv *s)
{
	const struct cluster_node *best = NULL, *n;
	size_t i;

	for (i = 1; i < STATE_NODES; i++) {
		n = &s->cluster->nodes[i];
		if (n->id[0] == '\0' || !n->alive || i == s->cluster->slot ||
		    n->draining)
			continue;
		if (best == NULL || n->peers < best->peers ||
		    (n->peers == best->peers && n->relay_bps < best->relay_bps))
			best = n;
	}
	return best;
}

/* 0 when a drain started (the loop goes on), -1 to stop at once. */
int
srv_drain_start(struct srv *s)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Move mv = P2P__SRV__MOVE__INIT;
	const struct cluster_node *to;
	struct timeval tv = { 0, SRV_DRAIN_CHECK_US };
	struct srv_sess *x;
	size_t b, n = 0;

	if (s->cluster == NULL || s->conf.drain_timeout_s == 0 ||
	    s->draining)
		return -1;
	if ((to = srv_drain_target(s)) == NULL) {
		log_info("drain: no other live node to move %zu agent(s) to",
		    s->nsess);
		return -1;
	}
	if (s->drain_ev == NULL &&
	    (s->drain_ev = evtimer_new(s->base, srv_drain_check, s)) == NULL)
		return -1;
	s->draining = 1;
	s->drain_until_us = srv_now_us() +
	    (uint64_t)s->conf.drain_timeout_s * 1000000ULL;
	mv.node_id = (char *)to->id;
	mv.udp = (char *)to->udp;
	mv.tcp = (char *)to->tcp;
	mv.udp6 = (char *)to->udp6;
	mv.tcp6 = (char *)to->tcp6;
	mv.reason = (char *)"the node is shutting down";
	m.body_case = P2P__SRV__SERVER_MSG__BODY_MOVE;
	m.move = &mv;
	for (b = 0; b < SRV_BUCKETS; b++)
		for (x = s->sess[b]; x != NULL; x = x->next)
			if (srv_push(x, &m) == 0)
				n++;
	log_info("drain: told %zu agent(s) to move to node %s (%s); waiting "
	    "at most %ld s", n, to->id, to->udp, s->conf.drain_timeout_s);
	event_add(s->drain_ev, &tv);
	return 0;
}

void
srv_drain_stop(struct srv *s)
{
	if (s->drain_ev != NULL)
		event_free(s->drain_ev);
	s->drain_ev = NULL;
}
