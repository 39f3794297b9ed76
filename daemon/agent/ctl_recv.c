/* SPDX-License-Identifier: ISC */
/*
 * ctl_recv.c: `p2pctl recv`, bind and unbind: a client holds a service's
 * inbox and its pending RecvReq takes the inbox's messages as Message
 * events, chunked at IPC_MAX_CHUNK, for as long as its output is under
 * CTL_DELIVER_OUTCAP (ctl.h); the rest waits in the inbox until the client
 * has read (hooks->drained). What leaves an inbox gives its senders credit
 * again (engine_inbox_read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ctl.h"
#include "group_hdr.h"
#include "log.h"

static struct svc *
ctl_claim(struct ipc_client *c, uint32_t id, const char *name)
{
	struct ipc_client *h;
	struct svc *s;

	if (strcmp(name, GROUP_SERVICE) == 0) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE, "service %s is "
		    "reserved for group messages", GROUP_SERVICE);
		return NULL;
	}
	if ((s = svc_get(&c->a->svcs, name, 1)) == NULL) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_FAILED,
		    "cannot create service %s: %zu services already "
		    "(--max-services)", name, c->a->svcs.n);
		return NULL;
	}
	if (s->holder != NULL && s->holder != c) {
		h = s->holder;
		ipc_reply(c, id, P2P__IPC__CODE__ERR_BUSY,
		    "service %s is held by client pid %ld (uid %ld)", name,
		    (long)h->pid, (long)h->uid);
		return NULL;
	}
	s->holder = c;
	return s;
}

void
ctl_bind(struct ipc_client *c, P2p__Ipc__Request *req)
{
	if (ctl_claim(c, req->id, ctl_service(req->bind->service)) != NULL)
		ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

static void
ctl_recv_finish(struct ipc_client *c)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__RecvResp rr = P2P__IPC__RECV_RESP__INIT;

	if (!c->rv.active)
		return;
	ipc_client_hold(c, 0);
	rr.delivered = c->rv.delivered;
	r.id = c->rv.id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_RECV;
	r.recv = &rr;
	(void)ipc_send_resp(c, &r);
	if (c->rv_timer != NULL)
		evtimer_del(c->rv_timer);
	memset(&c->rv, 0, sizeof(c->rv));
}

void
ctl_unbind(struct ipc_client *c, P2p__Ipc__Request *req)
{
	struct svc *s;

	s = svc_get(&c->a->svcs, ctl_service(req->unbind->service), 0);
	if (s == NULL || s->holder != c) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "service %s is not bound by this client",
		    ctl_service(req->unbind->service));
		return;
	}
	if (c->rv.active && c->rv.svc == s)
		ctl_recv_finish(c);
	s->holder = NULL;
	svc_gc(&c->a->svcs, s);
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

/* Hand out one chunk of the oldest message; 1 if a message completed. */
static int
ctl_recv_chunk(struct ipc_client *c, struct svc *s, struct svc_msg *m,
    const char *group)
{
	P2p__Ipc__Event ev = P2P__IPC__EVENT__INIT;
	P2p__Ipc__Message msg = P2P__IPC__MESSAGE__INIT;
	size_t n = m->len - m->off;

	if (n > IPC_MAX_CHUNK)
		n = IPC_MAX_CHUNK;
	ipc_client_hold(c, 0);	/* what was held goes with the message */
	msg.from = m->from;
	msg.service = s->name;
	msg.data.data = m->data + m->off;
	msg.data.len = n;
	msg.more = m->off + n < m->len;
	msg.group = (char *)(group != NULL ? group : "");
	msg.mode = group != NULL ? 0 : m->mode;
	msg.channel = group != NULL ? 0 : m->channel;
	ev.ev_case = P2P__IPC__EVENT__EV_MESSAGE;
	ev.message = &msg;
	(void)ipc_send_event(c, &ev);
	m->off += n;
	return m->off == m->len;
}

/* Unlink one message of the group inbox, wherever it is in the queue. */
static void
ctl_recv_unlink(struct agent *a, struct svc *g, struct svc_msg *m)
{
	TAILQ_REMOVE(&g->msgs, m, entry);
	g->nmsgs--;
	svc_release(&a->svcs, g, m->cost);
	svc_msg_free(&a->svcs, m);
}

/*
 * Hand the pending recv the group messages for its service. Each goes out
 * whole (its chunks at once) and only while the client's output is under
 * the cap, so the output exceeds the cap by at most one message. Messages
 * for services nobody reads stay queued and count against the group
 * inbox, which therefore stalls group senders, never direct ones.
 */
static void
ctl_recv_group(struct ipc_client *c)
{
	struct agent *a = c->a;
	struct svc *g;
	struct svc_msg *m, *tm;
	char grp[SVC_NAME_MAX + 1], svc[SVC_NAME_MAX + 1];
	size_t hl;
	int freed = 0;

	if ((g = svc_get(&a->svcs, GROUP_SERVICE, 0)) == NULL)
		return;
	TAILQ_FOREACH_SAFE(m, &g->msgs, entry, tm) {
		if (c->rv.left == 0 || ipc_outlen(c) >= CTL_DELIVER_OUTCAP)
			break;
		if (group_hdr_parse(m->data, m->len, grp, svc, &hl) == -1) {
			log_warnx("malformed group message from %s dropped",
			    m->from);
			ctl_recv_unlink(a, g, m);
			freed = 1;
			continue;
		}
		if (strcmp(svc, c->rv.svc->name) != 0)
			continue;
		m->off = hl;
		while (!ctl_recv_chunk(c, c->rv.svc, m, grp))
			;
		ctl_recv_unlink(a, g, m);
		c->rv.left--;
		c->rv.delivered++;
		freed = 1;
	}
	if (freed)
		engine_inbox_read(a, g);
}

void
ctl_recv_pump(struct ipc_client *c)
{
	struct svc *s = c->rv.svc;
	struct svc_msg *m;
	int freed = 0;

	if (!c->rv.active || c->closing)
		return;
	while (c->rv.left > 0 && (m = svc_peek(s)) != NULL &&
	    ipc_outlen(c) < CTL_DELIVER_OUTCAP) {
		if (ctl_recv_chunk(c, s, m, NULL)) {
			svc_msg_free(&c->a->svcs, svc_pop(&c->a->svcs, s));
			c->rv.left--;
			c->rv.delivered++;
			freed = 1;
		}
	}
	if (freed)
		engine_inbox_read(c->a, s);
	m = svc_peek(s);
	if (m == NULL || m->off == 0)
		ctl_recv_group(c);
	if (m != NULL && m->off > 0)
		return;		/* finish the message before answering */
	if (c->rv.left == 0 || c->rv.expired)
		ctl_recv_finish(c);
}

static void
ctl_recv_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_client *c = arg;

	(void)fd;
	(void)what;
	c->rv.expired = 1;
	ctl_recv_pump(c);
}

void
ctl_recv_inbox(struct ctl *ctl, struct svc *s)
{
	struct ipc_client *c = s->holder, *tc;

	if (strcmp(s->name, GROUP_SERVICE) == 0) {
		TAILQ_FOREACH_SAFE(c, &ctl->ipc->clients, entry, tc) {
			if (c->rv.active && !c->closing)
				ctl_recv_pump(c);
		}
		return;
	}
	if (c != NULL && c->rv.active && c->rv.svc == s)
		ctl_recv_pump(c);
}

void
ctl_recv(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__RecvReq *rq = req->recv;
	struct svc *s;

	if (c->rv.active) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_BUSY,
		    "a recv is already pending on this connection");
		return;
	}
	if ((s = ctl_claim(c, req->id, ctl_service(rq->service))) == NULL)
		return;
	c->rv.active = 1;
	c->rv.id = req->id;
	c->rv.svc = s;
	c->rv.left = rq->count ? rq->count : 1;
	c->rv.expired = rq->wait_ms == 0;
	if (rq->wait_ms != 0 && rq->wait_ms != UINT32_MAX) {
		if (c->rv_timer == NULL)
			c->rv_timer = evtimer_new(c->a->base, ctl_recv_timeout,
			    c);
		if (c->rv_timer != NULL)
			agent_timer_in(c->rv_timer,
			    (uint64_t)rq->wait_ms * 1000);
	}
	ctl_recv_pump(c);
	/* A client blocked in this recv reads nothing else until it ends:
	 * its other answers wait for the messages, one write for both. */
	if (rq->blocking && c->rv.active)
		ipc_client_hold(c, 1);
}

void
ctl_recv_cancel(struct ipc_client *c, P2p__Ipc__Request *req)
{
	if (c->rv.active) {
		c->rv.expired = 1;
		ctl_recv_pump(c);
	}
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

void
ctl_recv_gone(struct ipc_client *c)
{
	struct svc *s, *ts;

	if (c->rv_timer != NULL)
		event_free(c->rv_timer);
	c->rv_timer = NULL;
	memset(&c->rv, 0, sizeof(c->rv));
	TAILQ_FOREACH_SAFE(s, &c->a->svcs.list, entry, ts) {
		if (s->holder == c) {
			s->holder = NULL;
			svc_gc(&c->a->svcs, s);
		}
	}
}
