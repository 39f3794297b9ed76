/* SPDX-License-Identifier: ISC */
/*
 * srv_quota_lease.c: the relay quota in a cluster (docs/CLUSTER.md). The
 * count of what a peer relayed lives in Redis (p2p:quota:ID), so a peer
 * that moves to another node, or registers again elsewhere after a node
 * died or drained, keeps what it used. Nothing per relayed packet goes to
 * Redis: a node takes a lease of bytes from the count (state_redis_quota),
 * relays against it, asks for the next one when half of the last is left,
 * and gives back what is left when the registration ends here. A node that
 * dies loses the peer at most the lease it held (a lease and a half); the
 * count never goes below what was relayed.
 *
 * When Redis cannot answer, the registration is counted on this node
 * (relay_used, from the count as last known, against --relay-quota) and
 * what it relays meanwhile is added to the count by the next answer, asked
 * for at most every SRV_LEASE_RETRY_US: on its next relayed packet, or by
 * the tick (srv_lease_tick) for a registration that relays nothing more,
 * so that the count in Redis does not lack it for long. A peer at its
 * quota asks no more often than that either, in case another node gave
 * back a lease.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "server.h"
#include "srv_quota.h"
#include "state_redis.h"

static uint64_t
srv_lease_chunk(const struct srv *s)
{
	uint64_t c = s->conf.relay_quota / 16;

	if (c < SRV_LEASE_MIN)
		c = SRV_LEASE_MIN;
	if (c > SRV_LEASE_MAX)
		c = SRV_LEASE_MAX;
	return c;
}

static void
srv_lease_answer(const struct state_quota *q, void *arg)
{
	struct srv *s = arg;
	struct srv_sess *x = srv_sess_find(s, q->tag);
	uint64_t used, add;
	int first;

	if (x == NULL || strcmp(x->peer_id, q->peer_id) != 0 ||
	    !(x->q_flags & SRV_Q_ASKING)) {
		/* The registration ended meanwhile: give the lease back. */
		if (q->rc == STATE_OK && q->grant > 0)
			state_redis_quota(s->state, q->peer_id, 0, 0, 0,
			    q->grant, 0, 0, NULL, NULL);
		return;
	}
	x->q_flags &= ~SRV_Q_ASKING;
	if (q->rc != STATE_OK) {
		if (!(x->q_flags & SRV_Q_LOCAL))
			log_warnx("peer %s: the cluster's relay quota count "
			    "is unavailable: counting on this node",
			    x->peer_id);
		x->q_flags |= SRV_Q_LOCAL;
		s->quota_local = 1;
		return;
	}
	first = !(x->q_flags & SRV_Q_KNOWN);
	x->q_flags &= ~(SRV_Q_LOCAL | SRV_Q_DRY);
	x->q_flags |= SRV_Q_KNOWN | (q->grant < q->want ? SRV_Q_DRY : 0);
	add = x->q_add < x->q_unrep ? x->q_add : x->q_unrep;
	x->q_unrep -= add;
	x->q_add = 0;
	x->q_lease += q->grant;
	/* The count holds what anyone relayed and every lease out, ours
	 * too: what is used is the count less our lease, plus what we
	 * relayed that it does not have yet. */
	used = (q->count > x->q_lease ? q->count - x->q_lease : 0) +
	    x->q_unrep;
	if (used > x->relay_used)
		x->relay_used = used;
	if (first && x->relay_used > 0)
		log_info("peer %s: relayed %llu bytes of its quota before "
		    "(in the cluster)", x->peer_id,
		    (unsigned long long)x->relay_used);
}

void
srv_lease_ask(struct srv *s, struct srv_sess *x, uint64_t now)
{
	x->q_flags |= SRV_Q_ASKING;
	x->q_asked_us = now;
	x->q_add = x->q_unrep;
	/* May answer at once (Redis down): the flags are set before. */
	state_redis_quota(s->state, x->peer_id, x->reg_id, srv_lease_chunk(s),
	    x->q_add, 0, s->conf.relay_quota, x->token_expires,
	    srv_lease_answer, s);
}

/* Ask again if it is time: never two at once, rarely when it is futile. */
static void
srv_lease_maybe(struct srv *s, struct srv_sess *x, uint64_t now)
{
	if (x->q_flags & SRV_Q_ASKING)
		return;
	if ((x->q_flags & (SRV_Q_LOCAL | SRV_Q_DRY)) == 0) {
		if (x->q_lease < srv_lease_chunk(s) / 2)
			srv_lease_ask(s, x, now);
	} else if (now - x->q_asked_us >= SRV_LEASE_RETRY_US)
		srv_lease_ask(s, x, now);
}

/*
 * Once a second: the registrations counted here while Redis did not answer
 * ask again when their retry is due, relaying or not. Only while there are
 * such registrations (a walk over them all then, every second).
 */
void
srv_lease_tick(struct srv *s, uint64_t now)
{
	struct srv_sess *x;
	size_t b;
	int left = 0;

	if (!s->quota_local)
		return;
	for (b = 0; b < SRV_BUCKETS; b++)
		for (x = s->sess[b]; x != NULL; x = x->next) {
			if (!(x->q_flags & SRV_Q_LOCAL))
				continue;
			left = 1;
			if (!(x->q_flags & SRV_Q_ASKING) &&
			    now - x->q_asked_us >= SRV_LEASE_RETRY_US)
				srv_lease_ask(s, x, now);
		}
	/* An answer that failed at once set it again meanwhile. */
	if (!left)
		s->quota_local = 0;
}

int
srv_lease_room(struct srv *s, struct srv_sess *x, size_t len, uint64_t now)
{
	if (len <= x->q_lease)
		return 0;
	srv_lease_maybe(s, x, now);
	if (len <= x->q_lease)
		return 0;
	if (x->q_flags & SRV_Q_LOCAL)
		return x->relay_used + len > s->conf.relay_quota ? -1 : 0;
	return -1;	/* at the quota, or waiting for the first lease */
}

void
srv_lease_use(struct srv *s, struct srv_sess *x, size_t len, uint64_t now)
{
	if (len <= x->q_lease)
		x->q_lease -= len;
	else {
		x->q_unrep += len - x->q_lease;
		x->q_lease = 0;
	}
	srv_lease_maybe(s, x, now);
}

/* The registration ends here: its lease back, and what Redis lacks. */
void
srv_lease_return(struct srv *s, const struct srv_sess *x)
{
	uint64_t add = x->q_unrep;

	/* What an answer still to come adds, it adds itself. */
	if (x->q_flags & SRV_Q_ASKING)
		add -= x->q_add < add ? x->q_add : add;
	if (add == 0 && x->q_lease == 0)
		return;
	state_redis_quota(s->state, x->peer_id, 0, 0, add, x->q_lease, 0,
	    x->token_expires, NULL, NULL);
}

/* x replaces o on this node: o's lease and debt become x's. */
void
srv_lease_move(struct srv_sess *x, struct srv_sess *o)
{
	uint64_t add = o->q_unrep;

	if (o->q_flags & SRV_Q_ASKING)
		add -= o->q_add < add ? o->q_add : add;
	x->q_lease += o->q_lease;
	x->q_unrep += add;
	o->q_lease = 0;
	o->q_unrep = 0;
	o->q_add = 0;
	if (o->relay_used > x->relay_used)
		x->relay_used = o->relay_used;
}
