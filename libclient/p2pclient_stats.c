/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_stats.c: the figures of each session (RTT, loss, queued
 * bytes) without a round trip per look: the agent pushes every session's
 * figures every interval (p2pclient_watch_peers), the library keeps the
 * latest push and p2pclient_peer_stats() answers from it. Against an agent
 * that does not push, peer_stats asks with a peers request instead.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p2pclient_int.h"

#define P2PC_WATCH_MIN_MS	50

uint64_t
p2pc_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
p2pc_stats_free(struct p2pclient *c)
{
	p2pclient_peers_free(c->stats);
	c->stats = NULL;
}

/* A PeerStats push: keep it, then tell on_peers. */
int
p2pc_stats_push(struct p2pclient *c, const P2p__Ipc__PeersResp *pr)
{
	struct p2pclient_peers	*ps;

	if (p2pc_peers_from(pr, &ps) == -1)
		return p2pc_fatal(c, P2PCLIENT_ENOMEM, "out of memory");
	p2pc_stats_free(c);
	c->stats = ps;
	c->stats_at_us = p2pc_now_us();
	if (c->cb.on_peers != NULL)
		c->cb.on_peers(c, ps, c->cbarg);
	return 0;
}

int
p2pclient_watch_peers(struct p2pclient *c, uint32_t interval_ms)
{
	P2p__Ipc__Request	 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__PeersReq	 m = P2P__IPC__PEERS_REQ__INIT;
	struct p2pc_req		*r;
	int			 rc;

	if (interval_ms > 0 && interval_ms < P2PC_WATCH_MIN_MS)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "watch interval of "
		    "%u ms is below the minimum of %d ms", interval_ms,
		    P2PC_WATCH_MIN_MS);
	q.op_case = P2P__IPC__REQUEST__OP_PEERS;
	q.peers = &m;
	m.watch_ms = interval_ms;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pc_submit(c, &q, P2PC_ASYNC), &r)) != 0)
		return rc;
	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_PEERS) {
		p2pc_req_release(c, r);
		return p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered peers "
		    "without a peer list");
	}
	c->watch_ms = interval_ms;
	c->watching = interval_ms > 0 && r->resp->peers->watching;
	p2pc_stats_free(c);
	/* The answer is the first table: peer_stats has it at once. */
	if (c->watching) {
		if (p2pc_peers_from(r->resp->peers, &c->stats) == -1) {
			p2pc_req_release(c, r);
			return p2pc_seterr(c, P2PCLIENT_ENOMEM,
			    "out of memory");
		}
		c->stats_at_us = p2pc_now_us();
	}
	p2pc_req_release(c, r);
	return c->watching;
}

static struct p2pclient_peer *
p2pc_peer_copy(const struct p2pclient_peer *p)
{
	struct p2pclient_peer	*n;

	if ((n = malloc(sizeof(*n))) == NULL)
		return NULL;
	*n = *p;
	n->peer_id = strdup(p->peer_id);
	n->path = strdup(p->path);
	n->remote_addr = strdup(p->remote_addr);
	n->state = strdup(p->state);
	n->path_detail = strdup(p->path_detail);
	n->congestion = strdup(p->congestion);
	n->cipher = strdup(p->cipher);
	if (!n->peer_id || !n->path || !n->remote_addr || !n->state ||
	    !n->path_detail || !n->congestion || !n->cipher) {
		p2pclient_peer_free(n);
		return NULL;
	}
	return n;
}

static int
p2pc_peer_pick(struct p2pclient *c, const struct p2pclient_peers *ps,
    const char *peer, double age_ms, struct p2pclient_peer **out)
{
	size_t	i;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->v[i]->peer_id, peer) != 0)
			continue;
		if ((*out = p2pc_peer_copy(ps->v[i])) == NULL)
			return p2pc_seterr(c, P2PCLIENT_ENOMEM,
			    "out of memory");
		(*out)->age_ms = age_ms;
		return 0;
	}
	return p2pc_seterr(c, P2PCLIENT_ENOTFOUND, "no session with %s",
	    peer);
}

int
p2pclient_peer_stats(struct p2pclient *c, const char *peer,
    struct p2pclient_peer **out)
{
	struct p2pclient_peers	*ps;
	int			 rc;

	*out = NULL;
	if (peer == NULL || !p2pc_name_ok(peer, 0))
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "invalid peer id");
	if (c->dead)
		return c->dead;
	if (c->watching) {
		/* Take in what has come, without waiting (not re-entered). */
		if (c->in_cb == 0 && (rc = p2pclient_on_readable(c)) != 0)
			return rc;
		if (c->stats != NULL)
			return p2pc_peer_pick(c, c->stats, peer,
			    (double)(p2pc_now_us() - c->stats_at_us) / 1000.0,
			    out);
	}
	if (c->in_cb > 0)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "p2pclient_peer_stats "
		    "asks the agent unless watching, which a callback may "
		    "not do");
	if ((rc = p2pclient_peers(c, &ps)) != 0)
		return rc;
	rc = p2pc_peer_pick(c, ps, peer, 0, out);
	p2pclient_peers_free(ps);
	return rc;
}
