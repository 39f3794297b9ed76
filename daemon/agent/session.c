/* SPDX-License-Identifier: ISC */
/*
 * session.c: a session's life (session.h): made for a connect or a
 * handshake, started with the keys of a finished handshake, fed by DATA
 * packets, driven from the event loop, ended with a reason.
 *
 * Driving follows tp.h: after input, a timeout or any stream call, loop
 * tp_output() into DATA packets sealed with chan (the packet number is
 * chan.tx_counter before sealing), then re-arm the one timer at the
 * earliest of tp_next_timeout(), the rekey and the route's checks. Input
 * does not drive at once: a fed session waits on a->drive_q, whose event
 * runs after the other callbacks of this pass of the loop, so one ACK
 * covers a batch of datagrams and the window the acks freed fills whole
 * GSO batches (a long batch still gets an ACK every SESSION_ACK_BATCH
 * packets).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "engine.h"
#include "ipc.pb-c.h"
#include "log.h"
#include "peer.h"
#include "session.h"
#include "wire.h"

#define SESSION_PAYLOAD		(1200 - CHAN_OVERHEAD)
#define SESSION_STREAM_CREDIT	(1024 * 1024)
#define SESSION_ACK_BATCH	16	/* packets, within one read batch */
/* Testing knob: rekey every N ms (overlap N/2 ms) instead of 120 s. */
#define SESSION_REKEY_TEST_ENV	"P2PD_TEST_REKEY_MS"

static void	session_timer_cb(evutil_socket_t, short, void *);

struct session *
session_get(struct peer *p)
{
	struct agent *a = p->a;
	struct session *s;

	if (p->s != NULL)
		return p->s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->p = p;
	s->a = a;
	s->state = SESS_INTRO_WAIT;
	TAILQ_INIT(&s->streams);
	TAILQ_INIT(&s->sendq);
	TAILQ_INIT(&s->waits);
	if ((s->timer = evtimer_new(a->base, session_timer_cb, s)) == NULL) {
		free(s);
		return NULL;
	}
	p->s = s;
	return s;
}

const char *
session_state_name(const struct session *s)
{
	if (s == NULL)
		return "closed";
	return session_is_up(s) ? "up" : "connecting";
}

void
session_timer_in(struct session *s, uint64_t us)
{
	agent_timer_in(s->timer, us);
	s->timer_at = agent_now() + us;
}

static void
session_rekey_cfg(struct session *s, struct chan_rekey_cfg *cfg)
{
	const char *e;
	char *end;
	unsigned long ms;

	chan_rekey_cfg_default(cfg, s->chan.keys.cipher);
	if ((e = getenv(SESSION_REKEY_TEST_ENV)) == NULL || *e == '\0')
		return;
	ms = strtoul(e, &end, 10);
	if (*end != '\0' || ms < 10 || ms > 3600000) {
		log_warnx("%s=%s ignored (10 to 3600000 ms)",
		    SESSION_REKEY_TEST_ENV, e);
		return;
	}
	cfg->after_us = (uint64_t)ms * 1000;
	cfg->overlap_us = cfg->after_us / 2;
}

/* The session is usable: punching starts, waits end, sends go. */
static void
session_up(struct session *s)
{
	char buf[ADDR_STRLEN], why[ADDR_STRLEN + 32];
	uint64_t rtt = 0;

	/* Both sides start punching together: the initiator is up half a
	 * relay round trip before the responder hears from it. */
	if (s->initiator && s->hs_tries == 1)
		rtt = agent_now() - s->hs_started;
	route_start(s, rtt / 2);
	route_remote(s, buf, sizeof(buf));
	snprintf(why, sizeof(why), "session up via %s", buf);
	route_report(s, why);
	session_ops_up(s);
	session_send_pending(s);
	s->a->cb->session_up(s->a->cb_arg, s->p->id);
}

int
session_start(struct session *s, struct hs_result *res, int initiator,
    const struct sockaddr *src)
{
	struct agent *a = s->a;
	struct chan_rekey_cfg rk;
	struct tp_cfg cfg;
	struct tp_cb cb;
	int rv;

	rv = chan_init(&s->chan, res->cipher, res->tx, res->rx,
	    res->remote_index);
	sodium_memzero(res, sizeof(*res));
	if (rv == -1)
		goto fail;
	session_rekey_cfg(s, &rk);
	chan_rekey_enable(&s->chan, &rk, s->local_index, initiator,
	    agent_now());
	a->ctr.handshakes++;
	session_hs_drop(s);
	s->hs_next = 0;
	tp_cfg_default(&cfg);
	cfg.max_payload = SESSION_PAYLOAD;
	cfg.max_message = a->conf.max_message;
	cfg.initial_stream_credit = SESSION_STREAM_CREDIT;
	cfg.idle_timeout_us = (uint64_t)a->conf.idle_timeout_s * 1000000;
	cfg.keepalive_us = (uint64_t)a->conf.keepalive_s * 1000000;
	cfg.congestion = a->conf.cc_algo;
	cfg.initiator = initiator;
	session_tp_cb(s, &cb);
	if ((s->tp = tp_new(&cfg, &cb, agent_now())) == NULL) {
		chan_wipe(&s->chan);
		goto fail;
	}
	evtimer_del(s->timer);
	s->state = SESS_UP;
	s->initiator = initiator;
	s->confirmed = 0;
	s->dead = 0;
	route_init(s, src);
	log_info("session with %s established (%s, %s)", s->p->id,
	    initiator ? "initiator" : "responder",
	    aead_name(s->chan.keys.cipher));
	if (initiator) {
		/* Key confirmation: the responder may send once it has seen
		 * a DATA packet from us, so send one now. */
		tp_echo(s->tp, 0);
		session_up(s);
	}
	session_drive(s);
	return 0;
fail:
	log_warnx("%s: cannot start the session with %s", __func__, s->p->id);
	session_ops_fail(s, P2P__IPC__CODE__ERR_FAILED, 0,
	    "cannot start the session");
	session_end(s, "cannot start the session");
	return -1;
}

static void
session_free(struct session *s)
{
	struct agent *a = s->a;

	if (s->drive_queued)
		TAILQ_REMOVE(&a->drive_q, s, drive_entry);
	if (s->blocked)
		TAILQ_REMOVE(&a->blocked_q, s, blocked_entry);
	session_index_drop_all(s);
	session_hs_drop(s);
	event_free(s->timer);
	s->p->s = NULL;
	free(s);
}

void
session_end(struct session *s, const char *reason)
{
	struct agent *a = s->a;
	struct sess_stream *st;
	struct tp_stats ts;
	const char *path;
	char msg[352], why[320];
	size_t unacked;

	if (s->state != SESS_UP) {
		session_ops_fail(s, P2P__IPC__CODE__ERR_FAILED, 0, reason);
		session_free(s);
		return;
	}
	path = route_name(s);
	log_info("session with %s closed: %s", s->p->id, reason);
	a->cb->session_dead(a->cb_arg, s->p->id, reason);
	while ((st = TAILQ_FIRST(&s->streams)) != NULL)
		session_stream_del(s, st);
	tp_get_stats(s->tp, &ts);
	/*
	 * What the transport took and the peer never acknowledged dies with
	 * the session. The sends were answered already (a sync send fails
	 * below): the PeerState event and the log say so, never silence.
	 */
	unacked = tp_send_buffered(s->tp);
	if (unacked > 0) {
		snprintf(why, sizeof(why), "%s; %zu bytes of reliable data "
		    "accepted and not acknowledged by the peer are lost",
		    reason, unacked);
		log_warnx("session with %s: %zu bytes of reliable data "
		    "accepted and not acknowledged by the peer are lost",
		    s->p->id, unacked);
		a->ctr.lost_bytes += unacked;
		reason = why;
	}
	a->ctr_closed.retransmitted += ts.lost;
	a->ctr_closed.retransmitted_bytes += ts.retransmits;
	a->ctr_closed.rekeys += s->chan.rekeys;
	tp_free(s->tp);
	s->tp = NULL;
	if (s->chan.rekeys > 0)
		log_info("%s: %llu rekeys in that session", s->p->id,
		    (unsigned long long)s->chan.rekeys);
	chan_wipe(&s->chan);
	route_end(s);
	a->cb->peer_state(a->cb_arg, s->p->id, "closed", path, reason);
	snprintf(msg, sizeof(msg), "session closed: %s", reason);
	session_ops_fail(s, P2P__IPC__CODE__ERR_CLOSED, 0, msg);
	session_free(s);
}

void
session_input(struct session *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct agent *a = s->a;
	uint8_t *pt = a->buf->rx;
	uint64_t pn, now, rekeys = s->chan.rekeys;
	ssize_t n;

	n = chan_open(&s->chan, WIRE_DATA, pkt, len, pt, AGENT_UDP_MTU, &pn);
	if (n < 0) {
		AGENT_DROP(a, decrypt);
		return;
	}
	s->last_rx = now = agent_now();
	if (s->chan.rekeys != rekeys)
		log_debug("session with %s rekeyed by the peer (%llu)",
		    s->p->id, (unsigned long long)s->chan.rekeys);
	/*
	 * Any packet that verified proves the initiator's keys. Confirm
	 * first: a path check that outran the relay must find punching
	 * started, or the address it came from would be forgotten.
	 */
	if (!s->initiator && !s->confirmed) {
		s->confirmed = 1;
		if (!s->dead)
			session_up(s);
	}
	/* Path checks are the session's, not the transport's. */
	if (!route_frame(s, pt, (size_t)n, src)) {
		route_packet(s, src);
		if (tp_input(s->tp, now, pn, pt, (size_t)n) == -1)
			AGENT_DROP(a, malformed);
	}
	if (tp_ack_backlog(s->tp) >= SESSION_ACK_BATCH)
		session_drive(s);
	else
		session_feed(s);
}

void
session_drive_queued(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct session *s;

	(void)fd;
	(void)what;
	while ((s = TAILQ_FIRST(&a->drive_q)) != NULL)
		session_drive(s);	/* takes s off the queue */
}

void
session_unblock(struct agent *a)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&a->blocked_q)) != NULL) {
		TAILQ_REMOVE(&a->blocked_q, s, blocked_entry);
		s->blocked = 0;
		session_feed(s);
	}
}

static void
session_arm(struct session *s)
{
	uint64_t t, r, now;

	t = tp_next_timeout(s->tp);
	if (t == 0)
		t = UINT64_MAX;
	if (s->initiator || s->confirmed) {
		r = chan_rekey_next(&s->chan, session_hs_sent(s));
		if (session_hs_sent(s) ? s->hs_next < r :
		    r < s->hs_next)
			r = s->hs_next;
		if (r < t)
			t = r;
		if ((r = route_next(s)) < t)
			t = r;
		if (s->reintro_at != 0 && s->reintro_at < t)
			t = s->reintro_at;
	}
	if (t == UINT64_MAX) {
		evtimer_del(s->timer);
		s->timer_at = 0;
		return;
	}
	if (s->timer_at == t && evtimer_pending(s->timer, NULL))
		return;
	s->timer_at = t;
	now = agent_now();
	agent_timer_in(s->timer, t > now ? t - now : 0);
}

void
session_drive(struct session *s)
{
	struct agent *a = s->a;
	uint8_t *pt = a->buf->pt, *pkt = a->buf->pkt;
	uint64_t now;
	size_t n;
	ssize_t len;

	if (s->drive_queued) {
		TAILQ_REMOVE(&a->drive_q, s, drive_entry);
		s->drive_queued = 0;
	}
	if (s->state != SESS_UP)
		return;
	/* A responder stays silent until the initiator proved its keys. */
	if (s->initiator || s->confirmed) {
		now = agent_now();
		session_rekey(s, now);
		peer_reintro_due(s, now);
		tp_set_cork(s->tp, a->corked > 0);
		while (!route_blocked(s) && (n = tp_output(s->tp, now,
		    s->chan.tx_counter, pt, SESSION_PAYLOAD)) > 0) {
			len = chan_seal(&s->chan, WIRE_DATA, pt, n, pkt,
			    AGENT_UDP_MTU);
			if (len < 0)
				break;
			route_send(s, pkt, (size_t)len);
		}
		if (route_blocked(s) && !s->blocked) {
			/* The TCP leg's drain (session_unblock) resumes it. */
			s->blocked = 1;
			TAILQ_INSERT_TAIL(&a->blocked_q, s, blocked_entry);
		}
		route_drive(s, now);
	}
	if (s->dead || tp_is_closed(s->tp)) {
		if (!s->dead)
			snprintf(s->dead_reason, sizeof(s->dead_reason),
			    "closed");
		session_end(s, s->dead_reason);
		return;
	}
	session_arm(s);
}

static void
session_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	s->timer_at = 0;
	if (s->state == SESS_HS) {
		session_hs_timeout(s);
		return;
	}
	if (s->state != SESS_UP)
		return;
	tp_on_timeout(s->tp, agent_now());
	session_drive(s);
}

void
session_stats(const struct session *s, struct tp_stats *ts)
{
	memset(ts, 0, sizeof(*ts));
	if (s != NULL && s->state == SESS_UP && s->tp != NULL)
		tp_get_stats(s->tp, ts);
}
