/* SPDX-License-Identifier: ISC */
/*
 * srv_reg.c: what arrives on the server's port, and registration
 * (PROTOCOL.md §2.1).
 *
 * srv_packet() classifies with wire_classify(). REG_HELLO is answered
 * with a REG_CHALLENGE made from the packet alone: a cookie (a MAC over
 * the source address and the agent's ephemeral key, srv_ident.c) and the
 * server's public keys; nothing is kept and no Diffie-Hellman is done, so
 * a flood of spoofed hellos costs no memory. REG_INIT is worked on only
 * with a good cookie: then one X25519 opens it (the Noise NK handshake,
 * reghs.h), the Register inside is checked (token, identity signature,
 * pin) and REG_ACCEPT answers with Registered or Error, sealed so that
 * only that agent can read it and only this server could write it. A
 * replayed or resent REG_INIT is answered from the registration it made
 * (srv_recent.c), never registered twice. The state's write may answer
 * later (a cluster's Redis): the handshake waits in a struct srv_reg_op
 * and REG_ACCEPT goes out from its callback. CTRL goes to the session of
 * its reg_id, NODE to srv_node.c; a bad version gets VERSION_ERROR; the
 * rest is dropped and counted. Replies to packets not yet authenticated
 * are never larger than the request.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "candfilter.h"
#include "log.h"
#include "reghs.h"
#include "server.h"
#include "srv_quota.h"
#include "token.h"
#include "wire.h"

/*
 * Every SRV_HELLO_AGE_S the known sources' older generation goes, and the
 * addresses of this node's registrations are marked in the new one.
 */
static void
srv_hello_turn(struct srv *s, uint64_t now)
{
	struct srv_sess *x;
	size_t b;

	srv_reg_hello_turn(&s->hello, now);
	for (b = 0; b < SRV_BUCKETS; b++)
		for (x = s->sess[b]; x != NULL; x = x->next)
			if (x->tcp == NULL)
				srv_reg_hello_known(&s->hello, &x->addr.sa);
}

/*
 * The REG_CHALLENGE for e_pk at from, if it is not larger than maxlen and
 * the source may have one now (srv_reg_hello.h).
 */
static void
srv_challenge(struct srv *s, const uint8_t e_pk[32],
    const struct sockaddr *from, struct srv_tcp *tcp, size_t maxlen)
{
	uint8_t cookie[REGHS_COOKIE_LEN], out[WIRE_CHALLENGE_MAX];
	uint64_t now = srv_now_us();
	int n;

	if (srv_reg_hello_due(&s->hello, now))
		srv_hello_turn(s, now);
	if (!srv_reg_hello_answer(&s->hello, from, tcp != NULL, now)) {
		s->cnt.hellos_held++;
		return;
	}
	srv_ident_cookie(&s->ident, now, from, e_pk, cookie);
	n = wire_challenge_build(out, sizeof(out), cookie,
	    (const uint8_t *)s->ident.pk, s->ident.nkeys);
	if (n > 0 && (size_t)n <= maxlen)
		srv_send(s, from, tcp, out, (size_t)n);
}

static void
srv_hello(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	uint8_t e_pk[32];

	s->cnt.hellos++;
	if (wire_hello_parse(pkt, len, e_pk) == -1) {
		s->cnt.dropped_malformed++;
		return;
	}
	srv_challenge(s, e_pk, from, tcp, len);
}

/* Validate the Register; fill sp (and t, its token). On failure *code and
 * msg say why. */
static int
srv_reg_validate(struct srv *s, const uint8_t server_pk[32],
    const uint8_t e_pk[32], const P2p__Srv__Register *r,
    struct state_peer *sp, struct token *tp, P2p__Srv__ErrCode *code,
    char *msg, size_t msglen)
{
	uint8_t sm[REGHS_SIG_MSG_LEN];
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
	/* A token that lives for years is a credential for years (§5). */
	if (t.expires_at - t.issued_at > (uint64_t)s->conf.max_token_ttl) {
		*code = P2P__SRV__ERR_CODE__ERR_TOKEN_INVALID;
		snprintf(msg, msglen, "token lifetime %llu s is longer than "
		    "this server's --max-token-ttl %ld s", (unsigned long long)
		    (t.expires_at - t.issued_at), s->conf.max_token_ttl);
		return -1;
	}
	reghs_sig_msg(server_pk, e_pk, sm);
	if (crypto_sign_verify_detached(r->signature.data, sm, sizeof(sm),
	    r->identity_key.data) != 0) {
		*code = P2P__SRV__ERR_CODE__ERR_BAD_SIGNATURE;
		snprintf(msg, msglen, "registration signature of peer %s does "
		    "not verify with its identity key", t.peer_id);
		return -1;
	}
	memset(sp, 0, sizeof(*sp));
	memcpy(sp->peer_id, t.peer_id, sizeof(sp->peer_id));
	memcpy(sp->identity_key, r->identity_key.data, 32);
	/*
	 * Host candidates are the agent's claim: only addresses a peer may
	 * probe are passed on, never loopback, link-local, multicast and
	 * the like (candfilter.h).
	 */
	for (i = 0; i < r->n_local_addrs && sp->nlocal < STATE_MAX_LOCAL; i++)
		if (r->local_addrs[i] != NULL &&
		    cand_host_ok(r->local_addrs[i]->ip.data,
		    r->local_addrs[i]->ip.len) &&
		    addr_from_pb(r->local_addrs[i],
		    &sp->local_addrs[sp->nlocal], &sl) == 0)
			sp->nlocal++;
	memcpy(sp->groups, t.groups, sizeof(sp->groups));
	sp->ngroups = t.ngroups;
	sp->issued_at = t.issued_at;
	sp->expires_at = t.expires_at;
	sp->aesni = r->aesni;
	*tp = t;
	return 0;
}

/*
 * Seal m as the REG_ACCEPT of hs into out (at most maxlen bytes); the
 * channel's keys go to k. Its length, or -1 (then hs is wiped).
 */
static int
srv_accept_build(struct reghs *hs, const P2p__Srv__ServerMsg *m, uint8_t *out,
    size_t maxlen, struct reghs_keys *k)
{
	uint8_t pt[SRV_PKT_MAX];
	size_t plen = p2p__srv__server_msg__get_packed_size(m);

	if (plen > sizeof(pt) || plen + WIRE_REG_ACCEPT_HDR_LEN +
	    REGHS_MSG_OVERHEAD > maxlen) {
		reghs_wipe(hs);
		return -1;
	}
	p2p__srv__server_msg__pack(m, pt);
	return reghs_accept_write(hs, NULL, pt, plen, out, maxlen, k);
}

/* An authenticated refusal, never larger than the REG_INIT (maxlen). */
static void
srv_init_refuse(struct srv *s, struct reghs *hs, uint32_t id,
    P2p__Srv__ErrCode code, const char *msg, const struct sockaddr *from,
    struct srv_tcp *tcp, size_t maxlen)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Error e = P2P__SRV__ERROR__INIT;
	uint8_t out[SRV_PKT_MAX];
	struct reghs_keys k;
	char buf[256], a[ADDR_STRLEN];
	size_t len, room;
	int n;

	s->cnt.reg_refused++;
	log_info("registration from %s refused: %s", addr_fmt(from, a,
	    sizeof(a)), msg);
	snprintf(buf, sizeof(buf), "%s", msg);
	e.code = code;
	e.message = buf;
	m.id = id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_ERROR;
	m.error = &e;
	room = maxlen < sizeof(out) ? maxlen : sizeof(out);
	/* Shorten the message until the reply fits. */
	for (len = strlen(buf); p2p__srv__server_msg__get_packed_size(&m) +
	    WIRE_REG_ACCEPT_HDR_LEN + REGHS_MSG_OVERHEAD > room; len /= 2) {
		if (len == 0) {
			reghs_wipe(hs);
			return;
		}
		buf[len / 2] = '\0';
	}
	if ((n = srv_accept_build(hs, &m, out, room, &k)) > 0)
		srv_send(s, from, tcp, out, (size_t)n);
	sodium_memzero(&k, sizeof(k));
}

/*
 * A validated Register the state is writing (a cluster's Redis answers
 * later; the memory backend at once). It holds the handshake, so the
 * answer is sealed for that agent when the state has answered. Its
 * REG_INIT's recent entry is busy meanwhile: a resend is dropped.
 */
struct srv_reg_op {
	struct srv		*srv;
	struct reghs		 hs;
	uint32_t		 msg_id;
	uint32_t		 reg_id;
	size_t			 maxlen;	/* the REG_INIT's length */
	char			 peer_id[P2P_NAME_MAX + 1];
	uint64_t		 expires_at;
	/* The token's matchmaking attributes (they override the claims). */
	struct match_attr	 attrs[MATCH_ATTRS_MAX];
	unsigned		 nattrs;
	struct sockaddr_storage	 from;
	struct srv_tcp		*tcp;
	int			 tcp_gone;	/* its connection closed */
	int			 relay_mac;	/* it takes RELAY_MAC */
	uint32_t		 rtt_us;	/* its round trip, as it says */
	LIST_ENTRY(srv_reg_op)	 link;
};

static void
srv_reg_op_free(struct srv_reg_op *op)
{
	LIST_REMOVE(op, link);
	reghs_wipe(&op->hs);
	sodium_memzero(op, sizeof(*op));
	free(op);
}

/*
 * The state has the registration of op: the session on the handshake's
 * keys, the REG_ACCEPT (kept until the agent uses the channel, for
 * resends). -1 when the answer could not be made (op->hs is then spent).
 */
static int
srv_registered(struct srv *s, struct srv_reg_op *op, uint32_t replaced)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Registered rd = P2P__SRV__REGISTERED__INIT;
	P2p__Srv__Addr pa = P2P__SRV__ADDR__INIT, oa = P2P__SRV__ADDR__INIT;
	const struct sockaddr *from = (struct sockaddr *)&op->from;
	struct sockaddr_storage other;
	uint8_t ip[16], oip[16], out[SRV_PKT_MAX];
	struct srv_recent *r;
	struct reghs_keys k;
	struct srv_sess *x;
	uint32_t old;
	char a[ADDR_STRLEN];
	int n;

	rd.reg_id = op->reg_id;
	if (addr_to_pb(from, &pa, ip) == 0)
		rd.public_addr = &pa;
	rd.keepalive_s = (uint32_t)s->conf.keepalive_s;
	rd.expire_s = (uint32_t)s->conf.expire_s;
	rd.token_expires = op->expires_at;
	rd.relay_mac = 1;
	/* Where it learns its reflexive address of the other family. */
	if (srv_listen_other(s, from->sa_family, &other) == 0 &&
	    addr_to_pb((struct sockaddr *)&other, &oa, oip) == 0)
		rd.other_family = &oa;
	m.id = op->msg_id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTERED;
	m.registered = &rd;
	n = srv_accept_build(&op->hs, &m, out, op->maxlen < sizeof(out) ?
	    op->maxlen : sizeof(out), &k);
	x = n < 0 ? NULL : srv_sess_new(s, op->reg_id, op->peer_id, &k, from,
	    op->tcp);
	sodium_memzero(&k, sizeof(k));
	if (x == NULL || (x->accept = malloc((size_t)n)) == NULL) {
		if (x != NULL)
			srv_sess_drop(s, op->reg_id);
		state_unregister_cb(s->state, op->reg_id, NULL, NULL);
		if (replaced != 0)
			srv_sess_drop(s, replaced);
		return -1;
	}
	memcpy(x->accept, out, (size_t)n);
	x->accept_len = (size_t)n;
	x->token_expires = op->expires_at;
	x->relay_mac = op->relay_mac;
	srv_sess_rtt(x, op->rtt_us);
	if (op->nattrs > 0 && (x->attrs = calloc(op->nattrs,
	    sizeof(*x->attrs))) != NULL) {
		memcpy(x->attrs, op->attrs, op->nattrs * sizeof(*x->attrs));
		x->nattrs = op->nattrs;
	}
	srv_quota_restore(s, x);
	if (replaced != 0)
		srv_sess_replace(s, x, replaced);
	/* One registration per TCP connection: a new one ends the old. */
	if (op->tcp != NULL && (old = srv_tcp_get_reg(op->tcp)) != 0) {
		state_unregister_cb(s->state, old, NULL, NULL);
		srv_sess_replace(s, x, old);
	}
	if (op->tcp != NULL)
		srv_tcp_set_reg(op->tcp, op->reg_id);
	if ((r = srv_recent_find(s, op->hs.e_pk)) == NULL)
		r = srv_recent_add(s, op->hs.e_pk, 0, srv_now_us());
	if (r != NULL) {
		r->reg_id = op->reg_id;
		r->busy = 0;
	}
	s->cnt.registrations++;
	log_info("peer %s registered from %s (reg %08x, %s%s)", op->peer_id,
	    addr_fmt(from, a, sizeof(a)), op->reg_id, op->tcp ? "tcp" : "udp",
	    replaced ? ", replacing the previous registration" : "");
	srv_send(s, from, op->tcp, x->accept, x->accept_len);
	srv_nodes_push(s, x);
	return 0;
}

/* The state's answer to the registration of op. */
static void
srv_reg_written(const struct state_result *r, void *arg)
{
	struct srv_reg_op *op = arg;
	struct srv *s = op->srv;
	char msg[256];

	if (op->tcp_gone) {
		/* Its connection closed while the state answered. */
		srv_recent_drop(s, op->hs.e_pk);
		if (r->rc == STATE_OK)
			state_unregister_cb(s->state, op->reg_id, NULL, NULL);
		if (r->rc == STATE_OK && r->replaced != 0)
			srv_sess_drop(s, r->replaced);
		goto out;
	}
	if (r->rc == STATE_OK) {
		if (srv_registered(s, op, r->replaced) == -1) {
			srv_recent_drop(s, op->hs.e_pk);
			log_warnx("%s: no room to answer the registration of "
			    "%s", __func__, op->peer_id);
		}
		goto out;
	}
	/* Refused: a resend is looked at afresh. */
	srv_recent_drop(s, op->hs.e_pk);
	if (r->rc == STATE_KEY_MISMATCH) {
		snprintf(msg, sizeof(msg), "peer %s is registered with another "
		    "identity key", op->peer_id);
		srv_init_refuse(s, &op->hs, op->msg_id,
		    P2P__SRV__ERR_CODE__ERR_KEY_MISMATCH, msg,
		    (struct sockaddr *)&op->from, op->tcp, op->maxlen);
	} else
		srv_init_refuse(s, &op->hs, op->msg_id,
		    P2P__SRV__ERR_CODE__ERR_BUSY, r->rc == STATE_UNAVAILABLE ?
		    "cluster state unavailable" : "server is full",
		    (struct sockaddr *)&op->from, op->tcp, op->maxlen);
out:
	srv_reg_op_free(op);
}

/*
 * Hand the registration of a validated Register (sp) to the state; the
 * answer is srv_reg_written's. -1 with code and msg for a refusal now.
 */
static int
srv_register(struct srv *s, struct reghs *hs, uint32_t id,
    struct state_peer *sp, const struct token *t,
    const P2p__Srv__Register *rg, const struct sockaddr *from,
    struct srv_tcp *tcp, size_t maxlen,
    P2p__Srv__ErrCode *code, char *msg, size_t msglen)
{
	struct srv_recent *r;
	struct srv_reg_op *op;

	if (s->draining) {
		*code = P2P__SRV__ERR_CODE__ERR_BUSY;
		snprintf(msg, msglen, "this node is draining (shutting down): "
		    "register with another");
		return -1;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		*code = P2P__SRV__ERR_CODE__ERR_BUSY;
		snprintf(msg, msglen, "server is full");
		return -1;
	}
	op->srv = s;
	op->hs = *hs;		/* the caller wipes its copy */
	op->msg_id = id;
	op->reg_id = srv_fresh_id(s);
	op->maxlen = maxlen;
	snprintf(op->peer_id, sizeof(op->peer_id), "%s", sp->peer_id);
	op->expires_at = sp->expires_at;
	memcpy(op->attrs, t->attrs, sizeof(op->attrs));
	op->nattrs = t->nattrs;
	memcpy(&op->from, from, addr_len(from));
	op->tcp = tcp;
	op->relay_mac = rg->relay_mac != 0;
	op->rtt_us = rg->rtt_us;
	LIST_INSERT_HEAD(&s->reg_ops, op, link);
	if ((r = srv_recent_add(s, hs->e_pk, 0, srv_now_us())) != NULL)
		r->busy = 1;
	sp->reg_id = op->reg_id;
	memcpy(&sp->public_addr, from, addr_len(from));
	sp->transport = tcp != NULL ? STATE_TCP : STATE_UDP;
	sp->last_seen_us = srv_now_us();
	/* Other nodes time their punching with it (srv_signal.c). */
	sp->rtt_us = rg->rtt_us < SRV_RTT_MAX_US ? rg->rtt_us :
	    SRV_RTT_MAX_US;
	state_register_cb(s->state, sp, srv_now_unix(), srv_reg_written, op);
	return 0;
}

/*
 * A TCP connection closed (s->hooks.tcp_closed): the registration it carried
 * ends, and registrations being written for it cannot answer.
 */
void
srv_reg_tcp_closed(struct srv *s, struct srv_tcp *tcp, uint32_t reg_id)
{
	struct srv_reg_op *op;

	if (reg_id != 0) {
		state_unregister_cb(s->state, reg_id, NULL, NULL);
		srv_sess_drop(s, reg_id);
	}
	LIST_FOREACH(op, &s->reg_ops, link)
		if (op->tcp == tcp) {
			op->tcp = NULL;
			op->tcp_gone = 1;
		}
}

/*
 * At shutdown: writes still under way answer into nothing, then the
 * node-local tables go.
 */
void
srv_reg_free(struct srv *s)
{
	struct srv_reg_op *op;

	LIST_FOREACH(op, &s->reg_ops, link) {
		op->tcp = NULL;
		op->tcp_gone = 1;
	}
	srv_recent_free(s);
	srv_quota_free(s);
	srv_sess_free_all(s);
}

/* A REG_INIT answered before: the same REG_ACCEPT again, or nothing. */
static void
srv_init_again(struct srv *s, const struct srv_recent *r,
    const struct sockaddr *from, struct srv_tcp *tcp, size_t len)
{
	struct srv_sess *x;

	s->cnt.init_replayed++;
	if (r->busy)
		return;		/* the state has not answered the first */
	if ((x = srv_sess_find(s, r->reg_id)) != NULL && x->accept != NULL &&
	    x->accept_len <= len)
		srv_send(s, from, tcp, x->accept, x->accept_len);
}

static void
srv_init(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	uint8_t kid[REGHS_KEY_ID_LEN], cookie[REGHS_COOKIE_LEN], e_pk[32];
	uint8_t pt[SRV_PKT_MAX];
	const uint8_t *sk, *pk = NULL;
	const struct srv_recent *r;
	P2p__Srv__ServerMsg *m;
	P2p__Srv__ErrCode code;
	struct state_peer sp;
	struct token t;
	struct reghs hs;
	char msg[256];
	size_t plen;

	s->cnt.reg_inits++;
	if (reghs_init_peek(pkt, len, kid, cookie, e_pk) == -1) {
		s->cnt.dropped_malformed++;
		return;
	}
	/* A stale cookie (or a forged one) gets a fresh one, nothing else. */
	if (!srv_ident_cookie_ok(&s->ident, srv_now_us(), from, e_pk,
	    cookie)) {
		s->cnt.cookie_fail++;
		srv_challenge(s, e_pk, from, tcp, len);
		return;
	}
	/* The cookie came back from where it went: a source we know. */
	srv_reg_hello_known(&s->hello, from);
	if ((r = srv_recent_find(s, e_pk)) != NULL) {
		srv_init_again(s, r, from, tcp, len);
		return;
	}
	if ((sk = srv_ident_sk(&s->ident, kid, &pk)) == NULL ||
	    reghs_init_read(&hs, sk, pkt, len, pt, sizeof(pt), &plen) == -1) {
		s->cnt.init_auth_fail++;
		return;
	}
	m = p2p__srv__server_msg__unpack(NULL, plen, pt);
	sodium_memzero(pt, sizeof(pt));
	if (m == NULL || m->body_case != P2P__SRV__SERVER_MSG__BODY_REGISTER ||
	    m->register_ == NULL) {
		s->cnt.dropped_malformed++;
		srv_init_refuse(s, &hs, m ? m->id : 0,
		    P2P__SRV__ERR_CODE__ERR_MALFORMED, "a REG_INIT must carry "
		    "a Register", from, tcp, len);
	} else if (srv_reg_validate(s, pk, e_pk, m->register_, &sp, &t,
	    &code, msg, sizeof(msg)) == -1 || srv_register(s, &hs, m->id, &sp,
	    &t, m->register_, from, tcp, len, &code, msg,
	    sizeof(msg)) == -1)
		srv_init_refuse(s, &hs, m->id, code, msg, from, tcp, len);
	reghs_wipe(&hs);
	if (m != NULL)
		p2p__srv__server_msg__free_unpacked(m, NULL);
}

static void
srv_ctrl_packet(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	struct srv_sess *x;
	uint32_t id = chan_peek_index(pkt, len);

	if ((x = srv_sess_find(s, id)) != NULL)
		srv_ctrl_input(s, x, pkt, len, from, tcp);
	else
		srv_unknown_reg(s, id, len, from, tcp);
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
		else if (type == WIRE_REG_INIT)
			srv_init(s, pkt, len, from, tcp);
		else if (type == WIRE_CTRL)
			srv_ctrl_packet(s, pkt, len, from, tcp);
		else if (type == WIRE_RELAY || type == WIRE_RELAY_MAC)
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
