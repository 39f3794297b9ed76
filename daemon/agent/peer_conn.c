/* SPDX-License-Identifier: ISC */
/*
 * peer_conn.c: connecting to peers (peer.h). A connect makes the peer's
 * session and asks the server for an introduction; the server's Introduce
 * fills the directory and, on the initiator's side, starts the handshake;
 * its Error or a Withdraw fails the session's requests. The server decides
 * who may talk: a handshake is only accepted from an introduced key
 * (session_hs.c).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "addr.h"
#include "guard.h"
#include "ipc.pb-c.h"
#include "log.h"
#include "peer.h"
#include "session.h"
#include "wire.h"

/* A start of punching further away than this is taken as this. */
#define PEER_PUNCH_MAX_US	2000000U
/* A fresh introduction that failed is asked for again after 1 s,
 * doubling up to 8 s, for as long as the session lives. */
#define PEER_REINTRO_US		1000000ULL
#define PEER_REINTRO_MAX_US	8000000ULL

int
peer_connect(struct agent *a, const char *id, void *owner, uint32_t req,
    uint32_t timeout_ms)
{
	struct session *s;
	struct peer *p;
	char msg[128];

	if ((p = peer_get(a, id)) == NULL || (s = session_get(p)) == NULL)
		return -1;
	if (owner != NULL && session_wait(s, SOP_CONNECT, owner, req,
	    timeout_ms, 0) == -1)
		return -1;
	if (s->state != SESS_INTRO_WAIT)
		return 0;
	if (reg_connect(a, id) == -1) {
		snprintf(msg, sizeof(msg), "not registered with the server "
		    "(state %s)", reg_state_name(reg_state(a)));
		session_ops_fail(s, P2P__IPC__CODE__ERR_FAILED, 0, msg);
		session_end(s, msg);
	}
	return 0;
}

/*
 * A session that is up asked for a fresh introduction (a registration
 * changed: peer_registered) and the server refused it (the peer not yet
 * in its view, cluster state unavailable during a Redis restart) or did
 * not answer. Without it the peer keeps sending to our old relay id and
 * we to its, the session goes quiet until its idle timeout, and what it
 * had in flight would die with it: ask again later instead. Nothing the
 * session was asked to do failed, so nothing is answered.
 */
static void
peer_reintro_later(struct session *s, const char *msg)
{
	uint64_t wait;

	wait = PEER_REINTRO_US << (s->reintro_tries < 3 ?
	    s->reintro_tries : 3);
	if (wait > PEER_REINTRO_MAX_US)
		wait = PEER_REINTRO_MAX_US;
	s->reintro_tries++;
	s->reintro_at = agent_now() + wait;
	/* The first few at info; a peer gone for long is not worth a line
	 * every PEER_REINTRO_MAX_US. */
	(s->reintro_tries <= 3 ? log_info : log_debug)("fresh introduction "
	    "to %s failed (%s): asking again in %llu ms", s->p->id, msg,
	    (unsigned long long)(wait / 1000));
	session_feed(s);	/* its timer learns reintro_at */
}

void
peer_reintro_due(struct session *s, uint64_t now)
{
	if (s->reintro_at == 0 || now < s->reintro_at)
		return;
	s->reintro_at = 0;
	/* Not registered: peer_registered asks once we are. */
	if (reg_connect(s->a, s->p->id) == 0)
		log_debug("asking again for a fresh introduction to %s",
		    s->p->id);
	else if (reg_state(s->a) == REG_REGISTERED)
		peer_reintro_later(s, "too many requests to the server");
}

void
peer_connect_failed(struct agent *a, const char *id, int code,
    const char *msg)
{
	struct peer *p;

	if ((p = peer_find(a, id)) == NULL || p->s == NULL)
		return;
	if (p->s->state == SESS_UP && !p->s->dead) {
		/* The server's policy will not change its answer by being
		 * asked again: the session goes on as it is. */
		if (code == P2P__IPC__CODE__ERR_POLICY) {
			p->s->reintro_at = 0;
			log_warnx("fresh introduction to %s refused (%s): not "
			    "asking again", p->id, msg);
			return;
		}
		peer_reintro_later(p->s, msg);
		return;
	}
	session_ops_fail(p->s, code, 1, msg);
	if (p->s->state == SESS_INTRO_WAIT)
		session_end(p->s, msg);
}

static int
peer_addr_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

/* Keep an address (IPv4 or IPv6: what addr_from_pb makes) compactly. */
static void
peer_addr_set(union peer_addr *pa, const struct sockaddr_storage *ss)
{
	memset(pa, 0, sizeof(*pa));
	memcpy(pa, ss, addr_len((const struct sockaddr *)ss));
}

static void
peer_set_addrs(struct peer *p, const P2p__Srv__Introduce *in)
{
	struct sockaddr_storage pub, ss;
	socklen_t len;
	size_t i;
	int have_pub;

	p->naddrs = p->nhost = 0;
	memset(&p->portmap, 0, sizeof(p->portmap));
	have_pub = in->public_addr != NULL &&
	    addr_from_pb(in->public_addr, &pub, &len) == 0 &&
	    addr_port((struct sockaddr *)&pub) != 0;
	p->have_pub = have_pub;
	if (have_pub)
		peer_addr_set(&p->pub, &pub);
	/* A port its router mapped: only on the IP the server sees it on. */
	if (have_pub && pub.ss_family == AF_INET && in->portmap_addr != NULL &&
	    addr_from_pb(in->portmap_addr, &ss, &len) == 0 &&
	    ss.ss_family == AF_INET && addr_port((struct sockaddr *)&ss) != 0 &&
	    ((struct sockaddr_in *)&ss)->sin_addr.s_addr ==
	    p->pub.in.sin_addr.s_addr)
		memcpy(&p->portmap, &ss, sizeof(p->portmap));
	/* The server saw the peer on loopback: it runs on this host, and
	 * loopback is the one path to use. */
	if (have_pub && peer_addr_loopback(&pub)) {
		peer_addr_set(&p->addrs[p->naddrs++], &pub);
		return;
	}
	/* Host addresses first: peers behind one NAT reach each other
	 * there without hairpinning; then the public address. */
	for (i = 0; i < in->n_local_addrs && p->naddrs < AGENT_MAX_ADDRS - 2;
	    i++) {
		if (addr_from_pb(in->local_addrs[i], &ss, &len) == 0 &&
		    addr_port((struct sockaddr *)&ss) != 0)
			peer_addr_set(&p->addrs[p->naddrs++], &ss);
	}
	p->nhost = p->naddrs;
	/* Its reflexive address on the other family (refl.c there), a
	 * candidate like pub: the family differs from pub's. */
	if (have_pub && in->other_public != NULL &&
	    addr_from_pb(in->other_public, &ss, &len) == 0 &&
	    ss.ss_family != pub.ss_family &&
	    addr_port((struct sockaddr *)&ss) != 0)
		peer_addr_set(&p->addrs[p->naddrs++], &ss);
	if (have_pub)
		peer_addr_set(&p->addrs[p->naddrs++], &pub);
}

void
peer_introduce(struct agent *a, const P2p__Srv__Introduce *in)
{
	struct session *s;
	struct peer *p;
	uint8_t x_pk[32];
	size_t i;

	if (!p2p_name_valid(in->peer_id) || in->identity_key.len != 32 ||
	    hs_x25519_pk(x_pk, in->identity_key.data) == -1) {
		log_warnx("%s: malformed introduction ignored", __func__);
		return;
	}
	if ((p = peer_get(a, in->peer_id)) == NULL) {
		log_warnx("peer table full: introduction of %s ignored",
		    in->peer_id);
		return;
	}
	if (p->introduced && memcmp(p->ed_pk, in->identity_key.data, 32) != 0) {
		log_info("peer %s has a new identity key", p->id);
		if (p->s != NULL && p->s->state == SESS_UP)
			peer_disconnect(p, "peer identity key changed");
		p->have_ts = 0;
	}
	memcpy(p->ed_pk, in->identity_key.data, 32);
	memcpy(p->x_pk, x_pk, 32);
	p->introduced = 1;
	p->aesni = in->aesni;
	p->relay_id = in->relay_id;
	p->peer_tcp = in->tcp;
	/* Both sides start punching at this moment (PROTOCOL.md §2.7). */
	p->timed = in->punch_in_us != 0;
	p->punch_at = p->timed ? agent_now() + (in->punch_in_us <
	    PEER_PUNCH_MAX_US ? in->punch_in_us : PEER_PUNCH_MAX_US) : 0;
	snprintf(p->nat_type, sizeof(p->nat_type), "%s",
	    in->nat_type != NULL ? in->nat_type : "");
	peer_set_addrs(p, in);
	/* Its IPs get cookies under an HS_INIT flood (guard.c). */
	for (i = 0; i < p->naddrs; i++)
		guard_known(a, &p->addrs[i].sa);
	if (p->have_pub)
		guard_known(a, &p->pub.sa);
	log_info("introduced to %s (%zu addresses, %s)", p->id, p->naddrs,
	    in->initiator ? "initiator" : "responder");
	if (p->s != NULL && p->s->state == SESS_UP) {
		p->s->reintro_at = 0;
		p->s->reintro_tries = 0;
		route_update(p->s);
	}
	if (in->initiator && (p->s == NULL || p->s->state == SESS_INTRO_WAIT)) {
		if ((s = session_get(p)) == NULL) {
			log_warnx("%s: out of memory: no session with %s",
			    __func__, p->id);
			return;
		}
		s->initiator = 1;
		session_hs_start(s);
	} else if (!in->initiator)
		session_hs_replay(a);
}

void
peer_withdraw(struct agent *a, const char *id, const char *reason)
{
	struct peer *p;

	if ((p = peer_find(a, id)) == NULL)
		return;
	log_info("introduction of %s withdrawn: %s", id, reason);
	p->introduced = 0;
	if (p->s == NULL)
		return;
	if (p->s->state == SESS_UP)
		peer_disconnect(p, reason);
	else if (p->s->state == SESS_HS) {
		session_ops_fail(p->s, P2P__IPC__CODE__ERR_CLOSED, 0, reason);
		session_end(p->s, reason);
	}
}

void
peer_registered(struct agent *a)
{
	struct peer *p;

	for (p = peer_first(a); p != NULL; p = peer_next(p)) {
		if (p->s == NULL || p->s->state != SESS_UP || p->s->dead)
			continue;
		p->s->reintro_tries = 0;
		if (reg_connect(a, p->id) == 0) {
			p->s->reintro_at = 0;	/* no retry of an older ask */
			log_debug("asking for a fresh introduction to %s",
			    p->id);
		}
		else
			peer_reintro_later(p->s,
			    "too many requests to the server");
	}
}

void
peer_disconnect(struct peer *p, const char *reason)
{
	struct session *s = p->s;

	if (s == NULL || s->state != SESS_UP)
		return;
	if (s->tp != NULL && !tp_is_closed(s->tp)) {
		/* CLOSE goes out authenticated; the drive then ends the
		 * session with our reason. */
		tp_close(s->tp, TP_ERR_NONE, reason);
		s->dead = 1;
		snprintf(s->dead_reason, sizeof(s->dead_reason), "%s", reason);
		session_drive(s);
	}
	if (p->s != NULL)
		session_end(p->s, reason);
}

void
peer_close_all(struct agent *a, const char *reason)
{
	struct peer *p;

	for (p = peer_first(a); p != NULL; p = peer_next(p))
		peer_disconnect(p, reason);
}

void
peer_free_all(struct agent *a)
{
	struct peer *p;

	for (p = peer_first(a); p != NULL; p = peer_next(p))
		if (p->s != NULL)
			session_end(p->s, "agent shutting down");
	peer_tab_free(a);
}
