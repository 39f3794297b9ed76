/* SPDX-License-Identifier: ISC */
/*
 * reg_ctrl.c: CTRL packets from the server: replies to our requests and
 * pushes (Introduce, Withdraw, GroupEvent), which are acknowledged with
 * ack_push. Everything here was authenticated by chan_open() before it is
 * parsed: the channel's keys come from the handshake in which the server
 * proved its key (reg_hs.c), so no one else can introduce a peer. Group
 * requests (group.c) are sent and retransmitted from here.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "buf.h"
#include "chan.h"
#include "engine.h"
#include "log.h"
#include "reg.h"
#include "reghs.h"
#include "token.h"
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
	unsigned i;

	r->reg_id = rg->reg_id;
	r->chan.remote_index = rg->reg_id;
	r->relay_mac = rg->relay_mac;
	r->phase = PH_UP;
	r->state = REG_REGISTERED;
	r->error[0] = '\0';
	r->backoff = 1;
	r->ka_missed = 0;
	for (i = 0; i < r->nnodes; i++)
		r->nodes[i].failed = 0;
	if (rg->public_addr != NULL &&
	    addr_from_pb(rg->public_addr, &ss, &len) == 0) {
		r->public = ss;
		r->have_public = 1;
	}
	r->have_srv_other = rg->other_family != NULL && addr_from_pb(
	    rg->other_family, &r->srv_other, &len) == 0;
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
	/*
	 * Busy (a draining node, a node without its cluster state, a cap):
	 * another node now if there is one, else the usual backoff from 1 s.
	 */
	if (e->code == P2P__SRV__ERR_CODE__ERR_BUSY) {
		r->state = REG_UNREACHABLE;
		if (!reg_try_next(r))
			reg_retry_later(r);
		return;
	}
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
	if (reg_send_msg(r, &m) == -1)
		return;
	/*
	 * The server moves us once it has the answer. Our peers check only
	 * addresses they were introduced with (PROTOCOL.md §2.7): ask for
	 * fresh introductions (after the answer, on the same channel), so
	 * they learn the new one and a direct path can follow us.
	 */
	r->a->hooks.registered(r->a);
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
		reg_rtt_ka_ack(r, m->id);
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
	case P2P__SRV__SERVER_MSG__BODY_NODE_LIST:
		if (m->push_seq != 0)
			reg_nodes_list_in(r, m->node_list);
		break;
	case P2P__SRV__SERVER_MSG__BODY_MOVE:
		if (m->push_seq != 0 && r->phase == PH_UP)
			reg_move_in(r, m->move);
		break;
	case P2P__SRV__SERVER_MSG__BODY_GROUP_EVENT:
		if (m->push_seq != 0 && r->phase == PH_UP)
			r->a->cb->group_event(r->a->cb_arg, r->reg_id,
			    m->push_seq, m->group_event);
		break;
	case P2P__SRV__SERVER_MSG__BODY_MATCH_RESULT:
		if (m->push_seq != 0 && r->phase == PH_UP)
			r->a->cb->match_result(r->a->cb_arg, m->match_result);
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
	reg_expect(q->r);
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
	reg_heard(r);	/* the server is there (reg_check, reg_live.c) */
	if ((m = p2p__srv__server_msg__unpack(NULL, (size_t)n, pt)) == NULL) {
		log_debug("%s: malformed ServerMsg", __func__);
		r->a->ctr.dropped++;
		return;
	}
	reg_msg(r, m);
	p2p__srv__server_msg__free_unpacked(m, NULL);
}

/* --- relay ------------------------------------------------------- */

/*
 * RELAY packets through the server (PROTOCOL.md §2.6), and
 * path reports.
 *
 * A peer packet (HS_INIT, HS_RESP, DATA) is sent to the server inside a
 * RELAY packet sealed on the control channel, naming the peer by the relay
 * id its introduction gave; the server forwards it re-sealed on the peer's
 * control channel, naming us. What arrives is authenticated twice: by the
 * control channel (it came through our server) and, inside, by the
 * session's own keys, which the server does not have.
 */
int
reg_relay_ok(struct agent *a)
{
	struct reg *r = a->reg;

	return r != NULL && r->chan_ok && r->phase == PH_UP &&
	    r->have_srv;
}

int
reg_relay_send(struct agent *a, uint32_t relay_id, const uint8_t *pkt,
    size_t len)
{
	uint8_t *pt = a->buf->relay_pt, *out = a->buf->relay_out;
	struct reg *r = a->reg;
	struct wr w;
	ssize_t n;

	if (!reg_relay_ok(a) || relay_id == 0 ||
	    len + WIRE_RELAY_ID_LEN > AGENT_UDP_MTU)
		return -1;
	wr_init(&w, pt, AGENT_UDP_MTU);
	wr_u32(&w, relay_id);
	wr_bytes(&w, pkt, len);
	if (w.err)
		return -1;
	n = r->relay_mac ? chan_seal_mac(&r->chan, WIRE_RELAY_MAC, pt, w.off,
	    out, AGENT_UDP_MTU) : chan_seal(&r->chan, WIRE_RELAY, pt, w.off,
	    out, AGENT_UDP_MTU);
	if (n < 0)
		return -1;
	reg_send_pkt(r, out, (size_t)n);
	a->ctr.relay_bytes_out += len;
	reg_expect(r);
	return 0;
}

int
reg_relay_busy(struct agent *a)
{
	struct reg *r = a->reg;

	return r != NULL && r->use_tcp && regtcp_busy(r);
}

void
reg_relay_in(struct reg *r, const uint8_t *pkt, size_t len)
{
	const uint8_t *pt = r->a->buf->relay_in, *inner;
	uint8_t type = 0;
	uint32_t src;
	ssize_t n;

	if (!r->chan_ok || r->phase != PH_UP) {
		r->a->ctr.dropped++;
		return;
	}
	if (pkt[0] == WIRE_RELAY_MAC) {
		/* The body in the clear (encrypted end to end), then a tag. */
		n = chan_open_mac(&r->chan, WIRE_RELAY_MAC, pkt, len, NULL);
		pt = pkt + CHAN_HDR_LEN;
	} else
		n = chan_open(&r->chan, WIRE_RELAY, pkt, len,
		    r->a->buf->relay_in, AGENT_UDP_MTU, NULL);
	if (n >= 0)
		reg_heard(r);	/* the server is there (reg_check) */
	if (n < (ssize_t)WIRE_RELAY_ID_LEN) {
		r->a->ctr.dropped++;
		return;
	}
	src = (uint32_t)pt[0] << 24 | (uint32_t)pt[1] << 16 |
	    (uint32_t)pt[2] << 8 | pt[3];
	inner = pt + WIRE_RELAY_ID_LEN;
	n -= WIRE_RELAY_ID_LEN;
	if (wire_classify(inner, (size_t)n, &type, NULL) != WIRE_CLASS_P2P ||
	    (type != WIRE_HS_INIT && type != WIRE_HS_RESP &&
	    type != WIRE_DATA)) {
		r->a->ctr.dropped++;
		return;
	}
	(void)src;	/* the packet's own keys say whose it is */
	r->a->hooks.relayed(r->a, type, inner, (size_t)n);
}

void
reg_path_report(struct agent *a, const char *peer_id, const char *path)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__PathReport pr = P2P__SRV__PATH_REPORT__INIT;

	if (!reg_relay_ok(a))
		return;
	pr.peer_id = (char *)peer_id;
	pr.path = (char *)path;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_PATH_REPORT;
	m.path_report = &pr;
	(void)reg_send_msg(a->reg, &m);
}

void
reg_server_addr(struct agent *a, char *buf, size_t len)
{
	struct reg *r = a->reg;

	if (r == NULL || !r->have_srv) {
		snprintf(buf, len, "server");
		return;
	}
	addr_fmt((struct sockaddr *)(r->use_tcp ? &r->srv_tcp : &r->srv), buf,
	    len);
}

/* --- token ------------------------------------------------------- */

/*
 * the registration token, from --token or --token-file.
 *
 * The agent cannot verify a token (it has no secret) but reads its body
 * (PROTOCOL.md §5): the peer id, to know and show who it is, and, in a
 * version 2 token, the server keys to trust (PROTOCOL.md §2.1), beside
 * those given with --server-key. Without any key the agent refuses to
 * start unless --allow-unauthenticated-server says otherwise. A token
 * file that others can read is refused: the token is a credential (its
 * group may read it, as a unit's credentials are given).
 */
/* The keys of --server-key (checked at start: reg_load_token). */
static unsigned
reg_conf_keys(struct agent *a, uint8_t keys[][32], unsigned max)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < a->conf.server_keys.n && n < max; i++)
		if (reghs_key_from_b64(a->conf.server_keys.v[i], keys[n]) == 0)
			n++;
	return n;
}

int
reg_keys(struct agent *a, uint8_t keys[][32], unsigned max)
{
	struct token t;
	char err[128];
	unsigned n, i, j;

	n = reg_conf_keys(a, keys, max);
	if (a->token == NULL || token_peek(a->token, &t, err,
	    sizeof(err)) != TOKEN_OK)
		return (int)n;
	for (i = 0; i < t.nkeys && n < max; i++) {
		for (j = 0; j < n; j++)
			if (memcmp(keys[j], t.keys[i], 32) == 0)
				break;
		if (j == n)
			memcpy(keys[n++], t.keys[i], 32);
	}
	return (int)n;
}

/* --server-key values, and a key to trust from somewhere. */
static int
reg_check_keys(struct agent *a, const struct token *t)
{
	uint8_t k[32];
	size_t i;

	for (i = 0; i < a->conf.server_keys.n; i++)
		if (reghs_key_from_b64(a->conf.server_keys.v[i], k) != 0) {
			log_warnx("--server-key: '%.60s' is not a server key "
			    "(44 characters of base64, as p2p-server key "
			    "prints it)", a->conf.server_keys.v[i]);
			return -1;
		}
	if (a->conf.server_keys.n > 0 || t->nkeys > 0)
		return 0;
	if (!a->conf.allow_unauth) {
		log_warnx("no server key to trust: the token (version %u) "
		    "carries none and no --server-key is given. Give "
		    "--server-key KEY (p2p-server key prints it), use a token "
		    "that carries it, or --allow-unauthenticated-server to "
		    "register with any server that answers", t->version);
		return -1;
	}
	log_warnx("WARNING: --allow-unauthenticated-server and no server key: "
	    "whoever answers at the server's address can read this agent's "
	    "token, introduce any peer as anyone, and read its sessions");
	return 0;
}

static char *
reg_token_read(const char *path)
{
	char buf[TOKEN_MAX_LEN + 64], *s;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("token file %s", path);
		return NULL;
	}
	/* As the server refuses its secrets: the token may have leaked. */
	if (fstat(fd, &st) == -1 || (st.st_mode & 007) != 0) {
		log_warnx("token file %s is accessible by others (mode %03o): "
		    "refusing it; chmod o-rwx it (and mint a new token if it "
		    "may have leaked)", path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_warn("token file %s", path);
		return NULL;
	}
	buf[n] = '\0';
	len = strlen(buf);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	s = buf;
	while (isspace((unsigned char)*s))
		s++;
	if ((s = strdup(s)) == NULL)
		log_warn("%s", __func__);
	return s;
}

int
reg_load_token(struct agent *a)
{
	struct token t;
	char err[256], *tok;

	if (a->conf.token_file != NULL)
		tok = reg_token_read(a->conf.token_file);
	else
		tok = strdup(a->conf.token);
	if (tok == NULL)
		return -1;
	if (token_peek(tok, &t, err, sizeof(err)) != TOKEN_OK) {
		log_warnx("%s: not a p2pd token: %s", a->conf.token_file ?
		    a->conf.token_file : "--token", err);
		free(tok);
		return -1;
	}
	if (reg_check_keys(a, &t) == -1) {
		free(tok);
		return -1;
	}
	if (a->peer_id[0] != '\0' && strcmp(a->peer_id, t.peer_id) != 0)
		log_warnx("new token is for peer %s, was %s", t.peer_id,
		    a->peer_id);
	free(a->token);
	a->token = tok;
	snprintf(a->peer_id, sizeof(a->peer_id), "%s", t.peer_id);
	return 0;
}

void
reg_reload_token(struct agent *a)
{
	if (a->conf.token_file == NULL)
		return;
	if (reg_load_token(a) == -1) {
		log_warnx("keeping the previous token");
		return;
	}
	log_info("token re-read from %s", a->conf.token_file);
	if (a->reg != NULL && a->reg->state == REG_REJECTED) {
		a->reg->backoff = 1;
		reg_start(a->reg);
	}
}
