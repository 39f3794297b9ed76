/* SPDX-License-Identifier: ISC */
/*
 * peer.c: the peer table, introductions and the handshake (peer.h).
 *
 * The server decides who may talk: a handshake is accepted only from a
 * static key the server introduced, and only with a TAI64N timestamp newer
 * than the last accepted from that key (replayed HS_INIT are refused).
 * The initiator retransmits HS_INIT after 1 s, doubling, 5 times; each try
 * is a fresh Noise message 1 (a byte-identical resend would be refused by
 * the timestamp rule once the responder has seen it). When both sides
 * initiate at once, the initiation from the smaller static key wins.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "log.h"
#include "peer.h"
#include "wire.h"

#define PEER_HS_TRIES	6	/* the first HS_INIT and 5 retransmissions */
#define PEER_STASH_US	2000000	/* how long a raced HS_INIT is kept */

static void	peer_hs_init_in(struct agent *, const uint8_t *, size_t,
		    const struct sockaddr *);

/*
 * The server introduces both agents at once, so the initiator's HS_INIT
 * can arrive before our Introduce. Keep the last few such packets briefly
 * and replay them when an introduction comes, instead of making the
 * initiator wait a whole retransmission timeout.
 */
static void
peer_stash(struct agent *a, const uint8_t *pkt, size_t len,
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

static void
peer_stash_replay(struct agent *a)
{
	struct agent_hs_stash st;
	uint64_t now = agent_now();
	size_t i;

	for (i = 0; i < AGENT_HS_STASH; i++) {
		if (a->hs_stash[i].len == 0)
			continue;
		st = a->hs_stash[i];
		a->hs_stash[i].len = 0;
		if (now - st.at < PEER_STASH_US)
			peer_hs_init_in(a, st.pkt, st.len,
			    st.src.ss_family == AF_UNSPEC ? NULL :
			    (struct sockaddr *)&st.src);
	}
}

struct peer *
peer_find(struct agent *a, const char *id)
{
	struct peer *p;

	TAILQ_FOREACH(p, &a->peers, entry) {
		if (strcmp(p->id, id) == 0)
			return p;
	}
	return NULL;
}

struct peer *
peer_by_index(struct agent *a, uint32_t idx)
{
	struct peer *p;

	if (idx == 0)
		return NULL;
	TAILQ_FOREACH(p, &a->peers, entry) {
		if (p->local_index == idx)
			return p;
		/* Rekeys (PROTOCOL.md §2.5): each key has its own index. */
		if (p->state == PEER_UP && (chan_has_index(&p->chan, idx) ||
		    (p->hs.state == HS_INIT_SENT && p->hs.local_index == idx)))
			return p;
	}
	return NULL;
}

static uint32_t
peer_new_index(struct agent *a)
{
	uint32_t idx;

	do
		idx = randombytes_random();
	while (idx == 0 || peer_by_index(a, idx) != NULL);
	return idx;
}

static void
peer_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	struct agent *a = p->a;

	p->timer_at = 0;
	session_timeout(p);
	peer_flush_all(a);
	udp_flush(a);
}

static struct peer *
peer_add(struct agent *a, const char *id)
{
	struct peer *p;

	if (a->npeers >= AGENT_MAX_PEERS || !p2p_name_valid(id))
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->a = a;
	snprintf(p->id, sizeof(p->id), "%s", id);
	TAILQ_INIT(&p->streams);
	if ((p->timer = evtimer_new(a->base, peer_timer_cb, p)) == NULL) {
		free(p);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&a->peers, p, entry);
	a->npeers++;
	return p;
}

static void
peer_free(struct peer *p)
{
	struct agent *a = p->a;

	if (p->state == PEER_UP)
		session_end(p, "agent shutting down");
	hs_wipe(&p->hs);
	event_free(p->timer);
	if (p->drive_queued)
		TAILQ_REMOVE(&a->drive_q, p, drive_entry);
	TAILQ_REMOVE(&a->peers, p, entry);
	a->npeers--;
	free(p);
}

const char *
peer_state_name(const struct peer *p)
{
	switch (p->state) {
	case PEER_UP:
		return peer_is_up(p) ? "up" : "connecting";
	case PEER_HS:
	case PEER_INTRO_WAIT:
		return "connecting";
	default:
		return "closed";
	}
}

int
peer_is_up(const struct peer *p)
{
	return p->state == PEER_UP && (p->initiator || p->confirmed) &&
	    !p->dead;
}

static void
peer_timer_in(struct peer *p, uint64_t us)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(p->timer, &tv);
	p->timer_at = agent_now() + us;
}

/* Send a fresh HS_INIT to every address the server gave us. */
static void
peer_hs_send(struct peer *p)
{
	struct agent *a = p->a;
	enum aead_cipher cipher = AEAD_CHACHAPOLY;
	uint8_t pkt[HS_INIT_MAX];
	size_t len, i;

	if (p->aesni && aead_available(AEAD_AESGCM))
		cipher = AEAD_AESGCM;
	hs_wipe(&p->hs);
	memset(&p->hs, 0, sizeof(p->hs));
	if (hs_initiate(&p->hs, &a->hsid, p->ed_pk, cipher, p->local_index,
	    a->peer_id, agent_wall_ns(), pkt, sizeof(pkt), &len) == -1) {
		log_warnx("%s: cannot start a handshake with %s", __func__,
		    p->id);
		return;
	}
	/* Relay first (§2.6): the session is usable at once; direct paths
	 * are found once it is up. Without a relay, every address. */
	if (p->relay_id == 0 || reg_relay_send(a, p->relay_id, pkt, len) == -1)
		for (i = 0; i < p->naddrs; i++)
			udp_send(a, (struct sockaddr *)&p->addrs[i],
			    addr_len((struct sockaddr *)&p->addrs[i]), pkt,
			    len);
	p->hs_tries++;
	peer_timer_in(p, 1000000ULL << (p->hs_tries - 1));
}

static void
peer_hs_start(struct peer *p)
{
	if (p->naddrs == 0 && p->relay_id == 0) {
		session_fail_waits(p->a, p->id, P2P__IPC__CODE__ERR_FAILED,
		    "the server gave no address for this peer");
		p->state = PEER_IDLE;
		return;
	}
	p->state = PEER_HS;
	p->local_index = peer_new_index(p->a);
	p->hs_tries = 0;
	p->hs_started = agent_now();
	events_peer_state(p->a, p->id, "connecting", "connecting", "");
	peer_hs_send(p);
}

/* Handshake timer: retransmit, or give up. */
void
peer_hs_timeout(struct peer *p)
{
	if (p->hs_tries < PEER_HS_TRIES) {
		peer_hs_send(p);
		return;
	}
	log_info("handshake with %s timed out", p->id);
	hs_wipe(&p->hs);
	p->state = PEER_IDLE;
	p->local_index = 0;
	events_peer_state(p->a, p->id, "closed", "connecting",
	    "handshake timed out");
	session_fail_waits(p->a, p->id, P2P__IPC__CODE__ERR_TIMEOUT,
	    "handshake timed out (no answer on any address)");
}

int
peer_connect(struct agent *a, const char *id)
{
	struct peer *p;

	if ((p = peer_find(a, id)) == NULL && (p = peer_add(a, id)) == NULL)
		return -1;
	if (p->state == PEER_UP || p->state == PEER_HS)
		return 0;
	if (reg_connect(a, id) == -1) {
		session_fail_waits(a, id, P2P__IPC__CODE__ERR_FAILED,
		    "not registered with the server (state %s)",
		    reg_state_name(reg_state(a)));
		return 0;
	}
	p->state = PEER_INTRO_WAIT;
	return 0;
}

void
peer_connect_failed(struct agent *a, const char *id, P2p__Ipc__Code code,
    const char *msg)
{
	struct peer *p;

	if ((p = peer_find(a, id)) != NULL && p->state == PEER_INTRO_WAIT)
		p->state = PEER_IDLE;
	session_fail_waits(a, id, code, "%s", msg);
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

static void
peer_set_addrs(struct peer *p, const P2p__Srv__Introduce *in)
{
	struct sockaddr_storage pub, ss;
	socklen_t len;
	size_t i;
	int have_pub;

	p->naddrs = 0;
	have_pub = in->public_addr != NULL &&
	    addr_from_pb(in->public_addr, &pub, &len) == 0 &&
	    addr_port((struct sockaddr *)&pub) != 0;
	p->have_pub = have_pub;
	if (have_pub)
		p->pub = pub;
	/* The server saw the peer on loopback: it runs on this host, and
	 * loopback is the one path to use. */
	if (have_pub && peer_addr_loopback(&pub)) {
		p->addrs[p->naddrs++] = pub;
		return;
	}
	/* Host addresses first: peers behind one NAT reach each other
	 * there without hairpinning; then the public address. */
	for (i = 0; i < in->n_local_addrs && p->naddrs < AGENT_MAX_ADDRS - 1;
	    i++) {
		if (addr_from_pb(in->local_addrs[i], &ss, &len) == 0 &&
		    addr_port((struct sockaddr *)&ss) != 0)
			p->addrs[p->naddrs++] = ss;
	}
	if (have_pub)
		p->addrs[p->naddrs++] = pub;
}

void
peer_introduce(struct agent *a, const P2p__Srv__Introduce *in)
{
	struct peer *p;
	uint8_t x_pk[32];

	if (!p2p_name_valid(in->peer_id) || in->identity_key.len != 32 ||
	    hs_x25519_pk(x_pk, in->identity_key.data) == -1) {
		log_warnx("%s: malformed introduction ignored", __func__);
		return;
	}
	if ((p = peer_find(a, in->peer_id)) == NULL &&
	    (p = peer_add(a, in->peer_id)) == NULL) {
		log_warnx("peer table full: introduction of %s ignored",
		    in->peer_id);
		return;
	}
	if (p->introduced && memcmp(p->ed_pk, in->identity_key.data, 32) != 0) {
		log_info("peer %s has a new identity key", p->id);
		if (p->state == PEER_UP)
			peer_disconnect(p, "peer identity key changed");
		p->have_ts = 0;
	}
	memcpy(p->ed_pk, in->identity_key.data, 32);
	memcpy(p->x_pk, x_pk, 32);
	p->introduced = 1;
	p->aesni = in->aesni;
	p->relay_id = in->relay_id;
	p->peer_tcp = in->tcp;
	snprintf(p->nat_type, sizeof(p->nat_type), "%s",
	    in->nat_type != NULL ? in->nat_type : "");
	peer_set_addrs(p, in);
	log_info("introduced to %s (%zu addresses, %s)", p->id, p->naddrs,
	    in->initiator ? "initiator" : "responder");
	if (p->state == PEER_UP)
		route_update(p);
	if (in->initiator && p->state != PEER_UP && p->state != PEER_HS) {
		p->initiator = 1;
		peer_hs_start(p);
	} else if (!in->initiator)
		peer_stash_replay(a);
}

void
peer_withdraw(struct agent *a, const char *id, const char *reason)
{
	struct peer *p;

	if ((p = peer_find(a, id)) == NULL)
		return;
	log_info("introduction of %s withdrawn: %s", id, reason);
	p->introduced = 0;
	if (p->state == PEER_UP)
		peer_disconnect(p, reason);
	else if (p->state == PEER_HS) {
		hs_wipe(&p->hs);
		evtimer_del(p->timer);
		p->state = PEER_IDLE;
		session_fail_waits(a, id, P2P__IPC__CODE__ERR_CLOSED, "%s",
		    reason);
	}
}

static struct peer *
peer_by_xkey(struct agent *a, const uint8_t x_pk[32])
{
	struct peer *p;

	TAILQ_FOREACH(p, &a->peers, entry) {
		if (p->introduced && sodium_memcmp(p->x_pk, x_pk, 32) == 0)
			return p;
	}
	return NULL;
}

/*
 * A rekey HS_INIT (PROTOCOL.md §2.5) for the session it names: answer it
 * and hold the new keys as next; the session and its transport go on. When
 * both sides rekey at once, the smaller static key's initiation wins, as
 * for new sessions. -1: drop the packet.
 */
static int
peer_rekey_in(struct agent *a, struct peer *p, struct hs *hs,
    const struct hs_init_info *info, const struct sockaddr *src)
{
	struct hs_result res;
	uint8_t out[HS_RESP_LEN];
	size_t outlen;
	uint32_t idx;
	int rv;

	if (p->state != PEER_UP || p->dead || (!p->initiator &&
	    !p->confirmed) || !chan_has_index(&p->chan, info->rekey_index) ||
	    info->cipher != p->chan.keys.cipher) {
		log_debug("rekey from %s for no session of ours refused",
		    p->id);
		return -1;
	}
	if (p->hs.state == HS_INIT_SENT && memcmp(a->hsid.x_pk, p->x_pk,
	    32) < 0)
		return -1;
	idx = peer_new_index(a);
	if (hs_respond(hs, idx, out, sizeof(out), &outlen, &res) == -1)
		return -1;
	rv = chan_rekey_install(&p->chan, res.cipher, res.tx, res.rx, idx,
	    res.remote_index, 0, agent_now());
	sodium_memzero(&res, sizeof(res));
	if (rv == -1)
		return -1;
	memcpy(p->last_ts, info->timestamp, HS_TAI64N_LEN);
	p->have_ts = 1;
	hs_wipe(&p->hs);	/* ours lost the race, if any */
	p->hs_next = 0;
	route_reply(p, src, out, outlen);
	return 0;
}

/* The answer to our rekey: switch to the new keys at once. */
static int
peer_rekey_resp_in(struct peer *p, const uint8_t *pkt, size_t len)
{
	struct hs_result res;
	int rv;

	/* A failed hs_finish keeps waiting: a forged HS_RESP changes nothing. */
	if (hs_finish(&p->hs, pkt, len, &res) == -1)
		return -1;
	rv = chan_rekey_install(&p->chan, res.cipher, res.tx, res.rx,
	    res.local_index, res.remote_index, 1, agent_now());
	sodium_memzero(&res, sizeof(res));
	hs_wipe(&p->hs);
	p->hs_next = 0;
	if (rv == -1)
		log_warnx("%s: cannot install the new keys of %s", __func__,
		    p->id);
	else
		log_debug("session with %s rekeyed (%llu)", p->id,
		    (unsigned long long)p->chan.rekeys);
	return rv;
}

static void
peer_hs_init_in(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct hs_init_info info;
	struct hs_result res;
	struct peer *p;
	struct hs hs;
	uint8_t out[HS_RESP_LEN];
	size_t outlen;
	uint32_t idx;

	memset(&hs, 0, sizeof(hs));
	if (hs_read_init(&hs, &a->hsid, pkt, len, &info) == -1)
		goto drop;
	if ((p = peer_by_xkey(a, info.peer_x_pk)) == NULL) {
		log_debug("HS_INIT from a key not introduced (claims %s)",
		    info.peer_id);
		peer_stash(a, pkt, len, src);
		goto drop;
	}
	if (p->have_ts && memcmp(info.timestamp, p->last_ts,
	    HS_TAI64N_LEN) <= 0) {
		log_debug("replayed HS_INIT from %s refused", p->id);
		goto drop;
	}
	if (info.rekey_index != 0) {
		if (peer_rekey_in(a, p, &hs, &info, src) == -1)
			goto drop;
		hs_wipe(&hs);
		return;
	}
	/* Crossed initiations: the smaller static key's one wins. */
	if (p->state == PEER_HS && memcmp(a->hsid.x_pk, p->x_pk, 32) < 0)
		goto drop;
	idx = peer_new_index(a);
	if (hs_respond(&hs, idx, out, sizeof(out), &outlen, &res) == -1)
		goto drop;
	memcpy(p->last_ts, info.timestamp, HS_TAI64N_LEN);
	p->have_ts = 1;
	if (p->state == PEER_UP)
		session_end(p, "peer started a new session");
	hs_wipe(&p->hs);
	evtimer_del(p->timer);
	p->initiator = 0;
	p->local_index = idx;
	route_reply(p, src, out, outlen);
	if (session_start(p, &res, 0, src) == -1)
		log_warnx("%s: cannot start the session with %s", __func__,
		    p->id);
	hs_wipe(&hs);
	return;
drop:
	hs_wipe(&hs);
	a->ctr.dropped++;
}

static void
peer_hs_resp_in(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct hs_result res;
	struct peer *p;
	uint32_t idx;

	idx = hs_resp_receiver_index(pkt, len);
	p = peer_by_index(a, idx);
	if (p != NULL && p->state == PEER_UP && p->hs.state == HS_INIT_SENT &&
	    p->hs.local_index == idx) {
		if (peer_rekey_resp_in(p, pkt, len) == -1)
			a->ctr.dropped++;
		return;
	}
	if (p == NULL || p->state != PEER_HS) {
		a->ctr.dropped++;
		return;
	}
	if (hs_finish(&p->hs, pkt, len, &res) == -1) {
		/* hs_finish wiped the hs: a forged or stale HS_RESP must not
		 * end our attempt, so start a fresh one on the next tick. */
		a->ctr.dropped++;
		return;
	}
	evtimer_del(p->timer);
	if (session_start(p, &res, 1, src) == -1)
		log_warnx("%s: cannot start the session with %s", __func__,
		    p->id);
}

void
peer_input(struct agent *a, uint8_t type, const uint8_t *pkt, size_t len,
    const struct sockaddr *src, socklen_t srclen)
{
	struct peer *p;

	switch (type) {
	case WIRE_HS_INIT:
		peer_hs_init_in(a, pkt, len, src);
		break;
	case WIRE_HS_RESP:
		peer_hs_resp_in(a, pkt, len, src);
		break;
	case WIRE_DATA:
		p = peer_by_index(a, chan_peek_index(pkt, len));
		if (p == NULL || p->state != PEER_UP) {
			a->ctr.dropped++;
			return;
		}
		session_data(p, pkt, len, src);
		break;
	}
}

void
peer_registered(struct agent *a)
{
	struct peer *p;

	TAILQ_FOREACH(p, &a->peers, entry)
		if (p->state == PEER_UP && !p->dead &&
		    reg_connect(a, p->id) == 0)
			log_debug("asking for a fresh introduction to %s",
			    p->id);
}

void
peer_relay_input(struct agent *a, uint32_t src, uint8_t type,
    const uint8_t *pkt, size_t len)
{
	(void)src;	/* the packet's own keys say whose it is */
	peer_input(a, type, pkt, len, NULL, 0);
}

void
peer_disconnect(struct peer *p, const char *reason)
{
	if (p->state == PEER_UP && p->tp != NULL && !tp_is_closed(p->tp)) {
		/* CLOSE goes out authenticated; drive then ends the session
		 * with our reason. */
		tp_close(p->tp, TP_ERR_NONE, reason);
		p->dead = 1;
		snprintf(p->dead_reason, sizeof(p->dead_reason), "%s", reason);
		session_drive(p);
	}
	if (p->state == PEER_UP)
		session_end(p, reason);
}

void
peer_close_all(struct agent *a, const char *reason)
{
	struct peer *p;

	TAILQ_FOREACH(p, &a->peers, entry)
		peer_disconnect(p, reason);
}

void
peer_free_all(struct agent *a)
{
	struct peer *p;

	while ((p = TAILQ_FIRST(&a->peers)) != NULL)
		peer_free(p);
}
