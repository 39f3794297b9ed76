/* SPDX-License-Identifier: ISC */
/*
 * srv_recent.c: the REG_INITs answered lately, by the agent's ephemeral
 * key (PROTOCOL.md §2.1). A REG_INIT is worked on only with a cookie of
 * the last two buckets, so remembering each accepted one for as long
 * (SRV_RECENT_US) is enough for a replay never to register again: it is
 * answered from the registration it made, or dropped. Only accepted
 * registrations (token and signature valid) get an entry, oldest first
 * in a queue; at SRV_RECENT_MAX the oldest goes. While the state writes
 * the registration (a cluster's Redis answers later) the entry is busy:
 * a resend meanwhile is dropped; a refusal removes the entry.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "server.h"

static size_t
srv_recent_bucket(const uint8_t e_pk[32])
{
	uint32_t h;

	/* e_pk is random (an X25519 public key): its bytes hash well. */
	memcpy(&h, e_pk, sizeof(h));
	return (size_t)h % SRV_BUCKETS;
}

struct srv_recent *
srv_recent_find(struct srv *s, const uint8_t e_pk[32])
{
	struct srv_recent *r;

	for (r = s->recent[srv_recent_bucket(e_pk)]; r != NULL; r = r->next)
		if (memcmp(r->e_pk, e_pk, 32) == 0)
			return r;
	return NULL;
}

static void
srv_recent_remove(struct srv *s, struct srv_recent *r)
{
	struct srv_recent **rp;

	for (rp = &s->recent[srv_recent_bucket(r->e_pk)]; *rp != NULL;
	    rp = &(*rp)->next)
		if (*rp == r) {
			*rp = r->next;
			break;
		}
	TAILQ_REMOVE(&s->recent_q, r, age);
	s->nrecent--;
	free(r);
}

struct srv_recent *
srv_recent_add(struct srv *s, const uint8_t e_pk[32], uint32_t reg_id,
    uint64_t now_us)
{
	struct srv_recent *r;
	size_t b;

	if (s->recent_q.tqh_last == NULL)	/* struct srv is calloc'ed */
		TAILQ_INIT(&s->recent_q);
	if (s->nrecent >= SRV_RECENT_MAX)
		srv_recent_remove(s, TAILQ_FIRST(&s->recent_q));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	memcpy(r->e_pk, e_pk, 32);
	r->reg_id = reg_id;
	r->created_us = now_us;
	b = srv_recent_bucket(e_pk);
	r->next = s->recent[b];
	s->recent[b] = r;
	TAILQ_INSERT_TAIL(&s->recent_q, r, age);
	s->nrecent++;
	return r;
}

void
srv_recent_drop(struct srv *s, const uint8_t e_pk[32])
{
	struct srv_recent *r;

	if ((r = srv_recent_find(s, e_pk)) != NULL)
		srv_recent_remove(s, r);
}

void
srv_recent_expire(struct srv *s, uint64_t now_us)
{
	struct srv_recent *r;

	if (s->nrecent == 0)
		return;
	while ((r = TAILQ_FIRST(&s->recent_q)) != NULL &&
	    now_us - r->created_us >= SRV_RECENT_US)
		srv_recent_remove(s, r);
}

void
srv_recent_free(struct srv *s)
{
	struct srv_recent *r;

	if (s->nrecent == 0)
		return;
	while ((r = TAILQ_FIRST(&s->recent_q)) != NULL)
		srv_recent_remove(s, r);
}
