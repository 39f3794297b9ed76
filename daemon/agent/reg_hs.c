/* SPDX-License-Identifier: ISC */
/*
 * reg_hs.c: the agent's side of the registration handshake (PROTOCOL.md
 * §2.1, core reghs.c): REG_HELLO with a fresh ephemeral key; from the
 * REG_CHALLENGE a cookie and the keys the server offers; REG_INIT sealed
 * to the server key this agent trusts (--server-key, or its token),
 * carrying the Register: token, identity key and signature, addresses;
 * REG_ACCEPT, believed only if it opens with that key, which brings the
 * control channel's keys and Registered, or an authenticated refusal.
 *
 * With --allow-unauthenticated-server and no key to trust, the key the
 * REG_CHALLENGE offers is taken as it comes, loudly: anyone on the path
 * can then be the server.
 */
#include "config.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "aead.h"
#include "agent.h"
#include "chan.h"
#include "log.h"
#include "reg.h"
#include "server.pb-c.h"
#include "wire.h"

#define REG_MAX_KEYS	8

/*
 * auto: UDP has not answered, so race a TCP connection against it, with
 * the same HELLO. A connection that cannot even start leaves UDP alone.
 */
static void
reg_try_tcp(struct reg *r)
{
	uint8_t pkt[WIRE_HELLO_LEN];

	if (r->tcp != NULL || wire_hello_build(pkt, sizeof(pkt),
	    r->eph_pk) < 0)
		return;
	log_info("no answer from the server over udp: trying tcp beside it");
	if (regtcp_open(r) == 0)
		regtcp_send(r, pkt, sizeof(pkt));
}

void
reg_send_hello(struct reg *r)
{
	uint8_t pkt[WIRE_HELLO_LEN];

	if (wire_hello_build(pkt, sizeof(pkt), r->eph_pk) < 0)
		return;
	/* TCP delivers the first one; the timer still bounds the wait. */
	if (!r->use_tcp || r->tries == 0)
		reg_send_pkt(r, pkt, sizeof(pkt));
	r->hello_at = r->tries == 0 ? agent_now() : 0;	/* reg_rtt_hello */
	if (r->mode == REG_MODE_AUTO && r->tries >= REG_TCP_AFTER)
		reg_try_tcp(r);
	reg_timer_in(r->timer, (uint64_t)REG_RTO_US << r->tries);
	r->tries++;
}

/* The same REG_INIT again (each try identical: the server answers once). */
void
reg_send_init(struct reg *r)
{
	if (!r->use_tcp || r->tries == 0)
		reg_send_pkt(r, r->init, r->init_len);
	reg_timer_in(r->timer, (uint64_t)REG_RTO_US << r->tries);
	r->tries++;
}

static int
reg_local_addr_ok(const struct sockaddr *sa, unsigned flags)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (!(flags & IFF_UP) || (flags & IFF_LOOPBACK))
		return 0;
	if (sa->sa_family == AF_INET)
		return 1;
	return sa->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) &&
	    !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
}

int
reg_local_addrs(struct agent *a, struct sockaddr_storage *out, size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
		if (i->ifa_addr == NULL ||
		    !reg_local_addr_ok(i->ifa_addr, i->ifa_flags))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n], i->ifa_addr, addr_len(i->ifa_addr));
		if (out[n].ss_family == AF_INET)
			((struct sockaddr_in *)&out[n])->sin_port =
			    htons(a->udp_port);
		else
			((struct sockaddr_in6 *)&out[n])->sin6_port =
			    htons(a->udp_port);
		n++;
	}
	freeifaddrs(ifa);
	return (int)n;
}

/*
 * The key to seal this attempt's REG_INIT to: a trusted key the server
 * offers (starting at key_next, so a failed attempt tries the next one),
 * else a trusted key anyway (only its holder can answer); with none
 * trusted (--allow-unauthenticated-server), the first offered.
 */
static int
reg_pick_key(struct reg *r, uint8_t offered[][32], unsigned noffered)
{
	uint8_t trusted[REG_MAX_KEYS][32];
	char k1[REGHS_KEY_B64_LEN + 1], k2[REGHS_KEY_B64_LEN + 1];
	unsigned i, j, k, n;

	n = (unsigned)reg_keys(r->a, trusted, REG_MAX_KEYS);
	for (i = 0; i < n; i++) {
		k = (r->key_next + i) % n;
		for (j = 0; j < noffered; j++)
			if (memcmp(trusted[k], offered[j], 32) == 0) {
				memcpy(r->server_pk, trusted[k], 32);
				return 0;
			}
	}
	if (n > 0) {
		memcpy(r->server_pk, trusted[r->key_next % n], 32);
		reghs_key_to_b64(r->server_pk, k1);
		if (noffered > 0)
			reghs_key_to_b64(offered[0], k2);
		log_warnx("the server offers %s%s, not the key this agent "
		    "trusts: registering to %s, which only its holder can "
		    "answer", noffered > 0 ? "key " : "no key", noffered > 0 ?
		    k2 : "", k1);
		return 0;
	}
	if (noffered == 0) {
		snprintf(r->error, sizeof(r->error), "the server offers no key "
		    "and this agent trusts none (give --server-key)");
		return -1;
	}
	memcpy(r->server_pk, offered[0], 32);
	reghs_key_to_b64(r->server_pk, k1);
	log_warnx("NOT AUTHENTICATING THE SERVER (--allow-unauthenticated-"
	    "server): taking the key it offers, %s; anyone on the path could "
	    "have offered it. Pin it with --server-key %s", k1, k1);
	return 0;
}

/* The Register, sealed into r->init for the attempt's key and cookie. */
static int
reg_build_init(struct reg *r, const uint8_t cookie[REGHS_COOKIE_LEN])
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Register rg = P2P__SRV__REGISTER__INIT;
	P2p__Srv__Addr pbs[AGENT_MAX_ADDRS], *pbp[AGENT_MAX_ADDRS];
	struct sockaddr_storage ss[AGENT_MAX_ADDRS];
	uint8_t ipbuf[AGENT_MAX_ADDRS][16], sm[REGHS_SIG_MSG_LEN], sig[64];
	uint8_t pt[AGENT_UDP_MTU];
	struct agent *a = r->a;
	size_t len;
	int i, n, k = 0;

	reghs_sig_msg(r->server_pk, r->eph_pk, sm);
	crypto_sign_detached(sig, NULL, sm, sizeof(sm), a->id_sk);
	n = reg_local_addrs(a, ss, AGENT_MAX_ADDRS);
	for (i = 0; i < n; i++) {
		p2p__srv__addr__init(&pbs[k]);
		if (addr_to_pb((struct sockaddr *)&ss[i], &pbs[k],
		    ipbuf[k]) == 0) {
			pbp[k] = &pbs[k];
			k++;
		}
	}
	rg.wire_version = WIRE_VERSION;
	rg.token = a->token;
	rg.identity_key.data = a->id_pk;
	rg.identity_key.len = 32;
	rg.signature.data = sig;
	rg.signature.len = sizeof(sig);
	rg.n_local_addrs = (size_t)k;
	rg.local_addrs = pbp;
	rg.aesni = aead_available(AEAD_AESGCM);
	rg.relay_mac = 1;
	rg.rtt_us = r->rtt_us;
	rg.software = REG_SOFTWARE;
	m.id = r->init_id = reg_next_id(r);
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTER;
	m.register_ = &rg;
	len = p2p__srv__server_msg__get_packed_size(&m);
	if (len > sizeof(pt) - WIRE_REG_INIT_HDR_LEN - REGHS_MSG_OVERHEAD) {
		snprintf(r->error, sizeof(r->error), "the registration does "
		    "not fit a packet (%zu bytes: is the token too long?)",
		    len);
		return -1;
	}
	p2p__srv__server_msg__pack(&m, pt);
	if (reghs_client_start(&r->hs, r->server_pk, r->eph_sk) != 0 ||
	    (n = reghs_init_write(&r->hs, cookie, pt, len, r->init,
	    sizeof(r->init))) < 0) {
		sodium_memzero(pt, sizeof(pt));
		snprintf(r->error, sizeof(r->error), "cannot seal the "
		    "registration to the server key");
		return -1;
	}
	sodium_memzero(pt, sizeof(pt));
	r->init_len = (size_t)n;
	return 0;
}

void
reg_challenge_in(struct reg *r, const uint8_t *pkt, size_t len, int tcp)
{
	uint8_t cookie[REGHS_COOKIE_LEN], keys[WIRE_CHALLENGE_KEYS][32];
	uint8_t again[AGENT_UDP_MTU];
	unsigned nkeys;

	if (wire_challenge_parse(pkt, len, cookie, keys, &nkeys) == -1 ||
	    (r->phase != PH_HELLO && r->phase != PH_INIT)) {
		r->a->ctr.dropped++;
		return;
	}
	if (r->phase == PH_INIT) {
		/*
		 * The server did not take our cookie (it restarted, say): one
		 * copy of the REG_INIT with the new one. The retransmissions
		 * keep the first, so a forged CHALLENGE cannot spoil them.
		 */
		if (tcp != r->use_tcp || r->cookies >= REG_COOKIES_MAX) {
			r->a->ctr.dropped++;
			return;
		}
		r->cookies++;
		memcpy(again, r->init, r->init_len);
		memcpy(again + WIRE_HDR_LEN + WIRE_KEY_ID_LEN, cookie,
		    REGHS_COOKIE_LEN);
		reg_send_pkt(r, again, r->init_len);
		return;
	}
	evtimer_del(r->timer);
	reg_rtt_hello(r);
	/* The first leg to answer carries this registration. */
	if (tcp != r->use_tcp)
		log_info("the server answered over %s first: registering there",
		    tcp ? "tcp" : "udp");
	r->use_tcp = tcp;
	if (!tcp)
		regtcp_close(r);
	if (reg_pick_key(r, keys, nkeys) == -1 ||
	    reg_build_init(r, cookie) == -1) {
		log_warnx("registration: %s", r->error);
		r->state = REG_REJECTED;
		r->backoff = REG_BACKOFF_MAX;
		reg_retry_later(r);
		return;
	}
	r->phase = PH_INIT;
	r->tries = 0;
	reg_send_init(r);
}

void
reg_accept_in(struct reg *r, const uint8_t *pkt, size_t len, int tcp)
{
	uint8_t pt[AGENT_UDP_MTU];
	char key[REGHS_KEY_B64_LEN + 1];
	struct reghs_keys k;
	P2p__Srv__ServerMsg *m;
	size_t plen;

	if (r->phase != PH_INIT || tcp != r->use_tcp) {
		r->a->ctr.dropped++;
		return;
	}
	if (reghs_accept_read(&r->hs, pkt, len, pt, sizeof(pt), &plen,
	    &k) == -1) {
		/* Not from the key's holder: keep waiting for the real one. */
		r->a->ctr.dropped++;
		if (r->accept_bad++ == 0) {
			reghs_key_to_b64(r->server_pk, key);
			log_warnx("a registration reply does not prove server "
			    "key %s: ignored", key);
		}
		return;
	}
	evtimer_del(r->timer);
	reg_heard(r);
	reg_hs_clear(r);
	m = p2p__srv__server_msg__unpack(NULL, plen, pt);
	sodium_memzero(pt, sizeof(pt));
	if (m != NULL && m->id == r->init_id && m->body_case ==
	    P2P__SRV__SERVER_MSG__BODY_REGISTERED && m->registered->reg_id !=
	    0 && chan_init(&r->chan, AEAD_CHACHAPOLY, k.tx, k.rx,
	    m->registered->reg_id) == 0) {
		r->chan_ok = 1;
		reg_registered(r, m->registered);
	} else if (m != NULL && m->id == r->init_id && m->body_case ==
	    P2P__SRV__SERVER_MSG__BODY_ERROR)
		reg_refused(r, m->error);
	else {
		r->state = REG_UNREACHABLE;
		snprintf(r->error, sizeof(r->error), "the server's answer to "
		    "the registration is malformed");
		log_warnx("%s", r->error);
		reg_retry_later(r);
	}
	sodium_memzero(&k, sizeof(k));
	if (m != NULL)
		p2p__srv__server_msg__free_unpacked(m, NULL);
}

/* --- req --------------------------------------------------------- */

/*
 * sending on the control channel, and requests to the server
 * (PROTOCOL.md §2.1): a request is resent after 250 ms, doubling, 5 times,
 * each time sealed again with a fresh counter (counters are never reused),
 * until its answer arrives (reg_ctrl.c) or it is given up. At most
 * REG_MAX_PENDING are in flight.
 */
void
reg_send_pkt(struct reg *r, const uint8_t *p, size_t len)
{
	if (r->use_tcp)
		regtcp_send(r, p, len);
	else if (r->have_srv)
		udp_send(r->a, (struct sockaddr *)&r->srv,
		    addr_len((struct sockaddr *)&r->srv), p, len);
}

static int
reg_seal_send(struct reg *r, const uint8_t *msg, size_t len)
{
	uint8_t pkt[AGENT_UDP_MTU];
	ssize_t n;

	if (!r->chan_ok)
		return -1;
	n = chan_seal(&r->chan, WIRE_CTRL, msg, len, pkt, sizeof(pkt));
	if (n < 0)
		return -1;
	reg_send_pkt(r, pkt, (size_t)n);
	return 0;
}

/* Pack and send one ServerMsg (no retransmission). */
int
reg_send_msg(struct reg *r, P2p__Srv__ServerMsg *m)
{
	uint8_t buf[AGENT_UDP_MTU];
	size_t len;

	len = p2p__srv__server_msg__get_packed_size(m);
	if (len > sizeof(buf) - CHAN_OVERHEAD) {
		log_warnx("%s: control message too big (%zu bytes)", __func__,
		    len);
		return -1;
	}
	p2p__srv__server_msg__pack(m, buf);
	return reg_seal_send(r, buf, len);
}

uint32_t
reg_next_id(struct reg *r)
{
	if (++r->next_id == 0)
		r->next_id = 1;
	return r->next_id;
}

void
reg_req_free(struct reg_req *q)
{
	TAILQ_REMOVE(&q->r->reqs, q, entry);
	q->r->nreqs--;
	event_free(q->timer);
	free(q->msg);
	free(q);
}

static void
reg_req_timer(evutil_socket_t fd, short what, void *arg)
{
	struct reg_req *q = arg;
	struct agent *a = q->r->a;

	if (q->tries >= REG_TRIES) {
		if (q->connect)
			a->hooks.connect_failed(a, q->peer,
			    P2P__IPC__CODE__ERR_TIMEOUT,
			    "the server did not answer the connect request");
		reg_req_free(q);
		return;
	}
	(void)reg_seal_send(q->r, q->msg, q->len);
	reg_expect(q->r);
	reg_req_rearm(q);
}

/* The next try of q after this one: the timeout doubles with each. */
void
reg_req_rearm(struct reg_req *q)
{
	reg_timer_in(q->timer, (uint64_t)REG_RTO_US << q->tries);
	q->tries++;
}

/*
 * Queues a request for m (its id set here; peer set for a connect) and
 * sends it at once through fire, its timer's callback, which retransmits
 * it until answered. The request's id, or 0 when too many are pending, m
 * does not fit a packet or memory is short.
 */
uint32_t
reg_req_start(struct reg *r, P2p__Srv__ServerMsg *m, const char *peer,
    event_callback_fn fire)
{
	struct reg_req *q;
	uint32_t id;

	if (r->nreqs >= REG_MAX_PENDING || (q = calloc(1, sizeof(*q))) ==
	    NULL)
		return 0;
	m->id = id = reg_next_id(r);
	q->r = r;
	q->id = id;
	q->len = p2p__srv__server_msg__get_packed_size(m);
	if (q->len > AGENT_UDP_MTU - CHAN_OVERHEAD ||
	    (q->msg = malloc(q->len)) == NULL ||
	    (q->timer = evtimer_new(r->a->base, fire, q)) == NULL) {
		free(q->msg);
		free(q);
		return 0;
	}
	p2p__srv__server_msg__pack(m, q->msg);
	if (peer != NULL) {
		q->connect = 1;
		snprintf(q->peer, sizeof(q->peer), "%s", peer);
	}
	TAILQ_INSERT_TAIL(&r->reqs, q, entry);
	r->nreqs++;
	fire(-1, 0, q);
	return id;
}

/* Send a request (id set here) and retransmit it until answered. */
int
reg_request(struct reg *r, P2p__Srv__ServerMsg *m, const char *peer)
{
	return reg_req_start(r, m, peer, reg_req_timer) == 0 ? -1 : 0;
}

void
reg_clear_reqs(struct reg *r)
{
	struct reg_req *q;

	while ((q = TAILQ_FIRST(&r->reqs)) != NULL) {
		if (q->connect)
			r->a->hooks.connect_failed(r->a, q->peer,
			    P2P__IPC__CODE__ERR_FAILED,
			    "lost the registration with the server");
		reg_req_free(q);
	}
}
