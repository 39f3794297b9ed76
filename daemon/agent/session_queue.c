/* SPDX-License-Identifier: ISC */
/*
 * session_queue.c: a session's requests (session.h): its send queue and
 * its waits, each ended once through the control side's callbacks.
 *
 * A send goes straight into the transport when the session is up and
 * nothing is queued before it; otherwise it waits in the send queue with a
 * copy of its bytes, in request order. One that does not fit (EAGAIN: its
 * stream or the session buffer is full) holds back the later sends to the
 * same service, so order per service holds while other services go on;
 * tp's writable callback brings us back. A sync send then waits for the
 * acknowledgement of its last byte.
 *
 * Requests come from a small pool (a->op_free) and keep their buffers, so
 * a busy client's queued sends allocate nothing once the pool is warm.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ipc.pb-c.h"
#include "log.h"
#include "peer.h"
#include "session.h"

#define SESSION_OP_POOL		64	/* spare requests kept */
#define SESSION_OP_KEEP		(256 * 1024)	/* largest buffer kept */
#define SESSION_BLOCKED_MAX	16

static void	session_op_timeout(evutil_socket_t, short, void *);

static struct sess_op *
session_op_get(struct session *s, enum sess_op_kind kind, void *owner,
    uint32_t req)
{
	struct agent *a = s->a;
	struct sess_op *op;

	if ((op = TAILQ_FIRST(&a->op_free)) != NULL) {
		TAILQ_REMOVE(&a->op_free, op, entry);
		a->nop_free--;
	} else if ((op = calloc(1, sizeof(*op))) == NULL)
		return NULL;
	op->kind = kind;
	op->s = s;
	op->owner = owner;
	op->req = req;
	op->started = agent_now();
	return op;
}

static void
session_op_put(struct agent *a, struct sess_op *op)
{
	uint8_t *data = op->data;
	size_t cap = op->cap;

	if (op->timer != NULL)
		event_free(op->timer);
	if (cap > SESSION_OP_KEEP || a->nop_free >= SESSION_OP_POOL) {
		free(data);
		data = NULL;
		cap = 0;
	}
	if (a->nop_free >= SESSION_OP_POOL) {
		free(op);
		return;
	}
	memset(op, 0, sizeof(*op));
	op->data = data;
	op->cap = cap;
	TAILQ_INSERT_HEAD(&a->op_free, op, entry);
	a->nop_free++;
}

void
session_op_pool_free(struct agent *a)
{
	struct sess_op *op;

	while ((op = TAILQ_FIRST(&a->op_free)) != NULL) {
		TAILQ_REMOVE(&a->op_free, op, entry);
		free(op->data);
		free(op);
	}
	a->nop_free = 0;
}

/* Unlink op, answer it (code 0: OK) and return it to the pool. */
static void
session_op_done(struct sess_op *op, int code, const char *msg)
{
	struct session *s = op->s;
	struct agent *a = s->a;
	int queued = op->kind == SOP_SEND;

	TAILQ_REMOVE(queued ? &s->sendq : &s->waits, op, entry);
	a->cb->done(a->cb_arg, op->owner, op->req, code, msg);
	if (queued)
		a->cb->dequeued(a->cb_arg, op->owner);
	session_op_put(a, op);
}

static void
session_op_donef(struct sess_op *op, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
session_op_donef(struct sess_op *op, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	session_op_done(op, code, msg);
}

/*
 * One message into tp, in priority class prio (TP_PRIO_*): mode 0 on
 * channel 0 on the service's stream as ever (opened here, so its credit
 * is counted; tp finds it by service and channel), the others on the
 * streams and queues tp keeps per (service, channel). -1 with errno as tp
 * says, -2 when no stream could be opened. *sid is UINT64_MAX for an
 * unreliable message (nothing will be acknowledged).
 */
static int
session_send_one(struct session *s, const struct engine_msg *m,
    uint64_t *sid, uint64_t *end)
{
	*sid = UINT64_MAX;
	if (m->mode == TP_MODE_RELIABLE && m->channel == 0 &&
	    session_msg_stream(s, m->service) == NULL)
		return -2;
	if (m->mode == TP_MODE_SEQUENCED || m->mode == TP_MODE_UNRELIABLE)
		return tp_send_message_prio(s->tp, m->service, m->channel,
		    (int)m->mode, (int)m->prio, m->data, m->len, NULL, NULL);
	return tp_send_message_prio(s->tp, m->service, m->channel,
	    (int)m->mode, (int)m->prio, m->data, m->len, sid, end);
}

/*
 * What a send that tp refused (rv, errno err) gets: -1 when it should
 * wait (EAGAIN), else 0 and the answer was given.
 */
static int
session_send_failed(struct session *s, struct sess_op *op, int rv, int err,
    size_t len)
{
	if (rv == -2) {
		session_op_donef(op, P2P__IPC__CODE__ERR_FAILED, "cannot open "
		    "a stream to %s: %s", s->p->id, strerror(err));
		return 0;
	}
	if (err == EAGAIN)
		return -1;
	if (err == EMSGSIZE)
		session_op_donef(op, P2P__IPC__CODE__ERR_USAGE, "send to %s: "
		    "%zu bytes is over the largest message this session takes "
		    "(%zu: the smaller --max-message of both ends)", s->p->id,
		    len, tp_max_send_message(s->tp));
	else
		session_op_donef(op, P2P__IPC__CODE__ERR_FAILED,
		    "send to %s: %s", s->p->id, strerror(err));
	return 0;
}

/* The message of op went into tp: answer it, or wait for its ack. */
static void
session_sent(struct session *s, struct sess_op *op, uint64_t sid,
    uint64_t end)
{
	struct agent *a = s->a;

	/* Unreliable messages have no acknowledgement to wait for. */
	if (!op->sync || sid == UINT64_MAX) {
		session_op_done(op, 0, NULL);
		return;
	}
	TAILQ_REMOVE(&s->sendq, op, entry);
	op->kind = SOP_SYNC;
	op->sid = sid;
	op->end = end;
	TAILQ_INSERT_TAIL(&s->waits, op, entry);
	a->cb->dequeued(a->cb_arg, op->owner);
}

int
session_queued(const struct session *s, void *owner)
{
	const struct sess_op *op;

	TAILQ_FOREACH(op, &s->sendq, entry)
		if (op->owner == owner)
			return 1;
	return 0;
}

size_t
session_queued_bytes(const struct session *s)
{
	const struct sess_op *op;
	size_t n = 0;

	TAILQ_FOREACH(op, &s->sendq, entry)
		n += op->len;
	if (s->tp != NULL)
		n += tp_send_buffered(s->tp) + tp_dgram_tx_buffered(s->tp);
	return n;
}

void
session_queue_send(struct session *s, const struct engine_msg *m,
    void *owner, uint32_t req)
{
	struct agent *a = s->a;
	struct sess_op *op;
	uint64_t sid = UINT64_MAX, end = 0;
	uint8_t *nb;
	int rv = -1, err = EAGAIN, tried = 0;

	if (session_is_up(s) && TAILQ_EMPTY(&s->sendq)) {
		tried = 1;
		rv = session_send_one(s, m, &sid, &end);
		err = errno;
		if (rv >= 0 && (!m->sync || sid == UINT64_MAX)) {
			a->cb->done(a->cb_arg, owner, req, 0, NULL);
			return;
		}
	}
	if ((op = session_op_get(s, SOP_SEND, owner, req)) == NULL) {
		a->cb->done(a->cb_arg, owner, req, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		return;
	}
	op->mode = (uint8_t)m->mode;
	op->channel = (uint8_t)m->channel;
	op->prio = (uint8_t)m->prio;
	op->sync = m->sync != 0;
	snprintf(op->service, sizeof(op->service), "%s", m->service);
	TAILQ_INSERT_TAIL(&s->sendq, op, entry);
	if (rv >= 0) {
		session_sent(s, op, sid, end);
		return;
	}
	if (session_send_failed(s, op, rv, err, m->len) == 0)
		return;
	if (m->len > op->cap) {
		if ((nb = realloc(op->data, m->len)) == NULL) {
			session_op_done(op, P2P__IPC__CODE__ERR_FAILED,
			    "out of memory");
			return;
		}
		op->data = nb;
		op->cap = m->len;
	}
	if (m->len > 0)
		memcpy(op->data, m->data, m->len);
	op->len = m->len;
	/* Behind other queued sends: they go first, in order. */
	if (!tried && session_is_up(s))
		session_send_pending(s);
}

void
session_send_pending(struct session *s)
{
	struct sess_op *op, *top;
	struct engine_msg m;
	const char *blocked[SESSION_BLOCKED_MAX];
	size_t nblocked = 0, i;
	uint64_t end, sid;
	int rv;

	if (!session_is_up(s))
		return;
	TAILQ_FOREACH_SAFE(op, &s->sendq, entry, top) {
		for (i = 0; i < nblocked; i++)
			if (strcmp(blocked[i], op->service) == 0)
				break;
		if (i < nblocked)
			continue;
		m.service = op->service;
		m.data = op->data;
		m.len = op->len;
		m.mode = op->mode;
		m.channel = op->channel;
		m.prio = op->prio;
		m.sync = op->sync;
		rv = session_send_one(s, &m, &sid, &end);
		if (rv >= 0) {
			session_sent(s, op, sid, end);
			continue;
		}
		if (session_send_failed(s, op, rv, errno, op->len) == 0)
			continue;
		if (nblocked == SESSION_BLOCKED_MAX)
			break;
		blocked[nblocked++] = op->service;
	}
}

int
session_wait(struct session *s, enum sess_op_kind kind, void *owner,
    uint32_t req, uint32_t timeout_ms, uint64_t nonce)
{
	struct sess_op *op;

	if ((op = session_op_get(s, kind, owner, req)) == NULL)
		return -1;
	op->nonce = nonce;
	if (timeout_ms != 0 && timeout_ms != UINT32_MAX) {
		if ((op->timer = evtimer_new(s->a->base, session_op_timeout,
		    op)) == NULL) {
			session_op_put(s->a, op);
			return -1;
		}
		agent_timer_in(op->timer, (uint64_t)timeout_ms * 1000);
	}
	TAILQ_INSERT_TAIL(&s->waits, op, entry);
	return 0;
}

static void
session_op_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sess_op *op = arg;

	(void)fd;
	(void)what;
	session_op_donef(op, P2P__IPC__CODE__ERR_TIMEOUT, "timed out waiting "
	    "for %s", op->kind == SOP_PING ? "the ping reply" :
	    op->kind == SOP_SYNC ? "the peer's acknowledgement" :
	    "the session");
}

void
session_ops_up(struct session *s)
{
	struct sess_op *op, *top;

	TAILQ_FOREACH_SAFE(op, &s->waits, entry, top)
		if (op->kind == SOP_CONNECT)
			session_op_done(op, 0, NULL);
}

void
session_ops_acked(struct session *s, uint64_t sid, uint64_t off)
{
	struct sess_op *op, *top;

	TAILQ_FOREACH_SAFE(op, &s->waits, entry, top)
		if (op->kind == SOP_SYNC && op->sid == sid && op->end <= off)
			session_op_done(op, 0, NULL);
}

void
session_ops_echo(struct session *s, uint64_t nonce)
{
	struct agent *a = s->a;
	struct sess_op *op, *top;

	TAILQ_FOREACH_SAFE(op, &s->waits, entry, top) {
		if (op->kind != SOP_PING || op->nonce != nonce)
			continue;
		TAILQ_REMOVE(&s->waits, op, entry);
		a->cb->pong(a->cb_arg, op->owner, op->req,
		    agent_now() - op->started);
		session_op_put(a, op);
	}
}

void
session_ops_fail(struct session *s, int code, int named, const char *msg)
{
	struct sess_op *op;
	char text[320];

	if (named)
		snprintf(text, sizeof(text), "%s", msg);
	else
		snprintf(text, sizeof(text), "%s: %s", s->p->id, msg);
	while ((op = TAILQ_FIRST(&s->waits)) != NULL)
		session_op_done(op, code, text);
	while ((op = TAILQ_FIRST(&s->sendq)) != NULL)
		session_op_done(op, code, text);
}

void
session_ops_cancel(struct session *s, void *owner)
{
	struct sess_op *op, *top;

	TAILQ_FOREACH_SAFE(op, &s->waits, entry, top)
		if (op->owner == owner) {
			TAILQ_REMOVE(&s->waits, op, entry);
			session_op_put(s->a, op);
		}
	TAILQ_FOREACH_SAFE(op, &s->sendq, entry, top)
		if (op->owner == owner) {
			TAILQ_REMOVE(&s->sendq, op, entry);
			session_op_put(s->a, op);
		}
}
