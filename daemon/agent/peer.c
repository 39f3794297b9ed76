/* SPDX-License-Identifier: ISC */
/*
 * peer.c: the peer directory (peer.h): peers in order of creation, found
 * by id through a hash keyed with a random SipHash key (libsodium's
 * crypto_shorthash: peer ids come from clients and the server, so the
 * buckets cannot be aimed at), and by static key for HS_INIT. At most
 * AGENT_MAX_PEERS; a peer stays until the agent exits.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "peer.h"
#include "wire.h"

#define PEER_BUCKETS	1024	/* a power of two */

struct peer_tab {
	TAILQ_HEAD(, peer)	 list;
	size_t			 n;
	uint8_t			 key[crypto_shorthash_KEYBYTES];
	struct peer		*bucket[PEER_BUCKETS];
};

int
peer_tab_init(struct agent *a)
{
	struct peer_tab *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	TAILQ_INIT(&t->list);
	crypto_shorthash_keygen(t->key);
	a->peers = t;
	return 0;
}

void
peer_tab_free(struct agent *a)
{
	struct peer_tab *t = a->peers;
	struct peer *p;

	if (t == NULL)
		return;
	while ((p = TAILQ_FIRST(&t->list)) != NULL) {
		TAILQ_REMOVE(&t->list, p, entry);
		free(p);
	}
	sodium_memzero(t->key, sizeof(t->key));
	free(t);
	a->peers = NULL;
}

static struct peer **
peer_bucket(struct peer_tab *t, const char *id)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const uint8_t *)id, strlen(id), t->key);
	memcpy(&v, h, sizeof(v));
	return &t->bucket[v & (PEER_BUCKETS - 1)];
}

struct peer *
peer_find(struct agent *a, const char *id)
{
	struct peer *p;

	if (a->peers == NULL)
		return NULL;
	for (p = *peer_bucket(a->peers, id); p != NULL; p = p->hnext)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

struct peer *
peer_get(struct agent *a, const char *id)
{
	struct peer_tab *t = a->peers;
	struct peer *p, **b;

	if ((p = peer_find(a, id)) != NULL)
		return p;
	if (t == NULL || t->n >= AGENT_MAX_PEERS || !p2p_name_valid(id) ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->a = a;
	memcpy(p->id, id, strlen(id) + 1);
	b = peer_bucket(t, id);
	p->hnext = *b;
	*b = p;
	TAILQ_INSERT_TAIL(&t->list, p, entry);
	t->n++;
	return p;
}

struct peer *
peer_by_xkey(struct agent *a, const uint8_t x_pk[32])
{
	struct peer *p;

	for (p = peer_first(a); p != NULL; p = peer_next(p))
		if (p->introduced && sodium_memcmp(p->x_pk, x_pk, 32) == 0)
			return p;
	return NULL;
}

struct peer *
peer_first(struct agent *a)
{
	return a->peers != NULL ? TAILQ_FIRST(&a->peers->list) : NULL;
}

struct peer *
peer_next(struct peer *p)
{
	return TAILQ_NEXT(p, entry);
}

size_t
peer_count(struct agent *a)
{
	return a->peers != NULL ? a->peers->n : 0;
}
