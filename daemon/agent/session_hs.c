/* SPDX-License-Identifier: ISC */
/*
 * session_hs.c: the handshake that makes a session, the rekeys that renew
 * its keys (PROTOCOL.md §2.3-2.5), and the session's receiver indices.
 *
 * A handshake is accepted only from a static key the server introduced,
 * and only with a TAI64N timestamp newer than the last accepted from that
 * key (replayed HS_INIT are refused). The initiator retransmits HS_INIT
 * after 1 s, doubling, 5 times; each try is a fresh Noise message 1 (a
 * byte-identical resend would be refused by the timestamp rule once the
 * responder has seen it). When both sides initiate at once, the
 * initiation from the smaller static key wins, for sessions and rekeys.
 *
 * Rekeying: chan says when a key is due; we then run a fresh Noise IK
 * handshake (HS_INIT carrying the peer's index of this session) in s->hs
 * while the session goes on under the current key, retransmitting it after
 * 1 s, doubling up to 8 s, for as long as the session lives (tp's idle
 * timeout ends a dead one). We answer the peer's rekeys and install the
 * keys of ours; tp never notices.
 *
 * Every key and every rekey attempt has its own local index, in the index
 * table (pindex.c) until the session ends or the index is no longer one
 * of its keys'.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "engine.h"
#include "guard.h"
#include "ipc.pb-c.h"
#include "log.h"
#include "peer.h"
#include "session.h"
#include "wire.h"

#define SESSION_HS_TRIES	6	/* the first HS_INIT and 5 resends */
#define SESSION_STASH_US	2000000	/* how long a raced HS_INIT is kept */
#define SESSION_REKEY_RETRY_US	1000000
#define SESSION_REKEY_RETRY_MAX	8000000

static void	session_rekey_send(struct session *, uint64_t);

/* --- indices ----------------------------------------------------------- */

/* Is idx one the session's packets may carry now? */
static int
session_index_live(const struct session *s, uint32_t idx)
{
	if (idx == s->local_index)
		return 1;
	return s->state == SESS_UP && (chan_has_index(&s->chan, idx) ||
	    (session_hs_sent(s) && s->hs->local_index == idx));
}

struct session *
session_by_index(struct agent *a, uint32_t idx)
{
	struct session *s = pindex_get(a, idx);

	return s != NULL && session_index_live(s, idx) ? s : NULL;
}

uint32_t
session_index_new(struct session *s)
{
	struct agent *a = s->a;
	uint32_t idx;
	size_t i, free_slot = SESS_INDICES;

	/* Indices the session no longer uses leave the table first. */
	for (i = 0; i < SESS_INDICES; i++) {
		if (s->idx[i] != 0 && !session_index_live(s, s->idx[i])) {
			pindex_del(a, s->idx[i]);
			s->idx[i] = 0;
		}
		if (s->idx[i] == 0 && free_slot == SESS_INDICES)
			free_slot = i;
	}
	if (free_slot == SESS_INDICES)
		return 0;
	do
		idx = randombytes_random();
	while (idx == 0 || pindex_get(a, idx) != NULL);
	if (pindex_add(a, idx, s) == -1)
		return 0;
	s->idx[free_slot] = idx;
	return idx;
}

void
session_index_drop_all(struct session *s)
{
	size_t i;

	for (i = 0; i < SESS_INDICES; i++) {
		if (s->idx[i] != 0)
			pindex_del(s->a, s->idx[i]);
		s->idx[i] = 0;
	}
	s->local_index = 0;
}

/* --- handshake state ---------------------------------------------------- */

/* A clean handshake state for a new HS_INIT; NULL without memory. */
static struct hs *
session_hs_fresh(struct session *s)
{
	if (s->hs == NULL)
		s->hs = calloc(1, sizeof(*s->hs));
	else {
		hs_wipe(s->hs);
		memset(s->hs, 0, sizeof(*s->hs));
	}
	return s->hs;
}

void
session_hs_drop(struct session *s)
{
	if (s->hs == NULL)
		return;
	hs_wipe(s->hs);
	free(s->hs);
	s->hs = NULL;
}

/* --- the initiator ----------------------------------------------------- */

/* Send a fresh HS_INIT to every address the server gave us. */
static void
session_hs_send(struct session *s)
{
	struct agent *a = s->a;
	struct peer *p = s->p;
	enum aead_cipher cipher = AEAD_CHACHAPOLY;
	uint8_t pkt[HS_INIT_MAX];
	size_t len, i;

	if (p->aesni && aead_available(AEAD_AESGCM))
		cipher = AEAD_AESGCM;
	if (session_hs_fresh(s) == NULL || hs_initiate(s->hs, &a->hsid,
	    p->ed_pk, cipher, s->local_index, a->peer_id, agent_wall_ns(), pkt,
	    sizeof(pkt), &len) == -1) {
		log_warnx("%s: cannot start a handshake with %s", __func__,
		    p->id);
		return;
	}
	(void)hs_cookie_use(&p->cookie, pkt, len, agent_now());
	/* Relay first (§2.6): the session is usable at once; direct paths
	 * are found once it is up. Without a relay, every address. */
	if (p->relay_id == 0 || reg_relay_send(a, p->relay_id, pkt, len) == -1)
		for (i = 0; i < p->naddrs; i++)
			udp_send(a, (struct sockaddr *)&p->addrs[i],
			    addr_len((struct sockaddr *)&p->addrs[i]), pkt,
			    len);
	s->hs_tries++;
	session_timer_in(s, 1000000ULL << (s->hs_tries - 1));
}

void
session_hs_start(struct session *s)
{
	struct agent *a = s->a;

	if (s->p->naddrs == 0 && s->p->relay_id == 0) {
		session_ops_fail(s, P2P__IPC__CODE__ERR_FAILED, 0,
		    "the server gave no address for this peer");
		session_end(s, "no address");
		return;
	}
	if ((s->local_index = session_index_new(s)) == 0) {
		session_ops_fail(s, P2P__IPC__CODE__ERR_FAILED, 0,
		    "out of memory for its index");
		session_end(s, "no index");
		return;
	}
	s->state = SESS_HS;
	s->hs_tries = 0;
	s->hs_started = agent_now();
	a->cb->peer_state(a->cb_arg, s->p->id, "connecting", "connecting", "");
	session_hs_send(s);
}

/* Handshake timer: retransmit, or give up. */
void
session_hs_timeout(struct session *s)
{
	struct agent *a = s->a;

	if (s->hs_tries < SESSION_HS_TRIES) {
		session_hs_send(s);
		return;
	}
	log_info("handshake with %s timed out", s->p->id);
	a->cb->peer_state(a->cb_arg, s->p->id, "closed", "connecting",
	    "handshake timed out");
	session_ops_fail(s, P2P__IPC__CODE__ERR_TIMEOUT, 0,
	    "handshake timed out (no answer on any address)");
	session_end(s, "handshake timed out");
}

/* --- the responder ----------------------------------------------------- */

/*
 * The server introduces both agents at once, so the initiator's HS_INIT
 * can arrive before our Introduce. Keep the last few such packets briefly
 * and replay them when an introduction comes, instead of making the
 * initiator wait a whole retransmission timeout.
 */
static void
session_hs_stash(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct agent_hs_stash *st;

	if (len > sizeof(st->pkt))
		return;
	st = &a->hs_stash[a->hs_stash_next++ % AGENT_HS_STASH];
	memcpy(st->pkt, pkt, len);
	st->len = len;
	memset(&st->src, 0, sizeof(st->src));	/* AF_UNSPEC: the relay */
	if (src != NULL)
		memcpy(&st->src, src, addr_len(src));
	st->at = agent_now();
}

void
session_hs_replay(struct agent *a)
{
	struct agent_hs_stash st;
	uint64_t now = agent_now();
	size_t i;

	for (i = 0; i < AGENT_HS_STASH; i++) {
		if (a->hs_stash[i].len == 0)
			continue;
		st = a->hs_stash[i];
		a->hs_stash[i].len = 0;
		if (now - st.at < SESSION_STASH_US)
			session_hs_init_in(a, st.pkt, st.len,
			    st.src.ss_family == AF_UNSPEC ? NULL :
			    (struct sockaddr *)&st.src);
	}
}

/*
 * A rekey HS_INIT (PROTOCOL.md §2.5) for the session it names: answer it
 * and hold the new keys as next; the session and its transport go on.
 * -1: drop the packet.
 */
static int
session_rekey_in(struct session *s, struct hs *hs,
    const struct hs_init_info *info, const struct sockaddr *src)
{
	struct agent *a = s->a;
	struct hs_result res;
	uint8_t out[HS_RESP_LEN];
	size_t outlen;
	uint32_t idx;
	int rv;

	if (s->state != SESS_UP || s->dead || (!s->initiator &&
	    !s->confirmed) || !chan_has_index(&s->chan, info->rekey_index) ||
	    info->cipher != s->chan.keys.cipher) {
		log_debug("rekey from %s for no session of ours refused",
		    s->p->id);
		return -1;
	}
	if (session_hs_sent(s) && memcmp(a->hsid.x_pk, s->p->x_pk, 32) < 0)
		return -1;
	if ((idx = session_index_new(s)) == 0 ||
	    hs_respond(hs, idx, out, sizeof(out), &outlen, &res) == -1)
		return -1;
	rv = chan_rekey_install(&s->chan, res.cipher, res.tx, res.rx, idx,
	    res.remote_index, 0, agent_now());
	sodium_memzero(&res, sizeof(res));
	if (rv == -1)
		return -1;
	memcpy(s->p->last_ts, info->timestamp, HS_TAI64N_LEN);
	s->p->have_ts = 1;
	session_hs_drop(s);	/* ours lost the race, if any */
	s->hs_next = 0;
	route_reply(s, src, out, outlen);
	return 0;
}

void
session_hs_init_in(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct hs_init_info info;
	struct hs_result res;
	struct session *s;
	struct peer *p;
	struct hs hs;
	uint8_t out[HS_RESP_LEN];
	size_t outlen;
	uint32_t idx;

	/* mac1, and a cookie under load, before any Diffie-Hellman. */
	if (!guard_hs_init(a, pkt, len, src)) {
		AGENT_DROP(a, guard);
		return;
	}
	memset(&hs, 0, sizeof(hs));
	if (hs_read_init(&hs, &a->hsid, pkt, len, &info) == -1)
		goto drop;
	if ((p = peer_by_xkey(a, info.peer_x_pk)) == NULL) {
		log_debug("HS_INIT from a key not introduced (claims %s)",
		    info.peer_id);
		session_hs_stash(a, pkt, len, src);
		goto drop;
	}
	if (p->have_ts && memcmp(info.timestamp, p->last_ts,
	    HS_TAI64N_LEN) <= 0) {
		log_debug("replayed HS_INIT from %s refused", p->id);
		goto drop;
	}
	if (info.rekey_index != 0) {
		if (p->s == NULL || session_rekey_in(p->s, &hs, &info,
		    src) == -1)
			goto drop;
		hs_wipe(&hs);
		return;
	}
	/* Crossed initiations: the smaller static key's one wins. */
	if (p->s != NULL && p->s->state == SESS_HS &&
	    memcmp(a->hsid.x_pk, p->x_pk, 32) < 0)
		goto drop;
	if (p->s != NULL && p->s->state == SESS_UP)
		session_end(p->s, "peer started a new session");
	if ((s = session_get(p)) == NULL)
		goto drop;
	session_index_drop_all(s);	/* a handshake of ours lost */
	if ((idx = session_index_new(s)) == 0 ||
	    hs_respond(&hs, idx, out, sizeof(out), &outlen, &res) == -1)
		goto drop;
	memcpy(p->last_ts, info.timestamp, HS_TAI64N_LEN);
	p->have_ts = 1;
	session_hs_drop(s);
	s->initiator = 0;
	s->local_index = idx;
	route_reply(s, src, out, outlen);
	(void)session_start(s, &res, 0, src);
	hs_wipe(&hs);
	return;
drop:
	hs_wipe(&hs);
	AGENT_DROP(a, handshake);
}

/* The answer to our rekey: switch to the new keys at once. */
static int
session_rekey_resp_in(struct session *s, const uint8_t *pkt, size_t len)
{
	struct hs_result res;
	int rv;

	/* A failed hs_finish keeps waiting: a forged HS_RESP changes nothing. */
	if (hs_finish(s->hs, pkt, len, &res) == -1)
		return -1;
	rv = chan_rekey_install(&s->chan, res.cipher, res.tx, res.rx,
	    res.local_index, res.remote_index, 1, agent_now());
	sodium_memzero(&res, sizeof(res));
	session_hs_drop(s);
	s->hs_next = 0;
	if (rv == -1)
		log_warnx("%s: cannot install the new keys of %s", __func__,
		    s->p->id);
	else
		log_debug("session with %s rekeyed (%llu)", s->p->id,
		    (unsigned long long)s->chan.rekeys);
	return rv;
}

void
session_hs_resp_in(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct hs_result res;
	struct session *s;
	uint32_t idx;

	idx = hs_resp_receiver_index(pkt, len);
	s = session_by_index(a, idx);
	if (s != NULL && s->state == SESS_UP && session_hs_sent(s) &&
	    s->hs->local_index == idx) {
		if (session_rekey_resp_in(s, pkt, len) == -1)
			AGENT_DROP(a, handshake);
		return;
	}
	if (s == NULL || s->state != SESS_HS || s->hs == NULL) {
		AGENT_DROP(a, handshake);
		return;
	}
	if (hs_finish(s->hs, pkt, len, &res) == -1) {
		/* hs_finish wiped the hs: a forged or stale HS_RESP must not
		 * end our attempt, so start a fresh one on the next tick. */
		AGENT_DROP(a, handshake);
		return;
	}
	(void)session_start(s, &res, 1, src);
}

/*
 * COOKIE_REPLY: the peer is under load and wants our HS_INIT again with
 * mac2. Taken once per HS_INIT we sent (hs_cookie_take), so a forged or
 * replayed one can make us send one more HS_INIT at most.
 */
void
session_hs_cookie_in(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct session *s;
	uint64_t now = agent_now();

	(void)src;
	s = session_by_index(a, hs_init_sender_index(pkt, len));
	if (s == NULL || !session_hs_sent(s) || s->hs->local_index !=
	    hs_init_sender_index(pkt, len) || hs_cookie_take(&s->p->cookie,
	    s->hs, pkt, len, s->p->x_pk, now) == -1) {
		AGENT_DROP(a, handshake);
		return;
	}
	log_debug("%s is under load: handshake again with its cookie",
	    s->p->id);
	if (s->state == SESS_HS)
		session_hs_send(s);
	else if (s->state == SESS_UP)
		session_rekey_send(s, now);
}

/* --- rekeying ---------------------------------------------------------- */

/* Send a fresh rekey HS_INIT; each try has a new index and ephemeral. */
static void
session_rekey_send(struct session *s, uint64_t now)
{
	struct agent *a = s->a;
	uint8_t pkt[HS_REKEY_INIT_MAX];
	uint64_t wait;
	uint32_t idx;
	size_t len;

	wait = (uint64_t)SESSION_REKEY_RETRY_US << (s->hs_tries < 3 ?
	    s->hs_tries : 3);
	if (wait > SESSION_REKEY_RETRY_MAX)
		wait = SESSION_REKEY_RETRY_MAX;
	s->hs_tries++;
	s->hs_next = now + wait;
	if ((idx = session_index_new(s)) == 0 || session_hs_fresh(s) == NULL ||
	    hs_initiate_rekey(s->hs, &a->hsid, s->p->ed_pk,
	    s->chan.keys.cipher, idx, a->peer_id, s->chan.remote_index,
	    agent_wall_ns(), pkt, sizeof(pkt), &len) == -1) {
		log_warnx("%s: cannot start a rekey with %s", __func__,
		    s->p->id);
		return;
	}
	(void)hs_cookie_use(&s->p->cookie, pkt, len, now);
	route_send(s, pkt, len);
}

void
session_rekey(struct session *s, uint64_t now)
{
	enum chan_rekey_why why;

	/* Also drops the previous key once its overlap is over. */
	why = chan_rekey_due(&s->chan, now);
	if (!s->initiator && !s->confirmed)
		return;
	if (session_hs_sent(s)) {
		if (now >= s->hs_next)
			session_rekey_send(s, now);
		return;
	}
	/* hs_next also spaces out attempts that could not even start. */
	if (why == CHAN_REKEY_NO || now < s->hs_next)
		return;
	if (why == CHAN_REKEY_FAILURES)
		log_warnx("%s: %llu packets failed to decrypt under one key: "
		    "rekeying", s->p->id, (unsigned long long)s->chan.key_fail);
	else
		log_debug("rekeying the session with %s (%s)", s->p->id,
		    chan_rekey_why_name(why));
	s->hs_tries = 0;
	session_rekey_send(s, now);
}
