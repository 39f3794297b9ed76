/* SPDX-License-Identifier: ISC */
/*
 * srv_match.c: matchmaking tickets and their answers (srv_match.h).
 *
 * The node keeps an entry for each ticket it holds: who waits (an HTTP
 * request, or the agent), the deadline, and whether its state write is
 * still under way. Everything that ends a ticket comes back through the
 * state's match hooks, on every node, once the change is in the node's
 * view: the holder answers its HTTP request, the node where the agent is
 * registered pushes to it. What happens to a ticket while its own add is
 * still under way (a Redis node can see the match before its add's
 * answer) waits in its entry and is delivered right after the add's
 * answer, so a requester always hears "accepted" before the outcome.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "srv_match_int.h"

const char *
srv_match_strerror(enum srv_match_rc rc)
{
	switch (rc) {
	case SRV_MATCH_OK:
		return "ok";
	case SRV_MATCH_INVALID:
		return "invalid ticket";
	case SRV_MATCH_CONFLICT:
		return "the device holds another ticket";
	case SRV_MATCH_FULL:
		return "too many tickets or groups";
	case SRV_MATCH_UNAVAILABLE:
		return "cluster state unavailable";
	case SRV_MATCH_NOT_FOUND:
		return "no such ticket";
	}
	return "?";
}

const char *
srv_match_outcome_word(enum srv_match_outcome o)
{
	switch (o) {
	case SRV_MATCH_MATCHED:
		return "matched";
	case SRV_MATCH_TIMEOUT:
		return "timeout";
	case SRV_MATCH_CANCELLED:
		return "cancelled";
	case SRV_MATCH_GONE:
		return "gone";
	case SRV_MATCH_LOST:
		return "lost";
	}
	return "?";
}

static size_t
mt_bucket(struct srv_match *m, const char *peer)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const uint8_t *)peer, strlen(peer), m->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v % MT_BUCKETS);
}

struct mt_ent *
mt_get(struct srv_match *m, const char *peer, uint64_t id)
{
	struct mt_ent *e;

	for (e = m->tab[mt_bucket(m, peer)]; e != NULL; e = e->next)
		if (e->id == id && strcmp(e->peer, peer) == 0)
			return e;
	return NULL;
}

/* A waiting ticket of peer other than id (a device holds one). */
static struct mt_ent *
mt_waiting_other(struct srv_match *m, const char *peer, uint64_t id)
{
	struct mt_ent *e;

	for (e = m->tab[mt_bucket(m, peer)]; e != NULL; e = e->next)
		if (e->id != id && !e->matched && strcmp(e->peer, peer) == 0)
			return e;
	return NULL;
}

struct mt_ent *
mt_new(struct srv_match *m, const struct state_ticket *t, void *waiter)
{
	struct mt_ent *e;
	size_t b;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->peer, sizeof(e->peer), "%s", t->peer_id);
	e->id = t->id;
	e->kind = t->kind;
	e->deadline_ms = t->deadline_ms;
	e->waiter = waiter;
	e->matched = t->group[0] != '\0';
	b = mt_bucket(m, e->peer);
	e->next = m->tab[b];
	m->tab[b] = e;
	m->n++;
	return e;
}

void
mt_free(struct srv_match *m, struct mt_ent *e)
{
	struct mt_ent **pp;

	for (pp = &m->tab[mt_bucket(m, e->peer)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			m->n--;
			break;
		}
	free(e->deferred);
	free(e);
}

static enum srv_match_outcome
mt_outcome(enum state_ticket_end why)
{
	switch (why) {
	case STATE_END_TIMEOUT:
		return SRV_MATCH_TIMEOUT;
	case STATE_END_CANCELLED:
		return SRV_MATCH_CANCELLED;
	case STATE_END_GONE:
		return SRV_MATCH_GONE;
	default:
		return SRV_MATCH_LOST;
	}
}

/* Tell whoever waits here for t: the HTTP request, or the agent. */
void
mt_tell(struct srv_match *m, struct mt_ent *e, const struct state_ticket *t,
    enum srv_match_outcome o)
{
	if (e != NULL && e->kind == STATE_TICKET_API) {
		/* NULL: nobody waits (POST "wait": false); io.answer still
		 * tells the /v1/events streams. */
		m->io.answer(m->io.arg, e->waiter, t, o);
		e->waiter = NULL;
	} else if (t->kind == STATE_TICKET_AGENT)
		m->io.push(m->io.arg, t, o);
}

/* Keep what happened to an entry whose add is still under way. */
static void
mt_defer(struct mt_ent *e, const struct state_ticket *t,
    enum srv_match_outcome o)
{
	if (e->deferred == NULL &&
	    (e->deferred = malloc(sizeof(*e->deferred))) == NULL)
		return;
	*e->deferred = *t;
	e->outcome = o;
}

/* The add's answer went out: now what happened meanwhile. */
static void
mt_deliver(struct srv_match *m, struct mt_ent *e)
{
	struct state_ticket *t = e->deferred;

	if (t == NULL)
		return;
	e->deferred = NULL;
	mt_tell(m, e, t, e->outcome);
	if (e->outcome == SRV_MATCH_MATCHED && e->kind == STATE_TICKET_AGENT) {
		e->matched = 1;
		e->deadline_ms = t->deadline_ms;
	} else
		mt_free(m, e);
	free(t);
}

static void
mt_on_matched(const char *group, const struct state_ticket *ts, size_t n,
    void *arg)
{
	struct srv_match *m = arg;
	struct mt_ent *e;
	size_t i;

	m->stats.matches++;
	log_info("match: group %s formed (%zu devices)", group, n);
	for (i = 0; i < n; i++) {
		e = mt_get(m, ts[i].peer_id, ts[i].id);
		if (e != NULL && e->adding) {
			mt_defer(e, &ts[i], SRV_MATCH_MATCHED);
			continue;
		}
		mt_tell(m, e, &ts[i], SRV_MATCH_MATCHED);
		if (e == NULL)
			continue;
		if (e->kind == STATE_TICKET_API)
			mt_free(m, e);
		else {
			e->matched = 1;
			e->deadline_ms = ts[i].deadline_ms;
		}
	}
}

static void
mt_on_ended(const struct state_ticket *t, enum state_ticket_end why,
    void *arg)
{
	struct srv_match *m = arg;
	struct mt_ent *e = mt_get(m, t->peer_id, t->id);
	enum srv_match_outcome o = mt_outcome(why);
	int quiet = t->group[0] != '\0' || why == STATE_END_DONE ||
	    why == STATE_END_REPLACED;

	if (!quiet) {
		if (why == STATE_END_TIMEOUT)
			m->stats.timeouts++;
		else if (why == STATE_END_CANCELLED)
			m->stats.cancelled++;
		else if (why == STATE_END_GONE)
			m->stats.gone++;
		log_debug("match: ticket of %s ended: %s", t->peer_id,
		    state_ticket_end_word(why));
	}
	if (e != NULL && e->adding) {
		if (!quiet)
			mt_defer(e, t, o);
		return;
	}
	if (!quiet)
		mt_tell(m, e, t, o);
	if (e != NULL)
		mt_free(m, e);
}

struct srv_match *
srv_match_new(struct state *st, const struct srv_match_conf *conf,
    const struct srv_match_io *io)
{
	struct state_match_hooks h;
	struct srv_match *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->st = st;
	m->conf = *conf;
	if (m->conf.grace_ms == 0)
		m->conf.grace_ms = SRV_MATCH_GRACE_MS;
	m->io = *io;
	crypto_shorthash_keygen(m->hkey);
	h.matched = mt_on_matched;
	h.ended = mt_on_ended;
	h.arg = m;
	state_match_hooks(st, &h);
	return m;
}

void
srv_match_free(struct srv_match *m)
{
	struct state_match_hooks h;
	size_t b;

	if (m == NULL)
		return;
	memset(&h, 0, sizeof(h));
	state_match_hooks(m->st, &h);
	for (b = 0; b < MT_BUCKETS; b++)
		while (m->tab[b] != NULL)
			mt_free(m, m->tab[b]);
	free(m);
}

void
srv_match_set_lifetime(struct srv_match *m, uint64_t s)
{
	m->conf.lifetime_s = s;
}

const struct srv_match_stats *
srv_match_stats(struct srv_match *m)
{
	return &m->stats;
}

size_t
srv_match_held(struct srv_match *m)
{
	return m->n;
}

/* The request as a ticket, checked; -1 with msg filled. */
static int
mt_ticket(const struct srv_match_req *q, struct state_ticket *t, char *msg,
    size_t len)
{
	memset(t, 0, sizeof(*t));
	if (!p2p_name_valid(q->peer_id)) {
		snprintf(msg, len, "peer_id: a name of 1 to 64 characters of "
		    "[A-Za-z0-9._-] is required");
		return -1;
	}
	if (match_size_check(q->size, msg, len) == -1 ||
	    match_timeout_check(q->timeout_s, msg, len) == -1)
		return -1;
	if (q->nattrs > MATCH_ATTRS_MAX) {
		snprintf(msg, len, "too many attributes (%u; at most %d)",
		    q->nattrs, MATCH_ATTRS_MAX);
		return -1;
	}
	memcpy(t->attrs, q->attrs, q->nattrs * sizeof(t->attrs[0]));
	if (match_attrs_check(t->attrs, q->nattrs, msg, len) == -1)
		return -1;
	snprintf(t->peer_id, sizeof(t->peer_id), "%s", q->peer_id);
	t->nattrs = q->nattrs;
	t->size = (unsigned)q->size;
	t->kind = q->kind;
	t->id = q->id;
	while (t->id == 0)
		randombytes_buf(&t->id, sizeof(t->id));
	return 0;
}

static void
mt_add_done(const struct state_match_result *r, void *arg)
{
	struct mt_op *op = arg;
	struct srv_match *m = op->m;
	struct mt_ent *e = mt_get(m, op->peer, op->id);
	char msg[256];

	if (e != NULL && (op->own || r->rc == STATE_OK))
		e->adding = 0;
	if (r->rc == STATE_OK || r->rc == STATE_EXISTS) {
		if (r->rc == STATE_OK)
			m->stats.tickets++;
		else if (op->own && e != NULL && e->deferred == NULL) {
			mt_free(m, e);	/* held by the node that took it */
			e = NULL;
		}
		if (r->rc == STATE_OK && r->matched)
			m->io.formed(m->io.arg, r->group);
		op->done(SRV_MATCH_OK, &op->t, NULL, op->arg);
		if (r->rc == STATE_EXISTS && r->matched && (e == NULL ||
		    e->deferred == NULL)) {
			/* Asked again after its match: it learns it again. */
			snprintf(op->t.group, sizeof(op->t.group), "%s",
			    r->group);
			m->io.push(m->io.arg, &op->t, SRV_MATCH_MATCHED);
		}
		if (e != NULL && e->deferred != NULL)
			mt_deliver(m, e);
		else if (e != NULL && e->abandoned && !e->ending)
			mt_end(m, e, STATE_END_GONE);
		free(op);
		return;
	}
	if (e != NULL && op->own)
		mt_free(m, e);
	m->stats.refused++;
	switch (r->rc) {
	case STATE_CONFLICT:
		snprintf(msg, sizeof(msg), "peer %s already holds a waiting "
		    "ticket (cancel it first)", op->peer);
		op->done(SRV_MATCH_CONFLICT, NULL, msg, op->arg);
		break;
	case STATE_FULL:
		snprintf(msg, sizeof(msg), "too many tickets or match groups, "
		    "or peer %s is in %d groups", op->peer, STATE_PEER_GROUPS);
		op->done(SRV_MATCH_FULL, NULL, msg, op->arg);
		break;
	default:
		op->done(SRV_MATCH_UNAVAILABLE, NULL, "cluster state "
		    "unavailable", op->arg);
		break;
	}
	free(op);
}

void
srv_match_add(struct srv_match *m, const struct srv_match_req *q,
    void *waiter, uint64_t now_ms, srv_match_done done, void *arg)
{
	struct mt_op *op;
	struct mt_ent *e;
	uint8_t rnd[8];
	char msg[256], group[P2P_NAME_MAX + 1];

	m->now_ms = now_ms;
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		done(SRV_MATCH_FULL, NULL, "out of memory", arg);
		return;
	}
	if (mt_ticket(q, &op->t, msg, sizeof(msg)) == -1) {
		m->stats.refused++;
		free(op);
		done(SRV_MATCH_INVALID, NULL, msg, arg);
		return;
	}
	op->t.node = m->conf.node;
	op->t.deadline_ms = now_ms + (uint64_t)q->timeout_s * 1000;
	if (mt_waiting_other(m, op->t.peer_id, op->t.id) != NULL) {
		snprintf(msg, sizeof(msg), "peer %s already holds a waiting "
		    "ticket (cancel it first)", op->t.peer_id);
		m->stats.refused++;
		free(op);
		done(SRV_MATCH_CONFLICT, NULL, msg, arg);
		return;
	}
	op->m = m;
	snprintf(op->peer, sizeof(op->peer), "%s", op->t.peer_id);
	op->id = op->t.id;
	op->done = done;
	op->arg = arg;
	if ((e = mt_get(m, op->peer, op->id)) == NULL) {
		if (m->n >= STATE_MATCH_TICKETS ||
		    (e = mt_new(m, &op->t, waiter)) == NULL) {
			m->stats.refused++;
			free(op);
			done(SRV_MATCH_FULL, NULL, "too many tickets", arg);
			return;
		}
		e->adding = 1;
		op->own = 1;
	}
	randombytes_buf(rnd, sizeof(rnd));
	snprintf(group, sizeof(group), "m-%02x%02x%02x%02x%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	state_match_add_cb(m->st, &op->t, group, now_ms / 1000 +
	    m->conf.lifetime_s, now_ms, mt_add_done, op);
}

static void
mt_end_done(const struct state_match_result *r, void *arg)
{
	struct mt_op *op = arg;
	struct srv_match *m = op->m;
	struct mt_ent *e = mt_get(m, op->peer, op->id);
	struct state_ticket t;

	if (op->done != NULL)
		op->done(r->rc == STATE_OK ? SRV_MATCH_OK :
		    r->rc == STATE_NOT_FOUND ? SRV_MATCH_NOT_FOUND :
		    SRV_MATCH_UNAVAILABLE, NULL, r->rc == STATE_OK ? NULL :
		    r->rc == STATE_NOT_FOUND ? "no such ticket" :
		    "cluster state unavailable", op->arg);
	/* Normally the hooks took the entry; else the state has lost it. */
	if (e != NULL && r->rc != STATE_OK) {
		memset(&t, 0, sizeof(t));
		snprintf(t.peer_id, sizeof(t.peer_id), "%s", e->peer);
		t.id = e->id;
		t.kind = e->kind;
		if (!e->matched && op->why != STATE_END_DONE)
			mt_tell(m, e, &t, SRV_MATCH_LOST);
		mt_free(m, e);
	} else if (e != NULL)
		e->ending = 0;
	free(op);
}

/* End a ticket in the state (the hooks answer). */
void
mt_del(struct srv_match *m, const char *peer, uint64_t id,
    enum state_ticket_end why, srv_match_done done, void *arg)
{
	struct mt_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		if (done != NULL)
			done(SRV_MATCH_FULL, NULL, "out of memory", arg);
		return;
	}
	op->m = m;
	snprintf(op->peer, sizeof(op->peer), "%s", peer);
	op->id = id;
	op->why = why;
	op->done = done;
	op->arg = arg;
	state_match_del_cb(m->st, peer, id, why, mt_end_done, op);
}

void
mt_end(struct srv_match *m, struct mt_ent *e, enum state_ticket_end why)
{
	e->ending = 1;
	mt_del(m, e->peer, e->id, why, NULL, NULL);
}

void
srv_match_cancel(struct srv_match *m, const char *peer_id, uint64_t id,
    srv_match_done done, void *arg)
{
	if (!p2p_name_valid(peer_id)) {
		done(SRV_MATCH_INVALID, NULL, "not a peer id", arg);
		return;
	}
	mt_del(m, peer_id, id, STATE_END_CANCELLED, done, arg);
}
