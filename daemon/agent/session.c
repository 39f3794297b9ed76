/* SPDX-License-Identifier: ISC */
/*
 * session.c: an established session, chan + tp, driven from libevent.
 *
 * Driving follows tp.h: after input, a timeout or any stream call, loop
 * tp_output() into DATA packets sealed with chan (the packet number is
 * chan.tx_counter before sealing), then re-arm the one timer at
 * tp_next_timeout(). tp callbacks only record or forward; the session is
 * torn down after tp returns (p->dead), never from inside a callback.
 *
 * Rekeying (PROTOCOL.md §2.5): chan says when a key is due; we then run
 * a fresh Noise IK handshake (HS_INIT carrying the peer's index of this
 * session) in p->hs while the session goes on under the current key,
 * retransmitting it after 1 s, doubling up to 8 s, for as long as the
 * session lives (tp's idle timeout ends a dead one). peer.c answers the
 * peer's rekeys and installs the keys of ours; tp never notices.
 *
 * Credit (PROTOCOL.md §3.2): each incoming message stream holds a
 * reservation in its service's inbox (svc.h) of at most the stream's
 * initial credit; as messages arrive the reservation turns into used bytes
 * and is topped up only as far as the inbox has room, so a full inbox
 * stalls its own senders and nothing else.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "group.h"
#include "log.h"
#include "peer.h"
#include "wire.h"

#define SESSION_PAYLOAD		(1200 - CHAN_OVERHEAD)
#define SESSION_STREAM_CREDIT	(1024 * 1024)
#define SESSION_NO_SERVICE	(TP_ERR_APP + 1)
#define SESSION_REKEY_RETRY_US	1000000
#define SESSION_REKEY_RETRY_MAX	8000000
#define SESSION_ACK_BATCH	16	/* packets, within one read batch */
/* Testing knob: rekey every N ms (overlap N/2 ms) instead of 120 s. */
#define SESSION_REKEY_TEST_ENV	"P2PD_TEST_REKEY_MS"
/* peer_stream kind of an unordered message's stream held open (below). */
#define SESSION_HELD		(-1)

struct peer_stream *
session_stream_find(struct peer *p, uint64_t sid)
{
	struct peer_stream *st;

	TAILQ_FOREACH(st, &p->streams, entry) {
		if (st->sid == sid)
			return st;
	}
	return NULL;
}

struct peer_stream *
session_stream_add(struct peer *p, uint64_t sid, int kind, int incoming,
    const char *name)
{
	struct peer_stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->sid = sid;
	st->kind = kind;
	st->incoming = incoming;
	snprintf(st->name, sizeof(st->name), "%s", name);
	TAILQ_INSERT_TAIL(&p->streams, st, entry);
	return st;
}

void
session_stream_del(struct peer *p, struct peer_stream *st)
{
	struct svc *s;

	if (st->incoming && st->kind == TP_STREAM_MESSAGES &&
	    (s = svc_get(&p->a->svcs, st->name, 0)) != NULL) {
		svc_unreserve(&p->a->svcs, s, st->outstanding);
		svc_gc(&p->a->svcs, s);
	}
	TAILQ_REMOVE(&p->streams, st, entry);
	free(st);
}

struct peer_stream *
session_msg_stream(struct peer *p, const char *service)
{
	struct peer_stream *st;
	uint64_t sid;

	TAILQ_FOREACH(st, &p->streams, entry) {
		if (!st->incoming && st->kind == TP_STREAM_MESSAGES &&
		    strcmp(st->name, service) == 0)
			return st;
	}
	if (tp_stream_open(p->tp, TP_STREAM_MESSAGES, service, &sid) == -1)
		return NULL;
	return session_stream_add(p, sid, TP_STREAM_MESSAGES, 0, service);
}

/*
 * Top the stream's reservation up to its window, as far as there is room.
 * A message larger than the credit was let in whole by tp (its debt): a
 * grant pays that back first, without a reservation (the message is in the
 * inbox already), or the peer would wait for credit that never comes.
 * Without room nothing is granted and the debt stays: tp then lets no
 * further message in beyond the credit, which is the back-pressure.
 */
static void
session_grant(struct peer *p, struct peer_stream *st, struct svc *s)
{
	uint64_t debt = tp_stream_debt(p->tp, st->sid);
	size_t room, want;

	want = st->outstanding < SESSION_STREAM_CREDIT ?
	    SESSION_STREAM_CREDIT - st->outstanding : 0;
	room = svc_room(&p->a->svcs, s);
	if (want > room)
		want = room;
	if (want == 0 || tp_stream_grant(p->tp, st->sid, debt + want) == -1)
		return;
	svc_reserve(&p->a->svcs, s, want);
	st->outstanding += want;
}

void
session_svc_credit(struct agent *a, struct svc *s)
{
	struct peer_stream *st, *tst;
	struct peer *p;

	TAILQ_FOREACH(p, &a->peers, entry) {
		if (p->state != PEER_UP)
			continue;
		TAILQ_FOREACH_SAFE(st, &p->streams, entry, tst) {
			if (st->incoming && st->kind == TP_STREAM_MESSAGES &&
			    strcmp(st->name, s->name) == 0)
				session_grant(p, st, s);
			/* The inbox has room again: let the sender go on. */
			if (st->kind == SESSION_HELD && svc_room(&a->svcs, s) >
			    0 && strcmp(st->name, s->name) == 0) {
				(void)tp_stream_done(p->tp, st->sid);
				session_stream_del(p, st);
			}
		}
	}
}

void
session_fail_waits(struct agent *a, const char *id, P2p__Ipc__Code code,
    const char *fmt, ...)
{
	struct ipc_wait *w, *tw;
	struct ipc_client *c;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TAILQ_FOREACH_SAFE(w, &a->ipc->waits, entry, tw) {
		if (strcmp(w->peer, id) != 0 || w->kind == IPC_WAIT_PIPE_OPEN)
			continue;
		c = w->c;
		/* Name the peer unless the message already does. */
		if (strstr(msg, id) != NULL)
			ipc_wait_done(w, code, "%s", msg);
		else
			ipc_wait_done(w, code, "%s: %s", id, msg);
		ipc_client_resume(c);
	}
}

/* --- tp callbacks ---------------------------------------------------- */

static void
session_cb_stream_open(void *arg, uint64_t sid, int kind, const char *name)
{
	struct peer *p = arg;
	struct peer_stream *st;
	struct svc *s;

	if ((st = session_stream_add(p, sid, kind, 1, name)) == NULL) {
		(void)tp_stream_stop(p->tp, sid, SESSION_NO_SERVICE);
		return;
	}
	if (kind == TP_STREAM_PIPE) {
		pipe_stream_open(p, st);
		return;
	}
	if ((s = svc_get(&p->a->svcs, name, 1)) == NULL) {
		log_warnx("%s: no room for service %s (--max-services %zu)",
		    p->id, name, p->a->svcs.max_services);
		(void)tp_stream_stop(p->tp, sid, SESSION_NO_SERVICE);
		session_stream_del(p, st);
		return;
	}
	/* tp gave the stream its initial credit already: account for it. */
	svc_reserve(&p->a->svcs, s, SESSION_STREAM_CREDIT);
	st->outstanding = SESSION_STREAM_CREDIT;
}

/* Queue a message in its inbox, labelled with its mode and channel. */
static void
session_inbox_push(struct peer *p, struct svc *s, const struct tp_msg_info *mi,
    const uint8_t *data, size_t len)
{
	struct svc_msg *m;

	if (svc_push(s, p->id, data, len, len) == -1) {
		log_warnx("%s: out of memory: message from %s lost",
		    __func__, p->id);
		svc_release(&p->a->svcs, s, len);
		return;
	}
	m = TAILQ_LAST(&s->msgs, svc_msgq);
	m->mode = (uint8_t)mi->mode;
	m->channel = (uint8_t)mi->channel;
}

/*
 * Ordered messages arrive on streams that hold inbox credit. The others
 * do not: an unreliable one is dropped when its inbox is full; a
 * reliable-unordered one is taken whole, and when it filled the inbox its
 * stream is held open until the inbox has room (session_svc_credit), so
 * a sender, capped at TP_MAX_UNORDERED messages in flight, has to wait.
 */
static void
session_cb_message(void *arg, const struct tp_msg_info *mi,
    const uint8_t *data, size_t len)
{
	struct peer *p = arg;
	struct peer_stream *st = NULL;
	struct svc *s;

	if (mi->mode == TP_MODE_RELIABLE) {
		if ((st = session_stream_find(p, mi->sid)) == NULL ||
		    (s = svc_get(&p->a->svcs, st->name, 1)) == NULL) {
			p->a->ctr.dropped++;
			return;
		}
	} else if (strcmp(mi->service, GROUP_SERVICE) == 0 ||
	    (s = svc_get(&p->a->svcs, mi->service, 1)) == NULL ||
	    (mi->mode != TP_MODE_UNORDERED &&
	    svc_room(&p->a->svcs, s) < len)) {
		p->a->ctr.dropped++;
		return;
	}
	svc_arrive(&p->a->svcs, s, len);
	if (st != NULL)
		st->outstanding = st->outstanding > len ?
		    st->outstanding - len : 0;
	session_inbox_push(p, s, mi, data, len);
	if (mi->mode == TP_MODE_UNORDERED && svc_room(&p->a->svcs, s) == 0 &&
	    session_stream_add(p, mi->sid, SESSION_HELD, 1, s->name) != NULL)
		(void)tp_stream_hold(p->tp, mi->sid);
	if (st != NULL)
		session_grant(p, st, s);
	ipc_cmd_svc_ready(p->a, s);
}

static void
session_cb_pipe_data(void *arg, uint64_t sid, const uint8_t *data,
    size_t len, int fin)
{
	struct peer *p = arg;
	struct peer_stream *st;

	if ((st = session_stream_find(p, sid)) != NULL)
		pipe_data(p, st, data, len, fin);
}

static void
session_cb_acked(void *arg, uint64_t sid, uint64_t offset)
{
	struct peer *p = arg;
	struct ipc_wait *w, *tw;

	TAILQ_FOREACH_SAFE(w, &p->a->ipc->waits, entry, tw) {
		if (w->kind == IPC_WAIT_SYNC && w->stream == sid &&
		    w->target <= offset && strcmp(w->peer, p->id) == 0)
			ipc_wait_done(w, P2P__IPC__CODE__OK, NULL);
	}
}

static void
session_cb_writable(void *arg)
{
	struct peer *p = arg;

	session_send_pending(p);
	pipe_writable(p);
}

static void
session_cb_stream_done(void *arg, uint64_t sid)
{
	struct peer *p = arg;
	struct peer_stream *st;

	if ((st = session_stream_find(p, sid)) != NULL && st->pipe != NULL)
		pipe_stream_done(p, st);
}

static void
session_cb_stream_stopped(void *arg, uint64_t sid, uint64_t code)
{
	struct peer *p = arg;
	struct peer_stream *st;

	if ((st = session_stream_find(p, sid)) == NULL)
		return;
	if (st->pipe != NULL) {
		pipe_stream_stopped(p, st, code);
		return;
	}
	if (!st->incoming)
		log_info("%s refused messages for service %s (code %llu)",
		    p->id, st->name, (unsigned long long)code);
	session_stream_del(p, st);
}

static void
session_cb_echo(void *arg, uint64_t nonce)
{
	struct peer *p = arg;
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PingResp pr = P2P__IPC__PING_RESP__INIT;
	struct ipc_wait *w, *tw;

	TAILQ_FOREACH_SAFE(w, &p->a->ipc->waits, entry, tw) {
		if (w->kind != IPC_WAIT_PING || w->target != nonce ||
		    strcmp(w->peer, p->id) != 0)
			continue;
		pr.rtt_ms = (double)(agent_now() - w->started) / 1000.0;
		r.id = w->req_id;
		r.result_case = P2P__IPC__RESPONSE__RESULT_PING;
		r.ping = &pr;
		(void)ipc_send_resp(w->c, &r);
		ipc_wait_free(w);
	}
}

static void
session_cb_closed(void *arg, int remote, uint64_t code, const char *reason)
{
	struct peer *p = arg;

	p->dead = 1;
	if (code == TP_ERR_IDLE)
		snprintf(p->dead_reason, sizeof(p->dead_reason),
		    "peer not answering (idle timeout)");
	else if (remote)
		snprintf(p->dead_reason, sizeof(p->dead_reason),
		    "closed by peer%s%s", reason && *reason ? ": " : "",
		    reason ? reason : "");
	else
		snprintf(p->dead_reason, sizeof(p->dead_reason),
		    "closed: %s (code %llu)", reason ? reason : "error",
		    (unsigned long long)code);
}

/* --- rekeying -------------------------------------------------------- */

static void
session_rekey_cfg(struct peer *p, struct chan_rekey_cfg *cfg)
{
	const char *s;
	char *end;
	unsigned long ms;

	chan_rekey_cfg_default(cfg, p->chan.keys.cipher);
	if ((s = getenv(SESSION_REKEY_TEST_ENV)) == NULL || *s == '\0')
		return;
	ms = strtoul(s, &end, 10);
	if (*end != '\0' || ms < 10 || ms > 3600000) {
		log_warnx("%s=%s ignored (10 to 3600000 ms)",
		    SESSION_REKEY_TEST_ENV, s);
		return;
	}
	cfg->after_us = (uint64_t)ms * 1000;
	cfg->overlap_us = cfg->after_us / 2;
}

/* Send a fresh rekey HS_INIT; each try has a new index and ephemeral. */
static void
session_rekey_send(struct peer *p, uint64_t now)
{
	struct agent *a = p->a;
	uint8_t pkt[HS_REKEY_INIT_MAX];
	uint64_t wait;
	uint32_t idx;
	size_t len;

	do
		idx = randombytes_random();
	while (idx == 0 || peer_by_index(a, idx) != NULL);
	wait = (uint64_t)SESSION_REKEY_RETRY_US << (p->hs_tries < 3 ?
	    p->hs_tries : 3);
	if (wait > SESSION_REKEY_RETRY_MAX)
		wait = SESSION_REKEY_RETRY_MAX;
	p->hs_tries++;
	p->hs_next = now + wait;
	if (hs_initiate_rekey(&p->hs, &a->hsid, p->ed_pk, p->chan.keys.cipher,
	    idx, a->peer_id, p->chan.remote_index, agent_wall_ns(), pkt,
	    sizeof(pkt), &len) == -1) {
		log_warnx("%s: cannot start a rekey with %s", __func__, p->id);
		return;
	}
	route_send(p, pkt, len);
}

static void
session_rekey(struct peer *p, uint64_t now)
{
	enum chan_rekey_why why;

	/* Also drops the previous key once its overlap is over. */
	why = chan_rekey_due(&p->chan, now);
	if (!p->initiator && !p->confirmed)
		return;
	if (p->hs.state == HS_INIT_SENT) {
		if (now >= p->hs_next)
			session_rekey_send(p, now);
		return;
	}
	/* hs_next also spaces out attempts that could not even start. */
	if (why == CHAN_REKEY_NO || now < p->hs_next)
		return;
	if (why == CHAN_REKEY_FAILURES)
		log_warnx("%s: %llu packets failed to decrypt under one key: "
		    "rekeying", p->id, (unsigned long long)p->chan.key_fail);
	else
		log_debug("rekeying the session with %s (%s)", p->id,
		    chan_rekey_why_name(why));
	p->hs_tries = 0;
	session_rekey_send(p, now);
}

/* --- lifecycle ------------------------------------------------------- */

int
session_start(struct peer *p, struct hs_result *res, int initiator,
    const struct sockaddr *src)
{
	struct agent *a = p->a;
	struct chan_rekey_cfg rk;
	struct tp_cfg cfg;
	struct tp_cb cb;
	int rv;

	rv = chan_init(&p->chan, res->cipher, res->tx, res->rx,
	    res->remote_index);
	sodium_memzero(res, sizeof(*res));
	if (rv == -1)
		return -1;
	session_rekey_cfg(p, &rk);
	chan_rekey_enable(&p->chan, &rk, p->local_index, initiator,
	    agent_now());
	hs_wipe(&p->hs);
	p->hs_next = 0;
	tp_cfg_default(&cfg);
	cfg.max_payload = SESSION_PAYLOAD;
	cfg.max_message = a->conf.max_message;
	cfg.initial_stream_credit = SESSION_STREAM_CREDIT;
	cfg.idle_timeout_us = (uint64_t)a->conf.idle_timeout_s * 1000000;
	cfg.keepalive_us = (uint64_t)a->conf.keepalive_s * 1000000;
	cfg.congestion = a->conf.cc_algo;
	cfg.initiator = initiator;
	memset(&cb, 0, sizeof(cb));
	cb.arg = p;
	cb.stream_open = session_cb_stream_open;
	cb.message_ex = session_cb_message;
	cb.pipe_data = session_cb_pipe_data;
	cb.acked = session_cb_acked;
	cb.writable = session_cb_writable;
	cb.stream_done = session_cb_stream_done;
	cb.stream_stopped = session_cb_stream_stopped;
	cb.echo = session_cb_echo;
	cb.closed = session_cb_closed;
	if ((p->tp = tp_new(&cfg, &cb, agent_now())) == NULL) {
		chan_wipe(&p->chan);
		return -1;
	}
	p->have_remote = src != NULL;
	if (src != NULL)
		memcpy(&p->remote, src, addr_len(src));
	route_init(p);
	p->state = PEER_UP;
	p->initiator = initiator;
	p->confirmed = 0;
	p->dead = 0;
	log_info("session with %s established (%s, %s)", p->id,
	    initiator ? "initiator" : "responder",
	    aead_name(p->chan.keys.cipher));
	if (initiator) {
		/* Key confirmation: the responder may send once it has seen
		 * a DATA packet from us, so send one now. */
		tp_echo(p->tp, 0);
		session_up(p);
	}
	session_drive(p);
	return 0;
}

void
session_up(struct peer *p)
{
	struct ipc_wait *w, *tw;
	char buf[ADDR_STRLEN], why[ADDR_STRLEN + 32];
	uint64_t rtt = 0;

	/* Both sides start punching together: the initiator is up half a
	 * relay round trip before the responder hears from it. */
	if (p->initiator && p->hs_tries == 1)
		rtt = agent_now() - p->hs_started;
	route_start(p, rtt / 2);
	route_remote(p, buf, sizeof(buf));
	snprintf(why, sizeof(why), "session up via %s", buf);
	route_report(p, why);
	TAILQ_FOREACH_SAFE(w, &p->a->ipc->waits, entry, tw) {
		if (w->kind == IPC_WAIT_CONNECT && strcmp(w->peer, p->id) == 0)
			ipc_wait_done(w, P2P__IPC__CODE__OK, NULL);
	}
	session_send_pending(p);
	pipe_session_up(p);
}

static void
session_add_stats(struct agent *a, struct peer *p)
{
	struct tp_stats ts;

	tp_get_stats(p->tp, &ts);
	a->ctr_closed.retransmitted += ts.lost;
}

void
session_end(struct peer *p, const char *reason)
{
	struct agent *a = p->a;
	struct peer_stream *st;
	const char *path = route_name(p);

	if (p->state != PEER_UP)
		return;
	log_info("session with %s closed: %s", p->id, reason);
	pipe_session_dead(p, reason);
	while ((st = TAILQ_FIRST(&p->streams)) != NULL)
		session_stream_del(p, st);
	session_add_stats(a, p);
	tp_free(p->tp);
	p->tp = NULL;
	if (p->chan.rekeys > 0)
		log_info("%s: %llu rekeys in that session", p->id,
		    (unsigned long long)p->chan.rekeys);
	chan_wipe(&p->chan);
	hs_wipe(&p->hs);		/* a rekey under way */
	evtimer_del(p->timer);
	p->timer_at = 0;
	p->state = PEER_IDLE;
	p->local_index = 0;
	p->dead = 0;
	spray_close(p, 0);
	events_peer_state(a, p->id, "closed", path, reason);
	if (p->path_reported)
		reg_path_report(a, p->id, "closed");
	p->path_reported = 0;
	session_fail_waits(a, p->id, P2P__IPC__CODE__ERR_CLOSED,
	    "session closed: %s", reason);
}

void
session_data(struct peer *p, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	static uint8_t pt[AGENT_UDP_MTU];
	uint64_t pn, rekeys = p->chan.rekeys;
	ssize_t n;

	n = chan_open(&p->chan, WIRE_DATA, pkt, len, pt, sizeof(pt), &pn);
	if (n < 0) {
		p->a->ctr.dropped++;
		return;
	}
	if (p->chan.rekeys != rekeys)
		log_debug("session with %s rekeyed by the peer (%llu)", p->id,
		    (unsigned long long)p->chan.rekeys);
	/*
	 * Any packet that verified proves the initiator's keys. Confirm
	 * first: a path check that outran the relay must find punching
	 * started, or the address it came from would be forgotten.
	 */
	if (!p->initiator && !p->confirmed) {
		p->confirmed = 1;
		if (!p->dead)
			session_up(p);
	}
	/* Path checks are the session's, not the transport's. */
	if (!route_frame(p, pt, (size_t)n, src)) {
		route_packet(p, src);
		if (tp_input(p->tp, agent_now(), pn, pt, (size_t)n) == -1)
			p->a->ctr.dropped++;
	}
	/*
	 * Driven once the batch of datagrams this came in is read (the
	 * readers call peer_flush_all; a->drive_ev catches any that does
	 * not): one ACK then covers the batch, and the window freed by the
	 * acks in it fills whole GSO batches. A long batch still gets an
	 * ACK every SESSION_ACK_BATCH packets.
	 */
	if (tp_ack_backlog(p->tp) >= SESSION_ACK_BATCH)
		session_drive(p);
	else if (!p->drive_queued) {
		p->drive_queued = 1;
		TAILQ_INSERT_TAIL(&p->a->drive_q, p, drive_entry);
		event_active(p->a->drive_ev, EV_WRITE, 0);
	}
}

void
session_drive_queued(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct peer *p;

	(void)fd;
	(void)what;
	while ((p = TAILQ_FIRST(&a->drive_q)) != NULL)
		session_drive(p);	/* takes p off the queue */
	udp_flush(a);
}

void
session_timeout(struct peer *p)
{
	if (p->state == PEER_HS) {
		peer_hs_timeout(p);
		return;
	}
	if (p->state != PEER_UP)
		return;
	tp_on_timeout(p->tp, agent_now());
	session_drive(p);
}

static void
session_arm(struct peer *p)
{
	uint64_t t, r, now;
	struct timeval tv;

	t = tp_next_timeout(p->tp);
	if (t == 0)
		t = UINT64_MAX;
	if (p->initiator || p->confirmed) {
		r = chan_rekey_next(&p->chan, p->hs.state == HS_INIT_SENT);
		if (p->hs.state == HS_INIT_SENT ? p->hs_next < r :
		    r < p->hs_next)
			r = p->hs_next;
		if (r < t)
			t = r;
		if ((r = route_next(p)) < t)
			t = r;
	}
	if (t == UINT64_MAX) {
		evtimer_del(p->timer);
		p->timer_at = 0;
		return;
	}
	if (p->timer_at == t && evtimer_pending(p->timer, NULL))
		return;
	p->timer_at = t;
	now = agent_now();
	t = t > now ? t - now : 0;
	tv.tv_sec = (time_t)(t / 1000000);
	tv.tv_usec = (suseconds_t)(t % 1000000);
	evtimer_add(p->timer, &tv);
}

void
session_drive(struct peer *p)
{
	static uint8_t pt[AGENT_UDP_MTU], pkt[AGENT_UDP_MTU];
	uint64_t now;
	size_t n;
	ssize_t len;

	if (p->drive_queued) {
		TAILQ_REMOVE(&p->a->drive_q, p, drive_entry);
		p->drive_queued = 0;
	}
	if (p->state != PEER_UP)
		return;
	/* A responder stays silent until the initiator proved its keys. */
	if (p->initiator || p->confirmed) {
		now = agent_now();
		session_rekey(p, now);
		tp_set_cork(p->tp, ipc_corked(p->a));
		while (!route_blocked(p) && (n = tp_output(p->tp, now,
		    p->chan.tx_counter, pt, SESSION_PAYLOAD)) > 0) {
			len = chan_seal(&p->chan, WIRE_DATA, pt, n, pkt,
			    sizeof(pkt));
			if (len < 0)
				break;
			route_send(p, pkt, (size_t)len);
		}
		route_drive(p, now);
	}
	if (p->dead || tp_is_closed(p->tp)) {
		if (!p->dead)
			snprintf(p->dead_reason, sizeof(p->dead_reason),
			    "closed");
		session_end(p, p->dead_reason);
		return;
	}
	session_arm(p);
}

void
peer_flush_all(struct agent *a)
{
	struct peer *p, *tp;

	TAILQ_FOREACH_SAFE(p, &a->peers, entry, tp)
		session_drive(p);
}

void
session_stats(struct peer *p, struct tp_stats *ts)
{
	memset(ts, 0, sizeof(*ts));
	if (p->state == PEER_UP && p->tp != NULL)
		tp_get_stats(p->tp, ts);
}

/*
 * Queued sends of this peer go into the reliable queue in request order.
 * One that does not fit (EAGAIN: its stream or the session buffer is full)
 * holds back the later sends to the same service, so order per service
 * holds, while other services go on; cb->writable brings us back.
 */
#define SESSION_BLOCKED_MAX	16

/*
 * One queued send into tp: mode 0 on channel 0 on the service's stream
 * as ever, the others by tp_send_message_ex. -1 with errno as tp says,
 * -2 when no stream could be opened. *sid is UINT64_MAX for an
 * unreliable message (nothing will be acknowledged).
 */
static int
session_send_one(struct peer *p, struct ipc_wait *w, uint64_t *sid,
    uint64_t *end)
{
	struct peer_stream *st;
	int mode = (int)(w->target >> 8);
	unsigned ch = (unsigned)(w->target & 0xff);

	*sid = UINT64_MAX;
	if (mode == TP_MODE_RELIABLE && ch == 0) {
		if ((st = session_msg_stream(p, w->service)) == NULL)
			return -2;
		*sid = st->sid;
		return tp_send_message(p->tp, st->sid, w->data, w->len, end);
	}
	if (mode == TP_MODE_SEQUENCED || mode == TP_MODE_UNRELIABLE)
		return tp_send_message_ex(p->tp, w->service, ch, mode, w->data,
		    w->len, NULL, NULL);
	return tp_send_message_ex(p->tp, w->service, ch, mode, w->data, w->len,
	    sid, end);
}

void
session_send_pending(struct peer *p)
{
	struct ipc_wait *w, *tw;
	struct ipc_client *c;
	const char *blocked[SESSION_BLOCKED_MAX];
	size_t nblocked = 0, i;
	uint64_t end, sid;
	int rv;

	if (!peer_is_up(p))
		return;
	TAILQ_FOREACH_SAFE(w, &p->a->ipc->waits, entry, tw) {
		if (w->kind != IPC_WAIT_SEND || strcmp(w->peer, p->id) != 0)
			continue;
		for (i = 0; i < nblocked; i++)
			if (strcmp(blocked[i], w->service) == 0)
				break;
		if (i < nblocked)
			continue;
		c = w->c;
		if ((rv = session_send_one(p, w, &sid, &end)) < 0) {
			if (rv == -2) {
				ipc_wait_done(w, P2P__IPC__CODE__ERR_FAILED,
				    "cannot open a stream to %s: %s", p->id,
				    strerror(errno));
				ipc_client_resume(c);
				continue;
			}
			if (errno == EAGAIN) {
				if (nblocked == SESSION_BLOCKED_MAX)
					break;
				blocked[nblocked++] = w->service;
				continue;
			}
			if (errno == EMSGSIZE)
				ipc_wait_done(w, P2P__IPC__CODE__ERR_USAGE,
				    "send to %s: %zu bytes is over the largest "
				    "message this session takes (%zu: the "
				    "smaller --max-message of both ends)",
				    p->id, w->len, tp_max_send_message(p->tp));
			else
				ipc_wait_done(w, P2P__IPC__CODE__ERR_FAILED,
				    "send to %s: %s", p->id, strerror(errno));
			ipc_client_resume(c);
			continue;
		}
		free(w->data);
		w->data = NULL;
		/* Unreliable messages have no acknowledgement to wait for. */
		if (w->sync && sid != UINT64_MAX) {
			w->kind = IPC_WAIT_SYNC;
			w->target = end;
			w->stream = sid;
		} else
			ipc_wait_done(w, P2P__IPC__CODE__OK, NULL);
		ipc_client_resume(c);
	}
}
