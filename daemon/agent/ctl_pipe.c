/* SPDX-License-Identifier: ISC */
/*
 * ctl_pipe.c: `p2pctl pipe`: byte pipes between two clients of two agents
 * (ipc.proto Pipe*), on the engine's pipe streams (engine.h).
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

#include "ctl.h"
#include "log.h"

#define PIPE_ORPHAN_S		60
#define PIPE_OPEN_TIMEOUT_MS	30000
#define PIPE_MAX		256
#define PIPE_RXCAP		(4U * 1024 * 1024)	/* above any credit */

struct pipe {
	TAILQ_ENTRY(pipe)	 entry;
	struct ctl		*ctl;
	uint32_t		 id;
	struct ipc_client	*c;		/* NULL: incoming, no opener */
	char			 peer[AGENT_ID_MAX + 1];
	char			 name[TP_NAME_MAX + 1];
	int			 opening;	/* open_req not answered yet */
	uint32_t		 open_req;
	struct event		*open_timer;
	struct event		*orphan;

	uint64_t		 out_sid;
	int			 has_out;
	int			 out_finished;
	int			 out_done;
	struct {
		int		 active;
		uint32_t	 id;
		uint8_t		*data;
		size_t		 len, off, cap;
		int		 eof;
	}			 wr;

	uint64_t		 in_sid;
	int			 has_in;
	uint8_t			*rx;
	size_t			 rxlen, rxcap;
	int			 in_fin;
	int			 in_eof_sent;
	int			 in_done;
};

static struct pipe *
ctl_pipe_by_id(struct ipc_client *c, uint32_t id)
{
	struct pipe *pp;

	TAILQ_FOREACH(pp, &c->a->ctl->pipes, entry) {
		if (pp->id == id && pp->c == c)
			return pp;
	}
	return NULL;
}

static struct pipe *
ctl_pipe_by_name(struct ctl *ctl, const char *peer, const char *name)
{
	struct pipe *pp;

	TAILQ_FOREACH(pp, &ctl->pipes, entry) {
		if (strcmp(pp->peer, peer) == 0 && strcmp(pp->name, name) == 0)
			return pp;
	}
	return NULL;
}

static struct pipe *
ctl_pipe_new(struct ctl *ctl, const char *peer, const char *name)
{
	struct pipe *pp;

	if (ctl->npipes >= PIPE_MAX || (pp = calloc(1, sizeof(*pp))) == NULL)
		return NULL;
	pp->ctl = ctl;
	do
		pp->id = ++ctl->pipe_serial;
	while (pp->id == 0);
	snprintf(pp->peer, sizeof(pp->peer), "%s", peer);
	snprintf(pp->name, sizeof(pp->name), "%s", name);
	TAILQ_INSERT_TAIL(&ctl->pipes, pp, entry);
	ctl->npipes++;
	return pp;
}

/* Forget the pipe; with abort, tell the peer (reset ours, stop theirs). */
static void
ctl_pipe_free(struct pipe *pp, int abort)
{
	struct ctl *ctl = pp->ctl;

	if (pp->has_out)
		engine_stream_close(ctl->a, pp->peer, pp->out_sid,
		    abort && !pp->out_done);
	if (pp->has_in)
		engine_stream_close(ctl->a, pp->peer, pp->in_sid,
		    abort && !pp->in_done);
	if (pp->open_timer != NULL)
		event_free(pp->open_timer);
	if (pp->orphan != NULL)
		event_free(pp->orphan);
	free(pp->wr.data);
	free(pp->rx);
	TAILQ_REMOVE(&ctl->pipes, pp, entry);
	ctl->npipes--;
	free(pp);
}

static void
ctl_pipe_closed_event(struct pipe *pp, int ok, const char *reason)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PipeClosed pc = P2P__IPC__PIPE_CLOSED__INIT;

	if (pp->c == NULL || pp->opening)
		return;
	pc.pipe_id = pp->id;
	pc.ok = ok;
	pc.reason = (char *)reason;
	ev.ev_case = P2P__IPC__EVENT__EV_PIPE_CLOSED;
	ev.pipe_closed = &pc;
	(void)ipc_send_event(pp->c, &ev);
}

/* End the pipe with an error: client told, opener answered. */
static void
ctl_pipe_fail(struct pipe *pp, const char *reason)
{
	if (pp->opening) {
		pp->opening = 0;
		ipc_reply(pp->c, pp->open_req, P2P__IPC__CODE__ERR_CLOSED,
		    "pipe %s: %s", pp->name, reason);
	} else
		ctl_pipe_closed_event(pp, 0, reason);
	if (pp->wr.active && pp->c != NULL) {
		ipc_reply(pp->c, pp->wr.id, P2P__IPC__CODE__ERR_CLOSED,
		    "pipe %s: %s", pp->name, reason);
		ipc_client_resume(pp->c);
	}
	ctl_pipe_free(pp, 1);
}

static void
ctl_pipe_check_closed(struct pipe *pp)
{
	if (pp->out_finished && pp->out_done && pp->in_fin && pp->in_done &&
	    pp->rxlen == 0) {
		ctl_pipe_closed_event(pp, 1, "");
		ctl_pipe_free(pp, 0);
	}
}

/* Open our stream of the pipe: 0, or -1 when the pipe failed (freed). */
static int
ctl_pipe_start_out(struct pipe *pp)
{
	if (pp->has_out || pp->c == NULL)
		return 0;
	if (engine_stream_open(pp->ctl->a, pp->peer, pp->name, pp,
	    &pp->out_sid) == -1) {
		ctl_pipe_fail(pp, "cannot open a stream");
		return -1;
	}
	pp->has_out = 1;
	return 0;
}

/* Push as much of what the peer sent as the client's output cap allows. */
static void
ctl_pipe_deliver(struct pipe *pp)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PipeData pd = P2P__IPC__PIPE_DATA__INIT;
	size_t n;

	ev.ev_case = P2P__IPC__EVENT__EV_PIPE_DATA;
	ev.pipe_data = &pd;
	pd.pipe_id = pp->id;
	while ((pp->rxlen > 0 || (pp->in_fin && !pp->in_eof_sent)) &&
	    ipc_outlen(pp->c) < CTL_DELIVER_OUTCAP) {
		n = pp->rxlen < IPC_MAX_CHUNK ? pp->rxlen : IPC_MAX_CHUNK;
		pd.data.data = pp->rx;
		pd.data.len = n;
		pd.eof = pp->in_fin && n == pp->rxlen;
		if (ipc_send_event(pp->c, &ev) == -1)
			return;
		if (pp->rxlen > n)
			memmove(pp->rx, pp->rx + n, pp->rxlen - n);
		pp->rxlen -= n;
		if (pd.eof)
			pp->in_eof_sent = 1;
	}
}

/* Both streams exist: answer pipe_open and start delivering. */
static void
ctl_pipe_check_open(struct pipe *pp)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PipeOpenResp po = P2P__IPC__PIPE_OPEN_RESP__INIT;

	if (!pp->opening || !pp->has_out || !pp->has_in)
		return;
	po.pipe_id = pp->id;
	r.id = pp->open_req;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PIPE_OPEN;
	r.pipe_open = &po;
	(void)ipc_send_resp(pp->c, &r);
	pp->opening = 0;
	if (pp->open_timer != NULL)
		event_free(pp->open_timer);
	pp->open_timer = NULL;
	ctl_pipe_deliver(pp);
}

static void
ctl_pipe_open_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pipe *pp = arg;

	(void)fd;
	(void)what;
	pp->opening = 0;
	ipc_reply(pp->c, pp->open_req, P2P__IPC__CODE__ERR_TIMEOUT,
	    "timed out waiting for the peer to open the pipe");
	ctl_pipe_free(pp, 1);
}

void
ctl_pipe_open(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__PipeOpenReq *po = req->pipe_open;
	struct ctl *ctl = c->a->ctl;
	uint32_t ms = po->timeout_ms ? po->timeout_ms : PIPE_OPEN_TIMEOUT_MS;
	struct pipe *pp;

	if ((pp = ctl_pipe_by_name(ctl, po->peer_id, po->name)) != NULL) {
		if (pp->c != NULL) {
			ipc_reply(c, req->id, P2P__IPC__CODE__ERR_BUSY, "pipe "
			    "%s to %s is already open (client pid %ld)",
			    po->name, po->peer_id, (long)pp->c->pid);
			return;
		}
		if (pp->orphan != NULL)		/* the peer started first */
			event_free(pp->orphan);
		pp->orphan = NULL;
	} else if ((pp = ctl_pipe_new(ctl, po->peer_id, po->name)) == NULL) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
		    "too many pipes (%d)", PIPE_MAX);
		return;
	}
	pp->c = c;
	pp->opening = 1;
	pp->open_req = req->id;
	if (ms != UINT32_MAX) {
		if ((pp->open_timer = evtimer_new(c->a->base,
		    ctl_pipe_open_timeout, pp)) == NULL) {
			pp->opening = 0;
			ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
			    "out of memory");
			ctl_pipe_free(pp, 1);
			return;
		}
		agent_timer_in(pp->open_timer, (uint64_t)ms * 1000);
	}
	if (engine_peer_up(c->a, po->peer_id)) {
		if (ctl_pipe_start_out(pp) == -1)
			return;
	} else if (engine_connect(c->a, po->peer_id, NULL, 0, 0) == -1) {
		ctl_pipe_fail(pp, "peer table full");
		return;
	} else
		return;
	ctl_pipe_check_open(pp);
}

void
ctl_pipe_pump(struct ipc_client *c)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &c->a->ctl->pipes, entry, tp) {
		if (pp->c == c && !pp->opening && pp->has_in)
			ctl_pipe_deliver(pp);
	}
}

static void
ctl_pipe_orphan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pipe *pp = arg;

	(void)fd;
	(void)what;
	log_info("pipe %s from %s: nobody opened it here within %d s",
	    pp->name, pp->peer, PIPE_ORPHAN_S);
	ctl_pipe_free(pp, 1);
}

void *
ctl_pipe_stream_open(struct ctl *ctl, const char *peer, uint64_t sid,
    const char *name)
{
	struct timeval tv = { PIPE_ORPHAN_S, 0 };
	struct pipe *pp;

	pp = ctl_pipe_by_name(ctl, peer, name);
	if (pp != NULL && pp->has_in)
		return NULL;
	if (pp == NULL) {
		if ((pp = ctl_pipe_new(ctl, peer, name)) == NULL)
			return NULL;
		pp->orphan = evtimer_new(ctl->a->base, ctl_pipe_orphan_cb, pp);
		if (pp->orphan != NULL)
			evtimer_add(pp->orphan, &tv);
	}
	pp->has_in = 1;
	pp->in_sid = sid;
	if (ctl_pipe_start_out(pp) == -1)
		return NULL;	/* failed and gone, with the stream */
	ctl_pipe_check_open(pp);
	return pp;
}

void
ctl_pipe_data(struct ctl *ctl, struct pipe *pp, const uint8_t *data,
    size_t len, int fin)
{
	size_t cap;
	uint8_t *nb;

	(void)ctl;
	if (pp->rxlen + len > PIPE_RXCAP) {
		/* More than the credit we gave: the peer is broken. */
		ctl_pipe_fail(pp, "peer sent more than its credit");
		return;
	}
	if (pp->rxlen + len > pp->rxcap) {
		cap = pp->rxcap * 2 > pp->rxlen + len ? pp->rxcap * 2 :
		    pp->rxlen + len;
		if ((nb = realloc(pp->rx, cap)) == NULL) {
			ctl_pipe_fail(pp, "out of memory");
			return;
		}
		pp->rx = nb;
		pp->rxcap = cap;
	}
	if (len > 0)
		memcpy(pp->rx + pp->rxlen, data, len);
	pp->rxlen += len;
	if (fin)
		pp->in_fin = 1;
	if (pp->c != NULL && !pp->opening)
		ctl_pipe_deliver(pp);
}

void
ctl_pipe_stream_done(struct ctl *ctl, struct pipe *pp)
{
	(void)ctl;
	pp->out_done = 1;
	ctl_pipe_check_closed(pp);
}

void
ctl_pipe_stream_stopped(struct ctl *ctl, struct pipe *pp, uint64_t code)
{
	char reason[96];

	(void)ctl;
	snprintf(reason, sizeof(reason), "%s closed the pipe (code %llu)",
	    pp->peer, (unsigned long long)code);
	ctl_pipe_fail(pp, reason);
}

/* Write what the stream takes; 1 when the whole request went in. */
static int
ctl_pipe_write_some(struct pipe *pp)
{
	struct agent *a = pp->ctl->a;
	ssize_t n;

	while (pp->wr.off < pp->wr.len) {
		n = engine_stream_write(a, pp->peer, pp->out_sid,
		    pp->wr.data + pp->wr.off, pp->wr.len - pp->wr.off);
		if (n <= 0)
			return n < 0 && errno != EAGAIN ? -1 : 0;
		pp->wr.off += (size_t)n;
	}
	if (pp->wr.eof) {
		if (engine_stream_finish(a, pp->peer, pp->out_sid) == -1)
			return -1;
		pp->out_finished = 1;
	}
	return 1;
}

static void
ctl_pipe_write_continue(struct pipe *pp)
{
	struct ipc_client *c = pp->c;
	int rv;

	if ((rv = ctl_pipe_write_some(pp)) == 0) {
		ipc_client_pause(c);
		return;
	}
	if (rv == -1)
		ipc_reply(c, pp->wr.id, P2P__IPC__CODE__ERR_CLOSED,
		    "pipe %s: %s", pp->name, strerror(errno));
	else
		ipc_reply(c, pp->wr.id, P2P__IPC__CODE__OK, NULL);
	pp->wr.active = 0;
	pp->wr.len = pp->wr.off = 0;
	ipc_client_resume(c);
	if (rv == 1)
		ctl_pipe_check_closed(pp);
}

void
ctl_pipe_write(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__PipeWriteReq *pw = req->pipe_write;
	struct pipe *pp = ctl_pipe_by_id(c, pw->pipe_id);
	uint8_t *nb;

	if (pp == NULL || pp->opening || !pp->has_out ||
	    !engine_peer_up(c->a, pp->peer)) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no open pipe %u", pw->pipe_id);
		return;
	}
	if (pp->wr.active || pp->out_finished) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE, "pipe %u: %s",
		    pw->pipe_id, pp->out_finished ? "already at eof" :
		    "a write is pending");
		return;
	}
	if (pw->data.len > pp->wr.cap) {
		if ((nb = realloc(pp->wr.data, pw->data.len)) == NULL) {
			ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
			    "out of memory");
			return;
		}
		pp->wr.data = nb;
		pp->wr.cap = pw->data.len;
	}
	pp->wr.active = 1;
	pp->wr.id = req->id;
	pp->wr.eof = pw->eof;
	pp->wr.len = pw->data.len;
	pp->wr.off = 0;
	if (pw->data.len > 0)
		memcpy(pp->wr.data, pw->data.data, pw->data.len);
	ctl_pipe_write_continue(pp);
}

void
ctl_pipe_writable(struct ctl *ctl, const char *peer)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &ctl->pipes, entry, tp) {
		if (pp->wr.active && pp->has_out &&
		    strcmp(pp->peer, peer) == 0)
			ctl_pipe_write_continue(pp);
	}
}

void
ctl_pipe_ack(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__PipeAckReq *pa = req->pipe_ack;
	struct pipe *pp = ctl_pipe_by_id(c, pa->pipe_id);

	if (pp == NULL || !pp->has_in || !engine_peer_up(c->a, pp->peer)) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no open pipe %u", pa->pipe_id);
		return;
	}
	if (pa->bytes > 0)
		(void)engine_stream_grant(c->a, pp->peer, pp->in_sid,
		    pa->bytes);
	if (pa->done && pp->in_eof_sent && !pp->in_done) {
		(void)engine_stream_done(c->a, pp->peer, pp->in_sid);
		pp->in_done = 1;
	}
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
	ctl_pipe_check_closed(pp);
}

void
ctl_pipe_close(struct ipc_client *c, P2p__Ipc__Request *req)
{
	struct pipe *pp = ctl_pipe_by_id(c, req->pipe_close->pipe_id);

	if (pp == NULL) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no pipe %u", req->pipe_close->pipe_id);
		return;
	}
	if (pp->wr.active)
		ipc_reply(c, pp->wr.id, P2P__IPC__CODE__ERR_CLOSED,
		    "pipe closed");
	ctl_pipe_free(pp, 1);
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

void
ctl_pipe_session_up(struct ctl *ctl, const char *peer)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &ctl->pipes, entry, tp) {
		if (strcmp(pp->peer, peer) == 0 && pp->c != NULL)
			(void)ctl_pipe_start_out(pp);
	}
}

void
ctl_pipe_session_dead(struct ctl *ctl, const char *peer, const char *reason)
{
	struct pipe *pp, *tp;
	char msg[192];

	snprintf(msg, sizeof(msg), "session with %s ended: %s", peer, reason);
	TAILQ_FOREACH_SAFE(pp, &ctl->pipes, entry, tp) {
		if (strcmp(pp->peer, peer) == 0)
			ctl_pipe_fail(pp, msg);
	}
}

void
ctl_pipe_gone(struct ipc_client *c)
{
	struct pipe *pp, *tp;

	TAILQ_FOREACH_SAFE(pp, &c->a->ctl->pipes, entry, tp) {
		if (pp->c == c) {
			pp->opening = 0;	/* nobody to answer */
			ctl_pipe_free(pp, 1);
		}
	}
}

void
ctl_pipe_free_all(struct ctl *ctl)
{
	struct pipe *pp;

	while ((pp = TAILQ_FIRST(&ctl->pipes)) != NULL) {
		pp->opening = 0;
		ctl_pipe_free(pp, 0);
	}
}
