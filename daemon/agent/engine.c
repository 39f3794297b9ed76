/* SPDX-License-Identifier: ISC */
/*
 * engine.c: the engine's calls for the control side (engine.h). Each finds
 * the peer in the directory (O(1) by id), works on its session and feeds
 * it, so that what the call changed leaves once this pass of the event
 * loop has run its callbacks; answers go back through a->cb.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cc.h"
#include "engine.h"
#include "ipc.pb-c.h"
#include "peer.h"
#include "portmap.h"
#include "session.h"

void
engine_set_cb(struct agent *a, const struct engine_cb *cb, void *arg)
{
	a->cb = cb;
	a->cb_arg = arg;
}

void
engine_cork(struct agent *a, int delta)
{
	if (delta > 0)
		a->corked++;
	else if (a->corked > 0)
		a->corked--;
}

void
engine_flush(struct agent *a)
{
	session_drive_queued(-1, 0, a);
	udp_flush(a);
}

static void
engine_fail(struct agent *a, const char *peer, void *owner, uint32_t req,
    const char *why)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", peer, why);
	a->cb->done(a->cb_arg, owner, req, P2P__IPC__CODE__ERR_FAILED, msg);
}

int
engine_connect(struct agent *a, const char *peer, void *owner, uint32_t req,
    uint32_t timeout_ms)
{
	struct peer *p = peer_find(a, peer);

	if (p != NULL && session_is_up(p->s)) {
		if (owner != NULL)
			a->cb->done(a->cb_arg, owner, req, 0, NULL);
		return 0;
	}
	if (peer_connect(a, peer, owner, req, timeout_ms) == -1) {
		if (owner == NULL)
			return -1;
		engine_fail(a, peer, owner, req, "peer table full");
	}
	return 0;
}

int
engine_send(struct agent *a, const char *peer, const struct engine_msg *m,
    void *owner, uint32_t req)
{
	struct peer *p;
	struct session *s;

	if ((p = peer_get(a, peer)) == NULL || (s = session_get(p)) == NULL) {
		engine_fail(a, peer, owner, req, "peer table full");
		return 0;
	}
	session_queue_send(s, m, owner, req);
	if (p->s != NULL && !session_is_up(p->s) &&
	    peer_connect(a, peer, NULL, 0, 0) == -1)
		session_ops_fail(p->s, P2P__IPC__CODE__ERR_FAILED, 0,
		    "peer table full");
	if (p->s == NULL)
		return 0;
	session_feed(p->s);
	return session_queued(p->s, owner);
}

int
engine_ping(struct agent *a, const char *peer, void *owner, uint32_t req,
    uint32_t timeout_ms)
{
	struct peer *p = peer_find(a, peer);
	uint64_t nonce;

	if (p == NULL || !session_is_up(p->s))
		return -1;
	do
		randombytes_buf(&nonce, sizeof(nonce));
	while (nonce == 0);
	if (session_wait(p->s, SOP_PING, owner, req, timeout_ms, nonce) == -1) {
		engine_fail(a, peer, owner, req, "out of memory");
		return 0;
	}
	tp_echo(p->s->tp, nonce);
	session_feed(p->s);
	return 0;
}

int
engine_disconnect(struct agent *a, const char *peer, const char *reason)
{
	struct peer *p = peer_find(a, peer);

	if (p == NULL || p->s == NULL || p->s->state != SESS_UP)
		return -1;
	peer_disconnect(p, reason);
	return 0;
}

void
engine_cancel(struct agent *a, void *owner)
{
	struct peer *p;

	for (p = peer_first(a); p != NULL; p = peer_next(p))
		if (p->s != NULL)
			session_ops_cancel(p->s, owner);
}

void
engine_inbox_read(struct agent *a, struct svc *v)
{
	session_inbox_read(a, v);
}

int
engine_peer_up(struct agent *a, const char *peer)
{
	struct peer *p = peer_find(a, peer);

	return p != NULL && session_is_up(p->s);
}

/* --- pipe streams ------------------------------------------------------ */

static struct session *
engine_session(struct agent *a, const char *peer)
{
	struct peer *p = peer_find(a, peer);

	if (p == NULL || p->s == NULL || p->s->state != SESS_UP) {
		errno = ENOTCONN;
		return NULL;
	}
	return p->s;
}

int
engine_stream_open(struct agent *a, const char *peer, const char *name,
    void *user, uint64_t *sid)
{
	struct session *s = engine_session(a, peer);
	struct sess_stream *st;

	if (s == NULL || tp_stream_open(s->tp, TP_STREAM_PIPE, name,
	    sid) == -1)
		return -1;
	if ((st = session_stream_add(s, *sid, TP_STREAM_PIPE, 0,
	    name)) == NULL) {
		(void)tp_stream_reset(s->tp, *sid, ENGINE_STREAM_CLOSED);
		errno = ENOMEM;
		return -1;
	}
	st->user = user;
	session_feed(s);
	return 0;
}

ssize_t
engine_stream_write(struct agent *a, const char *peer, uint64_t sid,
    const uint8_t *data, size_t len)
{
	struct session *s = engine_session(a, peer);
	ssize_t n;

	if (s == NULL)
		return -1;
	n = tp_stream_write(s->tp, sid, data, len);
	session_feed(s);
	return n;
}

int
engine_stream_finish(struct agent *a, const char *peer, uint64_t sid)
{
	struct session *s = engine_session(a, peer);

	if (s == NULL)
		return -1;
	session_feed(s);
	return tp_stream_finish(s->tp, sid);
}

int
engine_stream_grant(struct agent *a, const char *peer, uint64_t sid,
    uint64_t bytes)
{
	struct session *s = engine_session(a, peer);

	if (s == NULL)
		return -1;
	session_feed(s);
	return tp_stream_grant(s->tp, sid, bytes);
}

int
engine_stream_done(struct agent *a, const char *peer, uint64_t sid)
{
	struct session *s = engine_session(a, peer);

	if (s == NULL)
		return -1;
	session_feed(s);
	return tp_stream_done(s->tp, sid);
}

void
engine_stream_close(struct agent *a, const char *peer, uint64_t sid,
    int abort)
{
	struct session *s = engine_session(a, peer);
	struct sess_stream *st;

	if (s == NULL || (st = session_stream_find(s, sid)) == NULL)
		return;
	if (abort && st->incoming)
		(void)tp_stream_stop(s->tp, sid, ENGINE_STREAM_CLOSED);
	else if (abort)
		(void)tp_stream_reset(s->tp, sid, ENGINE_STREAM_CLOSED);
	st->user = NULL;
	session_stream_del(s, st);
	session_feed(s);
}

/* --- what status, peers and nat show ----------------------------------- */

void
engine_status(struct agent *a, struct engine_status *st)
{
	memset(st, 0, sizeof(*st));
	st->server_state = reg_state_name(reg_state(a));
	st->server_error = reg_error(a);
	st->server_transport = reg_transport_name(a);
	st->server_node = reg_server_node(a);
	reg_server_addr(a, st->server_addr, sizeof(st->server_addr));
	reg_public_addr(a, st->public_addr, sizeof(st->public_addr));
	st->local_port = a->udp_port;
	stats_collect(a, &st->ctr);
}

/* How fresh a session's figures are (p2pctl peers). */
static void
engine_peer_ages(struct session *s, struct engine_peer *e)
{
	uint64_t now = agent_now(), rx;

	e->hs_age_us = e->rx_age_us = e->rtt_age_us = -1;
	e->cipher = "";
	if (s->state != SESS_UP)
		return;
	e->cipher = aead_name(s->chan.keys.cipher);
	if (s->chan.key_born != 0 && now >= s->chan.key_born)
		e->hs_age_us = (int64_t)(now - s->chan.key_born);
	if ((rx = s->last_rx) != 0 && now >= rx)
		e->rx_age_us = (int64_t)(now - rx);
	if (e->ts.rtt_at_us != 0 && now >= e->ts.rtt_at_us)
		e->rtt_age_us = (int64_t)(now - e->ts.rtt_at_us);
}

void
engine_server_nodes(struct agent *a, void (*fn)(void *, const char *,
    const char *, const char *), void *arg)
{
	reg_server_nodes(a, fn, arg);
}

void
engine_peers(struct agent *a, void (*fn)(void *, const struct engine_peer *),
    void *arg)
{
	struct engine_peer e;
	struct session *s;
	struct peer *p;

	for (p = peer_first(a); p != NULL; p = peer_next(p)) {
		if ((s = p->s) == NULL)
			continue;
		memset(&e, 0, sizeof(e));
		e.id = p->id;
		e.state = session_state_name(s);
		e.up = session_is_up(s);
		e.path = e.up ? route_name(s) : "connecting";
		route_remote(s, e.remote, sizeof(e.remote));
		e.path_detail = s->state == SESS_UP ? s->rt.path.why : "";
		e.path_changes = s->state == SESS_UP ? s->rt.path.changes : 0;
		session_stats(s, &e.ts);
		if (e.up)
			e.max_message = tp_max_send_message(s->tp);
		e.queued = session_queued_bytes(s);
		engine_peer_ages(s, &e);
		fn(arg, &e);
	}
}

size_t
engine_npeers(struct agent *a)
{
	return peer_count(a);
}

void
engine_nat(struct agent *a, struct engine_nat *n)
{
	struct portmap_info pm;

	n->type = nat_type(a);
	n->mapping = nat_mapping(a);
	n->filtering = nat_filtering(a);
	n->mapped = nat_mapped(a);
	n->other = nat_other(a);
	n->detail = nat_detail(a);
	n->tested_ago_s = nat_tested_ago(a);
	n->portmap_proto = "";
	n->portmap_external[0] = '\0';
	n->portmap_lifetime_s = 0;
	if (natmap_get(a, &pm) == 0) {
		n->portmap_proto = portmap_proto_name(pm.proto);
		addr_fmt((struct sockaddr *)&pm.external, n->portmap_external,
		    sizeof(n->portmap_external));
		n->portmap_lifetime_s = pm.lifetime_s;
	}
}

void
engine_nat_refresh(struct agent *a)
{
	nat_refresh(a);
}

/* --- the server link --------------------------------------------------- */

int
engine_registered(struct agent *a)
{
	return reg_state(a) == REG_REGISTERED;
}

const char *
engine_server_state(struct agent *a)
{
	return reg_state_name(reg_state(a));
}

uint32_t
engine_srv_request(struct agent *a, P2p__Srv__ServerMsg *m)
{
	return reg_group_request(a, m);
}
