/* SPDX-License-Identifier: ISC */
/*
 * session_stream.c: a session's streams and the inbox credit of its
 * incoming message streams (PROTOCOL.md §3.2).
 *
 * Each incoming message stream holds a reservation in its service's inbox
 * (svc.h) of at most the stream's initial credit; as messages arrive the
 * reservation turns into used bytes and is topped up only as far as the
 * inbox has room, so a full inbox stalls its own senders and nothing else.
 * The stream is linked in its inbox, so the inbox's room finds its senders
 * again (session_inbox_read) without a walk over every session.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peer.h"
#include "session.h"

#define SESSION_STREAM_CREDIT	(1024 * 1024)
#define SESSION_NO_SERVICE	(TP_ERR_APP + 1)

struct sess_stream *
session_stream_find(struct session *s, uint64_t sid)
{
	struct sess_stream *st;

	TAILQ_FOREACH(st, &s->streams, entry) {
		if (st->sid == sid)
			return st;
	}
	return NULL;
}

struct sess_stream *
session_stream_add(struct session *s, uint64_t sid, int kind, int incoming,
    const char *name)
{
	struct sess_stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->s = s;
	st->sid = sid;
	st->kind = kind;
	st->incoming = incoming;
	snprintf(st->name, sizeof(st->name), "%s", name);
	TAILQ_INSERT_TAIL(&s->streams, st, entry);
	return st;
}

void
session_stream_del(struct session *s, struct sess_stream *st)
{
	struct svc_table *t = &s->a->svcs;

	if (st->svc != NULL) {
		svc_unreserve(t, st->svc, st->outstanding);
		svc_unlink(st->svc, &st->link);
		/* A held stream goes while its inbox is being read
		 * (session_inbox_read): that inbox stays. */
		if (st->kind != SESS_HELD)
			svc_gc(t, st->svc);
	}
	TAILQ_REMOVE(&s->streams, st, entry);
	free(st);
}

struct sess_stream *
session_msg_stream(struct session *s, const char *service)
{
	struct sess_stream *st;
	uint64_t sid;

	TAILQ_FOREACH(st, &s->streams, entry) {
		if (!st->incoming && st->kind == TP_STREAM_MESSAGES &&
		    strcmp(st->name, service) == 0)
			return st;
	}
	if (tp_stream_open(s->tp, TP_STREAM_MESSAGES, service, &sid) == -1)
		return NULL;
	return session_stream_add(s, sid, TP_STREAM_MESSAGES, 0, service);
}

int
session_stream_inbox(struct session *s, struct sess_stream *st)
{
	struct svc_table *t = &s->a->svcs;
	struct svc *v;

	if ((v = svc_get(t, st->name, 1)) == NULL) {
		log_warnx("%s: no room for service %s (--max-services %zu)",
		    s->p->id, st->name, t->max_services);
		(void)tp_stream_stop(s->tp, st->sid, SESSION_NO_SERVICE);
		session_stream_del(s, st);
		return -1;
	}
	st->svc = v;
	svc_link(v, &st->link);
	/* tp gave the stream its initial credit already: account for it. */
	if (st->kind == TP_STREAM_MESSAGES) {
		svc_reserve(t, v, SESSION_STREAM_CREDIT);
		st->outstanding = SESSION_STREAM_CREDIT;
	}
	return 0;
}

/*
 * Top the stream's reservation up to its window, as far as there is room.
 * A message larger than the credit was let in whole by tp (its debt): a
 * grant pays that back first, without a reservation (the message is in the
 * inbox already), or the peer would wait for credit that never comes.
 * Without room nothing is granted and the debt stays: tp then lets no
 * further message in beyond the credit, which is the back-pressure.
 */
void
session_grant(struct session *s, struct sess_stream *st)
{
	struct svc_table *t = &s->a->svcs;
	uint64_t debt = tp_stream_debt(s->tp, st->sid);
	size_t room, want;

	want = st->outstanding < SESSION_STREAM_CREDIT ?
	    SESSION_STREAM_CREDIT - st->outstanding : 0;
	room = svc_room(t, st->svc);
	if (want > room)
		want = room;
	if (want == 0 || tp_stream_grant(s->tp, st->sid, debt + want) == -1)
		return;
	svc_reserve(t, st->svc, want);
	st->outstanding += want;
}

void
session_inbox_read(struct agent *a, struct svc *v)
{
	struct svc_link *l, *tl;
	struct sess_stream *st;

	TAILQ_FOREACH_SAFE(l, &v->links, entry, tl) {
		st = (struct sess_stream *)(void *)((char *)l -
		    offsetof(struct sess_stream, link));
		if (st->s->state != SESS_UP)
			continue;
		if (st->kind == TP_STREAM_MESSAGES) {
			session_grant(st->s, st);
			session_feed(st->s);
		} else if (st->kind == SESS_HELD && svc_room(&a->svcs, v) > 0) {
			/* The inbox has room again: let the sender go on. */
			(void)tp_stream_done(st->s->tp, st->sid);
			session_feed(st->s);
			session_stream_del(st->s, st);
		}
	}
}
