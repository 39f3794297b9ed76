/* SPDX-License-Identifier: ISC */
/*
 * srv_match_tick.c: the time side of matchmaking (srv_match.h): deadlines
 * of the tickets this node holds, HTTP clients that went away, and the
 * sweeps: tickets the state lost, agents registered nowhere for the
 * grace period, tickets of stopped nodes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "srv_match_int.h"

void
srv_match_abandon(struct srv_match *m, void *waiter)
{
	struct mt_ent *e;
	size_t b;

	for (b = 0; b < MT_BUCKETS; b++)
		for (e = m->tab[b]; e != NULL; e = e->next)
			if (e->waiter == waiter) {
				e->waiter = NULL;
				e->abandoned = 1;
				if (!e->adding && !e->ending)
					mt_end(m, e, STATE_END_GONE);
				return;
			}
}

/* Keys of the entries, since ending one may free others. */
struct mt_key {
	char		 peer[P2P_NAME_MAX + 1];
	uint64_t	 id;
};

static struct mt_key *
mt_keys(struct srv_match *m, size_t *n)
{
	struct mt_key *k;
	struct mt_ent *e;
	size_t b;

	*n = 0;
	if (m->n == 0 || (k = calloc(m->n, sizeof(*k))) == NULL)
		return NULL;
	for (b = 0; b < MT_BUCKETS; b++)
		for (e = m->tab[b]; e != NULL && *n < m->n; e = e->next) {
			memcpy(k[*n].peer, e->peer, sizeof(k[0].peer));
			k[(*n)++].id = e->id;
		}
	return k;
}

/* Tickets of this node it does not know (a restart), or stopped holders'. */
static void
mt_sweep_one(const struct state_ticket *t, void *arg)
{
	struct srv_match *m = arg;
	struct mt_ent *e;

	if (t->node == m->conf.node) {
		if (mt_get(m, t->peer_id, t->id) != NULL)
			return;
		if (t->kind == STATE_TICKET_AGENT &&
		    (e = mt_new(m, t, NULL)) != NULL)
			return;		/* adopted: its agent may ask again */
		mt_del(m, t->peer_id, t->id, STATE_END_GONE, NULL, NULL);
	} else if (m->io.holder_alive != NULL &&
	    !m->io.holder_alive(m->io.arg, t->node))
		mt_del(m, t->peer_id, t->id, t->group[0] != '\0' ?
		    STATE_END_DONE : STATE_END_GONE, NULL, NULL);
	else if (m->now_ms >= t->deadline_ms + SRV_MATCH_ORPHAN_MS)
		mt_del(m, t->peer_id, t->id, t->group[0] != '\0' ?
		    STATE_END_DONE : STATE_END_TIMEOUT, NULL, NULL);
}

/* Entries whose ticket the state lost; agents registered nowhere. */
static void
mt_sweep_local(struct srv_match *m, uint64_t now_ms)
{
	struct state_ticket t;
	struct state_peer p;
	struct mt_key *k;
	struct mt_ent *e;
	size_t i, n;

	if ((k = mt_keys(m, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if ((e = mt_get(m, k[i].peer, k[i].id)) == NULL ||
		    e->adding || e->ending)
			continue;
		if (state_match_get(m->st, e->peer, &t) != STATE_OK ||
		    t.id != e->id) {
			t.id = e->id;
			t.kind = e->kind;
			t.group[0] = '\0';
			snprintf(t.peer_id, sizeof(t.peer_id), "%s", e->peer);
			if (!e->matched)
				mt_tell(m, e, &t, SRV_MATCH_LOST);
			log_info("match: the ticket of %s is no longer in the "
			    "state", e->peer);
			mt_free(m, e);
			continue;
		}
		if (e->kind != STATE_TICKET_AGENT || e->matched)
			continue;
		if (state_get(m->st, e->peer, &p) == STATE_OK)
			e->away_ms = 0;
		else if (e->away_ms == 0)
			e->away_ms = now_ms;
		else if (now_ms - e->away_ms >= m->conf.grace_ms) {
			log_info("match: the agent of %s is gone: its ticket "
			    "ends", e->peer);
			mt_end(m, e, STATE_END_GONE);
		}
	}
	free(k);
}

void
srv_match_tick(struct srv_match *m, uint64_t now_ms)
{
	struct mt_key *k;
	struct mt_ent *e;
	size_t i, n;

	m->now_ms = now_ms;
	if ((k = mt_keys(m, &n)) != NULL) {
		for (i = 0; i < n; i++) {
			if ((e = mt_get(m, k[i].peer, k[i].id)) == NULL ||
			    e->adding || e->ending || now_ms < e->deadline_ms)
				continue;
			mt_end(m, e, e->matched ? STATE_END_DONE :
			    STATE_END_TIMEOUT);
		}
		free(k);
	}
	if (now_ms < m->next_sweep_ms)
		return;
	m->next_sweep_ms = now_ms + SRV_MATCH_SWEEP_MS;
	mt_sweep_local(m, now_ms);
	(void)state_match_each(m->st, mt_sweep_one, m);
}
