/* SPDX-License-Identifier: ISC */
/*
 * session_tp.c: what a session's transport reports (tp.h's tp_cb): new
 * streams, messages for the inboxes, pipe bytes, acknowledgements, room
 * to send, echoes, the end. The callbacks only record or forward, to the
 * session's requests (session_queue.c) and up to the control side
 * (engine.h); tearing the session down waits until tp has returned.
 */
#include <stdio.h>
#include <string.h>

#include "group_hdr.h"
#include "log.h"
#include "peer.h"
#include "session.h"

static void
session_cb_stream_open(void *arg, uint64_t sid, int kind, const char *name)
{
	struct session *s = arg;
	struct agent *a = s->a;
	struct sess_stream *st;
	void *user;

	if ((st = session_stream_add(s, sid, kind, 1, name)) == NULL) {
		(void)tp_stream_stop(s->tp, sid, ENGINE_STREAM_CLOSED);
		return;
	}
	if (kind != TP_STREAM_PIPE) {
		(void)session_stream_inbox(s, st);
		return;
	}
	user = a->cb->stream_open(a->cb_arg, s->p->id, sid, name);
	/* The control side may have closed it already (a pipe that failed
	 * at once): look it up again. */
	if ((st = session_stream_find(s, sid)) == NULL)
		return;
	if ((st->user = user) == NULL) {
		(void)tp_stream_stop(s->tp, sid, ENGINE_STREAM_CLOSED);
		session_stream_del(s, st);
	}
}

/* Queue a message in its inbox, labelled with its mode and channel. */
static void
session_inbox_push(struct session *s, struct svc *v,
    const struct tp_msg_info *mi, const uint8_t *data, size_t len)
{
	struct svc_msg *m;

	if (svc_push(v, s->p->id, data, len, len) == -1) {
		log_warnx("%s: out of memory: message from %s lost",
		    __func__, s->p->id);
		svc_release(&s->a->svcs, v, len);
		return;
	}
	m = TAILQ_LAST(&v->msgs, svc_msgq);
	m->mode = (uint8_t)mi->mode;
	m->channel = (uint8_t)mi->channel;
}

/* Hold an unordered message's stream open until its inbox has room. */
static void
session_hold(struct session *s, struct svc *v, uint64_t sid)
{
	struct sess_stream *st;

	if ((st = session_stream_add(s, sid, SESS_HELD, 1, v->name)) == NULL)
		return;
	st->svc = v;
	svc_link(v, &st->link);
	(void)tp_stream_hold(s->tp, sid);
}

/*
 * Ordered messages arrive on streams that hold inbox credit. The others
 * do not: an unreliable one is dropped when its inbox is full; a
 * reliable-unordered one is taken whole, and when it filled the inbox its
 * stream is held open until the inbox has room (session_inbox_read), so
 * a sender, capped at TP_MAX_UNORDERED messages in flight, has to wait.
 */
static void
session_cb_message(void *arg, const struct tp_msg_info *mi,
    const uint8_t *data, size_t len)
{
	struct session *s = arg;
	struct agent *a = s->a;
	struct sess_stream *st = NULL;
	struct svc *v;

	if (mi->mode == TP_MODE_RELIABLE) {
		if ((st = session_stream_find(s, mi->sid)) == NULL ||
		    (v = st->svc) == NULL) {
			AGENT_DROP(a, no_room);
			return;
		}
	} else if (strcmp(mi->service, GROUP_SERVICE) == 0 ||
	    (v = svc_get(&a->svcs, mi->service, 1)) == NULL ||
	    (mi->mode != TP_MODE_UNORDERED && svc_room(&a->svcs, v) < len)) {
		AGENT_DROP(a, no_room);
		return;
	}
	svc_arrive(&a->svcs, v, len);
	if (st != NULL)
		st->outstanding = st->outstanding > len ?
		    st->outstanding - len : 0;
	session_inbox_push(s, v, mi, data, len);
	if (mi->mode == TP_MODE_UNORDERED && svc_room(&a->svcs, v) == 0)
		session_hold(s, v, mi->sid);
	if (st != NULL)
		session_grant(s, st);
	a->cb->inbox(a->cb_arg, v);
}

static void
session_cb_pipe_data(void *arg, uint64_t sid, const uint8_t *data,
    size_t len, int fin)
{
	struct session *s = arg;
	struct sess_stream *st;

	if ((st = session_stream_find(s, sid)) != NULL && st->user != NULL)
		s->a->cb->stream_data(s->a->cb_arg, st->user, data, len, fin);
}

static void
session_cb_acked(void *arg, uint64_t sid, uint64_t offset)
{
	session_ops_acked(arg, sid, offset);
}

static void
session_cb_writable(void *arg)
{
	struct session *s = arg;

	session_send_pending(s);
	s->a->cb->writable(s->a->cb_arg, s->p->id);
}

static void
session_cb_stream_done(void *arg, uint64_t sid)
{
	struct session *s = arg;
	struct sess_stream *st;

	if ((st = session_stream_find(s, sid)) != NULL && st->user != NULL)
		s->a->cb->stream_done(s->a->cb_arg, st->user);
}

static void
session_cb_stream_stopped(void *arg, uint64_t sid, uint64_t code)
{
	struct session *s = arg;
	struct sess_stream *st;

	if ((st = session_stream_find(s, sid)) == NULL)
		return;
	if (st->user != NULL) {
		/* The control side closes it (engine_stream_close). */
		s->a->cb->stream_stopped(s->a->cb_arg, st->user, code);
		return;
	}
	if (!st->incoming)
		log_info("%s refused messages for service %s (code %llu)",
		    s->p->id, st->name, (unsigned long long)code);
	session_stream_del(s, st);
}

static void
session_cb_echo(void *arg, uint64_t nonce)
{
	session_ops_echo(arg, nonce);
}

static void
session_cb_closed(void *arg, int remote, uint64_t code, const char *reason)
{
	struct session *s = arg;

	s->dead = 1;
	if (code == TP_ERR_IDLE)
		snprintf(s->dead_reason, sizeof(s->dead_reason),
		    "peer not answering (idle timeout)");
	else if (remote)
		snprintf(s->dead_reason, sizeof(s->dead_reason),
		    "closed by peer%s%s", reason && *reason ? ": " : "",
		    reason ? reason : "");
	else
		snprintf(s->dead_reason, sizeof(s->dead_reason),
		    "closed: %s (code %llu)", reason ? reason : "error",
		    (unsigned long long)code);
}

void
session_tp_cb(struct session *s, struct tp_cb *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->arg = s;
	cb->stream_open = session_cb_stream_open;
	cb->message_ex = session_cb_message;
	cb->pipe_data = session_cb_pipe_data;
	cb->acked = session_cb_acked;
	cb->writable = session_cb_writable;
	cb->stream_done = session_cb_stream_done;
	cb->stream_stopped = session_cb_stream_stopped;
	cb->echo = session_cb_echo;
	cb->closed = session_cb_closed;
}
