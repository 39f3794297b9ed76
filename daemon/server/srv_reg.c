/* SPDX-License-Identifier: ISC */
/*
 * srv_reg.c: what arrives on the server's port, and registration.
 *
 * srv_packet() classifies with wire_classify(): REG_HELLO makes a pending
 * entry (capped, 10 s, random id) and a REG_CHALLENGE; CTRL goes to the
 * session of its reg_id, or, carrying a pending id, is the Register; a bad
 * version gets VERSION_ERROR; the rest is dropped and counted. Replies to
 * packets not yet authenticated are never larger than the request.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "cluster.h"
#include "log.h"
#include "nodemsg.h"
#include "server.h"
#include "token.h"
#include "wire.h"

#define REG_SIG_CONTEXT	"p2pd-register-v1"

static size_t
srv_bucket(uint32_t id)
{
	return (size_t)(id * 2654435761U) % SRV_BUCKETS;
}

static struct srv_pending *
srv_pending_find(struct srv *s, uint32_t id)
{
	struct srv_pending *p;

	for (p = s->pending[srv_bucket(id)]; p != NULL; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

struct srv_sess *
srv_sess_find(struct srv *s, uint32_t reg_id)
{
	struct srv_sess *x;

	for (x = s->sess[srv_bucket(reg_id)]; x != NULL; x = x->next)
		if (x->reg_id == reg_id)
			return x;
	return NULL;
}

/* A random id in use by neither table (0 is never an id). */
static uint32_t
srv_fresh_id(struct srv *s)
{
	uint32_t id;

	do {
		id = randombytes_random();
		if (s->cluster != NULL)	/* the node's slot in the top byte */
			id = cluster_reg_id(s->cluster, id);
	} while (id == 0 || srv_pending_find(s, id) != NULL ||
	    srv_sess_find(s, id) != NULL);
	return id;
}

static void
srv_pending_free(struct srv_pending *p)
{
	ctlchan_wipe(&p->chan);
	sodium_memzero(p, sizeof(*p));
	free(p);
}

static void
srv_hello(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	struct srv_pending *p;
	uint8_t client_pk[32], out[WIRE_CHALLENGE_LEN];
	size_t b;
	int n;

	s->cnt.hellos++;
	if (wire_hello_parse(pkt, len, client_pk) == -1) {
		s->cnt.dropped_malformed++;
		return;
	}
	if (s->npending >= SRV_PENDING_MAX ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		s->cnt.pending_full++;
		return;
	}
	p->id = srv_fresh_id(s);
	p->created_us = srv_now_us();
	memcpy(p->client_pk, client_pk, 32);
	crypto_kx_keypair(p->server_pk, p->server_sk);
	randombytes_buf(p->challenge, sizeof(p->challenge));
	if (ctlchan_init_kx_server(&p->chan, p->server_pk, p->server_sk,
	    p->client_pk, p->id) == -1) {
		srv_pending_free(p);	/* a bad client key */
		s->cnt.dropped_malformed++;
		return;
	}
	b = srv_bucket(p->id);
	p->next = s->pending[b];
	s->pending[b] = p;
	s->npending++;
	n = wire_challenge_build(out, sizeof(out), p->id, p->server_pk,
	    p->challenge);
	if (n > 0 && (size_t)n <= len)
		srv_send(s, from, tcp, out, (size_t)n);
}

static int
srv_reg_check_sig(const struct srv_pending *p, const P2p__Srv__Register *r)
{
	uint8_t m[sizeof(REG_SIG_CONTEXT) - 1 + 96];
	size_t off = sizeof(REG_SIG_CONTEXT) - 1;

	memcpy(m, REG_SIG_CONTEXT, off);
	memcpy(m + off, p->challenge, 32);
	memcpy(m + off + 32, p->client_pk, 32);
	memcpy(m + off + 64, p->server_pk, 32);
	return crypto_sign_verify_detached(r->signature.data, m, sizeof(m),
	    r->identity_key.data);
}

/* Validate the Register; fill sp. On failure *code and msg say why. */
static int
srv_reg_validate(struct srv *s, const struct srv_pending *p,
    const P2p__Srv__Register *r, struct state_peer *sp,
    P2p__Srv__ErrCode *code, char *msg, size_t msglen)
{
	struct token t;
	socklen_t sl;
	size_t i;

	*code = P2P__SRV__ERR_CODE__ERR_MALFORMED;
	if (r->wire_version != WIRE_VERSION) {
		*code = P2P__SRV__ERR_CODE__ERR_VERSION;
		snprintf(msg, msglen, "server speaks wire version %d, agent "
		    "sent %u", WIRE_VERSION, r->wire_version);
		return -1;
	}
	if (r->identity_key.len != crypto_sign_PUBLICKEYBYTES ||
	    r->signature.len != crypto_sign_BYTES || r->token == NULL) {
		snprintf(msg, msglen, "identity key must be 32 bytes and "
		    "signature 64");
		return -1;
	}
	switch (srv_token_verify(s, r->token, srv_now_unix(), &t, msg,
	    msglen)) {
	case TOKEN_OK:
		break;
	case TOKEN_EXPIRED:
		*code = P2P__SRV__ERR_CODE__ERR_TOKEN_EXPIRED;
		return -1;
	default:
		*code = P2P__SRV__ERR_CODE__ERR_TOKEN_INVALID;
		return -1;
	}
	if (t.expires_at > t.issued_at &&
	    t.expires_at - t.issued_at > (uint64_t)s->conf.max_token_ttl) {
		*code = P2P__SRV__ERR_CODE__ERR_TOKEN_INVALID;
		snprintf(msg, msglen, "token of peer %s lives %llu s, longer "
		    "than this server's --max-token-ttl %ld", t.peer_id,
		    (unsigned long long)(t.expires_at - t.issued_at),
		    s->conf.max_token_ttl);
		return -1;
	}
	if (srv_reg_check_sig(p, r) != 0) {
		*code = P2P__SRV__ERR_CODE__ERR_BAD_SIGNATURE;
		snprintf(msg, msglen, "registration signature of peer %s does "
		    "not verify with its identity key", t.peer_id);
		return -1;
	}
	memset(sp, 0, sizeof(*sp));
	memcpy(sp->peer_id, t.peer_id, sizeof(sp->peer_id));
	memcpy(sp->identity_key, r->identity_key.data, 32);
	for (i = 0; i < r->n_local_addrs && sp->nlocal < STATE_MAX_LOCAL; i++)
		if (addr_from_pb(r->local_addrs[i],
		    &sp->local_addrs[sp->nlocal], &sl) == 0)
			sp->nlocal++;
	memcpy(sp->groups, t.groups, sizeof(sp->groups));
	sp->ngroups = t.ngroups;
	sp->issued_at = t.issued_at;
	sp->expires_at = t.expires_at;
	sp->aesni = r->aesni;
	return 0;
}

static void
srv_registered_reply(struct srv *s, struct srv_sess *x, uint32_t id,
    uint64_t token_expires)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Registered r = P2P__SRV__REGISTERED__INIT;
	P2p__Srv__Addr pa = P2P__SRV__ADDR__INIT;
	uint8_t ip[16];

	r.reg_id = x->reg_id;
	if (addr_to_pb((struct sockaddr *)&x->addr, &pa, ip) == 0)
		r.public_addr = &pa;
	r.keepalive_s = (uint32_t)s->conf.keepalive_s;
	r.expire_s = (uint32_t)s->conf.expire_s;
	r.token_expires = token_expires;
	m.id = id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTERED;
	m.registered = &r;
	(void)srv_ctrl_send(s, &x->chan, &m, (struct sockaddr *)&x->addr,
	    x->tcp, SRV_PKT_MAX);
}

/* Make the node-local session; takes the channel state of p. */
static struct srv_sess *
srv_sess_new(struct srv *s, struct srv_pending *p, uint32_t reg_id,
    const char *peer_id, const struct sockaddr *from, struct srv_tcp *tcp)
{
	struct srv_sess *x;
	size_t b;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->srv = s;
	x->reg_id = reg_id;
	snprintf(x->peer_id, sizeof(x->peer_id), "%s", peer_id);
	x->chan = p->chan;	/* same keys, counters and replay window */
	x->chan.remote_index = reg_id;
	memcpy(&x->addr, from, addr_len(from));
	x->tcp = tcp;
	x->next_push_seq = 1;
	x->nat_type = x->nat_mapping = x->nat_filtering = "unknown";
	b = srv_bucket(reg_id);
	x->next = s->sess[b];
	s->sess[b] = x;
	s->nsess++;
	return x;
}

/* A Register whose state write is under way (struct srv_pending.busy). */
struct srv_reg_op {
	struct srv		*srv;
	uint32_t		 pending_id;
	uint32_t		 msg_id;
	uint32_t		 reg_id;
	size_t			 reqlen;
	char			 peer_id[P2P_NAME_MAX + 1];
	uint64_t		 expires_at;
};

static void
srv_refuse(struct srv *s, struct srv_pending *p, uint32_t id,
    P2p__Srv__ErrCode code, const char *msg, size_t reqlen)
{
	char a[ADDR_STRLEN];

	s->cnt.reg_refused++;
	log_info("registration from %s refused: %s",
	    addr_fmt((struct sockaddr *)&p->from, a, sizeof(a)), msg);
	srv_ctrl_error(s, &p->chan, id, code, msg, (struct sockaddr *)&p->from,
	    p->tcp, reqlen);
}

/* The state has the registration (or refused it). */
static void
srv_registered(const struct state_result *r, void *arg)
{
	struct srv_reg_op *op = arg;
	struct srv *s = op->srv;
	struct srv_pending *p = srv_pending_find(s, op->pending_id);
	struct srv_sess *x;
	char msg[256], a[ADDR_STRLEN];
	uint32_t replaced;

	if (p == NULL || p->tcp_gone) {
		/* Expired or its connection closed while Redis answered. */
		if (r->rc == STATE_OK)
			state_unregister_cb(s->state, op->reg_id, NULL, NULL);
		if (r->rc == STATE_OK && r->replaced != 0)
			srv_sess_drop(s, r->replaced);
		goto out;
	}
	p->busy = 0;
	if (r->rc == STATE_KEY_MISMATCH) {
		snprintf(msg, sizeof(msg), "peer %s is registered with another "
		    "identity key", op->peer_id);
		srv_refuse(s, p, op->msg_id,
		    P2P__SRV__ERR_CODE__ERR_KEY_MISMATCH, msg, op->reqlen);
		goto out;
	} else if (r->rc == STATE_UNAVAILABLE) {
		srv_refuse(s, p, op->msg_id, P2P__SRV__ERR_CODE__ERR_BUSY,
		    "cluster state unavailable", op->reqlen);
		goto out;
	} else if (r->rc != STATE_OK) {
		srv_refuse(s, p, op->msg_id, P2P__SRV__ERR_CODE__ERR_BUSY,
		    "server is full", op->reqlen);
		goto out;
	}
	if ((replaced = r->replaced) != 0)
		srv_sess_drop(s, replaced);
	/* One registration per TCP connection: a new one ends the old. */
	if (p->tcp != NULL && (replaced = srv_tcp_get_reg(p->tcp)) != 0) {
		state_unregister_cb(s->state, replaced, NULL, NULL);
		srv_sess_drop(s, replaced);
	}
	if ((x = srv_sess_new(s, p, op->reg_id, op->peer_id,
	    (struct sockaddr *)&p->from, p->tcp)) == NULL) {
		state_unregister_cb(s->state, op->reg_id, NULL, NULL);
		goto out;
	}
	if (p->tcp != NULL)
		srv_tcp_set_reg(p->tcp, op->reg_id);
	p->reg_id = op->reg_id;
	s->cnt.registrations++;
	log_info("peer %s registered from %s (reg %08x, %s%s)", op->peer_id,
	    addr_fmt((struct sockaddr *)&p->from, a, sizeof(a)), op->reg_id,
	    p->tcp ? "tcp" : "udp",
	    r->replaced ? ", replacing the previous registration" : "");
	srv_registered_reply(s, x, op->msg_id, op->expires_at);
out:
	free(op);
}

static void
srv_register(struct srv *s, struct srv_pending *p, uint32_t id,
    const P2p__Srv__Register *r, const struct sockaddr *from,
    struct srv_tcp *tcp, size_t reqlen)
{
	struct state_peer sp;
	struct srv_reg_op *op;
	P2p__Srv__ErrCode code;
	char msg[256];

	memset(&p->from, 0, sizeof(p->from));
	memcpy(&p->from, from, addr_len(from));
	p->tcp = tcp;
	if (srv_reg_validate(s, p, r, &sp, &code, msg, sizeof(msg)) == -1) {
		srv_refuse(s, p, id, code, msg, reqlen);
		return;
	}
	if (s->draining) {
		srv_refuse(s, p, id, P2P__SRV__ERR_CODE__ERR_BUSY, "this node "
		    "is draining (shutting down): register with another",
		    reqlen);
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL)
		return;		/* the agent sends it again */
	op->srv = s;
	op->pending_id = p->id;
	op->msg_id = id;
	op->reg_id = srv_fresh_id(s);
	op->reqlen = reqlen;
	snprintf(op->peer_id, sizeof(op->peer_id), "%s", sp.peer_id);
	op->expires_at = sp.expires_at;
	sp.reg_id = op->reg_id;
	memcpy(&sp.public_addr, from, addr_len(from));
	sp.transport = tcp != NULL ? STATE_TCP : STATE_UDP;
	sp.last_seen_us = srv_now_us();
	p->busy = 1;
	state_register_cb(s->state, &sp, srv_now_unix(), srv_registered, op);
}

/* A TCP connection closed: its pending registrations cannot answer. */
void
srv_reg_tcp_closed(struct srv *s, struct srv_tcp *tcp)
{
	struct srv_pending *p;
	size_t b;

	for (b = 0; b < SRV_BUCKETS; b++)
		for (p = s->pending[b]; p != NULL; p = p->next)
			if (p->tcp == tcp) {
				p->tcp = NULL;
				p->tcp_gone = 1;
			}
}

/* A CTRL packet whose reg_id is a pending id: the Register (or a resend). */
static void
srv_pending_ctrl(struct srv *s, struct srv_pending *p, const uint8_t *pkt,
    size_t len, const struct sockaddr *from, struct srv_tcp *tcp)
{
	P2p__Srv__ServerMsg *m;
	struct srv_sess *x;
	uint8_t pt[SRV_PKT_MAX];
	ssize_t n;

	if (p->busy)
		return;		/* the state has not answered the first one */
	if (p->reg_id != 0) {
		/*
		 * The Registered reply was lost: the session answers. Once the
		 * session is gone the pending keys are dead: the session sealed
		 * with them, so sealing here again would reuse nonces.
		 */
		if ((x = srv_sess_find(s, p->reg_id)) != NULL)
			srv_ctrl_input(s, x, pkt, len, from, tcp);
		else
			s->cnt.unknown_reg++;
		return;
	}
	n = ctlchan_open(&p->chan, WIRE_CTRL, pkt, len, pt, sizeof(pt));
	if (n < 0) {
		s->cnt.ctrl_auth_fail++;
		return;
	}
	m = p2p__srv__server_msg__unpack(NULL, (size_t)n, pt);
	if (m == NULL || m->body_case != P2P__SRV__SERVER_MSG__BODY_REGISTER ||
	    m->register_ == NULL) {
		s->cnt.dropped_malformed++;
		srv_ctrl_error(s, &p->chan, m ? m->id : 0,
		    P2P__SRV__ERR_CODE__ERR_MALFORMED,
		    "the first message must be a Register", from, tcp, len);
	} else
		srv_register(s, p, m->id, m->register_, from, tcp, len);
	if (m != NULL)
		p2p__srv__server_msg__free_unpacked(m, NULL);
}

static void
srv_ctrl_packet(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	struct srv_pending *p;
	struct srv_sess *x;
	uint32_t id = chan_peek_index(pkt, len);

	if ((x = srv_sess_find(s, id)) != NULL)
		srv_ctrl_input(s, x, pkt, len, from, tcp);
	else if ((p = srv_pending_find(s, id)) != NULL)
		srv_pending_ctrl(s, p, pkt, len, from, tcp);
	else
		srv_unknown_reg(s, id, len, from, tcp);
}

/* UNKNOWN_REG for a packet of len bytes naming id: never larger than it. */
void
srv_unknown_reg(struct srv *s, uint32_t id, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	uint8_t out[WIRE_UNKNOWN_REG_LEN];
	int n;

	s->cnt.unknown_reg++;
	n = wire_unknown_reg_build(out, sizeof(out), id);
	if (n > 0 && (size_t)n <= len)
		srv_send(s, from, tcp, out, (size_t)n);
}

void
srv_packet(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	uint8_t type = 0, version = 0, out[WIRE_VERSION_ERROR_LEN];
	int n;

	switch (wire_classify(pkt, len, &type, &version)) {
	case WIRE_CLASS_P2P:
		if (type == WIRE_REG_HELLO)
			srv_hello(s, pkt, len, from, tcp);
		else if (type == WIRE_CTRL)
			srv_ctrl_packet(s, pkt, len, from, tcp);
		else if (type == WIRE_RELAY)
			srv_relay_input(s, pkt, len, from, tcp);
		else if (type == WIRE_NODE)
			srv_node_input(s, pkt, len, from, tcp);
		else
			s->cnt.dropped_malformed++;
		break;
	case WIRE_CLASS_BAD_VERSION:
		s->cnt.dropped_version++;
		n = wire_version_error_build(out, sizeof(out), version);
		if (n > 0 && (size_t)n <= len)
			srv_send(s, from, tcp, out, (size_t)n);
		break;
	case WIRE_CLASS_STUN:	/* not over TCP */
	case WIRE_CLASS_JUNK:
	default:
		s->cnt.dropped_malformed++;
		break;
	}
}

static void
srv_sess_free(struct srv_sess *x)
{
	srv_push_clear(x);
	srv_paths_free(x);
	ctlchan_wipe(&x->chan);
	free(x->attrs);
	free(x);
}

void
srv_sess_drop(struct srv *s, uint32_t reg_id)
{
	struct srv_sess **xp, *x;

	for (xp = &s->sess[srv_bucket(reg_id)]; (x = *xp) != NULL;
	    xp = &x->next)
		if (x->reg_id == reg_id) {
			*xp = x->next;
			s->nsess--;
			if (x->tcp != NULL && srv_tcp_get_reg(x->tcp) == reg_id)
				srv_tcp_set_reg(x->tcp, 0);
			srv_sess_free(x);
			return;
		}
}

static void
srv_on_expired(uint32_t reg_id, const char *peer_id, void *arg)
{
	struct srv *s = arg;

	s->cnt.expired++;
	log_info("peer %s: registration expired", peer_id);
	srv_sess_drop(s, reg_id);
}

void
srv_reg_tick(struct srv *s, uint64_t now_us)
{
	struct srv_pending **pp, *p;
	size_t b;

	for (b = 0; b < SRV_BUCKETS; b++) {
		pp = &s->pending[b];
		while ((p = *pp) != NULL) {
			if (now_us - p->created_us >= SRV_PENDING_US) {
				*pp = p->next;
				s->npending--;
				srv_pending_free(p);
			} else
				pp = &p->next;
		}
	}
	(void)state_expire(s->state, now_us,
	    (uint64_t)s->conf.expire_s * 1000000ULL, srv_now_unix(),
	    srv_on_expired, s);
}

void
srv_reg_free(struct srv *s)
{
	struct srv_pending *p;
	struct srv_sess *x;
	size_t b;

	for (b = 0; b < SRV_BUCKETS; b++) {
		while ((p = s->pending[b]) != NULL) {
			s->pending[b] = p->next;
			srv_pending_free(p);
		}
		while ((x = s->sess[b]) != NULL) {
			s->sess[b] = x->next;
			if (x->tcp != NULL)
				srv_tcp_set_reg(x->tcp, 0);
			srv_sess_free(x);
		}
	}
	s->npending = s->nsess = 0;
}
