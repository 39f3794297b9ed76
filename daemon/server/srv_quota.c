/* SPDX-License-Identifier: ISC */
/*
 * srv_quota.c: the relay's byte quota (--relay-quota) belongs to the peer
 * for as long as its token lives, not to one registration: registering
 * again must not buy a fresh quota (PROTOCOL.md §2.6). A session counts
 * what it relayed in relay_used; when it ends (deregistered, replaced,
 * expired) the count is kept here by peer id until the token expires, and
 * a new registration of that peer starts from it. A replacing
 * registration takes the count (and the rate bucket) of the one it
 * replaces directly. At most SRV_MAX_PEERS entries; when full, the one
 * that expires first goes.
 *
 * In a cluster the count is the cluster's, kept in Redis and taken in
 * leases (srv_quota_lease.c); this node's table still keeps what it saw,
 * as a floor for a registration made here while Redis is unavailable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"
#include "srv_quota.h"
#include "state_redis.h"

struct srv_quota {
	char			 peer_id[P2P_NAME_MAX + 1];
	uint64_t		 used;
	uint64_t		 expires;	/* unix seconds: the token's */
	struct srv_quota	*next;
};

static size_t
srv_quota_bucket(const char *peer_id)
{
	uint32_t h = 2166136261U;

	for (; *peer_id != '\0'; peer_id++)
		h = (h ^ (uint8_t)*peer_id) * 16777619U;
	return h % SRV_BUCKETS;
}

static struct srv_quota **
srv_quota_find(struct srv *s, const char *peer_id)
{
	struct srv_quota **qp;

	for (qp = &s->quota[srv_quota_bucket(peer_id)]; *qp != NULL;
	    qp = &(*qp)->next)
		if (strcmp((*qp)->peer_id, peer_id) == 0)
			return qp;
	return NULL;
}

static void
srv_quota_unlink(struct srv *s, struct srv_quota **qp)
{
	struct srv_quota *q = *qp;

	*qp = q->next;
	free(q);
	s->nquota--;
}

/* The entry that expires first, to make room. */
static void
srv_quota_evict(struct srv *s)
{
	struct srv_quota **qp, **best = NULL;
	size_t b;

	for (b = 0; b < SRV_BUCKETS; b++)
		for (qp = &s->quota[b]; *qp != NULL; qp = &(*qp)->next)
			if (best == NULL || (*qp)->expires < (*best)->expires)
				best = qp;
	if (best != NULL)
		srv_quota_unlink(s, best);
}

/* A cluster's node: the count is shared (srv_quota_lease.c). */
static int
srv_quota_shared(const struct srv *s)
{
	return s->conf.relay_quota != 0 && state_redis_is(s->state);
}

void
srv_quota_restore(struct srv *s, struct srv_sess *x)
{
	struct srv_quota **qp;

	if ((qp = srv_quota_find(s, x->peer_id)) != NULL) {
		x->relay_used += (*qp)->used;
		log_debug("%s: relayed %llu bytes of its quota before",
		    x->peer_id, (unsigned long long)(*qp)->used);
		srv_quota_unlink(s, qp);
	}
	/* The first lease, so that relaying need not wait for it. */
	if (srv_quota_shared(s))
		srv_lease_ask(s, x, srv_now_us());
}

/* Room for len more bytes of x's quota (--relay-quota is set)? 0 or -1. */
int
srv_quota_room(struct srv *s, struct srv_sess *x, size_t len, uint64_t now)
{
	if (state_redis_is(s->state))
		return srv_lease_room(s, x, len, now);
	return x->relay_used + len > s->conf.relay_quota ? -1 : 0;
}

/* x relayed len bytes. */
void
srv_quota_use(struct srv *s, struct srv_sess *x, size_t len, uint64_t now)
{
	x->relay_used += len;
	if (srv_quota_shared(s))
		srv_lease_use(s, x, len, now);
}

/* x replaces o of the same peer on this node: o's count becomes x's. */
void
srv_quota_move(struct srv *s, struct srv_sess *x, struct srv_sess *o)
{
	if (state_redis_is(s->state)) {
		srv_lease_move(x, o);	/* the counts are the cluster's */
		return;
	}
	x->relay_used += o->relay_used;
	o->relay_used = 0;
}

void
srv_quota_save(struct srv *s, const struct srv_sess *x)
{
	struct srv_quota **qp, *q;
	size_t b;

	if (state_redis_is(s->state))
		srv_lease_return(s, x);
	if (x->relay_used == 0 || s->conf.relay_quota == 0)
		return;
	if ((qp = srv_quota_find(s, x->peer_id)) != NULL) {
		(*qp)->used += x->relay_used;
		if (x->token_expires > (*qp)->expires)
			(*qp)->expires = x->token_expires;
		return;
	}
	if (s->nquota >= SRV_MAX_PEERS)
		srv_quota_evict(s);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return;
	snprintf(q->peer_id, sizeof(q->peer_id), "%s", x->peer_id);
	q->used = x->relay_used;
	q->expires = x->token_expires;
	b = srv_quota_bucket(q->peer_id);
	q->next = s->quota[b];
	s->quota[b] = q;
	s->nquota++;
}

void
srv_quota_expire(struct srv *s, uint64_t now_unix)
{
	struct srv_quota **qp;
	size_t b;

	if (s->nquota == 0)
		return;
	for (b = 0; b < SRV_BUCKETS; b++)
		for (qp = &s->quota[b]; *qp != NULL;)
			if ((*qp)->expires <= now_unix)
				srv_quota_unlink(s, qp);
			else
				qp = &(*qp)->next;
}

void
srv_quota_free(struct srv *s)
{
	size_t b;

	for (b = 0; b < SRV_BUCKETS; b++)
		while (s->quota[b] != NULL)
			srv_quota_unlink(s, &s->quota[b]);
}
