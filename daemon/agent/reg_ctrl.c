/* SPDX-License-Identifier: ISC */
/*
 * reg_ctrl.c: CTRL packets from the server: replies to our requests and
 * pushes (Introduce, Withdraw, GroupEvent), which are acknowledged with
 * ack_push. Everything here was authenticated by chan_open() before it is
 * parsed: the channel's keys come from the handshake in which the server
 * proved its key (reg_hs.c), so no one else can introduce a peer. Group
 * requests (group.c) are sent and retransmitted from here.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "engine.h"
#include "reg.h"
#include "wire.h"

void
reg_reregister(struct reg *r, const char *why)
{
	uint64_t now = agent_now();

	/* Rate-limited: a flood of UNKNOWN_REG must not make us spin. */
	if (r->last_rereg != 0 && now - r->last_rereg < 1000000) {
		evtimer_del(r->ka);
		r->phase = PH_IDLE;
		reg_timer_in(r->timer, 1000000);
		return;
	}
	r->last_rereg = now;
	log_info("registering again: %s", why);
	r->state = REG_REGISTERING;
	reg_start(r);
}

static void
reg_ack_push(struct reg *r, uint32_t seq)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;

	m.ack_push = seq;
	(void)reg_send_msg(r, &m);
}

static P2p__Ipc__Code
reg_ipc_code(P2p__Srv__ErrCode c)
{
	switch (c) {
	case P2P__SRV__ERR_CODE__ERR_NOT_REGISTERED:
		return P2P__IPC__CODE__ERR_NOT_REGISTERED;
	case P2P__SRV__ERR_CODE__ERR_POLICY:
		return P2P__IPC__CODE__ERR_POLICY;
	case P2P__SRV__ERR_CODE__ERR_BUSY:
		return P2P__IPC__CODE__ERR_BUSY;
	default:
		return P2P__IPC__CODE__ERR_FAILED;
	}
}

void
reg_registered(struct reg *r, const P2p__Srv__Registered *rg)
{
	struct sockaddr_storage ss;
	socklen_t len;

	r->reg_id = rg->reg_id;
	r->chan.remote_index = rg->reg_id;
	r->phase = PH_UP;
	r->state = REG_REGISTERED;
	r->error[0] = '\0';
	r->backoff = 1;
	r->ka_missed = 0;
	if (rg->public_addr != NULL &&
	    addr_from_pb(rg->public_addr, &ss, &len) == 0) {
		r->public = ss;
		r->have_public = 1;
	}
	if (rg->keepalive_s > 0 && rg->keepalive_s < r->keepalive_s)
		r->keepalive_s = rg->keepalive_s;
	reg_timer_in(r->ka, (uint64_t)r->keepalive_s * 1000000);
	log_info("registered as %s (registration %u)", r->a->peer_id,
	    r->reg_id);
	r->a->hooks.registered(r->a);
}

void
reg_refused(struct reg *r, const P2p__Srv__Error *e)
{
	const char *msg = e->message != NULL ? e->message : "";

	log_warnx("registration refused: %s", msg);
	snprintf(r->error, sizeof(r->error), "%s", msg);
	r->state = REG_REJECTED;
	if (e->code == P2P__SRV__ERR_CODE__ERR_TOKEN_EXPIRED) {
		reg_reload_token(r->a);
		r->backoff = 1;
	} else if (r->backoff < REG_BACKOFF_MAX)
		r->backoff = REG_BACKOFF_MAX;
	reg_retry_later(r);
}

static void
reg_error_reply(struct reg *r, struct reg_req *q, const P2p__Srv__Error *e)
{
	const char *msg = e->message != NULL ? e->message : "";

	if (q != NULL && q->connect) {
		r->a->hooks.connect_failed(r->a, q->peer, reg_ipc_code(e->code),
		    msg);
		return;
	}
	/* Authenticated by the channel: the registration is gone. */
	if (e->code == P2P__SRV__ERR_CODE__ERR_UNKNOWN_REG) {
		reg_reregister(r, msg);
		return;
	}
	log_warnx("server error: %s", msg);
}

/* The server checks that we receive where we now send from (roaming). */
static void
reg_path_challenge(struct reg *r, const P2p__Srv__PathChallenge *pc)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__PathResponse pr = P2P__SRV__PATH_RESPONSE__INIT;

	if (pc->nonce.len == 0 || pc->nonce.len > 64)
		return;
	pr.nonce = pc->nonce;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_PATH_RESPONSE;
	m.path_response = &pr;
	(void)reg_send_msg(r, &m);
}

static void
reg_msg(struct reg *r, const P2p__Srv__ServerMsg *m)
{
	struct reg_req *q = NULL;
	struct sockaddr_storage ss;
	socklen_t len;

	if (m->push_seq != 0)
		reg_ack_push(r, m->push_seq);
	if (m->id != 0) {
		TAILQ_FOREACH(q, &r->reqs, entry) {
			if (q->id == m->id)
				break;
		}
	}
	if (q != NULL && r->a->cb->srv_reply(r->a->cb_arg, m)) {
		reg_req_free(q);
		return;
	}
	switch (m->body_case) {
	case P2P__SRV__SERVER_MSG__BODY_ERROR:
		reg_error_reply(r, q, m->error);
		break;
	case P2P__SRV__SERVER_MSG__BODY_KEEPALIVE_ACK:
		r->ka_missed = 0;
		if (m->keepalive_ack->public_addr != NULL &&
		    addr_from_pb(m->keepalive_ack->public_addr, &ss, &len) ==
		    0) {
			r->public = ss;
			r->have_public = 1;
		}
		break;
	case P2P__SRV__SERVER_MSG__BODY_INTRODUCE:
		if (m->push_seq != 0)
			r->a->hooks.introduce(r->a, m->introduce);
		break;
	case P2P__SRV__SERVER_MSG__BODY_WITHDRAW:
		if (m->push_seq != 0 && m->withdraw->peer_id != NULL)
			r->a->hooks.withdraw(r->a, m->withdraw->peer_id,
			    m->withdraw->reason != NULL &&
			    *m->withdraw->reason ? m->withdraw->reason :
			    "introduction withdrawn by the server");
		break;
	case P2P__SRV__SERVER_MSG__BODY_PATH_CHALLENGE:
		reg_path_challenge(r, m->path_challenge);
		break;
	case P2P__SRV__SERVER_MSG__BODY_GROUP_EVENT:
		if (m->push_seq != 0 && r->phase == PH_UP)
			r->a->cb->group_event(r->a->cb_arg, r->reg_id,
			    m->push_seq, m->group_event);
		break;
	default:
		break;
	}
	/* An answered request is done (unless the answer ended them all). */
	if (q != NULL && r->phase == PH_UP)
		reg_req_free(q);
}

/* Like reg.c's retransmission, but a request in vain is group.c's to answer. */
static void
reg_group_timer(evutil_socket_t fd, short what, void *arg)
{
	struct reg_req *q = arg;
	struct agent *a = q->r->a;
	P2p__Srv__ServerMsg *m;
	uint32_t id = q->id;

	if (q->tries >= REG_TRIES) {
		reg_req_free(q);
		a->cb->srv_timeout(a->cb_arg, id);
		return;
	}
	if ((m = p2p__srv__server_msg__unpack(NULL, q->len, q->msg)) != NULL) {
		(void)reg_send_msg(q->r, m);
		p2p__srv__server_msg__free_unpacked(m, NULL);
	}
	reg_req_rearm(q);
}

uint32_t
reg_group_request(struct agent *a, P2p__Srv__ServerMsg *m)
{
	struct reg *r = a->reg;

	if (r == NULL || r->phase != PH_UP)
		return 0;
	return reg_req_start(r, m, NULL, reg_group_timer);
}

void
reg_ctrl_in(struct reg *r, const uint8_t *pkt, size_t len)
{
	uint8_t *pt = r->a->buf->ctrl;
	P2p__Srv__ServerMsg *m;
	uint64_t ctr;
	ssize_t n;

	if (!r->chan_ok) {
		r->a->ctr.dropped++;
		return;
	}
	n = chan_open(&r->chan, WIRE_CTRL, pkt, len, pt, AGENT_UDP_MTU, &ctr);
	if (n < 0) {
		r->a->ctr.dropped++;
		return;
	}
	r->auth_rx++;	/* the server is there (reg_check) */
	if ((m = p2p__srv__server_msg__unpack(NULL, (size_t)n, pt)) == NULL) {
		log_debug("%s: malformed ServerMsg", __func__);
		r->a->ctr.dropped++;
		return;
	}
	reg_msg(r, m);
	p2p__srv__server_msg__free_unpacked(m, NULL);
}
