/* SPDX-License-Identifier: ISC */
/*
 * reg.c: registration with the server: the attempt's state machine, the
 * packets from the server, and the rest of the agent's view of it
 * (PROTOCOL.md §2.1, §2.2).
 *
 * REG_HELLO -> REG_CHALLENGE -> REG_INIT -> REG_ACCEPT (reg_hs.c): the
 * server proves that it holds the key this agent trusts before anything
 * it says is believed, and only it can read the token. The HELLO and the
 * INIT are retransmitted after 250 ms, doubling, 5 times. A server that
 * never answers makes us "unreachable" and we start over with backoff 1,
 * 2, 4 ... 30 s; one that refuses (an authenticated Error) makes us
 * "rejected" with its message kept for status. Keepalives every
 * keepalive_s; three unanswered, or an authenticated UNKNOWN_REG, and we
 * register again. Unauthenticated error packets (UNKNOWN_REG,
 * VERSION_ERROR) only make us check (reg_check, below).
 *
 * The server leg is UDP or TCP (regtcp.c), chosen per registration by
 * --server-transport: auto sends HELLO over UDP and, after REG_TCP_AFTER
 * unanswered tries, over TCP beside it; the first REG_CHALLENGE picks the
 * leg the registration lives on. Every later attempt starts with UDP again,
 * since the network that blocked it may have changed. Direct paths to
 * peers always use the UDP socket; RELAY packets take the server's leg.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "chan.h"
#include "log.h"
#include "reg.h"
#include "server.pb-c.h"
#include "wire.h"

/* The handshake of an attempt holds secrets: gone once it is over. */
void
reg_hs_clear(struct reg *r)
{
	reghs_wipe(&r->hs);
	sodium_memzero(r->eph_sk, sizeof(r->eph_sk));
	sodium_memzero(r->init, sizeof(r->init));
	r->init_len = 0;
}

/*
 * The wait before the next round of tries doubles, up to 30 s with one
 * server; with several a round already takes a while (1.75 s per node),
 * and a cluster whose nodes restart is back soon: up to 8 s.
 */
static void
reg_backoff_grow(struct reg *r)
{
	int max = r->nnodes > 1 ? REG_BACKOFF_MAX_NODES : REG_BACKOFF_MAX;

	r->backoff = r->backoff * 2 > max ? max : r->backoff * 2;
}

void
reg_retry_later(struct reg *r)
{
	r->phase = PH_IDLE;
	if (r->chan_ok)
		chan_wipe(&r->chan);
	r->chan_ok = 0;
	reg_hs_clear(r);
	reg_check_stop(r);
	evtimer_del(r->ka);
	reg_live_stop(r);
	regtcp_close(r);
	log_debug("registration: next try in %d s", r->backoff);
	reg_timer_in(r->timer, (uint64_t)r->backoff * 1000000);
	reg_backoff_grow(r);
}

/*
 * The HELLO or the INIT went unanswered to the end. Say why as precisely
 * as what came back allows: nothing, VERSION_ERROR (unauthenticated, so
 * only a hint), or replies that did not prove the server's key.
 */
void
reg_attempt_failed(struct reg *r)
{
	char key[REGHS_KEY_B64_LEN + 1], srv[ADDR_STRLEN];

	reg_server_addr(r->a, srv, sizeof(srv));
	reghs_key_to_b64(r->server_pk, key);
	r->state = REG_UNREACHABLE;
	if (r->phase == PH_INIT && r->accept_bad > 0) {
		snprintf(r->error, sizeof(r->error), "the server at %s did "
		    "not prove server key %s (%u replies did not authenticate: "
		    "a server without that key, or a man in the middle)", srv,
		    key, r->accept_bad);
		log_warnx("registration: %s", r->error);
	} else if (r->phase == PH_INIT)
		snprintf(r->error, sizeof(r->error), "no answer to the "
		    "registration from %s (does it hold server key %s?)", srv,
		    key);
	else if (r->version_seen != 0) {
		snprintf(r->error, sizeof(r->error), "server speaks wire "
		    "version %u, this agent speaks %u", r->version_seen,
		    WIRE_VERSION);
		log_warnx("%s", r->error);
		r->state = REG_REJECTED;
		r->backoff = REG_BACKOFF_MAX;
	} else
		snprintf(r->error, sizeof(r->error), "no answer from the "
		    "server");
	/* Another pinned key first next time (a rotation under way). */
	r->key_next++;
	/* Another node of the cluster, if one is left in this round. */
	if (r->state != REG_REJECTED && reg_try_next(r))
		return;
	reg_retry_later(r);
}

static void
reg_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;

	if (r->phase == PH_HELLO) {
		if (r->tries < (r->nnodes > 1 ? REG_TRIES_MULTI : REG_TRIES))
			reg_send_hello(r);
		else
			reg_attempt_failed(r);
	} else if (r->phase == PH_INIT) {
		if (r->tries < REG_TRIES)
			reg_send_init(r);
		else
			reg_attempt_failed(r);
	} else if (r->phase == PH_IDLE)
		reg_start(r);
}

/* Drop the registration held (requests, channel, node, timers, TCP). */
static void
reg_leave(struct reg *r)
{
	reg_clear_reqs(r);
	if (r->chan_ok)
		chan_wipe(&r->chan);
	r->chan_ok = 0;
	r->reg_id = 0;
	r->node_id[0] = '\0';
	reg_hs_clear(r);
	reg_check_stop(r);
	reg_live_stop(r);
	evtimer_del(r->ka);
	/* A connection carries one registration: each attempt opens its own. */
	regtcp_close(r);
}

void
reg_start(struct reg *r)
{
	if (!r->have_srv)
		return;
	reg_leave(r);
	r->wait_since = 0;
	if (r->state != REG_REJECTED && r->state != REG_UNREACHABLE)
		r->state = REG_REGISTERING;
	crypto_box_keypair(r->eph_pk, r->eph_sk);
	r->phase = PH_HELLO;
	r->tries = 0;
	r->accept_bad = 0;
	r->cookies = 0;
	r->version_seen = 0;
	r->use_tcp = r->mode == REG_MODE_TCP;
	if (r->use_tcp && regtcp_open(r) == -1) {
		r->state = REG_UNREACHABLE;
		snprintf(r->error, sizeof(r->error), "cannot open a tcp "
		    "connection to the server");
		reg_retry_later(r);
		return;
	}
	reg_send_hello(r);
}

void
reg_tcp_lost(struct reg *r, const char *why)
{
	/* auto racing TCP against UDP: UDP may still answer. */
	if (!r->use_tcp || r->phase == PH_IDLE)
		return;
	if (r->phase == PH_UP) {
		log_info("registering again: the tcp connection to the server "
		    "ended (%s)", why);
		r->state = REG_REGISTERING;
	} else {
		r->state = REG_UNREACHABLE;
		snprintf(r->error, sizeof(r->error), "tcp to the server: %s",
		    why);
	}
	/* Nothing sent on that connection will be answered. */
	reg_clear_reqs(r);
	evtimer_del(r->timer);
	reg_retry_later(r);
}

static void
reg_keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Keepalive k = P2P__SRV__KEEPALIVE__INIT;

	if (r->ka_missed >= REG_KA_MISSED) {
		r->state = REG_REGISTERING;
		reg_failover(r, "the server did not answer 3 keepalives");
		return;
	}
	m.id = reg_next_id(r);
	m.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE;
	m.keepalive = &k;
	k.rtt_us = r->rtt_us;
	(void)reg_send_msg(r, &m);
	reg_rtt_ka_sent(r, m.id);
	reg_expect(r);
	r->ka_missed++;
	reg_timer_in(r->ka, (uint64_t)r->keepalive_s * 1000000);
}

/*
 * A packet from the server over either leg. Once a registration has a leg,
 * packets from the other one are not about it: a forged UDP UNKNOWN_REG
 * cannot end a TCP registration.
 */
static void
reg_packet(struct reg *r, const uint8_t *pkt, size_t len, int tcp)
{
	struct agent *a = r->a;
	uint8_t sv = 0, rv = 0;
	char why[128];
	uint32_t id;

	if (tcp != r->use_tcp && r->phase != PH_HELLO) {
		a->ctr.dropped++;
		return;
	}
	switch (pkt[0]) {
	case WIRE_REG_CHALLENGE:
		reg_challenge_in(r, pkt, len, tcp);
		break;
	case WIRE_REG_ACCEPT:
		reg_accept_in(r, pkt, len, tcp);
		break;
	case WIRE_CTRL:
		reg_ctrl_in(r, pkt, len);
		break;
	case WIRE_RELAY:
	case WIRE_RELAY_MAC:
		r->a->hooks.relay_in(r, pkt, len);
		break;
	case WIRE_UNKNOWN_REG:
		if (wire_unknown_reg_parse(pkt, len, &id) == -1 ||
		    r->phase != PH_UP || id != r->reg_id) {
			a->ctr.dropped++;
			break;
		}
		reg_check(r, "server does not know our registration");
		break;
	case WIRE_VERSION_ERROR:
		if (wire_version_error_parse(pkt, len, &sv, &rv) == -1 ||
		    sv == WIRE_VERSION) {
			a->ctr.dropped++;
			break;
		}
		/* Unauthenticated: a hint for the error message, a check. */
		if (r->phase == PH_UP) {
			snprintf(why, sizeof(why), "server says it speaks wire "
			    "version %u", sv);
			reg_check(r, why);
		} else if (r->version_seen != sv) {
			r->version_seen = sv;
			log_info("a VERSION_ERROR says the server speaks wire "
			    "version %u (this agent speaks %u)", sv,
			    WIRE_VERSION);
		}
		break;
	default:
		a->ctr.dropped++;
		break;
	}
}

void
reg_input(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src, socklen_t srclen)
{
	struct reg *r = a->reg;

	if (r != NULL && r->probing && reg_probe_in(r, src, pkt, len))
		return;
	if (r == NULL || !r->have_srv ||
	    !addr_equal(src, (struct sockaddr *)&r->srv)) {
		a->ctr.dropped++;
		return;
	}
	reg_packet(r, pkt, len, 0);
}

/* The checks udp.c makes on a datagram, for one that came over TCP. */
void
reg_tcp_input(struct reg *r, const uint8_t *pkt, size_t len)
{
	struct agent *a = r->a;
	uint8_t type = 0;

	a->ctr.packets_in++;
	a->ctr.bytes_in += len;
	if (wire_agent_dest(pkt, len, &type) == WIRE_DEST_SERVER)
		reg_packet(r, pkt, len, 1);
	else
		a->ctr.dropped++;
}

static int
reg_mode_parse(const char *s, enum reg_mode *m)
{
	if (s == NULL || strcmp(s, "auto") == 0)
		*m = REG_MODE_AUTO;
	else if (strcmp(s, "udp") == 0)
		*m = REG_MODE_UDP;
	else if (strcmp(s, "tcp") == 0)
		*m = REG_MODE_TCP;
	else
		return -1;
	return 0;
}

/* --- moving ------------------------------------------------------ */

/* Leave the registration and register again after us microseconds. */
static void
reg_move_later(struct reg *r, uint64_t us)
{
	reg_leave(r);
	r->phase = PH_IDLE;
	r->state = REG_REGISTERING;
	reg_timer_in(r->timer, us);
}

/*
 * An attempt failed or the node went silent: another node, at random
 * among those not tried in this round, after a random delay (1 when one
 * was picked).
 */
int
reg_try_next(struct reg *r)
{
	char srv[ADDR_STRLEN];

	if (r->nnodes < 2 || reg_nodes_next(r) == -1)
		return 0;
	reg_server_addr(r->a, srv, sizeof(srv));
	log_info("trying %s%s%s%s", r->nodes[r->cur].id[0] ? "node " : "",
	    r->nodes[r->cur].id, r->nodes[r->cur].id[0] ? " at " : "", srv);
	reg_move_later(r, randombytes_uniform(REG_FAILOVER_JITTER_US));
	return 1;
}

/* The node stopped answering: another one, else this one again. */
void
reg_failover(struct reg *r, const char *why)
{
	if (r->nnodes < 2) {
		reg_reregister(r, why);
		return;
	}
	log_info("leaving %s%s: %s", r->node_id[0] ? "node " : "the server",
	    r->node_id, why);
	if (!reg_try_next(r)) {
		/* Every node failed in a row: the usual backoff. */
		reg_move_later(r, (uint64_t)r->backoff * 1000000);
		reg_backoff_grow(r);
	}
}

/* reg_live.c found the server silent: check with keepalives. */
static void
reg_live_silent(struct reg *r)
{
	reg_check(r, "the server has not answered for 1 s");
}

/* reg_live.c found the node a Move named (or another) answering. */
static void
reg_live_go(struct reg *r, unsigned node)
{
	reg_nodes_use(r, node);
	reg_move_later(r, 0);
}

static const struct reg_live_cb reg_live_cbs = {
	.silent = reg_live_silent,
	.go = reg_live_go,
};

/* --- public ---------------------------------------------------------------- */

int
reg_init(struct agent *a)
{
	struct reg *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	a->reg = r;
	r->a = a;
	r->backoff = 1;
	r->keepalive_s = (uint32_t)a->conf.keepalive_s;
	r->state = REG_REGISTERING;
	TAILQ_INIT(&r->reqs);
	r->timer = evtimer_new(a->base, reg_timer_cb, r);
	r->ka = evtimer_new(a->base, reg_keepalive_cb, r);
	r->check_ev = evtimer_new(a->base, reg_check_cb, r);
	if (r->timer == NULL || r->ka == NULL || r->check_ev == NULL ||
	    reg_live_init(r, &reg_live_cbs) == -1)
		return -1;
	if (reg_mode_parse(a->conf.server_transport, &r->mode) == -1) {
		log_warnx("--server-transport: '%s' is not auto, udp or tcp",
		    a->conf.server_transport);
		return -1;
	}
	if (reg_nodes_init(r) == -1)
		return -1;
	reg_start(r);
	return 0;
}

void
reg_free(struct agent *a)
{
	struct reg *r = a->reg;

	if (r == NULL)
		return;
	while (!TAILQ_EMPTY(&r->reqs))
		reg_req_free(TAILQ_FIRST(&r->reqs));
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->ka != NULL)
		event_free(r->ka);
	if (r->check_ev != NULL)
		event_free(r->check_ev);
	reg_live_free(r);
	regtcp_close(r);
	if (r->chan_ok)
		chan_wipe(&r->chan);
	reg_hs_clear(r);
	free(r);
	a->reg = NULL;
}

void
reg_shutdown(struct agent *a)
{
	struct reg *r = a->reg;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Deregister d = P2P__SRV__DEREGISTER__INIT;

	if (r == NULL || r->phase != PH_UP)
		return;
	m.id = reg_next_id(r);
	m.body_case = P2P__SRV__SERVER_MSG__BODY_DEREGISTER;
	m.deregister = &d;
	(void)reg_send_msg(r, &m);
	evtimer_del(r->ka);
	evtimer_del(r->timer);
	reg_live_stop(r);
	reg_check_stop(r);
	while (!TAILQ_EMPTY(&r->reqs))
		reg_req_free(TAILQ_FIRST(&r->reqs));
	r->phase = PH_IDLE;
}

int
reg_connect(struct agent *a, const char *peer_id)
{
	struct reg *r = a->reg;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__ConnectRequest cr = P2P__SRV__CONNECT_REQUEST__INIT;

	if (r == NULL || r->phase != PH_UP)
		return -1;
	cr.peer_id = (char *)peer_id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_CONNECT;
	m.connect = &cr;
	return reg_request(r, &m, peer_id);
}

/* --- check ------------------------------------------------------- */

/*
 * what an unauthenticated error from the server may do
 * (PROTOCOL.md §2.1). UNKNOWN_REG and VERSION_ERROR travel in the clear,
 * so anyone who knows our address (every introduced peer does) can send
 * them from the server's: they only make us check. A check sends
 * keepalives, REG_CHECK_TRIES of them REG_CHECK_US apart; any
 * authenticated packet from the server in that time ends it (the server
 * knows us), and only their all going unanswered makes us register again.
 * One check at a time, so a flood of such packets costs a few keepalives.
 */
static void
reg_check_probe(struct reg *r)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Keepalive k = P2P__SRV__KEEPALIVE__INIT;

	m.id = reg_next_id(r);
	m.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE;
	m.keepalive = &k;
	(void)reg_send_msg(r, &m);
	r->check_tries++;
	reg_timer_in(r->check_ev, REG_CHECK_US);
}

void
reg_check(struct reg *r, const char *why)
{
	if (r->phase != PH_UP || r->checking)
		return;
	log_debug("checking the registration: %s (unauthenticated)", why);
	snprintf(r->check_why, sizeof(r->check_why), "%s", why);
	r->checking = 1;
	r->check_tries = 0;
	r->check_rx = r->auth_rx;
	reg_check_probe(r);
}

void
reg_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;
	char why[sizeof(r->check_why) + 64];

	if (!r->checking || r->phase != PH_UP) {
		reg_check_stop(r);
		return;
	}
	if (r->auth_rx != r->check_rx) {
		log_debug("the server answered: ignoring '%s'", r->check_why);
		reg_check_stop(r);
		return;
	}
	if (r->check_tries < REG_CHECK_TRIES) {
		reg_check_probe(r);
		return;
	}
	snprintf(why, sizeof(why), "%s, and %u keepalives went unanswered",
	    r->check_why, r->check_tries);
	reg_check_stop(r);
	reg_failover(r, why);
}

void
reg_check_stop(struct reg *r)
{
	r->checking = 0;
	r->check_tries = 0;
	if (r->check_ev != NULL)
		evtimer_del(r->check_ev);
}
