/* SPDX-License-Identifier: ISC */
/*
 * pipe.c: byte pipes between two clients of two agents (ipc.proto Pipe*).
 *
 * A pipe is our outgoing pipe stream (kind 2) plus the peer's incoming one
 * of the same name. pipe_open answers once both exist; whichever side
 * starts first waits. An incoming pipe stream nobody opened here is held
 * for PIPE_ORPHAN_S (its bytes kept, bounded by the credit tp gave it),
 * then stopped. Incoming bytes go to the client as PipeData; credit goes
 * back to the sender only as the client acknowledges what it wrote out
 * (pipe_ack), so a slow consumer slows the producer and nothing buffers
 * without bound. The pipe ends well (PipeClosed ok) only when our stream
 * was finished and acknowledged as consumed (STREAM_DONE) and the peer's
 * reached its end and our client said done; anything else ends it with
 * ok=false and a reason, and the peer learns at once (stop/reset).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent.h"
#include "ipc.h"
#include "log.h"
#include "peer.h"

#define PIPE_ORPHAN_S		60
#define PIPE_OPEN_TIMEOUT_MS	30000
#define PIPE_MAX		256
#define PIPE_RXCAP		(4U * 1024 * 1024)	/* above any credit */
#define PIPE_ERR_CLOSED		(TP_ERR_APP + 2)

struct pipe {
	TAILQ_ENTRY(pipe)	 entry;
	struct agent		*a;
	uint32_t		 id;
	struct ipc_client	*c;		/* NULL: incoming, no opener */
	char			 peer[AGENT_ID_MAX + 1];
	char			 name[TP_NAME_MAX + 1];
	struct ipc_wait		*open_wait;
	struct event		*orphan;

	struct peer_stream	*out;
	int			 out_finished;
	int			 out_done;
	struct {
		int		 active;
		uint32_t	 id;
		uint8_t		*data;
		size_t		 len, off;
		int		 eof;
	}			 wr;

	struct peer_stream	*in;
	uint8_t			*rx;
	size_t			 rxlen;
	int			 in_fin;
	int			 in_eof_sent;
	int			 in_done;
};

static struct peer *
pipe_peer(struct pipe *pp)
{
	struct peer *p = peer_find(pp->a, pp->peer);

	return p != NULL && p->state == PEER_UP ? p : NULL;
}

static struct pipe *
pipe_by_id(struct ipc_client *c, uint32_t id)
{
	struct pipe *pp;

	TAILQ_FOREACH(pp, &c->a->pipes, entry) {
		if (pp->id == id && pp->c == c)
			return pp;
	}
	return NULL;
}

static struct pipe *
pipe_by_name(struct agent *a, const char *peer, const char *name)
{
	struct pipe *pp;

	TAILQ_FOREACH(pp, &a->pipes, entry) {
		if (strcmp(pp->peer, peer) == 0 && strcmp(pp->name, name) == 0)
			return pp;
	}
	return NULL;
}

static void
pipe_orphan_cb(evutil_socket_t fd, short what, void *arg);

static struct pipe *
pipe_new(struct agent *a, const char *peer, const char *name)
{
	struct pipe *pp;

	if (a->npipes >= PIPE_MAX || (pp = calloc(1, sizeof(*pp))) == NULL)
		return NULL;
	pp->a = a;
	do
		pp->id = ++a->pipe_serial;
	while (pp->id == 0);
	snprintf(pp->peer, sizeof(pp->peer), "%s", peer);
	snprintf(pp->name, sizeof(pp->name), "%s", name);
	TAILQ_INSERT_TAIL(&a->pipes, pp, entry);
	a->npipes++;
	return pp;
}

/* Forget the pipe; with abort, tell the peer (reset ours, stop theirs). */
static void
pipe_free(struct pipe *pp, int abort)
{
	struct agent *a = pp->a;
	struct peer *p = pipe_peer(pp);

	if (p != NULL && pp->out != NULL) {
		if (abort && !pp->out_done)
			(void)tp_stream_reset(p->tp, pp->out->sid,
			    PIPE_ERR_CLOSED);
		pp->out->pipe = NULL;
		session_stream_del(p, pp->out);
	}
	if (p != NULL && pp->in != NULL) {
		if (abort && !pp->in_done)
			(void)tp_stream_stop(p->tp, pp->in->sid,
			    PIPE_ERR_CLOSED);
		pp->in->pipe = NULL;
		session_stream_del(p, pp->in);
	}
	if (pp->open_wait != NULL)
		pp->open_wait->pipe_id = 0;
	if (pp->orphan != NULL)
		event_free(pp->orphan);
	free(pp->wr.data);
	free(pp->rx);
	TAILQ_REMOVE(&a->pipes, pp, entry);
	a->npipes--;
	free(pp);
}

static void
pipe_closed_event(struct pipe *pp, int ok, const char *reason)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PipeClosed pc = P2P__IPC__PIPE_CLOSED__INIT;

	if (pp->c == NULL || pp->open_wait != NULL)
		return;
	pc.pipe_id = pp->id;
	pc.ok = ok;
	pc.reason = (char *)reason;
	ev.ev_case = P2P__IPC__EVENT__EV_PIPE_CLOSED;
	ev.pipe_closed = &pc;
	(void)ipc_send_event(pp->c, &ev);
}

/* End the pipe with an error: client told, open waiter answered. */
static void
pipe_fail(struct pipe *pp, const char *reason)
{
	struct ipc_wait *w = pp->open_wait;

	if (w != NULL) {
		pp->open_wait = NULL;
		ipc_wait_done(w, P2P__IPC__CODE__ERR_CLOSED, "pipe %s: %s",
		    pp->name, reason);
	} else
		pipe_closed_event(pp, 0, reason);
	if (pp->wr.active && pp->c != NULL) {
		ipc_reply(pp->c, pp->wr.id, P2P__IPC__CODE__ERR_CLOSED,
		    "pipe %s: %s", pp->name, reason);
		ipc_client_resume(pp->c);
	}
	pipe_free(pp, 1);
}

static void
pipe_check_closed(struct pipe *pp)
{
	if (pp->out_finished && pp->out_done && pp->in_fin && pp->in_done &&
	    pp->rxlen == 0) {
		pipe_closed_event(pp, 1, "");
		pipe_free(pp, 0);
	}
}

static void
pipe_start_out(struct pipe *pp, struct peer *p)
{
	uint64_t sid;

	if (pp->out != NULL || pp->c == NULL)
		return;
	if (tp_stream_open(p->tp, TP_STREAM_PIPE, pp->name, &sid) == -1 ||
	    (pp->out = session_stream_add(p, sid, TP_STREAM_PIPE, 0,
	    pp->name)) == NULL) {
		pipe_fail(pp, "cannot open a stream");
		return;
	}
	pp->out->pipe = pp;
}

/* Both streams exist: answer pipe_open and start delivering. */
static void
pipe_check_open(struct pipe *pp)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PipeOpenResp po = P2P__IPC__PIPE_OPEN_RESP__INIT;
	struct ipc_wait *w = pp->open_wait;

	if (w == NULL || pp->out == NULL || pp->in == NULL)
		return;
	po.pipe_id = pp->id;
	r.id = w->req_id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PIPE_OPEN;
	r.pipe_open = &po;
	(void)ipc_send_resp(pp->c, &r);
	pp->open_wait = NULL;
	ipc_wait_free(w);
	pipe_pump(pp->c);
}

void
pipe_open_req(struct ipc_client *c, uint32_t id,
    const P2p__Ipc__PipeOpenReq *req)
{
	struct pipe *pp;
	struct peer *p;

	if ((pp = pipe_by_name(c->a, req->peer_id, req->name)) != NULL) {
		if (pp->c != NULL) {
			ipc_reply(c, id, P2P__IPC__CODE__ERR_BUSY, "pipe %s "
			    "to %s is already open (client pid %ld)",
			    req->name, req->peer_id, (long)pp->c->pid);
			return;
		}
		pp->c = c;		/* the peer started first */
		if (pp->orphan != NULL)
			event_free(pp->orphan);
		pp->orphan = NULL;
	} else if ((pp = pipe_new(c->a, req->peer_id, req->name)) == NULL) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_FAILED,
		    "too many pipes (%d)", PIPE_MAX);
		return;
	} else
		pp->c = c;
	pp->open_wait = ipc_wait_new(c, IPC_WAIT_PIPE_OPEN, id, req->peer_id,
	    req->timeout_ms ? req->timeout_ms : PIPE_OPEN_TIMEOUT_MS);
	if (pp->open_wait == NULL) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_FAILED, "out of memory");
		pipe_free(pp, 1);
		return;
	}
	pp->open_wait->pipe_id = pp->id;
	p = peer_find(c->a, req->peer_id);
	if (p != NULL && peer_is_up(p)) {
		pipe_start_out(pp, p);
		session_drive(p);
	} else if (peer_connect(c->a, req->peer_id) == -1)
		pipe_fail(pp, "peer table full");
	else
		return;
	if ((pp = pipe_by_name(c->a, req->peer_id, req->name)) != NULL)
		pipe_check_open(pp);
}

void
pipe_open_timeout(struct agent *a, struct ipc_wait *w)
{
	struct pipe *pp;

	TAILQ_FOREACH(pp, &a->pipes, entry) {
		if (pp->open_wait == w) {
			pp->open_wait = NULL;
			pipe_free(pp, 1);
			return;
		}
	}
}

/* Push as much of what the peer sent as the client's output cap allows. */
static void
pipe_deliver(struct pipe *pp)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PipeData pd = P2P__IPC__PIPE_DATA__INIT;
	size_t n;

	ev.ev_case = P2P__IPC__EVENT__EV_PIPE_DATA;
	ev.pipe_data = &pd;
	pd.pipe_id = pp->id;
	while ((pp->rxlen > 0 || (pp->in_fin && !pp->in_eof_sent)) &&
	    ipc_outlen(pp->c) < AGENT_CLIENT_OUTCAP) {
		n = pp->rxlen < IPC_MAX_CHUNK ? pp->rxlen : IPC_MAX_CHUNK;
		pd.data.data = pp->rx;
		pd.data.len = n;
		pd.eof = pp->in_fin && n == pp->rxlen;
		if (ipc_send_event(pp->c, &ev) == -1)
			return;
		memmove(pp->rx, pp->rx + n, pp->rxlen - n);
		pp->rxlen -= n;
		if (pd.eof)
			pp->in_eof_sent = 1;
	}
}

void
pipe_pump(struct ipc_client *c)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &c->a->pipes, entry, tp) {
		if (pp->c == c && pp->open_wait == NULL && pp->in != NULL)
			pipe_deliver(pp);
	}
}

static void
pipe_orphan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pipe *pp = arg;

	log_info("pipe %s from %s: nobody opened it here within %d s",
	    pp->name, pp->peer, PIPE_ORPHAN_S);
	pipe_free(pp, 1);
	peer_flush_all(pp->a);
}

void
pipe_stream_open(struct peer *p, struct peer_stream *st)
{
	struct timeval tv = { PIPE_ORPHAN_S, 0 };
	struct pipe *pp;

	pp = pipe_by_name(p->a, p->id, st->name);
	if (pp != NULL && pp->in != NULL) {
		(void)tp_stream_stop(p->tp, st->sid, PIPE_ERR_CLOSED);
		session_stream_del(p, st);
		return;
	}
	if (pp == NULL) {
		if ((pp = pipe_new(p->a, p->id, st->name)) == NULL) {
			(void)tp_stream_stop(p->tp, st->sid, PIPE_ERR_CLOSED);
			session_stream_del(p, st);
			return;
		}
		pp->orphan = evtimer_new(p->a->base, pipe_orphan_cb, pp);
		if (pp->orphan != NULL)
			evtimer_add(pp->orphan, &tv);
	}
	pp->in = st;
	st->pipe = pp;
	if (pp->c != NULL)
		pipe_start_out(pp, p);
	pipe_check_open(pp);
}

void
pipe_data(struct peer *p, struct peer_stream *st, const uint8_t *data,
    size_t len, int fin)
{
	struct pipe *pp = st->pipe;
	uint8_t *nb;

	if (pp == NULL)
		return;
	if (pp->rxlen + len > PIPE_RXCAP ||
	    (nb = realloc(pp->rx, pp->rxlen + len + 1)) == NULL) {
		/* More than the credit we gave: the peer is broken. */
		pipe_fail(pp, "peer sent more than its credit");
		return;
	}
	pp->rx = nb;
	if (len > 0)
		memcpy(pp->rx + pp->rxlen, data, len);
	pp->rxlen += len;
	if (fin)
		pp->in_fin = 1;
	if (pp->c != NULL && pp->open_wait == NULL)
		pipe_deliver(pp);
}

void
pipe_stream_done(struct peer *p, struct peer_stream *st)
{
	struct pipe *pp = st->pipe;

	if (pp == NULL || st != pp->out)
		return;
	pp->out_done = 1;
	pipe_check_closed(pp);
}

void
pipe_stream_stopped(struct peer *p, struct peer_stream *st, uint64_t code)
{
	char reason[96];

	if (st->pipe == NULL)
		return;
	snprintf(reason, sizeof(reason), "%s closed the pipe (code %llu)",
	    p->id, (unsigned long long)code);
	pipe_fail(st->pipe, reason);
}

/* Write what the stream takes; 1 when the whole request went in. */
static int
pipe_write_some(struct pipe *pp, struct peer *p)
{
	ssize_t n;

	while (pp->wr.off < pp->wr.len) {
		n = tp_stream_write(p->tp, pp->out->sid,
		    pp->wr.data + pp->wr.off, pp->wr.len - pp->wr.off);
		if (n <= 0)
			return n < 0 && errno != EAGAIN ? -1 : 0;
		pp->wr.off += (size_t)n;
	}
	if (pp->wr.eof) {
		if (tp_stream_finish(p->tp, pp->out->sid) == -1)
			return -1;
		pp->out_finished = 1;
	}
	return 1;
}

static void
pipe_write_continue(struct pipe *pp, struct peer *p)
{
	struct ipc_client *c = pp->c;
	int rv;

	if ((rv = pipe_write_some(pp, p)) == 0) {
		ipc_client_pause(c);
		return;
	}
	if (rv == -1)
		ipc_reply(c, pp->wr.id, P2P__IPC__CODE__ERR_CLOSED,
		    "pipe %s: %s", pp->name, strerror(errno));
	else
		ipc_reply(c, pp->wr.id, P2P__IPC__CODE__OK, NULL);
	free(pp->wr.data);
	memset(&pp->wr, 0, sizeof(pp->wr));
	ipc_client_resume(c);
	session_drive(p);
	if (rv == 1)
		pipe_check_closed(pp);
}

void
pipe_write_req(struct ipc_client *c, uint32_t id,
    const P2p__Ipc__PipeWriteReq *req)
{
	struct pipe *pp = pipe_by_id(c, req->pipe_id);
	struct peer *p;

	if (pp == NULL || pp->open_wait != NULL || pp->out == NULL ||
	    (p = pipe_peer(pp)) == NULL) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no open pipe %u", req->pipe_id);
		return;
	}
	if (pp->wr.active || pp->out_finished) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE, "pipe %u: %s",
		    req->pipe_id, pp->out_finished ? "already at eof" :
		    "a write is pending");
		return;
	}
	pp->wr.active = 1;
	pp->wr.id = id;
	pp->wr.eof = req->eof;
	pp->wr.len = req->data.len;
	if (req->data.len > 0 &&
	    (pp->wr.data = malloc(req->data.len)) == NULL) {
		memset(&pp->wr, 0, sizeof(pp->wr));
		ipc_reply(c, id, P2P__IPC__CODE__ERR_FAILED, "out of memory");
		return;
	}
	if (req->data.len > 0)
		memcpy(pp->wr.data, req->data.data, req->data.len);
	pipe_write_continue(pp, p);
}

void
pipe_writable(struct peer *p)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &p->a->pipes, entry, tp) {
		if (pp->wr.active && strcmp(pp->peer, p->id) == 0 &&
		    pp->out != NULL)
			pipe_write_continue(pp, p);
	}
}

void
pipe_ack_req(struct ipc_client *c, uint32_t id,
    const P2p__Ipc__PipeAckReq *req)
{
	struct pipe *pp = pipe_by_id(c, req->pipe_id);
	struct peer *p;

	if (pp == NULL || pp->in == NULL || (p = pipe_peer(pp)) == NULL) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no open pipe %u", req->pipe_id);
		return;
	}
	if (req->bytes > 0)
		(void)tp_stream_grant(p->tp, pp->in->sid, req->bytes);
	if (req->done && pp->in_eof_sent && !pp->in_done) {
		(void)tp_stream_done(p->tp, pp->in->sid);
		pp->in_done = 1;
	}
	ipc_reply(c, id, P2P__IPC__CODE__OK, NULL);
	session_drive(p);
	pipe_check_closed(pp);
}

void
pipe_close_req(struct ipc_client *c, uint32_t id,
    const P2p__Ipc__PipeCloseReq *req)
{
	struct pipe *pp = pipe_by_id(c, req->pipe_id);

	if (pp == NULL) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no pipe %u", req->pipe_id);
		return;
	}
	if (pp->wr.active)
		ipc_reply(c, pp->wr.id, P2P__IPC__CODE__ERR_CLOSED,
		    "pipe closed");
	pipe_free(pp, 1);
	ipc_reply(c, id, P2P__IPC__CODE__OK, NULL);
}

void
pipe_session_up(struct peer *p)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &p->a->pipes, entry, tp) {
		if (strcmp(pp->peer, p->id) == 0 && pp->c != NULL)
			pipe_start_out(pp, p);
	}
}

void
pipe_session_dead(struct peer *p, const char *reason)
{
	struct pipe *pp, *tp;
	char msg[192];

	snprintf(msg, sizeof(msg), "session with %s ended: %s", p->id,
	    reason);
	TAILQ_FOREACH_SAFE(pp, &p->a->pipes, entry, tp) {
		if (strcmp(pp->peer, p->id) == 0)
			pipe_fail(pp, msg);
	}
}

void
pipe_client_gone(struct agent *a, struct ipc_client *c)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &a->pipes, entry, tp) {
		if (pp->c == c) {
			pp->open_wait = NULL;	/* freed with the client */
			pipe_free(pp, 1);
		}
	}
}

void
pipe_free_all(struct agent *a)
{
	struct pipe *pp;

	while ((pp = TAILQ_FIRST(&a->pipes)) != NULL) {
		pp->open_wait = NULL;
		pipe_free(pp, 0);
	}
}
